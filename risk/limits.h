/*  limits.h - may a new entry be opened? The account-wide state and limits of risk.
 *  Owns:  the state (HALTED / RUNNING / PAUSED) and its causes, the equity (VALUE scale), the
 *         UTC day of event time and that day's realised PnL and start equity.
 *  Not:   positions (risk/positions), sizing, exits: exits are never refused here.
 *  State: HALTED while any halt cause holds: equity unknown (no exec.balance yet), executor
 *         did not answer (latched until risk_limits_resume), daily loss limit hit (until the
 *         next UTC day of event time). Else PAUSED while the operator paused. Else RUNNING.
 *         Entries need RUNNING; exits are always allowed.
 *  Daily loss: day = floor(event ns / 86400 s) (UTC days: the Unix epoch is midnight UTC and
 *         has no leap seconds). daily_pnl = sum over that day's exec.fill of
 *         realized_pnl - fee. Tripped when daily_pnl <= -(day_start_equity * pct / 100), i.e.
 *         the fill that makes the loss reach the limit exactly trips it. day_start_equity is
 *         the equity when the day's first event arrived.
 *  Time:  only event time passed in (now_ns); never a clock. Time never runs backwards here:
 *         an older event does not roll the day back.
 *  Units: amounts at MONEY_VALUE_SCALE (8), percentages at RISK_PCT_SCALE (4), times ns.
 *  Invariants, asserted by risk_limits_check():
 *    (1) the state word agrees with the causes (halt causes > paused > running)
 *    (2) daily_limit > 0 and day_start_equity > 0 (a trip, once made, holds for the rest of
 *        the day even if later profit lifts daily_pnl back above -daily_limit)
 */
#ifndef TP_RISK_LIMITS_H
#define TP_RISK_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RISK_NS_PER_DAY INT64_C(86400000000000)

typedef enum { RISK_HALTED = 0, RISK_RUNNING, RISK_PAUSED } risk_state_t;

typedef enum {
    RISK_LIMIT_OK = 0,
    RISK_LIMIT_HALTED,        /* equity unknown or executor timeout: "halted: <cause>" */
    RISK_LIMIT_PAUSED,        /* operator pause: "paused" */
    RISK_LIMIT_DAILY_LOSS,    /* "daily_loss_limit" */
    RISK_LIMIT_MAX_OPEN,      /* "max_open_positions" */
    RISK_LIMIT_POSITION_OPEN, /* this venue+symbol already has a position: "position open" */
    RISK_LIMIT_ENTRY_PENDING, /* an entry for it is in flight: "entry pending" */
    RISK_LIMIT_ERR_COUNT
} risk_limit_err_t;

typedef struct {
    int64_t max_open_positions;   /* >= 1 */
    int64_t daily_loss_limit_pct; /* RISK_PCT_SCALE, (0, 100 %] */
    int64_t start_equity;         /* VALUE scale: equity until the first exec.balance */
} risk_limits_cfg_t;

typedef struct risk_limits risk_limits_t;

/* New limits, state HALTED ("equity unknown"). NULL with errno EINVAL (bad cfg) or ENOMEM. */
risk_limits_t *risk_limits_new(const risk_limits_cfg_t *cfg);
void risk_limits_destroy(risk_limits_t **self_p);

/* Event time advanced to now_ns: rolls the UTC day (daily_pnl = 0, day start equity = current
 * equity, a daily-loss trip clears). Returns true if a trip was cleared by the roll. */
bool risk_limits_on_time(risk_limits_t *self, int64_t now_ns);

/* exec.fill at event time evt_ns: adds realized_pnl - fee (VALUE scale) to the daily PnL when
 * the fill belongs to the current day (a late fill of an earlier day is not counted; a fill
 * of a later day rolls first). Returns 1 if this fill tripped the daily loss limit, 0 if not,
 * -1/ERANGE on overflow (PnL unchanged). */
int risk_limits_on_fill(risk_limits_t *self, int64_t evt_ns, int64_t realized_pnl, int64_t fee);

/* Equity from exec.balance (VALUE scale, > 0): known from now on, ends "equity unknown".
 * 0, or -1/EINVAL if equity <= 0 (ignored). */
int risk_limits_set_equity(risk_limits_t *self, int64_t equity);

void risk_limits_pause(risk_limits_t *self);
/* Ends an operator pause and the executor-timeout latch; not equity unknown, not daily loss. */
void risk_limits_resume(risk_limits_t *self);
void risk_limits_executor_timeout(risk_limits_t *self); /* latch HALTED "executor_timeout" */

/* May an entry open now? `n_open` = positions held or entries in flight (all symbols);
 * `symbol_open` / `symbol_pending` for the signal's venue+symbol. Checks, in order: halted,
 * daily loss, paused, position open, entry pending, max open. */
risk_limit_err_t risk_limits_check_entry(const risk_limits_t *self, size_t n_open, bool symbol_open,
                                         bool symbol_pending);
/* Reject reason text ("paused", "daily_loss_limit", "halted: executor_timeout", ...).
 * Borrowed: static, or owned by self until the next call on it. */
const char *risk_limits_strerror(const risk_limits_t *self, risk_limit_err_t err);

risk_state_t risk_limits_state(const risk_limits_t *self);
const char *risk_limits_state_name(risk_state_t state); /* "HALTED", "RUNNING", "PAUSED" */
/* Why the state is what it is: "equity unknown", "executor_timeout", "daily_loss_limit",
 * "paused", "" when RUNNING. Static string. */
const char *risk_limits_reason(const risk_limits_t *self);

int64_t risk_limits_equity(const risk_limits_t *self); /* VALUE scale */
bool risk_limits_equity_known(const risk_limits_t *self);
int64_t risk_limits_daily_pnl(const risk_limits_t *self);   /* VALUE scale */
int64_t risk_limits_daily_limit(const risk_limits_t *self); /* VALUE scale, > 0 */
int64_t risk_limits_day(const risk_limits_t *self);         /* days since epoch; -1 = none */
bool risk_limits_loss_tripped(const risk_limits_t *self);
int32_t risk_limits_trades_today(const risk_limits_t *self); /* fills counted today */

void risk_limits_check(const risk_limits_t *self); /* asserts (1)-(2) */

#endif /* TP_RISK_LIMITS_H */
