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
 *  Units: times ns since the Unix epoch (event time); money as decimal strings X plus integer
 *  mantissas X_m at the row's px_scale / qty_scale or 8 (MONEY_VALUE_SCALE), as in the tables.
 */
#ifndef TP_HISTORY_H
#define TP_HISTORY_H

#include <stddef.h>

#include <sqlite3.h>

#define HISTORY_MAX_BARS   10000   /* largest "n" of a bars request */
#define HISTORY_MAX_TRADES 1000000 /* largest "n" of a trades request */

/* Answer one request (req[len], need not be NUL-terminated). Returns a malloc'd NUL-terminated
 * JSON reply (caller frees): the answer, or {"ok":false,"error":...} for a bad request or a
 * failed query (never NULL for those). NULL only with errno ENOMEM. */
char *history_answer(sqlite3 *db, const char *req, size_t len);

#endif /* TP_HISTORY_H */
