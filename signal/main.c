/*  main.c - the signal stage: md.* from every feed.* PUB -> closed bars, indicators,
 *  strategy signals on sig.*.
 *  Run:   build/bin/signal -c config/default.json -i signal.0
 *  Inputs: SUB to endpoints.feed.*.pub, prefixes "md." and "sys.barrier"; every message goes
 *          through a step_t (input feed.N, rank 0): in replay it is delivered in
 *          (evt, rank, seq) order per step and the barrier is forwarded on our PUB after the
 *          step's messages; in live mode everything passes straight through.
 *  Warm-up: with signal.warmup_bars > 0 and endpoints.recorder.0.history set, every kline series
 *         is replayed (silently) from the recorder's md.kline history before the loop starts.
 *  Logic: signal/engine.c (no sockets there). Counters (status, sys.hb): bars, signals,
 *         indicators, late_trades, bad_msgs.
 *  Exit codes: 0 clean stop (SIGTERM/SIGINT), 1 runtime failure, 2 bad config,
 *              3 cannot bind/connect.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/stage.h"
#include "common/step.h"
#include "signal/engine.h"

#define S_MOD       "signal"
#define S_MAX_FEEDS 8

typedef struct {
    stage_t *st;
    step_t *step;
    engine_t *eng;
    int64_t *c_bars, *c_signals, *c_indicators, *c_late, *c_bad;
    bool warming;   /* warm-up in progress: a publish now is a catch-up */
    bool caught_up; /* the catch-up pause was taken */
    size_t catchup; /* messages published during warm-up */
} s_ctx_t;

/* Before the first catch-up message of a restart (engine_warmup_json_from), give the stages
 * that SUB to our freshly bound PUB (risk, recorder) time to reconnect (ZMQ reconnect_ivl is
 * 100 ms), so that the catch-up is not lost to a slow joiner. In replay the pipeline is
 * waiting for our barrier meanwhile; live, this delays only the restart. */
#define S_CATCHUP_PAUSE_MS 500

static int
s_publish(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
          int64_t origin)
{
    s_ctx_t *ctx = arg;
    if (ctx->warming) {
        if (!ctx->caught_up) {
            log_info(S_MOD, "catch-up of bars missed while down: waiting %d ms for subscribers",
                     S_CATCHUP_PAUSE_MS);
            zclock_sleep(S_CATCHUP_PAUSE_MS);
            ctx->caught_up = true;
        }
        ctx->catchup++;
    }
    return bus_publish(stage_pub(ctx->st), topic, type, body, evt, origin);
}

static void
s_sync(s_ctx_t *ctx)
{
    const engine_counters_t *n = engine_counters(ctx->eng);
    *ctx->c_bars = n->bars;
    *ctx->c_signals = n->signals;
    *ctx->c_indicators = n->indicators;
    *ctx->c_late = n->late_trades;
    *ctx->c_bad = n->bad_msgs;
}

static void
s_deliver(const bus_msg_t *msg, void *arg)
{
    s_ctx_t *ctx = arg;
    engine_on_msg(ctx->eng, msg); /* failures are counted and logged by the engine */
    s_sync(ctx);
}

/* All of the step's messages were handled: forward the barrier (codec.h: n = 0). */
static void
s_barrier(const codec_sys_barrier_t *b, void *arg)
{
    s_ctx_t *ctx = arg;
    (void)stage_forward_barrier(ctx->st, b); /* a failure is logged there */
}

static int
s_on_sub(stage_t *st, bus_msg_t *msg, void *arg)
{
    (void)st;
    s_ctx_t *ctx = arg;
    if (step_push(ctx->step, msg) != 0) {
        log_error(S_MOD, "cannot buffer %s: %s", msg->topic, strerror(errno));
        return -1;
    }
    return 0;
}

/* Warm-up of one kline series from the recorder's history REP (docs/signal.md "Restart
 * warm-up"). Failures are logged and leave the series cold: never fatal. */
typedef struct {
    s_ctx_t *ctx;
    const char *endpoint;
    int64_t n, timeout_ms;
    size_t bars;
    bool catchup; /* replay: publish the bars after the last one published before a restart */
} s_warm_t;

/* Start (ns) of the last sig.bar of the series in the recorder's history, i.e. the last bar a
 * previous run of signal published; INT64_MAX (publish nothing from history) when there is
 * none or no answer. */
static int64_t
s_last_published(const s_warm_t *w, const char *venue, const char *symbol, int tf_s)
{
    char req[256];
    int len = snprintf(req, sizeof req,
                       "{\"q\":\"bars\",\"kind\":\"sig.bar\",\"venue\":\"%s\",\"symbol\":\"%s\","
                       "\"tf_s\":%d,\"n\":1}",
                       venue, symbol, tf_s);
    size_t rlen = 0;
    char *reply = bus_request(w->endpoint, req, (size_t)len, (int)w->timeout_ms, &rlen);
    int64_t last = INT64_MAX;
    json_t *j = reply ? json_loadb(reply, rlen, 0, NULL) : NULL;
    json_t *bars = j ? json_object_get(j, "bars") : NULL;
    json_t *row = json_is_array(bars) ? json_array_get(bars, json_array_size(bars) - 1) : NULL;
    json_t *start = row ? json_object_get(row, "start_ns") : NULL;
    if (json_is_true(json_object_get(j, "ok")) && json_is_integer(start)) {
        last = json_integer_value(start);
    }
    json_decref(j);
    free(reply);
    return last;
}

static void
s_warm_series(const char *venue, const char *symbol, int tf_s, void *arg)
{
    s_warm_t *w = arg;
    /* replay only: live, the bars missed while down are old news (a stale signal must not
     * reach risk), the warm-up stays silent */
    int64_t published = w->catchup ? s_last_published(w, venue, symbol, tf_s) : INT64_MAX;
    char req[256];
    int len = snprintf(req, sizeof req,
                       "{\"q\":\"bars\",\"kind\":\"md.kline\",\"venue\":\"%s\",\"symbol\":\"%s\","
                       "\"tf_s\":%d,\"n\":%lld}",
                       venue, symbol, tf_s, (long long)w->n);
    size_t rlen = 0;
    char *reply = bus_request(w->endpoint, req, (size_t)len, (int)w->timeout_ms, &rlen);
    if (!reply) {
        log_warn(S_MOD, "warm-up %s %s %ds: no history from %s: %s (starting cold)", venue, symbol,
                 tf_s, w->endpoint, strerror(errno));
        return;
    }
    size_t n = 0;
    size_t pub0 = w->ctx->catchup;
    if (engine_warmup_json_from(w->ctx->eng, venue, symbol, tf_s, reply, rlen, published,
                                clock_wall_ns(), &n)
        != 0) {
        log_warn(S_MOD, "warm-up %s %s %ds: bad history answer after %zu bars: %.200s", venue,
                 symbol, tf_s, n, reply);
    }
    log_info(S_MOD, "warm-up %s %s %ds: %zu bars from %s, %zu messages of catch-up", venue,
             symbol, tf_s, n, w->endpoint, w->ctx->catchup - pub0);
    w->bars += n;
    free(reply);
}

static void
s_on_status(stage_t *st, json_t *status, void *arg)
{
    (void)st;
    s_ctx_t *ctx = arg;
    const bars_stats_t *b = engine_bars_stats(ctx->eng);
    json_t *o = json_object();
    if (!o) {
        return;
    }
    json_object_set_new(o, "kline_bars", json_integer((json_int_t)b->kline_bars));
    json_object_set_new(o, "kline_dups", json_integer((json_int_t)b->kline_dups));
    json_object_set_new(o, "kline_shadowed", json_integer((json_int_t)b->kline_shadowed));
    json_object_set_new(o, "trade_bars", json_integer((json_int_t)b->trade_bars));
    json_object_set_new(o, "trades", json_integer((json_int_t)b->trades));
    json_object_set_new(o, "late_trades", json_integer((json_int_t)b->late_trades));
    json_object_set_new(o, "strategies", json_integer((json_int_t)engine_n_strategies(ctx->eng)));
    json_object_set_new(o, "instruments", json_integer((json_int_t)engine_n_instruments(ctx->eng)));
    json_object_set_new(status, "signal", o);
}

int
main(int argc, char **argv)
{
    char inst[32];
    int rc;
    cfg_t *cfg = stage_boot(argc, argv, "signal", inst, sizeof inst, &rc);
    if (!cfg) {
        return rc;
    }
    s_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    bus_sub_t *sub = NULL;
    int exit_code = 1;

    ctx.eng = engine_new(s_publish, &ctx);
    if (!ctx.eng) {
        log_error(S_MOD, "cannot create engine: %s", strerror(errno));
        goto done;
    }
    if (engine_configure(ctx.eng, cfg) != 0) {
        log_error(S_MOD, "%s", cfg_error(cfg));
        exit_code = 2;
        goto done;
    }
    char feeds[S_MAX_FEEDS][32];
    size_t n_feeds = cfg_instances(cfg, "feed", feeds, S_MAX_FEEDS);
    if (n_feeds == 0) {
        log_error(S_MOD, "%s: no endpoints.feed.* to subscribe to", cfg_file(cfg));
        exit_code = 2;
        goto done;
    }
    char eps[S_MAX_FEEDS][256];
    for (size_t i = 0; i < n_feeds; i++) {
        if (cfg_endpoint(cfg, feeds[i], "pub", eps[i], sizeof eps[i]) != 0) {
            log_error(S_MOD, "%s", cfg_error(cfg));
            exit_code = 2;
            goto done;
        }
    }

    ctx.st = stage_new(inst, cfg);
    if (!ctx.st) {
        exit_code = 3; /* stage_new logged which endpoint failed */
        goto done;
    }
    ctx.c_bars = stage_counter(ctx.st, "bars");
    ctx.c_signals = stage_counter(ctx.st, "signals");
    ctx.c_indicators = stage_counter(ctx.st, "indicators");
    ctx.c_late = stage_counter(ctx.st, "late_trades");
    ctx.c_bad = stage_counter(ctx.st, "bad_msgs");
    ctx.step = step_new(stage_replay(ctx.st), s_deliver, s_barrier, &ctx);
    if (!ctx.step) {
        log_error(S_MOD, "cannot create step: %s", strerror(errno));
        goto done;
    }
    sub = bus_sub_new(0);
    if (!sub) {
        exit_code = 3;
        goto done;
    }
    for (size_t i = 0; i < n_feeds; i++) {
        if (bus_sub_connect(sub, eps[i]) != 0) {
            exit_code = 3;
            goto done;
        }
        if (step_add_input(ctx.step, feeds[i], 0, false) != 0) {
            log_error(S_MOD, "too many inputs (%s)", feeds[i]);
            exit_code = 2;
            goto done;
        }
        log_info(S_MOD, "subscribed to %s at %s", feeds[i], eps[i]);
    }
    if (bus_sub_subscribe(sub, "md.") != 0 || bus_sub_subscribe(sub, "sys.barrier") != 0
        || stage_add_sub(ctx.st, sub, s_on_sub, &ctx) != 0) {
        log_error(S_MOD, "cannot subscribe: %s", strerror(errno));
        exit_code = 3;
        goto done;
    }
    stage_on_status(ctx.st, s_on_status, &ctx);
    /* warm-up after subscribing (live klines received meanwhile wait in the SUB queue; the
     * kline duplicate rule drops those the history already had) */
    s_warm_t warm = { .ctx = &ctx };
    char hist_ep[256];
    if (cfg_int(cfg, "signal.warmup_bars", 0, 0, 10000, false, &warm.n) != 0
        || cfg_int(cfg, "signal.warmup_timeout_ms", 2000, 10, 60000, false, &warm.timeout_ms)
               != 0) {
        log_error(S_MOD, "%s", cfg_error(cfg));
        exit_code = 2;
        goto done;
    }
    if (warm.n > 0 && cfg_has(cfg, "endpoints.recorder.0.history")) {
        if (cfg_endpoint(cfg, "recorder.0", "history", hist_ep, sizeof hist_ep) != 0) {
            log_error(S_MOD, "%s", cfg_error(cfg));
            exit_code = 2;
            goto done;
        }
        warm.endpoint = hist_ep;
        warm.catchup = stage_replay(ctx.st);
        ctx.warming = true;
        engine_each_kline_series(ctx.eng, s_warm_series, &warm);
        ctx.warming = false;
        s_sync(&ctx);
        log_info(S_MOD, "warm-up done: %zu bars", warm.bars);
    }
    log_info(S_MOD, "%zu strategies, mode %s", engine_n_strategies(ctx.eng),
             stage_replay(ctx.st) ? "replay" : "live");
    stage_set_state(ctx.st, "running");
    rc = stage_run(ctx.st);
    exit_code = rc == 0 ? 0 : 1;
    log_info(S_MOD, "stopped: %lld bars, %lld signals, %lld late trades, %lld bad",
             (long long)*ctx.c_bars, (long long)*ctx.c_signals, (long long)*ctx.c_late,
             (long long)*ctx.c_bad);

done:
    stage_destroy(&ctx.st); /* first: its loop holds a reader on the sub's socket */
    bus_sub_destroy(&sub);
    step_destroy(&ctx.step);
    engine_destroy(&ctx.eng);
    cfg_destroy(&cfg);
    return exit_code;
}
