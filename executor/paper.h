/*  paper.h - the paper venue: fills orders against the market data the executor sees.
 *  Owns:  per venue+symbol the latest md.book top levels (a copy, depleted by our own taker
 *         fills until the next update replaces it) and the latest mark; the list of working
 *         orders (resting limits, market orders waiting for the next kline); the account
 *         (executor/account.c).
 *  Not:   validation and idempotency (executor/exec.c), the order state rules
 *         (executor/orders.c), sockets.
 *  Fill rules (docs/executor.md "Paper fill rules"):
 *    market, symbol with a book: walk the opposite side from the best level, taking
 *      min(level qty, remaining) at each level's price; levels priced beyond the slippage cap
 *      (best x (1 +- cap%)) are not taken; the rest is cancelled (Cancelled, or
 *      PartiallyFilledCanceled for category "spot" when something filled). Taker fee.
 *      Fill evt = max(book update time, order time).
 *    market, bar-only symbol (no md.book ever seen for venue+symbol): fills in full at the
 *      OPEN of the first md.kline whose start >= the order's ts_event; fill evt = that start.
 *      If ttl_ns > 0 and that start > ts_event + ttl_ns the order is cancelled ("expired").
 *    limit: the marketable part takes the book like a market order bounded by the limit
 *      price; the rest rests at the back of the queue and fills (all of it, at the limit
 *      price, maker fee) only when a trade prints THROUGH the price (buy: trade px < limit),
 *      or the book crosses it (buy: best ask <= limit). Bar-only symbols: a kline with
 *      start >= ts_event opening through the limit fills at the open (taker), else a low
 *      below (buy) / high above (sell) the limit fills at the limit (maker).
 *    fee = rate x px x qty at MONEY_VALUE_SCALE, rounded half-even once.
 *  Outputs per fill, in order: exec.fill, exec.order, exec.position, exec.balance.
 *  Persistence (cfg->journal_path set, executor.paper_state): every placed order ("O"), fill
 *  ("F") and cancel ("X") is appended and fsync'd; paper_new replays the file through the
 *  same paths with outputs silenced, restoring orders (marked sent), account and working
 *  orders (books and marks come back with market data). Off by default.
 *  Invariants, asserted by paper_check():
 *    (1) every working order is open (New or PartiallyFilled)
 *    (2) account invariants hold (account_check)
 */
#ifndef TP_EXEC_PAPER_H
#define TP_EXEC_PAPER_H

#include <stddef.h>
#include <stdint.h>

#include "executor/account.h"
#include "executor/venue.h"

#define PAPER_MAX_SYMBOLS 256

typedef struct paper paper_t;

/* New paper venue. cfg->orders and the emit callback are borrowed and must outlive it.
 * NULL with errno EINVAL (negative fee or cap, NULL orders/emit, bad asset) or ENOMEM. */
paper_t *paper_new(const venue_cfg_t *cfg);
void paper_destroy(paper_t **self_p);

/* The venue_ops_t of the paper venue (impl = paper_t *). */
const venue_ops_t *paper_ops(void);

/* See venue_ops_t. paper_place returns 0, or -1 with errno EINVAL (order not New, scales
 * differ from the book's) after cancelling and publishing the order. */
int paper_place(paper_t *self, order_t *o, const instr_t *in);
void paper_on_book(paper_t *self, const codec_md_book_t *b, int64_t origin);
void paper_on_trade(paper_t *self, const codec_md_trade_t *t, int64_t origin);
void paper_on_kline(paper_t *self, const codec_md_kline_t *k, int64_t origin);
/* Publishes exec.balance before a hello barrier (step 0) so risk learns the start equity. */
void paper_on_barrier(paper_t *self, const codec_sys_barrier_t *b);

const account_t *paper_account(const paper_t *self);
size_t paper_working(const paper_t *self); /* working (resting or waiting) orders */

/* Fee of px x qty at `rate` (VENUE_RATE_SCALE), MONEY_VALUE_SCALE, half-even, one rounding.
 * 0 or -1/ERANGE|EINVAL. */
int paper_fee(int64_t px, int px_scale, int64_t qty, int qty_scale, int64_t rate, int64_t *out);

void paper_check(const paper_t *self);

#endif /* TP_EXEC_PAPER_H */
