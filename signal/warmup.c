/*  warmup.c - the signal stage's restart warm-up and catch-up (see warmup.h). */
#include "signal/warmup.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "signal/klrest.h"

#define S_MOD "signal"

struct warmup {
    engine_t *eng;
    cfg_t *cfg; /* for the REST fallback (feed.connections, feed.instruments) */
    bool replay;
    char run_id[64]; /* replay: the id every REST answer must carry; "" = no check */
    void (*sync_fn)(void *arg);
    void *sync_arg;
    const char *hist_ep;     /* endpoints.recorder.0.history when warm-up is on, else NULL */
    char hist_buf[256];      /* its storage */
    int64_t warm_n;          /* signal.warmup_bars */
    int64_t warm_timeout_ms; /* signal.warmup_timeout_ms */
    bool rest_on;            /* signal.warmup_rest */
    int64_t step_ms;         /* venue_sim.step_ms: a replay step's length in event time */
    int64_t warm_trades;     /* signal.warmup_trades: trades asked per symbol */
    bool barrier_seen;       /* a barrier was released (hello included) */
    bool catchup_pending;    /* restarted mid-replay: fetch the joined step's klines */
    uint64_t join_step;      /* the step we joined the replay at */
    bool hist_alive;         /* the history REP answered at start (catch-up asks it again) */
    struct {                 /* REST warm-up rows held until the first barrier (replay) */
        codec_md_kline_t *k;
        size_t n;
    } rest[ENGINE_MAX_STRATEGIES + 128];
    size_t n_rest;
    struct { /* trade symbols: the last recorder trade id fed */
        char venue[CODEC_VENUE_MAX];
        char symbol[CODEC_SYM_MAX];
        int64_t last_id;
    } tsym[BARS_MAX_SERIES];
    size_t n_tsym;
    int64_t evt_now; /* replay: the event time of the message or barrier being handled (the
                        catch-up asks the history for rows before it: "until") */
};

static void s_catchup(warmup_t *ctx);
static void s_apply_rest(warmup_t *ctx, int64_t live_from_evt);

static void
s_sync(warmup_t *ctx)
{
    if (ctx->sync_fn) {
        ctx->sync_fn(ctx->sync_arg);
    }
}

/* Warm-up of one kline series from the recorder's history REP (docs/signal.md "Restart
 * warm-up"). Failures are logged and leave the series cold: never fatal. */
typedef struct {
    warmup_t *ctx;
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
    warmup_t *ctx = w->ctx;
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
    int series = klrest_series(ctx->cfg, venue, symbol, tf_s, (long)ctx->warm_timeout_ms, &rs);
    if (series == 0) {
        snprintf(rs.run_id, sizeof rs.run_id, "%s", ctx->run_id);
    }
    if (series != 0
        || klrest_fetch(&rs, (size_t)w->n, (long)ctx->warm_timeout_ms, clock_wall_ns(), &k, &n)
               != 0) {
        log_warn(S_MOD, "warm-up %s %s %ds: no REST klines either: %s (starting cold)", venue,
                 symbol, tf_s, strerror(errno));
        return;
    }
    log_info(S_MOD, "warm-up %s %s %ds: %zu klines from REST %s%s", venue, symbol, tf_s, n, rs.base,
             ctx->replay ? " (held until the first barrier)" : "");
    if (n == 0) {
        return;
    }
    if (ctx->replay && ctx->n_rest < sizeof ctx->rest / sizeof ctx->rest[0]) {
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
s_apply_rest(warmup_t *ctx, int64_t live_from_evt)
{
    int64_t before = engine_counters(ctx->eng)->bars;
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
                   bars, (long long)(engine_counters(ctx->eng)->bars - before));
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
    warmup_t *ctx = w->ctx;
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
    int64_t before = engine_counters(ctx->eng)->bars;
    if (engine_warmup_trades_json(ctx->eng, venue, symbol, reply, rlen, ctx->warm_trades,
                                  catchup ? ctx->tsym[k].last_id : -1, !catchup && !ctx->replay,
                                  clock_wall_ns(), &ctx->tsym[k].last_id, &n)
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
             (long long)(engine_counters(ctx->eng)->bars - before));
    free(reply);
}

/* Restarted mid-replay, now at the first message or barrier after the joined step: take the
 * klines we missed (those of the joined step) from the recorder and handle them as live ones
 * (published and counted; the ones warm-up already had are dropped by the duplicate rule).
 * Their bars and signals come out at the start of this step instead of in the joined one. */
static void
s_catchup(warmup_t *ctx)
{
    ctx->catchup_pending = false;
    int64_t before = engine_counters(ctx->eng)->bars;
    s_warm_t w = { .ctx = ctx, .n = ctx->warm_n < 100 ? ctx->warm_n : 100, .published = INT64_MIN };
    engine_each_kline_series(ctx->eng, s_warm_series, &w);
    engine_each_trade_symbol(ctx->eng, s_warm_trades, &w);
    s_sync(ctx);
    log_notice(S_MOD, "caught up on step %llu (missed while down): %zu new bars, %lld published",
               (unsigned long long)ctx->join_step, w.bars,
               (long long)(engine_counters(ctx->eng)->bars - before));
}


warmup_t *
warmup_new(const warmup_env_t *env)
{
    assert(env && env->eng && env->cfg && env->sc);
    warmup_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->eng = env->eng;
    self->cfg = env->cfg;
    self->replay = env->replay;
    snprintf(self->run_id, sizeof self->run_id, "%s",
             env->replay && env->run_id ? env->run_id : "");
    self->sync_fn = env->sync;
    self->sync_arg = env->arg;
    self->warm_n = env->sc->warmup_bars;
    self->warm_timeout_ms = env->sc->warmup_timeout_ms;
    self->rest_on = env->sc->warmup_rest;
    self->warm_trades = env->sc->warmup_trades;
    self->step_ms = env->sc->step_ms;
    snprintf(self->hist_buf, sizeof self->hist_buf, "%s", env->sc->history_ep);
    return self;
}

void
warmup_destroy(warmup_t **self_p)
{
    assert(self_p);
    warmup_t *self = *self_p;
    if (!self) {
        return;
    }
    for (size_t i = 0; i < self->n_rest; i++) {
        free(self->rest[i].k);
    }
    free(self);
    *self_p = NULL;
}

void
warmup_start(warmup_t *self)
{
    assert(self);
    s_warm_t warm = { .ctx = self, .n = self->warm_n, .published = INT64_MAX };
    if (warm.n <= 0) {
        return;
    }
    self->hist_ep = self->hist_buf[0] ? self->hist_buf : NULL;
    engine_each_kline_series(self->eng, s_warm_series, &warm);
    engine_each_trade_symbol(self->eng, s_warm_trades, &warm);
    if (!self->hist_alive) {
        self->hist_ep = NULL; /* no catch-up from a history that did not answer */
    }
    log_info(S_MOD, "warm-up done: %zu bars now, %zu series held from REST", warm.bars,
             self->n_rest);
}

void
warmup_before_msg(warmup_t *self, const bus_msg_t *msg)
{
    assert(self && msg);
    if (self->n_rest > 0 && msg->type == CODEC_MD_KLINE) {
        s_apply_rest(self, INT64_MAX); /* a kline before any barrier: the history goes first */
    }
    if (self->catchup_pending) {
        self->evt_now = msg->env.evt;
        s_catchup(self); /* first message of the step after the one we joined at */
    }
}

/* The first barrier released being a step S > 0 means we restarted in the middle of a replay
 * (common/step.h): the md messages of step S were published while we were down. The recorder
 * writes them only when it releases S, i.e. after our barrier S, so they are fetched from its
 * history at the start of step S + 1 (s_catchup): by then venue-sim has sent S + 1, so the
 * recorder has released (and, answering, commits) step S. */
void
warmup_on_barrier(warmup_t *self, const codec_sys_barrier_t *b)
{
    assert(self && b);
    if (!self->barrier_seen) {
        self->barrier_seen = true;
        /* REST rows held for this moment: those of a joined step S > 0 were missed while we
         * were down (feed published them before we subscribed), so they are published now,
         * inside step S as in a run that never stopped; the older ones only warm */
        s_apply_rest(self, b->step > 0 ? b->ts_event - self->step_ms * CLOCK_NS_PER_MS : INT64_MAX);
        if (b->step > 0 && self->hist_alive) {
            self->catchup_pending = true;
            self->join_step = b->step;
        }
    } else if (self->catchup_pending && b->step > self->join_step) {
        self->evt_now = b->ts_event;
        s_catchup(self); /* step S + 1 had no message for us */
    }
}
