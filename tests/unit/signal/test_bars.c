/*  test_bars.c - signal/bars: kline path, trade path, late/duplicate rules, errors.
 *  Expected bars are derived by hand in the comments (not copied from program output).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "signal/bars.h"

#define NS   1000000000LL
#define MS   1000000LL
#define BASE (1699999980LL * NS) /* a multiple of 60 s */

typedef struct {
    size_t n;
    codec_sig_bar_t bars[16];
    int64_t evt[16];
} s_sink_t;

static void
s_emit(const codec_sig_bar_t *bar, int64_t evt, void *arg)
{
    s_sink_t *sink = arg;
    assert_true(sink->n < 16);
    sink->bars[sink->n] = *bar;
    sink->evt[sink->n] = evt;
    sink->n++;
}

/* px at scale 2, qty at scale 3 */
static codec_md_trade_t
s_trade(int64_t t_ns, int64_t px, int64_t qty, int side)
{
    codec_md_trade_t t;
    memset(&t, 0, sizeof t);
    strcpy(t.venue, "bybit-linear");
    strcpy(t.symbol, "BTCUSDT");
    t.px_scale = 2;
    t.qty_scale = 3;
    t.ts_event = t_ns;
    t.ts_recv = t_ns + 5 * MS;
    t.px = px;
    t.qty = qty;
    t.side = (int8_t)side;
    return t;
}

/* Binance spot BTCUSDT 1m, first row of BTCUSDT-1m-2025-11-01.csv:
 * 1761955200000000,109608.01,109621.62,109608.00,109616.35,5.65926,1761955259999999,
 * 620327.34965220,1005,3.81740,... -> px scale 2, qty scale 5, quote at scale 8. */
static codec_md_kline_t
s_kline(int64_t start_s, bool closed)
{
    codec_md_kline_t k;
    memset(&k, 0, sizeof k);
    strcpy(k.venue, "binance-spot");
    strcpy(k.symbol, "BTCUSDT");
    k.px_scale = 2;
    k.qty_scale = 5;
    k.interval_s = 60;
    k.start_ns = start_s * NS;
    k.end_ns = (start_s + 60) * NS;
    k.open = 10960801;
    k.high = 10962162;
    k.low = 10960800;
    k.close = 10961635;
    k.volume = 565926;
    k.quote_volume = 62032734965220LL;
    k.taker_buy_volume = 381740;
    k.trades = 1005;
    k.closed = closed;
    k.ts_event = k.end_ns + 12 * MS;
    return k;
}

static void
test_kline_path(void **state)
{
    (void)state;
    s_sink_t sink = { 0 };
    bars_t *bars = bars_new(s_emit, &sink);
    assert_non_null(bars);
    codec_md_kline_t k = s_kline(1761955200, false);
    assert_int_equal(bars_on_kline(bars, &k), 0); /* still open: no bar */
    k.closed = true;
    assert_int_equal(bars_on_kline(bars, &k), 1);
    assert_int_equal(sink.n, 1);
    const codec_sig_bar_t *b = &sink.bars[0];
    assert_string_equal(b->source, "kline");
    assert_string_equal(b->venue, "binance-spot");
    assert_int_equal(b->tf_s, 60);
    assert_int_equal(b->start_ns, 1761955200 * NS);
    assert_int_equal(b->end_ns, 1761955260 * NS);
    assert_int_equal(b->open, 10960801);
    assert_int_equal(b->high, 10962162);
    assert_int_equal(b->low, 10960800);
    assert_int_equal(b->close, 10961635);
    assert_int_equal(b->volume, 565926);
    assert_int_equal(b->taker_buy_volume, 381740);
    assert_int_equal(b->quote_volume, 62032734965220LL);
    assert_int_equal(b->trades, 1005);
    /* vwap = 620327.34965220 / 5.65926 = 109612.8026... -> 109612.80 (half-even at scale 2) */
    assert_int_equal(b->vwap, 10961280);
    assert_int_equal(sink.evt[0], k.ts_event); /* the closing kline's event time */

    /* the same closed kline again (replay / reconnect backfill): ignored */
    assert_int_equal(bars_on_kline(bars, &k), 0);
    /* an older one: also ignored */
    codec_md_kline_t old = s_kline(1761955140, true);
    assert_int_equal(bars_on_kline(bars, &old), 0);
    assert_int_equal(bars_stats(bars)->kline_dups, 2);
    assert_int_equal(bars_stats(bars)->kline_open, 1);
    /* the next minute: a bar; a kline with no volume gets vwap = close */
    codec_md_kline_t next = s_kline(1761955260, true);
    next.volume = 0;
    next.quote_volume = 0;
    next.taker_buy_volume = 0;
    next.ts_event = 0; /* unknown event time: the bar's end is used */
    assert_int_equal(bars_on_kline(bars, &next), 1);
    assert_int_equal(sink.n, 2);
    assert_int_equal(sink.bars[1].vwap, 10961635);
    assert_int_equal(sink.evt[1], 1761955320 * NS);
    assert_int_equal(bars_stats(bars)->kline_bars, 2);
    bars_destroy(&bars);
    assert_null(bars);
}

/* Trade path, 1 s and 60 s series of bybit-linear BTCUSDT (px scale 2, qty scale 3), B = BASE:
 *  #1 B+0.100 100.00 x 1.000 buy     #2 B+0.500 101.50 x 0.500 sell   #3 B+0.900 99.00 x 2.000 buy
 *  #4 B+1.000 100.50 x 1.000 sell: at the 1 s bar's end -> closes 1 s bar [B, B+1):
 *       O 100.00 H 101.50 L 99.00 C 99.00, vol 3.500, taker buy 1.000 + 2.000 = 3.000,
 *       quote 100 + 50.75 + 198 = 348.75, trades 3, vwap 348.75 / 3.5 = 99.6428.. -> 99.64
 *  #5 B+0.950  98.00 x 0.300 buy: before the open 1 s bar [B+1, B+2): late there (counted,
 *       dropped); inside the 60 s bar [B, B+60): taken.
 *  #6 B+3.250 102.00 x 0.250 buy: closes 1 s bar [B+1, B+2) = #4 alone: O=H=L=C 100.50,
 *       vol 1.000, taker buy 0, quote 100.50, trades 1, vwap 100.50. [B+2, B+3) had no trade:
 *       no bar. Opens [B+3, B+4).
 *  #7 B+60.000 103.00 x 0.100 sell: closes 1 s bar [B+3, B+4) = #6 alone (O=H=L=C 102.00,
 *       vol 0.250, taker buy 0.250, quote 25.50) and the 60 s bar [B, B+60) = #1..#6:
 *       O 100.00 H 102.00 L 98.00 C 102.00 (#6 is the last arrival), vol 1 + 0.5 + 2 + 1
 *       + 0.3 + 0.25 = 5.050, taker buy 1 + 2 + 0.3 + 0.25 = 3.550, quote 348.75 + 100.5
 *       + 29.4 + 25.5 = 504.15, trades 6, vwap 504.15 / 5.05 = 99.8316.. -> 99.83. */
static void
test_trade_path(void **state)
{
    (void)state;
    s_sink_t sink = { 0 };
    bars_t *bars = bars_new(s_emit, &sink);
    assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "BTCUSDT", 1), 0);
    assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "BTCUSDT", 60), 0);
    codec_md_trade_t t;

    t = s_trade(BASE + 100 * MS, 10000, 1000, 1);
    assert_int_equal(bars_on_trade(bars, &t), 0);
    t = s_trade(BASE + 500 * MS, 10150, 500, -1);
    assert_int_equal(bars_on_trade(bars, &t), 0);
    t = s_trade(BASE + 900 * MS, 9900, 2000, 1);
    assert_int_equal(bars_on_trade(bars, &t), 0);
    t = s_trade(BASE + 1000 * MS, 10050, 1000, -1);
    assert_int_equal(bars_on_trade(bars, &t), 1);
    assert_int_equal(sink.n, 1);
    const codec_sig_bar_t *b = &sink.bars[0];
    assert_string_equal(b->source, "trades");
    assert_int_equal(b->tf_s, 1);
    assert_int_equal(b->start_ns, BASE);
    assert_int_equal(b->end_ns, BASE + NS);
    assert_int_equal(b->open, 10000);
    assert_int_equal(b->high, 10150);
    assert_int_equal(b->low, 9900);
    assert_int_equal(b->close, 9900);
    assert_int_equal(b->volume, 3500);
    assert_int_equal(b->taker_buy_volume, 3000);
    assert_int_equal(b->quote_volume, 34875000000LL);
    assert_int_equal(b->trades, 3);
    assert_int_equal(b->vwap, 9964);
    assert_int_equal(b->px_scale, 2);
    assert_int_equal(b->qty_scale, 3);
    assert_int_equal(sink.evt[0], BASE + 1000 * MS); /* closed by trade #4's event time */

    t = s_trade(BASE + 950 * MS, 9800, 300, 1);
    assert_int_equal(bars_on_trade(bars, &t), 0);
    assert_int_equal(bars_stats(bars)->late_trades, 1);

    t = s_trade(BASE + 3250 * MS, 10200, 250, 1);
    assert_int_equal(bars_on_trade(bars, &t), 1);
    b = &sink.bars[1];
    assert_int_equal(b->start_ns, BASE + NS);
    assert_int_equal(b->open, 10050);
    assert_int_equal(b->high, 10050);
    assert_int_equal(b->low, 10050);
    assert_int_equal(b->close, 10050);
    assert_int_equal(b->volume, 1000);
    assert_int_equal(b->taker_buy_volume, 0);
    assert_int_equal(b->quote_volume, 10050000000LL);
    assert_int_equal(b->trades, 1);
    assert_int_equal(b->vwap, 10050);

    t = s_trade(BASE + 60 * NS, 10300, 100, -1);
    assert_int_equal(bars_on_trade(bars, &t), 2);
    assert_int_equal(sink.n, 4);
    b = &sink.bars[2]; /* series order = configuration order: the 1 s bar first */
    assert_int_equal(b->tf_s, 1);
    assert_int_equal(b->start_ns, BASE + 3 * NS); /* [B+2, B+3) produced nothing */
    assert_int_equal(b->close, 10200);
    assert_int_equal(b->volume, 250);
    assert_int_equal(b->taker_buy_volume, 250);
    assert_int_equal(b->quote_volume, 2550000000LL);
    b = &sink.bars[3];
    assert_int_equal(b->tf_s, 60);
    assert_int_equal(b->start_ns, BASE);
    assert_int_equal(b->end_ns, BASE + 60 * NS);
    assert_int_equal(b->open, 10000);
    assert_int_equal(b->high, 10200);
    assert_int_equal(b->low, 9800);
    assert_int_equal(b->close, 10200);
    assert_int_equal(b->volume, 5050);
    assert_int_equal(b->taker_buy_volume, 3550);
    assert_int_equal(b->quote_volume, 50415000000LL);
    assert_int_equal(b->trades, 6);
    assert_int_equal(b->vwap, 9983);
    assert_int_equal(sink.evt[3], BASE + 60 * NS);

    /* a trade of another symbol touches nothing */
    t = s_trade(BASE + 70 * NS, 10300, 100, -1);
    strcpy(t.symbol, "ETHUSDT");
    assert_int_equal(bars_on_trade(bars, &t), 0);

    const bars_stats_t *st = bars_stats(bars);
    assert_int_equal(st->trade_bars, 4);
    assert_int_equal(st->late_trades, 1);
    assert_int_equal(st->trades, 13); /* 7 trades x 2 series, minus #5 dropped in the 1 s one */
    assert_int_equal(st->bad, 0);

    /* a kline for a series built from trades is ignored (one source per series) */
    codec_md_kline_t k = s_kline(1761955200, true);
    strcpy(k.venue, "bybit-linear");
    assert_int_equal(bars_on_kline(bars, &k), 0);
    assert_int_equal(bars_stats(bars)->kline_shadowed, 1);
    assert_int_equal(sink.n, 4);
    bars_destroy(&bars);
}

static void
test_errors(void **state)
{
    (void)state;
    s_sink_t sink = { 0 };
    errno = 0;
    assert_null(bars_new(NULL, NULL));
    assert_int_equal(errno, EINVAL);

    bars_t *bars = bars_new(s_emit, &sink);
    errno = 0;
    assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "BTCUSDT", 0), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(bars_add_trade_series(bars, "", "BTCUSDT", 1), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "BTCUSDT", BARS_MAX_TF_S + 1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "BTCUSDT", 1), 0);
    errno = 0;
    assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "BTCUSDT", 1), -1);
    assert_int_equal(errno, EEXIST);

    /* malformed trades: nothing changes, counted as bad */
    codec_md_trade_t t = s_trade(BASE, 10000, 0, 1);
    errno = 0;
    assert_int_equal(bars_on_trade(bars, &t), -1);
    assert_int_equal(errno, EINVAL);
    t = s_trade(BASE, 10000, 1000, 0);
    errno = 0;
    assert_int_equal(bars_on_trade(bars, &t), -1);
    assert_int_equal(errno, EINVAL);
    t = s_trade(BASE, -1, 1000, 1);
    errno = 0;
    assert_int_equal(bars_on_trade(bars, &t), -1);
    assert_int_equal(errno, EINVAL);
    /* open a bar, then a trade at another qty scale: refused */
    t = s_trade(BASE, 10000, 1000, 1);
    assert_int_equal(bars_on_trade(bars, &t), 0);
    t = s_trade(BASE + 10 * MS, 10000, 1000, 1);
    t.qty_scale = 4;
    errno = 0;
    assert_int_equal(bars_on_trade(bars, &t), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(bars_stats(bars)->bad, 4);
    assert_int_equal(bars_stats(bars)->trades, 1);
    /* px x qty beyond int64 at scale 8 */
    t = s_trade(BASE + 10 * MS, INT64_MAX / 2, INT64_MAX / 2, 1);
    errno = 0;
    assert_int_equal(bars_on_trade(bars, &t), -1);
    assert_int_equal(errno, ERANGE);
    assert_int_equal(bars_stats(bars)->trades, 1);

    /* malformed klines */
    codec_md_kline_t k = s_kline(1761955200, true);
    k.high = k.low - 1;
    errno = 0;
    assert_int_equal(bars_on_kline(bars, &k), -1);
    assert_int_equal(errno, EINVAL);
    k = s_kline(1761955200, true);
    k.end_ns = k.start_ns;
    errno = 0;
    assert_int_equal(bars_on_kline(bars, &k), -1);
    assert_int_equal(errno, EINVAL);
    k = s_kline(1761955200, true);
    k.interval_s = 0;
    errno = 0;
    assert_int_equal(bars_on_kline(bars, &k), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(sink.n, 0);
    bars_destroy(&bars);

    /* full table: ENOSPC for configured series and for a new kline series */
    bars = bars_new(s_emit, &sink);
    for (int i = 1; i <= BARS_MAX_SERIES; i++) {
        assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "BTCUSDT", i), 0);
    }
    errno = 0;
    assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "ETHUSDT", 1), -1);
    assert_int_equal(errno, ENOSPC);
    k = s_kline(1761955200, true);
    errno = 0;
    assert_int_equal(bars_on_kline(bars, &k), -1);
    assert_int_equal(errno, ENOSPC);
    bars_destroy(&bars);
    bars_destroy(&bars); /* no-op on NULL */
}

static void
test_tf_name(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(bars_tf_name(1, buf, sizeof buf), "1s");
    assert_string_equal(bars_tf_name(60, buf, sizeof buf), "1m");
    assert_string_equal(bars_tf_name(300, buf, sizeof buf), "5m");
    assert_string_equal(bars_tf_name(3600, buf, sizeof buf), "1h");
    assert_string_equal(bars_tf_name(86400, buf, sizeof buf), "1d");
    assert_string_equal(bars_tf_name(90, buf, sizeof buf), "90s");
    assert_string_equal(bars_tf_name(7, buf, sizeof buf), "7s");
    assert_string_equal(bars_tf_name(0, buf, sizeof buf), "");
    assert_string_equal(bars_tf_name(90, buf, 3), ""); /* "90s" needs 4 bytes */
}

/* The restore window of a symbol's trade series: min over them of floor(t / tf) * tf. */
static void
test_trade_window_start(void **state)
{
    (void)state;
    s_sink_t sink;
    memset(&sink, 0, sizeof sink);
    bars_t *bars = bars_new(s_emit, &sink);
    assert_int_equal(bars_trade_window_start(bars, "bybit-linear", "BTCUSDT", 15430 * MS), -1);
    assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "BTCUSDT", 1), 0);
    assert_int_equal(bars_trade_window_start(bars, "bybit-linear", "BTCUSDT", 15430 * MS),
                     15000 * MS); /* 1 s bar [15, 16) */
    assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "BTCUSDT", 10), 0);
    assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "ETHUSDT", 60), 0);
    assert_int_equal(bars_trade_window_start(bars, "bybit-linear", "BTCUSDT", 15430 * MS),
                     10000 * MS); /* the 10 s bar [10, 20) starts first; ETH's 60 s not counted */
    assert_int_equal(bars_trade_window_start(bars, "bybit-linear", "BTCUSDT", 20000 * MS),
                     20000 * MS); /* on a boundary */
    assert_int_equal(bars_trade_window_start(bars, "bybit-linear", "BTCUSDT", -1), -1);
    assert_int_equal(bars_trade_window_start(bars, "bybit-spot", "BTCUSDT", 15430 * MS), -1);
    bars_destroy(&bars);
}

/* Grace close (bars.h), 1 s and 60 s series of bybit-linear BTCUSDT, grace 200 ms, B = BASE:
 *  #1 B+0.100 100.00 x 1.000 buy, #2 B+0.600 101.00 x 0.500 sell: both open bars hold them.
 *  on_time(B+1.100): 1 s bar end B+1 + 0.2 = B+1.200 > B+1.100 -> nothing yet.
 *  on_time(ETHUSDT, B+5): another symbol -> nothing.
 *  on_time(B+1.200): reaches B+1 + 0.200 -> the 1 s bar [B, B+1) closes: O 100.00 H 101.00
 *    L 100.00 C 101.00, vol 1.500, taker buy 1.000, quote 100 + 50.5 = 150.50, trades 2,
 *    vwap 150.5 / 1.5 = 100.333.. -> 100.33 (half-even), evt = B+1.200. The 60 s bar (end
 *    B+60) stays open.
 *  #3 B+0.900 99.00 x 1.000 buy: before the closed 1 s bar's end -> late there (late_trades
 *    1); inside the 60 s bar: taken.
 *  #4 B+2.500 102.00 x 0.100 buy: the 1 s series has no open bar -> opens [B+2, B+3).
 *  on_time(B+3.199) -> nothing (< B+3.200); on_time(B+60.200) closes both: [B+2, B+3) = #4
 *    alone, and [B, B+60) = #1 #2 #3 #4: O 100.00 H 102.00 L 99.00 C 102.00 (#4 last), vol
 *    1 + 0.5 + 1 + 0.1 = 2.600, trades 4, both with evt B+60.200.
 *  A second on_time at the same time closes nothing (no open bar); with grace 0 (off),
 *  on_time never closes anything. */
static void
test_grace_close(void **state)
{
    (void)state;
    s_sink_t sink = { 0 };
    bars_t *bars = bars_new(s_emit, &sink);
    assert_int_equal(bars_set_grace(bars, -1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(bars_set_grace(bars, (int64_t)BARS_MAX_TF_S * NS + 1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "BTCUSDT", 1), 0);
    assert_int_equal(bars_add_trade_series(bars, "bybit-linear", "BTCUSDT", 60), 0);
    codec_md_trade_t t = s_trade(BASE + 100 * MS, 10000, 1000, 1);
    assert_int_equal(bars_on_trade(bars, &t), 0);
    t = s_trade(BASE + 600 * MS, 10100, 500, -1);
    assert_int_equal(bars_on_trade(bars, &t), 0);
    /* grace off (the default): no time closes anything */
    assert_int_equal(bars_on_time(bars, "bybit-linear", "BTCUSDT", BASE + 100 * NS), 0);
    assert_int_equal(bars_set_grace(bars, 200 * MS), 0);
    assert_int_equal(bars_on_time(bars, "bybit-linear", "BTCUSDT", BASE + 1100 * MS), 0);
    assert_int_equal(bars_on_time(bars, "bybit-linear", "ETHUSDT", BASE + 5 * NS), 0);
    assert_int_equal(bars_on_time(bars, "bybit-linear", "BTCUSDT", BASE + 1200 * MS), 1);
    assert_int_equal(sink.n, 1);
    const codec_sig_bar_t *b = &sink.bars[0];
    assert_int_equal(b->tf_s, 1);
    assert_int_equal(b->start_ns, BASE);
    assert_int_equal(b->open, 10000);
    assert_int_equal(b->high, 10100);
    assert_int_equal(b->low, 10000);
    assert_int_equal(b->close, 10100);
    assert_int_equal(b->volume, 1500);
    assert_int_equal(b->taker_buy_volume, 1000);
    assert_int_equal(b->quote_volume, 15050000000LL);
    assert_int_equal(b->trades, 2);
    assert_int_equal(b->vwap, 10033);
    assert_int_equal(sink.evt[0], BASE + 1200 * MS);

    t = s_trade(BASE + 900 * MS, 9900, 1000, 1);
    assert_int_equal(bars_on_trade(bars, &t), 0);
    assert_int_equal(bars_stats(bars)->late_trades, 1);
    t = s_trade(BASE + 2500 * MS, 10200, 100, 1);
    assert_int_equal(bars_on_trade(bars, &t), 0);
    assert_int_equal(bars_on_time(bars, "bybit-linear", "BTCUSDT", BASE + 3199 * MS), 0);
    assert_int_equal(bars_on_time(bars, "bybit-linear", "BTCUSDT", BASE + 60200 * MS), 2);
    assert_int_equal(sink.n, 3);
    b = &sink.bars[1];
    assert_int_equal(b->tf_s, 1);
    assert_int_equal(b->start_ns, BASE + 2 * NS);
    assert_int_equal(b->close, 10200);
    assert_int_equal(b->trades, 1);
    b = &sink.bars[2];
    assert_int_equal(b->tf_s, 60);
    assert_int_equal(b->start_ns, BASE);
    assert_int_equal(b->open, 10000);
    assert_int_equal(b->high, 10200);
    assert_int_equal(b->low, 9900);
    assert_int_equal(b->close, 10200);
    assert_int_equal(b->volume, 2600);
    assert_int_equal(b->trades, 4);
    assert_int_equal(sink.evt[1], BASE + 60200 * MS);
    assert_int_equal(sink.evt[2], BASE + 60200 * MS);
    assert_int_equal(bars_on_time(bars, "bybit-linear", "BTCUSDT", BASE + 60200 * MS), 0);
    const bars_stats_t *st = bars_stats(bars);
    assert_int_equal(st->grace_closes, 3);
    assert_int_equal(st->trade_bars, 3);
    bars_destroy(&bars);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kline_path),
        cmocka_unit_test(test_trade_path),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_tf_name),
        cmocka_unit_test(test_trade_window_start),
        cmocka_unit_test(test_grace_close),
    };
    return cmocka_run_group_tests_name("bars", tests, NULL, NULL);
}
