/*  source.c - load recorded frames (Bybit JSON Lines, Binance gzip lines, kline CSV) into one
 *  sorted timeline. See source.h for the event-time rule of each source.
 *  Parsing uses jsmn over each whole line (start-up only, not a hot path); a frame's text is
 *  kept byte for byte.
 */
#include "tools/venue-sim/source.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define JSMN_STATIC
#include <jsmn.h>

#include "common/log.h"
#include "tools/venue-sim/klines.h"

#define K_BLOCK_SIZE (size_t)(4u << 20) /* arena block, bytes */
#define K_KEY_MAX    128                /* longest topic / stream name kept */
#define K_TOK_MAX    (1u << 22)         /* jsmn token cap for one line */

static const char *const k_mod = "source";

typedef struct s_block {
    struct s_block *next;
    size_t used, cap;
    char data[];
} s_block_t;

typedef struct {
    char name[K_KEY_MAX];
    source_kind_t kind;
    size_t count;
} s_key_t;

typedef struct {
    source_frame_t f;
    uint64_t order; /* load order, for a stable sort */
} s_item_t;

struct source {
    s_block_t *blocks;
    s_item_t *items;
    size_t n_items, cap_items;
    source_frame_t *frames; /* after finish */
    size_t n_frames;
    s_key_t *keys;
    size_t n_keys, cap_keys;
    char *snapshot[SOURCE_KIND_COUNT];
    size_t snapshot_len[SOURCE_KIND_COUNT];
    jsmntok_t *tok;
    unsigned n_tok;
    uint64_t bad, acks;
    bool finished;
    log_limit_t bad_limit;
};

source_t *
source_new(void)
{
    source_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
    }
    return self;
}

void
source_destroy(source_t **self_p)
{
    assert(self_p);
    source_t *self = *self_p;
    if (!self) {
        return;
    }
    while (self->blocks) {
        s_block_t *next = self->blocks->next;
        free(self->blocks);
        self->blocks = next;
    }
    for (int k = 0; k < SOURCE_KIND_COUNT; k++) {
        free(self->snapshot[k]);
    }
    free(self->items);
    free(self->frames);
    free(self->keys);
    free(self->tok);
    free(self);
    *self_p = NULL;
}

/* Copy text[len] into the arena, NUL-terminated. NULL on ENOMEM. */
static const char *
s_store(source_t *self, const char *text, size_t len)
{
    s_block_t *b = self->blocks;
    if (!b || b->cap - b->used < len + 1) {
        size_t cap = len + 1 > K_BLOCK_SIZE ? len + 1 : K_BLOCK_SIZE;
        b = malloc(sizeof *b + cap);
        if (!b) {
            errno = ENOMEM;
            return NULL;
        }
        b->used = 0;
        b->cap = cap;
        b->next = self->blocks;
        self->blocks = b;
    }
    char *p = b->data + b->used;
    memcpy(p, text, len);
    p[len] = '\0';
    b->used += len + 1;
    return p;
}

static int
s_key_id(source_t *self, source_kind_t kind, const char *name, size_t len)
{
    for (size_t i = 0; i < self->n_keys; i++) {
        if (self->keys[i].kind == kind && strlen(self->keys[i].name) == len
            && memcmp(self->keys[i].name, name, len) == 0) {
            return (int)i;
        }
    }
    if (len == 0 || len >= K_KEY_MAX) {
        errno = EINVAL;
        return -1;
    }
    if (self->n_keys == self->cap_keys) {
        size_t cap = self->cap_keys ? self->cap_keys * 2 : 32;
        s_key_t *p = realloc(self->keys, cap * sizeof *p);
        if (!p) {
            errno = ENOMEM;
            return -1;
        }
        self->keys = p;
        self->cap_keys = cap;
    }
    s_key_t *k = &self->keys[self->n_keys];
    memcpy(k->name, name, len);
    k->name[len] = '\0';
    k->kind = kind;
    k->count = 0;
    return (int)self->n_keys++;
}

static int
s_add(source_t *self, source_kind_t kind, const char *key, size_t key_len, int64_t ts_ms,
      const char *text, size_t len)
{
    if (len > UINT32_MAX) {
        errno = EINVAL;
        return -1;
    }
    int id = s_key_id(self, kind, key, key_len);
    if (id < 0) {
        return -1;
    }
    if (self->n_items == self->cap_items) {
        size_t cap = self->cap_items ? self->cap_items * 2 : 4096;
        s_item_t *p = realloc(self->items, cap * sizeof *p);
        if (!p) {
            errno = ENOMEM;
            return -1;
        }
        self->items = p;
        self->cap_items = cap;
    }
    const char *copy = s_store(self, text, len);
    if (!copy) {
        return -1;
    }
    s_item_t *it = &self->items[self->n_items];
    it->f = (source_frame_t){ .ts_ms = ts_ms,
                              .kind = (uint32_t)kind,
                              .key = (uint32_t)id,
                              .len = (uint32_t)len,
                              .text = copy };
    it->order = self->n_items;
    self->n_items++;
    self->keys[id].count++;
    return 0;
}

static void
s_bad(source_t *self, const char *path, const char *what, const char *line, size_t len)
{
    char msg[160];
    self->bad++;
    snprintf(msg, sizeof msg, "%s: %s", path, what);
    log_limited(&self->bad_limit, LOG_WARN, k_mod, msg, line, len);
}

/* Tokenize line[len]; returns the token count, or -1 if not JSON (or ENOMEM). */
static int
s_parse(source_t *self, const char *line, size_t len)
{
    for (;;) {
        if (!self->tok) {
            self->n_tok = 1024;
            self->tok = malloc(self->n_tok * sizeof *self->tok);
            if (!self->tok) {
                self->n_tok = 0;
                return -1;
            }
        }
        jsmn_parser p;
        jsmn_init(&p);
        int n = jsmn_parse(&p, line, len, self->tok, self->n_tok);
        if (n != JSMN_ERROR_NOMEM) {
            return n;
        }
        if (self->n_tok >= K_TOK_MAX) {
            return -1;
        }
        jsmntok_t *t = realloc(self->tok, (size_t)self->n_tok * 4 * sizeof *t);
        if (!t) {
            return -1;
        }
        self->tok = t;
        self->n_tok *= 4;
    }
}

/* Index of the token after the subtree rooted at i (tokens come in start order and a child
 * lies inside its parent's [start, end)). */
static int
s_skip(const jsmntok_t *t, int n, int i)
{
    int end = t[i].end;
    i++;
    while (i < n && t[i].start < end) {
        i++;
    }
    return i;
}

/* Value token of `key` in the object at token obj, or -1. */
static int
s_member(const char *js, const jsmntok_t *t, int n, int obj, const char *key)
{
    if (obj < 0 || obj >= n || t[obj].type != JSMN_OBJECT) {
        return -1;
    }
    size_t kl = strlen(key);
    int i = obj + 1;
    for (int m = 0; m < t[obj].size && i + 1 < n; m++) {
        const jsmntok_t *k = &t[i];
        if (k->type == JSMN_STRING && (size_t)(k->end - k->start) == kl
            && memcmp(js + k->start, key, kl) == 0) {
            return i + 1;
        }
        i = s_skip(t, n, i + 1);
    }
    return -1;
}

static bool
s_tok_int(const char *js, const jsmntok_t *t, int64_t *out)
{
    if (t->type != JSMN_PRIMITIVE) {
        return false;
    }
    int64_t v = 0;
    int len = t->end - t->start;
    if (len <= 0 || len > 18) {
        return false;
    }
    for (int i = 0; i < len; i++) {
        char c = js[t->start + i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

static bool
s_tok_key(const char *js, const jsmntok_t *t, const char **p, size_t *len)
{
    if (t->type != JSMN_STRING || t->end <= t->start || t->end - t->start >= K_KEY_MAX) {
        return false;
    }
    if (memchr(js + t->start, '\\', (size_t)(t->end - t->start))) {
        return false; /* escaped names never occur in real topics */
    }
    *p = js + t->start;
    *len = (size_t)(t->end - t->start);
    return true;
}

/* Read one line (any length) into *buf; returns its length without the newline, -1 at EOF. */
static ssize_t
s_gz_line(gzFile gz, char **buf, size_t *cap)
{
    size_t len = 0;
    if (!*buf) {
        *cap = 1 << 16;
        *buf = malloc(*cap);
        if (!*buf) {
            return -1;
        }
    }
    for (;;) {
        if (!gzgets(gz, *buf + len, (int)(*cap - len))) {
            return len > 0 ? (ssize_t)len : -1;
        }
        len += strlen(*buf + len);
        if (len > 0 && (*buf)[len - 1] == '\n') {
            (*buf)[--len] = '\0';
            return (ssize_t)len;
        }
        if (len + 1 < *cap) {
            return (ssize_t)len; /* last line without newline */
        }
        char *p = realloc(*buf, *cap * 2);
        if (!p) {
            return -1;
        }
        *buf = p;
        *cap *= 2;
    }
}

int
source_load_bybit(source_t *self, const char *path, source_kind_t kind)
{
    assert(self);
    if (self->finished || (kind != SOURCE_BYBIT_LINEAR && kind != SOURCE_BYBIT_SPOT)) {
        errno = EINVAL;
        return -1;
    }
    FILE *fp = fopen(path, "r");
    if (!fp) {
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &cap, fp)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        int n = s_parse(self, line, (size_t)len);
        if (n < 1 || self->tok[0].type != JSMN_OBJECT) {
            s_bad(self, path, "not a JSON object", line, (size_t)len);
            continue;
        }
        int it = s_member(line, self->tok, n, 0, "topic");
        if (it < 0) {
            self->acks++; /* recorded ack: venue-sim answers subscribes itself */
            continue;
        }
        int its = s_member(line, self->tok, n, 0, "ts");
        const char *key;
        size_t key_len;
        int64_t ts;
        if (!s_tok_key(line, &self->tok[it], &key, &key_len) || its < 0
            || !s_tok_int(line, &self->tok[its], &ts)) {
            s_bad(self, path, "frame without a usable topic/ts", line, (size_t)len);
            continue;
        }
        if (s_add(self, kind, key, key_len, ts, line, (size_t)len) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(fp)) {
        errno = EIO;
        rc = -1;
    }
    int saved = errno;
    free(line);
    fclose(fp);
    errno = saved;
    return rc;
}

int
source_load_binance(source_t *self, const char *path, source_kind_t kind)
{
    assert(self);
    if (self->finished || (kind != SOURCE_BINANCE_USDM && kind != SOURCE_BINANCE_SPOT)) {
        errno = EINVAL;
        return -1;
    }
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        if (errno == 0) {
            errno = ENOMEM; /* zlib: errno 0 means it could not allocate */
        }
        return -1;
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    int64_t last_ms = -1;
    while ((len = s_gz_line(gz, &buf, &cap)) >= 0) {
        if (len > 0 && buf[len - 1] == '\r') {
            buf[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        char *sp = memchr(buf, ' ', (size_t)len);
        int64_t local_ns = 0;
        if (!sp || sp == buf) {
            s_bad(self, path, "line without '<ns> <json>'", buf, (size_t)len);
            continue;
        }
        for (const char *c = buf; c < sp; c++) {
            if (*c < '0' || *c > '9' || local_ns > INT64_MAX / 10) {
                local_ns = -1;
                break;
            }
            local_ns = local_ns * 10 + (*c - '0');
        }
        const char *js = sp + 1;
        size_t jl = (size_t)len - (size_t)(js - buf);
        int n = local_ns < 0 ? -1 : s_parse(self, js, jl);
        if (n < 1 || self->tok[0].type != JSMN_OBJECT) {
            s_bad(self, path, "not '<ns> <json object>'", buf, (size_t)len);
            continue;
        }
        int is = s_member(js, self->tok, n, 0, "stream");
        if (is < 0) {
            if (s_member(js, self->tok, n, 0, "lastUpdateId") < 0) {
                s_bad(self, path, "object with neither stream nor lastUpdateId", buf, (size_t)len);
                continue;
            }
            if (!self->snapshot[kind]) {
                self->snapshot[kind] = strndup(js, jl);
                if (!self->snapshot[kind]) {
                    errno = ENOMEM;
                    rc = -1;
                    break;
                }
                self->snapshot_len[kind] = jl;
            }
            continue;
        }
        const char *key;
        size_t key_len;
        if (!s_tok_key(js, &self->tok[is], &key, &key_len)) {
            s_bad(self, path, "unusable stream name", buf, (size_t)len);
            continue;
        }
        int id = s_member(js, self->tok, n, 0, "data");
        int ie = s_member(js, self->tok, n, id, "E");
        int64_t ts;
        if (ie < 0) {
            /* spot bookTicker carries no E: keep the file's order (source.h) */
            ts = last_ms >= 0 ? last_ms : local_ns / 1000000;
        } else if (!s_tok_int(js, &self->tok[ie], &ts)) {
            s_bad(self, path, "data.E is not an integer", buf, (size_t)len);
            continue;
        }
        last_ms = ts;
        if (s_add(self, kind, key, key_len, ts, js, jl) != 0) {
            rc = -1;
            break;
        }
    }
    int saved = errno;
    int zerr = 0;
    if (rc == 0) {
        (void)gzerror(gz, &zerr);
        if (zerr != Z_OK && zerr != Z_STREAM_END) {
            saved = EIO;
            rc = -1;
        }
    }
    free(buf);
    gzclose(gz);
    errno = saved;
    return rc;
}

int
source_load_klines(source_t *self, const char *path, const char *symbol, source_kind_t kind)
{
    assert(self);
    if (self->finished || (kind != SOURCE_BINANCE_SPOT && kind != SOURCE_BINANCE_USDM)) {
        errno = EINVAL;
        return -1;
    }
    FILE *fp = fopen(path, "r");
    if (!fp) {
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    char frame[KLINES_FRAME_MAX];
    char key[K_KEY_MAX];
    while ((len = getline(&line, &cap, fp)) >= 0) {
        size_t flen;
        int64_t ts;
        if (len == 0 || line[0] == '\n' || line[0] == '\r') {
            continue;
        }
        if (klines_frame(line, (size_t)len, symbol, frame, sizeof frame, &flen, &ts) != 0) {
            s_bad(self, path, "bad kline row", line, (size_t)len);
            continue;
        }
        /* the key is the frame's stream name: between "stream":" and the next quote */
        const char *k0 = frame + strlen("{\"stream\":\"");
        const char *k1 = strchr(k0, '"');
        size_t kl = (size_t)(k1 - k0);
        memcpy(key, k0, kl);
        key[kl] = '\0';
        if (s_add(self, kind, key, kl, ts, frame, flen) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(fp)) {
        errno = EIO;
        rc = -1;
    }
    int saved = errno;
    free(line);
    fclose(fp);
    errno = saved;
    return rc;
}

static int
s_cmp(const void *a, const void *b)
{
    const s_item_t *x = a, *y = b;
    if (x->f.ts_ms != y->f.ts_ms) {
        return x->f.ts_ms < y->f.ts_ms ? -1 : 1;
    }
    return x->order < y->order ? -1 : (x->order > y->order);
}

int
source_finish(source_t *self)
{
    assert(self);
    if (self->finished) {
        return 0;
    }
    if (self->n_items > 1) {
        qsort(self->items, self->n_items, sizeof *self->items, s_cmp);
    }
    self->frames = malloc((self->n_items ? self->n_items : 1) * sizeof *self->frames);
    if (!self->frames) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < self->n_items; i++) {
        self->frames[i] = self->items[i].f;
    }
    self->n_frames = self->n_items;
    free(self->items);
    self->items = NULL;
    self->n_items = self->cap_items = 0;
    free(self->tok);
    self->tok = NULL;
    self->n_tok = 0;
    self->finished = true;
    return 0;
}

size_t
source_count(const source_t *self)
{
    assert(self);
    return self->n_frames;
}

const source_frame_t *
source_frame(const source_t *self, size_t i)
{
    assert(self);
    assert(i < self->n_frames);
    return &self->frames[i];
}

uint64_t
source_bad(const source_t *self)
{
    assert(self);
    return self->bad;
}

uint64_t
source_acks(const source_t *self)
{
    assert(self);
    return self->acks;
}

size_t
source_keys(const source_t *self)
{
    assert(self);
    return self->n_keys;
}

const char *
source_key_name(const source_t *self, uint32_t key)
{
    assert(self);
    assert(key < self->n_keys);
    return self->keys[key].name;
}

source_kind_t
source_key_kind(const source_t *self, uint32_t key)
{
    assert(self);
    assert(key < self->n_keys);
    return self->keys[key].kind;
}

int
source_key_find(const source_t *self, source_kind_t kind, const char *name)
{
    assert(self);
    for (size_t i = 0; i < self->n_keys; i++) {
        if (self->keys[i].kind == kind && strcmp(self->keys[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

size_t
source_key_count(const source_t *self, source_kind_t kind, const char *name)
{
    int id = source_key_find(self, kind, name);
    return id < 0 ? 0 : self->keys[id].count;
}

const char *
source_depth_snapshot(const source_t *self, source_kind_t kind, size_t *len)
{
    assert(self);
    if ((int)kind < 0 || kind >= SOURCE_KIND_COUNT || !self->snapshot[kind]) {
        return NULL;
    }
    if (len) {
        *len = self->snapshot_len[kind];
    }
    return self->snapshot[kind];
}
