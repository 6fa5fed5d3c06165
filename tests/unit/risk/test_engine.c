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
#include <string.h>

#include <cmocka.h>

#include "risk/engine.h"

#define E8    INT64_C(100000000)
#define MS    INT64_C(1000000)
#define T0    (INT64_C(1762160400000) * MS)
#define S_MAX 32

typedef enum { S_ACCEPT, S_REFUSE, S_TIMEOUT } s_mode_t;

typedef struct {
    int n_pub;
    char topics[S_MAX][32];
    codec_body_t bodies[S_MAX];
    int64_t evts[S_MAX], origins[S_MAX];
    int n_ord;
    codec_risk_order_t orders[S_MAX];
    s_mode_t mode;
} s_io_t;

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

static risk_engine_t *
s_engine(s_io_t *io, int64_t max_open)
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
    risk_engine_resume(eng);
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_halted_until_balance),
        cmocka_unit_test(test_long_entry_order_then_stop),
        cmocka_unit_test(test_signal_rules),
        cmocka_unit_test(test_executor_refusal_and_timeout),
        cmocka_unit_test(test_daily_loss_alert),
        cmocka_unit_test(test_malformed_message_counted),
    };
    return cmocka_run_group_tests_name("risk_engine", tests, NULL, NULL);
}
