/*  test_instr.c - unit tests of common/instr on the recorded Bybit v5 instruments-info bodies
 *  (data/bybit_v5/instruments_info_{linear,spot}.json, see data/PROVENANCE.md).
 *  Expected scales are the decimals of the strings in the files (BTCUSDT linear tickSize
 *  "0.10" -> 1, qtyStep "0.001" -> 3); the test counts list entries and recomputes every
 *  instrument's tick/step from the JSON itself with jansson, independently of instr.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/instr.h"
#include "common/money.h"
#include "tests/unit/file_util.h"

#define LINEAR_PATH "data/bybit_v5/instruments_info_linear.json"
#define SPOT_PATH   "data/bybit_v5/instruments_info_spot.json"

typedef struct {
    size_t n;
    instr_t items[1024];
} s_list_t;

static void
s_collect(const instr_t *in, void *arg)
{
    s_list_t *l = arg;
    assert_true(l->n < sizeof l->items / sizeof l->items[0]);
    l->items[l->n++] = *in;
}

static const instr_t *
s_find(const s_list_t *l, const char *symbol)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i].symbol, symbol) == 0) {
            return &l->items[i];
        }
    }
    return NULL;
}

/* "0.0100" -> "0.01", "5.0" -> "5", "100" -> "100": how money_fmt_trim writes a value */
static void
s_trim(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    assert_true(n < cap);
    memcpy(out, s, n + 1);
    if (strchr(out, '.')) {
        while (n > 0 && out[n - 1] == '0') {
            out[--n] = '\0';
        }
        if (n > 0 && out[n - 1] == '.') {
            out[--n] = '\0';
        }
    }
}

/* decimals after trimming, counted by hand (not via money_decimals) */
static int
s_decimals(const char *s)
{
    char t[64];
    s_trim(s, t, sizeof t);
    const char *dot = strchr(t, '.');
    return dot ? (int)strlen(dot + 1) : 0;
}

/* Parse `path` and check every instrument against the JSON: count, order, tick, step,
 * min_qty and min_notional re-derived from the strings. Returns the list. */
static void
s_check_file(const char *path, const char *venue, bool spot, s_list_t *l, size_t *skipped)
{
    size_t len;
    char *body = fu_slurp(path, &len);
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    assert_non_null(root);
    const json_t *list = json_object_get(json_object_get(root, "result"), "list");
    size_t entries = json_array_size(list);
    assert_true(entries > 0);

    memset(l, 0, sizeof *l);
    int n = instr_parse_bybit(body, len, venue, s_collect, l);
    assert_int_equal(n, (int)l->n);

    /* every entry is delivered, in order, except those finer than 12 decimals (instr.h) */
    size_t k = 0;
    *skipped = 0;
    for (size_t i = 0; i < entries; i++) {
        const json_t *e = json_array_get(list, i);
        const json_t *lot = json_object_get(e, "lotSizeFilter");
        const char *tick =
            json_string_value(json_object_get(json_object_get(e, "priceFilter"), "tickSize"));
        const char *step =
            json_string_value(json_object_get(lot, spot ? "basePrecision" : "qtyStep"));
        const char *minq = json_string_value(json_object_get(lot, "minOrderQty"));
        const char *minn =
            json_string_value(json_object_get(lot, spot ? "minOrderAmt" : "minNotionalValue"));
        assert_non_null(tick);
        assert_non_null(step);
        if (s_decimals(tick) > 12 || s_decimals(step) > 12) {
            (*skipped)++;
            continue;
        }
        assert_true(k < l->n);
        const instr_t *in = &l->items[k++];
        char want[64], got[64];
        assert_string_equal(in->symbol, json_string_value(json_object_get(e, "symbol")));
        assert_string_equal(in->venue, venue);
        assert_string_equal(in->category, spot ? "spot" : "linear");
        assert_int_equal(in->px_scale, s_decimals(tick));
        assert_int_equal(in->qty_scale, s_decimals(step));
        assert_true(in->tick >= 1 && in->step >= 1);
        s_trim(tick, want, sizeof want);
        assert_true(money_fmt_trim(in->tick, in->px_scale, got, sizeof got) > 0);
        assert_string_equal(got, want);
        s_trim(step, want, sizeof want);
        assert_true(money_fmt_trim(in->step, in->qty_scale, got, sizeof got) > 0);
        assert_string_equal(got, want);
        s_trim(minq, want, sizeof want);
        assert_true(money_fmt_trim(in->min_qty, in->qty_scale, got, sizeof got) > 0);
        assert_string_equal(got, want);
        if (minn) {
            s_trim(minn, want, sizeof want);
            assert_true(money_fmt_trim(in->min_notional, MONEY_VALUE_SCALE, got, sizeof got) > 0);
            assert_string_equal(got, want);
        }
    }
    assert_int_equal(k, l->n);
    assert_int_equal(l->n + *skipped, entries);
    json_decref(root);
    free(body);
}

static void
test_from_strings(void **state)
{
    (void)state;
    instr_t in;
    /* Bybit linear BTCUSDT: tick 0.10 -> scale 1 tick 1; step 0.001 -> scale 3; 5 USDT */
    assert_int_equal(
        instr_from_strings(&in, "bybit-linear", "linear", "BTCUSDT", "0.10", "0.001", "0.001", "5"),
        0);
    assert_string_equal(in.venue, "bybit-linear");
    assert_string_equal(in.category, "linear");
    assert_string_equal(in.symbol, "BTCUSDT");
    assert_int_equal(in.px_scale, 1);
    assert_true(in.tick == 1);
    assert_int_equal(in.qty_scale, 3);
    assert_true(in.step == 1);
    assert_true(in.min_qty == 1);
    assert_true(in.min_notional == 500000000LL); /* 5 * 1e8 */

    /* tick "0.5" -> scale 1 tick 5; step "100" -> scale 0 step 100; min_qty 200 */
    assert_int_equal(instr_from_strings(&in, "binance-usdm", NULL, "X", "0.5", "100", "200", NULL),
                     0);
    assert_int_equal(in.px_scale, 1);
    assert_true(in.tick == 5);
    assert_int_equal(in.qty_scale, 0);
    assert_true(in.step == 100);
    assert_true(in.min_qty == 200);
    assert_true(in.min_notional == 0); /* NULL = none */
    assert_string_equal(in.category, "");

    static const struct {
        const char *symbol, *tick, *step, *min_qty, *min_notional;
    } bad[] = {
        { "X", "0", "0.001", "0.001", "5" },              /* zero tick */
        { "X", "0.00", "0.001", "0.001", "5" },           /* zero tick, written with decimals */
        { "X", "0.1", "0", "0", "5" },                    /* zero step */
        { "X", "-0.1", "0.001", "0.001", "5" },           /* negative tick */
        { "X", "abc", "0.001", "0.001", "5" },            /* malformed */
        { "X", "1e-1", "0.001", "0.001", "5" },           /* exponent */
        { "X", "0.0000000000001", "1", "1", "5" },        /* 13 decimals > 12 */
        { "X", "0.1", "0.001", "0.0001", "5" },           /* min_qty finer than the step */
        { "X", "0.1", "0.001", "-0.001", "5" },           /* negative min_qty */
        { "X", "0.1", "0.001", "0.001", "0.000000001" },  /* 9 decimals of quote */
        { "X", "0.1", "0.001", "0.001", "-5" },           /* negative min_notional */
        { "X", "0.1", "0.001", "0.001", "100000000000" }, /* 1e11 * 1e8 > int64 */
        { "", "0.1", "0.001", "0.001", "5" },             /* empty symbol */
        { "ABCDEFGHIJKLMNOPQRSTUVWX", "0.1", "0.001", "0.001", "5" }, /* 24 > 23 chars */
        { "X", "0.1", "0.001", NULL, "5" },                           /* min_qty is required */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        instr_t out;
        memset(&out, 0x5c, sizeof out);
        instr_t sentinel = out;
        errno = 0;
        if (instr_from_strings(&out, "v", "c", bad[i].symbol, bad[i].tick, bad[i].step,
                               bad[i].min_qty, bad[i].min_notional)
                != -1
            || errno != EINVAL) {
            fail_msg("case %zu accepted (errno %d)", i, errno);
        }
        assert_memory_equal(&out, &sentinel, sizeof out); /* untouched */
    }
    errno = 0;
    assert_int_equal(
        instr_from_strings(&in, "a-venue-name-too-long", "c", "X", "0.1", "1", "1", NULL), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(instr_from_strings(NULL, "v", "c", "X", "0.1", "1", "1", NULL), -1);
    assert_int_equal(errno, EINVAL);
}

static void
test_bybit_linear(void **state)
{
    (void)state;
    static s_list_t l;
    size_t skipped;
    s_check_file(LINEAR_PATH, "bybit-linear", false, &l, &skipped);
    assert_int_equal(skipped, 0); /* every linear listing fits */

    const instr_t *btc = s_find(&l, "BTCUSDT");
    assert_non_null(btc);
    assert_int_equal(btc->px_scale, 1); /* tickSize "0.10" */
    assert_true(btc->tick == 1);
    assert_int_equal(btc->qty_scale, 3); /* qtyStep "0.001" */
    assert_true(btc->step == 1);
    assert_true(btc->min_qty == 1);                /* minOrderQty "0.001" */
    assert_true(btc->min_notional == 500000000LL); /* minNotionalValue "5" at scale 8 */

    const instr_t *sol = s_find(&l, "SOLUSDT");
    assert_non_null(sol);
    assert_int_equal(sol->px_scale, 2); /* tickSize "0.010" */
    assert_true(sol->tick == 1);
    assert_int_equal(sol->qty_scale, 1); /* qtyStep "0.1" */
    assert_true(sol->step == 1);
}

static void
test_bybit_spot(void **state)
{
    (void)state;
    static s_list_t l;
    size_t skipped;
    s_check_file(SPOT_PATH, "bybit-spot", true, &l, &skipped);
    /* the recorded list has one tick finer than 12 decimals: BABYDOGEUSDT, "0.0000000000001" */
    assert_int_equal(skipped, 1);
    assert_null(s_find(&l, "BABYDOGEUSDT"));

    const instr_t *btc = s_find(&l, "BTCUSDT");
    assert_non_null(btc);
    assert_string_equal(btc->category, "spot");
    assert_int_equal(btc->px_scale, 1); /* tickSize "0.1" */
    assert_true(btc->tick == 1);
    assert_int_equal(btc->qty_scale, 6); /* basePrecision "0.000001" */
    assert_true(btc->step == 1);
    assert_true(btc->min_qty == 1);                /* minOrderQty "0.000001" */
    assert_true(btc->min_notional == 500000000LL); /* minOrderAmt "5" */
}

static void
s_count_only(const instr_t *in, void *arg)
{
    (void)in;
    (*(int *)arg)++;
}

static void
test_bybit_malformed(void **state)
{
    (void)state;
    int calls = 0;
    static const char *bad[] = {
        "{",  /* not JSON */
        "[]", /* no result */
        "{\"retCode\":10001,\"result\":{\"category\":\"linear\",\"list\":[]}}",
        "{\"retCode\":0,\"result\":{\"list\":[]}}",                         /* no category */
        "{\"retCode\":0,\"result\":{\"category\":\"linear\",\"list\":{}}}", /* list not array */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        assert_int_equal(instr_parse_bybit(bad[i], strlen(bad[i]), "v", s_count_only, &calls), -1);
        assert_int_equal(errno, EPROTO);
    }
    /* a recorded body cut in half is not JSON */
    size_t len;
    char *body = fu_slurp(LINEAR_PATH, &len);
    errno = 0;
    assert_int_equal(instr_parse_bybit(body, len / 2, "v", s_count_only, &calls), -1);
    assert_int_equal(errno, EPROTO);
    free(body);
    assert_int_equal(calls, 0);

    /* an entry without a tick is skipped, the others still arrive */
    static const char two[] = "{\"retCode\":0,\"result\":{\"category\":\"linear\",\"list\":["
                              "{\"symbol\":\"A\",\"lotSizeFilter\":{\"qtyStep\":\"1\","
                              "\"minOrderQty\":\"1\"}},"
                              "{\"symbol\":\"B\",\"priceFilter\":{\"tickSize\":\"0.5\"},"
                              "\"lotSizeFilter\":{\"qtyStep\":\"1\",\"minOrderQty\":\"1\"}}]}}";
    assert_int_equal(instr_parse_bybit(two, strlen(two), "v", s_count_only, &calls), 1);
    assert_int_equal(calls, 1);

    errno = 0;
    assert_int_equal(instr_parse_bybit(two, strlen(two), "v", NULL, NULL), -1);
    assert_int_equal(errno, EINVAL);
}

static void
test_table(void **state)
{
    (void)state;
    static s_list_t lin, spot;
    size_t skipped;
    s_check_file(LINEAR_PATH, "bybit-linear", false, &lin, &skipped);
    s_check_file(SPOT_PATH, "bybit-spot", true, &spot, &skipped);

    instr_table_t *t = instr_table_new();
    assert_non_null(t);
    assert_int_equal(instr_table_size(t), 0);
    assert_null(instr_table_get(t, "bybit-linear", "BTCUSDT"));

    /* same symbol on two venues: two entries */
    const instr_t *lb = s_find(&lin, "BTCUSDT"), *sb = s_find(&spot, "BTCUSDT");
    assert_int_equal(instr_table_put(t, lb), 0);
    assert_int_equal(instr_table_put(t, sb), 0);
    assert_int_equal(instr_table_size(t), 2);
    assert_int_equal(instr_table_get(t, "bybit-linear", "BTCUSDT")->qty_scale, 3);
    assert_int_equal(instr_table_get(t, "bybit-spot", "BTCUSDT")->qty_scale, 6);
    assert_null(instr_table_get(t, "bybit-spot", "NOPE"));
    assert_null(instr_table_get(t, "binance-usdm", "BTCUSDT"));

    /* replace keeps the size */
    instr_t changed = *lb;
    changed.min_qty = 42;
    assert_int_equal(instr_table_put(t, &changed), 0);
    assert_int_equal(instr_table_size(t), 2);
    assert_true(instr_table_get(t, "bybit-linear", "BTCUSDT")->min_qty == 42);

    /* fill to capacity 256, then ENOSPC; replacing still works when full */
    for (size_t i = 0; instr_table_size(t) < 256; i++) {
        assert_true(i < lin.n);
        assert_int_equal(instr_table_put(t, &lin.items[i]), 0);
    }
    errno = 0;
    const instr_t *extra = &lin.items[lin.n - 1]; /* not yet in: the list has 800 */
    assert_null(instr_table_get(t, extra->venue, extra->symbol));
    assert_int_equal(instr_table_put(t, extra), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(instr_table_put(t, sb), 0);
    assert_int_equal(instr_table_size(t), 256);
    for (size_t i = 0; i < 256; i++) {
        const instr_t *at = instr_table_at(t, i);
        assert_non_null(at);
        assert_ptr_equal(instr_table_get(t, at->venue, at->symbol), at);
    }
    assert_null(instr_table_at(t, 256));

    instr_table_destroy(&t);
    assert_null(t);
    instr_table_destroy(&t); /* no-op on NULL */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_strings), cmocka_unit_test(test_bybit_linear),
        cmocka_unit_test(test_bybit_spot),   cmocka_unit_test(test_bybit_malformed),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests_name("instr", tests, NULL, NULL);
}
