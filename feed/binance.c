/*  binance.c - Binance combined-stream parser and book sync (see binance.h for the rules).
 */
#include "feed/binance.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/money.h"
#include "feed/jtok.h"

#define k_tokens     16384
#define k_max_levels (2 * BOOK_MAX_DEPTH)
#define k_buf_frames 4096              /* diffs buffered while waiting for a snapshot */
#define k_buf_bytes  (8 * 1024 * 1024) /* and their bytes */
#define k_mod        "binance"

typedef enum { S_NEED = 0, S_SNAP, S_LIVE } s_state_t;

typedef struct {
    size_t off, len;
    int64_t recv_ns;
} s_held_t;

typedef struct {
    char symbol[INSTR_SYM_MAX];
    instr_t instr;
    book_t *book;
    bool depth; /* has a depth stream: needs a snapshot */
    s_state_t state;
} s_sym_t;

struct binance {
    md_parser_t p; /* venue, rules, counters, sink, tokenizer, scratch (feed/md.h) */
    bool spot;
    log_limit_t stale_lim;
    s_sym_t sym[BINANCE_MAX_SYMBOLS];
    size_t n_sym;
    /* held depth frames (all symbols, arrival order) while some book is in NEED */
    char *held;
    size_t held_len;
    s_held_t held_ix[k_buf_frames];
    size_t n_held;
    bool replaying;
    int64_t last_evt_ns; /* latest event time E seen (spot bookTicker carries none) */
};

binance_t *
binance_new(const char *venue, bool spot, const instr_table_t *instrs, size_t depth, size_t levels,
            md_stats_t *stats, const md_sink_t *sink)
{
    binance_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    if (md_parser_init(&self->p, venue, instrs, depth, levels, stats, sink, k_tokens, k_max_levels,
                       0)
        != 0) {
        int e = errno;
        free(self);
        errno = e;
        return NULL;
    }
    self->spot = spot;
    self->held = malloc(k_buf_bytes);
    if (!self->held) {
        binance_destroy(&self);
        errno = ENOMEM;
        return NULL;
    }
    return self;
}

void
binance_destroy(binance_t **self_p)
{
    assert(self_p);
    binance_t *self = *self_p;
    if (!self) {
        return;
    }
    for (size_t i = 0; i < self->n_sym; i++) {
        book_destroy(&self->sym[i].book);
    }
    md_parser_fini(&self->p);
    free(self->held);
    free(self);
    *self_p = NULL;
}

/* ---- helpers ------------------------------------------------------------------------------ */


#define S_BAD_FIELD(what)                                                                          \
    md_bad(k_mod, &self->p.stats->bad_field, &self->p.lim.bad_field, (what), frame, len)


static s_sym_t *
s_find(const binance_t *self, const char *symbol)
{
    for (size_t i = 0; i < self->n_sym; i++) {
        if (strcmp(self->sym[i].symbol, symbol) == 0) {
            return (s_sym_t *)&self->sym[i];
        }
    }
    return NULL;
}

static s_sym_t *
s_create(binance_t *self, const char *symbol)
{
    const instr_t *in = instr_table_get(self->p.instrs, self->p.venue, symbol);
    if (!in) {
        errno = ENOENT;
        return NULL;
    }
    if (self->n_sym == BINANCE_MAX_SYMBOLS) {
        errno = ENOSPC;
        return NULL;
    }
    s_sym_t *s = &self->sym[self->n_sym];
    memset(s, 0, sizeof *s);
    md_strlcpy(s->symbol, symbol, sizeof s->symbol);
    s->instr = *in;
    s->book = book_new(&s->instr, self->p.depth);
    if (!s->book) {
        return NULL;
    }
    self->n_sym++;
    return s;
}

static s_sym_t *
s_sym(binance_t *self, const char *symbol, const char *frame, size_t len)
{
    s_sym_t *s = s_find(self, symbol);
    if (!s) {
        s = s_create(self, symbol);
    }
    if (!s) {
        self->p.stats->no_instr++;
        log_limited(&self->p.lim.no_instr, LOG_WARN, k_mod, "frame for a symbol without rules",
                    frame, len);
    }
    return s;
}

static int
s_levels(const jtok_t *t, int arr, const instr_t *in, book_level_t *out, size_t *n)
{
    if (jtok_type(t, arr) != JTOK_ARRAY || jtok_size(t, arr) > k_max_levels) {
        return -1;
    }
    int m = jtok_size(t, arr);
    int j = arr + 1;
    for (int k = 0; k < m; k++) {
        /* Sizes finer than the step exist in real books (resting orders from before a step
         * change: spot BTCUSDT 2024-08-08 has "25.42618900" at step 0.00001, 3 levels in the
         * capture): rounded half-even to the step, a non-zero size never rounds to a delete. */
        j = jtok_level(t, j, in->px_scale, in->qty_scale, true, &out[k].px, &out[k].qty);
        if (j < 0) {
            return -1;
        }
    }
    *n = (size_t)m;
    return 0;
}

static void
s_hold(binance_t *self, const char *frame, size_t len, int64_t recv_ns)
{
    if (self->replaying) {
        return; /* the frame is already held: binance_snapshot keeps it */
    }
    if (self->n_held == k_buf_frames || self->held_len + len > k_buf_bytes) {
        /* too long without a snapshot: the oldest diffs are stale by now anyway */
        log_warn(k_mod, "%s: diff buffer full (%zu frames), emptied while waiting for a snapshot",
                 self->p.venue, self->n_held);
        self->n_held = 0;
        self->held_len = 0;
        if (len > k_buf_bytes) {
            return;
        }
    }
    memcpy(self->held + self->held_len, frame, len);
    self->held_ix[self->n_held++] = (s_held_t){ self->held_len, len, recv_ns };
    self->held_len += len;
}

static void
s_resync(binance_t *self, s_sym_t *s, const char *why, int64_t evt_ns, int64_t recv_ns,
         const char *frame, size_t len)
{
    book_reset(s->book);
    s->state = S_NEED;
    self->p.stats->resyncs++;
    log_limited(&self->p.lim.resync, LOG_WARN, k_mod, why, frame, len);
    if (self->p.sink.status) {
        codec_md_status_t st;
        memset(&st, 0, sizeof st);
        md_strlcpy(st.venue, self->p.venue, sizeof st.venue);
        md_strlcpy(st.symbol, s->symbol, sizeof st.symbol);
        md_strlcpy(st.state, "resync", sizeof st.state);
        md_strlcpy(st.reason, why, sizeof st.reason);
        st.ts_event = evt_ns;
        self->p.sink.status(&st, recv_ns, self->p.sink.arg);
    }
}

/* ---- events ------------------------------------------------------------------------------- */

static int
s_depth(binance_t *self, int d, const char *frame, size_t len, int64_t recv_ns)
{
    const jtok_t *t = self->p.tok;
    char sym[INSTR_SYM_MAX];
    int64_t e_ms, first_u, last_u, pu = 0;
    if (jtok_copy(t, jtok_get(t, d, "s"), sym, sizeof sym) != 0
        || jtok_i64(t, jtok_get(t, d, "E"), &e_ms) != 0
        || jtok_i64(t, jtok_get(t, d, "U"), &first_u) != 0
        || jtok_i64(t, jtok_get(t, d, "u"), &last_u) != 0 || first_u < 1 || last_u < first_u
        || (!self->spot && jtok_i64(t, jtok_get(t, d, "pu"), &pu) != 0)) {
        return S_BAD_FIELD("depthUpdate: missing or bad s/E/U/u/pu");
    }
    s_sym_t *s = s_sym(self, sym, frame, len);
    if (!s) {
        return 0;
    }
    s->depth = true;
    book_update_t upd = { .seq = (uint64_t)last_u };
    if (s_levels(t, jtok_get(t, d, "b"), &s->instr, self->p.bids, &upd.n_bids) != 0
        || s_levels(t, jtok_get(t, d, "a"), &s->instr, self->p.asks, &upd.n_asks) != 0) {
        return S_BAD_FIELD("depthUpdate: bad levels");
    }
    upd.bids = self->p.bids;
    upd.asks = self->p.asks;
    int64_t evt = md_ms_ns(e_ms);
    if (s->state == S_NEED) {
        s_hold(self, frame, len, recv_ns);
        return 0;
    }
    uint64_t last = book_seq(s->book);
    if (s->state == S_SNAP) {
        /* USD-M: drop u < lastUpdateId, first applied has U <= L <= u;
         * spot:  drop u <= lastUpdateId, first applied has U <= L+1 <= u */
        uint64_t want = self->spot ? last + 1 : last;
        if ((uint64_t)last_u < want) {
            return 0; /* older than the snapshot */
        }
        if ((uint64_t)first_u > want) {
            s_resync(self, s, "first diff after the snapshot does not straddle it", evt, recv_ns,
                     frame, len);
            s_hold(self, frame, len, recv_ns);
            errno = EPROTO;
            return -1;
        }
        upd.prev_seq = last;
    } else {
        upd.prev_seq = self->spot ? (uint64_t)first_u - 1 : (uint64_t)pu;
    }
    bool in_seq = book_synced(s->book) && book_seq(s->book) == upd.prev_seq;
    if (book_apply(s->book, &upd) != 0) {
        if (errno == EINVAL) {
            return S_BAD_FIELD("depthUpdate: level off tick or negative");
        }
        if (in_seq && errno == EPROTO) {
            self->p.stats->crossed++;
        }
        s_resync(self, s,
                 errno != EPROTO ? "book error"
                 : in_seq        ? "crossed book"
                                 : (self->spot ? "depth sequence break (U != previous u + 1)"
                                               : "depth sequence break (pu != previous u)"),
                 evt, recv_ns, frame, len);
        s_hold(self, frame, len, recv_ns);
        errno = EPROTO;
        return -1;
    }
    s->state = S_LIVE;
    self->p.stats->books++;
    if (self->p.sink.book) {
        codec_md_book_t b;
        md_book_fill(&b, s->book, self->p.venue, self->p.levels, (uint64_t)last_u, false, evt,
                     recv_ns);
        self->p.sink.book(&b, recv_ns, self->p.sink.arg);
    }
    return 0;
}

static int
s_trade(binance_t *self, int d, const char *frame, size_t len, int64_t recv_ns)
{
    const jtok_t *t = self->p.tok;
    char sym[INSTR_SYM_MAX];
    int64_t ts_ms, id;
    bool maker;
    if (jtok_copy(t, jtok_get(t, d, "s"), sym, sizeof sym) != 0
        || jtok_i64(t, jtok_get(t, d, "T"), &ts_ms) != 0
        || jtok_i64(t, jtok_get(t, d, "t"), &id) != 0
        || jtok_bool(t, jtok_get(t, d, "m"), &maker) != 0) {
        return S_BAD_FIELD("trade: missing or bad s/T/t/m");
    }
    int x = jtok_get(t, d, "X");
    if (x >= 0 && !jtok_streq(t, x, "MARKET")) {
        return 0; /* USD-M insurance-fund / ADL prints are not market trades */
    }
    s_sym_t *s = s_sym(self, sym, frame, len);
    if (!s) {
        return 0;
    }
    codec_md_trade_t tr;
    memset(&tr, 0, sizeof tr);
    if (jtok_money(t, jtok_get(t, d, "p"), s->instr.px_scale, &tr.px) != 0
        || jtok_money(t, jtok_get(t, d, "q"), s->instr.qty_scale, &tr.qty) != 0) {
        return S_BAD_FIELD("trade: bad p/q");
    }
    md_strlcpy(tr.venue, self->p.venue, sizeof tr.venue);
    md_strlcpy(tr.symbol, sym, sizeof tr.symbol);
    tr.px_scale = s->instr.px_scale;
    tr.qty_scale = s->instr.qty_scale;
    tr.ts_event = md_ms_ns(ts_ms);
    tr.ts_recv = recv_ns;
    tr.side = maker ? -1 : 1; /* m: the buyer is the maker, so the taker sold */
    snprintf(tr.trade_id, sizeof tr.trade_id, "%lld", (long long)id);
    self->p.stats->trades++;
    if (self->p.sink.trade) {
        self->p.sink.trade(&tr, recv_ns, self->p.sink.arg);
    }
    return 0;
}

static int
s_kline(binance_t *self, int d, const char *frame, size_t len, int64_t recv_ns)
{
    const jtok_t *t = self->p.tok;
    char sym[INSTR_SYM_MAX];
    char word[8];
    int64_t e_ms, start, end, n;
    int32_t secs;
    int k = jtok_get(t, d, "k");
    int iv = jtok_get(t, k, "i");
    size_t iv_len;
    const char *iv_s = jtok_text(t, iv, &iv_len);
    if (jtok_copy(t, jtok_get(t, d, "s"), sym, sizeof sym) != 0
        || jtok_i64(t, jtok_get(t, d, "E"), &e_ms) != 0 || jtok_type(t, k) != JTOK_OBJECT
        || jtok_type(t, iv) != JTOK_STRING
        || md_interval(iv_s, iv_len, &secs, word, sizeof word) != 0
        || jtok_i64(t, jtok_get(t, k, "t"), &start) != 0
        || jtok_i64(t, jtok_get(t, k, "T"), &end) != 0
        || jtok_i64(t, jtok_get(t, k, "n"), &n) != 0) {
        return S_BAD_FIELD("kline: missing or bad s/E/k/i/t/T/n");
    }
    s_sym_t *s = s_sym(self, sym, frame, len);
    if (!s) {
        return 0;
    }
    codec_md_kline_t b;
    memset(&b, 0, sizeof b);
    int px = s->instr.px_scale, qs = s->instr.qty_scale;
    if (jtok_money(t, jtok_get(t, k, "o"), px, &b.open) != 0
        || jtok_money(t, jtok_get(t, k, "h"), px, &b.high) != 0
        || jtok_money(t, jtok_get(t, k, "l"), px, &b.low) != 0
        || jtok_money(t, jtok_get(t, k, "c"), px, &b.close) != 0
        || jtok_money(t, jtok_get(t, k, "v"), qs, &b.volume) != 0
        || jtok_money_round(t, jtok_get(t, k, "q"), MONEY_VALUE_SCALE, &b.quote_volume) != 0
        || jtok_money(t, jtok_get(t, k, "V"), qs, &b.taker_buy_volume) != 0
        || jtok_bool(t, jtok_get(t, k, "x"), &b.closed) != 0) {
        return S_BAD_FIELD("kline: bad o/h/l/c/v/q/V/x");
    }
    md_strlcpy(b.venue, self->p.venue, sizeof b.venue);
    md_strlcpy(b.symbol, sym, sizeof b.symbol);
    b.px_scale = px;
    b.qty_scale = qs;
    b.interval_s = secs;
    b.start_ns = md_ms_ns(start);
    b.end_ns = md_ms_ns(end + 1); /* k.T is the bar's last ms; ours is exclusive */
    b.trades = n;
    b.ts_event = md_ms_ns(e_ms);
    b.ts_recv = recv_ns;
    self->p.stats->klines++;
    if (self->p.sink.kline) {
        self->p.sink.kline(&b, word, recv_ns, self->p.sink.arg);
    }
    return 0;
}

/* jtok_money_round on a raw decimal string: money_parse, and when it has digits beyond `scale`,
 * read at a finer scale and rounded half-even once. */
static int
s_money_round(const char *p, size_t n, int scale, int64_t *out)
{
    if (money_parse(p, n, scale, out) == 0) {
        return 0;
    }
    if (errno != EINVAL) {
        return -1;
    }
    int fine = scale + 8 > MONEY_MAX_SCALE ? MONEY_MAX_SCALE : scale + 8;
    int64_t m;
    if (money_parse(p, n, fine, &m) != 0) {
        return -1;
    }
    return money_rescale(m, fine, scale, MONEY_ROUND_HALF_EVEN, out);
}

int
binance_kline(binance_t *self, const binance_kline_t *k, int64_t recv_ns)
{
    assert(self && k && k->symbol && k->interval);
    char word[8];
    int32_t secs;
    s_sym_t *s = s_find(self, k->symbol);
    if (!s) {
        errno = ENOENT; /* the frame path creates or refuses it, with its counters */
        return -1;
    }
    if (md_interval(k->interval, strlen(k->interval), &secs, word, sizeof word) != 0) {
        errno = EINVAL;
        return -1;
    }
    codec_md_kline_t b;
    memset(&b, 0, sizeof b);
    int px = s->instr.px_scale, qs = s->instr.qty_scale;
    if (money_parse(k->o, k->o_len, px, &b.open) != 0
        || money_parse(k->h, k->h_len, px, &b.high) != 0
        || money_parse(k->l, k->l_len, px, &b.low) != 0
        || money_parse(k->c, k->c_len, px, &b.close) != 0
        || money_parse(k->v, k->v_len, qs, &b.volume) != 0
        || s_money_round(k->q, k->q_len, MONEY_VALUE_SCALE, &b.quote_volume) != 0
        || money_parse(k->V, k->V_len, qs, &b.taker_buy_volume) != 0) {
        errno = EINVAL;
        return -1;
    }
    /* from here on what binance_parse and s_kline do with the frame */
    self->p.stats->frames++;
    self->last_evt_ns = md_ms_ns(k->e_ms);
    b.closed = k->closed;
    md_strlcpy(b.venue, self->p.venue, sizeof b.venue);
    md_strlcpy(b.symbol, k->symbol, sizeof b.symbol);
    b.px_scale = px;
    b.qty_scale = qs;
    b.interval_s = secs;
    b.start_ns = md_ms_ns(k->start_ms);
    b.end_ns = md_ms_ns(k->last_ms + 1); /* k.T is the bar's last ms; ours is exclusive */
    b.trades = k->trades;
    b.ts_event = md_ms_ns(k->e_ms);
    b.ts_recv = recv_ns;
    self->p.stats->klines++;
    if (self->p.sink.kline) {
        self->p.sink.kline(&b, word, recv_ns, self->p.sink.arg);
    }
    return 0;
}

/* bookTicker {u, s, b, B, a, A} (+ E, T on USD-M) -> md.ticker with the best bid/ask only.
 * Event time: E, else the latest E seen on this connection (spot bookTicker has no time). */
static int
s_book_ticker(binance_t *self, int d, const char *frame, size_t len, int64_t recv_ns)
{
    const jtok_t *t = self->p.tok;
    char sym[INSTR_SYM_MAX];
    if (jtok_copy(t, jtok_get(t, d, "s"), sym, sizeof sym) != 0) {
        return S_BAD_FIELD("bookTicker: missing or bad s");
    }
    s_sym_t *s = s_sym(self, sym, frame, len);
    if (!s) {
        return 0;
    }
    codec_md_ticker_t tk;
    memset(&tk, 0, sizeof tk);
    if (jtok_money(t, jtok_get(t, d, "b"), s->instr.px_scale, &tk.bid_px) != 0
        || jtok_money(t, jtok_get(t, d, "B"), s->instr.qty_scale, &tk.bid_qty) != 0
        || jtok_money(t, jtok_get(t, d, "a"), s->instr.px_scale, &tk.ask_px) != 0
        || jtok_money(t, jtok_get(t, d, "A"), s->instr.qty_scale, &tk.ask_qty) != 0) {
        return S_BAD_FIELD("bookTicker: bad b/B/a/A");
    }
    md_strlcpy(tk.venue, self->p.venue, sizeof tk.venue);
    md_strlcpy(tk.symbol, sym, sizeof tk.symbol);
    tk.px_scale = s->instr.px_scale;
    tk.qty_scale = s->instr.qty_scale;
    tk.ts_event = self->last_evt_ns;
    tk.ts_recv = recv_ns;
    self->p.stats->tickers++;
    if (self->p.sink.ticker) {
        self->p.sink.ticker(&tk, recv_ns, self->p.sink.arg);
    }
    return 0;
}

/* Parse and dispatch; `count` false when replaying held frames (already counted). */
static int
s_parse(binance_t *self, const char *frame, size_t len, int64_t recv_ns)
{
    if (jtok_parse(self->p.tok, frame, len) < 0 || jtok_type(self->p.tok, 0) != JTOK_OBJECT) {
        return md_bad(k_mod, &self->p.stats->bad_json, &self->p.lim.bad_json, "bad json frame",
                      frame, len);
    }
    const jtok_t *t = self->p.tok;
    int d = jtok_get(t, 0, "data");
    if (d < 0) {
        d = 0; /* a bare event (raw stream, not combined) */
        if (jtok_get(t, 0, "e") < 0 && jtok_get(t, 0, "id") >= 0) {
            return 0; /* {"result":null,"id":1}: reply to a SUBSCRIBE */
        }
    } else if (jtok_type(t, d) != JTOK_OBJECT) {
        return S_BAD_FIELD("data is not an object");
    }
    int e = jtok_get(t, d, "e");
    int64_t e_ms;
    if (jtok_i64(t, jtok_get(t, d, "E"), &e_ms) == 0) {
        self->last_evt_ns = md_ms_ns(e_ms);
    }
    if (jtok_streq(t, e, "depthUpdate")) {
        return s_depth(self, d, frame, len, recv_ns);
    }
    if (jtok_streq(t, e, "trade")) {
        return s_trade(self, d, frame, len, recv_ns);
    }
    if (jtok_streq(t, e, "kline")) {
        return s_kline(self, d, frame, len, recv_ns);
    }
    size_t sl;
    const char *stream = jtok_text(t, jtok_get(t, 0, "stream"), &sl);
    if (jtok_streq(t, e, "bookTicker")
        || (e < 0 && sl > 11 && memcmp(stream + sl - 11, "@bookTicker", 11) == 0)) {
        return s_book_ticker(self, d, frame, len, recv_ns);
    }
    return md_bad(k_mod, &self->p.stats->unknown_topic, &self->p.lim.unknown_topic, "unknown event",
                  frame, len);
}

int
binance_parse(binance_t *self, const char *frame, size_t len, int64_t recv_ns)
{
    assert(self && frame);
    self->p.stats->frames++;
    return s_parse(self, frame, len, recv_ns);
}

int
binance_add_symbol(binance_t *self, const char *symbol, bool depth)
{
    assert(self && symbol);
    s_sym_t *s = s_find(self, symbol);
    if (!s) {
        s = s_create(self, symbol);
    }
    if (!s) {
        return -1;
    }
    s->depth = s->depth || depth;
    return 0;
}

const char *
binance_want_snapshot(const binance_t *self)
{
    assert(self);
    for (size_t i = 0; i < self->n_sym; i++) {
        if (self->sym[i].depth && self->sym[i].state == S_NEED) {
            return self->sym[i].symbol;
        }
    }
    return NULL;
}

static int
s_json_levels(const json_t *arr, const instr_t *in, book_level_t *out, size_t *n)
{
    if (!json_is_array(arr) || json_array_size(arr) > k_max_levels) {
        return -1;
    }
    size_t i;
    const json_t *lv;
    json_array_foreach(arr, i, lv)
    {
        const char *p = json_string_value(json_array_get(lv, 0));
        const char *q = json_string_value(json_array_get(lv, 1));
        if (!p || !q || money_parse(p, strlen(p), in->px_scale, &out[i].px) != 0
            || money_parse(q, strlen(q), in->qty_scale, &out[i].qty) != 0) {
            return -1;
        }
    }
    *n = json_array_size(arr);
    return 0;
}

int
binance_snapshot(binance_t *self, const char *symbol, const char *body, size_t len, int64_t recv_ns)
{
    assert(self && symbol && body);
    s_sym_t *s = s_find(self, symbol);
    if (!s) {
        errno = ENOENT;
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    json_t *id = json_object_get(root, "lastUpdateId");
    book_update_t upd = { .is_snapshot = true };
    int rc = -1;
    if (!json_is_integer(id) || json_integer_value(id) < 1
        || s_json_levels(json_object_get(root, "bids"), &s->instr, self->p.bids, &upd.n_bids) != 0
        || s_json_levels(json_object_get(root, "asks"), &s->instr, self->p.asks, &upd.n_asks)
               != 0) {
        self->p.stats->bad_field++;
        log_limited(&self->p.lim.bad_field, LOG_WARN, k_mod, "bad depth snapshot body", body, len);
        errno = EPROTO;
        goto done;
    }
    upd.seq = (uint64_t)json_integer_value(id);
    upd.bids = self->p.bids;
    upd.asks = self->p.asks;
    if (book_apply(s->book, &upd) != 0) {
        self->p.stats->bad_field++;
        log_limited(&self->p.lim.bad_field, LOG_WARN, k_mod, "depth snapshot rejected", body, len);
        errno = EPROTO;
        goto done;
    }
    s->state = S_SNAP;
    log_notice(k_mod, "%s %s: snapshot lastUpdateId %llu loaded (%zu x %zu), %zu diffs held",
               self->p.venue, symbol, (unsigned long long)upd.seq, book_n_bids(s->book),
               book_n_asks(s->book), self->n_held);
    /* replay held diffs in arrival order; frames of books still in NEED stay held */
    size_t n = self->n_held, keep = 0, keep_len = 0;
    rc = 0;
    self->replaying = true;
    for (size_t i = 0; i < n; i++) {
        s_held_t h = self->held_ix[i];
        if (s_parse(self, self->held + h.off, h.len, h.recv_ns) != 0) {
            rc = -1;
        }
        /* re-check: still needed if its symbol is (back) in NEED */
        if (jtok_parse(self->p.tok, self->held + h.off, h.len) > 0) {
            char sym[INSTR_SYM_MAX];
            int d = jtok_get(self->p.tok, 0, "data");
            const s_sym_t *hs = NULL;
            if (jtok_copy(self->p.tok, jtok_get(self->p.tok, d < 0 ? 0 : d, "s"), sym, sizeof sym)
                == 0) {
                hs = s_find(self, sym);
            }
            if (hs && hs->state == S_NEED) {
                memmove(self->held + keep_len, self->held + h.off, h.len);
                self->held_ix[keep++] = (s_held_t){ keep_len, h.len, h.recv_ns };
                keep_len += h.len;
            }
        }
    }
    self->replaying = false;
    if (rc != 0) {
        errno = EPROTO;
    }
    self->n_held = keep;
    self->held_len = keep_len;
    (void)recv_ns; /* the snapshot itself is not published (binance.h) */
done:
    json_decref(root);
    return rc;
}

bool
binance_ready(const binance_t *self)
{
    assert(self);
    return binance_want_snapshot(self) == NULL;
}

const book_t *
binance_book(const binance_t *self, const char *symbol)
{
    assert(self && symbol);
    const s_sym_t *s = s_find(self, symbol);
    return s ? s->book : NULL;
}

void
binance_reset(binance_t *self)
{
    assert(self);
    for (size_t i = 0; i < self->n_sym; i++) {
        book_reset(self->sym[i].book);
        self->sym[i].state = S_NEED;
    }
    self->n_held = 0;
    self->held_len = 0;
}
