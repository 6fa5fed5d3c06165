/*  test_mtf.c - signal/mtf on a real day of Binance BTCUSDT 1m klines (data/candles, PROVENANCE
 *  3). Expected aggregates are recomputed here straight from the CSV rows (for the hour h:
 *  open of row 60h, max/min of rows 60h..60h+59, close of row 60h+59, sums of the volume
 *  columns), independently of the incremental code.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/money.h"
#include "signal/mtf.h"
#include "tests/unit/signal/csv_util.h"

#define DAY_CSV "data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-03.csv"
#define NS      1000000000LL
#define MAXOUT  512

typedef struct {
    codec_sig_bar_t bars[MAXOUT];
    int64_t evts[MAXOUT];
    int n;
} s_sink_t;

static void
s_emit(const codec_sig_bar_t *bar, int64_t evt, void *arg)
{
    s_sink_t *k = arg;
    assert_true(k->n < MAXOUT);
    k->bars[k->n] = *bar;
    k->evts[k->n++] = evt;
}

static int64_t
s_m(const char *s, int scale)
{
    int64_t v;
    assert_int_equal(money_parse(s, strlen(s), scale, &v), 0);
    return v;
}

static codec_sig_bar_t k_day[1440];

/* The day's rows as 1m sig bars (px scale 2, qty scale 8, quote scale 8). */
static void
s_load_day(void)
{
    csv_t csv;
    assert_int_equal(csv_load(&csv, DAY_CSV), 0);
    assert_int_equal(csv.n_rows, 1440); /* no header */
    for (size_t r = 0; r < 1440; r++) {
        codec_sig_bar_t *b = &k_day[r];
        memset(b, 0, sizeof *b);
        snprintf(b->venue, sizeof b->venue, "binance-spot");
        snprintf(b->symbol, sizeof b->symbol, "BTCUSDT");
        snprintf(b->source, sizeof b->source, "kline");
        b->px_scale = 2;
        b->qty_scale = 8;
        b->tf_s = 60;
        b->start_ns = strtoll(csv.cells[r][0], NULL, 10) * 1000; /* us -> ns */
        b->end_ns = b->start_ns + 60 * NS;
        b->open = s_m(csv.cells[r][1], 2);
        b->high = s_m(csv.cells[r][2], 2);
        b->low = s_m(csv.cells[r][3], 2);
        b->close = s_m(csv.cells[r][4], 2);
        b->volume = s_m(csv.cells[r][5], 8);
        b->quote_volume = s_m(csv.cells[r][7], 8);
        b->trades = strtoll(csv.cells[r][8], NULL, 10);
        b->taker_buy_volume = s_m(csv.cells[r][9], 8);
        b->vwap = b->close;
    }
    csv_free(&csv);
}

/* Expected aggregate of rows [from, to) */
static void
s_expect(size_t from, size_t to, int tf_s, const codec_sig_bar_t *got)
{
    int64_t hi = k_day[from].high, lo = k_day[from].low, v = 0, q = 0, tb = 0, n = 0;
    for (size_t r = from; r < to; r++) {
        hi = k_day[r].high > hi ? k_day[r].high : hi;
        lo = k_day[r].low < lo ? k_day[r].low : lo;
        v += k_day[r].volume;
        q += k_day[r].quote_volume;
        tb += k_day[r].taker_buy_volume;
        n += k_day[r].trades;
    }
    assert_int_equal(got->tf_s, tf_s);
    assert_int_equal(got->start_ns, k_day[from].start_ns / ((int64_t)tf_s * NS) * tf_s * NS);
    assert_int_equal(got->end_ns, got->start_ns + (int64_t)tf_s * NS);
    assert_int_equal(got->open, k_day[from].open);
    assert_int_equal(got->close, k_day[to - 1].close);
    assert_int_equal(got->high, hi);
    assert_int_equal(got->low, lo);
    assert_int_equal(got->volume, v);
    assert_int_equal(got->quote_volume, q);
    assert_int_equal(got->taker_buy_volume, tb);
    assert_int_equal(got->trades, n);
    assert_true(got->vwap >= lo && got->vwap <= hi);
}

static void
test_full_day(void **state)
{
    (void)state;
    s_load_day();
    /* 2025-11-03 00:00 UTC = 1762128000 s: a multiple of 86400, so every tf is aligned at row 0 */
    assert_int_equal(k_day[0].start_ns % (86400 * NS), 0);
    static s_sink_t sink;
    memset(&sink, 0, sizeof sink);
    mtf_t *m = mtf_new(s_emit, &sink);
    assert_non_null(m);
    static const int k_tfs[] = { 300, 900, 3600, 14400, 86400 };
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(mtf_add(m, "binance-spot", "BTCUSDT", 60, k_tfs[i]), 0);
    }
    for (size_t r = 0; r < 1440; r++) {
        assert_true(mtf_on_bar(m, &k_day[r], 1000 + (int64_t)r) >= 0);
    }
    /* 288 + 96 + 24 + 6 + 1 */
    assert_int_equal(sink.n, 288 + 96 + 24 + 6 + 1);
    int seen[5] = { 0 };
    for (int i = 0; i < sink.n; i++) {
        const codec_sig_bar_t *b = &sink.bars[i];
        size_t t;
        for (t = 0; t < 5 && k_tfs[t] != b->tf_s; t++) {
        }
        assert_true(t < 5);
        if (t >= 5) {
            break; /* not reached (the assert fails first); tells static analysis so */
        }
        size_t per = (size_t)k_tfs[t] / 60, from = (size_t)seen[t] * per;
        s_expect(from, from + per, k_tfs[t], b);
        /* closed by its own last minute: evt of row from+per-1 */
        assert_int_equal(sink.evts[i], 1000 + (int64_t)(from + per - 1));
        seen[t]++;
    }
    assert_int_equal(mtf_stats(m)->out, 415);
    assert_int_equal(mtf_stats(m)->late, 0);
    mtf_destroy(&m);
    assert_null(m);
}

/* Gaps and late bars, 1h target: drop 00:59 (the hour's last minute) and all of 02:xx. */
static void
test_gaps_and_late(void **state)
{
    (void)state;
    s_load_day();
    static s_sink_t sink;
    memset(&sink, 0, sizeof sink);
    mtf_t *m = mtf_new(s_emit, &sink);
    assert_non_null(m);
    assert_int_equal(mtf_add(m, "binance-spot", "BTCUSDT", 60, 3600), 0);
    for (size_t r = 0; r < 240; r++) {
        if (r == 59 || (r >= 120 && r < 180)) {
            continue;
        }
        int rc = mtf_on_bar(m, &k_day[r], 5000 + (int64_t)r);
        /* the 00:xx hour closes on row 60 (first bar past its end), before 01:00 opens */
        assert_int_equal(rc, (r == 60 || r == 119 || r == 239) ? 1 : 0);
        if (r == 70) {
            assert_int_equal(mtf_on_bar(m, &k_day[70], 1), 0); /* duplicate */
            assert_int_equal(mtf_on_bar(m, &k_day[10], 1), 0); /* late */
        }
    }
    assert_int_equal(sink.n, 3); /* 00, 01, 03: no bar for the empty 02:00 hour */
    s_expect(0, 59, 3600, &sink.bars[0]);
    assert_int_equal(sink.evts[0], 5000 + 60);
    s_expect(60, 120, 3600, &sink.bars[1]);
    s_expect(180, 240, 3600, &sink.bars[2]);
    assert_int_equal(mtf_stats(m)->late, 2);
    mtf_destroy(&m);
}

static void
test_errors(void **state)
{
    (void)state;
    static s_sink_t sink;
    assert_null(mtf_new(NULL, NULL));
    assert_int_equal(errno, EINVAL);
    mtf_t *m = mtf_new(s_emit, &sink);
    assert_non_null(m);
    assert_int_equal(mtf_add(m, "v", "S", 60, 420), -1); /* 7m does not divide a day */
    assert_int_equal(errno, EINVAL);
    assert_int_equal(mtf_add(m, "v", "S", 60, 90), -1); /* not a multiple of the base */
    assert_int_equal(errno, EINVAL);
    assert_int_equal(mtf_add(m, "v", "S", 60, 60), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(mtf_add(m, "", "S", 60, 300), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(mtf_add(m, "v", "S", 60, 172800), 0); /* 2d: multiple of a day */
    assert_int_equal(mtf_add(m, "v", "S", 60, 172800), -1);
    assert_int_equal(errno, EEXIST);
    for (int i = 1; i < MTF_MAX_SERIES; i++) {
        char sym[16];
        snprintf(sym, sizeof sym, "S%d", i);
        assert_int_equal(mtf_add(m, "v", sym, 60, 300), 0);
    }
    assert_int_equal(mtf_add(m, "v", "X", 60, 300), -1);
    assert_int_equal(errno, ENOSPC);
    codec_sig_bar_t b;
    memset(&b, 0, sizeof b);
    b.tf_s = 60;
    b.start_ns = 0;
    b.end_ns = 59 * NS; /* end != start + tf */
    assert_int_equal(mtf_on_bar(m, &b, 0), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(mtf_stats(m)->bad, 1);
    mtf_destroy(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_day),
        cmocka_unit_test(test_gaps_and_late),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
