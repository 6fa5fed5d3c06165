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
    ctu_text(
        out, cap,
        "    \"venue-sim.0\": {\"pub\": \"ipc://{run}/v.pub\", \"ctl\": \"ipc://{run}/v.ctl\"},\n"
        "    \"recorder.0\": {\"pub\": \"ipc://{run}/r.pub\", \"ctl\": \"ipc://{run}/r.ctl\"}",
        "venue_sim", vs);
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
        ctu_refused(venuesim_config_check(c, "venue-sim.0"), c, path, text, k_cases[i].marker,
                    k_cases[i].key, k_cases[i].why);
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
    cfg_t *c = ctu_load_default(true);
    ctu_ok(venuesim_config_check(c, "venue-sim.0"), c);
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


/* venue_sim.from / .to (and backtest --from/--to): UTC dates and date-times */
static void
test_parse_time(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(venuesim_parse_time("2025-11-03", false, &ms), 0);
    assert_int_equal(ms, INT64_C(1762128000000));
    assert_int_equal(venuesim_parse_time("2025-11-03", true, &ms), 0); /* the day included */
    assert_int_equal(ms, INT64_C(1762128000000) + 86400000);
    assert_int_equal(venuesim_parse_time("2025-11-03T06:30", true, &ms), 0);
    assert_int_equal(ms, INT64_C(1762128000000) + 23400000);
    assert_int_equal(venuesim_parse_time("2025-11-03 06:30:15.25Z", false, &ms), 0);
    assert_int_equal(ms, INT64_C(1762128000000) + 23415250);
    assert_int_equal(venuesim_parse_time("2024-02-29T00:00:00+00:00", false, &ms), 0);
    assert_int_equal(ms, INT64_C(1709164800000));
    assert_int_equal(venuesim_parse_time("1970-01-01", false, &ms), 0);
    assert_int_equal(ms, 0);
    static const char *const k_bad[] = {
        "2025-13-01", "2025-02-29",    "2025-11-3", "2025-11-03T24:00", "2025-11-03T06:30+02:00",
        "yesterday",  "2025-11-03T06", ""
    };
    for (size_t i = 0; i < sizeof k_bad / sizeof k_bad[0]; i++) {
        errno = 0;
        assert_int_equal(venuesim_parse_time(k_bad[i], false, &ms), -1);
        assert_int_equal(errno, EINVAL);
    }
    char buf[40];
    assert_string_equal(venuesim_fmt_time(INT64_C(1762128000000), buf, sizeof buf),
                        "2025-11-03T00:00:00Z");
    assert_string_equal(venuesim_fmt_time(INT64_C(1762128000123), buf, sizeof buf),
                        "2025-11-03T00:00:00.123Z");
}

/* the window keys: a bad value, an empty window, a window without data */
static void
test_window_keys(void **state)
{
    (void)state;
    char text[4096], path[128];
    s_text(text, sizeof text, "    \"from\": \"2025-11-05\",\n    \"to\": \"2025-11-04\"");
    cfg_t *c = ctu_load("vscfg", text, path);
    cfg_assume_venue_port(c, 18765);
    assert_int_equal(venuesim_config_check(c, "venue-sim.0"), -1);
    assert_non_null(strstr(cfg_error(c), "venue_sim.to: is not after venue_sim.from"));
    cfg_destroy(&c);
    unlink(path);
    s_text(text, sizeof text, "    \"from\": \"3 Nov\"");
    c = ctu_load("vscfg", text, path);
    cfg_assume_venue_port(c, 18765);
    assert_int_equal(venuesim_config_check(c, "venue-sim.0"), -1);
    assert_non_null(strstr(cfg_error(c), "venue_sim.from: expected a UTC date"));
    cfg_destroy(&c);
    unlink(path);
    s_text(
        text, sizeof text,
        "    \"binance_kline_csv\": [\"data/candles/binance_spot_btcusdt_1m/"
        "BTCUSDT-1m-2025-11-01.csv\"],\n    \"from\": \"2025-12-01\",\n    \"to\": \"2025-12-02\"");
    c = ctu_load("vscfg", text, path);
    cfg_assume_venue_port(c, 18765);
    source_t *src = source_new();
    char *il = NULL, *is = NULL;
    assert_int_equal(venuesim_config_load(c, src, &il, &is), -1);
    assert_non_null(strstr(cfg_error(c), "venue_sim.from: no data in 2025-12-01..2025-12-02; "
                                         "the files span 2025-11-01T00:00:00Z.."
                                         "2025-11-02T00:00:00Z"));
    free(il);
    free(is);
    source_destroy(&src);
    cfg_destroy(&c);
    unlink(path);
}

int
main(void)
{
    log_init("test", LOG_LVL_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals_name_line_and_key),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_window_keys),
        cmocka_unit_test(test_port_of_no_run),
        cmocka_unit_test(test_default_config),
    };
    return cmocka_run_group_tests_name("vs_config", tests, NULL, NULL);
}
