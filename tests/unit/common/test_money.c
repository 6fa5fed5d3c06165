/*  test_money.c - unit tests of common/money (exact fixed point).
 *  Expected mantissas are worked out by hand from the decimal text: value * 10^scale.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>

#include "common/money.h"

static int
s_parse(const char *s, int scale, int64_t *out)
{
    return money_parse(s, strlen(s), scale, out);
}

static void
s_expect_parse(const char *s, int scale, int64_t want)
{
    int64_t got = 12345; /* sentinel: must be overwritten */
    assert_int_equal(s_parse(s, scale, &got), 0);
    assert_true(got == want);
}

static void
s_expect_parse_err(const char *s, int scale, int err)
{
    int64_t got = 777;
    errno = 0;
    assert_int_equal(s_parse(s, scale, &got), -1);
    assert_int_equal(errno, err);
    assert_true(got == 777); /* out-parameter untouched on failure */
}

static void
s_expect_fmt(int64_t m, int scale, const char *want)
{
    char buf[64];
    int n = money_fmt(m, scale, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
}

static void
test_parse_ok(void **state)
{
    (void)state;
    s_expect_parse("0.00001", 5, 1);              /* 1e-5 * 1e5 */
    s_expect_parse("65114.20", 2, 6511420);       /* 65114.20 * 100 */
    s_expect_parse("61837.63000000", 2, 6183763); /* trailing zeros beyond scale accepted */
    s_expect_parse("-12.5", 2, -1250);            /* -12.5 * 100 */
    s_expect_parse("+3", 2, 300);                 /* sign and padding to the scale */
    s_expect_parse("-0.00001", 5, -1);            /* sign kept on a sub-unit value */
    s_expect_parse("0", 8, 0);
    s_expect_parse("-0", 8, 0);
    s_expect_parse("007.5", 1, 75); /* leading zeros are fine */
    s_expect_parse("9223372036854775807", 0, INT64_MAX);
    s_expect_parse("-9223372036854775808", 0, INT64_MIN);
    s_expect_parse("92233720368.54775807", 8, INT64_MAX); /* INT64_MAX / 1e8 */
    /* the one-pass path takes at most 18 digits at scale, the general path the rest: both
     * sides of the edge give the same value */
    s_expect_parse("1234567890.12345678", 8, 123456789012345678);  /* 10 + 8 = 18 digits */
    s_expect_parse("12345678901.2345678", 8, 1234567890123456780); /* 11 + 8 = 19 digits */
    s_expect_parse("999999999999999999", 0, 999999999999999999);   /* 18 nines */
    s_expect_parse("-999999999.999999999000", 9, -999999999999999999);
    /* round trip: every mantissa formatted by money_fmt parses back to itself (money_fmt is
     * tested on its own in test_fmt), over a spread of magnitudes and scales */
    for (int i = 0; i < 62; i++) {
        int64_t m = ((int64_t)1 << i) + i % 7; /* 1 .. 2^61 + 5: every magnitude, no overflow */
        for (int scale = 0; scale <= 8; scale++) {
            char buf[64];
            int64_t back;
            assert_true(money_fmt(m, scale, buf, sizeof buf) > 0);
            assert_int_equal(money_parse(buf, strlen(buf), scale, &back), 0);
            assert_true(back == m);
            assert_true(money_fmt(-m, scale, buf, sizeof buf) > 0);
            assert_int_equal(money_parse(buf, strlen(buf), scale, &back), 0);
            assert_true(back == -m);
        }
    }
}

static void
test_parse_errors(void **state)
{
    (void)state;
    s_expect_parse_err("65114.25", 1, EINVAL); /* a non-zero digit beyond the scale */
    s_expect_parse_err("", 2, EINVAL);
    s_expect_parse_err("1.2.3", 2, EINVAL);
    s_expect_parse_err("abc", 2, EINVAL);
    s_expect_parse_err("1e5", 2, EINVAL);
    s_expect_parse_err("1e-5", 5, EINVAL);
    s_expect_parse_err("-", 2, EINVAL);
    s_expect_parse_err(".5", 2, EINVAL);
    s_expect_parse_err("5.", 2, EINVAL);
    s_expect_parse_err(" 5", 2, EINVAL);
    s_expect_parse_err("5 ", 2, EINVAL);
    s_expect_parse_err("--5", 2, EINVAL);
    s_expect_parse_err("1", -1, EINVAL);                   /* bad scale */
    s_expect_parse_err("1", MONEY_MAX_SCALE + 1, EINVAL);  /* bad scale */
    s_expect_parse_err("12345678901234567890", 0, ERANGE); /* 20 digits > INT64_MAX */
    s_expect_parse_err("9223372036854775808", 0, ERANGE);  /* INT64_MAX + 1 */
    s_expect_parse_err("-9223372036854775809", 0, ERANGE); /* INT64_MIN - 1 */
    s_expect_parse_err("92233720368.54775808", 8, ERANGE); /* INT64_MAX + 1 at scale 8 */
    s_expect_parse_err("100000000000", 8, ERANGE);         /* 1e11 * 1e8 = 1e19 */
    s_expect_parse_err("1.000000001", 8, EINVAL);          /* extra non-zero after zeros */
    s_expect_parse_err("12-3", 2, EINVAL);

    int64_t v = 5;
    errno = 0;
    assert_int_equal(money_parse(NULL, 0, 2, &v), -1);
    assert_int_equal(errno, EINVAL);
    /* len bounds the text: "1.25xyz" with len 4 is "1.25" */
    assert_int_equal(money_parse("1.25xyz", 4, 2, &v), 0);
    assert_true(v == 125);
}

static void
test_fmt(void **state)
{
    (void)state;
    s_expect_fmt(-1250, 2, "-12.50");          /* negative PnL */
    s_expect_fmt(-50000000, 8, "-0.50000000"); /* -0.5 at scale 8 */
    s_expect_fmt(-1, 5, "-0.00001");           /* sign survives a zero integer part */
    s_expect_fmt(6511420, 2, "65114.20");
    s_expect_fmt(0, 2, "0.00");
    s_expect_fmt(0, 0, "0");
    s_expect_fmt(42, 0, "42");
    s_expect_fmt(INT64_MIN, 0, "-9223372036854775808");
    s_expect_fmt(INT64_MIN, 18, "-9.223372036854775808");
    s_expect_fmt(INT64_MAX, 8, "92233720368.54775807");

    char buf[64];
    errno = 0;
    assert_int_equal(money_fmt(1, 19, buf, sizeof buf), -1);
    assert_int_equal(errno, EINVAL);
    /* "65114.20" needs 9 bytes with the NUL */
    errno = 0;
    assert_int_equal(money_fmt(6511420, 2, buf, 8), -1);
    assert_int_equal(errno, ERANGE);
    assert_int_equal(money_fmt(6511420, 2, buf, 9), 8);

    assert_int_equal(money_fmt_trim(6511420, 2, buf, sizeof buf), 7);
    assert_string_equal(buf, "65114.2");
    assert_int_equal(money_fmt_trim(500, 2, buf, sizeof buf), 1);
    assert_string_equal(buf, "5");
    assert_int_equal(money_fmt_trim(-1, 5, buf, sizeof buf), 8);
    assert_string_equal(buf, "-0.00001");
    assert_int_equal(money_fmt_trim(0, 3, buf, sizeof buf), 1);
    assert_string_equal(buf, "0");
    errno = 0;
    assert_int_equal(money_fmt_trim(6511420, 2, buf, 7), -1); /* needs 8 */
    assert_int_equal(errno, ERANGE);

    /* parse(fmt(m)) == m over a spread of values and scales */
    const int64_t ms[] = { 0, 1, -1, 9, -10, 123456789, -987654321012, INT64_MAX, INT64_MIN };
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        for (int sc = 0; sc <= MONEY_MAX_SCALE; sc++) {
            int64_t back = 0;
            int n = money_fmt(ms[i], sc, buf, sizeof buf);
            assert_true(n > 0);
            assert_int_equal(money_parse(buf, (size_t)n, sc, &back), 0);
            assert_true(back == ms[i]);
        }
    }
}

static void
test_decimals(void **state)
{
    (void)state;
    assert_int_equal(money_decimals("0.010", 5), 2);
    assert_int_equal(money_decimals("0.10", 4), 1);
    assert_int_equal(money_decimals("0.001", 5), 3);
    assert_int_equal(money_decimals("0.000001", 8), 6);
    assert_int_equal(money_decimals("5", 1), 0);
    assert_int_equal(money_decimals("1.000", 5), 0);
    errno = 0;
    assert_int_equal(money_decimals("1e-5", 4), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(money_decimals("", 0), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(money_decimals("0.0000000000000000001", 21), -1); /* 19 decimals */
    assert_int_equal(errno, EINVAL);
}

static void
test_round_to(void **state)
{
    (void)state;
    int64_t out = 0;
    /* price 65114.27 at scale 2 on tick 0.10 (10 units): down 65114.20, up 65114.30 */
    assert_int_equal(money_round_to(6511427, 10, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == 6511420);
    assert_int_equal(money_round_to(6511427, 10, MONEY_ROUND_UP, &out), 0);
    assert_true(out == 6511430);
    assert_int_equal(money_round_to(6511420, 10, MONEY_ROUND_UP, &out), 0); /* on tick */
    assert_true(out == 6511420);
    /* qty 0.0379 at scale 4 down to step 0.001 (10 units) = 0.0370 */
    assert_int_equal(money_round_to(379, 10, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == 370);
    /* negatives: floor -1.25 on step 0.1 -> -1.3, ceil -> -1.2, zero -> -1.2 */
    assert_int_equal(money_round_to(-125, 10, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == -130);
    assert_int_equal(money_round_to(-125, 10, MONEY_ROUND_UP, &out), 0);
    assert_true(out == -120);
    assert_int_equal(money_round_to(-125, 10, MONEY_ROUND_ZERO, &out), 0);
    assert_true(out == -120);
    /* half-even: 1.25 -> 1.2, 1.35 -> 1.4, -1.25 -> -1.2, 1.26 -> 1.3, -1.35 -> -1.4 */
    assert_int_equal(money_round_to(125, 10, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 120);
    assert_int_equal(money_round_to(135, 10, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 140);
    assert_int_equal(money_round_to(-125, 10, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == -120);
    assert_int_equal(money_round_to(126, 10, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 130);
    assert_int_equal(money_round_to(-135, 10, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == -140);

    out = 99;
    errno = 0;
    assert_int_equal(money_round_to(5, 0, MONEY_ROUND_DOWN, &out), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(money_round_to(5, -10, MONEY_ROUND_DOWN, &out), -1);
    assert_int_equal(errno, EINVAL);
    /* INT64_MAX rounded up to a multiple of 10 is past INT64_MAX */
    errno = 0;
    assert_int_equal(money_round_to(INT64_MAX, 10, MONEY_ROUND_UP, &out), -1);
    assert_int_equal(errno, ERANGE);
    assert_true(out == 99);
}

static void
test_rescale(void **state)
{
    (void)state;
    int64_t out = 0;
    /* 65114.20 at 2 -> at 8: 6511420000000 */
    assert_int_equal(money_rescale(6511420, 2, 8, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == 6511420000000LL);
    /* 1.2345 at 4 -> at 2: down 1.23, up 1.24, half-even 1.23 (0.45 < 0.5) */
    assert_int_equal(money_rescale(12345, 4, 2, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == 123);
    assert_int_equal(money_rescale(12345, 4, 2, MONEY_ROUND_UP, &out), 0);
    assert_true(out == 124);
    assert_int_equal(money_rescale(12345, 4, 2, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 123);
    /* 0.125 -> 0.12 and 0.135 -> 0.14 half-even; -0.125 -> -0.12 */
    assert_int_equal(money_rescale(125, 3, 2, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 12);
    assert_int_equal(money_rescale(135, 3, 2, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 14);
    assert_int_equal(money_rescale(-125, 3, 2, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == -12);
    out = 99;
    errno = 0;
    assert_int_equal(money_rescale(INT64_MAX, 0, 1, MONEY_ROUND_DOWN, &out), -1);
    assert_int_equal(errno, ERANGE);
    errno = 0;
    assert_int_equal(money_rescale(1, 0, 19, MONEY_ROUND_DOWN, &out), -1);
    assert_int_equal(errno, EINVAL);
    assert_true(out == 99);
}

static void
test_mul(void **state)
{
    (void)state;
    int64_t out = 0;
    /* notional 65114.20 x 0.001 = 65.1142 -> at scale 8: 6511420000 */
    assert_int_equal(money_mul(6511420, 2, 1, 3, MONEY_VALUE_SCALE, MONEY_ROUND_HALF_EVEN, &out),
                     0);
    assert_true(out == 6511420000LL);
    char buf[40];
    assert_int_equal(money_fmt(out, MONEY_VALUE_SCALE, buf, sizeof buf), 11);
    assert_string_equal(buf, "65.11420000");
    /* 0.123 x 0.5 = 0.0615 -> scale 3: down 0.061, up 0.062, half-even 0.062 (0.5 -> even 2) */
    assert_int_equal(money_mul(123, 3, 5, 1, 3, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == 61);
    assert_int_equal(money_mul(123, 3, 5, 1, 3, MONEY_ROUND_UP, &out), 0);
    assert_true(out == 62);
    assert_int_equal(money_mul(123, 3, 5, 1, 3, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 62);
    /* 0.125 x 1 at scale 2, half-even -> 0.12; -0.125 -> -0.12; down -0.125 -> -0.13 */
    assert_int_equal(money_mul(125, 3, 1, 0, 2, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 12);
    assert_int_equal(money_mul(-125, 3, 1, 0, 2, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == -12);
    assert_int_equal(money_mul(-125, 3, 1, 0, 2, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == -13);
    /* scale up: 2 x 3 at (0,0) -> scale 18 = 6e18 fits; 10 x 1 -> 1e19 does not */
    assert_int_equal(money_mul(2, 0, 3, 0, 18, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == 6000000000000000000LL);
    out = 99;
    errno = 0;
    assert_int_equal(money_mul(10, 0, 1, 0, 18, MONEY_ROUND_DOWN, &out), -1);
    assert_int_equal(errno, ERANGE);
    /* a product past int64 even after scaling down: 9e18 x 9e18 at scale 18 -> 8.1e19 */
    errno = 0;
    assert_int_equal(
        money_mul(9000000000000000000LL, 9, 9000000000000000000LL, 9, 0, MONEY_ROUND_DOWN, &out),
        -1);
    assert_int_equal(errno, ERANGE);
    assert_true(out == 99);
    /* the 128-bit intermediate keeps a large product exact when it scales down:
     * (INT64_MAX at 18) x (1e18 at 18) = INT64_MAX at 18 */
    assert_int_equal(
        money_mul(INT64_MAX, 18, 1000000000000000000LL, 18, 18, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == INT64_MAX);
    errno = 0;
    assert_int_equal(money_mul(1, 19, 1, 0, 0, MONEY_ROUND_DOWN, &out), -1);
    assert_int_equal(errno, EINVAL);
}

static void
test_div(void **state)
{
    (void)state;
    int64_t out = 0;
    /* 10 / 3 at scale 2: down 3.33, up 3.34, half-even 3.33 */
    assert_int_equal(money_div(10, 0, 3, 0, 2, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == 333);
    assert_int_equal(money_div(10, 0, 3, 0, 2, MONEY_ROUND_UP, &out), 0);
    assert_true(out == 334);
    assert_int_equal(money_div(10, 0, 3, 0, 2, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 333);
    /* -10 / 3: down -3.34, zero -3.33 */
    assert_int_equal(money_div(-10, 0, 3, 0, 2, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == -334);
    assert_int_equal(money_div(-10, 0, 3, 0, 2, MONEY_ROUND_ZERO, &out), 0);
    assert_true(out == -333);
    /* average price: notional 65.11420000 (scale 8) / qty 0.001 (scale 3) at px scale 2 */
    assert_int_equal(money_div(6511420000LL, 8, 1, 3, 2, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 6511420);
    /* negative divisor: 1 / -8 at scale 2 = -0.125 -> half-even -0.12, down -0.13 */
    assert_int_equal(money_div(1, 0, -8, 0, 2, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == -12);
    assert_int_equal(money_div(1, 0, -8, 0, 2, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == -13);
    /* a = 1 at scale 18, b = 1 at 0, out 0: 1e-18 -> up 1, down 0 (e = -18) */
    assert_int_equal(money_div(1, 18, 1, 0, 0, MONEY_ROUND_UP, &out), 0);
    assert_true(out == 1);
    assert_int_equal(money_div(1, 18, 1, 0, 0, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == 0);
    out = 99;
    errno = 0;
    assert_int_equal(money_div(1, 0, 0, 0, 2, MONEY_ROUND_DOWN, &out), -1);
    assert_int_equal(errno, EINVAL);
    /* 1e18 / 1e-18 = 1e36: ERANGE (e = 36 takes the early overflow check) */
    errno = 0;
    assert_int_equal(money_div(1000000000000000000LL, 0, 1, 18, 18, MONEY_ROUND_DOWN, &out), -1);
    assert_int_equal(errno, ERANGE);
    errno = 0;
    assert_int_equal(money_div(INT64_MAX, 0, 1, 0, 1, MONEY_ROUND_DOWN, &out), -1);
    assert_int_equal(errno, ERANGE);
    assert_true(out == 99);
}

static void
test_add_sub_pow(void **state)
{
    (void)state;
    int64_t out = 0;
    assert_int_equal(money_add(5, -7, &out), 0);
    assert_true(out == -2);
    assert_int_equal(money_sub(5, -7, &out), 0);
    assert_true(out == 12);
    out = 99;
    errno = 0;
    assert_int_equal(money_add(INT64_MAX, 1, &out), -1);
    assert_int_equal(errno, ERANGE);
    errno = 0;
    assert_int_equal(money_sub(INT64_MIN, 1, &out), -1);
    assert_int_equal(errno, ERANGE);
    assert_true(out == 99);
    assert_true(money_pow10(0) == 1);
    assert_true(money_pow10(8) == 100000000LL);
    assert_true(money_pow10(18) == 1000000000000000000LL);
    errno = 0;
    assert_true(money_pow10(19) == -1);
    assert_int_equal(errno, EINVAL);
}

static void
test_double(void **state)
{
    (void)state;
    int64_t out = 0;
    assert_true(fabs(money_to_double(6511420, 2) - 65114.2) < 1e-9);
    /* 0.1 * 100 is 10.000000000000002 in binary: UP must still give 10 */
    assert_int_equal(money_from_double(0.1, 2, MONEY_ROUND_UP, &out), 0);
    assert_true(out == 10);
    /* 65114.27 -> tick-free scale 1: down 651142, up 651143, half-even 651143 (.7) */
    assert_int_equal(money_from_double(65114.27, 1, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == 651142);
    assert_int_equal(money_from_double(65114.27, 1, MONEY_ROUND_UP, &out), 0);
    assert_true(out == 651143);
    assert_int_equal(money_from_double(65114.27, 1, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 651143);
    /* 2.5 and 3.5 at scale 0 half-even -> 2 and 4; -2.5 -> -2; -2.5 down -> -3 */
    assert_int_equal(money_from_double(2.5, 0, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 2);
    assert_int_equal(money_from_double(3.5, 0, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == 4);
    assert_int_equal(money_from_double(-2.5, 0, MONEY_ROUND_HALF_EVEN, &out), 0);
    assert_true(out == -2);
    assert_int_equal(money_from_double(-2.5, 0, MONEY_ROUND_DOWN, &out), 0);
    assert_true(out == -3);
    assert_int_equal(money_from_double(-2.5, 0, MONEY_ROUND_ZERO, &out), 0);
    assert_true(out == -2);
    out = 99;
    errno = 0;
    assert_int_equal(money_from_double(NAN, 2, MONEY_ROUND_DOWN, &out), -1);
    assert_int_equal(errno, ERANGE);
    errno = 0;
    assert_int_equal(money_from_double(INFINITY, 2, MONEY_ROUND_DOWN, &out), -1);
    assert_int_equal(errno, ERANGE);
    errno = 0;
    assert_int_equal(money_from_double(1e11, 8, MONEY_ROUND_DOWN, &out), -1); /* 1e19 */
    assert_int_equal(errno, ERANGE);
    assert_true(out == 99);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),    cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_fmt),         cmocka_unit_test(test_decimals),
        cmocka_unit_test(test_round_to),    cmocka_unit_test(test_rescale),
        cmocka_unit_test(test_mul),         cmocka_unit_test(test_div),
        cmocka_unit_test(test_add_sub_pow), cmocka_unit_test(test_double),
    };
    return cmocka_run_group_tests_name("money", tests, NULL, NULL);
}
