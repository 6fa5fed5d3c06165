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
 *   - realized_pnl = sum of fills.realized_pnl_m; fees = sum of fills.fee_m; net = pnl - fees.
 *   - max drawdown: largest peak-to-trough fall of the equity curve. The curve is the sum over
 *     (venue, asset) of the latest balances.equity, in (evt, id) order; with no balances rows it
 *     is the cumulative realized net PnL of the fills starting at 0. pct = drawdown / peak
 *     (of that same fall) x 100 at 2 decimals, half-even; unknown (-1) when the peak <= 0.
 */
#ifndef TP_REPORT_H
#define TP_REPORT_H

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
} report_trip_t;

typedef struct {
    int64_t events;
    report_count_t *topics; /* sorted by prefix */
    size_t n_topics;
    int64_t orders;
    report_count_t *order_status; /* status -> orders, sorted by status */
    size_t n_order_status;
    int64_t fills;
    report_trip_t *trips; /* in closing order */
    size_t n_trips;
    int64_t open_positions; /* venue+symbol not flat after the last fill */
    int64_t realized_pnl, fees, net;
    const char *dd_source;      /* "balances" | "realized" | "none" (static string) */
    int64_t max_dd;             /* >= 0, VALUE scale */
    int64_t max_dd_pct;         /* percent at scale 2 (150 = 1.50 %), -1 = unknown */
    int64_t dd_peak, dd_trough; /* equity at the peak and at the trough of that fall */
    int64_t gaps, gaps_missing;
} report_t;

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
