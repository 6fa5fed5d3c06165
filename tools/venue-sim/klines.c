/*  klines.c - data.binance.vision kline CSV row -> Binance combined-stream kline frame.
 *  See klines.h for the frame shape and why f/L are -1 and E is close_time + 1 ms.
 */
#include "tools/venue-sim/klines.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define K_COLS         12
#define K_US_THRESHOLD INT64_C(100000000000000) /* 1e14: above = µs (2025+ files) */

typedef struct {
    const char *p;
    size_t len;
} s_field_t;

/* Plain non-negative integer, at most 18 digits (no overflow). */
static bool
s_parse_int(const s_field_t *f, int64_t *out)
{
    if (f->len == 0 || f->len > 18) {
        return false;
    }
    int64_t v = 0;
    for (size_t i = 0; i < f->len; i++) {
        if (!isdigit((unsigned char)f->p[i])) {
            return false;
        }
        v = v * 10 + (f->p[i] - '0');
    }
    *out = v;
    return true;
}

/* Plain unsigned decimal: digits with at most one '.', at least one digit, <= 40 chars.
 * Safe to copy between JSON quotes as is. */
static bool
s_is_decimal(const s_field_t *f)
{
    bool dot = false, digit = false;
    if (f->len == 0 || f->len > 40) {
        return false;
    }
    for (size_t i = 0; i < f->len; i++) {
        char c = f->p[i];
        if (c == '.') {
            if (dot) {
                return false;
            }
            dot = true;
        } else if (isdigit((unsigned char)c)) {
            digit = true;
        } else {
            return false;
        }
    }
    return digit;
}

int
klines_frame(const char *row, size_t len, const char *symbol, char *out, size_t cap,
             size_t *out_len, int64_t *event_ms)
{
    s_field_t f[K_COLS];
    size_t n = 0, start = 0;
    char lower[24];

    if (!row || !symbol || !out || !out_len || !event_ms) {
        errno = EINVAL;
        return -1;
    }
    size_t sl = strlen(symbol);
    if (sl == 0 || sl > 20) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i <= sl; i++) {
        lower[i] = (char)tolower((unsigned char)symbol[i]);
    }
    while (len > 0 && (row[len - 1] == '\n' || row[len - 1] == '\r')) {
        len--;
    }
    for (size_t i = 0; i <= len; i++) {
        if (i == len || row[i] == ',') {
            if (n == K_COLS) {
                errno = EINVAL; /* too many columns */
                return -1;
            }
            f[n].p = row + start;
            f[n].len = i - start;
            n++;
            start = i + 1;
        }
    }
    if (n != K_COLS) {
        errno = EINVAL;
        return -1;
    }
    int64_t t, T, trades;
    if (!s_parse_int(&f[0], &t) || !s_parse_int(&f[6], &T) || !s_parse_int(&f[8], &trades)) {
        errno = EINVAL;
        return -1;
    }
    static const int k_dec[] = { 1, 2, 3, 4, 5, 7, 9, 10 };
    for (size_t i = 0; i < sizeof k_dec / sizeof k_dec[0]; i++) {
        if (!s_is_decimal(&f[k_dec[i]])) {
            errno = EINVAL;
            return -1;
        }
    }
    if (t > K_US_THRESHOLD) {
        t /= 1000; /* µs -> ms: 1761955200000000 -> 1761955200000 */
        T /= 1000; /* 1761955259999999 -> 1761955259999 (floor) */
    }
    if (T <= t) {
        errno = EINVAL;
        return -1;
    }
    int64_t e = T + 1;
    char buf[KLINES_FRAME_MAX]; /* formatted here so that `out` stays untouched on failure */
    int w = snprintf(
        buf, sizeof buf,
        "{\"stream\":\"%s@kline_1m\",\"data\":{\"e\":\"kline\",\"E\":%lld,\"s\":\"%s\","
        "\"k\":{\"t\":%lld,\"T\":%lld,\"s\":\"%s\",\"i\":\"1m\",\"f\":-1,\"L\":-1,"
        "\"o\":\"%.*s\",\"c\":\"%.*s\",\"h\":\"%.*s\",\"l\":\"%.*s\",\"v\":\"%.*s\","
        "\"n\":%lld,\"x\":true,\"q\":\"%.*s\",\"V\":\"%.*s\",\"Q\":\"%.*s\",\"B\":\"0\"}}}",
        lower, (long long)e, symbol, (long long)t, (long long)T, symbol, (int)f[1].len, f[1].p,
        (int)f[4].len, f[4].p, (int)f[2].len, f[2].p, (int)f[3].len, f[3].p, (int)f[5].len, f[5].p,
        (long long)trades, (int)f[7].len, f[7].p, (int)f[9].len, f[9].p, (int)f[10].len, f[10].p);
    if (w < 0 || (size_t)w >= sizeof buf || (size_t)w >= cap) {
        errno = ENOBUFS;
        return -1;
    }
    memcpy(out, buf, (size_t)w + 1);
    *out_len = (size_t)w;
    *event_ms = e;
    return 0;
}
