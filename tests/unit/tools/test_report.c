/*  test_report.c - tools/report: counts, orders by final status, round trips (including a
 *  fill that crosses zero), realized PnL, fees, max drawdown from balances and from realized
 *  PnL, gaps, and the --json output of the binary. The database is built here with the
 *  recorder's schema (recorder/schema.c) and plain INSERTs, in a real file under /tmp.
 *  Every expected figure is derived by hand in the comments.
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

#include "recorder/schema.h"
#include "tools/report/report.h"

/* Directory of this test binary (build/bin or build/asan/bin): the tool under test is there. */
static char s_bindir[256] = "build/bin";

static char s_path[256];
static sqlite3 *s_db;

static void
s_rm(void)
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
    (void)snprintf(s_path, sizeof s_path, "/tmp/tp_test_report_%d.db", (int)getpid());
    s_rm();
    s_db = schema_open(s_path, 100);
    return s_db ? 0 : -1;
}

static int
s_teardown(void **state)
{
    (void)state;
    sqlite3_close(s_db);
    s_db = NULL;
    s_rm();
    return 0;
}

static void
s_exec(const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(s_db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fail_msg("sql failed: %s: %s", err ? err : "?", sql);
    }
}

/* The fills of the worked example (venue paper; BTCUSDT px_scale 2, qty_scale 3; fee and
 * realized_pnl at scale 8):
 *   f1 evt 100 buy  0.010 @ 100000.00 fee 1.00 pnl 0
 *   f2 evt 200 buy  0.010 @ 101000.00 fee 1.01 pnl 0
 *   f3 evt 300 sell 0.020 @ 102000.00 fee 2.04 pnl (102000 - 100500) x 0.02 = +30.00
 *      -> trip 1 long: entry (100000 x 0.01 + 101000 x 0.01) / 0.02 = 100500.00, exit 102000.00,
 *         qty 0.020, fees 1.00 + 1.01 + 2.04 = 4.05, net 30 - 4.05 = 25.95
 *   f4 evt 400 buy  0.010 @ 100000.00 fee 1.00 pnl 0
 *   f5 evt 500 sell 0.030 @  99000.00 fee 2.97 pnl (99000 - 100000) x 0.01 = -10.00
 *      crosses zero: 0.010 closes trip 2, 0.020 opens a short; fee split 2.97 x 10/30 = 0.99
 *      -> trip 2 long: entry 100000.00, exit 99000.00, qty 0.010, fees 1.00 + 0.99 = 1.99,
 *         net -10 - 1.99 = -11.99
 *   f6 evt 600 buy  0.020 @  98000.00 fee 1.96 pnl (99000 - 98000) x 0.02 = +20.00
 *      -> trip 3 short: entry 99000.00, exit 98000.00, qty 0.020, fees 1.98 + 1.96 = 3.94,
 *         net 20 - 3.94 = 16.06
 *   f7 evt 700 buy  1.000 ETHUSDT @ 3000.00 fee 3.00 pnl 0 -> open at the end (1 open position)
 * Inserted out of evt order (f3 first) to prove the report sorts by evt.
 * Totals: realized 30 - 10 + 20 = 40.00; fees 1 + 1.01 + 2.04 + 1 + 2.97 + 1.96 + 3 = 12.98;
 * net 27.02. */
static void
s_insert_fills(void)
{
    s_exec("INSERT INTO fills(venue,symbol,side,px_m,qty_m,px_scale,qty_scale,fee_m,"
           "realized_pnl_m,evt) VALUES"
           "('paper','BTCUSDT','sell',10200000,20,2,3,204000000,3000000000,300),"
           "('paper','BTCUSDT','buy',10000000,10,2,3,100000000,0,100),"
           "('paper','BTCUSDT','buy',10100000,10,2,3,101000000,0,200),"
           "('paper','BTCUSDT','buy',10000000,10,2,3,100000000,0,400),"
           "('paper','BTCUSDT','sell',9900000,30,2,3,297000000,-1000000000,500),"
           "('paper','BTCUSDT','buy',9800000,20,2,3,196000000,2000000000,600),"
           "('paper','ETHUSDT','buy',300000,1000,2,3,300000000,0,700)");
}

static void
test_counts_orders_gaps(void **state)
{
    (void)state;
    /* topics: md.book x3 (two venues), sig.bar x1, exec.fill x1, sys.hb x1 -> 6 events */
    s_exec("INSERT INTO events(topic) VALUES ('md.book.bybit-linear.BTCUSDT'),"
           "('md.book.bybit-linear.BTCUSDT'),('md.book.binance-usdm.BTCUSDT'),"
           "('sig.bar.1m.binance-spot.BTCUSDT'),('exec.fill'),('sys.hb.feed.0')");
    /* c1 New -> Filled, c2 New -> Cancelled, c3 Rejected, c4 Filled: 4 orders, by LAST status
     * Filled 2, Cancelled 1, Rejected 1 */
    s_exec("INSERT INTO orders(client_id,status) VALUES ('c1','New'),('c2','New'),"
           "('c1','Filled'),('c3','Rejected'),('c2','Cancelled'),('c4','Filled')");
    /* gaps: 2 rows, 3 + 5 = 8 missing */
    s_exec("INSERT INTO gaps(src,from_seq,to_seq,missing) VALUES ('feed.0',7,9,3),"
           "('signal.0',100,104,5)");
    report_t r;
    assert_int_equal(report_load(s_db, &r), 0);
    assert_int_equal(r.events, 6);
    assert_int_equal(r.n_topics, 4);
    /* sorted by prefix: exec.fill, md.book, sig.bar, sys.hb */
    assert_string_equal(r.topics[0].prefix, "exec.fill");
    assert_string_equal(r.topics[1].prefix, "md.book");
    assert_int_equal(r.topics[1].count, 3);
    assert_string_equal(r.topics[2].prefix, "sig.bar");
    assert_string_equal(r.topics[3].prefix, "sys.hb");
    assert_int_equal(r.orders, 4);
    assert_int_equal(r.n_order_status, 3);
    assert_string_equal(r.order_status[0].prefix, "Cancelled");
    assert_int_equal(r.order_status[0].count, 1);
    assert_string_equal(r.order_status[1].prefix, "Filled");
    assert_int_equal(r.order_status[1].count, 2);
    assert_string_equal(r.order_status[2].prefix, "Rejected");
    assert_int_equal(r.gaps, 2);
    assert_int_equal(r.gaps_missing, 8);
    assert_int_equal(r.fills, 0);
    assert_int_equal(r.n_trips, 0);
    assert_string_equal(r.dd_source, "none");
    assert_int_equal(r.max_dd_pct, -1);
    report_free(&r);
    assert_null(r.topics);
}

static void
test_round_trips_and_pnl(void **state)
{
    (void)state;
    s_insert_fills();
    report_t r;
    assert_int_equal(report_load(s_db, &r), 0);
    assert_int_equal(r.fills, 7);
    assert_int_equal(r.realized_pnl, 4000000000); /* 40.00 */
    assert_int_equal(r.fees, 1298000000);         /* 12.98 */
    assert_int_equal(r.net, 2702000000);          /* 27.02 */
    assert_int_equal(r.n_trips, 3);
    assert_int_equal(r.open_positions, 1); /* ETHUSDT */

    const report_trip_t *t = &r.trips[0];
    assert_string_equal(t->symbol, "BTCUSDT");
    assert_int_equal(t->side, 1);
    assert_int_equal(t->entry_px, 10050000); /* 100500.00 */
    assert_int_equal(t->exit_px, 10200000);
    assert_int_equal(t->qty, 20);
    assert_int_equal(t->pnl, 3000000000);
    assert_int_equal(t->fees, 405000000);
    assert_int_equal(t->net, 2595000000);
    assert_int_equal(t->entry_evt, 100);
    assert_int_equal(t->exit_evt, 300);
    assert_int_equal(t->n_fills, 3);

    t = &r.trips[1];
    assert_int_equal(t->side, 1);
    assert_int_equal(t->entry_px, 10000000);
    assert_int_equal(t->exit_px, 9900000);
    assert_int_equal(t->qty, 10);
    assert_int_equal(t->fees, 199000000);
    assert_int_equal(t->net, -1199000000);

    t = &r.trips[2];
    assert_int_equal(t->side, -1);
    assert_int_equal(t->entry_px, 9900000);
    assert_int_equal(t->exit_px, 9800000);
    assert_int_equal(t->qty, 20);
    assert_int_equal(t->pnl, 2000000000);
    assert_int_equal(t->fees, 394000000);
    assert_int_equal(t->net, 1606000000);
    assert_int_equal(t->entry_evt, 500);
    assert_int_equal(t->exit_evt, 600);

    /* no balances: drawdown of the cumulative realized net, curve from 0:
     * f1 -1.00, f2 -2.01, f3 +25.95 (peak), f4 24.95, f5 11.98 (trough), f6 30.02, f7 27.02.
     * Largest fall 25.95 - 11.98 = 13.97; pct 13.97 / 25.95 = 53.834 % -> 53.83 */
    assert_string_equal(r.dd_source, "realized");
    assert_int_equal(r.max_dd, 1397000000);
    assert_int_equal(r.dd_peak, 2595000000);
    assert_int_equal(r.dd_trough, 1198000000);
    assert_int_equal(r.max_dd_pct, 5383);
    report_free(&r);
}

/* Exit reasons of trips closed by the venue-held stop ("<entry id>.s") after risk moved it
 * (risk.order intent move_stop, issue 17 item 2) and risk sent no exit of its own (it was
 * down): trip 1 long 0.010 @ 100000.00, stop moved to 100000.00 (the entry) at evt 150, stop
 * fill @ 100000.00 at 200 -> breakeven; trip 2 long 0.010 @ 100000.00 at 300, stop moved to
 * 100500.00 at 350, stop fill @ 100500.00 at 400 -> trailing (the move at 150 is before
 * trip 2 but the later one at 350 counts); trip 3 long at 500, no move in the trip (the last
 * one, at 350, is before its entry), stop fill at 600 -> stop. Both credited to the opener. */
static void
test_exit_reason_after_move_stop(void **state)
{
    (void)state;
    s_exec("INSERT INTO risk_events(topic,client_id,state,evt,body) VALUES"
           "('risk.order','e1','entry',100,'{\"strategy\":\"s1\",\"venue\":\"paper\","
           "\"symbol\":\"BTCUSDT\"}'),"
           "('risk.order','m1','move_stop',150,'{\"strategy\":\"s1\",\"venue\":\"paper\","
           "\"symbol\":\"BTCUSDT\",\"sl_px\":10000000}'),"
           "('risk.order','e2','entry',300,'{\"strategy\":\"s1\",\"venue\":\"paper\","
           "\"symbol\":\"BTCUSDT\"}'),"
           "('risk.order','m2','move_stop',350,'{\"strategy\":\"s1\",\"venue\":\"paper\","
           "\"symbol\":\"BTCUSDT\",\"sl_px\":10050000}'),"
           "('risk.order','e3','entry',500,'{\"strategy\":\"s1\",\"venue\":\"paper\","
           "\"symbol\":\"BTCUSDT\"}')");
    s_exec("INSERT INTO fills(venue,symbol,side,px_m,qty_m,px_scale,qty_scale,fee_m,"
           "realized_pnl_m,evt,client_id) VALUES"
           "('paper','BTCUSDT','buy',10000000,10,2,3,0,0,100,'e1'),"
           "('paper','BTCUSDT','sell',10000000,10,2,3,0,0,200,'e1.s'),"
           "('paper','BTCUSDT','buy',10000000,10,2,3,0,0,300,'e2'),"
           "('paper','BTCUSDT','sell',10050000,10,2,3,0,500000000,400,'e2.s'),"
           "('paper','BTCUSDT','buy',10000000,10,2,3,0,0,500,'e3'),"
           "('paper','BTCUSDT','sell',9950000,10,2,3,0,-500000000,600,'e3.s')");
    report_t r;
    assert_int_equal(report_load(s_db, &r), 0);
    assert_int_equal(r.n_trips, 3);
    assert_string_equal(r.trips[0].exit_reason, "breakeven");
    assert_string_equal(r.trips[1].exit_reason, "trailing");
    assert_string_equal(r.trips[2].exit_reason, "stop");
    for (size_t i = 0; i < r.n_trips; i++) {
        assert_string_equal(r.trips[i].strategy, "s1");
    }
    report_free(&r);
}

static void
test_drawdown_from_balances(void **state)
{
    (void)state;
    /* account A (paper/USDT) equity 10000, 10050, 9950, 10100, 9900 at evt 100..500; account B
     * (binance/USDT) 1000 at evt 250. Curve = A + latest B:
     * 10000, 10050, 11050 (B joins), 10950, 11100 (peak), 10900 (trough)
     * falls: 11050 -> 10950 = 100; 11100 -> 10900 = 200 (max). pct 200 / 11100 = 1.8018 % -> 1.80.
     * Rows inserted in a shuffled order: the report must sort by evt. */
    s_exec("INSERT INTO balances(venue,asset,equity_m,evt) VALUES"
           "('paper','USDT',990000000000,500),('paper','USDT',1000000000000,100),"
           "('binance','USDT',100000000000,250),('paper','USDT',1005000000000,200),"
           "('paper','USDT',995000000000,300),('paper','USDT',1010000000000,400)");
    s_insert_fills(); /* present, but balances take precedence */
    report_t r;
    assert_int_equal(report_load(s_db, &r), 0);
    assert_string_equal(r.dd_source, "balances");
    assert_int_equal(r.max_dd, 20000000000);      /* 200.00 */
    assert_int_equal(r.dd_peak, 1110000000000);   /* 11100.00 */
    assert_int_equal(r.dd_trough, 1090000000000); /* 10900.00 */
    assert_int_equal(r.max_dd_pct, 180);
    report_free(&r);
}

static void
test_not_a_recorder_db_is_eio(void **state)
{
    (void)state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    report_t r;
    errno = 0;
    assert_int_equal(report_load(db, &r), -1);
    assert_int_equal(errno, EIO);
    report_free(&r);
    sqlite3_close(db);
}

static void
test_json_keys(void **state)
{
    (void)state;
    s_insert_fills();
    s_exec("INSERT INTO events(topic) VALUES ('exec.fill')");
    report_t r;
    assert_int_equal(report_load(s_db, &r), 0);
    json_t *j = report_json(&r);
    assert_non_null(j);
    static const char *const keys[] = { "events",  "topics",        "orders",
                                        "fills",   "round_trips",   "realized_pnl",
                                        "fees",    "max_drawdown",  "gaps",
                                        "net_pnl", "open_positions" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        assert_non_null(json_object_get(j, keys[i]));
    }
    assert_string_equal(json_string_value(json_object_get(j, "realized_pnl")), "40.00000000");
    assert_string_equal(json_string_value(json_object_get(j, "fees")), "12.98000000");
    assert_string_equal(json_string_value(json_object_get(j, "net_pnl")), "27.02000000");
    json_t *dd = json_object_get(j, "max_drawdown");
    assert_string_equal(json_string_value(json_object_get(dd, "abs")), "13.97000000");
    assert_string_equal(json_string_value(json_object_get(dd, "pct")), "53.83");
    json_t *trips = json_object_get(j, "round_trips");
    assert_int_equal(json_array_size(trips), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(trips, 1), "net")),
                        "-11.99000000");
    assert_string_equal(json_string_value(json_object_get(json_array_get(trips, 0), "entry_px")),
                        "100500.00");
    assert_string_equal(json_string_value(json_object_get(json_array_get(trips, 2), "side")),
                        "short");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "topics"), "exec.fill")),
                     1);
    json_decref(j);
    report_free(&r);
}

/* The binary: `report DB --json` prints one JSON object with the keys; text mode prints the
 * money figures via money_fmt; a missing file exits 1, bad arguments 2. */
static void
test_binary(void **state)
{
    (void)state;
    s_insert_fills();
    char cmd[1024];
    (void)snprintf(cmd, sizeof cmd, "%s/report %s --json", s_bindir, s_path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_error_t err;
    json_t *j = json_loadf(p, JSON_DISABLE_EOF_CHECK, &err);
    assert_int_equal(pclose(p), 0);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "fees")), "12.98000000");
    assert_int_equal(json_integer_value(json_object_get(j, "fills")), 7);
    json_decref(j);

    (void)snprintf(cmd, sizeof cmd, "%s/report %s", s_bindir, s_path);
    p = popen(cmd, "r");
    assert_non_null(p);
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, p) != NULL) {
        if (strncmp(line, "net pnl", 7) == 0 && strstr(line, "27.02000000") != NULL) {
            found++;
        }
        if (strstr(line, "100500.00") != NULL && strstr(line, "long") != NULL) {
            found++;
        }
    }
    assert_int_equal(pclose(p), 0);
    assert_int_equal(found, 2);

    (void)snprintf(cmd, sizeof cmd, "%s/report /nonexistent-dir-tp/none.db >/dev/null 2>&1",
                   s_bindir);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 1);
    (void)snprintf(cmd, sizeof cmd, "%s/report >/dev/null 2>&1", s_bindir);
    rc = system(cmd);
    assert_int_equal(WEXITSTATUS(rc), 2);
}

/* Run a shell command, its stdout into out[cap]; returns the exit status. */
static int
s_run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    assert_true(WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

/* Two runs in one file: "run-old" (the worked example's fills, ended cleanly) and "run-new"
 * (one losing fill of 5.00 realized, fee 0.50; its recorder killed once and restarted, the
 * restart found feed.0 epoch 9 seq 101..120 missing; not ended cleanly). The report is of the
 * latest run by default and of one run with --run; --runs lists both; the first lines warn
 * about run-new; the gap is listed with its range; --html writes only the page. */
static void
test_runs(void **state)
{
    (void)state;
    s_insert_fills();
    s_exec("UPDATE fills SET run_id = 'run-old';"
           "INSERT INTO runs(run_id,started_ns,ended_ns,clean,unclean_stops,starts) VALUES"
           "('run-old',1000000000,2000000000,1,0,1),('run-new',3000000000,NULL,0,1,2);"
           "INSERT INTO fills(venue,symbol,side,px_m,qty_m,px_scale,qty_scale,fee_m,"
           "realized_pnl_m,evt,run_id) VALUES"
           "('paper','BTCUSDT','sell',10000000,10,2,3,50000000,-500000000,900,'run-new');"
           "INSERT INTO gaps(src,epoch,from_seq,to_seq,missing,ts,run_id) VALUES"
           "('feed.0',9,101,120,20,5,'run-new'),('feed.0',1,5,5,1,5,'run-old');");
    char cmd[1024], out[16384];
    (void)snprintf(cmd, sizeof cmd, "%s/report %s --json", s_bindir, s_path);
    assert_int_equal(s_run(cmd, out, sizeof out), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "run"), "run_id")),
                        "run-new");
    assert_int_equal(json_integer_value(json_object_get(j, "fills")), 1);
    assert_string_equal(json_string_value(json_object_get(j, "net_pnl")), "-5.50000000");
    json_t *g = json_object_get(j, "gaps");
    assert_int_equal(json_integer_value(json_object_get(g, "missing")), 20);
    json_t *g0 = json_array_get(json_object_get(g, "list"), 0);
    assert_int_equal(json_integer_value(json_object_get(g0, "from")), 101);
    assert_int_equal(json_integer_value(json_object_get(g0, "to")), 120);
    assert_int_equal(json_array_size(json_object_get(j, "warnings")), 3);
    json_decref(j);

    (void)snprintf(cmd, sizeof cmd, "%s/report %s", s_bindir, s_path);
    assert_int_equal(s_run(cmd, out, sizeof out), 0);
    assert_true(strncmp(out, "WARNING: run run-new did not end cleanly", 40) == 0);
    assert_non_null(strstr(out, "stopped uncleanly 1 time(s)"));
    assert_non_null(strstr(out, "run run-new: recorded from"));
    assert_non_null(strstr(out, "feed.0               epoch 9  seq 101..120  20 missing"));
    assert_null(strstr(out, "27.02000000"));

    (void)snprintf(cmd, sizeof cmd, "%s/report %s --run run-old", s_bindir, s_path);
    assert_int_equal(s_run(cmd, out, sizeof out), 0);
    assert_null(strstr(out, "WARNING: run"));
    assert_non_null(strstr(out, "27.02000000")); /* the worked example's net pnl */
    assert_non_null(strstr(out, "seq 5..5  1 missing"));
    assert_null(strstr(out, "101..120"));

    (void)snprintf(cmd, sizeof cmd, "%s/report %s --run no-such-run 2>&1", s_bindir, s_path);
    assert_int_equal(s_run(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "has no run no-such-run"));

    (void)snprintf(cmd, sizeof cmd, "%s/report %s --runs", s_bindir, s_path);
    assert_int_equal(s_run(cmd, out, sizeof out), 0);
    char *a = strstr(out, "run-old"), *b = strstr(out, "run-new");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b); /* oldest first */

    char html[300];
    (void)snprintf(html, sizeof html, "%s.html", s_path);
    (void)snprintf(cmd, sizeof cmd, "%s/report %s --html %s", s_bindir, s_path, html);
    int rc = s_run(cmd, out, sizeof out);
    if (rc == 0) { /* gnuplot present */
        char want[600];
        (void)snprintf(want, sizeof want, "report: wrote %s (%s, run run-new)\n", html, s_path);
        assert_string_equal(out, want); /* that line only: no text report */
        FILE *f = fopen(html, "r");
        assert_non_null(f);
        static char page[1 << 20];
        size_t n = fread(page, 1, sizeof page - 1, f);
        page[n] = '\0';
        fclose(f);
        assert_non_null(strstr(page, "did not end cleanly"));
        assert_non_null(strstr(page, "<td>101</td><td>120</td><td>20</td>"));
    }
    (void)unlink(html);
}

int
main(int argc, char **argv)
{
    (void)argc;
    const char *slash = strrchr(argv[0], '/');
    if (slash != NULL) {
        (void)snprintf(s_bindir, sizeof s_bindir, "%.*s", (int)(slash - argv[0]), argv[0]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counts_orders_gaps, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_round_trips_and_pnl, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_exit_reason_after_move_stop, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_drawdown_from_balances, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_not_a_recorder_db_is_eio, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_json_keys, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_binary, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_runs, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
