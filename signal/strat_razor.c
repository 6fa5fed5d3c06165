/*  strat_razor.c - mean reversion on four checkpoints. See strat_razor.h. */
#include "signal/strat_razor.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal/sltp.h"

struct strat_razor {
    strat_razor_params_t p; /* first, and its first member is the series (su_ops_*) */
    ind_t *ind;
    double ret[RAZOR_MAX_VOL_N];
    int n_ret, pos;
    double prev_close;
    bool have_prev;
    int64_t last_start;
    int side;
    double score[4], strength;
};

void
strat_razor_params_default(strat_razor_params_t *p)
{
    memset(p, 0, sizeof *p);
    p->s.tf_s = 60;
    p->ema_fast = 9;
    p->ema_slow = 21;
    p->rsi = 14;
    p->mom_n = 5;
    p->vol_n = 20;
    p->rsi_low = 30;
    p->rsi_high = 70;
    p->vol_min = 0.0002;
    p->vol_max = 0.01;
    p->ema_full_bp = 30;
    p->mom_full_bp = 50;
    p->min_strength = 70;
    p->stop_pct_e4 = 5000;
    p->take_pct_e4 = 10000;
}

strat_razor_t *
strat_razor_new(const strat_razor_params_t *p)
{
    assert(p);
    if (!p->s.name[0] || !p->s.venue[0] || !p->s.symbol[0] || p->s.tf_s < 1
        || p->ema_fast >= p->ema_slow || p->vol_n < 2 || p->vol_n > RAZOR_MAX_VOL_N
        || !(p->rsi_low >= 0 && p->rsi_low <= p->rsi_high && p->rsi_high <= 100)
        || !(p->vol_min >= 0 && p->vol_min <= p->vol_max) || !(p->ema_full_bp > 0)
        || !(p->mom_full_bp > 0) || !(p->min_strength >= 0 && p->min_strength <= 100)
        || p->stop_pct_e4 < 0 || p->stop_pct_e4 > SLTP_PCT_MAX || p->take_pct_e4 < 0
        || p->take_pct_e4 > SLTP_PCT_MAX) {
        errno = EINVAL;
        return NULL;
    }
    ind_params_t ip;
    ind_params_default(&ip);
    memset(ip.ema, 0, sizeof ip.ema);
    ip.ema[0] = p->ema_fast;
    ip.ema[1] = p->ema_slow;
    ip.rsi = p->rsi;
    ip.mom = p->mom_n;
    strat_razor_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->p = *p;
    self->ind = ind_new(&ip);
    if (!self->ind) {
        int e = errno;
        free(self);
        errno = e;
        return NULL;
    }
    self->last_start = INT64_MIN;
    return self;
}

void
strat_razor_destroy(strat_razor_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        ind_destroy(&(*self_p)->ind);
        free(*self_p);
        *self_p = NULL;
    }
}

static double
s_min1(double x)
{
    return x < 1 ? x : 1;
}

int
strat_razor_on_bar(strat_razor_t *self, const codec_sig_bar_t *bar, int64_t evt,
                   const instr_t *instr, codec_sig_signal_t *out)
{
    assert(self && bar && out);
    const strat_razor_params_t *p = &self->p;
    if (!su_is_series(&p->s, bar) || bar->start_ns <= self->last_start) {
        errno = EINVAL;
        return -1;
    }
    ind_bar_t b = su_ind_bar(bar);
    if (ind_update(self->ind, &b) != 0) {
        return -1;
    }
    self->last_start = bar->start_ns;
    const double c = b.close, pc = self->prev_close;
    const bool had_prev = self->have_prev;
    if (had_prev && pc > 0) {
        self->ret[self->pos] = c / pc - 1;
        self->pos = (self->pos + 1) % p->vol_n;
        self->n_ret += self->n_ret < p->vol_n;
    }
    self->prev_close = c;
    self->have_prev = true;
    self->side = 0;
    memset(self->score, 0, sizeof self->score);
    self->strength = 0;
    double ef, es, rsi, mom;
    if (ind_get(self->ind, IND_EMA0, &ef) != 0 || ind_get(self->ind, IND_EMA0 + 1, &es) != 0
        || ind_get(self->ind, IND_RSI, &rsi) != 0 || ind_get(self->ind, IND_MOM, &mom) != 0
        || self->n_ret < p->vol_n) {
        return 0;
    }
    /* population sigma, two-pass over the ring (vol_n <= 256: bounded) */
    double mean = 0, var = 0;
    for (int i = 0; i < p->vol_n; i++) {
        mean += self->ret[i];
    }
    mean /= p->vol_n;
    for (int i = 0; i < p->vol_n; i++) {
        var += (self->ret[i] - mean) * (self->ret[i] - mean);
    }
    double sigma = sqrt(var / p->vol_n);
    int side = c < es ? 1 : c > es ? -1 : 0;
    if (side == 0) {
        return 0;
    }
    double d_bp = side * (es - c) / es * 1e4;
    bool c1 = side > 0 ? ef < es : ef > es;
    bool c2 = side > 0 ? rsi < p->rsi_low : rsi > p->rsi_high;
    bool c3 = sigma >= p->vol_min && sigma <= p->vol_max;
    bool c4 = side > 0 ? (mom < 0 && c > pc) : (mom > 0 && c < pc);
    self->side = side;
    self->score[0] = c1 ? 15 + 10 * s_min1(d_bp / p->ema_full_bp) : 0;
    self->score[1] =
        c2 ? 15 + 10 * s_min1((side > 0 ? p->rsi_low - rsi : rsi - p->rsi_high) / 10) : 0;
    self->score[2] = c3 ? 25 : 0;
    double m_bp = fabs(mom) / c * 1e4;
    self->score[3] = c4 ? 15 + 10 * s_min1(m_bp / p->mom_full_bp) : 0;
    self->strength = self->score[0] + self->score[1] + self->score[2] + self->score[3];
    if (!(c1 && c2 && c3 && c4) || !(self->strength > p->min_strength)) {
        return 0;
    }
    int64_t sl, tp;
    if (sltp_levels(side, bar->close, bar->px_scale, su_tick(instr, bar->px_scale), p->stop_pct_e4,
                    p->take_pct_e4, &sl, &tp)
        != 0) {
        errno = ERANGE;
        return -1;
    }
    su_fill(out, &p->s, side, self->strength, bar->px_scale, bar->close, sl, tp, evt);
    snprintf(out->reason, sizeof out->reason,
             "razor C1 d=%.1fbp C2 rsi=%.2f C3 sigma=%.5f C4 mom=%.1fbp str=%.1f", d_bp, rsi, sigma,
             m_bp, self->strength);
    return 1;
}

void
strat_razor_scores(const strat_razor_t *self, int *side, double score[4], double *strength)
{
    assert(self);
    *side = self->side;
    memcpy(score, self->score, sizeof self->score);
    *strength = self->strength;
}

/* ---- config and ops ------------------------------------------------------------------ */

static void *
s_from_cfg(cfg_t *cfg, const char *path)
{
    static const char *const k_known[] = {
        "name",        "type",         "venue",    "symbol",          "tf_s",
        "ema_fast",    "ema_slow",     "rsi",      "mom_n",           "vol_n",
        "rsi_low",     "rsi_high",     "vol_min",  "vol_max",         "ema_full_bp",
        "mom_full_bp", "min_strength", "stop_pct", "take_profit_pct", NULL
    };
    strat_razor_params_t p;
    strat_razor_params_default(&p);
    char k[192];
    int64_t v;
    if (cfg_check_keys(cfg, path, k_known) != 0 || su_cfg_series(cfg, path, &p.s) != 0) {
        return NULL;
    }
    static const struct {
        const char *k;
        size_t off;
        int min, max;
    } k_int[] = {
        { "ema_fast", offsetof(strat_razor_params_t, ema_fast), 2, 1000 },
        { "ema_slow", offsetof(strat_razor_params_t, ema_slow), 2, 1000 },
        { "rsi", offsetof(strat_razor_params_t, rsi), 2, 1000 },
        { "mom_n", offsetof(strat_razor_params_t, mom_n), 1, 1000 },
        { "vol_n", offsetof(strat_razor_params_t, vol_n), 2, RAZOR_MAX_VOL_N },
    };
    for (size_t i = 0; i < sizeof k_int / sizeof k_int[0]; i++) {
        int *dst = (int *)((char *)&p + k_int[i].off);
        snprintf(k, sizeof k, "%s.%s", path, k_int[i].k);
        if (cfg_int(cfg, k, *dst, k_int[i].min, k_int[i].max, false, &v) != 0) {
            return NULL;
        }
        *dst = (int)v;
    }
    /* defaults: strat_razor_params_default's (NAN) */
    static const su_dbl_key_t k_dbl[] = {
        { "rsi_low", offsetof(strat_razor_params_t, rsi_low), NAN, 0, 100 },
        { "rsi_high", offsetof(strat_razor_params_t, rsi_high), NAN, 0, 100 },
        { "vol_min", offsetof(strat_razor_params_t, vol_min), NAN, 0, 1 },
        { "vol_max", offsetof(strat_razor_params_t, vol_max), NAN, 0, 1 },
        { "ema_full_bp", offsetof(strat_razor_params_t, ema_full_bp), NAN, 0, 10000 },
        { "mom_full_bp", offsetof(strat_razor_params_t, mom_full_bp), NAN, 0, 10000 },
        { "min_strength", offsetof(strat_razor_params_t, min_strength), NAN, 0, 100 },
    };
    if (su_cfg_doubles(cfg, path, k_dbl, sizeof k_dbl / sizeof k_dbl[0], &p) != 0) {
        return NULL;
    }
    snprintf(k, sizeof k, "%s.stop_pct", path);
    if (cfg_money(cfg, k, SLTP_PCT_SCALE, "0.5", 0, SLTP_PCT_MAX, &p.stop_pct_e4) != 0) {
        return NULL;
    }
    snprintf(k, sizeof k, "%s.take_profit_pct", path);
    if (cfg_money(cfg, k, SLTP_PCT_SCALE, "1.0", 0, SLTP_PCT_MAX, &p.take_pct_e4) != 0) {
        return NULL;
    }
    strat_razor_t *self = strat_razor_new(&p);
    if (!self && errno == EINVAL) {
        cfg_fail(cfg, path,
                 "invalid razor parameters (ema_fast < ema_slow, rsi_low <= rsi_high, "
                 "vol_min <= vol_max)");
    }
    return self;
}

static void
s_destroy(void **impl_p)
{
    strat_razor_t *self = *impl_p;
    strat_razor_destroy(&self);
    *impl_p = NULL;
}

static int
s_on_bar(void *impl, const codec_sig_bar_t *bar, int64_t evt, const instr_t *instr,
         codec_sig_signal_t *out)
{
    return strat_razor_on_bar(impl, bar, evt, instr, out);
}


_Static_assert(offsetof(strat_razor_t, p) == 0 && offsetof(strat_razor_params_t, s) == 0,
               "su_ops_* read the series at the start");

/* Reloadable: stop_pct, take_profit_pct (the levels of the next signal). */
static void
s_retune(void *impl, const void *fresh)
{
    strat_razor_t *self = impl;
    const strat_razor_t *f = fresh;
    self->p.stop_pct_e4 = f->p.stop_pct_e4;
    self->p.take_pct_e4 = f->p.take_pct_e4;
}

const strategy_ops_t strat_razor_ops = {
    .type = "razor",
    .from_cfg = s_from_cfg,
    .destroy = s_destroy,
    .on_bar = s_on_bar,
    .indicators = su_ops_no_indicators,
    .name = su_ops_name,
    .series = su_ops_series,
    .retune = s_retune,
};
