/*  test_limits.c - unit tests of risk/limits (state, max open positions, daily loss limit).
 *  Amounts at MONEY_VALUE_SCALE (E8 = one USDT); percentages at RISK_PCT_SCALE (3.0 % = 30000).
 *  Day D = 2025-11-03T00:00:00Z = 1762128000 s since the epoch (calendar.timegm), i.e. UTC
 *  day number 1762128000 / 86400 = 20395.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "risk/limits.h"

#define E8       INT64_C(100000000)
#define NS_S     INT64_C(1000000000)
#define DAY_D_NS (INT64_C(1762128000) * NS_S)
#define HOUR_NS  (INT64_C(3600) * NS_S)

static const risk_limits_cfg_t k_cfg = { .max_open_positions = 1,
                                         .daily_loss_limit_pct = 30000,
                                         .start_equity = 10000 * E8 };

static void
test_new_rejects_bad_cfg(void **state)
{
    (void)state;
    risk_limits_cfg_t c = k_cfg;
    c.max_open_positions = 0;
    errno = 0;
    assert_null(risk_limits_new(&c));
    assert_int_equal(errno, EINVAL);
    c = k_cfg;
    c.daily_loss_limit_pct = 0;
    errno = 0;
    assert_null(risk_limits_new(&c));
    assert_int_equal(errno, EINVAL);
    c = k_cfg;
    c.start_equity = 0;
    errno = 0;
    assert_null(risk_limits_new(&c));
    assert_int_equal(errno, EINVAL);
}

static void
test_halted_until_equity_known(void **state)
{
    (void)state;
    risk_limits_t *lim = risk_limits_new(&k_cfg);
    assert_non_null(lim);
    assert_int_equal(risk_limits_state(lim), RISK_HALTED);
    assert_string_equal(risk_limits_reason(lim), "equity unknown");
    assert_true(risk_limits_equity(lim) == 10000 * E8); /* start_balance until exec.balance */
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_HALTED);
    assert_string_equal(risk_limits_strerror(lim, RISK_LIMIT_HALTED), "halted: equity unknown");
    errno = 0;
    assert_int_equal(risk_limits_set_equity(lim, 0), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(risk_limits_state(lim), RISK_HALTED); /* a bad balance changes nothing */
    assert_int_equal(risk_limits_set_equity(lim, 9000 * E8), 0);
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    assert_string_equal(risk_limits_reason(lim), "");
    assert_true(risk_limits_equity(lim) == 9000 * E8);
    assert_true(risk_limits_daily_limit(lim) == 270 * E8); /* 9000 * 3 / 100 */
    risk_limits_check(lim);
    risk_limits_destroy(&lim);
    assert_null(lim);
}

static void
test_entry_checks(void **state)
{
    (void)state;
    risk_limits_t *lim = risk_limits_new(&k_cfg);
    assert_int_equal(risk_limits_set_equity(lim, 10000 * E8), 0);
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_OK);
    /* max_open_positions 1: one held (or in flight) elsewhere refuses a second */
    assert_int_equal(risk_limits_check_entry(lim, 1, false, false), RISK_LIMIT_MAX_OPEN);
    assert_string_equal(risk_limits_strerror(lim, RISK_LIMIT_MAX_OPEN), "max_open_positions");
    assert_int_equal(risk_limits_check_entry(lim, 1, true, false), RISK_LIMIT_POSITION_OPEN);
    assert_int_equal(risk_limits_check_entry(lim, 1, false, true), RISK_LIMIT_ENTRY_PENDING);
    assert_string_equal(risk_limits_strerror(lim, RISK_LIMIT_ENTRY_PENDING), "entry pending");

    risk_limits_pause(lim);
    assert_int_equal(risk_limits_state(lim), RISK_PAUSED);
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_PAUSED);
    assert_string_equal(risk_limits_strerror(lim, RISK_LIMIT_PAUSED), "paused");
    risk_limits_check(lim);
    risk_limits_resume(lim);
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);

    risk_limits_executor_timeout(lim);
    assert_int_equal(risk_limits_state(lim), RISK_HALTED);
    assert_string_equal(risk_limits_reason(lim), "executor_timeout");
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_HALTED);
    assert_string_equal(risk_limits_strerror(lim, RISK_LIMIT_HALTED), "halted: executor_timeout");
    risk_limits_pause(lim); /* halt outranks pause */
    assert_int_equal(risk_limits_state(lim), RISK_HALTED);
    risk_limits_check(lim);
    risk_limits_resume(lim); /* a person clears both */
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    risk_limits_check(lim);
    risk_limits_destroy(&lim);
}

static void
test_daily_loss_trips_on_exact_fill_and_clears_next_day(void **state)
{
    (void)state;
    risk_limits_t *lim = risk_limits_new(&k_cfg);
    assert_int_equal(risk_limits_set_equity(lim, 10000 * E8), 0);
    assert_false(risk_limits_on_time(lim, DAY_D_NS + 10 * HOUR_NS));
    assert_true(risk_limits_day(lim) == 20395);
    /* limit = 3.0 % of the day's start equity 10000 = 300 USDT */
    assert_true(risk_limits_daily_limit(lim) == 300 * E8);

    /* fill 1: -100 pnl, 0 fee -> -100 */
    assert_int_equal(risk_limits_on_fill(lim, DAY_D_NS + 11 * HOUR_NS, -100 * E8, 0), 0);
    /* fill 2: -150 pnl, 10 fee -> -260: not yet */
    assert_int_equal(risk_limits_on_fill(lim, DAY_D_NS + 12 * HOUR_NS, -150 * E8, 10 * E8), 0);
    assert_true(risk_limits_daily_pnl(lim) == -260 * E8);
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_OK);
    /* fill 3: -30 pnl, 10 fee -> -300 exactly = -limit: this fill trips */
    assert_int_equal(risk_limits_on_fill(lim, DAY_D_NS + 13 * HOUR_NS, -30 * E8, 10 * E8), 1);
    assert_true(risk_limits_daily_pnl(lim) == -300 * E8);
    assert_true(risk_limits_loss_tripped(lim));
    assert_int_equal(risk_limits_trades_today(lim), 3);
    assert_int_equal(risk_limits_state(lim), RISK_HALTED);
    assert_string_equal(risk_limits_reason(lim), "daily_loss_limit");
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_DAILY_LOSS);
    assert_string_equal(risk_limits_strerror(lim, RISK_LIMIT_DAILY_LOSS), "daily_loss_limit");
    risk_limits_check(lim);
    /* a further loss does not trip again (one alert per day) */
    assert_int_equal(risk_limits_on_fill(lim, DAY_D_NS + 14 * HOUR_NS, -1 * E8, 0), 0);
    /* a profit back above the limit does not clear it either: only the new day does */
    assert_int_equal(risk_limits_on_fill(lim, DAY_D_NS + 15 * HOUR_NS, 200 * E8, 0), 0);
    assert_true(risk_limits_daily_pnl(lim) == -101 * E8); /* -300 - 1 + 200 */
    risk_limits_resume(lim);                              /* and neither does the operator */
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_DAILY_LOSS);
    risk_limits_check(lim);

    /* equity after the losses: 9700. Last ns of day D: still tripped */
    assert_int_equal(risk_limits_set_equity(lim, 9700 * E8), 0);
    assert_false(risk_limits_on_time(lim, DAY_D_NS + 24 * HOUR_NS - 1));
    assert_true(risk_limits_loss_tripped(lim));
    /* an older event time never rolls back */
    assert_false(risk_limits_on_time(lim, DAY_D_NS));
    /* 00:00:00.000 UTC of D+1 in event time: cleared, new limit 9700 * 3 % = 291 */
    assert_true(risk_limits_on_time(lim, DAY_D_NS + 24 * HOUR_NS));
    assert_false(risk_limits_loss_tripped(lim));
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    assert_true(risk_limits_daily_pnl(lim) == 0);
    assert_true(risk_limits_daily_limit(lim) == 291 * E8);
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_OK);
    /* a late fill of day D (feedback lags a step) does not count towards D+1 */
    assert_int_equal(risk_limits_on_fill(lim, DAY_D_NS + 23 * HOUR_NS, -500 * E8, 0), 0);
    assert_true(risk_limits_daily_pnl(lim) == 0);
    risk_limits_check(lim);
    risk_limits_destroy(&lim);
}

static void
test_fill_of_later_day_rolls_first(void **state)
{
    (void)state;
    risk_limits_t *lim = risk_limits_new(&k_cfg);
    assert_int_equal(risk_limits_set_equity(lim, 10000 * E8), 0);
    assert_int_equal(risk_limits_on_fill(lim, DAY_D_NS + HOUR_NS, -300 * E8, 0), 1);
    /* the first fill of D+1 rolls the day (clearing the trip) before it counts */
    assert_int_equal(risk_limits_on_fill(lim, DAY_D_NS + 25 * HOUR_NS, -10 * E8, 0), 0);
    assert_true(risk_limits_day(lim) == 20396);
    assert_true(risk_limits_daily_pnl(lim) == -10 * E8);
    assert_false(risk_limits_loss_tripped(lim));
    /* overflow: pnl - fee out of range is ERANGE and changes nothing */
    errno = 0;
    assert_int_equal(risk_limits_on_fill(lim, DAY_D_NS + 26 * HOUR_NS, INT64_MIN, 1), -1);
    assert_int_equal(errno, ERANGE);
    assert_true(risk_limits_daily_pnl(lim) == -10 * E8);
    risk_limits_check(lim);
    risk_limits_destroy(&lim);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_rejects_bad_cfg),
        cmocka_unit_test(test_halted_until_equity_known),
        cmocka_unit_test(test_entry_checks),
        cmocka_unit_test(test_daily_loss_trips_on_exact_fill_and_clears_next_day),
        cmocka_unit_test(test_fill_of_later_day_rolls_first),
    };
    return cmocka_run_group_tests_name("risk_limits", tests, NULL, NULL);
}
