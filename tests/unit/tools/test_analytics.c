/*  test_analytics.c - tools/report/analytics: ratios, percentiles, win rate / profit factor,
 *  exposure, breakdowns, latency and the HTML page, on a real schema-v2 file with rows inserted
 *  by hand. Expected values are computed by hand in the comments.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "recorder/schema.h"
#include "tools/report/analytics.h"
#include "tools/report/report.h"

#define DAY 86400000000000LL

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
    (void)snprintf(s_path, sizeof s_path, "/tmp/tp_test_analytics_%d.db", (int)getpid());
    s_unlink_all();
    s_db = schema_open(s_path, 100);
    assert_non_null(s_db);
    return 0;
}

static int
s_teardown(void **state)
{
    (void)state;
    sqlite3_close(s_db);
    s_unlink_all();
    return 0;
}

static void
s_exec(const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(s_db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "%s\n", err ? err : "?");
    }
    sqlite3_free(err);
    assert_int_equal(rc, SQLITE_OK);
}

static void
test_ratios(void **state)
{
    (void)state;
    /* daily closes 100 (first point), 110, 121, 108.9 -> returns 0, 0.1, 0.1, -0.1;
     * mean 0.025; sample var = (0.025^2 + 0.075^2 + 0.075^2 + 0.125^2) / 3 = 0.0275 / 3;
     * sd = 0.0957427; Sharpe = 0.025 / 0.0957427 x sqrt(365) = 4.98857;
     * downside = sqrt(0.1^2 / 4) = 0.05; Sortino = 0.025 / 0.05 x sqrt(365) = 9.55249.
     * Two points on day 1: only the last counts. */
    report_pt_t pts[] = { { 0, 10000000000LL },
                          { DAY + 5, 99 },
                          { DAY + 9, 11000000000LL },
                          { 2 * DAY, 12100000000LL },
                          { 3 * DAY + 1, 10890000000LL } };
    double sh = 0, so = 0;
    bool ok = false;
    assert_int_equal(report_x_ratios(pts, 5, &sh, &so, &ok), 4);
    assert_true(ok);
    assert_true(fabs(sh - 4.98857) < 1e-4);
    assert_true(fabs(so - 9.55249) < 1e-4);
    /* one day only: undefined */
    assert_int_equal(report_x_ratios(pts, 1, &sh, &so, &ok), 1);
    assert_false(ok);
    /* no losing day: downside deviation 0 -> undefined */
    report_pt_t up[] = { { 0, 100 }, { DAY, 110 }, { 2 * DAY, 120 } };
    assert_int_equal(report_x_ratios(up, 3, &sh, &so, &ok), 3);
    assert_false(ok);
}

static void
test_percentiles(void **state)
{
    (void)state;
    int64_t v[1000];
    for (int i = 0; i < 1000; i++) {
        v[i] = i + 1; /* 1..1000 */
    }
    /* nearest rank: p50 -> 500th = 500, p99 -> 990th = 990, p99.9 -> 999th = 999 */
    assert_int_equal(report_x_pct(v, 1000, 500), 500);
    assert_int_equal(report_x_pct(v, 1000, 990), 990);
    assert_int_equal(report_x_pct(v, 1000, 999), 999);
    assert_int_equal(report_x_pct(v, 1, 999), 1);
}

/* Two round trips on binance-spot BTCUSDT by strategy "s1":
 *  trip 1: buy 1 @ 100 (fee 1) at t=10 s, sell 1 @ 110 (pnl +10, fee 1) at t=20 s: net +8
 *  trip 2: buy 1 @ 110 (fee 1) at t=60 s, sell 1 @ 105 (pnl -5, fee 1) at t=80 s: net -7
 * win rate 1/2 = 50.00 %; profit factor 8 / 7 = 1.142857.
 * Trip 1 ends on a signal exit (intent "exit"); trip 2 on the venue-held stop "c3.s" of entry
 * c3, which has no risk.order of its own: credited to s1, exit reason "stop".
 * Traded span = the symbol's bars, t = 0 .. 120 s (events run to 100 s only); in market
 * 10..20 and 60..80 = 30 s -> exposure 25.00 %. */
static void
s_fixture(void)
{
    s_exec(
        "INSERT INTO events(topic,evt,ts,origin) VALUES('md.book.x',0,0,0),"
        "('md.book.x',100000000000,0,0),"
        /* latency samples: ts - origin = 100, 200, 300 us for signals; 1 ms for orders */
        "('sig.signal.s1.BTCUSDT',1,1100000,1000000),('sig.signal.s1.BTCUSDT',1,1200000,1000000),"
        "('sig.signal.s1.BTCUSDT',1,1300000,1000000),('risk.order',1,2000000,1000000),"
        "('exec.fill',1,5,0);"
        "INSERT INTO risk_events(topic,client_id,state,body) VALUES"
        "('risk.order','c1','entry','{\"strategy\":\"s1\"}'),"
        "('risk.order','c2','exit','{\"strategy\":\"s1\"}'),"
        "('risk.order','c3','entry','{\"strategy\":\"s1\"}');"
        "INSERT INTO fills(client_id,venue,symbol,side,px,px_m,qty,qty_m,fee_m,realized_pnl_m,"
        "px_scale,qty_scale,evt) VALUES"
        "('c1','binance-spot','BTCUSDT','buy','100',100,'1',1,100000000,0,0,0,10000000000),"
        "('c2','binance-spot','BTCUSDT','sell','110',110,'1',1,100000000,1000000000,0,0,"
        "20000000000),"
        "('c3','binance-spot','BTCUSDT','buy','110',110,'1',1,100000000,0,0,0,60000000000),"
        "('c3.s','binance-spot','BTCUSDT','sell','105',105,'1',1,100000000,-500000000,0,0,"
        "80000000000);"
        "INSERT INTO positions(venue,symbol,qty_m,unrealized_pnl_m,id) VALUES"
        "('binance-spot','BTCUSDT',1,300000000,1),('binance-spot','BTCUSDT',0,0,2),"
        "('bybit-linear','ETHUSDT',5,250000000,3);"
        "INSERT INTO candles(topic_kind,venue,symbol,tf_s,start_ns,end_ns,open_m,close_m,px_scale)"
        " VALUES('sig.bar','binance-spot','BTCUSDT',60,0,60000000000,10000,10000,2),"
        "('sig.bar','binance-spot','BTCUSDT',60,60000000000,120000000000,10000,10800,2);");
}

static void
test_figures(void **state)
{
    (void)state;
    s_fixture();
    report_t r;
    report_x_t x;
    assert_int_equal(report_load(s_db, &r), 0);
    assert_int_equal(report_x_load(s_db, &r, &x), 0);
    assert_int_equal(r.n_trips, 2);
    assert_int_equal(x.wins, 1);
    assert_int_equal(x.losses, 1);
    assert_int_equal(x.win_rate, 5000); /* 50.00 % */
    assert_true(fabs(x.profit_factor - 8.0 / 7.0) < 1e-9);
    /* latest rows: BTC flat (0), ETH 2.5 USDT -> unrealized 2.5 */
    assert_int_equal(x.unrealized, 250000000);
    assert_int_equal(x.exposure, 2500);
    assert_string_equal(r.trips[0].exit_reason, "signal");
    assert_string_equal(r.trips[1].exit_reason, "stop");
    assert_string_equal(r.trips[1].strategy, "s1");
    assert_int_equal(x.n_by_strategy, 1);
    assert_string_equal(x.by_strategy[0].name, "s1");
    assert_int_equal(x.by_strategy[0].fills, 4);
    assert_int_equal(x.by_strategy[0].trips, 2);
    /* gross 10 - 5 = 5; fees 4; net 1 */
    assert_int_equal(x.by_strategy[0].net, 100000000);
    assert_int_equal(x.n_by_symbol, 1);
    assert_string_equal(x.by_symbol[0].name, "binance-spot:BTCUSDT");
    assert_int_equal(x.by_symbol[0].wins, 1);
    assert_int_equal(x.lat[0].n, 3);
    assert_int_equal(x.lat[0].p50, 200000); /* 2nd of 3 (ceil(0.5 x 3) = 2) */
    assert_int_equal(x.lat[0].max, 300000);
    assert_int_equal(x.lat[1].p99, 1000000);
    assert_int_equal(x.lat[2].n, 0); /* origin 0: not a market-data consequence */
    assert_false(x.have_ratios);     /* no balances: a PnL curve has no capital */
    assert_int_equal(x.n_equity, 4);
    assert_int_equal(x.equity[3].equity, 100000000); /* cumulative net +1 */
    report_x_free(&x);
    report_free(&r);
}

/* The tearsheet on the fixture with a balance curve: 1000 at t 0, 1008 after trip 1 (20 s),
 * 1001 after trip 2 (80 s). Buy and hold: open 100.00 of the first bar -> close 108.00 of the
 * last = +8.00 %; return 1 / 1000 = 0.10 %, excess -7.90 %; before fees (1 + 4) / 1000 =
 * 0.50 %; fee drag 4 / 1000 = 0.40 %. Drawdown 1008 -> 1001 from 20 s, never recovered: to the
 * end of the span (120 s) = 100 s. Average win 8, loss -7, expectancy (8 - 7) / 2 = 0.5,
 * holding (10 + 20) / 2 = 15 s. One UTC day: +0.10 %. */
static void
test_tearsheet(void **state)
{
    (void)state;
    s_fixture();
    s_exec("INSERT INTO balances(venue,asset,equity_m,evt) VALUES"
           "('paper','USDT',100000000000,0),('paper','USDT',100800000000,20000000000),"
           "('paper','USDT',100100000000,80000000000);");
    report_t r;
    report_x_t x;
    assert_int_equal(report_load(s_db, &r), 0);
    assert_int_equal(report_x_load(s_db, &r, &x), 0);
    const report_ts_t *t = &x.ts;
    assert_int_equal(t->span_from, 0);
    assert_int_equal(t->span_to, 120000000000LL);
    assert_true(t->has_balance && t->has_bh);
    assert_int_equal(t->start_balance, 100000000000LL);
    assert_int_equal(t->end_balance, 100100000000LL);
    assert_int_equal(t->return_pct, 10);
    assert_int_equal(t->gross_return_pct, 50);
    assert_int_equal(t->bh_pct, 800);
    assert_int_equal(t->excess_pct, -790);
    assert_int_equal(t->fee_drag_pct, 40);
    assert_int_equal(t->dd_from, 20000000000LL);
    assert_int_equal(t->dd_to, 0);
    assert_int_equal(t->dd_duration_ns, 100000000000LL);
    assert_int_equal(t->avg_win, 800000000);
    assert_int_equal(t->avg_loss, -700000000);
    assert_int_equal(t->expectancy, 50000000);
    assert_int_equal(t->avg_hold_ns, 15000000000LL);
    assert_int_equal(t->n_exits, 2);
    assert_int_equal(t->n_daily, 1);
    assert_int_equal(t->daily[0].ret_pct, 10);
    assert_true(t->has_cagr && t->cagr_pct > 0.0);
    assert_null(t->config); /* no runs row: not recorded */
    report_x_free(&x);
    report_free(&r);
}

/* Exit reasons and strategy credit (report.h), one trip each, fills 10 s apart:
 *  c1 -> c2 trailing_stop; c3 -> c4 breakeven; c5 -> c6 timeout; c7 -> c8 kill;
 *  c9 (s1) then c10, an entry of s2 selling 2: closes with "reversal" and opens a short of s2,
 *  which c11 (exit) closes: "signal", credited to s2;
 *  c12 -> "c12.s" (venue-held stop) while risk sent trailing_stop c13 during the trip:
 *  "trailing"; c14 -> "c14.s" with no level during that trip: "stop";
 *  c15 -> "x99", an order risk never sent: "unknown", credited to c15's strategy s1. */
static void
test_exit_reasons(void **state)
{
    (void)state;
    static const char *const ord[][3] = {
        { "c1", "entry", "s1" },          { "c2", "trailing_stop", "s1" },
        { "c3", "entry", "s1" },          { "c4", "breakeven", "s1" },
        { "c5", "entry", "s1" },          { "c6", "timeout", "s1" },
        { "c7", "entry", "s1" },          { "c8", "kill", "s1" },
        { "c9", "entry", "s1" },          { "c10", "entry", "s2" },
        { "c11", "exit", "s2" },          { "c12", "entry", "s1" },
        { "c13", "trailing_stop", "s1" }, { "c14", "entry", "s1" },
        { "c15", "entry", "s1" },
    };
    char sql[512];
    for (size_t i = 0; i < sizeof ord / sizeof ord[0]; i++) {
        /* risk.order evt: c13 at 125 s (inside c12's trip 120..130 s), the others at 0 */
        (void)snprintf(sql, sizeof sql,
                       "INSERT INTO risk_events(topic,client_id,state,evt,body) VALUES"
                       "('risk.order','%s','%s',%s,'{\"strategy\":\"%s\",\"venue\":\"v\","
                       "\"symbol\":\"S\"}')",
                       ord[i][0], ord[i][1], strcmp(ord[i][0], "c13") == 0 ? "125000000000" : "0",
                       ord[i][2]);
        s_exec(sql);
    }
    static const char *const fills[][3] = {
        { "c1", "buy", "1" },     { "c2", "sell", "1" },  { "c3", "buy", "1" },
        { "c4", "sell", "1" },    { "c5", "buy", "1" },   { "c6", "sell", "1" },
        { "c7", "buy", "1" },     { "c8", "sell", "1" },  { "c9", "buy", "1" },
        { "c10", "sell", "2" },   { "c11", "buy", "1" },  { "c12", "buy", "1" },
        { "c12.s", "sell", "1" }, { "c14", "buy", "1" },  { "c14.s", "sell", "1" },
        { "c15", "buy", "1" },    { "x99", "sell", "1" },
    };
    for (size_t i = 0; i < sizeof fills / sizeof fills[0]; i++) {
        (void)snprintf(sql, sizeof sql,
                       "INSERT INTO fills(client_id,venue,symbol,side,px_m,qty_m,fee_m,"
                       "realized_pnl_m,px_scale,qty_scale,evt) VALUES('%s','v','S','%s',100,%s,"
                       "0,0,0,0,%zu0000000000)",
                       fills[i][0], fills[i][1], fills[i][2], i + 1);
        s_exec(sql);
    }
    report_t r;
    report_x_t x;
    assert_int_equal(report_load(s_db, &r), 0);
    assert_int_equal(report_x_load(s_db, &r, &x), 0);
    static const char *const want[][2] = {
        { "trailing", "s1" }, { "breakeven", "s1" }, { "timeout", "s1" },
        { "kill", "s1" },     { "reversal", "s1" },  { "signal", "s2" },
        { "trailing", "s1" }, { "stop", "s1" },      { "unknown", "s1" },
    };
    assert_int_equal(r.n_trips, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < r.n_trips; i++) {
        assert_string_equal(r.trips[i].exit_reason, want[i][0]);
        assert_string_equal(r.trips[i].strategy, want[i][1]);
    }
    assert_int_equal(r.trips[5].side, -1);
    /* credit: s2 opened one trip (its short) and has c10's rest and c11: 1 trip, 1 fill (c11;
     * c10 counts for s1, whose trip it closed) */
    assert_int_equal(r.n_credit, 2);
    assert_string_equal(r.credit[1].name, "s2");
    assert_int_equal(r.credit[1].trips, 1);
    assert_int_equal(r.credit[1].fills, 1);
    assert_int_equal(r.credit[0].fills, 16);
    assert_int_equal(x.ts.n_exits, 8);
    report_x_free(&x);
    report_free(&r);
}

static void
test_html_page(void **state)
{
    (void)state;
    s_fixture();
    report_t r;
    report_x_t x;
    assert_int_equal(report_load(s_db, &r), 0);
    assert_int_equal(report_x_load(s_db, &r, &x), 0);
    char dir[] = "/tmp/tp_test_analytics.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(report_html(f, s_db, &r, &x, "t<est>", dir), 0);
    fclose(f);
    /* two inline SVG charts (gnuplot), no XML prologue inside the page, the title escaped */
    assert_non_null(strstr(buf, "<div class=\"chart\" id=\"chart-equity\">\n<svg"));
    assert_non_null(strstr(buf, "<div class=\"chart\" id=\"chart-drawdown\">\n<svg"));
    const char *eq = strstr(buf, "id=\"chart-equity\""), *js = strstr(buf, "<script>");
    assert_true(eq != NULL && js != NULL);
    const char *xml = strstr(buf, "<?xml"); /* flot's own code has one (its SVG export) */
    assert_true(xml == NULL || xml > js);
    assert_null(strstr(eq, "<?xml"));
    assert_non_null(strstr(buf, "t&lt;est&gt;"));
    assert_non_null(strstr(buf, "<th>win rate</th><td>50.00%</td>"));
    /* the flot price chart: its data inline (bar closes, the two trips with reason, strategy
     * and net: one won, one lost), the library inlined from its Debian path */
    assert_non_null(strstr(buf, "<div id=\"price\""));
    assert_non_null(strstr(buf, "var TP = {px: [[0.000,100.00],[60.000,108.00]]"));
    assert_non_null(strstr(buf, "net:8.00000000,entry:"));
    assert_non_null(strstr(buf, "net:-7.00000000,entry:"));
    assert_non_null(strstr(buf, "reason:\"stop\",strategy:\"s1\""));
    assert_non_null(strstr(buf, "plothover"));
    assert_non_null(strstr(buf, "<th>fee drag (fees / start balance)</th>"));
    free(buf);
    char p[300];
    static const char *const files[] = { "charts.gp", "equity.svg", "drawdown.svg", "price.svg" };
    for (size_t i = 0; i < 4; i++) {
        (void)snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        (void)unlink(p);
    }
    (void)rmdir(dir);
    /* a directory that does not exist: gnuplot cannot write -> -1/EIO */
    f = open_memstream(&buf, &len);
    errno = 0;
    assert_int_equal(report_html(f, s_db, &r, &x, "x", "/nonexistent-tp-dir"), -1);
    assert_int_equal(errno, EIO);
    fclose(f);
    free(buf);
    report_x_free(&x);
    report_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratios),
        cmocka_unit_test(test_percentiles),
        cmocka_unit_test_setup_teardown(test_figures, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_tearsheet, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_exit_reasons, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_html_page, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("analytics", tests, NULL, NULL);
}
