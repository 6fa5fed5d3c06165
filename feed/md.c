/*  md.c - helpers shared by the venue parsers (see md.h).
 */
#include "feed/md.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

int
md_parser_init(md_parser_t *p, const char *venue, const instr_table_t *instrs, size_t depth,
               size_t levels, md_stats_t *stats, const md_sink_t *sink, size_t tokens,
               size_t max_levels, size_t max_trades)
{
    if (!p || !venue || !instrs || !stats || !sink || depth == 0 || depth > BOOK_MAX_DEPTH
        || levels > CODEC_LEVELS || strlen(venue) >= INSTR_VENUE_MAX) {
        errno = EINVAL;
        return -1;
    }
    memset(p, 0, sizeof *p);
    md_strlcpy(p->venue, venue, sizeof p->venue);
    p->instrs = instrs;
    p->depth = depth;
    p->levels = levels;
    p->stats = stats;
    p->sink = *sink;
    p->tok = jtok_new(tokens);
    p->bids = calloc(max_levels, sizeof(book_level_t));
    p->asks = calloc(max_levels, sizeof(book_level_t));
    p->trades = max_trades ? calloc(max_trades, sizeof(codec_md_trade_t)) : NULL;
    if (!p->tok || !p->bids || !p->asks || (max_trades && !p->trades)) {
        md_parser_fini(p);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void
md_parser_fini(md_parser_t *p)
{
    if (!p) {
        return;
    }
    jtok_destroy(&p->tok);
    free(p->bids);
    free(p->asks);
    free(p->trades);
    p->bids = p->asks = NULL;
    p->trades = NULL;
}

void
md_strlcpy(char *dst, const char *src, size_t cap)
{
    assert(dst && src && cap > 0);
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void
md_book_fill(codec_md_book_t *out, const book_t *book, const char *venue, size_t levels,
             uint64_t update_id, bool snapshot, int64_t ts_event_ns, int64_t ts_recv_ns)
{
    assert(out && book && venue);
    const instr_t *in = book_instr(book);
    book_level_t b[CODEC_LEVELS], a[CODEC_LEVELS];
    size_t nb, na;
    if (levels > CODEC_LEVELS) {
        levels = CODEC_LEVELS;
    }
    memset(out, 0, sizeof *out);
    md_strlcpy(out->venue, venue, sizeof out->venue);
    md_strlcpy(out->symbol, in->symbol, sizeof out->symbol);
    out->px_scale = in->px_scale;
    out->qty_scale = in->qty_scale;
    out->ts_event = ts_event_ns;
    out->ts_recv = ts_recv_ns;
    out->update_id = update_id;
    out->snapshot = snapshot;
    book_top(book, levels, b, &nb, a, &na);
    for (size_t i = 0; i < nb; i++) {
        out->bids[i].px = b[i].px;
        out->bids[i].qty = b[i].qty;
    }
    for (size_t i = 0; i < na; i++) {
        out->asks[i].px = a[i].px;
        out->asks[i].qty = a[i].qty;
    }
    out->n_bids = (uint32_t)nb;
    out->n_asks = (uint32_t)na;
}

int
md_interval(const char *w, size_t len, int32_t *seconds, char *word, size_t cap)
{
    assert(w && seconds && word);
    char buf[8];
    if (len == 0 || len >= sizeof buf) {
        errno = EINVAL;
        return -1;
    }
    memcpy(buf, w, len);
    buf[len] = '\0';
    int64_t n = 0;
    size_t k = 0;
    while (k < len && buf[k] >= '0' && buf[k] <= '9') {
        n = n * 10 + (buf[k] - '0');
        k++;
    }
    const char *unit = buf + k;
    int64_t s;
    if (k == 0 && (strcmp(unit, "D") == 0 || strcmp(unit, "W") == 0)) {
        n = 1; /* Bybit "D" / "W" */
        s = unit[0] == 'D' ? 86400 : 604800;
    } else if (k == 0 || n == 0) {
        errno = EINVAL;
        return -1;
    } else if (*unit == '\0' || strcmp(unit, "m") == 0) {
        s = n * 60; /* Bybit minutes are bare numbers */
    } else if (strcmp(unit, "s") == 0) {
        s = n;
    } else if (strcmp(unit, "h") == 0) {
        s = n * 3600;
    } else if (strcmp(unit, "d") == 0) {
        s = n * 86400;
    } else if (strcmp(unit, "w") == 0) {
        s = n * 604800;
    } else {
        errno = EINVAL;
        return -1;
    }
    if (s > INT32_MAX) {
        errno = EINVAL;
        return -1;
    }
    *seconds = (int32_t)s;
    const char *u;
    int64_t v;
    if (s % 604800 == 0) {
        u = "w";
        v = s / 604800;
    } else if (s % 86400 == 0) {
        u = "d";
        v = s / 86400;
    } else if (s % 3600 == 0) {
        u = "h";
        v = s / 3600;
    } else if (s % 60 == 0) {
        u = "m";
        v = s / 60;
    } else {
        u = "s";
        v = s;
    }
    int r = snprintf(word, cap, "%lld%s", (long long)v, u);
    if (r < 0 || (size_t)r >= cap) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int
md_skew_add(md_skew_t *sk, int64_t evt_ns, int64_t recv_ns, int64_t bound_ns)
{
    if (evt_ns <= 0 || recv_ns <= 0) {
        return 0;
    }
    int64_t k = recv_ns - evt_ns;
    sk->last = k;
    if (sk->n == 0 || k < sk->min) {
        sk->min = k;
    }
    if (sk->n == 0 || k > sk->max) {
        sk->max = k;
    }
    sk->sum_ms += k / 1000000;
    sk->n++;
    if (bound_ns <= 0) {
        return 0;
    }
    int64_t a = k < 0 ? -k : k;
    if (!sk->over && a > bound_ns) {
        sk->over = true;
        return 1;
    }
    if (sk->over && a < bound_ns / 2) {
        sk->over = false;
        return -1;
    }
    return 0;
}

int
md_topic(char *buf, size_t cap, const char *prefix, const char *a, const char *b, const char *c)
{
    const char *part[4] = { prefix, a, b, c };
    size_t len = 0;
    for (int i = 0; i < 4 && part[i]; i++) {
        size_t n = strlen(part[i]);
        if (len + (i > 0) + n + 1 > cap) {
            if (cap > 0) {
                buf[0] = '\0';
            }
            errno = ENAMETOOLONG;
            return -1;
        }
        if (i > 0) {
            buf[len++] = '.';
        }
        memcpy(buf + len, part[i], n);
        len += n;
    }
    buf[len] = '\0';
    return (int)len;
}

int
md_bad(const char *mod, int64_t *counter, log_limit_t *lim, const char *what, const char *frame,
       size_t len)
{
    (*counter)++;
    log_limited(lim, LOG_WARN, mod, what, frame, len);
    errno = EPROTO;
    return -1;
}

int64_t
md_ms_ns(int64_t ms)
{
    int64_t ns;
    if (__builtin_mul_overflow(ms, CLOCK_NS_PER_MS, &ns)) {
        return 0;
    }
    return ns;
}

int
md_refused_add(md_refused_t *r, bool refused, int64_t max_bp, int64_t min_frames)
{
    assert(r);
    r->frames++;
    r->refused += refused ? 1 : 0;
    if (r->over || max_bp >= 10000 || r->frames < min_frames) {
        return 0;
    }
    /* refused / frames > max_bp / 10000, in integers; frames < 2^40 in any run, so no overflow */
    if (r->refused * 10000 > max_bp * r->frames) {
        r->over = true;
        return 1;
    }
    return 0;
}

int64_t
md_refused_bp(const md_refused_t *r)
{
    assert(r);
    return r->frames > 0 ? r->refused * 10000 / r->frames : 0;
}
