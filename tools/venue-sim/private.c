/*  private.c - venue-sim's private Bybit v5 side (contract and rules: private.h).
 *  Field names and envelopes are the real API's (BYBIT_V5.md 2.6-2.10, 3; the doc examples in
 *  data/bybit_v5_private/). Numbers are fixed point at scale 8 inside, decimal strings outside.
 *  Time: the wall clock (the venue's clock, which clients sync to with /v5/market/time).
 */
#include "tools/venue-sim/private.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/money.h"
#include "tools/venue-sim/match.h"

#define S_SC        MATCH_SCALE
#define S_MAX_INSTR 4096
#define S_RATE_WIN  128 /* request times kept per (key, path) window */
#define S_MAX_WS    32

static const char *const k_mod = "private";

typedef enum {
    O_NEW = 0,
    O_PFILLED,
    O_FILLED,
    O_CANCELLED,
    O_REJECTED,
    O_UNTRIGGERED,
    O_TRIGGERED,
    O_DEACTIVATED,
    O_PFCANCELLED /* spot: cancelled with some fills (BYBIT_V5.md 2.10) */
} s_st_t;
static const char *const k_st[] = { "New",       "PartiallyFilled", "Filled",
                                    "Cancelled", "Rejected",        "Untriggered",
                                    "Triggered", "Deactivated",     "PartiallyFilledCanceled" };

typedef struct {
    char symbol[24];
    int64_t tick, step, min_qty; /* scale 8; spot: step = basePrecision */
    int64_t min_amt;             /* spot minOrderAmt (quote), scale 8; 0 linear */
    bool spot;
    char base[16]; /* spot base coin ("BTC"), from baseCoin */
} s_instr_t;

typedef struct {
    char order_id[40], link_id[40], symbol[24];
    int8_t side;
    bool market, reduce_only;
    char tif[12];
    int64_t px, qty, cum_qty, cum_value, cum_fee; /* scale 8 */
    int64_t trigger_px, tp, sl;
    int trigger_dir;
    s_st_t st;
    char cancel_type[24], reject_reason[40], create_type[24], stop_type[16];
    int64_t created_ms, updated_ms;
    bool spot;       /* category "spot": no positions, coin balances move */
    bool quote_unit; /* spot market buy with marketUnit quoteCoin (qty was a quote amount) */
} s_ord_t;

typedef struct {
    char exec_id[40];
    size_t ord; /* index into orders */
    int64_t px, qty, value, fee, fee_rate, time_ms, closed, leaves;
    bool maker;
    uint64_t seq;
} s_exec_t;

typedef struct {
    char symbol[24];
    int64_t size, cost, realised, tp, sl; /* size signed, cost signed value at scale 8 */
    int64_t created_ms, updated_ms;
    uint64_t seq;
    int64_t lev; /* /v5/position/set-leverage, scale 8; 0 = cfg leverage */
} s_pos_t;

typedef struct {
    char coin[16];
    int64_t bal; /* scale 8 */
} s_coin_t;

typedef struct {
    char key[64];
    char path[48];
    int64_t t[S_RATE_WIN];
    size_t n, head;
} s_rate_t;

typedef struct {
    uint64_t conn;
    bool authed;
    bool topics[4]; /* order, execution, position, wallet */
} s_ws_t;

struct vs_priv {
    priv_cfg_t cfg;
    s_instr_t *instr;
    size_t n_instr;
    match_t *match;
    match_t *match_spot;               /* the replayed spot market (SOURCE_BYBIT_SPOT frames) */
    s_coin_t coins[MATCH_MAX_SYMBOLS]; /* spot holdings other than USDT (in `wallet`) */
    size_t n_coins;
    s_ord_t *ord;
    size_t n_ord, cap_ord;
    s_exec_t *ex;
    size_t n_ex, cap_ex;
    s_pos_t pos[MATCH_MAX_SYMBOLS];
    size_t n_pos;
    int64_t wallet, fees, realised; /* scale 8 */
    s_rate_t *rate;
    size_t n_rate;
    uint64_t next_order, next_exec, seq;
    server_t *srv;
    s_ws_t ws[S_MAX_WS];
    size_t n_ws;
    log_limit_t bad_frame;
};

/* ---- small helpers ---------------------------------------------------------------------- */

static int64_t
s_now_ms(void)
{
    return clock_wall_ns() / CLOCK_NS_PER_MS;
}

static json_t *
s_dec(int64_t v)
{
    char buf[40];
    if (money_fmt_trim(v, S_SC, buf, sizeof buf) < 0) {
        snprintf(buf, sizeof buf, "0");
    }
    return json_string(buf);
}

static json_t *
s_i64s(int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return json_string(buf);
}

/* px x qty at scale 8 (half-even, one rounding). */
static int64_t
s_mul(int64_t a, int64_t b)
{
    int64_t out = 0;
    if (money_mul(a, S_SC, b, S_SC, S_SC, MONEY_ROUND_HALF_EVEN, &out) < 0) {
        out = 0; /* beyond int64 at scale 8: not reachable with linear sizes */
    }
    return out;
}

static int64_t
s_div(int64_t a, int64_t b)
{
    int64_t out = 0;
    if (b == 0 || money_div(a, S_SC, b, S_SC, S_SC, MONEY_ROUND_HALF_EVEN, &out) < 0) {
        out = 0;
    }
    return out;
}

int
priv_sign(const char *secret, const char *msg, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, len, md, &n)
        || n != 32) {
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
    return 0;
}

/* The answer envelope (takes `result`). */
static char *
s_env(int code, const char *msg, json_t *result)
{
    json_t *r =
        json_pack("{s:i, s:s, s:o, s:{}, s:I}", "retCode", code, "retMsg", msg, "result",
                  result ? result : json_object(), "retExtInfo", "time", (json_int_t)s_now_ms());
    char *out = r ? json_dumps(r, JSON_COMPACT) : NULL;
    json_decref(r);
    return out;
}

static int
s_answer(server_http_resp_t *resp, int code, const char *msg, json_t *result)
{
    resp->body = s_env(code, msg, result);
    if (code != 0) {
        log_info(k_mod, "answer retCode %d: %s", code, msg);
    }
    return 1;
}

static const s_instr_t *
s_instr_of(const vs_priv_t *self, const char *symbol, bool spot)
{
    for (size_t i = 0; i < self->n_instr; i++) {
        if (self->instr[i].spot == spot && strcmp(self->instr[i].symbol, symbol) == 0) {
            return &self->instr[i];
        }
    }
    return NULL;
}

static const s_instr_t *
s_instr(const vs_priv_t *self, const char *symbol)
{
    return s_instr_of(self, symbol, false);
}

/* Instruments-info body of one category into the table (spot: basePrecision is the step). */
static int
s_parse_instr(vs_priv_t *self, const char *body, bool spot)
{
    json_t *root = body ? json_loads(body, 0, NULL) : NULL;
    json_t *list = json_object_get(json_object_get(root, "result"), "list");
    size_t i;
    json_t *e;
    if (!self->instr) {
        self->instr = calloc(S_MAX_INSTR, sizeof *self->instr);
    }
    if (!self->instr) {
        json_decref(root);
        errno = ENOMEM;
        return -1;
    }
    json_array_foreach(list, i, e)
    {
        const char *sym = json_string_value(json_object_get(e, "symbol"));
        const char *tick =
            json_string_value(json_object_get(json_object_get(e, "priceFilter"), "tickSize"));
        json_t *lot = json_object_get(e, "lotSizeFilter");
        const char *step =
            json_string_value(json_object_get(lot, spot ? "basePrecision" : "qtyStep"));
        const char *minq = json_string_value(json_object_get(lot, "minOrderQty"));
        const char *mina = json_string_value(json_object_get(lot, "minOrderAmt"));
        const char *base = json_string_value(json_object_get(e, "baseCoin"));
        if (!sym || !tick || !step || self->n_instr == S_MAX_INSTR || strlen(sym) >= 24) {
            continue;
        }
        s_instr_t *in = &self->instr[self->n_instr];
        memset(in, 0, sizeof *in);
        snprintf(in->symbol, sizeof in->symbol, "%s", sym);
        in->spot = spot;
        snprintf(in->base, sizeof in->base, "%s", base ? base : "");
        if (spot && mina) {
            (void)money_parse(mina, strlen(mina), S_SC, &in->min_amt);
        }
        if (money_parse(tick, strlen(tick), S_SC, &in->tick) < 0
            || money_parse(step, strlen(step), S_SC, &in->step) < 0 || in->tick <= 0
            || in->step <= 0) {
            continue;
        }
        in->min_qty = in->step;
        if (minq) {
            (void)money_parse(minq, strlen(minq), S_SC, &in->min_qty);
        }
        self->n_instr++;
    }
    json_decref(root);
    return 0;
}

/* ---- config and lifetime ---------------------------------------------------------------- */

int
priv_config(cfg_t *cfg, priv_cfg_t *out)
{
    static const char *const k_keys[] = { "start_balance",   "taker_fee",  "maker_fee", "leverage",
                                          "delay_create_ms", "rate_order", NULL };
    memset(out, 0, sizeof *out);
    const char *spot_path;
    if (cfg_str(cfg, "venue_sim.bybit_instruments_spot", "", &spot_path) < 0) {
        return -1;
    }
    snprintf(out->instruments_spot_path, sizeof out->instruments_spot_path, "%s", spot_path);
    if ((cfg_has(cfg, "venue_sim.private") && cfg_check_keys(cfg, "venue_sim.private", k_keys) < 0)
        || cfg_money(cfg, "venue_sim.private.start_balance", S_SC, "10000", 0, INT64_MAX,
                     &out->start_balance)
               < 0
        || cfg_money(cfg, "venue_sim.private.taker_fee", S_SC, "0.00055", 0, money_pow10(S_SC) / 10,
                     &out->taker_fee)
               < 0
        || cfg_money(cfg, "venue_sim.private.maker_fee", S_SC, "0.0002", 0, money_pow10(S_SC) / 10,
                     &out->maker_fee)
               < 0
        || cfg_int(cfg, "venue_sim.private.leverage", 10, 1, 100, false, &out->leverage) < 0
        || cfg_int(cfg, "venue_sim.private.delay_create_ms", 0, 0, 600000, false,
                   &out->delay_create_ms)
               < 0
        || cfg_int(cfg, "venue_sim.private.rate_order", 10, 1, 100000, false, &out->rate_order)
               < 0) {
        return -1;
    }
    int n = cfg_array_len(cfg, "venue_sim.api_keys");
    if (n <= 0) {
        snprintf(out->keys[0].key, sizeof out->keys[0].key, "vs-test-key");
        snprintf(out->keys[0].secret, sizeof out->keys[0].secret, "vs-test-secret");
        out->n_keys = 1;
        return 0;
    }
    for (int i = 0; i < n && i < PRIV_MAX_KEYS; i++) {
        char p[64];
        const char *k, *s;
        snprintf(p, sizeof p, "venue_sim.api_keys[%d].key", i);
        if (cfg_str(cfg, p, NULL, &k) < 0) {
            return -1;
        }
        snprintf(p, sizeof p, "venue_sim.api_keys[%d].secret", i);
        if (cfg_str(cfg, p, NULL, &s) < 0) {
            return -1;
        }
        if (!k[0] || strlen(k) >= sizeof out->keys[0].key || !s[0]
            || strlen(s) >= sizeof out->keys[0].secret) {
            return cfg_fail(cfg, p, "expected a key of 1..63 and a secret of 1..127 characters");
        }
        snprintf(out->keys[out->n_keys].key, sizeof out->keys[0].key, "%s", k);
        snprintf(out->keys[out->n_keys].secret, sizeof out->keys[0].secret, "%s", s);
        out->n_keys++;
    }
    return 0;
}

vs_priv_t *
priv_new(const priv_cfg_t *cfg)
{
    assert(cfg);
    if (cfg->n_keys == 0 || cfg->leverage < 1 || cfg->rate_order < 1) {
        errno = EINVAL;
        return NULL;
    }
    vs_priv_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->cfg = *cfg;
    self->wallet = cfg->start_balance;
    self->match = match_new();
    self->match_spot = match_new();
    if (!self->match || !self->match_spot
        || s_parse_instr(self, cfg->instruments_linear, false) < 0) {
        priv_destroy(&self);
        errno = ENOMEM;
        return NULL;
    }
    size_t n_linear = self->n_instr;
    if (cfg->instruments_spot_path[0]) {
        FILE *f = fopen(cfg->instruments_spot_path, "rb");
        char *text = NULL;
        size_t len = 0;
        if (f) {
            FILE *m = open_memstream(&text, &len);
            char buf[65536];
            size_t n;
            while (m && (n = fread(buf, 1, sizeof buf, f)) > 0) {
                (void)fwrite(buf, 1, n, m);
            }
            if (m) {
                fclose(m);
            }
            fclose(f);
        }
        if (!text || s_parse_instr(self, text, true) < 0) {
            log_error(k_mod, "cannot read spot instruments %s", cfg->instruments_spot_path);
        }
        free(text);
    }
    log_info(k_mod, "private side: %zu keys, %zu linear and %zu spot instruments, balance loaded",
             cfg->n_keys, n_linear, self->n_instr - n_linear);
    return self;
}

void
priv_destroy(vs_priv_t **self_p)
{
    assert(self_p);
    vs_priv_t *self = *self_p;
    if (!self) {
        return;
    }
    match_destroy(&self->match);
    match_destroy(&self->match_spot);
    free(self->instr);
    free(self->ord);
    free(self->ex);
    free(self->rate);
    OPENSSL_cleanse(self->cfg.keys, sizeof self->cfg.keys);
    free(self);
    *self_p = NULL;
}

void
priv_set_server(vs_priv_t *self, server_t *srv)
{
    assert(self);
    self->srv = srv;
}

/* ---- accounting ------------------------------------------------------------------------- */

static s_pos_t *
s_pos(vs_priv_t *self, const char *symbol, bool create)
{
    for (size_t i = 0; i < self->n_pos; i++) {
        if (strcmp(self->pos[i].symbol, symbol) == 0) {
            return &self->pos[i];
        }
    }
    if (!create || self->n_pos == MATCH_MAX_SYMBOLS) {
        return NULL;
    }
    s_pos_t *p = &self->pos[self->n_pos++];
    memset(p, 0, sizeof *p);
    snprintf(p->symbol, sizeof p->symbol, "%s", symbol);
    p->created_ms = s_now_ms();
    return p;
}

static int64_t
s_mark(vs_priv_t *self, const char *symbol)
{
    match_book_t *b = match_book(self->match, symbol);
    if (!b) {
        return 0;
    }
    return b->mark_px ? b->mark_px : b->last_px;
}

static int64_t
s_upnl(vs_priv_t *self, const s_pos_t *p)
{
    int64_t m = s_mark(self, p->symbol);
    return (p->size == 0 || m == 0) ? 0 : s_mul(m, p->size) - p->cost;
}

/* Leverage of symbol at scale 8: set by /v5/position/set-leverage, else the config's. */
static int64_t
s_lev(vs_priv_t *self, const char *symbol)
{
    const s_pos_t *p = s_pos(self, symbol, false);
    return p && p->lev > 0 ? p->lev : self->cfg.leverage * money_pow10(S_SC);
}

/* Margin in use: positions' IM + open non-reduce orders' IM (notional / the symbol's
 * leverage). */
static int64_t
s_used_margin(vs_priv_t *self)
{
    int64_t im = 0;
    for (size_t i = 0; i < self->n_pos; i++) {
        int64_t c = self->pos[i].cost < 0 ? -self->pos[i].cost : self->pos[i].cost;
        im += s_div(c, s_lev(self, self->pos[i].symbol));
    }
    for (size_t i = 0; i < self->n_ord; i++) {
        const s_ord_t *o = &self->ord[i];
        if ((o->st == O_NEW || o->st == O_PFILLED) && !o->reduce_only && !o->market && !o->spot) {
            im += s_div(s_mul(o->px, o->qty - o->cum_qty), s_lev(self, o->symbol));
        }
    }
    return im;
}

/* ---- spot holdings ---------------------------------------------------------------------- */

static s_coin_t *
s_coin(vs_priv_t *self, const char *coin, bool create)
{
    for (size_t i = 0; i < self->n_coins; i++) {
        if (strcmp(self->coins[i].coin, coin) == 0) {
            return &self->coins[i];
        }
    }
    if (!create || self->n_coins == MATCH_MAX_SYMBOLS || !coin[0]) {
        return NULL;
    }
    s_coin_t *c = &self->coins[self->n_coins++];
    memset(c, 0, sizeof *c);
    snprintf(c->coin, sizeof c->coin, "%s", coin);
    return c;
}

/* Spot price of coin in USDT (the last trade of <coin>USDT on the spot book), 0 unknown. */
static int64_t
s_coin_px(vs_priv_t *self, const char *coin)
{
    char sym[32];
    snprintf(sym, sizeof sym, "%sUSDT", coin);
    match_book_t *b = match_book(self->match_spot, sym);
    return b ? b->last_px : 0;
}

/* Held by open spot orders: quote (USDT) for buys, the base coin for sells. */
static int64_t
s_locked(vs_priv_t *self, const char *coin)
{
    int64_t v = 0;
    for (size_t i = 0; i < self->n_ord; i++) {
        const s_ord_t *o = &self->ord[i];
        if (!o->spot || o->market || (o->st != O_NEW && o->st != O_PFILLED)) {
            continue;
        }
        const s_instr_t *in = s_instr_of(self, o->symbol, true);
        if (o->side > 0 && strcmp(coin, "USDT") == 0) {
            v += s_mul(o->px, o->qty - o->cum_qty);
        } else if (o->side < 0 && in && strcmp(coin, in->base) == 0) {
            v += o->qty - o->cum_qty;
        }
    }
    return v;
}

static int64_t
s_equity(vs_priv_t *self)
{
    int64_t e = self->wallet;
    for (size_t i = 0; i < self->n_pos; i++) {
        e += s_upnl(self, &self->pos[i]);
    }
    for (size_t i = 0; i < self->n_coins; i++) {
        e += s_mul(self->coins[i].bal, s_coin_px(self, self->coins[i].coin));
    }
    return e;
}

/* Book a fill into the position; returns the closed size (>= 0). */
static int64_t
s_pos_fill(vs_priv_t *self, s_pos_t *p, int8_t side, int64_t px, int64_t qty)
{
    int64_t sq = side > 0 ? qty : -qty, closed = 0;
    if (p->size != 0 && (p->size > 0) != (sq > 0)) {
        int64_t abs_size = p->size < 0 ? -p->size : p->size;
        closed = qty < abs_size ? qty : abs_size;
        int64_t c_signed = p->size > 0 ? closed : -closed;
        /* realised = px x c - cost x c / size (exact average entry; account.h rule) */
        int64_t cost_part = s_div(s_mul(p->cost, c_signed), p->size);
        int64_t real = s_mul(px, c_signed) - cost_part;
        p->realised += real;
        self->realised += real;
        self->wallet += real;
        p->cost -= cost_part;
        p->size -= c_signed;
        sq += c_signed; /* what is left of the fill after closing */
        if (p->size == 0) {
            p->cost = 0;
            p->tp = p->sl = 0; /* Full TP/SL go with the position */
        }
    }
    if (sq != 0) {
        p->size += sq;
        p->cost += s_mul(px, sq);
    }
    p->updated_ms = s_now_ms();
    p->seq = ++self->seq;
    return closed;
}

/* ---- private WS pushes ------------------------------------------------------------------ */

static json_t *s_order_json(vs_priv_t *self, const s_ord_t *o);
static json_t *s_exec_json(vs_priv_t *self, const s_exec_t *e);
static json_t *s_pos_json(vs_priv_t *self, const s_pos_t *p, bool ws);
static json_t *s_wallet_json(vs_priv_t *self);

static void
s_push(vs_priv_t *self, int topic, json_t *item)
{
    static const char *const names[] = { "order", "execution", "position", "wallet" };
    if (!item) {
        return;
    }
    bool any = false;
    for (size_t i = 0; i < self->n_ws; i++) {
        any = any || (self->ws[i].authed && self->ws[i].topics[topic]);
    }
    if (!any || !self->srv) {
        json_decref(item);
        return;
    }
    char id[48];
    snprintf(id, sizeof id, "vs-%llu", (unsigned long long)++self->seq);
    json_t *msg = json_pack("{s:s, s:s, s:I, s:[o]}", "id", id, "topic", names[topic],
                            "creationTime", (json_int_t)s_now_ms(), "data", item);
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    if (!text) {
        return;
    }
    for (size_t i = 0; i < self->n_ws; i++) {
        if (self->ws[i].authed && self->ws[i].topics[topic]) {
            (void)server_ws_send(self->srv, self->ws[i].conn, text, strlen(text));
        }
    }
    free(text);
}

static void
s_push_order(vs_priv_t *self, const s_ord_t *o)
{
    s_push(self, 0, s_order_json(self, o));
}

/* ---- matching --------------------------------------------------------------------------- */

static void
s_fill(vs_priv_t *self, s_ord_t *o, int64_t px, int64_t qty, bool maker)
{
    if (self->n_ex == self->cap_ex) {
        size_t cap = self->cap_ex ? self->cap_ex * 2 : 256;
        s_exec_t *p = realloc(self->ex, cap * sizeof *p);
        if (!p) {
            log_error(k_mod, "out of memory: fill of %s dropped", o->order_id);
            return;
        }
        self->ex = p;
        self->cap_ex = cap;
    }
    s_exec_t *e = &self->ex[self->n_ex++];
    memset(e, 0, sizeof *e);
    self->next_exec++;
    snprintf(e->exec_id, sizeof e->exec_id, "e0000000-0000-4000-8000-%012llx",
             (unsigned long long)self->next_exec);
    e->ord = (size_t)(o - self->ord);
    e->px = px;
    e->qty = qty;
    e->value = s_mul(px, qty);
    e->fee_rate = maker ? self->cfg.maker_fee : self->cfg.taker_fee;
    e->fee = s_mul(e->value, e->fee_rate);
    e->maker = maker;
    e->time_ms = s_now_ms();
    o->cum_qty += qty;
    o->cum_value += e->value;
    o->cum_fee += e->fee;
    e->leaves = o->qty - o->cum_qty;
    o->st = o->cum_qty == o->qty ? O_FILLED : O_PFILLED;
    o->updated_ms = e->time_ms;
    self->wallet -= e->fee; /* spot too: fees in USDT here (private.h) */
    self->fees += e->fee;
    s_pos_t *p = o->spot ? NULL : s_pos(self, o->symbol, true);
    if (o->spot) {
        /* spot: the quote pays for (gets) the base coin; no position */
        const s_instr_t *in = s_instr_of(self, o->symbol, true);
        s_coin_t *c = in ? s_coin(self, in->base, true) : NULL;
        self->wallet += o->side > 0 ? -e->value : e->value;
        if (c) {
            c->bal += o->side > 0 ? qty : -qty;
        }
    }
    if (p) {
        e->closed = s_pos_fill(self, p, o->side, px, qty);
        if (!o->reduce_only && (o->tp > 0 || o->sl > 0) && p->size != 0) {
            p->tp = o->tp; /* attached TP/SL, tpslMode Full */
            p->sl = o->sl;
        }
    }
    e->seq = ++self->seq;
    log_info(k_mod, "fill %s %s %s qty %lld px %lld (scale 8) %s", o->order_id, o->link_id,
             o->symbol, (long long)qty, (long long)px, maker ? "maker" : "taker");
    s_push(self, 1, s_exec_json(self, e));
    s_push_order(self, o);
    if (p) {
        s_push(self, 2, s_pos_json(self, p, true));
    }
    s_push(self, 3, s_wallet_json(self));
}

static void
s_cancel(vs_priv_t *self, s_ord_t *o, const char *cancel_type, const char *reject_reason)
{
    /* derivatives: also Untriggered -> Cancelled; spot with fills: PartiallyFilledCanceled
     * (2.10) */
    o->st = o->spot && o->cum_qty > 0 ? O_PFCANCELLED : O_CANCELLED;
    snprintf(o->cancel_type, sizeof o->cancel_type, "%s", cancel_type);
    if (reject_reason) {
        snprintf(o->reject_reason, sizeof o->reject_reason, "%s", reject_reason);
    }
    o->updated_ms = s_now_ms();
    s_push_order(self, o);
}

static match_book_t *
s_book_of(vs_priv_t *self, const s_ord_t *o)
{
    return match_book(o->spot ? self->match_spot : self->match, o->symbol);
}

static bool
s_book_is_spot(vs_priv_t *self, const match_book_t *b)
{
    return match_book(self->match_spot, b->symbol) == b;
}

/* Reduce-only orders never exceed the position: the qty left to trade. */
static int64_t
s_room(vs_priv_t *self, const s_ord_t *o)
{
    int64_t leaves = o->qty - o->cum_qty;
    if (!o->reduce_only || o->spot) {
        return leaves;
    }
    s_pos_t *p = s_pos(self, o->symbol, false);
    if (!p || p->size == 0 || (p->size > 0) == (o->side > 0)) {
        return 0;
    }
    int64_t a = p->size < 0 ? -p->size : p->size;
    return a < leaves ? a : leaves;
}

/* Place a New order: take what crosses, then rest or cancel per type/tif. */
static void
s_place(vs_priv_t *self, s_ord_t *o)
{
    match_book_t *b = s_book_of(self, o);
    match_level_t fills[MATCH_LEVELS];
    int64_t taken = 0, room = s_room(self, o);
    size_t nf = 0;
    int64_t limit = o->market ? 0 : o->px;
    if (o->market && b && b->last_px > 0) {
        /* market orders are IOC limits bounded by a band (2.6): 5 % of the last price */
        int64_t band = b->last_px / 20;
        limit = o->side > 0 ? b->last_px + band : b->last_px - band;
    }
    s_push_order(self, o); /* New */
    if (!b || !b->have_book || room == 0) {
        if (o->market || strcmp(o->tif, "IOC") == 0 || strcmp(o->tif, "FOK") == 0 || room == 0) {
            s_cancel(self, o, room == 0 ? "CancelByReduceOnly" : "UNKNOWN",
                     "EC_NoImmediateQtyToFill");
        }
        return;
    }
    nf = match_take(b, o->side, limit, room, true, fills, MATCH_LEVELS, &taken);
    if (!o->market && strcmp(o->tif, "PostOnly") == 0 && taken > 0) {
        s_cancel(self, o, "UNKNOWN", "EC_PostOnlyWillTakeLiquidity");
        return;
    }
    if (!o->market && strcmp(o->tif, "FOK") == 0 && taken < o->qty) {
        s_cancel(self, o, "UNKNOWN", "EC_CancelForNoFullFill");
        return;
    }
    nf = match_take(b, o->side, limit, room, false, fills, MATCH_LEVELS, &taken);
    for (size_t i = 0; i < nf; i++) {
        s_fill(self, o, fills[i].px, fills[i].qty, false);
    }
    if (o->st != O_FILLED
        && (o->market || strcmp(o->tif, "IOC") == 0 || strcmp(o->tif, "FOK") == 0)) {
        s_cancel(self, o, "UNKNOWN", "EC_NoImmediateQtyToFill");
    }
}

static s_ord_t *s_new_order(vs_priv_t *self);

/* Close the position of p at market (TP/SL hit). */
static void
s_close_position(vs_priv_t *self, s_pos_t *p, bool tp)
{
    s_ord_t *o = s_new_order(self);
    if (!o) {
        return;
    }
    snprintf(o->symbol, sizeof o->symbol, "%s", p->symbol);
    o->side = p->size > 0 ? -1 : 1;
    o->market = true;
    o->reduce_only = true;
    o->qty = p->size < 0 ? -p->size : p->size;
    snprintf(o->tif, sizeof o->tif, "IOC");
    snprintf(o->create_type, sizeof o->create_type, tp ? "CreateByTakeProfit" : "CreateByStopLoss");
    snprintf(o->stop_type, sizeof o->stop_type, tp ? "TakeProfit" : "StopLoss");
    log_info(k_mod, "%s hit on %s: closing %lld (scale 8)", tp ? "take-profit" : "stop-loss",
             p->symbol, (long long)o->qty);
    p->tp = p->sl = 0;
    s_place(self, o);
}

static void
s_on_trade(match_book_t *b, int8_t side, int64_t px, int64_t qty, void *arg)
{
    (void)side;
    vs_priv_t *self = arg;
    bool spot = s_book_is_spot(self, b);
    for (size_t i = 0; i < self->n_ord; i++) {
        s_ord_t *o = &self->ord[i];
        if (o->spot != spot || strcmp(o->symbol, b->symbol) != 0) {
            continue;
        }
        if (o->st == O_UNTRIGGERED
            && ((o->trigger_dir == 1 && px >= o->trigger_px)
                || (o->trigger_dir == 2 && px <= o->trigger_px))) {
            o->st = O_TRIGGERED;
            o->updated_ms = s_now_ms();
            s_push_order(self, o);
            o->st = O_NEW;
            s_place(self, o);
            continue;
        }
        if ((o->st == O_NEW || o->st == O_PFILLED) && !o->market
            && (o->side > 0 ? px < o->px : px > o->px)) {
            int64_t room = s_room(self, o);
            int64_t q = room < qty ? room : qty;
            if (q > 0) {
                s_fill(self, o, o->px, q, true); /* traded through: maker at the limit */
            }
        }
    }
    s_pos_t *p = spot ? NULL : s_pos(self, b->symbol, false);
    if (p && p->size != 0) {
        bool tp = p->tp > 0 && (p->size > 0 ? px >= p->tp : px <= p->tp);
        bool sl = p->sl > 0 && (p->size > 0 ? px <= p->sl : px >= p->sl);
        if (tp || sl) {
            s_close_position(self, p, tp);
        }
    }
}

static void
s_on_book(match_book_t *b, void *arg)
{
    vs_priv_t *self = arg;
    bool spot = s_book_is_spot(self, b);
    for (size_t i = 0; i < self->n_ord; i++) {
        s_ord_t *o = &self->ord[i];
        if ((o->st != O_NEW && o->st != O_PFILLED) || o->market || o->spot != spot
            || strcmp(o->symbol, b->symbol) != 0) {
            continue;
        }
        match_level_t fills[MATCH_LEVELS];
        int64_t taken = 0, room = s_room(self, o);
        /* the book crossed a resting order: it fills as maker at its price */
        bool crossed = o->side > 0 ? (b->na > 0 && b->asks[0].px < o->px)
                                   : (b->nb > 0 && b->bids[0].px > o->px);
        if (!crossed || room == 0) {
            continue;
        }
        (void)match_take(b, o->side, o->px, room, false, fills, MATCH_LEVELS, &taken);
        if (taken > 0) {
            s_fill(self, o, o->px, taken, true);
        }
    }
}

void
priv_on_frame(vs_priv_t *self, const source_frame_t *f)
{
    assert(self && f);
    if (f->kind != SOURCE_BYBIT_LINEAR && f->kind != SOURCE_BYBIT_SPOT) {
        return;
    }
    match_t *m = f->kind == SOURCE_BYBIT_SPOT ? self->match_spot : self->match;
    if (match_on_frame(m, f->text, f->len, s_on_book, s_on_trade, self) < 0) {
        log_limited(&self->bad_frame, LOG_WARN, k_mod, "replayed frame not usable for matching",
                    f->text, f->len);
    }
}

/* ---- JSON views ------------------------------------------------------------------------- */

/* Fields of the real objects (data/bybit_v5_private doc examples) that the simulator does not
 * model: present with a neutral value so that the field set is the real API's. */
static const char *const k_order_extra[] = { "isLeverage",  "lastPriceOnCreated", "leavesValue",
                                             "orderIv",     "placeType",          "slLimitPrice",
                                             "slTriggerBy", "smpOrderId",         "tpLimitPrice",
                                             "tpTriggerBy", "blockTradeId",       "closedPnl",
                                             "feeCurrency", "rpiMatchedQty",      NULL };
static const char *const k_exec_extra[] = {
    "blockTradeId",    "extraFees", "indexPrice", "markIv",     "tradeIv",
    "underlyingPrice", "execPnl",   "isLeverage", "marketUnit", NULL
};
static const char *const k_pos_extra[] = {
    "breakEvenPrice",  "bustPrice",        "leverageSysUpdatedTime",
    "liqPrice",        "mmrSysUpdateTime", "mmrSysUpdatedTime",
    "positionBalance", "positionIM",       "positionIMByMp",
    "positionMM",      "positionMMByMp",   "riskLimitValue",
    "sessionAvgPrice", "trailingStop",     NULL
};
static const char *const k_wallet_extra[] = {
    "accountIMRate",          "accountIMRateByMp",          "accountLTV",
    "accountMMRate",          "accountMMRateByMp",          "totalInitialMarginByMp",
    "totalMaintenanceMargin", "totalMaintenanceMarginByMp", NULL
};
static const char *const k_coin_extra[] = {
    "accruedInterest",  "availableToBorrow", "bonus",           "borrowAmount",
    "marginCollateral", "collateralSwitch",  "spotBorrow",      "spotHedgingQty",
    "totalOrderIM",     "totalPositionIM",   "totalPositionMM", NULL
};

static void
s_extra(json_t *j, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++) {
        if (!json_object_get(j, keys[i])) {
            json_object_set_new(j, keys[i], json_string(""));
        }
    }
}

static json_t *
s_order_json(vs_priv_t *self, const s_ord_t *o)
{
    (void)self;
    int64_t avg = o->cum_qty > 0 ? s_div(o->cum_value, o->cum_qty) : 0;
    json_t *j = json_object();
    json_object_set_new(j, "category", json_string(o->spot ? "spot" : "linear"));
    if (o->spot && o->market) {
        json_object_set_new(j, "marketUnit", json_string(o->quote_unit ? "quoteCoin" : "baseCoin"));
    }
    json_object_set_new(j, "orderId", json_string(o->order_id));
    json_object_set_new(j, "orderLinkId", json_string(o->link_id));
    json_object_set_new(j, "symbol", json_string(o->symbol));
    json_object_set_new(j, "price", o->market ? json_string("0") : s_dec(o->px));
    json_object_set_new(j, "qty", s_dec(o->qty));
    json_object_set_new(j, "side", json_string(o->side > 0 ? "Buy" : "Sell"));
    json_object_set_new(j, "positionIdx", json_integer(0));
    json_object_set_new(j, "orderStatus", json_string(k_st[o->st]));
    json_object_set_new(j, "createType", json_string(o->create_type));
    json_object_set_new(j, "cancelType", json_string(o->cancel_type));
    json_object_set_new(j, "rejectReason", json_string(o->reject_reason));
    json_object_set_new(j, "avgPrice", avg ? s_dec(avg) : json_string(""));
    json_object_set_new(j, "leavesQty",
                        s_dec((o->st == O_NEW || o->st == O_PFILLED || o->st == O_UNTRIGGERED)
                                  ? o->qty - o->cum_qty
                                  : 0));
    json_object_set_new(j, "cumExecQty", s_dec(o->cum_qty));
    json_object_set_new(j, "cumExecValue", s_dec(o->cum_value));
    json_object_set_new(j, "cumExecFee", s_dec(o->cum_fee));
    json_object_set_new(j, "cumFeeDetail", json_pack("{s:o}", "USDT", s_dec(o->cum_fee)));
    json_object_set_new(j, "timeInForce", json_string(o->tif));
    json_object_set_new(j, "orderType", json_string(o->market ? "Market" : "Limit"));
    json_object_set_new(j, "stopOrderType", json_string(o->stop_type));
    json_object_set_new(j, "triggerPrice", o->trigger_px ? s_dec(o->trigger_px) : json_string(""));
    json_object_set_new(j, "triggerDirection", json_integer(o->trigger_dir));
    json_object_set_new(j, "triggerBy", json_string(o->trigger_px ? "LastPrice" : ""));
    json_object_set_new(j, "takeProfit", o->tp ? s_dec(o->tp) : json_string(""));
    json_object_set_new(j, "stopLoss", o->sl ? s_dec(o->sl) : json_string(""));
    json_object_set_new(j, "tpslMode", json_string(o->tp || o->sl ? "Full" : ""));
    json_object_set_new(j, "reduceOnly", json_boolean(o->reduce_only));
    json_object_set_new(j, "closeOnTrigger", json_false());
    json_object_set_new(j, "createdTime", s_i64s(o->created_ms));
    json_object_set_new(j, "updatedTime", s_i64s(o->updated_ms));
    json_object_set_new(j, "smpType", json_string("None"));
    json_object_set_new(j, "smpGroup", json_integer(0));
    json_object_set_new(j, "rpiTakerAccess", json_false());
    s_extra(j, k_order_extra);
    return j;
}

static json_t *
s_exec_json(vs_priv_t *self, const s_exec_t *e)
{
    const s_ord_t *o = &self->ord[e->ord];
    json_t *j = json_object();
    json_object_set_new(j, "category", json_string(o->spot ? "spot" : "linear"));
    json_object_set_new(j, "symbol", json_string(o->symbol));
    json_object_set_new(j, "orderId", json_string(o->order_id));
    json_object_set_new(j, "orderLinkId", json_string(o->link_id));
    json_object_set_new(j, "side", json_string(o->side > 0 ? "Buy" : "Sell"));
    json_object_set_new(j, "orderPrice", o->market ? json_string("0") : s_dec(o->px));
    json_object_set_new(j, "orderQty", s_dec(o->qty));
    json_object_set_new(j, "leavesQty", s_dec(e->leaves));
    json_object_set_new(j, "orderType", json_string(o->market ? "Market" : "Limit"));
    json_object_set_new(j, "stopOrderType", json_string(o->stop_type));
    json_object_set_new(j, "createType", json_string(o->create_type));
    json_object_set_new(j, "execId", json_string(e->exec_id));
    json_object_set_new(j, "execPrice", s_dec(e->px));
    json_object_set_new(j, "execQty", s_dec(e->qty));
    json_object_set_new(j, "execValue", s_dec(e->value));
    json_object_set_new(j, "execFee", s_dec(e->fee));
    json_object_set_new(j, "feeRate", s_dec(e->fee_rate));
    json_object_set_new(j, "feeCurrency", json_string("USDT"));
    json_object_set_new(j, "execType", json_string("Trade"));
    json_object_set_new(j, "execTime", s_i64s(e->time_ms));
    json_object_set_new(j, "isMaker", json_boolean(e->maker));
    json_object_set_new(j, "markPrice", s_dec(o->spot ? e->px : s_mark(self, o->symbol)));
    json_object_set_new(j, "closedSize", s_dec(e->closed));
    json_object_set_new(j, "seq", json_integer((json_int_t)e->seq));
    s_extra(j, k_exec_extra);
    return j;
}

static json_t *
s_pos_json(vs_priv_t *self, const s_pos_t *p, bool ws)
{
    int64_t abs_size = p->size < 0 ? -p->size : p->size;
    int64_t entry = p->size ? s_div(p->cost, p->size) : 0;
    json_t *j = json_object();
    json_object_set_new(j, "category", json_string("linear"));
    json_object_set_new(j, "positionIdx", json_integer(0));
    json_object_set_new(j, "symbol", json_string(p->symbol));
    json_object_set_new(j, "side", json_string(p->size > 0 ? "Buy" : p->size < 0 ? "Sell" : ""));
    json_object_set_new(j, "size", s_dec(abs_size));
    json_object_set_new(j, ws ? "entryPrice" : "avgPrice", s_dec(entry));
    json_object_set_new(j, "positionValue", s_dec(p->cost < 0 ? -p->cost : p->cost));
    json_object_set_new(j, "leverage", s_dec(s_lev(self, p->symbol)));
    json_object_set_new(j, "markPrice", s_dec(s_mark(self, p->symbol)));
    json_object_set_new(j, "takeProfit", s_dec(p->tp));
    json_object_set_new(j, "stopLoss", s_dec(p->sl));
    json_object_set_new(j, "unrealisedPnl", s_dec(s_upnl(self, p)));
    json_object_set_new(j, "curRealisedPnl", s_dec(p->realised));
    json_object_set_new(j, "cumRealisedPnl", s_dec(p->realised));
    json_object_set_new(j, "positionStatus", json_string("Normal"));
    json_object_set_new(j, "createdTime", s_i64s(p->created_ms));
    json_object_set_new(j, "updatedTime", s_i64s(p->updated_ms));
    json_object_set_new(j, "seq", json_integer((json_int_t)p->seq));
    json_object_set_new(j, "adlRankIndicator", json_integer(p->size ? 2 : 0));
    json_object_set_new(j, "autoAddMargin", json_integer(0));
    json_object_set_new(j, "isReduceOnly", json_false());
    json_object_set_new(j, "riskId", json_integer(1));
    json_object_set_new(j, "tpslMode", json_string("Full"));
    json_object_set_new(j, "tradeMode", json_integer(0));
    s_extra(j, k_pos_extra);
    return j;
}

static json_t *
s_wallet_json(vs_priv_t *self)
{
    int64_t upl = 0;
    for (size_t i = 0; i < self->n_pos; i++) {
        upl += s_upnl(self, &self->pos[i]);
    }
    int64_t coin_val = 0; /* spot holdings at their last spot price (USD = USDT here) */
    for (size_t i = 0; i < self->n_coins; i++) {
        coin_val += s_mul(self->coins[i].bal, s_coin_px(self, self->coins[i].coin));
    }
    int64_t locked = s_locked(self, "USDT");
    int64_t eq = s_equity(self), avail = eq - s_used_margin(self) - locked;
    json_t *coins = json_array();
    json_t *coin = json_object();
    json_object_set_new(coin, "coin", json_string("USDT"));
    json_object_set_new(coin, "equity", s_dec(eq - coin_val));
    json_object_set_new(coin, "usdValue", s_dec(eq - coin_val));
    json_object_set_new(coin, "walletBalance", s_dec(self->wallet));
    json_object_set_new(coin, "locked", s_dec(locked));
    json_object_set_new(coin, "unrealisedPnl", s_dec(upl));
    json_object_set_new(coin, "cumRealisedPnl", s_dec(self->realised - self->fees));
    json_object_set_new(coin, "availableToWithdraw", s_dec(avail));
    s_extra(coin, k_coin_extra);
    json_array_append_new(coins, coin);
    for (size_t i = 0; i < self->n_coins; i++) {
        const s_coin_t *c = &self->coins[i];
        int64_t val = s_mul(c->bal, s_coin_px(self, c->coin)), lk = s_locked(self, c->coin);
        json_t *x = json_object();
        json_object_set_new(x, "coin", json_string(c->coin));
        json_object_set_new(x, "equity", s_dec(c->bal));
        json_object_set_new(x, "usdValue", s_dec(val));
        json_object_set_new(x, "walletBalance", s_dec(c->bal));
        json_object_set_new(x, "locked", s_dec(lk));
        json_object_set_new(x, "unrealisedPnl", json_string("0"));
        json_object_set_new(x, "cumRealisedPnl", json_string("0"));
        json_object_set_new(x, "availableToWithdraw", s_dec(c->bal - lk));
        s_extra(x, k_coin_extra);
        json_array_append_new(coins, x);
    }
    json_t *j = json_object();
    json_object_set_new(j, "accountType", json_string("UNIFIED"));
    json_object_set_new(j, "totalEquity", s_dec(eq));
    json_object_set_new(j, "totalWalletBalance", s_dec(self->wallet + coin_val));
    json_object_set_new(j, "totalMarginBalance", s_dec(eq));
    json_object_set_new(j, "totalAvailableBalance", s_dec(avail));
    json_object_set_new(j, "totalPerpUPL", s_dec(upl));
    json_object_set_new(j, "totalInitialMargin", s_dec(s_used_margin(self)));
    json_object_set_new(j, "coin", coins);
    s_extra(j, k_wallet_extra);
    return j;
}

/* ---- requests --------------------------------------------------------------------------- */

/* A parameter: from the JSON body (POST) or the query string (GET). */
typedef struct {
    json_t *body;
    char q[4096];
} s_params_t;

static const char *
s_param(s_params_t *ps, const char *name, char *buf, size_t cap)
{
    if (ps->body) {
        json_t *v = json_object_get(ps->body, name);
        if (json_is_string(v)) {
            return json_string_value(v);
        }
        if (json_is_integer(v)) {
            snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
            return buf;
        }
        if (json_is_boolean(v)) {
            snprintf(buf, cap, "%s", json_is_true(v) ? "true" : "false");
            return buf;
        }
        return NULL;
    }
    size_t nl = strlen(name);
    for (const char *p = ps->q; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t seg = amp ? (size_t)(amp - p) : strlen(p);
        if (seg > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = seg - nl - 1;
            if (vl >= cap) {
                vl = cap - 1;
            }
            memcpy(buf, p + nl + 1, vl);
            buf[vl] = '\0';
            return buf;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

static bool
s_valid_link(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 36) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-') {
            return false;
        }
    }
    return true;
}

static s_ord_t *
s_new_order(vs_priv_t *self)
{
    if (self->n_ord == self->cap_ord) {
        size_t cap = self->cap_ord ? self->cap_ord * 2 : 256;
        s_ord_t *p = realloc(self->ord, cap * sizeof *p);
        if (!p) {
            return NULL;
        }
        self->ord = p;
        self->cap_ord = cap;
    }
    s_ord_t *o = &self->ord[self->n_ord++];
    memset(o, 0, sizeof *o);
    self->next_order++;
    /* derivative order ids are UUIDs (2.6): a counter in UUID form, deterministic */
    snprintf(o->order_id, sizeof o->order_id, "0a000000-0000-4000-8000-%012llx",
             (unsigned long long)self->next_order);
    o->created_ms = o->updated_ms = s_now_ms();
    snprintf(o->create_type, sizeof o->create_type, "CreateByUser");
    snprintf(o->cancel_type, sizeof o->cancel_type, "UNKNOWN");
    snprintf(o->reject_reason, sizeof o->reject_reason, "EC_NoError");
    return o;
}

static s_ord_t *
s_find(vs_priv_t *self, const char *order_id, const char *link_id)
{
    for (size_t i = self->n_ord; i-- > 0;) {
        s_ord_t *o = &self->ord[i];
        if ((order_id && order_id[0] && strcmp(o->order_id, order_id) == 0)
            || (!(order_id && order_id[0]) && link_id && link_id[0]
                && strcmp(o->link_id, link_id) == 0)) {
            return o;
        }
    }
    return NULL;
}

/* Parse a decimal param at scale 8. 1 present+ok, 0 absent, -1 bad. */
static int
s_num_param(s_params_t *ps, const char *name, int64_t *out)
{
    char buf[64];
    const char *v = s_param(ps, name, buf, sizeof buf);
    if (!v || !v[0]) {
        return 0;
    }
    return money_parse(v, strlen(v), S_SC, out) < 0 || *out < 0 ? -1 : 1;
}

/* A spot create (category "spot"; BYBIT_V5.md 2.6, 2.11): no reduceOnly (ignored) and no
 * positions; market buys take marketUnit "baseCoin" (qty in the base coin) or "quoteCoin"
 * (default: qty is a USDT amount, converted at the best ask down to basePrecision); the spot
 * codes 170137 qty not on basePrecision, 170136 below minOrderQty, 170140 below minOrderAmt,
 * 170134 price not on tickSize, 170131 balance (USDT for buys, the base coin for sells, less
 * what open orders hold), 170141 duplicate orderLinkId. Conditional and TP/SL spot orders are
 * not simulated (10001). */
static int
s_create_spot(vs_priv_t *self, s_params_t *ps, server_http_resp_t *resp)
{
    char b[7][64];
    const char *sym = s_param(ps, "symbol", b[0], 64);
    const char *side = s_param(ps, "side", b[1], 64);
    const char *type = s_param(ps, "orderType", b[2], 64);
    const char *tif = s_param(ps, "timeInForce", b[3], 64);
    const char *link = s_param(ps, "orderLinkId", b[4], 64);
    const char *unit = s_param(ps, "marketUnit", b[5], 64);
    const char *filter = s_param(ps, "orderFilter", b[6], 64);
    int64_t qty = 0, px = 0, x = 0;
    const s_instr_t *in = sym ? s_instr_of(self, sym, true) : NULL;
    if (!in) {
        return s_answer(resp, 10001, "params error: symbol invalid", NULL);
    }
    if (!side || (strcmp(side, "Buy") != 0 && strcmp(side, "Sell") != 0)) {
        return s_answer(resp, 10001, "params error: side invalid", NULL);
    }
    if (!type || (strcmp(type, "Market") != 0 && strcmp(type, "Limit") != 0)) {
        return s_answer(resp, 10001, "params error: orderType invalid", NULL);
    }
    if (tif && strcmp(tif, "GTC") != 0 && strcmp(tif, "IOC") != 0 && strcmp(tif, "FOK") != 0
        && strcmp(tif, "PostOnly") != 0) {
        return s_answer(resp, 10001, "params error: timeInForce invalid", NULL);
    }
    if ((filter && strcmp(filter, "Order") != 0) || s_num_param(ps, "triggerPrice", &x) != 0
        || s_num_param(ps, "takeProfit", &x) != 0 || s_num_param(ps, "stopLoss", &x) != 0) {
        return s_answer(resp, 10001, "params error: spot conditional and TP/SL not simulated",
                        NULL);
    }
    if (unit && strcmp(unit, "baseCoin") != 0 && strcmp(unit, "quoteCoin") != 0) {
        return s_answer(resp, 10001, "params error: marketUnit invalid", NULL);
    }
    bool market = strcmp(type, "Market") == 0;
    int8_t sd = strcmp(side, "Buy") == 0 ? 1 : -1;
    bool quote_unit = market && sd > 0 && !(unit && strcmp(unit, "baseCoin") == 0);
    if (market && sd < 0 && unit && strcmp(unit, "quoteCoin") == 0) {
        return s_answer(resp, 10001, "params error: quoteCoin market sells not simulated", NULL);
    }
    if (s_num_param(ps, "qty", &qty) != 1 || qty <= 0) {
        return s_answer(resp, 10001, "params error: qty invalid", NULL);
    }
    match_book_t *bk = match_book(self->match_spot, sym);
    int64_t ask = bk && bk->na ? bk->asks[0].px : 0, bid = bk && bk->nb ? bk->bids[0].px : 0;
    int64_t quote_amt = 0;
    if (quote_unit) {
        if (ask <= 0) {
            return s_answer(resp, 170136, "Order quantity below the lower limit.", NULL);
        }
        quote_amt = qty;
        /* base = quote / ask, down to basePrecision (both at scale 8) */
        qty = (int64_t)(((__int128)quote_amt * money_pow10(S_SC) / ask) / in->step * in->step);
    } else if (qty % in->step != 0) {
        return s_answer(resp, 170137, "Order quantity has too many decimals.", NULL);
    }
    if (qty < in->min_qty) {
        return s_answer(resp, 170136, "Order quantity below the lower limit.", NULL);
    }
    int pr = s_num_param(ps, "price", &px);
    if (!market && (pr != 1 || px <= 0)) {
        return s_answer(resp, 10001, "params error: price invalid", NULL);
    }
    if (!market && px % in->tick != 0) {
        return s_answer(resp, 170134, "Order price has too many decimals.", NULL);
    }
    int64_t ref = market ? (sd > 0 ? ask : bid) : px;
    int64_t value = quote_amt > 0 ? quote_amt : s_mul(ref, qty);
    if (in->min_amt > 0 && ref > 0 && value < in->min_amt) {
        return s_answer(resp, 170140, "Order value exceeded lower limit.", NULL);
    }
    if (link && link[0] && !s_valid_link(link)) {
        return s_answer(resp, 10001, "params error: orderLinkId invalid", NULL);
    }
    if (link && link[0] && s_find(self, NULL, link)) {
        return s_answer(resp, 170141, "Duplicate clientOrderId.", NULL);
    }
    if (sd > 0) {
        int64_t free_q = s_equity(self) - s_used_margin(self) - s_locked(self, "USDT");
        for (size_t i = 0; i < self->n_coins; i++) { /* only USDT pays for spot buys */
            free_q -= s_mul(self->coins[i].bal, s_coin_px(self, self->coins[i].coin));
        }
        int64_t fee = s_mul(value, self->cfg.taker_fee);
        if (value + fee > free_q) {
            return s_answer(resp, 170131, "Insufficient balance.", NULL);
        }
    } else {
        s_coin_t *c = s_coin(self, in->base, false);
        if (!c || c->bal - s_locked(self, in->base) < qty) {
            return s_answer(resp, 170131, "Insufficient balance.", NULL);
        }
    }
    s_ord_t *o = s_new_order(self);
    if (!o) {
        return s_answer(resp, 10016, "Server error: out of memory", NULL);
    }
    /* spot order ids are numeric strings (2.6) */
    snprintf(o->order_id, sizeof o->order_id, "%llu",
             (unsigned long long)(1800000000000000000ULL + self->next_order));
    snprintf(o->link_id, sizeof o->link_id, "%s", link ? link : "");
    snprintf(o->symbol, sizeof o->symbol, "%s", sym);
    snprintf(o->tif, sizeof o->tif, "%s", market ? "IOC" : (tif ? tif : "GTC"));
    o->spot = true;
    o->quote_unit = quote_unit;
    o->side = sd;
    o->market = market;
    o->qty = qty;
    o->px = market ? 0 : px;
    o->st = O_NEW;
    s_place(self, o);
    log_info(k_mod, "spot order %s link %s %s %s %s qty %lld px %lld -> %s", o->order_id,
             o->link_id, o->symbol, side, type, (long long)qty, (long long)px, k_st[o->st]);
    json_t *r = json_pack("{s:s, s:s}", "orderId", o->order_id, "orderLinkId", o->link_id);
    return s_answer(resp, 0, "OK", r);
}

static int
s_create(vs_priv_t *self, s_params_t *ps, server_http_resp_t *resp)
{
    char b[6][64];
    const char *cat = s_param(ps, "category", b[0], 64);
    const char *sym = s_param(ps, "symbol", b[1], 64);
    const char *side = s_param(ps, "side", b[2], 64);
    const char *type = s_param(ps, "orderType", b[3], 64);
    const char *tif = s_param(ps, "timeInForce", b[4], 64);
    const char *link = s_param(ps, "orderLinkId", b[5], 64);
    char rb[16];
    const char *ro = s_param(ps, "reduceOnly", rb, sizeof rb);
    int64_t qty = 0, px = 0, trig = 0, tp = 0, sl = 0, dir = 0;
    if (cat && strcmp(cat, "spot") == 0) {
        return s_create_spot(self, ps, resp);
    }
    if (!cat || strcmp(cat, "linear") != 0) {
        return s_answer(resp, 10001, "params error: category only linear and spot are simulated",
                        NULL);
    }
    const s_instr_t *in = sym ? s_instr(self, sym) : NULL;
    if (!in) {
        return s_answer(resp, 10001, "params error: symbol invalid", NULL);
    }
    if (!side || (strcmp(side, "Buy") != 0 && strcmp(side, "Sell") != 0)) {
        return s_answer(resp, 10001, "params error: side invalid", NULL);
    }
    if (!type || (strcmp(type, "Market") != 0 && strcmp(type, "Limit") != 0)) {
        return s_answer(resp, 10001, "params error: orderType invalid", NULL);
    }
    bool market = strcmp(type, "Market") == 0;
    if (tif && strcmp(tif, "GTC") != 0 && strcmp(tif, "IOC") != 0 && strcmp(tif, "FOK") != 0
        && strcmp(tif, "PostOnly") != 0) {
        return s_answer(resp, 10001, "params error: timeInForce invalid", NULL);
    }
    if (s_num_param(ps, "qty", &qty) != 1 || qty <= 0) {
        return s_answer(resp, 10001, "params error: qty invalid", NULL);
    }
    if (qty % in->step != 0) {
        return s_answer(resp, 10001, "params error: qty must be a multiple of qtyStep", NULL);
    }
    if (qty < in->min_qty) {
        return s_answer(resp, 10001, "params error: qty below minOrderQty", NULL);
    }
    int pr = s_num_param(ps, "price", &px);
    if (!market && (pr != 1 || px <= 0)) {
        return s_answer(resp, 10001, "params error: price invalid", NULL);
    }
    if (!market && px % in->tick != 0) {
        return s_answer(resp, 10001, "params error: price must be a multiple of tickSize", NULL);
    }
    if (s_num_param(ps, "triggerPrice", &trig) < 0 || s_num_param(ps, "takeProfit", &tp) < 0
        || s_num_param(ps, "stopLoss", &sl) < 0) {
        return s_answer(resp, 10001, "params error: triggerPrice/takeProfit/stopLoss invalid",
                        NULL);
    }
    if (trig > 0) {
        char db[16];
        const char *d = s_param(ps, "triggerDirection", db, sizeof db);
        dir = d ? atoll(d) : 0;
        if (dir != 1 && dir != 2) {
            return s_answer(resp, 10001, "params error: triggerDirection invalid", NULL);
        }
        match_book_t *bk = match_book(self->match, sym);
        int64_t last = bk ? bk->last_px : 0;
        if (dir == 1 && last > 0 && last >= trig) {
            return s_answer(resp, 110092, "expect Rising, but trigger_price[...] <= current[...]",
                            NULL);
        }
        if (dir == 2 && last > 0 && last <= trig) {
            return s_answer(resp, 110093, "expect Falling, but trigger_price[...] >= current[...]",
                            NULL);
        }
    }
    if (link && link[0] && !s_valid_link(link)) {
        return s_answer(resp, 10001, "params error: orderLinkId invalid", NULL);
    }
    if (link && link[0] && s_find(self, NULL, link)) {
        return s_answer(resp, 110072, "OrderLinkedID is duplicate", NULL);
    }
    int8_t sd = strcmp(side, "Buy") == 0 ? 1 : -1;
    bool reduce = ro && strcmp(ro, "true") == 0;
    if (reduce && (tp > 0 || sl > 0)) {
        return s_answer(resp, 10001, "params error: reduceOnly order cannot carry TP/SL", NULL);
    }
    if (reduce) {
        s_pos_t *p = s_pos(self, sym, false);
        if (!p || p->size == 0) {
            return s_answer(resp, 110017,
                            "current position is zero, cannot fix reduce-only order qty", NULL);
        }
        if ((p->size > 0) == (sd > 0)) {
            return s_answer(resp, 110017, "Reduce-only rule not satisfied", NULL);
        }
    } else if (trig == 0) {
        match_book_t *bk = match_book(self->match, sym);
        int64_t ref = px;
        if (market && bk) {
            ref = sd > 0 ? (bk->na ? bk->asks[0].px : bk->last_px)
                         : (bk->nb ? bk->bids[0].px : bk->last_px);
        }
        int64_t im = s_div(s_mul(ref, qty), s_lev(self, sym));
        if (im > s_equity(self) - s_used_margin(self)) {
            return s_answer(resp, 110007, "ab not enough for new order", NULL);
        }
    }
    s_ord_t *o = s_new_order(self);
    if (!o) {
        return s_answer(resp, 10016, "Server error: out of memory", NULL);
    }
    snprintf(o->link_id, sizeof o->link_id, "%s", link ? link : "");
    snprintf(o->symbol, sizeof o->symbol, "%s", sym);
    snprintf(o->tif, sizeof o->tif, "%s", market ? "IOC" : (tif ? tif : "GTC"));
    o->side = sd;
    o->market = market;
    o->reduce_only = reduce;
    o->qty = qty;
    o->px = market ? 0 : px;
    o->trigger_px = trig;
    o->trigger_dir = (int)dir;
    o->tp = tp;
    o->sl = sl;
    if (trig > 0) {
        snprintf(o->stop_type, sizeof o->stop_type, "Stop");
        o->st = O_UNTRIGGERED;
        s_push_order(self, o);
    } else {
        o->st = O_NEW;
        s_place(self, o);
    }
    log_info(k_mod, "order %s link %s %s %s %s qty %lld px %lld -> %s", o->order_id, o->link_id,
             o->symbol, side, type, (long long)qty, (long long)px, k_st[o->st]);
    json_t *r = json_pack("{s:s, s:s}", "orderId", o->order_id, "orderLinkId", o->link_id);
    if (self->cfg.delay_create_ms > 0) {
        /* fault injection (private.h "delay"): the order exists, the answer is late */
        struct timespec d = { (time_t)(self->cfg.delay_create_ms / 1000),
                              (long)(self->cfg.delay_create_ms % 1000) * 1000000L };
        nanosleep(&d, NULL);
    }
    return s_answer(resp, 0, "OK", r);
}

static int
s_amend_cancel(vs_priv_t *self, s_params_t *ps, server_http_resp_t *resp, bool cancel)
{
    char b[3][64];
    const char *oid = s_param(ps, "orderId", b[0], 64);
    const char *lid = s_param(ps, "orderLinkId", b[1], 64);
    const char *cat = s_param(ps, "category", b[2], 64);
    bool spot = cat && strcmp(cat, "spot") == 0;
    s_ord_t *o = s_find(self, oid, lid);
    if (!o || o->spot != spot
        || !(o->st == O_NEW || o->st == O_PFILLED || o->st == O_UNTRIGGERED)) {
        return spot ? s_answer(resp, 170213, "Order does not exist.", NULL)
                    : s_answer(resp, 110001, "order not exists or too late to cancel", NULL);
    }
    if (cancel) {
        s_cancel(self, o, "CancelByUser", NULL);
    } else {
        int64_t qty = 0, px = 0, trig = 0, tp = 0, sl = 0;
        int hq = s_num_param(ps, "qty", &qty), hp = s_num_param(ps, "price", &px);
        int ht = s_num_param(ps, "triggerPrice", &trig);
        int htp = s_num_param(ps, "takeProfit", &tp), hsl = s_num_param(ps, "stopLoss", &sl);
        const s_instr_t *in = s_instr_of(self, o->symbol, o->spot);
        if (hq < 0 || hp < 0 || ht < 0 || htp < 0 || hsl < 0 || (hq == 1 && qty <= o->cum_qty)
            || (hq == 1 && in && qty % in->step != 0) || (hp == 1 && in && px % in->tick != 0)
            || (hp == 1 && o->market)) {
            return s_answer(resp, 10001, "params error: amend values invalid", NULL);
        }
        if (hq == 1) {
            o->qty = qty;
        }
        if (hp == 1) {
            o->px = px;
        }
        if (ht == 1 && o->st == O_UNTRIGGERED) {
            o->trigger_px = trig;
        }
        if (htp == 1) {
            o->tp = tp;
        }
        if (hsl == 1) {
            o->sl = sl;
        }
        o->updated_ms = s_now_ms();
        if (o->st != O_UNTRIGGERED) {
            /* a re-priced limit may now cross: take what crosses, keep the rest resting */
            match_book_t *bk = s_book_of(self, o);
            match_level_t fills[MATCH_LEVELS];
            int64_t taken = 0;
            s_push_order(self, o);
            if (bk && bk->have_book && strcmp(o->tif, "PostOnly") != 0) {
                size_t nf = match_take(bk, o->side, o->px, s_room(self, o), false, fills,
                                       MATCH_LEVELS, &taken);
                for (size_t i = 0; i < nf; i++) {
                    s_fill(self, o, fills[i].px, fills[i].qty, false);
                }
            }
        }
    }
    json_t *r = json_pack("{s:s, s:s}", "orderId", o->order_id, "orderLinkId", o->link_id);
    return s_answer(resp, 0, "OK", r);
}

static int
s_cancel_all(vs_priv_t *self, s_params_t *ps, server_http_resp_t *resp)
{
    char b[3][64];
    const char *sym = s_param(ps, "symbol", b[0], 64);
    const char *settle = s_param(ps, "settleCoin", b[1], 64);
    const char *cat = s_param(ps, "category", b[2], 64);
    bool spot = cat && strcmp(cat, "spot") == 0;
    if (!sym && !settle && !spot) { /* linear needs one of them; spot: all spot orders */
        return s_answer(resp, 10001, "params error: symbol or settleCoin required", NULL);
    }
    json_t *list = json_array();
    for (size_t i = 0; i < self->n_ord; i++) {
        s_ord_t *o = &self->ord[i];
        if ((o->st == O_NEW || o->st == O_PFILLED || o->st == O_UNTRIGGERED) && o->spot == spot
            && (!sym || strcmp(o->symbol, sym) == 0)) {
            s_cancel(self, o, "CancelByUser", NULL);
            json_array_append_new(
                list, json_pack("{s:s, s:s}", "orderId", o->order_id, "orderLinkId", o->link_id));
        }
    }
    return s_answer(resp, 0, "OK", json_pack("{s:o, s:s}", "list", list, "success", "1"));
}

static bool
s_match_filter(s_params_t *ps, const s_ord_t *o)
{
    char b[3][64];
    const char *sym = s_param(ps, "symbol", b[0], 64);
    const char *oid = s_param(ps, "orderId", b[1], 64);
    const char *lid = s_param(ps, "orderLinkId", b[2], 64);
    return (!sym || strcmp(o->symbol, sym) == 0) && (!oid || strcmp(o->order_id, oid) == 0)
           && (!lid || strcmp(o->link_id, lid) == 0);
}

static int
s_orders_query(vs_priv_t *self, s_params_t *ps, server_http_resp_t *resp, bool history)
{
    char b[2][64];
    const char *cat = s_param(ps, "category", b[0], 64);
    const char *open_only = s_param(ps, "openOnly", b[1], 64);
    if (!cat || (strcmp(cat, "linear") != 0 && strcmp(cat, "spot") != 0)) {
        return s_answer(resp, 10001, "params error: category invalid", NULL);
    }
    bool spot = strcmp(cat, "spot") == 0;
    char t[2][64];
    bool by_id = s_param(ps, "orderId", t[0], 64) || s_param(ps, "orderLinkId", t[1], 64);
    json_t *list = json_array();
    for (size_t i = self->n_ord; i-- > 0;) { /* newest first */
        const s_ord_t *o = &self->ord[i];
        bool open = o->st == O_NEW || o->st == O_PFILLED || o->st == O_UNTRIGGERED;
        bool want = history ? !open || by_id
                            : (open || by_id || (open_only && strcmp(open_only, "1") == 0));
        if (want && o->spot == spot && s_match_filter(ps, o)) {
            json_array_append_new(list, s_order_json(self, o));
        }
    }
    return s_answer(
        resp, 0, "OK",
        json_pack("{s:o, s:s, s:s}", "list", list, "nextPageCursor", "", "category", cat));
}

static int
s_exec_list(vs_priv_t *self, s_params_t *ps, server_http_resp_t *resp)
{
    char cb[64];
    const char *cat = s_param(ps, "category", cb, sizeof cb);
    bool spot = cat && strcmp(cat, "spot") == 0;
    json_t *list = json_array();
    for (size_t i = self->n_ex; i-- > 0;) {
        const s_ord_t *o = &self->ord[self->ex[i].ord];
        if (o->spot == spot && s_match_filter(ps, o)) {
            json_array_append_new(list, s_exec_json(self, &self->ex[i]));
        }
    }
    return s_answer(resp, 0, "OK",
                    json_pack("{s:o, s:s, s:s}", "list", list, "nextPageCursor", "", "category",
                              spot ? "spot" : "linear"));
}

static int
s_positions(vs_priv_t *self, s_params_t *ps, server_http_resp_t *resp)
{
    char b[3][64];
    const char *sym = s_param(ps, "symbol", b[0], 64);
    const char *settle = s_param(ps, "settleCoin", b[1], 64);
    const char *cat = s_param(ps, "category", b[2], 64);
    if (cat && strcmp(cat, "spot") == 0) { /* spot has no positions (2.8) */
        return s_answer(resp, 10001, "params error: category only support linear, inverse, option",
                        NULL);
    }
    if (!sym && !settle) {
        return s_answer(resp, 10001, "params error: symbol or settleCoin required", NULL);
    }
    json_t *list = json_array();
    for (size_t i = 0; i < self->n_pos; i++) {
        const s_pos_t *p = &self->pos[i];
        if ((sym && strcmp(p->symbol, sym) == 0) || (!sym && p->size != 0)) {
            json_array_append_new(list, s_pos_json(self, p, false));
        }
    }
    if (sym && json_array_size(list) == 0 && s_instr(self, sym)) {
        s_pos_t flat;
        memset(&flat, 0, sizeof flat);
        snprintf(flat.symbol, sizeof flat.symbol, "%s", sym);
        json_array_append_new(list, s_pos_json(self, &flat, false));
    }
    return s_answer(
        resp, 0, "OK",
        json_pack("{s:o, s:s, s:s}", "list", list, "nextPageCursor", "", "category", "linear"));
}

static int
s_trading_stop(vs_priv_t *self, s_params_t *ps, server_http_resp_t *resp)
{
    char b[64];
    const char *sym = s_param(ps, "symbol", b, sizeof b);
    s_pos_t *p = sym ? s_pos(self, sym, false) : NULL;
    int64_t tp = 0, sl = 0;
    int htp = s_num_param(ps, "takeProfit", &tp), hsl = s_num_param(ps, "stopLoss", &sl);
    if (htp < 0 || hsl < 0) {
        return s_answer(resp, 10001, "params error: takeProfit/stopLoss invalid", NULL);
    }
    if (!p || p->size == 0) {
        return s_answer(resp, 10001, "can not set tp/sl/ts for zero position", NULL);
    }
    if (htp == 1) {
        p->tp = tp;
    }
    if (hsl == 1) {
        p->sl = sl;
    }
    p->updated_ms = s_now_ms();
    s_push(self, 2, s_pos_json(self, p, true));
    return s_answer(resp, 0, "OK", NULL);
}

/* POST /v5/position/set-leverage (Bybit position/leverage.mdx): category linear, symbol,
 * buyLeverage = sellLeverage (one-way mode), 1..100 at 0.01. The same leverage again answers
 * 110043 "Set leverage not modified" as Bybit does; a change pushes the position. */
static int
s_set_leverage(vs_priv_t *self, s_params_t *ps, server_http_resp_t *resp)
{
    char b[2][64];
    const char *cat = s_param(ps, "category", b[0], 64);
    const char *sym = s_param(ps, "symbol", b[1], 64);
    if (!cat || strcmp(cat, "linear") != 0) {
        return s_answer(resp, 10001, "params error: category invalid", NULL);
    }
    if (!sym || !sym[0] || !s_instr(self, sym)) {
        return s_answer(resp, 10001, "params error: symbol invalid", NULL);
    }
    int64_t buy = 0, sell = 0;
    int hb = s_num_param(ps, "buyLeverage", &buy), hs = s_num_param(ps, "sellLeverage", &sell);
    int64_t one = money_pow10(S_SC);
    if (hb != 1 || hs != 1 || buy != sell || buy < one || buy > 100 * one
        || buy % (one / 100) != 0) {
        return s_answer(resp, 10001,
                        "params error: buyLeverage and sellLeverage must be equal, 1 to 100", NULL);
    }
    s_pos_t *p = s_pos(self, sym, true);
    if (!p) {
        return s_answer(resp, 10016, "internal error: position table full", NULL);
    }
    if (s_lev(self, sym) == buy) {
        return s_answer(resp, 110043, "Set leverage not modified", NULL);
    }
    p->lev = buy;
    p->updated_ms = s_now_ms();
    s_push(self, 2, s_pos_json(self, p, true));
    return s_answer(resp, 0, "OK", json_object());
}

/* ---- auth and rate limits --------------------------------------------------------------- */

static const priv_key_t *
s_key(const vs_priv_t *self, const char *key)
{
    for (size_t i = 0; i < self->cfg.n_keys; i++) {
        if (strcmp(self->cfg.keys[i].key, key) == 0) {
            return &self->cfg.keys[i];
        }
    }
    return NULL;
}

/* 0 = authenticated; else the answer was written. */
static int
s_auth(vs_priv_t *self, const server_http_req_t *rq, server_http_resp_t *resp, int64_t now)
{
    if (!rq->key[0] || !rq->ts[0] || !rq->sign[0]) {
        resp->status = 401;
        return s_answer(resp, 10003, "API key is invalid. (missing X-BAPI headers)", NULL);
    }
    const priv_key_t *k = s_key(self, rq->key);
    if (!k) {
        return s_answer(resp, 10003, "API key is invalid.", NULL);
    }
    char *end = NULL;
    long long ts = strtoll(rq->ts, &end, 10);
    long long rw = rq->recv_window[0] ? strtoll(rq->recv_window, NULL, 10) : 5000;
    if (!end || *end || rw <= 0 || !(now - rw <= ts && ts < now + 1000)) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "invalid request, please check your server timestamp or recv_window param. "
                 "req_timestamp[%s],server_timestamp[%lld],recv_window[%lld]",
                 rq->ts, (long long)now, rw);
        return s_answer(resp, 10002, msg, NULL);
    }
    const char *payload = rq->post ? rq->body : rq->query;
    size_t plen = rq->post ? rq->body_len : strlen(rq->query);
    size_t hl = strlen(rq->ts) + strlen(rq->key) + strlen(rq->recv_window);
    char *msg = malloc(hl + plen + 1);
    char hex[65];
    if (!msg) {
        return s_answer(resp, 10016, "Server error", NULL);
    }
    snprintf(msg, hl + 1, "%s%s%s", rq->ts, rq->key, rq->recv_window);
    memcpy(msg + hl, payload, plen);
    int rc = priv_sign(k->secret, msg, hl + plen, hex);
    free(msg);
    if (rc < 0 || strlen(rq->sign) != 64 || CRYPTO_memcmp(hex, rq->sign, 64) != 0) {
        return s_answer(resp, 10004, "error sign! origin_string[...]", NULL);
    }
    return 0;
}

/* Count this request in the key+path window; false if over the limit. */
static bool
s_rate(vs_priv_t *self, const char *key, const char *path, int64_t limit, int64_t now,
       server_http_resp_t *resp)
{
    s_rate_t *r = NULL;
    for (size_t i = 0; i < self->n_rate; i++) {
        if (strcmp(self->rate[i].key, key) == 0 && strcmp(self->rate[i].path, path) == 0) {
            r = &self->rate[i];
        }
    }
    if (!r) {
        s_rate_t *p = realloc(self->rate, (self->n_rate + 1) * sizeof *p);
        if (!p) {
            return true;
        }
        self->rate = p;
        r = &self->rate[self->n_rate++];
        memset(r, 0, sizeof *r);
        snprintf(r->key, sizeof r->key, "%s", key);
        snprintf(r->path, sizeof r->path, "%s", path);
    }
    while (r->n > 0 && r->t[r->head] <= now - 1000) { /* rolling 1 s window */
        r->head = (r->head + 1) % S_RATE_WIN;
        r->n--;
    }
    if (limit > S_RATE_WIN) {
        limit = S_RATE_WIN;
    }
    resp->limit = limit;
    if ((int64_t)r->n >= limit) {
        resp->limit_status = 0;
        resp->limit_reset_ms = r->t[r->head] + 1000;
        return false;
    }
    r->t[(r->head + r->n) % S_RATE_WIN] = now;
    r->n++;
    resp->limit_status = limit - (int64_t)r->n;
    resp->limit_reset_ms = now;
    return true;
}

int
priv_http(const server_http_req_t *rq, server_http_resp_t *resp, void *arg)
{
    vs_priv_t *self = arg;
    assert(self && rq && resp);
    int64_t now = s_now_ms();
    if (strcmp(rq->path, "/v5/market/time") == 0) {
        int64_t ns = clock_wall_ns();
        char sec[24], nano[24];
        snprintf(sec, sizeof sec, "%lld", (long long)(ns / 1000000000));
        snprintf(nano, sizeof nano, "%lld", (long long)ns);
        return s_answer(resp, 0, "OK",
                        json_pack("{s:s, s:s}", "timeSecond", sec, "timeNano", nano));
    }
    static const struct {
        const char *path;
        bool post;
        bool order_rate; /* 10/s class, else 50/s */
    } k_paths[] = {
        { "/v5/order/create", true, true },          { "/v5/order/amend", true, true },
        { "/v5/order/cancel", true, true },          { "/v5/order/cancel-all", true, true },
        { "/v5/position/trading-stop", true, true }, { "/v5/order/realtime", false, false },
        { "/v5/order/history", false, false },       { "/v5/execution/list", false, false },
        { "/v5/position/list", false, false },       { "/v5/account/wallet-balance", false, false },
        { "/v5/sim/control", true, false }, /* not Bybit: test control (private.h) */
        { "/v5/position/set-leverage", true, true },
    };
    int which = -1;
    for (size_t i = 0; i < sizeof k_paths / sizeof k_paths[0]; i++) {
        if (strcmp(rq->path, k_paths[i].path) == 0) {
            which = (int)i;
        }
    }
    if (which < 0) {
        return 0;
    }
    if (k_paths[which].post != rq->post) {
        resp->status = k_paths[which].post ? 404 : 403; /* 2.11: GET with a body is 403 */
        return s_answer(resp, 10001, "params error: wrong HTTP method", NULL);
    }
    if (s_auth(self, rq, resp, now) != 0) {
        return 1;
    }
    if (!s_rate(self, rq->key, rq->path, k_paths[which].order_rate ? self->cfg.rate_order : 50, now,
                resp)) {
        return s_answer(resp, 10006, "Too many visits!", NULL);
    }
    s_params_t ps;
    memset(&ps, 0, sizeof ps);
    if (rq->post) {
        ps.body = json_loadb(rq->body, rq->body_len, 0, NULL);
        if (!json_is_object(ps.body)) {
            json_decref(ps.body);
            return s_answer(resp, 10001, "params error: body is not a JSON object", NULL);
        }
    } else {
        snprintf(ps.q, sizeof ps.q, "%s", rq->query);
    }
    int rc;
    switch (which) {
    case 0:
        rc = s_create(self, &ps, resp);
        break;
    case 1:
        rc = s_amend_cancel(self, &ps, resp, false);
        break;
    case 2:
        rc = s_amend_cancel(self, &ps, resp, true);
        break;
    case 3:
        rc = s_cancel_all(self, &ps, resp);
        break;
    case 4:
        rc = s_trading_stop(self, &ps, resp);
        break;
    case 5:
        rc = s_orders_query(self, &ps, resp, false);
        break;
    case 6:
        rc = s_orders_query(self, &ps, resp, true);
        break;
    case 7:
        rc = s_exec_list(self, &ps, resp);
        break;
    case 8:
        rc = s_positions(self, &ps, resp);
        break;
    case 10: {
        int64_t ms = 0;
        if (s_num_param(&ps, "delay_create_ms", &ms) == 1) {
            self->cfg.delay_create_ms = ms / money_pow10(S_SC);
            log_notice(k_mod, "control: delay_create_ms %lld",
                       (long long)self->cfg.delay_create_ms);
        }
        char db[8];
        const char *drop = s_param(&ps, "drop_ws", db, sizeof db);
        if (drop && strcmp(drop, "1") == 0 && self->srv) {
            log_notice(k_mod, "control: closing %zu private ws connections", self->n_ws);
            for (size_t i = 0; i < self->n_ws; i++) {
                (void)server_ws_close(self->srv, self->ws[i].conn);
            }
        }
        /* {"leverage":"SYMBOL:X"}: the symbol's leverage changes as if someone set it on the
         * exchange's web page (a position push follows), bypassing set-leverage and its
         * faults */
        char lb[64], lc[64];
        const char *lv = s_param(&ps, "leverage", lb, sizeof lb);
        snprintf(lc, sizeof lc, "%s", lv ? lv : "");
        snprintf(lb, sizeof lb, "%s", lc); /* s_param may point into the body: copy */
        char *colon = strchr(lb, ':');
        int64_t x;
        if (colon) {
            *colon = '\0';
            s_pos_t *p = s_pos(self, lb, true);
            if (p && money_parse(colon + 1, strlen(colon + 1), S_SC, &x) == 0 && x > 0) {
                p->lev = x;
                p->updated_ms = s_now_ms();
                s_push(self, 2, s_pos_json(self, p, true));
                log_notice(k_mod, "control: leverage of %s set to %s", lb, colon + 1);
            }
        }
        rc = s_answer(resp, 0, "OK", NULL);
        break;
    }
    case 11:
        rc = s_set_leverage(self, &ps, resp);
        break;
    default:
        rc = s_answer(resp, 0, "OK", json_pack("{s:[o]}", "list", s_wallet_json(self)));
        break;
    }
    json_decref(ps.body);
    return rc;
}

/* ---- private WS ------------------------------------------------------------------------- */

static void
s_ws_reply(vs_priv_t *self, uint64_t conn, json_t *msg)
{
    char *t = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    if (t && self->srv) {
        (void)server_ws_send(self->srv, conn, t, strlen(t));
    }
    free(t);
}

void
priv_ws(uint64_t conn, const char *msg, size_t len, void *arg)
{
    vs_priv_t *self = arg;
    assert(self);
    s_ws_t *w = NULL;
    for (size_t i = 0; i < self->n_ws; i++) {
        if (self->ws[i].conn == conn) {
            w = &self->ws[i];
        }
    }
    if (!msg) {
        if (len == 1 && !w && self->n_ws < S_MAX_WS) {
            memset(&self->ws[self->n_ws], 0, sizeof self->ws[0]);
            self->ws[self->n_ws++].conn = conn;
        } else if (len == 0 && w) {
            *w = self->ws[--self->n_ws];
        }
        return;
    }
    if (!w) {
        return;
    }
    char cid[32];
    snprintf(cid, sizeof cid, "vs-private-%llu", (unsigned long long)conn);
    json_t *root = json_loadb(msg, len, 0, NULL);
    const char *op = json_string_value(json_object_get(root, "op"));
    json_t *req_id = json_object_get(root, "req_id");
    json_t *args = json_object_get(root, "args");
    if (!op) {
        s_ws_reply(self, conn,
                   json_pack("{s:b, s:s, s:s, s:s}", "success", 0, "ret_msg", "error:invalid op",
                             "op", "", "conn_id", cid));
    } else if (strcmp(op, "ping") == 0) {
        s_ws_reply(self, conn,
                   json_pack("{s:s?, s:s, s:[s], s:s}", "req_id", json_string_value(req_id), "op",
                             "pong", "args", "", "conn_id", cid));
    } else if (strcmp(op, "auth") == 0) {
        const char *key = json_string_value(json_array_get(args, 0));
        json_t *ev = json_array_get(args, 1);
        const char *sig = json_string_value(json_array_get(args, 2));
        long long expires = json_is_integer(ev)  ? (long long)json_integer_value(ev)
                            : json_is_string(ev) ? atoll(json_string_value(ev))
                                                 : 0;
        const priv_key_t *k = key ? s_key(self, key) : NULL;
        char want[65], text[64];
        int n = snprintf(text, sizeof text, "GET/realtime%lld", expires);
        bool ok = k && sig && expires > s_now_ms()
                  && priv_sign(k->secret, text, (size_t)n, want) == 0 && strcmp(want, sig) == 0;
        w->authed = ok;
        log_info(k_mod, "private ws %s auth %s", cid, ok ? "ok" : "refused");
        s_ws_reply(self, conn,
                   json_pack("{s:b, s:s, s:s, s:s}", "success", ok, "ret_msg",
                             ok ? "" : "error:USVC1111", "op", "auth", "conn_id", cid));
    } else if (strcmp(op, "subscribe") == 0) {
        static const char *const names[] = { "order", "execution", "position", "wallet" };
        bool ok = w->authed && json_is_array(args);
        size_t i;
        json_t *a;
        json_array_foreach(args, i, a)
        {
            const char *t = json_string_value(a);
            bool known = false;
            for (int k = 0; t && k < 4; k++) {
                size_t nl = strlen(names[k]);
                if (strcmp(t, names[k]) == 0
                    || (strncmp(t, names[k], nl) == 0 && strcmp(t + nl, ".linear") == 0)) {
                    w->topics[k] = ok;
                    known = true;
                }
            }
            ok = ok && known;
        }
        s_ws_reply(self, conn,
                   json_pack("{s:s?, s:b, s:s, s:s, s:s}", "req_id", json_string_value(req_id),
                             "success", ok, "ret_msg",
                             ok ? "" : "error:not authorized or bad topic", "op", "subscribe",
                             "conn_id", cid));
    } else {
        s_ws_reply(self, conn,
                   json_pack("{s:b, s:s, s:s, s:s}", "success", 0, "ret_msg", "error:invalid op",
                             "op", op, "conn_id", cid));
    }
    json_decref(root);
}
