/*  strat_level.h - strategy type "level_reaction": a reaction at a strong price level,
 *  confirmed by order flow and momentum, judged on every trade and on every book update.
 *  Owns:  per instance an indicator set and a context (signal/ctx.h: swing levels of the
 *         instance's bar series), a ring of the last flow_n trades (signed qty, price), the
 *         last book imbalance, the last trade (price, momentum), the last fired (level, bar).
 *  Not:   bars, sizing, publishing.
 *  Rules (docs/signal.md "Strategy level_reaction"), on each md.trade of the symbol at price px:
 *    flow     = sum of signed taker qty over the last flow_n trades (buy +, sell -)
 *    momentum = px - price flow_n trades ago (needs flow_n trades)
 *    BUY  when a live support L (strength >= min_strength) has L <= px <= L * (1 + near_bp/1e4)
 *         and flow > 0 and imbalance >= imb_min and momentum > 0;
 *    SELL when a live resistance L has L * (1 - near_bp/1e4) <= px <= L and flow < 0 and
 *         imbalance <= -imb_min and momentum < 0.
 *    (strongest qualifying level; at most one signal per level per bar of the series)
 *    confidence = 0.4 * strength + 30 * min(1, |imbalance| / 0.5)
 *                 + 30 * min(1, |flow| / sum |qty| of the window)
 *    ref = px; sl = L -+ stop_bp beyond the level (BUY below the support, on the tick away from
 *    the entry), tp = ref +- rr * (ref - sl).
 *    reason: "level <kind> L=<px> str=<s> tests=<n> flow=<f> imb=<i> mom=<m>".
 *  On each md.book of the symbol: the imbalance of the top book_levels is updated, then the
 *  same rule is judged at the last trade's price, with the current flow and that trade's
 *  momentum, at the book's event time (ts_event: the bar of the one-signal rule and the
 *  signal's ts_event); nothing before the trade window is full.
 *  Bars of the series (on_bar) only update levels; they never signal. Without a book yet the
 *  imbalance is 0 and nothing fires (imb_min > 0).
 *  Cost: O(CTX_MAX_LEVELS) per trade and per book, per bar as ctx_on_bar.
 */
#ifndef TP_STRAT_LEVEL_H
#define TP_STRAT_LEVEL_H

#include "signal/strat_util.h"
#include "signal/strategy.h"

#define LEVEL_MAX_FLOW_N 1024

extern const strategy_ops_t strat_level_ops;

#endif /* TP_STRAT_LEVEL_H */
