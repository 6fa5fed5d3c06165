/*  clock.c - nanosecond clocks (see clock.h). */
#include "common/clock.h"

#include <stdio.h>
#include <time.h>

int64_t
clock_wall_ns(void)
{
    struct timespec t;
    (void)clock_gettime(CLOCK_REALTIME, &t); /* cannot fail for this clock id */
    return (int64_t)t.tv_sec * CLOCK_NS_PER_S + t.tv_nsec;
}

int64_t
clock_mono_ns(void)
{
    struct timespec t;
    (void)clock_gettime(CLOCK_MONOTONIC, &t); /* cannot fail for this clock id */
    return (int64_t)t.tv_sec * CLOCK_NS_PER_S + t.tv_nsec;
}

char *
clock_fmt_iso(int64_t ns, char *buf, size_t cap)
{
    time_t s = (time_t)(ns / CLOCK_NS_PER_S);
    int64_t ms = (ns % CLOCK_NS_PER_S) / CLOCK_NS_PER_MS;
    if (ms < 0) {
        ms += 1000;
        s -= 1;
    }
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
    return buf;
}
