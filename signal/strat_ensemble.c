/*  strat_ensemble.c - weighted vote of member strategies. See strat_ensemble.h. */
#include "signal/strat_ensemble.h"
#include "common/money.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal/ctx.h"
#include "signal/ind.h"
#include "signal/sltp.h"

#define S_REGIMES 6 /* ctx_regime_t values */

typedef struct {
    strategy_t *s;
    int vote_side;
    double vote_conf;
    int vote_left; /* bars the vote stays live */
    int pos_side;  /* 0 = flat */
    double entry, sl, tp;
    double res[ENSEMBLE_MAX_WINDOW];
    int n_res, pos;
    double weight;
    double regime_mult[S_REGIMES]; /* weight multiplier per regime of the series (1 = none) */
} s_member_t;

typedef struct {
    su_series_t s;
    s_member_t m[ENSEMBLE_MAX_MEMBERS];
    int n;
    int window, vote_bars;
    double threshold, w_min, w_max;
    int64_t stop_pct_e4, take_pct_e4;
    int prev_side; /* side of the previous bar's score if it was >= threshold, else 0 */
    /* regime weights (issue 17): the ensemble's own regime of the series (default context) */
    bool by_regime;
    ind_t *ind;
    ctx_t *ctx;
} s_self_t;
_Static_assert(offsetof(s_self_t, s) == 0, "su_ops_* read the series at the start");

static void s_destroy(void **impl_p);

/* "regime_weights": {"<REGIME>": {"<member name>": mult, ...}, ...} (issue 17): while the
 * series' regime (signal/ctx.h, default thresholds, computed by the ensemble from its own
 * bars) is REGIME, that member's weight is multiplied by mult (0..10; 0 silences it). */
static int
s_cfg_regime_weights(cfg_t *cfg, const char *path, s_self_t *self)
{
    char k[256];
    snprintf(k, sizeof k, "%s.regime_weights", path);
    json_t *rw = cfg_json(cfg, k);
    if (!rw) {
        return 0;
    }
    if (!json_is_object(rw)) {
        return cfg_fail(cfg, k, "expected an object {\"CHOPPY\": {\"member\": mult}, ...}");
    }
    const char *rname;
    json_t *per;
    json_object_foreach(rw, rname, per)
    {
        int g = -1;
        for (int i = 0; i < S_REGIMES; i++) {
            if (strcmp(rname, ctx_regime_name((ctx_regime_t)i)) == 0) {
                g = i;
            }
        }
        snprintf(k, sizeof k, "%s.regime_weights.%s", path, rname);
        if (g < 0) {
            return cfg_fail(cfg, k,
                            "unknown regime (NEUTRAL, TRENDING_UP, TRENDING_DOWN, RANGING, "
                            "VOLATILE, CHOPPY)");
        }
        if (!json_is_object(per)) {
            return cfg_fail(cfg, k, "expected an object {\"member name\": mult}");
        }
        const char *mname;
        json_t *val;
        json_object_foreach(per, mname, val)
        {
            snprintf(k, sizeof k, "%s.regime_weights.%s.%s", path, rname, mname);
            int mi = -1;
            for (int i = 0; i < self->n; i++) {
                if (strcmp(strategy_name(self->m[i].s), mname) == 0) {
                    mi = i;
                }
            }
            if (mi < 0) {
                return cfg_fail(cfg, k, "not a member of this ensemble");
            }
            double x;
            if (cfg_double(cfg, k, 1, 0, 10, true, &x) != 0) {
                return -1;
            }
            self->m[mi].regime_mult[g] = x;
        }
    }
    ind_params_t ip;
    ind_params_default(&ip);
    ctx_params_t cp;
    ctx_params_default(&cp);
    self->ind = ind_new(&ip);
    self->ctx = ctx_new(&cp);
    if (!self->ind || !self->ctx) {
        return cfg_fail(cfg, path, "out of memory");
    }
    self->by_regime = true;
    return 0;
}

static void *
s_from_cfg(cfg_t *cfg, const char *path)
{
    static const char *const k_known[] = {
        "name",    "type",     "venue",           "symbol",         "tf_s",
        "members", "window",   "vote_bars",       "threshold",      "w_min",
        "w_max",   "stop_pct", "take_profit_pct", "regime_weights", NULL
    };
    char k[224], mp[192];
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
    if (su_cfg_series(cfg, path, &self->s) != 0) {
        goto fail;
    }
    snprintf(k, sizeof k, "%s.window", path);
    if (cfg_int(cfg, k, 20, 1, ENSEMBLE_MAX_WINDOW, false, &v) != 0) {
        goto fail;
    }
    self->window = (int)v;
    snprintf(k, sizeof k, "%s.vote_bars", path);
    if (cfg_int(cfg, k, 5, 1, 10000, false, &v) != 0) {
        goto fail;
    }
    self->vote_bars = (int)v;
    snprintf(k, sizeof k, "%s.threshold", path);
    if (cfg_double(cfg, k, 30, 0.01, 100, false, &self->threshold) != 0) {
        goto fail;
    }
    snprintf(k, sizeof k, "%s.w_min", path);
    if (cfg_double(cfg, k, 0.1, 0, 100, false, &self->w_min) != 0) {
        goto fail;
    }
    snprintf(k, sizeof k, "%s.w_max", path);
    if (cfg_double(cfg, k, 3, 0.01, 100, false, &self->w_max) != 0) {
        goto fail;
    }
    if (self->w_max < self->w_min || self->w_max <= 0) {
        cfg_fail(cfg, k, "expected w_max >= w_min and > 0");
        goto fail;
    }
    snprintf(k, sizeof k, "%s.stop_pct", path);
    if (cfg_money(cfg, k, SLTP_PCT_SCALE, "0.5", 0, SLTP_PCT_MAX, &self->stop_pct_e4) != 0) {
        goto fail;
    }
    snprintf(k, sizeof k, "%s.take_profit_pct", path);
    if (cfg_money(cfg, k, SLTP_PCT_SCALE, "1.0", 0, SLTP_PCT_MAX, &self->take_pct_e4) != 0) {
        goto fail;
    }
    snprintf(k, sizeof k, "%s.members", path);
    int n = cfg_array_len(cfg, k);
    if (n < 0) {
        goto fail;
    }
    if (n < ENSEMBLE_MIN_MEMBERS || n > ENSEMBLE_MAX_MEMBERS) {
        cfg_fail(cfg, k, "expected %d..%d members, got %d", ENSEMBLE_MIN_MEMBERS,
                 ENSEMBLE_MAX_MEMBERS, n);
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        snprintf(mp, sizeof mp, "%s.members[%d]", path, i);
        snprintf(k, sizeof k, "%s.type", mp);
        const char *type;
        if (cfg_str(cfg, k, NULL, &type) != 0) {
            goto fail;
        }
        if (strcmp(type, "ensemble") == 0) {
            cfg_fail(cfg, k, "an ensemble cannot be a member");
            goto fail;
        }
        strategy_t *s = strategy_from_cfg(cfg, mp);
        if (!s) {
            goto fail;
        }
        self->m[self->n++].s = s;
        if (!strategy_wants(s, self->s.venue, self->s.symbol, self->s.tf_s)) {
            cfg_fail(cfg, mp, "member must trade the ensemble's venue, symbol and tf_s");
            goto fail;
        }
        for (int j = 0; j < self->n - 1; j++) {
            if (strcmp(strategy_name(self->m[j].s), strategy_name(s)) == 0) {
                snprintf(k, sizeof k, "%s.name", mp);
                cfg_fail(cfg, k, "duplicate member name");
                goto fail;
            }
        }
        self->m[self->n - 1].weight = 1;
        for (int g = 0; g < S_REGIMES; g++) {
            self->m[self->n - 1].regime_mult[g] = 1;
        }
    }
    if (s_cfg_regime_weights(cfg, path, self) != 0) {
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
        for (int i = 0; i < self->n; i++) {
            strategy_destroy(&self->m[i].s);
        }
        ind_destroy(&self->ind);
        if (self->ctx) {
            ctx_destroy(&self->ctx);
        }
        free(self);
    }
    *impl_p = NULL;
}

static void
s_realize(s_self_t *self, s_member_t *m, double exit)
{
    double r = m->pos_side * (exit - m->entry) / m->entry;
    m->res[m->pos] = r;
    m->pos = (m->pos + 1) % self->window;
    m->n_res += m->n_res < self->window;
    m->pos_side = 0;
}

static int
s_on_bar(void *impl, const codec_sig_bar_t *bar, int64_t evt, const instr_t *instr,
         codec_sig_signal_t *out)
{
    s_self_t *self = impl;
    if (!su_is_series(&self->s, bar)) {
        errno = EINVAL;
        return -1;
    }
    ind_bar_t b = su_ind_bar(bar);
    ctx_regime_t regime = CTX_NEUTRAL;
    if (self->by_regime) {
        if (ind_update(self->ind, &b) != 0 || ctx_on_bar(self->ctx, &b, self->ind) != 0) {
            return -1;
        }
        regime = ctx_regime(self->ctx, NULL);
    }
    /* 1. virtual exits */
    for (int i = 0; i < self->n; i++) {
        s_member_t *m = &self->m[i];
        if (m->pos_side == 0) {
            continue;
        }
        bool hit_sl = m->sl > 0 && (m->pos_side > 0 ? b.low <= m->sl : b.high >= m->sl);
        bool hit_tp = m->tp > 0 && (m->pos_side > 0 ? b.high >= m->tp : b.low <= m->tp);
        if (hit_sl) {
            s_realize(self, m, m->sl);
        } else if (hit_tp) {
            s_realize(self, m, m->tp);
        }
    }
    /* 2. members */
    for (int i = 0; i < self->n; i++) {
        s_member_t *m = &self->m[i];
        if (m->vote_left > 0) {
            m->vote_left--;
        }
        codec_sig_signal_t sig;
        int rc = strategy_on_bar(m->s, bar, evt, instr, &sig);
        if (rc < 0) {
            return -1;
        }
        if (rc == 1) {
            m->vote_side = sig.side;
            m->vote_conf = sig.confidence;
            m->vote_left = self->vote_bars;
            if (m->pos_side != 0) {
                s_realize(self, m, b.close);
            }
            m->pos_side = sig.side;
            m->entry = money_to_double(sig.ref_px, sig.px_scale);
            m->sl = sig.sl_px ? money_to_double(sig.sl_px, sig.px_scale) : 0;
            m->tp = sig.tp_px ? money_to_double(sig.tp_px, sig.px_scale) : 0;
        }
    }
    /* 3, 4 */
    double wsum = 0, score = 0;
    for (int i = 0; i < self->n; i++) {
        s_member_t *m = &self->m[i];
        double perf = 0;
        for (int j = 0; j < m->n_res; j++) {
            perf += m->res[j];
        }
        double w = 1 + 100 * perf;
        m->weight = w < self->w_min ? self->w_min : w > self->w_max ? self->w_max : w;
        m->weight *= m->regime_mult[regime]; /* 1 unless regime_weights say otherwise */
        wsum += m->weight;
        if (m->vote_left > 0) {
            score += m->weight * m->vote_side * m->vote_conf;
        }
    }
    score = wsum > 0 ? score / wsum : 0;
    int side = score >= self->threshold ? 1 : score <= -self->threshold ? -1 : 0;
    bool fire = side != 0 && side != self->prev_side;
    self->prev_side = side;
    if (!fire) {
        return 0;
    }
    int64_t sl, tp;
    if (sltp_levels(side, bar->close, bar->px_scale, su_tick(instr, bar->px_scale),
                    self->stop_pct_e4, self->take_pct_e4, &sl, &tp)
        != 0) {
        errno = ERANGE;
        return -1;
    }
    su_fill(out, &self->s, side, fabs(score), bar->px_scale, bar->close, sl, tp, evt);
    size_t l = (size_t)snprintf(out->reason, sizeof out->reason, "ensemble %+.1f%s%s:", score,
                                self->by_regime ? " " : "",
                                self->by_regime ? ctx_regime_name(regime) : "");
    for (int i = 0; i < self->n && l < sizeof out->reason; i++) {
        const s_member_t *m = &self->m[i];
        if (m->vote_left > 0) {
            int w = snprintf(out->reason + l, sizeof out->reason - l, " %s %+d w%.2f c%.0f",
                             strategy_name(m->s), m->vote_side, m->weight, m->vote_conf);
            l += w > 0 ? (size_t)w : 0;
        }
    }
    return 1;
}


/* Reloadable: stop_pct, take_profit_pct (the levels of the next signal; the members keep
 * theirs: a member's keys need a restart). */
static void
s_retune(void *impl, const void *fresh)
{
    s_self_t *self = impl;
    const s_self_t *f = fresh;
    self->stop_pct_e4 = f->stop_pct_e4;
    self->take_pct_e4 = f->take_pct_e4;
}

const strategy_ops_t strat_ensemble_ops = {
    .type = "ensemble",
    .from_cfg = s_from_cfg,
    .destroy = s_destroy,
    .on_bar = s_on_bar,
    .indicators = su_ops_no_indicators,
    .name = su_ops_name,
    .series = su_ops_series,
    .retune = s_retune,
};
