/*  step.h - replay barriers: deliver a stage's inputs in one fixed order, step by step.
 *  ARCHITECTURE.md "Event time, replay and determinism": venue-sim closes each step of event
 *  time with a barrier (sys.barrier); a stage buffers what it receives between two barriers and,
 *  once it holds barrier S from every input, delivers the step's messages sorted by
 *  (evt, input rank, seq) and then forwards barrier S on its own PUB.
 *  Feedback inputs (executor fills back to risk) lag one step: releasing step S needs barrier
 *  S-1 from them, and their messages up to that barrier are delivered first, in arrival order.
 *  Step 0 is "hello": until step 1 is released, every hello arriving from a normal input is
 *  forwarded at once, with `ready` = the incoming ready AND every input (feedback ones too) has
 *  sent at least one hello. venue-sim repeats hellos until one comes back ready through the
 *  recorder: then every SUB edge of the pipeline has carried a message, so none of the step
 *  messages can be lost to a slow joiner. Messages from an input that has not yet sent any
 *  barrier (instruments, the opening balance) are delivered at once.
 *  Restart mid-replay: a stage whose first barrier is step S > 0 with no hello before it joined
 *  late; it starts at step S (what came before is lost to it alone). A barrier that arrives
 *  again after its step was released (venue-sim re-sends one left unanswered for a second) is
 *  passed on again if it is the latest, so the restarted stage's downstream catches up too.
 *  In live mode (replay false) every message is delivered at once and barriers are ignored.
 *  Owns:  copies of buffered messages (an arena that grows to the largest step, then reused).
 *  Messages whose src is not a registered input (heartbeats of other stages, tools) are
 *  delivered at once.
 */
#ifndef TP_STEP_H
#define TP_STEP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/bus.h"
#include "common/codec.h"

typedef struct step step_t;

/* Called for each delivered message, in order. `msg->data` is valid during the call only. */
typedef void(step_deliver_fn)(const bus_msg_t *msg, void *arg);
/* Called when step `b->step` is complete (after its messages were delivered): the stage
 * publishes the barrier on its PUB (bus_publish(pub, "sys.barrier", CODEC_SYS_BARRIER, b, ...)). */
typedef void(step_barrier_fn)(const codec_sys_barrier_t *b, void *arg);

step_t *step_new(bool replay, step_deliver_fn *deliver, step_barrier_fn *barrier, void *arg);
void step_destroy(step_t **self_p);

/* Register input publisher `src` ("feed.0") with a rank (lower = earlier on equal evt; market
 * data before what it caused) and whether it is a feedback edge. 0 or -1/ENOSPC (max 16). */
int step_add_input(step_t *self, const char *src, int rank, bool feedback);

/* Also deliver, before a step's messages, the messages that arrive outside any input (e.g. an
 * order request on REP) - see step_push_local. */

/* Feed one received message. Barriers (type CODEC_SYS_BARRIER) are consumed here (from
 * msg->body when set, else decoded from msg->data). 0, or -1 with errno ENOMEM. */
int step_push(step_t *self, const bus_msg_t *msg);

/* Push a message that did not come from a SUB but belongs to input `src`'s current step (an
 * order request that arrived on the executor's REP from risk.0). Same ordering rules. */
int step_push_as(step_t *self, const char *src, const bus_msg_t *msg);

uint64_t step_released(const step_t *self); /* last step delivered (0 before any) */
bool step_ended(const step_t *self);        /* the end barrier was released */

#endif /* TP_STEP_H */
