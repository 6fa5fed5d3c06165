/*  bars.c - closed bars from klines and from trades. Rules and units in bars.h;
 *  docs/signal.md "Bars" is the long form.
 */
#include "signal/bars.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/money.h"

#define S_NS_PER_S 1000000000LL

typedef struct {
    bool used;
    bool from_trades; /* configured trade series (else: a kline series seen on the bus) */
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int tf_s;
    /* kline series */
    bool has_last;
    int64_t last_start; /* start_ns of the last bar emitted */
    /* trade series */
    bool open;           /* `bar` holds the bar being built */
    codec_sig_bar_t bar; /* OHLC, volumes, count of the open bar (vwap filled at close) */
    int64_t closed_end;  /* end_ns of the last bar a grace close emitted while no bar is open
                            (0 = none): a trade before it is late */
} s_series_t;

struct bars {
    bars_emit_fn *emit;
    void *arg;
    int64_t grace_ns; /* bars_set_grace: 0 = off */
    s_series_t series[BARS_MAX_SERIES];
    bars_stats_t stats;
};

static bool
s_name_ok(const char *s, size_t cap)
{
    return s && s[0] != '\0' && strnlen(s, cap) < cap;
}

static bool
s_scale_ok(int32_t scale)
{
    return scale >= 0 && scale <= MONEY_MAX_SCALE;
}

static s_series_t *
s_find(bars_t *self, const char *venue, const char *symbol, int tf_s, bool from_trades)
{
    for (size_t i = 0; i < BARS_MAX_SERIES; i++) {
        s_series_t *s = &self->series[i];
        if (s->used && s->tf_s == tf_s && s->from_trades == from_trades
            && strcmp(s->venue, venue) == 0 && strcmp(s->symbol, symbol) == 0) {
            return s;
        }
    }
    return NULL;
}

static s_series_t *
s_alloc(bars_t *self, const char *venue, const char *symbol, int tf_s, bool from_trades)
{
    for (size_t i = 0; i < BARS_MAX_SERIES; i++) {
        s_series_t *s = &self->series[i];
        if (!s->used) {
            memset(s, 0, sizeof *s);
            s->used = true;
            s->from_trades = from_trades;
            snprintf(s->venue, sizeof s->venue, "%s", venue);
            snprintf(s->symbol, sizeof s->symbol, "%s", symbol);
            s->tf_s = tf_s;
            return s;
        }
    }
    errno = ENOSPC;
    return NULL;
}

/* VWAP = quote volume / base volume at px_scale, half-even; the close when there is no
 * volume (a kline of an interval without trades) or the division does not fit. */
static int64_t
s_vwap(const codec_sig_bar_t *b)
{
    int64_t v;
    if (b->volume <= 0 || b->quote_volume <= 0
        || money_div(b->quote_volume, MONEY_VALUE_SCALE, b->volume, b->qty_scale, b->px_scale,
                     MONEY_ROUND_HALF_EVEN, &v)
               != 0) {
        return b->close;
    }
    return v;
}

bars_t *
bars_new(bars_emit_fn *emit, void *arg)
{
    if (!emit) {
        errno = EINVAL;
        return NULL;
    }
    bars_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->emit = emit;
    self->arg = arg;
    return self;
}

void
bars_destroy(bars_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int
bars_add_trade_series(bars_t *self, const char *venue, const char *symbol, int tf_s)
{
    assert(self);
    if (!s_name_ok(venue, CODEC_VENUE_MAX) || !s_name_ok(symbol, CODEC_SYM_MAX) || tf_s < 1
        || tf_s > BARS_MAX_TF_S) {
        errno = EINVAL;
        return -1;
    }
    if (s_find(self, venue, symbol, tf_s, true)) {
        errno = EEXIST;
        return -1;
    }
    return s_alloc(self, venue, symbol, tf_s, true) ? 0 : -1;
}

static bool
s_kline_ok(const codec_md_kline_t *k)
{
    return s_name_ok(k->venue, sizeof k->venue) && s_name_ok(k->symbol, sizeof k->symbol)
           && k->interval_s >= 1 && k->interval_s <= BARS_MAX_TF_S && k->end_ns > k->start_ns
           && s_scale_ok(k->px_scale) && s_scale_ok(k->qty_scale) && k->low <= k->high
           && k->open >= k->low && k->open <= k->high && k->close >= k->low && k->close <= k->high
           && k->volume >= 0 && k->quote_volume >= 0 && k->taker_buy_volume >= 0 && k->trades >= 0;
}

int
bars_on_kline(bars_t *self, const codec_md_kline_t *k)
{
    assert(self && k);
    if (!s_kline_ok(k)) {
        self->stats.bad++;
        errno = EINVAL;
        return -1;
    }
    if (!k->closed) {
        self->stats.kline_open++;
        return 0;
    }
    if (s_find(self, k->venue, k->symbol, k->interval_s, true)) {
        self->stats.kline_shadowed++;
        return 0;
    }
    s_series_t *s = s_find(self, k->venue, k->symbol, k->interval_s, false);
    if (!s) {
        s = s_alloc(self, k->venue, k->symbol, k->interval_s, false);
        if (!s) {
            return -1; /* ENOSPC */
        }
    }
    if (s->has_last && k->start_ns <= s->last_start) {
        self->stats.kline_dups++;
        return 0;
    }
    codec_sig_bar_t b;
    memset(&b, 0, sizeof b);
    codec_str(b.venue, sizeof b.venue, k->venue);
    codec_str(b.symbol, sizeof b.symbol, k->symbol);
    codec_str(b.source, sizeof b.source, "kline");
    b.px_scale = k->px_scale;
    b.qty_scale = k->qty_scale;
    b.tf_s = k->interval_s;
    b.start_ns = k->start_ns;
    b.end_ns = k->end_ns;
    b.open = k->open;
    b.high = k->high;
    b.low = k->low;
    b.close = k->close;
    b.volume = k->volume;
    b.taker_buy_volume = k->taker_buy_volume;
    b.quote_volume = k->quote_volume;
    b.trades = k->trades;
    b.vwap = s_vwap(&b);
    s->has_last = true;
    s->last_start = k->start_ns;
    self->stats.kline_bars++;
    self->emit(&b, k->ts_event > 0 ? k->ts_event : k->end_ns, self->arg);
    return 1;
}

static bool
s_trade_ok(const codec_md_trade_t *t)
{
    return s_name_ok(t->venue, sizeof t->venue) && s_name_ok(t->symbol, sizeof t->symbol)
           && t->px > 0 && t->qty > 0 && (t->side == 1 || t->side == -1) && s_scale_ok(t->px_scale)
           && s_scale_ok(t->qty_scale) && t->ts_event >= 0;
}

/* Start the bar of trade t's own interval in series s. */
static void
s_open_bar(s_series_t *s, const codec_md_trade_t *t, int64_t quote)
{
    int64_t tf_ns = (int64_t)s->tf_s * S_NS_PER_S;
    codec_sig_bar_t *b = &s->bar;
    memset(b, 0, sizeof *b);
    codec_str(b->venue, sizeof b->venue, s->venue);
    codec_str(b->symbol, sizeof b->symbol, s->symbol);
    codec_str(b->source, sizeof b->source, "trades");
    b->px_scale = t->px_scale;
    b->qty_scale = t->qty_scale;
    b->tf_s = s->tf_s;
    b->start_ns = t->ts_event - (t->ts_event % tf_ns); /* ts_event >= 0: floor */
    b->end_ns = b->start_ns + tf_ns;
    b->open = b->high = b->low = b->close = t->px;
    b->volume = t->qty;
    b->taker_buy_volume = t->side > 0 ? t->qty : 0;
    b->quote_volume = quote;
    b->trades = 1;
    s->open = true;
}

/* What trade t does to series s (same venue/symbol). */
typedef enum { S_ADD, S_CLOSE, S_LATE, S_START } s_action_t;

static s_action_t
s_action(const s_series_t *s, const codec_md_trade_t *t)
{
    if (!s->open) {
        return t->ts_event < s->closed_end ? S_LATE : S_START;
    }
    if (t->ts_event < s->bar.start_ns) {
        return S_LATE;
    }
    if (t->ts_event >= s->bar.end_ns) {
        return S_CLOSE;
    }
    return S_ADD;
}

int
bars_on_trade(bars_t *self, const codec_md_trade_t *t)
{
    assert(self && t);
    if (!s_trade_ok(t)) {
        self->stats.bad++;
        errno = EINVAL;
        return -1;
    }
    int64_t quote;
    if (money_mul(t->px, t->px_scale, t->qty, t->qty_scale, MONEY_VALUE_SCALE,
                  MONEY_ROUND_HALF_EVEN, &quote)
        != 0) {
        errno = ERANGE;
        return -1;
    }
    /* pass 1: refuse before touching any series */
    for (size_t i = 0; i < BARS_MAX_SERIES; i++) {
        const s_series_t *s = &self->series[i];
        if (!s->used || !s->from_trades || strcmp(s->venue, t->venue) != 0
            || strcmp(s->symbol, t->symbol) != 0) {
            continue;
        }
        if (s->open && (s->bar.px_scale != t->px_scale || s->bar.qty_scale != t->qty_scale)) {
            self->stats.bad++;
            errno = EINVAL;
            return -1;
        }
        int64_t tmp;
        if (s_action(s, t) == S_ADD
            && (money_add(s->bar.volume, t->qty, &tmp) != 0
                || money_add(s->bar.quote_volume, quote, &tmp) != 0)) {
            errno = ERANGE;
            return -1;
        }
    }
    /* pass 2: apply */
    int emitted = 0;
    for (size_t i = 0; i < BARS_MAX_SERIES; i++) {
        s_series_t *s = &self->series[i];
        if (!s->used || !s->from_trades || strcmp(s->venue, t->venue) != 0
            || strcmp(s->symbol, t->symbol) != 0) {
            continue;
        }
        codec_sig_bar_t *b = &s->bar;
        switch (s_action(s, t)) {
        case S_LATE:
            self->stats.late_trades++;
            continue;
        case S_CLOSE:
            b->vwap = s_vwap(b);
            self->stats.trade_bars++;
            emitted++;
            self->emit(b, t->ts_event, self->arg);
            s_open_bar(s, t, quote);
            break;
        case S_START:
            s_open_bar(s, t, quote);
            s->closed_end = 0;
            break;
        case S_ADD:
            if (t->px > b->high) {
                b->high = t->px;
            }
            if (t->px < b->low) {
                b->low = t->px;
            }
            b->close = t->px;
            b->volume += t->qty; /* overflow excluded in pass 1 */
            b->quote_volume += quote;
            if (t->side > 0) {
                b->taker_buy_volume += t->qty; /* <= volume */
            }
            b->trades++;
            break;
        }
        self->stats.trades++;
    }
    return emitted;
}

int
bars_set_grace(bars_t *self, int64_t grace_ns)
{
    assert(self);
    if (grace_ns < 0 || grace_ns > (int64_t)BARS_MAX_TF_S * S_NS_PER_S) {
        errno = EINVAL;
        return -1;
    }
    self->grace_ns = grace_ns;
    return 0;
}

int
bars_on_time(bars_t *self, const char *venue, const char *symbol, int64_t t_ns)
{
    assert(self && venue && symbol);
    if (self->grace_ns <= 0 || t_ns < 0) {
        return 0;
    }
    int emitted = 0;
    for (size_t i = 0; i < BARS_MAX_SERIES; i++) {
        s_series_t *s = &self->series[i];
        if (!s->used || !s->from_trades || !s->open || strcmp(s->venue, venue) != 0
            || strcmp(s->symbol, symbol) != 0) {
            continue;
        }
        if (t_ns - self->grace_ns < s->bar.end_ns) { /* t >= 0, grace >= 0: no overflow */
            continue;
        }
        codec_sig_bar_t *b = &s->bar;
        b->vwap = s_vwap(b);
        s->open = false;
        s->closed_end = b->end_ns;
        self->stats.trade_bars++;
        self->stats.grace_closes++;
        emitted++;
        self->emit(b, t_ns, self->arg);
    }
    return emitted;
}

int64_t
bars_trade_window_start(const bars_t *self, const char *venue, const char *symbol, int64_t t_ns)
{
    assert(self && venue && symbol);
    int64_t start = -1;
    for (size_t i = 0; i < BARS_MAX_SERIES && t_ns >= 0; i++) {
        const s_series_t *s = &self->series[i];
        if (!s->used || !s->from_trades || strcmp(s->venue, venue) != 0
            || strcmp(s->symbol, symbol) != 0) {
            continue;
        }
        int64_t tf_ns = (int64_t)s->tf_s * S_NS_PER_S;
        int64_t b = t_ns - t_ns % tf_ns;
        if (start < 0 || b < start) {
            start = b;
        }
    }
    return start;
}

const bars_stats_t *
bars_stats(const bars_t *self)
{
    assert(self);
    return &self->stats;
}

const char *
bars_tf_name(int tf_s, char *buf, size_t cap)
{
    static const struct {
        int tf_s;
        const char *name;
    } k_names[] = { { 1, "1s" },     { 60, "1m" },     { 180, "3m" },   { 300, "5m" },
                    { 900, "15m" },  { 1800, "30m" },  { 3600, "1h" },  { 7200, "2h" },
                    { 14400, "4h" }, { 21600, "6h" },  { 28800, "8h" }, { 43200, "12h" },
                    { 86400, "1d" }, { 259200, "3d" }, { 604800, "1w" } };
    if (!buf || cap == 0) {
        return buf;
    }
    buf[0] = '\0';
    if (tf_s <= 0) {
        return buf;
    }
    int n = -1;
    for (size_t i = 0; i < sizeof k_names / sizeof k_names[0]; i++) {
        if (k_names[i].tf_s == tf_s) { /* every bar: no snprintf (docs/backtest.md "Speed") */
            size_t len = strlen(k_names[i].name);
            if (len >= cap) {
                len = cap - 1;
            }
            memcpy(buf, k_names[i].name, len);
            buf[len] = '\0';
            n = (int)len;
            break;
        }
    }
    if (n < 0) {
        n = snprintf(buf, cap, "%ds", tf_s);
    }
    if (n < 0 || (size_t)n >= cap) {
        buf[0] = '\0';
    }
    return buf;
}
