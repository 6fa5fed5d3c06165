/*  test_binance.c - feed/binance on the real Binance USD-M BTCUSDT capture
 *  (data/binance/usdm_btcusdt_20240808.gz, PROVENANCE.md section 4): buffer diffs until the
 *  REST snapshot line, sync, zero breaks, the book never crosses, and every bookTicker whose u
 *  equals the last applied diff's u matches the book's best bid/ask. Expectations come from
 *  an independent jansson scan of the same lines.
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

#include "common/instr.h"
#include "common/log.h"
#include "common/money.h"
#include "feed/binance.h"

#define k_file  "data/binance/usdm_btcusdt_20240808.gz"
#define k_venue "binance-usdm"

typedef struct {
    binance_t *p;
    long books, trades, status, buys, sells;
    bool crossed;
    uint64_t last_u;
} s_seen_t;

static void
s_on_book(const codec_md_book_t *b, int64_t origin, void *arg)
{
    s_seen_t *s = arg;
    assert_true(origin > 0);
    assert_string_equal(b->symbol, "BTCUSDT");
    assert_false(b->snapshot);
    s->books++;
    s->last_u = b->update_id;
    if (b->n_bids > 0 && b->n_asks > 0 && b->bids[0].px >= b->asks[0].px) {
        s->crossed = true;
    }
    book_check(binance_book(s->p, "BTCUSDT"));
}

static void
s_on_trade(const codec_md_trade_t *t, int64_t origin, void *arg)
{
    s_seen_t *s = arg;
    (void)origin;
    assert_true(t->px > 0 && t->qty > 0);
    s->trades++;
    if (t->side == 1) {
        s->buys++;
    } else {
        assert_int_equal(t->side, -1);
        s->sells++;
    }
}

static void
s_on_status(const codec_md_status_t *st, int64_t origin, void *arg)
{
    s_seen_t *s = arg;
    (void)st;
    (void)origin;
    s->status++;
}

static instr_table_t *
s_instruments(void)
{
    /* config/default.json feed.instruments, from Binance /fapi/v1/exchangeInfo 2025-03-06
     * (PROVENANCE section 12): tick 0.10, step 0.001, min qty 0.001, min notional 100 */
    instr_t in;
    assert_int_equal(
        instr_from_strings(&in, k_venue, "usdm", "BTCUSDT", "0.10", "0.001", "0.001", "100"), 0);
    instr_table_t *t = instr_table_new();
    assert_non_null(t);
    assert_int_equal(instr_table_put(t, &in), 0);
    return t;
}

static int64_t
s_px(const char *s)
{
    int64_t v;
    assert_int_equal(money_parse(s, strlen(s), 1, &v), 0);
    return v;
}

static void
test_usdm_capture(void **state)
{
    (void)state;
    instr_table_t *instrs = s_instruments();
    md_stats_t st = { 0 };
    s_seen_t seen = { 0 };
    const md_sink_t sink = {
        .book = s_on_book, .trade = s_on_trade, .status = s_on_status, .arg = &seen
    };
    binance_t *p = binance_new(k_venue, false, instrs, 1000, 10, &st, &sink);
    assert_non_null(p);
    seen.p = p;
    assert_int_equal(binance_add_symbol(p, "BTCUSDT", true), 0);
    errno = 0;
    assert_int_equal(binance_add_symbol(p, "NOPEUSDT", true), -1);
    assert_int_equal(errno, ENOENT);
    assert_false(binance_ready(p));
    assert_string_equal(binance_want_snapshot(p), "BTCUSDT");

    gzFile gz = gzopen(k_file, "rb");
    assert_non_null(gz);
    size_t cap = 8u << 20;
    char *line = malloc(cap);
    assert_non_null(line);
    static uint64_t diff_u[16384];
    size_t n_diff = 0;
    long x_trades = 0, x_buys = 0, lines = 0, matches = 0, mismatches = 0;
    uint64_t last_update_id = 0;
    while (gzgets(gz, line, (int)cap)) {
        size_t n = strlen(line);
        assert_true(n < cap - 1); /* the whole line fit */
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }
        lines++;
        char *sp = strchr(line, ' ');
        assert_non_null(sp);
        int64_t recv_ns = strtoll(line, NULL, 10);
        const char *js = sp + 1;
        size_t jl = n - (size_t)(js - line);
        json_error_t jerr;
        json_t *j = json_loadb(js, jl, 0, &jerr);
        assert_non_null(j);
        json_t *lu = json_object_get(j, "lastUpdateId");
        if (lu) {
            /* the REST depth snapshot line */
            last_update_id = (uint64_t)json_integer_value(lu);
            assert_false(binance_ready(p));
            assert_int_equal(binance_snapshot(p, "BTCUSDT", js, jl, recv_ns), 0);
            assert_true(binance_ready(p));
            assert_null(binance_want_snapshot(p));
            json_decref(j);
            continue;
        }
        const char *stream = json_string_value(json_object_get(j, "stream"));
        json_t *d = json_object_get(j, "data");
        assert_non_null(stream);
        bool is_bt = strstr(stream, "@bookTicker") != NULL;
        if (strstr(stream, "@depth")) {
            assert_true(n_diff < sizeof diff_u / sizeof diff_u[0]);
            diff_u[n_diff++] = (uint64_t)json_integer_value(json_object_get(d, "u"));
        } else if (strstr(stream, "@trade")) {
            x_trades++;
            x_buys += json_is_false(json_object_get(d, "m")); /* buyer not maker: taker bought */
        }
        assert_int_equal(binance_parse(p, js, jl, recv_ns), 0);
        if (is_bt && last_update_id) {
            const book_t *bk = binance_book(p, "BTCUSDT");
            book_level_t bid, ask;
            uint64_t u = (uint64_t)json_integer_value(json_object_get(d, "u"));
            if (u == book_seq(bk) && book_best(bk, &bid, &ask) == 0) {
                bool ok = bid.px == s_px(json_string_value(json_object_get(d, "b")))
                          && ask.px == s_px(json_string_value(json_object_get(d, "a")));
                if (ok) {
                    matches++;
                } else {
                    mismatches++;
                }
            }
        }
        json_decref(j);
    }
    gzclose(gz);
    free(line);

    /* diffs applied = every diff with u >= lastUpdateId (the stale ones before it dropped) */
    assert_true(last_update_id > 0);
    long x_applied = 0, stale = 0;
    for (size_t i = 0; i < n_diff; i++) {
        if (diff_u[i] >= last_update_id) {
            x_applied++;
        } else {
            stale++;
        }
    }
    print_message("lines %ld, diffs %zu (stale %ld), applied %ld, trades %ld, "
                  "bookTicker at last diff: %ld match, %ld mismatch\n",
                  lines, n_diff, stale, seen.books, seen.trades, matches, mismatches);
    assert_int_equal(n_diff, 6551); /* PROVENANCE section 4 */
    assert_true(stale >= 1);
    assert_int_equal(seen.books, x_applied);
    assert_int_equal(st.books, x_applied);
    assert_int_equal(st.resyncs, 0);
    assert_int_equal(seen.status, 0);
    assert_false(seen.crossed);
    assert_int_equal(seen.last_u, diff_u[n_diff - 1]);
    assert_int_equal(seen.trades, x_trades);
    assert_int_equal(seen.buys, x_buys);
    assert_int_equal(seen.sells, x_trades - x_buys);
    assert_int_equal(st.bad_json + st.bad_field + st.unknown_topic + st.no_instr, 0);
    assert_int_equal(mismatches, 0);
    assert_true(matches > 0);
    book_check(binance_book(p, "BTCUSDT"));

    binance_destroy(&p);
    assert_null(p);
    instr_table_destroy(&instrs);
}

static void
test_sync_rules_and_malformed(void **state)
{
    (void)state;
    instr_table_t *instrs = s_instruments();
    md_stats_t st = { 0 };
    s_seen_t seen = { 0 };
    const md_sink_t sink = {
        .book = s_on_book, .trade = s_on_trade, .status = s_on_status, .arg = &seen
    };
    binance_t *p = binance_new(k_venue, false, instrs, 1000, 10, &st, &sink);
    assert_non_null(p);
    seen.p = p;
    assert_int_equal(binance_add_symbol(p, "BTCUSDT", true), 0);

    /* shapes from the capture, ids made small */
    const char *snap = "{\"lastUpdateId\":100,\"E\":1,\"T\":1,\"bids\":[[\"61800.20\",\"2.909\"]],"
                       "\"asks\":[[\"61800.30\",\"1.000\"]]}";
    const char *d_stale = "{\"stream\":\"btcusdt@depth@0ms\",\"data\":{\"e\":\"depthUpdate\","
                          "\"E\":2,\"T\":2,\"s\":\"BTCUSDT\",\"U\":90,\"u\":99,\"pu\":89,"
                          "\"b\":[],\"a\":[]}}";
    const char *d_first = "{\"stream\":\"btcusdt@depth@0ms\",\"data\":{\"e\":\"depthUpdate\","
                          "\"E\":3,\"T\":3,\"s\":\"BTCUSDT\",\"U\":95,\"u\":105,\"pu\":99,"
                          "\"b\":[[\"61800.10\",\"1.000\"]],\"a\":[]}}";
    const char *d_next = "{\"stream\":\"btcusdt@depth@0ms\",\"data\":{\"e\":\"depthUpdate\","
                         "\"E\":4,\"T\":4,\"s\":\"BTCUSDT\",\"U\":106,\"u\":110,\"pu\":105,"
                         "\"b\":[[\"61800.20\",\"0.000\"]],\"a\":[]}}";
    const char *d_gap = "{\"stream\":\"btcusdt@depth@0ms\",\"data\":{\"e\":\"depthUpdate\","
                        "\"E\":5,\"T\":5,\"s\":\"BTCUSDT\",\"U\":120,\"u\":125,\"pu\":119,"
                        "\"b\":[],\"a\":[]}}";

    /* held until the snapshot: nothing published */
    assert_int_equal(binance_parse(p, d_stale, strlen(d_stale), 10), 0);
    assert_int_equal(binance_parse(p, d_first, strlen(d_first), 11), 0);
    assert_int_equal(seen.books, 0);
    assert_int_equal(binance_snapshot(p, "BTCUSDT", snap, strlen(snap), 12), 0);
    /* stale dropped, first straddles 100 (95 <= 100 <= 105) */
    assert_int_equal(seen.books, 1);
    assert_int_equal(seen.last_u, 105);
    assert_int_equal(binance_parse(p, d_next, strlen(d_next), 13), 0);
    assert_int_equal(seen.books, 2);
    book_level_t bid, ask;
    assert_int_equal(book_best(binance_book(p, "BTCUSDT"), &bid, &ask), 0);
    assert_int_equal(bid.px, 618001); /* 61800.20 deleted */
    /* pu 119 != last u 110: resync, book dropped, asks for a snapshot again */
    errno = 0;
    assert_int_equal(binance_parse(p, d_gap, strlen(d_gap), 14), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.resyncs, 1);
    assert_int_equal(seen.status, 1);
    assert_string_equal(binance_want_snapshot(p), "BTCUSDT");
    assert_false(book_synced(binance_book(p, "BTCUSDT")));
    /* an old snapshot that the held diff (U 120) does not straddle: resync again */
    errno = 0;
    assert_int_equal(binance_snapshot(p, "BTCUSDT", snap, strlen(snap), 15), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.resyncs, 2);
    assert_string_equal(binance_want_snapshot(p), "BTCUSDT");

    /* malformed snapshot body: EPROTO, stays in NEED */
    errno = 0;
    assert_int_equal(binance_snapshot(p, "BTCUSDT", "{\"lastUpdateId\":\"x\"}", 20, 16), -1);
    assert_int_equal(errno, EPROTO);
    errno = 0;
    assert_int_equal(binance_snapshot(p, "ETHUSDT", snap, strlen(snap), 16), -1);
    assert_int_equal(errno, ENOENT);

    /* cut frame, number where a string belongs, unknown event */
    long bj = st.bad_json, bf = st.bad_field, ut = st.unknown_topic;
    errno = 0;
    assert_int_equal(binance_parse(p, d_next, strlen(d_next) / 2, 17), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.bad_json, bj + 1);
    const char *num = "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"T\":1,"
                      "\"s\":\"BTCUSDT\",\"t\":5266583935,\"p\":61800.30,\"q\":\"0.006\","
                      "\"X\":\"MARKET\",\"m\":false}}";
    errno = 0;
    assert_int_equal(binance_parse(p, num, strlen(num), 18), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.bad_field, bf + 1);
    assert_int_equal(seen.trades, 0);
    const char *unk =
        "{\"stream\":\"btcusdt@markPrice\",\"data\":{\"e\":\"markPriceUpdate\",\"E\":1}}";
    errno = 0;
    assert_int_equal(binance_parse(p, unk, strlen(unk), 19), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.unknown_topic, ut + 1);

    /* a kline frame as Binance sends it (spot BTCUSDT, values of the 2025-11-01 00:00 bar in
     * data/candles: o 109608.01 h 109621.62 l 109608.00 c 109616.35 v 5.65926 n 1005) */
    instr_t spot;
    assert_int_equal(instr_from_strings(&spot, "binance-spot", "spot", "BTCUSDT", "0.01", "0.00001",
                                        "0.00001", "5"),
                     0);
    assert_int_equal(instr_table_put(instrs, &spot), 0);
    binance_t *ps = binance_new("binance-spot", true, instrs, 1000, 10, &st, &sink);
    assert_non_null(ps);
    const char *kl =
        "{\"stream\":\"btcusdt@kline_1m\",\"data\":{\"e\":\"kline\",\"E\":1761955260000,"
        "\"s\":\"BTCUSDT\",\"k\":{\"t\":1761955200000,\"T\":1761955259999,"
        "\"s\":\"BTCUSDT\",\"i\":\"1m\",\"f\":1,\"L\":1005,\"o\":\"109608.01000000\","
        "\"c\":\"109616.35000000\",\"h\":\"109621.62000000\",\"l\":\"109608.00000000\","
        "\"v\":\"5.65926000\",\"n\":1005,\"x\":true,\"q\":\"620327.34965220\","
        "\"V\":\"3.81740000\",\"Q\":\"418426.01560140\",\"B\":\"0\"}}}";
    long k0 = st.klines;
    assert_int_equal(binance_parse(ps, kl, strlen(kl), 20), 0);
    assert_int_equal(st.klines, k0 + 1);
    binance_destroy(&ps);

    binance_destroy(&p);
    instr_table_destroy(&instrs);
}

/* ---- spot: depth@100ms sync (U == previous u + 1), bookTicker -> md.ticker ---------------- */

typedef struct {
    long tickers, ticker_no_time, books;
    codec_md_ticker_t last;
} s_spot_t;

static void
s_spot_ticker(const codec_md_ticker_t *t, int64_t origin, void *arg)
{
    s_spot_t *s = arg;
    (void)origin;
    s->tickers++;
    s->ticker_no_time += t->ts_event == 0;
    assert_true(t->bid_px > 0 && t->ask_px > t->bid_px);
    s->last = *t;
}

static void
s_spot_book(const codec_md_book_t *b, int64_t origin, void *arg)
{
    s_spot_t *s = arg;
    (void)origin;
    assert_false(b->n_bids && b->n_asks && b->bids[0].px >= b->asks[0].px);
    s->books++;
}

static void
test_spot_capture(void **state)
{
    (void)state;
    instr_t in;
    /* config/default.json feed.instruments, from Binance /api/v3/exchangeInfo 2024-09-08 */
    assert_int_equal(instr_from_strings(&in, "binance-spot", "spot", "BTCUSDT", "0.01", "0.00001",
                                        "0.00001", "5"),
                     0);
    instr_table_t *t = instr_table_new();
    assert_int_equal(instr_table_put(t, &in), 0);
    md_stats_t st = { 0 };
    s_spot_t seen = { 0 };
    const md_sink_t sink = { .book = s_spot_book, .ticker = s_spot_ticker, .arg = &seen };
    binance_t *p = binance_new("binance-spot", true, t, 1000, 10, &st, &sink);
    assert_int_equal(binance_add_symbol(p, "BTCUSDT", true), 0);
    gzFile gz = gzopen("data/binance/spot_btcusdt_20240808.gz", "rb");
    assert_non_null(gz);
    size_t cap = 8u << 20;
    char *line = malloc(cap);
    long x_bt = 0, x_applied = 0, x_breaks = 0, matches = 0, mismatches = 0;
    uint64_t snap_u = 0, prev_u = 0;
    static uint64_t diff_U[8192], diff_u[8192];
    size_t n_diff = 0;
    while (gzgets(gz, line, (int)cap)) {
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }
        char *js = strchr(line, ' ') + 1;
        size_t jl = n - (size_t)(js - line);
        json_t *j = json_loadb(js, jl, 0, NULL);
        assert_non_null(j);
        json_t *lu = json_object_get(j, "lastUpdateId");
        if (lu) {
            snap_u = (uint64_t)json_integer_value(lu);
            assert_int_equal(binance_snapshot(p, "BTCUSDT", js, jl, 1), 0);
            json_decref(j);
            continue;
        }
        const char *stream = json_string_value(json_object_get(j, "stream"));
        json_t *d = json_object_get(j, "data");
        if (strstr(stream, "@depth")) {
            diff_U[n_diff] = (uint64_t)json_integer_value(json_object_get(d, "U"));
            diff_u[n_diff++] = (uint64_t)json_integer_value(json_object_get(d, "u"));
        }
        if (binance_parse(p, js, jl, 1) != 0) {
            fail_msg("%s: %.200s (bad_field %lld resyncs %lld)", strerror(errno), js,
                     (long long)st.bad_field, (long long)st.resyncs);
        }
        if (strstr(stream, "@bookTicker")) {
            x_bt++;
            const book_t *bk = binance_book(p, "BTCUSDT");
            book_level_t bid, ask;
            uint64_t u = (uint64_t)json_integer_value(json_object_get(d, "u"));
            if (snap_u && u == book_seq(bk) && book_best(bk, &bid, &ask) == 0) {
                int64_t b2, a2;
                const char *bs = json_string_value(json_object_get(d, "b"));
                const char *as = json_string_value(json_object_get(d, "a"));
                assert_int_equal(money_parse(bs, strlen(bs), 2, &b2), 0);
                assert_int_equal(money_parse(as, strlen(as), 2, &a2), 0);
                if (bid.px == b2 && ask.px == a2) {
                    matches++;
                } else {
                    mismatches++;
                }
            }
        }
        json_decref(j);
    }
    gzclose(gz);
    free(line);
    /* independent expectation (Binance spot procedure): drop u <= L, then a chain with
     * U == previous u + 1 from the first kept diff on */
    assert_true(snap_u > 0);
    for (size_t i = 0; i < n_diff; i++) {
        if (diff_u[i] <= snap_u) {
            continue;
        }
        if (prev_u && diff_U[i] != prev_u + 1) {
            x_breaks++;
        }
        prev_u = diff_u[i];
        x_applied++;
    }
    print_message("spot: %zu diffs, %ld applied, %ld breaks; %ld bookTicker -> %ld md.ticker; "
                  "bookTicker at the last diff's u: %ld match, %ld mismatch\n",
                  n_diff, x_applied, x_breaks, x_bt, seen.tickers, matches, mismatches);
    assert_int_equal(n_diff, 3451);
    assert_int_equal(x_breaks, 0); /* the issue: "spot diffs chain with zero breaks" */
    assert_int_equal(seen.books, x_applied);
    assert_int_equal(st.resyncs, 0);
    assert_int_equal(seen.tickers, x_bt);
    assert_int_equal(mismatches, 0);
    /* spot bookTicker carries no time: the latest E of the connection; 0 only before any */
    assert_true(seen.last.ts_event > 1723161254LL * 1000000000LL);
    binance_destroy(&p);
    instr_table_destroy(&t);
}

int
main(void)
{
    log_init("test", LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usdm_capture),
        cmocka_unit_test(test_sync_rules_and_malformed),
        cmocka_unit_test(test_spot_capture),
    };
    return cmocka_run_group_tests_name("binance", tests, NULL, NULL);
}
