/*  test_kstream.c - the streamed kline path of the backtest: kstream reads CSV rows file by
 *  file across its 64 KiB buffer, skips what klines_frame refuses, stops on a row out of time
 *  order; and binance_kline (the row's fields) gives the very md.kline, counters and event
 *  time that binance_parse gives for the frame klines_frame builds from the same row,
 *  including the rows it must refuse (no effect: the caller falls back to the frame). */
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

#include "common/instr.h"
#include "feed/binance.h"
#include "tools/backtest/kstream.h"
#include "tools/venue-sim/klines.h"

static char g_dir[64];
static source_t *g_src; /* no window: every row */

static int
s_setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/tp-kstream.XXXXXX");
    g_src = source_new();
    return mkdtemp(g_dir) && g_src ? 0 : -1;
}

static int
s_teardown(void **state)
{
    (void)state;
    source_destroy(&g_src);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
s_write(const char *name, const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    fclose(f);
}

/* A row of minute `m` after 2025-11-01 00:00 (µs times, as 2025 spot files). */
static int
s_row(char *out, size_t cap, int m, const char *close)
{
    long long t = 1761955200000000LL + (long long)m * 60000000LL;
    return snprintf(out, cap,
                    "%lld,109608.01000000,109621.62000000,109608.00000000,%s,5.65926000,%lld,"
                    "620327.34965220,1005,3.81740000,418426.01560140,0\n",
                    t, close, t + 59999999LL);
}

static void
test_rows_across_files_and_buffer(void **state)
{
    (void)state;
    /* file a: a header, 3000 rows (> 64 KiB: the buffer refills mid-row), a bad row, CRLF ends */
    size_t cap = 3100 * 200;
    char *a = malloc(cap), *row = malloc(256);
    assert_non_null(a);
    size_t n = (size_t)snprintf(a, cap,
                                "open_time,open,high,low,close,volume,close_time,"
                                "quote_volume,count,taker_buy_volume,taker_buy_quote,"
                                "ignore\r\n");
    for (int m = 0; m < 3000; m++) {
        n += (size_t)s_row(a + n, cap - n, m, m == 7 ? "109616.35000000" : "109616.00");
        if (m == 10) {
            n += (size_t)snprintf(a + n, cap - n, "1,2,3\n"); /* not 12 columns */
        }
    }
    assert_true(n > 65536);
    char pa[128], pb[128];
    s_write("a.csv", a, pa, sizeof pa);
    /* file b: ms times (before 2025), no line end on its last row */
    s_write("b.csv",
            "1764547200000,1.5,2,1,1.75,3,1764547259999,4.5,7,1,1.5,0\n"
            "1764547260000,1.5,2,1,1.75,3,1764547319999,4.5,7,1,1.5,0",
            pb, sizeof pb);
    const char *paths[] = { pa, pb };
    kstream_t *ks = kstream_new(paths, 2, "BTCUSDT", g_src);
    assert_non_null(ks);
    int64_t ts;
    assert_int_equal(kstream_peek(ks, &ts), 1);
    assert_int_equal(ts, 1761955260000LL); /* close 1761955259999999 µs -> ms, + 1 */
    kstream_row_t r;
    uint64_t got = 0;
    int64_t prev = 0;
    while (kstream_next(ks, &r) == 1) {
        got++;
        assert_true(r.ts_ms >= prev);
        prev = r.ts_ms;
        if (got == 8) {
            /* the row and its fields, and the frame klines_frame makes of the same row */
            assert_int_equal(r.k.c_len, strlen("109616.35000000"));
            assert_memory_equal(r.k.c, "109616.35000000", r.k.c_len);
            assert_int_equal(r.line, 9); /* header on line 1 */
            char frame[KLINES_FRAME_MAX];
            size_t flen;
            int64_t e;
            assert_int_equal(klines_frame(r.text, r.len, "BTCUSDT", frame, sizeof frame, &flen, &e),
                             0);
            assert_int_equal(e, r.ts_ms);
            assert_int_equal(r.k.e_ms, e);
            assert_int_equal(r.k.start_ms, 1761955620000LL);
            assert_int_equal(r.k.last_ms, 1761955679999LL);
        }
    }
    assert_int_equal(got, 3002);
    assert_int_equal(kstream_rows(ks), 3002);
    assert_int_equal(kstream_bad(ks), 1); /* the short row (the header is no row) */
    assert_int_equal(prev, 1764547320000LL);
    assert_int_equal(kstream_peek(ks, &ts), 0);
    kstream_destroy(&ks);
    assert_null(ks);
    free(a);
    free(row);
}

static void
test_out_of_order_and_missing(void **state)
{
    (void)state;
    char p1[128], p2[128], r1[256], r2[256];
    s_row(r1, sizeof r1, 5, "109616.00");
    s_row(r2, sizeof r2, 4, "109616.00");
    s_write("late.csv", r1, p1, sizeof p1);
    s_write("early.csv", r2, p2, sizeof p2);
    const char *paths[] = { p1, p2 };
    kstream_t *ks = kstream_new(paths, 2, "BTCUSDT", g_src);
    assert_non_null(ks);
    kstream_row_t r;
    assert_int_equal(kstream_next(ks, &r), 1);
    errno = 0;
    assert_int_equal(kstream_next(ks, &r), -1);
    assert_int_equal(errno, EDOM);
    assert_non_null(strstr(kstream_error(ks), "early.csv:1"));
    kstream_destroy(&ks);
    const char *missing[] = { "/nonexistent/x.csv" };
    errno = 0;
    assert_null(kstream_new(missing, 1, "BTCUSDT", g_src));
    assert_int_equal(errno, ENOENT);
    assert_null(kstream_new(paths, 2, "", g_src));
}

/* kstream and venue-sim's loader in stream mode take the same rows: the window, a header
 * line, a repeated minute, bad rows, gaps (the loader's counts are derived by hand below). */
static void
test_same_rows_as_the_loader(void **state)
{
    (void)state;
    char text[4096], row[256], path[128];
    size_t n = (size_t)snprintf(text, sizeof text,
                                "open_time,open,high,low,close,volume,close_time,quote_volume,"
                                "count,taker_buy_volume,taker_buy_quote_volume,ignore\n");
    static const int k_min[] = { 0, 1, 2, 3, 3, 4, 7, 8, 9 }; /* 3 twice; 5, 6 missing */
    for (size_t i = 0; i < sizeof k_min / sizeof k_min[0]; i++) {
        s_row(row, sizeof row, k_min[i], "109616.00");
        n += (size_t)snprintf(text + n, sizeof text - n, "%s", row);
        if (i == 1) {
            n += (size_t)snprintf(text + n, sizeof text - n, "x,y\n"); /* bad */
        }
    }
    s_write("same.csv", text, path, sizeof path);
    source_t *src = source_new();
    assert_non_null(src);
    /* the window: minutes 1 .. 8 (the bar of minute 8 ends at its E: outside) */
    int64_t m0 = 1761955200000LL;
    assert_int_equal(source_set_window(src, m0 + 60000, m0 + 8 * 60000), 0);
    assert_int_equal(source_set_stream_klines(src, true), 0);
    assert_int_equal(source_load_klines(src, path, "BTCUSDT", SOURCE_BINANCE_SPOT), 0);
    assert_int_equal(source_finish(src), 0);
    assert_int_equal(source_count(src), 0); /* nothing kept in memory */
    const source_file_t *f = source_file(src, 0);
    assert_true(f->header);
    assert_int_equal(f->frames, 9);
    assert_int_equal(f->bad, 2);  /* "x,y" and the second minute 3 */
    assert_int_equal(f->kept, 5); /* minutes 1, 2, 3, 4, 7 */
    const source_gaps_t *g = source_gaps(src);
    assert_int_equal(g->gaps, 1);
    assert_int_equal(g->missing_min, 2);
    int64_t lo, hi;
    assert_true(source_kline_span(src, &lo, &hi));
    assert_int_equal(lo, m0 + 60000);
    assert_int_equal(hi, m0 + 8 * 60000);
    const char *paths[] = { path };
    kstream_t *ks = kstream_new(paths, 1, "BTCUSDT", src);
    assert_non_null(ks);
    kstream_row_t r;
    static const int k_want[] = { 1, 2, 3, 4, 7 };
    size_t got = 0;
    while (kstream_next(ks, &r) == 1) {
        assert_true(got < 5);
        assert_int_equal(r.k.start_ms, m0 + k_want[got] * 60000);
        got++;
    }
    assert_int_equal(got, f->kept);
    kstream_destroy(&ks);
    /* strict: the first bad row stops the load naming file:line; without it, the repeated
     * minute stops source_finish naming both lines, as a loaded series does */
    source_destroy(&src);
    src = source_new();
    source_set_strict(src, true);
    assert_int_equal(source_set_stream_klines(src, true), 0);
    errno = 0;
    assert_int_equal(source_load_klines(src, path, "BTCUSDT", SOURCE_BINANCE_SPOT), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(source_error(src), "same.csv:4: expected 12"));
    source_destroy(&src);
    char *bad = strstr(text, "x,y\n");
    assert_non_null(bad);
    memmove(bad, bad + 4, strlen(bad + 4) + 1);
    s_write("same.csv", text, path, sizeof path);
    src = source_new();
    source_set_strict(src, true);
    assert_int_equal(source_set_stream_klines(src, true), 0);
    assert_int_equal(source_load_klines(src, path, "BTCUSDT", SOURCE_BINANCE_SPOT), 0);
    errno = 0;
    assert_int_equal(source_finish(src), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(source_error(src), "same.csv:6: the bar opened at "
                                              "2025-11-01T00:03:00Z is given twice (also "));
    assert_non_null(strstr(source_error(src), "same.csv:5)"));
    source_destroy(&src);
    /* a row the loader takes with a long "ignore" column: streamed too, kept without it */
    char big[1200];
    int w = s_row(big, sizeof big, 0, "109616.00");
    big[w - 2] = '\0'; /* drop "0\n" */
    memset(big + w - 2, '7', 700);
    snprintf(big + w - 2 + 700, sizeof big - (size_t)(w - 2 + 700), "\n");
    s_write("long.csv", big, path, sizeof path);
    kstream_t *kl = kstream_new(paths, 1, "BTCUSDT", g_src);
    assert_non_null(kl);
    assert_int_equal(kstream_next(kl, &r), 1);
    assert_int_equal(kstream_bad(kl), 0);
    assert_int_equal(r.text[r.len - 1], '0');
    assert_int_equal(r.text[r.len - 2], ',');
    char frame[KLINES_FRAME_MAX];
    size_t flen;
    int64_t e;
    assert_int_equal(klines_frame(r.text, r.len, "BTCUSDT", frame, sizeof frame, &flen, &e), 0);
    char frame2[KLINES_FRAME_MAX]; /* the loader's frame of the whole row: the same */
    size_t flen2;
    assert_int_equal(klines_frame(big, strlen(big), "BTCUSDT", frame2, sizeof frame2, &flen2, &e),
                     0);
    assert_int_equal(flen, flen2);
    assert_memory_equal(frame, frame2, flen);
    kstream_destroy(&kl);
}

/* ---- the event path against the frame path ---------------------------------------------- */

typedef struct {
    codec_md_kline_t k[4];
    char word[4][8];
    size_t n;
} s_got_t;

static void
s_kline(const codec_md_kline_t *k, const char *interval, int64_t origin, void *arg)
{
    (void)origin;
    s_got_t *g = arg;
    assert_true(g->n < 4);
    g->k[g->n] = *k;
    snprintf(g->word[g->n], sizeof g->word[0], "%s", interval);
    g->n++;
}

static binance_t *
s_parser(instr_table_t *instrs, md_stats_t *st, s_got_t *got)
{
    md_sink_t sink;
    memset(&sink, 0, sizeof sink);
    sink.kline = s_kline;
    sink.arg = got;
    binance_t *p = binance_new("binance-spot", true, instrs, 1000, 10, st, &sink);
    assert_non_null(p);
    assert_int_equal(binance_add_symbol(p, "BTCUSDT", false), 0);
    return p;
}

static void
s_same(const char *row_text, int expect_direct)
{
    instr_t spot;
    assert_int_equal(instr_from_strings(&spot, "binance-spot", "spot", "BTCUSDT", "0.01", "0.00001",
                                        "0.00001", "5"),
                     0);
    instr_table_t *instrs = instr_table_new();
    assert_int_equal(instr_table_put(instrs, &spot), 0);
    md_stats_t st_a, st_b;
    memset(&st_a, 0, sizeof st_a);
    memset(&st_b, 0, sizeof st_b);
    s_got_t ga = { .n = 0 }, gb = { .n = 0 };
    binance_t *pa = s_parser(instrs, &st_a, &ga), *pb = s_parser(instrs, &st_b, &gb);
    char path[128];
    s_write("one.csv", row_text, path, sizeof path);
    const char *paths[] = { path };
    kstream_t *ks = kstream_new(paths, 1, "BTCUSDT", g_src);
    assert_non_null(ks);
    kstream_row_t r;
    assert_int_equal(kstream_next(ks, &r), 1);
    /* a: the frame path, as venue-sim sends it */
    char frame[KLINES_FRAME_MAX];
    size_t flen;
    int64_t e;
    assert_int_equal(klines_frame(r.text, r.len, "BTCUSDT", frame, sizeof frame, &flen, &e), 0);
    (void)binance_parse(pa, frame, flen, 77);
    /* b: the event path, falling back to the frame when refused */
    md_stats_t before = st_b;
    int rc = binance_kline(pb, &r.k, 77);
    assert_int_equal(rc == 0, expect_direct);
    if (rc != 0) {
        assert_memory_equal(&before, &st_b, sizeof st_b); /* refused: no effect at all */
        (void)binance_parse(pb, frame, flen, 77);
    }
    assert_int_equal(ga.n, gb.n);
    for (size_t i = 0; i < ga.n; i++) {
        assert_memory_equal(&ga.k[i], &gb.k[i], sizeof ga.k[i]);
        assert_string_equal(ga.word[i], gb.word[i]);
    }
    assert_memory_equal(&st_a, &st_b, sizeof st_a);
    kstream_destroy(&ks);
    binance_destroy(&pa);
    binance_destroy(&pb);
    instr_table_destroy(&instrs);
}

static void
test_event_is_the_frame(void **state)
{
    (void)state;
    /* a data.binance.vision row: the quote volume has 8 decimals (rounded at scale 8: exact) */
    s_same("1761955200000000,109608.01000000,109621.62000000,109608.00000000,109616.35000000,"
           "5.65926000,1761955259999999,620327.34965220,1005,3.81740000,418426.01560140,0\n",
           1);
    /* a quote volume finer than 8 decimals: rounded half-even, as jtok_money_round */
    s_same("1761955200000,1.01,2,1,1.5,0.5,1761955259999,12.123456785,3,0.25,1,0\n", 1);
    /* a price finer than the tick (0.01): the frame's parse refuses it (bad_field); the event
     * path refuses it with no effect and the frame path counts it */
    s_same("1761955200000,1.001,2,1,1.5,0.5,1761955259999,12.5,3,0.25,1,0\n", 0);
    /* a volume finer than the step */
    s_same("1761955200000,1.01,2,1,1.5,0.000001,1761955259999,12.5,3,0.25,1,0\n", 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_across_files_and_buffer),
        cmocka_unit_test(test_out_of_order_and_missing),
        cmocka_unit_test(test_same_rows_as_the_loader),
        cmocka_unit_test(test_event_is_the_frame),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
