/*  test_strat_rules.c - strategy "rules" from JSON config on 2,880 real BTCUSDT 1m candles.
 *  Expected signals are derived from the TA-Lib columns of data/indicators/talib_binance_spot_
 *  btcusdt_1m_2025-11-03_2025-11-04.csv (ema9, ema21, rsi14, atr14, bb_lower, bb_upper, written
 *  by TA-Lib itself), with the firing rule of strat_rules.h re-evaluated here: the combination
 *  must turn from false to true. Bad rules must be refused naming file, line and rule path.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "common/money.h"
#include "signal/strategy.h"
#include "tests/unit/signal/csv_util.h"

#define BTC_CSV  "data/indicators/talib_binance_spot_btcusdt_1m_2025-11-03_2025-11-04.csv"
#define CFG_PATH "build/test_strat_rules_cfg.json"
#define NS       1000000000LL

static cfg_t *
s_cfg(const char *json)
{
    FILE *f = fopen(CFG_PATH, "w");
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
    char err[256];
    cfg_t *cfg = cfg_load(CFG_PATH, err, sizeof err);
    if (!cfg) {
        fail_msg("cfg_load: %s", err);
    }
    return cfg;
}

/* Run the strategy over the file; `want(t)` gives the expected combination value per bar. */
static int
s_run(strategy_t *s, int (*cond)(char **row, char **prev, const int *cols), const int *cols,
      csv_t *csv, int stop_kind)
{
    instr_t in = { .venue = "binance-spot",
                   .symbol = "BTCUSDT",
                   .px_scale = 2,
                   .qty_scale = 8,
                   .tick = 1,
                   .step = 1 };
    bool prev_true = false;
    int n_sig = 0;
    for (size_t r = 1; r < csv->n_rows; r++) {
        char **row = csv->cells[r];
        codec_sig_bar_t b;
        assert_int_equal(csv_bar_1m(row, 8, &b), 0);
        codec_sig_signal_t sig;
        int rc = strategy_on_bar(s, &b, b.end_ns, &in, &sig);
        int now = cond(row, r > 1 ? csv->cells[r - 1] : NULL, cols);
        int want = now && !prev_true;
        prev_true = now;
        if (rc != want) {
            fail_msg("bar %zu: got %d want %d", r - 1, rc, want);
        }
        if (rc == 1) {
            n_sig++;
            assert_int_equal(sig.side, 1);
            assert_int_equal(sig.ref_px, b.close);
            if (stop_kind == 1) {
                /* stop 1.5 ATR, take 2R: distances rounded up to 0.01, then to the tick */
                double atr = strtod(row[cols[4]], NULL);
                int64_t sd = (int64_t)ceil(1.5 * atr * 100), td = (int64_t)ceil(3.0 * atr * 100);
                assert_true(llabs(sig.sl_px - (b.close - sd)) <= 1);
                assert_true(llabs(sig.tp_px - (b.close + td)) <= 1);
            } else {
                /* pct: 0.5 % / 1 % floored / ceiled on the tick */
                assert_int_equal(sig.sl_px, (b.close * 995) / 1000);
                assert_int_equal(sig.tp_px, (b.close * 1010 + 999) / 1000);
            }
        }
    }
    return n_sig;
}

/* ema9 crosses above ema21 (previous bar ema9 <= ema21) and rsi14 < 70 */
static int
s_cond_cross(char **row, char **prev, const int *c)
{
    if (!prev || !prev[c[0]][0] || !prev[c[1]][0] || !row[c[2]][0]) {
        return 0;
    }
    double e9 = strtod(row[c[0]], NULL), e21 = strtod(row[c[1]], NULL);
    double pe9 = strtod(prev[c[0]], NULL), pe21 = strtod(prev[c[1]], NULL);
    return pe9 <= pe21 && e9 > e21 && strtod(row[c[2]], NULL) < 70 && row[c[4]][0];
}

/* any of: close within [bb_lower, bb_lower * 1 + ...]: close <= bb_lower, or rsi14 < 25 */
static int
s_cond_any(char **row, char **prev, const int *c)
{
    (void)prev;
    double close = strtod(row[4], NULL);
    bool a = row[c[3]][0] && close <= strtod(row[c[3]], NULL);
    bool b = row[c[2]][0] && strtod(row[c[2]], NULL) < 25;
    return a || b;
}

static void
test_real_candles(void **state)
{
    (void)state;
    csv_t csv;
    assert_int_equal(csv_load(&csv, BTC_CSV), 0);
    int cols[5] = { csv_col(&csv, "ema9"), csv_col(&csv, "ema21"), csv_col(&csv, "rsi14"),
                    csv_col(&csv, "bb_lower"), csv_col(&csv, "atr14") };
    cfg_t *cfg = s_cfg(
        "{\"signal\": {\"strategies\": [\n"
        " {\"name\": \"r.cross\", \"type\": \"rules\", \"venue\": \"binance-spot\",\n"
        "  \"symbol\": \"BTCUSDT\", \"side\": \"buy\",\n"
        "  \"rules\": [{\"left\": \"ema9\", \"op\": \"crosses_above\", \"right\": \"ema21\"},\n"
        "            {\"left\": \"rsi14\", \"op\": \"lt\", \"value\": 70}],\n"
        "  \"stop\": {\"atr\": 1.5}, \"take_profit\": {\"rr\": 2}},\n"
        " {\"name\": \"r.any\", \"type\": \"rules\", \"venue\": \"binance-spot\",\n"
        "  \"symbol\": \"BTCUSDT\", \"side\": \"buy\", \"combine\": \"any\",\n"
        "  \"rules\": [{\"left\": \"close\", \"op\": \"within\", \"lower_value\": 0,\n"
        "              \"upper\": \"bb_lower\"},\n"
        "             {\"left\": \"rsi14\", \"op\": \"lt\", \"value\": 25}],\n"
        "  \"stop\": {\"pct\": \"0.5\"}, \"take_profit\": {\"pct\": \"1\"}}]}}\n");
    strategy_t *s = strategy_from_cfg(cfg, "signal.strategies[0]");
    if (!s) {
        fail_msg("%s", cfg_error(cfg));
    }
    int n = s_run(s, s_cond_cross, cols, &csv, 1);
    print_message("rules cross: %d signals\n", n);
    assert_true(n > 10);
    strategy_destroy(&s);
    s = strategy_from_cfg(cfg, "signal.strategies[1]");
    assert_non_null(s);
    n = s_run(s, s_cond_any, cols, &csv, 0);
    print_message("rules any: %d signals\n", n);
    assert_true(n > 10);
    strategy_destroy(&s);
    cfg_destroy(&cfg);
    csv_free(&csv);
}

static void
test_bad_rules(void **state)
{
    (void)state;
    static const struct {
        const char *rules; /* the rules array and levels */
        const char *path;  /* expected in the error */
    } k_bad[] = {
        { "[{\"left\": \"ema9\", \"op\": \"nope\", \"right\": \"ema21\"}]",
          "signal.strategies[0].rules[0].op" },
        { "[{\"left\": \"ema9\", \"op\": \"gt\", \"value\": 1}, {\"left\": \"ema7\", \"op\": "
          "\"gt\", \"value\": 1}]",
          "signal.strategies[0].rules[1].left" },
        { "[{\"left\": \"ema9\", \"op\": \"gt\", \"right\": \"ema21\", \"value\": 3}]",
          "signal.strategies[0].rules[0].value" },
        { "[{\"left\": \"close\", \"op\": \"within\", \"lower\": \"bb_lower\"}]",
          "signal.strategies[0].rules[0].upper" },
        { "[{\"left\": \"close\", \"op\": \"gt\"}]", "signal.strategies[0].rules[0].right" },
        { "[{\"left\": \"close\", \"op\": \"gt\", \"value\": 1, \"colour\": 2}]",
          "signal.strategies[0].rules[0]" },
        { "[]", "signal.strategies[0].rules" },
        { "[{\"left\": \"close\", \"op\": \"gt\", \"value\": 1}], \"stop\": {\"rr\": 2}",
          "signal.strategies[0].stop.rr" },
        { "[{\"left\": \"close\", \"op\": \"gt\", \"value\": 1}], \"take_profit\": {\"rr\": 2}",
          "signal.strategies[0].take_profit" },
    };
    char json[1024];
    for (size_t i = 0; i < sizeof k_bad / sizeof k_bad[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"signal\": {\"strategies\": [{\"name\": \"r\", \"type\": \"rules\",\n"
                 "  \"venue\": \"v\", \"symbol\": \"S\", \"side\": \"buy\",\n"
                 "  \"rules\": %s}]}}\n",
                 k_bad[i].rules);
        cfg_t *cfg = s_cfg(json);
        errno = 0;
        strategy_t *s = strategy_from_cfg(cfg, "signal.strategies[0]");
        assert_null(s);
        assert_int_equal(errno, EINVAL);
        const char *e = cfg_error(cfg);
        print_message("bad rule %zu: %s\n", i, e);
        /* "<file>:<line>: <path>: ...": the rules sit on line 3 of the file */
        char want[160];
        snprintf(want, sizeof want, "%s:3: %s", CFG_PATH, k_bad[i].path);
        if (!strstr(e, want)) {
            fail_msg("error %zu does not say \"%s\": %s", i, want, e);
        }
        cfg_destroy(&cfg);
    }
}

int
main(void)
{
    log_init("test_strat_rules", LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_candles),
        cmocka_unit_test(test_bad_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
