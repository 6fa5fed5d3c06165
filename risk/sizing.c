/*  sizing.c - position size of one entry (formula and units in sizing.h).
 *  Rounding: every step floors (MONEY_ROUND_DOWN), so the order never risks more than
 *  risk_pct of equity nor exceeds max_position_pct of equity in notional.
 */
#include "risk/sizing.h"

#include <assert.h>
#include <string.h>

#include "common/money.h"

static const char *const k_reason[RISK_SIZING_ERR_COUNT] = {
    [RISK_SIZING_OK] = "ok",
    [RISK_SIZING_BAD_INPUT] = "bad sizing input",
    [RISK_SIZING_ZERO_STOP] = "zero stop distance",
    [RISK_SIZING_BELOW_MIN_QTY] = "below min_qty",
    [RISK_SIZING_BELOW_MIN_NOTIONAL] = "below min_notional",
    [RISK_SIZING_OVERFLOW] = "sizing overflow",
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

risk_sizing_err_t
risk_sizing_qty(const risk_sizing_cfg_t *cfg, const instr_t *instr, int64_t equity, int64_t ref_px,
                int64_t sl_px, risk_sizing_t *out)
{
    assert(cfg);
    assert(instr);
    assert(out);
    memset(out, 0, sizeof *out);
    if (instr->qty_scale < 0 || instr->qty_scale > MONEY_MAX_SCALE || instr->px_scale < 0
        || instr->px_scale > MONEY_MAX_SCALE || instr->step <= 0 || cfg->risk_pct <= 0
        || cfg->max_position_pct <= 0 || equity <= 0 || ref_px <= 0 || sl_px <= 0) {
        return RISK_SIZING_BAD_INPUT;
    }
    out->work_scale = instr->qty_scale > 8 ? instr->qty_scale : 8;

    if (s_pct_of(equity, cfg->risk_pct, &out->risk_amount) != 0) {
        return RISK_SIZING_OVERFLOW;
    }
    /* both positive: the difference cannot overflow */
    out->stop_dist = ref_px > sl_px ? ref_px - sl_px : sl_px - ref_px;
    if (out->stop_dist == 0) {
        return RISK_SIZING_ZERO_STOP;
    }
    if (money_div(out->risk_amount, MONEY_VALUE_SCALE, out->stop_dist, instr->px_scale,
                  out->work_scale, MONEY_ROUND_DOWN, &out->raw_qty)
        != 0) {
        return RISK_SIZING_OVERFLOW;
    }
    if (s_pct_of(equity, cfg->max_position_pct, &out->max_notional) != 0) {
        return RISK_SIZING_OVERFLOW;
    }
    if (money_div(out->max_notional, MONEY_VALUE_SCALE, ref_px, instr->px_scale, out->work_scale,
                  MONEY_ROUND_DOWN, &out->cap_qty)
        != 0) {
        return RISK_SIZING_OVERFLOW;
    }
    out->capped = out->cap_qty < out->raw_qty;
    int64_t want = out->capped ? out->cap_qty : out->raw_qty;
    int64_t at_qty_scale, qty;
    if (money_rescale(want, out->work_scale, instr->qty_scale, MONEY_ROUND_DOWN, &at_qty_scale) != 0
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
    return RISK_SIZING_OK;
}
