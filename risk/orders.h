/*  orders.h - risk's side of the order REQ/REP to the executor, and client order ids.
 *  Owns:  the executor's orders endpoint, the request envelope (src, epoch, seq), retry policy.
 *  Not:   deciding orders (engine), the reply's meaning (engine).
 *  Protocol (ARCHITECTURE.md "Sockets", ZeroMQ Guide ch. 4 "Lazy Pirate"): request = one frame,
 *  codec_encode(env, CODEC_RISK_ORDER, order); reply = one frame, codec-encoded
 *  CODEC_ORDER_ACK. Each try uses a fresh REQ socket (bus_request) and waits timeout_ms; a
 *  try that times out or gets an unusable reply is followed by up to `retries` more, always
 *  with the SAME bytes (same client_id): the executor answers a repeated id with its first
 *  answer and never places twice. Worst-case block: (1 + retries) * timeout_ms.
 *  Client ids: "rk-<event ms>-<n>", n = 1, 2, ... within one event ms; at most 36 chars of
 *  [A-Za-z0-9_-] (Bybit v5 orderLinkId rule, docs/BYBIT_V5.md). Deterministic from event time.
 */
#ifndef TP_RISK_ORDERS_H
#define TP_RISK_ORDERS_H

#include <stddef.h>
#include <stdint.h>

#include "common/codec.h"

#define RISK_CID_MAX 36 /* Bybit orderLinkId max length */

/* Client id generator (plain value; zero-init is valid). */
typedef struct {
    int64_t ms; /* event ms of the last id */
    uint32_t n; /* ids made within that ms */
} risk_cid_t;

/* Next id for a decision at event time evt_ns into out[cap] (cap > RISK_CID_MAX is always
 * enough). 0, or -1/EINVAL (negative time) or ERANGE (cap too small); gen unchanged then. */
int risk_cid_next(risk_cid_t *gen, int64_t evt_ns, char *out, size_t cap);

typedef struct risk_orders risk_orders_t;

/* Sender to `endpoint` (copied) as instance `src` (copied) with publisher epoch `epoch` (ns).
 * timeout_ms >= 1, retries >= 0. NULL with errno EINVAL or ENOMEM. */
risk_orders_t *risk_orders_new(const char *endpoint, const char *src, int64_t epoch, int timeout_ms,
                               int retries);
void risk_orders_destroy(risk_orders_t **self_p);

/* Send `ord` (envelope evt/origin as given; ts = wall clock now, seq from 1) and wait for the
 * ack. Blocks up to (1 + retries) * timeout_ms. Returns 0 with *ack filled (accepted or not),
 * or -1 with errno ETIMEDOUT (no answer to any try), EPROTO (the last answer was not an ack
 * for this client_id), or EINVAL (order cannot be encoded). */
int risk_orders_send(risk_orders_t *self, const codec_risk_order_t *ord, int64_t evt,
                     int64_t origin, codec_order_ack_t *ack);

uint64_t risk_orders_tries(const risk_orders_t *self); /* requests sent, all tries */

#endif /* TP_RISK_ORDERS_H */
