/*  schedule.c - replay steps over a sorted timeline (see schedule.h). */
#include "tools/venue-sim/schedule.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

struct sched {
    const int64_t *ts;
    size_t n;
    int64_t step_ms, idle_cap_ms;
    size_t pos;      /* first frame not yet in a step */
    uint64_t step;   /* last step returned */
    int64_t prev_t;  /* t_ms of the last step returned */
    int64_t pace_ms; /* pace of the last step returned */
    uint64_t total;
};

/* floor(a / b) for b > 0, also for negative a */
static int64_t
s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && (a < 0)) {
        q--;
    }
    return q;
}

static int64_t
s_align(const sched_t *self, int64_t t)
{
    return s_floor_div(t, self->step_ms) * self->step_ms;
}

sched_t *
sched_new(const int64_t *ts_ms, size_t n, int64_t step_ms, int64_t idle_cap_ms)
{
    if (step_ms < 1 || idle_cap_ms < 0 || (n > 0 && !ts_ms)) {
        errno = EINVAL;
        return NULL;
    }
    for (size_t i = 1; i < n; i++) {
        if (ts_ms[i] < ts_ms[i - 1]) {
            errno = EINVAL;
            return NULL;
        }
    }
    sched_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->ts = ts_ms;
    self->n = n;
    self->step_ms = step_ms;
    self->idle_cap_ms = idle_cap_ms;
    /* count the steps: a new step starts wherever a frame leaves the current window */
    if (n == 0) {
        self->total = 1;
    } else {
        int64_t end = s_align(self, ts_ms[0]) + step_ms;
        self->total = 1;
        for (size_t i = 1; i < n; i++) {
            if (ts_ms[i] >= end) {
                self->total++;
                end = s_align(self, ts_ms[i]) + step_ms;
            }
        }
    }
    return self;
}

void
sched_destroy(sched_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int
sched_next(sched_t *self, sched_step_t *out)
{
    assert(self);
    assert(out);
    if (self->step >= self->total) {
        errno = ENODATA;
        return -1;
    }
    sched_step_t s = { .step = self->step + 1 };
    if (self->n == 0) {
        s.last = true;
        self->step = s.step;
        *out = s;
        return 0;
    }
    s.first = self->pos;
    s.t_ms = s_align(self, self->ts[self->pos]);
    s.end_ms = s.t_ms + self->step_ms;
    size_t i = self->pos;
    while (i < self->n && self->ts[i] < s.end_ms) {
        i++;
    }
    s.end = i;
    s.last = i == self->n;
    if (self->step == 0) {
        s.pace_ms = 0;
    } else {
        int64_t gap = s.t_ms - self->prev_t;
        s.pace_ms = self->pace_ms + (gap > self->idle_cap_ms ? self->idle_cap_ms : gap);
    }
    self->pos = i;
    self->step = s.step;
    self->prev_t = s.t_ms;
    self->pace_ms = s.pace_ms;
    *out = s;
    return 0;
}

uint64_t
sched_total(const sched_t *self)
{
    assert(self);
    return self->total;
}
