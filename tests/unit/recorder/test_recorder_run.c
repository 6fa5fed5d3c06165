/*  test_recorder_run.c - the recorder binary end to end on real sockets and a real file:
 *  hello barriers are echoed, a step's messages land in event-time order, the end barrier is
 *  forwarded only after the batch is committed (a reader sees every row at that moment),
 *  `status` shows the database, SIGTERM exits 0. The test plays feed.0 with a bus_pub.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/bus.h"
#include "common/clock.h"
#include "common/codec.h"

/* Directory of this test binary (build/bin or build/asan/bin): the tool under test is there. */
static char s_bindir[256] = "build/bin";

static char s_dir[128];

static void
s_sleep_ms(int ms)
{
    zclock_sleep(ms);
}

/* Wait up to max_ms for a sys.barrier with step `step` on sub. */
static bool
s_wait_barrier(bus_sub_t *sub, uint64_t step, int max_ms, bus_pub_t *resend,
               const codec_sys_barrier_t *again)
{
    int64_t end = clock_mono_ns() + (int64_t)max_ms * CLOCK_NS_PER_MS;
    while (clock_mono_ns() < end) {
        bus_msg_t m;
        while (bus_sub_recv(sub, &m) == 0) {
            codec_sys_barrier_t b;
            if (m.type == CODEC_SYS_BARRIER
                && codec_decode(m.data, m.len, CODEC_SYS_BARRIER, NULL, &b) == 0
                && b.step == step) {
                return true;
            }
        }
        if (resend != NULL) {
            assert_int_equal(
                bus_publish(resend, "sys.barrier", CODEC_SYS_BARRIER, again, again->ts_event, 0),
                0);
        }
        s_sleep_ms(50);
    }
    return false;
}

static void
test_run(void **state)
{
    (void)state;
    char cfg_path[256], db_path[256], ep[256], rec_ep[256], ctl_ep[256];
    (void)snprintf(s_dir, sizeof s_dir, "/tmp/tp_test_recrun_%d", (int)getpid());
    assert_int_equal(mkdir(s_dir, 0700), 0);
    (void)snprintf(cfg_path, sizeof cfg_path, "%s/cfg.json", s_dir);
    (void)snprintf(db_path, sizeof db_path, "%s/t.db", s_dir);
    (void)snprintf(ep, sizeof ep, "ipc://%s/feed.0.pub", s_dir);
    (void)snprintf(rec_ep, sizeof rec_ep, "ipc://%s/recorder.0.pub", s_dir);
    (void)snprintf(ctl_ep, sizeof ctl_ep, "ipc://%s/recorder.0.ctl", s_dir);
    FILE *f = fopen(cfg_path, "w");
    assert_non_null(f);
    /* batch_ms of 60 s: only the end barrier or SIGTERM can commit */
    fprintf(f,
            "{\"mode\":\"replay\",\"run_dir\":\"%s\",\"log_level\":\"warn\",\"endpoints\":{"
            "\"feed.0\":{\"pub\":\"ipc://{run}/feed.0.pub\",\"ctl\":\"ipc://{run}/feed.0.ctl\"},"
            "\"recorder.0\":{\"pub\":\"ipc://{run}/recorder.0.pub\","
            "\"ctl\":\"ipc://{run}/recorder.0.ctl\"}},"
            "\"recorder\":{\"db\":\"{run}/t.db\",\"batch_max\":5000,\"batch_ms\":60000}}\n",
            s_dir);
    assert_int_equal(fclose(f), 0);

    bus_pub_t *pub = bus_pub_new(ep, "feed.0", 0);
    assert_non_null(pub);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char bin[300];
        (void)snprintf(bin, sizeof bin, "%s/recorder", s_bindir);
        execl(bin, "recorder", "-c", cfg_path, "-i", "recorder.0", (char *)NULL);
        _exit(127);
    }
    bus_sub_t *sub = bus_sub_new(0);
    assert_non_null(sub);
    s_sleep_ms(200); /* let the recorder bind its PUB */
    assert_int_equal(bus_sub_connect(sub, rec_ep), 0);
    assert_int_equal(bus_sub_subscribe(sub, "sys.barrier"), 0);

    /* hello (step 0) until the recorder echoes it: the pipeline is joined */
    codec_sys_barrier_t hello = { .step = 0, .ts_event = 0 };
    assert_true(s_wait_barrier(sub, 0, 5000, pub, &hello));

    /* step 1: three trades published out of event-time order, then the end barrier */
    static const int64_t evts[3] = { 30, 10, 20 };
    for (int i = 0; i < 3; i++) {
        codec_md_trade_t t = { .venue = "bybit-linear",
                               .symbol = "BTCUSDT",
                               .px_scale = 2,
                               .qty_scale = 3,
                               .px = 100 + i,
                               .qty = 1,
                               .side = 1,
                               .ts_event = evts[i] };
        assert_int_equal(
            bus_publish(pub, "md.trade.bybit-linear.BTCUSDT", CODEC_MD_TRADE, &t, evts[i], 0), 0);
    }
    codec_sys_barrier_t end = { .step = 1, .ts_event = 100, .end = true };
    assert_int_equal(bus_publish(pub, "sys.barrier", CODEC_SYS_BARRIER, &end, 100, 0), 0);
    assert_true(s_wait_barrier(sub, 1, 5000, NULL, NULL));

    /* committed BEFORE the end barrier was forwarded */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT evt, px_m FROM trades ORDER BY id", -1, &st, NULL),
        SQLITE_OK);
    /* delivered in (evt, rank, seq) order: evt 10 (px 101), 20 (102), 30 (100) */
    static const int64_t want_evt[3] = { 10, 20, 30 }, want_px[3] = { 101, 102, 100 };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int64(st, 0), want_evt[i]);
        assert_int_equal(sqlite3_column_int64(st, 1), want_px[i]);
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* status names the database */
    size_t len = 0;
    char *reply = bus_request(ctl_ep, "status", 6, 2000, &len);
    assert_non_null(reply);
    assert_non_null(strstr(reply, db_path));
    assert_non_null(strstr(reply, "\"db_errors\":0"));
    free(reply);

    assert_int_equal(kill(pid, SIGTERM), 0);
    int wst = 0;
    pid_t w;
    do {
        w = waitpid(pid, &wst, 0);
    } while (w < 0 && errno == EINTR);
    if (w != pid) {
        fail_msg("waitpid: %s", strerror(errno));
    }
    assert_true(WIFEXITED(wst));
    assert_int_equal(WEXITSTATUS(wst), 0);

    bus_sub_destroy(&sub);
    bus_pub_destroy(&pub);
    char cmd[200];
    (void)snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    assert_int_equal(system(cmd), 0);
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
        cmocka_unit_test(test_run),
    };
    return cmocka_run_group_tests_name("recorder_run", tests, NULL, NULL);
}
