/*  test_ctl.c - tools/ctl: state extraction, parallel queries with a dead instance, instance
 *  listing, and the binary (status all, a single instance, wait-state) against a fake stage:
 *  a czmq actor with a REP socket on an ipc:// path under /tmp.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <czmq.h>
#include <jansson.h>

#include "common/cfg.h"
#include "common/clock.h"
#include "tools/ctl/ctl.h"

/* Directory of this test binary (build/bin or build/asan/bin): the tool under test is there. */
static char s_bindir[256] = "build/bin";

static char s_dir[128], s_cfg_path[256], s_alive[256], s_dead[256];

/* Fake control socket: answers "status" with a replay state, anything else with an echo. */
static void
s_fake_stage(zsock_t *pipe, void *arg)
{
    zsock_t *rep = zsock_new_rep((const char *)arg);
    assert_non_null(rep);
    zsock_signal(pipe, 0);
    zpoller_t *p = zpoller_new(pipe, rep, NULL);
    for (;;) {
        void *which = zpoller_wait(p, -1);
        if (which == pipe || which == NULL) {
            break;
        }
        char *req = zstr_recv(rep);
        if (req == NULL) {
            break;
        }
        if (strcmp(req, "status") == 0) {
            zstr_send(rep, "{\"stage\":\"venue-sim.0\",\"state\":\"running\","
                           "\"replay\":{\"state\":\"done\",\"step\":42}}");
        } else {
            zstr_sendf(rep, "{\"ok\":true,\"cmd\":\"%s\"}", req);
        }
        zstr_free(&req);
    }
    zpoller_destroy(&p);
    zsock_destroy(&rep);
}

static int
s_setup(void **state)
{
    (void)state;
    (void)snprintf(s_dir, sizeof s_dir, "/tmp/tp_test_ctl_%d", (int)getpid());
    (void)mkdir(s_dir, 0700);
    (void)snprintf(s_alive, sizeof s_alive, "ipc://%s/alive.ctl", s_dir);
    (void)snprintf(s_dead, sizeof s_dead, "ipc://%s/dead.ctl", s_dir);
    (void)snprintf(s_cfg_path, sizeof s_cfg_path, "%s/cfg.json", s_dir);
    FILE *f = fopen(s_cfg_path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"run_dir\":\"%s\",\"endpoints\":{"
            "\"venue-sim.0\":{\"pub\":\"ipc://{run}/v.pub\",\"ctl\":\"ipc://{run}/alive.ctl\"},"
            "\"feed.0\":{\"pub\":\"ipc://{run}/f.pub\",\"ctl\":\"ipc://{run}/dead.ctl\"},"
            "\"nothing.0\":{\"pub\":\"ipc://{run}/n.pub\"}}}\n",
            s_dir);
    assert_int_equal(fclose(f), 0);
    return 0;
}

static int
s_teardown(void **state)
{
    char cmd[300];
    (void)state;
    (void)snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
test_state_of(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(
        ctl_state_of("{\"state\":\"running\",\"replay\":{\"state\":\"done\"}}", out, sizeof out),
        0);
    assert_string_equal(out, "done"); /* replay.state wins */
    assert_int_equal(ctl_state_of("{\"state\":\"halted\"}", out, sizeof out), 0);
    assert_string_equal(out, "halted");
    assert_int_equal(ctl_state_of("{\"state\":\"x\",\"replay\":{\"step\":1}}", out, sizeof out), 0);
    assert_string_equal(out, "x");
    errno = 0;
    assert_int_equal(ctl_state_of("not json", out, sizeof out), -1);
    assert_int_equal(errno, EPROTO);
    errno = 0;
    assert_int_equal(ctl_state_of("{\"stage\":\"a\"}", out, sizeof out), -1);
    assert_int_equal(errno, EPROTO);
    errno = 0;
    assert_int_equal(ctl_state_of("{\"state\":\"a-very-long-state-word\"}", out, sizeof out), -1);
    assert_int_equal(errno, ENOBUFS);
}

static void
test_instances(void **state)
{
    (void)state;
    char err[256], names[8][CTL_NAME_MAX];
    cfg_t *cfg = cfg_load(s_cfg_path, err, sizeof err);
    assert_non_null(cfg);
    /* nothing.0 has no ctl endpoint */
    assert_int_equal(ctl_instances(cfg, names, 8), 2);
    assert_string_equal(names[0], "venue-sim.0");
    assert_string_equal(names[1], "feed.0");
    assert_int_equal(ctl_instances(cfg, names, 1), 1);
    cfg_destroy(&cfg);
}

static void
test_query_many(void **state)
{
    (void)state;
    zactor_t *stage = zactor_new(s_fake_stage, s_alive);
    assert_non_null(stage);
    const char *eps[3] = { s_alive, s_dead, NULL };
    char *replies[3];
    int64_t t0 = clock_mono_ns();
    assert_int_equal(ctl_query_many(eps, 3, "pause now", 300, replies), 1);
    int64_t ms = (clock_mono_ns() - t0) / CLOCK_NS_PER_MS;
    /* all at once: one timeout for the whole group, not one per instance */
    assert_true(ms >= 290 && ms < 1000);
    assert_non_null(replies[0]);
    assert_string_equal(replies[0], "{\"ok\":true,\"cmd\":\"pause now\"}");
    assert_null(replies[1]);
    assert_null(replies[2]);
    free(replies[0]);
    zactor_destroy(&stage);
}

static int
s_run(const char *args, char *out, size_t cap)
{
    char cmd[1024];
    (void)snprintf(cmd, sizeof cmd, "%s/ctl -c %s %s 2>/dev/null", s_bindir, s_cfg_path, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    assert_true(WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

static void
test_binary(void **state)
{
    (void)state;
    static char out[8192];
    zactor_t *stage = zactor_new(s_fake_stage, s_alive);
    assert_non_null(stage);

    /* status all: one JSON object, the dead instance marked, exit 1 */
    assert_int_equal(s_run("--timeout 300 status all", out, sizeof out), 1);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "venue-sim.0"), "stage")),
        "venue-sim.0");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "feed.0"), "error")),
                        "no answer within 300 ms");
    assert_int_equal(json_object_size(j), 2);
    json_decref(j);

    /* one live instance: its reply, exit 0; a command with arguments is sent as one text */
    assert_int_equal(s_run("status venue-sim.0", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"step\":42"));
    assert_int_equal(s_run("pause venue-sim.0 for test", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"cmd\":\"pause for test\""));
    /* a role: all its instances */
    assert_int_equal(s_run("--timeout 200 status venue-sim", out, sizeof out), 0);

    /* wait-state: replay.state is "done" */
    assert_int_equal(s_run("wait-state venue-sim.0 done --max-wait 5", out, sizeof out), 0);
    int64_t t0 = clock_mono_ns();
    assert_int_equal(s_run("wait-state venue-sim.0 never --max-wait 1", out, sizeof out), 1);
    assert_true((clock_mono_ns() - t0) / CLOCK_NS_PER_MS >= 1000);
    assert_int_equal(s_run("--timeout 200 wait-state feed.0 done --max-wait 1", out, sizeof out),
                     1);

    /* bad arguments and unknown names */
    assert_int_equal(s_run("status nosuch", out, sizeof out), 2);
    assert_int_equal(s_run("--timeout x status", out, sizeof out), 2);
    assert_int_equal(s_run("wait-state venue-sim.0", out, sizeof out), 2);
    zactor_destroy(&stage);
}

int
main(int argc, char **argv)
{
    (void)argc;
    const char *slash = strrchr(argv[0], '/');
    if (slash != NULL) {
        (void)snprintf(s_bindir, sizeof s_bindir, "%.*s", (int)(slash - argv[0]), argv[0]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_of),
        cmocka_unit_test_setup_teardown(test_instances, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_query_many, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_binary, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("ctl", tests, NULL, NULL);
}
