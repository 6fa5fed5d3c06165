/*  test_strat_level.c - strategy "level_reaction": levels from the 1,440 real BTCUSDT 1m
 *  candles of 2025-11-03 (data/candles, PROVENANCE 3), then trades and books placed at the
 *  strongest support the day left. The level is read from a separate signal/ctx instance with
 *  the same parameters (ctx is checked by hand-derived cases in test_ctx.c); the expected signal
 *  follows the rule in strat_level.h, with sl/tp computed here in integer arithmetic.
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
#include "signal/ctx.h"
#include "signal/strategy.h"
#include "tests/unit/signal/csv_util.h"

#define DAY_CSV  "data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-03.csv"
#define CFG_PATH "build/test_strat_level_cfg.json"
#define NS       1000000000LL
#define MS       1000000LL

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

static const instr_t k_in = { .venue = "binance-spot",
                              .symbol = "BTCUSDT",
                              .px_scale = 2,
                              .qty_scale = 5,
                              .tick = 1,
                              .step = 1 };

/* A strategy and a reference ctx fed the whole day; returns the strongest support. */
static strategy_t *
s_day(ctx_level_t *support, int64_t *day_end)
{
    cfg_t *cfg = s_cfg("{\"s\": {\"name\": \"lvl\", \"type\": \"level_reaction\", \"venue\": "
                       "\"binance-spot\", \"symbol\": \"BTCUSDT\", \"min_strength\": 30}}");
    strategy_t *s = strategy_from_cfg(cfg, "s");
    if (!s) {
        fail_msg("%s", cfg_error(cfg));
    }
    cfg_destroy(&cfg);
    assert_true(strategy_wants_md(s));
    ctx_params_t cp;
    ctx_params_default(&cp); /* swing 5, tol 10 bp: the strategy's defaults */
    ctx_t *ctx = ctx_new(&cp);
    ind_params_t ip;
    ind_params_default(&ip);
    ind_t *ind = ind_new(&ip);
    csv_t csv;
    assert_int_equal(csv_load(&csv, DAY_CSV), 0);
    for (size_t r = 0; r < csv.n_rows; r++) {
        char **row = csv.cells[r];
        codec_sig_bar_t b;
        assert_int_equal(csv_bar_1m(row, 5, &b), 0);
        codec_sig_signal_t sig;
        assert_int_equal(strategy_on_bar(s, &b, b.end_ns, &k_in, &sig), 0); /* bars never fire */
        ind_bar_t ib = { .high = (double)b.high / 100,
                         .low = (double)b.low / 100,
                         .close = (double)b.close / 100,
                         .volume = (double)b.volume / 1e5,
                         .start_ns = b.start_ns };
        assert_int_equal(ind_update(ind, &ib), 0);
        assert_int_equal(ctx_on_bar(ctx, &ib, ind), 0);
        *day_end = b.end_ns;
    }
    const ctx_level_t *lv;
    int n = ctx_levels(ctx, &lv), best = -1;
    for (int i = 0; i < n; i++) {
        if (lv[i].kind < 0 && (best < 0 || lv[i].strength > lv[best].strength)) {
            best = i;
        }
    }
    assert_true(best >= 0);
    *support = lv[best];
    print_message("strongest support %.2f strength %.1f tests %d (of %d levels)\n", support->price,
                  support->strength, support->tests, n);
    assert_true(support->strength >= 30);
    csv_free(&csv);
    ctx_destroy(&ctx);
    ind_destroy(&ind);
    return s;
}

static codec_md_book_t
s_book(int64_t bid_qty, int64_t ask_qty)
{
    codec_md_book_t b;
    memset(&b, 0, sizeof b);
    strcpy(b.venue, "binance-spot");
    strcpy(b.symbol, "BTCUSDT");
    b.n_bids = b.n_asks = 1;
    b.bids[0].qty = bid_qty;
    b.asks[0].qty = ask_qty;
    return b;
}

/* 51 trades stepping up by `step` cents from px0, all of taker side `side`; returns the
 * number of signals and the last one. */
static int
s_trades(strategy_t *s, int64_t px0, int64_t step, int side, int64_t t0, codec_sig_signal_t *last,
         int *first_at)
{
    int n = 0;
    *first_at = -1;
    for (int i = 0; i < 52; i++) {
        codec_md_trade_t t;
        memset(&t, 0, sizeof t);
        strcpy(t.venue, "binance-spot");
        strcpy(t.symbol, "BTCUSDT");
        t.px_scale = 2;
        t.qty_scale = 5;
        t.px = px0 + step * i;
        t.qty = 10000; /* 0.1 BTC */
        t.side = (int8_t)side;
        t.ts_event = t0 + i * 1000000LL; /* 1 ms apart: all in one 1m bar */
        codec_sig_signal_t sig;
        int rc = strategy_on_trade(s, &t, &k_in, &sig);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1) {
            n++;
            *last = sig;
            if (*first_at < 0) {
                *first_at = i;
            }
        }
    }
    return n;
}

static void
test_support_reaction(void **state)
{
    (void)state;
    ctx_level_t sup;
    int64_t t0;
    strategy_t *s = s_day(&sup, &t0);
    int64_t L = llround(sup.price * 100); /* the level in cents (prices have 2 decimals) */
    /* px from L + 1 cent rising 1 cent per trade: within L .. L*(1+5bp) (5 bp of ~1e5 = 50
     * USD = 5000 cents, far more than 52 cents); all buys -> flow > 0; bid 3 vs ask 1 ->
     * imbalance 0.5 >= 0.1; the ring of 50 fills at trade 49, so trade 50 is the first judged:
     * momentum = px50 - px0 = 50 cents > 0 -> BUY at trade 50; trade 51 is the same level and
     * the same bar -> no second signal. */
    codec_md_book_t bk = s_book(300000, 100000);
    strategy_on_book(s, &bk);
    codec_sig_signal_t sig;
    int first;
    assert_int_equal(s_trades(s, L + 1, 1, 1, t0 + 5 * NS, &sig, &first), 1);
    assert_int_equal(first, 50);
    int64_t px = L + 1 + 50;
    assert_int_equal(sig.side, 1);
    assert_int_equal(sig.ref_px, px);
    /* sl: stop 10 bp below the level: distance px - L*(1-0.001) rounded up to the cent, then
     * down to the tick (1 cent); tp = px + 2 * that distance rounded up */
    double sd = (double)px / 100 - sup.price * (1 - 0.001);
    int64_t sd_c = (int64_t)ceil(sd * 100 - 1e-6), td_c = (int64_t)ceil(2 * sd * 100 - 1e-6);
    assert_true(llabs(sig.sl_px - (px - sd_c)) <= 1);
    assert_true(llabs(sig.tp_px - (px + td_c)) <= 1);
    assert_true(sig.sl_px < L && sig.tp_px > px);
    /* confidence = 0.4 * strength + 30 * min(1, 0.5/0.5) + 30 * (flow / |flow| = 1) */
    assert_true(fabs(sig.confidence - fmin(100, 0.4 * sup.strength + 60)) < 1e-6);
    assert_non_null(strstr(sig.reason, "level support"));
    strategy_destroy(&s);

    /* the same trades with the book leaning to the asks: no signal */
    s = s_day(&sup, &t0);
    bk = s_book(100000, 300000);
    strategy_on_book(s, &bk);
    assert_int_equal(s_trades(s, L + 1, 1, 1, t0 + 5 * NS, &sig, &first), 0);
    strategy_destroy(&s);
    /* sellers in control (flow < 0): no BUY */
    s = s_day(&sup, &t0);
    bk = s_book(300000, 100000);
    strategy_on_book(s, &bk);
    assert_int_equal(s_trades(s, L + 1, 1, -1, t0 + 5 * NS, &sig, &first), 0);
    strategy_destroy(&s);
    /* falling into the level (momentum < 0): no BUY */
    s = s_day(&sup, &t0);
    strategy_on_book(s, &bk);
    assert_int_equal(s_trades(s, L + 60, -1, 1, t0 + 5 * NS, &sig, &first), 0);
    strategy_destroy(&s);
    /* below the support (px < L): no BUY */
    s = s_day(&sup, &t0);
    strategy_on_book(s, &bk);
    assert_int_equal(s_trades(s, L - 200, 1, 1, t0 + 5 * NS, &sig, &first), 0);
    strategy_destroy(&s);
}

/* Evaluation on book updates (strat_level.h): the trades of test_support_reaction (px from
 * L + 1 cent rising 1 cent per trade, all buys, 1 ms apart from t0 + 5 s) arrive while the
 * book leans to the asks (bid 1 vs ask 3: imbalance -0.5 < 0.1) -> no signal on any trade.
 * Then a book with bid 3 vs ask 1 (imbalance +0.5) at t0 + 5.2 s: the same rule at the last
 * trade's price px = L + 1 + 51, flow > 0, momentum of that trade = px51 - px1 = 50 cents > 0
 * -> BUY with ts_event = the book's 5.2 s, ref = px. A second such book in the same 1m bar:
 * same level, same bar -> nothing. One in the next bar (t0 + 65 s) -> BUY again. A book
 * before the trade window is full (here: before any trade) -> nothing. */
static void
test_book_reaction(void **state)
{
    (void)state;
    ctx_level_t sup;
    int64_t t0;
    strategy_t *s = s_day(&sup, &t0);
    int64_t L = llround(sup.price * 100);
    codec_md_book_t bk = s_book(100000, 300000);
    codec_sig_signal_t sig;
    bk.ts_event = t0 + 4 * NS;
    assert_int_equal(strategy_on_book_sig(s, &bk, &k_in, &sig), 0); /* no trades yet */
    int first;
    assert_int_equal(s_trades(s, L + 1, 1, 1, t0 + 5 * NS, &sig, &first), 0);
    bk = s_book(300000, 100000);
    bk.ts_event = t0 + 5200 * MS;
    assert_int_equal(strategy_on_book_sig(s, &bk, &k_in, &sig), 1);
    int64_t px = L + 1 + 51;
    assert_int_equal(sig.side, 1);
    assert_int_equal(sig.ref_px, px);
    assert_int_equal(sig.ts_event, t0 + 5200 * MS);
    double sd = (double)px / 100 - sup.price * (1 - 0.001);
    int64_t sd_c = (int64_t)ceil(sd * 100 - 1e-6), td_c = (int64_t)ceil(2 * sd * 100 - 1e-6);
    assert_true(llabs(sig.sl_px - (px - sd_c)) <= 1);
    assert_true(llabs(sig.tp_px - (px + td_c)) <= 1);
    assert_true(fabs(sig.confidence - fmin(100, 0.4 * sup.strength + 60)) < 1e-6);
    assert_non_null(strstr(sig.reason, "mom=0.5"));
    bk.ts_event = t0 + 5300 * MS;
    assert_int_equal(strategy_on_book_sig(s, &bk, &k_in, &sig), 0);
    bk.ts_event = t0 + 65 * NS;
    assert_int_equal(strategy_on_book_sig(s, &bk, &k_in, &sig), 1);
    assert_int_equal(sig.ts_event, t0 + 65 * NS);
    /* another symbol's book: not the instance's, nothing */
    strcpy(bk.symbol, "ETHUSDT");
    bk.ts_event = t0 + 125 * NS;
    assert_int_equal(strategy_on_book_sig(s, &bk, &k_in, &sig), 0);
    strategy_destroy(&s);
}

static void
test_errors(void **state)
{
    (void)state;
    cfg_t *cfg = s_cfg("{\"s\": {\"name\": \"lvl\", \"type\": \"level_reaction\", \"venue\": "
                       "\"v\", \"symbol\": \"S\", \"flow_n\": 1}}");
    errno = 0;
    assert_null(strategy_from_cfg(cfg, "s"));
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(cfg_error(cfg), "s.flow_n"));
    cfg_destroy(&cfg);
    cfg = s_cfg("{\"s\": {\"name\": \"lvl\", \"type\": \"level_reaction\", \"venue\": "
                "\"binance-spot\", \"symbol\": \"BTCUSDT\"}}");
    strategy_t *s = strategy_from_cfg(cfg, "s");
    cfg_destroy(&cfg);
    codec_md_trade_t t;
    memset(&t, 0, sizeof t);
    strcpy(t.venue, "binance-spot");
    strcpy(t.symbol, "BTCUSDT");
    t.px = 100;
    t.qty = 1;
    t.side = 0; /* bad side */
    codec_sig_signal_t sig;
    errno = 0;
    assert_int_equal(strategy_on_trade(s, &t, NULL, &sig), -1);
    assert_int_equal(errno, EINVAL);
    strcpy(t.symbol, "ETHUSDT"); /* not the instance's symbol: ignored */
    assert_int_equal(strategy_on_trade(s, &t, NULL, &sig), 0);
    strategy_destroy(&s);
}

int
main(void)
{
    log_init("test_strat_level", LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_support_reaction),
        cmocka_unit_test(test_book_reaction),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
