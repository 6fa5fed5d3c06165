/*  test_exits.c - unit tests of risk/exits (stop-loss / take-profit on every price update)
 *  and the exit latch kept in risk/positions.
 *  Position: 0.07678 BTC (qty_scale 5 -> 7678) at 65114.20 (px_scale 2 -> 6511420), the
 *  sizing example of test_sizing.c. Long: sl 64788.62 (0.5 % below, tick down), tp 65765.34
 *  (65114.20 * 1.01 = 65765.342, tick down). Short mirrored: sl 65439.78 (325.58 above),
 *  tp 64463.06 (65114.20 * 0.99 = 64463.058, tick up).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "risk/exits.h"
#include "risk/positions.h"

#define V "binance-spot"
#define S "BTCUSDT"

/* A table with one open position of signed qty, with the stop and target set as the engine
 * does after an accepted entry. */
static risk_positions_t *
s_table(int64_t qty, int64_t sl, int64_t tp)
{
    risk_positions_t *pos = risk_positions_new(4);
    assert_non_null(pos);
    codec_exec_position_t x;
    memset(&x, 0, sizeof x);
    strcpy(x.venue, V);
    strcpy(x.symbol, S);
    x.px_scale = 2;
    x.qty_scale = 5;
    x.qty = qty;
    x.entry_px = 6511420;
    assert_int_equal(risk_positions_on_exec_position(pos, &x), 1); /* flat -> open */
    risk_position_t *p = risk_positions_get(pos, V, S);
    assert_non_null(p);
    p->sl_px = sl;
    p->tp_px = tp;
    risk_positions_check(pos);
    return pos;
}

static codec_md_trade_t
s_trade(int64_t px, int32_t px_scale)
{
    codec_md_trade_t t;
    memset(&t, 0, sizeof t);
    strcpy(t.venue, V);
    strcpy(t.symbol, S);
    t.px_scale = px_scale;
    t.qty_scale = 5;
    t.px = px;
    t.qty = 100;
    return t;
}

static codec_md_book_t
s_book(int64_t bid, int64_t ask)
{
    codec_md_book_t b;
    memset(&b, 0, sizeof b);
    strcpy(b.venue, V);
    strcpy(b.symbol, S);
    b.px_scale = 2;
    b.qty_scale = 5;
    b.n_bids = bid ? 1 : 0;
    b.n_asks = ask ? 1 : 0;
    b.bids[0] = (codec_level_t){ bid, 100 };
    b.asks[0] = (codec_level_t){ ask, 100 };
    return b;
}

static codec_md_kline_t
s_kline(int64_t low, int64_t high)
{
    codec_md_kline_t k;
    memset(&k, 0, sizeof k);
    strcpy(k.venue, V);
    strcpy(k.symbol, S);
    k.px_scale = 2;
    k.qty_scale = 5;
    k.interval_s = 60;
    k.open = 6511420;
    k.close = 6511420;
    k.low = low;
    k.high = high;
    k.closed = false; /* an open bar counts: any touched price */
    return k;
}

static void
test_long_stop_on_trade_fires_once(void **state)
{
    (void)state;
    risk_positions_t *pos = s_table(7678, 6478862, 6576534);
    risk_exit_order_t x;
    codec_md_trade_t t = s_trade(6478863, 2); /* 64788.63: one tick above the stop */
    assert_int_equal(risk_exits_on_trade(pos, &t, &x), 0);
    t = s_trade(6478862, 2); /* 64788.62: at the stop */
    assert_int_equal(risk_exits_on_trade(pos, &t, &x), 1);
    assert_int_equal(x.kind, RISK_EXIT_STOP);
    assert_string_equal(x.intent, "stop_loss");
    assert_int_equal(x.side, -1); /* sell to close a long */
    assert_true(x.qty == 7678);   /* the whole position */
    assert_true(x.trigger_px == 6478862);
    assert_true(x.pos->exit_pending);
    risk_positions_check(pos);
    /* further prices through the stop: no repeat while the exit is in flight */
    t = s_trade(6400000, 2);
    assert_int_equal(risk_exits_on_trade(pos, &t, &x), 0);
    codec_md_kline_t k = s_kline(6300000, 6600000);
    assert_int_equal(risk_exits_on_kline(pos, &k, &x), 0);
    risk_positions_destroy(&pos);
}

static void
test_exit_rearms_when_order_ends_unfilled(void **state)
{
    (void)state;
    risk_positions_t *pos = s_table(7678, 6478862, 6576534);
    risk_exit_order_t x;
    codec_md_trade_t t = s_trade(6478000, 2);
    assert_int_equal(risk_exits_on_trade(pos, &t, &x), 1);
    strcpy(x.pos->exit_id, "rk-1762160400000-1"); /* as the engine does on acceptance */
    codec_exec_order_t o;
    memset(&o, 0, sizeof o);
    strcpy(o.client_id, "rk-1762160400000-1");
    strcpy(o.status, "New"); /* not final: still in flight */
    risk_positions_on_exec_order(pos, &o);
    assert_int_equal(risk_exits_on_trade(pos, &t, &x), 0);
    strcpy(o.status, "Cancelled"); /* final, position still open: may fire again */
    risk_positions_on_exec_order(pos, &o);
    assert_false(risk_positions_get(pos, V, S)->exit_pending);
    risk_positions_check(pos);
    assert_int_equal(risk_exits_on_trade(pos, &t, &x), 1);
    /* the position goes flat: nothing left to exit, stop and target forgotten */
    codec_exec_position_t flat;
    memset(&flat, 0, sizeof flat);
    strcpy(flat.venue, V);
    strcpy(flat.symbol, S);
    flat.px_scale = 2;
    flat.qty_scale = 5;
    assert_int_equal(risk_positions_on_exec_position(pos, &flat), 1); /* open -> flat */
    assert_true(risk_positions_get(pos, V, S)->sl_px == 0);
    assert_false(risk_positions_get(pos, V, S)->exit_pending);
    assert_int_equal(risk_exits_on_trade(pos, &t, &x), 0);
    assert_int_equal(risk_positions_open(pos), 0);
    risk_positions_check(pos);
    risk_positions_destroy(&pos);
}

static void
test_long_take_profit_on_book_bid(void **state)
{
    (void)state;
    risk_positions_t *pos = s_table(7678, 6478862, 6576534);
    risk_exit_order_t x;
    /* ask at the target but bid one tick below: a sell would get the bid, so no exit */
    codec_md_book_t b = s_book(6576533, 6576534);
    assert_int_equal(risk_exits_on_book(pos, &b, &x), 0);
    /* no bids at all: nothing to check against */
    b = s_book(0, 6600000);
    assert_int_equal(risk_exits_on_book(pos, &b, &x), 0);
    b = s_book(6576534, 6576535); /* bid 65765.34 = tp */
    assert_int_equal(risk_exits_on_book(pos, &b, &x), 1);
    assert_int_equal(x.kind, RISK_EXIT_TAKE_PROFIT);
    assert_string_equal(x.intent, "take_profit");
    assert_int_equal(x.side, -1);
    assert_true(x.trigger_px == 6576534);
    risk_positions_destroy(&pos);
}

static void
test_kline_both_touched_stop_wins(void **state)
{
    (void)state;
    risk_positions_t *pos = s_table(7678, 6478862, 6576534);
    risk_exit_order_t x;
    codec_md_kline_t k = s_kline(6478900, 6576500); /* inside both levels */
    assert_int_equal(risk_exits_on_kline(pos, &k, &x), 0);
    k = s_kline(6478862, 6576534); /* low at sl and high at tp in one bar */
    assert_int_equal(risk_exits_on_kline(pos, &k, &x), 1);
    assert_int_equal(x.kind, RISK_EXIT_STOP); /* order unknown: assume the worse */
    assert_true(x.trigger_px == 6478862);
    risk_positions_destroy(&pos);
    pos = s_table(7678, 6478862, 6576534);
    k = s_kline(6478863, 6576534); /* only the target touched */
    assert_int_equal(risk_exits_on_kline(pos, &k, &x), 1);
    assert_int_equal(x.kind, RISK_EXIT_TAKE_PROFIT);
    assert_true(x.trigger_px == 6576534);
    risk_positions_destroy(&pos);
}

static void
test_short_mirrored(void **state)
{
    (void)state;
    risk_positions_t *pos = s_table(-7678, 6543978, 6446306);
    risk_exit_order_t x;
    codec_md_trade_t t = s_trade(6543977, 2); /* one tick below the short's stop */
    assert_int_equal(risk_exits_on_trade(pos, &t, &x), 0);
    t = s_trade(6543978, 2);
    assert_int_equal(risk_exits_on_trade(pos, &t, &x), 1);
    assert_int_equal(x.kind, RISK_EXIT_STOP);
    assert_int_equal(x.side, 1); /* buy to close a short */
    assert_true(x.qty == 7678);
    risk_positions_destroy(&pos);

    pos = s_table(-7678, 6543978, 6446306);
    /* a short buys at the ask: bid at the target is not enough */
    codec_md_book_t b = s_book(6446306, 6446307);
    assert_int_equal(risk_exits_on_book(pos, &b, &x), 0);
    b = s_book(6446305, 6446306);
    assert_int_equal(risk_exits_on_book(pos, &b, &x), 1);
    assert_int_equal(x.kind, RISK_EXIT_TAKE_PROFIT);
    assert_int_equal(x.side, 1);
    risk_positions_destroy(&pos);

    pos = s_table(-7678, 6543978, 6446306);
    codec_md_kline_t k = s_kline(6446306, 6543978); /* both touched: stop wins */
    assert_int_equal(risk_exits_on_kline(pos, &k, &x), 1);
    assert_int_equal(x.kind, RISK_EXIT_STOP);
    assert_true(x.trigger_px == 6543978);
    assert_int_equal(risk_exits_on_kline(pos, &k, &x), 0); /* once */
    risk_positions_destroy(&pos);
}

static void
test_price_scale_rounds_against_position(void **state)
{
    (void)state;
    risk_positions_t *pos = s_table(7678, 6478862, 6576534);
    risk_exit_order_t x;
    /* 64788.629 at scale 3 is above the stop, but for a long it rounds down to 64788.62 */
    codec_md_trade_t t = s_trade(64788629, 3);
    assert_int_equal(risk_exits_on_trade(pos, &t, &x), 1);
    assert_int_equal(x.kind, RISK_EXIT_STOP);
    risk_positions_destroy(&pos);
    /* another venue or symbol never touches this position */
    pos = s_table(7678, 6478862, 6576534);
    t = s_trade(6000000, 2);
    strcpy(t.venue, "bybit-linear");
    assert_int_equal(risk_exits_on_trade(pos, &t, &x), 0);
    risk_positions_destroy(&pos);
}

static void
test_positions_table_errors(void **state)
{
    (void)state;
    errno = 0;
    assert_null(risk_positions_new(0));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(risk_positions_new(RISK_POSITIONS_MAX + 1));
    assert_int_equal(errno, EINVAL);
    risk_positions_t *pos = risk_positions_new(1);
    assert_non_null(risk_positions_ensure(pos, V, S));
    errno = 0;
    assert_null(risk_positions_ensure(pos, V, "ETHUSDT"));
    assert_int_equal(errno, ENOSPC);
    errno = 0;
    assert_null(risk_positions_ensure(pos, "", "ETHUSDT"));
    assert_int_equal(errno, EINVAL);
    assert_true(risk_positions_ensure(pos, V, S) == risk_positions_get(pos, V, S));
    assert_int_equal(risk_positions_count(pos), 1);
    /* an entry in flight counts as open for max_open_positions */
    strcpy(risk_positions_get(pos, V, S)->entry_id, "rk-1-1");
    assert_int_equal(risk_positions_open(pos), 1);
    codec_exec_order_t o;
    memset(&o, 0, sizeof o);
    strcpy(o.client_id, "rk-1-1");
    strcpy(o.status, "Rejected");
    risk_positions_on_exec_order(pos, &o);
    assert_int_equal(risk_positions_open(pos), 0);
    risk_positions_destroy(&pos);
    assert_null(pos);
}

/* The executor's messages may come in any order: a flat position report before the fill, and
 * the entry's final "Filled" before the exec.position that shows it. The stop survives both. */
static void
test_entry_lifecycle_any_order(void **state)
{
    (void)state;
    risk_positions_t *pos = risk_positions_new(4);
    risk_position_t *p = risk_positions_ensure(pos, V, S);
    assert_non_null(p);
    /* as the engine does on an accepted entry */
    strcpy(p->entry_id, "rk-1762160400000-1");
    p->entry_side = 1;
    p->px_scale = 2;
    p->qty_scale = 5;
    p->sl_px = 6478862;
    p->tp_px = 6576534;
    assert_int_equal(risk_positions_open(pos), 1); /* in flight counts */
    codec_exec_position_t x;
    memset(&x, 0, sizeof x);
    strcpy(x.venue, V);
    strcpy(x.symbol, S);
    x.px_scale = 2;
    x.qty_scale = 5;
    assert_int_equal(risk_positions_on_exec_position(pos, &x), 0); /* flat, still flat */
    assert_true(p->sl_px == 6478862 && p->tp_px == 6576534);
    codec_exec_order_t o;
    memset(&o, 0, sizeof o);
    strcpy(o.client_id, "rk-1762160400000-1");
    strcpy(o.status, "Filled");
    o.cum_qty = 7678;
    risk_positions_on_exec_order(pos, &o);
    assert_string_equal(p->entry_id, "");
    assert_true(p->sl_px == 6478862); /* kept for the position report to come */
    x.qty = 7678;
    x.entry_px = 6511420;
    assert_int_equal(risk_positions_on_exec_position(pos, &x), 1); /* flat -> open */
    risk_positions_check(pos);
    risk_exit_order_t out;
    codec_md_trade_t t = s_trade(6478862, 2);
    assert_int_equal(risk_exits_on_trade(pos, &t, &out), 1);
    assert_int_equal(out.kind, RISK_EXIT_STOP);
    /* an entry cancelled with nothing filled forgets its levels */
    risk_position_t *q = risk_positions_ensure(pos, V, "ETHUSDT");
    strcpy(q->entry_id, "rk-1762160400000-2");
    q->sl_px = 300000;
    strcpy(o.client_id, "rk-1762160400000-2");
    strcpy(o.status, "Cancelled");
    o.cum_qty = 0;
    risk_positions_on_exec_order(pos, &o);
    assert_true(q->sl_px == 0);
    assert_string_equal(q->entry_id, "");
    risk_positions_check(pos);
    risk_positions_destroy(&pos);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_stop_on_trade_fires_once),
        cmocka_unit_test(test_exit_rearms_when_order_ends_unfilled),
        cmocka_unit_test(test_long_take_profit_on_book_bid),
        cmocka_unit_test(test_kline_both_touched_stop_wins),
        cmocka_unit_test(test_short_mirrored),
        cmocka_unit_test(test_price_scale_rounds_against_position),
        cmocka_unit_test(test_positions_table_errors),
        cmocka_unit_test(test_entry_lifecycle_any_order),
    };
    return cmocka_run_group_tests_name("risk_exits", tests, NULL, NULL);
}
