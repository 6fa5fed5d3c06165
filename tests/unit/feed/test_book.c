/*  test_book.c - feed/book rules: snapshot, delete, overwrite, depth window, gap, cross,
 *  off-tick, unsynced delta; each error with its exact errno.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "feed/book.h"

/* BTCUSDT linear: tick 0.10 -> px_scale 1, tick 1; qty step 0.001 -> qty_scale 3 */
static const instr_t k_btc = {
    .symbol = "BTCUSDT", .px_scale = 1, .qty_scale = 3, .tick = 1, .step = 1, .min_qty = 1
};
/* tick 0.50 at px_scale 2: mantissa tick 50 (for the off-tick test) */
static const instr_t k_half = {
    .symbol = "X", .px_scale = 2, .qty_scale = 0, .tick = 50, .step = 1, .min_qty = 1
};

static const book_level_t k_bids[] = { { 651142, 6054 }, { 651141, 2 }, { 651140, 100 } };
static const book_level_t k_asks[] = { { 651143, 10470 }, { 651144, 5 }, { 651146, 7 } };

static book_t *
s_snap(size_t depth, uint64_t seq)
{
    book_t *b = book_new(&k_btc, depth);
    assert_non_null(b);
    const book_update_t snap = {
        .seq = seq, .is_snapshot = true, .bids = k_bids, .n_bids = 3, .asks = k_asks, .n_asks = 3
    };
    assert_int_equal(book_apply(b, &snap), 0);
    book_check(b);
    return b;
}

static void
test_new_args(void **state)
{
    (void)state;
    errno = 0;
    assert_null(book_new(&k_btc, 0));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(book_new(&k_btc, BOOK_MAX_DEPTH + 1));
    assert_int_equal(errno, EINVAL);
    book_t *b = book_new(&k_btc, BOOK_MAX_DEPTH);
    assert_non_null(b);
    book_level_t bid, ask;
    assert_int_equal(book_best(b, &bid, &ask), -1); /* empty, unsynced */
    assert_int_equal(errno, ENODATA);
    book_destroy(&b);
    assert_null(b);
    book_destroy(&b); /* NULL is a no-op */
}

static void
test_snapshot_sets_bbo(void **state)
{
    (void)state;
    book_t *b = s_snap(50, 100);
    book_level_t bid, ask;
    assert_int_equal(book_best(b, &bid, &ask), 0);
    assert_int_equal(bid.px, 651142);
    assert_int_equal(bid.qty, 6054);
    assert_int_equal(ask.px, 651143);
    assert_int_equal(book_seq(b), 100);
    assert_true(book_synced(b));
    /* a second snapshot replaces everything */
    const book_level_t nb = { 650000, 1 }, na = { 650010, 2 };
    const book_update_t snap2 = {
        .seq = 7, .is_snapshot = true, .bids = &nb, .n_bids = 1, .asks = &na, .n_asks = 1
    };
    assert_int_equal(book_apply(b, &snap2), 0);
    book_check(b);
    assert_int_equal(book_n_bids(b), 1);
    assert_int_equal(book_n_asks(b), 1);
    assert_int_equal(book_seq(b), 7);
    book_destroy(&b);
}

static void
test_delta_delete_overwrite_insert(void **state)
{
    (void)state;
    book_t *b = s_snap(50, 100);
    const book_level_t db[] = { { 651142, 0 }, { 651141, 999 }, { 651000, 5 }, { 600000, 0 } };
    const book_level_t da[] = { { 651145, 3 } };
    const book_update_t d = {
        .seq = 101, .prev_seq = 100, .bids = db, .n_bids = 4, .asks = da, .n_asks = 1
    };
    assert_int_equal(book_apply(b, &d), 0);
    book_check(b);
    book_level_t bids[10], asks[10];
    size_t nb, na;
    book_top(b, 10, bids, &nb, asks, &na);
    /* 651142 deleted, 651141 now 999 (absolute, not added), 651000 inserted last,
     * 600000 delete of an absent level does nothing */
    assert_int_equal(nb, 3);
    assert_int_equal(bids[0].px, 651141);
    assert_int_equal(bids[0].qty, 999);
    assert_int_equal(bids[1].px, 651140);
    assert_int_equal(bids[2].px, 651000);
    assert_int_equal(na, 4);
    assert_int_equal(asks[2].px, 651145);
    assert_int_equal(asks[2].qty, 3);
    assert_int_equal(book_seq(b), 101);
    book_destroy(&b);
}

static void
test_depth_window(void **state)
{
    (void)state;
    book_t *b = s_snap(3, 1);
    /* bids: delete the worst, 651139 fills the free slot, then 600000 (worse than all 3 of a
     * full side) never enters */
    const book_level_t db[] = { { 651140, 0 }, { 651139, 1 }, { 600000, 1 } };
    const book_level_t da[] = { { 651145, 1 } }; /* between 651144 and 651146: 651146 out */
    const book_update_t d = {
        .seq = 2, .prev_seq = 1, .bids = db, .n_bids = 3, .asks = da, .n_asks = 1
    };
    assert_int_equal(book_apply(b, &d), 0);
    book_check(b);
    book_level_t bids[5], asks[5];
    size_t nb, na;
    book_top(b, 5, bids, &nb, asks, &na);
    assert_int_equal(nb, 3);
    assert_int_equal(bids[2].px, 651139); /* 600000 never entered */
    assert_int_equal(na, 3);
    assert_int_equal(asks[2].px, 651145);
    /* book_top copies at most n */
    book_top(b, 1, bids, &nb, asks, &na);
    assert_int_equal(nb, 1);
    assert_int_equal(na, 1);
    book_destroy(&b);
}

static void
test_gap_unsyncs(void **state)
{
    (void)state;
    book_t *b = s_snap(50, 100);
    const book_level_t bid = { 651141, 1 };
    const book_update_t gap = { .seq = 103, .prev_seq = 102, .bids = &bid, .n_bids = 1 };
    errno = 0;
    assert_int_equal(book_apply(b, &gap), -1); /* 101-102 never arrived */
    assert_int_equal(errno, EPROTO);
    assert_false(book_synced(b));
    book_check(b);
    book_level_t bb, ba;
    assert_int_equal(book_best(b, &bb, &ba), -1);
    assert_int_equal(errno, ENODATA);
    /* a delta while unsynced waits for the snapshot: EAGAIN, still unsynced */
    const book_update_t next = { .seq = 104, .prev_seq = 103, .bids = &bid, .n_bids = 1 };
    errno = 0;
    assert_int_equal(book_apply(b, &next), -1);
    assert_int_equal(errno, EAGAIN);
    assert_false(book_synced(b));
    book_destroy(&b);
}

static void
test_crossed_unsyncs(void **state)
{
    (void)state;
    book_t *b = s_snap(50, 100);
    const book_level_t bid = { 651143, 1 }; /* equals best ask: crossed (locked) */
    const book_update_t d = { .seq = 101, .prev_seq = 100, .bids = &bid, .n_bids = 1 };
    errno = 0;
    assert_int_equal(book_apply(b, &d), -1);
    assert_int_equal(errno, EPROTO);
    assert_false(book_synced(b));
    assert_int_equal(book_n_bids(b), 0);
    book_check(b);
    /* a crossed snapshot is refused the same way */
    const book_level_t sb = { 651150, 1 }, sa = { 651149, 1 };
    const book_update_t snap = {
        .seq = 5, .is_snapshot = true, .bids = &sb, .n_bids = 1, .asks = &sa, .n_asks = 1
    };
    errno = 0;
    assert_int_equal(book_apply(b, &snap), -1);
    assert_int_equal(errno, EPROTO);
    assert_false(book_synced(b));
    book_destroy(&b);
}

static void
test_off_tick_unchanged(void **state)
{
    (void)state;
    book_t *b = book_new(&k_half, 10);
    assert_non_null(b);
    const book_level_t sb = { 10000, 3 }, sa = { 10050, 4 }; /* 100.00 / 100.50 */
    const book_update_t snap = {
        .seq = 1, .is_snapshot = true, .bids = &sb, .n_bids = 1, .asks = &sa, .n_asks = 1
    };
    assert_int_equal(book_apply(b, &snap), 0);
    /* first level fine, second 99.75 is off the 0.50 tick: nothing at all is applied */
    const book_level_t db[] = { { 10000, 0 }, { 9975, 1 } };
    const book_update_t d = { .seq = 2, .prev_seq = 1, .bids = db, .n_bids = 2 };
    errno = 0;
    assert_int_equal(book_apply(b, &d), -1);
    assert_int_equal(errno, EINVAL);
    book_check(b);
    book_level_t bb, ba;
    assert_int_equal(book_best(b, &bb, &ba), 0);
    assert_int_equal(bb.px, 10000);
    assert_int_equal(bb.qty, 3);
    assert_int_equal(book_seq(b), 1);
    /* negative qty and px <= 0: EINVAL too */
    const book_level_t neg = { 10000, -1 }, zero = { 0, 1 };
    const book_update_t dn = { .seq = 2, .prev_seq = 1, .bids = &neg, .n_bids = 1 };
    const book_update_t dz = { .seq = 2, .prev_seq = 1, .asks = &zero, .n_asks = 1 };
    errno = 0;
    assert_int_equal(book_apply(b, &dn), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(book_apply(b, &dz), -1);
    assert_int_equal(errno, EINVAL);
    assert_true(book_synced(b));
    book_destroy(&b);
}

static void
test_reset(void **state)
{
    (void)state;
    book_t *b = s_snap(50, 100);
    book_reset(b);
    book_check(b);
    assert_false(book_synced(b));
    assert_int_equal(book_seq(b), 0);
    assert_int_equal(book_n_asks(b), 0);
    book_destroy(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_args),
        cmocka_unit_test(test_snapshot_sets_bbo),
        cmocka_unit_test(test_delta_delete_overwrite_insert),
        cmocka_unit_test(test_depth_window),
        cmocka_unit_test(test_gap_unsyncs),
        cmocka_unit_test(test_crossed_unsyncs),
        cmocka_unit_test(test_off_tick_unchanged),
        cmocka_unit_test(test_reset),
    };
    return cmocka_run_group_tests_name("book", tests, NULL, NULL);
}
