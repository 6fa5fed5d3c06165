/*  test_source.c - loading and merging recorded frames (tools/venue-sim/source.h).
 *  Per-key counts are checked two ways: against data/PROVENANCE.md's published counts, and
 *  against an independent scan of the same file here (plain substring counting per line,
 *  no JSON parser), so neither the loader nor the document is trusted alone.
 */
#define _GNU_SOURCE /* getline, mkstemp helpers */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "tools/venue-sim/source.h"

#define BYBIT_LINEAR "data/bybit_v5/bybit_v5_linear_frames.jsonl"
#define BYBIT_SPOT   "data/bybit_v5/bybit_v5_spot_frames.jsonl"
#define USDM         "data/binance/usdm_btcusdt_20240808.gz"
#define KLINES_1101  "data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-01.csv"

/* lines of a plain file containing `needle` */
static size_t
s_count_plain(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char *line = NULL;
    size_t cap = 0, n = 0;
    while (getline(&line, &cap, fp) >= 0) {
        n += strstr(line, needle) != NULL;
    }
    free(line);
    fclose(fp);
    return n;
}

/* lines of a gzip file containing `needle` (lines up to 1 MB) */
static size_t
s_count_gz(const char *path, const char *needle)
{
    gzFile gz = gzopen(path, "rb");
    assert_non_null(gz);
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while (gzgets(gz, buf, (int)cap)) {
        n += strstr(buf, needle) != NULL;
    }
    free(buf);
    gzclose(gz);
    return n;
}

static void
test_bybit_counts(void **state)
{
    (void)state;
    source_t *s = source_new();
    assert_non_null(s);
    assert_int_equal(source_load_bybit(s, BYBIT_LINEAR, SOURCE_BYBIT_LINEAR), 0);
    assert_int_equal(source_load_bybit(s, BYBIT_SPOT, SOURCE_BYBIT_SPOT), 0);
    assert_int_equal(source_finish(s), 0);
    /* PROVENANCE.md 1: linear orderbook.200.BTCUSDT 1 snapshot + 413 deltas; 17 + 7 acks */
    assert_int_equal(source_key_count(s, SOURCE_BYBIT_LINEAR, "orderbook.200.BTCUSDT"), 414);
    assert_int_equal(source_acks(s), 17 + 7);
    assert_int_equal(source_bad(s), 0);
    /* 2,546 + 681 lines, minus the acks */
    assert_int_equal(source_count(s), 2546 + 681 - 24);
    static const char *const topics[] = { "orderbook.200.BTCUSDT", "orderbook.200.ETHUSDT",
                                          "tickers.SOLUSDT", "publicTrade.DOGEUSDT",
                                          "kline.1.BTCUSDT" };
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++) {
        char needle[96];
        snprintf(needle, sizeof needle, "\"topic\":\"%s\"", topics[i]);
        assert_int_equal(source_key_count(s, SOURCE_BYBIT_LINEAR, topics[i]),
                         s_count_plain(BYBIT_LINEAR, needle));
        assert_int_equal(source_key_count(s, SOURCE_BYBIT_SPOT, topics[i]),
                         s_count_plain(BYBIT_SPOT, needle));
    }
    /* the same topic of the two categories is two keys */
    int kl = source_key_find(s, SOURCE_BYBIT_LINEAR, "orderbook.200.BTCUSDT");
    int ks = source_key_find(s, SOURCE_BYBIT_SPOT, "orderbook.200.BTCUSDT");
    assert_true(kl >= 0 && ks >= 0 && kl != ks);
    assert_int_equal(source_key_find(s, SOURCE_BYBIT_LINEAR, "allLiquidation.BTCUSDT"), -1);
    /* sorted, text verbatim, ts = top-level ts */
    for (size_t i = 1; i < source_count(s); i++) {
        assert_true(source_frame(s, i - 1)->ts_ms <= source_frame(s, i)->ts_ms);
    }
    const source_frame_t *f = source_frame(s, 0);
    assert_int_equal(strlen(f->text), f->len);
    assert_memory_equal(f->text, "{\"topic\":", 9);
    source_destroy(&s);
    assert_null(s);
}

static void
test_binance_counts_and_snapshot(void **state)
{
    (void)state;
    source_t *s = source_new();
    assert_int_equal(source_load_binance(s, USDM, SOURCE_BINANCE_USDM), 0);
    assert_int_equal(source_finish(s), 0);
    /* PROVENANCE.md 4: depth@0ms 6,551, bookTicker 66,089, trade 21,313, 1 REST snapshot */
    assert_int_equal(source_key_count(s, SOURCE_BINANCE_USDM, "btcusdt@depth@0ms"), 6551);
    assert_int_equal(source_key_count(s, SOURCE_BINANCE_USDM, "btcusdt@bookTicker"), 66089);
    assert_int_equal(source_key_count(s, SOURCE_BINANCE_USDM, "btcusdt@trade"), 21313);
    assert_int_equal(source_key_count(s, SOURCE_BINANCE_USDM, "btcusdt@depth@0ms"),
                     s_count_gz(USDM, "\"stream\":\"btcusdt@depth@0ms\""));
    assert_int_equal(source_key_count(s, SOURCE_BINANCE_USDM, "btcusdt@trade"),
                     s_count_gz(USDM, "\"stream\":\"btcusdt@trade\""));
    assert_int_equal(source_count(s), 6551 + 66089 + 21313);
    size_t len = 0;
    const char *snap = source_depth_snapshot(s, SOURCE_BINANCE_USDM, &len);
    assert_non_null(snap);
    assert_memory_equal(snap, "{\"lastUpdateId\":5123107852948,", 30);
    assert_int_equal(strlen(snap), len);
    assert_null(source_depth_snapshot(s, SOURCE_BINANCE_SPOT, &len));
    /* first frame by event time: the data.E of line 1 (PROVENANCE.md 4 example) */
    assert_int_equal(source_frame(s, 0)->ts_ms, INT64_C(1723161256299));
    assert_memory_equal(source_frame(s, 0)->text, "{\"stream\":\"btcusdt@depth@0ms\"", 29);
    source_destroy(&s);
}

static void
test_klines_file(void **state)
{
    (void)state;
    source_t *s = source_new();
    assert_int_equal(source_load_klines(s, KLINES_1101, "BTCUSDT", SOURCE_BINANCE_SPOT), 0);
    assert_int_equal(source_finish(s), 0);
    assert_int_equal(source_count(s), 1440); /* one row per minute of the day */
    assert_int_equal(source_key_count(s, SOURCE_BINANCE_SPOT, "btcusdt@kline_1m"), 1440);
    /* first row closes at 1761955259999 ms: E = 1761955260000; rows 60 s apart */
    assert_int_equal(source_frame(s, 0)->ts_ms, INT64_C(1761955260000));
    assert_int_equal(source_frame(s, 1439)->ts_ms, INT64_C(1761955260000) + 1439 * 60000);
    source_destroy(&s);
}

static char *
s_tmpfile(const char *content)
{
    char *path = strdup("/tmp/test_vs_source_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    return path;
}

static void
test_merge_is_stable_and_bad_lines_counted(void **state)
{
    (void)state;
    /* a: two frames at ts 5 and one at 7, plus an ack and 3 bad lines; b: ts 5 and 6 */
    char *a = s_tmpfile("{\"topic\":\"x\",\"ts\":5,\"n\":1}\n"
                        "{\"success\":true,\"op\":\"subscribe\"}\n"
                        "not json\n"
                        "{\"topic\":\"x\"}\n"
                        "{\"topic\":\"x\",\"ts\":\"5\"}\n"
                        "{\"topic\":\"y\",\"ts\":5,\"n\":2}\n"
                        "{\"ts\":7,\"topic\":\"x\",\"n\":3}\n");
    char *b = s_tmpfile("{\"topic\":\"x\",\"ts\":5,\"n\":4}\n{\"topic\":\"x\",\"ts\":6,\"n\":5}\n");
    source_t *s = source_new();
    assert_int_equal(source_load_bybit(s, a, SOURCE_BYBIT_LINEAR), 0);
    assert_int_equal(source_load_bybit(s, b, SOURCE_BYBIT_SPOT), 0);
    assert_int_equal(source_finish(s), 0);
    assert_int_equal(source_bad(s), 3);
    assert_int_equal(source_acks(s), 1);
    assert_int_equal(source_count(s), 5);
    /* time order, equal times in load order: n=1, 2, 4 (ts 5), 5 (ts 6), 3 (ts 7) */
    static const char *const order[] = { "\"n\":1", "\"n\":2", "\"n\":4", "\"n\":5", "\"n\":3" };
    for (size_t i = 0; i < 5; i++) {
        assert_non_null(strstr(source_frame(s, i)->text, order[i]));
    }
    assert_int_equal(source_frame(s, 4)->ts_ms, 7);
    assert_int_equal(source_key_count(s, SOURCE_BYBIT_LINEAR, "x"), 2);
    assert_int_equal(source_key_count(s, SOURCE_BYBIT_SPOT, "x"), 2);
    /* loading after finish is refused */
    errno = 0;
    assert_int_equal(source_load_bybit(s, a, SOURCE_BYBIT_LINEAR), -1);
    assert_int_equal(errno, EINVAL);
    source_destroy(&s);
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}

static void
test_binance_missing_E_keeps_file_order(void **state)
{
    (void)state;
    /* spot bookTicker has no E: it takes the previous frame's event time */
    static const char text[] = "100 {\"stream\":\"btcusdt@trade\",\"data\":{\"E\":2000}}\n"
                               "200 {\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":1}}\n"
                               "300 {\"lastUpdateId\":9,\"bids\":[],\"asks\":[]}\n"
                               "garbage\n";
    char *path = strdup("/tmp/test_vs_source_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzputs(gz, text), (int)strlen(text));
    gzclose(gz);
    source_t *s = source_new();
    assert_int_equal(source_load_binance(s, path, SOURCE_BINANCE_SPOT), 0);
    assert_int_equal(source_finish(s), 0);
    assert_int_equal(source_count(s), 2);
    assert_int_equal(source_bad(s), 1);
    assert_int_equal(source_frame(s, 1)->ts_ms, 2000);
    assert_non_null(strstr(source_frame(s, 1)->text, "bookTicker"));
    size_t len;
    assert_string_equal(source_depth_snapshot(s, SOURCE_BINANCE_SPOT, &len),
                        "{\"lastUpdateId\":9,\"bids\":[],\"asks\":[]}");
    source_destroy(&s);
    unlink(path);
    free(path);
}

static void
test_errors(void **state)
{
    (void)state;
    source_t *s = source_new();
    errno = 0;
    assert_int_equal(source_load_bybit(s, "data/nope.jsonl", SOURCE_BYBIT_LINEAR), -1);
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_int_equal(source_load_klines(s, "data/nope.csv", "BTCUSDT", SOURCE_BINANCE_SPOT), -1);
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_int_equal(source_load_binance(s, "data/nope.gz", SOURCE_BINANCE_USDM), -1);
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_int_equal(source_load_bybit(s, BYBIT_LINEAR, SOURCE_BINANCE_USDM), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(source_load_binance(s, USDM, SOURCE_BYBIT_SPOT), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(source_finish(s), 0);
    assert_int_equal(source_count(s), 0);
    source_destroy(&s);
    source_destroy(&s); /* NULL is a no-op */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bybit_counts),
        cmocka_unit_test(test_binance_counts_and_snapshot),
        cmocka_unit_test(test_klines_file),
        cmocka_unit_test(test_merge_is_stable_and_bad_lines_counted),
        cmocka_unit_test(test_binance_missing_E_keeps_file_order),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("venue-sim source", tests, NULL, NULL);
}
