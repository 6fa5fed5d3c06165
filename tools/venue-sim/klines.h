/*  klines.h - one row of a data.binance.vision kline CSV -> one Binance combined-stream frame.
 *  Owns:  nothing (pure function).
 *  Input: a CSV row of 12 columns, no header (data.binance.vision spot/daily/klines layout):
 *         open_time, open, high, low, close, volume, close_time, quote_volume, trades,
 *         taker_buy_base, taker_buy_quote, ignore. Times are microseconds in files from
 *         2025-01-01 on and milliseconds before (data/PROVENANCE.md section 5): a time
 *         > 1e14 is taken as µs.
 *  Output: the closing push of that minute, in Binance's combined-stream shape:
 *    {"stream":"btcusdt@kline_1m","data":{"e":"kline","E":<T+1>,"s":"BTCUSDT","k":{"t":<open ms>,
 *     "T":<close ms>,"s":"BTCUSDT","i":"1m","f":-1,"L":-1,"o":"..","c":"..","h":"..","l":"..",
 *     "v":"..","n":<trades>,"x":true,"q":"..","V":"..","Q":"..","B":"0"}}}
 *    Decimal strings are copied verbatim from the CSV (never through a float). The CSV has no
 *    trade ids, so f and L are -1; B is Binance's always-"0" ignore field; E (event time) is
 *    close_time + 1 ms, the first instant after the bar closed.
 */
#ifndef TP_KLINES_H
#define TP_KLINES_H

#include <stddef.h>
#include <stdint.h>

#define KLINES_FRAME_MAX 1024 /* a frame never exceeds this with symbols <= 20 chars */

/* Build the frame for `row` (len bytes, a trailing "\r\n" or "\n" is ignored) for `symbol`
 * (upper case, "BTCUSDT"; the stream name is its lower-case form + "@kline_1m") into
 * out[cap], NUL-terminated. On success returns 0 and sets *out_len (without the NUL) and
 * *event_ms (E). Returns -1 with errno
 *   EINVAL   not 12 columns, a time or count that is not a plain integer, a price/volume that
 *            is not a plain unsigned decimal, close_time <= open_time, symbol empty or > 20
 *   ENOBUFS  cap too small
 * out, *out_len and *event_ms are untouched on failure. */
int klines_frame(const char *row, size_t len, const char *symbol, char *out, size_t cap,
                 size_t *out_len, int64_t *event_ms);

#endif /* TP_KLINES_H */
