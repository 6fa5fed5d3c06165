/*  test_exec_config.c - executor/config (the reader the stage, `ctl reload` and check-config
 *  share) and exec_set_paper_rules (what `ctl reload` applies). Errors are compared with
 *  "<file>:<line>: <key>: ..." where the line is found in the text this test wrote.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cfg.h"
#include "executor/config.h"
#include "executor/exec.h"
#include "tests/unit/cfg_test_util.h"

static const char k_base[] = "{\n"
                             "  \"run_dir\": \"/tmp/tp-exec-cfg\",\n"
                             "  \"account\": {\n"
                             "    @ACCOUNT@\"asset\": \"USDT\",\n"
                             "    \"start_balance\": \"10000\"\n"
                             "  },\n"
                             "  \"endpoints\": {\n"
                             "    \"executor.0\": {\"pub\": \"ipc://{run}/executor.0.pub\",\n"
                             "                   \"ctl\": \"ipc://{run}/executor.0.ctl\",\n"
                             "                   \"orders\": \"ipc://{run}/executor.0.orders\"}\n"
                             "  },\n"
                             "  \"executor\": {\n"
                             "    @EXEC@\"taker_fee\": \"0.001\",\n"
                             "    \"maker_fee\": \"0.0002\"\n"
                             "  }\n"
                             "}\n";

static char s_path[96], s_keys[96];
static char s_text[4096];

/* Write k_base with @TAG@ replaced by `val` (tag NULL: none) and the other tags by nothing. */
static void
s_write(const char *tag, const char *val)
{
    ctu_fill(s_text, sizeof s_text, k_base, tag, val);
    ctu_write_file(s_path, s_text);
}

/* read and check both refuse with "<file>:<line of needle>: <key>: <why...>" */
static void
s_refused(const char *needle, const char *key, const char *why)
{
    static executor_config_t xc;
    cfg_t *c = ctu_load_file(s_path);
    ctu_refused(executor_config_read(c, "executor.0", NULL, NULL, &xc), c, s_path, s_text, needle,
                key, why);
    cfg_destroy(&c);
    c = ctu_load_file(s_path);
    ctu_refused(executor_config_check(c, "executor.0"), c, s_path, s_text, needle, key, why);
    cfg_destroy(&c);
}

static int
setup(void **state)
{
    (void)state;
    snprintf(s_path, sizeof s_path, "/tmp/tp-test-exec-config-%d.json", (int)getpid());
    snprintf(s_keys, sizeof s_keys, "/tmp/tp-test-exec-config-%d.keys", (int)getpid());
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    unlink(s_path);
    unlink(s_keys);
    return 0;
}

static void
test_read_values(void **state)
{
    (void)state;
    static executor_config_t xc;
    s_write(NULL, NULL);
    cfg_t *c = ctu_load_file(s_path);
    assert_int_equal(executor_config_read(c, "executor.0", NULL, NULL, &xc), 0);
    assert_string_equal(xc.exec.venue.name, "paper");
    assert_string_equal(xc.exec.venue.asset, "USDT");
    assert_true(xc.exec.venue.taker_fee == 100000); /* 0.001 at VENUE_RATE_SCALE 8 */
    assert_true(xc.exec.venue.maker_fee == 20000);
    assert_string_equal(xc.orders_ep, "ipc:///tmp/tp-exec-cfg/executor.0.orders");
    assert_true(xc.exec.paper.trigger_by == PAPER_TRIGGER_LAST && xc.exec.paper.latency_ns == 0);
    assert_true(xc.poll_ms == 0);
    assert_null(xc.exec.venue.journal_path); /* paper_state off by default */
    assert_int_equal(executor_config_check(c, "executor.0"), 0);
    cfg_destroy(&c);
}

static void
test_unknown_keys(void **state)
{
    (void)state;
    s_write("EXEC", "\"taker_fees\": \"0.001\",\n    ");
    s_refused("taker_fees", "executor.taker_fees", "unknown key");
    s_write("ACCOUNT", "\"currency\": \"USDT\",\n    ");
    s_refused("currency", "account.currency", "unknown key");
}

static void
test_bad_values(void **state)
{
    (void)state;
    s_write("EXEC", "\"slippage_cap_pct\": \"abc\",\n    ");
    s_refused("slippage_cap_pct", "executor.slippage_cap_pct", "expected a decimal");
    s_write("EXEC", "\"paper_trigger_by\": \"bid\",\n    ");
    s_refused("paper_trigger_by", "executor.paper_trigger_by", "expected \"last\" or \"mark\"");
    s_write("EXEC", "\"paper_latency_ms\": -1,\n    ");
    s_refused("paper_latency_ms", "executor.paper_latency_ms", "expected an integer");
    s_write("EXEC", "\"venue\": \"kraken\",\n    ");
    s_refused("\"venue\"", "executor.venue", "expected \"paper\" or \"bybit\"");
    s_write("EXEC", "\"leverage\": \"0.5\",\n    ");
    s_refused("leverage", "executor.leverage", "expected \"0\" (not managed) or 1 to 100");
    s_write("EXEC", "\"leverage\": \"101\",\n    ");
    s_refused("leverage", "executor.leverage", "");
}

/* executor.leverage: "1" by default (x at VENUE_LEV_SCALE 2), and the live venue's traded
 * symbols are those of feed.connections[] with its venue id */
static void
test_leverage(void **state)
{
    (void)state;
    static executor_config_t xc;
    s_write("EXEC", "\"venue\": \"bybit\",\n    \"leverage\": \"2.5\",\n    ");
    /* a feed with two connections: only bybit-linear's symbols are traded here */
    char *t = strdup(s_text);
    char *at = strstr(t, "  \"executor\"");
    assert_non_null(at);
    char *tail = strdup(at);
    *at = '\0';
    snprintf(s_text, sizeof s_text,
             "%s  \"feed\": {\"connections\": ["
             "{\"venue\": \"bybit-linear\", \"symbols\": [\"BTCUSDT\", \"ETHUSDT\"]},"
             "{\"venue\": \"binance-spot\", \"symbols\": [\"SOLUSDT\"]}]},\n%s",
             t, tail);
    free(t);
    free(tail);
    ctu_write_file(s_path, s_text);
    cfg_t *c = ctu_load_file(s_path);
    assert_int_equal(executor_config_read(c, "executor.0", "k1", "s1", &xc), 0);
    assert_true(xc.exec.venue.leverage == 250);
    assert_int_equal(xc.n_lev_symbols, 2);
    assert_string_equal(xc.lev_symbols[0], "BTCUSDT");
    assert_string_equal(xc.lev_symbols[1], "ETHUSDT");
    assert_true(xc.exec.venue.n_lev_symbols == 2);
    executor_config_wipe(&xc);
    cfg_destroy(&c);
    s_write(NULL, NULL);
    c = ctu_load_file(s_path);
    assert_int_equal(executor_config_read(c, "executor.0", NULL, NULL, &xc), 0);
    assert_true(xc.exec.venue.leverage == 100); /* default "1" */
    cfg_destroy(&c);
}

/* The live venue's credentials: env first, else a key file (owner only); check does not
 * demand them (they may come from the environment at start) but checks a key file. */
static void
test_live_credentials(void **state)
{
    (void)state;
    static executor_config_t xc;
    s_write("EXEC", "\"venue\": \"bybit\",\n    \"base_url\": \"http://127.0.0.1:1\",\n    ");
    cfg_t *c = ctu_load_file(s_path);
    assert_int_equal(executor_config_read(c, "executor.0", NULL, NULL, &xc), -1);
    assert_non_null(strstr(cfg_error(c), "executor.key_file: venue bybit needs"));
    assert_int_equal(executor_config_check(c, "executor.0"), 0);
    assert_int_equal(executor_config_read(c, "executor.0", "k1", "s1", &xc), 0);
    assert_string_equal(xc.exec.venue.api_key, "k1");
    assert_string_equal(xc.ws_url, "ws://127.0.0.1:1/v5/private");
    assert_true(xc.poll_ms == 1000);
    executor_config_wipe(&xc);
    assert_true(xc.key[0] == '\0' && xc.secret[0] == '\0');
    cfg_destroy(&c);

    ctu_write_file(s_keys, "KEYID\nSECRETVALUE\n");
    assert_int_equal(chmod(s_keys, 0644), 0);
    char exec[256];
    snprintf(exec, sizeof exec, "\"venue\": \"bybit\",\n    \"key_file\": \"%s\",\n    ", s_keys);
    s_write("EXEC", exec);
    s_refused("key_file", "executor.key_file", s_keys);
    c = ctu_load_file(s_path);
    (void)executor_config_check(c, "executor.0");
    assert_non_null(strstr(cfg_error(c), "mode 644"));
    assert_null(strstr(cfg_error(c), "SECRETVALUE"));
    cfg_destroy(&c);
    assert_int_equal(chmod(s_keys, 0600), 0);
    c = ctu_load_file(s_path);
    assert_int_equal(executor_config_read(c, "executor.0", NULL, NULL, &xc), 0);
    assert_string_equal(xc.key, "KEYID");
    assert_string_equal(xc.secret, "SECRETVALUE");
    executor_config_wipe(&xc);
    assert_int_equal(executor_config_check(c, "executor.0"), 0);
    cfg_destroy(&c);
}

static void
s_emit(const char *topic, codec_type_t type, const void *body, int64_t evt, int64_t origin,
       void *arg)
{
    (void)topic;
    (void)type;
    (void)body;
    (void)evt;
    (void)origin;
    (void)arg;
}

static json_t *
s_rules(exec_t *x)
{
    json_t *st = json_object();
    exec_status(x, st);
    json_t *r = json_incref(json_object_get(st, "paper_rules"));
    json_decref(st);
    return r;
}

/* What `ctl reload` applies on the paper venue: new rules, shown in status; bad ones change
 * nothing. */
static void
test_set_paper_rules(void **state)
{
    (void)state;
    static executor_config_t xc;
    s_write("EXEC", "\"paper_latency_ms\": 25,\n    ");
    cfg_t *c = ctu_load_file(s_path);
    assert_int_equal(executor_config_read(c, "executor.0", NULL, NULL, &xc), 0);
    cfg_destroy(&c);
    xc.exec.instance = "executor.0";
    exec_t *x = exec_new(&xc.exec, s_emit, NULL);
    assert_non_null(x);
    json_t *r = s_rules(x);
    assert_string_equal(json_string_value(json_object_get(r, "trigger_by")), "last");
    assert_int_equal(json_integer_value(json_object_get(r, "latency_ms")), 25);
    json_decref(r);
    paper_rules_t pr = { .trigger_by = PAPER_TRIGGER_MARK, .latency_ns = 250 * 1000000 };
    assert_int_equal(exec_set_paper_rules(x, &pr), 0);
    r = s_rules(x);
    assert_string_equal(json_string_value(json_object_get(r, "trigger_by")), "mark");
    assert_int_equal(json_integer_value(json_object_get(r, "latency_ms")), 250);
    json_decref(r);
    paper_rules_t bad = { .trigger_by = PAPER_TRIGGER_LAST, .latency_ns = -1 };
    assert_int_equal(exec_set_paper_rules(x, &bad), -1);
    assert_int_equal(errno, EINVAL);
    r = s_rules(x);
    assert_int_equal(json_integer_value(json_object_get(r, "latency_ms")), 250);
    json_decref(r);
    exec_destroy(&x);
}

static void
test_reload_keys(void **state)
{
    (void)state;
    size_t n;
    const stage_key_t *k = executor_config_keys(&n);
    int reload = 0;
    for (size_t i = 0; i < n; i++) {
        if (k[i].reload) {
            reload++;
            assert_true(strcmp(k[i].pattern, "executor.paper_trigger_by") == 0
                        || strcmp(k[i].pattern, "executor.paper_latency_ms") == 0);
        }
    }
    assert_int_equal(reload, 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_values),     cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_bad_values),      cmocka_unit_test(test_live_credentials),
        cmocka_unit_test(test_set_paper_rules), cmocka_unit_test(test_reload_keys),
        cmocka_unit_test(test_leverage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
