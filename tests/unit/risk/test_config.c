/*  test_config.c - risk/config (the reader the stage, `ctl reload` and check-config share)
 *  and live reconfiguration (risk_engine_reconfigure, risk_limits_reconfigure).
 *  Every error is compared with "<file>:<line>: <key>: ..." where the line is found in the
 *  text this test wrote. Sizes are derived with risk/sizing's formula (risk_sizing_size) from
 *  the values the reader returned, never typed in.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cfg.h"
#include "common/money.h"
#include "risk/config.h"
#include "risk/engine.h"
#include "risk/sizing.h"
#include "tests/unit/cfg_test_util.h"

#define E8 INT64_C(100000000)
#define MS INT64_C(1000000)
#define T0 (INT64_C(1762160400000) * MS)

/* "@TOP@", "@RISK@", "@SCALE@", "@EXITS@", "@ACCOUNT@" are replaced by extra lines (or
 * nothing). */
static const char k_base[] =
    "{\n"
    "  @TOP@\"run_dir\": \"/tmp/tp-risk-cfg\",\n"
    "  \"account\": {\n"
    "    @ACCOUNT@\"asset\": \"USDT\",\n"
    "    \"start_balance\": \"10000\"\n"
    "  },\n"
    "  \"endpoints\": {\n"
    "    \"risk.0\": {\"pub\": \"ipc://{run}/risk.0.pub\", \"ctl\": \"ipc://{run}/risk.0.ctl\"},\n"
    "    \"executor.0\": {\"pub\": \"ipc://{run}/executor.0.pub\",\n"
    "                   \"ctl\": \"ipc://{run}/executor.0.ctl\",\n"
    "                   \"orders\": \"ipc://{run}/executor.0.orders\"}\n"
    "  },\n"
    "  \"feed\": {\n"
    "    \"instruments\": [\n"
    "      {\"venue\": \"binance-spot\", \"category\": \"spot\", \"symbol\": \"BTCUSDT\",\n"
    "       \"tick\": \"0.01\", \"step\": \"0.00001\", \"min_qty\": \"0.00001\",\n"
    "       \"min_notional\": \"5\"},\n"
    "      {\"venue\": \"bybit-spot\", \"category\": \"spot\", \"symbol\": \"BTCUSDT\",\n"
    "       \"tick\": \"0.01\", \"step\": \"0.00001\", \"min_qty\": \"0.00001\"}\n"
    "    ]\n"
    "  },\n"
    "  \"risk\": {\n"
    "    @RISK@\"risk_per_trade_pct\": \"0.1\",\n"
    "    \"max_position_pct\": \"50\",\n"
    "    \"max_open_positions\": 2,\n"
    "    \"max_open_per_asset\": 2,\n"
    "    \"daily_loss_limit_pct\": \"3.0\",\n"
    "    \"min_confidence\": 50,\n"
    "    \"scale\": {\n"
    "      @SCALE@\"confidence\": false\n"
    "    },\n"
    "    \"exits\": {\n"
    "      @EXITS@\"timeout_s\": 0\n"
    "    }\n"
    "  }\n"
    "}\n";

static char s_path[96];
static char s_text[8192];

/* Write k_base with @TAG@ replaced by `val` (tag NULL: none) and the other tags by nothing. */
static void
s_write(const char *tag, const char *val)
{
    ctu_fill(s_text, sizeof s_text, k_base, tag, val);
    ctu_write_file(s_path, s_text);
}

/* read and check both refuse with exactly "<file>:<line of needle>: <key>: <why...>" */
static void
s_refused(const char *needle, const char *key, const char *why)
{
    cfg_t *c = ctu_load_file(s_path);
    risk_config_t *rc = malloc(sizeof *rc);
    assert_non_null(rc);
    ctu_refused(risk_config_read(c, "risk.0", rc), c, s_path, s_text, needle, key, why);
    free(rc);
    cfg_destroy(&c);
    c = ctu_load_file(s_path);
    ctu_refused(risk_config_check(c, "risk.0"), c, s_path, s_text, needle, key, why);
    cfg_destroy(&c);
}

static int
setup(void **state)
{
    (void)state;
    snprintf(s_path, sizeof s_path, "/tmp/tp-test-risk-config-%d.json", (int)getpid());
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    unlink(s_path);
    return 0;
}

static void
test_read_values(void **state)
{
    (void)state;
    s_write(NULL, NULL);
    cfg_t *c = ctu_load_file(s_path);
    risk_config_t *rc = malloc(sizeof *rc);
    assert_non_null(rc);
    assert_int_equal(risk_config_read(c, "risk.0", rc), 0);
    assert_true(rc->engine.sizing.risk_pct == 1000); /* "0.1" at RISK_PCT_SCALE 4 */
    assert_true(rc->engine.sizing.max_position_pct == 500000);
    assert_true(rc->engine.limits.max_open_positions == 2);
    assert_true(rc->engine.limits.start_equity == 10000 * E8);
    assert_string_equal(rc->engine.asset, "USDT");
    assert_string_equal(rc->state_path, "/tmp/tp-risk-cfg/risk.0.state.json");
    assert_string_equal(rc->orders_ep, "ipc:///tmp/tp-risk-cfg/executor.0.orders");
    assert_string_equal(rc->exec_ctl, "ipc:///tmp/tp-risk-cfg/executor.0.ctl");
    assert_true(rc->timeout_ms == 2000 && rc->retries == 3); /* defaults */
    assert_int_equal(rc->n_instr, 2);
    assert_string_equal(rc->instr[1].venue, "bybit-spot");
    assert_int_equal(risk_config_check(c, "risk.0"), 0);
    free(rc);
    cfg_destroy(&c);
}

/* An unknown key at every object level of "risk" (and in "account") is refused by name. */
static void
test_unknown_keys_every_level(void **state)
{
    (void)state;
    s_write("RISK", "\"max_open_positons\": 1,\n    ");
    s_refused("max_open_positons", "risk.max_open_positons", "unknown key");
    s_write("SCALE", "\"volatilty\": true,\n      ");
    s_refused("volatilty", "risk.scale.volatilty", "unknown key");
    s_write("EXITS", "\"trail_pct\": \"1\",\n      ");
    s_refused("trail_pct", "risk.exits.trail_pct", "unknown key");
    s_write("ACCOUNT", "\"balance\": \"5\",\n    ");
    s_refused("\"balance\"", "account.balance", "unknown key");
}

static void
test_bad_values(void **state)
{
    (void)state;
    /* keys the base does not set (a duplicate key is refused by the parser) */
    s_write("RISK", "\"max_trades_per_hour\": \"one\",\n    ");
    s_refused("max_trades_per_hour", "risk.max_trades_per_hour", "expected an integer");
    s_write("RISK", "\"stop_mode\": \"far\",\n    ");
    s_refused("stop_mode", "risk.stop_mode", "expected \"signal\", \"pct\" or \"atr\"");
    /* sessions are the top-level "sessions" (common/sessions.h) since issue 17 */
    s_write("SCALE", "\"asia_hours\": [0, 7],\n      ");
    s_refused("asia_hours", "risk.scale.asia_hours", "unknown key");
    s_write("TOP", "\"sessions\": {\"ny\": [13, 25]},\n  ");
    s_refused("sessions", "sessions.ny", "expected hours in 0..24");
    s_write("TOP", "\"sessions\": {\"tokyo\": [0, 9]},\n  ");
    s_refused("tokyo", "sessions.tokyo", "unknown key");
    s_write("EXITS", "\"tp_ladder_pct\": [\"2\", \"1\"],\n      \"tp_ladder_close_pct\": [\"50\", "
                     "\"50\"],\n      ");
    s_refused("\"1\"]", "risk.exits.tp_ladder_pct[1]", "expected rungs in increasing order");
    s_write("EXITS", "\"tp_ladder_pct\": [\"1\", \"2\"],\n      \"tp_ladder_close_pct\": [\"60\", "
                     "\"50\"],\n      ");
    s_refused("tp_ladder_close_pct", "risk.exits.tp_ladder_close_pct",
              "expected a sum of at most 100");
    s_write("EXITS", "\"tp_ladder_basis\": \"target\",\n      ");
    s_refused("tp_ladder_basis", "risk.exits.tp_ladder_basis",
              "expected \"entry_pct\" or \"target_pct\"");
    s_write("RISK", "\"max_rejects\": 1001,\n    ");
    s_refused("max_rejects", "risk.max_rejects", "expected an integer in [0, 1000]");
    s_write("RISK", "\"reject_window_s\": 0,\n    ");
    s_refused("reject_window_s", "risk.reject_window_s", "expected an integer in [1, 86400]");
    s_write("RISK", "\"state_file\": 7,\n    ");
    s_refused("state_file", "risk.state_file", "expected a string");
}

/* ---- reconfigure ------------------------------------------------------------------------- */

typedef struct {
    int n_ord;
    codec_risk_order_t orders[8];
    int n_state;
    codec_risk_state_t last_state;
} s_io_t;

static int
s_publish(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
          int64_t origin)
{
    (void)evt;
    (void)origin;
    s_io_t *io = arg;
    if (type == CODEC_RISK_STATE && strcmp(topic, "risk.state") == 0) {
        io->last_state = *(const codec_risk_state_t *)body;
        io->n_state++;
    }
    return 0;
}

static int
s_send(void *arg, const codec_risk_order_t *ord, int64_t evt, int64_t origin,
       codec_order_ack_t *ack)
{
    (void)evt;
    (void)origin;
    s_io_t *io = arg;
    assert_true(io->n_ord < 8);
    io->orders[io->n_ord++] = *ord;
    memset(ack, 0, sizeof *ack);
    snprintf(ack->client_id, sizeof ack->client_id, "%s", ord->client_id);
    ack->accepted = true;
    return 0;
}

static codec_env_t
s_env(int64_t evt)
{
    codec_env_t e = { .v = CODEC_VERSION, .src = "signal.0", .evt = evt, .origin = evt };
    return e;
}

#define REF_PX 6511420 /* 65114.20 */
#define SL_PX  6478862 /* 64788.62 */

static void
s_signal(risk_engine_t *eng, int64_t evt, const char *venue)
{
    codec_sig_signal_t s;
    memset(&s, 0, sizeof s);
    strcpy(s.strategy, "ema_rsi.btc");
    snprintf(s.venue, sizeof s.venue, "%s", venue);
    strcpy(s.symbol, "BTCUSDT");
    s.side = 1;
    s.confidence = 80;
    s.px_scale = 2;
    s.ref_px = REF_PX;
    s.sl_px = SL_PX;
    codec_env_t e = s_env(evt);
    risk_engine_on_signal(eng, &e, &s);
}

/* The qty risk/sizing gives for the reader's sizing settings, equity 10000, 1x. */
static int64_t
s_expected_qty(const risk_config_t *rc)
{
    risk_sizing_in_t in = {
        .equity = 10000 * E8, .available = 0, .ref_px = REF_PX, .sl_px = SL_PX, .mult = 10000
    };
    risk_sizing_t sz;
    assert_int_equal(risk_sizing_size(&rc->engine.sizing, &rc->instr[0], &in, &sz), RISK_SIZING_OK);
    return sz.qty;
}

/* A changed risk_per_trade_pct changes the size of the next entry, from the next signal. */
static void
test_reconfigure_changes_next_order_size(void **state)
{
    (void)state;
    s_io_t io;
    memset(&io, 0, sizeof io);
    s_write(NULL, NULL);
    cfg_t *c = ctu_load_file(s_path);
    risk_config_t *before = malloc(sizeof *before), *after = malloc(sizeof *after);
    assert_non_null(before);
    assert_non_null(after);
    assert_int_equal(risk_config_read(c, "risk.0", before), 0);
    cfg_destroy(&c);
    risk_io_t rio = { .publish = s_publish, .send_order = s_send, .arg = &io };
    risk_engine_t *eng = risk_config_engine_new(before, &rio);
    assert_non_null(eng);
    codec_exec_balance_t b;
    memset(&b, 0, sizeof b);
    strcpy(b.asset, "USDT");
    b.wallet = b.equity = 10000 * E8;
    codec_env_t e = s_env(T0 - MS);
    risk_engine_on_exec_balance(eng, &e, &b);
    s_signal(eng, T0, "binance-spot"); /* instrument from feed.instruments, no md.instrument */
    assert_int_equal(io.n_ord, 1);
    int64_t q1 = s_expected_qty(before);
    assert_true(io.orders[0].qty == q1);

    /* the file changes risk_per_trade_pct only; everything is read again */
    char *p = strstr(s_text, "\"risk_per_trade_pct\": \"0.1\"");
    assert_non_null(p);
    memcpy(p, "\"risk_per_trade_pct\": \"0.2\"", 27);
    ctu_write_file(s_path, s_text);
    c = ctu_load_file(s_path);
    assert_int_equal(risk_config_read(c, "risk.0", after), 0);
    cfg_destroy(&c);
    int64_t q2 = s_expected_qty(after);
    assert_true(q2 != q1); /* below the 50 % cap both times: the size follows the risk */
    assert_int_equal(risk_engine_reconfigure(eng, &after->engine), 0);
    assert_true(risk_engine_cfg(eng)->sizing.risk_pct == 2000);
    s_signal(eng, T0 + MS, "bybit-spot"); /* max_open_positions 2: the second symbol */
    assert_int_equal(io.n_ord, 2);
    assert_true(io.orders[1].qty == q2);
    risk_engine_destroy(&eng);
    free(before);
    free(after);
}

/* A bad engine config is refused and changes nothing. */
static void
test_reconfigure_refuses_bad(void **state)
{
    (void)state;
    s_io_t io;
    memset(&io, 0, sizeof io);
    s_write(NULL, NULL);
    cfg_t *c = ctu_load_file(s_path);
    risk_config_t *rc = malloc(sizeof *rc);
    assert_non_null(rc);
    assert_int_equal(risk_config_read(c, "risk.0", rc), 0);
    cfg_destroy(&c);
    risk_io_t rio = { .publish = s_publish, .send_order = s_send, .arg = &io };
    risk_engine_t *eng = risk_config_engine_new(rc, &rio);
    assert_non_null(eng);
    risk_engine_cfg_t bad = rc->engine;
    bad.sizing.risk_pct = 0;
    bad.limits.max_open_positions = 5;
    assert_int_equal(risk_engine_reconfigure(eng, &bad), -1);
    assert_int_equal(errno, EINVAL);
    bad = rc->engine;
    bad.limits.max_open_positions = 0; /* the limits refuse it */
    bad.sizing.risk_pct = 7;
    assert_int_equal(risk_engine_reconfigure(eng, &bad), -1);
    assert_true(risk_engine_cfg(eng)->sizing.risk_pct == 1000);
    assert_true(risk_engine_cfg(eng)->limits.max_open_positions == 2);
    /* asset and start equity need a restart: kept */
    risk_engine_cfg_t other = rc->engine;
    strcpy(other.asset, "USDC");
    other.limits.start_equity = 5 * E8;
    assert_int_equal(risk_engine_reconfigure(eng, &other), 0);
    assert_string_equal(risk_engine_cfg(eng)->asset, "USDT");
    assert_true(risk_engine_cfg(eng)->limits.start_equity == 10000 * E8);
    risk_engine_destroy(&eng);
    free(rc);
}

/* A daily loss limit made tighter than today's loss trips at once; loosened, the trip holds
 * (until the next UTC day). */
static void
test_limits_reconfigure(void **state)
{
    (void)state;
    risk_limits_cfg_t lc = { .max_open_positions = 1,
                             .daily_loss_limit_pct = 30000, /* 3 % of 10000 = 300 */
                             .start_equity = 10000 * E8 };
    risk_limits_t *lim = risk_limits_new(&lc);
    assert_non_null(lim);
    assert_int_equal(risk_limits_set_equity(lim, 10000 * E8), 0);
    (void)risk_limits_on_time(lim, T0);
    assert_int_equal(risk_limits_on_fill(lim, T0, -50 * E8, 0), 0); /* -50: under 300 */
    assert_int_equal(risk_limits_state(lim), RISK_RUNNING);
    risk_limits_cfg_t tight = lc;
    tight.daily_loss_limit_pct = 4000; /* 0.4 % = 40 <= 50 */
    assert_int_equal(risk_limits_reconfigure(lim, &tight), 0);
    assert_true(risk_limits_daily_limit(lim) == 40 * E8);
    assert_true(risk_limits_loss_tripped(lim));
    assert_int_equal(risk_limits_state(lim), RISK_HALTED);
    assert_int_equal(risk_limits_reconfigure(lim, &lc), 0); /* loosened: still tripped */
    assert_true(risk_limits_loss_tripped(lim));
    risk_limits_check(lim);
    risk_limits_cfg_t bad = lc;
    bad.daily_loss_limit_pct = 0;
    assert_int_equal(risk_limits_reconfigure(lim, &bad), -1);
    assert_true(risk_limits_daily_limit(lim) == 300 * E8);
    /* min balance is no latch: it follows the equity and the setting */
    risk_limits_cfg_t mb = lc;
    mb.min_balance = 20000 * E8;
    assert_int_equal(risk_limits_reconfigure(lim, &mb), 0);
    assert_true(risk_limits_min_balance_tripped(lim));
    assert_int_equal(risk_limits_reconfigure(lim, &lc), 0);
    assert_false(risk_limits_min_balance_tripped(lim));
    risk_limits_destroy(&lim);
}

/* The reload table names keys the reader knows, and none of the restart-only ones. */
static void
test_reload_keys(void **state)
{
    (void)state;
    size_t n;
    const stage_key_t *k = risk_config_keys(&n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        assert_true(strcmp(k[i].pattern, "risk.state_file") != 0);
        assert_true(strcmp(k[i].pattern, "risk.order_timeout_ms") != 0);
        assert_true(strcmp(k[i].pattern, "risk.order_retries") != 0);
        if (strncmp(k[i].pattern, "risk.", 5) == 0) {
            assert_true(k[i].reload);
            /* an unknown key would be refused: a reloadable one must be known */
            char line[160];
            snprintf(line, sizeof line, "\"%s\": ", k[i].pattern + 5);
            if (strstr(k_base, line)) {
                continue; /* set in the base, which the reader accepts */
            }
            snprintf(line, sizeof line, "\"%s\": null,\n    ", k[i].pattern + 5);
            s_write("RISK", line);
            cfg_t *c = ctu_load_file(s_path);
            (void)risk_config_check(c, "risk.0"); /* null is a bad value, not unknown */
            if (strstr(cfg_error(c), "unknown key")) {
                fail_msg("%s: %s", k[i].pattern, cfg_error(c));
            }
            cfg_destroy(&c);
        } else {
            assert_false(k[i].reload); /* other sections: restart */
        }
    }
}

/* The keys of issue 17 are read (values at their scales) and default to off. */
static void
test_issue17_keys(void **state)
{
    (void)state;
    s_write(NULL, NULL);
    cfg_t *c = ctu_load_file(s_path);
    risk_config_t *rc = malloc(sizeof *rc);
    assert_non_null(rc);
    assert_int_equal(risk_config_read(c, "risk.0", rc), 0);
    assert_true(rc->engine.limits.max_rejects == 0);
    assert_true(rc->engine.limits.reject_window_ns == INT64_C(300000000000));
    assert_true(rc->engine.sizing.reserve_pct == 0 && rc->engine.warn_pct == 0);
    assert_true(rc->engine.winrate_n == 0 && rc->engine.winrate_min_pct == 400000);
    assert_false(rc->engine.exits.tp_of_target);
    cfg_destroy(&c);
    s_write("RISK", "\"max_rejects\": 5, \"reject_window_s\": 60, \"reserve_pct\": \"20\",\n"
                    "    \"warn_pct\": \"80\", \"winrate_window\": 10, \"winrate_min_pct\": "
                    "\"45.5\",\n    ");
    c = ctu_load_file(s_path);
    assert_int_equal(risk_config_read(c, "risk.0", rc), 0);
    assert_true(rc->engine.limits.max_rejects == 5);
    assert_true(rc->engine.limits.reject_window_ns == INT64_C(60000000000));
    assert_true(rc->engine.sizing.reserve_pct == 200000);
    assert_true(rc->engine.warn_pct == 800000);
    assert_true(rc->engine.winrate_n == 10 && rc->engine.winrate_min_pct == 455000);
    cfg_destroy(&c);
    s_write("EXITS", "\"tp_ladder_basis\": \"target_pct\", \"tp_ladder_pct\": [\"100\", "
                     "\"200\"],\n      \"tp_ladder_close_pct\": [\"50\", \"30\"],\n      ");
    c = ctu_load_file(s_path);
    assert_int_equal(risk_config_read(c, "risk.0", rc), 0);
    assert_true(rc->engine.exits.tp_of_target && rc->engine.exits.n_tp == 2);
    assert_true(rc->engine.exits.tp_close_pct[1] == 300000);
    free(rc);
    cfg_destroy(&c);
    s_write("RISK", "\"warn_pct\": \"101\",\n    ");
    s_refused("warn_pct", "risk.warn_pct", "expected");
    s_write("RISK", "\"winrate_window\": 1001,\n    ");
    s_refused("winrate_window", "risk.winrate_window", "expected an integer in [0, 1000]");
    s_write("RISK", "\"reserve_pct\": \"-1\",\n    ");
    s_refused("reserve_pct", "risk.reserve_pct", "expected");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_values),
        cmocka_unit_test(test_issue17_keys),
        cmocka_unit_test(test_unknown_keys_every_level),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_reconfigure_changes_next_order_size),
        cmocka_unit_test(test_reconfigure_refuses_bad),
        cmocka_unit_test(test_limits_reconfigure),
        cmocka_unit_test(test_reload_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
