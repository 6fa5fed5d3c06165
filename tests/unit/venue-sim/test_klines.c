/*  test_klines.c - CSV row -> Binance combined-stream kline frame (tools/venue-sim/klines.h).
 *  Expected frames are written out by hand from the documented shape (klines.h, Binance
 *  "Kline/Candlestick Streams") and the CSV row: times µs -> ms by /1000, E = T + 1.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_row_us),
        cmocka_unit_test(test_ms_row_and_crlf),
        cmocka_unit_test(test_symbol_lowercased_in_stream),
        cmocka_unit_test(test_malformed_rows),
        cmocka_unit_test(test_bad_symbol_and_small_buffer),
    };
    return cmocka_run_group_tests_name("venue-sim klines", tests, NULL, NULL);
}
