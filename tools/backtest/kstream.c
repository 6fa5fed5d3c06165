/*  kstream.c - kline CSV rows streamed (see kstream.h).
 *  Invariants: (1) `has` = a valid row is looked ahead in `ahead`, or `err` is set (reported by
 *  the next kstream_next), or the files are exhausted; (2) buf[off, fill) holds bytes read and
 *  not yet split into rows; (3) rows come out in non-decreasing ts_ms.
 */
#include "tools/backtest/kstream.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "tools/venue-sim/klines.h"
#include "tools/venue-sim/unzip.h"

#define S_BUF 65536

struct kstream {
    const char *const *paths;
    size_t n_paths, file; /* file: index of the open one */
    FILE *fp;
    uint64_t line;       /* of the open file */
    bool first;          /* no row of the open file read yet (a header line may come) */
    const source_t *src; /* its window */
    char symbol[24];
    char buf[S_BUF];
    size_t off, fill;
    bool eof; /* the open file is read to its end */
    kstream_row_t ahead;
    bool has;
    int err; /* errno to report at the next kstream_next, 0 = none */
    int64_t last_ts;
    uint64_t rows, bad;
    char error[512];
};

/* ---- the row rules: klines_row_parse (tools/venue-sim/klines.c), the window of the source ---- */

/* Parse r->text (r->len bytes) into r: 0, or -1 (the loader refuses the row: a bad row the
 * scan already counted, logged, or stopped the load for). */
static int
s_parse(kstream_row_t *r)
{
    klines_row_t kr;
    if (klines_row_parse(r->text, r->len, &kr, NULL, 0) != 0) {
        return -1;
    }
    binance_kline_t *k = &r->k;
    memset(k, 0, sizeof *k);
    k->symbol = r->symbol;
    k->interval = "1m";
    k->e_ms = kr.close_ms + 1;
    k->start_ms = kr.open_ms;
    k->last_ms = kr.close_ms;
    k->trades = kr.trades;
    k->closed = true;
    k->o = kr.col[1].p, k->o_len = kr.col[1].len;
    k->h = kr.col[2].p, k->h_len = kr.col[2].len;
    k->l = kr.col[3].p, k->l_len = kr.col[3].len;
    k->c = kr.col[4].p, k->c_len = kr.col[4].len;
    k->v = kr.col[5].p, k->v_len = kr.col[5].len;
    k->q = kr.col[7].p, k->q_len = kr.col[7].len;
    k->V = kr.col[9].p, k->V_len = kr.col[9].len;
    r->ts_ms = kr.close_ms + 1;
    return 0;
}

/* ---- reading ------------------------------------------------------------------------------ */

static int
s_open(kstream_t *self)
{
    const char *path = self->paths[self->file];
    self->fp = unzip_open(path, NULL, 0); /* a .zip as data.binance.vision serves it */
    if (!self->fp) {
        int e = errno;
        snprintf(self->error, sizeof self->error, "%s: cannot open: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    self->line = 0;
    self->first = true;
    self->off = self->fill = 0;
    self->eof = false;
    return 0;
}

/* The next line of the open file into *p, *len (borrowed from buf, without its line end):
 * 1, 0 at the end of the file, -1/EIO. A line longer than KSTREAM_ROW_MAX is returned cut
 * (then refused by the caller as too long). */
static int
s_line(kstream_t *self, const char **p, size_t *len, bool *too_long)
{
    *too_long = false;
    for (;;) {
        char *nl = memchr(self->buf + self->off, '\n', self->fill - self->off);
        if (nl || (self->eof && self->fill > self->off)) {
            size_t end = nl ? (size_t)(nl - self->buf) : self->fill;
            *p = self->buf + self->off;
            *len = end - self->off;
            self->off = nl ? end + 1 : end;
            self->line++;
            while (*len > 0 && ((*p)[*len - 1] == '\r' || (*p)[*len - 1] == '\n')) {
                (*len)--;
            }
            return 1;
        }
        if (self->eof) {
            return 0;
        }
        if (self->fill - self->off >= S_BUF / 2) {
            /* a line longer than half the buffer: skip to its end, refused as too long */
            self->off = self->fill;
            *too_long = true;
        }
        memmove(self->buf, self->buf + self->off, self->fill - self->off);
        self->fill -= self->off;
        self->off = 0;
        size_t got = fread(self->buf + self->fill, 1, S_BUF - self->fill, self->fp);
        self->fill += got;
        if (got == 0) {
            if (ferror(self->fp)) {
                snprintf(self->error, sizeof self->error, "%s:%llu: read failed",
                         self->paths[self->file], (unsigned long long)self->line + 1);
                errno = EIO;
                return -1;
            }
            self->eof = true;
        }
    }
}

/* Read ahead the next valid row (skipping refused ones) into self->ahead. */
static void
s_advance(kstream_t *self)
{
    self->has = false;
    while (self->fp) {
        const char *p;
        size_t len;
        bool too_long;
        int rc = s_line(self, &p, &len, &too_long);
        if (rc < 0) {
            self->err = EIO;
            return;
        }
        if (rc == 0) {
            fclose(self->fp);
            self->fp = NULL;
            if (++self->file < self->n_paths && s_open(self) != 0) {
                self->err = errno;
                return;
            }
            continue;
        }
        if (len == 0 || p[0] == '\r') {
            continue; /* blank lines are not rows (source.c) */
        }
        bool first = self->first;
        self->first = false;
        if (first && klines_is_header(p, len)) {
            continue; /* data.binance.vision's column names */
        }
        kstream_row_t *r = &self->ahead;
        r->file = self->paths[self->file];
        r->line = self->line;
        if (too_long) {
            self->bad++; /* longer than half the buffer: cannot be a row the loader takes */
            continue;
        }
        if (len >= sizeof r->text) {
            /* only the unchecked last column ("ignore") can make a row the loader takes this
             * long: kept without it ("0"), which no frame carries */
            klines_row_t kr;
            size_t head = 0;
            if (klines_row_parse(p, len, &kr, NULL, 0) == 0) {
                head = (size_t)(kr.col[11].p - p);
            }
            if (head == 0 || head + 2 > sizeof r->text) {
                self->bad++;
                continue;
            }
            memcpy(r->text, p, head);
            r->text[head] = '0';
            len = head + 1;
        } else {
            memcpy(r->text, p, len);
        }
        r->text[len] = '\0';
        r->len = len;
        if (s_parse(r) != 0) {
            self->bad++; /* the scan counted it (strict: the load stopped there) */
            continue;
        }
        if (!source_in_window(self->src, r->k.start_ms, r->ts_ms)) {
            continue;
        }
        if (r->ts_ms == self->last_ts) {
            self->bad++; /* a repeated bar: the scan counted it (strict: stopped there) */
            continue;
        }
        if (r->ts_ms < self->last_ts) {
            snprintf(self->error, sizeof self->error,
                     "%s:%llu: kline row earlier than the one before it: the streamed replay "
                     "needs the files and their rows in time order",
                     r->file, (unsigned long long)r->line);
            self->err = EDOM;
            return;
        }
        self->last_ts = r->ts_ms;
        self->has = true;
        return;
    }
}

kstream_t *
kstream_new(const char *const *paths, size_t n, const char *symbol, const source_t *src)
{
    assert(paths || n == 0);
    assert(src);
    size_t sl = symbol ? strlen(symbol) : 0;
    if (sl == 0 || sl > 20) {
        errno = EINVAL;
        return NULL;
    }
    kstream_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->paths = paths;
    self->n_paths = n;
    self->src = src;
    memcpy(self->symbol, symbol, sl + 1);
    memcpy(self->ahead.symbol, symbol, sl + 1);
    self->last_ts = INT64_MIN;
    if (n > 0 && s_open(self) != 0) {
        int e = errno;
        log_error("backtest", "%s", self->error);
        free(self);
        errno = e;
        return NULL;
    }
    s_advance(self);
    return self;
}

void
kstream_destroy(kstream_t **self_p)
{
    assert(self_p);
    kstream_t *self = *self_p;
    if (!self) {
        return;
    }
    if (self->fp) {
        fclose(self->fp);
    }
    free(self);
    *self_p = NULL;
}

int
kstream_peek(const kstream_t *self, int64_t *ts_ms)
{
    assert(self && ts_ms);
    if (!self->has) {
        return 0;
    }
    *ts_ms = self->ahead.ts_ms;
    return 1;
}

int
kstream_next(kstream_t *self, kstream_row_t *out)
{
    assert(self && out);
    if (!self->has) {
        if (self->err) {
            errno = self->err;
            return -1;
        }
        return 0;
    }
    *out = self->ahead;
    /* the copy's pointers into its own text */
    ptrdiff_t d = out->text - self->ahead.text;
    binance_kline_t *k = &out->k;
    k->symbol = out->symbol;
    k->o += d, k->h += d, k->l += d, k->c += d, k->v += d, k->q += d, k->V += d;
    self->rows++;
    s_advance(self);
    return 1;
}

uint64_t
kstream_rows(const kstream_t *self)
{
    assert(self);
    return self->rows;
}

uint64_t
kstream_bad(const kstream_t *self)
{
    assert(self);
    return self->bad;
}

const char *
kstream_error(const kstream_t *self)
{
    assert(self);
    return self->error;
}
