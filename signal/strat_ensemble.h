/*  strat_ensemble.h - strategy type "ensemble": members vote, weighted by their own recent
 *  realized (virtual) performance.
 *  Owns:  its member strategies (built from the inline "members" configs with
 *         strategy_from_cfg), per member the live vote, the open virtual position and a ring
 *         of the last `window` realized results.
 *  Not:   fills (signal does not see exec.fill: performance is the members' own signals
 *         marked against later bars, "virtual PnL"), sizing, publishing.
 *  Rules (docs/signal.md "Strategy ensemble"), per closed bar of the series, in this order:
 *   1. Virtual positions: a member's open position (from its last signal: side, entry = ref,
 *      sl, tp) closes on this bar if the bar's low/high reaches sl (checked first: the
 *      pessimistic order) or tp; result r = side * (exit - entry) / entry goes into the
 *      member's ring (the oldest drops out after `window` results).
 *   2. Members run on the bar (config order). A member's signal becomes its vote (side,
 *      confidence) for `vote_bars` bars (this one included) and opens a new virtual position
 *      (an open one is closed first at this bar's close).
 *   3. weight_i = clamp(1 + 100 * sum(r over member i's ring), w_min, w_max)
 *      (+1 % realized -> weight 2; no history -> 1).
 *   4. score = sum over members with a live vote of weight_i * side_i * confidence_i
 *              / sum over all members of weight_i                         (-100..100)
 *   5. Signal when |score| >= threshold and the previous bar's score was not (>= threshold on
 *      the same side): side = sign(score), confidence = |score|, ref = close, sl/tp by
 *      stop_pct / take_profit_pct on the tick; reason lists the voting members.
 *   Regime weights (optional, issue 17): with regime_weights {"<REGIME>": {"<member>": mult}}
 *   the ensemble computes the series' regime itself (ind + ctx, default thresholds) and in
 *   step 3 multiplies weight_i by mult while the bar's regime is REGIME (0 silences it).
 *  Config: name, venue, symbol, tf_s, members (>= 5 strategy objects of the same series; any
 *  type but ensemble), window (20), vote_bars (5), threshold (30), w_min (0.1), w_max (3),
 *  stop_pct ("0.5"), take_profit_pct ("1.0"), regime_weights (none).
 *  Cost: O(members) per bar plus the members' own.
 */
#ifndef TP_STRAT_ENSEMBLE_H
#define TP_STRAT_ENSEMBLE_H

#include "signal/strat_util.h"
#include "signal/strategy.h"

#define ENSEMBLE_MIN_MEMBERS 5
#define ENSEMBLE_MAX_MEMBERS 16
#define ENSEMBLE_MAX_WINDOW  256

extern const strategy_ops_t strat_ensemble_ops;

#endif /* TP_STRAT_ENSEMBLE_H */
