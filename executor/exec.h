/*  exec.h - the executor's intake: validates order requests, answers them once per client id,
 *  and hands accepted orders and market data to the venue in step order.
 *  Owns:  the instrument table (from md.instrument), the latest md event time seen, the table
 *         client_id -> first encoded answer (idempotency), the order table (executor/orders.h)
 *         and the venue (executor/venue.h).
 *  Not:   sockets (executor/rep.c answers the REP, main.c runs the SUBs and the step).
 *  Flow:  request on REP -> exec_request (validate, remember the answer, return it at once)
 *         -> the request is pushed into the step (step_push_as "risk.0") -> exec_deliver in
 *         step order -> venue place (accepted) or exec.order "Rejected" (refused).
 *         A repeated client id gets the stored answer byte for byte and is never pushed again.
 *  Validation, in order (reason text in the ack): "malformed request", "missing client_id",
 *  "client_id too long" (> 36, Bybit orderLinkId), "bad side", "bad order type",
 *  "unknown instrument", "scale mismatch", "qty must be > 0", "qty not on step",
 *  "qty below min_qty", "price not on tick" (limit: px > 0 and on the tick), "expired"
 *  (ttl_ns > 0 and ts_event + ttl_ns < latest md event time received).
 *  Stop moves (intent "move_stop", venue.h VENUE_MOVE_STOP): checked by side, instrument,
 *  scales and a stop on the tick (no quantity rules), answered and remembered like an order,
 *  pushed into the step, then handed to the venue's move_stop once; never in the order table
 *  and never an exec.order.
 *  Invariants: (1) every client id in the answer table is also in the order table (accepted
 *  as New, refused as Rejected), except stop moves; (2) an order is handed to the venue at
 *  most once (o->sent), a stop move too (its answer's flag).
 */
#ifndef TP_EXEC_EXEC_H
#define TP_EXEC_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/bus.h"
#include "common/instr.h"
#include "executor/orders.h"
#include "executor/paper.h"
#include "executor/venue.h"

#define EXEC_CLIENT_ID_MAX 36 /* Bybit v5 orderLinkId: max 36 characters */

typedef struct exec exec_t;

typedef struct {
    const char *instance; /* "executor.0": src of the ack envelope (copied) */
    int64_t epoch_ns;     /* ack envelope epoch (process start, wall clock) */
    venue_cfg_t venue;    /* name, account and fee settings; orders/emit are set by exec_new */
    paper_rules_t paper;  /* paper venue only: trigger source, latency (zero = defaults) */
} exec_cfg_t;

typedef struct {
    int64_t orders;     /* accepted requests */
    int64_t rejects;    /* refused requests (first answers only) */
    int64_t duplicates; /* repeated client ids answered from the table */
    int64_t bad;        /* malformed requests or md bodies, skipped */
    int64_t stop_moves; /* accepted stop moves (intent "move_stop": not orders) */
} exec_counts_t;

/* New intake with its order table and venue. `emit` publishes outputs (borrowed).
 * NULL with errno EINVAL (bad cfg, unknown venue, bad paper rules) or ENOMEM. */
exec_t *exec_new(const exec_cfg_t *cfg, venue_emit_fn *emit, void *emit_arg);
void exec_destroy(exec_t **self_p);

/* A message just received on a SUB, before the step: md.instrument fills the instrument
 * table, every md.* advances the latest md event time (for the ttl check). */
void exec_observe(exec_t *self, const bus_msg_t *msg);

/* exec_observe with the body already decoded: `body` (borrowed; the codec_body_t member of
 * msg->type) instead of decoding msg->data, which may then be empty; NULL decodes as
 * exec_observe does. For an in-process transport (tools/backtest). */
void exec_observe_body(exec_t *self, const bus_msg_t *msg, const codec_body_t *body);

/* Add or replace an instrument directly (tests, config). 0 or -1/ENOSPC|EINVAL. */
int exec_put_instrument(exec_t *self, const instr_t *in);

/* Answer one order request (`req`, `len` bytes: codec-encoded CODEC_RISK_ORDER). `now_ns`
 * is the wall clock for the answer's envelope ts only. *reply and *reply_len get the encoded
 * CODEC_ORDER_ACK (borrowed: valid until the next exec_request or exec_destroy).
 * Returns 1 when the request is new and must be pushed into the step (then *push is filled,
 * its data borrowed from `req`), 0 when it must not (duplicate or unusable), -1 with errno
 * ENOMEM/ENOBUFS when no answer could be made (the caller answers "internal error"). */
int exec_request(exec_t *self, const uint8_t *req, size_t len, int64_t now_ns,
                 const uint8_t **reply, size_t *reply_len, bus_msg_t *push);

/* A message delivered by the step, in step order: md.book/trade/kline to the venue (and
 * md.ticker to the paper venue: its mark price triggers), order requests to the venue
 * (accepted) or published as Rejected. Others are ignored. */
void exec_deliver(exec_t *self, const bus_msg_t *msg);

/* exec_deliver with the body already decoded (as exec_observe_body): the same code after the
 * decode. NULL decodes msg->data as exec_deliver does. */
void exec_deliver_body(exec_t *self, const bus_msg_t *msg, const codec_body_t *body);

/* A released barrier, before the stage forwards it (the paper venue publishes exec.balance
 * and exec.status.paper "running" on the hello step). */
void exec_barrier(exec_t *self, const codec_sys_barrier_t *b);

/* New paper matching rules while running (`ctl reload` of executor.paper_trigger_by /
 * paper_latency_ms): paper_set_rules, so orders placed from now on get the new latency and
 * every untriggered order is judged by the new trigger source from the next price; working
 * orders keep their active time. Other venues ignore the rules: 0 and nothing done.
 * 0, or -1/EINVAL (bad rules; nothing changed). */
int exec_set_paper_rules(exec_t *self, const paper_rules_t *rules);

/* Status fields: orders, open_orders, fills, "paper_rules" {"trigger_by","latency_ms"} (paper
 * venue), and the venue's (positions, equity, ...). */
void exec_status(exec_t *self, json_t *out);

const exec_counts_t *exec_counts(const exec_t *self);
orders_t *exec_orders(exec_t *self);
const venue_t *exec_venue(const exec_t *self);
int64_t exec_md_time(const exec_t *self); /* latest md event time received, ns (0 = none) */

/* Live venues: queries and reconciliation (venue_ops_t.poll); no-op for paper. */
void exec_poll(exec_t *self);

/* Operator command for the venue (venue_ops_t.control). 0 answered, -1 unknown. */
int exec_control(exec_t *self, const char *cmd, json_t *reply);

/* The venue's state word: "running" (paper always), "reconciling", "halted". */
const char *exec_venue_state(const exec_t *self);

#endif /* TP_EXEC_EXEC_H */
