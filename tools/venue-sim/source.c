/*  source.c - load recorded frames (Bybit JSON Lines, Binance gzip lines, kline CSV) into one
 *  sorted timeline. See source.h for the event-time rule of each source.
 *  Parsing uses jsmn over each whole line (start-up only, not a hot path); a frame's text is
 *  kept byte for byte.
 */
#include "tools/venue-sim/source.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#define JSMN_STATIC
#include <jsmn.h>

#include "common/log.h"
#include "tools/venue-sim/klines.h"
#include "tools/venue-sim/unzip.h"

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
    bool kline;         /* from a kline CSV: checked for gaps and repeated bars */
    int64_t last;       /* event time of the previous bar, -1 none (source_finish; streamed:
                           as loaded) */
    uint32_t last_file; /* ... its file and line, for a repeated bar's message */
    uint32_t last_line;
} s_key_t;

typedef struct {
    source_frame_t f;
    uint64_t order; /* load order, for a stable sort */
    uint32_t file;  /* index into files */
    uint32_t line;  /* 1-based line in it */
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
    bool strict;            /* source_set_strict: a bad line fails the load */
    int64_t from_ms, to_ms; /* source_set_window ([from, to)); INT64_MIN/MAX = none */
    source_file_t *files;   /* one per load call */
    size_t n_files, cap_files;
    uint32_t cur_line; /* line of the frame being added (the loaders set it) */
    source_gaps_t gaps;
    bool stream_klines;         /* source_set_stream_klines: kline rows checked, not kept */
    bool in_klines;             /* source_load_klines is adding */
    bool unordered;             /* a streamed kline row was earlier than the one before it */
    int64_t kline_lo, kline_hi; /* source_kline_span; lo > hi = none */
    char dup_err[512]; /* streamed, strict: the first repeated bar, failed at source_finish */
    char err[512];
};

source_t *
source_new(void)
{
    source_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->from_ms = INT64_MIN;
    self->to_ms = INT64_MAX;
    self->kline_lo = INT64_MAX;
    self->kline_hi = INT64_MIN;
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
    for (size_t i = 0; i < self->n_files; i++) {
        free(self->files[i].path);
    }
    free(self->files);
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
    k->kline = false;
    k->last = -1;
    k->last_file = k->last_line = 0;
    return (int)self->n_keys++;
}

bool
source_in_window(const source_t *self, int64_t start_ms, int64_t ts_ms)
{
    assert(self);
    int64_t end_ms = start_ms == ts_ms ? ts_ms + 1 : ts_ms; /* exclusive */
    return start_ms >= self->from_ms && end_ms <= self->to_ms;
}

static const char *s_iso(int64_t ms, char *buf, size_t cap);

/* One bar of a kline series (event time ts_ms, read from file index `file`, line `line`), in
 * time order after the previous bar of `key`: a bar given twice (same stream, same minute) is a
 * bad row of the later file (strict: -1/EINVAL naming both places in self->err; else 1, logged,
 * counted, to be dropped); a step of more than one minute is a gap (source_gaps). 0 = keep. */
static int
s_series_bar(source_t *self, s_key_t *key, int64_t ts_ms, uint32_t file, uint32_t line)
{
    if (key->last >= 0) {
        int64_t d = ts_ms - key->last;
        if (d == 0) {
            char when[40];
            s_iso(ts_ms - 60000, when, sizeof when);
            if (self->strict && self->stream_klines) {
                /* a loaded series is checked at source_finish, after every bad row: the
                 * streamed one fails there too, so the first fault named is the same */
                if (!self->dup_err[0]) {
                    snprintf(self->dup_err, sizeof self->dup_err,
                             "%s:%u: the bar opened at %s is given twice (also %s:%u)",
                             self->files[file].path, line, when, self->files[key->last_file].path,
                             key->last_line);
                }
                self->files[file].kept--;
                return 1;
            }
            if (self->strict) {
                snprintf(self->err, sizeof self->err,
                         "%s:%u: the bar opened at %s is given twice (also %s:%u)",
                         self->files[file].path, line, when, self->files[key->last_file].path,
                         key->last_line);
                errno = EINVAL;
                return -1;
            }
            log_warn(k_mod, "%s:%u: the bar opened at %s is given twice (also %s:%u): skipped",
                     self->files[file].path, line, when, self->files[key->last_file].path,
                     key->last_line);
            self->bad++;
            self->files[file].bad++;
            self->files[file].kept--;
            return 1;
        }
        if (d > 60000) {
            int64_t missing = (d - 60000) / 60000;
            self->gaps.gaps++;
            self->gaps.missing_min += (uint64_t)missing;
            if ((uint64_t)missing > self->gaps.longest_min) {
                self->gaps.longest_min = (uint64_t)missing;
                self->gaps.longest_from_ms = key->last;   /* the previous bar's end */
                self->gaps.longest_to_ms = ts_ms - 60000; /* this bar's open */
            }
        }
    }
    key->last = ts_ms;
    key->last_file = file;
    key->last_line = line;
    if (ts_ms - 60000 < self->kline_lo) {
        self->kline_lo = ts_ms - 60000;
    }
    if (ts_ms > self->kline_hi) {
        self->kline_hi = ts_ms;
    }
    return 0;
}

/* Add a frame covering event time [start_ms, ts_ms] (a kline: its open time .. E; any other
 * frame: start_ms == ts_ms) unless it lies outside the window (counted in the file only). */
static int
s_add(source_t *self, source_kind_t kind, const char *key, size_t key_len, int64_t start_ms,
      int64_t ts_ms, const char *text, size_t len)
{
    if (len > UINT32_MAX) {
        errno = EINVAL;
        return -1;
    }
    source_file_t *file = &self->files[self->n_files - 1];
    int64_t end_ms = start_ms == ts_ms ? ts_ms + 1 : ts_ms; /* exclusive */
    if (file->frames == 0 || start_ms < file->first_ms) {
        file->first_ms = start_ms;
    }
    if (file->frames == 0 || end_ms > file->last_ms) {
        file->last_ms = end_ms;
    }
    file->frames++;
    if (!source_in_window(self, start_ms, ts_ms)) {
        return 0; /* outside [from, to) */
    }
    file->kept++;
    int id = s_key_id(self, kind, key, key_len);
    if (id < 0) {
        return -1;
    }
    if (self->in_klines) {
        self->keys[id].kline = true;
    }
    if (self->in_klines && self->stream_klines) {
        /* checked in load order (the streamed replay reads them so), not kept */
        if (self->keys[id].last >= 0 && ts_ms < self->keys[id].last) {
            snprintf(self->err, sizeof self->err,
                     "%s:%u: kline row earlier than the one before it: the streamed replay "
                     "needs the files and their rows in time order",
                     file->path, self->cur_line);
            self->unordered = true;
            errno = EDOM;
            return -1;
        }
        int r = s_series_bar(self, &self->keys[id], ts_ms, (uint32_t)(self->n_files - 1),
                             self->cur_line);
        if (r == 0) {
            self->keys[id].count++;
        }
        return r < 0 ? -1 : 0;
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
    it->file = (uint32_t)(self->n_files - 1);
    it->line = self->cur_line;
    self->n_items++;
    self->keys[id].count++;
    return 0;
}

/* A bad line `line_no` of the current file: strict, the load stops (-1/EINVAL, the reason
 * in source_error); else counted and logged (rate-limited), 0. */
static int
s_bad(source_t *self, const char *path, uint32_t line_no, const char *what, const char *line,
      size_t len)
{
    if (self->strict) {
        snprintf(self->err, sizeof self->err, "%s:%u: %s", path, line_no, what);
        errno = EINVAL;
        return -1;
    }
    char msg[600];
    self->bad++;
    self->files[self->n_files - 1].bad++;
    snprintf(msg, sizeof msg, "%s:%u: %s", path, line_no, what);
    log_limited(&self->bad_limit, LOG_WARN, k_mod, msg, line, len);
    return 0;
}

/* Start the record of a file being loaded. 0 or -1/ENOMEM. */
static int
s_file(source_t *self, const char *path, source_kind_t kind)
{
    if (self->n_files == self->cap_files) {
        size_t cap = self->cap_files ? self->cap_files * 2 : 16;
        source_file_t *p = realloc(self->files, cap * sizeof *p);
        if (!p) {
            errno = ENOMEM;
            return -1;
        }
        self->files = p;
        self->cap_files = cap;
    }
    source_file_t *f = &self->files[self->n_files];
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    if (!f->path) {
        errno = ENOMEM;
        return -1;
    }
    f->kind = kind;
    self->n_files++;
    self->cur_line = 0;
    return 0;
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
    if (s_file(self, path, kind) != 0) {
        fclose(fp);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &cap, fp)) >= 0) {
        self->cur_line++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        int n = s_parse(self, line, (size_t)len);
        if (n < 1 || self->tok[0].type != JSMN_OBJECT) {
            if (s_bad(self, path, self->cur_line, "not a JSON object", line, (size_t)len) != 0) {
                rc = -1;
                break;
            }
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
            if (s_bad(self, path, self->cur_line, "frame without a usable topic/ts", line,
                      (size_t)len)
                != 0) {
                rc = -1;
                break;
            }
            continue;
        }
        if (s_add(self, kind, key, key_len, ts, ts, line, (size_t)len) != 0) {
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
    if (s_file(self, path, kind) != 0) {
        gzclose(gz);
        return -1;
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    int64_t last_ms = -1;
    while ((len = s_gz_line(gz, &buf, &cap)) >= 0) {
        self->cur_line++;
        if (len > 0 && buf[len - 1] == '\r') {
            buf[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        char *sp = memchr(buf, ' ', (size_t)len);
        int64_t local_ns = 0;
        if (!sp || sp == buf) {
            if (s_bad(self, path, self->cur_line, "line without '<ns> <json>'", buf, (size_t)len)
                != 0) {
                rc = -1;
                break;
            }
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
            if (s_bad(self, path, self->cur_line, "not '<ns> <json object>'", buf, (size_t)len)
                != 0) {
                rc = -1;
                break;
            }
            continue;
        }
        int is = s_member(js, self->tok, n, 0, "stream");
        if (is < 0) {
            if (s_member(js, self->tok, n, 0, "lastUpdateId") < 0) {
                if (s_bad(self, path, self->cur_line, "object with neither stream nor lastUpdateId",
                          buf, (size_t)len)
                    != 0) {
                    rc = -1;
                    break;
                }
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
            if (s_bad(self, path, self->cur_line, "unusable stream name", buf, (size_t)len) != 0) {
                rc = -1;
                break;
            }
            continue;
        }
        int id = s_member(js, self->tok, n, 0, "data");
        int ie = s_member(js, self->tok, n, id, "E");
        int64_t ts;
        if (ie < 0) {
            /* spot bookTicker carries no E: keep the file's order (source.h) */
            ts = last_ms >= 0 ? last_ms : local_ns / 1000000;
        } else if (!s_tok_int(js, &self->tok[ie], &ts)) {
            if (s_bad(self, path, self->cur_line, "data.E is not an integer", buf, (size_t)len)
                != 0) {
                rc = -1;
                break;
            }
            continue;
        }
        last_ms = ts;
        if (s_add(self, kind, key, key_len, ts, ts, js, jl) != 0) {
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
    FILE *fp = unzip_open(path, NULL, 0); /* a data.binance.vision .zip as it is served */
    if (!fp) {
        if (errno == EINVAL || errno == ENOTSUP) {
            snprintf(self->err, sizeof self->err, "%s: a zip archive whose first member %s", path,
                     errno == EINVAL
                         ? "has a damaged header"
                         : "we cannot read (zip64, "
                           "encrypted, or not stored/deflate): unzip it and give the .csv");
            errno = EINVAL;
        }
        return -1;
    }
    if (s_file(self, path, kind) != 0) {
        fclose(fp);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    bool first = true;
    self->files[self->n_files - 1].klines = true;
    self->in_klines = true;
    char frame[KLINES_FRAME_MAX];
    char key[K_KEY_MAX];
    char why[256];
    /* streamed with a symbol klines_frame_ex takes: the stream name made once, rows checked by
     * klines_row_parse alone (a frame of a row it takes always fits: klines.h) */
    size_t sl = strlen(symbol);
    bool lean = self->stream_klines && sl > 0 && sl <= 20;
    if (lean) {
        for (size_t i = 0; i < sl; i++) {
            key[i] = (char)tolower((unsigned char)symbol[i]);
        }
        snprintf(key + sl, sizeof key - sl, "@kline_1m");
    }
    while ((len = getline(&line, &cap, fp)) >= 0) {
        size_t flen;
        int64_t ts, open_ms;
        self->cur_line++;
        if (len == 0 || line[0] == '\n' || line[0] == '\r') {
            continue;
        }
        if (first && klines_is_header(line, (size_t)len)) {
            first = false;
            self->files[self->n_files - 1].header = true;
            continue; /* data.binance.vision's column names (files from 2025 on may have it) */
        }
        first = false;
        int bad;
        if (lean) { /* streamed: the same row rules, no frame built (nothing is kept) */
            klines_row_t r;
            bad = klines_row_parse(line, (size_t)len, &r, why, sizeof why);
            open_ms = bad == 0 ? r.open_ms : 0;
            ts = bad == 0 ? r.close_ms + 1 : 0;
            flen = 0;
        } else {
            bad = klines_frame_ex(line, (size_t)len, symbol, frame, sizeof frame, &flen, &ts,
                                  &open_ms, why, sizeof why);
        }
        if (bad != 0) {
            if (errno == EINVAL && klines_is_header(line, (size_t)len)) {
                snprintf(why, sizeof why, "a header line after the first line");
            }
            if (s_bad(self, path, self->cur_line, why, line, (size_t)len) != 0) {
                rc = -1;
                break;
            }
            continue;
        }
        size_t kl;
        if (lean) {
            kl = strlen(key);
        } else {
            /* the key is the frame's stream name: between "stream":" and the next quote */
            const char *k0 = frame + strlen("{\"stream\":\"");
            const char *k1 = strchr(k0, '"');
            kl = (size_t)(k1 - k0);
            memcpy(key, k0, kl);
            key[kl] = '\0';
        }
        if (s_add(self, kind, key, kl, open_ms, ts, frame, flen) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(fp)) {
        errno = EIO;
        rc = -1;
    }
    int saved = errno;
    self->in_klines = false;
    free(line);
    fclose(fp);
    errno = saved;
    return rc;
}

/* "2025-11-03T10:00:00Z" for ms since the epoch. */
static const char *
s_iso(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(buf, cap, "%lld ms", (long long)ms);
    }
    return buf;
}

/* Walk each loaded kline series (sorted items) through s_series_bar: repeated bars dropped
 * (strict: the load fails), gaps counted. Streamed series were walked as they were read. */
static int
s_kline_series(source_t *self)
{
    for (size_t k = 0; k < self->n_keys; k++) {
        if (!self->stream_klines) {
            self->keys[k].last = -1;
        }
    }
    size_t out = 0;
    for (size_t i = 0; i < self->n_items; i++) {
        s_item_t *it = &self->items[i];
        s_key_t *key = &self->keys[it->f.key];
        if (key->kline) {
            int r = s_series_bar(self, key, it->f.ts_ms, it->file, it->line);
            if (r < 0) {
                return -1;
            }
            if (r > 0) {
                key->count--;
                continue;
            }
        }
        self->items[out++] = *it;
    }
    self->n_items = out;
    return 0;
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
    if (s_kline_series(self) != 0) {
        return -1;
    }
    if (self->dup_err[0]) {
        memcpy(self->err, self->dup_err, sizeof self->err);
        errno = EINVAL;
        return -1;
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

void
source_set_strict(source_t *self, bool strict)
{
    assert(self);
    self->strict = strict;
}

int
source_set_window(source_t *self, int64_t from_ms, int64_t to_ms)
{
    assert(self);
    if (self->finished || self->n_files > 0 || from_ms >= to_ms) {
        errno = EINVAL;
        return -1;
    }
    self->from_ms = from_ms;
    self->to_ms = to_ms;
    return 0;
}

int
source_set_stream_klines(source_t *self, bool on)
{
    assert(self);
    if (self->finished || self->n_files > 0) {
        errno = EINVAL;
        return -1;
    }
    self->stream_klines = on;
    return 0;
}

bool
source_stream_unordered(const source_t *self)
{
    assert(self);
    return self->unordered;
}

bool
source_kline_span(const source_t *self, int64_t *from_ms, int64_t *to_ms)
{
    assert(self && from_ms && to_ms);
    if (self->kline_lo > self->kline_hi) {
        return false;
    }
    *from_ms = self->kline_lo;
    *to_ms = self->kline_hi;
    return true;
}

const char *
source_error(const source_t *self)
{
    assert(self);
    return self->err;
}

size_t
source_files(const source_t *self)
{
    assert(self);
    return self->n_files;
}

const source_file_t *
source_file(const source_t *self, size_t i)
{
    assert(self);
    assert(i < self->n_files);
    return &self->files[i];
}

const source_gaps_t *
source_gaps(const source_t *self)
{
    assert(self);
    return &self->gaps;
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
