/*  gate.h - the feed's replay gate: hold received frames until venue-sim's barrier says how
 *  many frames of each connection belong to the step, then release them in a fixed order.
 *  ARCHITECTURE.md "Event time, replay and determinism"; docs/feed.md "Replay gate".
 *  A barrier (sys.barrier from venue-sim.0) carries, per connection label, the number of text
 *  frames venue-sim has sent on that connection so far. Barrier S is released once, for every
 *  connection of ours whose label the barrier lists, we have received at least that many
 *  frames: then the frames up to those counts are handed to `frame_fn` connection by
 *  connection in configuration order (deterministic whatever the arrival interleaving), the
 *  frames of connections the barrier does not list are handed over as received, and
 *  `barrier_fn` is called (the caller forwards the barrier). Barriers are released in arrival
 *  order; later ones wait behind an unreleased one.
 *  Counts are taken as cumulative per label over the whole run, reconnects included.
 *  Step 0 ("hello") is never queued: the frames it covers that have arrived are released and
 *  `barrier_fn` is called at once (the caller forwards it only when ready).
 *  Owns:  copies of held frames (per connection, grows to the largest step, then reused) and
 *         up to GATE_MAX_PENDING barriers.
 *  Single-threaded.
 */
#ifndef TP_GATE_H
#define TP_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/codec.h"

#define GATE_MAX_CONNS   16
#define GATE_MAX_PENDING 64

typedef struct gate gate_t;

/* Frame `text[len]` of connection index `conn` (borrowed for the call). */
typedef void(gate_frame_fn)(size_t conn, const char *text, size_t len, int64_t recv_ns, void *arg);
/* All frames of barrier `b` were handed over. */
typedef void(gate_barrier_fn)(const codec_sys_barrier_t *b, void *arg);

/* `labels[n]` (copied) are our connections in configuration order. NULL/EINVAL or ENOMEM. */
gate_t *gate_new(size_t n, const char *const *labels, gate_frame_fn *frame_fn,
                 gate_barrier_fn *barrier_fn, void *arg);
void gate_destroy(gate_t **self_p);

/* Hold one received frame (copied), then release what became releasable. 0, or -1/ENOMEM
 * (the frame is lost: counted in gate_lost). */
int gate_push(gate_t *self, size_t conn, const char *text, size_t len, int64_t recv_ns);

/* A barrier arrived. 0, or -1/ENOSPC (GATE_MAX_PENDING barriers already wait: dropped). */
int gate_barrier(gate_t *self, const codec_sys_barrier_t *b);

uint64_t gate_received(const gate_t *self, size_t conn); /* frames received on conn so far */
size_t gate_pending(const gate_t *self);                 /* barriers waiting */
uint64_t gate_lost(const gate_t *self);

#endif /* TP_GATE_H */
