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

static char s_path[96];
static char s_text[2048];

/* `rec`: lines inside "recorder"; `hist`: the history endpoint line or "". */
static void
s_write(const char *rec, const char *hist)
{
    snprintf(s_text, sizeof s_text,
             "{\n"
             "  \"run_dir\": \"/tmp/tp-rec-cfg\",\n"
             "  \"endpoints\": {\n"
             "    \"recorder.0\": {\"pub\": \"ipc://{run}/recorder.0.pub\",\n"
             "                   %s\"ctl\": \"ipc://{run}/recorder.0.ctl\"}\n"
             "  },\n"
             "  \"recorder\": {\n"
             "    %s\"db\": \"{run}/x.db\"\n"
             "  }\n"
             "}\n",
             hist, rec);
    FILE *f = fopen(s_path, "w");
    assert_non_null(f);
    fputs(s_text, f);
    fclose(f);
}

static int
s_line(const char *needle)
{
    const char *at = strstr(s_text, needle);
    assert_non_null(at);
    int line = 1;
    for (const char *p = s_text; p < at; p++) {
        line += *p == '\n';
    }
    return line;
}

static cfg_t *
s_load(void)
{
    char err[256];
    cfg_t *c = cfg_load(s_path, err, sizeof err);
    if (!c) {
        fail_msg("cannot load: %s", err);
    }
    return c;
}

static void
s_refused(const char *needle, const char *key, const char *why)
{
    char want[512];
    snprintf(want, sizeof want, "%s:%d: %s: %s", s_path, s_line(needle), key, why);
    recorder_config_t rc;
    cfg_t *c = s_load();
    assert_int_equal(recorder_config_read(c, "recorder.0", &rc), -1);
    assert_int_equal(errno, EINVAL);
    if (strncmp(cfg_error(c), want, strlen(want)) != 0) {
        fail_msg("got \"%s\", expected \"%s...\"", cfg_error(c), want);
    }
    cfg_destroy(&c);
    c = s_load();
    assert_int_equal(recorder_config_check(c, "recorder.0"), -1);
    assert_true(strncmp(cfg_error(c), want, strlen(want)) == 0);
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
    s_write("\"batch_ms\": 50,\n    ", "");
    cfg_t *c = s_load();
    assert_int_equal(recorder_config_read(c, "recorder.0", &rc), 0);
    assert_string_equal(rc.db, "/tmp/tp-rec-cfg/x.db");
    assert_true(rc.batch_max == 5000 && rc.batch_ms == 50 && rc.rcvhwm == 1000000);
    assert_false(rc.history);
    assert_int_equal(recorder_config_check(c, "recorder.0"), 0);
    cfg_destroy(&c);
    s_write("", "\"history\": \"ipc://{run}/h\",\n                   ");
    c = s_load();
    assert_int_equal(recorder_config_read(c, "recorder.0", &rc), 0);
    assert_true(rc.history);
    assert_string_equal(rc.history_ep, "ipc:///tmp/tp-rec-cfg/h");
    cfg_destroy(&c);
}

static void
test_unknown_and_bad(void **state)
{
    (void)state;
    s_write("\"batch_size\": 10,\n    ", "");
    s_refused("batch_size", "recorder.batch_size", "unknown key");
    s_write("\"batch_max\": \"many\",\n    ", "");
    s_refused("batch_max", "recorder.batch_max", "expected an integer in [1, 1000000]");
    s_write("\"rcvhwm\": 10,\n    ", "");
    s_refused("rcvhwm", "recorder.rcvhwm", "expected an integer in [1000, 100000000], got 10");
    s_write("", "\"history\": 5,\n                   ");
    s_refused("\"history\"", "endpoints.recorder.0.history", "expected a string");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_values),
        cmocka_unit_test(test_unknown_and_bad),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
