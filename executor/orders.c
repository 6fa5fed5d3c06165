/*  orders.c - the order state machine and the order table (contract and diagram: orders.h).
 *  Owns:  order_t records (one malloc each, freed by orders_destroy) in a czmq zhashx keyed by
 *         client id; a second zhashx holding the fill ids applied so far.
 *  Not:   matching, money balances, publishing.
 *  The table never removes an order: an executor instance keeps every client id it has seen so
 *  that a retried request is answered the same way for the life of the process.
 */
#include "executor/orders.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "common/money.h"

struct orders {
    zhashx_t *by_client; /* client_id -> order_t* (owned, freed by the destructor) */
    zhashx_t *fill_ids;  /* fill_id -> (void *)1, a set */
    uint64_t next_id;    /* next order id number */
    size_t n_fills;
};

static const char *const k_status_names[ORDER_STATUS_COUNT] = {
    [ORDER_NEW] = "New",
    [ORDER_PARTIALLY_FILLED] = "PartiallyFilled",
    [ORDER_FILLED] = "Filled",
    [ORDER_CANCELLED] = "Cancelled",
    [ORDER_PARTIALLY_FILLED_CANCELED] = "PartiallyFilledCanceled",
    [ORDER_REJECTED] = "Rejected",
    [ORDER_UNTRIGGERED] = "Untriggered",
    [ORDER_TRIGGERED] = "Triggered",
    [ORDER_DEACTIVATED] = "Deactivated",
};

const char *
order_status_name(order_status_t st)
{
    if ((int)st < 0 || st >= ORDER_STATUS_COUNT) {
        return "Unknown";
    }
    return k_status_names[st];
}

bool
order_is_open(const order_t *o)
{
    assert(o);
    return o->status == ORDER_NEW || o->status == ORDER_PARTIALLY_FILLED
           || o->status == ORDER_UNTRIGGERED || o->status == ORDER_TRIGGERED;
}

int64_t
order_leaves(const order_t *o)
{
    assert(o);
    return o->req.qty - o->cum_qty;
}

int
order_fill(order_t *o, int64_t px, int64_t qty, int64_t notional, int64_t fee)
{
    assert(o);
    if (!order_is_open(o)) {
        errno = EPROTO;
        return -1;
    }
    if (qty <= 0 || qty > order_leaves(o) || px <= 0) {
        errno = EINVAL;
        return -1;
    }
    int64_t cum_value, cum_fee, avg;
    if (money_add(o->cum_value, notional, &cum_value) < 0 || money_add(o->fee, fee, &cum_fee) < 0) {
        return -1; /* ERANGE */
    }
    int64_t cum_qty = o->cum_qty + qty; /* <= req.qty, no overflow */
    /* avg = cum_value / cum_qty: value scale / qty scale -> px scale, half-even (orders.h) */
    if (money_div(cum_value, MONEY_VALUE_SCALE, cum_qty, o->req.qty_scale, o->req.px_scale,
                  MONEY_ROUND_HALF_EVEN, &avg)
        < 0) {
        return -1;
    }
    o->cum_qty = cum_qty;
    o->cum_value = cum_value;
    o->fee = cum_fee;
    o->avg_px = avg;
    o->n_fills++;
    o->status = cum_qty == o->req.qty ? ORDER_FILLED : ORDER_PARTIALLY_FILLED;
    return 0;
}

int
order_cancel(order_t *o, const char *reason)
{
    assert(o);
    if (!order_is_open(o)) {
        errno = EPROTO;
        return -1;
    }
    o->status = (o->spot && o->cum_qty > 0) ? ORDER_PARTIALLY_FILLED_CANCELED : ORDER_CANCELLED;
    if (reason) {
        snprintf(o->reject_reason, sizeof o->reject_reason, "%s", reason);
    }
    return 0;
}

int
order_reject(order_t *o, const char *reason)
{
    assert(o);
    if (o->status != ORDER_NEW || o->cum_qty != 0) {
        errno = EPROTO;
        return -1;
    }
    o->status = ORDER_REJECTED;
    snprintf(o->reject_reason, sizeof o->reject_reason, "%s", reason ? reason : "");
    return 0;
}

int
order_set_status(order_t *o, order_status_t st, const char *reason)
{
    assert(o);
    switch (st) {
    case ORDER_CANCELLED:
    case ORDER_PARTIALLY_FILLED_CANCELED:
        return order_cancel(o, reason);
    case ORDER_DEACTIVATED:
        if (!order_is_open(o)) {
            errno = EPROTO;
            return -1;
        }
        o->status = ORDER_DEACTIVATED;
        if (reason) {
            snprintf(o->reject_reason, sizeof o->reject_reason, "%s", reason);
        }
        return 0;
    case ORDER_UNTRIGGERED:
    case ORDER_TRIGGERED:
    case ORDER_NEW:
        /* only before any fill: a filled order never goes back to waiting */
        if (!order_is_open(o) || o->cum_qty > 0) {
            errno = EPROTO;
            return -1;
        }
        o->status = st;
        return 0;
    default:
        errno = EINVAL;
        return -1;
    }
}

int
order_set_qty(order_t *o, int64_t qty)
{
    assert(o);
    if (!order_is_open(o)) {
        errno = EPROTO;
        return -1;
    }
    if (qty <= o->cum_qty || qty <= 0) {
        errno = EINVAL;
        return -1;
    }
    o->req.qty = qty;
    return 0;
}

int
order_status_parse(const char *word, order_status_t *out)
{
    assert(out);
    for (int i = 0; word && i < ORDER_STATUS_COUNT; i++) {
        if (strcmp(word, k_status_names[i]) == 0) {
            *out = (order_status_t)i;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

void
order_to_exec(const order_t *o, int64_t ts_event, codec_exec_order_t *out)
{
    assert(o && out);
    memset(out, 0, sizeof *out);
    snprintf(out->client_id, sizeof out->client_id, "%s", o->req.client_id);
    snprintf(out->order_id, sizeof out->order_id, "%s", o->order_id);
    snprintf(out->venue, sizeof out->venue, "%s", o->req.venue);
    snprintf(out->symbol, sizeof out->symbol, "%s", o->req.symbol);
    snprintf(out->status, sizeof out->status, "%s", order_status_name(o->status));
    snprintf(out->reject_reason, sizeof out->reject_reason, "%s", o->reject_reason);
    out->side = o->req.side;
    out->type = o->req.type;
    out->reduce_only = o->req.reduce_only;
    out->px_scale = o->req.px_scale;
    out->qty_scale = o->req.qty_scale;
    out->qty = o->req.qty;
    out->px = o->req.px;
    out->cum_qty = o->cum_qty;
    out->avg_px = o->avg_px;
    out->fee = o->fee;
    out->ts_event = ts_event;
}

static void
s_order_free(void **item_p)
{
    free(*item_p);
    *item_p = NULL;
}

orders_t *
orders_new(void)
{
    orders_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->by_client = zhashx_new();
    self->fill_ids = zhashx_new();
    if (!self->by_client || !self->fill_ids) {
        goto fail;
    }
    zhashx_set_destructor(self->by_client, s_order_free);
    self->next_id = 1;
    return self;
fail:
    zhashx_destroy(&self->by_client);
    zhashx_destroy(&self->fill_ids);
    free(self);
    errno = ENOMEM;
    return NULL;
}

void
orders_destroy(orders_t **self_p)
{
    assert(self_p);
    orders_t *self = *self_p;
    if (!self) {
        return;
    }
    zhashx_destroy(&self->by_client);
    zhashx_destroy(&self->fill_ids);
    free(self);
    *self_p = NULL;
}

static order_t *
s_insert(orders_t *self, const codec_risk_order_t *req, int64_t origin, const char *id_prefix)
{
    if (!req->client_id[0]) {
        errno = EINVAL;
        return NULL;
    }
    if (zhashx_lookup(self->by_client, req->client_id)) {
        errno = EEXIST;
        return NULL;
    }
    order_t *o = calloc(1, sizeof *o);
    if (!o) {
        errno = ENOMEM;
        return NULL;
    }
    o->req = *req;
    o->origin = origin;
    snprintf(o->order_id, sizeof o->order_id, "%s-%llu", id_prefix ? id_prefix : "ord",
             (unsigned long long)self->next_id);
    if (zhashx_insert(self->by_client, req->client_id, o) != 0) {
        free(o);
        errno = ENOMEM;
        return NULL;
    }
    self->next_id++;
    return o;
}

order_t *
orders_add(orders_t *self, const codec_risk_order_t *req, const char *category, bool spot,
           int64_t origin, const char *id_prefix)
{
    assert(self && req);
    if (req->qty <= 0) {
        errno = EINVAL;
        return NULL;
    }
    order_t *o = s_insert(self, req, origin, id_prefix);
    if (!o) {
        return NULL;
    }
    o->status = ORDER_NEW;
    o->spot = spot;
    snprintf(o->category, sizeof o->category, "%s", category ? category : "");
    return o;
}

order_t *
orders_reject(orders_t *self, const codec_risk_order_t *req, const char *reason, int64_t origin,
              const char *id_prefix)
{
    assert(self && req);
    order_t *o = s_insert(self, req, origin, id_prefix);
    if (!o) {
        return NULL;
    }
    o->status = ORDER_REJECTED;
    snprintf(o->reject_reason, sizeof o->reject_reason, "%s", reason ? reason : "");
    return o;
}

order_t *
orders_get(const orders_t *self, const char *client_id)
{
    assert(self && client_id);
    /* zhashx_lookup takes a non-const table but does not change it */
    return zhashx_lookup(((orders_t *)self)->by_client, client_id);
}

int
orders_fill(orders_t *self, const char *client_id, const char *fill_id, int64_t px, int64_t qty,
            int64_t notional, int64_t fee)
{
    assert(self && client_id && fill_id);
    order_t *o = orders_get(self, client_id);
    if (!o) {
        errno = ENOENT;
        return -1;
    }
    if (zhashx_lookup(self->fill_ids, fill_id)) {
        errno = EALREADY;
        return -1;
    }
    if (order_fill(o, px, qty, notional, fee) < 0) {
        return -1;
    }
    if (zhashx_insert(self->fill_ids, fill_id, (void *)1) != 0) {
        /* cannot happen: the id was just looked up and absent; an allocation failure in
         * czmq aborts the process itself */
        assert(false);
    }
    self->n_fills++;
    return 0;
}

size_t
orders_count(const orders_t *self)
{
    assert(self);
    return zhashx_size(self->by_client);
}

size_t
orders_open_count(const orders_t *self)
{
    assert(self);
    size_t n = 0;
    zhashx_t *h = self->by_client;
    for (order_t *o = zhashx_first(h); o; o = zhashx_next(h)) {
        n += order_is_open(o) ? 1 : 0;
    }
    return n;
}

static int
s_by_client_id(const void *a, const void *b)
{
    const order_t *x = *(order_t *const *)a, *y = *(order_t *const *)b;
    return strcmp(x->req.client_id, y->req.client_id);
}

size_t
orders_unsent(const orders_t *self, order_t **out, size_t max)
{
    assert(self && (out || max == 0));
    size_t n = 0;
    zhashx_t *h = self->by_client;
    for (order_t *o = zhashx_first(h); o; o = zhashx_next(h)) {
        if (!o->sent && order_is_open(o)) {
            if (n < max) {
                out[n] = o;
            }
            n++;
        }
    }
    qsort(out, n < max ? n : max, sizeof *out, s_by_client_id);
    return n;
}

size_t
orders_fill_count(const orders_t *self)
{
    assert(self);
    return self->n_fills;
}

void
orders_check(const orders_t *self)
{
    assert(self);
    zhashx_t *h = self->by_client;
    for (const order_t *o = zhashx_first(h); o; o = zhashx_next(h)) {
        assert(o->req.qty > 0 || o->status == ORDER_REJECTED);
        assert(o->cum_qty >= 0 && (o->cum_qty <= o->req.qty || o->status == ORDER_REJECTED));
        switch (o->status) {
        case ORDER_NEW:
            assert(o->cum_qty == 0);
            break;
        case ORDER_FILLED:
            assert(o->cum_qty == o->req.qty);
            break;
        case ORDER_PARTIALLY_FILLED:
        case ORDER_PARTIALLY_FILLED_CANCELED:
            assert(o->cum_qty > 0 && o->cum_qty < o->req.qty);
            break;
        default:
            break;
        }
        if (o->cum_qty == 0) {
            assert(o->cum_value == 0 && o->avg_px == 0);
        }
        assert((o->n_fills > 0) == (o->cum_qty > 0));
    }
}
