/*  log.c - one-line-per-event logging to stderr (see log.h). */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"

static char s_instance[32] = "-";
static log_level_t s_level = LOG_LVL_INFO;
static const char k_letters[] = "EWNID";
static const char *const k_names[] = { "error", "warn", "notice", "info", "debug" };

void
log_init(const char *instance, log_level_t level)
{
    snprintf(s_instance, sizeof s_instance, "%s", instance ? instance : "-");
    s_level = level;
}

int
log_level_parse(const char *name, log_level_t *out)
{
    for (int i = 0; i <= LOG_LVL_DEBUG; i++) {
        if (name && strcmp(name, k_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

log_level_t
log_level(void)
{
    return s_level;
}

void
log_write(log_level_t level, const char *module, const char *fmt, ...)
{
    if (level > s_level) {
        return;
    }
    char line[1024], ts[32];
    int n =
        snprintf(line, sizeof line, "%s %c %s %s: ", clock_fmt_iso(clock_wall_ns(), ts, sizeof ts),
                 k_letters[level], s_instance, module ? module : "-");
    if (n < 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2) {
        len = sizeof line - 2;
    }
    line[len++] = '\n';
    /* one write(2) per line so lines from several processes never interleave */
    fwrite(line, 1, len, stderr);
    fflush(stderr);
}

void
log_limited(log_limit_t *lim, log_level_t level, const char *module, const char *what,
            const char *sample, size_t sample_len)
{
    int64_t now = clock_mono_ns();
    lim->count++;
    char buf[128];
    size_t n = sample ? (sample_len < 120 ? sample_len : 120) : 0;
    if (sample) {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)sample[i];
            buf[i] = (c < 32 || c > 126) ? '?' : (char)c;
        }
    }
    buf[n] = '\0';
    if (lim->count == 1) {
        log_write(level, module, "%s (first occurrence) sample \"%s%s\"", what, buf,
                  sample && sample_len > 120 ? "..." : "");
        lim->last_mono_ns = now;
        return;
    }
    lim->suppressed++;
    if (now - lim->last_mono_ns >= 10 * CLOCK_NS_PER_S) {
        log_write(level, module, "%s: %llu more in the last %llds (%llu in all), latest \"%s\"",
                  what, (unsigned long long)lim->suppressed,
                  (long long)((now - lim->last_mono_ns) / CLOCK_NS_PER_S),
                  (unsigned long long)lim->count, buf);
        lim->suppressed = 0;
        lim->last_mono_ns = now;
    }
}
