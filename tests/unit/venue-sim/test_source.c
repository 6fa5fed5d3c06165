/*  test_source.c - loading and merging recorded frames (tools/venue-sim/source.h).
 *  Per-key counts are checked two ways: against data/PROVENANCE.md's published counts, and
 *  against an independent scan of the same file here (plain substring counting per line,
 *  no JSON parser), so neither the loader nor the document is trusted alone.
 */
#define _GNU_SOURCE /* getline, mkstemp helpers */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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


/* A kline CSV of `n` consecutive minutes from t0 (ms), written in ms or µs, with a header line
 * or not; the rows listed in `skip` (0-based) left out. */
static char *
s_kline_csv(int64_t t0, int n, bool us, bool header, const int *skip, int n_skip)
{
    char *path = strdup("/tmp/test_vs_source_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    assert_non_null(fp);
    if (header) {
        fputs("open_time,open,high,low,close,volume,close_time,quote_volume,count,"
              "taker_buy_volume,taker_buy_quote_volume,ignore\n",
              fp);
    }
    for (int i = 0; i < n; i++) {
        bool skipped = false;
        for (int k = 0; k < n_skip; k++) {
            skipped = skipped || skip[k] == i;
        }
        if (skipped) {
            continue;
        }
        int64_t t = t0 + (int64_t)i * 60000, T = t + 59999;
        if (us) {
            fprintf(fp, "%lld000,10.5,11,10,10.5,1.5,%lld999,15,3,0.5,5,0\n", (long long)t,
                    (long long)T);
        } else {
            fprintf(fp, "%lld,10.5,11,10,10.5,1.5,%lld,15,3,0.5,5,0\n", (long long)t, (long long)T);
        }
    }
    fclose(fp);
    return path;
}

#define T0 INT64_C(1762128000000) /* 2025-11-03T00:00:00Z */

static void
test_klines_header_us_ms_same_frames(void **state)
{
    (void)state;
    char *a = s_kline_csv(T0, 30, true, false, NULL, 0);
    char *b = s_kline_csv(T0, 30, false, true, NULL, 0);
    source_t *sa = source_new(), *sb = source_new();
    source_set_strict(sa, true);
    source_set_strict(sb, true);
    assert_int_equal(source_load_klines(sa, a, "BTCUSDT", SOURCE_BINANCE_SPOT), 0);
    assert_int_equal(source_load_klines(sb, b, "BTCUSDT", SOURCE_BINANCE_SPOT), 0);
    assert_int_equal(source_finish(sa), 0);
    assert_int_equal(source_finish(sb), 0);
    assert_int_equal(source_count(sa), 30);
    assert_int_equal(source_count(sb), 30);
    for (size_t i = 0; i < 30; i++) {
        assert_string_equal(source_frame(sa, i)->text, source_frame(sb, i)->text);
        assert_int_equal(source_frame(sa, i)->ts_ms, T0 + (int64_t)(i + 1) * 60000);
    }
    assert_false(source_file(sa, 0)->header);
    assert_true(source_file(sb, 0)->header);
    assert_true(source_file(sb, 0)->klines);
    assert_int_equal(source_file(sb, 0)->frames, 30);
    assert_int_equal(source_file(sb, 0)->first_ms, T0);
    assert_int_equal(source_file(sb, 0)->last_ms, T0 + 30 * 60000);
    assert_int_equal(source_gaps(sa)->gaps, 0);
    source_destroy(&sa);
    source_destroy(&sb);
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}

static void
test_strict_names_file_and_line(void **state)
{
    (void)state;
    /* line 1 header, lines 2..4 rows, line 5 bad, line 6 a header again (bad there) */
    char *path = strdup("/tmp/test_vs_source_XXXXXX");
    int fd = mkstemp(path);
    static const char text[] =
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
        "taker_buy_quote_volume,ignore\n"
        "1762128000000,1,1,1,1,1,1762128059999,1,1,1,1,0\n"
        "1762128060000,1,1,1,1,1,1762128119999,1,1,1,1,0\n"
        "\n"
        "1762128120000,1,1,1,1,1,1762128179999,1,1,1,1\n"
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
        "taker_buy_quote_volume,ignore\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    source_t *s = source_new();
    source_set_strict(s, true);
    errno = 0;
    assert_int_equal(source_load_klines(s, path, "BTCUSDT", SOURCE_BINANCE_SPOT), -1);
    assert_int_equal(errno, EINVAL);
    char want[256];
    snprintf(want, sizeof want, "%s:5: expected 12 comma-separated columns, got 11", path);
    assert_string_equal(source_error(s), want);
    source_destroy(&s);
    /* not strict: both bad lines counted, the two good rows kept */
    s = source_new();
    assert_int_equal(source_load_klines(s, path, "BTCUSDT", SOURCE_BINANCE_SPOT), 0);
    assert_int_equal(source_finish(s), 0);
    assert_int_equal(source_count(s), 2);
    assert_int_equal(source_bad(s), 2);
    assert_int_equal(source_file(s, 0)->bad, 2);
    assert_string_equal(source_error(s), "");
    source_destroy(&s);
    /* a Bybit line that is not JSON: strict names its line too */
    char *b = s_tmpfile("{\"topic\":\"x\",\"ts\":5}\nnot json\n");
    s = source_new();
    source_set_strict(s, true);
    assert_int_equal(source_load_bybit(s, b, SOURCE_BYBIT_LINEAR), -1);
    snprintf(want, sizeof want, "%s:2: not a JSON object", b);
    assert_string_equal(source_error(s), want);
    source_destroy(&s);
    unlink(b);
    free(b);
    unlink(path);
    free(path);
}

static void
test_window_keeps_whole_minutes(void **state)
{
    (void)state;
    char *a = s_kline_csv(T0, 60, false, false, NULL, 0);
    source_t *s = source_new();
    /* [00:10:30, 00:20:00): bars opened 00:11 .. 00:19 lie wholly inside: 9 */
    assert_int_equal(source_set_window(s, T0 + 630000, T0 + 1200000), 0);
    assert_int_equal(source_load_klines(s, a, "BTCUSDT", SOURCE_BINANCE_SPOT), 0);
    assert_int_equal(source_finish(s), 0);
    assert_int_equal(source_count(s), 9);
    assert_int_equal(source_frame(s, 0)->ts_ms, T0 + 12 * 60000); /* opened 00:11 */
    assert_int_equal(source_file(s, 0)->frames, 60);
    assert_int_equal(source_file(s, 0)->kept, 9);
    assert_int_equal(source_file(s, 0)->first_ms, T0); /* the span read, not kept */
    /* a window set after loading, or empty, is refused */
    errno = 0;
    assert_int_equal(source_set_window(s, 0, 1), -1);
    assert_int_equal(errno, EINVAL);
    source_destroy(&s);
    s = source_new();
    assert_int_equal(source_set_window(s, 5, 5), -1);
    /* point frames: event time in [from, to) */
    char *b = s_tmpfile("{\"topic\":\"x\",\"ts\":5}\n{\"topic\":\"x\",\"ts\":6}\n"
                        "{\"topic\":\"x\",\"ts\":7}\n");
    assert_int_equal(source_set_window(s, 6, 7), 0);
    assert_int_equal(source_load_bybit(s, b, SOURCE_BYBIT_LINEAR), 0);
    assert_int_equal(source_finish(s), 0);
    assert_int_equal(source_count(s), 1);
    assert_int_equal(source_frame(s, 0)->ts_ms, 6);
    source_destroy(&s);
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}

static void
test_gaps_and_repeated_bars(void **state)
{
    (void)state;
    /* minutes 10..14 (5) and 30 (1) missing: 2 gaps, 6 minutes, the longest 00:10 .. 00:15 */
    static const int skip[] = { 10, 11, 12, 13, 14, 30 };
    char *a = s_kline_csv(T0, 40, true, false, skip, 6);
    source_t *s = source_new();
    source_set_strict(s, true);
    assert_int_equal(source_load_klines(s, a, "BTCUSDT", SOURCE_BINANCE_SPOT), 0);
    assert_int_equal(source_finish(s), 0);
    const source_gaps_t *g = source_gaps(s);
    assert_int_equal(g->gaps, 2);
    assert_int_equal(g->missing_min, 6);
    assert_int_equal(g->longest_min, 5);
    assert_int_equal(g->longest_from_ms, T0 + 10 * 60000);
    assert_int_equal(g->longest_to_ms, T0 + 15 * 60000);
    source_destroy(&s);
    /* the same minutes in two files (a daily file and a monthly one): strict names both */
    char *b = s_kline_csv(T0 + 39 * 60000, 3, false, false, NULL, 0);
    s = source_new();
    source_set_strict(s, true);
    assert_int_equal(source_load_klines(s, a, "BTCUSDT", SOURCE_BINANCE_SPOT), 0);
    assert_int_equal(source_load_klines(s, b, "BTCUSDT", SOURCE_BINANCE_SPOT), 0);
    errno = 0;
    assert_int_equal(source_finish(s), -1);
    assert_int_equal(errno, EINVAL);
    char want[256];
    snprintf(want, sizeof want,
             "%s:1: the bar opened at 2025-11-03T00:39:00Z is given twice (also %s:34)", b, a);
    assert_string_equal(source_error(s), want);
    source_destroy(&s);
    /* not strict: the repeat is skipped and counted */
    s = source_new();
    assert_int_equal(source_load_klines(s, a, "BTCUSDT", SOURCE_BINANCE_SPOT), 0);
    assert_int_equal(source_load_klines(s, b, "BTCUSDT", SOURCE_BINANCE_SPOT), 0);
    assert_int_equal(source_finish(s), 0);
    assert_int_equal(source_count(s), 34 + 2);
    assert_int_equal(source_bad(s), 1);
    assert_int_equal(source_file(s, 1)->kept, 2);
    assert_int_equal(source_key_count(s, SOURCE_BINANCE_SPOT, "btcusdt@kline_1m"), 36);
    source_destroy(&s);
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bybit_counts),
        cmocka_unit_test(test_binance_counts_and_snapshot),
        cmocka_unit_test(test_klines_file),
        cmocka_unit_test(test_klines_header_us_ms_same_frames),
        cmocka_unit_test(test_strict_names_file_and_line),
        cmocka_unit_test(test_window_keeps_whole_minutes),
        cmocka_unit_test(test_gaps_and_repeated_bars),
        cmocka_unit_test(test_merge_is_stable_and_bad_lines_counted),
        cmocka_unit_test(test_binance_missing_E_keeps_file_order),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("venue-sim source", tests, NULL, NULL);
}
