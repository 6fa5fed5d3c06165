/*  match.c - the replayed book for private order matching (contract: match.h).
 *  Frames are parsed with jansson: the linear recording is ~2,500 frames, not a hot path.
 */
#include "tools/venue-sim/match.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/money.h"

struct match {
    match_book_t books[MATCH_MAX_SYMBOLS];
    size_t n;
};

match_t *
match_new(void)
{
    match_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
    }
    return self;
}

void
match_destroy(match_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

match_book_t *
match_book(match_t *self, const char *symbol)
{
    assert(self && symbol);
    for (size_t i = 0; i < self->n; i++) {
        if (strcmp(self->books[i].symbol, symbol) == 0) {
            return &self->books[i];
        }
    }
    return NULL;
}

static match_book_t *
s_book_add(match_t *self, const char *symbol)
{
    match_book_t *b = match_book(self, symbol);
    if (b) {
        return b;
    }
    if (self->n == MATCH_MAX_SYMBOLS || strlen(symbol) >= sizeof b->symbol) {
        errno = ENOSPC;
        return NULL;
    }
    b = &self->books[self->n++];
    memset(b, 0, sizeof *b);
    snprintf(b->symbol, sizeof b->symbol, "%s", symbol);
    return b;
}

static int
s_num(const json_t *v, int64_t *out)
{
    const char *s = json_string_value(v);
    return s ? money_parse(s, strlen(s), MATCH_SCALE, out) : -1;
}

/* Set level px to qty (0 removes) on one side; desc = bids. */
static void
s_set(match_level_t *lv, size_t *n, bool desc, int64_t px, int64_t qty)
{
    size_t i = 0;
    while (i < *n && (desc ? lv[i].px > px : lv[i].px < px)) {
        i++;
    }
    if (i < *n && lv[i].px == px) {
        if (qty == 0) {
            memmove(&lv[i], &lv[i + 1], (*n - i - 1) * sizeof *lv);
            (*n)--;
        } else {
            lv[i].qty = qty;
        }
        return;
    }
    if (qty == 0 || *n == MATCH_LEVELS) {
        return; /* removing an absent level, or deeper than we keep */
    }
    memmove(&lv[i + 1], &lv[i], (*n - i) * sizeof *lv);
    lv[i] = (match_level_t){ px, qty };
    (*n)++;
}

static int
s_side(json_t *arr, match_level_t *lv, size_t *n, bool desc)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        int64_t px, qty;
        if (!json_is_array(e) || s_num(json_array_get(e, 0), &px) < 0
            || s_num(json_array_get(e, 1), &qty) < 0 || px <= 0 || qty < 0) {
            return -1;
        }
        s_set(lv, n, desc, px, qty);
    }
    return 0;
}

int
match_on_frame(match_t *self, const char *text, size_t len, match_book_fn *on_book,
               match_trade_fn *on_trade, void *arg)
{
    assert(self && text);
    if (len < 12
        || (!strstr(text, "\"orderbook.") && !strstr(text, "\"publicTrade.")
            && !strstr(text, "\"tickers."))) {
        return 0;
    }
    json_t *root = json_loadb(text, len, 0, NULL);
    const char *topic = root ? json_string_value(json_object_get(root, "topic")) : NULL;
    json_t *data = root ? json_object_get(root, "data") : NULL;
    int rc = 0;
    if (!topic || !data) {
        json_decref(root);
        errno = EINVAL;
        return -1;
    }
    const char *dot = strrchr(topic, '.');
    match_book_t *b = dot ? s_book_add(self, dot + 1) : NULL;
    if (!b) {
        json_decref(root);
        if (dot) {
            return -1; /* ENOSPC */
        }
        errno = EINVAL;
        return -1;
    }
    if (strncmp(topic, "orderbook.", 10) == 0) {
        const char *type = json_string_value(json_object_get(root, "type"));
        match_book_t tmp = *b;
        if (type && strcmp(type, "snapshot") == 0) {
            tmp.nb = tmp.na = 0;
        }
        if (s_side(json_object_get(data, "b"), tmp.bids, &tmp.nb, true) < 0
            || s_side(json_object_get(data, "a"), tmp.asks, &tmp.na, false) < 0) {
            errno = EINVAL;
            rc = -1;
        } else {
            tmp.have_book = true;
            *b = tmp;
            rc = 1;
            if (on_book) {
                on_book(b, arg);
            }
        }
    } else if (strncmp(topic, "publicTrade.", 12) == 0) {
        size_t i;
        json_t *t;
        rc = 1;
        json_array_foreach(data, i, t)
        {
            int64_t px, qty;
            const char *side = json_string_value(json_object_get(t, "S"));
            if (!side || s_num(json_object_get(t, "p"), &px) < 0
                || s_num(json_object_get(t, "v"), &qty) < 0 || px <= 0 || qty <= 0) {
                errno = EINVAL;
                rc = -1;
                break;
            }
            b->last_px = px;
            if (on_trade) {
                on_trade(b, strcmp(side, "Buy") == 0 ? 1 : -1, px, qty, arg);
            }
        }
    } else {
        int64_t v;
        if (s_num(json_object_get(data, "markPrice"), &v) == 0 && v > 0) {
            b->mark_px = v;
        }
        if (s_num(json_object_get(data, "lastPrice"), &v) == 0 && v > 0 && b->last_px == 0) {
            b->last_px = v;
        }
        rc = 1;
    }
    json_decref(root);
    return rc;
}

size_t
match_take(match_book_t *b, int8_t side, int64_t limit_px, int64_t qty, bool dry,
           match_level_t *fills, size_t max, int64_t *taken)
{
    assert(b && taken);
    match_level_t *lv = side > 0 ? b->asks : b->bids;
    size_t *n = side > 0 ? &b->na : &b->nb;
    size_t nf = 0, i = 0;
    int64_t left = qty;
    while (left > 0 && i < *n && nf < max) {
        int64_t px = lv[i].px;
        if (limit_px > 0 && (side > 0 ? px > limit_px : px < limit_px)) {
            break;
        }
        int64_t q = lv[i].qty < left ? lv[i].qty : left;
        fills[nf++] = (match_level_t){ px, q };
        left -= q;
        i++;
    }
    *taken = qty - left;
    if (!dry) {
        for (size_t k = 0; k < nf; k++) {
            lv[0].qty -= fills[k].qty;
            if (lv[0].qty == 0) {
                memmove(&lv[0], &lv[1], (*n - 1) * sizeof *lv);
                (*n)--;
            }
        }
    }
    return nf;
}
