/*  strat_rules.h - strategy type "rules": JSON rules over indicator series, from config.
 *  Owns:  per instance an indicator set (signal/ind.h, default periods), the parsed rules and
 *         each rule's previous operand values (for crosses).
 *  Not:   bars, sizing, publishing.
 *  Config (docs/signal.md "Strategy rules"), at signal.strategies[i]:
 *    name, venue, symbol, tf_s (60), type "rules",
 *    side "buy" | "sell", combine "all" | "any" (default "all"),
 *    rules: [ { left: SERIES, op: OP, right: SERIES | value: NUMBER
 *               | lower: SERIES | lower_value: NUMBER, upper: SERIES | upper_value: NUMBER } ]
 *      SERIES: open, high, low, close, volume, or a name of the default indicator set
 *              (sma20, ema9, ema12, ema20, ema21, ema26, ema50, rsi14, macd, macd_signal,
 *              macd_hist, atr14, bb_upper, bb_middle, bb_lower, adx14, plus_di14, minus_di14,
 *              stddev20, mom10, roc10, vwap, vol_ma20)
 *      OP: crosses_above, crosses_below (previous bar left <= right and now left > right /
 *          mirrored), gt, lt, ge, le, within (lower <= left <= upper; lower/upper only)
 *    stop: {pct: "0.5"} | {atr: 1.5}   take_profit: {pct: "1.0"} | {atr: 3} | {rr: 2}
 *      (rr: take distance = rr * stop distance; atr: k * atr14 of the bar)
 *  A bad rule (unknown series or op, missing operand, both right and value, ...) is refused at
 *  start by cfg_fail naming the file, the line and the rule path ("signal.strategies[1].
 *  rules[0].op: unknown op ...").
 *  Firing: on a closed bar, a rule whose operands are not available yet is false; the
 *  combination (all: every rule, any: at least one) must turn from false (previous bar) to
 *  true (this bar): one signal per entry into the condition, not one per bar.
 *  confidence = 100 * rules held / rules; ref = close; sl/tp on the tick, away from the entry.
 *  reason: "rules <held>/<n>: <left> <op> <right>; ..." (the rules that held).
 *  Cost O(number of rules) per bar.
 */
#ifndef TP_STRAT_RULES_H
#define TP_STRAT_RULES_H

#include "signal/strat_util.h"
#include "signal/strategy.h"

#define RULES_MAX 16

extern const strategy_ops_t strat_rules_ops;

#endif /* TP_STRAT_RULES_H */
