/*  ema.c - exponential moving average (TA-Lib TA_EMA seeding). See ema.h. */
#include "signal/ema.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

struct ema {
    int n;          /* period */
    double k;       /* 2 / (n + 1) */
    uint64_t count; /* inputs taken */
    double sum;     /* sum of the first n inputs while seeding */
    double value;   /* valid when count >= n */
};

ema_t *
ema_new(int n)
{
    if (n < 2 || n > EMA_MAX_PERIOD) {
        errno = EINVAL;
        return NULL;
    }
    ema_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->n = n;
    self->k = 2.0 / ((double)n + 1.0); /* TA-Lib PER_TO_K(n) */
    return self;
}

void
ema_destroy(ema_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int
ema_update(ema_t *self, double x, double *out)
{
    assert(self);
    if (!isfinite(x)) {
        errno = EINVAL;
        return -1;
    }
    self->count++;
    if (self->count < (uint64_t)self->n) {
        self->sum += x;
        return 0;
    }
    if (self->count == (uint64_t)self->n) {
        /* the seed: plain SMA of the first n inputs, as TA_INT_EMA does before smoothing */
        self->sum += x;
        self->value = self->sum / (double)self->n;
    } else {
        self->value = ((x - self->value) * self->k) + self->value;
    }
    if (out) {
        *out = self->value;
    }
    return 1;
}

int
ema_value(const ema_t *self, double *out)
{
    assert(self);
    if (self->count < (uint64_t)self->n) {
        errno = ENODATA;
        return -1;
    }
    *out = self->value;
    return 0;
}

int
ema_period(const ema_t *self)
{
    assert(self);
    return self->n;
}

uint64_t
ema_count(const ema_t *self)
{
    assert(self);
    return self->count;
}

void
ema_reset(ema_t *self)
{
    assert(self);
    self->count = 0;
    self->sum = 0.0;
    self->value = 0.0;
}
