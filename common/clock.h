/*  clock.h - nanosecond clocks.
 *  Wall time (CLOCK_REALTIME, ns since the Unix epoch) is for the wire and the database;
 *  monotonic time (CLOCK_MONOTONIC) is for timeouts, rates and latency. Trading logic never
 *  calls these: it takes event time from the messages it handles.
 */
#ifndef TP_CLOCK_H
#define TP_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CLOCK_NS_PER_MS INT64_C(1000000)
#define CLOCK_NS_PER_S  INT64_C(1000000000)

int64_t clock_wall_ns(void); /* CLOCK_REALTIME in ns */
int64_t clock_mono_ns(void); /* CLOCK_MONOTONIC in ns */

/* Format ns since the epoch as "2025-11-03T00:00:00.000Z" (UTC, ms). Returns buf. cap >= 25. */
char *clock_fmt_iso(int64_t ns, char *buf, size_t cap);

#endif /* TP_CLOCK_H */
