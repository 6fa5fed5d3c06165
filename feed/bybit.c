/*  bybit.c - Bybit v5 public frame parser (see bybit.h for the protocol rules and sources).
 *  Every frame is validated completely before any state changes or any event is emitted, so a
 *  malformed frame is skipped whole.
 */
#include "feed/bybit.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/money.h"
#include "feed/jtok.h"

#define k_tokens     16384 /* orderbook.1000 snapshot: ~6,000 tokens */
#define k_max_levels (2 * BOOK_MAX_DEPTH)
#define k_max_trades 1024 /* publicTrade carries at most 1,024 trades (BYBIT_V5.md 1.6) */
#define k_mod        "bybit"

typedef struct {
    char symbol[INSTR_SYM_MAX];
    instr_t instr; /* copy: the book borrows it */
    book_t *book;
    codec_md_ticker_t tk;
    bool tk_have;
} s_sym_t;

struct bybit {
    md_parser_t p; /* venue, rules, counters, sink, tokenizer, scratch (feed/md.h) */
    s_sym_t sym[BYBIT_MAX_SYMBOLS];
    size_t n_sym;
};

bybit_t *
bybit_new(const char *venue, const instr_table_t *instrs, size_t depth, size_t levels,
          md_stats_t *stats, const md_sink_t *sink)
{
    bybit_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    if (md_parser_init(&self->p, venue, instrs, depth, levels, stats, sink, k_tokens, k_max_levels,
                       k_max_trades)
        != 0) {
        int e = errno;
        free(self);
        errno = e;
        return NULL;
    }
    return self;
}

void
bybit_destroy(bybit_t **self_p)
{
    assert(self_p);
    bybit_t *self = *self_p;
    if (!self) {
        return;
    }
    for (size_t i = 0; i < self->n_sym; i++) {
        book_destroy(&self->sym[i].book);
    }
    md_parser_fini(&self->p);
    free(self);
    *self_p = NULL;
}

/* ---- helpers ------------------------------------------------------------------------------ */


#define S_BAD_FIELD(what)                                                                          \
    md_bad(k_mod, &self->p.stats->bad_field, &self->p.lim.bad_field, (what), frame, len)

static const s_sym_t *
s_find(const bybit_t *self, const char *symbol)
{
    for (size_t i = 0; i < self->n_sym; i++) {
        if (strcmp(self->sym[i].symbol, symbol) == 0) {
            return &self->sym[i];
        }
    }
    return NULL;
}

/* State of `symbol`, created on first use if the instrument is known; NULL (counted) if not. */
static s_sym_t *
s_sym(bybit_t *self, const char *symbol, const char *frame, size_t len)
{
    s_sym_t *s = (s_sym_t *)s_find(self, symbol);
    if (s) {
        return s;
    }
    const instr_t *in = instr_table_get(self->p.instrs, self->p.venue, symbol);
    if (!in || self->n_sym == BYBIT_MAX_SYMBOLS) {
        self->p.stats->no_instr++;
        log_limited(&self->p.lim.no_instr, LOG_WARN, k_mod, "frame for a symbol without rules",
                    frame, len);
        return NULL;
    }
    s = &self->sym[self->n_sym];
    memset(s, 0, sizeof *s);
    md_strlcpy(s->symbol, symbol, sizeof s->symbol);
    s->instr = *in;
    s->book = book_new(&s->instr, self->p.depth);
    if (!s->book) {
        log_error(k_mod, "cannot create book for %s: %s", symbol, strerror(errno));
        return NULL;
    }
    self->n_sym++;
    return s;
}

/* Parse [[px, qty], ...] at token arr into out[k_max_levels]. 0 or -1. */
static int
s_levels(const jtok_t *t, int arr, const instr_t *in, book_level_t *out, size_t *n)
{
    if (jtok_type(t, arr) != JTOK_ARRAY || jtok_size(t, arr) > k_max_levels) {
        return -1;
    }
    int m = jtok_size(t, arr);
    int j = arr + 1;
    for (int k = 0; k < m; k++) {
        j = jtok_level(t, j, in->px_scale, in->qty_scale, false, &out[k].px, &out[k].qty);
        if (j < 0) {
            return -1;
        }
    }
    *n = (size_t)m;
    return 0;
}


/* ---- topics ------------------------------------------------------------------------------- */

static int
s_orderbook(bybit_t *self, const char *frame, size_t len, int64_t recv_ns)
{
    const jtok_t *t = self->p.tok;
    int type = jtok_get(t, 0, "type");
    int data = jtok_get(t, 0, "data");
    int64_t ts, cts, u;
    char sym[INSTR_SYM_MAX];
    bool snap;
    if (jtok_streq(t, type, "snapshot")) {
        snap = true;
    } else if (jtok_streq(t, type, "delta")) {
        snap = false;
    } else {
        return S_BAD_FIELD("orderbook: bad type");
    }
    if (jtok_i64(t, jtok_get(t, 0, "ts"), &ts) != 0
        || jtok_copy(t, jtok_get(t, data, "s"), sym, sizeof sym) != 0
        || jtok_i64(t, jtok_get(t, data, "u"), &u) != 0 || u < 1) {
        return S_BAD_FIELD("orderbook: missing or bad ts/s/u");
    }
    int cts_i = jtok_get(t, 0, "cts");
    if (cts_i < 0) {
        cts = ts; /* cts is the matching-engine time; ts (push time) when absent */
    } else if (jtok_i64(t, cts_i, &cts) != 0) {
        return S_BAD_FIELD("orderbook: bad cts");
    }
    s_sym_t *s = s_sym(self, sym, frame, len);
    if (!s) {
        return 0;
    }
    book_update_t upd = { .seq = (uint64_t)u, .prev_seq = (uint64_t)u - 1 };
    /* u == 1: the publisher restarted and this is a snapshot (BYBIT_V5.md 1.5 rule 4) */
    upd.is_snapshot = snap || u == 1;
    if (s_levels(t, jtok_get(t, data, "b"), &s->instr, self->p.bids, &upd.n_bids) != 0
        || s_levels(t, jtok_get(t, data, "a"), &s->instr, self->p.asks, &upd.n_asks) != 0) {
        return S_BAD_FIELD("orderbook: bad levels");
    }
    upd.bids = self->p.bids;
    upd.asks = self->p.asks;
    /* a synced book and a delta in sequence: an EPROTO can only be a crossed result */
    bool in_seq = book_synced(s->book) && (upd.is_snapshot || book_seq(s->book) == upd.prev_seq);
    uint64_t had = book_seq(s->book);
    if (book_apply(s->book, &upd) != 0) {
        if (errno == EAGAIN) {
            self->p.stats->unsynced++; /* waiting for the snapshot after a resync */
            return 0;
        }
        if (errno == EINVAL) {
            return S_BAD_FIELD("orderbook: level off tick or negative");
        }
        int err = errno;
        self->p.stats->resyncs++;
        if (in_seq) {
            self->p.stats->crossed++;
        }
        log_limited(&self->p.lim.resync, LOG_WARN, k_mod,
                    err == EPROTO ? "orderbook gap or crossed book: resync" : "orderbook rejected",
                    frame, len);
        if (self->p.sink.status) {
            codec_md_status_t st;
            memset(&st, 0, sizeof st);
            md_strlcpy(st.venue, self->p.venue, sizeof st.venue);
            md_strlcpy(st.symbol, sym, sizeof st.symbol);
            md_strlcpy(st.state, "resync", sizeof st.state);
            if (in_seq) {
                snprintf(st.reason, sizeof st.reason, "orderbook u %lld: crossed book",
                         (long long)u);
            } else {
                snprintf(st.reason, sizeof st.reason, "orderbook gap: u %lld after %llu",
                         (long long)u, (unsigned long long)had);
            }
            st.ts_event = md_ms_ns(cts);
            self->p.sink.status(&st, recv_ns, self->p.sink.arg);
        }
        errno = EPROTO;
        return -1;
    }
    self->p.stats->books++;
    if (self->p.sink.book) {
        codec_md_book_t b;
        md_book_fill(&b, s->book, self->p.venue, self->p.levels, (uint64_t)u, upd.is_snapshot,
                     md_ms_ns(cts), recv_ns);
        self->p.sink.book(&b, recv_ns, self->p.sink.arg);
    }
    return 0;
}

static int
s_trades(bybit_t *self, const char *frame, size_t len, int64_t recv_ns)
{
    const jtok_t *t = self->p.tok;
    int data = jtok_get(t, 0, "data");
    if (jtok_type(t, data) != JTOK_ARRAY || jtok_size(t, data) > k_max_trades) {
        return S_BAD_FIELD("publicTrade: data not an array");
    }
    int m = jtok_size(t, data);
    size_t n = 0;
    int j = data + 1;
    for (int k = 0; k < m; k++, j = jtok_next(t, j)) {
        char sym[INSTR_SYM_MAX];
        int64_t ts;
        int side_i = jtok_get(t, j, "S");
        if (jtok_type(t, j) != JTOK_OBJECT || jtok_i64(t, jtok_get(t, j, "T"), &ts) != 0
            || jtok_copy(t, jtok_get(t, j, "s"), sym, sizeof sym) != 0
            || !(jtok_streq(t, side_i, "Buy") || jtok_streq(t, side_i, "Sell"))) {
            return S_BAD_FIELD("publicTrade: bad T/s/S");
        }
        s_sym_t *s = s_sym(self, sym, frame, len);
        if (!s) {
            continue;
        }
        codec_md_trade_t *tr = &self->p.trades[n];
        memset(tr, 0, sizeof *tr);
        if (jtok_money(t, jtok_get(t, j, "p"), s->instr.px_scale, &tr->px) != 0
            || jtok_money(t, jtok_get(t, j, "v"), s->instr.qty_scale, &tr->qty) != 0
            || jtok_copy(t, jtok_get(t, j, "i"), tr->trade_id, sizeof tr->trade_id) != 0) {
            return S_BAD_FIELD("publicTrade: bad p/v/i");
        }
        md_strlcpy(tr->venue, self->p.venue, sizeof tr->venue);
        md_strlcpy(tr->symbol, sym, sizeof tr->symbol);
        tr->px_scale = s->instr.px_scale;
        tr->qty_scale = s->instr.qty_scale;
        tr->ts_event = md_ms_ns(ts);
        tr->ts_recv = recv_ns;
        tr->side = jtok_streq(t, side_i, "Buy") ? 1 : -1;
        n++;
    }
    for (size_t k = 0; k < n; k++) {
        self->p.stats->trades++;
        if (self->p.sink.trade) {
            self->p.sink.trade(&self->p.trades[k], recv_ns, self->p.sink.arg);
        }
    }
    return 0;
}

/* Merge one optional ticker field: absent = unchanged; "" = unknown (0). */
typedef enum { S_PX, S_PX_ROUND, S_QTY, S_RATE, S_MS } s_kind_t;

static int
s_tk_field(const jtok_t *t, int data, const char *key, s_kind_t kind, const instr_t *in,
           int64_t *field)
{
    int i = jtok_get(t, data, key);
    if (i < 0) {
        return 0;
    }
    size_t n;
    (void)jtok_text(t, i, &n);
    if (jtok_type(t, i) == JTOK_STRING && n == 0) {
        *field = 0;
        return 0;
    }
    int64_t v;
    int r;
    switch (kind) {
    case S_PX:
        r = jtok_money(t, i, in->px_scale, &v);
        break;
    case S_PX_ROUND:
        r = jtok_money_round(t, i, in->px_scale, &v);
        break;
    case S_QTY:
        r = jtok_money(t, i, in->qty_scale, &v);
        break;
    case S_RATE:
        r = jtok_money_round(t, i, 8, &v); /* funding_rate_e8 */
        break;
    default:
        r = jtok_i64_any(t, i, &v);
        if (r == 0) {
            v = md_ms_ns(v);
        }
        break;
    }
    if (r != 0) {
        return -1;
    }
    *field = v;
    return 0;
}

static int
s_tickers(bybit_t *self, const char *frame, size_t len, int64_t recv_ns)
{
    const jtok_t *t = self->p.tok;
    int type = jtok_get(t, 0, "type");
    int data = jtok_get(t, 0, "data");
    char sym[INSTR_SYM_MAX];
    int64_t ts;
    bool snap = jtok_streq(t, type, "snapshot");
    if ((!snap && !jtok_streq(t, type, "delta")) || jtok_type(t, data) != JTOK_OBJECT
        || jtok_copy(t, jtok_get(t, data, "symbol"), sym, sizeof sym) != 0
        || jtok_i64(t, jtok_get(t, 0, "ts"), &ts) != 0) {
        return S_BAD_FIELD("tickers: bad type/data/symbol/ts");
    }
    s_sym_t *s = s_sym(self, sym, frame, len);
    if (!s) {
        return 0;
    }
    codec_md_ticker_t tk;
    if (snap || !s->tk_have) {
        memset(&tk, 0, sizeof tk);
        md_strlcpy(tk.venue, self->p.venue, sizeof tk.venue);
        md_strlcpy(tk.symbol, sym, sizeof tk.symbol);
        tk.px_scale = s->instr.px_scale;
        tk.qty_scale = s->instr.qty_scale;
    } else {
        tk = s->tk;
    }
    const instr_t *in = &s->instr;
    if (s_tk_field(t, data, "lastPrice", S_PX_ROUND, in, &tk.last_px) != 0
        || s_tk_field(t, data, "markPrice", S_PX_ROUND, in, &tk.mark_px) != 0
        || s_tk_field(t, data, "indexPrice", S_PX_ROUND, in, &tk.index_px) != 0
        || s_tk_field(t, data, "bid1Price", S_PX, in, &tk.bid_px) != 0
        || s_tk_field(t, data, "bid1Size", S_QTY, in, &tk.bid_qty) != 0
        || s_tk_field(t, data, "ask1Price", S_PX, in, &tk.ask_px) != 0
        || s_tk_field(t, data, "ask1Size", S_QTY, in, &tk.ask_qty) != 0
        || s_tk_field(t, data, "fundingRate", S_RATE, in, &tk.funding_rate_e8) != 0
        || s_tk_field(t, data, "nextFundingTime", S_MS, in, &tk.next_funding_ns) != 0) {
        return S_BAD_FIELD("tickers: bad field value");
    }
    tk.ts_event = md_ms_ns(ts);
    tk.ts_recv = recv_ns;
    s->tk = tk;
    s->tk_have = true;
    self->p.stats->tickers++;
    if (self->p.sink.ticker) {
        self->p.sink.ticker(&s->tk, recv_ns, self->p.sink.arg);
    }
    return 0;
}

static int
s_kline(bybit_t *self, const char *topic, size_t topic_len, const char *frame, size_t len,
        int64_t recv_ns)
{
    const jtok_t *t = self->p.tok;
    /* topic "kline.{interval}.{symbol}" */
    const char *iv = topic + 6;
    const char *dot = memchr(iv, '.', topic_len - 6);
    char word[8];
    int32_t secs;
    int64_t ts;
    if (!dot || md_interval(iv, (size_t)(dot - iv), &secs, word, sizeof word) != 0) {
        return S_BAD_FIELD("kline: bad interval in topic");
    }
    int data = jtok_get(t, 0, "data");
    if (jtok_type(t, data) != JTOK_ARRAY || jtok_i64(t, jtok_get(t, 0, "ts"), &ts) != 0) {
        return S_BAD_FIELD("kline: data not an array or bad ts");
    }
    char sym[INSTR_SYM_MAX];
    size_t sym_len = topic_len - (size_t)(dot + 1 - topic);
    if (sym_len == 0 || sym_len >= sizeof sym) {
        return S_BAD_FIELD("kline: bad symbol in topic");
    }
    memcpy(sym, dot + 1, sym_len);
    sym[sym_len] = '\0';
    s_sym_t *s = s_sym(self, sym, frame, len);
    if (!s) {
        return 0;
    }
    int m = jtok_size(t, data);
    codec_md_kline_t kl[4]; /* Bybit sends one bar per push; a few at most */
    if (m > 4) {
        return S_BAD_FIELD("kline: too many bars");
    }
    int j = data + 1;
    for (int k = 0; k < m; k++, j = jtok_next(t, j)) {
        codec_md_kline_t *b = &kl[k];
        int64_t start, end;
        memset(b, 0, sizeof *b);
        if (jtok_type(t, j) != JTOK_OBJECT || jtok_i64(t, jtok_get(t, j, "start"), &start) != 0
            || jtok_i64(t, jtok_get(t, j, "end"), &end) != 0
            || jtok_money(t, jtok_get(t, j, "open"), s->instr.px_scale, &b->open) != 0
            || jtok_money(t, jtok_get(t, j, "close"), s->instr.px_scale, &b->close) != 0
            || jtok_money(t, jtok_get(t, j, "high"), s->instr.px_scale, &b->high) != 0
            || jtok_money(t, jtok_get(t, j, "low"), s->instr.px_scale, &b->low) != 0
            || jtok_money(t, jtok_get(t, j, "volume"), s->instr.qty_scale, &b->volume) != 0
            || jtok_money_round(t, jtok_get(t, j, "turnover"), MONEY_VALUE_SCALE, &b->quote_volume)
                   != 0
            || jtok_bool(t, jtok_get(t, j, "confirm"), &b->closed) != 0) {
            return S_BAD_FIELD("kline: bad bar field");
        }
        md_strlcpy(b->venue, self->p.venue, sizeof b->venue);
        md_strlcpy(b->symbol, sym, sizeof b->symbol);
        b->px_scale = s->instr.px_scale;
        b->qty_scale = s->instr.qty_scale;
        b->interval_s = secs;
        b->start_ns = md_ms_ns(start);
        b->end_ns = md_ms_ns(end + 1); /* Bybit end is the bar's last ms; ours is exclusive */
        b->ts_event = md_ms_ns(ts);
        b->ts_recv = recv_ns;
    }
    for (int k = 0; k < m; k++) {
        self->p.stats->klines++;
        if (self->p.sink.kline) {
            self->p.sink.kline(&kl[k], word, recv_ns, self->p.sink.arg);
        }
    }
    return 0;
}

static int
s_control(bybit_t *self, int op_i, const char *frame, size_t len)
{
    const jtok_t *t = self->p.tok;
    char op[24];
    bool ok = true;
    int succ = jtok_get(t, 0, "success");
    if (jtok_copy(t, op_i, op, sizeof op) != 0 || (succ >= 0 && jtok_bool(t, succ, &ok) != 0)) {
        return S_BAD_FIELD("control frame: bad op/success");
    }
    /* linear/spot pong: {"success":true,"ret_msg":"pong","op":"ping"}; option: "op":"pong" */
    bool pong = strcmp(op, "pong") == 0 || jtok_streq(t, jtok_get(t, 0, "ret_msg"), "pong");
    if (pong) {
        self->p.stats->pongs++;
        md_strlcpy(op, "pong", sizeof op);
    } else if (ok) {
        self->p.stats->acks++;
    } else {
        self->p.stats->nacks++;
        log_warn(k_mod, "%s refused by the venue: %.*s", op, (int)(len > 200 ? 200 : len), frame);
    }
    if (self->p.sink.control) {
        self->p.sink.control(op, ok, self->p.sink.arg);
    }
    return 0;
}

int
bybit_parse(bybit_t *self, const char *frame, size_t len, int64_t recv_ns)
{
    assert(self && frame);
    self->p.stats->frames++;
    if (jtok_parse(self->p.tok, frame, len) < 0 || jtok_type(self->p.tok, 0) != JTOK_OBJECT) {
        return md_bad(k_mod, &self->p.stats->bad_json, &self->p.lim.bad_json, "bad json frame",
                      frame, len);
    }
    const jtok_t *t = self->p.tok;
    int topic_i = jtok_get(t, 0, "topic");
    if (topic_i < 0) {
        int op_i = jtok_get(t, 0, "op");
        if (op_i >= 0) {
            return s_control(self, op_i, frame, len);
        }
        return md_bad(k_mod, &self->p.stats->unknown_topic, &self->p.lim.unknown_topic,
                      "frame without topic or op", frame, len);
    }
    if (jtok_type(t, topic_i) != JTOK_STRING) {
        return S_BAD_FIELD("topic is not a string");
    }
    size_t tl;
    const char *topic = jtok_text(t, topic_i, &tl);
    if (tl > 10 && memcmp(topic, "orderbook.", 10) == 0) {
        return s_orderbook(self, frame, len, recv_ns);
    }
    if (tl > 12 && memcmp(topic, "publicTrade.", 12) == 0) {
        return s_trades(self, frame, len, recv_ns);
    }
    if (tl > 8 && memcmp(topic, "tickers.", 8) == 0) {
        return s_tickers(self, frame, len, recv_ns);
    }
    if (tl > 6 && memcmp(topic, "kline.", 6) == 0) {
        return s_kline(self, topic, tl, frame, len, recv_ns);
    }
    return md_bad(k_mod, &self->p.stats->unknown_topic, &self->p.lim.unknown_topic, "unknown topic",
                  frame, len);
}

const book_t *
bybit_book(const bybit_t *self, const char *symbol)
{
    assert(self && symbol);
    const s_sym_t *s = s_find(self, symbol);
    return s ? s->book : NULL;
}

int
bybit_ticker(const bybit_t *self, const char *symbol, codec_md_ticker_t *out)
{
    assert(self && symbol && out);
    const s_sym_t *s = s_find(self, symbol);
    if (!s || !s->tk_have) {
        errno = ENODATA;
        return -1;
    }
    *out = s->tk;
    return 0;
}

void
bybit_reset(bybit_t *self)
{
    assert(self);
    for (size_t i = 0; i < self->n_sym; i++) {
        book_reset(self->sym[i].book);
        self->sym[i].tk_have = false;
    }
}
