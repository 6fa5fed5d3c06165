/*  deribit.h - Deribit API v2 JSON-RPC frame parser (jsmn): book, trades and ticker
 *  subscription notifications, JSON-RPC results and errors, heartbeats; and the instrument
 *  rules of public/get_instruments. One parser per connection (venue id "deribit").
 *  Owns:  one L2 book and one ticker state per instrument (created on its first frame, at most
 *         DERIBIT_MAX_SYMBOLS), the token array and level buffers.
 *  Not:   the socket, sending requests (feed/session.c; deribit_request() writes their text),
 *         publishing (the md_sink_t).
 *  Protocol (Deribit API v2, docs.deribit.com "Subscriptions", docs/feed.md "Deribit"):
 *    every push is {"jsonrpc":"2.0","method":"subscription","params":{"channel":C,"data":D}};
 *    book.{instrument}.{100ms|raw}: D = {type: "snapshot"|"change", timestamp (ms),
 *      instrument_name, change_id, prev_change_id (changes), bids/asks: [[action, price,
 *      amount]]} with action "new"|"change"|"delete" (snapshots: "new"). A change applies only
 *      if its prev_change_id equals the change_id last applied; otherwise the book is dropped,
 *      the break counted (stats resyncs) and sink.status gets "resync": resubscribe the channel
 *      for a fresh snapshot. book.{instrument}.{group}.{depth}.{interval} (grouped): every
 *      push is a whole top-of-book, [price, amount] pairs, applied as a snapshot.
 *    trades.{instrument}.{interval}: D = array of {timestamp, price, amount, direction
 *      "buy"|"sell", instrument_name, trade_id}.
 *    ticker.{instrument}.{interval}: D = {timestamp, instrument_name, mark_price, index_price,
 *      last_price, best_bid_price/amount, best_ask_price/amount, open_interest, and for
 *      perpetuals funding_8h, current_funding}.
 *    method "heartbeat", params.type "test_request": the server wants public/test now
 *      (sink.control("test_request")); type "heartbeat": its own beat (counted as a pong).
 *    {"id":N,"result":R}: R an array of channels = (un)subscribe result (acks), R = {version}
 *      = public/test answer (pongs), other results acks; {"id":N,"error":{code,message}} nacks.
 *  Units: Deribit sends JSON numbers; their text is read exactly as decimals into mantissas at
 *  the instrument's scales (an exponent is shifted into place, never a double). Book and trade
 *  prices and amounts must be exact on those scales (else bad_field); marks, indexes, funding
 *  and open interest are rounded half-even. Amounts are in Deribit's unit per kind
 *  (instr_t.qty_ccy): USD for inverse futures and perpetuals, the coin for options, the base for
 *  linear USDC contracts. Venue ms become ns here.
 *  Every frame is validated whole before any state changes. Single-threaded. No allocation per
 *  frame.
 */
#ifndef TP_DERIBIT_H
#define TP_DERIBIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/instr.h"
#include "feed/book.h"
#include "feed/md.h"

#define DERIBIT_MAX_SYMBOLS 64

typedef struct deribit deribit_t;

/* What a ticker adds to md.ticker (not on the bus yet: codec_md_ticker_t has no field for it). */
typedef struct {
    codec_md_ticker_t tk;       /* funding_rate_e8 = funding_8h x 1e8; next_funding_ns 0 */
    int64_t open_interest;      /* at qty_scale, in the instrument's qty_ccy; 0 = not given */
    int64_t current_funding_e8; /* current_funding x 1e8 (perpetuals); 0 = not given */
} deribit_ticker_t;

/* Create a parser for venue id `venue` ("deribit"; copied). `instrs` (borrowed, outlives the
 * parser) gives the rules per instrument, looked up as (venue, instrument_name); an instrument
 * without rules is counted in stats->no_instr and skipped. `depth` = levels kept per book
 * (1..BOOK_MAX_DEPTH); `levels` = levels per side in md.book (<= CODEC_LEVELS). `stats`
 * (borrowed) is incremented; `sink` is copied. NULL/EINVAL or ENOMEM. */
deribit_t *deribit_new(const char *venue, const instr_table_t *instrs, size_t depth, size_t levels,
                       md_stats_t *stats, const md_sink_t *sink);
void deribit_destroy(deribit_t **self_p);

/* Parse one text frame received at recv_ns (wall clock ns) and emit its events. Returns 0
 * (handled, including frames skipped for want of rules or of a snapshot), or -1 with errno
 * EPROTO: malformed (stats bad_json / bad_field), unknown channel or method (unknown_topic),
 * or a change_id break / crossed book (resyncs; the book is dropped and sink.status gets
 * "resync" for the instrument). Bad input is logged once per kind with a sample. */
int deribit_parse(deribit_t *self, const char *frame, size_t len, int64_t recv_ns);

/* The book of `instrument`, NULL if no frame for it was seen. Borrowed until destroy. */
const book_t *deribit_book(const deribit_t *self, const char *instrument);

/* Last ticker of `instrument`. 0, or -1/ENODATA if none yet. */
int deribit_ticker(const deribit_t *self, const char *instrument, deribit_ticker_t *out);

/* After a disconnect: every book unsynced and empty, ticker states forgotten. */
void deribit_reset(deribit_t *self);

/* Number of test_request heartbeats seen (each wants one public/test). */
int64_t deribit_test_requests(const deribit_t *self);

/* Write the text of one JSON-RPC request into buf[cap]:
 * {"jsonrpc":"2.0","id":<id>,"method":"<method>","params":<params_json>} (params_json NULL
 * or "" = {}). Use it for public/subscribe ({"channels":[...]}), public/unsubscribe,
 * public/set_heartbeat ({"interval":30}) and public/test. Returns the length, or -1/ENOSPC. */
int deribit_request(char *buf, size_t cap, uint64_t id, const char *method,
                    const char *params_json);

/* Parse a public/get_instruments body (result = array of instruments) or a
 * public/get_instrument body (result = one instrument) and call fn once per usable instrument
 * (venue copied, category = kind). Rules: tick = tick_size, tick_steps from tick_size_steps
 * ({above_price, tick_size}); step = min_qty = min_trade_amount; contract_size; settle =
 * settlement_currency, or the base currency when the body has none (bodies before 2022 did not
 * carry it; options and inverse futures settle in their coin); qty_ccy = "USD" for an inverse
 * future (quote currency USD), else the base currency. px_scale / qty_scale = the most decimals
 * among those numbers. Instruments with missing or malformed fields are skipped (logged).
 * Returns the number of instruments, or -1/EPROTO (not such a body) / ENOMEM. */
int deribit_instruments_parse(const char *json, size_t len, const char *venue,
                              void (*fn)(const instr_t *in, void *arg), void *arg);

#endif /* TP_DERIBIT_H */
