/*  history.c - answers history requests from the recorder database (see history.h).
 *  Owns:  nothing between calls.
 *  Design: each question is one SQL statement over the typed tables, served by the indexes of
 *  schema version 2 (candles_sym, orders_client, positions_sym, risk_events_topic); rows are
 *  turned into JSON objects column by column (INTEGER -> integer, REAL -> real, TEXT -> string,
 *  NULL -> null), so the reply carries exactly what the table holds.
 */
#include "recorder/history.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/log.h"
#include "common/money.h"

/* Bars oldest first: the inner query takes the newest n by start_ns, the outer re-sorts.
 * taker_buy_volume_m is not a candles column: it comes from the bar's own message in `events`
 * (candles.event_id -> events.id, the primary key; the body is codec_body_to_json of the
 * md.kline / sig.bar, whose "taker_buy_volume" is the qty mantissa). NULL when the events row
 * or the key is missing or the body is not JSON (json_extract would fail the query). */
static const char k_bars_sql[] =
    "SELECT * FROM (SELECT c.start_ns, c.end_ns, c.evt, c.topic_kind, c.source, c.open,"
    " c.open_m, c.high, c.high_m, c.low, c.low_m, c.close, c.close_m, c.volume, c.volume_m,"
    " c.quote_volume, c.quote_volume_m, c.trades, c.px_scale, c.qty_scale,"
    " CASE WHEN json_valid(e.body) THEN json_extract(e.body, '$.taker_buy_volume') END"
    " AS taker_buy_volume_m"
    " FROM candles c LEFT JOIN events e ON e.id = c.event_id"
    " WHERE c.venue = ?1 AND c.symbol = ?2 AND c.tf_s = ?3 AND c.topic_kind = ?4"
    " AND (?10 IS NULL OR c.run_id = ?10) AND c.evt < ?11"
    " ORDER BY c.start_ns DESC, c.id DESC LIMIT ?5) ORDER BY start_ns, evt";

/* The last n trades of a symbol, oldest first (by id: the order the recorder - and any stage
 * with the same single feed input - handled them). The inner query walks the rowid backwards
 * and stops after n matches, so the cost is bounded by n and the symbol's share of the newest
 * rows, not by the table's size (the trades table has no symbol index). */
static const char k_trades_sql[] =
    "SELECT * FROM (SELECT id, evt, px, px_m, qty, qty_m, px_scale, qty_scale, side, trade_id"
    " FROM trades WHERE venue = ?1 AND symbol = ?2 AND (?10 IS NULL OR run_id = ?10)"
    " AND evt < ?11 ORDER BY id DESC LIMIT ?3) ORDER BY id";

/* An order is open when its LAST exec.order row has a non-terminal status (Bybit v5
 * orderStatus words; terminal: Filled, Cancelled, PartiallyFilledCanceled, Rejected,
 * Deactivated). Orders are keyed by client_id (chosen by risk), else order_id. */
static const char k_open_orders_sql[] =
    "SELECT o.client_id, o.order_id, o.venue, o.symbol, o.side, o.type, o.status, o.qty,"
    " o.qty_m, o.px, o.px_m, o.cum_qty, o.cum_qty_m, o.avg_px, o.avg_px_m, o.fee, o.fee_m,"
    " o.px_scale, o.qty_scale, o.reduce_only, o.evt FROM orders o"
    " JOIN (SELECT max(id) AS id FROM orders WHERE (?10 IS NULL OR run_id = ?10) AND evt < ?11"
    " GROUP BY coalesce(client_id, order_id)) last"
    " ON o.id = last.id"
    " WHERE o.status NOT IN ('Filled', 'Cancelled', 'PartiallyFilledCanceled', 'Rejected',"
    " 'Deactivated') ORDER BY o.evt, o.id";

/* The latest exec.position row per venue+symbol; flat ones only when asked ("all"). */
static const char k_positions_sql[] =
    "SELECT p.venue, p.symbol, p.qty, p.qty_m, p.entry_px, p.entry_px_m, p.mark_px,"
    " p.mark_px_m, p.realized_pnl, p.realized_pnl_m, p.unrealized_pnl, p.unrealized_pnl_m,"
    " p.px_scale, p.qty_scale, p.evt FROM positions p"
    " JOIN (SELECT max(id) AS id FROM positions WHERE (?10 IS NULL OR run_id = ?10)"
    " AND evt < ?11 GROUP BY venue, symbol) last ON p.id = last.id"
    " WHERE ?1 OR p.qty_m != 0 ORDER BY p.venue, p.symbol";

static const char k_risk_state_sql[] =
    "SELECT body, evt FROM risk_events WHERE topic = 'risk.state'"
    " AND (?10 IS NULL OR run_id = ?10) AND evt < ?11 ORDER BY id DESC LIMIT 1";

static char *
s_dump(json_t *j)
{
    char *out = NULL;
    if (j != NULL) {
        out = json_dumps(j, JSON_COMPACT);
        json_decref(j);
    }
    if (out == NULL) {
        errno = ENOMEM;
    }
    return out;
}

static char *
s_error(const char *what, const char *arg)
{
    char text[256];
    (void)snprintf(text, sizeof text, "%s%s", what, arg);
    return s_dump(json_pack("{s:b, s:s}", "ok", 0, "error", text));
}

/* Every row of `st` (already bound) as a JSON object appended to `arr`. SQLITE_DONE on success,
 * else the sqlite result code (or SQLITE_NOMEM). */
static int
s_rows(sqlite3_stmt *st, json_t *arr)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = json_object();
        if (row == NULL || json_array_append_new(arr, row) != 0) {
            return SQLITE_NOMEM;
        }
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            json_t *v = NULL;
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER:
                v = json_integer((json_int_t)sqlite3_column_int64(st, c));
                break;
            case SQLITE_FLOAT:
                v = json_real(sqlite3_column_double(st, c));
                break;
            case SQLITE_TEXT:
                v = json_string((const char *)sqlite3_column_text(st, c));
                break;
            default:
                v = json_null();
                break;
            }
            if (v == NULL || json_object_set_new(row, sqlite3_column_name(st, c), v) != 0) {
                return SQLITE_NOMEM;
            }
        }
    }
    return rc;
}

/* Bars: the decimal string "taker_buy_volume" next to its mantissa (the X / X_m pairs of the
 * tables), at the row's qty_scale. Rows without an integer mantissa or scale get none.
 * 0, or -1 (out of memory). */
static int
s_taker_text(json_t *arr)
{
    size_t i;
    json_t *row;
    json_array_foreach(arr, i, row)
    {
        const json_t *m = json_object_get(row, "taker_buy_volume_m");
        const json_t *qs = json_object_get(row, "qty_scale");
        char buf[48];
        if (!json_is_integer(m) || !json_is_integer(qs)
            || money_fmt((int64_t)json_integer_value(m), (int)json_integer_value(qs), buf,
                         sizeof buf)
                   < 0) {
            continue;
        }
        if (json_object_set_new(row, "taker_buy_volume", json_string(buf)) != 0) {
            return -1;
        }
    }
    return 0;
}

/* The run and time bounds every question shares: ?10 = the run id (NULL: any run), ?11 = the
 * exclusive upper bound of the rows' event time (history.h "Which rows"). */
static void
s_bind_bounds(sqlite3_stmt *st, const history_ctx_t *ctx, int64_t until)
{
    if (ctx != NULL && ctx->run_id != NULL && ctx->run_id[0] != '\0') {
        (void)sqlite3_bind_text(st, 10, ctx->run_id, -1, SQLITE_TRANSIENT);
    } else {
        (void)sqlite3_bind_null(st, 10);
    }
    (void)sqlite3_bind_int64(st, 11, until);
}

/* Run `sql` with the parameters bound by `bind` and answer {"ok":true, key:[rows]}. */
static char *
s_list(sqlite3 *db, const history_ctx_t *ctx, int64_t until, const char *sql, const char *key,
       const json_t *req)
{
    sqlite3_stmt *st = NULL;
    json_t *arr = NULL;
    char *out = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

    if (rc != SQLITE_OK) {
        out = s_error("query failed: ", sqlite3_errmsg(db));
        goto done;
    }
    s_bind_bounds(st, ctx, until);
    if (strcmp(key, "bars") == 0) {
        const char *kind = json_string_value(json_object_get(req, "kind"));
        (void)sqlite3_bind_text(st, 1, json_string_value(json_object_get(req, "venue")), -1,
                                SQLITE_TRANSIENT);
        (void)sqlite3_bind_text(st, 2, json_string_value(json_object_get(req, "symbol")), -1,
                                SQLITE_TRANSIENT);
        (void)sqlite3_bind_int64(st, 3, json_integer_value(json_object_get(req, "tf_s")));
        (void)sqlite3_bind_text(st, 4, kind ? kind : "sig.bar", -1, SQLITE_TRANSIENT);
        (void)sqlite3_bind_int64(st, 5, json_integer_value(json_object_get(req, "n")));
    } else if (strcmp(key, "trades") == 0) {
        (void)sqlite3_bind_text(st, 1, json_string_value(json_object_get(req, "venue")), -1,
                                SQLITE_TRANSIENT);
        (void)sqlite3_bind_text(st, 2, json_string_value(json_object_get(req, "symbol")), -1,
                                SQLITE_TRANSIENT);
        (void)sqlite3_bind_int64(st, 3, json_integer_value(json_object_get(req, "n")));
    } else if (strcmp(key, "positions") == 0) {
        (void)sqlite3_bind_int(st, 1, json_is_true(json_object_get(req, "all")) ? 1 : 0);
    }
    arr = json_array();
    if (arr == NULL) {
        errno = ENOMEM;
        goto done;
    }
    rc = s_rows(st, arr);
    if (rc == SQLITE_NOMEM) {
        errno = ENOMEM;
        goto done;
    }
    if (rc != SQLITE_DONE) {
        out = s_error("query failed: ", sqlite3_errmsg(db));
        goto done;
    }
    if (strcmp(key, "bars") == 0 && s_taker_text(arr) != 0) {
        errno = ENOMEM;
        goto done;
    }
    out = s_dump(json_pack("{s:b, s:O}", "ok", 1, key, arr));
done:
    json_decref(arr);
    sqlite3_finalize(st);
    return out;
}

static char *
s_risk_state(sqlite3 *db, const history_ctx_t *ctx, int64_t until)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    int rc = sqlite3_prepare_v2(db, k_risk_state_sql, -1, &st, NULL);

    if (rc != SQLITE_OK) {
        out = s_error("query failed: ", sqlite3_errmsg(db));
        goto done;
    }
    s_bind_bounds(st, ctx, until);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        out = s_dump(json_pack("{s:b, s:n}", "ok", 1, "state")); /* none recorded yet */
        goto done;
    }
    if (rc != SQLITE_ROW) {
        out = s_error("query failed: ", sqlite3_errmsg(db));
        goto done;
    }
    const char *body = (const char *)sqlite3_column_text(st, 0);
    json_t *state = body ? json_loads(body, 0, NULL) : NULL;
    out = s_dump(json_pack("{s:b, s:o, s:I}", "ok", 1, "state", state ? state : json_null(), "evt",
                           (json_int_t)sqlite3_column_int64(st, 1)));
done:
    sqlite3_finalize(st);
    return out;
}

char *
history_answer(sqlite3 *db, const history_ctx_t *ctx, const char *req, size_t len)
{
    json_error_t jerr;
    json_t *j = json_loadb(req, len, 0, &jerr);
    char *out = NULL;

    if (j == NULL || !json_is_object(j)) {
        out = s_error("request is not a JSON object", j ? "" : ": parse error");
        json_decref(j);
        return out;
    }
    const char *q = json_string_value(json_object_get(j, "q"));
    /* the time bound (history.h "Which rows"): the asker's event time, exclusive; without it a
     * replay is answered up to the recorder's own replay clock, live mode without a bound */
    json_t *u = json_object_get(j, "until");
    int64_t until = INT64_MAX;
    if (u != NULL && (!json_is_integer(u) || json_integer_value(u) <= 0)) {
        out = s_error("until must be the asking stage's event time (ns > 0)", "");
        json_decref(j);
        return out;
    }
    if (u != NULL) {
        until = (int64_t)json_integer_value(u);
    } else if (ctx != NULL && ctx->replay && ctx->clock > 0) {
        until = ctx->clock < INT64_MAX ? ctx->clock + 1 : INT64_MAX;
    }
    if (q == NULL) {
        out = s_error("missing \"q\"", "");
    } else if (strcmp(q, "bars") == 0) {
        json_t *n = json_object_get(j, "n");
        json_t *tf = json_object_get(j, "tf_s");
        const char *kind = json_string_value(json_object_get(j, "kind"));
        if (!json_is_string(json_object_get(j, "venue"))
            || !json_is_string(json_object_get(j, "symbol")) || !json_is_integer(tf)
            || json_integer_value(tf) <= 0) {
            out = s_error("bars needs venue, symbol (strings) and tf_s (seconds > 0)", "");
        } else if (!json_is_integer(n) || json_integer_value(n) < 1
                   || json_integer_value(n) > HISTORY_MAX_BARS) {
            out = s_error("bars needs n in 1..", "10000");
        } else if (kind != NULL && strcmp(kind, "sig.bar") != 0 && strcmp(kind, "md.kline") != 0) {
            out = s_error("kind must be sig.bar or md.kline, not ", kind);
        } else {
            out = s_list(db, ctx, until, k_bars_sql, "bars", j);
        }
    } else if (strcmp(q, "trades") == 0) {
        json_t *n = json_object_get(j, "n");
        if (!json_is_string(json_object_get(j, "venue"))
            || !json_is_string(json_object_get(j, "symbol"))) {
            out = s_error("trades needs venue and symbol (strings)", "");
        } else if (!json_is_integer(n) || json_integer_value(n) < 1
                   || json_integer_value(n) > HISTORY_MAX_TRADES) {
            out = s_error("trades needs n in 1..", "1000000");
        } else {
            out = s_list(db, ctx, until, k_trades_sql, "trades", j);
        }
    } else if (strcmp(q, "open_orders") == 0) {
        out = s_list(db, ctx, until, k_open_orders_sql, "orders", j);
    } else if (strcmp(q, "positions") == 0) {
        out = s_list(db, ctx, until, k_positions_sql, "positions", j);
    } else if (strcmp(q, "risk_state") == 0) {
        out = s_risk_state(db, ctx, until);
    } else {
        out = s_error("unknown question: ", q);
    }
    json_decref(j);
    return out;
}
