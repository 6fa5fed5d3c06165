/*  test_vs_private.c - venue-sim's private Bybit v5 side (tools/venue-sim/private.h), called
 *  as server.c calls it: signature checks and their retCodes, the order refusals, the rate
 *  limit and its headers, matching against a replayed book, and the real API's field names.
 *  Book: line 20 of data/bybit_v5/bybit_v5_linear_frames.jsonl, the first BTCUSDT snapshot:
 *    best ask 65114.30 x 10.486, best bid 65114.20 x 6.054 (read with a text editor).
 *  Rules: data/bybit_v5/instruments_info_linear.json, BTCUSDT tickSize 0.10, qtyStep 0.001.
 *  Field names: data/bybit_v5_private/doc_*.json (Bybit docs examples, PROVENANCE.md 13).
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

#include "common/clock.h"
#include "tests/unit/file_util.h"
#include "tools/venue-sim/private.h"

static vs_priv_t *
s_new(int64_t rate)
{
    priv_cfg_t pc;
    memset(&pc, 0, sizeof pc);
    snprintf(pc.keys[0].key, sizeof pc.keys[0].key, "k1");
    snprintf(pc.keys[0].secret, sizeof pc.keys[0].secret, "s1");
    pc.n_keys = 1;
    char *inst = fu_slurp("data/bybit_v5/instruments_info_linear.json", NULL);
    pc.instruments_linear = inst;
    pc.start_balance = 1000000000000; /* 10000 USDT */
    pc.taker_fee = 55000;             /* 0.00055 */
    pc.maker_fee = 20000;
    pc.leverage = 10;
    pc.rate_order = rate;
    vs_priv_t *p = priv_new(&pc);
    free(inst);
    assert_non_null(p);
    /* replay the frames up to the first BTCUSDT snapshot (line 20) */
    FILE *f = fopen("data/bybit_v5/bybit_v5_linear_frames.jsonl", "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    for (int i = 0; i < 20 && (n = getline(&line, &cap, f)) > 0; i++) {
        source_frame_t fr = { .ts_ms = 0,
                              .kind = SOURCE_BYBIT_LINEAR,
                              .key = 0,
                              .len = (uint32_t)(n - 1),
                              .text = line };
        priv_on_frame(p, &fr);
    }
    free(line);
    fclose(f);
    return p;
}

typedef struct {
    json_t *j;
    server_http_resp_t r;
} ans_t;

/* A signed call: ts = now + ts_off ms; sign with `secret`; key `key`. */
static ans_t
s_call(vs_priv_t *p, bool post, const char *path, const char *payload, const char *key,
       const char *secret, int64_t ts_off)
{
    char ts[24], msg[4096], sig[65];
    snprintf(ts, sizeof ts, "%lld", (long long)(clock_wall_ns() / 1000000 + ts_off));
    snprintf(msg, sizeof msg, "%s%s5000%s", ts, key, payload);
    assert_int_equal(priv_sign(secret, msg, strlen(msg), sig), 0);
    server_http_req_t rq = { .post = post,
                             .path = path,
                             .query = post ? "" : payload,
                             .body = post ? payload : "",
                             .body_len = post ? strlen(payload) : 0,
                             .key = key,
                             .ts = ts,
                             .recv_window = "5000",
                             .sign = sig };
    ans_t a;
    memset(&a, 0, sizeof a);
    a.r.status = 200;
    a.r.limit = -1;
    assert_int_equal(priv_http(&rq, &a.r, p), 1);
    a.j = json_loads(a.r.body, 0, NULL);
    assert_non_null(a.j);
    free(a.r.body);
    return a;
}

static int
s_code(ans_t a)
{
    int c = (int)json_integer_value(json_object_get(a.j, "retCode"));
    json_decref(a.j);
    return c;
}

static ans_t
s_ok(vs_priv_t *p, bool post, const char *path, const char *payload)
{
    return s_call(p, post, path, payload, "k1", "s1", 0);
}

static void
test_auth(void **state)
{
    (void)state;
    vs_priv_t *p = s_new(10);
    assert_int_equal(
        s_code(s_call(p, false, "/v5/order/realtime", "category=linear", "nokey", "s1", 0)), 10003);
    assert_int_equal(
        s_code(s_call(p, false, "/v5/order/realtime", "category=linear", "k1", "bad", 0)), 10004);
    /* accepted iff now - recv_window <= ts < now + 1000 (BYBIT_V5.md 2.3) */
    assert_int_equal(
        s_code(s_call(p, false, "/v5/order/realtime", "category=linear", "k1", "s1", -6000)),
        10002);
    assert_int_equal(
        s_code(s_call(p, false, "/v5/order/realtime", "category=linear", "k1", "s1", 1500)), 10002);
    assert_int_equal(
        s_code(s_call(p, false, "/v5/order/realtime", "category=linear", "k1", "s1", -4000)), 0);
    /* no headers at all: HTTP 401 */
    server_http_req_t rq = { .post = false,
                             .path = "/v5/order/realtime",
                             .query = "",
                             .body = "",
                             .key = "",
                             .ts = "",
                             .recv_window = "",
                             .sign = "" };
    server_http_resp_t r = { .status = 200, .body = NULL, .limit = -1 };
    assert_int_equal(priv_http(&rq, &r, p), 1);
    assert_int_equal(r.status, 401);
    free(r.body);
    /* not a private path: the server answers 404 itself */
    rq.path = "/v5/nothing";
    assert_int_equal(priv_http(&rq, &r, p), 0);
    priv_destroy(&p);
    assert_null(p);
}

static void
test_orders_and_refusals(void **state)
{
    (void)state;
    vs_priv_t *p = s_new(100);
    /* market buy 0.010 takes the best ask 65114.30 (10.486 there) */
    ans_t a = s_ok(p, true, "/v5/order/create",
                   "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                   "\"orderType\":\"Market\",\"qty\":\"0.010\",\"orderLinkId\":\"m1\"}");
    assert_int_equal(json_integer_value(json_object_get(a.j, "retCode")), 0);
    json_decref(a.j);
    a = s_ok(p, false, "/v5/order/realtime", "category=linear&orderLinkId=m1");
    json_t *o = json_array_get(json_object_get(json_object_get(a.j, "result"), "list"), 0);
    assert_string_equal(json_string_value(json_object_get(o, "orderStatus")), "Filled");
    assert_string_equal(json_string_value(json_object_get(o, "avgPrice")), "65114.3");
    /* fee = 651.143 x 0.00055 = 0.35812865 */
    assert_string_equal(json_string_value(json_object_get(o, "cumExecFee")), "0.35812865");
    json_decref(a.j);
    const char *b_dup = "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                        "\"orderType\":\"Market\",\"qty\":\"0.010\",\"orderLinkId\":\"m1\"}";
    assert_int_equal(s_code(s_ok(p, true, "/v5/order/create", b_dup)), 110072);
    assert_int_equal(
        s_code(s_ok(p, true, "/v5/order/create",
                    "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                    "\"orderType\":\"Limit\",\"qty\":\"0.0015\",\"price\":\"60000\"}")),
        10001); /* qty off the 0.001 step */
    assert_int_equal(
        s_code(s_ok(p, true, "/v5/order/create",
                    "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                    "\"orderType\":\"Limit\",\"qty\":\"0.001\",\"price\":\"60000.05\"}")),
        10001); /* price off the 0.10 tick */
    /* 100 BTC at 60000 needs 6,000,000 / 10 = 600,000 USDT of margin; the account has
     * 10000 - 0.358 fee */
    assert_int_equal(s_code(s_ok(p, true, "/v5/order/create",
                                 "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                                 "\"orderType\":\"Limit\",\"qty\":\"100\",\"price\":\"60000\"}")),
                     110007);
    /* long 0.010: a reduce-only buy would increase it */
    assert_int_equal(
        s_code(s_ok(p, true, "/v5/order/create",
                    "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                    "\"orderType\":\"Market\",\"qty\":\"0.001\",\"reduceOnly\":true}")),
        110017);
    /* line 1's tickers.BTCUSDT gives lastPrice 65114.30: a "rising" trigger (direction 1)
     * at 60000, below it, is inconsistent (BYBIT_V5.md 2.6) */
    assert_int_equal(
        s_code(s_ok(p, true, "/v5/order/create",
                    "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                    "\"orderType\":\"Market\",\"qty\":\"0.001\",\"triggerPrice\":\"60000\","
                    "\"triggerDirection\":1}")),
        110092);
    assert_int_equal(
        s_code(s_ok(p, true, "/v5/order/cancel",
                    "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"orderLinkId\":\"m1\"}")),
        110001); /* already closed */
    /* a resting limit, amended, then cancel-all */
    assert_int_equal(s_code(s_ok(p, true, "/v5/order/create",
                                 "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                                 "\"orderType\":\"Limit\",\"qty\":\"0.002\",\"price\":\"60000\","
                                 "\"orderLinkId\":\"l1\"}")),
                     0);
    assert_int_equal(
        s_code(s_ok(p, true, "/v5/order/amend",
                    "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"orderLinkId\":\"l1\","
                    "\"price\":\"60000.1\"}")),
        0);
    a = s_ok(p, true, "/v5/order/cancel-all", "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\"}");
    json_t *l = json_object_get(json_object_get(a.j, "result"), "list");
    assert_int_equal(json_array_size(l), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "orderLinkId")),
                        "l1");
    json_decref(a.j);
    priv_destroy(&p);
}

/* /v5/position/set-leverage as Bybit answers it (position/leverage.mdx, BYBIT_V5.md 2.11):
 * ETHUSDT (no frame of it replayed yet: its instrument rules are enough) from the config's 10
 * to 25: OK and the position row (flat, asked by symbol) says "25"; 25 again: 110043 "Set
 * leverage not modified"; buy != sell and 101: 10001; spot: 10001. The margin follows the
 * symbol's leverage: with 10000 USDT a BTCUSDT limit of 0.200 at 60000 (12000) is refused
 * 110007 at 1x and accepted at 10x (IM 1200). */
static void
test_set_leverage(void **state)
{
    (void)state;
    vs_priv_t *p = s_new(100);
    const char *set25 = "{\"category\":\"linear\",\"symbol\":\"ETHUSDT\","
                        "\"buyLeverage\":\"25\",\"sellLeverage\":\"25\"}";
    assert_int_equal(s_code(s_ok(p, true, "/v5/position/set-leverage", set25)), 0);
    ans_t a = s_ok(p, false, "/v5/position/list", "category=linear&symbol=ETHUSDT");
    json_t *row = json_array_get(json_object_get(json_object_get(a.j, "result"), "list"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "leverage")), "25");
    json_decref(a.j);
    a = s_ok(p, true, "/v5/position/set-leverage", set25);
    assert_int_equal(json_integer_value(json_object_get(a.j, "retCode")), 110043);
    assert_string_equal(json_string_value(json_object_get(a.j, "retMsg")),
                        "Set leverage not modified");
    json_decref(a.j);
    assert_int_equal(s_code(s_ok(p, true, "/v5/position/set-leverage",
                                 "{\"category\":\"linear\",\"symbol\":\"ETHUSDT\","
                                 "\"buyLeverage\":\"25\",\"sellLeverage\":\"20\"}")),
                     10001);
    assert_int_equal(s_code(s_ok(p, true, "/v5/position/set-leverage",
                                 "{\"category\":\"linear\",\"symbol\":\"ETHUSDT\","
                                 "\"buyLeverage\":\"101\",\"sellLeverage\":\"101\"}")),
                     10001);
    assert_int_equal(s_code(s_ok(p, true, "/v5/position/set-leverage",
                                 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\","
                                 "\"buyLeverage\":\"2\",\"sellLeverage\":\"2\"}")),
                     10001);
    /* BTCUSDT at 1x: 0.200 at 60000 = 12000 > 10000 available: 110007; at 10x it fits */
    assert_int_equal(s_code(s_ok(p, true, "/v5/position/set-leverage",
                                 "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\","
                                 "\"buyLeverage\":\"1\",\"sellLeverage\":\"1\"}")),
                     0);
    const char *lim = "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                      "\"orderType\":\"Limit\",\"qty\":\"0.200\",\"price\":\"60000\"}";
    assert_int_equal(s_code(s_ok(p, true, "/v5/order/create", lim)), 110007);
    assert_int_equal(s_code(s_ok(p, true, "/v5/position/set-leverage",
                                 "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\","
                                 "\"buyLeverage\":\"10\",\"sellLeverage\":\"10\"}")),
                     0);
    assert_int_equal(s_code(s_ok(p, true, "/v5/order/create", lim)), 0);
    priv_destroy(&p);
}

static void
test_rate_limit(void **state)
{
    (void)state;
    vs_priv_t *p = s_new(3);
    const char *q = "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\"}";
    for (int i = 0; i < 3; i++) {
        ans_t a = s_ok(p, true, "/v5/order/cancel-all", q);
        assert_int_equal(a.r.limit, 3);
        assert_int_equal(a.r.limit_status, 2 - i);
        assert_int_equal(s_code(a), 0);
    }
    ans_t a = s_ok(p, true, "/v5/order/cancel-all", q);
    assert_int_equal(a.r.limit_status, 0);
    assert_true(a.r.limit_reset_ms > clock_wall_ns() / 1000000 - 1000);
    assert_int_equal(s_code(a), 10006);
    /* other paths have their own window (50/s for queries) */
    a = s_ok(p, false, "/v5/order/realtime", "category=linear");
    assert_int_equal(a.r.limit, 50);
    assert_int_equal(s_code(a), 0);
    priv_destroy(&p);
}

/* Every key of the doc example's first item is in ours. */
static void
s_keys_cover(json_t *ours, const char *doc_path, bool rest)
{
    json_t *doc = json_load_file(doc_path, 0, NULL);
    assert_non_null(doc);
    json_t *item = rest ? json_array_get(json_object_get(json_object_get(doc, "result"), "list"), 0)
                        : json_array_get(json_object_get(doc, "data"), 0);
    const char *k;
    json_t *v;
    json_object_foreach(item, k, v)
    {
        if (!json_object_get(ours, k)) {
            fail_msg("%s: field %s missing", doc_path, k);
        }
        if (strcmp(k, "coin") == 0) {
            json_t *dc = json_array_get(v, 0), *oc = json_array_get(json_object_get(ours, k), 0);
            const char *k2;
            json_t *v2;
            json_object_foreach(dc, k2, v2)
            {
                if (!json_object_get(oc, k2)) {
                    fail_msg("%s: coin field %s missing", doc_path, k2);
                }
            }
        }
    }
    json_decref(doc);
}

static void
test_field_names(void **state)
{
    (void)state;
    vs_priv_t *p = s_new(100);
    ans_t c = s_ok(p, true, "/v5/order/create",
                   "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                   "\"orderType\":\"Market\",\"qty\":\"0.010\",\"orderLinkId\":\"f1\"}");
    json_t *doc = json_load_file("data/bybit_v5_private/doc_rest_create_order.json", 0, NULL);
    assert_non_null(json_object_get(json_object_get(c.j, "result"), "orderId"));
    assert_non_null(json_object_get(json_object_get(c.j, "result"), "orderLinkId"));
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v)
    {
        assert_non_null(json_object_get(c.j, k)); /* retCode retMsg result retExtInfo time */
    }
    json_decref(doc);
    json_decref(c.j);
    static const struct {
        const char *path, *query, *rest_doc, *ws_doc;
    } k_views[] = {
        { "/v5/order/realtime", "category=linear&orderLinkId=f1",
          "data/bybit_v5_private/doc_rest_order_realtime.json",
          "data/bybit_v5_private/doc_ws_order.json" },
        { "/v5/execution/list", "category=linear",
          "data/bybit_v5_private/doc_rest_execution_list.json",
          "data/bybit_v5_private/doc_ws_execution.json" },
        { "/v5/position/list", "category=linear&symbol=BTCUSDT",
          "data/bybit_v5_private/doc_rest_position_list.json", NULL },
        { "/v5/account/wallet-balance", "accountType=UNIFIED",
          "data/bybit_v5_private/doc_rest_wallet_balance.json",
          "data/bybit_v5_private/doc_ws_wallet.json" },
    };
    for (size_t i = 0; i < sizeof k_views / sizeof k_views[0]; i++) {
        ans_t a = s_ok(p, false, k_views[i].path, k_views[i].query);
        json_t *item = json_array_get(json_object_get(json_object_get(a.j, "result"), "list"), 0);
        assert_non_null(item);
        s_keys_cover(item, k_views[i].rest_doc, true);
        if (k_views[i].ws_doc) {
            s_keys_cover(item, k_views[i].ws_doc, false); /* pushes use the same views */
        }
        json_decref(a.j);
    }
    priv_destroy(&p);
}

/* The spot side (category "spot"): priv with the spot rules (data/bybit_v5/
 * instruments_info_spot.json: BTCUSDT tickSize 0.1, basePrecision 0.000001, minOrderAmt 5) and
 * the first spot BTCUSDT snapshot (line 5 of data/bybit_v5/bybit_v5_spot_frames.jsonl: best
 * ask 65140.5 x 0.472203, best bid 65140.4 x 0.885797), 100000 USDT. */
static vs_priv_t *
s_new_spot(void)
{
    priv_cfg_t pc;
    memset(&pc, 0, sizeof pc);
    snprintf(pc.keys[0].key, sizeof pc.keys[0].key, "k1");
    snprintf(pc.keys[0].secret, sizeof pc.keys[0].secret, "s1");
    pc.n_keys = 1;
    char *inst = fu_slurp("data/bybit_v5/instruments_info_linear.json", NULL);
    pc.instruments_linear = inst;
    snprintf(pc.instruments_spot_path, sizeof pc.instruments_spot_path,
             "data/bybit_v5/instruments_info_spot.json");
    pc.start_balance = 10000000000000; /* 100000 USDT */
    pc.taker_fee = 55000;              /* 0.00055 */
    pc.maker_fee = 20000;
    pc.leverage = 10;
    pc.rate_order = 1000;
    vs_priv_t *p = priv_new(&pc);
    free(inst);
    assert_non_null(p);
    FILE *f = fopen("data/bybit_v5/bybit_v5_spot_frames.jsonl", "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    for (int i = 0; i < 5 && (n = getline(&line, &cap, f)) > 0; i++) {
        source_frame_t fr = {
            .ts_ms = 0, .kind = SOURCE_BYBIT_SPOT, .key = 0, .len = (uint32_t)(n - 1), .text = line
        };
        priv_on_frame(p, &fr);
    }
    free(line);
    fclose(f);
    return p;
}

/* The first list item's field k of an answer (borrowed from a.j). */
static const char *
s_item(ans_t a, size_t i, const char *k)
{
    json_t *l = json_object_get(json_object_get(a.j, "result"), "list");
    return json_string_value(json_object_get(json_array_get(l, i), k));
}

static void
test_spot(void **state)
{
    (void)state;
    vs_priv_t *p = s_new_spot();
    const char *C = "/v5/order/create";
    /* a limit buy below the bid rests (locks 0.01 x 65000 = 650 USDT) */
    assert_int_equal(s_code(s_ok(p, true, C,
                                 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                                 "\"orderType\":\"Limit\",\"qty\":\"0.01\",\"price\":\"65000.0\","
                                 "\"orderLinkId\":\"sp-l\"}")),
                     0);
    ans_t a = s_ok(p, false, "/v5/order/realtime", "category=spot&orderLinkId=sp-l");
    assert_string_equal(s_item(a, 0, "orderStatus"), "New");
    assert_string_equal(s_item(a, 0, "category"), "spot");
    assert_non_null(strstr(s_item(a, 0, "orderId"), "18")); /* spot ids are numeric */
    json_decref(a.j);
    /* the same link in the linear category's view: not there */
    a = s_ok(p, false, "/v5/order/realtime", "category=linear&orderLinkId=sp-l");
    assert_null(s_item(a, 0, "orderId"));
    json_decref(a.j);
    /* the spot codes (BYBIT_V5.md 2.11) */
    assert_int_equal(s_code(s_ok(p, true, C,
                                 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                                 "\"orderType\":\"Limit\",\"qty\":\"0.0000005\",\"price\":"
                                 "\"65000.0\"}")),
                     170137); /* below basePrecision 0.000001 */
    assert_int_equal(s_code(s_ok(p, true, C,
                                 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                                 "\"orderType\":\"Limit\",\"qty\":\"0.00001\",\"price\":"
                                 "\"65000.0\"}")),
                     170140); /* 0.65 USDT < minOrderAmt 5 */
    assert_int_equal(s_code(s_ok(p, true, C,
                                 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                                 "\"orderType\":\"Limit\",\"qty\":\"0.01\",\"price\":"
                                 "\"65000.05\"}")),
                     170134); /* tickSize 0.1 */
    assert_int_equal(s_code(s_ok(p, true, C,
                                 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Sell\","
                                 "\"orderType\":\"Market\",\"qty\":\"0.01\"}")),
                     170131); /* no BTC to sell */
    assert_int_equal(s_code(s_ok(p, true, C,
                                 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                                 "\"orderType\":\"Limit\",\"qty\":\"0.01\",\"price\":"
                                 "\"65000.0\",\"orderLinkId\":\"sp-l\"}")),
                     170141); /* duplicate orderLinkId */
    /* market buy, marketUnit baseCoin: 0.1 at the best ask 65140.5 (value 6514.05, taker fee
     * 0.00055 x 6514.05 = 3.5827275) */
    assert_int_equal(s_code(s_ok(p, true, C,
                                 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                                 "\"orderType\":\"Market\",\"qty\":\"0.1\",\"marketUnit\":"
                                 "\"baseCoin\",\"orderLinkId\":\"sp-m1\"}")),
                     0);
    /* market buy, default marketUnit quoteCoin: 1000 USDT / 65140.5 = 0.0153514.. -> 0.015351 */
    assert_int_equal(s_code(s_ok(p, true, C,
                                 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                                 "\"orderType\":\"Market\",\"qty\":\"1000\",\"orderLinkId\":"
                                 "\"sp-m2\"}")),
                     0);
    a = s_ok(p, false, "/v5/order/history", "category=spot&orderLinkId=sp-m2");
    assert_string_equal(s_item(a, 0, "orderStatus"), "Filled");
    assert_string_equal(s_item(a, 0, "cumExecQty"), "0.015351");
    assert_string_equal(s_item(a, 0, "marketUnit"), "quoteCoin");
    json_decref(a.j);
    /* IOC limit buy 0.4 at 65140.5: the level has 0.472203 - 0.1 - 0.015351 = 0.356852 left;
     * the rest is cancelled: PartiallyFilledCanceled (spot) */
    assert_int_equal(s_code(s_ok(p, true, C,
                                 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
                                 "\"orderType\":\"Limit\",\"qty\":\"0.4\",\"price\":\"65140.5\","
                                 "\"timeInForce\":\"IOC\",\"orderLinkId\":\"sp-i\"}")),
                     0);
    a = s_ok(p, false, "/v5/order/history", "category=spot&orderLinkId=sp-i");
    assert_string_equal(s_item(a, 0, "orderStatus"), "PartiallyFilledCanceled");
    assert_string_equal(s_item(a, 0, "cumExecQty"), "0.356852");
    json_decref(a.j);
    /* selling more than the 0.472203 BTC held */
    assert_int_equal(s_code(s_ok(p, true, C,
                                 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Sell\","
                                 "\"orderType\":\"Market\",\"qty\":\"1\"}")),
                     170131);
    /* cancel the resting buy; again: 170213 */
    const char *X = "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"orderLinkId\":\"sp-l\"}";
    assert_int_equal(s_code(s_ok(p, true, "/v5/order/cancel", X)), 0);
    assert_int_equal(s_code(s_ok(p, true, "/v5/order/cancel", X)), 170213);
    /* no positions on spot */
    assert_int_equal(s_code(s_ok(p, false, "/v5/position/list", "category=spot&symbol=BTCUSDT")),
                     10001);
    /* executions: three spot rows, none in linear */
    a = s_ok(p, false, "/v5/execution/list", "category=spot");
    assert_int_equal(json_array_size(json_object_get(json_object_get(a.j, "result"), "list")), 3);
    assert_string_equal(s_item(a, 0, "category"), "spot");
    json_decref(a.j);
    a = s_ok(p, false, "/v5/execution/list", "category=linear");
    assert_int_equal(json_array_size(json_object_get(json_object_get(a.j, "result"), "list")), 0);
    json_decref(a.j);
    /* wallet: BTC 0.472203; USDT 100000 - (6514.05 + 999.9718155 + 23245.517706) - fees
     * (3.5827275 + 0.5499845 + 12.78503474, each half-even to 8 decimals) = 69223.54273176 */
    a = s_ok(p, false, "/v5/account/wallet-balance", "accountType=UNIFIED");
    json_t *coins = json_object_get(
        json_array_get(json_object_get(json_object_get(a.j, "result"), "list"), 0), "coin");
    assert_int_equal(json_array_size(coins), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(coins, 0), "coin")),
                        "USDT");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(coins, 0), "walletBalance")),
        "69223.54273176");
    assert_string_equal(json_string_value(json_object_get(json_array_get(coins, 1), "coin")),
                        "BTC");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(coins, 1), "walletBalance")), "0.472203");
    json_decref(a.j);
    priv_destroy(&p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spot),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_orders_and_refusals),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_set_leverage),
        cmocka_unit_test(test_field_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
