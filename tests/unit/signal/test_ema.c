/*  test_ema.c - signal/ema against TA-Lib's own outputs (data/indicators, PROVENANCE.md 6, 7).
 *  Expected values are TA-Lib TA_EMA outputs written by TA-Lib itself, not by this program.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "signal/ema.h"
#include "tests/unit/signal/csv_util.h"

#define BTC_CSV "data/indicators/talib_binance_spot_btcusdt_1m_2025-11-03_2025-11-04.csv"
#define REG_CSV "data/indicators/talib_regtest_daily252.csv"
#define CHK_CSV "data/indicators/talib_regtest_checkpoints.csv"
#define REL_TOL 1e-9

static void
s_check_close(double got, double want, size_t row, const char *col)
{
    double tol = REL_TOL * fabs(want);
    if (!(fabs(got - want) <= tol)) {
        fail_msg("%s row %zu: got %.17g want %.17g", col, row, got, want);
    }
}

/* Feed every close of `path` to EMA(n) and compare with column `col` on every row: an empty
 * cell means TA-Lib had no output yet, and ema_update must say 0 exactly there. Returns the
 * number of outputs compared. */
static size_t
s_run_file(const char *path, const char *col, int n, size_t want_first)
{
    csv_t csv;
    assert_int_equal(csv_load(&csv, path), 0);
    int c_close = csv_col(&csv, "close");
    int c_ema = csv_col(&csv, col);
    assert_true(c_close >= 0 && c_ema >= 0);
    ema_t *ema = ema_new(n);
    assert_non_null(ema);
    size_t compared = 0, first = 0;
    for (size_t r = 1; r < csv.n_rows; r++) {
        double x = strtod(csv.cells[r][c_close], NULL);
        double got = -1.0, v;
        int rc = ema_update(ema, x, &got);
        const char *cell = csv.cells[r][c_ema];
        if (cell[0] == '\0') {
            assert_int_equal(rc, 0);
            assert_int_equal(ema_value(ema, &v), -1);
            assert_int_equal(errno, ENODATA);
            continue;
        }
        assert_int_equal(rc, 1);
        if (compared == 0) {
            first = r - 1;
        }
        s_check_close(got, strtod(cell, NULL), r, col);
        assert_int_equal(ema_value(ema, &v), 0);
        assert_true(v == got);
        compared++;
    }
    /* PROVENANCE.md 6: first output row (0-based) ema9 8, ema12 11, ema21 20, ema26 25 = n-1 */
    assert_int_equal(first, want_first);
    assert_int_equal(ema_count(ema), csv.n_rows - 1);
    ema_destroy(&ema);
    csv_free(&csv);
    return compared;
}

static void
test_btc_1m(void **state)
{
    (void)state;
    /* 2,880 rows; outputs from row n-1, so 2880 - (n-1) each */
    assert_int_equal(s_run_file(BTC_CSV, "ema9", 9, 8), 2880 - 8);
    assert_int_equal(s_run_file(BTC_CSV, "ema12", 12, 11), 2880 - 11);
    assert_int_equal(s_run_file(BTC_CSV, "ema21", 21, 20), 2880 - 20);
    assert_int_equal(s_run_file(BTC_CSV, "ema26", 26, 25), 2880 - 25);
}

static void
test_regtest_daily(void **state)
{
    (void)state;
    assert_int_equal(s_run_file(REG_CSV, "ema9", 9, 8), 252 - 8);
    assert_int_equal(s_run_file(REG_CSV, "ema12", 12, 11), 252 - 11);
    assert_int_equal(s_run_file(REG_CSV, "ema21", 21, 20), 252 - 20);
    assert_int_equal(s_run_file(REG_CSV, "ema26", 26, 25), 252 - 25);
}

/* TA-Lib's regression test (ta_regtest test_ma.c) asserts EMA(10) values at bars 9, 10, 29,
 * 251 to the decimals it writes; tolerance = one unit of the last written decimal. */
static void
test_regtest_checkpoints_ema10(void **state)
{
    (void)state;
    csv_t reg, chk;
    assert_int_equal(csv_load(&reg, REG_CSV), 0);
    assert_int_equal(csv_load(&chk, CHK_CSV), 0);
    int c_close = csv_col(&reg, "close");
    double out[300];
    int has[300];
    ema_t *ema = ema_new(10);
    assert_non_null(ema);
    assert_true(reg.n_rows - 1 <= 300);
    for (size_t r = 1; r < reg.n_rows; r++) {
        has[r - 1] = ema_update(ema, strtod(reg.cells[r][c_close], NULL), &out[r - 1]);
    }
    int checked = 0;
    for (size_t r = 1; r < chk.n_rows; r++) {
        if (strcmp(chk.cells[r][0], "ema10") != 0) {
            continue;
        }
        int bar = atoi(chk.cells[r][1]);
        const char *exp = chk.cells[r][3];
        const char *dot = strchr(exp, '.');
        int decimals = dot ? (int)strlen(dot + 1) : 0;
        double tol = pow(10.0, -decimals);
        assert_int_equal(has[bar], 1);
        if (!(fabs(out[bar] - strtod(exp, NULL)) <= tol)) {
            fail_msg("ema10 bar %d: got %.10f want %s", bar, out[bar], exp);
        }
        checked++;
    }
    assert_int_equal(checked, 4);
    ema_destroy(&ema);
    csv_free(&reg);
    csv_free(&chk);
}

/* Hand-derived: EMA(3), k = 2/4 = 0.5. Inputs 1, 2, 3 -> seed SMA = 2 at the 3rd input;
 * input 5 -> (5 - 2) * 0.5 + 2 = 3.5; input 1.5 -> (1.5 - 3.5) * 0.5 + 3.5 = 2.5. */
static void
test_small_by_hand(void **state)
{
    (void)state;
    ema_t *ema = ema_new(3);
    double v = 0;
    assert_int_equal(ema_update(ema, 1.0, &v), 0);
    assert_int_equal(ema_update(ema, 2.0, &v), 0);
    assert_int_equal(ema_update(ema, 3.0, &v), 1);
    assert_true(v == 2.0);
    assert_int_equal(ema_update(ema, 5.0, &v), 1);
    assert_true(v == 3.5);
    assert_int_equal(ema_update(ema, 1.5, NULL), 1);
    assert_int_equal(ema_value(ema, &v), 0);
    assert_true(v == 2.5);
    assert_int_equal(ema_period(ema), 3);
    ema_reset(ema);
    assert_int_equal(ema_count(ema), 0);
    assert_int_equal(ema_value(ema, &v), -1);
    assert_int_equal(errno, ENODATA);
    ema_destroy(&ema);
    assert_null(ema);
    ema_destroy(&ema); /* no-op on NULL */
}

static void
test_errors(void **state)
{
    (void)state;
    errno = 0;
    assert_null(ema_new(1));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(ema_new(EMA_MAX_PERIOD + 1));
    assert_int_equal(errno, EINVAL);
    ema_t *ema = ema_new(2);
    assert_non_null(ema);
    errno = 0;
    assert_int_equal(ema_update(ema, NAN, NULL), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(ema_update(ema, INFINITY, NULL), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(ema_count(ema), 0); /* rejected inputs leave the state unchanged */
    ema_destroy(&ema);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_btc_1m),
        cmocka_unit_test(test_regtest_daily),
        cmocka_unit_test(test_regtest_checkpoints_ema10),
        cmocka_unit_test(test_small_by_hand),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("ema", tests, NULL, NULL);
}
