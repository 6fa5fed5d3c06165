/*  bars.h - closed OHLCV bars per (venue, symbol, timeframe), from venue klines or from trades.
 *  Owns:  one state per series (kline series: last emitted start; trade series: the open bar
 *         being built) in a fixed table of BARS_MAX_SERIES; counters (bars_stats_t).
 *  Not:   sockets, decoding, indicators, publishing (the caller gets each closed bar through
 *         the emit callback and publishes it).
 *  Units: px at the message's px_scale, volumes at qty_scale, quote_volume at
 *         MONEY_VALUE_SCALE (8); times ns since the epoch; bars are [start_ns, end_ns).
 *  Rules (docs/signal.md "Bars"):
 *   Kline path: a kline with closed=true becomes one bar (source "kline", tf_s = interval_s).
 *     Open (not closed) klines are ignored. A closed kline whose start_ns is <= the start of
 *     the last bar emitted for its series is a duplicate (replays, reconnect backfill) and is
 *     ignored (counted in kline_dups). If the same (venue, symbol, tf_s) is configured as a
 *     trade series, klines for it are ignored (kline_shadowed): one source per series.
 *   Trade path: for every configured trade series of the trade's (venue, symbol), a trade at
 *     event time t belongs to the bar [floor(t/tf)*tf, +tf). The open bar closes when the first
 *     trade with t >= its end arrives (event time, never the wall clock); that trade opens the
 *     bar of its own interval. Intervals without trades produce no bar (no flat filler bars).
 *     Grace close (bars_set_grace > 0, signal.bar_grace_ms): any other market-data message
 *     of the same venue and symbol (bars_on_time with its event time t) closes the open bar
 *     when t >= end + grace; the next trade then opens the bar of its own interval, and a
 *     trade with t < the closed bar's end is late. Without a grace (0, the default) the last
 *     open bar is never emitted until a later trade arrives.
 *     A trade with t < the open bar's start is late: counted (late_trades) and dropped.
 *     Within the open bar trades are taken in arrival order (open = first, close = last).
 *  Invariants: (1) per trade series, every emitted bar's start is > the previous one's (a grace
 *    close remembers the closed bar's end so that a later trade before it is late);
 *    (2) low <= open, close <= high; (3) volume > 0 and trades > 0 for trade bars.
 *  Cost: O(number of series) per message, no allocation after bars_new.
 */
#ifndef TP_BARS_H
#define TP_BARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/codec.h"

#define BARS_MAX_SERIES 64
#define BARS_MAX_TF_S   (7 * 86400) /* one week */

typedef struct bars bars_t;

/* Called once per closed bar. `evt` is the event time (ns) of the message that closed it: the
 * closing kline's ts_event, the first trade at or past the bar's end, or the message that
 * reached end + grace (bars_on_time). `bar` is valid for the call only. */
typedef void(bars_emit_fn)(const codec_sig_bar_t *bar, int64_t evt, void *arg);

typedef struct {
    uint64_t kline_bars;     /* bars emitted from closed klines */
    uint64_t kline_open;     /* klines not closed yet: ignored */
    uint64_t kline_dups;     /* closed klines whose start was already emitted: ignored */
    uint64_t kline_shadowed; /* klines for a series built from trades: ignored */
    uint64_t trade_bars;     /* bars emitted from trades */
    uint64_t trades;         /* trades taken into a bar (once per series) */
    uint64_t late_trades;    /* trades before the open bar's start, or before the end of a bar
                                a grace close emitted (once per series): dropped */
    uint64_t grace_closes;   /* trade bars closed by bars_on_time (also in trade_bars) */
    uint64_t bad;            /* inputs refused with EINVAL */
} bars_stats_t;

/* New, empty. `emit` is required. Returns the object (caller owns; bars_destroy) or NULL with
 * errno EINVAL (emit NULL) or ENOMEM. */
bars_t *bars_new(bars_emit_fn *emit, void *arg);
void bars_destroy(bars_t **self_p); /* frees, sets *self_p = NULL; no-op on NULL */

/* Build bars of tf_s seconds from the trades of (venue, symbol). 0, or -1 with errno
 *   EINVAL  empty or too long venue/symbol, tf_s outside 1..BARS_MAX_TF_S
 *   EEXIST  that series is already configured
 *   ENOSPC  BARS_MAX_SERIES series in use */
int bars_add_trade_series(bars_t *self, const char *venue, const char *symbol, int tf_s);

/* Handle one kline. Returns the number of bars emitted (0 or 1), or -1 with errno
 *   EINVAL  malformed: interval_s outside 1..BARS_MAX_TF_S, end <= start, high < low,
 *           open/close outside [low, high], negative volume, scale outside 0..18,
 *           empty venue/symbol (counted in bad)
 *   ENOSPC  first closed kline of a new series and the table is full */
int bars_on_kline(bars_t *self, const codec_md_kline_t *k);

/* Handle one trade. Returns the number of bars emitted (one per trade series of the trade's
 * venue/symbol whose open bar it closed), or -1 with errno
 *   EINVAL  px <= 0, qty <= 0, side not +1/-1, scale outside 0..18, negative time, or scales
 *           different from the open bar's (counted in bad; no series changed)
 *   ERANGE  quote volume would overflow int64 (no series changed) */
int bars_on_trade(bars_t *self, const codec_md_trade_t *t);

/* Grace for closing trade-built bars, ns: 0 = off (the default: only a trade at/past the end
 * closes a bar); > 0 = bars_on_time closes an open bar once its event time reaches end +
 * grace_ns. 0, or -1/EINVAL (negative or more than BARS_MAX_TF_S seconds). */
int bars_set_grace(bars_t *self, int64_t grace_ns);

/* Event time t_ns (ns, from the message, never the wall clock) of a market-data message of
 * (venue, symbol) that is not a trade (md.book, md.ticker): with a grace set, every open bar
 * of the trade series of (venue, symbol) whose end_ns + grace <= t_ns is emitted (evt = t_ns)
 * and the series waits for its next trade. Returns the number of bars emitted (0 with no
 * grace, no such series, or t_ns < 0). Cost O(BARS_MAX_SERIES), no allocation. */
int bars_on_time(bars_t *self, const char *venue, const char *symbol, int64_t t_ns);

/* Restart support (docs/signal.md "Restart warm-up", open bars of trade series): the earliest
 * start of the bar that a trade at event time t_ns belongs to, over the trade series of
 * (venue, symbol): min over them of floor(t_ns / tf) * tf. Feeding a symbol's trades from the
 * first one at/after this time, in arrival order, rebuilds every series' open bar exactly when
 * t_ns is the latest event time seen (the latest trade is never late, so it is in each series'
 * open bar). -1 when the symbol has no trade series or t_ns < 0. */
int64_t bars_trade_window_start(const bars_t *self, const char *venue, const char *symbol,
                                int64_t t_ns);

const bars_stats_t *bars_stats(const bars_t *self);

/* Topic name of a timeframe: the venues' interval words 1s, 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h,
 * 6h, 8h, 12h, 1d, 3d, 1w; any other tf is "<tf_s>s" (90 -> "90s"). Writes buf[cap] and
 * returns buf; "" if tf_s <= 0 or cap is too small. */
const char *bars_tf_name(int tf_s, char *buf, size_t cap);

#endif /* TP_BARS_H */
