/*  strat_level.c - level reaction on trades. See strat_level.h. */
#include "signal/strat_level.h"
#include "common/money.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal/ctx.h"
#include "signal/sltp.h"

typedef struct {
    su_series_t s;
    ind_t *ind;
    ctx_t *ctx;
    int flow_n, book_levels;
    double near_bp, min_strength, imb_min, stop_bp, rr;
    double q[LEVEL_MAX_FLOW_N], px[LEVEL_MAX_FLOW_N];
    int n_tr, pos;
    double flow, absq;
    double imbalance;
    /* the last trade, for the judgement on a book update */
    int64_t last_px;    /* mantissa at last_scale; 0 before the window is full */
    int32_t last_scale; /* its px_scale */
    double last_mom;    /* momentum at that trade */
    int64_t last_start, cur_bar;
    double fired_px;
    int64_t fired_bar;
} s_self_t;
_Static_assert(offsetof(s_self_t, s) == 0, "su_ops_* read the series at the start");

static void s_destroy(void **impl_p);

static void *
s_from_cfg(cfg_t *cfg, const char *path)
{
    static const char *const k_known[] = { "name",         "type",    "venue",   "symbol",
                                           "tf_s",         "swing_n", "tol_bp",  "near_bp",
                                           "min_strength", "flow_n",  "imb_min", "book_levels",
                                           "stop_bp",      "rr",      NULL };
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
    ctx_params_t cp;
    ctx_params_default(&cp);
    self->last_start = INT64_MIN;
    self->fired_bar = INT64_MIN;
    if (su_cfg_series(cfg, path, &self->s) != 0) {
        goto fail;
    }
    snprintf(k, sizeof k, "%s.swing_n", path);
    if (cfg_int(cfg, k, 5, 1, CTX_MAX_SWING, false, &v) != 0) {
        goto fail;
    }
    cp.swing_n = (int)v;
    snprintf(k, sizeof k, "%s.tol_bp", path);
    if (cfg_double(cfg, k, 10, 0, 1000, false, &cp.tol_bp) != 0) {
        goto fail;
    }
    snprintf(k, sizeof k, "%s.book_levels", path);
    if (cfg_int(cfg, k, 5, 1, CODEC_LEVELS, false, &v) != 0) {
        goto fail;
    }
    self->book_levels = (int)v;
    snprintf(k, sizeof k, "%s.flow_n", path);
    if (cfg_int(cfg, k, 50, 2, LEVEL_MAX_FLOW_N, false, &v) != 0) {
        goto fail;
    }
    self->flow_n = (int)v;
    static const su_dbl_key_t k_dbl[] = {
        { "near_bp", offsetof(s_self_t, near_bp), 5, 0.01, 1000 },
        { "min_strength", offsetof(s_self_t, min_strength), 50, 0, 100 },
        { "imb_min", offsetof(s_self_t, imb_min), 0.1, 0.001, 1 },
        { "stop_bp", offsetof(s_self_t, stop_bp), 10, 0.01, 5000 },
        { "rr", offsetof(s_self_t, rr), 2, 0.1, 100 },
    };
    if (su_cfg_doubles(cfg, path, k_dbl, sizeof k_dbl / sizeof k_dbl[0], self) != 0) {
        goto fail;
    }
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

static int
s_on_bar(void *impl, const codec_sig_bar_t *bar, int64_t evt, const instr_t *instr,
         codec_sig_signal_t *out)
{
    (void)evt;
    (void)instr;
    (void)out;
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
    return 0;
}

static double
s_min1(double x)
{
    return x < 1 ? x : 1;
}

/* The rule of strat_level.h at price px_m (mantissa at px_scale) and event time ts_ns, with
 * the current flow, imbalance and momentum `mom`. 1 and *out filled, 0, or -1/ERANGE. */
static int
s_judge(s_self_t *self, int64_t px_m, int32_t px_scale, int64_t ts_ns, double mom,
        const instr_t *instr, codec_sig_signal_t *out)
{
    double px = money_to_double(px_m, px_scale);
    /* the bar the event belongs to (one signal per level per bar) */
    int64_t tf_ns = (int64_t)self->s.tf_s * 1000000000LL;
    int64_t bar = ts_ns / tf_ns;
    const ctx_level_t *lv;
    int n = ctx_levels(self->ctx, &lv), best = -1, side = 0;
    for (int i = 0; i < n; i++) {
        const ctx_level_t *l = &lv[i];
        if (l->strength < self->min_strength) {
            continue;
        }
        double band = l->price * self->near_bp / 1e4;
        int s = 0;
        if (l->kind < 0 && px >= l->price && px <= l->price + band && self->flow > 0
            && self->imbalance >= self->imb_min && mom > 0) {
            s = 1;
        } else if (l->kind > 0 && px <= l->price && px >= l->price - band && self->flow < 0
                   && self->imbalance <= -self->imb_min && mom < 0) {
            s = -1;
        }
        if (s != 0 && (best < 0 || l->strength > lv[best].strength)) {
            best = i;
            side = s;
        }
    }
    if (best < 0 || (self->fired_bar == bar && self->fired_px == lv[best].price)) {
        return 0;
    }
    const ctx_level_t *l = &lv[best];
    double stop_px = l->price * (1 - side * self->stop_bp / 1e4);
    double sd = side * (px - stop_px);
    int64_t sl, tp;
    if (sltp_dist(side, px_m, px_scale, su_tick(instr, px_scale), sd, self->rr * sd, &sl, &tp)
        != 0) {
        errno = ERANGE;
        return -1;
    }
    self->fired_bar = bar;
    self->fired_px = l->price;
    double conf = 0.4 * l->strength + 30 * s_min1(fabs(self->imbalance) / 0.5)
                  + 30 * s_min1(self->absq > 0 ? fabs(self->flow) / self->absq : 0);
    su_fill(out, &self->s, side, conf, px_scale, px_m, sl, tp, ts_ns);
    snprintf(out->reason, sizeof out->reason,
             "level %s L=%.8g str=%.1f tests=%d flow=%.6g imb=%.3f mom=%.6g",
             l->kind < 0 ? "support" : "resistance", l->price, l->strength, l->tests, self->flow,
             self->imbalance, mom);
    return 1;
}

static int
s_on_trade(void *impl, const codec_md_trade_t *t, const instr_t *instr, codec_sig_signal_t *out)
{
    s_self_t *self = impl;
    if (t->px <= 0 || t->qty <= 0 || (t->side != 1 && t->side != -1)) {
        errno = EINVAL;
        return -1;
    }
    double px = money_to_double(t->px, t->px_scale),
           q = t->side * money_to_double(t->qty, t->qty_scale);
    /* ring: the slot at pos holds the trade flow_n back once full */
    double old_px = self->px[self->pos], old_q = self->q[self->pos];
    bool full = self->n_tr == self->flow_n;
    if (full) {
        self->flow -= old_q;
        self->absq -= fabs(old_q);
    }
    self->q[self->pos] = q;
    self->px[self->pos] = px;
    self->pos = (self->pos + 1) % self->flow_n;
    self->n_tr += !full;
    self->flow += q;
    self->absq += fabs(q);
    if (!full) {
        return 0;
    }
    double mom = px - old_px;
    self->last_px = t->px;
    self->last_scale = t->px_scale;
    self->last_mom = mom;
    return s_judge(self, t->px, t->px_scale, t->ts_event, mom, instr, out);
}

/* A book update: the new imbalance, then the same judgement at the last trade's price, flow
 * and momentum, at the book's event time (nothing before the trade window is full). */
static int
s_on_book(void *impl, const codec_md_book_t *b, const instr_t *instr, codec_sig_signal_t *out)
{
    s_self_t *self = impl;
    self->imbalance = ctx_imbalance(b, self->book_levels);
    if (self->last_px <= 0) {
        return 0;
    }
    return s_judge(self, self->last_px, self->last_scale, b->ts_event, self->last_mom, instr, out);
}


const strategy_ops_t strat_level_ops = {
    .type = "level_reaction",
    .from_cfg = s_from_cfg,
    .destroy = s_destroy,
    .on_bar = s_on_bar,
    .indicators = su_ops_no_indicators,
    .name = su_ops_name,
    .series = su_ops_series,
    .on_trade = s_on_trade,
    .on_book = s_on_book,
};
