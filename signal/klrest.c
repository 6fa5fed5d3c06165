/*  klrest.c - a kline series from the venue's REST kline endpoint (see klrest.h).
 *  Blocking libcurl GETs (common/http.c) are accepted here because they run only at start-up,
 *  before the stage loop, bounded by the timeout (docs/signal.md "Restart warm-up").
 */
#include "signal/klrest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/http.h"
#include "common/instr.h"
#include "common/money.h"
#include "signal/bars.h"

#define S_NS_PER_MS 1000000LL

int
klrest_page_max(klrest_api_t api)
{
    return api == KLREST_BINANCE_USDM ? 1500 : 1000;
}

int
klrest_interval(klrest_api_t api, int tf_s, char *out, size_t cap)
{
    char w[16];
    if (api == KLREST_BYBIT) {
        /* Bybit kline intervals (BYBIT_V5.md 1.8): minutes 1..720, D, W */
        static const int k_min[] = { 1, 3, 5, 15, 30, 60, 120, 240, 360, 720 };
        w[0] = '\0';
        for (size_t i = 0; i < sizeof k_min / sizeof k_min[0]; i++) {
            if (tf_s == k_min[i] * 60) {
                snprintf(w, sizeof w, "%d", k_min[i]);
            }
        }
        if (tf_s == 86400 || tf_s == 604800) {
            snprintf(w, sizeof w, "%s", tf_s == 86400 ? "D" : "W");
        }
    } else {
        /* Binance words are the topic names of bars_tf_name except the "<n>s" fallback; 1s
         * exists on spot only */
        bars_tf_name(tf_s, w, sizeof w);
        size_t l = strlen(w);
        if (l == 0 || (w[l - 1] == 's' && (tf_s != 1 || api != KLREST_BINANCE_SPOT))) {
            w[0] = '\0';
        }
    }
    if (!w[0] || strlen(w) >= cap) {
        errno = EINVAL;
        return -1;
    }
    snprintf(out, cap, "%s", w);
    return 0;
}

int
klrest_url(const klrest_series_t *s, int64_t end_ms, int limit, char *out, size_t cap)
{
    char iv[16], end[48] = "";
    if (klrest_interval(s->api, s->tf_s, iv, sizeof iv) != 0 || limit < 1
        || limit > klrest_page_max(s->api)) {
        errno = EINVAL;
        return -1;
    }
    int w;
    if (s->api == KLREST_BYBIT) {
        if (end_ms >= 0) {
            snprintf(end, sizeof end, "&end=%lld", (long long)end_ms);
        }
        w = snprintf(out, cap, "%s/v5/market/kline?category=%s&symbol=%s&interval=%s&limit=%d%s",
                     s->base, s->category, s->symbol, iv, limit, end);
    } else {
        if (end_ms >= 0) {
            snprintf(end, sizeof end, "&endTime=%lld", (long long)end_ms);
        }
        w = snprintf(out, cap, "%s%s?symbol=%s&interval=%s&limit=%d%s", s->base,
                     s->api == KLREST_BINANCE_SPOT ? "/api/v3/klines" : "/fapi/v1/klines",
                     s->symbol, iv, limit, end);
    }
    if (w < 0 || (size_t)w >= cap) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* Decimal string exactly at `scale` (money_parse rules). */
static bool
s_money(const json_t *v, int scale, int64_t *out)
{
    const char *t = json_string_value(v);
    return t && money_parse(t, strlen(t), scale, out) == 0;
}

/* Quote volume at MONEY_VALUE_SCALE: exact if it fits, else read finer and rounded once,
 * half-even (the feed's jtok_money_round). */
static bool
s_quote(const json_t *v, int64_t *out)
{
    const char *t = json_string_value(v);
    int64_t m;
    if (!t) {
        return false;
    }
    if (money_parse(t, strlen(t), MONEY_VALUE_SCALE, out) == 0) {
        return true;
    }
    int fine = MONEY_VALUE_SCALE + 8;
    return money_parse(t, strlen(t), fine, &m) == 0
           && money_rescale(m, fine, MONEY_VALUE_SCALE, MONEY_ROUND_HALF_EVEN, out) == 0;
}

/* An integer, or a string of digits (Bybit sends times as strings). */
static bool
s_ms(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return *out >= 0;
    }
    const char *t = json_string_value(v);
    int64_t m;
    if (!t || money_parse(t, strlen(t), 0, &m) != 0 || m < 0) {
        return false;
    }
    *out = m;
    return true;
}

/* One row -> kline. false if a field is bad. */
static bool
s_row(const klrest_series_t *s, const json_t *r, codec_md_kline_t *k)
{
    int64_t open_ms, close_ms = -1, n = 0;
    bool bybit = s->api == KLREST_BYBIT;
    memset(k, 0, sizeof *k);
    if (!json_is_array(r) || json_array_size(r) < (bybit ? 7u : 11u)
        || !s_ms(json_array_get(r, 0), &open_ms)
        || !s_money(json_array_get(r, 1), s->px_scale, &k->open)
        || !s_money(json_array_get(r, 2), s->px_scale, &k->high)
        || !s_money(json_array_get(r, 3), s->px_scale, &k->low)
        || !s_money(json_array_get(r, 4), s->px_scale, &k->close)
        || !s_money(json_array_get(r, 5), s->qty_scale, &k->volume)
        || !s_quote(json_array_get(r, bybit ? 6 : 7), &k->quote_volume)) {
        return false;
    }
    if (!bybit
        && (!s_ms(json_array_get(r, 6), &close_ms) || !s_ms(json_array_get(r, 8), &n)
            || !s_money(json_array_get(r, 9), s->qty_scale, &k->taker_buy_volume))) {
        return false;
    }
    int64_t tf_ms = (int64_t)s->tf_s * 1000;
    if (open_ms > INT64_MAX / S_NS_PER_MS - tf_ms || (!bybit && close_ms + 1 - open_ms != tf_ms)) {
        return false; /* Binance closeTime is the bar's last ms */
    }
    snprintf(k->venue, sizeof k->venue, "%s", s->venue);
    snprintf(k->symbol, sizeof k->symbol, "%s", s->symbol);
    k->px_scale = s->px_scale;
    k->qty_scale = s->qty_scale;
    k->interval_s = s->tf_s;
    k->start_ns = open_ms * S_NS_PER_MS;
    k->end_ns = (open_ms + tf_ms) * S_NS_PER_MS;
    k->ts_event = k->end_ns;
    k->trades = n;
    k->closed = true;
    return true;
}

int
klrest_parse(const klrest_series_t *s, const char *body, size_t len, int64_t now_ns,
             codec_md_kline_t *out, size_t cap, size_t *n, size_t *rows, int64_t *oldest_ms)
{
    json_error_t jerr;
    json_t *j = json_loadb(body, len, 0, &jerr);
    const json_t *list = j;
    bool bybit = s->api == KLREST_BYBIT;
    if (bybit) {
        const json_t *rc = json_object_get(j, "retCode");
        list = json_is_integer(rc) && json_integer_value(rc) == 0
                   ? json_object_get(json_object_get(j, "result"), "list")
                   : NULL;
    }
    if (!json_is_array(list)) {
        json_decref(j);
        errno = EPROTO;
        return -1;
    }
    size_t m = json_array_size(list), w = 0;
    int64_t prev = -1;
    int rc = 0;
    for (size_t x = 0; x < m; x++) {
        /* oldest first: Binance as sent, Bybit (newest first) from the end */
        const json_t *r = json_array_get(list, bybit ? m - 1 - x : x);
        codec_md_kline_t k;
        if (!s_row(s, r, &k) || k.start_ns <= prev) {
            errno = EPROTO;
            rc = -1;
            break;
        }
        prev = k.start_ns;
        if (k.end_ns > now_ns) {
            continue; /* the bar still open (the newest row of a live venue) */
        }
        if (w == cap) {
            errno = ENOSPC;
            rc = -1;
            break;
        }
        out[w++] = k;
    }
    if (rc == 0) {
        *n = w;
        *rows = m;
        *oldest_ms = -1;
        if (m > 0) {
            int64_t o;
            *oldest_ms =
                s_ms(json_array_get(json_array_get(list, bybit ? m - 1 : 0), 0), &o) ? o : -1;
        }
    }
    json_decref(j);
    return rc;
}

/* ---- config and fetching ----------------------------------------------------------------- */

typedef struct {
    const char *symbol;
    instr_t in;
    bool found;
} s_find_t;

static void
s_on_instr(const instr_t *in, void *arg)
{
    s_find_t *f = arg;
    if (strcmp(in->symbol, f->symbol) == 0) {
        f->in = *in;
        f->found = true;
    }
}

/* Binance: feed.instruments[] rules of (venue, symbol), as the feed loads them. */
static int
s_cfg_scales(cfg_t *cfg, klrest_series_t *s)
{
    int n = cfg_array_len(cfg, "feed.instruments");
    for (int i = 0; i < n; i++) {
        char key[96];
        const char *v[7];
        static const char *const k_f[] = { "venue", "category", "symbol",      "tick",
                                           "step",  "min_qty",  "min_notional" };
        for (int f = 0; f < 7; f++) {
            snprintf(key, sizeof key, "feed.instruments[%d].%s", i, k_f[f]);
            if (cfg_str(cfg, key, "", &v[f]) != 0) {
                v[f] = "";
            }
        }
        instr_t in;
        if (strcmp(v[0], s->venue) == 0 && strcmp(v[2], s->symbol) == 0
            && instr_from_strings(&in, v[0], v[1], v[2], v[3], v[4], v[5][0] ? v[5] : v[4],
                                  v[6][0] ? v[6] : NULL)
                   == 0) {
            s->px_scale = in.px_scale;
            s->qty_scale = in.qty_scale;
            return 0;
        }
    }
    errno = ENOENT;
    return -1;
}

/* Bybit: the instruments-info answer of the series' category, as the feed reads it. */
static int
s_bybit_scales(klrest_series_t *s, long timeout_ms)
{
    char url[512];
    size_t len;
    int w = snprintf(url, sizeof url, "%s/v5/market/instruments-info?category=%s", s->base,
                     s->category);
    if (w < 0 || (size_t)w >= sizeof url) {
        errno = EINVAL;
        return -1;
    }
    char *body = http_get_run(url, timeout_ms, s->run_id, &len);
    if (!body) {
        return -1; /* errno from http_get */
    }
    s_find_t f = { .symbol = s->symbol };
    int n = instr_parse_bybit(body, len, s->venue, s_on_instr, &f);
    free(body);
    if (n < 0 || !f.found) {
        errno = n < 0 ? EPROTO : ENOENT;
        return -1;
    }
    s->px_scale = f.in.px_scale;
    s->qty_scale = f.in.qty_scale;
    return 0;
}

int
klrest_series(cfg_t *cfg, const char *venue, const char *symbol, int tf_s, long timeout_ms,
              klrest_series_t *out)
{
    int n = cfg_array_len(cfg, "feed.connections");
    klrest_series_t s;
    memset(&s, 0, sizeof s);
    if (strlen(venue) >= sizeof s.venue || strlen(symbol) >= sizeof s.symbol) {
        errno = EINVAL;
        return -1;
    }
    snprintf(s.venue, sizeof s.venue, "%s", venue);
    snprintf(s.symbol, sizeof s.symbol, "%s", symbol);
    s.tf_s = tf_s;
    for (int i = 0; i < n; i++) {
        char key[96];
        const char *v, *proto, *rest, *cat;
        bool spot;
        snprintf(key, sizeof key, "feed.connections[%d].venue", i);
        if (cfg_str(cfg, key, "", &v) != 0 || strcmp(v, venue) != 0) {
            continue;
        }
        bool venue_spot = strstr(venue, "spot") != NULL; /* the feed's defaults (session.c) */
        snprintf(key, sizeof key, "feed.connections[%d].protocol", i);
        if (cfg_str(cfg, key, "", &proto) != 0) {
            proto = "";
        }
        snprintf(key, sizeof key, "feed.connections[%d].rest", i);
        if (cfg_str(cfg, key, "", &rest) != 0) {
            rest = "";
        }
        snprintf(key, sizeof key, "feed.connections[%d].spot", i);
        if (cfg_bool(cfg, key, venue_spot, &spot) != 0) {
            spot = venue_spot;
        }
        snprintf(key, sizeof key, "feed.connections[%d].category", i);
        if (cfg_str(cfg, key, venue_spot ? "spot" : "linear", &cat) != 0) {
            cat = "linear";
        }
        size_t rl = strlen(rest);
        if (rl == 0 || rl >= sizeof s.base || strlen(cat) >= sizeof s.category) {
            errno = EINVAL;
            return -1;
        }
        snprintf(s.base, sizeof s.base, "%.*s", (int)(rest[rl - 1] == '/' ? rl - 1 : rl), rest);
        snprintf(s.category, sizeof s.category, "%s", cat);
        if (strcmp(proto, "bybit") == 0) {
            s.api = KLREST_BYBIT;
        } else if (strcmp(proto, "binance") == 0) {
            s.api = spot ? KLREST_BINANCE_SPOT : KLREST_BINANCE_USDM;
        } else {
            errno = EINVAL;
            return -1;
        }
        char iv[16];
        if (klrest_interval(s.api, tf_s, iv, sizeof iv) != 0) {
            return -1;
        }
        int rc = s.api == KLREST_BYBIT ? s_bybit_scales(&s, timeout_ms) : s_cfg_scales(cfg, &s);
        if (rc != 0) {
            return -1;
        }
        *out = s;
        return 0;
    }
    errno = ENOENT;
    return -1;
}

int
klrest_fetch(const klrest_series_t *s, size_t n, long timeout_ms, int64_t now_ns,
             codec_md_kline_t **out, size_t *n_out)
{
    size_t page = (size_t)klrest_page_max(s->api);
    if (n == 0) {
        *out = NULL;
        *n_out = 0;
        return 0;
    }
    if (n > SIZE_MAX / sizeof(codec_md_kline_t) - page) {
        errno = ENOMEM;
        return -1;
    }
    /* pages come newest first: each one is written just before the previous one */
    size_t cap = n + page, have = 0;
    codec_md_kline_t *buf = calloc(cap, sizeof *buf), *tmp = calloc(page, sizeof *tmp);
    int64_t end_ms = -1;
    int rc = 0;
    if (!buf || !tmp) {
        errno = ENOMEM;
        rc = -1;
    }
    while (rc == 0 && have < n) {
        size_t want = n - have < page ? n - have : page, got, rows, len;
        int64_t oldest;
        char url[640];
        char *body = NULL;
        if (klrest_url(s, end_ms, (int)want, url, sizeof url) != 0
            || !(body = http_get_run(url, timeout_ms, s->run_id, &len))
            || klrest_parse(s, body, len, now_ns, tmp, page, &got, &rows, &oldest) != 0) {
            free(body);
            rc = -1;
            break;
        }
        free(body);
        if (have > 0 && got > 0 && tmp[got - 1].start_ns >= buf[cap - have].start_ns) {
            errno = EPROTO; /* the page is not older than the one after it */
            rc = -1;
            break;
        }
        memcpy(buf + cap - have - got, tmp, got * sizeof *tmp);
        have += got;
        if (rows < want || oldest <= 0) {
            break; /* the venue has nothing older */
        }
        end_ms = oldest - 1;
    }
    free(tmp);
    if (rc != 0) {
        free(buf);
        return -1;
    }
    if (have > n) {
        have = n; /* keep the newest n */
    }
    memmove(buf, buf + cap - have, have * sizeof *buf);
    if (have == 0) {
        free(buf);
        buf = NULL;
    }
    *out = buf;
    *n_out = have;
    return 0;
}
