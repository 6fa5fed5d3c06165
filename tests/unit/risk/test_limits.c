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
#include <stdlib.h>
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

/* ---- breakers ---------------------------------------------------------------------- */

#define MIN_NS (INT64_C(60) * NS_S)

static risk_limits_t *
s_running(risk_limits_cfg_t c)
{
    risk_limits_t *lim = risk_limits_new(&c);
    assert_non_null(lim);
    assert_int_equal(risk_limits_set_equity(lim, 10000 * E8), 0);
    (void)risk_limits_on_time(lim, DAY_D_NS + HOUR_NS);
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    return lim;
}

static void
test_new_rejects_bad_breakers(void **state)
{
    (void)state;
    risk_limits_cfg_t c = k_cfg;
    c.max_drawdown_pct = 100 * 10000 + 1; /* > 100 % */
    errno = 0;
    assert_null(risk_limits_new(&c));
    assert_int_equal(errno, EINVAL);
    c = k_cfg;
    c.max_trades_per_hour = RISK_TRADES_HOUR_MAX + 1;
    errno = 0;
    assert_null(risk_limits_new(&c));
    assert_int_equal(errno, EINVAL);
    c = k_cfg;
    c.min_balance = -1;
    errno = 0;
    assert_null(risk_limits_new(&c));
    assert_int_equal(errno, EINVAL);
    c = k_cfg;
    c.max_consecutive_losses = -1;
    errno = 0;
    assert_null(risk_limits_new(&c));
    assert_int_equal(errno, EINVAL);
}

/* max_drawdown_pct 10 %: peak 10000 -> limit 1000, recovery at dd <= 500 */
static void
test_drawdown_trips_recovers_and_resume_resets_peak(void **state)
{
    (void)state;
    risk_limits_cfg_t c = k_cfg;
    c.max_drawdown_pct = 100000;
    risk_limits_t *lim = s_running(c);
    assert_int_equal(risk_limits_set_equity(lim, 10200 * E8), 0); /* new peak */
    assert_true(risk_limits_equity_peak(lim) == 10200 * E8);
    /* limit now 1020: dd 1019.99999999 holds, dd 1020 trips */
    assert_int_equal(risk_limits_set_equity(lim, 9180 * E8 + 1), 0);
    assert_false(risk_limits_dd_tripped(lim));
    assert_int_equal(risk_limits_set_equity(lim, 9180 * E8), 0);
    assert_true(risk_limits_dd_tripped(lim));
    assert_true(risk_limits_drawdown(lim) == 1020 * E8);
    assert_int_equal(risk_limits_state(lim), RISK_HALTED);
    assert_string_equal(risk_limits_reason(lim), "max_drawdown");
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_DRAWDOWN);
    /* recovery: dd 511 > 510 holds; dd 510 (= 1020 / 2) clears */
    assert_int_equal(risk_limits_set_equity(lim, 9689 * E8), 0);
    assert_true(risk_limits_dd_tripped(lim));
    assert_int_equal(risk_limits_set_equity(lim, 9690 * E8), 0);
    assert_false(risk_limits_dd_tripped(lim));
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    /* trip again, then a person resumes: the peak restarts at the current equity */
    assert_int_equal(risk_limits_set_equity(lim, 9000 * E8), 0);
    assert_true(risk_limits_dd_tripped(lim));
    risk_limits_resume(lim);
    assert_false(risk_limits_dd_tripped(lim));
    assert_true(risk_limits_equity_peak(lim) == 9000 * E8);
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    risk_limits_check(lim);
    risk_limits_destroy(&lim);
}

static void
test_min_balance(void **state)
{
    (void)state;
    risk_limits_cfg_t c = k_cfg;
    c.min_balance = 5000 * E8;
    risk_limits_t *lim = s_running(c);
    assert_int_equal(risk_limits_set_equity(lim, 5000 * E8 - 1), 0); /* 4999.99999999 */
    assert_true(risk_limits_min_balance_tripped(lim));
    assert_string_equal(risk_limits_reason(lim), "min_balance");
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_MIN_BALANCE);
    assert_int_equal(risk_limits_set_equity(lim, 5000 * E8), 0); /* exactly the minimum: ok */
    assert_false(risk_limits_min_balance_tripped(lim));
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    risk_limits_destroy(&lim);
}

/* max 3 entries per hour of event time: (now - 1 h, now] */
static void
test_trades_per_hour_window(void **state)
{
    (void)state;
    risk_limits_cfg_t c = k_cfg;
    c.max_trades_per_hour = 3;
    c.max_open_positions = 5;
    risk_limits_t *lim = s_running(c);
    int64_t t = DAY_D_NS + 2 * HOUR_NS;
    (void)risk_limits_on_time(lim, t);
    assert_int_equal(risk_limits_on_entry(lim, t), 0);
    assert_int_equal(risk_limits_on_entry(lim, t + 10 * MIN_NS), 0);
    assert_int_equal(risk_limits_on_entry(lim, t + 20 * MIN_NS), 1); /* the third fills it */
    (void)risk_limits_on_time(lim, t + 30 * MIN_NS);
    assert_int_equal(risk_limits_trades_last_hour(lim, t + 30 * MIN_NS), 3);
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_TRADES_HOUR);
    assert_string_equal(risk_limits_strerror(lim, RISK_LIMIT_TRADES_HOUR), "max_trades_per_hour");
    /* at t + 60 min the entry made at t is out of (t, t + 60 min]: 2 left, entries allowed */
    (void)risk_limits_on_time(lim, t + 60 * MIN_NS);
    assert_int_equal(risk_limits_trades_last_hour(lim, t + 60 * MIN_NS), 2);
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_OK);
    risk_limits_destroy(&lim);
}

static void
test_loss_streak_pauses_until_next_day(void **state)
{
    (void)state;
    risk_limits_cfg_t c = k_cfg;
    c.max_consecutive_losses = 3;
    risk_limits_t *lim = s_running(c);
    assert_int_equal(risk_limits_on_trade_closed(lim, -1), 0);
    assert_int_equal(risk_limits_on_trade_closed(lim, -5 * E8), 0);
    assert_int_equal(risk_limits_on_trade_closed(lim, 0), 0); /* breakeven ends the streak */
    assert_int_equal(risk_limits_loss_streak(lim), 0);
    assert_int_equal(risk_limits_on_trade_closed(lim, -1), 0);
    assert_int_equal(risk_limits_on_trade_closed(lim, -1), 0);
    assert_int_equal(risk_limits_on_trade_closed(lim, -1), 1);
    assert_int_equal(risk_limits_state(lim), RISK_PAUSED);
    assert_string_equal(risk_limits_reason(lim), "loss_streak");
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_LOSS_STREAK);
    /* same day: still paused; next UTC day (D + 1 = 20396) clears */
    assert_false(risk_limits_on_time(lim, DAY_D_NS + 23 * HOUR_NS));
    assert_int_equal(risk_limits_state(lim), RISK_PAUSED);
    assert_true(risk_limits_on_time(lim, DAY_D_NS + 24 * HOUR_NS));
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    assert_int_equal(risk_limits_loss_streak(lim), 0);
    /* or a person: resume */
    for (int i = 0; i < 3; i++) {
        (void)risk_limits_on_trade_closed(lim, -1);
    }
    assert_int_equal(risk_limits_state(lim), RISK_PAUSED);
    risk_limits_resume(lim);
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    risk_limits_check(lim);
    risk_limits_destroy(&lim);
}

static void
test_kill_latch_above_everything(void **state)
{
    (void)state;
    risk_limits_t *lim = risk_limits_new(&k_cfg); /* equity unknown */
    risk_limits_kill(lim);
    assert_int_equal(risk_limits_state(lim), RISK_KILLED);
    assert_string_equal(risk_limits_state_name(RISK_KILLED), "KILLED");
    assert_string_equal(risk_limits_reason(lim), "kill_switch");
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_KILLED);
    assert_int_equal(risk_limits_set_equity(lim, 10000 * E8), 0);
    risk_limits_resume(lim); /* resume does not clear a kill */
    assert_int_equal(risk_limits_state(lim), RISK_KILLED);
    (void)risk_limits_on_time(lim, DAY_D_NS + 48 * HOUR_NS); /* nor a new day */
    assert_int_equal(risk_limits_state(lim), RISK_KILLED);
    risk_limits_clear_kill(lim);
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    risk_limits_check(lim);
    risk_limits_destroy(&lim);
}

static void
test_unknown_and_stale_halt(void **state)
{
    (void)state;
    risk_limits_t *lim = s_running(k_cfg);
    risk_limits_set_stale(lim, true);
    assert_int_equal(risk_limits_state(lim), RISK_HALTED);
    assert_string_equal(risk_limits_strerror(lim, risk_limits_check_entry(lim, 0, false, false)),
                        "halted: stale_data");
    risk_limits_set_unknown(lim, true);
    assert_string_equal(risk_limits_reason(lim), "state unknown");
    assert_string_equal(risk_limits_strerror(lim, RISK_LIMIT_HALTED), "halted: state unknown");
    risk_limits_set_unknown(lim, false);
    risk_limits_set_stale(lim, false);
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    risk_limits_destroy(&lim);
}

/* exec.status words: reconciling and halted halt entries with their own reason, running
 * clears; another word is refused and changes nothing */
static void
test_executor_venue_halts(void **state)
{
    (void)state;
    risk_limits_t *lim = s_running(k_cfg);
    assert_string_equal(risk_limits_executor_venue(lim), "running");
    assert_int_equal(risk_limits_set_executor_venue(lim, "reconciling"), 0);
    assert_int_equal(risk_limits_state(lim), RISK_HALTED);
    assert_string_equal(risk_limits_reason(lim), "executor_reconciling");
    assert_string_equal(risk_limits_strerror(lim, risk_limits_check_entry(lim, 0, false, false)),
                        "halted: executor_reconciling");
    assert_int_equal(risk_limits_set_executor_venue(lim, "halted"), 0);
    assert_string_equal(risk_limits_strerror(lim, RISK_LIMIT_HALTED), "halted: executor_halted");
    errno = 0;
    assert_int_equal(risk_limits_set_executor_venue(lim, "sleepy"), -1);
    assert_int_equal(errno, EINVAL);
    assert_string_equal(risk_limits_executor_venue(lim), "halted");
    assert_int_equal(risk_limits_set_executor_venue(lim, "running"), 0);
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    assert_int_equal(risk_limits_check_entry(lim, 0, false, false), RISK_LIMIT_OK);
    risk_limits_check(lim);
    risk_limits_destroy(&lim);
}

static void
test_save_restore_round_trip(void **state)
{
    (void)state;
    risk_limits_cfg_t c = k_cfg;
    c.max_trades_per_hour = 10;
    c.max_consecutive_losses = 5;
    c.max_drawdown_pct = 100000;
    risk_limits_t *a = s_running(c);
    assert_int_equal(risk_limits_set_equity(a, 10500 * E8), 0);
    assert_int_equal(risk_limits_set_equity(a, 10400 * E8), 0);
    assert_int_equal(risk_limits_on_fill(a, DAY_D_NS + 2 * HOUR_NS, -40 * E8, 2 * E8), 0);
    (void)risk_limits_on_trade_closed(a, -42 * E8);
    (void)risk_limits_on_trade_closed(a, -1);
    (void)risk_limits_on_entry(a, DAY_D_NS + 2 * HOUR_NS);
    (void)risk_limits_on_entry(a, DAY_D_NS + 2 * HOUR_NS + MIN_NS);
    risk_limits_kill(a);
    risk_limits_saved_t *sa = calloc(1, sizeof *sa), *sb = calloc(1, sizeof *sb);
    risk_limits_save(a, sa);
    assert_true(sa->equity_peak == 10500 * E8);
    assert_true(sa->daily_pnl == -42 * E8);
    assert_int_equal(sa->loss_streak, 2);
    assert_int_equal(sa->n_entries, 2);
    risk_limits_t *b = risk_limits_new(&c);
    risk_limits_restore(b, sa);
    risk_limits_save(b, sb);
    assert_memory_equal(sa, sb, sizeof *sa);
    assert_int_equal(risk_limits_state(b), RISK_KILLED);
    assert_false(risk_limits_equity_known(b)); /* the executor must tell it again */
    assert_int_equal(risk_limits_trades_last_hour(b, DAY_D_NS + 2 * HOUR_NS + 2 * MIN_NS), 2);
    free(sa);
    free(sb);
    risk_limits_destroy(&a);
    risk_limits_destroy(&b);
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
        cmocka_unit_test(test_new_rejects_bad_breakers),
        cmocka_unit_test(test_drawdown_trips_recovers_and_resume_resets_peak),
        cmocka_unit_test(test_min_balance),
        cmocka_unit_test(test_trades_per_hour_window),
        cmocka_unit_test(test_loss_streak_pauses_until_next_day),
        cmocka_unit_test(test_kill_latch_above_everything),
        cmocka_unit_test(test_unknown_and_stale_halt),
        cmocka_unit_test(test_executor_venue_halts),
        cmocka_unit_test(test_save_restore_round_trip),
    };
    return cmocka_run_group_tests_name("risk_limits", tests, NULL, NULL);
}
