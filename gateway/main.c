/*  gateway - the operator's face of the group: an HTTP API (JSON under /api/v1), a live
 *  Server-Sent Events stream, Prometheus /metrics and a dashboard at "/" (docs/gateway.md,
 *  docs/api.md).
 *  Usage: build/bin/gateway -c config/default.json -i gateway.0
 *  Wiring: a stage like the others (heartbeat, control socket, instance lock); one SUB
 *  connected to the PUB of every other instance under "endpoints" (sys.hb, md.status, sig.signal,
 *  risk.*, exec.*, rec.alert) feeding the view (gateway/view.h) and the event ring
 *  (gateway/ring.h); at start the view is seeded from the recorder's history (positions, open
 *  orders, risk state). The HTTP server (gateway/server.h, libmicrohttpd) answers from its own
 *  thread; the operator actions it takes are published here as gw.action (the recorder keeps
 *  them). The gateway is no input of any other stage: the group runs the same without it, and
 *  it is restarted alone (`tools/sv restart tradepipe:gateway`).
 *  Port: gateway.port, or with 0 (the default) a free one chosen by the kernel at bind; either
 *  way written to {run}/gateway.port once listening.
 *  Tokens: TP_GATEWAY_READ_TOKEN / TP_GATEWAY_CONTROL_TOKEN, else gateway.tokens_file
 *  (gateway/auth.h); never logged.
 *  Exit codes: 0 clean stop (SIGTERM/SIGINT), 1 runtime failure, 2 bad config or tokens,
 *  3 cannot bind (control socket, PUB or the HTTP port) or already running.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <czmq.h>
#include <jansson.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/clock.h"
#include "common/curve.h"
#include "common/log.h"
#include "common/port.h"
#include "common/stage.h"
#include "gateway/auth.h"
#include "gateway/config.h"
#include "gateway/ring.h"
#include "gateway/server.h"
#include "gateway/view.h"
#include "gateway/webhook.h"

#define GATEWAY_KEEP       1000 /* entries per list in the view */
#define GATEWAY_STATIC_DIR "/usr/share/javascript/chart.js"
#define GATEWAY_NOTIFY_MS  50 /* SSE clients get new events within this many ms */

static const char *const k_mod = "gateway";

typedef struct {
    stage_t *st;
    server_t *srv;
    view_t *view;
    ring_t *ring;
    webhook_t *wh;
    int64_t *c_msgs, *c_events, *c_actions, *c_bad;
    bool pushed; /* events went into the ring since the last notify */
} s_ctx_t;

/* view_add's events into the ring (called with the server's lock held) */
static void
s_emit(const char *event, json_t *data, void *arg)
{
    s_ctx_t *ctx = arg;
    char *text = json_dumps(data, JSON_COMPACT);
    if (text == NULL) {
        return;
    }
    webhook_offer(ctx->wh, event, data); /* never blocks: a bounded queue */
    if (ring_push(ctx->ring, event, text) > 0) {
        (*ctx->c_events)++;
        ctx->pushed = true;
    }
    free(text);
}

static int
s_on_msg(stage_t *st, bus_msg_t *msg, void *arg)
{
    s_ctx_t *ctx = arg;
    (void)st;
    (*ctx->c_msgs)++;
    server_lock(ctx->srv);
    int rc = view_add(ctx->view, msg, clock_wall_ns(), s_emit, ctx);
    server_unlock(ctx->srv);
    if (rc < 0 && errno == EPROTO) {
        (*ctx->c_bad)++;
    }
    return stage_signalled() ? -1 : 0; /* SSE clients are woken by s_on_flush */
}

/* every GATEWAY_NOTIFY_MS: wake the SSE clients if events came in (one wake-up per client per
 * period, not per event: the stream costs the host little however busy the bus is) */
static int
s_on_flush(zloop_t *loop, int timer_id, void *arg)
{
    s_ctx_t *ctx = arg;
    (void)loop;
    (void)timer_id;
    if (ctx->pushed) {
        ctx->pushed = false;
        server_notify(ctx->srv);
    }
    return 0;
}

/* Operator actions the server took: publish each as gw.action. */
static int
s_on_wake(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    s_ctx_t *ctx = arg;
    (void)loop;
    (void)item;
    static codec_gw_action_t a;
    while (server_take_action(ctx->srv, &a) == 0) {
        (*ctx->c_actions)++;
        if (bus_publish(stage_pub(ctx->st), "gw.action", CODEC_GW_ACTION, &a, a.ts_event, 0) < 0) {
            log_error(k_mod, "cannot publish gw.action %s on %s: %s", a.action, a.target,
                      strerror(errno));
        }
    }
    return 0;
}

/* 1 s: SSE clients whose heartbeat is due get it */
static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    s_ctx_t *ctx = arg;
    (void)loop;
    (void)timer_id;
    server_notify(ctx->srv);
    return stage_signalled() ? -1 : 0;
}

static void
s_status(stage_t *st, json_t *status, void *arg)
{
    s_ctx_t *ctx = arg;
    (void)st;
    server_stats_t ss;
    server_stats(ctx->srv, &ss);
    (void)json_object_set_new(status, "http_port", json_integer(server_port(ctx->srv)));
    (void)json_object_set_new(status, "sse_clients", json_integer((json_int_t)ss.sse_clients));
    (void)json_object_set_new(status, "control_calls", json_integer((json_int_t)ss.control_calls));
    server_lock(ctx->srv);
    (void)json_object_set_new(status, "events", json_integer((json_int_t)ring_last_id(ctx->ring)));
    server_unlock(ctx->srv);
    webhook_stats_t ws;
    webhook_stats(ctx->wh, &ws);
    (void)json_object_set_new(status, "webhooks",
                              json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "queued",
                                        (json_int_t)ws.queued, "delivered",
                                        (json_int_t)ws.delivered, "retried", (json_int_t)ws.retried,
                                        "dropped", (json_int_t)ws.dropped, "failed",
                                        (json_int_t)ws.failed, "pending", (json_int_t)ws.pending));
}

static int
s_on_check(stage_t *st, cfg_t *fresh, void *arg)
{
    (void)arg;
    return gateway_config_check(fresh, stage_name(st));
}

/* Seed the view from the recorder's history (the gateway may start after the others). */
static void
s_seed(s_ctx_t *ctx, cfg_t *cfg, const gateway_config_t *gc)
{
    static const char *const k_q[] = { "positions", "open_orders", "risk_state" };
    char ep[512];
    if (gc->history_inst[0] == '\0'
        || cfg_endpoint(cfg, gc->history_inst, "history", ep, sizeof ep) < 0) {
        return;
    }
    for (size_t i = 0; i < sizeof k_q / sizeof k_q[0]; i++) {
        char req[64];
        int n = snprintf(req, sizeof req, "{\"q\":\"%s\"}", k_q[i]);
        size_t len = 0;
        char *reply = bus_request(ep, req, (size_t)n, (int)gc->ctl_timeout_ms, &len);
        if (reply == NULL) {
            log_warn(k_mod, "no history from %s (%s): the view starts empty", gc->history_inst,
                     strerror(errno));
            return;
        }
        server_lock(ctx->srv);
        if (view_seed(ctx->view, k_q[i], reply) < 0) {
            log_warn(k_mod, "history %s from %s not understood", k_q[i], gc->history_inst);
        }
        server_unlock(ctx->srv);
        free(reply);
    }
}

int
main(int argc, char **argv)
{
    static gateway_config_t gc;
    char inst[32], err[512];
    int rc = 0, exit_code = 0;
    s_ctx_t ctx = { 0 };
    bus_sub_t *sub = NULL;
    auth_t *auth = NULL;

    cfg_t *cfg = stage_boot(argc, argv, "gateway", inst, sizeof inst, &rc);
    if (cfg == NULL) {
        return rc;
    }
    if (gateway_config_read(cfg, inst, &gc) < 0) {
        log_error(k_mod, "%s", cfg_error(cfg));
        cfg_destroy(&cfg);
        return 2;
    }
    auth = auth_new(getenv("TP_GATEWAY_READ_TOKEN"), getenv("TP_GATEWAY_CONTROL_TOKEN"),
                    gc.tokens_file, err, sizeof err);
    if (auth == NULL) {
        log_error(k_mod, "%s", err);
        cfg_destroy(&cfg);
        return 2;
    }
    if (!auth_has(auth, AUTH_READ) && !auth_has(auth, AUTH_CONTROL)) {
        log_warn(k_mod, "no token configured (TP_GATEWAY_READ_TOKEN, TP_GATEWAY_CONTROL_TOKEN or "
                        "gateway.tokens_file): only /api/v1/health and /ready answer");
    }
    if (!curve_enabled() && curve_configure(cfg, inst) < 0) {
        log_error(k_mod, "CURVE setup failed: %s", strerror(errno));
        auth_destroy(&auth);
        cfg_destroy(&cfg);
        return errno == EINVAL ? 2 : 3;
    }
    ctx.st = stage_new(inst, cfg);
    if (ctx.st == NULL) {
        auth_destroy(&auth);
        cfg_destroy(&cfg);
        return 3;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error(k_mod, "cannot initialise libcurl");
        exit_code = 1;
        goto done;
    }
    ctx.wh =
        webhook_new(gc.webhooks, gc.n_webhooks, (size_t)gc.webhook_queue, (int)gc.webhook_retries,
                    gc.webhook_backoff_max_ms, inst, stage_run_id(ctx.st));
    ctx.view = view_new(GATEWAY_KEEP);
    ctx.ring = ring_new((size_t)gc.sse_ring);
    if (ctx.wh == NULL || ctx.view == NULL || ctx.ring == NULL) {
        log_error(k_mod, "out of memory");
        exit_code = 1;
        goto done;
    }
    ctx.c_msgs = stage_counter(ctx.st, "msgs");
    ctx.c_events = stage_counter(ctx.st, "events");
    ctx.c_actions = stage_counter(ctx.st, "actions");
    ctx.c_bad = stage_counter(ctx.st, "bad_bodies");
    server_deps_t deps = { .cfg = cfg,
                           .gc = &gc,
                           .instance = inst,
                           .run_id = stage_run_id(ctx.st),
                           .view = ctx.view,
                           .ring = ctx.ring,
                           .auth = auth,
                           .static_dir = GATEWAY_STATIC_DIR };
    ctx.srv = server_new(&deps, err, sizeof err);
    if (ctx.srv == NULL) {
        log_error(k_mod, "%s", err);
        exit_code = 3;
        goto done;
    }
    if (port_named_write(cfg_run_dir(cfg), GATEWAY_PORT_FILE, server_port(ctx.srv)) < 0) {
        log_error(k_mod, "cannot write %s/%s: %s", cfg_run_dir(cfg), GATEWAY_PORT_FILE,
                  strerror(errno));
        exit_code = 1;
        goto done;
    }
    sub = bus_sub_new(0);
    if (sub == NULL) {
        log_error(k_mod, "cannot create subscriber: %s", strerror(errno));
        exit_code = 1;
        goto done;
    }
    static const char *const k_topics[] = { "sys.hb", "md.status", "sig.signal",
                                            "risk.",  "exec.",     "rec.alert" };
    for (size_t i = 0; i < sizeof k_topics / sizeof k_topics[0]; i++) {
        if (bus_sub_subscribe(sub, k_topics[i]) < 0) {
            exit_code = 1;
            goto done;
        }
    }
    /* every other instance's PUB (the gateway is nobody's input, and nobody's step) */
    size_t n_inputs = 0;
    const char *key;
    json_t *val;
    json_object_foreach(cfg_json(cfg, "endpoints"), key, val)
    {
        char ep[512], pk[128];
        (void)snprintf(pk, sizeof pk, "endpoints.%s.pub", key);
        if (strcmp(key, inst) == 0 || !cfg_has(cfg, pk)) {
            continue;
        }
        if (cfg_endpoint(cfg, key, "pub", ep, sizeof ep) < 0) {
            log_error(k_mod, "%s", cfg_error(cfg));
            exit_code = 2;
            goto done;
        }
        if (bus_sub_connect(sub, ep) < 0) {
            exit_code = 3;
            goto done;
        }
        n_inputs++;
    }
    if (stage_add_sub(ctx.st, sub, s_on_msg, &ctx) < 0) {
        exit_code = 1;
        goto done;
    }
    zmq_pollitem_t wake = { .socket = NULL, .fd = server_wake_fd(ctx.srv), .events = ZMQ_POLLIN };
    if (zloop_poller(stage_loop(ctx.st), &wake, s_on_wake, &ctx) != 0
        || zloop_timer(stage_loop(ctx.st), 1000, 0, s_on_tick, &ctx) < 0
        || zloop_timer(stage_loop(ctx.st), GATEWAY_NOTIFY_MS, 0, s_on_flush, &ctx) < 0) {
        log_error(k_mod, "cannot poll the action queue");
        exit_code = 1;
        goto done;
    }
    stage_on_status(ctx.st, s_status, &ctx);
    stage_on_check(ctx.st, s_on_check, &ctx);
    s_seed(&ctx, cfg, &gc);
    log_notice(k_mod,
               "listening on http%s://%s:%d (port in %s/%s), %zu inputs, tokens: read %s, "
               "control %s",
               gc.tls_cert[0] ? "s" : "", gc.bind, server_port(ctx.srv), cfg_run_dir(cfg),
               GATEWAY_PORT_FILE, n_inputs, auth_has(auth, AUTH_READ) ? "yes" : "no",
               auth_has(auth, AUTH_CONTROL) ? "yes" : "no");
    stage_set_state(ctx.st, "running");
    rc = stage_run(ctx.st);
    exit_code = rc == 0 ? 0 : 1;
    s_on_wake(NULL, NULL, &ctx); /* actions taken just before the stop */
done:
    server_destroy(&ctx.srv); /* its thread reads the view and the ring: first */
    stage_destroy(&ctx.st);
    bus_sub_destroy(&sub);
    webhook_destroy(&ctx.wh);
    view_destroy(&ctx.view);
    ring_destroy(&ctx.ring);
    auth_destroy(&auth);
    curl_global_cleanup();
    curve_shutdown();
    cfg_destroy(&cfg);
    return exit_code;
}
