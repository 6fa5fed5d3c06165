/*  strat_setups.h - strategy type "setups": resistance-rejection and support-breakdown setups
 *  with a life cycle FORMING -> ACTIVE -> TRIGGERED | INVALIDATED.
 *  Owns:  per instance an indicator set (RSI14, VOL_MA20, MACD), a context (swing levels of the
 *         series) and one live setup per kind.
 *  Not:   bars, sizing, publishing.
 *  Rules (docs/signal.md "Strategy setups"), per closed bar after the indicators and levels
 *  are updated; z = zone_bp / 1e4, t = tol_bp / 1e4; a live level needs strength >=
 *  min_level_strength. PRECONDITION signals: rsi_ob (RSI >= rsi_high), rsi_os (RSI <= rsi_low),
 *  vol_spike (volume >= spike_k * vol_ma), vol_decline (volume < vol_ma), macd_div (bearish: a
 *  higher high than the setup's first bar with a lower MACD histogram). TRIGGER signals:
 *  rejection wick (upper wick >= wick_ratio * range and close < open), price in entry zone.
 *   Resistance rejection (SELL), level R:
 *     FORMING     high >= R*(1-z) and close <= R (price reaches the zone, not through);
 *                 entry zone [R*(1-z), R]
 *     ACTIVE      from FORMING, on the first bar (the forming one included) with a
 *                 precondition: rsi_ob or vol_spike or macd_div
 *     TRIGGERED   from ACTIVE, a bar with a rejection wick whose high is in the entry zone or
 *                 above, closing inside or below it (close <= R) -> SELL signal
 *     INVALIDATED a close > R*(1+t) (through), or max_bars bars without a trigger
 *   Support breakdown (SELL), level S:
 *     FORMING     low <= S*(1+z) and close >= S (price sits on the support)
 *     ACTIVE      a close < S*(1-t) (the breakdown) with vol_spike or rsi below 50
 *                 (the level is remembered: ctx drops it as invalidated)
 *     TRIGGERED   from ACTIVE, a retest: high >= S*(1-z) (back into the zone [S*(1-z), S]),
 *                 close < S and vol_decline or a rejection wick -> SELL signal
 *     INVALIDATED from ACTIVE a close > S*(1+t) (failed breakdown); from FORMING a close >
 *                 S*(1+2z) (left the support); either after max_bars bars
 *   Signal: ref = close; sl = R*(1+stop_bp/1e4) (rejection) or S*(1+stop_bp/1e4) (breakdown)
 *   rounded up to the tick; risk = sl - ref; tp = ref - tp1_rr * risk (tp_px), the second
 *   target ref - tp2_rr * risk is in the reason; confidence = 50 + 10 per precondition/trigger
 *   signal that held (max 100). At most one signal per bar: a breakdown trigger on the bar of
 *   a rejection trigger waits for the next bar. Only TRIGGERED emits a sig.signal; the other
 * transitions are counted (strat_setups_counts) and logged at debug level. Cost O(CTX_MAX_LEVELS)
 * per bar.
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

extern const strategy_ops_t strat_setups_ops;

/* Current state of the rejection (kind +1) or breakdown (kind -1) setup of an instance of
 * type "setups"; SETUP_NONE for another type. Counts may be NULL. */
setup_state_t strat_setups_state(const strategy_t *s, int kind, setup_counts_t *counts);

#endif /* TP_STRAT_SETUPS_H */
