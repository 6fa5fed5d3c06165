/*  schema.c - open the recorder database and migrate it (see schema.h).
 *  Owns:  the table of migration steps.
 *  Units: every time column is int64 ns since the Unix epoch; money columns come in pairs,
 *         decimal TEXT plus INTEGER mantissa (X_m), see docs/recorder.md.
 */
#include "recorder/schema.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "common/log.h"

/* Step 1: the first schema. Columns without NOT NULL/UNIQUE on purpose: a message from
 * outside can never make an insert fail (a failed insert would block the whole batch). */
static const char k_step1[] =
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY, topic TEXT, type TEXT, src TEXT, epoch INTEGER, seq INTEGER,"
    " ts INTEGER, origin INTEGER, evt INTEGER, body TEXT, recv_ts INTEGER);"
    "CREATE TABLE trades ("
    " id INTEGER PRIMARY KEY, event_id INTEGER, venue TEXT, symbol TEXT, evt INTEGER,"
    " ts_recv INTEGER, px TEXT, qty TEXT, px_m INTEGER, qty_m INTEGER, px_scale INTEGER,"
    " qty_scale INTEGER, side INTEGER, trade_id TEXT);"
    "CREATE TABLE book_top ("
    " id INTEGER PRIMARY KEY, event_id INTEGER, venue TEXT, symbol TEXT, evt INTEGER,"
    " bid_px TEXT, bid_qty TEXT, ask_px TEXT, ask_qty TEXT, bid_px_m INTEGER,"
    " bid_qty_m INTEGER, ask_px_m INTEGER, ask_qty_m INTEGER, px_scale INTEGER,"
    " qty_scale INTEGER, update_id INTEGER, snapshot INTEGER, n_bids INTEGER,"
    " n_asks INTEGER);"
    "CREATE TABLE candles ("
    " id INTEGER PRIMARY KEY, event_id INTEGER, topic_kind TEXT, source TEXT, venue TEXT,"
    " symbol TEXT, tf_s INTEGER, start_ns INTEGER, end_ns INTEGER, evt INTEGER,"
    " open TEXT, high TEXT, low TEXT, close TEXT, volume TEXT, open_m INTEGER,"
    " high_m INTEGER, low_m INTEGER, close_m INTEGER, volume_m INTEGER, px_scale INTEGER,"
    " qty_scale INTEGER, quote_volume TEXT, quote_volume_m INTEGER, trades INTEGER);"
    "CREATE INDEX candles_sym ON candles(venue, symbol, tf_s, start_ns);"
    "CREATE TABLE signals ("
    " id INTEGER PRIMARY KEY, event_id INTEGER, strategy TEXT, venue TEXT, symbol TEXT,"
    " side INTEGER, confidence REAL, ref_px TEXT, sl_px TEXT, tp_px TEXT, ref_px_m INTEGER,"
    " sl_px_m INTEGER, tp_px_m INTEGER, px_scale INTEGER, evt INTEGER, reason TEXT);"
    "CREATE TABLE orders ("
    " id INTEGER PRIMARY KEY, event_id INTEGER, client_id TEXT, order_id TEXT, venue TEXT,"
    " symbol TEXT, side INTEGER, type TEXT, status TEXT, qty TEXT, px TEXT, cum_qty TEXT,"
    " avg_px TEXT, fee TEXT, qty_m INTEGER, px_m INTEGER, cum_qty_m INTEGER,"
    " avg_px_m INTEGER, fee_m INTEGER, px_scale INTEGER, qty_scale INTEGER,"
    " reduce_only INTEGER, reject_reason TEXT, evt INTEGER);"
    "CREATE INDEX orders_client ON orders(client_id);"
    "CREATE TABLE fills ("
    " id INTEGER PRIMARY KEY, event_id INTEGER, fill_id TEXT, client_id TEXT, order_id TEXT,"
    " venue TEXT, symbol TEXT, side INTEGER, px TEXT, qty TEXT, fee TEXT, realized_pnl TEXT,"
    " px_m INTEGER, qty_m INTEGER, fee_m INTEGER, realized_pnl_m INTEGER, px_scale INTEGER,"
    " qty_scale INTEGER, maker INTEGER, evt INTEGER);"
    "CREATE INDEX fills_client ON fills(client_id);"
    "CREATE TABLE positions ("
    " id INTEGER PRIMARY KEY, event_id INTEGER, venue TEXT, symbol TEXT, qty TEXT,"
    " entry_px TEXT, mark_px TEXT, realized_pnl TEXT, unrealized_pnl TEXT, qty_m INTEGER,"
    " entry_px_m INTEGER, mark_px_m INTEGER, realized_pnl_m INTEGER,"
    " unrealized_pnl_m INTEGER, px_scale INTEGER, qty_scale INTEGER, evt INTEGER);"
    "CREATE TABLE balances ("
    " id INTEGER PRIMARY KEY, event_id INTEGER, venue TEXT, asset TEXT, wallet TEXT,"
    " available TEXT, equity TEXT, fees TEXT, wallet_m INTEGER, available_m INTEGER,"
    " equity_m INTEGER, fees_m INTEGER, evt INTEGER);"
    "CREATE TABLE risk_events ("
    " id INTEGER PRIMARY KEY, event_id INTEGER, topic TEXT, client_id TEXT, state TEXT,"
    " reason TEXT, evt INTEGER, body TEXT);"
    "CREATE TABLE alerts ("
    " id INTEGER PRIMARY KEY, event_id INTEGER, level TEXT, code TEXT, text TEXT,"
    " evt INTEGER);"
    "CREATE TABLE status ("
    " id INTEGER PRIMARY KEY, event_id INTEGER, venue TEXT, symbol TEXT, state TEXT,"
    " reason TEXT, evt INTEGER);"
    "CREATE TABLE gaps ("
    " id INTEGER PRIMARY KEY, src TEXT, epoch INTEGER, from_seq INTEGER, to_seq INTEGER,"
    " missing INTEGER, ts INTEGER);";

/* Step 2: indicator values (sig.ind, one row per named value) and the indexes behind the
 * questions in docs/recorder.md (fills of an order, a symbol's last N bars and indicators, a
 * day's PnL, open orders, positions, the last risk state). Existing rows are kept as they are;
 * indicators that a v1 file held only in `events` are copied from their JSON body (json_each
 * over the parallel "names" / "values" arrays of codec_body_to_json). */
static const char k_step2[] =
    "CREATE TABLE indicators ("
    " id INTEGER PRIMARY KEY, event_id INTEGER, venue TEXT, symbol TEXT, tf_s INTEGER,"
    " evt INTEGER, name TEXT, value REAL);"
    "INSERT INTO indicators(event_id, venue, symbol, tf_s, evt, name, value)"
    " SELECT e.id, json_extract(e.body, '$.venue'), json_extract(e.body, '$.symbol'),"
    "  json_extract(e.body, '$.tf_s'), e.evt, n.value,"
    "  json_extract(e.body, '$.values[' || n.key || ']')"
    " FROM events e, json_each(e.body, '$.names') n"
    " WHERE e.type = 'sig.ind' AND json_valid(e.body) ORDER BY e.id, n.key;"
    "CREATE INDEX indicators_sym ON indicators(venue, symbol, tf_s, evt);"
    "CREATE INDEX fills_order ON fills(order_id);"
    "CREATE INDEX fills_evt ON fills(evt);"
    "CREATE INDEX balances_evt ON balances(evt);"
    "CREATE INDEX positions_sym ON positions(venue, symbol, id);"
    "CREATE INDEX risk_events_topic ON risk_events(topic, id);"
    "CREATE INDEX candles_kind ON candles(topic_kind, venue, symbol, tf_s, start_ns);";

/* Step 3: runs (docs/recorder.md "Runs"). Every table gets run_id (the group's {run}/run.id,
 * common/runid.h); rows written before run ids existed are all put under the run "legacy",
 * whose `runs` row (first/last time from their events) says nothing about how it ended
 * (clean NULL). `runs` has one row per run id: started/ended wall time, whether its last
 * recorder process stopped cleanly, how many did not, first/last event time. events_run serves
 * the restart question "last seq stored per publisher and epoch of this run". */
static const char k_step3[] =
    "ALTER TABLE events ADD COLUMN run_id TEXT;"
    "ALTER TABLE trades ADD COLUMN run_id TEXT;"
    "ALTER TABLE book_top ADD COLUMN run_id TEXT;"
    "ALTER TABLE candles ADD COLUMN run_id TEXT;"
    "ALTER TABLE signals ADD COLUMN run_id TEXT;"
    "ALTER TABLE orders ADD COLUMN run_id TEXT;"
    "ALTER TABLE fills ADD COLUMN run_id TEXT;"
    "ALTER TABLE positions ADD COLUMN run_id TEXT;"
    "ALTER TABLE balances ADD COLUMN run_id TEXT;"
    "ALTER TABLE risk_events ADD COLUMN run_id TEXT;"
    "ALTER TABLE alerts ADD COLUMN run_id TEXT;"
    "ALTER TABLE status ADD COLUMN run_id TEXT;"
    "ALTER TABLE gaps ADD COLUMN run_id TEXT;"
    "ALTER TABLE indicators ADD COLUMN run_id TEXT;"
    "UPDATE events SET run_id = 'legacy';"
    "UPDATE trades SET run_id = 'legacy';"
    "UPDATE book_top SET run_id = 'legacy';"
    "UPDATE candles SET run_id = 'legacy';"
    "UPDATE signals SET run_id = 'legacy';"
    "UPDATE orders SET run_id = 'legacy';"
    "UPDATE fills SET run_id = 'legacy';"
    "UPDATE positions SET run_id = 'legacy';"
    "UPDATE balances SET run_id = 'legacy';"
    "UPDATE risk_events SET run_id = 'legacy';"
    "UPDATE alerts SET run_id = 'legacy';"
    "UPDATE status SET run_id = 'legacy';"
    "UPDATE gaps SET run_id = 'legacy';"
    "UPDATE indicators SET run_id = 'legacy';"
    "CREATE TABLE runs ("
    " run_id TEXT PRIMARY KEY, started_ns INTEGER, ended_ns INTEGER, clean INTEGER,"
    " unclean_stops INTEGER DEFAULT 0, starts INTEGER DEFAULT 0, first_evt INTEGER,"
    " last_evt INTEGER);"
    "INSERT INTO runs(run_id, started_ns, ended_ns, clean, starts, first_evt, last_evt)"
    " SELECT 'legacy', a, b, NULL, 1, c, d FROM (SELECT min(recv_ts) AS a, max(recv_ts) AS b,"
    "  min(CASE WHEN evt > 0 AND topic NOT LIKE 'sys.%' AND topic NOT LIKE 'rec.%' THEN evt END)"
    "  AS c,"
    "  max(CASE WHEN evt > 0 AND topic NOT LIKE 'sys.%' AND topic NOT LIKE 'rec.%' THEN evt END)"
    "  AS d, count(*) AS n FROM events) WHERE n > 0;"
    "CREATE INDEX events_run ON events(run_id, src, epoch, seq);"
    "CREATE INDEX candles_run ON candles(run_id, topic_kind, venue, symbol, tf_s, start_ns);"
    "CREATE INDEX gaps_run ON gaps(run_id);";

/* Step 4: the config a run was started with (docs/recorder.md "Runs"): `runs.config` (the
 * whole config file as compact JSON, secrets replaced by "(hidden)") and `runs.config_path`
 * (the file it was read from). Existing runs keep NULL (not recorded). */
static const char k_step4[] = "ALTER TABLE runs ADD COLUMN config TEXT;"
                              "ALTER TABLE runs ADD COLUMN config_path TEXT;";

/* k_migrations[i] takes user_version i -> i + 1. */
static const char *const k_migrations[] = { k_step1, k_step2, k_step3, k_step4 };

_Static_assert(sizeof k_migrations / sizeof k_migrations[0] == SCHEMA_VERSION,
               "one migration step per schema version");

int
schema_version(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int v = -1;

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
        errno = EIO;
        return -1;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    if (v < 0) {
        errno = EIO;
    }
    return v;
}

static int
s_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_error("schema", "sql failed: %s (%s): %.60s", err ? err : "?",
                  sqlite3_db_filename(db, "main"), sql);
        sqlite3_free(err);
        errno = EIO;
        return -1;
    }
    return 0;
}

int
schema_migrate(sqlite3 *db)
{
    return schema_migrate_to(db, SCHEMA_VERSION);
}

int
schema_migrate_to(sqlite3 *db, int target)
{
    int v = schema_version(db);

    if (v < 0) {
        return -1;
    }
    if (target < 0 || target > SCHEMA_VERSION) {
        errno = EINVAL;
        return -1;
    }
    if (v > SCHEMA_VERSION) {
        log_error("schema", "database %s has schema version %d, newer than %d",
                  sqlite3_db_filename(db, "main"), v, SCHEMA_VERSION);
        errno = EPROTO;
        return -1;
    }
    for (; v < target; v++) {
        char set[64];
        (void)snprintf(set, sizeof set, "PRAGMA user_version = %d", v + 1);
        if (s_exec(db, "BEGIN IMMEDIATE") < 0) {
            return -1;
        }
        if (s_exec(db, k_migrations[v]) < 0 || s_exec(db, set) < 0) {
            (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL); /* best effort; errno kept */
            errno = EIO;
            return -1;
        }
        if (s_exec(db, "COMMIT") < 0) {
            (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            errno = EIO;
            return -1;
        }
        log_info("schema", "migrated %s to schema version %d", sqlite3_db_filename(db, "main"),
                 v + 1);
    }
    return 0;
}

sqlite3 *
schema_open(const char *path, int busy_ms)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

    if (rc != SQLITE_OK) {
        log_error("schema", "cannot open database %s: %s", path,
                  db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        errno = rc == SQLITE_NOMEM ? ENOMEM : EIO;
        goto fail;
    }
    /* SQLite silently falls back to read-only when the file cannot be written (mode 0444, a
     * read-only mount): refuse here with a clear error rather than fail every commit later */
    if (sqlite3_db_readonly(db, "main") == 1) {
        log_error("schema",
                  "database %s is read-only (file mode, owner or mount): refusing to "
                  "record into it",
                  path);
        errno = EROFS;
        goto fail;
    }
    if (sqlite3_busy_timeout(db, busy_ms) != SQLITE_OK) {
        errno = EIO;
        goto fail;
    }
    /* WAL: readers (report, history queries) never block the writer; NORMAL: a commit is
     * durable against a process crash, and the file is never corrupt on power loss
     * (sqlite.org/pragma.html#pragma_synchronous, WAL mode). */
    if (s_exec(db, "PRAGMA journal_mode=WAL") < 0 || s_exec(db, "PRAGMA synchronous=NORMAL") < 0
        || s_exec(db, "PRAGMA foreign_keys=OFF") < 0) {
        goto fail;
    }
    if (schema_migrate(db) < 0) {
        goto fail;
    }
    return db;
fail : {
    int e = errno;
    sqlite3_close(db); /* NULL is harmless */
    errno = e;
    return NULL;
}
}
