/*  session.h - one configured feed connection end to end: its WebSocket (conn), its venue
 *  parser (bybit or binance), subscriptions, REST calls (instruments, depth snapshots) and the
 *  publishing of what the parser emits as md.* messages.
 *  Owns:  the conn_t, the parser, the subscription bookkeeping (acks), the REST retry clock.
 *  Not:   the PUB socket, the instrument table, the counters (borrowed from session_env_t),
 *         the replay gate (main.c routes frames through it when replaying).
 *  Config: feed.connections[i] (docs/feed.md):
 *    label, venue, protocol ("bybit"|"binance"), url, rest, symbols[]  required
 *    depth (bybit orderbook depth, default 50), topics[] (bybit, default orderbook,
 *    publicTrade, tickers), streams[] (binance, default depth@0ms, trade), ping_s (default 20
 *    for bybit, 0 for binance: Binance pings us and lws answers), category (bybit REST
 *    category, default "spot" if the venue id contains "spot" else "linear"), spot (binance
 *    sync rules, default: venue id contains "spot"), silent_ms (drop a connection silent that
 *    long; default 60000 live, 0 = off in replay), stale_ms (publish md.status "stale" after
 *    that long without a frame, "connected" when frames resume; default 10000 live, 0 replay).
 *  Single-threaded.
 */
#ifndef TP_SESSION_H
#define TP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/instr.h"
#include "feed/binance.h"
#include "feed/conn.h"
#include "feed/md.h"

#define SESSION_MAX_SYMBOLS 32

typedef struct session session_t;

/* Frame hook: when set, received frames go here instead of being processed at once (replay
 * gate); the hook later calls session_frame. */
typedef void(session_hook_fn)(session_t *s, size_t index, const char *text, size_t len,
                              int64_t recv_ns, void *arg);
/* The refused share of a connection passed the bound (md_refused_t): called once, from
 * session_frame; session_refused() has the counts. */
typedef void(session_refused_fn)(session_t *s, void *arg);

typedef struct {
    bus_pub_t *pub;        /* borrowed: where md.* goes */
    instr_table_t *instrs; /* borrowed: rules; Bybit sessions add theirs from REST */
    md_stats_t *stats;     /* borrowed, shared */
    size_t levels;         /* md.book levels per side (1..CODEC_LEVELS) */
    bool replay;           /* config "mode" == "replay": URLs get replay_conn=<label> */
    long rest_timeout_ms;
    int64_t skew_warn_ns;  /* |receive - exchange time| over this: warning + md.status "skew";
                              0 = skew not measured (replay: receive times are not the venue's) */
    session_hook_fn *hook; /* NULL = process frames on arrival */
    void *hook_arg;
    /* In-process use (tools/backtest): md.* goes through `publish` instead of `pub` (NULL =
     * bus_publish on pub; same arguments, 0 or -1 with errno), and REST GETs through
     * `rest_get` instead of common/http.h http_get (NULL = http_get; same contract: a malloc'd
     * NUL-terminated body with *len set, or NULL with errno). */
    int (*publish)(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
                   int64_t origin);
    char *(*rest_get)(void *arg, const char *url, long timeout_ms, size_t *len);
    void *io_arg; /* for publish and rest_get */
    /* refused input (docs/feed.md "Refused input"): bound in hundredths of a percent (100 =
     * 1 %; >= 10000 = none), applied from refused_min_frames frames on; NULL fn = count only */
    int64_t refused_max_bp;
    int64_t refused_min_frames;
    session_refused_fn *on_refused;
    void *refused_arg;
} session_env_t;

/* Build session `index` from feed.connections[index]. NULL with errno EINVAL (bad config:
 * the message is in cfg_error(cfg)) or ENOMEM. `env` is copied; its pointers are borrowed. */
session_t *session_new(cfg_t *cfg, size_t index, const session_env_t *env, conn_ctx_t *ctx);
void session_destroy(session_t **self_p);

/* What feed.connections[index] says, as session_new reads it (session_config_check). */
typedef struct {
    char label[CODEC_ID_MAX];
    char venue[INSTR_VENUE_MAX];
    char category[INSTR_VENUE_MAX]; /* bybit REST category ("spot", "linear") */
    bool bybit;                     /* protocol "bybit" (else "binance") */
    bool spot;                      /* spot market (binance sync rules; venue id default) */
    size_t n_symbols;
    char symbols[SESSION_MAX_SYMBOLS][INSTR_SYM_MAX];
} session_info_t;

/* Validate feed.connections[index] exactly as session_new would (replay as the stage's mode),
 * without side effects: nothing is connected or fetched (a Binance exchange_info file is read
 * and its rules for the connection's symbols go into `instrs`, as session_new does; a Binance
 * symbol must then have rules in `instrs`). Bybit rules come from the venue's REST at connect
 * and are not looked at here. Fills *info (may be NULL) on success.
 * 0, or -1 with errno EINVAL and the reason in cfg_error(cfg), or ENOMEM. */
int session_config_check(cfg_t *cfg, size_t index, bool replay, instr_table_t *instrs,
                         session_info_t *info);

void session_start(session_t *self); /* connect */

/* In-process use (tools/backtest): instead of session_start, do at once what the session does
 * when its WebSocket opens, with no socket: Bybit instruments-info and Binance depth snapshots
 * through env.rest_get, and the subscriptions taken as acknowledged (the caller hands the
 * session exactly the frames of session_subscriptions). From then on session_ready is true
 * once instruments and snapshots are in (the WebSocket is never connected). 0, or -1 with
 * errno from the REST call or the parser (logged). */
int session_open_offline(session_t *self);

/* The names the session subscribes to, as the venue knows them: Bybit topics
 * ("orderbook.200.BTCUSDT", "publicTrade.BTCUSDT") or Binance streams ("btcusdt@depth@0ms").
 * Writes at most `cap` into out[] (NUL-terminated, 64 bytes each); returns how many there are. */
size_t session_subscriptions(const session_t *self, char (*out)[64], size_t cap);

/* The WebSocket URL the session connects to (with its stream list and replay_conn label). */
const char *session_url(const session_t *self);

/* Parse and publish one received frame (from the conn, or from the replay gate). Counts it in
 * the connection's refused input (session_refused) and calls env.on_refused once when the
 * refused share passes the bound. */
void session_frame(session_t *self, const char *text, size_t len, int64_t recv_ns);

/* One Binance kline event given by its fields (binance_kline: the same values, counters and
 * md.kline as the frame it stands for), counted in the connection's refused input as an
 * accepted frame. 0, or -1 with no effect and errno ENOTSUP (not a Binance session) or
 * binance_kline's ENOENT / EINVAL: the caller hands over the frame itself (session_frame). */
int session_kline(session_t *self, const binance_kline_t *k, int64_t recv_ns);

/* Frames parsed on this connection and how many were refused (md_refused_t). Borrowed. */
const md_refused_t *session_refused(const session_t *self);

/* Connected, instruments known, subscriptions acknowledged (Bybit) / depth snapshots loaded
 * (Binance). */
bool session_ready(const session_t *self);

/* Publish md.instrument.<venue>.<symbol> for every symbol it serves and md.status.<venue>
 * "connected", with event time evt_ns (the replay hello's time, or now when live). */
void session_announce(session_t *self, int64_t evt_ns);
/* Only the md.instrument messages of session_announce: the feed repeats them every
 * feed.announce_s in live mode so that a stage restarted on its own (an executor refuses
 * "unknown instrument" until it has the rules) learns them without a feed reconnect. */
void session_announce_instruments(session_t *self, int64_t evt_ns);

const char *session_label(const session_t *self);
const char *session_venue(const session_t *self);
int64_t session_reconnects(const session_t *self);
int64_t session_silent_drops(const session_t *self);

/* Per-connection health for `status`: "up", "stale", "idle_ms", "silent_drops", "skew_ms"
 * {"last","min","max","mean","n"} (receive time - exchange event time: negative = the local
 * clock is behind the venue's), "frames" (parsed), "refused" (of which refused),
 * "refused_pct" (decimal string, "0.00"), "refused_over_bound". */
#include <jansson.h>
void session_health(const session_t *self, json_t *out);

#endif /* TP_SESSION_H */
