/*  test_history.c - recorder/history: each question against a real schema-v2 file holding rows
 *  inserted by hand; expected answers derived from those rows (see the comments).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "recorder/history.h"
#include "recorder/schema.h"

static char s_path[256];
static sqlite3 *s_db;

static void
s_unlink_all(void)
{
    char p[300];
    (void)unlink(s_path);
    (void)snprintf(p, sizeof p, "%s-wal", s_path);
    (void)unlink(p);
    (void)snprintf(p, sizeof p, "%s-shm", s_path);
    (void)unlink(p);
}

static int
s_setup(void **state)
{
    (void)state;
    (void)snprintf(s_path, sizeof s_path, "/tmp/tp_test_history_%d.db", (int)getpid());
    s_unlink_all();
    s_db = schema_open(s_path, 100);
    assert_non_null(s_db);
    /* bars: 3 sig.bar 1m bars of BTCUSDT (start 0, 60, 120 s) inserted out of order, one md.kline
     * bar, and one bar of another symbol */
    assert_int_equal(
        sqlite3_exec(
            s_db,
            "INSERT INTO candles(topic_kind,venue,symbol,tf_s,start_ns,end_ns,evt,close,close_m,"
            "px_scale) VALUES"
            "('sig.bar','binance-spot','BTCUSDT',60,120000000000,180000000000,180000000000,"
            "'103.00',10300,2),"
            "('sig.bar','binance-spot','BTCUSDT',60,0,60000000000,60000000000,'101.00',10100,2),"
            "('sig.bar','binance-spot','BTCUSDT',60,60000000000,120000000000,120000000000,"
            "'102.00',10200,2),"
            "('md.kline','binance-spot','BTCUSDT',60,0,60000000000,60000000000,'99.00',9900,2),"
            "('sig.bar','binance-spot','ETHUSDT',60,0,60000000000,60000000000,'5.00',500,2);"
            /* orders: c1 New then Filled (closed); c2 New then PartiallyFilled (open); c3 New
             * (open); c4 New then Cancelled (closed) */
            "INSERT INTO orders(client_id,order_id,venue,symbol,status,qty,qty_m,cum_qty_m,evt)"
            " VALUES"
            "('c1','o1','bybit-linear','BTCUSDT','New','0.010',10,0,1),"
            "('c2','o2','bybit-linear','BTCUSDT','New','0.020',20,0,2),"
            "('c1','o1','bybit-linear','BTCUSDT','Filled','0.010',10,10,3),"
            "('c3','o3','bybit-linear','ETHUSDT','New','0.100',100,0,4),"
            "('c2','o2','bybit-linear','BTCUSDT','PartiallyFilled','0.020',20,5,5),"
            "('c4','o4','bybit-linear','ETHUSDT','New','0.100',100,0,6),"
            "('c4','o4','bybit-linear','ETHUSDT','Cancelled','0.100',100,0,7);"
            /* positions: BTC long then flat; ETH short (latest row wins) */
            "INSERT INTO positions(venue,symbol,qty,qty_m,qty_scale,evt) VALUES"
            "('bybit-linear','BTCUSDT','0.010',10,3,1),"
            "('bybit-linear','ETHUSDT','0.100',100,3,2),"
            "('bybit-linear','BTCUSDT','0',0,3,3),"
            "('bybit-linear','ETHUSDT','-0.100',-100,3,4);",
            NULL, NULL, NULL),
        SQLITE_OK);
    return 0;
}

static int
s_teardown(void **state)
{
    (void)state;
    sqlite3_close(s_db);
    s_db = NULL;
    s_unlink_all();
    return 0;
}

/* Ask and parse the reply (the caller json_decref's it). */
static json_t *
s_ask(const char *req)
{
    char *out = history_answer(s_db, NULL, req, strlen(req));
    assert_non_null(out);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(j);
    return j;
}

static void
s_assert_error(const char *req, const char *needle)
{
    json_t *j = s_ask(req);
    assert_true(json_is_false(json_object_get(j, "ok")));
    const char *e = json_string_value(json_object_get(j, "error"));
    assert_non_null(e);
    assert_non_null(strstr(e, needle));
    json_decref(j);
}

static void
test_last_bars_oldest_first(void **state)
{
    (void)state;
    /* n = 2: the two newest sig.bar bars (start 60 s and 120 s), oldest first */
    json_t *j = s_ask("{\"q\":\"bars\",\"venue\":\"binance-spot\",\"symbol\":\"BTCUSDT\","
                      "\"tf_s\":60,\"n\":2}");
    assert_true(json_is_true(json_object_get(j, "ok")));
    json_t *bars = json_object_get(j, "bars");
    assert_int_equal(json_array_size(bars), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(bars, 0), "start_ns")),
                     60000000000LL);
    assert_string_equal(json_string_value(json_object_get(json_array_get(bars, 1), "close")),
                        "103.00");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(bars, 1), "close_m")),
                     10300);
    json_decref(j);
    /* n larger than what exists: all 3; kind md.kline: only the kline bar */
    j = s_ask("{\"q\":\"bars\",\"venue\":\"binance-spot\",\"symbol\":\"BTCUSDT\",\"tf_s\":60,"
              "\"n\":100}");
    assert_int_equal(json_array_size(json_object_get(j, "bars")), 3);
    json_decref(j);
    j = s_ask("{\"q\":\"bars\",\"venue\":\"binance-spot\",\"symbol\":\"BTCUSDT\",\"tf_s\":60,"
              "\"n\":100,\"kind\":\"md.kline\"}");
    assert_int_equal(json_array_size(json_object_get(j, "bars")), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(j, "bars"), 0), "close")),
        "99.00");
    json_decref(j);
}

/* taker_buy_volume_m comes from the bar's events row (candles.event_id): written here as the
 * recorder writes them (body = codec_body_to_json of the md.kline, copied from a real run's
 * first BTCUSDT 1m kline: taker_buy_volume 381740 at qty_scale 5 = "3.81740"). A candle whose
 * events row is missing, or whose body is not JSON, gets null and no decimal. */
static void
test_bars_taker_buy_volume(void **state)
{
    (void)state;
    assert_int_equal(
        sqlite3_exec(
            s_db,
            "INSERT INTO events(id,topic,type,evt,body) VALUES"
            "(501,'md.kline.1m.binance-spot.SOLUSDT','md.kline',60000000000,"
            "'{\"venue\":\"binance-spot\",\"symbol\":\"SOLUSDT\",\"px_scale\":2,"
            "\"qty_scale\":5,\"interval_s\":60,\"start_ns\":0,\"end_ns\":60000000000,"
            "\"open\":10960801,\"high\":10962162,\"low\":10960800,\"close\":10961635,"
            "\"volume\":565926,\"quote_volume\":62032734965220,\"taker_buy_volume\":381740,"
            "\"trades\":1005,\"closed\":true,\"ts_event\":60000000000}'),"
            "(502,'md.kline.1m.binance-spot.SOLUSDT','md.kline',120000000000,'not json');"
            "INSERT INTO candles(event_id,topic_kind,venue,symbol,tf_s,start_ns,end_ns,evt,"
            "close_m,px_scale,qty_scale) VALUES"
            "(501,'md.kline','binance-spot','SOLUSDT',60,0,60000000000,60000000000,10961635,2,5),"
            "(502,'md.kline','binance-spot','SOLUSDT',60,60000000000,120000000000,120000000000,"
            "10961635,2,5),"
            "(NULL,'md.kline','binance-spot','SOLUSDT',60,120000000000,180000000000,180000000000,"
            "10961635,2,5);",
            NULL, NULL, NULL),
        SQLITE_OK);
    json_t *j = s_ask("{\"q\":\"bars\",\"kind\":\"md.kline\",\"venue\":\"binance-spot\","
                      "\"symbol\":\"SOLUSDT\",\"tf_s\":60,\"n\":10}");
    assert_true(json_is_true(json_object_get(j, "ok")));
    json_t *bars = json_object_get(j, "bars");
    assert_int_equal(json_array_size(bars), 3);
    json_t *b0 = json_array_get(bars, 0), *b1 = json_array_get(bars, 1),
           *b2 = json_array_get(bars, 2);
    assert_int_equal(json_integer_value(json_object_get(b0, "taker_buy_volume_m")), 381740);
    assert_string_equal(json_string_value(json_object_get(b0, "taker_buy_volume")), "3.81740");
    assert_true(json_is_null(json_object_get(b1, "taker_buy_volume_m"))); /* body not JSON */
    assert_null(json_object_get(b1, "taker_buy_volume"));
    assert_true(json_is_null(json_object_get(b2, "taker_buy_volume_m"))); /* no events row */
    assert_null(json_object_get(b2, "taker_buy_volume"));
    json_decref(j);
}

/* The last n trades of one symbol, oldest first by id; other symbols' rows in between are not
 * counted towards n. Rows: ids 1..5, BTC at 1, 2, 4, 5 and ETH at 3. */
static void
test_trades_last_n(void **state)
{
    (void)state;
    assert_int_equal(
        sqlite3_exec(s_db,
                     "INSERT INTO trades(id,venue,symbol,evt,px,px_m,qty,qty_m,px_scale,"
                     "qty_scale,side,trade_id) VALUES"
                     "(1,'bybit-linear','BTCUSDT',1000,'65119.9',651199,'0.001',1,1,3,'buy','a'),"
                     "(2,'bybit-linear','BTCUSDT',1500,'65119.8',651198,'0.002',2,1,3,'sell','b'),"
                     "(3,'bybit-linear','ETHUSDT',1600,'1922.43',192243,'0.1',100,2,3,'buy','c'),"
                     "(4,'bybit-linear','BTCUSDT',1400,'65119.7',651197,'0.003',3,1,3,'buy','d'),"
                     "(5,'bybit-linear','BTCUSDT',2000,'65119.6',651196,'0.004',4,1,3,'sell','e');",
                     NULL, NULL, NULL),
        SQLITE_OK);
    /* n = 3: BTC ids 2, 4, 5 (id order, not evt order: 4 has the earlier evt) */
    json_t *j = s_ask("{\"q\":\"trades\",\"venue\":\"bybit-linear\",\"symbol\":\"BTCUSDT\","
                      "\"n\":3}");
    assert_true(json_is_true(json_object_get(j, "ok")));
    json_t *t = json_object_get(j, "trades");
    assert_int_equal(json_array_size(t), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(t, 0), "id")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(t, 1), "id")), 4);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(t, 1), "evt")), 1400);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(t, 2), "px_m")), 651196);
    assert_string_equal(json_string_value(json_object_get(json_array_get(t, 2), "side")), "sell");
    assert_string_equal(json_string_value(json_object_get(json_array_get(t, 2), "trade_id")), "e");
    json_decref(j);
    /* more than exist: all 4 BTC rows; an unknown symbol: none */
    j = s_ask("{\"q\":\"trades\",\"venue\":\"bybit-linear\",\"symbol\":\"BTCUSDT\",\"n\":50}");
    assert_int_equal(json_array_size(json_object_get(j, "trades")), 4);
    json_decref(j);
    j = s_ask("{\"q\":\"trades\",\"venue\":\"bybit-linear\",\"symbol\":\"XRPUSDT\",\"n\":50}");
    assert_true(json_is_true(json_object_get(j, "ok")));
    assert_int_equal(json_array_size(json_object_get(j, "trades")), 0);
    json_decref(j);
    s_assert_error("{\"q\":\"trades\",\"venue\":\"bybit-linear\",\"symbol\":\"BTCUSDT\"}",
                   "n in 1..");
    s_assert_error("{\"q\":\"trades\",\"venue\":\"bybit-linear\",\"symbol\":\"BTCUSDT\","
                   "\"n\":1000001}",
                   "n in 1..");
    s_assert_error("{\"q\":\"trades\",\"symbol\":\"BTCUSDT\",\"n\":1}", "venue and symbol");
}

static void
test_open_orders_by_last_status(void **state)
{
    (void)state;
    /* c2 (last PartiallyFilled) and c3 (New) are open, in event order */
    json_t *j = s_ask("{\"q\":\"open_orders\"}");
    json_t *o = json_object_get(j, "orders");
    assert_int_equal(json_array_size(o), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "client_id")),
                        "c3");
    assert_string_equal(json_string_value(json_object_get(json_array_get(o, 1), "client_id")),
                        "c2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(o, 1), "status")),
                        "PartiallyFilled");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(o, 1), "cum_qty_m")), 5);
    json_decref(j);
}

static void
test_positions_latest_per_symbol(void **state)
{
    (void)state;
    /* latest rows: BTC flat (left out), ETH -0.100 */
    json_t *j = s_ask("{\"q\":\"positions\"}");
    json_t *p = json_object_get(j, "positions");
    assert_int_equal(json_array_size(p), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "symbol")),
                        "ETHUSDT");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(p, 0), "qty_m")), -100);
    json_decref(j);
    j = s_ask("{\"q\":\"positions\",\"all\":true}");
    assert_int_equal(json_array_size(json_object_get(j, "positions")), 2);
    json_decref(j);
}

static void
test_risk_state_latest(void **state)
{
    (void)state;
    json_t *j = s_ask("{\"q\":\"risk_state\"}");
    assert_true(json_is_true(json_object_get(j, "ok")));
    assert_true(json_is_null(json_object_get(j, "state"))); /* none recorded yet */
    json_decref(j);
    assert_int_equal(sqlite3_exec(s_db,
                                  "INSERT INTO risk_events(topic,state,evt,body) VALUES"
                                  "('risk.state','RUNNING',1,'{\"state\":\"RUNNING\"}'),"
                                  "('risk.alert','warn',2,'{}'),"
                                  "('risk.state','HALTED',3,'{\"state\":\"HALTED\","
                                  "\"equity\":100}');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    j = s_ask("{\"q\":\"risk_state\"}");
    json_t *s = json_object_get(j, "state");
    assert_string_equal(json_string_value(json_object_get(s, "state")), "HALTED");
    assert_int_equal(json_integer_value(json_object_get(s, "equity")), 100);
    assert_int_equal(json_integer_value(json_object_get(j, "evt")), 3);
    json_decref(j);
}

/* Ask under a context (the recorder's run, mode and replay clock). */
static json_t *
s_ask_ctx(const history_ctx_t *ctx, const char *req)
{
    char *out = history_answer(s_db, ctx, req, strlen(req));
    assert_non_null(out);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(j);
    return j;
}

/* Runs and time: the file holds a previous full run "run-a" (1m md.kline bars with evt 60 s ..
 * 600 s) and the current run "run-b" up to evt 300 s (bars 60 .. 300 s), plus trades, positions
 * and risk states in both. A replaying stage at event time 180 s gets only run-b rows with
 * evt < 180 s (bars 60 and 120 s); without "until" a replay is answered up to the recorder's
 * clock (240 s: bars 60 .. 240 s), live mode with every row of run-b; run-a never. */
static void
test_run_and_until_bound(void **state)
{
    (void)state;
    char sql[4096] = "";
    size_t off = 0;
    for (int run = 0; run < 2; run++) {
        int last = run == 0 ? 10 : 5;
        for (int i = 1; i <= last; i++) {
            off += (size_t)snprintf(
                sql + off, sizeof sql - off,
                "INSERT INTO candles(topic_kind,venue,symbol,tf_s,start_ns,end_ns,evt,close_m,"
                "px_scale,run_id) VALUES('md.kline','bybit-linear','ETHUSDT',60,%lld,%lld,%lld,"
                "%d,2,'%s');",
                (long long)(i - 1) * 60000000000LL, (long long)i * 60000000000LL,
                (long long)i * 60000000000LL, run * 1000 + i, run ? "run-b" : "run-a");
        }
    }
    off += (size_t)snprintf(sql + off, sizeof sql - off,
                            "INSERT INTO trades(venue,symbol,evt,px_m,run_id) VALUES"
                            "('bybit-linear','ETHUSDT',100000000000,1,'run-b'),"
                            "('bybit-linear','ETHUSDT',200000000000,2,'run-b'),"
                            "('bybit-linear','ETHUSDT',500000000000,3,'run-a');"
                            "INSERT INTO positions(venue,symbol,qty_m,evt,run_id) VALUES"
                            "('bybit-linear','SOLUSDT',7,100000000000,'run-b'),"
                            "('bybit-linear','SOLUSDT',9,200000000000,'run-b'),"
                            "('bybit-linear','SOLUSDT',11,500000000000,'run-a');"
                            "INSERT INTO risk_events(topic,state,body,evt,run_id) VALUES"
                            "('risk.state','RUNNING','{\"s\":1}',100000000000,'run-b'),"
                            "('risk.state','PAUSED','{\"s\":2}',200000000000,'run-b'),"
                            "('risk.state','KILLED','{\"s\":3}',500000000000,'run-a');");
    assert_int_equal(sqlite3_exec(s_db, sql, NULL, NULL, NULL), SQLITE_OK);
    const history_ctx_t replay = { .run_id = "run-b", .replay = true, .clock = 240000000000LL };
    const history_ctx_t live = { .run_id = "run-b", .replay = false, .clock = 0 };

    json_t *j = s_ask_ctx(&replay, "{\"q\":\"bars\",\"kind\":\"md.kline\",\"venue\":"
                                   "\"bybit-linear\",\"symbol\":\"ETHUSDT\",\"tf_s\":60,"
                                   "\"n\":100,\"until\":180000000000}");
    json_t *bars = json_object_get(j, "bars");
    assert_int_equal(json_array_size(bars), 2);
    size_t i;
    json_t *b;
    json_array_foreach(bars, i, b)
    {
        assert_true(json_integer_value(json_object_get(b, "evt")) < 180000000000LL);
        assert_true(json_integer_value(json_object_get(b, "close_m")) > 1000); /* run-b */
    }
    json_decref(j);
    j = s_ask_ctx(&replay, "{\"q\":\"bars\",\"kind\":\"md.kline\",\"venue\":"
                           "\"bybit-linear\",\"symbol\":\"ETHUSDT\",\"tf_s\":60,\"n\":100}");
    bars = json_object_get(j, "bars");
    assert_int_equal(json_array_size(bars), 4); /* 60 .. 240 s: the clock, inclusive */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(bars, 3), "evt")),
                     240000000000LL);
    json_decref(j);
    j = s_ask_ctx(&live, "{\"q\":\"bars\",\"kind\":\"md.kline\",\"venue\":"
                         "\"bybit-linear\",\"symbol\":\"ETHUSDT\",\"tf_s\":60,\"n\":100}");
    assert_int_equal(json_array_size(json_object_get(j, "bars")), 5); /* run-b only */
    json_decref(j);
    j = s_ask_ctx(NULL, "{\"q\":\"bars\",\"kind\":\"md.kline\",\"venue\":"
                        "\"bybit-linear\",\"symbol\":\"ETHUSDT\",\"tf_s\":60,\"n\":100}");
    assert_int_equal(json_array_size(json_object_get(j, "bars")), 15); /* no context: all */
    json_decref(j);

    j = s_ask_ctx(&replay, "{\"q\":\"trades\",\"venue\":\"bybit-linear\",\"symbol\":"
                           "\"ETHUSDT\",\"n\":10,\"until\":150000000000}");
    assert_int_equal(json_array_size(json_object_get(j, "trades")), 1);
    json_decref(j);
    j = s_ask_ctx(&replay, "{\"q\":\"positions\",\"until\":150000000000}");
    json_t *p = json_array_get(json_object_get(j, "positions"), 0);
    assert_int_equal(json_integer_value(json_object_get(p, "qty_m")), 7);
    json_decref(j);
    j = s_ask_ctx(&live, "{\"q\":\"positions\"}");
    p = json_array_get(json_object_get(j, "positions"), 0);
    assert_int_equal(json_integer_value(json_object_get(p, "qty_m")), 9); /* not run-a's 11 */
    json_decref(j);
    j = s_ask_ctx(&live, "{\"q\":\"risk_state\"}");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "state"), "s")), 2);
    json_decref(j);
    j = s_ask_ctx(&replay, "{\"q\":\"risk_state\",\"until\":150000000000}");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "state"), "s")), 1);
    json_decref(j);
    j = s_ask_ctx(&replay, "{\"q\":\"risk_state\",\"until\":\"soon\"}");
    assert_true(json_is_false(json_object_get(j, "ok")));
    json_decref(j);
}

static void
test_bad_requests(void **state)
{
    (void)state;
    s_assert_error("not json", "parse error");
    s_assert_error("[1,2]", "not a JSON object");
    s_assert_error("{}", "missing \"q\"");
    s_assert_error("{\"q\":\"everything\"}", "unknown question: everything");
    s_assert_error("{\"q\":\"bars\",\"venue\":\"v\",\"symbol\":\"s\",\"n\":5}", "tf_s");
    s_assert_error("{\"q\":\"bars\",\"venue\":\"v\",\"symbol\":\"s\",\"tf_s\":60,\"n\":0}",
                   "n in 1..10000");
    s_assert_error("{\"q\":\"bars\",\"venue\":\"v\",\"symbol\":\"s\",\"tf_s\":60,\"n\":10001}",
                   "n in 1..10000");
    s_assert_error("{\"q\":\"bars\",\"venue\":\"v\",\"symbol\":\"s\",\"tf_s\":60,\"n\":1,"
                   "\"kind\":\"x\"}",
                   "kind must be");
    /* a database without the tables: the query fails, the answer says why */
    sqlite3 *mem = NULL;
    assert_int_equal(sqlite3_open(":memory:", &mem), SQLITE_OK);
    const char *req = "{\"q\":\"open_orders\"}";
    char *out = history_answer(mem, NULL, req, strlen(req));
    assert_non_null(out);
    assert_non_null(strstr(out, "no such table"));
    free(out);
    sqlite3_close(mem);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_last_bars_oldest_first, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bars_taker_buy_volume, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_trades_last_n, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_open_orders_by_last_status, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_positions_latest_per_symbol, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_risk_state_latest, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_run_and_until_bound, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("history", tests, NULL, NULL);
}
