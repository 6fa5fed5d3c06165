/*  test_result.c - a sweep's result records (tools/backtest/result.h): a result file written
 *  and read back gives the same figures and curve; ranking puts undefined figures last, the
 *  lowest drawdown first and keeps equal ones in order; the CSV quotes a key or value with a
 *  comma or quote and leaves unknown figures empty; a file that is not a result is refused
 *  naming the key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/backtest/result.h"

static char s_dir[64];

static int
s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/tp-result.XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int
s_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
s_fill(result_t *r, int64_t net, int64_t dd, bool sharpe_known, double sharpe)
{
    memset(r, 0, sizeof *r);
    r->net = net;
    r->max_dd_pct = dd;
    r->have_sharpe = sharpe_known;
    r->sharpe = sharpe;
    r->win_rate = -1;
    r->profit_factor = -1.0;
}

static void
test_round_trip(void **state)
{
    (void)state;
    result_t r, b;
    s_fill(&r, -146923610741, 1469, true, -21.9412);
    snprintf(r.config, sizeof r.config, "/x/config.json");
    snprintf(r.from, sizeof r.from, "2025-11-21T00:00:00.000Z");
    snprintf(r.to, sizeof r.to, "2025-11-26T00:00:00.000Z");
    r.first_evt = INT64_C(1763683200000) * 1000000;
    r.last_evt = INT64_C(1764115199999) * 1000000;
    r.bars = 7200;
    r.fees = 109017892801;
    r.start_equity = 1000000000000;
    r.end_equity = 853076389259;
    r.have_return = true;
    r.return_pct = -1469;
    r.trades = 119;
    r.wins = 22;
    r.losses = 97;
    r.win_rate = 1849;
    r.profit_factor = 0.2934;
    r.gross_win = 123;
    r.gross_loss = 456;
    assert_int_equal(result_add_set(&r, "signal.strategies[0].fast", "50"), 0);
    assert_int_equal(result_add_set(&r, "risk.x", "\"0.5\""), 0);
    report_pt_t pts[2] = { { INT64_C(1763683200000) * 1000000, 1000000000000 },
                           { INT64_C(1763769600000) * 1000000, 990000000000 } };
    r.equity = malloc(sizeof pts);
    memcpy(r.equity, pts, sizeof pts);
    r.n_equity = 2;
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/r.json", s_dir);
    assert_int_equal(result_write(path, &r), 0);
    assert_int_equal(result_read(path, &b, err, sizeof err), 0);
    assert_string_equal(b.config, "/x/config.json");
    assert_string_equal(b.from, r.from);
    assert_true(b.net == r.net && b.fees == r.fees && b.end_equity == r.end_equity);
    assert_true(b.first_evt == r.first_evt && b.last_evt == r.last_evt);
    assert_true(b.have_return && b.return_pct == -1469 && b.max_dd_pct == 1469);
    assert_true(b.have_sharpe && b.sharpe == -21.9412);
    assert_true(b.trades == 119 && b.wins == 22 && b.losses == 97 && b.win_rate == 1849);
    assert_true(b.profit_factor == 0.2934 && b.gross_win == 123 && b.gross_loss == 456);
    assert_int_equal(b.n_sets, 2);
    assert_string_equal(b.sets[1].value, "\"0.5\"");
    assert_int_equal(b.n_equity, 2);
    assert_true(b.equity[1].evt == pts[1].evt && b.equity[1].equity == pts[1].equity);
    result_free(&b);
    /* undefined figures come back undefined */
    result_t u;
    s_fill(&u, 0, -1, false, 0);
    assert_int_equal(result_write(path, &u), 0);
    assert_int_equal(result_read(path, &b, err, sizeof err), 0);
    assert_true(!b.have_sharpe && !b.have_return && b.max_dd_pct == -1 && b.win_rate == -1);
    assert_true(b.profit_factor < 0);
    result_free(&b);
    result_free(&r);
}

static void
test_refuses(void **state)
{
    (void)state;
    char path[128], err[256];
    result_t b;
    snprintf(path, sizeof path, "%s/bad.json", s_dir);
    FILE *f = fopen(path, "w");
    fputs("{\"format\": \"tradepipe-backtest-result/1\", \"config\": \"c\"}", f);
    fclose(f);
    assert_int_equal(result_read(path, &b, err, sizeof err), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(err, "bad.json: db: expected a string"));
    result_free(&b);
    f = fopen(path, "w");
    fputs("[1, 2]", f);
    fclose(f);
    assert_int_equal(result_read(path, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "format: not a backtest result"));
    result_free(&b);
}

static void
test_rank(void **state)
{
    (void)state;
    result_t rs[4];
    s_fill(&rs[0], 100, 500, false, 0);
    s_fill(&rs[1], 300, -1, true, 1.5);
    s_fill(&rs[2], 100, 200, true, 2.5);
    s_fill(&rs[3], -50, 200, true, -1.0);
    size_t idx[4] = { 0, 1, 2, 3 };
    result_rank(rs, idx, 4, RESULT_NET_PNL);
    assert_true(idx[0] == 1 && idx[1] == 0 && idx[2] == 2 && idx[3] == 3); /* ties in order */
    size_t i2[4] = { 0, 1, 2, 3 };
    result_rank(rs, i2, 4, RESULT_MAX_DD);
    assert_true(i2[0] == 2 && i2[1] == 3 && i2[2] == 0
                && i2[3] == 1); /* lowest first, unknown last */
    size_t i3[4] = { 0, 1, 2, 3 };
    result_rank(rs, i3, 4, RESULT_SHARPE);
    assert_true(i3[0] == 2 && i3[1] == 1 && i3[2] == 3 && i3[3] == 0);
    result_metric_t m;
    assert_int_equal(result_metric_parse("profit_factor", &m), 0);
    assert_int_equal(m, RESULT_PROFIT_FACTOR);
    assert_int_equal(result_metric_parse("pnl", &m), -1);
}

static void
test_csv(void **state)
{
    (void)state;
    result_t rs[1];
    s_fill(&rs[0], 150000000, -1, false, 0);
    rs[0].trades = 3;
    result_add_set(&rs[0], "a,b", "\"x\\\"y\"");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    size_t idx[1] = { 0 };
    assert_int_equal(result_write_csv(f, rs, idx, 1, NULL, NULL), 0);
    fclose(f);
    assert_string_equal(buf, "rank,net_pnl,return_pct,max_drawdown_pct,sharpe,trades,win_rate,"
                             "profit_factor,\"a,b\",from,to,first_evt,last_evt,db\n"
                             "1,1.50000000,,,,3,,,\"x\"\"y\",,,,,\n");
    free(buf);
    result_free(&rs[0]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refuses),
        cmocka_unit_test(test_rank),
        cmocka_unit_test(test_csv),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
