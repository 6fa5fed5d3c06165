/*  main.c - the signal stage: md.* from every feed.* PUB -> closed bars, indicators,
 *  strategy signals on sig.*.
 *  Run:   build/bin/signal -c config/default.json -i signal.0
 *  Inputs: SUB to endpoints.feed.*.pub, prefixes "md." and "sys.barrier"; every message goes
 *          through a step_t (input feed.N, rank 0): in replay it is delivered in
 *          (evt, rank, seq) order per step and the barrier is forwarded on our PUB after the
 *          step's messages; in live mode everything passes straight through.
 *  Warm-up: with signal.warmup_bars > 0 and endpoints.recorder.0.history set, every kline series
 *         is replayed (silently) from the recorder's md.kline history before the loop starts;
 *         restarted mid-replay, the klines of the step we joined at are fetched from the same
 *         history at the start of the next step and handled as live (s_catchup).
 *         A series the history has no rows for (or every series, when it does not answer) is
 *         fetched from the venue's REST klines (signal/klrest.h, signal.warmup_rest): applied at
 *         once in live mode; in a replay held until the first barrier, where the klines of a
 *         joined step S > 0 (event time in [ts_event - venue_sim.step_ms, ts_event)) are
 *         published as live and the older ones only warm (s_apply_rest).
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
#include "signal/klrest.h"

#define S_MOD       "signal"
#define S_MAX_FEEDS 8

typedef struct {
    stage_t *st;
    step_t *step;
    engine_t *eng;
    int64_t *c_bars, *c_signals, *c_indicators, *c_late, *c_bad, *c_setups;
    const char *hist_ep;     /* endpoints.recorder.0.history when warm-up is on, else NULL */
    int64_t warm_n;          /* signal.warmup_bars */
    int64_t warm_timeout_ms; /* signal.warmup_timeout_ms */
    bool barrier_seen;       /* a barrier was released (hello included) */
    bool catchup_pending;    /* restarted mid-replay: fetch the joined step's klines */
    uint64_t join_step;      /* the step we joined the replay at */
    bool hist_alive;         /* the history REP answered at start (catch-up asks it again) */
    cfg_t *cfg;              /* for the REST fallback (feed.connections, feed.instruments) */
    bool rest_on;            /* signal.warmup_rest */
    int64_t step_ms;         /* venue_sim.step_ms: a replay step's length in event time */
    struct {                 /* REST warm-up rows held until the first barrier (replay) */
        codec_md_kline_t *k;
        size_t n;
    } rest[ENGINE_MAX_STRATEGIES + 128];
    size_t n_rest;
    int64_t warm_trades; /* signal.warmup_trades: trades asked per symbol */
    struct {             /* trade symbols: the last recorder trade id fed */
        char venue[CODEC_VENUE_MAX];
        char symbol[CODEC_SYM_MAX];
        int64_t last_id;
    } tsym[BARS_MAX_SERIES];
    size_t n_tsym;
    int64_t evt_now; /* replay: the event time of the message or barrier being handled (the
                        catch-up asks the history for rows before it: "until") */
} s_ctx_t;

static void s_catchup(s_ctx_t *ctx);
static void s_apply_rest(s_ctx_t *ctx, int64_t live_from_evt);

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

static void
s_deliver(const bus_msg_t *msg, void *arg)
{
    s_ctx_t *ctx = arg;
    if (ctx->n_rest > 0 && msg->type == CODEC_MD_KLINE) {
        s_apply_rest(ctx, INT64_MAX); /* a kline before any barrier: the history goes first */
    }
    if (ctx->catchup_pending) {
        ctx->evt_now = msg->env.evt;
        s_catchup(ctx); /* first message of the step after the one we joined at */
    }
    engine_on_msg(ctx->eng, msg); /* failures are counted and logged by the engine */
    s_sync(ctx);
}

/* All of the step's messages were handled: forward the barrier (codec.h: n = 0).
 * The first barrier released being a step S > 0 means we restarted in the middle of a replay
 * (common/step.h): the md messages of step S were published while we were down. The recorder
 * writes them only when it releases S, i.e. after our barrier S, so they are fetched from its
 * history at the start of step S + 1 (s_catchup): by then venue-sim has sent S + 1, so the
 * recorder has released (and, answering, commits) step S. */
static void
s_barrier(const codec_sys_barrier_t *b, void *arg)
{
    s_ctx_t *ctx = arg;
    if (!ctx->barrier_seen) {
        ctx->barrier_seen = true;
        /* REST rows held for this moment: those of a joined step S > 0 were missed while we
         * were down (feed published them before we subscribed), so they are published now,
         * inside step S as in a run that never stopped; the older ones only warm */
        s_apply_rest(ctx, b->step > 0 ? b->ts_event - ctx->step_ms * CLOCK_NS_PER_MS : INT64_MAX);
        if (b->step > 0 && ctx->hist_alive) {
            ctx->catchup_pending = true;
            ctx->join_step = b->step;
        }
    } else if (ctx->catchup_pending && b->step > ctx->join_step) {
        ctx->evt_now = b->ts_event;
        s_catchup(ctx); /* step S + 1 had no message for us */
    }
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
    int64_t n;         /* bars asked per series */
    int64_t published; /* rows starting after this are published as live (INT64_MAX: none) */
    size_t bars;
} s_warm_t;

/* The REST fallback for one series (docs/signal.md "Restart warm-up"): the venue's newest
 * warmup_bars closed klines. Live mode: warmed at once. Replay: held until the first barrier
 * (s_apply_rest). Failures are logged and leave the series cold. */
static void
s_warm_rest(s_warm_t *w, const char *venue, const char *symbol, int tf_s)
{
    s_ctx_t *ctx = w->ctx;
    klrest_series_t rs;
    codec_md_kline_t *k = NULL;
    size_t n = 0;
    if (!ctx->rest_on) {
        log_warn(S_MOD,
                 "warm-up %s %s %ds: no history and signal.warmup_rest is off: starting "
                 "cold",
                 venue, symbol, tf_s);
        return;
    }
    if (klrest_series(ctx->cfg, venue, symbol, tf_s, (long)ctx->warm_timeout_ms, &rs) != 0
        || klrest_fetch(&rs, (size_t)w->n, (long)ctx->warm_timeout_ms, clock_wall_ns(), &k, &n)
               != 0) {
        log_warn(S_MOD, "warm-up %s %s %ds: no REST klines either: %s (starting cold)", venue,
                 symbol, tf_s, strerror(errno));
        return;
    }
    log_info(S_MOD, "warm-up %s %s %ds: %zu klines from REST %s%s", venue, symbol, tf_s, n, rs.base,
             stage_replay(ctx->st) ? " (held until the first barrier)" : "");
    if (n == 0) {
        return;
    }
    if (stage_replay(ctx->st) && ctx->n_rest < sizeof ctx->rest / sizeof ctx->rest[0]) {
        ctx->rest[ctx->n_rest].k = k;
        ctx->rest[ctx->n_rest].n = n;
        ctx->n_rest++;
        return;
    }
    size_t bars = 0;
    if (engine_warmup_klines(ctx->eng, k, n, INT64_MAX, 0, &bars) != 0) {
        log_warn(S_MOD, "warm-up %s %s %ds: a REST kline was refused after %zu bars", venue, symbol,
                 tf_s, bars);
    }
    w->bars += bars;
    free(k);
}

/* Apply the held REST rows (replay): rows with event time >= live_from_evt are published as
 * live (origin = the wall clock now), the others only warm. */
static void
s_apply_rest(s_ctx_t *ctx, int64_t live_from_evt)
{
    int64_t before = *ctx->c_bars;
    size_t bars = 0;
    for (size_t i = 0; i < ctx->n_rest; i++) {
        size_t b = 0;
        if (engine_warmup_klines(ctx->eng, ctx->rest[i].k, ctx->rest[i].n, live_from_evt,
                                 clock_wall_ns(), &b)
            != 0) {
            log_warn(S_MOD, "warm-up: a REST kline of %s %s was refused after %zu bars",
                     ctx->rest[i].k[0].venue, ctx->rest[i].k[0].symbol, b);
        }
        bars += b;
        free(ctx->rest[i].k);
        ctx->rest[i].k = NULL;
    }
    if (ctx->n_rest > 0) {
        s_sync(ctx);
        log_notice(S_MOD, "warm-up from REST applied: %zu bars, %lld published (missed while down)",
                   bars, (long long)(*ctx->c_bars - before));
    }
    ctx->n_rest = 0;
}

static void
s_warm_series(const char *venue, const char *symbol, int tf_s, void *arg)
{
    s_warm_t *w = arg;
    char req[320], until[48] = "";
    bool catchup = w->published != INT64_MAX;
    if (catchup && w->ctx->evt_now > 0) { /* never a row at or after our own event time */
        (void)snprintf(until, sizeof until, ",\"until\":%lld", (long long)w->ctx->evt_now);
    }
    int len = snprintf(req, sizeof req,
                       "{\"q\":\"bars\",\"kind\":\"md.kline\",\"venue\":\"%s\",\"symbol\":\"%s\","
                       "\"tf_s\":%d,\"n\":%lld%s}",
                       venue, symbol, tf_s, (long long)w->n, until);
    size_t rlen = 0;
    if (!w->ctx->hist_ep || (catchup && !w->ctx->hist_alive)) {
        if (!catchup) {
            s_warm_rest(w, venue, symbol, tf_s);
        }
        return;
    }
    char *reply =
        bus_request(w->ctx->hist_ep, req, (size_t)len, (int)w->ctx->warm_timeout_ms, &rlen);
    if (!reply) {
        log_warn(S_MOD, "%s %s %s %ds: no history from %s: %s", catchup ? "catch-up" : "warm-up",
                 venue, symbol, tf_s, w->ctx->hist_ep, strerror(errno));
        if (!catchup) {
            w->ctx->hist_ep = NULL; /* not asked again for the other series */
            s_warm_rest(w, venue, symbol, tf_s);
        }
        return;
    }
    if (!catchup) {
        w->ctx->hist_alive = true;
    }
    size_t n = 0;
    if (engine_warmup_json_from(w->ctx->eng, venue, symbol, tf_s, reply, rlen, w->published,
                                clock_wall_ns(), &n)
        != 0) {
        log_warn(S_MOD, "warm-up %s %s %ds: bad history answer after %zu bars: %.200s", venue,
                 symbol, tf_s, n, reply);
    }
    log_info(S_MOD, "%s %s %s %ds: %zu bars from %s", catchup ? "catch-up" : "warm-up", venue,
             symbol, tf_s, n, w->ctx->hist_ep);
    w->bars += n;
    free(reply);
    if (!catchup && n == 0) {
        s_warm_rest(w, venue, symbol, tf_s); /* the history has no rows for this series */
    }
}

/* Open bars of the trade series of one symbol (docs/signal.md "Restart warm-up"): warm-up
 * (w->published == INT64_MAX) restores them silently from the recorder's last trades; the
 * catch-up hands the trades recorded since (ids above the last one fed) over as live ones. */
static void
s_warm_trades(const char *venue, const char *symbol, int tf_s, void *arg)
{
    (void)tf_s;
    s_warm_t *w = arg;
    s_ctx_t *ctx = w->ctx;
    bool catchup = w->published != INT64_MAX;
    if (!ctx->hist_ep || ctx->warm_trades == 0) {
        return;
    }
    size_t k;
    for (k = 0; k < ctx->n_tsym; k++) {
        if (strcmp(ctx->tsym[k].venue, venue) == 0 && strcmp(ctx->tsym[k].symbol, symbol) == 0) {
            break;
        }
    }
    if (k == ctx->n_tsym) {
        if (k == sizeof ctx->tsym / sizeof ctx->tsym[0]) {
            return; /* cannot happen: at most one per trade series */
        }
        snprintf(ctx->tsym[k].venue, sizeof ctx->tsym[k].venue, "%s", venue);
        snprintf(ctx->tsym[k].symbol, sizeof ctx->tsym[k].symbol, "%s", symbol);
        ctx->tsym[k].last_id = 0;
        ctx->n_tsym++;
    }
    char req[320], until[48] = "";
    if (catchup && ctx->evt_now > 0) { /* never a row at or after our own event time */
        (void)snprintf(until, sizeof until, ",\"until\":%lld", (long long)ctx->evt_now);
    }
    int len = snprintf(req, sizeof req,
                       "{\"q\":\"trades\",\"venue\":\"%s\",\"symbol\":\"%s\","
                       "\"n\":%lld%s}",
                       venue, symbol, (long long)ctx->warm_trades, until);
    size_t rlen = 0, n = 0;
    char *reply = bus_request(ctx->hist_ep, req, (size_t)len, (int)ctx->warm_timeout_ms, &rlen);
    if (!reply) {
        log_warn(S_MOD, "%s trades %s %s: no history from %s: %s (open bars start empty)",
                 catchup ? "catch-up" : "warm-up", venue, symbol, ctx->hist_ep, strerror(errno));
        if (!catchup) {
            ctx->hist_ep = NULL;
        }
        return;
    }
    if (!catchup) {
        ctx->hist_alive = true;
    }
    int64_t before = *ctx->c_bars;
    if (engine_warmup_trades_json(ctx->eng, venue, symbol, reply, rlen, ctx->warm_trades,
                                  catchup ? ctx->tsym[k].last_id : -1,
                                  !catchup && !stage_replay(ctx->st), clock_wall_ns(),
                                  &ctx->tsym[k].last_id, &n)
        != 0) {
        log_warn(S_MOD, "%s trades %s %s: %s after %zu trades", catchup ? "catch-up" : "warm-up",
                 venue, symbol,
                 errno == ERANGE ? "the open bar began before the oldest trade asked for (raise "
                                   "signal.warmup_trades): not restored"
                                 : "bad history answer",
                 n);
    }
    s_sync(ctx);
    log_info(S_MOD, "%s trades %s %s: %zu trades from %s (%lld bars published)",
             catchup ? "catch-up" : "warm-up", venue, symbol, n, ctx->hist_ep,
             (long long)(*ctx->c_bars - before));
    free(reply);
}

/* Restarted mid-replay, now at the first message or barrier after the joined step: take the
 * klines we missed (those of the joined step) from the recorder and handle them as live ones
 * (published and counted; the ones warm-up already had are dropped by the duplicate rule).
 * Their bars and signals come out at the start of this step instead of in the joined one. */
static void
s_catchup(s_ctx_t *ctx)
{
    ctx->catchup_pending = false;
    int64_t before = *ctx->c_bars;
    s_warm_t w = { .ctx = ctx, .n = ctx->warm_n < 100 ? ctx->warm_n : 100, .published = INT64_MIN };
    engine_each_kline_series(ctx->eng, s_warm_series, &w);
    engine_each_trade_symbol(ctx->eng, s_warm_trades, &w);
    s_sync(ctx);
    log_notice(S_MOD, "caught up on step %llu (missed while down): %zu new bars, %lld published",
               (unsigned long long)ctx->join_step, w.bars, (long long)(*ctx->c_bars - before));
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
    ctx.c_setups = stage_counter(ctx.st, "setups");
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
    s_warm_t warm = { .ctx = &ctx, .published = INT64_MAX };
    char hist_ep[256];
    ctx.cfg = cfg;
    if (cfg_int(cfg, "signal.warmup_bars", 0, 0, 10000, false, &ctx.warm_n) != 0
        || cfg_int(cfg, "signal.warmup_timeout_ms", 2000, 10, 60000, false, &ctx.warm_timeout_ms)
               != 0
        || cfg_bool(cfg, "signal.warmup_rest", true, &ctx.rest_on) != 0
        || cfg_int(cfg, "signal.warmup_trades", 100000, 0, 1000000, false, &ctx.warm_trades) != 0
        || cfg_int(cfg, "venue_sim.step_ms", 100, 1, INT64_MAX / CLOCK_NS_PER_MS, false,
                   &ctx.step_ms)
               != 0) {
        log_error(S_MOD, "%s", cfg_error(cfg));
        exit_code = 2;
        goto done;
    }
    warm.n = ctx.warm_n;
    if (warm.n > 0) {
        if (cfg_has(cfg, "endpoints.recorder.0.history")) {
            if (cfg_endpoint(cfg, "recorder.0", "history", hist_ep, sizeof hist_ep) != 0) {
                log_error(S_MOD, "%s", cfg_error(cfg));
                exit_code = 2;
                goto done;
            }
            ctx.hist_ep = hist_ep;
        }
        engine_each_kline_series(ctx.eng, s_warm_series, &warm);
        engine_each_trade_symbol(ctx.eng, s_warm_trades, &warm);
        if (!ctx.hist_alive) {
            ctx.hist_ep = NULL; /* no catch-up from a history that did not answer */
        }
        log_info(S_MOD, "warm-up done: %zu bars now, %zu series held from REST", warm.bars,
                 ctx.n_rest);
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
    for (size_t i = 0; i < ctx.n_rest; i++) {
        free(ctx.rest[i].k);
    }
    stage_destroy(&ctx.st); /* first: its loop holds a reader on the sub's socket */
    bus_sub_destroy(&sub);
    step_destroy(&ctx.step);
    engine_destroy(&ctx.eng);
    cfg_destroy(&cfg);
    return exit_code;
}
