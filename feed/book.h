/*  book.h - L2 order book of one instrument, built from a snapshot plus deltas.
 *  Owns:  copies of both sides' price levels (sorted arrays, best first) and the last applied
 *         sequence id.
 *  Not:   sockets, venue JSON, publishing (the venue adapters bybit.c / binance.c feed it;
 *         their sink publishes).
 *  Units: px, qty are int64 mantissas at instr->px_scale / qty_scale.
 *  Rules (sources in docs/feed.md): a snapshot replaces both sides; in a delta qty 0 deletes
 *  the level (absent level: nothing to do), any other qty sets the level's absolute size
 *  (Bybit v5 orderbook.mdx, Binance "How to manage a local order book correctly"); at most
 *  `depth` levels are kept per side: after each whole update the worst levels beyond that
 *  are dropped.
 *  Invariants, asserted by book_check():
 *    (1) bids strictly descending, asks strictly ascending by px
 *    (2) every stored level has qty > 0 and px > 0 on the instrument's tick
 *    (3) at most `depth` levels per side
 *    (4) when synced and both sides are non-empty: best bid < best ask
 *    (5) when unsynced both sides are empty
 */
#ifndef TP_BOOK_H
#define TP_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/instr.h"

#define BOOK_MAX_DEPTH 1000

typedef struct book book_t; /* opaque: fields live in book.c */

typedef struct {
    int64_t px;  /* price mantissa at px_scale */
    int64_t qty; /* quantity mantissa at qty_scale; 0 in a delta = delete this px */
} book_level_t;

typedef struct {
    uint64_t seq;             /* venue update id of this message (Bybit u, Binance u) */
    uint64_t prev_seq;        /* a delta applies only if this equals the last applied seq */
    bool is_snapshot;         /* true: replaces both sides; prev_seq ignored */
    const book_level_t *bids; /* borrowed for the call only; any order */
    size_t n_bids;
    const book_level_t *asks;
    size_t n_asks;
} book_update_t;

/* Create an empty, unsynced book keeping at most `depth` levels per side. `instr` is
 * borrowed and must outlive the book. Returns the book (caller owns it; free with
 * book_destroy), or NULL with errno EINVAL (depth 0 or > BOOK_MAX_DEPTH, tick < 1) or ENOMEM. */
book_t *book_new(const instr_t *instr, size_t depth);

void book_destroy(book_t **self_p); /* frees, sets *self_p = NULL; no-op on NULL */

/* Apply a snapshot or a delta. Levels of one update may come in any order; a px repeated in
 * one update takes its last qty. Cost: O(levels * (log depth + shift)), no allocation.
 * Returns 0, or -1 with errno
 *   EINVAL  negative qty, px <= 0 or off tick; book unchanged
 *   EAGAIN  delta while unsynced (waiting for a snapshot); book unchanged
 *   EPROTO  delta with prev_seq != last applied seq (gap), or the result is crossed
 *           (best bid >= best ask); book cleared and unsynced until the next snapshot
 *           (the caller publishes md.status "resync" and asks the venue for a snapshot) */
int book_apply(book_t *self, const book_update_t *upd);

/* Drop both sides and mark the book unsynced (after a disconnect). */
void book_reset(book_t *self);

/* Copy best bid and ask out. Returns 0, or -1/ENODATA if unsynced or a side is empty
 * (outputs untouched). */
int book_best(const book_t *self, book_level_t *bid, book_level_t *ask);

/* Copy up to `n` best levels per side into bids[n] / asks[n] (best first); sets *n_bids and
 * *n_asks to the numbers written (0 when unsynced). */
void book_top(const book_t *self, size_t n, book_level_t *bids, size_t *n_bids, book_level_t *asks,
              size_t *n_asks);

bool book_synced(const book_t *self);
uint64_t book_seq(const book_t *self); /* last applied seq; 0 when unsynced */
size_t book_n_bids(const book_t *self);
size_t book_n_asks(const book_t *self);
const instr_t *book_instr(const book_t *self);

void book_check(const book_t *self); /* asserts invariants (1)-(5); tests, TP_DEBUG */

#endif /* TP_BOOK_H */
