/*  conn.h - WebSocket client connections (libwebsockets) driven from the stage's zloop via
 *  common/lwsloop: connect, send text, receive whole text messages, ping on a schedule,
 *  reconnect with exponential backoff and jitter after a close or an error.
 *  Owns:  conn_ctx_t: the lws context, the lwsloop, a 100 ms zloop timer for connects and
 *         pings. conn_t: one connection's URL, its state, a receive buffer (grows to the
 *         largest message, at most CONN_MAX_MSG) and a queue of text messages to send.
 *  Not:   what the frames mean (the handler), subscriptions (feed/session.c).
 *  State machine (docs/feed.md):
 *     IDLE --conn_start--> CONNECTING --established--> UP --close/error--> WAIT
 *     CONNECTING --error--> WAIT --backoff elapsed--> CONNECTING (counted in reconnects)
 *  Backoff: 0.5 s x 2^(attempt-1), capped at 30 s, then a uniform jitter in [delay/2, delay].
 *         `attempt` counts the closes and failures since the connection last proved good:
 *         UP, and a message arrived that the handler did not answer with conn_drop. Being UP
 *         alone does not reset it: a server that accepts and then refuses (a wrong key, a
 *         refused subscribe, a close before any data) is retried ever more slowly, not every
 *         0.25-0.5 s.
 *  Times: mono clock ns for schedules; frames are stamped with the wall clock at receive.
 *  Single-threaded (the stage loop's thread).
 */
#ifndef TP_CONN_H
#define TP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#define CONN_MAX            16
#define CONN_MAX_MSG        (16u << 20) /* largest text message accepted, bytes */
#define CONN_URL_MAX        1024
#define CONN_BACKOFF_MIN_MS 500
#define CONN_BACKOFF_MAX_MS 30000

typedef struct conn_ctx conn_ctx_t;
typedef struct conn conn_t;

typedef struct {
    void (*open)(conn_t *c, void *arg); /* established: subscribe here */
    /* one whole text message; `text` is borrowed for the call (not NUL-terminated) */
    void (*frame)(conn_t *c, const char *text, size_t len, int64_t recv_ns, void *arg);
    void (*close)(conn_t *c, const char *reason, void *arg); /* an UP connection went down */
    void (*tick)(conn_t *c, void *arg); /* every 100 ms (retries of REST calls and the like) */
    void *arg;
} conn_handler_t;

/* Create the lws context for up to CONN_MAX connections in `loop` (borrowed). NULL with errno
 * (ENOMEM, EIO: lws could not create its context). */
conn_ctx_t *conn_ctx_new(zloop_t *loop);
/* A context whose connections never connect (no libwebsockets context, no loop, no tick): for
 * sessions that are fed frames in process (tools/backtest, session_open_offline). conn_start
 * and conn_send on its connections do nothing / fail with ENOTCONN. NULL/ENOMEM. */
conn_ctx_t *conn_ctx_new_offline(void);
/* Hooks around each WebSocket service pass (lwsloop_set_batch). */
void conn_ctx_set_batch(conn_ctx_t *self, void (*begin)(void *arg), void (*end)(void *arg),
                        void *arg);
/* Replay: every connection sends `run_id` (copied; the group's, common/runid.h) in the
 * upgrade request header X-Tradepipe-Run and accepts the server only if it answers with the
 * same id in its X-Tradepipe-Run response header (venue-sim of this run). Another id, or none,
 * is refused with one error line naming both ids and the URL; that connection is not retried
 * and the context's timer stops the loop (conn_ctx_refused then says why). NULL or "" = no
 * check (live: real exchanges send no such header). */
void conn_ctx_expect_run(conn_ctx_t *self, const char *run_id);
/* Why a server was refused (conn_ctx_expect_run), "" if none. Borrowed. */
const char *conn_ctx_refused(const conn_ctx_t *self);
/* Closes every connection (no handler calls), destroys the context. Destroy the conns after. */
void conn_ctx_destroy(conn_ctx_t **self_p);

/* A connection to `url` (ws:// or wss://; copied), named `label` in logs. ping_s > 0 sends
 * `ping_text` (copied) every ping_s seconds while UP. `h` copied. NULL/EINVAL (bad URL, too
 * many connections) or ENOMEM. */
conn_t *conn_new(conn_ctx_t *ctx, const char *label, const char *url, int ping_s,
                 const char *ping_text, const conn_handler_t *h);
void conn_destroy(conn_t **self_p);

/* Connect now (IDLE), or as soon as the backoff allows. */
void conn_start(conn_t *self);

/* Queue one text message (copied). 0, or -1 with errno ENOTCONN (not UP), ENOBUFS (queue full:
 * 64 messages) or ENOMEM. */
int conn_send(conn_t *self, const char *text, size_t len);

/* Drop the connection (handler.close follows from the loop) and reconnect after the backoff. */
void conn_drop(conn_t *self, const char *why);

/* Silent-connection timeout: an UP connection that received nothing (no frame, no pong) for
 * silent_ms is dropped (reason "silent for N ms") and reconnects after the backoff. 0 = off
 * (the default). */
void conn_set_silent(conn_t *self, int64_t silent_ms);
/* Mono ns since the last received message (or since UP); -1 when not UP. */
int64_t conn_idle_ns(const conn_t *self);
int64_t conn_silent_drops(const conn_t *self); /* drops for silence so far */

bool conn_up(const conn_t *self);
const char *conn_label(const conn_t *self);
const char *conn_url(const conn_t *self);
int64_t conn_reconnects(const conn_t *self); /* connect attempts after the first */

#endif /* TP_CONN_H */
