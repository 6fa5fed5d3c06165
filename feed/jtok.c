/*  jtok.c - jsmn tokens and lookups for venue frames (see jtok.h).
 *  The only .c in feed/ that includes jsmn.h (JSMN_STATIC: its functions stay private here).
 */
#include "feed/jtok.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS /* O(1) close of arrays/objects (level arrays close often) */
#include <jsmn.h>

#include "common/money.h"

struct jtok {
    jsmntok_t *t;
    int *next; /* next[i]: index after token i's subtree (filled by jtok_parse: O(1) skips) */
    int *stack;
    size_t cap;
    int n;
    const char *js;
};

jtok_t *
jtok_new(size_t cap)
{
    if (cap == 0 || cap > (size_t)1 << 24) {
        errno = EINVAL;
        return NULL;
    }
    jtok_t *self = calloc(1, sizeof *self);
    if (!self) {
        goto fail;
    }
    self->t = calloc(cap, sizeof(jsmntok_t));
    self->next = calloc(cap, sizeof(int));
    self->stack = calloc(cap, sizeof(int));
    if (!self->t || !self->next || !self->stack) {
        goto fail;
    }
    self->cap = cap;
    return self;
fail:
    if (self) {
        free(self->t);
        free(self->next);
        free(self->stack);
    }
    free(self);
    errno = ENOMEM;
    return NULL;
}

void
jtok_destroy(jtok_t **self_p)
{
    assert(self_p);
    if (!*self_p) {
        return;
    }
    free((*self_p)->t);
    free((*self_p)->next);
    free((*self_p)->stack);
    free(*self_p);
    *self_p = NULL;
}

int
jtok_parse(jtok_t *self, const char *js, size_t len)
{
    assert(self);
    jsmn_parser p;
    jsmn_init(&p);
    self->n = 0;
    self->js = js;
    int r = jsmn_parse(&p, js, len, self->t, (unsigned)self->cap);
    if (r == JSMN_ERROR_NOMEM) {
        errno = ENOBUFS;
        return -1;
    }
    if (r <= 0 || (self->t[0].type != JSMN_OBJECT && self->t[0].type != JSMN_ARRAY)) {
        errno = EPROTO;
        return -1;
    }
    /* jsmn stops after the first complete value: anything but white space after it is junk */
    for (size_t k = (size_t)self->t[0].end; k < len; k++) {
        if (js[k] != ' ' && js[k] != '\n' && js[k] != '\r' && js[k] != '\t') {
            errno = EPROTO;
            return -1;
        }
    }
    /* subtree ends, one pass: tokens are in pre-order and a subtree's tokens start before
     * its root's end, so a token closes when the next token starts at or after its end */
    int top = 0;
    for (int j = 0; j < r; j++) {
        while (top > 0 && self->t[self->stack[top - 1]].end <= self->t[j].start) {
            self->next[self->stack[--top]] = j;
        }
        self->stack[top++] = j;
    }
    while (top > 0) {
        self->next[self->stack[--top]] = r;
    }
    self->n = r;
    return r;
}

static bool
s_ok(const jtok_t *self, int i)
{
    return i >= 0 && i < self->n;
}

jtok_type_t
jtok_type(const jtok_t *self, int i)
{
    assert(self);
    if (!s_ok(self, i)) {
        return JTOK_NONE;
    }
    switch (self->t[i].type) {
    case JSMN_OBJECT:
        return JTOK_OBJECT;
    case JSMN_ARRAY:
        return JTOK_ARRAY;
    case JSMN_STRING:
        return JTOK_STRING;
    case JSMN_PRIMITIVE:
        return JTOK_PRIMITIVE;
    default:
        return JTOK_NONE;
    }
}

int
jtok_size(const jtok_t *self, int i)
{
    assert(self);
    return s_ok(self, i) ? self->t[i].size : 0;
}

const char *
jtok_text(const jtok_t *self, int i, size_t *len)
{
    assert(self && len);
    if (!s_ok(self, i)) {
        *len = 0;
        return "";
    }
    *len = (size_t)(self->t[i].end - self->t[i].start);
    return self->js + self->t[i].start;
}

int
jtok_next(const jtok_t *self, int i)
{
    assert(self);
    if (!s_ok(self, i)) {
        return self->n;
    }
    return self->next[i]; /* computed by jtok_parse */
}

int
jtok_getn(const jtok_t *self, int obj, const char *key, size_t kl)
{
    assert(self && key);
    if (!s_ok(self, obj) || self->t[obj].type != JSMN_OBJECT || kl == 0) {
        return -1;
    }
    int k = obj + 1;
    for (int m = 0; m < self->t[obj].size && k + 1 < self->n; m++) {
        const jsmntok_t *t = &self->t[k];
        if (t->type == JSMN_STRING && (size_t)(t->end - t->start) == kl
            && self->js[t->start] == key[0] && memcmp(self->js + t->start, key, kl) == 0) {
            return k + 1;
        }
        k = self->next[k + 1];
    }
    return -1;
}

int
jtok_at(const jtok_t *self, int arr, int k)
{
    assert(self);
    if (!s_ok(self, arr) || self->t[arr].type != JSMN_ARRAY || k < 0 || k >= self->t[arr].size) {
        return -1;
    }
    int j = arr + 1;
    for (int m = 0; m < k; m++) {
        j = jtok_next(self, j);
    }
    return j;
}

bool
jtok_streq(const jtok_t *self, int i, const char *s)
{
    assert(self && s);
    if (!s_ok(self, i) || self->t[i].type != JSMN_STRING) {
        return false;
    }
    size_t n = (size_t)(self->t[i].end - self->t[i].start);
    return strlen(s) == n && memcmp(self->js + self->t[i].start, s, n) == 0;
}

static int
s_digits_i64(const char *p, size_t n, int64_t *out)
{
    size_t k = 0;
    bool neg = false;
    if (n > 0 && p[0] == '-') {
        neg = true;
        k = 1;
    }
    if (k == n) {
        errno = EINVAL;
        return -1;
    }
    int64_t v = 0;
    for (; k < n; k++) {
        if (p[k] < '0' || p[k] > '9') {
            errno = EINVAL;
            return -1;
        }
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, p[k] - '0', &v)) {
            errno = ERANGE;
            return -1;
        }
    }
    *out = neg ? -v : v;
    return 0;
}

int
jtok_i64(const jtok_t *self, int i, int64_t *out)
{
    assert(self && out);
    if (!s_ok(self, i) || self->t[i].type != JSMN_PRIMITIVE) {
        errno = EINVAL;
        return -1;
    }
    size_t n;
    const char *p = jtok_text(self, i, &n);
    return s_digits_i64(p, n, out);
}

int
jtok_i64_any(const jtok_t *self, int i, int64_t *out)
{
    assert(self && out);
    if (!s_ok(self, i) || (self->t[i].type != JSMN_PRIMITIVE && self->t[i].type != JSMN_STRING)) {
        errno = EINVAL;
        return -1;
    }
    size_t n;
    const char *p = jtok_text(self, i, &n);
    return s_digits_i64(p, n, out);
}

int
jtok_bool(const jtok_t *self, int i, bool *out)
{
    assert(self && out);
    if (!s_ok(self, i) || self->t[i].type != JSMN_PRIMITIVE) {
        errno = EINVAL;
        return -1;
    }
    size_t n;
    const char *p = jtok_text(self, i, &n);
    if (n == 4 && memcmp(p, "true", 4) == 0) {
        *out = true;
        return 0;
    }
    if (n == 5 && memcmp(p, "false", 5) == 0) {
        *out = false;
        return 0;
    }
    errno = EINVAL;
    return -1;
}

int
jtok_money(const jtok_t *self, int i, int scale, int64_t *out)
{
    assert(self && out);
    if (!s_ok(self, i) || self->t[i].type != JSMN_STRING) {
        errno = EINVAL;
        return -1;
    }
    size_t n;
    const char *p = jtok_text(self, i, &n);
    return money_parse(p, n, scale, out);
}

int
jtok_money_round(const jtok_t *self, int i, int scale, int64_t *out)
{
    assert(self && out);
    if (jtok_money(self, i, scale, out) == 0) {
        return 0;
    }
    if (errno != EINVAL || !s_ok(self, i) || self->t[i].type != JSMN_STRING) {
        return -1;
    }
    /* finer than scale: read at the finest scale that fits, round once, half-even */
    size_t n;
    const char *p = jtok_text(self, i, &n);
    int fine = scale + 8 > MONEY_MAX_SCALE ? MONEY_MAX_SCALE : scale + 8;
    int64_t m;
    if (money_parse(p, n, fine, &m) != 0) {
        return -1;
    }
    return money_rescale(m, fine, scale, MONEY_ROUND_HALF_EVEN, out);
}

int
jtok_level(const jtok_t *self, int lv, int px_scale, int qty_scale, bool round_qty, int64_t *px,
           int64_t *qty)
{
    assert(self && px && qty);
    if (!s_ok(self, lv + 2) || self->t[lv].type != JSMN_ARRAY || self->t[lv].size < 2
        || self->t[lv + 1].type != JSMN_STRING || self->t[lv + 2].type != JSMN_STRING) {
        errno = EINVAL;
        return -1;
    }
    const jsmntok_t *p = &self->t[lv + 1], *q = &self->t[lv + 2];
    if (money_parse(self->js + p->start, (size_t)(p->end - p->start), px_scale, px) != 0) {
        return -1;
    }
    if (money_parse(self->js + q->start, (size_t)(q->end - q->start), qty_scale, qty) != 0) {
        if (!round_qty || errno != EINVAL || jtok_money_round(self, lv + 2, qty_scale, qty) != 0) {
            return -1;
        }
        if (*qty == 0) {
            *qty = 1; /* non-zero digits were there: never a delete */
        }
    }
    return self->next[lv];
}

int
jtok_copy(const jtok_t *self, int i, char *out, size_t cap)
{
    assert(self && out);
    if (!s_ok(self, i) || self->t[i].type != JSMN_STRING) {
        errno = EINVAL;
        return -1;
    }
    size_t n;
    const char *p = jtok_text(self, i, &n);
    if (n + 1 > cap) {
        errno = EINVAL;
        return -1;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}
