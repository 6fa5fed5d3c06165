/*  fmt.c - bodies to JSON with decimals (contract in fmt.h). */
#include "gateway/fmt.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/money.h"

json_t *
fmt_money(int64_t m, int scale)
{
    char buf[48];
    if (scale < 0 || scale > MONEY_MAX_SCALE || money_fmt(m, scale, buf, sizeof buf) < 0) {
        return NULL;
    }
    return json_string(buf);
}

json_t *
fmt_px_opt(int64_t m, int scale)
{
    return m == 0 ? json_null() : fmt_money(m, scale);
}

json_t *
fmt_value(int64_t m)
{
    return fmt_money(m, MONEY_VALUE_SCALE);
}

const char *
fmt_side(int side)
{
    return side > 0 ? "buy" : side < 0 ? "sell" : "none";
}

/* set o[key] = v (NULL v: null); a failed set only loses the field */
static void
s_set(json_t *o, const char *key, json_t *v)
{
    (void)json_object_set_new(o, key, v ? v : json_null());
}

static void
s_time(json_t *o, int64_t evt)
{
    char iso[32];
    s_set(o, "evt", json_integer(evt));
    s_set(o, "time", evt > 0 ? json_string(clock_fmt_iso(evt, iso, sizeof iso)) : json_null());
}

static json_t *
s_order(const codec_exec_order_t *b)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    s_set(o, "client_id", json_string(b->client_id));
    s_set(o, "order_id", json_string(b->order_id));
    s_set(o, "venue", json_string(b->venue));
    s_set(o, "symbol", json_string(b->symbol));
    s_set(o, "status", json_string(b->status));
    s_set(o, "reject_reason", json_string(b->reject_reason));
    s_set(o, "side", json_string(fmt_side(b->side)));
    s_set(o, "type", json_string(b->type == CODEC_ORD_LIMIT ? "limit" : "market"));
    s_set(o, "reduce_only", json_boolean(b->reduce_only));
    s_set(o, "qty", fmt_money(b->qty, b->qty_scale));
    s_set(o, "px", fmt_px_opt(b->px, b->px_scale));
    s_set(o, "cum_qty", fmt_money(b->cum_qty, b->qty_scale));
    s_set(o, "avg_px", fmt_px_opt(b->avg_px, b->px_scale));
    s_set(o, "fee", fmt_value(b->fee));
    s_time(o, b->ts_event);
    return o;
}

static json_t *
s_fill(const codec_exec_fill_t *b)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    s_set(o, "client_id", json_string(b->client_id));
    s_set(o, "order_id", json_string(b->order_id));
    s_set(o, "fill_id", json_string(b->fill_id));
    s_set(o, "venue", json_string(b->venue));
    s_set(o, "symbol", json_string(b->symbol));
    s_set(o, "side", json_string(fmt_side(b->side)));
    s_set(o, "maker", json_boolean(b->maker));
    s_set(o, "px", fmt_money(b->px, b->px_scale));
    s_set(o, "qty", fmt_money(b->qty, b->qty_scale));
    s_set(o, "fee", fmt_value(b->fee));
    s_set(o, "realized_pnl", fmt_value(b->realized_pnl));
    s_time(o, b->ts_event);
    return o;
}

static json_t *
s_position(const codec_exec_position_t *b)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    s_set(o, "venue", json_string(b->venue));
    s_set(o, "symbol", json_string(b->symbol));
    s_set(o, "side", json_string(b->qty > 0 ? "long" : b->qty < 0 ? "short" : "flat"));
    s_set(o, "qty", fmt_money(b->qty, b->qty_scale));
    s_set(o, "entry_px", fmt_px_opt(b->entry_px, b->px_scale));
    s_set(o, "mark_px", fmt_px_opt(b->mark_px, b->px_scale));
    s_set(o, "unrealized_pnl", fmt_value(b->unrealized_pnl));
    s_set(o, "realized_pnl", fmt_value(b->realized_pnl));
    s_time(o, b->ts_event);
    return o;
}

static json_t *
s_balance(const codec_exec_balance_t *b)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    s_set(o, "venue", json_string(b->venue));
    s_set(o, "asset", json_string(b->asset));
    s_set(o, "wallet", fmt_value(b->wallet));
    s_set(o, "available", fmt_value(b->available));
    s_set(o, "equity", fmt_value(b->equity));
    s_set(o, "fees", fmt_value(b->fees));
    s_time(o, b->ts_event);
    return o;
}

static json_t *
s_rstate(const codec_risk_state_t *b)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    s_set(o, "state", json_string(b->state));
    s_set(o, "reason", json_string(b->reason));
    s_set(o, "equity", fmt_value(b->equity));
    s_set(o, "equity_peak", fmt_value(b->equity_peak));
    s_set(o, "daily_pnl", fmt_value(b->daily_pnl));
    s_set(o, "drawdown", fmt_value(b->drawdown));
    s_set(o, "open_positions", json_integer(b->open_positions));
    s_set(o, "trades_today", json_integer(b->trades_today));
    s_time(o, b->ts_event);
    return o;
}

static json_t *
s_rorder(const codec_risk_order_t *b)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    s_set(o, "client_id", json_string(b->client_id));
    s_set(o, "strategy", json_string(b->strategy));
    s_set(o, "venue", json_string(b->venue));
    s_set(o, "symbol", json_string(b->symbol));
    s_set(o, "intent", json_string(b->intent));
    s_set(o, "side", json_string(fmt_side(b->side)));
    s_set(o, "type", json_string(b->type == CODEC_ORD_LIMIT ? "limit" : "market"));
    s_set(o, "reduce_only", json_boolean(b->reduce_only));
    s_set(o, "qty", fmt_money(b->qty, b->qty_scale));
    s_set(o, "px", fmt_px_opt(b->px, b->px_scale));
    s_set(o, "sl_px", fmt_px_opt(b->sl_px, b->px_scale));
    s_set(o, "tp_px", fmt_px_opt(b->tp_px, b->px_scale));
    s_set(o, "trigger_px", fmt_px_opt(b->trigger_px, b->px_scale));
    s_time(o, b->ts_event);
    return o;
}

static json_t *
s_signal(const codec_sig_signal_t *b)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    s_set(o, "strategy", json_string(b->strategy));
    s_set(o, "venue", json_string(b->venue));
    s_set(o, "symbol", json_string(b->symbol));
    s_set(o, "side", json_string(fmt_side(b->side)));
    s_set(o, "confidence", json_real(b->confidence));
    s_set(o, "ref_px", fmt_px_opt(b->ref_px, b->px_scale));
    s_set(o, "sl_px", fmt_px_opt(b->sl_px, b->px_scale));
    s_set(o, "tp_px", fmt_px_opt(b->tp_px, b->px_scale));
    s_set(o, "reason", json_string(b->reason));
    s_time(o, b->ts_event);
    return o;
}

json_t *
fmt_body(codec_type_t type, const void *body)
{
    const codec_body_t *u = body;
    json_t *o = NULL;
    switch (type) {
    case CODEC_EXEC_ORDER:
        return s_order(&u->xorder);
    case CODEC_EXEC_FILL:
        return s_fill(&u->fill);
    case CODEC_EXEC_POSITION:
        return s_position(&u->position);
    case CODEC_EXEC_BALANCE:
        return s_balance(&u->balance);
    case CODEC_RISK_STATE:
        return s_rstate(&u->rstate);
    case CODEC_RISK_ORDER:
        return s_rorder(&u->order);
    case CODEC_SIG_SIGNAL:
        return s_signal(&u->signal);
    case CODEC_RISK_REJECT:
        o = json_pack("{s:s, s:s, s:s, s:s}", "client_id", u->reject.client_id, "strategy",
                      u->reject.strategy, "symbol", u->reject.symbol, "reason", u->reject.reason);
        if (o) {
            s_time(o, u->reject.ts_event);
        }
        return o;
    case CODEC_RISK_ALERT:
        o = json_pack("{s:s, s:s, s:s}", "level", u->alert.level, "code", u->alert.code, "text",
                      u->alert.text);
        if (o) {
            s_time(o, u->alert.ts_event);
        }
        return o;
    case CODEC_MD_STATUS:
        o = json_pack("{s:s, s:s, s:s, s:s}", "venue", u->status.venue, "symbol", u->status.symbol,
                      "state", u->status.state, "reason", u->status.reason);
        if (o) {
            s_time(o, u->status.ts_event);
        }
        return o;
    default:
        return NULL;
    }
}
