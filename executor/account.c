/*  account.c - positions, realised PnL, fees, wallet and equity (contract: account.h).
 *  Owns:  a fixed array of positions (no allocation after account_new).
 *  Positions are found by a linear scan over venue+symbol: a paper account holds a handful.
 */
#include "executor/account.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/money.h"

typedef __int128 s_i128;

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int px_scale, qty_scale;
    int64_t qty;      /* signed, qty_scale */
    int64_t cost;     /* signed px x qty of the open part, MONEY_VALUE_SCALE */
    int64_t realized; /* cumulative, MONEY_VALUE_SCALE */
    int64_t mark_px;  /* px_scale; 0 = unknown */
} s_pos_t;

struct account {
    char asset[12];
    int64_t start;    /* MONEY_VALUE_SCALE */
    int64_t realized; /* MONEY_VALUE_SCALE */
    int64_t fees;     /* MONEY_VALUE_SCALE */
    size_t n;
    s_pos_t pos[ACCOUNT_MAX_POSITIONS];
};

account_t *
account_new(const char *asset, int64_t start_balance)
{
    if (!asset || !asset[0] || strlen(asset) >= sizeof(((account_t *)0)->asset)) {
        errno = EINVAL;
        return NULL;
    }
    account_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf(self->asset, sizeof self->asset, "%s", asset);
    self->start = start_balance;
    return self;
}

void
account_destroy(account_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

static s_pos_t *
s_find(const account_t *self, const char *venue, const char *symbol)
{
    for (size_t i = 0; i < self->n; i++) {
        const s_pos_t *p = &self->pos[i];
        if (strcmp(p->venue, venue) == 0 && strcmp(p->symbol, symbol) == 0) {
            return (s_pos_t *)p; /* the caller decides whether it writes */
        }
    }
    return NULL;
}

/* n / d rounded half-even (d != 0). Result checked into int64. */
static int
s_div_half_even(s_i128 n, s_i128 d, int64_t *out)
{
    if (d < 0) {
        n = -n;
        d = -d;
    }
    s_i128 q = n / d, r = n % d; /* C truncates toward zero; r has the sign of n */
    s_i128 r2 = (r < 0 ? -r : r) * 2;
    if (r2 > d || (r2 == d && (q % 2) != 0)) {
        q += n < 0 ? -1 : 1;
    }
    if (q > INT64_MAX || q < INT64_MIN) {
        errno = ERANGE;
        return -1;
    }
    *out = (int64_t)q;
    return 0;
}

/* px x signed qty at MONEY_VALUE_SCALE, half-even. */
static int
s_value(const s_pos_t *p, int64_t px, int64_t qty, int64_t *out)
{
    return money_mul(px, p->px_scale, qty, p->qty_scale, MONEY_VALUE_SCALE, MONEY_ROUND_HALF_EVEN,
                     out);
}

int
account_fill(account_t *self, const char *venue, const char *symbol, int px_scale, int qty_scale,
             int8_t side, int64_t px, int64_t qty, int64_t fee, int64_t *realized)
{
    assert(self && venue && symbol);
    if ((side != 1 && side != -1) || px <= 0 || qty <= 0 || strlen(venue) >= CODEC_VENUE_MAX
        || strlen(symbol) >= CODEC_SYM_MAX) {
        errno = EINVAL;
        return -1;
    }
    s_pos_t tmp, *p = s_find(self, venue, symbol);
    if (p && (p->px_scale != px_scale || p->qty_scale != qty_scale)) {
        errno = EINVAL;
        return -1;
    }
    if (!p && self->n == ACCOUNT_MAX_POSITIONS) {
        errno = ENOSPC;
        return -1;
    }
    if (p) {
        tmp = *p;
    } else {
        memset(&tmp, 0, sizeof tmp);
        snprintf(tmp.venue, sizeof tmp.venue, "%s", venue);
        snprintf(tmp.symbol, sizeof tmp.symbol, "%s", symbol);
        tmp.px_scale = px_scale;
        tmp.qty_scale = qty_scale;
    }
    /* work on a copy so that a failure leaves everything as it was */
    int64_t q = side * qty; /* signed fill */
    int64_t pnl = 0;
    if (tmp.qty != 0 && (tmp.qty > 0) != (q > 0)) {
        /* reducing: close c units (signed like the position) first */
        int64_t absq = qty, absp = tmp.qty > 0 ? tmp.qty : -tmp.qty;
        int64_t c = absq < absp ? absq : absp;
        c = tmp.qty > 0 ? c : -c;
        int64_t removed, exitv;
        if (c == tmp.qty) {
            removed = tmp.cost; /* full close: no rounding residue left behind */
        } else if (s_div_half_even((s_i128)tmp.cost * c, tmp.qty, &removed) < 0) {
            return -1;
        }
        if (s_value(&tmp, px, c, &exitv) < 0 || money_sub(exitv, removed, &pnl) < 0) {
            return -1;
        }
        tmp.qty -= c;
        tmp.cost -= removed;
        q += c; /* what is left of the fill opens the other way (a flip) */
        if (money_add(tmp.realized, pnl, &tmp.realized) < 0) {
            return -1;
        }
    }
    if (q != 0) {
        int64_t v;
        if (s_value(&tmp, px, q, &v) < 0 || money_add(tmp.cost, v, &tmp.cost) < 0
            || money_add(tmp.qty, q, &tmp.qty) < 0) {
            return -1;
        }
    }
    int64_t acc_realized, acc_fees;
    if (money_add(self->realized, pnl, &acc_realized) < 0
        || money_add(self->fees, fee, &acc_fees) < 0) {
        return -1;
    }
    tmp.mark_px = px; /* the fill is the latest price we know */
    if (!p) {
        p = &self->pos[self->n++];
    }
    *p = tmp;
    self->realized = acc_realized;
    self->fees = acc_fees;
    if (realized) {
        *realized = pnl;
    }
    return 0;
}

int
account_mark(account_t *self, const char *venue, const char *symbol, int64_t mark_px)
{
    assert(self && venue && symbol);
    if (mark_px <= 0) {
        errno = EINVAL;
        return -1;
    }
    s_pos_t *p = s_find(self, venue, symbol);
    if (!p) {
        errno = ENOENT;
        return -1;
    }
    p->mark_px = mark_px;
    return 0;
}

static int
s_unrealized(const s_pos_t *p, int64_t *out)
{
    if (p->qty == 0 || p->mark_px == 0) {
        *out = 0;
        return 0;
    }
    int64_t v;
    if (s_value(p, p->mark_px, p->qty, &v) < 0) {
        return -1;
    }
    return money_sub(v, p->cost, out);
}

int
account_position(const account_t *self, const char *venue, const char *symbol, int64_t ts_event,
                 codec_exec_position_t *out)
{
    assert(self && venue && symbol && out);
    const s_pos_t *p = s_find(self, venue, symbol);
    if (!p) {
        errno = ENOENT;
        return -1;
    }
    int64_t entry = 0, unreal;
    if (p->qty != 0
        && money_div(p->cost, MONEY_VALUE_SCALE, p->qty, p->qty_scale, p->px_scale,
                     MONEY_ROUND_HALF_EVEN, &entry)
               < 0) {
        return -1;
    }
    if (s_unrealized(p, &unreal) < 0) {
        return -1;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->venue, sizeof out->venue, "%s", p->venue);
    snprintf(out->symbol, sizeof out->symbol, "%s", p->symbol);
    out->px_scale = p->px_scale;
    out->qty_scale = p->qty_scale;
    out->qty = p->qty;
    out->entry_px = entry;
    out->mark_px = p->mark_px;
    out->realized_pnl = p->realized;
    out->unrealized_pnl = unreal;
    out->ts_event = ts_event;
    return 0;
}

bool
account_is_open(const account_t *self, const char *venue, const char *symbol)
{
    assert(self && venue && symbol);
    const s_pos_t *p = s_find(self, venue, symbol);
    return p && p->qty != 0;
}

int
account_balance(const account_t *self, const char *venue, int64_t ts_event,
                codec_exec_balance_t *out)
{
    assert(self && venue && out);
    int64_t wallet, equity, u;
    if (money_add(self->start, self->realized, &wallet) < 0
        || money_sub(wallet, self->fees, &wallet) < 0) {
        return -1;
    }
    equity = wallet;
    for (size_t i = 0; i < self->n; i++) {
        if (s_unrealized(&self->pos[i], &u) < 0 || money_add(equity, u, &equity) < 0) {
            return -1;
        }
    }
    memset(out, 0, sizeof *out);
    snprintf(out->venue, sizeof out->venue, "%s", venue);
    snprintf(out->asset, sizeof out->asset, "%s", self->asset);
    out->wallet = wallet;
    out->available = wallet;
    out->equity = equity;
    out->fees = self->fees;
    out->ts_event = ts_event;
    return 0;
}

size_t
account_open_positions(const account_t *self)
{
    assert(self);
    size_t n = 0;
    for (size_t i = 0; i < self->n; i++) {
        n += self->pos[i].qty != 0 ? 1 : 0;
    }
    return n;
}

int64_t
account_realized(const account_t *self)
{
    assert(self);
    return self->realized;
}

int64_t
account_fees(const account_t *self)
{
    assert(self);
    return self->fees;
}

void
account_check(const account_t *self)
{
    assert(self);
    assert(self->n <= ACCOUNT_MAX_POSITIONS);
    int64_t sum = 0;
    for (size_t i = 0; i < self->n; i++) {
        const s_pos_t *p = &self->pos[i];
        assert((p->qty == 0) == (p->cost == 0));
        assert(p->qty == 0 || (p->qty > 0) == (p->cost > 0));
        sum += p->realized;
    }
    assert(sum == self->realized);
}
