/*  test_account.c - positions, realised/unrealised PnL, wallet and equity (executor/account.h).
 *  Unless said otherwise: px_scale 2 (100.00 -> 10000), qty_scale 3 (0.300 -> 300), amounts at
 *  MONEY_VALUE_SCALE 8 (3.00 -> 300000000).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "executor/account.h"

#define E8 100000000LL /* 1.00 quote unit at MONEY_VALUE_SCALE */

static const char *const k_v = "bybit-linear";
static const char *const k_s = "BTCUSDT";

static void
test_flip_long_to_short(void **state)
{
    (void)state;
    account_t *a = account_new("USDT", 10000 * E8);
    assert_non_null(a);
    int64_t pnl = -1;
    /* long 0.3 @ 100: cost 30.00; fee 0.03 (0.1 % of 30, passed in) */
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, 1, 10000, 300, 3000000, &pnl), 0);
    assert_int_equal(pnl, 0);
    /* sell 0.5 @ 110: closes 0.3 -> realised (110 - 100) x 0.3 = +3.00; the other 0.2 opens a
     * short at 110 (cost -22.00, entry 110.00). fee 0.055 (0.1 % of 55) */
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, -1, 11000, 500, 5500000, &pnl), 0);
    assert_int_equal(pnl, 3 * E8);
    codec_exec_position_t p;
    assert_int_equal(account_position(a, k_v, k_s, 42, &p), 0);
    assert_int_equal(p.qty, -200);
    assert_int_equal(p.entry_px, 11000);
    assert_int_equal(p.realized_pnl, 3 * E8);
    assert_int_equal(p.mark_px, 11000); /* the last fill is the mark until md says otherwise */
    assert_int_equal(p.unrealized_pnl, 0);
    assert_int_equal(p.ts_event, 42);
    /* mark 105: unrealised = 105 x (-0.2) - (-22) = +1.00 */
    assert_int_equal(account_mark(a, k_v, k_s, 10500), 0);
    assert_int_equal(account_position(a, k_v, k_s, 43, &p), 0);
    assert_int_equal(p.unrealized_pnl, 1 * E8);
    /* wallet = 10000 + 3.00 - (0.03 + 0.055) = 10002.915; equity = wallet + 1.00 */
    codec_exec_balance_t b;
    assert_int_equal(account_balance(a, "paper", 44, &b), 0);
    assert_int_equal(b.wallet, 10002 * E8 + 91500000);
    assert_int_equal(b.equity, 10003 * E8 + 91500000);
    assert_int_equal(b.fees, 8500000);
    assert_string_equal(b.asset, "USDT");
    assert_string_equal(b.venue, "paper");
    assert_true(account_is_open(a, k_v, k_s));
    assert_int_equal(account_open_positions(a), 1);
    account_check(a);
    account_destroy(&a);
    assert_null(a);
}

static void
test_partial_close(void **state)
{
    (void)state;
    account_t *a = account_new("USDT", 0);
    int64_t pnl;
    /* 0.4 @ 100 + 0.6 @ 101: cost 40.00 + 60.60 = 100.60, qty 1.0, entry 100.60 */
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, 1, 10000, 400, 0, NULL), 0);
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, 1, 10100, 600, 0, NULL), 0);
    codec_exec_position_t p;
    assert_int_equal(account_position(a, k_v, k_s, 0, &p), 0);
    assert_int_equal(p.entry_px, 10060);
    /* sell 0.5 @ 102: removes half the cost (50.30), realised 51.00 - 50.30 = 0.70 */
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, -1, 10200, 500, 0, &pnl), 0);
    assert_int_equal(pnl, 70000000);
    assert_int_equal(account_position(a, k_v, k_s, 0, &p), 0);
    assert_int_equal(p.qty, 500);
    assert_int_equal(p.entry_px, 10060); /* 50.30 / 0.5 */
    assert_int_equal(p.realized_pnl, 70000000);
    /* mark 102 (the fill): unrealised = 102 x 0.5 - 50.30 = 0.70 */
    assert_int_equal(p.unrealized_pnl, 70000000);
    account_check(a);
    account_destroy(&a);
}

static void
test_exact_cost_not_rounded_entry(void **state)
{
    (void)state;
    account_t *a = account_new("USDT", 0);
    int64_t pnl;
    /* 1 @ 100 + 2 @ 101: cost 302.00 over 3 -> entry 100.666.. shown as 100.67 */
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, 1, 10000, 1000, 0, NULL), 0);
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, 1, 10100, 2000, 0, NULL), 0);
    codec_exec_position_t p;
    assert_int_equal(account_position(a, k_v, k_s, 0, &p), 0);
    assert_int_equal(p.entry_px, 10067);
    /* sell 3 @ 102: realised = 306.00 - 302.00 = 4.00 exactly; with the rounded entry it
     * would be (102 - 100.67) x 3 = 3.99 */
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, -1, 10200, 3000, 0, &pnl), 0);
    assert_int_equal(pnl, 4 * E8);
    assert_int_equal(account_position(a, k_v, k_s, 0, &p), 0);
    assert_int_equal(p.qty, 0);
    assert_int_equal(p.entry_px, 0);
    assert_int_equal(p.unrealized_pnl, 0);
    assert_false(account_is_open(a, k_v, k_s));
    assert_int_equal(account_open_positions(a), 0);
    account_check(a);
    account_destroy(&a);
}

static void
test_short_cover_and_removed_cost_half_even(void **state)
{
    (void)state;
    account_t *a = account_new("USDT", 0);
    int64_t pnl;
    /* short 0.2 @ 110, buy back 0.2 @ 100: realised (110 - 100) x 0.2 = +2.00 */
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, -1, 11000, 200, 0, NULL), 0);
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, 1, 10000, 200, 0, &pnl), 0);
    assert_int_equal(pnl, 2 * E8);
    /* px_scale 4, qty_scale 4 (scales sum to 8, so costs are exact to the last digit):
     * 0.0001 @ 1.0001 + 0.0001 @ 1.0002: cost 0.00010001 + 0.00010002 = 20003e-8.
     * Sell 0.0001 @ 1.0000: removed cost = 20003 / 2 = 10001.5 -> half-even 10002;
     * realised = 10000 - 10002 = -2e-8; left: cost 10001, entry 1.0001 */
    assert_int_equal(account_fill(a, "x", "Y", 4, 4, 1, 10001, 1, 0, NULL), 0);
    assert_int_equal(account_fill(a, "x", "Y", 4, 4, 1, 10002, 1, 0, NULL), 0);
    assert_int_equal(account_fill(a, "x", "Y", 4, 4, -1, 10000, 1, 0, &pnl), 0);
    assert_int_equal(pnl, -2);
    codec_exec_position_t p;
    assert_int_equal(account_position(a, "x", "Y", 0, &p), 0);
    assert_int_equal(p.qty, 1);
    assert_int_equal(p.entry_px, 10001);
    assert_int_equal(account_realized(a), 2 * E8 - 2);
    account_check(a);
    account_destroy(&a);
}

static void
test_errors(void **state)
{
    (void)state;
    errno = 0;
    assert_null(account_new("", 0));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(account_new("TOOLONGASSET", 0)); /* 12 chars, field holds 11 */
    assert_int_equal(errno, EINVAL);
    account_t *a = account_new("USDT", 0);
    errno = 0;
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, 0, 10000, 1, 0, NULL), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, 1, 0, 1, 0, NULL), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, 1, 10000, 0, 0, NULL), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, 1, 10000, 1, 0, NULL), 0);
    errno = 0;
    assert_int_equal(account_fill(a, k_v, k_s, 1, 3, 1, 1000, 1, 0, NULL), -1); /* scale */
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(account_mark(a, k_v, "NOPE", 1), -1);
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_int_equal(account_mark(a, k_v, k_s, 0), -1);
    assert_int_equal(errno, EINVAL);
    codec_exec_position_t p;
    errno = 0;
    assert_int_equal(account_position(a, k_v, "NOPE", 0, &p), -1);
    assert_int_equal(errno, ENOENT);
    /* overflow: px x qty beyond int64 at value scale; nothing changes */
    errno = 0;
    assert_int_equal(account_fill(a, k_v, k_s, 2, 3, 1, INT64_MAX, INT64_MAX, 0, NULL), -1);
    assert_int_equal(errno, ERANGE);
    assert_int_equal(account_position(a, k_v, k_s, 0, &p), 0);
    assert_int_equal(p.qty, 1);
    /* the table holds ACCOUNT_MAX_POSITIONS positions; one more is ENOSPC */
    char sym[16];
    for (int i = 1; i < ACCOUNT_MAX_POSITIONS; i++) {
        snprintf(sym, sizeof sym, "S%d", i);
        assert_int_equal(account_fill(a, k_v, sym, 2, 3, 1, 100, 1, 0, NULL), 0);
    }
    errno = 0;
    assert_int_equal(account_fill(a, k_v, "ONEMORE", 2, 3, 1, 100, 1, 0, NULL), -1);
    assert_int_equal(errno, ENOSPC);
    account_check(a);
    account_destroy(&a);
    account_destroy(&a); /* no-op on NULL */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flip_long_to_short),
        cmocka_unit_test(test_partial_close),
        cmocka_unit_test(test_exact_cost_not_rounded_entry),
        cmocka_unit_test(test_short_cover_and_removed_cost_half_even),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("account", tests, NULL, NULL);
}
