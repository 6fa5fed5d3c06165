/*  backtest - the group's stage modules in one process over the recorded data of a config
 *  (tools/backtest/pipeline.h, docs/backtest.md).
 *  Usage: build/bin/backtest -c CONFIG [--db FILE] [--record full|trading|none] [--feed-only]
 *         [--set KEY=VALUE]... [-l LEVEL]
 *         [--data PATH...] [--symbol S] [--from DATE] [--to DATE] [--skip-bad]
 *    --data, --symbol, --from, --to, --skip-bad  your own data (owndata.h, docs/backtest.md
 *               "Your own data"): applied after the --set overrides
 *    --set KEY=VALUE  override one key of the config (common/cfg.h cfg_set: the key must be
 *               in the file, the value of its kind; repeatable, applied in order)
 *    --db FILE  the database to write (must not exist); default: a new directory
 *               <run_dir>/backtest.XXXXXX (0700) holding tradepipe.db
 *    --feed-only  (with --record none) the feed's parsers and books alone: what the sessions
 *               publish is counted and dropped (the floor of the L2 bench row)
 *    --record   full (default: every message, as the group records it), trading (signals,
 *               orders, fills, positions, balances), none (no database, nothing written:
 *               the summary from in-memory counts, no report)
 *    -l LEVEL   log level on stderr (default "warn"; the config's log_level is the stages')
 *    --result FILE  also write the run's figures as a sweep result (tools/backtest/result.h;
 *               not with --record none: it reads the database)
 *    --rm-db    remove the database (and the run directory made for it) at the end
 *  With --grid, --walk-forward, --print-jobs or --merge it is a sweep (tools/backtest/sweep.h).
 *  Output: a summary on stdout (data, steps, messages, rows, wall time) ending with the report
 *  of the database (tools/report, as `build/bin/report DB` prints it). Logs go to stderr.
 *  Exit codes:
 *    0  the replay ran to its end barrier and everything was committed
 *    1  runtime failure (a commit failed, the report could not be read)
 *    2  bad arguments or bad config (file:line: key: why)
 *    3  cannot create the database or its directory
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/cfg.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/money.h"
#include "tools/backtest/owndata.h"
#include "tools/backtest/pipeline.h"
#include "tools/backtest/sweep.h"
#include "tools/report/analytics.h"
#include "tools/report/report.h"

static int
s_usage(void)
{
    fprintf(stderr,
            "usage: backtest -c CONFIG [--db FILE] [--record full|trading|none] [--feed-only]\n"
            "                [--set KEY=VALUE]... [-l LEVEL]\n"
            "                [--data PATH...] [--symbol S] [--from DATE] [--to DATE] "
            "[--skip-bad]\n"
            "                [--result FILE [--rm-db]]\n"
            "       backtest -c CONFIG --grid KEY=V1,V2,... ... (docs/backtest.md "
            "\"Sweeps and walk-forward\")\n");
    return 2;
}

/* mkdir -p for the run directory (0700 for what we create). 0 or -1. */
static int
s_mkdirs(const char *dir)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *s = buf + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
                return -1;
            }
            *s = '/';
        }
    }
    return mkdir(buf, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static int
s_report(const char *path)
{
    sqlite3 *db = NULL;
    report_t r;
    report_x_t x;
    memset(&r, 0, sizeof r);
    memset(&x, 0, sizeof x);
    int rc = 1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "backtest: cannot open %s: %s\n", path,
                db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return 1;
    }
    if (report_load(db, &r) < 0 || report_x_load(db, &r, &x) < 0) {
        fprintf(stderr, "backtest: cannot read %s: %s\n", path,
                errno == EIO ? sqlite3_errmsg(db) : strerror(errno));
    } else if (report_print(stdout, &r, path) == 0 && report_x_print(stdout, &x) == 0) {
        rc = 0;
    }
    report_x_free(&x);
    report_free(&r);
    sqlite3_close(db);
    return rc;
}

int
main(int argc, char **argv)
{
    const char *cfg_path = NULL, *db_arg = NULL, *level = NULL;
    pipeline_record_t record = PIPELINE_RECORD_FULL;
    bool feed_only = false;
    const char *sets[64];
    int n_sets = 0;
    /* sweeps (tools/backtest/sweep.h): --grid, --walk-forward, --print-jobs, --merge; a
     * sweep's worker is a single run with --result FILE [--rm-db] */
    if (sweep_wanted(argc, argv)) {
        return sweep_main(argc, argv);
    }
    const char *result_path = NULL;
    bool rm_db = false;
    static owndata_t own; /* ~32 KB of borrowed paths: not on the stack */
    for (int i = 1; i < argc; i++) {
        int r = owndata_arg(&own, argc, argv, &i);
        if (r != 0) {
            if (r < 0) {
                return 2;
            }
        } else if (strcmp(argv[i], "--result") == 0 && i + 1 < argc) {
            result_path = argv[++i];
        } else if (strcmp(argv[i], "--rm-db") == 0) {
            rm_db = true;
        } else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            cfg_path = argv[++i];
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db_arg = argv[++i];
        } else if (strcmp(argv[i], "--record") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "full") == 0) {
                record = PIPELINE_RECORD_FULL;
            } else if (strcmp(m, "trading") == 0) {
                record = PIPELINE_RECORD_TRADING;
            } else if (strcmp(m, "none") == 0) {
                record = PIPELINE_RECORD_NONE;
            } else {
                fprintf(stderr, "backtest: --record %s: not full, trading or none\n", m);
                return 2;
            }
        } else if (strcmp(argv[i], "--feed-only") == 0) {
            feed_only = true;
        } else if (strcmp(argv[i], "-l") == 0 && i + 1 < argc) {
            level = argv[++i];
        } else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            if (n_sets == (int)(sizeof sets / sizeof sets[0]) || !strchr(argv[i + 1], '=')) {
                fprintf(stderr, "backtest: --set %s: expected KEY=VALUE (at most %zu)\n",
                        argv[i + 1], sizeof sets / sizeof sets[0]);
                return 2;
            }
            sets[n_sets++] = argv[++i];
        } else {
            return s_usage();
        }
    }
    if (!cfg_path) {
        return s_usage();
    }
    if (feed_only && record != PIPELINE_RECORD_NONE) {
        fprintf(stderr, "backtest: --feed-only runs nothing downstream: it needs --record none\n");
        return 2;
    }
    if (record == PIPELINE_RECORD_NONE && (result_path || rm_db)) {
        fprintf(stderr, "backtest: %s reads the run's database: not with --record none\n",
                result_path ? "--result" : "--rm-db");
        return 2;
    }
    if (record == PIPELINE_RECORD_NONE && db_arg) {
        fprintf(stderr, "backtest: --db %s with --record none: nothing is written\n", db_arg);
        return 2;
    }
    char err[512];
    cfg_t *cfg = cfg_load(cfg_path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "backtest: %s\n", err);
        return 2;
    }
    for (int i = 0; i < n_sets; i++) {
        char key[256];
        const char *eq = strchr(sets[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[i]), sets[i]);
        if (cfg_set(cfg, key, eq + 1) != 0) {
            fprintf(stderr, "backtest: %s\n", cfg_error(cfg));
            cfg_destroy(&cfg);
            return 2;
        }
    }
    if (owndata_apply(&own, cfg, err, sizeof err) != 0) {
        fprintf(stderr, "backtest: %s\n", err);
        cfg_destroy(&cfg);
        return 2;
    }
    const char *mode = NULL;
    if (cfg_str(cfg, "mode", "replay", &mode) != 0) {
        fprintf(stderr, "backtest: %s\n", cfg_error(cfg));
        cfg_destroy(&cfg);
        return 2;
    }
    if (strcmp(mode, "replay") != 0) {
        fprintf(stderr,
                "backtest: %s:%d: mode: a backtest replays recorded data (\"replay\"), not %s\n",
                cfg_file(cfg), cfg_line(cfg, "mode"), mode);
        cfg_destroy(&cfg);
        return 2;
    }
    log_level_t lv = LOG_WARN; /* the stages' start-up notices are noise in one process */
    if (level && log_level_parse(level, &lv) != 0) {
        fprintf(stderr, "backtest: bad log level %s\n", level);
        cfg_destroy(&cfg);
        return 2;
    }
    log_init("backtest", lv);
    char db[1100] = "";
    if (record == PIPELINE_RECORD_NONE) {
        /* no database, no run directory */
    } else if (db_arg) {
        snprintf(db, sizeof db, "%s", db_arg);
    } else {
        char dir[1024];
        int n = snprintf(dir, sizeof dir, "%s/backtest.XXXXXX", cfg_run_dir(cfg));
        if (n >= (int)sizeof dir || s_mkdirs(cfg_run_dir(cfg)) != 0 || !mkdtemp(dir)) {
            fprintf(stderr, "backtest: cannot make a run directory under %s: %s\n",
                    cfg_run_dir(cfg), strerror(errno));
            cfg_destroy(&cfg);
            return 3;
        }
        snprintf(db, sizeof db, "%s/tradepipe.db", dir);
    }
    int64_t t0 = clock_mono_ns();
    pipeline_t *p = pipeline_new_record(cfg, record == PIPELINE_RECORD_NONE ? NULL : db, record);
    if (!p) {
        int e = errno;
        if (e == EINVAL) {
            fprintf(stderr, "backtest: %s\n", cfg_error(cfg));
        } else {
            fprintf(stderr, "backtest: cannot start: %s\n", strerror(e));
        }
        cfg_destroy(&cfg);
        return e == EINVAL ? 2 : 3;
    }
    pipeline_set_feed_only(p, feed_only);
    if (owndata_check(&own, pipeline_source(p), err, sizeof err) != 0) {
        fprintf(stderr, "backtest: %s\n", err);
        pipeline_destroy(&p);
        cfg_destroy(&cfg);
        return 2;
    }
    int64_t t1 = clock_mono_ns();
    int rc = pipeline_run(p) == 0 ? 0 : 1;
    int64_t t2 = clock_mono_ns();
    const pipeline_stats_t *s = pipeline_stats(p);
    printf("backtest %s\n", cfg_file(cfg));
    static const char *const k_mode[] = { "full", "trading", "none" };
    if (record == PIPELINE_RECORD_NONE) {
        printf("  database     none (--record none: nothing written; run %s)\n",
               pipeline_run_id(p));
    } else {
        printf("  database     %s (run %s, --record %s)\n", db, pipeline_run_id(p), k_mode[record]);
    }
    char first[32], last[32];
    printf("  data         %llu frames, %llu handed to the feed, event time %s .. %s\n",
           (unsigned long long)s->frames, (unsigned long long)s->handed,
           clock_fmt_iso(s->first_ms * CLOCK_NS_PER_MS, first, sizeof first),
           clock_fmt_iso(s->last_ms * CLOCK_NS_PER_MS, last, sizeof last));
    owndata_print(&own, pipeline_source(p), stdout);
    printf("  steps        %llu\n", (unsigned long long)s->steps);
    printf("  feed         %llu events published by the sessions%s\n",
           (unsigned long long)s->feed_events, feed_only ? " (--feed-only: dropped)" : "");
    const pipeline_tally_t *t = pipeline_tally(p);
    if (record == PIPELINE_RECORD_NONE) {
        printf("  messages     %llu delivered, 0 recorded (%llu with --record full)\n",
               (unsigned long long)s->messages, (unsigned long long)t->messages);
    } else {
        printf("  messages     %llu delivered, %llu recorded\n", (unsigned long long)s->messages,
               (unsigned long long)s->recorded);
    }
    char pnl[40], fees[40], net[40], wallet[40];
    money_fmt(t->realized_pnl, MONEY_VALUE_SCALE, pnl, sizeof pnl);
    money_fmt(t->fees, MONEY_VALUE_SCALE, fees, sizeof fees);
    money_fmt(t->realized_pnl - t->fees, MONEY_VALUE_SCALE, net, sizeof net);
    money_fmt(t->end_wallet, MONEY_VALUE_SCALE, wallet, sizeof wallet);
    printf("  trading      %llu signals, %llu order updates, %llu fills, %llu balances\n",
           (unsigned long long)t->signals, (unsigned long long)t->order_updates,
           (unsigned long long)t->fills, (unsigned long long)t->balances);
    printf("  pnl          realized (gross) %s, fees %s, net %s, last wallet %s\n", pnl, fees, net,
           wallet);
    printf("  wall time    %.3f s (load %.3f s, run %.3f s)\n", (double)(t2 - t0) / 1e9,
           (double)(t1 - t0) / 1e9, (double)(t2 - t1) / 1e9);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        printf("  peak RSS     %ld KiB\n", ru.ru_maxrss);
        printf("  cpu time     %.3f s user, %.3f s system\n",
               (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    }
    fflush(stdout);
    pipeline_destroy(&p);
    if (rc == 0 && record != PIPELINE_RECORD_NONE) {
        printf("\n");
        fflush(stdout);
        rc = s_report(db);
    }
    if (rc == 0 && result_path && sweep_write_result(result_path, db, cfg, argc, argv) != 0) {
        rc = 1;
    }
    if (rm_db) { /* the database (and the run directory made for it) */
        const char *sfx[] = { "", "-wal", "-shm", "-journal" };
        for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
            char f[1200];
            snprintf(f, sizeof f, "%s%s", db, sfx[i]);
            (void)remove(f);
        }
        if (!db_arg) {
            *strrchr(db, '/') = '\0';
            (void)rmdir(db);
        }
    }
    cfg_destroy(&cfg);
    return rc;
}
