/*  engine.c - risk's decisions (rules in engine.h; sizing, limits, exits in their modules).
 *  Flow of one message: advance event time (limits may roll the UTC day), apply it, send
 *  what it caused (synchronously), then publish risk.state if it changed.
 */
#include "risk/engine.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
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
    /* client ids whose refusal was counted at the ack (their exec.order "Rejected" is not
     * counted twice by the reject breaker) */
    char refused[32][CODEC_ID_MAX];
    unsigned n_refused;
    /* early warnings: latched while the usage stays at/above warn_pct (one alert each) */
    bool warned_loss, warned_dd, warned_tph, warned_heat, warned_winrate;
    int32_t n_trips, trip_head; /* ring of the last winrate_n round trips: 1 win, 0 not */
    uint8_t trip_win[RISK_WINRATE_MAX];
    bool dirty;               /* persistent state changed since risk_engine_take_dirty */
    int64_t available;        /* latest exec.balance available, VALUE scale; 0 = unknown */
    int64_t venue_down_since; /* event time the executor's venue left "running" (0 = running) */
    bool venue_crit_alerted;  /* "critical_close" alert sent for this venue outage */
};

static void s_state_maybe(risk_engine_t *self, int64_t evt, int64_t origin);
static int64_t s_open_risk(const risk_position_t *p);

static bool
s_cfg_ok(const risk_engine_cfg_t *cfg)
{
    return !(cfg->order_ttl_ns < 0 || cfg->min_confidence < 0 || cfg->min_confidence > 100
             || cfg->sizing.risk_pct <= 0 || cfg->sizing.max_position_pct <= 0 || cfg->warn_pct < 0
             || cfg->warn_pct > 100 * money_pow10(RISK_PCT_SCALE) || cfg->winrate_n < 0
             || cfg->winrate_n > RISK_WINRATE_MAX || cfg->winrate_min_pct < 0
             || cfg->winrate_min_pct > 100 * money_pow10(RISK_PCT_SCALE));
}

risk_engine_t *
risk_engine_new(const risk_engine_cfg_t *cfg, const risk_io_t *io)
{
    assert(cfg);
    assert(io);
    if (!io->publish || !io->send_order || !s_cfg_ok(cfg)) {
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
risk_engine_reconfigure(risk_engine_t *self, const risk_engine_cfg_t *cfg)
{
    assert(self);
    assert(cfg);
    if (!s_cfg_ok(cfg)) {
        errno = EINVAL;
        return -1;
    }
    if (risk_limits_reconfigure(self->limits, &cfg->limits) != 0) {
        return -1; /* EINVAL, nothing changed */
    }
    risk_engine_cfg_t old = self->cfg;
    self->cfg = *cfg;
    memcpy(self->cfg.asset, old.asset, sizeof self->cfg.asset);
    self->cfg.limits.start_equity = old.limits.start_equity;
    if (self->cfg.winrate_n != old.winrate_n) {
        self->n_trips = self->trip_head = 0; /* a new window: count afresh */
        self->warned_winrate = false;
    }
    if (self->cfg.stale_ns <= 0 && risk_limits_stale(self->limits)) {
        risk_limits_set_stale(self->limits, false);
        log_notice("risk", "stale_s switched off: stale_data cleared");
    }
    self->dirty = true; /* trips may have changed: the stage writes the state file */
    if (self->state_sent) {
        s_state_maybe(self, self->now, 0); /* a tightened limit may halt now */
    }
    return 0;
}

const risk_engine_cfg_t *
risk_engine_cfg(const risk_engine_t *self)
{
    assert(self);
    return &self->cfg;
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

static void s_kill_sweep(risk_engine_t *self, int64_t evt, int64_t origin);
static void s_stale_eval(risk_engine_t *self, int64_t evt, int64_t origin);
static void s_critical_sweep(risk_engine_t *self, int64_t evt, int64_t origin);

/* One early warning: usage = used / limit (both >= 0, limit > 0). At/above warn_pct of the
 * limit and not yet warned: risk.alert warn `code`; below it again: re-armed. */
static void
s_warn_one(risk_engine_t *self, bool *warned, const char *code, const char *what, int64_t used,
           int64_t limit, int scale, int64_t evt, int64_t origin)
{
    if (limit <= 0) {
        *warned = false;
        return;
    }
    /* used / limit >= warn_pct / 100  <=>  used * 100 * 10^4 >= limit * warn_pct */
    __int128 lhs = (__int128)used * 100 * money_pow10(RISK_PCT_SCALE),
             rhs = (__int128)limit * self->cfg.warn_pct;
    bool hot = used > 0 && lhs >= rhs;
    if (hot && !*warned) {
        char u[32], l[32], w[16], text[CODEC_TEXT_MAX];
        int64_t u2 = used, l2 = limit, w2 = self->cfg.warn_pct;
        int s2 = scale > 2 ? 2 : scale; /* a person reads cents, not 8 decimals */
        (void)money_rescale(used, scale, s2, MONEY_ROUND_HALF_EVEN, &u2);
        (void)money_rescale(limit, scale, s2, MONEY_ROUND_HALF_EVEN, &l2);
        (void)money_rescale(self->cfg.warn_pct, RISK_PCT_SCALE, 2, MONEY_ROUND_HALF_EVEN, &w2);
        (void)money_fmt(u2, s2, u, sizeof u);
        (void)money_fmt(l2, s2, l, sizeof l);
        (void)money_fmt(w2, 2, w, sizeof w);
        snprintf(text, sizeof text, "%s %s of the limit %s (%.1f %%, warn at %s %%)", what, u, l,
                 (double)used * 100.0 / (double)limit, w);
        s_alert(self, "warn", code, text, evt, origin);
    }
    *warned = hot;
}

/* Early warnings (issue 17): daily loss, drawdown, trades per hour, heat. */
static void
s_warn_eval(risk_engine_t *self, int64_t evt, int64_t origin)
{
    if (self->cfg.warn_pct <= 0 || !risk_limits_equity_known(self->limits)) {
        return;
    }
    const risk_limits_t *l = self->limits;
    int64_t pnl = risk_limits_daily_pnl(l);
    s_warn_one(self, &self->warned_loss, "daily_loss_warn", "daily loss", pnl < 0 ? -pnl : 0,
               risk_limits_daily_limit(l), MONEY_VALUE_SCALE, evt, origin);
    int64_t ddlim = 0;
    if (self->cfg.limits.max_drawdown_pct > 0
        && money_mul(risk_limits_equity_peak(l), MONEY_VALUE_SCALE,
                     self->cfg.limits.max_drawdown_pct, RISK_PCT_SCALE + 2, MONEY_VALUE_SCALE,
                     MONEY_ROUND_DOWN, &ddlim)
               != 0) {
        ddlim = 0;
    }
    s_warn_one(self, &self->warned_dd, "drawdown_warn", "drawdown", risk_limits_drawdown(l), ddlim,
               MONEY_VALUE_SCALE, evt, origin);
    s_warn_one(self, &self->warned_tph, "trades_per_hour_warn", "entries in the last hour",
               self->cfg.limits.max_trades_per_hour > 0 ? risk_limits_trades_last_hour(l, evt) : 0,
               self->cfg.limits.max_trades_per_hour, 0, evt, origin);
    int64_t heat = 0, cap = 0;
    if (self->cfg.max_heat_pct > 0) {
        for (size_t i = 0; i < risk_positions_count(self->pos); i++) {
            heat += s_open_risk(risk_positions_at(self->pos, i));
        }
        if (money_mul(risk_limits_equity(l), MONEY_VALUE_SCALE, self->cfg.max_heat_pct,
                      RISK_PCT_SCALE + 2, MONEY_VALUE_SCALE, MONEY_ROUND_DOWN, &cap)
            != 0) {
            cap = 0;
        }
    }
    s_warn_one(self, &self->warned_heat, "heat_warn", "open risk (heat)", heat, cap,
               MONEY_VALUE_SCALE, evt, origin);
}

/* A round trip closed with net PnL `pnl`: the win-rate window (issue 17). When the last
 * winrate_n trips are in and wins * 100 / n < winrate_min_pct: risk.alert warn "win_rate"
 * once, re-armed when the rate is back at/above the threshold. */
static void
s_on_round_trip(risk_engine_t *self, int64_t pnl, int64_t evt, int64_t origin)
{
    int32_t n = (int32_t)self->cfg.winrate_n;
    if (n <= 0) {
        return;
    }
    if (self->n_trips == n) {
        self->trip_head = (self->trip_head + 1) % n;
        self->n_trips--;
    }
    self->trip_win[(self->trip_head + self->n_trips) % n] = pnl > 0;
    self->n_trips++;
    if (self->n_trips < n) {
        return;
    }
    int32_t wins = 0;
    for (int32_t i = 0; i < n; i++) {
        wins += self->trip_win[i];
    }
    /* wins / n < min / 100  <=>  wins * 100 * 10^4 < n * min */
    bool low =
        (int64_t)wins * 100 * money_pow10(RISK_PCT_SCALE) < (int64_t)n * self->cfg.winrate_min_pct;
    if (low && !self->warned_winrate) {
        char m[16], text[CODEC_TEXT_MAX];
        int64_t m2 = self->cfg.winrate_min_pct;
        (void)money_rescale(m2, RISK_PCT_SCALE, 2, MONEY_ROUND_HALF_EVEN, &m2);
        (void)money_fmt(m2, 2, m, sizeof m);
        snprintf(text, sizeof text, "win rate %d of the last %d round trips (%.1f %%) below %s %%",
                 wins, n, 100.0 * wins / n, m);
        s_alert(self, "warn", "win_rate", text, evt, origin);
    }
    self->warned_winrate = low;
}

static void
s_state_maybe(risk_engine_t *self, int64_t evt, int64_t origin)
{
    if (risk_limits_killed(self->limits)) {
        s_kill_sweep(self, evt, origin);
    }
    s_stale_eval(self, evt, origin);
    s_warn_eval(self, evt, origin);
    s_critical_sweep(self, evt, origin);
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
    s.equity_peak = risk_limits_equity_peak(self->limits);
    s.daily_pnl = risk_limits_daily_pnl(self->limits);
    s.drawdown = risk_limits_drawdown(self->limits);
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
        log_notice("risk", "new UTC day: daily loss limit / loss streak cleared");
        self->dirty = true;
    }
    s_stale_eval(self, evt, origin);
}

/* Stale market data (rule in engine.h cfg.stale_ns): evaluated before a message is applied
 * (a gap trips) and after (its own update clears). Event time only. */
static void
s_stale_eval(risk_engine_t *self, int64_t evt, int64_t origin)
{
    if (self->cfg.stale_ns <= 0) {
        return;
    }
    const risk_position_t *worst = NULL;
    int64_t gap = 0;
    for (size_t i = 0; i < risk_positions_count(self->pos); i++) {
        const risk_position_t *p = risk_positions_at(self->pos, i);
        if ((p->qty != 0 || p->entry_id[0] != '\0') && p->last_md_evt > 0
            && self->now - p->last_md_evt > self->cfg.stale_ns
            && self->now - p->last_md_evt > gap) {
            gap = self->now - p->last_md_evt;
            worst = p;
        }
    }
    bool was = risk_limits_stale(self->limits);
    if (worst && !was) {
        char text[CODEC_TEXT_MAX];
        snprintf(text, sizeof text, "%s %s: no market data for %lld ms (limit %lld ms)",
                 worst->venue, worst->symbol, (long long)(gap / 1000000),
                 (long long)(self->cfg.stale_ns / 1000000));
        risk_limits_set_stale(self->limits, true);
        s_alert(self, "error", "stale_data", text, evt, origin);
    } else if (!worst && was) {
        risk_limits_set_stale(self->limits, false);
        log_notice("risk", "market data flows again: stale_data cleared");
    }
}

/* Base asset of a symbol: the symbol without a known quote suffix ("BTCUSDT" -> "BTC"). */
static void
s_base(const char *symbol, char *out, size_t cap)
{
    static const char *const k_quotes[] = { "USDT", "USDC", "FDUSD", "BUSD", "USD" };
    size_t n = strlen(symbol);
    for (size_t i = 0; i < sizeof k_quotes / sizeof k_quotes[0]; i++) {
        size_t q = strlen(k_quotes[i]);
        if (n > q && strcmp(symbol + n - q, k_quotes[i]) == 0) {
            n -= q;
            break;
        }
    }
    snprintf(out, cap, "%.*s", (int)n, symbol);
}

/* Slots of base asset `base` holding a position or an entry in flight. */
static size_t
s_open_of_base(risk_engine_t *self, const char *base)
{
    size_t n = 0;
    for (size_t i = 0; i < risk_positions_count(self->pos); i++) {
        const risk_position_t *p = risk_positions_at(self->pos, i);
        char b[CODEC_SYM_MAX];
        s_base(p->symbol, b, sizeof b);
        if ((p->qty != 0 || p->entry_id[0] != '\0') && strcmp(b, base) == 0) {
            n++;
        }
    }
    return n;
}

/* Open risk of a slot: |qty| x |entry - effective stop|, VALUE scale (0 if no stop). */
static int64_t
s_open_risk(const risk_position_t *p)
{
    int64_t stop = p->sl_px;
    if (p->be_done && p->entry_px > 0) {
        stop = p->entry_px;
    }
    if (p->qty == 0 || stop <= 0 || p->entry_px <= 0) {
        return 0;
    }
    int64_t d = p->entry_px > stop ? p->entry_px - stop : stop - p->entry_px;
    if (p->qty > 0 ? stop >= p->entry_px : stop <= p->entry_px) {
        return 0; /* stop at or beyond entry on the winning side: nothing at risk */
    }
    int64_t r;
    if (money_mul(p->qty > 0 ? p->qty : -p->qty, p->qty_scale, d, p->px_scale, MONEY_VALUE_SCALE,
                  MONEY_ROUND_UP, &r)
        != 0) {
        return INT64_MAX / 4;
    }
    return r;
}

typedef enum { S_SENT_ACCEPTED, S_SENT_REJECTED, S_SENT_NO_ANSWER, S_SENT_NOT } s_sent_t;

/* One refused order (executor's answer or the venue's exec.order "Rejected") for the reject
 * breaker (limits.h risk_limits_on_reject); alerts when it trips. */
static void
s_on_reject(risk_engine_t *self, const char *client_id, const char *why, int64_t evt,
            int64_t origin)
{
    if (risk_limits_on_reject(self->limits, evt) == 1) {
        char text[CODEC_TEXT_MAX];
        snprintf(text, sizeof text,
                 "%d orders refused in %llds (last %s: %.48s): entries paused until resume",
                 risk_limits_rejects_in_window(self->limits, evt),
                 (long long)(self->cfg.limits.reject_window_ns / INT64_C(1000000000)), client_id,
                 why);
        s_alert(self, "error", "reject_breaker", text, evt, origin);
    }
    self->dirty = true;
}

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
        snprintf(self->refused[self->n_refused++ % 32], CODEC_ID_MAX, "%s", ord->client_id);
        s_on_reject(self, ord->client_id, ack.reason[0] ? ack.reason : "rejected by executor", evt,
                    origin);
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
       int64_t qty, int rung, int64_t evt, int64_t origin)
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
    int64_t aq = p->qty > 0 ? p->qty : -p->qty;
    ord.qty = (qty > 0 && qty < aq) ? qty : aq;
    p->exit_pending = true;
    p->exit_qty = ord.qty;
    self->dirty = true;
    snprintf(p->exit_intent, sizeof p->exit_intent, "%s", intent);
    switch (s_send(self, &ord, evt, origin)) {
    case S_SENT_ACCEPTED:
        memcpy(p->exit_id, ord.client_id, sizeof p->exit_id);
        self->n.exits++;
        if (rung >= 0) {
            p->tp_stage = (uint8_t)(rung + 1);
        }
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
        p->exit_qty = 0;
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
    char base[CODEC_SYM_MAX];
    s_base(s->symbol, base, sizeof base);
    if (self->cfg.max_open_per_asset > 0
        && s_open_of_base(self, base) >= (size_t)self->cfg.max_open_per_asset) {
        s_reject(self, "", s->strategy, s->symbol, "max_open_per_asset", evt, origin);
        return;
    }
    if (self->cfg.n_priority > 0) {
        /* assets listed before this one (all listed ones if it is not listed) must be flat,
         * unless this signal's confidence exceeds priority_confidence */
        int rank = self->cfg.n_priority;
        for (int i = 0; i < self->cfg.n_priority; i++) {
            if (strcmp(self->cfg.priority[i], base) == 0) {
                rank = i;
                break;
            }
        }
        for (int i = 0; i < rank; i++) {
            if (s_open_of_base(self, self->cfg.priority[i]) > 0
                && !(s->confidence > self->cfg.priority_confidence)) {
                char why[CODEC_TEXT_MAX];
                snprintf(why, sizeof why, "asset_priority: %s open", self->cfg.priority[i]);
                s_reject(self, "", s->strategy, s->symbol, why, evt, origin);
                return;
            }
        }
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
    /* stop by mode: pct of ref or ATR multiple (no ATR known: the signal's stop), rounded to
     * the tick away from ref (long down, short up: never tighter than configured) */
    int64_t d = -1;
    if (self->cfg.sl_mode == RISK_SL_PCT) {
        if (money_mul(ref, in->px_scale, self->cfg.sl_pct, RISK_PCT_SCALE + 2, in->px_scale,
                      MONEY_ROUND_UP, &d)
            != 0) {
            d = -1;
        }
    } else if (self->cfg.sl_mode == RISK_SL_ATR && p && p->atr_px > 0) {
        if (money_mul(p->atr_px, in->px_scale, self->cfg.sl_atr_mult, RISK_MULT_SCALE, in->px_scale,
                      MONEY_ROUND_UP, &d)
            != 0) {
            d = -1;
        }
    }
    if (d > 0) {
        int64_t raw = s->side > 0 ? ref - d : ref + d;
        if (raw <= 0
            || money_round_to(raw, in->tick, s->side > 0 ? MONEY_ROUND_DOWN : MONEY_ROUND_UP, &sl)
                   != 0) {
            s_reject(self, "", s->strategy, s->symbol, "bad stop", evt, origin);
            return;
        }
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
    risk_sizing_in_t sin = {
        .equity = risk_limits_equity(self->limits),
        .available = self->available,
        .ref_px = ref,
        .sl_px = sl,
        .mult = risk_scale_mult(&self->cfg.scale, s->confidence,
                                p && p->atr_pctile_known ? p->atr_pctile : -1.0, evt),
    };
    risk_sizing_err_t serr = risk_sizing_size(&self->cfg.sizing, in, &sin, &sz);
    if (serr != RISK_SIZING_OK) {
        s_reject(self, "", s->strategy, s->symbol, risk_sizing_strerror(serr), evt, origin);
        return;
    }
    if (self->cfg.max_heat_pct > 0) {
        /* portfolio heat: open risk of every position + this one <= equity * pct / 100 */
        int64_t heat = 0, mine, cap;
        for (size_t i = 0; i < risk_positions_count(self->pos); i++) {
            heat += s_open_risk(risk_positions_at(self->pos, i));
        }
        if (money_mul(sz.qty, in->qty_scale, sz.stop_dist, in->px_scale, MONEY_VALUE_SCALE,
                      MONEY_ROUND_UP, &mine)
                != 0
            || money_mul(sin.equity, MONEY_VALUE_SCALE, self->cfg.max_heat_pct, RISK_PCT_SCALE + 2,
                         MONEY_VALUE_SCALE, MONEY_ROUND_DOWN, &cap)
                   != 0
            || heat + mine > cap) {
            s_reject(self, "", s->strategy, s->symbol, "portfolio_heat", evt, origin);
            return;
        }
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
    /* with a ladder the local rules take profit in parts: no exchange-side whole target */
    ord.tp_px = self->cfg.exits.n_tp > 0 ? 0 : tp;
    s_sent_t sent = s_send(self, &ord, evt, origin);
    if (sent == S_SENT_ACCEPTED || sent == S_SENT_NO_ANSWER) {
        /* no answer: the entry may be live, so its stop/target must be watched; it is not
         * marked in flight (that would block the symbol until a person looks) */
        p->px_scale = in->px_scale;
        p->qty_scale = in->qty_scale;
        p->step = in->step;
        p->sl_px = sl;
        p->tp_px = tp;
        p->last_md_evt = evt;
        snprintf(p->strategy, sizeof p->strategy, "%s", s->strategy);
        self->dirty = true;
        if (sent == S_SENT_ACCEPTED) {
            memcpy(p->entry_id, ord.client_id, sizeof p->entry_id);
            p->entry_side = ord.side;
            if (risk_limits_on_entry(self->limits, evt) == 1) {
                char text[CODEC_TEXT_MAX];
                snprintf(text, sizeof text,
                         "%d entries in the last hour: entries stop until "
                         "the hour slides",
                         risk_limits_trades_last_hour(self->limits, evt));
                s_alert(self, "warn", "max_trades_per_hour", text, evt, origin);
            }
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
                s_exit(self, p, "exit", s->strategy, 0, -1, env->evt, env->origin);
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

/* A price update of venue+symbol at evt: refreshes its staleness clock. */
static void
s_md_seen(risk_engine_t *self, const char *venue, const char *symbol, int64_t evt)
{
    risk_position_t *p = risk_positions_get(self->pos, venue, symbol);
    if (p && evt > p->last_md_evt) {
        p->last_md_evt = evt;
        if (p->qty != 0) {
            self->dirty = true; /* bars, trailing best: exit state may have moved */
        }
    }
}

/* The venue-held stop follows risk's own (docs/risk.md "Venue-held stop"): when the stop in
 * force for the position of venue+symbol (breakeven, trailing) is tighter than the one last
 * set on the venue, a stop move (intent "move_stop") is sent; accepted -> remembered in
 * venue_sl (persisted). A restarted risk compares its restored venue_sl the same way on the
 * next price, so a move lost by a kill -9 before its answer is sent again (the venue treats a
 * repeat as a no-op). Stops only ever tighten; nothing is sent while an exit is in flight. */
static void
s_venue_stop(risk_engine_t *self, const char *venue, const char *symbol, int64_t evt,
             int64_t origin)
{
    risk_position_t *p = risk_positions_get(self->pos, venue, symbol);
    if (!p || p->qty == 0 || p->exit_pending || p->sl_px <= 0) {
        return;
    }
    bool lng = p->qty > 0;
    int64_t want = risk_exits_stop(&self->cfg.exits, p);
    int64_t have = p->venue_sl > 0 ? p->venue_sl : p->sl_px;
    if (want <= 0 || (lng ? want <= have : want >= have)) {
        return;
    }
    const instr_t *in = instr_table_get(self->instr, venue, symbol);
    if (in && in->px_scale == p->px_scale && in->tick > 1) {
        /* on the tick, never tighter than risk's own stop (risk's fires first while it runs):
         * a long's rounds down, a short's up */
        int64_t r = want % in->tick;
        if (r != 0) {
            want = lng ? want - r : want - r + in->tick;
        }
        if (lng ? want <= have : want >= have) {
            return;
        }
    }
    codec_risk_order_t ord;
    memset(&ord, 0, sizeof ord);
    snprintf(ord.strategy, sizeof ord.strategy, "%s", p->strategy);
    snprintf(ord.venue, sizeof ord.venue, "%s", p->venue);
    snprintf(ord.symbol, sizeof ord.symbol, "%s", p->symbol);
    snprintf(ord.intent, sizeof ord.intent, "move_stop");
    ord.side = lng ? -1 : 1;
    ord.reduce_only = true;
    ord.px_scale = p->px_scale;
    ord.qty_scale = p->qty_scale;
    ord.qty = lng ? p->qty : -p->qty;
    ord.sl_px = want;
    char from[32], to[32];
    (void)money_fmt(have, p->px_scale, from, sizeof from);
    (void)money_fmt(want, p->px_scale, to, sizeof to);
    log_notice("risk", "venue stop %s %s: %s -> %s", p->venue, p->symbol, from, to);
    s_sent_t sent = s_send(self, &ord, evt, origin);
    if (sent == S_SENT_ACCEPTED || sent == S_SENT_REJECTED) {
        /* refused (the venue holds no stops, ...): not asked again at every price */
        p->venue_sl = want;
        self->dirty = true;
    }
}

static void
s_exit_fire(risk_engine_t *self, const codec_env_t *env, int fired, risk_exit_order_t *x)
{
    if (fired == 1) {
        char px[32];
        (void)money_fmt(x->trigger_px, x->pos->px_scale, px, sizeof px);
        log_notice("risk", "%s %s %s at %s", x->intent, x->pos->venue, x->pos->symbol, px);
        s_exit(self, x->pos, x->intent, "", x->qty, x->rung, env->evt, env->origin);
    }
    s_state_maybe(self, env->evt, env->origin);
}

void
risk_engine_on_trade(risk_engine_t *self, const codec_env_t *env, const codec_md_trade_t *t)
{
    assert(self && env && t);
    s_advance(self, env->evt, env->origin);
    risk_exit_order_t x;
    int fired = risk_exits_on_trade_cfg(&self->cfg.exits, self->pos, t, env->evt, &x);
    s_md_seen(self, t->venue, t->symbol, env->evt);
    if (fired != 1) {
        s_venue_stop(self, t->venue, t->symbol, env->evt, env->origin);
    }
    s_exit_fire(self, env, fired, &x);
}

void
risk_engine_on_book(risk_engine_t *self, const codec_env_t *env, const codec_md_book_t *b)
{
    assert(self && env && b);
    s_advance(self, env->evt, env->origin);
    risk_exit_order_t x;
    int fired = risk_exits_on_book_cfg(&self->cfg.exits, self->pos, b, env->evt, &x);
    s_md_seen(self, b->venue, b->symbol, env->evt);
    if (fired != 1) {
        s_venue_stop(self, b->venue, b->symbol, env->evt, env->origin);
    }
    s_exit_fire(self, env, fired, &x);
}

void
risk_engine_on_kline(risk_engine_t *self, const codec_env_t *env, const codec_md_kline_t *k)
{
    assert(self && env && k);
    s_advance(self, env->evt, env->origin);
    risk_exit_order_t x;
    int fired = risk_exits_on_kline_cfg(&self->cfg.exits, self->pos, k, env->evt, &x);
    s_md_seen(self, k->venue, k->symbol, env->evt);
    if (fired != 1) {
        s_venue_stop(self, k->venue, k->symbol, env->evt, env->origin);
    }
    s_exit_fire(self, env, fired, &x);
}

/* ---- executor feedback -------------------------------------------------------------- */

void
risk_engine_on_exec_position(risk_engine_t *self, const codec_env_t *env,
                             const codec_exec_position_t *p)
{
    assert(self && env && p);
    s_advance(self, env->evt, env->origin);
    risk_position_t *slot = risk_positions_get(self->pos, p->venue, p->symbol);
    int64_t trip = slot ? slot->trip_pnl : 0;
    int rc = risk_positions_on_exec_position(self->pos, p);
    if (rc < 0) {
        self->n.bad++;
        log_limited(&self->bad_limit, LOG_WARN, "risk", "cannot track exec.position", p->symbol,
                    strlen(p->symbol));
    } else if (rc == 1) {
        self->dirty = true;
        slot = risk_positions_get(self->pos, p->venue, p->symbol);
        if (slot && slot->qty != 0) {
            if (slot->step <= 0) {
                const instr_t *in = instr_table_get(self->instr, p->venue, p->symbol);
                slot->step = in ? in->step : 1;
            }
            if (slot->last_md_evt < env->evt) {
                slot->last_md_evt = env->evt;
            }
        } else {
            s_on_round_trip(self, trip, env->evt, env->origin);
            if (risk_limits_on_trade_closed(self->limits, trip) == 1) {
                char text[CODEC_TEXT_MAX];
                snprintf(text, sizeof text,
                         "%d losing trades in a row: entries paused until the "
                         "next UTC day or resume",
                         risk_limits_loss_streak(self->limits));
                s_alert(self, "warn", "loss_streak", text, env->evt, env->origin);
            }
        }
    }
    s_state_maybe(self, env->evt, env->origin);
}

void
risk_engine_on_exec_order(risk_engine_t *self, const codec_env_t *env, const codec_exec_order_t *o)
{
    assert(self && env && o);
    s_advance(self, env->evt, env->origin);
    if (strcmp(o->status, "Rejected") == 0) {
        /* a venue's rejection of an accepted order; one the executor refused at the ack was
         * counted then */
        bool counted = false;
        for (unsigned i = 0; i < 32 && !counted; i++) {
            counted = self->refused[i][0] && strcmp(self->refused[i], o->client_id) == 0;
        }
        if (!counted) {
            s_on_reject(self, o->client_id, o->reject_reason[0] ? o->reject_reason : "Rejected",
                        env->evt, env->origin);
        }
    }
    risk_positions_on_exec_order(self->pos, o);
    s_state_maybe(self, env->evt, env->origin);
}

void
risk_engine_on_exec_fill(risk_engine_t *self, const codec_env_t *env, const codec_exec_fill_t *f)
{
    assert(self && env && f);
    s_advance(self, env->evt, env->origin);
    int64_t at = f->ts_event > 0 ? f->ts_event : env->evt;
    risk_position_t *slot = risk_positions_get(self->pos, f->venue, f->symbol);
    int64_t net;
    if (slot && money_sub(f->realized_pnl, f->fee, &net) == 0
        && money_add(slot->trip_pnl, net, &net) == 0) {
        slot->trip_pnl = net;
    }
    self->dirty = true;
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
        bool dd = risk_limits_dd_tripped(self->limits);
        bool mb = risk_limits_min_balance_tripped(self->limits);
        if (risk_limits_set_equity(self->limits, eq) != 0) {
            self->n.bad++;
            log_limited(&self->bad_limit, LOG_WARN, "risk", "exec.balance equity <= 0", b->asset,
                        strlen(b->asset));
        } else {
            self->available = b->available;
            self->dirty = true;
            char e1[32], e2[32], text[CODEC_TEXT_MAX];
            (void)money_fmt(eq, MONEY_VALUE_SCALE, e1, sizeof e1);
            (void)money_fmt(risk_limits_equity_peak(self->limits), MONEY_VALUE_SCALE, e2,
                            sizeof e2);
            if (!dd && risk_limits_dd_tripped(self->limits)) {
                snprintf(text, sizeof text,
                         "equity %.20s down from peak %.20s: max_drawdown, "
                         "entries halted",
                         e1, e2);
                s_alert(self, "error", "max_drawdown", text, env->evt, env->origin);
            } else if (dd && !risk_limits_dd_tripped(self->limits)) {
                log_notice("risk", "drawdown recovered (equity %s, peak %s)", e1, e2);
            }
            if (!mb && risk_limits_min_balance_tripped(self->limits)) {
                snprintf(text, sizeof text, "equity %s below min_balance: entries halted", e1);
                s_alert(self, "error", "min_balance", text, env->evt, env->origin);
            }
        }
    }
    s_state_maybe(self, env->evt, env->origin);
}

void
risk_engine_on_exec_status(risk_engine_t *self, const codec_env_t *env, const codec_md_status_t *st)
{
    assert(self && env && st);
    const char *was = risk_limits_executor_venue(self->limits);
    bool was_running = strcmp(was, "running") == 0;
    if (risk_limits_set_executor_venue(self->limits, st->state) != 0) {
        self->n.bad++;
        log_limited(&self->bad_limit, LOG_WARN, "risk", "exec.status with an unknown state",
                    st->state, strlen(st->state));
        return;
    }
    bool running = strcmp(st->state, "running") == 0;
    if (running) {
        self->venue_down_since = 0;
        self->venue_crit_alerted = false;
    } else if (self->venue_down_since == 0) {
        self->venue_down_since = self->now > 0 ? self->now : 1; /* the outage starts now */
    }
    if (was_running != running) {
        char text[CODEC_TEXT_MAX];
        if (running) {
            snprintf(text, sizeof text, "executor venue %.24s running again", st->venue);
            log_notice("risk", "%s", text);
        } else {
            snprintf(text, sizeof text, "executor venue %.24s %.12s (%.40s): entries halted",
                     st->venue, st->state, st->reason);
            s_alert(self, "warn", "executor_venue", text, self->now, env->origin);
        }
        self->dirty = true;
    }
    s_state_maybe(self, self->now, env->origin);
}

/* ---- dispatch ----------------------------------------------------------------------- */

void
risk_engine_on_time(risk_engine_t *self, int64_t now_ns)
{
    assert(self);
    s_advance(self, now_ns, 0);
    s_state_maybe(self, now_ns, 0);
}

void
risk_engine_on_msg(risk_engine_t *self, const bus_msg_t *msg)
{
    risk_engine_on_body(self, msg, NULL);
}

void
risk_engine_on_body(risk_engine_t *self, const bus_msg_t *msg, const codec_body_t *given)
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
    case CODEC_SIG_IND:
        break;
    case CODEC_MD_STATUS:
        if (strncmp(msg->topic, "exec.status", 11) != 0) {
            return; /* the feed's connection states: the stale-data breaker covers silence */
        }
        break;
    default:
        return; /* tickers, bars, heartbeats: not risk's business */
    }
    codec_env_t env;
    codec_body_t local;
    const codec_body_t *bp = given;
    if (given) {
        env = msg->env; /* the envelope as codec_decode would give it back */
    } else if (codec_decode(msg->data, msg->len, msg->type, &env, &local) != 0) {
        self->n.bad++;
        log_limited(&self->bad_limit, LOG_WARN, "risk", "malformed message", msg->topic,
                    strlen(msg->topic));
        return;
    } else {
        bp = &local;
    }
    switch (msg->type) {
    case CODEC_MD_BOOK:
        risk_engine_on_book(self, &env, &bp->book);
        break;
    case CODEC_MD_TRADE:
        risk_engine_on_trade(self, &env, &bp->trade);
        break;
    case CODEC_MD_KLINE:
        risk_engine_on_kline(self, &env, &bp->kline);
        break;
    case CODEC_MD_INSTRUMENT:
        risk_engine_on_instrument(self, &env, &bp->instrument);
        break;
    case CODEC_SIG_SIGNAL:
        risk_engine_on_signal(self, &env, &bp->signal);
        break;
    case CODEC_EXEC_ORDER:
        risk_engine_on_exec_order(self, &env, &bp->xorder);
        break;
    case CODEC_EXEC_FILL:
        risk_engine_on_exec_fill(self, &env, &bp->fill);
        break;
    case CODEC_EXEC_POSITION:
        risk_engine_on_exec_position(self, &env, &bp->position);
        break;
    case CODEC_EXEC_BALANCE:
        risk_engine_on_exec_balance(self, &env, &bp->balance);
        break;
    case CODEC_SIG_IND:
        risk_engine_on_ind(self, &env, &bp->ind);
        break;
    case CODEC_MD_STATUS:
        risk_engine_on_exec_status(self, &env, &bp->status);
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
    self->dirty = true;
    s_state_maybe(self, self->now, 0);
}

int
risk_engine_resume(risk_engine_t *self)
{
    assert(self);
    if (risk_limits_killed(self->limits)) {
        /* resume would clear a drawdown trip or a pause under the kill and answer as if the
         * engine were trading again: the kill has its own, explicit, command */
        errno = EPERM;
        return -1;
    }
    risk_limits_resume(self->limits);
    risk_limits_set_unknown(self->limits, false); /* a person vouches for the state */
    self->dirty = true;
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
    return 0;
}

void
risk_engine_on_ind(risk_engine_t *self, const codec_env_t *env, const codec_sig_ind_t *ind)
{
    assert(self && env && ind);
    s_advance(self, env->evt, env->origin);
    const instr_t *in = instr_table_get(self->instr, ind->venue, ind->symbol);
    for (uint32_t i = 0; in && i < ind->n && i < CODEC_IND_MAX; i++) {
        const char *nm = ind->names[i];
        double v = ind->values[i];
        if (!(v >= 0 && v < 1e15)) {
            continue; /* NaN, negative or absurd: ignored */
        }
        bool pct = strcmp(nm, "atr_pctile") == 0;
        bool atr = strncmp(nm, "atr", 3) == 0 && nm[3] >= '0' && nm[3] <= '9';
        if (!pct && !atr) {
            continue;
        }
        risk_position_t *p = risk_positions_ensure(self->pos, ind->venue, ind->symbol);
        if (!p) {
            break;
        }
        if (pct) {
            p->atr_pctile = v;
            p->atr_pctile_known = true;
        } else {
            /* ATR in price units to the instrument's px mantissa (STYLE: a double becomes a
             * price only through money_from_double); an unusable value keeps the last one */
            int64_t atr_m;
            if (money_from_double(v, in->px_scale, MONEY_ROUND_HALF_EVEN, &atr_m) == 0
                && atr_m >= 0) {
                p->atr_px = atr_m;
            }
        }
    }
    s_state_maybe(self, env->evt, env->origin);
}

/* Close on a critical error (cfg.critical_close_ns > 0, docs/risk.md): the executor's venue
 * not "running" for longer than the limit closes every open position; a position whose
 * symbol had no price update for longer than it is closed. Reduce-only market orders, intent
 * "critical", each position once (the exit latch); a refused close re-arms like any exit (3
 * refusals: exit_rejected). One risk.alert "critical_close" per venue outage and per
 * position. Event time only (live mode: risk_engine_on_time moves it through a silence). */
static void
s_critical_sweep(risk_engine_t *self, int64_t evt, int64_t origin)
{
    int64_t lim = self->cfg.critical_close_ns;
    if (lim <= 0) {
        return;
    }
    bool venue = self->venue_down_since > 0 && self->now - self->venue_down_since > lim;
    for (size_t i = 0; i < risk_positions_count(self->pos); i++) {
        risk_position_t *p = risk_positions_at(self->pos, i);
        if (p->qty == 0 || p->exit_pending || p->exit_rejects >= RISK_EXIT_MAX_REJECTS) {
            continue;
        }
        bool stale = p->last_md_evt > 0 && self->now - p->last_md_evt > lim;
        if (!venue && !stale) {
            continue;
        }
        char text[CODEC_TEXT_MAX];
        if (venue) {
            snprintf(text, sizeof text,
                     "critical: executor venue %s for %lld ms (limit %lld ms): closing %s %s",
                     risk_limits_executor_venue(self->limits),
                     (long long)((self->now - self->venue_down_since) / 1000000),
                     (long long)(lim / 1000000), p->venue, p->symbol);
        } else {
            snprintf(text, sizeof text,
                     "critical: no market data of %s %s for %lld ms (limit %lld ms): closing it",
                     p->venue, p->symbol, (long long)((self->now - p->last_md_evt) / 1000000),
                     (long long)(lim / 1000000));
        }
        if (!venue || !self->venue_crit_alerted) {
            s_alert(self, "error", "critical_close", text, evt, origin);
        } else {
            log_warn("risk", "%s", text);
        }
        self->venue_crit_alerted = self->venue_crit_alerted || venue;
        s_exit(self, p, "critical", "", 0, -1, evt, origin);
    }
}

/* While killed: close every open position that has no exit in flight (intent "kill"). */
static void
s_kill_sweep(risk_engine_t *self, int64_t evt, int64_t origin)
{
    for (size_t i = 0; i < risk_positions_count(self->pos); i++) {
        risk_position_t *p = risk_positions_at(self->pos, i);
        if (p->qty != 0 && !p->exit_pending && p->exit_rejects < RISK_EXIT_MAX_REJECTS) {
            log_notice("risk", "kill: closing %s %s", p->venue, p->symbol);
            s_exit(self, p, "kill", "", 0, -1, evt, origin);
        }
    }
}

void
risk_engine_kill(risk_engine_t *self, const char *why)
{
    assert(self);
    bool was = risk_limits_killed(self->limits);
    risk_limits_kill(self->limits);
    self->dirty = true;
    if (!was) {
        /* resting orders first: the closes below must not be among what is cancelled */
        char cancelled[48] = "no cancel path";
        if (self->io.cancel_all) {
            int nc = self->io.cancel_all(self->io.arg);
            if (nc < 0) {
                snprintf(cancelled, sizeof cancelled, "cancel-all failed: %s", strerror(errno));
            } else {
                snprintf(cancelled, sizeof cancelled, "cancel-all: %d cancelled", nc);
            }
            log_notice("risk", "kill: %s", cancelled);
        }
        size_t inflight = 0;
        for (size_t i = 0; i < risk_positions_count(self->pos); i++) {
            if (risk_positions_at(self->pos, i)->entry_id[0] != '\0') {
                inflight++;
            }
        }
        char text[CODEC_TEXT_MAX];
        snprintf(text, sizeof text,
                 "kill (%.16s): closing %zu positions, %zu entries in flight; %s; latched",
                 why && why[0] ? why : "operator", risk_engine_open_positions(self), inflight,
                 cancelled);
        s_alert(self, "error", "kill_switch", text, self->now, 0);
    }
    s_state_maybe(self, self->now, 0); /* sweeps */
}

int
risk_engine_flatten(risk_engine_t *self, const char *symbol)
{
    assert(self);
    int n = 0;
    char names[CODEC_TEXT_MAX / 2] = "";
    size_t used = 0;
    for (size_t i = 0; i < risk_positions_count(self->pos); i++) {
        risk_position_t *p = risk_positions_at(self->pos, i);
        if (p->qty == 0 || p->exit_pending
            || (symbol && *symbol && strcmp(p->symbol, symbol) != 0)) {
            continue;
        }
        log_notice("risk", "flatten: closing %s %s", p->venue, p->symbol);
        s_exit(self, p, "flatten", "", 0, -1, self->now, 0);
        int w = snprintf(names + used, sizeof names - used, "%s%s %s", n ? ", " : "", p->venue,
                         p->symbol);
        used = w > 0 && (size_t)w < sizeof names - used ? used + (size_t)w : used;
        n++;
    }
    char text[CODEC_TEXT_MAX];
    snprintf(text, sizeof text, "flatten %s by operator: %d closed%s%s",
             symbol && *symbol ? symbol : "(all)", n, n ? ": " : " (nothing open)", names);
    s_alert(self, "warn", "flatten", text, self->now, 0);
    self->dirty = true;
    return n;
}

void
risk_engine_clear_kill(risk_engine_t *self)
{
    assert(self);
    if (risk_limits_killed(self->limits)) {
        risk_limits_clear_kill(self->limits);
        self->dirty = true;
        s_alert(self, "warn", "kill_cleared", "kill switch cleared by operator", self->now, 0);
    }
    s_state_maybe(self, self->now, 0);
}

void
risk_engine_set_unknown(risk_engine_t *self, bool unknown)
{
    assert(self);
    risk_limits_set_unknown(self->limits, unknown);
    if (self->state_sent) {
        s_state_maybe(self, self->now, 0);
    }
}

void
risk_engine_set_equity(risk_engine_t *self, int64_t equity)
{
    assert(self);
    if (risk_limits_set_equity(self->limits, equity) == 0 && self->state_sent) {
        s_state_maybe(self, self->now, 0);
    }
}

bool
risk_engine_take_dirty(risk_engine_t *self)
{
    assert(self);
    bool d = self->dirty;
    self->dirty = false;
    return d;
}

size_t
risk_engine_open_positions(risk_engine_t *self)
{
    assert(self);
    size_t n = 0;
    for (size_t i = 0; i < risk_positions_count(self->pos); i++) {
        if (risk_positions_at(self->pos, i)->qty != 0) {
            n++;
        }
    }
    return n;
}

/* ---- persistence ---------------------------------------------------------------------- */

#define S_STATE_VERSION 1

json_t *
risk_engine_save(const risk_engine_t *self)
{
    assert(self);
    risk_limits_saved_t *ls = malloc(sizeof *ls);
    json_t *doc = json_object(), *pos = json_array(), *ent = json_array();
    if (!ls || !doc || !pos || !ent) {
        free(ls);
        json_decref(doc);
        json_decref(pos);
        json_decref(ent);
        return NULL;
    }
    risk_limits_save(self->limits, ls);
    for (int32_t i = 0; i < ls->n_entries; i++) {
        (void)json_array_append_new(ent, json_integer(ls->entry_ns[i]));
    }
    for (size_t i = 0; i < risk_positions_count(self->pos); i++) {
        const risk_position_t *p = risk_positions_at(self->pos, i);
        if (p->qty == 0 && p->entry_id[0] == '\0') {
            continue;
        }
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:s, s:i, s:I, s:I, s:I, s:i, s:i, "
            "s:b, s:b, s:I, s:I, s:I, s:I}",
            "venue", p->venue, "symbol", p->symbol, "strategy", p->strategy, "px_scale",
            (int)p->px_scale, "qty_scale", (int)p->qty_scale, "qty", (json_int_t)p->qty, "entry_px",
            (json_int_t)p->entry_px, "sl_px", (json_int_t)p->sl_px, "tp_px", (json_int_t)p->tp_px,
            "entry_id", p->entry_id, "entry_side", (int)p->entry_side, "step", (json_int_t)p->step,
            "open_qty", (json_int_t)p->open_qty, "open_evt", (json_int_t)p->open_evt, "bars",
            (int)p->bars, "tp_stage", (int)p->tp_stage, "be_done", p->be_done, "trail_on",
            p->trail_on, "best_px", (json_int_t)p->best_px, "trip_pnl", (json_int_t)p->trip_pnl,
            "last_md_evt", (json_int_t)p->last_md_evt, "venue_sl", (json_int_t)p->venue_sl);
        if (o) {
            (void)json_array_append_new(pos, o);
        }
    }
    (void)json_object_set_new(doc, "version", json_integer(S_STATE_VERSION));
    (void)json_object_set_new(doc, "killed", json_boolean(ls->killed));
    (void)json_object_set_new(doc, "paused", json_boolean(ls->paused));
    (void)json_object_set_new(doc, "loss_tripped", json_boolean(ls->loss_tripped));
    (void)json_object_set_new(doc, "dd_tripped", json_boolean(ls->dd_tripped));
    (void)json_object_set_new(doc, "streak_tripped", json_boolean(ls->streak_tripped));
    (void)json_object_set_new(doc, "reject_tripped", json_boolean(ls->reject_tripped));
    (void)json_object_set_new(doc, "equity", json_integer(ls->equity));
    (void)json_object_set_new(doc, "equity_peak", json_integer(ls->equity_peak));
    (void)json_object_set_new(doc, "day", json_integer(ls->day));
    (void)json_object_set_new(doc, "day_start_equity", json_integer(ls->day_start_equity));
    (void)json_object_set_new(doc, "daily_pnl", json_integer(ls->daily_pnl));
    (void)json_object_set_new(doc, "trades_today", json_integer(ls->trades_today));
    (void)json_object_set_new(doc, "loss_streak", json_integer(ls->loss_streak));
    (void)json_object_set_new(doc, "entries_last_hour", ent);
    (void)json_object_set_new(doc, "now", json_integer(self->now));
    (void)json_object_set_new(doc, "positions", pos);
    free(ls);
    return doc;
}

static int64_t
s_jint(const json_t *o, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(o, k));
}

int
risk_engine_restore(risk_engine_t *self, const json_t *doc)
{
    assert(self && doc);
    const json_t *pos = json_object_get(doc, "positions"),
                 *ent = json_object_get(doc, "entries_last_hour");
    if (!json_is_object(doc) || s_jint(doc, "version") != S_STATE_VERSION || !json_is_array(pos)
        || !json_is_array(ent) || json_array_size(ent) > RISK_TRADES_HOUR_MAX) {
        errno = EPROTO;
        return -1;
    }
    size_t i;
    const json_t *o;
    json_array_foreach(pos, i, o)
    {
        const char *v = json_string_value(json_object_get(o, "venue"));
        const char *sy = json_string_value(json_object_get(o, "symbol"));
        if (!v || !sy || !json_is_integer(json_object_get(o, "qty"))) {
            errno = EPROTO;
            return -1;
        }
    }
    risk_limits_saved_t *ls = calloc(1, sizeof *ls);
    if (!ls) {
        errno = ENOMEM;
        return -1;
    }
    ls->killed = json_is_true(json_object_get(doc, "killed"));
    ls->paused = json_is_true(json_object_get(doc, "paused"));
    ls->loss_tripped = json_is_true(json_object_get(doc, "loss_tripped"));
    ls->dd_tripped = json_is_true(json_object_get(doc, "dd_tripped"));
    ls->streak_tripped = json_is_true(json_object_get(doc, "streak_tripped"));
    ls->reject_tripped = json_is_true(json_object_get(doc, "reject_tripped"));
    ls->equity = s_jint(doc, "equity");
    ls->equity_peak = s_jint(doc, "equity_peak");
    ls->day = s_jint(doc, "day");
    ls->day_start_equity = s_jint(doc, "day_start_equity");
    ls->daily_pnl = s_jint(doc, "daily_pnl");
    ls->trades_today = (int32_t)s_jint(doc, "trades_today");
    ls->loss_streak = (int32_t)s_jint(doc, "loss_streak");
    json_array_foreach(ent, i, o)
    {
        ls->entry_ns[ls->n_entries++] = (int64_t)json_integer_value(o);
    }
    risk_limits_restore(self->limits, ls);
    free(ls);
    int64_t now = s_jint(doc, "now");
    if (now > self->now) {
        self->now = now;
    }
    json_array_foreach(pos, i, o)
    {
        risk_position_t *p =
            risk_positions_ensure(self->pos, json_string_value(json_object_get(o, "venue")),
                                  json_string_value(json_object_get(o, "symbol")));
        if (!p) {
            continue;
        }
        snprintf(p->strategy, sizeof p->strategy, "%s",
                 json_string_value(json_object_get(o, "strategy")) ?: "");
        snprintf(p->entry_id, sizeof p->entry_id, "%s",
                 json_string_value(json_object_get(o, "entry_id")) ?: "");
        p->px_scale = (int32_t)s_jint(o, "px_scale");
        p->qty_scale = (int32_t)s_jint(o, "qty_scale");
        p->qty = s_jint(o, "qty");
        p->entry_px = s_jint(o, "entry_px");
        p->sl_px = s_jint(o, "sl_px");
        p->tp_px = s_jint(o, "tp_px");
        p->entry_side = (int8_t)s_jint(o, "entry_side");
        p->step = s_jint(o, "step");
        p->open_qty = s_jint(o, "open_qty");
        p->open_evt = s_jint(o, "open_evt");
        p->bars = (int32_t)s_jint(o, "bars");
        p->tp_stage = (uint8_t)s_jint(o, "tp_stage");
        p->be_done = json_is_true(json_object_get(o, "be_done"));
        p->trail_on = json_is_true(json_object_get(o, "trail_on"));
        p->best_px = s_jint(o, "best_px");
        p->trip_pnl = s_jint(o, "trip_pnl");
        p->last_md_evt = s_jint(o, "last_md_evt");
        p->venue_sl = s_jint(o, "venue_sl"); /* absent (older file): 0, the entry's stop */
    }
    return 0;
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
