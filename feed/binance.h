/*  binance.h - Binance combined-stream frame parser (jsmn) for one connection (one venue id,
 *  "binance-usdm" or "binance-spot"): depthUpdate, trade, kline; plus the local order book
 *  sync against a REST depth snapshot (body parsed with jansson: REST is not the hot path).
 *  Owns:  one L2 book per symbol with its sync state and a buffer of depth frames received
 *         while waiting for a snapshot (copies, bounded: k_buf_frames / k_buf_bytes in the .c).
 *  Not:   the socket or the REST call (feed/session.c asks binance_want_snapshot() and calls
 *         binance_snapshot() with the body), publishing (the md_sink_t).
 *  Book sync ("How to manage a local order book correctly", Binance USD-M and spot WebSocket
 *  docs; /work/shared/BYBIT_V5.md section 4):
 *    NEED  buffer depth diffs; the owner fetches GET /fapi/v1/depth (spot /api/v3/depth)
 *          ?symbol=S&limit=1000
 *    SNAP  book = snapshot (seq = lastUpdateId L); buffered then live diffs: drop u < L
 *          (spot: u <= L); the first kept one must have U <= L <= u (spot: U <= L+1 <= u),
 *          else the snapshot is unusable: back to NEED (resync)
 *    LIVE  each diff must have pu == previous u (spot: U == previous u + 1), else resync
 *  A resync drops the book, emits sink.status "resync" and goes back to NEED. md.book is
 *  emitted after every applied diff (never for the bare snapshot: its time is the REST call's,
 *  outside the stream's order).
 *  Units: mantissas at the instrument's scales; ms -> ns here. Single-threaded.
 */
#ifndef TP_BINANCE_H
#define TP_BINANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/instr.h"
#include "feed/book.h"
#include "feed/md.h"

#define BINANCE_MAX_SYMBOLS 32

typedef struct binance binance_t;

/* Create for venue id `venue` (copied). `spot` selects the spot sync rules (no pu). Other
 * arguments as bybit_new (depth <= BOOK_MAX_DEPTH; 1000 matches the REST snapshot). */
binance_t *binance_new(const char *venue, bool spot, const instr_table_t *instrs, size_t depth,
                       size_t levels, md_stats_t *stats, const md_sink_t *sink);
void binance_destroy(binance_t **self_p);

/* Declare a symbol this connection streams; `depth` true if it carries a depth stream (it then
 * needs a snapshot before it is ready). 0, or -1/ENOENT (no instrument rules), ENOSPC. */
int binance_add_symbol(binance_t *self, const char *symbol, bool depth);

/* Parse one text frame (combined-stream envelope {"stream","data"} or a bare event). As
 * bybit_parse: 0 handled (also stale or buffered diffs, bookTicker which is not published),
 * -1/EPROTO malformed, unknown event, or a sequence break (resync). */
int binance_parse(binance_t *self, const char *frame, size_t len, int64_t recv_ns);

/* One kline event given by its fields instead of a frame (an in-process replay of kline CSV
 * rows: tools/backtest/kstream.h): what binance_parse does with the kline frame
 * {"stream":..,"data":{"e":"kline","E":e_ms,"s":symbol,"k":{"t":start_ms,"T":last_ms,
 * "s":symbol,"i":interval,"n":trades,"x":closed,"o":..,"c":..,"h":..,"l":..,"v":..,"q":..,
 * "V":..}}} carrying the same decimal strings, with the same values (money_parse at the
 * instrument's scales, q rounded half-even to MONEY_VALUE_SCALE), counters and md.kline.
 * Decimals are (pointer, length), not NUL-terminated. Returns 0 (handled and published), or
 * -1 with no effect at all (nothing counted, nothing published) and errno ENOENT (symbol not
 * declared on this connection), EINVAL (interval or a decimal that the frame's parse would
 * refuse): the caller then hands over the frame itself (binance_parse), which refuses it as
 * it always does. */
typedef struct {
    const char *symbol, *interval; /* NUL-terminated: "BTCUSDT", "1m" */
    int64_t e_ms, start_ms, last_ms, trades;
    bool closed;
    const char *o, *h, *l, *c, *v, *q, *V;
    size_t o_len, h_len, l_len, c_len, v_len, q_len, V_len;
} binance_kline_t;
int binance_kline(binance_t *self, const binance_kline_t *k, int64_t recv_ns);

/* A symbol whose book needs a REST snapshot, or NULL. Borrowed until binance_destroy. */
const char *binance_want_snapshot(const binance_t *self);

/* Load the REST depth snapshot body of `symbol` (JSON {lastUpdateId, bids, asks}), then replay
 * the buffered diffs. 0, or -1 with errno ENOENT (symbol not declared), EPROTO (body malformed:
 * the book stays in NEED) or the errno of a resync during the replay. */
int binance_snapshot(binance_t *self, const char *symbol, const char *body, size_t len,
                     int64_t recv_ns);

/* true when every depth symbol has a snapshot loaded (SNAP or LIVE). */
bool binance_ready(const binance_t *self);

/* The book of `symbol`, NULL if not declared / seen. Borrowed until binance_destroy. */
const book_t *binance_book(const binance_t *self, const char *symbol);

/* After a disconnect: every book dropped, back to NEED, buffers emptied. */
void binance_reset(binance_t *self);

#endif /* TP_BINANCE_H */
