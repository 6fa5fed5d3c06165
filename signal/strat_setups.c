/*  strat_setups.c - rejection / breakdown setups with a life cycle. See strat_setups.h. */
#include "signal/strat_setups.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/money.h"
#include "signal/ctx.h"

#define S_MOD "signal"

typedef struct {
    setup_state_t st;
    double level;
    int bars;          /* bars since FORMING */
    double first_high; /* high of the forming bar (divergence reference) */
    double first_hist; /* MACD histogram then (NAN if none) */
    int pre;           /* preconditions seen */
    char pre_s[48];    /* their names, comma-separated */
} s_setup_t;

/* The prices of a setup (strat_setups.h "Prices"), mantissas at the bar's px_scale. */
typedef struct {
    int64_t level, zone_lo, zone_hi, ref, sl, tp1, tp2;
} s_plan_t;

/* A higher timeframe built inside the instance from its own bars (UTC-aligned buckets of
 * tf_s); a bucket closes when the first bar of a later bucket arrives (so only closed
 * information is ever used). */
typedef struct {
    int64_t tf_ns;
    int64_t start; /* current bucket start, INT64_MIN before the first bar */
    ind_bar_t cur;
    int64_t closed; /* buckets closed */
} s_agg_t;

typedef struct {
    su_series_t s;
    ind_t *ind;
    ctx_t *ctx;
    /* issue 17 gates (off by default) */
    double vol_decline_k; /* vol_decline: volume < k * vol_ma20 (1.0; the plan's 0.5) */
    int daily_ema;        /* daily gate: EMA period of daily closes, 0 = off */
    s_agg_t day;          /* daily bars of the series */
    double d_ema, d_sum;  /* EMA of the daily closes (seeded with their SMA) */
    double d_close;       /* last closed day's close */
    bool level_4h;        /* 4h level rule */
    s_agg_t h4;           /* 4h bars of the series */
    ind_t *ind4;
    ctx_t *ctx4; /* swing levels of the 4h bars */
    double zone_bp, tol_bp, stop_bp, min_level_strength, rsi_high, rsi_low, spike_k, wick_ratio;
    double tp1_rr, tp2_rr;
    int max_bars;
    int64_t last_start;
    s_setup_t rej, brk;
    setup_counts_t counts;
    /* the bar being handled (valid during s_on_bar only) */
    const codec_sig_bar_t *bar;
    int64_t evt, tick;
    codec_sig_setup_t ev[SETUP_MAX_EVENTS]; /* life-cycle changes of the last bar */
    int n_ev;
} s_self_t;
_Static_assert(offsetof(s_self_t, s) == 0, "su_ops_* read the series at the start");
_Static_assert(sizeof(((su_series_t *)0)->name) == sizeof(((codec_sig_setup_t *)0)->strategy)
                   && sizeof(((su_series_t *)0)->venue) == sizeof(((codec_sig_setup_t *)0)->venue)
                   && sizeof(((su_series_t *)0)->symbol)
                          == sizeof(((codec_sig_setup_t *)0)->symbol),
               "s_to copies the names whole");

static void s_destroy(void **impl_p);

static void *
s_from_cfg(cfg_t *cfg, const char *path)
{
    static const char *const k_known[] = { "name",
                                           "type",
                                           "venue",
                                           "symbol",
                                           "tf_s",
                                           "swing_n",
                                           "zone_bp",
                                           "tol_bp",
                                           "stop_bp",
                                           "min_level_strength",
                                           "rsi_high",
                                           "rsi_low",
                                           "spike_k",
                                           "wick_ratio",
                                           "tp1_rr",
                                           "tp2_rr",
                                           "max_bars",
                                           "vol_decline_k",
                                           "daily_ema",
                                           "level_4h",
                                           "level_4h_swing_n",
                                           NULL };
    char k[224];
    int64_t v;
    if (cfg_check_keys(cfg, path, k_known) != 0) {
        return NULL;
    }
    s_self_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    void *impl = self;
    self->last_start = INT64_MIN;
    if (su_cfg_series(cfg, path, &self->s) != 0) {
        goto fail;
    }
    ctx_params_t cp;
    ctx_params_default(&cp);
    snprintf(k, sizeof k, "%s.swing_n", path);
    if (cfg_int(cfg, k, 5, 1, CTX_MAX_SWING, false, &v) != 0) {
        goto fail;
    }
    cp.swing_n = (int)v;
    snprintf(k, sizeof k, "%s.max_bars", path);
    if (cfg_int(cfg, k, 20, 1, 100000, false, &v) != 0) {
        goto fail;
    }
    self->max_bars = (int)v;
    static const su_dbl_key_t k_dbl[] = {
        { "zone_bp", offsetof(s_self_t, zone_bp), 15, 0.01, 5000 },
        { "tol_bp", offsetof(s_self_t, tol_bp), 10, 0, 5000 },
        { "stop_bp", offsetof(s_self_t, stop_bp), 20, 0.01, 5000 },
        { "min_level_strength", offsetof(s_self_t, min_level_strength), 40, 0, 100 },
        { "rsi_high", offsetof(s_self_t, rsi_high), 70, 0, 100 },
        { "rsi_low", offsetof(s_self_t, rsi_low), 30, 0, 100 },
        { "spike_k", offsetof(s_self_t, spike_k), 2, 1, 100 },
        { "wick_ratio", offsetof(s_self_t, wick_ratio), 0.5, 0.01, 1 },
        { "tp1_rr", offsetof(s_self_t, tp1_rr), 1.5, 0.1, 100 },
        { "tp2_rr", offsetof(s_self_t, tp2_rr), 3, 0.1, 100 },
        { "vol_decline_k", offsetof(s_self_t, vol_decline_k), 1, 0.01, 100 },
    };
    if (su_cfg_doubles(cfg, path, k_dbl, sizeof k_dbl / sizeof k_dbl[0], self) != 0) {
        goto fail;
    }
    cp.tol_bp = self->tol_bp;
    ind_params_t ip;
    ind_params_default(&ip);
    self->ind = ind_new(&ip);
    self->ctx = ctx_new(&cp);
    if (!self->ind || !self->ctx) {
        goto fail;
    }
    snprintf(k, sizeof k, "%s.daily_ema", path);
    if (cfg_int(cfg, k, 0, 0, 1000, false, &v) != 0) {
        goto fail;
    }
    self->daily_ema = (int)v;
    self->day = (s_agg_t){ .tf_ns = INT64_C(86400000000000), .start = INT64_MIN };
    self->h4 = (s_agg_t){ .tf_ns = INT64_C(14400000000000), .start = INT64_MIN };
    snprintf(k, sizeof k, "%s.level_4h", path);
    if (cfg_bool(cfg, k, false, &self->level_4h) != 0) {
        goto fail;
    }
    snprintf(k, sizeof k, "%s.level_4h_swing_n", path);
    if (cfg_int(cfg, k, 2, 1, CTX_MAX_SWING, false, &v) != 0) {
        goto fail;
    }
    if (self->level_4h) {
        ctx_params_t c4;
        ctx_params_default(&c4);
        c4.swing_n = (int)v;
        c4.tol_bp = self->tol_bp;
        self->ind4 = ind_new(&ip);
        self->ctx4 = ctx_new(&c4);
        if (!self->ind4 || !self->ctx4) {
            goto fail;
        }
    }
    return self;
fail:
    s_destroy(&impl);
    errno = EINVAL;
    return NULL;
}

static void
s_destroy(void **impl_p)
{
    s_self_t *self = *impl_p;
    if (self) {
        ind_destroy(&self->ind);
        ctx_destroy(&self->ctx);
        ind_destroy(&self->ind4);
        if (self->ctx4) {
            ctx_destroy(&self->ctx4);
        }
        free(self);
    }
    *impl_p = NULL;
}

static const char *
s_state_name(setup_state_t st)
{
    switch (st) {
    case SETUP_FORMING:
        return "FORMING";
    case SETUP_ACTIVE:
        return "ACTIVE";
    case SETUP_TRIGGERED:
        return "TRIGGERED";
    case SETUP_INVALIDATED:
        return "INVALIDATED";
    default:
        return "NONE";
    }
}

/* x (price units) to a mantissa at `scale`, half-even, then to the tick in `mode`. */
static int
s_px(double x, int scale, int64_t tick, money_round_t mode, int64_t *out)
{
    int64_t m;
    if (money_from_double(x, scale, MONEY_ROUND_HALF_EVEN, &m) != 0 || m <= 0) {
        return -1;
    }
    return money_round_to(m, tick, mode, out);
}

/* ref - ceil(rr * risk) rounded DOWN to the tick; 0 if it would not stay above 0. The product
 * of a config ratio and an integer is taken up to a relative 1e-12 (binary noise of rr: 0.1 *
 * 3000 must be 300, not 301). */
static int64_t
s_target(int64_t ref, int64_t risk, double rr, int64_t tick)
{
    double d = rr * (double)risk;
    int64_t dm, px, out;
    if (!(d >= 0 && d < 9e15)) {
        return 0;
    }
    dm = (int64_t)ceil(d * (1 - 1e-12));
    px = ref - dm;
    if (px <= 0 || money_round_to(px, tick, MONEY_ROUND_DOWN, &out) != 0 || out <= 0) {
        return 0;
    }
    return out;
}

/* The setup's prices on the current bar (strat_setups.h "Prices"). ref_close: TRIGGERED (ref =
 * the close) rather than the zone's middle. Fields that cannot be computed stay 0. */
static void
s_plan(const s_self_t *self, const s_setup_t *su, bool ref_close, s_plan_t *p)
{
    const int sc = self->bar->px_scale;
    const int64_t tick = self->tick;
    const double z = self->zone_bp / 1e4;
    memset(p, 0, sizeof *p);
    if (money_from_double(su->level, sc, MONEY_ROUND_HALF_EVEN, &p->level) != 0
        || s_px(su->level * (1 - z), sc, tick, MONEY_ROUND_DOWN, &p->zone_lo) != 0
        || s_px(su->level, sc, tick, MONEY_ROUND_UP, &p->zone_hi) != 0) {
        memset(p, 0, sizeof *p);
        return;
    }
    p->ref =
        ref_close ? self->bar->close : p->zone_lo + (p->zone_hi - p->zone_lo) / (2 * tick) * tick;
    int64_t sl;
    if (s_px(su->level * (1 + self->stop_bp / 1e4), sc, tick, MONEY_ROUND_UP, &sl) != 0
        || sl <= p->ref) {
        return; /* no stop above the entry: no levels */
    }
    p->sl = sl;
    p->tp1 = s_target(p->ref, sl - p->ref, self->tp1_rr, tick);
    p->tp2 = s_target(p->ref, sl - p->ref, self->tp2_rr, tick);
}

/* Change state and record the event (kind +1 rejection, -1 breakdown; why: the signals that
 * held or the reason of an invalidation). */
static void
s_to(s_self_t *self, s_setup_t *su, setup_state_t st, int kind, const char *why)
{
    su->st = st;
    if (st == SETUP_FORMING) {
        self->counts.formed++;
    } else if (st == SETUP_ACTIVE) {
        self->counts.activated++;
    } else if (st == SETUP_TRIGGERED) {
        self->counts.triggered++;
    } else if (st == SETUP_INVALIDATED) {
        self->counts.invalidated++;
    }
    assert(self->n_ev < SETUP_MAX_EVENTS); /* at most 3 changes per kind and bar */
    codec_sig_setup_t *e = &self->ev[self->n_ev++];
    memset(e, 0, sizeof *e);
    /* same sizes (su_series_t uses the codec's), both NUL-terminated; memcpy, as gcc cannot
     * tell that two members of *self do not overlap */
    memcpy(e->strategy, self->s.name, sizeof e->strategy);
    memcpy(e->venue, self->s.venue, sizeof e->venue);
    memcpy(e->symbol, self->s.symbol, sizeof e->symbol);
    snprintf(e->kind, sizeof e->kind, "%s",
             kind > 0 ? "resistance_rejection" : "support_breakdown");
    snprintf(e->state, sizeof e->state, "%s", s_state_name(st));
    e->side = -1;
    e->px_scale = self->bar->px_scale;
    s_plan_t p;
    s_plan(self, su, st == SETUP_TRIGGERED, &p);
    e->level_px = p.level;
    e->zone_lo_px = p.zone_lo;
    e->zone_hi_px = p.zone_hi;
    e->ref_px = p.ref;
    e->sl_px = p.sl;
    e->tp1_px = p.tp1;
    e->tp2_px = p.tp2;
    e->bars = su->bars;
    e->ts_event = self->evt;
    size_t wl = strnlen(why, sizeof e->reason - 1); /* why may live in *self (pre_s) */
    memmove(e->reason, why, wl);
    e->reason[wl] = '\0';
    log_debug(S_MOD, "%s %s setup at %.8g -> %s (%s)", self->s.name, e->kind, su->level, e->state,
              why);
}

/* Add a base bar to an aggregate: 1 and *done = the bucket it closed, or 0. */
static int
s_agg(s_agg_t *a, const ind_bar_t *b, ind_bar_t *done)
{
    int64_t start = b->start_ns - ((b->start_ns % a->tf_ns) + a->tf_ns) % a->tf_ns;
    int closed = 0;
    if (a->start != INT64_MIN && start != a->start) {
        *done = a->cur;
        a->closed++;
        closed = 1;
    }
    if (start != a->start) {
        a->start = start;
        a->cur = *b;
        a->cur.start_ns = start;
    } else {
        a->cur.high = b->high > a->cur.high ? b->high : a->cur.high;
        a->cur.low = b->low < a->cur.low ? b->low : a->cur.low;
        a->cur.close = b->close;
        a->cur.volume += b->volume;
    }
    return closed;
}

/* The higher timeframes of the gates, fed before the bar's own rules (a bucket that the bar
 * closes is history by then). */
static void
s_gates_on_bar(s_self_t *self, const ind_bar_t *b)
{
    ind_bar_t d;
    if (self->daily_ema > 0 && s_agg(&self->day, b, &d) == 1) {
        /* EMA of daily closes, TA_EMA style: seed = SMA of the first n, then k = 2/(n+1) */
        int n = self->daily_ema;
        self->d_close = d.close;
        if (self->day.closed <= n) {
            self->d_sum += d.close;
            if (self->day.closed == n) {
                self->d_ema = self->d_sum / n;
            }
        } else {
            self->d_ema = (d.close - self->d_ema) * (2.0 / (n + 1)) + self->d_ema;
        }
    }
    if (self->level_4h && s_agg(&self->h4, b, &d) == 1) {
        if (ind_update(self->ind4, &d) == 0) {
            (void)ctx_on_bar(self->ctx4, &d, self->ind4);
        }
    }
}

/* Daily-regime gate for a SELL: open once daily_ema days are closed and the last closed day's
 * close is below their EMA (a daily downtrend); always open when off. */
static bool
s_daily_open(const s_self_t *self)
{
    return self->daily_ema <= 0
           || (self->day.closed >= self->daily_ema && self->d_close < self->d_ema);
}

/* 4h level rule: a live 4h swing level of the same kind within zone_bp of `level`. */
static bool
s_4h_ok(const s_self_t *self, double level, int kind)
{
    if (!self->level_4h) {
        return true;
    }
    const ctx_level_t *lv;
    int n = ctx_levels(self->ctx4, &lv);
    for (int i = 0; i < n; i++) {
        if (lv[i].kind == kind && fabs(lv[i].price - level) <= level * self->zone_bp / 1e4) {
            return true;
        }
    }
    return false;
}

/* strongest live level of `kind` matching the forming condition */
static int
s_find(const s_self_t *self, const ind_bar_t *b, int kind, double *level)
{
    const ctx_level_t *lv;
    int n = ctx_levels(self->ctx, &lv), best = -1;
    double z = self->zone_bp / 1e4;
    for (int i = 0; i < n; i++) {
        const ctx_level_t *l = &lv[i];
        if (l->kind != kind || l->strength < self->min_level_strength
            || !s_4h_ok(self, l->price, kind)) {
            continue;
        }
        bool ok = kind > 0 ? (b->high >= l->price * (1 - z) && b->close <= l->price)
                           : (b->low <= l->price * (1 + z) && b->close >= l->price);
        if (ok && (best < 0 || l->strength > lv[best].strength)) {
            best = i;
        }
    }
    if (best < 0) {
        return -1;
    }
    *level = lv[best].price;
    return 0;
}

/* TRIGGERED: the SELL signal, levels as the event's (s_plan with ref = close). 1, or 0 when
 * the close is at/above the stop (no sensible short). */
static int
s_emit(s_self_t *self, const s_setup_t *su, int n_sig, const char *what, const char *sigs,
       codec_sig_signal_t *out)
{
    s_plan_t p;
    s_plan(self, su, true, &p);
    if (p.sl == 0) {
        return 0;
    }
    double conf = 50 + 10 * n_sig;
    su_fill(out, &self->s, -1, conf > 100 ? 100 : conf, self->bar->px_scale, p.ref, p.sl, p.tp1,
            self->evt);
    snprintf(out->reason, sizeof out->reason, "setup %s L=%.8g TRIGGERED [%s] tp2=%.8g", what,
             su->level, sigs, money_to_double(p.tp2, self->bar->px_scale));
    return 1;
}

/* Append name to a comma-separated list in buf[cap]. */
static void
s_add(char *buf, size_t cap, bool cond, const char *name)
{
    size_t n = strlen(buf);
    if (cond && n < cap) {
        snprintf(buf + n, cap - n, "%s%s", n > 0 ? "," : "", name);
    }
}

static int
s_setup_events(void *impl, codec_sig_setup_t *out, int cap)
{
    s_self_t *self = impl;
    int n = self->n_ev < cap ? self->n_ev : cap;
    memcpy(out, self->ev, (size_t)n * sizeof *out);
    self->n_ev = 0;
    return n;
}

static int
s_on_bar(void *impl, const codec_sig_bar_t *bar, int64_t evt, const instr_t *instr,
         codec_sig_signal_t *out)
{
    s_self_t *self = impl;
    self->n_ev = 0;
    if (!su_is_series(&self->s, bar) || bar->start_ns <= self->last_start) {
        errno = EINVAL;
        return -1;
    }
    ind_bar_t b = su_ind_bar(bar);
    if (ind_update(self->ind, &b) != 0 || ctx_on_bar(self->ctx, &b, self->ind) != 0) {
        return -1;
    }
    s_gates_on_bar(self, &b);
    self->last_start = bar->start_ns;
    self->bar = bar;
    self->evt = evt;
    self->tick = su_tick(instr, bar->px_scale);
    double open = money_to_double(bar->open, bar->px_scale), rsi = NAN, vma = NAN, hist = NAN;
    (void)ind_get(self->ind, IND_RSI, &rsi);
    (void)ind_get(self->ind, IND_VOL_MA, &vma);
    (void)ind_get(self->ind, IND_MACD_HIST, &hist);
    const double z = self->zone_bp / 1e4, t = self->tol_bp / 1e4, range = b.high - b.low;
    const double body_top = b.close > open ? b.close : open;
    bool ob = rsi >= self->rsi_high, os = rsi <= self->rsi_low;
    bool spike = vma > 0 && b.volume >= self->spike_k * vma;
    bool decline = vma > 0 && b.volume < self->vol_decline_k * vma;
    bool gate = s_daily_open(self);
    bool wick = range > 0 && (b.high - body_top) >= self->wick_ratio * range && b.close < open;
    int fired = 0;
    char sigs[96], why[64];

    /* ---- resistance rejection ---- */
    s_setup_t *r = &self->rej;
    if (r->st == SETUP_FORMING || r->st == SETUP_ACTIVE) {
        r->bars++;
        bool through = b.close > r->level * (1 + t);
        if (through || r->bars > self->max_bars) {
            snprintf(why, sizeof why, "%s", through ? "closed through the level" : "expired");
            s_to(self, r, SETUP_INVALIDATED, +1, why);
        }
    }
    if (r->st != SETUP_FORMING && r->st != SETUP_ACTIVE) {
        double lvl;
        if (s_find(self, &b, +1, &lvl) == 0) {
            memset(r, 0, sizeof *r);
            r->level = lvl;
            r->first_high = b.high;
            r->first_hist = hist;
            s_to(self, r, SETUP_FORMING, +1, "zone");
        }
    }
    if (r->st == SETUP_FORMING) {
        bool div = r->bars > 0 && b.high > r->first_high && isfinite(hist)
                   && isfinite(r->first_hist) && hist < r->first_hist;
        r->pre = (int)ob + (int)spike + (int)div;
        if (r->pre > 0) {
            r->pre_s[0] = '\0';
            s_add(r->pre_s, sizeof r->pre_s, ob, "rsi_ob");
            s_add(r->pre_s, sizeof r->pre_s, spike, "vol_spike");
            s_add(r->pre_s, sizeof r->pre_s, div, "macd_div");
            s_to(self, r, SETUP_ACTIVE, +1, r->pre_s);
        }
    } else if (r->st == SETUP_ACTIVE) {
        bool in_zone = b.high >= r->level * (1 - z) && b.close <= r->level;
        if (wick && in_zone && gate) {
            snprintf(sigs, sizeof sigs, "%s%s%swick,zone", ob ? "rsi_ob," : "",
                     spike ? "vol_spike," : "", decline ? "vol_decline," : "");
            int n_sig = r->pre + 2 + (int)decline;
            s_to(self, r, SETUP_TRIGGERED, +1, sigs);
            fired = s_emit(self, r, n_sig, "resistance_rejection", sigs, out);
        }
    }

    /* ---- support breakdown ---- */
    s_setup_t *d = &self->brk;
    if (d->st == SETUP_FORMING || d->st == SETUP_ACTIVE) {
        d->bars++;
        bool left = d->st == SETUP_FORMING ? b.close > d->level * (1 + 2 * z)
                                           : b.close > d->level * (1 + t);
        if (left || d->bars > self->max_bars) {
            snprintf(why, sizeof why, "%s",
                     !left                    ? "expired"
                     : d->st == SETUP_FORMING ? "left the support"
                                              : "failed breakdown");
            s_to(self, d, SETUP_INVALIDATED, -1, why);
        }
    }
    if (d->st == SETUP_ACTIVE) {
        bool retest = b.high >= d->level * (1 - z) && b.close < d->level;
        if (retest && (decline || wick) && fired == 0 && gate) { /* one signal per bar */
            snprintf(sigs, sizeof sigs, "%s,breakdown,retest%s%s", d->pre_s,
                     decline ? ",vol_decline" : "", wick ? ",wick" : "");
            int n_sig = d->pre + 1 + (int)decline + (int)wick;
            s_to(self, d, SETUP_TRIGGERED, -1, sigs);
            return s_emit(self, d, n_sig, "support_breakdown", sigs, out);
        }
    } else if (d->st == SETUP_FORMING) {
        bool lt50 = rsi < 50;
        if (b.close < d->level * (1 - t) && (spike || lt50 || os)) {
            d->pre = (int)spike + (int)lt50 + (int)os;
            d->pre_s[0] = '\0';
            s_add(d->pre_s, sizeof d->pre_s, spike, "vol_spike");
            s_add(d->pre_s, sizeof d->pre_s, lt50, "rsi_lt50");
            s_add(d->pre_s, sizeof d->pre_s, os, "rsi_os");
            s_to(self, d, SETUP_ACTIVE, -1, d->pre_s);
        }
    }
    if (d->st != SETUP_FORMING && d->st != SETUP_ACTIVE) {
        double lvl;
        if (s_find(self, &b, -1, &lvl) == 0) {
            memset(d, 0, sizeof *d);
            d->level = lvl;
            s_to(self, d, SETUP_FORMING, -1, "zone");
        }
    }
    return fired;
}

setup_state_t
strat_setups_state(const strategy_t *s, int kind, setup_counts_t *counts)
{
    assert(s);
    if (strcmp(strategy_type(s), "setups") != 0) {
        return SETUP_NONE;
    }
    const s_self_t *self = strategy_impl(s);
    if (counts) {
        *counts = self->counts;
    }
    return kind > 0 ? self->rej.st : self->brk.st;
}


const strategy_ops_t strat_setups_ops = {
    .type = "setups",
    .from_cfg = s_from_cfg,
    .destroy = s_destroy,
    .on_bar = s_on_bar,
    .indicators = su_ops_no_indicators,
    .name = su_ops_name,
    .series = su_ops_series,
    .setup_events = s_setup_events,
};
