/*  webhook.h - the gateway's outgoing webhooks: a JSON POST to configured URLs on trade opened,
 *  trade closed, kill, breaker, and alerts at or above a level (docs/gateway.md "Webhooks").
 *  Owns:  a bounded queue of pending deliveries, one sender thread (libcurl), the targets.
 *  Threads: webhook_offer is called by the stage loop and never blocks it (a mutex held for a
 *  queue append; a full queue refuses the new delivery and counts it in `dropped`). The sender
 *  thread posts the oldest delivery; a failure (no answer within 5 s, a connection refused, a
 *  status other than 2xx) is retried after a backoff that doubles from 250 ms up to
 *  backoff_max_ms, up to `retries` times, then given up (`failed`). Deliveries go out in queue
 *  order, so a target that is down holds the queue: nothing within the bound is lost while it
 *  is down.
 *  Bodies: "json": {"event", "instance", "run_id", "data": {...the event's object...},
 *  "text"}; "text" (chat webhooks: Slack, Mattermost, Discord): {"text", "content"} with the
 *  same one-line text. A URL can hold a secret (Slack's does): no log line shows more than its
 *  scheme and host.
 */
#ifndef TP_GATEWAY_WEBHOOK_H
#define TP_GATEWAY_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* event kinds a target asks for (bit mask) */
#define WEBHOOK_TRADE_OPENED 1u
#define WEBHOOK_TRADE_CLOSED 2u
#define WEBHOOK_KILL         4u
#define WEBHOOK_BREAKER      8u
#define WEBHOOK_ALERT        16u

#define WEBHOOK_TARGETS_MAX 8

typedef struct {
    char url[512];  /* http:// or https:// */
    unsigned kinds; /* WEBHOOK_* */
    int min_level;  /* alerts: 1 warn, 2 error */
    bool text;      /* "text" form for chat webhooks */
} webhook_target_t;

typedef struct webhook webhook_t;

/* Start the sender for targets[n] (copied; n <= WEBHOOK_TARGETS_MAX). `queue_cap` deliveries
 * at most waiting; `retries` retries of one delivery; `backoff_max_ms` the longest wait between
 * tries. `instance` and `run_id` go into every body (copied). NULL with errno. */
webhook_t *webhook_new(const webhook_target_t *targets, size_t n, size_t queue_cap, int retries,
                       int64_t backoff_max_ms, const char *instance, const char *run_id);
/* Stop the sender (an attempt in flight ends within its 5 s timeout); pending deliveries are
 * dropped and logged with their count. */
void webhook_destroy(webhook_t **self_p);

/* An event of the view (view.h names: "trade:opened", "trade:closed", "alert", ...; `data`
 * borrowed): queue one delivery per target that asks for it. Kinds: trade:opened,
 * trade:closed; an alert with code kill_switch is "kill", one of the risk breakers
 * (daily_loss_limit, max_drawdown, min_balance, loss_streak, max_trades_per_hour) "breaker",
 * and every alert at or above a target's level "alert"; a target gets one delivery per event,
 * named by the most specific kind it asks for (kill, breaker, then alert). */
void webhook_offer(webhook_t *self, const char *event, json_t *data);

typedef struct {
    uint64_t queued, delivered, retried, dropped, failed, pending;
} webhook_stats_t;
void webhook_stats(webhook_t *self, webhook_stats_t *out);

/* The kind bit of a name in the config ("trade:opened", "trade:closed", "kill", "breaker",
 * "alert"), 0 for anything else. */
unsigned webhook_kind(const char *name);

/* The one-line text of an event for people (chat): "tradepipe gateway.0: trade closed paper
 * BTCUSDT long 0.005, PnL -1.23000000". Into out[cap]. */
void webhook_text(const char *kind, json_t *data, const char *instance, char *out, size_t cap);

#endif /* TP_GATEWAY_WEBHOOK_H */
