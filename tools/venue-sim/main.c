/*  venue-sim - the exchanges' stand-in on localhost: replays recorded frames over the venues'
 *  real wire protocols in steps of event time, with barriers (docs/venue-sim.md,
 *  ARCHITECTURE.md "Venue simulator" and "Event time, replay and determinism").
 *
 *  build/bin/venue-sim -c config/default.json -i venue-sim.0 [--speed max|N] [--port P] [-l LEVEL]
 *
 *  Exit codes: 0 clean stop (signal, or after the replay when venue_sim.exit_when_done)
 *              1 runtime failure
 *              2 bad config or arguments, or a data file that cannot be loaded
 *              3 cannot bind (PUB/control endpoints, or the WS/REST port), or this instance
 *                already runs on the run directory (the instance lock, stage_new)
 *  Port: --port, else venue_sim.port, else (0) the run's {run}/venue-sim.port (s_run_port).
 *
 *  Replay control (this file): states waiting -> hello -> running -> done.
 *    waiting  some expected label is not connected+subscribed yet; hellos are published
 *    hello    all expected labels ready; hellos (sys.barrier step 0) every hello_ms until the
 *             recorder echoes one at least hello_ms after the last connection/subscription
 *             change (so a late subscribe is never overtaken by step 1)
 *    running  step S is queued when S <= acked + window (acked = last barrier step echoed by
 *             venue_sim.wait_for) and its pace time has come; its barrier is published once
 *             every queued frame has been handed to lws
 *    done     the end barrier was echoed (lockstep) or published (free run)
 *  Free run (config mode != "replay", or venue_sim.lockstep false): no waiting for echoes;
 *  starts once the expected labels (or, with none, any connection) are subscribed and quiet.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>
#include <jansson.h>
#include <libwebsockets.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/log.h"
#include "common/port.h"
#include "common/stage.h"
#include "tools/venue-sim/config.h"
#include "tools/venue-sim/faults.h"
#include "tools/venue-sim/private.h"
#include "tools/venue-sim/schedule.h"
#include "tools/venue-sim/server.h"
#include "tools/venue-sim/source.h"

#define K_MAX_EXPECT CODEC_BARRIER_CONNS

static const char *const k_mod = "venue-sim";

typedef enum { R_WAITING = 0, R_HELLO, R_RUNNING, R_ENDING, R_DONE } s_rstate_t;
/* status / stage state words (ending shows as running), and the names logged */
#define K_RESEND_MS 1000 /* re-send an unanswered barrier after this long (wall clock) */
static const char *const k_rstate[] = { "waiting", "hello", "running", "running", "done" };
static const char *const k_rstate_log[] = { "waiting", "hello", "running", "ending", "done" };

typedef struct {
    stage_t *st;
    source_t *src;
    server_t *srv;
    sched_t *sched;
    int64_t *ts;
    /* settings */
    bool lockstep;
    int64_t step_ms, window, hello_ms, idle_cap_ms, speed; /* speed 0 = max */
    char speed_str[32];
    char wait_for[CODEC_SRC_MAX];
    char expect[K_MAX_EXPECT][CODEC_ID_MAX];
    size_t n_expect;
    bool exit_when_done;
    /* state */
    s_rstate_t state;
    sched_step_t cur;
    bool have_cur, open;
    uint64_t acked, last_published;
    int64_t last_change_mono, start_mono;
    int pace_timer;
    uint64_t released;
    bool pumping, repump;
    int64_t *c_steps;
    vs_priv_t *priv;            /* private REST/WS (private.h) */
    codec_sys_barrier_t last_b; /* the last barrier published, re-sent while unanswered */
    int64_t last_pub_mono;
} s_app_t;

/* ---- barriers --------------------------------------------------------------------------- */

static void
s_publish(s_app_t *a, uint64_t step, int64_t ts_event_ns, bool end)
{
    codec_sys_barrier_t b;
    memset(&b, 0, sizeof b);
    b.step = step;
    b.ts_event = ts_event_ns;
    b.end = end;
    b.ready = step == 0; /* every stage ANDs in whether all its inputs have joined */
    server_fill_barrier(a->srv, &b);
    a->last_b = b;
    a->last_pub_mono = clock_mono_ns();
    if (bus_publish(stage_pub(a->st), "sys.barrier", CODEC_SYS_BARRIER, &b, ts_event_ns, 0) != 0) {
        log_warn(k_mod, "cannot publish barrier %llu: %s", (unsigned long long)step,
                 strerror(errno));
    }
}

static void
s_set_state(s_app_t *a, s_rstate_t s)
{
    if (a->state != s) {
        a->state = s;
        stage_set_state(a->st, k_rstate[s]);
        log_notice(k_mod, "replay %s", k_rstate_log[s]);
    }
}

/* ---- the step pump ---------------------------------------------------------------------- */

static void s_pump(s_app_t *a);

static int
s_on_pace(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_app_t *a = arg;
    a->pace_timer = -1;
    s_pump(a);
    return 0;
}

static void
s_pump_once(s_app_t *a)
{
    while (a->state == R_RUNNING) {
        if (a->open) {
            if (!server_idle(a->srv)) {
                return; /* SERVER_EV_IDLE brings us back */
            }
            s_publish(a, a->cur.step, a->cur.end_ms * CLOCK_NS_PER_MS, a->cur.last);
            a->last_published = a->cur.step;
            a->open = false;
            a->have_cur = false;
            (*a->c_steps)++;
            if (a->cur.last) {
                log_notice(k_mod, "replay: end barrier %llu published",
                           (unsigned long long)a->cur.step);
                if (a->lockstep && a->acked < a->cur.step) {
                    s_set_state(a, R_ENDING);
                } else {
                    s_set_state(a, R_DONE);
                }
                return;
            }
            continue;
        }
        if (!a->have_cur) {
            if (sched_next(a->sched, &a->cur) != 0) {
                s_set_state(a, R_DONE); /* cannot happen: the last step ends the loop */
                return;
            }
            a->have_cur = true;
        }
        if (a->lockstep && a->cur.step > a->acked + (uint64_t)a->window) {
            return; /* the recorder's barrier brings us back */
        }
        if (a->speed > 0) {
            int64_t due = a->start_mono + a->cur.pace_ms * CLOCK_NS_PER_MS / a->speed;
            int64_t now = clock_mono_ns();
            if (now < due) {
                if (a->pace_timer < 0) {
                    size_t ms = (size_t)((due - now) / CLOCK_NS_PER_MS) + 1;
                    a->pace_timer = zloop_timer(stage_loop(a->st), ms, 1, s_on_pace, a);
                }
                return;
            }
        }
        for (size_t i = a->cur.first; i < a->cur.end; i++) {
            priv_on_frame(a->priv, source_frame(a->src, i));    /* private.h matching */
            (void)server_send(a->srv, source_frame(a->src, i)); /* 0 subscribers is fine */
        }
        a->released += a->cur.end - a->cur.first;
        a->open = true;
        server_flush(a->srv); /* no-op inside an lws callback: lwsloop keeps writing */
    }
}

static void
s_pump(s_app_t *a)
{
    if (a->pumping) {
        a->repump = true;
        return;
    }
    a->pumping = true;
    do {
        a->repump = false;
        s_pump_once(a);
    } while (a->repump);
    a->pumping = false;
    if (a->state == R_DONE && a->exit_when_done) {
        stage_stop(a->st);
    }
}

static bool
s_all_ready(const s_app_t *a)
{
    for (size_t i = 0; i < a->n_expect; i++) {
        if (!server_label_ready(a->srv, a->expect[i])) {
            return false;
        }
    }
    return true;
}

static void
s_start(s_app_t *a)
{
    a->start_mono = clock_mono_ns();
    s_set_state(a, R_RUNNING);
    log_notice(k_mod, "replay starts: %zu frames in %llu steps of %lld ms, speed %s",
               source_count(a->src), (unsigned long long)sched_total(a->sched),
               (long long)a->step_ms, a->speed_str);
    s_pump(a);
}

static void
s_on_server(server_event_t ev, void *arg)
{
    s_app_t *a = arg;
    if (ev == SERVER_EV_CHANGE) {
        a->last_change_mono = clock_mono_ns();
        if (a->state == R_WAITING || a->state == R_HELLO) {
            s_set_state(a, s_all_ready(a) ? R_HELLO : R_WAITING);
        }
    }
    s_pump(a);
}

static int
s_on_hello(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_app_t *a = arg;
    if ((a->state == R_RUNNING || a->state == R_ENDING) && a->lockstep
        && a->acked < a->last_published && a->last_b.step == a->last_published
        && clock_mono_ns() - a->last_pub_mono >= K_RESEND_MS * CLOCK_NS_PER_MS) {
        /* unanswered for K_RESEND_MS: a stage restarted mid-step and missed it (step.h: a
         * stage that joins mid-replay starts from the next barrier it sees) - send it again */
        a->last_pub_mono = clock_mono_ns();
        log_warn(k_mod, "barrier %llu unanswered for %d ms: sent again",
                 (unsigned long long)a->last_b.step, K_RESEND_MS);
        if (bus_publish(stage_pub(a->st), "sys.barrier", CODEC_SYS_BARRIER, &a->last_b,
                        a->last_b.ts_event, 0)
            != 0) {
            log_warn(k_mod, "cannot re-send barrier: %s", strerror(errno));
        }
        return 0;
    }
    if (a->state != R_WAITING && a->state != R_HELLO) {
        return 0;
    }
    s_set_state(a, s_all_ready(a) ? R_HELLO : R_WAITING);
    int64_t first_ns = source_count(a->src) ? source_frame(a->src, 0)->ts_ms * CLOCK_NS_PER_MS : 0;
    s_publish(a, 0, first_ns, false);
    if (!a->lockstep && a->state == R_HELLO && (a->n_expect > 0 || server_open(a->srv) > 0)
        && clock_mono_ns() - a->last_change_mono >= a->hello_ms * CLOCK_NS_PER_MS) {
        s_start(a);
    }
    return 0;
}

static int
s_on_barrier(stage_t *st, bus_msg_t *msg, void *arg)
{
    (void)st;
    s_app_t *a = arg;
    codec_env_t env;
    codec_sys_barrier_t b;
    if (msg->type != CODEC_SYS_BARRIER) {
        return 0;
    }
    if (codec_decode(msg->data, msg->len, CODEC_SYS_BARRIER, &env, &b) != 0) {
        log_warn(k_mod, "undecodable sys.barrier from upstream: skipped");
        return 0;
    }
    if (strcmp(env.src, a->wait_for) != 0) {
        return 0;
    }
    if (b.step == 0) {
        if (!b.ready) {
            return 0; /* some edge of the pipeline has not carried a hello yet */
        }
        if (a->state == R_HELLO && a->lockstep
            && clock_mono_ns() - a->last_change_mono >= a->hello_ms * CLOCK_NS_PER_MS) {
            log_notice(k_mod, "%s echoed hello: pipeline joined", a->wait_for);
            s_start(a);
        }
        return 0;
    }
    if (b.step > a->acked) {
        a->acked = b.step;
    }
    if (a->state == R_ENDING && a->acked >= a->last_published) {
        s_set_state(a, R_DONE);
    }
    s_pump(a);
    return 0;
}

/* control commands other than status: "fault ..." (faults.h) */
static int
s_on_ctl(stage_t *st, const char *cmd, json_t *reply, void *arg)
{
    (void)st;
    (void)arg;
    return faults_ctl(cmd, reply);
}

static void
s_status(stage_t *st, json_t *status, void *arg)
{
    (void)st;
    s_app_t *a = arg;
    json_t *r = json_object();
    json_t *per = json_object();
    codec_sys_barrier_t b;
    if (!r || !per) {
        json_decref(r);
        json_decref(per);
        return;
    }
    memset(&b, 0, sizeof b);
    server_fill_barrier(a->srv, &b);
    for (uint32_t i = 0; i < b.n; i++) {
        json_object_set_new(per, b.labels[i], json_integer((json_int_t)b.counts[i]));
    }
    json_object_set_new(r, "state", json_string(k_rstate[a->state]));
    json_object_set_new(r, "step", json_integer((json_int_t)a->last_published));
    json_object_set_new(r, "steps_total", json_integer((json_int_t)sched_total(a->sched)));
    json_object_set_new(r, "acked", json_integer((json_int_t)a->acked));
    json_object_set_new(r, "frames_sent", json_integer((json_int_t)a->released));
    json_object_set_new(r, "frames_total", json_integer((json_int_t)source_count(a->src)));
    /* recorded lines (kline CSV rows, frames) that did not parse: skipped at load, said here */
    json_object_set_new(r, "lines_refused", json_integer((json_int_t)source_bad(a->src)));
    json_object_set_new(r, "speed", json_string(a->speed_str));
    json_object_set_new(r, "per_conn", per);
    json_object_set_new(status, "replay", r);
}

/* ---- wiring ---------------------------------------------------------------------------- */

typedef struct {
    const char *speed_arg; /* --speed, NULL if not given */
    long port_arg;         /* --port, -1 if not given */
} s_args_t;

/* Take --speed / --port out of argv (stage_boot parses the rest). 0 or -1 (usage). */
static int
s_take_args(int *argc, char **argv, s_args_t *out)
{
    int w = 1;
    out->speed_arg = NULL;
    out->port_arg = -1;
    for (int i = 1; i < *argc; i++) {
        if ((strcmp(argv[i], "--speed") == 0 || strcmp(argv[i], "--port") == 0)) {
            if (i + 1 >= *argc) {
                return -1;
            }
            if (argv[i][2] == 's') {
                out->speed_arg = argv[i + 1];
            } else {
                char *end;
                out->port_arg = strtol(argv[i + 1], &end, 10);
                if (*end || end == argv[i + 1] || out->port_arg < 1 || out->port_arg > 65535) {
                    return -1;
                }
            }
            i++;
            continue;
        }
        argv[w++] = argv[i];
    }
    *argc = w;
    argv[w] = NULL;
    return 0;
}

static void
s_lws_log(int level, const char *line)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", line);
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        buf[--n] = '\0';
    }
    if (level & LLL_ERR) {
        log_error("lws", "%s", buf);
    } else {
        log_warn("lws", "%s", buf);
    }
}

/* venue_sim.port 0: the port `tools/sv up` chose for this run ({run}/venue-sim.port,
 * common/port.h), the same after a restart of venue-sim alone; a venue-sim started by hand
 * on a run directory without one chooses a free port itself and writes it there, for the
 * stages started after it. 0 or -1 (logged). */
static int
s_run_port(cfg_t *cfg, int64_t *port)
{
    int p;
    if (port_file_read(cfg_run_dir(cfg), &p) == 0) {
        *port = p;
        return 0;
    }
    if (errno != ENOENT) {
        log_error(k_mod, "cannot read the port of this run from %s/%s: %s", cfg_run_dir(cfg),
                  PORT_FILE, errno == EINVAL ? "it holds no port" : strerror(errno));
        return -1;
    }
    if (port_pick(&p) != 0 || port_file_write(cfg_run_dir(cfg), p) != 0) {
        log_error(k_mod, "cannot choose a free port for %s/%s: %s", cfg_run_dir(cfg), PORT_FILE,
                  strerror(errno));
        return -1;
    }
    log_notice(k_mod, "chose port %d (written to %s/%s)", p, cfg_run_dir(cfg), PORT_FILE);
    *port = p;
    return 0;
}

/* `ctl reload`, first: the whole fresh file through the reader used at start (stage.h); every
 * venue_sim key needs a restart, so a good file changes only log_level. */
static int
s_on_check(stage_t *st, cfg_t *fresh, void *arg)
{
    (void)arg;
    return venuesim_config_check(fresh, stage_name(st));
}

int
main(int argc, char **argv)
{
    char inst[32];
    int rc = 0;
    s_args_t args;
    if (faults_take_args(&argc, argv) != 0 || s_take_args(&argc, argv, &args) != 0
        || (args.speed_arg && venuesim_parse_speed(args.speed_arg) < 0)) {
        fprintf(stderr, "usage: venue-sim -c CONFIG.json [-i INSTANCE] [--speed max|N] "
                        "[--port P] [-l LEVEL] [--fault SPEC]... [--fault-dump LABEL=PATH] "
                        "[--faults]   (faults: tools/venue-sim/faults.h)\n");
        return 2;
    }
    cfg_t *cfg = stage_boot(argc, argv, "venue-sim", inst, sizeof inst, &rc);
    if (!cfg) {
        return rc;
    }
    lws_set_log_level(LLL_ERR | LLL_WARN, s_lws_log);

    s_app_t a;
    memset(&a, 0, sizeof a);
    a.pace_timer = -1;
    char *inst_linear = NULL, *inst_spot = NULL;
    bus_sub_t *sub = NULL;
    int exit_code = 0;
    venuesim_config_t vc;
    const char *mode;
    int64_t port = args.port_arg, cfg_port = 0;

    a.st = stage_new(inst, cfg);
    if (!a.st) {
        cfg_destroy(&cfg);
        return 3;
    }
    /* the port: --port, else venue_sim.port, else (0) this run's (s_run_port: the run
     * directory stage_new made holds it, or gets it now) */
    if (port < 1 && cfg_int(cfg, "venue_sim.port", 0, 0, 65535, false, &cfg_port) == 0
        && cfg_port == 0 && s_run_port(cfg, &port) != 0) {
        exit_code = 2;
        goto done;
    }
    if (cfg_str(cfg, "mode", "replay", &mode) != 0
        || venuesim_config_read(cfg, strcmp(mode, "live") != 0, args.speed_arg, (long)port, &vc)
               != 0) {
        log_error(k_mod, "%s", cfg_error(cfg));
        exit_code = 2;
        goto done;
    }
    a.lockstep = vc.lockstep;
    a.step_ms = vc.step_ms;
    a.window = vc.window;
    a.hello_ms = vc.hello_ms;
    a.idle_cap_ms = vc.idle_cap_ms;
    a.speed = vc.speed;
    snprintf(a.speed_str, sizeof a.speed_str, "%s", vc.speed_str);
    snprintf(a.wait_for, sizeof a.wait_for, "%s", vc.wait_for);
    a.n_expect = vc.n_expect;
    memcpy(a.expect, vc.expect, sizeof a.expect);
    a.exit_when_done = vc.exit_when_done;
    stage_set_state(a.st, "loading");
    a.src = source_new();
    if (!a.src) {
        exit_code = 1;
        goto done;
    }
    if (venuesim_config_load(cfg, a.src, &inst_linear, &inst_spot) != 0) {
        log_error(k_mod, "%s", cfg_error(cfg));
        exit_code = 2;
        goto done;
    }
    if (source_bad(a.src) > 0) {
        log_warn(k_mod, "%llu malformed lines skipped while loading",
                 (unsigned long long)source_bad(a.src));
    }
    size_t nf = source_count(a.src);
    a.ts = malloc((nf ? nf : 1) * sizeof *a.ts);
    if (!a.ts) {
        exit_code = 1;
        goto done;
    }
    for (size_t i = 0; i < nf; i++) {
        a.ts[i] = source_frame(a.src, i)->ts_ms;
    }
    a.sched = sched_new(a.ts, nf, a.step_ms, a.idle_cap_ms);
    if (!a.sched) {
        log_error(k_mod, "cannot build the step schedule: %s", strerror(errno));
        exit_code = 1;
        goto done;
    }
    a.c_steps = stage_counter(a.st, "steps");
    for (int k = SOURCE_BINANCE_USDM; k <= SOURCE_BINANCE_SPOT; k++) { /* faults.h live books */
        size_t dl = 0;
        const char *db = source_depth_snapshot(a.src, (source_kind_t)k, &dl);
        faults_set_depth(k == SOURCE_BINANCE_SPOT, db, dl);
    }
    server_cfg_t sc = {
        .port = (int)vc.port,
        .src = a.src,
        .instruments_linear = inst_linear,
        .instruments_spot = inst_spot,
        .frames_sent = stage_counter(a.st, "frames_sent"),
        .connections = stage_counter(a.st, "connections"),
        .subscribe_ok = stage_counter(a.st, "subscribe_ok"),
        .bad_requests = stage_counter(a.st, "bad_requests"),
        .run_id = stage_run_id(a.st),
    };
    vc.priv.instruments_linear = inst_linear;
    a.priv = priv_new(&vc.priv);
    if (!a.priv) {
        log_error(k_mod, "cannot create the private side: %s", strerror(errno));
        exit_code = 1;
        goto done;
    }
    sc.private_http = priv_http;
    sc.private_ws = priv_ws;
    sc.private_arg = a.priv;
    a.srv = server_new(stage_loop(a.st), &sc, s_on_server, &a);
    priv_set_server(a.priv, a.srv);
    if (!a.srv) {
        exit_code = 3;
        goto done;
    }
    log_notice(k_mod,
               "listening on 127.0.0.1:%lld: %zu frames, %zu keys, %llu steps, "
               "%s, speed %s, %zu expected labels",
               (long long)vc.port, nf, source_keys(a.src), (unsigned long long)sched_total(a.sched),
               a.lockstep ? "lockstep" : "free run", a.speed_str, a.n_expect);
    for (size_t i = 0; i < a.n_expect; i++) {
        log_info(k_mod, "expecting connection label '%s'", a.expect[i]);
    }

    if (a.lockstep) {
        sub = bus_sub_new(0);
        if (!sub) {
            log_error(k_mod, "cannot create the barrier SUB");
            exit_code = 1;
            goto done;
        }
        if (bus_sub_connect(sub, vc.wait_ep) != 0 || bus_sub_subscribe(sub, "sys.barrier") != 0
            || stage_add_sub(a.st, sub, s_on_barrier, &a) != 0) {
            exit_code = 3;
            goto done;
        }
    }
    stage_on_status(a.st, s_status, &a);
    stage_on_check(a.st, s_on_check, &a);
    stage_on_ctl(a.st, s_on_ctl, &a);
    if (zloop_timer(stage_loop(a.st), (size_t)a.hello_ms, 0, s_on_hello, &a) < 0) {
        exit_code = 1;
        goto done;
    }
    a.state = R_WAITING;
    stage_set_state(a.st, k_rstate[R_WAITING]);
    a.last_change_mono = clock_mono_ns();
    rc = stage_run(a.st);
    exit_code = rc == 0 ? 0 : 1;
    if (a.state == R_DONE && a.exit_when_done) {
        exit_code = 0;
    }

done:
    server_destroy(&a.srv);
    priv_destroy(&a.priv);
    sched_destroy(&a.sched);
    free(a.ts);
    source_destroy(&a.src);
    free(inst_linear);
    free(inst_spot);
    stage_destroy(&a.st);
    bus_sub_destroy(&sub);
    cfg_destroy(&cfg);
    faults_fini();
    return exit_code;
}
