/*  mtf.c - base bars -> UTC-aligned higher timeframes. See mtf.h. */
#include "signal/mtf.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/money.h"

#define S_NS 1000000000LL

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int base_tf_s, tf_s;
    bool open;          /* bar holds an open aggregate */
    int64_t last_start; /* start of the last base bar taken; INT64_MIN before any */
    codec_sig_bar_t bar;
} s_series_t;

struct mtf {
    mtf_emit_fn *emit;
    void *arg;
    s_series_t series[MTF_MAX_SERIES];
    size_t n;
    mtf_stats_t stats;
};

mtf_t *
mtf_new(mtf_emit_fn *emit, void *arg)
{
    if (!emit) {
        errno = EINVAL;
        return NULL;
    }
    mtf_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->emit = emit;
    self->arg = arg;
    return self;
}

void
mtf_destroy(mtf_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int
mtf_add(mtf_t *self, const char *venue, const char *symbol, int base_tf_s, int tf_s)
{
    assert(self);
    if (!venue || !symbol || !venue[0] || !symbol[0] || strlen(venue) >= CODEC_VENUE_MAX
        || strlen(symbol) >= CODEC_SYM_MAX || base_tf_s < 1 || tf_s <= base_tf_s
        || tf_s % base_tf_s != 0 || (86400 % tf_s != 0 && tf_s % 86400 != 0)) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < self->n; i++) {
        s_series_t *s = &self->series[i];
        if (s->base_tf_s == base_tf_s && s->tf_s == tf_s && strcmp(s->venue, venue) == 0
            && strcmp(s->symbol, symbol) == 0) {
            errno = EEXIST;
            return -1;
        }
    }
    if (self->n == MTF_MAX_SERIES) {
        errno = ENOSPC;
        return -1;
    }
    s_series_t *s = &self->series[self->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->venue, sizeof s->venue, "%s", venue);
    snprintf(s->symbol, sizeof s->symbol, "%s", symbol);
    s->base_tf_s = base_tf_s;
    s->tf_s = tf_s;
    s->last_start = INT64_MIN;
    return 0;
}

static void
s_close(mtf_t *self, s_series_t *s, int64_t evt)
{
    codec_sig_bar_t *b = &s->bar;
    int64_t v;
    if (b->volume > 0 && b->quote_volume > 0
        && money_div(b->quote_volume, MONEY_VALUE_SCALE, b->volume, b->qty_scale, b->px_scale,
                     MONEY_ROUND_HALF_EVEN, &v)
               == 0) {
        b->vwap = v;
    } else {
        b->vwap = b->close;
    }
    s->open = false;
    self->stats.out++;
    self->emit(b, evt, self->arg);
}

int
mtf_on_bar(mtf_t *self, const codec_sig_bar_t *in, int64_t evt)
{
    assert(self && in);
    if (in->tf_s < 1 || in->end_ns != in->start_ns + (int64_t)in->tf_s * S_NS || in->high < in->low
        || in->start_ns < 0) {
        self->stats.bad++;
        errno = EINVAL;
        return -1;
    }
    int emitted = 0;
    for (size_t i = 0; i < self->n; i++) {
        s_series_t *s = &self->series[i];
        if (s->base_tf_s != in->tf_s || strcmp(s->symbol, in->symbol) != 0
            || strcmp(s->venue, in->venue) != 0) {
            continue;
        }
        if (s->open && (in->px_scale != s->bar.px_scale || in->qty_scale != s->bar.qty_scale)) {
            self->stats.bad++;
            errno = EINVAL;
            return -1;
        }
        if (in->start_ns <= s->last_start) {
            self->stats.late++;
            continue;
        }
        self->stats.in++;
        s->last_start = in->start_ns;
        const int64_t tf_ns = (int64_t)s->tf_s * S_NS;
        const int64_t start = in->start_ns / tf_ns * tf_ns;
        if (s->open && start != s->bar.start_ns) {
            s_close(self, s, evt); /* its last base bar never came */
            emitted++;
        }
        codec_sig_bar_t *b = &s->bar;
        if (!s->open) {
            *b = *in;
            b->tf_s = s->tf_s;
            b->start_ns = start;
            b->end_ns = start + tf_ns;
            s->open = true;
        } else {
            b->high = in->high > b->high ? in->high : b->high;
            b->low = in->low < b->low ? in->low : b->low;
            b->close = in->close;
            /* int64 sums: a day of BTC quote volume at scale 8 is ~1e18 at most; saturate
             * rather than wrap if a venue ever goes beyond */
            if (__builtin_add_overflow(b->volume, in->volume, &b->volume)
                || __builtin_add_overflow(b->taker_buy_volume, in->taker_buy_volume,
                                          &b->taker_buy_volume)
                || __builtin_add_overflow(b->quote_volume, in->quote_volume, &b->quote_volume)
                || __builtin_add_overflow(b->trades, in->trades, &b->trades)) {
                b->quote_volume = b->quote_volume < 0 ? INT64_MAX : b->quote_volume;
                b->volume = b->volume < 0 ? INT64_MAX : b->volume;
            }
        }
        if (in->end_ns == b->end_ns) {
            s_close(self, s, evt);
            emitted++;
        }
    }
    return emitted;
}

const mtf_stats_t *
mtf_stats(const mtf_t *self)
{
    assert(self);
    return &self->stats;
}

size_t
mtf_n_bases(const mtf_t *self)
{
    assert(self);
    return self->n;
}

int
mtf_base(const mtf_t *self, size_t i, const char **venue, const char **symbol, int *tf_s)
{
    assert(self && venue && symbol && tf_s);
    if (i >= self->n) {
        errno = ERANGE;
        return -1;
    }
    *venue = self->series[i].venue;
    *symbol = self->series[i].symbol;
    *tf_s = self->series[i].base_tf_s;
    return 0;
}
