/*  rsi.c - Wilder RSI (TA-Lib TA_RSI, unstable period 0). See rsi.h. */
#include "signal/rsi.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

struct rsi {
    int n;           /* period */
    uint64_t count;  /* inputs taken */
    double prev;     /* previous input (valid when count >= 1) */
    double avg_gain; /* while seeding: running sum of gains; after: Wilder average */
    double avg_loss; /* same for losses (positive numbers) */
    double value;    /* valid when count > n */
};

/* TA-Lib TA_IS_ZERO: (-0.00000001 < v) && (v < 0.00000001) */
static bool
s_is_zero(double v)
{
    return v > -0.00000001 && v < 0.00000001;
}

static double
s_rsi_of(const rsi_t *self)
{
    double sum = self->avg_gain + self->avg_loss;
    if (s_is_zero(sum)) {
        return 0.0; /* TA-Lib writes 0 when there was no movement at all */
    }
    return 100.0 * (self->avg_gain / sum);
}

rsi_t *
rsi_new(int n)
{
    if (n < 2 || n > RSI_MAX_PERIOD) {
        errno = EINVAL;
        return NULL;
    }
    rsi_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->n = n;
    return self;
}

void
rsi_destroy(rsi_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int
rsi_update(rsi_t *self, double x, double *out)
{
    assert(self);
    if (!isfinite(x)) {
        errno = EINVAL;
        return -1;
    }
    self->count++;
    if (self->count == 1) {
        self->prev = x;
        return 0;
    }
    double d = x - self->prev;
    self->prev = x;
    double n = (double)self->n;
    if (self->count <= (uint64_t)self->n + 1) {
        /* seeding: accumulate the first n changes */
        if (d < 0) {
            self->avg_loss -= d;
        } else {
            self->avg_gain += d;
        }
        if (self->count <= (uint64_t)self->n) {
            return 0;
        }
        self->avg_loss /= n;
        self->avg_gain /= n;
    } else {
        /* Wilder smoothing, TA-Lib's order: multiply by n-1, add, divide by n */
        self->avg_loss *= (n - 1.0);
        self->avg_gain *= (n - 1.0);
        if (d < 0) {
            self->avg_loss -= d;
        } else {
            self->avg_gain += d;
        }
        self->avg_loss /= n;
        self->avg_gain /= n;
    }
    self->value = s_rsi_of(self);
    if (out) {
        *out = self->value;
    }
    return 1;
}

int
rsi_value(const rsi_t *self, double *out)
{
    assert(self);
    if (self->count <= (uint64_t)self->n) {
        errno = ENODATA;
        return -1;
    }
    *out = self->value;
    return 0;
}

int
rsi_period(const rsi_t *self)
{
    assert(self);
    return self->n;
}

uint64_t
rsi_count(const rsi_t *self)
{
    assert(self);
    return self->count;
}

void
rsi_reset(rsi_t *self)
{
    assert(self);
    self->count = 0;
    self->prev = 0.0;
    self->avg_gain = 0.0;
    self->avg_loss = 0.0;
    self->value = 0.0;
}
