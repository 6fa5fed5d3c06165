/*  report - print a summary of one run of a recorder database (tools/report/report.h has the
 *  definitions).
 *  Usage: build/bin/report DB [--run ID] [--json | --html FILE]
 *         build/bin/report DB --runs [--json]
 *    One run: the latest in the file, or --run ID. Text (default) or --json on stdout; --html
 *    FILE writes one self-contained page with gnuplot SVG charts (tools/report/analytics.h;
 *    needs `gnuplot`, Debian gnuplot-nox) and prints only where it wrote it. --runs lists the
 *    runs in the file (id, start, end, clean, unclean stops, events), oldest first.
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

static int
s_usage(void)
{
    fprintf(stderr, "usage: report DB [--run ID] [--json | --html FILE]\n"
                    "       report DB --runs [--json]\n");
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
        } else if (argv[i][0] == '-' || path != NULL) {
            return s_usage();
        } else {
            path = argv[i];
        }
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
