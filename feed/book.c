/*  book.c - L2 order book of one instrument (see book.h for the rules and invariants).
 *  Each side is one array, best first; a level is found by binary search and inserted/removed
 *  with memmove (depth <= 1000, so a shift is a few KB at most). The arrays have room for
 *  2 x depth levels: within one update a side may overflow the window (Bybit sends a new
 *  level and the deletion of a better one in the same delta, in any order) and is cut back to
 *  `depth` only after the whole update is applied; otherwise a level entering at the bottom
 *  would be lost and the side would shrink below depth.
 */
#include "feed/book.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define k_tag 0x626f6f6bU /* "book": stamped on live objects, wiped on destroy */

typedef struct {
    book_level_t *lv; /* [2 * depth], best first */
    size_t n;
    bool desc; /* bids: px descending */
} s_side_t;

struct book {
    uint32_t tag;
    const instr_t *instr;
    size_t depth;
    s_side_t bids, asks;
    bool synced;
    uint64_t seq;
};

/* true if px a is better than px b on this side */
static bool
s_better(const s_side_t *side, int64_t a, int64_t b)
{
    return side->desc ? a > b : a < b;
}

/* Index of px in the side, or of the position it would be inserted at; *found says which. */
static size_t
s_find(const s_side_t *side, int64_t px, bool *found)
{
    size_t lo = 0, hi = side->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (side->lv[mid].px == px) {
            *found = true;
            return mid;
        }
        if (s_better(side, side->lv[mid].px, px)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *found = false;
    return lo;
}

/* Set (qty > 0) or delete (qty 0) one level, keeping at most cap levels. */
static void
s_set(s_side_t *side, size_t cap, const book_level_t *l)
{
    bool found;
    size_t i = s_find(side, l->px, &found);
    if (found) {
        if (l->qty == 0) {
            memmove(&side->lv[i], &side->lv[i + 1], (side->n - i - 1) * sizeof side->lv[0]);
            side->n--;
        } else {
            side->lv[i].qty = l->qty;
        }
        return;
    }
    if (l->qty == 0) {
        return; /* deleting a level we do not hold (beyond our depth, or already gone) */
    }
    if (i >= cap) {
        return; /* worse than every kept level of a full side: outside the window */
    }
    size_t n_move = side->n - i;
    if (side->n == cap) {
        n_move--; /* the worst level falls off the end */
    } else {
        side->n++;
    }
    memmove(&side->lv[i + 1], &side->lv[i], n_move * sizeof side->lv[0]);
    side->lv[i] = *l;
}

static int
s_validate(const book_t *self, const book_level_t *lv, size_t n)
{
    int64_t tick = self->instr->tick;
    for (size_t i = 0; i < n; i++) {
        /* a tick of one unit (the usual case: the scale is the tick's decimals) needs no
         * division, which costs more than the rest of a level's apply */
        if (lv[i].qty < 0 || lv[i].px <= 0 || (tick != 1 && lv[i].px % tick != 0)) {
            return -1;
        }
    }
    return 0;
}

static void
s_clear(book_t *self)
{
    self->bids.n = 0;
    self->asks.n = 0;
    self->synced = false;
    self->seq = 0;
}

book_t *
book_new(const instr_t *instr, size_t depth)
{
    if (!instr || depth == 0 || depth > BOOK_MAX_DEPTH || instr->tick < 1) {
        errno = EINVAL;
        return NULL;
    }
    book_t *self = calloc(1, sizeof *self);
    if (!self) {
        goto fail;
    }
    self->tag = k_tag;
    self->instr = instr;
    self->depth = depth;
    self->bids.desc = true;
    self->bids.lv = calloc(2 * depth, sizeof(book_level_t));
    self->asks.lv = calloc(2 * depth, sizeof(book_level_t));
    if (!self->bids.lv || !self->asks.lv) {
        goto fail;
    }
    return self;
fail:
    if (self) {
        free(self->bids.lv);
        free(self->asks.lv);
        free(self);
    }
    errno = ENOMEM;
    return NULL;
}

void
book_destroy(book_t **self_p)
{
    assert(self_p);
    book_t *self = *self_p;
    if (!self) {
        return;
    }
    assert(self->tag == k_tag);
    self->tag = 0xdeadbeefU;
    free(self->bids.lv);
    free(self->asks.lv);
    free(self);
    *self_p = NULL;
}

int
book_apply(book_t *self, const book_update_t *upd)
{
    assert(self && self->tag == k_tag);
    assert(upd);
    if (s_validate(self, upd->bids, upd->n_bids) != 0
        || s_validate(self, upd->asks, upd->n_asks) != 0) {
        errno = EINVAL;
        return -1;
    }
    if (upd->is_snapshot) {
        s_clear(self);
    } else if (!self->synced) {
        errno = EAGAIN;
        return -1;
    } else if (upd->prev_seq != self->seq) {
        s_clear(self);
        errno = EPROTO;
        return -1;
    }
    for (size_t i = 0; i < upd->n_bids; i++) {
        s_set(&self->bids, 2 * self->depth, &upd->bids[i]);
    }
    for (size_t i = 0; i < upd->n_asks; i++) {
        s_set(&self->asks, 2 * self->depth, &upd->asks[i]);
    }
    /* the window is applied once per update (see the file comment) */
    if (self->bids.n > self->depth) {
        self->bids.n = self->depth;
    }
    if (self->asks.n > self->depth) {
        self->asks.n = self->depth;
    }
    if (self->bids.n > 0 && self->asks.n > 0 && self->bids.lv[0].px >= self->asks.lv[0].px) {
        s_clear(self);
        errno = EPROTO;
        return -1;
    }
    self->synced = true;
    self->seq = upd->seq;
    return 0;
}

void
book_reset(book_t *self)
{
    assert(self && self->tag == k_tag);
    s_clear(self);
}

int
book_best(const book_t *self, book_level_t *bid, book_level_t *ask)
{
    assert(self && self->tag == k_tag);
    if (!self->synced || self->bids.n == 0 || self->asks.n == 0) {
        errno = ENODATA;
        return -1;
    }
    *bid = self->bids.lv[0];
    *ask = self->asks.lv[0];
    return 0;
}

void
book_top(const book_t *self, size_t n, book_level_t *bids, size_t *n_bids, book_level_t *asks,
         size_t *n_asks)
{
    assert(self && self->tag == k_tag);
    size_t nb = self->synced ? (self->bids.n < n ? self->bids.n : n) : 0;
    size_t na = self->synced ? (self->asks.n < n ? self->asks.n : n) : 0;
    memcpy(bids, self->bids.lv, nb * sizeof bids[0]);
    memcpy(asks, self->asks.lv, na * sizeof asks[0]);
    *n_bids = nb;
    *n_asks = na;
}

bool
book_synced(const book_t *self)
{
    assert(self && self->tag == k_tag);
    return self->synced;
}

uint64_t
book_seq(const book_t *self)
{
    assert(self && self->tag == k_tag);
    return self->seq;
}

size_t
book_n_bids(const book_t *self)
{
    assert(self && self->tag == k_tag);
    return self->bids.n;
}

size_t
book_n_asks(const book_t *self)
{
    assert(self && self->tag == k_tag);
    return self->asks.n;
}

const instr_t *
book_instr(const book_t *self)
{
    assert(self && self->tag == k_tag);
    return self->instr;
}

static void
s_check_side(const book_t *self, const s_side_t *side)
{
    assert(side->n <= self->depth); /* (3) */
    for (size_t i = 0; i < side->n; i++) {
        assert(side->lv[i].qty > 0);                     /* (2) */
        assert(side->lv[i].px > 0);                      /* (2) */
        assert(side->lv[i].px % self->instr->tick == 0); /* (2) */
        if (i > 0) {
            assert(s_better(side, side->lv[i - 1].px, side->lv[i].px)); /* (1) */
        }
    }
}

void
book_check(const book_t *self)
{
    assert(self && self->tag == k_tag);
    s_check_side(self, &self->bids);
    s_check_side(self, &self->asks);
    if (self->synced && self->bids.n > 0 && self->asks.n > 0) {
        assert(self->bids.lv[0].px < self->asks.lv[0].px); /* (4) */
    }
    if (!self->synced) {
        assert(self->bids.n == 0 && self->asks.n == 0); /* (5) */
    }
}
