/*  bybit.c - the live Bybit v5 venue (contract and rules: bybit.h).
 *  Owns:  rest_t, journal_t, account_t, per-intent "not found" counts (in the journal order
 *         table), counters.
 *  All REST calls block the stage loop for at most timeout_ms each (libcurl easy); the poll
 *  period bounds how stale the executor's view is (docs/executor.md "Live venue").
 */
#include "executor/bybit.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "common/clock.h"
#include "common/codec.h"
#include "common/log.h"
#include "common/money.h"
#include "executor/account.h"
#include "executor/journal.h"
#include "executor/rest.h"
#include "feed/conn.h" /* generic lws client (reconnect, backoff, ping) */

#define S_MOD          "bybit"
#define S_SYNC_TIME_MS (5 * 60 * 1000) /* BYBIT_V5.md 2.3: resync every few minutes */
#define S_NOT_FOUND    2               /* polls without the intent on the venue -> not placed */

typedef enum { S_RECONCILING = 0, S_RUNNING, S_HALTED } s_state_t;
static const char *const k_state[] = { "reconciling", "running", "halted" };

struct bybit {
    venue_cfg_t cfg;
    char category[16];
    char venue_name[CODEC_VENUE_MAX]; /* of the orders (risk's venue id), for exec.balance */
    orders_t *orders;
    rest_t *rest;
    journal_t *journal;
    account_t *acct;
    zhashx_t *not_found; /* client_id -> count (as pointer-sized integer) */
    zhashx_t *reported;  /* differences already logged (text -> 1): each is logged once */
    zhashx_t *suspect, *suspect_next; /* position mismatches seen on this / the last poll */
    bool in_push; /* applying a WS push: may be older than what REST already gave us */
    s_state_t state;
    char why[CODEC_TEXT_MAX];
    int64_t last_sync_ms;
    int64_t last_exec_ms; /* newest execTime applied */
    uint64_t diffs, polls, unknown_outcomes;
    bool doubt;      /* an outcome is unknown: reconcile before "running" */
    int64_t equity;  /* venue totalEquity, MONEY_VALUE_SCALE (0 = not fetched yet) */
    bool have_rules; /* instruments-info loaded into cfg.instr */
    /* private WebSocket (BYBIT_V5.md 3) */
    conn_ctx_t *wsctx;
    conn_t *ws;
    bool ws_authed, ws_was_up;
    uint64_t ws_msgs, ws_fills, ws_reconnects;
    log_limit_t ws_limit;
    log_limit_t diff_limit, poll_limit;
};

/* ---- pure helpers ----------------------------------------------------------------------- */

static int
s_fmt(int64_t m, int scale, char *buf, size_t cap)
{
    return money_fmt(m, scale, buf, cap);
}

void
bybit_opts_for(const codec_risk_order_t *r, bybit_opts_t *out)
{
    assert(r && out);
    memset(out, 0, sizeof *out);
    out->category = "linear";
    bool sl = strcmp(r->intent, "stop_loss") == 0, tp = strcmp(r->intent, "take_profit") == 0;
    if ((sl || tp) && r->type == CODEC_ORD_MARKET && r->px > 0) {
        out->trigger_px = r->px;
        /* a sell stop / buy target waits for the price to fall; the others for a rise */
        out->trigger_direction = ((sl && r->side < 0) || (tp && r->side > 0)) ? 2 : 1;
    }
    if (!r->reduce_only) {
        out->tp_px = r->tp_px;
        out->sl_px = r->sl_px;
    }
    /* what the request says explicitly wins over the intent mapping above */
    if (r->tif[0]) {
        out->tif = r->tif;
    }
    if (r->trigger_px > 0 && (r->trigger_dir == 1 || r->trigger_dir == 2)) {
        out->trigger_px = r->trigger_px;
        out->trigger_direction = r->trigger_dir;
    }
}

int
bybit_create_body(const codec_risk_order_t *r, const instr_t *in, const bybit_opts_t *opt,
                  char *buf, size_t cap)
{
    assert(r && in && opt && buf);
    char qty[40], px[40], t[40];
    int64_t q, p;
    if ((r->side != 1 && r->side != -1)
        || (r->type != CODEC_ORD_MARKET && r->type != CODEC_ORD_LIMIT) || in->step <= 0
        || in->tick <= 0) {
        errno = EINVAL;
        return -1;
    }
    /* round once at the edge (brief): qty DOWN to the step, price toward the passive side */
    if (money_round_to(r->qty, in->step, MONEY_ROUND_DOWN, &q) < 0 || q <= 0) {
        errno = EINVAL;
        return -1;
    }
    json_t *j = json_object();
    if (!j) {
        errno = ENOMEM;
        return -1;
    }
    s_fmt(q, r->qty_scale, qty, sizeof qty);
    json_object_set_new(j, "category", json_string(opt->category ? opt->category : "linear"));
    json_object_set_new(j, "symbol", json_string(r->symbol));
    json_object_set_new(j, "side", json_string(r->side > 0 ? "Buy" : "Sell"));
    json_object_set_new(j, "orderType",
                        json_string(r->type == CODEC_ORD_LIMIT ? "Limit" : "Market"));
    json_object_set_new(j, "qty", json_string(qty));
    if (r->type == CODEC_ORD_LIMIT) {
        if (money_round_to(r->px, in->tick, r->side > 0 ? MONEY_ROUND_DOWN : MONEY_ROUND_UP, &p) < 0
            || p <= 0) {
            json_decref(j);
            errno = EINVAL;
            return -1;
        }
        s_fmt(p, r->px_scale, px, sizeof px);
        json_object_set_new(j, "price", json_string(px));
        json_object_set_new(j, "timeInForce", json_string(opt->tif ? opt->tif : "GTC"));
    } else if (opt->tif) {
        json_object_set_new(j, "timeInForce", json_string(opt->tif));
    }
    json_object_set_new(j, "orderLinkId", json_string(r->client_id));
    if (r->reduce_only) {
        json_object_set_new(j, "reduceOnly", json_true());
    }
    const struct {
        const char *name;
        int64_t v;
    } prices[] = { { "triggerPrice", opt->trigger_px },
                   { "takeProfit", opt->tp_px },
                   { "stopLoss", opt->sl_px } };
    for (size_t i = 0; i < 3; i++) {
        if (prices[i].v > 0) {
            if (money_round_to(prices[i].v, in->tick, MONEY_ROUND_HALF_EVEN, &p) < 0) {
                json_decref(j);
                errno = EINVAL;
                return -1;
            }
            s_fmt(p, r->px_scale, t, sizeof t);
            json_object_set_new(j, prices[i].name, json_string(t));
        }
    }
    if (opt->trigger_px > 0) {
        json_object_set_new(j, "triggerDirection", json_integer(opt->trigger_direction));
        json_object_set_new(j, "triggerBy", json_string("LastPrice"));
    }
    if (opt->tp_px > 0 || opt->sl_px > 0) {
        json_object_set_new(j, "tpslMode", json_string("Full"));
    }
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    size_t n = strlen(s);
    if (n + 1 > cap) {
        free(s);
        errno = ENOBUFS;
        return -1;
    }
    memcpy(buf, s, n + 1);
    free(s);
    return 0;
}

/* ---- state ------------------------------------------------------------------------------ */

static void
s_set_state(bybit_t *self, s_state_t st, const char *why)
{
    if (self->state == S_HALTED && st != S_HALTED) {
        return; /* halted stays halted: a human restarts */
    }
    if (self->state != st) {
        log_notice(S_MOD, "venue state %s -> %s%s%s", k_state[self->state], k_state[st],
                   why ? ": " : "", why ? why : "");
    }
    self->state = st;
    snprintf(self->why, sizeof self->why, "%s", why ? why : "");
}

const char *
bybit_state(const bybit_t *self)
{
    assert(self);
    return k_state[self->state];
}

uint64_t
bybit_diffs(const bybit_t *self)
{
    assert(self);
    return self->diffs;
}

static void
s_emit_order(bybit_t *self, const order_t *o, int64_t evt)
{
    codec_exec_order_t x;
    order_to_exec(o, evt, &x);
    self->cfg.emit("exec.order", CODEC_EXEC_ORDER, &x, evt, o->origin, self->cfg.emit_arg);
}

static void
s_diff(bybit_t *self, const char *what)
{
    if (zhashx_lookup(self->reported, what)) {
        return; /* the same difference seen again on a later poll */
    }
    (void)zhashx_insert(self->reported, what, (void *)1);
    self->diffs++;
    log_warn(S_MOD, "reconcile difference: %s", what);
}

/* A refusal of a request: journal R, Rejected, exec.order. */
static void
s_refuse(bybit_t *self, order_t *o, const char *reason)
{
    if (journal_refuse(self->journal, o->req.client_id, reason) < 0) {
        log_error(S_MOD, "journal: cannot record refusal of %s: %s", o->req.client_id,
                  strerror(errno));
    }
    if (order_reject(o, reason) == 0) {
        s_emit_order(self, o, o->req.ts_event);
    }
    log_warn(S_MOD, "order %s rejected: %s", o->req.client_id, reason);
}

/* Auth codes mean the keys or the account are wrong: halt. */
static void
s_check_auth(bybit_t *self, const rest_resp_t *r)
{
    if (r->ret_code == 10003 || r->ret_code == 10004 || r->ret_code == 10005
        || r->ret_code == 10010) {
        char why[CODEC_TEXT_MAX];
        snprintf(why, sizeof why, "bybit %d: %s", r->ret_code, rest_code_text(r->ret_code));
        s_set_state(self, S_HALTED, why);
    }
}

/* ---- place ------------------------------------------------------------------------------ */

static int
s_place(void *impl, order_t *o, const instr_t *in)
{
    bybit_t *self = impl;
    char body[2048], why[CODEC_TEXT_MAX];
    uint8_t enc[JOURNAL_REQ_MAX];
    size_t enc_len = 0;
    if (self->state == S_HALTED) {
        snprintf(why, sizeof why, "venue halted: %.100s", self->why);
        s_refuse(self, o, why);
        errno = EPERM;
        return -1;
    }
    bybit_opts_t opt;
    bybit_opts_for(&o->req, &opt);
    opt.category = self->category;
    codec_env_t env;
    memset(&env, 0, sizeof env);
    env.v = CODEC_VERSION;
    env.origin = o->origin;
    env.evt = o->req.ts_event;
    if (!in || bybit_create_body(&o->req, in, &opt, body, sizeof body) < 0
        || codec_encode(&env, CODEC_RISK_ORDER, &o->req, enc, sizeof enc, &enc_len) < 0) {
        s_refuse(self, o, "cannot build the create request");
        errno = EINVAL;
        return -1;
    }
    /* durable intent BEFORE the request leaves (journal.h) */
    if (journal_intent(self->journal, o->req.client_id, enc, enc_len) < 0) {
        snprintf(why, sizeof why, "journal write failed: %s", strerror(errno));
        if (order_reject(o, why) == 0) {
            s_emit_order(self, o, o->req.ts_event);
        }
        log_error(S_MOD, "order %s not sent: %s", o->req.client_id, why);
        errno = EIO;
        return -1;
    }
    s_emit_order(self, o, o->req.ts_event); /* New: accepted, on its way */
    rest_resp_t r;
    int rc = rest_call(self->rest, true, "/v5/order/create", body, &r);
    const char *oid = json_string_value(json_object_get(r.result, "orderId"));
    if (rc == 0 && oid) {
        snprintf(o->order_id, sizeof o->order_id, "%s", oid);
        if (journal_ack(self->journal, o->req.client_id, oid) < 0) {
            log_error(S_MOD, "journal: cannot record ack of %s: %s", o->req.client_id,
                      strerror(errno));
        }
        log_info(S_MOD, "order %s acknowledged as %s", o->req.client_id, oid);
        json_decref(r.result);
        return 0;
    }
    int e = errno;
    json_decref(r.result);
    if (rc == 0 || e == ETIMEDOUT || e == EIO || e == ECONNREFUSED
        || (e == EPROTO && rest_code_unknown(r.ret_code))) {
        /* outcome unknown: never re-sent; the next poll asks the venue (bybit.h) */
        self->unknown_outcomes++;
        self->doubt = true;
        s_set_state(self, S_RECONCILING, "order outcome unknown");
        log_warn(S_MOD, "order %s: outcome unknown (%s%s%d), querying the venue", o->req.client_id,
                 e == EPROTO ? "retCode " : strerror(e), e == EPROTO ? "" : " ",
                 e == EPROTO ? r.ret_code : 0);
        return 0;
    }
    if (e == EAGAIN) {
        snprintf(why, sizeof why,
                 "bybit 10006: rate limit budget exhausted, not sent (retry in %lld ms)",
                 (long long)r.retry_ms);
    } else {
        s_check_auth(self, &r);
        snprintf(why, sizeof why, "bybit %d: %.60s (%.50s)", r.ret_code, rest_code_text(r.ret_code),
                 r.ret_msg);
    }
    s_refuse(self, o, why);
    errno = EPROTO;
    return -1;
}

/* ---- executions and statuses ------------------------------------------------------------ */

static int
s_parse(const char *s, int scale, int64_t *out)
{
    int64_t v8;
    if (!s || !s[0] || money_parse(s, strlen(s), 8, &v8) < 0) {
        errno = EINVAL;
        return -1;
    }
    return money_rescale(v8, 8, scale, MONEY_ROUND_HALF_EVEN, out);
}

int
bybit_apply_exec(bybit_t *self, const char *link_id, const char *exec_id, const char *px_s,
                 const char *qty_s, const char *value_s, const char *fee_s, bool maker,
                 int64_t exec_ms)
{
    assert(self);
    if (!link_id || !exec_id || !exec_id[0]) {
        errno = EINVAL;
        return -1;
    }
    order_t *o = orders_get(self->orders, link_id);
    if (!o) {
        errno = ENOENT;
        return -1;
    }
    int64_t px, qty, value, fee, realized = 0;
    if (s_parse(px_s, o->req.px_scale, &px) < 0 || s_parse(qty_s, o->req.qty_scale, &qty) < 0
        || s_parse(value_s, MONEY_VALUE_SCALE, &value) < 0
        || s_parse(fee_s, MONEY_VALUE_SCALE, &fee) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (orders_fill(self->orders, link_id, exec_id, px, qty, value, fee) < 0) {
        return errno == EALREADY ? 0 : -1;
    }
    if (account_fill(self->acct, o->req.venue, o->req.symbol, o->req.px_scale, o->req.qty_scale,
                     o->req.side, px, qty, fee, &realized)
        < 0) {
        log_error(S_MOD, "account: fill %s not booked: %s", exec_id, strerror(errno));
    }
    int64_t evt = exec_ms * CLOCK_NS_PER_MS;
    codec_exec_fill_t f;
    memset(&f, 0, sizeof f);
    snprintf(f.client_id, sizeof f.client_id, "%s", o->req.client_id);
    snprintf(f.order_id, sizeof f.order_id, "%s", o->order_id);
    snprintf(f.fill_id, sizeof f.fill_id, "%s", exec_id);
    snprintf(f.venue, sizeof f.venue, "%s", o->req.venue);
    snprintf(f.symbol, sizeof f.symbol, "%s", o->req.symbol);
    f.side = o->req.side;
    f.maker = maker;
    f.px_scale = o->req.px_scale;
    f.qty_scale = o->req.qty_scale;
    f.px = px;
    f.qty = qty;
    f.fee = fee;
    f.realized_pnl = realized;
    f.ts_event = evt;
    self->cfg.emit("exec.fill", CODEC_EXEC_FILL, &f, evt, o->origin, self->cfg.emit_arg);
    s_emit_order(self, o, evt);
    codec_exec_position_t p;
    if (account_position(self->acct, o->req.venue, o->req.symbol, evt, &p) == 0) {
        self->cfg.emit("exec.position", CODEC_EXEC_POSITION, &p, evt, o->origin,
                       self->cfg.emit_arg);
    }
    if (exec_ms > self->last_exec_ms) {
        self->last_exec_ms = exec_ms;
    }
    log_info(S_MOD, "fill %s of %s: qty %s px %s fee %s%s", exec_id, link_id, qty_s, px_s, fee_s,
             maker ? " maker" : "");
    return 1;
}

int
bybit_apply_status(bybit_t *self, const char *link_id, const char *status, const char *cum_s,
                   const char *order_id, const char *reason)
{
    assert(self);
    order_t *o = link_id ? orders_get(self->orders, link_id) : NULL;
    order_status_t st;
    int64_t cum = 0;
    if (!o) {
        errno = ENOENT;
        return -1;
    }
    if (order_status_parse(status, &st) < 0
        || (cum_s && s_parse(cum_s, o->req.qty_scale, &cum) < 0)) {
        errno = EINVAL;
        return -1;
    }
    if (order_id && order_id[0] && strcmp(o->order_id, order_id) != 0) {
        snprintf(o->order_id, sizeof o->order_id, "%s", order_id);
    }
    if (cum > o->cum_qty) {
        return 0; /* the venue has fills we have not applied yet: statuses wait for them */
    }
    if (cum < o->cum_qty && self->in_push) {
        return 0; /* a push older than the REST state we already applied (BYBIT_V5.md 3.6) */
    }
    if (cum < o->cum_qty) {
        char what[160];
        snprintf(what, sizeof what, "%s: venue cumExecQty %s below ours", link_id, cum_s);
        s_diff(self, what);
        return 0;
    }
    if (st == o->status || st == ORDER_FILLED || st == ORDER_PARTIALLY_FILLED) {
        return 0; /* fills drive these; already there */
    }
    if (st == ORDER_REJECTED) {
        if (order_reject(o, reason && reason[0] ? reason : "rejected by the venue") < 0) {
            return -1;
        }
    } else if (order_set_status(
                   o, st, reason && reason[0] && strcmp(reason, "EC_NoError") != 0 ? reason : NULL)
               < 0) {
        return -1;
    }
    s_emit_order(self, o, clock_wall_ns());
    log_info(S_MOD, "order %s is %s", link_id, status);
    return 1;
}

/* GET with a query; returns the result list (owned) or NULL (logged). */
static json_t *
s_get_list(bybit_t *self, const char *path, const char *query)
{
    rest_resp_t r;
    if (rest_call(self->rest, false, path, query, &r) < 0) {
        s_check_auth(self, &r);
        json_decref(r.result);
        return NULL;
    }
    json_t *list = json_incref(json_object_get(r.result, "list"));
    json_decref(r.result);
    return list;
}

static const char *
s_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* Look an order up on the venue by orderLinkId: realtime, then history. Owned or NULL. */
static json_t *
s_lookup(bybit_t *self, const char *link, bool *failed)
{
    char q[160];
    snprintf(q, sizeof q, "category=%s&orderLinkId=%s", self->category, link);
    *failed = false;
    const char *paths[] = { "/v5/order/realtime", "/v5/order/history" };
    for (int i = 0; i < 2; i++) {
        json_t *list = s_get_list(self, paths[i], q);
        if (!list) {
            *failed = true;
            return NULL;
        }
        json_t *o = json_incref(json_array_get(list, 0));
        json_decref(list);
        if (o) {
            return o;
        }
    }
    return NULL;
}

static void
s_apply_order_json(bybit_t *self, json_t *vo)
{
    const char *link = s_str(vo, "orderLinkId");
    const char *reason = s_str(vo, "rejectReason");
    if (bybit_apply_status(self, link, s_str(vo, "orderStatus"), s_str(vo, "cumExecQty"),
                           s_str(vo, "orderId"), reason)
            < 0
        && errno != ENOENT) {
        char what[160];
        snprintf(what, sizeof what, "%s: venue status %s not applicable: %s", link,
                 s_str(vo, "orderStatus"), strerror(errno));
        s_diff(self, what);
    }
}

/* Intents without an ack: ask the venue, never re-send. false if a query failed. */
static bool
s_resolve_intents(bybit_t *self)
{
    bool ok = true;
    for (size_t i = 0; i < journal_count(self->journal); i++) {
        const journal_rec_t *jr = journal_get(self->journal, i);
        if (jr->state != JOURNAL_INTENT) {
            continue;
        }
        order_t *o = orders_get(self->orders, jr->client_id);
        bool failed;
        json_t *vo = s_lookup(self, jr->client_id, &failed);
        if (failed) {
            ok = false;
            continue;
        }
        if (vo) {
            const char *oid = s_str(vo, "orderId");
            log_notice(S_MOD, "intent %s resolved: on the venue as %s (%s)", jr->client_id, oid,
                       s_str(vo, "orderStatus"));
            if (journal_ack(self->journal, jr->client_id, oid) < 0) {
                log_error(S_MOD, "journal: %s", strerror(errno));
            }
            if (o) {
                snprintf(o->order_id, sizeof o->order_id, "%s", oid);
            }
            json_decref(vo);
            continue;
        }
        uintptr_t n = (uintptr_t)zhashx_lookup(self->not_found, jr->client_id) + 1;
        zhashx_update(self->not_found, jr->client_id, (void *)n);
        if (n >= S_NOT_FOUND) {
            log_notice(S_MOD, "intent %s resolved: not on the venue, never placed", jr->client_id);
            if (o && o->status == ORDER_NEW && o->cum_qty == 0) {
                s_refuse(self, o, "not found on venue: never placed");
            } else if (journal_refuse(self->journal, jr->client_id, "not found on venue") < 0) {
                log_error(S_MOD, "journal: %s", strerror(errno));
            }
        } else {
            ok = false; /* ask again next poll before concluding */
        }
    }
    return ok;
}

static bool
s_fetch_execs(bybit_t *self)
{
    char q[128];
    snprintf(q, sizeof q, "category=%s&limit=100", self->category);
    json_t *list = s_get_list(self, "/v5/execution/list", q);
    if (!list) {
        return false;
    }
    for (size_t i = json_array_size(list); i-- > 0;) { /* newest first: apply oldest first */
        json_t *e = json_array_get(list, i);
        if (strcmp(s_str(e, "execType"), "Trade") != 0 && s_str(e, "execType")[0]) {
            continue; /* funding rows and the like are not order fills */
        }
        int rc = bybit_apply_exec(self, s_str(e, "orderLinkId"), s_str(e, "execId"),
                                  s_str(e, "execPrice"), s_str(e, "execQty"), s_str(e, "execValue"),
                                  s_str(e, "execFee"), json_is_true(json_object_get(e, "isMaker")),
                                  strtoll(s_str(e, "execTime"), NULL, 10));
        if (rc < 0 && errno == ENOENT) {
            char what[160];
            snprintf(what, sizeof what, "fill %s of order %s (link '%s') unknown to the executor",
                     s_str(e, "execId"), s_str(e, "orderId"), s_str(e, "orderLinkId"));
            log_limited(&self->diff_limit, LOG_WARN, S_MOD, what, NULL, 0);
        } else if (rc < 0) {
            char what[160];
            snprintf(what, sizeof what, "fill %s not applied: %s", s_str(e, "execId"),
                     strerror(errno));
            s_diff(self, what);
        }
    }
    json_decref(list);
    return true;
}

static bool
s_sync_orders(bybit_t *self)
{
    char q[128];
    bool ok = true;
    snprintf(q, sizeof q, "category=%s&settleCoin=USDT", self->category);
    json_t *open = s_get_list(self, "/v5/order/realtime", q);
    if (!open) {
        return false;
    }
    size_t i;
    json_t *vo;
    json_array_foreach(open, i, vo)
    {
        const char *link = s_str(vo, "orderLinkId");
        if (!orders_get(self->orders, link)) {
            char what[160];
            snprintf(what, sizeof what, "venue open order %s (link '%s') unknown to the executor",
                     s_str(vo, "orderId"), link);
            s_diff(self, what);
            continue;
        }
        s_apply_order_json(self, vo);
    }
    /* local open orders missing from the open set: fetch their terminal state */
    zlistx_t *unresolved = zlistx_new();
    for (size_t k = 0; unresolved && k < journal_count(self->journal); k++) {
        const journal_rec_t *jr = journal_get(self->journal, k);
        order_t *o = orders_get(self->orders, jr->client_id);
        if (jr->state != JOURNAL_ACKED || !o || !order_is_open(o)) {
            continue;
        }
        bool in_open = false;
        json_array_foreach(open, i, vo)
        {
            in_open = in_open || strcmp(s_str(vo, "orderLinkId"), jr->client_id) == 0;
        }
        if (!in_open) {
            zlistx_add_end(unresolved, (void *)jr->client_id);
        }
    }
    json_decref(open);
    for (const char *link = unresolved ? zlistx_first(unresolved) : NULL; link;
         link = zlistx_next(unresolved)) {
        bool failed;
        json_t *one = s_lookup(self, link, &failed);
        if (one) {
            s_apply_order_json(self, one);
            json_decref(one);
        } else if (failed) {
            ok = false;
        } else {
            char what[160];
            snprintf(what, sizeof what, "acknowledged order %s not found on the venue", link);
            s_diff(self, what);
        }
    }
    zlistx_destroy(&unresolved);
    return ok;
}

static bool
s_positions_wallet(bybit_t *self)
{
    char q[128];
    snprintf(q, sizeof q, "category=%s&settleCoin=USDT", self->category);
    json_t *list = s_get_list(self, "/v5/position/list", q);
    if (!list) {
        return false;
    }
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        const char *sym = s_str(p, "symbol");
        codec_exec_position_t lp;
        bool have = account_position(self->acct, self->venue_name, sym, clock_wall_ns(), &lp) == 0;
        int64_t size;
        if (!have) {
            char what[160];
            snprintf(what, sizeof what, "venue position %s %s %s not in the executor's fills", sym,
                     s_str(p, "side"), s_str(p, "size"));
            s_diff(self, what);
            continue;
        }
        if (s_parse(s_str(p, "size"), lp.qty_scale, &size) == 0) {
            if (strcmp(s_str(p, "side"), "Sell") == 0) {
                size = -size;
            }
            if (size != lp.qty) {
                /* a fill may land between our execution and position queries: a mismatch
                 * counts only when the next poll sees the very same one */
                char what[160];
                snprintf(what, sizeof what, "position %s: venue %lld, executor %lld (qty scale %d)",
                         sym, (long long)size, (long long)lp.qty, lp.qty_scale);
                if (zhashx_lookup(self->suspect, what)) {
                    s_diff(self, what);
                }
                (void)zhashx_insert(self->suspect_next, what, (void *)1);
            }
        }
        int64_t mark;
        if (s_parse(s_str(p, "markPrice"), lp.px_scale, &mark) == 0 && mark > 0) {
            (void)account_mark(self->acct, self->venue_name, sym, mark);
        }
    }
    json_decref(list);
    zhashx_purge(self->suspect);
    zhashx_t *tmp = self->suspect;
    self->suspect = self->suspect_next;
    self->suspect_next = tmp;
    json_t *w = s_get_list(self, "/v5/account/wallet-balance", "accountType=UNIFIED");
    if (!w) {
        return false;
    }
    json_t *a = json_array_get(w, 0);
    codec_exec_balance_t b;
    memset(&b, 0, sizeof b);
    snprintf(b.venue, sizeof b.venue, "%s", self->venue_name);
    snprintf(b.asset, sizeof b.asset, "%s", self->cfg.asset ? self->cfg.asset : "USDT");
    if (s_parse(s_str(a, "totalWalletBalance"), MONEY_VALUE_SCALE, &b.wallet) == 0
        && s_parse(s_str(a, "totalAvailableBalance"), MONEY_VALUE_SCALE, &b.available) == 0
        && s_parse(s_str(a, "totalEquity"), MONEY_VALUE_SCALE, &b.equity) == 0) {
        b.fees = account_fees(self->acct);
        self->equity = b.equity;
        b.ts_event = clock_wall_ns();
        self->cfg.emit("exec.balance", CODEC_EXEC_BALANCE, &b, b.ts_event, 0, self->cfg.emit_arg);
    }
    json_decref(w);
    return true;
}

/* Trading rules from GET /v5/market/instruments-info (a restarted executor gets no
 * md.instrument until the feed reconnects). Symbols already known are kept. */
static bool
s_load_rules(bybit_t *self)
{
    char q[64];
    snprintf(q, sizeof q, "category=%s&limit=1000", self->category);
    json_t *list = s_get_list(self, "/v5/market/instruments-info", q);
    if (!list) {
        return false;
    }
    size_t i, n = 0;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        json_t *lot = json_object_get(e, "lotSizeFilter");
        instr_t in;
        const char *sym = s_str(e, "symbol");
        if (!self->cfg.instr || instr_table_get(self->cfg.instr, self->venue_name, sym)) {
            continue;
        }
        const char *minn = s_str(lot, "minNotionalValue");
        if (instr_from_strings(&in, self->venue_name, self->category, sym,
                               s_str(json_object_get(e, "priceFilter"), "tickSize"),
                               s_str(lot, "qtyStep"), s_str(lot, "minOrderQty"),
                               minn[0] ? minn : "0")
                == 0
            && instr_table_put(self->cfg.instr, &in) == 0) {
            n++;
        }
    }
    json_decref(list);
    log_info(S_MOD, "%zu instrument rules loaded from instruments-info", n);
    return true;
}

static void
s_poll(void *impl)
{
    bybit_t *self = impl;
    int64_t now = clock_wall_ns() / CLOCK_NS_PER_MS;
    self->polls++;
    if (self->state == S_HALTED) {
        return;
    }
    if (self->last_sync_ms == 0 || now - self->last_sync_ms > S_SYNC_TIME_MS) {
        if (rest_sync_time(self->rest) < 0) {
            log_limited(&self->poll_limit, LOG_WARN, S_MOD, "venue time unreachable", NULL, 0);
            s_set_state(self, S_RECONCILING, "venue unreachable");
            return;
        }
        self->last_sync_ms = now;
        int64_t off = rest_offset_ms(self->rest);
        if (off > self->cfg.max_offset_ms || -off > self->cfg.max_offset_ms) {
            char why[CODEC_TEXT_MAX];
            snprintf(why, sizeof why, "clock offset %lld ms beyond %lld ms", (long long)off,
                     (long long)self->cfg.max_offset_ms);
            s_set_state(self, S_HALTED, why);
            return;
        }
    }
    if (!self->have_rules) {
        self->have_rules = s_load_rules(self);
    }
    bool ok = s_resolve_intents(self);
    ok = s_fetch_execs(self) && ok;
    ok = s_sync_orders(self) && ok;
    ok = s_positions_wallet(self) && ok;
    if (ok) {
        if (self->state == S_RECONCILING) {
            log_notice(S_MOD, "reconciliation done: %llu differences so far",
                       (unsigned long long)self->diffs);
        }
        self->doubt = false;
        if (self->ws && !self->ws_authed) {
            s_set_state(self, S_RECONCILING, "private ws not authenticated yet");
        } else {
            s_set_state(self, S_RUNNING, NULL);
        }
    } else {
        s_set_state(self, S_RECONCILING, "venue queries failing");
    }
}

/* POST body with category/symbol/orderLinkId plus extra members; answer into reply. */
static void
s_post_reply(bybit_t *self, const char *path, json_t *body, json_t *reply)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    rest_resp_t r;
    memset(&r, 0, sizeof r);
    int rc = text ? rest_call(self->rest, true, path, text, &r) : -1;
    free(text);
    json_object_set_new(reply, "ok", json_boolean(rc == 0));
    json_object_set_new(reply, "retCode", json_integer(r.ret_code));
    json_object_set_new(reply, "retMsg", json_string(rc == 0 ? "OK" : r.ret_msg));
    if (rc < 0) {
        json_object_set_new(
            reply, "error",
            json_string(r.ret_code > 0 ? rest_code_text(r.ret_code) : strerror(errno)));
    } else if (r.result) {
        json_object_set(reply, "result", r.result);
    }
    json_decref(r.result);
    log_info(S_MOD, "%s: %s", path, rc == 0 ? "OK" : r.ret_msg);
}

static int
s_control(void *impl, const char *cmd, json_t *reply)
{
    bybit_t *self = impl;
    char word[32] = "", a1[64] = "", a2[40] = "", a3[40] = "";
    int n = sscanf(cmd, "%31s %63s %39s %39s", word, a1, a2, a3);
    if (strcmp(word, "reconcile") == 0) {
        s_set_state(self, S_RECONCILING, "operator asked");
        s_poll(self);
        json_object_set_new(reply, "ok", json_true());
        json_object_set_new(reply, "venue_state", json_string(k_state[self->state]));
        return 0;
    }
    if (strcmp(word, "cancel-all") == 0 && n >= 2) {
        s_post_reply(self, "/v5/order/cancel-all",
                     json_pack("{s:s, s:s}", "category", self->category, "symbol", a1), reply);
        return 0;
    }
    if (strcmp(word, "tpsl") == 0 && n >= 4) {
        /* position TP/SL (BYBIT_V5.md 2.9): "tpsl SYMBOL TP|- SL|-", "0" removes one */
        json_t *body = json_pack("{s:s, s:s, s:s, s:i}", "category", self->category, "symbol", a1,
                                 "tpslMode", "Full", "positionIdx", 0);
        if (strcmp(a2, "-") != 0) {
            json_object_set_new(body, "takeProfit", json_string(a2));
        }
        if (strcmp(a3, "-") != 0) {
            json_object_set_new(body, "stopLoss", json_string(a3));
        }
        s_post_reply(self, "/v5/position/trading-stop", body, reply);
        return 0;
    }
    if (strcmp(word, "cancel") != 0 && strcmp(word, "amend") != 0) {
        return -1;
    }
    const order_t *o = n >= 2 ? orders_get(self->orders, a1) : NULL;
    if (!o) {
        json_object_set_new(reply, "ok", json_false());
        json_object_set_new(reply, "error", json_string("unknown client id"));
        return 0;
    }
    json_t *body = json_pack("{s:s, s:s, s:s}", "category", self->category, "symbol", o->req.symbol,
                             "orderLinkId", o->req.client_id);
    if (strcmp(word, "cancel") == 0) {
        s_post_reply(self, "/v5/order/cancel", body, reply);
        return 0;
    }
    int64_t v;
    if (n >= 3 && strcmp(a2, "-") != 0) {
        if (money_parse(a2, strlen(a2), o->req.qty_scale, &v) < 0 || v <= 0) {
            json_decref(body);
            json_object_set_new(reply, "ok", json_false());
            json_object_set_new(reply, "error", json_string("qty not at the order's qty scale"));
            return 0;
        }
        json_object_set_new(body, "qty", json_string(a2));
    }
    if (n >= 4 && strcmp(a3, "-") != 0) {
        if (money_parse(a3, strlen(a3), o->req.px_scale, &v) < 0 || v <= 0) {
            json_decref(body);
            json_object_set_new(reply, "ok", json_false());
            json_object_set_new(reply, "error", json_string("price not at the order's px scale"));
            return 0;
        }
        json_object_set_new(body, "price", json_string(a3));
    }
    s_post_reply(self, "/v5/order/amend", body, reply);
    return 0;
}

static const char *
s_op_state(void *impl)
{
    return bybit_state(impl);
}

/* ---- private WebSocket ------------------------------------------------------------------ */

static void
s_ws_open(conn_t *c, void *arg)
{
    bybit_t *self = arg;
    char auth[512];
    self->ws_authed = false;
    /* expires 10 s ahead on the venue clock (ccxt does the same) */
    if (rest_ws_auth(self->rest, rest_now_ms(self->rest) + 10000, auth, sizeof auth) < 0
        || conn_send(c, auth, strlen(auth)) < 0) {
        log_warn(S_MOD, "private ws: cannot send auth: %s", strerror(errno));
        conn_drop(c, "auth not sent");
    }
    OPENSSL_cleanse(auth, sizeof auth);
}

static void
s_ws_close(conn_t *c, const char *reason, void *arg)
{
    (void)c;
    bybit_t *self = arg;
    self->ws_authed = false;
    self->ws_reconnects++;
    /* doubt: what happened while we were deaf is fetched over REST before "running" */
    s_set_state(self, S_RECONCILING, "private ws down");
    log_warn(S_MOD, "private ws closed (%s): reconcile over REST after the reconnect", reason);
}

static void
s_ws_frame(conn_t *c, const char *text, size_t len, int64_t recv_ns, void *arg)
{
    (void)recv_ns;
    bybit_t *self = arg;
    json_t *root = json_loadb(text, len, 0, NULL);
    const char *op = s_str(root, "op"), *topic = s_str(root, "topic");
    self->ws_msgs++;
    if (!root) {
        log_limited(&self->ws_limit, LOG_WARN, S_MOD, "private ws: message is not JSON", text, len);
    } else if (strcmp(op, "auth") == 0) {
        if (json_is_true(json_object_get(root, "success"))) {
            self->ws_authed = true;
            const char *sub = "{\"req_id\":\"sub\",\"op\":\"subscribe\",\"args\":"
                              "[\"order\",\"execution\",\"position\",\"wallet\"]}";
            if (conn_send(c, sub, strlen(sub)) < 0) {
                conn_drop(c, "subscribe not sent");
            }
            log_notice(S_MOD, "private ws authenticated; reconciling over REST before trusting it");
            /* after any (re)connect: reconcile over REST first (BYBIT_V5.md 3, recovery) */
            s_set_state(self, S_RECONCILING, "private ws (re)connected");
            s_poll(self);
        } else {
            log_error(S_MOD, "private ws auth refused: %s", s_str(root, "ret_msg"));
            conn_drop(c, "auth refused");
        }
    } else if (strcmp(topic, "execution") == 0) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(root, "data"), i, e)
        {
            int rc =
                bybit_apply_exec(self, s_str(e, "orderLinkId"), s_str(e, "execId"),
                                 s_str(e, "execPrice"), s_str(e, "execQty"), s_str(e, "execValue"),
                                 s_str(e, "execFee"), json_is_true(json_object_get(e, "isMaker")),
                                 strtoll(s_str(e, "execTime"), NULL, 10));
            self->ws_fills += rc == 1;
        }
    } else if (strcmp(topic, "order") == 0) {
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(root, "data"), i, o)
        {
            /* idempotent: statuses wait for their fills, so pushes may come in any order
             * relative to the REST reconciliation */
            if (orders_get(self->orders, s_str(o, "orderLinkId"))) {
                self->in_push = true;
                s_apply_order_json(self, o);
                self->in_push = false;
            }
        }
    }
    /* position / wallet pushes: the REST poll publishes positions and balance (the wallet
     * topic sends no snapshot on subscribe, BYBIT_V5.md 3) */
    json_decref(root);
}

static int
s_ws_start(bybit_t *self)
{
    const char *url = self->cfg.ws_url;
    if (!url || !url[0] || !self->cfg.loop) {
        return 0;
    }
    self->wsctx = conn_ctx_new((zloop_t *)self->cfg.loop);
    conn_handler_t h = {
        .open = s_ws_open, .frame = s_ws_frame, .close = s_ws_close, .tick = NULL, .arg = self
    };
    /* private heartbeat: {"op":"ping"} every 20 s (BYBIT_V5.md 1.3); silent 60 s -> drop */
    self->ws = self->wsctx
                   ? conn_new(self->wsctx, "bybit-private", url, 20, "{\"op\":\"ping\"}", &h)
                   : NULL;
    if (!self->ws) {
        return -1;
    }
    conn_set_silent(self->ws, 60000);
    conn_start(self->ws);
    log_info(S_MOD, "private ws %s", url);
    return 0;
}

/* ---- lifetime --------------------------------------------------------------------------- */

bybit_t *
bybit_new(const venue_cfg_t *cfg)
{
    if (!cfg || !cfg->orders || !cfg->emit || !cfg->base_url || !cfg->api_key || !cfg->api_secret
        || !cfg->journal_path || cfg->max_offset_ms <= 0) {
        errno = EINVAL;
        return NULL;
    }
    bybit_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->cfg = *cfg;
    snprintf(self->category, sizeof self->category, "%s", cfg->category ? cfg->category : "linear");
    snprintf(self->venue_name, sizeof self->venue_name, "bybit-%.9s", self->category);
    self->orders = cfg->orders;
    self->rest = rest_new(cfg->base_url, cfg->api_key, cfg->api_secret,
                          cfg->recv_window_ms > 0 ? cfg->recv_window_ms : 5000,
                          cfg->timeout_ms > 0 ? cfg->timeout_ms : 5000);
    self->cfg.api_key = self->cfg.api_secret = NULL; /* copies live in rest_t only */
    self->journal = self->rest ? journal_open(cfg->journal_path) : NULL;
    self->acct = account_new(cfg->asset ? cfg->asset : "USDT", cfg->start_balance);
    self->not_found = zhashx_new();
    self->reported = zhashx_new();
    self->suspect = zhashx_new();
    self->suspect_next = zhashx_new();
    if (!self->rest || !self->journal || !self->acct || !self->not_found || !self->reported
        || !self->suspect || !self->suspect_next) {
        int e = errno ? errno : ENOMEM;
        bybit_destroy(&self);
        errno = e;
        return NULL;
    }
    self->state = S_RECONCILING;
    snprintf(self->why, sizeof self->why, "start");
    if (s_ws_start(self) < 0) {
        int e = errno ? errno : ENOMEM;
        bybit_destroy(&self);
        errno = e;
        return NULL;
    }
    log_info(S_MOD, "live venue on %s (%s), journal %s with %zu records", cfg->base_url,
             self->category, cfg->journal_path, journal_count(self->journal));
    return self;
}

void
bybit_destroy(bybit_t **self_p)
{
    assert(self_p);
    bybit_t *self = *self_p;
    if (!self) {
        return;
    }
    conn_ctx_destroy(&self->wsctx); /* closes the connection first (conn.h) */
    conn_destroy(&self->ws);
    rest_destroy(&self->rest);
    journal_close(&self->journal);
    account_destroy(&self->acct);
    zhashx_destroy(&self->not_found);
    zhashx_destroy(&self->reported);
    zhashx_destroy(&self->suspect);
    zhashx_destroy(&self->suspect_next);
    free(self);
    *self_p = NULL;
}

size_t
bybit_restore(bybit_t *self)
{
    assert(self);
    size_t n = 0;
    for (size_t i = 0; i < journal_count(self->journal); i++) {
        const journal_rec_t *jr = journal_get(self->journal, i);
        codec_env_t env;
        codec_risk_order_t r;
        if (jr->req_len == 0 || codec_decode(jr->req, jr->req_len, CODEC_RISK_ORDER, &env, &r) < 0
            || orders_get(self->orders, jr->client_id)) {
            continue;
        }
        order_t *o = orders_add(self->orders, &r, self->category, false, env.origin, "bybit");
        if (!o) {
            continue;
        }
        o->sent = true; /* never handed to the venue again */
        if (jr->state == JOURNAL_ACKED) {
            snprintf(o->order_id, sizeof o->order_id, "%.47s", jr->order_id);
        } else if (jr->state == JOURNAL_REFUSED) {
            (void)order_reject(o, jr->reason);
        }
        n++;
    }
    if (n > 0) {
        log_notice(S_MOD, "restored %zu orders from the journal", n);
    }
    return n;
}

/* ---- venue_ops adapters ----------------------------------------------------------------- */

static void
s_on_book(void *impl, const codec_md_book_t *b, int64_t origin)
{
    (void)impl;
    (void)b;
    (void)origin; /* the venue matches; marks come from its positions */
}

static void
s_on_trade(void *impl, const codec_md_trade_t *t, int64_t origin)
{
    (void)impl;
    (void)t;
    (void)origin;
}

static void
s_on_kline(void *impl, const codec_md_kline_t *k, int64_t origin)
{
    (void)impl;
    (void)k;
    (void)origin;
}

static void
s_on_barrier(void *impl, const codec_sys_barrier_t *b)
{
    (void)impl;
    (void)b;
}

static void
s_status(void *impl, json_t *out)
{
    bybit_t *self = impl;
    (void)json_object_set_new(out, "venue_state", json_string(k_state[self->state]));
    (void)json_object_set_new(out, "venue_state_reason", json_string(self->why));
    (void)json_object_set_new(out, "clock_offset_ms",
                              json_integer((json_int_t)rest_offset_ms(self->rest)));
    (void)json_object_set_new(out, "rest_calls", json_integer((json_int_t)rest_calls(self->rest)));
    (void)json_object_set_new(out, "rate_limited",
                              json_integer((json_int_t)rest_rate_limited(self->rest)));
    (void)json_object_set_new(out, "reconcile_diffs", json_integer((json_int_t)self->diffs));
    (void)json_object_set_new(out, "ws_up", json_boolean(self->ws && conn_up(self->ws)));
    (void)json_object_set_new(out, "ws_authed", json_boolean(self->ws_authed));
    (void)json_object_set_new(out, "ws_msgs", json_integer((json_int_t)self->ws_msgs));
    (void)json_object_set_new(out, "ws_fills", json_integer((json_int_t)self->ws_fills));
    (void)json_object_set_new(out, "ws_reconnects", json_integer((json_int_t)self->ws_reconnects));
    (void)json_object_set_new(out, "unknown_outcomes",
                              json_integer((json_int_t)self->unknown_outcomes));
    (void)json_object_set_new(out, "positions",
                              json_integer((json_int_t)account_open_positions(self->acct)));
    char eq[40];
    if (self->equity > 0 && money_fmt(self->equity, MONEY_VALUE_SCALE, eq, sizeof eq) >= 0) {
        (void)json_object_set_new(out, "equity", json_string(eq)); /* as paper (risk reads it) */
    }
}

static void
s_destroy(void **impl_p)
{
    bybit_destroy((bybit_t **)impl_p);
}

static const venue_ops_t k_ops = {
    .name = "bybit",
    .place = s_place,
    .on_book = s_on_book,
    .on_trade = s_on_trade,
    .on_kline = s_on_kline,
    .on_barrier = s_on_barrier,
    .status = s_status,
    .destroy = s_destroy,
    .poll = s_poll,
    .state = s_op_state,
    .control = s_control,
};

const venue_ops_t *
bybit_ops(void)
{
    return &k_ops;
}
