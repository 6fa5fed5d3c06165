/*  view.c - the gateway's picture of the group (contract in view.h). */
#include "gateway/view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/codec.h"
#include "common/money.h"
#include "gateway/fmt.h"

#define S_STAGES_MAX 32
#define S_POS_MAX    128
#define S_BAL_MAX    32
#define S_EQ_MAX     4096

typedef struct {
    char name[CODEC_SRC_MAX];
    char state[CODEC_NAME_MAX];
    int64_t uptime_ms;
    int64_t seen_ns; /* wall clock at receipt of its last sys.hb */
    json_t *counters;
} s_stage_t;

typedef struct {
    char key[CODEC_VENUE_MAX + CODEC_SYM_MAX + 2];
    int64_t qty;
    int32_t qty_scale, px_scale;
    int64_t opened_evt;
    int64_t realized, unrealized; /* VALUE scale */
    int64_t emitted_ns;           /* wall clock of the last "positions:updated" event */
} s_pos_t;

typedef struct {
    char key[CODEC_VENUE_MAX + 16];
    int64_t equity, fees;
} s_bal_t;

typedef struct {
    int64_t evt, equity;
} s_eq_t;

typedef struct {
    char name[CODEC_NAME_MAX];
    uint64_t signals, orders, rejects, fills;
    int64_t realized, fees; /* VALUE scale */
    json_t *last_signal;
} s_strat_t;

typedef struct {
    char id[CODEC_ID_MAX];
    uint16_t strat;   /* index into strats */
    int64_t order_ts; /* the risk.order's publish time, ns (0 once its ack was measured) */
} s_id_t;

#define S_ALERT_CODES 64
typedef struct {
    char level[12], code[CODEC_NAME_MAX];
    uint64_t n;
} s_acount_t;

struct view {
    size_t keep;
    s_stage_t stages[S_STAGES_MAX];
    size_t n_stages;
    json_t *venues; /* {venue: {...}} */
    json_t *risk;   /* formatted risk.state or NULL */
    codec_risk_state_t rs;
    bool rs_known;
    json_t *positions; /* {"venue:symbol": formatted exec.position} */
    s_pos_t pos[S_POS_MAX];
    size_t n_pos;
    json_t *orders;                   /* {client_id: formatted exec.order} */
    json_t *order_ids;                /* [client_id ...] oldest first, bounded */
    json_t *fills, *signals, *alerts; /* oldest first, bounded */
    json_t *balances;                 /* {"venue:asset": formatted} */
    s_bal_t bal[S_BAL_MAX];
    size_t n_bal;
    s_eq_t eq[S_EQ_MAX];
    size_t eq_n, eq_head; /* ring: eq_head = index of the oldest */
    view_stats_t st;
    metrics_hist_t lat_signal, lat_order, lat_fill;
    s_strat_t strats[VIEW_STRATEGIES_MAX];
    size_t n_strats;
    s_id_t ids[VIEW_IDS_MAX]; /* ring of client id -> strategy */
    size_t ids_n, ids_next;
    metrics_hist_t lat_ack; /* risk.order publish -> exec.order (first answer) publish */
    s_acount_t acounts[S_ALERT_CODES];
    size_t n_acounts;
};

static s_strat_t *
s_strat(view_t *self, const char *name)
{
    for (size_t i = 0; i < self->n_strats; i++) {
        if (strcmp(self->strats[i].name, name) == 0) {
            return &self->strats[i];
        }
    }
    if (self->n_strats == VIEW_STRATEGIES_MAX || name[0] == '\0') {
        return NULL;
    }
    s_strat_t *st = &self->strats[self->n_strats++];
    (void)snprintf(st->name, sizeof st->name, "%s", name);
    return st;
}

static s_strat_t *
s_strat_of_id(view_t *self, const char *client_id)
{
    /* a fill's id may carry a suffix after the order's (risk's ".s"/".t" exits keep the
     * entry's prefix): match the longest kept id that is a prefix followed by '.' or the end */
    for (size_t k = 0; k < self->ids_n; k++) {
        const s_id_t *x = &self->ids[k];
        size_t n = strlen(x->id);
        if (strncmp(client_id, x->id, n) == 0 && (client_id[n] == '\0' || client_id[n] == '.')) {
            return &self->strats[x->strat];
        }
    }
    return NULL;
}

static json_t *
s_new_list(void)
{
    return json_array();
}

view_t *
view_new(size_t keep)
{
    if (keep == 0) {
        errno = EINVAL;
        return NULL;
    }
    view_t *self = calloc(1, sizeof *self);
    if (self == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    self->keep = keep;
    self->venues = json_object();
    self->positions = json_object();
    self->orders = json_object();
    self->order_ids = s_new_list();
    self->fills = s_new_list();
    self->signals = s_new_list();
    self->alerts = s_new_list();
    self->balances = json_object();
    if (!self->venues || !self->positions || !self->orders || !self->order_ids || !self->fills
        || !self->signals || !self->alerts || !self->balances) {
        view_destroy(&self);
        errno = ENOMEM;
        return NULL;
    }
    return self;
}

void
view_destroy(view_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    view_t *self = *self_p;
    for (size_t i = 0; i < self->n_stages; i++) {
        json_decref(self->stages[i].counters);
    }
    for (size_t i = 0; i < self->n_strats; i++) {
        json_decref(self->strats[i].last_signal);
    }
    json_decref(self->venues);
    json_decref(self->risk);
    json_decref(self->positions);
    json_decref(self->orders);
    json_decref(self->order_ids);
    json_decref(self->fills);
    json_decref(self->signals);
    json_decref(self->alerts);
    json_decref(self->balances);
    free(self);
    *self_p = NULL;
}

/* append (stolen) to a bounded list */
static void
s_append(view_t *self, json_t *list, json_t *v)
{
    if (v == NULL) {
        return;
    }
    (void)json_array_append_new(list, v);
    while (json_array_size(list) > self->keep) {
        (void)json_array_remove(list, 0);
    }
}

static json_t *
s_newest_first(const json_t *list)
{
    json_t *out = json_array();
    for (size_t i = json_array_size(list); out && i-- > 0;) {
        (void)json_array_append_new(out, json_deep_copy(json_array_get(list, i)));
    }
    return out;
}

static void
s_emit(view_emit_fn *emit, void *arg, const char *event, json_t *data)
{
    if (emit && data) {
        emit(event, data, arg);
    }
}

static void
s_hb(view_t *self, const codec_sys_hb_t *hb, const char *src, int64_t now_ns)
{
    s_stage_t *s = NULL;
    for (size_t i = 0; i < self->n_stages && !s; i++) {
        if (strcmp(self->stages[i].name, src) == 0) {
            s = &self->stages[i];
        }
    }
    if (s == NULL) {
        if (self->n_stages == S_STAGES_MAX) {
            return;
        }
        s = &self->stages[self->n_stages++];
        (void)snprintf(s->name, sizeof s->name, "%s", src);
    }
    (void)snprintf(s->state, sizeof s->state, "%s", hb->state);
    s->uptime_ms = hb->uptime_ms;
    s->seen_ns = now_ns;
    json_decref(s->counters);
    s->counters = json_object();
    for (uint32_t i = 0; s->counters && i < hb->n && i < CODEC_COUNTERS; i++) {
        (void)json_object_set_new(s->counters, hb->names[i], json_integer(hb->values[i]));
    }
}

static s_pos_t *
s_pos(view_t *self, const char *venue, const char *symbol)
{
    char key[sizeof self->pos[0].key];
    (void)snprintf(key, sizeof key, "%s:%s", venue, symbol);
    for (size_t i = 0; i < self->n_pos; i++) {
        if (strcmp(self->pos[i].key, key) == 0) {
            return &self->pos[i];
        }
    }
    if (self->n_pos == S_POS_MAX) {
        return NULL;
    }
    s_pos_t *p = &self->pos[self->n_pos++];
    memset(p, 0, sizeof *p);
    (void)snprintf(p->key, sizeof p->key, "%s", key);
    return p;
}

/* trade:opened / trade:closed from a position's move away from / back to flat */
/* Returns whether to emit the "positions:updated" event: always when the quantity changed, else (a
 * mark update) at most every VIEW_POSITION_EVERY_MS per position. */
static bool
s_position(view_t *self, const codec_exec_position_t *b, json_t *o, int64_t now_ns,
           view_emit_fn *emit, void *arg)
{
    s_pos_t *p = s_pos(self, b->venue, b->symbol);
    if (p == NULL) {
        return true;
    }
    int64_t was = p->qty;
    bool crossed = (was > 0 && b->qty < 0) || (was < 0 && b->qty > 0);
    if (was != 0 && (b->qty == 0 || crossed)) {
        json_t *t = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I}", "venue", b->venue, "symbol",
                              b->symbol, "side", was > 0 ? "long" : "short", "qty",
                              fmt_money(was < 0 ? -was : was, p->qty_scale), "realized_pnl",
                              fmt_value(b->realized_pnl - p->realized), "opened_evt",
                              (json_int_t)p->opened_evt);
        if (t) {
            (void)json_object_set_new(t, "evt", json_integer(b->ts_event));
            s_emit(emit, arg, "trade:closed", t);
            json_decref(t);
        }
    }
    if (b->qty != 0 && (was == 0 || crossed)) {
        json_t *t = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I}", "venue", b->venue, "symbol",
                              b->symbol, "side", b->qty > 0 ? "long" : "short", "qty",
                              fmt_money(b->qty < 0 ? -b->qty : b->qty, b->qty_scale), "entry_px",
                              fmt_px_opt(b->entry_px, b->px_scale), "evt", (json_int_t)b->ts_event);
        if (t) {
            s_emit(emit, arg, "trade:opened", t);
            json_decref(t);
        }
        p->opened_evt = b->ts_event;
        p->realized = b->realized_pnl; /* the closed trip's PnL is what it adds to this */
    }
    bool due = b->qty != was || now_ns - p->emitted_ns >= VIEW_POSITION_EVERY_MS * 1000000LL;
    if (due) {
        p->emitted_ns = now_ns;
    }
    p->qty = b->qty;
    p->qty_scale = b->qty_scale;
    p->px_scale = b->px_scale;
    p->unrealized = b->unrealized_pnl;
    (void)json_object_set(self->positions, p->key, o);
    return due;
}

static void
s_balance(view_t *self, const codec_exec_balance_t *b, json_t *o)
{
    char key[sizeof self->bal[0].key];
    (void)snprintf(key, sizeof key, "%s:%s", b->venue, b->asset);
    s_bal_t *x = NULL;
    for (size_t i = 0; i < self->n_bal && !x; i++) {
        if (strcmp(self->bal[i].key, key) == 0) {
            x = &self->bal[i];
        }
    }
    if (x == NULL && self->n_bal < S_BAL_MAX) {
        x = &self->bal[self->n_bal++];
        (void)snprintf(x->key, sizeof x->key, "%s", key);
    }
    if (x == NULL) {
        return;
    }
    x->equity = b->equity;
    x->fees = b->fees;
    (void)json_object_set(self->balances, key, o);
    int64_t sum = 0;
    for (size_t i = 0; i < self->n_bal; i++) {
        sum += self->bal[i].equity;
    }
    self->st.equity_known = true;
    size_t at = (self->eq_head + self->eq_n) % S_EQ_MAX;
    if (self->eq_n == S_EQ_MAX) {
        self->eq_head = (self->eq_head + 1) % S_EQ_MAX;
    } else {
        self->eq_n++;
    }
    self->eq[at].evt = b->ts_event;
    self->eq[at].equity = sum;
}

int
view_add(view_t *self, const bus_msg_t *msg, int64_t now_ns, view_emit_fn *emit, void *arg)
{
    static codec_body_t body; /* one thread; large */
    switch (msg->topic[0]) {
    case 'm':
        self->st.msgs_md++;
        break;
    case 's':
        if (strncmp(msg->topic, "sys.", 4) == 0) {
            self->st.msgs_sys++;
        } else {
            self->st.msgs_sig++;
        }
        break;
    case 'r':
        if (strncmp(msg->topic, "rec.", 4) == 0) {
            self->st.msgs_rec++;
        } else {
            self->st.msgs_risk++;
        }
        break;
    case 'e':
        self->st.msgs_exec++;
        break;
    default:
        break;
    }
    switch (msg->type) {
    case CODEC_SYS_HB:
    case CODEC_EXEC_ORDER:
    case CODEC_EXEC_FILL:
    case CODEC_EXEC_POSITION:
    case CODEC_EXEC_BALANCE:
    case CODEC_RISK_STATE:
    case CODEC_RISK_ORDER:
    case CODEC_RISK_REJECT:
    case CODEC_RISK_ALERT:
    case CODEC_SIG_SIGNAL:
    case CODEC_MD_STATUS:
        break;
    default:
        return 0; /* not shown */
    }
    if (msg->env.origin > 0 && msg->env.ts >= msg->env.origin
        && (msg->type == CODEC_SIG_SIGNAL || msg->type == CODEC_RISK_ORDER
            || msg->type == CODEC_EXEC_FILL)) {
        metrics_hist_t *h = msg->type == CODEC_SIG_SIGNAL   ? &self->lat_signal
                            : msg->type == CODEC_RISK_ORDER ? &self->lat_order
                                                            : &self->lat_fill;
        metrics_hist_add(h, (double)(msg->env.ts - msg->env.origin) / 1e9);
    }
    if (codec_decode(msg->data, msg->len, msg->type, NULL, &body) != 0) {
        self->st.bad++;
        errno = EPROTO;
        return -1;
    }
    if (msg->type == CODEC_SYS_HB) {
        s_hb(self, &body.hb, msg->env.src, now_ns);
        return 0;
    }
    json_t *o = fmt_body(msg->type, &body);
    if (o == NULL) {
        errno = ENOMEM;
        return -1;
    }
    switch (msg->type) {
    case CODEC_EXEC_ORDER: {
        for (size_t k = 0; k < self->ids_n; k++) { /* order -> ack: its first exec.order */
            s_id_t *x = &self->ids[k];
            if (x->order_ts > 0 && strcmp(x->id, body.xorder.client_id) == 0) {
                if (msg->env.ts >= x->order_ts) {
                    metrics_hist_add(&self->lat_ack, (double)(msg->env.ts - x->order_ts) / 1e9);
                }
                x->order_ts = 0;
                break;
            }
        }
        bool known = json_object_get(self->orders, body.xorder.client_id) != NULL;
        (void)json_object_set(self->orders, body.xorder.client_id, o);
        if (!known) {
            s_append(self, self->order_ids, json_string(body.xorder.client_id));
            while (json_object_size(self->orders) > self->keep) { /* forget the oldest */
                json_t *first = json_array_get(self->order_ids, 0);
                (void)json_object_del(self->orders, json_string_value(first));
                (void)json_array_remove(self->order_ids, 0);
            }
        }
        s_emit(emit, arg, "order", o);
        break;
    }
    case CODEC_EXEC_FILL: {
        s_strat_t *st = s_strat_of_id(self, body.fill.client_id);
        if (st) {
            st->fills++;
            st->realized += body.fill.realized_pnl;
            st->fees += body.fill.fee;
            (void)json_object_set_new(o, "strategy", json_string(st->name));
        }
        s_append(self, self->fills, json_incref(o));
        s_emit(emit, arg, "fill", o);
        break;
    }
    case CODEC_EXEC_POSITION:
        if (s_position(self, &body.position, o, now_ns, emit, arg)) {
            s_emit(emit, arg, "positions:updated", o);
        }
        break;
    case CODEC_EXEC_BALANCE:
        s_balance(self, &body.balance, o);
        s_emit(emit, arg, "balance", o);
        break;
    case CODEC_RISK_STATE:
        json_decref(self->risk);
        self->risk = json_incref(o);
        self->rs = body.rstate;
        self->rs_known = true;
        (void)json_object_set_new(o, "topic", json_string(msg->topic));
        s_emit(emit, arg, "state:updated", o);
        break;
    case CODEC_RISK_ORDER:
    case CODEC_RISK_REJECT: {
        const char *sname =
            msg->type == CODEC_RISK_ORDER ? body.order.strategy : body.reject.strategy;
        s_strat_t *st = s_strat(self, sname);
        if (st && msg->type == CODEC_RISK_REJECT) {
            st->rejects++;
        } else if (st) {
            st->orders++;
            s_id_t *x = &self->ids[self->ids_next];
            (void)snprintf(x->id, sizeof x->id, "%s", body.order.client_id);
            x->strat = (uint16_t)(st - self->strats);
            x->order_ts = msg->env.ts;
            self->ids_next = (self->ids_next + 1) % VIEW_IDS_MAX;
            if (self->ids_n < VIEW_IDS_MAX) {
                self->ids_n++;
            }
        }
        (void)json_object_set_new(o, "topic", json_string(msg->topic));
        s_emit(emit, arg, "risk", o);
        break;
    }
    case CODEC_RISK_ALERT: {
        s_acount_t *ac = NULL;
        for (size_t k = 0; k < self->n_acounts && !ac; k++) {
            if (strcmp(self->acounts[k].code, body.alert.code) == 0
                && strcmp(self->acounts[k].level, body.alert.level) == 0) {
                ac = &self->acounts[k];
            }
        }
        if (ac == NULL && self->n_acounts < S_ALERT_CODES) {
            ac = &self->acounts[self->n_acounts++];
            (void)snprintf(ac->level, sizeof ac->level, "%s", body.alert.level);
            (void)snprintf(ac->code, sizeof ac->code, "%s", body.alert.code);
        }
        if (ac) {
            ac->n++;
        }
        (void)json_object_set_new(o, "topic", json_string(msg->topic));
        (void)json_object_set_new(o, "src", json_string(msg->env.src));
        s_append(self, self->alerts, json_incref(o));
        s_emit(emit, arg, "alert", o);
        break;
    }
    case CODEC_SIG_SIGNAL: {
        s_strat_t *st = s_strat(self, body.signal.strategy);
        if (st) {
            st->signals++;
            json_decref(st->last_signal);
            st->last_signal = json_incref(o);
        }
        s_append(self, self->signals, json_incref(o));
        s_emit(emit, arg, "signal", o);
        break;
    }
    case CODEC_MD_STATUS: {
        char key[64];
        bool exec = strncmp(msg->topic, "exec.", 5) == 0;
        (void)snprintf(key, sizeof key, "%s%s%s", body.status.venue,
                       body.status.symbol[0] ? ":" : "", body.status.symbol);
        (void)json_object_set_new(o, "source", json_string(exec ? "executor" : "feed"));
        (void)json_object_set_new(o, "src", json_string(msg->env.src));
        /* the executor's venue state and the feed's connection state are two entries */
        char k2[80];
        (void)snprintf(k2, sizeof k2, "%s/%s", exec ? "executor" : "feed", key);
        (void)json_object_set(self->venues, k2, o);
        s_emit(emit, arg, "venue", o);
        break;
    }
    default:
        break;
    }
    json_decref(o);
    return 0;
}

/* A history row's decimal field (the recorder gives "X" decimal strings and "X_m"). */
static json_t *
s_row_str(json_t *row, const char *key)
{
    json_t *v = json_object_get(row, key);
    return json_is_string(v) ? json_incref(v) : json_null();
}

int
view_seed(view_t *self, const char *q, const char *reply)
{
    json_t *doc = json_loads(reply, 0, NULL);
    if (doc == NULL || !json_is_true(json_object_get(doc, "ok"))) {
        json_decref(doc);
        errno = EPROTO;
        return -1;
    }
    size_t i;
    json_t *row;
    if (strcmp(q, "positions") == 0) {
        json_array_foreach(json_object_get(doc, "positions"), i, row)
        {
            const char *venue = json_string_value(json_object_get(row, "venue"));
            const char *symbol = json_string_value(json_object_get(row, "symbol"));
            json_t *qm = json_object_get(row, "qty_m");
            if (!venue || !symbol || !json_is_integer(qm)) {
                continue;
            }
            char key[80];
            (void)snprintf(key, sizeof key, "%s:%s", venue, symbol);
            if (json_object_get(self->positions, key)) {
                continue; /* seen live already: newer */
            }
            int64_t qty = json_integer_value(qm);
            json_t *o = json_pack(
                "{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:O}", "venue", venue, "symbol", symbol,
                "side",
                qty > 0   ? "long"
                : qty < 0 ? "short"
                          : "flat",
                "qty", s_row_str(row, "qty"), "entry_px", s_row_str(row, "entry_px"), "mark_px",
                s_row_str(row, "mark_px"), "unrealized_pnl", s_row_str(row, "unrealized_pnl"),
                "realized_pnl", s_row_str(row, "realized_pnl"), "evt", json_object_get(row, "evt"));
            s_pos_t *p = s_pos(self, venue, symbol);
            if (o && p) {
                p->qty = qty;
                json_t *qs = json_object_get(row, "qty_scale");
                p->qty_scale = (int32_t)json_integer_value(qs);
                (void)json_object_set(self->positions, key, o);
            }
            json_decref(o);
        }
    } else if (strcmp(q, "open_orders") == 0) {
        json_array_foreach(json_object_get(doc, "orders"), i, row)
        {
            const char *id = json_string_value(json_object_get(row, "client_id"));
            if (!id || json_object_get(self->orders, id)) {
                continue;
            }
            json_t *side = json_object_get(row, "side");
            json_t *o = json_pack(
                "{s:s, s:O, s:O, s:O, s:O, s:s, s:O, s:o, s:o, s:o, s:o, s:o, s:O}", "client_id",
                id, "order_id", json_object_get(row, "order_id"), "venue",
                json_object_get(row, "venue"), "symbol", json_object_get(row, "symbol"), "status",
                json_object_get(row, "status"), "side",
                json_integer_value(side) > 0 ? "buy" : "sell", "type", json_object_get(row, "type"),
                "qty", s_row_str(row, "qty"), "px", s_row_str(row, "px"), "cum_qty",
                s_row_str(row, "cum_qty"), "avg_px", s_row_str(row, "avg_px"), "fee",
                s_row_str(row, "fee"), "evt", json_object_get(row, "evt"));
            if (o) {
                (void)json_object_set_new(self->orders, id, o);
                s_append(self, self->order_ids, json_string(id));
            }
        }
    } else if (strcmp(q, "risk_state") == 0) {
        json_t *s = json_object_get(doc, "state");
        if (json_is_object(s) && self->risk == NULL) {
            /* the stored body has mantissas: format it as a live one */
            codec_risk_state_t rs;
            memset(&rs, 0, sizeof rs);
            (void)snprintf(rs.state, sizeof rs.state, "%s",
                           json_string_value(json_object_get(s, "state")) ?: "");
            (void)snprintf(rs.reason, sizeof rs.reason, "%s",
                           json_string_value(json_object_get(s, "reason")) ?: "");
            rs.equity = json_integer_value(json_object_get(s, "equity"));
            rs.equity_peak = json_integer_value(json_object_get(s, "equity_peak"));
            rs.daily_pnl = json_integer_value(json_object_get(s, "daily_pnl"));
            rs.drawdown = json_integer_value(json_object_get(s, "drawdown"));
            rs.open_positions = (int32_t)json_integer_value(json_object_get(s, "open_positions"));
            rs.trades_today = (int32_t)json_integer_value(json_object_get(s, "trades_today"));
            rs.ts_event = json_integer_value(json_object_get(s, "ts_event"));
            self->risk = fmt_body(CODEC_RISK_STATE, &rs);
            if (self->risk) {
                self->rs = rs;
                self->rs_known = true;
                (void)json_object_set_new(self->risk, "topic", json_string("risk.state"));
            }
        }
    }
    json_decref(doc);
    return 0;
}

int64_t
view_hb_age_ms(const view_t *self, const char *instance, int64_t now_ns)
{
    for (size_t i = 0; i < self->n_stages; i++) {
        if (strcmp(self->stages[i].name, instance) == 0) {
            return (now_ns - self->stages[i].seen_ns) / CLOCK_NS_PER_MS;
        }
    }
    return -1;
}

json_t *
view_stages(const view_t *self, int64_t now_ns)
{
    json_t *out = json_object();
    for (size_t i = 0; out && i < self->n_stages; i++) {
        const s_stage_t *s = &self->stages[i];
        json_t *o = json_pack("{s:s, s:I, s:I, s:o}", "state", s->state, "hb_age_ms",
                              (json_int_t)((now_ns - s->seen_ns) / CLOCK_NS_PER_MS), "uptime_ms",
                              (json_int_t)s->uptime_ms, "counters",
                              s->counters ? json_deep_copy(s->counters) : json_null());
        if (o) {
            (void)json_object_set_new(out, s->name, o);
        }
    }
    return out;
}

json_t *
view_venues(const view_t *self)
{
    return json_deep_copy(self->venues);
}

json_t *
view_risk(const view_t *self)
{
    return self->risk ? json_deep_copy(self->risk) : json_null();
}

json_t *
view_positions(const view_t *self)
{
    json_t *out = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(self->positions, key, v)
    {
        const char *side = json_string_value(json_object_get(v, "side"));
        if (out && side && strcmp(side, "flat") != 0) {
            (void)json_array_append_new(out, json_deep_copy(v));
        }
    }
    return out;
}

static bool
s_order_open(const json_t *o)
{
    static const char *const k_done[] = { "Filled",   "Cancelled",   "PartiallyFilledCanceled",
                                          "Rejected", "Deactivated", NULL };
    const char *st = json_string_value(json_object_get(o, "status"));
    for (const char *const *d = k_done; st && *d; d++) {
        if (strcmp(st, *d) == 0) {
            return false;
        }
    }
    return true;
}

json_t *
view_orders(const view_t *self, bool open_only)
{
    json_t *out = json_array();
    for (size_t i = json_array_size(self->order_ids); out && i-- > 0;) {
        json_t *o =
            json_object_get(self->orders, json_string_value(json_array_get(self->order_ids, i)));
        if (o && (!open_only || s_order_open(o))) {
            (void)json_array_append_new(out, json_deep_copy(o));
        }
    }
    return out;
}

json_t *
view_fills(const view_t *self)
{
    return s_newest_first(self->fills);
}

json_t *
view_signals(const view_t *self)
{
    return s_newest_first(self->signals);
}

json_t *
view_alerts(const view_t *self)
{
    return s_newest_first(self->alerts);
}

json_t *
view_balances(const view_t *self)
{
    json_t *out = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(self->balances, key, v)
    {
        if (out) {
            (void)json_array_append_new(out, json_deep_copy(v));
        }
    }
    return out;
}

json_t *
view_equity(const view_t *self, int64_t from_ns, int64_t to_ns, size_t max_points)
{
    size_t idx[S_EQ_MAX] = { 0 }; /* (cppcheck cannot see that only idx[0..n) is read) */
    size_t n = 0;
    for (size_t k = 0; k < self->eq_n; k++) {
        size_t i = (self->eq_head + k) % S_EQ_MAX;
        if ((from_ns == 0 || self->eq[i].evt >= from_ns)
            && (to_ns == 0 || self->eq[i].evt < to_ns)) {
            idx[n++] = i;
        }
    }
    json_t *out = json_array();
    if (max_points == 0) {
        max_points = 1;
    }
    size_t m = n < max_points ? n : max_points; /* points kept: evenly spread, last kept */
    char iso[32];
    for (size_t j = 0; out && j < m; j++) {
        size_t k = m == 1 ? n - 1 : j * (n - 1) / (m - 1);
        const s_eq_t *e = &self->eq[idx[k]];
        json_t *o =
            json_pack("{s:I, s:s, s:o}", "evt", (json_int_t)e->evt, "time",
                      clock_fmt_iso(e->evt, iso, sizeof iso), "equity", fmt_value(e->equity));
        if (o) {
            (void)json_array_append_new(out, o);
        }
    }
    return out;
}

static void
s_sums(const view_t *self, int64_t *realized, int64_t *unrealized, int64_t *fees, int64_t *equity)
{
    *realized = *unrealized = *fees = *equity = 0;
    const char *key;
    json_t *v;
    json_object_foreach(self->positions, key, v)
    {
        /* the decimal strings are exact: parse back at the value scale */
        const char *r = json_string_value(json_object_get(v, "realized_pnl"));
        const char *u = json_string_value(json_object_get(v, "unrealized_pnl"));
        int64_t m;
        if (r && money_parse(r, strlen(r), MONEY_VALUE_SCALE, &m) == 0) {
            *realized += m;
        }
        if (u && money_parse(u, strlen(u), MONEY_VALUE_SCALE, &m) == 0) {
            *unrealized += m;
        }
    }
    for (size_t i = 0; i < self->n_bal; i++) {
        *fees += self->bal[i].fees;
        *equity += self->bal[i].equity;
    }
}

json_t *
view_pnl(const view_t *self)
{
    int64_t realized, unrealized, fees, equity;
    s_sums(self, &realized, &unrealized, &fees, &equity);
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    (void)json_object_set_new(o, "realized", fmt_value(realized));
    (void)json_object_set_new(o, "unrealized", fmt_value(unrealized));
    (void)json_object_set_new(o, "fees", fmt_value(fees));
    (void)json_object_set_new(o, "net", fmt_value(realized - fees));
    (void)json_object_set_new(o, "today",
                              self->rs_known ? fmt_value(self->rs.daily_pnl) : json_null());
    (void)json_object_set_new(o, "equity", self->n_bal ? fmt_value(equity) : json_null());
    return o;
}

void
view_stats(const view_t *self, view_stats_t *out)
{
    *out = self->st;
    int64_t realized, unrealized, fees, equity;
    s_sums(self, &realized, &unrealized, &fees, &equity);
    out->equity = money_to_double(equity, MONEY_VALUE_SCALE);
    out->realized = money_to_double(realized, MONEY_VALUE_SCALE);
    out->unrealized = money_to_double(unrealized, MONEY_VALUE_SCALE);
    out->fees = money_to_double(fees, MONEY_VALUE_SCALE);
    out->equity_known = self->n_bal > 0;
    out->open_positions = 0;
    for (size_t i = 0; i < self->n_pos; i++) {
        out->open_positions += self->pos[i].qty != 0;
    }
    out->risk_known = self->rs_known;
    out->killed = self->rs_known && strcmp(self->rs.state, "KILLED") == 0;
    (void)snprintf(out->risk_state, sizeof out->risk_state, "%s",
                   self->rs_known ? self->rs.state : "");
    (void)snprintf(out->risk_reason, sizeof out->risk_reason, "%s",
                   self->rs_known ? self->rs.reason : "");
}

void
view_latency(const view_t *self, metrics_hist_t *signal, metrics_hist_t *order,
             metrics_hist_t *fill)
{
    *signal = self->lat_signal;
    *order = self->lat_order;
    *fill = self->lat_fill;
}

json_t *
view_strategies(const view_t *self)
{
    json_t *out = json_object();
    for (size_t i = 0; out && i < self->n_strats; i++) {
        const s_strat_t *st = &self->strats[i];
        json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "signals",
                              (json_int_t)st->signals, "orders", (json_int_t)st->orders, "rejects",
                              (json_int_t)st->rejects, "fills", (json_int_t)st->fills,
                              "realized_pnl", fmt_value(st->realized), "fees", fmt_value(st->fees),
                              "net", fmt_value(st->realized - st->fees), "last_signal",
                              st->last_signal ? json_deep_copy(st->last_signal) : json_null());
        if (o) {
            (void)json_object_set_new(out, st->name, o);
        }
    }
    return out;
}

void
view_ack_latency(const view_t *self, metrics_hist_t *ack)
{
    *ack = self->lat_ack;
}

json_t *
view_alert_counts(const view_t *self)
{
    json_t *out = json_array();
    for (size_t i = 0; out && i < self->n_acounts; i++) {
        json_t *o = json_pack("{s:s, s:s, s:I}", "level", self->acounts[i].level, "code",
                              self->acounts[i].code, "n", (json_int_t)self->acounts[i].n);
        if (o) {
            (void)json_array_append_new(out, o);
        }
    }
    return out;
}
