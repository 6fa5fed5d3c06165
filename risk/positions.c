/*  positions.c - risk's table of positions (contract and lifecycle in positions.h).
 *  A linear table: a handful of symbols per account, so a scan beats hashing.
 */
#include "risk/positions.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct risk_positions {
    size_t cap, count;
    risk_position_t *slots;
};

risk_positions_t *
risk_positions_new(size_t cap)
{
    if (cap == 0 || cap > RISK_POSITIONS_MAX) {
        errno = EINVAL;
        return NULL;
    }
    risk_positions_t *self = calloc(1, sizeof *self);
    if (!self) {
        goto fail;
    }
    self->slots = calloc(cap, sizeof *self->slots);
    if (!self->slots) {
        goto fail;
    }
    self->cap = cap;
    return self;
fail:
    free(self);
    errno = ENOMEM;
    return NULL;
}

void
risk_positions_destroy(risk_positions_t **self_p)
{
    assert(self_p);
    risk_positions_t *self = *self_p;
    if (!self) {
        return;
    }
    free(self->slots);
    free(self);
    *self_p = NULL;
}

risk_position_t *
risk_positions_get(risk_positions_t *self, const char *venue, const char *symbol)
{
    assert(self);
    for (size_t i = 0; i < self->count; i++) {
        risk_position_t *p = &self->slots[i];
        if (strcmp(p->venue, venue) == 0 && strcmp(p->symbol, symbol) == 0) {
            return p;
        }
    }
    return NULL;
}

risk_position_t *
risk_positions_ensure(risk_positions_t *self, const char *venue, const char *symbol)
{
    assert(self);
    risk_position_t *p = risk_positions_get(self, venue, symbol);
    if (p) {
        return p;
    }
    size_t vlen = strlen(venue), slen = strlen(symbol);
    if (vlen == 0 || slen == 0 || vlen >= CODEC_VENUE_MAX || slen >= CODEC_SYM_MAX) {
        errno = EINVAL;
        return NULL;
    }
    if (self->count == self->cap) {
        errno = ENOSPC;
        return NULL;
    }
    p = &self->slots[self->count++];
    memset(p, 0, sizeof *p);
    memcpy(p->venue, venue, vlen + 1);
    memcpy(p->symbol, symbol, slen + 1);
    return p;
}

/* Forget everything about a flat slot except its name and scales. */
static void
s_flatten(risk_position_t *p)
{
    p->qty = 0;
    p->entry_px = 0;
    p->sl_px = 0;
    p->tp_px = 0;
    p->strategy[0] = '\0';
    p->exit_pending = false;
    p->exit_id[0] = '\0';
    p->exit_intent[0] = '\0';
    p->exit_unacked = false;
    p->exit_rejects = 0;
    p->open_qty = 0;
    p->open_evt = 0;
    p->bars = 0;
    p->tp_stage = 0;
    p->be_done = false;
    p->trail_on = false;
    p->best_px = 0;
    p->exit_qty = 0;
    p->trip_pnl = 0;
    p->venue_sl = 0;
}

int
risk_positions_on_exec_position(risk_positions_t *self, const codec_exec_position_t *x)
{
    assert(self);
    assert(x);
    risk_position_t *p = risk_positions_ensure(self, x->venue, x->symbol);
    if (!p) {
        return -1;
    }
    bool was_open = p->qty != 0;
    p->px_scale = x->px_scale;
    p->qty_scale = x->qty_scale;
    if (x->qty == 0) {
        /* flat. An entry still in flight keeps the stop/target it will need: the executor
         * may report the (still flat) position before the entry's fill */
        bool in_flight = p->entry_id[0] != '\0';
        int64_t sl = p->sl_px, tp = p->tp_px;
        char strategy[CODEC_NAME_MAX];
        memcpy(strategy, p->strategy, sizeof strategy);
        s_flatten(p);
        if (in_flight) {
            p->sl_px = sl;
            p->tp_px = tp;
            memcpy(p->strategy, strategy, sizeof strategy);
        }
    } else {
        int64_t aq = x->qty > 0 ? x->qty : -x->qty;
        if (!was_open) {
            p->open_evt = x->ts_event;
            p->open_qty = 0;
        }
        if (aq > p->open_qty) {
            p->open_qty = aq;
        }
        p->qty = x->qty;
        p->entry_px = x->entry_px;
        p->entry_id[0] = '\0'; /* the entry in flight became this position */
    }
    return was_open != (p->qty != 0) ? 1 : 0;
}

bool
risk_positions_status_final(const char *status)
{
    static const char *const k_final[] = { "Filled", "Cancelled", "PartiallyFilledCanceled",
                                           "Rejected", "Deactivated" };
    for (size_t i = 0; i < sizeof k_final / sizeof k_final[0]; i++) {
        if (strcmp(status, k_final[i]) == 0) {
            return true;
        }
    }
    return false;
}

void
risk_positions_on_exec_order(risk_positions_t *self, const codec_exec_order_t *o)
{
    assert(self);
    assert(o);
    if (o->client_id[0] == '\0' || !risk_positions_status_final(o->status)) {
        return;
    }
    for (size_t i = 0; i < self->count; i++) {
        risk_position_t *p = &self->slots[i];
        if (strcmp(p->entry_id, o->client_id) == 0) {
            p->entry_id[0] = '\0';
            /* died without any fill: drop its stop/target. A (partly) filled entry keeps
             * them: its exec.position may come after this update */
            if (p->qty == 0 && o->cum_qty == 0 && strcmp(o->status, "Filled") != 0) {
                s_flatten(p);
            }
        } else if (strcmp(p->exit_id, o->client_id) == 0) {
            /* Filled: exec.position (same step) makes the slot flat; otherwise the position
             * is still there and the exit may fire again */
            p->exit_id[0] = '\0';
            p->exit_pending = false;
            p->exit_unacked = false;
            p->exit_intent[0] = '\0';
        }
    }
}

size_t
risk_positions_open(const risk_positions_t *self)
{
    assert(self);
    size_t n = 0;
    for (size_t i = 0; i < self->count; i++) {
        if (self->slots[i].qty != 0 || self->slots[i].entry_id[0] != '\0') {
            n++;
        }
    }
    return n;
}

size_t
risk_positions_count(const risk_positions_t *self)
{
    assert(self);
    return self->count;
}

risk_position_t *
risk_positions_at(risk_positions_t *self, size_t i)
{
    assert(self);
    assert(i < self->count);
    return &self->slots[i];
}

void
risk_positions_check(const risk_positions_t *self)
{
    assert(self);
    assert(self->count <= self->cap);
    for (size_t i = 0; i < self->count; i++) {
        const risk_position_t *p = &self->slots[i];
        assert(p->venue[0] != '\0' && p->symbol[0] != '\0');
        for (size_t j = i + 1; j < self->count; j++) {
            assert(strcmp(p->venue, self->slots[j].venue) != 0
                   || strcmp(p->symbol, self->slots[j].symbol) != 0);
        }
        if (p->qty == 0) {
            assert(!p->exit_pending && p->exit_id[0] == '\0');
        }
        if (p->exit_id[0] != '\0' || p->exit_unacked) {
            assert(p->exit_pending);
        }
    }
}
