/*  server.h - venue-sim's one libwebsockets server: Bybit v5 public WS, Binance combined
 *  streams, and the REST bodies, on one port of 127.0.0.1, driven by the stage's zloop
 *  (common/lwsloop).
 *  Owns:  the lws context, every connection (its subscriptions, its queue of frames not yet
 *         written, its rx buffer), the label table with per-label frame counts.
 *  Not:   what to send when (main.c's replay control calls server_send per step), the frames'
 *         text (borrowed from source.h).
 *  URLs (docs/venue-sim.md):
 *    ws  /v5/public/linear?replay_conn=<label>        Bybit v5 linear  (BYBIT_V5.md section 1)
 *    ws  /v5/public/spot?replay_conn=<label>          Bybit v5 spot
 *    ws  /usdm/stream?streams=a/b/c&replay_conn=<label>  Binance USD-M combined streams
 *    ws  /spot/stream?streams=a/b/c&replay_conn=<label>  Binance spot combined streams
 *    GET /v5/market/instruments-info?category=linear|spot   recorded bodies
 *    GET /usdm/fapi/v1/depth?symbol=..&limit=..        recorded USD-M REST depth snapshot
 *    GET /spot/api/v3/depth?symbol=..&limit=..         recorded spot snapshot (if loaded)
 *    GET /spot/api/v3/klines, /usdm/fapi/v1/klines      Binance klines closed by the replay clock
 *    GET /v5/market/kline?category=&symbol=&interval=  Bybit klines closed by the replay clock
 *    anything else: 404 with a Bybit-style JSON body.
 *  Run identity: "X-Tradepipe-Run: <run id>" on every upgrade and REST response (cfg.run_id);
 *    a WebSocket client of another run (its request header names another id) gets the
 *    upgrade, so it can read our id and refuse us, and is then closed unregistered.
 *  Counting: every text frame written on a connection (data, acks, pongs, errors) adds 1 to
 *  its label's count; counts are cumulative per label over reconnects. A connection without
 *  replay_conn is "plain": served the same frames, counted under no label.
 *  Writes: queued per connection, one lws_write per LWS_CALLBACK_SERVER_WRITEABLE; "idle"
 *  means every queue is empty, i.e. every queued frame has been handed to lws.
 *  Single-threaded (the stage loop).
 */
#ifndef TP_SERVER_H
#define TP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "common/codec.h"
#include "tools/venue-sim/source.h"

#define SERVER_MSG_MAX 65536 /* largest client message accepted, bytes */

/* Private REST hook (tools/venue-sim/private.h): a request the public paths did not take.
 * Strings are NUL-terminated and borrowed for the call; header values "" when absent. */
typedef struct {
    bool post;
    const char *path;  /* "/v5/order/create" */
    const char *query; /* as received, without '?' ("" if none) */
    const char *body;  /* POST body bytes as received ("" for GET) */
    size_t body_len;
    const char *key, *ts, *recv_window, *sign; /* X-BAPI-API-KEY, -TIMESTAMP, -RECV-WINDOW, -SIGN */
} server_http_req_t;

typedef struct {
    unsigned status;                             /* HTTP status */
    char *body;                                  /* malloc'd JSON, freed by the server */
    int64_t limit, limit_status, limit_reset_ms; /* X-Bapi-Limit* headers; limit < 0: none */
} server_http_resp_t;

/* 1 = answered (*resp filled), 0 = not a private path (404 follows). */
typedef int(server_http_fn)(const server_http_req_t *req, server_http_resp_t *resp, void *arg);

/* Private WS hook: a text message on a /v5/private connection `conn` (reply with
 * server_ws_send). open/close are signalled with msg == NULL (len 1 = open, 0 = close). */
typedef void(server_ws_fn)(uint64_t conn, const char *msg, size_t len, void *arg);

typedef struct {
    int port;                       /* TCP port on 127.0.0.1; 0 = any free port (tests) */
    const source_t *src;            /* finished source (borrowed, outlives the server) */
    const char *instruments_linear; /* REST bodies (borrowed, NUL-terminated), NULL = 404 */
    const char *instruments_spot;
    /* counters to bump (borrowed, e.g. stage_counter pointers); NULL = not counted */
    int64_t *frames_sent;         /* WS text frames written, all connections */
    int64_t *connections;         /* WS connections accepted */
    int64_t *subscribe_ok;        /* subscribe requests acknowledged */
    int64_t *bad_requests;        /* malformed client frames, refused connections, bad REST calls */
    server_http_fn *private_http; /* NULL = no private REST */
    server_ws_fn *private_ws;     /* NULL = no /v5/private WS */
    void *private_arg;
    /* the run id of the group (common/runid.h; borrowed, outlives the server), announced in
     * the response header "X-Tradepipe-Run" of every WebSocket upgrade and REST answer; a
     * WebSocket client that sends another run's id in that request header is refused after
     * the upgrade (closed before it is counted under its label). NULL or "" = none. */
    const char *run_id;
} server_cfg_t;

typedef struct server server_t;

typedef enum {
    SERVER_EV_CHANGE = 0, /* a connection opened, closed, or changed its subscriptions */
    SERVER_EV_IDLE        /* the last queued frame was handed to lws */
} server_event_t;

/* Called synchronously, possibly from inside an lws callback (see server_in_callback). */
typedef void(server_event_fn)(server_event_t ev, void *arg);

/* Listen and register with `loop` (borrowed). NULL with errno EADDRINUSE (cannot listen; lws
 * logged why), EINVAL (bad cfg), ENOMEM. */
server_t *server_new(zloop_t *loop, const server_cfg_t *cfg, server_event_fn *fn, void *arg);
void server_destroy(server_t **self_p);

int server_port(const server_t *self); /* the port actually bound */

/* Queue `f` on every open connection of its kind subscribed to its key. Returns how many
 * connections it was queued on. Never fails: a queue grows as needed (-1/ENOMEM closes that
 * connection). Cost O(connections). */
size_t server_send(server_t *self, const source_frame_t *f);

/* Write queued frames now (services lws until writes stop progressing). No-op when called
 * from inside an lws callback. */
void server_flush(server_t *self);

bool server_idle(const server_t *self);        /* no frame queued anywhere */
bool server_in_callback(const server_t *self); /* inside the lws protocol callback */

/* Is `label` connected now with at least one subscription (Bybit subscribe acked, Binance
 * streams in the URL or SUBSCRIBE)? */
bool server_label_ready(const server_t *self, const char *label);

/* Frames written per label so far, in the order labels first connected. */
void server_fill_barrier(const server_t *self, codec_sys_barrier_t *b);

size_t server_open(const server_t *self); /* open WS connections (labelled or plain) */

/* Queue a text frame on private WS connection `conn` (copied). 0, -1/ENOENT (closed), ENOMEM. */
int server_ws_send(server_t *self, uint64_t conn, const char *text, size_t len);

/* Close private WS connection `conn` (test control). 0 or -1/ENOENT. */
int server_ws_close(server_t *self, uint64_t conn);

#endif /* TP_SERVER_H */
