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
#include "signal/ctx.h"
#include "signal/sltp.h"

#define S_MOD "signal"

typedef struct {
    setup_state_t st;
    double level;
    int bars;          /* bars since FORMING */
    double first_high; /* high of the forming bar (divergence reference) */
    double first_hist; /* MACD histogram then (NAN if none) */
    int pre;           /* preconditions seen */
} s_setup_t;

typedef struct {
    su_series_t s;
    ind_t *ind;
    ctx_t *ctx;
    double zone_bp, tol_bp, stop_bp, min_level_strength, rsi_high, rsi_low, spike_k, wick_ratio;
    double tp1_rr, tp2_rr;
    int max_bars;
    int64_t last_start;
    s_setup_t rej, brk;
    setup_counts_t counts;
} s_self_t;
_Static_assert(offsetof(s_self_t, s) == 0, "su_ops_* read the series at the start");

static void s_destroy(void **impl_p);

static void *
s_from_cfg(cfg_t *cfg, const char *path)
{
    static const char *const k_known[] = {
        "name",     "type",     "venue",   "symbol",     "tf_s",
        "swing_n",  "zone_bp",  "tol_bp",  "stop_bp",    "min_level_strength",
        "rsi_high", "rsi_low",  "spike_k", "wick_ratio", "tp1_rr",
        "tp2_rr",   "max_bars", NULL
    };
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
    static const struct {
        const char *k;
        size_t off;
        double dflt, min, max;
    } k_dbl[] = {
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
    };
    for (size_t i = 0; i < sizeof k_dbl / sizeof k_dbl[0]; i++) {
        double *dst = (double *)((char *)self + k_dbl[i].off);
        snprintf(k, sizeof k, "%s.%s", path, k_dbl[i].k);
        if (cfg_double(cfg, k, k_dbl[i].dflt, k_dbl[i].min, k_dbl[i].max, false, dst) != 0) {
            goto fail;
        }
    }
    cp.tol_bp = self->tol_bp;
    ind_params_t ip;
    ind_params_default(&ip);
    self->ind = ind_new(&ip);
    self->ctx = ctx_new(&cp);
    if (!self->ind || !self->ctx) {
        goto fail;
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
        free(self);
    }
    *impl_p = NULL;
}

static void
s_to(s_self_t *self, s_setup_t *su, setup_state_t st, const char *kind)
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
    log_debug(S_MOD, "%s %s setup at %.8g -> %d", self->s.name, kind, su->level, (int)st);
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
        if (l->kind != kind || l->strength < self->min_level_strength) {
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

static int
s_emit(s_self_t *self, const codec_sig_bar_t *bar, int64_t evt, const instr_t *instr, double level,
       int n_sig, const char *what, const char *sigs, codec_sig_signal_t *out)
{
    double ref = su_px(bar->close, bar->px_scale);
    double stop = level * (1 + self->stop_bp / 1e4);
    double risk = stop - ref;
    if (!(risk > 0)) {
        return 0; /* close above the stop level: no sensible short */
    }
    int64_t sl, tp;
    if (sltp_dist(-1, bar->close, bar->px_scale, su_tick(instr), risk, self->tp1_rr * risk, &sl,
                  &tp)
        != 0) {
        errno = ERANGE;
        return -1;
    }
    double conf = 50 + 10 * n_sig;
    su_fill(out, &self->s, -1, conf > 100 ? 100 : conf, bar->px_scale, bar->close, sl, tp, evt);
    snprintf(out->reason, sizeof out->reason, "setup %s L=%.8g TRIGGERED [%s] tp2=%.8g", what,
             level, sigs, ref - self->tp2_rr * risk);
    return 1;
}

static int
s_on_bar(void *impl, const codec_sig_bar_t *bar, int64_t evt, const instr_t *instr,
         codec_sig_signal_t *out)
{
    s_self_t *self = impl;
    if (!su_is_series(&self->s, bar) || bar->start_ns <= self->last_start) {
        errno = EINVAL;
        return -1;
    }
    ind_bar_t b = su_ind_bar(bar);
    if (ind_update(self->ind, &b) != 0 || ctx_on_bar(self->ctx, &b, self->ind) != 0) {
        return -1;
    }
    self->last_start = bar->start_ns;
    double open = su_px(bar->open, bar->px_scale), rsi = NAN, vma = NAN, hist = NAN;
    (void)ind_get(self->ind, IND_RSI, &rsi);
    (void)ind_get(self->ind, IND_VOL_MA, &vma);
    (void)ind_get(self->ind, IND_MACD_HIST, &hist);
    const double z = self->zone_bp / 1e4, t = self->tol_bp / 1e4, range = b.high - b.low;
    const double body_top = b.close > open ? b.close : open;
    bool ob = rsi >= self->rsi_high, os = rsi <= self->rsi_low;
    bool spike = vma > 0 && b.volume >= self->spike_k * vma;
    bool decline = vma > 0 && b.volume < vma;
    bool wick = range > 0 && (b.high - body_top) >= self->wick_ratio * range && b.close < open;
    (void)os;
    int fired = 0;
    char sigs[96];

    /* ---- resistance rejection ---- */
    s_setup_t *r = &self->rej;
    if (r->st == SETUP_FORMING || r->st == SETUP_ACTIVE) {
        r->bars++;
        if (b.close > r->level * (1 + t) || r->bars > self->max_bars) {
            s_to(self, r, SETUP_INVALIDATED, "rejection");
        }
    }
    if (r->st != SETUP_FORMING && r->st != SETUP_ACTIVE) {
        double lvl;
        if (s_find(self, &b, +1, &lvl) == 0) {
            memset(r, 0, sizeof *r);
            r->level = lvl;
            r->first_high = b.high;
            r->first_hist = hist;
            s_to(self, r, SETUP_FORMING, "rejection");
        }
    }
    if (r->st == SETUP_FORMING) {
        bool div = r->bars > 0 && b.high > r->first_high && isfinite(hist)
                   && isfinite(r->first_hist) && hist < r->first_hist;
        r->pre = (int)ob + (int)spike + (int)div;
        if (r->pre > 0) {
            s_to(self, r, SETUP_ACTIVE, "rejection");
        }
    } else if (r->st == SETUP_ACTIVE) {
        bool in_zone = b.high >= r->level * (1 - z) && b.close <= r->level;
        if (wick && in_zone) {
            snprintf(sigs, sizeof sigs, "%s%s%swick,zone", ob ? "rsi_ob," : "",
                     spike ? "vol_spike," : "", decline ? "vol_decline," : "");
            int n_sig = r->pre + 2 + (int)decline;
            s_to(self, r, SETUP_TRIGGERED, "rejection");
            fired =
                s_emit(self, bar, evt, instr, r->level, n_sig, "resistance_rejection", sigs, out);
            if (fired < 0) {
                return -1;
            }
        }
    }

    /* ---- support breakdown ---- */
    s_setup_t *d = &self->brk;
    if (d->st == SETUP_FORMING || d->st == SETUP_ACTIVE) {
        d->bars++;
        bool left = d->st == SETUP_FORMING ? b.close > d->level * (1 + 2 * z)
                                           : b.close > d->level * (1 + t);
        if (left || d->bars > self->max_bars) {
            s_to(self, d, SETUP_INVALIDATED, "breakdown");
        }
    }
    if (d->st == SETUP_ACTIVE) {
        bool retest = b.high >= d->level * (1 - z) && b.close < d->level;
        if (retest && (decline || wick) && fired == 0) { /* one signal per bar: next bar */
            snprintf(sigs, sizeof sigs, "breakdown,retest%s%s", decline ? ",vol_decline" : "",
                     wick ? ",wick" : "");
            int n_sig = d->pre + 1 + (int)decline + (int)wick;
            s_to(self, d, SETUP_TRIGGERED, "breakdown");
            return s_emit(self, bar, evt, instr, d->level, n_sig, "support_breakdown", sigs, out);
        }
    } else if (d->st == SETUP_FORMING) {
        if (b.close < d->level * (1 - t) && (spike || rsi < 50)) {
            d->pre = (int)spike + (int)(rsi < 50);
            s_to(self, d, SETUP_ACTIVE, "breakdown");
        }
    }
    if (d->st != SETUP_FORMING && d->st != SETUP_ACTIVE) {
        double lvl;
        if (s_find(self, &b, -1, &lvl) == 0) {
            memset(d, 0, sizeof *d);
            d->level = lvl;
            s_to(self, d, SETUP_FORMING, "breakdown");
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
};
