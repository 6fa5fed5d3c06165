/*  report - print a summary of a recorder database (tools/report/report.h has the definitions).
 *  Usage: build/bin/report DB [--json] [--html FILE]
 *    text (default) or --json on stdout; --html FILE also writes one self-contained page with
 *    gnuplot SVG charts (tools/report/analytics.h). Needs `gnuplot` (Debian gnuplot-nox).
 *  Exit codes:
 *    0  printed
 *    1  the database cannot be read (missing file, not a recorder database, SQL error)
 *    2  bad arguments
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "common/log.h"
#include "tools/report/analytics.h"
#include "tools/report/report.h"

static int
s_usage(void)
{
    fprintf(stderr, "usage: report DB [--json] [--html FILE]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    const char *path = NULL;
    bool as_json = false;
    const char *html = NULL;
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
        } else if (argv[i][0] == '-' || path != NULL) {
            return s_usage();
        } else {
            path = argv[i];
        }
    }
    if (path == NULL) {
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
    if (report_load(db, &r) < 0) {
        fprintf(stderr, "report: cannot read %s: %s\n", path,
                errno == EIO ? sqlite3_errmsg(db) : strerror(errno));
        goto out;
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
        int hr = f ? report_html(f, db, &r, &x, path, tmp) : -1;
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
    }
    if (as_json) {
        json_t *j = report_json(&r);
        if (j != NULL && report_x_json(&x, j) < 0) {
            json_decref(j);
            j = NULL;
        }
        if (j == NULL || json_dumpf(j, stdout, JSON_COMPACT) != 0 || fputc('\n', stdout) == EOF) {
            fprintf(stderr, "report: cannot write JSON\n");
            json_decref(j);
            goto out;
        }
        json_decref(j);
    } else if (report_print(stdout, &r, path) < 0 || report_x_print(stdout, &x) < 0) {
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
