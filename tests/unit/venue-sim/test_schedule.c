/*  test_schedule.c - replay steps (tools/venue-sim/schedule.h). Expected steps worked out by
 *  hand from the rule: T = first unsent time aligned down to step_ms, step = [T, T+step_ms);
 *  pace adds min(gap between step starts, idle cap).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tools/venue-sim/schedule.h"

static void
s_expect(sched_t *s, uint64_t step, size_t first, size_t end, int64_t t, int64_t pace, bool last)
{
    sched_step_t st;
    assert_int_equal(sched_next(s, &st), 0);
    assert_int_equal(st.step, step);
    assert_int_equal(st.first, first);
    assert_int_equal(st.end, end);
    assert_int_equal(st.t_ms, t);
    assert_int_equal(st.end_ms, t + 100);
    assert_int_equal(st.pace_ms, pace);
    assert_int_equal(st.last, last);
}

static void
test_steps_align_skip_and_end(void **state)
{
    (void)state;
    const int64_t ts[] = { 1034, 1050, 1099, 1100, 1250, 9000, 9001, 9099 };
    sched_t *s = sched_new(ts, 8, 100, 5000);
    assert_non_null(s);
    assert_int_equal(sched_total(s), 4);
    s_expect(s, 1, 0, 3, 1000, 0, false);   /* 1034 aligned down to 1000: 1034,1050,1099 */
    s_expect(s, 2, 3, 4, 1100, 100, false); /* 1100 opens the next window */
    s_expect(s, 3, 4, 5, 1200, 200, false); /* 1250 -> [1200,1300) */
    s_expect(s, 4, 5, 8, 9000, 5200, true); /* gap 7800 ms skipped; pace adds the 5000 cap */
    sched_step_t st = { .step = 99 };
    errno = 0;
    assert_int_equal(sched_next(s, &st), -1);
    assert_int_equal(errno, ENODATA);
    assert_int_equal(st.step, 99); /* untouched */
    sched_destroy(&s);
    assert_null(s);
}

static void
test_equal_times_one_step(void **state)
{
    (void)state;
    const int64_t ts[] = { 500, 500, 500 };
    sched_t *s = sched_new(ts, 3, 100, 0);
    assert_int_equal(sched_total(s), 1);
    s_expect(s, 1, 0, 3, 500, 0, true);
    sched_destroy(&s);
}

static void
test_idle_cap_zero_and_window_edge(void **state)
{
    (void)state;
    const int64_t ts[] = { 199, 200, 100000 };
    sched_t *s = sched_new(ts, 3, 100, 0);
    assert_int_equal(sched_total(s), 3);
    s_expect(s, 1, 0, 1, 100, 0, false); /* 199 in [100,200); 200 is the exclusive end */
    s_expect(s, 2, 1, 2, 200, 0, false); /* cap 0: no wall wait at all */
    s_expect(s, 3, 2, 3, 100000, 0, true);
    sched_destroy(&s);
}

static void
test_empty_timeline(void **state)
{
    (void)state;
    sched_t *s = sched_new(NULL, 0, 100, 5000);
    assert_non_null(s);
    assert_int_equal(sched_total(s), 1);
    sched_step_t st;
    assert_int_equal(sched_next(s, &st), 0);
    assert_int_equal(st.step, 1);
    assert_int_equal(st.first, 0);
    assert_int_equal(st.end, 0);
    assert_true(st.last);
    assert_int_equal(sched_next(s, &st), -1);
    assert_int_equal(errno, ENODATA);
    sched_destroy(&s);
}

static void
test_bad_arguments(void **state)
{
    (void)state;
    const int64_t unsorted[] = { 10, 5 };
    const int64_t ok[] = { 1 };
    errno = 0;
    assert_null(sched_new(unsorted, 2, 100, 5000));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(sched_new(ok, 1, 0, 5000));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(sched_new(ok, 1, 100, -1));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(sched_new(NULL, 3, 100, 5000));
    assert_int_equal(errno, EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps_align_skip_and_end),
        cmocka_unit_test(test_equal_times_one_step),
        cmocka_unit_test(test_idle_cap_zero_and_window_edge),
        cmocka_unit_test(test_empty_timeline),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests_name("venue-sim schedule", tests, NULL, NULL);
}
