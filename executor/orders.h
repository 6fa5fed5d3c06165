/*  orders.h - the order state machine and the table of orders of one executor.
 *  Owns:  every order this executor accepted (or rejected), keyed by client order id, with its
 *         status, cumulative quantity, average fill price and cumulative fee; the set of fill
 *         ids already applied (so a venue's repeated execution report changes nothing).
 *  Not:   matching (executor/paper.c), positions and money balances (executor/account.c),
 *         sockets or publishing (executor/exec.c, main.c).
 *  Units: qty, cum_qty at qty_scale; px, avg_px at px_scale; cum_value (sum px x qty) and fee
 *         at MONEY_VALUE_SCALE. avg_px = cum_value / cum_qty rounded half-even to px_scale.
 *  State machine (Bybit v5 orderStatus words, docs/v5/enum.mdx; BYBIT_V5.md section 2.10):
 *
 *      orders_add ──► New ──fill──► PartiallyFilled ──fill──► Filled
 *          │           │  └─fill (leaves 0)─────────────────► Filled
 *          │           └──────cancel──┬──► Cancelled            (derivatives; cum_qty may be > 0)
 *          │   PartiallyFilled─cancel─┘    PartiallyFilledCanceled (spot, cum_qty > 0)
 *          └──► Rejected  (orders_reject; terminal)
 *      conditional (order_set_status, as the venue reports it):
 *          Untriggered ──► Triggered ──► New ... (as above);  Untriggered ──► Cancelled /
 * Deactivated venue refusal after our acceptance: New (cum 0) ──order_reject──► Rejected
 *  Transitions are done only by order_fill / order_cancel / orders_reject and are checked:
 *  a fill or cancel on a closed order is EPROTO and changes nothing.
 *  Invariants, asserted by orders_check():
 *    (1) unless Rejected: qty > 0 and 0 <= cum_qty <= qty
 *    (2) status Filled <=> cum_qty == qty; New => cum_qty == 0;
 *        PartiallyFilled and PartiallyFilledCanceled => 0 < cum_qty < qty
 *    (3) cum_qty == 0 => cum_value == 0 and avg_px == 0
 *    (4) n_fills > 0 <=> cum_qty > 0
 */
#ifndef TP_EXEC_ORDERS_H
#define TP_EXEC_ORDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/codec.h"

typedef enum {
    ORDER_NEW = 0,
    ORDER_PARTIALLY_FILLED,
    ORDER_FILLED,
    ORDER_CANCELLED,
    ORDER_PARTIALLY_FILLED_CANCELED,
    ORDER_REJECTED,
    ORDER_UNTRIGGERED, /* conditional order waiting for its trigger */
    ORDER_TRIGGERED,   /* transient: the trigger was reached (paper: then New) */
    ORDER_DEACTIVATED, /* spot conditional / TP/SL closed without fills (live venue) */
    ORDER_STATUS_COUNT
} order_status_t;

/* One order. Fields are read freely; they change only through the functions below. */
typedef struct {
    codec_risk_order_t req;      /* the request as risk sent it (qty, px, side, type, scales) */
    char order_id[CODEC_ID_MAX]; /* our venue order id ("paper-<n>" on the paper venue) */
    char category[16];           /* instrument category ("linear", "spot", ...) */
    bool spot;                   /* cancel with fills -> PartiallyFilledCanceled */
    order_status_t status;
    int64_t cum_qty;                    /* qty_scale */
    int64_t cum_value;                  /* sum of px x qty of the fills, MONEY_VALUE_SCALE */
    int64_t avg_px;                     /* px_scale, half-even; 0 before the first fill */
    int64_t fee;                        /* cumulative, MONEY_VALUE_SCALE, positive = paid */
    uint32_t n_fills;                   /* fills applied (also the next paper fill id number - 1) */
    bool sent;                          /* handed to the venue / Rejected published (exec.c) */
    int64_t origin;                     /* origin of the request envelope (propagated to outputs) */
    char reject_reason[CODEC_TEXT_MAX]; /* why Rejected or Cancelled, "" if none */
} order_t;

typedef struct orders orders_t;

/* Bybit word for a status ("New", "PartiallyFilledCanceled"). Static string. */
const char *order_status_name(order_status_t st);

/* True for New, PartiallyFilled, Untriggered, Triggered (the order can still fill). */
bool order_is_open(const order_t *o);

/* Quantity still to fill (qty - cum_qty), qty_scale. */
int64_t order_leaves(const order_t *o);

/* Fill `o` with qty at px. `fee` (MONEY_VALUE_SCALE) adds to the cumulative fee; `notional`
 * (px x qty at MONEY_VALUE_SCALE, computed by the caller) adds to cum_value.
 * Status becomes PartiallyFilled or Filled. Returns 0, or -1 with errno
 *   EPROTO  the order is closed (Filled, Cancelled, ..., Rejected); nothing changes
 *   EINVAL  qty <= 0 or qty > leaves, px <= 0; nothing changes
 *   ERANGE  overflow of cum_value or fee; nothing changes
 * This function does not deduplicate fill ids: use orders_fill (which does). */
int order_fill(order_t *o, int64_t px, int64_t qty, int64_t notional, int64_t fee);

/* Cancel the rest of an open order: Cancelled, or PartiallyFilledCanceled when o->spot and
 * cum_qty > 0. `reason` may be NULL. 0, or -1/EPROTO if the order is closed. */
int order_cancel(order_t *o, const char *reason);

/* The venue refused an order that was New (cum_qty 0): Rejected with reason. 0, or
 * -1/EPROTO (not New or already filled). */
int order_reject(order_t *o, const char *reason);

/* A status the venue reported that fills do not drive: Untriggered, Triggered, New (after
 * Triggered), Deactivated, Cancelled/PartiallyFilledCanceled (as order_cancel). 0, or -1 with
 * errno EPROTO (the order is closed, or Untriggered/Triggered after a fill), EINVAL (Filled,
 * PartiallyFilled or Rejected: those come from fills / order_reject). */
int order_set_status(order_t *o, order_status_t st, const char *reason);

/* Change the quantity of an open order (Bybit amend; the paper venue resizes an attached
 * TP/SL to the whole position when it triggers). qty_scale. 0, or -1 with errno EPROTO (the
 * order is closed), EINVAL (qty <= cum_qty: a filled part cannot be taken back, and an amend
 * to exactly cum_qty would be a fill without a fill). */
int order_set_qty(order_t *o, int64_t qty);

/* Parse a Bybit orderStatus word. 0, or -1/EINVAL. */
int order_status_parse(const char *word, order_status_t *out);

/* Fill the exec.order body for `o`, with ts_event. */
void order_to_exec(const order_t *o, int64_t ts_event, codec_exec_order_t *out);

/* Empty table. NULL with errno ENOMEM. Caller owns; orders_destroy. */
orders_t *orders_new(void);
void orders_destroy(orders_t **self_p);

/* Add a new order from request `req` (copied) as New. `category` may be NULL ("").
 * Returns the order (borrowed, valid until orders_destroy; the table never removes orders),
 * or NULL with errno EEXIST (client_id already in the table), EINVAL (empty client_id, or qty
 * <= 0), ENOMEM. The order id is "<prefix>-<n>", n counting from 1. */
order_t *orders_add(orders_t *self, const codec_risk_order_t *req, const char *category, bool spot,
                    int64_t origin, const char *id_prefix);

/* As orders_add, but the order is created in state Rejected with `reason`. */
order_t *orders_reject(orders_t *self, const codec_risk_order_t *req, const char *reason,
                       int64_t origin, const char *id_prefix);

/* The order with this client id, or NULL. */
order_t *orders_get(const orders_t *self, const char *client_id);

/* Apply a fill identified by `fill_id` (the venue's execId) to the order `client_id`.
 * Returns 0, or -1 with errno
 *   ENOENT    no such order
 *   EALREADY  fill_id was applied before: ignored, nothing changes
 *   EPROTO, EINVAL, ERANGE  as order_fill; the fill id is not recorded */
int orders_fill(orders_t *self, const char *client_id, const char *fill_id, int64_t px, int64_t qty,
                int64_t notional, int64_t fee);

size_t orders_count(const orders_t *self);      /* orders in the table, any status */
size_t orders_open_count(const orders_t *self); /* open ones */
size_t orders_fill_count(const orders_t *self); /* distinct fills applied */

/* The open orders not handed to a venue yet (sent == false: accepted by the intake, waiting
 * in the step), in client id order, at most `max` into out (borrowed). Returns how many
 * there are (may exceed max). */
size_t orders_unsent(const orders_t *self, order_t **out, size_t max);

/* Asserts invariants (1)-(4) of every order. Tests, TP_DEBUG. */
void orders_check(const orders_t *self);

#endif /* TP_EXEC_ORDERS_H */
