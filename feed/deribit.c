/*  deribit.c - Deribit API v2 JSON-RPC frame parser and get_instruments rules (see deribit.h
 *  for the protocol rules and sources). Every frame is validated completely before any state
 *  changes or any event is emitted, so a malformed frame is skipped whole.
 */
#include "feed/deribit.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/money.h"
#include "feed/jtok.h"

#define k_tokens     16384 /* a 1,000-level snapshot per side: ~8,000 tokens */
#define k_max_levels (2 * BOOK_MAX_DEPTH)
#define k_max_trades 1024
#define k_num_max    64 /* longest number text we accept */
#define k_mod        "deribit"

typedef struct {
    char name[INSTR_SYM_MAX];
    instr_t instr; /* copy: the book borrows it */
    book_t *book;
    deribit_ticker_t tk;
    bool tk_have;
} s_sym_t;

struct deribit {
    md_parser_t p; /* venue, rules, counters, sink, tokenizer, scratch (feed/md.h) */
    int64_t test_requests;
    s_sym_t sym[DERIBIT_MAX_SYMBOLS];
    size_t n_sym;
};

deribit_t *
deribit_new(const char *venue, const instr_table_t *instrs, size_t depth, size_t levels,
            md_stats_t *stats, const md_sink_t *sink)
{
    deribit_t *self = calloc(1, sizeof *self);
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
deribit_destroy(deribit_t **self_p)
{
    assert(self_p);
    deribit_t *self = *self_p;
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

/* ---- numbers ------------------------------------------------------------------------------ */

/* The decimal text of number token i, with an exponent ("5e-05", "1.2E+3") shifted into a
 * plain decimal in buf[k_num_max]. 0, or -1/EINVAL (not a number primitive, too long). */
static int
s_num_text(const jtok_t *t, int i, char *buf, const char **p, size_t *n)
{
    if (jtok_type(t, i) != JTOK_PRIMITIVE) {
        errno = EINVAL;
        return -1;
    }
    const char *s = jtok_text(t, i, n);
    if (*n == 0 || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) {
        errno = EINVAL; /* true / false / null */
        return -1;
    }
    const char *e = memchr(s, 'e', *n);
    if (!e) {
        e = memchr(s, 'E', *n);
    }
    if (!e) {
        *p = s;
        return 0;
    }
    /* sign, digits (point removed), position of the point, exponent */
    char dig[k_num_max];
    size_t nd = 0, k = 0;
    bool neg = s[0] == '-';
    long point = -1;
    for (k = neg ? 1 : 0; s + k < e; k++) {
        if (s[k] == '.' && point < 0) {
            point = (long)nd;
        } else if (s[k] >= '0' && s[k] <= '9' && nd < sizeof dig) {
            dig[nd++] = s[k];
        } else {
            errno = EINVAL;
            return -1;
        }
    }
    if (nd == 0) {
        errno = EINVAL;
        return -1;
    }
    if (point < 0) {
        point = (long)nd;
    }
    k++; /* past 'e' */
    bool eneg = false;
    if (s + k < s + *n && (s[k] == '-' || s[k] == '+')) {
        eneg = s[k] == '-';
        k++;
    }
    long ex = 0;
    if (k >= *n) {
        errno = EINVAL;
        return -1;
    }
    for (; k < *n; k++) {
        if (s[k] < '0' || s[k] > '9' || ex > 100) {
            errno = EINVAL;
            return -1;
        }
        ex = ex * 10 + (s[k] - '0');
    }
    point += eneg ? -ex : ex;
    size_t o = 0;
    char *b = buf;
#define S_PUT(c)                                                                                   \
    do {                                                                                           \
        if (o + 1 >= k_num_max) {                                                                  \
            errno = EINVAL;                                                                        \
            return -1;                                                                             \
        }                                                                                          \
        b[o++] = (c);                                                                              \
    } while (0)
    if (neg) {
        S_PUT('-');
    }
    if (point <= 0) {
        S_PUT('0');
        S_PUT('.');
        for (long z = 0; z < -point; z++) {
            S_PUT('0');
        }
        for (size_t d = 0; d < nd; d++) {
            S_PUT(dig[d]);
        }
    } else {
        for (long d = 0; d < point || d < (long)nd; d++) {
            if (d == point) {
                S_PUT('.');
            }
            S_PUT(d < (long)nd ? dig[d] : '0');
        }
    }
#undef S_PUT
    b[o] = '\0';
    *p = b;
    *n = o;
    return 0;
}

/* Number token i as a mantissa at `scale`: exact (digits beyond scale must be zeros), or with
 * `round` rounded half-even. 0, or -1/EINVAL|ERANGE. */
static int
s_num(const jtok_t *t, int i, int scale, bool round, int64_t *out)
{
    char buf[k_num_max];
    const char *p;
    size_t n;
    if (s_num_text(t, i, buf, &p, &n) != 0) {
        return -1;
    }
    if (money_parse(p, n, scale, out) == 0) {
        return 0;
    }
    if (!round || errno != EINVAL) {
        return -1;
    }
    int fine = scale + 8 > MONEY_MAX_SCALE ? MONEY_MAX_SCALE : scale + 8;
    int64_t m;
    if (money_parse(p, n, fine, &m) != 0) {
        return -1;
    }
    return money_rescale(m, fine, scale, MONEY_ROUND_HALF_EVEN, out);
}

/* Optional number: absent or null = 0 (not known). 0 or -1. */
static int
s_num_opt(const jtok_t *t, int i, int scale, bool round, int64_t *out)
{
    if (i < 0) {
        *out = 0;
        return 0;
    }
    size_t n;
    const char *s = jtok_text(t, i, &n);
    if (jtok_type(t, i) == JTOK_PRIMITIVE && n == 4 && memcmp(s, "null", 4) == 0) {
        *out = 0;
        return 0;
    }
    return s_num(t, i, scale, round, out);
}

/* ---- helpers ------------------------------------------------------------------------------ */

#define S_BAD_FIELD(what)                                                                          \
    md_bad(k_mod, &self->p.stats->bad_field, &self->p.lim.bad_field, (what), frame, len)

static const s_sym_t *
s_find(const deribit_t *self, const char *name)
{
    for (size_t i = 0; i < self->n_sym; i++) {
        if (strcmp(self->sym[i].name, name) == 0) {
            return &self->sym[i];
        }
    }
    return NULL;
}

/* State of `name`, created on first use if the instrument is known; NULL (counted) if not. */
static s_sym_t *
s_sym(deribit_t *self, const char *name, const char *frame, size_t len)
{
    s_sym_t *s = (s_sym_t *)s_find(self, name);
    if (s) {
        return s;
    }
    const instr_t *in = instr_table_get(self->p.instrs, self->p.venue, name);
    if (!in || self->n_sym == DERIBIT_MAX_SYMBOLS) {
        self->p.stats->no_instr++;
        log_limited(&self->p.lim.no_instr, LOG_WARN, k_mod, "frame for an instrument without rules",
                    frame, len);
        return NULL;
    }
    s = &self->sym[self->n_sym];
    memset(s, 0, sizeof *s);
    md_strlcpy(s->name, name, sizeof s->name);
    s->instr = *in;
    s->book = book_new(&s->instr, self->p.depth);
    if (!s->book) {
        log_error(k_mod, "cannot create book for %s: %s", name, strerror(errno));
        return NULL;
    }
    self->n_sym++;
    return s;
}

/* Levels at token arr into out[k_max_levels]: [action, price, amount] (grouped = false) or
 * [price, amount] (grouped). "delete" sets the amount 0. 0 or -1. */
static int
s_levels(const jtok_t *t, int arr, const instr_t *in, bool grouped, book_level_t *out, size_t *n)
{
    if (jtok_type(t, arr) != JTOK_ARRAY || jtok_size(t, arr) > k_max_levels) {
        return -1;
    }
    int m = jtok_size(t, arr);
    int j = arr + 1;
    for (int k = 0; k < m; k++, j = jtok_next(t, j)) {
        int w = grouped ? 2 : 3;
        if (jtok_type(t, j) != JTOK_ARRAY || jtok_size(t, j) != w) {
            return -1;
        }
        bool del = false;
        if (!grouped) {
            if (jtok_streq(t, j + 1, "delete")) {
                del = true;
            } else if (!jtok_streq(t, j + 1, "new") && !jtok_streq(t, j + 1, "change")) {
                return -1;
            }
        }
        int pi = j + w - 1, qi = j + w;
        if (s_num(t, pi, in->px_scale, false, &out[k].px) != 0
            || s_num(t, qi, in->qty_scale, false, &out[k].qty) != 0 || out[k].qty < 0) {
            return -1;
        }
        if (del) {
            out[k].qty = 0;
        }
    }
    *n = (size_t)m;
    return 0;
}

/* "<kind>.<instrument>.<rest>": the instrument (at most INSTR_SYM_MAX-1 chars) and the number
 * of dot-separated parts after it. 0 or -1. */
static int
s_channel(const char *ch, size_t cl, size_t kind_len, char *name, int *n_rest)
{
    const char *p = ch + kind_len + 1;
    const char *end = ch + cl;
    const char *dot = memchr(p, '.', (size_t)(end - p));
    if (!dot || dot == p || (size_t)(dot - p) >= INSTR_SYM_MAX) {
        return -1;
    }
    memcpy(name, p, (size_t)(dot - p));
    name[dot - p] = '\0';
    int parts = 1;
    for (const char *q = dot + 1; q < end; q++) {
        if (*q == '.') {
            parts++;
        }
    }
    if (dot + 1 == end) {
        return -1;
    }
    *n_rest = parts;
    return 0;
}

static void
s_status(deribit_t *self, const char *name, const char *reason, int64_t ts_ms, int64_t recv_ns)
{
    if (!self->p.sink.status) {
        return;
    }
    codec_md_status_t st;
    memset(&st, 0, sizeof st);
    md_strlcpy(st.venue, self->p.venue, sizeof st.venue);
    md_strlcpy(st.symbol, name, sizeof st.symbol);
    md_strlcpy(st.state, "resync", sizeof st.state);
    md_strlcpy(st.reason, reason, sizeof st.reason);
    st.ts_event = md_ms_ns(ts_ms);
    self->p.sink.status(&st, recv_ns, self->p.sink.arg);
}

/* ---- channels ----------------------------------------------------------------------------- */

static int
s_book(deribit_t *self, int data, bool grouped, const char *frame, size_t len, int64_t recv_ns)
{
    const jtok_t *t = self->p.tok;
    char name[INSTR_SYM_MAX];
    int64_t ts, cid, pcid = 0;
    bool snap;
    int type = jtok_get(t, data, "type");
    if (grouped) {
        snap = true; /* every grouped push is a whole top of book */
    } else if (jtok_streq(t, type, "snapshot")) {
        snap = true;
    } else if (jtok_streq(t, type, "change")) {
        snap = false;
    } else {
        return S_BAD_FIELD("book: bad type");
    }
    if (jtok_copy(t, jtok_get(t, data, "instrument_name"), name, sizeof name) != 0
        || jtok_i64(t, jtok_get(t, data, "timestamp"), &ts) != 0
        || jtok_i64(t, jtok_get(t, data, "change_id"), &cid) != 0 || cid < 1) {
        return S_BAD_FIELD("book: missing or bad instrument_name/timestamp/change_id");
    }
    if (!snap && (jtok_i64(t, jtok_get(t, data, "prev_change_id"), &pcid) != 0 || pcid < 0)) {
        return S_BAD_FIELD("book: change without prev_change_id");
    }
    s_sym_t *s = s_sym(self, name, frame, len);
    if (!s) {
        return 0;
    }
    book_update_t upd = { .seq = (uint64_t)cid, .prev_seq = (uint64_t)pcid, .is_snapshot = snap };
    if (s_levels(t, jtok_get(t, data, "bids"), &s->instr, grouped, self->p.bids, &upd.n_bids) != 0
        || s_levels(t, jtok_get(t, data, "asks"), &s->instr, grouped, self->p.asks, &upd.n_asks)
               != 0) {
        return S_BAD_FIELD("book: bad levels");
    }
    upd.bids = self->p.bids;
    upd.asks = self->p.asks;
    bool in_seq = book_synced(s->book) && (snap || book_seq(s->book) == upd.prev_seq);
    uint64_t had = book_seq(s->book);
    if (book_apply(s->book, &upd) != 0) {
        if (errno == EAGAIN) {
            self->p.stats->unsynced++; /* waiting for the snapshot after a resync */
            return 0;
        }
        if (errno == EINVAL) {
            return S_BAD_FIELD("book: level off tick or negative");
        }
        self->p.stats->resyncs++;
        if (in_seq) {
            self->p.stats->crossed++;
        }
        log_limited(&self->p.lim.resync, LOG_WARN, k_mod, "book change_id break or crossed: resync",
                    frame, len);
        char reason[sizeof((codec_md_status_t *)0)->reason];
        if (in_seq) {
            snprintf(reason, sizeof reason, "book change_id %lld: crossed book", (long long)cid);
        } else {
            snprintf(reason, sizeof reason, "book change_id break: prev %lld after %llu",
                     (long long)pcid, (unsigned long long)had);
        }
        s_status(self, name, reason, ts, recv_ns);
        errno = EPROTO;
        return -1;
    }
    self->p.stats->books++;
    if (self->p.sink.book) {
        codec_md_book_t b;
        md_book_fill(&b, s->book, self->p.venue, self->p.levels, (uint64_t)cid, snap, md_ms_ns(ts),
                     recv_ns);
        self->p.sink.book(&b, recv_ns, self->p.sink.arg);
    }
    return 0;
}

static int
s_trades(deribit_t *self, int data, const char *frame, size_t len, int64_t recv_ns)
{
    const jtok_t *t = self->p.tok;
    if (jtok_type(t, data) != JTOK_ARRAY || jtok_size(t, data) > k_max_trades) {
        return S_BAD_FIELD("trades: data not an array");
    }
    int m = jtok_size(t, data);
    size_t n = 0;
    int j = data + 1;
    for (int k = 0; k < m; k++, j = jtok_next(t, j)) {
        char name[INSTR_SYM_MAX];
        int64_t ts;
        int dir = jtok_get(t, j, "direction");
        if (jtok_type(t, j) != JTOK_OBJECT || jtok_i64(t, jtok_get(t, j, "timestamp"), &ts) != 0
            || jtok_copy(t, jtok_get(t, j, "instrument_name"), name, sizeof name) != 0
            || !(jtok_streq(t, dir, "buy") || jtok_streq(t, dir, "sell"))) {
            return S_BAD_FIELD("trades: bad timestamp/instrument_name/direction");
        }
        s_sym_t *s = s_sym(self, name, frame, len);
        if (!s) {
            continue;
        }
        codec_md_trade_t *tr = &self->p.trades[n];
        memset(tr, 0, sizeof *tr);
        if (s_num(t, jtok_get(t, j, "price"), s->instr.px_scale, false, &tr->px) != 0
            || s_num(t, jtok_get(t, j, "amount"), s->instr.qty_scale, false, &tr->qty) != 0
            || tr->px <= 0 || tr->qty <= 0
            || jtok_copy(t, jtok_get(t, j, "trade_id"), tr->trade_id, sizeof tr->trade_id) != 0) {
            return S_BAD_FIELD("trades: bad price/amount/trade_id");
        }
        md_strlcpy(tr->venue, self->p.venue, sizeof tr->venue);
        md_strlcpy(tr->symbol, name, sizeof tr->symbol);
        tr->px_scale = s->instr.px_scale;
        tr->qty_scale = s->instr.qty_scale;
        tr->ts_event = md_ms_ns(ts);
        tr->ts_recv = recv_ns;
        tr->side = jtok_streq(t, dir, "buy") ? 1 : -1;
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

static int
s_ticker(deribit_t *self, int data, const char *frame, size_t len, int64_t recv_ns)
{
    const jtok_t *t = self->p.tok;
    char name[INSTR_SYM_MAX];
    int64_t ts;
    if (jtok_type(t, data) != JTOK_OBJECT
        || jtok_copy(t, jtok_get(t, data, "instrument_name"), name, sizeof name) != 0
        || jtok_i64(t, jtok_get(t, data, "timestamp"), &ts) != 0) {
        return S_BAD_FIELD("ticker: bad data/instrument_name/timestamp");
    }
    s_sym_t *s = s_sym(self, name, frame, len);
    if (!s) {
        return 0;
    }
    const instr_t *in = &s->instr;
    deribit_ticker_t x;
    memset(&x, 0, sizeof x);
    codec_md_ticker_t *tk = &x.tk;
    if (s_num_opt(t, jtok_get(t, data, "last_price"), in->px_scale, true, &tk->last_px) != 0
        || s_num(t, jtok_get(t, data, "mark_price"), in->px_scale, true, &tk->mark_px) != 0
        || s_num_opt(t, jtok_get(t, data, "index_price"), in->px_scale, true, &tk->index_px) != 0
        || s_num_opt(t, jtok_get(t, data, "best_bid_price"), in->px_scale, false, &tk->bid_px) != 0
        || s_num_opt(t, jtok_get(t, data, "best_bid_amount"), in->qty_scale, false, &tk->bid_qty)
               != 0
        || s_num_opt(t, jtok_get(t, data, "best_ask_price"), in->px_scale, false, &tk->ask_px) != 0
        || s_num_opt(t, jtok_get(t, data, "best_ask_amount"), in->qty_scale, false, &tk->ask_qty)
               != 0
        || s_num_opt(t, jtok_get(t, data, "funding_8h"), 8, true, &tk->funding_rate_e8) != 0
        || s_num_opt(t, jtok_get(t, data, "current_funding"), 8, true, &x.current_funding_e8) != 0
        || s_num_opt(t, jtok_get(t, data, "open_interest"), in->qty_scale, true, &x.open_interest)
               != 0) {
        return S_BAD_FIELD("ticker: bad price/amount field");
    }
    md_strlcpy(tk->venue, self->p.venue, sizeof tk->venue);
    md_strlcpy(tk->symbol, name, sizeof tk->symbol);
    tk->px_scale = in->px_scale;
    tk->qty_scale = in->qty_scale;
    tk->ts_event = md_ms_ns(ts);
    tk->ts_recv = recv_ns;
    s->tk = x;
    s->tk_have = true;
    self->p.stats->tickers++;
    if (self->p.sink.ticker) {
        self->p.sink.ticker(tk, recv_ns, self->p.sink.arg);
    }
    return 0;
}

static int
s_subscription(deribit_t *self, int params, const char *frame, size_t len, int64_t recv_ns)
{
    const jtok_t *t = self->p.tok;
    int ch_i = jtok_get(t, params, "channel");
    int data = jtok_get(t, params, "data");
    if (jtok_type(t, ch_i) != JTOK_STRING || data < 0) {
        return S_BAD_FIELD("subscription without channel/data");
    }
    size_t cl;
    const char *ch = jtok_text(t, ch_i, &cl);
    char name[INSTR_SYM_MAX];
    int rest;
    if (cl > 5 && memcmp(ch, "book.", 5) == 0) {
        if (s_channel(ch, cl, 4, name, &rest) != 0 || (rest != 1 && rest != 3)) {
            return S_BAD_FIELD("book: bad channel");
        }
        return s_book(self, data, rest == 3, frame, len, recv_ns);
    }
    if (cl > 7 && memcmp(ch, "trades.", 7) == 0) {
        if (s_channel(ch, cl, 6, name, &rest) != 0 || rest != 1) {
            return S_BAD_FIELD("trades: bad channel");
        }
        return s_trades(self, data, frame, len, recv_ns);
    }
    if (cl > 7 && memcmp(ch, "ticker.", 7) == 0) {
        if (s_channel(ch, cl, 6, name, &rest) != 0 || rest != 1) {
            return S_BAD_FIELD("ticker: bad channel");
        }
        return s_ticker(self, data, frame, len, recv_ns);
    }
    return md_bad(k_mod, &self->p.stats->unknown_topic, &self->p.lim.unknown_topic,
                  "unknown channel", frame, len);
}

static void
s_control(deribit_t *self, const char *op, bool ok)
{
    if (self->p.sink.control) {
        self->p.sink.control(op, ok, self->p.sink.arg);
    }
}

/* {"id":N,"result":R} or {"id":N,"error":E} */
static int
s_reply(deribit_t *self, const char *frame, size_t len)
{
    const jtok_t *t = self->p.tok;
    int res = jtok_get(t, 0, "result");
    int err = jtok_get(t, 0, "error");
    if (err >= 0) {
        int64_t code;
        if (jtok_type(t, err) != JTOK_OBJECT || jtok_i64(t, jtok_get(t, err, "code"), &code) != 0) {
            return S_BAD_FIELD("error reply without code");
        }
        self->p.stats->nacks++;
        log_warn(k_mod, "request refused by the venue (code %lld): %.*s", (long long)code,
                 (int)(len > 200 ? 200 : len), frame);
        s_control(self, "error", false);
        return 0;
    }
    if (res < 0) {
        return md_bad(k_mod, &self->p.stats->unknown_topic, &self->p.lim.unknown_topic,
                      "reply without result or error", frame, len);
    }
    if (jtok_type(t, res) == JTOK_ARRAY) {
        self->p.stats->acks++; /* public/subscribe or unsubscribe: the channels now active */
        s_control(self, "subscribe", true);
    } else if (jtok_type(t, res) == JTOK_OBJECT && jtok_get(t, res, "version") >= 0) {
        self->p.stats->pongs++; /* public/test */
        s_control(self, "test", true);
    } else {
        self->p.stats->acks++; /* public/set_heartbeat ("ok") and the like */
        s_control(self, "result", true);
    }
    return 0;
}

int
deribit_parse(deribit_t *self, const char *frame, size_t len, int64_t recv_ns)
{
    assert(self && frame);
    self->p.stats->frames++;
    if (jtok_parse(self->p.tok, frame, len) < 0 || jtok_type(self->p.tok, 0) != JTOK_OBJECT) {
        return md_bad(k_mod, &self->p.stats->bad_json, &self->p.lim.bad_json, "bad json frame",
                      frame, len);
    }
    const jtok_t *t = self->p.tok;
    int method = jtok_get(t, 0, "method");
    if (method < 0) {
        if (jtok_get(t, 0, "id") >= 0) {
            return s_reply(self, frame, len);
        }
        return md_bad(k_mod, &self->p.stats->unknown_topic, &self->p.lim.unknown_topic,
                      "frame without method or id", frame, len);
    }
    int params = jtok_get(t, 0, "params");
    if (jtok_type(t, params) != JTOK_OBJECT) {
        return S_BAD_FIELD("notification without params object");
    }
    if (jtok_streq(t, method, "subscription")) {
        return s_subscription(self, params, frame, len, recv_ns);
    }
    if (jtok_streq(t, method, "heartbeat")) {
        int type = jtok_get(t, params, "type");
        if (jtok_streq(t, type, "test_request")) {
            self->test_requests++;
            s_control(self, "test_request", true);
            return 0;
        }
        if (jtok_streq(t, type, "heartbeat")) {
            self->p.stats->pongs++;
            s_control(self, "heartbeat", true);
            return 0;
        }
        return S_BAD_FIELD("heartbeat: bad type");
    }
    return md_bad(k_mod, &self->p.stats->unknown_topic, &self->p.lim.unknown_topic,
                  "unknown method", frame, len);
}

const book_t *
deribit_book(const deribit_t *self, const char *instrument)
{
    assert(self && instrument);
    const s_sym_t *s = s_find(self, instrument);
    return s ? s->book : NULL;
}

int
deribit_ticker(const deribit_t *self, const char *instrument, deribit_ticker_t *out)
{
    assert(self && instrument && out);
    const s_sym_t *s = s_find(self, instrument);
    if (!s || !s->tk_have) {
        errno = ENODATA;
        return -1;
    }
    *out = s->tk;
    return 0;
}

void
deribit_reset(deribit_t *self)
{
    assert(self);
    for (size_t i = 0; i < self->n_sym; i++) {
        book_reset(self->sym[i].book);
        self->sym[i].tk_have = false;
    }
}

int64_t
deribit_test_requests(const deribit_t *self)
{
    assert(self);
    return self->test_requests;
}

int
deribit_request(char *buf, size_t cap, uint64_t id, const char *method, const char *params_json)
{
    assert(buf && method);
    int n = snprintf(buf, cap, "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":\"%s\",\"params\":%s}",
                     (unsigned long long)id, method,
                     params_json && params_json[0] ? params_json : "{}");
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0) {
            buf[0] = '\0';
        }
        errno = ENOSPC;
        return -1;
    }
    return n;
}

/* ---- instruments -------------------------------------------------------------------------- */

/* decimals of number token i (exponents shifted), -1 if not a usable number */
static int
s_decimals(const jtok_t *t, int i)
{
    char buf[k_num_max];
    const char *p;
    size_t n;
    if (s_num_text(t, i, buf, &p, &n) != 0) {
        return -1;
    }
    int d = money_decimals(p, n);
    return d <= 12 ? d : -1;
}

static int
s_max(int a, int b)
{
    return a > b ? a : b;
}

/* One instrument object at token o into *in. 0, or -1 (unusable; *why says which field). */
static int
s_instrument(const jtok_t *t, int o, const char *venue, instr_t *in, const char **why)
{
    memset(in, 0, sizeof *in);
    *why = "instrument_name/kind";
    if (jtok_type(t, o) != JTOK_OBJECT
        || jtok_copy(t, jtok_get(t, o, "instrument_name"), in->symbol, sizeof in->symbol) != 0
        || jtok_copy(t, jtok_get(t, o, "kind"), in->category, sizeof in->category) != 0) {
        return -1;
    }
    md_strlcpy(in->venue, venue, sizeof in->venue);
    int tick_i = jtok_get(t, o, "tick_size");
    int cs_i = jtok_get(t, o, "contract_size");
    int min_i = jtok_get(t, o, "min_trade_amount");
    int steps_i = jtok_get(t, o, "tick_size_steps");
    int px_d = s_decimals(t, tick_i);
    int qty_d = s_max(s_decimals(t, min_i), s_decimals(t, cs_i));
    *why = "tick_size/contract_size/min_trade_amount";
    if (px_d < 0 || s_decimals(t, min_i) < 0 || s_decimals(t, cs_i) < 0) {
        return -1;
    }
    int n_steps = 0;
    if (steps_i >= 0) {
        *why = "tick_size_steps";
        if (jtok_type(t, steps_i) != JTOK_ARRAY || jtok_size(t, steps_i) > INSTR_TICK_STEPS) {
            return -1;
        }
        n_steps = jtok_size(t, steps_i);
        for (int k = 0; k < n_steps; k++) {
            int st = jtok_at(t, steps_i, k);
            int a = s_decimals(t, jtok_get(t, st, "above_price"));
            int b = s_decimals(t, jtok_get(t, st, "tick_size"));
            if (a < 0 || b < 0) {
                return -1;
            }
            px_d = s_max(px_d, s_max(a, b));
        }
    }
    in->px_scale = px_d;
    in->qty_scale = qty_d;
    *why = "a number out of range";
    if (s_num(t, tick_i, px_d, false, &in->tick) != 0
        || s_num(t, min_i, qty_d, false, &in->step) != 0
        || s_num(t, cs_i, qty_d, false, &in->contract_size) != 0 || in->tick < 1 || in->step < 1
        || in->contract_size < 1) {
        return -1;
    }
    in->min_qty = in->step;
    for (int k = 0; k < n_steps; k++) {
        int st = jtok_at(t, steps_i, k);
        instr_tick_step_t *ts = &in->tick_steps[k];
        if (s_num(t, jtok_get(t, st, "above_price"), px_d, false, &ts->above_px) != 0
            || s_num(t, jtok_get(t, st, "tick_size"), px_d, false, &ts->tick) != 0 || ts->tick < 1
            || (k > 0 && ts->above_px <= in->tick_steps[k - 1].above_px)) {
            *why = "tick_size_steps";
            return -1;
        }
    }
    in->n_tick_steps = n_steps;
    char base[INSTR_CCY_MAX], quote[INSTR_CCY_MAX];
    *why = "base_currency/quote_currency/settlement_currency";
    if (jtok_copy(t, jtok_get(t, o, "base_currency"), base, sizeof base) != 0
        || jtok_copy(t, jtok_get(t, o, "quote_currency"), quote, sizeof quote) != 0) {
        return -1;
    }
    int settle_i = jtok_get(t, o, "settlement_currency");
    if (settle_i >= 0) {
        if (jtok_copy(t, settle_i, in->settle, sizeof in->settle) != 0) {
            return -1;
        }
    } else {
        md_strlcpy(in->settle, base, sizeof in->settle);
    }
    bool inverse = strcmp(in->category, "future") == 0 && strcmp(quote, "USD") == 0;
    md_strlcpy(in->qty_ccy, inverse ? "USD" : base, sizeof in->qty_ccy);
    return 0;
}

int
deribit_instruments_parse(const char *json, size_t len, const char *venue,
                          void (*fn)(const instr_t *in, void *arg), void *arg)
{
    if (!json || !venue || !fn || strlen(venue) >= INSTR_VENUE_MAX) {
        errno = EINVAL;
        return -1;
    }
    jtok_t *t = jtok_new(len / 2 + 16); /* a token takes at least two bytes of text */
    if (!t) {
        errno = ENOMEM;
        return -1;
    }
    int res;
    if (jtok_parse(t, json, len) < 0 || jtok_type(t, 0) != JTOK_OBJECT
        || ((res = jtok_get(t, 0, "result")),
            jtok_type(t, res) != JTOK_ARRAY && jtok_type(t, res) != JTOK_OBJECT)) {
        log_warn(k_mod, "get_instruments: not a JSON-RPC result body");
        jtok_destroy(&t);
        errno = EPROTO;
        return -1;
    }
    int count = 0;
    int m = jtok_type(t, res) == JTOK_ARRAY ? jtok_size(t, res) : 1;
    int j = jtok_type(t, res) == JTOK_ARRAY ? res + 1 : res;
    for (int k = 0; k < m; k++, j = jtok_next(t, j)) {
        instr_t in;
        const char *why;
        if (s_instrument(t, j, venue, &in, &why) != 0) {
            log_warn(k_mod, "get_instruments: skipping %s: bad %s", in.symbol[0] ? in.symbol : "?",
                     why);
            continue;
        }
        fn(&in, arg);
        count++;
    }
    jtok_destroy(&t);
    return count;
}
