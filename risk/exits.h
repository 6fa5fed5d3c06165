/*  exits.h - stop-loss and take-profit of open positions, checked on every price update.
 *  Owns:  nothing (works on risk_positions_t slots: reads sl/tp, sets the exit latch).
 *  Not:   sending the order (the engine does), signal exits (engine).
 *  Rules (for a slot with qty != 0, no exit latched, fewer than RISK_EXIT_MAX_REJECTS refused
 *  exits; sl_px/tp_px 0 = that level is off):
 *    observed price range [lo, hi] for the position's venue+symbol:
 *      md.trade  lo = hi = trade px
 *      md.book   lo = hi = best bid (long: what a sell would hit) / best ask (short)
 *      md.kline  lo = low, hi = high (closed or not: any price the bar has touched)
 *    long:  lo <= sl -> stop_loss, else hi >= tp -> take_profit
 *    short: hi >= sl -> stop_loss, else lo <= tp -> take_profit
 *  A kline that touched both levels is a stop: the bar does not tell which came first, so we
 *  assume the worse (conservative). An exit fires once: the slot's exit_pending latch is set
 *  here and cleared only when the exit order ends (positions.h) or the position goes flat.
 *  Units: prices are rescaled exactly to the position's px_scale; a price that cannot be
 *  (finer than the position's scale) is rounded against the position (long: down, short: up).
 */
#ifndef TP_RISK_EXITS_H
#define TP_RISK_EXITS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/codec.h"
#include "risk/positions.h"

#define RISK_EXIT_MAX_REJECTS 3 /* refused exits per position before exits stop (alert) */

typedef enum {
    RISK_EXIT_NONE = 0,
    RISK_EXIT_STOP,        /* "stop_loss" */
    RISK_EXIT_TAKE_PROFIT, /* "take_profit" (whole, signal target, or a ladder rung) */
    RISK_EXIT_TRAIL,       /* "trailing_stop" */
    RISK_EXIT_BREAKEVEN,   /* "breakeven" (stop moved to entry, then hit) */
    RISK_EXIT_TIMEOUT,     /* "timeout" */
} risk_exit_t;

#define RISK_TP_RUNGS_MAX 4

/* Exit management (docs/risk.md "Exits"). Percentages at RISK_PCT_SCALE of the entry price;
 * zero = that rule off. Rules, for a long (a short mirrors), on each update range [lo, hi]:
 *   1. timeout: bars >= timeout_bars (closed klines of the symbol) or
 *      evt - open_evt >= timeout_ns -> close all ("timeout")
 *   2. stop = max(sl_px, entry if be_done, trail stop if trail_on); lo <= stop -> close all
 *      (intent of the level that binds: "trailing_stop" > "breakeven" > "stop_loss")
 *   3. hi >= entry * (1 + be_trigger_pct/100) -> be_done;
 *      hi >= entry * (1 + trail_activate_pct/100) -> trail_on; while on, best = max(best, hi),
 *      trail stop = best * (1 - trail_dist_pct/100), floored to the px mantissa (the stop
 *      takes effect from the next update: a bar does not say whether its low came after
 *      its high)
 *   4. take profit: ladder (n_tp > 0): rung k (k = tp_stage) at entry * (1 + tp_pct[k]/100),
 *      or with tp_of_target at entry + tp_pct[k]/100 * (tp_px - entry) (a share of the
 *      distance to the signal's target: 50 = half-way, 100 = the target, 200 = twice as far;
 *      no target: no rung fires), rounded toward the entry; closes
 *      floor_step(open_qty * tp_close_pct[k] / 100); when the close percentages sum to 100 the
 *      last rung closes the rest, when they sum to less the rest stays open after the last
 *      rung (the stop, breakeven, trailing and time-out manage it: "the rest trails");
 *      no ladder: hi >= tp_px (the signal's target) closes all. */
typedef struct {
    int n_tp;
    int64_t tp_pct[RISK_TP_RUNGS_MAX];
    int64_t tp_close_pct[RISK_TP_RUNGS_MAX]; /* sum <= 100 % */
    bool tp_of_target; /* tp_pct is a share of the distance to the signal's target */
    int64_t trail_activate_pct, trail_dist_pct;
    int64_t be_trigger_pct;
    int64_t timeout_bars;
    int64_t timeout_ns;
} risk_exits_cfg_t;

/* What to send: a reduce-only market order closing the whole position. */
typedef struct {
    risk_position_t *pos; /* the slot (borrowed; exit_pending already set) */
    risk_exit_t kind;
    const char *intent; /* "stop_loss" | "take_profit" (static) */
    int8_t side;        /* opposite of the position */
    int64_t qty;        /* |position qty|, qty_scale */
    int64_t trigger_px; /* the observed price that crossed, position px_scale */
    int rung;           /* ladder rung fired (take_profit with a ladder), else -1 */
} risk_exit_order_t;

/* Full rules with cfg (NULL = only the slot's sl_px/tp_px, as risk_exits_check). `evt` event
 * time of the update, `bar_closed` the update is a closed kline of the symbol (counts a bar).
 * Returns 1 (fills *out, latches the slot) or 0. */
int risk_exits_eval(const risk_exits_cfg_t *cfg, risk_position_t *p, int64_t lo, int64_t hi,
                    int64_t evt, bool bar_closed, risk_exit_order_t *out);
int risk_exits_on_trade_cfg(const risk_exits_cfg_t *cfg, risk_positions_t *pos,
                            const codec_md_trade_t *t, int64_t evt, risk_exit_order_t *out);
int risk_exits_on_book_cfg(const risk_exits_cfg_t *cfg, risk_positions_t *pos,
                           const codec_md_book_t *b, int64_t evt, risk_exit_order_t *out);
int risk_exits_on_kline_cfg(const risk_exits_cfg_t *cfg, risk_positions_t *pos,
                            const codec_md_kline_t *k, int64_t evt, risk_exit_order_t *out);

/* Pure rule: does range [lo, hi] (position px_scale) cross the slot's stop or target? */
risk_exit_t risk_exits_check(const risk_position_t *p, int64_t lo, int64_t hi);

/* Check the position of the update's venue+symbol. Returns 1 and fills *out (and latches the
 * slot) when an exit must fire, 0 when not (no position, latched, no level crossed, empty
 * book side, scale out of range). */
int risk_exits_on_trade(risk_positions_t *pos, const codec_md_trade_t *t, risk_exit_order_t *out);
int risk_exits_on_book(risk_positions_t *pos, const codec_md_book_t *b, risk_exit_order_t *out);
int risk_exits_on_kline(risk_positions_t *pos, const codec_md_kline_t *k, risk_exit_order_t *out);

const char *risk_exits_intent(risk_exit_t kind); /* "stop_loss", "take_profit", ..., "" */

/* The stop in force for slot p under cfg (rule 2 above): max(sl_px, entry if be_done, trailing
 * stop if trail_on) for a long, min for a short; 0 = none. What the venue-held stop follows
 * (docs/risk.md "Venue-held stop"). */
int64_t risk_exits_stop(const risk_exits_cfg_t *cfg, const risk_position_t *p);

#endif /* TP_RISK_EXITS_H */
