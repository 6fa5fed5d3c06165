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

/* ---- modes, multipliers, clamps ------------------------------------------------------ */

/* fixed notional 1000 USDT at 65114.20: 1000 / 65114.20 = 0.0153576332.. BTC -> work scale
 * 1535763 -> step 0.00001: 0.01535; notional 0.01535 * 65114.20 = 999.502970 USDT */
static void
test_mode_fixed_notional(void **state)
{
    (void)state;
    risk_sizing_cfg_t c = k_cfg;
    c.mode = RISK_SIZE_NOTIONAL;
    c.fixed_notional = 1000 * E8;
    risk_sizing_in_t in = { .equity = 10000 * E8, .ref_px = 6511420, .mult = 10000 };
    risk_sizing_t sz;
    assert_int_equal(risk_sizing_size(&c, &k_spot, &in, &sz), RISK_SIZING_OK);
    assert_true(sz.raw_qty == 1535763);
    assert_true(sz.qty == 1535);
    assert_true(sz.notional == INT64_C(99950297000));
    /* no stop needed in this mode; a zero notional is bad input */
    c.fixed_notional = 0;
    assert_int_equal(risk_sizing_size(&c, &k_spot, &in, &sz), RISK_SIZING_BAD_INPUT);
}

/* 10 % of equity 10000 = 1000 USDT: the same numbers as the fixed notional above */
static void
test_mode_equity_pct(void **state)
{
    (void)state;
    risk_sizing_cfg_t c = k_cfg;
    c.mode = RISK_SIZE_EQUITY_PCT;
    c.equity_pct = 100000; /* 10 % */
    risk_sizing_in_t in = { .equity = 10000 * E8, .ref_px = 6511420, .mult = 10000 };
    risk_sizing_t sz;
    assert_int_equal(risk_sizing_size(&c, &k_spot, &in, &sz), RISK_SIZING_OK);
    assert_true(sz.qty == 1535);
}

/* risk 0.5 % of 10000 = 50 USDT, stop 1300.00 below 65114.20 (sl 63814.20):
 * raw 50 / 1300 = 0.0384615384.. -> 3846153; x0.5 = 1923076 -> 0.01923 BTC;
 * x1.5 = 5769229 (floor of 5769229.5) -> 0.05769 BTC (cap 0.0767.. does not bind) */
static void
test_mode_risk_with_multiplier(void **state)
{
    (void)state;
    risk_sizing_cfg_t c = k_cfg;
    c.risk_pct = 5000;
    risk_sizing_in_t in = {
        .equity = 10000 * E8, .ref_px = 6511420, .sl_px = 6381420, .mult = 5000
    };
    risk_sizing_t sz;
    assert_int_equal(risk_sizing_size(&c, &k_spot, &in, &sz), RISK_SIZING_OK);
    assert_true(sz.raw_qty == 3846153);
    assert_true(sz.scaled_qty == 1923076);
    assert_true(sz.qty == 1923);
    in.mult = 15000;
    assert_int_equal(risk_sizing_size(&c, &k_spot, &in, &sz), RISK_SIZING_OK);
    assert_true(sz.scaled_qty == 5769229);
    assert_true(sz.qty == 5769);
    assert_false(sz.capped);
}

/* max_leverage 1x, available 2000, reserve 500: (2000 - 500) x 1 / 65114.20 =
 * 0.0230364498.. -> 2303644 caps 5769229 -> 0.02303 BTC. Reserve >= available refuses. */
static void
test_balance_reserve_leverage_clamps(void **state)
{
    (void)state;
    risk_sizing_cfg_t c = k_cfg;
    c.risk_pct = 5000;
    c.max_leverage = 10000;
    c.reserve = 500 * E8;
    risk_sizing_in_t in = { .equity = 10000 * E8,
                            .available = 2000 * E8,
                            .ref_px = 6511420,
                            .sl_px = 6381420,
                            .mult = 15000 };
    risk_sizing_t sz;
    assert_int_equal(risk_sizing_size(&c, &k_spot, &in, &sz), RISK_SIZING_OK);
    assert_true(sz.bal_cap_qty == 2303644);
    assert_true(sz.lev_cap_qty == 15357633); /* 10000 x 1 / 65114.20 = 0.1535763.. */
    assert_true(sz.capped);
    assert_true(sz.qty == 2303);
    in.available = 500 * E8;
    assert_int_equal(risk_sizing_size(&c, &k_spot, &in, &sz), RISK_SIZING_NO_BALANCE);
    assert_string_equal(risk_sizing_strerror(RISK_SIZING_NO_BALANCE), "no available balance");
}

/* min_order_value 1300 USDT: 0.01923 BTC x 65114.20 = 1252.146066 < 1300 -> refused */
static void
test_min_order_value(void **state)
{
    (void)state;
    risk_sizing_cfg_t c = k_cfg;
    c.risk_pct = 5000;
    c.min_order_value = 1300 * E8;
    risk_sizing_in_t in = {
        .equity = 10000 * E8, .ref_px = 6511420, .sl_px = 6381420, .mult = 5000
    };
    risk_sizing_t sz;
    assert_int_equal(risk_sizing_size(&c, &k_spot, &in, &sz), RISK_SIZING_BELOW_MIN_VALUE);
    assert_true(sz.notional == INT64_C(125214606600));
    c.min_order_value = 1252 * E8; /* 1252.146066 >= 1252: ok */
    assert_int_equal(risk_sizing_size(&c, &k_spot, &in, &sz), RISK_SIZING_OK);
}

#define H_NS(h) ((INT64_C(1762128000) + (h)*INT64_C(3600)) * INT64_C(1000000000))

/* confidence: 0.5 + 1.0 x (c - 65) / 30, floored at 1e-4; volatility 0.7 / 1.2; session by
 * UTC hour of 2025-11-03 (D = 1762128000 s is 00:00 UTC) */
static void
test_scale_multipliers(void **state)
{
    (void)state;
    risk_scale_cfg_t c;
    risk_scale_defaults(&c);
    assert_true(risk_scale_mult(&c, 30, 99, H_NS(3)) == 10000); /* all off: 1x */
    c.conf_on = true;
    assert_true(risk_scale_mult(&c, 50, -1, 0) == 5000); /* below 65: clamped 0.5 */
    assert_true(risk_scale_mult(&c, 65, -1, 0) == 5000);
    assert_true(risk_scale_mult(&c, 70, -1, 0) == 6666);  /* 0.5 + 5/30 = 0.66666.. */
    assert_true(risk_scale_mult(&c, 80, -1, 0) == 10000); /* 0.5 + 15/30 */
    assert_true(risk_scale_mult(&c, 95, -1, 0) == 15000);
    assert_true(risk_scale_mult(&c, 99, -1, 0) == 15000); /* clamped */
    c.conf_on = false;
    c.vol_on = true;
    assert_true(risk_scale_mult(&c, 0, 85, 0) == 7000);
    assert_true(risk_scale_mult(&c, 0, 10, 0) == 12000);
    assert_true(risk_scale_mult(&c, 0, 50, 0) == 10000);
    assert_true(risk_scale_mult(&c, 0, -1, 0) == 10000); /* no ATR published: 1x */
    c.vol_on = false;
    c.session_on = true;
    assert_string_equal(risk_scale_session(&c, H_NS(3)), "ASIAN");
    assert_true(risk_scale_mult(&c, 0, -1, H_NS(3)) == 5000);
    assert_string_equal(risk_scale_session(&c, H_NS(10)), "LONDON");
    assert_true(risk_scale_mult(&c, 0, -1, H_NS(10)) == 10000);
    assert_string_equal(risk_scale_session(&c, H_NS(14)), "LONDON_NY_OVERLAP");
    assert_true(risk_scale_mult(&c, 0, -1, H_NS(14)) == 15000);
    assert_string_equal(risk_scale_session(&c, H_NS(18)), "NY");
    assert_string_equal(risk_scale_session(&c, H_NS(23)), "OFF");
    /* all three: conf 80 (1.0) x ATR pctile 85 (0.7) x overlap (1.5) = 1.05 */
    c.conf_on = true;
    c.vol_on = true;
    assert_true(risk_scale_mult(&c, 80, 85, H_NS(14)) == 10500);
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
        cmocka_unit_test(test_mode_fixed_notional),
        cmocka_unit_test(test_mode_equity_pct),
        cmocka_unit_test(test_mode_risk_with_multiplier),
        cmocka_unit_test(test_balance_reserve_leverage_clamps),
        cmocka_unit_test(test_min_order_value),
        cmocka_unit_test(test_scale_multipliers),
    };
    return cmocka_run_group_tests_name("risk_sizing", tests, NULL, NULL);
}
