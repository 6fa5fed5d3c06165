/*  report - print a summary of a recorder database (tools/report/report.h has the definitions).
 *  Usage: build/bin/report DB [--json]
 *  Exit codes:
 *    0  printed
 *    1  the database cannot be read (missing file, not a recorder database, SQL error)
 *    2  bad arguments
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "common/log.h"
#include "tools/report/report.h"

static int
s_usage(void)
{
    fprintf(stderr, "usage: report DB [--json]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    const char *path = NULL;
    bool as_json = false;
    sqlite3 *db = NULL;
    report_t r;
    int rc = 1;

    log_init("report", LOG_WARN);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            as_json = true;
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
    if (as_json) {
        json_t *j = report_json(&r);
        if (j == NULL || json_dumpf(j, stdout, JSON_COMPACT) != 0 || fputc('\n', stdout) == EOF) {
            fprintf(stderr, "report: cannot write JSON\n");
            json_decref(j);
            goto out;
        }
        json_decref(j);
    } else if (report_print(stdout, &r, path) < 0) {
        fprintf(stderr, "report: cannot write output: %s\n", strerror(errno));
        goto out;
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    report_free(&r);
    sqlite3_close(db);
    return rc;
}
