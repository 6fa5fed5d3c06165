/*  test_config.c - tools/venue-sim/config: venue-sim's settings as it reads them at start.
 *  An unknown key at every level of venue_sim (the section, private, an api_keys entry) is
 *  refused naming file, the exact line (counted from the text written) and key; so are a
 *  data file that cannot be opened and a lockstep wait_for without endpoints.
 *  config/default.json passes and reads back what it says.
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
#include "tests/unit/cfg_test_util.h"
#include "tools/venue-sim/config.h"

static void
s_text(char *out, size_t cap, const char *vs)
{
    snprintf(
        out, cap,
        "{\n"
        "  \"mode\": \"replay\",\n"
        "  \"run_dir\": \"/tmp/tp-never-created\",\n"
        "  \"endpoints\": {\n"
        "    \"venue-sim.0\": {\"pub\": \"ipc://{run}/v.pub\", \"ctl\": \"ipc://{run}/v.ctl\"},\n"
        "    \"recorder.0\": {\"pub\": \"ipc://{run}/r.pub\", \"ctl\": \"ipc://{run}/r.ctl\"}\n"
        "  },\n"
        "  \"venue_sim\": {\n"
        "%s\n"
        "  }\n"
        "}\n",
        vs);
}

typedef struct {
    const char *vs, *marker, *key, *why;
} s_case_t;

static const s_case_t k_cases[] = {
    { "    \"step_ms\": 100,\n    \"sped\": \"max\"", "\"sped\"", "venue_sim.sped", "unknown key" },
    { "    \"private\": {\"leverage\": 5,\n      \"levrage\": 5}", "\"levrage\"",
      "venue_sim.private.levrage", "unknown key" },
    { "    \"api_keys\": [{\"key\": \"k\", \"secret\": \"s\"},\n"
      "      {\"key\": \"k2\",\n       \"secert\": \"s2\"}]",
      "\"secert\"", "venue_sim.api_keys[1].secert", "unknown key" },
    { "    \"api_keys\": [\"k:s\"]", "\"api_keys\"", "venue_sim.api_keys[0]",
      "expected an object" },
    { "    \"bybit_linear_frames\": \"/nonexistent/frames.jsonl\"", "\"bybit_linear_frames\"",
      "venue_sim.bybit_linear_frames", "cannot open /nonexistent/frames.jsonl" },
    { "    \"binance_kline_csv\": [\"data/candles/binance_spot_btcusdt_1m/"
      "BTCUSDT-1m-2025-11-01.csv\",\n      \"/nonexistent/k.csv\"]",
      "\"/nonexistent/k.csv\"", "venue_sim.binance_kline_csv[1]", "cannot open" },
    { "    \"lockstep\": true,\n    \"wait_for\": \"recorder.9\"", "\"wait_for\"",
      "venue_sim.wait_for", "lockstep waits for the barriers of \"recorder.9\"" },
    { "    \"speed\": \"fast\"", "\"speed\"", "venue_sim.speed",
      "expected \"max\" or an integer in [1, 1000000], got fast" },
};

static void
test_refusals_name_line_and_key(void **state)
{
    (void)state;
    char text[4096], path[128];
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        s_text(text, sizeof text, k_cases[i].vs);
        cfg_t *c = ctu_load("vscfg", text, path);
        cfg_assume_venue_port(c, 18765); /* port 0 and no run: as check-config does */
        assert_int_equal(venuesim_config_check(c, "venue-sim.0"), -1);
        assert_int_equal(errno, EINVAL);
        ctu_expect(c, path, text, k_cases[i].marker, k_cases[i].key, k_cases[i].why);
        cfg_destroy(&c);
        unlink(path);
    }
}

/* venue_sim.port 0 (the default) and no run directory with a port file: the reader cannot
 * know the port (venue-sim's main.c chooses one first; check-config assumes one) */
static void
test_port_of_no_run(void **state)
{
    (void)state;
    char text[4096], path[128];
    s_text(text, sizeof text, "    \"step_ms\": 100");
    cfg_t *c = ctu_load("vscfg", text, path);
    venuesim_config_t vc;
    assert_int_equal(venuesim_config_read(c, true, NULL, -1, &vc), -1);
    assert_non_null(strstr(cfg_error(c), ": venue_sim.port: 0 (a free port chosen at start)"));
    assert_int_equal(venuesim_config_read(c, true, NULL, 4242, &vc), 0); /* --port */
    assert_int_equal(vc.port, 4242);
    cfg_destroy(&c);
    unlink(path);
}

static void
test_default_config(void **state)
{
    (void)state;
    char err[512];
    cfg_t *c = cfg_load("config/default.json", err, sizeof err);
    assert_non_null(c);
    cfg_assume_venue_port(c, 18765); /* its URLs say {venue_port}; no run has chosen one */
    if (venuesim_config_check(c, "venue-sim.0") != 0) {
        fail_msg("%s", cfg_error(c));
    }
    venuesim_config_t vc;
    assert_int_equal(venuesim_config_read(c, true, "7", 4242, &vc), 0);
    assert_int_equal(vc.port, 4242); /* --port wins */
    assert_int_equal(vc.speed, 7);   /* --speed wins */
    assert_true(vc.lockstep);        /* replay */
    assert_string_equal(vc.wait_for, "recorder.0");
    /* no expect_labels: the feed connections aimed at the port; 4242 is nobody's */
    assert_int_equal(vc.n_expect, 0);
    assert_int_equal(venuesim_config_read(c, true, NULL, -1, &vc), 0);
    assert_int_equal(vc.port, 18765);
    assert_string_equal(vc.speed_str, "max");
    assert_int_equal(vc.n_expect, (size_t)cfg_array_len(c, "feed.connections"));
    assert_string_equal(vc.expect[0], "bybit-linear");
    assert_int_equal(vc.priv.n_keys, 1); /* the built-in test key */
    cfg_destroy(&c);
}

int
main(void)
{
    log_init("test", LOG_LVL_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals_name_line_and_key),
        cmocka_unit_test(test_port_of_no_run),
        cmocka_unit_test(test_default_config),
    };
    return cmocka_run_group_tests_name("vs_config", tests, NULL, NULL);
}
