/*  test_paper.c - the paper venue's fill rules (executor/paper.h, docs/executor.md).
 *  Linear instrument: px_scale 2 (100.00 -> 10000), qty_scale 3 (0.100 -> 100).
 *  Spot (bar-only) instrument: px_scale 2, qty_scale 5 (0.01000 -> 1000).
 *  Rates: taker 0.1 % (100000 at scale 8), maker 0.05 % (50000); slippage cap 1 %.
 *  Amounts at MONEY_VALUE_SCALE 8 (1.00 -> 100000000).
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

#include "executor/paper.h"

#define E8 100000000LL

typedef struct {
    char topic[32];
    codec_type_t type;
    codec_body_t body;
    int64_t evt, origin;
} rec_t;

static rec_t g_rec[512];
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
                                              : 0;
    assert_true(sz > 0);
    memcpy(&r->body, body, sz);
    r->evt = evt;
    r->origin = origin;
}

/* The k-th recorded message of `type` (0-based), or fail the test. */
static const rec_t *
s_nth(codec_type_t type, size_t k)
{
    for (size_t i = 0; i < g_n; i++) {
        if (g_rec[i].type == type && k-- == 0) {
            return &g_rec[i];
        }
    }
    fail_msg("no message %d #%zu", (int)type, k);
    return NULL;
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

typedef struct {
    orders_t *orders;
    paper_t *paper;
} fx_t;

static int
s_setup(void **state)
{
    static fx_t fx;
    g_n = 0;
    fx.orders = orders_new();
    venue_cfg_t c = {
        .name = "paper",
        .orders = fx.orders,
        .emit = s_emit,
        .asset = "USDT",
        .start_balance = 10000 * E8,
        .taker_fee = 100000,       /* 0.001 */
        .maker_fee = 50000,        /* 0.0005 */
        .slippage_cap = 100000000, /* 1.0 % */
    };
    fx.paper = paper_new(&c);
    if (!fx.orders || !fx.paper) {
        return -1;
    }
    *state = &fx;
    return 0;
}

static int
s_teardown(void **state)
{
    fx_t *fx = *state;
    paper_check(fx->paper);
    orders_check(fx->orders);
    paper_destroy(&fx->paper);
    orders_destroy(&fx->orders);
    return 0;
}

static codec_md_book_t
s_book(const char *venue, int64_t ts, const codec_level_t *bids, uint32_t nb,
       const codec_level_t *asks, uint32_t na)
{
    codec_md_book_t b;
    memset(&b, 0, sizeof b);
    snprintf(b.venue, sizeof b.venue, "%s", venue);
    snprintf(b.symbol, sizeof b.symbol, "BTCUSDT");
    b.px_scale = 2;
    b.qty_scale = 3;
    b.ts_event = ts;
    b.n_bids = nb;
    b.n_asks = na;
    if (nb > 0) {
        memcpy(b.bids, bids, nb * sizeof *bids);
    }
    if (na > 0) {
        memcpy(b.asks, asks, na * sizeof *asks);
    }
    return b;
}

static order_t *
s_order(fx_t *fx, const char *cid, const char *venue, int8_t side, uint8_t type, int64_t qty,
        int64_t px, int64_t ts, bool spot)
{
    codec_risk_order_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.client_id, sizeof r.client_id, "%s", cid);
    snprintf(r.venue, sizeof r.venue, "%s", venue);
    snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
    r.side = side;
    r.type = type;
    r.px_scale = 2;
    r.qty_scale = spot ? 5 : 3;
    r.qty = qty;
    r.px = px;
    r.ts_event = ts;
    order_t *o = orders_add(fx->orders, &r, spot ? "spot" : "linear", spot, 555, "paper");
    assert_non_null(o);
    return o;
}

/* asks 100.00 x 0.100, 100.50 x 0.200, 101.00 x 0.300; bid 99.90 x 1.000 */
static const codec_level_t k_bids1[] = { { 9990, 1000 } };
static const codec_level_t k_asks3[] = { { 10000, 100 }, { 10050, 200 }, { 10100, 300 } };

static void
test_walk_three_levels(void **state)
{
    fx_t *fx = *state;
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3);
    paper_on_book(fx->paper, &b, 1);
    order_t *o = s_order(fx, "c1", "bybit-linear", 1, CODEC_ORD_MARKET, 450, 0, 6000, false);
    assert_int_equal(paper_place(fx->paper, o, NULL), 0);
    /* buy 0.450: 0.100 @ 100.00, 0.200 @ 100.50, 0.150 @ 101.00 (all within 1 % of 100.00)
     * notionals 10.00 + 20.10 + 15.15 = 45.25; avg 45.25 / 0.45 = 100.5555.. -> 100.56;
     * taker fees 0.1 %: 0.0100 + 0.0201 + 0.01515 = 0.04525 */
    assert_int_equal(o->status, ORDER_FILLED);
    assert_int_equal(o->cum_qty, 450);
    assert_int_equal(o->avg_px, 10056);
    assert_int_equal(o->fee, 4525000);
    assert_int_equal(s_count(CODEC_EXEC_FILL), 3);
    const rec_t *f3 = s_nth(CODEC_EXEC_FILL, 2);
    assert_string_equal(f3->body.fill.fill_id, "px-c1-3");
    assert_int_equal(f3->body.fill.px, 10100);
    assert_int_equal(f3->body.fill.qty, 150);
    assert_int_equal(f3->body.fill.fee, 1515000);
    assert_false(f3->body.fill.maker);
    assert_int_equal(f3->evt, 6000);   /* max(book 5000, order 6000) */
    assert_int_equal(f3->origin, 555); /* the request's origin */
    /* outputs: New, then per fill exec.fill, exec.order, exec.position, exec.balance */
    assert_int_equal(g_n, 1 + 3 * 4);
    assert_string_equal(g_rec[0].body.xorder.status, "New");
    assert_string_equal(g_rec[1].topic, "exec.fill");
    assert_string_equal(g_rec[2].body.xorder.status, "PartiallyFilled");
    assert_string_equal(g_rec[3].topic, "exec.position");
    assert_string_equal(g_rec[4].topic, "exec.balance");
    const rec_t *last = s_nth(CODEC_EXEC_ORDER, 3);
    assert_string_equal(last->body.xorder.status, "Filled");
    assert_int_equal(last->body.xorder.avg_px, 10056);
    /* balance after the last fill: 10000 - 0.04525 fees; mark = 101.00 (last fill):
     * unrealised = 101.00 x 0.45 - 45.25 = 0.20 */
    const rec_t *bal = s_nth(CODEC_EXEC_BALANCE, 2);
    assert_int_equal(bal->body.balance.wallet, 10000 * E8 - 4525000);
    assert_int_equal(bal->body.balance.equity, 10000 * E8 - 4525000 + 20000000);
    /* our fills depleted the book copy: 0.150 left at 101.00; a second buy of 0.200 takes it
     * and the rest is cancelled (linear: "Cancelled" with cum_qty 0.150) */
    order_t *o2 = s_order(fx, "c2", "bybit-linear", 1, CODEC_ORD_MARKET, 200, 0, 6001, false);
    assert_int_equal(paper_place(fx->paper, o2, NULL), 0);
    assert_int_equal(o2->cum_qty, 150);
    assert_int_equal(o2->status, ORDER_CANCELLED);
    assert_int_equal(paper_working(fx->paper), 0);
}

/* A reduce-only order never flips or opens a position (Bybit's rule): long 0.100 after a buy;
 * a reduce-only sell of 0.300 fills 0.100 at the bid and the remaining 0.200 is cancelled;
 * another reduce-only sell with nothing open is cancelled without a fill. */
static void
test_reduce_only_clipped(void **state)
{
    fx_t *fx = *state;
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3);
    paper_on_book(fx->paper, &b, 1);
    order_t *buy = s_order(fx, "r1", "bybit-linear", 1, CODEC_ORD_MARKET, 100, 0, 6000, false);
    assert_int_equal(paper_place(fx->paper, buy, NULL), 0);
    assert_int_equal(buy->cum_qty, 100);
    order_t *sell = s_order(fx, "r2", "bybit-linear", -1, CODEC_ORD_MARKET, 300, 0, 6001, false);
    sell->req.reduce_only = true;
    assert_int_equal(paper_place(fx->paper, sell, NULL), 0);
    assert_int_equal(sell->cum_qty, 100); /* the 0.100 long, at the bid 99.90 */
    assert_int_equal(sell->avg_px, 9990);
    assert_int_equal(sell->status, ORDER_CANCELLED);
    const rec_t *pos = s_nth(CODEC_EXEC_POSITION, 1);
    assert_int_equal(pos->body.position.qty, 0); /* flat, not short 0.200 */
    size_t fills = s_count(CODEC_EXEC_FILL);
    order_t *again = s_order(fx, "r3", "bybit-linear", -1, CODEC_ORD_MARKET, 100, 0, 6002, false);
    again->req.reduce_only = true;
    assert_int_equal(paper_place(fx->paper, again, NULL), 0);
    assert_int_equal(again->cum_qty, 0);
    assert_int_equal(again->status, ORDER_CANCELLED);
    assert_int_equal(s_count(CODEC_EXEC_FILL), fills);
    assert_int_equal(paper_working(fx->paper), 0);
}

static void
test_partial_when_depth_runs_out(void **state)
{
    fx_t *fx = *state;
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3);
    paper_on_book(fx->paper, &b, 0);
    codec_md_book_t sb = s_book("bybit-spot", 5000, k_bids1, 1, k_asks3, 3);
    paper_on_book(fx->paper, &sb, 0);
    /* the book holds 0.600 in total: a buy of 1.000 fills 0.600 and cancels the rest */
    order_t *o = s_order(fx, "lin", "bybit-linear", 1, CODEC_ORD_MARKET, 1000, 0, 6000, false);
    assert_int_equal(paper_place(fx->paper, o, NULL), 0);
    assert_int_equal(o->cum_qty, 600);
    assert_string_equal(order_status_name(o->status), "Cancelled");
    const rec_t *x = s_nth(CODEC_EXEC_ORDER, 4); /* New + 3 fills, then the cancel */
    assert_string_equal(x->body.xorder.status, "Cancelled");
    assert_int_equal(x->body.xorder.cum_qty, 600);
    /* spot category: PartiallyFilledCanceled (qty_scale 3 here to reuse the book: the
     * category decides the word, not the scale) */
    order_t *s = s_order(fx, "spt", "bybit-spot", 1, CODEC_ORD_MARKET, 1000, 0, 6000, false);
    s->spot = true;
    assert_int_equal(paper_place(fx->paper, s, NULL), 0);
    assert_int_equal(s->cum_qty, 600);
    assert_string_equal(order_status_name(s->status), "PartiallyFilledCanceled");
    /* a sell when the bid side is empty: nothing fills, plain Cancelled */
    codec_md_book_t e = s_book("bybit-linear", 7000, NULL, 0, k_asks3, 3);
    paper_on_book(fx->paper, &e, 0);
    order_t *z = s_order(fx, "none", "bybit-linear", -1, CODEC_ORD_MARKET, 100, 0, 7000, false);
    assert_int_equal(paper_place(fx->paper, z, NULL), 0);
    assert_int_equal(z->cum_qty, 0);
    assert_int_equal(z->status, ORDER_CANCELLED);
}

static void
test_slippage_cap(void **state)
{
    fx_t *fx = *state;
    /* best ask 100.00; 1 % cap -> levels up to 101.00 inclusive are taken, 101.10 is not */
    const codec_level_t asks[] = { { 10000, 100 }, { 10100, 100 }, { 10110, 5000 } };
    /* best bid 100.00; levels down to 99.00 inclusive, 98.90 not */
    const codec_level_t bids[] = { { 10000, 100 }, { 9900, 100 }, { 9890, 5000 } };
    codec_md_book_t b = s_book("bybit-linear", 5000, bids, 3, asks, 3);
    paper_on_book(fx->paper, &b, 0);
    order_t *buy = s_order(fx, "b", "bybit-linear", 1, CODEC_ORD_MARKET, 1000, 0, 6000, false);
    assert_int_equal(paper_place(fx->paper, buy, NULL), 0);
    assert_int_equal(buy->cum_qty, 200);
    /* (10.00 + 10.10) / 0.2 = 100.50 */
    assert_int_equal(buy->avg_px, 10050);
    assert_int_equal(buy->status, ORDER_CANCELLED);
    order_t *sell = s_order(fx, "s", "bybit-linear", -1, CODEC_ORD_MARKET, 1000, 0, 6000, false);
    assert_int_equal(paper_place(fx->paper, sell, NULL), 0);
    assert_int_equal(sell->cum_qty, 200);
    assert_int_equal(sell->avg_px, 9950); /* (10.00 + 9.90) / 0.2 */
    assert_int_equal(sell->status, ORDER_CANCELLED);
}

static codec_md_kline_t
s_kline(int64_t start_ns, int64_t open, int64_t high, int64_t low, int64_t close, bool closed)
{
    codec_md_kline_t k;
    memset(&k, 0, sizeof k);
    snprintf(k.venue, sizeof k.venue, "binance-spot");
    snprintf(k.symbol, sizeof k.symbol, "BTCUSDT");
    k.px_scale = 2;
    k.qty_scale = 5;
    k.interval_s = 60;
    k.start_ns = start_ns;
    k.end_ns = start_ns + 60 * 1000000000LL;
    k.open = open;
    k.high = high;
    k.low = low;
    k.close = close;
    k.closed = closed;
    k.ts_event = k.end_ns - 1;
    return k;
}

#define SEC 1000000000LL

static void
test_bar_only_next_open(void **state)
{
    fx_t *fx = *state;
    /* decision at t = 1000 s (the close of the bar that started at 940 s) */
    order_t *o = s_order(fx, "k1", "binance-spot", 1, CODEC_ORD_MARKET, 1000, 0, 1000 * SEC, true);
    assert_int_equal(paper_place(fx->paper, o, NULL), 0);
    assert_int_equal(o->status, ORDER_NEW);
    assert_int_equal(paper_working(fx->paper), 1);
    /* a late update of the bar that started at 940 s: start < ts_event, no fill */
    codec_md_kline_t old = s_kline(940 * SEC, 6490000, 6510000, 6480000, 6500000, true);
    paper_on_kline(fx->paper, &old, 0);
    assert_int_equal(o->cum_qty, 0);
    /* the next bar starts at 1000 s, opens at 65000.00: fill 0.01 @ 65000.00 in full;
     * notional 650.00, taker fee 0.65 */
    codec_md_kline_t next = s_kline(1000 * SEC, 6500000, 6515000, 6495000, 6510000, true);
    paper_on_kline(fx->paper, &next, 0);
    assert_int_equal(o->status, ORDER_FILLED);
    assert_int_equal(o->avg_px, 6500000);
    const rec_t *f = s_nth(CODEC_EXEC_FILL, 0);
    assert_int_equal(f->body.fill.px, 6500000);
    assert_int_equal(f->body.fill.fee, 65000000);
    assert_int_equal(f->evt, 1000 * SEC); /* the kline's start */
    /* that kline was closed and a position is open: exec.position marked at the close
     * 65100.00: unrealised (65100 - 65000) x 0.01 = 1.00 */
    const rec_t *p = &g_rec[g_n - 1];
    assert_int_equal(p->type, CODEC_EXEC_POSITION);
    assert_int_equal(p->body.position.mark_px, 6510000);
    assert_int_equal(p->body.position.unrealized_pnl, 1 * E8);
    assert_int_equal(p->evt, next.ts_event);
    assert_int_equal(paper_working(fx->paper), 0);
}

static void
test_bar_only_expired(void **state)
{
    fx_t *fx = *state;
    order_t *o = s_order(fx, "k2", "binance-spot", -1, CODEC_ORD_MARKET, 1000, 0, 1000 * SEC, true);
    o->req.ttl_ns = 30 * SEC;
    assert_int_equal(paper_place(fx->paper, o, NULL), 0);
    /* the next bar starts 60 s later: beyond ts_event + ttl (1030 s) -> cancelled "expired" */
    codec_md_kline_t next = s_kline(1060 * SEC, 6500000, 6515000, 6495000, 6510000, false);
    paper_on_kline(fx->paper, &next, 0);
    assert_int_equal(o->status, ORDER_CANCELLED);
    assert_string_equal(o->reject_reason, "expired");
    assert_int_equal(s_count(CODEC_EXEC_FILL), 0);
}

static void
test_fee_half_even(void **state)
{
    (void)state;
    int64_t fee;
    /* 65000.01 x 0.00050 = 32.5000050 (7 decimals); x 0.001 = 0.0325000050 ->
     * 8 decimals: ...00.50 of the last unit, half-even -> 0.03250000 (even) */
    assert_int_equal(paper_fee(6500001, 2, 50, 5, 100000, &fee), 0);
    assert_int_equal(fee, 3250000);
    /* 65000.01 x 0.00150 = 97.5000150; fee 0.0975000150 -> 0.09750002 (9750001 is odd) */
    assert_int_equal(paper_fee(6500001, 2, 150, 5, 100000, &fee), 0);
    assert_int_equal(fee, 9750002);
    errno = 0;
    assert_int_equal(paper_fee(1, 10, 1, 10, 100000, &fee), -1); /* scales sum past 18 */
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(paper_fee(INT64_MAX, 2, INT64_MAX, 3, 100000, &fee), -1);
    assert_int_equal(errno, ERANGE);
}

static void
test_limit_rests_and_fills_through(void **state)
{
    fx_t *fx = *state;
    const codec_level_t bids[] = { { 9990, 1000 } };
    const codec_level_t asks[] = { { 10000, 100 }, { 10050, 1000 } };
    codec_md_book_t b = s_book("bybit-linear", 5000, bids, 1, asks, 2);
    paper_on_book(fx->paper, &b, 0);
    /* buy limit 99.50 x 0.100: not marketable (best ask 100.00) -> rests */
    order_t *o = s_order(fx, "L1", "bybit-linear", 1, CODEC_ORD_LIMIT, 100, 9950, 6000, false);
    assert_int_equal(paper_place(fx->paper, o, NULL), 0);
    assert_int_equal(o->status, ORDER_NEW);
    codec_md_trade_t t;
    memset(&t, 0, sizeof t);
    snprintf(t.venue, sizeof t.venue, "bybit-linear");
    snprintf(t.symbol, sizeof t.symbol, "BTCUSDT");
    t.px_scale = 2;
    t.qty_scale = 3;
    t.ts_event = 7000;
    t.px = 9950; /* AT the price: the queue ahead of us may have taken it */
    t.qty = 5000;
    paper_on_trade(fx->paper, &t, 0);
    assert_int_equal(o->cum_qty, 0);
    t.px = 9940; /* THROUGH the price: filled in full at 99.50, maker fee 0.05 % of 9.95 */
    t.ts_event = 7001;
    paper_on_trade(fx->paper, &t, 0);
    assert_int_equal(o->status, ORDER_FILLED);
    const rec_t *f = s_nth(CODEC_EXEC_FILL, 0);
    assert_int_equal(f->body.fill.px, 9950);
    assert_true(f->body.fill.maker);
    assert_int_equal(f->body.fill.fee, 497500); /* 9.95 x 0.0005 = 0.004975 */
    assert_int_equal(f->evt, 7001);
    /* marketable buy limit 100.00 x 0.300: takes 0.100 @ 100.00 (taker), rests 0.200 */
    order_t *m = s_order(fx, "L2", "bybit-linear", 1, CODEC_ORD_LIMIT, 300, 10000, 8000, false);
    assert_int_equal(paper_place(fx->paper, m, NULL), 0);
    assert_int_equal(m->status, ORDER_PARTIALLY_FILLED);
    assert_int_equal(m->cum_qty, 100);
    assert_int_equal(paper_working(fx->paper), 1);
    /* the book moves: best ask 100.00 again -> crosses our 100.00 -> the rest fills at
     * 100.00 as maker */
    const codec_level_t asks2[] = { { 10000, 50 } };
    codec_md_book_t b2 = s_book("bybit-linear", 9000, bids, 1, asks2, 1);
    paper_on_book(fx->paper, &b2, 0);
    assert_int_equal(m->status, ORDER_FILLED);
    assert_int_equal(m->cum_qty, 300);
    const rec_t *f3 = s_nth(CODEC_EXEC_FILL, 2);
    assert_true(f3->body.fill.maker);
    assert_int_equal(f3->body.fill.qty, 200);
    assert_int_equal(f3->evt, 9000);
    assert_int_equal(paper_working(fx->paper), 0);
}

static void
test_bar_only_limit(void **state)
{
    fx_t *fx = *state;
    /* sell limit 65200.00: next bar opens 65000 (below), high 65300 > limit -> fill at the
     * limit as maker at the bar's event time */
    order_t *o =
        s_order(fx, "BL", "binance-spot", -1, CODEC_ORD_LIMIT, 1000, 6520000, 10 * SEC, true);
    assert_int_equal(paper_place(fx->paper, o, NULL), 0);
    codec_md_kline_t k = s_kline(60 * SEC, 6500000, 6510000, 6490000, 6505000, false);
    paper_on_kline(fx->paper, &k, 0); /* high 65100 < 65200: nothing */
    assert_int_equal(o->cum_qty, 0);
    k.high = 6530000;
    paper_on_kline(fx->paper, &k, 0);
    assert_int_equal(o->status, ORDER_FILLED);
    const rec_t *f = s_nth(CODEC_EXEC_FILL, 0);
    assert_int_equal(f->body.fill.px, 6520000);
    assert_true(f->body.fill.maker);
    /* buy limit 65100.00 when the next bar opens at 65000.00 (through it): taker at the open */
    order_t *b =
        s_order(fx, "BL2", "binance-spot", 1, CODEC_ORD_LIMIT, 1000, 6510000, 100 * SEC, true);
    assert_int_equal(paper_place(fx->paper, b, NULL), 0);
    codec_md_kline_t k2 = s_kline(120 * SEC, 6500000, 6510000, 6490000, 6505000, true);
    paper_on_kline(fx->paper, &k2, 0);
    const rec_t *f2 = s_nth(CODEC_EXEC_FILL, 1);
    assert_int_equal(f2->body.fill.px, 6500000);
    assert_false(f2->body.fill.maker);
    assert_int_equal(f2->evt, 120 * SEC);
}

static void
test_hello_balance_and_place_errors(void **state)
{
    fx_t *fx = *state;
    codec_sys_barrier_t hb;
    memset(&hb, 0, sizeof hb);
    hb.step = 0;
    hb.ts_event = 123;
    paper_on_barrier(fx->paper, &hb);
    assert_int_equal(g_n, 1);
    assert_int_equal(g_rec[0].type, CODEC_EXEC_BALANCE);
    assert_int_equal(g_rec[0].body.balance.equity, 10000 * E8);
    assert_int_equal(g_rec[0].body.balance.wallet, 10000 * E8);
    assert_int_equal(g_rec[0].evt, 123);
    hb.step = 1;
    paper_on_barrier(fx->paper, &hb);
    assert_int_equal(g_n, 1); /* only the hello step */
    /* placing an order that is not New is refused */
    order_t *o = s_order(fx, "x", "bybit-linear", 1, CODEC_ORD_MARKET, 100, 0, 1, false);
    assert_int_equal(order_cancel(o, NULL), 0);
    errno = 0;
    assert_int_equal(paper_place(fx->paper, o, NULL), -1);
    assert_int_equal(errno, EINVAL);
    /* a book at another scale than the order: cancelled, EINVAL */
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3);
    b.px_scale = 1;
    paper_on_book(fx->paper, &b, 0);
    order_t *o2 = s_order(fx, "y", "bybit-linear", 1, CODEC_ORD_MARKET, 100, 0, 6000, false);
    errno = 0;
    assert_int_equal(paper_place(fx->paper, o2, NULL), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(o2->status, ORDER_CANCELLED);
    /* bad config */
    venue_cfg_t c = { .name = "paper", .orders = fx->orders, .emit = s_emit, .taker_fee = -1 };
    errno = 0;
    assert_null(paper_new(&c));
    assert_int_equal(errno, EINVAL);
}

/* Persistence: a paper venue with a state file, "restarted" (venue and order table
 * destroyed, new ones on the same file) recovers orders, fills, account and working orders,
 * silently; a resting order then fills on the restored venue. */
static void
test_persistence(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/tp-paper-state.%d", (int)getpid());
    unlink(path);
    g_n = 0;
    orders_t *orders = orders_new();
    venue_cfg_t c = { .name = "paper",
                      .orders = orders,
                      .emit = s_emit,
                      .asset = "USDT",
                      .start_balance = 10000 * E8,
                      .taker_fee = 100000,
                      .maker_fee = 50000,
                      .slippage_cap = 100000000,
                      .journal_path = path };
    paper_t *p = paper_new(&c);
    assert_non_null(p);
    fx_t fx = { orders, p };
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3);
    paper_on_book(p, &b, 1);
    /* market buy 0.150: 0.100 @ 100.00 + 0.050 @ 100.50 = 15.025; taker fee 0.015025 */
    order_t *o = s_order(&fx, "c1", "bybit-linear", 1, CODEC_ORD_MARKET, 150, 0, 6000, false);
    o->sent = true;
    assert_int_equal(paper_place(p, o, NULL), 0);
    assert_int_equal(o->status, ORDER_FILLED);
    order_t *r = s_order(&fx, "r1", "bybit-linear", 1, CODEC_ORD_LIMIT, 200, 9900, 6001, false);
    r->sent = true;
    assert_int_equal(paper_place(p, r, NULL), 0); /* rests at 99.00 */
    int64_t fees = account_fees(paper_account(p));
    assert_int_equal(fees, 1502500);
    paper_destroy(&p);
    orders_destroy(&orders);

    size_t before = g_n;
    orders = orders_new();
    c.orders = orders;
    p = paper_new(&c);
    assert_non_null(p);
    assert_int_equal(g_n, before); /* recovery publishes nothing */
    assert_int_equal(orders_count(orders), 2);
    order_t *o2 = orders_get(orders, "c1");
    assert_int_equal(o2->status, ORDER_FILLED);
    assert_int_equal(o2->cum_qty, 150);
    assert_int_equal(o2->avg_px, 10017); /* 15.025 / 0.150 = 100.1666.. -> 100.17 */
    assert_int_equal(o2->fee, 1502500);
    assert_true(o2->sent); /* never handed to the venue again */
    assert_int_equal(account_fees(paper_account(p)), fees);
    assert_true(account_is_open(paper_account(p), "bybit-linear", "BTCUSDT"));
    assert_int_equal(paper_working(p), 1);
    /* the restored resting order fills when a trade prints through 99.00 */
    codec_md_trade_t t;
    memset(&t, 0, sizeof t);
    snprintf(t.venue, sizeof t.venue, "bybit-linear");
    snprintf(t.symbol, sizeof t.symbol, "BTCUSDT");
    t.px_scale = 2;
    t.qty_scale = 3;
    t.ts_event = 9000;
    t.px = 9890;
    t.qty = 1000;
    paper_on_trade(p, &t, 0);
    assert_int_equal(orders_get(orders, "r1")->status, ORDER_FILLED);
    paper_check(p);
    orders_check(orders);
    paper_destroy(&p);
    orders_destroy(&orders);
    /* a third start sees the fill of r1 too */
    orders = orders_new();
    c.orders = orders;
    p = paper_new(&c);
    assert_int_equal(orders_get(orders, "r1")->status, ORDER_FILLED);
    assert_int_equal(paper_working(p), 0);
    paper_destroy(&p);
    orders_destroy(&orders);
    unlink(path);
    errno = 0;
    c.journal_path = "/proc/tp-no-such-dir/state";
    assert_null(paper_new(&c));
    assert_int_equal(errno, ENOENT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_walk_three_levels, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_partial_when_depth_runs_out, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reduce_only_clipped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_slippage_cap, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bar_only_next_open, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bar_only_expired, s_setup, s_teardown),
        cmocka_unit_test(test_fee_half_even),
        cmocka_unit_test_setup_teardown(test_limit_rests_and_fills_through, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bar_only_limit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_hello_balance_and_place_errors, s_setup, s_teardown),
        cmocka_unit_test(test_persistence),
    };
    return cmocka_run_group_tests_name("paper", tests, NULL, NULL);
}
