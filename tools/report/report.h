/*  report.h - summary of a recorder database for a trader: message counts, orders, fills,
 *  round trips, realized PnL, fees, max drawdown, gaps.
 *  Owns:  a report_t's arrays (report_free releases them).
 *  Not:   opening the file (main.c), writing the database (recorder/).
 *  Units: money as int64 mantissas at MONEY_VALUE_SCALE (8); prices / quantities of a round
 *  trip at its px_scale / qty_scale; times ns since the Unix epoch (event time).
 *  Definitions (docs/recorder.md "Report"):
 *   - topic prefix: the first two dot-separated words of the topic ("md.book", "sys.hb").
 *   - orders: distinct orders (client_id, else order_id), counted by their LAST exec.order status.
 *   - round trip: per venue+symbol, fills in (evt, id) order move a signed position from flat to
 *     non-zero and back to flat. A fill that crosses zero closes the trip with the part that
 *     flattens it and opens a new one with the rest; its fee is split pro rata by quantity
 *     (half-even), its realized PnL belongs to the closing trip. Entry / exit prices are the
 *     quantity-weighted averages of the opening / closing fills, rounded half-even to px_scale.
 *     Trip PnL = sum of the fills' realized_pnl (gross) - their fees.
 *   - strategy of a trip: of the risk.order whose client_id is its first fill's (a venue-held
 *     child "<id>.s" / "<id>.t" is its entry's); every fill while the trip is open is credited
 *     to that strategy (report_t.credit).
 *   - exit reason of a trip: the intent of the risk.order of the fill that flattened it
 *     (stop_loss -> stop, take_profit -> take-profit, trailing_stop -> trailing, breakeven,
 *     exit -> signal, timeout, kill, entry -> reversal); a venue-held child ".t" -> take-profit,
 *     ".s" -> stop, or trailing / breakeven when risk sent that intent for the venue+symbol
 *     while the trip was open (the venue's stop then followed that level); no order -> unknown.
 *   - realized_pnl = sum of fills.realized_pnl_m; fees = sum of fills.fee_m; net = pnl - fees.
 *   - one run: every figure is of one run of the group (the latest in the file unless asked),
 *     through report_select_run; the text starts with warnings (report_warnings).
 *   - max drawdown: largest peak-to-trough fall of the equity curve. The curve is the sum over
 *     (venue, asset) of the latest balances.equity, in (evt, id) order; with no balances rows it
 *     is the cumulative realized net PnL of the fills starting at 0. pct = drawdown / peak
 *     (of that same fall) x 100 at 2 decimals, half-even; unknown (-1) when the peak <= 0.
 */
#ifndef TP_REPORT_H
#define TP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <sqlite3.h>

#define REPORT_NAME_MAX 48

typedef struct {
    char prefix[REPORT_NAME_MAX];
    int64_t count;
} report_count_t;

typedef struct {
    char venue[REPORT_NAME_MAX];
    char symbol[REPORT_NAME_MAX];
    int side; /* +1 long, -1 short */
    int64_t entry_evt, exit_evt;
    int px_scale, qty_scale;
    int64_t entry_px, exit_px; /* px mantissas, weighted averages */
    int64_t qty;               /* total opened quantity, qty mantissa */
    int64_t pnl;               /* gross realized, VALUE scale */
    int64_t fees;              /* VALUE scale */
    int64_t net;               /* pnl - fees */
    int64_t n_fills;
    char strategy[REPORT_NAME_MAX]; /* who opened it: the strategy of the risk.order of its
                                       first fill ("(unknown)" without one) */
    char exit_reason[16];           /* "stop", "take-profit", "trailing", "breakeven", "signal",
                                       "timeout", "kill", "reversal", "unknown" (docs/recorder.md) */
} report_trip_t;

/* Fills, trips and money credited to one strategy: every fill of a position goes to the
 * strategy that opened it (venue-held stop and target fills included). */
typedef struct {
    char name[REPORT_NAME_MAX];
    int64_t fills, trips, wins;
    int64_t pnl, fees; /* VALUE scale */
} report_credit_t;

/* One run of the group in the file (the recorder's `runs` table, docs/recorder.md "Runs"). */
typedef struct {
    char run_id[REPORT_NAME_MAX];
    int64_t started_ns, ended_ns; /* wall clock; ended 0 = no clean end recorded */
    int clean;                    /* 1 its last recorder stopped cleanly, 0 not (killed,
                                     crashed, or still recording), -1 unknown ("legacy") */
    int64_t unclean_stops;        /* recorder processes of the run that did not stop cleanly */
    int64_t starts;               /* recorder starts in the run */
    int64_t first_evt, last_evt;  /* event time range, 0 = none */
    int64_t events;               /* events rows of the run */
} report_run_t;

/* One gaps row: messages from..to (inclusive) of publisher src, epoch, never recorded. */
typedef struct {
    char src[REPORT_NAME_MAX];
    int64_t epoch, from, to, missing;
} report_gap_t;

typedef struct {
    bool has_run;     /* the file has runs (schema 3): `run` is the one reported */
    report_run_t run; /* set by report_select_run; the figures below are of this run only */
    int64_t events;
    report_count_t *topics; /* sorted by prefix */
    size_t n_topics;
    int64_t orders;
    report_count_t *order_status; /* status -> orders, sorted by status */
    size_t n_order_status;
    int64_t fills;
    report_trip_t *trips; /* in closing order */
    size_t n_trips;
    int64_t open_positions;  /* venue+symbol not flat after the last fill */
    report_credit_t *credit; /* per opening strategy, sorted by name */
    size_t n_credit;
    int64_t realized_pnl, fees, net;
    const char *dd_source;      /* "balances" | "realized" | "none" (static string) */
    int64_t max_dd;             /* >= 0, VALUE scale */
    int64_t max_dd_pct;         /* percent at scale 2 (150 = 1.50 %), -1 = unknown */
    int64_t dd_peak, dd_trough; /* equity at the peak and at the trough of that fall */
    int64_t gaps, gaps_missing;
    /* input the feeds refused (frames that did not parse or did not fit the instrument's
     * tick/step: docs/feed.md "Refused input"), from the last sys.hb.feed.* heartbeat of each
     * feed process (src, epoch) of the run, summed; frames = every frame they parsed */
    int64_t refused, refused_frames;
    report_gap_t *gap_list; /* in (src, epoch, from) order */
    size_t n_gap_list;
} report_t;

/* The runs in the file, oldest first (by when each was first recorded), into a malloc'd array
 * (caller frees) of *n. A file without a `runs` table (schema < 3) has none (n 0). 0, or -1
 * with errno EIO (SQL error) / ENOMEM. */
int report_runs(sqlite3 *db, report_run_t **out, size_t *n);

/* Make every following query of `db` see only the rows of one run: `run_id`, or the latest run
 * when NULL (TEMP views named like the tables shadow them; the file is not written). *out gets
 * the run. Returns 1 (selected), 0 (the file has no runs: nothing filtered, *out zeroed), or
 * -1 with errno ENOENT (no run `run_id` in the file), EIO, ENOMEM. */
int report_select_run(sqlite3 *db, const char *run_id, report_run_t *out);

/* The warnings for a reader, one a line into buf (empty when none): the run did not end
 * cleanly; its recorder stopped uncleanly N times; N messages missing in M gaps. Returns the
 * number of warnings. */
int report_warnings(const report_t *r, char *buf, size_t cap);

/* One run as a JSON object {run_id, clean (true/false/null), started, ended, started_ns,
 * first_evt, last_evt, starts, unclean_stops, events}. NULL with errno ENOMEM. */
json_t *report_run_json(const report_run_t *u);

/* Read everything from `db` into *out (zeroed first; free with report_free even on failure).
 * 0, or -1 with errno EIO (an SQL statement failed, e.g. not a recorder database; logged) or
 * ERANGE (a sum overflowed int64) or ENOMEM. */
int report_load(sqlite3 *db, report_t *out);

void report_free(report_t *r);

/* Readable text with aligned columns (money via money_fmt). 0, or -1/EIO on a write error. */
int report_print(FILE *fp, const report_t *r, const char *title);

/* One JSON object with keys events, topics, orders, fills, round_trips, open_positions,
 * realized_pnl, fees, net_pnl, max_drawdown, gaps; money as decimal strings. Caller owns the
 * result (json_decref). NULL with errno ENOMEM. */
json_t *report_json(const report_t *r);

#endif /* TP_REPORT_H */
