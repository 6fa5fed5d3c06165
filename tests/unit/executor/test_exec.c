/*  test_exec.c - the executor's intake (executor/exec.h) and its REP socket (executor/rep.h):
 *  validation reasons, one answer per client id, step delivery to the paper venue, and the
 *  REP path over a real ipc:// socket in /tmp.
 *  Instruments (as md.instrument would carry them):
 *    bybit-linear BTCUSDT   px_scale 2, tick 10 (0.10); qty_scale 3, step 1 (0.001),
 *                           min_qty 5 (0.005)
 *    bybit-linear 10000NEXUSDT px_scale 5, tick 1; qty_scale 0, step 10, min_qty 10
 *                           (Bybit instruments-info: qtyStep "10", minOrderQty "10")
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/step.h"
#include "executor/exec.h"
#include "executor/rep.h"

#define SEC 1000000000LL

typedef struct {
    char topic[32];
    codec_type_t type;
    codec_body_t body;
    int64_t evt, origin;
} rec_t;

static rec_t g_rec[256];
static size_t g_n;

static void
s_emit(const char *topic, codec_type_t type, const void *body, int64_t evt, int64_t origin,
       void *arg)
{
    (void)arg;
    assert_true(g_n < sizeof g_rec / sizeof g_rec[0]);
    rec_t *r = &g_rec[g_n++];
    snprintf(r->topic, sizeof r->topic, "%s", topic);
    r->type = type;
    size_t sz = type == CODEC_EXEC_ORDER      ? sizeof(codec_exec_order_t)
                : type == CODEC_EXEC_FILL     ? sizeof(codec_exec_fill_t)
                : type == CODEC_EXEC_POSITION ? sizeof(codec_exec_position_t)
                : type == CODEC_EXEC_BALANCE  ? sizeof(codec_exec_balance_t)
                : type == CODEC_MD_STATUS     ? sizeof(codec_md_status_t)
                                              : 0;
    assert_true(sz > 0);
    memcpy(&r->body, body, sz);
    r->evt = evt;
    r->origin = origin;
}

static size_t
s_count(codec_type_t type)
{
    size_t n = 0;
    for (size_t i = 0; i < g_n; i++) {
        n += g_rec[i].type == type;
    }
    return n;
}

/* An encoded message of `type` from `src` in m->data (points into buf). */
static void
s_msg(bus_msg_t *m, uint8_t *buf, size_t cap, const char *topic, const char *src, codec_type_t type,
      const void *body, int64_t evt, int64_t origin)
{
    codec_env_t env;
    memset(&env, 0, sizeof env);
    env.v = CODEC_VERSION;
    snprintf(env.src, sizeof env.src, "%s", src);
    env.epoch = 1;
    env.seq = 1;
    env.ts = 2;
    env.origin = origin;
    env.evt = evt;
    size_t len = 0;
    assert_int_equal(codec_encode(&env, type, body, buf, cap, &len), 0);
    memset(m, 0, sizeof *m);
    snprintf(m->topic, sizeof m->topic, "%s", topic);
    m->type = type;
    m->env = env;
    m->data = buf;
    m->len = len;
}

static void
s_instrument(exec_t *x, const char *symbol, int px_scale, int64_t tick, int qty_scale, int64_t step,
             int64_t min_qty)
{
    codec_md_instrument_t mi;
    memset(&mi, 0, sizeof mi);
    snprintf(mi.venue, sizeof mi.venue, "bybit-linear");
    snprintf(mi.category, sizeof mi.category, "linear");
    snprintf(mi.symbol, sizeof mi.symbol, "%s", symbol);
    mi.px_scale = px_scale;
    mi.qty_scale = qty_scale;
    mi.tick = tick;
    mi.step = step;
    mi.min_qty = min_qty;
    uint8_t buf[CODEC_MSG_MAX];
    bus_msg_t m;
    s_msg(&m, buf, sizeof buf, "md.instrument.bybit-linear.X", "feed.0", CODEC_MD_INSTRUMENT, &mi,
          0, 0);
    exec_observe(x, &m);
}

static codec_risk_order_t
s_req(const char *cid, const char *symbol, int8_t side, int64_t qty)
{
    codec_risk_order_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.client_id, sizeof r.client_id, "%s", cid);
    snprintf(r.venue, sizeof r.venue, "bybit-linear");
    snprintf(r.symbol, sizeof r.symbol, "%s", symbol);
    r.side = side;
    r.type = CODEC_ORD_MARKET;
    bool btc = strcmp(symbol, "BTCUSDT") == 0;
    r.px_scale = btc ? 2 : 5;
    r.qty_scale = btc ? 3 : 0;
    r.qty = qty;
    r.ts_event = 5 * SEC;
    return r;
}

static size_t
s_encode_req(const codec_risk_order_t *r, uint8_t *buf, size_t cap)
{
    bus_msg_t m;
    s_msg(&m, buf, cap, "risk.order", "risk.0", CODEC_RISK_ORDER, r, r->ts_event, 99);
    return m.len;
}

static exec_t *
s_exec_rules(const paper_rules_t *rules)
{
    g_n = 0;
    exec_cfg_t c = {
        .instance = "executor.0",
        .epoch_ns = 7,
        .venue = { .name = "paper",
                   .asset = "USDT",
                   .start_balance = 10000LL * 100000000,
                   .taker_fee = 100000,
                   .maker_fee = 100000,
                   .slippage_cap = 100000000 },
    };
    if (rules) {
        c.paper = *rules;
    }
    exec_t *x = exec_new(&c, s_emit, NULL);
    assert_non_null(x);
    s_instrument(x, "BTCUSDT", 2, 10, 3, 1, 5);
    s_instrument(x, "10000NEXUSDT", 5, 1, 0, 10, 10);
    return x;
}

static exec_t *
s_exec(void)
{
    return s_exec_rules(NULL);
}

/* Send request r; returns exec_request's result, the decoded ack in *ack. */
static int
s_ask(exec_t *x, const codec_risk_order_t *r, uint8_t *reqbuf, codec_order_ack_t *ack,
      bus_msg_t *push)
{
    size_t len = s_encode_req(r, reqbuf, CODEC_MSG_MAX);
    const uint8_t *reply;
    size_t reply_len;
    int rc = exec_request(x, reqbuf, len, 1234, &reply, &reply_len, push);
    assert_true(rc >= 0);
    assert_int_equal(codec_decode(reply, reply_len, CODEC_ORDER_ACK, NULL, ack), 0);
    return rc;
}

static void
test_accept_once(void **state)
{
    (void)state;
    exec_t *x = s_exec();
    uint8_t req[CODEC_MSG_MAX], first[CODEC_MSG_MAX];
    codec_risk_order_t r = s_req("c1", "BTCUSDT", 1, 100); /* buy 0.100 */
    size_t len = s_encode_req(&r, req, sizeof req);
    const uint8_t *reply;
    size_t reply_len, first_len;
    bus_msg_t push;
    assert_int_equal(exec_request(x, req, len, 1234, &reply, &reply_len, &push), 1);
    memcpy(first, reply, reply_len);
    first_len = reply_len;
    codec_env_t env;
    codec_order_ack_t ack;
    assert_int_equal(codec_decode(reply, reply_len, CODEC_ORDER_ACK, &env, &ack), 0);
    assert_true(ack.accepted);
    assert_string_equal(ack.status, "New");
    assert_string_equal(ack.client_id, "c1");
    assert_string_equal(env.src, "executor.0");
    assert_int_equal(env.evt, 5 * SEC); /* the request's evt and origin */
    assert_int_equal(env.origin, 99);
    assert_int_equal(env.ts, 1234);
    assert_int_equal(push.type, CODEC_RISK_ORDER);
    assert_string_equal(push.topic, "risk.order");
    assert_ptr_equal(push.data, req);
    /* the same id again, even with another qty: the first answer, byte for byte, no push */
    codec_risk_order_t r2 = r;
    r2.qty = 999;
    uint8_t req2[CODEC_MSG_MAX];
    size_t len2 = s_encode_req(&r2, req2, sizeof req2);
    assert_int_equal(exec_request(x, req2, len2, 9999, &reply, &reply_len, &push), 0);
    assert_int_equal(reply_len, first_len);
    assert_memory_equal(reply, first, first_len);
    assert_int_equal(exec_counts(x)->duplicates, 1);
    assert_int_equal(exec_counts(x)->orders, 1);
    /* deliver the first push (as the step would): placed once; no book yet, so it waits */
    bus_msg_t m;
    s_msg(&m, req, sizeof req, "risk.order", "risk.0", CODEC_RISK_ORDER, &r, r.ts_event, 99);
    exec_deliver(x, &m);
    exec_deliver(x, &m); /* a second delivery never places twice */
    assert_int_equal(s_count(CODEC_EXEC_ORDER), 1);
    assert_string_equal(g_rec[0].body.xorder.status, "New");
    assert_int_equal(orders_count(exec_orders(x)), 1);
    exec_destroy(&x);
    assert_null(x);
}

static void
test_rejects(void **state)
{
    (void)state;
    exec_t *x = s_exec();
    uint8_t req[CODEC_MSG_MAX];
    codec_order_ack_t ack;
    bus_msg_t push;
    struct {
        codec_risk_order_t r;
        const char *why;
    } cases[16];
    size_t n = 0;
    cases[n].r = s_req("a1", "NOPEUSDT", 1, 100);
    cases[n++].why = "unknown instrument";
    cases[n].r = s_req("a2", "10000NEXUSDT", 1, 15); /* step 10: 15 is not a multiple */
    cases[n++].why = "qty not on step";
    cases[n].r = s_req("a3", "BTCUSDT", 1, 3); /* 0.003 < min 0.005 */
    cases[n++].why = "qty below min_qty";
    cases[n].r = s_req("a4", "BTCUSDT", 1, 0);
    cases[n++].why = "qty must be > 0";
    cases[n].r = s_req("a5", "BTCUSDT", 1, 100);
    cases[n].r.type = CODEC_ORD_LIMIT;
    cases[n].r.px = 6500005; /* 65000.05: tick is 0.10 */
    cases[n++].why = "price not on tick";
    cases[n].r = s_req("a6", "BTCUSDT", 0, 100);
    cases[n++].why = "bad side";
    cases[n].r = s_req("a7", "BTCUSDT", 1, 100);
    cases[n].r.type = 7;
    cases[n++].why = "bad order type";
    cases[n].r = s_req("a8", "BTCUSDT", 1, 100);
    cases[n].r.qty_scale = 4;
    cases[n++].why = "scale mismatch";
    cases[n].r = s_req("0123456789012345678901234567890123456", "BTCUSDT", 1, 100); /* 37 */
    cases[n++].why = "client_id too long";
    cases[n].r = s_req("a9", "BTCUSDT", 1, 100);
    snprintf(cases[n].r.tif, sizeof cases[n].r.tif, "GFD"); /* not a Bybit word */
    cases[n++].why = "bad time in force (GTC, IOC, FOK, PostOnly)";
    cases[n].r = s_req("a10", "BTCUSDT", 1, 100);
    cases[n].r.trigger_px = 6600000; /* a price without a direction */
    cases[n++].why = "bad trigger (price > 0 with direction 1 rise or 2 fall, or neither)";
    cases[n].r = s_req("a11", "BTCUSDT", 1, 100);
    cases[n].r.trigger_px = 6600005; /* 66000.05: tick is 0.10 */
    cases[n].r.trigger_dir = 1;
    cases[n++].why = "trigger price not on tick";
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(s_ask(x, &cases[i].r, req, &ack, &push), 1);
        assert_false(ack.accepted);
        assert_string_equal(ack.status, "Rejected");
        assert_string_equal(ack.reason, cases[i].why);
    }
    assert_int_equal(exec_counts(x)->rejects, (int64_t)n);
    /* each refused request, delivered by the step, publishes exec.order Rejected with the
     * same reason as its ack (qty not on step, price not on tick included), never reaches
     * the venue (no New, no fill) */
    bus_msg_t m;
    for (size_t i = 0; i < n; i++) {
        s_msg(&m, req, sizeof req, "risk.order", "risk.0", CODEC_RISK_ORDER, &cases[i].r, 1, 99);
        exec_deliver(x, &m);
        assert_int_equal(g_n, i + 1);
        assert_string_equal(g_rec[i].topic, "exec.order");
        assert_string_equal(g_rec[i].body.xorder.client_id, cases[i].r.client_id);
        assert_string_equal(g_rec[i].body.xorder.status, "Rejected");
        assert_string_equal(g_rec[i].body.xorder.reject_reason, cases[i].why);
    }
    assert_int_equal(s_count(CODEC_EXEC_FILL), 0);
    /* a valid limit on the tick is accepted: 65000.10 */
    codec_risk_order_t ok = s_req("ok", "BTCUSDT", 1, 5);
    ok.type = CODEC_ORD_LIMIT;
    ok.px = 6500010;
    assert_int_equal(s_ask(x, &ok, req, &ack, &push), 1);
    assert_true(ack.accepted);
    /* malformed bytes and a missing client id: refused, not remembered, not pushed */
    const uint8_t junk[] = { 0xc1, 0x00, 0x01 };
    const uint8_t *reply;
    size_t reply_len;
    assert_int_equal(exec_request(x, junk, sizeof junk, 1, &reply, &reply_len, &push), 0);
    assert_int_equal(codec_decode(reply, reply_len, CODEC_ORDER_ACK, NULL, &ack), 0);
    assert_string_equal(ack.reason, "malformed request");
    codec_risk_order_t noid = s_req("", "BTCUSDT", 1, 100);
    assert_int_equal(s_ask(x, &noid, req, &ack, &push), 0);
    assert_string_equal(ack.reason, "missing client_id");
    assert_int_equal(exec_counts(x)->bad, 2);
    exec_destroy(&x);
}

static void
test_ttl_expiry(void **state)
{
    (void)state;
    exec_t *x = s_exec();
    uint8_t buf[CODEC_MSG_MAX], req[CODEC_MSG_MAX];
    codec_md_book_t b;
    memset(&b, 0, sizeof b);
    snprintf(b.venue, sizeof b.venue, "bybit-linear");
    snprintf(b.symbol, sizeof b.symbol, "BTCUSDT");
    b.px_scale = 2;
    b.qty_scale = 3;
    bus_msg_t m;
    /* latest md event time 10 s */
    s_msg(&m, buf, sizeof buf, "md.book.bybit-linear.BTCUSDT", "feed.0", CODEC_MD_BOOK, &b,
          10 * SEC, 1);
    exec_observe(x, &m);
    assert_int_equal(exec_md_time(x), 10 * SEC);
    codec_order_ack_t ack;
    bus_msg_t push;
    /* ts_event 5 s + ttl 4 s = 9 s < 10 s: expired */
    codec_risk_order_t r = s_req("t1", "BTCUSDT", 1, 100);
    r.ttl_ns = 4 * SEC;
    assert_int_equal(s_ask(x, &r, req, &ack, &push), 1);
    assert_false(ack.accepted);
    assert_string_equal(ack.reason, "expired");
    /* 5 s + 5 s = 10 s: not before the md time, still valid */
    codec_risk_order_t r2 = s_req("t2", "BTCUSDT", 1, 100);
    r2.ttl_ns = 5 * SEC;
    assert_int_equal(s_ask(x, &r2, req, &ack, &push), 1);
    assert_true(ack.accepted);
    /* ttl 0 never expires */
    codec_risk_order_t r3 = s_req("t3", "BTCUSDT", 1, 100);
    r3.ts_event = 1;
    assert_int_equal(s_ask(x, &r3, req, &ack, &push), 1);
    assert_true(ack.accepted);
    exec_destroy(&x);
}

static void
test_deliver_book_then_order_fills(void **state)
{
    (void)state;
    exec_t *x = s_exec();
    uint8_t buf[CODEC_MSG_MAX], req[CODEC_MSG_MAX];
    codec_md_book_t b;
    memset(&b, 0, sizeof b);
    snprintf(b.venue, sizeof b.venue, "bybit-linear");
    snprintf(b.symbol, sizeof b.symbol, "BTCUSDT");
    b.px_scale = 2;
    b.qty_scale = 3;
    b.ts_event = 4 * SEC;
    b.n_bids = 1;
    b.bids[0] = (codec_level_t){ 6499990, 1000 };
    b.n_asks = 1;
    b.asks[0] = (codec_level_t){ 6500000, 1000 };
    bus_msg_t m;
    s_msg(&m, buf, sizeof buf, "md.book.bybit-linear.BTCUSDT", "feed.0", CODEC_MD_BOOK, &b, 4 * SEC,
          1);
    exec_observe(x, &m);
    exec_deliver(x, &m);
    codec_order_ack_t ack;
    bus_msg_t push;
    codec_risk_order_t r = s_req("f1", "BTCUSDT", 1, 100);
    assert_int_equal(s_ask(x, &r, req, &ack, &push), 1);
    exec_deliver(x, &push);
    /* New, then fill + order + position + balance: 0.100 @ 65000.00, fee 6.50 x 0.1 % */
    assert_int_equal(g_n, 5);
    assert_int_equal(g_rec[1].type, CODEC_EXEC_FILL);
    assert_int_equal(g_rec[1].body.fill.px, 6500000);
    assert_int_equal(g_rec[1].body.fill.fee, 650000000);
    assert_string_equal(g_rec[2].body.xorder.status, "Filled");
    assert_int_equal(g_rec[1].evt, 5 * SEC); /* max(book 4 s, order 5 s) */
    json_t *st = json_object();
    exec_status(x, st);
    assert_int_equal(json_integer_value(json_object_get(st, "orders")), 1);
    assert_int_equal(json_integer_value(json_object_get(st, "fills")), 1);
    assert_int_equal(json_integer_value(json_object_get(st, "positions")), 1);
    /* equity = 10000 - 6.50 fee; mark = mid of the book 64999.95 is the last md seen before
     * the fill, but the fill (65000.00) marks last: unrealised 0 */
    assert_string_equal(json_string_value(json_object_get(st, "equity")), "9993.50000000");
    json_decref(st);
    /* a hello barrier: exec.balance, then exec.status.paper "running", before the stage
     * forwards it */
    codec_sys_barrier_t hb;
    memset(&hb, 0, sizeof hb);
    exec_barrier(x, &hb);
    assert_int_equal(g_rec[g_n - 2].type, CODEC_EXEC_BALANCE);
    assert_int_equal(g_rec[g_n - 1].type, CODEC_MD_STATUS);
    assert_string_equal(g_rec[g_n - 1].topic, "exec.status.paper");
    assert_string_equal(g_rec[g_n - 1].body.status.state, "running");
    exec_destroy(&x);
}

/* The paper venue takes what it now simulates (time in force, triggers) through the intake,
 * and md.ticker reaches it: with executor.paper_trigger_by "mark" a stop triggers on the
 * ticker's mark price, not on a trade print. Book: bid 64999.90 x 1.000, ask 65000.00 x 1.000.
 * A sell stop (trigger 64900.00, direction 2 = falls to it) of 0.100 after a long 0.100:
 *   trade 64800.00      no trigger (the source is the mark)
 *   ticker mark 64950.00 no trigger (64950 > 64900)
 *   ticker mark 64900.00 triggers (64900 <= 64900): Untriggered -> Triggered -> market sell
 *                        0.100 at the bid 64999.90 (the book did not move), flat. */
static void
test_paper_tif_and_mark_trigger(void **state)
{
    (void)state;
    const paper_rules_t rules = { .trigger_by = PAPER_TRIGGER_MARK, .latency_ns = 0 };
    exec_t *x = s_exec_rules(&rules);
    uint8_t buf[CODEC_MSG_MAX], req[CODEC_MSG_MAX];
    codec_md_book_t b;
    memset(&b, 0, sizeof b);
    snprintf(b.venue, sizeof b.venue, "bybit-linear");
    snprintf(b.symbol, sizeof b.symbol, "BTCUSDT");
    b.px_scale = 2;
    b.qty_scale = 3;
    b.ts_event = 4 * SEC;
    b.n_bids = 1;
    b.bids[0] = (codec_level_t){ 6499990, 1000 };
    b.n_asks = 1;
    b.asks[0] = (codec_level_t){ 6500000, 1000 };
    bus_msg_t m, push;
    s_msg(&m, buf, sizeof buf, "md.book.bybit-linear.BTCUSDT", "feed.0", CODEC_MD_BOOK, &b, 4 * SEC,
          1);
    exec_observe(x, &m);
    exec_deliver(x, &m);
    codec_order_ack_t ack;
    /* PostOnly buy at 65000.00 would take the ask: accepted at intake, Cancelled by the venue */
    codec_risk_order_t po = s_req("po", "BTCUSDT", 1, 100);
    po.type = CODEC_ORD_LIMIT;
    po.px = 6500000;
    snprintf(po.tif, sizeof po.tif, "PostOnly");
    assert_int_equal(s_ask(x, &po, req, &ack, &push), 1);
    assert_true(ack.accepted);
    exec_deliver(x, &push);
    order_t *o = orders_get(exec_orders(x), "po");
    assert_int_equal(o->status, ORDER_CANCELLED);
    assert_string_equal(o->reject_reason, "EC_PostOnlyWillTakeLiquidity");
    codec_risk_order_t buy = s_req("buy", "BTCUSDT", 1, 100);
    assert_int_equal(s_ask(x, &buy, req, &ack, &push), 1);
    exec_deliver(x, &push);
    assert_int_equal(orders_get(exec_orders(x), "buy")->status, ORDER_FILLED);
    codec_risk_order_t st = s_req("stop", "BTCUSDT", -1, 100);
    st.reduce_only = true;
    st.trigger_px = 6490000;
    st.trigger_dir = 2;
    assert_int_equal(s_ask(x, &st, req, &ack, &push), 1);
    assert_true(ack.accepted);
    exec_deliver(x, &push);
    o = orders_get(exec_orders(x), "stop");
    assert_int_equal(o->status, ORDER_UNTRIGGERED);
    codec_md_trade_t t;
    memset(&t, 0, sizeof t);
    snprintf(t.venue, sizeof t.venue, "bybit-linear");
    snprintf(t.symbol, sizeof t.symbol, "BTCUSDT");
    t.px_scale = 2;
    t.qty_scale = 3;
    t.ts_event = 6 * SEC;
    t.px = 6480000;
    t.qty = 1;
    s_msg(&m, buf, sizeof buf, "md.trade.bybit-linear.BTCUSDT", "feed.0", CODEC_MD_TRADE, &t,
          6 * SEC, 1);
    exec_deliver(x, &m);
    assert_int_equal(o->status, ORDER_UNTRIGGERED);
    codec_md_ticker_t tk;
    memset(&tk, 0, sizeof tk);
    snprintf(tk.venue, sizeof tk.venue, "bybit-linear");
    snprintf(tk.symbol, sizeof tk.symbol, "BTCUSDT");
    tk.px_scale = 2;
    tk.qty_scale = 3;
    tk.ts_event = 7 * SEC;
    tk.mark_px = 6495000;
    s_msg(&m, buf, sizeof buf, "md.ticker.bybit-linear.BTCUSDT", "feed.0", CODEC_MD_TICKER, &tk,
          7 * SEC, 1);
    exec_deliver(x, &m);
    assert_int_equal(o->status, ORDER_UNTRIGGERED);
    tk.ts_event = 8 * SEC;
    tk.mark_px = 6490000;
    s_msg(&m, buf, sizeof buf, "md.ticker.bybit-linear.BTCUSDT", "feed.0", CODEC_MD_TICKER, &tk,
          8 * SEC, 1);
    size_t before = g_n;
    exec_deliver(x, &m);
    assert_int_equal(o->status, ORDER_FILLED);
    assert_int_equal(o->avg_px, 6499990);
    assert_string_equal(g_rec[before].body.xorder.status, "Triggered");
    assert_int_equal(g_rec[before].evt, 8 * SEC);
    assert_int_equal(g_rec[before + 1].type, CODEC_EXEC_FILL);
    assert_int_equal(g_rec[before + 1].evt, 8 * SEC);
    json_t *js = json_object();
    exec_status(x, js);
    assert_int_equal(json_integer_value(json_object_get(js, "positions")), 0);
    json_decref(js);
    exec_destroy(&x);
    /* a bad rule stops exec_new */
    exec_cfg_t c = { .instance = "executor.0", .venue = { .name = "paper" } };
    c.paper.latency_ns = -1;
    errno = 0;
    assert_null(exec_new(&c, s_emit, NULL));
    assert_int_equal(errno, EINVAL);
}

/* A stop move (intent "move_stop", venue.h VENUE_MOVE_STOP) re-prices the paper venue's held
 * stop, and survives a restart from the paper state file. Book: bid 64999.90 x 1.000, ask
 * 65000.00 x 1.000. Buy 0.100 with sl_px 64000.00: the venue holds "e1.s" (sell, falls to
 * 64000.00). Move to 64999.00: accepted, not an order, no output; the held stop's trigger is
 * 64999.00 (and again after a restart from the state file: record "M e1.s 6499900"). A trade
 * at 64999.00 then triggers it (64999.00 <= 64999.00; at 64000.00 it would not have): sold at
 * the bid 64999.90, flat. Refused: a stop off the tick; a repeat is answered from the table and
 * not applied twice. */
static void
test_move_stop(void **state)
{
    (void)state;
    char path[] = "/tmp/tp-test-exec-move-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    exec_cfg_t c = {
        .instance = "executor.0",
        .epoch_ns = 7,
        .venue = { .name = "paper",
                   .asset = "USDT",
                   .start_balance = 10000LL * 100000000,
                   .taker_fee = 100000,
                   .maker_fee = 100000,
                   .slippage_cap = 100000000,
                   .journal_path = path },
    };
    g_n = 0;
    exec_t *x = exec_new(&c, s_emit, NULL);
    assert_non_null(x);
    s_instrument(x, "BTCUSDT", 2, 10, 3, 1, 5);
    uint8_t buf[CODEC_MSG_MAX], req[CODEC_MSG_MAX];
    codec_md_book_t b;
    memset(&b, 0, sizeof b);
    snprintf(b.venue, sizeof b.venue, "bybit-linear");
    snprintf(b.symbol, sizeof b.symbol, "BTCUSDT");
    b.px_scale = 2;
    b.qty_scale = 3;
    b.ts_event = 4 * SEC;
    b.n_bids = 1;
    b.bids[0] = (codec_level_t){ 6499990, 1000 };
    b.n_asks = 1;
    b.asks[0] = (codec_level_t){ 6500000, 1000 };
    bus_msg_t m, push;
    s_msg(&m, buf, sizeof buf, "md.book.bybit-linear.BTCUSDT", "feed.0", CODEC_MD_BOOK, &b, 4 * SEC,
          1);
    exec_observe(x, &m);
    exec_deliver(x, &m);
    codec_order_ack_t ack;
    codec_risk_order_t e = s_req("e1", "BTCUSDT", 1, 100);
    e.sl_px = 6400000;
    assert_int_equal(s_ask(x, &e, req, &ack, &push), 1);
    exec_deliver(x, &push);
    order_t *held = orders_get(exec_orders(x), "e1.s");
    assert_non_null(held);
    assert_int_equal(held->status, ORDER_UNTRIGGERED);
    assert_int_equal(held->req.trigger_px, 6400000);
    /* refused: off the tick (0.10) */
    codec_risk_order_t mv = s_req("mv0", "BTCUSDT", -1, 100);
    snprintf(mv.intent, sizeof mv.intent, "move_stop");
    mv.reduce_only = true;
    mv.sl_px = 6499905;
    assert_int_equal(s_ask(x, &mv, req, &ack, &push), 0);
    assert_false(ack.accepted);
    assert_string_equal(ack.reason, "move_stop: stop price must be > 0 and on the tick");
    /* accepted: not an order, nothing published */
    snprintf(mv.client_id, sizeof mv.client_id, "mv1");
    mv.sl_px = 6499900;
    size_t n0 = g_n;
    assert_int_equal(s_ask(x, &mv, req, &ack, &push), 1);
    assert_true(ack.accepted);
    assert_null(orders_get(exec_orders(x), "mv1"));
    exec_deliver(x, &push);
    assert_int_equal(g_n, n0);
    assert_int_equal(held->req.trigger_px, 6499900);
    assert_int_equal(held->status, ORDER_UNTRIGGERED);
    /* a repeat (Lazy Pirate): the first answer, not pushed again */
    assert_int_equal(s_ask(x, &mv, req, &ack, &push), 0);
    assert_true(ack.accepted);
    json_t *js = json_object();
    exec_status(x, js);
    assert_int_equal(json_integer_value(json_object_get(js, "stop_moves")), 1);
    json_decref(js);
    exec_destroy(&x);
    /* restart from the state file: the held stop comes back at the moved price */
    g_n = 0;
    x = exec_new(&c, s_emit, NULL);
    assert_non_null(x);
    s_instrument(x, "BTCUSDT", 2, 10, 3, 1, 5);
    held = orders_get(exec_orders(x), "e1.s");
    assert_non_null(held);
    assert_int_equal(held->status, ORDER_UNTRIGGERED);
    assert_int_equal(held->req.trigger_px, 6499900);
    exec_observe(x, &m);
    exec_deliver(x, &m); /* the book again (books return with market data) */
    codec_md_trade_t t;
    memset(&t, 0, sizeof t);
    snprintf(t.venue, sizeof t.venue, "bybit-linear");
    snprintf(t.symbol, sizeof t.symbol, "BTCUSDT");
    t.px_scale = 2;
    t.qty_scale = 3;
    t.ts_event = 6 * SEC;
    t.px = 6499900;
    t.qty = 1;
    s_msg(&m, buf, sizeof buf, "md.trade.bybit-linear.BTCUSDT", "feed.0", CODEC_MD_TRADE, &t,
          6 * SEC, 1);
    exec_deliver(x, &m);
    assert_int_equal(held->status, ORDER_FILLED);
    assert_int_equal(held->avg_px, 6499990);
    js = json_object();
    exec_status(x, js);
    assert_int_equal(json_integer_value(json_object_get(js, "positions")), 0);
    json_decref(js);
    exec_destroy(&x);
    unlink(path);
}

/* cancel-all (what risk's kill switch sends) on the paper venue takes the working orders and
 * also those accepted and not handed to the venue yet (replay: waiting in the step): a limit
 * that rests and a market order still in the step are both Cancelled; delivering the second
 * afterwards places nothing. */
static void
test_cancel_all_unsent(void **state)
{
    (void)state;
    exec_t *x = s_exec();
    uint8_t buf[CODEC_MSG_MAX], req[CODEC_MSG_MAX];
    codec_md_book_t b;
    memset(&b, 0, sizeof b);
    snprintf(b.venue, sizeof b.venue, "bybit-linear");
    snprintf(b.symbol, sizeof b.symbol, "BTCUSDT");
    b.px_scale = 2;
    b.qty_scale = 3;
    b.ts_event = 4 * SEC;
    b.n_bids = 1;
    b.bids[0] = (codec_level_t){ 6499990, 1000 };
    b.n_asks = 1;
    b.asks[0] = (codec_level_t){ 6500000, 1000 };
    bus_msg_t m, push;
    s_msg(&m, buf, sizeof buf, "md.book.bybit-linear.BTCUSDT", "feed.0", CODEC_MD_BOOK, &b, 4 * SEC,
          1);
    exec_observe(x, &m);
    exec_deliver(x, &m);
    codec_order_ack_t ack;
    codec_risk_order_t lim = s_req("lim", "BTCUSDT", 1, 100);
    lim.type = CODEC_ORD_LIMIT;
    lim.px = 6400000;
    assert_int_equal(s_ask(x, &lim, req, &ack, &push), 1);
    exec_deliver(x, &push);
    assert_int_equal(orders_get(exec_orders(x), "lim")->status, ORDER_NEW);
    uint8_t req2[CODEC_MSG_MAX];
    bus_msg_t push2;
    codec_risk_order_t mkt = s_req("mkt", "BTCUSDT", 1, 100);
    assert_int_equal(s_ask(x, &mkt, req2, &ack, &push2), 1); /* not delivered yet */
    json_t *reply = json_object();
    assert_int_equal(exec_control(x, "cancel-all", reply), 0);
    assert_int_equal(json_integer_value(json_object_get(reply, "cancelled")), 2);
    json_decref(reply);
    assert_int_equal(orders_get(exec_orders(x), "lim")->status, ORDER_CANCELLED);
    assert_int_equal(orders_get(exec_orders(x), "mkt")->status, ORDER_CANCELLED);
    exec_deliver(x, &push2);
    assert_int_equal(orders_get(exec_orders(x), "mkt")->status, ORDER_CANCELLED);
    assert_int_equal(s_count(CODEC_EXEC_FILL), 0);
    exec_destroy(&x);
}

static void
s_step_deliver(const bus_msg_t *msg, void *arg)
{
    exec_deliver(arg, msg);
}

/* REP over a real ipc socket: the same request twice gets identical answers, one order. */
static void
test_rep_over_ipc(void **state)
{
    (void)state;
    exec_t *x = s_exec();
    /* live mode: the step passes the pushed request straight to exec_deliver */
    step_t *step = step_new(false, s_step_deliver, NULL, x);
    assert_non_null(step);
    char ep[128];
    snprintf(ep, sizeof ep, "ipc:///tmp/tp-test-exec-%d.orders", (int)getpid());
    exec_rep_t *rep = exec_rep_new(ep, x, step, "risk.0");
    assert_non_null(rep);
    zsock_t *req = zsock_new_req(ep);
    assert_non_null(req);
    zsock_set_rcvtimeo(req, 2000);
    uint8_t buf[CODEC_MSG_MAX];
    codec_risk_order_t r = s_req("ipc-1", "BTCUSDT", 1, 100);
    size_t len = s_encode_req(&r, buf, sizeof buf);
    zframe_t *ans[2];
    for (int i = 0; i < 2; i++) {
        zframe_t *f = zframe_new(buf, len);
        assert_int_equal(zframe_send(&f, req, 0), 0);
        zsock_set_rcvtimeo(exec_rep_sock(rep), 2000);
        assert_int_equal(exec_rep_handle(rep), 0);
        ans[i] = zframe_recv(req);
        assert_non_null(ans[i]);
    }
    assert_true(zframe_eq(ans[0], ans[1]));
    codec_order_ack_t ack;
    assert_int_equal(
        codec_decode(zframe_data(ans[0]), zframe_size(ans[0]), CODEC_ORDER_ACK, NULL, &ack), 0);
    assert_true(ack.accepted);
    assert_int_equal(orders_count(exec_orders(x)), 1);
    assert_int_equal(s_count(CODEC_EXEC_ORDER), 1); /* one New: placed once */
    assert_int_equal(exec_counts(x)->duplicates, 1);
    zframe_destroy(&ans[0]);
    zframe_destroy(&ans[1]);
    zsock_destroy(&req);
    exec_rep_destroy(&rep);
    assert_null(rep);
    /* a bind that cannot work: the directory does not exist (bind(2) gives ENOENT) */
    errno = 0;
    assert_null(exec_rep_new("ipc:///nonexistent-tp-dir/x.orders", x, step, "risk.0"));
    assert_int_equal(errno, ENOENT);
    step_destroy(&step);
    exec_destroy(&x);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_once),  cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_ttl_expiry),   cmocka_unit_test(test_deliver_book_then_order_fills),
        cmocka_unit_test(test_rep_over_ipc), cmocka_unit_test(test_paper_tif_and_mark_trigger),
        cmocka_unit_test(test_move_stop),    cmocka_unit_test(test_cancel_all_unsent),
    };
    return cmocka_run_group_tests_name("exec", tests, NULL, NULL);
}
