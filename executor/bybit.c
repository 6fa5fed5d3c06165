/*  bybit.c - the live Bybit v5 venue (contract and rules: bybit.h).
 *  Owns:  rest_t, journal_t, account_t, per-intent "not found" counts (in the journal order
 *         table), counters.
 *  No REST call blocks the stage loop: each starts with rest_start (curl multi on the stage's
 *  zloop) and completes in s_on_done; the poll is a sequence of phases of concurrent queries
 *  (docs/executor.md "Asynchronous REST"). The poll period bounds how stale the executor's
 *  view is when the private WS is down.
 */
#include "executor/bybit.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "common/bus.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/log.h"
#include "common/money.h"
#include "executor/account.h"
#include "executor/journal.h"
#include "executor/rest.h"
#include "feed/conn.h" /* generic lws client (reconnect, backoff, ping) */

#define S_MOD          "bybit"
#define S_SYNC_TIME_MS (5 * 60 * 1000) /* BYBIT_V5.md 2.3: resync every few minutes */
#define S_NOT_FOUND    2               /* polls without the intent on the venue -> not placed */
/* An unchanged balance is re-published at most this often, ms (a restarted risk learns the
 * equity without waiting for it to change). */
#define S_BAL_REFRESH_MS 5000
/* exec.status.<venue> is repeated this often while the state is not "running" (a restarted
 * risk learns it within this time), ms; checked by a timer of this period, ms. */
#define S_STATUS_REPEAT_MS 5000
#define S_STATUS_TICK_MS   1000

/* The venue position last applied for one symbol (bybit.h "Positions and balance"). */
typedef struct {
    int64_t seq;    /* venue `seq` of the newest update applied, -1 = none carried one */
    int64_t upd_ms; /* its `updatedTime` (or the REST answer time for an absent symbol) */
    codec_exec_position_t last; /* the last exec.position published */
} s_vpos_t;

typedef enum { S_RECONCILING = 0, S_RUNNING, S_HALTED } s_state_t;
static const char *const k_state[] = { "reconciling", "running", "halted" };

/* The stop risk wants on the venue for a symbol's position (the last stop move), kept until the
 * position is flat: the poll puts it back when the venue's differs (a refused or lost
 * trading-stop, a change behind our back). */
typedef struct {
    char symbol[CODEC_SYM_MAX];
    int64_t px; /* at px_scale */
    int px_scale;
    int64_t sent_ms; /* CLOCK_MONOTONIC ms of the last trading-stop for it */
} s_want_sl_t;

#define S_WANT_SL_MAX       64
#define S_WANT_SL_RESEND_MS 2000 /* a poll answer may predate a trading-stop just sent */

/* The latest prices of a symbol from the executor's own market data: the reference of the
 * slippage guard (a market entry goes out as an IOC limit bounded by executor.slippage_cap_pct
 * from it). */
typedef enum {
    S_LEV_UNKNOWN = 0, /* not set yet (or the set failed: the poll tries again) */
    S_LEV_SETTING,     /* set-leverage (then its read-back) in flight */
    S_LEV_OK,          /* the venue says it is at or below the cap */
    S_LEV_ABOVE        /* the venue says it is above the cap: entries refused, set again */
} s_lev_state_t;

typedef struct {
    char symbol[CODEC_SYM_MAX];
    int px_scale;
    int64_t bid, ask, last; /* 0 = not seen */
    /* the leverage cap (executor.leverage) on this symbol */
    s_lev_state_t lev_state;
    int64_t venue_lev;   /* the venue's, VENUE_LEV_SCALE; 0 = not read yet */
    int64_t lev_sent_ms; /* CLOCK_MONOTONIC ms of the last set-leverage */
} s_ref_t;

#define S_REF_MAX 64

struct bybit {
    venue_cfg_t cfg;
    s_ref_t ref[S_REF_MAX];
    size_t n_ref;
    uint64_t bounded; /* market entries sent as bounded IOC limits */
    s_want_sl_t want_sl[S_WANT_SL_MAX];
    size_t n_want_sl;
    uint64_t stop_resends; /* trading-stops sent again by the poll */
    char category[16];
    bool spot; /* category "spot": no positions (exec.position from the wallet's coins) */
    char venue_name[CODEC_VENUE_MAX]; /* of the orders (risk's venue id), for exec.balance */
    orders_t *orders;
    rest_t *rest;
    journal_t *journal;
    account_t *acct;
    zhashx_t *not_found; /* client_id -> count (as pointer-sized integer) */
    zhashx_t *reported;  /* differences already logged (text -> 1): each is logged once */
    zhashx_t *suspect, *suspect_next; /* position mismatches seen on this / the last poll */
    bool in_push; /* applying a WS push: may be older than what REST already gave us */
    s_state_t state;
    char why[CODEC_TEXT_MAX];
    int64_t status_pub_ms; /* monotonic ms of the last exec.status published */
    int status_timer;      /* zloop timer id of the repeat (-1 = none: no loop) */
    int64_t last_sync_ms;
    int64_t last_exec_ms; /* newest execTime applied */
    uint64_t diffs, polls, unknown_outcomes;
    bool doubt;      /* an outcome is unknown: reconcile before "running" */
    int64_t equity;  /* venue totalEquity, MONEY_VALUE_SCALE (0 = not fetched yet) */
    bool have_rules; /* instruments-info loaded into cfg.instr */
    /* private WebSocket (BYBIT_V5.md 3) */
    conn_ctx_t *wsctx;
    conn_t *ws;
    bool ws_authed, ws_was_up;
    uint64_t ws_msgs, ws_fills, ws_reconnects;
    log_limit_t ws_limit;
    log_limit_t diff_limit, poll_limit;
    /* venue positions and wallet (push or poll) -> exec.position / exec.balance */
    zhashx_t *vpos;             /* symbol -> s_vpos_t (owned) */
    int64_t bal_ms, bal_pub_ms; /* venue time of the newest wallet applied / last published */
    codec_exec_balance_t bal_last;
    bool bal_published;
    uint64_t pos_push, pos_poll, pos_dup, pos_stale;
    uint64_t bal_push, bal_poll, bal_dup, bal_stale;
    log_limit_t pos_limit;
    /* asynchronous REST (rest_start): creates in flight, the poll in progress */
    zhashx_t *inflight;     /* client ids whose create is in flight (-> 1) */
    json_t *ctl_reply;      /* s_control's reply while it runs (a refusal before sending) */
    uint64_t fills_applied; /* executions applied so far */
    bool polling, poll_again, poll_ok, poll_abort;
    bool maybe_stale;     /* applying REST answers that may predate pushes applied since */
    int poll_phase;       /* 0 time/rules, 1 queries, 2 look-ups */
    size_t poll_pending;  /* requests of the phase in flight (+1 while starting them) */
    uint64_t poll_fills0; /* fills_applied when the poll started */
    json_t *p_intent_rt, *p_intent_hist, *p_look_rt, *p_look_hist; /* link -> list */
    json_t *p_look_links;                                          /* [link] */
    json_t *p_execs, *p_open, *p_pos, *p_wallet;                   /* lists */
    int64_t p_pos_ms, p_wal_ms;                                    /* venue time of those answers */
};

/* ---- pure helpers ----------------------------------------------------------------------- */

static int
s_fmt(int64_t m, int scale, char *buf, size_t cap)
{
    return money_fmt(m, scale, buf, cap);
}

void
bybit_opts_for(const codec_risk_order_t *r, bybit_opts_t *out)
{
    assert(r && out);
    memset(out, 0, sizeof *out);
    out->category = "linear";
    bool sl = strcmp(r->intent, "stop_loss") == 0, tp = strcmp(r->intent, "take_profit") == 0;
    if ((sl || tp) && r->type == CODEC_ORD_MARKET && r->px > 0) {
        out->trigger_px = r->px;
        /* a sell stop / buy target waits for the price to fall; the others for a rise */
        out->trigger_direction = ((sl && r->side < 0) || (tp && r->side > 0)) ? 2 : 1;
    }
    if (!r->reduce_only) {
        out->tp_px = r->tp_px;
        out->sl_px = r->sl_px;
    }
    /* what the request says explicitly wins over the intent mapping above */
    if (r->tif[0]) {
        out->tif = r->tif;
    }
    if (r->trigger_px > 0 && (r->trigger_dir == 1 || r->trigger_dir == 2)) {
        out->trigger_px = r->trigger_px;
        out->trigger_direction = r->trigger_dir;
    }
}

int
bybit_create_body(const codec_risk_order_t *r, const instr_t *in, const bybit_opts_t *opt,
                  char *buf, size_t cap)
{
    assert(r && in && opt && buf);
    char qty[40], px[40], t[40];
    int64_t q, p;
    if ((r->side != 1 && r->side != -1)
        || (r->type != CODEC_ORD_MARKET && r->type != CODEC_ORD_LIMIT) || in->step <= 0
        || in->tick <= 0) {
        errno = EINVAL;
        return -1;
    }
    /* round once at the edge (brief): qty DOWN to the step, price toward the passive side */
    if (money_round_to(r->qty, in->step, MONEY_ROUND_DOWN, &q) < 0 || q <= 0) {
        errno = EINVAL;
        return -1;
    }
    json_t *j = json_object();
    if (!j) {
        errno = ENOMEM;
        return -1;
    }
    bool spot = opt->category && strcmp(opt->category, "spot") == 0;
    if (spot && (opt->trigger_px > 0 || opt->tp_px > 0 || opt->sl_px > 0)) {
        json_decref(j);
        errno = ENOTSUP; /* spot conditional / TP-SL orders are separate orderFilter kinds */
        return -1;
    }
    s_fmt(q, r->qty_scale, qty, sizeof qty);
    json_object_set_new(j, "category", json_string(opt->category ? opt->category : "linear"));
    json_object_set_new(j, "symbol", json_string(r->symbol));
    json_object_set_new(j, "side", json_string(r->side > 0 ? "Buy" : "Sell"));
    json_object_set_new(j, "orderType",
                        json_string(r->type == CODEC_ORD_LIMIT ? "Limit" : "Market"));
    json_object_set_new(j, "qty", json_string(qty));
    if (spot && r->type == CODEC_ORD_MARKET && r->side > 0) {
        /* a spot market buy's qty is a quote amount unless told otherwise (BYBIT_V5.md 2.6);
         * ours is always base */
        json_object_set_new(j, "marketUnit", json_string("baseCoin"));
    }
    if (r->type == CODEC_ORD_LIMIT) {
        if (money_round_to(r->px, in->tick, r->side > 0 ? MONEY_ROUND_DOWN : MONEY_ROUND_UP, &p) < 0
            || p <= 0) {
            json_decref(j);
            errno = EINVAL;
            return -1;
        }
        s_fmt(p, r->px_scale, px, sizeof px);
        json_object_set_new(j, "price", json_string(px));
        json_object_set_new(j, "timeInForce", json_string(opt->tif ? opt->tif : "GTC"));
    } else if (opt->tif) {
        json_object_set_new(j, "timeInForce", json_string(opt->tif));
    }
    json_object_set_new(j, "orderLinkId", json_string(r->client_id));
    if (r->reduce_only && !spot) { /* spot has no positions: no reduceOnly (2.6) */
        json_object_set_new(j, "reduceOnly", json_true());
    }
    const struct {
        const char *name;
        int64_t v;
    } prices[] = { { "triggerPrice", opt->trigger_px },
                   { "takeProfit", opt->tp_px },
                   { "stopLoss", opt->sl_px } };
    for (size_t i = 0; i < 3; i++) {
        if (prices[i].v > 0) {
            if (money_round_to(prices[i].v, in->tick, MONEY_ROUND_HALF_EVEN, &p) < 0) {
                json_decref(j);
                errno = EINVAL;
                return -1;
            }
            s_fmt(p, r->px_scale, t, sizeof t);
            json_object_set_new(j, prices[i].name, json_string(t));
        }
    }
    if (opt->trigger_px > 0) {
        json_object_set_new(j, "triggerDirection", json_integer(opt->trigger_direction));
        json_object_set_new(j, "triggerBy", json_string("LastPrice"));
    }
    if (opt->tp_px > 0 || opt->sl_px > 0) {
        json_object_set_new(j, "tpslMode", json_string("Full"));
    }
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    size_t n = strlen(s);
    if (n + 1 > cap) {
        free(s);
        errno = ENOBUFS;
        return -1;
    }
    memcpy(buf, s, n + 1);
    free(s);
    return 0;
}

/* ---- state ------------------------------------------------------------------------------ */

/* exec.status.<venue> (docs/executor.md "Reconciliation"): the state word and its reason.
 * ts_event: the latest md event time the executor has seen, else (no md yet) the wall
 * clock: a live venue's state is about now. */
static void
s_publish_state(bybit_t *self)
{
    codec_md_status_t m;
    char topic[BUS_TOPIC_MAX];
    memset(&m, 0, sizeof m);
    snprintf(m.venue, sizeof m.venue, "%s", self->venue_name);
    snprintf(m.state, sizeof m.state, "%s", k_state[self->state]);
    snprintf(m.reason, sizeof m.reason, "%s", self->why);
    m.ts_event = self->cfg.md_time && *self->cfg.md_time > 0 ? *self->cfg.md_time : clock_wall_ns();
    snprintf(topic, sizeof topic, "exec.status.%s", self->venue_name);
    self->cfg.emit(topic, CODEC_MD_STATUS, &m, m.ts_event, 0, self->cfg.emit_arg);
    self->status_pub_ms = clock_mono_ns() / CLOCK_NS_PER_MS;
}

static void
s_set_state(bybit_t *self, s_state_t st, const char *why)
{
    if (self->state == S_HALTED && st != S_HALTED) {
        return; /* halted stays halted: a human restarts */
    }
    s_state_t was = self->state;
    if (was != st) {
        log_notice(S_MOD, "venue state %s -> %s%s%s", k_state[self->state], k_state[st],
                   why ? ": " : "", why ? why : "");
    }
    self->state = st;
    snprintf(self->why, sizeof self->why, "%s", why ? why : "");
    if (was != st) {
        s_publish_state(self); /* a new reason alone waits for the repeat */
    }
}

int
bybit_status_tick(bybit_t *self, int64_t now_ms)
{
    assert(self);
    /* on the tick nearest to S_STATUS_REPEAT_MS after the last one (ticks drift by a few ms) */
    if (self->state == S_RUNNING
        || now_ms - self->status_pub_ms < S_STATUS_REPEAT_MS - S_STATUS_TICK_MS / 2) {
        return 0;
    }
    s_publish_state(self);
    return 1;
}

static int
s_status_timer(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)bybit_status_tick(arg, clock_mono_ns() / CLOCK_NS_PER_MS);
    return 0;
}

const char *
bybit_state(const bybit_t *self)
{
    assert(self);
    return k_state[self->state];
}

uint64_t
bybit_diffs(const bybit_t *self)
{
    assert(self);
    return self->diffs;
}

static void
s_emit_order(bybit_t *self, const order_t *o, int64_t evt)
{
    codec_exec_order_t x;
    order_to_exec(o, evt, &x);
    self->cfg.emit("exec.order", CODEC_EXEC_ORDER, &x, evt, o->origin, self->cfg.emit_arg);
}

static void
s_diff(bybit_t *self, const char *what)
{
    if (zhashx_lookup(self->reported, what)) {
        return; /* the same difference seen again on a later poll */
    }
    (void)zhashx_insert(self->reported, what, (void *)1);
    self->diffs++;
    log_warn(S_MOD, "reconcile difference: %s", what);
}

/* A refusal of a request: journal R, Rejected, exec.order. */
static void
s_refuse(bybit_t *self, order_t *o, const char *reason)
{
    if (journal_refuse(self->journal, o->req.client_id, reason) < 0) {
        log_error(S_MOD, "journal: cannot record refusal of %s: %s", o->req.client_id,
                  strerror(errno));
    }
    if (order_reject(o, reason) == 0) {
        s_emit_order(self, o, o->req.ts_event);
    }
    log_warn(S_MOD, "order %s rejected: %s", o->req.client_id, reason);
}

/* Auth codes mean the keys or the account are wrong: halt. */
static void
s_check_auth(bybit_t *self, const rest_resp_t *r)
{
    if (r->ret_code == 10003 || r->ret_code == 10004 || r->ret_code == 10005
        || r->ret_code == 10010) {
        char why[CODEC_TEXT_MAX];
        snprintf(why, sizeof why, "bybit %d: %s", r->ret_code, rest_code_text(r->ret_code));
        s_set_state(self, S_HALTED, why);
    }
}

/* ---- asynchronous requests -------------------------------------------------------------
 * Every REST call of this venue goes through s_req (rest_start: curl multi on the stage's
 * zloop) and completes in s_on_done. Nothing here waits for the venue. */

typedef enum {
    R_CREATE = 0, /* POST /v5/order/create of one order */
    R_CTL,        /* an operator command (cancel, amend, cancel-all, trading-stop) */
    R_LEV,        /* POST /v5/position/set-leverage of one symbol (link = symbol) */
    R_LEV_READ,   /* its read-back: GET /v5/position/list?symbol= (link = symbol) */
    R_TIME,       /* from here on: requests of the poll (counted in poll_pending) */
    R_RULES,
    R_INTENT_RT,
    R_INTENT_HIST,
    R_EXECS,
    R_OPEN,
    R_POS,
    R_WALLET,
    R_LOOK_RT,
    R_LOOK_HIST
} s_rkind_t;

typedef struct {
    bybit_t *self;
    s_rkind_t kind;
    char link[CODEC_ID_MAX]; /* client id (create, look-ups) */
    char path[48];
} s_req_t;

static void s_on_done(rest_t *rest, int rc, int err, rest_resp_t *resp, void *arg);
static void s_poll_release(bybit_t *self);

/* Start one request. Its completion may run before this returns (rate budget refused, or no
 * loop attached). 0, or -1 (logged; a poll request then counts as failed). */
static int
s_req(bybit_t *self, s_rkind_t kind, bool post, const char *path, const char *params,
      const char *link)
{
    s_req_t *q = calloc(1, sizeof *q);
    bool in_poll = kind >= R_TIME;
    if (q) {
        q->self = self;
        q->kind = kind;
        snprintf(q->link, sizeof q->link, "%s", link ? link : "");
        snprintf(q->path, sizeof q->path, "%s", path);
    }
    if (in_poll) {
        self->poll_pending++;
    }
    int rc = !q               ? -1
             : kind == R_TIME ? rest_start_time(self->rest, s_on_done, q)
                              : rest_start(self->rest, post, path, params, s_on_done, q);
    if (rc < 0) {
        log_limited(&self->poll_limit, LOG_ERROR, S_MOD, "cannot start a REST request", path,
                    strlen(path));
        free(q);
        if (in_poll) {
            self->poll_ok = false;
            s_poll_release(self);
        }
        return -1;
    }
    return 0;
}

/* ---- place ------------------------------------------------------------------------------ */

static s_ref_t *s_ref(bybit_t *self, const char *symbol, int px_scale, bool create);

/* The slippage guard's limit for market entry o: buy at the best ask (else the last trade)
 * x (1 + cap %), sell at the best bid (else the last) x (1 - cap %), the distance rounded
 * down to the price unit (never beyond the cap; the create body then rounds the price to the
 * tick toward the passive side). Fills *out as a Limit at that price. 0, or -1 with the
 * refusal in why (no reference price yet, other scales). */
static int
s_bound(bybit_t *self, const order_t *o, const instr_t *in, codec_risk_order_t *out, char *why,
        size_t cap)
{
    const codec_risk_order_t *r = &o->req;
    s_ref_t *ref = s_ref(self, r->symbol, in->px_scale, false);
    int64_t px = 0;
    if (ref && ref->px_scale == in->px_scale) {
        px = r->side > 0 ? (ref->ask > 0 ? ref->ask : ref->last)
                         : (ref->bid > 0 ? ref->bid : ref->last);
    }
    if (px <= 0) {
        snprintf(why, cap,
                 "slippage guard: no price of %s %s seen yet (a market entry is never sent "
                 "unbounded)",
                 self->venue_name, r->symbol);
        return -1;
    }
    int64_t d;
    if (money_mul(px, in->px_scale, self->cfg.slippage_cap, VENUE_RATE_SCALE + 2, in->px_scale,
                  MONEY_ROUND_DOWN, &d)
        < 0) {
        snprintf(why, cap, "slippage guard: bound overflows");
        return -1;
    }
    out->type = CODEC_ORD_LIMIT;
    out->px = r->side > 0 ? px + d : px - d;
    if (out->px <= 0) {
        out->px = in->tick; /* a sell cap of 100 %: the lowest price there is */
    }
    char a[32], b[32], c[32];
    (void)money_fmt(px, in->px_scale, a, sizeof a);
    (void)money_fmt(out->px, in->px_scale, b, sizeof b);
    (void)money_fmt_trim(self->cfg.slippage_cap, VENUE_RATE_SCALE, c, sizeof c);
    log_info(S_MOD, "order %s: market entry sent as an IOC limit at %s (reference %s, cap %s %%)",
             r->client_id, b, a, c);
    self->bounded++;
    return 0;
}

/* ---- the leverage cap (executor.leverage) ----------------------------------------------
 * Each symbol of our venue is set to the cap when its first market data arrives
 * (/v5/position/set-leverage, buy = sell = the cap; 110043 "not modified" means it already
 * is), then read back (/v5/position/list?symbol=); every position the venue sends (poll or
 * push) carries its leverage and is read the same way. Entries of a symbol are refused until
 * the venue's leverage is known at or below the cap; one above it is set again. */

static bool
s_lev_managed(const bybit_t *self)
{
    return self->cfg.leverage > 0 && !self->spot;
}

static void
s_lev_set(bybit_t *self, s_ref_t *r)
{
    if (!s_lev_managed(self) || r->lev_state == S_LEV_SETTING) {
        return;
    }
    char lev[24];
    (void)money_fmt_trim(self->cfg.leverage, VENUE_LEV_SCALE, lev, sizeof lev);
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "category", self->category, "symbol",
                             r->symbol, "buyLeverage", lev, "sellLeverage", lev);
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    r->lev_sent_ms = clock_mono_ns() / CLOCK_NS_PER_MS;
    if (text && s_req(self, R_LEV, true, "/v5/position/set-leverage", text, r->symbol) == 0) {
        r->lev_state = S_LEV_SETTING;
        log_info(S_MOD, "leverage of %s: set to %s (the cap)", r->symbol, lev);
    }
    free(text);
}

/* The venue's leverage of symbol (its decimal string) was seen: compare it with the cap. */
static void
s_lev_seen(bybit_t *self, const char *symbol, const char *text, int px_scale)
{
    s_ref_t *r = s_lev_managed(self) ? s_ref(self, symbol, px_scale, true) : NULL;
    int64_t lev;
    if (!r || !text || !text[0] || money_parse(text, strlen(text), VENUE_LEV_SCALE, &lev) < 0
        || lev <= 0) {
        return;
    }
    r->venue_lev = lev;
    char cap[24];
    (void)money_fmt_trim(self->cfg.leverage, VENUE_LEV_SCALE, cap, sizeof cap);
    if (lev <= self->cfg.leverage) {
        if (r->lev_state != S_LEV_OK && r->lev_state != S_LEV_SETTING) {
            log_info(S_MOD, "leverage of %s on the venue: %s (cap %s)", symbol, text, cap);
        }
        if (r->lev_state != S_LEV_SETTING) {
            r->lev_state = S_LEV_OK;
        }
        return;
    }
    if (r->lev_state == S_LEV_SETTING) {
        return; /* a row older than the set in flight; its read-back decides */
    }
    if (r->lev_state != S_LEV_ABOVE) {
        log_warn(S_MOD,
                 "reconcile difference: venue leverage of %s is %s, above the cap %s: entries "
                 "refused, set again",
                 symbol, text, cap);
    }
    r->lev_state = S_LEV_ABOVE;
    if (clock_mono_ns() / CLOCK_NS_PER_MS - r->lev_sent_ms >= 5000) {
        s_lev_set(self, r); /* else the poll sets it again (every 5 s at most) */
    }
}

/* The answer to a set-leverage (link = symbol): 0 or 110043 -> read it back; else logged, the
 * poll tries again. */
static void
s_lev_done(bybit_t *self, const char *symbol, int rc, int e, const rest_resp_t *resp)
{
    s_ref_t *r = s_ref(self, symbol, 0, false);
    if (!r) {
        return;
    }
    if (rc == 0 || resp->ret_code == 110043) {
        char q[96];
        snprintf(q, sizeof q, "category=%s&symbol=%s", self->category, symbol);
        if (s_req(self, R_LEV_READ, false, "/v5/position/list", q, symbol) < 0) {
            r->lev_state = S_LEV_UNKNOWN;
        }
        return;
    }
    r->lev_state = r->venue_lev > self->cfg.leverage ? S_LEV_ABOVE : S_LEV_UNKNOWN;
    log_warn(S_MOD, "leverage of %s: set-leverage refused: %s (%d: %s)", symbol,
             resp->ret_code > 0 ? rest_code_text(resp->ret_code) : strerror(e), resp->ret_code,
             resp->ret_msg);
}

/* The read-back of a symbol's leverage (its position row, flat or not). */
static void
s_lev_read_done(bybit_t *self, const char *symbol, int rc, const rest_resp_t *resp)
{
    s_ref_t *r = s_ref(self, symbol, 0, false);
    if (!r) {
        return;
    }
    json_t *row = rc == 0 ? json_array_get(json_object_get(resp->result, "list"), 0) : NULL;
    const char *lev = row ? json_string_value(json_object_get(row, "leverage")) : NULL;
    r->lev_state = S_LEV_UNKNOWN; /* the set is over; what the venue says decides */
    if (!lev) {
        log_warn(S_MOD, "leverage of %s: no read-back (%d: %s)", symbol, resp->ret_code,
                 resp->ret_msg);
        return;
    }
    s_lev_seen(self, symbol, lev, r->px_scale);
}

/* Poll: symbols whose leverage is not confirmed get another set (every 5 s at most). */
static void
s_lev_poll(bybit_t *self)
{
    int64_t now = clock_mono_ns() / CLOCK_NS_PER_MS;
    for (size_t i = 0; s_lev_managed(self) && i < self->n_ref; i++) {
        s_ref_t *r = &self->ref[i];
        if ((r->lev_state == S_LEV_UNKNOWN || r->lev_state == S_LEV_ABOVE)
            && now - r->lev_sent_ms >= 5000) {
            s_lev_set(self, r);
        }
    }
}

static int
s_place(void *impl, order_t *o, const instr_t *in)
{
    bybit_t *self = impl;
    char body[2048], why[CODEC_TEXT_MAX];
    uint8_t enc[JOURNAL_REQ_MAX];
    size_t enc_len = 0;
    if (self->state == S_HALTED) {
        snprintf(why, sizeof why, "venue halted: %.100s", self->why);
        s_refuse(self, o, why);
        errno = EPERM;
        return -1;
    }
    if (self->state == S_RECONCILING && !o->req.reduce_only) {
        /* our view of orders and positions is in doubt: nothing new opens until the venue
         * and we agree; exits (reduce-only) still go out */
        snprintf(why, sizeof why, "venue reconciling: %.100s", self->why);
        s_refuse(self, o, why);
        errno = EAGAIN;
        return -1;
    }
    if (s_lev_managed(self) && !o->req.reduce_only && in) {
        s_ref_t *r = s_ref(self, o->req.symbol, in->px_scale, true);
        if (!r || r->lev_state != S_LEV_OK) {
            char cap[24], have[24];
            (void)money_fmt_trim(self->cfg.leverage, VENUE_LEV_SCALE, cap, sizeof cap);
            (void)money_fmt_trim(r ? r->venue_lev : 0, VENUE_LEV_SCALE, have, sizeof have);
            if (r && r->venue_lev > self->cfg.leverage) {
                snprintf(why, sizeof why, "venue leverage of %s is %s, above the cap %s",
                         o->req.symbol, have, cap);
            } else {
                snprintf(why, sizeof why,
                         "venue leverage of %s not confirmed at or below the cap %s yet",
                         o->req.symbol, cap);
            }
            if (r && r->lev_state == S_LEV_UNKNOWN) {
                s_lev_set(self, r);
            }
            s_refuse(self, o, why);
            errno = EAGAIN;
            return -1;
        }
    }
    bybit_opts_t opt;
    bybit_opts_for(&o->req, &opt);
    opt.category = self->category;
    if (self->spot) {
        /* spot: an explicit conditional is refused; a stop/target intent is a plain order;
         * attached TP/SL are not sent (spot TP/SL are separate asset-reserving orders) */
        if (o->req.trigger_px > 0) {
            s_refuse(self, o, "spot: conditional orders are not supported on the live path");
            errno = ENOTSUP;
            return -1;
        }
        if (opt.tp_px > 0 || opt.sl_px > 0) {
            log_warn(S_MOD, "order %s: spot, attached TP/SL not sent (risk's exits apply)",
                     o->req.client_id);
        }
        opt.trigger_px = opt.tp_px = opt.sl_px = 0;
    }
    /* slippage guard: a market entry goes out as an IOC limit at the reference price +- the
     * cap; what does not fill is cancelled by the venue and reported, never chased */
    codec_risk_order_t sent = o->req;
    if (in && self->cfg.slippage_cap > 0 && sent.type == CODEC_ORD_MARKET && !sent.reduce_only
        && sent.trigger_px == 0 && opt.trigger_px == 0) {
        if (s_bound(self, o, in, &sent, why, sizeof why) < 0) {
            s_refuse(self, o, why);
            errno = EAGAIN;
            return -1;
        }
        opt.tif = "IOC";
    }
    codec_env_t env;
    memset(&env, 0, sizeof env);
    env.v = CODEC_VERSION;
    env.origin = o->origin;
    env.evt = o->req.ts_event;
    if (!in || bybit_create_body(&sent, in, &opt, body, sizeof body) < 0
        || codec_encode(&env, CODEC_RISK_ORDER, &o->req, enc, sizeof enc, &enc_len) < 0) {
        s_refuse(self, o, "cannot build the create request");
        errno = EINVAL;
        return -1;
    }
    /* durable intent BEFORE the request leaves (journal.h) */
    if (journal_intent(self->journal, o->req.client_id, enc, enc_len) < 0) {
        snprintf(why, sizeof why, "journal write failed: %s", strerror(errno));
        if (order_reject(o, why) == 0) {
            s_emit_order(self, o, o->req.ts_event);
        }
        log_error(S_MOD, "order %s not sent: %s", o->req.client_id, why);
        errno = EIO;
        return -1;
    }
    s_emit_order(self, o, o->req.ts_event); /* New: accepted, on its way */
    /* in flight: the poll leaves this intent alone until the create's answer (or its
     * absence: timeout) is known */
    (void)zhashx_insert(self->inflight, o->req.client_id, (void *)1);
    if (s_req(self, R_CREATE, true, "/v5/order/create", body, o->req.client_id) < 0) {
        zhashx_delete(self->inflight, o->req.client_id);
        s_refuse(self, o, "cannot start the create request: not sent");
        errno = ENOMEM;
        return -1;
    }
    return 0; /* the venue's answer arrives as exec.order (s_create_done) */
}

/* The answer to an order's create (rc/err as rest_done_fn). */
static void
s_create_done(bybit_t *self, const char *link, int rc, int e, const rest_resp_t *r)
{
    char why[CODEC_TEXT_MAX];
    zhashx_delete(self->inflight, link);
    order_t *o = orders_get(self->orders, link);
    if (!o) {
        return; /* orders live as long as the process: cannot happen */
    }
    const char *oid = json_string_value(json_object_get(r->result, "orderId"));
    if (rc == 0 && oid) {
        snprintf(o->order_id, sizeof o->order_id, "%s", oid);
        if (journal_ack(self->journal, link, oid) < 0) {
            log_error(S_MOD, "journal: cannot record ack of %s: %s", link, strerror(errno));
        }
        log_info(S_MOD, "order %s acknowledged as %s", link, oid);
        return;
    }
    if (rc == 0 || e == ETIMEDOUT || e == EIO || e == ECONNREFUSED
        || (e == EPROTO && rest_code_unknown(r->ret_code))) {
        /* outcome unknown: never re-sent; the next poll asks the venue (bybit.h) */
        self->unknown_outcomes++;
        self->doubt = true;
        s_set_state(self, S_RECONCILING, "order outcome unknown");
        log_warn(S_MOD, "order %s: outcome unknown (%s%s%d), querying the venue", link,
                 e == EPROTO ? "retCode " : strerror(e), e == EPROTO ? "" : " ",
                 e == EPROTO ? r->ret_code : 0);
        return;
    }
    if (e == EAGAIN) {
        snprintf(why, sizeof why,
                 "bybit 10006: rate limit budget exhausted, not sent (retry in %lld ms)",
                 (long long)r->retry_ms);
    } else {
        snprintf(why, sizeof why, "bybit %d: %.60s (%.50s)", r->ret_code,
                 rest_code_text(r->ret_code), r->ret_msg);
    }
    s_refuse(self, o, why);
}

/* ---- executions and statuses ------------------------------------------------------------ */

static int
s_parse(const char *s, int scale, int64_t *out)
{
    int64_t v8;
    if (!s || !s[0] || money_parse(s, strlen(s), 8, &v8) < 0) {
        errno = EINVAL;
        return -1;
    }
    return money_rescale(v8, 8, scale, MONEY_ROUND_HALF_EVEN, out);
}

int
bybit_apply_exec(bybit_t *self, const char *link_id, const char *exec_id, const char *px_s,
                 const char *qty_s, const char *value_s, const char *fee_s, bool maker,
                 int64_t exec_ms)
{
    assert(self);
    if (!link_id || !exec_id || !exec_id[0]) {
        errno = EINVAL;
        return -1;
    }
    order_t *o = orders_get(self->orders, link_id);
    if (!o) {
        errno = ENOENT;
        return -1;
    }
    int64_t px, qty, value, fee, realized = 0;
    if (s_parse(px_s, o->req.px_scale, &px) < 0 || s_parse(qty_s, o->req.qty_scale, &qty) < 0
        || s_parse(value_s, MONEY_VALUE_SCALE, &value) < 0
        || s_parse(fee_s, MONEY_VALUE_SCALE, &fee) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (orders_fill(self->orders, link_id, exec_id, px, qty, value, fee) < 0) {
        return errno == EALREADY ? 0 : -1;
    }
    self->fills_applied++;
    if (account_fill(self->acct, o->req.venue, o->req.symbol, o->req.px_scale, o->req.qty_scale,
                     o->req.side, px, qty, fee, &realized)
        < 0) {
        log_error(S_MOD, "account: fill %s not booked: %s", exec_id, strerror(errno));
    }
    int64_t evt = exec_ms * CLOCK_NS_PER_MS;
    codec_exec_fill_t f;
    memset(&f, 0, sizeof f);
    snprintf(f.client_id, sizeof f.client_id, "%s", o->req.client_id);
    snprintf(f.order_id, sizeof f.order_id, "%s", o->order_id);
    snprintf(f.fill_id, sizeof f.fill_id, "%s", exec_id);
    snprintf(f.venue, sizeof f.venue, "%s", o->req.venue);
    snprintf(f.symbol, sizeof f.symbol, "%s", o->req.symbol);
    f.side = o->req.side;
    f.maker = maker;
    f.px_scale = o->req.px_scale;
    f.qty_scale = o->req.qty_scale;
    f.px = px;
    f.qty = qty;
    f.fee = fee;
    f.realized_pnl = realized;
    f.ts_event = evt;
    self->cfg.emit("exec.fill", CODEC_EXEC_FILL, &f, evt, o->origin, self->cfg.emit_arg);
    s_emit_order(self, o, evt);
    /* no exec.position here: the venue's position (push or poll) is published instead
     * (bybit_apply_position); the local account only checks it */
    if (exec_ms > self->last_exec_ms) {
        self->last_exec_ms = exec_ms;
    }
    log_info(S_MOD, "fill %s of %s: qty %s px %s fee %s%s", exec_id, link_id, qty_s, px_s, fee_s,
             maker ? " maker" : "");
    return 1;
}

int
bybit_apply_status(bybit_t *self, const char *link_id, const char *status, const char *cum_s,
                   const char *order_id, const char *reason)
{
    assert(self);
    order_t *o = link_id ? orders_get(self->orders, link_id) : NULL;
    order_status_t st;
    int64_t cum = 0;
    if (!o) {
        errno = ENOENT;
        return -1;
    }
    if (order_status_parse(status, &st) < 0
        || (cum_s && s_parse(cum_s, o->req.qty_scale, &cum) < 0)) {
        errno = EINVAL;
        return -1;
    }
    if (order_id && order_id[0] && strcmp(o->order_id, order_id) != 0) {
        snprintf(o->order_id, sizeof o->order_id, "%s", order_id);
    }
    if (cum > o->cum_qty) {
        return 0; /* the venue has fills we have not applied yet: statuses wait for them */
    }
    if (cum < o->cum_qty && (self->in_push || self->maybe_stale)) {
        /* a push older than the REST state we already applied (BYBIT_V5.md 3.6), or a REST
         * answer sent before fills we applied while it was in flight */
        return 0;
    }
    if (cum < o->cum_qty) {
        char what[160];
        snprintf(what, sizeof what, "%s: venue cumExecQty %s below ours", link_id, cum_s);
        s_diff(self, what);
        return 0;
    }
    if (st == o->status || st == ORDER_FILLED || st == ORDER_PARTIALLY_FILLED) {
        return 0; /* fills drive these; already there */
    }
    if (st == ORDER_REJECTED) {
        if (order_reject(o, reason && reason[0] ? reason : "rejected by the venue") < 0) {
            return -1;
        }
    } else if (order_set_status(
                   o, st, reason && reason[0] && strcmp(reason, "EC_NoError") != 0 ? reason : NULL)
               < 0) {
        return -1;
    }
    s_emit_order(self, o, clock_wall_ns());
    log_info(S_MOD, "order %s is %s", link_id, status);
    return 1;
}

static const char *
s_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void
s_apply_order_json(bybit_t *self, json_t *vo)
{
    const char *link = s_str(vo, "orderLinkId");
    const char *reason = s_str(vo, "rejectReason");
    if (bybit_apply_status(self, link, s_str(vo, "orderStatus"), s_str(vo, "cumExecQty"),
                           s_str(vo, "orderId"), reason)
            < 0
        && errno != ENOENT) {
        char what[160];
        snprintf(what, sizeof what, "%s: venue status %s not applicable: %s", link,
                 s_str(vo, "orderStatus"), strerror(errno));
        s_diff(self, what);
    }
}

/* The journal state of a client id (-1 = not in the journal). */
static int
s_journal_state(const bybit_t *self, const char *link)
{
    for (size_t i = journal_count(self->journal); i-- > 0;) {
        const journal_rec_t *jr = journal_get(self->journal, i);
        if (strcmp(jr->client_id, link) == 0) {
            return (int)jr->state;
        }
    }
    return -1;
}

/* An open intent found on the venue: adopt it (journal A), never send it again. */
static void
s_adopt(bybit_t *self, const char *link, json_t *vo)
{
    const char *oid = s_str(vo, "orderId");
    log_notice(S_MOD, "intent %s resolved: on the venue as %s (%s)", link, oid,
               s_str(vo, "orderStatus"));
    if (journal_ack(self->journal, link, oid) < 0) {
        log_error(S_MOD, "journal: %s", strerror(errno));
    }
    order_t *o = orders_get(self->orders, link);
    if (o) {
        snprintf(o->order_id, sizeof o->order_id, "%s", oid);
    }
}

/* An open intent absent from realtime and history: after S_NOT_FOUND polls, never placed. */
static void
s_not_found(bybit_t *self, const char *link)
{
    uintptr_t n = (uintptr_t)zhashx_lookup(self->not_found, link) + 1;
    zhashx_update(self->not_found, link, (void *)n);
    if (n < S_NOT_FOUND) {
        self->poll_ok = false; /* ask again next poll before concluding */
        return;
    }
    log_notice(S_MOD, "intent %s resolved: not on the venue, never placed", link);
    order_t *o = orders_get(self->orders, link);
    if (o && o->status == ORDER_NEW && o->cum_qty == 0) {
        s_refuse(self, o, "not found on venue: never placed");
    } else if (journal_refuse(self->journal, link, "not found on venue") < 0) {
        log_error(S_MOD, "journal: %s", strerror(errno));
    }
}

/* One execution object (REST list item or push; BYBIT_V5.md 2.8, 3) through bybit_apply_exec.
 * A fee in another coin than the account asset (Bybit spot buys pay it in the base coin,
 * feeCurrency "BTC") is turned into the asset at the execution price, half-even once. */
static int
s_apply_exec_json(bybit_t *self, json_t *e)
{
    const char *fee = s_str(e, "execFee"), *cur = s_str(e, "feeCurrency");
    const char *asset = self->cfg.asset ? self->cfg.asset : "USDT";
    char conv[40];
    int64_t f8, px8, q8;
    if (cur[0] && strcmp(cur, asset) != 0) {
        if (s_parse(fee, 8, &f8) < 0 || s_parse(s_str(e, "execPrice"), 8, &px8) < 0
            || money_mul(f8, 8, px8, 8, 8, MONEY_ROUND_HALF_EVEN, &q8) < 0
            || money_fmt(q8, 8, conv, sizeof conv) < 0) {
            errno = EINVAL;
            return -1;
        }
        fee = conv;
    }
    return bybit_apply_exec(self, s_str(e, "orderLinkId"), s_str(e, "execId"),
                            s_str(e, "execPrice"), s_str(e, "execQty"), s_str(e, "execValue"), fee,
                            json_is_true(json_object_get(e, "isMaker")),
                            strtoll(s_str(e, "execTime"), NULL, 10));
}

/* /v5/execution/list (newest first): apply unseen fills oldest first. */
static void
s_apply_execs(bybit_t *self, json_t *list)
{
    for (size_t i = json_array_size(list); i-- > 0;) {
        json_t *e = json_array_get(list, i);
        if (strcmp(s_str(e, "execType"), "Trade") != 0 && s_str(e, "execType")[0]) {
            continue; /* funding rows and the like are not order fills */
        }
        int rc = s_apply_exec_json(self, e);
        if (rc < 0 && errno == ENOENT) {
            char what[160];
            snprintf(what, sizeof what, "fill %s of order %s (link '%s') unknown to the executor",
                     s_str(e, "execId"), s_str(e, "orderId"), s_str(e, "orderLinkId"));
            log_limited(&self->diff_limit, LOG_WARN, S_MOD, what, NULL, 0);
        } else if (rc < 0) {
            char what[160];
            snprintf(what, sizeof what, "fill %s not applied: %s", s_str(e, "execId"),
                     strerror(errno));
            s_diff(self, what);
        }
    }
}

/* The open set: apply each; local open orders missing from it are looked up (phase 2). */
static void
s_apply_open(bybit_t *self, json_t *open)
{
    char q[160];
    size_t i;
    json_t *vo;
    json_array_foreach(open, i, vo)
    {
        const char *link = s_str(vo, "orderLinkId");
        if (!orders_get(self->orders, link)) {
            char what[160];
            snprintf(what, sizeof what, "venue open order %s (link '%s') unknown to the executor",
                     s_str(vo, "orderId"), link);
            s_diff(self, what);
            continue;
        }
        s_apply_order_json(self, vo);
    }
    for (size_t k = 0; k < journal_count(self->journal); k++) {
        const journal_rec_t *jr = journal_get(self->journal, k);
        order_t *o = orders_get(self->orders, jr->client_id);
        if (jr->state != JOURNAL_ACKED || !o || !order_is_open(o)) {
            continue;
        }
        bool in_open = false;
        json_array_foreach(open, i, vo)
        {
            in_open = in_open || strcmp(s_str(vo, "orderLinkId"), jr->client_id) == 0;
        }
        if (!in_open) {
            (void)json_array_append_new(self->p_look_links, json_string(jr->client_id));
            snprintf(q, sizeof q, "category=%s&orderLinkId=%s", self->category, jr->client_id);
            (void)s_req(self, R_LOOK_RT, false, "/v5/order/realtime", q, jr->client_id);
            (void)s_req(self, R_LOOK_HIST, false, "/v5/order/history", q, jr->client_id);
        }
    }
}

/* ---- venue positions and wallet -> exec.position / exec.balance ------------------------- */

static int64_t
s_seq(json_t *o)
{
    json_t *v = json_object_get(o, "seq");
    if (json_is_integer(v)) {
        return (int64_t)json_integer_value(v);
    }
    const char *t = json_string_value(v); /* tolerated: a string seq */
    return t && t[0] ? strtoll(t, NULL, 10) : -1;
}

/* Order of two position versions: by `seq` when both carry one (Bybit's cross sequence, the
 * same counter on REST and WS), else by updatedTime. <0, 0, >0. */
static int
s_version_cmp(int64_t seq_a, int64_t upd_a, int64_t seq_b, int64_t upd_b)
{
    if (seq_a >= 0 && seq_b >= 0 && seq_a != seq_b) {
        return seq_a < seq_b ? -1 : 1;
    }
    return upd_a < upd_b ? -1 : upd_a > upd_b ? 1 : 0;
}

static void
s_vpos_free(void **item)
{
    free(*item);
    *item = NULL;
}

/* POST /v5/position/trading-stop with the stop of w (Full mode, BYBIT_V5.md 2.9). 0 or -1. */
static int
s_send_stop(bybit_t *self, s_want_sl_t *w)
{
    char px[40];
    if (money_fmt(w->px, w->px_scale, px, sizeof px) < 0) {
        errno = EINVAL;
        return -1;
    }
    json_t *body = json_pack("{s:s, s:s, s:s, s:i, s:s}", "category", self->category, "symbol",
                             w->symbol, "tpslMode", "Full", "positionIdx", 0, "stopLoss", px);
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    if (!text) {
        errno = ENOMEM;
        return -1;
    }
    w->sent_ms = clock_mono_ns() / CLOCK_NS_PER_MS;
    int rc = s_req(self, R_CTL, true, "/v5/position/trading-stop", text, NULL);
    free(text);
    return rc < 0 ? -1 : 0;
}

static s_want_sl_t *
s_want_sl(bybit_t *self, const char *symbol)
{
    for (size_t i = 0; i < self->n_want_sl; i++) {
        if (strcmp(self->want_sl[i].symbol, symbol) == 0) {
            return &self->want_sl[i];
        }
    }
    return NULL;
}

/* A polled position of `sym` (qty signed, the venue's stopLoss at px_scale, -1 = not given):
 * flat ends the wanted stop; open with another stop than wanted sends it again (at most every
 * S_WANT_SL_RESEND_MS), logged as a reconciliation difference. */
static void
s_stop_reconcile(bybit_t *self, const char *sym, int64_t qty, int64_t sl_venue, int px_scale)
{
    s_want_sl_t *w = s_want_sl(self, sym);
    if (!w) {
        return;
    }
    if (qty == 0) {
        *w = self->want_sl[--self->n_want_sl]; /* the position closed: its stop with it */
        return;
    }
    if (sl_venue < 0 || px_scale != w->px_scale || sl_venue == w->px) {
        return;
    }
    int64_t now = clock_mono_ns() / CLOCK_NS_PER_MS;
    if (now - w->sent_ms < S_WANT_SL_RESEND_MS) {
        return;
    }
    char have[40], want[40];
    (void)money_fmt(sl_venue, px_scale, have, sizeof have);
    (void)money_fmt(w->px, w->px_scale, want, sizeof want);
    log_warn(S_MOD, "reconcile difference: venue stop of %s is %s, risk moved it to %s: sent again",
             sym, have, want);
    self->stop_resends++;
    (void)s_send_stop(self, w);
}

int
bybit_apply_position(bybit_t *self, json_t *p, int64_t resp_ms, bool push)
{
    assert(self);
    const char *sym = s_str(p, "symbol");
    if (!sym[0] || strlen(sym) >= CODEC_SYM_MAX) {
        errno = EINVAL;
        return -1;
    }
    codec_exec_position_t x, lp;
    memset(&x, 0, sizeof x);
    bool have_local = account_position(self->acct, self->venue_name, sym, 0, &lp) == 0;
    const instr_t *in =
        self->cfg.instr ? instr_table_get(self->cfg.instr, self->venue_name, sym) : NULL;
    if (in) {
        x.px_scale = in->px_scale;
        x.qty_scale = in->qty_scale;
    } else if (have_local) {
        x.px_scale = lp.px_scale;
        x.qty_scale = lp.qty_scale;
    } else {
        errno = ENOENT; /* no scales for this symbol: neither rules nor a fill of ours */
        return -1;
    }
    /* the push names the entry "entryPrice", REST "avgPrice" (BYBIT_V5.md 3, 2.8) */
    const char *entry =
        json_object_get(p, "entryPrice") ? s_str(p, "entryPrice") : s_str(p, "avgPrice");
    const char *side = s_str(p, "side"), *upnl = s_str(p, "unrealisedPnl");
    if (s_parse(s_str(p, "size"), x.qty_scale, &x.qty) < 0
        || s_parse(entry[0] ? entry : "0", x.px_scale, &x.entry_px) < 0
        || s_parse(s_str(p, "markPrice"), x.px_scale, &x.mark_px) < 0
        || s_parse(upnl[0] ? upnl : "0", MONEY_VALUE_SCALE, &x.unrealized_pnl) < 0 || x.qty < 0
        || (x.qty > 0 && strcmp(side, "Buy") != 0 && strcmp(side, "Sell") != 0)) {
        errno = EINVAL;
        return -1;
    }
    if (strcmp(side, "Sell") == 0) {
        x.qty = -x.qty;
    }
    if (x.qty == 0) {
        x.entry_px = 0;
    }
    int64_t seq = s_seq(p);
    const char *u = s_str(p, "updatedTime");
    int64_t sl_venue = -1; /* the venue's stopLoss at px_scale, -1 = not given */
    const char *slv = s_str(p, "stopLoss");
    if (slv[0] && s_parse(slv, x.px_scale, &sl_venue) < 0) {
        sl_venue = -1;
    }
    int64_t upd = u[0] ? strtoll(u, NULL, 10) : resp_ms;
    snprintf(x.venue, sizeof x.venue, "%s", self->venue_name);
    snprintf(x.symbol, sizeof x.symbol, "%s", sym);
    /* realised: the codec's is gross (docs/messages.md); Bybit's cumRealisedPnl is net of fees
     * and funding, so the gross sum of our own fills is reported */
    x.realized_pnl = have_local ? lp.realized_pnl : 0;
    x.ts_event = (upd > 0 ? upd : rest_now_ms(self->rest)) * CLOCK_NS_PER_MS;
    s_vpos_t *v = zhashx_lookup(self->vpos, sym);
    if (v && s_version_cmp(seq, upd, v->seq, v->upd_ms) < 0) {
        self->pos_stale++;
        errno = ESTALE; /* older than what was applied: a late push or a slow poll */
        return -1;
    }
    if (!push) {
        s_stop_reconcile(self, sym, x.qty, sl_venue, x.px_scale);
    }
    s_lev_seen(self, sym, s_str(p, "leverage"), x.px_scale);
    if (!v) {
        v = calloc(1, sizeof *v);
        if (!v || zhashx_insert(self->vpos, sym, v) < 0) {
            free(v);
            errno = ENOMEM;
            return -1;
        }
        v->seq = -1;
    } else if (v->last.qty == x.qty && v->last.entry_px == x.entry_px
               && v->last.mark_px == x.mark_px && v->last.unrealized_pnl == x.unrealized_pnl
               && v->last.px_scale == x.px_scale && v->last.qty_scale == x.qty_scale) {
        if (seq >= 0) {
            v->seq = seq;
        }
        v->upd_ms = upd > v->upd_ms ? upd : v->upd_ms;
        self->pos_dup++;
        return 0; /* the same position again (a push on an order create, the next poll) */
    }
    if (seq >= 0) {
        v->seq = seq;
    }
    v->upd_ms = upd > v->upd_ms ? upd : v->upd_ms;
    v->last = x;
    if (have_local && x.mark_px > 0) {
        (void)account_mark(self->acct, self->venue_name, sym, x.mark_px);
    }
    if (push) {
        self->pos_push++;
    } else {
        self->pos_poll++;
    }
    self->cfg.emit("exec.position", CODEC_EXEC_POSITION, &x, x.ts_event, 0, self->cfg.emit_arg);
    return 1;
}

/* Spot: the wallet's coins are the holdings. Each coin other than the quote asset whose
 * <coin><asset> symbol we know becomes a position (size = walletBalance, entry and mark from
 * our fills), through bybit_apply_position (versioned by the wallet's time); a symbol last
 * published open whose coin is gone from the list is flat. */
static void
s_spot_positions(bybit_t *self, json_t *w, int64_t t_ms, bool push)
{
    const char *asset = self->cfg.asset ? self->cfg.asset : "USDT";
    char sym[CODEC_SYM_MAX], ts[24], entry[40], mark[40], upnl[40];
    json_t *seen = json_object();
    size_t i;
    json_t *c;
    snprintf(ts, sizeof ts, "%lld", (long long)t_ms);
    json_array_foreach(json_object_get(w, "coin"), i, c)
    {
        const char *coin = s_str(c, "coin"), *bal = s_str(c, "walletBalance");
        if (!coin[0] || strcmp(coin, asset) == 0 || !bal[0]
            || snprintf(sym, sizeof sym, "%s%s", coin, asset) >= (int)sizeof sym) {
            continue;
        }
        codec_exec_position_t lp;
        memset(&lp, 0, sizeof lp);
        bool have = account_position(self->acct, self->venue_name, sym, 0, &lp) == 0;
        (void)money_fmt(have ? lp.entry_px : 0, have ? lp.px_scale : 0, entry, sizeof entry);
        (void)money_fmt(have ? lp.mark_px : 0, have ? lp.px_scale : 0, mark, sizeof mark);
        (void)money_fmt(have ? lp.unrealized_pnl : 0, MONEY_VALUE_SCALE, upnl, sizeof upnl);
        int64_t b8 = 0;
        bool open = s_parse(bal, 8, &b8) == 0 && b8 > 0;
        json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "symbol", sym, "side",
                              open ? "Buy" : "", "size", open ? bal : "0", "avgPrice", entry,
                              "markPrice", mark, "unrealisedPnl", upnl, "updatedTime", ts);
        if (p && bybit_apply_position(self, p, t_ms, push) >= 0) {
            (void)json_object_set_new(seen, sym, json_true());
        }
        json_decref(p);
    }
    for (s_vpos_t *v = zhashx_first(self->vpos); v && seen; v = zhashx_next(self->vpos)) {
        if (v->last.qty != 0 && !json_object_get(seen, v->last.symbol)) {
            json_t *p =
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "symbol", v->last.symbol, "side", "",
                          "size", "0", "avgPrice", "0", "markPrice", "0", "updatedTime", ts);
            (void)json_object_set_new(seen, v->last.symbol, json_true());
            if (p) {
                /* the entry exists: this updates it, never inserts (the iteration holds) */
                (void)bybit_apply_position(self, p, t_ms, push);
            }
            json_decref(p);
        }
    }
    json_decref(seen);
}

int
bybit_apply_wallet(bybit_t *self, json_t *w, int64_t venue_ms, bool push)
{
    assert(self);
    codec_exec_balance_t b;
    memset(&b, 0, sizeof b);
    snprintf(b.venue, sizeof b.venue, "%s", self->venue_name);
    snprintf(b.asset, sizeof b.asset, "%s", self->cfg.asset ? self->cfg.asset : "USDT");
    if (s_parse(s_str(w, "totalWalletBalance"), MONEY_VALUE_SCALE, &b.wallet) < 0
        || s_parse(s_str(w, "totalAvailableBalance"), MONEY_VALUE_SCALE, &b.available) < 0
        || s_parse(s_str(w, "totalEquity"), MONEY_VALUE_SCALE, &b.equity) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (self->spot) {
        /* spot: the quote coin's own balance is the cash (walletBalance less what open
         * orders hold); totalEquity (all coins) stays the equity */
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(w, "coin"), i, c)
        {
            int64_t lk = 0;
            if (strcmp(s_str(c, "coin"), b.asset) == 0
                && s_parse(s_str(c, "walletBalance"), MONEY_VALUE_SCALE, &b.wallet) == 0) {
                const char *l = s_str(c, "locked");
                (void)s_parse(l[0] ? l : "0", MONEY_VALUE_SCALE, &lk);
                b.available = b.wallet - lk;
            }
        }
    }
    if (venue_ms <= 0) {
        venue_ms = rest_now_ms(self->rest);
    }
    if (venue_ms < self->bal_ms) {
        self->bal_stale++;
        errno = ESTALE;
        return -1;
    }
    if (self->spot) {
        s_spot_positions(self, w, venue_ms, push);
    }
    self->bal_ms = venue_ms;
    self->equity = b.equity;
    b.fees = account_fees(self->acct);
    b.ts_event = venue_ms * CLOCK_NS_PER_MS;
    if (self->bal_published && b.wallet == self->bal_last.wallet
        && b.available == self->bal_last.available && b.equity == self->bal_last.equity
        && b.fees == self->bal_last.fees && venue_ms - self->bal_pub_ms < S_BAL_REFRESH_MS) {
        self->bal_dup++;
        return 0;
    }
    self->bal_last = b;
    self->bal_published = true;
    self->bal_pub_ms = venue_ms;
    if (push) {
        self->bal_push++;
    } else {
        self->bal_poll++;
    }
    self->cfg.emit("exec.balance", CODEC_EXEC_BALANCE, &b, b.ts_event, 0, self->cfg.emit_arg);
    return 1;
}

/* /v5/position/list answered at venue time t_ms: publish (rule above) and compare with the
 * positions built from our fills. */
static void
s_apply_positions(bybit_t *self, json_t *list, int64_t t_ms)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        const char *sym = s_str(p, "symbol");
        codec_exec_position_t lp;
        bool have = account_position(self->acct, self->venue_name, sym, clock_wall_ns(), &lp) == 0;
        int64_t size;
        if (bybit_apply_position(self, p, t_ms, false) < 0 && errno != ESTALE) {
            log_limited(&self->pos_limit, LOG_WARN, S_MOD, "venue position not usable", sym,
                        strlen(sym));
        }
        if (!have) {
            char what[160];
            snprintf(what, sizeof what, "venue position %s %s %s not in the executor's fills", sym,
                     s_str(p, "side"), s_str(p, "size"));
            s_diff(self, what);
            continue;
        }
        if (s_parse(s_str(p, "size"), lp.qty_scale, &size) == 0) {
            if (strcmp(s_str(p, "side"), "Sell") == 0) {
                size = -size;
            }
            if (size != lp.qty) {
                /* a fill may land between our execution and position queries: a mismatch
                 * counts only when the next poll sees the very same one */
                char what[160];
                snprintf(what, sizeof what, "position %s: venue %lld, executor %lld (qty scale %d)",
                         sym, (long long)size, (long long)lp.qty, lp.qty_scale);
                if (zhashx_lookup(self->suspect, what)) {
                    s_diff(self, what);
                }
                (void)zhashx_insert(self->suspect_next, what, (void *)1);
            }
        }
    }
    /* with settleCoin the list holds only open positions: a symbol we last published open
     * and now absent is flat as of this answer (version: the answer's time, no seq) */
    zlistx_t *gone = zlistx_new();
    for (s_vpos_t *v = zhashx_first(self->vpos); v && gone; v = zhashx_next(self->vpos)) {
        bool listed = false;
        json_array_foreach(list, i, p)
        {
            listed = listed || strcmp(s_str(p, "symbol"), v->last.symbol) == 0;
        }
        if (!listed && v->last.qty != 0) {
            zlistx_add_end(gone, v->last.symbol);
        }
    }
    for (const char *sym = gone ? zlistx_first(gone) : NULL; sym; sym = zlistx_next(gone)) {
        char mark[40];
        const s_vpos_t *v = zhashx_lookup(self->vpos, sym);
        (void)money_fmt(v->last.mark_px, v->last.px_scale, mark, sizeof mark);
        json_t *flat = json_pack("{s:s, s:s, s:s, s:s, s:s}", "symbol", sym, "side", "", "size",
                                 "0", "avgPrice", "0", "markPrice", mark);
        if (flat) {
            (void)bybit_apply_position(self, flat, t_ms, false); /* ESTALE: a newer push won */
        }
        json_decref(flat);
    }
    zlistx_destroy(&gone);
    zhashx_purge(self->suspect);
    zhashx_t *tmp = self->suspect;
    self->suspect = self->suspect_next;
    self->suspect_next = tmp;
}

/* Trading rules from GET /v5/market/instruments-info (a restarted executor gets no
 * md.instrument until the feed reconnects). Symbols already known are kept. */
static void
s_apply_rules(bybit_t *self, json_t *list)
{
    size_t i, n = 0;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        json_t *lot = json_object_get(e, "lotSizeFilter");
        instr_t in;
        const char *sym = s_str(e, "symbol");
        if (!self->cfg.instr || instr_table_get(self->cfg.instr, self->venue_name, sym)) {
            continue;
        }
        /* spot: basePrecision is the step, minOrderAmt the minimum notional (2.5) */
        const char *minn = s_str(lot, self->spot ? "minOrderAmt" : "minNotionalValue");
        if (instr_from_strings(&in, self->venue_name, self->category, sym,
                               s_str(json_object_get(e, "priceFilter"), "tickSize"),
                               s_str(lot, self->spot ? "basePrecision" : "qtyStep"),
                               s_str(lot, "minOrderQty"), minn[0] ? minn : "0")
                == 0
            && instr_table_put(self->cfg.instr, &in) == 0) {
            n++;
        }
    }
    log_info(S_MOD, "%zu instrument rules loaded from instruments-info", n);
}

/* ---- the poll: phases of concurrent queries -------------------------------------------
 * phase 0  GET /v5/market/time (every 5 min) and instruments-info (until loaded)
 * phase 1  per open intent (create not in flight) realtime?orderLinkId; execution/list; the
 *          open set; position/list; wallet-balance -> applied in this order: intents found,
 *          executions, open orders, positions, wallet
 * phase 2  history?orderLinkId for intents not in realtime; realtime + history for local open
 *          orders missing from the open set
 * A poll asked for while one runs (WS authenticated, operator) runs right after it; the
 * timer's poll is skipped instead. REST answers may predate pushes applied while they were in
 * flight: statuses with a venue cum below ours are then not differences (maybe_stale), fills
 * and positions are deduplicated / versioned anyway. */

static void
s_poll_clear(bybit_t *self)
{
    json_t **objs[] = { &self->p_intent_rt, &self->p_intent_hist, &self->p_look_rt,
                        &self->p_look_hist, &self->p_look_links,  &self->p_execs,
                        &self->p_open,      &self->p_pos,         &self->p_wallet };
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
        json_decref(*objs[i]);
        *objs[i] = NULL;
    }
}

static void s_poll_now(bybit_t *self);

static void
s_poll_end(bybit_t *self)
{
    s_poll_clear(self);
    self->polling = false;
    self->maybe_stale = false;
    if (!self->poll_abort) {
        if (self->poll_ok) {
            if (self->state == S_RECONCILING) {
                log_notice(S_MOD, "reconciliation done: %llu differences so far",
                           (unsigned long long)self->diffs);
            }
            self->doubt = false;
            if (self->ws && !self->ws_authed) {
                s_set_state(self, S_RECONCILING, "private ws not authenticated yet");
            } else {
                s_set_state(self, S_RUNNING, NULL);
            }
        } else {
            s_set_state(self, S_RECONCILING, "venue queries failing");
        }
    }
    if (self->poll_again) {
        self->poll_again = false;
        s_poll_now(self);
    }
}

static void
s_poll_phase1(bybit_t *self)
{
    char q[160];
    for (size_t i = 0; i < journal_count(self->journal); i++) {
        const journal_rec_t *jr = journal_get(self->journal, i);
        if (jr->state == JOURNAL_INTENT && !zhashx_lookup(self->inflight, jr->client_id)) {
            snprintf(q, sizeof q, "category=%s&orderLinkId=%s", self->category, jr->client_id);
            (void)s_req(self, R_INTENT_RT, false, "/v5/order/realtime", q, jr->client_id);
        }
    }
    snprintf(q, sizeof q, "category=%s&limit=100", self->category);
    (void)s_req(self, R_EXECS, false, "/v5/execution/list", q, NULL);
    if (self->spot) { /* spot: no settleCoin, no positions (BYBIT_V5.md 2.8) */
        (void)s_req(self, R_OPEN, false, "/v5/order/realtime", "category=spot", NULL);
    } else {
        snprintf(q, sizeof q, "category=%s&settleCoin=USDT", self->category);
        (void)s_req(self, R_OPEN, false, "/v5/order/realtime", q, NULL);
        (void)s_req(self, R_POS, false, "/v5/position/list", q, NULL);
    }
    (void)s_req(self, R_WALLET, false, "/v5/account/wallet-balance", "accountType=UNIFIED", NULL);
}

static void
s_poll_process1(bybit_t *self)
{
    char q[160];
    const char *link;
    json_t *list;
    self->maybe_stale = self->fills_applied != self->poll_fills0;
    json_object_foreach(self->p_intent_rt, link, list)
    {
        if (s_journal_state(self, link) != JOURNAL_INTENT) {
            continue; /* its create was answered meanwhile */
        }
        json_t *vo = json_array_get(list, 0);
        if (vo) {
            s_adopt(self, link, vo);
        } else {
            snprintf(q, sizeof q, "category=%s&orderLinkId=%s", self->category, link);
            (void)s_req(self, R_INTENT_HIST, false, "/v5/order/history", q, link);
        }
    }
    if (self->p_execs) {
        s_apply_execs(self, self->p_execs);
    }
    if (self->p_open) {
        s_apply_open(self, self->p_open);
    }
    if (self->p_pos) {
        s_apply_positions(self, self->p_pos, self->p_pos_ms);
    }
    if (self->p_wallet
        && bybit_apply_wallet(self, json_array_get(self->p_wallet, 0), self->p_wal_ms, false) < 0
        && errno != ESTALE) {
        log_limited(&self->pos_limit, LOG_WARN, S_MOD, "venue wallet not usable", NULL, 0);
    }
}

static void
s_poll_process2(bybit_t *self)
{
    const char *link;
    json_t *list;
    self->maybe_stale = self->fills_applied != self->poll_fills0;
    json_object_foreach(self->p_intent_hist, link, list)
    {
        if (s_journal_state(self, link) != JOURNAL_INTENT) {
            continue;
        }
        json_t *vo = json_array_get(list, 0);
        if (vo) {
            s_adopt(self, link, vo);
        } else {
            s_not_found(self, link);
        }
    }
    size_t i;
    json_t *l;
    json_array_foreach(self->p_look_links, i, l)
    {
        const char *k = json_string_value(l);
        json_t *rt = json_object_get(self->p_look_rt, k),
               *hist = json_object_get(self->p_look_hist, k);
        json_t *vo = json_array_get(rt, 0) ? json_array_get(rt, 0) : json_array_get(hist, 0);
        if (vo) {
            s_apply_order_json(self, vo);
        } else if (!rt || !hist) {
            self->poll_ok = false; /* a look-up failed: nothing concluded */
        } else {
            char what[160];
            snprintf(what, sizeof what, "acknowledged order %s not found on the venue", k);
            s_diff(self, what);
        }
    }
}

/* The phase's requests are all answered: process, start the next phase or end. */
static void
s_poll_release(bybit_t *self)
{
    assert(self->poll_pending > 0);
    if (--self->poll_pending > 0) {
        return;
    }
    self->poll_pending = 1; /* held while the next phase starts its requests */
    if (self->poll_phase == 0) {
        if (self->poll_abort) {
            self->poll_pending = 0;
            s_poll_end(self);
            return;
        }
        self->poll_phase = 1;
        s_poll_phase1(self);
    } else if (self->poll_phase == 1) {
        self->poll_phase = 2;
        s_poll_process1(self);
    } else {
        s_poll_process2(self);
        self->poll_pending = 0;
        s_poll_end(self);
        return;
    }
    s_poll_release(self);
}

/* One poll answer (rc/err as rest_done_fn): store it for its phase. */
static void
s_poll_done(bybit_t *self, const s_req_t *q, int rc, const rest_resp_t *r)
{
    json_t *list = rc == 0 ? json_object_get(r->result, "list") : NULL;
    json_t *map = NULL;
    if (q->kind == R_TIME) {
        if (rc < 0) {
            log_limited(&self->poll_limit, LOG_WARN, S_MOD, "venue time unreachable", NULL, 0);
            s_set_state(self, S_RECONCILING, "venue unreachable");
            self->poll_abort = true;
        } else {
            self->last_sync_ms = clock_wall_ns() / CLOCK_NS_PER_MS;
            int64_t off = rest_offset_ms(self->rest);
            if (off > self->cfg.max_offset_ms || -off > self->cfg.max_offset_ms) {
                char why[CODEC_TEXT_MAX];
                snprintf(why, sizeof why, "clock offset %lld ms beyond %lld ms", (long long)off,
                         (long long)self->cfg.max_offset_ms);
                s_set_state(self, S_HALTED, why);
                self->poll_abort = true;
            }
        }
    } else if (q->kind == R_RULES) {
        if (json_is_array(list)) {
            s_apply_rules(self, list);
            self->have_rules = true;
        } /* else: asked again next poll; the poll itself does not depend on it */
    } else if (!json_is_array(list)) {
        self->poll_ok = false;
    } else {
        switch (q->kind) {
        case R_INTENT_RT:
            map = self->p_intent_rt;
            break;
        case R_INTENT_HIST:
            map = self->p_intent_hist;
            break;
        case R_LOOK_RT:
            map = self->p_look_rt;
            break;
        case R_LOOK_HIST:
            map = self->p_look_hist;
            break;
        case R_EXECS:
            self->p_execs = json_incref(list);
            break;
        case R_OPEN:
            self->p_open = json_incref(list);
            break;
        case R_POS:
            self->p_pos = json_incref(list);
            self->p_pos_ms = r->time_ms;
            break;
        case R_WALLET:
            self->p_wallet = json_incref(list);
            self->p_wal_ms = r->time_ms;
            break;
        default:
            break;
        }
        if (map) {
            (void)json_object_set(map, q->link, list);
        }
    }
    s_poll_release(self);
}

/* Start a poll now, or right after the one running. */
static void
s_poll_now(bybit_t *self)
{
    if (self->polling) {
        self->poll_again = true;
        return;
    }
    self->polls++;
    if (self->state == S_HALTED) {
        return;
    }
    json_t *maps[] = { self->p_intent_rt = json_object(), self->p_intent_hist = json_object(),
                       self->p_look_rt = json_object(), self->p_look_hist = json_object(),
                       self->p_look_links = json_array() };
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++) {
        if (!maps[i]) {
            s_poll_clear(self);
            log_limited(&self->poll_limit, LOG_ERROR, S_MOD, "poll: out of memory", NULL, 0);
            return;
        }
    }
    self->polling = true;
    self->poll_ok = true;
    self->poll_abort = false;
    self->poll_fills0 = self->fills_applied;
    self->poll_phase = 0;
    self->poll_pending = 1; /* held while phase 0 starts */
    int64_t now = clock_wall_ns() / CLOCK_NS_PER_MS;
    if (self->last_sync_ms == 0 || now - self->last_sync_ms > S_SYNC_TIME_MS) {
        (void)s_req(self, R_TIME, false, "/v5/market/time", "", NULL);
    }
    if (!self->have_rules) {
        char q[64];
        snprintf(q, sizeof q, "category=%s&limit=1000", self->category);
        (void)s_req(self, R_RULES, false, "/v5/market/instruments-info", q, NULL);
    }
    s_poll_release(self);
}

/* venue_ops poll (the stage's timer): skipped while a poll is still running. */
static void
s_poll(void *impl)
{
    bybit_t *self = impl;
    s_lev_poll(self);
    if (!self->polling) {
        s_poll_now(self);
    }
}

/* ---- operator commands ------------------------------------------------------------------ */

/* The answer to an operator command: logged; into the control reply when it came before
 * s_control returned (a refusal before sending). */
static void
s_ctl_done(bybit_t *self, const char *path, int rc, int e, const rest_resp_t *r)
{
    json_t *reply = self->ctl_reply;
    if (reply) {
        json_object_set_new(reply, "ok", json_boolean(rc == 0));
        json_object_set_new(reply, "retCode", json_integer(r->ret_code));
        json_object_set_new(reply, "retMsg", json_string(rc == 0 ? "OK" : r->ret_msg));
        if (rc < 0) {
            json_object_set_new(
                reply, "error",
                json_string(r->ret_code > 0 ? rest_code_text(r->ret_code) : strerror(e)));
        } else if (r->result) {
            json_object_set(reply, "result", r->result);
        }
    }
    if (rc == 0) {
        log_info(S_MOD, "%s: OK", path);
    } else {
        log_warn(S_MOD, "%s: %s (%d: %s)", path,
                 r->ret_code > 0 ? rest_code_text(r->ret_code) : strerror(e), r->ret_code,
                 r->ret_msg);
    }
}

/* Send an operator command's POST body (owned: consumed). The reply says "sent": the venue's
 * answer is logged ("<path>: OK" or the retCode) and its effect arrives on exec.order. */
static void
s_post_reply(bybit_t *self, const char *path, json_t *body, json_t *reply)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    self->ctl_reply = reply;
    int rc = text ? s_req(self, R_CTL, true, path, text, NULL) : -1;
    self->ctl_reply = NULL;
    free(text);
    if (rc < 0) {
        json_object_set_new(reply, "ok", json_false());
        json_object_set_new(reply, "error", json_string("cannot start the request"));
    } else if (!json_object_get(reply, "ok")) {
        json_object_set_new(reply, "ok", json_true());
        json_object_set_new(reply, "sent", json_true());
    }
}

static int
s_control(void *impl, const char *cmd, json_t *reply)
{
    bybit_t *self = impl;
    char word[32] = "", a1[64] = "", a2[40] = "", a3[40] = "";
    int n = sscanf(cmd, "%31s %63s %39s %39s", word, a1, a2, a3);
    if (strcmp(word, "reconcile") == 0) {
        s_set_state(self, S_RECONCILING, "operator asked");
        s_poll_now(self); /* its outcome: the venue state and the log */
        json_object_set_new(reply, "ok", json_true());
        json_object_set_new(reply, "venue_state", json_string(k_state[self->state]));
        return 0;
    }
    if (strcmp(word, "cancel-all") == 0) {
        /* one symbol; without one every order of the category (BYBIT_V5.md 2.7: linear needs
         * symbol, baseCoin or settleCoin; spot without a symbol cancels all spot orders) */
        json_t *body = json_pack("{s:s}", "category", self->category);
        if (n >= 2) {
            json_object_set_new(body, "symbol", json_string(a1));
        } else if (!self->spot) {
            json_object_set_new(body, "settleCoin",
                                json_string(self->cfg.asset ? self->cfg.asset : "USDT"));
        }
        s_post_reply(self, "/v5/order/cancel-all", body, reply);
        return 0;
    }
    if (strcmp(word, "tpsl") == 0 && self->spot) {
        json_object_set_new(reply, "ok", json_false());
        json_object_set_new(reply, "error", json_string("spot has no positions: no trading-stop"));
        return 0;
    }
    if (strcmp(word, "tpsl") == 0 && n >= 4) {
        /* position TP/SL (BYBIT_V5.md 2.9): "tpsl SYMBOL TP|- SL|-", "0" removes one */
        json_t *body = json_pack("{s:s, s:s, s:s, s:i}", "category", self->category, "symbol", a1,
                                 "tpslMode", "Full", "positionIdx", 0);
        if (strcmp(a2, "-") != 0) {
            json_object_set_new(body, "takeProfit", json_string(a2));
        }
        if (strcmp(a3, "-") != 0) {
            json_object_set_new(body, "stopLoss", json_string(a3));
            /* the operator's stop wins over risk's last move: the poll keeps this one */
            s_want_sl_t *w = s_want_sl(self, a1);
            int64_t v;
            if (w && money_parse(a3, strlen(a3), w->px_scale, &v) == 0 && v > 0) {
                w->px = v;
                w->sent_ms = clock_mono_ns() / CLOCK_NS_PER_MS;
            } else if (w) {
                *w = self->want_sl[--self->n_want_sl]; /* "0" removes it: nothing to keep */
            }
        }
        s_post_reply(self, "/v5/position/trading-stop", body, reply);
        return 0;
    }
    if (strcmp(word, "cancel") != 0 && strcmp(word, "amend") != 0) {
        return -1;
    }
    const order_t *o = n >= 2 ? orders_get(self->orders, a1) : NULL;
    if (!o) {
        json_object_set_new(reply, "ok", json_false());
        json_object_set_new(reply, "error", json_string("unknown client id"));
        return 0;
    }
    json_t *body = json_pack("{s:s, s:s, s:s}", "category", self->category, "symbol", o->req.symbol,
                             "orderLinkId", o->req.client_id);
    if (strcmp(word, "cancel") == 0) {
        s_post_reply(self, "/v5/order/cancel", body, reply);
        return 0;
    }
    int64_t v;
    if (n >= 3 && strcmp(a2, "-") != 0) {
        if (money_parse(a2, strlen(a2), o->req.qty_scale, &v) < 0 || v <= 0) {
            json_decref(body);
            json_object_set_new(reply, "ok", json_false());
            json_object_set_new(reply, "error", json_string("qty not at the order's qty scale"));
            return 0;
        }
        json_object_set_new(body, "qty", json_string(a2));
    }
    if (n >= 4 && strcmp(a3, "-") != 0) {
        if (money_parse(a3, strlen(a3), o->req.px_scale, &v) < 0 || v <= 0) {
            json_decref(body);
            json_object_set_new(reply, "ok", json_false());
            json_object_set_new(reply, "error", json_string("price not at the order's px scale"));
            return 0;
        }
        json_object_set_new(body, "price", json_string(a3));
    }
    s_post_reply(self, "/v5/order/amend", body, reply);
    return 0;
}

/* Every request's completion (rest_done_fn). */
static void
s_on_done(rest_t *rest, int rc, int err, rest_resp_t *resp, void *arg)
{
    (void)rest;
    s_req_t *q = arg;
    bybit_t *self = q->self;
    if (err == ECANCELED) { /* rest_destroy with the call in flight */
        json_decref(resp->result);
        free(q);
        return;
    }
    if (rc < 0) {
        s_check_auth(self, resp);
    }
    if (q->kind == R_CREATE) {
        s_create_done(self, q->link, rc, err, resp);
    } else if (q->kind == R_CTL) {
        s_ctl_done(self, q->path, rc, err, resp);
    } else if (q->kind == R_LEV) {
        s_lev_done(self, q->link, rc, err, resp);
    } else if (q->kind == R_LEV_READ) {
        s_lev_read_done(self, q->link, rc, resp);
    } else {
        s_poll_done(self, q, rc, resp);
    }
    json_decref(resp->result);
    free(q);
}

static const char *
s_op_state(void *impl)
{
    return bybit_state(impl);
}

/* ---- private WebSocket ------------------------------------------------------------------ */

static void
s_ws_open(conn_t *c, void *arg)
{
    bybit_t *self = arg;
    char auth[512];
    self->ws_authed = false;
    /* expires 10 s ahead on the venue clock (ccxt does the same) */
    if (rest_ws_auth(self->rest, rest_now_ms(self->rest) + 10000, auth, sizeof auth) < 0
        || conn_send(c, auth, strlen(auth)) < 0) {
        log_warn(S_MOD, "private ws: cannot send auth: %s", strerror(errno));
        conn_drop(c, "auth not sent");
    }
    OPENSSL_cleanse(auth, sizeof auth);
}

static void
s_ws_close(conn_t *c, const char *reason, void *arg)
{
    (void)c;
    bybit_t *self = arg;
    self->ws_authed = false;
    self->ws_reconnects++;
    /* doubt: what happened while we were deaf is fetched over REST before "running" */
    s_set_state(self, S_RECONCILING, "private ws down");
    log_warn(S_MOD, "private ws closed (%s): reconcile over REST after the reconnect", reason);
}

static void s_ws_topic(bybit_t *self, json_t *root, const char *topic);

static void
s_ws_frame(conn_t *c, const char *text, size_t len, int64_t recv_ns, void *arg)
{
    (void)recv_ns;
    bybit_t *self = arg;
    json_t *root = json_loadb(text, len, 0, NULL);
    const char *op = s_str(root, "op"), *topic = s_str(root, "topic");
    self->ws_msgs++;
    if (!root) {
        log_limited(&self->ws_limit, LOG_WARN, S_MOD, "private ws: message is not JSON", text, len);
    } else if (strcmp(op, "auth") == 0) {
        if (json_is_true(json_object_get(root, "success"))) {
            self->ws_authed = true;
            const char *sub = "{\"req_id\":\"sub\",\"op\":\"subscribe\",\"args\":"
                              "[\"order\",\"execution\",\"position\",\"wallet\"]}";
            if (conn_send(c, sub, strlen(sub)) < 0) {
                conn_drop(c, "subscribe not sent");
            }
            log_notice(S_MOD, "private ws authenticated; reconciling over REST before trusting it");
            /* after any (re)connect: reconcile over REST first (BYBIT_V5.md 3, recovery) */
            s_set_state(self, S_RECONCILING, "private ws (re)connected");
            s_poll_now(self);
        } else {
            log_error(S_MOD, "private ws auth refused: %s", s_str(root, "ret_msg"));
            conn_drop(c, "auth refused");
        }
    } else if (topic[0]) {
        s_ws_topic(self, root, topic);
    }
    json_decref(root);
}

/* The topic part of a private push ("position.linear" -> "position"), compared. */
static bool
s_topic_is(const char *topic, const char *name)
{
    size_t n = strlen(name);
    return strncmp(topic, name, n) == 0 && (topic[n] == '\0' || topic[n] == '.');
}

static void
s_ws_topic(bybit_t *self, json_t *root, const char *topic)
{
    if (s_topic_is(topic, "execution")) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(root, "data"), i, e)
        {
            int rc = s_apply_exec_json(self, e);
            self->ws_fills += rc == 1;
        }
    } else if (s_topic_is(topic, "order")) {
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(root, "data"), i, o)
        {
            /* idempotent: statuses wait for their fills, so pushes may come in any order
             * relative to the REST reconciliation */
            if (orders_get(self->orders, s_str(o, "orderLinkId"))) {
                self->in_push = true;
                s_apply_order_json(self, o);
                self->in_push = false;
            }
        }
    } else if (s_topic_is(topic, "position")) {
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(root, "data"), i, p)
        {
            if (bybit_apply_position(self, p, -1, true) < 0 && errno != ESTALE) {
                log_limited(&self->pos_limit, LOG_WARN, S_MOD, "position push not usable",
                            s_str(p, "symbol"), strlen(s_str(p, "symbol")));
            }
        }
    } else if (s_topic_is(topic, "wallet")) {
        /* no snapshot on subscribe (BYBIT_V5.md 3): the REST poll after (re)connecting gives
         * the first one; the push is versioned by the envelope's creationTime */
        json_t *ct = json_object_get(root, "creationTime");
        json_t *w = json_array_get(json_object_get(root, "data"), 0);
        if (w
            && bybit_apply_wallet(self, w, json_is_integer(ct) ? json_integer_value(ct) : -1, true)
                   < 0
            && errno != ESTALE) {
            log_limited(&self->pos_limit, LOG_WARN, S_MOD, "wallet push not usable", NULL, 0);
        }
    }
}

int
bybit_ws_message(bybit_t *self, const char *text, size_t len)
{
    assert(self && text);
    json_t *root = json_loadb(text, len, 0, NULL);
    const char *topic = s_str(root, "topic");
    if (!root || !topic[0]) {
        json_decref(root);
        errno = EINVAL;
        return -1;
    }
    s_ws_topic(self, root, topic);
    json_decref(root);
    return 0;
}

static int
s_ws_start(bybit_t *self)
{
    const char *url = self->cfg.ws_url;
    if (!url || !url[0] || !self->cfg.loop) {
        return 0;
    }
    self->wsctx = conn_ctx_new((zloop_t *)self->cfg.loop);
    conn_handler_t h = {
        .open = s_ws_open, .frame = s_ws_frame, .close = s_ws_close, .tick = NULL, .arg = self
    };
    /* private heartbeat: {"op":"ping"} every 20 s (BYBIT_V5.md 1.3); silent 60 s -> drop */
    self->ws = self->wsctx
                   ? conn_new(self->wsctx, "bybit-private", url, 20, "{\"op\":\"ping\"}", &h)
                   : NULL;
    if (!self->ws) {
        return -1;
    }
    conn_set_silent(self->ws, 60000);
    conn_start(self->ws);
    log_info(S_MOD, "private ws %s", url);
    return 0;
}

/* ---- lifetime --------------------------------------------------------------------------- */

bybit_t *
bybit_venue_new(const venue_cfg_t *cfg)
{
    if (!cfg || !cfg->orders || !cfg->emit || !cfg->base_url || !cfg->api_key || !cfg->api_secret
        || !cfg->journal_path || cfg->max_offset_ms <= 0) {
        errno = EINVAL;
        return NULL;
    }
    bybit_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->cfg = *cfg;
    self->status_timer = -1; /* 0 is a valid timer id */
    snprintf(self->category, sizeof self->category, "%s", cfg->category ? cfg->category : "linear");
    snprintf(self->venue_name, sizeof self->venue_name, "bybit-%.9s", self->category);
    self->spot = strcmp(self->category, "spot") == 0;
    self->orders = cfg->orders;
    self->rest = rest_new(cfg->base_url, cfg->api_key, cfg->api_secret,
                          cfg->recv_window_ms > 0 ? cfg->recv_window_ms : 5000,
                          cfg->timeout_ms > 0 ? cfg->timeout_ms : 5000);
    self->cfg.api_key = self->cfg.api_secret = NULL; /* copies live in rest_t only */
    self->journal = self->rest ? journal_open(cfg->journal_path) : NULL;
    self->acct = account_new(cfg->asset ? cfg->asset : "USDT", cfg->start_balance);
    self->not_found = zhashx_new();
    self->reported = zhashx_new();
    self->suspect = zhashx_new();
    self->suspect_next = zhashx_new();
    self->vpos = zhashx_new();
    self->inflight = zhashx_new();
    if (self->vpos) {
        zhashx_set_destructor(self->vpos, s_vpos_free);
    }
    if (!self->vpos || !self->inflight || !self->rest
        || (cfg->loop && rest_attach(self->rest, (zloop_t *)cfg->loop) < 0) || !self->journal
        || !self->acct || !self->not_found || !self->reported || !self->suspect
        || !self->suspect_next) {
        int e = errno ? errno : ENOMEM;
        bybit_venue_destroy(&self);
        errno = e;
        return NULL;
    }
    self->state = S_RECONCILING;
    snprintf(self->why, sizeof self->why, "start");
    s_publish_state(self); /* once at start; repeated while not running */
    /* the traded symbols: their leverage is set to the cap by the first poll (s_lev_poll) */
    for (size_t i = 0; s_lev_managed(self) && cfg->lev_symbols && i < cfg->n_lev_symbols; i++) {
        (void)s_ref(self, cfg->lev_symbols[i], 0, true);
    }
    self->cfg.lev_symbols = NULL; /* borrowed for this call only */
    if (cfg->loop) {
        self->status_timer =
            zloop_timer((zloop_t *)cfg->loop, S_STATUS_TICK_MS, 0, s_status_timer, self);
    }
    if ((cfg->loop && self->status_timer < 0) || s_ws_start(self) < 0) {
        int e = errno ? errno : ENOMEM;
        bybit_venue_destroy(&self);
        errno = e;
        return NULL;
    }
    log_info(S_MOD, "live venue on %s (%s), journal %s with %zu records", cfg->base_url,
             self->category, cfg->journal_path, journal_count(self->journal));
    return self;
}

void
bybit_venue_destroy(bybit_t **self_p)
{
    assert(self_p);
    bybit_t *self = *self_p;
    if (!self) {
        return;
    }
    if (self->status_timer >= 0 && self->cfg.loop) {
        zloop_timer_end((zloop_t *)self->cfg.loop, self->status_timer);
    }
    rest_destroy(&self->rest);      /* calls in flight: ECANCELED, their requests freed */
    conn_ctx_destroy(&self->wsctx); /* closes the connection first (conn.h) */
    conn_destroy(&self->ws);
    s_poll_clear(self);
    zhashx_destroy(&self->inflight);
    journal_close(&self->journal);
    account_destroy(&self->acct);
    zhashx_destroy(&self->not_found);
    zhashx_destroy(&self->reported);
    zhashx_destroy(&self->suspect);
    zhashx_destroy(&self->suspect_next);
    zhashx_destroy(&self->vpos);
    free(self);
    *self_p = NULL;
}

size_t
bybit_restore(bybit_t *self)
{
    assert(self);
    size_t n = 0;
    for (size_t i = 0; i < journal_count(self->journal); i++) {
        const journal_rec_t *jr = journal_get(self->journal, i);
        codec_env_t env;
        codec_risk_order_t r;
        if (jr->req_len == 0 || codec_decode(jr->req, jr->req_len, CODEC_RISK_ORDER, &env, &r) < 0
            || orders_get(self->orders, jr->client_id)) {
            continue;
        }
        order_t *o = orders_add(self->orders, &r, self->category, false, env.origin, "bybit");
        if (!o) {
            continue;
        }
        o->sent = true; /* never handed to the venue again */
        if (jr->state == JOURNAL_ACKED) {
            snprintf(o->order_id, sizeof o->order_id, "%.47s", jr->order_id);
        } else if (jr->state == JOURNAL_REFUSED) {
            (void)order_reject(o, jr->reason);
        }
        n++;
    }
    if (n > 0) {
        log_notice(S_MOD, "restored %zu orders from the journal", n);
    }
    return n;
}

/* ---- venue_ops adapters ----------------------------------------------------------------- */

/* The reference slot of symbol (created when `create`), or NULL. */
static s_ref_t *
s_ref(bybit_t *self, const char *symbol, int px_scale, bool create)
{
    for (size_t i = 0; i < self->n_ref; i++) {
        if (strcmp(self->ref[i].symbol, symbol) == 0) {
            if (create && px_scale > 0 && self->ref[i].px_scale != px_scale) {
                /* prices at other scales (new rules, or a slot made before any price):
                 * the prices start over, the leverage state stays */
                self->ref[i].bid = self->ref[i].ask = self->ref[i].last = 0;
                self->ref[i].px_scale = px_scale;
            }
            return &self->ref[i];
        }
    }
    if (!create || self->n_ref == S_REF_MAX) {
        return NULL;
    }
    s_ref_t *r = &self->ref[self->n_ref++];
    memset(r, 0, sizeof *r);
    snprintf(r->symbol, sizeof r->symbol, "%s", symbol);
    r->px_scale = px_scale;
    return r;
}

/* The venue matches and marks come from its positions; the book's best prices and the last
 * trade of our venue are kept as the slippage guard's reference. */
static void
s_on_book(void *impl, const codec_md_book_t *b, int64_t origin)
{
    (void)origin;
    bybit_t *self = impl;
    s_ref_t *r =
        strcmp(b->venue, self->venue_name) == 0 ? s_ref(self, b->symbol, b->px_scale, true) : NULL;
    if (r) {
        r->bid = b->n_bids > 0 ? b->bids[0].px : 0;
        r->ask = b->n_asks > 0 ? b->asks[0].px : 0;
        if (r->lev_state == S_LEV_UNKNOWN && r->lev_sent_ms == 0) {
            s_lev_set(self, r); /* a traded symbol: its leverage to the cap, once at start */
        }
    }
}

static void
s_on_trade(void *impl, const codec_md_trade_t *t, int64_t origin)
{
    (void)origin;
    bybit_t *self = impl;
    s_ref_t *r =
        strcmp(t->venue, self->venue_name) == 0 ? s_ref(self, t->symbol, t->px_scale, true) : NULL;
    if (r && t->px > 0) {
        r->last = t->px;
        if (r->lev_state == S_LEV_UNKNOWN && r->lev_sent_ms == 0) {
            s_lev_set(self, r);
        }
    }
}

static void
s_on_kline(void *impl, const codec_md_kline_t *k, int64_t origin)
{
    (void)impl;
    (void)k;
    (void)origin;
}

static void
s_on_barrier(void *impl, const codec_sys_barrier_t *b)
{
    (void)impl;
    (void)b;
}

static void
s_status(void *impl, json_t *out)
{
    bybit_t *self = impl;
    (void)json_object_set_new(out, "venue_state", json_string(k_state[self->state]));
    (void)json_object_set_new(out, "venue_state_reason", json_string(self->why));
    (void)json_object_set_new(out, "clock_offset_ms",
                              json_integer((json_int_t)rest_offset_ms(self->rest)));
    (void)json_object_set_new(out, "rest_calls", json_integer((json_int_t)rest_calls(self->rest)));
    (void)json_object_set_new(out, "rest_in_flight",
                              json_integer((json_int_t)rest_in_flight(self->rest)));
    (void)json_object_set_new(out, "rate_limited",
                              json_integer((json_int_t)rest_rate_limited(self->rest)));
    (void)json_object_set_new(out, "reconcile_diffs", json_integer((json_int_t)self->diffs));
    (void)json_object_set_new(out, "ws_up", json_boolean(self->ws && conn_up(self->ws)));
    (void)json_object_set_new(out, "ws_authed", json_boolean(self->ws_authed));
    (void)json_object_set_new(out, "ws_msgs", json_integer((json_int_t)self->ws_msgs));
    (void)json_object_set_new(out, "ws_fills", json_integer((json_int_t)self->ws_fills));
    (void)json_object_set_new(out, "ws_reconnects", json_integer((json_int_t)self->ws_reconnects));
    (void)json_object_set_new(out, "unknown_outcomes",
                              json_integer((json_int_t)self->unknown_outcomes));
    (void)json_object_set_new(out, "positions",
                              json_integer((json_int_t)account_open_positions(self->acct)));
    const struct {
        const char *name;
        uint64_t v;
    } k_n[] = { { "pos_push", self->pos_push }, { "pos_poll", self->pos_poll },
                { "pos_dup", self->pos_dup },   { "pos_stale", self->pos_stale },
                { "bal_push", self->bal_push }, { "bal_poll", self->bal_poll },
                { "bal_dup", self->bal_dup },   { "bal_stale", self->bal_stale },
                { "polls", self->polls },       { "stop_resends", self->stop_resends },
                { "bounded", self->bounded } };
    for (size_t i = 0; i < sizeof k_n / sizeof k_n[0]; i++) {
        (void)json_object_set_new(out, k_n[i].name, json_integer((json_int_t)k_n[i].v));
    }
    char eq[40];
    if (self->equity > 0 && money_fmt(self->equity, MONEY_VALUE_SCALE, eq, sizeof eq) >= 0) {
        (void)json_object_set_new(out, "equity", json_string(eq)); /* as paper (risk reads it) */
    }
}

static void
s_destroy(void **impl_p)
{
    bybit_venue_destroy((bybit_t **)impl_p);
}

/* venue_ops move_stop: the position's stop on the venue (BYBIT_V5.md 2.9 trading-stop, Full
 * mode: it modifies the full-size stop the entry's attached stopLoss made). Asynchronous: the
 * answer is logged like an operator command's. Setting the price it already has is harmless
 * (idempotent). Spot has no positions: ENOTSUP. */
static int
s_move_stop(void *impl, const codec_risk_order_t *r, int64_t origin)
{
    (void)origin;
    bybit_t *self = impl;
    if (self->spot) {
        errno = ENOTSUP;
        return -1;
    }
    s_want_sl_t *w = s_want_sl(self, r->symbol);
    if (!w) {
        if (self->n_want_sl == S_WANT_SL_MAX) {
            errno = ENOSPC;
            return -1;
        }
        w = &self->want_sl[self->n_want_sl++];
        snprintf(w->symbol, sizeof w->symbol, "%s", r->symbol);
    }
    w->px = r->sl_px;
    w->px_scale = r->px_scale;
    char px[40];
    (void)money_fmt(r->sl_px, r->px_scale, px, sizeof px);
    log_info(S_MOD, "stop move %s: %s stop to %s (trading-stop)", r->client_id, r->symbol, px);
    return s_send_stop(self, w);
}

static const venue_ops_t k_ops = {
    .name = "bybit",
    .place = s_place,
    .on_book = s_on_book,
    .on_trade = s_on_trade,
    .on_kline = s_on_kline,
    .on_barrier = s_on_barrier,
    .status = s_status,
    .destroy = s_destroy,
    .poll = s_poll,
    .state = s_op_state,
    .control = s_control,
    .move_stop = s_move_stop,
};

const venue_ops_t *
bybit_ops(void)
{
    return &k_ops;
}
