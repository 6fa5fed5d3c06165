/*  account.h - one quote-currency account: positions per venue+symbol, realised PnL, fees,
 *  wallet and equity. The paper venue's book-keeping (a live venue reports these instead).
 *  Owns:  a fixed table of positions (ACCOUNT_MAX_POSITIONS), start balance, cumulative
 *         realised PnL and fees.
 *  Not:   orders (executor/orders.c), matching (executor/paper.c), margin, leverage, funding,
 *         liquidation (not modelled: one cash account in the quote asset).
 *  Units: px at the instrument px_scale, qty at qty_scale (signed: > 0 long, < 0 short);
 *         cost, PnL, fees, wallet and equity at MONEY_VALUE_SCALE.
 *  Rules (docs/executor.md "Account"):
 *    cost      = sum of px x signed qty of the open part, exact at MONEY_VALUE_SCALE
 *                (half-even only when px_scale + qty_scale > 8)
 *    entry_px  = cost / qty, half-even to px_scale
 *    a fill against the position closes c = min(|fill|, |qty|) units first:
 *      realised = px x c_signed - cost x c_signed / qty   (= (exit - entry) x closed x sign,
 *                 with the exact average instead of the rounded entry_px; half-even)
 *      the rest of the fill (a flip) opens a new position at the fill price
 *    unrealised = mark x qty - cost (0 while no mark is known)
 *    wallet     = start + realised - fees;  equity = wallet + sum of unrealised
 *  Invariants, asserted by account_check():
 *    (1) qty == 0 <=> cost == 0 for every position
 *    (2) qty != 0 => cost has the sign of qty
 *    (3) sum of positions' realised == the account's realised
 */
#ifndef TP_EXEC_ACCOUNT_H
#define TP_EXEC_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/codec.h"

#define ACCOUNT_MAX_POSITIONS 256

typedef struct account account_t;

/* New account in `asset` ("USDT", copied) holding start_balance (MONEY_VALUE_SCALE). Returns
 * it (caller owns; account_destroy) or NULL with errno EINVAL (asset empty or longer than 11)
 * or ENOMEM. */
account_t *account_new(const char *asset, int64_t start_balance);
void account_destroy(account_t **self_p);

/* Book a fill: side +1 buy / -1 sell, px > 0, qty > 0, fee >= 0 or < 0 (rebate). Creates the
 * position on its first fill (its mark starts at px). *realized (may be NULL) gets the gross
 * PnL this fill realised. Returns 0, or -1 with errno
 *   EINVAL  side not +1/-1, px <= 0, qty <= 0, scales differ from the position's
 *   ENOSPC  a new position and the table is full
 *   ERANGE  overflow
 * On failure nothing changes. */
int account_fill(account_t *self, const char *venue, const char *symbol, int px_scale,
                 int qty_scale, int8_t side, int64_t px, int64_t qty, int64_t fee,
                 int64_t *realized);

/* Set the mark price of a position that exists. 0, -1/ENOENT (never filled), EINVAL (<= 0). */
int account_mark(account_t *self, const char *venue, const char *symbol, int64_t mark_px);

/* The exec.position body of venue+symbol. 0, -1/ENOENT (never filled), -1/ERANGE. */
int account_position(const account_t *self, const char *venue, const char *symbol, int64_t ts_event,
                     codec_exec_position_t *out);

/* True if venue+symbol has a non-zero position. */
bool account_is_open(const account_t *self, const char *venue, const char *symbol);

/* The exec.balance body (venue = `venue`, the executor's venue name). available = wallet
 * (no margin model). 0, or -1/ERANGE. */
int account_balance(const account_t *self, const char *venue, int64_t ts_event,
                    codec_exec_balance_t *out);

size_t account_open_positions(const account_t *self); /* positions with qty != 0 */
int64_t account_realized(const account_t *self);      /* cumulative, MONEY_VALUE_SCALE */
int64_t account_fees(const account_t *self);          /* cumulative, MONEY_VALUE_SCALE */

void account_check(const account_t *self); /* asserts invariants (1)-(3) */

#endif /* TP_EXEC_ACCOUNT_H */
