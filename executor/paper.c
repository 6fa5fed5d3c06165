/*  paper.c - the paper venue (contract and fill rules: paper.h, docs/executor.md).
 *  Owns:  symbol states (fixed array, allocated with the venue), the working-order list (a
 *         pointer array that grows by doubling; orders themselves belong to the orders
 *         table), the account.
 *  Why the book copy is depleted by our own fills: two market orders in one step must not
 *  both take the same displayed quantity; the next md.book replaces the copy anyway.
 */
#include "executor/paper.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/money.h"

typedef __int128 s_i128;

#define S_MOD "paper"

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    bool has_book;        /* an md.book was seen: market orders walk it */
    codec_md_book_t book; /* latest top levels, minus what we took since */
    int64_t mark_px;      /* latest trade / mid / kline close, px_scale of the source */
} s_sym_t;

struct paper {
    orders_t *orders; /* borrowed */
    venue_emit_fn *emit;
    void *emit_arg;
    char name[CODEC_VENUE_MAX];
    int64_t taker_fee, maker_fee, cap; /* VENUE_RATE_SCALE */
    account_t *acct;
    order_t **work; /* working orders (borrowed from the orders table) */
    size_t n_work, cap_work;
    log_limit_t fail_limit;
    FILE *state;    /* persistence log (docs/executor.md "Paper persistence"), NULL = off */
    bool restoring; /* replaying the log: no emits, no writes */
    size_t n_sym;
    s_sym_t sym[PAPER_MAX_SYMBOLS];
};

static void
s_quiet(const char *topic, codec_type_t type, const void *body, int64_t evt, int64_t origin,
        void *arg)
{
    (void)topic, (void)type, (void)body, (void)evt, (void)origin, (void)arg;
}

/* Append one record and fsync it (persistence on). Failures are logged, not fatal: the
 * in-memory state stays right, only a restart would lose the record. */
static void s_log(paper_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_log(paper_t *self, const char *fmt, ...)
{
    if (!self->state || self->restoring) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int rc = vfprintf(self->state, fmt, ap);
    va_end(ap);
    if (rc < 0 || fflush(self->state) != 0 || fsync(fileno(self->state)) != 0) {
        log_limited(&self->fail_limit, LOG_ERROR, S_MOD, "paper state write failed", NULL, 0);
    }
}

static int s_work_add(paper_t *self, order_t *o);
static void s_work_compact(paper_t *self);
static int s_fill(paper_t *self, order_t *o, int64_t px, int64_t qty, bool maker, int64_t evt);
static void s_cancel(paper_t *self, order_t *o, const char *reason, int64_t evt);

static int
s_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Replay the persistence log: orders (O), fills (F), cancels (X), in their original order,
 * through the same code paths with outputs silenced. Returns records applied. */
static size_t
s_restore(paper_t *self, FILE *f)
{
    char *line = NULL;
    size_t cap = 0, n = 0;
    ssize_t len;
    venue_emit_fn *emit = self->emit;
    self->emit = s_quiet;
    self->restoring = true;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n') {
            break; /* torn last record */
        }
        line[len - 1] = '\0';
        char cat[16], id[CODEC_ID_MAX], hex[2 * CODEC_MSG_MAX + 1], reason[CODEC_TEXT_MAX];
        long long a, b, e;
        int maker, spot;
        order_t *o;
        if (sscanf(line, "O %15s %d %16384s", cat, &spot, hex) == 3) {
            static uint8_t buf[CODEC_MSG_MAX];
            size_t bl = strlen(hex) / 2;
            bool ok = bl <= sizeof buf;
            for (size_t i = 0; ok && i < bl; i++) {
                int hi = s_hex(hex[2 * i]), lo = s_hex(hex[2 * i + 1]);
                ok = hi >= 0 && lo >= 0;
                buf[i] = (uint8_t)(hi * 16 + lo);
            }
            codec_env_t env;
            codec_risk_order_t r;
            if (!ok || codec_decode(buf, bl, CODEC_RISK_ORDER, &env, &r) < 0) {
                continue;
            }
            o = orders_add(self->orders, &r, strcmp(cat, "-") ? cat : "", spot != 0, env.origin,
                           self->name);
            if (o) {
                o->sent = true;
                (void)s_work_add(self, o);
                n++;
            }
        } else if (sscanf(line, "F %47s %lld %lld %d %lld", id, &a, &b, &maker, &e) == 5) {
            o = orders_get(self->orders, id);
            if (o && s_fill(self, o, a, b, maker != 0, e) == 0) {
                n++;
            }
        } else if (sscanf(line, "X %47s %lld %127[^\n]", id, &e, reason) >= 2) {
            o = orders_get(self->orders, id);
            if (o) {
                s_cancel(self, o, strcmp(reason, "-") ? reason : NULL, e);
                n++;
            }
        }
    }
    free(line);
    s_work_compact(self);
    self->restoring = false;
    self->emit = emit;
    return n;
}

paper_t *
paper_new(const venue_cfg_t *cfg)
{
    if (!cfg || !cfg->orders || !cfg->emit || cfg->taker_fee < 0 || cfg->maker_fee < 0
        || cfg->slippage_cap < 0) {
        errno = EINVAL;
        return NULL;
    }
    paper_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->orders = cfg->orders;
    self->emit = cfg->emit;
    self->emit_arg = cfg->emit_arg;
    snprintf(self->name, sizeof self->name, "%s", cfg->name ? cfg->name : "paper");
    self->taker_fee = cfg->taker_fee;
    self->maker_fee = cfg->maker_fee;
    self->cap = cfg->slippage_cap;
    self->acct = account_new(cfg->asset ? cfg->asset : "USDT", cfg->start_balance);
    if (!self->acct) {
        int e = errno;
        free(self);
        errno = e;
        return NULL;
    }
    if (cfg->journal_path && cfg->journal_path[0]) {
        FILE *in = fopen(cfg->journal_path, "r");
        if (in) {
            size_t n = s_restore(self, in);
            fclose(in);
            log_notice(S_MOD, "state restored from %s: %zu records, %zu orders working",
                       cfg->journal_path, n, self->n_work);
        }
        self->state = fopen(cfg->journal_path, "a");
        if (!self->state) {
            int e = errno;
            log_error(S_MOD, "cannot open the paper state %s: %s", cfg->journal_path, strerror(e));
            paper_destroy(&self);
            errno = e;
            return NULL;
        }
    }
    return self;
}

void
paper_destroy(paper_t **self_p)
{
    assert(self_p);
    paper_t *self = *self_p;
    if (!self) {
        return;
    }
    account_destroy(&self->acct);
    if (self->state) {
        fclose(self->state);
    }
    free(self->work);
    free(self);
    *self_p = NULL;
}

int
paper_fee(int64_t px, int px_scale, int64_t qty, int qty_scale, int64_t rate, int64_t *out)
{
    int64_t notional;
    if (px_scale < 0 || qty_scale < 0 || px_scale + qty_scale > MONEY_MAX_SCALE) {
        errno = EINVAL;
        return -1;
    }
    /* exact notional at scale px_scale + qty_scale (no rounding), then the one rounding */
    if (money_mul(px, px_scale, qty, qty_scale, px_scale + qty_scale, MONEY_ROUND_HALF_EVEN,
                  &notional)
        < 0) {
        return -1;
    }
    return money_mul(notional, px_scale + qty_scale, rate, VENUE_RATE_SCALE, MONEY_VALUE_SCALE,
                     MONEY_ROUND_HALF_EVEN, out);
}

static s_sym_t *
s_sym(paper_t *self, const char *venue, const char *symbol, bool create)
{
    for (size_t i = 0; i < self->n_sym; i++) {
        if (strcmp(self->sym[i].venue, venue) == 0 && strcmp(self->sym[i].symbol, symbol) == 0) {
            return &self->sym[i];
        }
    }
    if (!create || self->n_sym == PAPER_MAX_SYMBOLS) {
        return NULL;
    }
    s_sym_t *s = &self->sym[self->n_sym++];
    memset(s, 0, sizeof *s);
    snprintf(s->venue, sizeof s->venue, "%s", venue);
    snprintf(s->symbol, sizeof s->symbol, "%s", symbol);
    return s;
}

static bool
s_same_sym(const order_t *o, const s_sym_t *s)
{
    return strcmp(o->req.venue, s->venue) == 0 && strcmp(o->req.symbol, s->symbol) == 0;
}

static void
s_emit_order(paper_t *self, const order_t *o, int64_t evt)
{
    codec_exec_order_t x;
    order_to_exec(o, evt, &x);
    self->emit("exec.order", CODEC_EXEC_ORDER, &x, evt, o->origin, self->emit_arg);
}

static void
s_emit_balance(paper_t *self, int64_t evt, int64_t origin)
{
    codec_exec_balance_t b;
    if (account_balance(self->acct, self->name, evt, &b) < 0) {
        log_limited(&self->fail_limit, LOG_ERROR, S_MOD, "cannot compute balance: overflow", NULL,
                    0);
        return;
    }
    self->emit("exec.balance", CODEC_EXEC_BALANCE, &b, evt, origin, self->emit_arg);
}

static void
s_emit_position(paper_t *self, const char *venue, const char *symbol, int64_t evt, int64_t origin)
{
    codec_exec_position_t p;
    if (account_position(self->acct, venue, symbol, evt, &p) < 0) {
        return; /* never filled: nothing to say */
    }
    self->emit("exec.position", CODEC_EXEC_POSITION, &p, evt, origin, self->emit_arg);
}

static void
s_cancel(paper_t *self, order_t *o, const char *reason, int64_t evt)
{
    if (order_cancel(o, reason) == 0) {
        s_log(self, "X %s %lld %s\n", o->req.client_id, (long long)evt,
              reason && reason[0] ? reason : "-");
        s_emit_order(self, o, evt);
    }
}

static int s_fill_exact(paper_t *self, order_t *o, int64_t px, int64_t qty, bool maker,
                        int64_t evt);

/* One fill of `o`. A reduce-only order never increases or flips the position (as on Bybit): it
 * fills at most the position's size in the closing direction and the rest is cancelled. 0, or
 * -1 with errno: ECANCELED (the order was clipped or had nothing to reduce, and is closed now),
 * or a failure of s_fill_exact. */
static int
s_fill(paper_t *self, order_t *o, int64_t px, int64_t qty, bool maker, int64_t evt)
{
    if (!o->req.reduce_only) {
        return s_fill_exact(self, o, px, qty, maker, evt);
    }
    codec_exec_position_t pos;
    int64_t open = 0;
    if (account_position(self->acct, o->req.venue, o->req.symbol, evt, &pos) == 0) {
        open = pos.qty;
    }
    int64_t allowed = (o->req.side < 0 && open > 0)   ? open
                      : (o->req.side > 0 && open < 0) ? -open
                                                      : 0;
    if (allowed <= 0) {
        s_cancel(self, o, "reduce-only: no position to reduce", evt);
        errno = ECANCELED;
        return -1;
    }
    if (qty <= allowed) {
        return s_fill_exact(self, o, px, qty, maker, evt);
    }
    if (s_fill_exact(self, o, px, allowed, maker, evt) != 0) {
        return -1;
    }
    s_cancel(self, o, "reduce-only: clipped to the position", evt);
    errno = ECANCELED;
    return -1;
}

/* One fill of `o` as asked: order table, account, then exec.fill, exec.order, exec.position,
 * exec.balance. 0, or -1 with errno (logged; the order is left as the table has it). */
static int
s_fill_exact(paper_t *self, order_t *o, int64_t px, int64_t qty, bool maker, int64_t evt)
{
    const codec_risk_order_t *r = &o->req;
    int64_t notional, fee, realized = 0;
    codec_exec_fill_t f;
    memset(&f, 0, sizeof f);
    int n = snprintf(f.fill_id, sizeof f.fill_id, "px-%s-%u", r->client_id, o->n_fills + 1);
    if (n < 0 || (size_t)n >= sizeof f.fill_id) {
        errno = ENAMETOOLONG;
        goto fail;
    }
    if (money_mul(px, r->px_scale, qty, r->qty_scale, MONEY_VALUE_SCALE, MONEY_ROUND_HALF_EVEN,
                  &notional)
            < 0
        || paper_fee(px, r->px_scale, qty, r->qty_scale, maker ? self->maker_fee : self->taker_fee,
                     &fee)
               < 0) {
        goto fail;
    }
    if (orders_fill(self->orders, r->client_id, f.fill_id, px, qty, notional, fee) < 0) {
        goto fail;
    }
    s_log(self, "F %s %lld %lld %d %lld\n", r->client_id, (long long)px, (long long)qty,
          maker ? 1 : 0, (long long)evt);
    if (account_fill(self->acct, r->venue, r->symbol, r->px_scale, r->qty_scale, r->side, px, qty,
                     fee, &realized)
        < 0) {
        /* the order table already has the fill: the account is behind; say so loudly */
        log_error(S_MOD, "cannot book fill %s in the account: %s", f.fill_id, strerror(errno));
    }
    snprintf(f.client_id, sizeof f.client_id, "%s", r->client_id);
    snprintf(f.order_id, sizeof f.order_id, "%s", o->order_id);
    snprintf(f.venue, sizeof f.venue, "%s", r->venue);
    snprintf(f.symbol, sizeof f.symbol, "%s", r->symbol);
    f.side = r->side;
    f.maker = maker;
    f.px_scale = r->px_scale;
    f.qty_scale = r->qty_scale;
    f.px = px;
    f.qty = qty;
    f.fee = fee;
    f.realized_pnl = realized;
    f.ts_event = evt;
    self->emit("exec.fill", CODEC_EXEC_FILL, &f, evt, o->origin, self->emit_arg);
    s_emit_order(self, o, evt);
    s_emit_position(self, r->venue, r->symbol, evt, o->origin);
    s_emit_balance(self, evt, o->origin);
    return 0;
fail:;
    int e = errno;
    char what[96];
    snprintf(what, sizeof what, "cannot fill %s: %s", r->client_id, strerror(e));
    log_limited(&self->fail_limit, LOG_ERROR, S_MOD, what, NULL, 0);
    errno = e;
    return -1;
}

/* Best level index with qty > 0 on `lv`, or -1. */
static int
s_best(const codec_level_t *lv, uint32_t n)
{
    for (uint32_t i = 0; i < n && i < CODEC_LEVELS; i++) {
        if (lv[i].qty > 0) {
            return (int)i;
        }
    }
    return -1;
}

/* True if level px is within the slippage cap from best: buy px <= best x (1 + cap%),
 * sell px >= best x (1 - cap%), compared exactly in 128 bits. */
static bool
s_within_cap(const paper_t *self, int side, int64_t best, int64_t px)
{
    if (self->cap == 0) {
        return true;
    }
    const s_i128 hundred = (s_i128)100 * money_pow10(VENUE_RATE_SCALE);
    if (side > 0) {
        return (s_i128)px * hundred <= (s_i128)best * (hundred + self->cap);
    }
    return (s_i128)px * hundred >= (s_i128)best * (hundred - self->cap);
}

/* Take liquidity from the book copy for `o` (limit 0 = market), best first, bounded by the
 * limit price and the slippage cap. Taker fills. */
static void
s_take(paper_t *self, order_t *o, s_sym_t *s, int64_t limit, int64_t evt)
{
    int side = o->req.side;
    codec_level_t *lv = side > 0 ? s->book.asks : s->book.bids;
    uint32_t n = side > 0 ? s->book.n_asks : s->book.n_bids;
    int b = s_best(lv, n);
    if (b < 0) {
        return;
    }
    int64_t best = lv[b].px;
    for (uint32_t i = (uint32_t)b; i < n && i < CODEC_LEVELS && order_leaves(o) > 0; i++) {
        if (lv[i].qty <= 0) {
            continue;
        }
        if (limit > 0 && (side > 0 ? lv[i].px > limit : lv[i].px < limit)) {
            break;
        }
        if (!s_within_cap(self, side, best, lv[i].px)) {
            break;
        }
        int64_t leaves = order_leaves(o);
        int64_t take = lv[i].qty < leaves ? lv[i].qty : leaves;
        if (s_fill(self, o, lv[i].px, take, false, evt) < 0) {
            return;
        }
        lv[i].qty -= take;
    }
}

static int
s_work_add(paper_t *self, order_t *o)
{
    if (self->n_work == self->cap_work) {
        size_t cap = self->cap_work ? self->cap_work * 2 : 16;
        order_t **w = realloc(self->work, cap * sizeof *w);
        if (!w) {
            errno = ENOMEM;
            return -1;
        }
        self->work = w;
        self->cap_work = cap;
    }
    self->work[self->n_work++] = o;
    return 0;
}

/* Drop closed orders from the working list, keeping the order of the rest. */
static void
s_work_compact(paper_t *self)
{
    size_t j = 0;
    for (size_t i = 0; i < self->n_work; i++) {
        if (order_is_open(self->work[i])) {
            self->work[j++] = self->work[i];
        }
    }
    self->n_work = j;
}

static bool
s_book_scales_ok(const s_sym_t *s, const order_t *o)
{
    return s->book.px_scale == o->req.px_scale && s->book.qty_scale == o->req.qty_scale;
}

static int64_t
s_max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* Match `o` against the book of `s` now: the taker part, then cancel (market) or rest. */
static void
s_match_book(paper_t *self, order_t *o, s_sym_t *s, int64_t evt)
{
    bool limit = o->req.type == CODEC_ORD_LIMIT;
    s_take(self, o, s, limit ? o->req.px : 0, evt);
    if (!order_is_open(o)) {
        return;
    }
    if (!limit) {
        s_cancel(self, o,
                 o->cum_qty > 0 ? "book depth exhausted within slippage cap"
                                : "no liquidity within slippage cap",
                 evt);
    }
}

int
paper_place(paper_t *self, order_t *o, const instr_t *in)
{
    assert(self && o);
    (void)in; /* the category was already copied into the order by exec.c */
    if (o->status != ORDER_NEW || o->cum_qty != 0) {
        errno = EINVAL;
        return -1;
    }
    int64_t t = o->req.ts_event;
    if (self->state) {
        static uint8_t buf[CODEC_MSG_MAX];
        static char hex[2 * CODEC_MSG_MAX + 1];
        codec_env_t env;
        memset(&env, 0, sizeof env);
        env.v = CODEC_VERSION;
        env.origin = o->origin;
        env.evt = t;
        size_t bl = 0;
        if (codec_encode(&env, CODEC_RISK_ORDER, &o->req, buf, sizeof buf, &bl) == 0) {
            for (size_t i = 0; i < bl; i++) {
                snprintf(hex + 2 * i, 3, "%02x", buf[i]);
            }
            s_log(self, "O %s %d %s\n", o->category[0] ? o->category : "-", o->spot ? 1 : 0, hex);
        }
    }
    s_emit_order(self, o, t);
    s_sym_t *s = s_sym(self, o->req.venue, o->req.symbol, true);
    if (!s) {
        s_cancel(self, o, "too many symbols", t);
        errno = ENOSPC;
        return -1;
    }
    if (s->has_book) {
        if (!s_book_scales_ok(s, o)) {
            s_cancel(self, o, "book scale differs from the order's", t);
            errno = EINVAL;
            return -1;
        }
        s_match_book(self, o, s, s_max64(s->book.ts_event, t));
    }
    if (order_is_open(o) && s_work_add(self, o) < 0) {
        s_cancel(self, o, "out of memory", t);
        return -1;
    }
    return 0;
}

/* Mid of best bid and ask, half-even; 0 if a side is empty. */
static int64_t
s_mid(const codec_md_book_t *b)
{
    int bi = s_best(b->bids, b->n_bids), ai = s_best(b->asks, b->n_asks);
    if (bi < 0 || ai < 0) {
        return 0;
    }
    int64_t sum = b->bids[bi].px + b->asks[ai].px; /* prices are far below 2^62 */
    int64_t mid = sum / 2;
    if ((sum % 2) != 0 && (mid % 2) != 0) {
        mid++; /* exactly half-way: round to the even neighbour */
    }
    return mid;
}

static void
s_mark(paper_t *self, s_sym_t *s, int64_t px)
{
    if (px <= 0) {
        return;
    }
    s->mark_px = px;
    (void)account_mark(self->acct, s->venue, s->symbol, px); /* ENOENT: no position yet */
}

void
paper_on_book(paper_t *self, const codec_md_book_t *b, int64_t origin)
{
    assert(self && b);
    (void)origin; /* outputs carry the order's origin */
    s_sym_t *s = s_sym(self, b->venue, b->symbol, true);
    if (!s) {
        return;
    }
    s->book = *b;
    s->has_book = true;
    s_mark(self, s, s_mid(b));
    for (size_t i = 0; i < self->n_work; i++) {
        order_t *o = self->work[i];
        if (!order_is_open(o) || !s_same_sym(o, s)) {
            continue;
        }
        int64_t evt = s_max64(b->ts_event, o->req.ts_event);
        if (!s_book_scales_ok(s, o)) {
            s_cancel(self, o, "book scale differs from the order's", evt);
            continue;
        }
        if (o->req.type != CODEC_ORD_LIMIT) {
            s_match_book(self, o, s, evt); /* waited for a book: take it now */
            continue;
        }
        /* resting limit: filled when the book crosses its price (back of the queue) */
        int side = o->req.side;
        const codec_level_t *lv = side > 0 ? s->book.asks : s->book.bids;
        int bi = s_best(lv, side > 0 ? s->book.n_asks : s->book.n_bids);
        if (bi >= 0 && (side > 0 ? lv[bi].px <= o->req.px : lv[bi].px >= o->req.px)) {
            (void)s_fill(self, o, o->req.px, order_leaves(o), true, evt); /* logged inside */
        }
    }
    s_work_compact(self);
}

void
paper_on_trade(paper_t *self, const codec_md_trade_t *t, int64_t origin)
{
    assert(self && t);
    (void)origin;
    s_sym_t *s = s_sym(self, t->venue, t->symbol, true);
    if (!s) {
        return;
    }
    s_mark(self, s, t->px);
    for (size_t i = 0; i < self->n_work; i++) {
        order_t *o = self->work[i];
        if (!order_is_open(o) || !s_same_sym(o, s) || o->req.type != CODEC_ORD_LIMIT
            || t->ts_event < o->req.ts_event || t->px_scale != o->req.px_scale) {
            continue;
        }
        /* through the price only: a print AT the limit may have filled the queue ahead of us */
        bool through = o->req.side > 0 ? t->px < o->req.px : t->px > o->req.px;
        if (through) {
            (void)s_fill(self, o, o->req.px, order_leaves(o), true, t->ts_event);
        }
    }
    s_work_compact(self);
}

void
paper_on_kline(paper_t *self, const codec_md_kline_t *k, int64_t origin)
{
    assert(self && k);
    (void)origin;
    s_sym_t *s = s_sym(self, k->venue, k->symbol, true);
    if (!s) {
        return;
    }
    if (!s->has_book) {
        for (size_t i = 0; i < self->n_work; i++) {
            order_t *o = self->work[i];
            if (!order_is_open(o) || !s_same_sym(o, s) || k->start_ns < o->req.ts_event) {
                continue;
            }
            if (k->px_scale != o->req.px_scale) {
                s_cancel(self, o, "kline scale differs from the order's", k->start_ns);
                continue;
            }
            if (o->req.ttl_ns > 0 && k->start_ns - o->req.ttl_ns > o->req.ts_event) {
                s_cancel(self, o, "expired", k->start_ns);
                continue;
            }
            int side = o->req.side;
            int64_t px = o->req.px;
            if (o->req.type != CODEC_ORD_LIMIT) {
                (void)s_fill(self, o, k->open, order_leaves(o), false, k->start_ns);
            } else if (side > 0 ? k->open <= px : k->open >= px) {
                (void)s_fill(self, o, k->open, order_leaves(o), false, k->start_ns);
            } else if (side > 0 ? k->low < px : k->high > px) {
                (void)s_fill(self, o, px, order_leaves(o), true, k->ts_event);
            }
        }
        s_work_compact(self);
    }
    s_mark(self, s, k->close);
    if (k->closed && account_is_open(self->acct, s->venue, s->symbol)) {
        s_emit_position(self, s->venue, s->symbol, k->ts_event, 0);
    }
}

void
paper_on_barrier(paper_t *self, const codec_sys_barrier_t *b)
{
    assert(self && b);
    if (b->step == 0) {
        s_emit_balance(self, b->ts_event, 0);
    }
}

const account_t *
paper_account(const paper_t *self)
{
    assert(self);
    return self->acct;
}

size_t
paper_working(const paper_t *self)
{
    assert(self);
    return self->n_work;
}

static void
s_status(void *impl, json_t *out)
{
    paper_t *self = impl;
    codec_exec_balance_t b;
    char eq[40] = "", wal[40] = "";
    if (account_balance(self->acct, self->name, 0, &b) == 0) {
        (void)money_fmt(b.equity, MONEY_VALUE_SCALE, eq, sizeof eq); /* cap 40 >= 32 */
        (void)money_fmt(b.wallet, MONEY_VALUE_SCALE, wal, sizeof wal);
    }
    /* json_object_set_new fails only on allocation failure; status is best effort */
    (void)json_object_set_new(out, "positions",
                              json_integer((json_int_t)account_open_positions(self->acct)));
    (void)json_object_set_new(out, "working", json_integer((json_int_t)self->n_work));
    (void)json_object_set_new(out, "equity", json_string(eq));
    (void)json_object_set_new(out, "wallet", json_string(wal));
}

void
paper_check(const paper_t *self)
{
    assert(self);
    for (size_t i = 0; i < self->n_work; i++) {
        assert(order_is_open(self->work[i]));
    }
    account_check(self->acct);
}

/* venue_ops_t adapters (impl is a paper_t *) */
static int
s_op_place(void *impl, order_t *o, const instr_t *in)
{
    return paper_place(impl, o, in);
}

static void
s_op_book(void *impl, const codec_md_book_t *b, int64_t origin)
{
    paper_on_book(impl, b, origin);
}

static void
s_op_trade(void *impl, const codec_md_trade_t *t, int64_t origin)
{
    paper_on_trade(impl, t, origin);
}

static void
s_op_kline(void *impl, const codec_md_kline_t *k, int64_t origin)
{
    paper_on_kline(impl, k, origin);
}

static void
s_op_barrier(void *impl, const codec_sys_barrier_t *b)
{
    paper_on_barrier(impl, b);
}

static void
s_op_destroy(void **impl_p)
{
    paper_t *p = *impl_p;
    paper_destroy(&p);
    *impl_p = NULL;
}

static const venue_ops_t k_paper_ops = {
    .name = "paper",
    .place = s_op_place,
    .on_book = s_op_book,
    .on_trade = s_op_trade,
    .on_kline = s_op_kline,
    .on_barrier = s_op_barrier,
    .status = s_status,
    .destroy = s_op_destroy,
};

const venue_ops_t *
paper_ops(void)
{
    return &k_paper_ops;
}
