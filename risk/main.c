/*  risk/main.c - the risk stage: wires feed, signal and executor streams through a step_t
 *  into the engine (risk/engine), sends orders on REQ/REP to executor.0 and publishes risk.*.
 *  Usage: build/bin/risk -c config/default.json -i risk.0 [-l LEVEL]
 *  Exit codes:
 *    0  clean stop (SIGTERM/SIGINT)
 *    1  runtime failure (the loop stopped on an error)
 *    2  bad config (or bad arguments)
 *    3  cannot bind or connect a socket
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/instr.h"
#include "common/log.h"
#include "common/money.h"
#include "common/runid.h"
#include "common/stage.h"
#include "common/step.h"
#include "risk/config.h"
#include "risk/engine.h"
#include "risk/orders.h"
#include "risk/persist.h"
#include "risk/sizing.h"

#define S_MAX_INPUTS 8

typedef struct {
    stage_t *st;
    step_t *step;
    risk_engine_t *eng;
    risk_orders_t *orders;
    int64_t *c_signals, *c_orders, *c_rejects, *c_exits, *c_alerts, *c_bad;
    risk_state_t shown; /* state word last given to stage_set_state */
    bool shown_set;
    char state_path[512]; /* persisted state (kill latch, limits, positions) */
    char exec_ctl[256];   /* executor.0 control endpoint (restart rebuild) */
    int timeout_ms;
    int64_t *c_persist_fail;
} s_ctx_t;

/* ---- engine io ---------------------------------------------------------------------- */

static int
s_publish(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
          int64_t origin)
{
    s_ctx_t *ctx = arg;
    return bus_publish(stage_pub(ctx->st), topic, type, body, evt, origin);
}

static int
s_send_order(void *arg, const codec_risk_order_t *ord, int64_t evt, int64_t origin,
             codec_order_ack_t *ack)
{
    s_ctx_t *ctx = arg;
    return risk_orders_send(ctx->orders, ord, evt, origin, ack);
}

/* The kill switch's cancel: "cancel-all" on executor.0's control socket (docs/risk.md "Kill
 * switch"). The paper venue answers {"ok":true,"cancelled":N}; the live venue
 * {"ok":true,"sent":true} (its cancels arrive on exec.order). N, 0 (sent), or -1 with errno
 * ETIMEDOUT (no answer) / EPROTO (refused or unusable answer). */
static int
s_cancel_all(void *arg)
{
    s_ctx_t *ctx = arg;
    size_t len = 0;
    char *rep = bus_request(ctx->exec_ctl, "cancel-all", 10, ctx->timeout_ms, &len);
    if (!rep) {
        errno = ETIMEDOUT;
        return -1;
    }
    json_error_t jerr;
    json_t *j = json_loadb(rep, len, 0, &jerr);
    free(rep);
    int rc = -1;
    errno = EPROTO;
    if (j && json_is_true(json_object_get(j, "ok"))) {
        json_t *n = json_object_get(j, "cancelled");
        rc = json_is_integer(n) ? (int)json_integer_value(n) : 0;
    } else if (j) {
        log_warn("risk", "kill: cancel-all refused by the executor: %s",
                 json_string_value(json_object_get(j, "error")) ?: "no reason");
    }
    json_decref(j);
    return rc;
}

/* ---- stage glue --------------------------------------------------------------------- */

static void
s_sync(s_ctx_t *ctx)
{
    const risk_counters_t *n = risk_engine_counters(ctx->eng);
    *ctx->c_signals = n->signals;
    *ctx->c_orders = n->orders;
    *ctx->c_rejects = n->rejects;
    *ctx->c_exits = n->exits;
    *ctx->c_alerts = n->alerts;
    *ctx->c_bad = n->bad;
    risk_state_t st = risk_limits_state(risk_engine_limits(ctx->eng));
    if (!ctx->shown_set || st != ctx->shown) {
        stage_set_state(ctx->st, st == RISK_RUNNING  ? "running"
                                 : st == RISK_PAUSED ? "paused"
                                 : st == RISK_KILLED ? "killed"
                                                     : "halted");
        ctx->shown = st;
        ctx->shown_set = true;
    }
}

/* Write the state file atomically: temp file, (fsync), rename, (fsync the directory).
 * `sync` for the kill latch and operator commands; routine updates skip the fsyncs (a
 * process crash keeps the page cache; only a power loss could lose the latest update). */
static int
s_write_state(s_ctx_t *ctx, bool sync)
{
    json_t *doc = risk_engine_save(ctx->eng);
    /* the run that wrote it: a replay restores only its own run's state (s_load_state) */
    if (doc && json_object_set_new(doc, "run_id", json_string(stage_run_id(ctx->st))) != 0) {
        json_decref(doc);
        doc = NULL;
    }
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        errno = ENOMEM;
        return -1;
    }
    int rc = risk_persist_write(ctx->state_path, text, strlen(text), sync);
    free(text);
    if (rc != 0) {
        (*ctx->c_persist_fail)++;
        log_error("risk", "cannot write %s: %s", ctx->state_path, strerror(errno));
    }
    return rc;
}

static void
s_deliver(const bus_msg_t *msg, void *arg)
{
    s_ctx_t *ctx = arg;
    risk_engine_on_msg(ctx->eng, msg);
    if (risk_engine_take_dirty(ctx->eng)) {
        (void)s_write_state(ctx, risk_limits_killed(risk_engine_limits(ctx->eng)));
    }
    s_sync(ctx);
}

/* Every order of the step was acknowledged inside s_deliver (synchronous REQ), so the step
 * is complete: forward the barrier. codec.h: stages forward it with n = 0. */
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
        log_error("risk", "cannot buffer %s: %s", msg->topic, strerror(errno));
        return -1;
    }
    return 0;
}

static int
s_on_ctl(stage_t *st, const char *cmd, json_t *reply, void *arg)
{
    (void)st;
    s_ctx_t *ctx = arg;
    char word[32] = "";
    if (sscanf(cmd, "%31s", word) != 1) {
        return -1;
    }
    if (strcmp(word, "pause") == 0 || strcmp(word, "halt") == 0
        || strcmp(word, "risk.pause") == 0) {
        risk_engine_pause(ctx->eng);
    } else if (strcmp(word, "resume") == 0 || strcmp(word, "risk.resume") == 0) {
        if (risk_engine_resume(ctx->eng) != 0) {
            /* refused: nothing changed, nothing to persist (docs/operations.md) */
            (void)json_object_set_new(reply, "ok", json_false());
            (void)json_object_set_new(reply, "error",
                                      json_string("kill switch latched: clear-kill ends it"));
            (void)json_object_set_new(reply, "state", json_string("KILLED"));
            log_warn("risk", "resume refused: kill switch latched (clear-kill ends it)");
            return 0;
        }
    } else if (strcmp(word, "kill") == 0 || strcmp(word, "risk.kill") == 0) {
        risk_engine_kill(ctx->eng, "operator");
    } else if (strcmp(word, "flatten") == 0 || strcmp(word, "risk.flatten") == 0) {
        char sym[CODEC_SYM_MAX] = "";
        if (sscanf(cmd, "%*s %23s", sym) < 0) {
            sym[0] = '\0';
        }
        int n = risk_engine_flatten(ctx->eng, sym);
        (void)json_object_set_new(reply, "closed", json_integer(n));
    } else if (strcmp(word, "clear-kill") == 0 || strcmp(word, "risk.clear-kill") == 0
               || strcmp(word, "clear_kill") == 0) {
        risk_engine_clear_kill(ctx->eng);
    } else {
        return -1;
    }
    (void)risk_engine_take_dirty(ctx->eng);
    bool persisted = s_write_state(ctx, true) == 0; /* operator commands: fsync'd */
    s_sync(ctx);
    (void)json_object_set_new(reply, "persisted", json_boolean(persisted));
    const risk_limits_t *lim = risk_engine_limits(ctx->eng);
    (void)json_object_set_new(reply, "ok", json_true()); /* reply is best effort */
    (void)json_object_set_new(reply, "state",
                              json_string(risk_limits_state_name(risk_limits_state(lim))));
    return 0;
}

static json_t *
s_money_json(int64_t m, int scale)
{
    char buf[40];
    if (money_fmt(m, scale, buf, sizeof buf) < 0) {
        return json_null();
    }
    return json_string(buf);
}

/* A percentage as the config writes it ("1.5", not "1.5000"). */
static json_t *
s_pct_json(int64_t m)
{
    char buf[40];
    if (money_fmt_trim(m, RISK_PCT_SCALE, buf, sizeof buf) < 0) {
        return json_null();
    }
    return json_string(buf);
}

static void
s_on_status(stage_t *st, json_t *status, void *arg)
{
    (void)st;
    s_ctx_t *ctx = arg;
    const risk_limits_t *lim = risk_engine_limits(ctx->eng);
    const risk_counters_t *n = risk_engine_counters(ctx->eng);
    risk_positions_t *pos = risk_engine_positions(ctx->eng);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < risk_positions_count(pos); i++) {
        const risk_position_t *p = risk_positions_at(pos, i);
        if (p->qty == 0 && p->entry_id[0] == '\0') {
            continue;
        }
        json_t *o = json_pack(
            "{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:b, s:o}", "venue", p->venue, "symbol",
            p->symbol, "qty", s_money_json(p->qty, p->qty_scale), "entry_px",
            s_money_json(p->entry_px, p->px_scale), "sl_px", s_money_json(p->sl_px, p->px_scale),
            "tp_px", s_money_json(p->tp_px, p->px_scale), "entry_id", p->entry_id, "exit_id",
            p->exit_id, "exit_pending", p->exit_pending, "venue_sl",
            s_money_json(p->venue_sl > 0 ? p->venue_sl : p->sl_px, p->px_scale));
        if (o) {
            (void)json_array_append_new(arr, o);
        }
    }
    (void)json_object_set_new(status, "risk_state",
                              json_string(risk_limits_state_name(risk_limits_state(lim))));
    (void)json_object_set_new(status, "reason", json_string(risk_limits_reason(lim)));
    (void)json_object_set_new(status, "equity",
                              s_money_json(risk_limits_equity(lim), MONEY_VALUE_SCALE));
    (void)json_object_set_new(status, "equity_known", json_boolean(risk_limits_equity_known(lim)));
    (void)json_object_set_new(status, "daily_pnl",
                              s_money_json(risk_limits_daily_pnl(lim), MONEY_VALUE_SCALE));
    (void)json_object_set_new(status, "daily_limit",
                              s_money_json(risk_limits_daily_limit(lim), MONEY_VALUE_SCALE));
    (void)json_object_set_new(status, "positions", arr ? arr : json_null());
    (void)json_object_set_new(status, "open_positions",
                              json_integer((json_int_t)risk_engine_open_positions(ctx->eng)));
    (void)json_object_set_new(status, "killed", json_boolean(risk_limits_killed(lim)));
    (void)json_object_set_new(status, "equity_peak",
                              s_money_json(risk_limits_equity_peak(lim), MONEY_VALUE_SCALE));
    (void)json_object_set_new(status, "drawdown",
                              s_money_json(risk_limits_drawdown(lim), MONEY_VALUE_SCALE));
    (void)json_object_set_new(status, "loss_streak", json_integer(risk_limits_loss_streak(lim)));
    (void)json_object_set_new(status, "reject_breaker",
                              json_boolean(risk_limits_reject_tripped(lim)));
    (void)json_object_set_new(
        status, "rejects_in_window",
        json_integer(risk_limits_rejects_in_window(lim, risk_engine_now(ctx->eng))));
    (void)json_object_set_new(status, "trades_today", json_integer(risk_limits_trades_today(lim)));
    (void)json_object_set_new(
        status, "trades_last_hour",
        json_integer(risk_limits_trades_last_hour(lim, risk_engine_now(ctx->eng))));
    (void)json_object_set_new(status, "day", json_integer(risk_limits_day(lim)));
    (void)json_object_set_new(status, "orders_sent", json_integer(n->orders));
    (void)json_object_set_new(status, "rejects", json_integer(n->rejects));
    (void)json_object_set_new(status, "event_time_ns", json_integer(risk_engine_now(ctx->eng)));
    (void)json_object_set_new(status, "step", json_integer((json_int_t)step_released(ctx->step)));
    const risk_engine_cfg_t *ec = risk_engine_cfg(ctx->eng);
    json_t *c = json_pack(
        "{s:o, s:o, s:I, s:o, s:f}", "risk_per_trade_pct", s_pct_json(ec->sizing.risk_pct),
        "max_position_pct", s_pct_json(ec->sizing.max_position_pct), "max_open_positions",
        (json_int_t)ec->limits.max_open_positions, "daily_loss_limit_pct",
        s_pct_json(ec->limits.daily_loss_limit_pct), "min_confidence", ec->min_confidence);
    (void)json_object_set_new(status, "settings", c ? c : json_null()); /* after reloads too */
}

/* `ctl reload`: the whole fresh file is checked as at start before anything is compared. */
static int
s_on_check(stage_t *st, cfg_t *fresh, void *arg)
{
    (void)arg;
    return risk_config_check(fresh, stage_name(st));
}

/* `ctl reload` with a changed reloadable key (common/stage.h): read the whole fresh config
 * with the reader used at start, then apply. Served between two steps (stage.h "When"). */
static int
s_on_reload(stage_t *st, cfg_t *fresh, json_t *reply, void *arg)
{
    s_ctx_t *ctx = arg;
    risk_config_t *rc = malloc(sizeof *rc);
    if (!rc) {
        return cfg_fail(fresh, "risk", "cannot reload: out of memory");
    }
    int r = risk_config_read(fresh, stage_name(st), rc);
    if (r == 0 && risk_engine_reconfigure(ctx->eng, &rc->engine) != 0) {
        r = cfg_fail(fresh, "risk", "cannot apply: %s", strerror(errno));
    }
    free(rc);
    if (r != 0) {
        return -1;
    }
    if (risk_engine_take_dirty(ctx->eng)) {
        (void)s_write_state(ctx, true); /* a failure is counted and logged there */
    }
    s_sync(ctx);
    (void)json_object_set_new(reply, "step", json_integer((json_int_t)step_released(ctx->step)));
    log_notice("risk", "new settings from step %llu on",
               (unsigned long long)step_released(ctx->step) + 1);
    return 0;
}

/* ---- restart rebuild ---------------------------------------------------------------- */

/* Ask executor.0's control socket for its status: equity and the number of open positions.
 * 0 with both set, or -1 (no answer, or no usable fields). */
static int
s_exec_status(s_ctx_t *ctx, int64_t *equity, int64_t *positions)
{
    size_t len = 0;
    char *rep = bus_request(ctx->exec_ctl, "status", 6, ctx->timeout_ms, &len);
    if (!rep) {
        return -1;
    }
    json_error_t jerr;
    json_t *j = json_loadb(rep, len, 0, &jerr);
    free(rep);
    const char *eq = j ? json_string_value(json_object_get(j, "equity")) : NULL;
    json_t *np = j ? json_object_get(j, "positions") : NULL;
    int rc = -1;
    if (eq && json_is_integer(np) && money_parse(eq, strlen(eq), MONEY_VALUE_SCALE, equity) == 0
        && *equity > 0) {
        *positions = (int64_t)json_integer_value(np);
        rc = 0;
    }
    json_decref(j);
    return rc;
}

/* HALTED "state unknown" ends when the executor's status agrees with the restored positions
 * (count of open ones); its equity becomes ours. Returns true when rebuilt. */
static bool
s_try_rebuild(s_ctx_t *ctx)
{
    int64_t eq = 0, np = 0;
    if (s_exec_status(ctx, &eq, &np) != 0) {
        log_warn("risk", "rebuild: no status from the executor yet");
        return false;
    }
    risk_engine_set_equity(ctx->eng, eq);
    size_t mine = risk_engine_open_positions(ctx->eng);
    if ((size_t)np != mine) {
        log_error("risk",
                  "rebuild: executor holds %lld positions, the state file %zu: HALTED "
                  "(state unknown) until they agree or an operator resumes",
                  (long long)np, mine);
        return false;
    }
    risk_engine_set_unknown(ctx->eng, false);
    log_notice("risk", "rebuild: state restored (%zu open positions, executor agrees)", mine);
    s_sync(ctx);
    return true;
}

/* Live mode: once a second, tell the engine what time it is (its logic never reads a clock:
 * this is where the wall clock comes in), so stale market data is caught even when every
 * feed went silent. Not armed in replay: replays stay deterministic. */
static int
s_time_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_ctx_t *ctx = arg;
    risk_engine_on_time(ctx->eng, clock_wall_ns());
    s_sync(ctx);
    return 0;
}

static int
s_rebuild_timer(zloop_t *loop, int timer_id, void *arg)
{
    s_ctx_t *ctx = arg;
    if (!risk_limits_unknown(risk_engine_limits(ctx->eng)) || s_try_rebuild(ctx)) {
        zloop_timer_end(loop, timer_id); /* rebuilt (or an operator resumed) */
    }
    return 0;
}

/* Load the state file (if any). Fresh start: nothing to do. A file that exists but cannot be
 * read or parsed halts (state unknown) until an operator resumes. */
static void
s_load_state(s_ctx_t *ctx, bool *restored)
{
    *restored = false;
    size_t len = 0;
    char *text = risk_persist_read(ctx->state_path, &len);
    if (!text) {
        if (errno != ENOENT) {
            log_error("risk", "cannot read %s: %s: HALTED (state unknown)", ctx->state_path,
                      strerror(errno));
            risk_engine_set_unknown(ctx->eng, true);
        }
        return;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    free(text);
    /* a replay starts fresh unless it resumes its own run (docs/operations.md "Fresh run or
     * resume"): a state written by another run (or before run ids) is set aside, renamed with
     * that run's id, and risk starts from nothing. Live mode always restores (the kill switch
     * latches across restarts). */
    const char *written_by = doc ? json_string_value(json_object_get(doc, "run_id")) : NULL;
    if (doc && stage_replay(ctx->st)
        && (!written_by || strcmp(written_by, stage_run_id(ctx->st)) != 0)) {
        char aside[600];
        int rc = risk_persist_set_aside(ctx->state_path,
                                        written_by && runid_valid(written_by) ? written_by : NULL,
                                        aside, sizeof aside);
        if (rc != 0) {
            log_error("risk",
                      "%s is the state of run %s, not of this run %s, and cannot be set "
                      "aside: %s: HALTED (state unknown)",
                      ctx->state_path, written_by ? written_by : "(none)", stage_run_id(ctx->st),
                      strerror(errno));
            risk_engine_set_unknown(ctx->eng, true);
        } else {
            log_notice("risk",
                       "fresh start of run %s: the state in %s is of run %s, set aside as %s",
                       stage_run_id(ctx->st), ctx->state_path,
                       written_by ? written_by : "(before run ids)", aside);
        }
        json_decref(doc);
        return;
    }
    if (!doc || risk_engine_restore(ctx->eng, doc) != 0) {
        log_error("risk", "%s is not a risk state file: HALTED (state unknown)", ctx->state_path);
        risk_engine_set_unknown(ctx->eng, true);
    } else {
        *restored = true;
        risk_engine_set_unknown(ctx->eng, true);
        const risk_limits_t *lim = risk_engine_limits(ctx->eng);
        log_notice("risk",
                   "restored %s: killed %d, %zu open positions, peak %lld, daily pnl %lld, "
                   "loss streak %d",
                   ctx->state_path, (int)risk_limits_killed(lim),
                   risk_engine_open_positions(ctx->eng), (long long)risk_limits_equity_peak(lim),
                   (long long)risk_limits_daily_pnl(lim), risk_limits_loss_streak(lim));
    }
    json_decref(doc);
}

/* Connect one SUB to every instance of `role`, register them as step inputs. */
static int
s_connect_role(s_ctx_t *ctx, cfg_t *cfg, const char *role, const char *prefix, int rank,
               bool feedback, bus_sub_t **sub_out)
{
    char names[S_MAX_INPUTS][32];
    size_t n = cfg_instances(cfg, role, names, S_MAX_INPUTS);
    if (n == 0) {
        log_error("risk", "config has no %s.* endpoints", role);
        return 2;
    }
    bus_sub_t *sub = bus_sub_new(0);
    if (!sub) {
        return 3;
    }
    *sub_out = sub;
    if (bus_sub_subscribe(sub, prefix) != 0 || bus_sub_subscribe(sub, "sys.barrier") != 0) {
        return 3;
    }
    for (size_t i = 0; i < n; i++) {
        char ep[256];
        if (cfg_endpoint(cfg, names[i], "pub", ep, sizeof ep) != 0) {
            log_error("risk", "%s", cfg_error(cfg));
            return 2;
        }
        if (bus_sub_connect(sub, ep) != 0) {
            return 3;
        }
        if (step_add_input(ctx->step, names[i], rank, feedback) != 0) {
            log_error("risk", "cannot add step input %s: %s", names[i], strerror(errno));
            return 1;
        }
    }
    if (stage_add_sub(ctx->st, sub, s_on_sub, ctx) != 0) {
        return 1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    char inst[32];
    int rc;
    cfg_t *cfg = stage_boot(argc, argv, "risk", inst, sizeof inst, &rc);
    if (!cfg) {
        return rc;
    }
    s_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    bus_sub_t *subs[3] = { NULL, NULL, NULL };
    static risk_config_t rcfg; /* the per-process config (~30 KB: not on the stack) */
    rc = 2;
    if (risk_config_read(cfg, inst, &rcfg) != 0) {
        log_error("risk", "%s", cfg_error(cfg));
        goto done;
    }
    snprintf(ctx.state_path, sizeof ctx.state_path, "%s", rcfg.state_path);
    snprintf(ctx.exec_ctl, sizeof ctx.exec_ctl, "%s", rcfg.exec_ctl);
    rc = 3;
    ctx.st = stage_new(inst, cfg);
    if (!ctx.st) {
        goto done;
    }
    rc = 1;
    risk_io_t io = {
        .publish = s_publish, .send_order = s_send_order, .cancel_all = s_cancel_all, .arg = &ctx
    };
    ctx.eng = risk_config_engine_new(&rcfg, &io);
    ctx.orders = risk_orders_new(rcfg.orders_ep, inst, bus_pub_epoch(stage_pub(ctx.st)),
                                 (int)rcfg.timeout_ms, (int)rcfg.retries);
    ctx.step = step_new(stage_replay(ctx.st), s_deliver, s_barrier, &ctx);
    if (!ctx.eng || !ctx.orders || !ctx.step) {
        log_error("risk", "cannot create risk modules: %s", strerror(errno));
        goto done;
    }
    ctx.c_signals = stage_counter(ctx.st, "signals");
    ctx.c_orders = stage_counter(ctx.st, "orders");
    ctx.c_rejects = stage_counter(ctx.st, "rejects");
    ctx.c_exits = stage_counter(ctx.st, "exits");
    ctx.c_alerts = stage_counter(ctx.st, "alerts");
    ctx.c_bad = stage_counter(ctx.st, "bad");
    ctx.c_persist_fail = stage_counter(ctx.st, "persist_fail");
    ctx.timeout_ms = (int)rcfg.timeout_ms;
    bool restored = false;
    s_load_state(&ctx, &restored);
    if (restored && !s_try_rebuild(&ctx)) {
        if (zloop_timer(stage_loop(ctx.st), 1000, 0, s_rebuild_timer, &ctx) < 0) {
            log_error("risk", "cannot start the rebuild timer");
            goto done;
        }
    }
    /* ranks: market data before the signals it caused; executor feedback lags one step */
    if ((rc = s_connect_role(&ctx, cfg, "feed", "md.", 0, false, &subs[0])) != 0
        || (rc = s_connect_role(&ctx, cfg, "signal", "sig.", 1, false, &subs[1])) != 0
        || (rc = s_connect_role(&ctx, cfg, "executor", "exec.", 2, true, &subs[2])) != 0) {
        goto done;
    }
    if (!stage_replay(ctx.st) && zloop_timer(stage_loop(ctx.st), 1000, 0, s_time_tick, &ctx) < 0) {
        log_error("risk", "cannot start the time tick");
        goto done;
    }
    size_t n_keys;
    const stage_key_t *keys = risk_config_keys(&n_keys);
    if (stage_reload_keys(ctx.st, keys, n_keys) != 0) {
        log_error("risk", "cannot declare the reload keys: %s", strerror(errno));
        goto done;
    }
    stage_on_check(ctx.st, s_on_check, &ctx);
    stage_on_reload(ctx.st, s_on_reload, &ctx);
    stage_on_ctl(ctx.st, s_on_ctl, &ctx);
    stage_on_status(ctx.st, s_on_status, &ctx);
    s_sync(&ctx);
    log_info("risk", "running: orders to %s, timeout %lld ms x %lld retries", rcfg.orders_ep,
             (long long)rcfg.timeout_ms, (long long)rcfg.retries);
    rc = stage_run(ctx.st) == 0 ? 0 : 1;
done:
    for (int i = 2; i >= 0; i--) {
        bus_sub_destroy(&subs[i]);
    }
    step_destroy(&ctx.step);
    risk_orders_destroy(&ctx.orders);
    risk_engine_destroy(&ctx.eng);
    stage_destroy(&ctx.st);
    cfg_destroy(&cfg);
    return rc;
}
