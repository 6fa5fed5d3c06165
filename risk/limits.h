/*  limits.h - may a new entry be opened? The account-wide state and limits of risk.
 *  Owns:  the state (HALTED / RUNNING / PAUSED) and its causes, the equity (VALUE scale), the
 *         UTC day of event time and that day's realised PnL and start equity.
 *  Not:   positions (risk/positions), sizing, exits: exits are never refused here.
 *  State: HALTED while any halt cause holds: equity unknown (no exec.balance yet), executor
 *         did not answer (latched until risk_limits_resume), daily loss limit hit (until the
 *         next UTC day of event time). Else PAUSED while the operator paused (or a loss streak
 *         or the reject breaker holds). Else RUNNING.
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

typedef enum { RISK_HALTED = 0, RISK_RUNNING, RISK_PAUSED, RISK_KILLED } risk_state_t;

#define RISK_NS_PER_HOUR     INT64_C(3600000000000)
#define RISK_TRADES_HOUR_MAX 1000 /* max_trades_per_hour upper bound (ring of entry times) */

typedef enum {
    RISK_LIMIT_OK = 0,
    RISK_LIMIT_HALTED,        /* equity unknown or executor timeout: "halted: <cause>" */
    RISK_LIMIT_PAUSED,        /* operator pause: "paused" */
    RISK_LIMIT_DAILY_LOSS,    /* "daily_loss_limit" */
    RISK_LIMIT_MAX_OPEN,      /* "max_open_positions" */
    RISK_LIMIT_POSITION_OPEN, /* this venue+symbol already has a position: "position open" */
    RISK_LIMIT_ENTRY_PENDING, /* an entry for it is in flight: "entry pending" */
    RISK_LIMIT_KILLED,        /* kill switch latched: "kill_switch" */
    RISK_LIMIT_DRAWDOWN,      /* "max_drawdown" */
    RISK_LIMIT_MIN_BALANCE,   /* "min_balance" */
    RISK_LIMIT_LOSS_STREAK,   /* "loss_streak" */
    RISK_LIMIT_TRADES_HOUR,   /* "max_trades_per_hour" */
    RISK_LIMIT_REJECTS,       /* "reject_breaker" */
    RISK_LIMIT_ERR_COUNT
} risk_limit_err_t;

typedef struct {
    int64_t max_open_positions;   /* >= 1 */
    int64_t daily_loss_limit_pct; /* RISK_PCT_SCALE, (0, 100 %] */
    int64_t start_equity;         /* VALUE scale: equity until the first exec.balance */
    /* breakers (0 = off) */
    int64_t max_drawdown_pct;       /* RISK_PCT_SCALE: (peak - equity) >= peak * pct / 100 */
    int64_t max_trades_per_hour;    /* entries in the last hour of event time, <= 1000 */
    int64_t max_consecutive_losses; /* closed trades with net PnL < 0 in a row */
    int64_t min_balance;            /* VALUE scale: equity < min_balance halts */
    int64_t max_rejects;            /* refused orders / venue rejects in reject_window_ns that
                                       pause entries (0 = off), <= RISK_REJECTS_MAX */
    int64_t reject_window_ns;       /* > 0 when max_rejects > 0, event time ns */
} risk_limits_cfg_t;

#define RISK_REJECTS_MAX 1000 /* max_rejects upper bound (ring of reject times) */

/* What survives a restart (risk/persist writes it to the state file). */
typedef struct {
    bool killed, paused, loss_tripped, dd_tripped, streak_tripped, reject_tripped;
    int64_t equity, equity_peak, day, day_start_equity, daily_pnl;
    int32_t trades_today, loss_streak;
    int32_t n_entries; /* entry times of the last hour, oldest first */
    int64_t entry_ns[RISK_TRADES_HOUR_MAX];
} risk_limits_saved_t;

typedef struct risk_limits risk_limits_t;

/* New limits, state HALTED ("equity unknown"). NULL with errno EINVAL (bad cfg) or ENOMEM. */
risk_limits_t *risk_limits_new(const risk_limits_cfg_t *cfg);
void risk_limits_destroy(risk_limits_t **self_p);

/* New limits while running (`ctl reload`): the same checks as risk_limits_new; start_equity
 * is kept (it only matters before the first exec.balance: restart-only). Takes effect at
 * once: the daily limit is recomputed from the day's start equity, and a limit made tighter
 * trips now if already exceeded (daily loss, drawdown, min balance, loss streak). A limit
 * loosened or switched off does not end a latched trip (daily loss: the next UTC day;
 * drawdown, loss streak: resume or the day, as before); min balance is no latch and follows
 * the equity. 0, or -1/EINVAL (bad cfg; nothing changed). */
int risk_limits_reconfigure(risk_limits_t *self, const risk_limits_cfg_t *cfg);

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
/* Ends an operator pause, the executor-timeout latch, a loss-streak pause and a drawdown trip
 * (the peak restarts at the current equity); not equity unknown, not daily loss, not kill. */
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

/* ---- breakers (docs/risk.md) ----
 * Kill switch: KILLED (above every other state) until risk_limits_clear_kill (a person).
 * Drawdown: equity_peak = highest equity seen; trips (HALTED "max_drawdown") when
 *   peak - equity >= peak * max_drawdown_pct / 100; clears by recovery when
 *   peak - equity <= peak * max_drawdown_pct / 200 (half the limit), or by resume (a person;
 *   the peak is reset to the current equity then).
 * Min balance: HALTED "min_balance" while equity < min_balance (clears when it is back).
 * Loss streak: risk_limits_on_trade_closed counts closed trades with net PnL < 0 in a row; at
 *   max_consecutive_losses, PAUSED "loss_streak" until the next UTC day or resume.
 * Trades per hour: entries recorded with risk_limits_on_entry; an entry is refused while the
 *   last hour of event time (now - 1 h, now] already holds max_trades_per_hour of them;
 *   clears by itself as the hour slides.
 * State unknown / stale data: flags set by the engine (HALTED "state unknown" /
 *   "stale_data"), cleared by the engine when it knows again / data flows again.
 * Executor venue not running: set from exec.status (HALTED "executor_reconciling" /
 *   "executor_halted"), cleared when it says "running". */
void risk_limits_kill(risk_limits_t *self);
void risk_limits_clear_kill(risk_limits_t *self);
bool risk_limits_killed(const risk_limits_t *self);
void risk_limits_set_unknown(risk_limits_t *self, bool unknown);
bool risk_limits_unknown(const risk_limits_t *self);
void risk_limits_set_stale(risk_limits_t *self, bool stale);
bool risk_limits_stale(const risk_limits_t *self);
/* The executor's venue as its exec.status.<venue> says (docs/executor.md "Reconciliation"):
 * "running" clears, "reconciling" / "halted" halt entries (HALTED "executor_reconciling" /
 * "executor_halted") until it says "running" again: after a start or any doubt the executor
 * compares its orders and positions with the venue's, and risk opens nothing meanwhile; exits
 * still go out. 0, or -1/EINVAL for another word (ignored). Not persisted: the executor
 * repeats a non-running state every 5 s, and a restarted risk is HALTED until the executor
 * agrees anyway. */
int risk_limits_set_executor_venue(risk_limits_t *self, const char *state);
const char *risk_limits_executor_venue(const risk_limits_t *self); /* "running" | ... */
/* Record an entry sent at now_ns. Returns 1 if that filled the hour (alert), else 0. */
int risk_limits_on_entry(risk_limits_t *self, int64_t now_ns);
int32_t risk_limits_trades_last_hour(const risk_limits_t *self, int64_t now_ns);
/* Reject breaker ("pause trading on errors", issue 17): an order the executor refused or the
 * venue rejected, at now_ns. The rejects of (now - reject_window, now] are counted; when they
 * reach max_rejects the breaker latches PAUSED "reject_breaker" until risk_limits_resume (a
 * person; not the UTC day; survives a restart). Returns 1 if this reject tripped it, else 0
 * (also when off). */
int risk_limits_on_reject(risk_limits_t *self, int64_t now_ns);
int32_t risk_limits_rejects_in_window(const risk_limits_t *self, int64_t now_ns);
bool risk_limits_reject_tripped(const risk_limits_t *self);

/* A trade (position open -> flat) closed with net PnL `pnl` (VALUE). 1 if the streak
 * tripped now, else 0. */
int risk_limits_on_trade_closed(risk_limits_t *self, int64_t pnl);
int32_t risk_limits_loss_streak(const risk_limits_t *self);
bool risk_limits_streak_tripped(const risk_limits_t *self);
int64_t risk_limits_equity_peak(const risk_limits_t *self);
int64_t risk_limits_drawdown(const risk_limits_t *self); /* peak - equity, VALUE, >= 0 */
bool risk_limits_dd_tripped(const risk_limits_t *self);
bool risk_limits_min_balance_tripped(const risk_limits_t *self);

void risk_limits_save(const risk_limits_t *self, risk_limits_saved_t *out);
/* Restore what was saved (equity stays unknown until the executor tells it). */
void risk_limits_restore(risk_limits_t *self, const risk_limits_saved_t *in);

void risk_limits_check(const risk_limits_t *self); /* asserts (1)-(2) */

#endif /* TP_RISK_LIMITS_H */
