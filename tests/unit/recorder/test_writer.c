/*  test_writer.c - recorder/writer: every typed table from real codec-encoded messages, gap
 *  rows, batching by count and by age, database errors retried, the pending cap.
 *  Expected values are derived by hand from the inputs (see the comments), read back with SQL
 *  from a real SQLite file under /tmp.
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

#include "common/bus.h"
#include "common/clock.h"
#include "common/codec.h"
#include "recorder/writer.h"

static char s_path[256];
static uint8_t s_buf[CODEC_MSG_MAX];
static uint64_t s_seq;

static int
s_setup(void **state)
{
    char p[300];
    (void)state;
    (void)snprintf(s_path, sizeof s_path, "/tmp/tp_test_writer_%d.db", (int)getpid());
    (void)unlink(s_path);
    (void)snprintf(p, sizeof p, "%s-wal", s_path);
    (void)unlink(p);
    (void)snprintf(p, sizeof p, "%s-shm", s_path);
    (void)unlink(p);
    s_seq = 0;
    return 0;
}

static int
s_teardown(void **state)
{
    return s_setup(state);
}

/* Encode `body` of `type` with a real envelope (src feed.0, evt given) into a bus_msg_t that
 * borrows s_buf. */
static bus_msg_t
s_msg(const char *topic, codec_type_t type, const void *body, int64_t evt)
{
    bus_msg_t m;
    memset(&m, 0, sizeof m);
    codec_env_t env = { .v = CODEC_VERSION,
                        .epoch = 1000,
                        .seq = ++s_seq,
                        .ts = evt + 5,
                        .origin = evt + 1,
                        .evt = evt };
    (void)snprintf(env.src, sizeof env.src, "feed.0");
    size_t len = 0;
    assert_int_equal(codec_encode(&env, type, body, s_buf, sizeof s_buf, &len), 0);
    (void)snprintf(m.topic, sizeof m.topic, "%s", topic);
    m.type = codec_type_of_topic(topic);
    assert_int_equal(m.type, type);
    m.env = env;
    m.data = s_buf;
    m.len = len;
    return m;
}

static int64_t
s_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = INT64_MIN;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

/* First column of the first row as text ("<null>" for NULL, "<none>" for no row). */
static const char *
s_text(sqlite3 *db, const char *sql)
{
    static char out[512];
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        (void)snprintf(out, sizeof out, "<none>");
    } else if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
        (void)snprintf(out, sizeof out, "<null>");
    } else {
        (void)snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
}

static writer_t *
s_writer(size_t batch_max, int64_t batch_ms)
{
    writer_t *w = writer_new(s_path, batch_max, batch_ms);
    assert_non_null(w);
    return w;
}

static void
test_new_rejects_bad_args(void **state)
{
    (void)state;
    errno = 0;
    assert_null(writer_new(NULL, 10, 10));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(writer_new(s_path, 0, 10));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(writer_new(s_path, 10, 0));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(writer_new("/nonexistent-dir-tp/x.db", 10, 10));
    assert_int_equal(errno, EIO);
    writer_t *w = NULL;
    writer_destroy(&w); /* NULL is a no-op */
    assert_null(w);
}

static void
test_trade_and_events_row(void **state)
{
    (void)state;
    writer_t *w = s_writer(100, 200);
    /* 65114.20 at px_scale 2 is mantissa 6511420; 0.005 at qty_scale 3 is 5 */
    codec_md_trade_t t = { .venue = "bybit-linear",
                           .symbol = "BTCUSDT",
                           .px_scale = 2,
                           .qty_scale = 3,
                           .ts_event = 1700000000000000000,
                           .ts_recv = 1700000000001000000,
                           .px = 6511420,
                           .qty = 5,
                           .side = -1,
                           .trade_id = "abc-1" };
    bus_msg_t m = s_msg("md.trade.bybit-linear.BTCUSDT", CODEC_MD_TRADE, &t, t.ts_event);
    assert_int_equal(writer_add(w, &m, 42, 1000), 0);
    writer_check(w);
    assert_int_equal(writer_commit(w), 0);
    writer_check(w);
    sqlite3 *db = writer_db(w);
    assert_int_equal(s_int(db, "SELECT count(*) FROM events"), 1);
    assert_string_equal(s_text(db, "SELECT topic FROM events"), "md.trade.bybit-linear.BTCUSDT");
    assert_string_equal(s_text(db, "SELECT type FROM events"), "md.trade");
    assert_string_equal(s_text(db, "SELECT src FROM events"), "feed.0");
    assert_int_equal(s_int(db, "SELECT seq FROM events"), 1);
    assert_int_equal(s_int(db, "SELECT epoch FROM events"), 1000);
    assert_int_equal(s_int(db, "SELECT evt FROM events"), 1700000000000000000);
    assert_int_equal(s_int(db, "SELECT origin FROM events"), 1700000000000000001);
    assert_int_equal(s_int(db, "SELECT ts FROM events"), 1700000000000000005);
    assert_int_equal(s_int(db, "SELECT recv_ts FROM events"), 42);
    /* body is the JSON of the body map: it carries the mantissa and the trade id */
    assert_int_equal(s_int(db, "SELECT json_extract(body,'$.px') FROM events"), 6511420);
    assert_string_equal(s_text(db, "SELECT json_extract(body,'$.trade_id') FROM events"), "abc-1");
    assert_string_equal(s_text(db, "SELECT px FROM trades"), "65114.20");
    assert_int_equal(s_int(db, "SELECT px_m FROM trades"), 6511420);
    assert_string_equal(s_text(db, "SELECT qty FROM trades"), "0.005");
    assert_int_equal(s_int(db, "SELECT qty_m FROM trades"), 5);
    assert_string_equal(s_text(db, "SELECT side FROM trades"), "sell");
    assert_string_equal(s_text(db, "SELECT trade_id FROM trades"), "abc-1");
    assert_int_equal(s_int(db, "SELECT event_id = (SELECT id FROM events) FROM trades"), 1);
    assert_int_equal(s_int(db, "SELECT ts_recv FROM trades"), 1700000000001000000);
    writer_stats_t s;
    writer_stats(w, &s);
    assert_int_equal(s.events, 1);
    assert_int_equal(s.rows, 2); /* events + trades */
    assert_int_equal(s.commits, 1);
    assert_int_equal(s.pending, 0);
    assert_true(s.last_commit_ns > 0);
    writer_destroy(&w);
    assert_null(w);
}

static void
test_book_top_row(void **state)
{
    (void)state;
    writer_t *w = s_writer(100, 200);
    /* best bid 65000.10 x 1.500, best ask 65000.20 x 0.700 (px_scale 2, qty_scale 3);
     * the second bid level must not appear in book_top */
    codec_md_book_t b = { .venue = "bybit-linear",
                          .symbol = "BTCUSDT",
                          .px_scale = 2,
                          .qty_scale = 3,
                          .ts_event = 5,
                          .update_id = 77,
                          .snapshot = true,
                          .n_bids = 2,
                          .n_asks = 1 };
    b.bids[0] = (codec_level_t){ 6500010, 1500 };
    b.bids[1] = (codec_level_t){ 6500000, 9000 };
    b.asks[0] = (codec_level_t){ 6500020, 700 };
    bus_msg_t m = s_msg("md.book.bybit-linear.BTCUSDT", CODEC_MD_BOOK, &b, 5);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    /* an empty ask side gives NULL ask columns */
    codec_md_book_t e = b;
    e.n_asks = 0;
    e.snapshot = false;
    e.update_id = 78;
    m = s_msg("md.book.bybit-linear.BTCUSDT", CODEC_MD_BOOK, &e, 6);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    assert_int_equal(writer_commit(w), 0);
    sqlite3 *db = writer_db(w);
    assert_string_equal(s_text(db, "SELECT bid_px FROM book_top WHERE update_id=77"), "65000.10");
    assert_string_equal(s_text(db, "SELECT bid_qty FROM book_top WHERE update_id=77"), "1.500");
    assert_string_equal(s_text(db, "SELECT ask_px FROM book_top WHERE update_id=77"), "65000.20");
    assert_string_equal(s_text(db, "SELECT ask_qty FROM book_top WHERE update_id=77"), "0.700");
    assert_int_equal(s_int(db, "SELECT ask_qty_m FROM book_top WHERE update_id=77"), 700);
    assert_int_equal(s_int(db, "SELECT snapshot FROM book_top WHERE update_id=77"), 1);
    assert_int_equal(s_int(db, "SELECT n_bids FROM book_top WHERE update_id=77"), 2);
    assert_string_equal(s_text(db, "SELECT ask_px FROM book_top WHERE update_id=78"), "<null>");
    assert_int_equal(s_int(db, "SELECT snapshot FROM book_top WHERE update_id=78"), 0);
    writer_destroy(&w);
}

static void
test_candles_from_kline_and_bar(void **state)
{
    (void)state;
    writer_t *w = s_writer(100, 200);
    /* Binance kline 2025-11-01 00:00 1m: o 109567.08 h 109600.00 l 109500.01 c 109550.55,
     * volume 12.34567 (px_scale 2, qty_scale 5), 1234 trades */
    codec_md_kline_t k = { .venue = "binance-spot",
                           .symbol = "BTCUSDT",
                           .px_scale = 2,
                           .qty_scale = 5,
                           .interval_s = 60,
                           .start_ns = 1761955200000000000,
                           .end_ns = 1761955260000000000,
                           .open = 10956708,
                           .high = 10960000,
                           .low = 10950001,
                           .close = 10955055,
                           .volume = 1234567,
                           .quote_volume = 135000000000000,
                           .trades = 1234,
                           .closed = true };
    bus_msg_t m = s_msg("md.kline.1m.binance-spot.BTCUSDT", CODEC_MD_KLINE, &k, k.end_ns);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    codec_md_kline_t open = k;
    open.closed = false; /* an update of a bar still forming: events only */
    m = s_msg("md.kline.1m.binance-spot.BTCUSDT", CODEC_MD_KLINE, &open, k.end_ns);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    codec_sig_bar_t bar = { .venue = "bybit-linear",
                            .symbol = "BTCUSDT",
                            .source = "trades",
                            .px_scale = 2,
                            .qty_scale = 3,
                            .tf_s = 1,
                            .start_ns = 1000000000,
                            .end_ns = 2000000000,
                            .open = 100,
                            .high = 300,
                            .low = 50,
                            .close = 250,
                            .volume = 7 };
    m = s_msg("sig.bar.1s.bybit-linear.BTCUSDT", CODEC_SIG_BAR, &bar, bar.end_ns);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    assert_int_equal(writer_commit(w), 0);
    sqlite3 *db = writer_db(w);
    assert_int_equal(s_int(db, "SELECT count(*) FROM events"), 3);
    assert_int_equal(s_int(db, "SELECT count(*) FROM candles"), 2);
    assert_string_equal(s_text(db, "SELECT open FROM candles WHERE topic_kind='md.kline'"),
                        "109567.08");
    assert_string_equal(s_text(db, "SELECT low FROM candles WHERE topic_kind='md.kline'"),
                        "109500.01");
    assert_string_equal(s_text(db, "SELECT volume FROM candles WHERE topic_kind='md.kline'"),
                        "12.34567");
    /* 1350000.00000000 quote at MONEY_VALUE_SCALE 8 */
    assert_string_equal(s_text(db, "SELECT quote_volume FROM candles WHERE topic_kind='md.kline'"),
                        "1350000.00000000");
    assert_int_equal(s_int(db, "SELECT tf_s FROM candles WHERE topic_kind='md.kline'"), 60);
    assert_int_equal(s_int(db, "SELECT trades FROM candles WHERE topic_kind='md.kline'"), 1234);
    assert_string_equal(s_text(db, "SELECT source FROM candles WHERE topic_kind='sig.bar'"),
                        "trades");
    assert_string_equal(s_text(db, "SELECT close FROM candles WHERE topic_kind='sig.bar'"), "2.50");
    assert_int_equal(s_int(db, "SELECT tf_s FROM candles WHERE topic_kind='sig.bar'"), 1);
    writer_destroy(&w);
}

static void
test_signal_row(void **state)
{
    (void)state;
    writer_t *w = s_writer(100, 200);
    codec_sig_signal_t s = { .strategy = "ema_rsi.btc",
                             .venue = "binance-spot",
                             .symbol = "BTCUSDT",
                             .side = 1,
                             .confidence = 72.5,
                             .px_scale = 2,
                             .ref_px = 10000000,
                             .sl_px = 9950000,
                             .tp_px = 0,
                             .ts_event = 9,
                             .reason = "ema9 crossed ema21" };
    bus_msg_t m = s_msg("sig.signal.ema_rsi.btc.BTCUSDT", CODEC_SIG_SIGNAL, &s, 9);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    assert_int_equal(writer_commit(w), 0);
    sqlite3 *db = writer_db(w);
    assert_string_equal(s_text(db, "SELECT strategy FROM signals"), "ema_rsi.btc");
    assert_string_equal(s_text(db, "SELECT side FROM signals"), "buy");
    assert_string_equal(s_text(db, "SELECT ref_px FROM signals"), "100000.00");
    assert_string_equal(s_text(db, "SELECT sl_px FROM signals"), "99500.00");
    assert_string_equal(s_text(db, "SELECT tp_px FROM signals"), "<null>"); /* 0 = none */
    assert_string_equal(s_text(db, "SELECT confidence FROM signals"), "72.5");
    assert_string_equal(s_text(db, "SELECT reason FROM signals"), "ema9 crossed ema21");
    writer_destroy(&w);
}

static void
test_exec_tables(void **state)
{
    (void)state;
    writer_t *w = s_writer(100, 200);
    /* buy 0.01000 BTC limit at 100000.00, filled at avg 100000.00, fee 1.00000000 USDT
     * (0.001 x 1000 USDT notional) */
    codec_exec_order_t o = { .client_id = "c1",
                             .order_id = "o1",
                             .venue = "paper",
                             .symbol = "BTCUSDT",
                             .status = "Filled",
                             .side = 1,
                             .type = CODEC_ORD_LIMIT,
                             .px_scale = 2,
                             .qty_scale = 5,
                             .qty = 1000,
                             .px = 10000000,
                             .cum_qty = 1000,
                             .avg_px = 10000000,
                             .fee = 100000000,
                             .ts_event = 11 };
    bus_msg_t m = s_msg("exec.order", CODEC_EXEC_ORDER, &o, 11);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    codec_exec_fill_t f = { .client_id = "c1",
                            .order_id = "o1",
                            .fill_id = "f1",
                            .venue = "paper",
                            .symbol = "BTCUSDT",
                            .side = 1,
                            .maker = false,
                            .px_scale = 2,
                            .qty_scale = 5,
                            .px = 10000000,
                            .qty = 1000,
                            .fee = 100000000,
                            .realized_pnl = -250000000,
                            .ts_event = 11 };
    m = s_msg("exec.fill", CODEC_EXEC_FILL, &f, 11);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    codec_exec_position_t p = { .venue = "paper",
                                .symbol = "BTCUSDT",
                                .px_scale = 2,
                                .qty_scale = 5,
                                .qty = -1000,
                                .entry_px = 10000000,
                                .mark_px = 10010000,
                                .realized_pnl = 0,
                                .unrealized_pnl = -100000000,
                                .ts_event = 11 };
    m = s_msg("exec.position", CODEC_EXEC_POSITION, &p, 11);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    codec_exec_balance_t a = { .venue = "paper",
                               .asset = "USDT",
                               .wallet = 999900000000,
                               .available = 899900000000,
                               .equity = 999800000000,
                               .fees = 100000000,
                               .ts_event = 11 };
    m = s_msg("exec.balance", CODEC_EXEC_BALANCE, &a, 11);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    assert_int_equal(writer_commit(w), 0);
    sqlite3 *db = writer_db(w);
    assert_string_equal(s_text(db, "SELECT status FROM orders WHERE client_id='c1'"), "Filled");
    assert_string_equal(s_text(db, "SELECT type FROM orders"), "limit");
    assert_string_equal(s_text(db, "SELECT qty FROM orders"), "0.01000");
    assert_string_equal(s_text(db, "SELECT avg_px FROM orders"), "100000.00");
    assert_string_equal(s_text(db, "SELECT fee FROM orders"), "1.00000000");
    assert_string_equal(s_text(db, "SELECT reject_reason FROM orders"), "<null>");
    assert_string_equal(s_text(db, "SELECT fill_id FROM fills"), "f1");
    assert_string_equal(s_text(db, "SELECT realized_pnl FROM fills"), "-2.50000000");
    assert_int_equal(s_int(db, "SELECT realized_pnl_m FROM fills"), -250000000);
    assert_int_equal(s_int(db, "SELECT maker FROM fills"), 0);
    assert_string_equal(s_text(db, "SELECT qty FROM positions"), "-0.01000");
    assert_string_equal(s_text(db, "SELECT unrealized_pnl FROM positions"), "-1.00000000");
    assert_string_equal(s_text(db, "SELECT equity FROM balances"), "9998.00000000");
    assert_string_equal(s_text(db, "SELECT asset FROM balances"), "USDT");
    writer_stats_t s;
    writer_stats(w, &s);
    assert_int_equal(s.rows, 8); /* 4 events + 4 typed */
    writer_destroy(&w);
}

static void
test_risk_and_status_tables(void **state)
{
    (void)state;
    writer_t *w = s_writer(100, 200);
    codec_risk_order_t o = { .client_id = "c9",
                             .strategy = "s",
                             .venue = "paper",
                             .symbol = "BTCUSDT",
                             .intent = "entry",
                             .side = 1,
                             .px_scale = 2,
                             .qty_scale = 5,
                             .qty = 10 };
    bus_msg_t m = s_msg("risk.order", CODEC_RISK_ORDER, &o, 1);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    codec_risk_reject_t r = {
        .client_id = "", .strategy = "s", .symbol = "BTCUSDT", .reason = "max_open_positions"
    };
    m = s_msg("risk.reject", CODEC_RISK_REJECT, &r, 2);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    codec_risk_state_t st = { .state = "RUNNING", .reason = "start" };
    m = s_msg("risk.state", CODEC_RISK_STATE, &st, 3);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    codec_risk_alert_t al = { .level = "error", .code = "daily_loss_limit", .text = "-3.1%" };
    m = s_msg("risk.alert", CODEC_RISK_ALERT, &al, 4);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    codec_md_status_t ms = {
        .venue = "bybit-linear", .symbol = "", .state = "resync", .reason = "seq gap"
    };
    m = s_msg("md.status.bybit-linear", CODEC_MD_STATUS, &ms, 5);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    assert_int_equal(writer_commit(w), 0);
    sqlite3 *db = writer_db(w);
    assert_int_equal(s_int(db, "SELECT count(*) FROM risk_events"), 4);
    assert_string_equal(s_text(db, "SELECT state FROM risk_events WHERE topic='risk.order'"),
                        "entry");
    assert_string_equal(s_text(db, "SELECT client_id FROM risk_events WHERE topic='risk.order'"),
                        "c9");
    assert_string_equal(s_text(db, "SELECT json_extract(body,'$.qty') FROM risk_events"
                                   " WHERE topic='risk.order'"),
                        "10");
    assert_string_equal(s_text(db, "SELECT reason FROM risk_events WHERE topic='risk.reject'"),
                        "max_open_positions");
    assert_string_equal(s_text(db, "SELECT client_id FROM risk_events WHERE topic='risk.reject'"),
                        "<null>");
    assert_string_equal(s_text(db, "SELECT state FROM risk_events WHERE topic='risk.state'"),
                        "RUNNING");
    assert_string_equal(s_text(db, "SELECT reason FROM risk_events WHERE topic='risk.alert'"),
                        "daily_loss_limit: -3.1%");
    assert_string_equal(s_text(db, "SELECT code FROM alerts"), "daily_loss_limit");
    assert_string_equal(s_text(db, "SELECT level FROM alerts"), "error");
    assert_string_equal(s_text(db, "SELECT state FROM status"), "resync");
    assert_string_equal(s_text(db, "SELECT symbol FROM status"), "<null>");
    writer_destroy(&w);
}

static void
test_gap_rows(void **state)
{
    (void)state;
    writer_t *w = s_writer(100, 200);
    /* a synthetic seq jump: seq 10 arrives after seq 6 (bus counts gap = 10 - 6 - 1 = 3),
     * so 7, 8, 9 are missing */
    codec_sys_hb_t hb = { .stage = "feed.0", .state = "running" };
    bus_msg_t m = s_msg("sys.hb.feed.0", CODEC_SYS_HB, &hb, 1);
    m.env.seq = 10;
    m.gap = 3;
    assert_int_equal(writer_add_gap_of(w, &m, 777, 1), 0);
    m.gap = 0; /* no gap: nothing queued */
    assert_int_equal(writer_add_gap_of(w, &m, 777, 1), 0);
    m.gap = 10; /* gap >= seq cannot happen under the bus rule */
    errno = 0;
    assert_int_equal(writer_add_gap_of(w, &m, 777, 1), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(writer_add_gap(w, "feed.0", 1, 5, 4, 1, 1), -1); /* from > to */
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(writer_add_gap(w, NULL, 1, 1, 4, 1, 1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(writer_commit(w), 0);
    sqlite3 *db = writer_db(w);
    assert_int_equal(s_int(db, "SELECT count(*) FROM gaps"), 1);
    assert_int_equal(s_int(db, "SELECT from_seq FROM gaps"), 7);
    assert_int_equal(s_int(db, "SELECT to_seq FROM gaps"), 9);
    assert_int_equal(s_int(db, "SELECT missing FROM gaps"), 3);
    assert_int_equal(s_int(db, "SELECT epoch FROM gaps"), 1000);
    assert_string_equal(s_text(db, "SELECT src FROM gaps"), "feed.0");
    assert_int_equal(s_int(db, "SELECT ts FROM gaps"), 777);
    assert_int_equal(s_int(db, "SELECT count(*) FROM events"), 0);
    writer_stats_t s;
    writer_stats(w, &s);
    assert_int_equal(s.gaps, 1);
    writer_destroy(&w);
}

/* A second connection sees only committed rows. */
static int64_t
s_count_outside(const char *table)
{
    sqlite3 *db = NULL;
    char sql[96];
    assert_int_equal(sqlite3_open(s_path, &db), SQLITE_OK);
    (void)snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    int64_t n = s_int(db, sql);
    sqlite3_close(db);
    return n;
}

static void
test_commit_by_count(void **state)
{
    (void)state;
    writer_t *w = s_writer(3, 100000);
    codec_sys_hb_t hb = { .stage = "feed.0", .state = "running" };
    for (int i = 0; i < 2; i++) {
        bus_msg_t m = s_msg("sys.hb.feed.0", CODEC_SYS_HB, &hb, i);
        assert_int_equal(writer_add(w, &m, 1, 1), 0);
    }
    assert_int_equal(s_count_outside("events"), 0); /* 2 < batch_max 3 */
    bus_msg_t m = s_msg("sys.hb.feed.0", CODEC_SYS_HB, &hb, 3);
    assert_int_equal(writer_add(w, &m, 1, 1), 0); /* the 3rd message commits */
    assert_int_equal(s_count_outside("events"), 3);
    writer_stats_t s;
    writer_stats(w, &s);
    assert_int_equal(s.commits, 1);
    assert_int_equal(s.pending, 0);
    writer_destroy(&w);
}

static void
test_commit_by_age(void **state)
{
    (void)state;
    writer_t *w = s_writer(5000, 200);
    const int64_t t0 = 1000000000; /* monotonic ns of the first message */
    codec_sys_hb_t hb = { .stage = "feed.0", .state = "running" };
    assert_int_equal(writer_tick(w, t0), 0); /* nothing pending: no-op */
    bus_msg_t m = s_msg("sys.hb.feed.0", CODEC_SYS_HB, &hb, 1);
    assert_int_equal(writer_add(w, &m, 1, t0), 0);
    m = s_msg("sys.hb.feed.0", CODEC_SYS_HB, &hb, 2);
    assert_int_equal(writer_add(w, &m, 1, t0 + 150 * CLOCK_NS_PER_MS), 0);
    /* the batch age runs from the FIRST pending message: 199 ms is not due, 200 ms is */
    assert_int_equal(writer_tick(w, t0 + 199 * CLOCK_NS_PER_MS), 0);
    assert_int_equal(s_count_outside("events"), 0);
    assert_int_equal(writer_tick(w, t0 + 200 * CLOCK_NS_PER_MS), 0);
    assert_int_equal(s_count_outside("events"), 2);
    writer_check(w);
    writer_destroy(&w);
}

static void
test_locked_db_is_retried(void **state)
{
    (void)state;
    writer_t *w = s_writer(5000, 200);
    sqlite3 *other = NULL;
    assert_int_equal(sqlite3_open(s_path, &other), SQLITE_OK);
    /* another writer holds the write lock */
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    codec_sys_hb_t hb = { .stage = "feed.0", .state = "running" };
    bus_msg_t m = s_msg("sys.hb.feed.0", CODEC_SYS_HB, &hb, 1);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    errno = 0;
    assert_int_equal(writer_commit(w), -1);
    assert_int_equal(errno, EIO);
    writer_stats_t s;
    writer_stats(w, &s);
    assert_int_equal(s.db_errors, 1);
    assert_int_equal(s.commits, 0);
    assert_int_equal(s.pending, 1); /* kept for the retry */
    assert_string_equal(writer_rc_kind(s.last_rc), "locked");
    writer_check(w);
    /* a failing batch is retried from writer_tick at most once per batch_ms */
    const int64_t t = 10 * CLOCK_NS_PER_S;
    assert_int_equal(writer_tick(w, t), -1);
    writer_stats(w, &s);
    assert_int_equal(s.db_errors, 2);
    assert_int_equal(writer_tick(w, t + 100 * CLOCK_NS_PER_MS), 0); /* too soon: not tried */
    writer_stats(w, &s);
    assert_int_equal(s.db_errors, 2);
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(writer_tick(w, t + 200 * CLOCK_NS_PER_MS), 0);
    assert_int_equal(s_count_outside("events"), 1);
    writer_stats(w, &s);
    assert_int_equal(s.commits, 1);
    assert_int_equal(s.events, 1);
    assert_int_equal(s.pending, 0);
    writer_destroy(&w);
}

static void
test_full_pending_drops(void **state)
{
    (void)state;
    /* batch_max 1: the pending cap is WRITER_PENDING_FACTOR x 1 = 20 records */
    writer_t *w = s_writer(1, 200);
    sqlite3 *other = NULL;
    assert_int_equal(sqlite3_open(s_path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    codec_sys_hb_t hb = { .stage = "feed.0", .state = "running" };
    for (int i = 0; i < WRITER_PENDING_FACTOR; i++) {
        bus_msg_t m = s_msg("sys.hb.feed.0", CODEC_SYS_HB, &hb, i);
        assert_int_equal(writer_add(w, &m, 1, 1), 0); /* the first add's commit fails */
    }
    bus_msg_t m = s_msg("sys.hb.feed.0", CODEC_SYS_HB, &hb, 99);
    errno = 0;
    assert_int_equal(writer_add(w, &m, 1, 1), -1);
    assert_int_equal(errno, ENOBUFS);
    writer_stats_t s;
    writer_stats(w, &s);
    assert_int_equal(s.dropped, 1);
    assert_int_equal(s.pending, WRITER_PENDING_FACTOR);
    assert_int_equal(s.db_errors, 1); /* only the first add tried: later ones wait for tick */
    writer_check(w);
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(writer_commit(w), 0);
    assert_int_equal(s_count_outside("events"), WRITER_PENDING_FACTOR);
    writer_destroy(&w);
}

static void
test_undecodable_body_keeps_event(void **state)
{
    (void)state;
    writer_t *w = s_writer(100, 200);
    static const uint8_t junk[] = { 0xc1, 0xc1, 0xc1 }; /* 0xc1 is never valid msgpack */
    bus_msg_t m;
    memset(&m, 0, sizeof m);
    (void)snprintf(m.topic, sizeof m.topic, "md.trade.bybit-linear.BTCUSDT");
    m.type = CODEC_MD_TRADE;
    (void)snprintf(m.env.src, sizeof m.env.src, "feed.0");
    m.env.seq = 1;
    m.data = junk;
    m.len = sizeof junk;
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    assert_int_equal(writer_commit(w), 0);
    sqlite3 *db = writer_db(w);
    assert_int_equal(s_int(db, "SELECT count(*) FROM events"), 1);
    assert_string_equal(s_text(db, "SELECT body FROM events"), "<null>");
    assert_int_equal(s_int(db, "SELECT count(*) FROM trades"), 0);
    writer_stats_t s;
    writer_stats(w, &s);
    assert_int_equal(s.bad, 1);
    writer_destroy(&w);
}

static void
test_destroy_commits_pending(void **state)
{
    (void)state;
    writer_t *w = s_writer(5000, 100000);
    codec_sys_hb_t hb = { .stage = "feed.0", .state = "running" };
    bus_msg_t m = s_msg("sys.hb.feed.0", CODEC_SYS_HB, &hb, 1);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    assert_int_equal(s_count_outside("events"), 0);
    writer_destroy(&w);
    assert_null(w);
    assert_int_equal(s_count_outside("events"), 1);
}


static void
test_indicator_rows(void **state)
{
    (void)state;
    writer_t *w = s_writer(100, 200);
    /* two named values -> two indicators rows sharing one event_id, in name order */
    codec_sig_ind_t k = {
        .venue = "binance-spot", .symbol = "BTCUSDT", .tf_s = 60, .ts_event = 120, .n = 2
    };
    (void)snprintf(k.names[0], sizeof k.names[0], "ema9");
    (void)snprintf(k.names[1], sizeof k.names[1], "rsi14");
    k.values[0] = 65000.25; /* exactly representable in binary: 65000 + 1/4 */
    k.values[1] = 28.5;
    bus_msg_t m = s_msg("sig.ind.1m.binance-spot.BTCUSDT", CODEC_SIG_IND, &k, 120);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    assert_int_equal(writer_commit(w), 0);
    sqlite3 *db = writer_db(w);
    assert_int_equal(s_int(db, "SELECT count(*) FROM indicators"), 2);
    assert_int_equal(s_int(db, "SELECT count(DISTINCT event_id) FROM indicators"), 1);
    assert_int_equal(s_int(db, "SELECT event_id FROM indicators LIMIT 1"),
                     s_int(db, "SELECT id FROM events"));
    assert_string_equal(s_text(db, "SELECT value FROM indicators WHERE name='ema9'"), "65000.25");
    assert_string_equal(s_text(db, "SELECT value FROM indicators WHERE name='rsi14'"), "28.5");
    assert_int_equal(s_int(db, "SELECT tf_s FROM indicators WHERE name='rsi14'"), 60);
    assert_int_equal(s_int(db, "SELECT evt FROM indicators WHERE name='rsi14'"), 120);
    assert_string_equal(s_text(db, "SELECT symbol FROM indicators WHERE name='ema9'"), "BTCUSDT");
    writer_destroy(&w);
}

/* A full disk, made real with PRAGMA max_page_count (SQLite then fails the write with
 * SQLITE_FULL exactly as on a full file system): the batch is kept, the error is classified
 * "disk_full", and the same rows land once space is back. */
static void
test_full_disk_keeps_batch(void **state)
{
    (void)state;
    writer_t *w = s_writer(100000, 200);
    sqlite3 *db = writer_db(w);
    int64_t pages = s_int(db, "PRAGMA page_count");
    char sql[96];
    (void)snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    codec_sys_hb_t hb = { .stage = "feed.0", .state = "running" };
    /* 2000 events rows of ~100 bytes cannot fit in zero new pages */
    for (int i = 0; i < 2000; i++) {
        bus_msg_t m = s_msg("sys.hb.feed.0", CODEC_SYS_HB, &hb, i);
        assert_int_equal(writer_add(w, &m, 1, 1), 0);
    }
    errno = 0;
    assert_int_equal(writer_commit(w), -1);
    assert_int_equal(errno, EIO);
    writer_stats_t s;
    writer_stats(w, &s);
    assert_int_equal(s.last_rc & 0xff, SQLITE_FULL);
    assert_string_equal(writer_rc_kind(s.last_rc), "disk_full");
    assert_int_equal(s.failing, 1);
    assert_int_equal(s.pending, 2000);
    assert_int_equal(s_count_outside("events"), 0);
    assert_int_equal(sqlite3_get_autocommit(db), 1); /* nothing left half-open */
    assert_int_equal(sqlite3_exec(db, "PRAGMA max_page_count = 1073741823", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(writer_commit(w), 0);
    writer_stats(w, &s);
    assert_int_equal(s.failing, 0);
    assert_int_equal(s.events, 2000);
    assert_int_equal(s_count_outside("events"), 2000);
    writer_destroy(&w);
}

/* A database that became read-only (PRAGMA query_only: SQLite answers SQLITE_READONLY, as for
 * a file remounted read-only): classified "read_only", batch kept, written after. */
static void
test_read_only_keeps_batch(void **state)
{
    (void)state;
    writer_t *w = s_writer(100, 200);
    sqlite3 *db = writer_db(w);
    assert_int_equal(sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL), SQLITE_OK);
    codec_sys_hb_t hb = { .stage = "feed.0", .state = "running" };
    bus_msg_t m = s_msg("sys.hb.feed.0", CODEC_SYS_HB, &hb, 1);
    assert_int_equal(writer_add(w, &m, 1, 1), 0);
    errno = 0;
    assert_int_equal(writer_commit(w), -1);
    assert_int_equal(errno, EIO);
    writer_stats_t s;
    writer_stats(w, &s);
    assert_string_equal(writer_rc_kind(s.last_rc), "read_only");
    assert_int_equal(s.pending, 1);
    assert_int_equal(sqlite3_exec(db, "PRAGMA query_only = 0", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(writer_commit(w), 0);
    assert_int_equal(s_count_outside("events"), 1);
    writer_destroy(&w);
}

/* One md.trade of feed.0 at evt with the next seq. */
static void
s_add_trade(writer_t *w, int64_t evt)
{
    codec_md_trade_t t = { .venue = "bybit-linear",
                           .symbol = "BTCUSDT",
                           .px_scale = 2,
                           .qty_scale = 3,
                           .ts_event = evt,
                           .px = 100,
                           .qty = 1,
                           .side = 1 };
    bus_msg_t m = s_msg("md.trade.bybit-linear.BTCUSDT", CODEC_MD_TRADE, &t, evt);
    assert_int_equal(writer_resume_gap(w, &m, 7, 1000) >= 0, 1);
    assert_int_equal(writer_add(w, &m, 7, 1000), 0);
}

/* Runs: every row (events, typed, gaps) carries the run id; the runs row records the start,
 * the event time range and a clean end; a second writer of the same run without a clean end
 * before it is a restart after an unclean stop (unclean_stops 1), and the first message after
 * it that jumps past the last seq stored is a gap last+1 .. seq-1; a new run after a run that
 * did not end cleanly says so (prev_unclean). */
static void
test_runs_and_restart_gap(void **state)
{
    (void)state;
    writer_run_info_t info;
    writer_t *w = s_writer(100, 200);
    assert_int_equal(writer_begin_run(w, "bad id!", 1, &info), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(writer_begin_run(w, "run-a", 1000, &info), 0);
    assert_false(info.resumed);
    assert_int_equal(info.starts, 1);
    for (int i = 1; i <= 5; i++) { /* seq 1..5, evt 10..50 */
        s_add_trade(w, 10 * i);
    }
    assert_int_equal(writer_add_gap(w, "feed.9", 3, 4, 6, 9, 1000), 0);
    assert_int_equal(writer_commit(w), 0);
    sqlite3 *db = writer_db(w);
    assert_int_equal(s_int(db, "SELECT count(*) FROM events WHERE run_id='run-a'"), 5);
    assert_int_equal(s_int(db, "SELECT count(*) FROM trades WHERE run_id='run-a'"), 5);
    assert_int_equal(s_int(db, "SELECT count(*) FROM gaps WHERE run_id='run-a'"), 1);
    assert_int_equal(s_int(db, "SELECT count(*) FROM runs WHERE run_id='run-a' AND clean=0"
                               " AND started_ns=1000 AND first_evt=10 AND last_evt=50"),
                     1);
    writer_destroy(&w); /* no writer_end_run: as after kill -9 */

    /* restart within run-a: seq 6..8 were published while down, 9 arrives first */
    w = s_writer(100, 200);
    assert_int_equal(writer_begin_run(w, "run-a", 2000, &info), 0);
    assert_true(info.resumed);
    assert_true(info.this_unclean);
    assert_int_equal(info.starts, 2);
    assert_int_equal(info.publishers, 1);
    s_seq = 8;
    s_add_trade(w, 90);
    s_add_trade(w, 100); /* seq 10: the bus counts later jumps, not the restart rule */
    assert_int_equal(writer_commit(w), 0);
    db = writer_db(w);
    assert_int_equal(s_int(db, "SELECT count(*) FROM gaps WHERE src='feed.0'"), 1);
    assert_int_equal(s_int(db, "SELECT count(*) FROM gaps WHERE src='feed.0' AND epoch=1000 AND"
                               " from_seq=6 AND to_seq=8 AND missing=3 AND run_id='run-a'"),
                     1);
    writer_stats_t st;
    writer_stats(w, &st);
    assert_int_equal(st.resume_gaps, 1);
    assert_int_equal(st.resume_missing, 3);
    assert_int_equal(s_int(db, "SELECT last_evt FROM runs WHERE run_id='run-a'"), 100);
    assert_int_equal(writer_end_run(w, 3000), 0);
    assert_int_equal(s_int(db, "SELECT count(*) FROM runs WHERE run_id='run-a' AND clean=1"
                               " AND ended_ns=3000 AND unclean_stops=1 AND starts=2"),
                     1);
    writer_destroy(&w);

    /* restart after a clean end: no unclean stop; nothing missed when seq follows on */
    w = s_writer(100, 200);
    assert_int_equal(writer_begin_run(w, "run-a", 4000, &info), 0);
    assert_false(info.this_unclean);
    s_add_trade(w, 110); /* seq 11 after 10 */
    assert_int_equal(writer_commit(w), 0);
    assert_int_equal(s_int(writer_db(w), "SELECT count(*) FROM gaps WHERE src='feed.0'"), 1);
    writer_destroy(&w); /* killed again */

    /* a new run: rows of run-a are not its own (no gap check); the previous run is unclean */
    w = s_writer(100, 200);
    assert_int_equal(writer_begin_run(w, "run-b", 5000, &info), 0);
    assert_false(info.resumed);
    assert_true(info.prev_unclean);
    assert_string_equal(info.prev_run, "run-a");
    assert_int_equal(info.publishers, 0);
    s_seq = 40;
    s_add_trade(w, 5);
    assert_int_equal(writer_set_run_config(w, "cfg/x.json", "{\"a\":1}"), 0);
    assert_int_equal(writer_end_run(w, 6000), 0);
    db = writer_db(w);
    assert_int_equal(s_int(db, "SELECT count(*) FROM runs WHERE run_id='run-b' AND"
                               " config='{\"a\":1}' AND config_path='cfg/x.json'"),
                     1);
    assert_int_equal(s_int(db, "SELECT count(*) FROM runs WHERE config IS NOT NULL"), 1);
    assert_int_equal(s_int(db, "SELECT count(*) FROM gaps"), 2);
    assert_int_equal(s_int(db, "SELECT count(*) FROM events WHERE run_id='run-b'"), 1);
    assert_int_equal(s_int(db, "SELECT count(*) FROM runs WHERE run_id='run-b' AND clean=1"
                               " AND first_evt=5 AND last_evt=5 AND unclean_stops=0"),
                     1);
    writer_destroy(&w);
}

static void
test_rc_kinds(void **state)
{
    (void)state;
    /* primary codes from sqlite.org/rescode.html; extended codes keep the primary low byte */
    assert_string_equal(writer_rc_kind(SQLITE_BUSY), "locked");
    assert_string_equal(writer_rc_kind(SQLITE_LOCKED), "locked");
    assert_string_equal(writer_rc_kind(SQLITE_READONLY_DBMOVED), "read_only");
    assert_string_equal(writer_rc_kind(SQLITE_FULL), "disk_full");
    assert_string_equal(writer_rc_kind(SQLITE_IOERR_WRITE), "io_error");
    assert_string_equal(writer_rc_kind(SQLITE_NOTADB), "corrupt");
    assert_string_equal(writer_rc_kind(SQLITE_CONSTRAINT), "db_error");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_rejects_bad_args, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_trade_and_events_row, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_book_top_row, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_candles_from_kline_and_bar, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_signal_row, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_exec_tables, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_risk_and_status_tables, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_gap_rows, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_commit_by_count, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_commit_by_age, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_locked_db_is_retried, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_full_pending_drops, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_undecodable_body_keeps_event, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_destroy_commits_pending, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_indicator_rows, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_full_disk_keeps_batch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_read_only_keeps_batch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_runs_and_restart_gap, s_setup, s_teardown),
        cmocka_unit_test(test_rc_kinds),
    };
    return cmocka_run_group_tests_name("writer", tests, NULL, NULL);
}
