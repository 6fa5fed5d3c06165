/*  writer.c - batched SQLite writer of bus messages (see writer.h for the contract).
 *  Owns:  db handle, prepared statements, the pending arena (records + copied bytes), a
 *         decode scratch body and a JSON scratch buffer.
 *  Not:   sockets, timers, ordering.
 *  Design: messages are copied into the arena on arrival and written only at commit time, so a
 *  failed transaction can be rolled back and retried with the same data (nothing is lost to a
 *  locked or full database until the pending cap is reached).
 */
#include "recorder/writer.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/codec.h"
#include "common/log.h"
#include "common/money.h"
#include "common/runid.h"
#include "recorder/schema.h"

#define WRITER_JSON_MAX (64 * 1024) /* body JSON scratch; a CODEC_MSG_MAX body fits easily */
#define WRITER_BUSY_MS  20          /* short: a locked database must not stall the loop */

typedef enum { S_REC_MSG = 0, S_REC_GAP } s_rec_kind_t;

typedef struct {
    s_rec_kind_t kind;
    codec_type_t type;
    char topic[BUS_TOPIC_MAX];
    codec_env_t env; /* for a gap: src, epoch, seq = first missing */
    uint64_t gap_to; /* gap: last missing seq */
    int64_t recv_ns; /* wall clock */
    size_t off, len; /* message bytes in the arena */
} s_rec_t;

enum {
    S_ST_EVENTS = 0,
    S_ST_TRADES,
    S_ST_BOOK,
    S_ST_CANDLES,
    S_ST_SIGNALS,
    S_ST_ORDERS,
    S_ST_FILLS,
    S_ST_POSITIONS,
    S_ST_BALANCES,
    S_ST_RISK,
    S_ST_ALERTS,
    S_ST_STATUS,
    S_ST_GAPS,
    S_ST_INDICATORS,
    S_ST_RUN_EVT,
    S_ST_BEGIN,
    S_ST_COMMIT,
    S_ST_ROLLBACK,
    S_ST_COUNT
};

/* Column order here is the binding order in the s_ins_* functions. */
static const char *const k_sql[S_ST_COUNT] = {
    [S_ST_EVENTS] = "INSERT INTO events(topic,type,src,epoch,seq,ts,origin,evt,body,recv_ts,run_id)"
                    " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
    [S_ST_TRADES] = "INSERT INTO trades(event_id,venue,symbol,evt,ts_recv,px,px_m,qty,qty_m,"
                    "px_scale,qty_scale,side,trade_id,run_id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [S_ST_BOOK] = "INSERT INTO book_top(event_id,venue,symbol,evt,bid_px,bid_px_m,bid_qty,"
                  "bid_qty_m,ask_px,ask_px_m,ask_qty,ask_qty_m,px_scale,qty_scale,update_id,"
                  "snapshot,n_bids,n_asks,run_id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [S_ST_CANDLES] = "INSERT INTO candles(event_id,topic_kind,source,venue,symbol,tf_s,start_ns,"
                     "end_ns,evt,open,open_m,high,high_m,low,low_m,close,close_m,volume,"
                     "volume_m,px_scale,qty_scale,quote_volume,quote_volume_m,trades,run_id)"
                     " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [S_ST_SIGNALS] = "INSERT INTO signals(event_id,strategy,venue,symbol,side,confidence,"
                     "ref_px,ref_px_m,sl_px,sl_px_m,tp_px,tp_px_m,px_scale,evt,reason,run_id)"
                     " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [S_ST_ORDERS] = "INSERT INTO orders(event_id,client_id,order_id,venue,symbol,side,type,"
                    "status,qty,qty_m,px,px_m,cum_qty,cum_qty_m,avg_px,avg_px_m,fee,fee_m,"
                    "px_scale,qty_scale,reduce_only,reject_reason,evt,run_id)"
                    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [S_ST_FILLS] = "INSERT INTO fills(event_id,fill_id,client_id,order_id,venue,symbol,side,"
                   "px,px_m,qty,qty_m,fee,fee_m,realized_pnl,realized_pnl_m,px_scale,qty_scale,"
                   "maker,evt,run_id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [S_ST_POSITIONS] = "INSERT INTO positions(event_id,venue,symbol,qty,qty_m,entry_px,"
                       "entry_px_m,mark_px,mark_px_m,realized_pnl,realized_pnl_m,"
                       "unrealized_pnl,unrealized_pnl_m,px_scale,qty_scale,evt,run_id)"
                       " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [S_ST_BALANCES] = "INSERT INTO balances(event_id,venue,asset,wallet,wallet_m,available,"
                      "available_m,equity,equity_m,fees,fees_m,evt,run_id)"
                      " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [S_ST_RISK] = "INSERT INTO risk_events(event_id,topic,client_id,state,reason,evt,body,run_id)"
                  " VALUES(?,?,?,?,?,?,?,?)",
    [S_ST_ALERTS] = "INSERT INTO alerts(event_id,level,code,text,evt,run_id) VALUES(?,?,?,?,?,?)",
    [S_ST_STATUS] = "INSERT INTO status(event_id,venue,symbol,state,reason,evt,run_id)"
                    " VALUES(?,?,?,?,?,?,?)",
    [S_ST_GAPS] =
        "INSERT INTO gaps(src,epoch,from_seq,to_seq,missing,ts,run_id) VALUES(?,?,?,?,?,?,?)",
    [S_ST_INDICATORS] = "INSERT INTO indicators(event_id,venue,symbol,tf_s,evt,name,value,run_id)"
                        " VALUES(?,?,?,?,?,?,?,?)",
    [S_ST_RUN_EVT] = "UPDATE runs SET first_evt = min(coalesce(first_evt, ?1), ?1),"
                     " last_evt = max(coalesce(last_evt, ?2), ?2) WHERE run_id = ?3",
    [S_ST_BEGIN] = "BEGIN IMMEDIATE",
    [S_ST_COMMIT] = "COMMIT",
    [S_ST_ROLLBACK] = "ROLLBACK",
};

/* A publisher (src, epoch) that has rows of this run from before the recorder started: the
 * first message received from it after the start is compared with the last seq stored. */
typedef struct {
    char src[CODEC_SRC_MAX];
    int64_t epoch;
    uint64_t last_seq;
    bool seen; /* its first message since the start was checked */
} s_resume_t;

struct writer {
    char *path;
    sqlite3 *db;
    sqlite3_stmt *st[S_ST_COUNT];
    size_t batch_max;
    int64_t batch_ns;
    int64_t batch_start_mono; /* 0 = nothing pending */
    bool failing;             /* last commit failed: retry only from writer_tick */
    int64_t last_try_mono;    /* when writer_tick last retried a failing batch */
    s_rec_t *recs;
    size_t n_recs, cap_recs, n_msgs;
    uint8_t *arena;
    size_t arena_len, arena_cap;
    writer_stats_t stats;
    codec_body_t body; /* decode scratch */
    char json[WRITER_JSON_MAX];
    log_limit_t db_limit, bad_limit, drop_limit;
    char run_id[RUNID_MAX]; /* "" until writer_begin_run: rows get run_id NULL */
    s_resume_t *resume;     /* last seq stored per (src, epoch) of this run at start */
    size_t n_resume;
    int64_t b_first, b_last; /* event time range of the batch being written (0 = none) */
};

/* ---- binding helpers: a cursor over one statement's parameters ---------------------------- */

typedef struct {
    sqlite3_stmt *st;
    int i;           /* next parameter index (1-based) */
    int rc;          /* first failure, SQLITE_OK if none */
    const char *run; /* bound last, by s_b_run: every statement's last parameter is run_id */
} s_bind_t;

static void
s_b_begin(s_bind_t *b, const char *run, sqlite3_stmt *st)
{
    b->st = st;
    b->run = run[0] ? run : NULL;
    b->i = 1;
    b->rc = sqlite3_reset(st);
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_clear_bindings(st);
    }
}

static void
s_b_int(s_bind_t *b, int64_t v)
{
    int rc = sqlite3_bind_int64(b->st, b->i++, v);
    if (b->rc == SQLITE_OK) {
        b->rc = rc;
    }
}

static void
s_b_text(s_bind_t *b, const char *s)
{
    int rc = sqlite3_bind_text(b->st, b->i++, s, -1, SQLITE_TRANSIENT);
    if (b->rc == SQLITE_OK) {
        b->rc = rc;
    }
}

/* Empty string -> NULL (ids and reasons that the message did not carry). */
static void
s_b_text0(s_bind_t *b, const char *s)
{
    if (s == NULL || s[0] == '\0') {
        int rc = sqlite3_bind_null(b->st, b->i++);
        if (b->rc == SQLITE_OK) {
            b->rc = rc;
        }
        return;
    }
    s_b_text(b, s);
}

static void
s_b_double(s_bind_t *b, double v)
{
    int rc = sqlite3_bind_double(b->st, b->i++, v);
    if (b->rc == SQLITE_OK) {
        b->rc = rc;
    }
}

/* A money pair: decimal TEXT at `scale` (money_fmt), then the INTEGER mantissa. A scale the
 * formatter refuses (bad message) leaves the TEXT NULL but keeps the mantissa. */
static void
s_b_money(s_bind_t *b, int64_t m, int scale)
{
    char buf[48];
    if (scale >= 0 && scale <= MONEY_MAX_SCALE && money_fmt(m, scale, buf, sizeof buf) >= 0) {
        s_b_text(b, buf);
    } else {
        s_b_text0(b, NULL);
    }
    s_b_int(b, m);
}

/* Money pair that is NULL when absent (m == 0 means "none" for sl/tp/ref prices). */
static void
s_b_money_opt(s_bind_t *b, int64_t m, int scale, bool present)
{
    if (!present) {
        s_b_text0(b, NULL);
        s_b_text0(b, NULL);
        return;
    }
    s_b_money(b, m, scale);
}

static const char *
s_side(int8_t side)
{
    return side > 0 ? "buy" : side < 0 ? "sell" : NULL;
}

/* Run the bound statement. */
static int
s_b_run(s_bind_t *b, uint64_t *rows)
{
    s_b_text0(b, b->run);
    if (b->rc != SQLITE_OK) {
        return -1;
    }
    b->rc = sqlite3_step(b->st);
    if (b->rc != SQLITE_DONE) {
        return -1;
    }
    b->rc = SQLITE_OK;
    (*rows)++;
    return 0;
}

/* ---- construction ------------------------------------------------------------------------ */

writer_t *
writer_new(const char *path, size_t batch_max, int64_t batch_ms)
{
    writer_t *self = NULL;

    if (path == NULL || path[0] == '\0' || batch_max == 0 || batch_ms <= 0
        || batch_max > SIZE_MAX / WRITER_PENDING_FACTOR / sizeof(s_rec_t)) {
        errno = EINVAL;
        return NULL;
    }
    self = calloc(1, sizeof *self);
    if (self == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    self->batch_max = batch_max;
    self->batch_ns = batch_ms * CLOCK_NS_PER_MS;
    self->path = strdup(path);
    if (self->path == NULL) {
        errno = ENOMEM;
        goto fail;
    }
    self->db = schema_open(path, WRITER_BUSY_MS);
    if (self->db == NULL) {
        goto fail;
    }
    for (int i = 0; i < S_ST_COUNT; i++) {
        if (sqlite3_prepare_v3(self->db, k_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &self->st[i],
                               NULL)
            != SQLITE_OK) {
            log_error("writer", "cannot prepare statement %d on %s: %s", i, path,
                      sqlite3_errmsg(self->db));
            errno = EIO;
            goto fail;
        }
    }
    return self;
fail : {
    int e = errno;
    writer_destroy(&self);
    errno = e;
    return NULL;
}
}

void
writer_destroy(writer_t **self_p)
{
    assert(self_p);
    writer_t *self = *self_p;
    if (self == NULL) {
        return;
    }
    if (self->db != NULL && self->n_recs > 0) {
        if (writer_commit(self) < 0) {
            log_error("writer", "lost %zu pending records: final commit to %s failed", self->n_recs,
                      self->path);
        }
    }
    for (int i = 0; i < S_ST_COUNT; i++) {
        sqlite3_finalize(self->st[i]); /* NULL is harmless */
    }
    if (self->db != NULL && sqlite3_close(self->db) != SQLITE_OK) {
        log_error("writer", "cannot close %s: %s", self->path, sqlite3_errmsg(self->db));
    }
    free(self->resume);
    free(self->recs);
    free(self->arena);
    free(self->path);
    free(self);
    *self_p = NULL;
}

/* ---- queueing ---------------------------------------------------------------------------- */

static s_rec_t *
s_new_rec(writer_t *self, size_t bytes, int64_t now_mono_ns)
{
    if (self->n_recs >= self->batch_max * WRITER_PENDING_FACTOR) {
        errno = ENOBUFS;
        return NULL;
    }
    if (self->n_recs == self->cap_recs) {
        size_t cap = self->cap_recs ? self->cap_recs * 2 : 1024;
        s_rec_t *r = realloc(self->recs, cap * sizeof *r);
        if (r == NULL) {
            errno = ENOMEM;
            return NULL;
        }
        self->recs = r;
        self->cap_recs = cap;
    }
    if (bytes > SIZE_MAX / 2 - self->arena_len) {
        errno = ENOMEM;
        return NULL;
    }
    if (self->arena_len + bytes > self->arena_cap) {
        size_t cap = self->arena_cap ? self->arena_cap : 256 * 1024;
        while (cap < self->arena_len + bytes) {
            cap *= 2;
        }
        uint8_t *a = realloc(self->arena, cap);
        if (a == NULL) {
            errno = ENOMEM;
            return NULL;
        }
        self->arena = a;
        self->arena_cap = cap;
    }
    s_rec_t *rec = &self->recs[self->n_recs++];
    memset(rec, 0, sizeof *rec);
    rec->off = self->arena_len;
    rec->len = bytes;
    self->arena_len += bytes;
    if (self->batch_start_mono == 0) {
        /* 0 marks "nothing pending"; a real monotonic clock is never 0 after boot */
        self->batch_start_mono = now_mono_ns != 0 ? now_mono_ns : 1;
    }
    self->stats.pending = self->n_recs;
    return rec;
}

int
writer_add(writer_t *self, const bus_msg_t *msg, int64_t recv_ns, int64_t now_mono_ns)
{
    assert(self);
    assert(msg);
    s_rec_t *rec = s_new_rec(self, msg->len, now_mono_ns);
    if (rec == NULL) {
        if (errno == ENOBUFS) {
            self->stats.dropped++;
            log_limited(&self->drop_limit, LOG_ERROR, "writer",
                        "dropping messages: database keeps failing and the batch is full",
                        msg->topic, strlen(msg->topic));
        }
        return -1;
    }
    rec->kind = S_REC_MSG;
    rec->type = msg->type;
    (void)snprintf(rec->topic, sizeof rec->topic, "%s", msg->topic);
    rec->env = msg->env;
    rec->recv_ns = recv_ns;
    if (msg->len > 0) {
        memcpy(self->arena + rec->off, msg->data, msg->len);
    }
    self->n_msgs++;
    if (self->n_msgs >= self->batch_max && !self->failing) {
        (void)writer_commit(self); /* failure is counted and logged; batch kept for a retry */
    }
    return 0;
}

int
writer_add_gap(writer_t *self, const char *src, int64_t epoch, uint64_t from_seq, uint64_t to_seq,
               int64_t ts_ns, int64_t now_mono_ns)
{
    assert(self);
    if (src == NULL || from_seq > to_seq || from_seq == 0) {
        errno = EINVAL;
        return -1;
    }
    s_rec_t *rec = s_new_rec(self, 0, now_mono_ns);
    if (rec == NULL) {
        return -1;
    }
    rec->kind = S_REC_GAP;
    (void)snprintf(rec->env.src, sizeof rec->env.src, "%s", src);
    rec->env.epoch = epoch;
    rec->env.seq = from_seq;
    rec->gap_to = to_seq;
    rec->recv_ns = ts_ns;
    return 0;
}

int
writer_add_gap_of(writer_t *self, const bus_msg_t *msg, int64_t ts_ns, int64_t now_mono_ns)
{
    assert(self);
    assert(msg);
    if (msg->gap == 0) {
        return 0;
    }
    if (msg->gap >= msg->env.seq) {
        errno = EINVAL;
        return -1;
    }
    return writer_add_gap(self, msg->env.src, msg->env.epoch, msg->env.seq - msg->gap,
                          msg->env.seq - 1, ts_ns, now_mono_ns);
}

int
writer_tick(writer_t *self, int64_t now_mono_ns)
{
    assert(self);
    if (self->n_recs == 0 || now_mono_ns - self->batch_start_mono < self->batch_ns) {
        return 0;
    }
    if (self->failing && now_mono_ns - self->last_try_mono < self->batch_ns) {
        return 0; /* a failing database is retried once per batch_ms, not on every tick */
    }
    self->last_try_mono = now_mono_ns;
    return writer_commit(self);
}

/* ---- typed rows -------------------------------------------------------------------------- */

static int
s_ins_typed(writer_t *self, const s_rec_t *rec, int64_t event_id, const char *json, uint64_t *rows)
{
    const codec_body_t *u = &self->body;
    s_bind_t b;

    switch (rec->type) {
    case CODEC_MD_TRADE: {
        const codec_md_trade_t *t = &u->trade;
        s_b_begin(&b, self->run_id, self->st[S_ST_TRADES]);
        s_b_int(&b, event_id);
        s_b_text(&b, t->venue);
        s_b_text(&b, t->symbol);
        s_b_int(&b, rec->env.evt);
        s_b_int(&b, t->ts_recv);
        s_b_money(&b, t->px, t->px_scale);
        s_b_money(&b, t->qty, t->qty_scale);
        s_b_int(&b, t->px_scale);
        s_b_int(&b, t->qty_scale);
        s_b_text0(&b, s_side(t->side));
        s_b_text0(&b, t->trade_id);
        return s_b_run(&b, rows);
    }
    case CODEC_MD_BOOK: {
        const codec_md_book_t *k = &u->book;
        s_b_begin(&b, self->run_id, self->st[S_ST_BOOK]);
        s_b_int(&b, event_id);
        s_b_text(&b, k->venue);
        s_b_text(&b, k->symbol);
        s_b_int(&b, rec->env.evt);
        s_b_money_opt(&b, k->bids[0].px, k->px_scale, k->n_bids > 0);
        s_b_money_opt(&b, k->bids[0].qty, k->qty_scale, k->n_bids > 0);
        s_b_money_opt(&b, k->asks[0].px, k->px_scale, k->n_asks > 0);
        s_b_money_opt(&b, k->asks[0].qty, k->qty_scale, k->n_asks > 0);
        s_b_int(&b, k->px_scale);
        s_b_int(&b, k->qty_scale);
        s_b_int(&b, (int64_t)k->update_id);
        s_b_int(&b, k->snapshot ? 1 : 0);
        s_b_int(&b, k->n_bids);
        s_b_int(&b, k->n_asks);
        return s_b_run(&b, rows);
    }
    case CODEC_MD_KLINE: {
        const codec_md_kline_t *k = &u->kline;
        if (!k->closed) {
            return 0; /* only final bars are candles; updates stay in events */
        }
        s_b_begin(&b, self->run_id, self->st[S_ST_CANDLES]);
        s_b_int(&b, event_id);
        s_b_text(&b, "md.kline");
        s_b_text(&b, "kline");
        s_b_text(&b, k->venue);
        s_b_text(&b, k->symbol);
        s_b_int(&b, k->interval_s);
        s_b_int(&b, k->start_ns);
        s_b_int(&b, k->end_ns);
        s_b_int(&b, rec->env.evt);
        s_b_money(&b, k->open, k->px_scale);
        s_b_money(&b, k->high, k->px_scale);
        s_b_money(&b, k->low, k->px_scale);
        s_b_money(&b, k->close, k->px_scale);
        s_b_money(&b, k->volume, k->qty_scale);
        s_b_int(&b, k->px_scale);
        s_b_int(&b, k->qty_scale);
        s_b_money(&b, k->quote_volume, MONEY_VALUE_SCALE);
        s_b_int(&b, k->trades);
        return s_b_run(&b, rows);
    }
    case CODEC_SIG_BAR: {
        const codec_sig_bar_t *k = &u->bar;
        s_b_begin(&b, self->run_id, self->st[S_ST_CANDLES]);
        s_b_int(&b, event_id);
        s_b_text(&b, "sig.bar");
        s_b_text0(&b, k->source);
        s_b_text(&b, k->venue);
        s_b_text(&b, k->symbol);
        s_b_int(&b, k->tf_s);
        s_b_int(&b, k->start_ns);
        s_b_int(&b, k->end_ns);
        s_b_int(&b, rec->env.evt);
        s_b_money(&b, k->open, k->px_scale);
        s_b_money(&b, k->high, k->px_scale);
        s_b_money(&b, k->low, k->px_scale);
        s_b_money(&b, k->close, k->px_scale);
        s_b_money(&b, k->volume, k->qty_scale);
        s_b_int(&b, k->px_scale);
        s_b_int(&b, k->qty_scale);
        s_b_money(&b, k->quote_volume, MONEY_VALUE_SCALE);
        s_b_int(&b, k->trades);
        return s_b_run(&b, rows);
    }
    case CODEC_SIG_IND: {
        /* one row per named value; a value that is not finite (NaN warm-up) is bound as NULL
         * by SQLite itself (sqlite3_bind_double stores NaN as NULL) */
        const codec_sig_ind_t *k = &u->ind;
        uint32_t n = k->n < CODEC_IND_MAX ? k->n : CODEC_IND_MAX;
        for (uint32_t i = 0; i < n; i++) {
            s_b_begin(&b, self->run_id, self->st[S_ST_INDICATORS]);
            s_b_int(&b, event_id);
            s_b_text(&b, k->venue);
            s_b_text(&b, k->symbol);
            s_b_int(&b, k->tf_s);
            s_b_int(&b, rec->env.evt);
            s_b_text0(&b, k->names[i]);
            s_b_double(&b, k->values[i]);
            if (s_b_run(&b, rows) < 0) {
                return -1;
            }
        }
        return 0;
    }
    case CODEC_SIG_SIGNAL: {
        const codec_sig_signal_t *s = &u->signal;
        s_b_begin(&b, self->run_id, self->st[S_ST_SIGNALS]);
        s_b_int(&b, event_id);
        s_b_text(&b, s->strategy);
        s_b_text(&b, s->venue);
        s_b_text(&b, s->symbol);
        s_b_text0(&b, s_side(s->side));
        s_b_double(&b, s->confidence);
        s_b_money_opt(&b, s->ref_px, s->px_scale, s->ref_px != 0);
        s_b_money_opt(&b, s->sl_px, s->px_scale, s->sl_px != 0);
        s_b_money_opt(&b, s->tp_px, s->px_scale, s->tp_px != 0);
        s_b_int(&b, s->px_scale);
        s_b_int(&b, rec->env.evt);
        s_b_text0(&b, s->reason);
        return s_b_run(&b, rows);
    }
    case CODEC_RISK_ORDER:
    case CODEC_RISK_REJECT:
    case CODEC_RISK_STATE:
    case CODEC_RISK_ALERT: {
        const char *client = NULL, *state = NULL, *reason = NULL;
        char text[CODEC_NAME_MAX + CODEC_TEXT_MAX + 4];
        if (rec->type == CODEC_RISK_ORDER) {
            client = u->order.client_id;
            state = u->order.intent; /* entry | stop_loss | take_profit | kill | exit */
        } else if (rec->type == CODEC_RISK_REJECT) {
            client = u->reject.client_id;
            state = "rejected";
            reason = u->reject.reason;
        } else if (rec->type == CODEC_RISK_STATE) {
            state = u->rstate.state;
            reason = u->rstate.reason;
        } else {
            state = u->alert.level;
            (void)snprintf(text, sizeof text, "%s: %s", u->alert.code, u->alert.text);
            reason = text;
        }
        s_b_begin(&b, self->run_id, self->st[S_ST_RISK]);
        s_b_int(&b, event_id);
        s_b_text(&b, rec->topic);
        s_b_text0(&b, client);
        s_b_text0(&b, state);
        s_b_text0(&b, reason);
        s_b_int(&b, rec->env.evt);
        s_b_text0(&b, json);
        if (s_b_run(&b, rows) < 0) {
            return -1;
        }
        if (rec->type != CODEC_RISK_ALERT) {
            return 0;
        }
        s_b_begin(&b, self->run_id, self->st[S_ST_ALERTS]);
        s_b_int(&b, event_id);
        s_b_text0(&b, u->alert.level);
        s_b_text0(&b, u->alert.code);
        s_b_text0(&b, u->alert.text);
        s_b_int(&b, rec->env.evt);
        return s_b_run(&b, rows);
    }
    case CODEC_EXEC_ORDER: {
        const codec_exec_order_t *o = &u->xorder;
        s_b_begin(&b, self->run_id, self->st[S_ST_ORDERS]);
        s_b_int(&b, event_id);
        s_b_text0(&b, o->client_id);
        s_b_text0(&b, o->order_id);
        s_b_text(&b, o->venue);
        s_b_text(&b, o->symbol);
        s_b_text0(&b, s_side(o->side));
        s_b_text(&b, o->type == CODEC_ORD_LIMIT ? "limit" : "market");
        s_b_text0(&b, o->status);
        s_b_money(&b, o->qty, o->qty_scale);
        s_b_money_opt(&b, o->px, o->px_scale, o->px != 0);
        s_b_money(&b, o->cum_qty, o->qty_scale);
        s_b_money_opt(&b, o->avg_px, o->px_scale, o->avg_px != 0);
        s_b_money(&b, o->fee, MONEY_VALUE_SCALE);
        s_b_int(&b, o->px_scale);
        s_b_int(&b, o->qty_scale);
        s_b_int(&b, o->reduce_only ? 1 : 0);
        s_b_text0(&b, o->reject_reason);
        s_b_int(&b, rec->env.evt);
        return s_b_run(&b, rows);
    }
    case CODEC_EXEC_FILL: {
        const codec_exec_fill_t *f = &u->fill;
        s_b_begin(&b, self->run_id, self->st[S_ST_FILLS]);
        s_b_int(&b, event_id);
        s_b_text0(&b, f->fill_id);
        s_b_text0(&b, f->client_id);
        s_b_text0(&b, f->order_id);
        s_b_text(&b, f->venue);
        s_b_text(&b, f->symbol);
        s_b_text0(&b, s_side(f->side));
        s_b_money(&b, f->px, f->px_scale);
        s_b_money(&b, f->qty, f->qty_scale);
        s_b_money(&b, f->fee, MONEY_VALUE_SCALE);
        s_b_money(&b, f->realized_pnl, MONEY_VALUE_SCALE);
        s_b_int(&b, f->px_scale);
        s_b_int(&b, f->qty_scale);
        s_b_int(&b, f->maker ? 1 : 0);
        s_b_int(&b, rec->env.evt);
        return s_b_run(&b, rows);
    }
    case CODEC_EXEC_POSITION: {
        const codec_exec_position_t *p = &u->position;
        s_b_begin(&b, self->run_id, self->st[S_ST_POSITIONS]);
        s_b_int(&b, event_id);
        s_b_text(&b, p->venue);
        s_b_text(&b, p->symbol);
        s_b_money(&b, p->qty, p->qty_scale);
        s_b_money_opt(&b, p->entry_px, p->px_scale, p->entry_px != 0);
        s_b_money_opt(&b, p->mark_px, p->px_scale, p->mark_px != 0);
        s_b_money(&b, p->realized_pnl, MONEY_VALUE_SCALE);
        s_b_money(&b, p->unrealized_pnl, MONEY_VALUE_SCALE);
        s_b_int(&b, p->px_scale);
        s_b_int(&b, p->qty_scale);
        s_b_int(&b, rec->env.evt);
        return s_b_run(&b, rows);
    }
    case CODEC_EXEC_BALANCE: {
        const codec_exec_balance_t *a = &u->balance;
        s_b_begin(&b, self->run_id, self->st[S_ST_BALANCES]);
        s_b_int(&b, event_id);
        s_b_text(&b, a->venue);
        s_b_text(&b, a->asset);
        s_b_money(&b, a->wallet, MONEY_VALUE_SCALE);
        s_b_money(&b, a->available, MONEY_VALUE_SCALE);
        s_b_money(&b, a->equity, MONEY_VALUE_SCALE);
        s_b_money(&b, a->fees, MONEY_VALUE_SCALE);
        s_b_int(&b, rec->env.evt);
        return s_b_run(&b, rows);
    }
    case CODEC_MD_STATUS: {
        const codec_md_status_t *s = &u->status;
        s_b_begin(&b, self->run_id, self->st[S_ST_STATUS]);
        s_b_int(&b, event_id);
        s_b_text(&b, s->venue);
        s_b_text0(&b, s->symbol);
        s_b_text(&b, s->state);
        s_b_text0(&b, s->reason);
        s_b_int(&b, rec->env.evt);
        return s_b_run(&b, rows);
    }
    default:
        return 0; /* events row only */
    }
}

static bool
s_has_typed_table(codec_type_t t)
{
    switch (t) {
    case CODEC_MD_TRADE:
    case CODEC_MD_BOOK:
    case CODEC_MD_KLINE:
    case CODEC_SIG_BAR:
    case CODEC_SIG_IND:
    case CODEC_SIG_SIGNAL:
    case CODEC_RISK_ORDER:
    case CODEC_RISK_REJECT:
    case CODEC_RISK_STATE:
    case CODEC_RISK_ALERT:
    case CODEC_EXEC_ORDER:
    case CODEC_EXEC_FILL:
    case CODEC_EXEC_POSITION:
    case CODEC_EXEC_BALANCE:
    case CODEC_MD_STATUS:
        return true;
    default:
        return false;
    }
}

/* Write one pending record (inside the open transaction). -1 = database error. */
static int
s_write_rec(writer_t *self, const s_rec_t *rec, uint64_t *rows, uint64_t *events, uint64_t *gaps,
            uint64_t *bad)
{
    s_bind_t b;

    if (rec->kind == S_REC_GAP) {
        s_b_begin(&b, self->run_id, self->st[S_ST_GAPS]);
        s_b_text(&b, rec->env.src);
        s_b_int(&b, rec->env.epoch);
        s_b_int(&b, (int64_t)rec->env.seq);
        s_b_int(&b, (int64_t)rec->gap_to);
        s_b_int(&b, (int64_t)(rec->gap_to - rec->env.seq + 1));
        s_b_int(&b, rec->recv_ns);
        if (s_b_run(&b, rows) < 0) {
            return -1;
        }
        (*gaps)++;
        return 0;
    }

    const uint8_t *data = self->arena + rec->off;
    const char *json = NULL;
    bool decoded = false;
    if (codec_body_to_json(data, rec->len, self->json, sizeof self->json) >= 0) {
        json = self->json;
    }
    if (s_has_typed_table(rec->type)) {
        decoded = codec_decode(data, rec->len, rec->type, NULL, &self->body) == 0;
    }
    if (json == NULL || (s_has_typed_table(rec->type) && !decoded)) {
        (*bad)++;
        log_limited(&self->bad_limit, LOG_WARN, "writer",
                    "message body does not decode (events row kept, typed row skipped)", rec->topic,
                    strlen(rec->topic));
    }

    const char *tname = codec_type_name(rec->type);
    s_b_begin(&b, self->run_id, self->st[S_ST_EVENTS]);
    s_b_text(&b, rec->topic);
    s_b_text0(&b, rec->type == CODEC_UNKNOWN ? NULL : tname);
    s_b_text(&b, rec->env.src);
    s_b_int(&b, rec->env.epoch);
    s_b_int(&b, (int64_t)rec->env.seq);
    s_b_int(&b, rec->env.ts);
    s_b_int(&b, rec->env.origin);
    s_b_int(&b, rec->env.evt);
    s_b_text0(&b, json);
    s_b_int(&b, rec->recv_ns);
    if (s_b_run(&b, rows) < 0) {
        return -1;
    }
    (*events)++;
    /* the run's event time range: market and trading messages (heartbeats and the recorder's
     * own alerts carry 0 or the wall clock) */
    if (rec->env.evt > 0 && strncmp(rec->topic, "sys.", 4) != 0
        && strncmp(rec->topic, "rec.", 4) != 0) {
        if (self->b_first == 0 || rec->env.evt < self->b_first) {
            self->b_first = rec->env.evt;
        }
        if (rec->env.evt > self->b_last) {
            self->b_last = rec->env.evt;
        }
    }
    if (!decoded) {
        return 0;
    }
    int64_t event_id = sqlite3_last_insert_rowid(self->db);
    return s_ins_typed(self, rec, event_id, json, rows);
}

static int
s_step_simple(writer_t *self, int which)
{
    sqlite3_stmt *st = self->st[which];
    int rc = sqlite3_step(st);
    (void)sqlite3_reset(st); /* the step's result is what matters */
    return rc == SQLITE_DONE ? 0 : -1;
}

int
writer_commit(writer_t *self)
{
    assert(self);
    if (self->n_recs == 0) {
        return 0;
    }
    uint64_t rows = 0, events = 0, gaps = 0, bad = 0;
    int failed = s_step_simple(self, S_ST_BEGIN);
    self->b_first = self->b_last = 0;
    for (size_t i = 0; failed == 0 && i < self->n_recs; i++) {
        failed = s_write_rec(self, &self->recs[i], &rows, &events, &gaps, &bad);
    }
    if (failed == 0 && self->run_id[0] && self->b_last > 0) {
        s_bind_t b;
        uint64_t ignore = 0;
        s_b_begin(&b, self->run_id, self->st[S_ST_RUN_EVT]);
        s_b_int(&b, self->b_first);
        s_b_int(&b, self->b_last);
        failed = s_b_run(&b, &ignore);
    }
    if (failed == 0) {
        failed = s_step_simple(self, S_ST_COMMIT);
    }
    if (failed != 0) {
        char what[160];
        (void)snprintf(what, sizeof what, "database write failed on %s (batch kept for retry)",
                       self->path);
        const char *msg = sqlite3_errmsg(self->db);
        self->stats.last_rc = sqlite3_extended_errcode(self->db);
        log_limited(&self->db_limit, LOG_ERROR, "writer", what, msg, strlen(msg));
        for (int i = 0; i < S_ST_COUNT; i++) {
            (void)sqlite3_reset(self->st[i]); /* release statement locks before rollback */
        }
        if (sqlite3_get_autocommit(self->db) == 0) {
            (void)s_step_simple(self, S_ST_ROLLBACK); /* may fail if sqlite already rolled back */
        }
        self->stats.db_errors++;
        self->failing = true;
        self->stats.failing = 1;
        errno = EIO;
        return -1;
    }
    self->stats.rows += rows;
    self->stats.events += events;
    self->stats.gaps += gaps;
    self->stats.bad += bad;
    self->stats.commits++;
    self->failing = false;
    self->stats.failing = 0;
    self->stats.last_commit_ns = clock_wall_ns();
    self->n_recs = 0;
    self->n_msgs = 0;
    self->arena_len = 0;
    self->batch_start_mono = 0;
    self->stats.pending = 0;
    return 0;
}

const char *
writer_rc_kind(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) { /* primary code: sqlite.org/rescode.html */
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "locked";
    case SQLITE_READONLY:
        return "read_only";
    case SQLITE_FULL:
        return "disk_full";
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return "io_error";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return "corrupt";
    default:
        return "db_error";
    }
}

void
writer_stats(const writer_t *self, writer_stats_t *out)
{
    assert(self);
    assert(out);
    *out = self->stats;
}

const char *
writer_path(const writer_t *self)
{
    assert(self);
    return self->path;
}

sqlite3 *
writer_db(writer_t *self)
{
    assert(self);
    return self->db;
}

void
writer_check(const writer_t *self)
{
    assert(self);
    assert(self->n_recs <= self->batch_max * WRITER_PENDING_FACTOR); /* (1) */
    for (size_t i = 0; i < self->n_recs; i++) {
        assert(self->recs[i].off + self->recs[i].len <= self->arena_len); /* (2) */
    }
    assert((self->n_recs == 0) == (self->batch_start_mono == 0)); /* (3) */
    assert(self->n_msgs <= self->n_recs);
}

/* ---- runs -------------------------------------------------------------------------------- */

/* Run one statement with text parameters (NULL-terminated list). Returns the sqlite result of
 * the last step (SQLITE_ROW with the row left readable in *out when out != NULL, else
 * finalized). */
static int
s_query(sqlite3 *db, const char *sql, sqlite3_stmt **out, const char *p1, const char *p2)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }
    if (p1) {
        (void)sqlite3_bind_text(st, 1, p1, -1, SQLITE_TRANSIENT);
    }
    if (p2) {
        (void)sqlite3_bind_text(st, 2, p2, -1, SQLITE_TRANSIENT);
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && out) {
        *out = st;
        return rc;
    }
    sqlite3_finalize(st);
    return rc;
}

/* The last seq stored per (src, epoch) of this run into self->resume. 0 or -1. */
static int
s_load_resume(writer_t *self)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db,
                           "SELECT src, epoch, max(seq) FROM events WHERE run_id = ?1"
                           " AND src IS NOT NULL GROUP BY src, epoch",
                           -1, &st, NULL)
        != SQLITE_OK) {
        return -1;
    }
    (void)sqlite3_bind_text(st, 1, self->run_id, -1, SQLITE_TRANSIENT);
    int rc;
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (self->n_resume == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            s_resume_t *r = realloc(self->resume, ncap * sizeof *r);
            if (r == NULL) {
                sqlite3_finalize(st);
                errno = ENOMEM;
                return -1;
            }
            self->resume = r;
            cap = ncap;
        }
        s_resume_t *r = &self->resume[self->n_resume++];
        memset(r, 0, sizeof *r);
        (void)snprintf(r->src, sizeof r->src, "%s", (const char *)sqlite3_column_text(st, 0));
        r->epoch = sqlite3_column_int64(st, 1);
        r->last_seq = (uint64_t)sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int
writer_begin_run(writer_t *self, const char *run_id, int64_t now_ns, writer_run_info_t *info)
{
    assert(self);
    assert(info);
    memset(info, 0, sizeof *info);
    if (run_id == NULL || !runid_valid(run_id)) {
        errno = EINVAL;
        return -1;
    }
    if (writer_commit(self) < 0) { /* rows queued before belong to no run: write them first */
        return -1;
    }
    (void)snprintf(self->run_id, sizeof self->run_id, "%s", run_id);
    sqlite3_stmt *st = NULL;
    int rc = s_query(self->db, "SELECT coalesce(clean, 1), starts FROM runs WHERE run_id = ?1", &st,
                     run_id, NULL);
    if (rc == SQLITE_ROW) {
        info->resumed = true;
        info->starts = sqlite3_column_int64(st, 1);
        info->this_unclean = sqlite3_column_int(st, 0) == 0;
        sqlite3_finalize(st);
    } else if (rc != SQLITE_DONE) {
        goto fail;
    }
    rc = s_query(self->db,
                 "SELECT run_id, clean FROM runs WHERE run_id != ?1 ORDER BY rowid DESC LIMIT 1",
                 &st, run_id, NULL);
    if (rc == SQLITE_ROW) {
        info->prev_unclean = sqlite3_column_type(st, 1) != SQLITE_NULL
                             && sqlite3_column_int(st, 1) == 0 && !info->resumed;
        (void)snprintf(info->prev_run, sizeof info->prev_run, "%s",
                       (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    } else if (rc != SQLITE_DONE) {
        goto fail;
    }
    char sql[256];
    if (info->resumed) {
        (void)snprintf(sql, sizeof sql,
                       "UPDATE runs SET starts = starts + 1, clean = 0, ended_ns = NULL,"
                       " unclean_stops = unclean_stops + %d WHERE run_id = ?1",
                       info->this_unclean ? 1 : 0);
    } else {
        (void)snprintf(sql, sizeof sql,
                       "INSERT INTO runs(run_id, started_ns, clean, unclean_stops, starts)"
                       " VALUES(?1, %lld, 0, 0, 1)",
                       (long long)now_ns);
    }
    rc = s_query(self->db, sql, NULL, run_id, NULL);
    if (rc != SQLITE_DONE) {
        goto fail;
    }
    info->starts++;
    if (info->resumed && s_load_resume(self) < 0) {
        goto fail;
    }
    info->publishers = self->n_resume;
    return 0;
fail:
    log_error("writer", "cannot start run %s in %s: %s", run_id, self->path,
              sqlite3_errmsg(self->db));
    self->run_id[0] = '\0';
    errno = EIO;
    return -1;
}

int
writer_end_run(writer_t *self, int64_t now_ns)
{
    assert(self);
    if (self->run_id[0] == '\0') {
        return 0;
    }
    if (writer_commit(self) < 0) {
        return -1; /* not clean: something is still pending */
    }
    char sql[128];
    (void)snprintf(sql, sizeof sql, "UPDATE runs SET clean = 1, ended_ns = %lld WHERE run_id = ?1",
                   (long long)now_ns);
    if (s_query(self->db, sql, NULL, self->run_id, NULL) != SQLITE_DONE) {
        log_error("writer", "cannot mark run %s ended in %s: %s", self->run_id, self->path,
                  sqlite3_errmsg(self->db));
        errno = EIO;
        return -1;
    }
    return 0;
}

int
writer_set_run_config(writer_t *self, const char *path, const char *json)
{
    assert(self);
    if (self->run_id[0] == '\0' || json == NULL) {
        errno = EINVAL;
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        self->db, "UPDATE runs SET config = ?1, config_path = ?2 WHERE run_id = ?3", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        (void)sqlite3_bind_text(st, 1, json, -1, SQLITE_TRANSIENT);
        (void)sqlite3_bind_text(st, 2, path ? path : "", -1, SQLITE_TRANSIENT);
        (void)sqlite3_bind_text(st, 3, self->run_id, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        log_error("writer", "cannot record the config of run %s in %s: %s", self->run_id,
                  self->path, sqlite3_errmsg(self->db));
        errno = EIO;
        return -1;
    }
    return 0;
}

const char *
writer_run_id(const writer_t *self)
{
    assert(self);
    return self->run_id;
}

int
writer_resume_gap(writer_t *self, const bus_msg_t *msg, int64_t ts_ns, int64_t now_mono_ns)
{
    assert(self);
    assert(msg);
    for (size_t i = 0; i < self->n_resume; i++) {
        s_resume_t *r = &self->resume[i];
        if (r->seen || r->epoch != msg->env.epoch || strcmp(r->src, msg->env.src) != 0) {
            continue;
        }
        r->seen = true;
        if (msg->env.seq <= r->last_seq + 1) {
            return 0; /* nothing missed (or a message stored already: not ours to count) */
        }
        if (writer_add_gap(self, r->src, r->epoch, r->last_seq + 1, msg->env.seq - 1, ts_ns,
                           now_mono_ns)
            < 0) {
            return -1;
        }
        self->stats.resume_gaps++;
        self->stats.resume_missing += msg->env.seq - 1 - r->last_seq;
        return 1;
    }
    return 0;
}
