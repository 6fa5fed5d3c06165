/*  report.c - summary of a recorder database (see report.h for the definitions).
 *  Owns:  the arrays inside report_t.
 *  Not:   the database file's life (main.c opens and closes it).
 *  Money: sums and averages in int64 / __int128 mantissas; text only through money_fmt.
 */
#include "tools/report/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/money.h"

typedef __int128 s_i128;

#define S_MAX_BOOKS    256 /* venue+symbol pairs tracked for round trips */
#define S_MAX_ACCOUNTS 16  /* venue+asset pairs summed for the equity curve */

static int
s_sql_fail(sqlite3 *db, const char *sql)
{
    log_error("report", "query failed: %s: %.80s", sqlite3_errmsg(db), sql);
    errno = EIO;
    return -1;
}

static int
s_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        return s_sql_fail(db, sql);
    }
    return 0;
}

static void
s_copy(char *dst, size_t cap, const unsigned char *src)
{
    (void)snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

/* Append to a report_count_t array, merging equal names (arrays are small). */
static int
s_count_add(report_count_t **arr, size_t *n, const char *name, int64_t count)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*arr)[i].prefix, name) == 0) {
            if (money_add((*arr)[i].count, count, &(*arr)[i].count) < 0) {
                return -1;
            }
            return 0;
        }
    }
    report_count_t *a = realloc(*arr, (*n + 1) * sizeof *a);
    if (a == NULL) {
        errno = ENOMEM;
        return -1;
    }
    *arr = a;
    (void)snprintf(a[*n].prefix, sizeof a[*n].prefix, "%s", name);
    a[*n].count = count;
    (*n)++;
    return 0;
}

static int
s_count_cmp(const void *a, const void *b)
{
    return strcmp(((const report_count_t *)a)->prefix, ((const report_count_t *)b)->prefix);
}

static int
s_load_topics(sqlite3 *db, report_t *r)
{
    static const char sql[] = "SELECT topic, count(*) FROM events GROUP BY topic";
    sqlite3_stmt *st = NULL;
    int rc;

    if (s_prepare(db, sql, &st) < 0) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char prefix[REPORT_NAME_MAX];
        s_copy(prefix, sizeof prefix, sqlite3_column_text(st, 0));
        /* keep the first two dot-separated words */
        char *dot = strchr(prefix, '.');
        if (dot != NULL) {
            dot = strchr(dot + 1, '.');
            if (dot != NULL) {
                *dot = '\0';
            }
        }
        int64_t n = sqlite3_column_int64(st, 1);
        if (s_count_add(&r->topics, &r->n_topics, prefix, n) < 0
            || money_add(r->events, n, &r->events) < 0) {
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return s_sql_fail(db, sql);
    }
    if (r->n_topics > 1) {
        qsort(r->topics, r->n_topics, sizeof *r->topics, s_count_cmp);
    }
    return 0;
}

static int
s_load_orders(sqlite3 *db, report_t *r)
{
    /* the last exec.order row of each order carries its final status */
    static const char sql[] =
        "SELECT coalesce(status, '?'), count(*) FROM orders WHERE id IN"
        " (SELECT max(id) FROM orders GROUP BY coalesce(client_id, order_id, id))"
        " GROUP BY 1 ORDER BY 1";
    sqlite3_stmt *st = NULL;
    int rc;

    if (s_prepare(db, sql, &st) < 0) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t n = sqlite3_column_int64(st, 1);
        char status[REPORT_NAME_MAX];
        s_copy(status, sizeof status, sqlite3_column_text(st, 0));
        if (s_count_add(&r->order_status, &r->n_order_status, status, n) < 0) {
            sqlite3_finalize(st);
            return -1;
        }
        r->orders += n;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return s_sql_fail(db, sql);
    }
    return 0;
}

static int
s_scalar(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    if (s_prepare(db, sql, &st) < 0) {
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return s_sql_fail(db, sql);
    }
    *out = sqlite3_column_int64(st, 0); /* NULL (sum of nothing) reads as 0 */
    sqlite3_finalize(st);
    return 0;
}

/* ---- round trips ------------------------------------------------------------------------- */

typedef struct {
    char venue[REPORT_NAME_MAX];
    char symbol[REPORT_NAME_MAX];
    int64_t pos;                          /* signed qty mantissa */
    report_trip_t trip;                   /* the open trip when pos != 0 */
    s_i128 entry_notional, exit_notional; /* px * qty at px_scale + qty_scale */
    int64_t exit_qty;
} s_book_t;

/* n / d rounded half-even (d > 0); the result fits int64 for every use here (an average
 * price, or a fee share no larger than the fee). */
static int64_t
s_div_he(s_i128 n, int64_t d)
{
    if (d <= 0) {
        return 0;
    }
    bool neg = n < 0;
    s_i128 a = neg ? -n : n;
    s_i128 q = a / d, rem = a % d;
    if (rem * 2 > d || (rem * 2 == d && (q & 1) != 0)) {
        q++;
    }
    return (int64_t)(neg ? -q : q);
}

static void
s_trip_open(s_book_t *b, int side, int px_scale, int qty_scale, int64_t evt, const char *strat)
{
    memset(&b->trip, 0, sizeof b->trip);
    (void)snprintf(b->trip.venue, sizeof b->trip.venue, "%s", b->venue);
    (void)snprintf(b->trip.symbol, sizeof b->trip.symbol, "%s", b->symbol);
    (void)snprintf(b->trip.strategy, sizeof b->trip.strategy, "%s", strat);
    b->trip.side = side;
    b->trip.px_scale = px_scale;
    b->trip.qty_scale = qty_scale;
    b->trip.entry_evt = evt;
    b->entry_notional = 0;
    b->exit_notional = 0;
    b->exit_qty = 0;
}

/* The credit row of strategy `name` (added when new). NULL with errno ENOMEM. */
static report_credit_t *
s_credit(report_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_credit; i++) {
        if (strcmp(r->credit[i].name, name) == 0) {
            return &r->credit[i];
        }
    }
    report_credit_t *a = realloc(r->credit, (r->n_credit + 1) * sizeof *a);
    if (a == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    r->credit = a;
    report_credit_t *c = &a[r->n_credit++];
    memset(c, 0, sizeof *c);
    (void)snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

/* Credit a fill (or a part of one: fills 0) to strategy `name`. 0, or -1 (ENOMEM, ERANGE). */
static int
s_credit_add(report_t *r, const char *name, int64_t fills, int64_t pnl, int64_t fee)
{
    report_credit_t *c = s_credit(r, name);
    if (c == NULL) {
        return -1;
    }
    c->fills += fills;
    if (money_add(c->pnl, pnl, &c->pnl) < 0 || money_add(c->fees, fee, &c->fees) < 0) {
        return -1;
    }
    return 0;
}

static int
s_trip_close(report_t *r, s_book_t *b, int64_t evt, const char *reason)
{
    report_trip_t *t = &b->trip;
    t->exit_evt = evt;
    (void)snprintf(t->exit_reason, sizeof t->exit_reason, "%s", reason);
    t->entry_px = s_div_he(b->entry_notional, t->qty);
    t->exit_px = s_div_he(b->exit_notional, b->exit_qty);
    if (money_sub(t->pnl, t->fees, &t->net) < 0) {
        return -1;
    }
    report_credit_t *c = s_credit(r, t->strategy);
    if (c == NULL) {
        return -1;
    }
    c->trips++;
    c->wins += t->net > 0;
    report_trip_t *a = realloc(r->trips, (r->n_trips + 1) * sizeof *a);
    if (a == NULL) {
        errno = ENOMEM;
        return -1;
    }
    r->trips = a;
    r->trips[r->n_trips++] = *t;
    return 0;
}

static s_book_t *
s_book(s_book_t *books, size_t *n, const char *venue, const char *symbol)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(books[i].venue, venue) == 0 && strcmp(books[i].symbol, symbol) == 0) {
            return &books[i];
        }
    }
    if (*n == S_MAX_BOOKS) {
        errno = ENOSPC;
        return NULL;
    }
    s_book_t *b = &books[(*n)++];
    memset(b, 0, sizeof *b);
    (void)snprintf(b->venue, sizeof b->venue, "%s", venue);
    (void)snprintf(b->symbol, sizeof b->symbol, "%s", symbol);
    return b;
}

/* Why a fill closed a trip (report.h): from the intent of its risk.order (`intent`, "" when
 * none), its client id (venue-held children "<id>.s" / "<id>.t") and `level`, the last
 * trailing_stop / breakeven / move_stop intent risk sent for the venue+symbol at or before
 * the fill ("" none) at `level_evt`. A move_stop (the venue-held stop following risk's,
 * issue 17 item 2) moved it to `level_sl`: breakeven when that is the trip's entry price
 * `entry_px` (the weighted average of its opening fills, so within one price unit of the
 * position's entry risk used), else trailing. */
static const char *
s_exit_reason(const char *cid, const char *intent, const char *level, int64_t level_evt,
              int64_t level_sl, int64_t entry_px, int64_t entry_evt)
{
    size_t n = strlen(cid);
    if (n > 2 && strcmp(cid + n - 2, ".t") == 0) {
        return "take-profit";
    }
    if (n > 2 && strcmp(cid + n - 2, ".s") == 0) {
        if (level[0] != '\0' && level_evt >= entry_evt) {
            if (strcmp(level, "move_stop") == 0) {
                int64_t d = level_sl - entry_px;
                return d >= -1 && d <= 1 ? "breakeven" : "trailing";
            }
            return strcmp(level, "breakeven") == 0 ? "breakeven" : "trailing";
        }
        return "stop";
    }
    static const char *const map[][2] = {
        { "stop_loss", "stop" },
        { "take_profit", "take-profit" },
        { "trailing_stop", "trailing" },
        { "breakeven", "breakeven" },
        { "exit", "signal" },
        { "timeout", "timeout" },
        { "kill", "kill" },
        { "entry", "reversal" },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(intent, map[i][0]) == 0) {
            return map[i][1];
        }
    }
    return "unknown";
}

typedef struct {
    const char *strat;  /* strategy of the fill's risk.order, "(unknown)" */
    const char *cid;    /* the fill's client id ("" none) */
    const char *intent; /* intent of its risk.order ("" none) */
    const char *level;  /* trailing_stop / breakeven / move_stop intent for a venue-held stop,
                         * or "" */
    int64_t level_evt;
    int64_t level_sl; /* that order's sl_px (px mantissa of the fill's scale), 0 none */
    bool count;       /* count the fill (false for the rest of a crossing fill) */
} s_fill_ctx_t;

/* One fill into its book: side +1/-1, qty > 0 at the trip's scales. */
static int
s_apply_fill(report_t *r, s_book_t *b, int side, int64_t px, int64_t qty, int px_scale,
             int qty_scale, int64_t fee, int64_t pnl, int64_t evt, s_fill_ctx_t *fc)
{
    if (b->pos == 0) {
        s_trip_open(b, side, px_scale, qty_scale, evt, fc->strat);
    }
    int pos_side = b->pos > 0 ? 1 : -1;
    if (b->pos == 0 || side == pos_side) { /* opening or adding */
        b->entry_notional += (s_i128)px * qty;
        b->trip.n_fills++;
        if (money_add(b->trip.qty, qty, &b->trip.qty) < 0
            || money_add(b->trip.fees, fee, &b->trip.fees) < 0
            || money_add(b->trip.pnl, pnl, &b->trip.pnl) < 0
            || s_credit_add(r, b->trip.strategy, fc->count ? 1 : 0, pnl, fee) < 0) {
            return -1;
        }
        b->pos += side * qty;
        return 0;
    }
    /* reducing: the part that flattens closes, the rest opens a new trip the other way */
    int64_t abs_pos = b->pos > 0 ? b->pos : -b->pos;
    int64_t close_q = qty < abs_pos ? qty : abs_pos;
    int64_t rest_q = qty - close_q;
    int64_t fee_close = rest_q > 0 ? s_div_he((s_i128)fee * close_q, qty) : fee;
    b->exit_notional += (s_i128)px * close_q;
    b->exit_qty += close_q;
    b->trip.n_fills++;
    if (money_add(b->trip.fees, fee_close, &b->trip.fees) < 0
        || money_add(b->trip.pnl, pnl, &b->trip.pnl) < 0
        || s_credit_add(r, b->trip.strategy, fc->count ? 1 : 0, pnl, fee_close) < 0) {
        return -1;
    }
    b->pos += side * close_q;
    if (b->pos != 0) {
        return 0;
    }
    if (s_trip_close(r, b, evt,
                     s_exit_reason(fc->cid, fc->intent, fc->level, fc->level_evt, fc->level_sl,
                                   s_div_he(b->entry_notional, b->trip.qty), b->trip.entry_evt))
        < 0) {
        return -1;
    }
    if (rest_q > 0) {
        fc->count = false;
        return s_apply_fill(r, b, side, px, rest_q, px_scale, qty_scale, fee - fee_close, 0, evt,
                            fc);
    }
    return 0;
}

static int
s_credit_cmp(const void *a, const void *b)
{
    return strcmp(((const report_credit_t *)a)->name, ((const report_credit_t *)b)->name);
}

static int
s_load_fills(sqlite3 *db, report_t *r)
{
    /* each fill with its risk.order (a venue-held child "<id>.s" / "<id>.t": its entry's), and
     * for a venue-held stop the last trailing / breakeven / move_stop intent risk sent for its
     * symbol, with that order's sl_px (a move_stop's new stop, at the symbol's px_scale) */
    static const char sql[] =
        "SELECT coalesce(f.venue,''), coalesce(f.symbol,''), f.side, f.px_m, f.qty_m,"
        " f.px_scale, f.qty_scale, coalesce(f.fee_m,0), coalesce(f.realized_pnl_m,0), f.evt,"
        " coalesce(f.client_id,''), coalesce(ro.strat,'(unknown)'), coalesce(ro.intent,''),"
        " CASE WHEN f.client_id LIKE '%.s' THEN (SELECT e.state FROM risk_events e"
        "  WHERE e.topic = 'risk.order' AND e.state IN ('trailing_stop','breakeven','move_stop')"
        "  AND json_extract(e.body,'$.venue') = f.venue"
        "  AND json_extract(e.body,'$.symbol') = f.symbol AND e.evt <= f.evt"
        "  ORDER BY e.evt DESC, e.id DESC LIMIT 1) END,"
        " CASE WHEN f.client_id LIKE '%.s' THEN (SELECT e.evt FROM risk_events e"
        "  WHERE e.topic = 'risk.order' AND e.state IN ('trailing_stop','breakeven','move_stop')"
        "  AND json_extract(e.body,'$.venue') = f.venue"
        "  AND json_extract(e.body,'$.symbol') = f.symbol AND e.evt <= f.evt"
        "  ORDER BY e.evt DESC, e.id DESC LIMIT 1) END,"
        " CASE WHEN f.client_id LIKE '%.s' THEN (SELECT json_extract(e.body,'$.sl_px') FROM"
        "  risk_events e WHERE e.topic = 'risk.order'"
        "  AND e.state IN ('trailing_stop','breakeven','move_stop')"
        "  AND json_extract(e.body,'$.venue') = f.venue"
        "  AND json_extract(e.body,'$.symbol') = f.symbol AND e.evt <= f.evt"
        "  ORDER BY e.evt DESC, e.id DESC LIMIT 1) END"
        " FROM fills f LEFT JOIN (SELECT client_id AS cid, max(state) AS intent,"
        "  max(json_extract(body,'$.strategy')) AS strat FROM risk_events"
        "  WHERE topic = 'risk.order' GROUP BY client_id) ro"
        " ON ro.cid = CASE WHEN f.client_id LIKE '%.s' OR f.client_id LIKE '%.t'"
        "  THEN substr(f.client_id, 1, length(f.client_id) - 2) ELSE f.client_id END"
        " ORDER BY f.evt, f.id";
    sqlite3_stmt *st = NULL;
    s_book_t *books = calloc(S_MAX_BOOKS, sizeof *books);
    size_t n_books = 0;
    int rc, ret = -1;

    if (books == NULL) {
        errno = ENOMEM;
        return -1;
    }
    if (s_prepare(db, sql, &st) < 0) {
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *side_s = (const char *)sqlite3_column_text(st, 2);
        int side = side_s && strcmp(side_s, "buy") == 0    ? 1
                   : side_s && strcmp(side_s, "sell") == 0 ? -1
                                                           : 0;
        int64_t px = sqlite3_column_int64(st, 3), qty = sqlite3_column_int64(st, 4);
        int px_scale = sqlite3_column_int(st, 5), qty_scale = sqlite3_column_int(st, 6);
        int64_t fee = sqlite3_column_int64(st, 7), pnl = sqlite3_column_int64(st, 8);
        int64_t evt = sqlite3_column_int64(st, 9);

        r->fills++;
        if (money_add(r->fees, fee, &r->fees) < 0
            || money_add(r->realized_pnl, pnl, &r->realized_pnl) < 0) {
            goto out;
        }
        s_fill_ctx_t fc = {
            .cid = (const char *)sqlite3_column_text(st, 10),
            .strat = (const char *)sqlite3_column_text(st, 11),
            .intent = (const char *)sqlite3_column_text(st, 12),
            .level = sqlite3_column_type(st, 13) == SQLITE_NULL
                         ? ""
                         : (const char *)sqlite3_column_text(st, 13),
            .level_evt = sqlite3_column_int64(st, 14),
            .level_sl = sqlite3_column_int64(st, 15),
            .count = true,
        };
        if (side == 0 || qty <= 0) {
            /* not a position change (bad row): counted in the sums only */
            if (s_credit_add(r, "(unknown)", 1, pnl, fee) < 0) {
                goto out;
            }
            continue;
        }
        s_book_t *b = s_book(books, &n_books, (const char *)sqlite3_column_text(st, 0),
                             (const char *)sqlite3_column_text(st, 1));
        if (b == NULL) {
            goto out;
        }
        if (b->pos != 0 && (px_scale != b->trip.px_scale || qty_scale != b->trip.qty_scale)) {
            /* the instrument's scales changed mid-trip: bring the fill to the trip's scales */
            if (money_rescale(px, px_scale, b->trip.px_scale, MONEY_ROUND_HALF_EVEN, &px) < 0
                || money_rescale(qty, qty_scale, b->trip.qty_scale, MONEY_ROUND_HALF_EVEN, &qty)
                       < 0) {
                goto out;
            }
            px_scale = b->trip.px_scale;
            qty_scale = b->trip.qty_scale;
        }
        if (s_apply_fill(r, b, side, px, qty, px_scale, qty_scale, fee, pnl, evt, &fc) < 0) {
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        (void)s_sql_fail(db, sql);
        goto out;
    }
    for (size_t i = 0; i < n_books; i++) {
        if (books[i].pos != 0) {
            r->open_positions++;
        }
    }
    if (r->n_credit > 1) {
        qsort(r->credit, r->n_credit, sizeof *r->credit, s_credit_cmp);
    }
    ret = money_sub(r->realized_pnl, r->fees, &r->net);
out:
    sqlite3_finalize(st);
    free(books);
    return ret;
}

/* ---- drawdown ---------------------------------------------------------------------------- */

typedef struct {
    bool started;
    int64_t peak, max_dd, dd_peak, dd_trough;
} s_dd_t;

static void
s_dd_point(s_dd_t *d, int64_t equity)
{
    if (!d->started || equity > d->peak) {
        d->peak = equity;
        d->started = true;
    }
    /* peak >= equity here; both are account-sized values, far from int64 limits */
    int64_t dd = d->peak - equity;
    if (dd > d->max_dd) {
        d->max_dd = dd;
        d->dd_peak = d->peak;
        d->dd_trough = equity;
    }
}

static int
s_load_drawdown(sqlite3 *db, report_t *r)
{
    static const char sql_bal[] =
        "SELECT coalesce(venue,''), coalesce(asset,''), equity_m FROM balances ORDER BY evt, id";
    static const char sql_fill[] =
        "SELECT coalesce(realized_pnl_m,0) - coalesce(fee_m,0) FROM fills ORDER BY evt, id";
    struct {
        char key[2 * REPORT_NAME_MAX];
        int64_t equity;
    } acct[S_MAX_ACCOUNTS];
    size_t n_acct = 0;
    s_dd_t d = { 0 };
    sqlite3_stmt *st = NULL;
    int rc;
    int64_t total = 0;

    memset(acct, 0, sizeof acct);
    if (s_prepare(db, sql_bal, &st) < 0) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char key[2 * REPORT_NAME_MAX];
        (void)snprintf(key, sizeof key, "%s/%s", (const char *)sqlite3_column_text(st, 0),
                       (const char *)sqlite3_column_text(st, 1));
        int64_t eq = sqlite3_column_int64(st, 2);
        size_t i = 0;
        while (i < n_acct && strcmp(acct[i].key, key) != 0) {
            i++;
        }
        if (i == n_acct) {
            if (n_acct == S_MAX_ACCOUNTS) {
                continue; /* more accounts than one run can have: ignored */
            }
            (void)snprintf(acct[i].key, sizeof acct[i].key, "%s", key);
            acct[i].equity = 0;
            n_acct++;
        }
        /* total += eq - previous equity of this account */
        if (money_sub(total, acct[i].equity, &total) < 0 || money_add(total, eq, &total) < 0) {
            sqlite3_finalize(st);
            return -1;
        }
        acct[i].equity = eq;
        s_dd_point(&d, total);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return s_sql_fail(db, sql_bal);
    }
    r->dd_source = "balances";
    if (!d.started) {
        r->dd_source = "none";
        if (s_prepare(db, sql_fill, &st) < 0) {
            return -1;
        }
        total = 0;
        s_dd_point(&d, 0); /* the curve starts flat at 0 */
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (money_add(total, sqlite3_column_int64(st, 0), &total) < 0) {
                sqlite3_finalize(st);
                return -1;
            }
            s_dd_point(&d, total);
            r->dd_source = "realized";
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            return s_sql_fail(db, sql_fill);
        }
    }
    r->max_dd = d.max_dd;
    r->dd_peak = d.dd_peak;
    r->dd_trough = d.dd_trough;
    r->max_dd_pct = -1;
    if (d.max_dd > 0 && d.dd_peak > 0) {
        /* dd / peak as a fraction at scale 4 = percent at scale 2 */
        if (money_div(d.max_dd, MONEY_VALUE_SCALE, d.dd_peak, MONEY_VALUE_SCALE, 4,
                      MONEY_ROUND_HALF_EVEN, &r->max_dd_pct)
            < 0) {
            return -1;
        }
    } else if (d.max_dd == 0 && d.started && d.peak > 0) {
        r->max_dd_pct = 0;
    }
    return 0;
}

static int
s_load_gaps(sqlite3 *db, report_t *r)
{
    static const char sql[] = "SELECT coalesce(src,'?'), coalesce(epoch,0), coalesce(from_seq,0),"
                              " coalesce(to_seq,0), coalesce(missing,0) FROM gaps"
                              " ORDER BY src, epoch, from_seq, id";
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc;
    if (s_prepare(db, sql, &st) < 0) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->n_gap_list == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            report_gap_t *g = realloc(r->gap_list, ncap * sizeof *g);
            if (g == NULL) {
                sqlite3_finalize(st);
                errno = ENOMEM;
                return -1;
            }
            r->gap_list = g;
            cap = ncap;
        }
        report_gap_t *g = &r->gap_list[r->n_gap_list++];
        s_copy(g->src, sizeof g->src, sqlite3_column_text(st, 0));
        g->epoch = sqlite3_column_int64(st, 1);
        g->from = sqlite3_column_int64(st, 2);
        g->to = sqlite3_column_int64(st, 3);
        g->missing = sqlite3_column_int64(st, 4);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return s_sql_fail(db, sql);
    }
    return 0;
}

/* Value of counter `name` in a sys.hb body ({"names":[...],"values":[...]}), 0 if absent. */
static int64_t
s_hb_counter(json_t *body, const char *name)
{
    json_t *names = json_object_get(body, "names"), *values = json_object_get(body, "values");
    for (size_t i = 0; i < json_array_size(names) && i < json_array_size(values); i++) {
        const char *n = json_string_value(json_array_get(names, i));
        if (n != NULL && strcmp(n, name) == 0) {
            return (int64_t)json_integer_value(json_array_get(values, i));
        }
    }
    return 0;
}

/* Refused input of the feeds: the counters "refused" and "frames" of the last heartbeat of
 * every feed process (src, epoch: a restarted feed counts from 0 again), summed. */
static int
s_load_refused(sqlite3 *db, report_t *r)
{
    static const char sql[] = "SELECT body FROM events WHERE id IN (SELECT max(id) FROM events"
                              " WHERE topic LIKE 'sys.hb.feed.%' GROUP BY src, epoch)";
    sqlite3_stmt *st = NULL;
    int rc;
    if (s_prepare(db, sql, &st) < 0) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        json_t *body = text ? json_loads(text, 0, NULL) : NULL;
        if (body != NULL) {
            r->refused += s_hb_counter(body, "refused");
            r->refused_frames += s_hb_counter(body, "frames");
            json_decref(body);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return s_sql_fail(db, sql);
    }
    return 0;
}

int
report_load(sqlite3 *db, report_t *out)
{
    memset(out, 0, sizeof *out);
    out->dd_source = "none";
    out->max_dd_pct = -1;
    if (s_load_topics(db, out) < 0 || s_load_orders(db, out) < 0 || s_load_fills(db, out) < 0
        || s_load_drawdown(db, out) < 0 || s_scalar(db, "SELECT count(*) FROM gaps", &out->gaps) < 0
        || s_scalar(db, "SELECT coalesce(sum(missing),0) FROM gaps", &out->gaps_missing) < 0
        || s_load_gaps(db, out) < 0 || s_load_refused(db, out) < 0) {
        return -1;
    }
    return 0;
}

/* ---- runs -------------------------------------------------------------------------------- */

/* The tables that carry run_id (recorder/schema.c step 3). */
static const char *const k_run_tables[] = { "events",   "trades",      "book_top", "candles",
                                            "signals",  "orders",      "fills",    "positions",
                                            "balances", "risk_events", "alerts",   "status",
                                            "gaps",     "indicators" };

static const char k_runs_sql[] =
    "SELECT run_id, coalesce(started_ns,0), coalesce(ended_ns,0), coalesce(clean,-1),"
    " coalesce(unclean_stops,0), coalesce(starts,0), coalesce(first_evt,0),"
    " coalesce(last_evt,0), (SELECT count(*) FROM main.events e WHERE e.run_id = r.run_id)"
    " FROM main.runs r";

static void
s_run_row(sqlite3_stmt *st, report_run_t *u)
{
    memset(u, 0, sizeof *u);
    s_copy(u->run_id, sizeof u->run_id, sqlite3_column_text(st, 0));
    u->started_ns = sqlite3_column_int64(st, 1);
    u->ended_ns = sqlite3_column_int64(st, 2);
    u->clean = sqlite3_column_int(st, 3);
    u->unclean_stops = sqlite3_column_int64(st, 4);
    u->starts = sqlite3_column_int64(st, 5);
    u->first_evt = sqlite3_column_int64(st, 6);
    u->last_evt = sqlite3_column_int64(st, 7);
    u->events = sqlite3_column_int64(st, 8);
}

static int
s_has_runs(sqlite3 *db, bool *has)
{
    int64_t n = 0;
    if (s_scalar(db, "SELECT count(*) FROM main.sqlite_master WHERE type='table' AND name='runs'",
                 &n)
        < 0) {
        return -1;
    }
    *has = n > 0;
    return 0;
}

int
report_runs(sqlite3 *db, report_run_t **out, size_t *n)
{
    bool has = false;
    *out = NULL;
    *n = 0;
    if (s_has_runs(db, &has) < 0) {
        return -1;
    }
    if (!has) {
        return 0;
    }
    char sql[512];
    (void)snprintf(sql, sizeof sql, "%s ORDER BY r.rowid", k_runs_sql);
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc;
    if (s_prepare(db, sql, &st) < 0) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            report_run_t *u = realloc(*out, ncap * sizeof *u);
            if (u == NULL) {
                sqlite3_finalize(st);
                errno = ENOMEM;
                return -1;
            }
            *out = u;
            cap = ncap;
        }
        s_run_row(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return s_sql_fail(db, sql);
    }
    return 0;
}

int
report_select_run(sqlite3 *db, const char *run_id, report_run_t *out)
{
    bool has = false;
    memset(out, 0, sizeof *out);
    if (s_has_runs(db, &has) < 0) {
        return -1;
    }
    if (!has) {
        if (run_id != NULL) {
            errno = ENOENT;
            return -1;
        }
        return 0;
    }
    char sql[512];
    (void)snprintf(sql, sizeof sql, "%s %s", k_runs_sql,
                   run_id ? "WHERE r.run_id = ?1" : "ORDER BY r.rowid DESC LIMIT 1");
    sqlite3_stmt *st = NULL;
    if (s_prepare(db, sql, &st) < 0) {
        return -1;
    }
    if (run_id != NULL) {
        (void)sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        s_run_row(st, out);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        if (run_id != NULL) {
            errno = ENOENT;
            return -1;
        }
        return 0; /* a runs table with no row: rows from before any run was recorded */
    }
    if (rc != SQLITE_ROW) {
        return s_sql_fail(db, sql);
    }
    /* TEMP views shadow the tables (unqualified names resolve to temp first): every query of
     * report.c and analytics.c then sees this run only, and the file is never written */
    for (size_t i = 0; i < sizeof k_run_tables / sizeof k_run_tables[0]; i++) {
        char *v = sqlite3_mprintf("CREATE TEMP VIEW %s AS SELECT * FROM main.%s WHERE run_id = %Q",
                                  k_run_tables[i], k_run_tables[i], out->run_id);
        if (v == NULL) {
            errno = ENOMEM;
            return -1;
        }
        rc = sqlite3_exec(db, v, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            (void)s_sql_fail(db, v);
            sqlite3_free(v);
            return -1;
        }
        sqlite3_free(v);
    }
    return 1;
}

int
report_warnings(const report_t *r, char *buf, size_t cap)
{
    int n = 0;
    size_t off = 0;
    buf[0] = '\0';
#define S_ADD(...)                                                                                 \
    do {                                                                                           \
        int w_ = snprintf(buf + off, off < cap ? cap - off : 0, __VA_ARGS__);                      \
        if (w_ > 0) {                                                                              \
            off = off + (size_t)w_ < cap ? off + (size_t)w_ : cap;                                 \
        }                                                                                          \
        n++;                                                                                       \
    } while (0)
    if (r->has_run && r->run.clean == 0) {
        S_ADD("WARNING: run %s did not end cleanly (the recorder was killed or crashed, or is "
              "still recording): figures may be incomplete\n",
              r->run.run_id);
    }
    if (r->has_run && r->run.clean < 0) {
        S_ADD("WARNING: run %s was recorded before run ids: whether it ended cleanly is "
              "unknown\n",
              r->run.run_id);
    }
    if (r->has_run && r->run.unclean_stops > 0) {
        S_ADD("WARNING: the recorder of run %s stopped uncleanly %" PRId64
              " time(s) and was restarted: what it missed is in the gaps below\n",
              r->run.run_id, r->run.unclean_stops);
    }
    if (r->gaps_missing > 0) {
        S_ADD("WARNING: %" PRId64 " messages missing in %" PRId64 " gap(s) (listed below)\n",
              r->gaps_missing, r->gaps);
    }
    if (r->refused > 0) {
        S_ADD("WARNING: the feeds refused %" PRId64 " of %" PRId64
              " input frames (did not parse or did not fit the instrument's tick/step: see the "
              "feed's log and feed.max_refused_pct)\n",
              r->refused, r->refused_frames);
    }
#undef S_ADD
    return n;
}

void
report_free(report_t *r)
{
    if (r == NULL) {
        return;
    }
    free(r->topics);
    free(r->order_status);
    free(r->trips);
    free(r->credit);
    r->credit = NULL;
    r->n_credit = 0;
    free(r->gap_list);
    r->gap_list = NULL;
    r->n_gap_list = 0;
    r->topics = NULL;
    r->order_status = NULL;
    r->trips = NULL;
    r->n_topics = r->n_order_status = r->n_trips = 0;
}

/* ---- output ------------------------------------------------------------------------------ */

static const char *
s_money(int64_t m, int scale, char *buf, size_t cap)
{
    if (money_fmt(m, scale, buf, cap) < 0) {
        (void)snprintf(buf, cap, "?");
    }
    return buf;
}

static const char *
s_pct(int64_t pct, char *buf, size_t cap)
{
    if (pct < 0) {
        (void)snprintf(buf, cap, "n/a");
        return buf;
    }
    char num[32];
    (void)snprintf(buf, cap, "%s%%", s_money(pct, 2, num, sizeof num));
    return buf;
}

int
report_print(FILE *fp, const report_t *r, const char *title)
{
    char a[48], b[48], c[48], d[48], e[48], iso1[32], iso2[32];

    char warn[1024];
    if (report_warnings(r, warn, sizeof warn) > 0) {
        fputs(warn, fp);
    }
    fprintf(fp, "tradepipe report: %s\n", title ? title : "");
    if (r->has_run) {
        fprintf(fp, "run %s: recorded from %s to %s, %s", r->run.run_id,
                r->run.started_ns ? clock_fmt_iso(r->run.started_ns, iso1, sizeof iso1) : "?",
                r->run.ended_ns ? clock_fmt_iso(r->run.ended_ns, iso2, sizeof iso2) : "?",
                r->run.clean > 0    ? "ended cleanly"
                : r->run.clean == 0 ? "NOT ended cleanly"
                                    : "end unknown");
        if (r->run.first_evt > 0) {
            fprintf(fp, "; event time %s .. %s", clock_fmt_iso(r->run.first_evt, iso1, sizeof iso1),
                    clock_fmt_iso(r->run.last_evt, iso2, sizeof iso2));
        }
        fputc('\n', fp);
    }
    fputc('\n', fp);
    fprintf(fp, "%-22s %14" PRId64 "\n", "events", r->events);
    for (size_t i = 0; i < r->n_topics; i++) {
        fprintf(fp, "  %-20s %14" PRId64 "\n", r->topics[i].prefix, r->topics[i].count);
    }
    fprintf(fp, "\n%-22s %14" PRId64 "\n", "orders", r->orders);
    for (size_t i = 0; i < r->n_order_status; i++) {
        fprintf(fp, "  %-20s %14" PRId64 "\n", r->order_status[i].prefix, r->order_status[i].count);
    }
    fprintf(fp, "%-22s %14" PRId64 "\n", "fills", r->fills);
    fprintf(fp, "%-22s %14zu\n", "round trips", r->n_trips);
    fprintf(fp, "%-22s %14" PRId64 "\n", "open positions", r->open_positions);
    if (r->n_trips > 0) {
        fprintf(fp, "\n  %-3s %-13s %-9s %-5s %-24s %-24s %14s %14s %12s %16s %16s  %-12s %s\n",
                "#", "venue", "symbol", "side", "entry (UTC)", "exit (UTC)", "entry px", "exit px",
                "qty", "fees", "net pnl", "exit", "strategy");
        for (size_t i = 0; i < r->n_trips; i++) {
            const report_trip_t *t = &r->trips[i];
            fprintf(fp, "  %-3zu %-13s %-9s %-5s %-24s %-24s %14s %14s %12s %16s %16s  %-12s %s\n",
                    i + 1, t->venue, t->symbol, t->side > 0 ? "long" : "short",
                    clock_fmt_iso(t->entry_evt, iso1, sizeof iso1),
                    clock_fmt_iso(t->exit_evt, iso2, sizeof iso2),
                    s_money(t->entry_px, t->px_scale, a, sizeof a),
                    s_money(t->exit_px, t->px_scale, b, sizeof b),
                    s_money(t->qty, t->qty_scale, c, sizeof c),
                    s_money(t->fees, MONEY_VALUE_SCALE, d, sizeof d),
                    s_money(t->net, MONEY_VALUE_SCALE, e, sizeof e), t->exit_reason, t->strategy);
        }
    }
    fprintf(fp, "\n%-22s %20s\n", "realized pnl (gross)",
            s_money(r->realized_pnl, MONEY_VALUE_SCALE, a, sizeof a));
    fprintf(fp, "%-22s %20s\n", "fees", s_money(r->fees, MONEY_VALUE_SCALE, a, sizeof a));
    fprintf(fp, "%-22s %20s\n", "net pnl", s_money(r->net, MONEY_VALUE_SCALE, a, sizeof a));
    fprintf(fp, "%-22s %20s  (%s, from %s)\n", "max drawdown",
            s_money(r->max_dd, MONEY_VALUE_SCALE, a, sizeof a), s_pct(r->max_dd_pct, b, sizeof b),
            r->dd_source);
    fprintf(fp, "\n%-22s %14" PRId64 "  (of %" PRId64 " frames the feeds parsed)\n",
            "refused input", r->refused, r->refused_frames);
    fprintf(fp, "%-22s %14" PRId64 "  (%" PRId64 " messages missing)\n", "gaps", r->gaps,
            r->gaps_missing);
    for (size_t i = 0; i < r->n_gap_list; i++) {
        const report_gap_t *g = &r->gap_list[i];
        fprintf(fp,
                "  %-20s epoch %" PRId64 "  seq %" PRId64 "..%" PRId64 "  %" PRId64 " missing\n",
                g->src, g->epoch, g->from, g->to, g->missing);
    }
    if (fflush(fp) != 0 || ferror(fp)) {
        errno = EIO;
        return -1;
    }
    return 0;
}

static json_t *
s_jmoney(int64_t m, int scale)
{
    char buf[48];
    if (money_fmt(m, scale, buf, sizeof buf) < 0) {
        return json_null();
    }
    return json_string(buf);
}

/* json_object_set_new that records a failure in *ok (the value is stolen either way). */
static void
s_set(json_t *o, const char *key, json_t *v, bool *ok)
{
    if (v == NULL || json_object_set_new(o, key, v) != 0) {
        *ok = false;
    }
}

json_t *
report_run_json(const report_run_t *u)
{
    char iso[32];
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I}", "run_id", u->run_id, "unclean_stops",
                          (json_int_t)u->unclean_stops, "starts", (json_int_t)u->starts, "events",
                          (json_int_t)u->events, "started_ns", (json_int_t)u->started_ns);
    if (o == NULL) {
        return NULL;
    }
    bool ok = true;
    s_set(o, "clean", u->clean < 0 ? json_null() : json_boolean(u->clean > 0), &ok);
    s_set(o, "started",
          u->started_ns ? json_string(clock_fmt_iso(u->started_ns, iso, sizeof iso)) : json_null(),
          &ok);
    s_set(o, "ended",
          u->ended_ns ? json_string(clock_fmt_iso(u->ended_ns, iso, sizeof iso)) : json_null(),
          &ok);
    s_set(o, "first_evt", u->first_evt ? json_integer(u->first_evt) : json_null(), &ok);
    s_set(o, "last_evt", u->last_evt ? json_integer(u->last_evt) : json_null(), &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *
report_json(const report_t *r)
{
    bool ok = true;
    json_t *root = json_object();
    json_t *topics = json_object();
    json_t *orders = json_object();
    json_t *by_status = json_object();
    json_t *trips = json_array();
    json_t *dd = json_object();
    json_t *gaps = json_object();
    char iso[32];

    if (root == NULL || topics == NULL || orders == NULL || by_status == NULL || trips == NULL
        || dd == NULL || gaps == NULL) {
        json_decref(root);
        json_decref(topics);
        json_decref(orders);
        json_decref(by_status);
        json_decref(trips);
        json_decref(dd);
        json_decref(gaps);
        errno = ENOMEM;
        return NULL;
    }
    s_set(root, "events", json_integer(r->events), &ok);
    for (size_t i = 0; i < r->n_topics; i++) {
        s_set(topics, r->topics[i].prefix, json_integer(r->topics[i].count), &ok);
    }
    s_set(root, "topics", topics, &ok);
    s_set(orders, "total", json_integer(r->orders), &ok);
    for (size_t i = 0; i < r->n_order_status; i++) {
        s_set(by_status, r->order_status[i].prefix, json_integer(r->order_status[i].count), &ok);
    }
    s_set(orders, "by_status", by_status, &ok);
    s_set(root, "orders", orders, &ok);
    s_set(root, "fills", json_integer(r->fills), &ok);
    for (size_t i = 0; i < r->n_trips; i++) {
        const report_trip_t *t = &r->trips[i];
        json_t *o = json_object();
        if (o == NULL) {
            ok = false;
            break;
        }
        s_set(o, "venue", json_string(t->venue), &ok);
        s_set(o, "symbol", json_string(t->symbol), &ok);
        s_set(o, "side", json_string(t->side > 0 ? "long" : "short"), &ok);
        s_set(o, "entry_evt", json_integer(t->entry_evt), &ok);
        s_set(o, "exit_evt", json_integer(t->exit_evt), &ok);
        s_set(o, "entry_time", json_string(clock_fmt_iso(t->entry_evt, iso, sizeof iso)), &ok);
        s_set(o, "exit_time", json_string(clock_fmt_iso(t->exit_evt, iso, sizeof iso)), &ok);
        s_set(o, "entry_px", s_jmoney(t->entry_px, t->px_scale), &ok);
        s_set(o, "exit_px", s_jmoney(t->exit_px, t->px_scale), &ok);
        s_set(o, "qty", s_jmoney(t->qty, t->qty_scale), &ok);
        s_set(o, "pnl", s_jmoney(t->pnl, MONEY_VALUE_SCALE), &ok);
        s_set(o, "fees", s_jmoney(t->fees, MONEY_VALUE_SCALE), &ok);
        s_set(o, "net", s_jmoney(t->net, MONEY_VALUE_SCALE), &ok);
        s_set(o, "fills", json_integer(t->n_fills), &ok);
        s_set(o, "strategy", json_string(t->strategy), &ok);
        s_set(o, "exit_reason", json_string(t->exit_reason), &ok);
        if (json_array_append_new(trips, o) != 0) {
            ok = false;
        }
    }
    s_set(root, "round_trips", trips, &ok);
    s_set(root, "open_positions", json_integer(r->open_positions), &ok);
    s_set(root, "realized_pnl", s_jmoney(r->realized_pnl, MONEY_VALUE_SCALE), &ok);
    s_set(root, "fees", s_jmoney(r->fees, MONEY_VALUE_SCALE), &ok);
    s_set(root, "net_pnl", s_jmoney(r->net, MONEY_VALUE_SCALE), &ok);
    s_set(dd, "abs", s_jmoney(r->max_dd, MONEY_VALUE_SCALE), &ok);
    s_set(dd, "pct", r->max_dd_pct >= 0 ? s_jmoney(r->max_dd_pct, 2) : json_null(), &ok);
    s_set(dd, "peak", s_jmoney(r->dd_peak, MONEY_VALUE_SCALE), &ok);
    s_set(dd, "trough", s_jmoney(r->dd_trough, MONEY_VALUE_SCALE), &ok);
    s_set(dd, "source", json_string(r->dd_source), &ok);
    s_set(root, "max_drawdown", dd, &ok);
    s_set(gaps, "count", json_integer(r->gaps), &ok);
    s_set(gaps, "missing", json_integer(r->gaps_missing), &ok);
    json_t *glist = json_array();
    for (size_t i = 0; glist != NULL && i < r->n_gap_list; i++) {
        const report_gap_t *g = &r->gap_list[i];
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I}", "src", g->src, "epoch",
                              (json_int_t)g->epoch, "from", (json_int_t)g->from, "to",
                              (json_int_t)g->to, "missing", (json_int_t)g->missing);
        if (o == NULL || json_array_append_new(glist, o) != 0) {
            ok = false;
        }
    }
    s_set(gaps, "list", glist, &ok);
    s_set(root, "gaps", gaps, &ok);
    s_set(root, "refused_input",
          json_pack("{s:I, s:I}", "refused", (json_int_t)r->refused, "frames",
                    (json_int_t)r->refused_frames),
          &ok);
    if (r->has_run) {
        s_set(root, "run", report_run_json(&r->run), &ok);
    } else {
        s_set(root, "run", json_null(), &ok);
    }
    char warn[1024];
    json_t *warns = json_array();
    if (warns != NULL && report_warnings(r, warn, sizeof warn) > 0) {
        for (char *line = strtok(warn, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            if (json_array_append_new(warns, json_string(line)) != 0) {
                ok = false;
            }
        }
    }
    s_set(root, "warnings", warns, &ok);
    if (!ok) {
        json_decref(root);
        errno = ENOMEM;
        return NULL;
    }
    return root;
}
