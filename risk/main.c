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
#include <string.h>

#include <jansson.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/codec.h"
#include "common/instr.h"
#include "common/log.h"
#include "common/money.h"
#include "common/stage.h"
#include "common/step.h"
#include "risk/engine.h"
#include "risk/orders.h"
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
} s_ctx_t;

static const char *const k_risk_keys[] = {
    "risk_per_trade_pct",   "max_position_pct", "max_open_positions",
    "daily_loss_limit_pct", "min_confidence",   "order_timeout_ms",
    "order_retries",        "order_ttl_ms",     NULL
};

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
                                                     : "halted");
        ctx->shown = st;
        ctx->shown_set = true;
    }
}

static void
s_deliver(const bus_msg_t *msg, void *arg)
{
    s_ctx_t *ctx = arg;
    risk_engine_on_msg(ctx->eng, msg);
    s_sync(ctx);
}

/* Every order of the step was acknowledged inside s_deliver (synchronous REQ), so the step
 * is complete: forward the barrier. codec.h: stages forward it with n = 0. */
static void
s_barrier(const codec_sys_barrier_t *b, void *arg)
{
    s_ctx_t *ctx = arg;
    codec_sys_barrier_t out = *b;
    out.n = 0;
    if (bus_publish(stage_pub(ctx->st), "sys.barrier", CODEC_SYS_BARRIER, &out, b->ts_event, 0)
        != 0) {
        log_error("risk", "cannot forward barrier %llu: %s", (unsigned long long)b->step,
                  strerror(errno));
    }
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
    if (strcmp(word, "pause") == 0) {
        risk_engine_pause(ctx->eng);
    } else if (strcmp(word, "resume") == 0) {
        risk_engine_resume(ctx->eng);
    } else {
        return -1;
    }
    s_sync(ctx);
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
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:b}", "venue", p->venue,
                              "symbol", p->symbol, "qty", s_money_json(p->qty, p->qty_scale),
                              "entry_px", s_money_json(p->entry_px, p->px_scale), "sl_px",
                              s_money_json(p->sl_px, p->px_scale), "tp_px",
                              s_money_json(p->tp_px, p->px_scale), "entry_id", p->entry_id,
                              "exit_id", p->exit_id, "exit_pending", p->exit_pending);
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
    (void)json_object_set_new(status, "orders_sent", json_integer(n->orders));
    (void)json_object_set_new(status, "rejects", json_integer(n->rejects));
    (void)json_object_set_new(status, "event_time_ns", json_integer(risk_engine_now(ctx->eng)));
    (void)json_object_set_new(status, "step", json_integer((json_int_t)step_released(ctx->step)));
}

/* ---- config ------------------------------------------------------------------------- */

static int
s_read_cfg(cfg_t *cfg, risk_engine_cfg_t *ec, int64_t *timeout_ms, int64_t *retries)
{
    const int64_t pct100 = 100 * money_pow10(RISK_PCT_SCALE);
    int64_t max_open, min_conf, ttl_ms;
    const char *asset;
    memset(ec, 0, sizeof *ec);
    if (cfg_check_keys(cfg, "risk", k_risk_keys) != 0
        || cfg_money(cfg, "risk.risk_per_trade_pct", RISK_PCT_SCALE, "1.0", 1, pct100,
                     &ec->sizing.risk_pct)
               != 0
        || cfg_money(cfg, "risk.max_position_pct", RISK_PCT_SCALE, "50", 1, 10 * pct100,
                     &ec->sizing.max_position_pct)
               != 0
        || cfg_int(cfg, "risk.max_open_positions", 1, 1, RISK_POSITIONS_MAX, false, &max_open) != 0
        || cfg_money(cfg, "risk.daily_loss_limit_pct", RISK_PCT_SCALE, "3.0", 1, pct100,
                     &ec->limits.daily_loss_limit_pct)
               != 0
        || cfg_int(cfg, "risk.min_confidence", 50, 0, 100, false, &min_conf) != 0
        || cfg_int(cfg, "risk.order_timeout_ms", 2000, 1, 60000, false, timeout_ms) != 0
        || cfg_int(cfg, "risk.order_retries", 3, 0, 10, false, retries) != 0
        || cfg_int(cfg, "risk.order_ttl_ms", 60000, 0, 86400000, false, &ttl_ms) != 0
        || cfg_str(cfg, "account.asset", "USDT", &asset) != 0
        || cfg_money(cfg, "account.start_balance", MONEY_VALUE_SCALE, "10000", 1, INT64_MAX,
                     &ec->limits.start_equity)
               != 0) {
        return -1;
    }
    if (strlen(asset) >= sizeof ec->asset) {
        return cfg_fail(cfg, "account.asset", "expected at most %zu characters",
                        sizeof ec->asset - 1);
    }
    snprintf(ec->asset, sizeof ec->asset, "%s", asset);
    ec->limits.max_open_positions = max_open;
    ec->min_confidence = (double)min_conf;
    ec->order_ttl_ns = ttl_ms * INT64_C(1000000);
    return 0;
}

/* Preload instruments listed in feed.instruments (md.instrument replaces them later). */
static int
s_preload_instruments(cfg_t *cfg, risk_engine_t *eng)
{
    int n = cfg_array_len(cfg, "feed.instruments");
    if (n < 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char key[96];
        const char *v[7];
        static const char *const k_fields[7] = { "venue", "category", "symbol",      "tick",
                                                 "step",  "min_qty",  "min_notional" };
        for (int f = 0; f < 7; f++) {
            snprintf(key, sizeof key, "feed.instruments[%d].%s", i, k_fields[f]);
            if (cfg_str(cfg, key, f == 6 ? "0" : NULL, &v[f]) != 0) {
                return -1;
            }
        }
        instr_t in;
        if (instr_from_strings(&in, v[0], v[1], v[2], v[3], v[4], v[5], v[6]) != 0) {
            snprintf(key, sizeof key, "feed.instruments[%d]", i);
            return cfg_fail(cfg, key, "expected valid instrument rules");
        }
        if (risk_engine_add_instrument(eng, &in) != 0) {
            snprintf(key, sizeof key, "feed.instruments[%d]", i);
            return cfg_fail(cfg, key, "too many instruments");
        }
    }
    return 0;
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
    risk_engine_cfg_t ec;
    int64_t timeout_ms = 0, retries = 0;
    char orders_ep[256];
    rc = 2;
    if (s_read_cfg(cfg, &ec, &timeout_ms, &retries) != 0
        || cfg_endpoint(cfg, "executor.0", "orders", orders_ep, sizeof orders_ep) != 0) {
        log_error("risk", "%s", cfg_error(cfg));
        goto done;
    }
    rc = 3;
    ctx.st = stage_new(inst, cfg);
    if (!ctx.st) {
        goto done;
    }
    rc = 1;
    risk_io_t io = { .publish = s_publish, .send_order = s_send_order, .arg = &ctx };
    ctx.eng = risk_engine_new(&ec, &io);
    ctx.orders = risk_orders_new(orders_ep, inst, bus_pub_epoch(stage_pub(ctx.st)), (int)timeout_ms,
                                 (int)retries);
    ctx.step = step_new(stage_replay(ctx.st), s_deliver, s_barrier, &ctx);
    if (!ctx.eng || !ctx.orders || !ctx.step) {
        log_error("risk", "cannot create risk modules: %s", strerror(errno));
        goto done;
    }
    if (s_preload_instruments(cfg, ctx.eng) != 0) {
        log_error("risk", "%s", cfg_error(cfg));
        rc = 2;
        goto done;
    }
    ctx.c_signals = stage_counter(ctx.st, "signals");
    ctx.c_orders = stage_counter(ctx.st, "orders");
    ctx.c_rejects = stage_counter(ctx.st, "rejects");
    ctx.c_exits = stage_counter(ctx.st, "exits");
    ctx.c_alerts = stage_counter(ctx.st, "alerts");
    ctx.c_bad = stage_counter(ctx.st, "bad");
    /* ranks: market data before the signals it caused; executor feedback lags one step */
    if ((rc = s_connect_role(&ctx, cfg, "feed", "md.", 0, false, &subs[0])) != 0
        || (rc = s_connect_role(&ctx, cfg, "signal", "sig.", 1, false, &subs[1])) != 0
        || (rc = s_connect_role(&ctx, cfg, "executor", "exec.", 2, true, &subs[2])) != 0) {
        goto done;
    }
    stage_on_ctl(ctx.st, s_on_ctl, &ctx);
    stage_on_status(ctx.st, s_on_status, &ctx);
    s_sync(&ctx);
    log_info("risk", "running: orders to %s, timeout %lld ms x %lld retries", orders_ep,
             (long long)timeout_ms, (long long)retries);
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
