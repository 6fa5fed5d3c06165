/*  result.h - the figures of one backtest run for a sweep (docs/backtest.md "Sweeps"): computed
 *  from the run's database by the report module, written to and read from a small JSON file
 *  (`backtest --result FILE`), ranked, and printed as a table, CSV and JSON.
 *  Owns:  a result_t's override list and equity curve (result_free).
 *  Not:   running anything (sweep.h), the definitions of the figures (tools/report: report.h,
 *         analytics.h).
 *  Figures (all of the run reported by report_select_run, i.e. the run in the database):
 *   - net PnL: report.h net (realized gross - fees), VALUE scale (8).
 *   - return %: (last - first) / first x 100 of the equity curve (balances; analytics.h), at
 *     scale 2 half-even; without balances rows, net / account.start_balance. Unknown (no
 *     have_return) when the base is not positive.
 *   - max drawdown %: report.h max_dd_pct (scale 2, -1 unknown).
 *   - Sharpe: analytics.h daily Sharpe (have_sharpe false when undefined), kept at 4 decimals.
 *   - trades: round trips (report.h); wins / losses; win rate % (scale 2, -1 without trips);
 *     profit factor: gross_win / gross_loss (analytics.h; < 0 undefined: no losing trip),
 *     kept at 4 decimals.
 *   - bars: sig.bar.* messages recorded (every bar any timeframe closed), for bars/s.
 *  File format (JSON object, one per run; numbers as JSON numbers, money as decimal strings):
 *    {"format": "tradepipe-backtest-result/1", "config", "db", "run_id", "from", "to",
 *     "set": [{"key", "value"}...], "first_evt", "last_evt" (ISO, event time of the run),
 *     "bars", "net_pnl", "fees", "start_equity", "end_equity", "return_pct", "max_drawdown_pct",
 *     "sharpe", "trades", "wins", "losses", "win_rate", "profit_factor", "gross_win",
 *     "gross_loss", "equity": [[evt_ms, "decimal"]...]}; an undefined figure is null.
 */
#ifndef TP_RESULT_H
#define TP_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "tools/report/analytics.h"

#define RESULT_TEXT_MAX 256

/* One --set override of the run: key and the value text as given ("12", "\"0.5\""). */
typedef struct {
    char key[RESULT_TEXT_MAX];
    char value[RESULT_TEXT_MAX];
} result_set_t;

typedef struct {
    char config[4200], db[4200], run_id[64];
    char from[64], to[64]; /* the --from / --to of the run as given ("" = whole data) */
    result_set_t *sets;
    size_t n_sets;
    int64_t first_evt, last_evt; /* ns, event time of the run (0 = none) */
    int64_t bars;
    int64_t net, fees;                /* VALUE scale */
    int64_t start_equity, end_equity; /* VALUE scale */
    bool have_return;
    int64_t return_pct; /* scale 2 */
    int64_t max_dd_pct; /* scale 2, -1 unknown */
    bool have_sharpe;
    double sharpe;
    int64_t trades, wins, losses;
    int64_t win_rate;              /* scale 2, -1 without trips */
    double profit_factor;          /* < 0 undefined */
    int64_t gross_win, gross_loss; /* VALUE scale, gross_loss >= 0 */
    report_pt_t *equity;           /* the equity curve (evt ns, VALUE) */
    size_t n_equity;
} result_t;

/* The metrics a sweep ranks by. */
typedef enum {
    RESULT_NET_PNL = 0,
    RESULT_RETURN,
    RESULT_MAX_DD, /* lower is better */
    RESULT_SHARPE,
    RESULT_TRADES,
    RESULT_WIN_RATE,
    RESULT_PROFIT_FACTOR,
    RESULT_METRIC_COUNT
} result_metric_t;

/* Metric by name: net_pnl, return_pct, max_drawdown_pct, sharpe, trades, win_rate,
 * profit_factor. 0, or -1/EINVAL. */
int result_metric_parse(const char *name, result_metric_t *out);
const char *result_metric_name(result_metric_t m); /* static string */

/* Compute the figures of the database at `db` (opened read-only). `start_balance` (VALUE scale)
 * is the base of return % when the run has no balances rows. The strings are copied. *out is
 * zeroed first; result_free it even on failure. 0, or -1 with errno EIO (cannot open or read the
 * database: a message in err[errlen]), ENOMEM, ERANGE. */
int result_from_db(const char *db, int64_t start_balance, result_t *out, char *err, size_t errlen);

/* Add an override (copied; key and value must fit RESULT_TEXT_MAX). 0, or -1 ENOMEM/ENAMETOOLONG.
 */
int result_add_set(result_t *r, const char *key, const char *value);

/* The result as a JSON object (format above). Caller owns it. NULL/ENOMEM. */
json_t *result_json(const result_t *r);

/* Write / read a result file. Write: to path.tmp, then renamed (a reader never sees half a
 * file). Read: *out zeroed; result_free even on failure. 0, or -1 with errno (EIO/ENOENT/...,
 * EINVAL for a file that is not a result, with the reason in err[errlen]). */
int result_write(const char *path, const result_t *r);
int result_read(const char *path, result_t *out, char *err, size_t errlen);

void result_free(result_t *r);

/* Compare for ranking by `m`: < 0 when a ranks before b (better); undefined figures last. */
int result_cmp(const result_t *a, const result_t *b, result_metric_t m);

/* Sort idx[n] (indexes into rs) best first by m; ties keep index order. */
void result_rank(const result_t *rs, size_t *idx, size_t n, result_metric_t m);

/* The ranking table: one line per result in idx order (rank, net PnL, return %, max drawdown %,
 * Sharpe, trades, win rate %, profit factor, then the value of each override key that appears
 * in any result, in order of first appearance). With `labels`, the first column is headed
 * `head` and holds labels[i] instead of the rank. 0 or -1/EIO. */
int result_print_table(FILE *fp, const result_t *rs, const size_t *idx, size_t n, const char *head,
                       const char *const *labels);

/* The same table as CSV (header row; RFC 4180 quoting; unknown figures empty; then the
 * columns from, to, first_evt, last_evt, db) and as a JSON array of row objects {rank (or
 * head: label), set: {key: value}, net_pnl, return_pct, max_drawdown_pct, sharpe, trades,
 * win_rate, profit_factor, from, to, first_evt, last_evt, db}. 0 or -1 with errno. */
int result_write_csv(FILE *fp, const result_t *rs, const size_t *idx, size_t n, const char *head,
                     const char *const *labels);
json_t *result_rows_json(const result_t *rs, const size_t *idx, size_t n, const char *head,
                         const char *const *labels);

/* Dump a JSON value to a file (2-space indent, reals at 10 significant digits), via path.tmp
 * renamed into place. 0 or -1 with errno. */
int result_dump_file(json_t *v, const char *path);

/* Format helpers for text: a scale-2 percent ("14.69", "-" when < 0 and `minus_unknown`). */
void result_fmt_pct(int64_t v, bool known, char *buf, size_t cap);

#endif /* TP_RESULT_H */
