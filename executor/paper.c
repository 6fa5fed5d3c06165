/*  paper.c - the paper venue (contract and fill rules: paper.h, docs/executor.md).
 *  Owns:  symbol states (fixed array, allocated with the venue), the working-order list (an
 *         array of entries that grows by doubling; the orders themselves belong to the orders
 *         table), the account.
 *  Why the book copy is depleted by our own fills: two market orders in one step must not
 *  both take the same displayed quantity; the next md.book replaces the copy anyway.
 *  Why an order is "matched first" only once (entry.live): time in force (IOC, FOK, PostOnly)
 *  is a rule about the moment the order reaches the book; after that a GTC/PostOnly limit is a
 *  resting maker order and only trades or book moves through its price fill it.
 *  Why working entries are addressed by index, never by pointer, while matching: a fill may
 *  create the attached TP/SL of its order, which appends to (and may move) the array.
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
#include "common/runid.h"

typedef __int128 s_i128;

#define S_MOD "paper"

/* Bybit rejectReason words (BYBIT_V5.md 2.6, 2.10), the start of the cancel reasons below */
#define S_POST_ONLY "EC_PostOnlyWillTakeLiquidity"

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    bool has_book;        /* an md.book was seen: market orders walk it */
    bool has_trade;       /* an md.trade was seen: "last" triggers follow trade prints */
    bool has_mark;        /* an md.ticker with a mark price was seen: "mark" triggers use it */
    bool has_kline;       /* an md.kline was seen: a bar-only symbol's orders match on bars */
    codec_md_book_t book; /* latest top levels, minus what we took since */
    int64_t mark_px;      /* account mark: latest trade / mid / kline close, px_scale of source */
    int64_t last_px;      /* latest trade price (0 = none) */
    int64_t ticker_mark;  /* latest md.ticker mark price (0 = none) */
    int64_t mid_px;       /* mid of the latest md.book (0 = none) */
    int64_t close_px;     /* close of the latest md.kline (0 = none) */
    order_t *tp, *sl;     /* the position's attached TP/SL (Untriggered children), or NULL */
    char why[CODEC_TEXT_MAX]; /* s_wait_reason's text */
} s_sym_t;

/* Where triggers of a symbol look (paper.h "Triggers"). */
typedef enum { S_SRC_TRADE, S_SRC_TICKER, S_SRC_BOOK, S_SRC_KLINE } s_src_t;

typedef struct {
    order_t *o;        /* borrowed from the orders table */
    int64_t active_ns; /* matched (or watching its trigger) from this event time on */
    bool live;         /* first match done: a resting limit */
} s_work_t;

struct paper {
    orders_t *orders; /* borrowed */
    venue_emit_fn *emit;
    void *emit_arg;
    char name[CODEC_VENUE_MAX];
    int64_t taker_fee, maker_fee, cap; /* VENUE_RATE_SCALE */
    paper_rules_t rules;
    account_t *acct;
    s_work_t *work; /* working orders */
    size_t n_work, cap_work;
    log_limit_t fail_limit;
    const int64_t *md_time; /* latest md event time of the executor (venue_cfg_t), or NULL */
    FILE *state;            /* persistence log (docs/executor.md "Paper persistence"), NULL = off */
    bool restoring;         /* replaying the log: no emits, no writes */
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

static int s_work_add(paper_t *self, order_t *o, int64_t active_ns);
static void s_work_compact(paper_t *self);
static ssize_t s_work_find(const paper_t *self, const order_t *o);
static int s_fill(paper_t *self, order_t *o, int64_t px, int64_t qty, bool maker, int64_t evt);
static void s_cancel(paper_t *self, order_t *o, const char *reason, int64_t evt);
static void s_trigger(paper_t *self, size_t wi, int64_t evt, int64_t active_ns, int64_t origin);

static int
s_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Replay the persistence log: orders (O), refusals (R), first matches (A), triggers (T),
 * fills (F), cancels (X), in their original order, through the same code paths with outputs
 * silenced. Attached TP/SL orders have no record of their own: they are born again from their
 * entry's fills. Returns records applied. */
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
        int maker, spot, k;
        order_t *o;
        if ((k = sscanf(line, "O %15s %d %16384s %lld", cat, &spot, hex, &a)) >= 3) {
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
                if (r.trigger_px > 0) {
                    (void)order_set_status(o, ORDER_UNTRIGGERED,
                                           NULL); /* New, cum 0: cannot fail */
                }
                /* records written before the activation time existed: the request's time */
                (void)s_work_add(self, o, k == 4 ? (int64_t)a : r.ts_event);
                n++;
            }
        } else if (sscanf(line, "A %47s", id) == 1 && line[0] == 'A') {
            o = orders_get(self->orders, id);
            ssize_t wi = o ? s_work_find(self, o) : -1;
            if (wi >= 0) {
                self->work[wi].live = true;
                n++;
            }
        } else if (sscanf(line, "T %47s %lld %lld", id, &e, &a) == 3) {
            o = orders_get(self->orders, id);
            ssize_t wi = o ? s_work_find(self, o) : -1;
            if (wi >= 0 && o->status == ORDER_UNTRIGGERED) {
                s_trigger(self, (size_t)wi, e, a, 0);
                n++;
            }
        } else if (sscanf(line, "R %47s %127[^\n]", id, reason) == 2) {
            o = orders_get(self->orders, id);
            /* refused at placement (trigger already reached): Untriggered -> New -> Rejected */
            if (o && order_set_status(o, ORDER_NEW, NULL) == 0 && order_reject(o, reason) == 0) {
                n++;
            }
        } else if (sscanf(line, "F %47s %lld %lld %d %lld", id, &a, &b, &maker, &e) == 5) {
            o = orders_get(self->orders, id);
            if (o && s_fill(self, o, a, b, maker != 0, e) == 0) {
                n++;
            }
        } else if (sscanf(line, "M %47s %lld", id, &a) == 2 && line[0] == 'M') {
            o = orders_get(self->orders, id);
            if (o && order_is_open(o) && a > 0) {
                o->req.trigger_px = (int64_t)a; /* a stop move of a held stop */
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

/* The run named by the state file's first line ("# run ID"), into id[cap] ("" = none: a file
 * from before run ids). */
static void
s_file_run(FILE *f, char *id, size_t cap)
{
    char line[128];
    id[0] = '\0';
    if (fgets(line, sizeof line, f) && strncmp(line, "# run ", 6) == 0) {
        line[strcspn(line, "\r\n")] = '\0';
        size_t n = strlen(line + 6);
        if (runid_valid(line + 6) && n < cap) {
            memcpy(id, line + 6, n + 1);
        }
    }
    rewind(f);
}

/* A replay starts fresh unless it resumes its own run: when the state file `*in` was written by
 * another run (or names none), it is closed (*in = NULL) and set aside as
 * "<path>.<its run id>" (".norun": before run ids), and the venue starts from nothing.
 * 0, or -1 with errno from rename (logged). */
static int
s_other_run(paper_t *self, const venue_cfg_t *cfg, FILE **in)
{
    (void)self;
    if (!cfg->fresh_other_runs || !cfg->run_id || !cfg->run_id[0]) {
        return 0;
    }
    char id[RUNID_MAX];
    s_file_run(*in, id, sizeof id);
    if (strcmp(id, cfg->run_id) == 0) {
        return 0; /* a restart within this run: restored */
    }
    fclose(*in);
    *in = NULL;
    char aside[600];
    int w = snprintf(aside, sizeof aside, "%s.%s", cfg->journal_path, id[0] ? id : "norun");
    for (int k = 2; w > 0 && (size_t)w < sizeof aside && access(aside, F_OK) == 0 && k < 100; k++) {
        w = snprintf(aside, sizeof aside, "%s.%s.%d", cfg->journal_path, id[0] ? id : "norun", k);
    }
    if (w < 0 || (size_t)w >= sizeof aside || rename(cfg->journal_path, aside) != 0) {
        int e = w < 0 || (size_t)w >= sizeof aside ? ENAMETOOLONG : errno;
        log_error(S_MOD, "cannot set aside the paper state %s of run %s: %s", cfg->journal_path,
                  id[0] ? id : "(none)", strerror(e));
        errno = e;
        return -1;
    }
    log_notice(S_MOD, "fresh start of run %s: the paper state %s is of run %s, set aside as %s",
               cfg->run_id, cfg->journal_path, id[0] ? id : "(before run ids)", aside);
    return 0;
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
    self->md_time = cfg->md_time;
    self->acct = account_new(cfg->asset ? cfg->asset : "USDT", cfg->start_balance);
    if (!self->acct) {
        int e = errno;
        free(self);
        errno = e;
        return NULL;
    }
    if (cfg->journal_path && cfg->journal_path[0]) {
        FILE *in = fopen(cfg->journal_path, "r");
        if (in && s_other_run(self, cfg, &in) != 0) {
            int e = errno;
            paper_destroy(&self);
            errno = e;
            return NULL;
        }
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
        /* a new file names the run writing it (a comment line: s_restore skips it) */
        if (cfg->run_id && cfg->run_id[0] && ftell(self->state) == 0) {
            s_log(self, "# run %s\n", cfg->run_id);
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

/* Signed position of venue+symbol (qty_scale), 0 when flat or never filled. */
static int64_t
s_pos_qty(const paper_t *self, const char *venue, const char *symbol)
{
    codec_exec_position_t pos;
    if (account_position(self->acct, venue, symbol, 0, &pos) == 0) {
        return pos.qty;
    }
    return 0;
}

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
    int64_t open = s_pos_qty(self, o->req.venue, o->req.symbol);
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

/* Create one attached close of the position of `s` (Bybit position TP/SL, Full mode): a
 * reduce-only market conditional order "<entry id>.s" (stop) or ".t" (target), Untriggered,
 * for the whole position (resized when it triggers). Long: stop falls to (2), target rises to
 * (1); short the other way. NULL (logged) when the id exists already or cannot be made. */
static order_t *
s_child(paper_t *self, const order_t *entry, int64_t pos, bool stop, int64_t trigger_px,
        int64_t evt)
{
    codec_risk_order_t r = entry->req;
    char id[CODEC_ID_MAX + 2];
    int n = snprintf(id, sizeof id, "%s.%c", entry->req.client_id, stop ? 's' : 't');
    if (n < 0 || n >= CODEC_ID_MAX) {
        return NULL; /* entry ids are <= 36 characters (exec.c): cannot happen */
    }
    memcpy(r.client_id, id, (size_t)n + 1);
    snprintf(r.intent, sizeof r.intent, "%s", stop ? "stop_loss" : "take_profit");
    r.side = pos > 0 ? -1 : 1;
    r.type = CODEC_ORD_MARKET;
    r.reduce_only = true;
    r.qty = pos > 0 ? pos : -pos;
    r.px = 0;
    r.sl_px = 0;
    r.tp_px = 0;
    r.ts_event = evt;
    r.ttl_ns = 0;
    r.tif[0] = '\0';
    r.trigger_px = trigger_px;
    r.trigger_dir = (int8_t)((pos > 0) == stop ? 2 : 1);
    order_t *o =
        orders_add(self->orders, &r, entry->category, entry->spot, entry->origin, self->name);
    if (!o) {
        char what[96];
        snprintf(what, sizeof what, "cannot hold the attached %s of %s: %s",
                 stop ? "stop loss" : "take profit", entry->req.client_id, strerror(errno));
        log_limited(&self->fail_limit, LOG_ERROR, S_MOD, what, NULL, 0);
        return NULL;
    }
    o->sent = true;
    (void)order_set_status(o, ORDER_UNTRIGGERED, NULL); /* New, cum 0: cannot fail */
    if (s_work_add(self, o, evt) < 0) {
        s_cancel(self, o, "out of memory", evt);
        return NULL;
    }
    s_emit_order(self, o, evt);
    return o;
}

/* After a fill of `o`: the position's attached TP/SL follow the position (Bybit: TP/SL in Full
 * mode belong to the position and are cancelled when it closes). Flat or flipped -> cancel
 * them; an entry carrying tp_px/sl_px that opened or added to the position -> hold them (the
 * new ones replace the old of the same kind), once per entry. */
static void
s_tpsl_after_fill(paper_t *self, order_t *o, int64_t evt)
{
    s_sym_t *s = s_sym(self, o->req.venue, o->req.symbol, true); /* restore: not seen yet */
    if (!s) {
        return;
    }
    int64_t pos = s_pos_qty(self, o->req.venue, o->req.symbol);
    order_t *kids[2] = { s->sl, s->tp };
    for (int i = 0; i < 2; i++) {
        order_t *c = kids[i];
        if (!c) {
            continue;
        }
        /* a child closes a position of the other side: flat or flipped ends it */
        bool keep = pos != 0 && (pos > 0 ? c->req.side < 0 : c->req.side > 0);
        if (!keep || !order_is_open(c)) {
            if (order_is_open(c)) {
                s_cancel(self, c,
                         pos == 0 ? "position closed: TP/SL cancelled"
                                  : "position flipped: TP/SL cancelled",
                         evt);
            }
            if (i == 0) {
                s->sl = NULL;
            } else {
                s->tp = NULL;
            }
        }
    }
    const codec_risk_order_t *r = &o->req;
    if (r->reduce_only || (r->sl_px <= 0 && r->tp_px <= 0) || pos == 0
        || (pos > 0) != (r->side > 0)) {
        return;
    }
    char id[CODEC_ID_MAX + 2];
    int n = snprintf(id, sizeof id, "%s.%c", r->client_id, r->sl_px > 0 ? 's' : 't');
    if (n < 0 || n >= CODEC_ID_MAX || orders_get(self->orders, id)) {
        return; /* made on an earlier fill of this entry */
    }
    if (r->sl_px > 0) {
        if (s->sl) {
            s_cancel(self, s->sl, "replaced by a newer stop loss", evt);
        }
        s->sl = s_child(self, o, pos, true, r->sl_px, evt);
    }
    if (r->tp_px > 0) {
        if (s->tp) {
            s_cancel(self, s->tp, "replaced by a newer take profit", evt);
        }
        s->tp = s_child(self, o, pos, false, r->tp_px, evt);
    }
}

/* One fill of `o` as asked: order table, account, then exec.fill, exec.order, exec.position,
 * exec.balance, then the position's attached TP/SL. 0, or -1 with errno (logged; the order is
 * left as the table has it). */
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
    s_tpsl_after_fill(self, o, evt);
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

/* Quantity `o` could take from the book copy now (limit 0 = market), bounded by the limit
 * price and the slippage cap: what s_take would fill, without filling (FOK). */
static int64_t
s_takeable(const paper_t *self, const order_t *o, const s_sym_t *s, int64_t limit)
{
    int side = o->req.side;
    const codec_level_t *lv = side > 0 ? s->book.asks : s->book.bids;
    uint32_t n = side > 0 ? s->book.n_asks : s->book.n_bids;
    int b = s_best(lv, n);
    int64_t sum = 0;
    if (b < 0) {
        return 0;
    }
    for (uint32_t i = (uint32_t)b; i < n && i < CODEC_LEVELS; i++) {
        if (lv[i].qty <= 0) {
            continue;
        }
        if ((limit > 0 && (side > 0 ? lv[i].px > limit : lv[i].px < limit))
            || !s_within_cap(self, side, lv[b].px, lv[i].px)) {
            break;
        }
        if (lv[i].qty >= INT64_MAX - sum) {
            return INT64_MAX;
        }
        sum += lv[i].qty;
    }
    return sum;
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
s_work_add(paper_t *self, order_t *o, int64_t active_ns)
{
    if (self->n_work == self->cap_work) {
        size_t cap = self->cap_work ? self->cap_work * 2 : 16;
        s_work_t *w = realloc(self->work, cap * sizeof *w);
        if (!w) {
            errno = ENOMEM;
            return -1;
        }
        self->work = w;
        self->cap_work = cap;
    }
    self->work[self->n_work++] = (s_work_t){ .o = o, .active_ns = active_ns, .live = false };
    return 0;
}

/* Index of `o` in the working list, or -1. */
static ssize_t
s_work_find(const paper_t *self, const order_t *o)
{
    for (size_t i = 0; i < self->n_work; i++) {
        if (self->work[i].o == o) {
            return (ssize_t)i;
        }
    }
    return -1;
}

/* Drop closed orders from the working list, keeping the order of the rest. */
static void
s_work_compact(paper_t *self)
{
    size_t j = 0;
    for (size_t i = 0; i < self->n_work; i++) {
        if (order_is_open(self->work[i].o)) {
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

static bool
s_tif(const order_t *o, const char *word)
{
    return strcmp(o->req.tif, word) == 0;
}

/* The first match becomes a resting maker order: journal it ("A") and, for an order that
 * was triggered, say it is New again (Bybit: Triggered -> New). */
static void
s_rest(paper_t *self, size_t wi, int64_t evt)
{
    order_t *o = self->work[wi].o;
    self->work[wi].live = true;
    s_log(self, "A %s\n", o->req.client_id);
    if (o->req.trigger_px > 0 && o->status == ORDER_NEW) {
        s_emit_order(self, o, evt);
    }
}

/* First match of working entry `wi` (New, not live) against the book copy of `s` at `evt`
 * (time in force, docs/executor.md "Paper fill rules"):
 *   market          walk the book within the slippage cap; the rest is cancelled
 *   limit GTC       take what crosses the limit (within the cap), rest as maker
 *   limit IOC       take what crosses, cancel the rest
 *   limit FOK       all of it crosses within limit and cap -> take it, else cancel all
 *   limit PostOnly  would take liquidity (buy: best ask <= limit; sell: best bid >= limit)
 *                   -> Cancelled "EC_PostOnlyWillTakeLiquidity", else rest as maker */
static void
s_first_book(paper_t *self, size_t wi, s_sym_t *s, int64_t evt)
{
    order_t *o = self->work[wi].o;
    bool limit = o->req.type == CODEC_ORD_LIMIT;
    int64_t lpx = limit ? o->req.px : 0;
    if (!s_book_scales_ok(s, o)) {
        s_cancel(self, o, "book scale differs from the order's", evt);
        return;
    }
    if (limit && s_tif(o, "PostOnly")) {
        int side = o->req.side;
        const codec_level_t *lv = side > 0 ? s->book.asks : s->book.bids;
        int bi = s_best(lv, side > 0 ? s->book.n_asks : s->book.n_bids);
        if (bi >= 0 && (side > 0 ? lv[bi].px <= lpx : lv[bi].px >= lpx)) {
            s_cancel(self, o, S_POST_ONLY, evt);
            return;
        }
        s_rest(self, wi, evt);
        return;
    }
    if (limit && s_tif(o, "FOK") && s_takeable(self, o, s, lpx) < order_leaves(o)) {
        s_cancel(self, o, "EC_CancelForNoFullFill: FOK cannot fill in full now", evt);
        return;
    }
    s_take(self, o, s, lpx, evt);
    if (!order_is_open(o)) {
        return;
    }
    if (!limit) {
        s_cancel(self, o,
                 o->cum_qty > 0 ? "book depth exhausted within slippage cap"
                                : "no liquidity within slippage cap",
                 evt);
    } else if (s_tif(o, "IOC") || s_tif(o, "FOK")) {
        s_cancel(self, o,
                 o->cum_qty > 0 ? "EC_CancelForNoFullFill: IOC rest cancelled"
                                : "EC_NoImmediateQtyToFill: IOC found nothing to take",
                 evt);
    } else {
        s_rest(self, wi, evt);
    }
}

/* Match every entry of `s` that is New, not live, and due (active_ns <= until) against the
 * book copy: the moment an order (after its latency, or after its trigger) reaches the book. */
static void
s_activate(paper_t *self, s_sym_t *s, int64_t until)
{
    if (!s->has_book) {
        return;
    }
    for (size_t i = 0; i < self->n_work; i++) {
        order_t *o = self->work[i].o;
        if (self->work[i].live || o->status == ORDER_UNTRIGGERED || !order_is_open(o)
            || self->work[i].active_ns > until || !s_same_sym(o, s)) {
            continue;
        }
        s_first_book(self, i, s, s_max64(s->book.ts_event, self->work[i].active_ns));
    }
}

/* The trigger source price of `s` now (paper.h "Triggers"), 0 if not known yet. */
static s_src_t
s_src(const paper_t *self, const s_sym_t *s)
{
    if (self->rules.trigger_by == PAPER_TRIGGER_MARK ? s->has_mark : s->has_trade) {
        return self->rules.trigger_by == PAPER_TRIGGER_MARK ? S_SRC_TICKER : S_SRC_TRADE;
    }
    return s->has_book ? S_SRC_BOOK : S_SRC_KLINE;
}

static int64_t
s_src_px(const paper_t *self, const s_sym_t *s)
{
    switch (s_src(self, s)) {
    case S_SRC_TRADE:
        return s->last_px;
    case S_SRC_TICKER:
        return s->ticker_mark;
    case S_SRC_BOOK:
        return s->mid_px;
    case S_SRC_KLINE:
    default:
        return s->close_px;
    }
}

/* Untriggered -> Triggered (published) -> New, waiting to reach the book at active_ns (the
 * trigger time; bar-only limits: the next kline). Journaled "T <id> <evt> <active_ns>". An
 * attached close is resized to the whole position first (Full mode). From here on the order's
 * outputs carry `origin`, the receive time of the market event that triggered it (0 = keep:
 * journal replay), not the entry's: its fill was caused by that event (tick -> fill). */
static void
s_trigger(paper_t *self, size_t wi, int64_t evt, int64_t active_ns, int64_t origin)
{
    order_t *o = self->work[wi].o;
    if (origin > 0) {
        o->origin = origin;
    }
    const s_sym_t *s = s_sym(self, o->req.venue, o->req.symbol, false);
    if (s && (s->sl == o || s->tp == o)) {
        int64_t pos = s_pos_qty(self, o->req.venue, o->req.symbol);
        int64_t aq = pos > 0 ? pos : -pos;
        if (aq > 0 && aq != o->req.qty) {
            (void)order_set_qty(o, aq); /* cum 0 < aq: cannot fail */
        }
    }
    if (order_set_status(o, ORDER_TRIGGERED, NULL) < 0) {
        return;
    }
    s_log(self, "T %s %lld %lld\n", o->req.client_id, (long long)evt, (long long)active_ns);
    s_emit_order(self, o, evt);
    (void)order_set_status(o, ORDER_NEW, NULL); /* Triggered, cum 0: cannot fail */
    self->work[wi].active_ns = active_ns;
    self->work[wi].live = false;
}

/* A price `px` of the trigger source of `s` at `evt`: trigger every Untriggered order of `s`
 * (same px_scale) active by then whose condition holds (direction 1: px >= trigger; 2: px <=
 * trigger), then let the triggered ones reach the book. */
static void
s_trigger_at(paper_t *self, s_sym_t *s, int64_t px, int32_t px_scale, int64_t evt, int64_t origin)
{
    bool any = false;
    for (size_t i = 0; i < self->n_work; i++) {
        order_t *o = self->work[i].o;
        if (o->status != ORDER_UNTRIGGERED || self->work[i].active_ns > evt || !s_same_sym(o, s)
            || px <= 0 || px_scale != o->req.px_scale) {
            continue;
        }
        bool hit = o->req.trigger_dir == 1 ? px >= o->req.trigger_px : px <= o->req.trigger_px;
        if (hit) {
            s_trigger(self, i, evt, evt, origin);
            any = true;
        }
    }
    if (any) {
        s_activate(self, s, evt);
    }
}

int
paper_set_rules(paper_t *self, const paper_rules_t *rules)
{
    assert(self && rules);
    if ((rules->trigger_by != PAPER_TRIGGER_LAST && rules->trigger_by != PAPER_TRIGGER_MARK)
        || rules->latency_ns < 0) {
        errno = EINVAL;
        return -1;
    }
    self->rules = *rules;
    return 0;
}

/* Why an order of `s` that has not reached the book yet waits (status "waiting", the log line
 * at placement). Static or `s`-owned text (s_sym_t keeps a buffer for it). */
static const char *
s_wait_reason(s_sym_t *s)
{
    if (!s->has_book && !s->has_kline) {
        snprintf(s->why, sizeof s->why,
                 "no market data for %s %s yet (no md.book, no md.kline): matched when the first "
                 "arrives",
                 s->venue, s->symbol);
    } else if (!s->has_book) {
        snprintf(s->why, sizeof s->why, "bar-only symbol %s %s: matched at the next md.kline",
                 s->venue, s->symbol);
    } else {
        snprintf(s->why, sizeof s->why, "reaches the book of %s %s at its active time (latency)",
                 s->venue, s->symbol);
    }
    return s->why;
}

/* Journal an accepted order: "O <category> <spot> <hex request> <active_ns>". */
static void
s_log_order(paper_t *self, const order_t *o, int64_t active_ns)
{
    if (!self->state || self->restoring) {
        return;
    }
    static uint8_t buf[CODEC_MSG_MAX];
    static char hex[2 * CODEC_MSG_MAX + 1];
    codec_env_t env;
    memset(&env, 0, sizeof env);
    env.v = CODEC_VERSION;
    env.origin = o->origin;
    env.evt = o->req.ts_event;
    size_t bl = 0;
    if (codec_encode(&env, CODEC_RISK_ORDER, &o->req, buf, sizeof buf, &bl) == 0) {
        for (size_t i = 0; i < bl; i++) {
            snprintf(hex + 2 * i, 3, "%02x", buf[i]);
        }
        s_log(self, "O %s %d %s %lld\n", o->category[0] ? o->category : "-", o->spot ? 1 : 0, hex,
              (long long)active_ns);
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
    int64_t lat = self->rules.latency_ns;
    int64_t active = t > INT64_MAX - lat ? INT64_MAX : t + lat;
    s_sym_t *s = s_sym(self, o->req.venue, o->req.symbol, true);
    s_log_order(self, o, active);
    if (o->req.trigger_px > 0 && s) {
        /* Bybit refuses a trigger already reached (110092 rising, 110093 falling) */
        int64_t cur = s_src_px(self, s);
        bool up = o->req.trigger_dir == 1;
        if (cur > 0 && (up ? o->req.trigger_px <= cur : o->req.trigger_px >= cur)) {
            (void)order_reject(o, up ? "trigger direction 1 (rise) but trigger price <= "
                                       "current price (Bybit 110092)"
                                     : "trigger direction 2 (fall) but trigger price >= "
                                       "current price (Bybit 110093)");
            s_log(self, "R %s %s\n", o->req.client_id, o->reject_reason);
            s_emit_order(self, o, t);
            errno = EINVAL;
            return -1;
        }
    }
    if (o->req.trigger_px > 0) {
        (void)order_set_status(o, ORDER_UNTRIGGERED, NULL); /* New, cum 0: cannot fail */
    }
    s_emit_order(self, o, t);
    if (!s) {
        s_cancel(self, o, "too many symbols", t);
        errno = ENOSPC;
        return -1;
    }
    if (s->has_book && !s_book_scales_ok(s, o)) {
        s_cancel(self, o, "book scale differs from the order's", t);
        errno = EINVAL;
        return -1;
    }
    if (s_work_add(self, o, active) < 0) {
        s_cancel(self, o, "out of memory", t);
        return -1;
    }
    if (o->req.trigger_px == 0 && active == t && s->has_book) {
        s_first_book(self, self->n_work - 1, s, s_max64(s->book.ts_event, t));
    }
    if (o->req.trigger_px == 0 && !s->has_book && !s->has_kline) {
        /* once per order: it waits, and a person should know on what (status says it too) */
        log_notice(S_MOD, "order %s waits: %s", o->req.client_id, s_wait_reason(s));
    }
    s_work_compact(self);
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
    /* outputs carry the order's origin (a triggered order's: the event that triggered it) */
    s_sym_t *s = s_sym(self, b->venue, b->symbol, true);
    if (!s) {
        return;
    }
    if (s->has_book && b->ts_event > INT64_MIN) {
        s_activate(self, s, b->ts_event - 1); /* due before this update: the book they saw */
    }
    s->book = *b;
    s->has_book = true;
    s->mid_px = s_mid(b);
    s_mark(self, s, s->mid_px);
    if (s_src(self, s) == S_SRC_BOOK) {
        s_trigger_at(self, s, s->mid_px, b->px_scale, b->ts_event, origin);
    }
    s_activate(self, s, b->ts_event);
    for (size_t i = 0; i < self->n_work; i++) {
        order_t *o = self->work[i].o;
        if (!order_is_open(o) || !s_same_sym(o, s) || !self->work[i].live) {
            continue;
        }
        int64_t evt = s_max64(b->ts_event, o->req.ts_event);
        if (!s_book_scales_ok(s, o)) {
            s_cancel(self, o, "book scale differs from the order's", evt);
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
    s_sym_t *s = s_sym(self, t->venue, t->symbol, true);
    if (!s) {
        return;
    }
    s->has_trade = true;
    s->last_px = t->px;
    s_mark(self, s, t->px);
    s_activate(self, s, t->ts_event);
    if (s_src(self, s) == S_SRC_TRADE) {
        s_trigger_at(self, s, t->px, t->px_scale, t->ts_event, origin);
    }
    for (size_t i = 0; i < self->n_work; i++) {
        order_t *o = self->work[i].o;
        if (!order_is_open(o) || !s_same_sym(o, s) || !self->work[i].live
            || o->req.type != CODEC_ORD_LIMIT || t->ts_event < self->work[i].active_ns
            || t->px_scale != o->req.px_scale) {
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
paper_on_ticker(paper_t *self, const codec_md_ticker_t *t, int64_t origin)
{
    assert(self && t);
    s_sym_t *s = s_sym(self, t->venue, t->symbol, true);
    if (!s) {
        return;
    }
    if (t->mark_px > 0) {
        s->has_mark = true;
        s->ticker_mark = t->mark_px;
    }
    s_activate(self, s, t->ts_event);
    if (s_src(self, s) == S_SRC_TICKER) {
        s_trigger_at(self, s, t->mark_px, t->px_scale, t->ts_event, origin);
    }
    s_work_compact(self);
}

/* Bar-only symbols: the first kline an order sees (start >= its active time), time in force:
 * a limit the open goes through fills at the open as taker (PostOnly: cancelled instead);
 * otherwise IOC/FOK are cancelled and GTC/PostOnly rest, then fill at the limit as maker if
 * the bar trades through it (buy: low < limit; sell: high > limit). */
static void
s_first_kline(paper_t *self, size_t wi, const codec_md_kline_t *k)
{
    order_t *o = self->work[wi].o;
    int side = o->req.side;
    int64_t px = o->req.px;
    if (side > 0 ? k->open <= px : k->open >= px) {
        if (s_tif(o, "PostOnly")) {
            s_cancel(self, o, S_POST_ONLY, k->start_ns);
        } else {
            (void)s_fill(self, o, k->open, order_leaves(o), false, k->start_ns);
        }
        return;
    }
    if (s_tif(o, "IOC") || s_tif(o, "FOK")) {
        s_cancel(self, o, "EC_NoImmediateQtyToFill: IOC found nothing to take", k->start_ns);
        return;
    }
    s_rest(self, wi, k->start_ns);
    if (side > 0 ? k->low < px : k->high > px) {
        (void)s_fill(self, o, px, order_leaves(o), true, k->ts_event);
    }
}

/* Bar-only trigger rule: an Untriggered order of `s` whose activation time is <= the kline's
 * start triggers when the bar's range reaches its price (direction 1: high >= trigger; 2: low
 * <= trigger). A market order then fills in full at the trigger price at the kline's event
 * time, or at the open (event time = start) if the bar opened beyond the trigger (a gap); a
 * limit order reaches the book at the next kline (its path inside this bar is unknown). */
static void
s_trigger_kline(paper_t *self, const s_sym_t *s, const codec_md_kline_t *k, int64_t origin)
{
    for (size_t i = 0; i < self->n_work; i++) {
        order_t *o = self->work[i].o;
        if (o->status != ORDER_UNTRIGGERED || !s_same_sym(o, s)
            || k->start_ns < self->work[i].active_ns || k->px_scale != o->req.px_scale) {
            continue;
        }
        bool up = o->req.trigger_dir == 1;
        int64_t tp = o->req.trigger_px;
        if (!(up ? k->high >= tp : k->low <= tp)) {
            continue;
        }
        if (o->req.type == CODEC_ORD_LIMIT) {
            s_trigger(self, i, k->ts_event, k->end_ns, origin);
            continue;
        }
        bool gap = up ? k->open >= tp : k->open <= tp;
        int64_t px = gap ? k->open : tp;
        int64_t evt = gap ? k->start_ns : k->ts_event;
        s_trigger(self, i, evt, evt, origin);
        o = self->work[i].o;
        (void)s_fill(self, o, px, order_leaves(o), false, evt); /* logged inside */
    }
}

void
paper_on_kline(paper_t *self, const codec_md_kline_t *k, int64_t origin)
{
    assert(self && k);
    s_sym_t *s = s_sym(self, k->venue, k->symbol, true);
    if (!s) {
        return;
    }
    if (!s->has_book) {
        for (size_t i = 0; i < self->n_work; i++) {
            order_t *o = self->work[i].o;
            if (!order_is_open(o) || !s_same_sym(o, s) || o->status == ORDER_UNTRIGGERED
                || k->start_ns < self->work[i].active_ns) {
                continue;
            }
            if (k->px_scale != o->req.px_scale) {
                s_cancel(self, o, "kline scale differs from the order's", k->start_ns);
                continue;
            }
            if (!self->work[i].live && o->req.trigger_px == 0 && o->req.ttl_ns > 0
                && k->start_ns - o->req.ttl_ns > o->req.ts_event) {
                s_cancel(self, o, "expired", k->start_ns);
                continue;
            }
            int side = o->req.side;
            int64_t px = o->req.px;
            if (o->req.type != CODEC_ORD_LIMIT) {
                (void)s_fill(self, o, k->open, order_leaves(o), false, k->start_ns);
            } else if (!self->work[i].live) {
                s_first_kline(self, i, k);
            } else if (side > 0 ? k->open <= px : k->open >= px) {
                (void)s_fill(self, o, k->open, order_leaves(o), false, k->start_ns);
            } else if (side > 0 ? k->low < px : k->high > px) {
                (void)s_fill(self, o, px, order_leaves(o), true, k->ts_event);
            }
        }
        if (s_src(self, s) == S_SRC_KLINE) {
            s_trigger_kline(self, s, k, origin);
        }
        s_work_compact(self);
    }
    s->has_kline = true;
    s->close_px = k->close;
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
        /* the paper venue is always "running": said once, on the hello step, so a replay
         * writes the same stream (risk acts on exec.status, docs/executor.md) */
        codec_md_status_t m;
        char topic[sizeof "exec.status." + CODEC_VENUE_MAX];
        memset(&m, 0, sizeof m);
        snprintf(m.venue, sizeof m.venue, "%s", self->name);
        snprintf(m.state, sizeof m.state, "running");
        m.ts_event = b->ts_event;
        snprintf(topic, sizeof topic, "exec.status.%s", self->name);
        self->emit(topic, CODEC_MD_STATUS, &m, b->ts_event, 0, self->emit_arg);
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

size_t
paper_untriggered(const paper_t *self)
{
    assert(self);
    size_t n = 0;
    for (size_t i = 0; i < self->n_work; i++) {
        n += self->work[i].o->status == ORDER_UNTRIGGERED ? 1 : 0;
    }
    return n;
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
    (void)json_object_set_new(out, "untriggered",
                              json_integer((json_int_t)paper_untriggered(self)));
    (void)json_object_set_new(out, "equity", json_string(eq));
    (void)json_object_set_new(out, "wallet", json_string(wal));
    /* orders that have not reached the book yet, with why (a market order on a symbol without
     * market data would otherwise wait without a word) */
    json_t *wait = json_array();
    for (size_t i = 0; wait && i < self->n_work; i++) {
        const order_t *o = self->work[i].o;
        s_sym_t *s = s_sym(self, o->req.venue, o->req.symbol, false);
        if (self->work[i].live || o->status == ORDER_UNTRIGGERED || !s) {
            continue;
        }
        (void)json_array_append_new(wait,
                                    json_pack("{s:s, s:s, s:s}", "client_id", o->req.client_id,
                                              "symbol", o->req.symbol, "reason", s_wait_reason(s)));
    }
    (void)json_object_set_new(out, "waiting", wait ? wait : json_null());
}

/* ---- operator commands ------------------------------------------------------------------ */

/* Event time of an operator cancel of `o`: the latest market event time the executor has seen,
 * never before the order's own time (no clock read: replays stay exact). */
static int64_t
s_ctl_time(const paper_t *self, const order_t *o)
{
    int64_t md = self->md_time ? *self->md_time : 0;
    return s_max64(md, o->req.ts_event);
}

int
paper_cancel(paper_t *self, const char *client_id)
{
    assert(self && client_id);
    order_t *o = orders_get(self->orders, client_id);
    if (!o) {
        errno = ENOENT;
        return -1;
    }
    /* working here, or accepted by the executor and not handed over yet (replay: it waits in
     * the step for the next barrier; exec.c skips it then) */
    ssize_t wi = s_work_find(self, o);
    if (!order_is_open(o) || (wi < 0 && o->sent)) {
        errno = EALREADY;
        return -1;
    }
    s_cancel(self, o, PAPER_CANCEL_REASON, s_ctl_time(self, o));
    s_work_compact(self);
    return 0;
}

size_t
paper_cancel_all(paper_t *self, const char *symbol)
{
    assert(self);
    size_t n = 0;
    for (size_t i = 0; i < self->n_work; i++) {
        order_t *o = self->work[i].o;
        if (!order_is_open(o) || (symbol && strcmp(o->req.symbol, symbol) != 0)) {
            continue;
        }
        s_cancel(self, o, PAPER_CANCEL_REASON, s_ctl_time(self, o));
        n++;
    }
    s_work_compact(self);
    /* accepted and not handed over yet (replay: waiting in the step), as paper_cancel does */
    order_t *un[256];
    size_t k = orders_unsent(self->orders, un, sizeof un / sizeof un[0]);
    for (size_t i = 0; i < k && i < sizeof un / sizeof un[0]; i++) {
        if (!symbol || strcmp(un[i]->req.symbol, symbol) == 0) {
            s_cancel(self, un[i], PAPER_CANCEL_REASON, s_ctl_time(self, un[i]));
            n++;
        }
    }
    return n;
}

/* venue_ops_t.move_stop: re-price the position's held stop ("<entry id>.s", Untriggered) to
 * r->sl_px, journaled "M <id> <px>". The price is compared from the next price of the trigger
 * source on (a stop already crossed triggers then, as a held stop does). */
static int
s_op_move_stop(void *impl, const codec_risk_order_t *r, int64_t origin)
{
    (void)origin;
    paper_t *self = impl;
    s_sym_t *s = s_sym(self, r->venue, r->symbol, false);
    order_t *c = s ? s->sl : NULL;
    if (!c || c->status != ORDER_UNTRIGGERED) {
        log_info(S_MOD, "stop move %s: no held stop for %s %s", r->client_id, r->venue, r->symbol);
        errno = ENOENT;
        return -1;
    }
    if (r->px_scale != c->req.px_scale) {
        errno = EINVAL;
        return -1;
    }
    if (c->req.trigger_px == r->sl_px) {
        return 0; /* already there (a repeat after a restart of risk) */
    }
    char from[32], to[32];
    (void)money_fmt(c->req.trigger_px, c->req.px_scale, from, sizeof from);
    (void)money_fmt(r->sl_px, r->px_scale, to, sizeof to);
    log_info(S_MOD, "stop move %s: held stop %s of %s %s from %s to %s", r->client_id,
             c->req.client_id, r->venue, r->symbol, from, to);
    c->req.trigger_px = r->sl_px;
    s_log(self, "M %s %lld\n", c->req.client_id, (long long)r->sl_px);
    return 0;
}

/* venue_ops_t.control: "cancel ID", "cancel-all [SYMBOL]" (docs/executor.md). */
static int
s_control(void *impl, const char *cmd, json_t *reply)
{
    paper_t *self = impl;
    char word[32] = "", a1[CODEC_ID_MAX] = "";
    int n = sscanf(cmd, "%31s %47s", word, a1);
    if (strcmp(word, "cancel-all") == 0) {
        size_t k = paper_cancel_all(self, n >= 2 ? a1 : NULL);
        log_notice(S_MOD, "operator cancel-all%s%s: %zu orders cancelled", n >= 2 ? " " : "",
                   n >= 2 ? a1 : "", k);
        (void)json_object_set_new(reply, "ok", json_true());
        (void)json_object_set_new(reply, "cancelled", json_integer((json_int_t)k));
        return 0;
    }
    if (strcmp(word, "cancel") != 0) {
        return -1;
    }
    if (n < 2) {
        (void)json_object_set_new(reply, "ok", json_false());
        (void)json_object_set_new(reply, "error", json_string("usage: cancel CLIENT_ID"));
        return 0;
    }
    if (paper_cancel(self, a1) != 0) {
        const order_t *o = orders_get(self->orders, a1);
        char why[CODEC_TEXT_MAX];
        if (errno == ENOENT) {
            snprintf(why, sizeof why, "unknown client id %s", a1);
        } else {
            snprintf(why, sizeof why, "order %s is %s: nothing to cancel", a1,
                     o ? order_status_name(o->status) : "closed");
        }
        (void)json_object_set_new(reply, "ok", json_false());
        (void)json_object_set_new(reply, "error", json_string(why));
        return 0;
    }
    log_notice(S_MOD, "operator cancel: %s cancelled", a1);
    (void)json_object_set_new(reply, "ok", json_true());
    (void)json_object_set_new(reply, "client_id", json_string(a1));
    (void)json_object_set_new(reply, "status", json_string("Cancelled"));
    return 0;
}

void
paper_check(const paper_t *self)
{
    assert(self);
    for (size_t i = 0; i < self->n_work; i++) {
        const order_t *o = self->work[i].o;
        assert(order_is_open(o));
        assert(o->status != ORDER_UNTRIGGERED
               || (o->req.trigger_px > 0 && (o->req.trigger_dir == 1 || o->req.trigger_dir == 2)));
        assert(!self->work[i].live || o->req.type == CODEC_ORD_LIMIT);
    }
    for (size_t i = 0; i < self->n_sym; i++) {
        const order_t *kids[2] = { self->sym[i].sl, self->sym[i].tp };
        for (int j = 0; j < 2; j++) {
            assert(!kids[j] || kids[j]->req.reduce_only);
        }
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
s_op_ticker(void *impl, const codec_md_ticker_t *t, int64_t origin)
{
    paper_on_ticker(impl, t, origin);
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
    .on_ticker = s_op_ticker,
    .on_barrier = s_op_barrier,
    .status = s_status,
    .destroy = s_op_destroy,
    .control = s_control,
    .move_stop = s_op_move_stop,
};

const venue_ops_t *
paper_ops(void)
{
    return &k_paper_ops;
}
