/*  test_strat_ensemble.c - strategy "ensemble" (6 members) on 2,880 real BTCUSDT 1m candles.
 *  Expected signals: the test builds the same six members as standalone instances (each member
 *  type is checked against independent expectations in its own test), drives them on the same
 *  bars and re-implements the combination rule of strat_ensemble.h here (votes live for
 *  vote_bars, virtual exits sl-first, weight = clamp(1 + 100 * sum of the last `window`
 *  results, w_min, w_max), score = sum(w * side * conf over live votes) / sum(w), fire when
 *  |score| >= threshold on a new side). Config errors: < 5 members, nested ensemble, member of
 *  another series.
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
#define CFG_PATH "build/test_strat_ensemble_cfg.json"
#define NS       1000000000LL
#define NM       6

#define SER "\"venue\": \"binance-spot\", \"symbol\": \"BTCUSDT\""
static const char *const k_members =
    "[{\"name\": \"m.razor\", \"type\": \"razor\", " SER "},\n"
    " {\"name\": \"m.xup\", \"type\": \"rules\", " SER ", \"side\": \"buy\", \"rules\": "
    "[{\"left\": \"ema9\", \"op\": \"crosses_above\", \"right\": \"ema21\"}], "
    "\"stop\": {\"pct\": \"0.3\"}, \"take_profit\": {\"pct\": \"0.3\"}},\n"
    " {\"name\": \"m.xdn\", \"type\": \"rules\", " SER ", \"side\": \"sell\", \"rules\": "
    "[{\"left\": \"ema9\", \"op\": \"crosses_below\", \"right\": \"ema21\"}], "
    "\"stop\": {\"pct\": \"0.3\"}, \"take_profit\": {\"pct\": \"0.3\"}},\n"
    " {\"name\": \"m.emarsi\", \"type\": \"ema_cross_rsi\", " SER ", \"long_only\": false},\n"
    " {\"name\": \"m.bb\", \"type\": \"rules\", " SER ", \"side\": \"buy\", \"combine\": "
    "\"any\", \"rules\": [{\"left\": \"close\", \"op\": \"le\", \"right\": \"bb_lower\"}, "
    "{\"left\": \"rsi14\", \"op\": \"lt\", \"value\": 25}], \"stop\": {\"pct\": \"0.2\"}, "
    "\"take_profit\": {\"pct\": \"0.2\"}},\n"
    " {\"name\": \"m.hot\", \"type\": \"rules\", " SER ", \"side\": \"sell\", \"rules\": "
    "[{\"left\": \"rsi14\", \"op\": \"gt\", \"value\": 75}], \"stop\": {\"pct\": \"0.2\"}, "
    "\"take_profit\": {\"pct\": \"0.2\"}}]";

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

typedef struct {
    int vote_side, vote_left, pos_side;
    double vote_conf, entry, sl, tp, res[32], w;
    int n_res, pos;
} s_ref_t;

static void
s_realize(s_ref_t *m, double exit)
{
    m->res[m->pos] = m->pos_side * (exit - m->entry) / m->entry;
    m->pos = (m->pos + 1) % 8; /* window 8 */
    m->n_res += m->n_res < 8;
    m->pos_side = 0;
}

static void
test_real_candles(void **state)
{
    (void)state;
    char json[4096];
    snprintf(json, sizeof json,
             "{\"signal\": {\"strategies\": [{\"name\": \"ens\", \"type\": \"ensemble\", " SER
             ", \"window\": 8, \"vote_bars\": 10, \"threshold\": 15, \"members\": %s}]}}\n",
             k_members);
    cfg_t *cfg = s_cfg(json);
    strategy_t *ens = strategy_from_cfg(cfg, "signal.strategies[0]");
    if (!ens) {
        fail_msg("%s", cfg_error(cfg));
    }
    strategy_t *mem[NM];
    char path[96];
    for (int i = 0; i < NM; i++) {
        snprintf(path, sizeof path, "signal.strategies[0].members[%d]", i);
        mem[i] = strategy_from_cfg(cfg, path);
        assert_non_null(mem[i]);
    }
    s_ref_t ref[NM];
    memset(ref, 0, sizeof ref);
    csv_t csv;
    assert_int_equal(csv_load(&csv, BTC_CSV), 0);
    instr_t in = { .venue = "binance-spot",
                   .symbol = "BTCUSDT",
                   .px_scale = 2,
                   .qty_scale = 8,
                   .tick = 1,
                   .step = 1 };
    int prev_side = 0, n_sig = 0, n_weighted = 0;
    for (size_t r = 1; r < csv.n_rows; r++) {
        char **row = csv.cells[r];
        codec_sig_bar_t b;
        assert_int_equal(csv_bar_1m(row, 8, &b), 0);
        codec_sig_signal_t sig;
        int rc = strategy_on_bar(ens, &b, b.end_ns, &in, &sig);
        assert_true(rc == 0 || rc == 1);
        /* reference */
        double hi = (double)b.high / 100, lo = (double)b.low / 100, cl = (double)b.close / 100;
        double wsum = 0, score = 0;
        for (int i = 0; i < NM; i++) {
            s_ref_t *m = &ref[i];
            if (m->pos_side != 0) {
                if (m->sl > 0 && (m->pos_side > 0 ? lo <= m->sl : hi >= m->sl)) {
                    s_realize(m, m->sl);
                } else if (m->tp > 0 && (m->pos_side > 0 ? hi >= m->tp : lo <= m->tp)) {
                    s_realize(m, m->tp);
                }
            }
        }
        for (int i = 0; i < NM; i++) {
            s_ref_t *m = &ref[i];
            if (m->vote_left > 0) {
                m->vote_left--;
            }
            codec_sig_signal_t ms;
            if (strategy_on_bar(mem[i], &b, b.end_ns, &in, &ms) == 1) {
                m->vote_side = ms.side;
                m->vote_conf = ms.confidence;
                m->vote_left = 10;
                if (m->pos_side != 0) {
                    s_realize(m, cl);
                }
                m->pos_side = ms.side;
                m->entry = (double)ms.ref_px / 100;
                m->sl = ms.sl_px ? (double)ms.sl_px / 100 : 0;
                m->tp = ms.tp_px ? (double)ms.tp_px / 100 : 0;
            }
        }
        for (int i = 0; i < NM; i++) {
            s_ref_t *m = &ref[i];
            double perf = 0;
            for (int j = 0; j < m->n_res; j++) {
                perf += m->res[j];
            }
            m->w = fmin(3, fmax(0.1, 1 + 100 * perf));
            wsum += m->w;
            if (m->vote_left > 0) {
                score += m->w * m->vote_side * m->vote_conf;
            }
        }
        score /= wsum;
        int side = score >= 15 ? 1 : score <= -15 ? -1 : 0;
        int want = side != 0 && side != prev_side;
        prev_side = side;
        if (rc != want) {
            fail_msg("bar %zu: got %d want %d (score %.4f)", r - 1, rc, want, score);
        }
        if (want) {
            n_sig++;
            assert_int_equal(sig.side, side);
            assert_true(fabs(sig.confidence - fabs(score)) < 1e-9);
            char head[32];
            snprintf(head, sizeof head, "ensemble %+.1f:", score);
            assert_non_null(strstr(sig.reason, head));
            for (int i = 0; i < NM; i++) {
                if (ref[i].vote_left > 0 && fabs(ref[i].w - 1) > 1e-9) {
                    n_weighted++; /* a vote with an adapted weight */
                }
            }
        }
    }
    print_message("ensemble: %d signals, %d votes with adapted weights\n", n_sig, n_weighted);
    assert_true(n_sig > 5);
    assert_true(n_weighted > 0);
    for (int i = 0; i < NM; i++) {
        strategy_destroy(&mem[i]);
    }
    strategy_destroy(&ens);
    cfg_destroy(&cfg);
    csv_free(&csv);
}

/* Issue 17 ("untested today": CHOPPY and VOLATILE effects on the ensemble's weights): the same
 * six members with regime_weights (CHOPPY: the two EMA-cross rules silenced, ema_cross_rsi
 * halved; VOLATILE: razor silenced, the RSI-hot rule doubled). The reference re-implementation
 * takes each bar's regime from TA-Lib's ATR14/ADX14 columns and EMA20/50 computed here, applies
 * the multipliers to the clamped weights, and must give every signal of the ensemble, whose
 * reason names the regime. On today's code "regime_weights" is an unknown key. */
static void
test_regime_weights(void **state)
{
    (void)state;
    char json[4096];
    snprintf(json, sizeof json,
             "{\"signal\": {\"strategies\": [{\"name\": \"ens\", \"type\": \"ensemble\", " SER
             ", \"window\": 8, \"vote_bars\": 10, \"threshold\": 15, \"members\": %s, "
             "\"regime_weights\": {\"CHOPPY\": {\"m.xup\": 0, \"m.xdn\": 0, \"m.emarsi\": 0.5}, "
             "\"VOLATILE\": {\"m.razor\": 0, \"m.hot\": 2}}}]}}\n",
             k_members);
    cfg_t *cfg = s_cfg(json);
    strategy_t *ens = strategy_from_cfg(cfg, "signal.strategies[0]");
    if (!ens) {
        fail_msg("%s", cfg_error(cfg));
    }
    strategy_t *mem[NM];
    char path[96];
    for (int i = 0; i < NM; i++) {
        snprintf(path, sizeof path, "signal.strategies[0].members[%d]", i);
        mem[i] = strategy_from_cfg(cfg, path);
        assert_non_null(mem[i]);
    }
    s_ref_t ref[NM];
    memset(ref, 0, sizeof ref);
    csv_t csv;
    assert_int_equal(csv_load(&csv, BTC_CSV), 0);
    instr_t in = { .venue = "binance-spot",
                   .symbol = "BTCUSDT",
                   .px_scale = 2,
                   .qty_scale = 8,
                   .tick = 1,
                   .step = 1 };
    int prev_side = 0, n_sig = 0, n_weighted = 0, n_in_regime[6] = { 0 };
    /* the regime of each bar from TA-Lib's ATR14/ADX14 columns and EMA20/50 computed here
     * (the rules of docs/signal.md, as test_ctx test_regime_real_bars checks them) */
    int c_atr = csv_col(&csv, "atr14"), c_adx = csv_col(&csv, "adx14");
    double e20 = 0, e50 = 0, s20 = 0, s50 = 0, atrs[100];
    int n_atr = 0;
    /* multipliers: [regime][member] in k_members order (razor, xup, xdn, emarsi, bb, hot) */
    double mult[6][NM];
    for (int g = 0; g < 6; g++) {
        for (int i = 0; i < NM; i++) {
            mult[g][i] = 1;
        }
    }
    mult[5][1] = mult[5][2] = 0; /* CHOPPY */
    mult[5][3] = 0.5;
    mult[4][0] = 0; /* VOLATILE */
    mult[4][5] = 2;
    for (size_t r = 1; r < csv.n_rows; r++) {
        char **row = csv.cells[r];
        codec_sig_bar_t b;
        assert_int_equal(csv_bar_1m(row, 8, &b), 0);
        codec_sig_signal_t sig;
        int rc = strategy_on_bar(ens, &b, b.end_ns, &in, &sig);
        assert_true(rc == 0 || rc == 1);
        /* reference */
        double hi = (double)b.high / 100, lo = (double)b.low / 100, cl = (double)b.close / 100;
        int t = (int)r - 1, regime = 0;
        if (t < 20) {
            s20 += cl;
            e20 = t == 19 ? s20 / 20 : 0;
        } else {
            e20 = (cl - e20) * (2.0 / 21) + e20;
        }
        if (t < 50) {
            s50 += cl;
            e50 = t == 49 ? s50 / 50 : 0;
        } else {
            e50 = (cl - e50) * (2.0 / 51) + e50;
        }
        if (row[c_atr][0]) {
            double atr = strtod(row[c_atr], NULL);
            atrs[n_atr++ % 100] = atr;
            if (n_atr >= 100 && row[c_adx][0]) {
                double adx = strtod(row[c_adx], NULL);
                int below = 0;
                for (int i = 0; i < 100; i++) {
                    below += atrs[i] < atr;
                }
                regime = below >= 90                          ? 4
                         : adx >= 25 && cl > e20 && e20 > e50 ? 1
                         : adx >= 25 && cl < e20 && e20 < e50 ? 2
                         : adx < 20                           ? 3
                                                              : 5;
            }
        }
        double wsum = 0, score = 0;
        for (int i = 0; i < NM; i++) {
            s_ref_t *m = &ref[i];
            if (m->pos_side != 0) {
                if (m->sl > 0 && (m->pos_side > 0 ? lo <= m->sl : hi >= m->sl)) {
                    s_realize(m, m->sl);
                } else if (m->tp > 0 && (m->pos_side > 0 ? hi >= m->tp : lo <= m->tp)) {
                    s_realize(m, m->tp);
                }
            }
        }
        for (int i = 0; i < NM; i++) {
            s_ref_t *m = &ref[i];
            if (m->vote_left > 0) {
                m->vote_left--;
            }
            codec_sig_signal_t ms;
            if (strategy_on_bar(mem[i], &b, b.end_ns, &in, &ms) == 1) {
                m->vote_side = ms.side;
                m->vote_conf = ms.confidence;
                m->vote_left = 10;
                if (m->pos_side != 0) {
                    s_realize(m, cl);
                }
                m->pos_side = ms.side;
                m->entry = (double)ms.ref_px / 100;
                m->sl = ms.sl_px ? (double)ms.sl_px / 100 : 0;
                m->tp = ms.tp_px ? (double)ms.tp_px / 100 : 0;
            }
        }
        for (int i = 0; i < NM; i++) {
            s_ref_t *m = &ref[i];
            double perf = 0;
            for (int j = 0; j < m->n_res; j++) {
                perf += m->res[j];
            }
            m->w = fmin(3, fmax(0.1, 1 + 100 * perf)) * mult[regime][i];
            wsum += m->w;
            if (m->vote_left > 0) {
                score += m->w * m->vote_side * m->vote_conf;
            }
        }
        score = wsum > 0 ? score / wsum : 0;
        int side = score >= 15 ? 1 : score <= -15 ? -1 : 0;
        int want = side != 0 && side != prev_side;
        prev_side = side;
        if (rc != want) {
            fail_msg("bar %zu: got %d want %d (score %.4f)", r - 1, rc, want, score);
        }
        if (want) {
            n_sig++;
            assert_int_equal(sig.side, side);
            assert_true(fabs(sig.confidence - fabs(score)) < 1e-9);
            char head[32];
            static const char *const k_rn[] = { "NEUTRAL", "TRENDING_UP", "TRENDING_DOWN",
                                                "RANGING", "VOLATILE",    "CHOPPY" };
            snprintf(head, sizeof head, "ensemble %+.1f %s:", score, k_rn[regime]);
            n_in_regime[regime]++;
            assert_non_null(strstr(sig.reason, head));
            for (int i = 0; i < NM; i++) {
                if (ref[i].vote_left > 0 && fabs(ref[i].w - 1) > 1e-9) {
                    n_weighted++; /* a vote with an adapted weight */
                }
            }
        }
    }
    print_message("ensemble with regime weights: %d signals (%d in CHOPPY, %d in VOLATILE)\n",
                  n_sig, n_in_regime[5], n_in_regime[4]);
    assert_true(n_sig > 5);
    assert_true(n_in_regime[5] > 0 && n_in_regime[4] > 0);
    (void)n_weighted;
    for (int i = 0; i < NM; i++) {
        strategy_destroy(&mem[i]);
    }
    strategy_destroy(&ens);
    cfg_destroy(&cfg);
    csv_free(&csv);
}

static void
test_bad_config(void **state)
{
    (void)state;
    static const char *const k_bad[] = {
        /* 2 members */
        "{\"s\": [{\"name\": \"e\", \"type\": \"ensemble\", " SER ", \"members\": ["
        "{\"name\": \"a\", \"type\": \"razor\", " SER
        "}, {\"name\": \"b\", \"type\": \"razor\", " SER "}]}]}",
        /* nested ensemble */
        "{\"s\": [{\"name\": \"e\", \"type\": \"ensemble\", " SER ", \"members\": ["
        "{\"name\": \"a\", \"type\": \"ensemble\", " SER "}, {}, {}, {}, {}]}]}",
        /* member of another symbol */
        "{\"s\": [{\"name\": \"e\", \"type\": \"ensemble\", " SER ", \"members\": ["
        "{\"name\": \"a\", \"type\": \"razor\", \"venue\": \"binance-spot\", \"symbol\": "
        "\"ETHUSDT\"},"
        "{}, {}, {}, {}]}]}",
        /* regime_weights: unknown regime, unknown member, multiplier out of range */
        "{\"s\": [{\"name\": \"e\", \"type\": \"ensemble\", " SER ", \"members\": ["
        "{\"name\": \"a\", \"type\": \"razor\", " SER
        "}, {\"name\": \"b\", \"type\": \"razor\", " SER
        "}, {\"name\": \"c\", \"type\": \"razor\", " SER
        "}, {\"name\": \"d\", \"type\": \"razor\", " SER
        "}, {\"name\": \"f\", \"type\": \"razor\", " SER
        "}], \"regime_weights\": {\"CHOPPPY\": {}}}]}",
        "{\"s\": [{\"name\": \"e\", \"type\": \"ensemble\", " SER ", \"members\": ["
        "{\"name\": \"a\", \"type\": \"razor\", " SER
        "}, {\"name\": \"b\", \"type\": \"razor\", " SER
        "}, {\"name\": \"c\", \"type\": \"razor\", " SER
        "}, {\"name\": \"d\", \"type\": \"razor\", " SER
        "}, {\"name\": \"f\", \"type\": \"razor\", " SER
        "}], \"regime_weights\": {\"CHOPPY\": {\"z\": 0}}}]}",
        "{\"s\": [{\"name\": \"e\", \"type\": \"ensemble\", " SER ", \"members\": ["
        "{\"name\": \"a\", \"type\": \"razor\", " SER
        "}, {\"name\": \"b\", \"type\": \"razor\", " SER
        "}, {\"name\": \"c\", \"type\": \"razor\", " SER
        "}, {\"name\": \"d\", \"type\": \"razor\", " SER
        "}, {\"name\": \"f\", \"type\": \"razor\", " SER
        "}], \"regime_weights\": {\"VOLATILE\": {\"a\": 11}}}]}",
    };
    static const char *const k_path[] = { "s[0].members",
                                          "s[0].members[0].type",
                                          "s[0].members[0]",
                                          "s[0].regime_weights.CHOPPPY: unknown regime",
                                          "s[0].regime_weights.CHOPPY.z: not a member",
                                          "s[0].regime_weights.VOLATILE.a: expected" };
    for (size_t i = 0; i < 6; i++) {
        cfg_t *cfg = s_cfg(k_bad[i]);
        errno = 0;
        assert_null(strategy_from_cfg(cfg, "s[0]"));
        assert_int_equal(errno, EINVAL);
        print_message("bad ensemble %zu: %s\n", i, cfg_error(cfg));
        assert_non_null(strstr(cfg_error(cfg), k_path[i]));
        cfg_destroy(&cfg);
    }
}

int
main(void)
{
    log_init("test_strat_ensemble", LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_candles),
        cmocka_unit_test(test_regime_weights),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
