/*  server.h - the gateway's HTTP server (libmicrohttpd): the JSON API under /api/v1, the
 *  Server-Sent Events stream, /metrics, and the dashboard at "/" (docs/api.md, docs/gateway.md).
 *  Owns:  the libmicrohttpd daemon and its one thread, a mutex guarding the view and the event
 *         ring (shared with the stage loop), the queue of operator actions to publish, a pipe
 *         that wakes the stage loop when an action is queued.
 *  Not:   the view, the ring, the tokens, the config (borrowed; they outlive the server).
 *  Threads: this module runs one thread besides the stage loop: libmicrohttpd's polling thread
 *  answers every request (a control request waits there for the stage's answer, never in the
 *  stage loop). The stage loop takes the lock around view_add / ring_push (server_lock), and
 *  publishes queued actions (server_take_action) when server_wake_fd is readable.
 *  Status codes: 200, 400 (bad query or body, with {"error":...}), 401 no or malformed token,
 *  403 wrong token or a read token on control, 404 unknown path, 405 wrong method, 409 the stage
 *  refused ({"ok":false}, its answer as the body), 413 body too large, 429 control rate limit,
 *  503 /ready not ready, 504 a stage did not answer.
 */
#ifndef TP_GATEWAY_SERVER_H
#define TP_GATEWAY_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/codec.h"
#include "gateway/auth.h"
#include "gateway/config.h"
#include "gateway/ring.h"
#include "gateway/view.h"

typedef struct server server_t;

typedef struct {
    cfg_t *cfg; /* the config the stage started with; the server thread only reads it
                   (endpoints, recorder.db), as the stage loop does; a reload never changes it */
    const gateway_config_t *gc; /* the gateway's section */
    const char *instance;       /* "gateway.0" */
    const char *run_id;         /* the run's id, shown in status */
    view_t *view;               /* guarded by the server's lock */
    ring_t *ring;               /* guarded by the server's lock */
    const auth_t *auth;         /* read only */
    const char *static_dir;     /* where chart.js is ("/usr/share/javascript/chart.js") */
} server_deps_t;

/* Start the daemon on gc->bind:gc->port (0 = a free port the kernel chooses; read it with
 * server_port). NULL with errno and a reason in err[errlen] ("cannot bind 127.0.0.1:8080:
 * Address already in use", "cannot read tls_key ...: ..."). */
server_t *server_new(const server_deps_t *deps, char *err, size_t errlen);
void server_destroy(server_t **self_p);

int server_port(const server_t *self); /* the TCP port it listens on */

/* The lock around the view and the ring, for the stage loop. */
void server_lock(server_t *self);
void server_unlock(server_t *self);

/* New events are in the ring (call unlocked): wake the SSE clients waiting for them. Also
 * called once a second by the stage loop so that a client whose heartbeat is due gets it. */
void server_notify(server_t *self);

/* A file descriptor that becomes readable when an operator action is queued. */
int server_wake_fd(const server_t *self);

/* Take the oldest queued action into *out (drains the wake pipe). 0, or -1 when none. */
int server_take_action(server_t *self, codec_gw_action_t *out);

/* Counters for /metrics and status: requests answered by status class, SSE clients now. */
typedef struct {
    uint64_t req_2xx, req_4xx, req_5xx, control_calls, control_refused, sse_clients;
} server_stats_t;
void server_stats(server_t *self, server_stats_t *out);

#endif /* TP_GATEWAY_SERVER_H */
