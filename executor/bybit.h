/*  bybit.h - the live venue: Bybit v5 linear over signed REST (executor/rest.h), or
 *  venue-sim's private side at a changed base URL (docs/executor.md "Live venue").
 *  Owns:  the REST client, the intent journal (executor/journal.h), a local account built
 *         from the venue's fills (executor/account.h), the venue state word.
 *  Not:   validation and idempotency of requests (executor/exec.c), the order state rules
 *         (executor/orders.c).
 *  Rules:
 *    place    journal "I" (fsync) -> POST /v5/order/create with orderLinkId = client_id ->
 *             retCode 0: journal "A", exec.order New with the venue orderId;
 *             a refusal: journal "R", exec.order Rejected "bybit <code>: <text> (<retMsg>)";
 *             outcome unknown (timeout, transport error, 10000, 10002, 10016, 110072, 110079):
 *             nothing is re-sent; the intent stays open and the next poll asks the venue for
 *             that orderLinkId; the state becomes "reconciling" until that is resolved.
 *    poll     resolve open intents (realtime/history by orderLinkId; not found twice ->
 *             Rejected "not found on venue: never placed"), apply new executions (deduped on
 *             execId, oldest first), then each open order's status (terminal statuses only
 *             once the venue's cumExecQty equals ours), then positions (compared with the
 *             local account: differences logged and counted) and the wallet (exec.balance).
 *    start    journal records rebuild the order table (bybit_restore); state "reconciling"
 *             until the first full poll succeeds; then "running".
 *    time     GET /v5/market/time at start and every 5 min; |offset| > max_offset_ms -> "halted"
 *             (orders refused "venue halted: clock offset N ms").
 *    auth     10003/10004/10005/10010 -> "halted" (keys wrong: a human must look).
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
    const char *category;  /* "linear" */
    const char *tif;       /* "GTC" "IOC" "FOK" "PostOnly"; NULL = GTC (Limit) / none (Market) */
    int64_t trigger_px;    /* px_scale, 0 = not conditional */
    int trigger_direction; /* 1 rises, 2 falls */
    int64_t tp_px, sl_px;  /* px_scale, 0 = none */
} bybit_opts_t;

/* The JSON body of POST /v5/order/create for order request `r` on instrument `in`: qty rounded
 * DOWN to the step, prices to the tick toward the passive side (buy down, sell up; trigger and
 * TP/SL half-even). Writes NUL-terminated text. 0, or -1 with errno EINVAL (qty rounds to 0,
 * bad side/type), ENOBUFS. */
int bybit_create_body(const codec_risk_order_t *r, const instr_t *in, const bybit_opts_t *opt,
                      char *buf, size_t cap);

/* The options used for a risk request (the conditional mapping above). */
void bybit_opts_for(const codec_risk_order_t *r, bybit_opts_t *out);

/* Apply one execution (fields as the venue's strings) to the order table and the account;
 * publishes exec.fill, exec.order, exec.position when applied. Returns 1 applied, 0 duplicate
 * execId (nothing changes), -1 with errno ENOENT (no such order), EINVAL (unparsable),
 * EPROTO/ERANGE (orders_fill). Exposed for the state-machine tests. */
int bybit_apply_exec(bybit_t *self, const char *link_id, const char *exec_id, const char *px,
                     const char *qty, const char *value, const char *fee, bool maker,
                     int64_t exec_ms);

/* Apply a venue order status (orderStatus word, cumExecQty string) to order link_id. Returns
 * 1 changed, 0 nothing to do or deferred (venue cum > ours: fills not seen yet), -1 with
 * errno ENOENT/EINVAL/EPROTO. */
int bybit_apply_status(bybit_t *self, const char *link_id, const char *status, const char *cum_qty,
                       const char *order_id, const char *reason);

/* NULL with errno EINVAL (missing base_url/key/secret/journal, bad numbers), ENOMEM, or the
 * journal's open errno. Does no I/O towards the venue (the first poll does). */
bybit_t *bybit_new(const venue_cfg_t *cfg);
void bybit_destroy(bybit_t **self_p);
const venue_ops_t *bybit_ops(void);

/* Rebuild orders from the journal into the order table (call once after bybit_new, before
 * requests): each record becomes an order (Rejected for "R" records). Returns how many. */
size_t bybit_restore(bybit_t *self);

const char *bybit_state(const bybit_t *self);
uint64_t bybit_diffs(const bybit_t *self); /* reconciliation differences found */

#endif /* TP_EXEC_BYBIT_H */
