/*  xbus.h - the in-process stand-in for the ZeroMQ bus of common/bus.h: publishers with the
 *  same envelope (src, epoch, seq from 1, ts, origin, evt), subscriptions by publisher and
 *  topic prefix, and delivery in publish order through one FIFO queue.
 *  Decoded handoff: a message is handed over as its decoded body (bus_msg_t.body, a copy of
 *  the struct the publisher passed, shared by every receiver, refcounted) with empty bytes
 *  (data/len 0): nothing is encoded or decoded between engines (barriers included: step_t
 *  takes msg->body). Encoded bytes (and body NULL) only for a body whose topic names another
 *  type than the one published (receivers decode by the topic's type, as bus_sub_recv types
 *  it), and for every message after xbus_set_encode(bus, true). A receiver that keeps a message (a
 *  step_t buffer) releases it with xbus_release once it is done with it.
 *  Owns:  the publishers, the subscriptions, the queue (an arena of encoded messages that
 *         grows to the largest burst, then is reused), the body blocks (a free list).
 *  Not:   ordering across publishers (each receiver runs its own step_t, common/step.h, exactly
 *         as a stage does), the engines.
 *  Semantics kept from the bus: per publisher, a subscriber receives what it subscribed to in
 *  publish order, never twice, never lost (the in-process queue has no high-water mark, so
 *  bus_msg_t.gap is always 0); a publish never calls a receiver (it is queued, like a send on
 *  a PUB socket), so a receiver may publish from inside its callback; xbus_run delivers the
 *  queue, including what receivers publish meanwhile, until it is empty. The receiver sees a
 *  bus_msg_t as bus_sub_recv fills it (topic, type, decoded envelope) with the body decoded
 *  instead of the bytes; the stage modules take it through their *_body entry points
 *  (engine_on_body, risk_engine_on_body, exec_observe_body, exec_deliver_body).
 *  Single-threaded.
 */
#ifndef TP_XBUS_H
#define TP_XBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bus.h"
#include "common/codec.h"

typedef struct xbus xbus_t;
typedef struct xbus_pub xbus_pub_t;

/* A receiver. `msg` (and msg->data) is valid during the call only. */
typedef void(xbus_recv_fn)(const bus_msg_t *msg, void *arg);

/* A new empty bus. NULL with errno ENOMEM. */
xbus_t *xbus_new(void);
void xbus_destroy(xbus_t **self_p);

/* The publisher `src` ("feed.0"; at most CODEC_SRC_MAX-1 bytes) with start time `epoch_ns`,
 * created on first call, owned by the bus. NULL with errno ENOSPC (more than 32 publishers)
 * or EINVAL (src empty or too long). */
xbus_pub_t *xbus_pub(xbus_t *self, const char *src, int64_t epoch_ns);

/* Subscribe `fn` to what `from` publishes under topic `prefix` ("" = everything). Subscriptions
 * of one receiver to several publishers are served in publish order across them. 0, or -1
 * with errno ENOSPC (more than 128 subscriptions) or EINVAL. */
int xbus_sub(xbus_t *self, const xbus_pub_t *from, const char *prefix, xbus_recv_fn *fn, void *arg);

/* Queue one message for every matching subscription, with the envelope bus_publish gives it:
 * seq (from 1), ts (wall clock now: a wall-clock column, as in the group), epoch, `evt`
 * (event time, ns), `origin` (ns, 0 if none). The body (the codec_body_t member of `type`) is
 * copied once for all receivers; encoded only as said above. 0, or -1 with errno from
 * codec_encode (ENOBUFS, EINVAL: only when encoded) or ENOMEM; seq is not consumed on failure. */
int xbus_publish(xbus_pub_t *self, const char *topic, codec_type_t type, const void *body,
                 int64_t evt, int64_t origin);

uint64_t xbus_pub_seq(const xbus_pub_t *self);       /* last seq used */
uint64_t xbus_pub_published(const xbus_pub_t *self); /* messages published, barriers aside */
int64_t xbus_pub_epoch(const xbus_pub_t *self);
const char *xbus_pub_src(const xbus_pub_t *self);

/* Deliver queued messages in queue order until the queue is empty (what receivers publish
 * during the calls is queued behind and delivered too). Returns the number delivered; 0 when
 * called from inside a receiver (the outer call goes on delivering). */
uint64_t xbus_run(xbus_t *self);

/* Encode every message (true), as a ZeroMQ bus would: for a check of the decoded handoff
 * against the encoded one. Default false. */
void xbus_set_encode(xbus_t *self, bool all);

/* Release a receiver's hold on msg->body (no-op when NULL): every delivered message's body
 * is held once per receiving subscription until released; the block is reused after the
 * last release. A receiver that is done with the message at once releases it in its
 * callback; one that buffers it (step_t) releases it when it is delivered from the buffer. */
void xbus_release(xbus_t *self, const bus_msg_t *msg);

/* Body blocks held (not yet released): 0 once every receiver released what it got. */
uint64_t xbus_live_bodies(const xbus_t *self);

/* Messages queued and not yet delivered. */
size_t xbus_pending(const xbus_t *self);

#endif /* TP_XBUS_H */
