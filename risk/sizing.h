/*  sizing.h - position size of one entry from equity, risk per trade and the stop distance.
 *  Owns:  nothing (pure functions, no state, no allocation).
 *  Not:   limits (risk/limits), instrument lookup (main/engine pass the instr_t), orders.
 *  Formula (fixed-risk sizing: lose risk_pct of equity if the stop is hit, fees ignored):
 *      risk_amount = equity * risk_pct / 100                          quote, VALUE scale, floor
 *      stop_dist   = |ref_px - sl_px|                                 px mantissa
 *      raw_qty     = risk_amount / stop_dist                          base, work scale, floor
 *      max_notional= equity * max_position_pct / 100                  quote, VALUE scale, floor
 *      cap_qty     = max_notional / ref_px                            base, work scale, floor
 *      qty         = floor_to_step(min(raw_qty, cap_qty))             base, qty_scale
 *      notional    = qty * ref_px                                     quote, VALUE scale, floor
 *  Refused if stop_dist == 0, qty < min_qty (or 0), notional < min_notional.
 *  Units: equity and amounts at MONEY_VALUE_SCALE (8); percentages are mantissas at
 *  RISK_PCT_SCALE (4: "1.0" % -> 10000); px at instr->px_scale; qty at instr->qty_scale.
 *  Work scale = max(instr->qty_scale, 8): intermediates keep 8+ decimals so tests can check
 *  them; floor(floor(x at work scale) to step) == floor(x to step), so nothing is lost.
 *  Every product and quotient goes through money_mul/money_div (128-bit intermediates).
 */
#ifndef TP_RISK_SIZING_H
#define TP_RISK_SIZING_H

#include <stdbool.h>
#include <stdint.h>

#include "common/instr.h"

#define RISK_PCT_SCALE 4 /* percentages: "1.0" -> 10000, "50" -> 500000 */

typedef enum {
    RISK_SIZING_OK = 0,
    RISK_SIZING_BAD_INPUT,          /* equity <= 0, px <= 0, bad pct or instrument scales */
    RISK_SIZING_ZERO_STOP,          /* ref_px == sl_px */
    RISK_SIZING_BELOW_MIN_QTY,      /* qty after clamp and step rounding < min_qty, or 0 */
    RISK_SIZING_BELOW_MIN_NOTIONAL, /* qty * ref_px < min_notional */
    RISK_SIZING_OVERFLOW,           /* an intermediate does not fit int64 */
    RISK_SIZING_ERR_COUNT
} risk_sizing_err_t;

typedef struct {
    int64_t risk_pct;         /* RISK_PCT_SCALE, (0, 100%] */
    int64_t max_position_pct; /* RISK_PCT_SCALE, (0, 1000%] (> 100 % = leverage) */
} risk_sizing_cfg_t;

/* Every intermediate of one sizing, for logs and tests. */
typedef struct {
    int work_scale;       /* scale of raw_qty and cap_qty: max(qty_scale, 8) */
    int64_t risk_amount;  /* VALUE scale */
    int64_t stop_dist;    /* px mantissa */
    int64_t raw_qty;      /* work scale */
    int64_t max_notional; /* VALUE scale */
    int64_t cap_qty;      /* work scale */
    bool capped;          /* cap_qty < raw_qty */
    int64_t qty;          /* qty_scale, on the step: the order quantity */
    int64_t notional;     /* VALUE scale: qty * ref_px */
} risk_sizing_t;

/* Size an entry (long or short: only |ref_px - sl_px| matters). `equity` VALUE scale;
 * ref_px, sl_px at instr->px_scale. Fills *out (also on refusal, as far as it got) and returns
 * RISK_SIZING_OK or the refusal. Cost: a handful of 128-bit mul/div. */
risk_sizing_err_t risk_sizing_qty(const risk_sizing_cfg_t *cfg, const instr_t *instr,
                                  int64_t equity, int64_t ref_px, int64_t sl_px,
                                  risk_sizing_t *out);

/* Reason text for risk.reject: "below min_notional", "below min_qty", "zero stop distance",
 * ... Static string. */
const char *risk_sizing_strerror(risk_sizing_err_t err);

#endif /* TP_RISK_SIZING_H */
