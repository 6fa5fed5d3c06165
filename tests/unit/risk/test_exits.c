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

/* ---- ladder, trailing, breakeven, time-out (risk_exits_*_cfg) ------------------------
 * Position: long 0.03000 BTC (3000) at 60000.00 (6000000), opened at T0, step 0.00001 (1),
 * stop 59400.00 (1 % below). Levels are entry x (1 +- pct / 100), exact at this price. */

#define T0  (INT64_C(1762160400) * INT64_C(1000000000))
#define SEC INT64_C(1000000000)

static risk_positions_t *
s_open(int64_t qty, int64_t sl)
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
    x.entry_px = 6000000;
    x.ts_event = T0;
    assert_int_equal(risk_positions_on_exec_position(pos, &x), 1);
    risk_position_t *p = risk_positions_get(pos, V, S);
    p->sl_px = sl;
    p->step = 1;
    assert_true(p->open_qty == (qty > 0 ? qty : -qty));
    assert_true(p->open_evt == T0);
    return pos;
}

/* the exit order ended Filled and the executor reports the smaller position */
static void
s_partial_filled(risk_positions_t *pos, int64_t new_qty)
{
    risk_position_t *p = risk_positions_get(pos, V, S);
    p->tp_stage++; /* what the engine does when the rung's order is accepted */
    p->exit_pending = false;
    codec_exec_position_t x;
    memset(&x, 0, sizeof x);
    strcpy(x.venue, V);
    strcpy(x.symbol, S);
    x.px_scale = 2;
    x.qty_scale = 5;
    x.qty = new_qty;
    x.entry_px = 6000000;
    x.ts_event = T0 + 60 * SEC;
    assert_int_equal(risk_positions_on_exec_position(pos, &x), 0);
}

static const risk_exits_cfg_t k_ladder = { .n_tp = 3,
                                           .tp_pct = { 10000, 20000, 30000 },
                                           .tp_close_pct = { 330000, 330000, 340000 } };

/* 1 % / 2 % / 3 % closing 33 / 33 / 34 % of 0.03 BTC: 0.0099, 0.0099, then the rest 0.0102 */
static void
test_tp_ladder_partial_exits(void **state)
{
    (void)state;
    risk_positions_t *pos = s_open(3000, 5940000);
    risk_exit_order_t x;
    codec_md_trade_t t = s_trade(6059999, 2); /* 60599.99: below 60600.00 */
    assert_int_equal(risk_exits_on_trade_cfg(&k_ladder, pos, &t, T0, &x), 0);
    t = s_trade(6060000, 2);
    assert_int_equal(risk_exits_on_trade_cfg(&k_ladder, pos, &t, T0, &x), 1);
    assert_string_equal(x.intent, "take_profit");
    assert_int_equal(x.rung, 0);
    assert_int_equal(x.side, -1);
    assert_true(x.qty == 990); /* floor(3000 x 0.33) */
    assert_int_equal(risk_exits_on_trade_cfg(&k_ladder, pos, &t, T0, &x), 0); /* latched */
    s_partial_filled(pos, 2010);
    assert_int_equal(risk_exits_on_trade_cfg(&k_ladder, pos, &t, T0, &x), 0); /* rung 1 not yet */
    t = s_trade(6120000, 2);                                                  /* 61200.00 = +2 % */
    assert_int_equal(risk_exits_on_trade_cfg(&k_ladder, pos, &t, T0, &x), 1);
    assert_int_equal(x.rung, 1);
    assert_true(x.qty == 990); /* of the opening qty, not of what is left */
    s_partial_filled(pos, 1020);
    codec_md_kline_t k = s_kline(6100000, 6180000); /* high 61800.00 = +3 % */
    assert_int_equal(risk_exits_on_kline_cfg(&k_ladder, pos, &k, T0, &x), 1);
    assert_int_equal(x.rung, 2);
    assert_true(x.qty == 1020); /* the last rung closes the rest */
    risk_positions_destroy(&pos);
    /* short mirrored: -1 % = 59400.00 closes 990 by buying */
    pos = s_open(-3000, 6060000);
    t = s_trade(5940000, 2);
    assert_int_equal(risk_exits_on_trade_cfg(&k_ladder, pos, &t, T0, &x), 1);
    assert_int_equal(x.side, 1);
    assert_true(x.qty == 990);
    risk_positions_destroy(&pos);
}

/* trail: activates at +1 % (60600.00), trails 0.5 % behind the best price */
static void
test_trailing_stop(void **state)
{
    (void)state;
    const risk_exits_cfg_t c = { .trail_activate_pct = 10000, .trail_dist_pct = 5000 };
    risk_positions_t *pos = s_open(3000, 5940000);
    risk_position_t *p = risk_positions_get(pos, V, S);
    risk_exit_order_t x;
    codec_md_trade_t t = s_trade(6050000, 2);
    assert_int_equal(risk_exits_on_trade_cfg(&c, pos, &t, T0, &x), 0);
    assert_false(p->trail_on);
    t = s_trade(6060000, 2);
    assert_int_equal(risk_exits_on_trade_cfg(&c, pos, &t, T0, &x), 0);
    assert_true(p->trail_on);
    assert_true(p->best_px == 6060000);
    t = s_trade(6029800, 2); /* stop 60600 - 303.00 = 60297.00; 60298 stays */
    assert_int_equal(risk_exits_on_trade_cfg(&c, pos, &t, T0, &x), 0);
    t = s_trade(6100000, 2); /* best 61000.00 -> stop 61000 - 305.00 = 60695.00 */
    assert_int_equal(risk_exits_on_trade_cfg(&c, pos, &t, T0, &x), 0);
    assert_true(p->best_px == 6100000);
    t = s_trade(6069600, 2);
    assert_int_equal(risk_exits_on_trade_cfg(&c, pos, &t, T0, &x), 0);
    t = s_trade(6069500, 2);
    assert_int_equal(risk_exits_on_trade_cfg(&c, pos, &t, T0, &x), 1);
    assert_string_equal(x.intent, "trailing_stop");
    assert_true(x.qty == 3000);
    assert_true(x.trigger_px == 6069500);
    risk_positions_destroy(&pos);
}

/* breakeven at +0.5 % (60300.00): the stop moves from 59400.00 to the entry 60000.00 */
static void
test_breakeven(void **state)
{
    (void)state;
    const risk_exits_cfg_t c = { .be_trigger_pct = 5000 };
    risk_positions_t *pos = s_open(3000, 5940000);
    risk_exit_order_t x;
    codec_md_trade_t t = s_trade(6029999, 2);
    assert_int_equal(risk_exits_on_trade_cfg(&c, pos, &t, T0, &x), 0);
    t = s_trade(6000000, 2); /* not moved yet: 60000 is above the 59400 stop */
    assert_int_equal(risk_exits_on_trade_cfg(&c, pos, &t, T0, &x), 0);
    t = s_trade(6030000, 2);
    assert_int_equal(risk_exits_on_trade_cfg(&c, pos, &t, T0, &x), 0);
    assert_true(risk_positions_get(pos, V, S)->be_done);
    t = s_trade(6000001, 2);
    assert_int_equal(risk_exits_on_trade_cfg(&c, pos, &t, T0, &x), 0);
    t = s_trade(6000000, 2);
    assert_int_equal(risk_exits_on_trade_cfg(&c, pos, &t, T0, &x), 1);
    assert_string_equal(x.intent, "breakeven");
    risk_positions_destroy(&pos);
}

/* time-out after 3 closed bars, or after 3600 s of event time */
static void
test_timeout_bars_and_seconds(void **state)
{
    (void)state;
    const risk_exits_cfg_t cb = { .timeout_bars = 3 };
    risk_positions_t *pos = s_open(3000, 5940000);
    risk_exit_order_t x;
    codec_md_kline_t k = s_kline(5990000, 6010000);
    assert_int_equal(risk_exits_on_kline_cfg(&cb, pos, &k, T0, &x), 0); /* open bar: no count */
    k.closed = true;
    assert_int_equal(risk_exits_on_kline_cfg(&cb, pos, &k, T0, &x), 0); /* 1 */
    assert_int_equal(risk_exits_on_kline_cfg(&cb, pos, &k, T0, &x), 0); /* 2 */
    assert_int_equal(risk_exits_on_kline_cfg(&cb, pos, &k, T0, &x), 1); /* 3 */
    assert_string_equal(x.intent, "timeout");
    assert_true(x.qty == 3000);
    risk_positions_destroy(&pos);
    const risk_exits_cfg_t cs = { .timeout_ns = 3600 * SEC };
    pos = s_open(3000, 5940000);
    codec_md_trade_t t = s_trade(6000000, 2);
    assert_int_equal(risk_exits_on_trade_cfg(&cs, pos, &t, T0 + 3600 * SEC - 1, &x), 0);
    assert_int_equal(risk_exits_on_trade_cfg(&cs, pos, &t, T0 + 3600 * SEC, &x), 1);
    assert_string_equal(x.intent, "timeout");
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
        cmocka_unit_test(test_tp_ladder_partial_exits),
        cmocka_unit_test(test_trailing_stop),
        cmocka_unit_test(test_breakeven),
        cmocka_unit_test(test_timeout_bars_and_seconds),
    };
    return cmocka_run_group_tests_name("risk_exits", tests, NULL, NULL);
}
