/*  test_vs_faults.c - tools/venue-sim/faults.c (kept with the feed's tests: the faults exist
 *  to test the feed's recovery): fault specs, each hook's decision, the control command, and
 *  the live books (a Bybit snapshot after a re-subscribe, a Binance REST body) rebuilt from
 *  released frames. Expected books are written out by hand from the frames below.
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

#include "common/log.h"
#include "tools/venue-sim/faults.h"

static int
s_setup(void **state)
{
    (void)state;
    faults_fini();
    return 0;
}

static void
test_specs(void **state)
{
    (void)state;
    char err[160];
    const char *bad[] = { "",
                          "explode x 1",
                          "skip lbl",
                          "skip lbl 0",
                          "drop-after lbl -3",
                          "malformed lbl weird",
                          "stall lbl 0",
                          "rest-error /x 200",
                          "skip lbl 3 @x",
                          "refuse-sub lbl 1 2" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        assert_int_equal(faults_add(bad[i], err, sizeof err), -1);
        assert_int_equal(errno, EINVAL);
        assert_true(strlen(err) > 0);
    }
    assert_false(faults_on()); /* nothing armed, nothing changes */
    assert_int_equal(faults_add("skip lbl 2 @1", err, sizeof err), 0);
    assert_true(faults_on());
    json_t *r = json_object();
    assert_int_equal(faults_ctl("status", r), -1); /* not ours */
    assert_int_equal(faults_ctl("fault list", r), 0);
    assert_int_equal(json_array_size(json_object_get(r, "faults")), 1);
    json_decref(r);
    r = json_object();
    assert_int_equal(faults_ctl("fault stall", r), 0);
    assert_true(json_is_false(json_object_get(r, "ok")));
    json_decref(r);
    r = json_object();
    assert_int_equal(faults_ctl("fault clear", r), 0);
    json_decref(r);
    r = json_object();
    assert_int_equal(faults_ctl("fault list", r), 0);
    assert_int_equal(json_array_size(json_object_get(r, "faults")), 0);
    json_decref(r);
}

static void
test_hooks(void **state)
{
    (void)state;
    char err[160];
    const char *alt = NULL;
    size_t alt_len = 0;
    int64_t us = 0;
    const char *f = "{\"topic\":\"x\"}";
    size_t fl = strlen(f);
    /* skip 2 after 1 frame on lbl; other labels and plain connections untouched */
    assert_int_equal(faults_add("skip lbl 2 @1", err, sizeof err), 0);
    assert_int_equal(faults_before_write("lbl", true, true, f, fl, &alt, &alt_len, &us), 0);
    assert_false(faults_after_write("lbl", f, fl)); /* arms it */
    assert_int_equal(faults_before_write("other", true, true, f, fl, &alt, &alt_len, &us), 0);
    assert_int_equal(faults_before_write(NULL, true, true, f, fl, &alt, &alt_len, &us), 0);
    assert_int_equal(faults_before_write("lbl", true, false, f, fl, &alt, &alt_len, &us), 0);
    assert_int_equal(faults_before_write("lbl", true, true, f, fl, &alt, &alt_len, &us), 1);
    assert_int_equal(faults_before_write("lbl", true, true, f, fl, &alt, &alt_len, &us), 1);
    assert_int_equal(faults_before_write("lbl", true, true, f, fl, &alt, &alt_len, &us), 0);
    /* malformed: cut = first half of the next frame, then the frame itself */
    assert_int_equal(faults_add("malformed lbl cut", err, sizeof err), 0);
    assert_int_equal(faults_before_write("lbl", true, true, f, fl, &alt, &alt_len, &us), 2);
    assert_int_equal(alt_len, fl / 2);
    assert_memory_equal(alt, f, alt_len);
    assert_int_equal(faults_before_write("lbl", true, true, f, fl, &alt, &alt_len, &us), 0);
    assert_int_equal(faults_add("malformed lbl topic", err, sizeof err), 0);
    assert_int_equal(faults_before_write("lbl", false, true, f, fl, &alt, &alt_len, &us), 2);
    assert_non_null(strstr(alt, "btcusdt@nosuch")); /* Binance shape for a Binance conn */
    /* drop-after 2 */
    assert_int_equal(faults_add("drop-after lbl 2", err, sizeof err), 0);
    assert_false(faults_after_write("lbl", f, fl));
    assert_true(faults_after_write("lbl", f, fl));
    assert_false(faults_after_write("lbl", f, fl)); /* one-shot */
    /* stall: no write for the stall, replies included */
    assert_int_equal(faults_add("stall lbl 5", err, sizeof err), 0);
    assert_int_equal(faults_before_write("lbl", true, false, f, fl, &alt, &alt_len, &us), 3);
    assert_true(us > 4000000 && us <= 5000001);
    /* refuse-sub 2 */
    assert_int_equal(faults_add("refuse-sub sub 2", err, sizeof err), 0);
    assert_true(faults_refuse_sub("sub"));
    assert_true(faults_refuse_sub("sub"));
    assert_false(faults_refuse_sub("sub"));
    /* rest-error: 429 in the venue's shape, once */
    assert_int_equal(faults_add("rest-error /v5/market 429", err, sizeof err), 0);
    assert_int_equal(faults_add("rest-error /usdm/ 503 1", err, sizeof err), 0);
    char *body = NULL;
    assert_int_equal(faults_rest("/v5/market/instruments-info", &body), 429);
    assert_non_null(strstr(body, "\"retCode\":10006"));
    free(body);
    assert_int_equal(faults_rest("/v5/market/instruments-info", &body), 0);
    assert_int_equal(faults_rest("/usdm/fapi/v1/depth", &body), 503);
    assert_non_null(strstr(body, "\"code\":-1000"));
    free(body);
}

static void
test_live_books(void **state)
{
    (void)state;
    faults_init();
    assert_null(faults_bybit_snapshot(0, "orderbook.2.BTCUSDT")); /* nothing released yet */
    const char *snap = "{\"topic\":\"orderbook.2.BTCUSDT\",\"type\":\"snapshot\",\"ts\":10,"
                       "\"data\":{\"s\":\"BTCUSDT\",\"b\":[[\"100.0\",\"1\"],[\"99.5\",\"2\"]],"
                       "\"a\":[[\"100.5\",\"3\"]],\"u\":7,\"seq\":70},\"cts\":9}";
    const char *d1 =
        "{\"topic\":\"orderbook.2.BTCUSDT\",\"type\":\"delta\",\"ts\":11,"
        "\"data\":{\"s\":\"BTCUSDT\",\"b\":[[\"100.0\",\"0\"],[\"99.9\",\"4\"],"
        "[\"99.80\",\"5\"]],\"a\":[[\"100.50\",\"6\"]],\"u\":8,\"seq\":71},\"cts\":10}";
    faults_timeline(0, snap, strlen(snap));
    faults_timeline(0, d1, strlen(d1));
    char *s = faults_bybit_snapshot(0, "orderbook.2.BTCUSDT");
    assert_non_null(s);
    /* 100.0 deleted; 99.9 > 99.80 > 99.5 kept as sent, cut to depth 2; ask 100.50 == 100.5
     * updated in place (decimal comparison, the first spelling kept) */
    assert_string_equal(s, "{\"topic\":\"orderbook.2.BTCUSDT\",\"ts\":11,\"type\":\"snapshot\","
                           "\"data\":{\"s\":\"BTCUSDT\",\"b\":[[\"99.9\",\"4\"],[\"99.80\",\"5\"]],"
                           "\"a\":[[\"100.5\",\"6\"]],\"u\":8,\"seq\":71},\"cts\":10}");
    free(s);
    /* Binance: the recorded snapshot seeds, diffs with u > lastUpdateId apply */
    const char *rest = "{\"lastUpdateId\":100,\"E\":1,\"T\":1,\"bids\":[[\"10.00\",\"1.0\"]],"
                       "\"asks\":[[\"10.10\",\"2.0\"]]}";
    faults_set_depth(false, rest, strlen(rest));
    const char *old = "{\"stream\":\"btcusdt@depth@0ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":2,"
                      "\"s\":\"BTCUSDT\",\"U\":90,\"u\":99,\"pu\":89,\"b\":[[\"9.00\",\"1\"]],"
                      "\"a\":[]}}";
    const char *nw = "{\"stream\":\"btcusdt@depth@0ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":3,"
                     "\"s\":\"BTCUSDT\",\"U\":95,\"u\":105,\"pu\":99,\"b\":[[\"10.05\",\"3.0\"]],"
                     "\"a\":[[\"10.10\",\"0.0\"],[\"10.20\",\"1.5\"]]}}";
    faults_timeline(2, old, strlen(old));
    faults_timeline(2, nw, strlen(nw));
    size_t len = 0;
    char *b = faults_depth_body(false, &len);
    assert_non_null(b);
    assert_int_equal(len, strlen(b));
    assert_string_equal(b, "{\"lastUpdateId\":105,\"E\":3,\"T\":3,\"bids\":[[\"10.05\",\"3.0\"],"
                           "[\"10.00\",\"1.0\"]],\"asks\":[[\"10.20\",\"1.5\"]]}");
    free(b);
    assert_null(faults_depth_body(true, &len)); /* no spot snapshot loaded */
}

int
main(void)
{
    log_init("test", LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_specs, s_setup),
        cmocka_unit_test_setup(test_hooks, s_setup),
        cmocka_unit_test_setup(test_live_books, s_setup),
    };
    int rc = cmocka_run_group_tests_name("vs_faults", tests, NULL, NULL);
    faults_fini();
    return rc;
}
