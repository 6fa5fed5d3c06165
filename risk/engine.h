/*  engine.h - risk's decisions: signals to entries and exits, stops and targets on every
 *  price, limits and state, from the step-ordered messages of feed, signal and executor.
 *  Owns:  the instrument table, positions (risk/positions), limits (risk/limits), the client
 *         id generator, counters, the last published state.
 *  Not:   sockets: it publishes and sends orders through the callbacks in risk_io_t, so the
 *         same engine runs in the stage, in tests, and (later) in a backtest harness.
 *  Signal rules (sig.signal, side +1 buy / -1 sell):
 *    +1 flat -> long entry    -1 flat -> short entry (refused on a "spot" instrument)
 *    -1 long -> exit long     +1 short -> exit short   (intent "exit", reduce-only, whole qty)
 *    same side as the position -> refused "position open"
 *  An entry needs: confidence >= min_confidence, limits OK (limits.h), a known instrument, a
 *  stop on the right side of ref_px, sizing OK (sizing.h). Exits are never refused by limits.
 *  Orders: market, reduce_only for exits, qty on the step, sl/tp attached to entries,
 *  ts_event = the triggering message's evt, ttl_ns from cfg. Sent synchronously through
 *  io->send_order (so every order of a step is acknowledged before the step's barrier):
 *    accepted -> risk.order; refused -> risk.reject (executor's reason);
 *    no answer -> risk.alert "executor_timeout", state HALTED until "resume".
 *  Reject breaker (limits.h risk_limits_on_reject): every order the executor refuses and every
 *  exec.order "Rejected" of an order it had accepted counts; at max_rejects within the window
 *  risk.alert error "reject_breaker" and PAUSED until resume. Early warnings (warn_pct,
 *  winrate_n): risk.alert warn once per episode, evaluated with every state evaluation.
 *  Publishes risk.state the first time and whenever state, reason or open count changes.
 *  Time: only envelope event times; never a clock.
 */
#ifndef TP_RISK_ENGINE_H
#define TP_RISK_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/bus.h"
#include "common/codec.h"
#include "common/instr.h"
#include <jansson.h>

#include "risk/exits.h"
#include "risk/limits.h"
#include "risk/positions.h"
#include "risk/sizing.h"

typedef struct {
    risk_sizing_cfg_t sizing;
    risk_limits_cfg_t limits;
    double min_confidence; /* 0..100, compared with sig.signal confidence */
    int64_t order_ttl_ns;  /* > 0; 0 = never expires */
    char asset[12];        /* account asset: exec.balance of other assets is ignored */
    /* extensions (docs/risk.md); zero = off */
    risk_scale_cfg_t scale;     /* size multipliers (confidence, volatility, session) */
    risk_exits_cfg_t exits;     /* ladder, trailing, breakeven, time-out */
    int sl_mode;                /* RISK_SL_SIGNAL (the signal's price), RISK_SL_PCT, RISK_SL_ATR */
    int64_t sl_pct;             /* RISK_PCT_SCALE of ref_px, mode PCT */
    int64_t sl_atr_mult;        /* RISK_MULT_SCALE x ATR, mode ATR (no ATR known: signal's stop) */
    int64_t max_open_per_asset; /* positions + entries in flight per base asset */
    int n_priority;             /* asset priority list, first = highest */
    char priority[8][12];       /* base assets, "BTC" */
    double priority_confidence; /* lower-priority entry allowed when higher ones are open
                                   only if its signal confidence > this (0..100) */
    int64_t max_heat_pct;       /* RISK_PCT_SCALE: sum of open risk <= equity * pct / 100 */
    int64_t stale_ns;           /* market data older than this on a symbol with a position
                                   or an entry in flight halts entries, event time ns */
    /* issue 17 early warnings (docs/risk.md "Issue 17 rules"); zero = off */
    int64_t warn_pct;        /* RISK_PCT_SCALE: risk.alert warn when a limit is this much used
                                (daily loss, drawdown, trades per hour, heat), (0, 100 %] */
    int64_t winrate_n;       /* round trips in the win-rate window, <= RISK_WINRATE_MAX */
    int64_t winrate_min_pct; /* RISK_PCT_SCALE: warn when wins / winrate_n is below it */
    int64_t critical_close_ns;  /* close on a critical error (0 = off): the executor's venue
                                   not "running" for longer than this, or no price update of
                                   a symbol with a position for longer than this -> that
                                   position (all, for the venue) is closed reduce-only,
                                   intent "critical" (docs/risk.md "Close on a critical
                                   error"); event time ns */
} risk_engine_cfg_t;

#define RISK_WINRATE_MAX 1000 /* winrate_n upper bound */

#define RISK_SL_SIGNAL 0
#define RISK_SL_PCT    1
#define RISK_SL_ATR    2

typedef struct {
    /* Publish on risk's PUB. 0 or -1 (the engine logs and goes on). */
    int (*publish)(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
                   int64_t origin);
    /* Send an order request and wait for its ack: 0 with *ack filled, or -1 with errno
     * ETIMEDOUT / EPROTO (no usable answer after all retries). */
    int (*send_order)(void *arg, const codec_risk_order_t *ord, int64_t evt, int64_t origin,
                      codec_order_ack_t *ack);
    /* Optional (NULL = none): cancel every working order on the executor's venue (resting
     * limits, conditionals, orders not yet handed to the venue), called by the kill switch
     * before it sends its closes. Returns how many were cancelled (a live venue answers
     * asynchronously: 0 with the request sent), or -1 with errno (no usable answer). */
    int (*cancel_all)(void *arg);
    void *arg;
} risk_io_t;

typedef struct {
    int64_t signals; /* sig.signal handled */
    int64_t orders;  /* order requests made (entries and exits) */
    int64_t rejects; /* risk.reject published (ours and the executor's) */
    int64_t exits;   /* exit orders accepted (stop, target, signal exit) */
    int64_t alerts;  /* risk.alert published */
    int64_t bad;     /* undecodable or invalid messages skipped */
} risk_counters_t;

typedef struct risk_engine risk_engine_t;

/* cfg and io are copied. NULL with errno EINVAL (bad cfg) or ENOMEM. */
risk_engine_t *risk_engine_new(const risk_engine_cfg_t *cfg, const risk_io_t *io);
void risk_engine_destroy(risk_engine_t **self_p);

/* New settings while running (`ctl reload`, docs/config.md says which keys): the same checks
 * as risk_engine_new; cfg is copied except `asset` and limits.start_equity, which need a
 * restart and are kept. From the next message on: sizing and its scale multipliers, stops
 * and min_confidence apply to the next entry, order_ttl to the next order; limits take
 * effect at once (risk_limits_reconfigure: a tightened limit may halt now, published as
 * risk.state); stale_s from the next evaluation (0 ends a stale halt). Exits: open positions
 * take the new exit settings from their next price update, keeping their progress (ladder
 * rungs sent, breakeven, trailing best price) - exactly what a restart with the new file
 * does, since the state file keeps the progress but not the settings; their stop and target
 * prices from the opening signal stay. Marks the state dirty (the stage writes the file).
 * 0, or -1/EINVAL (bad cfg; nothing changed). */
int risk_engine_reconfigure(risk_engine_t *self, const risk_engine_cfg_t *cfg);
/* The settings in use (borrowed, valid until the next reconfigure or destroy). */
const risk_engine_cfg_t *risk_engine_cfg(const risk_engine_t *self);

/* Add or replace an instrument's rules (config preload; md.instrument does the same).
 * 0 or -1/ENOSPC. */
int risk_engine_add_instrument(risk_engine_t *self, const instr_t *in);

/* Handle one delivered message (decodes by msg->type; types risk does not use are ignored;
 * malformed ones are counted in bad and logged rate-limited). */
void risk_engine_on_msg(risk_engine_t *self, const bus_msg_t *msg);

/* risk_engine_on_msg with the body already decoded: `body` (borrowed; the codec_body_t
 * member of msg->type) and msg->env stand for what decoding msg->data would give, which may
 * then be empty; NULL decodes msg->data as risk_engine_on_msg does. For an in-process
 * transport (tools/backtest) that hands decoded structs between engines. */
void risk_engine_on_body(risk_engine_t *self, const bus_msg_t *msg, const codec_body_t *body);

/* Typed entry points (on_msg calls these; tests call them directly). env gives evt/origin. */
void risk_engine_on_signal(risk_engine_t *self, const codec_env_t *env,
                           const codec_sig_signal_t *s);
void risk_engine_on_instrument(risk_engine_t *self, const codec_env_t *env,
                               const codec_md_instrument_t *in);
void risk_engine_on_trade(risk_engine_t *self, const codec_env_t *env, const codec_md_trade_t *t);
void risk_engine_on_book(risk_engine_t *self, const codec_env_t *env, const codec_md_book_t *b);
void risk_engine_on_kline(risk_engine_t *self, const codec_env_t *env, const codec_md_kline_t *k);
void risk_engine_on_exec_position(risk_engine_t *self, const codec_env_t *env,
                                  const codec_exec_position_t *p);
void risk_engine_on_exec_order(risk_engine_t *self, const codec_env_t *env,
                               const codec_exec_order_t *o);
void risk_engine_on_exec_fill(risk_engine_t *self, const codec_env_t *env,
                              const codec_exec_fill_t *f);
void risk_engine_on_exec_balance(risk_engine_t *self, const codec_env_t *env,
                                 const codec_exec_balance_t *b);
void risk_engine_on_ind(risk_engine_t *self, const codec_env_t *env, const codec_sig_ind_t *ind);
/* exec.status.<venue> (md.status body): the executor's venue state; entries halt while it is
 * not "running" (risk_limits_set_executor_venue), with a risk.alert on each change. Does not
 * advance event time (it is not market data). Unknown state words are counted as bad. */
void risk_engine_on_exec_status(risk_engine_t *self, const codec_env_t *env,
                                const codec_md_status_t *st);
/* Live mode only: the time is now `now_ns` even if no message says so (main.c calls it once a
 * second with the wall clock; replay never calls it, so replays stay deterministic). Advances
 * the engine's clock (never backwards) and evaluates what depends on time alone: stale market
 * data when every feed went silent, a new UTC day. */
void risk_engine_on_time(risk_engine_t *self, int64_t now_ns);

/* Operator control: pause entries / resume (clears pause and the executor-timeout latch).
 * Publishes risk.state at the latest event time seen. resume returns 0, or -1 with errno
 * EPERM while the kill switch is latched: nothing changes then (a person ends a kill with
 * risk_engine_clear_kill, never with resume). */
void risk_engine_pause(risk_engine_t *self);
int risk_engine_resume(risk_engine_t *self);
/* Kill switch: latch KILLED (entries refused), cancel every working order on the venue
 * (io->cancel_all, first: so that the kill's own closes are not among them), close every open
 * position with a reduce-only market order (intent "kill"), and keep closing any position that
 * appears while latched (an entry whose fill raced the cancel). Alert "kill_switch" (its text
 * says what the cancel did). clear_kill ends the latch (a person). */
void risk_engine_kill(risk_engine_t *self, const char *why);
void risk_engine_clear_kill(risk_engine_t *self);

/* Operator flatten (ctl / gateway "flatten [SYMBOL]"): close every open position of `symbol`
 * (any venue; NULL or "" = every symbol) that has no exit in flight, with a reduce-only
 * market order (intent "flatten") through the executor as every exit goes: never around risk.
 * Unlike kill nothing is latched and no resting order is cancelled: the strategies may enter
 * again (pause first to stop that). Alert "flatten" (warn) naming what was closed. Returns
 * the number of closes sent (0: nothing open there). */
int risk_engine_flatten(risk_engine_t *self, const char *symbol);
/* Halt (HALTED "state unknown") until risk_engine_set_unknown(false): restart rebuild. */
void risk_engine_set_unknown(risk_engine_t *self, bool unknown);
/* Equity from the executor's status on restart (VALUE scale). */
void risk_engine_set_equity(risk_engine_t *self, int64_t equity);

/* Persistent state (kill latch, limits, positions with their exit state) as JSON (new
 * reference), and back. restore: 0, or -1/EPROTO (bad document; nothing changed). */
json_t *risk_engine_save(const risk_engine_t *self);
int risk_engine_restore(risk_engine_t *self, const json_t *doc);
/* True once after anything persistent changed (the stage writes the state file then). */
bool risk_engine_take_dirty(risk_engine_t *self);

/* Number of open positions (qty != 0). */
size_t risk_engine_open_positions(risk_engine_t *self);

const risk_counters_t *risk_engine_counters(const risk_engine_t *self);
const risk_limits_t *risk_engine_limits(const risk_engine_t *self);
risk_positions_t *risk_engine_positions(risk_engine_t *self);
int64_t risk_engine_now(const risk_engine_t *self); /* latest event time seen, ns */

#endif /* TP_RISK_ENGINE_H */
