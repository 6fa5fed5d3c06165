/*  test_feed_config.c - feed/config and session_config_check: the feed stage's config as the
 *  stage reads it. An unknown key at every level of the feed section (the section, a
 *  connection, an instrument) is refused naming file, the exact line (counted from the text
 *  written) and key; so are a connection owned by no feed instance, a label used twice, and a
 *  Binance symbol without instrument rules. config/default.json passes and reads back what it
 *  says.
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

#include "common/log.h"
#include "feed/config.h"
#include "tests/unit/cfg_test_util.h"

#define BYBIT                                                                                      \
    "{\"label\": \"bl\", \"venue\": \"bybit-linear\", \"protocol\": \"bybit\",\n"                  \
    "       \"url\": \"ws://127.0.0.1:1/v5/public/linear\", \"rest\": \"http://127.0.0.1:1\",\n"   \
    "       \"symbols\": [\"BTCUSDT\"]"
#define BYBIT2                                                                                     \
    "{\"label\": \"bl2\", \"venue\": \"bybit-linear\", \"protocol\": \"bybit\",\n"                 \
    "       \"url\": \"ws://127.0.0.1:1/v5/public/linear\", \"rest\": \"http://127.0.0.1:1\",\n"   \
    "       \"symbols\": [\"ETHUSDT\"]"
#define BINANCE                                                                                    \
    "{\"label\": \"bs\", \"venue\": \"binance-spot\", \"protocol\": \"binance\",\n"                \
    "       \"url\": \"ws://127.0.0.1:1/spot/stream\", \"rest\": \"http://127.0.0.1:1/spot\",\n"   \
    "       \"symbols\": [\"BTCUSDT\"]"
#define INSTR                                                                                      \
    "{\"venue\": \"binance-spot\", \"category\": \"spot\", \"symbol\": \"BTCUSDT\",\n"             \
    "       \"tick\": \"0.01\", \"step\": \"0.00001\", \"min_qty\": \"0.00001\""

static void
s_text(char *out, size_t cap, const char *feed)
{
    snprintf(
        out, cap,
        "{\n"
        "  \"mode\": \"replay\",\n"
        "  \"run_dir\": \"/tmp/tp-never-created\",\n"
        "  \"endpoints\": {\n"
        "    \"venue-sim.0\": {\"pub\": \"ipc://{run}/v.pub\", \"ctl\": \"ipc://{run}/v.ctl\"},\n"
        "    \"feed.0\": {\"pub\": \"ipc://{run}/f0.pub\", \"ctl\": \"ipc://{run}/f0.ctl\"},\n"
        "    \"feed.1\": {\"pub\": \"ipc://{run}/f1.pub\", \"ctl\": \"ipc://{run}/f1.ctl\"}\n"
        "  },\n"
        "  \"feed\": {\n"
        "%s\n"
        "  }\n"
        "}\n",
        feed);
}

typedef struct {
    const char *feed, *marker, *key, *why;
} s_case_t;

static const s_case_t k_cases[] = {
    { "    \"book_levels\": 5,\n    \"bok_levels\": 5,\n    \"connections\": [" BYBIT "}]",
      "\"bok_levels\"", "feed.bok_levels", "unknown key" },
    { "    \"connections\": [" BYBIT "},\n"
      "      " BYBIT2 ",\n       \"dpeth\": 50}]",
      "\"dpeth\"", "feed.connections[1].dpeth", "unknown key" },
    { "    \"connections\": [" BINANCE "}],\n"
      "    \"instruments\": [" INSTR ",\n       \"tikc\": \"0.1\"}]",
      "\"tikc\"", "feed.instruments[0].tikc", "unknown key" },
    { "    \"connections\": [" BYBIT ",\n       \"instance\": \"feed.7\"}]", "\"instance\"",
      "feed.connections[0].instance", "\"feed.7\" is not a feed instance" },
    { "    \"connections\": [" BYBIT "},\n"
      "      {\"label\": \"bl\", \"venue\": \"bybit-spot\", \"protocol\": \"bybit\",\n"
      "       \"url\": \"ws://127.0.0.1:1/v5/public/spot\", \"rest\": \"http://127.0.0.1:1\",\n"
      "       \"symbols\": [\"BTCUSDT\"]}]",
      "\"bybit-spot\"", "feed.connections[1].label", "label \"bl\" used twice" },
    { "    \"connections\": [" BINANCE "}]", "\"symbols\"", "feed.connections[0].symbols",
      "no rules for binance-spot BTCUSDT in feed.instruments" },
    { "    \"connections\": [" BYBIT ", \"topics\": [\"orderbook\", 5]}]", "\"topics\"",
      "feed.connections[0].topics[1]", "expected a string" },
};

static void
test_refusals_name_line_and_key(void **state)
{
    (void)state;
    char text[4096], path[128];
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        s_text(text, sizeof text, k_cases[i].feed);
        cfg_t *c = ctu_load("feedcfg", text, path);
        assert_int_equal(feed_config_check(c, "feed.0", NULL, NULL, NULL), -1);
        assert_int_equal(errno, EINVAL);
        ctu_expect(c, path, text, k_cases[i].marker, k_cases[i].key, k_cases[i].why);
        cfg_destroy(&c);
        unlink(path);
    }
}

static void
test_instances_share_connections(void **state)
{
    (void)state;
    char text[4096], path[128];
    /* connection 0 served by feed.1 only, connection 1 by every instance */
    s_text(text, sizeof text,
           "    \"connections\": [" BYBIT ", \"instance\": \"feed.1\"},\n"
           "      " BINANCE "}],\n"
           "    \"instruments\": [" INSTR "}]");
    cfg_t *c = ctu_load("feedcfg", text, path);
    session_info_t info[CONN_MAX];
    size_t n = 0;
    if (feed_config_check(c, "feed.0", NULL, info, &n) != 0) {
        fail_msg("%s", cfg_error(c));
    }
    assert_int_equal(n, 1);
    assert_string_equal(info[0].label, "bs");
    assert_true(info[0].spot); /* default: the venue id says spot */
    assert_false(info[0].bybit);
    assert_int_equal(feed_config_check(c, "feed.1", NULL, info, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(info[0].label, "bl");
    assert_string_equal(info[0].category, "linear");
    assert_true(info[0].bybit);
    assert_false(info[0].spot);
    /* no endpoints for it: refused like stage_boot refuses it */
    assert_int_equal(feed_config_check(c, "feed.2", NULL, NULL, NULL), -1);
    ctu_expect(c, path, text, "\"endpoints\"", "endpoints", "no endpoints for instance \"feed.2\"");
    cfg_destroy(&c);
    unlink(path);
}

static void
test_default_config_passes(void **state)
{
    (void)state;
    char err[512];
    cfg_t *c = cfg_load("config/default.json", err, sizeof err);
    assert_non_null(c);
    cfg_assume_venue_port(c, 18765); /* its URLs say {venue_port}; no run has chosen one */
    session_info_t info[CONN_MAX];
    size_t n = 0;
    if (feed_config_check(c, "feed.0", NULL, info, &n) != 0) {
        fail_msg("%s", cfg_error(c));
    }
    assert_int_equal(n, (size_t)cfg_array_len(c, "feed.connections"));
    assert_string_equal(info[0].venue, "bybit-linear");
    assert_int_equal(info[0].n_symbols, 4);
    cfg_destroy(&c);
}

int
main(void)
{
    log_init("test", LOG_LVL_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals_name_line_and_key),
        cmocka_unit_test(test_instances_share_connections),
        cmocka_unit_test(test_default_config_passes),
    };
    return cmocka_run_group_tests_name("feed_config", tests, NULL, NULL);
}
