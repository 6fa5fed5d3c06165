/*  test_stage_reload.c - the generic reload of common/stage (stage_reload, stage_reload_keys):
 *  a real stage (its ipc sockets in a private directory), a real config file edited between
 *  reloads. Checks: the changed keys are named exactly, a restart-only change is refused as
 *  "<file>:<line>: <key>: needs a restart" (line found in the text written), the hook runs
 *  only for reloadable changes and its refusal changes nothing, keys outside the stage's
 *  patterns are ignored, and each reload compares with the last accepted file.
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
#include "common/log.h"
#include "common/stage.h"

static char s_dir[64];
static char s_path[128];
static char s_text[4096];

typedef struct {
    int calls;
    bool refuse;
    char seen[256]; /* reply["reloaded"] as the hook saw it */
} s_hook_t;

static int
s_hook(stage_t *st, cfg_t *fresh, json_t *reply, void *arg)
{
    (void)st;
    s_hook_t *h = arg;
    h->calls++;
    char *t = json_dumps(json_object_get(reply, "reloaded"), JSON_COMPACT);
    snprintf(h->seen, sizeof h->seen, "%s", t ? t : "");
    free(t);
    if (h->refuse) {
        return cfg_fail(fresh, "risk.b.c", "expected a value the stage likes");
    }
    return 0;
}

/* Write the config with the given values (printf-style template below). */
static void
s_write(const char *log_level, int a, int c, const char *state_file, const char *arr, int p,
        int window, int z, const char *extra)
{
    snprintf(s_text, sizeof s_text,
             "{\n"
             "  \"mode\": \"replay\",\n"
             "  \"run_dir\": \"%s\",\n"
             "  \"log_level\": \"%s\",\n"
             "  \"endpoints\": {\n"
             "    \"risk.0\": {\"pub\": \"ipc://{run}/risk.0.pub\",\n"
             "               \"ctl\": \"ipc://{run}/risk.0.ctl\"}\n"
             "  },\n"
             "  \"risk\": {\n"
             "    %s\"a\": %d,\n"
             "    \"b\": {\n"
             "      \"c\": %d\n"
             "    },\n"
             "    \"state_file\": \"%s\",\n"
             "    \"arr\": %s\n"
             "  },\n"
             "  \"signal\": {\n"
             "    \"strategies\": [\n"
             "      {\"name\": \"s1\", \"params\": {\"p\": %d}, \"window\": %d}\n"
             "    ]\n"
             "  },\n"
             "  \"recorder\": {\"z\": %d}\n"
             "}\n",
             s_dir, log_level, extra, a, c, state_file, arr, p, window, z);
    FILE *f = fopen(s_path, "w");
    assert_non_null(f);
    fputs(s_text, f);
    fclose(f);
}

#define S_BASE() s_write("info", 1, 2, "x.json", "[1, 2]", 1, 3, 1, "")

static int
s_line(const char *needle)
{
    const char *at = strstr(s_text, needle);
    assert_non_null(at);
    int line = 1;
    for (const char *q = s_text; q < at; q++) {
        line += *q == '\n';
    }
    return line;
}

/* stage_reload; returns the reply's compact text in out[256] and the return code. */
static int
s_reload(stage_t *st, char *out)
{
    json_t *reply = json_object();
    int rc = stage_reload(st, reply);
    char *t = json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(out, 512, "%s", t ? t : "");
    free(t);
    json_decref(reply);
    return rc;
}

static const stage_key_t k_keys[] = {
    { "risk.a", true },
    { "risk.b", true },
    { "risk.arr", true },
    { "signal", false },
    { "signal.strategies[*].params", true },
};

static stage_t *
s_stage(cfg_t **cfg, s_hook_t *h)
{
    char err[256];
    *cfg = cfg_load(s_path, err, sizeof err);
    assert_non_null(*cfg);
    stage_t *st = stage_new("risk.0", *cfg);
    assert_non_null(st);
    assert_int_equal(stage_reload_keys(st, k_keys, sizeof k_keys / sizeof k_keys[0]), 0);
    stage_on_reload(st, s_hook, h);
    return st;
}

static int
setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/tp-test-reload-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    snprintf(s_path, sizeof s_path, "%s/config.json", s_dir);
    log_init("test", LOG_LVL_WARN);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
test_changed_keys_named_exactly(void **state)
{
    (void)state;
    s_hook_t h = { 0 };
    cfg_t *cfg;
    S_BASE();
    stage_t *st = s_stage(&cfg, &h);
    char r[512];
    assert_int_equal(s_reload(st, r), 0); /* nothing changed */
    assert_string_equal(r, "{\"ok\":true,\"reloaded\":[]}");
    assert_int_equal(h.calls, 0);

    s_write("info", 5, 2, "x.json", "[1, 2]", 1, 3, 1, "");
    assert_int_equal(s_reload(st, r), 0);
    assert_string_equal(r, "{\"ok\":true,\"reloaded\":[\"risk.a\"]}");
    assert_int_equal(h.calls, 1);
    assert_string_equal(h.seen, "[\"risk.a\"]");
    int64_t a = 0;
    assert_int_equal(cfg_int(stage_cfg_current(st), "risk.a", 0, 0, 100, true, &a), 0);
    assert_true(a == 5);
    assert_true(stage_cfg(st) == cfg); /* the one main.c owns stays as it was */

    /* compared with the last accepted file, not the first: no change now */
    assert_int_equal(s_reload(st, r), 0);
    assert_string_equal(r, "{\"ok\":true,\"reloaded\":[]}");

    /* an element of an array; a strategy parameter behind [*]; a key outside the stage's
     * patterns (ignored); log_level (no hook call for it alone) */
    s_write("info", 5, 2, "x.json", "[1, 7]", 9, 3, 4, "");
    assert_int_equal(s_reload(st, r), 0);
    assert_string_equal(
        r, "{\"ok\":true,\"reloaded\":[\"risk.arr[1]\",\"signal.strategies[0].params.p\"]}");
    assert_int_equal(h.calls, 2);
    s_write("debug", 5, 2, "x.json", "[1, 7, 8]", 9, 3, 4, "");
    assert_int_equal(s_reload(st, r), 0);
    assert_string_equal(r, "{\"ok\":true,\"reloaded\":[\"log_level\",\"risk.arr\"]}");
    assert_int_equal(log_level(), LOG_LVL_DEBUG);
    s_write("warn", 5, 2, "x.json", "[1, 7, 8]", 9, 3, 4, "");
    assert_int_equal(s_reload(st, r), 0);
    assert_string_equal(r, "{\"ok\":true,\"reloaded\":[\"log_level\"]}");
    assert_int_equal(h.calls, 3);

    /* a removed reloadable key is a change too */
    s_write("warn", 5, 2, "x.json", "[1, 7, 8]", 9, 3, 4, "");
    char *pa = strstr(s_text, "\"a\": 5,\n    ");
    assert_non_null(pa);
    memmove(pa, pa + 12, strlen(pa + 12) + 1);
    FILE *f = fopen(s_path, "w");
    assert_non_null(f);
    fputs(s_text, f);
    fclose(f);
    assert_int_equal(s_reload(st, r), 0);
    assert_string_equal(r, "{\"ok\":true,\"reloaded\":[\"risk.a\"]}");
    stage_destroy(&st);
    cfg_destroy(&cfg);
}

static void
test_restart_keys_refused(void **state)
{
    (void)state;
    s_hook_t h = { 0 };
    cfg_t *cfg;
    S_BASE();
    stage_t *st = s_stage(&cfg, &h);
    char r[512], want[512];

    /* risk.state_file: no pattern of its own, so the role's ("risk": restart) */
    s_write("info", 5, 2, "y.json", "[1, 2]", 1, 3, 1, "");
    assert_int_equal(s_reload(st, r), -1);
    snprintf(want, sizeof want,
             "{\"error\":\"%s:%d: risk.state_file: needs a restart\",\"ok\":false,"
             "\"restart\":[\"risk.state_file\"]}",
             s_path, s_line("\"state_file\""));
    assert_string_equal(r, want);
    assert_int_equal(h.calls, 0); /* nothing applied: risk.a stays 1 */
    int64_t a = 0;
    assert_int_equal(cfg_int(stage_cfg_current(st), "risk.a", 0, 0, 100, true, &a), 0);
    assert_true(a == 1);

    /* two of them, one under a reloadable sibling ("signal" restart, params reload); a new
     * key in the stage's own section needs a restart too */
    s_write("info", 1, 2, "x.json", "[1, 2]", 1, 4, 1, "\"new_key\": true,\n    ");
    assert_int_equal(s_reload(st, r), -1);
    snprintf(want, sizeof want,
             "{\"error\":\"%s:%d: risk.new_key: needs a restart (and 1 more key: see "
             "\\\"restart\\\")\",\"ok\":false,\"restart\":[\"risk.new_key\","
             "\"signal.strategies[0].window\"]}",
             s_path, s_line("\"new_key\""));
    assert_string_equal(r, want);

    /* an endpoint (its key has a dot in it) */
    S_BASE();
    char *ep = strstr(s_text, "risk.0.pub");
    assert_non_null(ep);
    memcpy(ep, "risk.9", 6);
    FILE *f = fopen(s_path, "w");
    assert_non_null(f);
    fputs(s_text, f);
    fclose(f);
    assert_int_equal(s_reload(st, r), -1);
    assert_non_null(strstr(r, "endpoints.risk.0.pub: needs a restart"));

    /* back to the file the stage runs on: ok, nothing to do */
    S_BASE();
    assert_int_equal(s_reload(st, r), 0);
    assert_string_equal(r, "{\"ok\":true,\"reloaded\":[]}");
    stage_destroy(&st);
    cfg_destroy(&cfg);
}

static void
test_refusals_change_nothing(void **state)
{
    (void)state;
    s_hook_t h = { .refuse = true };
    cfg_t *cfg;
    S_BASE();
    stage_t *st = s_stage(&cfg, &h);
    char r[512], want[512];

    /* the hook refuses: its file:line: key, nothing kept */
    s_write("debug", 1, 3, "x.json", "[1, 2]", 1, 3, 1, "");
    log_level_t before = log_level();
    assert_int_equal(s_reload(st, r), -1);
    snprintf(want, sizeof want,
             "{\"error\":\"%s:%d: risk.b.c: expected a value the stage likes\",\"ok\":false}",
             s_path, s_line("\"c\""));
    assert_string_equal(r, want);
    assert_int_equal(log_level(), before); /* log_level not applied either */
    /* accepted later: still a change, since the refused file never became the running one */
    h.refuse = false;
    assert_int_equal(s_reload(st, r), 0);
    assert_string_equal(r, "{\"ok\":true,\"reloaded\":[\"log_level\",\"risk.b.c\"]}");

    /* a bad log_level */
    s_write("loud", 1, 3, "x.json", "[1, 2]", 1, 3, 1, "");
    assert_int_equal(s_reload(st, r), -1);
    snprintf(want, sizeof want, "%s:%d: log_level: expected", s_path, s_line("\"log_level\""));
    assert_non_null(strstr(r, want));

    /* a file that does not parse */
    FILE *f = fopen(s_path, "w");
    assert_non_null(f);
    fputs("{\n  \"mode\": \n}\n", f);
    fclose(f);
    assert_int_equal(s_reload(st, r), -1);
    snprintf(want, sizeof want, "%s:3:", s_path);
    assert_non_null(strstr(r, want));
    stage_destroy(&st);
    cfg_destroy(&cfg);
}

static int
s_check(stage_t *st, cfg_t *fresh, void *arg)
{
    (void)st;
    int *calls = arg;
    (*calls)++;
    int64_t a;
    if (cfg_int(fresh, "risk.a", 0, 0, 50, false, &a) != 0) {
        return -1;
    }
    return 0;
}

/* The stage's check runs on the whole file first: its error wins over a restart key, and a
 * refused file applies nothing. */
static void
test_check_first(void **state)
{
    (void)state;
    s_hook_t h = { 0 };
    int checks = 0;
    cfg_t *cfg;
    S_BASE();
    stage_t *st = s_stage(&cfg, &h);
    stage_on_check(st, s_check, &checks);
    char r[512], want[512];
    s_write("info", 99, 2, "y.json", "[1, 2]", 1, 3, 1, "");
    assert_int_equal(s_reload(st, r), -1);
    snprintf(want, sizeof want,
             "{\"error\":\"%s:%d: risk.a: expected an integer in [0, 50], got 99\",\"ok\":false}",
             s_path, s_line("\"a\""));
    assert_string_equal(r, want);
    assert_int_equal(checks, 1);
    assert_int_equal(h.calls, 0);
    s_write("info", 9, 2, "x.json", "[1, 2]", 1, 3, 1, "");
    assert_int_equal(s_reload(st, r), 0);
    assert_string_equal(r, "{\"ok\":true,\"reloaded\":[\"risk.a\"]}");
    assert_int_equal(checks, 2);
    assert_int_equal(h.calls, 1);
    stage_destroy(&st);
    cfg_destroy(&cfg);
}

static void
test_reload_keys_bounds(void **state)
{
    (void)state;
    s_hook_t h = { 0 };
    cfg_t *cfg;
    S_BASE();
    stage_t *st = s_stage(&cfg, &h);
    stage_key_t empty = { "", true };
    assert_int_equal(stage_reload_keys(st, &empty, 1), -1);
    assert_int_equal(errno, EINVAL);
    stage_key_t many[64];
    for (size_t i = 0; i < 64; i++) {
        many[i] = (stage_key_t){ "risk.x", true };
    }
    assert_int_equal(stage_reload_keys(st, many, 64), -1); /* 5 declared already */
    assert_int_equal(errno, ENOSPC);
    stage_destroy(&st);
    cfg_destroy(&cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changed_keys_named_exactly),
        cmocka_unit_test(test_restart_keys_refused),
        cmocka_unit_test(test_refusals_change_nothing),
        cmocka_unit_test(test_check_first),
        cmocka_unit_test(test_reload_keys_bounds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
