/*  test_runid.c - unit tests of common/runid on real files in a fresh temporary directory:
 *  read-or-create, replace, refusal of a damaged file, and the race of several processes that
 *  start on one run directory at once (every one must end with the same id).
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/runid.h"
#include "tests/unit/common/tmpdir_util.h"

static int
s_setup(void **state)
{
    (void)state;
    return tdu_make("runid");
}

static void
test_make_shape(void **state)
{
    (void)state;
    char a[RUNID_MAX], b[RUNID_MAX];
    assert_int_equal(runid_make(a, sizeof a), 0);
    assert_int_equal(runid_make(b, sizeof b), 0);
    assert_true(runid_valid(a));
    /* "YYYYMMDDTHHMMSSZ-xxxxxxxx": 16 + 1 + 8 characters */
    assert_int_equal(strlen(a), 25);
    assert_int_equal(a[8], 'T');
    assert_int_equal(a[15], 'Z');
    assert_int_equal(a[16], '-');
    assert_string_not_equal(a, b); /* 32 random bits: equal with probability 2^-32 */
    char small[8];
    assert_int_equal(runid_make(small, sizeof small), -1);
    assert_int_equal(errno, EINVAL);
    assert_false(runid_valid(""));
    assert_false(runid_valid("a b"));
    assert_false(runid_valid("../x"));
}

static void
test_get_creates_then_reads(void **state)
{
    (void)state;
    char a[RUNID_MAX], b[RUNID_MAX], path[128];
    assert_int_equal(runid_read(tdu_dir, a, sizeof a), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(runid_get(tdu_dir, a, sizeof a), 0);
    assert_int_equal(runid_get(tdu_dir, b, sizeof b), 0);
    assert_string_equal(a, b);
    snprintf(path, sizeof path, "%s/run.id", tdu_dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* a fresh run replaces it; get then answers the new one */
    assert_int_equal(runid_new(tdu_dir, b, sizeof b), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(runid_get(tdu_dir, a, sizeof a), 0);
    assert_string_equal(a, b);
}

static void
test_damaged_file_refused(void **state)
{
    (void)state;
    char path[128], id[RUNID_MAX];
    snprintf(path, sizeof path, "%s/run.id", tdu_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not an id; rm -rf /\n", f);
    fclose(f);
    assert_int_equal(runid_get(tdu_dir, id, sizeof id), -1);
    assert_int_equal(errno, EINVAL);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f); /* empty */
    assert_int_equal(runid_read(tdu_dir, id, sizeof id), -1);
    assert_int_equal(errno, EINVAL);
}

/* Eight processes call runid_get on an empty directory at once: one creates, all agree. */
static void
test_race_agrees(void **state)
{
    (void)state;
    enum { N = 8 };
    int fds[N][2];
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(pipe(fds[i]), 0);
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char id[RUNID_MAX] = "";
            int rc = runid_get(tdu_dir, id, sizeof id);
            dprintf(fds[i][1], "%d %s", rc, id);
            _exit(0);
        }
        close(fds[i][1]);
    }
    char first[64] = "";
    for (int i = 0; i < N; i++) {
        char buf[64] = "";
        ssize_t n = read(fds[i][0], buf, sizeof buf - 1);
        close(fds[i][0]);
        int status = 0;
        waitpid(pids[i], &status, 0);
        assert_true(n > 2);
        assert_memory_equal(buf, "0 ", 2);
        if (i == 0) {
            snprintf(first, sizeof first, "%s", buf);
        }
        assert_string_equal(buf, first);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_make_shape),
        cmocka_unit_test_setup_teardown(test_get_creates_then_reads, s_setup, tdu_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_file_refused, s_setup, tdu_teardown),
        cmocka_unit_test_setup_teardown(test_race_agrees, s_setup, tdu_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
