/*  test_bybit.c - feed/bybit on the real Bybit v5 linear capture
 *  (data/bybit_v5/bybit_v5_linear_frames.jsonl, PROVENANCE.md section 2) and on malformed
 *  frames. Expected counts are derived by an independent scan of the same file with jansson,
 *  never copied from the parser's output; PROVENANCE's figures cross-check the scan.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/instr.h"
#include "common/log.h"
#include "feed/bybit.h"

#define k_frames "data/bybit_v5/bybit_v5_linear_frames.jsonl"
#define k_instrs "data/bybit_v5/instruments_info_linear.json"
#define k_venue  "bybit-linear"

static const char *const k_syms[4] = { "BTCUSDT", "ETHUSDT", "SOLUSDT", "DOGEUSDT" };

static int
s_ix(const char *sym)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(sym, k_syms[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* What the sink saw. */
typedef struct {
    bybit_t *p;
    long books[4], trades[4], tickers[4], klines[4], klines_closed[4], status, acks, pongs;
    uint64_t last_u[4];
    bool u_break;
    bool crossed;
    long cmp_all, match_all; /* PROVENANCE's comparison: after every ticker frame */
} s_seen_t;

static void
s_on_book(const codec_md_book_t *b, int64_t origin, void *arg)
{
    s_seen_t *s = arg;
    int i = s_ix(b->symbol);
    assert_true(i >= 0);
    assert_true(origin > 0);
    assert_true(b->ts_event > 1786310000LL * 1000000000LL); /* ms were turned into ns */
    s->books[i]++;
    if (!b->snapshot && b->update_id != s->last_u[i] + 1) {
        s->u_break = true;
    }
    s->last_u[i] = b->update_id;
    if (b->n_bids > 0 && b->n_asks > 0 && b->bids[0].px >= b->asks[0].px) {
        s->crossed = true;
    }
    assert_true(b->n_bids <= 10 && b->n_asks <= 10);
    book_check(bybit_book(s->p, b->symbol));
}

static void
s_on_trade(const codec_md_trade_t *t, int64_t origin, void *arg)
{
    s_seen_t *s = arg;
    (void)origin;
    int i = s_ix(t->symbol);
    assert_true(i >= 0);
    assert_true(t->side == 1 || t->side == -1);
    assert_true(t->px > 0 && t->qty > 0);
    assert_true(strlen(t->trade_id) > 0);
    s->trades[i]++;
}

static void
s_on_ticker(const codec_md_ticker_t *t, int64_t origin, void *arg)
{
    s_seen_t *s = arg;
    (void)origin;
    int i = s_ix(t->symbol);
    assert_true(i >= 0);
    s->tickers[i]++;
    const book_t *bk = bybit_book(s->p, t->symbol);
    book_level_t bid, ask;
    if (bk && t->bid_px != 0 && t->ask_px != 0 && book_best(bk, &bid, &ask) == 0) {
        s->cmp_all++;
        if (bid.px == t->bid_px && ask.px == t->ask_px) {
            s->match_all++;
        }
    }
}

static void
s_on_kline(const codec_md_kline_t *k, const char *interval, int64_t origin, void *arg)
{
    s_seen_t *s = arg;
    (void)origin;
    int i = s_ix(k->symbol);
    assert_true(i >= 0);
    assert_string_equal(interval, "1m");
    assert_int_equal(k->interval_s, 60);
    assert_int_equal(k->end_ns - k->start_ns, 60LL * 1000000000LL);
    assert_true(k->low <= k->open && k->open <= k->high && k->low <= k->close);
    s->klines[i]++;
    s->klines_closed[i] += k->closed;
}

static void
s_on_status(const codec_md_status_t *st, int64_t origin, void *arg)
{
    s_seen_t *s = arg;
    (void)origin;
    assert_string_equal(st->state, "resync");
    s->status++;
}

static void
s_on_control(const char *op, bool ok, void *arg)
{
    s_seen_t *s = arg;
    if (strcmp(op, "pong") == 0) {
        s->pongs++;
    } else if (ok) {
        s->acks++;
    }
}

/* keep the 4 symbols of the capture (the table holds 256; the list has more) */
static void
s_put(const instr_t *in, void *arg)
{
    if (s_ix(in->symbol) >= 0) {
        assert_int_equal(instr_table_put(arg, in), 0);
    }
}

static instr_table_t *
s_instruments(void)
{
    FILE *f = fopen(k_instrs, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 0 && n < sizeof buf);
    instr_table_t *t = instr_table_new();
    assert_non_null(t);
    assert_true(instr_parse_bybit(buf, n, k_venue, s_put, t) > 4);
    assert_non_null(instr_table_get(t, k_venue, "DOGEUSDT"));
    return t;
}

static bybit_t *
s_parser(instr_table_t *t, md_stats_t *st, s_seen_t *seen)
{
    const md_sink_t sink = { .book = s_on_book,
                             .trade = s_on_trade,
                             .ticker = s_on_ticker,
                             .kline = s_on_kline,
                             .status = s_on_status,
                             .control = s_on_control,
                             .arg = seen };
    bybit_t *p = bybit_new(k_venue, t, 200, 10, st, &sink);
    assert_non_null(p);
    seen->p = p;
    return p;
}

static void
test_replay_linear_capture(void **state)
{
    (void)state;
    instr_table_t *instrs = s_instruments();
    md_stats_t st = { 0 };
    s_seen_t seen = { 0 };
    bybit_t *p = s_parser(instrs, &st, &seen);

    /* independent expectations, from jansson */
    long x_books[4] = { 0 }, x_trades[4] = { 0 }, x_tickers[4] = { 0 }, x_klines[4] = { 0 };
    long x_acks = 0, lines = 0;
    /* the brief's variant: after a ticker frame that carries bid1Price or ask1Price */
    long cmp_carry = 0, match_carry = 0;

    FILE *f = fopen(k_frames, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }
        lines++;
        json_error_t jerr;
        json_t *j = json_loadb(line, (size_t)n, 0, &jerr);
        assert_non_null(j);
        const char *topic = json_string_value(json_object_get(j, "topic"));
        json_t *data = json_object_get(j, "data");
        int i = -1;
        bool carry = false;
        if (!topic) {
            x_acks += json_is_true(json_object_get(j, "success"));
        } else if (strncmp(topic, "orderbook.200.", 14) == 0) {
            i = s_ix(topic + 14);
            x_books[i]++;
        } else if (strncmp(topic, "publicTrade.", 12) == 0) {
            i = s_ix(topic + 12);
            x_trades[i] += (long)json_array_size(data);
        } else if (strncmp(topic, "tickers.", 8) == 0) {
            i = s_ix(topic + 8);
            x_tickers[i]++;
            carry = json_object_get(data, "bid1Price") || json_object_get(data, "ask1Price");
        } else if (strncmp(topic, "kline.1.", 8) == 0) {
            i = s_ix(topic + 8);
            x_klines[i] += (long)json_array_size(data);
        } else {
            fail_msg("unexpected topic %s", topic);
        }
        json_decref(j);

        assert_int_equal(bybit_parse(p, line, (size_t)n, 1786310819000000000LL + lines), 0);
        if (carry) {
            codec_md_ticker_t tk;
            const book_t *bk = bybit_book(p, k_syms[i]);
            book_level_t bid, ask;
            if (bk && bybit_ticker(p, k_syms[i], &tk) == 0 && tk.bid_px && tk.ask_px
                && book_best(bk, &bid, &ask) == 0) {
                cmp_carry++;
                match_carry += bid.px == tk.bid_px && ask.px == tk.ask_px;
            }
        }
    }
    free(line);
    fclose(f);

    /* the scan agrees with PROVENANCE section 1 (2,546 frames; 56/23/165/83 trades; 17 acks;
     * 1 snapshot + 413/420/382/379 deltas) */
    assert_int_equal(lines, 2546);
    assert_int_equal(x_trades[0], 56);
    assert_int_equal(x_trades[1], 23);
    assert_int_equal(x_trades[2], 165);
    assert_int_equal(x_trades[3], 83);
    assert_int_equal(x_books[0], 414);
    assert_int_equal(x_acks, 17);

    for (int i = 0; i < 4; i++) {
        assert_int_equal(seen.books[i], x_books[i]); /* every orderbook frame applied */
        assert_int_equal(seen.trades[i], x_trades[i]);
        assert_int_equal(seen.tickers[i], x_tickers[i]);
        assert_int_equal(seen.klines[i], x_klines[i]);
        assert_int_equal(seen.klines_closed[i], 1); /* one confirm:true bar each */
        const book_t *bk = bybit_book(p, k_syms[i]);
        assert_non_null(bk);
        book_check(bk);
        assert_int_equal(book_n_bids(bk), 200);
        assert_int_equal(book_n_asks(bk), 200);
    }
    assert_false(seen.u_break);
    assert_false(seen.crossed);
    assert_int_equal(seen.status, 0);
    assert_int_equal(seen.acks, x_acks);
    assert_int_equal(st.frames, lines);
    assert_int_equal(st.resyncs, 0);
    assert_int_equal(st.bad_json + st.bad_field + st.unknown_topic + st.no_instr, 0);
    assert_int_equal(st.books, x_books[0] + x_books[1] + x_books[2] + x_books[3]);

    /* PROVENANCE: "tickers bid1/ask1 (merged snapshot+delta state) equal the rebuilt book's
     * best bid/ask in 736 of 740 comparisons" - one comparison per ticker frame once the book
     * and both sides of the ticker state exist */
    assert_int_equal(seen.cmp_all, 740);
    assert_true(seen.match_all >= 736);
    /* counting only frames that carry bid1Price/ask1Price, the same 4 misses at most */
    assert_true(cmp_carry > 0);
    assert_true(cmp_carry - match_carry <= 4);
    print_message("tickers vs book: %ld/%ld (all frames), %ld/%ld (frames carrying bid1/ask1)\n",
                  seen.match_all, seen.cmp_all, match_carry, cmp_carry);

    bybit_destroy(&p);
    assert_null(p);
    instr_table_destroy(&instrs);
}

/* First orderbook snapshot line of the capture (a real frame). */
static char *
s_first_line(const char *prefix, size_t *len)
{
    FILE *f = fopen(k_frames, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (strncmp(line, prefix, strlen(prefix)) == 0) {
            while (n > 0 && line[n - 1] == '\n') {
                line[--n] = '\0';
            }
            fclose(f);
            *len = (size_t)n;
            return line;
        }
    }
    fail_msg("no line starting with %s", prefix);
    return NULL;
}

static void
test_malformed(void **state)
{
    (void)state;
    instr_table_t *instrs = s_instruments();
    md_stats_t st = { 0 };
    s_seen_t seen = { 0 };
    bybit_t *p = s_parser(instrs, &st, &seen);
    size_t len = 0;
    char *snap = s_first_line("{\"topic\":\"orderbook.200.BTCUSDT\",\"type\":\"snapshot\"", &len);

    /* cut in half: bad_json */
    errno = 0;
    assert_int_equal(bybit_parse(p, snap, len / 2, 1), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.bad_json, 1);
    assert_null(bybit_book(p, "BTCUSDT")); /* nothing was created or applied */

    /* price as a JSON number where Bybit sends a string: bad_field, no trade emitted */
    const char *num =
        "{\"topic\":\"publicTrade.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1786310820347,"
        "\"data\":[{\"T\":1786310820346,\"s\":\"BTCUSDT\",\"S\":\"Buy\",\"v\":\"0.010\","
        "\"p\":65114.30,\"L\":\"PlusTick\",\"i\":\"19d7df56\",\"BT\":false}]}";
    errno = 0;
    assert_int_equal(bybit_parse(p, num, strlen(num), 1), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.bad_field, 1);
    assert_int_equal(seen.trades[0], 0);

    /* a topic we do not know (subscribed by cryptofeed in the capture, never sent data) */
    const char *unk =
        "{\"topic\":\"allLiquidation.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1,\"data\":[]}";
    errno = 0;
    assert_int_equal(bybit_parse(p, unk, strlen(unk), 1), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.unknown_topic, 1);

    /* valid JSON but not an object, and an object with neither topic nor op */
    errno = 0;
    assert_int_equal(bybit_parse(p, "[1,2]", 5, 1), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.bad_json, 2);
    errno = 0;
    assert_int_equal(bybit_parse(p, "{\"a\":1}", 7, 1), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.unknown_topic, 2);

    /* a symbol without instrument rules: counted and skipped, not an error */
    const char *nosym = "{\"topic\":\"tickers.NOPEUSDT\",\"type\":\"snapshot\",\"ts\":1,"
                        "\"data\":{\"symbol\":\"NOPEUSDT\",\"lastPrice\":\"1.0\"}}";
    assert_int_equal(bybit_parse(p, nosym, strlen(nosym), 1), 0);
    assert_int_equal(st.no_instr, 1);

    /* the real snapshot, then a delta whose u skips one: resync, book dropped */
    assert_int_equal(bybit_parse(p, snap, len, 1), 0);
    const book_t *bk = bybit_book(p, "BTCUSDT");
    assert_non_null(bk);
    assert_true(book_synced(bk));
    char gap[256];
    snprintf(gap, sizeof gap,
             "{\"topic\":\"orderbook.200.BTCUSDT\",\"type\":\"delta\",\"ts\":1786310818130,"
             "\"data\":{\"s\":\"BTCUSDT\",\"b\":[[\"65095.30\",\"0.005\"]],\"a\":[],\"u\":%llu,"
             "\"seq\":1},\"cts\":1786310818128}",
             (unsigned long long)(book_seq(bk) + 2));
    errno = 0;
    assert_int_equal(bybit_parse(p, gap, strlen(gap), 1), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.resyncs, 1);
    assert_int_equal(seen.status, 1);
    assert_false(book_synced(bk));
    /* deltas until the next snapshot are skipped, not more gaps */
    assert_int_equal(bybit_parse(p, gap, strlen(gap), 1), 0);
    assert_int_equal(st.unsynced, 1);
    assert_int_equal(st.resyncs, 1);
    /* an off-tick level (tick 0.10): bad_field, book unchanged */
    assert_int_equal(bybit_parse(p, snap, len, 1), 0);
    uint64_t u0 = book_seq(bk);
    snprintf(gap, sizeof gap,
             "{\"topic\":\"orderbook.200.BTCUSDT\",\"type\":\"delta\",\"ts\":1786310818130,"
             "\"data\":{\"s\":\"BTCUSDT\",\"b\":[[\"65095.35\",\"0.005\"]],\"a\":[],\"u\":%llu,"
             "\"seq\":1},\"cts\":1786310818128}",
             (unsigned long long)(u0 + 1));
    errno = 0;
    assert_int_equal(bybit_parse(p, gap, strlen(gap), 1), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.bad_field, 2);
    assert_int_equal(book_seq(bk), u0);

    /* acks and pongs as Bybit sends them (BYBIT_V5.md 1.2, 1.3) */
    const char *ack = "{\"success\":true,\"ret_msg\":\"\",\"conn_id\":\"d8bu\",\"req_id\":\"\","
                      "\"op\":\"subscribe\"}";
    const char *pong = "{\"success\":true,\"ret_msg\":\"pong\",\"conn_id\":\"d8bu\",\"req_id\":"
                       "\"\",\"op\":\"ping\"}";
    const char *nack = "{\"success\":false,\"ret_msg\":\"error:invalid "
                       "op\",\"conn_id\":\"d8bu\",\"op\":\"subscribe\"}";
    assert_int_equal(bybit_parse(p, ack, strlen(ack), 1), 0);
    assert_int_equal(bybit_parse(p, pong, strlen(pong), 1), 0);
    assert_int_equal(bybit_parse(p, nack, strlen(nack), 1), 0);
    assert_int_equal(st.acks, 1);
    assert_int_equal(st.pongs, 1);
    assert_int_equal(st.nacks, 1);
    assert_int_equal(seen.pongs, 1);

    free(snap);
    bybit_destroy(&p);
    instr_table_destroy(&instrs);
}

/* ---- more inputs: spot capture, orderbook.500 slice, depths 1/1000, crossed book ---------- */

typedef struct {
    bybit_t *p;
    long books, trades, tickers, klines, status, crossed, ticker_last_px;
    uint64_t last_u;
    size_t max_levels; /* deepest book seen (bybit_book) */
    codec_md_book_t last;
    char reason[CODEC_TEXT_MAX];
} s_any_t;

static void
s_any_book(const codec_md_book_t *b, int64_t origin, void *arg)
{
    s_any_t *s = arg;
    (void)origin;
    s->books++;
    if (b->n_bids && b->n_asks && b->bids[0].px >= b->asks[0].px) {
        s->crossed++;
    }
    const book_t *bk = bybit_book(s->p, b->symbol);
    book_check(bk);
    if (book_n_bids(bk) > s->max_levels) {
        s->max_levels = book_n_bids(bk);
    }
    s->last = *b;
}

static void
s_any_trade(const codec_md_trade_t *t, int64_t origin, void *arg)
{
    (void)t;
    (void)origin;
    ((s_any_t *)arg)->trades++;
}

static void
s_any_ticker(const codec_md_ticker_t *t, int64_t origin, void *arg)
{
    (void)origin;
    s_any_t *s = arg;
    s->tickers++;
    s->ticker_last_px += t->last_px > 0;
}

static void
s_any_kline(const codec_md_kline_t *k, const char *interval, int64_t origin, void *arg)
{
    (void)k;
    (void)interval;
    (void)origin;
    ((s_any_t *)arg)->klines++;
}

static void
s_any_status(const codec_md_status_t *st, int64_t origin, void *arg)
{
    (void)origin;
    s_any_t *s = arg;
    s->status++;
    md_strlcpy(s->reason, st->reason, sizeof s->reason);
}

/* keep the rules of the symbols in `keep` (NULL-terminated) */
static const char *const *g_keep;
static void
s_put_keep(const instr_t *in, void *arg)
{
    for (size_t i = 0; g_keep[i]; i++) {
        if (strcmp(in->symbol, g_keep[i]) == 0) {
            assert_int_equal(instr_table_put(arg, in), 0);
        }
    }
}

static instr_table_t *
s_instruments_of(const char *path, const char *venue, const char *const *keep)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    instr_table_t *t = instr_table_new();
    assert_non_null(t);
    g_keep = keep;
    assert_true(instr_parse_bybit(buf, n, venue, s_put_keep, t) > 0);
    return t;
}

static bybit_t *
s_any_parser(const char *venue, instr_table_t *t, size_t depth, md_stats_t *st, s_any_t *seen)
{
    const md_sink_t sink = { .book = s_any_book,
                             .trade = s_any_trade,
                             .ticker = s_any_ticker,
                             .kline = s_any_kline,
                             .status = s_any_status,
                             .arg = seen };
    bybit_t *p = bybit_new(venue, t, depth, 10, st, &sink);
    assert_non_null(p);
    seen->p = p;
    return p;
}

/* Independent scan of a JSON Lines capture with jansson: orderbook frames, u breaks, trades,
 * ticker frames (and how many are snapshots), kline frames. */
typedef struct {
    long books, breaks, trades, tickers, ticker_snaps, klines;
} s_scan_t;

static s_scan_t
s_scan(const char *path)
{
    s_scan_t x = { 0 };
    char syms[8][16] = { { 0 } };
    long long last[8] = { 0 };
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        const char *topic = json_string_value(json_object_get(j, "topic"));
        const char *type = json_string_value(json_object_get(j, "type"));
        json_t *d = json_object_get(j, "data");
        if (topic && strncmp(topic, "orderbook.", 10) == 0) {
            const char *sym = json_string_value(json_object_get(d, "s"));
            long long u = json_integer_value(json_object_get(d, "u"));
            int k = 0;
            while (k < 7 && syms[k][0] && strcmp(syms[k], sym) != 0) {
                k++;
            }
            snprintf(syms[k], sizeof syms[k], "%s", sym);
            if (strcmp(type, "delta") == 0 && u != last[k] + 1) {
                x.breaks++;
            }
            last[k] = u;
            x.books++;
        } else if (topic && strncmp(topic, "publicTrade.", 12) == 0) {
            x.trades += (long)json_array_size(d);
        } else if (topic && strncmp(topic, "tickers.", 8) == 0) {
            x.tickers++;
            x.ticker_snaps += strcmp(type, "snapshot") == 0;
        } else if (topic && strncmp(topic, "kline.", 6) == 0) {
            x.klines++;
        }
        json_decref(j);
    }
    free(line);
    fclose(f);
    return x;
}

static void
s_feed_file(bybit_t *p, const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            n--;
        }
        (void)bybit_parse(p, line, (size_t)n, 1);
    }
    free(line);
    fclose(f);
}

/* Bybit spot (BYBIT_V5.md 1.4: different field order, spot tickers snapshot-only): every
 * orderbook frame applied, every trade and ticker frame emitted, never crossed. */
static void
test_spot_capture(void **state)
{
    (void)state;
    static const char *const keep[] = { "BTCUSDT", "ETHUSDT", NULL };
    instr_table_t *t =
        s_instruments_of("data/bybit_v5/instruments_info_spot.json", "bybit-spot", keep);
    md_stats_t st = { 0 };
    s_any_t seen = { 0 };
    bybit_t *p = s_any_parser("bybit-spot", t, 200, &st, &seen);
    s_scan_t x = s_scan("data/bybit_v5/bybit_v5_spot_frames.jsonl");
    /* PROVENANCE 1: 681 frames; the scan: 550 orderbook, 81 tickers (all snapshots) */
    assert_int_equal(x.books, 550);
    assert_int_equal(x.breaks, 0);
    assert_int_equal(x.tickers, 81);
    assert_int_equal(x.ticker_snaps, x.tickers);
    s_feed_file(p, "data/bybit_v5/bybit_v5_spot_frames.jsonl");
    assert_int_equal(seen.books, x.books);
    assert_int_equal(seen.trades, x.trades);
    assert_int_equal(seen.tickers, x.tickers);
    assert_int_equal(seen.ticker_last_px, x.tickers); /* every spot ticker has lastPrice */
    assert_int_equal(seen.klines, x.klines);
    assert_int_equal(seen.crossed, 0);
    assert_int_equal(st.resyncs + st.bad_json + st.bad_field + st.unknown_topic, 0);
    bybit_destroy(&p);
    instr_table_destroy(&t);
}

/* The 2024 orderbook.500 archive slice (PROVENANCE 3): 1 snapshot of 500+500 levels and 49
 * deltas, u consecutive; at depth 500 every frame applies and the book keeps 500 levels. */
static void
test_orderbook_500(void **state)
{
    (void)state;
    static const char *const keep[] = { "XRPUSDT", NULL };
    instr_table_t *t =
        s_instruments_of("data/bybit_v5/instruments_info_linear.json", "bybit-linear", keep);
    md_stats_t st = { 0 };
    s_any_t seen = { 0 };
    bybit_t *p = s_any_parser("bybit-linear", t, 500, &st, &seen);
    s_scan_t x = s_scan("data/bybit_v5/2024-12-01_XRPUSDT_ob500.data");
    assert_int_equal(x.books, 50);
    assert_int_equal(x.breaks, 0);
    s_feed_file(p, "data/bybit_v5/2024-12-01_XRPUSDT_ob500.data");
    assert_int_equal(seen.books, 50);
    assert_int_equal(seen.crossed, 0);
    assert_int_equal(seen.max_levels, 500);
    assert_int_equal(st.resyncs + st.bad_field, 0);
    /* the same slice at depth 50: still every frame, books cut to 50 */
    md_stats_t st2 = { 0 };
    s_any_t seen2 = { 0 };
    bybit_t *p2 = s_any_parser("bybit-linear", t, 50, &st2, &seen2);
    s_feed_file(p2, "data/bybit_v5/2024-12-01_XRPUSDT_ob500.data");
    assert_int_equal(seen2.books, 50);
    assert_int_equal(seen2.max_levels, 50);
    /* top 10 of the last book equal at both depths (a 50-level cut keeps the top) */
    assert_memory_equal(seen2.last.bids, seen.last.bids, sizeof seen.last.bids);
    assert_memory_equal(seen2.last.asks, seen.last.asks, sizeof seen.last.asks);
    bybit_destroy(&p2);
    bybit_destroy(&p);
    instr_table_destroy(&t);
}

/* orderbook.1 (BYBIT_V5.md 1.5: snapshots only, a re-push with the same u is a snapshot) and
 * orderbook.1000; a delta that would cross the book: resync counted in `crossed`. */
static void
test_depth_1_1000_and_crossed(void **state)
{
    (void)state;
    static const char *const keep[] = { "BTCUSDT", NULL };
    instr_table_t *t =
        s_instruments_of("data/bybit_v5/instruments_info_linear.json", "bybit-linear", keep);
    md_stats_t st = { 0 };
    s_any_t seen = { 0 };
    bybit_t *p = s_any_parser("bybit-linear", t, 1, &st, &seen);
    const char *f1 = "{\"topic\":\"orderbook.1.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1,\"data\":"
                     "{\"s\":\"BTCUSDT\",\"b\":[[\"65000.0\",\"1.000\"]],\"a\":[[\"65000.1\","
                     "\"2.000\"]],\"u\":700,\"seq\":1},\"cts\":1}";
    const char *f2 = "{\"topic\":\"orderbook.1.BTCUSDT\",\"type\":\"snapshot\",\"ts\":2,\"data\":"
                     "{\"s\":\"BTCUSDT\",\"b\":[[\"65000.0\",\"1.500\"]],\"a\":[[\"65000.1\","
                     "\"2.000\"]],\"u\":700,\"seq\":2},\"cts\":2}";
    const char *f3 = "{\"topic\":\"orderbook.1.BTCUSDT\",\"type\":\"delta\",\"ts\":3,\"data\":"
                     "{\"s\":\"BTCUSDT\",\"b\":[[\"64999.9\",\"3.000\"],[\"65000.0\",\"0\"]],"
                     "\"a\":[],\"u\":701,\"seq\":3},\"cts\":3}";
    assert_int_equal(bybit_parse(p, f1, strlen(f1), 1), 0);
    assert_int_equal(bybit_parse(p, f2, strlen(f2), 1), 0); /* same u: a re-push, no gap */
    assert_int_equal(bybit_parse(p, f3, strlen(f3), 1), 0);
    assert_int_equal(seen.books, 3);
    assert_int_equal(seen.last.n_bids, 1);
    assert_int_equal(seen.last.bids[0].px, 649999); /* 64999.9 at tick 0.1 */
    assert_int_equal(seen.last.bids[0].qty, 3000);
    assert_int_equal(st.resyncs, 0);
    /* a delta whose bid crosses the ask: resync, counted as crossed */
    const char *f4 = "{\"topic\":\"orderbook.1.BTCUSDT\",\"type\":\"delta\",\"ts\":4,\"data\":"
                     "{\"s\":\"BTCUSDT\",\"b\":[[\"65000.5\",\"1.000\"]],\"a\":[],\"u\":702,"
                     "\"seq\":4},\"cts\":4}";
    errno = 0;
    assert_int_equal(bybit_parse(p, f4, strlen(f4), 1), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.resyncs, 1);
    assert_int_equal(st.crossed, 1);
    assert_string_equal(seen.reason, "orderbook u 702: crossed book");
    bybit_destroy(&p);
    /* depth 1000 on the linear capture: same books as depth 200 (the capture never has more
     * than 200 + a few levels, so the top 10 cannot differ) */
    md_stats_t a = { 0 }, b = { 0 };
    s_any_t sa = { 0 }, sb = { 0 };
    static const char *const keep4[] = { "BTCUSDT", "ETHUSDT", "SOLUSDT", "DOGEUSDT", NULL };
    instr_table_t *t4 =
        s_instruments_of("data/bybit_v5/instruments_info_linear.json", "bybit-linear", keep4);
    bybit_t *pa = s_any_parser("bybit-linear", t4, 200, &a, &sa);
    bybit_t *pb = s_any_parser("bybit-linear", t4, 1000, &b, &sb);
    s_feed_file(pa, k_frames);
    s_feed_file(pb, k_frames);
    assert_int_equal(sa.books, 1598);
    assert_int_equal(sb.books, sa.books);
    assert_memory_equal(&sa.last.bids, &sb.last.bids, sizeof sa.last.bids);
    assert_true(sb.max_levels >= sa.max_levels);
    bybit_destroy(&pa);
    bybit_destroy(&pb);
    instr_table_destroy(&t4);
    instr_table_destroy(&t);
}

int
main(void)
{
    log_init("test", LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_linear_capture),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_spot_capture),
        cmocka_unit_test(test_orderbook_500),
        cmocka_unit_test(test_depth_1_1000_and_crossed),
    };
    return cmocka_run_group_tests_name("bybit", tests, NULL, NULL);
}
