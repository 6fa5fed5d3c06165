/*  test_engine.c - signal/engine: md.* messages in (real codec encoding), sig.* out through the
 *  publish callback: topics, envelope evt/origin propagation, counters, config parsing.
 *  Expected signals come from a separately driven strat_ema_rsi instance (itself checked
 *  against an independent computation in test_strat_ema_rsi.c); bar counts and topics are
 *  derived from the input file (1,440 one-minute rows) in the comments.
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
#include "common/money.h"
#include "signal/ctx.h"
#include "signal/engine.h"
#include "signal/strat_ema_rsi.h"
#include "signal/strat_setups.h"
#include "tests/unit/signal/csv_util.h"

#define CANDLES "data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-01.csv"
#define NS      1000000000LL
#define MS      1000000LL
#define MAX_OUT 4096

typedef struct {
    char topic[BUS_TOPIC_MAX];
    codec_type_t type;
    int64_t evt, origin;
    codec_body_t body;
} s_out_t;

static s_out_t s_out[MAX_OUT];
static size_t s_n_out;
static int s_pub_fail;

static int
s_pub(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
      int64_t origin)
{
    (void)arg;
    if (s_pub_fail) {
        return -1;
    }
    assert_true(s_n_out < MAX_OUT);
    s_out_t *o = &s_out[s_n_out++];
    snprintf(o->topic, sizeof o->topic, "%s", topic);
    o->type = type;
    o->evt = evt;
    o->origin = origin;
    size_t sz = type == CODEC_SIG_BAR     ? sizeof(codec_sig_bar_t)
                : type == CODEC_SIG_IND   ? sizeof(codec_sig_ind_t)
                : type == CODEC_SIG_SETUP ? sizeof(codec_sig_setup_t)
                                          : sizeof(codec_sig_signal_t);
    memcpy(&o->body, body, sz);
    return 0;
}

static uint8_t s_buf[CODEC_MSG_MAX];
static uint64_t s_seq;

/* Encode a message as feed.0 would and wrap it as the bus hands it to us. */
static bus_msg_t
s_msg(codec_type_t type, const char *topic, const void *body, int64_t evt, int64_t origin)
{
    bus_msg_t m;
    memset(&m, 0, sizeof m);
    snprintf(m.topic, sizeof m.topic, "%s", topic);
    m.type = type;
    m.env.v = CODEC_VERSION;
    snprintf(m.env.src, sizeof m.env.src, "feed.0");
    m.env.epoch = 1;
    m.env.seq = ++s_seq;
    m.env.origin = origin;
    m.env.evt = evt;
    size_t len = 0;
    assert_int_equal(codec_encode(&m.env, type, body, s_buf, sizeof s_buf, &len), 0);
    m.data = s_buf;
    m.len = len;
    return m;
}

static strat_ema_rsi_params_t
s_params(void)
{
    strat_ema_rsi_params_t p;
    memset(&p, 0, sizeof p);
    strcpy(p.name, "ema_rsi.btc");
    strcpy(p.venue, "binance-spot");
    strcpy(p.symbol, "BTCUSDT");
    p.tf_s = 60;
    p.fast = 9;
    p.slow = 21;
    p.rsi_period = 14;
    p.rsi_long_max = 70;
    p.rsi_exit_min = 30;
    p.long_only = true;
    p.stop_pct_e4 = 5000;
    p.take_pct_e4 = 10000;
    return p;
}

static void
s_instrument(engine_t *eng)
{
    codec_md_instrument_t in;
    memset(&in, 0, sizeof in);
    strcpy(in.venue, "binance-spot");
    strcpy(in.category, "spot");
    strcpy(in.symbol, "BTCUSDT");
    in.px_scale = 2;
    in.qty_scale = 5;
    in.tick = 1;
    in.step = 1;
    in.min_qty = 1;
    in.min_notional = 500000000;
    bus_msg_t m = s_msg(CODEC_MD_INSTRUMENT, "md.instrument.binance-spot.BTCUSDT", &in, 0, 0);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    assert_int_equal(engine_n_instruments(eng), 1);
}

/* One CSV row as the closed md.kline feed publishes (px scale 2, qty scale 5). */
static codec_md_kline_t
s_kline_row(char **cells)
{
    codec_md_kline_t k;
    memset(&k, 0, sizeof k);
    strcpy(k.venue, "binance-spot");
    strcpy(k.symbol, "BTCUSDT");
    k.px_scale = 2;
    k.qty_scale = 5;
    k.interval_s = 60;
    k.start_ns = strtoll(cells[0], NULL, 10) * 1000;
    k.end_ns = k.start_ns + 60 * NS;
    assert_int_equal(money_parse(cells[1], strlen(cells[1]), 2, &k.open), 0);
    assert_int_equal(money_parse(cells[2], strlen(cells[2]), 2, &k.high), 0);
    assert_int_equal(money_parse(cells[3], strlen(cells[3]), 2, &k.low), 0);
    assert_int_equal(money_parse(cells[4], strlen(cells[4]), 2, &k.close), 0);
    assert_int_equal(money_parse(cells[5], strlen(cells[5]), 5, &k.volume), 0);
    assert_int_equal(money_parse(cells[7], strlen(cells[7]), 8, &k.quote_volume), 0);
    k.trades = strtoll(cells[8], NULL, 10);
    assert_int_equal(money_parse(cells[9], strlen(cells[9]), 5, &k.taker_buy_volume), 0);
    k.closed = true;
    k.ts_event = k.end_ns + 3 * MS;
    k.ts_recv = k.ts_event + 1 * MS;
    return k;
}

static void
test_kline_day(void **state)
{
    (void)state;
    s_n_out = 0;
    engine_t *eng = engine_new(s_pub, NULL);
    assert_non_null(eng);
    strat_ema_rsi_params_t p = s_params();
    assert_int_equal(
        engine_add_strategy(eng, strategy_wrap(&strat_ema_rsi_ops, strat_ema_rsi_new(&p))), 0);
    strat_ema_rsi_t *ref = strat_ema_rsi_new(&p); /* the same strategy, driven directly */
    instr_t tick001 = { .venue = "binance-spot",
                        .symbol = "BTCUSDT",
                        .px_scale = 2,
                        .qty_scale = 5,
                        .tick = 1,
                        .step = 1 };
    s_instrument(eng);

    csv_t csv;
    assert_int_equal(csv_load(&csv, CANDLES), 0);
    assert_int_equal(csv.n_rows, 1440);
    size_t want_signals = 0;
    for (size_t r = 0; r < csv.n_rows; r++) {
        codec_md_kline_t k = s_kline_row(csv.cells[r]);
        /* an open update of the same minute first: no output */
        codec_md_kline_t open = k;
        open.closed = false;
        open.ts_event = k.start_ns + 30 * NS;
        size_t before = s_n_out;
        bus_msg_t m = s_msg(CODEC_MD_KLINE, "md.kline.1m.binance-spot.BTCUSDT", &open,
                            open.ts_event, 500 + (int64_t)r);
        assert_int_equal(engine_on_msg(eng, &m), 0);
        assert_int_equal(s_n_out, before);

        int64_t origin = 1000 + (int64_t)r;
        m = s_msg(CODEC_MD_KLINE, "md.kline.1m.binance-spot.BTCUSDT", &k, k.ts_event, origin);
        assert_int_equal(engine_on_msg(eng, &m), 0);
        /* first output: the bar */
        const s_out_t *o = &s_out[before];
        assert_string_equal(o->topic, "sig.bar.1m.binance-spot.BTCUSDT");
        assert_int_equal(o->type, CODEC_SIG_BAR);
        assert_int_equal(o->evt, k.ts_event);
        assert_int_equal(o->origin, origin);
        assert_int_equal(o->body.bar.close, k.close);
        assert_int_equal(o->body.bar.start_ns, k.start_ns);
        size_t i = before + 1;
        codec_sig_bar_t bar = o->body.bar;
        codec_sig_signal_t sig;
        if (strat_ema_rsi_on_bar(ref, &bar, k.ts_event, &tick001, &sig) == 1) {
            want_signals++;
            const s_out_t *so = &s_out[i++];
            assert_int_equal(so->type, CODEC_SIG_SIGNAL);
            assert_string_equal(so->topic, "sig.signal.ema_rsi.btc.BTCUSDT");
            assert_int_equal(so->evt, k.ts_event);
            assert_int_equal(so->origin, origin);
            assert_int_equal(so->body.signal.side, sig.side);
            assert_int_equal(so->body.signal.sl_px, sig.sl_px);
            assert_int_equal(so->body.signal.tp_px, sig.tp_px);
        }
        /* sig.ind from row 8 on (ema9 has output from its 9th input) */
        if (r >= 8) {
            const s_out_t *io = &s_out[i++];
            assert_string_equal(io->topic, "sig.ind.1m.binance-spot.BTCUSDT");
            assert_int_equal(io->body.ind.ts_event, k.end_ns);
            assert_int_equal(io->evt, k.ts_event);
            /* rows 8-13: ema9; 14-19: + rsi14 (first at row 14); 20+: all three */
            assert_int_equal(io->body.ind.n, r < 14 ? 1 : (r < 20 ? 2 : 3));
            assert_string_equal(io->body.ind.names[0], "ema9");
        }
        assert_int_equal(s_n_out, i);
        s_n_out = 0; /* keep the capture small */
    }
    const engine_counters_t *c = engine_counters(eng);
    assert_int_equal(c->bars, 1440);
    assert_int_equal(c->indicators, 1440 - 8);
    assert_int_equal(c->signals, (int64_t)want_signals);
    assert_true(want_signals >= 2);
    assert_int_equal(c->bad_msgs, 0);

    /* the last closed kline again (reconnect backfill): ignored, nothing published */
    codec_md_kline_t k = s_kline_row(csv.cells[csv.n_rows - 1]);
    bus_msg_t m = s_msg(CODEC_MD_KLINE, "md.kline.1m.binance-spot.BTCUSDT", &k, k.ts_event, 1);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    assert_int_equal(s_n_out, 0);
    assert_int_equal(engine_bars_stats(eng)->kline_dups, 1);

    /* malformed: undecodable bytes, and a kline with high < low */
    m.len = 3;
    errno = 0;
    assert_int_equal(engine_on_msg(eng, &m), -1);
    assert_int_equal(errno, EPROTO);
    k.high = k.low - 1;
    k.start_ns += 60 * NS;
    k.end_ns += 60 * NS;
    m = s_msg(CODEC_MD_KLINE, "md.kline.1m.binance-spot.BTCUSDT", &k, k.ts_event, 1);
    errno = 0;
    assert_int_equal(engine_on_msg(eng, &m), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(engine_counters(eng)->bad_msgs, 2);
    assert_int_equal(s_n_out, 0);
    csv_free(&csv);
    strat_ema_rsi_destroy(&ref);
    engine_destroy(&eng);
    assert_null(eng);
}

static cfg_t *s_cfg(const char *json);

/* A "setups" strategy (default parameters) inside the engine on the real day, against the
 * same strategy driven directly (its rules are checked by hand-derived cases in
 * test_strat_setups.c): after each bar's sig.bar come exactly that bar's life-cycle events as
 * sig.setup.setups.btc.BTCUSDT (same bodies, envelope evt/origin of the closing kline), then
 * its sig.signal if any; counters.setups counts them. */
static void
test_setups_published(void **state)
{
    (void)state;
    static const char k_json[] = "{\"signal\": {\"strategies\": [{\"name\": \"setups.btc\", "
                                 "\"type\": \"setups\", \"venue\": \"binance-spot\", "
                                 "\"symbol\": \"BTCUSDT\"}]}}";
    cfg_t *cfg = s_cfg(k_json);
    engine_t *eng = engine_new(s_pub, NULL);
    assert_int_equal(engine_configure(eng, cfg), 0);
    strategy_t *ref = strategy_from_cfg(cfg, "signal.strategies[0]");
    assert_non_null(ref);
    cfg_destroy(&cfg);
    s_instrument(eng);
    instr_t tick001 = { .venue = "binance-spot",
                        .symbol = "BTCUSDT",
                        .px_scale = 2,
                        .qty_scale = 5,
                        .tick = 1,
                        .step = 1 };
    csv_t csv;
    assert_int_equal(csv_load(&csv, CANDLES), 0);
    int64_t n_ev = 0, n_sig = 0;
    for (size_t r = 0; r < csv.n_rows; r++) {
        codec_md_kline_t k = s_kline_row(csv.cells[r]);
        s_n_out = 0;
        int64_t origin = 7000 + (int64_t)r;
        bus_msg_t m =
            s_msg(CODEC_MD_KLINE, "md.kline.1m.binance-spot.BTCUSDT", &k, k.ts_event, origin);
        assert_int_equal(engine_on_msg(eng, &m), 0);
        assert_true(s_n_out >= 1);
        assert_int_equal(s_out[0].type, CODEC_SIG_BAR);
        codec_sig_bar_t bar = s_out[0].body.bar;
        codec_sig_signal_t sig;
        int rc = strategy_on_bar(ref, &bar, k.ts_event, &tick001, &sig);
        codec_sig_setup_t ev[SETUP_MAX_EVENTS];
        int n = strategy_setup_events(ref, ev, SETUP_MAX_EVENTS);
        size_t i = 1;
        for (int e = 0; e < n; e++, i++) {
            assert_true(i < s_n_out);
            const s_out_t *o = &s_out[i];
            assert_int_equal(o->type, CODEC_SIG_SETUP);
            assert_string_equal(o->topic, "sig.setup.setups.btc.BTCUSDT");
            assert_int_equal(o->evt, k.ts_event);
            assert_int_equal(o->origin, origin);
            assert_memory_equal(&o->body.setup, &ev[e], sizeof ev[e]);
            n_ev++;
        }
        if (rc == 1) {
            assert_true(i < s_n_out);
            assert_int_equal(s_out[i].type, CODEC_SIG_SIGNAL);
            assert_memory_equal(&s_out[i].body.signal, &sig, sizeof sig);
            i++;
            n_sig++;
        }
        assert_int_equal(s_n_out, i); /* no sig.ind: setups has no values of its own */
    }
    print_message("setups in the engine: %lld sig.setup, %lld sig.signal\n", (long long)n_ev,
                  (long long)n_sig);
    assert_true(n_ev > 0);
    assert_int_equal(engine_counters(eng)->setups, n_ev);
    assert_int_equal(engine_counters(eng)->signals, n_sig);
    s_n_out = 0;
    csv_free(&csv);
    strategy_destroy(&ref);
    engine_destroy(&eng);
}

static codec_md_book_t
s_book_btc(int64_t bid_qty, int64_t ask_qty, int64_t t_ns)
{
    codec_md_book_t b;
    memset(&b, 0, sizeof b);
    strcpy(b.venue, "binance-spot");
    strcpy(b.symbol, "BTCUSDT");
    b.px_scale = 2;
    b.qty_scale = 5;
    b.ts_event = t_ns;
    b.n_bids = b.n_asks = 1;
    b.bids[0].qty = bid_qty;
    b.asks[0].qty = ask_qty;
    return b;
}

/* level_reaction judged on a book update through the engine. The day 2025-11-03 goes in as
 * md.kline; the strongest support L comes from a separate ctx with the strategy's defaults
 * (as in test_strat_level.c, which derives the rule's numbers). With the book leaning to the
 * asks (bid 1 vs ask 3: imbalance -0.5), 52 buys rising 1 cent from L + 1 cent publish
 * nothing. The md.book with bid 3 vs ask 1 at t0 + 5.2 s (origin 77) makes the rule hold at
 * the last trade's price L + 52 cents (flow > 0, momentum 50 cents): one sig.signal on
 * sig.signal.lvl.BTCUSDT with envelope evt = the book's event time, origin 77, BUY. */
static void
test_level_on_book(void **state)
{
    (void)state;
    cfg_t *cfg = s_cfg("{\"signal\": {\"strategies\": [{\"name\": \"lvl\", \"type\": "
                       "\"level_reaction\", \"venue\": \"binance-spot\", \"symbol\": "
                       "\"BTCUSDT\", \"min_strength\": 30}]}}");
    engine_t *eng = engine_new(s_pub, NULL);
    assert_int_equal(engine_configure(eng, cfg), 0);
    cfg_destroy(&cfg);
    s_instrument(eng);
    ctx_params_t cp;
    ctx_params_default(&cp);
    ctx_t *ctx = ctx_new(&cp);
    ind_params_t ip;
    ind_params_default(&ip);
    ind_t *ind = ind_new(&ip);
    csv_t csv;
    assert_int_equal(
        csv_load(&csv, "data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-03.csv"), 0);
    int64_t t0 = 0;
    for (size_t r = 0; r < csv.n_rows; r++) {
        codec_md_kline_t k = s_kline_row(csv.cells[r]);
        s_n_out = 0;
        bus_msg_t m = s_msg(CODEC_MD_KLINE, "md.kline.1m.binance-spot.BTCUSDT", &k, k.ts_event, 1);
        assert_int_equal(engine_on_msg(eng, &m), 0);
        ind_bar_t ib = { .high = (double)k.high / 100,
                         .low = (double)k.low / 100,
                         .close = (double)k.close / 100,
                         .volume = (double)k.volume / 1e5,
                         .start_ns = k.start_ns };
        assert_int_equal(ind_update(ind, &ib), 0);
        assert_int_equal(ctx_on_bar(ctx, &ib, ind), 0);
        t0 = k.end_ns;
    }
    const ctx_level_t *lv;
    int n = ctx_levels(ctx, &lv), best = -1;
    for (int i = 0; i < n; i++) {
        if (lv[i].kind < 0 && (best < 0 || lv[i].strength > lv[best].strength)) {
            best = i;
        }
    }
    assert_true(best >= 0 && lv[best].strength >= 30);
    int64_t L = llround(lv[best].price * 100);
    s_n_out = 0;
    codec_md_book_t bk = s_book_btc(100000, 300000, t0 + 4 * NS);
    bus_msg_t m = s_msg(CODEC_MD_BOOK, "md.book.binance-spot.BTCUSDT", &bk, bk.ts_event, 2);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    for (int i = 0; i < 52; i++) {
        codec_md_trade_t t;
        memset(&t, 0, sizeof t);
        strcpy(t.venue, "binance-spot");
        strcpy(t.symbol, "BTCUSDT");
        t.px_scale = 2;
        t.qty_scale = 5;
        t.px = L + 1 + i;
        t.qty = 10000;
        t.side = 1;
        t.ts_event = t0 + 5 * NS + i * MS;
        m = s_msg(CODEC_MD_TRADE, "md.trade.binance-spot.BTCUSDT", &t, t.ts_event, 3);
        assert_int_equal(engine_on_msg(eng, &m), 0);
    }
    assert_int_equal(s_n_out, 0);
    bk = s_book_btc(300000, 100000, t0 + 5200 * MS);
    m = s_msg(CODEC_MD_BOOK, "md.book.binance-spot.BTCUSDT", &bk, bk.ts_event, 77);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    assert_int_equal(s_n_out, 1);
    assert_string_equal(s_out[0].topic, "sig.signal.lvl.BTCUSDT");
    assert_int_equal(s_out[0].type, CODEC_SIG_SIGNAL);
    assert_int_equal(s_out[0].evt, t0 + 5200 * MS);
    assert_int_equal(s_out[0].origin, 77);
    assert_int_equal(s_out[0].body.signal.side, 1);
    assert_int_equal(s_out[0].body.signal.ref_px, L + 52);
    assert_int_equal(s_out[0].body.signal.ts_event, t0 + 5200 * MS);
    assert_int_equal(engine_counters(eng)->signals, 1);
    s_n_out = 0;
    csv_free(&csv);
    ctx_destroy(&ctx);
    ind_destroy(&ind);
    engine_destroy(&eng);
}

static codec_md_trade_t
s_trade(int64_t t_ns, int64_t px, int64_t qty, int side)
{
    codec_md_trade_t t;
    memset(&t, 0, sizeof t);
    strcpy(t.venue, "bybit-linear");
    strcpy(t.symbol, "BTCUSDT");
    t.px_scale = 1;
    t.qty_scale = 3;
    t.ts_event = t_ns;
    t.px = px;
    t.qty = qty;
    t.side = (int8_t)side;
    return t;
}

/* 1 s trade bars: trades at 10.2 s and 10.7 s, then 12.1 s closes [10 s, 11 s) (no bar for
 * [11, 12)); a trade at 11.5 s is then late. Published evt = 12.1 s (the closing trade),
 * origin = that message's origin. No strategy on the series: no sig.ind. */
static void
test_trade_bars(void **state)
{
    (void)state;
    s_n_out = 0;
    engine_t *eng = engine_new(s_pub, NULL);
    assert_int_equal(engine_add_trade_series(eng, "bybit-linear", "BTCUSDT", 1), 0);
    errno = 0;
    assert_int_equal(engine_add_trade_series(eng, "bybit-linear", "BTCUSDT", 1), -1);
    assert_int_equal(errno, EEXIST);
    const char *topic = "md.trade.bybit-linear.BTCUSDT";
    codec_md_trade_t t = s_trade(10200 * MS, 650001, 10, 1); /* 65000.1 x 0.010 */
    bus_msg_t m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 11);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    t = s_trade(10700 * MS, 650003, 20, -1);
    m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 12);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    assert_int_equal(s_n_out, 0);
    t = s_trade(12100 * MS, 650002, 5, 1);
    m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 13);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    assert_int_equal(s_n_out, 1);
    assert_string_equal(s_out[0].topic, "sig.bar.1s.bybit-linear.BTCUSDT");
    assert_int_equal(s_out[0].evt, 12100 * MS);
    assert_int_equal(s_out[0].origin, 13);
    /* O 65000.1 H 65000.3 L 65000.1 C 65000.3, vol 0.030, 2 trades; quote 650.001 + 1300.006
     * = 1950.007 -> vwap 1950.007 / 0.03 = 65000.2333 -> 65000.2 */
    assert_int_equal(s_out[0].body.bar.open, 650001);
    assert_int_equal(s_out[0].body.bar.high, 650003);
    assert_int_equal(s_out[0].body.bar.close, 650003);
    assert_int_equal(s_out[0].body.bar.volume, 30);
    assert_int_equal(s_out[0].body.bar.trades, 2);
    assert_int_equal(s_out[0].body.bar.quote_volume, 195000700000LL);
    assert_int_equal(s_out[0].body.bar.vwap, 650002);
    t = s_trade(11500 * MS, 650002, 5, 1);
    m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 14);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    assert_int_equal(engine_counters(eng)->late_trades, 1);
    assert_int_equal(engine_counters(eng)->bars, 1);
    assert_int_equal(engine_counters(eng)->indicators, 0);
    /* a malformed trade (qty 0) */
    t = s_trade(12200 * MS, 650002, 0, 1);
    m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 15);
    errno = 0;
    assert_int_equal(engine_on_msg(eng, &m), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(engine_counters(eng)->bad_msgs, 1);
    /* a publish failure is logged, not fatal */
    s_pub_fail = 1;
    t = s_trade(13100 * MS, 650002, 5, 1);
    m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 16);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    s_pub_fail = 0;
    engine_destroy(&eng);
}

static codec_md_book_t
s_book_of(const char *symbol, int64_t t_ns)
{
    codec_md_book_t b;
    memset(&b, 0, sizeof b);
    strcpy(b.venue, "bybit-linear");
    snprintf(b.symbol, sizeof b.symbol, "%s", symbol);
    b.px_scale = 1;
    b.qty_scale = 3;
    b.ts_event = t_ns;
    b.n_bids = b.n_asks = 1;
    b.bids[0].px = 650000;
    b.bids[0].qty = 100;
    b.asks[0].px = 650001;
    b.asks[0].qty = 100;
    return b;
}

/* signal.bar_grace_ms 250 with 1 s trade bars (bars.h "Grace close"): trades at 10.2 s and
 * 10.7 s open [10 s, 11 s). An md.book at 11.1 s: 11.1 < 11 + 0.25 -> nothing. An md.book of
 * ETHUSDT at 12 s: another symbol -> nothing. An md.ticker at 11.25 s = 11 + 0.25 -> the bar
 * closes: one sig.bar, evt 11.25 s and origin 21 (the ticker's), O 65000.1 C 65000.3, 2
 * trades. A trade at 10.9 s is then late (before the closed bar's end). A trade at 11.3 s
 * opens [11 s, 12 s); an md.book at 12.25 s closes it (evt 12.25 s, origin 24). Without the
 * key (default 0 = off) the same book closes nothing. */
static void
test_grace_close(void **state)
{
    (void)state;
    s_n_out = 0;
    cfg_t *cfg = s_cfg("{\"signal\": {\"bar_grace_ms\": 250, \"trade_bars\": [{\"venue\": "
                       "\"bybit-linear\", \"symbol\": \"BTCUSDT\", \"tf_s\": 1}]}}");
    engine_t *eng = engine_new(s_pub, NULL);
    assert_int_equal(engine_configure(eng, cfg), 0);
    cfg_destroy(&cfg);
    const char *topic = "md.trade.bybit-linear.BTCUSDT";
    codec_md_trade_t t = s_trade(10200 * MS, 650001, 10, 1);
    bus_msg_t m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 11);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    t = s_trade(10700 * MS, 650003, 20, -1);
    m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 12);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    codec_md_book_t bk = s_book_of("BTCUSDT", 11100 * MS);
    m = s_msg(CODEC_MD_BOOK, "md.book.bybit-linear.BTCUSDT", &bk, bk.ts_event, 13);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    bk = s_book_of("ETHUSDT", 12000 * MS);
    m = s_msg(CODEC_MD_BOOK, "md.book.bybit-linear.ETHUSDT", &bk, bk.ts_event, 14);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    assert_int_equal(s_n_out, 0);
    codec_md_ticker_t tk;
    memset(&tk, 0, sizeof tk);
    strcpy(tk.venue, "bybit-linear");
    strcpy(tk.symbol, "BTCUSDT");
    tk.px_scale = 1;
    tk.qty_scale = 3;
    tk.ts_event = 11250 * MS;
    tk.last_px = 650002;
    m = s_msg(CODEC_MD_TICKER, "md.ticker.bybit-linear.BTCUSDT", &tk, tk.ts_event, 21);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    assert_int_equal(s_n_out, 1);
    assert_string_equal(s_out[0].topic, "sig.bar.1s.bybit-linear.BTCUSDT");
    assert_int_equal(s_out[0].evt, 11250 * MS);
    assert_int_equal(s_out[0].origin, 21);
    assert_int_equal(s_out[0].body.bar.start_ns, 10 * NS);
    assert_int_equal(s_out[0].body.bar.open, 650001);
    assert_int_equal(s_out[0].body.bar.close, 650003);
    assert_int_equal(s_out[0].body.bar.trades, 2);
    t = s_trade(10900 * MS, 650002, 5, 1);
    m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 22);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    assert_int_equal(engine_counters(eng)->late_trades, 1);
    t = s_trade(11300 * MS, 650004, 5, 1);
    m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 23);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    assert_int_equal(s_n_out, 1);
    bk = s_book_of("BTCUSDT", 12250 * MS);
    m = s_msg(CODEC_MD_BOOK, "md.book.bybit-linear.BTCUSDT", &bk, bk.ts_event, 24);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    assert_int_equal(s_n_out, 2);
    assert_int_equal(s_out[1].evt, 12250 * MS);
    assert_int_equal(s_out[1].origin, 24);
    assert_int_equal(s_out[1].body.bar.start_ns, 11 * NS);
    assert_int_equal(s_out[1].body.bar.close, 650004);
    assert_int_equal(engine_counters(eng)->bars, 2);
    assert_int_equal(engine_bars_stats(eng)->grace_closes, 2);
    engine_destroy(&eng);

    /* the default: grace off, books and tickers never close a bar */
    s_n_out = 0;
    cfg = s_cfg("{\"signal\": {\"trade_bars\": [{\"venue\": \"bybit-linear\", \"symbol\": "
                "\"BTCUSDT\", \"tf_s\": 1}]}}");
    eng = engine_new(s_pub, NULL);
    assert_int_equal(engine_configure(eng, cfg), 0);
    cfg_destroy(&cfg);
    t = s_trade(10200 * MS, 650001, 10, 1);
    m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 11);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    bk = s_book_of("BTCUSDT", 100 * NS);
    m = s_msg(CODEC_MD_BOOK, "md.book.bybit-linear.BTCUSDT", &bk, bk.ts_event, 12);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    assert_int_equal(s_n_out, 0);
    errno = 0;
    assert_int_equal(engine_set_bar_grace_ms(eng, -1), -1);
    assert_int_equal(errno, EINVAL);
    engine_destroy(&eng);
}

static cfg_t *
s_cfg(const char *json)
{
    const char *path = "build/test_engine_cfg.json";
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
    char err[256];
    cfg_t *cfg = cfg_load(path, err, sizeof err);
    if (!cfg) {
        fail_msg("cfg_load: %s", err);
    }
    return cfg;
}

static void
test_configure(void **state)
{
    (void)state;
    cfg_t *cfg = s_cfg("{\"signal\": {\"strategies\": [{\"name\": \"a\", \"type\": "
                       "\"ema_cross_rsi\", \"venue\": \"binance-spot\", \"symbol\": "
                       "\"BTCUSDT\", \"stop_pct\": \"0.25\"}], \"trade_bars\": [{\"venue\": "
                       "\"bybit-linear\", \"symbol\": \"BTCUSDT\", \"tf_s\": 1}]}}");
    engine_t *eng = engine_new(s_pub, NULL);
    assert_int_equal(engine_configure(eng, cfg), 0);
    assert_int_equal(engine_n_strategies(eng), 1);
    engine_destroy(&eng);
    cfg_destroy(&cfg);

    /* defaults: tf 60, 9/21/14, 0.5 % / 1.0 % */
    strat_ema_rsi_params_t p;
    cfg = s_cfg("{\"s\": {\"name\": \"a\", \"venue\": \"v\", \"symbol\": \"X\"}}");
    assert_int_equal(strat_ema_rsi_params_from_cfg(cfg, "s", &p), 0);
    assert_int_equal(p.tf_s, 60);
    assert_int_equal(p.fast, 9);
    assert_int_equal(p.slow, 21);
    assert_int_equal(p.rsi_period, 14);
    assert_int_equal(p.stop_pct_e4, 5000);
    assert_int_equal(p.take_pct_e4, 10000);
    assert_true(p.long_only);
    cfg_destroy(&cfg);

    static const char *const k_bad[] = {
        /* fast >= slow */
        "{\"signal\": {\"strategies\": [{\"name\": \"a\", \"type\": \"ema_cross_rsi\", "
        "\"venue\": \"v\", \"symbol\": \"X\", \"fast\": 21, \"slow\": 9}]}}",
        /* unknown type */
        "{\"signal\": {\"strategies\": [{\"name\": \"a\", \"type\": \"nope\", "
        "\"venue\": \"v\", \"symbol\": \"X\"}]}}",
        /* unknown key */
        "{\"signal\": {\"strategies\": [{\"name\": \"a\", \"type\": \"ema_cross_rsi\", "
        "\"venue\": \"v\", \"symbol\": \"X\", \"fats\": 5}]}}",
        /* duplicate name */
        "{\"signal\": {\"strategies\": [{\"name\": \"a\", \"type\": \"ema_cross_rsi\", "
        "\"venue\": \"v\", \"symbol\": \"X\"}, {\"name\": \"a\", \"type\": \"ema_cross_rsi\", "
        "\"venue\": \"v\", \"symbol\": \"Y\"}]}}",
        /* stop_pct with too many decimals for scale 4 */
        "{\"signal\": {\"strategies\": [{\"name\": \"a\", \"type\": \"ema_cross_rsi\", "
        "\"venue\": \"v\", \"symbol\": \"X\", \"stop_pct\": \"0.00001\"}]}}",
        /* trade bars: tf 0, duplicate series */
        "{\"signal\": {\"trade_bars\": [{\"venue\": \"v\", \"symbol\": \"X\", \"tf_s\": 0}]}}",
        "{\"signal\": {\"trade_bars\": [{\"venue\": \"v\", \"symbol\": \"X\", \"tf_s\": 1}, "
        "{\"venue\": \"v\", \"symbol\": \"X\", \"tf_s\": 1}]}}",
        /* unknown key under signal */
        "{\"signal\": {\"strategy\": []}}",
        /* bar_grace_ms: negative, more than a week (BARS_MAX_TF_S), not an integer */
        "{\"signal\": {\"bar_grace_ms\": -1}}",
        "{\"signal\": {\"bar_grace_ms\": 604800001}}",
        "{\"signal\": {\"bar_grace_ms\": \"5\"}}",
        /* context thresholds (ctx.h): adx_range 30 above the default adx_trend 25 is
         * inconsistent; a threshold above 1000 is out of range; warmup_trades out of its range
         * is read by main.c, not here (so not listed) */
        "{\"signal\": {\"indicators\": [{\"venue\": \"v\", \"symbol\": \"X\", \"context\": "
        "{\"adx_range\": 30}}]}}",
        "{\"signal\": {\"indicators\": [{\"venue\": \"v\", \"symbol\": \"X\", \"context\": "
        "{\"tol_bp\": 1001}}]}}",
    };
    for (size_t i = 0; i < sizeof k_bad / sizeof k_bad[0]; i++) {
        cfg = s_cfg(k_bad[i]);
        eng = engine_new(s_pub, NULL);
        errno = 0;
        if (engine_configure(eng, cfg) != -1 || errno != EINVAL) {
            fail_msg("bad config %zu accepted (errno %d)", i, errno);
        }
        print_message("bad config %zu: %s\n", i, cfg_error(cfg));
        engine_destroy(&eng);
        cfg_destroy(&cfg);
    }
    /* the same adx_range with adx_trend 35 (< the default adx_strong 50) is consistent: each
     * threshold lands in its own field; the warm-up keys are known */
    cfg =
        s_cfg("{\"signal\": {\"warmup_bars\": 5, \"warmup_rest\": false, \"warmup_trades\": 9, "
              "\"indicators\": [{\"venue\": \"v\", \"symbol\": \"X\", \"context\": "
              "{\"adx_range\": 30, \"adx_trend\": 35, \"volatile_pct\": 95, \"tol_bp\": 12.5}}]}}");
    eng = engine_new(s_pub, NULL);
    assert_int_equal(engine_configure(eng, cfg), 0);
    engine_destroy(&eng);
    cfg_destroy(&cfg);
    /* no signal section at all: nothing configured, fine */
    cfg = s_cfg("{}");
    eng = engine_new(s_pub, NULL);
    assert_int_equal(engine_configure(eng, cfg), 0);
    assert_int_equal(engine_n_strategies(eng), 0);
    engine_destroy(&eng);
    cfg_destroy(&cfg);
}

/* Full indicator set on 1m and 1h plus 1m -> 5m/15m/1h/4h/1d aggregation through the engine,
 * on one real day. Expected: bars per tf = 1440 / (tf/60); every 1m/1h bar publishes
 * ceil(available / 12) sig.ind after its sig.bar; values equal an ind_t fed the same closes
 * directly (mantissa / 100 is the same double as strtod of the decimal string). */
static void
test_indicators_mtf(void **state)
{
    (void)state;
    s_n_out = 0;
    cfg_t *cfg = s_cfg("{\"signal\": {\"indicators\": [{\"venue\": \"binance-spot\", \"symbol\": "
                       "\"BTCUSDT\", \"tf_s\": 60}, {\"venue\": \"binance-spot\", \"symbol\": "
                       "\"BTCUSDT\", \"tf_s\": 3600}], \"mtf\": [{\"venue\": \"binance-spot\", "
                       "\"symbol\": \"BTCUSDT\"}]}}");
    engine_t *eng = engine_new(s_pub, NULL);
    assert_int_equal(engine_configure(eng, cfg), 0);
    cfg_destroy(&cfg);
    ind_params_t ip;
    ind_params_default(&ip);
    ind_t *ref = ind_new(&ip);
    assert_non_null(ref);
    csv_t csv;
    assert_int_equal(csv_load(&csv, CANDLES), 0);
    size_t n_bar[5] = { 0 }, n_ind_1m = 0, n_ind_1h = 0, n_bar_1m = 0;
    for (size_t r = 0; r < csv.n_rows; r++) {
        codec_md_kline_t k = s_kline_row(csv.cells[r]);
        size_t before = s_n_out;
        bus_msg_t m = s_msg(CODEC_MD_KLINE, "md.kline.1m.binance-spot.BTCUSDT", &k, k.ts_event,
                            77 + (int64_t)r);
        assert_int_equal(engine_on_msg(eng, &m), 0);
        ind_bar_t ib = { .high = strtod(csv.cells[r][2], NULL),
                         .low = strtod(csv.cells[r][3], NULL),
                         .close = strtod(csv.cells[r][4], NULL),
                         .volume = (double)k.volume / 1e5,
                         .start_ns = k.start_ns };
        assert_int_equal(ind_update(ref, &ib), 0);
        int avail = __builtin_popcount(ind_mask(ref));
        int want_msgs = (avail + IND_PER_MSG - 1) / IND_PER_MSG;
        assert_string_equal(s_out[before].topic, "sig.bar.1m.binance-spot.BTCUSDT");
        n_bar_1m++;
        for (int j = 0; j < want_msgs; j++) {
            const s_out_t *o = &s_out[before + 1 + (size_t)j];
            assert_string_equal(o->topic, "sig.ind.1m.binance-spot.BTCUSDT");
            assert_int_equal(o->evt, k.ts_event);
            assert_int_equal(o->origin, 77 + (int64_t)r);
            assert_int_equal(o->body.ind.ts_event, k.end_ns);
            for (uint32_t v = 0; v < o->body.ind.n; v++) {
                int id = -1;
                for (int q = 0; q < IND_COUNT; q++) {
                    if (strcmp(ind_name(ref, q), o->body.ind.names[v]) == 0) {
                        id = q;
                    }
                }
                double want;
                assert_int_equal(ind_get(ref, id, &want), 0);
                assert_true(o->body.ind.values[v] == want);
            }
            n_ind_1m++;
        }
        /* then the context message: regime, regime_str, session (this bar's UTC hour), flow */
        const s_out_t *cx = &s_out[before + 1 + (size_t)want_msgs];
        assert_string_equal(cx->topic, "sig.ind.1m.binance-spot.BTCUSDT");
        assert_string_equal(cx->body.ind.names[0], "regime");
        assert_string_equal(cx->body.ind.names[2], "session");
        /* common/sessions.h: Asia 0-7, London 7-16, NY 13-22, else OFF (4) */
        int hour = (int)((k.start_ns / NS) % 86400 / 3600);
        int want_session = hour >= 13 && hour < 16   ? 3
                           : hour >= 7 && hour < 16  ? 1
                           : hour >= 13 && hour < 22 ? 2
                           : hour < 7                ? 0
                                                     : 4;
        assert_true(cx->body.ind.values[2] == want_session);
        assert_string_equal(cx->body.ind.names[3], "taker_buy");
        assert_true(cx->body.ind.values[3] == (double)k.taker_buy_volume / 1e5);
        assert_true(cx->body.ind.values[5]
                    == (double)(2 * k.taker_buy_volume - k.volume) / 1e5); /* delta */
        for (size_t i = before + 2 + (size_t)want_msgs; i < s_n_out; i++) {
            const s_out_t *o = &s_out[i];
            if (o->type == CODEC_SIG_BAR) {
                static const int k_tf[] = { 300, 900, 3600, 14400, 86400 };
                for (int t = 0; t < 5; t++) {
                    if (o->body.bar.tf_s == k_tf[t]) {
                        n_bar[t]++;
                        /* closed by its last minute: that kline's evt and origin */
                        assert_int_equal(o->body.bar.end_ns, k.end_ns);
                        assert_int_equal(o->evt, k.ts_event);
                        assert_int_equal(o->origin, 77 + (int64_t)r);
                    }
                }
            } else if (strcmp(o->topic, "sig.ind.1h.binance-spot.BTCUSDT") == 0) {
                n_ind_1h++;
            } else {
                fail_msg("unexpected %s", o->topic);
            }
        }
        s_n_out = 0; /* keep the buffer small */
    }
    assert_int_equal(n_bar_1m, 1440);
    assert_int_equal(n_bar[0], 288);
    assert_int_equal(n_bar[1], 96);
    assert_int_equal(n_bar[2], 24);
    assert_int_equal(n_bar[3], 6);
    assert_int_equal(n_bar[4], 1);
    assert_true(n_ind_1m > 1440); /* two messages per bar once > 12 values are available */
    assert_true(n_ind_1h >= 24);
    assert_int_equal(engine_counters(eng)->bars, 1440 + 288 + 96 + 24 + 6 + 1);
    csv_free(&csv);
    ind_destroy(&ref);
    engine_destroy(&eng);

    static const char *const k_bad[] = {
        "{\"signal\": {\"mtf\": [{\"venue\": \"v\", \"symbol\": \"X\", \"tfs\": [420]}]}}",
        "{\"signal\": {\"indicators\": [{\"venue\": \"v\", \"symbol\": \"X\", \"macd_fast\": "
        "30}]}}",
        "{\"signal\": {\"indicators\": [{\"venue\": \"v\", \"symbol\": \"X\", \"ema\": [1]}]}}",
        "{\"signal\": {\"indicators\": [{\"venue\": \"v\", \"symbol\": \"X\", \"sma\": 5000}]}}",
    };
    for (size_t i = 0; i < sizeof k_bad / sizeof k_bad[0]; i++) {
        cfg = s_cfg(k_bad[i]);
        eng = engine_new(s_pub, NULL);
        errno = 0;
        if (engine_configure(eng, cfg) != -1 || errno != EINVAL) {
            fail_msg("bad config %zu accepted (errno %d)", i, errno);
        }
        print_message("bad config %zu: %s\n", i, cfg_error(cfg));
        engine_destroy(&eng);
        cfg_destroy(&cfg);
    }
}

/* ---- warm-up ------------------------------------------------------------------------- */

typedef struct {
    char topic[BUS_TOPIC_MAX];
    int64_t evt, origin;
    size_t len;
    uint8_t buf[1024];
} s_enc_t;

static s_enc_t *s_enc;
static size_t s_n_enc, s_cap_enc;

/* Store every output encoded (fixed envelope): bodies compared byte for byte. */
static int
s_pub_enc(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
          int64_t origin)
{
    (void)arg;
    assert_true(s_n_enc < s_cap_enc);
    s_enc_t *e = &s_enc[s_n_enc++];
    snprintf(e->topic, sizeof e->topic, "%s", topic);
    e->evt = evt;
    e->origin = origin;
    codec_env_t env;
    memset(&env, 0, sizeof env);
    env.v = CODEC_VERSION;
    assert_int_equal(codec_encode(&env, type, body, e->buf, sizeof e->buf, &e->len), 0);
    return 0;
}

static void
s_count_series(const char *venue, const char *symbol, int tf_s, void *arg)
{
    int *n = arg;
    assert_string_equal(venue, "binance-spot");
    assert_string_equal(symbol, "BTCUSDT");
    assert_int_equal(tf_s, 60); /* not the aggregates, not the trade series */
    (*n)++;
}

#define WARM_CFG                                                                                   \
    "{\"signal\": {\"strategies\": [{\"name\": \"e\", \"type\": \"ema_cross_rsi\", \"venue\": "    \
    "\"binance-spot\", \"symbol\": \"BTCUSDT\", \"fast\": 50, \"slow\": 200}, {\"name\": \"r\", "  \
    "\"type\": \"razor\", \"venue\": \"binance-spot\", \"symbol\": \"BTCUSDT\"}, {\"name\": "      \
    "\"s\", \"type\": \"setups\", \"venue\": \"binance-spot\", \"symbol\": \"BTCUSDT\", "          \
    "\"tf_s\": 300}], \"indicators\": [{\"venue\": \"binance-spot\", \"symbol\": \"BTCUSDT\"}, "   \
    "{\"venue\": \"binance-spot\", \"symbol\": \"BTCUSDT\", \"tf_s\": 900}], \"mtf\": "            \
    "[{\"venue\": \"binance-spot\", \"symbol\": \"BTCUSDT\"}], \"trade_bars\": [{\"venue\": "      \
    "\"bybit-linear\", \"symbol\": \"BTCUSDT\", \"tf_s\": 60}]}}"

/* The recorder's "bars" answer (recorder/history.c: candles columns plus taker_buy_volume_m
 * from the bar's events row) for CSV rows 0..n-1; without `taker` the field is left out, as
 * before the recorder carried it. Caller frees. */
static char *
s_history_json(const csv_t *csv, size_t n, bool taker, size_t *len_out)
{
    size_t cap = n * 400 + 64, len = 0;
    char *js = malloc(cap);
    assert_non_null(js);
    len += (size_t)snprintf(js + len, cap - len, "{\"ok\":true,\"bars\":[");
    for (size_t r = 0; r < n; r++) {
        codec_md_kline_t k = s_kline_row(csv->cells[r]);
        char tb[64] = "";
        if (taker) {
            snprintf(tb, sizeof tb, "\"taker_buy_volume_m\":%lld,", (long long)k.taker_buy_volume);
        }
        len += (size_t)snprintf(
            js + len, cap - len,
            "%s{\"start_ns\":%lld,\"end_ns\":%lld,\"evt\":%lld,\"topic_kind\":\"md.kline\","
            "\"open_m\":%lld,\"high_m\":%lld,\"low_m\":%lld,\"close_m\":%lld,\"volume_m\":%lld,"
            "\"quote_volume_m\":%lld,\"trades\":%lld,%s\"px_scale\":2,\"qty_scale\":5}",
            r ? "," : "", (long long)k.start_ns, (long long)k.end_ns, (long long)k.ts_event,
            (long long)k.open, (long long)k.high, (long long)k.low, (long long)k.close,
            (long long)k.volume, (long long)k.quote_volume, (long long)k.trades, tb);
    }
    len += (size_t)snprintf(js + len, cap - len, "]}");
    *len_out = len;
    return js;
}

/* Restart exactness: engine A sees the whole day live; engine B is warmed with rows 0..699 in
 * the recorder's "bars" answer format, then gets rows 690..1439 live (690..699 again: dropped
 * as duplicate klines). Every output B publishes must equal A's outputs caused by rows
 * 700..1439, byte for byte, in the same order: strategies (incl. the 5m setups and its
 * aggregation), indicator sets (1m and 15m) and contexts continue as if never stopped. */
static void
test_warmup_exact(void **state)
{
    (void)state;
    s_cap_enc = 20000;
    s_enc = calloc(s_cap_enc, sizeof *s_enc);
    assert_non_null(s_enc);
    cfg_t *cfg = s_cfg(WARM_CFG);
    engine_t *a = engine_new(s_pub_enc, NULL), *b = engine_new(s_pub_enc, NULL);
    assert_int_equal(engine_configure(a, cfg), 0);
    assert_int_equal(engine_configure(b, cfg), 0);
    cfg_destroy(&cfg);
    int n_series = 0;
    engine_each_kline_series(b, s_count_series, &n_series);
    assert_int_equal(n_series, 1);
    s_instrument(a);
    s_instrument(b);

    csv_t csv;
    assert_int_equal(csv_load(&csv, CANDLES), 0);
    size_t a_from = 0;
    for (size_t r = 0; r < csv.n_rows; r++) {
        if (r == 700) {
            a_from = s_n_enc;
        }
        codec_md_kline_t k = s_kline_row(csv.cells[r]);
        bus_msg_t m = s_msg(CODEC_MD_KLINE, "md.kline.1m.binance-spot.BTCUSDT", &k, k.ts_event,
                            9000 + (int64_t)r);
        assert_int_equal(engine_on_msg(a, &m), 0);
    }
    size_t a_end = s_n_enc;
    /* the history answer for rows 0..699 */
    size_t len = 0;
    char *js = s_history_json(&csv, 700, true, &len);
    size_t before = s_n_enc, n_bars = 0;
    assert_int_equal(engine_warmup_json(b, "binance-spot", "BTCUSDT", 60, js, len, &n_bars), 0);
    assert_int_equal(n_bars, 700);
    assert_int_equal(s_n_enc, before); /* nothing published during warm-up */
    assert_int_equal(engine_counters(b)->bars, 0);
    for (size_t r = 690; r < csv.n_rows; r++) {
        codec_md_kline_t k = s_kline_row(csv.cells[r]);
        bus_msg_t m = s_msg(CODEC_MD_KLINE, "md.kline.1m.binance-spot.BTCUSDT", &k, k.ts_event,
                            9000 + (int64_t)r);
        assert_int_equal(engine_on_msg(b, &m), 0);
    }
    size_t nb = s_n_enc - a_end, na = a_end - a_from;
    print_message("warm-up: %zu outputs after row 700 in the uninterrupted run, %zu after the "
                  "restart\n",
                  na, nb);
    assert_int_equal(nb, na);
    size_t n_sig = 0;
    for (size_t i = 0; i < na; i++) {
        const s_enc_t *x = &s_enc[a_from + i], *y = &s_enc[a_end + i];
        if (strcmp(x->topic, y->topic) != 0 || x->evt != y->evt || x->origin != y->origin
            || x->len != y->len || memcmp(x->buf, y->buf, x->len) != 0) {
            fail_msg("output %zu differs: %s vs %s", i, x->topic, y->topic);
        }
        n_sig += strncmp(x->topic, "sig.signal.", 11) == 0;
    }
    print_message("warm-up: %zu signals identical\n", n_sig);
    assert_true(n_sig > 0);
    /* a bad answer */
    errno = 0;
    assert_int_equal(
        engine_warmup_json(b, "binance-spot", "BTCUSDT", 60, "{\"ok\":false}", 12, NULL), -1);
    assert_int_equal(errno, EPROTO);
    free(js);
    /* the same restart from rows without taker_buy_volume_m: warm-up takes 0, so the 5m/15m
     * aggregates straddling row 700 carry less taker-buy volume and their context messages
     * (taker_buy, taker_sell, delta) differ: the field is what makes the restart exact */
    engine_t *c = engine_new(s_pub_enc, NULL);
    cfg = s_cfg(WARM_CFG);
    assert_int_equal(engine_configure(c, cfg), 0);
    cfg_destroy(&cfg);
    s_instrument(c);
    js = s_history_json(&csv, 700, false, &len);
    assert_int_equal(engine_warmup_json(c, "binance-spot", "BTCUSDT", 60, js, len, NULL), 0);
    size_t c_from = s_n_enc, n_diff = 0;
    for (size_t r = 690; r < csv.n_rows; r++) {
        codec_md_kline_t k = s_kline_row(csv.cells[r]);
        bus_msg_t m = s_msg(CODEC_MD_KLINE, "md.kline.1m.binance-spot.BTCUSDT", &k, k.ts_event,
                            9000 + (int64_t)r);
        assert_int_equal(engine_on_msg(c, &m), 0);
    }
    assert_int_equal(s_n_enc - c_from, na);
    for (size_t i = 0; i < na; i++) {
        const s_enc_t *x = &s_enc[a_from + i], *y = &s_enc[c_from + i];
        n_diff += x->len != y->len || memcmp(x->buf, y->buf, x->len) != 0;
    }
    print_message("warm-up without taker-buy volume: %zu of %zu outputs differ\n", n_diff, na);
    assert_true(n_diff > 0);
    free(js);
    engine_destroy(&c);
    csv_free(&csv);
    engine_destroy(&a);
    engine_destroy(&b);
    free(s_enc);
}

/* sig.bar outputs captured from index `from` on */
static int64_t
s_count_bars(size_t from)
{
    int64_t n = 0;
    for (size_t i = from; i < s_n_enc; i++) {
        n += strncmp(s_enc[i].topic, "sig.bar.", 8) == 0;
    }
    return n;
}

/* The REST fallback path (engine_warmup_klines): run A takes every row live; run B is warmed
 * with rows 0..709 where rows from 700 on are "missed while down" (live_from = row 700's event
 * time), then gets rows 690.. live (690..709 are duplicates). Every output of B from row 700 on
 * equals A's (topic, evt, body; the origin of rows 700..709 is the one given at warm-up). */
static void
test_warmup_klines_live_from(void **state)
{
    (void)state;
    s_cap_enc = 20000;
    s_n_enc = 0;
    s_enc = calloc(s_cap_enc, sizeof *s_enc);
    assert_non_null(s_enc);
    cfg_t *cfg = s_cfg(WARM_CFG);
    engine_t *a = engine_new(s_pub_enc, NULL), *b = engine_new(s_pub_enc, NULL);
    assert_int_equal(engine_configure(a, cfg), 0);
    assert_int_equal(engine_configure(b, cfg), 0);
    cfg_destroy(&cfg);
    s_instrument(a);
    s_instrument(b);
    csv_t csv;
    assert_int_equal(csv_load(&csv, CANDLES), 0);
    size_t a_from = 0;
    for (size_t r = 0; r < csv.n_rows; r++) {
        if (r == 700) {
            a_from = s_n_enc;
        }
        codec_md_kline_t k = s_kline_row(csv.cells[r]);
        bus_msg_t m = s_msg(CODEC_MD_KLINE, "md.kline.1m.binance-spot.BTCUSDT", &k, k.ts_event,
                            9000 + (int64_t)r);
        assert_int_equal(engine_on_msg(a, &m), 0);
    }
    size_t a_end = s_n_enc;
    codec_md_kline_t *rows = calloc(710, sizeof *rows);
    assert_non_null(rows);
    for (size_t r = 0; r < 710; r++) {
        rows[r] = s_kline_row(csv.cells[r]);
    }
    size_t n_bars = 0;
    assert_int_equal(engine_warmup_klines(b, rows, 710, rows[700].ts_event, 77, &n_bars), 0);
    assert_int_equal(n_bars, 710);
    /* rows 700..709 published (with the 5m/15m aggregates they close), 0..699 silent */
    assert_true(engine_counters(b)->bars >= 10 && engine_counters(b)->bars < 20);
    assert_int_equal(engine_counters(b)->bars, s_count_bars(a_end)); /* counted = published */
    for (size_t r = 690; r < csv.n_rows; r++) {
        codec_md_kline_t k = s_kline_row(csv.cells[r]);
        bus_msg_t m = s_msg(CODEC_MD_KLINE, "md.kline.1m.binance-spot.BTCUSDT", &k, k.ts_event,
                            9000 + (int64_t)r);
        assert_int_equal(engine_on_msg(b, &m), 0);
    }
    size_t na = a_end - a_from, nb = s_n_enc - a_end;
    assert_int_equal(nb, na);
    for (size_t i = 0; i < na; i++) {
        const s_enc_t *x = &s_enc[a_from + i], *y = &s_enc[a_end + i];
        if (strcmp(x->topic, y->topic) != 0 || x->evt != y->evt || x->len != y->len
            || memcmp(x->buf, y->buf, x->len) != 0) {
            fail_msg("output %zu differs: %s vs %s", i, x->topic, y->topic);
        }
        /* rows 700..709 (evt < row 710's) carry the warm-up origin */
        assert_int_equal(y->origin, x->evt < rows[709].ts_event + 1 ? 77 : x->origin);
    }
    /* a malformed row stops the warm-up there: EPROTO, the rows before it taken */
    engine_t *c = engine_new(s_pub_enc, NULL);
    rows[3].high = rows[3].low - 1;
    errno = 0;
    assert_int_equal(engine_warmup_klines(c, rows, 10, INT64_MAX, 0, &n_bars), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(n_bars, 3);
    engine_destroy(&c);
    free(rows);
    csv_free(&csv);
    engine_destroy(&a);
    engine_destroy(&b);
    free(s_enc);
}

/* Trades for the open-bar restore test: trade i at 1 s + i * 370 ms, price wandering by
 * (i * 7) % 11 - 5 ticks around 65000.0, qty 1 + i % 4 thousandths, sides alternating by i % 3. */
static codec_md_trade_t
s_trade_i(int i)
{
    codec_md_trade_t t = s_trade((1000 + (int64_t)i * 370) * MS, 650000 + (i * 7) % 11 - 5,
                                 1 + i % 4, i % 3 == 0 ? -1 : 1);
    snprintf(t.trade_id, sizeof t.trade_id, "t%d", i);
    return t;
}

/* The recorder's trades answer (recorder/history.h) for trades [from, to), ids i + 1. */
static char *
s_trades_json(int from, int to, size_t *len_out)
{
    size_t cap = 64 + (size_t)(to - from) * 200, len = 0;
    char *js = malloc(cap);
    assert_non_null(js);
    len += (size_t)snprintf(js, cap, "{\"ok\":true,\"trades\":[");
    for (int i = from; i < to; i++) {
        codec_md_trade_t t = s_trade_i(i);
        len +=
            (size_t)snprintf(js + len, cap - len,
                             "%s{\"id\":%d,\"evt\":%lld,\"px\":\"x\",\"px_m\":%lld,\"qty_m\":%lld,"
                             "\"px_scale\":1,\"qty_scale\":3,\"side\":\"%s\",\"trade_id\":\"%s\"}",
                             i > from ? "," : "", i + 1, (long long)t.ts_event, (long long)t.px,
                             (long long)t.qty, t.side > 0 ? "buy" : "sell", t.trade_id);
    }
    len += (size_t)snprintf(js + len, cap - len, "]}");
    *len_out = len;
    return js;
}

static engine_t *
s_trade_engine(void)
{
    engine_t *e = engine_new(s_pub_enc, NULL);
    assert_non_null(e);
    assert_int_equal(engine_add_trade_series(e, "bybit-linear", "BTCUSDT", 1), 0);
    assert_int_equal(engine_add_trade_series(e, "bybit-linear", "BTCUSDT", 10), 0);
    return e;
}

/* Open bars of trade series across a restart (engine_warmup_trades_json). A takes trades 0..59
 * live. B restarts at trade 40 (15.8 s, inside the 10 s bar [10 s, 20 s) opened by trade 25 at
 * 10.25 s and the 1 s bar [15 s, 16 s) opened by trade 38): warmed silently from the recorder's
 * answer for trades 0..39, then the catch-up answer for 0..49 hands 40..49 over as live, then
 * 50..59 arrive live. Every output of B equals A's outputs caused by trades 40..59 (topic, evt,
 * body): the 10 s bar [10, 20) B publishes holds trades 25..39 it never saw live. */
static void
test_trade_open_bar_restore(void **state)
{
    (void)state;
    s_cap_enc = 1000;
    s_n_enc = 0;
    s_enc = calloc(s_cap_enc, sizeof *s_enc);
    assert_non_null(s_enc);
    const char *topic = "md.trade.bybit-linear.BTCUSDT";
    engine_t *a = s_trade_engine(), *b = s_trade_engine();
    size_t a_from = 0;
    for (int i = 0; i < 60; i++) {
        if (i == 40) {
            a_from = s_n_enc;
        }
        codec_md_trade_t t = s_trade_i(i);
        bus_msg_t m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 500 + i);
        assert_int_equal(engine_on_msg(a, &m), 0);
    }
    size_t a_end = s_n_enc, len, n = 0;
    int64_t last_id = 0;
    char *js = s_trades_json(0, 40, &len);
    assert_int_equal(engine_warmup_trades_json(b, "bybit-linear", "BTCUSDT", js, len, 1000, -1,
                                               false, 0, &last_id, &n),
                     0);
    free(js);
    /* since = min(floor(15.43 s / 1 s), floor(15.43 s / 10 s)) = 10 s: trades 25..39 (10.25 s
     * is trade 25's time: 1000 + 25 * 370 = 10250 ms; trade 24 is at 9.88 s) */
    assert_int_equal(n, 15);
    assert_int_equal(last_id, 40);
    assert_int_equal(s_n_enc, a_end); /* nothing published */
    assert_int_equal(engine_counters(b)->bars, 0);
    js = s_trades_json(0, 50, &len);
    assert_int_equal(engine_warmup_trades_json(b, "bybit-linear", "BTCUSDT", js, len, 1000, last_id,
                                               false, 900, &last_id, &n),
                     0);
    free(js);
    assert_int_equal(n, 10); /* ids 41..50 */
    assert_int_equal(last_id, 50);
    for (int i = 50; i < 60; i++) {
        codec_md_trade_t t = s_trade_i(i);
        bus_msg_t m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 500 + i);
        assert_int_equal(engine_on_msg(b, &m), 0);
    }
    size_t na = a_end - a_from, nb = s_n_enc - a_end, n10 = 0;
    assert_int_equal(nb, na);
    for (size_t i = 0; i < na; i++) {
        const s_enc_t *x = &s_enc[a_from + i], *y = &s_enc[a_end + i];
        if (strcmp(x->topic, y->topic) != 0 || x->evt != y->evt || x->len != y->len
            || memcmp(x->buf, y->buf, x->len) != 0) {
            fail_msg("output %zu differs: %s vs %s", i, x->topic, y->topic);
        }
        n10 += strcmp(x->topic, "sig.bar.10s.bybit-linear.BTCUSDT") == 0;
    }
    assert_int_equal(n10, 1); /* [10 s, 20 s), closed by trade 52 at 20.24 s */
    engine_destroy(&b);

    /* the last 10 trades only (30..39), all inside the open 10 s bar, and as many as asked: the
     * bar may have begun earlier -> ERANGE, nothing restored, the ids still taken */
    b = s_trade_engine();
    last_id = 0;
    js = s_trades_json(30, 40, &len);
    errno = 0;
    assert_int_equal(engine_warmup_trades_json(b, "bybit-linear", "BTCUSDT", js, len, 10, -1, false,
                                               0, &last_id, &n),
                     -1);
    assert_int_equal(errno, ERANGE);
    assert_int_equal(n, 0);
    assert_int_equal(last_id, 40);
    /* fewer than asked: that is the symbol's whole history, restored */
    assert_int_equal(engine_warmup_trades_json(b, "bybit-linear", "BTCUSDT", js, len, 11, -1, true,
                                               0, &last_id, &n),
                     0);
    assert_int_equal(n, 10);
    free(js);
    /* dedupe (live mode): a live trade at/before the last restored event time was in the
     * history; one after it is taken */
    codec_md_trade_t t = s_trade_i(39);
    bus_msg_t m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 1);
    assert_int_equal(engine_on_msg(b, &m), 0);
    assert_int_equal(engine_trade_dups(b), 1);
    t = s_trade_i(40);
    m = s_msg(CODEC_MD_TRADE, topic, &t, t.ts_event, 1);
    assert_int_equal(engine_on_msg(b, &m), 0);
    assert_int_equal(engine_trade_dups(b), 1);
    /* malformed answers */
    errno = 0;
    assert_int_equal(engine_warmup_trades_json(b, "bybit-linear", "BTCUSDT", "{\"ok\":false}", 12,
                                               10, -1, false, 0, &last_id, NULL),
                     -1);
    assert_int_equal(errno, EPROTO);
    static const char k_bad_side[] =
        "{\"ok\":true,\"trades\":[{\"id\":1,\"evt\":1,\"px_m\":1,\"qty_m\":1,\"side\":\"up\"}]}";
    errno = 0;
    assert_int_equal(engine_warmup_trades_json(b, "bybit-linear", "BTCUSDT", k_bad_side,
                                               strlen(k_bad_side), 10, -1, false, 0, &last_id,
                                               NULL),
                     -1);
    assert_int_equal(errno, EPROTO);
    engine_destroy(&b);
    engine_destroy(&a);
    free(s_enc);
}

static void
test_errors(void **state)
{
    (void)state;
    errno = 0;
    assert_null(engine_new(NULL, NULL));
    assert_int_equal(errno, EINVAL);
    engine_t *eng = engine_new(s_pub, NULL);
    strat_ema_rsi_params_t p = s_params();
    assert_int_equal(
        engine_add_strategy(eng, strategy_wrap(&strat_ema_rsi_ops, strat_ema_rsi_new(&p))), 0);
    errno = 0;
    assert_int_equal(
        engine_add_strategy(eng, strategy_wrap(&strat_ema_rsi_ops, strat_ema_rsi_new(&p))), -1);
    assert_int_equal(errno, EEXIST);
    /* bad instrument (tick 0) */
    codec_md_instrument_t in;
    memset(&in, 0, sizeof in);
    strcpy(in.venue, "binance-spot");
    strcpy(in.symbol, "BTCUSDT");
    in.px_scale = 2;
    in.step = 1;
    bus_msg_t m = s_msg(CODEC_MD_INSTRUMENT, "md.instrument.binance-spot.BTCUSDT", &in, 0, 0);
    errno = 0;
    assert_int_equal(engine_on_msg(eng, &m), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(engine_n_instruments(eng), 0);
    /* other types are ignored */
    codec_md_status_t stt;
    memset(&stt, 0, sizeof stt);
    strcpy(stt.venue, "binance-spot");
    strcpy(stt.state, "connected");
    m = s_msg(CODEC_MD_STATUS, "md.status.binance-spot", &stt, 0, 0);
    assert_int_equal(engine_on_msg(eng, &m), 0);
    engine_destroy(&eng);
    engine_destroy(&eng);
}

int
main(void)
{
    log_init("test_engine", LOG_ERROR); /* the warnings provoked here are expected */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kline_day),
        cmocka_unit_test(test_trade_bars),
        cmocka_unit_test(test_grace_close),
        cmocka_unit_test(test_setups_published),
        cmocka_unit_test(test_level_on_book),
        cmocka_unit_test(test_configure),
        cmocka_unit_test(test_indicators_mtf),
        cmocka_unit_test(test_warmup_exact),
        cmocka_unit_test(test_warmup_klines_live_from),
        cmocka_unit_test(test_trade_open_bar_restore),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
