/*  private.h - venue-sim's private side of Bybit v5: signed REST (BYBIT_V5.md 2.2-2.10) and
 *  the private WebSocket (section 3), one unified USDT account per simulator, categories
 *  linear and spot (spot rules: docs/executor.md "venue-sim private side").
 *  Owns:  the API keys (secrets never logged), the order table, the executions, positions
 *         per symbol, the wallet, per key+path rate-limit windows, the replayed book
 *         (match.h), the authenticated private WS connections and their topics.
 *  Not:   HTTP/WS plumbing (server.c calls priv_http / priv_ws), replay pacing (main.c calls
 *         priv_on_frame for every replayed frame).
 *  Rules (docs/venue-sim.md "Private side"):
 *    auth   X-BAPI-* headers; sign = hex HMAC-SHA256(secret, ts + key + recv_window + payload),
 *           payload = query string as received (GET) or body bytes (POST); accepted iff
 *           now - recv_window <= ts < now + 1000 (ms). Unknown key 10003, stale 10002, bad
 *           signature 10004, missing header 10003 (HTTP 401 as Bybit does without headers).
 *    rate   per key and path, rolling 1 s window: create/amend/cancel/cancel-all/trading-stop/set-leverage
 *           10/s, queries 50/s (section 2.4); exceeding answers 10006, every answer carries
 *           X-Bapi-Limit, -Status, -Reset-Timestamp.
 *    orders Market walks the book (IOC); Limit takes what crosses then rests (GTC), or the rest
 *           is cancelled (IOC), FOK needs the whole qty at once, PostOnly that would cross is
 *           Cancelled (EC_PostOnlyWillTakeLiquidity). A resting limit fills as maker at its
 *           price when a replayed trade prints through it (min(leaves, trade qty)) or the
 *           replayed book crosses it. Conditional (triggerPrice + triggerDirection 1 rise /
 *           2 fall) stay Untriggered until the last trade price reaches the trigger, then
 *           Triggered -> New and placed. takeProfit/stopLoss attach to the position (Full);
 *           when the last price reaches one, a reduce-only market order closes the position.
 *    refusals 110072 duplicate orderLinkId, 110007 available balance (IM = notional /
 *           leverage), 10001 qty not on qtyStep / below minOrderQty / price not on tickSize /
 *           bad params, 110017 reduce-only rule not satisfied, 110092/110093 trigger direction,
 *           110001 unknown or closed order on amend/cancel, 110043 set-leverage to the
 *           leverage the symbol already has.
 *    leverage per symbol (POST /v5/position/set-leverage, linear, buy = sell, 1..100), default
 *           cfg leverage; the position's "leverage" and its margin use it.
 *    delay  priv cfg delay_create_ms > 0: create applies the order, then blocks that long
 *           before answering (fault injection for the executor's kill -9 test). Also set at
 *           run time by the signed, non-Bybit POST /v5/sim/control {"delay_create_ms":"N"};
 *           {"drop_ws":"1"} closes every private WS connection (reconnect tests);
 *           {"leverage":"SYMBOL:X"} changes a symbol's leverage as a person on the web page
 *           would (a position push follows; the leverage-cap test).
 *  Single-threaded (the stage loop).
 */
#ifndef TP_VS_PRIVATE_H
#define TP_VS_PRIVATE_H

#include <stdint.h>

#include "common/cfg.h"
#include "tools/venue-sim/server.h"
#include "tools/venue-sim/source.h"

#define PRIV_MAX_KEYS 8

typedef struct {
    char key[64];
    char secret[128];
} priv_key_t;

typedef struct {
    priv_key_t keys[PRIV_MAX_KEYS];
    size_t n_keys;
    const char *instruments_linear;  /* REST body (borrowed for priv_new): tick, step, min qty */
    int64_t start_balance;           /* USDT at scale 8 */
    int64_t taker_fee, maker_fee;    /* rates at scale 8 (0.00055 -> 55000) */
    int64_t leverage;                /* 1..100 */
    int64_t delay_create_ms;         /* 0 = answer at once */
    int64_t rate_order;              /* per second, create/amend/cancel (default 10) */
    char instruments_spot_path[512]; /* venue_sim.bybit_instruments_spot ("" = no spot) */
} priv_cfg_t;

typedef struct vs_priv vs_priv_t;

/* Read venue_sim.api_keys [{key, secret}] and venue_sim.private {start_balance, taker_fee,
 * maker_fee, leverage, delay_create_ms, rate_order} with defaults (one key
 * "vs-test-key"/"vs-test-secret"). 0, or -1 (message in cfg_error). */
int priv_config(cfg_t *cfg, priv_cfg_t *out);

/* NULL with errno EINVAL (no key, bad numbers), ENOMEM. */
vs_priv_t *priv_new(const priv_cfg_t *cfg);
void priv_destroy(vs_priv_t **self_p);

/* The server whose private WS connections priv_ws answers (borrowed). */
void priv_set_server(vs_priv_t *self, server_t *srv);

/* server_http_fn / server_ws_fn (arg = vs_priv_t *). */
int priv_http(const server_http_req_t *req, server_http_resp_t *resp, void *arg);
void priv_ws(uint64_t conn, const char *msg, size_t len, void *arg);

/* A replayed frame (any kind; Bybit linear book/trade/ticker frames are used). */
void priv_on_frame(vs_priv_t *self, const source_frame_t *f);

/* Lowercase hex HMAC-SHA256 of msg under secret into out[65]. 0 or -1. */
int priv_sign(const char *secret, const char *msg, size_t len, char out[65]);

#endif /* TP_VS_PRIVATE_H */
