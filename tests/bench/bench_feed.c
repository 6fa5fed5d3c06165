/*  bench_feed.c - feed/ hot path on the recorded Bybit linear frames (data/bybit_v5, 2,546
 *  frames, PROVENANCE.md 1) held in memory:
 *    1. frames/s over the whole file and ns/frame p50/p99 per kind (orderbook, publicTrade,
 *       tickers, kline) for parse (jsmn) + book apply + md.* publish (codec encode + a zmq PUB
 *       over ipc with a connected SUB, drained between passes), as session.c does it: corked
 *       per service pass (a backlog goes to libzmq in batches, bus_pub_cork), and "alone":
 *       one frame per pass, which pays a wake-up of libzmq's I/O thread per frame;
 *    2. the baseline measured in the same run: raw jsmn tokenize of the same frames (no
 *       lookups, no book, no publish), and the ratio;
 *    3. publish-to-subscriber latency over ipc (bus_publish -> bus_sub_recv of one md.book,
 *       same process, one thread) p50/p99, next to a raw libzmq PUB/SUB hop of the same bytes.
 *  Per-frame times include one clock_gettime pair (~20-40 ns here, printed). Never asserts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <czmq.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS /* O(1) close of arrays/objects (level arrays close often) */
#include <jsmn.h>

#include "common/bus.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/instr.h"
#include "common/log.h"
#include "feed/bybit.h"
#include "feed/md.h"

#define k_file    "data/bybit_v5/bybit_v5_linear_frames.jsonl"
#define k_instrs  "data/bybit_v5/instruments_info_linear.json"
#define k_lat_n   20000
#define k_max_frm 4096

enum { K_BOOK = 0, K_TRADE, K_TICKER, K_KLINE, K_OTHER, K_N };
static const char *const k_kind[K_N] = { "orderbook", "publicTrade", "tickers", "kline", "other" };

static char *g_text[k_max_frm];
static size_t g_len[k_max_frm];
static int g_kind[k_max_frm];
static size_t g_n;
static bus_pub_t *g_pub;
static instr_table_t *g_instrs;
static int k_passes = 40; /* BENCH_FEED_PASSES overrides (profiling runs) */

static int64_t
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t
s_pct(int64_t *v, size_t n, int p)
{
    if (n == 0) {
        return 0;
    }
    qsort(v, n, sizeof *v, s_cmp);
    return v[(n - 1) * (size_t)p / 100];
}

/* ---- the sink: as feed/session.c publishes ---- */
static void
s_book(const codec_md_book_t *b, int64_t origin, void *arg)
{
    (void)arg;
    char topic[BUS_TOPIC_MAX];
    (void)md_topic(topic, sizeof topic, "md.book", b->venue, b->symbol, NULL);
    (void)bus_publish(g_pub, topic, CODEC_MD_BOOK, b, b->ts_event, origin);
}

static void
s_trade(const codec_md_trade_t *t, int64_t origin, void *arg)
{
    (void)arg;
    char topic[BUS_TOPIC_MAX];
    (void)md_topic(topic, sizeof topic, "md.trade", t->venue, t->symbol, NULL);
    (void)bus_publish(g_pub, topic, CODEC_MD_TRADE, t, t->ts_event, origin);
}

static void
s_ticker(const codec_md_ticker_t *t, int64_t origin, void *arg)
{
    (void)arg;
    char topic[BUS_TOPIC_MAX];
    (void)md_topic(topic, sizeof topic, "md.ticker", t->venue, t->symbol, NULL);
    (void)bus_publish(g_pub, topic, CODEC_MD_TICKER, t, t->ts_event, origin);
}

static void
s_kline(const codec_md_kline_t *k, const char *interval, int64_t origin, void *arg)
{
    (void)arg;
    char topic[BUS_TOPIC_MAX];
    (void)md_topic(topic, sizeof topic, "md.kline", interval, k->venue, k->symbol);
    (void)bus_publish(g_pub, topic, CODEC_MD_KLINE, k, k->ts_event, origin);
}

/* encode only (what bus_publish does before zmq) */
static uint8_t g_buf[8192];
static void
s_enc(codec_type_t type, const void *body, int64_t evt, int64_t origin)
{
    static codec_env_t env = { .src = "feed.0" }; /* as bus_publish: src copied, not printed */
    env.seq++;
    env.evt = evt;
    env.origin = origin;
    size_t len = 0;
    (void)codec_encode(&env, type, body, g_buf, sizeof g_buf, &len);
}

static void
s_enc_book(const codec_md_book_t *b, int64_t origin, void *arg)
{
    (void)arg;
    char topic[BUS_TOPIC_MAX];
    (void)md_topic(topic, sizeof topic, "md.book", b->venue, b->symbol, NULL);
    s_enc(CODEC_MD_BOOK, b, b->ts_event, origin);
}

static void
s_enc_trade(const codec_md_trade_t *t, int64_t origin, void *arg)
{
    (void)arg;
    s_enc(CODEC_MD_TRADE, t, t->ts_event, origin);
}

static void
s_enc_ticker(const codec_md_ticker_t *t, int64_t origin, void *arg)
{
    (void)arg;
    s_enc(CODEC_MD_TICKER, t, t->ts_event, origin);
}

static void
s_enc_kline(const codec_md_kline_t *k, const char *interval, int64_t origin, void *arg)
{
    (void)arg;
    (void)interval;
    s_enc(CODEC_MD_KLINE, k, k->ts_event, origin);
}

static int
s_load(void)
{
    FILE *fp = fopen(k_file, "r");
    if (!fp) {
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (g_n < k_max_frm && (n = getline(&line, &cap, fp)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            n--;
        }
        g_text[g_n] = malloc((size_t)n + 1);
        memcpy(g_text[g_n], line, (size_t)n);
        g_text[g_n][n] = '\0';
        g_len[g_n] = (size_t)n;
        const char *t = strstr(line, "\"topic\":\"");
        int k = K_OTHER;
        if (t) {
            t += 9;
            k = !strncmp(t, "orderbook", 9)      ? K_BOOK
                : !strncmp(t, "publicTrade", 11) ? K_TRADE
                : !strncmp(t, "tickers", 7)      ? K_TICKER
                : !strncmp(t, "kline", 5)        ? K_KLINE
                                                 : K_OTHER;
        }
        g_kind[g_n++] = k;
    }
    free(line);
    fclose(fp);
    g_instrs = instr_table_new(); /* filled from the recorded instruments-info (main) */
    return g_instrs ? 0 : -1;
}

static void
s_put(const instr_t *in, void *arg)
{
    (void)arg;
    if (!strcmp(in->symbol, "BTCUSDT") || !strcmp(in->symbol, "ETHUSDT")
        || !strcmp(in->symbol, "SOLUSDT") || !strcmp(in->symbol, "DOGEUSDT")) {
        (void)instr_table_put(g_instrs, in);
    }
}

static void
s_drain(bus_sub_t *sub)
{
    bus_msg_t m;
    while (bus_sub_recv(sub, &m) == 0) {
    }
}

int
main(void)
{
    log_init("bench_feed", LOG_ERROR);
    if (getenv("BENCH_FEED_PASSES") && atoi(getenv("BENCH_FEED_PASSES")) > 0) {
        k_passes = atoi(getenv("BENCH_FEED_PASSES"));
    }
    zsys_handler_set(NULL);
    if (s_load() != 0) {
        fprintf(stderr, "bench_feed: cannot load %s / %s (run from the repository root)\n", k_file,
                k_instrs);
        return 1;
    }
    {
        FILE *fp = fopen(k_instrs, "r");
        static char body[2 << 20];
        size_t bl = fp ? fread(body, 1, sizeof body - 1, fp) : 0;
        if (fp) {
            fclose(fp);
        }
        (void)instr_parse_bybit(body, bl, "bybit-linear", s_put, NULL);
    }
    char dir[] = "/tmp/bench_feed.XXXXXX";
    if (!mkdtemp(dir)) {
        return 1;
    }
    char ep[128], ep2[128];
    snprintf(ep, sizeof ep, "ipc://%s/pub", dir);
    snprintf(ep2, sizeof ep2, "ipc://%s/raw", dir);
    g_pub = bus_pub_new(ep, "feed.0", 0);
    bus_sub_t *sub = bus_sub_new(0);
    if (!g_pub || !sub || bus_sub_connect(sub, ep) != 0 || bus_sub_subscribe(sub, "") != 0) {
        fprintf(stderr, "bench_feed: cannot set up the PUB/SUB\n");
        return 1;
    }
    zclock_sleep(200); /* let the SUB join */
    md_stats_t stats;
    memset(&stats, 0, sizeof stats);
    md_sink_t sink = { .book = s_book, .trade = s_trade, .ticker = s_ticker, .kline = s_kline };
    bybit_t *p = bybit_new("bybit-linear", g_instrs, 200, 10, &stats, &sink);
    if (!p) {
        return 1;
    }

    /* timer overhead */
    int64_t t0 = s_now();
    for (int i = 0; i < 100000; i++) {
        (void)s_now();
    }
    int64_t timer_ns = (s_now() - t0) / 100000;

    size_t per_kind_cap = g_n * k_passes;
    int64_t *lat[K_N], *one[K_N], *raw[K_N];
    size_t nl[K_N] = { 0 }, no[K_N] = { 0 }, nr[K_N] = { 0 };
    for (int k = 0; k < K_N; k++) {
        lat[k] = malloc(per_kind_cap * sizeof(int64_t));
        one[k] = malloc(per_kind_cap * sizeof(int64_t));
        raw[k] = malloc(per_kind_cap * sizeof(int64_t));
    }
    /* 1. feed, as session.c runs it: the publisher corked for a service pass (bus_pub_cork),
     *    so a backlog of frames is handed to libzmq in batches of up to BUS_BATCH_MAX
     *    messages (whole passes: frames/s; per frame: its own time, plus the hand-over of the
     *    batch it completed); then one frame per service pass (cork, frame, flush: the cost of
     *    a frame arriving alone, waking libzmq's I/O thread for its own messages) */
    /* whole-pass times: totals for the means, and each pass kept so the frames/s figures can
     * be the median pass (a pass that another process on this shared machine slowed down
     * does not drag the figure; the mean is printed beside it) */
    int64_t feed_total = 0, one_total = 0;
    int64_t *feed_pass = calloc((size_t)k_passes, sizeof(int64_t));
    int64_t *one_pass = calloc((size_t)k_passes, sizeof(int64_t));
    int64_t *raw_pass = calloc((size_t)k_passes, sizeof(int64_t));
    for (int pass = 0; pass < k_passes; pass++) {
        bybit_reset(p);
        s_drain(sub);
        int64_t a = s_now();
        bus_pub_cork(g_pub);
        for (size_t i = 0; i < g_n; i++) {
            (void)bybit_parse(p, g_text[i], g_len[i], a);
        }
        (void)bus_pub_flush(g_pub);
        feed_pass[pass] = s_now() - a;
        feed_total += feed_pass[pass];
        bybit_reset(p);
        s_drain(sub);
        bus_pub_cork(g_pub);
        for (size_t i = 0; i < g_n; i++) {
            int64_t x = s_now();
            (void)bybit_parse(p, g_text[i], g_len[i], x);
            if (i + 1 == g_n) {
                (void)bus_pub_flush(g_pub);
            }
            lat[g_kind[i]][nl[g_kind[i]]++] = s_now() - x;
        }
        bybit_reset(p);
        s_drain(sub);
        a = s_now();
        for (size_t i = 0; i < g_n; i++) {
            int64_t x = s_now();
            bus_pub_cork(g_pub);
            (void)bybit_parse(p, g_text[i], g_len[i], x);
            (void)bus_pub_flush(g_pub);
            one[g_kind[i]][no[g_kind[i]]++] = s_now() - x;
        }
        one_pass[pass] = s_now() - a;
        one_total += one_pass[pass];
    }
    s_drain(sub);
    /* 2. raw jsmn tokenize of the same frames */
    static jsmntok_t tok[8192];
    int64_t raw_total = 0;
    long sink_tokens = 0;
    for (int pass = 0; pass < k_passes; pass++) {
        int64_t a = s_now();
        for (size_t i = 0; i < g_n; i++) {
            jsmn_parser jp;
            jsmn_init(&jp);
            sink_tokens += jsmn_parse(&jp, g_text[i], g_len[i], tok, 8192);
        }
        raw_pass[pass] = s_now() - a;
        raw_total += raw_pass[pass];
        for (size_t i = 0; i < g_n; i++) {
            int64_t x = s_now();
            jsmn_parser jp;
            jsmn_init(&jp);
            sink_tokens += jsmn_parse(&jp, g_text[i], g_len[i], tok, 8192);
            raw[g_kind[i]][nr[g_kind[i]]++] = s_now() - x;
        }
    }
    /* where the time goes: parse + apply with an empty sink, then + codec_encode only */
    int64_t stage_total[2] = { 0, 0 };
    for (int v = 0; v < 2; v++) {
        md_sink_t sk;
        memset(&sk, 0, sizeof sk);
        if (v == 1) {
            sk.book = s_enc_book;
            sk.trade = s_enc_trade;
            sk.ticker = s_enc_ticker;
            sk.kline = s_enc_kline;
        }
        md_stats_t st2;
        memset(&st2, 0, sizeof st2);
        bybit_t *q = bybit_new("bybit-linear", g_instrs, 200, 10, &st2, &sk);
        for (int pass = 0; pass < k_passes; pass++) {
            bybit_reset(q);
            int64_t a = s_now();
            for (size_t i = 0; i < g_n; i++) {
                (void)bybit_parse(q, g_text[i], g_len[i], a);
            }
            stage_total[v] += s_now() - a;
        }
        bybit_destroy(&q);
    }
    double frames = (double)g_n * k_passes;
    printf("  breakdown (mean ns/frame): parse+apply %.0f | + md.* encode %.0f | + publish (zmq) "
           "%.0f\n",
           (double)stage_total[0] / frames, (double)stage_total[1] / frames,
           (double)feed_total / frames);
    double feed_fps = frames / ((double)feed_total / 1e9);
    double raw_fps = frames / ((double)raw_total / 1e9);
    printf("bench_feed: %zu recorded Bybit linear frames x %d passes (%lld frames published %lld "
           "books, %lld resyncs, %lld bad); timer overhead %lld ns per reading\n",
           g_n, k_passes, (long long)stats.frames, (long long)stats.books, (long long)stats.resyncs,
           (long long)(stats.bad_json + stats.bad_field), (long long)timer_ns);
    double one_fps = frames / ((double)one_total / 1e9);
    double pass_frames = (double)g_n;
    double feed_med = pass_frames / ((double)s_pct(feed_pass, (size_t)k_passes, 50) / 1e9);
    double raw_med = pass_frames / ((double)s_pct(raw_pass, (size_t)k_passes, 50) / 1e9);
    double one_med = pass_frames / ((double)s_pct(one_pass, (size_t)k_passes, 50) / 1e9);
    printf("  all frames, median pass: feed parse+apply+publish %.0f frames/s (%.0f ns/frame) | "
           "raw jsmn tokenize %.0f frames/s (%.0f ns/frame) | ratio %.2fx\n",
           feed_med, 1e9 / feed_med, raw_med, 1e9 / raw_med, raw_med / feed_med);
    printf("  all frames, mean of %d passes: feed %.0f frames/s | raw jsmn %.0f frames/s | ratio "
           "%.2fx\n",
           k_passes, feed_fps, raw_fps, raw_fps / feed_fps);
    printf("  one frame per service pass (each frame wakes libzmq's I/O thread), median pass: "
           "%.0f frames/s (%.0f ns/frame, %.2fx raw jsmn); mean %.0f frames/s\n",
           one_med, 1e9 / one_med, raw_med / one_med, one_fps);
    printf("  %-12s %7s %9s %9s %9s %9s %9s %9s %7s %7s\n", "kind", "frames", "feed p50",
           "feed p99", "alone p50", "alone p99", "jsmn p50", "jsmn p99", "p50 x", "p99 x");
    for (int k = 0; k < K_N; k++) {
        if (nl[k] == 0) {
            continue;
        }
        int64_t f50 = s_pct(lat[k], nl[k], 50), f99 = s_pct(lat[k], nl[k], 99);
        int64_t o50 = s_pct(one[k], no[k], 50), o99 = s_pct(one[k], no[k], 99);
        int64_t r50 = s_pct(raw[k], nr[k], 50), r99 = s_pct(raw[k], nr[k], 99);
        printf("  %-12s %7zu %6lld ns %6lld ns %6lld ns %6lld ns %6lld ns %6lld ns %6.2fx %6.2fx\n",
               k_kind[k], nl[k] / k_passes, (long long)f50, (long long)f99, (long long)o50,
               (long long)o99, (long long)r50, (long long)r99,
               r50 ? (double)f50 / (double)r50 : 0.0, r99 ? (double)f99 / (double)r99 : 0.0);
    }

    /* 3. publish -> subscriber latency over ipc, one md.book (10 levels a side) */
    codec_md_book_t b;
    memset(&b, 0, sizeof b);
    snprintf(b.venue, sizeof b.venue, "bybit-linear");
    snprintf(b.symbol, sizeof b.symbol, "BTCUSDT");
    b.px_scale = 1;
    b.qty_scale = 3;
    b.n_bids = b.n_asks = 10;
    for (int i = 0; i < 10; i++) {
        b.bids[i] = (codec_level_t){ 651140 - i, 1000 + i };
        b.asks[i] = (codec_level_t){ 651141 + i, 2000 + i };
    }
    static int64_t bus_lat[k_lat_n], raw_lat[k_lat_n];
    zpoller_t *poll = zpoller_new(bus_sub_sock(sub), NULL);
    bus_msg_t m;
    size_t msg_len = 0;
    /* the passes above are still in flight: drain until 200 ms of quiet */
    while (zpoller_wait(poll, 200)) {
        s_drain(sub);
    }
    for (int i = 0; i < k_lat_n; i++) {
        int64_t a = s_now();
        (void)bus_publish(g_pub, "md.book.bybit-linear.BTCUSDT", CODEC_MD_BOOK, &b, a, a);
        for (;;) { /* blocking poll on miss, like the raw hop's blocking recv */
            if (bus_sub_recv(sub, &m) == 0) {
                if (m.env.seq == bus_pub_seq(g_pub)) {
                    break;
                }
                continue;
            }
            (void)zpoller_wait(poll, 100);
        }
        bus_lat[i] = s_now() - a;
        msg_len = m.len;
    }
    zpoller_destroy(&poll);
    /* raw libzmq: the same two frames (topic, body of msg_len bytes) */
    void *zctx = zmq_ctx_new();
    void *rp = zmq_socket(zctx, ZMQ_PUB), *rs = zmq_socket(zctx, ZMQ_SUB);
    zmq_bind(rp, ep2);
    zmq_connect(rs, ep2);
    zmq_setsockopt(rs, ZMQ_SUBSCRIBE, "", 0);
    zclock_sleep(200);
    static char payload[4096], rbuf[4096];
    const char *topic = "md.book.bybit-linear.BTCUSDT";
    for (int i = 0; i < k_lat_n; i++) {
        int64_t a = s_now();
        zmq_send(rp, topic, strlen(topic), ZMQ_SNDMORE);
        zmq_send(rp, payload, msg_len, 0);
        zmq_recv(rs, rbuf, sizeof rbuf, 0);
        zmq_recv(rs, rbuf, sizeof rbuf, 0);
        raw_lat[i] = s_now() - a;
    }
    zmq_close(rp);
    zmq_close(rs);
    zmq_ctx_term(zctx);
    int64_t b50 = s_pct(bus_lat, k_lat_n, 50), b99 = s_pct(bus_lat, k_lat_n, 99);
    int64_t z50 = s_pct(raw_lat, k_lat_n, 50), z99 = s_pct(raw_lat, k_lat_n, 99);
    printf(
        "  publish->subscriber over ipc, md.book %zu bytes, %d msgs: bus p50 %lld ns p99 %lld ns "
        "| raw libzmq p50 %lld ns p99 %lld ns | ratio p50 %.2fx p99 %.2fx\n",
        msg_len, k_lat_n, (long long)b50, (long long)b99, (long long)z50, (long long)z99,
        (double)b50 / (double)z50, (double)b99 / (double)z99);
    if (sink_tokens == 42) {
        printf(" ");
    }
    bybit_destroy(&p);
    bus_sub_destroy(&sub);
    bus_pub_destroy(&g_pub);
    instr_table_destroy(&g_instrs);
    for (int k = 0; k < K_N; k++) {
        free(lat[k]);
        free(raw[k]);
    }
    for (size_t i = 0; i < g_n; i++) {
        free(g_text[i]);
    }
    char path[160];
    snprintf(path, sizeof path, "%s/pub", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/raw", dir);
    unlink(path);
    rmdir(dir);
    return 0;
}
