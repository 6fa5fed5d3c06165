/*  test_strat_setups.c - strategy "setups": the two life cycles on hand-built bar sequences
 *  whose every transition is derived in the comments (prices are binary fractions so the
 *  stop/target arithmetic is exact), then a run over 2,880 real BTCUSDT 1m candles checking
 *  the life-cycle invariants (every signal comes from a TRIGGERED setup, sl above, tp below).
 *  Params: swing_n 2, min_level_strength 20, stop_bp 156.25 (x 1.015625, exact), zone 15 bp,
 *  tol 10 bp, tp1 1.5 R, tp2 3 R, spike 2 x vol_ma20, wick 0.5 of the range.
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
#include "signal/strat_setups.h"
#include "tests/unit/signal/csv_util.h"

#define BTC_CSV  "data/indicators/talib_binance_spot_btcusdt_1m_2025-11-03_2025-11-04.csv"
#define CFG_PATH "build/test_strat_setups_cfg.json"
#define NS       1000000000LL

static strategy_t *
s_new(const char *extra)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"s\": {\"name\": \"setups.btc\", \"type\": \"setups\", \"venue\": "
             "\"binance-spot\", \"symbol\": \"BTCUSDT\"%s}}",
             extra);
    FILE *f = fopen(CFG_PATH, "w");
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
    char err[256];
    cfg_t *cfg = cfg_load(CFG_PATH, err, sizeof err);
    assert_non_null(cfg);
    strategy_t *s = strategy_from_cfg(cfg, "s");
    if (!s) {
        fail_msg("%s", cfg_error(cfg));
    }
    cfg_destroy(&cfg);
    return s;
}

#define K_PARAMS ", \"swing_n\": 2, \"min_level_strength\": 20, \"stop_bp\": 156.25"

static const instr_t k_in = { .venue = "binance-spot",
                              .symbol = "BTCUSDT",
                              .px_scale = 3,
                              .qty_scale = 0,
                              .tick = 1,
                              .step = 1 };

/* One bar (prices in units, px scale 3 so x.125 is exact); returns on_bar's result. */
static int
s_bar(strategy_t *s, int t, double o, double h, double l, double c, int64_t vol,
      codec_sig_signal_t *sig)
{
    codec_sig_bar_t b;
    memset(&b, 0, sizeof b);
    strcpy(b.venue, "binance-spot");
    strcpy(b.symbol, "BTCUSDT");
    b.px_scale = 3;
    b.qty_scale = 0;
    b.tf_s = 60;
    b.start_ns = 1762128000LL * NS + (int64_t)t * 60 * NS;
    b.end_ns = b.start_ns + 60 * NS;
    b.open = llround(o * 1000);
    b.high = llround(h * 1000);
    b.low = llround(l * 1000);
    b.close = llround(c * 1000);
    b.volume = vol;
    return strategy_on_bar(s, &b, b.end_ns, &k_in, sig);
}

/* Rejection sequence up to the ACTIVE bar (30). Bars 0..24 flat (o=c=120, h 120.5, l 119.5:
 * equal highs are never a strict swing). Bar 27 high 128 is strictly above 121, 122 | 123, 124:
 * a swing high confirmed after bar 29 (swing_n 2); its strength = 20*0 tests + 25*1/(2*1)
 * volume + 15*(1 - 2/500) age = 27.44 >= 20. Lows rise 119.6..119.95: no swing low.
 * Bar 30: high 127.9 >= 128*(1-0.0015) = 127.808 and close 127 <= 128 -> FORMING; volume 5 vs
 * vol_ma20 = (19*1 + 5)/20 = 1.2: 5 >= 2.4 = vol_spike -> ACTIVE on the same bar. */
static void
s_rejection_prefix(strategy_t *s)
{
    codec_sig_signal_t sig;
    for (int t = 0; t < 25; t++) {
        assert_int_equal(s_bar(s, t, 120, 120.5, 119.5, 120, 1, &sig), 0);
    }
    assert_int_equal(s_bar(s, 25, 120, 121, 119.6, 120.5, 1, &sig), 0);
    assert_int_equal(s_bar(s, 26, 120.5, 122, 119.7, 121.5, 1, &sig), 0);
    assert_int_equal(s_bar(s, 27, 121.5, 128, 119.8, 122.5, 1, &sig), 0);
    assert_int_equal(s_bar(s, 28, 122.5, 123, 119.9, 122, 1, &sig), 0);
    assert_int_equal(s_bar(s, 29, 122, 124, 119.95, 123, 1, &sig), 0);
    assert_int_equal(strat_setups_state(s, +1, NULL), SETUP_NONE);
    assert_int_equal(s_bar(s, 30, 124, 127.9, 123.5, 127, 5, &sig), 0);
    setup_counts_t n;
    assert_int_equal(strat_setups_state(s, +1, &n), SETUP_ACTIVE);
    assert_int_equal(n.formed, 1);
    assert_int_equal(n.activated, 1);
}

static void
test_rejection(void **state)
{
    (void)state;
    strategy_t *s = s_new(K_PARAMS);
    s_rejection_prefix(s);
    /* Bar 31: o 127.25 h 127.875 l 126.875 c 127: range 1, upper wick 127.875 - 127.25 =
     * 0.625 >= 0.5, close < open: rejection wick; high >= 127.808 and close <= 128: in the
     * zone -> TRIGGERED, SELL. ref 127, stop 128 * 1.015625 = 130 -> sl 130.000, risk 3,
     * tp1 = 127 - 1.5*3 = 122.5, tp2 = 127 - 9 = 118. Signals: RSI14 at bar 31 ~ 94 (Wilder
     * from 25 flat bars then +0.5 +1 +6 -0.5 +1 +4 0: gains dominate) -> rsi_ob; volume 1 <
     * vol_ma 1.2 -> vol_decline; preconditions at bar 30 were rsi_ob and vol_spike (2): 2 + 2
     * (wick, zone) + 1 (decline) = 5 -> confidence min(100, 50 + 50) = 100. */
    codec_sig_signal_t sig;
    assert_int_equal(s_bar(s, 31, 127.25, 127.875, 126.875, 127, 1, &sig), 1);
    assert_int_equal(sig.side, -1);
    assert_int_equal(sig.ref_px, 127000);
    assert_int_equal(sig.sl_px, 130000);
    assert_int_equal(sig.tp_px, 122500);
    assert_true(sig.confidence == 100);
    assert_non_null(strstr(sig.reason, "resistance_rejection L=128 TRIGGERED"));
    assert_non_null(strstr(sig.reason, "rsi_ob,vol_decline,wick,zone"));
    assert_non_null(strstr(sig.reason, "tp2=118"));
    setup_counts_t n;
    assert_int_equal(strat_setups_state(s, +1, &n), SETUP_TRIGGERED);
    assert_int_equal(n.triggered, 1);
    strategy_destroy(&s);

    /* the same up to ACTIVE, then a close 128.5 > 128 * 1.001 = 128.128: INVALIDATED */
    s = s_new(K_PARAMS);
    s_rejection_prefix(s);
    assert_int_equal(s_bar(s, 31, 127, 128.75, 126.875, 128.5, 1, &sig), 0);
    assert_int_equal(strat_setups_state(s, +1, &n), SETUP_INVALIDATED);
    assert_int_equal(n.invalidated, 1);
    assert_int_equal(n.triggered, 0);
    strategy_destroy(&s);
}

/* Breakdown: flat bars at 100 (h 100.5, l 99.5), then lows 99, 98, 96, 97, 97.5: bar 27's low
 * 96 is a swing low confirmed after bar 29 (strength 27.44 as above); highs fall 100.4..100:
 * no swing high. Bar 30: low 96.125 <= 96 * 1.0015 = 96.144, close 96.5 >= 96 -> FORMING.
 * Bar 31: close 95.5 < 96 * 0.999 = 95.904 with volume 5 >= 2 * 1.2 (spike) and RSI14 < 50
 * (only falling closes since the flat part) -> ACTIVE (pre = 2). */
static void
s_breakdown_prefix(strategy_t *s)
{
    codec_sig_signal_t sig;
    for (int t = 0; t < 25; t++) {
        assert_int_equal(s_bar(s, t, 100, 100.5, 99.5, 100, 1, &sig), 0);
    }
    assert_int_equal(s_bar(s, 25, 100, 100.375, 99, 99.5, 1, &sig), 0);
    assert_int_equal(s_bar(s, 26, 99.5, 100.25, 98, 98.5, 1, &sig), 0);
    assert_int_equal(s_bar(s, 27, 98.5, 100.125, 96, 97, 1, &sig), 0);
    assert_int_equal(s_bar(s, 28, 97, 100, 97, 98, 1, &sig), 0);
    assert_int_equal(s_bar(s, 29, 98, 99.875, 97.5, 98.5, 1, &sig), 0);
    assert_int_equal(s_bar(s, 30, 97.5, 97.75, 96.125, 96.5, 1, &sig), 0);
    assert_int_equal(strat_setups_state(s, -1, NULL), SETUP_FORMING);
    assert_int_equal(s_bar(s, 31, 96.5, 96.75, 95, 95.5, 5, &sig), 0);
    assert_int_equal(strat_setups_state(s, -1, NULL), SETUP_ACTIVE);
}

static void
test_breakdown(void **state)
{
    (void)state;
    strategy_t *s = s_new(K_PARAMS);
    s_breakdown_prefix(s);
    /* Bar 32: retest high 95.875 >= 96 * 0.9985 = 95.856, close 95.5 < 96, volume 1 < vol_ma
     * (18 + 5 + 1)/20 = 1.2 -> TRIGGERED, SELL. stop 96 * 1.015625 = 97.5, risk 2, tp1 =
     * 95.5 - 3 = 92.5; confidence 50 + 10 * (2 pre + retest + decline) = 90; no wick (o = c). */
    codec_sig_signal_t sig;
    assert_int_equal(s_bar(s, 32, 95.5, 95.875, 95.25, 95.5, 1, &sig), 1);
    assert_int_equal(sig.side, -1);
    assert_int_equal(sig.ref_px, 95500);
    assert_int_equal(sig.sl_px, 97500);
    assert_int_equal(sig.tp_px, 92500);
    assert_true(sig.confidence == 90);
    assert_non_null(
        strstr(sig.reason, "support_breakdown L=96 TRIGGERED [breakdown,retest,vol_decline]"));
    assert_int_equal(strat_setups_state(s, -1, NULL), SETUP_TRIGGERED);
    strategy_destroy(&s);

    /* failed breakdown: close 96.25 > 96 * 1.001 = 96.096 after ACTIVE -> INVALIDATED */
    s = s_new(K_PARAMS);
    s_breakdown_prefix(s);
    assert_int_equal(s_bar(s, 32, 95.5, 96.5, 95.25, 96.25, 1, &sig), 0);
    setup_counts_t n;
    assert_int_equal(strat_setups_state(s, -1, &n), SETUP_INVALIDATED);
    assert_int_equal(n.invalidated, 1);
    strategy_destroy(&s);
}

static void
test_real_candles(void **state)
{
    (void)state;
    strategy_t *s = s_new("");
    csv_t csv;
    assert_int_equal(csv_load(&csv, BTC_CSV), 0);
    instr_t in = { .venue = "binance-spot",
                   .symbol = "BTCUSDT",
                   .px_scale = 2,
                   .qty_scale = 8,
                   .tick = 1,
                   .step = 1 };
    int n_sig = 0;
    for (size_t r = 1; r < csv.n_rows; r++) {
        char **row = csv.cells[r];
        codec_sig_bar_t b;
        memset(&b, 0, sizeof b);
        strcpy(b.venue, "binance-spot");
        strcpy(b.symbol, "BTCUSDT");
        b.px_scale = 2;
        b.qty_scale = 8;
        b.tf_s = 60;
        b.start_ns = strtoll(row[0], NULL, 10) * 1000;
        b.end_ns = b.start_ns + 60 * NS;
        assert_int_equal(money_parse(row[1], strlen(row[1]), 2, &b.open), 0);
        assert_int_equal(money_parse(row[2], strlen(row[2]), 2, &b.high), 0);
        assert_int_equal(money_parse(row[3], strlen(row[3]), 2, &b.low), 0);
        assert_int_equal(money_parse(row[4], strlen(row[4]), 2, &b.close), 0);
        assert_int_equal(money_parse(row[5], strlen(row[5]), 8, &b.volume), 0);
        codec_sig_signal_t sig;
        int rc = strategy_on_bar(s, &b, b.end_ns, &in, &sig);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1) {
            n_sig++;
            assert_int_equal(sig.side, -1);
            assert_true(sig.sl_px > sig.ref_px && sig.tp_px < sig.ref_px);
            assert_non_null(strstr(sig.reason, "TRIGGERED"));
            /* target 1.5 R below within a tick of rounding */
            int64_t risk = sig.sl_px - sig.ref_px;
            assert_true(llabs((sig.ref_px - sig.tp_px) - (risk * 3) / 2) <= 2);
        }
    }
    setup_counts_t n;
    (void)strat_setups_state(s, 1, &n);
    print_message("setups on real candles: formed %llu active %llu triggered %llu invalidated "
                  "%llu, %d signals\n",
                  (unsigned long long)n.formed, (unsigned long long)n.activated,
                  (unsigned long long)n.triggered, (unsigned long long)n.invalidated, n_sig);
    assert_true(n.formed >= n.activated && n.activated >= n.triggered);
    assert_true(n.formed > 0);
    assert_true((uint64_t)n_sig <= n.triggered);
    strategy_destroy(&s);
    csv_free(&csv);
}

int
main(void)
{
    log_init("test_strat_setups", LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rejection),
        cmocka_unit_test(test_breakdown),
        cmocka_unit_test(test_real_candles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
