/*  limits.c - account state and entry limits (contract in limits.h).
 *  The state word is derived from the causes every time (s_derive), so it cannot drift from
 *  them: invariant (1) holds by construction and risk_limits_check re-derives to prove it.
 */
#include "risk/limits.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

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
};

static const char *const k_reason[RISK_LIMIT_ERR_COUNT] = {
    [RISK_LIMIT_OK] = "ok",
    [RISK_LIMIT_HALTED] = "halted",
    [RISK_LIMIT_PAUSED] = "paused",
    [RISK_LIMIT_DAILY_LOSS] = "daily_loss_limit",
    [RISK_LIMIT_MAX_OPEN] = "max_open_positions",
    [RISK_LIMIT_POSITION_OPEN] = "position open",
    [RISK_LIMIT_ENTRY_PENDING] = "entry pending",
};

static risk_state_t
s_derive(const risk_limits_t *self)
{
    if (!self->equity_known || self->executor_down || self->loss_tripped) {
        return RISK_HALTED;
    }
    return self->paused ? RISK_PAUSED : RISK_RUNNING;
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

risk_limits_t *
risk_limits_new(const risk_limits_cfg_t *cfg)
{
    assert(cfg);
    if (cfg->max_open_positions < 1 || cfg->daily_loss_limit_pct <= 0
        || cfg->daily_loss_limit_pct > 100 * money_pow10(RISK_PCT_SCALE)
        || cfg->start_equity <= 0) {
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
    s_update(self);
    return self;
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
    if (!self->equity_known || self->executor_down) {
        return RISK_LIMIT_HALTED;
    }
    if (self->loss_tripped) {
        return RISK_LIMIT_DAILY_LOSS;
    }
    if (self->paused) {
        return RISK_LIMIT_PAUSED;
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
    return RISK_LIMIT_OK;
}

const char *
risk_limits_strerror(const risk_limits_t *self, risk_limit_err_t err)
{
    assert(self);
    if (err == RISK_LIMIT_HALTED) {
        return self->executor_down ? "halted: executor_timeout" : "halted: equity unknown";
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
    case RISK_HALTED:
    default:
        return "HALTED";
    }
}

const char *
risk_limits_reason(const risk_limits_t *self)
{
    assert(self);
    if (!self->equity_known) {
        return "equity unknown";
    }
    if (self->executor_down) {
        return "executor_timeout";
    }
    if (self->loss_tripped) {
        return "daily_loss_limit";
    }
    return self->paused ? "paused" : "";
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
risk_limits_check(const risk_limits_t *self)
{
    assert(self);
    assert(self->state == s_derive(self));
    assert(self->daily_limit > 0);
    assert(self->day_start_equity > 0);
}
