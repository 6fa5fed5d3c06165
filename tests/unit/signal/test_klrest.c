/*  test_klrest.c - the venue REST kline answers -> md.kline values (signal/klrest.h).
 *  Bodies: Binance rows are the first rows of data/candles/binance_spot_btcusdt_1m/
 *  BTCUSDT-1m-2025-11-01.csv in Binance's REST layout (venue-sim serves exactly these; the
 *  layout is Binance's "Kline/Candlestick data"); the Bybit row is the closed 21:26 BTCUSDT bar
 *  of data/bybit_v5/bybit_v5_linear_frames.jsonl in Bybit's /v5/market/kline layout
 *  (BYBIT_V5.md 2). Expected mantissas are the decimal strings read at the scale by hand.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "signal/klrest.h"

/* binance-spot BTCUSDT: tick 0.01 -> px_scale 2, step 0.00001 -> qty_scale 5 (config) */
static const klrest_series_t k_spot = { .api = KLREST_BINANCE_SPOT,
                                        .base = "http://127.0.0.1:18765/spot",
                                        .category = "spot",
                                        .venue = "binance-spot",
                                        .symbol = "BTCUSDT",
                                        .tf_s = 60,
                                        .px_scale = 2,
                                        .qty_scale = 5 };

static const char k_binance_body[] =
    "[[1761955200000,\"109608.01000000\",\"109621.62000000\",\"109608.00000000\","
    "\"109616.35000000\",\"5.65926000\",1761955259999,\"620327.34965220\",1005,\"3.81740000\","
    "\"418426.01560140\",\"0\"],"
    "[1761955260000,\"109616.34000000\",\"109639.64000000\",\"109550.46000000\","
    "\"109550.47000000\",\"47.19536000\",1761955319999,\"5172298.30687730\",2016,\"1.86014000\","
    "\"203897.08147810\",\"0\"]]";

#define S_NOW_ALL INT64_C(1761955320000000000) /* both bars closed (second ends here) */

static void
test_binance_rows(void **state)
{
    (void)state;
    codec_md_kline_t k[4];
    size_t n = 9, rows = 9;
    int64_t oldest = 0;
    assert_int_equal(klrest_parse(&k_spot, k_binance_body, strlen(k_binance_body), S_NOW_ALL, k, 4,
                                  &n, &rows, &oldest),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(rows, 2);
    assert_int_equal(oldest, INT64_C(1761955200000));
    /* row 0: open time ms -> ns; end = open + 60 s (closeTime 1761955259999 + 1 ms) */
    assert_int_equal(k[0].start_ns, INT64_C(1761955200000000000));
    assert_int_equal(k[0].end_ns, INT64_C(1761955260000000000));
    assert_int_equal(k[0].ts_event, k[0].end_ns); /* E of the closing push = closeTime + 1 */
    assert_int_equal(k[0].open, 10960801);        /* "109608.01000000" at scale 2 */
    assert_int_equal(k[0].high, 10962162);
    assert_int_equal(k[0].low, 10960800);
    assert_int_equal(k[0].close, 10961635);
    assert_int_equal(k[0].volume, 565926);                 /* "5.65926000" at scale 5 */
    assert_int_equal(k[0].taker_buy_volume, 381740);       /* "3.81740000" */
    assert_int_equal(k[0].quote_volume, 62032734965220LL); /* "620327.34965220" at 8 */
    assert_int_equal(k[0].trades, 1005);
    assert_true(k[0].closed);
    assert_int_equal(k[0].interval_s, 60);
    assert_string_equal(k[0].venue, "binance-spot");
    assert_string_equal(k[0].symbol, "BTCUSDT");
    assert_int_equal(k[1].close, 10955047);
    assert_int_equal(k[1].trades, 2016);
    assert_int_equal(k[1].taker_buy_volume, 186014);
}

static void
test_open_bar_dropped(void **state)
{
    (void)state;
    codec_md_kline_t k[4];
    size_t n, rows;
    int64_t oldest;
    /* one ns before the second bar's end: it is still open on a live venue */
    assert_int_equal(klrest_parse(&k_spot, k_binance_body, strlen(k_binance_body), S_NOW_ALL - 1, k,
                                  4, &n, &rows, &oldest),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(rows, 2); /* the page had two rows: the caller keeps paging by rows */
    assert_int_equal(k[0].close, 10961635);
}

static void
test_bybit_rows_newest_first(void **state)
{
    (void)state;
    /* bybit-linear BTCUSDT: tickSize 0.10 -> px_scale 1, qtyStep 0.001 -> qty_scale 3 */
    klrest_series_t s = k_spot;
    s.api = KLREST_BYBIT;
    snprintf(s.venue, sizeof s.venue, "bybit-linear");
    s.px_scale = 1;
    s.qty_scale = 3;
    /* newest first: an invented bar one minute later, then the recorded 21:26 bar */
    static const char body[] =
        "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":\"linear\",\"symbol\":"
        "\"BTCUSDT\","
        "\"list\":[[\"1786310820000\",\"65114.2\",\"65114.2\",\"65114.2\",\"65114.2\",\"0\",\"0\"],"
        "[\"1786310760000\",\"65119.9\",\"65119.9\",\"65114.2\",\"65114.2\",\"3.712\","
        "\"241712.1394\"]]},\"retExtInfo\":{},\"time\":1786310821000}";
    codec_md_kline_t k[4];
    size_t n, rows;
    int64_t oldest;
    assert_int_equal(klrest_parse(&s, body, strlen(body), INT64_C(1786310880000000000), k, 4, &n,
                                  &rows, &oldest),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(oldest, INT64_C(1786310760000));
    assert_int_equal(k[0].start_ns, INT64_C(1786310760000000000)); /* oldest first */
    assert_int_equal(k[0].end_ns, INT64_C(1786310820000000000));
    assert_int_equal(k[0].open, 651199);
    assert_int_equal(k[0].close, 651142);
    assert_int_equal(k[0].volume, 3712);
    assert_int_equal(k[0].quote_volume, 24171213940000LL); /* "241712.1394" at scale 8 */
    assert_int_equal(k[0].trades, 0);                      /* Bybit's REST kline has none */
    assert_int_equal(k[0].taker_buy_volume, 0);
    assert_int_equal(k[1].start_ns, INT64_C(1786310820000000000));
    /* the newest row ends 21:28:00: open before then */
    assert_int_equal(klrest_parse(&s, body, strlen(body), INT64_C(1786310879999999999), k, 4, &n,
                                  &rows, &oldest),
                     0);
    assert_int_equal(n, 1);
}

static void
s_expect_eproto(const klrest_series_t *s, const char *body)
{
    codec_md_kline_t k[4];
    size_t n = 7, rows = 7;
    int64_t oldest = 7;
    errno = 0;
    assert_int_equal(klrest_parse(s, body, strlen(body), INT64_MAX, k, 4, &n, &rows, &oldest), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(n, 7); /* untouched */
}

static void
test_malformed(void **state)
{
    (void)state;
    klrest_series_t by = k_spot;
    by.api = KLREST_BYBIT;
    s_expect_eproto(&k_spot, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}"); /* not an array */
    s_expect_eproto(&k_spot, "[[1,\"1\"]]");                                  /* short row */
    /* a price finer than the tick (0.001 at scale 2) */
    s_expect_eproto(&k_spot, "[[1761955200000,\"1.001\",\"2\",\"1\",\"1\",\"1\",1761955259999,"
                             "\"1\",1,\"1\",\"1\",\"0\"]]");
    /* a 2-minute bar in a 1m series */
    s_expect_eproto(&k_spot, "[[1761955200000,\"1\",\"2\",\"1\",\"1\",\"1\",1761955319999,\"1\",1,"
                             "\"1\",\"1\",\"0\"]]");
    /* rows not oldest first */
    s_expect_eproto(&k_spot, "[[1761955260000,\"1\",\"1\",\"1\",\"1\",\"1\",1761955319999,\"1\",1,"
                             "\"1\",\"1\",\"0\"],[1761955200000,\"1\",\"1\",\"1\",\"1\",\"1\","
                             "1761955259999,\"1\",1,\"1\",\"1\",\"0\"]]");
    /* Bybit error answer */
    s_expect_eproto(&by, "{\"retCode\":10001,\"retMsg\":\"params error\",\"result\":{}}");
    s_expect_eproto(&by, "not json");
    /* more closed rows than room */
    codec_md_kline_t k[1];
    size_t n, rows;
    int64_t oldest;
    errno = 0;
    assert_int_equal(klrest_parse(&k_spot, k_binance_body, strlen(k_binance_body), S_NOW_ALL, k, 1,
                                  &n, &rows, &oldest),
                     -1);
    assert_int_equal(errno, ENOSPC);
}

static void
test_urls_and_intervals(void **state)
{
    (void)state;
    char url[512], iv[16];
    assert_int_equal(klrest_url(&k_spot, -1, 1000, url, sizeof url), 0);
    assert_string_equal(url, "http://127.0.0.1:18765/spot/api/v3/klines?symbol=BTCUSDT&"
                             "interval=1m&limit=1000");
    klrest_series_t s = k_spot;
    s.api = KLREST_BINANCE_USDM;
    snprintf(s.base, sizeof s.base, "http://127.0.0.1:18765/usdm");
    s.tf_s = 3600;
    assert_int_equal(klrest_url(&s, 1761955199999, 1500, url, sizeof url), 0);
    assert_string_equal(url, "http://127.0.0.1:18765/usdm/fapi/v1/klines?symbol=BTCUSDT&"
                             "interval=1h&limit=1500&endTime=1761955199999");
    errno = 0;
    assert_int_equal(klrest_url(&k_spot, -1, 1001, url, sizeof url), -1); /* spot max 1000 */
    assert_int_equal(errno, EINVAL);
    s.api = KLREST_BYBIT;
    snprintf(s.base, sizeof s.base, "http://127.0.0.1:18765");
    snprintf(s.category, sizeof s.category, "linear");
    s.tf_s = 60;
    assert_int_equal(klrest_url(&s, 1786310759999, 200, url, sizeof url), 0);
    assert_string_equal(url, "http://127.0.0.1:18765/v5/market/kline?category=linear&"
                             "symbol=BTCUSDT&interval=1&limit=200&end=1786310759999");
    /* interval words */
    assert_int_equal(klrest_interval(KLREST_BYBIT, 14400, iv, sizeof iv), 0);
    assert_string_equal(iv, "240");
    assert_int_equal(klrest_interval(KLREST_BYBIT, 86400, iv, sizeof iv), 0);
    assert_string_equal(iv, "D");
    assert_int_equal(klrest_interval(KLREST_BINANCE_SPOT, 1, iv, sizeof iv), 0);
    assert_string_equal(iv, "1s");
    assert_int_equal(klrest_interval(KLREST_BINANCE_USDM, 1, iv, sizeof iv), -1); /* spot only */
    assert_int_equal(klrest_interval(KLREST_BINANCE_SPOT, 90, iv, sizeof iv), -1);
    assert_int_equal(klrest_interval(KLREST_BYBIT, 1, iv, sizeof iv), -1);
    assert_int_equal(errno, EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binance_rows),
        cmocka_unit_test(test_open_bar_dropped),
        cmocka_unit_test(test_bybit_rows_newest_first),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_urls_and_intervals),
    };
    return cmocka_run_group_tests_name("klrest", tests, NULL, NULL);
}
