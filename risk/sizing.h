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
#include "common/sessions.h"

#define RISK_PCT_SCALE 4 /* percentages: "1.0" -> 10000, "50" -> 500000 */

typedef enum {
    RISK_SIZING_OK = 0,
    RISK_SIZING_BAD_INPUT,          /* equity <= 0, px <= 0, bad pct or instrument scales */
    RISK_SIZING_ZERO_STOP,          /* ref_px == sl_px */
    RISK_SIZING_BELOW_MIN_QTY,      /* qty after clamp and step rounding < min_qty, or 0 */
    RISK_SIZING_BELOW_MIN_NOTIONAL, /* qty * ref_px < min_notional */
    RISK_SIZING_OVERFLOW,           /* an intermediate does not fit int64 */
    RISK_SIZING_NO_BALANCE,         /* available - reserve <= 0 */
    RISK_SIZING_BELOW_MIN_VALUE,    /* notional < min_order_value */
    RISK_SIZING_ERR_COUNT
} risk_sizing_err_t;

#define RISK_MULT_SCALE 4 /* multipliers: 1.0x -> 10000 */

typedef enum {
    RISK_SIZE_RISK = 0,   /* risk_pct of equity / stop distance (default) */
    RISK_SIZE_NOTIONAL,   /* fixed notional: fixed_notional / ref_px */
    RISK_SIZE_EQUITY_PCT, /* fixed percent of equity: equity * equity_pct / 100 / ref_px */
} risk_size_mode_t;

typedef struct {
    int64_t risk_pct;         /* RISK_PCT_SCALE, (0, 100%] */
    int64_t max_position_pct; /* RISK_PCT_SCALE, (0, 1000%] (> 100 % = leverage) */
    /* extensions: zero = off / default */
    risk_size_mode_t mode;
    int64_t fixed_notional;  /* VALUE scale, mode NOTIONAL */
    int64_t equity_pct;      /* RISK_PCT_SCALE, mode EQUITY_PCT */
    int64_t max_leverage;    /* RISK_MULT_SCALE: notional <= equity * lev and
                                <= (available - reserve) * lev; 0 = off */
    int64_t reserve;         /* VALUE scale kept in quote currency, never spent */
    int64_t reserve_pct;     /* RISK_PCT_SCALE of equity kept aside (issue 17); the reserve
                                is the larger of reserve and equity * reserve_pct / 100 */
    int64_t min_order_value; /* VALUE scale: refused under it (0 = off) */
} risk_sizing_cfg_t;

/* Size multipliers (RISK_MULT_SCALE). Confidence: lo_mult at conf_lo, hi_mult at conf_hi,
 * linear between, clamped outside. Volatility: ATR percentile >= vol_hi_pctile -> vol_hi_mult,
 * <= vol_lo_pctile -> vol_lo_mult, else 1x; unknown (< 0) -> 1x. Session of the event time
 * (common/sessions.h, the hours every stage shares): LONDON_NY_OVERLAP -> overlap_mult; LONDON
 * or NY -> london_ny_mult; ASIAN -> asia_mult; OFF -> off_mult. enabled false = every
 * multiplier 1x. */
typedef struct {
    bool conf_on, vol_on, session_on;
    int64_t conf_lo, conf_hi; /* percent, integer (65, 95) */
    int64_t conf_lo_mult, conf_hi_mult;
    int64_t vol_hi_pctile, vol_lo_pctile; /* percent, integer (80, 20) */
    int64_t vol_hi_mult, vol_lo_mult;
    sessions_hours_t hours; /* the top-level "sessions" (common/sessions.h) */
    int64_t asia_mult, london_ny_mult, overlap_mult, off_mult;
} risk_scale_cfg_t;

/* Defaults of the issue: 65 % -> 0.5x, 95 % -> 1.5x; ATR pctile >= 80 -> 0.7x, <= 20 -> 1.2x;
 * sessions as sessions_default: ASIAN 00-07 0.5x, LONDON 07-16 / NY 13-22 1.0x,
 * overlap 13-16 1.5x, other hours 1.0x;
 * all three switched off (enable in config). */
void risk_scale_defaults(risk_scale_cfg_t *cfg);

/* Product of the three multipliers, RISK_MULT_SCALE, floored at each product. `confidence`
 * 0..100, `atr_pctile` 0..100 or < 0 unknown, `evt_ns` event time. */
int64_t risk_scale_mult(const risk_scale_cfg_t *cfg, double confidence, double atr_pctile,
                        int64_t evt_ns);
/* Session name of an event time: "ASIAN", "LONDON", "NY", "LONDON_NY_OVERLAP", "OFF". */
const char *risk_scale_session(const risk_scale_cfg_t *cfg, int64_t evt_ns);

typedef struct {
    int64_t equity;        /* VALUE, > 0 */
    int64_t available;     /* VALUE; <= 0 = not known (equity is used) */
    int64_t ref_px, sl_px; /* px mantissas (sl_px needed in mode RISK only) */
    int64_t mult;          /* RISK_MULT_SCALE, > 0 (10000 = 1x) */
} risk_sizing_in_t;

/* Every intermediate of one sizing, for logs and tests. */
typedef struct {
    int work_scale;       /* scale of raw_qty and cap_qty: max(qty_scale, 8) */
    int64_t risk_amount;  /* VALUE scale */
    int64_t stop_dist;    /* px mantissa */
    int64_t raw_qty;      /* work scale */
    int64_t max_notional; /* VALUE scale */
    int64_t cap_qty;      /* work scale */
    bool capped;          /* a cap (position, leverage, balance) < raw_qty * mult */
    int64_t scaled_qty;   /* raw_qty * mult, work scale */
    int64_t lev_cap_qty;  /* equity * max_leverage / ref_px, work scale (0 = off) */
    int64_t bal_cap_qty;  /* (available - reserve) * max_leverage / ref_px (0 = off) */
    int64_t reserve;      /* VALUE scale: max(cfg reserve, equity * reserve_pct / 100) */
    int64_t qty;          /* qty_scale, on the step: the order quantity */
    int64_t notional;     /* VALUE scale: qty * ref_px */
} risk_sizing_t;

/* Size an entry (long or short: only |ref_px - sl_px| matters). `equity` VALUE scale;
 * ref_px, sl_px at instr->px_scale. Fills *out (also on refusal, as far as it got) and returns
 * RISK_SIZING_OK or the refusal. Cost: a handful of 128-bit mul/div. */
risk_sizing_err_t risk_sizing_qty(const risk_sizing_cfg_t *cfg, const instr_t *instr,
                                  int64_t equity, int64_t ref_px, int64_t sl_px,
                                  risk_sizing_t *out);

/* General form: mode, multiplier, leverage/balance/reserve clamps, min order value:
 *   raw    = by mode (above / fixed_notional / ref / equity * equity_pct / 100 / ref)
 *   scaled = raw * mult                                  work scale, floor
 *   qty    = floor_to_step(min(scaled, cap_qty, lev_cap_qty, bal_cap_qty))
 * risk_sizing_qty == risk_sizing_size with mult 1x and available = equity. */
risk_sizing_err_t risk_sizing_size(const risk_sizing_cfg_t *cfg, const instr_t *instr,
                                   const risk_sizing_in_t *in, risk_sizing_t *out);

/* Reason text for risk.reject: "below min_notional", "below min_qty", "zero stop distance",
 * ... Static string. */
const char *risk_sizing_strerror(risk_sizing_err_t err);

#endif /* TP_RISK_SIZING_H */
