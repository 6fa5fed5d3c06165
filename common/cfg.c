/*  cfg.c - JSON configuration with file:line:key errors (see cfg.h).
 *  Values come from jansson; line numbers from a jsmn pass over the same text, which gives
 *  every token's byte offset (jansson keeps no positions for values).
 */
#include "common/cfg.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JSMN_STATIC
#include <jsmn.h>

#include "common/money.h"
#include "common/port.h"

#define CFG_PATH_MAX 192

typedef struct {
    char path[CFG_PATH_MAX];
    int line;
} s_line_t;

struct cfg {
    char *file;
    char *text;
    json_t *root;
    s_line_t *lines;
    size_t n_lines;
    char err[512];
    char run_dir[256];
    json_t *expanded; /* path -> the string with "{venue_port}" expanded (cfg_str) */
    int venue_port;   /* 0 until cfg_venue_port resolved it */
    json_t *set;      /* path -> who overrode it ("--set k=v", cfg_put's origin), for errors */
};

static int
s_line_of(const char *text, int off)
{
    int line = 1;
    for (int i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            line++;
        }
    }
    return line;
}

/* Walk jsmn tokens from index i, recording the line of each key path; returns the index
 * after the value. */
static int
s_walk(cfg_t *self, const jsmntok_t *tok, int ntok, int i, const char *prefix)
{
    if (i >= ntok) {
        return i;
    }
    const jsmntok_t *t = &tok[i];
    if (t->type == JSMN_OBJECT) {
        int n = t->size;
        i++;
        for (int k = 0; k < n && i < ntok; k++) {
            const jsmntok_t *key = &tok[i];
            char path[CFG_PATH_MAX];
            snprintf(path, sizeof path, "%s%s%.*s", prefix, *prefix ? "." : "",
                     key->end - key->start, self->text + key->start);
            s_line_t *l = &self->lines[self->n_lines++];
            snprintf(l->path, sizeof l->path, "%s", path);
            l->line = s_line_of(self->text, key->start);
            i = s_walk(self, tok, ntok, i + 1, path);
        }
        return i;
    }
    if (t->type == JSMN_ARRAY) {
        int n = t->size;
        i++;
        for (int k = 0; k < n && i < ntok; k++) {
            char path[CFG_PATH_MAX];
            snprintf(path, sizeof path, "%s[%d]", prefix, k);
            s_line_t *l = &self->lines[self->n_lines++];
            snprintf(l->path, sizeof l->path, "%s", path);
            l->line = s_line_of(self->text, tok[i].start);
            i = s_walk(self, tok, ntok, i, path);
        }
        return i;
    }
    return i + 1;
}

static int
s_index_lines(cfg_t *self)
{
    jsmn_parser p;
    jsmn_init(&p);
    size_t len = strlen(self->text);
    int ntok = jsmn_parse(&p, self->text, len, NULL, 0);
    if (ntok <= 0) {
        return 0; /* jansson accepted it; lines are then only approximate */
    }
    jsmntok_t *tok = calloc((size_t)ntok, sizeof *tok);
    self->lines = calloc((size_t)ntok + 1, sizeof *self->lines);
    if (!tok || !self->lines) {
        free(tok);
        errno = ENOMEM;
        return -1;
    }
    jsmn_init(&p);
    ntok = jsmn_parse(&p, self->text, len, tok, (unsigned)ntok);
    if (ntok > 0) {
        s_walk(self, tok, ntok, 0, "");
    }
    free(tok);
    return 0;
}

cfg_t *
cfg_load(const char *path, char *err, size_t errlen)
{
    cfg_t *self = calloc(1, sizeof *self);
    FILE *f = NULL;
    if (!self) {
        snprintf(err, errlen, "%s: out of memory", path);
        errno = ENOMEM;
        return NULL;
    }
    self->file = strdup(path);
    f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
        cfg_destroy(&self);
        errno = e;
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        goto io_fail;
    }
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        goto io_fail;
    }
    self->text = malloc((size_t)size + 1);
    if (!self->text || fread(self->text, 1, (size_t)size, f) != (size_t)size) {
        goto io_fail;
    }
    self->text[size] = '\0';
    fclose(f);
    f = NULL;
    json_error_t je;
    self->root = json_loads(self->text, JSON_REJECT_DUPLICATES, &je);
    if (!self->root) {
        snprintf(err, errlen, "%s:%d:%d: invalid JSON: %s", path, je.line, je.column, je.text);
        cfg_destroy(&self);
        errno = EINVAL;
        return NULL;
    }
    if (!json_is_object(self->root)) {
        snprintf(err, errlen, "%s:1: top level must be an object", path);
        cfg_destroy(&self);
        errno = EINVAL;
        return NULL;
    }
    if (s_index_lines(self) != 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        cfg_destroy(&self);
        errno = ENOMEM;
        return NULL;
    }
    json_t *run = json_object_get(self->root, "run_dir");
    snprintf(self->run_dir, sizeof self->run_dir, "%s",
             json_is_string(run) ? json_string_value(run) : "run");
    return self;
io_fail:;
    int e = errno ? errno : EIO;
    snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
    if (f) {
        fclose(f);
    }
    cfg_destroy(&self);
    errno = e;
    return NULL;
}

void
cfg_destroy(cfg_t **self_p)
{
    assert(self_p);
    cfg_t *self = *self_p;
    if (!self) {
        return;
    }
    json_decref(self->root);
    json_decref(self->expanded);
    json_decref(self->set);
    free(self->lines);
    free(self->text);
    free(self->file);
    free(self);
    *self_p = NULL;
}

const char *
cfg_file(const cfg_t *self)
{
    assert(self);
    return self->file;
}

const char *
cfg_run_dir(const cfg_t *self)
{
    assert(self);
    return self->run_dir;
}

const char *
cfg_error(const cfg_t *self)
{
    assert(self);
    return self->err;
}

int
cfg_line(const cfg_t *self, const char *path)
{
    assert(self);
    char p[CFG_PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (;;) {
        for (size_t i = 0; i < self->n_lines; i++) {
            if (strcmp(self->lines[i].path, p) == 0) {
                return self->lines[i].line;
            }
        }
        /* fall back to the parent: strip the last ".key" or "[n]" */
        char *dot = strrchr(p, '.');
        char *br = strrchr(p, '[');
        char *cut = dot > br ? dot : br;
        if (!cut) {
            return 1;
        }
        *cut = '\0';
    }
}

int
cfg_fail(cfg_t *self, const char *path, const char *fmt, ...)
{
    assert(self);
    char why[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    const char *key, *set = NULL;
    json_t *val;
    json_object_foreach(self->set, key, val)
    {
        size_t kl = strlen(key);
        if (strncmp(path, key, kl) == 0
            && (path[kl] == '\0' || path[kl] == '.' || path[kl] == '[')) {
            set = key;
            break;
        }
    }
    if (set) {
        snprintf(self->err, sizeof self->err, "%s: %s: %s",
                 json_string_value(json_object_get(self->set, set)), path, why);
    } else {
        snprintf(self->err, sizeof self->err, "%s:%d: %s: %s", self->file, cfg_line(self, path),
                 path, why);
    }
    errno = EINVAL;
    return -1;
}

/* Resolve "a.b[2].c" from the root. NULL if any part is missing. */
static json_t *
s_lookup(const cfg_t *self, const char *path)
{
    json_t *cur = self->root;
    const char *p = path;
    while (cur && *p) {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            char *end;
            long idx = strtol(p + 1, &end, 10);
            if (*end != ']' || !json_is_array(cur)) {
                return NULL;
            }
            cur = json_array_get(cur, (size_t)idx);
            p = end + 1;
            continue;
        }
        /* keys may contain dots ("feed.0"): take the longest key that matches here */
        if (!json_is_object(cur)) {
            return NULL;
        }
        const char *key;
        json_t *val, *best = NULL;
        size_t n = 0;
        json_object_foreach(cur, key, val)
        {
            size_t kl = strlen(key);
            if (kl > n && strncmp(p, key, kl) == 0
                && (p[kl] == '\0' || p[kl] == '.' || p[kl] == '[')) {
                best = val;
                n = kl;
            }
        }
        if (!best) {
            return NULL;
        }
        cur = best;
        p += n;
    }
    return cur;
}

static const char *s_kind(const json_t *v);

/* The kind of a value for cfg_set's check: numbers are one kind. */
static int
s_set_kind(const json_t *v)
{
    if (json_is_number(v)) {
        return JSON_INTEGER;
    }
    if (json_is_boolean(v)) {
        return JSON_TRUE;
    }
    return (int)json_typeof(v);
}

int
cfg_set(cfg_t *self, const char *path, const char *text)
{
    assert(self && path && text);
    json_t *old = s_lookup(self, path);
    if (!old || !*path) {
        snprintf(self->err, sizeof self->err, "--set %s: no such key in %s", path, self->file);
        errno = EINVAL;
        return -1;
    }
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (!v) {
        v = json_string(text);
        if (!v) {
            errno = ENOMEM;
            return -1;
        }
    }
    if (s_set_kind(v) != s_set_kind(old)) {
        snprintf(self->err, sizeof self->err, "--set %s=%s: expected %s (as in %s:%d), got %s",
                 path, text, s_kind(old), self->file, cfg_line(self, path), s_kind(v));
        json_decref(v);
        errno = EINVAL;
        return -1;
    }
    /* Replace in place: find the parent of the last component (keys may hold dots, so the
     * last component is found by trying each split point from the right). */
    int rc = -1;
    size_t len = strlen(path);
    for (size_t cut = len; cut-- > 0 && rc != 0;) {
        char parent[CFG_PATH_MAX];
        if (path[cut] == '[' && cut < sizeof parent) {
            memcpy(parent, path, cut);
            parent[cut] = '\0';
            json_t *p = cut ? s_lookup(self, parent) : self->root;
            char *end;
            long idx = strtol(path + cut + 1, &end, 10);
            if (json_is_array(p) && *end == ']' && end[1] == '\0'
                && json_array_get(p, (size_t)idx) == old) {
                rc = json_array_set(p, (size_t)idx, v);
            }
        } else if ((path[cut] == '.' || cut == 0) && cut < sizeof parent) {
            size_t pl = path[cut] == '.' ? cut : 0;
            memcpy(parent, path, pl);
            parent[pl] = '\0';
            const char *key = path + (path[cut] == '.' ? cut + 1 : 0);
            json_t *p = pl ? s_lookup(self, parent) : self->root;
            if (json_is_object(p) && json_object_get(p, key) == old) {
                rc = json_object_set(p, key, v);
            }
        }
    }
    json_decref(v);
    if (rc != 0) {
        snprintf(self->err, sizeof self->err, "--set %s: cannot replace the value", path);
        errno = EINVAL;
        return -1;
    }
    if (self->expanded) {
        json_object_clear(self->expanded); /* strings read before the override are stale */
    }
    if (!self->set) {
        self->set = json_object();
    }
    char origin[CFG_PATH_MAX + 256];
    snprintf(origin, sizeof origin, "--set %s=%s", path, text);
    if (!self->set || json_object_set_new(self->set, path, json_string(origin)) != 0) {
        errno = ENOMEM;
        return -1;
    }
    if (strcmp(path, "run_dir") == 0 && json_is_string(s_lookup(self, path))) {
        snprintf(self->run_dir, sizeof self->run_dir, "%s",
                 json_string_value(s_lookup(self, path)));
    }
    return 0;
}

int
cfg_put(cfg_t *self, const char *path, json_t *value, const char *origin)
{
    assert(self && path && origin);
    if (!value) {
        errno = ENOMEM;
        return -1;
    }
    /* the parent is the path up to the last '.' or '[' outside a key that exists as a whole
     * (keys may hold dots: try each split point from the right, as cfg_set does) */
    int rc = -1;
    size_t len = strlen(path);
    for (size_t cut = len; cut-- > 0 && rc != 0;) {
        char parent[CFG_PATH_MAX];
        if (cut >= sizeof parent) {
            continue;
        }
        if (path[cut] == '[') {
            memcpy(parent, path, cut);
            parent[cut] = '\0';
            json_t *p = cut ? s_lookup(self, parent) : NULL;
            char *end;
            long idx = strtol(path + cut + 1, &end, 10);
            if (json_is_array(p) && *end == ']' && end[1] == '\0' && idx >= 0
                && (size_t)idx <= json_array_size(p)) {
                rc = (size_t)idx == json_array_size(p) ? json_array_append(p, value)
                                                       : json_array_set(p, (size_t)idx, value);
            }
        } else if (path[cut] == '.' || cut == 0) {
            size_t pl = path[cut] == '.' ? cut : 0;
            memcpy(parent, path, pl);
            parent[pl] = '\0';
            const char *key = path + (path[cut] == '.' ? cut + 1 : 0);
            json_t *p = pl ? s_lookup(self, parent) : self->root;
            /* a key holding dots is only added under an existing parent: "a.b" alone is
             * the key b of a, never a new top-level key "a.b" */
            if (json_is_object(p) && *key && !strpbrk(key, pl ? "[]" : "[].")) {
                rc = json_object_set(p, key, value);
            }
        }
    }
    json_decref(value);
    if (rc != 0) {
        snprintf(self->err, sizeof self->err, "%s: %s: its parent is not in %s", origin, path,
                 self->file);
        errno = EINVAL;
        return -1;
    }
    if (self->expanded) {
        json_object_clear(self->expanded);
    }
    if (!self->set) {
        self->set = json_object();
    }
    if (!self->set || json_object_set_new(self->set, path, json_string(origin)) != 0) {
        errno = ENOMEM;
        return -1;
    }
    if (strcmp(path, "run_dir") == 0 && json_is_string(s_lookup(self, path))) {
        snprintf(self->run_dir, sizeof self->run_dir, "%s",
                 json_string_value(s_lookup(self, path)));
    }
    return 0;
}

json_t *
cfg_json(const cfg_t *self, const char *path)
{
    assert(self);
    return s_lookup(self, path);
}

bool
cfg_has(const cfg_t *self, const char *path)
{
    return cfg_json(self, path) != NULL;
}

static const char *
s_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

int
cfg_venue_port(cfg_t *self, int *port)
{
    assert(self);
    if (self->venue_port == 0) {
        int64_t p;
        if (cfg_int(self, "venue_sim.port", 0, 0, 65535, false, &p) != 0) {
            return -1;
        }
        if (p == 0) {
            int fp;
            if (port_file_read(self->run_dir, &fp) != 0) {
                int e = errno;
                return cfg_fail(self, "venue_sim.port",
                                "0 (a free port chosen at start), but %s/%s %s: start the group "
                                "with tools/sv up (or tools/run.sh), which chooses the port",
                                self->run_dir, PORT_FILE,
                                e == ENOENT   ? "does not exist"
                                : e == EINVAL ? "holds no port"
                                              : strerror(e));
            }
            p = fp;
        }
        self->venue_port = (int)p;
    }
    *port = self->venue_port;
    return 0;
}

void
cfg_assume_venue_port(cfg_t *self, int port)
{
    assert(self && port > 0 && port <= 65535);
    int known;
    if (cfg_venue_port(self, &known) != 0) {
        self->venue_port = port;
        self->err[0] = '\0'; /* the failed lookup is not an error of the file */
    }
}

/* `s` (the value at path) with every "{venue_port}" replaced, kept in self->expanded so the
 * returned pointer lives as long as the config. NULL after cfg_fail. */
static const char *
s_expand_port(cfg_t *self, const char *path, const char *s)
{
    json_t *done = self->expanded ? json_object_get(self->expanded, path) : NULL;
    if (done) {
        return json_string_value(done);
    }
    int port;
    if (cfg_venue_port(self, &port) != 0) {
        char why[384];
        snprintf(why, sizeof why, "%.300s", self->err);
        cfg_fail(self, path, "cannot expand {venue_port}: %s", why);
        return NULL;
    }
    static const char k_ph[] = "{venue_port}";
    size_t cap = strlen(s) + 1, n = 0; /* a port (<= 5 digits) is shorter than k_ph */
    char *buf = malloc(cap);
    if (!buf) {
        cfg_fail(self, path, "out of memory");
        return NULL;
    }
    for (const char *p = s; *p;) {
        if (strncmp(p, k_ph, sizeof k_ph - 1) == 0) {
            n += (size_t)snprintf(buf + n, cap - n, "%d", port);
            p += sizeof k_ph - 1;
        } else {
            buf[n++] = *p++;
        }
    }
    buf[n] = '\0';
    if (!self->expanded) {
        self->expanded = json_object();
    }
    json_t *v = json_string(buf);
    free(buf);
    if (!self->expanded || !v || json_object_set_new(self->expanded, path, v) != 0) {
        cfg_fail(self, path, "out of memory");
        return NULL;
    }
    return json_string_value(v);
}

int
cfg_str(cfg_t *self, const char *path, const char *dflt, const char **out)
{
    assert(self);
    json_t *v = s_lookup(self, path);
    if (!v) {
        if (!dflt) {
            return cfg_fail(self, path, "required key missing (expected a string)");
        }
        *out = dflt;
        return 0;
    }
    if (!json_is_string(v)) {
        return cfg_fail(self, path, "expected a string, got %s", s_kind(v));
    }
    const char *str = json_string_value(v);
    if (strstr(str, "{venue_port}")) {
        str = s_expand_port(self, path, str);
        if (!str) {
            return -1;
        }
    }
    *out = str;
    return 0;
}

int
cfg_path_str(cfg_t *self, const char *path, const char *dflt, char *out, size_t cap)
{
    const char *s;
    if (cfg_str(self, path, dflt, &s) != 0) {
        return -1;
    }
    size_t o = 0;
    for (const char *p = s; *p;) {
        if (strncmp(p, "{run}", 5) == 0) {
            int n = snprintf(out + o, cap - o, "%s", self->run_dir);
            if (n < 0 || (size_t)n >= cap - o) {
                return cfg_fail(self, path, "value too long (max %zu bytes)", cap - 1);
            }
            o += (size_t)n;
            p += 5;
            continue;
        }
        if (o + 1 >= cap) {
            return cfg_fail(self, path, "value too long (max %zu bytes)", cap - 1);
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
    return 0;
}

int
cfg_int(cfg_t *self, const char *path, int64_t dflt, int64_t min, int64_t max, bool required,
        int64_t *out)
{
    assert(self);
    json_t *v = s_lookup(self, path);
    if (!v) {
        if (required) {
            return cfg_fail(self, path,
                            "required key missing (expected an integer in [%lld, %lld])",
                            (long long)min, (long long)max);
        }
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(v)) {
        return cfg_fail(self, path, "expected an integer in [%lld, %lld], got %s", (long long)min,
                        (long long)max, s_kind(v));
    }
    int64_t x = (int64_t)json_integer_value(v);
    if (x < min || x > max) {
        return cfg_fail(self, path, "expected an integer in [%lld, %lld], got %lld", (long long)min,
                        (long long)max, (long long)x);
    }
    *out = x;
    return 0;
}

int
cfg_double(cfg_t *self, const char *path, double dflt, double min, double max, bool required,
           double *out)
{
    assert(self);
    json_t *v = s_lookup(self, path);
    if (!v) {
        if (required) {
            return cfg_fail(self, path, "required key missing (expected a number)");
        }
        *out = dflt;
        return 0;
    }
    if (!json_is_number(v)) {
        return cfg_fail(self, path, "expected a number in [%g, %g], got %s", min, max, s_kind(v));
    }
    double x = json_number_value(v);
    if (!(x >= min && x <= max)) {
        return cfg_fail(self, path, "expected a number in [%g, %g], got %g", min, max, x);
    }
    *out = x;
    return 0;
}

int
cfg_bool(cfg_t *self, const char *path, bool dflt, bool *out)
{
    assert(self);
    json_t *v = s_lookup(self, path);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (!json_is_boolean(v)) {
        return cfg_fail(self, path, "expected true or false, got %s", s_kind(v));
    }
    *out = json_is_true(v);
    return 0;
}

int
cfg_money(cfg_t *self, const char *path, int scale, const char *dflt, int64_t min, int64_t max,
          int64_t *out)
{
    assert(self);
    json_t *v = s_lookup(self, path);
    char buf[64];
    const char *s;
    if (!v) {
        if (!dflt) {
            return cfg_fail(self, path, "required key missing (expected a decimal string)");
        }
        s = dflt;
    } else if (json_is_string(v)) {
        s = json_string_value(v);
    } else if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        s = buf;
    } else {
        return cfg_fail(self, path, "expected a decimal string such as \"0.001\", got %s",
                        s_kind(v));
    }
    int64_t m;
    if (money_parse(s, strlen(s), scale, &m) != 0) {
        return cfg_fail(self, path, "expected a decimal with at most %d decimals, got \"%s\"",
                        scale, s);
    }
    if (m < min || m > max) {
        char lo[40], hi[40];
        money_fmt_trim(min, scale, lo, sizeof lo);
        money_fmt_trim(max, scale, hi, sizeof hi);
        return cfg_fail(self, path, "expected a value in [%s, %s], got \"%s\"", lo, hi, s);
    }
    *out = m;
    return 0;
}

int
cfg_array_len(cfg_t *self, const char *path)
{
    assert(self);
    json_t *v = s_lookup(self, path);
    if (!v) {
        return 0;
    }
    if (!json_is_array(v)) {
        return cfg_fail(self, path, "expected an array, got %s", s_kind(v));
    }
    return (int)json_array_size(v);
}

int
cfg_check_keys(cfg_t *self, const char *path, const char *const *known)
{
    assert(self);
    json_t *v = s_lookup(self, path);
    if (!v) {
        return 0;
    }
    if (!json_is_object(v)) {
        return cfg_fail(self, path, "expected an object, got %s", s_kind(v));
    }
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val)
    {
        bool ok = false;
        for (const char *const *k = known; *k; k++) {
            if (strcmp(*k, key) == 0) {
                ok = true;
                break;
            }
        }
        if (!ok) {
            char p[CFG_PATH_MAX];
            snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
            return cfg_fail(self, p, "unknown key");
        }
    }
    return 0;
}

const char *const cfg_sections[] = { "mode",      "run_dir",  "log_level", "account", "endpoints",
                                     "venue_sim", "feed",     "signal",    "risk",    "executor",
                                     "recorder",  "security", "sessions",  "gateway", NULL };

int
cfg_check_top(cfg_t *self)
{
    static const char *const k_kinds[] = { "pub", "ctl", "orders", "history", NULL };
    assert(self);
    const char *key;
    json_t *val;
    json_object_foreach(self->root, key, val)
    {
        const char *near = NULL;
        bool ok = false;
        for (const char *const *k = cfg_sections; *k && !ok; k++) {
            ok = strcmp(*k, key) == 0;
            if (!ok && strcasecmp(*k, key) == 0) {
                near = *k;
            }
        }
        if (!ok && near) {
            return cfg_fail(self, key, "unknown top-level key (did you mean \"%s\"?)", near);
        }
        if (!ok) {
            return cfg_fail(self, key,
                            "unknown top-level key (known: mode, run_dir, log_level, account, "
                            "endpoints, venue_sim, feed, signal, risk, executor, recorder, "
                            "security, gateway)");
        }
    }
    json_t *eps = json_object_get(self->root, "endpoints");
    if (!eps) {
        return 0;
    }
    if (!json_is_object(eps)) {
        return cfg_fail(self, "endpoints", "expected an object, got %s", s_kind(eps));
    }
    json_object_foreach(eps, key, val)
    {
        char p[CFG_PATH_MAX];
        snprintf(p, sizeof p, "endpoints.%s", key);
        if (!json_is_object(val)) {
            return cfg_fail(self, p, "expected an object of endpoints, got %s", s_kind(val));
        }
        if (cfg_check_keys(self, p, k_kinds) != 0) {
            return -1;
        }
        const char *kind;
        json_t *ep;
        json_object_foreach(val, kind, ep)
        {
            if (!json_is_string(ep)) {
                snprintf(p, sizeof p, "endpoints.%s.%s", key, kind);
                return cfg_fail(self, p, "expected a string such as \"ipc://{run}/x.pub\", got %s",
                                s_kind(ep));
            }
        }
    }
    return 0;
}

int
cfg_check_instance(cfg_t *self, const char *instance)
{
    assert(self && instance);
    char ep[256];
    if (!cfg_has(self, "endpoints") || !json_is_object(cfg_json(self, "endpoints"))
        || !json_object_get(cfg_json(self, "endpoints"), instance)) {
        return cfg_fail(self, "endpoints", "no endpoints for instance \"%s\"", instance);
    }
    return cfg_endpoint(self, instance, "pub", ep, sizeof ep) != 0
                   || cfg_endpoint(self, instance, "ctl", ep, sizeof ep) != 0
               ? -1
               : 0;
}

int
cfg_endpoint(cfg_t *self, const char *instance, const char *kind, char *out, size_t cap)
{
    assert(self);
    char path[CFG_PATH_MAX];
    snprintf(path, sizeof path, "endpoints.%s.%s", instance, kind);
    return cfg_path_str(self, path, NULL, out, cap);
}

size_t
cfg_instances(const cfg_t *self, const char *role, char names[][32], size_t max)
{
    assert(self);
    json_t *eps = json_object_get(self->root, "endpoints");
    size_t n = 0, rl = strlen(role);
    if (!json_is_object(eps)) {
        return 0;
    }
    /* jansson keeps insertion order of objects (since 2.8), i.e. file order */
    const char *key;
    json_t *val;
    json_object_foreach(eps, key, val)
    {
        (void)val;
        if (n < max && strncmp(key, role, rl) == 0 && key[rl] == '.') {
            snprintf(names[n++], 32, "%s", key);
        }
    }
    return n;
}
