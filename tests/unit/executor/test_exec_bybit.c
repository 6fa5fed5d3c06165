/*  test_exec_bybit.c - the live venue's order state, exactly (executor/bybit.h): partial
 *  fills, fills out of order, duplicate executions, a fill before the ack, statuses that
 *  wait for their fills, conditional orders; and the create body's rounding.
 *  No venue is contacted: bybit_venue_new does no I/O, and the tests feed executions and statuses
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

#include "common/clock.h"
#include "executor/bybit.h"

typedef struct {
    char topic[32];
    codec_type_t type;
    codec_exec_order_t xo;
    codec_exec_fill_t fill;
    codec_exec_position_t pos;
    codec_exec_balance_t bal;
    codec_md_status_t st;
} rec_t;

static rec_t g_rec[64];
static size_t g_n;
static int64_t g_md_time; /* the executor's latest md event time (venue_cfg_t.md_time) */

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
    } else if (type == CODEC_EXEC_BALANCE) {
        r->bal = *(const codec_exec_balance_t *)body;
    } else if (type == CODEC_MD_STATUS) {
        r->st = *(const codec_md_status_t *)body;
    }
}

typedef struct {
    orders_t *orders;
    instr_table_t *instr;
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
    /* rules as instruments-info gives them: BTCUSDT tick 0.10 / step 0.001 (px_scale 1,
     * qty_scale 3), ETHUSDT tick 0.01 / step 0.01 (px_scale 2, qty_scale 2) */
    c.instr = instr_table_new();
    assert_non_null(c.instr);
    instr_t in;
    assert_int_equal(
        instr_from_strings(&in, "bybit-linear", "linear", "BTCUSDT", "0.10", "0.001", "0.001", "5"),
        0);
    assert_int_equal(instr_table_put(c.instr, &in), 0);
    assert_int_equal(
        instr_from_strings(&in, "bybit-linear", "linear", "ETHUSDT", "0.01", "0.01", "0.01", "5"),
        0);
    assert_int_equal(instr_table_put(c.instr, &in), 0);
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
    vc.instr = c.instr;
    g_md_time = 0;
    vc.md_time = &g_md_time;
    c.b = bybit_venue_new(&vc);
    assert_non_null(c.b);
    *state = &c;
    return 0;
}

static int
s_teardown(void **state)
{
    ctx_t *c = *state;
    bybit_venue_destroy(&c->b);
    orders_destroy(&c->orders);
    instr_table_destroy(&c->instr);
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
    /* positions come from the venue (push or poll), never from our own fills */
    assert_int_equal(s_count("exec.position"), 0);
    /* the last exec.order says Filled */
    rec_t *last_order = NULL;
    for (size_t i = 0; i < g_n; i++) {
        if (g_rec[i].type == CODEC_EXEC_ORDER) {
            last_order = &g_rec[i];
        }
    }
    assert_non_null(last_order);
    if (!last_order) {
        return; /* not reached: the assert fails first (tells static analysis so) */
    }
    assert_string_equal(last_order->xo.status, "Filled");
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
    assert_non_null(f);
    if (!f) {
        return; /* not reached */
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

/* The text of a file under data/ (cwd is the repository root); borrowed until the next call. */
static char *
s_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[16384];
    *len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

static rec_t *
s_last(codec_type_t type)
{
    for (size_t i = g_n; i-- > 0;) {
        if (g_rec[i].type == type) {
            return &g_rec[i];
        }
    }
    return NULL;
}

/* Position pushes with the real field names (data/bybit_v5_private/nautilus_ws_account_position
 * .json: ETHUSDT Sell 0.01 entryPrice 3641.075 markPrice 3641.33 unrealisedPnl -0.00255
 * updatedTime 1762199125472 seq 325852190774; doc_ws_position.json: BTCUSDT flat), and the
 * rule when a push and a poll disagree or come out of order. */
static void
test_position_push_and_poll(void **state)
{
    ctx_t *c = *state;
    size_t len;
    const char *text = s_file("data/bybit_v5_private/nautilus_ws_account_position.json", &len);
    assert_int_equal(bybit_ws_message(c->b, text, len), 0);
    assert_int_equal(s_count("exec.position"), 1);
    const codec_exec_position_t *p = &s_last(CODEC_EXEC_POSITION)->pos;
    assert_string_equal(p->venue, "bybit-linear");
    assert_string_equal(p->symbol, "ETHUSDT");
    assert_int_equal(p->px_scale, 2);
    assert_int_equal(p->qty_scale, 2);
    assert_int_equal(p->qty, -1);                 /* Sell 0.01 at qty scale 2 */
    assert_int_equal(p->entry_px, 364108);        /* 3641.075 half-even to 0.01: 3641.08 */
    assert_int_equal(p->mark_px, 364133);         /* 3641.33 */
    assert_int_equal(p->unrealized_pnl, -255000); /* -0.00255 at scale 8 */
    assert_int_equal(p->realized_pnl, 0);         /* no fill of ours: gross realised 0 */
    assert_int_equal(p->ts_event, 1762199125472LL * 1000000); /* updatedTime, ns */

    /* the same push again (Bybit pushes on every order create/amend/cancel): not published */
    assert_int_equal(bybit_ws_message(c->b, text, len), 0);
    assert_int_equal(s_count("exec.position"), 1);

    /* a poll answer older than the push (seq one lower, size 0.02): dropped, ESTALE */
    json_t *old =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "symbol", "ETHUSDT", "side", "Sell",
                  "size", "0.02", "avgPrice", "3641.00", "markPrice", "3641.00", "unrealisedPnl",
                  "0", "updatedTime", "1762199125000", "seq", (json_int_t)325852190773LL);
    errno = 0;
    assert_int_equal(bybit_apply_position(c->b, old, 1762199126000LL, false), -1);
    assert_int_equal(errno, ESTALE);
    json_decref(old);
    assert_int_equal(s_count("exec.position"), 1);

    /* a poll of the same version (same seq and updatedTime) with a newer mark: Bybit does not
     * bump seq for mark moves, so it is published as a mark update; REST says avgPrice */
    json_t *poll =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "symbol", "ETHUSDT", "side", "Sell",
                  "size", "0.01", "avgPrice", "3641.075", "markPrice", "3650.00", "unrealisedPnl",
                  "-0.08925", "updatedTime", "1762199125472", "seq", (json_int_t)325852190774LL);
    assert_int_equal(bybit_apply_position(c->b, poll, 1762199127000LL, false), 1);
    json_decref(poll);
    p = &s_last(CODEC_EXEC_POSITION)->pos;
    assert_int_equal(p->mark_px, 365000);
    assert_int_equal(p->entry_px, 364108);
    assert_int_equal(p->unrealized_pnl, -8925000); /* (3641.075 - 3650.00) x 0.01 */

    /* the close arrives as a push with a higher seq: flat, entry 0 */
    json_t *flat =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "symbol", "ETHUSDT", "side", "",
                  "size", "0", "entryPrice", "0", "markPrice", "3650.00", "unrealisedPnl", "0",
                  "updatedTime", "1762199130000", "seq", (json_int_t)325852190780LL);
    assert_int_equal(bybit_apply_position(c->b, flat, -1, true), 1);
    json_decref(flat);
    p = &s_last(CODEC_EXEC_POSITION)->pos;
    assert_int_equal(p->qty, 0);
    assert_int_equal(p->entry_px, 0);
    assert_int_equal(s_count("exec.position"), 3);
    /* ... and the first push, replayed late, cannot reopen it */
    assert_int_equal(bybit_ws_message(c->b, text, len), 0);
    assert_int_equal(s_count("exec.position"), 3);

    /* the docs' example: BTCUSDT flat (hedge-mode idx 2, same fields) */
    text = s_file("data/bybit_v5_private/doc_ws_position.json", &len);
    assert_int_equal(bybit_ws_message(c->b, text, len), 0);
    p = &s_last(CODEC_EXEC_POSITION)->pos;
    assert_string_equal(p->symbol, "BTCUSDT");
    assert_int_equal(p->qty, 0);
    assert_int_equal(p->mark_px, 281845); /* 28184.5 at px scale 1 */

    /* a symbol with no rules and no fill of ours: no scales, ENOENT */
    json_t *unk = json_pack("{s:s, s:s, s:s, s:s}", "symbol", "XRPUSDT", "side", "Buy", "size", "1",
                            "markPrice", "0.5");
    errno = 0;
    assert_int_equal(bybit_apply_position(c->b, unk, -1, true), -1);
    assert_int_equal(errno, ENOENT);
    json_decref(unk);
    /* a size without a side is malformed */
    json_t *bad = json_pack("{s:s, s:s, s:s, s:s}", "symbol", "BTCUSDT", "side", "", "size",
                            "0.001", "markPrice", "28184.5");
    errno = 0;
    assert_int_equal(bybit_apply_position(c->b, bad, -1, true), -1);
    assert_int_equal(errno, EINVAL);
    json_decref(bad);
    assert_int_equal(s_count("exec.position"), 4);
}

/* Wallet push (data/bybit_v5_private/doc_ws_wallet.json: creationTime 1700034722104,
 * totalWalletBalance 9684.46297164, totalAvailableBalance 9556.6056555, totalEquity
 * 10262.91335023) and a poll around it. */
static void
test_wallet_push_and_poll(void **state)
{
    ctx_t *c = *state;
    size_t len;
    const char *text = s_file("data/bybit_v5_private/doc_ws_wallet.json", &len);
    assert_int_equal(bybit_ws_message(c->b, text, len), 0);
    assert_int_equal(s_count("exec.balance"), 1);
    const codec_exec_balance_t *b = &s_last(CODEC_EXEC_BALANCE)->bal;
    assert_string_equal(b->venue, "bybit-linear");
    assert_string_equal(b->asset, "USDT");
    assert_int_equal(b->wallet, 968446297164);
    assert_int_equal(b->available, 955660565550);
    assert_int_equal(b->equity, 1026291335023);
    assert_int_equal(b->ts_event, 1700034722104LL * 1000000);
    /* the same push again: a duplicate */
    assert_int_equal(bybit_ws_message(c->b, text, len), 0);
    assert_int_equal(s_count("exec.balance"), 1);
    /* a poll answered 1 ms before the push, with other figures: older, dropped */
    json_t *w = json_pack("{s:s, s:s, s:s}", "totalWalletBalance", "9000", "totalAvailableBalance",
                          "9000", "totalEquity", "9000");
    errno = 0;
    assert_int_equal(bybit_apply_wallet(c->b, w, 1700034722103LL, false), -1);
    assert_int_equal(errno, ESTALE);
    json_decref(w);
    /* the same figures by a poll 1 s later: a duplicate; 5 s after the last publication:
     * re-published (a restarted risk learns the equity) */
    json_t *same =
        json_pack("{s:s, s:s, s:s}", "totalWalletBalance", "9684.46297164", "totalAvailableBalance",
                  "9556.6056555", "totalEquity", "10262.91335023");
    assert_int_equal(bybit_apply_wallet(c->b, same, 1700034723104LL, false), 0);
    assert_int_equal(bybit_apply_wallet(c->b, same, 1700034727104LL, false), 1);
    json_decref(same);
    assert_int_equal(s_count("exec.balance"), 2);
    /* malformed: a frame without a topic, a wallet without totals */
    errno = 0;
    assert_int_equal(bybit_ws_message(c->b, "{\"op\":\"pong\"}", 13), -1);
    assert_int_equal(errno, EINVAL);
    json_t *none = json_object();
    errno = 0;
    assert_int_equal(bybit_apply_wallet(c->b, none, 1700034728000LL, true), -1);
    assert_int_equal(errno, EINVAL);
    json_decref(none);
}

/* Spot create bodies (BYBIT_V5.md 2.6): no reduceOnly, marketUnit baseCoin on market buys,
 * no trigger / TP / SL. Instrument bybit-spot BTCUSDT tick 0.1 (px_scale 1), basePrecision
 * 0.000001 (qty_scale 6). */
static void
test_spot_body(void **state)
{
    (void)state;
    instr_t in;
    assert_int_equal(instr_from_strings(&in, "bybit-spot", "spot", "BTCUSDT", "0.1", "0.000001",
                                        "0.000001", "5"),
                     0);
    codec_risk_order_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.client_id, sizeof r.client_id, "sp-1");
    snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
    snprintf(r.intent, sizeof r.intent, "entry");
    r.px_scale = 1;
    r.qty_scale = 6;
    r.side = 1;
    r.type = CODEC_ORD_MARKET;
    r.qty = 1500; /* 0.001500 */
    r.reduce_only = true;
    bybit_opts_t opt;
    bybit_opts_for(&r, &opt);
    opt.category = "spot";
    char buf[1024];
    assert_int_equal(bybit_create_body(&r, &in, &opt, buf, sizeof buf), 0);
    assert_string_equal(buf, "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                             "\"orderType\":\"Market\",\"qty\":\"0.001500\","
                             "\"marketUnit\":\"baseCoin\",\"orderLinkId\":\"sp-1\"}");
    /* a limit sell: price up to the tick, no marketUnit */
    r.side = -1;
    r.type = CODEC_ORD_LIMIT;
    r.px = 651405; /* 65140.5 */
    r.reduce_only = false;
    bybit_opts_for(&r, &opt);
    opt.category = "spot";
    assert_int_equal(bybit_create_body(&r, &in, &opt, buf, sizeof buf), 0);
    assert_string_equal(buf, "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Sell\","
                             "\"orderType\":\"Limit\",\"qty\":\"0.001500\",\"price\":\"65140.5\","
                             "\"timeInForce\":\"GTC\",\"orderLinkId\":\"sp-1\"}");
    /* an attached stop loss is not a spot create field: refused */
    r.sl_px = 640000;
    bybit_opts_for(&r, &opt);
    opt.category = "spot";
    errno = 0;
    assert_int_equal(bybit_create_body(&r, &in, &opt, buf, sizeof buf), -1);
    assert_int_equal(errno, ENOTSUP);
}

/* Spot holdings come from the wallet: a wallet push with USDT and BTC coins becomes
 * exec.balance (USDT cash = its walletBalance, available = walletBalance - locked) and an
 * exec.position for BTCUSDT (size = the BTC walletBalance); BTC gone from the list -> flat. */
static void
test_spot_wallet(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/tp-bybit-spot.%d", (int)getpid());
    unlink(path);
    orders_t *orders = orders_new();
    instr_table_t *tab = instr_table_new();
    instr_t in;
    assert_int_equal(instr_from_strings(&in, "bybit-spot", "spot", "BTCUSDT", "0.1", "0.000001",
                                        "0.000001", "5"),
                     0);
    assert_int_equal(instr_table_put(tab, &in), 0);
    venue_cfg_t vc;
    memset(&vc, 0, sizeof vc);
    vc.name = "bybit";
    vc.orders = orders;
    vc.emit = s_emit;
    vc.asset = "USDT";
    vc.start_balance = 1000000000000;
    vc.base_url = "http://127.0.0.1:1";
    vc.api_key = "k";
    vc.api_secret = "s";
    vc.journal_path = path;
    vc.max_offset_ms = 500;
    vc.category = "spot";
    vc.instr = tab;
    bybit_t *b = bybit_venue_new(&vc);
    assert_non_null(b);
    g_n = 0;
    /* a spot buy's fee in the base coin (feeCurrency BTC, as Bybit charges it): 0.000001 BTC
     * x 65140.5 = 0.0651405 USDT */
    codec_risk_order_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.client_id, sizeof r.client_id, "SB");
    snprintf(r.venue, sizeof r.venue, "bybit-spot");
    snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
    r.side = 1;
    r.type = CODEC_ORD_MARKET;
    r.px_scale = 1;
    r.qty_scale = 6;
    r.qty = 1000;
    order_t *o = orders_add(orders, &r, "spot", false, 0, "bybit");
    assert_non_null(o);
    o->sent = true;
    const char *ex = "{\"topic\":\"execution\",\"data\":[{\"category\":\"spot\","
                     "\"orderLinkId\":\"SB\",\"execId\":\"sx1\",\"execPrice\":\"65140.5\","
                     "\"execQty\":\"0.001\",\"execValue\":\"65.1405\",\"execFee\":\"0.000001\","
                     "\"feeCurrency\":\"BTC\",\"isMaker\":false,\"execTime\":\"1786310899000\"}]}";
    assert_int_equal(bybit_ws_message(b, ex, strlen(ex)), 0);
    assert_int_equal(s_last(CODEC_EXEC_FILL)->fill.fee, 6514050); /* 0.0651405 at scale 8 */
    assert_int_equal(o->fee, 6514050);
    const char *push = "{\"topic\":\"wallet\",\"creationTime\":1786310900000,\"data\":[{"
                       "\"accountType\":\"UNIFIED\",\"totalEquity\":\"9999.9\","
                       "\"totalWalletBalance\":\"9999.9\",\"totalAvailableBalance\":\"9349.9\","
                       "\"coin\":[{\"coin\":\"USDT\",\"walletBalance\":\"9934.75\","
                       "\"locked\":\"650\"},{\"coin\":\"BTC\",\"walletBalance\":\"0.001\","
                       "\"locked\":\"0\"}]}]}";
    assert_int_equal(bybit_ws_message(b, push, strlen(push)), 0);
    const codec_exec_balance_t *bal = &s_last(CODEC_EXEC_BALANCE)->bal;
    assert_string_equal(bal->venue, "bybit-spot");
    assert_int_equal(bal->wallet, 993475000000);    /* 9934.75: the USDT coin, not the total */
    assert_int_equal(bal->available, 928475000000); /* 9934.75 - 650 locked */
    assert_int_equal(bal->equity, 999990000000);    /* totalEquity: all coins */
    const codec_exec_position_t *p = &s_last(CODEC_EXEC_POSITION)->pos;
    assert_string_equal(p->symbol, "BTCUSDT");
    assert_int_equal(p->qty_scale, 6);
    assert_int_equal(p->qty, 1000); /* 0.001 BTC */
    assert_int_equal(p->ts_event, 1786310900000LL * 1000000);
    /* the BTC sold: the coin is gone from the next push -> flat */
    const char *sold = "{\"topic\":\"wallet\",\"creationTime\":1786310901000,\"data\":[{"
                       "\"totalEquity\":\"9999.8\",\"totalWalletBalance\":\"9999.8\","
                       "\"totalAvailableBalance\":\"9999.8\",\"coin\":[{\"coin\":\"USDT\","
                       "\"walletBalance\":\"9999.8\",\"locked\":\"0\"}]}]}";
    assert_int_equal(bybit_ws_message(b, sold, strlen(sold)), 0);
    p = &s_last(CODEC_EXEC_POSITION)->pos;
    assert_int_equal(p->qty, 0);
    assert_int_equal(s_count("exec.position"), 2);
    bybit_venue_destroy(&b);
    orders_destroy(&orders);
    instr_table_destroy(&tab);
    unlink(path);
}

/* exec.status.bybit-linear: once at start ("reconciling", "start", wall clock without md),
 * repeated 5 s later while not running with the latest md time; new entries are refused while
 * reconciling, reduce-only exits go out. */
static void
test_status_and_reconciling_refusal(void **state)
{
    ctx_t *c = *state;
    int64_t wall = clock_wall_ns();
    assert_int_equal(s_count("exec.status.bybit-linear"), 1); /* published by bybit_venue_new */
    const rec_t *r = &g_rec[0];
    assert_int_equal(r->type, CODEC_MD_STATUS);
    assert_string_equal(r->st.venue, "bybit-linear");
    assert_string_equal(r->st.symbol, "");
    assert_string_equal(r->st.state, "reconciling");
    assert_string_equal(r->st.reason, "start");
    /* no md seen yet: the wall clock at bybit_venue_new, i.e. within the last minute */
    assert_true(r->st.ts_event <= wall && r->st.ts_event > wall - 60 * 1000000000LL);
    /* the repeat, on the 1 s tick nearest to 5 s after the last one (published just now):
     * not at +0 or +4 s, yes at +5 s */
    int64_t now_ms = clock_mono_ns() / CLOCK_NS_PER_MS;
    assert_int_equal(bybit_status_tick(c->b, now_ms), 0);
    assert_int_equal(bybit_status_tick(c->b, now_ms + 4000), 0);
    g_md_time = 1786310899000000000LL;
    assert_int_equal(bybit_status_tick(c->b, now_ms + 5000), 1);
    assert_int_equal(s_count("exec.status.bybit-linear"), 2);
    assert_string_equal(g_rec[g_n - 1].st.state, "reconciling");
    assert_int_equal(g_rec[g_n - 1].st.ts_event, 1786310899000000000LL); /* the md time */
    /* an entry while reconciling: Rejected with the reason, never sent */
    const instr_t *in = instr_table_get(c->instr, "bybit-linear", "BTCUSDT");
    assert_non_null(in);
    order_t *o = s_order(c, "E1", 1, 1, 650000);
    errno = 0;
    assert_int_equal(bybit_ops()->place(c->b, o, in), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(o->status, ORDER_REJECTED);
    const rec_t *x = s_last(CODEC_EXEC_ORDER);
    assert_string_equal(x->xo.client_id, "E1");
    assert_string_equal(x->xo.status, "Rejected");
    assert_string_equal(x->xo.reject_reason, "venue reconciling: start");
    /* a reduce-only exit goes out (New; the venue at 127.0.0.1:1 then refuses the
     * connection: outcome unknown, the order stays New for the poll to resolve) */
    order_t *ro = s_order(c, "X1", -1, 1, 0);
    ro->req.reduce_only = true;
    assert_int_equal(bybit_ops()->place(c->b, ro, in), 0);
    assert_int_equal(ro->status, ORDER_NEW);
    assert_string_equal(s_last(CODEC_EXEC_ORDER)->xo.client_id, "X1");
    assert_string_equal(s_last(CODEC_EXEC_ORDER)->xo.status, "New");
}

static void
test_new_einval(void **state)
{
    (void)state;
    venue_cfg_t vc;
    memset(&vc, 0, sizeof vc);
    errno = 0;
    assert_null(bybit_venue_new(&vc));
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
        cmocka_unit_test_setup_teardown(test_position_push_and_poll, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_wallet_push_and_poll, s_setup, s_teardown),
        cmocka_unit_test(test_create_body_rounding),
        cmocka_unit_test(test_spot_body),
        cmocka_unit_test(test_spot_wallet),
        cmocka_unit_test_setup_teardown(test_status_and_reconciling_refusal, s_setup, s_teardown),
        cmocka_unit_test(test_new_einval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
