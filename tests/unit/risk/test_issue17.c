/*  test_issue17.c - risk rules of issue 17 on the engine with fake io (publish and send_order
 *  recorded in memory): the reject breaker, early warnings, reserve as a percentage of
 *  equity, the take-profit split, and the untested stop modes / per-asset refusal.
 *  Numbers as test_engine.c: equity 10000 USDT, risk 1 %, max position 50 %, Binance spot
 *  BTCUSDT (tick 0.01, step 0.00001): ref 65114.20 / sl 64788.62 sizes to 0.07678 BTC.
 *  Event time T0 = 2025-11-03T09:00:00.000Z.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "risk/engine.h"

#define E8    INT64_C(100000000)
#define MS    INT64_C(1000000)
#define SEC   INT64_C(1000000000)
#define T0    (INT64_C(1762160400000) * MS)
#define S_MAX 512

typedef enum { S_ACCEPT, S_REFUSE, S_TIMEOUT } s_mode_t;

typedef struct {
    int n_pub;
    char topics[S_MAX][32];
    codec_body_t bodies[S_MAX];
    int64_t evts[S_MAX];
    int n_ord;
    codec_risk_order_t orders[S_MAX];
    int n_moves; /* move_stop requests (not in orders) */
    s_mode_t mode;
} s_io_t;

static int
s_publish(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
          int64_t origin)
{
    (void)origin;
    s_io_t *io = arg;
    assert_true(io->n_pub < S_MAX);
    snprintf(io->topics[io->n_pub], 32, "%s", topic);
    size_t sz = type == CODEC_RISK_ORDER    ? sizeof(codec_risk_order_t)
                : type == CODEC_RISK_REJECT ? sizeof(codec_risk_reject_t)
                : type == CODEC_RISK_STATE  ? sizeof(codec_risk_state_t)
                                            : sizeof(codec_risk_alert_t);
    memcpy(&io->bodies[io->n_pub], body, sz);
    io->evts[io->n_pub] = evt;
    io->n_pub++;
    return 0;
}

static int
s_send(void *arg, const codec_risk_order_t *ord, int64_t evt, int64_t origin,
       codec_order_ack_t *ack)
{
    (void)evt;
    (void)origin;
    s_io_t *io = arg;
    if (strcmp(ord->intent, "move_stop") == 0) {
        /* the venue-held stop following risk's (issue 17 item 2, tested in test_exits.c /
         * venue_safety.sh): acknowledged, and kept out of the orders these tests count */
        io->n_moves++;
        memset(ack, 0, sizeof *ack);
        snprintf(ack->client_id, sizeof ack->client_id, "%s", ord->client_id);
        ack->accepted = true;
        return 0;
    }
    assert_true(io->n_ord < S_MAX);
    io->orders[io->n_ord++] = *ord;
    if (io->mode == S_TIMEOUT) {
        errno = ETIMEDOUT;
        return -1;
    }
    memset(ack, 0, sizeof *ack);
    snprintf(ack->client_id, sizeof ack->client_id, "%s", ord->client_id);
    ack->accepted = io->mode == S_ACCEPT;
    snprintf(ack->reason, sizeof ack->reason, "%s",
             io->mode == S_ACCEPT ? "" : "insufficient balance");
    return 0;
}

/* index of the last publication on `topic` since `from`, or -1 */
static int
s_last(const s_io_t *io, const char *topic, int from)
{
    for (int i = io->n_pub - 1; i >= from; i--) {
        if (strcmp(io->topics[i], topic) == 0) {
            return i;
        }
    }
    return -1;
}

/* number of risk.alert with `code` (and level, NULL = any) since `from` */
static int
s_alerts(const s_io_t *io, const char *code, const char *level, int from)
{
    int n = 0;
    for (int i = from; i < io->n_pub; i++) {
        if (strcmp(io->topics[i], "risk.alert") == 0 && strcmp(io->bodies[i].alert.code, code) == 0
            && (!level || strcmp(io->bodies[i].alert.level, level) == 0)) {
            n++;
        }
    }
    return n;
}

static const instr_t k_spot = { .venue = "binance-spot",
                                .category = "spot",
                                .symbol = "BTCUSDT",
                                .px_scale = 2,
                                .qty_scale = 5,
                                .tick = 1,
                                .step = 1,
                                .min_qty = 1,
                                .min_notional = 5 * E8 };

static risk_engine_t *
s_engine_cfg(s_io_t *io, void (*tweak)(risk_engine_cfg_t *))
{
    memset(io, 0, sizeof *io);
    risk_engine_cfg_t c;
    memset(&c, 0, sizeof c);
    c.sizing.risk_pct = 10000;          /* 1.0 % */
    c.sizing.max_position_pct = 500000; /* 50 % */
    c.limits.max_open_positions = 1;
    c.limits.daily_loss_limit_pct = 30000; /* 3.0 % */
    c.limits.start_equity = 10000 * E8;
    c.min_confidence = 50;
    c.order_ttl_ns = 60000 * MS;
    strcpy(c.asset, "USDT");
    if (tweak) {
        tweak(&c);
    }
    risk_io_t rio = { .publish = s_publish, .send_order = s_send, .arg = io };
    risk_engine_t *eng = risk_engine_new(&c, &rio);
    assert_non_null(eng);
    assert_int_equal(risk_engine_add_instrument(eng, &k_spot), 0);
    return eng;
}

static codec_env_t
s_env(int64_t evt)
{
    codec_env_t e = { .v = CODEC_VERSION, .src = "signal.0", .evt = evt, .origin = evt + 5 };
    return e;
}

static void
s_balance_av(risk_engine_t *eng, int64_t evt, int64_t equity, int64_t available)
{
    codec_exec_balance_t b;
    memset(&b, 0, sizeof b);
    strcpy(b.asset, "USDT");
    b.wallet = equity;
    b.equity = equity;
    b.available = available;
    codec_env_t e = s_env(evt);
    risk_engine_on_exec_balance(eng, &e, &b);
}

static void
s_balance(risk_engine_t *eng, int64_t evt, int64_t equity)
{
    s_balance_av(eng, evt, equity, 0);
}

static void
s_signal_px(risk_engine_t *eng, int64_t evt, int8_t side, int64_t ref, int64_t sl, int64_t tp)
{
    codec_sig_signal_t s;
    memset(&s, 0, sizeof s);
    strcpy(s.strategy, "ema_rsi.btc");
    strcpy(s.venue, "binance-spot");
    strcpy(s.symbol, "BTCUSDT");
    s.side = side;
    s.confidence = 80;
    s.px_scale = 2;
    s.ref_px = ref;
    s.sl_px = sl;
    s.tp_px = tp;
    codec_env_t e = s_env(evt);
    risk_engine_on_signal(eng, &e, &s);
}

static void
s_signal(risk_engine_t *eng, int64_t evt, int8_t side)
{
    s_signal_px(eng, evt, side, 6511420, side > 0 ? 6478862 : 6543978,
                side > 0 ? 6576534 : 6446306);
}

static void
s_position(risk_engine_t *eng, int64_t evt, int64_t qty, int64_t entry_px)
{
    codec_exec_position_t p;
    memset(&p, 0, sizeof p);
    strcpy(p.venue, "binance-spot");
    strcpy(p.symbol, "BTCUSDT");
    p.px_scale = 2;
    p.qty_scale = 5;
    p.qty = qty;
    p.entry_px = qty ? entry_px : 0;
    codec_env_t e = s_env(evt);
    risk_engine_on_exec_position(eng, &e, &p);
}

static void
s_exec_order(risk_engine_t *eng, int64_t evt, const char *cid, const char *status)
{
    codec_exec_order_t o;
    memset(&o, 0, sizeof o);
    snprintf(o.client_id, sizeof o.client_id, "%s", cid);
    strcpy(o.venue, "binance-spot");
    strcpy(o.symbol, "BTCUSDT");
    snprintf(o.status, sizeof o.status, "%s", status);
    strcpy(o.reject_reason, "110007: ab not enough for new order");
    o.px_scale = 2;
    o.qty_scale = 5;
    codec_env_t e = s_env(evt);
    risk_engine_on_exec_order(eng, &e, &o);
}

static void
s_trade(risk_engine_t *eng, int64_t evt, int64_t px)
{
    codec_md_trade_t t;
    memset(&t, 0, sizeof t);
    strcpy(t.venue, "binance-spot");
    strcpy(t.symbol, "BTCUSDT");
    t.px_scale = 2;
    t.qty_scale = 5;
    t.px = px;
    t.qty = 1;
    codec_env_t e = s_env(evt);
    risk_engine_on_trade(eng, &e, &t);
}

/* ---- item 6: reject breaker ------------------------------------------------------------- */

static void
s_rejects3(risk_engine_cfg_t *c)
{
    c->limits.max_rejects = 3;
    c->limits.reject_window_ns = 60 * SEC;
}

/* 3 refusals within 60 s pause entries ("reject_breaker", alert error, state PAUSED), which
 * only resume ends; refusals spread wider than the window do not trip; an exec.order
 * "Rejected" of an order the executor had accepted counts, one it refused at the ack does not
 * count twice. On today's code (no breaker) the 4th signal is sent as an order. */
static void
test_reject_breaker(void **state)
{
    (void)state;
    s_io_t *io = calloc(1, sizeof *io);
    risk_engine_t *eng = s_engine_cfg(io, s_rejects3);
    s_balance(eng, T0, 10000 * E8);
    io->mode = S_REFUSE;
    /* two refusals 100 s apart, then a third 100 s later: never 3 in 60 s */
    s_signal(eng, T0 + 1 * SEC, 1);
    s_signal(eng, T0 + 101 * SEC, 1);
    s_signal(eng, T0 + 201 * SEC, 1);
    assert_int_equal(io->n_ord, 3);
    assert_int_equal(s_alerts(io, "reject_breaker", NULL, 0), 0);
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_RUNNING);
    /* the executor's exec.order "Rejected" for the one it refused at the ack: not counted */
    s_exec_order(eng, T0 + 202 * SEC, io->orders[2].client_id, "Rejected");
    assert_int_equal(risk_limits_rejects_in_window(risk_engine_limits(eng), T0 + 202 * SEC), 1);
    /* a venue rejection of an order the executor accepted (live venue): counted -> 2 */
    s_exec_order(eng, T0 + 210 * SEC, "rk-venue-1", "Rejected");
    assert_int_equal(risk_limits_rejects_in_window(risk_engine_limits(eng), T0 + 210 * SEC), 2);
    assert_int_equal(s_alerts(io, "reject_breaker", NULL, 0), 0);
    /* the third within 60 s trips */
    s_signal(eng, T0 + 220 * SEC, 1);
    assert_int_equal(io->n_ord, 4);
    assert_int_equal(s_alerts(io, "reject_breaker", "error", 0), 1);
    int st = s_last(io, "risk.state", 0);
    assert_string_equal(io->bodies[st].rstate.state, "PAUSED");
    assert_string_equal(io->bodies[st].rstate.reason, "reject_breaker");
    assert_true(risk_limits_reject_tripped(risk_engine_limits(eng)));
    /* entries refused without an order while it holds, also after the window passed */
    io->mode = S_ACCEPT;
    s_signal(eng, T0 + 900 * SEC, 1);
    assert_int_equal(io->n_ord, 4);
    int r = s_last(io, "risk.reject", 0);
    assert_string_equal(io->bodies[r].reject.reason, "reject_breaker");
    /* survives a restart (state file) */
    json_t *doc = risk_engine_save(eng);
    s_io_t *io2 = calloc(1, sizeof *io2);
    risk_engine_t *b = s_engine_cfg(io2, s_rejects3);
    assert_int_equal(risk_engine_restore(b, doc), 0);
    s_balance(b, T0 + 901 * SEC, 10000 * E8);
    assert_true(risk_limits_reject_tripped(risk_engine_limits(b)));
    assert_string_equal(risk_limits_reason(risk_engine_limits(b)), "reject_breaker");
    json_decref(doc);
    risk_engine_destroy(&b);
    free(io2);
    /* a new UTC day does not end it; resume does */
    s_trade(eng, T0 + 86400 * SEC, 6511420);
    assert_true(risk_limits_reject_tripped(risk_engine_limits(eng)));
    assert_int_equal(risk_engine_resume(eng), 0);
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_RUNNING);
    s_signal(eng, T0 + 86401 * SEC, 1);
    assert_int_equal(io->n_ord, 5);
    assert_string_equal(io->orders[4].intent, "entry");
    risk_engine_destroy(&eng);
    free(io);
}

/* ---- item 8: take-profit split and partial take-profit ---------------------------------- */

/* Fill the exit order just sent (exec.order Filled) and report the position left. */
static void
s_exit_filled(risk_engine_t *eng, s_io_t *io, int64_t evt, int64_t left)
{
    s_exec_order(eng, evt, io->orders[io->n_ord - 1].client_id, "Filled");
    s_position(eng, evt, left, 6511420);
}

static void
s_tp_split(risk_engine_cfg_t *c)
{
    /* the core plan: TP1 50 % at target 1, TP2 30 % at target 2 (twice the distance), the
     * rest trails (0.5 % activation, 0.5 % distance) */
    c->exits.n_tp = 2;
    c->exits.tp_of_target = true;
    c->exits.tp_pct[0] = 1000000;       /* 100 % of the distance to the signal's target */
    c->exits.tp_pct[1] = 2000000;       /* 200 % */
    c->exits.tp_close_pct[0] = 500000;  /* 50 % */
    c->exits.tp_close_pct[1] = 300000;  /* 30 %: the ladder sums to 80 */
    c->exits.trail_activate_pct = 5000; /* 0.5 % */
    c->exits.trail_dist_pct = 5000;
}

/* Long 0.07678 at 65114.20, signal target 65765.34 (distance 651.14):
 *   target 1 = 65765.34 -> close floor(7678 x 0.5) = 3839
 *   target 2 = 65114.20 + 2 x 651.14 = 66416.48 -> close floor(7678 x 0.3) = 2303 (0.3 x 7678
 *              = 2303.4)
 *   the rest, 1536, stays: a trade at 67000 closes nothing; trailing (on since 65439.77 =
 *   entry x 1.005) has best 67000.00 -> stop 67000 - ceil(335.00) = 66665.00; a trade at
 *   66665.00 closes the 1536 "trailing_stop".
 * On today's code the config reader refuses a ladder summing to 80 ("expected a sum of 100")
 * and rungs are only percentages from the entry. */
static void
test_tp_split_rest_trails(void **state)
{
    (void)state;
    s_io_t *io = calloc(1, sizeof *io);
    risk_engine_t *eng = s_engine_cfg(io, s_tp_split);
    s_balance(eng, T0, 10000 * E8);
    s_signal(eng, T0 + SEC, 1);
    assert_int_equal(io->n_ord, 1);
    assert_int_equal(io->orders[0].qty, 7678);
    assert_true(io->orders[0].tp_px == 0); /* the ladder takes profit */
    s_exec_order(eng, T0 + 2 * SEC, io->orders[0].client_id, "Filled");
    s_position(eng, T0 + 2 * SEC, 7678, 6511420);
    s_trade(eng, T0 + 3 * SEC, 6576533); /* one tick short of target 1 */
    assert_int_equal(io->n_ord, 1);
    s_trade(eng, T0 + 4 * SEC, 6576534);
    assert_int_equal(io->n_ord, 2);
    assert_string_equal(io->orders[1].intent, "take_profit");
    assert_int_equal(io->orders[1].qty, 3839);
    s_exit_filled(eng, io, T0 + 5 * SEC, 7678 - 3839);
    s_trade(eng, T0 + 6 * SEC, 6641647);
    assert_int_equal(io->n_ord, 2);
    s_trade(eng, T0 + 7 * SEC, 6641648);
    assert_int_equal(io->n_ord, 3);
    assert_int_equal(io->orders[2].qty, 2303);
    s_exit_filled(eng, io, T0 + 8 * SEC, 1536);
    s_trade(eng, T0 + 9 * SEC, 6700000);
    assert_int_equal(io->n_ord, 3); /* no third rung: the rest runs */
    s_trade(eng, T0 + 10 * SEC, 6666501);
    assert_int_equal(io->n_ord, 3);
    s_trade(eng, T0 + 11 * SEC, 6666500);
    assert_int_equal(io->n_ord, 4);
    assert_string_equal(io->orders[3].intent, "trailing_stop");
    assert_int_equal(io->orders[3].qty, 1536);
    assert_true(io->n_moves > 0); /* the venue-held stop followed the trail (item 2) */
    risk_engine_destroy(&eng);
    free(io);
}

static void
s_partial_half(risk_engine_cfg_t *c)
{
    /* the persistent engine: half the position at half the distance, the rest at the target */
    c->exits.n_tp = 2;
    c->exits.tp_of_target = true;
    c->exits.tp_pct[0] = 500000; /* 50 % of the distance */
    c->exits.tp_pct[1] = 1000000;
    c->exits.tp_close_pct[0] = 500000;
    c->exits.tp_close_pct[1] = 500000;
}

/* Half-way = 65114.20 + floor(651.14 / 2 to the cent) = 65439.77 -> 3839; the target
 * 65765.34 closes the rest (3839). */
static void
test_partial_tp_half_way(void **state)
{
    (void)state;
    s_io_t *io = calloc(1, sizeof *io);
    risk_engine_t *eng = s_engine_cfg(io, s_partial_half);
    s_balance(eng, T0, 10000 * E8);
    s_signal(eng, T0 + SEC, 1);
    s_exec_order(eng, T0 + 2 * SEC, io->orders[0].client_id, "Filled");
    s_position(eng, T0 + 2 * SEC, 7678, 6511420);
    s_trade(eng, T0 + 3 * SEC, 6543976);
    assert_int_equal(io->n_ord, 1);
    s_trade(eng, T0 + 4 * SEC, 6543977);
    assert_int_equal(io->n_ord, 2);
    assert_int_equal(io->orders[1].qty, 3839);
    s_exit_filled(eng, io, T0 + 5 * SEC, 3839);
    s_trade(eng, T0 + 6 * SEC, 6576534);
    assert_int_equal(io->n_ord, 3);
    assert_string_equal(io->orders[2].intent, "take_profit");
    assert_int_equal(io->orders[2].qty, 3839);
    risk_engine_destroy(&eng);
    free(io);
}

/* ---- item 10: reserve as a percentage of equity ----------------------------------------- */

static int64_t s_reserve_fixed;

static void
s_reserve20(risk_engine_cfg_t *c)
{
    c->sizing.max_leverage = 10000; /* 1x: the balance clamp (where the reserve applies) on */
    c->sizing.reserve_pct = 200000; /* 20 % of equity, the live-trading plan */
    c->sizing.reserve = s_reserve_fixed;
}

/* Equity 10000, available 6000, 1x: the 20 % reserve keeps 2000 aside, so the balance clamp
 * is (6000 - 2000) / 65114.20 = 0.06143053 -> 0.06143 (below the risk size 0.07678). With a
 * fixed reserve of 2500 beside it the larger, 2500, applies: 3500 / 65114.20 = 0.05375171 ->
 * 0.05375. Available 2000 is all reserve: refused "no available balance". On today's code
 * there is no reserve_pct: 6000 / 65114.20 = 0.0921 > 0.07678, so 0.07678. */
static void
test_reserve_pct(void **state)
{
    (void)state;
    s_io_t *io = calloc(1, sizeof *io);
    s_reserve_fixed = 0;
    risk_engine_t *eng = s_engine_cfg(io, s_reserve20);
    s_balance_av(eng, T0, 10000 * E8, 6000 * E8);
    s_signal(eng, T0 + SEC, 1);
    assert_int_equal(io->n_ord, 1);
    assert_int_equal(io->orders[0].qty, 6143);
    risk_engine_destroy(&eng);

    s_reserve_fixed = 2500 * E8;
    eng = s_engine_cfg(io, s_reserve20);
    s_balance_av(eng, T0, 10000 * E8, 6000 * E8);
    s_signal(eng, T0 + SEC, 1);
    assert_int_equal(io->n_ord, 1);
    assert_int_equal(io->orders[0].qty, 5375);
    risk_engine_destroy(&eng);

    s_reserve_fixed = 0;
    eng = s_engine_cfg(io, s_reserve20);
    s_balance_av(eng, T0, 10000 * E8, 2000 * E8);
    s_signal(eng, T0 + SEC, 1);
    assert_int_equal(io->n_ord, 0);
    int r = s_last(io, "risk.reject", 0);
    assert_string_equal(io->bodies[r].reject.reason, "no available balance");
    risk_engine_destroy(&eng);
    free(io);
}

/* ---- item 11: early warnings ------------------------------------------------------------ */

static void
s_fill(risk_engine_t *eng, int64_t evt, int64_t realized)
{
    codec_exec_fill_t f;
    memset(&f, 0, sizeof f);
    strcpy(f.venue, "binance-spot");
    strcpy(f.symbol, "BTCUSDT");
    strcpy(f.fill_id, "f");
    f.px_scale = 2;
    f.qty_scale = 5;
    f.realized_pnl = realized;
    f.ts_event = evt;
    codec_env_t e = s_env(evt);
    risk_engine_on_exec_fill(eng, &e, &f);
}

static void
s_warn80(risk_engine_cfg_t *c)
{
    c->warn_pct = 800000;                  /* 80 % */
    c->limits.max_drawdown_pct = 100000;   /* 10 % */
    c->limits.max_trades_per_hour = 5;     /* 80 % = 4 entries */
    c->max_heat_pct = 60000;               /* 6 % */
    c->sizing.risk_pct = 50000;            /* 5 %: one entry's risk is 500 = 83 % of the heat cap */
    c->sizing.max_position_pct = 10000000; /* 1000 %: the position cap does not bind */
    c->winrate_n = 4;
    c->winrate_min_pct = 500000; /* 50 % */
}

/* warn_pct 80: daily loss limit 3 % of 10000 = 300: a loss of 200 (66.7 %) is quiet, 250
 * (83.3 %) warns "daily_loss_warn" once (not again at 260). Heat cap 6 % = 600: an entry
 * risking 1.53572 x 325.58 = 499.99 (83.3 %) warns "heat_warn". Trades per hour 5: the 4th entry
 * within the hour warns "trades_per_hour_warn". Drawdown 10 % of the peak 10000 = 1000: equity
 * 9150 (850, 85 %) warns "drawdown_warn". Win rate under 50 % over the last 4 round trips
 * (all four closed flat: 0 wins) warns "win_rate". All level warn. On today's code none of
 * these alerts exists (only the limits themselves, at 100 %). */
static void
test_early_warnings(void **state)
{
    (void)state;
    s_io_t *io = calloc(1, sizeof *io);
    risk_engine_t *eng = s_engine_cfg(io, s_warn80);
    s_balance(eng, T0, 10000 * E8);
    s_fill(eng, T0 + SEC, -200 * E8);
    assert_int_equal(s_alerts(io, "daily_loss_warn", NULL, 0), 0);
    s_fill(eng, T0 + 2 * SEC, -50 * E8);
    assert_int_equal(s_alerts(io, "daily_loss_warn", "warn", 0), 1);
    s_fill(eng, T0 + 3 * SEC, -10 * E8);
    assert_int_equal(s_alerts(io, "daily_loss_warn", NULL, 0), 1);
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_RUNNING);

    /* entries: each fills and closes flat at once (a round trip with PnL 0: not a win) */
    for (int k = 0; k < 4; k++) {
        int64_t t = T0 + (10 + 10 * k) * SEC;
        s_signal(eng, t, 1);
        assert_int_equal(io->n_ord, k + 1);
        assert_int_equal(io->orders[k].qty, 153572);
        s_exec_order(eng, t + 1, io->orders[k].client_id, "Filled");
        s_position(eng, t + 2, 153572, 6511420);
        if (k == 0) {
            assert_int_equal(s_alerts(io, "heat_warn", "warn", 0), 1);
        }
        assert_int_equal(s_alerts(io, "trades_per_hour_warn", NULL, 0), k == 3 ? 1 : 0);
        s_position(eng, t + 3, 0, 0);
        assert_int_equal(s_alerts(io, "win_rate", NULL, 0), k == 3 ? 1 : 0);
    }
    /* heat: one warning per entry (each flat close re-arms it) */
    assert_int_equal(s_alerts(io, "heat_warn", NULL, 0), 4);
    assert_int_equal(s_alerts(io, "drawdown_warn", NULL, 0), 0);
    s_balance(eng, T0 + 100 * SEC, 9150 * E8);
    assert_int_equal(s_alerts(io, "drawdown_warn", "warn", 0), 1);
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_RUNNING);
    risk_engine_destroy(&eng);
    free(io);
}

/* ---- untested until issue 17: the per-asset refusal --------------------------------------- */

static int64_t s_per_asset;

static void
s_per_asset_cfg(risk_engine_cfg_t *c)
{
    c->limits.max_open_positions = 3;
    c->max_open_per_asset = s_per_asset;
}

/* BTC long open on binance-spot: a BTCUSDT buy on bybit-spot is the same base asset, refused
 * "max_open_per_asset" with max_open_per_asset 1 (no order; max_open_positions 3 would allow
 * it), sent with 2. */
static void
test_per_asset_refusal(void **state)
{
    (void)state;
    instr_t bybit = k_spot;
    snprintf(bybit.venue, sizeof bybit.venue, "bybit-spot");
    for (int lim = 1; lim <= 2; lim++) {
        s_io_t *io = calloc(1, sizeof *io);
        s_per_asset = lim;
        risk_engine_t *eng = s_engine_cfg(io, s_per_asset_cfg);
        assert_int_equal(risk_engine_add_instrument(eng, &bybit), 0);
        s_balance(eng, T0, 10000 * E8);
        s_signal(eng, T0 + SEC, 1);
        assert_int_equal(io->n_ord, 1);
        s_position(eng, T0 + 2 * SEC, 7678, 6511420);
        codec_sig_signal_t sg;
        memset(&sg, 0, sizeof sg);
        strcpy(sg.strategy, "ema_rsi.bybit");
        strcpy(sg.venue, "bybit-spot");
        strcpy(sg.symbol, "BTCUSDT");
        sg.side = 1;
        sg.confidence = 80;
        sg.px_scale = 2;
        sg.ref_px = 6511420;
        sg.sl_px = 6478862;
        codec_env_t e = s_env(T0 + 3 * SEC);
        risk_engine_on_signal(eng, &e, &sg);
        if (lim == 1) {
            assert_int_equal(io->n_ord, 1);
            int r = s_last(io, "risk.reject", 0);
            assert_string_equal(io->bodies[r].reject.reason, "max_open_per_asset");
            assert_string_equal(io->bodies[r].reject.strategy, "ema_rsi.bybit");
        } else {
            assert_int_equal(io->n_ord, 2);
            assert_string_equal(io->orders[1].venue, "bybit-spot");
        }
        risk_engine_destroy(&eng);
        free(io);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reject_breaker),      cmocka_unit_test(test_tp_split_rest_trails),
        cmocka_unit_test(test_partial_tp_half_way), cmocka_unit_test(test_reserve_pct),
        cmocka_unit_test(test_early_warnings),      cmocka_unit_test(test_per_asset_refusal),
    };
    return cmocka_run_group_tests_name("risk_issue17", tests, NULL, NULL);
}
