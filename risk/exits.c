/*  exits.c - stop-loss / take-profit triggers (rules in exits.h).
 *  Stop before target everywhere: on a single price both cannot hold (sl < tp for a long),
 *  so the order only matters for a kline range, where the stop must win.
 */
#include "risk/exits.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/money.h"

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
    case RISK_EXIT_NONE:
    default:
        return "";
    }
}

/* The armed slot for venue+symbol, or NULL. */
static risk_position_t *
s_armed(risk_positions_t *pos, const char *venue, const char *symbol)
{
    risk_position_t *p = risk_positions_get(pos, venue, symbol);
    if (!p || p->qty == 0 || p->exit_pending || p->exit_rejects >= RISK_EXIT_MAX_REJECTS
        || (p->sl_px == 0 && p->tp_px == 0)) {
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

static int
s_fire(risk_position_t *p, int64_t lo, int64_t hi, risk_exit_order_t *out)
{
    risk_exit_t kind = risk_exits_check(p, lo, hi);
    if (kind == RISK_EXIT_NONE) {
        return 0;
    }
    p->exit_pending = true;
    snprintf(p->exit_intent, sizeof p->exit_intent, "%s", risk_exits_intent(kind));
    out->pos = p;
    out->kind = kind;
    out->intent = risk_exits_intent(kind);
    out->side = p->qty > 0 ? -1 : 1;
    out->qty = p->qty > 0 ? p->qty : -p->qty;
    out->trigger_px = kind == RISK_EXIT_STOP ? (p->qty > 0 ? lo : hi) : (p->qty > 0 ? hi : lo);
    return 1;
}

int
risk_exits_on_trade(risk_positions_t *pos, const codec_md_trade_t *t, risk_exit_order_t *out)
{
    assert(pos && t && out);
    risk_position_t *p = s_armed(pos, t->venue, t->symbol);
    int64_t px;
    if (!p || s_to_pos_scale(p, t->px, t->px_scale, &px) != 0) {
        return 0;
    }
    return s_fire(p, px, px, out);
}

int
risk_exits_on_book(risk_positions_t *pos, const codec_md_book_t *b, risk_exit_order_t *out)
{
    assert(pos && b && out);
    risk_position_t *p = s_armed(pos, b->venue, b->symbol);
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
    return s_fire(p, px, px, out);
}

int
risk_exits_on_kline(risk_positions_t *pos, const codec_md_kline_t *k, risk_exit_order_t *out)
{
    assert(pos && k && out);
    risk_position_t *p = s_armed(pos, k->venue, k->symbol);
    int64_t lo, hi;
    if (!p || s_to_pos_scale(p, k->low, k->px_scale, &lo) != 0
        || s_to_pos_scale(p, k->high, k->px_scale, &hi) != 0) {
        return 0;
    }
    return s_fire(p, lo, hi, out);
}
