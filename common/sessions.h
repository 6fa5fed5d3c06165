/*  sessions.h - the trading sessions of the day, one definition for every stage (issue 17:
 *  signal and risk used to disagree, New York 12-21 UTC in one and 13-22 in the other).
 *  Owns:  nothing (pure functions on a plain value).
 *  Not:   what a stage does with a session (signal publishes it in its context message, risk
 *         scales entries by it).
 *  Rule:  h = UTC hour of an event time (ns since the Unix epoch; UTC days have no leap
 *         seconds). London [london_from, london_to) and New York [ny_from, ny_to) both ->
 *         LONDON_NY_OVERLAP; only London -> LONDON; only New York -> NY; else in Asia
 *         [asia_from, asia_to) -> ASIAN; else OFF. A range with from > to wraps midnight
 *         ([22, 7) = 22..23 and 0..6); from == to is empty.
 *  Defaults: Asia [0, 7), London [7, 16), New York [13, 22) (London 08:00-17:00 GMT-ish and
 *         New York 08:00-17:00 EST, the orchestrator's hours), so 13-16 is the overlap and
 *         22-24 is OFF.
 *  Config: the top-level object "sessions" {"asia": [from, to], "london": [...], "ny": [...]}
 *         (UTC hours 0..24), read by signal and risk alike (restart).
 */
#ifndef TP_COMMON_SESSIONS_H
#define TP_COMMON_SESSIONS_H

#include <stdint.h>

#include "common/cfg.h"

/* Numbers as published in signal's context message (`session`). */
typedef enum {
    SESSIONS_ASIAN = 0,
    SESSIONS_LONDON = 1,
    SESSIONS_NY = 2,
    SESSIONS_OVERLAP = 3, /* "LONDON_NY_OVERLAP" */
    SESSIONS_OFF = 4,
} sessions_id_t;

typedef struct {
    int asia_from, asia_to, london_from, london_to, ny_from, ny_to; /* UTC hours 0..24 */
} sessions_hours_t;

/* The defaults above. */
void sessions_default(sessions_hours_t *h);

/* 0 if every hour is in 0..24, else -1/EINVAL. */
int sessions_check(const sessions_hours_t *h);

/* Session of an event time (ns). */
sessions_id_t sessions_of(const sessions_hours_t *h, int64_t ts_ns);

/* "ASIAN", "LONDON", "NY", "LONDON_NY_OVERLAP", "OFF"; "?" for anything else. Static. */
const char *sessions_name(sessions_id_t s);

/* Read the top-level "sessions" object into *out (defaults for what is missing). Unknown keys
 * and malformed ranges are errors naming file, line and key ("sessions.ny: expected
 * [from_hour, to_hour] (UTC, 0..24)"). 0, or -1/EINVAL with cfg_error(cfg). */
int sessions_cfg_read(cfg_t *cfg, sessions_hours_t *out);

#endif /* TP_COMMON_SESSIONS_H */
