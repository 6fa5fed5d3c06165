/*  test_sizing.c - unit tests of risk/sizing (position size from equity, risk and stop).
 *  Every expected mantissa is worked by hand from the decimal values in the comment next to
 *  it (value * 10^scale, floored where the code floors); none was copied from a run.
 *  Instrument: Binance spot BTCUSDT as in config/default.json feed.instruments: tick 0.01
 *  (px_scale 2), step 0.00001 (qty_scale 5), min_qty 0.00001, min_notional 5 USDT.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "risk/sizing.h"

#define E8 INT64_C(100000000) /* one quote unit at MONEY_VALUE_SCALE */

static const instr_t k_spot = { .venue = "binance-spot",
                                .category = "spot",
                                .symbol = "BTCUSDT",
                                .px_scale = 2,
                                .qty_scale = 5,
                                .tick = 1,
                                .step = 1,
                                .min_qty = 1,
                                .min_notional = 5 * E8 };

/* risk 1.0 % -> 10000 at RISK_PCT_SCALE 4; max position 50 % -> 500000 */
static const risk_sizing_cfg_t k_cfg = { .risk_pct = 10000, .max_position_pct = 500000 };

static void
test_worked_example_capped(void **state)
{
    (void)state;
    risk_sizing_t sz;
    /* equity 10000 USDT; ref 65114.20; sl = 65114.20 * 0.995 = 64788.629 -> on the 0.01 tick
     * (down) 64788.62 */
    assert_int_equal(risk_sizing_qty(&k_cfg, &k_spot, 10000 * E8, 6511420, 6478862, &sz),
                     RISK_SIZING_OK);
    assert_int_equal(sz.work_scale, 8);                /* max(qty_scale 5, 8) */
    assert_true(sz.risk_amount == 100 * E8);           /* 10000 * 1 / 100 = 100 USDT */
    assert_true(sz.stop_dist == 32558);                /* 65114.20 - 64788.62 = 325.58 */
    assert_true(sz.raw_qty == 30714417);               /* 100 / 325.58 = 0.3071441734.. BTC */
    assert_true(sz.max_notional == 5000 * E8);         /* 10000 * 50 / 100 = 5000 USDT */
    assert_true(sz.cap_qty == 7678816);                /* 5000 / 65114.20 = 0.0767881660.. BTC */
    assert_true(sz.capped);                            /* 0.0767.. < 0.3071.. */
    assert_true(sz.qty == 7678);                       /* down to step 0.00001: 0.07678 */
    assert_true(sz.notional == INT64_C(499946827600)); /* 0.07678 * 65114.20 = 4999.468276 */
}

static void
test_uncapped(void **state)
{
    (void)state;
    risk_sizing_t sz;
    /* sl 5 % below: 65114.20 * 0.95 = 61858.49 -> stop 3255.71; 100 / 3255.71 =
     * 0.0307152600.. BTC, below the 0.0767.. cap -> 0.03071; notional 0.03071 * 65114.20 =
     * 1999.657082 */
    assert_int_equal(risk_sizing_qty(&k_cfg, &k_spot, 10000 * E8, 6511420, 6185849, &sz),
                     RISK_SIZING_OK);
    assert_true(sz.stop_dist == 325571);
    assert_true(sz.raw_qty == 3071526);
    assert_false(sz.capped);
    assert_true(sz.qty == 3071);
    assert_true(sz.notional == INT64_C(199965708200));
}

static void
test_short_uses_distance(void **state)
{
    (void)state;
    risk_sizing_t sz;
    /* short: sl 325.58 above ref (65439.78): same |distance|, same 0.07678 */
    assert_int_equal(risk_sizing_qty(&k_cfg, &k_spot, 10000 * E8, 6511420, 6543978, &sz),
                     RISK_SIZING_OK);
    assert_true(sz.stop_dist == 32558);
    assert_true(sz.qty == 7678);
}

static void
test_below_min_notional(void **state)
{
    (void)state;
    risk_sizing_t sz;
    /* equity 10 USDT: risk 0.10 / 325.58 = 0.000307.. BTC; cap 5 / 65114.20 = 0.0000767..
     * -> 0.00007 BTC (>= min_qty 0.00001) but notional 0.00007 * 65114.20 = 4.557994 < 5 */
    assert_int_equal(risk_sizing_qty(&k_cfg, &k_spot, 10 * E8, 6511420, 6478862, &sz),
                     RISK_SIZING_BELOW_MIN_NOTIONAL);
    assert_true(sz.raw_qty == 30714);
    assert_true(sz.cap_qty == 7678);
    assert_true(sz.qty == 7);
    assert_true(sz.notional == 455799400);
    assert_string_equal(risk_sizing_strerror(RISK_SIZING_BELOW_MIN_NOTIONAL), "below min_notional");
}

static void
test_below_min_qty(void **state)
{
    (void)state;
    /* a USD-M-like instrument with min_qty 0.010: tick 0.1 (px_scale 1), step 0.001 (qty
     * scale 3), min notional 0 so only min_qty can refuse */
    const instr_t fut = { .venue = "test",
                          .category = "linear",
                          .symbol = "BTCUSDT",
                          .px_scale = 1,
                          .qty_scale = 3,
                          .tick = 1,
                          .step = 1,
                          .min_qty = 10,
                          .min_notional = 0 };
    risk_sizing_t sz;
    /* equity 1000: risk 10 / 325.6 = 0.0307125.. ; cap 500 / 65114.2 = 0.0076788.. -> 0.007
     * BTC < 0.010 */
    assert_int_equal(risk_sizing_qty(&k_cfg, &fut, 1000 * E8, 651142, 647886, &sz),
                     RISK_SIZING_BELOW_MIN_QTY);
    assert_true(sz.stop_dist == 3256);
    assert_true(sz.raw_qty == 3071253);
    assert_true(sz.cap_qty == 767881);
    assert_true(sz.qty == 7);
    assert_string_equal(risk_sizing_strerror(RISK_SIZING_BELOW_MIN_QTY), "below min_qty");
    /* qty rounding to 0 is refused even with min_qty 0 */
    const instr_t fut0 = { .venue = "test",
                           .category = "linear",
                           .symbol = "BTCUSDT",
                           .px_scale = 1,
                           .qty_scale = 3,
                           .tick = 1,
                           .step = 1,
                           .min_qty = 0,
                           .min_notional = 0 };
    /* equity 100: cap 50 / 65114.2 = 0.00076.. -> 0.000 */
    assert_int_equal(risk_sizing_qty(&k_cfg, &fut0, 100 * E8, 651142, 647886, &sz),
                     RISK_SIZING_BELOW_MIN_QTY);
    assert_true(sz.qty == 0);
}

static void
test_step_rounding(void **state)
{
    (void)state;
    /* step 0.005 at qty_scale 3 (mantissa 5): 0.0076788.. -> 0.005 (down, never up) */
    const instr_t odd = { .venue = "test",
                          .category = "linear",
                          .symbol = "BTCUSDT",
                          .px_scale = 1,
                          .qty_scale = 3,
                          .tick = 1,
                          .step = 5,
                          .min_qty = 5,
                          .min_notional = 0 };
    risk_sizing_t sz;
    assert_int_equal(risk_sizing_qty(&k_cfg, &odd, 1000 * E8, 651142, 647886, &sz), RISK_SIZING_OK);
    assert_true(sz.qty == 5);
}

static void
test_zero_stop(void **state)
{
    (void)state;
    risk_sizing_t sz;
    assert_int_equal(risk_sizing_qty(&k_cfg, &k_spot, 10000 * E8, 6511420, 6511420, &sz),
                     RISK_SIZING_ZERO_STOP);
    assert_true(sz.stop_dist == 0);
    assert_true(sz.qty == 0);
    assert_string_equal(risk_sizing_strerror(RISK_SIZING_ZERO_STOP), "zero stop distance");
}

static void
test_bad_input_and_overflow(void **state)
{
    (void)state;
    risk_sizing_t sz;
    assert_int_equal(risk_sizing_qty(&k_cfg, &k_spot, 0, 6511420, 6478862, &sz),
                     RISK_SIZING_BAD_INPUT);
    assert_int_equal(risk_sizing_qty(&k_cfg, &k_spot, 10000 * E8, 0, 6478862, &sz),
                     RISK_SIZING_BAD_INPUT);
    assert_int_equal(risk_sizing_qty(&k_cfg, &k_spot, 10000 * E8, 6511420, -1, &sz),
                     RISK_SIZING_BAD_INPUT);
    const risk_sizing_cfg_t zero = { .risk_pct = 0, .max_position_pct = 500000 };
    assert_int_equal(risk_sizing_qty(&zero, &k_spot, 10000 * E8, 6511420, 6478862, &sz),
                     RISK_SIZING_BAD_INPUT);
    /* equity INT64_MAX mantissa (92233720368.54775807 USDT), risk 2 %, stop 1 tick (0.01):
     * risk amount 1844674407.37095516 / 0.01 = 184467440737.095516 BTC = 1.84e19 at scale 8
     * > INT64_MAX (9.22e18): overflow, not a wrapped quantity. At 1 % it is 9.22337203685477580e18
     * at scale 8, which still fits, and the 50 % cap (46116860184.27 USDT) keeps qty small. */
    const risk_sizing_cfg_t two = { .risk_pct = 20000, .max_position_pct = 500000 };
    assert_int_equal(risk_sizing_qty(&two, &k_spot, INT64_MAX, 6511420, 6511419, &sz),
                     RISK_SIZING_OVERFLOW);
    assert_true(sz.stop_dist == 1);
    assert_int_equal(risk_sizing_qty(&k_cfg, &k_spot, INT64_MAX, 6511420, 6511419, &sz),
                     RISK_SIZING_OK);
    assert_true(sz.raw_qty == INT64_C(9223372036854775800)); /* floor(INT64_MAX / 100) * 100 */
    assert_true(sz.max_notional == INT64_MAX / 2);           /* 50 %, floored */
    assert_string_equal(risk_sizing_strerror(RISK_SIZING_ERR_COUNT), "unknown sizing error");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example_capped),
        cmocka_unit_test(test_uncapped),
        cmocka_unit_test(test_short_uses_distance),
        cmocka_unit_test(test_below_min_notional),
        cmocka_unit_test(test_below_min_qty),
        cmocka_unit_test(test_step_rounding),
        cmocka_unit_test(test_zero_stop),
        cmocka_unit_test(test_bad_input_and_overflow),
    };
    return cmocka_run_group_tests_name("risk_sizing", tests, NULL, NULL);
}
