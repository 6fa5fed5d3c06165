/*  history.h - answers the history questions a restarted stage asks the recorder over REP
 *  (endpoints.recorder.0.history): the last N bars of a symbol and timeframe (with the
 *  taker-buy volume from each bar's events row), the last N trades of a symbol
 *  ({"q":"trades","venue","symbol","n"} -> {"ok":true,"trades":[{id, evt, px, px_m, qty,
 *  qty_m, px_scale, qty_scale, side ("buy"/"sell"), trade_id}...]}, oldest first by id; signal
 *  restores the open bar of its trade-built series from it), open orders, positions, the last
 *  risk state. Protocol in docs/recorder.md "History over REP".
 *  Owns:  nothing between calls (statements are prepared per request: requests are rare).
 *  Not:   the socket (recorder/main.c), committing (the caller commits before asking so that
 *         an answer includes everything received so far).
 *  Request: one frame of JSON {"q": "bars" | "trades" | "open_orders" | "positions" |
 *           "risk_state", ...}.
 *  Reply:   one frame of JSON, {"ok": true, ...} or {"ok": false, "error": "<why>"}.
 *  Which rows (docs/recorder.md "History over REP"): only rows of the recorder's current run
 *  (ctx->run_id: a previous run in the same file is never an answer), and only rows with an
 *  event time before the request's "until" (ns, the asking stage's event time, exclusive).
 *  A request without "until" is answered, in replay mode, up to the recorder's own replay
 *  clock (ctx->clock: the ts_event of the last barrier it released, inclusive; every row of the
 *  run is at or before it, as a step is written only once every stage sent its barrier), and in
 *  live mode with every row of the run.
 *  Units: times ns since the Unix epoch (event time); money as decimal strings X plus integer
 *  mantissas X_m at the row's px_scale / qty_scale or 8 (MONEY_VALUE_SCALE), as in the tables.
 */
#ifndef TP_HISTORY_H
#define TP_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define HISTORY_MAX_BARS   10000   /* largest "n" of a bars request */
#define HISTORY_MAX_TRADES 1000000 /* largest "n" of a trades request */

typedef struct {
    const char *run_id; /* the current run (rows of other runs are never answered); NULL or ""
                           = any run (tests of the plain questions) */
    bool replay;        /* config mode "replay" */
    int64_t clock;      /* replay: ts_event of the last barrier the recorder released, ns; 0 =
                           none yet (then the run's rows are all from before this recorder) */
} history_ctx_t;

/* Answer one request (req[len], need not be NUL-terminated) under `ctx` (NULL: no run or
 * clock bound; a request's "until" still applies). Returns a malloc'd NUL-terminated
 * JSON reply (caller frees): the answer, or {"ok":false,"error":...} for a bad request or a
 * failed query (never NULL for those). NULL only with errno ENOMEM. */
char *history_answer(sqlite3 *db, const history_ctx_t *ctx, const char *req, size_t len);

#endif /* TP_HISTORY_H */
