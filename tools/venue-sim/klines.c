/*  klines.c - data.binance.vision kline CSV row -> Binance combined-stream kline frame, and the
 *  venues' REST kline answers built from replayed kline frames.
 *  See klines.h for the frame shape and why f/L are -1 and E is close_time + 1 ms, and for the
 *  REST shapes and the "closed at or before the replay clock" rule.
 */
#include "tools/venue-sim/klines.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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

/* Compare two plain unsigned decimals (s_is_decimal) by value: <0, 0, >0. */
static int
s_dec_cmp(const s_field_t *a, const s_field_t *b)
{
    const char *ap = a->p, *bp = b->p;
    size_t ai = 0, bi = 0; /* integer part lengths */
    while (ai < a->len && ap[ai] != '.') {
        ai++;
    }
    while (bi < b->len && bp[bi] != '.') {
        bi++;
    }
    size_t as = 0, bs = 0; /* skip leading zeros of the integer parts */
    while (as < ai && ap[as] == '0') {
        as++;
    }
    while (bs < bi && bp[bs] == '0') {
        bs++;
    }
    if (ai - as != bi - bs) {
        return ai - as < bi - bs ? -1 : 1;
    }
    int c = memcmp(ap + as, bp + bs, ai - as);
    if (c != 0) {
        return c;
    }
    const char *af = ai < a->len ? ap + ai + 1 : "", *bf = bi < b->len ? bp + bi + 1 : "";
    size_t al = ai < a->len ? a->len - ai - 1 : 0, bl = bi < b->len ? b->len - bi - 1 : 0;
    for (size_t i = 0; i < al || i < bl; i++) {
        char x = i < al ? af[i] : '0', y = i < bl ? bf[i] : '0';
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return 0;
}

static int s_refuse(char *why, size_t why_cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
s_refuse(char *why, size_t why_cap, const char *fmt, ...)
{
    if (why && why_cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_cap, fmt, ap);
        va_end(ap);
    }
    errno = EINVAL;
    return -1;
}

bool
klines_is_header(const char *row, size_t len)
{
    while (len > 0 && (row[len - 1] == '\n' || row[len - 1] == '\r')) {
        len--;
    }
    static const char k_first[] = "open_time,";
    if (len < sizeof k_first - 1 || memcmp(row, k_first, sizeof k_first - 1) != 0) {
        return false;
    }
    size_t commas = 0;
    for (size_t i = 0; i < len; i++) {
        char c = row[i];
        if (c == ',') {
            commas++;
        } else if (!(c == '_' || isalnum((unsigned char)c))) {
            return false;
        }
    }
    return commas == K_COLS - 1;
}

int
klines_frame(const char *row, size_t len, const char *symbol, char *out, size_t cap,
             size_t *out_len, int64_t *event_ms)
{
    return klines_frame_ex(row, len, symbol, out, cap, out_len, event_ms, NULL, NULL, 0);
}

int
klines_row_parse(const char *row, size_t len, klines_row_t *out, char *why, size_t why_cap)
{
    static const char *const k_names[K_COLS] = { "open_time",
                                                 "open",
                                                 "high",
                                                 "low",
                                                 "close",
                                                 "volume",
                                                 "close_time",
                                                 "quote_volume",
                                                 "count",
                                                 "taker_buy_volume",
                                                 "taker_buy_quote_volume",
                                                 "ignore" };
    s_field_t f[K_COLS];
    size_t n = 0;

    if (!row || !out) {
        return s_refuse(why, why_cap, "missing argument");
    }
    while (len > 0 && (row[len - 1] == '\n' || row[len - 1] == '\r')) {
        len--;
    }
    for (const char *p = row, *end = row + len;;) { /* memchr: the streamed path's hot loop */
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        if (n < K_COLS) {
            f[n].p = p;
            f[n].len = (size_t)(e - p);
        }
        n++;
        if (!comma) {
            break;
        }
        p = comma + 1;
    }
    if (n != K_COLS) {
        return s_refuse(why, why_cap, "expected %d comma-separated columns, got %zu", K_COLS, n);
    }
    int64_t t = 0, T = 0, trades = 0;
    static const int k_ints[] = { 0, 6, 8 };
    int64_t *k_int_out[] = { &t, &T, &trades };
    for (size_t i = 0; i < 3; i++) {
        if (!s_parse_int(&f[k_ints[i]], k_int_out[i])) {
            return s_refuse(why, why_cap, "%s \"%.*s\" is not a plain integer", k_names[k_ints[i]],
                            (int)(f[k_ints[i]].len > 24 ? 24 : f[k_ints[i]].len), f[k_ints[i]].p);
        }
    }
    static const int k_dec[] = { 1, 2, 3, 4, 5, 7, 9, 10 };
    for (size_t i = 0; i < sizeof k_dec / sizeof k_dec[0]; i++) {
        if (!s_is_decimal(&f[k_dec[i]])) {
            return s_refuse(why, why_cap, "%s \"%.*s\" is not a plain unsigned decimal",
                            k_names[k_dec[i]], (int)(f[k_dec[i]].len > 24 ? 24 : f[k_dec[i]].len),
                            f[k_dec[i]].p);
        }
    }
    if (t > K_US_THRESHOLD) {
        t /= 1000; /* µs -> ms: 1761955200000000 -> 1761955200000 */
        T /= 1000; /* 1761955259999999 -> 1761955259999 (floor) */
    }
    if (T <= t) {
        return s_refuse(why, why_cap, "close_time is not after open_time");
    }
    if (T - t + 1 != 60000) {
        return s_refuse(why, why_cap,
                        "not a 1-minute bar (close_time - open_time = %lld ms): only 1m klines "
                        "are replayed",
                        (long long)(T - t));
    }
    if (s_dec_cmp(&f[3], &f[2]) > 0 || s_dec_cmp(&f[1], &f[2]) > 0 || s_dec_cmp(&f[4], &f[2]) > 0
        || s_dec_cmp(&f[1], &f[3]) < 0 || s_dec_cmp(&f[4], &f[3]) < 0) {
        return s_refuse(why, why_cap, "open/close outside [low, high] or low above high");
    }
    out->open_ms = t;
    out->close_ms = T;
    out->trades = trades;
    for (size_t i = 0; i < K_COLS; i++) {
        out->col[i].p = f[i].p;
        out->col[i].len = f[i].len;
    }
    return 0;
}

int
klines_frame_ex(const char *row, size_t len, const char *symbol, char *out, size_t cap,
                size_t *out_len, int64_t *event_ms, int64_t *open_ms, char *why, size_t why_cap)
{
    char lower[24];
    klines_row_t r;

    if (!row || !symbol || !out || !out_len || !event_ms) {
        return s_refuse(why, why_cap, "missing argument");
    }
    size_t sl = strlen(symbol);
    if (sl == 0 || sl > 20) {
        return s_refuse(why, why_cap, "symbol \"%s\": expected 1..20 characters", symbol);
    }
    for (size_t i = 0; i <= sl; i++) {
        lower[i] = (char)tolower((unsigned char)symbol[i]);
    }
    if (klines_row_parse(row, len, &r, why, why_cap) != 0) {
        return -1;
    }
    int64_t t = r.open_ms, T = r.close_ms, trades = r.trades;
    const struct klines_col *f = r.col;
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
        (void)s_refuse(why, why_cap, "frame longer than %zu bytes", cap);
        errno = ENOBUFS;
        return -1;
    }
    memcpy(out, buf, (size_t)w + 1);
    *out_len = (size_t)w;
    *event_ms = e;
    if (open_ms) {
        *open_ms = t;
    }
    return 0;
}

/* ---- REST klines -------------------------------------------------------------------------- */

int
klines_stream_name(klines_venue_t venue, const char *interval, const char *symbol, char *out,
                   size_t cap)
{
    static const char *const k_binance[] = { "1s", "1m", "3m", "5m", "15m", "30m",
                                             "1h", "2h", "4h", "6h", "8h",  "12h",
                                             "1d", "3d", "1w", "1M", NULL };
    static const char *const k_bybit[] = { "1",   "3",   "5",   "15", "30", "60", "120",
                                           "240", "360", "720", "D",  "W",  "M",  NULL };
    if (!interval || !symbol || !out || !symbol[0] || strlen(symbol) > 20) {
        errno = EINVAL;
        return -1;
    }
    const char *const *words = venue == KLINES_BINANCE ? k_binance : k_bybit;
    bool known = false;
    for (size_t i = 0; words[i] && !known; i++) {
        known = strcmp(words[i], interval) == 0;
    }
    if (!known) {
        errno = EINVAL;
        return -1;
    }
    int w;
    if (venue == KLINES_BINANCE) {
        char lower[24];
        size_t i;
        for (i = 0; symbol[i]; i++) {
            lower[i] = (char)tolower((unsigned char)symbol[i]);
        }
        lower[i] = '\0';
        w = snprintf(out, cap, "%s@kline_%s", lower, interval);
    } else {
        w = snprintf(out, cap, "kline.%s.%s", interval, symbol);
    }
    if (w < 0 || (size_t)w >= cap) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* growable text */
typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} s_buf_t;

static void
s_put(s_buf_t *b, const char *text, size_t n)
{
    if (b->oom) {
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, text, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* A JSON string member that is a plain unsigned decimal (safe between quotes as is). */
static const char *
s_dec(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    if (!v) {
        return NULL;
    }
    s_field_t f = { v, strlen(v) };
    return s_is_decimal(&f) ? v : NULL;
}

/* A JSON integer member, or a string of digits (Bybit sends times as both). */
static bool
s_int(const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    const char *s = json_string_value(v);
    if (!s) {
        return false;
    }
    s_field_t f = { s, strlen(s) };
    return s_parse_int(&f, out);
}

typedef struct {
    int64_t open_ms, end_ms; /* end exclusive */
    char text[320];          /* the REST row */
} s_row_t;

/* The closed bars of one frame as REST rows, in the frame's order. Returns how many (<= cap),
 * or -1 if the frame does not parse. */
static int
s_frame_rows(klines_venue_t venue, const char *text, size_t len, s_row_t *rows, int cap)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, 0, &jerr);
    int n = 0;
    if (!j) {
        return -1;
    }
    if (venue == KLINES_BINANCE) {
        const json_t *k = json_object_get(json_object_get(j, "data"), "k");
        int64_t t, T, trades;
        const char *o = s_dec(k, "o"), *h = s_dec(k, "h"), *l = s_dec(k, "l"), *c = s_dec(k, "c");
        const char *v = s_dec(k, "v"), *q = s_dec(k, "q"), *V = s_dec(k, "V"), *Q = s_dec(k, "Q");
        if (!json_is_boolean(json_object_get(k, "x")) || !s_int(k, "t", &t) || !s_int(k, "T", &T)
            || !s_int(k, "n", &trades) || !o || !h || !l || !c || !v || !q || !V || !Q || T < t) {
            n = -1;
        } else if (json_is_true(json_object_get(k, "x")) && cap > 0) {
            int w = snprintf(rows[0].text, sizeof rows[0].text,
                             "[%lld,\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",%lld,\"%s\",%lld,\"%s\","
                             "\"%s\",\"0\"]",
                             (long long)t, o, h, l, c, v, (long long)T, q, (long long)trades, V, Q);
            if (w < 0 || (size_t)w >= sizeof rows[0].text) {
                n = -1;
            } else {
                rows[0].open_ms = t;
                rows[0].end_ms = T + 1; /* T is the bar's last ms */
                n = 1;
            }
        }
    } else {
        const json_t *data = json_object_get(j, "data");
        size_t i;
        const json_t *b;
        if (!json_is_array(data)) {
            n = -1;
        }
        json_array_foreach(data, i, b)
        {
            int64_t start, end;
            const char *o = s_dec(b, "open"), *h = s_dec(b, "high"), *l = s_dec(b, "low");
            const char *c = s_dec(b, "close"), *v = s_dec(b, "volume"), *q = s_dec(b, "turnover");
            if (n < 0 || !s_int(b, "start", &start) || !s_int(b, "end", &end) || !o || !h || !l
                || !c || !v || !q || end < start
                || !json_is_boolean(json_object_get(b, "confirm"))) {
                n = -1;
                break;
            }
            if (!json_is_true(json_object_get(b, "confirm")) || n >= cap) {
                continue;
            }
            int w = snprintf(rows[n].text, sizeof rows[n].text,
                             "[\"%lld\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"]",
                             (long long)start, o, h, l, c, v, q);
            if (w < 0 || (size_t)w >= sizeof rows[n].text) {
                n = -1;
                break;
            }
            rows[n].open_ms = start;
            rows[n].end_ms = end + 1; /* Bybit's end is the bar's last ms */
            n++;
        }
    }
    json_decref(j);
    return n;
}

/* 1..20 letters and digits: safe inside a JSON string as is */
static bool
s_plain_word(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 20) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* Is row r wanted by q (closed by the replay clock, inside [start, end])? */
static bool
s_wanted(const klines_query_t *q, const s_row_t *r)
{
    return r->end_ms <= q->now_ms && (q->start_ms < 0 || r->open_ms >= q->start_ms)
           && (q->end_ms < 0 || r->open_ms <= q->end_ms);
}

char *
klines_rest_body(const klines_query_t *q, klines_frame_fn *get, void *arg, size_t n_frames,
                 const char *category, const char *symbol, int64_t wall_ms, size_t *bad)
{
    if (!q || !get || !s_plain_word(symbol) || q->limit < 1 || q->limit > 1500
        || (q->venue == KLINES_BYBIT && !s_plain_word(category))) {
        errno = EINVAL;
        return NULL;
    }
    size_t limit = (size_t)q->limit, n_rows = 0, n_bad = 0;
    s_row_t *rows = calloc(limit, sizeof *rows);
    s_row_t fr[4]; /* bars of one frame (Bybit pushes one or two) */
    if (!rows) {
        errno = ENOMEM;
        return NULL;
    }
    /* Binance with startTime: the first `limit` from it, walking forward; otherwise the newest
     * `limit`, walking backward from the replay clock. Rows keep strictly monotonic open times
     * (a bar repeated in a later frame is taken once). */
    bool forward = q->venue == KLINES_BINANCE && q->start_ms >= 0;
    for (size_t k = 0; k < n_frames && n_rows < limit; k++) {
        size_t i = forward ? k : n_frames - 1 - k;
        size_t len;
        int64_t ts_ms;
        const char *text = get(i, arg, &len, &ts_ms);
        if (!text) {
            continue;
        }
        if (ts_ms > q->now_ms) {
            if (forward) {
                break; /* not sent yet, nor anything after it */
            }
            continue;
        }
        int m = s_frame_rows(q->venue, text, len, fr, (int)(sizeof fr / sizeof fr[0]));
        if (m < 0) {
            n_bad++;
            continue;
        }
        for (int x = 0; x < m && n_rows < limit; x++) {
            const s_row_t *r = &fr[forward ? x : m - 1 - x];
            if (!s_wanted(q, r)) {
                continue;
            }
            if (n_rows > 0
                && (forward ? r->open_ms <= rows[n_rows - 1].open_ms
                            : r->open_ms >= rows[n_rows - 1].open_ms)) {
                continue; /* repeated bar */
            }
            rows[n_rows++] = *r;
        }
        if (!forward && n_rows > 0 && q->start_ms >= 0 && rows[n_rows - 1].open_ms <= q->start_ms) {
            break; /* nothing older is wanted */
        }
    }
    /* rows are in walk order; Binance answers oldest first, Bybit newest first */
    bool oldest_first = q->venue == KLINES_BINANCE;
    s_buf_t b = { 0 };
    char head[256];
    int w = q->venue == KLINES_BINANCE
                ? snprintf(head, sizeof head, "[")
                : snprintf(head, sizeof head,
                           "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":\"%s\","
                           "\"symbol\":\"%s\",\"list\":[",
                           category, symbol);
    s_put(&b, head, (size_t)w);
    for (size_t k = 0; k < n_rows; k++) {
        size_t i = (oldest_first == forward) ? k : n_rows - 1 - k;
        if (k > 0) {
            s_put(&b, ",", 1);
        }
        s_put(&b, rows[i].text, strlen(rows[i].text));
    }
    w = q->venue == KLINES_BINANCE
            ? snprintf(head, sizeof head, "]")
            : snprintf(head, sizeof head, "]},\"retExtInfo\":{},\"time\":%lld}",
                       (long long)wall_ms);
    s_put(&b, head, (size_t)w);
    free(rows);
    if (bad) {
        *bad = n_bad;
    }
    if (b.oom) {
        free(b.p);
        errno = ENOMEM;
        return NULL;
    }
    return b.p;
}
