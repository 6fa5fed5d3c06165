/*  executor - takes order requests from risk (REQ/REP), executes them on a venue (the paper
 *  venue for now), publishes exec.order, exec.fill, exec.position, exec.balance.
 *  Usage: build/bin/executor -c config/default.json -i executor.0 [-l level]
 *  Sockets: the stage PUB + control REP (stage_new); a REP at endpoints.<inst>.orders; a SUB
 *  to every feed.* PUB ("md.", "sys.barrier") and one to every risk.* PUB ("sys.barrier").
 *  Inputs go through a step_t: feed.* rank 0, risk.* rank 1 (order requests are pushed as
 *  risk.0's); the barrier callback publishes sys.barrier after the step's orders were matched.
 *  Config: executor/config.h reads it (docs/config.md "executor": keys, defaults, and which
 *  ones `ctl reload` applies: executor.paper_trigger_by, executor.paper_latency_ms). Keys:
 *  BYBIT_API_KEY + BYBIT_API_SECRET from the environment (read here, the only reader of the
 *  environment), else executor.key_file; never logged. The stage state follows the venue state
 *  ("reconciling", "running", "halted"): risk keeps new entries halted unless "running".
 *  Exit codes:
 *    0  clean stop (SIGTERM/SIGINT)
 *    1  runtime failure
 *    2  bad config
 *    3  cannot bind or connect
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/money.h"
#include "common/stage.h"
#include "common/step.h"
#include "executor/config.h"
#include "executor/exec.h"
#include "executor/rep.h"
#include "executor/venue.h"

#define S_MOD      "executor"
#define S_MAX_INST 8

typedef struct {
    stage_t *st;
    exec_t *exec;
    step_t *step;
    exec_rep_t *rep;
    int64_t *c_orders, *c_fills, *c_rejects, *c_duplicates, *c_bad, *c_pub_fail;
    char last_state[32];
} s_ctx_t;

static void
s_sync_counters(s_ctx_t *c)
{
    const exec_counts_t *n = exec_counts(c->exec);
    *c->c_orders = n->orders;
    *c->c_rejects = n->rejects;
    *c->c_duplicates = n->duplicates;
    *c->c_bad = n->bad;
    *c->c_fills = (int64_t)orders_fill_count(exec_orders(c->exec));
}

static void
s_emit(const char *topic, codec_type_t type, const void *body, int64_t evt, int64_t origin,
       void *arg)
{
    s_ctx_t *c = arg;
    if (bus_publish(stage_pub(c->st), topic, type, body, evt, origin) < 0) {
        (*c->c_pub_fail)++;
        log_warn(S_MOD, "cannot publish %s: %s", topic, strerror(errno));
    }
}

static void
s_deliver(const bus_msg_t *msg, void *arg)
{
    s_ctx_t *c = arg;
    exec_deliver(c->exec, msg);
}

static void
s_barrier(const codec_sys_barrier_t *b, void *arg)
{
    s_ctx_t *c = arg;
    exec_barrier(c->exec, b); /* exec.balance before the hello barrier */
    codec_sys_barrier_t fwd = *b;
    fwd.n = 0; /* stages forward barriers without connection counts (codec.h) */
    s_emit("sys.barrier", CODEC_SYS_BARRIER, &fwd, b->ts_event, 0, c);
}

static int
s_on_sub(stage_t *st, bus_msg_t *msg, void *arg)
{
    (void)st;
    s_ctx_t *c = arg;
    exec_observe(c->exec, msg);
    if (step_push(c->step, msg) < 0) {
        log_error(S_MOD, "cannot buffer %s: %s", msg->topic, strerror(errno));
        return -1; /* out of memory: stop, supervisord restarts us */
    }
    s_sync_counters(c);
    return 0;
}

static int
s_on_rep(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    (void)sock;
    s_ctx_t *c = arg;
    if (exec_rep_handle(c->rep) < 0 && errno != EAGAIN) {
        return stage_signalled() ? -1 : 0;
    }
    s_sync_counters(c);
    return 0;
}

static void
s_status(stage_t *st, json_t *status, void *arg)
{
    (void)st;
    s_ctx_t *c = arg;
    exec_status(c->exec, status);
}

/* `ctl reload`: the whole fresh file is checked as at start before anything is compared. */
static int
s_on_check(stage_t *st, cfg_t *fresh, void *arg)
{
    (void)arg;
    return executor_config_check(fresh, stage_name(st));
}

/* `ctl reload` with a changed reloadable key (common/stage.h): read the whole fresh config
 * with the reader used at start, then apply the paper rules. Credentials are read as at
 * start (a key file that became unreadable is refused) but never applied live: wiped at
 * once. */
static int
s_on_reload(stage_t *st, cfg_t *fresh, json_t *reply, void *arg)
{
    (void)reply;
    s_ctx_t *c = arg;
    executor_config_t *xc = malloc(sizeof *xc);
    if (!xc) {
        return cfg_fail(fresh, "executor", "cannot reload: out of memory");
    }
    int r = executor_config_read(fresh, stage_name(st), getenv("BYBIT_API_KEY"),
                                 getenv("BYBIT_API_SECRET"), xc);
    executor_config_wipe(xc);
    if (r == 0 && exec_set_paper_rules(c->exec, &xc->exec.paper) < 0) {
        r = cfg_fail(fresh, "executor", "cannot apply the paper rules: %s", strerror(errno));
    }
    free(xc);
    return r;
}

static void
s_follow_state(s_ctx_t *c)
{
    const char *st = exec_venue_state(c->exec);
    if (strcmp(st, c->last_state) != 0) {
        snprintf(c->last_state, sizeof c->last_state, "%s", st);
        stage_set_state(c->st, st); /* sys.hb.<inst> state: risk halts unless "running" */
    }
}

static int
s_on_ctl(stage_t *st, const char *cmd, json_t *reply, void *arg)
{
    (void)st;
    s_ctx_t *c = arg;
    int rc = exec_control(c->exec, cmd, reply);
    s_follow_state(c);
    return rc;
}

static int
s_on_poll(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_ctx_t *c = arg;
    exec_poll(c->exec);
    s_follow_state(c);
    s_sync_counters(c);
    return 0;
}

/* The venue state also changes outside the poll (private WS down, authenticated and
 * reconciled): follow it every 100 ms so the heartbeat state is never a poll period late. */
static int
s_on_follow(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_follow_state(arg);
    return 0;
}

/* Connect `sub` to the PUB of every instance of `role`, subscribe `prefixes`, and register
 * each instance as a step input. 0, or -1 (logged). */
static int
s_connect_role(cfg_t *cfg, bus_sub_t *sub, step_t *step, const char *role, int rank,
               const char *const *prefixes)
{
    char names[S_MAX_INST][32], ep[256];
    size_t n = cfg_instances(cfg, role, names, S_MAX_INST);
    for (size_t i = 0; i < n; i++) {
        if (cfg_endpoint(cfg, names[i], "pub", ep, sizeof ep) < 0) {
            log_error(S_MOD, "%s", cfg_error(cfg));
            return -1;
        }
        if (bus_sub_connect(sub, ep) < 0) {
            return -1; /* logged by bus */
        }
        if (step_add_input(step, names[i], rank, false) < 0) {
            log_error(S_MOD, "cannot add step input %s: %s", names[i], strerror(errno));
            return -1;
        }
    }
    for (size_t i = 0; prefixes[i]; i++) {
        if (bus_sub_subscribe(sub, prefixes[i]) < 0) {
            log_error(S_MOD, "cannot subscribe to %s", prefixes[i]);
            return -1;
        }
    }
    if (n == 0) {
        log_warn(S_MOD, "no %s.* instance in the config", role);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    char inst[32];
    int rc;
    cfg_t *cfg = stage_boot(argc, argv, "executor", inst, sizeof inst, &rc);
    if (!cfg) {
        return rc;
    }
    s_ctx_t c;
    memset(&c, 0, sizeof c);
    bus_sub_t *md_sub = NULL, *risk_sub = NULL;
    static executor_config_t xc; /* the per-process config; exec.venue points into it */
    int exit_code = 1;

    if (executor_config_read(cfg, inst, getenv("BYBIT_API_KEY"), getenv("BYBIT_API_SECRET"), &xc)
        < 0) {
        log_error(S_MOD, "%s", cfg_error(cfg));
        cfg_destroy(&cfg);
        return 2;
    }
    c.st = stage_new(inst, cfg);
    if (!c.st) {
        executor_config_wipe(&xc);
        cfg_destroy(&cfg);
        return 3; /* stage_new logged which endpoint failed */
    }
    c.c_orders = stage_counter(c.st, "orders");
    c.c_fills = stage_counter(c.st, "fills");
    c.c_rejects = stage_counter(c.st, "rejects");
    c.c_duplicates = stage_counter(c.st, "duplicates");
    c.c_bad = stage_counter(c.st, "bad");
    c.c_pub_fail = stage_counter(c.st, "pub_fail");

    xc.exec.instance = inst;
    xc.exec.epoch_ns = bus_pub_epoch(stage_pub(c.st)); /* answers share the PUB's epoch */
    xc.exec.venue.loop = stage_loop(c.st);
    /* paper persistence: the file names its run; a replay restores only its own run's */
    xc.exec.venue.run_id = stage_run_id(c.st);
    xc.exec.venue.fresh_other_runs = stage_replay(c.st);
    c.exec = exec_new(&xc.exec, s_emit, &c);
    executor_config_wipe(&xc); /* the REST client holds its own copy */
    if (!c.exec) {
        log_error(S_MOD, "cannot create the executor: %s", strerror(errno));
        goto done;
    }
    c.step = step_new(stage_replay(c.st), s_deliver, s_barrier, &c);
    if (!c.step) {
        log_error(S_MOD, "cannot create the step: %s", strerror(errno));
        goto done;
    }
    static const char *const k_md_topics[] = { "md.", "sys.barrier", NULL };
    static const char *const k_risk_topics[] = { "sys.barrier", NULL };
    md_sub = bus_sub_new(0);
    risk_sub = bus_sub_new(0);
    if (!md_sub || !risk_sub) {
        log_error(S_MOD, "cannot create SUB sockets: %s", strerror(errno));
        goto done;
    }
    if (s_connect_role(cfg, md_sub, c.step, "feed", 0, k_md_topics) < 0
        || s_connect_role(cfg, risk_sub, c.step, "risk", 1, k_risk_topics) < 0) {
        exit_code = 3;
        goto done;
    }
    if (stage_add_sub(c.st, md_sub, s_on_sub, &c) < 0
        || stage_add_sub(c.st, risk_sub, s_on_sub, &c) < 0) {
        log_error(S_MOD, "cannot add SUB sockets to the loop: %s", strerror(errno));
        goto done;
    }
    /* order requests are pushed as risk.0's (ARCHITECTURE.md: one risk per account) */
    c.rep = exec_rep_new(xc.orders_ep, c.exec, c.step, "risk.0");
    if (!c.rep) {
        exit_code = 3; /* "cannot bind <endpoint>: <why>" logged by exec_rep_new */
        goto done;
    }
    if (zloop_reader(stage_loop(c.st), exec_rep_sock(c.rep), s_on_rep, &c) != 0) {
        log_error(S_MOD, "cannot add the order socket to the loop");
        goto done;
    }
    size_t n_keys;
    const stage_key_t *keys = executor_config_keys(&n_keys);
    if (stage_reload_keys(c.st, keys, n_keys) < 0) {
        log_error(S_MOD, "cannot declare the reload keys: %s", strerror(errno));
        goto done;
    }
    stage_on_check(c.st, s_on_check, &c);
    stage_on_reload(c.st, s_on_reload, &c);
    stage_on_status(c.st, s_status, &c);
    stage_on_ctl(c.st, s_on_ctl, &c);
    if (xc.poll_ms > 0) {
        s_follow_state(&c); /* "reconciling" until the first full poll */
        if (zloop_timer(stage_loop(c.st), (size_t)xc.poll_ms, 0, s_on_poll, &c) < 0
            || zloop_timer(stage_loop(c.st), 100, 0, s_on_follow, &c) < 0) {
            log_error(S_MOD, "cannot add the venue poll timer");
            goto done;
        }
        exec_poll(c.exec); /* reconcile at start before anything is trusted */
        s_follow_state(&c);
    }
    log_info(S_MOD, "orders on %s, venue %s%s%s", xc.orders_ep, xc.venue_name,
             xc.poll_ms ? " at " : "", xc.poll_ms ? xc.base_url : "");
    rc = stage_run(c.st);
    exit_code = rc == 0 ? 0 : 1;
done:
    if (c.rep && c.st) {
        zloop_reader_end(stage_loop(c.st), exec_rep_sock(c.rep));
    }
    exec_rep_destroy(&c.rep);
    exec_destroy(&c.exec); /* before the stage: the live venue leaves the loop it runs on */
    stage_destroy(&c.st);
    bus_sub_destroy(&risk_sub);
    bus_sub_destroy(&md_sub);
    step_destroy(&c.step);
    cfg_destroy(&cfg);
    return exit_code;
}
