/*  money.h - exact fixed-point decimals for prices, quantities and amounts.
 *  A value is an int64 mantissa m at a decimal scale s: value = m / 10^s. Prices use the
 *  instrument's px_scale, quantities its qty_scale, quote amounts (notional, fees, PnL,
 *  balances) MONEY_VALUE_SCALE. No float anywhere on the way in or out.
 *  Errors: -1 with errno EINVAL (malformed text, digits beyond the scale, bad scale) or
 *  ERANGE (overflow); out-parameters are untouched on failure.
 */
#ifndef TP_MONEY_H
#define TP_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define MONEY_MAX_SCALE   18
#define MONEY_VALUE_SCALE 8 /* quote-currency amounts: 1e-8 units */

typedef enum {
    MONEY_ROUND_DOWN = 0, /* toward -infinity (floor) */
    MONEY_ROUND_UP,       /* toward +infinity (ceil) */
    MONEY_ROUND_ZERO,     /* toward zero (truncate) */
    MONEY_ROUND_HALF_EVEN /* banker's rounding */
} money_round_t;

/* Parse a decimal string of `len` bytes ("65114.20", "-3.5", "0.00001", "1e-5" is refused)
 * into a mantissa at `scale`. Trailing zeros beyond the scale are accepted
 * ("61837.63000000" at scale 2); any non-zero digit beyond it is EINVAL. Optional leading
 * '-' or '+'. Cost: one pass, no allocation. */
int money_parse(const char *s, size_t len, int scale, int64_t *out);

/* Number of decimals written in `s` after trimming trailing zeros ("0.010" -> 2, "5" -> 0).
 * Used to derive an instrument's scale from its tick size / qty step. -1/EINVAL if malformed. */
int money_decimals(const char *s, size_t len);

/* Format mantissa `m` at `scale` as a plain decimal with exactly `scale` decimals
 * ("65114.20", "-0.00001000"); no exponent, no float artefacts. Returns the length written
 * (excluding NUL), or -1/ERANGE if cap is too small. cap >= 32 always suffices. */
int money_fmt(int64_t m, int scale, char *buf, size_t cap);

/* As money_fmt but trailing zeros (and a bare '.') trimmed: "65114.2", "5". */
int money_fmt_trim(int64_t m, int scale, char *buf, size_t cap);

/* Round `m` to a multiple of `step` (> 0, same scale) in `mode`. 0 or -1/EINVAL|ERANGE. */
int money_round_to(int64_t m, int64_t step, money_round_t mode, int64_t *out);

/* Change scale: m at from_scale -> at to_scale, rounding in `mode` when precision is lost. */
int money_rescale(int64_t m, int from_scale, int to_scale, money_round_t mode, int64_t *out);

/* Product a*b of mantissas at scales sa and sb, result at `out_scale`, rounded in `mode`;
 * 128-bit intermediate. The notional of px x qty at MONEY_VALUE_SCALE is
 * money_mul(px, px_scale, qty, qty_scale, MONEY_VALUE_SCALE, mode, &out). */
int money_mul(int64_t a, int sa, int64_t b, int sb, int out_scale, money_round_t mode,
              int64_t *out);

/* Quotient a/b (b != 0) of mantissas at sa and sb, result at out_scale, rounded in `mode`. */
int money_div(int64_t a, int sa, int64_t b, int sb, int out_scale, money_round_t mode,
              int64_t *out);

/* Overflow-checked a+b and a-b (same scale). */
int money_add(int64_t a, int64_t b, int64_t *out);
int money_sub(int64_t a, int64_t b, int64_t *out);

/* 10^n for 0 <= n <= 18. */
int64_t money_pow10(int n);

/* Double approximation for indicators and statistics only (never back into money except via
 * money_from_double). */
double money_to_double(int64_t m, int scale);

/* The nearest mantissa at `scale` to x, rounded in `mode`. -1/ERANGE if out of range or NaN. */
int money_from_double(double x, int scale, money_round_t mode, int64_t *out);

#endif /* TP_MONEY_H */
