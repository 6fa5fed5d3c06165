/*  executor - takes order requests from risk (REQ/REP), executes them on a venue (the paper
 *  venue for now), publishes exec.order, exec.fill, exec.position, exec.balance.
 *  Usage: build/bin/executor -c config/default.json -i executor.0 [-l level]
 *  Sockets: the stage PUB + control REP (stage_new); a REP at endpoints.<inst>.orders; a SUB
 *  to every feed.* PUB ("md.", "sys.barrier") and one to every risk.* PUB ("sys.barrier").
 *  Inputs go through a step_t: feed.* rank 0, risk.* rank 1 (order requests are pushed as
 *  risk.0's); the barrier callback publishes sys.barrier after the step's orders were matched.
 *  Config (defaults used when a key is absent):
 *    executor.venue "paper"; executor.taker_fee "0.001" (rate); executor.maker_fee "0.001";
 *    executor.slippage_cap_pct "1.0" (percent from the best price; "0" = no cap);
 *    executor.paper_trigger_by "last" | "mark" (paper trigger source);
 *    executor.paper_latency_ms 0 (paper: order active at its event time + latency);
 *    account.asset "USDT"; account.start_balance "10000" (quote units).
 *    Live venue (executor.venue "bybit", docs/executor.md): executor.base_url
 *    "https://api.bybit.com"; executor.category "linear"; executor.recv_window_ms 5000;
 *    executor.timeout_ms 5000; executor.max_offset_ms 500; executor.poll_ms 1000;
 *    executor.paper_state "" (paper venue: a persistence log, e.g. "{run}/paper.state";
 *    "" = off, the default, so replays never start from an old state);
 *    executor.journal "{run}/<instance>.journal"; executor.ws_url (derived from base_url:
 *    wss://stream.bybit.com/v5/private, or ws://<host:port>/v5/private for venue-sim; "" = no
 *    private WS); executor.key_file "" (a file "key\nsecret\n"
 *    readable by the owner only). Keys: BYBIT_API_KEY + BYBIT_API_SECRET from the
 *    environment, else key_file; never logged. The stage state follows the venue state
 *    ("reconciling", "running", "halted"): risk keeps new entries halted unless "running".
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
#include <sys/stat.h>

#include <czmq.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/money.h"
#include "common/stage.h"
#include "common/step.h"
#include "executor/exec.h"
#include "executor/rep.h"
#include "executor/venue.h"
#include <openssl/crypto.h>

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

/* Credentials of the live venue (wiped after use). */
typedef struct {
    char key[128];
    char secret[256];
    char base_url[256];
    char journal[512];
    char ws_url[300];
    char category[16];
    int64_t poll_ms;
} s_live_t;

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

/* Read the executor's settings into *vc. 0, or -1 (message in cfg_error). */
static int
s_config(cfg_t *cfg, venue_cfg_t *vc)
{
    static const char *const k_keys[] = { "venue",
                                          "taker_fee",
                                          "maker_fee",
                                          "slippage_cap_pct",
                                          "base_url",
                                          "category",
                                          "recv_window_ms",
                                          "timeout_ms",
                                          "max_offset_ms",
                                          "poll_ms",
                                          "journal",
                                          "key_file",
                                          "ws_url",
                                          "paper_state",
                                          "paper_trigger_by",
                                          "paper_latency_ms",
                                          NULL };
    const int64_t one = money_pow10(VENUE_RATE_SCALE);
    memset(vc, 0, sizeof *vc);
    if (cfg_check_keys(cfg, "executor", k_keys) < 0
        || cfg_str(cfg, "executor.venue", "paper", &vc->name) < 0
        || cfg_money(cfg, "executor.taker_fee", VENUE_RATE_SCALE, "0.001", 0, one / 10,
                     &vc->taker_fee)
               < 0
        || cfg_money(cfg, "executor.maker_fee", VENUE_RATE_SCALE, "0.001", 0, one / 10,
                     &vc->maker_fee)
               < 0
        || cfg_money(cfg, "executor.slippage_cap_pct", VENUE_RATE_SCALE, "1.0", 0, 100 * one,
                     &vc->slippage_cap)
               < 0
        || cfg_str(cfg, "account.asset", "USDT", &vc->asset) < 0
        || cfg_money(cfg, "account.start_balance", MONEY_VALUE_SCALE, "10000", 0, INT64_MAX,
                     &vc->start_balance)
               < 0) {
        return -1;
    }
    if (strcmp(vc->name, "paper") != 0 && strcmp(vc->name, "bybit") != 0) {
        return cfg_fail(cfg, "executor.venue", "expected \"paper\" or \"bybit\", got \"%s\"",
                        vc->name);
    }
    static char paper_state[512];
    if (cfg_path_str(cfg, "executor.paper_state", "", paper_state, sizeof paper_state) < 0) {
        return -1;
    }
    if (strcmp(vc->name, "paper") == 0 && paper_state[0]) {
        vc->journal_path = paper_state; /* paper persistence (docs/executor.md) */
    }
    if (strlen(vc->asset) == 0 || strlen(vc->asset) > 11) {
        return cfg_fail(cfg, "account.asset", "expected 1 to 11 characters, got \"%s\"", vc->asset);
    }
    return 0;
}

/* The paper venue's trigger source and latency into *pr (docs/executor.md "Paper fill
 * rules"). 0, or -1 (message in cfg_error). */
static int
s_config_paper(cfg_t *cfg, paper_rules_t *pr)
{
    const char *by;
    int64_t lat_ms;
    memset(pr, 0, sizeof *pr);
    if (cfg_str(cfg, "executor.paper_trigger_by", "last", &by) < 0
        || cfg_int(cfg, "executor.paper_latency_ms", 0, 0, 60000, false, &lat_ms) < 0) {
        return -1;
    }
    if (strcmp(by, "last") == 0) {
        pr->trigger_by = PAPER_TRIGGER_LAST;
    } else if (strcmp(by, "mark") == 0) {
        pr->trigger_by = PAPER_TRIGGER_MARK;
    } else {
        return cfg_fail(cfg, "executor.paper_trigger_by",
                        "expected \"last\" or \"mark\", got \"%s\"", by);
    }
    pr->latency_ns = lat_ms * 1000000; /* <= 60000 ms: no overflow */
    return 0;
}

/* Read a key file "key\nsecret\n"; refuse group/other permissions. 0, or -1 (message in
 * cfg_error; never the content). */
static int
s_key_file(cfg_t *cfg, const char *path, s_live_t *lv)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        return cfg_fail(cfg, "executor.key_file", "cannot stat %s: %s", path, strerror(errno));
    }
    if ((sb.st_mode & 077) != 0) {
        return cfg_fail(cfg, "executor.key_file",
                        "%s is readable or writable by group/others (mode %03o): chmod 600 it",
                        path, (unsigned)(sb.st_mode & 0777));
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        return cfg_fail(cfg, "executor.key_file", "cannot open %s: %s", path, strerror(errno));
    }
    bool ok = fgets(lv->key, sizeof lv->key, f) && fgets(lv->secret, sizeof lv->secret, f);
    fclose(f);
    lv->key[strcspn(lv->key, "\r\n")] = '\0';
    lv->secret[strcspn(lv->secret, "\r\n")] = '\0';
    if (!ok || !lv->key[0] || !lv->secret[0]) {
        OPENSSL_cleanse(lv, sizeof *lv);
        return cfg_fail(cfg, "executor.key_file", "%s: expected two lines, key then secret", path);
    }
    return 0;
}

/* Settings of the live venue into *lv and *vc. 0, or -1 (message in cfg_error). */
static int
s_config_live(cfg_t *cfg, const char *inst, venue_cfg_t *vc, s_live_t *lv)
{
    const char *base, *cat, *key_file;
    int64_t rw, to, off;
    char dflt[96];
    snprintf(dflt, sizeof dflt, "{run}/%s.journal", inst);
    if (cfg_str(cfg, "executor.base_url", "https://api.bybit.com", &base) < 0
        || cfg_str(cfg, "executor.category", "linear", &cat) < 0
        || cfg_int(cfg, "executor.recv_window_ms", 5000, 1, 60000, false, &rw) < 0
        || cfg_int(cfg, "executor.timeout_ms", 5000, 10, 60000, false, &to) < 0
        || cfg_int(cfg, "executor.max_offset_ms", 500, 1, 60000, false, &off) < 0
        || cfg_int(cfg, "executor.poll_ms", 1000, 10, 600000, false, &lv->poll_ms) < 0
        || cfg_path_str(cfg, "executor.journal", dflt, lv->journal, sizeof lv->journal) < 0
        || cfg_str(cfg, "executor.key_file", "", &key_file) < 0) {
        return -1;
    }
    /* private WS: venue-sim serves it on the REST port; Bybit on stream.bybit.com */
    const char *ws;
    char dws[300];
    if (strncmp(base, "https://api.bybit.com", 21) == 0) {
        snprintf(dws, sizeof dws, "wss://stream.bybit.com/v5/private");
    } else if (strncmp(base, "https://api-testnet.bybit.com", 29) == 0) {
        snprintf(dws, sizeof dws, "wss://stream-testnet.bybit.com/v5/private");
    } else {
        snprintf(dws, sizeof dws, "%s%s/v5/private",
                 strncmp(base, "https://", 8) == 0 ? "wss://" : "ws://",
                 strstr(base, "://") ? strstr(base, "://") + 3 : base);
    }
    if (cfg_str(cfg, "executor.ws_url", dws, &ws) < 0) {
        return -1;
    }
    snprintf(lv->ws_url, sizeof lv->ws_url, "%s", ws);
    if (strcmp(cat, "linear") != 0 && strcmp(cat, "spot") != 0) {
        return cfg_fail(cfg, "executor.category", "expected \"linear\" or \"spot\", got \"%s\"",
                        cat);
    }
    snprintf(lv->base_url, sizeof lv->base_url, "%s", base);
    snprintf(lv->category, sizeof lv->category, "%s", cat);
    const char *ek = getenv("BYBIT_API_KEY"), *es = getenv("BYBIT_API_SECRET");
    if (ek && ek[0] && es && es[0]) {
        snprintf(lv->key, sizeof lv->key, "%s", ek);
        snprintf(lv->secret, sizeof lv->secret, "%s", es);
    } else if (key_file[0]) {
        if (s_key_file(cfg, key_file, lv) < 0) {
            return -1;
        }
    } else {
        return cfg_fail(cfg, "executor.key_file",
                        "venue bybit needs BYBIT_API_KEY and BYBIT_API_SECRET or a key file");
    }
    vc->base_url = lv->base_url;
    vc->api_key = lv->key;
    vc->api_secret = lv->secret;
    vc->journal_path = lv->journal;
    vc->ws_url = lv->ws_url;
    vc->category = lv->category;
    vc->recv_window_ms = (int)rw;
    vc->timeout_ms = (int)to;
    vc->max_offset_ms = off;
    return 0;
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
    char inst[32], ep[256];
    int rc;
    cfg_t *cfg = stage_boot(argc, argv, "executor", inst, sizeof inst, &rc);
    if (!cfg) {
        return rc;
    }
    s_ctx_t c;
    memset(&c, 0, sizeof c);
    bus_sub_t *md_sub = NULL, *risk_sub = NULL;
    exec_cfg_t ec;
    memset(&ec, 0, sizeof ec);
    int exit_code = 1;

    s_live_t live;
    memset(&live, 0, sizeof live);
    if (s_config(cfg, &ec.venue) < 0 || s_config_paper(cfg, &ec.paper) < 0
        || cfg_endpoint(cfg, inst, "orders", ep, sizeof ep) < 0
        || (strcmp(ec.venue.name, "bybit") == 0
            && s_config_live(cfg, inst, &ec.venue, &live) < 0)) {
        log_error(S_MOD, "%s", cfg_error(cfg));
        OPENSSL_cleanse(&live, sizeof live);
        cfg_destroy(&cfg);
        return 2;
    }
    c.st = stage_new(inst, cfg);
    if (!c.st) {
        cfg_destroy(&cfg);
        return 3; /* stage_new logged which endpoint failed */
    }
    c.c_orders = stage_counter(c.st, "orders");
    c.c_fills = stage_counter(c.st, "fills");
    c.c_rejects = stage_counter(c.st, "rejects");
    c.c_duplicates = stage_counter(c.st, "duplicates");
    c.c_bad = stage_counter(c.st, "bad");
    c.c_pub_fail = stage_counter(c.st, "pub_fail");

    ec.instance = inst;
    ec.epoch_ns = bus_pub_epoch(stage_pub(c.st)); /* answers share the PUB's epoch */
    ec.venue.loop = stage_loop(c.st);
    /* paper persistence: the file names its run; a replay restores only its own run's */
    ec.venue.run_id = stage_run_id(c.st);
    ec.venue.fresh_other_runs = stage_replay(c.st);
    c.exec = exec_new(&ec, s_emit, &c);
    OPENSSL_cleanse(live.key, sizeof live.key); /* the REST client holds its own copy */
    OPENSSL_cleanse(live.secret, sizeof live.secret);
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
    c.rep = exec_rep_new(ep, c.exec, c.step, "risk.0");
    if (!c.rep) {
        exit_code = 3; /* "cannot bind <endpoint>: <why>" logged by exec_rep_new */
        goto done;
    }
    if (zloop_reader(stage_loop(c.st), exec_rep_sock(c.rep), s_on_rep, &c) != 0) {
        log_error(S_MOD, "cannot add the order socket to the loop");
        goto done;
    }
    stage_on_status(c.st, s_status, &c);
    stage_on_ctl(c.st, s_on_ctl, &c);
    if (live.poll_ms > 0) {
        s_follow_state(&c); /* "reconciling" until the first full poll */
        if (zloop_timer(stage_loop(c.st), (size_t)live.poll_ms, 0, s_on_poll, &c) < 0
            || zloop_timer(stage_loop(c.st), 100, 0, s_on_follow, &c) < 0) {
            log_error(S_MOD, "cannot add the venue poll timer");
            goto done;
        }
        exec_poll(c.exec); /* reconcile at start before anything is trusted */
        s_follow_state(&c);
    }
    log_info(S_MOD, "orders on %s, venue %s%s%s", ep, ec.venue.name, live.poll_ms ? " at " : "",
             live.poll_ms ? live.base_url : "");
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
