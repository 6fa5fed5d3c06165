/*  analytics.c - trader's figures and the HTML page (see analytics.h for the definitions).
 *  Owns:  the arrays of a report_x_t.
 *  Money: int64 mantissas at MONEY_VALUE_SCALE with money_* (overflow-checked); ratios and
 *  statistics (Sharpe, Sortino, profit factor) are doubles: they are not amounts.
 *  Charts: gnuplot 5 (Debian gnuplot-nox) draws the equity and drawdown SVG files from inline
 *  data ('-'); the files are read back and embedded into the page without their XML prologue.
 *  The price chart is flot's (Debian libjs-jquery-flot), drawn in the browser from JS arrays
 *  written into the page, its scripts inlined from their Debian paths (s_flot_price).
 */
#include "tools/report/analytics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/money.h"

#define S_DAY_NS   (86400LL * 1000000000LL)
#define S_MAX_ACCT 64
#define S_MAX_SYMS 64

typedef __int128 s_i128;

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
    static const char sql_sym[] =
        "SELECT venue || ':' || symbol AS s, count(*), sum(coalesce(realized_pnl_m, 0)),"
        " sum(coalesce(fee_m, 0)) FROM fills GROUP BY s ORDER BY s";
    if (s_load_groups(db, sql_sym, &x->by_symbol, &x->n_by_symbol) < 0) {
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
    /* per strategy: every fill credited to the strategy that opened its position (report.c) */
    if (r->n_credit > 0) {
        x->by_strategy = calloc(r->n_credit, sizeof *x->by_strategy);
        if (x->by_strategy == NULL) {
            errno = ENOMEM;
            return -1;
        }
    }
    for (size_t i = 0; i < r->n_credit; i++) {
        const report_credit_t *c = &r->credit[i];
        report_group_t *g = &x->by_strategy[x->n_by_strategy++];
        (void)snprintf(g->name, sizeof g->name, "%s", c->name);
        g->fills = c->fills;
        g->trips = c->trips;
        g->wins = c->wins;
        g->pnl = c->pnl;
        g->fees = c->fees;
        if (money_sub(g->pnl, g->fees, &g->net) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The traded span (analytics.h) into x->ts.span_from / span_to (0 when nothing traded). */
static int
s_load_span(sqlite3 *db, report_x_t *x)
{
    static const char sql[] =
        "WITH traded AS (SELECT DISTINCT venue, symbol FROM fills)"
        " SELECT min(a), max(b) FROM ("
        "  SELECT min(start_ns) AS a, max(end_ns) AS b FROM candles"
        "   WHERE tf_s >= 60 AND (venue, symbol) IN traded"
        "  UNION ALL SELECT min(evt), max(evt) FROM trades WHERE (venue, symbol) IN traded"
        "  UNION ALL SELECT min(evt), max(evt) FROM book_top WHERE (venue, symbol) IN traded"
        "  UNION ALL SELECT min(evt), max(evt) FROM fills)";
    sqlite3_stmt *st = NULL;
    if (s_prep(db, sql, &st) < 0) {
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        x->ts.span_from = sqlite3_column_int64(st, 0);
        x->ts.span_to = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : s_fail(db, sql);
}

static int
s_load_exposure(sqlite3 *db, report_x_t *x)
{
    static const char sql_fills[] =
        "SELECT venue || ':' || symbol, side, coalesce(qty_m, 0), evt FROM fills"
        " ORDER BY evt, id";
    sqlite3_stmt *st = NULL;
    int64_t t0 = x->ts.span_from, t1 = x->ts.span_to;
    int rc;
    x->exposure = -1;
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
    if (in_market > t1 - t0) {
        in_market = t1 - t0; /* fills are inside the span by its definition: cannot happen */
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

/* ---- tearsheet --------------------------------------------------------------------------- */

/* a / b as percent at scale 2, half-even (b > 0). */
static int
s_pct_of(int64_t a, int64_t b, int64_t *out)
{
    return money_div(a, 0, b, 0, 4, MONEY_ROUND_HALF_EVEN, out);
}

/* Start and end balance: the sum over (venue, asset) of each account's first / last equity. */
static int
s_ts_balance(sqlite3 *db, report_ts_t *t)
{
    static const char sql[] =
        "SELECT count(*), sum(CASE WHEN id IN (SELECT min(id) FROM balances GROUP BY venue, asset)"
        " THEN equity_m ELSE 0 END), sum(CASE WHEN id IN (SELECT max(id) FROM balances"
        " GROUP BY venue, asset) THEN equity_m ELSE 0 END) FROM balances";
    sqlite3_stmt *st = NULL;
    if (s_prep(db, sql, &st) < 0) {
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0) {
        t->start_balance = sqlite3_column_int64(st, 1);
        t->end_balance = sqlite3_column_int64(st, 2);
        t->has_balance = t->start_balance > 0;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : s_fail(db, sql);
}

/* Buy and hold of the most traded venue+symbol over the traded span: the open of its first bar
 * (the smallest timeframe of 1m and above) and the close of its last; without bars, its first
 * and last trade. */
static int
s_ts_bh(sqlite3 *db, report_ts_t *t)
{
    static const char sql_top[] = "SELECT venue, symbol FROM fills GROUP BY venue, symbol"
                                  " ORDER BY count(*) DESC, venue, symbol LIMIT 1";
    static const char sql_bars[] =
        "WITH c AS (SELECT * FROM candles WHERE venue = ?1 AND symbol = ?2 AND tf_s ="
        " (SELECT min(tf_s) FROM candles WHERE venue = ?1 AND symbol = ?2 AND tf_s >= 60)"
        " AND topic_kind = (SELECT topic_kind FROM candles WHERE venue = ?1 AND symbol = ?2"
        " AND tf_s >= 60 ORDER BY topic_kind = 'md.kline' DESC LIMIT 1))"
        " SELECT (SELECT open_m FROM c ORDER BY start_ns, id LIMIT 1),"
        " (SELECT close_m FROM c ORDER BY start_ns DESC, id DESC LIMIT 1),"
        " (SELECT px_scale FROM c LIMIT 1), (SELECT count(*) FROM c)";
    static const char sql_trades[] =
        "SELECT (SELECT px_m FROM trades WHERE venue = ?1 AND symbol = ?2 ORDER BY evt, id"
        " LIMIT 1), (SELECT px_m FROM trades WHERE venue = ?1 AND symbol = ?2"
        " ORDER BY evt DESC, id DESC LIMIT 1), (SELECT px_scale FROM trades WHERE venue = ?1"
        " AND symbol = ?2 LIMIT 1), (SELECT count(*) FROM trades WHERE venue = ?1"
        " AND symbol = ?2)";
    sqlite3_stmt *st = NULL;
    if (s_prep(db, sql_top, &st) < 0) {
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        (void)snprintf(t->bh_venue, sizeof t->bh_venue, "%s", s_text(st, 0));
        (void)snprintf(t->bh_symbol, sizeof t->bh_symbol, "%s", s_text(st, 1));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
        return rc == SQLITE_DONE ? 0 : s_fail(db, sql_top);
    }
    const char *sqls[2] = { sql_bars, sql_trades };
    for (int k = 0; k < 2 && !t->has_bh; k++) {
        if (s_prep(db, sqls[k], &st) < 0) {
            return -1;
        }
        (void)sqlite3_bind_text(st, 1, t->bh_venue, -1, SQLITE_TRANSIENT);
        (void)sqlite3_bind_text(st, 2, t->bh_symbol, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_int64(st, 3) > 0) {
            t->bh_first_px = sqlite3_column_int64(st, 0);
            t->bh_last_px = sqlite3_column_int64(st, 1);
            t->bh_px_scale = sqlite3_column_int(st, 2);
            t->has_bh = t->bh_first_px > 0;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW) {
            return s_fail(db, sqls[k]);
        }
    }
    if (t->has_bh && s_pct_of(t->bh_last_px - t->bh_first_px, t->bh_first_px, &t->bh_pct) < 0) {
        return -1;
    }
    return 0;
}

/* The curve's value at the last point before `end` (carry forward; `dflt` before any). */
static int64_t
s_curve_at(const report_x_t *x, size_t *i, int64_t end, int64_t cur)
{
    while (*i < x->n_equity && x->equity[*i].evt < end) {
        cur = x->equity[(*i)++].equity;
    }
    return cur;
}

static int64_t
s_month_start(int64_t ns, int add)
{
    time_t s = (time_t)(ns / 1000000000LL);
    struct tm tm;
    (void)gmtime_r(&s, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mon += add;
    return (int64_t)timegm(&tm) * 1000000000LL;
}

/* Daily and monthly returns of the curve over the traded span (balances only). */
static int
s_ts_periods(report_x_t *x)
{
    report_ts_t *t = &x->ts;
    if (!t->has_balance || t->span_to <= t->span_from) {
        return 0;
    }
    for (int kind = 0; kind < 2; kind++) {
        int64_t from =
            kind == 0 ? t->span_from - t->span_from % S_DAY_NS : s_month_start(t->span_from, 0);
        size_t n = 0, cap = 0, i = 0;
        report_period_t *a = NULL;
        int64_t prev = t->start_balance, cur = t->start_balance;
        while (from < t->span_to) {
            int64_t end = kind == 0 ? from + S_DAY_NS : s_month_start(from, 1);
            if (n == cap) {
                cap = cap ? cap * 2 : 32;
                report_period_t *na = realloc(a, cap * sizeof *na);
                if (na == NULL) {
                    free(a);
                    errno = ENOMEM;
                    return -1;
                }
                a = na;
            }
            cur = s_curve_at(x, &i, end, cur);
            a[n].start_ns = from;
            a[n].close = cur;
            a[n].ret_pct = 0;
            if (prev > 0 && s_pct_of(cur - prev, prev, &a[n].ret_pct) < 0) {
                free(a);
                return -1;
            }
            n++;
            prev = cur;
            from = end;
        }
        if (kind == 0) {
            t->daily = a;
            t->n_daily = n;
        } else {
            t->monthly = a;
            t->n_monthly = n;
        }
    }
    return 0;
}

/* The max drawdown episode of the curve: from the last time at the peak (not before the traded
 * span) to the first time back at the peak, or to the end of the span. */
static void
s_ts_dd(const report_t *r, report_x_t *x)
{
    report_ts_t *t = &x->ts;
    bool realized = strcmp(r->dd_source, "realized") == 0;
    int64_t peak = realized ? 0 : (x->n_equity ? x->equity[0].equity : 0);
    int64_t peak_evt = realized ? t->span_from : (x->n_equity ? x->equity[0].evt : 0);
    int64_t max_dd = 0, dd_peak = 0;
    for (size_t i = 0; i < x->n_equity; i++) {
        const report_pt_t *p = &x->equity[i];
        if (p->equity >= peak) {
            peak = p->equity;
            peak_evt = p->evt;
        } else if (peak - p->equity > max_dd) {
            max_dd = peak - p->equity;
            dd_peak = peak;
            t->dd_from = peak_evt;
            t->dd_trough_evt = p->evt;
        }
    }
    if (max_dd == 0) {
        return;
    }
    for (size_t i = 0; i < x->n_equity; i++) {
        if (x->equity[i].evt > t->dd_trough_evt && x->equity[i].equity >= dd_peak) {
            t->dd_to = x->equity[i].evt;
            break;
        }
    }
    if (t->span_to > t->span_from && t->dd_from < t->span_from) {
        t->dd_from = t->span_from;
    }
    int64_t end = t->dd_to ? t->dd_to : (t->span_to > t->dd_from ? t->span_to : t->dd_trough_evt);
    t->dd_duration_ns = end - t->dd_from;
}

static int
s_ts_trips(const report_t *r, report_x_t *x)
{
    report_ts_t *t = &x->ts;
    if (r->n_trips == 0) {
        return 0;
    }
    t->has_trips = true;
    s_i128 hold = 0;
    for (size_t i = 0; i < r->n_trips; i++) {
        const report_trip_t *tr = &r->trips[i];
        hold += tr->exit_evt - tr->entry_evt;
        size_t k = 0;
        while (k < t->n_exits && strcmp(t->exits[k].reason, tr->exit_reason) != 0) {
            k++;
        }
        if (k == t->n_exits && t->n_exits < REPORT_EXITS_MAX) {
            (void)snprintf(t->exits[k].reason, sizeof t->exits[k].reason, "%s", tr->exit_reason);
            t->n_exits++;
        }
        if (k < t->n_exits) {
            t->exits[k].trips++;
            t->exits[k].wins += tr->net > 0;
            if (money_add(t->exits[k].net, tr->net, &t->exits[k].net) < 0) {
                return -1;
            }
        }
    }
    /* to the whole second (half up): what every output shows */
    s_i128 sec = (hold / (s_i128)r->n_trips + 500000000) / 1000000000;
    t->avg_hold_ns = (int64_t)sec * 1000000000LL;
    if ((x->wins > 0
         && money_div(x->gross_win, MONEY_VALUE_SCALE, x->wins, 0, MONEY_VALUE_SCALE,
                      MONEY_ROUND_HALF_EVEN, &t->avg_win)
                < 0)
        || (x->losses > 0
            && money_div(-x->gross_loss, MONEY_VALUE_SCALE, x->losses, 0, MONEY_VALUE_SCALE,
                         MONEY_ROUND_HALF_EVEN, &t->avg_loss)
                   < 0)) {
        return -1;
    }
    int64_t net = 0;
    for (size_t i = 0; i < r->n_trips; i++) {
        if (money_add(net, r->trips[i].net, &net) < 0) {
            return -1;
        }
    }
    return money_div(net, MONEY_VALUE_SCALE, (int64_t)r->n_trips, 0, MONEY_VALUE_SCALE,
                     MONEY_ROUND_HALF_EVEN, &t->expectancy);
}

/* The run's config (runs.config, schema 4), when the file has it. */
static int
s_ts_config(sqlite3 *db, const report_t *r, report_ts_t *t)
{
    static const char sql_has[] =
        "SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name = 'runs'"
        " AND sql LIKE '%config_path%'";
    static const char sql[] = "SELECT config, config_path FROM main.runs WHERE run_id = ?1";
    sqlite3_stmt *st = NULL;
    if (!r->has_run) {
        return 0;
    }
    if (s_prep(db, sql_has, &st) < 0) {
        return -1;
    }
    int rc = sqlite3_step(st);
    bool has = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
    sqlite3_finalize(st);
    if (!has) {
        return 0;
    }
    if (s_prep(db, sql, &st) < 0) {
        return -1;
    }
    (void)sqlite3_bind_text(st, 1, r->run.run_id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        t->config = strdup(s_text(st, 0));
        t->config_path = strdup(s_text(st, 1));
        if (t->config == NULL || t->config_path == NULL) {
            sqlite3_finalize(st);
            errno = ENOMEM;
            return -1;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : s_fail(db, sql);
}

/* The line naming the example to try next (docs/recorder.md "Tearsheet"): only for a run of
 * config/default.json, known from the recorded config's path or, when the config was not
 * recorded, from its signals: exactly the one strategy of that file, ema_rsi.btc. */
static int
s_ts_next(sqlite3 *db, report_ts_t *t)
{
    static const char k_try[] =
        "try the same EMA/RSI idea on 5m bars next to a 15m rules strategy: build/bin/backtest "
        "-c config/examples/mtf.json (one example per strategy in config/examples/, described "
        "in docs/config.md \"Examples\")";
    size_t n = t->config_path ? strlen(t->config_path) : 0;
    static const char k_def[] = "config/default.json";
    if (t->config != NULL) {
        if (n >= sizeof k_def - 1 && strcmp(t->config_path + n - (sizeof k_def - 1), k_def) == 0) {
            (void)snprintf(t->next, sizeof t->next, "next: this run is %s; %s", k_def, k_try);
        }
        return 0;
    }
    static const char sql[] = "SELECT count(DISTINCT strategy), max(strategy) FROM signals";
    sqlite3_stmt *st = NULL;
    if (s_prep(db, sql, &st) < 0) {
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) == 1
        && strcmp(s_text(st, 1), "ema_rsi.btc") == 0) {
        (void)snprintf(t->next, sizeof t->next,
                       "next: this run's only strategy is ema_rsi.btc, the one of %s; %s", k_def,
                       k_try);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : s_fail(db, sql);
}

static int
s_load_ts(sqlite3 *db, const report_t *r, report_x_t *x)
{
    report_ts_t *t = &x->ts;
    t->fees = r->fees;
    t->max_dd = r->max_dd;
    t->max_dd_pct = r->max_dd_pct;
    if (s_ts_balance(db, t) < 0 || s_ts_bh(db, t) < 0 || s_ts_trips(r, x) < 0
        || s_ts_config(db, r, t) < 0 || s_ts_next(db, t) < 0) {
        return -1;
    }
    s_ts_dd(r, x);
    if (t->has_balance) {
        int64_t gain = 0, gross = 0;
        if (money_sub(t->end_balance, t->start_balance, &gain) < 0
            || money_add(gain, r->fees, &gross) < 0
            || s_pct_of(gain, t->start_balance, &t->return_pct) < 0
            || s_pct_of(gross, t->start_balance, &t->gross_return_pct) < 0
            || s_pct_of(r->fees, t->start_balance, &t->fee_drag_pct) < 0) {
            return -1;
        }
        t->has_fee_drag = true;
        t->excess_pct = t->return_pct - t->bh_pct;
        double years = (double)(t->span_to - t->span_from) / (365.0 * (double)S_DAY_NS);
        if (years > 0.0 && t->end_balance > 0) {
            t->cagr_pct =
                (pow((double)t->end_balance / (double)t->start_balance, 1.0 / years) - 1.0) * 100.0;
            t->has_cagr = true;
            if (r->max_dd_pct > 0) {
                t->calmar = t->cagr_pct / ((double)r->max_dd_pct / 100.0);
                t->has_calmar = true;
            }
        }
    }
    if (s_ts_periods(x) < 0) {
        return -1;
    }
    /* Sharpe and Sortino over the traded span's UTC days (the tearsheet's daily returns, from
     * the exact closes), not over every day the curve has a point on: a replay announces the
     * opening balance at its first event, which may be on another date altogether */
    if (t->n_daily > 0) {
        report_pt_t *pts = calloc(t->n_daily + 1, sizeof *pts);
        if (pts == NULL) {
            errno = ENOMEM;
            return -1;
        }
        /* the start balance on the first day itself: the first return is that day's close
         * over it (report_x_ratios takes the last point of each day) */
        pts[0] = (report_pt_t){ .evt = t->daily[0].start_ns, .equity = t->start_balance };
        for (size_t i = 0; i < t->n_daily; i++) {
            pts[i + 1] = (report_pt_t){ .evt = t->daily[i].start_ns, .equity = t->daily[i].close };
        }
        x->n_days = report_x_ratios(pts, t->n_daily + 1, &x->sharpe, &x->sortino, &x->have_ratios);
        free(pts);
    }
    return 0;
}

int
report_x_load(sqlite3 *db, const report_t *r, report_x_t *x)
{
    memset(x, 0, sizeof *x);
    if (s_load_unrealized(db, x) < 0 || s_load_trips(r, x) < 0 || s_load_breakdown(db, r, x) < 0
        || s_load_span(db, x) < 0 || s_load_exposure(db, x) < 0 || s_load_latency(db, x) < 0
        || s_load_equity(db, r, x) < 0 || s_load_ts(db, r, x) < 0) {
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
    free(x->ts.daily);
    free(x->ts.monthly);
    free(x->ts.config);
    free(x->ts.config_path);
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

/* "12d 03:45" / "03:45:10" for a duration in ns. */
static const char *
s_dur(int64_t ns, char *buf, size_t cap)
{
    int64_t s = ns / 1000000000LL;
    if (s >= 86400) {
        (void)snprintf(buf, cap, "%" PRId64 "d %02d:%02d", s / 86400, (int)(s % 86400 / 3600),
                       (int)(s % 3600 / 60));
    } else {
        (void)snprintf(buf, cap, "%02d:%02d:%02d", (int)(s / 3600), (int)(s % 3600 / 60),
                       (int)(s % 60));
    }
    return buf;
}

/* A signed percent at scale 2: "-14.69%", "n/a" when !has. */
static const char *
s_spct(bool has, int64_t p, char *buf, size_t cap)
{
    char num[32];
    if (!has) {
        (void)snprintf(buf, cap, "n/a");
    } else {
        (void)snprintf(buf, cap, "%s%%", s_m(p, 2, num, sizeof num));
    }
    return buf;
}

/* One scalar config value as text into buf ("" for objects and arrays). */
static const char *
s_jscalar(json_t *v, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (json_is_string(v)) {
        (void)snprintf(buf, cap, "%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        (void)snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        (void)snprintf(buf, cap, "%g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        (void)snprintf(buf, cap, "%s", json_is_true(v) ? "true" : "false");
    } else if (json_is_array(v)) {
        char *d = json_dumps(v, JSON_COMPACT);
        (void)snprintf(buf, cap, "%s", d ? d : "[...]");
        free(d);
    }
    return buf;
}

/* "key value, key value" of an object's members (nested objects compact JSON). */
static void
s_print_obj(FILE *fp, json_t *o)
{
    const char *k;
    json_t *v;
    bool first = true;
    char buf[256];
    json_object_foreach(o, k, v)
    {
        if (json_is_object(v)) {
            char *d = json_dumps(v, JSON_COMPACT);
            fprintf(fp, "%s%s %s", first ? "" : ", ", k, d ? d : "{...}");
            free(d);
        } else {
            fprintf(fp, "%s%s %s", first ? "" : ", ", k, s_jscalar(v, buf, sizeof buf));
        }
        first = false;
    }
}

/* The config parameters used: each strategy, then risk and executor. */
static void
s_print_config(FILE *fp, const report_ts_t *t)
{
    if (t->config == NULL) {
        fputs("\nconfig: not recorded with this run (runs.config, schema 4: the recorder stage "
              "records it at start; older files and runs written without it have none)\n",
              fp);
        return;
    }
    fprintf(fp, "\nconfig: %s (as recorded with the run)\n", t->config_path ? t->config_path : "?");
    json_t *c = json_loads(t->config, 0, NULL);
    if (c == NULL) {
        fputs("  (the recorded config does not parse)\n", fp);
        return;
    }
    json_t *strats = json_object_get(json_object_get(c, "signal"), "strategies");
    size_t i;
    json_t *s;
    json_array_foreach(strats, i, s)
    {
        fputs("  strategy: ", fp);
        s_print_obj(fp, s);
        fputc('\n', fp);
    }
    static const char *const sections[] = { "risk", "executor" };
    for (size_t k = 0; k < 2; k++) {
        json_t *o = json_object_get(c, sections[k]);
        if (json_is_object(o)) {
            fprintf(fp, "  %s: ", sections[k]);
            s_print_obj(fp, o);
            fputc('\n', fp);
        }
    }
    json_decref(c);
}

static void
s_print_periods(FILE *fp, const report_ts_t *t, const char *title, const report_period_t *p,
                size_t n, bool daily)
{
    char a[48], iso[32];
    if (n == 0) {
        fprintf(fp, "\n%s: n/a (%s)\n", title, !t->has_balance ? "no balances" : "nothing traded");
        return;
    }
    fprintf(fp, "\n%s (close of the equity curve, return over the previous close):\n", title);
    for (size_t i = 0; i < n; i++) {
        (void)clock_fmt_iso(p[i].start_ns, iso, sizeof iso);
        iso[daily ? 10 : 7] = '\0';
        fprintf(fp, "  %-10s %9s%s", iso, s_spct(true, p[i].ret_pct, a, sizeof a),
                (i + 1) % 5 == 0 || i + 1 == n ? "\n" : "   ");
    }
}

static void
s_print_ts(FILE *fp, const report_x_t *x)
{
    const report_ts_t *t = &x->ts;
    char a[64], b[64], c[64], iso1[32], iso2[32];
    if (t->span_to > t->span_from) {
        fprintf(fp, "\ntearsheet: traded span %s .. %s (%s)\n",
                clock_fmt_iso(t->span_from, iso1, sizeof iso1),
                clock_fmt_iso(t->span_to, iso2, sizeof iso2),
                s_dur(t->span_to - t->span_from, a, sizeof a));
    } else {
        fputs("\ntearsheet: nothing traded\n", fp);
    }
    fprintf(fp, "%-26s %20s\n", "start balance",
            t->has_balance ? s_m(t->start_balance, MONEY_VALUE_SCALE, a, sizeof a) : "n/a");
    fprintf(fp, "%-26s %20s\n", "end balance",
            t->has_balance ? s_m(t->end_balance, MONEY_VALUE_SCALE, a, sizeof a) : "n/a");
    fprintf(fp, "%-26s %20s  (before fees %s)\n", "total return",
            s_spct(t->has_balance, t->return_pct, a, sizeof a),
            s_spct(t->has_balance, t->gross_return_pct, b, sizeof b));
    if (t->has_bh) {
        fprintf(fp, "%-26s %20s  (%s %s %s -> %s)\n", "buy and hold",
                s_spct(true, t->bh_pct, a, sizeof a), t->bh_venue, t->bh_symbol,
                s_m(t->bh_first_px, t->bh_px_scale, b, sizeof b),
                s_m(t->bh_last_px, t->bh_px_scale, c, sizeof c));
    } else {
        fprintf(fp, "%-26s %20s\n", "buy and hold", "n/a");
    }
    fprintf(fp, "%-26s %20s\n", "excess over buy and hold",
            s_spct(t->has_balance && t->has_bh, t->excess_pct, a, sizeof a));
    if (t->has_cagr) {
        (void)snprintf(a, sizeof a, "%.2f%%", t->cagr_pct);
    }
    fprintf(fp, "%-26s %20s  (annualised over the traded span, 365 days)\n", "CAGR",
            t->has_cagr ? a : "n/a");
    fprintf(fp, "%-26s %20s  (CAGR / max drawdown %%)\n", "Calmar",
            s_ratio(t->has_calmar, t->calmar, a, sizeof a));
    if (t->max_dd > 0) {
        fprintf(fp, "%-26s %20s  (%s, from %s to %s%s)\n", "max drawdown duration",
                s_dur(t->dd_duration_ns, a, sizeof a), s_pct(t->max_dd_pct, b, sizeof b),
                clock_fmt_iso(t->dd_from, iso1, sizeof iso1),
                t->dd_to ? clock_fmt_iso(t->dd_to, iso2, sizeof iso2) : "the end",
                t->dd_to ? "" : ", not recovered");
    } else {
        fprintf(fp, "%-26s %20s\n", "max drawdown duration", "n/a");
    }
    fprintf(fp, "%-26s %20s\n", "average win",
            x->wins ? s_m(t->avg_win, MONEY_VALUE_SCALE, a, sizeof a) : "n/a");
    fprintf(fp, "%-26s %20s\n", "average loss",
            x->losses ? s_m(t->avg_loss, MONEY_VALUE_SCALE, a, sizeof a) : "n/a");
    fprintf(fp, "%-26s %20s  (net pnl per round trip)\n", "expectancy",
            t->has_trips ? s_m(t->expectancy, MONEY_VALUE_SCALE, a, sizeof a) : "n/a");
    fprintf(fp, "%-26s %20s\n", "average holding time",
            t->has_trips ? s_dur(t->avg_hold_ns, a, sizeof a) : "n/a");
    fprintf(fp, "%-26s %20s  (time with a position open over the traded span)\n", "exposure",
            s_pct(x->exposure, a, sizeof a));
    fprintf(fp, "%-26s %20s  (fees %s / start balance)\n", "fee drag",
            s_spct(t->has_fee_drag, t->fee_drag_pct, a, sizeof a),
            s_m(t->fees, MONEY_VALUE_SCALE, b, sizeof b));
    if (t->n_exits > 0) {
        fprintf(fp, "\n  %-14s %7s %6s %16s\n", "exit reason", "trips", "wins", "net pnl");
        for (size_t i = 0; i < t->n_exits; i++) {
            fprintf(fp, "  %-14s %7" PRId64 " %6" PRId64 " %16s\n", t->exits[i].reason,
                    t->exits[i].trips, t->exits[i].wins,
                    s_m(t->exits[i].net, MONEY_VALUE_SCALE, a, sizeof a));
        }
    }
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
    s_print_ts(fp, x);
    s_print_groups(fp, "strategy (opener)", x->by_strategy, x->n_by_strategy);
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
    s_print_periods(fp, &x->ts, "daily returns", x->ts.daily, x->ts.n_daily, true);
    s_print_periods(fp, &x->ts, "monthly returns", x->ts.monthly, x->ts.n_monthly, false);
    s_print_config(fp, &x->ts);
    if (x->ts.next[0] != '\0') {
        fprintf(fp, "\n%s\n", x->ts.next);
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

/* A double rounded to `dec` decimals (statistics, not money: printed with JSON_REAL_PRECISION
 * by main.c, so 262.449 prints as 262.449, never 262.44900000000001). */
static json_t *
s_jr(double v, int dec)
{
    double f = pow(10.0, dec);
    return json_real(round(v * f) / f);
}

static json_t *
s_jiso(int64_t ns)
{
    char iso[32];
    return ns ? json_string(clock_fmt_iso(ns, iso, sizeof iso)) : json_null();
}

static json_t *
s_jperiods(const report_period_t *p, size_t n, bool daily)
{
    json_t *a = json_array();
    char iso[32];
    for (size_t i = 0; a != NULL && i < n; i++) {
        (void)clock_fmt_iso(p[i].start_ns, iso, sizeof iso);
        iso[daily ? 10 : 7] = '\0';
        (void)json_array_append_new(a, json_pack("{s:s, s:o, s:o}", daily ? "day" : "month", iso,
                                                 "close", s_jm(p[i].close, MONEY_VALUE_SCALE),
                                                 "return_pct", s_jm(p[i].ret_pct, 2)));
    }
    return a;
}

/* The tearsheet object (docs/recorder.md "Tearsheet"). NULL with errno ENOMEM. */
static json_t *
s_ts_json(const report_x_t *x)
{
    const report_ts_t *t = &x->ts;
    json_t *o = json_object();
    if (o == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    int bad = 0;
    bad |= json_object_set_new(
        o, "span",
        json_pack("{s:o, s:o, s:I, s:I, s:o}", "from", s_jiso(t->span_from), "to",
                  s_jiso(t->span_to), "from_ns", (json_int_t)t->span_from, "to_ns",
                  (json_int_t)t->span_to, "days",
                  s_jr((double)(t->span_to - t->span_from) / (double)S_DAY_NS, 4)));
    bad |= json_object_set_new(o, "start_balance",
                               t->has_balance ? s_jm(t->start_balance, MONEY_VALUE_SCALE)
                                              : json_null());
    bad |= json_object_set_new(
        o, "end_balance", t->has_balance ? s_jm(t->end_balance, MONEY_VALUE_SCALE) : json_null());
    bad |=
        json_object_set_new(o, "return_pct", t->has_balance ? s_jm(t->return_pct, 2) : json_null());
    bad |= json_object_set_new(o, "gross_return_pct",
                               t->has_balance ? s_jm(t->gross_return_pct, 2) : json_null());
    bad |= json_object_set_new(
        o, "buy_and_hold",
        t->has_bh
            ? json_pack("{s:s, s:s, s:o, s:o, s:o}", "venue", t->bh_venue, "symbol", t->bh_symbol,
                        "first_px", s_jm(t->bh_first_px, t->bh_px_scale), "last_px",
                        s_jm(t->bh_last_px, t->bh_px_scale), "return_pct", s_jm(t->bh_pct, 2))
            : json_null());
    bad |= json_object_set_new(o, "excess_pct",
                               t->has_balance && t->has_bh ? s_jm(t->excess_pct, 2) : json_null());
    bad |= json_object_set_new(o, "cagr_pct", t->has_cagr ? s_jr(t->cagr_pct, 2) : json_null());
    bad |= json_object_set_new(o, "calmar", t->has_calmar ? s_jr(t->calmar, 2) : json_null());
    bad |= json_object_set_new(
        o, "max_drawdown",
        t->max_dd > 0 ? json_pack("{s:o, s:o, s:o, s:o, s:b, s:I}", "pct",
                                  t->max_dd_pct >= 0 ? s_jm(t->max_dd_pct, 2) : json_null(), "from",
                                  s_jiso(t->dd_from), "trough", s_jiso(t->dd_trough_evt), "to",
                                  s_jiso(t->dd_to), "recovered", t->dd_to != 0, "duration_s",
                                  (json_int_t)(t->dd_duration_ns / 1000000000LL))
                      : json_null());
    bad |= json_object_set_new(o, "avg_win",
                               x->wins ? s_jm(t->avg_win, MONEY_VALUE_SCALE) : json_null());
    bad |= json_object_set_new(o, "avg_loss",
                               x->losses ? s_jm(t->avg_loss, MONEY_VALUE_SCALE) : json_null());
    bad |= json_object_set_new(o, "expectancy",
                               t->has_trips ? s_jm(t->expectancy, MONEY_VALUE_SCALE) : json_null());
    bad |= json_object_set_new(o, "avg_holding_s",
                               t->has_trips ? json_integer(t->avg_hold_ns / 1000000000LL)
                                            : json_null());
    bad |= json_object_set_new(o, "exposure_pct",
                               x->exposure < 0 ? json_null() : s_jm(x->exposure, 2));
    bad |= json_object_set_new(o, "fees", s_jm(t->fees, MONEY_VALUE_SCALE));
    bad |= json_object_set_new(o, "fee_drag_pct",
                               t->has_fee_drag ? s_jm(t->fee_drag_pct, 2) : json_null());
    json_t *ex = json_array();
    for (size_t i = 0; ex != NULL && i < t->n_exits; i++) {
        (void)json_array_append_new(
            ex, json_pack("{s:s, s:I, s:I, s:o}", "reason", t->exits[i].reason, "trips",
                          (json_int_t)t->exits[i].trips, "wins", (json_int_t)t->exits[i].wins,
                          "net", s_jm(t->exits[i].net, MONEY_VALUE_SCALE)));
    }
    bad |= json_object_set_new(o, "exits", ex);
    bad |= json_object_set_new(o, "daily_returns", s_jperiods(t->daily, t->n_daily, true));
    bad |= json_object_set_new(o, "monthly_returns", s_jperiods(t->monthly, t->n_monthly, false));
    json_t *cfg = t->config ? json_loads(t->config, 0, NULL) : NULL;
    bad |= json_object_set_new(o, "config", cfg ? cfg : json_null());
    bad |= json_object_set_new(o, "config_path",
                               t->config_path ? json_string(t->config_path) : json_null());
    bad |= json_object_set_new(o, "next", t->next[0] ? json_string(t->next) : json_null());
    if (bad) {
        json_decref(o);
        errno = ENOMEM;
        return NULL;
    }
    return o;
}

int
report_x_json(const report_x_t *x, json_t *root)
{
    json_t *lat = json_object();
    for (int h = 0; lat != NULL && h < REPORT_HOPS; h++) {
        const report_lat_t *l = &x->lat[h];
        (void)json_object_set_new(
            lat, l->hop,
            l->n == 0
                ? json_pack("{s:i}", "n", 0)
                : json_pack("{s:I, s:o, s:o, s:o, s:o}", "n", (json_int_t)l->n, "p50",
                            s_jr((double)l->p50 / 1e3, 1), "p99", s_jr((double)l->p99 / 1e3, 1),
                            "p99_9", s_jr((double)l->p999 / 1e3, 1), "max",
                            s_jr((double)l->max / 1e3, 1)));
    }
    int bad = 0;
    bad |= json_object_set_new(root, "unrealized_pnl", s_jm(x->unrealized, MONEY_VALUE_SCALE));
    bad |=
        json_object_set_new(root, "win_rate", x->win_rate < 0 ? json_null() : s_jm(x->win_rate, 2));
    bad |= json_object_set_new(root, "profit_factor",
                               x->profit_factor < 0 ? json_null() : s_jr(x->profit_factor, 4));
    bad |= json_object_set_new(root, "sharpe", x->have_ratios ? s_jr(x->sharpe, 4) : json_null());
    bad |= json_object_set_new(root, "sortino", x->have_ratios ? s_jr(x->sortino, 4) : json_null());
    bad |= json_object_set_new(root, "daily_returns", json_integer(x->n_days));
    bad |=
        json_object_set_new(root, "exposure", x->exposure < 0 ? json_null() : s_jm(x->exposure, 2));
    bad |= json_object_set_new(root, "by_strategy", s_jgroups(x->by_strategy, x->n_by_strategy));
    bad |= json_object_set_new(root, "by_symbol", s_jgroups(x->by_symbol, x->n_by_symbol));
    bad |= json_object_set_new(root, "latency_us", lat);
    bad |= json_object_set_new(root, "tearsheet", s_ts_json(x));
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

/* The Debian paths of the charting library inlined into the page, in load order (libjs-jquery;
 * libjs-jquery-mousewheel, which flot's navigate plugin needs for wheel zoom;
 * libjs-jquery-flot: flot 4's bundle carries its time, navigate (zoom and pan) and hover
 * plugins). */
static const char *const k_js[] = {
    "/usr/share/javascript/jquery/jquery.min.js",
    "/usr/share/javascript/jquery-mousewheel/jquery.mousewheel.min.js",
    "/usr/share/javascript/jquery-flot/jquery.flot.min.js"
};

/* Copy file `path` into fp. 0, or -1 with errno (logged with the package to install). */
static int
s_inline_file(FILE *fp, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        log_error("report",
                  "cannot read %s: %s (Debian packages libjs-jquery, libjs-jquery-mousewheel and "
                  "libjs-jquery-flot: make deps)",
                  path, strerror(e));
        errno = e;
        return -1;
    }
    char buf[1 << 15];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (fwrite(buf, 1, n, fp) != n) {
            fclose(f);
            errno = EIO;
            return -1;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        errno = EIO;
        return -1;
    }
    return 0;
}

static void
s_js_str(FILE *fp, const char *v)
{
    fputc('"', fp);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\' || *v == '<' || *v == '>' || (unsigned char)*v < 0x20) {
            fprintf(fp, "\\u%04x", (unsigned char)*v);
        } else {
            fputc(*v, fp);
        }
    }
    fputc('"', fp);
}

/* The price chart of the most traded venue+symbol: its closes (the smallest bar timeframe of
 * 1m and above, else its trades), entries, and exits coloured by the trip's net (win > 0 green,
 * else red), drawn by flot in the browser: zoom with the wheel, pan by dragging, a tooltip on
 * every point. The data go inline as JS arrays (seconds, prices as decimals). */
static int
s_flot_price(FILE *fp, sqlite3 *db, const report_t *r, const char *venue, const char *symbol)
{
    static const char sql_px[] =
        "SELECT start_ns, close_m, px_scale FROM candles WHERE venue = ?1 AND symbol = ?2"
        " AND topic_kind = (SELECT topic_kind FROM candles WHERE venue = ?1 AND symbol = ?2"
        "  AND tf_s >= 60 ORDER BY topic_kind = 'sig.bar' DESC LIMIT 1)"
        " AND tf_s = (SELECT min(tf_s) FROM candles WHERE venue = ?1 AND symbol = ?2"
        "  AND tf_s >= 60) ORDER BY start_ns";
    static const char sql_tr[] =
        "SELECT evt, px_m, px_scale FROM trades WHERE venue = ?1 AND symbol = ?2 ORDER BY evt, id";
    char a[48];
    size_t n_px = 0;
    fputs("<script>\nvar TP = {px: [", fp);
    for (int k = 0; k < 2 && n_px == 0; k++) {
        sqlite3_stmt *st = NULL;
        if (s_prep(db, k == 0 ? sql_px : sql_tr, &st) < 0) {
            return -1;
        }
        (void)sqlite3_bind_text(st, 1, venue, -1, SQLITE_TRANSIENT);
        (void)sqlite3_bind_text(st, 2, symbol, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            fprintf(fp, "%s[%.3f,%s]", n_px ? "," : "", s_t(sqlite3_column_int64(st, 0)),
                    s_m(sqlite3_column_int64(st, 1), sqlite3_column_int(st, 2), a, sizeof a));
            n_px++;
        }
        sqlite3_finalize(st);
    }
    fputs("],\ntrips: [", fp);
    size_t n_tr = 0;
    for (size_t i = 0; i < r->n_trips; i++) {
        const report_trip_t *t = &r->trips[i];
        if (strcmp(t->venue, venue) != 0 || strcmp(t->symbol, symbol) != 0) {
            continue;
        }
        char b[48], c[48], iso1[32], iso2[32];
        fprintf(
            fp, "%s{n:%zu,side:\"%s\",t0:%.3f,t1:%.3f,p0:%s,p1:%s,net:%s,entry:", n_tr ? "," : "",
            i + 1, t->side > 0 ? "long" : "short", s_t(t->entry_evt), s_t(t->exit_evt),
            s_m(t->entry_px, t->px_scale, a, sizeof a), s_m(t->exit_px, t->px_scale, b, sizeof b),
            s_m(t->net, MONEY_VALUE_SCALE, c, sizeof c));
        s_js_str(fp, clock_fmt_iso(t->entry_evt, iso1, sizeof iso1));
        fputs(",exit:", fp);
        s_js_str(fp, clock_fmt_iso(t->exit_evt, iso2, sizeof iso2));
        fputs(",reason:", fp);
        s_js_str(fp, t->exit_reason);
        fputs(",strategy:", fp);
        s_js_str(fp, t->strategy);
        fputs("}", fp);
        n_tr++;
    }
    fputs("]};\n</script>\n", fp);
    fputs("<div id=\"price-box\" style=\"position:relative\">\n<p>Price ", fp);
    s_html_esc(fp, venue);
    fputc(' ', fp);
    s_html_esc(fp, symbol);
    fputs(" with entries (triangles) and exits (green: the round trip won, red: it lost). "
          "Wheel: zoom; drag: pan; hover a point for its details. "
          "<button id=\"price-reset\" type=\"button\">reset zoom</button></p>\n"
          "<div id=\"price\" style=\"width:1000px;height:380px\"></div>\n"
          "<div id=\"price-tip\" style=\"position:absolute;display:none;background:#fff;"
          "border:1px solid #888;padding:3px 6px;font-size:12px;pointer-events:none\"></div>\n"
          "</div>\n",
          fp);
    for (size_t i = 0; i < sizeof k_js / sizeof k_js[0]; i++) {
        fputs("<script>\n", fp);
        if (s_inline_file(fp, k_js[i]) < 0) {
            return -1;
        }
        fputs("\n</script>\n", fp);
    }
    fputs(
        "<script>\n"
        "(function () {\n"
        "  var el = [], es = [], xw = [], xl = [];\n"
        "  TP.trips.forEach(function (t, i) {\n"
        "    (t.side === 'long' ? el : es).push([t.t0, t.p0, i]);\n"
        "    (t.net > 0 ? xw : xl).push([t.t1, t.p1, i]);\n"
        "  });\n"
        "  var series = [\n"
        "    {label: 'close', data: TP.px, color: '#555555', lines: {show: true, lineWidth: 1},\n"
        "     points: {show: false}},\n"
        "    {label: 'entry long', data: el, color: '#1f77b4', lines: {show: false},\n"
        "     points: {show: true, symbol: 'triangle', radius: 5, fill: true,\n"
        "              fillColor: '#1f77b4'}},\n"
        "    {label: 'entry short', data: es, color: '#9467bd', lines: {show: false},\n"
        "     points: {show: true, symbol: 'triangle', radius: 5, fill: true,\n"
        "              fillColor: '#9467bd'}},\n"
        "    {label: 'exit, won', data: xw, color: '#2ca02c', lines: {show: false},\n"
        "     points: {show: true, radius: 5, fill: true, fillColor: '#2ca02c'}},\n"
        "    {label: 'exit, lost', data: xl, color: '#e41a1c', lines: {show: false},\n"
        "     points: {show: true, radius: 5, fill: true, fillColor: '#e41a1c'}}];\n"
        "  var opts = {xaxis: {mode: 'time', timeBase: 'seconds', timezone: 'utc'},\n"
        "    yaxis: {autoScale: 'loose'}, grid: {hoverable: true, autoHighlight: true},\n"
        "    zoom: {interactive: true}, pan: {interactive: true, enableTouch: true},\n"
        "    legend: {show: true, position: 'sw', noColumns: 5}};\n"
        "  var box = document.getElementById('price');\n"
        "  var plot = $.plot(box, series, opts);\n"
        "  function drawn() {\n"
        "    box.setAttribute('data-drawn', plot.getData().map(function (s) {\n"
        "      return s.data.length; }).join(','));\n"
        "  }\n"
        "  drawn();\n"
        "  $('#price-reset').on('click', function () { plot = $.plot(box, series, opts); drawn(); "
        "});\n"
        "  var tip = $('#price-tip');\n"
        "  $(box).on('plothover', function (ev, pos, item) {\n"
        "    if (!item) { tip.hide(); return; }\n"
        "    var d = item.series.data[item.dataIndex], s = item.series.label, h;\n"
        "    if (s === 'close') {\n"
        "      h = new Date(d[0] * 1000).toISOString() + '<br>close ' + d[1];\n"
        "    } else {\n"
        "      var t = TP.trips[d[2]];\n"
        "      h = '#' + t.n + ' ' + t.side + ' (' + t.strategy + ')<br>entry ' + t.entry + ' @ '\n"
        "        + t.p0 + '<br>exit ' + t.exit + ' @ ' + t.p1 + ' (' + t.reason + ')<br>net '\n"
        "        + t.net.toFixed(2);\n"
        "    }\n"
        "    tip.html(h).css({left: item.pageX - $('#price-box').offset().left + 12,\n"
        "                     top: item.pageY - $('#price-box').offset().top + 12}).show();\n"
        "  });\n"
        "})();\n"
        "</script>\n",
        fp);
    return 0;
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

/* The tearsheet in the page: the text's figures as a table (id "tearsheet"), exit reasons,
 * monthly and daily returns, the recorded config and the next-example line. */
static void
s_html_ts(FILE *fp, const report_x_t *x, int part)
{
    const report_ts_t *t = &x->ts;
    char a[64], b[64], c[64], iso1[32], iso2[32], line[512];
    if (part == 1) {
        goto returns;
    }
    fputs("<h2>Tearsheet</h2>\n<table id=\"tearsheet\">\n", fp);
    if (t->span_to > t->span_from) {
        (void)snprintf(line, sizeof line, "%s .. %s (%s)",
                       clock_fmt_iso(t->span_from, iso1, sizeof iso1),
                       clock_fmt_iso(t->span_to, iso2, sizeof iso2),
                       s_dur(t->span_to - t->span_from, a, sizeof a));
        s_row(fp, "traded span", line);
    }
    s_row(fp, "start balance",
          t->has_balance ? s_m(t->start_balance, MONEY_VALUE_SCALE, a, sizeof a) : "n/a");
    s_row(fp, "end balance",
          t->has_balance ? s_m(t->end_balance, MONEY_VALUE_SCALE, a, sizeof a) : "n/a");
    s_row(fp, "total return", s_spct(t->has_balance, t->return_pct, a, sizeof a));
    s_row(fp, "return before fees", s_spct(t->has_balance, t->gross_return_pct, a, sizeof a));
    if (t->has_bh) {
        (void)snprintf(line, sizeof line, "%s (%s %s %s -> %s)",
                       s_spct(true, t->bh_pct, a, sizeof a), t->bh_venue, t->bh_symbol,
                       s_m(t->bh_first_px, t->bh_px_scale, b, sizeof b),
                       s_m(t->bh_last_px, t->bh_px_scale, c, sizeof c));
        s_row(fp, "buy and hold", line);
    } else {
        s_row(fp, "buy and hold", "n/a");
    }
    s_row(fp, "excess over buy and hold",
          s_spct(t->has_balance && t->has_bh, t->excess_pct, a, sizeof a));
    if (t->has_cagr) {
        (void)snprintf(a, sizeof a, "%.2f%%", t->cagr_pct);
    }
    s_row(fp, "CAGR", t->has_cagr ? a : "n/a");
    s_row(fp, "Calmar", s_ratio(t->has_calmar, t->calmar, a, sizeof a));
    if (t->max_dd > 0) {
        (void)snprintf(
            line, sizeof line, "%s (from %s to %s)", s_dur(t->dd_duration_ns, a, sizeof a),
            clock_fmt_iso(t->dd_from, iso1, sizeof iso1),
            t->dd_to ? clock_fmt_iso(t->dd_to, iso2, sizeof iso2) : "the end, not recovered");
        s_row(fp, "max drawdown duration", line);
    }
    s_row(fp, "average win", x->wins ? s_m(t->avg_win, MONEY_VALUE_SCALE, a, sizeof a) : "n/a");
    s_row(fp, "average loss", x->losses ? s_m(t->avg_loss, MONEY_VALUE_SCALE, a, sizeof a) : "n/a");
    s_row(fp, "expectancy (per round trip)",
          t->has_trips ? s_m(t->expectancy, MONEY_VALUE_SCALE, a, sizeof a) : "n/a");
    s_row(fp, "average holding time", t->has_trips ? s_dur(t->avg_hold_ns, a, sizeof a) : "n/a");
    s_row(fp, "fee drag (fees / start balance)",
          s_spct(t->has_fee_drag, t->fee_drag_pct, a, sizeof a));
    fputs("</table>\n<table id=\"exits\"><tr><th>exit reason</th><th>trips</th><th>wins</th>"
          "<th>net pnl</th></tr>\n",
          fp);
    for (size_t i = 0; i < t->n_exits; i++) {
        fprintf(fp, "<tr><th>%s</th><td>%" PRId64 "</td><td>%" PRId64 "</td><td>%s</td></tr>\n",
                t->exits[i].reason, t->exits[i].trips, t->exits[i].wins,
                s_m(t->exits[i].net, MONEY_VALUE_SCALE, a, sizeof a));
    }
    fputs("</table>\n", fp);
    return;
returns:
    fputs("<h2>Returns</h2>\n<div style=\"display:flex;gap:24px;align-items:flex-start\">\n", fp);
    for (int k = 0; k < 2; k++) {
        const report_period_t *p = k == 0 ? t->monthly : t->daily;
        size_t n = k == 0 ? t->n_monthly : t->n_daily;
        fprintf(fp, "<table id=\"%s\"><tr><th>%s</th><th>close</th><th>return</th></tr>\n",
                k == 0 ? "monthly" : "daily", k == 0 ? "month" : "day");
        for (size_t i = 0; i < n; i++) {
            (void)clock_fmt_iso(p[i].start_ns, iso1, sizeof iso1);
            iso1[k == 0 ? 7 : 10] = '\0';
            fprintf(fp, "<tr><th>%s</th><td>%s</td><td>%s</td></tr>\n", iso1,
                    s_m(p[i].close, MONEY_VALUE_SCALE, a, sizeof a),
                    s_spct(true, p[i].ret_pct, b, sizeof b));
        }
        fputs("</table>\n", fp);
    }
    fputs("</div>\n<h2>Config</h2>\n<pre id=\"config\">", fp);
    if (t->config != NULL) {
        json_t *cj = json_loads(t->config, 0, NULL);
        char *pretty = cj ? json_dumps(cj, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
        s_html_esc(fp, t->config_path ? t->config_path : "?");
        fputs(":\n", fp);
        s_html_esc(fp, pretty ? pretty : t->config);
        free(pretty);
        json_decref(cj);
    } else {
        fputs("not recorded with this run", fp);
    }
    fputs("</pre>\n", fp);
    if (t->next[0] != '\0') {
        fputs("<p id=\"next\">", fp);
        s_html_esc(fp, t->next);
        fputs("</p>\n", fp);
    }
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
          ".legendLayer .background{fill:rgba(255,255,255,0.85);stroke:rgba(0,0,0,0.5)}\n"
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
    fputs("</table>\n", fp);
    s_html_ts(fp, x, 0);
    fputs("<h2>Charts</h2>\n", fp);
    if (s_flot_price(fp, db, r, venue, symbol) < 0) {
        return -1;
    }
    static const char *const charts[] = { "equity", "drawdown" };
    for (size_t i = 0; i < 2; i++) {
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
          "<th>exit px</th><th>qty</th><th>fees</th><th>net pnl</th><th>exit</th>"
          "<th>strategy</th></tr>\n",
          fp);
    for (size_t i = 0; i < r->n_trips; i++) {
        const report_trip_t *t = &r->trips[i];
        char c[48], d[48], e[48];
        fprintf(fp,
                "<tr><td>%zu</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>",
                i + 1, t->venue, t->symbol, t->side > 0 ? "long" : "short",
                clock_fmt_iso(t->entry_evt, iso1, sizeof iso1),
                clock_fmt_iso(t->exit_evt, iso2, sizeof iso2),
                s_m(t->entry_px, t->px_scale, a, sizeof a),
                s_m(t->exit_px, t->px_scale, b, sizeof b), s_m(t->qty, t->qty_scale, c, sizeof c),
                s_m(t->fees, MONEY_VALUE_SCALE, d, sizeof d),
                s_m(t->net, MONEY_VALUE_SCALE, e, sizeof e), t->exit_reason);
        s_html_esc(fp, t->strategy);
        fputs("</td></tr>\n", fp);
    }
    fputs("</table>\n", fp);
    s_html_ts(fp, x, 1);
    fputs("</body></html>\n", fp);
    if (fflush(fp) != 0 || ferror(fp)) {
        errno = EIO;
        return -1;
    }
    return 0;
}
