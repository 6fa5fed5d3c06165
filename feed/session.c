/*  session.c - one feed connection end to end (see session.h).
 */
#include "feed/session.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/http.h"
#include "common/log.h"
#include "common/money.h"
#include "feed/binance.h"
#include "feed/bybit.h"
#include "feed/exinfo.h"

#define k_mod             "session"
#define k_max_topics      16
#define k_url_max         CONN_URL_MAX
#define k_rest_retry_ns   (1 * CLOCK_NS_PER_S)
#define k_bybit_spot_args 10 /* spot: at most 10 args per subscribe request (BYBIT_V5.md 1.2) */

typedef enum { S_BYBIT, S_BINANCE } s_proto_t;

struct session {
    size_t index;
    session_env_t env;
    md_refused_t refused; /* frames parsed / refused on this connection */
    char label[CODEC_ID_MAX];
    char venue[INSTR_VENUE_MAX];
    char category[INSTR_VENUE_MAX];
    char rest[512];
    s_proto_t proto;
    bool spot;
    int depth;
    char symbols[SESSION_MAX_SYMBOLS][INSTR_SYM_MAX];
    size_t n_symbols;
    char topics[k_max_topics][32]; /* bybit topics, binance streams */
    size_t n_topics;
    conn_t *conn;
    bybit_t *bybit;
    binance_t *binance;
    md_sink_t sink;
    bool instr_loaded;
    int sub_requests, sub_acks;
    int64_t rest_next_ns; /* mono: next REST attempt allowed */
    log_limit_t pub_lim;
    int64_t stale_ns; /* 0 = no stale status */
    bool stale, was_up;
    bool offline; /* session_open_offline: no WebSocket, frames handed over in-process */
    /* clock skew: receive time - exchange event time, ns, over every md event */
    md_skew_t skew;
};

/* ---- publishing (the parser's sink) -------------------------------------------------------- */

static void
s_publish(session_t *s, const char *topic, codec_type_t type, const void *body, int64_t evt,
          int64_t origin)
{
    int rc = s->env.publish ? s->env.publish(s->env.io_arg, topic, type, body, evt, origin)
                            : bus_publish(s->env.pub, topic, type, body, evt, origin);
    if (rc != 0) {
        log_limited(&s->pub_lim, LOG_WARN, k_mod, "cannot publish", topic, strlen(topic));
    }
}

/* Hand over what the publisher has batched for this service pass (bus_pub_cork) before a
 * blocking REST call, and keep batching after it. */
static void
s_flush(session_t *s)
{
    if (s->env.pub && bus_pub_corked(s->env.pub)) {
        (void)bus_pub_flush(s->env.pub);
        bus_pub_cork(s->env.pub);
    }
}

static void s_status(session_t *s, const char *symbol, const char *state, const char *reason,
                     int64_t evt, int64_t origin);

/* One skew sample (receive - event time). A crossing of the bound warns once and publishes
 * md.status "skew"; back under half the bound, "connected". */
static void
s_skew(session_t *s, int64_t evt, int64_t origin)
{
    if (s->env.skew_warn_ns <= 0) {
        return; /* replay: receive times are not the venue's */
    }
    int crossing = md_skew_add(&s->skew, evt, origin, s->env.skew_warn_ns);
    int64_t k = s->skew.last;
    if (crossing > 0) {
        s->env.stats->skew_warn++;
        char why[96];
        snprintf(why, sizeof why, "clock skew %lld ms (receive - exchange time), bound %lld ms",
                 (long long)(k / CLOCK_NS_PER_MS),
                 (long long)(s->env.skew_warn_ns / CLOCK_NS_PER_MS));
        log_warn(k_mod, "%s: %s", s->label, why);
        s_status(s, "", "skew", why, evt, origin);
    } else if (crossing < 0) {
        log_notice(k_mod, "%s: clock skew back to %lld ms", s->label,
                   (long long)(k / CLOCK_NS_PER_MS));
        s_status(s, "", "connected", "clock skew back under the bound", evt, origin);
    }
}

static void
s_on_book(const codec_md_book_t *b, int64_t origin, void *arg)
{
    session_t *s = arg;
    s_skew(s, b->ts_event, origin);
    char topic[BUS_TOPIC_MAX];
    (void)md_topic(topic, sizeof topic, "md.book", b->venue, b->symbol, NULL);
    s_publish(s, topic, CODEC_MD_BOOK, b, b->ts_event, origin);
}

static void
s_on_trade(const codec_md_trade_t *t, int64_t origin, void *arg)
{
    session_t *s = arg;
    s_skew(s, t->ts_event, origin);
    char topic[BUS_TOPIC_MAX];
    (void)md_topic(topic, sizeof topic, "md.trade", t->venue, t->symbol, NULL);
    s_publish(s, topic, CODEC_MD_TRADE, t, t->ts_event, origin);
}

static void
s_on_ticker(const codec_md_ticker_t *t, int64_t origin, void *arg)
{
    session_t *s = arg;
    s_skew(s, t->ts_event, origin);
    char topic[BUS_TOPIC_MAX];
    (void)md_topic(topic, sizeof topic, "md.ticker", t->venue, t->symbol, NULL);
    s_publish(s, topic, CODEC_MD_TICKER, t, t->ts_event, origin);
}

static void
s_on_kline(const codec_md_kline_t *k, const char *interval, int64_t origin, void *arg)
{
    session_t *s = arg;
    char topic[BUS_TOPIC_MAX];
    (void)md_topic(topic, sizeof topic, "md.kline", interval, k->venue, k->symbol);
    s_publish(s, topic, CODEC_MD_KLINE, k, k->ts_event, origin);
}

static void
s_status(session_t *s, const char *symbol, const char *state, const char *reason, int64_t evt,
         int64_t origin)
{
    codec_md_status_t st;
    memset(&st, 0, sizeof st);
    md_strlcpy(st.venue, s->venue, sizeof st.venue);
    md_strlcpy(st.symbol, symbol, sizeof st.symbol);
    md_strlcpy(st.state, state, sizeof st.state);
    md_strlcpy(st.reason, reason, sizeof st.reason);
    st.ts_event = evt;
    char topic[BUS_TOPIC_MAX];
    snprintf(topic, sizeof topic, "md.status.%s", s->venue);
    s_publish(s, topic, CODEC_MD_STATUS, &st, evt, origin);
}

static void s_subscribe(session_t *s, const char *const *args, size_t n, const char *op);

static void
s_on_status(const codec_md_status_t *st, int64_t origin, void *arg)
{
    session_t *s = arg;
    char topic[BUS_TOPIC_MAX];
    snprintf(topic, sizeof topic, "md.status.%s", st->venue);
    s_publish(s, topic, CODEC_MD_STATUS, st, st->ts_event, origin);
    if (s->proto == S_BYBIT && strcmp(st->state, "resync") == 0) {
        /* a fresh snapshot comes after re-subscribing (BYBIT_V5.md 1.5 rule 5) */
        char t[64];
        snprintf(t, sizeof t, "orderbook.%d.%s", s->depth, st->symbol);
        const char *args[1] = { t };
        s_subscribe(s, args, 1, "unsubscribe");
        s_subscribe(s, args, 1, "subscribe");
    }
    /* binance: binance_want_snapshot() now names the symbol; the tick fetches it */
}

static void
s_on_control(const char *op, bool ok, void *arg)
{
    session_t *s = arg;
    if (ok && strcmp(op, "subscribe") == 0) {
        s->sub_acks++;
    } else if (!ok && strcmp(op, "subscribe") == 0) {
        /* refused: start over (reconnect after the backoff, subscribe everything again) */
        conn_drop(s->conn, "subscribe refused");
    }
}

/* ---- venue actions ------------------------------------------------------------------------ */

static void
s_subscribe(session_t *s, const char *const *args, size_t n, const char *op)
{
    size_t per = s->spot ? k_bybit_spot_args : n;
    for (size_t i = 0; i < n; i += per) {
        char msg[4096];
        int len = snprintf(msg, sizeof msg, "{\"op\":\"%s\",\"args\":[", op);
        for (size_t k = i; k < n && k < i + per && len > 0 && (size_t)len < sizeof msg; k++) {
            len += snprintf(msg + len, sizeof msg - (size_t)len, "%s\"%s\"", k > i ? "," : "",
                            args[k]);
        }
        if (len > 0 && (size_t)len < sizeof msg) {
            len += snprintf(msg + len, sizeof msg - (size_t)len, "]}");
        }
        if (len <= 0 || (size_t)len >= sizeof msg) {
            log_error(k_mod, "%s: %s request too long", s->label, op);
            return;
        }
        if (conn_send(s->conn, msg, (size_t)len) != 0) {
            log_warn(k_mod, "%s: cannot send %s: %s", s->label, op, strerror(errno));
            return;
        }
        if (strcmp(op, "subscribe") == 0) {
            s->sub_requests++;
        }
    }
}

static void
s_bybit_subscribe_all(session_t *s)
{
    static char buf[SESSION_MAX_SYMBOLS * k_max_topics][64];
    const char *args[SESSION_MAX_SYMBOLS * k_max_topics];
    size_t n = session_subscriptions(s, buf, SESSION_MAX_SYMBOLS * k_max_topics);
    for (size_t i = 0; i < n; i++) {
        args[i] = buf[i];
    }
    s->sub_requests = 0;
    s->sub_acks = 0;
    s_subscribe(s, args, n, "subscribe");
}

typedef struct {
    session_t *s;
    int kept;
} s_put_ctx_t;

static void
s_put_instr(const instr_t *in, void *arg)
{
    s_put_ctx_t *p = arg;
    for (size_t y = 0; y < p->s->n_symbols; y++) {
        if (strcmp(in->symbol, p->s->symbols[y]) == 0) {
            if (instr_table_put(p->s->env.instrs, in) == 0) {
                p->kept++;
            } else {
                log_error(k_mod, "%s: cannot keep rules of %s: %s", p->s->label, in->symbol,
                          strerror(errno));
            }
        }
    }
}

/* A REST GET: env.rest_get when set (in-process), else http_get. */
static char *
s_get(session_t *s, const char *url, size_t *len)
{
    return s->env.rest_get ? s->env.rest_get(s->env.io_arg, url, s->env.rest_timeout_ms, len)
                           : http_get(url, s->env.rest_timeout_ms, len);
}

/* Bybit instruments-info (blocking; only at connect). 0 or -1. */
static int
s_bybit_instruments(session_t *s)
{
    char url[k_url_max];
    snprintf(url, sizeof url, "%s/v5/market/instruments-info?category=%s", s->rest, s->category);
    size_t len;
    s_flush(s); /* a blocking call: what is batched goes out first */
    char *body = s_get(s, url, &len);
    if (!body) {
        return -1;
    }
    s_put_ctx_t p = { s, 0 };
    int n = instr_parse_bybit(body, len, s->venue, s_put_instr, &p);
    free(body);
    if (n < 0) {
        log_warn(k_mod, "%s: bad instruments-info body from %s", s->label, url);
        return -1;
    }
    log_notice(k_mod, "%s: %d instruments listed, rules kept for %d of %zu symbols", s->label, n,
               p.kept, s->n_symbols);
    for (size_t y = 0; y < s->n_symbols; y++) {
        if (!instr_table_get(s->env.instrs, s->venue, s->symbols[y])) {
            log_warn(k_mod, "%s: no instrument rules for %s: its frames will be skipped", s->label,
                     s->symbols[y]);
        }
    }
    s->instr_loaded = true;
    return 0;
}

/* Binance depth snapshots for every symbol that wants one (blocking). */
static void
s_binance_snapshots(session_t *s)
{
    const char *sym;
    int guard = 0;
    while ((sym = binance_want_snapshot(s->binance)) != NULL && guard++ < SESSION_MAX_SYMBOLS) {
        char url[k_url_max];
        snprintf(url, sizeof url, "%s%s?symbol=%s&limit=1000", s->rest,
                 s->spot ? "/api/v3/depth" : "/fapi/v1/depth", sym);
        size_t len;
        s_flush(s);
        char *body = s_get(s, url, &len);
        if (!body) {
            s->rest_next_ns = clock_mono_ns() + k_rest_retry_ns;
            return;
        }
        char symbol[INSTR_SYM_MAX];
        md_strlcpy(symbol, sym, sizeof symbol); /* sym may move during the call */
        if (binance_snapshot(s->binance, symbol, body, len, clock_wall_ns()) != 0) {
            log_warn(k_mod, "%s: snapshot of %s not usable (%s): retry", s->label, symbol,
                     strerror(errno));
            free(body);
            s->rest_next_ns = clock_mono_ns() + k_rest_retry_ns;
            return;
        }
        free(body);
    }
}

/* ---- conn handler ------------------------------------------------------------------------- */

static void
s_on_open(conn_t *c, void *arg)
{
    session_t *s = arg;
    (void)c;
    s->stale = false;
    if (s->proto == S_BYBIT) {
        if (!s->instr_loaded && s_bybit_instruments(s) != 0) {
            conn_drop(s->conn, "instruments-info unavailable");
            return;
        }
        s_bybit_subscribe_all(s);
    } else {
        s_binance_snapshots(s);
    }
    if (!s->env.replay) {
        session_announce(s, clock_wall_ns());
    }
    if (s->was_up) {
        /* books were dropped at the close: each one waits for its snapshot (Bybit: sent after
         * the subscribe; Binance: the REST sync above or on the next tick) */
        int64_t now = clock_wall_ns();
        for (size_t y = 0; y < s->n_symbols; y++) {
            s_status(s, s->symbols[y], "resync",
                     s->proto == S_BYBIT ? "reconnected: waiting for the snapshot"
                                         : "reconnected: waiting for the REST depth sync",
                     now, now);
        }
    }
    s->was_up = true;
}

static void
s_on_frame(conn_t *c, const char *text, size_t len, int64_t recv_ns, void *arg)
{
    session_t *s = arg;
    (void)c;
    if (s->stale) {
        s->stale = false;
        s_status(s, "", "connected", "frames again after stale", recv_ns, recv_ns);
    }
    if (s->env.hook) {
        s->env.hook(s, s->index, text, len, recv_ns, s->env.hook_arg);
    } else {
        session_frame(s, text, len, recv_ns);
    }
}

static void
s_on_close(conn_t *c, const char *reason, void *arg)
{
    session_t *s = arg;
    (void)c;
    if (s->bybit) {
        bybit_reset(s->bybit);
    }
    if (s->binance) {
        binance_reset(s->binance);
    }
    s->sub_requests = 0;
    s->sub_acks = 0;
    int64_t now = clock_wall_ns();
    s_status(s, "", "disconnected", reason, now, now);
}

static void
s_on_tick(conn_t *c, void *arg)
{
    session_t *s = arg;
    int64_t idle = conn_idle_ns(c);
    if (s->stale_ns > 0 && !s->stale && idle > s->stale_ns) {
        s->stale = true;
        s->env.stats->stale++;
        char why[64];
        snprintf(why, sizeof why, "no frame for %lld ms", (long long)(idle / CLOCK_NS_PER_MS));
        int64_t now = clock_wall_ns();
        s_status(s, "", "stale", why, now, now);
    }
    if (s->binance && conn_up(c) && binance_want_snapshot(s->binance)
        && clock_mono_ns() >= s->rest_next_ns) {
        s_binance_snapshots(s);
    }
}

/* ---- config ------------------------------------------------------------------------------- */

static int
s_str_array(cfg_t *cfg, const char *path, char (*out)[32], size_t cap, size_t *n,
            const char *const *dflt)
{
    int len = cfg_array_len(cfg, path);
    if (len < 0) {
        return -1;
    }
    *n = 0;
    if (len == 0 && dflt) {
        for (size_t i = 0; i < cap && dflt[i]; i++) {
            md_strlcpy(out[(*n)++], dflt[i], 32);
        }
        return 0;
    }
    if ((size_t)len > cap) {
        return cfg_fail(cfg, path, "at most %zu entries, got %d", cap, len);
    }
    for (int i = 0; i < len; i++) {
        char p[160];
        const char *v;
        snprintf(p, sizeof p, "%s[%d]", path, i);
        if (cfg_str(cfg, p, NULL, &v) != 0) {
            return -1;
        }
        if (strlen(v) == 0 || strlen(v) >= 32) {
            return cfg_fail(cfg, p, "expected a non-empty string shorter than 32, got \"%s\"", v);
        }
        md_strlcpy(out[(*n)++], v, 32);
    }
    return 0;
}

static int
s_config(session_t *s, cfg_t *cfg, size_t index, char *url, size_t url_cap, int *ping_s)
{
    static const char *const known[] = { "label",     "venue",    "protocol",      "url",
                                         "rest",      "symbols",  "depth",         "topics",
                                         "streams",   "ping_s",   "category",      "spot",
                                         "silent_ms", "stale_ms", "exchange_info", "instance",
                                         NULL };
    static const char *const bybit_topics[] = { "orderbook", "publicTrade", "tickers", NULL };
    static const char *const binance_streams[] = { "depth@0ms", "trade", NULL };
    char base[64], p[128];
    const char *label, *venue, *proto, *rest, *cat;
    snprintf(base, sizeof base, "feed.connections[%zu]", index);
#define S_KEY(k) (snprintf(p, sizeof p, "%s.%s", base, (k)), p)
    if (cfg_check_keys(cfg, base, known) != 0 || cfg_str(cfg, S_KEY("label"), NULL, &label) != 0
        || cfg_str(cfg, S_KEY("venue"), NULL, &venue) != 0
        || cfg_str(cfg, S_KEY("protocol"), NULL, &proto) != 0
        || cfg_path_str(cfg, S_KEY("url"), NULL, url, url_cap) != 0
        || cfg_str(cfg, S_KEY("rest"), NULL, &rest) != 0) {
        return -1;
    }
    if (strlen(label) == 0 || strlen(label) >= sizeof s->label) {
        return cfg_fail(cfg, S_KEY("label"), "expected 1..%zu characters", sizeof s->label - 1);
    }
    if (strlen(venue) == 0 || strlen(venue) >= sizeof s->venue) {
        return cfg_fail(cfg, S_KEY("venue"), "expected 1..%zu characters", sizeof s->venue - 1);
    }
    if (strlen(rest) >= sizeof s->rest) {
        return cfg_fail(cfg, S_KEY("rest"), "too long");
    }
    md_strlcpy(s->label, label, sizeof s->label);
    md_strlcpy(s->venue, venue, sizeof s->venue);
    md_strlcpy(s->rest, rest, sizeof s->rest);
    size_t rl = strlen(s->rest);
    if (rl > 0 && s->rest[rl - 1] == '/') {
        s->rest[rl - 1] = '\0';
    }
    bool venue_spot = strstr(venue, "spot") != NULL;
    if (strcmp(proto, "bybit") == 0) {
        s->proto = S_BYBIT;
    } else if (strcmp(proto, "binance") == 0) {
        s->proto = S_BINANCE;
    } else {
        return cfg_fail(cfg, S_KEY("protocol"), "expected \"bybit\" or \"binance\", got \"%s\"",
                        proto);
    }
    if (cfg_bool(cfg, S_KEY("spot"), venue_spot, &s->spot) != 0
        || cfg_str(cfg, S_KEY("category"), venue_spot ? "spot" : "linear", &cat) != 0) {
        return -1;
    }
    md_strlcpy(s->category, cat, sizeof s->category);
    int64_t v;
    if (cfg_int(cfg, S_KEY("depth"), 50, 1, BOOK_MAX_DEPTH, false, &v) != 0) {
        return -1;
    }
    /* Bybit v5 orderbook depths (BYBIT_V5.md 1.5): 1, 50, 200, 1000 today; 500 for the
     * archived 2024 slices. A Binance depth stream takes the REST snapshot's depth. */
    if (s->proto == S_BYBIT && v != 1 && v != 50 && v != 200 && v != 500 && v != 1000) {
        return cfg_fail(cfg, S_KEY("depth"), "expected one of 1, 50, 200, 500, 1000, got %lld",
                        (long long)v);
    }
    s->depth = (int)v;
    if (cfg_int(cfg, S_KEY("ping_s"), s->proto == S_BYBIT ? 20 : 0, 0, 600, false, &v) != 0) {
        return -1;
    }
    *ping_s = (int)v;
    if (cfg_int(cfg, S_KEY("stale_ms"), s->env.replay ? 0 : 10000, 0, 3600000, false, &v) != 0) {
        return -1;
    }
    s->stale_ns = v * CLOCK_NS_PER_MS;
    char syms[SESSION_MAX_SYMBOLS][32];
    if (s_str_array(cfg, S_KEY("symbols"), syms, SESSION_MAX_SYMBOLS, &s->n_symbols, NULL) != 0) {
        return -1;
    }
    if (s->n_symbols == 0) {
        return cfg_fail(cfg, S_KEY("symbols"), "expected at least one symbol");
    }
    for (size_t i = 0; i < s->n_symbols; i++) {
        if (strlen(syms[i]) >= INSTR_SYM_MAX) {
            return cfg_fail(cfg, S_KEY("symbols"), "symbol \"%s\" too long", syms[i]);
        }
        md_strlcpy(s->symbols[i], syms[i], INSTR_SYM_MAX);
    }
    if (s->proto == S_BYBIT) {
        return s_str_array(cfg, S_KEY("topics"), s->topics, k_max_topics, &s->n_topics,
                           bybit_topics);
    }
    return s_str_array(cfg, S_KEY("streams"), s->topics, k_max_topics, &s->n_topics,
                       binance_streams);
#undef S_KEY
}

static void
s_put_exinfo(const instr_t *in, void *arg)
{
    s_put_ctx_t *p = arg;
    s_put_instr(in, p);
}

/* Binance rules from a bundled exchangeInfo body (connections[i].exchange_info, optional):
 * the rules of our symbols go into the shared table (replacing feed.instruments' ones). */
static int
s_exchange_info(session_t *s, cfg_t *cfg, size_t index)
{
    char key[80];
    const char *path;
    snprintf(key, sizeof key, "feed.connections[%zu].exchange_info", index);
    if (cfg_str(cfg, key, "", &path) != 0) {
        return -1;
    }
    if (!path[0]) {
        return 0;
    }
    size_t len;
    char *body = exinfo_read(path, &len);
    if (!body) {
        return cfg_fail(cfg, key, "cannot read %s: %s", path, strerror(errno));
    }
    s_put_ctx_t p = { s, 0 };
    int n = exinfo_parse_binance(body, len, s->venue, s->spot ? "spot" : "usdm", s_put_exinfo, &p);
    free(body);
    if (n < 0) {
        return cfg_fail(cfg, key, "%s is not a Binance exchangeInfo body", path);
    }
    log_notice(k_mod, "%s: %d instruments in %s, rules kept for %d of %zu symbols", s->label, n,
               path, p.kept, s->n_symbols);
    return 0;
}

/* Full URL: binance stream list, then replay_conn=<label> when replaying. */
static int
s_url(const session_t *s, const char *base, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%s", base);
    if (s->proto == S_BINANCE) {
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0,
                              "%sstreams=", strchr(base, '?') ? "&" : "?");
        for (size_t y = 0; y < s->n_symbols; y++) {
            char lower[INSTR_SYM_MAX];
            size_t k;
            for (k = 0; s->symbols[y][k] && k + 1 < sizeof lower; k++) {
                lower[k] = (char)tolower((unsigned char)s->symbols[y][k]);
            }
            lower[k] = '\0';
            for (size_t t = 0; t < s->n_topics; t++) {
                n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s@%s",
                                      (y == 0 && t == 0) ? "" : "/", lower, s->topics[t]);
            }
        }
    }
    if (s->env.replay) {
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%sreplay_conn=%s",
                              strchr(out, '?') ? "&" : "?", s->label);
    }
    return n < cap ? 0 : -1;
}

int
session_config_check(cfg_t *cfg, size_t index, bool replay, instr_table_t *instrs,
                     session_info_t *info)
{
    assert(cfg && instrs);
    session_t *s = calloc(1, sizeof *s);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    s->index = index;
    s->env.replay = replay;
    s->env.instrs = instrs;
    char base_url[k_url_max], url[k_url_max], p[80];
    int ping_s = 0, rc = -1;
    int64_t silent_ms;
    if (s_config(s, cfg, index, base_url, sizeof base_url, &ping_s) != 0) {
        goto done;
    }
    if (s_url(s, base_url, url, sizeof url) != 0) {
        snprintf(p, sizeof p, "feed.connections[%zu].url", index);
        (void)cfg_fail(cfg, p, "url with its stream list is longer than %d", k_url_max - 1);
        goto done;
    }
    if (s->proto == S_BINANCE) {
        if (s_exchange_info(s, cfg, index) != 0) {
            goto done;
        }
        for (size_t y = 0; y < s->n_symbols; y++) {
            if (!instr_table_get(instrs, s->venue, s->symbols[y])) {
                snprintf(p, sizeof p, "feed.connections[%zu].symbols", index);
                (void)cfg_fail(cfg, p, "no rules for %s %s in feed.instruments", s->venue,
                               s->symbols[y]);
                goto done;
            }
        }
    }
    snprintf(p, sizeof p, "feed.connections[%zu].silent_ms", index);
    if (cfg_int(cfg, p, replay ? 0 : 60000, 0, 3600000, false, &silent_ms) != 0) {
        goto done;
    }
    if (info) {
        memset(info, 0, sizeof *info);
        md_strlcpy(info->label, s->label, sizeof info->label);
        md_strlcpy(info->venue, s->venue, sizeof info->venue);
        md_strlcpy(info->category, s->category, sizeof info->category);
        info->bybit = s->proto == S_BYBIT;
        info->spot = s->spot;
        info->n_symbols = s->n_symbols;
        for (size_t y = 0; y < s->n_symbols; y++) {
            md_strlcpy(info->symbols[y], s->symbols[y], sizeof info->symbols[y]);
        }
    }
    rc = 0;
done:
    free(s);
    if (rc != 0) {
        errno = EINVAL;
    }
    return rc;
}

/* ---- public ------------------------------------------------------------------------------- */

session_t *
session_new(cfg_t *cfg, size_t index, const session_env_t *env, conn_ctx_t *ctx)
{
    assert(cfg && env && ctx);
    session_t *s = calloc(1, sizeof *s);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    s->index = index;
    s->env = *env;
    char base_url[k_url_max], url[k_url_max];
    int ping_s = 0;
    if (s_config(s, cfg, index, base_url, sizeof base_url, &ping_s) != 0) {
        goto fail_cfg;
    }
    if (s_url(s, base_url, url, sizeof url) != 0) {
        char p[64];
        snprintf(p, sizeof p, "feed.connections[%zu].url", index);
        (void)cfg_fail(cfg, p, "url with its stream list is longer than %d", k_url_max - 1);
        goto fail_cfg;
    }
    s->sink = (md_sink_t){ .book = s_on_book,
                           .trade = s_on_trade,
                           .ticker = s_on_ticker,
                           .kline = s_on_kline,
                           .status = s_on_status,
                           .control = s_on_control,
                           .arg = s };
    if (s->proto == S_BYBIT) {
        s->bybit =
            bybit_new(s->venue, env->instrs, (size_t)s->depth, env->levels, env->stats, &s->sink);
        if (!s->bybit) {
            goto fail;
        }
    } else {
        /* 1000: the REST snapshot's depth; diffs are applied to all of it */
        s->binance = binance_new(s->venue, s->spot, env->instrs, BOOK_MAX_DEPTH, env->levels,
                                 env->stats, &s->sink);
        if (!s->binance) {
            goto fail;
        }
        s->instr_loaded = true; /* from config feed.instruments (main.c) or exchange_info */
        if (s_exchange_info(s, cfg, index) != 0) {
            goto fail_cfg;
        }
        for (size_t y = 0; y < s->n_symbols; y++) {
            bool depth = false;
            for (size_t t = 0; t < s->n_topics; t++) {
                depth = depth || strncmp(s->topics[t], "depth", 5) == 0;
            }
            if (binance_add_symbol(s->binance, s->symbols[y], depth) != 0) {
                char p[64];
                snprintf(p, sizeof p, "feed.connections[%zu].symbols", index);
                (void)cfg_fail(cfg, p, "no rules for %s %s in feed.instruments", s->venue,
                               s->symbols[y]);
                goto fail_cfg;
            }
        }
    }
    const conn_handler_t h = {
        .open = s_on_open, .frame = s_on_frame, .close = s_on_close, .tick = s_on_tick, .arg = s
    };
    s->conn = conn_new(ctx, s->label, url, ping_s, ping_s > 0 ? "{\"op\":\"ping\"}" : NULL, &h);
    if (!s->conn) {
        goto fail;
    }
    {
        char p[80];
        int64_t silent_ms;
        snprintf(p, sizeof p, "feed.connections[%zu].silent_ms", index);
        if (cfg_int(cfg, p, env->replay ? 0 : 60000, 0, 3600000, false, &silent_ms) != 0) {
            goto fail_cfg;
        }
        conn_set_silent(s->conn, silent_ms);
    }
    log_info(k_mod, "%s: %s %s, %zu symbols, url %s", s->label,
             s->proto == S_BYBIT ? "bybit" : "binance", s->venue, s->n_symbols, url);
    return s;
fail_cfg:
    session_destroy(&s);
    errno = EINVAL;
    return NULL;
fail:
    session_destroy(&s);
    errno = ENOMEM;
    return NULL;
}

void
session_destroy(session_t **self_p)
{
    assert(self_p);
    session_t *s = *self_p;
    if (!s) {
        return;
    }
    conn_destroy(&s->conn);
    bybit_destroy(&s->bybit);
    binance_destroy(&s->binance);
    free(s);
    *self_p = NULL;
}

void
session_start(session_t *self)
{
    assert(self);
    conn_start(self->conn);
}

void
session_frame(session_t *self, const char *text, size_t len, int64_t recv_ns)
{
    assert(self);
    /* errors are counted (bad_json, bad_field: shared by every connection of the feed) and
     * logged by the parsers; their growth across this call is this connection's refusal */
    const md_stats_t *st = self->env.stats;
    int64_t before = st->bad_json + st->bad_field;
    if (self->bybit) {
        (void)bybit_parse(self->bybit, text, len, recv_ns);
    } else {
        (void)binance_parse(self->binance, text, len, recv_ns);
    }
    bool refused = st->bad_json + st->bad_field > before;
    if (md_refused_add(&self->refused, refused, self->env.refused_max_bp,
                       self->env.refused_min_frames)
            == 1
        && self->env.on_refused) {
        self->env.on_refused(self, self->env.refused_arg);
    }
}

int
session_kline(session_t *self, const binance_kline_t *k, int64_t recv_ns)
{
    assert(self && k);
    if (!self->binance) {
        errno = ENOTSUP;
        return -1;
    }
    if (binance_kline(self->binance, k, recv_ns) != 0) {
        return -1;
    }
    if (md_refused_add(&self->refused, false, self->env.refused_max_bp,
                       self->env.refused_min_frames)
            == 1
        && self->env.on_refused) {
        self->env.on_refused(self, self->env.refused_arg);
    }
    return 0;
}

const md_refused_t *
session_refused(const session_t *self)
{
    assert(self);
    return &self->refused;
}

size_t
session_subscriptions(const session_t *self, char (*out)[64], size_t cap)
{
    assert(self);
    size_t n = 0;
    for (size_t t = 0; t < self->n_topics; t++) {
        for (size_t y = 0; y < self->n_symbols; y++, n++) {
            if (n >= cap) {
                continue;
            }
            if (self->proto == S_BINANCE) {
                size_t k;
                for (k = 0; self->symbols[y][k] && k + 1 < INSTR_SYM_MAX; k++) {
                    out[n][k] = (char)tolower((unsigned char)self->symbols[y][k]);
                }
                out[n][k] = '\0';
                snprintf(out[n] + k, 64 - k, "@%s", self->topics[t]);
            } else if (strcmp(self->topics[t], "orderbook") == 0) {
                snprintf(out[n], 64, "orderbook.%d.%s", self->depth, self->symbols[y]);
            } else {
                snprintf(out[n], 64, "%s.%s", self->topics[t], self->symbols[y]);
            }
        }
    }
    return n;
}

const char *
session_url(const session_t *self)
{
    assert(self);
    return conn_url(self->conn);
}

int
session_open_offline(session_t *self)
{
    assert(self);
    self->offline = true;
    if (self->proto == S_BYBIT) {
        if (!self->instr_loaded && s_bybit_instruments(self) != 0) {
            return -1;
        }
        self->sub_requests = 1; /* nothing to ask: the caller hands over the subscribed frames */
        self->sub_acks = 1;
    } else {
        s_binance_snapshots(self);
        if (binance_want_snapshot(self->binance)) {
            errno = EAGAIN;
            return -1;
        }
    }
    self->was_up = true;
    return 0;
}

bool
session_ready(const session_t *self)
{
    assert(self);
    if ((!self->offline && !conn_up(self->conn)) || !self->instr_loaded) {
        return false;
    }
    if (self->bybit) {
        return self->sub_requests > 0 && self->sub_acks >= self->sub_requests;
    }
    return binance_ready(self->binance);
}

void
session_announce(session_t *self, int64_t evt_ns)
{
    assert(self);
    session_announce_instruments(self, evt_ns);
    s_status(self, "", "connected", conn_url(self->conn), evt_ns, 0);
}

void
session_announce_instruments(session_t *self, int64_t evt_ns)
{
    assert(self);
    for (size_t y = 0; y < self->n_symbols; y++) {
        const instr_t *in = instr_table_get(self->env.instrs, self->venue, self->symbols[y]);
        if (!in) {
            continue;
        }
        codec_md_instrument_t m;
        memset(&m, 0, sizeof m);
        md_strlcpy(m.venue, self->venue, sizeof m.venue);
        md_strlcpy(m.category, in->category, sizeof m.category);
        md_strlcpy(m.symbol, in->symbol, sizeof m.symbol);
        m.px_scale = in->px_scale;
        m.qty_scale = in->qty_scale;
        m.tick = in->tick;
        m.step = in->step;
        m.min_qty = in->min_qty;
        m.min_notional = in->min_notional;
        char topic[BUS_TOPIC_MAX];
        (void)md_topic(topic, sizeof topic, "md.instrument", self->venue, in->symbol, NULL);
        s_publish(self, topic, CODEC_MD_INSTRUMENT, &m, evt_ns, 0);
    }
}

const char *
session_label(const session_t *self)
{
    assert(self);
    return self->label;
}

const char *
session_venue(const session_t *self)
{
    assert(self);
    return self->venue;
}

int64_t
session_silent_drops(const session_t *self)
{
    assert(self);
    return conn_silent_drops(self->conn);
}

void
session_health(const session_t *self, json_t *out)
{
    assert(self && out);
    int64_t idle = conn_idle_ns(self->conn);
    (void)json_object_set_new(out, "up", json_boolean(conn_up(self->conn)));
    (void)json_object_set_new(out, "stale", json_boolean(self->stale));
    (void)json_object_set_new(out, "idle_ms",
                              json_integer(idle < 0 ? -1 : (json_int_t)(idle / CLOCK_NS_PER_MS)));
    (void)json_object_set_new(out, "silent_drops",
                              json_integer((json_int_t)conn_silent_drops(self->conn)));
    char pct[32] = "0.00";
    (void)money_fmt(md_refused_bp(&self->refused), 2, pct, sizeof pct); /* cap 32: fits */
    (void)json_object_set_new(out, "frames", json_integer((json_int_t)self->refused.frames));
    (void)json_object_set_new(out, "refused", json_integer((json_int_t)self->refused.refused));
    (void)json_object_set_new(out, "refused_pct", json_string(pct));
    (void)json_object_set_new(out, "refused_over_bound", json_boolean(self->refused.over));
    const md_skew_t *sk = &self->skew;
    if (sk->n > 0) {
        json_t *k = json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:b}", "last", (json_int_t)(sk->last / CLOCK_NS_PER_MS),
            "min", (json_int_t)(sk->min / CLOCK_NS_PER_MS), "max",
            (json_int_t)(sk->max / CLOCK_NS_PER_MS), "mean", (json_int_t)(sk->sum_ms / sk->n), "n",
            (json_int_t)sk->n, "over_bound", sk->over);
        if (k) {
            (void)json_object_set_new(out, "skew_ms", k);
        }
    }
}

int64_t
session_reconnects(const session_t *self)
{
    assert(self);
    return conn_reconnects(self->conn);
}
