/*  test_ind.c - signal/ind (the full incremental set) against TA-Lib's own outputs
 *  (data/indicators, PROVENANCE.md 4 / shared 6, 7) and the StockCharts worksheets
 *  (data/indicators/stockcharts, shared PROVENANCE.md 8).
 *  Expected values: TA-Lib columns were written by TA-Lib itself; mom/roc/vol_ma/vwap/stddev
 *  have no TA-Lib column, so the test recomputes them from the CSV's raw columns directly by
 *  their definition (a window loop, independent of the incremental code).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signal/ind.h"
#include "tests/unit/signal/csv_util.h"

#define BTC_CSV "data/indicators/talib_binance_spot_btcusdt_1m_2025-11-03_2025-11-04.csv"
#define REG_CSV "data/indicators/talib_regtest_daily252.csv"
#define CS_BB   "data/indicators/stockcharts/cs-bbands.csv"
#define CS_ATR  "data/indicators/stockcharts/cs-atr.csv"
#define CS_ADX  "data/indicators/stockcharts/cs-adx.csv"
#define REL_TOL 1e-9

/* TA-Lib column name -> our value id with default params */
static const struct {
    const char *col;
    int id;
    int first; /* first output row, PROVENANCE.md 6 */
} k_cols[] = {
    { "sma20", IND_SMA, 19 },           { "ema9", IND_EMA0 + 0, 8 },
    { "ema12", IND_EMA0 + 1, 11 },      { "ema21", IND_EMA0 + 3, 20 },
    { "ema26", IND_EMA0 + 4, 25 },      { "rsi14", IND_RSI, 14 },
    { "macd", IND_MACD, 33 },           { "macd_signal", IND_MACD_SIGNAL, 33 },
    { "macd_hist", IND_MACD_HIST, 33 }, { "atr14", IND_ATR, 14 },
    { "bb_upper", IND_BB_UPPER, 19 },   { "bb_middle", IND_BB_MIDDLE, 19 },
    { "bb_lower", IND_BB_LOWER, 19 },   { "adx14", IND_ADX, 27 },
    { "plus_di14", IND_PLUS_DI, 14 },   { "minus_di14", IND_MINUS_DI, 14 },
};
#define N_COLS (sizeof k_cols / sizeof k_cols[0])

static void
s_close(double got, double want, double tol_rel, size_t row, const char *col)
{
    double tol = tol_rel * fabs(want);
    if (!(fabs(got - want) <= tol)) {
        fail_msg("%s row %zu: got %.17g want %.17g", col, row, got, want);
    }
}

static double
s_d(const csv_t *c, size_t r, int col)
{
    return strtod(c->cells[r][col], NULL);
}

/* Run every row of a TA-Lib reference file through one ind_t; compare all 16 columns on every
 * row (empty cell <=> ENODATA) and the extra values against direct window recomputation. */
static void
s_run_talib(const char *path, bool has_time)
{
    csv_t csv;
    assert_int_equal(csv_load(&csv, path), 0);
    int c_h = csv_col(&csv, "high"), c_l = csv_col(&csv, "low"), c_c = csv_col(&csv, "close");
    int c_v = csv_col(&csv, "volume"), c_t = csv_col(&csv, "open_time_us");
    assert_true(c_h >= 0 && c_l >= 0 && c_c >= 0 && c_v >= 0);
    int cols[N_COLS];
    for (size_t i = 0; i < N_COLS; i++) {
        cols[i] = csv_col(&csv, k_cols[i].col);
        assert_true(cols[i] >= 0);
    }
    ind_params_t p;
    ind_params_default(&p);
    ind_t *ind = ind_new(&p);
    assert_non_null(ind);
    size_t n = csv.n_rows - 1;
    double *cl = calloc(n, sizeof *cl), *vo = calloc(n, sizeof *vo);
    assert_non_null(cl);
    assert_non_null(vo);
    size_t compared = 0;
    double vw_pv = 0, vw_v = 0;
    int64_t vw_day = -1;
    for (size_t r = 1; r <= n; r++) {
        size_t t = r - 1;
        ind_bar_t b = { .high = s_d(&csv, r, c_h),
                        .low = s_d(&csv, r, c_l),
                        .close = s_d(&csv, r, c_c),
                        .volume = s_d(&csv, r, c_v) };
        /* regtest rows are daily bars without time: one bar per day */
        b.start_ns = has_time ? (int64_t)strtoll(csv.cells[r][c_t], NULL, 10) * 1000
                              : (int64_t)t * 86400000000000LL;
        cl[t] = b.close;
        vo[t] = b.volume;
        assert_int_equal(ind_update(ind, &b), 0);
        double got;
        for (size_t i = 0; i < N_COLS; i++) {
            const char *cell = csv.cells[r][cols[i]];
            int rc = ind_get(ind, k_cols[i].id, &got);
            if (cell[0] == '\0') {
                assert_int_equal(rc, -1);
                assert_int_equal(errno, ENODATA);
                assert_true((int)t < k_cols[i].first);
                continue;
            }
            assert_int_equal(rc, 0);
            assert_true((int)t >= k_cols[i].first);
            s_close(got, strtod(cell, NULL), REL_TOL, r, k_cols[i].col);
            compared++;
        }
        /* stddev20 = population sigma of the last 20 closes, two-pass */
        if (t >= 19) {
            double m = 0, var = 0;
            for (size_t j = t - 19; j <= t; j++) {
                m += cl[j];
            }
            m /= 20;
            for (size_t j = t - 19; j <= t; j++) {
                var += (cl[j] - m) * (cl[j] - m);
            }
            assert_int_equal(ind_get(ind, IND_STDDEV, &got), 0);
            /* one-pass (TA-Lib) vs two-pass differ by cancellation: sigma abs 1e-6 of price */
            assert_true(fabs(got - sqrt(var / 20)) <= 1e-6 * m);
            double vm = 0;
            for (size_t j = t - 19; j <= t; j++) {
                vm += vo[j];
            }
            assert_int_equal(ind_get(ind, IND_VOL_MA, &got), 0);
            s_close(got, vm / 20, 1e-9, r, "vol_ma20");
        } else {
            assert_int_equal(ind_get(ind, IND_STDDEV, &got), -1);
        }
        if (t >= 10) {
            assert_int_equal(ind_get(ind, IND_MOM, &got), 0);
            assert_true(got == cl[t] - cl[t - 10]);
            assert_int_equal(ind_get(ind, IND_ROC, &got), 0);
            s_close(got, (cl[t] / cl[t - 10] - 1.0) * 100.0, 1e-12, r, "roc10");
        } else {
            assert_int_equal(ind_get(ind, IND_ROC, &got), -1);
        }
        int64_t day = b.start_ns / 86400000000000LL;
        if (day != vw_day) {
            vw_day = day;
            vw_pv = vw_v = 0;
        }
        vw_pv += (b.high + b.low + b.close) / 3.0 * b.volume;
        vw_v += b.volume;
        assert_int_equal(ind_get(ind, IND_VWAP, &got), 0);
        s_close(got, vw_pv / vw_v, 1e-12, r, "vwap");
    }
    /* every cell of the 16 columns from its first output row */
    size_t want = 0;
    for (size_t i = 0; i < N_COLS; i++) {
        want += n - (size_t)k_cols[i].first;
    }
    assert_int_equal(compared, want);
    assert_int_equal(ind_count(ind), n);
    free(cl);
    free(vo);
    ind_destroy(&ind);
    csv_free(&csv);
}

static void
test_btc_1m(void **state)
{
    (void)state;
    s_run_talib(BTC_CSV, true);
}

static void
test_regtest(void **state)
{
    (void)state;
    s_run_talib(REG_CSV, false);
}

/* StockCharts BBANDS worksheet: 20-day, 2 sigma, population sigma -> same convention as
 * TA_BBANDS; the worksheet prints 6 decimals, so equal within 5e-7 absolute (+ rounding). */
static void
test_stockcharts_bbands(void **state)
{
    (void)state;
    csv_t csv;
    assert_int_equal(csv_load(&csv, CS_BB), 0);
    int c_c = csv_col(&csv, "Close"), c_m = csv_col(&csv, "MiddleBand");
    int c_u = csv_col(&csv, "HighBand"), c_lo = csv_col(&csv, "LowBand");
    int c_sd = csv_col(&csv, "20-day Standard Deviation");
    assert_true(c_c >= 0 && c_m >= 0 && c_u >= 0 && c_lo >= 0 && c_sd >= 0);
    ind_params_t p;
    ind_params_default(&p);
    ind_t *ind = ind_new(&p);
    assert_non_null(ind);
    int compared = 0;
    for (size_t r = 1; r < csv.n_rows; r++) {
        double c = s_d(&csv, r, c_c);
        ind_bar_t b = { .high = c, .low = c, .close = c, .volume = 1, .start_ns = 0 };
        assert_int_equal(ind_update(ind, &b), 0);
        if (csv.cells[r][c_m][0] == '\0') {
            continue;
        }
        double m, u, l, sd;
        assert_int_equal(ind_get(ind, IND_BB_MIDDLE, &m), 0);
        assert_int_equal(ind_get(ind, IND_BB_UPPER, &u), 0);
        assert_int_equal(ind_get(ind, IND_BB_LOWER, &l), 0);
        assert_int_equal(ind_get(ind, IND_STDDEV, &sd), 0);
        assert_true(fabs(m - s_d(&csv, r, c_m)) <= 1e-6);
        assert_true(fabs(u - s_d(&csv, r, c_u)) <= 1e-6);
        assert_true(fabs(l - s_d(&csv, r, c_lo)) <= 1e-6);
        assert_true(fabs(sd - s_d(&csv, r, c_sd)) <= 1e-6);
        compared++;
    }
    assert_int_equal(compared, 23); /* 42 rows, first band at row 20 (1-based) */
    ind_destroy(&ind);
    csv_free(&csv);
}

/* StockCharts ATR worksheet seeds with the mean of the first 14 TRs counting the first bar's
 * H-L (first ATR one row earlier than TA_ATR): a documented difference. What must hold: the
 * worksheet's TR column equals TA-Lib's true range from row 2 on, our first ATR (row 15) is
 * the mean of TR rows 2..15, and the gap to the worksheet shrinks under Wilder smoothing. */
static void
test_stockcharts_atr(void **state)
{
    (void)state;
    csv_t csv;
    assert_int_equal(csv_load(&csv, CS_ATR), 0);
    int c_h = csv_col(&csv, "High"), c_l = csv_col(&csv, "Low"), c_c = csv_col(&csv, "Close");
    int c_tr = csv_col(&csv, "TR"), c_atr = csv_col(&csv, "ATR");
    ind_params_t p;
    ind_params_default(&p);
    ind_t *ind = ind_new(&p);
    assert_non_null(ind);
    double tr_sum = 0, first_gap = -1, last_gap = -1;
    for (size_t r = 1; r < csv.n_rows; r++) {
        ind_bar_t b = { .high = s_d(&csv, r, c_h),
                        .low = s_d(&csv, r, c_l),
                        .close = s_d(&csv, r, c_c),
                        .volume = 1,
                        .start_ns = 0 };
        assert_int_equal(ind_update(ind, &b), 0);
        if (r >= 2) {
            tr_sum += s_d(&csv, r, c_tr);
        }
        double atr;
        if (r < 15) {
            assert_int_equal(ind_get(ind, IND_ATR, &atr), -1);
            continue;
        }
        assert_int_equal(ind_get(ind, IND_ATR, &atr), 0);
        if (r == 15) {
            assert_true(fabs(atr - tr_sum / 14) <= 1e-12);
        }
        double gap = fabs(atr - s_d(&csv, r, c_atr));
        if (first_gap < 0) {
            first_gap = gap;
        }
        last_gap = gap;
        /* shared PROVENANCE.md 8 says "up to 0.025": at row 15 the worksheet has
         * (13 * 0.555 + 1.10) / 14 = 0.59393 and TA-Lib mean(TR 2..15) = 0.56857: 0.0254 */
        assert_true(gap <= 0.026);
    }
    assert_true(last_gap < first_gap);
    ind_destroy(&ind);
    csv_free(&csv);
}

/* StockCharts ADX worksheet: textbook Wilder seeding (sum of 14) vs TA-Lib's (sum of 13 then
 * a Wilder step); the seed decays as (13/14)^t, so after 490 bars the worksheet's 7 decimals
 * agree: last row ADX 16.7058937, +DI 29.7636108, -DI 19.5878702. */
static void
test_stockcharts_adx(void **state)
{
    (void)state;
    csv_t csv;
    assert_int_equal(csv_load(&csv, CS_ADX), 0);
    int c_h = csv_col(&csv, "High"), c_l = csv_col(&csv, "Low"), c_c = csv_col(&csv, "Close");
    int c_adx = csv_col(&csv, "ADX"), c_p = csv_col(&csv, "+DI14"), c_m = csv_col(&csv, "-DI14");
    assert_true(c_adx >= 0 && c_p >= 0 && c_m >= 0);
    ind_params_t p;
    ind_params_default(&p);
    ind_t *ind = ind_new(&p);
    assert_non_null(ind);
    double early_gap = 0;
    for (size_t r = 1; r < csv.n_rows; r++) {
        ind_bar_t b = { .high = s_d(&csv, r, c_h),
                        .low = s_d(&csv, r, c_l),
                        .close = s_d(&csv, r, c_c),
                        .volume = 1,
                        .start_ns = 0 };
        assert_int_equal(ind_update(ind, &b), 0);
        double adx;
        if (r >= 28 && r <= 40 && csv.cells[r][c_adx][0] && ind_get(ind, IND_ADX, &adx) == 0) {
            double g = fabs(adx - s_d(&csv, r, c_adx));
            early_gap = g > early_gap ? g : early_gap;
        }
        if (r >= 300) {
            assert_int_equal(ind_get(ind, IND_ADX, &adx), 0);
            assert_true(fabs(adx - s_d(&csv, r, c_adx)) <= 1e-6);
            double pdi, mdi;
            assert_int_equal(ind_get(ind, IND_PLUS_DI, &pdi), 0);
            assert_int_equal(ind_get(ind, IND_MINUS_DI, &mdi), 0);
            assert_true(fabs(pdi - s_d(&csv, r, c_p)) <= 1e-6);
            assert_true(fabs(mdi - s_d(&csv, r, c_m)) <= 1e-6);
        }
    }
    assert_true(early_gap > 0.01); /* the seeding difference is real early on */
    ind_destroy(&ind);
    csv_free(&csv);
}

static void
test_errors(void **state)
{
    (void)state;
    ind_params_t p;
    ind_params_default(&p);
    p.macd_fast = 26;
    assert_null(ind_new(&p));
    assert_int_equal(errno, EINVAL);
    ind_params_default(&p);
    p.sma = IND_RING;
    assert_null(ind_new(&p));
    assert_int_equal(errno, EINVAL);
    ind_params_default(&p);
    p.bb_k = 0;
    assert_null(ind_new(&p));
    assert_int_equal(errno, EINVAL);
    ind_params_default(&p);
    p.ema[2] = 1;
    assert_null(ind_new(&p));
    assert_int_equal(errno, EINVAL);
    ind_params_default(&p);
    ind_t *ind = ind_new(&p);
    assert_non_null(ind);
    ind_bar_t b = { .high = 1, .low = 2, .close = 1.5, .volume = 1 };
    assert_int_equal(ind_update(ind, &b), -1);
    assert_int_equal(errno, EINVAL);
    b = (ind_bar_t){ .high = 2, .low = 1, .close = NAN, .volume = 1 };
    assert_int_equal(ind_update(ind, &b), -1);
    assert_int_equal(errno, EINVAL);
    b = (ind_bar_t){ .high = 2, .low = 1, .close = 1.5, .volume = -1 };
    assert_int_equal(ind_update(ind, &b), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(ind_count(ind), 0);
    double v;
    assert_int_equal(ind_get(ind, IND_COUNT, &v), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(ind_get(ind, IND_SMA, &v), -1);
    assert_int_equal(errno, ENODATA);
    assert_int_equal(ind_ema(ind, 7, &v), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(ind_name(ind, IND_PLUS_DI), "plus_di14");
    assert_string_equal(ind_name(ind, IND_EMA0 + 5), "ema50");
    assert_string_equal(ind_name(ind, -1), "");
    ind_destroy(&ind);
    assert_null(ind);
}

/* 23 values of the default set -> 12 + 11 in two sig.ind bodies, in id order. */
static void
test_fill(void **state)
{
    (void)state;
    ind_params_t p;
    ind_params_default(&p);
    ind_t *ind = ind_new(&p);
    assert_non_null(ind);
    codec_sig_ind_t out[3];
    assert_int_equal(ind_fill(ind, "v", "S", 60, 1, out, 3), 0);
    for (int i = 0; i < 60; i++) {
        ind_bar_t b = { .high = 101 + i % 7,
                        .low = 99 - i % 3,
                        .close = 100 + i % 5,
                        .volume = 1 + i,
                        .start_ns = (int64_t)i * 60000000000LL };
        assert_int_equal(ind_update(ind, &b), 0);
    }
    assert_int_equal(__builtin_popcount(ind_mask(ind)), IND_COUNT);
    assert_int_equal(ind_fill(ind, "v", "S", 60, 7, out, 3), 2);
    assert_int_equal(out[0].n, 12);
    assert_int_equal(out[1].n, IND_COUNT - 12);
    assert_string_equal(out[0].names[0], "sma20");
    assert_string_equal(out[1].names[out[1].n - 1], "vol_ma20");
    assert_int_equal(out[1].tf_s, 60);
    assert_int_equal(out[1].ts_event, 7);
    assert_int_equal(ind_fill(ind, "v", "S", 60, 7, out, 1), 1); /* room for one only */
    ind_reset(ind);
    assert_int_equal(ind_mask(ind), 0);
    ind_destroy(&ind);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_btc_1m),
        cmocka_unit_test(test_regtest),
        cmocka_unit_test(test_stockcharts_bbands),
        cmocka_unit_test(test_stockcharts_atr),
        cmocka_unit_test(test_stockcharts_adx),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_fill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
