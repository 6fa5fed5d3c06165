/*  bench_backtest - the floors of the backtest rows of tests/bench/run_bench.sh (docs/backtest.md
 *  "Speed"). Not a benchmark on its own (run_bench.sh runs it with the backtest's files):
 *    bench_backtest csv PX_SCALE QTY_SCALE FILE...
 *        The raw read and parse of Binance kline CSV files: each file read with one fread per
 *        64 KiB, split into rows and columns, every time and count parsed as an integer and
 *        open/high/low/close at PX_SCALE, volume and taker-buy volume at QTY_SCALE, quote
 *        volume at 8 (money_parse: exact fixed point, as the feed parses them). Prints
 *        "rows N seconds S" (best of 3 passes; wall clock, monotonic).
 *    bench_backtest insert SRC.db DST.db BATCH
 *        A raw batched SQLite insert of the same rows: every row of every table of SRC (a
 *        backtest's database) read into memory first, then inserted into DST (created with the
 *        recorder's schema and pragmas, schema_open) through one prepared INSERT per table,
 *        BATCH rows per transaction. Prints "rows N events E seconds S" (the insert alone).
 *  Exit 0, or 1 with the reason on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/clock.h"
#include "common/money.h"
#include "recorder/schema.h"

/* ---- csv -------------------------------------------------------------------------------- */

typedef struct {
    int px, qty;
    uint64_t rows, bad;
    int64_t sum; /* keeps the parse from being optimised away */
} s_csv_t;

static int
s_i64(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    if (n == 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static void
s_row(s_csv_t *c, const char *row, size_t len)
{
    const char *col[12];
    size_t clen[12];
    size_t n = 0;
    const char *p = row, *end = row + len;
    while (n < 12) {
        const char *q = memchr(p, ',', (size_t)(end - p));
        if (!q) {
            q = end;
        }
        col[n] = p;
        clen[n++] = (size_t)(q - p);
        if (q == end) {
            break;
        }
        p = q + 1;
    }
    if (n != 12) {
        c->bad++;
        return;
    }
    int64_t v[12];
    static const int k_scale[12] = { -1, 0, 0, 0, 0, 1, -1, 2, -1, 1, 2, -1 }; /* 0 px 1 qty 2 q */
    for (size_t i = 0; i < 12; i++) {
        int rc;
        if (i == 11) {
            continue; /* "ignore" */
        }
        if (k_scale[i] < 0) {
            rc = s_i64(col[i], clen[i], &v[i]);
        } else {
            int sc = k_scale[i] == 0 ? c->px : k_scale[i] == 1 ? c->qty : 8;
            rc = money_parse(col[i], clen[i], sc, &v[i]);
        }
        if (rc != 0) {
            c->bad++;
            return;
        }
        c->sum += v[i];
    }
    c->rows++;
}

static int
s_csv_file(s_csv_t *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench_backtest: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    static char buf[65536 + 4096];
    size_t have = 0;
    for (;;) {
        size_t got = fread(buf + have, 1, 65536, f);
        have += got;
        size_t start = 0;
        for (size_t i = 0; i < have; i++) {
            if (buf[i] == '\n') {
                size_t e = i;
                if (e > start && buf[e - 1] == '\r') {
                    e--;
                }
                if (e > start) {
                    s_row(c, buf + start, e - start);
                }
                start = i + 1;
            }
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (got == 0) {
            break;
        }
        if (have > 4096) {
            fprintf(stderr, "bench_backtest: %s: a row over 4 KiB\n", path);
            fclose(f);
            return -1;
        }
    }
    if (have > 0) {
        s_row(c, buf, have);
    }
    fclose(f);
    return 0;
}

static int
s_csv(int argc, char **argv)
{
    if (argc < 5) {
        return -1;
    }
    double best = -1;
    s_csv_t c;
    for (int pass = 0; pass < 3; pass++) {
        memset(&c, 0, sizeof c);
        c.px = atoi(argv[2]);
        c.qty = atoi(argv[3]);
        int64_t t0 = clock_mono_ns();
        for (int i = 4; i < argc; i++) {
            if (s_csv_file(&c, argv[i]) != 0) {
                return 1;
            }
        }
        double s = (double)(clock_mono_ns() - t0) / 1e9;
        if (best < 0 || s < best) {
            best = s;
        }
    }
    printf("rows %llu bad %llu seconds %.6f (check %lld)\n", (unsigned long long)c.rows,
           (unsigned long long)c.bad, best, (long long)c.sum);
    return 0;
}

/* ---- insert ----------------------------------------------------------------------------- */

typedef struct {
    char name[64];
    int ncol;
    size_t nrows;
    sqlite3_value **vals; /* nrows * ncol */
} s_table_t;

static int
s_load_table(sqlite3 *src, s_table_t *t)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT * FROM \"%.64s\"", t->name);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(src, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    t->ncol = sqlite3_column_count(st);
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (t->nrows == cap) {
            cap = cap ? cap * 2 : 1024;
            sqlite3_value **v = realloc(t->vals, cap * (size_t)t->ncol * sizeof *v);
            if (!v) {
                sqlite3_finalize(st);
                return -1;
            }
            t->vals = v;
        }
        for (int k = 0; k < t->ncol; k++) {
            t->vals[t->nrows * (size_t)t->ncol + (size_t)k] =
                sqlite3_value_dup(sqlite3_column_value(st, k));
        }
        t->nrows++;
    }
    sqlite3_finalize(st);
    return 0;
}

static int
s_insert(int argc, char **argv)
{
    if (argc != 5) {
        return -1;
    }
    size_t batch = (size_t)atol(argv[4]);
    sqlite3 *src = NULL;
    if (sqlite3_open_v2(argv[2], &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_backtest: cannot open %s\n", argv[2]);
        return 1;
    }
    s_table_t tabs[64];
    size_t nt = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(src,
                           "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                           "'sqlite_%' ORDER BY name",
                           -1, &st, NULL)
        != SQLITE_OK) {
        return 1;
    }
    while (sqlite3_step(st) == SQLITE_ROW && nt < 64) {
        memset(&tabs[nt], 0, sizeof tabs[nt]);
        snprintf(tabs[nt].name, sizeof tabs[nt].name, "%s", sqlite3_column_text(st, 0));
        nt++;
    }
    sqlite3_finalize(st);
    size_t rows = 0, events = 0;
    for (size_t i = 0; i < nt; i++) {
        if (s_load_table(src, &tabs[i]) != 0) {
            fprintf(stderr, "bench_backtest: cannot read %s: %s\n", tabs[i].name,
                    sqlite3_errmsg(src));
            return 1;
        }
        rows += tabs[i].nrows;
        if (strcmp(tabs[i].name, "events") == 0) {
            events = tabs[i].nrows;
        }
    }
    sqlite3_close(src);
    sqlite3 *dst = schema_open(argv[3], 5000);
    if (!dst) {
        fprintf(stderr, "bench_backtest: cannot create %s\n", argv[3]);
        return 1;
    }
    int64_t t0 = clock_mono_ns();
    size_t in_tx = 0;
    (void)sqlite3_exec(dst, "BEGIN", NULL, NULL, NULL);
    for (size_t i = 0; i < nt; i++) {
        s_table_t *t = &tabs[i];
        if (t->nrows == 0) {
            continue;
        }
        char sql[1024];
        int n = snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO \"%.64s\" VALUES (", t->name);
        for (int k = 0; k < t->ncol; k++) {
            n += snprintf(sql + n, sizeof sql - (size_t)n, "%s?", k ? "," : "");
        }
        snprintf(sql + n, sizeof sql - (size_t)n, ")");
        if (sqlite3_prepare_v2(dst, sql, -1, &st, NULL) != SQLITE_OK) {
            fprintf(stderr, "bench_backtest: %s: %s\n", t->name, sqlite3_errmsg(dst));
            return 1;
        }
        for (size_t r = 0; r < t->nrows; r++) {
            for (int k = 0; k < t->ncol; k++) {
                sqlite3_bind_value(st, k + 1, t->vals[r * (size_t)t->ncol + (size_t)k]);
            }
            if (sqlite3_step(st) != SQLITE_DONE) {
                fprintf(stderr, "bench_backtest: %s: %s\n", t->name, sqlite3_errmsg(dst));
                return 1;
            }
            sqlite3_reset(st);
            if (++in_tx == batch) {
                (void)sqlite3_exec(dst, "COMMIT", NULL, NULL, NULL);
                (void)sqlite3_exec(dst, "BEGIN", NULL, NULL, NULL);
                in_tx = 0;
            }
        }
        sqlite3_finalize(st);
    }
    if (sqlite3_exec(dst, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_backtest: commit: %s\n", sqlite3_errmsg(dst));
        return 1;
    }
    double s = (double)(clock_mono_ns() - t0) / 1e9;
    sqlite3_close(dst);
    for (size_t i = 0; i < nt; i++) {
        for (size_t v = 0; v < tabs[i].nrows * (size_t)tabs[i].ncol; v++) {
            sqlite3_value_free(tabs[i].vals[v]);
        }
        free(tabs[i].vals);
    }
    printf("rows %zu events %zu seconds %.6f\n", rows, events, s);
    return 0;
}

int
main(int argc, char **argv)
{
    int rc = -1;
    if (argc >= 2 && strcmp(argv[1], "csv") == 0) {
        rc = s_csv(argc, argv);
    } else if (argc >= 2 && strcmp(argv[1], "insert") == 0) {
        rc = s_insert(argc, argv);
    }
    if (rc < 0) {
        fprintf(stderr, "usage: bench_backtest csv PX_SCALE QTY_SCALE FILE... | insert SRC.db "
                        "DST.db BATCH\n");
        return 2;
    }
    return rc;
}
