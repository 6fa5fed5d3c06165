/*  test_klines.c - CSV row -> Binance combined-stream kline frame (tools/venue-sim/klines.h).
 *  Expected frames are written out by hand from the documented shape (klines.h, Binance
 *  "Kline/Candlestick Streams") and the CSV row: times µs -> ms by /1000, E = T + 1.
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

#include "tools/venue-sim/klines.h"

/* data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-01.csv, first row (PROVENANCE.md 5) */
static const char k_row_us[] = "1761955200000000,109608.01000000,109621.62000000,109608.00000000,"
                               "109616.35000000,5.65926000,1761955259999999,620327.34965220,1005,"
                               "3.81740000,418426.01560140,0\n";

static void
test_known_row_us(void **state)
{
    (void)state;
    char out[KLINES_FRAME_MAX];
    size_t len = 0;
    int64_t e = 0;
    /* t = 1761955200000000 µs / 1000; T = 1761955259999999 / 1000 = 1761955259999 (floor);
     * E = T + 1 = 1761955260000. o/h/l/c/v/q/V/Q copied from columns 2,3,4,5,6,8,10,11. */
    static const char k_expect[] =
        "{\"stream\":\"btcusdt@kline_1m\",\"data\":{\"e\":\"kline\",\"E\":1761955260000,"
        "\"s\":\"BTCUSDT\",\"k\":{\"t\":1761955200000,\"T\":1761955259999,\"s\":\"BTCUSDT\","
        "\"i\":\"1m\",\"f\":-1,\"L\":-1,\"o\":\"109608.01000000\",\"c\":\"109616.35000000\","
        "\"h\":\"109621.62000000\",\"l\":\"109608.00000000\",\"v\":\"5.65926000\",\"n\":1005,"
        "\"x\":true,\"q\":\"620327.34965220\",\"V\":\"3.81740000\",\"Q\":\"418426.01560140\","
        "\"B\":\"0\"}}}";
    assert_int_equal(klines_frame(k_row_us, strlen(k_row_us), "BTCUSDT", out, sizeof out, &len, &e),
                     0);
    assert_string_equal(out, k_expect);
    assert_int_equal(len, strlen(k_expect));
    assert_int_equal(e, INT64_C(1761955260000));
}

static void
test_ms_row_and_crlf(void **state)
{
    (void)state;
    /* synthetic row in the pre-2025 millisecond layout (values as in the 2024-12-31 file's
     * first row quoted in PROVENANCE.md), with a CRLF ending */
    static const char row[] = "1735603200000,92792.05000000,92832.25000000,92782.12000000,"
                              "92782.13000000,6.45789000,1735603259999,599298.29174060,1660,"
                              "4.36611000,405183.17952120,0\r\n";
    char out[KLINES_FRAME_MAX];
    size_t len;
    int64_t e;
    assert_int_equal(klines_frame(row, strlen(row), "BTCUSDT", out, sizeof out, &len, &e), 0);
    assert_int_equal(e, INT64_C(1735603260000)); /* ms kept as is: T + 1 */
    assert_non_null(strstr(out, "\"t\":1735603200000,\"T\":1735603259999,"));
    assert_non_null(strstr(out, "\"Q\":\"405183.17952120\",\"B\":\"0\"}}}"));
    assert_int_equal(out[len - 1], '}'); /* CRLF not copied */
}

static void
test_symbol_lowercased_in_stream(void **state)
{
    (void)state;
    char out[KLINES_FRAME_MAX];
    size_t len;
    int64_t e;
    assert_int_equal(klines_frame(k_row_us, strlen(k_row_us), "ETHUSDT", out, sizeof out, &len, &e),
                     0);
    assert_memory_equal(out, "{\"stream\":\"ethusdt@kline_1m\"", 27);
}

static void
s_expect_einval(const char *row)
{
    char out[KLINES_FRAME_MAX] = "untouched";
    size_t len = 77;
    int64_t e = 77;
    errno = 0;
    assert_int_equal(klines_frame(row, strlen(row), "BTCUSDT", out, sizeof out, &len, &e), -1);
    assert_int_equal(errno, EINVAL);
    assert_string_equal(out, "untouched");
    assert_int_equal(len, 77);
    assert_int_equal(e, 77);
}

static void
test_malformed_rows(void **state)
{
    (void)state;
    /* 11 columns */
    s_expect_einval("1761955200000000,1,1,1,1,1,1761955259999999,1,5,1,1");
    /* 13 columns */
    s_expect_einval("1761955200000000,1,1,1,1,1,1761955259999999,1,5,1,1,0,9");
    /* exponent is not a plain decimal */
    s_expect_einval("1761955200000000,1e5,1,1,1,1,1761955259999999,1,5,1,1,0");
    /* negative price */
    s_expect_einval("1761955200000000,-1,1,1,1,1,1761955259999999,1,5,1,1,0");
    /* two dots */
    s_expect_einval("1761955200000000,1.2.3,1,1,1,1,1761955259999999,1,5,1,1,0");
    /* quote inside a field would break the JSON */
    s_expect_einval("1761955200000000,1\",1,1,1,1,1761955259999999,1,5,1,1,0");
    /* trades not an integer */
    s_expect_einval("1761955200000000,1,1,1,1,1,1761955259999999,1,5.5,1,1,0");
    /* close before open */
    s_expect_einval("1761955259999999,1,1,1,1,1,1761955200000000,1,5,1,1,0");
    /* empty field */
    s_expect_einval("1761955200000000,,1,1,1,1,1761955259999999,1,5,1,1,0");
    /* header line */
    s_expect_einval("open_time,open,high,low,close,volume,close_time,quote_volume,count,"
                    "taker_buy_volume,taker_buy_quote_volume,ignore");
}

static void
test_bad_symbol_and_small_buffer(void **state)
{
    (void)state;
    char out[64] = "untouched";
    size_t len = 5;
    int64_t e = 5;
    errno = 0;
    assert_int_equal(klines_frame(k_row_us, strlen(k_row_us), "", out, sizeof out, &len, &e), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(klines_frame(k_row_us, strlen(k_row_us), "ABCDEFGHIJKLMNOPQRSTU", out,
                                  sizeof out, &len, &e),
                     -1); /* 21 chars */
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(klines_frame(k_row_us, strlen(k_row_us), "BTCUSDT", out, sizeof out, &len, &e),
                     -1); /* the frame is ~400 bytes */
    assert_int_equal(errno, ENOBUFS);
    assert_string_equal(out, "untouched");
    assert_int_equal(len, 5);
    assert_int_equal(e, 5);
}

/* ---- REST klines (klines_rest_body) ------------------------------------------------------ */

/* The first three rows of BTCUSDT-1m-2025-11-01.csv (data/candles) as replayed frames. */
static const char *const k_rows[] = {
    "1761955200000000,109608.01000000,109621.62000000,109608.00000000,109616.35000000,"
    "5.65926000,1761955259999999,620327.34965220,1005,3.81740000,418426.01560140,0",
    "1761955260000000,109616.34000000,109639.64000000,109550.46000000,109550.47000000,"
    "47.19536000,1761955319999999,5172298.30687730,2016,1.86014000,203897.08147810,0",
    "1761955320000000,109550.46000000,109550.46000000,109470.92000000,109470.93000000,"
    "10.29554000,1761955379999999,1127423.03182360,2208,2.98846000,327264.87617940,0",
};

typedef struct {
    char text[6][KLINES_FRAME_MAX];
    size_t len[6];
    int64_t ts[6];
    size_t n;
    int skip; /* index of a frame of another stream (returned NULL), -1 none */
} s_frames_t;

static const char *
s_get(size_t i, void *arg, size_t *len, int64_t *ts_ms)
{
    s_frames_t *f = arg;
    assert_true(i < f->n);
    if ((int)i == f->skip) {
        return NULL;
    }
    *len = f->len[i];
    *ts_ms = f->ts[i];
    return f->text[i];
}

static void
s_binance_frames(s_frames_t *f)
{
    memset(f, 0, sizeof *f);
    f->skip = -1;
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(klines_frame(k_rows[i], strlen(k_rows[i]), "BTCUSDT", f->text[i],
                                      sizeof f->text[i], &f->len[i], &f->ts[i]),
                         0);
    }
    f->n = 3;
}

/* Binance rows: [openTime, o, h, l, c, v, closeTime, q, n, V, Q, "0"] from CSV columns 1..11
 * (times / 1000), written out by hand. */
#define S_ROW0                                                                                     \
    "[1761955200000,\"109608.01000000\",\"109621.62000000\",\"109608.00000000\","                  \
    "\"109616.35000000\",\"5.65926000\",1761955259999,\"620327.34965220\",1005,\"3.81740000\","    \
    "\"418426.01560140\",\"0\"]"
#define S_ROW1                                                                                     \
    "[1761955260000,\"109616.34000000\",\"109639.64000000\",\"109550.46000000\","                  \
    "\"109550.47000000\",\"47.19536000\",1761955319999,\"5172298.30687730\",2016,\"1.86014000\","  \
    "\"203897.08147810\",\"0\"]"

static char *
s_body(const klines_query_t *q, s_frames_t *f)
{
    size_t bad = 99;
    char *b = klines_rest_body(q, s_get, f, f->n, "spot", "BTCUSDT", 1, &bad);
    assert_non_null(b);
    assert_int_equal(bad, 0);
    return b;
}

static void
test_rest_binance_replay_clock(void **state)
{
    (void)state;
    s_frames_t f;
    s_binance_frames(&f);
    /* clock at the second frame's event time (E = 1761955320000): rows 0 and 1 have closed
     * (exclusive ends ...260000 and ...320000 <= clock), row 2 (end ...380000) is the future */
    klines_query_t q = { KLINES_BINANCE, -1, -1, 500, INT64_C(1761955320000) };
    char *b = s_body(&q, &f);
    assert_string_equal(b, "[" S_ROW0 "," S_ROW1 "]"); /* oldest first */
    free(b);
    /* one ms earlier the second bar has not closed */
    q.now_ms = INT64_C(1761955319999);
    b = s_body(&q, &f);
    assert_string_equal(b, "[" S_ROW0 "]");
    free(b);
    /* before the first close: empty */
    q.now_ms = INT64_C(1761955259999);
    b = s_body(&q, &f);
    assert_string_equal(b, "[]");
    free(b);
}

static void
test_rest_binance_limit_and_times(void **state)
{
    (void)state;
    s_frames_t f;
    s_binance_frames(&f);
    f.skip = 2; /* a frame of another stream in between: ignored */
    int64_t all = INT64_C(1761955380000);
    /* no startTime: the newest `limit` (row 1, as row 2 is another stream's) */
    klines_query_t q = { KLINES_BINANCE, -1, -1, 1, all };
    char *b = s_body(&q, &f);
    assert_string_equal(b, "[" S_ROW1 "]");
    free(b);
    /* endTime on the open time: rows opened at/before 1761955259999 -> row 0 */
    q.end_ms = INT64_C(1761955259999);
    q.limit = 10;
    b = s_body(&q, &f);
    assert_string_equal(b, "[" S_ROW0 "]");
    free(b);
    /* startTime: the first `limit` opened at/after it, walking forward */
    q.start_ms = INT64_C(1761955200000);
    q.end_ms = -1;
    q.limit = 1;
    b = s_body(&q, &f);
    assert_string_equal(b, "[" S_ROW0 "]");
    free(b);
    q.start_ms = INT64_C(1761955200001);
    b = s_body(&q, &f);
    assert_string_equal(b, "[" S_ROW1 "]");
    free(b);
}

static void
test_rest_bybit_recorded_frames(void **state)
{
    (void)state;
    /* data/bybit_v5/bybit_v5_linear_frames.jsonl: an open update of the 21:26 bar, then the
     * push that closes it (confirm true) and opens 21:27 (confirm false) */
    s_frames_t f;
    memset(&f, 0, sizeof f);
    f.skip = -1;
    static const char *const k_fr[] = {
        "{\"topic\":\"kline.1.BTCUSDT\",\"data\":[{\"start\":1786310760000,\"end\":1786310819999,"
        "\"interval\":\"1\",\"open\":\"65119.9\",\"close\":\"65114.3\",\"high\":\"65119.9\","
        "\"low\":\"65114.2\",\"volume\":\"3.708\",\"turnover\":\"241451.6826\",\"confirm\":false,"
        "\"timestamp\":1786310819441}],\"ts\":1786310819441,\"type\":\"snapshot\"}",
        "{\"topic\":\"kline.1.BTCUSDT\",\"data\":[{\"start\":1786310760000,\"end\":1786310819999,"
        "\"interval\":\"1\",\"open\":\"65119.9\",\"close\":\"65114.2\",\"high\":\"65119.9\","
        "\"low\":\"65114.2\",\"volume\":\"3.712\",\"turnover\":\"241712.1394\",\"confirm\":true,"
        "\"timestamp\":1786310820441},{\"start\":1786310820000,\"end\":1786310879999,"
        "\"interval\":\"1\",\"open\":\"65114.2\",\"close\":\"65114.2\",\"high\":\"65114.2\","
        "\"low\":\"65114.2\",\"volume\":\"0\",\"turnover\":\"0\",\"confirm\":false,"
        "\"timestamp\":1786310820441}],\"ts\":1786310820441,\"type\":\"snapshot\"}",
    };
    for (size_t i = 0; i < 2; i++) {
        snprintf(f.text[i], sizeof f.text[i], "%s", k_fr[i]);
        f.len[i] = strlen(k_fr[i]);
    }
    f.ts[0] = INT64_C(1786310819441);
    f.ts[1] = INT64_C(1786310820441);
    f.n = 2;
    klines_query_t q = { KLINES_BYBIT, -1, -1, 200, INT64_C(1786310820441) };
    size_t bad = 9;
    char *b = klines_rest_body(&q, s_get, &f, f.n, "linear", "BTCUSDT", 1786310821000, &bad);
    assert_non_null(b);
    assert_int_equal(bad, 0);
    /* only the confirmed bar, 7 strings [start, open, high, low, close, volume, turnover] */
    assert_string_equal(b, "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":\"linear\","
                           "\"symbol\":\"BTCUSDT\",\"list\":[[\"1786310760000\",\"65119.9\","
                           "\"65119.9\",\"65114.2\",\"65114.2\",\"3.712\",\"241712.1394\"]]},"
                           "\"retExtInfo\":{},\"time\":1786310821000}");
    free(b);
    /* before the closing push was sent: nothing */
    q.now_ms = INT64_C(1786310820440);
    b = klines_rest_body(&q, s_get, &f, f.n, "linear", "BTCUSDT", 5, &bad);
    assert_non_null(strstr(b, "\"list\":[]}"));
    free(b);
}

static void
test_rest_bad_query_and_bad_frames(void **state)
{
    (void)state;
    s_frames_t f;
    s_binance_frames(&f);
    klines_query_t q = { KLINES_BINANCE, -1, -1, 0, INT64_MAX };
    errno = 0;
    assert_null(klines_rest_body(&q, s_get, &f, f.n, "spot", "BTCUSDT", 1, NULL));
    assert_int_equal(errno, EINVAL); /* limit 0 */
    q.limit = 10;
    errno = 0;
    assert_null(klines_rest_body(&q, s_get, &f, f.n, "spot", "BTC\"USDT", 1, NULL));
    assert_int_equal(errno, EINVAL); /* would break the JSON */
    q.venue = KLINES_BYBIT;
    errno = 0;
    assert_null(klines_rest_body(&q, s_get, &f, f.n, NULL, "BTCUSDT", 1, NULL));
    assert_int_equal(errno, EINVAL); /* Bybit needs the category */
    /* a frame that does not parse is counted and skipped */
    q.venue = KLINES_BINANCE;
    snprintf(f.text[1], sizeof f.text[1], "{\"stream\":1}");
    f.len[1] = strlen(f.text[1]);
    size_t bad = 0;
    char *b = klines_rest_body(&q, s_get, &f, f.n, "spot", "BTCUSDT", 1, &bad);
    assert_int_equal(bad, 1);
    assert_non_null(strstr(b, "[[1761955200000,"));
    assert_null(strstr(b, "1761955260000,"));
    free(b);
}

static void
test_stream_names(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(klines_stream_name(KLINES_BINANCE, "1m", "BTCUSDT", out, sizeof out), 0);
    assert_string_equal(out, "btcusdt@kline_1m");
    assert_int_equal(klines_stream_name(KLINES_BYBIT, "1", "BTCUSDT", out, sizeof out), 0);
    assert_string_equal(out, "kline.1.BTCUSDT");
    assert_int_equal(klines_stream_name(KLINES_BYBIT, "D", "ETHUSDT", out, sizeof out), 0);
    assert_string_equal(out, "kline.D.ETHUSDT");
    errno = 0;
    assert_int_equal(klines_stream_name(KLINES_BINANCE, "1", "BTCUSDT", out, sizeof out), -1);
    assert_int_equal(errno, EINVAL); /* Bybit's word, not Binance's */
    errno = 0;
    assert_int_equal(klines_stream_name(KLINES_BYBIT, "1m", "BTCUSDT", out, sizeof out), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(klines_stream_name(KLINES_BINANCE, "1m", "BTCUSDT", out, 8), -1);
}


/* The reason of a refused row (klines_frame_ex), and out untouched. */
static void
s_expect_why(const char *row, const char *why_expect)
{
    char out[KLINES_FRAME_MAX] = "untouched", why[256] = "";
    size_t len = 77;
    int64_t e = 77, t = 77;
    errno = 0;
    assert_int_equal(klines_frame_ex(row, strlen(row), "BTCUSDT", out, sizeof out, &len, &e, &t,
                                     why, sizeof why),
                     -1);
    assert_int_equal(errno, EINVAL);
    assert_string_equal(why, why_expect);
    assert_string_equal(out, "untouched");
    assert_int_equal(t, 77);
}

static void
test_refusal_reasons(void **state)
{
    (void)state;
    s_expect_why("1761955200000000,1,1,1,1,1,1761955259999999,1,5,1,1",
                 "expected 12 comma-separated columns, got 11");
    s_expect_why("1761955200000000,1,1,1,1,1,1761955259999999,1,5,1,1,0,9",
                 "expected 12 comma-separated columns, got 13");
    s_expect_why("1761955200000000,abc,1,1,1,1,1761955259999999,1,5,1,1,0",
                 "open \"abc\" is not a plain unsigned decimal");
    s_expect_why("1.76e15,1,1,1,1,1,1761955259999999,1,5,1,1,0",
                 "open_time \"1.76e15\" is not a plain integer");
    s_expect_why("1761955259999999,1,1,1,1,1,1761955200000000,1,5,1,1,0",
                 "close_time is not after open_time");
    /* a 5-minute bar (data.binance.vision's 5m files): the frame would say 1m */
    s_expect_why("1761955200000,1,1,1,1,1,1761955499999,1,5,1,1,0",
                 "not a 1-minute bar (close_time - open_time = 299999 ms): only 1m klines are "
                 "replayed");
    /* prices out of order: high below low, close above high, open below low */
    s_expect_why("1761955200000,5,4,6,5,1,1761955259999,1,5,1,1,0",
                 "open/close outside [low, high] or low above high");
    s_expect_why("1761955200000,5,6,4,6.5,1,1761955259999,1,5,1,1,0",
                 "open/close outside [low, high] or low above high");
    s_expect_why("1761955200000,3.99,6,4.00,5,1,1761955259999,1,5,1,1,0",
                 "open/close outside [low, high] or low above high");
}

static void
test_decimal_order_and_open_time(void **state)
{
    (void)state;
    char out[KLINES_FRAME_MAX], why[128] = "";
    size_t len;
    int64_t e, t;
    /* decimals compared by value, not as text: 9.5 < 10, 010.0 == 10, 10 == 10.000 */
    static const char row[] = "1761955200000,9.5,010.0,9.5,10.000,1,1761955259999,1,5,1,1,0";
    assert_int_equal(klines_frame_ex(row, strlen(row), "BTCUSDT", out, sizeof out, &len, &e, &t,
                                     why, sizeof why),
                     0);
    assert_int_equal(t, INT64_C(1761955200000));
    assert_int_equal(e, INT64_C(1761955260000));
    /* µs and ms rows of the same minute give the same frame */
    static const char us[] = "1761955200000000,9.5,010.0,9.5,10.000,1,1761955259999999,1,5,1,1,0";
    char out2[KLINES_FRAME_MAX];
    size_t len2;
    int64_t e2, t2;
    assert_int_equal(
        klines_frame_ex(us, strlen(us), "BTCUSDT", out2, sizeof out2, &len2, &e2, &t2, NULL, 0), 0);
    assert_string_equal(out, out2);
    assert_int_equal(t, t2);
}

static void
test_header_line(void **state)
{
    (void)state;
    static const char hdr[] = "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
                              "taker_buy_volume,taker_buy_quote_volume,ignore\r\n";
    assert_true(klines_is_header(hdr, strlen(hdr)));
    assert_false(klines_is_header(k_row_us, strlen(k_row_us)));
    /* 11 names, or a first column that is not open_time, or a value: not the header */
    static const char short_hdr[] = "open_time,open,high,low,close,volume,close_time,"
                                    "quote_volume,count,taker_buy_volume,taker_buy_quote_volume";
    assert_false(klines_is_header(short_hdr, strlen(short_hdr)));
    static const char other[] = "time,open,high,low,close,volume,close_time,quote_volume,count,"
                                "taker_buy_volume,taker_buy_quote_volume,ignore";
    assert_false(klines_is_header(other, strlen(other)));
    static const char val[] = "open_time,1,1,1,1,1,1,1,1,1,1.5,0";
    assert_false(klines_is_header(val, strlen(val)));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_row_us),
        cmocka_unit_test(test_ms_row_and_crlf),
        cmocka_unit_test(test_symbol_lowercased_in_stream),
        cmocka_unit_test(test_malformed_rows),
        cmocka_unit_test(test_bad_symbol_and_small_buffer),
        cmocka_unit_test(test_rest_binance_replay_clock),
        cmocka_unit_test(test_rest_binance_limit_and_times),
        cmocka_unit_test(test_rest_bybit_recorded_frames),
        cmocka_unit_test(test_rest_bad_query_and_bad_frames),
        cmocka_unit_test(test_stream_names),
        cmocka_unit_test(test_refusal_reasons),
        cmocka_unit_test(test_decimal_order_and_open_time),
        cmocka_unit_test(test_header_line),
    };
    return cmocka_run_group_tests_name("venue-sim klines", tests, NULL, NULL);
}
