/*  schedule.h - cut a sorted timeline of event times into replay steps.
 *  Step S covers the frames with event time in [T, T + step_ms), where T is the event time of
 *  the first frame not yet in a step, aligned down to a multiple of step_ms. So empty
 *  stretches of event time are skipped, never waited for, and every step holds >= 1 frame.
 *  Pacing: pace_ms is the step's offset from the first step in event time, with every gap
 *  between consecutive steps longer than idle_cap_ms counted as idle_cap_ms (the three
 *  recorded sources lie months apart; at --speed 1 a gap is at most 5 s of wall time).
 *  At speed N the step is due at wall start + pace_ms / N.
 *  An empty timeline has one step: no frames, t_ms 0, last.
 *  Owns:  nothing but a cursor (the times array is borrowed and must outlive it).
 *  Invariants: (1) steps are numbered 1, 2, ... without gaps; (2) first/end of consecutive
 *  steps tile [0, n); (3) t_ms strictly increases; pace_ms never decreases.
 */
#ifndef TP_SCHEDULE_H
#define TP_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t step;     /* 1, 2, ... */
    size_t first, end; /* frames [first, end) of the timeline */
    int64_t t_ms;      /* aligned start of the step, event time ms */
    int64_t end_ms;    /* t_ms + step_ms: the barrier's ts_event (exclusive end) */
    int64_t pace_ms;   /* event-time offset for pacing, idle gaps capped */
    bool last;         /* no frames after this step */
} sched_step_t;

typedef struct sched sched_t;

/* `ts_ms[n]` non-decreasing event times (borrowed), step_ms >= 1, idle_cap_ms >= 0.
 * NULL with errno EINVAL (step_ms < 1, idle_cap_ms < 0, ts not sorted, ts NULL with n > 0)
 * or ENOMEM. */
sched_t *sched_new(const int64_t *ts_ms, size_t n, int64_t step_ms, int64_t idle_cap_ms);
void sched_destroy(sched_t **self_p);

/* Next step into *out. 0, or -1/ENODATA after the last step (out untouched). O(frames in
 * the step). */
int sched_next(sched_t *self, sched_step_t *out);

/* Number of steps of the whole timeline (computed once at sched_new). */
uint64_t sched_total(const sched_t *self);

#endif /* TP_SCHEDULE_H */
