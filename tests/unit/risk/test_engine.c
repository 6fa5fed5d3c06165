/*  test_engine.c - unit tests of risk/engine: the signal rules, order building, executor
 *  answers, exits and state/alerts, with fake io (publish and send_order recorded in memory).
 *  Numbers: equity 10000 USDT, risk 1 %, max position 50 %, Binance spot BTCUSDT (tick 0.01,
 *  step 0.00001, min notional 5): ref 65114.20 / sl 64788.62 sizes to 0.07678 BTC (worked in
 *  test_sizing.c). Event time T = 2025-11-03T09:00:00.000Z = 1762160400000 ms.
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
#define T0    (INT64_C(1762160400000) * MS)
#define S_MAX 64

typedef enum { S_ACCEPT, S_REFUSE, S_TIMEOUT } s_mode_t;

typedef struct {
    int n_pub;
    char topics[S_MAX][32];
    codec_body_t bodies[S_MAX];
    int64_t evts[S_MAX], origins[S_MAX];
    int n_ord;
    codec_risk_order_t orders[S_MAX];
    s_mode_t mode;
    int n_cancel_all;      /* io.cancel_all calls */
    int ord_at_cancel_all; /* n_ord when it was last called */
} s_io_t;

static int
s_cancel_all(void *arg)
{
    s_io_t *io = arg;
    io->n_cancel_all++;
    io->ord_at_cancel_all = io->n_ord;
    return 2;
}

static int
s_publish(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
          int64_t origin)
{
    (void)type;
    s_io_t *io = arg;
    assert_true(io->n_pub < S_MAX);
    snprintf(io->topics[io->n_pub], 32, "%s", topic);
    size_t sz = type == CODEC_RISK_ORDER    ? sizeof(codec_risk_order_t)
                : type == CODEC_RISK_REJECT ? sizeof(codec_risk_reject_t)
                : type == CODEC_RISK_STATE  ? sizeof(codec_risk_state_t)
                                            : sizeof(codec_risk_alert_t);
    memcpy(&io->bodies[io->n_pub], body, sz);
    io->evts[io->n_pub] = evt;
    io->origins[io->n_pub] = origin;
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

static const instr_t k_spot = { .venue = "binance-spot",
                                .category = "spot",
                                .symbol = "BTCUSDT",
                                .px_scale = 2,
                                .qty_scale = 5,
                                .tick = 1,
                                .step = 1,
                                .min_qty = 1,
                                .min_notional = 5 * E8 };

static risk_engine_t *s_engine_cfg(s_io_t *io, int64_t max_open,
                                   void (*tweak)(risk_engine_cfg_t *));

static risk_engine_t *
s_engine(s_io_t *io, int64_t max_open)
{
    return s_engine_cfg(io, max_open, NULL);
}

static risk_engine_t *
s_engine_cfg(s_io_t *io, int64_t max_open, void (*tweak)(risk_engine_cfg_t *))
{
    memset(io, 0, sizeof *io);
    risk_engine_cfg_t c;
    memset(&c, 0, sizeof c);
    c.sizing.risk_pct = 10000;          /* 1.0 % */
    c.sizing.max_position_pct = 500000; /* 50 % */
    c.limits.max_open_positions = max_open;
    c.limits.daily_loss_limit_pct = 30000; /* 3.0 % */
    c.limits.start_equity = 10000 * E8;
    c.min_confidence = 50;
    c.order_ttl_ns = 60000 * MS;
    strcpy(c.asset, "USDT");
    if (tweak) {
        tweak(&c);
    }
    risk_io_t rio = {
        .publish = s_publish, .send_order = s_send, .cancel_all = s_cancel_all, .arg = io
    };
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
s_balance(risk_engine_t *eng, int64_t evt, int64_t equity)
{
    codec_exec_balance_t b;
    memset(&b, 0, sizeof b);
    strcpy(b.asset, "USDT");
    b.wallet = equity;
    b.equity = equity;
    codec_env_t e = s_env(evt);
    risk_engine_on_exec_balance(eng, &e, &b);
}

static void
s_signal(risk_engine_t *eng, int64_t evt, const char *venue, int8_t side, double conf)
{
    codec_sig_signal_t s;
    memset(&s, 0, sizeof s);
    strcpy(s.strategy, "ema_rsi.btc");
    snprintf(s.venue, sizeof s.venue, "%s", venue);
    strcpy(s.symbol, "BTCUSDT");
    s.side = side;
    s.confidence = conf;
    s.px_scale = 2;
    s.ref_px = 6511420;
    s.sl_px = side > 0 ? 6478862 : 6543978; /* 325.58 on the losing side */
    s.tp_px = side > 0 ? 6576534 : 6446306; /* about 1 % on the winning side */
    codec_env_t e = s_env(evt);
    risk_engine_on_signal(eng, &e, &s);
}

static void
s_position(risk_engine_t *eng, int64_t evt, const char *venue, int64_t qty)
{
    codec_exec_position_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.venue, sizeof p.venue, "%s", venue);
    strcpy(p.symbol, "BTCUSDT");
    p.px_scale = 2;
    p.qty_scale = 5;
    p.qty = qty;
    p.entry_px = qty ? 6511420 : 0;
    codec_env_t e = s_env(evt);
    risk_engine_on_exec_position(eng, &e, &p);
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

static void
test_halted_until_balance(void **state)
{
    (void)state;
    s_io_t io;
    risk_engine_t *eng = s_engine(&io, 1);
    s_signal(eng, T0, "binance-spot", 1, 80);
    assert_int_equal(io.n_ord, 0);
    int r = s_last(&io, "risk.reject", 0);
    assert_true(r >= 0);
    assert_string_equal(io.bodies[r].reject.reason, "halted: equity unknown");
    int s = s_last(&io, "risk.state", 0); /* the first state goes out with the first event */
    assert_true(s == 0);                  /* before anything that event caused */
    assert_string_equal(io.bodies[s].rstate.state, "HALTED");
    assert_string_equal(io.bodies[s].rstate.reason, "equity unknown");
    s_balance(eng, T0 + MS, 10000 * E8);
    s = s_last(&io, "risk.state", s + 1);
    assert_true(s == 2); /* state, reject, state */
    assert_true(s >= 0);
    assert_string_equal(io.bodies[s].rstate.state, "RUNNING");
    assert_true(io.bodies[s].rstate.equity == 10000 * E8);
    int n = io.n_pub;
    s_balance(eng, T0 + 2 * MS, 10001 * E8); /* no state change: nothing published */
    assert_int_equal(io.n_pub, n);
    assert_int_equal(risk_engine_counters(eng)->signals, 1);
    assert_int_equal(risk_engine_counters(eng)->rejects, 1);
    risk_engine_destroy(&eng);
    assert_null(eng);
}

static void
s_exec_status(risk_engine_t *eng, const char *state)
{
    codec_md_status_t st;
    memset(&st, 0, sizeof st);
    strcpy(st.venue, "bybit-linear");
    snprintf(st.state, sizeof st.state, "%s", state);
    strcpy(st.reason, "private WS reconnected");
    codec_env_t e = s_env(0);
    risk_engine_on_exec_status(eng, &e, &st);
}

/* While the executor's venue reconciles, an entry signal is refused "halted:
 * executor_reconciling" (one risk.alert, one risk.state HALTED); "running" again ends it and
 * the next signal is sent as an order. */
static void
test_halted_while_executor_reconciles(void **state)
{
    (void)state;
    s_io_t io;
    risk_engine_t *eng = s_engine(&io, 1);
    s_balance(eng, T0, 10000 * E8);
    s_exec_status(eng, "reconciling");
    int a = s_last(&io, "risk.alert", 0);
    assert_true(a >= 0);
    assert_string_equal(io.bodies[a].alert.code, "executor_venue");
    int st = s_last(&io, "risk.state", 0);
    assert_string_equal(io.bodies[st].rstate.state, "HALTED");
    assert_string_equal(io.bodies[st].rstate.reason, "executor_reconciling");
    s_signal(eng, T0 + MS, "binance-spot", 1, 80);
    assert_int_equal(io.n_ord, 0);
    int r = s_last(&io, "risk.reject", 0);
    assert_true(r >= 0);
    assert_string_equal(io.bodies[r].reject.reason, "halted: executor_reconciling");
    int n = io.n_pub;
    s_exec_status(eng, "reconciling"); /* repeated every 5 s: no new alert, no new state */
    assert_int_equal(io.n_pub, n);
    s_exec_status(eng, "running");
    st = s_last(&io, "risk.state", n);
    assert_true(st >= 0);
    assert_string_equal(io.bodies[st].rstate.state, "RUNNING");
    s_signal(eng, T0 + 2 * MS, "binance-spot", 1, 80);
    assert_int_equal(io.n_ord, 1);
    risk_engine_destroy(&eng);
}

static void
test_long_entry_order_then_stop(void **state)
{
    (void)state;
    s_io_t io;
    risk_engine_t *eng = s_engine(&io, 1);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", 1, 80);
    assert_int_equal(io.n_ord, 1);
    const codec_risk_order_t *o = &io.orders[0];
    assert_string_equal(o->client_id, "rk-1762160400000-1");
    assert_string_equal(o->intent, "entry");
    assert_int_equal(o->side, 1);
    assert_int_equal(o->type, CODEC_ORD_MARKET);
    assert_false(o->reduce_only);
    assert_true(o->qty == 7678 && o->qty_scale == 5); /* 0.07678 BTC */
    assert_true(o->px == 0);
    assert_true(o->sl_px == 6478862 && o->tp_px == 6576534);
    assert_true(o->ts_event == T0);
    assert_true(o->ttl_ns == 60000 * MS);
    int i = s_last(&io, "risk.order", 0);
    assert_true(i >= 0);
    assert_string_equal(io.bodies[i].order.client_id, "rk-1762160400000-1");
    assert_true(io.evts[i] == T0 && io.origins[i] == T0 + 5); /* origin propagated */
    /* in flight: a second long is refused, and so is another symbol by max_open 1 */
    s_signal(eng, T0 + MS, "binance-spot", 1, 80);
    assert_int_equal(io.n_ord, 1);
    assert_string_equal(io.bodies[s_last(&io, "risk.reject", 0)].reject.reason, "entry pending");
    /* filled: the executor reports the position */
    s_position(eng, T0 + 2 * MS, "binance-spot", 7678);
    s_signal(eng, T0 + 3 * MS, "binance-spot", 1, 80);
    assert_string_equal(io.bodies[s_last(&io, "risk.reject", 0)].reject.reason, "position open");
    /* the stop trades: one reduce-only market sell of the whole position */
    s_trade(eng, T0 + 4 * MS, 6478863);
    assert_int_equal(io.n_ord, 1);
    s_trade(eng, T0 + 4 * MS, 6478862);
    assert_int_equal(io.n_ord, 2);
    o = &io.orders[1];
    assert_string_equal(o->intent, "stop_loss");
    assert_string_equal(o->client_id, "rk-1762160400004-1");
    assert_int_equal(o->side, -1);
    assert_true(o->reduce_only);
    assert_true(o->qty == 7678);
    assert_true(o->sl_px == 0 && o->tp_px == 0);
    s_trade(eng, T0 + 4 * MS, 6470000); /* same ms, deeper: no second exit */
    assert_int_equal(io.n_ord, 2);
    assert_int_equal(risk_engine_counters(eng)->exits, 1);
    s_position(eng, T0 + 5 * MS, "binance-spot", 0);
    risk_positions_check(risk_engine_positions(eng));
    assert_int_equal(risk_positions_open(risk_engine_positions(eng)), 0);
    risk_engine_destroy(&eng);
}

static void
test_signal_rules(void **state)
{
    (void)state;
    s_io_t io;
    risk_engine_t *eng = s_engine(&io, 2);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", -1, 80); /* short while flat on spot */
    assert_int_equal(io.n_ord, 0);
    assert_string_equal(io.bodies[s_last(&io, "risk.reject", 0)].reject.reason,
                        "spot cannot short");
    s_signal(eng, T0, "binance-spot", 1, 49.9); /* below min_confidence 50 */
    assert_string_equal(io.bodies[s_last(&io, "risk.reject", 0)].reject.reason,
                        "below min_confidence");
    s_signal(eng, T0, "bybit-linear", 1, 80); /* no rules for this venue+symbol */
    assert_string_equal(io.bodies[s_last(&io, "risk.reject", 0)].reject.reason,
                        "unknown instrument");
    /* a linear instrument may short: tick 0.01 and step 0.001 here */
    const instr_t lin = { .venue = "bybit-linear",
                          .category = "linear",
                          .symbol = "BTCUSDT",
                          .px_scale = 2,
                          .qty_scale = 3,
                          .tick = 1,
                          .step = 1,
                          .min_qty = 1,
                          .min_notional = 0 };
    assert_int_equal(risk_engine_add_instrument(eng, &lin), 0);
    s_signal(eng, T0 + MS, "bybit-linear", -1, 80);
    assert_int_equal(io.n_ord, 1);
    assert_int_equal(io.orders[0].side, -1);
    assert_true(io.orders[0].qty == 76); /* 0.0767.. down to 0.001 steps */
    assert_true(io.orders[0].sl_px == 6543978);
    /* long spot position held: -1 closes it (intent exit) */
    s_position(eng, T0 + 2 * MS, "binance-spot", 7678);
    s_signal(eng, T0 + 3 * MS, "binance-spot", -1, 10); /* exits ignore confidence */
    assert_int_equal(io.n_ord, 2);
    assert_string_equal(io.orders[1].intent, "exit");
    assert_int_equal(io.orders[1].side, -1);
    assert_true(io.orders[1].reduce_only);
    assert_true(io.orders[1].qty == 7678);
    s_signal(eng, T0 + 3 * MS, "binance-spot", -1, 80); /* exit already in flight */
    assert_int_equal(io.n_ord, 2);
    assert_string_equal(io.bodies[s_last(&io, "risk.reject", 0)].reject.reason, "exit pending");
    risk_engine_destroy(&eng);
}

static void
test_executor_refusal_and_timeout(void **state)
{
    (void)state;
    s_io_t io;
    risk_engine_t *eng = s_engine(&io, 1);
    s_balance(eng, T0 - MS, 10000 * E8);
    io.mode = S_REFUSE;
    s_signal(eng, T0, "binance-spot", 1, 80);
    int r = s_last(&io, "risk.reject", 0);
    assert_string_equal(io.bodies[r].reject.reason, "insufficient balance");
    assert_string_equal(io.bodies[r].reject.client_id, "rk-1762160400000-1");
    assert_true(s_last(&io, "risk.order", 0) < 0);
    /* refused entry is not in flight: the next signal may try again */
    io.mode = S_TIMEOUT;
    s_signal(eng, T0 + MS, "binance-spot", 1, 80);
    assert_int_equal(io.n_ord, 2);
    int a = s_last(&io, "risk.alert", 0);
    assert_true(a >= 0);
    assert_string_equal(io.bodies[a].alert.code, "executor_timeout");
    int s = s_last(&io, "risk.state", a);
    assert_true(s > a);
    assert_string_equal(io.bodies[s].rstate.state, "HALTED");
    assert_string_equal(io.bodies[s].rstate.reason, "executor_timeout");
    /* halted: entries refused, exits still sent */
    io.mode = S_ACCEPT;
    s_signal(eng, T0 + 2 * MS, "binance-spot", 1, 80);
    assert_int_equal(io.n_ord, 2);
    assert_string_equal(io.bodies[s_last(&io, "risk.reject", 0)].reject.reason,
                        "halted: executor_timeout");
    s_position(eng, T0 + 3 * MS, "binance-spot", 7678); /* the timed-out entry did fill */
    s_trade(eng, T0 + 4 * MS, 6400000);                 /* its stop is watched */
    assert_int_equal(io.n_ord, 3);
    assert_string_equal(io.orders[2].intent, "stop_loss");
    assert_int_equal(risk_engine_resume(eng), 0);
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_RUNNING);
    assert_string_equal(io.bodies[s_last(&io, "risk.state", 0)].rstate.state, "RUNNING");
    risk_engine_pause(eng);
    assert_string_equal(io.bodies[s_last(&io, "risk.state", 0)].rstate.state, "PAUSED");
    risk_engine_destroy(&eng);
}

static void
test_daily_loss_alert(void **state)
{
    (void)state;
    s_io_t io;
    risk_engine_t *eng = s_engine(&io, 1);
    s_balance(eng, T0, 10000 * E8);
    codec_exec_fill_t f;
    memset(&f, 0, sizeof f);
    strcpy(f.symbol, "BTCUSDT");
    f.realized_pnl = -295 * E8;
    f.fee = 5 * E8; /* -300 net = 3 % of 10000: trips */
    f.ts_event = T0 + MS;
    codec_env_t e = s_env(T0 + MS);
    risk_engine_on_exec_fill(eng, &e, &f);
    int a = s_last(&io, "risk.alert", 0);
    assert_true(a >= 0);
    assert_string_equal(io.bodies[a].alert.code, "daily_loss_limit");
    int s = s_last(&io, "risk.state", a);
    assert_string_equal(io.bodies[s].rstate.reason, "daily_loss_limit");
    assert_true(io.bodies[s].rstate.daily_pnl == -300 * E8);
    s_signal(eng, T0 + 2 * MS, "binance-spot", 1, 80);
    assert_int_equal(io.n_ord, 0);
    assert_string_equal(io.bodies[s_last(&io, "risk.reject", 0)].reject.reason, "daily_loss_limit");
    /* next UTC day (2025-11-04T00:00:00Z = 1762214400 s) in event time: entries again */
    s_signal(eng, INT64_C(1762214400) * 1000 * MS, "binance-spot", 1, 80);
    assert_int_equal(io.n_ord, 1);
    risk_engine_destroy(&eng);
}

static void
test_malformed_message_counted(void **state)
{
    (void)state;
    s_io_t io;
    risk_engine_t *eng = s_engine(&io, 1);
    const uint8_t junk[] = { 0xc1, 0x00, 0x01 };
    bus_msg_t m;
    memset(&m, 0, sizeof m);
    strcpy(m.topic, "sig.signal.x.BTCUSDT");
    m.type = CODEC_SIG_SIGNAL;
    m.data = junk;
    m.len = sizeof junk;
    risk_engine_on_msg(eng, &m);
    assert_int_equal(risk_engine_counters(eng)->bad, 1);
    m.type = CODEC_MD_TICKER; /* not risk's business: ignored, not bad */
    risk_engine_on_msg(eng, &m);
    assert_int_equal(risk_engine_counters(eng)->bad, 1);
    assert_int_equal(io.n_pub, 0);
    risk_engine_destroy(&eng);
}

/* ---- kill switch, breakers, persistence ---------------------------------------------- */

static s_io_t g_io; /* large: kept off the stack */

static void
test_kill_switch_closes_latches_and_clears(void **state)
{
    (void)state;
    risk_engine_t *eng = s_engine(&g_io, 2);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", 1, 80);
    s_position(eng, T0 + MS, "binance-spot", 7678);
    assert_int_equal(g_io.n_ord, 1);
    int from = g_io.n_pub;
    risk_engine_kill(eng, "test");
    assert_int_equal(g_io.n_ord, 2);
    /* the resting orders were cancelled once, before the close was sent */
    assert_int_equal(g_io.n_cancel_all, 1);
    assert_int_equal(g_io.ord_at_cancel_all, 1);
    const codec_risk_order_t *o = &g_io.orders[1];
    assert_string_equal(o->intent, "kill");
    assert_true(o->reduce_only);
    assert_int_equal(o->side, -1);
    assert_true(o->qty == 7678); /* the whole position */
    int a = s_last(&g_io, "risk.alert", from);
    assert_true(a >= 0);
    assert_string_equal(g_io.bodies[a].alert.code, "kill_switch");
    assert_non_null(strstr(g_io.bodies[a].alert.text, "cancel-all: 2 cancelled"));
    int st = s_last(&g_io, "risk.state", from);
    assert_string_equal(g_io.bodies[st].rstate.state, "KILLED");
    assert_string_equal(g_io.bodies[st].rstate.reason, "kill_switch");
    /* entries refused; the close is in flight so nothing is sent twice */
    s_position(eng, T0 + 2 * MS, "binance-spot", 0);
    s_signal(eng, T0 + 3 * MS, "binance-spot", 1, 99);
    assert_int_equal(g_io.n_ord, 2);
    assert_string_equal(g_io.bodies[s_last(&g_io, "risk.reject", 0)].reject.reason, "kill_switch");
    /* a position that shows up while latched (an entry filled late) is closed at once */
    s_position(eng, T0 + 4 * MS, "binance-spot", 1000);
    assert_int_equal(g_io.n_ord, 3);
    assert_string_equal(g_io.orders[2].intent, "kill");
    assert_true(g_io.orders[2].qty == 1000);
    s_position(eng, T0 + 5 * MS, "binance-spot", 0);
    /* resume does not end a kill: refused, still KILLED, entries still refused */
    int before = g_io.n_pub;
    errno = 0;
    assert_int_equal(risk_engine_resume(eng), -1);
    assert_int_equal(errno, EPERM);
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_KILLED);
    assert_int_equal(s_last(&g_io, "risk.state", before), -1); /* nothing published */
    s_signal(eng, T0 + 5 * MS + 1, "binance-spot", 1, 80);
    assert_int_equal(g_io.n_ord, 3);
    /* a person clears it: entries again */
    risk_engine_clear_kill(eng);
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_RUNNING);
    s_signal(eng, T0 + 6 * MS, "binance-spot", 1, 80);
    assert_int_equal(g_io.n_ord, 4);
    assert_string_equal(g_io.orders[3].intent, "entry");
    risk_engine_destroy(&eng);
}

static void
s_crit_cfg(risk_engine_cfg_t *c)
{
    c->critical_close_ns = INT64_C(10000000000); /* 10 s */
}

/* Close on a critical error (risk.critical_close_s 10): long 0.07678 BTCUSDT.
 * Venue: the executor's venue says "reconciling" at T0 + 1 s (the outage starts at risk's
 * latest event time then); prices keep coming; at T0 + 11 s (10 s down: not yet, the rule is
 * "longer than") nothing, at T0 + 11 s + 1 ns one reduce-only market sell of the whole qty,
 * intent "critical", and one risk.alert critical_close (error); later prices send nothing
 * more (the exit is latched). Stale: a second engine, the last price at T0 + 2 ms, the clock
 * (live mode's tick) at T0 + 2 ms + 10 s: not yet; 1 ns more: closed "critical". Off (0,
 * the default): the same silence closes nothing. */
static void
test_critical_close(void **state)
{
    (void)state;
    const int64_t SEC = INT64_C(1000000000);
    s_io_t io;
    risk_engine_t *eng = s_engine_cfg(&io, 1, s_crit_cfg);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", 1, 80);
    s_position(eng, T0 + MS, "binance-spot", 7678);
    s_trade(eng, T0 + SEC, 6511420);
    s_exec_status(eng, "reconciling");
    s_trade(eng, T0 + 5 * SEC, 6511420);
    s_trade(eng, T0 + 11 * SEC, 6511420);
    assert_int_equal(io.n_ord, 1);
    int from = io.n_pub;
    s_trade(eng, T0 + 11 * SEC + 1, 6511420);
    assert_int_equal(io.n_ord, 2);
    assert_string_equal(io.orders[1].intent, "critical");
    assert_true(io.orders[1].reduce_only);
    assert_int_equal(io.orders[1].side, -1);
    assert_true(io.orders[1].qty == 7678);
    int a = s_last(&io, "risk.alert", from);
    assert_true(a >= 0);
    assert_string_equal(io.bodies[a].alert.code, "critical_close");
    assert_string_equal(io.bodies[a].alert.level, "error");
    s_trade(eng, T0 + 12 * SEC, 6511420);
    assert_int_equal(io.n_ord, 2);
    risk_engine_destroy(&eng);
    /* stale data with a position open */
    eng = s_engine_cfg(&io, 1, s_crit_cfg);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", 1, 80);
    s_position(eng, T0 + MS, "binance-spot", 7678);
    s_trade(eng, T0 + 2 * MS, 6511420);
    risk_engine_on_time(eng, T0 + 2 * MS + 10 * SEC);
    assert_int_equal(io.n_ord, 1);
    risk_engine_on_time(eng, T0 + 2 * MS + 10 * SEC + 1);
    assert_int_equal(io.n_ord, 2);
    assert_string_equal(io.orders[1].intent, "critical");
    risk_engine_destroy(&eng);
    /* off by default */
    eng = s_engine(&io, 1);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", 1, 80);
    s_position(eng, T0 + MS, "binance-spot", 7678);
    s_trade(eng, T0 + 2 * MS, 6511420);
    s_exec_status(eng, "halted");
    risk_engine_on_time(eng, T0 + 3600 * SEC);
    assert_int_equal(io.n_ord, 1);
    risk_engine_destroy(&eng);
}

/* Operator flatten (gateway / ctl "flatten [SYMBOL]"): with a long 0.07678 BTCUSDT open,
 * "ETHUSDT" closes nothing (0, alert "flatten ... 0 closed (nothing open)"); "BTCUSDT" sends
 * one reduce-only market sell of the whole qty, intent "flatten", and the alert names the
 * position; asked again while that exit is in flight: nothing more. Nothing is latched: the
 * state stays RUNNING and a new signal is taken (the same signal as the first: an entry). */
static void
test_flatten(void **state)
{
    (void)state;
    s_io_t io;
    risk_engine_t *eng = s_engine(&io, 1);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", 1, 80);
    s_position(eng, T0 + MS, "binance-spot", 7678);
    s_trade(eng, T0 + 2 * MS, 6511420);
    assert_int_equal(io.n_ord, 1);
    int from = io.n_pub;
    assert_int_equal(risk_engine_flatten(eng, "ETHUSDT"), 0);
    assert_int_equal(io.n_ord, 1);
    int a = s_last(&io, "risk.alert", from);
    assert_true(a >= 0);
    assert_string_equal(io.bodies[a].alert.code, "flatten");
    assert_string_equal(io.bodies[a].alert.level, "warn");
    assert_non_null(
        strstr(io.bodies[a].alert.text, "flatten ETHUSDT by operator: 0 closed (nothing open)"));
    from = io.n_pub;
    assert_int_equal(risk_engine_flatten(eng, "BTCUSDT"), 1);
    assert_int_equal(io.n_ord, 2);
    assert_string_equal(io.orders[1].intent, "flatten");
    assert_true(io.orders[1].reduce_only);
    assert_int_equal(io.orders[1].side, -1);
    assert_true(io.orders[1].qty == 7678);
    a = s_last(&io, "risk.alert", from);
    assert_true(a >= 0);
    assert_non_null(strstr(io.bodies[a].alert.text, "1 closed: binance-spot BTCUSDT"));
    assert_int_equal(risk_engine_flatten(eng, NULL), 0); /* its exit is in flight */
    assert_int_equal(io.n_ord, 2);
    assert_false(risk_limits_killed(risk_engine_limits(eng)));
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_RUNNING);
    s_position(eng, T0 + 3 * MS, "binance-spot", 0);
    s_signal(eng, T0 + 4 * MS, "binance-spot", 1, 80);
    assert_int_equal(io.n_ord, 3);
    assert_string_equal(io.orders[2].intent, "entry");
    risk_engine_destroy(&eng);
}

static void
s_be_cfg(risk_engine_cfg_t *c)
{
    c->exits.be_trigger_pct = 5000; /* 0.5 % */
}

/* The venue-held stop follows breakeven (docs/risk.md "Venue-held stop"). Long 0.07678 at
 * 65114.20, stop 64788.62 (the entry's attached sl_px). Breakeven at 0.5 %: the distance
 * 65114.20 x 0.005 = 325.571 rounded down to the cent (risk/exits.c), level 65439.77; so a trade
 * at 65439.76 does not reach it and one at 65439.77 does: risk's own
 * stop becomes the entry (65114.20) and one "move_stop" goes out (sell side, reduce-only, the
 * whole qty, sl_px 65114.20). Later prices send nothing; a refused move is not asked again; a
 * risk restored from its saved state (venue_sl kept) sends nothing either. */
static void
test_venue_stop_follows_breakeven(void **state)
{
    (void)state;
    s_io_t io;
    risk_engine_t *eng = s_engine_cfg(&io, 1, s_be_cfg);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", 1, 80);
    s_position(eng, T0 + MS, "binance-spot", 7678);
    assert_int_equal(io.n_ord, 1);
    s_trade(eng, T0 + 2 * MS, 6543976);
    assert_int_equal(io.n_ord, 1);
    s_trade(eng, T0 + 3 * MS, 6543977);
    assert_int_equal(io.n_ord, 2);
    const codec_risk_order_t *o = &io.orders[1];
    assert_string_equal(o->intent, "move_stop");
    assert_int_equal(o->side, -1);
    assert_true(o->reduce_only);
    assert_true(o->qty == 7678);
    assert_true(o->sl_px == 6511420);
    assert_true(o->ts_event == T0 + 3 * MS);
    assert_string_equal(io.bodies[s_last(&io, "risk.order", 0)].order.intent, "move_stop");
    assert_false(risk_positions_get(risk_engine_positions(eng), "binance-spot", "BTCUSDT")
                     ->exit_pending); /* not an exit */
    s_trade(eng, T0 + 4 * MS, 6560000);
    s_trade(eng, T0 + 5 * MS, 6520000);
    assert_int_equal(io.n_ord, 2);
    /* restart: the saved state has the venue's stop, nothing is sent again */
    json_t *doc = risk_engine_save(eng);
    s_io_t io2;
    risk_engine_t *b = s_engine_cfg(&io2, 1, s_be_cfg);
    assert_int_equal(risk_engine_restore(b, doc), 0);
    json_decref(doc);
    s_trade(b, T0 + 6 * MS, 6560000);
    assert_int_equal(io2.n_ord, 0);
    /* its own stop still works: at the entry, a "breakeven" exit */
    s_trade(b, T0 + 7 * MS, 6511420);
    assert_int_equal(io2.n_ord, 1);
    assert_string_equal(io2.orders[0].intent, "breakeven");
    risk_engine_destroy(&b);
    risk_engine_destroy(&eng);
    /* a refused move (a venue that holds no stops) is not asked again at every price */
    eng = s_engine_cfg(&io, 1, s_be_cfg);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", 1, 80);
    s_position(eng, T0 + MS, "binance-spot", 7678);
    io.mode = S_REFUSE;
    s_trade(eng, T0 + 3 * MS, 6543977);
    s_trade(eng, T0 + 4 * MS, 6560000);
    assert_int_equal(io.n_ord, 2);
    assert_string_equal(io.orders[1].intent, "move_stop");
    risk_engine_destroy(&eng);
}

static void
s_stale_cfg(risk_engine_cfg_t *c)
{
    c->stale_ns = 300 * INT64_C(1000000000); /* 300 s */
}

/* stale after 300 s of event time without a price of a symbol with a position */
static void
test_stale_data_halts_entries_not_exits(void **state)
{
    (void)state;
    risk_engine_t *eng = s_engine_cfg(&g_io, 2, s_stale_cfg);
    const int64_t SEC = INT64_C(1000000000);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", 1, 80);
    s_position(eng, T0 + MS, "binance-spot", 7678);
    s_trade(eng, T0 + 2 * MS, 6511420);
    s_balance(eng, T0 + 2 * MS + 300 * SEC, 10000 * E8); /* exactly 300 s: not stale */
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_RUNNING);
    int from = g_io.n_pub;
    s_balance(eng, T0 + 2 * MS + 300 * SEC + 1, 10000 * E8);
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_HALTED);
    int a = s_last(&g_io, "risk.alert", from);
    assert_true(a >= 0);
    assert_string_equal(g_io.bodies[a].alert.code, "stale_data");
    /* the stop still fires on the next price (which also ends the staleness) */
    s_trade(eng, T0 + 301 * SEC, 6478862);
    assert_int_equal(g_io.n_ord, 2);
    assert_string_equal(g_io.orders[1].intent, "stop_loss");
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_RUNNING);
    risk_engine_destroy(&eng);
}

/* live mode: every feed silent, only the once-a-second time tick advances the clock */
static void
test_stale_data_by_time_tick(void **state)
{
    (void)state;
    risk_engine_t *eng = s_engine_cfg(&g_io, 2, s_stale_cfg);
    const int64_t SEC = INT64_C(1000000000);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", 1, 80);
    s_position(eng, T0 + MS, "binance-spot", 7678);
    s_trade(eng, T0 + 2 * MS, 6511420);                /* the last price: T0 + 2 ms */
    risk_engine_on_time(eng, T0 + 2 * MS + 300 * SEC); /* 300 s of silence: not yet */
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_RUNNING);
    int from = g_io.n_pub;
    risk_engine_on_time(eng, T0 + 2 * MS + 300 * SEC + 1); /* one ns more: stale */
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_HALTED);
    int a = s_last(&g_io, "risk.alert", from);
    assert_true(a >= 0);
    assert_string_equal(g_io.bodies[a].alert.code, "stale_data");
    assert_true(s_last(&g_io, "risk.state", from) >= 0);
    risk_engine_on_time(eng, T0); /* a tick from the past changes nothing */
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_HALTED);
    s_trade(eng, T0 + 301 * SEC, 6511420); /* data again: cleared */
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_RUNNING);
    risk_engine_destroy(&eng);
}

static void
s_streak_cfg(risk_engine_cfg_t *c)
{
    c->limits.max_consecutive_losses = 2;
}

static void
s_fill(risk_engine_t *eng, int64_t evt, int64_t pnl, int64_t fee)
{
    codec_exec_fill_t f;
    memset(&f, 0, sizeof f);
    strcpy(f.venue, "binance-spot");
    strcpy(f.symbol, "BTCUSDT");
    f.realized_pnl = pnl;
    f.fee = fee;
    f.ts_event = evt;
    codec_env_t e = s_env(evt);
    risk_engine_on_exec_fill(eng, &e, &f);
}

/* a trade = open -> flat; its net PnL = sum of (realized - fee) of its fills, entry included:
 * trade 1: -0.5 fee, +0.2 - 0.5 = -0.8 (loss); trade 2: -0.5, -3 - 0.5 = -4 (loss): paused */
static void
test_loss_streak_from_trades(void **state)
{
    (void)state;
    risk_engine_t *eng = s_engine_cfg(&g_io, 1, s_streak_cfg);
    s_balance(eng, T0 - MS, 10000 * E8);
    for (int k = 0; k < 2; k++) {
        int64_t t = T0 + k * 10 * MS;
        s_signal(eng, t, "binance-spot", 1, 80);
        s_fill(eng, t + 1 * MS, 0, E8 / 2);
        s_position(eng, t + 1 * MS, "binance-spot", 7678);
        s_fill(eng, t + 2 * MS, k == 0 ? E8 / 5 : -3 * E8, E8 / 2);
        s_position(eng, t + 2 * MS, "binance-spot", 0);
        assert_int_equal(risk_limits_loss_streak(risk_engine_limits(eng)), k + 1);
    }
    assert_int_equal(risk_limits_state(risk_engine_limits(eng)), RISK_PAUSED);
    assert_string_equal(g_io.bodies[s_last(&g_io, "risk.alert", 0)].alert.code, "loss_streak");
    s_signal(eng, T0 + 30 * MS, "binance-spot", 1, 80);
    assert_string_equal(g_io.bodies[s_last(&g_io, "risk.reject", 0)].reject.reason, "loss_streak");
    risk_engine_destroy(&eng);
}

static const instr_t k_eth = { .venue = "binance-spot",
                               .category = "spot",
                               .symbol = "ETHUSDT",
                               .px_scale = 2,
                               .qty_scale = 4,
                               .tick = 1,
                               .step = 1,
                               .min_qty = 1,
                               .min_notional = 5 * E8 };

static void
s_eth_signal(risk_engine_t *eng, int64_t evt, double conf)
{
    codec_sig_signal_t s;
    memset(&s, 0, sizeof s);
    strcpy(s.strategy, "x.eth");
    strcpy(s.venue, "binance-spot");
    strcpy(s.symbol, "ETHUSDT");
    s.side = 1;
    s.confidence = conf;
    s.px_scale = 2;
    s.ref_px = 300000; /* 3000.00 */
    s.sl_px = 297000;  /* 2970.00: 30.00 below */
    codec_env_t e = s_env(evt);
    risk_engine_on_signal(eng, &e, &s);
}

static void
s_prio_cfg(risk_engine_cfg_t *c)
{
    c->n_priority = 2;
    strcpy(c->priority[0], "BTC");
    strcpy(c->priority[1], "ETH");
    c->priority_confidence = 90;
    c->max_open_per_asset = 1;
}

static void
s_heat_cfg(risk_engine_cfg_t *c)
{
    c->max_heat_pct = 5000; /* 0.5 % of 10000 = 50 USDT */
}

/* BTC open: ETH at confidence 80 waits (priority), at 95 goes. Heat: BTC open risk
 * 0.07678 x 325.58 = 24.9980324; ETH entry 1.6666 (cap 5000 / 3000, step 0.0001) x 30.00 =
 * 49.998: 74.9963.. > 50 refused ("portfolio_heat"); with no BTC, 49.998 <= 50 goes. */
static void
test_priority_per_asset_and_heat(void **state)
{
    (void)state;
    risk_engine_t *eng = s_engine_cfg(&g_io, 3, s_prio_cfg);
    assert_int_equal(risk_engine_add_instrument(eng, &k_eth), 0);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", 1, 80);
    s_position(eng, T0 + MS, "binance-spot", 7678);
    s_eth_signal(eng, T0 + 2 * MS, 80);
    assert_int_equal(g_io.n_ord, 1);
    assert_string_equal(g_io.bodies[s_last(&g_io, "risk.reject", 0)].reject.reason,
                        "asset_priority: BTC open");
    s_eth_signal(eng, T0 + 3 * MS, 95);
    assert_int_equal(g_io.n_ord, 2);
    assert_true(g_io.orders[1].qty == 16666);
    risk_engine_destroy(&eng);

    eng = s_engine_cfg(&g_io, 3, s_heat_cfg);
    assert_int_equal(risk_engine_add_instrument(eng, &k_eth), 0);
    s_balance(eng, T0 - MS, 10000 * E8);
    s_signal(eng, T0, "binance-spot", 1, 80);
    s_position(eng, T0 + MS, "binance-spot", 7678);
    s_eth_signal(eng, T0 + 2 * MS, 80);
    assert_int_equal(g_io.n_ord, 1);
    assert_string_equal(g_io.bodies[s_last(&g_io, "risk.reject", 0)].reject.reason,
                        "portfolio_heat");
    s_position(eng, T0 + 3 * MS, "binance-spot", 0);
    s_eth_signal(eng, T0 + 4 * MS, 80);
    assert_int_equal(g_io.n_ord, 2);
    risk_engine_destroy(&eng);
}

/* save -> restore into a fresh engine -> save again gives the same document; the restored
 * engine is killed and keeps managing the position's stop */
static void
test_persist_round_trip(void **state)
{
    (void)state;
    risk_engine_t *a = s_engine_cfg(&g_io, 1, s_streak_cfg);
    s_balance(a, T0 - MS, 10000 * E8);
    s_signal(a, T0, "binance-spot", 1, 80);
    s_fill(a, T0 + MS, 0, E8 / 2);
    s_position(a, T0 + MS, "binance-spot", 7678);
    s_balance(a, T0 + MS, 9990 * E8);
    json_t *doc = risk_engine_save(a);
    assert_non_null(doc);
    s_io_t *io2 = calloc(1, sizeof *io2);
    risk_engine_t *b = s_engine_cfg(io2, 1, s_streak_cfg);
    assert_int_equal(risk_engine_restore(b, doc), 0);
    json_t *doc2 = risk_engine_save(b);
    assert_true(json_equal(doc, doc2));
    assert_true(risk_limits_equity_peak(risk_engine_limits(b)) == 10000 * E8);
    assert_true(risk_limits_daily_pnl(risk_engine_limits(b)) == -E8 / 2);
    assert_int_equal(risk_engine_open_positions(b), 1);
    s_balance(b, T0 + 2 * MS, 9990 * E8); /* the executor tells the equity again */
    s_trade(b, T0 + 3 * MS, 6478862);     /* the restored stop fires */
    assert_int_equal(io2->n_ord, 1);
    assert_string_equal(io2->orders[0].intent, "stop_loss");
    /* a bad document changes nothing */
    json_t *bad = json_pack("{s:i}", "version", 99);
    errno = 0;
    assert_int_equal(risk_engine_restore(b, bad), -1);
    assert_int_equal(errno, EPROTO);
    json_decref(bad);
    json_decref(doc);
    json_decref(doc2);
    risk_engine_destroy(&a);
    risk_engine_destroy(&b);
    free(io2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_halted_until_balance),
        cmocka_unit_test(test_halted_while_executor_reconciles),
        cmocka_unit_test(test_long_entry_order_then_stop),
        cmocka_unit_test(test_signal_rules),
        cmocka_unit_test(test_executor_refusal_and_timeout),
        cmocka_unit_test(test_daily_loss_alert),
        cmocka_unit_test(test_malformed_message_counted),
        cmocka_unit_test(test_kill_switch_closes_latches_and_clears),
        cmocka_unit_test(test_stale_data_halts_entries_not_exits),
        cmocka_unit_test(test_stale_data_by_time_tick),
        cmocka_unit_test(test_loss_streak_from_trades),
        cmocka_unit_test(test_priority_per_asset_and_heat),
        cmocka_unit_test(test_persist_round_trip),
        cmocka_unit_test(test_venue_stop_follows_breakeven),
        cmocka_unit_test(test_critical_close),
        cmocka_unit_test(test_flatten),
    };
    return cmocka_run_group_tests_name("risk_engine", tests, NULL, NULL);
}
