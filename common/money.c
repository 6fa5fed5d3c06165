/*  money.c - exact fixed-point decimals (see money.h for the contract).
 *  Owns:  nothing (pure functions, no state, no allocation).
 *  Not:   currencies, instrument rules (common/instr), float maths outside the two
 *         money_*_double helpers kept for indicators.
 *  Units: a value is mantissa m at decimal scale s: m / 10^s, 0 <= s <= MONEY_MAX_SCALE.
 *  Invariants:
 *    (1) text <-> mantissa never goes through a double (digits are accumulated exactly)
 *    (2) every product, quotient and rescale runs in __int128 and is range-checked once
 *        before narrowing to int64 (-1/ERANGE, out-parameter untouched)
 *    (3) rounding happens in exactly one place, s_div_round(), in the caller's mode
 */
#include "common/money.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

typedef __int128 s_i128;

static const int64_t k_pow10[MONEY_MAX_SCALE + 1] = { 1LL,
                                                      10LL,
                                                      100LL,
                                                      1000LL,
                                                      10000LL,
                                                      100000LL,
                                                      1000000LL,
                                                      10000000LL,
                                                      100000000LL,
                                                      1000000000LL,
                                                      10000000000LL,
                                                      100000000000LL,
                                                      1000000000000LL,
                                                      10000000000000LL,
                                                      100000000000000LL,
                                                      1000000000000000LL,
                                                      10000000000000000LL,
                                                      100000000000000000LL,
                                                      1000000000000000000LL };

static bool
s_scale_ok(int scale)
{
    return scale >= 0 && scale <= MONEY_MAX_SCALE;
}

/* 10^n in 128 bits, 0 <= n <= 36 (10^36 < 2^127). */
static s_i128
s_pow10_128(int n)
{
    s_i128 p = 1;
    for (int i = 0; i < n; i++) {
        p *= 10;
    }
    return p;
}

static bool
s_fits64(s_i128 v)
{
    return v >= (s_i128)INT64_MIN && v <= (s_i128)INT64_MAX;
}

/* q = n / d rounded in `mode` (d != 0). Both operands are within +-2^126 (callers
 * guarantee it), so negating them cannot overflow. */
static s_i128
s_div_round(s_i128 n, s_i128 d, money_round_t mode)
{
    if (d < 0) {
        n = -n;
        d = -d;
    }
    s_i128 q = n / d; /* truncates toward zero */
    s_i128 r = n % d; /* same sign as n */
    if (r == 0) {
        return q;
    }
    switch (mode) {
    case MONEY_ROUND_DOWN:
        return r < 0 ? q - 1 : q;
    case MONEY_ROUND_UP:
        return r > 0 ? q + 1 : q;
    case MONEY_ROUND_ZERO:
        return q;
    case MONEY_ROUND_HALF_EVEN:
    default: {
        s_i128 twice = (r < 0 ? -r : r) * 2; /* |r| < d <= 2^126: no overflow */
        bool away = twice > d || (twice == d && (q & 1) != 0);
        if (!away) {
            return q;
        }
        return r < 0 ? q - 1 : q + 1;
    }
    }
}

static int
s_store(s_i128 v, int64_t *out)
{
    if (!s_fits64(v)) {
        errno = ERANGE;
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

/* Syntax shared by money_parse and money_decimals: [+-]digits[.digits]. Sets the digit
 * spans; returns false when malformed. */
typedef struct {
    bool neg;
    const char *ip; /* integer digits */
    size_t ni;
    const char *fp; /* fraction digits */
    size_t nf;
} s_num_t;

static bool
s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
s_split(const char *s, size_t len, s_num_t *num)
{
    size_t i = 0;
    memset(num, 0, sizeof *num);
    if (!s || len == 0) {
        return false;
    }
    if (s[0] == '-' || s[0] == '+') {
        num->neg = s[0] == '-';
        i = 1;
    }
    num->ip = s + i;
    while (i < len && s_is_digit(s[i])) {
        i++;
        num->ni++;
    }
    if (num->ni == 0) {
        return false; /* ".5", "-", "abc" */
    }
    if (i < len && s[i] == '.') {
        i++;
        num->fp = s + i;
        while (i < len && s_is_digit(s[i])) {
            i++;
            num->nf++;
        }
        if (num->nf == 0) {
            return false; /* "5." */
        }
    }
    return i == len; /* anything left ("1e5", "1.2.3", " 1") is malformed */
}

/* The common case in one pass: [-]digits[.digits] with at most 18 digits at `scale`, which
 * cannot overflow uint64. true with *out set, or false: let the general path decide (it also
 * reports every error). Venue frames carry hundreds of these per book snapshot. */
static bool
s_parse_fast(const char *s, size_t len, int scale, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (len > 0 && s[0] == '-') {
        neg = true;
        i = 1;
    }
    size_t start = i;
    uint64_t mag = 0;
    while (i < len && s_is_digit(s[i])) {
        mag = mag * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    size_t ni = i - start;
    if (ni == 0 || ni + (size_t)scale > 18) {
        return false;
    }
    int f = 0;
    if (i < len && s[i] == '.') {
        size_t fs = ++i;
        for (; i < len && s_is_digit(s[i]); i++) {
            if (f < scale) {
                mag = mag * 10 + (uint64_t)(s[i] - '0');
                f++;
            } else if (s[i] != '0') {
                return false;
            }
        }
        if (i == fs) {
            return false;
        }
    }
    if (i != len) {
        return false;
    }
    for (; f < scale; f++) {
        mag *= 10;
    }
    *out = neg ? -(int64_t)mag : (int64_t)mag;
    return true;
}

int
money_parse(const char *s, size_t len, int scale, int64_t *out)
{
    s_num_t num;
    if (s_scale_ok(scale) && out && s && s_parse_fast(s, len, scale, out)) {
        return 0;
    }
    if (!s_scale_ok(scale) || !out || !s_split(s, len, &num)) {
        errno = EINVAL;
        return -1;
    }
    /* Accumulate the magnitude at `scale` in 128 bits; stop as soon as it passes 2^63. */
    const s_i128 limit = (s_i128)INT64_MAX + 1;
    s_i128 mag = 0;
    for (size_t i = 0; i < num.ni; i++) {
        mag = mag * 10 + (num.ip[i] - '0');
        if (mag > limit) {
            errno = ERANGE;
            return -1;
        }
    }
    for (int i = 0; i < scale; i++) {
        int digit = (size_t)i < num.nf ? num.fp[i] - '0' : 0;
        mag = mag * 10 + digit;
        if (mag > limit) {
            errno = ERANGE;
            return -1;
        }
    }
    for (size_t i = (size_t)scale; i < num.nf; i++) {
        if (num.fp[i] != '0') {
            errno = EINVAL; /* precision beyond the scale: malformed for this instrument */
            return -1;
        }
    }
    return s_store(num.neg ? -mag : mag, out);
}

int
money_decimals(const char *s, size_t len)
{
    s_num_t num;
    if (!s_split(s, len, &num)) {
        errno = EINVAL;
        return -1;
    }
    size_t nf = num.nf;
    while (nf > 0 && num.fp[nf - 1] == '0') {
        nf--;
    }
    if (nf > (size_t)MONEY_MAX_SCALE) {
        errno = EINVAL;
        return -1;
    }
    return (int)nf;
}

int
money_fmt(int64_t m, int scale, char *buf, size_t cap)
{
    if (!s_scale_ok(scale) || !buf) {
        errno = EINVAL;
        return -1;
    }
    /* |INT64_MIN| does not fit int64: take the magnitude as uint64 */
    uint64_t mag = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;
    uint64_t p = (uint64_t)k_pow10[scale];
    uint64_t ipart = mag / p, fpart = mag % p;
    char tmp[48];
    size_t n = 0;
    /* digits are produced backwards: fraction first, then '.', then the integer part */
    for (int i = 0; i < scale; i++) {
        tmp[n++] = (char)('0' + fpart % 10);
        fpart /= 10;
    }
    if (scale > 0) {
        tmp[n++] = '.';
    }
    do {
        tmp[n++] = (char)('0' + ipart % 10);
        ipart /= 10;
    } while (ipart > 0);
    if (m < 0) {
        tmp[n++] = '-';
    }
    if (n + 1 > cap) {
        errno = ERANGE;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        buf[i] = tmp[n - 1 - i];
    }
    buf[n] = '\0';
    return (int)n;
}

int
money_fmt_trim(int64_t m, int scale, char *buf, size_t cap)
{
    char tmp[48];
    int n = money_fmt(m, scale, tmp, sizeof tmp);
    if (n < 0) {
        return -1;
    }
    if (scale > 0) {
        while (tmp[n - 1] == '0') {
            n--;
        }
        if (tmp[n - 1] == '.') {
            n--;
        }
    }
    if ((size_t)n + 1 > cap) {
        errno = ERANGE;
        return -1;
    }
    memcpy(buf, tmp, (size_t)n);
    buf[n] = '\0';
    return n;
}

int
money_round_to(int64_t m, int64_t step, money_round_t mode, int64_t *out)
{
    if (step <= 0 || !out) {
        errno = EINVAL;
        return -1;
    }
    s_i128 q = s_div_round(m, step, mode);
    return s_store(q * step, out);
}

int
money_rescale(int64_t m, int from_scale, int to_scale, money_round_t mode, int64_t *out)
{
    if (!s_scale_ok(from_scale) || !s_scale_ok(to_scale) || !out) {
        errno = EINVAL;
        return -1;
    }
    if (to_scale >= from_scale) {
        return s_store((s_i128)m * k_pow10[to_scale - from_scale], out); /* < 2^126 */
    }
    return s_store(s_div_round(m, k_pow10[from_scale - to_scale], mode), out);
}

int
money_mul(int64_t a, int sa, int64_t b, int sb, int out_scale, money_round_t mode, int64_t *out)
{
    if (!s_scale_ok(sa) || !s_scale_ok(sb) || !s_scale_ok(out_scale) || !out) {
        errno = EINVAL;
        return -1;
    }
    s_i128 p = (s_i128)a * b; /* |p| <= 2^126, at scale sa + sb (<= 36) */
    int shift = out_scale - (sa + sb);
    if (shift >= 0) {
        /* the result must fit int64, so check before scaling up (10^18 * 2^126 would wrap) */
        s_i128 f = k_pow10[shift];
        if (p > (s_i128)INT64_MAX / f || p < (s_i128)INT64_MIN / f) {
            errno = ERANGE;
            return -1;
        }
        return s_store(p * f, out);
    }
    return s_store(s_div_round(p, s_pow10_128(-shift), mode), out);
}

int
money_div(int64_t a, int sa, int64_t b, int sb, int out_scale, money_round_t mode, int64_t *out)
{
    if (!s_scale_ok(sa) || !s_scale_ok(sb) || !s_scale_ok(out_scale) || !out || b == 0) {
        errno = EINVAL;
        return -1;
    }
    /* (a / 10^sa) / (b / 10^sb) * 10^out = a * 10^(sb + out - sa) / b */
    int e = sb + out_scale - sa; /* -18 .. 36 */
    s_i128 n = a, d = b;
    if (e >= 0) {
        s_i128 f = s_pow10_128(e);
        /* n overflowing 2^127 means |result| >= 2^127 / 2^63 > INT64_MAX */
        s_i128 lim = (((s_i128)1 << 126) - 1) / f;
        if (n > lim || n < -lim) {
            errno = ERANGE;
            return -1;
        }
        n *= f;
    } else {
        d *= k_pow10[-e]; /* |b| * 10^18 < 2^123 */
    }
    return s_store(s_div_round(n, d, mode), out);
}

int
money_add(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (!out) {
        errno = EINVAL;
        return -1;
    }
    if (__builtin_add_overflow(a, b, &r)) {
        errno = ERANGE;
        return -1;
    }
    *out = r;
    return 0;
}

int
money_sub(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (!out) {
        errno = EINVAL;
        return -1;
    }
    if (__builtin_sub_overflow(a, b, &r)) {
        errno = ERANGE;
        return -1;
    }
    *out = r;
    return 0;
}

int64_t
money_pow10(int n)
{
    if (!s_scale_ok(n)) {
        errno = EINVAL;
        return -1;
    }
    return k_pow10[n];
}

double
money_to_double(int64_t m, int scale)
{
    if (!s_scale_ok(scale)) {
        return NAN;
    }
    return (double)m / (double)k_pow10[scale];
}

int
money_from_double(double x, int scale, money_round_t mode, int64_t *out)
{
    if (!s_scale_ok(scale) || !out) {
        errno = EINVAL;
        return -1;
    }
    if (!isfinite(x)) {
        errno = ERANGE;
        return -1;
    }
    double v = x * (double)k_pow10[scale]; /* 10^n is exact in a double for n <= 22 */
    /* Snap values within a few ulps of an integer to it, so that 0.1 * 100 =
     * 10.000000000000002 does not round UP to 11: the double's own representation error
     * must not decide the rounding direction. */
    double nearest = nearbyint(v);
    if (fabs(v - nearest) <= fabs(v) * 4 * DBL_EPSILON) {
        v = nearest;
    }
    double r;
    switch (mode) {
    case MONEY_ROUND_DOWN:
        r = floor(v);
        break;
    case MONEY_ROUND_UP:
        r = ceil(v);
        break;
    case MONEY_ROUND_ZERO:
        r = trunc(v);
        break;
    case MONEY_ROUND_HALF_EVEN:
    default: {
        r = floor(v);
        double frac = v - r; /* exact for |v| < 2^52 */
        if (frac > 0.5 || (frac == 0.5 && fmod(r, 2.0) != 0.0)) {
            r += 1.0;
        }
        break;
    }
    }
    /* int64 range is [-2^63, 2^63); both bounds are exact doubles */
    if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0)) {
        errno = ERANGE;
        return -1;
    }
    *out = (int64_t)r;
    return 0;
}
