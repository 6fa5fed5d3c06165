/*  analytics.h - the trader's figures beyond report.h: unrealized PnL, win rate, profit factor,
 *  daily Sharpe and Sortino, exposure, per-strategy and per-symbol breakdown, pipeline latency
 *  percentiles from the origin stamps, the equity curve, the tearsheet (report_ts_t); and the
 *  self-contained HTML page (flot price chart, gnuplot SVG equity and drawdown).
 *  Owns:  a report_x_t's arrays (report_x_free).
 *  Not:   round trips, drawdown, counts (report.h: computed there and used here).
 *  Definitions (docs/recorder.md "Report"):
 *   - unrealized: sum over venue+symbol of the latest positions.unrealized_pnl_m (scale 8).
 *   - win rate: round trips with net > 0 / round trips, percent at scale 2 (half-even);
 *     profit factor: sum of winning trips' net / -(sum of losing trips' net); undefined (< 0)
 *     without a losing trip.
 *   - equity curve: as report.h's drawdown curve (balances; else cumulative realized net from
 *     0). Daily returns: those of the tearsheet (the traded span's UTC days: each day's close
 *     over the day before's, the first over the start balance); without a traded span, the
 *     curve's last value of each UTC day of event time over the previous day's last value (the
 *     first day over the curve's first point), minus 1. Sharpe = mean /
 *     sample stddev x sqrt(365); Sortino = mean / sqrt(mean of min(r, 0)^2) x sqrt(365) (crypto
 *     trades every day). Statistics, not money: doubles. Undefined (have_ratios false) with
 *     fewer than 2 daily returns, a zero deviation, or a curve that is not from balances.
 *   - traded span: from the first to the last market-data event time (candles of 1m and
 *     above: start..end; trades; book tops) of the venue+symbols that have fills; without
 *     any, the first to the last fill.
 *   - exposure: share of the traded span during which at least one venue+symbol position
 *     (running sum of fills) is not flat, percent at scale 2.
 *   - by strategy: report_t.credit (every fill credited to the strategy that opened the
 *     position; trips and wins per opener).
 *   - tearsheet: report_ts_t; each figure is defined in docs/recorder.md "Tearsheet".
 *   - latency: for each hop, events.ts - events.origin (ns) of messages with origin > 0:
 *     tick -> signal (sig.signal.*), tick -> order (risk.order), tick -> fill (exec.fill).
 *     Nearest-rank percentiles p50, p99, p99.9 and the max.
 */
#ifndef TP_ANALYTICS_H
#define TP_ANALYTICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <sqlite3.h>

#include "tools/report/report.h"

#define REPORT_HOPS 3

typedef struct {
    char name[REPORT_NAME_MAX * 2]; /* strategy, or "venue:symbol" */
    int64_t fills, trips, wins;
    int64_t pnl, fees, net; /* VALUE scale */
} report_group_t;

typedef struct {
    const char *hop; /* "tick->signal", "tick->order", "tick->fill" (static) */
    int64_t n;
    int64_t p50, p99, p999, max; /* ns; -1 without samples */
} report_lat_t;

typedef struct {
    int64_t evt;
    int64_t equity; /* VALUE scale */
} report_pt_t;

/* One UTC day or month of the traded span: the equity curve's close and its return over the
 * previous close (the first over the start balance). */
typedef struct {
    int64_t start_ns; /* 00:00 UTC of the day / the 1st of the month */
    int64_t close;    /* VALUE scale: the curve's last value before the period's end */
    int64_t ret_pct;  /* percent at scale 2, half-even */
} report_period_t;

/* Trips closed for one exit reason (report.h's words). */
typedef struct {
    char reason[16];
    int64_t trips, wins;
    int64_t net; /* VALUE scale */
} report_exit_t;

#define REPORT_EXITS_MAX 12

/* The tearsheet (docs/recorder.md "Report", "Tearsheet"). Percentages are int64 at scale 2
 * (half-even) with a has_ flag: they can be negative. */
typedef struct {
    int64_t span_from, span_to;       /* traded span, event ns; 0 = unknown */
    int64_t fees, max_dd, max_dd_pct; /* copied from the report_t (report_x_print has only x) */
    bool has_balance;
    int64_t start_balance, end_balance; /* VALUE scale */
    int64_t return_pct, gross_return_pct;
    char bh_venue[REPORT_NAME_MAX], bh_symbol[REPORT_NAME_MAX];
    bool has_bh;
    int bh_px_scale;
    int64_t bh_first_px, bh_last_px; /* px mantissas */
    int64_t bh_pct, excess_pct;      /* excess valid when has_balance && has_bh */
    bool has_cagr, has_calmar;
    double cagr_pct, calmar;               /* rounded when printed: 2 decimals */
    int64_t dd_from, dd_trough_evt, dd_to; /* max drawdown episode, event ns; dd_to 0 = never
                                              recovered (duration runs to span_to) */
    int64_t dd_duration_ns;
    bool has_trips;
    int64_t avg_win, avg_loss, expectancy; /* VALUE scale; avg_* 0 when none */
    int64_t avg_hold_ns;
    bool has_fee_drag;
    int64_t fee_drag_pct; /* fees / start balance */
    report_exit_t exits[REPORT_EXITS_MAX];
    size_t n_exits;
    report_period_t *daily, *monthly;
    size_t n_daily, n_monthly;
    char *config;      /* the run's config as JSON (runs.config, schema 4), malloc'd; NULL = not
                          recorded */
    char *config_path; /* the file it was read from, malloc'd or NULL */
    char next[320];    /* the line naming the example to try next ("" = none: docs/recorder.md) */
} report_ts_t;

typedef struct {
    int64_t unrealized;
    int64_t wins, losses;
    int64_t win_rate;     /* percent at scale 2, -1 without trips */
    int64_t gross_win;    /* sum of winning trips' net, VALUE scale */
    int64_t gross_loss;   /* -(sum of losing trips' net) >= 0 */
    double profit_factor; /* < 0 = undefined */
    bool have_ratios;
    double sharpe, sortino;
    int n_days;       /* daily returns used */
    int64_t exposure; /* percent at scale 2, -1 unknown */
    report_group_t *by_strategy;
    size_t n_by_strategy;
    report_group_t *by_symbol;
    size_t n_by_symbol;
    report_lat_t lat[REPORT_HOPS];
    report_pt_t *equity;
    size_t n_equity;
    report_ts_t ts; /* the tearsheet */
} report_x_t;

/* Load everything from db (the report r must be loaded: trips are read from it). *x zeroed
 * first; report_x_free even on failure. 0, or -1 with errno EIO (SQL failed, logged), ERANGE
 * (overflow), ENOMEM. */
int report_x_load(sqlite3 *db, const report_t *r, report_x_t *x);
void report_x_free(report_x_t *x);

/* Daily ratios of an equity curve (definitions above). Returns the number of daily returns;
 * *sharpe / *sortino set only when defined (return >= 2 and deviations > 0, else *ok false). */
int report_x_ratios(const report_pt_t *pts, size_t n, double *sharpe, double *sortino, bool *ok);

/* Nearest-rank percentile p (per mille, 0..1000) of the sorted v[n] (n > 0). */
int64_t report_x_pct(const int64_t *v, size_t n, int per_mille);

int report_x_print(FILE *fp, const report_x_t *x);

/* Add keys unrealized_pnl, win_rate, profit_factor, sharpe, sortino, daily_returns, exposure,
 * by_strategy, by_symbol, latency_us to `root`. 0, or -1 with errno ENOMEM. */
int report_x_json(const report_x_t *x, json_t *root);

/* The HTML page: summary and tearsheet tables; the price of the most traded venue+symbol with
 * entries and exits (won green, lost red) drawn in the browser by flot (zoom, pan, tooltips;
 * jquery, jquery.mousewheel and flot read from /usr/share/javascript at this call and inlined);
 * equity and drawdown drawn by gnuplot (`gnuplot` on PATH, svg terminal) into `tmpdir` and
 * embedded inline; returns, config. One self-contained file. 0, or -1 with errno EIO (write
 * failed, or gnuplot failed: message logged), ENOENT (a script file missing: logged with the
 * Debian package to install) / ENOMEM. */
int report_html(FILE *fp, sqlite3 *db, const report_t *r, const report_x_t *x, const char *title,
                const char *tmpdir);

#endif /* TP_ANALYTICS_H */
