/*  exits.c - stop-loss, take-profit ladder, trailing stop, breakeven and time-out triggers
 *  (rules in exits.h). Stop before target everywhere: on a single price both cannot hold
 *  (sl < tp for a long), so the order only matters for a kline range, where the stop wins.
 */
#include "risk/exits.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/money.h"
#include "risk/sizing.h" /* RISK_PCT_SCALE */

risk_exit_t
risk_exits_check(const risk_position_t *p, int64_t lo, int64_t hi)
{
    assert(p);
    if (p->qty > 0) {
        if (p->sl_px > 0 && lo <= p->sl_px) {
            return RISK_EXIT_STOP;
        }
        if (p->tp_px > 0 && hi >= p->tp_px) {
            return RISK_EXIT_TAKE_PROFIT;
        }
    } else if (p->qty < 0) {
        if (p->sl_px > 0 && hi >= p->sl_px) {
            return RISK_EXIT_STOP;
        }
        if (p->tp_px > 0 && lo <= p->tp_px) {
            return RISK_EXIT_TAKE_PROFIT;
        }
    }
    return RISK_EXIT_NONE;
}

const char *
risk_exits_intent(risk_exit_t kind)
{
    switch (kind) {
    case RISK_EXIT_STOP:
        return "stop_loss";
    case RISK_EXIT_TAKE_PROFIT:
        return "take_profit";
    case RISK_EXIT_TRAIL:
        return "trailing_stop";
    case RISK_EXIT_BREAKEVEN:
        return "breakeven";
    case RISK_EXIT_TIMEOUT:
        return "timeout";
    case RISK_EXIT_NONE:
    default:
        return "";
    }
}

/* The slot for venue+symbol if it may fire, or NULL. */
static risk_position_t *
s_armed(const risk_exits_cfg_t *cfg, risk_positions_t *pos, const char *venue, const char *symbol)
{
    risk_position_t *p = risk_positions_get(pos, venue, symbol);
    if (!p || p->qty == 0 || p->exit_pending || p->exit_rejects >= RISK_EXIT_MAX_REJECTS
        || (!cfg && p->sl_px == 0 && p->tp_px == 0)) {
        return NULL;
    }
    return p;
}

/* px at `scale` to the position's scale, rounded against the position (conservative). */
static int
s_to_pos_scale(const risk_position_t *p, int64_t px, int scale, int64_t *out)
{
    money_round_t mode = p->qty > 0 ? MONEY_ROUND_DOWN : MONEY_ROUND_UP;
    return money_rescale(px, scale, p->px_scale, mode, out);
}

/* entry * (1 + sgn * pct / 100) at the position's px scale; long targets up, short down.
 * Rounded toward the entry (a level never further than configured). -1 on overflow. */
static int
s_level(const risk_position_t *p, int64_t pct, int sgn, int64_t *out)
{
    int64_t d;
    if (money_mul(p->entry_px, p->px_scale, pct, RISK_PCT_SCALE + 2, p->px_scale, MONEY_ROUND_DOWN,
                  &d)
        != 0) {
        return -1;
    }
    *out = p->entry_px + (int64_t)sgn * d;
    return 0;
}

/* entry + sgn * (|tp_px - entry| * pct / 100) at the position's px scale, rounded toward the
 * entry. -1 without a target on the winning side, or on overflow. */
static int
s_tlevel(const risk_position_t *p, int64_t pct, int sgn, int64_t *out)
{
    int64_t dist = sgn * (p->tp_px - p->entry_px), d;
    if (p->tp_px <= 0 || dist <= 0
        || money_mul(dist, p->px_scale, pct, RISK_PCT_SCALE + 2, p->px_scale, MONEY_ROUND_DOWN, &d)
               != 0) {
        return -1;
    }
    *out = p->entry_px + (int64_t)sgn * d;
    return 0;
}

static int
s_out(risk_position_t *p, risk_exit_t kind, int64_t qty, int64_t trigger, int rung,
      risk_exit_order_t *out)
{
    int64_t aq = p->qty > 0 ? p->qty : -p->qty;
    if (qty <= 0 || qty > aq) {
        qty = aq;
    }
    p->exit_pending = true;
    p->exit_qty = qty;
    snprintf(p->exit_intent, sizeof p->exit_intent, "%s", risk_exits_intent(kind));
    out->pos = p;
    out->kind = kind;
    out->intent = risk_exits_intent(kind);
    out->side = p->qty > 0 ? -1 : 1;
    out->qty = qty;
    out->trigger_px = trigger;
    out->rung = rung;
    return 1;
}

/* Trailing stop level from best: long floor(best * (1 - dist)), short ceil(best * (1 + dist))
 * (the distance is rounded up to the px mantissa). */
static int
s_trail_stop(const risk_exits_cfg_t *cfg, const risk_position_t *p, int64_t *out)
{
    int64_t d;
    if (money_mul(p->best_px, p->px_scale, cfg->trail_dist_pct, RISK_PCT_SCALE + 2, p->px_scale,
                  MONEY_ROUND_UP, &d)
        != 0) {
        return -1;
    }
    *out = p->qty > 0 ? p->best_px - d : p->best_px + d;
    return 0;
}

int
risk_exits_eval(const risk_exits_cfg_t *cfg, risk_position_t *p, int64_t lo, int64_t hi,
                int64_t evt, bool bar_closed, risk_exit_order_t *out)
{
    assert(p && out);
    if (!cfg) {
        risk_exit_t kind = risk_exits_check(p, lo, hi);
        if (kind == RISK_EXIT_NONE) {
            return 0;
        }
        int64_t trig = kind == RISK_EXIT_STOP ? (p->qty > 0 ? lo : hi) : (p->qty > 0 ? hi : lo);
        return s_out(p, kind, 0, trig, -1, out);
    }
    bool lng = p->qty > 0;
    int sgn = lng ? 1 : -1;
    int64_t adverse = lng ? lo : hi, favour = lng ? hi : lo;
    if (bar_closed) {
        p->bars++;
    }
    /* 1. time-out */
    if ((cfg->timeout_bars > 0 && p->bars >= cfg->timeout_bars)
        || (cfg->timeout_ns > 0 && p->open_evt > 0 && evt - p->open_evt >= cfg->timeout_ns)) {
        return s_out(p, RISK_EXIT_TIMEOUT, 0, lng ? lo : hi, -1, out);
    }
    /* 2. the binding stop */
    risk_exit_t skind = RISK_EXIT_STOP;
    int64_t stop = p->sl_px;
    if (p->be_done && p->entry_px > 0
        && (stop == 0 || (lng ? p->entry_px > stop : p->entry_px < stop))) {
        stop = p->entry_px;
        skind = RISK_EXIT_BREAKEVEN;
    }
    int64_t ts;
    if (p->trail_on && s_trail_stop(cfg, p, &ts) == 0
        && (stop == 0 || (lng ? ts > stop : ts < stop))) {
        stop = ts;
        skind = RISK_EXIT_TRAIL;
    }
    if (stop > 0 && (lng ? adverse <= stop : adverse >= stop)) {
        return s_out(p, skind, 0, adverse, -1, out);
    }
    /* 3. breakeven and trailing activation (take effect from the next update) */
    int64_t lvl;
    if (cfg->be_trigger_pct > 0 && !p->be_done && p->entry_px > 0
        && s_level(p, cfg->be_trigger_pct, sgn, &lvl) == 0
        && (lng ? favour >= lvl : favour <= lvl)) {
        p->be_done = true;
    }
    if (cfg->trail_activate_pct > 0 && cfg->trail_dist_pct > 0 && p->entry_px > 0) {
        if (!p->trail_on && s_level(p, cfg->trail_activate_pct, sgn, &lvl) == 0
            && (lng ? favour >= lvl : favour <= lvl)) {
            p->trail_on = true;
            p->best_px = favour;
        } else if (p->trail_on && (lng ? favour > p->best_px : favour < p->best_px)) {
            p->best_px = favour;
        }
    }
    /* 4. take profit */
    if (cfg->n_tp > 0) {
        int k = p->tp_stage;
        int64_t sum = 0;
        for (int i = 0; i < cfg->n_tp; i++) {
            sum += cfg->tp_close_pct[i];
        }
        if (k < cfg->n_tp && p->entry_px > 0
            && (cfg->tp_of_target ? s_tlevel(p, cfg->tp_pct[k], sgn, &lvl)
                                  : s_level(p, cfg->tp_pct[k], sgn, &lvl))
                   == 0
            && (lng ? favour >= lvl : favour <= lvl)) {
            int64_t q = 0;
            if (k < cfg->n_tp - 1 || sum < 100 * money_pow10(RISK_PCT_SCALE)) {
                int64_t raw;
                if (money_mul(p->open_qty, p->qty_scale, cfg->tp_close_pct[k], RISK_PCT_SCALE + 2,
                              p->qty_scale, MONEY_ROUND_DOWN, &raw)
                        != 0
                    || money_round_to(raw, p->step > 0 ? p->step : 1, MONEY_ROUND_DOWN, &q) != 0) {
                    q = 0;
                }
                if (q <= 0) {
                    p->tp_stage++; /* rung too small for one step: skip it */
                    return 0;
                }
            }
            return s_out(p, RISK_EXIT_TAKE_PROFIT, q, favour, k, out);
        }
    } else if (p->tp_px > 0 && (lng ? favour >= p->tp_px : favour <= p->tp_px)) {
        return s_out(p, RISK_EXIT_TAKE_PROFIT, 0, favour, -1, out);
    }
    return 0;
}

int
risk_exits_on_trade_cfg(const risk_exits_cfg_t *cfg, risk_positions_t *pos,
                        const codec_md_trade_t *t, int64_t evt, risk_exit_order_t *out)
{
    assert(pos && t && out);
    risk_position_t *p = s_armed(cfg, pos, t->venue, t->symbol);
    int64_t px;
    if (!p || s_to_pos_scale(p, t->px, t->px_scale, &px) != 0) {
        return 0;
    }
    return risk_exits_eval(cfg, p, px, px, evt, false, out);
}

int
risk_exits_on_book_cfg(const risk_exits_cfg_t *cfg, risk_positions_t *pos, const codec_md_book_t *b,
                       int64_t evt, risk_exit_order_t *out)
{
    assert(pos && b && out);
    risk_position_t *p = s_armed(cfg, pos, b->venue, b->symbol);
    if (!p) {
        return 0;
    }
    /* a long exits by selling into the bid, a short by buying the ask */
    bool long_pos = p->qty > 0;
    uint32_t n = long_pos ? b->n_bids : b->n_asks;
    if (n == 0) {
        return 0;
    }
    int64_t px;
    if (s_to_pos_scale(p, long_pos ? b->bids[0].px : b->asks[0].px, b->px_scale, &px) != 0) {
        return 0;
    }
    return risk_exits_eval(cfg, p, px, px, evt, false, out);
}

int
risk_exits_on_kline_cfg(const risk_exits_cfg_t *cfg, risk_positions_t *pos,
                        const codec_md_kline_t *k, int64_t evt, risk_exit_order_t *out)
{
    assert(pos && k && out);
    risk_position_t *p = s_armed(cfg, pos, k->venue, k->symbol);
    int64_t lo, hi;
    if (!p || s_to_pos_scale(p, k->low, k->px_scale, &lo) != 0
        || s_to_pos_scale(p, k->high, k->px_scale, &hi) != 0) {
        return 0;
    }
    return risk_exits_eval(cfg, p, lo, hi, evt, k->closed, out);
}

int
risk_exits_on_trade(risk_positions_t *pos, const codec_md_trade_t *t, risk_exit_order_t *out)
{
    return risk_exits_on_trade_cfg(NULL, pos, t, 0, out);
}

int
risk_exits_on_book(risk_positions_t *pos, const codec_md_book_t *b, risk_exit_order_t *out)
{
    return risk_exits_on_book_cfg(NULL, pos, b, 0, out);
}

int
risk_exits_on_kline(risk_positions_t *pos, const codec_md_kline_t *k, risk_exit_order_t *out)
{
    return risk_exits_on_kline_cfg(NULL, pos, k, 0, out);
}

int64_t
risk_exits_stop(const risk_exits_cfg_t *cfg, const risk_position_t *p)
{
    assert(p);
    bool lng = p->qty > 0;
    int64_t stop = p->sl_px;
    if (p->be_done && p->entry_px > 0
        && (stop == 0 || (lng ? p->entry_px > stop : p->entry_px < stop))) {
        stop = p->entry_px;
    }
    int64_t ts;
    if (cfg && p->trail_on && s_trail_stop(cfg, p, &ts) == 0 && ts > 0
        && (stop == 0 || (lng ? ts > stop : ts < stop))) {
        stop = ts;
    }
    return stop;
}
