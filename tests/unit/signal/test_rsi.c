/*  test_rsi.c - signal/rsi against TA-Lib's own outputs (data/indicators, PROVENANCE.md 6, 7).
 *  Expected values are TA_RSI outputs written by TA-Lib, and the values TA-Lib's regression
 *  test asserts (talib_regtest_checkpoints.csv), not this program's output.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "signal/rsi.h"
#include "tests/unit/signal/csv_util.h"

#define BTC_CSV "data/indicators/talib_binance_spot_btcusdt_1m_2025-11-03_2025-11-04.csv"
#define REG_CSV "data/indicators/talib_regtest_daily252.csv"
#define CHK_CSV "data/indicators/talib_regtest_checkpoints.csv"
#define REL_TOL 1e-9

/* Feed every close of `path` to RSI(14) and compare with column rsi14 on every row (empty
 * cell = no output yet, rsi_update must return 0 exactly there). Returns outputs compared. */
static size_t
s_run_file(const char *path)
{
    csv_t csv;
    assert_int_equal(csv_load(&csv, path), 0);
    int c_close = csv_col(&csv, "close");
    int c_rsi = csv_col(&csv, "rsi14");
    assert_true(c_close >= 0 && c_rsi >= 0);
    rsi_t *rsi = rsi_new(14);
    assert_non_null(rsi);
    size_t compared = 0, first = 0;
    for (size_t r = 1; r < csv.n_rows; r++) {
        double got = -1.0, v;
        int rc = rsi_update(rsi, strtod(csv.cells[r][c_close], NULL), &got);
        const char *cell = csv.cells[r][c_rsi];
        if (cell[0] == '\0') {
            assert_int_equal(rc, 0);
            assert_int_equal(rsi_value(rsi, &v), -1);
            assert_int_equal(errno, ENODATA);
            continue;
        }
        assert_int_equal(rc, 1);
        if (compared == 0) {
            first = r - 1;
        }
        double want = strtod(cell, NULL);
        if (!(fabs(got - want) <= REL_TOL * fabs(want))) {
            fail_msg("%s rsi14 row %zu: got %.17g want %.17g", path, r, got, want);
        }
        assert_true(got >= 0.0 && got <= 100.0);
        compared++;
    }
    assert_int_equal(first, 14); /* PROVENANCE.md 6: rsi14 first output at 0-based row 14 */
    rsi_destroy(&rsi);
    csv_free(&csv);
    return compared;
}

static void
test_btc_1m(void **state)
{
    (void)state;
    assert_int_equal(s_run_file(BTC_CSV), 2880 - 14);
}

static void
test_regtest_daily(void **state)
{
    (void)state;
    assert_int_equal(s_run_file(REG_CSV), 252 - 14);
}

/* TA-Lib ta_regtest test_rsi.c asserts RSI(14) at bars 14, 15, 16, 251 to 2 decimals
 * ("49.14"); tolerance = one unit of the last decimal written (0.01 here). */
static void
test_regtest_checkpoints(void **state)
{
    (void)state;
    csv_t reg, chk;
    assert_int_equal(csv_load(&reg, REG_CSV), 0);
    assert_int_equal(csv_load(&chk, CHK_CSV), 0);
    int c_close = csv_col(&reg, "close");
    double out[300];
    int has[300];
    assert_true(reg.n_rows - 1 <= 300);
    rsi_t *rsi = rsi_new(14);
    for (size_t r = 1; r < reg.n_rows; r++) {
        has[r - 1] = rsi_update(rsi, strtod(reg.cells[r][c_close], NULL), &out[r - 1]);
    }
    int checked = 0;
    for (size_t r = 1; r < chk.n_rows; r++) {
        if (strcmp(chk.cells[r][0], "rsi14") != 0) {
            continue;
        }
        int bar = atoi(chk.cells[r][1]);
        int out_index = atoi(chk.cells[r][2]);
        const char *exp = chk.cells[r][3];
        const char *dot = strchr(exp, '.');
        double tol = pow(10.0, -(dot ? (int)strlen(dot + 1) : 0));
        assert_int_equal(bar - out_index, 14); /* out_index 0 = bar 14: lookback 14 */
        assert_int_equal(has[bar], 1);
        if (!(fabs(out[bar] - strtod(exp, NULL)) <= tol)) {
            fail_msg("rsi14 bar %d: got %.10f want %s", bar, out[bar], exp);
        }
        checked++;
    }
    assert_int_equal(checked, 4);
    rsi_destroy(&rsi);
    csv_free(&reg);
    csv_free(&chk);
}

/* Hand-derived, RSI(2): inputs 10, 11, 10.5 -> changes +1, -0.5; seed avg_gain = 1/2 = 0.5,
 * avg_loss = 0.5/2 = 0.25 -> RSI = 100 * 0.5 / 0.75 = 66.666...
 * input 12 (change +1.5): avg_gain = (0.5*1 + 1.5)/2 = 1.0, avg_loss = (0.25*1 + 0)/2 = 0.125
 * -> RSI = 100 * 1 / 1.125 = 88.888...
 * Flat series 5, 5, 5: both averages 0 -> TA-Lib writes 0. */
static void
test_small_by_hand(void **state)
{
    (void)state;
    rsi_t *rsi = rsi_new(2);
    double v = -1;
    assert_int_equal(rsi_update(rsi, 10.0, &v), 0);
    assert_int_equal(rsi_update(rsi, 11.0, &v), 0);
    assert_int_equal(rsi_update(rsi, 10.5, &v), 1);
    assert_true(fabs(v - 200.0 / 3.0) < 1e-12);
    assert_int_equal(rsi_update(rsi, 12.0, &v), 1);
    assert_true(fabs(v - 800.0 / 9.0) < 1e-12);
    assert_int_equal(rsi_count(rsi), 4);
    assert_int_equal(rsi_period(rsi), 2);
    rsi_reset(rsi);
    assert_int_equal(rsi_value(rsi, &v), -1);
    assert_int_equal(errno, ENODATA);
    assert_int_equal(rsi_update(rsi, 5.0, &v), 0);
    assert_int_equal(rsi_update(rsi, 5.0, &v), 0);
    assert_int_equal(rsi_update(rsi, 5.0, &v), 1);
    assert_true(v == 0.0);
    rsi_destroy(&rsi);
    assert_null(rsi);
    rsi_destroy(&rsi);
}

static void
test_errors(void **state)
{
    (void)state;
    errno = 0;
    assert_null(rsi_new(1));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(rsi_new(RSI_MAX_PERIOD + 1));
    assert_int_equal(errno, EINVAL);
    rsi_t *rsi = rsi_new(14);
    errno = 0;
    assert_int_equal(rsi_update(rsi, NAN, NULL), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(rsi_update(rsi, -INFINITY, NULL), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(rsi_count(rsi), 0);
    rsi_destroy(&rsi);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_btc_1m),
        cmocka_unit_test(test_regtest_daily),
        cmocka_unit_test(test_regtest_checkpoints),
        cmocka_unit_test(test_small_by_hand),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("rsi", tests, NULL, NULL);
}
