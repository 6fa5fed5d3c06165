/*  test_cfg.c - config loading and its errors: every error names file, line and key. */
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

/* Lines are numbered in the literal below: line 1 is "{". */
static const char k_text[] = "{\n"                                                      /* 1 */
                             "  \"run_dir\": \"/tmp/tp-x\",\n"                          /* 2 */
                             "  \"risk\": {\n"                                          /* 3 */
                             "    \"max_open_positions\": -3,\n"                        /* 4 */
                             "    \"fee\": \"0.001\",\n"                                /* 5 */
                             "    \"bad_fee\": \"0.0000001\",\n"                        /* 6 */
                             "    \"name\": 5\n"                                        /* 7 */
                             "  },\n"                                                   /* 8 */
                             "  \"endpoints\": {\n"                                     /* 9 */
                             "    \"feed.0\": {\"pub\": \"ipc://{run}/feed.0.pub\"},\n" /* 10 */
                             "    \"feed.1\": {\"pub\": \"ipc://{run}/feed.1.pub\"},\n" /* 11 */
                             "    \"risk.0\": {\"pub\": \"ipc://{run}/risk.0.pub\"}\n"  /* 12 */
                             "  },\n"                                                   /* 13 */
                             "  \"list\": [1, {\"k\": true}]\n"                         /* 14 */
                             "}\n";

static char s_path[64];

static int
setup(void **state)
{
    (void)state;
    snprintf(s_path, sizeof s_path, "/tmp/tp-test-cfg-%d.json", (int)getpid());
    FILE *f = fopen(s_path, "w");
    assert_non_null(f);
    fputs(k_text, f);
    fclose(f);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    unlink(s_path);
    return 0;
}

static cfg_t *
s_load(void)
{
    char err[256];
    cfg_t *c = cfg_load(s_path, err, sizeof err);
    assert_non_null(c);
    return c;
}

static void
test_int_out_of_range_names_file_line_key(void **state)
{
    (void)state;
    cfg_t *c = s_load();
    int64_t v = 42;
    assert_int_equal(cfg_int(c, "risk.max_open_positions", 1, 1, 100, false, &v), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(v, 42); /* untouched on failure */
    char want[256];
    snprintf(want, sizeof want,
             "%s:4: risk.max_open_positions: expected an integer in [1, 100], got -3", s_path);
    assert_string_equal(cfg_error(c), want);
    cfg_destroy(&c);
    assert_null(c);
}

static void
test_wrong_type_and_missing(void **state)
{
    (void)state;
    cfg_t *c = s_load();
    const char *s;
    assert_int_equal(cfg_str(c, "risk.name", NULL, &s), -1);
    assert_non_null(strstr(cfg_error(c), ":7: risk.name: expected a string, got an integer"));
    /* missing required key: reported at its parent's line */
    assert_int_equal(cfg_str(c, "risk.venue", NULL, &s), -1);
    assert_non_null(strstr(cfg_error(c), ":3: risk.venue: required key missing"));
    /* missing optional key: the default */
    assert_int_equal(cfg_str(c, "risk.venue", "paper", &s), 0);
    assert_string_equal(s, "paper");
    bool b;
    assert_int_equal(cfg_bool(c, "list[1].k", false, &b), 0);
    assert_true(b);
    assert_int_equal(cfg_bool(c, "list[0]", false, &b), -1);
    assert_non_null(strstr(cfg_error(c), ":14: list[0]: expected true or false"));
    cfg_destroy(&c);
}

static void
test_money_values(void **state)
{
    (void)state;
    cfg_t *c = s_load();
    int64_t fee;
    assert_int_equal(cfg_money(c, "risk.fee", 6, NULL, 0, 1000000, &fee), 0);
    assert_int_equal(fee, 1000); /* 0.001 at scale 6 */
    assert_int_equal(cfg_money(c, "risk.bad_fee", 6, NULL, 0, 1000000, &fee), -1);
    assert_non_null(
        strstr(cfg_error(c), ":6: risk.bad_fee: expected a decimal with at most 6 decimals"));
    assert_int_equal(cfg_money(c, "risk.none", 2, "1.5", 0, 1000, &fee), 0);
    assert_int_equal(fee, 150);
    cfg_destroy(&c);
}

static void
test_unknown_key(void **state)
{
    (void)state;
    cfg_t *c = s_load();
    const char *const known[] = { "max_open_positions", "fee", "name", NULL };
    assert_int_equal(cfg_check_keys(c, "risk", known), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(cfg_error(c), ":6: risk.bad_fee: unknown key"));
    cfg_destroy(&c);
}

static void
test_endpoints_and_instances(void **state)
{
    (void)state;
    cfg_t *c = s_load();
    char ep[128];
    assert_int_equal(cfg_endpoint(c, "feed.1", "pub", ep, sizeof ep), 0);
    assert_string_equal(ep, "ipc:///tmp/tp-x/feed.1.pub");
    char names[8][32];
    assert_int_equal(cfg_instances(c, "feed", names, 8), 2);
    assert_string_equal(names[0], "feed.0");
    assert_string_equal(names[1], "feed.1");
    assert_int_equal(cfg_instances(c, "risk", names, 8), 1);
    assert_int_equal(cfg_instances(c, "ris", names, 8), 0); /* role must match up to the dot */
    assert_int_equal(cfg_endpoint(c, "feed.0", "ctl", ep, sizeof ep), -1);
    cfg_destroy(&c);
}

static void
test_invalid_json_and_missing_file(void **state)
{
    (void)state;
    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/tp-test-cfg-bad-%d.json", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\n  \"a\": 1,\n  \"b\": ,\n}\n", f); /* error on line 3 */
    fclose(f);
    assert_null(cfg_load(path, err, sizeof err));
    assert_int_equal(errno, EINVAL);
    char want[96];
    snprintf(want, sizeof want, "%s:3:", path);
    assert_memory_equal(err, want, strlen(want));
    unlink(path);
    assert_null(cfg_load("/nonexistent/tp.json", err, sizeof err));
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(err, "/nonexistent/tp.json: cannot open"));
}

static void
test_default_config_loads(void **state)
{
    (void)state;
    char err[256];
    cfg_t *c = cfg_load("config/default.json", err, sizeof err);
    assert_non_null(c);
    const char *mode;
    assert_int_equal(cfg_str(c, "mode", NULL, &mode), 0);
    assert_string_equal(mode, "replay");
    assert_true(cfg_array_len(c, "feed.connections") >= 1);
    cfg_destroy(&c);
}

/* Write `text` to a fresh file and load it. The path goes into path[64]. */
static cfg_t *
s_load_text(const char *text, char *path)
{
    static int n;
    snprintf(path, 64, "/tmp/tp-test-cfg-top-%d-%d.json", (int)getpid(), n++);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    char err[256];
    cfg_t *c = cfg_load(path, err, sizeof err);
    assert_non_null(c);
    return c;
}

static void
test_top_level_typo_refused(void **state)
{
    (void)state;
    char path[64], want[256];
    cfg_t *c = s_load_text("{\n"                             /* 1 */
                           "  \"mode\": \"replay\",\n"       /* 2 */
                           "  \"Risk\": {\n"                 /* 3 */
                           "    \"max_open_positions\": 2\n" /* 4 */
                           "  }\n"                           /* 5 */
                           "}\n",
                           path);
    assert_int_equal(cfg_check_top(c), -1);
    assert_int_equal(errno, EINVAL);
    snprintf(want, sizeof want, "%s:3: Risk: unknown top-level key (did you mean \"risk\"?)", path);
    assert_string_equal(cfg_error(c), want);
    cfg_destroy(&c);
    unlink(path);
    c = s_load_text("{\n  \"log_level\": \"info\",\n  \"sginal\": {}\n}\n", path);
    assert_int_equal(cfg_check_top(c), -1);
    snprintf(want, sizeof want, "%s:3: sginal: unknown top-level key (known: ", path);
    assert_memory_equal(cfg_error(c), want, strlen(want));
    cfg_destroy(&c);
    unlink(path);
}

static void
test_endpoint_kind_typo_refused(void **state)
{
    (void)state;
    char path[64], want[256];
    cfg_t *c = s_load_text("{\n"                                          /* 1 */
                           "  \"endpoints\": {\n"                         /* 2 */
                           "    \"feed.0\": {\n"                          /* 3 */
                           "      \"pub\": \"ipc://{run}/feed.0.pub\",\n" /* 4 */
                           "      \"ctrl\": \"ipc://{run}/feed.0.ctl\"\n" /* 5 */
                           "    },\n"                                     /* 6 */
                           "    \"risk.0\": {\"pub\": 5}\n"               /* 7 */
                           "  }\n"                                        /* 8 */
                           "}\n",
                           path);
    assert_int_equal(cfg_check_top(c), -1);
    snprintf(want, sizeof want, "%s:5: endpoints.feed.0.ctrl: unknown key", path);
    assert_string_equal(cfg_error(c), want);
    cfg_destroy(&c);
    unlink(path);
    c = s_load_text("{\n  \"endpoints\": {\n    \"risk.0\": {\"pub\": 5}\n  }\n}\n", path);
    assert_int_equal(cfg_check_top(c), -1);
    snprintf(want, sizeof want, "%s:3: endpoints.risk.0.pub: expected a string", path);
    assert_memory_equal(cfg_error(c), want, strlen(want));
    cfg_destroy(&c);
    unlink(path);
}

/* cfg_set: the override is read by the getters, its errors name the override, a misspelt
 * key or a value of another kind is refused, keys with dots and array items are reached. */
static void
test_set_overrides(void **state)
{
    (void)state;
    cfg_t *c = s_load();
    int64_t v = 0;
    assert_int_equal(cfg_set(c, "risk.max_open_positions", "7"), 0);
    assert_int_equal(cfg_int(c, "risk.max_open_positions", 1, 1, 100, false, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(cfg_set(c, "risk.max_open_positions", "700"), 0);
    assert_int_equal(cfg_int(c, "risk.max_open_positions", 1, 1, 100, false, &v), -1);
    assert_string_equal(cfg_error(c), "--set risk.max_open_positions=700: "
                                      "risk.max_open_positions: expected an integer in [1, 100], "
                                      "got 700");
    /* a string without quotes is a string; a number where a string was is refused */
    const char *s;
    assert_int_equal(cfg_set(c, "risk.fee", "0.002"), -1);
    assert_non_null(strstr(cfg_error(c), "--set risk.fee=0.002: expected a string (as in "));
    assert_non_null(strstr(cfg_error(c), ":5), got a number"));
    assert_int_equal(cfg_set(c, "risk.fee", "\"0.002\""), 0);
    assert_int_equal(cfg_str(c, "risk.fee", NULL, &s), 0);
    assert_string_equal(s, "0.002");
    /* a key not in the file is refused, never added */
    assert_int_equal(cfg_set(c, "risk.max_open_position", "2"), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(cfg_error(c), "--set risk.max_open_position: no such key in "));
    assert_false(cfg_has(c, "risk.max_open_position"));
    /* keys that hold dots, array items, booleans, run_dir */
    assert_int_equal(cfg_set(c, "endpoints.feed.1.pub", "ipc://x"), 0);
    assert_int_equal(cfg_str(c, "endpoints.feed.1.pub", NULL, &s), 0);
    assert_string_equal(s, "ipc://x");
    assert_int_equal(cfg_str(c, "endpoints.feed.0.pub", NULL, &s), 0);
    assert_string_equal(s, "ipc://{run}/feed.0.pub");
    assert_int_equal(cfg_set(c, "list[1].k", "false"), 0);
    bool b = true;
    assert_int_equal(cfg_bool(c, "list[1].k", true, &b), 0);
    assert_false(b);
    assert_int_equal(cfg_set(c, "list[0]", "2.5"), 0);
    double d = 0;
    assert_int_equal(cfg_double(c, "list[0]", 0, 0, 10, false, &d), 0);
    assert_true(d == 2.5);
    assert_int_equal(cfg_set(c, "list", "[3]"), 0);
    assert_int_equal(cfg_array_len(c, "list"), 1);
    assert_int_equal(cfg_set(c, "list", "3"), -1);
    assert_int_equal(cfg_set(c, "run_dir", "/tmp/tp-y"), 0);
    assert_string_equal(cfg_run_dir(c), "/tmp/tp-y");
    /* errors about other keys still name file and line */
    assert_int_equal(cfg_str(c, "risk.name", NULL, &s), -1);
    assert_non_null(strstr(cfg_error(c), ":7: risk.name: expected a string"));
    cfg_destroy(&c);
}


/* cfg_put: adds a key under an existing object (or replaces one, of any kind), appends at an
 * array's end; errors about it name the option; a missing parent is refused. */
static void
test_put_adds_and_names_origin(void **state)
{
    (void)state;
    cfg_t *c = s_load();
    const char *s;
    int64_t v = 0;
    assert_false(cfg_has(c, "risk.window"));
    assert_int_equal(cfg_put(c, "risk.window", json_string("2025-11-03"), "--from 2025-11-03"), 0);
    assert_int_equal(cfg_str(c, "risk.window", NULL, &s), 0);
    assert_string_equal(s, "2025-11-03");
    assert_int_equal(cfg_int(c, "risk.window", 0, 0, 9, false, &v), -1);
    assert_string_equal(cfg_error(c), "--from 2025-11-03: risk.window: expected an integer in "
                                      "[0, 9], got a string");
    /* replacing a value of another kind is the caller's choice */
    assert_int_equal(cfg_put(c, "risk.name", json_string("x"), "--symbol X"), 0);
    assert_int_equal(cfg_str(c, "risk.name", NULL, &s), 0);
    assert_string_equal(s, "x");
    /* an array: replace an item, append at its end; keys with dots */
    assert_int_equal(cfg_put(c, "list[2]", json_integer(7), "--x"), 0);
    assert_int_equal(cfg_array_len(c, "list"), 3);
    assert_int_equal(cfg_put(c, "list[5]", json_integer(7), "--x"), -1);
    assert_int_equal(cfg_put(c, "endpoints.feed.1.sub", json_string("ipc://y"), "--y"), 0);
    assert_int_equal(cfg_str(c, "endpoints.feed.1.sub", NULL, &s), 0);
    assert_string_equal(s, "ipc://y");
    /* no parent: refused, naming the option */
    errno = 0;
    assert_int_equal(cfg_put(c, "nosuch.key", json_true(), "--skip-bad"), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(cfg_error(c), "--skip-bad: nosuch.key: its parent is not in "));
    assert_false(cfg_has(c, "nosuch"));
    /* the --set form of the message is unchanged */
    assert_int_equal(cfg_set(c, "risk.max_open_positions", "700"), 0);
    assert_int_equal(cfg_int(c, "risk.max_open_positions", 1, 1, 100, false, &v), -1);
    assert_string_equal(cfg_error(c), "--set risk.max_open_positions=700: "
                                      "risk.max_open_positions: expected an integer in [1, 100], "
                                      "got 700");
    cfg_destroy(&c);
}

static void
test_default_config_top_ok(void **state)
{
    (void)state;
    char err[256];
    cfg_t *c = cfg_load("config/default.json", err, sizeof err);
    assert_non_null(c);
    assert_int_equal(cfg_check_top(c), 0);
    cfg_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_out_of_range_names_file_line_key),
        cmocka_unit_test(test_wrong_type_and_missing),
        cmocka_unit_test(test_money_values),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_endpoints_and_instances),
        cmocka_unit_test(test_invalid_json_and_missing_file),
        cmocka_unit_test(test_default_config_loads),
        cmocka_unit_test(test_put_adds_and_names_origin),
        cmocka_unit_test(test_top_level_typo_refused),
        cmocka_unit_test(test_endpoint_kind_typo_refused),
        cmocka_unit_test(test_default_config_top_ok),
        cmocka_unit_test(test_set_overrides),
    };
    return cmocka_run_group_tests_name("cfg", tests, setup, teardown);
}
