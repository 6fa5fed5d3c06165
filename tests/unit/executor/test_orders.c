/*  test_orders.c - the order state machine and the order table (executor/orders.h).
 *  Instrument used: px_scale 2 (100.00 -> 10000), qty_scale 3 (1.000 -> 1000); notional and
 *  fees at MONEY_VALUE_SCALE 8 (1.00 -> 100000000).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "executor/orders.h"

#define V(x) ((int64_t)(x * 100000000LL)) /* whole quote units -> value scale, integers only */

static codec_risk_order_t
s_req(const char *cid, int8_t side, int64_t qty)
{
    codec_risk_order_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.client_id, sizeof r.client_id, "%s", cid);
    snprintf(r.venue, sizeof r.venue, "bybit-linear");
    snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
    r.side = side;
    r.type = CODEC_ORD_MARKET;
    r.px_scale = 2;
    r.qty_scale = 3;
    r.qty = qty;
    r.ts_event = 1000;
    return r;
}

static void
test_fill_to_filled(void **state)
{
    (void)state;
    orders_t *t = orders_new();
    assert_non_null(t);
    codec_risk_order_t r = s_req("c1", 1, 1000); /* 1.000 */
    order_t *o = orders_add(t, &r, "linear", false, 77, "paper");
    assert_non_null(o);
    assert_string_equal(o->order_id, "paper-1");
    assert_int_equal(o->status, ORDER_NEW);
    assert_true(order_is_open(o));
    /* 0.400 @ 100.00: notional 40.00 */
    assert_int_equal(orders_fill(t, "c1", "f1", 10000, 400, V(40), 4000000), 0);
    assert_int_equal(o->status, ORDER_PARTIALLY_FILLED);
    assert_int_equal(o->cum_qty, 400);
    assert_int_equal(o->avg_px, 10000);
    assert_int_equal(order_leaves(o), 600);
    /* 0.600 @ 101.00: notional 60.60; cum value 100.60 over 1.000 -> avg 100.60 */
    assert_int_equal(orders_fill(t, "c1", "f2", 10100, 600, 6060000000LL, 6060000), 0);
    assert_int_equal(o->status, ORDER_FILLED);
    assert_int_equal(o->cum_qty, 1000);
    assert_int_equal(o->cum_value, 10060000000LL);
    assert_int_equal(o->avg_px, 10060);
    assert_int_equal(o->fee, 4000000 + 6060000); /* 0.04 + 0.0606 */
    assert_false(order_is_open(o));
    assert_int_equal(orders_fill_count(t), 2);
    assert_int_equal(orders_open_count(t), 0);
    orders_check(t);
    orders_destroy(&t);
    assert_null(t);
}

static void
test_avg_half_even(void **state)
{
    (void)state;
    orders_t *t = orders_new();
    codec_risk_order_t r = s_req("a", 1, 2);
    order_t *o = orders_add(t, &r, "linear", false, 0, "paper");
    /* 0.001 @ 100.00 + 0.001 @ 100.01: value 0.10000 + 0.10001 = 0.20001 over 0.002 =
     * 100.005 -> half-even to 2 decimals: 100.00 (the even neighbour) */
    assert_int_equal(order_fill(o, 10000, 1, 10000000, 0), 0);
    assert_int_equal(order_fill(o, 10001, 1, 10001000, 0), 0);
    assert_int_equal(o->avg_px, 10000);
    codec_risk_order_t r2 = s_req("b", 1, 2);
    order_t *o2 = orders_add(t, &r2, "linear", false, 0, "paper");
    /* 100.01 + 100.02 -> 100.015 -> half-even: 100.02 */
    assert_int_equal(order_fill(o2, 10001, 1, 10001000, 0), 0);
    assert_int_equal(order_fill(o2, 10002, 1, 10002000, 0), 0);
    assert_int_equal(o2->avg_px, 10002);
    orders_destroy(&t);
}

static void
test_fill_on_filled_is_eproto(void **state)
{
    (void)state;
    orders_t *t = orders_new();
    codec_risk_order_t r = s_req("c1", 1, 100);
    order_t *o = orders_add(t, &r, "linear", false, 0, "paper");
    assert_int_equal(orders_fill(t, "c1", "f1", 10000, 100, V(10), 0), 0);
    assert_int_equal(o->status, ORDER_FILLED);
    errno = 0;
    assert_int_equal(orders_fill(t, "c1", "f2", 10000, 1, 1000000, 0), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(o->cum_qty, 100);
    assert_int_equal(o->n_fills, 1);
    assert_int_equal(orders_fill_count(t), 1); /* the refused fill id is not recorded */
    errno = 0;
    assert_int_equal(order_cancel(o, NULL), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(o->status, ORDER_FILLED);
    orders_check(t);
    orders_destroy(&t);
}

static void
test_duplicate_fill_id_ignored(void **state)
{
    (void)state;
    orders_t *t = orders_new();
    codec_risk_order_t r = s_req("c1", -1, 1000);
    order_t *o = orders_add(t, &r, "linear", false, 0, "paper");
    assert_int_equal(orders_fill(t, "c1", "exec-9", 10000, 300, V(30), 30000), 0);
    errno = 0;
    assert_int_equal(orders_fill(t, "c1", "exec-9", 10000, 300, V(30), 30000), -1);
    assert_int_equal(errno, EALREADY);
    assert_int_equal(o->cum_qty, 300);
    assert_int_equal(o->fee, 30000);
    assert_int_equal(o->status, ORDER_PARTIALLY_FILLED);
    assert_int_equal(orders_fill_count(t), 1);
    orders_check(t);
    orders_destroy(&t);
}

static void
test_bad_fills(void **state)
{
    (void)state;
    orders_t *t = orders_new();
    codec_risk_order_t r = s_req("c1", 1, 100);
    order_t *o = orders_add(t, &r, "linear", false, 0, "paper");
    errno = 0;
    assert_int_equal(orders_fill(t, "nope", "f", 10000, 1, 1, 0), -1);
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_int_equal(orders_fill(t, "c1", "f", 10000, 101, 1, 0), -1); /* > leaves */
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(orders_fill(t, "c1", "f", 10000, 0, 0, 0), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(orders_fill(t, "c1", "f", 0, 1, 0, 0), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(orders_fill(t, "c1", "f", 10000, 1, INT64_MAX, 0), 0);
    assert_int_equal(orders_fill(t, "c1", "g", 10000, 1, 1, 0), -1); /* cum_value overflows */
    assert_int_equal(errno, ERANGE);
    assert_int_equal(o->cum_qty, 1);
    /* the refused ids can still be used later ("f" succeeded, "g" was not recorded) */
    assert_int_equal(orders_fill_count(t), 1);
    orders_destroy(&t);
}

static void
test_cancel_words(void **state)
{
    (void)state;
    orders_t *t = orders_new();
    codec_risk_order_t a = s_req("lin", 1, 100), b = s_req("spot", 1, 100),
                       c = s_req("spot0", 1, 100);
    order_t *oa = orders_add(t, &a, "linear", false, 0, "paper");
    order_t *ob = orders_add(t, &b, "spot", true, 0, "paper");
    order_t *oc = orders_add(t, &c, "spot", true, 0, "paper");
    assert_int_equal(order_fill(oa, 10000, 40, V(4), 0), 0);
    assert_int_equal(order_fill(ob, 10000, 40, V(4), 0), 0);
    assert_int_equal(order_cancel(oa, "depth"), 0);
    assert_int_equal(order_cancel(ob, NULL), 0);
    assert_int_equal(order_cancel(oc, NULL), 0);
    /* derivatives keep "Cancelled" with cum_qty > 0; spot says PartiallyFilledCanceled;
     * spot with nothing filled is plain Cancelled (BYBIT_V5.md 2.10) */
    assert_string_equal(order_status_name(oa->status), "Cancelled");
    assert_int_equal(oa->cum_qty, 40);
    assert_string_equal(oa->reject_reason, "depth");
    assert_string_equal(order_status_name(ob->status), "PartiallyFilledCanceled");
    assert_string_equal(order_status_name(oc->status), "Cancelled");
    assert_int_equal(orders_open_count(t), 0);
    orders_check(t);
    orders_destroy(&t);
}

static void
test_add_errors_and_reject(void **state)
{
    (void)state;
    orders_t *t = orders_new();
    codec_risk_order_t r = s_req("c1", 1, 100);
    assert_non_null(orders_add(t, &r, NULL, false, 0, "paper"));
    errno = 0;
    assert_null(orders_add(t, &r, NULL, false, 0, "paper"));
    assert_int_equal(errno, EEXIST);
    codec_risk_order_t e = s_req("", 1, 100);
    errno = 0;
    assert_null(orders_add(t, &e, NULL, false, 0, "paper"));
    assert_int_equal(errno, EINVAL);
    codec_risk_order_t z = s_req("z", 1, 0);
    errno = 0;
    assert_null(orders_add(t, &z, NULL, false, 0, "paper"));
    assert_int_equal(errno, EINVAL);
    order_t *rj = orders_reject(t, &z, "qty must be > 0", 5, "paper");
    assert_non_null(rj);
    assert_int_equal(rj->status, ORDER_REJECTED);
    assert_string_equal(rj->order_id, "paper-2"); /* ids count accepted and refused orders */
    errno = 0;
    assert_int_equal(orders_fill(t, "z", "f", 10000, 1, 1, 0), -1);
    assert_int_equal(errno, EPROTO);
    codec_exec_order_t x;
    order_to_exec(rj, 123, &x);
    assert_string_equal(x.status, "Rejected");
    assert_string_equal(x.reject_reason, "qty must be > 0");
    assert_string_equal(x.client_id, "z");
    assert_int_equal(x.ts_event, 123);
    assert_int_equal(orders_count(t), 2);
    orders_check(t);
    orders_destroy(&t);
    orders_destroy(&t); /* no-op on NULL */
}

static void
test_status_names(void **state)
{
    (void)state;
    assert_string_equal(order_status_name(ORDER_NEW), "New");
    assert_string_equal(order_status_name(ORDER_PARTIALLY_FILLED), "PartiallyFilled");
    assert_string_equal(order_status_name(ORDER_FILLED), "Filled");
    assert_string_equal(order_status_name(ORDER_REJECTED), "Rejected");
    assert_string_equal(order_status_name(ORDER_UNTRIGGERED), "Untriggered");
    assert_string_equal(order_status_name(ORDER_STATUS_COUNT), "Unknown");
}

/* order_set_qty (an attached TP/SL resized to the position; Bybit amend of qty): only on an
 * open order and only above what already filled. */
static void
test_set_qty(void **state)
{
    (void)state;
    orders_t *t = orders_new();
    codec_risk_order_t r = s_req("q1", -1, 100); /* 0.100 */
    order_t *o = orders_add(t, &r, "linear", false, 0, "paper");
    assert_int_equal(order_set_status(o, ORDER_UNTRIGGERED, NULL), 0);
    assert_int_equal(order_set_qty(o, 300), 0); /* the position grew to 0.300 */
    assert_int_equal(o->req.qty, 300);
    assert_int_equal(order_leaves(o), 300);
    assert_int_equal(order_set_status(o, ORDER_TRIGGERED, NULL), 0);
    assert_int_equal(order_set_status(o, ORDER_NEW, NULL), 0);
    /* 0.100 @ 100.00 fills: notional 10.00; the qty can no longer go to 0.100 or below */
    assert_int_equal(orders_fill(t, "q1", "f1", 10000, 100, V(10), 0), 0);
    errno = 0;
    assert_int_equal(order_set_qty(o, 100), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(order_set_qty(o, 0), -1);
    assert_int_equal(order_set_qty(o, 200), 0); /* leaves 0.100 */
    assert_int_equal(order_leaves(o), 100);
    assert_int_equal(orders_fill(t, "q1", "f2", 10000, 100, V(10), 0), 0);
    assert_int_equal(o->status, ORDER_FILLED);
    errno = 0;
    assert_int_equal(order_set_qty(o, 500), -1); /* closed */
    assert_int_equal(errno, EPROTO);
    orders_check(t);
    orders_destroy(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_to_filled),
        cmocka_unit_test(test_avg_half_even),
        cmocka_unit_test(test_fill_on_filled_is_eproto),
        cmocka_unit_test(test_duplicate_fill_id_ignored),
        cmocka_unit_test(test_bad_fills),
        cmocka_unit_test(test_cancel_words),
        cmocka_unit_test(test_add_errors_and_reject),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_set_qty),
    };
    return cmocka_run_group_tests_name("orders", tests, NULL, NULL);
}
