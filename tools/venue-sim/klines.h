/*  klines.h - one row of a data.binance.vision kline CSV -> one Binance combined-stream frame;
 *  and the venues' REST kline answers built from replayed kline frames (below).
 *  Owns:  nothing (pure functions).
 *  Input: a CSV row of 12 columns (data.binance.vision spot/daily|monthly/klines layout; a
 *         file's header line is recognised by klines_is_header and is not a row):
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

#include <stdbool.h>
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

/* As klines_frame, and also: the bar's open time in ms (*open_ms, may be NULL) and, for a
 * refused row, why in why[why_cap] (may be NULL): "expected 12 comma-separated columns, got
 * 11", "open \"1e5\" is not a plain unsigned decimal", "close_time is not after open_time",
 * "not a 1-minute bar (...)", "open/close outside [low, high] or low above high". Beyond
 * klines_frame's checks it refuses (EINVAL) a bar that is not one minute long (close_time -
 * open_time + 1 != 60000 ms: the frame says "1m") and prices out of order (low <= open, close
 * <= high, compared as decimals). */
int klines_frame_ex(const char *row, size_t len, const char *symbol, char *out, size_t cap,
                    size_t *out_len, int64_t *event_ms, int64_t *open_ms, char *why,
                    size_t why_cap);

/* One kline CSV row checked by the rules of klines_frame_ex (the one place they live: the
 * loader of tools/venue-sim/source.c and the backtest's streamed path tools/backtest/kstream.c
 * both take a row through it). */
struct klines_col {
    const char *p; /* borrowed from the row, not NUL-terminated */
    size_t len;
};
typedef struct {
    int64_t open_ms;  /* ms (a µs row divided, as klines_frame) */
    int64_t close_ms; /* ms, open_ms + 59999 */
    int64_t trades;
    struct klines_col col[12]; /* the 12 columns in file order (1 open .. 4 close, 5 volume,
                                  7 quote_volume, 9 taker_buy_volume, 10 taker_buy_quote_volume) */
} klines_row_t;

/* Check `row` (len bytes, a trailing "\r\n" or "\n" ignored) as klines_frame_ex does and fill
 * *out (pointers into row). 0, or -1/EINVAL with why[why_cap] (may be NULL) as klines_frame_ex
 * words it. A row it accepts always makes a frame (decimals <= 40 chars, a symbol <= 20 chars
 * stay within KLINES_FRAME_MAX). */
int klines_row_parse(const char *row, size_t len, klines_row_t *out, char *why, size_t why_cap);

/* True if `row` (len bytes, trailing newline ignored) is data.binance.vision's header line:
 * 12 comma-separated column names of letters, digits and '_', the first "open_time"
 * ("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,
 * taker_buy_quote_volume,ignore"). Files from 2025 on may start with it; a header anywhere
 * but the first line is a bad row. */
bool klines_is_header(const char *row, size_t len);

/* ---- REST klines (the warm-up fallback of a restarted signal stage) -----------------------
 * venue-sim answers the venues' REST kline calls from the kline frames it replays, so that
 * the answer holds exactly what the WS stream carried, and only klines that have closed at or
 * before the replay clock (the event time of the latest frame handed to the server): never
 * the future.
 *   Binance  GET /api/v3/klines (spot) and /fapi/v1/klines (USD-M), parameters symbol,
 *            interval, startTime, endTime (ms, on the open time), limit (default 500, max
 *            1000 spot / 1500 USD-M). Body: array of arrays, OLDEST first,
 *            [openTime, "open", "high", "low", "close", "volume", closeTime, "quoteVolume",
 *             trades, "takerBuyBase", "takerBuyQuote", "0"] (Binance "Kline/Candlestick data").
 *            With endTime and no startTime: the newest `limit` klines opened at/before endTime;
 *            with startTime: the first `limit` opened at/after it.
 *            Built from the closed (x = true) frames of stream <symbol lower>@kline_<interval>.
 *   Bybit    GET /v5/market/kline, parameters category, symbol, interval (1 3 5 15 30 60 120
 *            240 360 720 D W M), start, end (ms, on the start time), limit (1..1000, default
 *            200). Body {"retCode":0,"retMsg":"OK","result":{"category","symbol","list":[...]},
 *            "retExtInfo":{},"time":ms}, list NEWEST first, rows of 7 strings
 *            [startTime, open, high, low, close, volume, turnover] (BYBIT_V5.md 2, "kline").
 *            Built from the confirm = true bars of topic kline.<interval>.<symbol>.
 * Decimal strings are copied from the frames verbatim. */

typedef enum { KLINES_BINANCE = 0, KLINES_BYBIT } klines_venue_t;

typedef struct {
    klines_venue_t venue;
    int64_t start_ms; /* on the open time; -1 = none */
    int64_t end_ms;   /* on the open time; -1 = none */
    int64_t limit;    /* rows wanted, already checked against the venue's range */
    int64_t now_ms;   /* replay clock: a kline is served when its exclusive end <= now_ms */
} klines_query_t;

/* One candidate frame i of the series' stream/topic, in timeline order (event time
 * non-decreasing). Returns the text (borrowed) and sets *len and *ts_ms, or NULL when frame i
 * is not of the series (skipped). */
typedef const char *(klines_frame_fn)(size_t i, void *arg, size_t *len, int64_t *ts_ms);

/* Build the body of the answer for frames 0..n_frames-1 reached through `get`. Frames whose
 * kline fields do not parse are skipped (counted in *bad, may be NULL). Returns a malloc'd
 * NUL-terminated body (caller frees), or NULL with errno EINVAL (bad query) or ENOMEM.
 * Cost: O(frames after the oldest row served), one small JSON parse per kline frame looked
 * at. */
char *klines_rest_body(const klines_query_t *q, klines_frame_fn *get, void *arg, size_t n_frames,
                       const char *category, const char *symbol, int64_t wall_ms, size_t *bad);

/* Binance interval word -> the stream suffix ("1m" -> "kline_1m"); Bybit interval
 * ("1", "60", "D") -> the topic prefix ("kline.1."). Writes out[cap]; 0, or -1/EINVAL for a
 * word the venue does not define or a buffer too small. */
int klines_stream_name(klines_venue_t venue, const char *interval, const char *symbol, char *out,
                       size_t cap);

#endif /* TP_KLINES_H */
