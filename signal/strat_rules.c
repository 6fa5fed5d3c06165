/*  strat_rules.c - rule strategies from config. See strat_rules.h. */
#include "signal/strat_rules.h"
#include "common/money.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal/sltp.h"

/* operand: a series id (>= 0: IND_* value, or one of the bar fields below) or a constant */
enum { S_OPEN = IND_COUNT, S_HIGH, S_LOW, S_CLOSE, S_VOLUME, S_CONST };

typedef enum { OP_XABOVE, OP_XBELOW, OP_GT, OP_LT, OP_GE, OP_LE, OP_WITHIN } s_op_t;

static const char *const k_ops[] = {
    "crosses_above", "crosses_below", "gt", "lt", "ge", "le", "within", NULL
};

typedef struct {
    int id;       /* series or S_CONST */
    double value; /* S_CONST */
    char name[16];
} s_operand_t;

typedef struct {
    s_op_t op;
    s_operand_t left, right, upper; /* within: right = lower */
    double prev_l, prev_r;
    bool have_prev;
} s_rule_t;

typedef enum { K_NONE, K_PCT, K_ATR, K_RR } s_kind_t;

typedef struct {
    su_series_t s;
    ind_t *ind;
    s_rule_t rules[RULES_MAX];
    int n;
    int side;
    bool any;
    bool prev_true;
    int64_t last_start;
    s_kind_t stop_kind, take_kind;
    int64_t stop_pct_e4, take_pct_e4;
    double stop_k, take_k;
} s_self_t;
_Static_assert(offsetof(s_self_t, s) == 0, "su_ops_* read the series at the start");

static int
s_series_id(const ind_t *ind, const char *name)
{
    static const char *const k_bar[] = { "open", "high", "low", "close", "volume" };
    for (int i = 0; i < 5; i++) {
        if (strcmp(name, k_bar[i]) == 0) {
            return S_OPEN + i;
        }
    }
    for (int i = 0; i < IND_COUNT; i++) {
        if (ind_name(ind, i)[0] && strcmp(ind_name(ind, i), name) == 0) {
            return i;
        }
    }
    return -1;
}

/* Operand at path.key (series name) or path.vkey (number). required: one of them must exist. */
static int
s_operand(cfg_t *cfg, const char *path, const char *key, const char *vkey, const ind_t *ind,
          s_operand_t *out)
{
    char k[224], kv[224];
    snprintf(k, sizeof k, "%s.%s", path, key);
    snprintf(kv, sizeof kv, "%s.%s", path, vkey);
    bool hs = cfg_has(cfg, k), hv = cfg_has(cfg, kv);
    if (hs && hv) {
        return cfg_fail(cfg, kv, "give either \"%s\" or \"%s\", not both", key, vkey);
    }
    if (!hs && !hv) {
        return cfg_fail(cfg, k, "missing operand (\"%s\": series name or \"%s\": number)", key,
                        vkey);
    }
    memset(out, 0, sizeof *out);
    if (hv) {
        out->id = S_CONST;
        if (cfg_double(cfg, kv, 0, -1e300, 1e300, true, &out->value) != 0) {
            return -1;
        }
        snprintf(out->name, sizeof out->name, "%g", out->value);
        return 0;
    }
    const char *name;
    if (cfg_str(cfg, k, NULL, &name) != 0) {
        return -1;
    }
    out->id = s_series_id(ind, name);
    if (out->id < 0) {
        return cfg_fail(cfg, k,
                        "unknown series \"%s\" (open, high, low, close, volume, sma20, "
                        "ema9, rsi14, macd, bb_upper, atr14, adx14, ... see "
                        "docs/signal.md)",
                        name);
    }
    snprintf(out->name, sizeof out->name, "%s", name);
    return 0;
}

static int
s_level_cfg(cfg_t *cfg, const char *path, bool take, s_kind_t *kind, int64_t *pct, double *k)
{
    static const char *const k_keys[] = { "pct", "atr", "rr", NULL };
    char key[224];
    if (cfg_check_keys(cfg, path, k_keys) != 0) {
        return -1;
    }
    int found = 0;
    *kind = K_NONE;
    snprintf(key, sizeof key, "%s.pct", path);
    if (cfg_has(cfg, key)) {
        found++;
        *kind = K_PCT;
        if (cfg_money(cfg, key, SLTP_PCT_SCALE, NULL, 1, SLTP_PCT_MAX, pct) != 0) {
            return -1;
        }
    }
    snprintf(key, sizeof key, "%s.atr", path);
    if (cfg_has(cfg, key)) {
        found++;
        *kind = K_ATR;
        if (cfg_double(cfg, key, 0, 0.01, 100, true, k) != 0) {
            return -1;
        }
    }
    snprintf(key, sizeof key, "%s.rr", path);
    if (cfg_has(cfg, key)) {
        found++;
        *kind = K_RR;
        if (!take) {
            return cfg_fail(cfg, key, "reward:risk is for take_profit only");
        }
        if (cfg_double(cfg, key, 0, 0.01, 100, true, k) != 0) {
            return -1;
        }
    }
    if (found != 1) {
        return cfg_fail(cfg, path, "expected exactly one of pct, atr%s", take ? ", rr" : "");
    }
    return 0;
}

static void s_destroy(void **impl_p);

static void *
s_from_cfg(cfg_t *cfg, const char *path)
{
    static const char *const k_known[] = { "name", "type",        "venue",   "symbol",
                                           "tf_s", "side",        "combine", "rules",
                                           "stop", "take_profit", NULL };
    static const char *const k_rule_keys[] = { "left",  "op",          "right",
                                               "value", "lower",       "lower_value",
                                               "upper", "upper_value", NULL };
    char k[224], rp[160];
    if (cfg_check_keys(cfg, path, k_known) != 0) {
        return NULL;
    }
    s_self_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    ind_params_t ip;
    ind_params_default(&ip);
    self->ind = ind_new(&ip);
    self->last_start = INT64_MIN;
    if (!self->ind) {
        goto fail;
    }
    if (su_cfg_series(cfg, path, &self->s) != 0) {
        goto fail;
    }
    const char *v;
    snprintf(k, sizeof k, "%s.side", path);
    if (cfg_str(cfg, k, NULL, &v) != 0) {
        goto fail;
    }
    if (strcmp(v, "buy") != 0 && strcmp(v, "sell") != 0) {
        cfg_fail(cfg, k, "expected \"buy\" or \"sell\", got \"%s\"", v);
        goto fail;
    }
    self->side = v[0] == 'b' ? 1 : -1;
    snprintf(k, sizeof k, "%s.combine", path);
    if (cfg_str(cfg, k, "all", &v) != 0) {
        goto fail;
    }
    if (strcmp(v, "all") != 0 && strcmp(v, "any") != 0) {
        cfg_fail(cfg, k, "expected \"all\" or \"any\", got \"%s\"", v);
        goto fail;
    }
    self->any = strcmp(v, "any") == 0;
    snprintf(k, sizeof k, "%s.rules", path);
    int n = cfg_array_len(cfg, k);
    if (n < 0) {
        goto fail;
    }
    if (n < 1 || n > RULES_MAX) {
        cfg_fail(cfg, k, "expected 1..%d rules, got %d", RULES_MAX, n);
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        s_rule_t *r = &self->rules[i];
        snprintf(rp, sizeof rp, "%s.rules[%d]", path, i);
        if (cfg_check_keys(cfg, rp, k_rule_keys) != 0) {
            goto fail;
        }
        snprintf(k, sizeof k, "%s.op", rp);
        if (cfg_str(cfg, k, NULL, &v) != 0) {
            goto fail;
        }
        int op = -1;
        for (int o = 0; k_ops[o]; o++) {
            if (strcmp(k_ops[o], v) == 0) {
                op = o;
            }
        }
        if (op < 0) {
            cfg_fail(cfg, k,
                     "unknown op \"%s\" (crosses_above, crosses_below, gt, lt, ge, le, "
                     "within)",
                     v);
            goto fail;
        }
        r->op = (s_op_t)op;
        if (s_operand(cfg, rp, "left", "left_value", self->ind, &r->left) != 0) {
            goto fail;
        }
        if (r->left.id == S_CONST) {
            cfg_fail(cfg, rp, "left must be a series");
            goto fail;
        }
        if (r->op == OP_WITHIN) {
            snprintf(k, sizeof k, "%s.right", rp);
            char kv[224];
            snprintf(kv, sizeof kv, "%s.value", rp);
            if (cfg_has(cfg, k) || cfg_has(cfg, kv)) {
                cfg_fail(cfg, cfg_has(cfg, k) ? k : kv, "within takes lower and upper");
                goto fail;
            }
            if (s_operand(cfg, rp, "lower", "lower_value", self->ind, &r->right) != 0
                || s_operand(cfg, rp, "upper", "upper_value", self->ind, &r->upper) != 0) {
                goto fail;
            }
        } else {
            snprintf(k, sizeof k, "%s.lower", rp);
            char ku[224];
            snprintf(ku, sizeof ku, "%s.upper", rp);
            if (cfg_has(cfg, k) || cfg_has(cfg, ku)) {
                cfg_fail(cfg, cfg_has(cfg, k) ? k : ku, "lower/upper are for op within only");
                goto fail;
            }
            if (s_operand(cfg, rp, "right", "value", self->ind, &r->right) != 0) {
                goto fail;
            }
        }
    }
    self->n = n;
    snprintf(k, sizeof k, "%s.stop", path);
    if (cfg_has(cfg, k)
        && s_level_cfg(cfg, k, false, &self->stop_kind, &self->stop_pct_e4, &self->stop_k) != 0) {
        goto fail;
    }
    snprintf(k, sizeof k, "%s.take_profit", path);
    if (cfg_has(cfg, k)
        && s_level_cfg(cfg, k, true, &self->take_kind, &self->take_pct_e4, &self->take_k) != 0) {
        goto fail;
    }
    if (self->take_kind == K_RR && self->stop_kind == K_NONE) {
        cfg_fail(cfg, k, "reward:risk needs a stop");
        goto fail;
    }
    return self;
fail:;
    void *impl = self;
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
        free(self);
    }
    *impl_p = NULL;
}

static bool
s_value(const s_self_t *self, const ind_bar_t *b, double open, const s_operand_t *o, double *out)
{
    switch (o->id) {
    case S_CONST:
        *out = o->value;
        return true;
    case S_OPEN:
        *out = open;
        return true;
    case S_HIGH:
        *out = b->high;
        return true;
    case S_LOW:
        *out = b->low;
        return true;
    case S_CLOSE:
        *out = b->close;
        return true;
    case S_VOLUME:
        *out = b->volume;
        return true;
    default:
        return ind_get(self->ind, o->id, out) == 0;
    }
}

static const char *const k_op_txt[] = { "crosses above", "crosses below", ">", "<", ">=", "<=",
                                        "within" };

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
    if (ind_update(self->ind, &b) != 0) {
        return -1;
    }
    self->last_start = bar->start_ns;
    double open = money_to_double(bar->open, bar->px_scale);
    int held = 0;
    uint32_t held_mask = 0;
    for (int i = 0; i < self->n; i++) {
        s_rule_t *r = &self->rules[i];
        double l, rv, u = 0;
        bool ok = s_value(self, &b, open, &r->left, &l) && s_value(self, &b, open, &r->right, &rv)
                  && (r->op != OP_WITHIN || s_value(self, &b, open, &r->upper, &u));
        bool t = false;
        if (ok) {
            switch (r->op) {
            case OP_XABOVE:
                t = r->have_prev && r->prev_l <= r->prev_r && l > rv;
                break;
            case OP_XBELOW:
                t = r->have_prev && r->prev_l >= r->prev_r && l < rv;
                break;
            case OP_GT:
                t = l > rv;
                break;
            case OP_LT:
                t = l < rv;
                break;
            case OP_GE:
                t = l >= rv;
                break;
            case OP_LE:
                t = l <= rv;
                break;
            case OP_WITHIN:
                t = rv <= l && l <= u;
                break;
            }
            r->prev_l = l;
            r->prev_r = rv;
            r->have_prev = true;
        } else {
            r->have_prev = false;
        }
        if (t) {
            held++;
            held_mask |= 1u << i;
        }
    }
    bool now = self->any ? held > 0 : held == self->n;
    bool fire = now && !self->prev_true;
    self->prev_true = now;
    if (!fire) {
        return 0;
    }
    /* distances in price units */
    double ref = b.close, atr = 0, sd = 0, td = 0;
    bool need_atr = self->stop_kind == K_ATR || self->take_kind == K_ATR;
    if (need_atr && ind_get(self->ind, IND_ATR, &atr) != 0) {
        return 0; /* no ATR yet: no priced signal */
    }
    int64_t sl = 0, tp = 0, tick = su_tick(instr, bar->px_scale);
    if (self->stop_kind == K_ATR || self->take_kind == K_ATR || self->take_kind == K_RR) {
        sd = self->stop_kind == K_PCT   ? ref * (double)self->stop_pct_e4 / 1e6
             : self->stop_kind == K_ATR ? self->stop_k * atr
                                        : 0;
        td = self->take_kind == K_PCT   ? ref * (double)self->take_pct_e4 / 1e6
             : self->take_kind == K_ATR ? self->take_k * atr
             : self->take_kind == K_RR  ? self->take_k * sd
                                        : 0;
        if (sltp_dist(self->side, bar->close, bar->px_scale, tick, sd, td, &sl, &tp) != 0) {
            errno = ERANGE;
            return -1;
        }
    } else if (sltp_levels(self->side, bar->close, bar->px_scale, tick,
                           self->stop_kind == K_PCT ? self->stop_pct_e4 : 0,
                           self->take_kind == K_PCT ? self->take_pct_e4 : 0, &sl, &tp)
               != 0) {
        errno = ERANGE;
        return -1;
    }
    su_fill(out, &self->s, self->side, 100.0 * held / self->n, bar->px_scale, bar->close, sl, tp,
            evt);
    size_t wl = (size_t)snprintf(out->reason, sizeof out->reason, "rules %d/%d:", held, self->n);
    for (int i = 0; i < self->n && wl < sizeof out->reason; i++) {
        const s_rule_t *r = &self->rules[i];
        if (!(held_mask & (1u << i))) {
            continue;
        }
        int w = r->op == OP_WITHIN
                    ? snprintf(out->reason + wl, sizeof out->reason - wl, " %s within [%s, %s];",
                               r->left.name, r->right.name, r->upper.name)
                    : snprintf(out->reason + wl, sizeof out->reason - wl, " %s %s %s;",
                               r->left.name, k_op_txt[r->op], r->right.name);
        wl += w > 0 ? (size_t)w : 0;
    }
    return 1;
}


const strategy_ops_t strat_rules_ops = {
    .type = "rules",
    .from_cfg = s_from_cfg,
    .destroy = s_destroy,
    .on_bar = s_on_bar,
    .indicators = su_ops_no_indicators,
    .name = su_ops_name,
    .series = su_ops_series,
};
