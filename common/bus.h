/*  bus.h - ZeroMQ PUB/SUB with the codec envelope: publish with sequence numbers, receive
 *  with per-publisher gap counting.
 *  Owns:  the sockets (czmq zsock_t), the publisher's sequence, a receive buffer, and a table
 *         of the publishers seen by a subscriber (src, epoch, last seq, gaps).
 *  Not:   the poll loop (stage.h), ordering across publishers (step.h).
 *  Gap rule: per (src, epoch) a subscriber expects seq+1; a jump of k counts k-1 missing
 *  messages (bus_msg_t.gap). The first message seen from a (src, epoch) is never a gap
 *  (messages before we connected are not ours to miss); a new epoch means the publisher
 *  restarted and resets the count base. Gaps are counted only by a subscriber that takes
 *  everything (prefix ""): with a topic filter, sequence jumps are the filter's doing.
 *  Errors: constructors return NULL with errno, after logging "cannot bind <endpoint>: <why>".
 */
#ifndef TP_BUS_H
#define TP_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "common/codec.h"

#define BUS_TOPIC_MAX 128

typedef struct bus_pub bus_pub_t;

/* Bind a PUB on `endpoint` for publisher instance `src` ("feed.0"). `sndhwm` 0 = default
 * (100000). For ipc:// endpoints the directory must exist. */
bus_pub_t *bus_pub_new(const char *endpoint, const char *src, int sndhwm);
void bus_pub_destroy(bus_pub_t **self_p);

/* Encode and send one message: topic frame, then envelope+body (corked: append to the batch).
 * Assigns seq (from 1), ts (wall clock now), epoch (publisher start). `evt` = event time ns,
 * `origin` = local receive time ns of the md event that caused it (0 if none). Never blocks (PUB
 * drops at HWM). 0, or -1 with errno from codec_encode or zmq. */
int bus_publish(bus_pub_t *self, const char *topic, codec_type_t type, const void *body,
                int64_t evt, int64_t origin);

/* Smart batching. Between bus_pub_cork() and bus_pub_flush(), bus_publish() encodes into an
 * in-memory batch (in publish order, seq assigned at publish) instead of handing each message
 * to libzmq; bus_pub_flush() hands the whole batch over back to back and uncorks. libzmq's
 * I/O thread is then woken once per batch instead of once per message: a wake-up is most of
 * the cost of a publish on this class of machine (bench_feed prints both). A batch never
 * waits for input that has not arrived: the feed corks around one WebSocket service pass
 * (frames already received) and flushes at its end; a batch that reaches BUS_BATCH_MAX
 * messages or BUS_BATCH_BYTES flushes itself. Nesting is not counted: cork on a corked
 * publisher is a no-op. bus_pub_flush: 0, or -1 with errno from zmq if a message could not
 * be handed over (the rest are still sent); uncorked and empty afterwards either way. */
#define BUS_BATCH_MAX   64
#define BUS_BATCH_BYTES (256 * 1024)
void bus_pub_cork(bus_pub_t *self);
int bus_pub_flush(bus_pub_t *self);
bool bus_pub_corked(const bus_pub_t *self);

uint64_t bus_pub_seq(const bus_pub_t *self); /* last seq used */
int64_t bus_pub_epoch(const bus_pub_t *self);
const char *bus_pub_src(const bus_pub_t *self);

/* One received message. `data` is borrowed until the next bus_sub_recv on the same sub. */
typedef struct {
    char topic[BUS_TOPIC_MAX];
    codec_type_t type;
    codec_env_t env;
    const uint8_t *data; /* the encoded envelope+body */
    size_t len;
    uint64_t gap; /* messages missing before this one from the same publisher */
    /* The decoded body (the codec_body_t member of `type`), or NULL. Only an in-process
     * transport sets it (tools/backtest/xbus.c: then data/len may be empty); bus_sub_recv
     * sets NULL. Readers that take it (engine_on_body, risk_engine_on_body, exec_*_body)
     * decode `data` when it is NULL. Borrowed, valid as long as `data`. */
    const void *body;
} bus_msg_t;

typedef struct bus_sub bus_sub_t;

/* A SUB socket. rcvhwm 0 = default (1000000). */
bus_sub_t *bus_sub_new(int rcvhwm);
void bus_sub_destroy(bus_sub_t **self_p);
/* Connect to a publisher endpoint (may be called several times). 0 or -1 (logged). */
int bus_sub_connect(bus_sub_t *self, const char *endpoint);
/* Subscribe to a topic prefix ("" = everything). */
int bus_sub_subscribe(bus_sub_t *self, const char *prefix);
zsock_t *bus_sub_sock(bus_sub_t *self);

/* Receive one message without blocking. 0 = got one; -1/EAGAIN none waiting; -1/EPROTO a
 * malformed message (counted in bus_sub_bad, skipped). */
int bus_sub_recv(bus_sub_t *self, bus_msg_t *msg);

uint64_t bus_sub_received(const bus_sub_t *self);
uint64_t bus_sub_gaps(const bus_sub_t *self); /* total missing messages over all publishers */
uint64_t bus_sub_bad(const bus_sub_t *self);

/* REQ/REP helpers for control and orders. A request is one frame; so is the reply. */

/* Send `req` (len bytes) on a fresh REQ to `endpoint`, wait up to timeout_ms for one reply
 * frame. Returns a malloc'd reply (NUL-terminated, *len set; caller frees) or NULL with errno
 * ETIMEDOUT (no answer in time) or the zmq error. Lazy Pirate style: a timed-out socket is
 * closed, never reused. */
char *bus_request(const char *endpoint, const void *req, size_t len, int timeout_ms,
                  size_t *reply_len);

#endif /* TP_BUS_H */
