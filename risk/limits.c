/*  limits.c - account state and entry limits (contract in limits.h).
 *  The state word is derived from the causes every time (s_derive), so it cannot drift from
 *  them: invariant (1) holds by construction and risk_limits_check re-derives to prove it.
 */
#include "risk/limits.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/money.h"
#include "risk/sizing.h" /* RISK_PCT_SCALE */

struct risk_limits {
    risk_limits_cfg_t cfg;
    bool equity_known;
    bool executor_down; /* latched by risk_limits_executor_timeout */
    bool paused;        /* operator */
    bool loss_tripped;  /* until the next UTC day */
    int64_t equity;     /* VALUE scale */
    int64_t day;        /* days since the epoch of the latest event, -1 before any */
    int64_t day_start_equity;
    int64_t daily_limit; /* VALUE scale, > 0 */
    int64_t daily_pnl;
    int32_t trades_today;
    risk_state_t state;
    /* breakers */
    bool killed, unknown, stale, dd_tripped, minbal_tripped, streak_tripped, reject_tripped;
    int32_t n_rej, rej_head; /* ring of reject times: n_rej used, oldest at rej_head */
    int64_t rej[RISK_REJECTS_MAX];
    int venue;           /* executor venue: 0 running (or never said), 1 reconciling, 2 halted */
    int64_t now;         /* latest event time passed to on_time, ns */
    int64_t equity_peak; /* VALUE scale */
    int32_t loss_streak;
    int32_t n_ent, head; /* ring of entry times: n_ent used, oldest at head */
    int64_t ent[RISK_TRADES_HOUR_MAX];
};

static const char *const k_reason[RISK_LIMIT_ERR_COUNT] = {
    [RISK_LIMIT_OK] = "ok",
    [RISK_LIMIT_HALTED] = "halted",
    [RISK_LIMIT_PAUSED] = "paused",
    [RISK_LIMIT_DAILY_LOSS] = "daily_loss_limit",
    [RISK_LIMIT_MAX_OPEN] = "max_open_positions",
    [RISK_LIMIT_POSITION_OPEN] = "position open",
    [RISK_LIMIT_ENTRY_PENDING] = "entry pending",
    [RISK_LIMIT_KILLED] = "kill_switch",
    [RISK_LIMIT_DRAWDOWN] = "max_drawdown",
    [RISK_LIMIT_MIN_BALANCE] = "min_balance",
    [RISK_LIMIT_LOSS_STREAK] = "loss_streak",
    [RISK_LIMIT_TRADES_HOUR] = "max_trades_per_hour",
    [RISK_LIMIT_REJECTS] = "reject_breaker",
};

static risk_state_t
s_derive(const risk_limits_t *self)
{
    if (self->killed) {
        return RISK_KILLED;
    }
    if (!self->equity_known || self->unknown || self->executor_down || self->stale
        || self->venue != 0 || self->loss_tripped || self->dd_tripped || self->minbal_tripped) {
        return RISK_HALTED;
    }
    return (self->paused || self->streak_tripped || self->reject_tripped) ? RISK_PAUSED
                                                                          : RISK_RUNNING;
}

static void
s_update(risk_limits_t *self)
{
    self->state = s_derive(self);
}

/* daily limit = day start equity * pct / 100, floored (a smaller limit trips earlier); the
 * pct mantissa read at RISK_PCT_SCALE + 2 is the fraction pct / 100 (one exact product) */
static int64_t
s_limit_of(const risk_limits_t *self, int64_t equity)
{
    int64_t lim;
    if (money_mul(equity, MONEY_VALUE_SCALE, self->cfg.daily_loss_limit_pct, RISK_PCT_SCALE + 2,
                  MONEY_VALUE_SCALE, MONEY_ROUND_DOWN, &lim)
            != 0
        || lim <= 0) {
        return 1; /* absurd equity: the smallest limit, so any loss trips (fail safe) */
    }
    return lim;
}

/* drawdown and min-balance trips from the current equity and peak (rules in limits.h) */
static void
s_breakers_on_equity(risk_limits_t *self)
{
    if (self->cfg.max_drawdown_pct > 0) {
        int64_t dd = self->equity_peak - self->equity, lim, half;
        if (money_mul(self->equity_peak, MONEY_VALUE_SCALE, self->cfg.max_drawdown_pct,
                      RISK_PCT_SCALE + 2, MONEY_VALUE_SCALE, MONEY_ROUND_DOWN, &lim)
            != 0) {
            lim = 0; /* absurd peak: trip (fail safe) */
        }
        half = lim / 2;
        if (!self->dd_tripped && dd >= lim) {
            self->dd_tripped = true;
        } else if (self->dd_tripped && dd <= half) {
            self->dd_tripped = false;
        }
    }
    self->minbal_tripped = self->cfg.min_balance > 0 && self->equity < self->cfg.min_balance;
}

static bool
s_cfg_ok(const risk_limits_cfg_t *cfg)
{
    return !(cfg->max_open_positions < 1 || cfg->daily_loss_limit_pct <= 0
             || cfg->daily_loss_limit_pct > 100 * money_pow10(RISK_PCT_SCALE)
             || cfg->start_equity <= 0 || cfg->max_drawdown_pct < 0
             || cfg->max_drawdown_pct > 100 * money_pow10(RISK_PCT_SCALE)
             || cfg->max_trades_per_hour < 0 || cfg->max_trades_per_hour > RISK_TRADES_HOUR_MAX
             || cfg->max_consecutive_losses < 0 || cfg->min_balance < 0 || cfg->max_rejects < 0
             || cfg->max_rejects > RISK_REJECTS_MAX
             || (cfg->max_rejects > 0 && cfg->reject_window_ns <= 0));
}

risk_limits_t *
risk_limits_new(const risk_limits_cfg_t *cfg)
{
    assert(cfg);
    if (!s_cfg_ok(cfg)) {
        errno = EINVAL;
        return NULL;
    }
    risk_limits_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->cfg = *cfg;
    self->equity = cfg->start_equity;
    self->day = -1;
    self->day_start_equity = cfg->start_equity;
    self->daily_limit = s_limit_of(self, cfg->start_equity);
    self->equity_peak = cfg->start_equity;
    s_update(self);
    return self;
}

int
risk_limits_reconfigure(risk_limits_t *self, const risk_limits_cfg_t *cfg)
{
    assert(self && cfg);
    if (!s_cfg_ok(cfg)) {
        errno = EINVAL;
        return -1;
    }
    int64_t start = self->cfg.start_equity;
    self->cfg = *cfg;
    self->cfg.start_equity = start;
    self->daily_limit = s_limit_of(self, self->day_start_equity);
    if (!self->loss_tripped && self->daily_pnl <= -self->daily_limit) {
        self->loss_tripped = true;
    }
    if (self->equity_known) {
        s_breakers_on_equity(self);
    }
    if (self->cfg.max_consecutive_losses > 0 && !self->streak_tripped
        && self->loss_streak >= self->cfg.max_consecutive_losses) {
        self->streak_tripped = true;
    }
    s_update(self);
    return 0;
}

void
risk_limits_destroy(risk_limits_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

/* floor division: days before 1970 stay distinct from day 0 */
static int64_t
s_day_of(int64_t ns)
{
    int64_t d = ns / RISK_NS_PER_DAY;
    return (ns % RISK_NS_PER_DAY < 0) ? d - 1 : d;
}

bool
risk_limits_on_time(risk_limits_t *self, int64_t now_ns)
{
    assert(self);
    if (now_ns > self->now) {
        self->now = now_ns;
    }
    int64_t day = s_day_of(now_ns);
    if (day <= self->day) {
        return false;
    }
    bool cleared = self->loss_tripped;
    self->day = day;
    self->day_start_equity = self->equity;
    self->daily_limit = s_limit_of(self, self->equity);
    self->daily_pnl = 0;
    self->trades_today = 0;
    self->loss_tripped = false;
    cleared = cleared || self->streak_tripped;
    self->streak_tripped = false; /* a loss-streak pause also ends with the UTC day */
    self->loss_streak = 0;
    s_update(self);
    return cleared;
}

int
risk_limits_on_fill(risk_limits_t *self, int64_t evt_ns, int64_t realized_pnl, int64_t fee)
{
    assert(self);
    /* a fill of a later day rolls first (the engine calls on_time with every event before
     * this, so a trip cleared here has already been reported there) */
    (void)risk_limits_on_time(self, evt_ns);
    if (s_day_of(evt_ns) < self->day) {
        return 0; /* belongs to a day already closed */
    }
    int64_t net, pnl;
    if (money_sub(realized_pnl, fee, &net) != 0 || money_add(self->daily_pnl, net, &pnl) != 0) {
        return -1;
    }
    self->daily_pnl = pnl;
    self->trades_today++;
    if (!self->loss_tripped && self->daily_pnl <= -self->daily_limit) {
        self->loss_tripped = true;
        s_update(self);
        return 1;
    }
    return 0;
}

int
risk_limits_set_equity(risk_limits_t *self, int64_t equity)
{
    assert(self);
    if (equity <= 0) {
        errno = EINVAL;
        return -1;
    }
    self->equity = equity;
    if (equity > self->equity_peak) {
        self->equity_peak = equity;
    }
    s_breakers_on_equity(self);
    if (!self->equity_known) {
        self->equity_known = true;
        if (self->day < 0) {
            /* no event yet: the first day will start from this equity anyway */
            self->day_start_equity = equity;
            self->daily_limit = s_limit_of(self, equity);
        }
    }
    s_update(self);
    return 0;
}

void
risk_limits_pause(risk_limits_t *self)
{
    assert(self);
    self->paused = true;
    s_update(self);
}

void
risk_limits_resume(risk_limits_t *self)
{
    assert(self);
    self->paused = false;
    self->executor_down = false;
    self->streak_tripped = false;
    self->loss_streak = 0;
    self->reject_tripped = false;
    self->n_rej = 0; /* a person looked at the errors: count afresh */
    self->rej_head = 0;
    if (self->dd_tripped) {
        self->dd_tripped = false;
        self->equity_peak = self->equity; /* a person accepted the loss: measure from here */
    }
    s_update(self);
}

void
risk_limits_executor_timeout(risk_limits_t *self)
{
    assert(self);
    self->executor_down = true;
    s_update(self);
}

risk_limit_err_t
risk_limits_check_entry(const risk_limits_t *self, size_t n_open, bool symbol_open,
                        bool symbol_pending)
{
    assert(self);
    if (self->killed) {
        return RISK_LIMIT_KILLED;
    }
    if (!self->equity_known || self->unknown || self->executor_down || self->stale
        || self->venue != 0) {
        return RISK_LIMIT_HALTED;
    }
    if (self->loss_tripped) {
        return RISK_LIMIT_DAILY_LOSS;
    }
    if (self->dd_tripped) {
        return RISK_LIMIT_DRAWDOWN;
    }
    if (self->minbal_tripped) {
        return RISK_LIMIT_MIN_BALANCE;
    }
    if (self->paused) {
        return RISK_LIMIT_PAUSED;
    }
    if (self->streak_tripped) {
        return RISK_LIMIT_LOSS_STREAK;
    }
    if (self->reject_tripped) {
        return RISK_LIMIT_REJECTS;
    }
    if (symbol_open) {
        return RISK_LIMIT_POSITION_OPEN;
    }
    if (symbol_pending) {
        return RISK_LIMIT_ENTRY_PENDING;
    }
    if (n_open >= (size_t)self->cfg.max_open_positions) {
        return RISK_LIMIT_MAX_OPEN;
    }
    if (self->cfg.max_trades_per_hour > 0
        && risk_limits_trades_last_hour(self, self->now) >= self->cfg.max_trades_per_hour) {
        return RISK_LIMIT_TRADES_HOUR;
    }
    return RISK_LIMIT_OK;
}

const char *
risk_limits_strerror(const risk_limits_t *self, risk_limit_err_t err)
{
    assert(self);
    if (err == RISK_LIMIT_HALTED) {
        return !self->equity_known   ? "halted: equity unknown"
               : self->unknown       ? "halted: state unknown"
               : self->executor_down ? "halted: executor_timeout"
               : self->stale         ? "halted: stale_data"
               : self->venue == 1    ? "halted: executor_reconciling"
                                     : "halted: executor_halted";
    }
    if ((int)err < 0 || err >= RISK_LIMIT_ERR_COUNT) {
        return "unknown limit";
    }
    return k_reason[err];
}

risk_state_t
risk_limits_state(const risk_limits_t *self)
{
    assert(self);
    return self->state;
}

const char *
risk_limits_state_name(risk_state_t state)
{
    switch (state) {
    case RISK_RUNNING:
        return "RUNNING";
    case RISK_PAUSED:
        return "PAUSED";
    case RISK_KILLED:
        return "KILLED";
    case RISK_HALTED:
    default:
        return "HALTED";
    }
}

const char *
risk_limits_reason(const risk_limits_t *self)
{
    assert(self);
    if (self->killed) {
        return "kill_switch";
    }
    if (!self->equity_known) {
        return "equity unknown";
    }
    if (self->unknown) {
        return "state unknown";
    }
    if (self->executor_down) {
        return "executor_timeout";
    }
    if (self->stale) {
        return "stale_data";
    }
    if (self->venue != 0) {
        return self->venue == 1 ? "executor_reconciling" : "executor_halted";
    }
    if (self->loss_tripped) {
        return "daily_loss_limit";
    }
    if (self->dd_tripped) {
        return "max_drawdown";
    }
    if (self->minbal_tripped) {
        return "min_balance";
    }
    if (self->paused) {
        return "paused";
    }
    return self->streak_tripped ? "loss_streak" : self->reject_tripped ? "reject_breaker" : "";
}

int64_t
risk_limits_equity(const risk_limits_t *self)
{
    assert(self);
    return self->equity;
}

bool
risk_limits_equity_known(const risk_limits_t *self)
{
    assert(self);
    return self->equity_known;
}

int64_t
risk_limits_daily_pnl(const risk_limits_t *self)
{
    assert(self);
    return self->daily_pnl;
}

int64_t
risk_limits_daily_limit(const risk_limits_t *self)
{
    assert(self);
    return self->daily_limit;
}

int64_t
risk_limits_day(const risk_limits_t *self)
{
    assert(self);
    return self->day;
}

bool
risk_limits_loss_tripped(const risk_limits_t *self)
{
    assert(self);
    return self->loss_tripped;
}

int32_t
risk_limits_trades_today(const risk_limits_t *self)
{
    assert(self);
    return self->trades_today;
}

void
risk_limits_kill(risk_limits_t *self)
{
    assert(self);
    self->killed = true;
    s_update(self);
}

void
risk_limits_clear_kill(risk_limits_t *self)
{
    assert(self);
    self->killed = false;
    s_update(self);
}

bool
risk_limits_killed(const risk_limits_t *self)
{
    assert(self);
    return self->killed;
}

void
risk_limits_set_unknown(risk_limits_t *self, bool unknown)
{
    assert(self);
    self->unknown = unknown;
    s_update(self);
}

void
risk_limits_set_stale(risk_limits_t *self, bool stale)
{
    assert(self);
    self->stale = stale;
    s_update(self);
}

bool
risk_limits_unknown(const risk_limits_t *self)
{
    assert(self);
    return self->unknown;
}

bool
risk_limits_stale(const risk_limits_t *self)
{
    assert(self);
    return self->stale;
}

int
risk_limits_set_executor_venue(risk_limits_t *self, const char *state)
{
    assert(self && state);
    static const char *const k_words[] = { "running", "reconciling", "halted" };
    for (int i = 0; i < 3; i++) {
        if (strcmp(state, k_words[i]) == 0) {
            self->venue = i;
            s_update(self);
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

const char *
risk_limits_executor_venue(const risk_limits_t *self)
{
    assert(self);
    static const char *const k_words[] = { "running", "reconciling", "halted" };
    return k_words[self->venue];
}

/* drop entry times outside (now - 1 h, now] */
static void
s_slide(risk_limits_t *self, int64_t now_ns)
{
    while (self->n_ent > 0 && self->ent[self->head] <= now_ns - RISK_NS_PER_HOUR) {
        self->head = (self->head + 1) % RISK_TRADES_HOUR_MAX;
        self->n_ent--;
    }
}

int
risk_limits_on_entry(risk_limits_t *self, int64_t now_ns)
{
    assert(self);
    s_slide(self, now_ns);
    if (self->n_ent == RISK_TRADES_HOUR_MAX) { /* full ring: forget the oldest */
        self->head = (self->head + 1) % RISK_TRADES_HOUR_MAX;
        self->n_ent--;
    }
    self->ent[(self->head + self->n_ent) % RISK_TRADES_HOUR_MAX] = now_ns;
    self->n_ent++;
    return self->cfg.max_trades_per_hour > 0 && self->n_ent == self->cfg.max_trades_per_hour;
}

int32_t
risk_limits_trades_last_hour(const risk_limits_t *self, int64_t now_ns)
{
    assert(self);
    int32_t n = 0;
    for (int32_t i = 0; i < self->n_ent; i++) {
        int64_t t = self->ent[(self->head + i) % RISK_TRADES_HOUR_MAX];
        if (t > now_ns - RISK_NS_PER_HOUR && t <= now_ns) {
            n++;
        }
    }
    return n;
}

/* drop reject times at or before now - window */
static void
s_rej_slide(risk_limits_t *self, int64_t now_ns)
{
    while (self->n_rej > 0 && self->rej[self->rej_head] <= now_ns - self->cfg.reject_window_ns) {
        self->rej_head = (self->rej_head + 1) % RISK_REJECTS_MAX;
        self->n_rej--;
    }
}

int
risk_limits_on_reject(risk_limits_t *self, int64_t now_ns)
{
    assert(self);
    if (self->cfg.max_rejects <= 0) {
        return 0;
    }
    s_rej_slide(self, now_ns);
    if (self->n_rej == RISK_REJECTS_MAX) { /* full: forget the oldest */
        self->rej_head = (self->rej_head + 1) % RISK_REJECTS_MAX;
        self->n_rej--;
    }
    self->rej[(self->rej_head + self->n_rej) % RISK_REJECTS_MAX] = now_ns;
    self->n_rej++;
    if (!self->reject_tripped && self->n_rej >= self->cfg.max_rejects) {
        self->reject_tripped = true;
        s_update(self);
        return 1;
    }
    return 0;
}

int32_t
risk_limits_rejects_in_window(const risk_limits_t *self, int64_t now_ns)
{
    assert(self);
    int32_t n = 0;
    for (int32_t i = 0; i < self->n_rej; i++) {
        n += self->rej[(self->rej_head + i) % RISK_REJECTS_MAX]
             > now_ns - self->cfg.reject_window_ns;
    }
    return n;
}

bool
risk_limits_reject_tripped(const risk_limits_t *self)
{
    assert(self);
    return self->reject_tripped;
}

int
risk_limits_on_trade_closed(risk_limits_t *self, int64_t pnl)
{
    assert(self);
    if (pnl >= 0) {
        self->loss_streak = 0;
        return 0;
    }
    self->loss_streak++;
    if (self->cfg.max_consecutive_losses > 0 && !self->streak_tripped
        && self->loss_streak >= self->cfg.max_consecutive_losses) {
        self->streak_tripped = true;
        s_update(self);
        return 1;
    }
    return 0;
}

int32_t
risk_limits_loss_streak(const risk_limits_t *self)
{
    assert(self);
    return self->loss_streak;
}

bool
risk_limits_streak_tripped(const risk_limits_t *self)
{
    assert(self);
    return self->streak_tripped;
}

int64_t
risk_limits_equity_peak(const risk_limits_t *self)
{
    assert(self);
    return self->equity_peak;
}

int64_t
risk_limits_drawdown(const risk_limits_t *self)
{
    assert(self);
    return self->equity_peak > self->equity ? self->equity_peak - self->equity : 0;
}

bool
risk_limits_dd_tripped(const risk_limits_t *self)
{
    assert(self);
    return self->dd_tripped;
}

bool
risk_limits_min_balance_tripped(const risk_limits_t *self)
{
    assert(self);
    return self->minbal_tripped;
}

void
risk_limits_save(const risk_limits_t *self, risk_limits_saved_t *out)
{
    assert(self && out);
    memset(out, 0, sizeof *out);
    out->killed = self->killed;
    out->paused = self->paused;
    out->loss_tripped = self->loss_tripped;
    out->dd_tripped = self->dd_tripped;
    out->streak_tripped = self->streak_tripped;
    out->reject_tripped = self->reject_tripped;
    out->equity = self->equity;
    out->equity_peak = self->equity_peak;
    out->day = self->day;
    out->day_start_equity = self->day_start_equity;
    out->daily_pnl = self->daily_pnl;
    out->trades_today = self->trades_today;
    out->loss_streak = self->loss_streak;
    for (int32_t i = 0; i < self->n_ent; i++) {
        out->entry_ns[i] = self->ent[(self->head + i) % RISK_TRADES_HOUR_MAX];
    }
    out->n_entries = self->n_ent;
}

void
risk_limits_restore(risk_limits_t *self, const risk_limits_saved_t *in)
{
    assert(self && in);
    self->killed = in->killed;
    self->paused = in->paused;
    self->loss_tripped = in->loss_tripped;
    self->dd_tripped = in->dd_tripped;
    self->streak_tripped = in->streak_tripped;
    self->reject_tripped = in->reject_tripped;
    if (in->equity > 0) {
        self->equity = in->equity;
    }
    if (in->equity_peak > 0) {
        self->equity_peak = in->equity_peak;
    }
    self->day = in->day;
    if (in->day_start_equity > 0) {
        self->day_start_equity = in->day_start_equity;
        self->daily_limit = s_limit_of(self, in->day_start_equity);
    }
    self->daily_pnl = in->daily_pnl;
    self->trades_today = in->trades_today;
    self->loss_streak = in->loss_streak;
    self->head = 0;
    self->n_ent = 0;
    for (int32_t i = 0; i < in->n_entries && i < RISK_TRADES_HOUR_MAX; i++) {
        self->ent[self->n_ent++] = in->entry_ns[i];
    }
    s_update(self);
}

void
risk_limits_check(const risk_limits_t *self)
{
    assert(self);
    assert(self->state == s_derive(self));
    assert(self->daily_limit > 0);
    assert(self->day_start_equity > 0);
}
