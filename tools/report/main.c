/*  report - print a summary of one run of a recorder database (tools/report/report.h has the
 *  definitions).
 *  Usage: build/bin/report DB [--run ID] [--json | --html FILE]
 *         build/bin/report DB --runs [--json]
 *         build/bin/report --compare A.db B.db [--json]
 *    One run: the latest in the file, or --run ID. Text (default) or --json on stdout; --html
 *    FILE writes one self-contained page with gnuplot SVG charts (tools/report/analytics.h;
 *    needs `gnuplot`, Debian gnuplot-nox) and prints only where it wrote it. --runs lists the
 *    runs in the file (id, start, end, clean, unclean stops, events), oldest first.
 *    --compare: the main figures of the latest run of A and of B side by side, and B - A.
 *  Exit codes:
 *    0  printed
 *    1  the database cannot be read (missing file, not a recorder database, SQL error), or
 *       --run names a run the file does not have
 *    2  bad arguments
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/money.h"
#include "tools/report/analytics.h"
#include "tools/report/report.h"

/* --runs: the runs of the file, oldest first. 0, or 1 (cannot read / write). */
static int
s_list_runs(sqlite3 *db, const char *path, bool as_json)
{
    report_run_t *runs = NULL;
    size_t n = 0;
    int rc = 1;
    char iso1[32], iso2[32];
    if (report_runs(db, &runs, &n) < 0) {
        fprintf(stderr, "report: cannot read %s: %s\n", path,
                errno == EIO ? sqlite3_errmsg(db) : strerror(errno));
        return 1;
    }
    if (as_json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr != NULL && i < n; i++) {
            if (json_array_append_new(arr, report_run_json(&runs[i])) != 0) {
                json_decref(arr);
                arr = NULL;
            }
        }
        json_t *root = arr ? json_pack("{s:o}", "runs", arr) : NULL;
        if (root != NULL && json_dumpf(root, stdout, JSON_COMPACT) == 0
            && fputc('\n', stdout) != EOF) {
            rc = 0;
        } else {
            fprintf(stderr, "report: cannot write JSON\n");
        }
        json_decref(root);
    } else {
        printf("%-36s %-24s %-24s %-9s %8s %12s\n", "run", "started (UTC)", "ended (UTC)", "clean",
               "unclean", "events");
        for (size_t i = 0; i < n; i++) {
            const report_run_t *u = &runs[i];
            printf("%-36s %-24s %-24s %-9s %8" PRId64 " %12" PRId64 "\n", u->run_id,
                   u->started_ns ? clock_fmt_iso(u->started_ns, iso1, sizeof iso1) : "-",
                   u->ended_ns ? clock_fmt_iso(u->ended_ns, iso2, sizeof iso2) : "-",
                   u->clean > 0    ? "yes"
                   : u->clean == 0 ? "NO"
                                   : "unknown",
                   u->unclean_stops, u->events);
        }
        rc = fflush(stdout) == 0 ? 0 : 1;
    }
    free(runs);
    return rc;
}

/* ---- --compare A B ----------------------------------------------------------------------- */

typedef struct {
    sqlite3 *db;
    report_t r;
    report_x_t x;
    char title[600];
} s_side_t;

/* Open `path` read-only and load its latest run. 0, or 1 (message printed). */
static int
s_side_load(s_side_t *s, const char *path)
{
    memset(s, 0, sizeof *s);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "report: cannot open %s: %s\n", path,
                s->db ? sqlite3_errmsg(s->db) : "out of memory");
        return 1;
    }
    (void)sqlite3_busy_timeout(s->db, 2000);
    report_run_t run;
    int sel = report_select_run(s->db, NULL, &run);
    if (sel < 0 || report_load(s->db, &s->r) < 0) {
        fprintf(stderr, "report: cannot read %s: %s\n", path,
                errno == EIO ? sqlite3_errmsg(s->db) : strerror(errno));
        return 1;
    }
    s->r.has_run = sel > 0;
    s->r.run = run;
    if (report_x_load(s->db, &s->r, &s->x) < 0) {
        fprintf(stderr, "report: cannot read %s: %s\n", path,
                errno == EIO ? sqlite3_errmsg(s->db) : strerror(errno));
        return 1;
    }
    (void)snprintf(s->title, sizeof s->title, "%s%s%s", path, sel > 0 ? ", run " : "",
                   sel > 0 ? run.run_id : "");
    return 0;
}

static void
s_side_free(s_side_t *s)
{
    report_x_free(&s->x);
    report_free(&s->r);
    sqlite3_close(s->db);
}

typedef enum { S_MONEY, S_PCT, S_RATIO, S_COUNT, S_DUR } s_kind_t;

/* One figure of a side: has (defined), i (mantissa / count / ns) or d (ratio). */
typedef struct {
    bool has;
    int64_t i;
    double d;
} s_val_t;

typedef struct {
    const char *name;
    s_kind_t kind;
} s_fig_t;

static const s_fig_t k_figs[] = {
    { "start balance", S_MONEY },
    { "end balance", S_MONEY },
    { "total return %", S_PCT },
    { "buy and hold %", S_PCT },
    { "excess over buy and hold %", S_PCT },
    { "CAGR %", S_RATIO },
    { "Calmar", S_RATIO },
    { "net pnl", S_MONEY },
    { "realized pnl (gross)", S_MONEY },
    { "fees", S_MONEY },
    { "fee drag %", S_PCT },
    { "round trips", S_COUNT },
    { "win rate %", S_PCT },
    { "profit factor", S_RATIO },
    { "average win", S_MONEY },
    { "average loss", S_MONEY },
    { "expectancy", S_MONEY },
    { "average holding time", S_DUR },
    { "exposure %", S_PCT },
    { "max drawdown", S_MONEY },
    { "max drawdown %", S_PCT },
    { "max drawdown duration", S_DUR },
    { "sharpe", S_RATIO },
    { "sortino", S_RATIO },
};

static s_val_t
s_fig(const s_side_t *s, size_t k)
{
    const report_t *r = &s->r;
    const report_x_t *x = &s->x;
    const report_ts_t *t = &x->ts;
    switch (k) {
    case 0:
        return (s_val_t){ t->has_balance, t->start_balance, 0 };
    case 1:
        return (s_val_t){ t->has_balance, t->end_balance, 0 };
    case 2:
        return (s_val_t){ t->has_balance, t->return_pct, 0 };
    case 3:
        return (s_val_t){ t->has_bh, t->bh_pct, 0 };
    case 4:
        return (s_val_t){ t->has_balance && t->has_bh, t->excess_pct, 0 };
    case 5:
        return (s_val_t){ t->has_cagr, 0, t->cagr_pct };
    case 6:
        return (s_val_t){ t->has_calmar, 0, t->calmar };
    case 7:
        return (s_val_t){ true, r->net, 0 };
    case 8:
        return (s_val_t){ true, r->realized_pnl, 0 };
    case 9:
        return (s_val_t){ true, r->fees, 0 };
    case 10:
        return (s_val_t){ t->has_fee_drag, t->fee_drag_pct, 0 };
    case 11:
        return (s_val_t){ true, (int64_t)r->n_trips, 0 };
    case 12:
        return (s_val_t){ x->win_rate >= 0, x->win_rate, 0 };
    case 13:
        return (s_val_t){ x->profit_factor >= 0, 0, x->profit_factor };
    case 14:
        return (s_val_t){ x->wins > 0, t->avg_win, 0 };
    case 15:
        return (s_val_t){ x->losses > 0, t->avg_loss, 0 };
    case 16:
        return (s_val_t){ t->has_trips, t->expectancy, 0 };
    case 17:
        return (s_val_t){ t->has_trips, t->avg_hold_ns, 0 };
    case 18:
        return (s_val_t){ x->exposure >= 0, x->exposure, 0 };
    case 19:
        return (s_val_t){ true, r->max_dd, 0 };
    case 20:
        return (s_val_t){ r->max_dd_pct >= 0, r->max_dd_pct, 0 };
    case 21:
        return (s_val_t){ r->max_dd > 0, t->dd_duration_ns, 0 };
    case 22:
        return (s_val_t){ x->have_ratios, 0, x->sharpe };
    default:
        return (s_val_t){ x->have_ratios, 0, x->sortino };
    }
}

/* A value as text ("n/a" undefined); `signed_` prefixes "+" to a positive difference. */
static const char *
s_fmt(s_kind_t kind, s_val_t v, bool signed_, char *buf, size_t cap)
{
    char num[48];
    if (!v.has) {
        (void)snprintf(buf, cap, "n/a");
        return buf;
    }
    switch (kind) {
    case S_MONEY:
    case S_PCT:
        if (money_fmt(v.i, kind == S_MONEY ? MONEY_VALUE_SCALE : 2, num, sizeof num) < 0) {
            (void)snprintf(num, sizeof num, "?");
        }
        (void)snprintf(buf, cap, "%s%s", signed_ && v.i > 0 ? "+" : "", num);
        break;
    case S_RATIO:
        (void)snprintf(buf, cap, signed_ ? "%+.2f" : "%.2f", v.d);
        break;
    case S_COUNT:
        (void)snprintf(buf, cap, signed_ ? "%+" PRId64 : "%" PRId64, v.i);
        break;
    case S_DUR: {
        int64_t s = (v.i < 0 ? -v.i : v.i) / 1000000000LL;
        (void)snprintf(buf, cap, "%s%" PRId64 "d %02d:%02d:%02d",
                       v.i < 0 ? "-" : (signed_ && v.i > 0 ? "+" : ""), s / 86400,
                       (int)(s % 86400 / 3600), (int)(s % 3600 / 60), (int)(s % 60));
        break;
    }
    }
    return buf;
}

/* --compare A B: the main figures of the latest run of each, side by side, and B - A. */
static int
s_compare(const char *pa, const char *pb, bool as_json)
{
    s_side_t a, b;
    int rc = 1;
    if (s_side_load(&a, pa) != 0) {
        s_side_free(&a);
        return 1;
    }
    if (s_side_load(&b, pb) != 0) {
        s_side_free(&a);
        s_side_free(&b);
        return 1;
    }
    json_t *rows = as_json ? json_array() : NULL;
    if (!as_json) {
        printf("tradepipe report --compare\n  A: %s\n  B: %s\n\n", a.title, b.title);
        printf("%-28s %22s %22s %22s\n", "figure", "A", "B", "B - A");
    }
    for (size_t k = 0; k < sizeof k_figs / sizeof k_figs[0]; k++) {
        s_val_t va = s_fig(&a, k), vb = s_fig(&b, k);
        s_val_t d = { va.has && vb.has, 0, 0 };
        if (d.has) {
            d.d = vb.d - va.d;
            if (money_sub(vb.i, va.i, &d.i) < 0) {
                d.has = false;
            }
        }
        char ta[64], tb[64], td[64];
        s_kind_t kind = k_figs[k].kind;
        (void)s_fmt(kind, va, false, ta, sizeof ta);
        (void)s_fmt(kind, vb, false, tb, sizeof tb);
        (void)s_fmt(kind, d, true, td, sizeof td);
        if (as_json) {
            json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "figure", k_figs[k].name, "a", ta, "b",
                                  tb, "diff", td);
            if (o == NULL || json_array_append_new(rows, o) != 0) {
                goto out;
            }
        } else {
            printf("%-28s %22s %22s %22s\n", k_figs[k].name, ta, tb, td);
        }
    }
    if (as_json) {
        json_t *root = json_pack("{s:s, s:s, s:O}", "a", a.title, "b", b.title, "figures", rows);
        if (root == NULL || json_dumpf(root, stdout, JSON_COMPACT) != 0
            || fputc('\n', stdout) == EOF) {
            json_decref(root);
            fprintf(stderr, "report: cannot write JSON\n");
            goto out;
        }
        json_decref(root);
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    json_decref(rows);
    s_side_free(&a);
    s_side_free(&b);
    return rc;
}

static int
s_usage(void)
{
    fprintf(stderr, "usage: report DB [--run ID] [--json | --html FILE]\n"
                    "       report DB --runs [--json]\n"
                    "       report --compare A.db B.db [--json]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    const char *path = NULL;
    bool as_json = false;
    const char *html = NULL;
    const char *run_id = NULL;
    bool list_runs = false;
    const char *cmp[2] = { NULL, NULL };
    report_x_t x;
    memset(&x, 0, sizeof x);
    sqlite3 *db = NULL;
    report_t r;
    int rc = 1;

    log_init("report", LOG_WARN);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            as_json = true;
        } else if (strcmp(argv[i], "--html") == 0 && i + 1 < argc) {
            html = argv[++i];
        } else if (strcmp(argv[i], "--run") == 0 && i + 1 < argc) {
            run_id = argv[++i];
        } else if (strcmp(argv[i], "--runs") == 0) {
            list_runs = true;
        } else if (strcmp(argv[i], "--compare") == 0 && i + 2 < argc) {
            cmp[0] = argv[++i];
            cmp[1] = argv[++i];
        } else if (argv[i][0] == '-' || path != NULL) {
            return s_usage();
        } else {
            path = argv[i];
        }
    }
    if (cmp[0] != NULL) {
        if (path != NULL || html != NULL || run_id != NULL || list_runs) {
            return s_usage();
        }
        return s_compare(cmp[0], cmp[1], as_json);
    }
    if (path == NULL || (html != NULL && as_json) || (list_runs && (html || run_id))) {
        return s_usage();
    }
    /* read-only: a report never changes the database (the recorder may still be writing) */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "report: cannot open %s: %s\n", path,
                db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return 1;
    }
    (void)sqlite3_busy_timeout(db, 2000); /* a checkpoint in progress is worth a short wait */
    memset(&r, 0, sizeof r);
    if (list_runs) {
        rc = s_list_runs(db, path, as_json);
        goto out;
    }
    report_run_t run;
    int sel = report_select_run(db, run_id, &run);
    if (sel < 0) {
        if (errno == ENOENT) {
            fprintf(stderr, "report: %s has no run %s (report %s --runs lists them)\n", path,
                    run_id, path);
        } else {
            fprintf(stderr, "report: cannot read %s: %s\n", path,
                    errno == EIO ? sqlite3_errmsg(db) : strerror(errno));
        }
        goto out;
    }
    if (report_load(db, &r) < 0) {
        fprintf(stderr, "report: cannot read %s: %s\n", path,
                errno == EIO ? sqlite3_errmsg(db) : strerror(errno));
        goto out;
    }
    r.has_run = sel > 0;
    r.run = run;
    char title[600];
    if (sel > 0) {
        (void)snprintf(title, sizeof title, "%s, run %s", path, run.run_id);
    } else {
        (void)snprintf(title, sizeof title, "%s", path);
    }
    if (report_x_load(db, &r, &x) < 0) {
        fprintf(stderr, "report: cannot read %s: %s\n", path,
                errno == EIO ? sqlite3_errmsg(db) : strerror(errno));
        goto out;
    }
    if (html != NULL) {
        char tmp[] = "/tmp/tp-report.XXXXXX";
        if (mkdtemp(tmp) == NULL) {
            fprintf(stderr, "report: cannot make a temporary directory: %s\n", strerror(errno));
            goto out;
        }
        FILE *f = fopen(html, "w");
        int hr = f ? report_html(f, db, &r, &x, title, tmp) : -1;
        if (f == NULL || hr < 0) {
            fprintf(stderr, "report: cannot write %s: %s\n", html, strerror(errno));
        }
        if (f != NULL && fclose(f) != 0) {
            hr = -1;
        }
        static const char *const files[] = { "charts.gp", "equity.svg", "drawdown.svg",
                                             "price.svg" };
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            char p[64];
            (void)snprintf(p, sizeof p, "%s/%s", tmp, files[i]);
            (void)unlink(p);
        }
        (void)rmdir(tmp);
        if (hr < 0) {
            goto out;
        }
        /* the page only: the text report is not printed as well */
        printf("report: wrote %s (%s)\n", html, title);
    } else if (as_json) {
        json_t *j = report_json(&r);
        if (j != NULL && report_x_json(&x, j) < 0) {
            json_decref(j);
            j = NULL;
        }
        if (j == NULL || json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(12)) != 0
            || fputc('\n', stdout) == EOF) {
            fprintf(stderr, "report: cannot write JSON\n");
            json_decref(j);
            goto out;
        }
        json_decref(j);
    } else if (report_print(stdout, &r, title) < 0 || report_x_print(stdout, &x) < 0) {
        fprintf(stderr, "report: cannot write output: %s\n", strerror(errno));
        goto out;
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    report_x_free(&x);
    report_free(&r);
    sqlite3_close(db);
    return rc;
}
