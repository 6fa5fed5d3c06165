/*  feed - exchange WebSockets in, md.* out (docs/feed.md).
 *  Usage: feed -c config/default.json -i feed.0 [-l level]
 *  Exit codes:
 *    0  clean stop (SIGTERM/SIGINT)
 *    1  runtime failure; in replay mode also: a connection's refused input passed
 *       feed.max_refused_pct (docs/feed.md "Refused input")
 *    2  bad config
 *    3  cannot bind/connect (PUB, control socket, venue-sim's PUB), already running (instance
 *       lock), or a venue-sim of another run (replay: run id check, feed/conn.h)
 *  Wiring only: sessions (feed/session.c: conn + parser + publishing) per configured
 *  connection; in replay mode a gate (feed/gate.c) between the connections and the parsers,
 *  released by venue-sim's sys.barrier.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/instr.h"
#include "common/log.h"
#include "common/money.h"
#include "common/stage.h"
#include "feed/config.h"
#include "feed/conn.h"
#include "feed/gate.h"
#include "feed/md.h"
#include "feed/session.h"

#define k_mod "feed"

typedef struct {
    stage_t *st;
    session_t *sess[CONN_MAX];
    size_t n;
    gate_t *gate;
    md_stats_t stats;
    int64_t *ctr[24];
    uint64_t hellos_fwd, barriers_fwd;
    bool announced_not_ready;
    int64_t refused_max_bp, refused_min_frames; /* feed.max_refused_pct, .refused_min_frames */
    bool refused_fail; /* replay: a connection passed the bound; the stage exits 1 */
    int64_t announce_ms, announce_left_ms; /* live: repeat md.instrument (feed.announce_s) */
} app_t;

/* name -> md_stats_t field, in sys.hb order (the first 16 counters go in the heartbeat) */
static const char *const k_ctr_names[] = {
    "frames",   "books",     "trades",        "tickers",    "klines",   "refused",  "resyncs",
    "bad_json", "bad_field", "unknown_topic", "reconnects", "no_instr", "unsynced", "acks",
    "nacks",    "pongs",     "barriers",      "crossed",    "silent",   "stale",    "skew_warn",
    NULL
};

static void
s_sync_counters(app_t *a)
{
    int64_t rec = 0, silent = 0;
    for (size_t i = 0; i < a->n; i++) {
        rec += session_reconnects(a->sess[i]);
        silent += session_silent_drops(a->sess[i]);
    }
    int64_t refused = 0;
    for (size_t i = 0; i < a->n; i++) {
        refused += session_refused(a->sess[i])->refused;
    }
    a->stats.reconnects = rec;
    a->stats.silent = silent;
    const md_stats_t *s = &a->stats;
    /* "refused" (frames the parsers refused, every connection) is among the first 16: it goes
     * in sys.hb.<inst>, so the recorder keeps it */
    const int64_t v[] = { s->frames,
                          s->books,
                          s->trades,
                          s->tickers,
                          s->klines,
                          refused,
                          s->resyncs,
                          s->bad_json,
                          s->bad_field,
                          s->unknown_topic,
                          s->reconnects,
                          s->no_instr,
                          s->unsynced,
                          s->acks,
                          s->nacks,
                          s->pongs,
                          (int64_t)a->barriers_fwd,
                          s->crossed,
                          s->silent,
                          s->stale,
                          s->skew_warn };
    for (size_t i = 0; k_ctr_names[i]; i++) {
        *a->ctr[i] = v[i];
    }
}

static void
s_batch_begin(void *arg)
{
    bus_pub_cork(arg);
}

static void
s_batch_end(void *arg)
{
    if (bus_pub_flush(arg) != 0) {
        log_warn(k_mod, "cannot hand a batch to the bus: %s", zmq_strerror(zmq_errno()));
    }
}

static int
s_on_timer(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    app_t *a = arg;
    s_sync_counters(a);
    if (a->announce_ms > 0 && (a->announce_left_ms -= 1000) <= 0) {
        a->announce_left_ms = a->announce_ms;
        for (size_t i = 0; i < a->n; i++) {
            if (session_ready(a->sess[i])) {
                session_announce_instruments(a->sess[i], clock_wall_ns());
            }
        }
    }
    return 0;
}

static void
s_on_status(stage_t *st, json_t *status, void *arg)
{
    (void)st;
    app_t *a = arg;
    s_sync_counters(a);
    json_t *arr = json_array();
    for (size_t i = 0; i < a->n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:b, s:I}", "label", session_label(a->sess[i]), "venue",
                              session_venue(a->sess[i]), "ready", session_ready(a->sess[i]),
                              "received", (json_int_t)(a->gate ? gate_received(a->gate, i) : 0));
        if (o) {
            session_health(a->sess[i], o);
            (void)json_array_append_new(arr, o); /* only fails on allocation */
        }
    }
    (void)json_object_set_new(status, "connections", arr);
    if (a->gate) {
        (void)json_object_set_new(status, "barriers_pending",
                                  json_integer((json_int_t)gate_pending(a->gate)));
    }
}

/* ---- refused input ------------------------------------------------------------------------ */

/* A connection's refused share passed feed.max_refused_pct (session_refused_fn). Replay: the
 * run is wrong (its result would be built on a fraction of the data): say so and stop with
 * exit 1. Live: the market does not wait for a person; the feed keeps publishing what it can,
 * its state becomes "degraded" (status, sys.hb) and a person is told (docs/feed.md). */
static void
s_on_refused(session_t *s, void *arg)
{
    app_t *a = arg;
    const md_refused_t *r = session_refused(s);
    char pct[32] = "", bound[32] = "";
    (void)money_fmt(md_refused_bp(r), 2, pct, sizeof pct); /* cap 32: always fits */
    (void)money_fmt(a->refused_max_bp, 2, bound, sizeof bound);
    bool replay = stage_replay(a->st);
    log_error(k_mod,
              "%s: %lld of %lld frames refused (%s %%, over feed.max_refused_pct %s %%): its "
              "data does not parse or does not fit the instrument's tick/step (first refusal "
              "logged above as a warning); %s",
              session_label(s), (long long)r->refused, (long long)r->frames, pct, bound,
              replay ? "stopping the replay (exit 1)" : "feed state degraded");
    if (replay) {
        a->refused_fail = true;
        stage_set_state(a->st, "failed");
        stage_stop(a->st);
    } else {
        stage_set_state(a->st, "degraded");
    }
}

/* ---- replay gate -------------------------------------------------------------------------- */

static void
s_hook(session_t *s, size_t index, const char *text, size_t len, int64_t recv_ns, void *arg)
{
    app_t *a = arg;
    /* `index` is the config index; with "instance" filtering the gate's is the position in
     * a->sess (at most CONN_MAX: a short scan) */
    for (size_t i = 0; i < a->n; i++) {
        if (a->sess[i] == s) {
            index = i;
            break;
        }
    }
    (void)gate_push(a->gate, index, text, len, recv_ns); /* ENOMEM is counted and logged */
}

static void
s_gate_frame(size_t conn, const char *text, size_t len, int64_t recv_ns, void *arg)
{
    app_t *a = arg;
    session_frame(a->sess[conn], text, len, recv_ns);
}

static void
s_gate_barrier(const codec_sys_barrier_t *b, void *arg)
{
    app_t *a = arg;
    codec_sys_barrier_t out = *b;
    out.n = 0; /* stages forward barriers without counts */
    memset(out.labels, 0, sizeof out.labels);
    memset(out.counts, 0, sizeof out.counts);
    if (b->step == 0) {
        for (size_t i = 0; i < a->n; i++) {
            if (!session_ready(a->sess[i])) {
                if (!a->announced_not_ready) {
                    log_info(k_mod, "hello seen, %s not ready yet: not forwarded",
                             session_label(a->sess[i]));
                    a->announced_not_ready = true;
                }
                return; /* venue-sim repeats hello */
            }
        }
        for (size_t i = 0; i < a->n; i++) {
            session_announce(a->sess[i], b->ts_event);
        }
        if (a->hellos_fwd++ == 0) {
            log_notice(k_mod, "all %zu connections ready: forwarding hello", a->n);
        }
    }
    if (bus_publish(stage_pub(a->st), "sys.barrier", CODEC_SYS_BARRIER, &out, out.ts_event, 0)
        != 0) {
        log_warn(k_mod, "cannot forward barrier %llu: %s", (unsigned long long)b->step,
                 strerror(errno));
        return;
    }
    a->barriers_fwd++;
    if (b->end) {
        log_notice(k_mod, "end of replay (barrier %llu forwarded)", (unsigned long long)b->step);
    }
}

static int
s_on_sim(stage_t *st, bus_msg_t *msg, void *arg)
{
    (void)st;
    app_t *a = arg;
    if (msg->type != CODEC_SYS_BARRIER) {
        return 0;
    }
    codec_sys_barrier_t b;
    if (codec_decode(msg->data, msg->len, CODEC_SYS_BARRIER, NULL, &b) != 0) {
        log_warn(k_mod, "undecodable sys.barrier from venue-sim: skipped");
        return 0;
    }
    (void)gate_barrier(a->gate, &b); /* ENOSPC is logged there */
    return 0;
}

/* `ctl reload`, first: the whole fresh file through the reader used at start (stage.h); every
 * feed key needs a restart, so a good file changes only log_level. */
static int
s_on_check(stage_t *st, cfg_t *fresh, void *arg)
{
    (void)arg;
    return feed_config_check(fresh, stage_name(st), NULL, NULL, NULL);
}

int
main(int argc, char **argv)
{
    char inst[32];
    int rc = 0;
    cfg_t *cfg = stage_boot(argc, argv, "feed", inst, sizeof inst, &rc);
    if (!cfg) {
        return rc;
    }
    app_t app;
    memset(&app, 0, sizeof app);
    instr_table_t *instrs = NULL;
    conn_ctx_t *ctx = NULL;
    bus_sub_t *sim = NULL;
    int exit_code = 1;
    srandom((unsigned)clock_mono_ns()); /* backoff jitter only */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error(k_mod, "cannot initialise libcurl");
        cfg_destroy(&cfg);
        return 1;
    }

    feed_config_t fc;
    instrs = instr_table_new();
    if (!instrs) {
        log_error(k_mod, "out of memory");
        goto done;
    }
    if (feed_config_read(cfg, inst, feed_config_replay(cfg), instrs, &fc) != 0) {
        log_error(k_mod, "%s", cfg_error(cfg));
        exit_code = 2;
        goto done;
    }
    app.refused_max_bp = fc.refused_max_bp;
    app.refused_min_frames = fc.refused_min_frames;

    app.st = stage_new(inst, cfg);
    if (!app.st) {
        exit_code = 3;
        goto done;
    }
    for (size_t i = 0; k_ctr_names[i]; i++) {
        app.ctr[i] = stage_counter(app.st, k_ctr_names[i]);
    }
    bool replay = stage_replay(app.st);
    /* replay: instruments go out once, at the hello (event time stays the recording's) */
    app.announce_ms = replay ? 0 : fc.announce_s * 1000;
    app.announce_left_ms = app.announce_ms;
    ctx = conn_ctx_new(stage_loop(app.st));
    if (!ctx) {
        goto done;
    }
    if (replay) { /* only venue-sim of our own run (conn.h): two groups on one host */
        conn_ctx_expect_run(ctx, stage_run_id(app.st));
    }
    /* smart batching: one hand-over to libzmq per WebSocket service pass (bus_pub_cork) */
    conn_ctx_set_batch(ctx, s_batch_begin, s_batch_end, stage_pub(app.st));
    session_env_t env = { .pub = stage_pub(app.st),
                          .instrs = instrs,
                          .stats = &app.stats,
                          .levels = (size_t)fc.book_levels,
                          .replay = replay,
                          .rest_timeout_ms = (long)fc.rest_timeout_ms,
                          /* replay: receive times are now, event times the recording's */
                          .skew_warn_ns = replay ? 0 : fc.skew_warn_ms * CLOCK_NS_PER_MS,
                          .hook = replay ? s_hook : NULL,
                          .hook_arg = &app,
                          .refused_max_bp = fc.refused_max_bp,
                          .refused_min_frames = fc.refused_min_frames,
                          .on_refused = s_on_refused,
                          .refused_arg = &app };
    if (feed_sessions_new(cfg, &fc, &env, ctx, app.sess, &app.n) != 0) {
        if (errno == EINVAL) {
            log_error(k_mod, "%s", cfg_error(cfg));
            exit_code = 2;
        }
        goto done;
    }

    if (replay) {
        const char *labels[CONN_MAX];
        for (size_t i = 0; i < app.n; i++) {
            labels[i] = session_label(app.sess[i]);
        }
        app.gate = gate_new(app.n, labels, s_gate_frame, s_gate_barrier, &app);
        if (!app.gate) {
            goto done;
        }
        sim = bus_sub_new(0);
        if (!sim || bus_sub_connect(sim, fc.sim_ep) != 0 || bus_sub_subscribe(sim, "") != 0
            || stage_add_sub(app.st, sim, s_on_sim, &app) != 0) {
            exit_code = 3;
            goto done;
        }
        /* everything, not only "sys.barrier": a prefix filter would leave holes in venue-sim's
         * sequence that the bus counts as gaps; other topics are ignored in s_on_sim */
        log_info(k_mod, "replay: frames gated by sys.barrier from %s", fc.sim_ep);
    }
    if (zloop_timer(stage_loop(app.st), 1000, 0, s_on_timer, &app) < 0) {
        goto done;
    }
    stage_on_status(app.st, s_on_status, &app);
    stage_on_check(app.st, s_on_check, &app);
    for (size_t i = 0; i < app.n; i++) {
        session_start(app.sess[i]);
    }
    stage_set_state(app.st, "running");
    rc = stage_run(app.st);
    s_sync_counters(&app);
    log_info(k_mod, "stopping: %lld frames, %lld books, %lld trades, %lld resyncs",
             (long long)app.stats.frames, (long long)app.stats.books, (long long)app.stats.trades,
             (long long)app.stats.resyncs);
    exit_code = rc == 0 && !app.refused_fail ? 0 : conn_ctx_refused(ctx)[0] ? 3 : 1;
done:
    conn_ctx_destroy(&ctx); /* before the sessions: no lws callback may reach them after */
    for (size_t i = app.n; i > 0; i--) {
        session_destroy(&app.sess[i - 1]);
    }
    gate_destroy(&app.gate);
    stage_destroy(&app.st); /* closes its loop before the SUB it polls */
    bus_sub_destroy(&sim);
    instr_table_destroy(&instrs);
    curl_global_cleanup();
    cfg_destroy(&cfg);
    return exit_code;
}
