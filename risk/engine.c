/*  engine.c - risk's decisions (rules in engine.h; sizing, limits, exits in their modules).
 *  Flow of one message: advance event time (limits may roll the UTC day), apply it, send
 *  what it caused (synchronously), then publish risk.state if it changed.
 */
#include "risk/engine.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/money.h"
#include "risk/exits.h"
#include "risk/orders.h"

struct risk_engine {
    risk_engine_cfg_t cfg;
    risk_io_t io;
    instr_table_t *instr;
    risk_positions_t *pos;
    risk_limits_t *limits;
    risk_cid_t cid;
    risk_counters_t n;
    int64_t now;     /* latest event time seen, ns */
    bool state_sent; /* risk.state published at least once */
    risk_state_t sent_state;
    char sent_reason[CODEC_TEXT_MAX];
    size_t sent_open;
    log_limit_t bad_limit;
    log_limit_t pub_limit;
};

static void s_state_maybe(risk_engine_t *self, int64_t evt, int64_t origin);

risk_engine_t *
risk_engine_new(const risk_engine_cfg_t *cfg, const risk_io_t *io)
{
    assert(cfg);
    assert(io);
    if (!io->publish || !io->send_order || cfg->order_ttl_ns < 0 || cfg->min_confidence < 0
        || cfg->min_confidence > 100 || cfg->sizing.risk_pct <= 0
        || cfg->sizing.max_position_pct <= 0) {
        errno = EINVAL;
        return NULL;
    }
    risk_engine_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->cfg = *cfg;
    self->io = *io;
    self->instr = instr_table_new();
    if (!self->instr) {
        goto fail;
    }
    self->pos = risk_positions_new(RISK_POSITIONS_MAX);
    if (!self->pos) {
        goto fail;
    }
    self->limits = risk_limits_new(&cfg->limits);
    if (!self->limits) {
        goto fail;
    }
    return self;
fail : {
    int err = errno;
    risk_engine_destroy(&self);
    errno = err;
    return NULL;
}
}

void
risk_engine_destroy(risk_engine_t **self_p)
{
    assert(self_p);
    risk_engine_t *self = *self_p;
    if (!self) {
        return;
    }
    risk_limits_destroy(&self->limits);
    risk_positions_destroy(&self->pos);
    instr_table_destroy(&self->instr);
    free(self);
    *self_p = NULL;
}

int
risk_engine_add_instrument(risk_engine_t *self, const instr_t *in)
{
    assert(self);
    assert(in);
    return instr_table_put(self->instr, in);
}

/* ---- outputs ------------------------------------------------------------------------ */

static void
s_publish(risk_engine_t *self, const char *topic, codec_type_t type, const void *body, int64_t evt,
          int64_t origin)
{
    if (self->io.publish(self->io.arg, topic, type, body, evt, origin) != 0) {
        log_limited(&self->pub_limit, LOG_WARN, "risk", "cannot publish", topic, strlen(topic));
    }
}

static void
s_reject(risk_engine_t *self, const char *client_id, const char *strategy, const char *symbol,
         const char *reason, int64_t evt, int64_t origin)
{
    codec_risk_reject_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.client_id, sizeof r.client_id, "%s", client_id ? client_id : "");
    snprintf(r.strategy, sizeof r.strategy, "%s", strategy ? strategy : "");
    snprintf(r.symbol, sizeof r.symbol, "%s", symbol ? symbol : "");
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    r.ts_event = evt;
    self->n.rejects++;
    log_info("risk", "reject %s %s: %s", r.strategy, r.symbol, r.reason);
    s_publish(self, "risk.reject", CODEC_RISK_REJECT, &r, evt, origin);
}

static void
s_alert(risk_engine_t *self, const char *level, const char *code, const char *text, int64_t evt,
        int64_t origin)
{
    codec_risk_alert_t a;
    memset(&a, 0, sizeof a);
    snprintf(a.level, sizeof a.level, "%s", level);
    snprintf(a.code, sizeof a.code, "%s", code);
    snprintf(a.text, sizeof a.text, "%s", text);
    a.ts_event = evt;
    self->n.alerts++;
    if (strcmp(level, "error") == 0) {
        log_error("risk", "alert %s: %s", code, text);
    } else {
        log_warn("risk", "alert %s: %s", code, text);
    }
    s_publish(self, "risk.alert", CODEC_RISK_ALERT, &a, evt, origin);
}

static void
s_state_maybe(risk_engine_t *self, int64_t evt, int64_t origin)
{
    risk_state_t st = risk_limits_state(self->limits);
    const char *reason = risk_limits_reason(self->limits);
    size_t open = risk_positions_open(self->pos);
    if (self->state_sent && st == self->sent_state && open == self->sent_open
        && strcmp(reason, self->sent_reason) == 0) {
        return;
    }
    codec_risk_state_t s;
    memset(&s, 0, sizeof s);
    snprintf(s.state, sizeof s.state, "%s", risk_limits_state_name(st));
    snprintf(s.reason, sizeof s.reason, "%s", reason);
    s.equity = risk_limits_equity(self->limits);
    s.equity_peak = 0; /* TODO(#breakers): drawdown tracking arrives with the breakers */
    s.daily_pnl = risk_limits_daily_pnl(self->limits);
    s.drawdown = 0;
    s.open_positions = (int32_t)open;
    s.trades_today = risk_limits_trades_today(self->limits);
    s.ts_event = evt;
    if (!self->state_sent || st != self->sent_state) {
        log_notice("risk", "state %s%s%s", s.state, reason[0] ? ": " : "", reason);
    }
    self->state_sent = true;
    self->sent_state = st;
    self->sent_open = open;
    snprintf(self->sent_reason, sizeof self->sent_reason, "%s", reason);
    s_publish(self, "risk.state", CODEC_RISK_STATE, &s, evt, origin);
}

/* Every handler starts here. The very first event also publishes the state risk started in
 * (HALTED "equity unknown"), before that event can change it. */
static void
s_advance(risk_engine_t *self, int64_t evt, int64_t origin)
{
    if (!self->state_sent) {
        s_state_maybe(self, evt, origin);
    }
    if (evt > self->now) {
        self->now = evt;
    }
    if (risk_limits_on_time(self->limits, evt)) {
        log_notice("risk", "new UTC day: daily loss limit cleared");
    }
}

typedef enum { S_SENT_ACCEPTED, S_SENT_REJECTED, S_SENT_NO_ANSWER, S_SENT_NOT } s_sent_t;

/* Give `ord` its client id and times, send it, publish the outcome. */
static s_sent_t
s_send(risk_engine_t *self, codec_risk_order_t *ord, int64_t evt, int64_t origin)
{
    if (risk_cid_next(&self->cid, evt, ord->client_id, sizeof ord->client_id) != 0) {
        s_reject(self, "", ord->strategy, ord->symbol, "no client id", evt, origin);
        return S_SENT_NOT;
    }
    ord->type = CODEC_ORD_MARKET;
    ord->px = 0;
    ord->ts_event = evt;
    ord->ttl_ns = self->cfg.order_ttl_ns;
    self->n.orders++;
    codec_order_ack_t ack;
    memset(&ack, 0, sizeof ack);
    if (self->io.send_order(self->io.arg, ord, evt, origin, &ack) != 0) {
        char text[CODEC_TEXT_MAX];
        snprintf(text, sizeof text, "no answer to %s (%s %s): %s", ord->client_id, ord->intent,
                 ord->symbol, strerror(errno));
        risk_limits_executor_timeout(self->limits);
        s_alert(self, "error", "executor_timeout", text, evt, origin);
        return S_SENT_NO_ANSWER;
    }
    if (!ack.accepted) {
        s_reject(self, ord->client_id, ord->strategy, ord->symbol,
                 ack.reason[0] ? ack.reason : "rejected by executor", evt, origin);
        return S_SENT_REJECTED;
    }
    char qty[32];
    (void)money_fmt(ord->qty, ord->qty_scale, qty, sizeof qty); /* cap 32 always suffices */
    log_info("risk", "order %s %s %s %s qty %s", ord->client_id, ord->intent,
             ord->side > 0 ? "buy" : "sell", ord->symbol, qty);
    s_publish(self, "risk.order", CODEC_RISK_ORDER, ord, evt, origin);
    return S_SENT_ACCEPTED;
}

/* Close the whole position of slot p with a reduce-only market order. */
static void
s_exit(risk_engine_t *self, risk_position_t *p, const char *intent, const char *strategy,
       int64_t evt, int64_t origin)
{
    codec_risk_order_t ord;
    memset(&ord, 0, sizeof ord);
    snprintf(ord.strategy, sizeof ord.strategy, "%s", strategy[0] ? strategy : p->strategy);
    snprintf(ord.venue, sizeof ord.venue, "%s", p->venue);
    snprintf(ord.symbol, sizeof ord.symbol, "%s", p->symbol);
    snprintf(ord.intent, sizeof ord.intent, "%s", intent);
    ord.side = p->qty > 0 ? -1 : 1;
    ord.reduce_only = true;
    ord.px_scale = p->px_scale;
    ord.qty_scale = p->qty_scale;
    ord.qty = p->qty > 0 ? p->qty : -p->qty;
    p->exit_pending = true;
    snprintf(p->exit_intent, sizeof p->exit_intent, "%s", intent);
    switch (s_send(self, &ord, evt, origin)) {
    case S_SENT_ACCEPTED:
        memcpy(p->exit_id, ord.client_id, sizeof p->exit_id);
        self->n.exits++;
        break;
    case S_SENT_NO_ANSWER:
        /* the executor may hold it: keep the latch, and track the id so its final exec.order
         * (or the position going flat) ends it */
        memcpy(p->exit_id, ord.client_id, sizeof p->exit_id);
        p->exit_unacked = true;
        break;
    case S_SENT_REJECTED:
    case S_SENT_NOT:
    default:
        p->exit_pending = false;
        p->exit_intent[0] = '\0';
        p->exit_rejects++;
        if (p->exit_rejects >= RISK_EXIT_MAX_REJECTS) {
            char text[CODEC_TEXT_MAX];
            snprintf(text, sizeof text, "%s %s: %u exits refused, automatic exits stopped",
                     p->venue, p->symbol, (unsigned)p->exit_rejects);
            s_alert(self, "error", "exit_rejected", text, evt, origin);
        }
        break;
    }
}

/* ---- signals ------------------------------------------------------------------------ */

/* Signal price at the instrument's px_scale (exact, or the nearest; 0 stays 0). */
static int
s_px(const codec_sig_signal_t *s, int64_t px, const instr_t *in, int64_t *out)
{
    if (px == 0) {
        *out = 0;
        return 0;
    }
    return money_rescale(px, s->px_scale, in->px_scale, MONEY_ROUND_HALF_EVEN, out);
}

static void
s_entry(risk_engine_t *self, const codec_env_t *env, const codec_sig_signal_t *s, const instr_t *in,
        risk_position_t *p)
{
    int64_t evt = env->evt, origin = env->origin;
    if (s->confidence < self->cfg.min_confidence) {
        s_reject(self, "", s->strategy, s->symbol, "below min_confidence", evt, origin);
        return;
    }
    risk_limit_err_t lim = risk_limits_check_entry(self->limits, risk_positions_open(self->pos),
                                                   p && p->qty != 0, p && p->entry_id[0] != '\0');
    if (lim != RISK_LIMIT_OK) {
        s_reject(self, "", s->strategy, s->symbol, risk_limits_strerror(self->limits, lim), evt,
                 origin);
        return;
    }
    if (s->side < 0 && strcmp(in->category, "spot") == 0) {
        s_reject(self, "", s->strategy, s->symbol, "spot cannot short", evt, origin);
        return;
    }
    int64_t ref, sl, tp;
    if (s_px(s, s->ref_px, in, &ref) != 0 || s_px(s, s->sl_px, in, &sl) != 0
        || s_px(s, s->tp_px, in, &tp) != 0 || ref <= 0 || sl < 0 || tp < 0) {
        s_reject(self, "", s->strategy, s->symbol, "bad signal prices", evt, origin);
        return;
    }
    if (sl == 0) {
        s_reject(self, "", s->strategy, s->symbol, "no stop", evt, origin);
        return;
    }
    /* a stop must be on the losing side and a target on the winning side of ref */
    if ((s->side > 0 && (sl > ref || (tp != 0 && tp <= ref)))
        || (s->side < 0 && (sl < ref || (tp != 0 && tp >= ref)))) {
        s_reject(self, "", s->strategy, s->symbol, "stop or target on wrong side", evt, origin);
        return;
    }
    risk_sizing_t sz;
    risk_sizing_err_t serr =
        risk_sizing_qty(&self->cfg.sizing, in, risk_limits_equity(self->limits), ref, sl, &sz);
    if (serr != RISK_SIZING_OK) {
        s_reject(self, "", s->strategy, s->symbol, risk_sizing_strerror(serr), evt, origin);
        return;
    }
    if (!p) {
        p = risk_positions_ensure(self->pos, s->venue, s->symbol);
        if (!p) {
            s_reject(self, "", s->strategy, s->symbol, "position table full", evt, origin);
            return;
        }
    }
    codec_risk_order_t ord;
    memset(&ord, 0, sizeof ord);
    snprintf(ord.strategy, sizeof ord.strategy, "%s", s->strategy);
    snprintf(ord.venue, sizeof ord.venue, "%s", s->venue);
    snprintf(ord.symbol, sizeof ord.symbol, "%s", s->symbol);
    snprintf(ord.intent, sizeof ord.intent, "entry");
    ord.side = s->side > 0 ? 1 : -1;
    ord.reduce_only = false;
    ord.px_scale = in->px_scale;
    ord.qty_scale = in->qty_scale;
    ord.qty = sz.qty;
    ord.sl_px = sl;
    ord.tp_px = tp;
    s_sent_t sent = s_send(self, &ord, evt, origin);
    if (sent == S_SENT_ACCEPTED || sent == S_SENT_NO_ANSWER) {
        /* no answer: the entry may be live, so its stop/target must be watched; it is not
         * marked in flight (that would block the symbol until a person looks) */
        p->px_scale = in->px_scale;
        p->qty_scale = in->qty_scale;
        p->sl_px = sl;
        p->tp_px = tp;
        snprintf(p->strategy, sizeof p->strategy, "%s", s->strategy);
        if (sent == S_SENT_ACCEPTED) {
            memcpy(p->entry_id, ord.client_id, sizeof p->entry_id);
            p->entry_side = ord.side;
        }
    }
}

void
risk_engine_on_signal(risk_engine_t *self, const codec_env_t *env, const codec_sig_signal_t *s)
{
    assert(self && env && s);
    s_advance(self, env->evt, env->origin);
    self->n.signals++;
    if (s->side != 1 && s->side != -1) {
        s_reject(self, "", s->strategy, s->symbol, "bad signal side", env->evt, env->origin);
    } else {
        const instr_t *in = instr_table_get(self->instr, s->venue, s->symbol);
        risk_position_t *p = risk_positions_get(self->pos, s->venue, s->symbol);
        if (p && p->qty != 0 && (p->qty > 0) != (s->side > 0)) {
            /* opposite side of an open position: close it (never refused by limits) */
            if (p->exit_pending) {
                s_reject(self, "", s->strategy, s->symbol, "exit pending", env->evt, env->origin);
            } else {
                s_exit(self, p, "exit", s->strategy, env->evt, env->origin);
            }
        } else if (!in) {
            s_reject(self, "", s->strategy, s->symbol, "unknown instrument", env->evt, env->origin);
        } else {
            s_entry(self, env, s, in, p);
        }
    }
    s_state_maybe(self, env->evt, env->origin);
}

/* ---- market data -------------------------------------------------------------------- */

void
risk_engine_on_instrument(risk_engine_t *self, const codec_env_t *env,
                          const codec_md_instrument_t *m)
{
    assert(self && env && m);
    s_advance(self, env->evt, env->origin);
    instr_t in;
    memset(&in, 0, sizeof in);
    snprintf(in.venue, sizeof in.venue, "%s", m->venue);
    snprintf(in.category, sizeof in.category, "%s", m->category);
    snprintf(in.symbol, sizeof in.symbol, "%s", m->symbol);
    in.px_scale = m->px_scale;
    in.qty_scale = m->qty_scale;
    in.tick = m->tick;
    in.step = m->step;
    in.min_qty = m->min_qty;
    in.min_notional = m->min_notional;
    if (in.px_scale < 0 || in.px_scale > 12 || in.qty_scale < 0 || in.qty_scale > 12 || in.tick < 1
        || in.step < 1 || in.min_qty < 0 || in.min_notional < 0) {
        self->n.bad++;
        log_limited(&self->bad_limit, LOG_WARN, "risk", "bad md.instrument", m->symbol,
                    strlen(m->symbol));
    } else if (instr_table_put(self->instr, &in) != 0) {
        log_limited(&self->bad_limit, LOG_WARN, "risk", "instrument table full", m->symbol,
                    strlen(m->symbol));
    }
    s_state_maybe(self, env->evt, env->origin);
}

static void
s_exit_fire(risk_engine_t *self, const codec_env_t *env, int fired, risk_exit_order_t *x)
{
    if (fired == 1) {
        char px[32];
        (void)money_fmt(x->trigger_px, x->pos->px_scale, px, sizeof px);
        log_notice("risk", "%s %s %s at %s", x->intent, x->pos->venue, x->pos->symbol, px);
        s_exit(self, x->pos, x->intent, "", env->evt, env->origin);
    }
    s_state_maybe(self, env->evt, env->origin);
}

void
risk_engine_on_trade(risk_engine_t *self, const codec_env_t *env, const codec_md_trade_t *t)
{
    assert(self && env && t);
    s_advance(self, env->evt, env->origin);
    risk_exit_order_t x;
    s_exit_fire(self, env, risk_exits_on_trade(self->pos, t, &x), &x);
}

void
risk_engine_on_book(risk_engine_t *self, const codec_env_t *env, const codec_md_book_t *b)
{
    assert(self && env && b);
    s_advance(self, env->evt, env->origin);
    risk_exit_order_t x;
    s_exit_fire(self, env, risk_exits_on_book(self->pos, b, &x), &x);
}

void
risk_engine_on_kline(risk_engine_t *self, const codec_env_t *env, const codec_md_kline_t *k)
{
    assert(self && env && k);
    s_advance(self, env->evt, env->origin);
    risk_exit_order_t x;
    s_exit_fire(self, env, risk_exits_on_kline(self->pos, k, &x), &x);
}

/* ---- executor feedback -------------------------------------------------------------- */

void
risk_engine_on_exec_position(risk_engine_t *self, const codec_env_t *env,
                             const codec_exec_position_t *p)
{
    assert(self && env && p);
    s_advance(self, env->evt, env->origin);
    if (risk_positions_on_exec_position(self->pos, p) < 0) {
        self->n.bad++;
        log_limited(&self->bad_limit, LOG_WARN, "risk", "cannot track exec.position", p->symbol,
                    strlen(p->symbol));
    }
    s_state_maybe(self, env->evt, env->origin);
}

void
risk_engine_on_exec_order(risk_engine_t *self, const codec_env_t *env, const codec_exec_order_t *o)
{
    assert(self && env && o);
    s_advance(self, env->evt, env->origin);
    risk_positions_on_exec_order(self->pos, o);
    s_state_maybe(self, env->evt, env->origin);
}

void
risk_engine_on_exec_fill(risk_engine_t *self, const codec_env_t *env, const codec_exec_fill_t *f)
{
    assert(self && env && f);
    s_advance(self, env->evt, env->origin);
    int64_t at = f->ts_event > 0 ? f->ts_event : env->evt;
    int rc = risk_limits_on_fill(self->limits, at, f->realized_pnl, f->fee);
    if (rc < 0) {
        self->n.bad++;
        log_limited(&self->bad_limit, LOG_WARN, "risk", "fill pnl overflow", f->fill_id,
                    strlen(f->fill_id));
    } else if (rc == 1) {
        char pnl[32], lim[32], text[CODEC_TEXT_MAX];
        (void)money_fmt(risk_limits_daily_pnl(self->limits), MONEY_VALUE_SCALE, pnl, sizeof pnl);
        (void)money_fmt(risk_limits_daily_limit(self->limits), MONEY_VALUE_SCALE, lim, sizeof lim);
        snprintf(text, sizeof text,
                 "daily pnl %s reached limit -%s: entries stop until next UTC day", pnl, lim);
        s_alert(self, "error", "daily_loss_limit", text, env->evt, env->origin);
    }
    s_state_maybe(self, env->evt, env->origin);
}

void
risk_engine_on_exec_balance(risk_engine_t *self, const codec_env_t *env,
                            const codec_exec_balance_t *b)
{
    assert(self && env && b);
    s_advance(self, env->evt, env->origin);
    if (b->asset[0] == '\0' || strcmp(b->asset, self->cfg.asset) == 0) {
        int64_t eq = b->equity != 0 ? b->equity : b->wallet;
        if (risk_limits_set_equity(self->limits, eq) != 0) {
            self->n.bad++;
            log_limited(&self->bad_limit, LOG_WARN, "risk", "exec.balance equity <= 0", b->asset,
                        strlen(b->asset));
        }
    }
    s_state_maybe(self, env->evt, env->origin);
}

/* ---- dispatch ----------------------------------------------------------------------- */

void
risk_engine_on_msg(risk_engine_t *self, const bus_msg_t *msg)
{
    assert(self && msg);
    switch (msg->type) {
    case CODEC_MD_BOOK:
    case CODEC_MD_TRADE:
    case CODEC_MD_KLINE:
    case CODEC_MD_INSTRUMENT:
    case CODEC_SIG_SIGNAL:
    case CODEC_EXEC_ORDER:
    case CODEC_EXEC_FILL:
    case CODEC_EXEC_POSITION:
    case CODEC_EXEC_BALANCE:
        break;
    default:
        return; /* tickers, bars, indicators, status, heartbeats: not risk's business yet */
    }
    codec_env_t env;
    codec_body_t body;
    if (codec_decode(msg->data, msg->len, msg->type, &env, &body) != 0) {
        self->n.bad++;
        log_limited(&self->bad_limit, LOG_WARN, "risk", "malformed message", msg->topic,
                    strlen(msg->topic));
        return;
    }
    switch (msg->type) {
    case CODEC_MD_BOOK:
        risk_engine_on_book(self, &env, &body.book);
        break;
    case CODEC_MD_TRADE:
        risk_engine_on_trade(self, &env, &body.trade);
        break;
    case CODEC_MD_KLINE:
        risk_engine_on_kline(self, &env, &body.kline);
        break;
    case CODEC_MD_INSTRUMENT:
        risk_engine_on_instrument(self, &env, &body.instrument);
        break;
    case CODEC_SIG_SIGNAL:
        risk_engine_on_signal(self, &env, &body.signal);
        break;
    case CODEC_EXEC_ORDER:
        risk_engine_on_exec_order(self, &env, &body.xorder);
        break;
    case CODEC_EXEC_FILL:
        risk_engine_on_exec_fill(self, &env, &body.fill);
        break;
    case CODEC_EXEC_POSITION:
        risk_engine_on_exec_position(self, &env, &body.position);
        break;
    case CODEC_EXEC_BALANCE:
        risk_engine_on_exec_balance(self, &env, &body.balance);
        break;
    default:
        break;
    }
}

/* ---- control and accessors ---------------------------------------------------------- */

void
risk_engine_pause(risk_engine_t *self)
{
    assert(self);
    risk_limits_pause(self->limits);
    s_state_maybe(self, self->now, 0);
}

void
risk_engine_resume(risk_engine_t *self)
{
    assert(self);
    risk_limits_resume(self->limits);
    /* exits that got no answer were latched in case the executor held them; a person resumed,
     * so let them fire again (same position, new client id) */
    for (size_t i = 0; i < risk_positions_count(self->pos); i++) {
        risk_position_t *p = risk_positions_at(self->pos, i);
        if (p->exit_unacked) {
            p->exit_unacked = false;
            p->exit_pending = false;
            p->exit_id[0] = '\0';
            p->exit_intent[0] = '\0';
        }
    }
    s_state_maybe(self, self->now, 0);
}

const risk_counters_t *
risk_engine_counters(const risk_engine_t *self)
{
    assert(self);
    return &self->n;
}

const risk_limits_t *
risk_engine_limits(const risk_engine_t *self)
{
    assert(self);
    return self->limits;
}

risk_positions_t *
risk_engine_positions(risk_engine_t *self)
{
    assert(self);
    return self->pos;
}

int64_t
risk_engine_now(const risk_engine_t *self)
{
    assert(self);
    return self->now;
}
