/*  test_signal_config.c - signal/config: the stage's config reader and engine constructor.
 *  An unknown key at every level of the signal section (the section itself, a strategy's
 *  parameters, a rule, a stop/take-profit object, an ensemble member, trade_bars, indicators,
 *  an indicator set's context, mtf) is refused, and the error names the file, the exact line
 *  (counted from the text written) and the key path. config/default.json passes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "signal/config.h"
#include "signal/strat_ema_rsi.h"
#include "tests/unit/cfg_test_util.h"
#include "tests/unit/signal/csv_util.h"

#define SER "\"venue\": \"binance-spot\", \"symbol\": \"BTCUSDT\""

/* A whole config around `signal` (the section's body). */
static void
s_text(char *out, size_t cap, const char *signal)
{
    snprintf(
        out, cap,
        "{\n"
        "  \"mode\": \"replay\",\n"
        "  \"run_dir\": \"/tmp/tp-never-created\",\n"
        "  \"endpoints\": {\n"
        "    \"feed.0\": {\"pub\": \"ipc://{run}/feed.0.pub\", \"ctl\": \"ipc://{run}/f.ctl\"},\n"
        "    \"signal.0\": {\"pub\": \"ipc://{run}/s.pub\", \"ctl\": \"ipc://{run}/s.ctl\"}\n"
        "  },\n"
        "  \"signal\": {\n"
        "%s\n"
        "  }\n"
        "}\n",
        signal);
}

static int
s_pub(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
      int64_t origin)
{
    (void)arg;
    (void)topic;
    (void)type;
    (void)body;
    (void)evt;
    (void)origin;
    fail_msg("nothing is published while configuring");
    return -1;
}

typedef struct {
    const char *signal; /* the section's body */
    const char *marker; /* text on the offending line */
    const char *key;    /* the key path the error must name */
} s_case_t;

static const s_case_t k_cases[] = {
    { "    \"warmup_bars\": 10,\n    \"warmup_barz\": 5", "\"warmup_barz\"", "signal.warmup_barz" },
    { "    \"strategies\": [{\"name\": \"a\", \"type\": \"ema_cross_rsi\", " SER ",\n"
      "      \"fast\": 5,\n"
      "      \"slwo\": 30}]",
      "\"slwo\"", "signal.strategies[0].slwo" },
    { "    \"strategies\": [{\"name\": \"r\", \"type\": \"rules\", " SER ", \"side\": \"buy\",\n"
      "      \"rules\": [{\"left\": \"ema9\", \"op\": \"crosses_above\", \"right\": \"ema21\"},\n"
      "                {\"left\": \"rsi14\", \"op\": \"lt\",\n"
      "                 \"valeu\": 70}],\n"
      "      \"stop\": {\"pct\": \"0.5\"}, \"take_profit\": {\"pct\": \"1\"}}]",
      "\"valeu\"", "signal.strategies[0].rules[1].valeu" },
    { "    \"strategies\": [{\"name\": \"r\", \"type\": \"rules\", " SER ", \"side\": \"buy\",\n"
      "      \"rules\": [{\"left\": \"ema9\", \"op\": \"crosses_above\", \"right\": \"ema21\"}],\n"
      "      \"stop\": {\"pct\": \"0.5\"},\n"
      "      \"take_profit\": {\"pct\": \"1\", \"r\": 2}}]",
      "\"r\": 2", "signal.strategies[0].take_profit.r" },
    { "    \"strategies\": [{\"name\": \"e\", \"type\": \"ensemble\", " SER ", \"members\": [\n"
      "      {\"name\": \"m1\", \"type\": \"razor\", " SER "},\n"
      "      {\"name\": \"m2\", \"type\": \"razor\", " SER "},\n"
      "      {\"name\": \"m3\", \"type\": \"razor\", " SER "},\n"
      "      {\"name\": \"m4\", \"type\": \"ema_cross_rsi\", " SER "},\n"
      "      {\"name\": \"m5\", \"type\": \"ema_cross_rsi\", " SER ",\n"
      "       \"fsat\": 3}]}]",
      "\"fsat\"", "signal.strategies[0].members[4].fsat" },
    { "    \"trade_bars\": [{\"venue\": \"bybit-linear\", \"symbol\": \"BTCUSDT\",\n"
      "      \"tf\": 1}]",
      "\"tf\"", "signal.trade_bars[0].tf" },
    { "    \"indicators\": [{" SER ", \"tf_s\": 60,\n"
      "      \"context\": {\"adx_trend\": 25,\n"
      "        \"adx_trnd\": 20}}]",
      "\"adx_trnd\"", "signal.indicators[0].context.adx_trnd" },
    { "    \"indicators\": [{" SER ", \"tf_s\": 60,\n"
      "      \"rsi_period\": 14}]",
      "\"rsi_period\"", "signal.indicators[0].rsi_period" },
    { "    \"mtf\": [{" SER ", \"base_tf_s\": 60,\n"
      "      \"tf\": [300]}]",
      "\"tf\"", "signal.mtf[0].tf" },
};

static void
test_unknown_key_at_every_level(void **state)
{
    (void)state;
    char text[4096], path[128];
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        s_text(text, sizeof text, k_cases[i].signal);
        cfg_t *c = ctu_load("sigcfg", text, path);
        assert_int_equal(signal_config_check(c, "signal.0"), -1);
        assert_int_equal(errno, EINVAL);
        ctu_expect(c, path, text, k_cases[i].marker, k_cases[i].key, "unknown key");
        /* the stage's own constructor refuses it the same way */
        engine_t *eng = signal_engine_new(c, s_pub, NULL);
        assert_null(eng);
        ctu_expect(c, path, text, k_cases[i].marker, k_cases[i].key, "unknown key");
        cfg_destroy(&c);
        unlink(path);
    }
}

static void
test_warmup_keys_and_feeds(void **state)
{
    (void)state;
    char text[4096], path[128];
    s_text(text, sizeof text, "    \"warmup_bars\": 100,\n    \"warmup_timeout_ms\": 5");
    cfg_t *c = ctu_load("sigcfg", text, path);
    assert_int_equal(signal_config_check(c, "signal.0"), -1);
    ctu_expect(c, path, text, "\"warmup_timeout_ms\"", "signal.warmup_timeout_ms",
               "expected an integer in [10, 60000], got 5");
    cfg_destroy(&c);
    unlink(path);
    /* no feed to subscribe to: refused before anything starts */
    s_text(text, sizeof text, "    \"warmup_bars\": 0");
    char *f = strstr(text, "\"feed.0\"");
    memcpy(f, "\"fxed.0\"", 8);
    c = ctu_load("sigcfg", text, path);
    assert_int_equal(signal_config_check(c, "signal.0"), -1);
    ctu_expect(c, path, text, "\"endpoints\"", "endpoints", "no endpoints.feed.*");
    cfg_destroy(&c);
    unlink(path);
    /* an instance without endpoints */
    s_text(text, sizeof text, "    \"warmup_bars\": 0");
    c = ctu_load("sigcfg", text, path);
    assert_int_equal(signal_config_check(c, "signal.1"), -1);
    ctu_expect(c, path, text, "\"endpoints\"", "endpoints",
               "no endpoints for instance \"signal.1\"");
    cfg_destroy(&c);
    unlink(path);
}

static void
test_read_values(void **state)
{
    (void)state;
    char text[4096], path[128];
    s_text(text, sizeof text, "    \"warmup_bars\": 100,\n    \"warmup_rest\": false");
    cfg_t *c = ctu_load("sigcfg", text, path);
    signal_config_t sc;
    assert_int_equal(signal_config_read(c, &sc), 0);
    assert_int_equal(sc.n_feeds, 1);
    assert_string_equal(sc.feeds[0], "feed.0");
    assert_string_equal(sc.feed_eps[0], "ipc:///tmp/tp-never-created/feed.0.pub");
    assert_int_equal(sc.warmup_bars, 100);
    assert_int_equal(sc.warmup_timeout_ms, 2000); /* defaults as docs/config.md says */
    assert_false(sc.warmup_rest);
    assert_int_equal(sc.warmup_trades, 100000);
    assert_int_equal(sc.step_ms, 100);
    assert_string_equal(sc.history_ep, ""); /* no endpoints.recorder.0.history */
    cfg_destroy(&c);
    unlink(path);
}

static void
test_default_config_passes(void **state)
{
    (void)state;
    char err[512];
    cfg_t *c = cfg_load("config/default.json", err, sizeof err);
    assert_non_null(c);
    if (signal_config_check(c, "signal.0") != 0) {
        fail_msg("%s", cfg_error(c));
    }
    cfg_destroy(&c);
}

#define BTC_CSV "data/indicators/talib_binance_spot_btcusdt_1m_2025-11-03_2025-11-04.csv"

/* The ema_cross_rsi strategy with the given stop_pct, long_only, rsi_long_max and name. */
static void
s_strategy_text(char *out, size_t cap, const char *stop, const char *long_only, int rsi_max,
                const char *name)
{
    char sig[1024];
    snprintf(sig, sizeof sig,
             "    \"strategies\": [{\"name\": \"%s\", \"type\": \"ema_cross_rsi\", " SER ",\n"
             "      \"fast\": 5, \"slow\": 20,\n"
             "      \"rsi_long_max\": %d,\n"
             "      \"long_only\": %s,\n"
             "      \"stop_pct\": %s}]",
             name, rsi_max, long_only, stop);
    s_text(out, cap, sig);
}

/* Feed bars [from, to) of the candle file to s; returns the last on_bar result, *sig set. */
static int
s_feed(strategy_t *s, const csv_t *csv, size_t from, size_t to, codec_sig_signal_t *sig)
{
    instr_t in = { .venue = "binance-spot",
                   .symbol = "BTCUSDT",
                   .px_scale = 2,
                   .qty_scale = 8,
                   .tick = 1,
                   .step = 1 };
    int rc = 0;
    for (size_t r = from; r < to; r++) {
        codec_sig_bar_t b;
        assert_int_equal(csv_bar_1m(csv->cells[r], 8, &b), 0);
        memset(sig, 0, sizeof *sig);
        rc = strategy_on_bar(s, &b, b.end_ns, &in, sig);
        assert_true(rc == 0 || rc == 1);
    }
    return rc;
}

/* Reload: the reloadable parameters reach the running strategy and its state stays: after
 * the reload it decides every later bar exactly as an instance built with the new
 * parameters from the start (same periods, so the same EMA/RSI state) would. */
static void
test_reload_retunes_and_keeps_state(void **state)
{
    (void)state;
    char text[4096], path_a[128], path_b[128];
    csv_t csv;
    assert_int_equal(csv_load(&csv, BTC_CSV), 0);
    size_t half = csv.n_rows / 2;
    s_strategy_text(text, sizeof text, "\"0.5\"", "true", 70, "e");
    cfg_t *a = ctu_load("sigrl", text, path_a);
    engine_t *eng = signal_engine_new(a, s_pub, NULL);
    if (!eng) {
        fail_msg("%s", cfg_error(a));
    }
    strategy_t *run = engine_strategy(eng, 0);
    codec_sig_signal_t sig_run, sig_ref;
    (void)s_feed(run, &csv, 1, half, &sig_run);

    s_strategy_text(text, sizeof text, "\"0.8\"", "false", 60, "e");
    cfg_t *b = ctu_load("sigrl", text, path_b);
    if (signal_config_reload(eng, b) != 0) {
        fail_msg("%s", cfg_error(b));
    }
    const strat_ema_rsi_params_t *p = strat_ema_rsi_params(strategy_impl(run));
    assert_int_equal(p->stop_pct_e4, 8000); /* "0.8" % at SLTP_PCT_SCALE 4 */
    assert_false(p->long_only);
    assert_true(p->rsi_long_max == 60.0);
    assert_int_equal(p->fast, 5); /* periods are restart-only: untouched */

    /* the reference: built from b, fed every bar from the start */
    engine_t *ref_eng = signal_engine_new(b, s_pub, NULL);
    assert_non_null(ref_eng);
    strategy_t *ref = engine_strategy(ref_eng, 0);
    (void)s_feed(ref, &csv, 1, half, &sig_ref);
    int n_sig = 0;
    for (size_t r = half; r < csv.n_rows; r++) {
        int x = s_feed(run, &csv, r, r + 1, &sig_run);
        int y = s_feed(ref, &csv, r, r + 1, &sig_ref);
        assert_int_equal(x, y);
        if (x == 1) {
            n_sig++;
            assert_int_equal(sig_run.side, sig_ref.side);
            assert_int_equal(sig_run.sl_px, sig_ref.sl_px);
            assert_int_equal(sig_run.tp_px, sig_ref.tp_px);
        }
    }
    assert_true(n_sig > 0); /* the comparison compared something */

    /* a bad value: refused naming the line and key, nothing changes */
    char path_c[128];
    s_strategy_text(text, sizeof text, "\"lots\"", "true", 70, "e");
    cfg_t *c = ctu_load("sigrl", text, path_c);
    assert_int_equal(signal_config_reload(eng, c), -1);
    ctu_expect(c, path_c, text, "\"stop_pct\"", "signal.strategies[0].stop_pct",
               "expected a decimal");
    assert_int_equal(p->stop_pct_e4, 8000);
    assert_false(p->long_only);
    cfg_destroy(&c);
    unlink(path_c);
    /* another strategy in its place: a restart */
    s_strategy_text(text, sizeof text, "\"0.5\"", "true", 70, "other");
    c = ctu_load("sigrl", text, path_c);
    assert_int_equal(signal_config_reload(eng, c), -1);
    ctu_expect(c, path_c, text, "\"strategies\"", "signal.strategies[0]",
               "not the running strategy \"e\": needs a restart");
    cfg_destroy(&c);
    unlink(path_c);

    engine_destroy(&ref_eng);
    engine_destroy(&eng);
    cfg_destroy(&a);
    cfg_destroy(&b);
    unlink(path_a);
    unlink(path_b);
    csv_free(&csv);
}

static void
test_reload_keys(void **state)
{
    (void)state;
    size_t n;
    const stage_key_t *k = signal_config_keys(&n);
    assert_true(n > 0);
    int reloadable = 0;
    for (size_t i = 0; i < n; i++) {
        /* every reloadable key is a strategy parameter some type's retune applies */
        if (k[i].reload) {
            reloadable++;
            assert_memory_equal(k[i].pattern, "signal.strategies[*].", 21);
        }
    }
    assert_int_equal(reloadable, 5);
}

int
main(void)
{
    log_init("test", LOG_LVL_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_key_at_every_level),
        cmocka_unit_test(test_warmup_keys_and_feeds),
        cmocka_unit_test(test_read_values),
        cmocka_unit_test(test_default_config_passes),
        cmocka_unit_test(test_reload_retunes_and_keeps_state),
        cmocka_unit_test(test_reload_keys),
    };
    return cmocka_run_group_tests_name("signal_config", tests, NULL, NULL);
}
