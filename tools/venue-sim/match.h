/*  match.h - venue-sim's view of the replayed Bybit v5 linear market, for matching private
 *  orders: per symbol the L2 book (orderbook.N snapshot + delta, BYBIT_V5.md 1.5), the last
 *  trade price (publicTrade, 1.6) and the mark price (tickers, 1.7).
 *  Owns:  one match_book_t per symbol seen (fixed table, MATCH_MAX_SYMBOLS).
 *  Not:   orders, accounts (private.c), sockets.
 *  Units: px and qty at MATCH_SCALE (8) decimals, parsed exactly with money_parse.
 *  Taking liquidity (match_take) depletes the book copy until the next replayed update for
 *  that side replaces the levels (a delta on a level resets that level to the venue's qty).
 *  Invariants: bids strictly descending, asks strictly ascending, every level qty > 0.
 */
#ifndef TP_VS_MATCH_H
#define TP_VS_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MATCH_SCALE       8
#define MATCH_LEVELS      512
#define MATCH_MAX_SYMBOLS 64

typedef struct {
    int64_t px, qty;
} match_level_t;

typedef struct {
    char symbol[24];
    match_level_t bids[MATCH_LEVELS], asks[MATCH_LEVELS];
    size_t nb, na;
    int64_t last_px, mark_px; /* 0 = not seen yet */
    bool have_book;
} match_book_t;

typedef struct match match_t;

/* A replayed public trade: taker side +1 buy / -1 sell. */
typedef void(match_trade_fn)(match_book_t *b, int8_t side, int64_t px, int64_t qty, void *arg);
/* A book update was applied to b. */
typedef void(match_book_fn)(match_book_t *b, void *arg);

/* NULL/ENOMEM. */
match_t *match_new(void);
void match_destroy(match_t **self_p);

/* Apply one Bybit v5 public frame (text, len). Calls on_trade per trade, on_book after a
 * book update. Returns 1 if used, 0 if not a book/trade/ticker frame, -1/EINVAL if
 * malformed (nothing applied), ENOSPC (symbol table full). */
int match_on_frame(match_t *self, const char *text, size_t len, match_book_fn *on_book,
                   match_trade_fn *on_trade, void *arg);

/* The book of symbol, or NULL if never seen. */
match_book_t *match_book(match_t *self, const char *symbol);

/* Take up to qty from the side opposite to `side` (+1 buy takes asks) at prices no worse
 * than limit_px (0 = no limit). Writes at most max fills (px, qty) to fills and returns how
 * many; *taken gets the total. dry = true only measures (book unchanged). */
size_t match_take(match_book_t *b, int8_t side, int64_t limit_px, int64_t qty, bool dry,
                  match_level_t *fills, size_t max, int64_t *taken);

#endif /* TP_VS_MATCH_H */
