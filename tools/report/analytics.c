/*  analytics.c - trader's figures and the HTML page (see analytics.h for the definitions).
 *  Owns:  the arrays of a report_x_t.
 *  Money: int64 mantissas at MONEY_VALUE_SCALE with money_* (overflow-checked); ratios and
 *  statistics (Sharpe, Sortino, profit factor) are doubles: they are not amounts.
 *  Charts: gnuplot 5 (Debian gnuplot-nox) draws SVG files from inline data ('-'); the files are
 *  read back and embedded into the page without their XML prologue.
 */
#include "tools/report/analytics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/money.h"

#define S_DAY_NS   (86400LL * 1000000000LL)
#define S_MAX_ACCT 64
#define S_MAX_SYMS 64

static int
s_fail(sqlite3 *db, const char *sql)
{
    log_error("report", "query failed: %s: %.80s", sqlite3_errmsg(db), sql);
    errno = EIO;
    return -1;
}

static int
s_prep(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        return s_fail(db, sql);
    }
    return 0;
}

static const char *
s_text(sqlite3_stmt *st, int c)
{
    const unsigned char *t = sqlite3_column_text(st, c);
    return t ? (const char *)t : "";
}

int64_t
report_x_pct(const int64_t *v, size_t n, int per_mille)
{
    /* nearest rank: the ceil(p * n)-th smallest, p = per_mille / 1000 */
    size_t rank = ((size_t)per_mille * n + 999) / 1000;
    return v[rank == 0 ? 0 : rank - 1];
}

int
report_x_ratios(const report_pt_t *pts, size_t n, double *sharpe, double *sortino, bool *ok)
{
    *ok = false;
    if (n == 0) {
        return 0;
    }
    /* daily closes: the last point of each UTC day (floor(evt / 1 day)) */
    double prev = (double)pts[0].equity;
    double rets[4096];
    int nr = 0;
    for (size_t i = 0; i < n && nr < (int)(sizeof rets / sizeof rets[0]); i++) {
        bool last_of_day = i + 1 == n || pts[i + 1].evt / S_DAY_NS != pts[i].evt / S_DAY_NS;
        if (!last_of_day) {
            continue;
        }
        double close = (double)pts[i].equity;
        if (prev <= 0.0) {
            return nr; /* a return over a non-positive base is meaningless */
        }
        rets[nr++] = close / prev - 1.0;
        prev = close;
    }
    if (nr < 2) {
        return nr;
    }
    double mean = 0.0, var = 0.0, down = 0.0;
    for (int i = 0; i < nr; i++) {
        mean += rets[i];
    }
    mean /= nr;
    for (int i = 0; i < nr; i++) {
        var += (rets[i] - mean) * (rets[i] - mean);
        double d = rets[i] < 0.0 ? rets[i] : 0.0;
        down += d * d;
    }
    double sd = sqrt(var / (nr - 1));
    double dd = sqrt(down / nr);
    if (sd > 0.0 && dd > 0.0) {
        *sharpe = mean / sd * sqrt(365.0);
        *sortino = mean / dd * sqrt(365.0);
        *ok = true;
    }
    return nr;
}

/* ---- loading ----------------------------------------------------------------------------- */

static int
s_load_unrealized(sqlite3 *db, report_x_t *x)
{
    static const char sql[] =
        "SELECT coalesce(p.unrealized_pnl_m, 0) FROM positions p"
        " JOIN (SELECT max(id) AS id FROM positions GROUP BY venue, symbol) l ON p.id = l.id";
    sqlite3_stmt *st = NULL;
    int rc;
    if (s_prep(db, sql, &st) < 0) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (money_add(x->unrealized, sqlite3_column_int64(st, 0), &x->unrealized) < 0) {
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : s_fail(db, sql);
}

static int
s_load_trips(const report_t *r, report_x_t *x)
{
    for (size_t i = 0; i < r->n_trips; i++) {
        int64_t net = r->trips[i].net;
        if (net > 0) {
            x->wins++;
            if (money_add(x->gross_win, net, &x->gross_win) < 0) {
                return -1;
            }
        } else if (net < 0) {
            x->losses++;
            if (money_sub(x->gross_loss, net, &x->gross_loss) < 0) {
                return -1;
            }
        }
    }
    x->win_rate = -1;
    if (r->n_trips > 0
        && money_div(x->wins, 0, (int64_t)r->n_trips, 0, 4, MONEY_ROUND_HALF_EVEN, &x->win_rate)
               < 0) {
        return -1;
    }
    x->profit_factor = x->gross_loss > 0 ? (double)x->gross_win / (double)x->gross_loss : -1.0;
    return 0;
}

/* Group rows (name, fills, pnl, fees) from `sql`; trips and wins are filled by the caller. */
static int
s_load_groups(sqlite3 *db, const char *sql, report_group_t **out, size_t *n_out)
{
    sqlite3_stmt *st = NULL;
    int rc;
    size_t cap = 0;
    if (s_prep(db, sql, &st) < 0) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n_out == cap) {
            cap = cap ? cap * 2 : 8;
            report_group_t *g = realloc(*out, cap * sizeof *g);
            if (g == NULL) {
                sqlite3_finalize(st);
                errno = ENOMEM;
                return -1;
            }
            *out = g;
        }
        report_group_t *g = &(*out)[(*n_out)++];
        memset(g, 0, sizeof *g);
        (void)snprintf(g->name, sizeof g->name, "%s", s_text(st, 0));
        g->fills = sqlite3_column_int64(st, 1);
        g->pnl = sqlite3_column_int64(st, 2);
        g->fees = sqlite3_column_int64(st, 3);
        if (money_sub(g->pnl, g->fees, &g->net) < 0) {
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : s_fail(db, sql);
}

static int
s_load_breakdown(sqlite3 *db, const report_t *r, report_x_t *x)
{
    /* the strategy of a fill: the risk.order that made its order (same client_id) */
    static const char sql_strat[] =
        "SELECT coalesce((SELECT json_extract(e.body, '$.strategy') FROM risk_events e"
        " WHERE e.topic = 'risk.order' AND e.client_id = f.client_id LIMIT 1), '(unknown)') AS s,"
        " count(*), sum(coalesce(realized_pnl_m, 0)), sum(coalesce(fee_m, 0))"
        " FROM fills f GROUP BY s ORDER BY s";
    static const char sql_sym[] =
        "SELECT venue || ':' || symbol AS s, count(*), sum(coalesce(realized_pnl_m, 0)),"
        " sum(coalesce(fee_m, 0)) FROM fills GROUP BY s ORDER BY s";
    if (s_load_groups(db, sql_strat, &x->by_strategy, &x->n_by_strategy) < 0
        || s_load_groups(db, sql_sym, &x->by_symbol, &x->n_by_symbol) < 0) {
        return -1;
    }
    for (size_t i = 0; i < r->n_trips; i++) {
        char key[REPORT_NAME_MAX * 2];
        (void)snprintf(key, sizeof key, "%s:%s", r->trips[i].venue, r->trips[i].symbol);
        for (size_t k = 0; k < x->n_by_symbol; k++) {
            if (strcmp(x->by_symbol[k].name, key) == 0) {
                x->by_symbol[k].trips++;
                x->by_symbol[k].wins += r->trips[i].net > 0;
            }
        }
    }
    /* trips per strategy: only when there is one strategy is every trip its own */
    if (x->n_by_strategy == 1) {
        x->by_strategy[0].trips = (int64_t)r->n_trips;
        x->by_strategy[0].wins = x->wins;
    }
    return 0;
}

static int
s_load_exposure(sqlite3 *db, report_x_t *x)
{
    static const char sql_span[] = "SELECT min(evt), max(evt) FROM events WHERE evt > 0";
    static const char sql_fills[] =
        "SELECT venue || ':' || symbol, side, coalesce(qty_m, 0), evt FROM fills"
        " ORDER BY evt, id";
    sqlite3_stmt *st = NULL;
    int64_t t0 = 0, t1 = 0;
    int rc;
    x->exposure = -1;
    if (s_prep(db, sql_span, &st) < 0) {
        return -1;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        t0 = sqlite3_column_int64(st, 0);
        t1 = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (t1 <= t0) {
        return 0;
    }
    struct {
        char key[REPORT_NAME_MAX * 2];
        int64_t pos;
    } syms[S_MAX_SYMS] = { 0 };
    size_t n_syms = 0;
    int open = 0; /* symbols not flat */
    int64_t since = 0, in_market = 0;
    if (s_prep(db, sql_fills, &st) < 0) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = s_text(st, 0);
        const char *side = s_text(st, 1);
        int64_t q = sqlite3_column_int64(st, 2), evt = sqlite3_column_int64(st, 3);
        size_t i = 0;
        while (i < n_syms && strcmp(syms[i].key, key) != 0) {
            i++;
        }
        if (i == n_syms) {
            if (n_syms == S_MAX_SYMS) {
                continue;
            }
            (void)snprintf(syms[i].key, sizeof syms[i].key, "%s", key);
            syms[i].pos = 0;
            n_syms++;
        }
        bool was = syms[i].pos != 0;
        syms[i].pos += strcmp(side, "sell") == 0 ? -q : q;
        bool is = syms[i].pos != 0;
        if (!was && is && open++ == 0) {
            since = evt;
        } else if (was && !is && --open == 0) {
            in_market += evt - since;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return s_fail(db, sql_fills);
    }
    if (open > 0 && t1 > since) {
        in_market += t1 - since;
    }
    /* in_market / span as a fraction at scale 4 = percent at scale 2 */
    return money_div(in_market, 0, t1 - t0, 0, 4, MONEY_ROUND_HALF_EVEN, &x->exposure);
}

static int
s_cmp_i64(const void *a, const void *b)
{
    int64_t p = *(const int64_t *)a, q = *(const int64_t *)b;
    return (p > q) - (p < q);
}

static int
s_load_latency(sqlite3 *db, report_x_t *x)
{
    static const char *const hops[REPORT_HOPS][2] = {
        { "tick->signal", "SELECT ts - origin FROM events WHERE topic >= 'sig.signal.' AND"
                          " topic < 'sig.signal/' AND origin > 0" },
        { "tick->order",
          "SELECT ts - origin FROM events WHERE topic = 'risk.order' AND origin > 0" },
        { "tick->fill", "SELECT ts - origin FROM events WHERE topic = 'exec.fill' AND origin > 0" },
    };
    for (int h = 0; h < REPORT_HOPS; h++) {
        report_lat_t *l = &x->lat[h];
        sqlite3_stmt *st = NULL;
        int64_t *v = NULL;
        size_t n = 0, cap = 0;
        int rc;
        l->hop = hops[h][0];
        l->p50 = l->p99 = l->p999 = l->max = -1;
        if (s_prep(db, hops[h][1], &st) < 0) {
            return -1;
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                int64_t *nv = realloc(v, cap * sizeof *nv);
                if (nv == NULL) {
                    free(v);
                    sqlite3_finalize(st);
                    errno = ENOMEM;
                    return -1;
                }
                v = nv;
            }
            v[n++] = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            free(v);
            return s_fail(db, hops[h][1]);
        }
        l->n = (int64_t)n;
        if (n > 0) {
            qsort(v, n, sizeof *v, s_cmp_i64);
            l->p50 = report_x_pct(v, n, 500);
            l->p99 = report_x_pct(v, n, 990);
            l->p999 = report_x_pct(v, n, 999);
            l->max = v[n - 1];
        }
        free(v);
    }
    return 0;
}

/* The equity curve, built as report.c builds its drawdown curve. */
static int
s_load_equity(sqlite3 *db, const report_t *r, report_x_t *x)
{
    static const char sql_bal[] = "SELECT coalesce(venue,'') || '/' || coalesce(asset,''),"
                                  " coalesce(equity_m, 0), evt FROM balances ORDER BY evt, id";
    static const char sql_fill[] = "SELECT coalesce(realized_pnl_m,0) - coalesce(fee_m,0), evt"
                                   " FROM fills ORDER BY evt, id";
    bool bal = strcmp(r->dd_source, "balances") == 0;
    const char *sql = bal ? sql_bal : sql_fill;
    struct {
        char key[REPORT_NAME_MAX * 2];
        int64_t eq;
    } acct[S_MAX_ACCT] = { 0 };
    size_t n_acct = 0, cap = 0;
    int64_t total = 0;
    sqlite3_stmt *st = NULL;
    int rc;
    if (s_prep(db, sql, &st) < 0) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t evt;
        if (bal) {
            const char *key = s_text(st, 0);
            int64_t eq = sqlite3_column_int64(st, 1);
            evt = sqlite3_column_int64(st, 2);
            size_t i = 0;
            while (i < n_acct && strcmp(acct[i].key, key) != 0) {
                i++;
            }
            if (i == n_acct) {
                if (n_acct == S_MAX_ACCT) {
                    continue;
                }
                (void)snprintf(acct[i].key, sizeof acct[i].key, "%s", key);
                acct[i].eq = 0;
                n_acct++;
            }
            if (money_sub(total, acct[i].eq, &total) < 0 || money_add(total, eq, &total) < 0) {
                sqlite3_finalize(st);
                return -1;
            }
            acct[i].eq = eq;
        } else {
            evt = sqlite3_column_int64(st, 1);
            if (money_add(total, sqlite3_column_int64(st, 0), &total) < 0) {
                sqlite3_finalize(st);
                return -1;
            }
        }
        if (x->n_equity == cap) {
            cap = cap ? cap * 2 : 1024;
            report_pt_t *p = realloc(x->equity, cap * sizeof *p);
            if (p == NULL) {
                sqlite3_finalize(st);
                errno = ENOMEM;
                return -1;
            }
            x->equity = p;
        }
        x->equity[x->n_equity++] = (report_pt_t){ .evt = evt, .equity = total };
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return s_fail(db, sql);
    }
    x->n_days = report_x_ratios(x->equity, x->n_equity, &x->sharpe, &x->sortino, &x->have_ratios);
    if (!bal) {
        x->have_ratios = false; /* a PnL curve from 0 has no capital to return on */
    }
    return 0;
}

int
report_x_load(sqlite3 *db, const report_t *r, report_x_t *x)
{
    memset(x, 0, sizeof *x);
    if (s_load_unrealized(db, x) < 0 || s_load_trips(r, x) < 0 || s_load_breakdown(db, r, x) < 0
        || s_load_exposure(db, x) < 0 || s_load_latency(db, x) < 0 || s_load_equity(db, r, x) < 0) {
        return -1;
    }
    return 0;
}

void
report_x_free(report_x_t *x)
{
    free(x->by_strategy);
    free(x->by_symbol);
    free(x->equity);
    memset(x, 0, sizeof *x);
}

/* ---- text and JSON ----------------------------------------------------------------------- */

static const char *
s_m(int64_t m, int scale, char *buf, size_t cap)
{
    if (money_fmt(m, scale, buf, cap) < 0) {
        (void)snprintf(buf, cap, "?");
    }
    return buf;
}

static const char *
s_pct(int64_t p, char *buf, size_t cap)
{
    char num[32];
    if (p < 0) {
        (void)snprintf(buf, cap, "n/a");
    } else {
        (void)snprintf(buf, cap, "%s%%", s_m(p, 2, num, sizeof num));
    }
    return buf;
}

static const char *
s_ratio(bool ok, double v, char *buf, size_t cap)
{
    if (!ok) {
        (void)snprintf(buf, cap, "n/a");
    } else {
        (void)snprintf(buf, cap, "%.2f", v);
    }
    return buf;
}

static void
s_print_groups(FILE *fp, const char *title, const report_group_t *g, size_t n)
{
    char a[48], b[48], c[48];
    fprintf(fp, "\n  %-28s %7s %7s %6s %16s %16s %16s\n", title, "fills", "trips", "wins",
            "gross pnl", "fees", "net pnl");
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "  %-28s %7" PRId64 " %7" PRId64 " %6" PRId64 " %16s %16s %16s\n", g[i].name,
                g[i].fills, g[i].trips, g[i].wins, s_m(g[i].pnl, MONEY_VALUE_SCALE, a, sizeof a),
                s_m(g[i].fees, MONEY_VALUE_SCALE, b, sizeof b),
                s_m(g[i].net, MONEY_VALUE_SCALE, c, sizeof c));
    }
}

int
report_x_print(FILE *fp, const report_x_t *x)
{
    char a[48], b[48];
    fprintf(fp, "%-22s %20s\n", "unrealized pnl",
            s_m(x->unrealized, MONEY_VALUE_SCALE, a, sizeof a));
    fprintf(fp, "%-22s %20s  (%" PRId64 " won, %" PRId64 " lost)\n", "win rate",
            s_pct(x->win_rate, a, sizeof a), x->wins, x->losses);
    fprintf(fp, "%-22s %20s\n", "profit factor",
            s_ratio(x->profit_factor >= 0, x->profit_factor, a, sizeof a));
    fprintf(fp, "%-22s %20s  (daily, %d days, x sqrt(365))\n", "sharpe",
            s_ratio(x->have_ratios, x->sharpe, a, sizeof a), x->n_days);
    fprintf(fp, "%-22s %20s\n", "sortino", s_ratio(x->have_ratios, x->sortino, b, sizeof b));
    fprintf(fp, "%-22s %20s  (time with a position open)\n", "exposure",
            s_pct(x->exposure, a, sizeof a));
    s_print_groups(fp, "strategy", x->by_strategy, x->n_by_strategy);
    s_print_groups(fp, "venue:symbol", x->by_symbol, x->n_by_symbol);
    fprintf(fp, "\n  %-14s %8s %12s %12s %12s %12s   (us, ts - origin)\n", "latency", "n", "p50",
            "p99", "p99.9", "max");
    for (int h = 0; h < REPORT_HOPS; h++) {
        const report_lat_t *l = &x->lat[h];
        if (l->n == 0) {
            fprintf(fp, "  %-14s %8d %12s %12s %12s %12s\n", l->hop, 0, "-", "-", "-", "-");
            continue;
        }
        fprintf(fp, "  %-14s %8" PRId64 " %12.1f %12.1f %12.1f %12.1f\n", l->hop, l->n,
                (double)l->p50 / 1e3, (double)l->p99 / 1e3, (double)l->p999 / 1e3,
                (double)l->max / 1e3);
    }
    if (fflush(fp) != 0 || ferror(fp)) {
        errno = EIO;
        return -1;
    }
    return 0;
}

static json_t *
s_jm(int64_t m, int scale)
{
    char buf[48];
    return money_fmt(m, scale, buf, sizeof buf) < 0 ? json_null() : json_string(buf);
}

static json_t *
s_jgroups(const report_group_t *g, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++) {
        (void)json_array_append_new(
            a, json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:o}", "name", g[i].name, "fills",
                         (json_int_t)g[i].fills, "trips", (json_int_t)g[i].trips, "wins",
                         (json_int_t)g[i].wins, "pnl", s_jm(g[i].pnl, MONEY_VALUE_SCALE), "fees",
                         s_jm(g[i].fees, MONEY_VALUE_SCALE), "net",
                         s_jm(g[i].net, MONEY_VALUE_SCALE)));
    }
    return a;
}

int
report_x_json(const report_x_t *x, json_t *root)
{
    json_t *lat = json_object();
    for (int h = 0; lat != NULL && h < REPORT_HOPS; h++) {
        const report_lat_t *l = &x->lat[h];
        (void)json_object_set_new(
            lat, l->hop,
            l->n == 0 ? json_pack("{s:i}", "n", 0)
                      : json_pack("{s:I, s:f, s:f, s:f, s:f}", "n", (json_int_t)l->n, "p50",
                                  (double)l->p50 / 1e3, "p99", (double)l->p99 / 1e3, "p99_9",
                                  (double)l->p999 / 1e3, "max", (double)l->max / 1e3));
    }
    int bad = 0;
    bad |= json_object_set_new(root, "unrealized_pnl", s_jm(x->unrealized, MONEY_VALUE_SCALE));
    bad |=
        json_object_set_new(root, "win_rate", x->win_rate < 0 ? json_null() : s_jm(x->win_rate, 2));
    bad |= json_object_set_new(root, "profit_factor",
                               x->profit_factor < 0 ? json_null() : json_real(x->profit_factor));
    bad |= json_object_set_new(root, "sharpe", x->have_ratios ? json_real(x->sharpe) : json_null());
    bad |=
        json_object_set_new(root, "sortino", x->have_ratios ? json_real(x->sortino) : json_null());
    bad |= json_object_set_new(root, "daily_returns", json_integer(x->n_days));
    bad |=
        json_object_set_new(root, "exposure", x->exposure < 0 ? json_null() : s_jm(x->exposure, 2));
    bad |= json_object_set_new(root, "by_strategy", s_jgroups(x->by_strategy, x->n_by_strategy));
    bad |= json_object_set_new(root, "by_symbol", s_jgroups(x->by_symbol, x->n_by_symbol));
    bad |= json_object_set_new(root, "latency_us", lat);
    if (bad) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* ---- HTML -------------------------------------------------------------------------------- */

/* gnuplot time axis: seconds since the epoch as a double (event time, UTC) */
static double
s_t(int64_t evt)
{
    return (double)evt / 1e9;
}

static const char k_gp_head[] = "set terminal svg size 1000,320 dynamic font 'sans,11'\n"
                                "set xdata time\nset timefmt '%s'\nset format x \"%m-%d\\n%H:%M\"\n"
                                "set grid\nset key outside top center horizontal\nset border 3\n"
                                "set xtics nomirror\nset ytics nomirror\n";

/* Run gnuplot with `script` (which sets its own output). 0, or -1 with errno EIO. */
static int
s_gnuplot(const char *script_path)
{
    char cmd[1200];
    (void)snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", script_path);
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        log_error("report", "cannot run gnuplot: %s", strerror(errno));
        errno = EIO;
        return -1;
    }
    char line[512];
    int n_lines = 0;
    while (fgets(line, sizeof line, p) != NULL) {
        if (n_lines++ < 5) {
            log_warn("report", "gnuplot: %s", line); /* the first few say what is wrong */
        }
    }
    int st = pclose(p);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        log_error("report", "gnuplot failed (status %d): is gnuplot (gnuplot-nox) installed?", st);
        errno = EIO;
        return -1;
    }
    return 0;
}

/* Copy the SVG file into fp without the XML prologue (everything before "<svg"). */
static int
s_embed(FILE *fp, const char *svg_path)
{
    FILE *f = fopen(svg_path, "r");
    if (f == NULL) {
        errno = EIO;
        return -1;
    }
    static char buf[1 << 16];
    bool started = false;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf - 1, f)) > 0) {
        buf[n] = '\0';
        const char *from = buf;
        if (!started) {
            const char *s = strstr(buf, "<svg");
            if (s == NULL) {
                continue;
            }
            from = s;
            started = true;
        }
        (void)fwrite(from, 1, n - (size_t)(from - buf), fp);
    }
    fclose(f);
    return started ? 0 : (errno = EIO, -1);
}

/* The venue+symbol with the most fills: ("binance-spot", "BTCUSDT"). 0 found, 1 none, -1. */
static int
s_top_symbol(sqlite3 *db, char *venue, char *symbol, size_t cap)
{
    static const char sql[] = "SELECT venue, symbol FROM fills GROUP BY venue, symbol"
                              " ORDER BY count(*) DESC, venue, symbol LIMIT 1";
    sqlite3_stmt *st = NULL;
    if (s_prep(db, sql, &st) < 0) {
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        (void)snprintf(venue, cap, "%s", s_text(st, 0));
        (void)snprintf(symbol, cap, "%s", s_text(st, 1));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : 1;
}

static int
s_write_charts(sqlite3 *db, const report_t *r, const report_x_t *x, const char *dir, char *venue,
               char *symbol, size_t cap)
{
    char path[600];
    (void)snprintf(path, sizeof path, "%s/charts.gp", dir);
    FILE *gp = fopen(path, "w");
    if (gp == NULL) {
        log_error("report", "cannot write %s: %s", path, strerror(errno));
        errno = EIO;
        return -1;
    }
    fputs(k_gp_head, gp);
    int found = s_top_symbol(db, venue, symbol, cap);
    if (found < 0) {
        fclose(gp);
        return -1;
    }
    /* every chart shows the traded period: the bars of the most traded symbol (a replay may
     * mix data sets from other dates: their balances would squeeze the curve to a line) */
    int64_t lo = 0, hi = 0;
    if (found == 0) {
        static const char sql_rng[] = "SELECT min(start_ns), max(end_ns) FROM candles"
                                      " WHERE venue = ?1 AND symbol = ?2 AND tf_s >= 60";
        sqlite3_stmt *rs = NULL;
        if (s_prep(db, sql_rng, &rs) < 0) {
            fclose(gp);
            return -1;
        }
        (void)sqlite3_bind_text(rs, 1, venue, -1, SQLITE_TRANSIENT);
        (void)sqlite3_bind_text(rs, 2, symbol, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(rs) == SQLITE_ROW && sqlite3_column_type(rs, 0) != SQLITE_NULL) {
            lo = sqlite3_column_int64(rs, 0);
            hi = sqlite3_column_int64(rs, 1);
        }
        sqlite3_finalize(rs);
    }
    if (hi > lo) {
        fprintf(gp, "set xrange ['%.0f':'%.0f']\n", s_t(lo), s_t(hi));
    }
    /* 1. equity; 2. drawdown (equity - running peak, <= 0) */
    fprintf(gp, "set output '%s/equity.svg'\nset title 'Equity (USDT, from %s)'\n", dir,
            r->dd_source);
    fputs("plot '-' using 1:2 with lines lw 2 lc rgb '#1f77b4' title 'equity'\n", gp);
    for (size_t i = 0; i < x->n_equity; i++) {
        fprintf(gp, "%.3f %.8f\n", s_t(x->equity[i].evt), (double)x->equity[i].equity / 1e8);
    }
    if (x->n_equity == 0) {
        fputs("0 0\n", gp);
    }
    fputs("e\n", gp);
    fprintf(gp,
            "set output '%s/drawdown.svg'\nset title 'Drawdown (USDT below the running peak)'\n",
            dir);
    fputs("plot '-' using 1:2 with filledcurves y1=0 lc rgb '#d62728' title 'drawdown'\n", gp);
    int64_t peak = x->n_equity ? x->equity[0].equity : 0;
    for (size_t i = 0; i < x->n_equity; i++) {
        if (x->equity[i].equity > peak) {
            peak = x->equity[i].equity;
        }
        fprintf(gp, "%.3f %.8f\n", s_t(x->equity[i].evt),
                (double)(x->equity[i].equity - peak) / 1e8);
    }
    if (x->n_equity == 0) {
        fputs("0 0\n", gp);
    }
    fputs("e\n", gp);
    /* 3. price of the most traded symbol with trip entries (triangles) and exits (circles) */
    fprintf(gp, "set output '%s/price.svg'\nset title 'Price %s %s with entries and exits'\n", dir,
            venue, symbol);
    /* only non-empty marker series are plotted (gnuplot rejects an empty inline block) */
    int n_mark[3] = { 0, 0, 0 };
    for (size_t i = 0; i < r->n_trips; i++) {
        const report_trip_t *t = &r->trips[i];
        if (strcmp(t->venue, venue) == 0 && strcmp(t->symbol, symbol) == 0) {
            n_mark[t->side > 0 ? 0 : 1]++;
            n_mark[2]++;
        }
    }
    static const char *const k_mark[3] = {
        ", '-' using 1:2 with points pt 9 ps 1.2 lc rgb '#2ca02c' title 'entry long'",
        ", '-' using 1:2 with points pt 11 ps 1.2 lc rgb '#d62728' title 'entry short'",
        ", '-' using 1:2 with points pt 7 ps 0.9 lc rgb '#000000' title 'exit'",
    };
    fputs("plot '-' using 1:2 with lines lc rgb '#555555' title 'close'", gp);
    for (int k = 0; k < 3; k++) {
        if (n_mark[k] > 0) {
            fputs(k_mark[k], gp);
        }
    }
    fputc('\n', gp);
    static const char sql_px[] =
        "SELECT start_ns, close_m, px_scale FROM candles WHERE venue = ?1 AND symbol = ?2"
        " AND topic_kind = (SELECT topic_kind FROM candles WHERE venue = ?1 AND symbol = ?2"
        "  ORDER BY topic_kind = 'sig.bar' DESC LIMIT 1)"
        " AND tf_s = (SELECT min(tf_s) FROM candles WHERE venue = ?1 AND symbol = ?2"
        "  AND tf_s >= 60) ORDER BY start_ns";
    sqlite3_stmt *st = NULL;
    int n_px = 0;
    if (found == 0) {
        if (s_prep(db, sql_px, &st) < 0) {
            fclose(gp);
            return -1;
        }
        (void)sqlite3_bind_text(st, 1, venue, -1, SQLITE_TRANSIENT);
        (void)sqlite3_bind_text(st, 2, symbol, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            fprintf(gp, "%.3f %.10g\n", s_t(sqlite3_column_int64(st, 0)),
                    (double)sqlite3_column_int64(st, 1)
                        / (double)money_pow10(sqlite3_column_int(st, 2)));
            n_px++;
        }
        sqlite3_finalize(st);
    }
    if (n_px == 0) {
        fputs("0 0\n", gp); /* no bars: one dummy point keeps the chart (and page) valid */
    }
    fputs("e\n", gp);
    for (int pass = 0; pass < 3; pass++) {
        int n = 0;
        for (size_t i = 0; i < r->n_trips; i++) {
            const report_trip_t *t = &r->trips[i];
            if (strcmp(t->venue, venue) != 0 || strcmp(t->symbol, symbol) != 0) {
                continue;
            }
            double scale = (double)money_pow10(t->px_scale);
            if (pass == 0 && t->side > 0) {
                fprintf(gp, "%.3f %.10g\n", s_t(t->entry_evt), (double)t->entry_px / scale);
                n++;
            } else if (pass == 1 && t->side < 0) {
                fprintf(gp, "%.3f %.10g\n", s_t(t->entry_evt), (double)t->entry_px / scale);
                n++;
            } else if (pass == 2) {
                fprintf(gp, "%.3f %.10g\n", s_t(t->exit_evt), (double)t->exit_px / scale);
                n++;
            }
        }
        if (n > 0) {
            fputs("e\n", gp);
        }
    }
    if (fclose(gp) != 0) {
        errno = EIO;
        return -1;
    }
    return s_gnuplot(path);
}

static void
s_html_esc(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", fp);
            break;
        case '>':
            fputs("&gt;", fp);
            break;
        case '&':
            fputs("&amp;", fp);
            break;
        case '"':
            fputs("&quot;", fp);
            break;
        default:
            fputc(*s, fp);
        }
    }
}

static void
s_row(FILE *fp, const char *k, const char *v)
{
    fputs("<tr><th>", fp);
    s_html_esc(fp, k);
    fputs("</th><td>", fp);
    s_html_esc(fp, v);
    fputs("</td></tr>\n", fp);
}

int
report_html(FILE *fp, sqlite3 *db, const report_t *r, const report_x_t *x, const char *title,
            const char *tmpdir)
{
    char venue[64] = "", symbol[64] = "";
    char a[64], b[64], path[600], iso1[32], iso2[32];
    if (s_write_charts(db, r, x, tmpdir, venue, symbol, sizeof venue) < 0) {
        return -1;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>tradepipe "
          "report</title>\n<style>\nbody{font-family:sans-serif;margin:24px;color:#222}\n"
          "table{border-collapse:collapse;margin:8px 0 20px}\n"
          "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\n"
          "th{background:#f3f3f3;text-align:left}\n.chart svg{max-width:100%;height:auto}\n"
          "</style></head><body>\n<h1>tradepipe report</h1>\n<p id=\"source\">",
          fp);
    s_html_esc(fp, title ? title : "");
    fputs("</p>\n", fp);
    char warn[1024];
    if (report_warnings(r, warn, sizeof warn) > 0) { /* one paragraph per warning line */
        for (char *line = strtok(warn, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            fputs("<p class=\"warn\" style=\"color:#b00;font-weight:bold\">", fp);
            s_html_esc(fp, line);
            fputs("</p>\n", fp);
        }
    }
    if (r->n_gap_list > 0) {
        fputs("<h2>Gaps</h2>\n<table id=\"gaps\">\n<tr><th>publisher</th><th>epoch</th>"
              "<th>from seq</th><th>to seq</th><th>missing</th></tr>\n",
              fp);
        for (size_t i = 0; i < r->n_gap_list; i++) {
            const report_gap_t *g = &r->gap_list[i];
            fputs("<tr><td>", fp);
            s_html_esc(fp, g->src);
            fprintf(fp,
                    "</td><td>%" PRId64 "</td><td>%" PRId64 "</td><td>%" PRId64 "</td><td>%" PRId64
                    "</td></tr>\n",
                    g->epoch, g->from, g->to, g->missing);
        }
        fputs("</table>\n", fp);
    }
    fputs("<h2>Summary</h2>\n<table id=\"summary\">\n", fp);
    s_row(fp, "realized pnl (gross)", s_m(r->realized_pnl, MONEY_VALUE_SCALE, a, sizeof a));
    s_row(fp, "fees", s_m(r->fees, MONEY_VALUE_SCALE, a, sizeof a));
    s_row(fp, "net pnl", s_m(r->net, MONEY_VALUE_SCALE, a, sizeof a));
    s_row(fp, "unrealized pnl", s_m(x->unrealized, MONEY_VALUE_SCALE, a, sizeof a));
    (void)snprintf(b, sizeof b, "%zu", r->n_trips);
    s_row(fp, "round trips", b);
    s_row(fp, "win rate", s_pct(x->win_rate, a, sizeof a));
    s_row(fp, "profit factor", s_ratio(x->profit_factor >= 0, x->profit_factor, a, sizeof a));
    s_row(fp, "sharpe (daily)", s_ratio(x->have_ratios, x->sharpe, a, sizeof a));
    s_row(fp, "sortino (daily)", s_ratio(x->have_ratios, x->sortino, a, sizeof a));
    s_row(fp, "max drawdown", s_m(r->max_dd, MONEY_VALUE_SCALE, a, sizeof a));
    s_row(fp, "max drawdown %", s_pct(r->max_dd_pct, a, sizeof a));
    s_row(fp, "exposure", s_pct(x->exposure, a, sizeof a));
    fputs("</table>\n<h2>Charts</h2>\n", fp);
    static const char *const charts[] = { "equity", "drawdown", "price" };
    for (size_t i = 0; i < 3; i++) {
        fprintf(fp, "<div class=\"chart\" id=\"chart-%s\">\n", charts[i]);
        (void)snprintf(path, sizeof path, "%s/%s.svg", tmpdir, charts[i]);
        if (s_embed(fp, path) < 0) {
            log_error("report", "gnuplot did not write %s", path);
            return -1;
        }
        fputs("</div>\n", fp);
    }
    fputs("<h2>Latency (us, ts - origin)</h2>\n<table id=\"latency\"><tr><th>hop</th><th>n</th>"
          "<th>p50</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n",
          fp);
    for (int h = 0; h < REPORT_HOPS; h++) {
        const report_lat_t *l = &x->lat[h];
        if (l->n == 0) {
            fprintf(fp, "<tr><th>%s</th><td>0</td><td>-</td><td>-</td><td>-</td><td>-</td></tr>\n",
                    l->hop);
        } else {
            fprintf(fp,
                    "<tr><th>%s</th><td>%" PRId64 "</td><td>%.1f</td><td>%.1f</td><td>%.1f</td>"
                    "<td>%.1f</td></tr>\n",
                    l->hop, l->n, (double)l->p50 / 1e3, (double)l->p99 / 1e3, (double)l->p999 / 1e3,
                    (double)l->max / 1e3);
        }
    }
    fputs("</table>\n", fp);
    static const char *const gtitle[] = { "Per strategy", "Per venue:symbol" };
    for (int k = 0; k < 2; k++) {
        const report_group_t *g = k == 0 ? x->by_strategy : x->by_symbol;
        size_t n = k == 0 ? x->n_by_strategy : x->n_by_symbol;
        fprintf(fp,
                "<h2>%s</h2>\n<table><tr><th>name</th><th>fills</th><th>trips</th><th>wins"
                "</th><th>gross pnl</th><th>fees</th><th>net pnl</th></tr>\n",
                gtitle[k]);
        for (size_t i = 0; i < n; i++) {
            char c[48];
            fputs("<tr><th>", fp);
            s_html_esc(fp, g[i].name);
            fprintf(fp,
                    "</th><td>%" PRId64 "</td><td>%" PRId64 "</td><td>%" PRId64 "</td><td>%s</td>"
                    "<td>%s</td><td>%s</td></tr>\n",
                    g[i].fills, g[i].trips, g[i].wins,
                    s_m(g[i].pnl, MONEY_VALUE_SCALE, a, sizeof a),
                    s_m(g[i].fees, MONEY_VALUE_SCALE, b, sizeof b),
                    s_m(g[i].net, MONEY_VALUE_SCALE, c, sizeof c));
        }
        fputs("</table>\n", fp);
    }
    fputs("<h2>Trades (round trips)</h2>\n<table id=\"trades\"><tr><th>#</th><th>venue</th>"
          "<th>symbol</th><th>side</th><th>entry (UTC)</th><th>exit (UTC)</th><th>entry px</th>"
          "<th>exit px</th><th>qty</th><th>fees</th><th>net pnl</th></tr>\n",
          fp);
    for (size_t i = 0; i < r->n_trips; i++) {
        const report_trip_t *t = &r->trips[i];
        char c[48], d[48], e[48];
        fprintf(fp,
                "<tr><td>%zu</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                i + 1, t->venue, t->symbol, t->side > 0 ? "long" : "short",
                clock_fmt_iso(t->entry_evt, iso1, sizeof iso1),
                clock_fmt_iso(t->exit_evt, iso2, sizeof iso2),
                s_m(t->entry_px, t->px_scale, a, sizeof a),
                s_m(t->exit_px, t->px_scale, b, sizeof b), s_m(t->qty, t->qty_scale, c, sizeof c),
                s_m(t->fees, MONEY_VALUE_SCALE, d, sizeof d),
                s_m(t->net, MONEY_VALUE_SCALE, e, sizeof e));
    }
    fputs("</table>\n</body></html>\n", fp);
    if (fflush(fp) != 0 || ferror(fp)) {
        errno = EIO;
        return -1;
    }
    return 0;
}
