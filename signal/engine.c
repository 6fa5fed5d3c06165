/*  engine.c - signal stage logic: md.* -> bars -> strategies -> sig.*. See engine.h. */
#include "signal/engine.h"

#include <assert.h>
#include <stddef.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/instr.h"
#include "common/log.h"
#include "common/money.h"
#include "signal/ctx.h"
#include "signal/ind.h"
#include "signal/mtf.h"
#include "signal/strat_setups.h"
#include <math.h>

#define S_MOD            "signal"
#define S_MAX_IND_SERIES 64

/* A series with the full indicator set (signal.indicators[]). */
typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int tf_s;
    ind_t *ind;
    ctx_t *ctx;
    double imbalance; /* last md.book of the symbol, top ctx book_levels; NAN before */
} s_ind_series_t;

struct engine {
    engine_pub_fn *pub;
    void *arg;
    instr_table_t *instr;
    bars_t *bars;
    strategy_t *strats[ENGINE_MAX_STRATEGIES];
    size_t n_strats;
    size_t n_trade_series;
    mtf_t *mtf;
    s_ind_series_t ind[S_MAX_IND_SERIES];
    size_t n_ind;
    size_t n_book_strats; /* strategies with an on_book/on_trade hook */
    int64_t cur_origin;   /* origin of the md message being handled */
    bool silent;          /* warm-up: state advances, nothing is published */
    /* series that are not warmed from klines: trade-built and aggregated ones */
    struct {
        char venue[CODEC_VENUE_MAX];
        char symbol[CODEC_SYM_MAX];
        int tf_s;
    } derived[BARS_MAX_SERIES + MTF_MAX_SERIES];
    size_t n_derived;
    /* live mode after a trade warm-up: live trades at/before the last restored one's event
     * time were in the history already (engine_warmup_trades_json, dedupe) */
    struct {
        char venue[CODEC_VENUE_MAX];
        char symbol[CODEC_SYM_MAX];
        int64_t until_evt;
    } trade_skip[BARS_MAX_SERIES];
    size_t n_trade_skip;
    uint64_t trade_dups; /* live trades dropped by that rule */
    int64_t grace_ns;    /* signal.bar_grace_ms in ns; 0 = off */
    engine_counters_t counters;
    log_limit_t lim_bad, lim_pub, lim_strat, lim_instr, lim_scale;
};

static void s_on_bar(const codec_sig_bar_t *bar, int64_t evt, void *arg);
static void s_add_derived(engine_t *self, const char *venue, const char *symbol, int tf_s);
static int s_on_trade(engine_t *self, const codec_md_trade_t *t, int64_t evt);

engine_t *
engine_new(engine_pub_fn *pub, void *arg)
{
    if (!pub) {
        errno = EINVAL;
        return NULL;
    }
    engine_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->pub = pub;
    self->arg = arg;
    self->instr = instr_table_new();
    self->bars = bars_new(s_on_bar, self);
    self->mtf = mtf_new(s_on_bar, self);
    if (!self->instr || !self->bars || !self->mtf) {
        engine_destroy(&self);
        errno = ENOMEM;
        return NULL;
    }
    return self;
}

void
engine_destroy(engine_t **self_p)
{
    assert(self_p);
    engine_t *self = *self_p;
    if (!self) {
        return;
    }
    for (size_t i = 0; i < self->n_strats; i++) {
        strategy_destroy(&self->strats[i]);
    }
    for (size_t i = 0; i < self->n_ind; i++) {
        ind_destroy(&self->ind[i].ind);
        ctx_destroy(&self->ind[i].ctx);
    }
    mtf_destroy(&self->mtf);
    bars_destroy(&self->bars);
    instr_table_destroy(&self->instr);
    free(self);
    *self_p = NULL;
}

int
engine_add_strategy(engine_t *self, strategy_t *s)
{
    assert(self && s);
    for (size_t i = 0; i < self->n_strats; i++) {
        if (strcmp(strategy_name(self->strats[i]), strategy_name(s)) == 0) {
            strategy_destroy(&s);
            errno = EEXIST;
            return -1;
        }
    }
    if (self->n_strats == ENGINE_MAX_STRATEGIES) {
        strategy_destroy(&s);
        errno = ENOSPC;
        return -1;
    }
    self->strats[self->n_strats++] = s;
    self->n_book_strats += strategy_wants_md(s);
    return 0;
}

int
engine_set_bar_grace_ms(engine_t *self, int64_t grace_ms)
{
    assert(self);
    if (grace_ms < 0 || grace_ms > (int64_t)BARS_MAX_TF_S * 1000
        || bars_set_grace(self->bars, grace_ms * 1000000) != 0) {
        errno = EINVAL;
        return -1;
    }
    self->grace_ns = grace_ms * 1000000;
    return 0;
}

int
engine_add_trade_series(engine_t *self, const char *venue, const char *symbol, int tf_s)
{
    assert(self);
    if (bars_add_trade_series(self->bars, venue, symbol, tf_s) != 0) {
        return -1;
    }
    self->n_trade_series++;
    s_add_derived(self, venue, symbol, tf_s);
    return 0;
}

static void
s_add_derived(engine_t *self, const char *venue, const char *symbol, int tf_s)
{
    if (self->n_derived < sizeof self->derived / sizeof self->derived[0]) {
        snprintf(self->derived[self->n_derived].venue, CODEC_VENUE_MAX, "%s", venue);
        snprintf(self->derived[self->n_derived].symbol, CODEC_SYM_MAX, "%s", symbol);
        self->derived[self->n_derived].tf_s = tf_s;
        self->n_derived++;
    }
}

int
engine_add_indicators(engine_t *self, const char *venue, const char *symbol, int tf_s,
                      const ind_params_t *p, const ctx_params_t *cx)
{
    assert(self && p);
    if (!venue || !symbol || !venue[0] || !symbol[0] || strlen(venue) >= CODEC_VENUE_MAX
        || strlen(symbol) >= CODEC_SYM_MAX || tf_s < 1) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < self->n_ind; i++) {
        s_ind_series_t *x = &self->ind[i];
        if (x->tf_s == tf_s && strcmp(x->venue, venue) == 0 && strcmp(x->symbol, symbol) == 0) {
            errno = EEXIST;
            return -1;
        }
    }
    if (self->n_ind == S_MAX_IND_SERIES) {
        errno = ENOSPC;
        return -1;
    }
    s_ind_series_t *x = &self->ind[self->n_ind];
    x->ind = ind_new(p);
    if (!x->ind) {
        return -1;
    }
    ctx_params_t cp;
    ctx_params_default(&cp);
    x->ctx = ctx_new(cx ? cx : &cp);
    if (!x->ctx) {
        ind_destroy(&x->ind);
        return -1;
    }
    x->imbalance = NAN;
    snprintf(x->venue, sizeof x->venue, "%s", venue);
    snprintf(x->symbol, sizeof x->symbol, "%s", symbol);
    x->tf_s = tf_s;
    self->n_ind++;
    return 0;
}

int
engine_add_mtf(engine_t *self, const char *venue, const char *symbol, int base_tf_s, int tf_s)
{
    assert(self);
    if (mtf_add(self->mtf, venue, symbol, base_tf_s, tf_s) != 0) {
        return -1;
    }
    s_add_derived(self, venue, symbol, tf_s);
    return 0;
}

/* ---- warm-up ---------------------------------------------------------------------------- */

static bool
s_is_derived(const engine_t *self, const char *venue, const char *symbol, int tf_s)
{
    for (size_t i = 0; i < self->n_derived; i++) {
        if (self->derived[i].tf_s == tf_s && strcmp(self->derived[i].venue, venue) == 0
            && strcmp(self->derived[i].symbol, symbol) == 0) {
            return true;
        }
    }
    return false;
}

void
engine_each_kline_series(const engine_t *self, engine_series_fn *fn, void *arg)
{
    assert(self && fn);
    /* candidates: strategies' series, indicator series, aggregation bases; unique, not derived */
    struct {
        const char *v, *s;
        int tf;
    } seen[ENGINE_MAX_STRATEGIES + S_MAX_IND_SERIES + MTF_MAX_SERIES];
    size_t n = 0;
    const char *v, *sy;
    int tf;
    for (size_t i = 0; i < self->n_strats + self->n_ind + mtf_n_bases(self->mtf); i++) {
        if (i < self->n_strats) {
            strategy_series(self->strats[i], &v, &sy, &tf);
        } else if (i < self->n_strats + self->n_ind) {
            const s_ind_series_t *x = &self->ind[i - self->n_strats];
            v = x->venue;
            sy = x->symbol;
            tf = x->tf_s;
        } else if (mtf_base(self->mtf, i - self->n_strats - self->n_ind, &v, &sy, &tf) != 0) {
            continue;
        }
        if (s_is_derived(self, v, sy, tf)) {
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < n && !dup; k++) {
            dup = seen[k].tf == tf && strcmp(seen[k].v, v) == 0 && strcmp(seen[k].s, sy) == 0;
        }
        if (!dup) {
            seen[n].v = v;
            seen[n].s = sy;
            seen[n].tf = tf;
            n++;
            fn(v, sy, tf, arg);
        }
    }
}

/* One warm-up kline through the normal bar path: published and counted when `live`, else
 * only the state advances. Returns as bars_on_kline. */
static int
s_warm_one(engine_t *self, const codec_md_kline_t *k, bool live, int64_t origin)
{
    engine_counters_t saved = self->counters;
    self->silent = !live;
    self->cur_origin = origin;
    int e = bars_on_kline(self->bars, k);
    self->silent = false;
    if (!live) {
        self->counters = saved;
    }
    return e;
}

int
engine_warmup_klines(engine_t *self, const codec_md_kline_t *k, size_t n, int64_t live_from_evt,
                     int64_t origin, size_t *n_bars)
{
    assert(self && (k || n == 0));
    size_t bars = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t evt = k[i].ts_event > 0 ? k[i].ts_event : k[i].end_ns;
        int e = s_warm_one(self, &k[i], evt >= live_from_evt, origin);
        if (e < 0) {
            rc = -1;
            break;
        }
        bars += (size_t)e;
    }
    if (n_bars) {
        *n_bars = bars;
    }
    if (rc != 0) {
        errno = EPROTO;
    }
    return rc;
}

void
engine_each_trade_symbol(const engine_t *self, engine_series_fn *fn, void *arg)
{
    assert(self && fn);
    for (size_t i = 0; i < self->n_derived; i++) {
        const char *v = self->derived[i].venue, *sy = self->derived[i].symbol;
        if (bars_trade_window_start(self->bars, v, sy, 0) < 0) {
            continue; /* an aggregate, not a trade series */
        }
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++) {
            seen = strcmp(self->derived[k].venue, v) == 0
                   && strcmp(self->derived[k].symbol, sy) == 0
                   && bars_trade_window_start(self->bars, v, sy, 0) >= 0;
        }
        if (!seen) {
            fn(v, sy, 0, arg);
        }
    }
}

/* One row of the recorder's trades answer -> md.trade. false if a field is missing. */
static bool
s_trade_row(const json_t *row, const char *venue, const char *symbol, codec_md_trade_t *t,
            int64_t *id)
{
    const char *side = json_string_value(json_object_get(row, "side"));
    const char *tid = json_string_value(json_object_get(row, "trade_id"));
    memset(t, 0, sizeof *t);
    if (!json_is_integer(json_object_get(row, "id"))
        || !json_is_integer(json_object_get(row, "evt"))
        || !json_is_integer(json_object_get(row, "px_m"))
        || !json_is_integer(json_object_get(row, "qty_m")) || !side
        || (strcmp(side, "buy") != 0 && strcmp(side, "sell") != 0)) {
        return false;
    }
    snprintf(t->venue, sizeof t->venue, "%s", venue);
    snprintf(t->symbol, sizeof t->symbol, "%s", symbol);
    t->px = json_integer_value(json_object_get(row, "px_m"));
    t->qty = json_integer_value(json_object_get(row, "qty_m"));
    t->px_scale = (int32_t)json_integer_value(json_object_get(row, "px_scale"));
    t->qty_scale = (int32_t)json_integer_value(json_object_get(row, "qty_scale"));
    t->side = side[0] == 'b' ? 1 : -1;
    t->ts_event = json_integer_value(json_object_get(row, "evt"));
    snprintf(t->trade_id, sizeof t->trade_id, "%s", tid ? tid : "");
    *id = json_integer_value(json_object_get(row, "id"));
    return true;
}

int
engine_warmup_trades_json(engine_t *self, const char *venue, const char *symbol, const char *reply,
                          size_t len, int64_t n_asked, int64_t after_id, bool dedupe,
                          int64_t origin, int64_t *last_id, size_t *n_trades)
{
    assert(self && venue && symbol && reply && last_id);
    json_error_t jerr;
    json_t *j = json_loadb(reply, len, 0, &jerr);
    json_t *rows = j ? json_object_get(j, "trades") : NULL;
    if (!j || !json_is_true(json_object_get(j, "ok")) || !json_is_array(rows)) {
        json_decref(j);
        errno = EPROTO;
        return -1;
    }
    size_t m = json_array_size(rows), fed = 0;
    codec_md_trade_t t;
    int64_t id, max_evt = -1, max_id = *last_id, prev_id = -1;
    for (size_t i = 0; i < m; i++) {
        if (!s_trade_row(json_array_get(rows, i), venue, symbol, &t, &id) || id <= prev_id) {
            json_decref(j);
            errno = EPROTO;
            return -1;
        }
        prev_id = id;
        max_evt = t.ts_event > max_evt ? t.ts_event : max_evt;
        max_id = id > max_id ? id : max_id;
    }
    int rc = 0;
    int64_t since = -1;
    size_t from = m;
    if (after_id < 0) {
        /* warm-up: from the first trade (arrival order) at/after the earliest open bar start;
         * the window must reach back before it, else the open bar may have begun earlier */
        since = bars_trade_window_start(self->bars, venue, symbol, max_evt);
        for (from = 0; from < m; from++) {
            (void)s_trade_row(json_array_get(rows, from), venue, symbol, &t, &id);
            if (t.ts_event >= since) {
                break;
            }
        }
        if (m > 0 && from == 0 && (int64_t)m >= n_asked) {
            errno = ERANGE;
            rc = -1;
            from = m; /* nothing restored */
        }
    }
    for (size_t i = after_id < 0 ? from : 0; i < m && rc == 0; i++) {
        (void)s_trade_row(json_array_get(rows, i), venue, symbol, &t, &id);
        if (after_id >= 0 && id <= after_id) {
            continue; /* fed at warm-up or at an earlier catch-up */
        }
        bool live = after_id >= 0;
        engine_counters_t saved = self->counters;
        self->silent = !live;
        self->cur_origin = origin;
        int e = live ? s_on_trade(self, &t, t.ts_event) : bars_on_trade(self->bars, &t);
        self->silent = false;
        if (!live) {
            self->counters = saved;
        }
        if (e < 0) {
            errno = EPROTO;
            rc = -1;
            break;
        }
        fed++;
    }
    if (dedupe && max_evt >= 0 && rc == 0 && self->n_trade_skip < BARS_MAX_SERIES) {
        size_t k = self->n_trade_skip++;
        snprintf(self->trade_skip[k].venue, sizeof self->trade_skip[k].venue, "%s", venue);
        snprintf(self->trade_skip[k].symbol, sizeof self->trade_skip[k].symbol, "%s", symbol);
        self->trade_skip[k].until_evt = max_evt;
    }
    json_decref(j);
    *last_id = max_id;
    if (n_trades) {
        *n_trades = fed;
    }
    return rc;
}

int
engine_warmup_json(engine_t *self, const char *venue, const char *symbol, int tf_s,
                   const char *reply, size_t len, size_t *n_bars)
{
    return engine_warmup_json_from(self, venue, symbol, tf_s, reply, len, INT64_MAX, 0, n_bars);
}

int
engine_warmup_json_from(engine_t *self, const char *venue, const char *symbol, int tf_s,
                        const char *reply, size_t len, int64_t published_ns, int64_t origin,
                        size_t *n_bars)
{
    assert(self && venue && symbol && reply);
    json_error_t jerr;
    json_t *j = json_loadb(reply, len, 0, &jerr);
    json_t *bars = j ? json_object_get(j, "bars") : NULL;
    if (!j || !json_is_true(json_object_get(j, "ok")) || !json_is_array(bars)) {
        json_decref(j);
        errno = EPROTO;
        return -1;
    }
    size_t n = 0, idx;
    json_t *row;
    int rc = 0;
    json_array_foreach(bars, idx, row)
    {
        codec_md_kline_t k;
        memset(&k, 0, sizeof k);
        snprintf(k.venue, sizeof k.venue, "%s", venue);
        snprintf(k.symbol, sizeof k.symbol, "%s", symbol);
        k.interval_s = tf_s;
        k.start_ns = json_integer_value(json_object_get(row, "start_ns"));
        k.end_ns = json_integer_value(json_object_get(row, "end_ns"));
        k.open = json_integer_value(json_object_get(row, "open_m"));
        k.high = json_integer_value(json_object_get(row, "high_m"));
        k.low = json_integer_value(json_object_get(row, "low_m"));
        k.close = json_integer_value(json_object_get(row, "close_m"));
        k.volume = json_integer_value(json_object_get(row, "volume_m"));
        k.quote_volume = json_integer_value(json_object_get(row, "quote_volume_m"));
        k.trades = json_integer_value(json_object_get(row, "trades"));
        /* from the bar's events row (recorder/history.c); 0 when the recorder has none */
        k.taker_buy_volume = json_integer_value(json_object_get(row, "taker_buy_volume_m"));
        k.px_scale = (int32_t)json_integer_value(json_object_get(row, "px_scale"));
        k.qty_scale = (int32_t)json_integer_value(json_object_get(row, "qty_scale"));
        k.ts_event = json_integer_value(json_object_get(row, "evt"));
        k.closed = true;
        if (!json_is_integer(json_object_get(row, "close_m"))
            || k.end_ns != k.start_ns + (int64_t)tf_s * 1000000000LL) {
            rc = -1;
            break;
        }
        /* catch-up (signal/warmup.c s_catchup): a row after published_ns is handled as a live
         * kline, published and counted; the others only advance the state */
        int e = s_warm_one(self, &k, k.start_ns > published_ns, origin);
        if (e < 0) {
            rc = -1;
            break;
        }
        n += (size_t)e;
    }
    json_decref(j);
    if (n_bars) {
        *n_bars = n;
    }
    if (rc != 0) {
        errno = EPROTO;
    }
    return rc;
}

/* signal.indicators[i].context: ctx_params_t keys (ctx.h) */
static int
s_cfg_ctx(cfg_t *cfg, const char *path, ctx_params_t *cp)
{
    static const char *const k_keys[] = { "adx_trend",   "adx_strong", "adx_range", "volatile_pct",
                                          "atr_window",  "swing_n",    "tol_bp",    "max_age_bars",
                                          "book_levels", NULL };
    char key[160];
    int64_t v;
    if (cfg_check_keys(cfg, path, k_keys) != 0) {
        return -1;
    }
    static const char *const k_dbl[] = { "adx_trend", "adx_strong", "adx_range", "volatile_pct",
                                         "tol_bp" };
    double *const dbl[] = { &cp->adx_trend, &cp->adx_strong, &cp->adx_range, &cp->volatile_pct,
                            &cp->tol_bp };
    for (size_t i = 0; i < sizeof k_dbl / sizeof k_dbl[0]; i++) {
        snprintf(key, sizeof key, "%s.%s", path, k_dbl[i]);
        if (cfg_double(cfg, key, *dbl[i], 0, 1000, false, dbl[i]) != 0) {
            return -1;
        }
    }
    static const struct {
        const char *k;
        size_t off;
        int max;
    } k_int[] = {
        { "atr_window", offsetof(ctx_params_t, atr_window), CTX_MAX_ATRWIN },
        { "swing_n", offsetof(ctx_params_t, swing_n), CTX_MAX_SWING },
        { "max_age_bars", offsetof(ctx_params_t, max_age_bars), 1000000 },
        { "book_levels", offsetof(ctx_params_t, book_levels), CODEC_LEVELS },
    };
    for (size_t i = 0; i < sizeof k_int / sizeof k_int[0]; i++) {
        int *dst = (int *)((char *)cp + k_int[i].off);
        snprintf(key, sizeof key, "%s.%s", path, k_int[i].k);
        if (cfg_int(cfg, key, *dst, 0, k_int[i].max, false, &v) != 0) {
            return -1;
        }
        *dst = (int)v;
    }
    ctx_t *probe = ctx_new(cp);
    if (!probe) {
        return cfg_fail(cfg, path,
                        "inconsistent context thresholds (adx_range <= adx_trend < "
                        "adx_strong, atr_window >= 10)");
    }
    ctx_destroy(&probe);
    return 0;
}


/* The series keys of a signal.indicators / signal.mtf entry at `path`: venue and symbol
 * (required) and the timeframe key `tf_key` (seconds, default 60). 0, or -1 with cfg_error. */
static int
s_cfg_series(cfg_t *cfg, const char *path, const char *tf_key, const char **venue,
             const char **symbol, int64_t *tf)
{
    char key[128];
    snprintf(key, sizeof key, "%s.venue", path);
    if (cfg_str(cfg, key, NULL, venue) != 0) {
        return -1;
    }
    snprintf(key, sizeof key, "%s.symbol", path);
    if (cfg_str(cfg, key, NULL, symbol) != 0) {
        return -1;
    }
    snprintf(key, sizeof key, "%s.%s", path, tf_key);
    return cfg_int(cfg, key, 60, 1, BARS_MAX_TF_S, false, tf);
}

/* signal.indicators[i]: {venue, symbol, tf_s, and optional periods (ind_params_t names)} */
static int
s_cfg_indicators(engine_t *self, cfg_t *cfg)
{
    static const char *const k_keys[] = { "venue",  "symbol",    "tf_s",      "sma",         "ema",
                                          "rsi",    "macd_fast", "macd_slow", "macd_signal", "bb",
                                          "bb_k",   "atr",       "adx",       "stddev",      "mom",
                                          "vol_ma", "context",   NULL };
    char path[96], key[128];
    int n = cfg_array_len(cfg, "signal.indicators");
    if (n < 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const char *venue, *symbol;
        int64_t tf, v;
        ind_params_t p;
        ind_params_default(&p);
        snprintf(path, sizeof path, "signal.indicators[%d]", i);
        if (cfg_check_keys(cfg, path, k_keys) != 0) {
            return -1;
        }
        if (s_cfg_series(cfg, path, "tf_s", &venue, &symbol, &tf) != 0) {
            return -1;
        }
        static const struct {
            const char *k;
            size_t off;
            int max;
        } k_ints[] = {
            { "sma", offsetof(ind_params_t, sma), IND_RING - 1 },
            { "rsi", offsetof(ind_params_t, rsi), 100000 },
            { "macd_fast", offsetof(ind_params_t, macd_fast), 100000 },
            { "macd_slow", offsetof(ind_params_t, macd_slow), 100000 },
            { "macd_signal", offsetof(ind_params_t, macd_signal), 100000 },
            { "bb", offsetof(ind_params_t, bb), IND_RING - 1 },
            { "atr", offsetof(ind_params_t, atr), 100000 },
            { "adx", offsetof(ind_params_t, adx), 100000 },
            { "stddev", offsetof(ind_params_t, stddev), IND_RING - 1 },
            { "mom", offsetof(ind_params_t, mom), IND_RING - 1 },
            { "vol_ma", offsetof(ind_params_t, vol_ma), IND_RING - 1 },
        };
        for (size_t k = 0; k < sizeof k_ints / sizeof k_ints[0]; k++) {
            int *dst = (int *)((char *)&p + k_ints[k].off);
            snprintf(key, sizeof key, "%s.%s", path, k_ints[k].k);
            if (cfg_int(cfg, key, *dst, k_ints[k].k[0] == 'm' && k_ints[k].k[1] == 'o' ? 1 : 2,
                        k_ints[k].max, false, &v)
                != 0) {
                return -1;
            }
            *dst = (int)v;
        }
        snprintf(key, sizeof key, "%s.bb_k", path);
        if (cfg_double(cfg, key, p.bb_k, 0.1, 10.0, false, &p.bb_k) != 0) {
            return -1;
        }
        snprintf(key, sizeof key, "%s.ema", path);
        int n_ema = cfg_has(cfg, key) ? cfg_array_len(cfg, key) : -2;
        if (n_ema == -1) {
            return -1;
        }
        if (n_ema >= 0) {
            if (n_ema > IND_MAX_EMA) {
                return cfg_fail(cfg, key, "at most %d EMA periods", IND_MAX_EMA);
            }
            memset(p.ema, 0, sizeof p.ema);
            for (int e = 0; e < n_ema; e++) {
                snprintf(key, sizeof key, "%s.ema[%d]", path, e);
                if (cfg_int(cfg, key, 0, 2, 100000, true, &v) != 0) {
                    return -1;
                }
                p.ema[e] = (int)v;
            }
        }
        ctx_params_t cp;
        ctx_params_default(&cp);
        if (sessions_cfg_read(cfg, &cp.sessions) != 0) {
            return -1;
        }
        snprintf(key, sizeof key, "%s.context", path);
        if (cfg_has(cfg, key) && s_cfg_ctx(cfg, key, &cp) != 0) {
            return -1;
        }
        if (engine_add_indicators(self, venue, symbol, (int)tf, &p, &cp) != 0) {
            return cfg_fail(cfg, path, "%s",
                            errno == EEXIST ? "duplicate indicator series"
                            : errno == ENOSPC
                                ? "too many indicator series"
                                : "bad indicator parameters (macd_fast < macd_slow?)");
        }
    }
    return 0;
}

/* signal.mtf[i]: {venue, symbol, base_tf_s (default 60), tfs: [300, 900, 3600, 14400, 86400]} */
static int
s_cfg_mtf(engine_t *self, cfg_t *cfg)
{
    static const char *const k_keys[] = { "venue", "symbol", "base_tf_s", "tfs", NULL };
    static const int k_default_tfs[] = { 300, 900, 3600, 14400, 86400 };
    char path[96], key[128];
    int n = cfg_array_len(cfg, "signal.mtf");
    if (n < 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const char *venue, *symbol;
        int64_t base, tf;
        snprintf(path, sizeof path, "signal.mtf[%d]", i);
        if (cfg_check_keys(cfg, path, k_keys) != 0) {
            return -1;
        }
        if (s_cfg_series(cfg, path, "base_tf_s", &venue, &symbol, &base) != 0) {
            return -1;
        }
        snprintf(key, sizeof key, "%s.tfs", path);
        int n_tf = cfg_has(cfg, key) ? cfg_array_len(cfg, key) : -2;
        if (n_tf == -1) {
            return -1;
        }
        int count = n_tf >= 0 ? n_tf : 5;
        for (int t = 0; t < count; t++) {
            snprintf(key, sizeof key, "%s.tfs[%d]", path, t);
            if (n_tf >= 0) {
                if (cfg_int(cfg, key, 0, 1, BARS_MAX_TF_S, true, &tf) != 0) {
                    return -1;
                }
            } else {
                tf = k_default_tfs[t];
            }
            if (engine_add_mtf(self, venue, symbol, (int)base, (int)tf) != 0) {
                return cfg_fail(cfg, key, "%s",
                                errno == EEXIST   ? "duplicate timeframe"
                                : errno == ENOSPC ? "too many aggregate series"
                                                  : "must be a multiple of base_tf_s that "
                                                    "divides or is a multiple of 1 day");
            }
        }
    }
    return 0;
}

int
engine_configure(engine_t *self, cfg_t *cfg)
{
    static const char *const k_signal_keys[] = {
        "strategies",        "trade_bars",  "indicators",    "mtf",          "warmup_bars",
        "warmup_timeout_ms", "warmup_rest", "warmup_trades", "bar_grace_ms", NULL
    };
    static const char *const k_bar_keys[] = { "venue", "symbol", "tf_s", NULL };
    char path[96], key[128];
    assert(self && cfg);
    if (cfg_check_keys(cfg, "signal", k_signal_keys) != 0) {
        return -1;
    }
    int n = cfg_array_len(cfg, "signal.strategies");
    if (n < 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "signal.strategies[%d]", i);
        strategy_t *s = strategy_from_cfg(cfg, path);
        if (!s) {
            return errno == EINVAL ? -1 : cfg_fail(cfg, path, "%s", strerror(errno));
        }
        if (engine_add_strategy(self, s) != 0) {
            snprintf(key, sizeof key, "%s.name", path);
            if (errno == EEXIST) {
                return cfg_fail(cfg, key, "duplicate strategy name");
            }
            return cfg_fail(cfg, key, "more than %d strategies", ENGINE_MAX_STRATEGIES);
        }
    }
    int64_t grace_ms;
    if (cfg_int(cfg, "signal.bar_grace_ms", 0, 0, (int64_t)BARS_MAX_TF_S * 1000, false, &grace_ms)
            != 0
        || engine_set_bar_grace_ms(self, grace_ms) != 0) {
        return -1;
    }
    n = cfg_array_len(cfg, "signal.trade_bars");
    if (n < 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const char *venue, *symbol;
        int64_t tf;
        snprintf(path, sizeof path, "signal.trade_bars[%d]", i);
        if (cfg_check_keys(cfg, path, k_bar_keys) != 0) {
            return -1;
        }
        snprintf(key, sizeof key, "%s.venue", path);
        if (cfg_str(cfg, key, NULL, &venue) != 0) {
            return -1;
        }
        snprintf(key, sizeof key, "%s.symbol", path);
        if (cfg_str(cfg, key, NULL, &symbol) != 0) {
            return -1;
        }
        snprintf(key, sizeof key, "%s.tf_s", path);
        if (cfg_int(cfg, key, 0, 1, BARS_MAX_TF_S, true, &tf) != 0) {
            return -1;
        }
        if (engine_add_trade_series(self, venue, symbol, (int)tf) != 0) {
            return cfg_fail(cfg, path, "%s",
                            errno == EEXIST   ? "duplicate trade series"
                            : errno == ENOSPC ? "too many bar series"
                                              : "bad venue or symbol");
        }
    }
    if (s_cfg_indicators(self, cfg) != 0 || s_cfg_mtf(self, cfg) != 0) {
        return -1;
    }
    return 0;
}

/* ---- outputs ------------------------------------------------------------------------- */

static void
s_publish(engine_t *self, const char *topic, codec_type_t type, const void *body, int64_t evt)
{
    if (self->silent) {
        return;
    }
    if (self->pub(self->arg, topic, type, body, evt, self->cur_origin) != 0) {
        log_limited(&self->lim_pub, LOG_WARN, S_MOD, "cannot publish", topic, strlen(topic));
    }
}

static void
s_ctx_put(codec_sig_ind_t *c, const char *name, double v)
{
    if (c->n < CODEC_IND_MAX && isfinite(v)) {
        snprintf(c->names[c->n], sizeof c->names[0], "%s", name);
        c->values[c->n++] = v;
    }
}

/* The context message (docs/signal.md "Market context"): regime (ctx_regime_t number),
 * regime_str, session (sessions_id_t number, common/sessions.h), taker_buy, taker_sell, delta (base
 * units), imbalance (last book), levels (live count), sup_px/sup_str (nearest support at or below
 * the close), res_px/res_str (nearest resistance at or above), atr_pctile (ATR percentile of the
 * regime rule, 0..100, once atr_window ATRs exist: risk's volatility size multiplier). */
static void
s_context_body(const s_ind_series_t *x, const codec_sig_bar_t *bar, double close,
               codec_sig_ind_t *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->venue, sizeof c->venue, "%s", bar->venue);
    snprintf(c->symbol, sizeof c->symbol, "%s", bar->symbol);
    c->tf_s = bar->tf_s;
    c->ts_event = bar->end_ns;
    double st;
    ctx_regime_t r = ctx_regime(x->ctx, &st);
    s_ctx_put(c, "regime", (double)r);
    s_ctx_put(c, "regime_str", st);
    s_ctx_put(c, "session", (double)ctx_session(ctx_params(x->ctx), bar->start_ns));
    int64_t buy, sell, delta;
    ctx_flow(bar, &buy, &sell, &delta);
    double qs = (double)money_pow10(bar->qty_scale);
    s_ctx_put(c, "taker_buy", (double)buy / qs);
    s_ctx_put(c, "taker_sell", (double)sell / qs);
    s_ctx_put(c, "delta", (double)delta / qs);
    s_ctx_put(c, "imbalance", x->imbalance);
    const ctx_level_t *lv;
    int n = ctx_levels(x->ctx, &lv);
    s_ctx_put(c, "levels", n);
    int sup = -1, res = -1;
    for (int i = 0; i < n; i++) {
        if (lv[i].kind < 0 && lv[i].price <= close && (sup < 0 || lv[i].price > lv[sup].price)) {
            sup = i;
        }
        if (lv[i].kind > 0 && lv[i].price >= close && (res < 0 || lv[i].price < lv[res].price)) {
            res = i;
        }
    }
    if (sup >= 0) {
        s_ctx_put(c, "sup_px", lv[sup].price);
        s_ctx_put(c, "sup_str", lv[sup].strength);
    }
    if (res >= 0) {
        s_ctx_put(c, "res_px", lv[res].price);
        s_ctx_put(c, "res_str", lv[res].strength);
    }
    double pctile = ctx_atr_pctile(x->ctx);
    if (pctile >= 0) {
        s_ctx_put(c, "atr_pctile", pctile);
    }
}

/* out[cap] = prefix + "." + a + "." + b (+ "." + c when c is not NULL), cut at cap - 1. The
 * topics of every bar are built with this rather than snprintf, which was the largest single
 * cost of a klines-only backtest (docs/backtest.md "Speed"). */
static void
s_topic(char *out, size_t cap, const char *prefix, const char *a, const char *b, const char *c)
{
    const char *parts[4] = { prefix, a, b, c };
    size_t n = 0;
    for (int i = 0; i < 4 && parts[i] && n + 1 < cap; i++) {
        if (i > 0) {
            out[n++] = '.';
        }
        size_t len = strnlen(parts[i], cap - 1 - n);
        memcpy(out + n, parts[i], len);
        n += len;
    }
    out[n < cap ? n : cap - 1] = '\0';
}

/* The full indicator set of the bar's series, if configured: update, publish 1..n sig.ind
 * (IND_PER_MSG values each). */
static void
s_run_indicators(engine_t *self, const codec_sig_bar_t *bar, const char *tf, int64_t evt)
{
    for (size_t i = 0; i < self->n_ind; i++) {
        s_ind_series_t *x = &self->ind[i];
        if (x->tf_s != bar->tf_s || strcmp(x->symbol, bar->symbol) != 0
            || strcmp(x->venue, bar->venue) != 0) {
            continue;
        }
        double ps = (double)money_pow10(bar->px_scale), qs = (double)money_pow10(bar->qty_scale);
        ind_bar_t ib = { .high = (double)bar->high / ps,
                         .low = (double)bar->low / ps,
                         .close = (double)bar->close / ps,
                         .volume = (double)bar->volume / qs,
                         .start_ns = bar->start_ns };
        if (ind_update(x->ind, &ib) != 0) {
            log_limited(&self->lim_strat, LOG_WARN, S_MOD, "indicators refused a bar", bar->symbol,
                        strlen(bar->symbol));
            return;
        }
        codec_sig_ind_t out[(IND_COUNT + IND_PER_MSG - 1) / IND_PER_MSG];
        int n = ind_fill(x->ind, bar->venue, bar->symbol, bar->tf_s, bar->end_ns, out,
                         (int)(sizeof out / sizeof out[0]));
        char topic[BUS_TOPIC_MAX];
        s_topic(topic, sizeof topic, "sig.ind", tf, bar->venue, bar->symbol);
        for (int k = 0; k < n; k++) {
            s_publish(self, topic, CODEC_SIG_IND, &out[k], evt);
            self->counters.indicators++;
        }
        if (ctx_on_bar(x->ctx, &ib, x->ind) == 0) {
            codec_sig_ind_t c;
            s_context_body(x, bar, ib.close, &c);
            s_publish(self, topic, CODEC_SIG_IND, &c, evt);
            self->counters.indicators++;
        }
        return;
    }
}

/* The setup life-cycle changes strategy s made on the bar just handled (setups type):
 * sig.setup.<strategy>.<symbol>, before that bar's sig.signal. */
static void
s_publish_setups(engine_t *self, strategy_t *s, int64_t evt)
{
    codec_sig_setup_t ev[SETUP_MAX_EVENTS];
    int n = strategy_setup_events(s, ev, SETUP_MAX_EVENTS);
    for (int k = 0; k < n; k++) {
        char topic[BUS_TOPIC_MAX];
        snprintf(topic, sizeof topic, "sig.setup.%.*s.%.*s", CODEC_NAME_MAX - 1, ev[k].strategy,
                 CODEC_SYM_MAX - 1, ev[k].symbol);
        s_publish(self, topic, CODEC_SIG_SETUP, &ev[k], evt);
        self->counters.setups++;
    }
}

/* A closed bar: publish it, run the strategies of its series, publish their indicators. */
static void
s_on_bar(const codec_sig_bar_t *bar, int64_t evt, void *arg)
{
    engine_t *self = arg;
    char tf[16], topic[BUS_TOPIC_MAX];
    bars_tf_name(bar->tf_s, tf, sizeof tf);
    s_topic(topic, sizeof topic, "sig.bar", tf, bar->venue, bar->symbol);
    s_publish(self, topic, CODEC_SIG_BAR, bar, evt);
    self->counters.bars++;

    const instr_t *in = instr_table_get(self->instr, bar->venue, bar->symbol);
    codec_sig_ind_t ind;
    memset(&ind, 0, sizeof ind);
    for (size_t i = 0; i < self->n_strats; i++) {
        strategy_t *s = self->strats[i];
        if (!strategy_wants(s, bar->venue, bar->symbol, bar->tf_s)) {
            continue;
        }
        codec_sig_signal_t sig;
        int rc = strategy_on_bar(s, bar, evt, in, &sig);
        s_publish_setups(self, s, evt);
        if (rc < 0) {
            log_limited(&self->lim_strat, LOG_WARN, S_MOD, "strategy refused a bar",
                        strategy_name(s), strlen(strategy_name(s)));
        } else if (rc == 1) {
            if (!in) {
                log_limited(&self->lim_instr, LOG_WARN, S_MOD,
                            "no md.instrument yet: sl/tp rounded to the price unit", bar->symbol,
                            strlen(bar->symbol));
            }
            s_topic(topic, sizeof topic, "sig.signal", sig.strategy, sig.symbol, NULL);
            s_publish(self, topic, CODEC_SIG_SIGNAL, &sig, evt);
            self->counters.signals++;
            if (!self->silent) {
                /* prices as a person reads them: decimals at the signal's px_scale ("-" =
                 * none; the scale is at most MONEY_MAX_SCALE, so 32 bytes always suffice) */
                char ref[32] = "-", sl[32] = "-", tp[32] = "-";
                if (sig.ref_px != 0) {
                    (void)money_fmt(sig.ref_px, sig.px_scale, ref, sizeof ref);
                }
                if (sig.sl_px != 0) {
                    (void)money_fmt(sig.sl_px, sig.px_scale, sl, sizeof sl);
                }
                if (sig.tp_px != 0) {
                    (void)money_fmt(sig.tp_px, sig.px_scale, tp, sizeof tp);
                }
                log_info(S_MOD, "%s %s %s ref %s sl %s tp %s conf %.1f", sig.strategy,
                         sig.side > 0 ? "BUY" : "SELL", sig.symbol, ref, sl, tp, sig.confidence);
            }
        }
        strategy_indicators(s, &ind);
    }
    if (ind.n > 0) {
        codec_str(ind.venue, sizeof ind.venue, bar->venue);
        codec_str(ind.symbol, sizeof ind.symbol, bar->symbol);
        ind.tf_s = bar->tf_s;
        ind.ts_event = bar->end_ns;
        s_topic(topic, sizeof topic, "sig.ind", tf, bar->venue, bar->symbol);
        s_publish(self, topic, CODEC_SIG_IND, &ind, evt);
        self->counters.indicators++;
    }
    s_run_indicators(self, bar, tf, evt);
    if (mtf_on_bar(self->mtf, bar, evt) < 0) {
        log_limited(&self->lim_strat, LOG_WARN, S_MOD, "bar refused by the aggregator", bar->symbol,
                    strlen(bar->symbol));
    }
}

/* ---- inputs -------------------------------------------------------------------------- */

static int
s_bad(engine_t *self, const bus_msg_t *msg, const char *what, int err)
{
    self->counters.bad_msgs++;
    log_limited(&self->lim_bad, LOG_WARN, S_MOD, what, msg->topic, strlen(msg->topic));
    errno = err;
    return -1;
}

static int
s_on_instrument(engine_t *self, const bus_msg_t *msg, const codec_md_instrument_t *m)
{
    instr_t in;
    memset(&in, 0, sizeof in);
    if (m->venue[0] == '\0' || m->symbol[0] == '\0' || m->tick < 1 || m->step < 1 || m->px_scale < 0
        || m->px_scale > 18 || m->qty_scale < 0 || m->qty_scale > 18
        || strlen(m->venue) >= sizeof in.venue || strlen(m->symbol) >= sizeof in.symbol
        || strlen(m->category) >= sizeof in.category) {
        return s_bad(self, msg, "bad md.instrument", EINVAL);
    }
    snprintf(in.venue, sizeof in.venue, "%s", m->venue);
    snprintf(in.category, sizeof in.category, "%s", m->category);
    snprintf(in.symbol, sizeof in.symbol, "%s", m->symbol);
    in.px_scale = m->px_scale;
    in.qty_scale = m->qty_scale;
    in.tick = m->tick;
    in.step = m->step;
    in.min_qty = m->min_qty;
    in.min_notional = m->min_notional;
    if (instr_table_put(self->instr, &in) != 0) {
        log_limited(&self->lim_instr, LOG_WARN, S_MOD, "instrument table full", m->symbol,
                    strlen(m->symbol));
    }
    return 0;
}

/* signal.bar_grace_ms set and bars built from trades: books and tickers can close bars */
static bool
s_wants_grace(const engine_t *self)
{
    return self->grace_ns > 0 && self->n_trade_series > 0;
}

static bool
s_wants_book(const engine_t *self)
{
    return self->n_ind > 0 || self->n_book_strats > 0 || s_wants_grace(self);
}

/* A non-trade md message of (venue, symbol) at event time t: the grace close (bars.h). */
static void
s_grace(engine_t *self, const char *venue, const char *symbol, int64_t t)
{
    if (s_wants_grace(self)) {
        (void)bars_on_time(self->bars, venue, symbol, t); /* bars it closed went to s_on_bar */
    }
}

/* The event time of a message: its body's ts_event, else the envelope's evt. */
static int64_t
s_evt(int64_t body_ts, const bus_msg_t *msg)
{
    return body_ts > 0 ? body_ts : msg->env.evt;
}

/* Trade-driven strategies (level reaction): before the trade goes into the bars, so a trade
 * that closes a bar is judged against the levels known before that bar. */
static void
s_trade_strategies(engine_t *self, const codec_md_trade_t *t, int64_t evt)
{
    if (self->n_book_strats == 0 || t->px <= 0) {
        return;
    }
    const instr_t *in = instr_table_get(self->instr, t->venue, t->symbol);
    for (size_t i = 0; i < self->n_strats; i++) {
        codec_sig_signal_t sig;
        if (strategy_on_trade(self->strats[i], t, in, &sig) == 1) {
            char topic[BUS_TOPIC_MAX];
            s_topic(topic, sizeof topic, "sig.signal", sig.strategy, sig.symbol, NULL);
            s_publish(self, topic, CODEC_SIG_SIGNAL, &sig, evt);
            self->counters.signals++;
        }
    }
}

/* One trade: trade-driven strategies, then the trade bars. 0, or -1 as bars_on_trade. */
static int
s_on_trade(engine_t *self, const codec_md_trade_t *t, int64_t evt)
{
    s_trade_strategies(self, t, evt);
    if (self->n_trade_series == 0) {
        return 0;
    }
    int rc = bars_on_trade(self->bars, t);
    self->counters.late_trades = (int64_t)bars_stats(self->bars)->late_trades;
    return rc < 0 ? -1 : 0;
}

/* Live mode after a trade warm-up: a live trade at/before the last restored trade's event time
 * was in the history (received again because we subscribed before asking). */
static bool
s_trade_restored(engine_t *self, const codec_md_trade_t *t)
{
    for (size_t i = 0; i < self->n_trade_skip; i++) {
        if (strcmp(self->trade_skip[i].symbol, t->symbol) == 0
            && strcmp(self->trade_skip[i].venue, t->venue) == 0) {
            if (t->ts_event <= self->trade_skip[i].until_evt) {
                self->trade_dups++;
                return true;
            }
            return false;
        }
    }
    return false;
}

/* One book: book-driven strategies (level reaction judges every book update; a signal is
 * published with the book's event time), then the indicator series' imbalance. */
static void
s_on_book(engine_t *self, const codec_md_book_t *b, int64_t evt)
{
    const instr_t *in =
        self->n_book_strats > 0 ? instr_table_get(self->instr, b->venue, b->symbol) : NULL;
    for (size_t i = 0; i < self->n_strats && self->n_book_strats > 0; i++) {
        codec_sig_signal_t sig;
        int rc = strategy_on_book_sig(self->strats[i], b, in, &sig);
        if (rc < 0) {
            log_limited(&self->lim_strat, LOG_WARN, S_MOD, "strategy refused a book",
                        strategy_name(self->strats[i]), strlen(strategy_name(self->strats[i])));
        } else if (rc == 1) {
            char topic[BUS_TOPIC_MAX];
            s_topic(topic, sizeof topic, "sig.signal", sig.strategy, sig.symbol, NULL);
            s_publish(self, topic, CODEC_SIG_SIGNAL, &sig, evt);
            self->counters.signals++;
        }
    }
    for (size_t i = 0; i < self->n_ind; i++) {
        s_ind_series_t *x = &self->ind[i];
        if (strcmp(x->symbol, b->symbol) == 0 && strcmp(x->venue, b->venue) == 0) {
            x->imbalance = ctx_imbalance(b, ctx_params(x->ctx)->book_levels);
        }
    }
}

int
engine_on_msg(engine_t *self, const bus_msg_t *msg)
{
    return engine_on_body(self, msg, NULL);
}

/* The body of `msg` of member type T into `*out`: `given` if the transport handed it over
 * decoded, else decoded from msg->data into `local`. 0, or -1 (undecodable). */
#define S_BODY(given, member, out)                                                                 \
    ((given) ? ((out) = &(given)->member, 0)                                                       \
             : (codec_decode(msg->data, msg->len, msg->type, NULL, &local.member) != 0             \
                    ? -1                                                                           \
                    : ((out) = &local.member, 0)))

int
engine_on_body(engine_t *self, const bus_msg_t *msg, const codec_body_t *given)
{
    assert(self && msg);
    codec_body_t local;
    int rc = 0;
    self->cur_origin = msg->env.origin;
    switch (msg->type) {
    case CODEC_MD_INSTRUMENT: {
        const codec_md_instrument_t *m;
        if (S_BODY(given, instrument, m) != 0) {
            return s_bad(self, msg, "undecodable md.instrument", EPROTO);
        }
        return s_on_instrument(self, msg, m);
    }
    case CODEC_MD_KLINE: {
        const codec_md_kline_t *k;
        if (S_BODY(given, kline, k) != 0) {
            return s_bad(self, msg, "undecodable md.kline", EPROTO);
        }
        rc = bars_on_kline(self->bars, k);
        if (rc < 0 && errno == EINVAL) {
            return s_bad(self, msg, "bad md.kline", EINVAL);
        }
        if (rc < 0) {
            log_limited(&self->lim_scale, LOG_WARN, S_MOD, "bar series table full", msg->topic,
                        strlen(msg->topic));
        }
        return 0;
    }
    case CODEC_MD_TRADE: {
        if (self->n_trade_series == 0 && self->n_book_strats == 0) {
            return 0; /* no trade bars nor trade-driven strategy: nothing to do with trades */
        }
        const codec_md_trade_t *t;
        if (S_BODY(given, trade, t) != 0) {
            return s_bad(self, msg, "undecodable md.trade", EPROTO);
        }
        if (s_trade_restored(self, t)) {
            return 0;
        }
        if (s_on_trade(self, t, msg->env.evt) < 0) {
            return s_bad(self, msg, errno == ERANGE ? "md.trade overflows a bar" : "bad md.trade",
                         EINVAL);
        }
        return 0;
    }
    case CODEC_MD_BOOK: {
        if (!s_wants_book(self)) {
            return 0;
        }
        const codec_md_book_t *b;
        if (S_BODY(given, book, b) != 0) {
            return s_bad(self, msg, "undecodable md.book", EPROTO);
        }
        s_on_book(self, b, msg->env.evt);
        s_grace(self, b->venue, b->symbol, s_evt(b->ts_event, msg));
        return 0;
    }
    case CODEC_MD_TICKER: {
        if (!s_wants_grace(self)) {
            return 0;
        }
        const codec_md_ticker_t *tk;
        if (S_BODY(given, ticker, tk) != 0) {
            return s_bad(self, msg, "undecodable md.ticker", EPROTO);
        }
        s_grace(self, tk->venue, tk->symbol, s_evt(tk->ts_event, msg));
        return 0;
    }
    default:
        return 0; /* md.status, heartbeats: not used by signal */
    }
}
#undef S_BODY

const engine_counters_t *
engine_counters(const engine_t *self)
{
    assert(self);
    return &self->counters;
}

const bars_stats_t *
engine_bars_stats(const engine_t *self)
{
    assert(self);
    return bars_stats(self->bars);
}

size_t
engine_n_strategies(const engine_t *self)
{
    assert(self);
    return self->n_strats;
}

strategy_t *
engine_strategy(const engine_t *self, size_t i)
{
    assert(self && i < self->n_strats);
    return self->strats[i];
}

uint64_t
engine_trade_dups(const engine_t *self)
{
    assert(self);
    return self->trade_dups;
}

size_t
engine_n_instruments(const engine_t *self)
{
    assert(self);
    return instr_table_size(self->instr);
}
