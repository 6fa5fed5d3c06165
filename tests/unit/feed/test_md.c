/*  test_md.c - feed/md helpers: the clock-skew meter (md_skew_add) on real receive times (the
 *  Binance USD-M capture, data/binance/usdm_btcusdt_20240808.gz: each line carries the
 *  recording host's receive time in ns next to the venue's event time E in ms, PROVENANCE
 *  section 2), md_interval and md_strlcpy.
 *  Expected skew figures come from a plain scan of the same lines in this test (min/max of
 *  recv - E), not from the meter; the recording host ran ~1.2-1.3 s BEHIND Binance (frames
 *  "arrive" before their event time), so every sample is over a 1000 ms bound and none over
 *  1300 ms.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <zlib.h>

#include "common/log.h"
#include "feed/md.h"

#define k_ms 1000000LL

static void
test_skew_recorded_binance(void **state)
{
    (void)state;
    gzFile gz = gzopen("data/binance/usdm_btcusdt_20240808.gz", "rb");
    assert_non_null(gz);
    static char line[1 << 20];
    md_skew_t a = { 0 }, b = { 0 };
    int up_a = 0, down_a = 0, up_b = 0;
    long n = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    while (gzgets(gz, line, (int)sizeof line)) {
        int64_t recv = strtoll(line, NULL, 10);
        json_t *j = json_loads(strchr(line, ' ') + 1, 0, NULL);
        json_t *d = json_object_get(j, "data");
        json_t *e = json_object_get(d ? d : j, "E");
        if (json_is_integer(e)) {
            int64_t evt = json_integer_value(e) * k_ms;
            lo = recv - evt < lo ? recv - evt : lo;
            hi = recv - evt > hi ? recv - evt : hi;
            int r = md_skew_add(&a, evt, recv, 1000 * k_ms);
            up_a += r > 0;
            down_a += r < 0;
            up_b += md_skew_add(&b, evt, recv, 1300 * k_ms) > 0;
            n++;
        }
        json_decref(j);
    }
    gzclose(gz);
    print_message(
        "recorded Binance skew (recv - E): n %ld, min %lld ms, max %lld ms, mean %lld ms\n", n,
        (long long)(a.min / k_ms), (long long)(a.max / k_ms), (long long)(a.sum_ms / a.n));
    assert_int_equal(a.n, n);
    assert_true(n > 90000);
    assert_int_equal(a.min, lo);
    assert_int_equal(a.max, hi);
    assert_true(hi < -1000 * k_ms && lo > -1300 * k_ms); /* the recording's skew */
    assert_int_equal(up_a, 1); /* one warning for the whole capture, no flapping */
    assert_int_equal(down_a, 0);
    assert_true(a.over);
    assert_int_equal(up_b, 0); /* under a 1300 ms bound: measured, never over */
    assert_false(b.over);
    assert_true(a.sum_ms / a.n < -1000 && a.sum_ms / a.n > -1300);
}

static void
test_skew_hysteresis_and_non_samples(void **state)
{
    (void)state;
    md_skew_t s = { 0 };
    const int64_t bound = 1000 * k_ms;
    assert_int_equal(md_skew_add(&s, 0, 5, bound), 0); /* no event time: not a sample */
    assert_int_equal(md_skew_add(&s, 5, 0, bound), 0);
    assert_int_equal(s.n, 0);
    int64_t t = 1700000000000LL * k_ms;
    assert_int_equal(md_skew_add(&s, t, t + 999 * k_ms, bound), 0);
    assert_int_equal(md_skew_add(&s, t, t + 1001 * k_ms, bound), 1); /* over */
    assert_int_equal(md_skew_add(&s, t, t + 2000 * k_ms, bound), 0); /* still over */
    assert_int_equal(md_skew_add(&s, t, t + 600 * k_ms, bound), 0);  /* above half: stays */
    assert_int_equal(md_skew_add(&s, t, t + 499 * k_ms, bound), -1); /* back under half */
    assert_int_equal(md_skew_add(&s, t, t - 1500 * k_ms, bound), 1); /* behind counts too */
    assert_int_equal(md_skew_add(&s, t, t - 1500 * k_ms, 0), 0);     /* measure only */
    assert_int_equal(s.n, 7);
    assert_int_equal(s.min, -1500 * k_ms);
    assert_int_equal(s.max, 2000 * k_ms);
}

static void
test_interval_and_strlcpy(void **state)
{
    (void)state;
    int32_t sec;
    char w[8];
    assert_int_equal(md_interval("1", 1, &sec, w, sizeof w), 0);
    assert_int_equal(sec, 60);
    assert_string_equal(w, "1m");
    assert_int_equal(md_interval("1h", 2, &sec, w, sizeof w), 0);
    assert_int_equal(sec, 3600);
    errno = 0;
    assert_int_equal(md_interval("M", 1, &sec, w, sizeof w), -1);
    assert_int_equal(errno, EINVAL);
    char small[4];
    md_strlcpy(small, "abcdef", sizeof small);
    assert_string_equal(small, "abc");
}

/* md_topic joins the words with dots, exactly as the snprintf formats it replaced */
static void
test_topic(void **state)
{
    (void)state;
    char t[64], want[64];
    assert_int_equal(md_topic(t, sizeof t, "md.book", "bybit-linear", "BTCUSDT", NULL), 28);
    snprintf(want, sizeof want, "md.book.%s.%s", "bybit-linear", "BTCUSDT");
    assert_string_equal(t, want);
    assert_int_equal(md_topic(t, sizeof t, "md.kline", "1m", "binance-usdm", "ETHUSDT"), 32);
    assert_string_equal(t, "md.kline.1m.binance-usdm.ETHUSDT");
    /* 28 characters need 29 bytes: 28 is refused with an empty string */
    errno = 0;
    assert_int_equal(md_topic(t, 28, "md.book", "bybit-linear", "BTCUSDT", NULL), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    assert_string_equal(t, "");
    assert_int_equal(md_topic(t, 29, "md.book", "bybit-linear", "BTCUSDT", NULL), 28);
}

/* Refused input: the bound (1 % = 100 bp) applies from min_frames (1000) on, fires once, and
 * 100 % is no bound. */
static void
test_refused_bound(void **state)
{
    (void)state;
    md_refused_t r = { 0 };
    /* 20 refused among the first 999 frames (2 %): under the minimum sample, nothing */
    for (int i = 0; i < 999; i++) {
        assert_int_equal(md_refused_add(&r, i < 20, 100, 1000), 0);
    }
    assert_false(r.over);
    /* frame 1000: 20 / 1000 = 2 % > 1 %: fires, once */
    assert_int_equal(md_refused_add(&r, false, 100, 1000), 1);
    assert_true(r.over);
    assert_int_equal(r.frames, 1000);
    assert_int_equal(r.refused, 20);
    assert_int_equal(md_refused_bp(&r), 200);
    assert_int_equal(md_refused_add(&r, true, 100, 1000), 0); /* latched: not again */
    /* exactly at the bound is not over: 10 of 1000 = 1.00 % */
    md_refused_t e = { 0 };
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(md_refused_add(&e, i < 10, 100, 1000), 0);
    }
    assert_false(e.over);
    assert_int_equal(md_refused_add(&e, true, 100, 1000), 1); /* 11 of 1001 */
    /* 100 % (10000 bp) is no bound: every frame refused, never fires */
    md_refused_t n = { 0 };
    for (int i = 0; i < 5000; i++) {
        assert_int_equal(md_refused_add(&n, true, 10000, 1), 0);
    }
    assert_int_equal(md_refused_bp(&n), 10000);
    /* 5 of 1440 (feed_refused.sh part B): 34 bp, under 1 % */
    md_refused_t b = { .frames = 1440, .refused = 5 };
    assert_int_equal(md_refused_bp(&b), 34);
    md_refused_t z = { 0 };
    assert_int_equal(md_refused_bp(&z), 0);
}

int
main(void)
{
    log_init("test", LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skew_recorded_binance),
        cmocka_unit_test(test_skew_hysteresis_and_non_samples),
        cmocka_unit_test(test_interval_and_strlcpy),
        cmocka_unit_test(test_topic),
        cmocka_unit_test(test_refused_bound),
    };
    return cmocka_run_group_tests_name("md", tests, NULL, NULL);
}
