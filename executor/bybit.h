/*  bybit.h - the live venue: Bybit v5 linear or spot over signed REST (executor/rest.h), or
 *  venue-sim's private side at a changed base URL (docs/executor.md "Live venue").
 *  Owns:  the REST client, the intent journal (executor/journal.h), a local account built
 *         from the venue's fills (executor/account.h), the venue state word.
 *  Not:   validation and idempotency of requests (executor/exec.c), the order state rules
 *         (executor/orders.c).
 *  Rules:
 *    place    journal "I" (fsync) -> exec.order New -> POST /v5/order/create with
 *             orderLinkId = client_id, asynchronous (place returns at once; the answer is
 *             applied from the loop) -> retCode 0: journal "A", the venue orderId;
 *             a refusal: journal "R", exec.order Rejected "bybit <code>: <text> (<retMsg>)";
 *             outcome unknown (timeout, transport error, 10000, 10002, 10016, 110072, 110079):
 *             nothing is re-sent; the intent stays open and the next poll asks the venue for
 *             that orderLinkId; the state becomes "reconciling" until that is resolved.
 *    poll     (asynchronous, in phases; intents whose create is in flight are left alone)
 *             resolve open intents (realtime/history by orderLinkId; not found twice ->
 *             Rejected "not found on venue: never placed"), apply new executions (deduped on
 *             execId, oldest first), then each open order's status (terminal statuses only
 *             once the venue's cumExecQty equals ours), then positions (compared with the
 *             local account: differences logged and counted) and the wallet (exec.balance).
 *    position exec.position comes from the venue's position only (the private `position`
 *             push, else the REST poll), never from our own fills: per symbol, an update older
 *             than the newest applied (by `seq`, else `updatedTime`) is dropped (ESTALE), one
 *             with the same content as the last published is a duplicate (not published);
 *             a symbol absent from the poll's open list after being open is flat as of the
 *             answer's time. Our fills keep a local account that is compared with it.
 *    wallet   exec.balance from the `wallet` push or the poll, versioned by the venue time
 *             (push creationTime, REST envelope time): older -> dropped; unchanged -> not
 *             published unless the last one is 5 s old.
 *    start    journal records rebuild the order table (bybit_restore); state "reconciling"
 *             until the first full poll succeeds; then "running".
 *    time     GET /v5/market/time at start and every 5 min; |offset| > max_offset_ms -> "halted"
 *             (orders refused "venue halted: clock offset N ms").
 *    auth     10003/10004/10005/10010 -> "halted" (keys wrong: a human must look).
 *    status   exec.status.<venue> (codec_md_status_t: venue "bybit-linear", symbol "", state,
 *             reason, ts_event = the latest md event time seen, else the wall clock): once at
 *             start, on every state change, and every 5 s while not "running".
 *    refuse   while "halted" every order is refused ("venue halted: <reason>"); while
 *             "reconciling" new entries are ("venue reconciling: <reason>"), reduce-only
 *             orders go out.
 *    guard    a market entry (not reduce-only, no trigger) is sent as an IOC limit at the
 *             best ask/bid (else the last trade) of our md x (1 +- slippage cap); the rest is
 *             cancelled by the venue and reported, never chased; no price yet: refused.
 *    stops    a stop move (venue.h move_stop) is /v5/position/trading-stop stopLoss (Full);
 *             the wanted stop is kept per symbol until flat and each poll sends it again
 *             when the venue's stopLoss differs (at most every 2 s); an operator's tpsl
 *             replaces it.
 *  Mapping of a risk request: its `tif` and `trigger_px`/`trigger_dir` when set; otherwise
 *    intent "stop_loss" or "take_profit" with px > 0 -> Market conditional, triggerPrice = px,
 *    triggerDirection: stop_loss sell / take_profit buy = 2 (falls), the others = 1 (rises);
 *    limit -> GTC; sl_px/tp_px -> attached stopLoss/takeProfit (not on reduce-only orders).
 */
#ifndef TP_EXEC_BYBIT_H
#define TP_EXEC_BYBIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/instr.h"
#include "executor/orders.h"
#include "executor/venue.h"

typedef struct bybit bybit_t;

/* Order options of a create body (what risk sends maps onto these; tests use all). */
typedef struct {
    const char *category;  /* "linear" or "spot" */
    const char *tif;       /* "GTC" "IOC" "FOK" "PostOnly"; NULL = GTC (Limit) / none (Market) */
    int64_t trigger_px;    /* px_scale, 0 = not conditional */
    int trigger_direction; /* 1 rises, 2 falls */
    int64_t tp_px, sl_px;  /* px_scale, 0 = none */
} bybit_opts_t;

/* The JSON body of POST /v5/order/create for order request `r` on instrument `in`: qty rounded
 * DOWN to the step, prices to the tick toward the passive side (buy down, sell up; trigger and
 * TP/SL half-even). Category "spot" (BYBIT_V5.md 2.6): no reduceOnly, market buys carry
 * marketUnit "baseCoin" (our qty is base; Bybit's default is a quote amount). Writes
 * NUL-terminated text. 0, or -1 with errno EINVAL (qty rounds to 0, bad side/type), ENOTSUP
 * (spot with a trigger or TP/SL: separate orderFilter kinds, not sent), ENOBUFS. */
int bybit_create_body(const codec_risk_order_t *r, const instr_t *in, const bybit_opts_t *opt,
                      char *buf, size_t cap);

/* The options used for a risk request (the conditional mapping above). */
void bybit_opts_for(const codec_risk_order_t *r, bybit_opts_t *out);

/* Apply one execution (fields as the venue's strings) to the order table and the account;
 * publishes exec.fill, exec.order when applied (exec.position follows from the venue). Returns 1
 * applied, 0 duplicate execId (nothing changes), -1 with errno ENOENT (no such order), EINVAL
 * (unparsable), EPROTO/ERANGE (orders_fill). Exposed for the state-machine tests. */
int bybit_apply_exec(bybit_t *self, const char *link_id, const char *exec_id, const char *px,
                     const char *qty, const char *value, const char *fee, bool maker,
                     int64_t exec_ms);

/* Apply a venue order status (orderStatus word, cumExecQty string) to order link_id. Returns
 * 1 changed, 0 nothing to do or deferred (venue cum > ours: fills not seen yet), -1 with
 * errno ENOENT/EINVAL/EPROTO. */
int bybit_apply_status(bybit_t *self, const char *link_id, const char *status, const char *cum_qty,
                       const char *order_id, const char *reason);

/* One venue position object (WS `position` push or REST /v5/position/list item: symbol,
 * side "Buy"/"Sell"/"", size >= 0, entryPrice (push) or avgPrice (REST), markPrice,
 * unrealisedPnl, updatedTime ms string, seq) -> exec.position under the rule above (scales
 * from the instrument table, else from our fills; realized_pnl = the gross sum of our fills,
 * as Bybit's cumRealisedPnl is net of fees and funding). `resp_ms` stands for updatedTime when
 * the object has none (-1 = none). `push` only selects the counter. Returns 1 published,
 * 0 duplicate, -1 with errno ESTALE (older than applied), EINVAL (unparsable), ENOENT (no
 * scales known for the symbol), ENOMEM. */
int bybit_apply_position(bybit_t *self, json_t *p, int64_t resp_ms, bool push);

/* One wallet object (push `data[0]` or REST wallet-balance list[0]: totalWalletBalance,
 * totalAvailableBalance, totalEquity) at venue time venue_ms (<= 0: now) -> exec.balance.
 * 1 published, 0 duplicate, -1 with errno ESTALE / EINVAL. */
int bybit_apply_wallet(bybit_t *self, json_t *w, int64_t venue_ms, bool push);

/* One private-WS topic message (text of the frame: {"topic":"order"|"execution"|"position"|
 * "wallet" or "<name>.<category>", "creationTime":ms, "data":[...]}), applied as the stream
 * does. 0, or -1/EINVAL when it is not JSON with a topic. */
int bybit_ws_message(bybit_t *self, const char *text, size_t len);

/* NULL with errno EINVAL (missing base_url/key/secret/journal, bad numbers), ENOMEM, or the
 * journal's open errno. Does no I/O towards the venue (the first poll does). */
bybit_t *bybit_venue_new(const venue_cfg_t *cfg);
void bybit_venue_destroy(bybit_t **self_p);
const venue_ops_t *bybit_ops(void);

/* Rebuild orders from the journal into the order table (call once after bybit_venue_new, before
 * requests): each record becomes an order (Rejected for "R" records). Returns how many. */
size_t bybit_restore(bybit_t *self);

/* Re-publish exec.status when the state is not "running" and the last one was published
 * 4500 ms or more before `now_ms` (CLOCK_MONOTONIC ms): a timer calls it every 1000 ms when
 * the venue has a loop, so the repeat comes every 5 s. Returns 1 published, 0 not. */
int bybit_status_tick(bybit_t *self, int64_t now_ms);

const char *bybit_state(const bybit_t *self);
uint64_t bybit_diffs(const bybit_t *self); /* reconciliation differences found */

#endif /* TP_EXEC_BYBIT_H */
