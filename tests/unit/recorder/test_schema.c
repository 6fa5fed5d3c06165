/*  test_schema.c - recorder/schema: creation, user_version, refusal of newer files, failed
 *  migrations rolled back. Real SQLite files under /tmp.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "recorder/schema.h"

static char s_path[256];

static int
s_setup(void **state)
{
    (void)state;
    (void)snprintf(s_path, sizeof s_path, "/tmp/tp_test_schema_%d.db", (int)getpid());
    (void)unlink(s_path);
    return 0;
}

static int
s_teardown(void **state)
{
    char p[300];
    (void)state;
    (void)unlink(s_path);
    (void)snprintf(p, sizeof p, "%s-wal", s_path);
    (void)unlink(p);
    (void)snprintf(p, sizeof p, "%s-shm", s_path);
    (void)unlink(p);
    return 0;
}

static int64_t
s_scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

static void
test_fresh_db_has_every_table(void **state)
{
    (void)state;
    sqlite3 *db = schema_open(s_path, 100);
    assert_non_null(db);
    assert_int_equal(schema_version(db), SCHEMA_VERSION);
    assert_int_equal(SCHEMA_VERSION, 4);
    /* the 15 tables listed in docs/recorder.md */
    static const char *const tables[] = { "events",   "trades",      "book_top", "candles",
                                          "signals",  "orders",      "fills",    "positions",
                                          "balances", "risk_events", "alerts",   "status",
                                          "gaps",     "indicators",  "runs" };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        (void)snprintf(sql, sizeof sql,
                       "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='%s'",
                       tables[i]);
        assert_int_equal(s_scalar(db, sql), 1);
    }
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM sqlite_master WHERE type='table'"), 15);
    /* every table but runs has run_id (docs/recorder.md "Runs") */
    for (size_t i = 0; i + 1 < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        (void)snprintf(sql, sizeof sql,
                       "SELECT count(*) FROM pragma_table_info('%s') WHERE name='run_id'",
                       tables[i]);
        assert_int_equal(s_scalar(db, sql), 1);
    }
    /* WAL mode is persistent in the file */
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    /* synchronous=NORMAL is 1 (sqlite.org/pragma.html#pragma_synchronous) */
    assert_int_equal(s_scalar(db, "PRAGMA synchronous"), 1);
    sqlite3_close(db);
}

static void
test_reopen_keeps_data_and_version(void **state)
{
    (void)state;
    sqlite3 *db = schema_open(s_path, 100);
    assert_non_null(db);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO gaps(src) VALUES('feed.0')", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    db = schema_open(s_path, 100); /* migrate is a no-op at the current version */
    assert_non_null(db);
    assert_int_equal(schema_version(db), 4);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM gaps"), 1);
    assert_int_equal(schema_migrate(db), 0);
    sqlite3_close(db);
}

static void
test_newer_file_is_refused(void **state)
{
    (void)state;
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(s_path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    errno = 0;
    assert_null(schema_open(s_path, 100));
    assert_int_equal(errno, EPROTO);
    /* not touched: still 99 and no tables */
    assert_int_equal(sqlite3_open(s_path, &raw), SQLITE_OK);
    assert_int_equal(s_scalar(raw, "PRAGMA user_version"), 99);
    assert_int_equal(s_scalar(raw, "SELECT count(*) FROM sqlite_master"), 0);
    sqlite3_close(raw);
}

static void
test_unopenable_path_is_eio(void **state)
{
    (void)state;
    errno = 0;
    assert_null(schema_open("/nonexistent-dir-tp/x/y.db", 100));
    assert_int_equal(errno, EIO);
}

static void
test_failed_step_rolls_back(void **state)
{
    (void)state;
    /* a version-0 file that already has a table named "gaps": step 1 creates events .. status,
     * then its last CREATE TABLE fails; the rollback must remove what it created */
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(s_path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "CREATE TABLE gaps(x)", NULL, NULL, NULL), SQLITE_OK);
    errno = 0;
    assert_int_equal(schema_migrate(raw), -1);
    assert_int_equal(errno, EIO);
    assert_int_equal(schema_version(raw), 0);
    /* nothing of step 1 was left behind: only our own "gaps" table remains */
    assert_int_equal(s_scalar(raw, "SELECT count(*) FROM sqlite_master WHERE type='table'"), 1);
    assert_int_equal(sqlite3_get_autocommit(raw), 1); /* no transaction left open */
    sqlite3_close(raw);
}

/* A file made by the version-1 schema code (schema_migrate_to(db, 1) runs exactly the v1 step,
 * which is never edited), holding rows, is migrated to version 2 on open: rows kept, the
 * indicators of sig.ind events copied out of their JSON bodies, the new indexes present and used
 * by the documented queries. */
static void
test_migrates_v1_file(void **state)
{
    (void)state;
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(s_path, &raw), SQLITE_OK);
    assert_int_equal(schema_migrate_to(raw, 1), 0);
    assert_int_equal(schema_version(raw), 1);
    assert_int_equal(s_scalar(raw, "SELECT count(*) FROM sqlite_master WHERE name='indicators'"),
                     0);
    /* rows as the v1 writer made them: a sig.ind event (body from codec_body_to_json, the
     * format in docs/messages.md), a fill, a candle */
    assert_int_equal(
        sqlite3_exec(raw,
                     "INSERT INTO events(topic,type,src,seq,evt,body) VALUES("
                     "'sig.ind.1m.binance-spot.BTCUSDT','sig.ind','signal.0',1,60000000000,"
                     "'{\"venue\":\"binance-spot\",\"symbol\":\"BTCUSDT\",\"tf_s\":60,"
                     "\"ts_event\":60000000000,\"names\":[\"ema9\",\"rsi14\"],"
                     "\"values\":[100.5,28.25]}');"
                     "INSERT INTO events(topic,type,src,seq,evt,body) VALUES("
                     "'sig.ind.1m.binance-spot.BTCUSDT','sig.ind','signal.0',2,120000000000,"
                     "'not json');"
                     "INSERT INTO fills(fill_id,client_id,order_id,fee_m,evt) VALUES("
                     "'f1','c1','o1',5,7);"
                     "INSERT INTO candles(venue,symbol,tf_s,start_ns,topic_kind) VALUES("
                     "'binance-spot','BTCUSDT',60,0,'md.kline');",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(raw);

    sqlite3 *db = schema_open(s_path, 100);
    assert_non_null(db);
    assert_int_equal(schema_version(db), SCHEMA_VERSION);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM events"), 2);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM fills WHERE order_id='o1'"), 1);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM candles"), 1);
    /* 2 names in the valid body -> 2 rows; the body that is not JSON gives none */
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM indicators"), 2);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM indicators WHERE name='rsi14' AND "
                                  "value=28.25 AND tf_s=60 AND evt=60000000000 AND event_id=1"),
                     1);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM indicators WHERE name='ema9' AND "
                                  "value=100.5 AND symbol='BTCUSDT'"),
                     1);
    /* the query plans of the documented questions use the new indexes */
    static const char *const plans[][2] = {
        { "EXPLAIN QUERY PLAN SELECT * FROM fills WHERE order_id='o1'", "fills_order" },
        { "EXPLAIN QUERY PLAN SELECT * FROM indicators WHERE venue='v' AND symbol='s' AND "
          "tf_s=60 ORDER BY evt DESC LIMIT 5",
          "indicators_sym" },
        { "EXPLAIN QUERY PLAN SELECT * FROM fills WHERE evt >= 0 AND evt < 86400000000000",
          "fills_evt" },
        { "EXPLAIN QUERY PLAN SELECT * FROM risk_events WHERE topic='risk.state' ORDER BY id "
          "DESC LIMIT 1",
          "risk_events_topic" },
    };
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
        sqlite3_stmt *st = NULL;
        int found = 0;
        assert_int_equal(sqlite3_prepare_v2(db, plans[i][0], -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *d = (const char *)sqlite3_column_text(st, 3);
            if (d != NULL && strstr(d, plans[i][1]) != NULL) {
                found = 1;
            }
        }
        sqlite3_finalize(st);
        assert_int_equal(found, 1);
    }
    sqlite3_close(db);
}

/* A version-2 file (made by schema_migrate_to(db, 2), the steps a v2 binary ran) holding rows
 * of two kinds is migrated to version 3 on open: the rows kept and put under the run "legacy",
 * one runs row for it whose first/last event time come from its events (heartbeats with evt 0
 * left out) and whose clean is unknown (NULL); an empty v2 file gets no runs row. */
static void
test_migrates_v2_file(void **state)
{
    (void)state;
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(s_path, &raw), SQLITE_OK);
    assert_int_equal(schema_migrate_to(raw, 2), 0);
    assert_int_equal(s_scalar(raw, "SELECT count(*) FROM pragma_table_info('events')"
                                   " WHERE name='run_id'"),
                     0);
    assert_int_equal(
        sqlite3_exec(raw,
                     "INSERT INTO events(topic,src,epoch,seq,evt,recv_ts) VALUES"
                     "('md.trade.x','feed.0',1,1,5000,100),('sys.hb.feed.0','feed.0',1,2,0,300),"
                     "('md.trade.x','feed.0',1,3,7000,200);"
                     "INSERT INTO fills(fill_id,evt,fee_m) VALUES('f1',7000,3);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(raw);
    sqlite3 *db = schema_open(s_path, 100);
    assert_non_null(db);
    assert_int_equal(schema_version(db), 4);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM events WHERE run_id='legacy'"), 3);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM fills WHERE run_id='legacy'"), 1);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM runs WHERE run_id='legacy' AND"
                                  " started_ns=100 AND ended_ns=300 AND clean IS NULL AND"
                                  " first_evt=5000 AND last_evt=7000"),
                     1);
    sqlite3_close(db);
    (void)s_teardown(NULL);
    assert_int_equal(sqlite3_open(s_path, &raw), SQLITE_OK);
    assert_int_equal(schema_migrate_to(raw, 2), 0);
    sqlite3_close(raw);
    db = schema_open(s_path, 100);
    assert_non_null(db);
    assert_int_equal(s_scalar(db, "SELECT count(*) FROM runs"), 0);
    sqlite3_close(db);
}

static void
test_migrate_to_bad_target(void **state)
{
    (void)state;
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(s_path, &raw), SQLITE_OK);
    errno = 0;
    assert_int_equal(schema_migrate_to(raw, SCHEMA_VERSION + 1), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(schema_migrate_to(raw, -1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(schema_version(raw), 0);
    sqlite3_close(raw);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrates_v2_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_fresh_db_has_every_table, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data_and_version, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_newer_file_is_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_unopenable_path_is_eio, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_failed_step_rolls_back, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_migrates_v1_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_to_bad_target, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
