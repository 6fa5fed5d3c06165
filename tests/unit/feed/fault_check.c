/*  fault_check.c - the checker of tests/integration/feed_faults.sh (not a unit test): the book
 *  the feed publishes must equal the book rebuilt, independently, from the frames venue-sim
 *  really sent on the connection (venue-sim --fault-dump LABEL=PATH, faults included).
 *  Usage: fault_check FEED_PUB[,FEED_PUB...] VENUE DUMP[,DUMP...] STOPFILE
 *    (several feed instances splitting the symbols: one SUB connected to all of them; one
 *    dump per connection label, each symbol in one of them)
 *    1. SUBscribes to FEED_PUB and keeps every md.book / md.status / md.instrument of VENUE
 *       until STOPFILE exists (the test creates it after the replay ended).
 *    2. Reads DUMP (one frame per line, as written on the wire; Binance REST depth bodies that
 *       venue-sim served are in it too) and rebuilds each book with its own code: jansson,
 *       an unsorted level list per side, money_parse at the scales of md.instrument. Rules:
 *       Bybit (BYBIT_V5.md 1.5) snapshot or u == 1 replaces, a delta applies iff u == last
 *       u + 1 (else the book is gone until a snapshot), depth cut after each update; Binance
 *       (BYBIT_V5.md 4) REST body then diffs: drop u < L, first kept U <= L <= u, then
 *       pu == previous u. A result whose best bid >= best ask drops the book (crossed).
 *       Every applied update gives one expected md.book (top levels).
 *    3. Walks each symbol's published books in order against its expected ones: a published
 *       book must find an expected one with the same update id further on (expected ones
 *       skipped: frames the feed never got, e.g. written just before a dropped connection)
 *       and their levels must be equal.
 *  Prints "key value" lines (books, matched, mismatched, unmatched, skipped, resync, ...).
 *  Exit: 0 ran (the test judges the figures), 2 usage, 3 cannot connect.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>
#include <jansson.h>

#include "common/bus.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/log.h"
#include "common/money.h"

#define k_syms   8
#define k_levels 2000

typedef struct {
    int64_t px, qty;
} c_lvl_t;

typedef struct {
    uint64_t u;
    bool snap;
    uint32_t nb, na;
    c_lvl_t b[CODEC_LEVELS], a[CODEC_LEVELS];
} c_exp_t;

typedef struct {
    char sym[CODEC_SYM_MAX];
    int px_scale, qty_scale;
    bool have_scales;
    /* rebuild */
    c_lvl_t side[2][k_levels];
    size_t n[2];
    bool synced;
    int state; /* binance: 0 NEED, 1 SNAP, 2 LIVE */
    uint64_t u;
    size_t depth;
    /* expected and published */
    c_exp_t *exp;
    size_t n_exp, cap_exp;
    codec_md_book_t *pub;
    size_t n_pub, cap_pub;
    long gaps, crossed;
    char **held; /* binance: every diff since the last REST body (the feed's buffer) */
    size_t n_held;
} c_sym_t;

static c_sym_t g_syms[k_syms];
static size_t g_n;
static int g_levels = CODEC_LEVELS;

static c_sym_t *
s_sym(const char *sym, bool create)
{
    for (size_t i = 0; i < g_n; i++) {
        if (strcmp(g_syms[i].sym, sym) == 0) {
            return &g_syms[i];
        }
    }
    if (!create || g_n == k_syms) {
        return NULL;
    }
    c_sym_t *s = &g_syms[g_n++];
    snprintf(s->sym, sizeof s->sym, "%s", sym);
    s->depth = k_levels;
    return s;
}

static void
s_set(c_sym_t *s, int side, int64_t px, int64_t qty)
{
    for (size_t i = 0; i < s->n[side]; i++) {
        if (s->side[side][i].px == px) {
            if (qty == 0) {
                s->side[side][i] = s->side[side][--s->n[side]];
            } else {
                s->side[side][i].qty = qty;
            }
            return;
        }
    }
    if (qty != 0 && s->n[side] < k_levels) {
        s->side[side][s->n[side]++] = (c_lvl_t){ px, qty };
    }
}

static int
s_cmp_desc(const void *x, const void *y)
{
    int64_t a = ((const c_lvl_t *)x)->px, b = ((const c_lvl_t *)y)->px;
    return a < b ? 1 : a > b ? -1 : 0;
}

static int
s_cmp_asc(const void *x, const void *y)
{
    return -s_cmp_desc(x, y);
}

/* Sort, cut to depth, check crossing; push an expected book. false = crossed (dropped). */
static bool
s_after_update(c_sym_t *s, uint64_t u, bool snap)
{
    qsort(s->side[0], s->n[0], sizeof(c_lvl_t), s_cmp_desc);
    qsort(s->side[1], s->n[1], sizeof(c_lvl_t), s_cmp_asc);
    for (int k = 0; k < 2; k++) {
        if (s->n[k] > s->depth) {
            s->n[k] = s->depth;
        }
    }
    if (s->n[0] && s->n[1] && s->side[0][0].px >= s->side[1][0].px) {
        s->crossed++;
        s->synced = false;
        s->n[0] = s->n[1] = 0;
        return false;
    }
    s->u = u;
    if (s->n_exp == s->cap_exp) {
        s->cap_exp = s->cap_exp ? s->cap_exp * 2 : 1024;
        s->exp = realloc(s->exp, s->cap_exp * sizeof *s->exp);
        if (!s->exp) {
            abort();
        }
    }
    c_exp_t *e = &s->exp[s->n_exp++];
    memset(e, 0, sizeof *e);
    e->u = u;
    e->snap = snap;
    e->nb = (uint32_t)(s->n[0] < (size_t)g_levels ? s->n[0] : (size_t)g_levels);
    e->na = (uint32_t)(s->n[1] < (size_t)g_levels ? s->n[1] : (size_t)g_levels);
    memcpy(e->b, s->side[0], e->nb * sizeof(c_lvl_t));
    memcpy(e->a, s->side[1], e->na * sizeof(c_lvl_t));
    return true;
}

static bool
s_levels(c_sym_t *s, int side, const json_t *arr)
{
    size_t i;
    const json_t *lv;
    if (!json_is_array(arr)) {
        return false;
    }
    json_array_foreach(arr, i, lv)
    {
        const char *p = json_string_value(json_array_get(lv, 0));
        const char *q = json_string_value(json_array_get(lv, 1));
        int64_t px, qty;
        if (!p || !q || money_parse(p, strlen(p), s->px_scale, &px) != 0
            || money_parse(q, strlen(q), s->qty_scale, &qty) != 0) {
            return false;
        }
        s_set(s, side, px, qty);
    }
    return true;
}

static long long
s_ll(const json_t *v)
{
    return json_is_integer(v)  ? (long long)json_integer_value(v)
           : json_is_string(v) ? strtoll(json_string_value(v), NULL, 10)
                               : -1;
}

static void
s_bybit_line(json_t *j)
{
    const char *topic = json_string_value(json_object_get(j, "topic"));
    const char *type = json_string_value(json_object_get(j, "type"));
    json_t *d = json_object_get(j, "data");
    if (!topic || !type || strncmp(topic, "orderbook.", 10) != 0 || !json_is_object(d)) {
        return;
    }
    const char *sym = json_string_value(json_object_get(d, "s"));
    long long u = s_ll(json_object_get(d, "u"));
    c_sym_t *s = sym ? s_sym(sym, false) : NULL;
    if (!s || !s->have_scales || u < 1) {
        return; /* malformed (the feed counts it as bad) or a symbol we do not watch */
    }
    bool snap = strcmp(type, "snapshot") == 0 || u == 1;
    if (snap) {
        s->n[0] = s->n[1] = 0;
        s->depth = (size_t)atoi(topic + 10);
        s->synced = true;
    } else if (!s->synced) {
        return;
    } else if ((uint64_t)u != s->u + 1) {
        s->gaps++;
        s->synced = false;
        s->n[0] = s->n[1] = 0;
        return;
    }
    if (!s_levels(s, 0, json_object_get(d, "b")) || !s_levels(s, 1, json_object_get(d, "a"))) {
        return;
    }
    (void)s_after_update(s, (uint64_t)u, snap);
}

/* One Binance diff against the synced book. */
static void
s_binance_diff(c_sym_t *s, json_t *d)
{
    long long U = s_ll(json_object_get(d, "U")), u = s_ll(json_object_get(d, "u"));
    long long pu = s_ll(json_object_get(d, "pu"));
    if (U < 1 || u < U) {
        return;
    }
    if (s->state == 1) {
        if ((uint64_t)u < s->u) {
            return;
        }
        if ((uint64_t)U > s->u) {
            s->gaps++;
            s->state = 0;
            s->n[0] = s->n[1] = 0;
            return;
        }
    } else if ((uint64_t)pu != s->u) {
        s->gaps++;
        s->state = 0;
        s->n[0] = s->n[1] = 0;
        return;
    }
    if (!s_levels(s, 0, json_object_get(d, "b")) || !s_levels(s, 1, json_object_get(d, "a"))) {
        return;
    }
    if (s_after_update(s, (uint64_t)u, false)) {
        s->state = 2;
    } else {
        s->state = 0;
    }
}

static void
s_binance_line(json_t *j, const char *line)
{
    c_sym_t *s = g_n ? &g_syms[0] : NULL; /* one depth symbol per Binance connection here */
    if (!s || !s->have_scales) {
        return;
    }
    if (json_object_get(j, "lastUpdateId")) {
        /* only the feed asks venue-sim for depth here: each body restarts its sync (after a
         * reconnect the body even precedes the first diff that shows the gap) */
        s->n[0] = s->n[1] = 0;
        s->depth = 1000; /* the feed keeps the REST snapshot's 1000 levels (docs/feed.md) */
        if (!s_levels(s, 0, json_object_get(j, "bids"))
            || !s_levels(s, 1, json_object_get(j, "asks"))) {
            return;
        }
        qsort(s->side[0], s->n[0], sizeof(c_lvl_t), s_cmp_desc);
        qsort(s->side[1], s->n[1], sizeof(c_lvl_t), s_cmp_asc);
        s->u = (uint64_t)s_ll(json_object_get(j, "lastUpdateId"));
        s->state = 1;
        /* the feed asked for this body in NEED, so every diff it got before the body was
         * buffered and is replayed now (u < L dropped), even those this rebuild had applied
         * while it saw no gap yet (a reconnect without missed frames, e.g. after a stall) */
        for (size_t i = 0; i < s->n_held; i++) {
            json_t *h = json_loads(s->held[i], 0, NULL);
            if (h && s->state != 0) {
                s_binance_diff(s, json_object_get(h, "data"));
            }
            json_decref(h);
            free(s->held[i]);
        }
        s->n_held = 0;
        return;
    }
    json_t *d = json_object_get(j, "data");
    const char *e = json_string_value(json_object_get(d, "e"));
    if (!e || strcmp(e, "depthUpdate") != 0) {
        return;
    }
    s->held = realloc(s->held, (s->n_held + 1) * sizeof *s->held);
    s->held[s->n_held++] = strdup(line);
    if (s->state != 0) {
        s_binance_diff(s, d);
    }
}

static bool
s_same(const codec_md_book_t *b, const c_exp_t *e)
{
    if (b->n_bids != e->nb || b->n_asks != e->na) {
        return false;
    }
    for (uint32_t i = 0; i < e->nb; i++) {
        if (b->bids[i].px != e->b[i].px || b->bids[i].qty != e->b[i].qty) {
            return false;
        }
    }
    for (uint32_t i = 0; i < e->na; i++) {
        if (b->asks[i].px != e->a[i].px || b->asks[i].qty != e->a[i].qty) {
            return false;
        }
    }
    return true;
}

int
main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: fault_check FEED_PUB VENUE DUMP STOPFILE\n");
        return 2;
    }
    const char *venue = argv[2];
    bool binance = strncmp(venue, "binance", 7) == 0;
    log_init("fault_check", LOG_WARN);
    zsys_handler_set(NULL);
    bus_sub_t *sub = bus_sub_new(0);
    char prefix[64];
    if (!sub || bus_sub_subscribe(sub, "") != 0) {
        return 3;
    }
    char eps[1024];
    snprintf(eps, sizeof eps, "%s", argv[1]);
    for (char *sv = NULL, *e = strtok_r(eps, ",", &sv); e; e = strtok_r(NULL, ",", &sv)) {
        if (bus_sub_connect(sub, e) != 0) {
            return 3;
        }
    }
    long status_n = 0, resync = 0, disconnected = 0, stale = 0, skew = 0, connected = 0;
    long after_last_resync = 0, gaps = 0;
    zpoller_t *p = zpoller_new(bus_sub_sock(sub), NULL);
    snprintf(prefix, sizeof prefix, "md.");
    while (access(argv[4], F_OK) != 0) {
        if (!zpoller_wait(p, 100)) {
            if (zpoller_terminated(p)) {
                break;
            }
            continue;
        }
        bus_msg_t m;
        while (bus_sub_recv(sub, &m) == 0) {
            gaps += (long)m.gap;
            codec_body_t b;
            if (codec_decode(m.data, m.len, m.type, NULL, &b) != 0) {
                continue;
            }
            if (m.type == CODEC_MD_INSTRUMENT && strcmp(b.instrument.venue, venue) == 0) {
                c_sym_t *s = s_sym(b.instrument.symbol, true);
                if (s) {
                    s->px_scale = b.instrument.px_scale;
                    s->qty_scale = b.instrument.qty_scale;
                    s->have_scales = true;
                }
            } else if (m.type == CODEC_MD_STATUS && strcmp(b.status.venue, venue) == 0) {
                status_n++;
                printf("status %s %s %s\n", b.status.state,
                       b.status.symbol[0] ? b.status.symbol : "-", b.status.reason);
                if (strcmp(b.status.state, "resync") == 0) {
                    resync++;
                    after_last_resync = 0;
                }
                disconnected += strcmp(b.status.state, "disconnected") == 0;
                stale += strcmp(b.status.state, "stale") == 0;
                skew += strcmp(b.status.state, "skew") == 0;
                connected += strcmp(b.status.state, "connected") == 0;
            } else if (m.type == CODEC_MD_BOOK && strcmp(b.book.venue, venue) == 0) {
                c_sym_t *s = s_sym(b.book.symbol, true);
                if (!s) {
                    continue;
                }
                if (s->n_pub == s->cap_pub) {
                    s->cap_pub = s->cap_pub ? s->cap_pub * 2 : 1024;
                    s->pub = realloc(s->pub, s->cap_pub * sizeof *s->pub);
                    if (!s->pub) {
                        abort();
                    }
                }
                s->pub[s->n_pub++] = b.book;
                after_last_resync++;
            }
        }
    }
    zpoller_destroy(&p);
    bus_sub_destroy(&sub);

    /* rebuild from the dump */
    char dumps[1024];
    snprintf(dumps, sizeof dumps, "%s", argv[3]);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lines = 0, bad_lines = 0;
    for (char *sv = NULL, *dp = strtok_r(dumps, ",", &sv); dp; dp = strtok_r(NULL, ",", &sv)) {
        FILE *fp = fopen(dp, "r");
        if (!fp) {
            perror(dp);
            return 2;
        }
        while ((n = getline(&line, &cap, fp)) > 0) {
            lines++;
            json_t *j = json_loadb(line, (size_t)n, 0, NULL);
            if (!json_is_object(j)) {
                bad_lines++;
            } else if (binance) {
                s_binance_line(j, line);
            } else {
                s_bybit_line(j);
            }
            json_decref(j);
        }
        fclose(fp);
    }
    free(line);

    long books = 0, matched = 0, mismatched = 0, unmatched = 0, skipped = 0, expected = 0;
    long crossed_pub = 0, rb_gaps = 0, rb_crossed = 0, last_equal = 0;
    for (size_t i = 0; i < g_n; i++) {
        c_sym_t *s = &g_syms[i];
        size_t j = 0;
        expected += (long)s->n_exp;
        rb_gaps += s->gaps;
        rb_crossed += s->crossed;
        for (size_t k = 0; k < s->n_pub; k++) {
            const codec_md_book_t *b = &s->pub[k];
            books++;
            if (b->n_bids && b->n_asks && b->bids[0].px >= b->asks[0].px) {
                crossed_pub++;
            }
            size_t f = j;
            while (f < s->n_exp
                   && !(s->exp[f].u == b->update_id && s->exp[f].snap == b->snapshot)) {
                f++;
            }
            if (f == s->n_exp) {
                unmatched++;
                printf("unmatched %s u %llu%s\n", s->sym, (unsigned long long)b->update_id,
                       b->snapshot ? " snapshot" : "");
                continue;
            }
            skipped += (long)(f - j);
            if (s_same(b, &s->exp[f])) {
                matched++;
            } else {
                if (mismatched++ == 0) { /* the first one in full */
                    const c_exp_t *e = &s->exp[f];
                    for (uint32_t l = 0; l < CODEC_LEVELS; l++) {
                        printf("  level %u pub bid %lld %lld ask %lld %lld | rebuilt bid %lld %lld "
                               "ask %lld %lld\n",
                               l, (long long)b->bids[l].px, (long long)b->bids[l].qty,
                               (long long)b->asks[l].px, (long long)b->asks[l].qty,
                               (long long)e->b[l].px, (long long)e->b[l].qty, (long long)e->a[l].px,
                               (long long)e->a[l].qty);
                    }
                }
                printf("mismatch %s u %llu\n", s->sym, (unsigned long long)b->update_id);
            }
            j = f + 1;
        }
        /* the last published book equals the last rebuilt one */
        if (s->n_pub && s->n_exp && s_same(&s->pub[s->n_pub - 1], &s->exp[s->n_exp - 1])
            && s->pub[s->n_pub - 1].update_id == s->exp[s->n_exp - 1].u) {
            last_equal++;
        }
        printf("symbol %s published %zu expected %zu gaps %ld\n", s->sym, s->n_pub, s->n_exp,
               s->gaps);
    }
    printf("symbols %zu\nlast_equal %ld\nlines %ld\nbad_lines %ld\nbooks %ld\nexpected %ld\n"
           "matched %ld\nmismatched %ld\nunmatched %ld\nskipped %ld\ncrossed_published %ld\n"
           "rebuilt_gaps %ld\nrebuilt_crossed %ld\nstatus %ld\nresync %ld\ndisconnected %ld\n"
           "connected %ld\nstale %ld\nskew %ld\nbooks_after_last_resync %ld\nbus_gaps %ld\n",
           g_n, last_equal, lines, bad_lines, books, expected, matched, mismatched, unmatched,
           skipped, crossed_pub, rb_gaps, rb_crossed, status_n, resync, disconnected, connected,
           stale, skew, after_last_resync, gaps);
    for (size_t i = 0; i < g_n; i++) {
        free(g_syms[i].exp);
        free(g_syms[i].pub);
        free(g_syms[i].held);
    }
    return 0;
}
