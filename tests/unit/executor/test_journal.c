/*  test_journal.c - the durable intent journal (executor/journal.h): records survive a
 *  reopen, the last record per client id wins, a torn last line is ignored, bad ids refused.
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

#include "executor/journal.h"

static char g_path[64];

static int
s_setup(void **state)
{
    (void)state;
    snprintf(g_path, sizeof g_path, "/tmp/tp-journal-test.%d", (int)getpid());
    unlink(g_path);
    return 0;
}

static int
s_teardown(void **state)
{
    (void)state;
    unlink(g_path);
    return 0;
}

static void
test_roundtrip(void **state)
{
    (void)state;
    const uint8_t req1[] = { 0x00, 0x01, 0xfe, 0xff }, req2[] = { 0x42 };
    journal_t *j = journal_open(g_path);
    assert_non_null(j);
    assert_int_equal(journal_intent(j, "c1", req1, sizeof req1), 0);
    assert_int_equal(journal_intent(j, "c2", req2, sizeof req2), 0);
    assert_int_equal(journal_intent(j, "c3", req2, sizeof req2), 0);
    assert_int_equal(journal_ack(j, "c1", "uuid-1"), 0);
    assert_int_equal(journal_refuse(j, "c2", "bybit 110007: balance\nsecond line"), 0);
    journal_close(&j);
    assert_null(j);

    struct stat sb;
    assert_int_equal(stat(g_path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600); /* created owner-only */

    j = journal_open(g_path);
    assert_non_null(j);
    assert_int_equal(journal_count(j), 3);
    const journal_rec_t *r = journal_get(j, 0);
    assert_string_equal(r->client_id, "c1");
    assert_int_equal(r->state, JOURNAL_ACKED);
    assert_string_equal(r->order_id, "uuid-1");
    assert_int_equal(r->req_len, sizeof req1);
    assert_memory_equal(r->req, req1, sizeof req1);
    r = journal_get(j, 1);
    assert_int_equal(r->state, JOURNAL_REFUSED);
    assert_string_equal(r->reason, "bybit 110007: balance second line"); /* one line */
    r = journal_get(j, 2);
    assert_int_equal(r->state, JOURNAL_INTENT); /* unresolved: ask the venue */
    assert_int_equal(r->req[0], 0x42);
    journal_close(&j);
}

static void
test_torn_last_line(void **state)
{
    (void)state;
    journal_t *j = journal_open(g_path);
    const uint8_t req[] = { 1, 2, 3 };
    assert_int_equal(journal_intent(j, "a", req, sizeof req), 0);
    journal_close(&j);
    FILE *f = fopen(g_path, "a");
    assert_non_null(f);
    fputs("A a uuid-torn", f); /* crash mid-write: no newline */
    fclose(f);
    j = journal_open(g_path);
    assert_int_equal(journal_count(j), 1);
    assert_int_equal(journal_get(j, 0)->state, JOURNAL_INTENT);
    journal_close(&j);
}

static void
test_refusals(void **state)
{
    (void)state;
    journal_t *j = journal_open(g_path);
    const uint8_t req[] = { 1 };
    errno = 0;
    assert_int_equal(journal_intent(j, "has space", req, 1), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(journal_intent(j, "", req, 1), -1);
    assert_int_equal(errno, EINVAL);
    static uint8_t big[JOURNAL_REQ_MAX + 1];
    errno = 0;
    assert_int_equal(journal_intent(j, "x", big, sizeof big), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(journal_ack(j, "x", "id with space"), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(journal_count(j), 0);
    journal_close(&j);
    errno = 0;
    assert_null(journal_open("/proc/tp-no-such-dir/j"));
    assert_int_equal(errno, ENOENT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_torn_last_line, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
