/*  view.h - what the gateway knows of the running group, built from the stages' PUB streams
 *  (and seeded from the recorder's history at start): stage heartbeats, venue states, the risk
 *  state, positions, orders, fills, balances and the equity curve, signals, alerts.
 *  Owns:  everything it keeps (jansson values, formatted by gateway/fmt.h: decimals, never
 *         scaled integers); lists are bounded by `keep` entries each (the oldest goes).
 *  Not:   sockets (gateway/main.c), the control sockets (asked per request by gateway/server.c).
 *  Events: view_add calls `emit` for each Server-Sent Event a message makes: "order"
 *  (exec.order), "fill", "positions:updated" (exec.position, rate-limited:
 *  VIEW_POSITION_EVERY_MS), "balance", "state:updated" (risk.state), "risk" (risk.order,
 *  risk.reject; the data has "topic"), "alert" (risk.alert, rec.alert),
 * "signal", "venue" (md.status, exec.status), "trade:opened" / "trade:closed" (a position leaves /
 * returns to flat; a fill that crosses zero makes both). docs/api.md "events". All times are ns;
 * "now" is the gateway's wall clock at receipt.
 */
#ifndef TP_GATEWAY_VIEW_H
#define TP_GATEWAY_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/bus.h"
#include "gateway/metrics.h"

typedef struct view view_t;

/* A position's mark moves with every tick: its "positions:updated" event goes out when its quantity
 * changes, and otherwise at most once per this many ms of wall clock (the view itself always
 * holds the latest). */
#define VIEW_POSITION_EVERY_MS 250
#define VIEW_IDS_MAX           4096 /* client id -> strategy, for per-strategy fills */
#define VIEW_STRATEGIES_MAX    64

/* `data` is borrowed for the call. */
typedef void(view_emit_fn)(const char *event, json_t *data, void *arg);

/* A view keeping at most `keep` (>= 1) entries per list. NULL with errno ENOMEM/EINVAL. */
view_t *view_new(size_t keep);
void view_destroy(view_t **self_p);

/* Take one message in. 0; -1 with errno EPROTO when its body does not decode (counted in
 * view_bad). `emit` may be NULL. */
int view_add(view_t *self, const bus_msg_t *msg, int64_t now_ns, view_emit_fn *emit, void *arg);

/* Seed from a recorder history answer ({"ok":true,"positions":[...]} / "orders" /
 * "state"), the rows as docs/recorder.md "History over REP" gives them (decimal strings plus
 * mantissas): positions and open orders and the risk state the gateway has not seen itself.
 * 0, or -1/EPROTO when `reply` is not such an answer. */
int view_seed(view_t *self, const char *q, const char *reply);

/* Heartbeat age of `instance` in ms at now_ns, -1 if none seen. */
int64_t view_hb_age_ms(const view_t *self, const char *instance, int64_t now_ns);

/* New references (caller decrefs); NULL only when out of memory. Deep copies: the caller may
 * use them after releasing the lock the view is guarded by (gateway/server.h), since they
 * share no value with the view. */
json_t *view_stages(const view_t *self, int64_t now_ns); /* {inst: {state, hb_age_ms, ...}} */
json_t *view_venues(const view_t *self);                 /* {venue: {state, reason, ...}} */
json_t *view_risk(const view_t *self);                   /* the last risk.state, or null */
json_t *view_positions(const view_t *self);              /* [open positions] */
json_t *view_orders(const view_t *self, bool open_only); /* newest first */
json_t *view_fills(const view_t *self);                  /* newest first */
json_t *view_signals(const view_t *self);                /* newest first */
json_t *view_alerts(const view_t *self);                 /* newest first */
json_t *view_balances(const view_t *self);               /* [per venue and asset] */
/* Per strategy, from what the gateway saw: {name: {"signals", "orders", "rejects", "fills",
 * "realized_pnl", "fees", "net" (quote decimals), "last_signal" (the signal object or null)}}.
 * A fill belongs to the strategy of the risk.order with its client id (ids of the last
 * VIEW_IDS_MAX orders are kept). */
json_t *view_strategies(const view_t *self);
/* The equity curve: [{"evt","time","equity"}...] oldest first with from_ns <= evt < to_ns
 * (0 = unbounded), at most max_points (evenly thinned, the last point always kept). */
json_t *view_equity(const view_t *self, int64_t from_ns, int64_t to_ns, size_t max_points);
/* {"realized","unrealized","fees","net","today","equity"} decimal strings (null unknown). */
json_t *view_pnl(const view_t *self);

/* Figures for /metrics: messages taken per topic prefix (first word: "md", "sig", "risk",
 * "exec", "rec", "sys"), bad bodies, the sums behind view_pnl as doubles of the quote unit
 * (for Prometheus only, never shown as text), open positions, the kill latch. */
typedef struct view_stats {
    uint64_t msgs_md, msgs_sig, msgs_risk, msgs_exec, msgs_rec, msgs_sys, bad;
    double equity, realized, unrealized, fees;
    bool equity_known;
    int open_positions;
    bool killed, risk_known;
    char risk_state[32];
    char risk_reason[128]; /* why risk is not RUNNING (a breaker's code, "kill switch", ...) */
} view_stats_t;
void view_stats(const view_t *self, view_stats_t *out);

/* Copies of the latency histograms (seconds of ts - origin, the envelope's publish time minus
 * the receive time of the md event behind it; messages with origin 0 are not counted):
 * sig.signal, risk.order, exec.fill. */
void view_latency(const view_t *self, metrics_hist_t *signal, metrics_hist_t *order,
                  metrics_hist_t *fill);

/* Order -> ack: the executor's first exec.order for a client id minus the publish time of
 * risk's risk.order with that id (both publish times, ns -> s). */
void view_ack_latency(const view_t *self, metrics_hist_t *ack);

/* Alerts seen (risk.alert, rec.alert) counted by level and code: [{"level","code","n"}]. New
 * reference; a breaker tripping shows as its code (daily_loss_limit, max_drawdown, ...). */
json_t *view_alert_counts(const view_t *self);

#endif /* TP_GATEWAY_VIEW_H */
