/*  recorder - writes every message of every stage into SQLite (ARCHITECTURE.md "Recorder").
 *  Usage: build/bin/recorder -c config/default.json -i recorder.0
 *  Wiring: one SUB (prefix "") connected to the PUB of every feed.*, signal.*, risk.* and
 *  executor.* instance in the config; every message goes through a step_t (inputs ranked in that
 *  order) whose deliver callback queues it in the writer, and whose barrier callback forwards
 *  sys.barrier on the recorder's own PUB (committing first when it is the end barrier, so a
 *  reader sees everything once venue-sim reports done). A zloop timer commits by age.
 *  History: when endpoints.<instance>.history is set, a REP socket there answers JSON history
 *  requests (recorder/history.h, docs/recorder.md "History over REP"), after committing what is
 *  pending so that the answer includes everything received.
 *  Alerts: when a commit fails (locked, read-only, disk full, I/O) the recorder publishes
 *  `rec.alert` (risk.alert body: level "error", code "db_<kind>", text with sqlite's message
 *  and the path) once per failure episode, `rec.alert` level "warn" code "db_recovered" when a
 *  commit succeeds again, and `rec.alert` "error" "dropping" the first time messages are
 *  dropped in an episode. Each alert is also queued into the database (risk_events and alerts
 *  rows with topic rec.alert), so the file records its own troubles once it can be written.
 *  Runs: every row carries the group's run id (stage_run_id); the `runs` table records each
 *  run's start, its clean end (set only after a SIGTERM/SIGINT stop with everything committed)
 *  and the recorder restarts within it. A restart reads the last seq stored per publisher and
 *  epoch of the run and records the jump to the first one received as a gap
 *  (writer_resume_gap; docs/recorder.md "Runs").
 *  Operator actions: a second SUB (prefix "gw.") connected to every gateway.* instance takes
 *  gw.action (docs/gateway.md) and queues it for the database at once, outside the step: the
 *  gateway is no input of the replay's lockstep, so the group runs the same with or without it.
 *  Config (all optional, read by recorder/config.h; each needs a restart): recorder.db
 *  (string, "{run}/tradepipe.db"), recorder.batch_max (messages, 5000), recorder.batch_ms (ms,
 *  200), recorder.rcvhwm (messages, 1000000).
 *  Exit codes:
 *    0  clean stop (SIGTERM/SIGINT), batch committed, database closed
 *    1  runtime failure (the loop stopped on an error, or the final commit failed)
 *    2  bad config
 *    3  cannot bind/connect, or cannot open the database
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/clock.h"
#include "common/curve.h"
#include "common/log.h"
#include "common/stage.h"
#include "common/step.h"
#include "recorder/config.h"
#include "recorder/history.h"
#include "recorder/writer.h"

#define RECORDER_MAX_INPUTS 16

typedef struct {
    stage_t *st;
    writer_t *w;
    step_t *step;
    int64_t *c_events, *c_commits, *c_db_errors, *c_dropped, *c_gap_rows, *c_history, *c_alerts;
    zsock_t *history;
    bool alerted;          /* a db_<kind> alert was sent for the current failure episode */
    uint64_t dropped_seen; /* dropped count when the last "dropping" alert went out */
    int64_t clock;         /* replay: ts_event of the last barrier released (history bound) */
} s_ctx_t;

/* Publish one rec.alert (risk.alert body) on the recorder's PUB. */
static void
s_alert(s_ctx_t *ctx, const char *level, const char *code, const char *text)
{
    codec_risk_alert_t a;
    memset(&a, 0, sizeof a);
    (void)snprintf(a.level, sizeof a.level, "%s", level);
    (void)snprintf(a.code, sizeof a.code, "%s", code);
    (void)snprintf(a.text, sizeof a.text, "%s", text);
    a.ts_event = clock_wall_ns(); /* an operational alert: about now, not about market time */
    (*ctx->c_alerts)++;
    bus_pub_t *pub = stage_pub(ctx->st);
    if (bus_publish(pub, "rec.alert", CODEC_RISK_ALERT, &a, a.ts_event, 0) < 0) {
        log_error("recorder", "cannot publish rec.alert %s: %s", code, strerror(errno));
        return;
    }
    /* the audit trail keeps its own alerts too (risk_events + alerts rows, topic rec.alert):
     * queued like any message, so they land with the batch once the database takes writes */
    static uint8_t buf[CODEC_MSG_MAX];
    codec_env_t env = { .v = CODEC_VERSION,
                        .epoch = bus_pub_epoch(pub),
                        .seq = bus_pub_seq(pub),
                        .ts = a.ts_event,
                        .origin = 0,
                        .evt = a.ts_event };
    (void)snprintf(env.src, sizeof env.src, "%s", bus_pub_src(pub));
    bus_msg_t m;
    memset(&m, 0, sizeof m);
    if (codec_encode(&env, CODEC_RISK_ALERT, &a, buf, sizeof buf, &m.len) == 0) {
        (void)snprintf(m.topic, sizeof m.topic, "rec.alert");
        m.type = CODEC_RISK_ALERT;
        m.env = env;
        m.data = buf;
        (void)writer_add(ctx->w, &m, clock_wall_ns(), clock_mono_ns()); /* counted inside */
    }
}

/* Turn the writer's state into alerts: one per failure episode, one on recovery, one when
 * messages start being dropped. */
static void
s_check_alerts(s_ctx_t *ctx)
{
    writer_stats_t s;
    writer_stats(ctx->w, &s);
    if (s.failing && !ctx->alerted) {
        char code[32], text[160];
        (void)snprintf(code, sizeof code, "db_%s", writer_rc_kind(s.last_rc));
        (void)snprintf(text, sizeof text, "cannot write %s (%s); holding up to %d x batch_max",
                       writer_path(ctx->w), sqlite3_errstr(s.last_rc), WRITER_PENDING_FACTOR);
        log_error("recorder", "ALERT %s: %s", code, text);
        stage_set_state(ctx->st, "db_failing");
        s_alert(ctx, "error", code, text);
        ctx->alerted = true;
    } else if (!s.failing && ctx->alerted) {
        log_notice("recorder", "database writable again: %s", writer_path(ctx->w));
        stage_set_state(ctx->st, "running");
        s_alert(ctx, "warn", "db_recovered", writer_path(ctx->w));
        ctx->alerted = false;
    }
    if (s.dropped > ctx->dropped_seen) {
        if (ctx->dropped_seen == 0 || !s.failing) {
            char text[160];
            (void)snprintf(text, sizeof text, "dropping messages: %llu so far (database failing)",
                           (unsigned long long)s.dropped);
            s_alert(ctx, "error", "dropping", text);
        }
        ctx->dropped_seen = s.dropped;
    }
}

/* A history request: commit first (so the answer sees everything received), then answer. */
static int
s_on_history(zloop_t *loop, zsock_t *reader, void *arg)
{
    s_ctx_t *ctx = arg;
    (void)loop;
    zframe_t *req = zframe_recv(reader);
    if (req == NULL) {
        return 0; /* interrupted */
    }
    (*ctx->c_history)++;
    writer_stats_t s;
    writer_stats(ctx->w, &s);
    if (!s.failing) {
        (void)writer_commit(ctx->w); /* a failure is counted and alerted like any other */
    }
    history_ctx_t hc = { .run_id = writer_run_id(ctx->w),
                         .replay = stage_replay(ctx->st),
                         .clock = ctx->clock };
    char *reply =
        history_answer(writer_db(ctx->w), &hc, (const char *)zframe_data(req), zframe_size(req));
    zframe_destroy(&req);
    const char *out = reply ? reply : "{\"ok\":false,\"error\":\"out of memory\"}";
    if (zstr_send(reader, out) < 0) {
        log_warn("recorder", "cannot send history reply: %s", zmq_strerror(zmq_errno()));
    }
    free(reply);
    s_check_alerts(ctx);
    return 0;
}

static void
s_sync_counters(s_ctx_t *ctx)
{
    writer_stats_t s;
    writer_stats(ctx->w, &s);
    *ctx->c_events = (int64_t)s.events;
    *ctx->c_commits = (int64_t)s.commits;
    *ctx->c_db_errors = (int64_t)s.db_errors;
    *ctx->c_dropped = (int64_t)s.dropped;
    *ctx->c_gap_rows = (int64_t)s.gaps;
}

/* step_t delivers in (evt, input rank, seq) order: queue it for the database. */
static void
s_deliver(const bus_msg_t *msg, void *arg)
{
    s_ctx_t *ctx = arg;
    /* ENOBUFS / ENOMEM are counted and logged inside the writer; the message is lost to the
     * database but the pipeline must go on (a recorder must never stall the hot path). */
    (void)writer_add(ctx->w, msg, clock_wall_ns(), clock_mono_ns());
}

/* gw.action from a gateway: into the database as it comes (no step: see the banner) */
static int
s_on_gw(stage_t *st, bus_msg_t *msg, void *arg)
{
    s_ctx_t *ctx = arg;
    (void)st;
    (void)writer_add(ctx->w, msg, clock_wall_ns(), clock_mono_ns()); /* counted inside */
    s_sync_counters(ctx);
    return stage_signalled() ? -1 : 0;
}

/* Barrier S is in from every input: forward it (n = 0, as every stage does). */
static void
s_barrier(const codec_sys_barrier_t *b, void *arg)
{
    s_ctx_t *ctx = arg;
    if (b->end) {
        if (writer_commit(ctx->w) < 0) {
            log_error("recorder", "commit before the end barrier failed; data is still pending");
        }
    }
    if (b->ts_event > ctx->clock) {
        ctx->clock = b->ts_event;
    }
    (void)stage_forward_barrier(ctx->st, b); /* a failure is logged there */
    s_sync_counters(ctx);
}

static int
s_on_msg(stage_t *st, bus_msg_t *msg, void *arg)
{
    s_ctx_t *ctx = arg;
    (void)st;
    /* gaps are recorded here, on arrival, for every message (barriers included) */
    if (writer_add_gap_of(ctx->w, msg, clock_wall_ns(), clock_mono_ns()) < 0) {
        log_warn("recorder", "cannot queue gap row for %s: %s", msg->env.src, strerror(errno));
    }
    /* restarted within a run: the jump from the last seq stored to the first one received is
     * what was published while no recorder ran (the bus never counts a first message) */
    if (msg->gap == 0) {
        int g = writer_resume_gap(ctx->w, msg, clock_wall_ns(), clock_mono_ns());
        if (g < 0) {
            log_warn("recorder", "cannot queue gap row for %s: %s", msg->env.src, strerror(errno));
        } else if (g > 0) {
            writer_stats_t s;
            writer_stats(ctx->w, &s);
            log_warn("recorder", "missed while down: %s epoch %lld up to seq %llu (%llu in all)",
                     msg->env.src, (long long)msg->env.epoch,
                     (unsigned long long)(msg->env.seq - 1), (unsigned long long)s.resume_missing);
        }
    }
    if (step_push(ctx->step, msg) < 0) {
        log_error("recorder", "cannot buffer message %s: %s", msg->topic, strerror(errno));
        return -1;
    }
    s_sync_counters(ctx);
    return 0;
}

static int
s_on_timer(zloop_t *loop, int timer_id, void *arg)
{
    s_ctx_t *ctx = arg;
    (void)loop;
    (void)timer_id;
    (void)writer_tick(ctx->w, clock_mono_ns()); /* failures are counted and logged inside */
    s_sync_counters(ctx);
    s_check_alerts(ctx);
    /* A signal that lands outside zmq_poll does not interrupt it, and the stage loop only
     * checks its flag after a SUB message: stop from here (stage_run then returns 0). */
    return stage_signalled() ? -1 : 0;
}

static void
s_status(stage_t *st, json_t *status, void *arg)
{
    s_ctx_t *ctx = arg;
    writer_stats_t s;
    char iso[32];
    (void)st;
    writer_stats(ctx->w, &s);
    json_t *db = json_object();
    if (db == NULL) {
        return;
    }
    (void)json_object_set_new(db, "path", json_string(writer_path(ctx->w)));
    (void)json_object_set_new(db, "rows", json_integer((json_int_t)s.rows));
    (void)json_object_set_new(db, "events", json_integer((json_int_t)s.events));
    (void)json_object_set_new(db, "pending", json_integer((json_int_t)s.pending));
    (void)json_object_set_new(db, "commits", json_integer((json_int_t)s.commits));
    (void)json_object_set_new(db, "db_errors", json_integer((json_int_t)s.db_errors));
    (void)json_object_set_new(db, "dropped", json_integer((json_int_t)s.dropped));
    (void)json_object_set_new(db, "failing", json_boolean(s.failing));
    (void)json_object_set_new(db, "last_error",
                              s.last_rc ? json_string(writer_rc_kind(s.last_rc)) : json_null());
    (void)json_object_set_new(db, "last_commit_ns", json_integer(s.last_commit_ns));
    (void)json_object_set_new(db, "last_commit",
                              s.last_commit_ns
                                  ? json_string(clock_fmt_iso(s.last_commit_ns, iso, sizeof iso))
                                  : json_null());
    (void)json_object_set_new(db, "run_id", json_string(writer_run_id(ctx->w)));
    (void)json_object_set_new(db, "gaps", json_integer((json_int_t)s.gaps));
    (void)json_object_set_new(db, "restart_gaps", json_integer((json_int_t)s.resume_gaps));
    (void)json_object_set_new(db, "restart_missing", json_integer((json_int_t)s.resume_missing));
    (void)json_object_set_new(db, "step_released",
                              json_integer((json_int_t)step_released(ctx->step)));
    (void)json_object_set_new(status, "db",
                              db); /* jansson calls: a failed set only loses a field */
}

/* `ctl reload`: the whole fresh file is checked as at start (every recorder key needs a
 * restart, so a valid change is then refused by the generic reload, naming the key). */
static int
s_on_check(stage_t *st, cfg_t *fresh, void *arg)
{
    (void)arg;
    return recorder_config_check(fresh, stage_name(st));
}

/* Connect `sub` to the PUB endpoint of `instance` (endpoints.<instance>.pub). 0, or the exit
 * code: 2 (bad config, logged) or 3 (cannot connect, logged by bus_sub_connect). */
static int
s_connect_pub(cfg_t *cfg, bus_sub_t *sub, const char *instance)
{
    char ep[512];
    if (cfg_endpoint(cfg, instance, "pub", ep, sizeof ep) < 0) {
        log_error("recorder", "%s", cfg_error(cfg));
        return 2;
    }
    return bus_sub_connect(sub, ep) < 0 ? 3 : 0;
}

int
main(int argc, char **argv)
{
    static const char *const k_roles[] = { "feed", "signal", "risk", "executor" };
    char inst[32];
    char names[RECORDER_MAX_INPUTS][32];
    int rc = 0;
    static recorder_config_t rc_cfg; /* the per-process config */
    s_ctx_t ctx = { 0 };
    bus_sub_t *sub = NULL, *gw_sub = NULL;
    int exit_code = 0;

    cfg_t *cfg = stage_boot(argc, argv, "recorder", inst, sizeof inst, &rc);
    if (cfg == NULL) {
        return rc;
    }
    if (recorder_config_read(cfg, inst, &rc_cfg) < 0) {
        log_error("recorder", "%s", cfg_error(cfg));
        cfg_destroy(&cfg);
        return 2;
    }
    /* CURVE before any socket (no-op unless security.curve and tcp:// endpoints); the lead's
     * stage_new will do this for every stage */
    if (!curve_enabled() && curve_configure(cfg, inst) < 0) {
        log_error("recorder", "CURVE setup failed: %s", strerror(errno));
        cfg_destroy(&cfg);
        return errno == EINVAL ? 2 : 3;
    }
    ctx.st = stage_new(inst, cfg);
    if (ctx.st == NULL) {
        cfg_destroy(&cfg);
        return 3;
    }
    ctx.w = writer_new(rc_cfg.db, (size_t)rc_cfg.batch_max, rc_cfg.batch_ms);
    if (ctx.w == NULL) {
        log_error("recorder", "cannot open database %s: %s", rc_cfg.db, strerror(errno));
        exit_code = 3;
        goto done;
    }
    writer_run_info_t run;
    if (writer_begin_run(ctx.w, stage_run_id(ctx.st), clock_wall_ns(), &run) < 0) {
        log_error("recorder", "cannot record the start of run %s in %s: %s", stage_run_id(ctx.st),
                  rc_cfg.db, strerror(errno));
        exit_code = 3;
        goto done;
    }
    char *cfg_dump = recorder_config_dump(cfg);
    if (cfg_dump == NULL || writer_set_run_config(ctx.w, cfg_file(cfg), cfg_dump) < 0) {
        /* the figures do not depend on it: the report then says "not recorded" */
        log_warn("recorder", "cannot record the config of run %s: %s", stage_run_id(ctx.st),
                 strerror(errno));
    }
    free(cfg_dump);
    if (run.resumed) {
        log_notice("recorder",
                   "run %s: restart %lld of the recorder within the run, %zu publishers to "
                   "check for what was missed%s",
                   stage_run_id(ctx.st), (long long)run.starts, run.publishers,
                   run.this_unclean ? "; the previous recorder did NOT stop cleanly" : "");
    } else {
        log_info("recorder", "run %s: new run", stage_run_id(ctx.st));
    }
    if (run.prev_unclean) {
        log_warn("recorder",
                 "the previous run %s in %s did not end cleanly (recorder killed or still "
                 "running): its report warns",
                 run.prev_run, rc_cfg.db);
    }
    ctx.step = step_new(stage_replay(ctx.st), s_deliver, s_barrier, &ctx);
    /* SUB HWM (docs/recorder.md "Never the bottleneck"): large enough to hold several seconds
     * of the busiest input while a commit runs; a full HWM drops here, never in the publisher
     * (PUB never blocks), and the drop shows as a gap. */
    sub = bus_sub_new((int)rc_cfg.rcvhwm);
    if (ctx.step == NULL || sub == NULL || bus_sub_subscribe(sub, "") < 0) {
        log_error("recorder", "cannot create subscriber: %s", strerror(errno));
        exit_code = 1;
        goto done;
    }
    ctx.c_events = stage_counter(ctx.st, "events");
    ctx.c_commits = stage_counter(ctx.st, "commits");
    ctx.c_db_errors = stage_counter(ctx.st, "db_errors");
    ctx.c_dropped = stage_counter(ctx.st, "dropped");
    ctx.c_gap_rows = stage_counter(ctx.st, "gap_rows");
    ctx.c_history = stage_counter(ctx.st, "history_requests");
    ctx.c_alerts = stage_counter(ctx.st, "alerts");

    if (rc_cfg.history) {
        const char *hep = rc_cfg.history_ep;
        ctx.history = zsock_new(ZMQ_REP);
        if (ctx.history == NULL || zsock_bind(ctx.history, "%s", hep) < 0) {
            log_error("recorder", "cannot bind history %s: %s", hep, zmq_strerror(zmq_errno()));
            exit_code = 3;
            goto done;
        }
        zsock_set_linger(ctx.history, 0);
        if (zloop_reader(stage_loop(ctx.st), ctx.history, s_on_history, &ctx) != 0) {
            log_error("recorder", "cannot poll history socket");
            exit_code = 1;
            goto done;
        }
    }

    int rank = 0;
    size_t n_inputs = 0;
    for (size_t r = 0; r < sizeof k_roles / sizeof k_roles[0]; r++) {
        size_t n = cfg_instances(cfg, k_roles[r], names, RECORDER_MAX_INPUTS);
        for (size_t i = 0; i < n; i++) {
            if ((exit_code = s_connect_pub(cfg, sub, names[i])) != 0) {
                goto done;
            }
            if (step_add_input(ctx.step, names[i], rank++, false) < 0) {
                log_error("recorder", "too many inputs at %s: %s", names[i], strerror(errno));
                exit_code = 2;
                goto done;
            }
            n_inputs++;
        }
    }
    if (n_inputs == 0) {
        log_warn("recorder", "no feed/signal/risk/executor instances in the config");
    }
    if (stage_add_sub(ctx.st, sub, s_on_msg, &ctx) < 0) {
        exit_code = 1;
        goto done;
    }
    size_t n_gw = cfg_instances(cfg, "gateway", names, RECORDER_MAX_INPUTS);
    if (n_gw > 0) {
        gw_sub = bus_sub_new((int)rc_cfg.rcvhwm);
        if (gw_sub == NULL || bus_sub_subscribe(gw_sub, "gw.") < 0) {
            log_error("recorder", "cannot create the gateway subscriber: %s", strerror(errno));
            exit_code = 1;
            goto done;
        }
        for (size_t i = 0; i < n_gw; i++) {
            if ((exit_code = s_connect_pub(cfg, gw_sub, names[i])) != 0) {
                goto done;
            }
        }
        if (stage_add_sub(ctx.st, gw_sub, s_on_gw, &ctx) < 0) {
            exit_code = 1;
            goto done;
        }
    }
    stage_on_status(ctx.st, s_status, &ctx);
    stage_on_check(ctx.st, s_on_check, &ctx);
    /* Check the batch age four times per batch_ms so a batch commits at most 1.25 x batch_ms
     * after its first message. */
    size_t period = (size_t)(rc_cfg.batch_ms / 4 > 0 ? rc_cfg.batch_ms / 4 : 1);
    if (zloop_timer(stage_loop(ctx.st), period, 0, s_on_timer, &ctx) < 0) {
        log_error("recorder", "cannot start commit timer");
        exit_code = 1;
        goto done;
    }
    log_info("recorder", "recording %zu inputs into %s (batch %lld msgs / %lld ms)", n_inputs,
             rc_cfg.db, (long long)rc_cfg.batch_max, (long long)rc_cfg.batch_ms);
    stage_set_state(ctx.st, "running");

    rc = stage_run(ctx.st);
    exit_code = rc == 0 ? 0 : 1;
    if (writer_commit(ctx.w) < 0) {
        exit_code = 1;
    }
    /* clean end (SIGTERM/SIGINT and everything committed): the run's row says so */
    if (exit_code == 0 && writer_end_run(ctx.w, clock_wall_ns()) < 0) {
        exit_code = 1;
    }
    s_sync_counters(&ctx);
    {
        writer_stats_t s;
        writer_stats(ctx.w, &s);
        log_info("recorder", "stopped: %llu events, %llu rows, %llu commits, %llu db errors",
                 (unsigned long long)s.events, (unsigned long long)s.rows,
                 (unsigned long long)s.commits, (unsigned long long)s.db_errors);
    }
done:
    /* the stage (and its loop, which references the sub) goes before the sub */
    stage_destroy(&ctx.st);
    zsock_destroy(&ctx.history);
    bus_sub_destroy(&sub);
    bus_sub_destroy(&gw_sub);
    step_destroy(&ctx.step);
    writer_destroy(&ctx.w);
    curve_shutdown();
    cfg_destroy(&cfg);
    return exit_code;
}
