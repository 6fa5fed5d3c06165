/*  test_sltp.c - signal/sltp: exact stop/target levels, values derived by hand below. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "signal/sltp.h"

/* ref 110000.12 (scale 2), tick 0.01 (1), stop 0.5 % (5000), take 1.0 % (10000):
 *   BUY  sl = 110000.12 * 0.995 = 109450.1194  -> DOWN 109450.11
 *        tp = 110000.12 * 1.010 = 111100.1212  -> UP   111100.13
 *   SELL sl = 110000.12 * 1.005 = 110550.1206  -> UP   110550.13
 *        tp = 110000.12 * 0.990 = 108900.1188  -> DOWN 108900.11 */
static void
test_tick_001(void **state)
{
    (void)state;
    int64_t sl = 0, tp = 0;
    assert_int_equal(sltp_levels(1, 11000012, 2, 1, 5000, 10000, &sl, &tp), 0);
    assert_int_equal(sl, 10945011);
    assert_int_equal(tp, 11110013);
    assert_int_equal(sltp_levels(-1, 11000012, 2, 1, 5000, 10000, &sl, &tp), 0);
    assert_int_equal(sl, 11055013);
    assert_int_equal(tp, 10890011);
}

/* ref 110000.10, tick 0.10 (10 at scale 2):
 *   BUY  sl = 109450.0995 -> DOWN to 0.10: 109450.00;  tp = 111100.101 -> UP: 111100.20
 *   SELL sl = 110550.1005 -> UP: 110550.20;            tp = 108900.099 -> DOWN: 108900.00
 * An exact product stays put: ref 100.00, 1 %: 101.00 / 99.00 on either rounding. */
static void
test_tick_010_and_exact(void **state)
{
    (void)state;
    int64_t sl = 0, tp = 0;
    assert_int_equal(sltp_levels(1, 11000010, 2, 10, 5000, 10000, &sl, &tp), 0);
    assert_int_equal(sl, 10945000);
    assert_int_equal(tp, 11110020);
    assert_int_equal(sltp_levels(-1, 11000010, 2, 10, 5000, 10000, &sl, &tp), 0);
    assert_int_equal(sl, 11055020);
    assert_int_equal(tp, 10890000);
    assert_int_equal(sltp_levels(1, 10000, 2, 1, 10000, 10000, &sl, &tp), 0);
    assert_int_equal(sl, 9900);
    assert_int_equal(tp, 10100);
    /* 0 % = no level */
    assert_int_equal(sltp_levels(1, 10000, 2, 1, 0, 10000, &sl, &tp), 0);
    assert_int_equal(sl, 0);
    assert_int_equal(tp, 10100);
}

static void
test_errors(void **state)
{
    (void)state;
    int64_t sl = 7, tp = 7;
    errno = 0;
    assert_int_equal(sltp_levels(0, 10000, 2, 1, 5000, 5000, &sl, &tp), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(sltp_levels(1, 0, 2, 1, 5000, 5000, &sl, &tp), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(sltp_levels(1, 10000, 2, 0, 5000, 5000, &sl, &tp), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(sltp_levels(1, 10000, 19, 1, 5000, 5000, &sl, &tp), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(sltp_levels(1, 10000, 2, 1, SLTP_PCT_MAX + 1, 5000, &sl, &tp), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(sltp_levels(1, 10000, 2, 1, 5000, -1, &sl, &tp), -1);
    assert_int_equal(errno, EINVAL);
    /* a target of INT64_MAX * 1.01 does not fit */
    errno = 0;
    assert_int_equal(sltp_levels(1, INT64_MAX, 2, 1, 5000, 10000, &sl, &tp), -1);
    assert_int_equal(errno, ERANGE);
    assert_int_equal(sl, 7); /* untouched on failure */
    assert_int_equal(tp, 7);
}

/* sltp_dist: BUY at 100.00 (scale 2), tick 0.05 (5), stop 1.234 -> 1.24 rounded up (never
 * closer) -> 98.76 -> down to the tick 98.75; take 2.468 -> 2.47 -> 102.47 -> up 102.50.
 * SELL mirrored: sl 101.24 -> up 101.25, tp 97.53 -> down 97.50. */
static void
test_dist(void **state)
{
    (void)state;
    int64_t sl = 7, tp = 7;
    assert_int_equal(sltp_dist(1, 10000, 2, 5, 1.234, 2.468, &sl, &tp), 0);
    assert_int_equal(sl, 9875);
    assert_int_equal(tp, 10250);
    assert_int_equal(sltp_dist(-1, 10000, 2, 5, 1.234, 2.468, &sl, &tp), 0);
    assert_int_equal(sl, 10125);
    assert_int_equal(tp, 9750);
    assert_int_equal(sltp_dist(1, 10000, 2, 5, 0, 0, &sl, &tp), 0); /* none */
    assert_int_equal(sl, 0);
    assert_int_equal(tp, 0);
    sl = tp = 7;
    errno = 0;
    assert_int_equal(sltp_dist(1, 10000, 2, 5, -1, 1, &sl, &tp), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(sltp_dist(1, 10000, 2, 5, NAN, 1, &sl, &tp), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(sltp_dist(2, 10000, 2, 5, 1, 1, &sl, &tp), -1);
    assert_int_equal(errno, EINVAL);
    /* a BUY stop 150.00 below 100.00 would be negative */
    errno = 0;
    assert_int_equal(sltp_dist(1, 10000, 2, 5, 150, 1, &sl, &tp), -1);
    assert_int_equal(errno, ERANGE);
    assert_int_equal(sl, 7);
    assert_int_equal(tp, 7);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dist),
        cmocka_unit_test(test_tick_001),
        cmocka_unit_test(test_tick_010_and_exact),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("sltp", tests, NULL, NULL);
}
