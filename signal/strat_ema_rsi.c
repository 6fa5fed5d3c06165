/*  strat_ema_rsi.c - strategy "ema_cross_rsi". Rules in strat_ema_rsi.h. */
#include "signal/strat_ema_rsi.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/money.h"
#include "signal/ema.h"
#include "signal/rsi.h"
#include "signal/sltp.h"
#include "signal/strat_util.h"

struct strat_ema_rsi {
    strat_ema_rsi_params_t p;
    ema_t *fast;
    ema_t *slow;
    rsi_t *rsi;
    bool has_prev; /* prev_fast/prev_slow hold the previous bar's EMA pair */
    double prev_fast, prev_slow;
    bool has_bar;
    int64_t last_start; /* start_ns of the last bar taken */
    /* the sig.ind value names ("ema50", "ema200", "rsi14"), made once: formatting them on
     * every bar was 13 % of a klines-only backtest (docs/backtest.md "Speed") */
    char nm_fast[16], nm_slow[16], nm_rsi[16];
};

static bool
s_name_ok(const char *s, size_t cap)
{
    return s[0] != '\0' && strnlen(s, cap) < cap;
}

strat_ema_rsi_t *
strat_ema_rsi_new(const strat_ema_rsi_params_t *p)
{
    assert(p);
    if (!s_name_ok(p->name, sizeof p->name) || !s_name_ok(p->venue, sizeof p->venue)
        || !s_name_ok(p->symbol, sizeof p->symbol) || p->tf_s < 1 || p->fast < 2
        || p->slow <= p->fast || p->slow > EMA_MAX_PERIOD || p->rsi_period < 2
        || p->rsi_period > RSI_MAX_PERIOD || !(p->rsi_long_max >= 0 && p->rsi_long_max <= 100)
        || !(p->rsi_exit_min >= 0 && p->rsi_exit_min <= 100) || p->stop_pct_e4 < 0
        || p->stop_pct_e4 > SLTP_PCT_MAX || p->take_pct_e4 < 0 || p->take_pct_e4 > SLTP_PCT_MAX) {
        errno = EINVAL;
        return NULL;
    }
    strat_ema_rsi_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->p = *p;
    snprintf(self->nm_fast, sizeof self->nm_fast, "ema%d", p->fast);
    snprintf(self->nm_slow, sizeof self->nm_slow, "ema%d", p->slow);
    snprintf(self->nm_rsi, sizeof self->nm_rsi, "rsi%d", p->rsi_period);
    self->fast = ema_new(p->fast);
    self->slow = ema_new(p->slow);
    self->rsi = rsi_new(p->rsi_period);
    if (!self->fast || !self->slow || !self->rsi) {
        strat_ema_rsi_destroy(&self);
        errno = ENOMEM;
        return NULL;
    }
    return self;
}

void
strat_ema_rsi_destroy(strat_ema_rsi_t **self_p)
{
    assert(self_p);
    strat_ema_rsi_t *self = *self_p;
    if (self) {
        ema_destroy(&self->fast);
        ema_destroy(&self->slow);
        rsi_destroy(&self->rsi);
        free(self);
        *self_p = NULL;
    }
}

static double
s_clamp01(double x)
{
    return x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x);
}

/* docs/signal.md "Confidence". */
static double
s_confidence(const strat_ema_rsi_params_t *p, int side, double fast, double slow, double rsi)
{
    double spread = slow > 0.0 ? fabs(fast - slow) / slow / 0.001 : 0.0;
    double rsi_term;
    if (side > 0) {
        rsi_term = p->rsi_long_max > 0.0 ? (p->rsi_long_max - rsi) / p->rsi_long_max : 0.0;
    } else {
        rsi_term =
            p->rsi_exit_min < 100.0 ? (rsi - p->rsi_exit_min) / (100.0 - p->rsi_exit_min) : 0.0;
    }
    double c = 50.0 + 25.0 * s_clamp01(spread) + 25.0 * s_clamp01(rsi_term);
    return c < 0.0 ? 0.0 : (c > 100.0 ? 100.0 : c);
}

int
strat_ema_rsi_on_bar(strat_ema_rsi_t *self, const codec_sig_bar_t *bar, int64_t evt,
                     const instr_t *instr, codec_sig_signal_t *out)
{
    assert(self && bar && out);
    const strat_ema_rsi_params_t *p = &self->p;
    if (bar->tf_s != p->tf_s || strcmp(bar->venue, p->venue) != 0
        || strcmp(bar->symbol, p->symbol) != 0
        || (self->has_bar && bar->start_ns <= self->last_start) || bar->close <= 0
        || bar->px_scale < 0 || bar->px_scale > MONEY_MAX_SCALE) {
        errno = EINVAL;
        return -1;
    }
    self->has_bar = true;
    self->last_start = bar->start_ns;
    double close = money_to_double(bar->close, bar->px_scale);
    double fast = 0, slow = 0, rsi = 0;
    bool has_fast = ema_update(self->fast, close, &fast) == 1;
    bool has_slow = ema_update(self->slow, close, &slow) == 1;
    bool has_rsi = rsi_update(self->rsi, close, &rsi) == 1;
    if (!has_fast || !has_slow) {
        return 0;
    }
    int side = 0;
    if (self->has_prev && has_rsi) {
        if (self->prev_fast <= self->prev_slow && fast > slow && rsi < p->rsi_long_max) {
            side = 1;
        } else if (self->prev_fast >= self->prev_slow && fast < slow) {
            side = -1;
        }
    }
    self->has_prev = true;
    self->prev_fast = fast;
    self->prev_slow = slow;
    if (side == 0) {
        return 0;
    }
    int64_t sl, tp;
    if (sltp_levels(side, bar->close, bar->px_scale, su_tick(instr, bar->px_scale), p->stop_pct_e4,
                    p->take_pct_e4, &sl, &tp)
        != 0) {
        errno = ERANGE;
        return -1;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->strategy, sizeof out->strategy, "%s", p->name);
    snprintf(out->venue, sizeof out->venue, "%s", p->venue);
    snprintf(out->symbol, sizeof out->symbol, "%s", p->symbol);
    out->side = (int8_t)side;
    out->confidence = s_confidence(p, side, fast, slow, rsi);
    out->px_scale = bar->px_scale;
    out->ref_px = bar->close;
    out->sl_px = sl;
    out->tp_px = tp;
    out->ts_event = evt;
    if (side > 0) {
        snprintf(out->reason, sizeof out->reason, "ema%d crossed above ema%d, rsi%d %.2f < %g",
                 p->fast, p->slow, p->rsi_period, rsi, p->rsi_long_max);
    } else {
        snprintf(out->reason, sizeof out->reason, "ema%d crossed below ema%d, rsi%d %.2f (%s)",
                 p->fast, p->slow, p->rsi_period, rsi, p->long_only ? "exit long" : "exit/short");
    }
    return 1;
}

static int
s_append(codec_sig_ind_t *ind, const char *name, double v)
{
    for (uint32_t i = 0; i < ind->n; i++) {
        if (strcmp(ind->names[i], name) == 0) {
            return 0;
        }
    }
    if (ind->n >= CODEC_IND_MAX) {
        return 0;
    }
    codec_str(ind->names[ind->n], sizeof ind->names[0], name);
    ind->values[ind->n] = v;
    ind->n++;
    return 1;
}

int
strat_ema_rsi_indicators(const strat_ema_rsi_t *self, codec_sig_ind_t *ind)
{
    assert(self && ind);
    double v;
    int n = 0;
    if (ema_value(self->fast, &v) == 0) {
        n += s_append(ind, self->nm_fast, v);
    }
    if (ema_value(self->slow, &v) == 0) {
        n += s_append(ind, self->nm_slow, v);
    }
    if (rsi_value(self->rsi, &v) == 0) {
        n += s_append(ind, self->nm_rsi, v);
    }
    return n;
}

const strat_ema_rsi_params_t *
strat_ema_rsi_params(const strat_ema_rsi_t *self)
{
    assert(self);
    return &self->p;
}

/* ---- configuration ------------------------------------------------------------------ */

static int
s_copy_str(cfg_t *cfg, const char *path, const char *key, const char *dflt, char *out, size_t cap)
{
    char k[160];
    const char *v;
    snprintf(k, sizeof k, "%s.%s", path, key);
    if (cfg_str(cfg, k, dflt, &v) != 0) {
        return -1;
    }
    if (v[0] == '\0' || strlen(v) >= cap) {
        return cfg_fail(cfg, k, "expected a non-empty string of at most %zu bytes", cap - 1);
    }
    snprintf(out, cap, "%s", v);
    return 0;
}

int
strat_ema_rsi_params_from_cfg(cfg_t *cfg, const char *path, strat_ema_rsi_params_t *out)
{
    static const char *const k_known[] = { "name",
                                           "type",
                                           "venue",
                                           "symbol",
                                           "tf_s",
                                           "fast",
                                           "slow",
                                           "rsi_period",
                                           "rsi_long_max",
                                           "rsi_exit_min",
                                           "long_only",
                                           "stop_pct",
                                           "take_profit_pct",
                                           NULL };
    strat_ema_rsi_params_t p;
    memset(&p, 0, sizeof p);
    char k[160];
    int64_t v;
    if (cfg_check_keys(cfg, path, k_known) != 0
        || s_copy_str(cfg, path, "name", NULL, p.name, sizeof p.name) != 0
        || s_copy_str(cfg, path, "venue", NULL, p.venue, sizeof p.venue) != 0
        || s_copy_str(cfg, path, "symbol", NULL, p.symbol, sizeof p.symbol) != 0) {
        return -1;
    }
    snprintf(k, sizeof k, "%s.tf_s", path);
    if (cfg_int(cfg, k, 60, 1, 7 * 86400, false, &v) != 0) {
        return -1;
    }
    p.tf_s = (int)v;
    snprintf(k, sizeof k, "%s.fast", path);
    if (cfg_int(cfg, k, 9, 2, EMA_MAX_PERIOD, false, &v) != 0) {
        return -1;
    }
    p.fast = (int)v;
    snprintf(k, sizeof k, "%s.slow", path);
    if (cfg_int(cfg, k, 21, 2, EMA_MAX_PERIOD, false, &v) != 0) {
        return -1;
    }
    p.slow = (int)v;
    if (p.slow <= p.fast) {
        return cfg_fail(cfg, k, "expected slow > fast (%d), got %d", p.fast, p.slow);
    }
    snprintf(k, sizeof k, "%s.rsi_period", path);
    if (cfg_int(cfg, k, 14, 2, RSI_MAX_PERIOD, false, &v) != 0) {
        return -1;
    }
    p.rsi_period = (int)v;
    snprintf(k, sizeof k, "%s.rsi_long_max", path);
    if (cfg_double(cfg, k, 70.0, 0.0, 100.0, false, &p.rsi_long_max) != 0) {
        return -1;
    }
    snprintf(k, sizeof k, "%s.rsi_exit_min", path);
    if (cfg_double(cfg, k, 30.0, 0.0, 100.0, false, &p.rsi_exit_min) != 0) {
        return -1;
    }
    snprintf(k, sizeof k, "%s.long_only", path);
    if (cfg_bool(cfg, k, true, &p.long_only) != 0) {
        return -1;
    }
    snprintf(k, sizeof k, "%s.stop_pct", path);
    if (cfg_money(cfg, k, SLTP_PCT_SCALE, "0.5", 0, SLTP_PCT_MAX, &p.stop_pct_e4) != 0) {
        return -1;
    }
    snprintf(k, sizeof k, "%s.take_profit_pct", path);
    if (cfg_money(cfg, k, SLTP_PCT_SCALE, "1.0", 0, SLTP_PCT_MAX, &p.take_pct_e4) != 0) {
        return -1;
    }
    *out = p;
    return 0;
}

/* ---- strategy_ops_t glue ------------------------------------------------------------- */

static void *
s_from_cfg(cfg_t *cfg, const char *path)
{
    strat_ema_rsi_params_t p;
    if (strat_ema_rsi_params_from_cfg(cfg, path, &p) != 0) {
        return NULL;
    }
    strat_ema_rsi_t *self = strat_ema_rsi_new(&p);
    if (!self && errno == EINVAL) {
        cfg_fail(cfg, path, "invalid ema_cross_rsi parameters");
    }
    return self;
}

static void
s_destroy(void **impl_p)
{
    strat_ema_rsi_t *self = *impl_p;
    strat_ema_rsi_destroy(&self);
    *impl_p = NULL;
}

static int
s_on_bar(void *impl, const codec_sig_bar_t *bar, int64_t evt, const instr_t *instr,
         codec_sig_signal_t *out)
{
    return strat_ema_rsi_on_bar(impl, bar, evt, instr, out);
}

static int
s_indicators(const void *impl, codec_sig_ind_t *ind)
{
    return strat_ema_rsi_indicators(impl, ind);
}

static const char *
s_name(const void *impl)
{
    return ((const strat_ema_rsi_t *)impl)->p.name;
}

static void
s_series(const void *impl, const char **venue, const char **symbol, int *tf_s)
{
    const strat_ema_rsi_t *self = impl;
    *venue = self->p.venue;
    *symbol = self->p.symbol;
    *tf_s = self->p.tf_s;
}

/* Reloadable: rsi_long_max, rsi_exit_min, long_only, stop_pct, take_profit_pct (thresholds
 * read on the next bar); periods shape the EMA/RSI state and need a restart. */
static void
s_retune(void *impl, const void *fresh)
{
    strat_ema_rsi_t *self = impl;
    const strat_ema_rsi_t *f = fresh;
    self->p.rsi_long_max = f->p.rsi_long_max;
    self->p.rsi_exit_min = f->p.rsi_exit_min;
    self->p.long_only = f->p.long_only;
    self->p.stop_pct_e4 = f->p.stop_pct_e4;
    self->p.take_pct_e4 = f->p.take_pct_e4;
}

const strategy_ops_t strat_ema_rsi_ops = {
    .type = "ema_cross_rsi",
    .from_cfg = s_from_cfg,
    .destroy = s_destroy,
    .on_bar = s_on_bar,
    .indicators = s_indicators,
    .name = s_name,
    .series = s_series,
    .retune = s_retune,
};
