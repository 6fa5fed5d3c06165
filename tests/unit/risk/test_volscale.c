/*  test_volscale.c - issue 17 item 1: the volatility size multiplier on real bars, end to end
 *  through the two stages' engines. The bundled month of Binance spot BTCUSDT 1m klines
 *  (2025-11-01 .. 2025-11-30, what config/default.json replays) goes through signal's engine
 *  with the full indicator set and context on that series; the context sig.ind of two bars goes
 *  to risk's engine (scale.volatility on, defaults: pctile >= 80 -> 0.7x, <= 20 -> 1.2x), then
 *  a buy signal at that bar, and the entry's quantity is checked.
 *  Independent derivation: tests/unit/risk/volscale_expected.py (ATR14 as TA-Lib, percentile
 *  over 100 bars, the 60-bar stretches with the highest and the lowest mean percentile) prints
 *    high: bar start 1764251520000 ms (2025-11-27 13:52 UTC), close 91000.00, p 90 -> 0.7x
 *    low:  bar start 1764357480000 ms (2025-11-28 19:18 UTC), close 90943.89, p 4  -> 1.2x
 *  Sizing (equity 10000, risk 0.1 % = 10 USDT, stop 455.00 below the close):
 *    raw    = 10 / 455 = 0.02197802 BTC (floored at 8 decimals)
 *    high:  0.02197802 x 0.7 = 0.01538461 -> step 0.00001 -> 0.01538 (1538)
 *    low:   0.02197802 x 1.2 = 0.02637362 -> 0.02637 (2637)
 *  Before the fix signal published no atr_pctile, so both were 1x: 0.02197 (2197).
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

#include "common/money.h"
#include "risk/engine.h"
#include "signal/engine.h"
#include "tests/unit/signal/csv_util.h"

#define E8 INT64_C(100000000)
#define NS INT64_C(1000000000)
#define MS INT64_C(1000000)

#define HI_START (INT64_C(1764251520000) * MS)
#define LO_START (INT64_C(1764357480000) * MS)

/* context sig.ind of the two bars, captured from signal's publish callback */
typedef struct {
    int found;
    codec_sig_ind_t ctx;
    codec_sig_ind_t set[2]; /* the indicator set's messages of the bar (atr14 among them) */
    int n_set;
    int64_t evt;
} s_cap_t;

static s_cap_t s_hi, s_lo;

static int
s_sig_pub(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
          int64_t origin)
{
    (void)arg;
    (void)topic;
    (void)origin;
    if (type != CODEC_SIG_IND) {
        return 0;
    }
    const codec_sig_ind_t *ind = body;
    s_cap_t *c = ind->ts_event == HI_START + 60 * NS   ? &s_hi
                 : ind->ts_event == LO_START + 60 * NS ? &s_lo
                                                       : NULL;
    if (c && ind->n > 0 && strcmp(ind->names[0], "regime") != 0 && c->n_set < 2) {
        c->set[c->n_set++] = *ind;
        return 0;
    }
    if (ind->n == 0 || strcmp(ind->names[0], "regime") != 0) {
        return 0;
    }
    if (c) {
        c->found++;
        c->ctx = *ind;
        c->evt = evt;
    }
    return 0;
}

static double
s_value(const codec_sig_ind_t *ind, const char *name)
{
    for (uint32_t i = 0; i < ind->n; i++) {
        if (strcmp(ind->names[i], name) == 0) {
            return ind->values[i];
        }
    }
    return -1;
}

static int
s_load_month(codec_md_kline_t **out, size_t *n)
{
    size_t cap = 31 * 1440;
    codec_md_kline_t *k = calloc(cap, sizeof *k);
    assert_non_null(k);
    *n = 0;
    for (int day = 1; day <= 30; day++) {
        char path[128];
        snprintf(path, sizeof path,
                 "data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-%02d.csv", day);
        csv_t csv;
        assert_int_equal(csv_load(&csv, path), 0);
        for (size_t r = 0; r < csv.n_rows; r++) {
            char **c = csv.cells[r];
            codec_md_kline_t *x = &k[(*n)++];
            assert_true(*n <= cap);
            strcpy(x->venue, "binance-spot");
            strcpy(x->symbol, "BTCUSDT");
            x->px_scale = 2;
            x->qty_scale = 5;
            x->interval_s = 60;
            x->start_ns = strtoll(c[0], NULL, 10) * 1000; /* microseconds in these files */
            x->end_ns = x->start_ns + 60 * NS;
            int64_t *px[4] = { &x->open, &x->high, &x->low, &x->close };
            for (int i = 0; i < 4; i++) {
                assert_int_equal(money_parse(c[1 + i], strlen(c[1 + i]), 2, px[i]), 0);
            }
            assert_int_equal(money_parse(c[5], strlen(c[5]), 5, &x->volume), 0);
            assert_int_equal(money_parse(c[9], strlen(c[9]), 5, &x->taker_buy_volume), 0);
            x->closed = true;
            x->ts_event = x->end_ns;
        }
        csv_free(&csv);
    }
    *out = k;
    return 0;
}

static int
s_send(void *arg, const codec_risk_order_t *ord, int64_t evt, int64_t origin,
       codec_order_ack_t *ack)
{
    (void)evt;
    (void)origin;
    codec_risk_order_t *last = arg;
    *last = *ord;
    memset(ack, 0, sizeof *ack);
    snprintf(ack->client_id, sizeof ack->client_id, "%s", ord->client_id);
    ack->accepted = true;
    return 0;
}

static int
s_risk_pub(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
           int64_t origin)
{
    (void)arg, (void)topic, (void)type, (void)body, (void)evt, (void)origin;
    return 0;
}

/* The entry order of a long at the captured bar: ref = close, the signal's sl = close -
 * 455.00; stop_mode sl_mode (RISK_SL_PCT 0.5 %, RISK_SL_ATR 2 x atr14 of the bar's sig.ind). */
static codec_risk_order_t
s_entry(const s_cap_t *c, int64_t close, bool vol_on, int sl_mode)
{
    risk_engine_cfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.sizing.risk_pct = 1000;           /* 0.1 % */
    cfg.sizing.max_position_pct = 500000; /* 50 % */
    cfg.limits.max_open_positions = 1;
    cfg.limits.daily_loss_limit_pct = 30000;
    cfg.limits.start_equity = 10000 * E8;
    cfg.min_confidence = 50;
    strcpy(cfg.asset, "USDT");
    risk_scale_defaults(&cfg.scale);
    cfg.scale.vol_on = vol_on;
    cfg.sl_mode = sl_mode;
    cfg.sl_pct = 5000;       /* 0.5 % */
    cfg.sl_atr_mult = 20000; /* 2 x ATR */
    codec_risk_order_t last;
    memset(&last, 0, sizeof last);
    risk_io_t io = { .publish = s_risk_pub, .send_order = s_send, .arg = &last };
    risk_engine_t *eng = risk_engine_new(&cfg, &io);
    assert_non_null(eng);
    instr_t in = { .venue = "binance-spot",
                   .category = "spot",
                   .symbol = "BTCUSDT",
                   .px_scale = 2,
                   .qty_scale = 5,
                   .tick = 1,
                   .step = 1,
                   .min_qty = 1,
                   .min_notional = 5 * E8 };
    assert_int_equal(risk_engine_add_instrument(eng, &in), 0);
    codec_env_t e = { .v = CODEC_VERSION, .src = "executor.0", .evt = c->evt, .origin = 1 };
    codec_exec_balance_t b;
    memset(&b, 0, sizeof b);
    strcpy(b.asset, "USDT");
    b.wallet = b.equity = b.available = 10000 * E8;
    risk_engine_on_exec_balance(eng, &e, &b);
    snprintf(e.src, sizeof e.src, "signal.0");
    risk_engine_on_ind(eng, &e, &c->ctx);
    risk_engine_on_ind(eng, &e, &c->set[0]);
    risk_engine_on_ind(eng, &e, &c->set[1]);
    codec_sig_signal_t s;
    memset(&s, 0, sizeof s);
    strcpy(s.strategy, "ema_rsi.btc");
    strcpy(s.venue, "binance-spot");
    strcpy(s.symbol, "BTCUSDT");
    s.side = 1;
    s.confidence = 80;
    s.px_scale = 2;
    s.ref_px = close;
    s.sl_px = close - 45500;
    s.ts_event = c->evt;
    risk_engine_on_signal(eng, &e, &s);
    assert_string_equal(last.intent, "entry");
    risk_engine_destroy(&eng);
    return last;
}

static int64_t
s_entry_qty(const s_cap_t *c, int64_t close, bool vol_on)
{
    return s_entry(c, close, vol_on, RISK_SL_SIGNAL).qty;
}

static void
test_volatility_multiplier_real_bars(void **state)
{
    (void)state;
    codec_md_kline_t *k;
    size_t n;
    s_load_month(&k, &n);
    assert_int_equal(n, 30 * 1440);
    engine_t *sig = engine_new(s_sig_pub, NULL);
    assert_non_null(sig);
    ind_params_t ip;
    ind_params_default(&ip);
    assert_int_equal(engine_add_indicators(sig, "binance-spot", "BTCUSDT", 60, &ip, NULL), 0);
    size_t bars = 0;
    assert_int_equal(engine_warmup_klines(sig, k, n, INT64_MIN, 1, &bars), 0);
    assert_int_equal(bars, n);
    engine_destroy(&sig);
    free(k);

    assert_int_equal(s_hi.found, 1);
    assert_int_equal(s_lo.found, 1);
    /* the percentiles the script derives */
    assert_true(s_value(&s_hi.ctx, "atr_pctile") == 90.0);
    assert_true(s_value(&s_lo.ctx, "atr_pctile") == 4.0);

    assert_int_equal(s_entry_qty(&s_hi, 9100000, true), 1538);
    assert_int_equal(s_entry_qty(&s_lo, 9094389, true), 2637);
    /* scale.volatility off (the default): 1x at both */
    assert_int_equal(s_entry_qty(&s_hi, 9100000, false), 2197);
    assert_int_equal(s_entry_qty(&s_lo, 9094389, false), 2197);
}

/* Untested until issue 17: stop_mode "atr" and "pct" on real bars.
 * ATR: volscale_expected.py gives atr14 85.012850 at the high-volatility bar (close 91000.00);
 * risk takes sig.ind atr14 to the cent half-even, 85.01, so the stop is 91000.00 - 2 x 85.01 =
 * 90829.98 (on the 0.01 tick), distance 170.02, raw qty 10 / 170.02 = 0.05881661 BTC = 5352
 * USDT, above the 50 % cap: qty = 5000 / 91000 = 0.05494505 -> 0.05494.
 * pct: at the low-volatility bar, close 90943.89, 0.5 % = 454.71945 rounded up to the cent
 * 454.72, stop 90489.17, qty 10 / 454.72 = 0.02199155 -> 0.02199. The signal's own stop
 * (455.00 below) is not used in either mode. */
static void
test_stop_modes_real_bars(void **state)
{
    (void)state;
    assert_int_equal(s_hi.found, 1); /* filled by test_volatility_multiplier_real_bars */
    assert_true(s_value(&s_hi.set[0], "atr14") >= 0 || s_value(&s_hi.set[1], "atr14") >= 0);
    codec_risk_order_t o = s_entry(&s_hi, 9100000, false, RISK_SL_ATR);
    assert_int_equal(o.sl_px, 9082998);
    assert_int_equal(o.qty, 5494);
    o = s_entry(&s_lo, 9094389, false, RISK_SL_PCT);
    assert_int_equal(o.sl_px, 9048917);
    assert_int_equal(o.qty, 2199);
    o = s_entry(&s_lo, 9094389, false, RISK_SL_SIGNAL);
    assert_int_equal(o.sl_px, 9094389 - 45500);
}

/* Issue 17 item 5: signal's context `session` and risk's session multiplier name the same
 * session at every minute of a day (they disagreed: NY 12-21 UTC in signal, 13-22 in risk, so
 * at 12:xx signal said LONDON_NY_OVERLAP and risk LONDON, at 21:xx signal ASIAN and risk NY).
 * Both now come from common/sessions.h. */
static void
test_sessions_agree(void **state)
{
    (void)state;
    ctx_params_t cp;
    ctx_params_default(&cp);
    risk_scale_cfg_t sc;
    risk_scale_defaults(&sc);
    const int64_t d0 = INT64_C(1762128000) * NS; /* 2025-11-03 00:00 UTC */
    for (int64_t m = 0; m < 1440; m++) {
        int64_t t = d0 + m * 60 * NS;
        assert_string_equal(ctx_session_name(ctx_session(&cp, t)), risk_scale_session(&sc, t));
    }
    /* the overlap is 13-16 UTC in both */
    assert_string_equal(risk_scale_session(&sc, d0 + 12 * 3600 * NS), "LONDON");
    assert_int_equal(ctx_session(&cp, d0 + 13 * 3600 * NS), CTX_LONDON_NY_OVERLAP);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_volatility_multiplier_real_bars),
        cmocka_unit_test(test_sessions_agree),
        cmocka_unit_test(test_stop_modes_real_bars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
