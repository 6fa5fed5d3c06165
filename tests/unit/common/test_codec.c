/*  test_codec.c - unit tests of common/codec (envelope + every body, msgpack and JSON).
 *  Expected values come from the inputs themselves: a round trip must give back the struct
 *  byte for byte (every field is set to a non-zero, often extreme, value so a field missing
 *  from the codec's table shows up as a difference); hand-built msgpack (msgpack-c sbuffer)
 *  exercises the error paths; JSON output is parsed with jansson and converted back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <float.h>
#include <jansson.h>
#include <math.h>
#include <msgpack.h>

#include "common/codec.h"

/* ---- fixtures ------------------------------------------------------------------------ */

/* fill char[cap] with cap-1 copies of c: a full-length string */
static void
s_full(char *dst, size_t cap, char c)
{
    memset(dst, c, cap - 1);
    dst[cap - 1] = '\0';
}

static void
s_set(char *dst, size_t cap, const char *s)
{
    assert_true(strlen(s) < cap);
    memcpy(dst, s, strlen(s) + 1);
}
#define SET(dst, s)  s_set((dst), sizeof(dst), (s))
#define FULL(dst, c) s_full((dst), sizeof(dst), (c))

/* text that JSON must escape, plus multi-byte UTF-8 (e acute, euro sign) */
static const char k_nasty[] = "q\"b\\n\nt\tc\x01 \xc3\xa9\xe2\x82\xac";

static void
s_env(codec_env_t *e, uint64_t big)
{
    memset(e, 0, sizeof *e);
    e->v = CODEC_VERSION;
    FULL(e->src, 'e'); /* 31 chars */
    e->epoch = INT64_MIN;
    e->seq = big;
    e->ts = 1722000000123456789LL;
    e->origin = -1;
    e->evt = INT64_MAX;
}

/* Fill the body of `type` with non-zero values in every field. `big` is used for every
 * uint64 field (UINT64_MAX for msgpack; JSON readers stop at INT64_MAX). */
static void
s_fill(codec_type_t type, codec_body_t *b, uint64_t big)
{
    memset(b, 0, sizeof *b);
    switch (type) {
    case CODEC_MD_BOOK:
        SET(b->book.venue, "bybit-linear");
        FULL(b->book.symbol, 'B');
        b->book.px_scale = 1;
        b->book.qty_scale = 3;
        b->book.ts_event = -5;
        b->book.ts_recv = INT64_MAX;
        b->book.update_id = big;
        b->book.snapshot = true;
        b->book.n_bids = CODEC_LEVELS;
        b->book.n_asks = CODEC_LEVELS;
        for (int i = 0; i < CODEC_LEVELS; i++) {
            b->book.bids[i] = (codec_level_t){ 651142 - i, 1000 + i };
            b->book.asks[i] = (codec_level_t){ 651143 + i, -(i + 1) };
        }
        b->book.asks[CODEC_LEVELS - 1] = (codec_level_t){ INT64_MIN, INT64_MAX };
        break;
    case CODEC_MD_TRADE:
        SET(b->trade.venue, "binance-usdm");
        SET(b->trade.symbol, "BTCUSDT");
        b->trade.px_scale = 2;
        b->trade.qty_scale = 3;
        b->trade.ts_event = 1722000000001000000LL;
        b->trade.ts_recv = 1722000000002000000LL;
        b->trade.px = 6511420;
        b->trade.qty = 1;
        b->trade.side = -1;
        FULL(b->trade.trade_id, 't');
        break;
    case CODEC_MD_TICKER:
        SET(b->ticker.venue, "bybit-linear");
        SET(b->ticker.symbol, "ETHUSDT");
        b->ticker.px_scale = 2;
        b->ticker.qty_scale = 2;
        b->ticker.ts_event = 1;
        b->ticker.ts_recv = 2;
        b->ticker.last_px = 300001;
        b->ticker.mark_px = 300002;
        b->ticker.index_px = 300003;
        b->ticker.bid_px = 300000;
        b->ticker.bid_qty = 1234;
        b->ticker.ask_px = 300004;
        b->ticker.ask_qty = 5678;
        b->ticker.funding_rate_e8 = -12345;
        b->ticker.next_funding_ns = 1722009600000000000LL;
        break;
    case CODEC_MD_KLINE:
        SET(b->kline.venue, "binance-spot");
        SET(b->kline.symbol, "BTCUSDT");
        b->kline.px_scale = 2;
        b->kline.qty_scale = 5;
        b->kline.interval_s = 60;
        b->kline.start_ns = 1722000000000000000LL;
        b->kline.end_ns = 1722000060000000000LL;
        b->kline.open = 6500000;
        b->kline.high = 6510000;
        b->kline.low = 6490000;
        b->kline.close = 6505000;
        b->kline.volume = 123456789;
        b->kline.quote_volume = 8000000000000LL;
        b->kline.taker_buy_volume = 61728394;
        b->kline.trades = 4321;
        b->kline.closed = true;
        b->kline.ts_event = 1722000060000000000LL;
        b->kline.ts_recv = 1722000060001000000LL;
        break;
    case CODEC_MD_STATUS:
        SET(b->status.venue, "bybit-spot");
        SET(b->status.symbol, "SOLUSDT");
        SET(b->status.state, "resync");
        FULL(b->status.reason, 'r');
        b->status.ts_event = 7;
        break;
    case CODEC_MD_INSTRUMENT:
        SET(b->instrument.venue, "bybit");
        SET(b->instrument.category, "linear");
        SET(b->instrument.symbol, "BTCUSDT");
        b->instrument.px_scale = 1;
        b->instrument.qty_scale = 3;
        b->instrument.tick = 1;
        b->instrument.step = 1;
        b->instrument.min_qty = 1;
        b->instrument.min_notional = 500000000;
        break;
    case CODEC_SIG_BAR:
        SET(b->bar.venue, "bybit-linear");
        SET(b->bar.symbol, "BTCUSDT");
        FULL(b->bar.source, 's');
        b->bar.px_scale = 1;
        b->bar.qty_scale = 3;
        b->bar.tf_s = 60;
        b->bar.start_ns = 1;
        b->bar.end_ns = 60000000001LL;
        b->bar.open = 651140;
        b->bar.high = 651150;
        b->bar.low = 651130;
        b->bar.close = 651145;
        b->bar.vwap = 651141;
        b->bar.volume = 1500;
        b->bar.taker_buy_volume = 700;
        b->bar.quote_volume = 9767115000000LL;
        b->bar.trades = 99;
        break;
    case CODEC_SIG_IND: {
        static const double vals[CODEC_IND_MAX] = { -1.5,      0.1,          1e300,    -0.0,
                                                    3.0,       DBL_MIN,      -DBL_MAX, 65114.2,
                                                    1.0 / 3.0, 70.123456789, 1e-300,   42 };
        SET(b->ind.venue, "bybit-linear");
        SET(b->ind.symbol, "BTCUSDT");
        b->ind.tf_s = 60;
        b->ind.ts_event = 1722000060000000000LL;
        b->ind.n = CODEC_IND_MAX;
        for (int i = 0; i < CODEC_IND_MAX; i++) {
            snprintf(b->ind.names[i], sizeof b->ind.names[i], "ind%d", i);
            b->ind.values[i] = vals[i];
        }
        FULL(b->ind.names[0], 'n');
        break;
    }
    case CODEC_SIG_SIGNAL:
        FULL(b->signal.strategy, 'S');
        SET(b->signal.venue, "bybit-linear");
        SET(b->signal.symbol, "BTCUSDT");
        b->signal.side = 1;
        b->signal.confidence = 87.5;
        b->signal.px_scale = 1;
        b->signal.ref_px = 651142;
        b->signal.sl_px = 650000;
        b->signal.tp_px = 655000;
        b->signal.ts_event = 3;
        SET(b->signal.reason, k_nasty);
        break;
    case CODEC_RISK_ORDER:
        FULL(b->order.client_id, 'c');
        SET(b->order.strategy, "ema_cross.0");
        SET(b->order.venue, "bybit-linear");
        SET(b->order.symbol, "BTCUSDT");
        FULL(b->order.intent, 'i');
        b->order.side = -1;
        b->order.type = CODEC_ORD_LIMIT;
        b->order.reduce_only = true;
        b->order.px_scale = 1;
        b->order.qty_scale = 3;
        b->order.qty = 37;
        b->order.px = 651150;
        b->order.sl_px = 660000;
        b->order.tp_px = 640000;
        b->order.ts_event = 11;
        b->order.ttl_ns = 5000000000LL;
        SET(b->order.tif, "PostOnly");
        b->order.trigger_px = INT64_MIN;
        b->order.trigger_dir = INT8_MIN;
        break;
    case CODEC_RISK_REJECT:
        SET(b->reject.client_id, "r-1");
        SET(b->reject.strategy, "ema_cross.0");
        SET(b->reject.symbol, "BTCUSDT");
        SET(b->reject.reason, "daily loss limit");
        b->reject.ts_event = 12;
        break;
    case CODEC_RISK_STATE:
        SET(b->rstate.state, "HALTED");
        SET(b->rstate.reason, "stale md");
        b->rstate.equity = 1000012345678LL;
        b->rstate.equity_peak = 1000100000000LL;
        b->rstate.daily_pnl = -1250000000LL; /* -12.50 */
        b->rstate.drawdown = 87654322LL;
        b->rstate.open_positions = 2;
        b->rstate.trades_today = INT32_MAX;
        b->rstate.ts_event = 13;
        break;
    case CODEC_RISK_ALERT:
        FULL(b->alert.level, 'l');
        SET(b->alert.code, "daily_loss_limit");
        SET(b->alert.text, k_nasty);
        b->alert.ts_event = 14;
        break;
    case CODEC_EXEC_ORDER:
        SET(b->xorder.client_id, "c-1");
        SET(b->xorder.order_id, "1f3e-ab");
        SET(b->xorder.venue, "bybit-linear");
        SET(b->xorder.symbol, "BTCUSDT");
        SET(b->xorder.status, "PartiallyFilled");
        SET(b->xorder.reject_reason, "none");
        b->xorder.side = 1;
        b->xorder.type = 255;
        b->xorder.reduce_only = true;
        b->xorder.px_scale = 1;
        b->xorder.qty_scale = 3;
        b->xorder.qty = 10;
        b->xorder.px = 651140;
        b->xorder.cum_qty = 4;
        b->xorder.avg_px = 651139;
        b->xorder.fee = 1432512;
        b->xorder.ts_event = 15;
        break;
    case CODEC_EXEC_FILL:
        SET(b->fill.client_id, "c-1");
        SET(b->fill.order_id, "1f3e-ab");
        FULL(b->fill.fill_id, 'f');
        SET(b->fill.venue, "bybit-linear");
        SET(b->fill.symbol, "BTCUSDT");
        b->fill.side = INT8_MIN;
        b->fill.maker = true;
        b->fill.px_scale = 1;
        b->fill.qty_scale = 3;
        b->fill.px = 651140;
        b->fill.qty = 4;
        b->fill.fee = -100; /* a maker rebate */
        b->fill.realized_pnl = -1250000000LL;
        b->fill.ts_event = 16;
        break;
    case CODEC_EXEC_POSITION:
        SET(b->position.venue, "bybit-linear");
        SET(b->position.symbol, "BTCUSDT");
        b->position.px_scale = 1;
        b->position.qty_scale = 3;
        b->position.qty = -37;
        b->position.entry_px = 651140;
        b->position.mark_px = 651200;
        b->position.realized_pnl = 50000000;
        b->position.unrealized_pnl = -22200000;
        b->position.ts_event = 17;
        break;
    case CODEC_EXEC_BALANCE:
        SET(b->balance.venue, "bybit-linear");
        FULL(b->balance.asset, 'A');
        b->balance.wallet = 1000000000000LL;
        b->balance.available = 900000000000LL;
        b->balance.equity = 999977800000LL;
        b->balance.fees = 1432512;
        b->balance.ts_event = 18;
        break;
    case CODEC_ORDER_ACK:
        FULL(b->ack.client_id, 'c');
        b->ack.accepted = true;
        SET(b->ack.status, "New");
        FULL(b->ack.reason, 'x');
        break;
    case CODEC_SYS_HB:
        SET(b->hb.stage, "risk.0");
        SET(b->hb.state, "running");
        b->hb.uptime_ms = 123456;
        b->hb.n = CODEC_COUNTERS;
        for (int i = 0; i < CODEC_COUNTERS; i++) {
            FULL(b->hb.names[i], (char)('a' + i));
            b->hb.values[i] = i % 2 ? -i : INT64_MAX - i;
        }
        break;
    case CODEC_SYS_BARRIER:
        b->barrier.step = big;
        b->barrier.ts_event = 1722000001000000000LL;
        b->barrier.end = true;
        b->barrier.n = CODEC_BARRIER_CONNS;
        for (int i = 0; i < CODEC_BARRIER_CONNS; i++) {
            FULL(b->barrier.labels[i], (char)('A' + i));
            b->barrier.counts[i] = big - (uint64_t)i;
        }
        break;
    case CODEC_SIG_SETUP:
        FULL(b->setup.strategy, 'S');
        SET(b->setup.venue, "binance-spot");
        SET(b->setup.symbol, "BTCUSDT");
        SET(b->setup.kind, "resistance_rejection");
        FULL(b->setup.state, 'T');
        b->setup.side = -1;
        b->setup.px_scale = 2;
        b->setup.level_px = 10960801;
        b->setup.zone_lo_px = 10944360;
        b->setup.zone_hi_px = INT64_MAX;
        b->setup.ref_px = 10952580;
        b->setup.sl_px = 10982723;
        b->setup.tp1_px = 10907365;
        b->setup.tp2_px = INT64_MIN;
        b->setup.bars = INT32_MIN;
        b->setup.ts_event = 1722000060000000000LL;
        SET(b->setup.reason, k_nasty);
        break;
    case CODEC_GW_ACTION:
        SET(b->action.action, "kill");
        SET(b->action.target, "risk.0");
        SET(b->action.args, k_nasty);
        FULL(b->action.token, 't');
        b->action.ok = true;
        FULL(b->action.answer, 'a');
        b->action.ts_event = INT64_MAX;
        break;
    default:
        fail_msg("no fixture for type %d", type);
    }
}

/* size of the body struct of `type` (test-side, from the header's union members) */
static size_t
s_body_size(codec_type_t t)
{
    static const size_t sizes[CODEC_TYPE_COUNT] = { 0,
                                                    sizeof(codec_md_book_t),
                                                    sizeof(codec_md_trade_t),
                                                    sizeof(codec_md_ticker_t),
                                                    sizeof(codec_md_kline_t),
                                                    sizeof(codec_md_status_t),
                                                    sizeof(codec_md_instrument_t),
                                                    sizeof(codec_sig_bar_t),
                                                    sizeof(codec_sig_ind_t),
                                                    sizeof(codec_sig_signal_t),
                                                    sizeof(codec_risk_order_t),
                                                    sizeof(codec_risk_reject_t),
                                                    sizeof(codec_risk_state_t),
                                                    sizeof(codec_risk_alert_t),
                                                    sizeof(codec_exec_order_t),
                                                    sizeof(codec_exec_fill_t),
                                                    sizeof(codec_exec_position_t),
                                                    sizeof(codec_exec_balance_t),
                                                    sizeof(codec_order_ack_t),
                                                    sizeof(codec_sys_hb_t),
                                                    sizeof(codec_sys_barrier_t),
                                                    sizeof(codec_sig_setup_t),
                                                    sizeof(codec_gw_action_t) };
    return sizes[t];
}

static void
s_env_equal(const codec_env_t *a, const codec_env_t *b)
{
    assert_int_equal(a->v, b->v);
    assert_string_equal(a->src, b->src);
    assert_true(a->epoch == b->epoch);
    assert_true(a->seq == b->seq);
    assert_true(a->ts == b->ts);
    assert_true(a->origin == b->origin);
    assert_true(a->evt == b->evt);
}

static size_t
s_encode(codec_type_t t, const codec_body_t *b, uint64_t big, uint8_t *buf)
{
    codec_env_t env;
    size_t len = 0;
    s_env(&env, big);
    assert_int_equal(codec_encode(&env, t, b, buf, CODEC_MSG_MAX, &len), 0);
    assert_true(len > 0 && len <= CODEC_MSG_MAX);
    return len;
}

/* ---- msgpack builders for hand-made messages ------------------------------------------- */

static void
s_pk_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

/* envelope with a body map of `body_n` pairs; the caller packs the pairs */
static void
s_pk_env(msgpack_packer *pk, uint32_t body_n)
{
    msgpack_pack_map(pk, 8);
    s_pk_str(pk, "v");
    msgpack_pack_uint32(pk, 1);
    s_pk_str(pk, "src");
    s_pk_str(pk, "t.0");
    s_pk_str(pk, "epoch");
    msgpack_pack_int64(pk, 10);
    s_pk_str(pk, "seq");
    msgpack_pack_uint64(pk, 11);
    s_pk_str(pk, "ts");
    msgpack_pack_int64(pk, 12);
    s_pk_str(pk, "origin");
    msgpack_pack_int64(pk, 13);
    s_pk_str(pk, "evt");
    msgpack_pack_int64(pk, 14);
    s_pk_str(pk, "body");
    msgpack_pack_map(pk, body_n);
}

static int
s_decode_sb(const msgpack_sbuffer *sb, codec_type_t t, codec_body_t *b)
{
    codec_env_t env;
    errno = 0;
    return codec_decode((const uint8_t *)sb->data, sb->size, t, &env, b);
}

static void
s_expect_eproto(const msgpack_sbuffer *sb, codec_type_t t)
{
    codec_body_t b;
    assert_int_equal(s_decode_sb(sb, t, &b), -1);
    assert_int_equal(errno, EPROTO);
}

/* ---- tests --------------------------------------------------------------------------- */

static void
test_round_trip_all(void **state)
{
    (void)state;
    static uint8_t buf[CODEC_MSG_MAX];
    for (int t = CODEC_UNKNOWN + 1; t < CODEC_TYPE_COUNT; t++) {
        codec_body_t in, out;
        codec_env_t env_in, env_out;
        s_fill((codec_type_t)t, &in, UINT64_MAX);
        s_env(&env_in, UINT64_MAX);
        size_t len = s_encode((codec_type_t)t, &in, UINT64_MAX, buf);
        memset(&out, 0xa5, sizeof out);
        assert_int_equal(codec_decode(buf, len, (codec_type_t)t, &env_out, &out), 0);
        s_env_equal(&env_in, &env_out);
        if (memcmp(&in, &out, s_body_size((codec_type_t)t)) != 0) {
            fail_msg("round trip of %s differs", codec_type_name((codec_type_t)t));
        }
        /* the envelope alone decodes too, and env may be NULL */
        memset(&env_out, 0, sizeof env_out);
        assert_int_equal(codec_decode_env(buf, len, &env_out), 0);
        s_env_equal(&env_in, &env_out);
        assert_int_equal(codec_decode(buf, len, (codec_type_t)t, NULL, &out), 0);
    }
}

static void
test_round_trip_empty(void **state)
{
    (void)state;
    static uint8_t buf[CODEC_MSG_MAX];
    for (int t = CODEC_UNKNOWN + 1; t < CODEC_TYPE_COUNT; t++) {
        codec_body_t in, out;
        memset(&in, 0, sizeof in); /* empty strings, zero counts, zeros */
        size_t len = s_encode((codec_type_t)t, &in, 0, buf);
        memset(&out, 0x5a, sizeof out);
        assert_int_equal(codec_decode(buf, len, (codec_type_t)t, NULL, &out), 0);
        assert_memory_equal(&in, &out, s_body_size((codec_type_t)t));
    }
}

static void
test_version_default(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t len;
    codec_env_t env = { 0 }, got;
    codec_order_ack_t ack = { .accepted = false };
    /* v = 0 is written as CODEC_VERSION */
    assert_int_equal(codec_encode(&env, CODEC_ORDER_ACK, &ack, buf, sizeof buf, &len), 0);
    assert_int_equal(codec_decode_env(buf, len, &got), 0);
    assert_int_equal(got.v, CODEC_VERSION);
}

static void
test_truncated(void **state)
{
    (void)state;
    static uint8_t buf[CODEC_MSG_MAX];
    static char json[4 * CODEC_MSG_MAX];
    for (int t = CODEC_UNKNOWN + 1; t < CODEC_TYPE_COUNT; t++) {
        codec_body_t in, out;
        codec_env_t env = { 0 }, env_sentinel;
        s_fill((codec_type_t)t, &in, UINT64_MAX);
        size_t len = s_encode((codec_type_t)t, &in, UINT64_MAX, buf);
        for (size_t cut = 0; cut < len; cut++) {
            errno = 0;
            assert_int_equal(codec_decode(buf, cut, (codec_type_t)t, NULL, &out), -1);
            assert_int_equal(errno, EPROTO);
            memset(&env_sentinel, 0x77, sizeof env_sentinel);
            env = env_sentinel;
            errno = 0;
            assert_int_equal(codec_decode_env(buf, cut, &env), -1);
            assert_int_equal(errno, EPROTO);
            assert_memory_equal(&env, &env_sentinel, sizeof env); /* untouched */
            errno = 0;
            assert_int_equal(codec_to_json(buf, cut, json, sizeof json), -1);
            assert_int_equal(errno, EPROTO);
            errno = 0;
            assert_int_equal(codec_body_to_json(buf, cut, json, sizeof json), -1);
            assert_int_equal(errno, EPROTO);
        }
        /* one byte too many is an error as well (a frame holds exactly one message) */
        buf[len] = 0xc0;
        errno = 0;
        assert_int_equal(codec_decode(buf, len + 1, (codec_type_t)t, NULL, &out), -1);
        assert_int_equal(errno, EPROTO);
        errno = 0;
        assert_int_equal(codec_to_json(buf, len + 1, json, sizeof json), -1);
        assert_int_equal(errno, EPROTO);
    }
}

static void
test_enobufs(void **state)
{
    (void)state;
    static uint8_t buf[CODEC_MSG_MAX];
    static uint8_t small[CODEC_MSG_MAX];
    codec_body_t in;
    codec_env_t env;
    s_fill(CODEC_MD_BOOK, &in, UINT64_MAX);
    s_env(&env, UINT64_MAX);
    size_t full = s_encode(CODEC_MD_BOOK, &in, UINT64_MAX, buf);
    for (size_t cap = 0; cap < full; cap++) {
        size_t len = 12345;
        errno = 0;
        assert_int_equal(codec_encode(&env, CODEC_MD_BOOK, &in, small, cap, &len), -1);
        assert_int_equal(errno, ENOBUFS);
        assert_true(len == 12345); /* untouched */
    }
    size_t len = 0;
    assert_int_equal(codec_encode(&env, CODEC_MD_BOOK, &in, small, full, &len), 0);
    assert_true(len == full);
    assert_memory_equal(small, buf, full);

    /* JSON: every cap below length + 1 (the NUL) is ENOBUFS */
    static char json[4 * CODEC_MSG_MAX], jsmall[4 * CODEC_MSG_MAX];
    int jn = codec_to_json(buf, full, json, sizeof json);
    assert_true(jn > 0);
    for (size_t cap = 0; cap <= (size_t)jn; cap++) {
        errno = 0;
        assert_int_equal(codec_to_json(buf, full, jsmall, cap), -1);
        assert_int_equal(errno, ENOBUFS);
    }
    assert_int_equal(codec_to_json(buf, full, jsmall, (size_t)jn + 1), jn);
    assert_string_equal(jsmall, json);
    jn = codec_body_to_json(buf, full, json, sizeof json);
    assert_true(jn > 0);
    errno = 0;
    assert_int_equal(codec_body_to_json(buf, full, jsmall, (size_t)jn), -1);
    assert_int_equal(errno, ENOBUFS);
}

static void
test_encode_einval(void **state)
{
    (void)state;
    uint8_t buf[CODEC_MSG_MAX];
    size_t len;
    codec_env_t env;
    codec_body_t b;
    s_env(&env, 1);

    s_fill(CODEC_MD_BOOK, &b, 1);
    memset(b.book.venue, 'x', sizeof b.book.venue); /* no NUL inside the field */
    errno = 0;
    assert_int_equal(codec_encode(&env, CODEC_MD_BOOK, &b, buf, sizeof buf, &len), -1);
    assert_int_equal(errno, EINVAL);

    s_fill(CODEC_MD_BOOK, &b, 1);
    b.book.n_asks = CODEC_LEVELS + 1; /* more levels than the array holds */
    errno = 0;
    assert_int_equal(codec_encode(&env, CODEC_MD_BOOK, &b, buf, sizeof buf, &len), -1);
    assert_int_equal(errno, EINVAL);

    s_fill(CODEC_SIG_IND, &b, 1);
    memset(b.ind.names[3], 'n', sizeof b.ind.names[3]); /* a string array element */
    errno = 0;
    assert_int_equal(codec_encode(&env, CODEC_SIG_IND, &b, buf, sizeof buf, &len), -1);
    assert_int_equal(errno, EINVAL);

    memset(env.src, 's', sizeof env.src); /* envelope string */
    s_fill(CODEC_ORDER_ACK, &b, 1);
    errno = 0;
    assert_int_equal(codec_encode(&env, CODEC_ORDER_ACK, &b, buf, sizeof buf, &len), -1);
    assert_int_equal(errno, EINVAL);
    s_env(&env, 1);

    errno = 0;
    assert_int_equal(codec_encode(&env, CODEC_UNKNOWN, &b, buf, sizeof buf, &len), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(codec_encode(&env, CODEC_TYPE_COUNT, &b, buf, sizeof buf, &len), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(codec_encode(NULL, CODEC_ORDER_ACK, &b, buf, sizeof buf, &len), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(codec_decode(buf, 0, CODEC_UNKNOWN, NULL, &b), -1);
    assert_int_equal(errno, EINVAL);
}

/* a body with one key `key` whose value the callback packs */
typedef void(s_packval_fn)(msgpack_packer *pk);

static void
s_one_field(msgpack_sbuffer *sb, const char *key, s_packval_fn *fn)
{
    msgpack_packer pk;
    msgpack_sbuffer_clear(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    s_pk_env(&pk, 1);
    s_pk_str(&pk, key);
    fn(&pk);
}

static void
s_v_str(msgpack_packer *pk)
{
    s_pk_str(pk, "65114.20");
}
static void
s_v_int1(msgpack_packer *pk)
{
    msgpack_pack_int64(pk, 1);
}
static void
s_v_200(msgpack_packer *pk)
{
    msgpack_pack_int64(pk, 200);
}
static void
s_v_m129(msgpack_packer *pk)
{
    msgpack_pack_int64(pk, -129);
}
static void
s_v_2p40(msgpack_packer *pk)
{
    msgpack_pack_int64(pk, 1LL << 40);
}
static void
s_v_neg(msgpack_packer *pk)
{
    msgpack_pack_int64(pk, -1);
}
static void
s_v_u64max(msgpack_packer *pk)
{
    msgpack_pack_uint64(pk, UINT64_MAX);
}
static void
s_v_dbl(msgpack_packer *pk)
{
    msgpack_pack_double(pk, 1.5);
}
static void
s_v_nil(msgpack_packer *pk)
{
    msgpack_pack_nil(pk);
}
static void
s_v_map(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 0);
}
static void
s_v_str16(msgpack_packer *pk)
{
    s_pk_str(pk, "0123456789abcdef");
} /* 16 */
static void
s_v_str15(msgpack_packer *pk)
{
    s_pk_str(pk, "0123456789abcde");
} /* 15 */
static void
s_v_strnul(msgpack_packer *pk)
{
    msgpack_pack_str(pk, 3);
    msgpack_pack_str_body(pk, "a\0b", 3);
}
static void
s_v_bin(msgpack_packer *pk)
{
    msgpack_pack_bin(pk, 3);
    msgpack_pack_bin_body(pk, "abc", 3);
}
static void
s_v_levels11(msgpack_packer *pk)
{
    msgpack_pack_array(pk, CODEC_LEVELS + 1);
    for (int i = 0; i < CODEC_LEVELS + 1; i++) {
        msgpack_pack_array(pk, 2);
        msgpack_pack_int64(pk, 100 + i);
        msgpack_pack_int64(pk, 1);
    }
}
static void
s_v_level3(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_array(pk, 3);
    msgpack_pack_int64(pk, 1);
    msgpack_pack_int64(pk, 2);
    msgpack_pack_int64(pk, 3);
}
static void
s_v_level_str(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_array(pk, 2);
    s_pk_str(pk, "1");
    msgpack_pack_int64(pk, 2);
}
static void
s_v_level_u64(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_array(pk, 2);
    msgpack_pack_uint64(pk, (uint64_t)INT64_MAX + 1); /* does not fit an int64 px */
    msgpack_pack_int64(pk, 2);
}
static void
s_v_level_ok(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_array(pk, 2);
    msgpack_pack_int64(pk, -7);
    msgpack_pack_int64(pk, 8);
}

static void
test_wrong_types(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    codec_body_t b;
    static const struct {
        codec_type_t t;
        const char *key;
        s_packval_fn *fn;
    } bad[] = {
        { CODEC_MD_TRADE, "px", s_v_str }, /* string for an int64 */
        { CODEC_MD_TRADE, "px", s_v_dbl }, /* double for an int64 */
        { CODEC_MD_TRADE, "px", s_v_nil },
        { CODEC_MD_TRADE, "px", s_v_u64max },     /* > INT64_MAX */
        { CODEC_MD_TRADE, "venue", s_v_int1 },    /* int for a string */
        { CODEC_MD_TRADE, "venue", s_v_bin },     /* bin is not a string */
        { CODEC_MD_TRADE, "venue", s_v_str16 },   /* 16 bytes into char[16] */
        { CODEC_MD_TRADE, "venue", s_v_strnul },  /* embedded NUL */
        { CODEC_MD_TRADE, "side", s_v_200 },      /* int8 overflow */
        { CODEC_MD_TRADE, "side", s_v_m129 },     /* int8 underflow */
        { CODEC_MD_TRADE, "px_scale", s_v_2p40 }, /* int32 overflow */
        { CODEC_MD_BOOK, "snapshot", s_v_int1 },  /* int for a bool */
        { CODEC_MD_BOOK, "update_id", s_v_neg },  /* negative for a uint64 */
        { CODEC_MD_BOOK, "bids", s_v_map },       /* map for an array */
        { CODEC_MD_BOOK, "bids", s_v_levels11 },  /* more levels than CODEC_LEVELS */
        { CODEC_MD_BOOK, "bids", s_v_level3 },    /* a level is [px, qty] */
        { CODEC_MD_BOOK, "bids", s_v_level_str },
        { CODEC_MD_BOOK, "bids", s_v_level_u64 },
        { CODEC_RISK_ORDER, "type", s_v_neg }, /* uint8 */
        { CODEC_RISK_ORDER, "type", s_v_2p40 },
        { CODEC_SIG_SIGNAL, "confidence", s_v_str },
        { CODEC_SYS_HB, "names", s_v_int1 },
        { CODEC_SYS_BARRIER, "counts", s_v_level_ok }, /* array of arrays for uint64s */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_one_field(&sb, bad[i].key, bad[i].fn);
        memset(&b, 0x33, sizeof b);
        if (s_decode_sb(&sb, bad[i].t, &b) != -1 || errno != EPROTO) {
            fail_msg("case %zu (%s.%s) was accepted", i, codec_type_name(bad[i].t), bad[i].key);
        }
        /* documented state on failure: the body is zeroed */
        codec_body_t zero;
        memset(&zero, 0, sizeof zero);
        assert_memory_equal(&b, &zero, s_body_size(bad[i].t));
    }

    /* the same keys with acceptable values decode */
    s_one_field(&sb, "venue", s_v_str15);
    assert_int_equal(s_decode_sb(&sb, CODEC_MD_TRADE, &b), 0);
    assert_string_equal(b.trade.venue, "0123456789abcde");
    s_one_field(&sb, "bids", s_v_level_ok);
    assert_int_equal(s_decode_sb(&sb, CODEC_MD_BOOK, &b), 0);
    assert_int_equal(b.book.n_bids, 1);
    assert_true(b.book.bids[0].px == -7 && b.book.bids[0].qty == 8);
    s_one_field(&sb, "side", s_v_neg);
    assert_int_equal(s_decode_sb(&sb, CODEC_MD_TRADE, &b), 0);
    assert_int_equal(b.trade.side, -1);
    s_one_field(&sb, "confidence", s_v_int1); /* an integer is a fine double */
    assert_int_equal(s_decode_sb(&sb, CODEC_SIG_SIGNAL, &b), 0);
    assert_true(b.signal.confidence == 1.0);
    s_one_field(&sb, "confidence", s_v_nil); /* null (a JSON NaN) reads as NaN */
    assert_int_equal(s_decode_sb(&sb, CODEC_SIG_SIGNAL, &b), 0);
    assert_true(isnan(b.signal.confidence));

    msgpack_sbuffer_destroy(&sb);
}

static void
test_bad_structure(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    codec_env_t env;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

    /* names and values of different lengths */
    s_pk_env(&pk, 2);
    s_pk_str(&pk, "names");
    msgpack_pack_array(&pk, 2);
    s_pk_str(&pk, "ema9");
    s_pk_str(&pk, "rsi14");
    s_pk_str(&pk, "values");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_double(&pk, 1.0);
    s_expect_eproto(&sb, CODEC_SIG_IND);

    /* the top level is not a map */
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_array(&pk, 0);
    s_expect_eproto(&sb, CODEC_MD_TRADE);
    errno = 0;
    assert_int_equal(codec_decode_env((const uint8_t *)sb.data, sb.size, &env), -1);
    assert_int_equal(errno, EPROTO);

    /* no body */
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 1);
    s_pk_str(&pk, "v");
    msgpack_pack_uint32(&pk, 1);
    s_expect_eproto(&sb, CODEC_MD_TRADE);
    errno = 0;
    assert_int_equal(codec_decode_env((const uint8_t *)sb.data, sb.size, &env), -1);
    assert_int_equal(errno, EPROTO);

    /* no version */
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 1);
    s_pk_str(&pk, "body");
    msgpack_pack_map(&pk, 0);
    s_expect_eproto(&sb, CODEC_MD_TRADE);

    /* body is not a map */
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 2);
    s_pk_str(&pk, "v");
    msgpack_pack_uint32(&pk, 1);
    s_pk_str(&pk, "body");
    msgpack_pack_array(&pk, 0);
    s_expect_eproto(&sb, CODEC_MD_TRADE);

    /* a key that is not a string (body, then envelope) */
    msgpack_sbuffer_clear(&sb);
    s_pk_env(&pk, 1);
    msgpack_pack_int64(&pk, 1);
    msgpack_pack_int64(&pk, 1);
    s_expect_eproto(&sb, CODEC_MD_TRADE);
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_int64(&pk, 1);
    msgpack_pack_int64(&pk, 1);
    s_expect_eproto(&sb, CODEC_MD_TRADE);

    /* envelope src longer than CODEC_SRC_MAX - 1 */
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 3);
    s_pk_str(&pk, "v");
    msgpack_pack_uint32(&pk, 1);
    s_pk_str(&pk, "src");
    s_pk_str(&pk, "0123456789012345678901234567890123");
    s_pk_str(&pk, "body");
    msgpack_pack_map(&pk, 0);
    s_expect_eproto(&sb, CODEC_MD_TRADE);

    /* a hostile header: an array claiming 2^32-1 items in a 10-byte message */
    msgpack_sbuffer_clear(&sb);
    s_pk_env(&pk, 1);
    s_pk_str(&pk, "zz");
    msgpack_pack_array(&pk, UINT32_MAX);
    s_expect_eproto(&sb, CODEC_MD_TRADE);

    /* nesting deeper than any message needs */
    msgpack_sbuffer_clear(&sb);
    s_pk_env(&pk, 1);
    s_pk_str(&pk, "deep");
    for (int i = 0; i < 100; i++) {
        msgpack_pack_array(&pk, 1);
    }
    msgpack_pack_nil(&pk);
    s_expect_eproto(&sb, CODEC_MD_TRADE);
    char json[256];
    errno = 0;
    assert_int_equal(codec_to_json((const uint8_t *)sb.data, sb.size, json, sizeof json), -1);
    assert_int_equal(errno, EPROTO);

    /* garbage and the never-used byte 0xc1 */
    static const uint8_t junk[] = { 0xc1 };
    errno = 0;
    assert_int_equal(codec_decode_env(junk, sizeof junk, &env), -1);
    assert_int_equal(errno, EPROTO);
    errno = 0;
    assert_int_equal(codec_to_json(junk, sizeof junk, json, sizeof json), -1);
    assert_int_equal(errno, EPROTO);
    msgpack_sbuffer_destroy(&sb);
}

static void
test_unknown_keys(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    codec_env_t env;
    codec_body_t b;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

    /* envelope: an extra key before body, keys in another order; body: unknown keys with
     * nested values around known ones, known keys out of table order, others missing */
    msgpack_pack_map(&pk, 4);
    s_pk_str(&pk, "future");
    msgpack_pack_map(&pk, 1);
    s_pk_str(&pk, "x");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_nil(&pk);
    msgpack_pack_double(&pk, 2.5);
    s_pk_str(&pk, "seq");
    msgpack_pack_uint64(&pk, 99);
    s_pk_str(&pk, "body");
    msgpack_pack_map(&pk, 5);
    s_pk_str(&pk, "qty");
    msgpack_pack_int64(&pk, -3);
    s_pk_str(&pk, "new_thing");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_int64(&pk, 1);
    msgpack_pack_map(&pk, 1);
    s_pk_str(&pk, "a");
    s_pk_str(&pk, "b");
    s_pk_str(&pk, "symbol");
    s_pk_str(&pk, "ETHUSDT");
    s_pk_str(&pk, "blob");
    msgpack_pack_bin(&pk, 2);
    msgpack_pack_bin_body(&pk, "\x00\x01", 2);
    s_pk_str(&pk, "px");
    msgpack_pack_int64(&pk, 300001);
    s_pk_str(&pk, "v");
    msgpack_pack_uint32(&pk, 1);

    memset(&b, 0x44, sizeof b);
    assert_int_equal(codec_decode((const uint8_t *)sb.data, sb.size, CODEC_MD_TRADE, &env, &b), 0);
    assert_int_equal(env.v, 1);
    assert_true(env.seq == 99);
    assert_string_equal(env.src, ""); /* missing keys stay zero */
    assert_true(env.evt == 0);
    assert_string_equal(b.trade.symbol, "ETHUSDT");
    assert_true(b.trade.px == 300001);
    assert_true(b.trade.qty == -3);
    assert_string_equal(b.trade.venue, "");
    assert_true(b.trade.side == 0 && b.trade.ts_event == 0);
    msgpack_sbuffer_destroy(&sb);
}

/* ---- JSON ---------------------------------------------------------------------------- */

/* jansson value -> msgpack, to feed codec_to_json's output back into codec_decode */
static void
s_json_to_mp(msgpack_packer *pk, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        msgpack_pack_map(pk, json_object_size(j));
        json_object_foreach((json_t *)j, k, v)
        {
            s_pk_str(pk, k);
            s_json_to_mp(pk, v);
        }
        break;
    }
    case JSON_ARRAY:
        msgpack_pack_array(pk, json_array_size(j));
        for (size_t i = 0; i < json_array_size(j); i++) {
            s_json_to_mp(pk, json_array_get(j, i));
        }
        break;
    case JSON_STRING:
        msgpack_pack_str(pk, json_string_length(j));
        msgpack_pack_str_body(pk, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        msgpack_pack_int64(pk, json_integer_value(j));
        break;
    case JSON_REAL:
        msgpack_pack_double(pk, json_real_value(j));
        break;
    case JSON_TRUE:
        msgpack_pack_true(pk);
        break;
    case JSON_FALSE:
        msgpack_pack_false(pk);
        break;
    case JSON_NULL:
        msgpack_pack_nil(pk);
        break;
    }
}

static json_t *
s_to_json(const uint8_t *buf, size_t len, bool body_only)
{
    static char out[4 * CODEC_MSG_MAX];
    json_error_t jerr;
    int n = body_only ? codec_body_to_json(buf, len, out, sizeof out)
                      : codec_to_json(buf, len, out, sizeof out);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(out));
    assert_null(strchr(out, '\n')); /* one line */
    json_t *j = json_loads(out, 0, &jerr);
    if (!j) {
        fail_msg("codec_to_json output is not JSON: %s: %s", jerr.text, out);
    }
    return j;
}

static int64_t
s_jint(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static const char *
s_jstr(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

/* every type: JSON -> msgpack -> codec_decode gives back the original struct exactly */
static void
test_json_round_trip_all(void **state)
{
    (void)state;
    static uint8_t buf[CODEC_MSG_MAX];
    for (int t = CODEC_UNKNOWN + 1; t < CODEC_TYPE_COUNT; t++) {
        codec_body_t in, out;
        codec_env_t env_in, env_out;
        s_fill((codec_type_t)t, &in, INT64_MAX);
        s_env(&env_in, INT64_MAX);
        size_t len = s_encode((codec_type_t)t, &in, INT64_MAX, buf);
        json_t *j = s_to_json(buf, len, false);

        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        s_json_to_mp(&pk, j);
        assert_int_equal(
            codec_decode((const uint8_t *)sb.data, sb.size, (codec_type_t)t, &env_out, &out), 0);
        s_env_equal(&env_in, &env_out);
        if (memcmp(&in, &out, s_body_size((codec_type_t)t)) != 0) {
            fail_msg("JSON round trip of %s differs", codec_type_name((codec_type_t)t));
        }
        /* the body alone renders as the "body" member of the whole message */
        json_t *body = s_to_json(buf, len, true);
        assert_true(json_equal(body, json_object_get(j, "body")));
        assert_int_equal(json_object_size(j), 8); /* v src epoch seq ts origin evt body */
        json_decref(body);
        json_decref(j);
        msgpack_sbuffer_destroy(&sb);
    }
}

/* a few types field by field against the values put in */
static void
test_json_fields(void **state)
{
    (void)state;
    static uint8_t buf[CODEC_MSG_MAX];
    codec_body_t in;

    s_fill(CODEC_MD_BOOK, &in, INT64_MAX);
    size_t len = s_encode(CODEC_MD_BOOK, &in, INT64_MAX, buf);
    json_t *j = s_to_json(buf, len, false);
    assert_int_equal(s_jint(j, "v"), CODEC_VERSION);
    assert_string_equal(s_jstr(j, "src"), "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
    assert_true(s_jint(j, "epoch") == INT64_MIN);
    assert_true(s_jint(j, "seq") == INT64_MAX);
    assert_true(s_jint(j, "origin") == -1);
    const json_t *bd = json_object_get(j, "body");
    assert_string_equal(s_jstr(bd, "venue"), in.book.venue);
    assert_string_equal(s_jstr(bd, "symbol"), in.book.symbol);
    assert_int_equal(s_jint(bd, "px_scale"), 1);
    assert_int_equal(s_jint(bd, "qty_scale"), 3);
    assert_true(s_jint(bd, "ts_event") == -5);
    assert_true(json_is_true(json_object_get(bd, "snapshot")));
    assert_null(json_object_get(bd, "n_bids")); /* counts are the array lengths */
    const json_t *bids = json_object_get(bd, "bids"), *asks = json_object_get(bd, "asks");
    assert_int_equal(json_array_size(bids), CODEC_LEVELS);
    assert_int_equal(json_array_size(asks), CODEC_LEVELS);
    for (size_t i = 0; i < CODEC_LEVELS; i++) {
        const json_t *bl = json_array_get(bids, i), *al = json_array_get(asks, i);
        assert_int_equal(json_array_size(bl), 2);
        assert_true(json_integer_value(json_array_get(bl, 0)) == in.book.bids[i].px);
        assert_true(json_integer_value(json_array_get(bl, 1)) == in.book.bids[i].qty);
        assert_true(json_integer_value(json_array_get(al, 0)) == in.book.asks[i].px);
        assert_true(json_integer_value(json_array_get(al, 1)) == in.book.asks[i].qty);
    }
    json_decref(j);

    s_fill(CODEC_SIG_IND, &in, INT64_MAX);
    len = s_encode(CODEC_SIG_IND, &in, INT64_MAX, buf);
    j = s_to_json(buf, len, true);
    const json_t *names = json_object_get(j, "names"), *values = json_object_get(j, "values");
    assert_int_equal(json_array_size(names), CODEC_IND_MAX);
    for (size_t i = 0; i < CODEC_IND_MAX; i++) {
        assert_string_equal(json_string_value(json_array_get(names, i)), in.ind.names[i]);
        const json_t *v = json_array_get(values, i);
        assert_true(json_is_real(v)); /* 3.0 and 42.0 stay reals ("3.0", not "3") */
        assert_true(memcmp(&(double){ json_real_value(v) }, &in.ind.values[i], 8) == 0);
    }
    json_decref(j);

    /* escapes and UTF-8 survive; NaN renders as null */
    s_fill(CODEC_SIG_SIGNAL, &in, INT64_MAX);
    in.signal.confidence = NAN;
    len = s_encode(CODEC_SIG_SIGNAL, &in, INT64_MAX, buf);
    j = s_to_json(buf, len, true);
    assert_string_equal(s_jstr(j, "reason"), k_nasty);
    assert_true(json_is_null(json_object_get(j, "confidence")));
    assert_int_equal(s_jint(j, "side"), 1);
    json_decref(j);
    in.signal.confidence = -INFINITY;
    len = s_encode(CODEC_SIG_SIGNAL, &in, INT64_MAX, buf);
    j = s_to_json(buf, len, true);
    assert_true(json_is_null(json_object_get(j, "confidence")));
    json_decref(j);

    /* uint64 above INT64_MAX is written exactly (some JSON readers cannot hold it) */
    s_fill(CODEC_SYS_BARRIER, &in, UINT64_MAX);
    len = s_encode(CODEC_SYS_BARRIER, &in, UINT64_MAX, buf);
    char out[2048];
    assert_true(codec_body_to_json(buf, len, out, sizeof out) > 0);
    assert_non_null(strstr(out, "\"step\":18446744073709551615,"));
}

/* invalid UTF-8 in a string (the codec does not check text) becomes U+FFFD in JSON */
static void
test_json_bad_utf8(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    char out[512];
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    s_pk_env(&pk, 1);
    s_pk_str(&pk, "reason");
    s_pk_str(&pk, "a\xff"
                  "b\xc3"); /* a stray byte and a truncated sequence */
    assert_true(codec_body_to_json((const uint8_t *)sb.data, sb.size, out, sizeof out) > 0);
    assert_string_equal(out, "{\"reason\":\"a\\ufffdb\\ufffd\"}");
    msgpack_sbuffer_destroy(&sb);
}

static void
test_topics(void **state)
{
    (void)state;
    static const struct {
        const char *topic;
        codec_type_t t;
    } cases[] = {
        { "md.book.bybit-linear.BTCUSDT", CODEC_MD_BOOK },
        { "md.trade.binance-usdm.BTCUSDT", CODEC_MD_TRADE },
        { "md.ticker.bybit-linear.ETHUSDT", CODEC_MD_TICKER },
        { "md.kline.1m.binance-spot.BTCUSDT", CODEC_MD_KLINE },
        { "md.status.bybit-linear", CODEC_MD_STATUS },
        { "md.instrument.bybit-linear.BTCUSDT", CODEC_MD_INSTRUMENT },
        { "sig.bar.1m.bybit-linear.BTCUSDT", CODEC_SIG_BAR },
        { "sig.ind.1s.bybit-linear.BTCUSDT", CODEC_SIG_IND },
        { "sig.signal.ema_cross.0.BTCUSDT", CODEC_SIG_SIGNAL },
        { "sig.setup.setups.btc.BTCUSDT", CODEC_SIG_SETUP },
        { "sig.setups", CODEC_UNKNOWN },
        { "gw.action", CODEC_GW_ACTION },
        { "gw.actions", CODEC_UNKNOWN },
        { "risk.order", CODEC_RISK_ORDER },
        { "risk.reject", CODEC_RISK_REJECT },
        { "risk.state", CODEC_RISK_STATE },
        { "risk.alert", CODEC_RISK_ALERT },
        { "rec.alert", CODEC_RISK_ALERT }, /* the recorder reuses the alert body */
        { "rec.alerts", CODEC_UNKNOWN },
        { "exec.status.bybit-linear", CODEC_MD_STATUS }, /* the executor's venue state */
        { "exec.statuses", CODEC_UNKNOWN },
        { "exec.order", CODEC_EXEC_ORDER },
        { "exec.fill", CODEC_EXEC_FILL },
        { "exec.position", CODEC_EXEC_POSITION },
        { "exec.balance", CODEC_EXEC_BALANCE },
        { "order.ack", CODEC_ORDER_ACK },
        { "sys.hb.feed.0", CODEC_SYS_HB },
        { "sys.barrier", CODEC_SYS_BARRIER },
        { "md.bookx.a", CODEC_UNKNOWN }, /* a prefix must end at a '.' */
        { "md.boo", CODEC_UNKNOWN },
        { "risk.orders", CODEC_UNKNOWN },
        { "", CODEC_UNKNOWN },
        { "foo", CODEC_UNKNOWN },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (codec_type_of_topic(cases[i].topic) != cases[i].t) {
            fail_msg("topic '%s'", cases[i].topic);
        }
    }
    assert_int_equal(codec_type_of_topic(NULL), CODEC_UNKNOWN);
    assert_string_equal(codec_type_name(CODEC_MD_BOOK), "md.book");
    assert_string_equal(codec_type_name(CODEC_ORDER_ACK), "order.ack");
    assert_string_equal(codec_type_name(CODEC_SYS_HB), "sys.hb");
    assert_string_equal(codec_type_name(CODEC_TYPE_COUNT), "unknown");
    /* every type's name maps back to it */
    for (int t = CODEC_UNKNOWN + 1; t < CODEC_TYPE_COUNT; t++) {
        assert_int_equal(codec_type_of_topic(codec_type_name((codec_type_t)t)), t);
    }
}

/* Mutated messages (a fixed-seed xorshift flips 1-3 bytes of every type's full encoding, 3,000
 * times per type) never crash a decoder (make asan runs this under ASan/UBSan). */
static void
test_mutations(void **state)
{
    (void)state;
    static uint8_t buf[CODEC_MSG_MAX], mut[CODEC_MSG_MAX];
    static char json[4 * CODEC_MSG_MAX];
    uint64_t x = 88172645463325252ULL;
    long accepted = 0, refused = 0;
    for (int t = CODEC_UNKNOWN + 1; t < CODEC_TYPE_COUNT; t++) {
        codec_body_t in, out;
        s_fill((codec_type_t)t, &in, UINT64_MAX);
        size_t len = s_encode((codec_type_t)t, &in, UINT64_MAX, buf);
        for (int k = 0; k < 3000; k++) {
            memcpy(mut, buf, len);
            for (int f = 0; f <= k % 3; f++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                mut[x % len] = (uint8_t)(x >> 32);
            }
            codec_env_t env;
            if (codec_decode_env(mut, len, &env) == 0) {
                accepted++;
            } else {
                refused++;
            }
            (void)codec_decode(mut, len, (codec_type_t)t, NULL, &out);
            (void)codec_to_json(mut, len, json, sizeof json);
        }
    }
    assert_true(accepted > 0 && refused > 0); /* both outcomes were exercised */
}

/* The envelope reader skips a body it does not decode without reading it: an unknown envelope
 * key holding one value of every msgpack format, before "seq", must be skipped to the exact
 * byte (else seq is misread), and every cut of the message is refused. */
static void
test_skip_every_format(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    static char text[300];
    memset(text, 'a', sizeof text);
    msgpack_pack_map(&pk, 4);
    s_pk_str(&pk, "v");
    msgpack_pack_uint32(&pk, 1);
    s_pk_str(&pk, "zz");
    msgpack_pack_array(&pk, 31); /* array16: >= 16 items */
    msgpack_pack_nil(&pk);
    msgpack_pack_false(&pk);
    msgpack_pack_true(&pk);
    msgpack_pack_int64(&pk, 5);   /* positive fixint */
    msgpack_pack_int64(&pk, -5);  /* negative fixint */
    msgpack_pack_uint8(&pk, 200); /* uint 8 */
    msgpack_pack_uint16(&pk, 60000);
    msgpack_pack_uint32(&pk, 4000000000u);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_int8(&pk, -100);
    msgpack_pack_int16(&pk, -30000);
    msgpack_pack_int32(&pk, -2000000000);
    msgpack_pack_int64(&pk, INT64_MIN);
    msgpack_pack_float(&pk, 1.5f);
    msgpack_pack_double(&pk, 2.5);
    msgpack_pack_str(&pk, 40); /* str 8 */
    msgpack_pack_str_body(&pk, text, 40);
    msgpack_pack_str(&pk, 300); /* str 16 */
    msgpack_pack_str_body(&pk, text, 300);
    msgpack_pack_bin(&pk, 3); /* bin 8 */
    msgpack_pack_bin_body(&pk, text, 3);
    msgpack_pack_bin(&pk, 300); /* bin 16 */
    msgpack_pack_bin_body(&pk, text, 300);
    msgpack_pack_ext(&pk, 3, 7); /* ext 8 */
    msgpack_pack_ext_body(&pk, text, 3);
    static const size_t k_fix[] = { 1, 2, 4, 8, 16 };
    for (int i = 0; i < 5; i++) { /* fixext 1..16 */
        msgpack_pack_ext(&pk, k_fix[i], 1);
        msgpack_pack_ext_body(&pk, text, k_fix[i]);
    }
    msgpack_pack_map(&pk, 16); /* map 16 of fixint pairs */
    for (int i = 0; i < 32; i++) {
        msgpack_pack_int64(&pk, i);
    }
    msgpack_pack_array(&pk, 2); /* nested fixarray holding a fixmap */
    msgpack_pack_map(&pk, 1);
    s_pk_str(&pk, "k");
    msgpack_pack_array(&pk, 0);
    msgpack_pack_nil(&pk);
    msgpack_pack_str(&pk, 3); /* fixstr */
    msgpack_pack_str_body(&pk, "abc", 3);
    msgpack_pack_map(&pk, 0);
    msgpack_pack_array(&pk, 0);
    msgpack_pack_ext(&pk, 300, 2); /* ext 16 */
    msgpack_pack_ext_body(&pk, text, 300);
    s_pk_str(&pk, "seq");
    msgpack_pack_uint64(&pk, 4242);
    s_pk_str(&pk, "body");
    msgpack_pack_map(&pk, 0);
    codec_env_t env;
    assert_int_equal(codec_decode_env((const uint8_t *)sb.data, sb.size, &env), 0);
    assert_true(env.seq == 4242);
    assert_int_equal(env.v, 1);
    for (size_t cut = 0; cut < sb.size; cut++) {
        errno = 0;
        assert_int_equal(codec_decode_env((const uint8_t *)sb.data, cut, &env), -1);
        assert_int_equal(errno, EPROTO);
    }
    msgpack_sbuffer_destroy(&sb);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_all),
        cmocka_unit_test(test_round_trip_empty),
        cmocka_unit_test(test_version_default),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_enobufs),
        cmocka_unit_test(test_encode_einval),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_bad_structure),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_json_round_trip_all),
        cmocka_unit_test(test_json_fields),
        cmocka_unit_test(test_json_bad_utf8),
        cmocka_unit_test(test_topics),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_skip_every_format),
    };
    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
