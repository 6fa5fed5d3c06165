/*  bybit.h - Bybit v5 public WebSocket frame parser (jsmn): orderbook, publicTrade, tickers,
 *  kline, subscribe acks and pongs, for one connection (one venue id, e.g. "bybit-linear").
 *  Owns:  one L2 book and one merged ticker state per symbol (created on the symbol's first
 *         frame, at most BYBIT_MAX_SYMBOLS), the token array and level buffers.
 *  Not:   the socket, subscribing (feed/session.c), publishing (the md_sink_t).
 *  Protocol: /work/shared/BYBIT_V5.md section 1
 * (docs/v5/websocket/public/{orderbook,trade,ticker,kline}.mdx): orderbook.{depth}.{sym}: snapshot
 * replaces; delta must have u == last u + 1; u == 1 is a snapshot; a level-1 re-push with the same
 * u is a snapshot too (not a gap). publicTrade.{sym}: data = array of {T, s, S, v, p, i}.
 *    tickers.{sym}: snapshot, then deltas carrying only changed fields, merged into the state.
 *    kline.{interval}.{sym}: data = array of {start, end, open, close, high, low, volume,
 *    turnover, confirm}.
 *  Units: prices/sizes parsed straight to mantissas at the instrument's scales (money_parse);
 *  venue ms become ns once here. Marks, indexes and funding rates quoted finer than the
 *  instrument's tick are rounded half-even (documented in docs/feed.md).
 *  Single-threaded. No allocation per frame.
 */
#ifndef TP_BYBIT_H
#define TP_BYBIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/instr.h"
#include "feed/book.h"
#include "feed/md.h"

#define BYBIT_MAX_SYMBOLS 64

typedef struct bybit bybit_t;

/* Create a parser for venue id `venue` ("bybit-linear"; copied). `instrs` (borrowed, outlives
 * the parser) gives the rules per symbol, looked up as (venue, symbol); a symbol without rules
 * is counted in stats->no_instr and skipped. `depth` = levels kept per book (the subscribed
 * orderbook depth, 1..BOOK_MAX_DEPTH); `levels` = levels per side in md.book (<= CODEC_LEVELS).
 * `stats` (borrowed, may be shared) is incremented; `sink` is copied. NULL/EINVAL or ENOMEM. */
bybit_t *bybit_new(const char *venue, const instr_table_t *instrs, size_t depth, size_t levels,
                   md_stats_t *stats, const md_sink_t *sink);
void bybit_destroy(bybit_t **self_p);

/* Parse one text frame received at recv_ns (wall clock ns) and emit its events. Returns 0
 * (handled, including frames skipped for want of instrument rules or a snapshot), or -1 with
 * errno EPROTO: malformed (stats bad_json / bad_field), unknown topic (unknown_topic), or a
 * book sequence gap / crossed book (resyncs; the book is dropped and sink.status gets a
 * "resync" for the symbol: resubscribe its orderbook topic). Bad input is logged once per
 * kind with a sample. Cost: one jsmn pass plus O(levels * log depth). */
int bybit_parse(bybit_t *self, const char *frame, size_t len, int64_t recv_ns);

/* The book of `symbol`, NULL if no frame for it was seen. Borrowed until bybit_destroy. */
const book_t *bybit_book(const bybit_t *self, const char *symbol);

/* Merged ticker state of `symbol`. 0, or -1/ENODATA if none yet. */
int bybit_ticker(const bybit_t *self, const char *symbol, codec_md_ticker_t *out);

/* After a disconnect: every book unsynced and empty, ticker states forgotten. */
void bybit_reset(bybit_t *self);

#endif /* TP_BYBIT_H */
