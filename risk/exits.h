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

typedef enum { RISK_EXIT_NONE = 0, RISK_EXIT_STOP, RISK_EXIT_TAKE_PROFIT } risk_exit_t;

/* What to send: a reduce-only market order closing the whole position. */
typedef struct {
    risk_position_t *pos; /* the slot (borrowed; exit_pending already set) */
    risk_exit_t kind;
    const char *intent; /* "stop_loss" | "take_profit" (static) */
    int8_t side;        /* opposite of the position */
    int64_t qty;        /* |position qty|, qty_scale */
    int64_t trigger_px; /* the observed price that crossed, position px_scale */
} risk_exit_order_t;

/* Pure rule: does range [lo, hi] (position px_scale) cross the slot's stop or target? */
risk_exit_t risk_exits_check(const risk_position_t *p, int64_t lo, int64_t hi);

/* Check the position of the update's venue+symbol. Returns 1 and fills *out (and latches the
 * slot) when an exit must fire, 0 when not (no position, latched, no level crossed, empty
 * book side, scale out of range). */
int risk_exits_on_trade(risk_positions_t *pos, const codec_md_trade_t *t, risk_exit_order_t *out);
int risk_exits_on_book(risk_positions_t *pos, const codec_md_book_t *b, risk_exit_order_t *out);
int risk_exits_on_kline(risk_positions_t *pos, const codec_md_kline_t *k, risk_exit_order_t *out);

const char *risk_exits_intent(risk_exit_t kind); /* "stop_loss", "take_profit", "" */

#endif /* TP_RISK_EXITS_H */
