/*  test_session_offline.c - a feed session used in-process (tools/backtest): built from
 *  config/default.json by the stage's own readers, never connected; session_subscriptions
 *  names what it would subscribe to (Binance: the streams of its URL), session_open_offline
 *  fetches instruments and depth snapshots through the env.rest_get hook and makes it ready,
 *  and what it publishes (announce, parsed frames) goes through the env.publish hook.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <czmq.h>

#include "common/cfg.h"
#include "common/instr.h"
#include "common/log.h"
#include "feed/config.h"
#include "feed/conn.h"
#include "feed/session.h"
#include "tests/unit/file_util.h"

typedef struct {
    char topics[64][BUS_TOPIC_MAX];
    size_t n_pub;
    char urls[8][256];
    size_t n_get;
    bool fail_rest;
} s_io_t;

static int
s_publish(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
          int64_t origin)
{
    (void)type;
    (void)body;
    (void)evt;
    (void)origin;
    s_io_t *io = arg;
    if (io->n_pub < 64) {
        snprintf(io->topics[io->n_pub], BUS_TOPIC_MAX, "%s", topic);
    }
    io->n_pub++;
    return 0;
}

static char *
s_rest_get(void *arg, const char *url, long timeout_ms, size_t *len)
{
    (void)timeout_ms;
    s_io_t *io = arg;
    if (io->n_get < 8) {
        snprintf(io->urls[io->n_get], sizeof io->urls[0], "%s", url);
    }
    io->n_get++;
    if (io->fail_rest) {
        errno = ECONNREFUSED;
        return NULL;
    }
    if (strstr(url, "/v5/market/instruments-info?category=linear")) {
        return fu_slurp("data/bybit_v5/instruments_info_linear.json", len);
    }
    if (strstr(url, "/fapi/v1/depth?symbol=BTCUSDT")) {
        const char *b = "{\"lastUpdateId\":100,\"E\":1,\"T\":1,"
                        "\"bids\":[[\"61800.0\",\"1.000\"]],\"asks\":[[\"61800.1\",\"2.000\"]]}";
        *len = strlen(b);
        return strdup(b);
    }
    errno = ENOENT;
    return NULL;
}

typedef struct {
    cfg_t *cfg;
    zloop_t *loop;
    conn_ctx_t *cctx;
    instr_table_t *instrs;
    md_stats_t stats;
    session_t *sess[CONN_MAX];
    size_t n;
    s_io_t io;
} s_fix_t;

static int
s_setup(void **state)
{
    s_fix_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char err[256];
    f->cfg = cfg_load("config/default.json", err, sizeof err);
    assert_non_null(f->cfg);
    cfg_assume_venue_port(f->cfg, 1); /* "{venue_port}" in the URLs: never connected */
    f->loop = zloop_new();
    f->cctx = conn_ctx_new(f->loop);
    f->instrs = instr_table_new();
    assert_non_null(f->cctx);
    feed_config_t fc;
    assert_int_equal(feed_config_read(f->cfg, "feed.0", true, f->instrs, &fc), 0);
    session_env_t env = { .instrs = f->instrs,
                          .stats = &f->stats,
                          .levels = (size_t)fc.book_levels,
                          .replay = true,
                          .rest_timeout_ms = 1000,
                          .refused_max_bp = 10000,
                          .publish = s_publish,
                          .rest_get = s_rest_get,
                          .io_arg = &f->io };
    assert_int_equal(feed_sessions_new(f->cfg, &fc, &env, f->cctx, f->sess, &f->n), 0);
    assert_int_equal(f->n, 3); /* bybit-linear, binance-usdm, binance-spot */
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    s_fix_t *f = *state;
    conn_ctx_destroy(&f->cctx);
    for (size_t i = f->n; i > 0; i--) {
        session_destroy(&f->sess[i - 1]);
    }
    instr_table_destroy(&f->instrs);
    zloop_destroy(&f->loop);
    cfg_destroy(&f->cfg);
    free(f);
    return 0;
}

static void
test_subscriptions(void **state)
{
    s_fix_t *f = *state;
    char names[32][64];
    /* bybit: every topic of feed.connections[0] for every symbol, as it subscribes */
    size_t n = session_subscriptions(f->sess[0], names, 32);
    assert_int_equal(n, 4 * 4);
    assert_string_equal(names[0], "orderbook.200.BTCUSDT");
    assert_string_equal(names[3], "orderbook.200.DOGEUSDT");
    assert_string_equal(names[4], "publicTrade.BTCUSDT");
    assert_string_equal(names[15], "kline.1.DOGEUSDT");
    /* binance: exactly the streams its URL asks for */
    n = session_subscriptions(f->sess[1], names, 32);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "btcusdt@depth@0ms");
    assert_string_equal(names[1], "btcusdt@trade");
    char want[160];
    snprintf(want, sizeof want, "streams=%s/%s&", names[0], names[1]);
    assert_non_null(strstr(session_url(f->sess[1]), want));
    n = session_subscriptions(f->sess[2], names, 32);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "btcusdt@kline_1m");
    /* a short array: the count is still the whole number */
    assert_int_equal(session_subscriptions(f->sess[0], names, 2), 16);
}

static void
test_open_offline_and_publish(void **state)
{
    s_fix_t *f = *state;
    for (size_t i = 0; i < f->n; i++) {
        assert_false(session_ready(f->sess[i]));
    }
    for (size_t i = 0; i < f->n; i++) {
        assert_int_equal(session_open_offline(f->sess[i]), 0);
        assert_true(session_ready(f->sess[i]));
    }
    /* REST went through the hook: instruments for bybit, a depth snapshot for usd-m */
    assert_int_equal(f->io.n_get, 2);
    assert_non_null(strstr(f->io.urls[0], "/v5/market/instruments-info?category=linear"));
    assert_non_null(strstr(f->io.urls[1], "/usdm/fapi/v1/depth?symbol=BTCUSDT"));
    assert_non_null(instr_table_get(f->instrs, "bybit-linear", "ETHUSDT"));
    /* announce: md.instrument per symbol, then md.status, through the publish hook */
    f->io.n_pub = 0;
    session_announce(f->sess[0], 1000);
    assert_int_equal(f->io.n_pub, 5);
    assert_string_equal(f->io.topics[0], "md.instrument.bybit-linear.BTCUSDT");
    assert_string_equal(f->io.topics[4], "md.status.bybit-linear");
    /* a recorded frame parsed and published through the hook */
    f->io.n_pub = 0;
    const char *frame = "{\"topic\":\"publicTrade.BTCUSDT\",\"type\":\"snapshot\","
                        "\"ts\":1786310818129,\"data\":[{\"T\":1786310818128,\"s\":\"BTCUSDT\","
                        "\"S\":\"Buy\",\"v\":\"0.010\",\"p\":\"65114.30\",\"L\":\"PlusTick\","
                        "\"i\":\"a1\",\"BT\":false}]}";
    session_frame(f->sess[0], frame, strlen(frame), 1);
    assert_int_equal(f->io.n_pub, 1);
    assert_string_equal(f->io.topics[0], "md.trade.bybit-linear.BTCUSDT");
}

static void
test_open_offline_rest_failure(void **state)
{
    s_fix_t *f = *state;
    f->io.fail_rest = true;
    assert_int_equal(session_open_offline(f->sess[0]), -1); /* bybit: no instruments */
    assert_false(session_ready(f->sess[0]));
    assert_int_equal(session_open_offline(f->sess[1]), -1); /* usd-m: no snapshot */
    assert_false(session_ready(f->sess[1]));
    assert_int_equal(session_open_offline(f->sess[2]), 0); /* klines only: nothing to fetch */
    assert_true(session_ready(f->sess[2]));
}

int
main(void)
{
    log_init("test", LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_subscriptions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_open_offline_and_publish, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_open_offline_rest_failure, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
