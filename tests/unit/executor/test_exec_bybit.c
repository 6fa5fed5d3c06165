/*  test_exec_bybit.c - the live venue's order state, exactly (executor/bybit.h): partial
 *  fills, fills out of order, duplicate executions, a fill before the ack, statuses that
 *  wait for their fills, conditional orders; and the create body's rounding.
 *  No venue is contacted: bybit_new does no I/O, and the tests feed executions and statuses
 *  the way the poll does (strings as the venue sends them).
 *  Instrument: bybit-linear BTCUSDT px_scale 1 (tick 0.1 -> 1), qty_scale 3 (step 0.001 -> 1).
 *  Expected values are derived by hand in the comments next to them.
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

#include "executor/bybit.h"

typedef struct {
    char topic[32];
    codec_type_t type;
    codec_exec_order_t xo;
    codec_exec_fill_t fill;
    codec_exec_position_t pos;
} rec_t;

static rec_t g_rec[64];
static size_t g_n;

static void
s_emit(const char *topic, codec_type_t type, const void *body, int64_t evt, int64_t origin,
       void *arg)
{
    (void)evt;
    (void)origin;
    (void)arg;
    if (g_n == 64) {
        return;
    }
    rec_t *r = &g_rec[g_n++];
    memset(r, 0, sizeof *r);
    snprintf(r->topic, sizeof r->topic, "%s", topic);
    r->type = type;
    if (type == CODEC_EXEC_ORDER) {
        r->xo = *(const codec_exec_order_t *)body;
    } else if (type == CODEC_EXEC_FILL) {
        r->fill = *(const codec_exec_fill_t *)body;
    } else if (type == CODEC_EXEC_POSITION) {
        r->pos = *(const codec_exec_position_t *)body;
    }
}

typedef struct {
    orders_t *orders;
    bybit_t *b;
    char path[64];
} ctx_t;

static int
s_setup(void **state)
{
    static ctx_t c;
    memset(&c, 0, sizeof c);
    g_n = 0;
    snprintf(c.path, sizeof c.path, "/tmp/tp-bybit-test.%d", (int)getpid());
    unlink(c.path);
    c.orders = orders_new();
    venue_cfg_t vc;
    memset(&vc, 0, sizeof vc);
    vc.name = "bybit";
    vc.orders = c.orders;
    vc.emit = s_emit;
    vc.asset = "USDT";
    vc.start_balance = 1000000000000; /* 10000 USDT */
    vc.base_url = "http://127.0.0.1:1";
    vc.api_key = "k";
    vc.api_secret = "s";
    vc.journal_path = c.path;
    vc.max_offset_ms = 500;
    c.b = bybit_new(&vc);
    assert_non_null(c.b);
    *state = &c;
    return 0;
}

static int
s_teardown(void **state)
{
    ctx_t *c = *state;
    bybit_destroy(&c->b);
    orders_destroy(&c->orders);
    unlink(c->path);
    return 0;
}

static order_t *
s_order(ctx_t *c, const char *id, int8_t side, int64_t qty, int64_t px)
{
    codec_risk_order_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.client_id, sizeof r.client_id, "%s", id);
    snprintf(r.venue, sizeof r.venue, "bybit-linear");
    snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
    snprintf(r.intent, sizeof r.intent, "entry");
    r.side = side;
    r.type = px ? CODEC_ORD_LIMIT : CODEC_ORD_MARKET;
    r.px_scale = 1;
    r.qty_scale = 3;
    r.qty = qty;
    r.px = px;
    order_t *o = orders_add(c->orders, &r, "linear", false, 0, "bybit");
    assert_non_null(o);
    o->sent = true;
    return o;
}

static size_t
s_count(const char *topic)
{
    size_t n = 0;
    for (size_t i = 0; i < g_n; i++) {
        n += strcmp(g_rec[i].topic, topic) == 0;
    }
    return n;
}

static void
test_partial_then_filled_and_duplicate(void **state)
{
    ctx_t *c = *state;
    order_t *o = s_order(c, "A", 1, 100, 651142); /* buy 0.100 @ 65114.2 */
    /* 0.030 @ 65114.2: value 1953.426, fee 0.3906852 (0.0002 maker) */
    assert_int_equal(
        bybit_apply_exec(c->b, "A", "e1", "65114.2", "0.030", "1953.426", "0.3906852", true, 1000),
        1);
    assert_int_equal(o->status, ORDER_PARTIALLY_FILLED);
    assert_int_equal(o->cum_qty, 30);
    assert_int_equal(o->avg_px, 651142);
    assert_int_equal(o->fee, 39068520); /* 0.3906852 at scale 8 */
    /* the same execution again (a repeated poll): nothing changes, nothing published */
    size_t before = g_n;
    assert_int_equal(
        bybit_apply_exec(c->b, "A", "e1", "65114.2", "0.030", "1953.426", "0.3906852", true, 1000),
        0);
    assert_int_equal(g_n, before);
    assert_int_equal(o->cum_qty, 30);
    /* 0.070 @ 65114.0: value 4557.98; cum value 6511.406 / 0.100 = 65114.06 -> 65114.1 */
    assert_int_equal(
        bybit_apply_exec(c->b, "A", "e2", "65114.0", "0.070", "4557.98", "0.911596", false, 2000),
        1);
    assert_int_equal(o->status, ORDER_FILLED);
    assert_int_equal(o->cum_qty, 100);
    assert_int_equal(o->cum_value, 651140600000); /* 6511.406 at scale 8 */
    assert_int_equal(o->avg_px, 651141);
    assert_int_equal(o->fee, 39068520 + 91159600);
    assert_int_equal(s_count("exec.fill"), 2);
    assert_int_equal(s_count("exec.position"), 2);
    /* the last exec.order says Filled, the last position is long 0.100 */
    rec_t *last_order = NULL, *last_pos = NULL;
    for (size_t i = 0; i < g_n; i++) {
        if (g_rec[i].type == CODEC_EXEC_ORDER) {
            last_order = &g_rec[i];
        } else if (g_rec[i].type == CODEC_EXEC_POSITION) {
            last_pos = &g_rec[i];
        }
    }
    assert_string_equal(last_order->xo.status, "Filled");
    assert_int_equal(last_pos->pos.qty, 100);
    /* a status word from the venue cannot un-fill it */
    assert_int_equal(bybit_apply_status(c->b, "A", "Filled", "0.100", "uuid-a", "EC_NoError"), 0);
    assert_string_equal(o->order_id, "uuid-a");

    /* closing half at 65200.0 realises (65200 - 65114.06) x 0.05 = 4.297 (exact average) */
    s_order(c, "E", -1, 50, 0);
    assert_int_equal(
        bybit_apply_exec(c->b, "E", "e3", "65200.0", "0.050", "3260", "1.793", false, 3000), 1);
    rec_t *f = NULL;
    for (size_t i = 0; i < g_n; i++) {
        if (g_rec[i].type == CODEC_EXEC_FILL) {
            f = &g_rec[i];
        }
    }
    assert_string_equal(f->fill.fill_id, "e3");
    assert_int_equal(f->fill.realized_pnl, 429700000);
}

static void
test_out_of_order_and_before_ack(void **state)
{
    ctx_t *c = *state;
    order_t *o = s_order(c, "B", 1, 100, 651142);
    assert_string_equal(o->order_id, "bybit-1"); /* no venue ack yet */
    /* the later fill first (0.060), then the earlier one (0.040): same totals */
    assert_int_equal(
        bybit_apply_exec(c->b, "B", "b2", "65114.2", "0.060", "3906.852", "0", true, 2000), 1);
    assert_int_equal(o->status, ORDER_PARTIALLY_FILLED);
    assert_int_equal(
        bybit_apply_exec(c->b, "B", "b1", "65114.2", "0.040", "2604.568", "0", true, 1000), 1);
    assert_int_equal(o->status, ORDER_FILLED);
    assert_int_equal(o->cum_value, 651142000000); /* 3906.852 + 2604.568 = 6511.42 */
    assert_int_equal(o->avg_px, 651142);
    /* a REST status whose cumExecQty is below ours is a reconciliation difference (REST is
     * fetched after the executions, so it cannot be older): counted once, state unchanged */
    assert_int_equal(bybit_diffs(c->b), 0);
    assert_int_equal(bybit_apply_status(c->b, "B", "New", "0", "uuid-b", NULL), 0);
    assert_int_equal(o->status, ORDER_FILLED);
    assert_string_equal(o->order_id, "uuid-b");
    assert_int_equal(bybit_diffs(c->b), 1);
    assert_int_equal(bybit_apply_status(c->b, "B", "New", "0", "uuid-b", NULL), 0);
    assert_int_equal(bybit_diffs(c->b), 1); /* the same difference is not counted twice */
}

static void
test_status_waits_for_fills(void **state)
{
    ctx_t *c = *state;
    order_t *o = s_order(c, "D", 1, 100, 651142);
    /* venue: Cancelled with 0.020 executed, fills not seen yet -> deferred */
    assert_int_equal(bybit_apply_status(c->b, "D", "Cancelled", "0.020", "uuid-d", "EC_NoError"),
                     0);
    assert_int_equal(o->status, ORDER_NEW);
    assert_int_equal(
        bybit_apply_exec(c->b, "D", "d1", "65114.2", "0.020", "1302.284", "0", true, 1000), 1);
    assert_int_equal(bybit_apply_status(c->b, "D", "Cancelled", "0.020", "uuid-d", "EC_NoError"),
                     1);
    assert_int_equal(o->status, ORDER_CANCELLED); /* linear: Cancelled even with fills */
    assert_int_equal(o->cum_qty, 20);
    assert_string_equal(o->reject_reason, ""); /* EC_NoError is no reason */
    /* a fill after the close cannot be applied */
    errno = 0;
    assert_int_equal(
        bybit_apply_exec(c->b, "D", "d2", "65114.2", "0.010", "651.142", "0", true, 2000), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(o->cum_qty, 20);
}

static void
test_conditional_and_rejected(void **state)
{
    ctx_t *c = *state;
    order_t *o = s_order(c, "S", -1, 10, 0);
    assert_int_equal(bybit_apply_status(c->b, "S", "Untriggered", "0", "uuid-s", NULL), 1);
    assert_int_equal(o->status, ORDER_UNTRIGGERED);
    assert_int_equal(bybit_apply_status(c->b, "S", "Triggered", "0", NULL, NULL), 1);
    assert_int_equal(o->status, ORDER_TRIGGERED);
    assert_int_equal(
        bybit_apply_exec(c->b, "S", "s1", "65114.1", "0.010", "651.141", "0.358", false, 5000), 1);
    assert_int_equal(o->status, ORDER_FILLED);
    errno = 0;
    /* Filled is closed: no way back to waiting */
    assert_int_equal(bybit_apply_status(c->b, "S", "Untriggered", "0.010", NULL, NULL), -1);
    assert_int_equal(errno, EPROTO);

    order_t *r = s_order(c, "R", 1, 10, 651142);
    assert_int_equal(
        bybit_apply_status(c->b, "R", "Rejected", "0", "uuid-r", "EC_PostOnlyWillTakeLiquidity"),
        1);
    assert_int_equal(r->status, ORDER_REJECTED);
    assert_string_equal(r->reject_reason, "EC_PostOnlyWillTakeLiquidity");

    order_t *u = s_order(c, "U", 1, 10, 0);
    assert_int_equal(bybit_apply_status(c->b, "U", "Untriggered", "0", NULL, NULL), 1);
    assert_int_equal(bybit_apply_status(c->b, "U", "Deactivated", "0", NULL, NULL), 1);
    assert_int_equal(u->status, ORDER_DEACTIVATED);
    orders_check(c->orders);
}

static void
test_errors(void **state)
{
    ctx_t *c = *state;
    s_order(c, "X", 1, 10, 651142);
    errno = 0;
    assert_int_equal(bybit_apply_exec(c->b, "nobody", "n1", "1", "0.001", "1", "0", true, 1), -1);
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_int_equal(bybit_apply_exec(c->b, "X", "x1", "abc", "0.001", "1", "0", true, 1), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    /* more than the order's quantity */
    assert_int_equal(
        bybit_apply_exec(c->b, "X", "x2", "65114.2", "0.020", "1302.284", "0", true, 1), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(bybit_apply_status(c->b, "X", "Sleeping", "0", NULL, NULL), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(bybit_apply_status(c->b, "nobody", "New", "0", NULL, NULL), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(bybit_state(c->b), "reconciling"); /* until the first full poll */
}

static void
test_create_body_rounding(void **state)
{
    (void)state;
    instr_t in;
    memset(&in, 0, sizeof in);
    snprintf(in.venue, sizeof in.venue, "bybit-linear");
    snprintf(in.symbol, sizeof in.symbol, "BTCUSDT");
    in.px_scale = 2;
    in.qty_scale = 4;
    in.tick = 10; /* 0.10 */
    in.step = 10; /* 0.0010 */
    codec_risk_order_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.client_id, sizeof r.client_id, "cid-1");
    snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
    snprintf(r.intent, sizeof r.intent, "entry");
    r.px_scale = 2;
    r.qty_scale = 4;
    r.side = 1;
    r.type = CODEC_ORD_LIMIT;
    r.qty = 1234;      /* 0.1234 -> down to the step: 0.1230 */
    r.px = 6511427;    /* 65114.27 -> buy: down to 65114.20 */
    r.tp_px = 6600004; /* 66000.04 -> half-even to the tick: 66000.00 */
    bybit_opts_t opt;
    bybit_opts_for(&r, &opt);
    char buf[1024];
    assert_int_equal(bybit_create_body(&r, &in, &opt, buf, sizeof buf), 0);
    assert_string_equal(buf, "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                             "\"orderType\":\"Limit\",\"qty\":\"0.1230\",\"price\":\"65114.20\","
                             "\"timeInForce\":\"GTC\",\"orderLinkId\":\"cid-1\","
                             "\"takeProfit\":\"66000.00\",\"tpslMode\":\"Full\"}");
    r.side = -1; /* sell: price up to the tick, 65114.30 */
    r.tp_px = 0;
    bybit_opts_for(&r, &opt);
    opt.tif = "PostOnly";
    assert_int_equal(bybit_create_body(&r, &in, &opt, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "\"price\":\"65114.30\",\"timeInForce\":\"PostOnly\""));
    /* a reduce-only stop: conditional market, sell stop waits for a fall (direction 2), and
     * no TP/SL on a reduce-only order */
    r.type = CODEC_ORD_MARKET;
    r.reduce_only = true;
    r.px = 6500000;
    r.sl_px = 6400000;
    snprintf(r.intent, sizeof r.intent, "stop_loss");
    bybit_opts_for(&r, &opt);
    assert_int_equal(opt.trigger_direction, 2);
    assert_int_equal(opt.sl_px, 0);
    assert_int_equal(bybit_create_body(&r, &in, &opt, buf, sizeof buf), 0);
    assert_string_equal(buf, "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Sell\","
                             "\"orderType\":\"Market\",\"qty\":\"0.1230\","
                             "\"orderLinkId\":\"cid-1\",\"reduceOnly\":true,"
                             "\"triggerPrice\":\"65000.00\",\"triggerDirection\":2,"
                             "\"triggerBy\":\"LastPrice\"}");
    snprintf(r.intent, sizeof r.intent, "take_profit");
    bybit_opts_for(&r, &opt);
    assert_int_equal(opt.trigger_direction, 1); /* a sell target waits for a rise */
    r.qty = 9;                                  /* below one step: rounds to 0 */
    errno = 0;
    assert_int_equal(bybit_create_body(&r, &in, &opt, buf, sizeof buf), -1);
    assert_int_equal(errno, EINVAL);
    r.qty = 1230;
    errno = 0;
    assert_int_equal(bybit_create_body(&r, &in, &opt, buf, 20), -1);
    assert_int_equal(errno, ENOBUFS);
    /* explicit fields of the request win: an IOC limit, a conditional buy above the market */
    snprintf(r.intent, sizeof r.intent, "entry");
    r.reduce_only = false;
    r.sl_px = 0;
    r.side = 1;
    r.type = CODEC_ORD_LIMIT;
    r.px = 6511420;
    snprintf(r.tif, sizeof r.tif, "IOC");
    r.trigger_px = 6520000;
    r.trigger_dir = 1;
    bybit_opts_for(&r, &opt);
    assert_string_equal(opt.tif, "IOC");
    assert_int_equal(opt.trigger_px, 6520000);
    assert_int_equal(opt.trigger_direction, 1);
    assert_int_equal(bybit_create_body(&r, &in, &opt, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "\"timeInForce\":\"IOC\""));
    assert_non_null(strstr(buf, "\"triggerPrice\":\"65200.00\",\"triggerDirection\":1"));
}

static void
test_new_einval(void **state)
{
    (void)state;
    venue_cfg_t vc;
    memset(&vc, 0, sizeof vc);
    errno = 0;
    assert_null(bybit_new(&vc));
    assert_int_equal(errno, EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_partial_then_filled_and_duplicate, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order_and_before_ack, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_status_waits_for_fills, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_conditional_and_rejected, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_errors, s_setup, s_teardown),
        cmocka_unit_test(test_create_body_rounding),
        cmocka_unit_test(test_new_einval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
