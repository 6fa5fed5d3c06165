/*  lwsloop.h - drive a libwebsockets context from the stage's zloop (lws "external poll").
 *  Owns:  the zmq_pollitem_t registrations for the sockets lws asks us to watch, and a
 *         zloop timer that services lws's own timers (lws_service_fd(ctx, NULL)).
 *  Not:   the lws context or its protocols (the caller creates them and forwards the
 *         poll-fd callbacks here).
 *  Use:   in the lws protocol callback, first `if (lwsloop_handle(lp, wsi, reason, in)) return 0;`
 *         for LWS_CALLBACK_ADD_POLL_FD / DEL_POLL_FD / CHANGE_MODE_POLL_FD / LOCK_POLL /
 *         UNLOCK_POLL. lws never blocks the loop: every ready fd is handed to lws_service_fd.
 *  Single-threaded (the stage loop's thread).
 */
#ifndef TP_LWSLOOP_H
#define TP_LWSLOOP_H

#include <czmq.h>
#include <libwebsockets.h>

typedef struct lwsloop lwsloop_t;

/* Create for `loop` (borrowed). NULL/ENOMEM. */
lwsloop_t *lwsloop_new(zloop_t *loop);
void lwsloop_destroy(lwsloop_t **self_p);

/* Attach the context once created (borrowed; destroy the lwsloop before the context). Starts
 * the service timer (every 1 ms: accepts, connects, POLLOUT, lws timers; Debian 12 lws 4.1.6 has no
 * external-poll callbacks, see lwsloop.c). */
void lwsloop_set_context(lwsloop_t *self, struct lws_context *ctx);

/* Hooks around every service pass (everything lws has already read is handled between them):
 * the feed corks its publisher in `begin` and flushes it in `end` (bus_pub_cork: one wake-up
 * of libzmq's I/O thread per pass instead of one per message). Either may be NULL; `arg` is
 * borrowed. */
void lwsloop_set_batch(lwsloop_t *self, void (*begin)(void *arg), void (*end)(void *arg),
                       void *arg);

/* Handle a poll-fd callback. Returns 1 if `reason` was one of the poll reasons (handled), 0 if
 * the caller should handle it. */
int lwsloop_handle(lwsloop_t *self, struct lws *wsi, enum lws_callback_reasons reason, void *in);

#endif /* TP_LWSLOOP_H */
