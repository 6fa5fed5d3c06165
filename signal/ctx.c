/*  ctx.c - regime, session, order flow, levels. See ctx.h. */
#include "signal/ctx.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_RING (2 * CTX_MAX_SWING + 1)

struct ctx {
    ctx_params_t p;
    /* regime */
    double atrs[CTX_MAX_ATRWIN];
    int n_atr, atr_pos;
    ctx_regime_t regime;
    double strength;
    double atr_pctile; /* p of the latest bar, -1 until atr_window ATRs exist */
    /* levels */
    ind_bar_t ring[S_RING];
    int64_t t;      /* bars taken */
    double vol_sum; /* volume of the bars in the ring (average bar volume) */
    ctx_level_t levels[CTX_MAX_LEVELS];
    int n_levels;
    uint64_t invalidated;
};

void
ctx_params_default(ctx_params_t *p)
{
    assert(p);
    p->adx_trend = 25;
    p->adx_strong = 50;
    p->adx_range = 20;
    p->volatile_pct = 90;
    p->atr_window = 100;
    sessions_default(&p->sessions);
    p->swing_n = 5;
    p->tol_bp = 10;
    p->max_age_bars = 500;
    p->book_levels = 5;
}

ctx_t *
ctx_new(const ctx_params_t *p)
{
    assert(p);
    if (!(p->adx_range <= p->adx_trend && p->adx_strong > p->adx_trend && p->adx_range > 0)
        || sessions_check(&p->sessions) != 0 || p->atr_window < 10 || p->atr_window > CTX_MAX_ATRWIN
        || p->swing_n < 1 || p->swing_n > CTX_MAX_SWING || !(p->tol_bp >= 0 && p->tol_bp <= 1000)
        || p->book_levels < 1 || p->book_levels > CODEC_LEVELS || p->max_age_bars < 1
        || !(p->volatile_pct > 0 && p->volatile_pct <= 100)) {
        errno = EINVAL;
        return NULL;
    }
    ctx_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->p = *p;
    self->atr_pctile = -1;
    return self;
}

void
ctx_destroy(ctx_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

static double
s_clamp(double x)
{
    return x < 0 ? 0 : x > 100 ? 100 : x;
}

static void
s_regime(ctx_t *self, double close, const ind_t *ind)
{
    const ctx_params_t *p = &self->p;
    double atr, adx, e20, e50;
    if (ind_get(ind, IND_ATR, &atr) != 0) {
        self->regime = CTX_NEUTRAL;
        self->strength = 0;
        self->atr_pctile = -1;
        return;
    }
    self->atrs[self->atr_pos] = atr;
    self->atr_pos = (self->atr_pos + 1) % p->atr_window;
    if (self->n_atr < p->atr_window) {
        self->n_atr++;
    }
    if (self->n_atr < p->atr_window) {
        self->regime = CTX_NEUTRAL;
        self->strength = 0;
        self->atr_pctile = -1;
        return;
    }
    int below = 0;
    for (int i = 0; i < self->n_atr; i++) {
        below += self->atrs[i] < atr;
    }
    double pct = 100.0 * below / self->n_atr;
    self->atr_pctile = pct;
    if (ind_get(ind, IND_ADX, &adx) != 0) {
        self->regime = CTX_NEUTRAL;
        self->strength = 0;
        return;
    }
    bool have_ema = ind_ema(ind, 20, &e20) == 0 && ind_ema(ind, 50, &e50) == 0;
    if (pct >= p->volatile_pct) {
        self->regime = CTX_VOLATILE;
        self->strength = s_clamp(pct);
    } else if (have_ema && adx >= p->adx_trend && close > e20 && e20 > e50) {
        self->regime = CTX_TRENDING_UP;
        self->strength = s_clamp(50 + 50 * (adx - p->adx_trend) / (p->adx_strong - p->adx_trend));
    } else if (have_ema && adx >= p->adx_trend && close < e20 && e20 < e50) {
        self->regime = CTX_TRENDING_DOWN;
        self->strength = s_clamp(50 + 50 * (adx - p->adx_trend) / (p->adx_strong - p->adx_trend));
    } else if (adx < p->adx_range) {
        self->regime = CTX_RANGING;
        self->strength = s_clamp(100 * (p->adx_range - adx) / p->adx_range);
    } else {
        self->regime = CTX_CHOPPY;
        self->strength = 50;
    }
}

static bool
s_near(double a, double level, double tol_bp)
{
    return fabs(a - level) <= level * tol_bp / 10000.0;
}

static void
s_add_level(ctx_t *self, double px, int kind, double vol, int64_t bar_idx, int64_t ts)
{
    for (int i = 0; i < self->n_levels; i++) {
        ctx_level_t *l = &self->levels[i];
        if (l->kind == kind && s_near(px, l->price, self->p.tol_bp)) {
            l->tests++;
            l->volume += vol;
            l->last_test_ns = ts;
            return;
        }
    }
    int slot = self->n_levels;
    if (slot == CTX_MAX_LEVELS) {
        slot = 0;
        for (int i = 1; i < self->n_levels; i++) {
            if (self->levels[i].strength < self->levels[slot].strength) {
                slot = i;
            }
        }
    } else {
        self->n_levels++;
    }
    self->levels[slot] = (ctx_level_t){ .price = px,
                                        .kind = kind,
                                        .tests = 0,
                                        .volume = vol,
                                        .born_bar = bar_idx,
                                        .last_test_ns = ts,
                                        .strength = 0 };
}

static void
s_levels(ctx_t *self, const ind_bar_t *b)
{
    const ctx_params_t *p = &self->p;
    const int n = p->swing_n, w = 2 * n + 1;
    /* tests and invalidation by this bar (before adding new swings: a swing is never its own
     * test) */
    for (int i = 0; i < self->n_levels;) {
        ctx_level_t *l = &self->levels[i];
        double tol = l->price * p->tol_bp / 10000.0;
        bool through = l->kind > 0 ? b->close > l->price + tol : b->close < l->price - tol;
        if (through) {
            self->levels[i] = self->levels[--self->n_levels];
            self->invalidated++;
            continue;
        }
        double probe = l->kind > 0 ? b->high : b->low;
        if (s_near(probe, l->price, p->tol_bp)
            || (l->kind > 0 ? b->high > l->price : b->low < l->price)) {
            l->tests++;
            l->volume += b->volume;
            l->last_test_ns = b->start_ns;
        }
        i++;
    }
    self->ring[self->t % S_RING] = *b;
    self->vol_sum += b->volume;
    if (self->t >= w) {
        self->vol_sum -= self->ring[(self->t - w) % S_RING].volume;
    }
    self->t++;
    if (self->t >= w) {
        /* candidate: the bar n back from the newest */
        int64_t c = self->t - 1 - n;
        const ind_bar_t *cb = &self->ring[c % S_RING];
        bool hi = true, lo = true;
        for (int64_t j = c - n; j <= c + n; j++) {
            if (j == c) {
                continue;
            }
            const ind_bar_t *o = &self->ring[j % S_RING];
            hi = hi && cb->high > o->high;
            lo = lo && cb->low < o->low;
        }
        if (hi) {
            s_add_level(self, cb->high, +1, cb->volume, c, cb->start_ns);
        }
        if (lo) {
            s_add_level(self, cb->low, -1, cb->volume, c, cb->start_ns);
        }
    }
    double avg = self->t >= w ? self->vol_sum / w : 0;
    for (int i = 0; i < self->n_levels; i++) {
        ctx_level_t *l = &self->levels[i];
        double age = (double)(self->t - 1 - l->born_bar);
        double vt = avg > 0 ? 25 * l->volume / (n * avg) : 0;
        double at = 1 - age / p->max_age_bars;
        l->strength = s_clamp(fmin(60, 20.0 * l->tests) + fmin(25, vt) + 15 * (at > 0 ? at : 0));
    }
}

int
ctx_on_bar(ctx_t *self, const ind_bar_t *bar, const ind_t *ind)
{
    assert(self && bar && ind);
    if (!isfinite(bar->high) || !isfinite(bar->low) || !isfinite(bar->close)
        || !isfinite(bar->volume) || bar->high < bar->low) {
        errno = EINVAL;
        return -1;
    }
    s_regime(self, bar->close, ind);
    s_levels(self, bar);
    return 0;
}

double
ctx_atr_pctile(const ctx_t *self)
{
    assert(self);
    return self->atr_pctile;
}

ctx_regime_t
ctx_regime(const ctx_t *self, double *strength)
{
    assert(self);
    if (strength) {
        *strength = self->strength;
    }
    return self->regime;
}

const char *
ctx_regime_name(ctx_regime_t r)
{
    static const char *const k_names[] = { "NEUTRAL", "TRENDING_UP", "TRENDING_DOWN",
                                           "RANGING", "VOLATILE",    "CHOPPY" };
    return (unsigned)r < 6 ? k_names[r] : "?";
}

ctx_session_t
ctx_session(const ctx_params_t *p, int64_t ts_ns)
{
    assert(p);
    return sessions_of(&p->sessions, ts_ns);
}

const char *
ctx_session_name(ctx_session_t s)
{
    return sessions_name(s);
}

void
ctx_flow(const codec_sig_bar_t *bar, int64_t *buy, int64_t *sell, int64_t *delta)
{
    assert(bar && buy && sell && delta);
    int64_t b = bar->taker_buy_volume < bar->volume ? bar->taker_buy_volume : bar->volume;
    *buy = b;
    *sell = bar->volume - b;
    *delta = b - *sell;
}

double
ctx_imbalance(const codec_md_book_t *book, int n)
{
    assert(book);
    double b = 0, a = 0;
    for (int i = 0; i < n && i < (int)book->n_bids && i < CODEC_LEVELS; i++) {
        b += (double)book->bids[i].qty;
    }
    for (int i = 0; i < n && i < (int)book->n_asks && i < CODEC_LEVELS; i++) {
        a += (double)book->asks[i].qty;
    }
    return a + b > 0 ? (b - a) / (a + b) : 0.0;
}

int
ctx_levels(const ctx_t *self, const ctx_level_t **levels)
{
    assert(self && levels);
    *levels = self->levels;
    return self->n_levels;
}

uint64_t
ctx_invalidated(const ctx_t *self)
{
    assert(self);
    return self->invalidated;
}

int
ctx_level_near(const ctx_t *self, double px, int kind, double max_bp, ctx_level_t *out)
{
    assert(self && out);
    int best = -1;
    for (int i = 0; i < self->n_levels; i++) {
        const ctx_level_t *l = &self->levels[i];
        if (l->kind == kind && s_near(px, l->price, max_bp)
            && (best < 0 || l->strength > self->levels[best].strength)) {
            best = i;
        }
    }
    if (best < 0) {
        errno = ENOENT;
        return -1;
    }
    *out = self->levels[best];
    return 0;
}

const ctx_params_t *
ctx_params(const ctx_t *self)
{
    assert(self);
    return &self->p;
}
