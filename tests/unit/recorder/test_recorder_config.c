/*  test_recorder_config.c - recorder/config (the reader the stage, `ctl reload` and
 *  check-config share). Errors are compared with "<file>:<line>: <key>: ..." where the line is
 *  found in the text this test wrote.
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
#include "recorder/config.h"
#include "tests/unit/cfg_test_util.h"

/* "@HIST@": the history endpoint line or nothing; "@REC@": lines inside "recorder". */
static const char k_base[] = "{\n"
                             "  \"run_dir\": \"/tmp/tp-rec-cfg\",\n"
                             "  \"endpoints\": {\n"
                             "    \"recorder.0\": {\"pub\": \"ipc://{run}/recorder.0.pub\",\n"
                             "                   @HIST@\"ctl\": \"ipc://{run}/recorder.0.ctl\"}\n"
                             "  },\n"
                             "  \"recorder\": {\n"
                             "    @REC@\"db\": \"{run}/x.db\"\n"
                             "  }\n"
                             "}\n";

static char s_path[96];
static char s_text[2048];

/* Write k_base with @TAG@ replaced by `val` and the other tags by nothing. */
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
    recorder_config_t rc;
    cfg_t *c = ctu_load_file(s_path);
    ctu_refused(recorder_config_read(c, "recorder.0", &rc), c, s_path, s_text, needle, key, why);
    cfg_destroy(&c);
    c = ctu_load_file(s_path);
    ctu_refused(recorder_config_check(c, "recorder.0"), c, s_path, s_text, needle, key, why);
    cfg_destroy(&c);
}

static int
setup(void **state)
{
    (void)state;
    snprintf(s_path, sizeof s_path, "/tmp/tp-test-rec-config-%d.json", (int)getpid());
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
    recorder_config_t rc;
    s_write("REC", "\"batch_ms\": 50,\n    ");
    cfg_t *c = ctu_load_file(s_path);
    assert_int_equal(recorder_config_read(c, "recorder.0", &rc), 0);
    assert_string_equal(rc.db, "/tmp/tp-rec-cfg/x.db");
    assert_true(rc.batch_max == 5000 && rc.batch_ms == 50 && rc.rcvhwm == 1000000);
    assert_false(rc.history);
    assert_int_equal(recorder_config_check(c, "recorder.0"), 0);
    cfg_destroy(&c);
    s_write("HIST", "\"history\": \"ipc://{run}/h\",\n                   ");
    c = ctu_load_file(s_path);
    assert_int_equal(recorder_config_read(c, "recorder.0", &rc), 0);
    assert_true(rc.history);
    assert_string_equal(rc.history_ep, "ipc:///tmp/tp-rec-cfg/h");
    cfg_destroy(&c);
}

static void
test_unknown_and_bad(void **state)
{
    (void)state;
    s_write("REC", "\"batch_size\": 10,\n    ");
    s_refused("batch_size", "recorder.batch_size", "unknown key");
    s_write("REC", "\"batch_max\": \"many\",\n    ");
    s_refused("batch_max", "recorder.batch_max", "expected an integer in [1, 1000000]");
    s_write("REC", "\"rcvhwm\": 10,\n    ");
    s_refused("rcvhwm", "recorder.rcvhwm", "expected an integer in [1000, 100000000], got 10");
    s_write("HIST", "\"history\": 5,\n                   ");
    s_refused("\"history\"", "endpoints.recorder.0.history", "expected a string");
}

/* the config recorded with a run: whole, order kept, secrets hidden at any depth */
static void
test_dump_hides_secrets(void **state)
{
    (void)state;
    ctu_write_file(s_path, "{\"run_dir\": \"/tmp/x\", \"a\": {\"api_keys\": [{\"key\": \"K1\","
                           " \"secret\": \"S1\"}], \"key_secret\": \"S2\", \"n\": 5},"
                           " \"list\": [{\"password\": \"P\", \"fast\": 50}]}\n");
    cfg_t *c = ctu_load_file(s_path);
    char *d = recorder_config_dump(c);
    assert_non_null(d);
    assert_string_equal(d, "{\"run_dir\":\"/tmp/x\",\"a\":{\"api_keys\":\"(hidden)\","
                           "\"key_secret\":\"(hidden)\",\"n\":5},\"list\":[{\"password\":"
                           "\"(hidden)\",\"fast\":50}]}");
    free(d);
    cfg_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_values),
        cmocka_unit_test(test_unknown_and_bad),
        cmocka_unit_test(test_dump_hides_secrets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
