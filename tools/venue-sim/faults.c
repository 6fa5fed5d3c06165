/*  faults.c - venue-sim fault injection and live snapshots (see faults.h).
 *  Live books: price levels kept as the venue's decimal strings (never through a float),
 *  ordered by a decimal string comparison; Bybit rules from BYBIT_V5.md 1.5 (snapshot
 *  replaces, delta sets absolute sizes, size "0" deletes), Binance diffs applied when
 *  u > lastUpdateId ("How to manage a local order book correctly").
 *  Client-visible bodies: Bybit rate limit {"retCode":10006,"retMsg":"Too many visits!"}
 *  (Bybit v5 docs "Rate Limit"), Binance {"code":-1003,"msg":"Too many requests..."} with
 *  HTTP 429 (Binance "LIMITS"), 5xx {"code":-1000,"msg":"An unknown error occurred..."}.
 */
#define _GNU_SOURCE /* memmem */
#include "tools/venue-sim/faults.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

#define k_mod       "faults"
#define k_label_max 48
#define k_books     64
#define k_book_max  1000 /* levels per side kept (Binance REST depth limit) */
#define k_px_max    32
#define k_dumps     8

typedef enum { F_DROP, F_SKIP, F_MALFORMED, F_STALL, F_REFUSE, F_REST } f_kind_t;
static const char *const k_fnames[] = { "drop-after", "skip",       "malformed",
                                        "stall",      "refuse-sub", "rest-error" };

typedef struct {
    f_kind_t kind;
    char label[k_label_max]; /* or the REST path prefix */
    int64_t arm;             /* frames on label before it is armed */
    int64_t n;               /* drop-after: frames left; skip/refuse/rest: count left */
    int64_t stall_ns;        /* stall length */
    int64_t until_mono;      /* stall: end (0 = not started) */
    int mkind;               /* malformed: 0 cut, 1 type, 2 topic */
    unsigned status;         /* rest-error */
    bool used;
} s_fault_t;

typedef struct {
    char px[k_px_max], qty[k_px_max];
} s_lvl_t;

typedef struct {
    int kind;
    char key[64]; /* bybit topic; binance "depth" */
    int depth;    /* levels kept (bybit topic depth) */
    char symbol[32];
    s_lvl_t *side[2]; /* 0 bids (descending), 1 asks (ascending) */
    size_t n[2];
    long long u, seq, ts, cts;
    bool have;
} s_book_t;

typedef struct {
    char label[k_label_max];
    FILE *fp;
} s_dump_t;

static struct {
    bool on;
    s_fault_t f[FAULTS_MAX];
    s_book_t books[k_books];
    size_t n_books;
    char *depth_body[2]; /* recorded REST depth: usdm, spot (copies) */
    size_t depth_len[2];
    s_dump_t dumps[k_dumps];
    size_t n_dumps;
    char cut[65536];
} g;

/* ---- decimal strings ---------------------------------------------------------------------- */

/* Compare two non-negative decimal strings numerically (<0, 0, >0). */
static int
s_dec_cmp(const char *a, const char *b)
{
    while (*a == '0' && a[1] && a[1] != '.') {
        a++;
    }
    while (*b == '0' && b[1] && b[1] != '.') {
        b++;
    }
    size_t ia = strcspn(a, "."), ib = strcspn(b, ".");
    if (ia != ib) {
        return ia < ib ? -1 : 1;
    }
    int c = strncmp(a, b, ia);
    if (c != 0) {
        return c;
    }
    const char *fa = a[ia] ? a + ia + 1 : "", *fb = b[ib] ? b + ib + 1 : "";
    while (*fa || *fb) {
        char x = *fa ? *fa++ : '0', y = *fb ? *fb++ : '0';
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return 0;
}

static bool
s_dec_zero(const char *a)
{
    for (; *a; a++) {
        if (*a != '0' && *a != '.') {
            return false;
        }
    }
    return true;
}

/* ---- live books --------------------------------------------------------------------------- */

static s_book_t *
s_book(int kind, const char *key, bool create)
{
    for (size_t i = 0; i < g.n_books; i++) {
        if (g.books[i].kind == kind && strcmp(g.books[i].key, key) == 0) {
            return &g.books[i];
        }
    }
    if (!create || g.n_books == k_books) {
        return NULL;
    }
    s_book_t *b = &g.books[g.n_books];
    memset(b, 0, sizeof *b);
    b->side[0] = calloc(k_book_max, sizeof(s_lvl_t));
    b->side[1] = calloc(k_book_max, sizeof(s_lvl_t));
    if (!b->side[0] || !b->side[1]) {
        free(b->side[0]);
        free(b->side[1]);
        return NULL;
    }
    b->kind = kind;
    b->depth = k_book_max;
    snprintf(b->key, sizeof b->key, "%s", key);
    g.n_books++;
    return b;
}

/* Set (qty > 0) or delete (qty 0) one level. */
static void
s_level(s_book_t *b, int side, const char *px, const char *qty)
{
    if (strlen(px) >= k_px_max || strlen(qty) >= k_px_max) {
        return;
    }
    s_lvl_t *l = b->side[side];
    size_t n = b->n[side], i = 0;
    /* position: bids descending, asks ascending */
    while (i < n) {
        int c = s_dec_cmp(px, l[i].px);
        if (c == 0) {
            break;
        }
        if ((side == 0 && c > 0) || (side == 1 && c < 0)) {
            break;
        }
        i++;
    }
    bool found = i < n && s_dec_cmp(px, l[i].px) == 0;
    if (s_dec_zero(qty)) {
        if (found) {
            memmove(&l[i], &l[i + 1], (n - i - 1) * sizeof *l);
            b->n[side]--;
        }
        return;
    }
    if (found) {
        snprintf(l[i].qty, k_px_max, "%s", qty);
        return;
    }
    if (n == k_book_max) {
        if (i == n) {
            return; /* beyond the deepest kept level */
        }
        n--; /* the worst level falls off */
    }
    memmove(&l[i + 1], &l[i], (n - i) * sizeof *l);
    snprintf(l[i].px, k_px_max, "%s", px);
    snprintf(l[i].qty, k_px_max, "%s", qty);
    b->n[side] = n + 1;
}

static void
s_levels(s_book_t *b, int side, const json_t *arr)
{
    size_t i;
    const json_t *lv;
    json_array_foreach(arr, i, lv)
    {
        const json_t *p = json_array_get(lv, 0), *q = json_array_get(lv, 1);
        if (json_is_string(p) && json_is_string(q)) {
            s_level(b, side, json_string_value(p), json_string_value(q));
        }
    }
}

static long long
s_ll(const json_t *v)
{
    if (json_is_integer(v)) {
        return (long long)json_integer_value(v);
    }
    if (json_is_string(v)) {
        return strtoll(json_string_value(v), NULL, 10);
    }
    return 0;
}

static void
s_bybit_frame(int kind, const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, 0, NULL);
    const char *topic = json_string_value(json_object_get(j, "topic"));
    const char *type = json_string_value(json_object_get(j, "type"));
    const json_t *d = json_object_get(j, "data");
    if (!topic || !type || !json_is_object(d) || strncmp(topic, "orderbook.", 10) != 0) {
        json_decref(j);
        return;
    }
    s_book_t *b = s_book(kind, topic, true);
    if (!b) {
        json_decref(j);
        return;
    }
    long long u = s_ll(json_object_get(d, "u"));
    if (strcmp(type, "snapshot") == 0 || u == 1) {
        b->n[0] = b->n[1] = 0;
        b->have = true;
        b->depth = atoi(topic + 10);
        if (b->depth <= 0 || b->depth > k_book_max) {
            b->depth = k_book_max;
        }
    }
    snprintf(b->symbol, sizeof b->symbol, "%s", json_string_value(json_object_get(d, "s")) ?: "");
    s_levels(b, 0, json_object_get(d, "b"));
    s_levels(b, 1, json_object_get(d, "a"));
    b->u = u;
    b->seq = s_ll(json_object_get(d, "seq"));
    b->ts = s_ll(json_object_get(j, "ts"));
    b->cts = s_ll(json_object_get(j, "cts"));
    json_decref(j);
}

/* Seed a Binance book from its recorded REST snapshot (first use). */
static s_book_t *
s_binance_book(bool spot)
{
    int kind = spot ? 3 : 2;
    s_book_t *b = s_book(kind, "depth", false);
    if (b || !g.depth_body[spot]) {
        return b;
    }
    json_t *j = json_loadb(g.depth_body[spot], g.depth_len[spot], 0, NULL);
    if (!json_is_object(j) || !(b = s_book(kind, "depth", true))) {
        json_decref(j);
        return NULL;
    }
    s_levels(b, 0, json_object_get(j, "bids"));
    s_levels(b, 1, json_object_get(j, "asks"));
    b->u = s_ll(json_object_get(j, "lastUpdateId"));
    b->ts = s_ll(json_object_get(j, "E"));
    b->have = true;
    json_decref(j);
    return b;
}

static void
s_binance_frame(int kind, const char *text, size_t len)
{
    if (!memmem(text, len < 96 ? len : 96, "depthUpdate", 11)
        && !memmem(text, len < 96 ? len : 96, "@depth", 6)) {
        return;
    }
    s_book_t *b = s_binance_book(kind == 3);
    if (!b) {
        return;
    }
    json_t *j = json_loadb(text, len, 0, NULL);
    const json_t *d = json_object_get(j, "data");
    if (!json_is_object(d)) {
        d = j;
    }
    const char *e = json_string_value(json_object_get(d, "e"));
    long long u = s_ll(json_object_get(d, "u"));
    if (e && strcmp(e, "depthUpdate") == 0 && u > b->u) {
        s_levels(b, 0, json_object_get(d, "b"));
        s_levels(b, 1, json_object_get(d, "a"));
        b->u = u;
        b->ts = s_ll(json_object_get(d, "E"));
    }
    json_decref(j);
}

/* Append "[["px","qty"],...]" of up to max levels. */
static int
s_json_side(char *out, size_t cap, size_t *off, const s_book_t *b, int side, size_t max)
{
    size_t n = b->n[side] < max ? b->n[side] : max;
    *off += (size_t)snprintf(out + *off, *off < cap ? cap - *off : 0, "[");
    for (size_t i = 0; i < n; i++) {
        *off += (size_t)snprintf(out + *off, *off < cap ? cap - *off : 0, "%s[\"%s\",\"%s\"]",
                                 i ? "," : "", b->side[side][i].px, b->side[side][i].qty);
    }
    *off += (size_t)snprintf(out + *off, *off < cap ? cap - *off : 0, "]");
    return *off < cap ? 0 : -1;
}

/* ---- faults ------------------------------------------------------------------------------- */

static s_dump_t *
s_dump_of(const char *label)
{
    for (size_t i = 0; i < g.n_dumps; i++) {
        if (strcmp(g.dumps[i].label, label) == 0) {
            return &g.dumps[i];
        }
    }
    return NULL;
}

static int s_fail(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
s_fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    errno = EINVAL;
    return -1;
}

static bool
s_num(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    if (!s) {
        return false;
    }
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

int
faults_add(const char *spec, char *err, size_t cap)
{
    char buf[256], *w[6] = { 0 }, *save = NULL;
    size_t nw = 0;
    snprintf(buf, sizeof buf, "%s", spec ? spec : "");
    for (char *t = strtok_r(buf, " \t", &save); t && nw < 6; t = strtok_r(NULL, " \t", &save)) {
        w[nw++] = t;
    }
    s_fault_t f;
    memset(&f, 0, sizeof f);
    f.used = true;
    if (nw > 0 && w[nw - 1][0] == '@') {
        if (!s_num(w[nw - 1] + 1, 0, INT64_C(1) << 40, &f.arm)) {
            return s_fail(err, cap, "bad @K in \"%s\"", spec);
        }
        nw--;
    }
    if (nw < 2) {
        return s_fail(err, cap, "expected KIND LABEL ARGS, got \"%s\"", spec ? spec : "");
    }
    size_t k;
    for (k = 0; k < sizeof k_fnames / sizeof k_fnames[0]; k++) {
        if (strcmp(w[0], k_fnames[k]) == 0) {
            break;
        }
    }
    if (k == sizeof k_fnames / sizeof k_fnames[0]) {
        return s_fail(err, cap,
                      "unknown fault \"%s\" (drop-after, skip, malformed, stall, "
                      "refuse-sub, rest-error)",
                      w[0]);
    }
    f.kind = (f_kind_t)k;
    if (strlen(w[1]) >= sizeof f.label) {
        return s_fail(err, cap, "label too long");
    }
    snprintf(f.label, sizeof f.label, "%s", w[1]);
    int64_t v = 1;
    switch (f.kind) {
    case F_DROP:
    case F_SKIP:
        if (nw != 3 || !s_num(w[2], 1, INT64_C(1) << 40, &f.n)) {
            return s_fail(err, cap, "%s LABEL N: N >= 1", w[0]);
        }
        break;
    case F_MALFORMED:
        if (nw != 3 || (strcmp(w[2], "cut") && strcmp(w[2], "type") && strcmp(w[2], "topic"))) {
            return s_fail(err, cap, "malformed LABEL cut|type|topic");
        }
        f.mkind = w[2][0] == 'c' ? 0 : (w[2][1] == 'y' ? 1 : 2);
        break;
    case F_STALL:
        if (nw != 3 || !s_num(w[2], 1, 3600, &v)) {
            return s_fail(err, cap, "stall LABEL SECONDS (1..3600)");
        }
        f.stall_ns = v * CLOCK_NS_PER_S;
        break;
    case F_REFUSE:
        if (nw > 3 || (nw == 3 && !s_num(w[2], 1, 1000000, &v))) {
            return s_fail(err, cap, "refuse-sub LABEL [N]");
        }
        f.n = v;
        break;
    case F_REST: {
        int64_t st;
        if (nw < 3 || nw > 4 || !s_num(w[2], 400, 599, &st)
            || (nw == 4 && !s_num(w[3], 1, 1000000, &v))) {
            return s_fail(err, cap, "rest-error PATH_PREFIX STATUS(400..599) [N]");
        }
        f.status = (unsigned)st;
        f.n = v;
        break;
    }
    }
    for (size_t i = 0; i < FAULTS_MAX; i++) {
        if (!g.f[i].used) {
            g.f[i] = f;
            faults_init();
            log_notice(k_mod, "armed: %s", spec);
            return 0;
        }
    }
    return s_fail(err, cap, "too many faults (%d)", FAULTS_MAX);
}

static bool
s_match(const s_fault_t *f, f_kind_t kind, const char *label)
{
    return f->used && f->kind == kind && f->arm == 0 && label && strcmp(f->label, label) == 0;
}

int
faults_before_write(const char *label, bool bybit, bool timeline, const char *text, size_t len,
                    const char **alt, size_t *alt_len, int64_t *stall_us)
{
    if (!g.on || !label) {
        return 0;
    }
    int64_t now = clock_mono_ns();
    for (size_t i = 0; i < FAULTS_MAX; i++) {
        s_fault_t *f = &g.f[i];
        if (s_match(f, F_STALL, label)) {
            if (f->until_mono == 0) {
                f->until_mono = now + f->stall_ns;
                log_notice(k_mod, "%s: stalled for %lld s", label,
                           (long long)(f->stall_ns / CLOCK_NS_PER_S));
            }
            if (now < f->until_mono) {
                *stall_us = (f->until_mono - now) / 1000 + 1;
                return 3;
            }
            f->used = false;
            log_notice(k_mod, "%s: stall over", label);
        }
    }
    if (!timeline) {
        return 0;
    }
    for (size_t i = 0; i < FAULTS_MAX; i++) {
        s_fault_t *f = &g.f[i];
        if (s_match(f, F_SKIP, label)) {
            if (--f->n == 0) {
                f->used = false;
                log_notice(k_mod, "%s: skip done", label);
            }
            return 1;
        }
        if (s_match(f, F_MALFORMED, label)) {
            f->used = false;
            static const char *const k_bad[2][3] = {
                { NULL,
                  "{\"stream\":\"btcusdt@depth@0ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":"
                  "\"soon\","
                  "\"s\":\"BTCUSDT\",\"U\":\"a\",\"u\":true,\"pu\":1,\"b\":5,\"a\":{}}}",
                  "{\"stream\":\"btcusdt@nosuch\",\"data\":{\"e\":\"nosuch\",\"E\":1}}" },
                { NULL,
                  "{\"topic\":\"orderbook.200.BTCUSDT\",\"type\":\"delta\",\"ts\":\"soon\","
                  "\"data\":{\"s\":\"BTCUSDT\",\"b\":5,\"a\":{},\"u\":\"y\",\"seq\":1},\"cts\":1}",
                  "{\"topic\":\"nosuch.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1,\"data\":{}}" },
            };
            if (f->mkind == 0) {
                size_t n = len / 2 < sizeof g.cut ? len / 2 : sizeof g.cut;
                memcpy(g.cut, text, n);
                *alt = g.cut;
                *alt_len = n;
            } else {
                *alt = k_bad[bybit][f->mkind];
                *alt_len = strlen(*alt);
            }
            log_notice(k_mod, "%s: malformed frame (%s) sent", label,
                       f->mkind == 0   ? "cut"
                       : f->mkind == 1 ? "type"
                                       : "topic");
            return 2;
        }
    }
    return 0;
}

bool
faults_after_write(const char *label, const char *text, size_t len)
{
    if (!g.on || !label) {
        return false;
    }
    s_dump_t *d = s_dump_of(label);
    if (d && d->fp) {
        (void)fwrite(text, 1, len, d->fp);
        (void)fputc('\n', d->fp);
        (void)fflush(d->fp);
    }
    bool drop = false;
    for (size_t i = 0; i < FAULTS_MAX; i++) {
        s_fault_t *f = &g.f[i];
        if (!f->used || strcmp(f->label, label) != 0) {
            continue;
        }
        if (f->arm > 0) {
            f->arm--;
            continue;
        }
        if (f->kind == F_DROP && --f->n == 0) {
            f->used = false;
            log_notice(k_mod, "%s: dropping the connection (drop-after)", label);
            drop = true;
        }
    }
    return drop;
}

bool
faults_refuse_sub(const char *label)
{
    if (!g.on || !label) {
        return false;
    }
    for (size_t i = 0; i < FAULTS_MAX; i++) {
        s_fault_t *f = &g.f[i];
        if (s_match(f, F_REFUSE, label)) {
            if (--f->n == 0) {
                f->used = false;
            }
            log_notice(k_mod, "%s: subscribe refused", label);
            return true;
        }
    }
    return false;
}

unsigned
faults_rest(const char *path, char **body)
{
    if (!g.on || !path) {
        return 0;
    }
    for (size_t i = 0; i < FAULTS_MAX; i++) {
        s_fault_t *f = &g.f[i];
        if (!f->used || f->kind != F_REST || strncmp(path, f->label, strlen(f->label)) != 0) {
            continue;
        }
        unsigned st = f->status;
        if (--f->n == 0) {
            f->used = false;
        }
        bool bybit = strncmp(path, "/v5/", 4) == 0;
        long long ms = (long long)(clock_wall_ns() / CLOCK_NS_PER_MS);
        char tmp[256];
        if (st == 429 && bybit) {
            snprintf(tmp, sizeof tmp,
                     "{\"retCode\":10006,\"retMsg\":\"Too many visits!\","
                     "\"result\":{},\"retExtInfo\":{},\"time\":%lld}",
                     ms);
        } else if (st == 429) {
            snprintf(tmp, sizeof tmp,
                     "{\"code\":-1003,\"msg\":\"Too many requests; current "
                     "limit is 2400 requests per minute.\"}");
        } else {
            snprintf(tmp, sizeof tmp,
                     "{\"code\":-1000,\"msg\":\"An unknown error occurred while "
                     "processing the request.\"}");
        }
        *body = strdup(tmp);
        log_notice(k_mod, "REST %s answered %u", path, st);
        return *body ? st : 0;
    }
    return 0;
}

/* ---- live books: hooks -------------------------------------------------------------------- */

void
faults_set_depth(bool spot, const char *body, size_t len)
{
    if (!body) {
        return;
    }
    free(g.depth_body[spot]);
    g.depth_body[spot] = malloc(len + 1);
    if (g.depth_body[spot]) {
        memcpy(g.depth_body[spot], body, len);
        g.depth_body[spot][len] = '\0';
        g.depth_len[spot] = len;
    }
}

void
faults_timeline(int kind, const char *text, size_t len)
{
    if (!g.on) {
        return;
    }
    if (kind == 0 || kind == 1) {
        if (memmem(text, len < 64 ? len : 64, "\"orderbook.", 11)) {
            s_bybit_frame(kind, text, len);
        }
    } else {
        s_binance_frame(kind, text, len);
    }
}

char *
faults_bybit_snapshot(int kind, const char *topic)
{
    if (!g.on) {
        return NULL;
    }
    const s_book_t *b = s_book(kind, topic, false);
    if (!b || !b->have) {
        return NULL;
    }
    size_t cap = 64 * 2 * (size_t)b->depth + 512, off = 0;
    char *out = malloc(cap);
    if (!out) {
        return NULL;
    }
    off = (size_t)snprintf(
        out, cap,
        "{\"topic\":\"%s\",\"ts\":%lld,\"type\":\"snapshot\",\"data\":{\"s\":\"%s\","
        "\"b\":",
        b->key, b->ts, b->symbol);
    if (s_json_side(out, cap, &off, b, 0, (size_t)b->depth) != 0) {
        free(out);
        return NULL;
    }
    off += (size_t)snprintf(out + off, off < cap ? cap - off : 0, ",\"a\":");
    if (s_json_side(out, cap, &off, b, 1, (size_t)b->depth) != 0) {
        free(out);
        return NULL;
    }
    off += (size_t)snprintf(out + off, off < cap ? cap - off : 0,
                            ",\"u\":%lld,\"seq\":%lld},\"cts\":%lld}", b->u, b->seq, b->cts);
    if (off >= cap) {
        free(out);
        return NULL;
    }
    log_info(k_mod, "live snapshot of %s at u %lld", b->key, b->u);
    return out;
}

char *
faults_depth_body(bool spot, size_t *len)
{
    if (!g.on) {
        return NULL;
    }
    const s_book_t *b = s_binance_book(spot);
    if (!b) {
        return NULL;
    }
    size_t cap = 64 * 2 * k_book_max + 256, off = 0;
    char *out = malloc(cap);
    if (!out) {
        return NULL;
    }
    off = (size_t)snprintf(out, cap, "{\"lastUpdateId\":%lld,\"E\":%lld,\"T\":%lld,\"bids\":", b->u,
                           b->ts, b->ts);
    if (s_json_side(out, cap, &off, b, 0, k_book_max) != 0) {
        free(out);
        return NULL;
    }
    off += (size_t)snprintf(out + off, off < cap ? cap - off : 0, ",\"asks\":");
    if (s_json_side(out, cap, &off, b, 1, k_book_max) != 0) {
        free(out);
        return NULL;
    }
    off += (size_t)snprintf(out + off, off < cap ? cap - off : 0, "}");
    if (off >= cap) {
        free(out);
        return NULL;
    }
    *len = off;
    /* the body a client got: in the dump of every label, so a test can rebuild from it */
    for (size_t i = 0; i < g.n_dumps; i++) {
        if (g.dumps[i].fp) {
            fprintf(g.dumps[i].fp, "%s\n", out);
            (void)fflush(g.dumps[i].fp);
        }
    }
    return out;
}

/* ---- setup -------------------------------------------------------------------------------- */

void
faults_init(void)
{
    if (!g.on) {
        g.on = true;
        log_info(k_mod, "fault injection and live snapshots on");
    }
}

bool
faults_on(void)
{
    return g.on;
}

void
faults_fini(void)
{
    for (size_t i = 0; i < g.n_books; i++) {
        free(g.books[i].side[0]);
        free(g.books[i].side[1]);
    }
    for (size_t i = 0; i < g.n_dumps; i++) {
        if (g.dumps[i].fp) {
            fclose(g.dumps[i].fp);
        }
    }
    free(g.depth_body[0]);
    free(g.depth_body[1]);
    memset(&g, 0, sizeof g);
}

int
faults_ctl(const char *cmd, json_t *reply)
{
    if (strncmp(cmd, "fault", 5) != 0 || (cmd[5] != ' ' && cmd[5] != '\0')) {
        return -1;
    }
    const char *spec = cmd + 5;
    while (*spec == ' ') {
        spec++;
    }
    char err[160] = "";
    if (strcmp(spec, "list") == 0 || *spec == '\0') {
        json_t *arr = json_array();
        for (size_t i = 0; i < FAULTS_MAX; i++) {
            const s_fault_t *f = &g.f[i];
            if (f->used) {
                json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I}", "kind",
                                                     k_fnames[f->kind], "label", f->label, "arm",
                                                     (json_int_t)f->arm, "n", (json_int_t)f->n));
            }
        }
        json_object_set_new(reply, "ok", json_true());
        json_object_set_new(reply, "faults", arr);
        return 0;
    }
    if (strcmp(spec, "clear") == 0) {
        for (size_t i = 0; i < FAULTS_MAX; i++) {
            g.f[i].used = false;
        }
        json_object_set_new(reply, "ok", json_true());
        return 0;
    }
    if (faults_add(spec, err, sizeof err) != 0) {
        json_object_set_new(reply, "ok", json_false());
        json_object_set_new(reply, "error", json_string(err));
        return 0;
    }
    json_object_set_new(reply, "ok", json_true());
    json_object_set_new(reply, "armed", json_string(spec));
    return 0;
}

int
faults_take_args(int *argc, char **argv)
{
    int w = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--faults") == 0) {
            faults_init();
            continue;
        }
        if (strcmp(a, "--fault") == 0 || strcmp(a, "--fault-dump") == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "venue-sim: %s needs an argument\n", a);
                return -1;
            }
            const char *v = argv[++i];
            faults_init();
            if (a[7] == '\0') {
                char err[160];
                if (faults_add(v, err, sizeof err) != 0) {
                    fprintf(stderr, "venue-sim: --fault \"%s\": %s\n", v, err);
                    return -1;
                }
                continue;
            }
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || (size_t)(eq - v) >= k_label_max || g.n_dumps == k_dumps) {
                fprintf(stderr, "venue-sim: --fault-dump LABEL=PATH, got \"%s\"\n", v);
                return -1;
            }
            s_dump_t *d = &g.dumps[g.n_dumps];
            snprintf(d->label, sizeof d->label, "%.*s", (int)(eq - v), v);
            d->fp = fopen(eq + 1, "w");
            if (!d->fp) {
                fprintf(stderr, "venue-sim: --fault-dump %s: %s\n", eq + 1, strerror(errno));
                return -1;
            }
            g.n_dumps++;
            continue;
        }
        argv[w++] = argv[i];
    }
    *argc = w;
    argv[w] = NULL;
    return 0;
}
