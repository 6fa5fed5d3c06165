/*  main.c - the signal stage: md.* from every feed.* PUB -> closed bars, indicators,
 *  strategy signals on sig.*.
 *  Run:   build/bin/signal -c config/default.json -i signal.0
 *  Inputs: SUB to endpoints.feed.*.pub, prefixes "md." and "sys.barrier"; every message goes
 *          through a step_t (input feed.N, rank 0): in replay it is delivered in
 *          (evt, rank, seq) order per step and the barrier is forwarded on our PUB after the
 *          step's messages; in live mode everything passes straight through.
 *  Wiring only: the config and the engine come from signal/config.h (signal_engine_new,
 *         signal_config_read), the restart warm-up and catch-up from signal/warmup.h, `ctl
 *         reload` of strategy parameters from signal_config_reload.
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
#include "common/log.h"
#include "common/stage.h"
#include "common/step.h"
#include "signal/config.h"
#include "signal/engine.h"
#include "signal/warmup.h"

#define S_MOD "signal"

typedef struct {
    stage_t *st;
    step_t *step;
    engine_t *eng;
    warmup_t *warm;
    int64_t *c_bars, *c_signals, *c_indicators, *c_late, *c_bad, *c_setups;
} s_ctx_t;

static int
s_publish(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
          int64_t origin)
{
    s_ctx_t *ctx = arg;
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
    *ctx->c_setups = n->setups;
}

/* The engine's counters into the stage's (status, sys.hb); also the warm-up's sync hook. */
static void
s_sync_arg(void *arg)
{
    s_sync(arg);
}

static void
s_deliver(const bus_msg_t *msg, void *arg)
{
    s_ctx_t *ctx = arg;
    warmup_before_msg(ctx->warm, msg); /* held REST rows, a pending catch-up */
    engine_on_msg(ctx->eng, msg);      /* failures are counted and logged by the engine */
    s_sync(ctx);
}

/* All of the step's messages were handled: forward the barrier (codec.h: n = 0), after the
 * warm-up's part of it (signal/warmup.h warmup_on_barrier). */
static void
s_barrier(const codec_sys_barrier_t *b, void *arg)
{
    s_ctx_t *ctx = arg;
    warmup_on_barrier(ctx->warm, b);
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

/* `ctl reload` with a changed reloadable key (common/stage.h, signal_config_keys): the fresh
 * config is read as at start, then the strategies take their new parameters. Served between
 * two steps (stage.h "When"): the next step's bars see them. */
static int
s_on_reload(stage_t *st, cfg_t *fresh, json_t *reply, void *arg)
{
    (void)st;
    s_ctx_t *ctx = arg;
    if (signal_config_reload(ctx->eng, fresh) != 0) {
        return -1;
    }
    (void)json_object_set_new(reply, "step", json_integer((json_int_t)step_released(ctx->step)));
    log_notice(S_MOD, "new strategy parameters from step %llu on",
               (unsigned long long)step_released(ctx->step) + 1);
    return 0;
}

/* `ctl reload`, first: the whole fresh file through the reader used at start (stage.h). */
static int
s_on_check(stage_t *st, cfg_t *fresh, void *arg)
{
    (void)arg;
    return signal_config_check(fresh, stage_name(st));
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
    json_object_set_new(o, "grace_closes", json_integer((json_int_t)b->grace_closes));
    json_object_set_new(o, "trade_dups", json_integer((json_int_t)engine_trade_dups(ctx->eng)));
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
    signal_config_t sc;
    bus_sub_t *sub = NULL;
    int exit_code = 1;

    ctx.eng = signal_engine_new(cfg, s_publish, &ctx);
    if (!ctx.eng || signal_config_read(cfg, &sc) != 0) {
        if (errno == EINVAL) {
            log_error(S_MOD, "%s", cfg_error(cfg));
            exit_code = 2;
        } else {
            log_error(S_MOD, "cannot create engine: %s", strerror(errno));
        }
        goto done;
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
    ctx.c_setups = stage_counter(ctx.st, "setups");
    warmup_env_t wenv = { .eng = ctx.eng,
                          .cfg = cfg,
                          .sc = &sc,
                          .replay = stage_replay(ctx.st),
                          .run_id = stage_run_id(ctx.st),
                          .sync = s_sync_arg,
                          .arg = &ctx };
    ctx.warm = warmup_new(&wenv);
    if (!ctx.warm) {
        log_error(S_MOD, "cannot create the warm-up: %s", strerror(errno));
        goto done;
    }
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
    for (size_t i = 0; i < sc.n_feeds; i++) {
        if (bus_sub_connect(sub, sc.feed_eps[i]) != 0) {
            exit_code = 3;
            goto done;
        }
        if (step_add_input(ctx.step, sc.feeds[i], 0, false) != 0) {
            log_error(S_MOD, "too many inputs (%s)", sc.feeds[i]);
            exit_code = 2;
            goto done;
        }
        log_info(S_MOD, "subscribed to %s at %s", sc.feeds[i], sc.feed_eps[i]);
    }
    if (bus_sub_subscribe(sub, "md.") != 0 || bus_sub_subscribe(sub, "sys.barrier") != 0
        || stage_add_sub(ctx.st, sub, s_on_sub, &ctx) != 0) {
        log_error(S_MOD, "cannot subscribe: %s", strerror(errno));
        exit_code = 3;
        goto done;
    }
    stage_on_status(ctx.st, s_on_status, &ctx);
    size_t n_keys;
    const stage_key_t *keys = signal_config_keys(&n_keys);
    if (stage_reload_keys(ctx.st, keys, n_keys) != 0) {
        log_error(S_MOD, "cannot declare the reload keys: %s", strerror(errno));
        goto done;
    }
    stage_on_check(ctx.st, s_on_check, &ctx);
    stage_on_reload(ctx.st, s_on_reload, &ctx);
    /* warm-up after subscribing (live klines received meanwhile wait in the SUB queue; the
     * kline duplicate rule drops those the history already had) */
    warmup_start(ctx.warm);
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
    warmup_destroy(&ctx.warm);
    engine_destroy(&ctx.eng);
    cfg_destroy(&cfg);
    return exit_code;
}
