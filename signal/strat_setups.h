/*  strat_setups.h - strategy type "setups": resistance-rejection and support-breakdown setups
 *  with a life cycle FORMING -> ACTIVE -> TRIGGERED | INVALIDATED, each change published.
 *  Owns:  per instance an indicator set (RSI14, VOL_MA20, MACD), a context (swing levels of the
 *         series), one live setup per kind and the life-cycle events of the last bar.
 *  Not:   bars, sizing, publishing (engine.c publishes the events as sig.setup).
 *  Rules (docs/signal.md "Strategy setups"), per closed bar after the indicators and levels
 *  are updated; z = zone_bp / 1e4, t = tol_bp / 1e4; a live level needs strength >=
 *  min_level_strength. PRECONDITION signals: rsi_ob (RSI >= rsi_high), rsi_os (RSI <= rsi_low),
 *  vol_spike (volume >= spike_k * vol_ma), vol_decline (volume < vol_ma), macd_div (bearish: a
 *  higher high than the setup's first bar with a lower MACD histogram). TRIGGER signals:
 *  rejection wick (upper wick >= wick_ratio * range and close < open), price in entry zone.
 *   Resistance rejection (SELL), level R, entry zone [R*(1-z), R]:
 *     FORMING     high >= R*(1-z) and close <= R (price reaches the zone, not through)
 *     ACTIVE      from FORMING, on the first bar (the forming one included) with a
 *                 precondition: rsi_ob or vol_spike or macd_div
 *     TRIGGERED   from ACTIVE, a bar with a rejection wick whose high is in the entry zone or
 *                 above, closing inside or below it (close <= R) -> SELL signal
 *     INVALIDATED a close > R*(1+t) (through), or max_bars bars without a trigger
 *   Support breakdown (SELL), level S, entry (retest) zone [S*(1-z), S]:
 *     FORMING     low <= S*(1+z) and close >= S (price sits on the support)
 *     ACTIVE      a close < S*(1-t) (the breakdown) with vol_spike, RSI below 50 or rsi_os
 *                 (momentum down: an oversold RSI on the breakdown bar confirms it); the
 *                 preconditions that held (vol_spike, rsi_lt50, rsi_os) each count
 *     TRIGGERED   from ACTIVE, a retest: high >= S*(1-z) (back into the zone), close < S and
 *                 vol_decline or a rejection wick -> SELL signal
 *     INVALIDATED from ACTIVE a close > S*(1+t) (failed breakdown); from FORMING a close >
 *                 S*(1+2z) (left the support); either after max_bars bars
 *   Prices (integers at the bar's px_scale, tick = su_tick(instr, px_scale)): zone_lo =
 *   R*(1-z) (or S*(1-z)) to the px unit (half-even) then DOWN to the tick, zone_hi = the level
 *   to the px unit then UP to the tick; ref = the close on TRIGGERED, else the zone's middle
 *   zone_lo + floor((zone_hi - zone_lo) / (2 tick)) * tick; sl = level*(1+stop_bp/1e4) to the
 *   px unit then UP to the tick; risk = sl - ref; tpk = ref - ceil(tpk_rr * risk) DOWN to the
 *   tick (k = 1, 2). risk <= 0 (a close at/above the stop): no levels (0) and no signal.
 *   Signal (TRIGGERED only): ref, sl, tp = tp1; reason "setup <kind> L=<level> TRIGGERED
 *   [signals] tp2=<tp2>"; confidence = 50 + 10 per precondition/trigger signal that held (max
 *   100). At most one signal per bar: a breakdown trigger on the bar of a rejection trigger
 *   waits for the next bar.
 *   Events: every state change (both kinds) makes one codec_sig_setup_t (kind, state, level,
 *   zone, ref, sl, tp1, tp2, bars since FORMING, reason = the signals that held or why it was
 *   invalidated), fetched with the strategy's setup_events op right after on_bar; engine.c
 *   publishes them on sig.setup.<strategy>.<symbol> before that bar's sig.signal. At most
 *   SETUP_MAX_EVENTS per bar (3 per kind can happen). Counts: strat_setups_state.
 *  Cost O(CTX_MAX_LEVELS) per bar.
 */
#ifndef TP_STRAT_SETUPS_H
#define TP_STRAT_SETUPS_H

#include "signal/strat_util.h"
#include "signal/strategy.h"

typedef enum {
    SETUP_NONE = 0,
    SETUP_FORMING,
    SETUP_ACTIVE,
    SETUP_TRIGGERED,
    SETUP_INVALIDATED
} setup_state_t;

typedef struct {
    uint64_t formed, activated, triggered, invalidated;
} setup_counts_t;

#define SETUP_MAX_EVENTS 8 /* life-cycle changes kept per bar (at most 6 happen) */

extern const strategy_ops_t strat_setups_ops;

/* Current state of the rejection (kind +1) or breakdown (kind -1) setup of an instance of
 * type "setups"; SETUP_NONE for another type. Counts may be NULL. */
setup_state_t strat_setups_state(const strategy_t *s, int kind, setup_counts_t *counts);

#endif /* TP_STRAT_SETUPS_H */
