/*  sizing.c - position size of one entry (formula and units in sizing.h).
 *  Rounding: every step floors (MONEY_ROUND_DOWN), so the order never risks more than
 *  risk_pct of equity nor exceeds max_position_pct of equity in notional.
 */
#include "risk/sizing.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "common/money.h"

static const char *const k_reason[RISK_SIZING_ERR_COUNT] = {
    [RISK_SIZING_OK] = "ok",
    [RISK_SIZING_BAD_INPUT] = "bad sizing input",
    [RISK_SIZING_ZERO_STOP] = "zero stop distance",
    [RISK_SIZING_BELOW_MIN_QTY] = "below min_qty",
    [RISK_SIZING_BELOW_MIN_NOTIONAL] = "below min_notional",
    [RISK_SIZING_OVERFLOW] = "sizing overflow",
    [RISK_SIZING_NO_BALANCE] = "no available balance",
    [RISK_SIZING_BELOW_MIN_VALUE] = "below min_order_value",
};

const char *
risk_sizing_strerror(risk_sizing_err_t err)
{
    if ((int)err < 0 || err >= RISK_SIZING_ERR_COUNT) {
        return "unknown sizing error";
    }
    return k_reason[err];
}

/* amount * pct / 100 at VALUE scale, floored, in one exact 128-bit product: a percentage
 * mantissa at RISK_PCT_SCALE read at RISK_PCT_SCALE + 2 is the fraction pct / 100. */
static int
s_pct_of(int64_t amount, int64_t pct, int64_t *out)
{
    return money_mul(amount, MONEY_VALUE_SCALE, pct, RISK_PCT_SCALE + 2, MONEY_VALUE_SCALE,
                     MONEY_ROUND_DOWN, out);
}

/* amount (VALUE) / ref_px at work scale, floored */
static int
s_qty_of(int64_t amount, const instr_t *instr, int64_t ref_px, int ws, int64_t *out)
{
    return money_div(amount, MONEY_VALUE_SCALE, ref_px, instr->px_scale, ws, MONEY_ROUND_DOWN, out);
}

risk_sizing_err_t
risk_sizing_size(const risk_sizing_cfg_t *cfg, const instr_t *instr, const risk_sizing_in_t *in,
                 risk_sizing_t *out)
{
    assert(cfg);
    assert(instr);
    assert(in);
    assert(out);
    memset(out, 0, sizeof *out);
    int64_t equity = in->equity, ref_px = in->ref_px, sl_px = in->sl_px;
    if (instr->qty_scale < 0 || instr->qty_scale > MONEY_MAX_SCALE || instr->px_scale < 0
        || instr->px_scale > MONEY_MAX_SCALE || instr->step <= 0 || cfg->risk_pct <= 0
        || cfg->max_position_pct <= 0 || equity <= 0 || ref_px <= 0 || in->mult <= 0
        || cfg->max_leverage < 0 || cfg->reserve < 0 || cfg->reserve_pct < 0
        || cfg->reserve_pct > 100 * money_pow10(RISK_PCT_SCALE)
        || (cfg->mode == RISK_SIZE_RISK && sl_px <= 0)
        || (cfg->mode == RISK_SIZE_NOTIONAL && cfg->fixed_notional <= 0)
        || (cfg->mode == RISK_SIZE_EQUITY_PCT && cfg->equity_pct <= 0)
        || cfg->mode > RISK_SIZE_EQUITY_PCT) {
        return RISK_SIZING_BAD_INPUT;
    }
    int ws = instr->qty_scale > 8 ? instr->qty_scale : 8;
    out->work_scale = ws;
    if (sl_px > 0) {
        out->stop_dist = ref_px > sl_px ? ref_px - sl_px : sl_px - ref_px;
    }
    switch (cfg->mode) {
    case RISK_SIZE_NOTIONAL:
        if (s_qty_of(cfg->fixed_notional, instr, ref_px, ws, &out->raw_qty) != 0) {
            return RISK_SIZING_OVERFLOW;
        }
        break;
    case RISK_SIZE_EQUITY_PCT: {
        int64_t amt;
        if (s_pct_of(equity, cfg->equity_pct, &amt) != 0
            || s_qty_of(amt, instr, ref_px, ws, &out->raw_qty) != 0) {
            return RISK_SIZING_OVERFLOW;
        }
        break;
    }
    case RISK_SIZE_RISK:
    default:
        if (s_pct_of(equity, cfg->risk_pct, &out->risk_amount) != 0) {
            return RISK_SIZING_OVERFLOW;
        }
        if (out->stop_dist == 0) {
            return RISK_SIZING_ZERO_STOP;
        }
        if (money_div(out->risk_amount, MONEY_VALUE_SCALE, out->stop_dist, instr->px_scale, ws,
                      MONEY_ROUND_DOWN, &out->raw_qty)
            != 0) {
            return RISK_SIZING_OVERFLOW;
        }
        break;
    }
    if (money_mul(out->raw_qty, ws, in->mult, RISK_MULT_SCALE, ws, MONEY_ROUND_DOWN,
                  &out->scaled_qty)
        != 0) {
        return RISK_SIZING_OVERFLOW;
    }
    if (s_pct_of(equity, cfg->max_position_pct, &out->max_notional) != 0
        || s_qty_of(out->max_notional, instr, ref_px, ws, &out->cap_qty) != 0) {
        return RISK_SIZING_OVERFLOW;
    }
    int64_t want = out->scaled_qty;
    if (out->cap_qty < want) {
        want = out->cap_qty;
    }
    if (cfg->max_leverage > 0) {
        int64_t lev_notional, avail = in->available > 0 ? in->available : equity, bal_notional;
        if (money_mul(equity, MONEY_VALUE_SCALE, cfg->max_leverage, RISK_MULT_SCALE,
                      MONEY_VALUE_SCALE, MONEY_ROUND_DOWN, &lev_notional)
                != 0
            || s_qty_of(lev_notional, instr, ref_px, ws, &out->lev_cap_qty) != 0) {
            return RISK_SIZING_OVERFLOW;
        }
        out->reserve = cfg->reserve;
        int64_t rp;
        if (cfg->reserve_pct > 0) {
            if (s_pct_of(equity, cfg->reserve_pct, &rp) != 0) {
                return RISK_SIZING_OVERFLOW;
            }
            if (rp > out->reserve) {
                out->reserve = rp;
            }
        }
        if (avail - out->reserve <= 0) {
            return RISK_SIZING_NO_BALANCE;
        }
        if (money_mul(avail - out->reserve, MONEY_VALUE_SCALE, cfg->max_leverage, RISK_MULT_SCALE,
                      MONEY_VALUE_SCALE, MONEY_ROUND_DOWN, &bal_notional)
                != 0
            || s_qty_of(bal_notional, instr, ref_px, ws, &out->bal_cap_qty) != 0) {
            return RISK_SIZING_OVERFLOW;
        }
        if (out->lev_cap_qty < want) {
            want = out->lev_cap_qty;
        }
        if (out->bal_cap_qty < want) {
            want = out->bal_cap_qty;
        }
    }
    out->capped = want < out->scaled_qty;
    int64_t at_qty_scale, qty;
    if (money_rescale(want, ws, instr->qty_scale, MONEY_ROUND_DOWN, &at_qty_scale) != 0
        || money_round_to(at_qty_scale, instr->step, MONEY_ROUND_DOWN, &qty) != 0) {
        return RISK_SIZING_OVERFLOW;
    }
    out->qty = qty;
    if (money_mul(qty, instr->qty_scale, ref_px, instr->px_scale, MONEY_VALUE_SCALE,
                  MONEY_ROUND_DOWN, &out->notional)
        != 0) {
        return RISK_SIZING_OVERFLOW;
    }
    if (qty <= 0 || qty < instr->min_qty) {
        return RISK_SIZING_BELOW_MIN_QTY;
    }
    /* floor(x) < m <=> x < m for integer m: the floored notional decides exactly */
    if (out->notional < instr->min_notional) {
        return RISK_SIZING_BELOW_MIN_NOTIONAL;
    }
    if (out->notional < cfg->min_order_value) {
        return RISK_SIZING_BELOW_MIN_VALUE;
    }
    return RISK_SIZING_OK;
}

risk_sizing_err_t
risk_sizing_qty(const risk_sizing_cfg_t *cfg, const instr_t *instr, int64_t equity, int64_t ref_px,
                int64_t sl_px, risk_sizing_t *out)
{
    risk_sizing_in_t in = {
        .equity = equity, .available = equity, .ref_px = ref_px, .sl_px = sl_px, .mult = 10000
    };
    if (sl_px <= 0) {
        assert(out);
        memset(out, 0, sizeof *out);
        return RISK_SIZING_BAD_INPUT;
    }
    return risk_sizing_size(cfg, instr, &in, out);
}

/* ---- multipliers ---------------------------------------------------------------------- */

void
risk_scale_defaults(risk_scale_cfg_t *cfg)
{
    assert(cfg);
    memset(cfg, 0, sizeof *cfg);
    cfg->conf_lo = 65;
    cfg->conf_hi = 95;
    cfg->conf_lo_mult = 5000;
    cfg->conf_hi_mult = 15000;
    cfg->vol_hi_pctile = 80;
    cfg->vol_lo_pctile = 20;
    cfg->vol_hi_mult = 7000;
    cfg->vol_lo_mult = 12000;
    sessions_default(&cfg->hours);
    cfg->asia_mult = 5000;
    cfg->london_ny_mult = 10000;
    cfg->overlap_mult = 15000;
    cfg->off_mult = 10000;
}

const char *
risk_scale_session(const risk_scale_cfg_t *cfg, int64_t evt_ns)
{
    assert(cfg);
    return sessions_name(sessions_of(&cfg->hours, evt_ns));
}

/* a * b at RISK_MULT_SCALE, floored (both small positive: no overflow) */
static int64_t
s_mul(int64_t a, int64_t b)
{
    return a * b / 10000;
}

int64_t
risk_scale_mult(const risk_scale_cfg_t *cfg, double confidence, double atr_pctile, int64_t evt_ns)
{
    assert(cfg);
    int64_t m = 10000;
    if (cfg->conf_on && cfg->conf_hi > cfg->conf_lo) {
        /* confidence to hundredths of a percent, then exact integer interpolation */
        int64_t c = (int64_t)llround(confidence * 100.0), lo = cfg->conf_lo * 100,
                hi = cfg->conf_hi * 100, cm;
        if (c <= lo) {
            cm = cfg->conf_lo_mult;
        } else if (c >= hi) {
            cm = cfg->conf_hi_mult;
        } else {
            cm = cfg->conf_lo_mult + (cfg->conf_hi_mult - cfg->conf_lo_mult) * (c - lo) / (hi - lo);
        }
        m = s_mul(m, cm);
    }
    if (cfg->vol_on && atr_pctile >= 0) {
        if (atr_pctile >= (double)cfg->vol_hi_pctile) {
            m = s_mul(m, cfg->vol_hi_mult);
        } else if (atr_pctile <= (double)cfg->vol_lo_pctile) {
            m = s_mul(m, cfg->vol_lo_mult);
        }
    }
    if (cfg->session_on) {
        const char *sess = risk_scale_session(cfg, evt_ns);
        int64_t sm = strcmp(sess, "LONDON_NY_OVERLAP") == 0 ? cfg->overlap_mult
                     : strcmp(sess, "ASIAN") == 0           ? cfg->asia_mult
                     : strcmp(sess, "OFF") == 0             ? cfg->off_mult
                                                            : cfg->london_ny_mult;
        m = s_mul(m, sm);
    }
    return m;
}
