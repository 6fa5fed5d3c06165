/*  rep.h - the executor's order REP socket: one request frame in, one answer frame out.
 *  Owns:  the REP socket (czmq zsock_t).
 *  Not:   validation or idempotency (executor/exec.c), ordering (common/step.h).
 *  Each request is answered at once (exec_request); a request that must be executed is then
 *  pushed into the step as if it came from input `push_as` ("risk.0"), so it is matched in
 *  step order (replay) or straight away (live: the step passes it through).
 */
#ifndef TP_EXEC_REP_H
#define TP_EXEC_REP_H

#include <czmq.h>

#include "common/step.h"
#include "executor/exec.h"

typedef struct exec_rep exec_rep_t;

/* Bind a REP at `endpoint`. `exec` and `step` are borrowed and must outlive it; `step` NULL
 * means deliver straight to exec_deliver. Returns NULL with errno after logging
 * "cannot bind <endpoint>: <why>" (the caller exits 3), or ENOMEM/EINVAL. */
exec_rep_t *exec_rep_new(const char *endpoint, exec_t *exec, step_t *step, const char *push_as);
void exec_rep_destroy(exec_rep_t **self_p);

zsock_t *exec_rep_sock(exec_rep_t *self); /* for zloop_reader / polling */

/* Receive one request (blocks if none is waiting: call when the socket is readable), answer
 * it, push it into the step when exec_request says so. 0, or -1 with errno (EINTR/ETERM on
 * shutdown; EAGAIN when the receive timed out). Extra frames of a request are ignored. */
int exec_rep_handle(exec_rep_t *self);

#endif /* TP_EXEC_REP_H */
