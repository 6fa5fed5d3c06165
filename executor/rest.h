/*  rest.h - Bybit v5 signed REST client on libcurl (BYBIT_V5.md 2.1-2.4, 2.11).
 *  Owns:  one curl easy handle (kept-alive connection), the API key and secret (copied,
 *         wiped on destroy, never logged), the server clock offset, per-path rate budgets.
 *  Not:   what the calls mean (executor/bybit.c), threads. Two ways to call: rest_start /
 *         rest_start_time complete through a callback, driven by the stage's zloop after
 *         rest_attach (curl multi: nothing blocks the loop); rest_call / rest_sync_time block
 *         the caller for at most timeout_ms (tests, tools).
 *  Signing (2.2): X-BAPI-SIGN = hex HMAC-SHA256(secret, ts + key + recv_window + payload),
 *  payload = the query string exactly as sent (GET) or the exact body bytes (POST).
 *  Time (2.3): ts = local wall ms + offset; offset = server - local at the RTT midpoint of
 *  GET /v5/market/time (rest_sync_time).
 *  Rate limits (2.4): every answer's X-Bapi-Limit-Status / -Reset-Timestamp is kept per path;
 *  a call on a path whose budget is 0 before its reset, or after a 10006 until its reset,
 *  is not sent: -1/EAGAIN with *retry_ms set.
 */
#ifndef TP_EXEC_REST_H
#define TP_EXEC_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>
#include <jansson.h>

#define REST_MAX_PATHS 16

typedef struct rest rest_t;

typedef struct {
    int http_status; /* 0 = no HTTP answer (timeout, connection refused) */
    int ret_code;    /* Bybit retCode (-1 when the body was not a Bybit envelope) */
    char ret_msg[256];
    json_t *result; /* the "result" object (owned by the caller: json_decref), or NULL */
    int64_t limit, limit_status, limit_reset_ms; /* headers, -1 when absent */
    int64_t retry_ms;                            /* EAGAIN: wait this long */
    int64_t time_ms; /* the envelope's "time" (venue ms when it answered), -1 when absent */
} rest_resp_t;

/* New client on base_url ("http://127.0.0.1:18765", "https://api.bybit.com"). key and secret
 * are copied. recv_window ms (5000), timeout_ms per call. NULL with errno EINVAL, ENOMEM. */
rest_t *rest_new(const char *base_url, const char *key, const char *secret, int recv_window,
                 int timeout_ms);
void rest_destroy(rest_t **self_p);

/* Lowercase hex HMAC-SHA256 of ts+key+recv_window+payload under secret, into out[65].
 * 0, or -1/EINVAL. Pure (tests, bench). */
int rest_sign(const char *secret, const char *ts, const char *key, const char *recv_window,
              const char *payload, size_t payload_len, char out[65]);

/* One signed call. GET: `params` is the query string ("" for none), sent as is. POST: the
 * JSON body. Returns 0 when an answer came with retCode 0; -1 otherwise with errno
 *   EPROTO     a Bybit answer with retCode != 0 (resp->ret_code, ret_msg)
 *   ETIMEDOUT  no answer in time: the outcome is unknown
 *   ECONNREFUSED / EIO  transport failure or a body that is not JSON (outcome unknown)
 *   EAGAIN     not sent: rate budget exhausted (resp->retry_ms)
 * resp is always filled; resp->result must be json_decref'd. */
int rest_call(rest_t *self, bool post, const char *path, const char *params, rest_resp_t *resp);

/* Completion of an asynchronous call: rc 0 (retCode 0) or -1 with `err` the errno rest_call
 * would set (EPROTO, ETIMEDOUT, ECONNREFUSED, EIO, EAGAIN: not sent, resp->retry_ms), or
 * ECANCELED when the client is destroyed with the call in flight (then only free `arg`).
 * resp->result belongs to the callback (json_decref). Called from the loop, exactly once. */
typedef void(rest_done_fn)(rest_t *rest, int rc, int err, rest_resp_t *resp, void *arg);

/* Drive asynchronous calls from `loop` (borrowed; must outlive the client, which removes its
 * pollers and timer on rest_destroy). Once. 0, or -1/EINVAL (already), ENOMEM. */
int rest_attach(rest_t *self, zloop_t *loop);

/* Start one signed call (arguments as rest_call; params are copied). `fn(arg)` is called
 * exactly once: later from the loop, or before this returns when the rate budget refuses
 * (EAGAIN) or no loop is attached (the exchange then runs blocking, as rest_call). 0, or -1
 * with errno EINVAL/ENOMEM (fn not called). */
int rest_start(rest_t *self, bool post, const char *path, const char *params, rest_done_fn *fn,
               void *arg);

/* Start GET /v5/market/time (unsigned); on success the offset is updated (rest_offset_ms)
 * before fn runs. As rest_start. */
int rest_start_time(rest_t *self, rest_done_fn *fn, void *arg);

/* Asynchronous calls in flight. */
size_t rest_in_flight(const rest_t *self);

/* Measure offset = server - local at the RTT midpoint (GET /v5/market/time, unsigned).
 * 0 (rest_offset_ms tells), or -1 with errno as rest_call. */
int rest_sync_time(rest_t *self);
int64_t rest_offset_ms(const rest_t *self);
void rest_set_offset_ms(rest_t *self, int64_t off); /* tests */

/* The venue time now (local wall ms + offset). */
int64_t rest_now_ms(const rest_t *self);

/* The private WebSocket auth request (BYBIT_V5.md 3): {"req_id":"auth","op":"auth","args":
 * [key, expires_ms, hex HMAC-SHA256(secret, "GET/realtime" + expires_ms)]} into out (the
 * secret stays in rest_t). 0, or -1/ENOBUFS|EINVAL. */
int rest_ws_auth(rest_t *self, int64_t expires_ms, char *out, size_t cap);

/* Calls made, and answers with retCode 10006. */
uint64_t rest_calls(const rest_t *self);
uint64_t rest_rate_limited(const rest_t *self);

/* A clear text for a Bybit retCode (BYBIT_V5.md 2.11), static, never NULL. */
const char *rest_code_text(int code);

/* Should an answer with this code (or a transport errno) be resolved by querying the order
 * (outcome unknown: 10000, 10016, 10002, 110072, timeout...) instead of being a rejection? */
bool rest_code_unknown(int code);

#endif /* TP_EXEC_REST_H */
