/*  test_tap.c - tools/tap: STAGE argument resolution and the printed line.
 *  The config is a real file under /tmp; messages are real codec-encoded bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/codec.h"
#include "tools/tap/tap.h"

static char s_cfg_path[256];

static cfg_t *
s_cfg(void)
{
    (void)snprintf(s_cfg_path, sizeof s_cfg_path, "/tmp/tp_test_tap_%d.json", (int)getpid());
    FILE *f = fopen(s_cfg_path, "w");
    assert_non_null(f);
    fputs("{\"run_dir\":\"/tmp\",\"endpoints\":{"
          "\"feed.0\":{\"pub\":\"ipc://{run}/f0.pub\",\"ctl\":\"ipc://{run}/f0.ctl\"},"
          "\"signal.0\":{\"pub\":\"ipc://{run}/s0.pub\",\"ctl\":\"ipc://{run}/s0.ctl\"},"
          "\"feed.1\":{\"pub\":\"ipc://{run}/f1.pub\",\"ctl\":\"ipc://{run}/f1.ctl\"}}}\n",
          f);
    assert_int_equal(fclose(f), 0);
    char err[256];
    cfg_t *cfg = cfg_load(s_cfg_path, err, sizeof err);
    assert_non_null(cfg);
    return cfg;
}

static void
test_targets(void **state)
{
    (void)state;
    cfg_t *cfg = s_cfg();
    char names[8][TAP_NAME_MAX];
    assert_int_equal(tap_targets(cfg, "feed.1", names, 8), 1); /* an instance */
    assert_string_equal(names[0], "feed.1");
    assert_int_equal(tap_targets(cfg, "feed", names, 8), 2); /* a role: file order */
    assert_string_equal(names[0], "feed.0");
    assert_string_equal(names[1], "feed.1");
    errno = 0;
    assert_int_equal(tap_targets(cfg, "risk", names, 8), -1);
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_int_equal(tap_targets(cfg, "feed.7", names, 8), -1);
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_int_equal(tap_targets(cfg, "", names, 8), -1);
    assert_int_equal(errno, ENOENT);
    cfg_destroy(&cfg);
    (void)unlink(s_cfg_path);
}

static void
test_format(void **state)
{
    (void)state;
    static uint8_t buf[CODEC_MSG_MAX];
    static char out[4 * CODEC_MSG_MAX];
    codec_md_trade_t t = { .venue = "bybit-linear",
                           .symbol = "BTCUSDT",
                           .px_scale = 2,
                           .qty_scale = 3,
                           .px = 6511420,
                           .qty = 5,
                           .side = 1,
                           .trade_id = "t1" };
    /* evt 1700000000 s = 2023-11-14T22:13:20Z (date -u -d @1700000000) */
    codec_env_t env = { .src = "feed.0", .epoch = 1, .seq = 7, .evt = 1700000000000000000 };
    bus_msg_t m;
    memset(&m, 0, sizeof m);
    assert_int_equal(codec_encode(&env, CODEC_MD_TRADE, &t, buf, sizeof buf, &m.len), 0);
    m.data = buf;
    m.env = env;
    m.type = CODEC_MD_TRADE;
    (void)snprintf(m.topic, sizeof m.topic, "md.trade.bybit-linear.BTCUSDT");

    int n = tap_format(&m, false, out, sizeof out);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(out));
    static const char head[] =
        "md.trade.bybit-linear.BTCUSDT feed.0#7 evt=2023-11-14T22:13:20.000Z {";
    assert_memory_equal(out, head, sizeof head - 1);
    /* decimals at the body's scales: 6511420 at px_scale 2, 5 at qty_scale 3 */
    assert_non_null(strstr(out, "\"px\":65114.20,"));
    assert_non_null(strstr(out, "\"qty\":0.005,"));
    assert_null(strstr(out, "6511420"));
    assert_non_null(strstr(out, "\"trade_id\":\"t1\""));
    assert_null(strstr(out, "\"seq\"")); /* text mode prints only the body as JSON */

    n = tap_format(&m, true, out, sizeof out);
    assert_true(n > 0);
    assert_int_equal(out[0], '{');
    assert_non_null(strstr(out, "\"src\":\"feed.0\""));
    assert_non_null(strstr(out, "\"px\":6511420"));

    errno = 0;
    assert_int_equal(tap_format(&m, false, out, 20), -1); /* the head alone does not fit */
    assert_int_equal(errno, ENOBUFS);

    static const uint8_t junk[] = { 0xc1 };
    m.data = junk;
    m.len = sizeof junk;
    errno = 0;
    assert_int_equal(tap_format(&m, false, out, sizeof out), -1);
    assert_int_equal(errno, EPROTO);
}

/* A book: levels and times readable; a heartbeat (evt 0) says "-", not 1970. */
static void
test_format_book_and_heartbeat(void **state)
{
    (void)state;
    static uint8_t buf[CODEC_MSG_MAX];
    static char out[4 * CODEC_MSG_MAX];
    codec_md_book_t b = { .venue = "bybit-linear",
                          .symbol = "BTCUSDT",
                          .px_scale = 1,
                          .qty_scale = 3,
                          .ts_event = 1700000000123000000,
                          .n_bids = 1,
                          .n_asks = 2,
                          .bids = { { 651142, 1500 } },
                          .asks = { { 651143, 20 }, { 651150, 0 } } };
    codec_env_t env = { .src = "feed.0", .seq = 1, .evt = b.ts_event };
    bus_msg_t m;
    memset(&m, 0, sizeof m);
    assert_int_equal(codec_encode(&env, CODEC_MD_BOOK, &b, buf, sizeof buf, &m.len), 0);
    m.data = buf;
    m.env = env;
    (void)snprintf(m.topic, sizeof m.topic, "md.book.bybit-linear.BTCUSDT");
    assert_true(tap_format(&m, false, out, sizeof out) > 0);
    assert_non_null(strstr(out, "\"bids\":[[65114.2,1.500]]"));
    assert_non_null(strstr(out, "\"asks\":[[65114.3,0.020],[65115.0,0]]"));
    assert_non_null(strstr(out, "\"ts_event\":\"2023-11-14T22:13:20.123Z\""));
    assert_non_null(strstr(out, "\"px_scale\":1,"));

    codec_sys_hb_t hb = { .stage = "feed.0",
                          .state = "running",
                          .uptime_ms = 5,
                          .n = 1,
                          .names = { "frames" },
                          .values = { 42 } };
    codec_env_t henv = { .src = "feed.0", .seq = 2, .evt = 0 };
    assert_int_equal(codec_encode(&henv, CODEC_SYS_HB, &hb, buf, sizeof buf, &m.len), 0);
    m.env = henv;
    (void)snprintf(m.topic, sizeof m.topic, "sys.hb.feed.0");
    assert_true(tap_format(&m, false, out, sizeof out) > 0);
    assert_non_null(strstr(out, "sys.hb.feed.0 feed.0#2 evt=- {"));
    assert_null(strstr(out, "1970"));
    assert_non_null(strstr(out, "\"values\":[42]"));
}

static bus_msg_t
s_stat_msg(const char *topic, uint64_t gap, int64_t origin)
{
    bus_msg_t m;
    memset(&m, 0, sizeof m);
    (void)snprintf(m.topic, sizeof m.topic, "%s", topic);
    m.gap = gap;
    m.env.origin = origin;
    return m;
}

static void
test_stats(void **state)
{
    (void)state;
    tap_stats_t *ts = tap_stats_new();
    assert_non_null(ts);
    /* topic A: 100 messages with latencies 1..100 us (origin = now - k us); nearest rank:
     * p50 = the 50th smallest = 50 us, p99 = the 99th = 99 us, max 100 us. One gap of 3. */
    const int64_t now = 1000000000000LL;
    for (int k = 1; k <= 100; k++) {
        bus_msg_t m = s_stat_msg("md.book.x.A", k == 10 ? 3 : 0, now - k * 1000LL);
        tap_stats_add(ts, &m, now);
    }
    /* topic B: 2 messages without origin (heartbeats): no latency */
    for (int k = 0; k < 2; k++) {
        bus_msg_t m = s_stat_msg("sys.hb.feed.0", 0, 0);
        tap_stats_add(ts, &m, now);
    }
    tap_stats_row_t rows[4];
    assert_int_equal(tap_stats_rows(ts, rows, 4), 2);
    assert_string_equal(rows[0].topic, "md.book.x.A"); /* sorted by topic */
    assert_int_equal(rows[0].msgs, 100);
    assert_int_equal(rows[0].gaps, 3);
    assert_int_equal(rows[0].lat_p50, 50000);
    assert_int_equal(rows[0].lat_p99, 99000);
    assert_int_equal(rows[0].lat_max, 100000);
    assert_string_equal(rows[1].topic, "sys.hb.feed.0");
    assert_int_equal(rows[1].msgs, 2);
    assert_int_equal(rows[1].lat_p50, -1);
    /* flush as JSON over an interval of 2 s: per_s = 100 / 2 = 50.0; then a fresh interval */
    char buf[2048] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    assert_non_null(f);
    assert_int_equal(tap_stats_flush(ts, f, 2000000000LL, true), 0);
    fclose(f);
    assert_non_null(strstr(buf, "\"topic\":\"md.book.x.A\",\"msgs\":100,\"per_s\":50.0,"
                                "\"gaps\":3,\"lat_us\":{\"p50\":50.0,\"p99\":99.0,"
                                "\"max\":100.0}"));
    assert_non_null(strstr(buf, "\"topic\":\"sys.hb.feed.0\",\"msgs\":2,\"per_s\":1.0,"
                                "\"gaps\":0,\"lat_us\":null"));
    assert_int_equal(tap_stats_rows(ts, rows, 4), 0);
    /* more topics than TAP_STATS_TOPICS: the rest share one "(other)" row */
    for (int k = 0; k < TAP_STATS_TOPICS + 5; k++) {
        char t[32];
        (void)snprintf(t, sizeof t, "t.%04d", k);
        bus_msg_t m = s_stat_msg(t, 0, 0);
        tap_stats_add(ts, &m, now);
    }
    static tap_stats_row_t many[TAP_STATS_TOPICS + 1];
    assert_int_equal(tap_stats_rows(ts, many, TAP_STATS_TOPICS + 1), TAP_STATS_TOPICS + 1);
    assert_string_equal(many[0].topic, "(other)"); /* '(' sorts before 't' */
    assert_int_equal(many[0].msgs, 5);
    tap_stats_destroy(&ts);
    assert_null(ts);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_book_and_heartbeat),
        cmocka_unit_test(test_stats),
    };
    return cmocka_run_group_tests_name("tap", tests, NULL, NULL);
}
