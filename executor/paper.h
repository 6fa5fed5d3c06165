/*  paper.h - the paper venue: fills orders against the market data the executor sees.
 *  Owns:  per venue+symbol the latest md.book top levels (a copy, depleted by our own taker
 *         fills until the next update replaces it), the latest trade, ticker mark, mid and
 *         kline close, and the position's attached TP/SL orders; the list of working orders
 *         (resting limits, orders waiting for a book, a kline, their latency or their
 *         trigger); the account (executor/account.c).
 *  Not:   validation and idempotency (executor/exec.c), the order state rules
 *         (executor/orders.c), sockets.
 *  Fill rules (docs/executor.md "Paper fill rules"):
 *    market, symbol with a book: walk the opposite side from the best level, taking
 *      min(level qty, remaining) at each level's price; levels priced beyond the slippage cap
 *      (best x (1 +- cap%)) are not taken; the rest is cancelled (Cancelled, or
 *      PartiallyFilledCanceled for category "spot" when something filled). Taker fee.
 *      Fill evt = max(book update time, order active time). Time in force is ignored
 *      (Bybit: a market order is always IOC).
 *    market, bar-only symbol (no md.book ever seen for venue+symbol): fills in full at the
 *      OPEN of the first md.kline whose start >= the order's active time; fill evt = that
 *      start. If ttl_ns > 0 and that start > ts_event + ttl_ns the order is cancelled.
 *    limit, first match (the moment it reaches the book), by time in force (Bybit words):
 *      GTC (or "")  take what crosses the limit (within the cap), rest the remainder
 *      IOC          take what crosses, cancel the rest ("EC_CancelForNoFullFill: ...", or
 *                   "EC_NoImmediateQtyToFill: ..." when nothing filled)
 *      FOK          if the book holds the whole quantity within limit and cap take it, else
 *                   cancel with nothing filled ("EC_CancelForNoFullFill: ...")
 *      PostOnly     if it would take liquidity (buy: best ask <= limit) Cancelled with reason
 *                   "EC_PostOnlyWillTakeLiquidity" (as Bybit), else rest as maker
 *      Bar-only: the first kline (start >= active time) opening through the limit fills at
 *      the open as taker (PostOnly: cancelled); otherwise IOC/FOK are cancelled.
 *    resting limit: back of the queue; fills (all that is left, at the limit price, maker
 *      fee) only when a trade prints THROUGH the price (buy: trade px < limit), or the book
 *      crosses it (buy: best ask <= limit). Bar-only: a later kline opening through the limit
 *      fills at the open (taker), else a low below (buy) / high above (sell) the limit fills
 *      at the limit (maker).
 *    latency (paper_rules_t.latency_ns): an order is active at ts_event + latency (event
 *      time): it is matched at the first market data event at or after that time, against the
 *      book as it was then (book updates stamped before it).
 *    Triggers (conditional orders, trigger_px + trigger_dir): Untriggered until the trigger
 *      source price reaches the trigger (direction 1: price >= trigger; 2: price <= trigger),
 *      then Triggered (published), New, and matched as above at that event time. Source:
 *        rules.trigger_by LAST: md.trade prints of the symbol; MARK: md.ticker markPrice.
 *        A symbol that has not had that source yet uses its md.book mid (half-even), and a
 *        bar-only symbol its klines: the bar range reaching the trigger triggers; a market
 *        order fills at the trigger price (evt = kline ts_event), or at the open if the bar
 *        opened beyond it (evt = start); a limit order reaches the book at the next kline.
 *      A conditional whose trigger is already reached when placed is Rejected (Bybit
 *      110092/110093), judged against the source's latest price (if one is known).
 *    Attached TP/SL (tp_px/sl_px on an order that is not reduce-only; Bybit position TP/SL,
 *      "Full" mode): after a fill that opens or adds to a position in the order's direction,
 *      the venue holds reduce-only market conditional closes "<client_id>.s" (stop) and
 *      "<client_id>.t" (target), Untriggered, published; long: stop direction 2, target 1;
 *      short the other way. When one triggers it is resized to the whole position. A newer
 *      entry's TP (SL) replaces the held one; a fill that leaves the position flat or
 *      flipped cancels both ("position closed: TP/SL cancelled").
 *    fee = rate x px x qty at MONEY_VALUE_SCALE, rounded half-even once.
 *  Outputs per fill, in order: exec.fill, exec.order, exec.position, exec.balance.
 *  Persistence (cfg->journal_path set, executor.paper_state): every placed order ("O", with
 *  its active time), refusal at placement ("R"), first match left resting ("A"), trigger
 *  ("T"), fill ("F"), cancel ("X") and stop move of a held stop ("M") is appended and fsync'd;
 * paper_new replays the file through the same paths with outputs silenced, restoring orders (marked
 * sent), account, working and untriggered orders and the attached TP/SL (born again from their
 * entry's fills). Books and marks come back with market data. Off by default. Runs: a new file
 * starts with "# run <run id>"; with cfg->fresh_other_runs (replay mode) a file of another run (or
 * without that line) is renamed "<path>.<its run id>" (".norun") and the venue starts fresh; a
 * restart within the run, and live mode, restore. Invariants, asserted by paper_check(): (1) every
 * working order is open (New, PartiallyFilled, Untriggered) (2) an Untriggered order has trigger_px
 * > 0 and direction 1 or 2 (3) only limit orders rest (entry live); attached TP/SL are reduce-only
 *    (4) account invariants hold (account_check)
 */
#ifndef TP_EXEC_PAPER_H
#define TP_EXEC_PAPER_H

#include <stddef.h>
#include <stdint.h>

#include "executor/account.h"
#include "executor/venue.h"

#define PAPER_MAX_SYMBOLS 256

typedef struct paper paper_t;

/* Trigger price source of conditional orders and attached TP/SL (executor.paper_trigger_by). */
typedef enum { PAPER_TRIGGER_LAST = 0, PAPER_TRIGGER_MARK = 1 } paper_trigger_by_t;

/* Matching rules beyond the venue_cfg_t ones; all zero = the defaults. */
typedef struct {
    paper_trigger_by_t trigger_by; /* "last" (default) or "mark" */
    int64_t latency_ns;            /* order active at ts_event + latency_ns (event time); >= 0 */
} paper_rules_t;

/* New paper venue. cfg->orders and the emit callback are borrowed and must outlive it.
 * NULL with errno EINVAL (negative fee or cap, NULL orders/emit, bad asset) or ENOMEM. */
paper_t *paper_new(const venue_cfg_t *cfg);
void paper_destroy(paper_t **self_p);

/* The venue_ops_t of the paper venue (impl = paper_t *). */
const venue_ops_t *paper_ops(void);

/* Set the matching rules (for orders placed from now on; working ones keep their active
 * time). 0, or -1/EINVAL (unknown trigger source, negative latency). */
int paper_set_rules(paper_t *self, const paper_rules_t *rules);

/* See venue_ops_t. paper_place returns 0, or -1 with errno EINVAL (order not New; scales
 * differ from the book's: cancelled; trigger already reached: Rejected), ENOSPC (symbol
 * table full: cancelled), ENOMEM; the order's last state is published. */
int paper_place(paper_t *self, order_t *o, const instr_t *in);
void paper_on_book(paper_t *self, const codec_md_book_t *b, int64_t origin);
void paper_on_trade(paper_t *self, const codec_md_trade_t *t, int64_t origin);
void paper_on_kline(paper_t *self, const codec_md_kline_t *k, int64_t origin);
/* md.ticker (venue_ops_t.on_ticker): its markPrice is the "mark" trigger source. */
void paper_on_ticker(paper_t *self, const codec_md_ticker_t *t, int64_t origin);
/* Publishes exec.balance before a hello barrier (step 0) so risk learns the start equity, then
 * exec.status.<name> "running" (the paper venue never reconciles), both at the barrier's
 * event time. */
void paper_on_barrier(paper_t *self, const codec_sys_barrier_t *b);

/* Operator cancels (control commands "cancel ID" and "cancel-all [SYMBOL]", docs/executor.md
 * "Operator commands"). A working order of this venue (resting limit, waiting for its book,
 * bar or latency, or Untriggered, attached TP/SL included), or an order the executor accepted
 * and has not handed to the venue yet (replay: it waits for the next barrier), is Cancelled with
 * reason PAPER_CANCEL_REASON and published on exec.order at the latest md event time the executor
 * has seen (never before the order's own time), journaled like any cancel.
 * paper_cancel: 0, or -1 with errno ENOENT (no such client id) or EALREADY (not working:
 * filled, cancelled, rejected). paper_cancel_all: every working order, then every order accepted
 * and not handed over yet (client id order), or those of `symbol` (NULL = all); returns how
 * many were cancelled. */
#define PAPER_CANCEL_REASON "cancelled by operator"
int paper_cancel(paper_t *self, const char *client_id);
size_t paper_cancel_all(paper_t *self, const char *symbol);

const account_t *paper_account(const paper_t *self);
size_t paper_working(const paper_t *self);     /* working (resting or waiting) orders */
size_t paper_untriggered(const paper_t *self); /* of which Untriggered */

/* Fee of px x qty at `rate` (VENUE_RATE_SCALE), MONEY_VALUE_SCALE, half-even, one rounding.
 * 0 or -1/ERANGE|EINVAL. */
int paper_fee(int64_t px, int px_scale, int64_t qty, int qty_scale, int64_t rate, int64_t *out);

void paper_check(const paper_t *self);

#endif /* TP_EXEC_PAPER_H */
