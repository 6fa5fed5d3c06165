/*  test_config.c - gateway/config (the reader the stage, `ctl reload` and check-config share):
 *  defaults, a non-loopback bind refused without TLS unless insecure, the tokens file's mode,
 *  unknown keys. Errors are compared with "<file>:<line>: <key>: ..." where the line is found
 *  in the text this test wrote.
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
#include <jansson.h>

#include "common/cfg.h"
#include "gateway/config.h"
#include "tests/unit/cfg_test_util.h"

/* "@GW@": lines inside "gateway" */
static const char k_base[] = "{\n"
                             "  \"run_dir\": \"/tmp/tp-gw-cfg\",\n"
                             "  \"endpoints\": {\n"
                             "    \"recorder.0\": {\"pub\": \"ipc://{run}/r.pub\", \"ctl\": "
                             "\"ipc://{run}/r.ctl\", \"history\": \"ipc://{run}/r.h\"},\n"
                             "    \"gateway.0\": {\"pub\": \"ipc://{run}/g.pub\", \"ctl\": "
                             "\"ipc://{run}/g.ctl\"}\n"
                             "  },\n"
                             "  \"gateway\": {\n"
                             "    @GW@\"port\": 0\n"
                             "  }\n"
                             "}\n";

static char s_path[96], s_tokens[96];
static char s_text[4096];

static void
s_write(const char *val)
{
    ctu_fill(s_text, sizeof s_text, k_base, "GW", val);
    ctu_write_file(s_path, s_text);
}

static void
s_refused(const char *needle, const char *key, const char *why)
{
    gateway_config_t gc;
    cfg_t *c = ctu_load_file(s_path);
    ctu_refused(gateway_config_read(c, "gateway.0", &gc), c, s_path, s_text, needle, key, why);
    cfg_destroy(&c);
    c = ctu_load_file(s_path);
    ctu_refused(gateway_config_check(c, "gateway.0"), c, s_path, s_text, needle, key, why);
    cfg_destroy(&c);
}

static int
setup(void **state)
{
    (void)state;
    snprintf(s_path, sizeof s_path, "/tmp/tp-test-gw-config-%d.json", (int)getpid());
    snprintf(s_tokens, sizeof s_tokens, "/tmp/tp-test-gw-tokens-%d.json", (int)getpid());
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    unlink(s_path);
    unlink(s_tokens);
    return 0;
}

static void
test_defaults(void **state)
{
    (void)state;
    gateway_config_t gc;
    s_write("");
    cfg_t *c = ctu_load_file(s_path);
    assert_int_equal(gateway_config_read(c, "gateway.0", &gc), 0);
    assert_string_equal(gc.bind, "127.0.0.1");
    assert_true(gc.loopback);
    assert_int_equal(gc.port, 0);
    assert_false(gc.insecure);
    assert_int_equal(gc.max_body, 4096);
    assert_int_equal(gc.ctl_timeout_ms, 2000);
    assert_int_equal(gc.ready_hb_max_ms, 3000);
    assert_int_equal(gc.sse_ring, 1024);
    assert_int_equal(gc.sse_heartbeat_s, 15);
    assert_int_equal(gc.control_per_min, 30);
    assert_string_equal(gc.history_inst, "recorder.0");
    assert_string_equal(gc.tokens_file, "");
    cfg_destroy(&c);
}

static void
test_loopback(void **state)
{
    (void)state;
    assert_true(gateway_addr_loopback("127.0.0.1"));
    assert_true(gateway_addr_loopback("127.1.2.3"));
    assert_true(gateway_addr_loopback("::1"));
    assert_false(gateway_addr_loopback("0.0.0.0"));
    assert_false(gateway_addr_loopback("10.0.0.1"));
    assert_false(gateway_addr_loopback("::"));
    assert_false(gateway_addr_loopback("localhost"));
    assert_false(gateway_addr_loopback(NULL));
}

static void
test_non_loopback(void **state)
{
    (void)state;
    gateway_config_t gc;
    s_write("\"bind\": \"0.0.0.0\",\n    ");
    s_refused("\"bind\"", "gateway.bind", "0.0.0.0 is not a loopback address");
    s_write("\"bind\": \"0.0.0.0\", \"insecure\": true,\n    ");
    cfg_t *c = ctu_load_file(s_path);
    assert_int_equal(gateway_config_read(c, "gateway.0", &gc), 0);
    assert_false(gc.loopback);
    cfg_destroy(&c);
    s_write("\"bind\": \"localhost\",\n    ");
    s_refused("\"bind\"", "gateway.bind", "expected a numeric IPv4 or IPv6 address");
    s_write("\"tls_cert\": \"/tmp/c.pem\",\n    ");
    s_refused("tls_cert", "gateway.tls_cert", "tls_cert and tls_key go together");
}

static void
test_tokens_file_mode(void **state)
{
    (void)state;
    gateway_config_t gc;
    ctu_write_file(s_tokens, "{\"read\":\"0123456789abcdef0\"}");
    char line[256];
    snprintf(line, sizeof line, "\"tokens_file\": \"%s\",\n    ", s_tokens);
    assert_int_equal(chmod(s_tokens, 0644), 0);
    s_write(line);
    char why[160];
    snprintf(why, sizeof why, "%s must be mode 0600 (it is 0644)", s_tokens);
    s_refused("tokens_file", "gateway.tokens_file", why);
    assert_int_equal(chmod(s_tokens, 0600), 0);
    cfg_t *c = ctu_load_file(s_path);
    assert_int_equal(gateway_config_read(c, "gateway.0", &gc), 0);
    assert_string_equal(gc.tokens_file, s_tokens);
    cfg_destroy(&c);
}

static void
test_unknown_and_bad(void **state)
{
    (void)state;
    s_write("\"prot\": 80,\n    ");
    s_refused("prot", "gateway.prot", "unknown key");
    s_write("\"max_body\": 10,\n    ");
    s_refused("max_body", "gateway.max_body", "expected an integer in [64, 1048576], got 10");
    s_write("\"history\": \"recorder.9\",\n    ");
    s_refused("recorder.9", "gateway.history", "no instance recorder.9 under endpoints");
}

static void
test_webhooks(void **state)
{
    (void)state;
    gateway_config_t gc;
    s_write(
        "\"webhooks\": [{\"url\": \"http://127.0.0.1:9/h\", \"events\": [\"kill\", "
        "\"trade:closed\"]},\n      {\"url\": \"https://chat.example/x\", \"events\": [\"alert\"], "
        "\"min_level\": \"error\", \"format\": \"text\"}],\n    ");
    cfg_t *c = ctu_load_file(s_path);
    assert_int_equal(gateway_config_read(c, "gateway.0", &gc), 0);
    assert_int_equal(gc.n_webhooks, 2);
    assert_int_equal(gc.webhooks[0].kinds, WEBHOOK_KILL | WEBHOOK_TRADE_CLOSED);
    assert_false(gc.webhooks[0].text);
    assert_int_equal(gc.webhooks[0].min_level, 1);
    assert_int_equal(gc.webhooks[1].kinds, WEBHOOK_ALERT);
    assert_int_equal(gc.webhooks[1].min_level, 2);
    assert_true(gc.webhooks[1].text);
    assert_int_equal(gc.webhook_queue, 256);
    assert_int_equal(gc.webhook_retries, 10);
    cfg_destroy(&c);
    s_write("\"webhooks\": [{\"url\": \"ftp://x/y\", \"events\": [\"kill\"]}],\n    ");
    s_refused("ftp://", "gateway.webhooks[0].url", "expected an http:// or https:// URL");
    s_write("\"webhooks\": [{\"url\": \"http://x/y\", \"events\": []}],\n    ");
    s_refused("events", "gateway.webhooks[0].events", "expected a non-empty array");
    s_write("\"webhooks\": [{\"url\": \"http://x/y\", \"events\": [\"boom\"]}],\n    ");
    s_refused("boom", "gateway.webhooks[0].events[0]", "expected trade:opened, trade:closed");
    s_write("\"webhooks\": [{\"url\": \"http://x/y\", \"events\": [\"kill\"], \"fmt\": 1}],\n    ");
    s_refused("fmt", "gateway.webhooks[0].fmt", "unknown key");
}

static void
test_webhook_text(void **state)
{
    (void)state;
    char out[256];
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s}", "venue", "paper", "symbol", "BTCUSDT",
                          "side", "long", "qty", "0.005", "realized_pnl", "-1.23000000");
    webhook_text("trade:closed", d, "gateway.0", out, sizeof out);
    assert_string_equal(out, "tradepipe gateway.0: trade closed paper BTCUSDT long 0.005, PnL "
                             "-1.23000000");
    json_decref(d);
    d = json_pack("{s:s, s:s, s:s}", "level", "error", "code", "kill_switch", "text", "closing");
    webhook_text("kill", d, "gateway.0", out, sizeof out);
    assert_string_equal(out, "tradepipe gateway.0: kill error kill_switch: closing");
    json_decref(d);
    assert_int_equal(webhook_kind("trade:opened"), WEBHOOK_TRADE_OPENED);
    assert_int_equal(webhook_kind("breaker"), WEBHOOK_BREAKER);
    assert_int_equal(webhook_kind("nope"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_non_loopback),    cmocka_unit_test(test_tokens_file_mode),
        cmocka_unit_test(test_unknown_and_bad), cmocka_unit_test(test_webhooks),
        cmocka_unit_test(test_webhook_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
