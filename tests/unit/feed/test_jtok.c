/*  test_jtok.c - the jsmn token reader of venue frames: parse errors, key lookups, subtree
 *  skips and the per-level reader jtok_level (every error path with its errno). Expected
 *  values are read off the literal frames in each test. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "feed/jtok.h"

static int
s_parse(jtok_t *t, const char *js)
{
    return jtok_parse(t, js, strlen(js));
}

static void
test_parse_errors(void **state)
{
    (void)state;
    jtok_t *t = jtok_new(8);
    assert_non_null(t);
    errno = 0;
    assert_int_equal(s_parse(t, "{\"a\":"), -1); /* cut */
    assert_int_equal(errno, EPROTO);
    errno = 0;
    assert_int_equal(s_parse(t, "\"x\""), -1); /* root not an object or array */
    assert_int_equal(errno, EPROTO);
    errno = 0;
    assert_int_equal(s_parse(t, "{\"a\":1} x"), -1); /* junk after the value */
    assert_int_equal(errno, EPROTO);
    errno = 0;
    assert_int_equal(s_parse(t, "[1,2,3,4,5,6,7,8,9]"), -1); /* 10 tokens, room for 8 */
    assert_int_equal(errno, ENOBUFS);
    assert_int_equal(s_parse(t, "{\"a\":1}\n"), 3); /* object, key, value; trailing newline ok */
    jtok_destroy(&t);
    assert_null(t);
    errno = 0;
    assert_null(jtok_new(0));
    assert_int_equal(errno, EINVAL);
}

static void
test_get_and_skip(void **state)
{
    (void)state;
    jtok_t *t = jtok_new(64);
    const char *js = "{\"topic\":\"x\",\"data\":{\"b\":[[\"1\",\"2\"],[\"3\",\"4\"]],\"u\":7},"
                     "\"ts\":12,\"t\":\"ab\"}";
    assert_true(s_parse(t, js) > 0);
    int data = jtok_get(t, 0, "data");
    assert_int_equal(jtok_type(t, data), JTOK_OBJECT);
    int64_t v;
    /* "ts" comes after the whole "data" subtree: the lookup skips it */
    assert_int_equal(jtok_i64(t, jtok_get(t, 0, "ts"), &v), 0);
    assert_true(v == 12);
    assert_int_equal(jtok_i64(t, jtok_get(t, data, "u"), &v), 0);
    assert_true(v == 7);
    assert_int_equal(jtok_get(t, 0, "tx"), -1);   /* same first letter, other key */
    assert_int_equal(jtok_get(t, 0, "t") > 0, 1); /* a key that is a prefix of "topic"/"ts" */
    assert_true(jtok_streq(t, jtok_get(t, 0, "t"), "ab"));
    assert_int_equal(jtok_getn(t, 0, "topicX", 5) > 0, 1); /* the length bounds the key */
    assert_int_equal(jtok_get(t, 0, ""), -1);
    assert_int_equal(jtok_get(t, jtok_get(t, 0, "ts"), "a"), -1); /* not an object */
    jtok_destroy(&t);
}

static void
test_level(void **state)
{
    (void)state;
    jtok_t *t = jtok_new(64);
    int64_t px = -1, qty = -1;
    /* [["65114.2","0.005"],["65114.1","25.42618900"],["1","0"]] at px scale 1, qty scale 3 */
    assert_true(s_parse(t, "[[\"65114.2\",\"0.005\"],[\"65114.1\",\"25.42618900\"],[\"1\",\"0\"]]")
                > 0);
    int j = jtok_level(t, 1, 1, 3, false, &px, &qty);
    assert_int_equal(j, 4); /* array, "65114.2", "0.005": the next level starts at token 4 */
    assert_true(px == 651142 && qty == 5);
    /* "25.42618900" has digits beyond 3 decimals: refused unless rounding is asked for */
    errno = 0;
    assert_int_equal(jtok_level(t, j, 1, 3, false, &px, &qty), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(jtok_level(t, j, 1, 3, true, &px, &qty), 7);
    assert_true(px == 651141 && qty == 25426); /* 25.42618900 -> 25.426 (half-even) */
    /* at scale 0 it would round to 25; at scale 0 "0.4" rounds to 0: made 1 (never a delete) */
    assert_true(s_parse(t, "[[\"5\",\"0.4\"],[\"5\",\"0\"]]") > 0);
    assert_int_equal(jtok_level(t, 1, 0, 0, true, &px, &qty), 4);
    assert_true(qty == 1);
    assert_int_equal(jtok_level(t, 4, 0, 0, true, &px, &qty), 7);
    assert_true(qty == 0); /* an exact zero stays a delete */
    /* not a level: a number instead of a string, one element, not an array, out of range */
    const char *bad[] = { "[[5,\"1\"]]", "[[\"5\"]]", "[\"5\",\"1\"]", "[[\"5\",\"x\"]]" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_true(s_parse(t, bad[i]) > 0);
        errno = 0;
        assert_int_equal(jtok_level(t, 1, 0, 0, true, &px, &qty), -1);
        assert_int_equal(errno, EINVAL);
    }
    assert_true(s_parse(t, "[[\"99999999999999999999\",\"1\"]]") > 0);
    errno = 0;
    assert_int_equal(jtok_level(t, 1, 0, 0, false, &px, &qty), -1);
    assert_int_equal(errno, ERANGE);
    assert_int_equal(jtok_level(t, 40, 0, 0, false, &px, &qty), -1); /* past the tokens */
    jtok_destroy(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_get_and_skip),
        cmocka_unit_test(test_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
