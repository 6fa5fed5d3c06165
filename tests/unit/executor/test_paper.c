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
#include <jansson.h>

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
                : type == CODEC_MD_STATUS     ? sizeof(codec_md_status_t)
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

/* The paper venue every test uses: 10,000 USDT, taker 0.001, maker 0.0005, slippage cap 1 %;
 * journal_path NULL = no state file. */
static venue_cfg_t
s_cfg(orders_t *orders, const char *journal_path)
{
    venue_cfg_t c = {
        .name = "paper",
        .orders = orders,
        .emit = s_emit,
        .asset = "USDT",
        .start_balance = 10000 * E8,
        .taker_fee = 100000,       /* 0.001 */
        .maker_fee = 50000,        /* 0.0005 */
        .slippage_cap = 100000000, /* 1.0 % */
        .journal_path = journal_path,
    };
    return c;
}

/* A restart of the paper venue on its state file: checks and destroys venue and order table,
 * then builds new ones on the same config (c->orders is replaced). */
static void
s_restart(paper_t **p, orders_t **orders, venue_cfg_t *c)
{
    paper_check(*p);
    orders_check(*orders);
    paper_destroy(p);
    orders_destroy(orders);
    *orders = orders_new();
    assert_non_null(*orders);
    c->orders = *orders;
    *p = paper_new(c);
    assert_non_null(*p);
}

static int
s_setup(void **state)
{
    static fx_t fx;
    g_n = 0;
    fx.orders = orders_new();
    venue_cfg_t c = s_cfg(fx.orders, NULL);
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
    assert_int_equal(g_n, 2);
    assert_int_equal(g_rec[0].type, CODEC_EXEC_BALANCE);
    assert_int_equal(g_rec[0].body.balance.equity, 10000 * E8);
    assert_int_equal(g_rec[0].body.balance.wallet, 10000 * E8);
    assert_int_equal(g_rec[0].evt, 123);
    /* the paper venue is always running: exec.status.paper once, at the hello's event time */
    assert_string_equal(g_rec[1].topic, "exec.status.paper");
    assert_int_equal(g_rec[1].type, CODEC_MD_STATUS);
    assert_string_equal(g_rec[1].body.status.venue, "paper");
    assert_string_equal(g_rec[1].body.status.symbol, "");
    assert_string_equal(g_rec[1].body.status.state, "running");
    assert_int_equal(g_rec[1].body.status.ts_event, 123);
    assert_int_equal(g_rec[1].evt, 123);
    hb.step = 1;
    paper_on_barrier(fx->paper, &hb);
    assert_int_equal(g_n, 2); /* only the hello step */
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


static codec_md_trade_t
s_trade(const char *venue, int64_t px, int64_t ts)
{
    codec_md_trade_t t;
    memset(&t, 0, sizeof t);
    snprintf(t.venue, sizeof t.venue, "%s", venue);
    snprintf(t.symbol, sizeof t.symbol, "BTCUSDT");
    t.px_scale = 2;
    t.qty_scale = 3;
    t.ts_event = ts;
    t.px = px;
    t.qty = 1;
    return t;
}

/* The last exec.order published for client id `cid`, or fail. */
static const rec_t *
s_last_order(const char *cid)
{
    for (size_t i = g_n; i-- > 0;) {
        if (g_rec[i].type == CODEC_EXEC_ORDER && strcmp(g_rec[i].body.xorder.client_id, cid) == 0) {
            return &g_rec[i];
        }
    }
    fail_msg("no exec.order for %s", cid);
    return NULL;
}

/* IOC and FOK (Bybit timeInForce). Book: asks 100.00 x 0.100, 100.50 x 0.200, 101.00 x 0.300;
 * bid 99.90 x 1.000; cap 1 % of 100.00 -> 101.00 inclusive. */
static void
test_tif_ioc_fok(void **state)
{
    fx_t *fx = *state;
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3);
    paper_on_book(fx->paper, &b, 0);
    /* IOC buy 0.500 limit 100.50: takes 0.100 @ 100.00 + 0.200 @ 100.50, the 0.200 left is
     * cancelled (never rests) */
    order_t *i1 = s_order(fx, "i1", "bybit-linear", 1, CODEC_ORD_LIMIT, 500, 10050, 6000, false);
    snprintf(i1->req.tif, sizeof i1->req.tif, "IOC");
    assert_int_equal(paper_place(fx->paper, i1, NULL), 0);
    assert_int_equal(i1->cum_qty, 300);
    assert_int_equal(i1->avg_px, 10033); /* (10.00 + 20.10) / 0.3 = 100.333.. -> 100.33 */
    assert_int_equal(i1->status, ORDER_CANCELLED);
    assert_string_equal(i1->reject_reason, "EC_CancelForNoFullFill: IOC rest cancelled");
    assert_int_equal(paper_working(fx->paper), 0);
    /* IOC buy 0.100 limit 100.50: the copy has nothing left at or below 100.50 -> cancelled,
     * nothing filled */
    order_t *i2 = s_order(fx, "i2", "bybit-linear", 1, CODEC_ORD_LIMIT, 100, 10050, 6001, false);
    snprintf(i2->req.tif, sizeof i2->req.tif, "IOC");
    assert_int_equal(paper_place(fx->paper, i2, NULL), 0);
    assert_int_equal(i2->cum_qty, 0);
    assert_int_equal(i2->status, ORDER_CANCELLED);
    assert_string_equal(i2->reject_reason, "EC_NoImmediateQtyToFill: IOC found nothing to take");
    /* FOK buy 0.400 limit 101.00: only 0.300 left (at 101.00) -> cancelled, no fill at all */
    size_t fills = s_count(CODEC_EXEC_FILL);
    order_t *f1 = s_order(fx, "f1", "bybit-linear", 1, CODEC_ORD_LIMIT, 400, 10100, 6002, false);
    snprintf(f1->req.tif, sizeof f1->req.tif, "FOK");
    assert_int_equal(paper_place(fx->paper, f1, NULL), 0);
    assert_int_equal(f1->cum_qty, 0);
    assert_int_equal(f1->status, ORDER_CANCELLED);
    assert_string_equal(f1->reject_reason, "EC_CancelForNoFullFill: FOK cannot fill in full now");
    assert_int_equal(s_count(CODEC_EXEC_FILL), fills);
    /* FOK buy 0.300 limit 101.00: exactly what is there -> Filled 0.300 @ 101.00, taker */
    order_t *f2 = s_order(fx, "f2", "bybit-linear", 1, CODEC_ORD_LIMIT, 300, 10100, 6003, false);
    snprintf(f2->req.tif, sizeof f2->req.tif, "FOK");
    assert_int_equal(paper_place(fx->paper, f2, NULL), 0);
    assert_int_equal(f2->status, ORDER_FILLED);
    assert_int_equal(f2->avg_px, 10100);
    assert_false(s_nth(CODEC_EXEC_FILL, fills)->body.fill.maker);
    /* FOK within the limit but beyond the slippage cap: a fresh book with asks 100.00 x
     * 0.100 and 101.10 x 1.000; FOK buy 0.200 limit 101.10: 101.10 > 101.00 (cap) -> only
     * 0.100 takeable -> cancelled */
    const codec_level_t asks[] = { { 10000, 100 }, { 10110, 1000 } };
    codec_md_book_t b2 = s_book("bybit-linear", 7000, k_bids1, 1, asks, 2);
    paper_on_book(fx->paper, &b2, 0);
    order_t *f3 = s_order(fx, "f3", "bybit-linear", 1, CODEC_ORD_LIMIT, 200, 10110, 7000, false);
    snprintf(f3->req.tif, sizeof f3->req.tif, "FOK");
    assert_int_equal(paper_place(fx->paper, f3, NULL), 0);
    assert_int_equal(f3->cum_qty, 0);
    assert_int_equal(f3->status, ORDER_CANCELLED);
    /* a market order ignores tif (Bybit: market is always IOC): "FOK" market buy 0.200
     * takes 0.100 @ 100.00 and cancels the rest like any market order */
    order_t *m = s_order(fx, "m", "bybit-linear", 1, CODEC_ORD_MARKET, 200, 0, 7001, false);
    snprintf(m->req.tif, sizeof m->req.tif, "FOK");
    assert_int_equal(paper_place(fx->paper, m, NULL), 0);
    assert_int_equal(m->cum_qty, 100);
    assert_string_equal(m->reject_reason, "book depth exhausted within slippage cap");
}

/* PostOnly: Bybit cancels a PostOnly limit that would take liquidity (status Cancelled,
 * rejectReason EC_PostOnlyWillTakeLiquidity); otherwise it rests as a maker order. Book: bid
 * 99.90 x 1.000, ask 100.00 x 0.100. Maker rate 0.05 %. */
static void
test_tif_post_only(void **state)
{
    fx_t *fx = *state;
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 1);
    paper_on_book(fx->paper, &b, 0);
    order_t *p1 = s_order(fx, "p1", "bybit-linear", 1, CODEC_ORD_LIMIT, 100, 10000, 6000, false);
    snprintf(p1->req.tif, sizeof p1->req.tif, "PostOnly");
    assert_int_equal(paper_place(fx->paper, p1, NULL), 0);
    assert_int_equal(p1->status, ORDER_CANCELLED); /* buy at 100.00 would take the ask */
    assert_string_equal(p1->reject_reason, "EC_PostOnlyWillTakeLiquidity");
    assert_int_equal(s_count(CODEC_EXEC_FILL), 0);
    assert_string_equal(s_last_order("p1")->body.xorder.status, "Cancelled");
    order_t *p2 = s_order(fx, "p2", "bybit-linear", -1, CODEC_ORD_LIMIT, 100, 9990, 6001, false);
    snprintf(p2->req.tif, sizeof p2->req.tif, "PostOnly");
    assert_int_equal(paper_place(fx->paper, p2, NULL), 0);
    assert_int_equal(p2->status, ORDER_CANCELLED); /* sell at 99.90 would take the bid */
    /* buy 99.95 does not cross (ask 100.00): rests; a trade through it (99.90 < 99.95) fills
     * it as maker: 0.100 x 99.95 = 9.995, fee 0.05 % = 0.0049975 */
    order_t *p3 = s_order(fx, "p3", "bybit-linear", 1, CODEC_ORD_LIMIT, 100, 9995, 6002, false);
    snprintf(p3->req.tif, sizeof p3->req.tif, "PostOnly");
    assert_int_equal(paper_place(fx->paper, p3, NULL), 0);
    assert_int_equal(p3->status, ORDER_NEW);
    assert_int_equal(paper_working(fx->paper), 1);
    codec_md_trade_t t = s_trade("bybit-linear", 9990, 7000);
    paper_on_trade(fx->paper, &t, 0);
    assert_int_equal(p3->status, ORDER_FILLED);
    const rec_t *f = s_nth(CODEC_EXEC_FILL, 0);
    assert_true(f->body.fill.maker);
    assert_int_equal(f->body.fill.px, 9995);
    assert_int_equal(f->body.fill.fee, 499750);
    /* once resting, a book that crosses it fills it at its price (maker), it is not cancelled:
     * PostOnly sell 100.10 rests (bid 99.90); the book moves to bid 100.20 -> filled 100.10 */
    order_t *p4 = s_order(fx, "p4", "bybit-linear", -1, CODEC_ORD_LIMIT, 100, 10010, 7001, false);
    snprintf(p4->req.tif, sizeof p4->req.tif, "PostOnly");
    assert_int_equal(paper_place(fx->paper, p4, NULL), 0);
    assert_int_equal(p4->status, ORDER_NEW);
    const codec_level_t bids[] = { { 10020, 500 } }, asks[] = { { 10030, 500 } };
    codec_md_book_t b2 = s_book("bybit-linear", 8000, bids, 1, asks, 1);
    paper_on_book(fx->paper, &b2, 0);
    assert_int_equal(p4->status, ORDER_FILLED);
    assert_int_equal(p4->avg_px, 10010);
}

/* Conditional orders, trigger source "last" (the default). Book: asks 100.00 x 0.100,
 * 100.50 x 0.200, 101.00 x 0.300; bid 99.90 x 1.000 (mid 99.95, the source until a trade). */
static void
test_conditional_last(void **state)
{
    fx_t *fx = *state;
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3);
    paper_on_book(fx->paper, &b, 0);
    /* buy stop: market 0.100 when the price rises to 100.50 (direction 1); 100.50 > 99.95 */
    order_t *c = s_order(fx, "c", "bybit-linear", 1, CODEC_ORD_MARKET, 100, 0, 6000, false);
    c->req.trigger_px = 10050;
    c->req.trigger_dir = 1;
    assert_int_equal(paper_place(fx->paper, c, NULL), 0);
    assert_int_equal(c->status, ORDER_UNTRIGGERED);
    assert_string_equal(g_rec[0].body.xorder.status, "Untriggered");
    assert_int_equal(g_n, 1);
    assert_int_equal(paper_untriggered(fx->paper), 1);
    codec_md_trade_t t = s_trade("bybit-linear", 10040, 7000); /* below: nothing */
    paper_on_trade(fx->paper, &t, 0);
    assert_int_equal(c->status, ORDER_UNTRIGGERED);
    t = s_trade("bybit-linear", 10050, 7001); /* at the trigger: rises to it */
    paper_on_trade(fx->paper, &t, 424242);    /* 424242: that trade's receive time */
    /* Triggered, then the market order walks the book copy: 0.100 @ 100.00 */
    assert_string_equal(g_rec[1].body.xorder.status, "Triggered");
    assert_int_equal(g_rec[1].evt, 7001);
    assert_int_equal(c->status, ORDER_FILLED);
    assert_int_equal(c->avg_px, 10000);
    assert_int_equal(s_nth(CODEC_EXEC_FILL, 0)->evt, 7001);
    /* the fill was caused by the trade that triggered it: its origin, not the request's */
    assert_int_equal(g_rec[1].origin, 424242);
    assert_int_equal(s_nth(CODEC_EXEC_FILL, 0)->origin, 424242);
    assert_int_equal(paper_untriggered(fx->paper), 0);
    /* a sell stop (falls to, 2) at 100.60 when the last trade is 100.50: already beyond ->
     * Rejected as Bybit does (110093); only the Rejected exec.order is published */
    size_t n0 = g_n;
    order_t *bad = s_order(fx, "bad", "bybit-linear", -1, CODEC_ORD_MARKET, 100, 0, 7002, false);
    bad->req.trigger_px = 10060;
    bad->req.trigger_dir = 2;
    errno = 0;
    assert_int_equal(paper_place(fx->paper, bad, NULL), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(bad->status, ORDER_REJECTED);
    assert_int_equal(g_n, n0 + 1);
    assert_string_equal(g_rec[n0].body.xorder.status, "Rejected");
    assert_string_equal(g_rec[n0].body.xorder.reject_reason,
                        "trigger direction 2 (fall) but trigger price >= current price "
                        "(Bybit 110093)");
    /* conditional limit: sell 0.100 limit 100.20 when the price falls to 100.00. The trade
     * at 100.00 triggers it; the bid 99.90 does not reach 100.20 -> it rests (New, published);
     * a trade through it (100.30 > 100.20) fills it at 100.20 as maker */
    order_t *cl = s_order(fx, "cl", "bybit-linear", -1, CODEC_ORD_LIMIT, 100, 10020, 7003, false);
    cl->req.trigger_px = 10000;
    cl->req.trigger_dir = 2;
    assert_int_equal(paper_place(fx->paper, cl, NULL), 0);
    assert_int_equal(cl->status, ORDER_UNTRIGGERED);
    t = s_trade("bybit-linear", 10000, 8000);
    paper_on_trade(fx->paper, &t, 0);
    assert_int_equal(cl->status, ORDER_NEW);
    assert_string_equal(s_last_order("cl")->body.xorder.status, "New");
    assert_int_equal(s_last_order("cl")->evt, 8000);
    assert_int_equal(paper_working(fx->paper), 1);
    t = s_trade("bybit-linear", 10030, 8001);
    paper_on_trade(fx->paper, &t, 0);
    assert_int_equal(cl->status, ORDER_FILLED);
    assert_int_equal(cl->avg_px, 10020);
    assert_true(s_nth(CODEC_EXEC_FILL, 1)->body.fill.maker);
}

/* Trigger source "mark": the md.ticker markPrice; before any ticker, the book mid. */
static void
test_conditional_mark(void **state)
{
    fx_t *fx = *state;
    const paper_rules_t rules = { .trigger_by = PAPER_TRIGGER_MARK };
    assert_int_equal(paper_set_rules(fx->paper, &rules), 0);
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3); /* mid 99.95 */
    paper_on_book(fx->paper, &b, 0);
    /* sell stop 0.100, falls to 99.00 */
    order_t *s1 = s_order(fx, "s1", "bybit-linear", -1, CODEC_ORD_MARKET, 100, 0, 6000, false);
    s1->req.trigger_px = 9900;
    s1->req.trigger_dir = 2;
    assert_int_equal(paper_place(fx->paper, s1, NULL), 0);
    codec_md_trade_t t = s_trade("bybit-linear", 9800, 6500); /* a print: not the source */
    paper_on_trade(fx->paper, &t, 0);
    assert_int_equal(s1->status, ORDER_UNTRIGGERED);
    /* book bid 98.90 / ask 99.10: mid (98.90 + 99.10) / 2 = 99.00 <= 99.00 -> triggers and
     * sells 0.100 at the new bid 98.90 */
    const codec_level_t bids[] = { { 9890, 1000 } }, asks[] = { { 9910, 1000 } };
    codec_md_book_t b2 = s_book("bybit-linear", 7000, bids, 1, asks, 1);
    paper_on_book(fx->paper, &b2, 0);
    assert_int_equal(s1->status, ORDER_FILLED);
    assert_int_equal(s1->avg_px, 9890);
    /* from the first ticker with a mark on, the ticker is the source: a buy stop rising to
     * 100.50; a book with mid 100.60 does not trigger it, a ticker mark 100.50 does (buys at
     * the ask 100.70) */
    codec_md_ticker_t tk;
    memset(&tk, 0, sizeof tk);
    snprintf(tk.venue, sizeof tk.venue, "bybit-linear");
    snprintf(tk.symbol, sizeof tk.symbol, "BTCUSDT");
    tk.px_scale = 2;
    tk.qty_scale = 3;
    tk.ts_event = 7100;
    tk.mark_px = 9900;
    paper_on_ticker(fx->paper, &tk, 0);
    order_t *s2 = s_order(fx, "s2", "bybit-linear", 1, CODEC_ORD_MARKET, 100, 0, 7200, false);
    s2->req.trigger_px = 10050;
    s2->req.trigger_dir = 1;
    assert_int_equal(paper_place(fx->paper, s2, NULL), 0);
    const codec_level_t bids3[] = { { 10050, 1000 } }, asks3[] = { { 10070, 1000 } };
    codec_md_book_t b3 = s_book("bybit-linear", 8000, bids3, 1, asks3, 1); /* mid 100.60 */
    paper_on_book(fx->paper, &b3, 0);
    assert_int_equal(s2->status, ORDER_UNTRIGGERED);
    tk.ts_event = 8100;
    tk.mark_px = 10050;
    paper_on_ticker(fx->paper, &tk, 0);
    assert_int_equal(s2->status, ORDER_FILLED);
    assert_int_equal(s2->avg_px, 10070);
    assert_int_equal(s_nth(CODEC_EXEC_FILL, 1)->evt, 8100);
    errno = 0;
    const paper_rules_t bad = { .trigger_by = 7 };
    assert_int_equal(paper_set_rules(fx->paper, &bad), -1);
    assert_int_equal(errno, EINVAL);
}

/* Bar-only symbol (binance-spot, klines only): the bar range triggers; a market order fills
 * at the trigger price at the kline's event time, or at the open if the bar opened beyond
 * it; a conditional limit reaches the book at the next kline. */
static void
test_bar_only_trigger(void **state)
{
    fx_t *fx = *state;
    /* sell stop 0.01000, falls to 64900.00, placed at 1000 s */
    order_t *s1 =
        s_order(fx, "k1", "binance-spot", -1, CODEC_ORD_MARKET, 1000, 0, 1000 * SEC, true);
    s1->req.trigger_px = 6490000;
    s1->req.trigger_dir = 2;
    assert_int_equal(paper_place(fx->paper, s1, NULL), 0);
    /* bar [1000 s): low 64950 > 64900: nothing */
    codec_md_kline_t k = s_kline(1000 * SEC, 6500000, 6510000, 6495000, 6500000, true);
    paper_on_kline(fx->paper, &k, 0);
    assert_int_equal(s1->status, ORDER_UNTRIGGERED);
    /* bar [1060 s): opens 64980 (above), low 64800 <= 64900 -> triggered, filled 0.01 at
     * 64900.00 (taker: 649.00 x 0.1 % = 0.649), evt = the kline's ts_event */
    k = s_kline(1060 * SEC, 6498000, 6499000, 6480000, 6485000, true);
    paper_on_kline(fx->paper, &k, 0);
    assert_int_equal(s1->status, ORDER_FILLED);
    const rec_t *f = s_nth(CODEC_EXEC_FILL, 0);
    assert_int_equal(f->body.fill.px, 6490000);
    assert_int_equal(f->body.fill.fee, 64900000);
    assert_int_equal(f->evt, k.ts_event);
    /* gap: sell stop at 64700.00; the next bar opens at 64600.00, already below -> fills at
     * the open, evt = the bar's start */
    order_t *s2 =
        s_order(fx, "k2", "binance-spot", -1, CODEC_ORD_MARKET, 1000, 0, 1100 * SEC, true);
    s2->req.trigger_px = 6470000;
    s2->req.trigger_dir = 2;
    assert_int_equal(paper_place(fx->paper, s2, NULL), 0); /* last close 64850 > 64700 */
    k = s_kline(1120 * SEC, 6460000, 6465000, 6450000, 6460000, true);
    paper_on_kline(fx->paper, &k, 0);
    assert_int_equal(s2->status, ORDER_FILLED);
    f = s_nth(CODEC_EXEC_FILL, 1);
    assert_int_equal(f->body.fill.px, 6460000);
    assert_int_equal(f->evt, 1120 * SEC);
    /* conditional limit: buy 0.01 limit 64700.00 when the price rises to 64650.00 */
    order_t *c =
        s_order(fx, "k3", "binance-spot", 1, CODEC_ORD_LIMIT, 1000, 6470000, 1130 * SEC, true);
    c->req.trigger_px = 6465000;
    c->req.trigger_dir = 1;
    assert_int_equal(paper_place(fx->paper, c, NULL), 0); /* last close 64600 < 64650 */
    /* bar [1180 s): high 64680 >= 64650 -> Triggered; its low 64550 would cross the limit but
     * the limit reaches the book only at the next bar */
    k = s_kline(1180 * SEC, 6460000, 6468000, 6455000, 6466000, true);
    paper_on_kline(fx->paper, &k, 0);
    assert_int_equal(c->status, ORDER_NEW);
    assert_int_equal(c->cum_qty, 0);
    /* bar [1240 s): opens 64720 (above the buy limit: not through), low 64690 < 64700 -> rests
     * then fills at the limit as maker at the bar's event time */
    k = s_kline(1240 * SEC, 6472000, 6475000, 6469000, 6470000, true);
    paper_on_kline(fx->paper, &k, 0);
    assert_int_equal(c->status, ORDER_FILLED);
    f = s_nth(CODEC_EXEC_FILL, 2);
    assert_int_equal(f->body.fill.px, 6470000);
    assert_true(f->body.fill.maker);
    assert_int_equal(f->evt, k.ts_event);
}

/* Bar-only time in force: the first kline opening through a PostOnly limit cancels it; an
 * IOC limit the first kline's open does not reach is cancelled there. */
static void
test_bar_only_tif(void **state)
{
    fx_t *fx = *state;
    order_t *po =
        s_order(fx, "bp", "binance-spot", 1, CODEC_ORD_LIMIT, 1000, 6510000, 10 * SEC, true);
    snprintf(po->req.tif, sizeof po->req.tif, "PostOnly");
    order_t *io =
        s_order(fx, "bi", "binance-spot", 1, CODEC_ORD_LIMIT, 1000, 6490000, 10 * SEC, true);
    snprintf(io->req.tif, sizeof io->req.tif, "IOC");
    assert_int_equal(paper_place(fx->paper, po, NULL), 0);
    assert_int_equal(paper_place(fx->paper, io, NULL), 0);
    /* opens 65000 <= 65100 (through the PostOnly buy) and > 64900 (not through the IOC); its
     * low 64800 would cross the IOC later in the bar, but IOC only takes what is there now */
    codec_md_kline_t k = s_kline(60 * SEC, 6500000, 6510000, 6480000, 6505000, true);
    paper_on_kline(fx->paper, &k, 0);
    assert_int_equal(po->status, ORDER_CANCELLED);
    assert_string_equal(po->reject_reason, "EC_PostOnlyWillTakeLiquidity");
    assert_int_equal(io->status, ORDER_CANCELLED);
    assert_int_equal(s_count(CODEC_EXEC_FILL), 0);
}

/* Attached TP/SL (Bybit position TP/SL, Full mode). Book: asks 100.00 x 0.100, 100.50 x 0.200,
 * 101.00 x 0.300; bid 99.90 x 1.000. Taker 0.1 %. */
static void
test_attached_tpsl(void **state)
{
    fx_t *fx = *state;
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3);
    paper_on_book(fx->paper, &b, 0);
    /* entry: market buy 0.300, stop 99.00, target 102.00: 0.100 @ 100.00 + 0.200 @ 100.50 */
    order_t *e = s_order(fx, "e1", "bybit-linear", 1, CODEC_ORD_MARKET, 300, 0, 6000, false);
    e->req.sl_px = 9900;
    e->req.tp_px = 10200;
    assert_int_equal(paper_place(fx->paper, e, NULL), 0);
    assert_int_equal(e->status, ORDER_FILLED);
    order_t *sl = orders_get(fx->orders, "e1.s"), *tp = orders_get(fx->orders, "e1.t");
    assert_non_null(sl);
    assert_non_null(tp);
    assert_int_equal(sl->status, ORDER_UNTRIGGERED);
    assert_true(sl->req.reduce_only);
    assert_int_equal(sl->req.side, -1);
    assert_int_equal(sl->req.trigger_dir, 2); /* long: the stop falls to 99.00 */
    assert_int_equal(tp->req.trigger_dir, 1); /* the target rises to 102.00 */
    assert_string_equal(sl->req.intent, "stop_loss");
    assert_int_equal(sl->origin, 555);
    assert_int_equal(paper_untriggered(fx->paper), 2);
    /* published once each, Untriggered, after the first fill's outputs */
    assert_string_equal(s_last_order("e1.s")->body.xorder.status, "Untriggered");
    assert_int_equal(s_last_order("e1.s")->evt, 6000);
    /* made at the first fill (0.100 open then), resized to the whole 0.300 when triggered */
    assert_int_equal(sl->req.qty, 100);
    codec_md_trade_t t = s_trade("bybit-linear", 9910, 7000); /* above 99.00: nothing */
    paper_on_trade(fx->paper, &t, 0);
    assert_int_equal(sl->status, ORDER_UNTRIGGERED);
    t = s_trade("bybit-linear", 9900, 7001);
    paper_on_trade(fx->paper, &t, 0);
    /* stop: sells 0.300 at the bid 99.90 -> flat; realised 0.300 x 99.90 - 30.10 = -0.13 */
    assert_int_equal(sl->req.qty, 300);
    assert_int_equal(sl->status, ORDER_FILLED);
    assert_int_equal(sl->avg_px, 9990);
    const rec_t *f = s_nth(CODEC_EXEC_FILL, 2);
    assert_string_equal(f->body.fill.client_id, "e1.s");
    assert_string_equal(f->body.fill.fill_id, "px-e1.s-1");
    assert_int_equal(f->body.fill.realized_pnl, -13000000);
    assert_false(account_is_open(paper_account(fx->paper), "bybit-linear", "BTCUSDT"));
    /* the target went with the position */
    assert_int_equal(tp->status, ORDER_CANCELLED);
    assert_string_equal(tp->reject_reason, "position closed: TP/SL cancelled");
    assert_string_equal(s_last_order("e1.t")->body.xorder.status, "Cancelled");
    assert_int_equal(paper_working(fx->paper), 0);
    /* risk's own stop exit for the same position arrives after the venue's: nothing to
     * reduce, cancelled without a fill (risk clears its exit latch on that final word) */
    size_t fills = s_count(CODEC_EXEC_FILL);
    order_t *x = s_order(fx, "x", "bybit-linear", -1, CODEC_ORD_MARKET, 300, 0, 7001, false);
    x->req.reduce_only = true;
    assert_int_equal(paper_place(fx->paper, x, NULL), 0);
    assert_int_equal(x->status, ORDER_CANCELLED);
    assert_string_equal(x->reject_reason, "reduce-only: no position to reduce");
    assert_int_equal(s_count(CODEC_EXEC_FILL), fills);
}

/* The position's TP/SL and the other ways a position ends: risk's own reduce-only exit (the
 * held stop is cancelled; a second racing exit finds nothing to reduce), a newer entry's stop
 * replacing the held one, and a flip. Fresh book each time: bid 99.90 x 1.000, ask 100.00 x
 * 1.000. */
static void
test_tpsl_with_other_exits(void **state)
{
    fx_t *fx = *state;
    const codec_level_t asks[] = { { 10000, 1000 } };
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, asks, 1);
    paper_on_book(fx->paper, &b, 0);
    order_t *e = s_order(fx, "a1", "bybit-linear", 1, CODEC_ORD_MARKET, 100, 0, 6000, false);
    e->req.sl_px = 9900;
    assert_int_equal(paper_place(fx->paper, e, NULL), 0);
    order_t *sl = orders_get(fx->orders, "a1.s");
    assert_non_null(sl);
    assert_null(orders_get(fx->orders, "a1.t")); /* no target asked */
    /* risk closes the long itself (reduce-only market sell 0.100 at 99.90) */
    order_t *x = s_order(fx, "x1", "bybit-linear", -1, CODEC_ORD_MARKET, 100, 0, 6001, false);
    x->req.reduce_only = true;
    assert_int_equal(paper_place(fx->paper, x, NULL), 0);
    assert_int_equal(x->status, ORDER_FILLED);
    assert_int_equal(sl->status, ORDER_CANCELLED);
    order_t *x2 = s_order(fx, "x2", "bybit-linear", -1, CODEC_ORD_MARKET, 100, 0, 6002, false);
    x2->req.reduce_only = true;
    assert_int_equal(paper_place(fx->paper, x2, NULL), 0);
    assert_int_equal(x2->cum_qty, 0);
    assert_string_equal(x2->reject_reason, "reduce-only: no position to reduce");
    /* two entries: 0.100 with stop 99.00, then 0.200 with stop 98.00: the newer stop replaces
     * the held one and, when it triggers, closes the whole 0.300 */
    paper_on_book(fx->paper, &b, 0);
    order_t *e2 = s_order(fx, "a2", "bybit-linear", 1, CODEC_ORD_MARKET, 100, 0, 7000, false);
    e2->req.sl_px = 9900;
    order_t *e3 = s_order(fx, "a3", "bybit-linear", 1, CODEC_ORD_MARKET, 200, 0, 7001, false);
    e3->req.sl_px = 9800;
    assert_int_equal(paper_place(fx->paper, e2, NULL), 0);
    assert_int_equal(paper_place(fx->paper, e3, NULL), 0);
    order_t *sl2 = orders_get(fx->orders, "a2.s"), *sl3 = orders_get(fx->orders, "a3.s");
    assert_int_equal(sl2->status, ORDER_CANCELLED);
    assert_string_equal(sl2->reject_reason, "replaced by a newer stop loss");
    assert_int_equal(sl3->status, ORDER_UNTRIGGERED);
    codec_md_trade_t t = s_trade("bybit-linear", 9900, 7100); /* the old stop's level */
    paper_on_trade(fx->paper, &t, 0);
    assert_int_equal(sl3->status, ORDER_UNTRIGGERED);
    t = s_trade("bybit-linear", 9800, 7101);
    paper_on_trade(fx->paper, &t, 0);
    assert_int_equal(sl3->status, ORDER_FILLED);
    assert_int_equal(sl3->cum_qty, 300); /* bid 99.90 x 1.000 holds it */
    assert_false(account_is_open(paper_account(fx->paper), "bybit-linear", "BTCUSDT"));
    /* flip: long 0.100 with a stop, then a plain market sell 0.300 -> short 0.200: the long's
     * stop is cancelled (it would close a position that no longer exists) */
    paper_on_book(fx->paper, &b, 0);
    order_t *e4 = s_order(fx, "a4", "bybit-linear", 1, CODEC_ORD_MARKET, 100, 0, 8000, false);
    e4->req.sl_px = 9900;
    assert_int_equal(paper_place(fx->paper, e4, NULL), 0);
    order_t *fl = s_order(fx, "fl", "bybit-linear", -1, CODEC_ORD_MARKET, 300, 0, 8001, false);
    assert_int_equal(paper_place(fx->paper, fl, NULL), 0);
    order_t *sl4 = orders_get(fx->orders, "a4.s");
    assert_int_equal(sl4->status, ORDER_CANCELLED);
    assert_string_equal(sl4->reject_reason, "position flipped: TP/SL cancelled");
    assert_int_equal(paper_untriggered(fx->paper), 0);
    /* a short entry with a stop: direction 1 (rises to), side buy */
    order_t *e5 = s_order(fx, "a5", "bybit-linear", -1, CODEC_ORD_MARKET, 100, 0, 8002, false);
    e5->req.sl_px = 10100;
    assert_int_equal(paper_place(fx->paper, e5, NULL), 0);
    order_t *sl5 = orders_get(fx->orders, "a5.s");
    assert_int_equal(sl5->req.trigger_dir, 1);
    assert_int_equal(sl5->req.side, 1);
}

/* executor.paper_latency_ms: an order is active at ts_event + latency (event time) and meets
 * the book as it was then. Latency 500 ns here. */
static void
test_latency(void **state)
{
    fx_t *fx = *state;
    const paper_rules_t rules = { .latency_ns = 500 };
    assert_int_equal(paper_set_rules(fx->paper, &rules), 0);
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3);
    paper_on_book(fx->paper, &b, 0);
    /* market buy 0.100 at 6000: active at 6500; nothing happens at placement */
    order_t *o = s_order(fx, "l1", "bybit-linear", 1, CODEC_ORD_MARKET, 100, 0, 6000, false);
    assert_int_equal(paper_place(fx->paper, o, NULL), 0);
    assert_int_equal(o->status, ORDER_NEW);
    assert_int_equal(paper_working(fx->paper), 1);
    /* a book at 6400 (ask now 100.10): still before 6500, only replaces the copy */
    const codec_level_t asks2[] = { { 10010, 1000 } };
    codec_md_book_t b2 = s_book("bybit-linear", 6400, k_bids1, 1, asks2, 1);
    paper_on_book(fx->paper, &b2, 0);
    assert_int_equal(o->status, ORDER_NEW);
    /* the next event (a trade at 6600) finds it active: buys at the 6400 book's 100.10, at
     * evt max(6400, 6500) = 6500 */
    codec_md_trade_t t = s_trade("bybit-linear", 10010, 6600);
    paper_on_trade(fx->paper, &t, 0);
    assert_int_equal(o->status, ORDER_FILLED);
    assert_int_equal(o->avg_px, 10010);
    assert_int_equal(s_nth(CODEC_EXEC_FILL, 0)->evt, 6500);
    /* buy 0.100 at 7000 (active 7500); the next event is a book at 7600 with the ask at
     * 100.40: the order meets the book it would have seen at 7500 (ask 100.10, 0.900 left) */
    order_t *o2 = s_order(fx, "l2", "bybit-linear", 1, CODEC_ORD_MARKET, 100, 0, 7000, false);
    assert_int_equal(paper_place(fx->paper, o2, NULL), 0);
    const codec_level_t asks3[] = { { 10040, 1000 } };
    codec_md_book_t b3 = s_book("bybit-linear", 7600, k_bids1, 1, asks3, 1);
    paper_on_book(fx->paper, &b3, 0);
    assert_int_equal(o2->status, ORDER_FILLED);
    assert_int_equal(o2->avg_px, 10010);
    assert_int_equal(s_nth(CODEC_EXEC_FILL, 1)->evt, 7500);
    /* bar-only: a market order at 1000 s with latency 2 s misses the bar starting at 1000 s
     * and fills at the open of the next one */
    const paper_rules_t r2 = { .latency_ns = 2 * SEC };
    assert_int_equal(paper_set_rules(fx->paper, &r2), 0);
    order_t *o3 = s_order(fx, "l3", "binance-spot", 1, CODEC_ORD_MARKET, 1000, 0, 1000 * SEC, true);
    assert_int_equal(paper_place(fx->paper, o3, NULL), 0);
    codec_md_kline_t k = s_kline(1000 * SEC, 6500000, 6510000, 6490000, 6505000, true);
    paper_on_kline(fx->paper, &k, 0);
    assert_int_equal(o3->status, ORDER_NEW);
    k = s_kline(1060 * SEC, 6505000, 6510000, 6490000, 6500000, true);
    paper_on_kline(fx->paper, &k, 0);
    assert_int_equal(o3->status, ORDER_FILLED);
    assert_int_equal(o3->avg_px, 6505000);
}

/* A paper venue on a fresh state file /tmp/tp-paper-<tag>.<pid>, with the standard book
 * (bid 99.90 x 1.000; asks 100.00 x 0.100, 100.50 x 0.200, 101.00 x 0.300) applied. */
static void
s_persist_open(const char *tag, char *path, size_t cap, venue_cfg_t *c, orders_t **orders,
               paper_t **p)
{
    snprintf(path, cap, "/tmp/tp-paper-%s.%d", tag, (int)getpid());
    unlink(path);
    g_n = 0;
    *orders = orders_new();
    assert_non_null(*orders);
    *c = s_cfg(*orders, path);
    *p = paper_new(c);
    assert_non_null(*p);
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3);
    paper_on_book(*p, &b, 0);
}

/* Persistence: a paper venue with a state file, "restarted" (venue and order table
 * destroyed, new ones on the same file) recovers orders, fills, account and working orders,
 * silently; a resting order then fills on the restored venue. */
static void
test_persistence(void **state)
{
    (void)state;
    char path[64];
    venue_cfg_t c;
    orders_t *orders;
    paper_t *p;
    s_persist_open("state", path, sizeof path, &c, &orders, &p);
    fx_t fx = { orders, p };
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
    size_t before = g_n;
    s_restart(&p, &orders, &c);
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
    /* a third start sees the fill of r1 too */
    s_restart(&p, &orders, &c);
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


/* Runs (docs/operations.md "Fresh run or resume"): a replaying venue restarted within its run
 * restores its state file; a replay of another run sets the file aside as "<path>.<run id>"
 * (".norun" for a file without a run line) and starts fresh (no order, the start balance, no
 * fee); live mode (fresh_other_runs false) restores whatever run wrote it. */
static void
test_persistence_runs(void **state)
{
    (void)state;
    char path[64], aside[128];
    venue_cfg_t c;
    orders_t *orders;
    paper_t *p;
    s_persist_open("runs", path, sizeof path, &c, &orders, &p);
    paper_destroy(&p); /* reopen the (empty) file as run A, in replay */
    unlink(path);
    c.run_id = "run-A";
    c.fresh_other_runs = true;
    p = paper_new(&c);
    assert_non_null(p);
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3);
    paper_on_book(p, &b, 0);
    fx_t fx = { orders, p };
    order_t *o = s_order(&fx, "c1", "bybit-linear", 1, CODEC_ORD_MARKET, 150, 0, 6000, false);
    o->sent = true;
    assert_int_equal(paper_place(p, o, NULL), 0);
    assert_int_equal(account_fees(paper_account(p)), 1502500);
    s_restart(&p, &orders, &c); /* the same run: restored */
    assert_int_equal(orders_count(orders), 1);
    assert_int_equal(account_fees(paper_account(p)), 1502500);
    c.run_id = "run-B"; /* the next run, replaying: fresh, run A's file set aside */
    s_restart(&p, &orders, &c);
    assert_int_equal(orders_count(orders), 0);
    assert_int_equal(account_fees(paper_account(p)), 0);
    assert_false(account_is_open(paper_account(p), "bybit-linear", "BTCUSDT"));
    snprintf(aside, sizeof aside, "%s.run-A", path);
    assert_int_equal(access(aside, F_OK), 0);
    unlink(aside);
    /* run B's own file now: live mode restores it even under another run id */
    fx.orders = orders;
    fx.paper = p;
    paper_on_book(p, &b, 0);
    o = s_order(&fx, "c2", "bybit-linear", 1, CODEC_ORD_MARKET, 150, 0, 7000, false);
    o->sent = true;
    assert_int_equal(paper_place(p, o, NULL), 0);
    c.run_id = "run-C";
    c.fresh_other_runs = false;
    s_restart(&p, &orders, &c);
    assert_int_equal(orders_count(orders), 1);
    /* a file from before run ids, in a replay: set aside as .norun */
    paper_destroy(&p);
    orders_destroy(&orders);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    orders = orders_new();
    c.orders = orders;
    c.fresh_other_runs = true;
    p = paper_new(&c);
    assert_non_null(p);
    snprintf(aside, sizeof aside, "%s.norun", path);
    assert_int_equal(access(aside, F_OK), 0);
    unlink(aside);
    paper_destroy(&p);
    orders_destroy(&orders);
    unlink(path);
}

/* Persistence of the new states: untriggered orders, a triggered limit left resting, and the
 * attached TP/SL (born again from the entry's fills) survive a restart; after it they trigger
 * and fill as they would have. Book: asks 100.00 x 0.100, 100.50 x 0.200, 101.00 x 0.300; bid
 * 99.90 x 1.000. */
static void
test_persistence_triggers(void **state)
{
    (void)state;
    char path[64];
    venue_cfg_t c;
    orders_t *orders;
    paper_t *p;
    s_persist_open("trig", path, sizeof path, &c, &orders, &p);
    fx_t fx = { orders, p };
    /* entry long 0.300 (0.100 @ 100.00 + 0.200 @ 100.50) with stop 99.00 and target 102.00 */
    order_t *e = s_order(&fx, "e1", "bybit-linear", 1, CODEC_ORD_MARKET, 300, 0, 6000, false);
    e->req.sl_px = 9900;
    e->req.tp_px = 10200;
    assert_int_equal(paper_place(p, e, NULL), 0);
    /* a print at 100.10 (trades are the trigger source from now on; mid was 99.95) */
    codec_md_trade_t t = s_trade("bybit-linear", 10010, 6500);
    paper_on_trade(p, &t, 0);
    /* a sell stop falling to 100.20 when the last print is 100.10: refused (Bybit 110093) */
    order_t *bad = s_order(&fx, "bad", "bybit-linear", -1, CODEC_ORD_MARKET, 100, 0, 6500, false);
    bad->req.trigger_px = 10020;
    bad->req.trigger_dir = 2;
    assert_int_equal(paper_place(p, bad, NULL), -1);
    assert_int_equal(bad->status, ORDER_REJECTED);
    /* a buy stop rising to 101.50 (stays untriggered) */
    order_t *u = s_order(&fx, "u1", "bybit-linear", 1, CODEC_ORD_MARKET, 100, 0, 6501, false);
    u->req.trigger_px = 10150;
    u->req.trigger_dir = 1;
    assert_int_equal(paper_place(p, u, NULL), 0);
    /* a sell limit 100.20 falling to 100.00: the trade at 100.00 triggers it and it rests */
    order_t *cl = s_order(&fx, "cl", "bybit-linear", -1, CODEC_ORD_LIMIT, 100, 10020, 6502, false);
    cl->req.trigger_px = 10000;
    cl->req.trigger_dir = 2;
    assert_int_equal(paper_place(p, cl, NULL), 0);
    t = s_trade("bybit-linear", 10000, 7000);
    paper_on_trade(p, &t, 0);
    assert_int_equal(cl->status, ORDER_NEW);
    assert_int_equal(paper_untriggered(p), 3); /* u1, e1.s, e1.t */
    size_t before = g_n;
    s_restart(&p, &orders, &c);
    assert_int_equal(g_n, before); /* silent */
    assert_int_equal(orders_get(orders, "e1")->status, ORDER_FILLED);
    assert_int_equal(orders_get(orders, "bad")->status, ORDER_REJECTED);
    assert_string_equal(orders_get(orders, "bad")->reject_reason,
                        "trigger direction 2 (fall) but trigger price >= current price "
                        "(Bybit 110093)");
    assert_int_equal(orders_get(orders, "u1")->status, ORDER_UNTRIGGERED);
    assert_int_equal(orders_get(orders, "cl")->status, ORDER_NEW);
    order_t *sl = orders_get(orders, "e1.s"), *tp = orders_get(orders, "e1.t");
    assert_non_null(sl);
    assert_non_null(tp);
    assert_int_equal(sl->status, ORDER_UNTRIGGERED);
    assert_int_equal(tp->status, ORDER_UNTRIGGERED);
    assert_int_equal(paper_untriggered(p), 3);
    assert_int_equal(paper_working(p), 4);
    /* cl was restored as resting: a book whose bid 100.30 crosses its 100.20 fills it at its
     * own price as maker (an order not yet matched would have sold at the bid as taker) */
    const codec_level_t bids[] = { { 10030, 1000 } }, asks[] = { { 10040, 1000 } };
    codec_md_book_t b2 = s_book("bybit-linear", 8000, bids, 1, asks, 1);
    size_t nf = s_count(CODEC_EXEC_FILL);
    paper_on_book(p, &b2, 0);
    order_t *cl2 = orders_get(orders, "cl");
    assert_int_equal(cl2->status, ORDER_FILLED);
    assert_int_equal(cl2->avg_px, 10020);
    assert_true(s_nth(CODEC_EXEC_FILL, nf)->body.fill.maker);
    assert_string_equal(s_nth(CODEC_EXEC_FILL, nf)->body.fill.client_id, "cl");
    /* long 0.200 left; the stop still holds: book bid 98.90 / ask 99.10, then a print at 99.00
     * triggers it: resized to 0.200 and sold at 98.90; the target is cancelled */
    const codec_level_t bids3[] = { { 9890, 1000 } }, asks3[] = { { 9910, 1000 } };
    codec_md_book_t b3 = s_book("bybit-linear", 8100, bids3, 1, asks3, 1);
    paper_on_book(p, &b3, 0);
    t = s_trade("bybit-linear", 9900, 8200);
    paper_on_trade(p, &t, 0);
    assert_int_equal(sl->status, ORDER_FILLED);
    assert_int_equal(sl->cum_qty, 200);
    assert_int_equal(sl->avg_px, 9890);
    assert_int_equal(tp->status, ORDER_CANCELLED);
    assert_false(account_is_open(paper_account(p), "bybit-linear", "BTCUSDT"));
    int64_t realized = account_realized(paper_account(p));
    /* a third start replays the trigger and the stop's fill: same account, only u1 waits */
    s_restart(&p, &orders, &c);
    assert_int_equal(orders_get(orders, "e1.s")->status, ORDER_FILLED);
    assert_int_equal(orders_get(orders, "e1.s")->cum_qty, 200);
    assert_int_equal(orders_get(orders, "e1.t")->status, ORDER_CANCELLED);
    assert_int_equal(paper_untriggered(p), 1);
    assert_int_equal(paper_working(p), 1);
    /* realised: cl 0.100 at 100.20 and the stop 0.200 at 98.90 against the average cost
     * 30.10 / 0.300: 10.02 + 19.78 - 30.10 = -0.30 */
    assert_int_equal(realized, -30000000);
    assert_int_equal(account_realized(paper_account(p)), realized);
    paper_check(p);
    orders_check(orders);
    paper_destroy(&p);
    orders_destroy(&orders);
    unlink(path);
}

/* Operator cancels (docs/executor.md "Operator commands"): "cancel ID" cancels one working
 * order, "cancel-all" the rest, each published on exec.order (Cancelled, reason "cancelled by
 * operator") at the executor's latest md event time; a closed or unknown id is refused; a
 * market order on a symbol without market data says why it waits in the status. */
static void
test_operator_cancel(void **state)
{
    (void)state;
    static int64_t md_time = 0;
    g_n = 0;
    orders_t *orders = orders_new();
    assert_non_null(orders);
    venue_cfg_t c = s_cfg(orders, NULL);
    c.md_time = &md_time;
    paper_t *p = paper_new(&c);
    assert_non_null(p);
    fx_t fx = { .orders = orders, .paper = p };
    codec_md_book_t b = s_book("bybit-linear", 5000, k_bids1, 1, k_asks3, 3);
    paper_on_book(p, &b, 0);
    md_time = 5000;
    /* two resting buy limits under the best ask 100.00, and a market buy on a venue whose
     * BTCUSDT has neither book nor bar yet */
    order_t *l1 = s_order(&fx, "L1", "bybit-linear", 1, CODEC_ORD_LIMIT, 100, 9900, 6000, false);
    order_t *l2 = s_order(&fx, "L2", "bybit-linear", 1, CODEC_ORD_LIMIT, 100, 9800, 6001, false);
    order_t *m = s_order(&fx, "M1", "other-venue", 1, CODEC_ORD_MARKET, 100, 0, 6002, false);
    assert_int_equal(paper_place(p, l1, NULL), 0);
    assert_int_equal(paper_place(p, l2, NULL), 0);
    assert_int_equal(paper_place(p, m, NULL), 0);
    assert_int_equal(paper_working(p), 3);
    /* status: the market order waits, and says on what */
    json_t *st = json_object();
    paper_ops()->status(p, st);
    json_t *w = json_object_get(st, "waiting");
    assert_int_equal(json_array_size(w), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(w, 0), "client_id")),
                        "M1");
    const char *why = json_string_value(json_object_get(json_array_get(w, 0), "reason"));
    assert_non_null(why);
    assert_non_null(strstr(why, "no market data for other-venue BTCUSDT yet"));
    json_decref(st);
    /* cancel one: Cancelled, published at the md time (7000 > its own 6000) */
    md_time = 7000;
    size_t before = g_n;
    json_t *reply = json_object();
    assert_int_equal(paper_ops()->control(p, "cancel L1", reply), 0);
    assert_true(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
    assert_int_equal(l1->status, ORDER_CANCELLED);
    assert_int_equal(g_n, before + 1);
    assert_string_equal(g_rec[before].topic, "exec.order");
    assert_string_equal(g_rec[before].body.xorder.client_id, "L1");
    assert_string_equal(g_rec[before].body.xorder.status, "Cancelled");
    assert_string_equal(g_rec[before].body.xorder.reject_reason, PAPER_CANCEL_REASON);
    assert_int_equal(g_rec[before].evt, 7000);
    assert_int_equal(paper_working(p), 2);
    /* refused: twice, unknown, no id; nothing published */
    before = g_n;
    errno = 0;
    assert_int_equal(paper_cancel(p, "L1"), -1);
    assert_int_equal(errno, EALREADY);
    assert_int_equal(paper_cancel(p, "nope"), -1);
    assert_int_equal(errno, ENOENT);
    reply = json_object();
    assert_int_equal(paper_ops()->control(p, "cancel L1", reply), 0);
    assert_true(json_is_false(json_object_get(reply, "ok")));
    assert_non_null(strstr(json_string_value(json_object_get(reply, "error")), "Cancelled"));
    json_decref(reply);
    reply = json_object();
    assert_int_equal(paper_ops()->control(p, "cancel", reply), 0);
    assert_true(json_is_false(json_object_get(reply, "ok")));
    json_decref(reply);
    assert_int_equal(g_n, before);
    /* not a command of the paper venue */
    reply = json_object();
    assert_int_equal(paper_ops()->control(p, "amend L2 0.2 -", reply), -1);
    json_decref(reply);
    /* cancel-all: the other two, each published */
    reply = json_object();
    assert_int_equal(paper_ops()->control(p, "cancel-all", reply), 0);
    assert_true(json_is_true(json_object_get(reply, "ok")));
    assert_int_equal(json_integer_value(json_object_get(reply, "cancelled")), 2);
    json_decref(reply);
    assert_int_equal(l2->status, ORDER_CANCELLED);
    assert_int_equal(m->status, ORDER_CANCELLED);
    assert_int_equal(g_n, before + 2);
    assert_int_equal(paper_working(p), 0);
    /* nothing left: cancel-all answers ok with 0 */
    assert_int_equal(paper_cancel_all(p, NULL), 0);
    /* accepted by the executor, not handed over yet (sent false): cancelled and published too */
    order_t *q = s_order(&fx, "Q1", "bybit-linear", 1, CODEC_ORD_LIMIT, 100, 9700, 6003, false);
    before = g_n;
    assert_int_equal(paper_cancel(p, "Q1"), 0);
    assert_int_equal(q->status, ORDER_CANCELLED);
    assert_int_equal(g_n, before + 1);
    assert_string_equal(g_rec[before].body.xorder.client_id, "Q1");
    q->sent = true; /* what exec.c does when it delivers it: then it is not the venue's */
    assert_int_equal(paper_cancel(p, "Q1"), -1);
    assert_int_equal(errno, EALREADY);
    paper_check(p);
    orders_check(orders);
    paper_destroy(&p);
    orders_destroy(&orders);
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
        cmocka_unit_test_setup_teardown(test_tif_ioc_fok, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_tif_post_only, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_conditional_last, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_conditional_mark, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bar_only_trigger, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bar_only_tif, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_attached_tpsl, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_tpsl_with_other_exits, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_latency, s_setup, s_teardown),
        cmocka_unit_test(test_persistence_triggers),
        cmocka_unit_test(test_operator_cancel),
        cmocka_unit_test(test_persistence_runs),
    };
    return cmocka_run_group_tests_name("paper", tests, NULL, NULL);
}
