/*  exec.c - the executor's intake (contract: exec.h).
 *  Owns:  instr_table_t, the answer table (czmq zhashx: client_id -> malloc'd encoded ack),
 *         orders_t, the venue, one encode buffer for answers that are not stored.
 *  Why refused requests are pushed into the step too: their exec.order "Rejected" is then
 *  published in step order like everything else, so a replay writes identical streams.
 */
#include "executor/exec.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "common/log.h"
#include "executor/bybit.h"

#define S_MOD "exec"

typedef struct {
    bool move_stop; /* an accepted stop move (venue.h VENUE_MOVE_STOP) not delivered yet */
    size_t len;
    uint8_t bytes[]; /* encoded envelope + CODEC_ORDER_ACK */
} s_answer_t;

struct exec {
    char instance[CODEC_SRC_MAX];
    int64_t epoch;
    uint64_t ack_seq; /* envelope seq of the answers, from 1 */
    instr_table_t *instr;
    zhashx_t *answers; /* client_id -> s_answer_t* (owned) */
    orders_t *orders;
    venue_t venue;
    venue_emit_fn *emit;
    void *emit_arg;
    int64_t md_time;           /* latest md event time received, ns */
    paper_rules_t paper_rules; /* in force on the paper venue (shown in status) */
    exec_counts_t counts;
    log_limit_t bad_req, bad_md, place_fail;
    uint8_t buf[CODEC_MSG_MAX]; /* answers that are not stored (malformed requests) */
};

static void
s_answer_free(void **item_p)
{
    free(*item_p);
    *item_p = NULL;
}

exec_t *
exec_new(const exec_cfg_t *cfg, venue_emit_fn *emit, void *emit_arg)
{
    if (!cfg || !cfg->instance || !emit || strlen(cfg->instance) >= CODEC_SRC_MAX) {
        errno = EINVAL;
        return NULL;
    }
    exec_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf(self->instance, sizeof self->instance, "%s", cfg->instance);
    self->epoch = cfg->epoch_ns;
    self->emit = emit;
    self->emit_arg = emit_arg;
    self->instr = instr_table_new();
    self->answers = zhashx_new();
    self->orders = orders_new();
    if (!self->instr || !self->answers || !self->orders) {
        errno = ENOMEM;
        goto fail;
    }
    zhashx_set_destructor(self->answers, s_answer_free);
    venue_cfg_t vc = cfg->venue;
    vc.orders = self->orders;
    vc.emit = emit;
    vc.emit_arg = emit_arg;
    vc.instr = self->instr;
    vc.md_time = &self->md_time;
    if (venue_open(&self->venue, &vc) < 0) {
        goto fail;
    }
    if (strcmp(vc.name, "paper") == 0 && paper_set_rules(self->venue.impl, &cfg->paper) < 0) {
        int e = errno;
        venue_close(&self->venue);
        errno = e;
        goto fail;
    }
    self->paper_rules = cfg->paper;
    if (strcmp(vc.name, "bybit") == 0) {
        /* orders journaled by an earlier run: a repeated request is answered from them */
        (void)bybit_restore(self->venue.impl);
    }
    return self;
fail:;
    int e = errno;
    instr_table_destroy(&self->instr);
    zhashx_destroy(&self->answers);
    orders_destroy(&self->orders);
    free(self);
    errno = e;
    return NULL;
}

void
exec_destroy(exec_t **self_p)
{
    assert(self_p);
    exec_t *self = *self_p;
    if (!self) {
        return;
    }
    venue_close(&self->venue);
    orders_destroy(&self->orders);
    zhashx_destroy(&self->answers);
    instr_table_destroy(&self->instr);
    free(self);
    *self_p = NULL;
}

int
exec_put_instrument(exec_t *self, const instr_t *in)
{
    assert(self && in);
    if (in->tick < 1 || in->step < 1 || in->px_scale < 0 || in->qty_scale < 0 || in->min_qty < 0) {
        errno = EINVAL;
        return -1;
    }
    return instr_table_put(self->instr, in);
}

static bool
s_is_md(codec_type_t t)
{
    return t == CODEC_MD_BOOK || t == CODEC_MD_TRADE || t == CODEC_MD_TICKER || t == CODEC_MD_KLINE
           || t == CODEC_MD_STATUS || t == CODEC_MD_INSTRUMENT;
}

static void
s_bad_md(exec_t *self, const bus_msg_t *msg)
{
    self->counts.bad++;
    log_limited(&self->bad_md, LOG_WARN, S_MOD, "malformed md body skipped", msg->topic,
                strlen(msg->topic));
}

void
exec_observe(exec_t *self, const bus_msg_t *msg)
{
    exec_observe_body(self, msg, NULL);
}

void
exec_observe_body(exec_t *self, const bus_msg_t *msg, const codec_body_t *given)
{
    assert(self && msg);
    if (!s_is_md(msg->type)) {
        return;
    }
    if (msg->env.evt > self->md_time) {
        self->md_time = msg->env.evt;
    }
    if (msg->type != CODEC_MD_INSTRUMENT) {
        return;
    }
    codec_md_instrument_t mi;
    if (given) {
        mi = given->instrument;
    } else if (codec_decode(msg->data, msg->len, CODEC_MD_INSTRUMENT, NULL, &mi) < 0) {
        s_bad_md(self, msg);
        return;
    }
    instr_t in;
    memset(&in, 0, sizeof in);
    snprintf(in.venue, sizeof in.venue, "%s", mi.venue);
    snprintf(in.category, sizeof in.category, "%s", mi.category);
    snprintf(in.symbol, sizeof in.symbol, "%s", mi.symbol);
    in.px_scale = mi.px_scale;
    in.qty_scale = mi.qty_scale;
    in.tick = mi.tick;
    in.step = mi.step;
    in.min_qty = mi.min_qty;
    in.min_notional = mi.min_notional;
    if (exec_put_instrument(self, &in) < 0) {
        s_bad_md(self, msg);
    }
}

/* Why `r` must be refused, or NULL if it is acceptable. */
static const char *
s_validate(const exec_t *self, const codec_risk_order_t *r, const instr_t **in_out)
{
    if (strlen(r->client_id) > EXEC_CLIENT_ID_MAX) {
        return "client_id too long";
    }
    if (r->side != 1 && r->side != -1) {
        return "bad side";
    }
    if (r->type != CODEC_ORD_MARKET && r->type != CODEC_ORD_LIMIT) {
        return "bad order type";
    }
    const instr_t *in = instr_table_get(self->instr, r->venue, r->symbol);
    if (!in) {
        return "unknown instrument";
    }
    *in_out = in;
    if (r->px_scale != in->px_scale || r->qty_scale != in->qty_scale) {
        return "scale mismatch";
    }
    if (r->qty <= 0) {
        return "qty must be > 0";
    }
    if (r->qty % in->step != 0) {
        return "qty not on step";
    }
    if (r->qty < in->min_qty) {
        return "qty below min_qty";
    }
    if (r->type == CODEC_ORD_LIMIT && (r->px <= 0 || r->px % in->tick != 0)) {
        return "price not on tick";
    }
    if (r->tif[0] && strcmp(r->tif, "GTC") != 0 && strcmp(r->tif, "IOC") != 0
        && strcmp(r->tif, "FOK") != 0 && strcmp(r->tif, "PostOnly") != 0) {
        return "bad time in force (GTC, IOC, FOK, PostOnly)";
    }
    if (r->trigger_dir < 0 || r->trigger_dir > 2 || (r->trigger_px != 0) != (r->trigger_dir != 0)) {
        return "bad trigger (price > 0 with direction 1 rise or 2 fall, or neither)";
    }
    if (r->trigger_px != 0 && (r->trigger_px < 0 || r->trigger_px % in->tick != 0)) {
        return "trigger price not on tick";
    }
    /* ts_event + ttl_ns < md_time, written so that it cannot overflow */
    if (r->ttl_ns > 0 && self->md_time - r->ttl_ns > r->ts_event) {
        return "expired";
    }
    return NULL;
}

/* A stop move (intent VENUE_MOVE_STOP): reason it is refused, or NULL. Quantity rules do not
 * apply (nothing is traded); the new stop must be on the tick. */
static const char *
s_validate_move(const exec_t *self, const codec_risk_order_t *r)
{
    if (strlen(r->client_id) > EXEC_CLIENT_ID_MAX) {
        return "client_id too long";
    }
    if (r->side != 1 && r->side != -1) {
        return "bad side";
    }
    const instr_t *in = instr_table_get(self->instr, r->venue, r->symbol);
    if (!in) {
        return "unknown instrument";
    }
    if (r->px_scale != in->px_scale || r->qty_scale != in->qty_scale) {
        return "scale mismatch";
    }
    if (r->sl_px <= 0 || r->sl_px % in->tick != 0) {
        return "move_stop: stop price must be > 0 and on the tick";
    }
    if (!self->venue.ops->move_stop) {
        return "move_stop: the venue holds no stops";
    }
    return NULL;
}

/* Encode an answer into buf. 0 or -1/ENOBUFS|EINVAL. */
static int
s_encode_ack(exec_t *self, const codec_env_t *req_env, const char *client_id, const char *reason,
             int64_t now_ns, uint8_t *buf, size_t cap, size_t *len)
{
    codec_order_ack_t ack;
    memset(&ack, 0, sizeof ack);
    snprintf(ack.client_id, sizeof ack.client_id, "%s", client_id);
    ack.accepted = reason == NULL;
    snprintf(ack.status, sizeof ack.status, "%s", reason ? "Rejected" : "New");
    snprintf(ack.reason, sizeof ack.reason, "%s", reason ? reason : "");
    codec_env_t env;
    memset(&env, 0, sizeof env);
    env.v = CODEC_VERSION;
    snprintf(env.src, sizeof env.src, "%s", self->instance);
    env.epoch = self->epoch;
    env.seq = ++self->ack_seq;
    env.ts = now_ns;
    env.origin = req_env ? req_env->origin : 0;
    env.evt = req_env ? req_env->evt : 0;
    return codec_encode(&env, CODEC_ORDER_ACK, &ack, buf, cap, len);
}

/* An accepted request (an order, or a stop move): the ack `a` as the reply, and the request
 * pushed into the executor's step as risk's risk.order (exec_request). Returns 1. */
static int
s_accepted(codec_env_t env, const uint8_t *req, size_t len, const s_answer_t *a,
           const uint8_t **reply, size_t *reply_len, bus_msg_t *push)
{
    memset(push, 0, sizeof *push);
    snprintf(push->topic, sizeof push->topic, "risk.order");
    push->type = CODEC_RISK_ORDER;
    push->env = env;
    push->data = req;
    push->len = len;
    *reply = a->bytes;
    *reply_len = a->len;
    return 1;
}

int
exec_request(exec_t *self, const uint8_t *req, size_t len, int64_t now_ns, const uint8_t **reply,
             size_t *reply_len, bus_msg_t *push)
{
    assert(self && reply && reply_len && push);
    codec_env_t env;
    codec_risk_order_t r;
    size_t n;
    if (!req || codec_decode(req, len, CODEC_RISK_ORDER, &env, &r) < 0 || !r.client_id[0]) {
        bool malformed = !req || codec_decode_env(req, len, &env) < 0;
        self->counts.bad++;
        log_limited(&self->bad_req, LOG_WARN, S_MOD, "unusable order request refused",
                    (const char *)req, req ? len : 0);
        if (s_encode_ack(self, malformed ? NULL : &env, "",
                         malformed ? "malformed request" : "missing client_id", now_ns, self->buf,
                         sizeof self->buf, &n)
            < 0) {
            return -1;
        }
        *reply = self->buf;
        *reply_len = n;
        return 0;
    }
    s_answer_t *a = zhashx_lookup(self->answers, r.client_id);
    if (a) {
        self->counts.duplicates++;
        *reply = a->bytes;
        *reply_len = a->len;
        return 0;
    }
    const order_t *known = orders_get(self->orders, r.client_id);
    if (known) {
        /* restored from the journal of an earlier run (bybit.h): never placed again */
        self->counts.duplicates++;
        bool refused = known->status == ORDER_REJECTED;
        if (s_encode_ack(self, &env, r.client_id, refused ? known->reject_reason : NULL, now_ns,
                         self->buf, sizeof self->buf, &n)
            < 0) {
            return -1;
        }
        *reply = self->buf;
        *reply_len = n;
        return 0;
    }
    bool move = strcmp(r.intent, VENUE_MOVE_STOP) == 0;
    const instr_t *in = NULL;
    const char *why = move ? s_validate_move(self, &r) : s_validate(self, &r, &in);
    if (s_encode_ack(self, &env, r.client_id, why, now_ns, self->buf, sizeof self->buf, &n) < 0) {
        return -1;
    }
    a = malloc(sizeof *a + n);
    if (!a) {
        errno = ENOMEM;
        return -1;
    }
    a->len = n;
    a->move_stop = move && !why;
    memcpy(a->bytes, self->buf, n);
    if (move) {
        /* not an order: answered once (repeats get these bytes), applied in step order */
        if (zhashx_insert(self->answers, r.client_id, a) != 0) {
            free(a);
            errno = ENOMEM;
            return -1;
        }
        if (why) {
            self->counts.rejects++;
            log_warn(S_MOD, "stop move %s %s refused: %s", r.client_id, r.symbol, why);
            *reply = a->bytes;
            *reply_len = a->len;
            return 0;
        }
        self->counts.stop_moves++;
        return s_accepted(env, req, len, a, reply, reply_len, push);
    }
    order_t *o;
    if (why) {
        o = orders_reject(self->orders, &r, why, env.origin, self->venue.ops->name);
    } else {
        bool spot = strcmp(in->category, "spot") == 0;
        o = orders_add(self->orders, &r, in->category, spot, env.origin, self->venue.ops->name);
    }
    if (!o || zhashx_insert(self->answers, r.client_id, a) != 0) {
        /* both tables were checked for this id above: only ENOMEM is left */
        free(a);
        errno = ENOMEM;
        return -1;
    }
    if (why) {
        self->counts.rejects++;
    } else {
        self->counts.orders++;
    }
    return s_accepted(env, req, len, a, reply, reply_len, push);
}

static void
s_deliver_order(exec_t *self, const bus_msg_t *msg, const codec_risk_order_t *given)
{
    codec_risk_order_t r;
    if (given) {
        r = *given;
    } else if (codec_decode(msg->data, msg->len, CODEC_RISK_ORDER, NULL, &r) < 0) {
        s_bad_md(self, msg);
        return;
    }
    if (strcmp(r.intent, VENUE_MOVE_STOP) == 0) {
        s_answer_t *a = zhashx_lookup(self->answers, r.client_id);
        if (!a || !a->move_stop) {
            return; /* not accepted by us, or already applied */
        }
        a->move_stop = false;
        if (self->venue.ops->move_stop(self->venue.impl, &r, msg->env.origin) < 0) {
            char what[128];
            snprintf(what, sizeof what, "stop move %s (%s) not applied: %s", r.client_id, r.symbol,
                     strerror(errno));
            log_limited(&self->place_fail, LOG_WARN, S_MOD, what, NULL, 0);
        }
        return;
    }
    order_t *o = orders_get(self->orders, r.client_id);
    if (!o || o->sent) {
        return; /* not answered by us (pushed by someone else), or already handled */
    }
    o->sent = true;
    if (o->status == ORDER_CANCELLED) {
        return; /* cancelled by an operator before it reached the venue: already published */
    }
    if (o->status == ORDER_REJECTED) {
        codec_exec_order_t x;
        order_to_exec(o, o->req.ts_event, &x);
        self->emit("exec.order", CODEC_EXEC_ORDER, &x, o->req.ts_event, o->origin, self->emit_arg);
        return;
    }
    const instr_t *in = instr_table_get(self->instr, r.venue, r.symbol);
    if (self->venue.ops->place(self->venue.impl, o, in) < 0) {
        char what[96];
        snprintf(what, sizeof what, "order %s not placed: %s", r.client_id, strerror(errno));
        log_limited(&self->place_fail, LOG_WARN, S_MOD, what, NULL, 0);
    }
}

void
exec_deliver(exec_t *self, const bus_msg_t *msg)
{
    exec_deliver_body(self, msg, NULL);
}

/* The md body of `msg` as member `member` of codec_body_t: `given`'s, else decoded from
 * msg->data into `local`. NULL if it does not decode (counted and logged). */
#define S_MD(member, TYPE)                                                                         \
    (given ? &given->member                                                                        \
     : codec_decode(msg->data, msg->len, TYPE, NULL, &local.member) < 0                            \
         ? (s_bad_md(self, msg), (const void *)NULL)                                               \
         : &local.member)

void
exec_deliver_body(exec_t *self, const bus_msg_t *msg, const codec_body_t *given)
{
    assert(self && msg);
    const venue_ops_t *ops = self->venue.ops;
    void *impl = self->venue.impl;
    codec_body_t local;
    switch (msg->type) {
    case CODEC_RISK_ORDER:
        s_deliver_order(self, msg, given ? &given->order : NULL);
        break;
    case CODEC_MD_BOOK: {
        const codec_md_book_t *b = S_MD(book, CODEC_MD_BOOK);
        if (b) {
            ops->on_book(impl, b, msg->env.origin);
        }
        break;
    }
    case CODEC_MD_TRADE: {
        const codec_md_trade_t *t = S_MD(trade, CODEC_MD_TRADE);
        if (t) {
            ops->on_trade(impl, t, msg->env.origin);
        }
        break;
    }
    case CODEC_MD_KLINE: {
        const codec_md_kline_t *k = S_MD(kline, CODEC_MD_KLINE);
        if (k) {
            ops->on_kline(impl, k, msg->env.origin);
        }
        break;
    }
    case CODEC_MD_TICKER: {
        if (!ops->on_ticker) {
            break; /* the live venue has its own mark */
        }
        const codec_md_ticker_t *t = S_MD(ticker, CODEC_MD_TICKER);
        if (t) {
            ops->on_ticker(impl, t, msg->env.origin);
        }
        break;
    }
    default:
        break; /* status, instrument (taken in exec_observe), others */
    }
}
#undef S_MD

void
exec_barrier(exec_t *self, const codec_sys_barrier_t *b)
{
    assert(self && b);
    self->venue.ops->on_barrier(self->venue.impl, b);
}

void
exec_status(exec_t *self, json_t *out)
{
    assert(self && out);
    /* json_object_set_new fails only on allocation failure; status is best effort */
    (void)json_object_set_new(out, "orders", json_integer((json_int_t)orders_count(self->orders)));
    (void)json_object_set_new(out, "open_orders",
                              json_integer((json_int_t)orders_open_count(self->orders)));
    (void)json_object_set_new(out, "fills",
                              json_integer((json_int_t)orders_fill_count(self->orders)));
    (void)json_object_set_new(out, "venue", json_string(self->venue.ops->name));
    (void)json_object_set_new(out, "stop_moves", json_integer((json_int_t)self->counts.stop_moves));
    if (strcmp(self->venue.ops->name, "paper") == 0) {
        (void)json_object_set_new(
            out, "paper_rules",
            json_pack("{s:s, s:I}", "trigger_by",
                      self->paper_rules.trigger_by == PAPER_TRIGGER_MARK ? "mark" : "last",
                      "latency_ms", (json_int_t)(self->paper_rules.latency_ns / 1000000)));
    }
    self->venue.ops->status(self->venue.impl, out);
}

int
exec_set_paper_rules(exec_t *self, const paper_rules_t *rules)
{
    assert(self && rules);
    if (strcmp(self->venue.ops->name, "paper") != 0) {
        return 0; /* read for every venue, used by the paper venue only */
    }
    if (paper_set_rules(self->venue.impl, rules) < 0) {
        return -1; /* EINVAL: nothing changed */
    }
    self->paper_rules = *rules;
    return 0;
}

const exec_counts_t *
exec_counts(const exec_t *self)
{
    assert(self);
    return &self->counts;
}

orders_t *
exec_orders(exec_t *self)
{
    assert(self);
    return self->orders;
}

const venue_t *
exec_venue(const exec_t *self)
{
    assert(self);
    return &self->venue;
}

int64_t
exec_md_time(const exec_t *self)
{
    assert(self);
    return self->md_time;
}

void
exec_poll(exec_t *self)
{
    assert(self);
    if (self->venue.ops->poll) {
        self->venue.ops->poll(self->venue.impl);
    }
}

const char *
exec_venue_state(const exec_t *self)
{
    assert(self);
    return self->venue.ops->state ? self->venue.ops->state(self->venue.impl) : "running";
}

int
exec_control(exec_t *self, const char *cmd, json_t *reply)
{
    assert(self && cmd && reply);
    if (!self->venue.ops->control) {
        return -1;
    }
    return self->venue.ops->control(self->venue.impl, cmd, reply);
}
