/*  test_exinfo.c - feed/exinfo on the two real Binance exchangeInfo bodies
 *  (data/binance/exchangeinfo_spot_20240908.json, exchangeinfo_usdm_20250306.json).
 *  Expected rules of BTCUSDT are the filters as Binance wrote them (PRICE_FILTER.tickSize,
 *  LOT_SIZE.stepSize/minQty, NOTIONAL.minNotional / MIN_NOTIONAL.notional), read by eye from
 *  the files and passed through instr_from_strings; the counts are an independent jansson
 *  count of TRADING symbols carrying both PRICE_FILTER and LOT_SIZE.
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
#include "feed/exinfo.h"

typedef struct {
    long n;
    instr_t btc;
    bool have_btc;
} s_seen_t;

static void
s_on(const instr_t *in, void *arg)
{
    s_seen_t *s = arg;
    s->n++;
    if (strcmp(in->symbol, "BTCUSDT") == 0) {
        s->btc = *in;
        s->have_btc = true;
    }
}

static long
s_count(const char *body, size_t len)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    size_t i, k;
    json_t *s, *f;
    long n = 0;
    json_array_foreach(json_object_get(j, "symbols"), i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "status")), "TRADING") != 0) {
            continue;
        }
        int have = 0;
        json_array_foreach(json_object_get(s, "filters"), k, f)
        {
            const char *t = json_string_value(json_object_get(f, "filterType"));
            have |= strcmp(t, "PRICE_FILTER") == 0 ? 1 : strcmp(t, "LOT_SIZE") == 0 ? 2 : 0;
        }
        n += have == 3;
    }
    json_decref(j);
    return n;
}

static void
s_check(const char *path, const char *venue, const char *cat, const char *tick, const char *step,
        const char *minq, const char *minn)
{
    size_t len;
    char *body = exinfo_read(path, &len);
    assert_non_null(body);
    s_seen_t seen = { 0 };
    int n = exinfo_parse_binance(body, len, venue, cat, s_on, &seen);
    assert_int_equal(n, seen.n);
    assert_int_equal(n, s_count(body, len));
    assert_true(seen.have_btc);
    instr_t want;
    assert_int_equal(instr_from_strings(&want, venue, cat, "BTCUSDT", tick, step, minq, minn), 0);
    assert_memory_equal(&seen.btc, &want, sizeof want);
    print_message("%s: %d TRADING instruments; BTCUSDT px_scale %d qty_scale %d\n", path, n,
                  seen.btc.px_scale, seen.btc.qty_scale);
    free(body);
}

static void
test_bundled_bodies(void **state)
{
    (void)state;
    /* spot: tickSize "0.01000000", stepSize/minQty "0.00001000", NOTIONAL.minNotional
     * "5.00000000" (the padding is stripped: px_scale 2, not 8) */
    s_check("data/binance/exchangeinfo_spot_20240908.json", "binance-spot", "spot", "0.01",
            "0.00001", "0.00001", "5");
    /* USD-M: tickSize "0.10", stepSize/minQty "0.001", MIN_NOTIONAL.notional "100" */
    s_check("data/binance/exchangeinfo_usdm_20250306.json", "binance-usdm", "usdm", "0.10", "0.001",
            "0.001", "100");
}

static void
test_errors(void **state)
{
    (void)state;
    s_seen_t seen = { 0 };
    errno = 0;
    assert_int_equal(exinfo_parse_binance("{\"code\":-1}", 11, "v", "c", s_on, &seen), -1);
    assert_int_equal(errno, EPROTO);
    errno = 0;
    assert_int_equal(exinfo_parse_binance("not json", 8, "v", "c", s_on, &seen), -1);
    assert_int_equal(errno, EPROTO);
    /* a symbol with a malformed tick is skipped, the others kept */
    const char *b = "{\"symbols\":[{\"symbol\":\"AUSDT\",\"status\":\"TRADING\",\"filters\":["
                    "{\"filterType\":\"PRICE_FILTER\",\"tickSize\":\"abc\"},"
                    "{\"filterType\":\"LOT_SIZE\",\"stepSize\":\"1\",\"minQty\":\"1\"}]},"
                    "{\"symbol\":\"BUSDT\",\"status\":\"BREAK\",\"filters\":[]},"
                    "{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\",\"filters\":["
                    "{\"filterType\":\"PRICE_FILTER\",\"tickSize\":\"0.50\"},"
                    "{\"filterType\":\"LOT_SIZE\",\"stepSize\":\"0.0100\",\"minQty\":\"0.02\"}]}]}";
    assert_int_equal(exinfo_parse_binance(b, strlen(b), "v", "c", s_on, &seen), 1);
    assert_int_equal(seen.btc.px_scale, 1); /* "0.50" -> "0.5" */
    assert_int_equal(seen.btc.tick, 5);
    assert_int_equal(seen.btc.qty_scale, 2);
    assert_int_equal(seen.btc.min_qty, 2);
    assert_int_equal(seen.btc.min_notional, 0);
    errno = 0;
    size_t len;
    assert_null(exinfo_read("data/binance/no-such-file.json", &len));
    assert_int_equal(errno, ENOENT);
}

int
main(void)
{
    log_init("test", LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundled_bodies),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("exinfo", tests, NULL, NULL);
}
