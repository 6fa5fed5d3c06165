/*  bench_deribit.c - Deribit frames/s through feed/deribit.c (parse + book apply + md.* bodies
 *  built and handed to a sink that only counts them), next to raw jsmn tokenize of the same
 *  frames: the 136 recorded frames of data/deribit/cryptofeed_DERIBIT.ws.1.0 (89 tickers,
 *  10 book snapshots + 36 changes, 1 subscribe result; data/PROVENANCE.md section 9), in
 *  memory, replayed k_passes times (the parser is reset between passes, so each pass starts
 *  from the snapshots exactly as recorded). Not yet measured: publishing on the bus
 *  (bench_feed does that for Bybit; the Deribit parser is not wired into feed/session.c yet).
 *  Prints TABLE rows for tests/bench/run_bench.sh.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/instr.h"
#include "common/log.h"
#include "feed/deribit.h"
#include "feed/jtok.h"

#define k_frames_file "data/deribit/cryptofeed_DERIBIT.ws.1.0"
#define k_instr_file  "data/deribit/cryptofeed_DERIBIT.0"
#define k_max_frm     256
#define k_passes      2000

enum { K_BOOK, K_TICKER, K_OTHER, K_N };
static const char *const k_kind[K_N] = { "book", "ticker", "other" };

static char *g_text[k_max_frm];
static size_t g_len[k_max_frm];
static int g_kind[k_max_frm];
static size_t g_n;
static int64_t g_events;

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

static void
s_on_book(const codec_md_book_t *b, int64_t origin, void *arg)
{
    (void)b, (void)origin, (void)arg;
    g_events++;
}

static void
s_on_ticker(const codec_md_ticker_t *t, int64_t origin, void *arg)
{
    (void)t, (void)origin, (void)arg;
    g_events++;
}

static char *
s_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* Only the capture's ten options: the table holds 256 of the 1,017 instruments. */
static const char *const k_capture[10] = { "BTC-24SEP21-8000-P",   "BTC-30JUL21-24000-P",
                                           "ETH-30JUL21-2800-C",   "BTC-31DEC21-34000-P",
                                           "BTC-24SEP21-34000-P",  "BTC-24JUN22-15000-C",
                                           "BTC-31DEC21-300000-C", "ETH-27AUG21-4000-P",
                                           "BTC-25MAR22-30000-C",  "ETH-23JUL21-2300-C" };

static void
s_put_capture(const instr_t *in, void *arg)
{
    for (int i = 0; i < 10; i++) {
        if (strcmp(in->symbol, k_capture[i]) == 0) {
            (void)instr_table_put(arg, in);
        }
    }
}

int
main(void)
{
    log_init("bench_deribit", LOG_ERROR);
    size_t flen, ilen;
    char *frames = s_slurp(k_frames_file, &flen);
    char *instrs = s_slurp(k_instr_file, &ilen);
    if (!frames || !instrs) {
        fprintf(stderr, "bench_deribit: cannot load %s / %s (run from the repository root)\n",
                k_frames_file, k_instr_file);
        return 1;
    }
    instr_table_t *table = instr_table_new();
    for (char *line = instrs, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
        }
        char *arrow = strstr(line, " -> ");
        char *body = arrow ? strstr(arrow, ": ") : NULL;
        if (body) {
            (void)deribit_instruments_parse(body + 2, strlen(body + 2), "deribit", s_put_capture,
                                            table);
        }
    }
    for (char *line = frames, *nl; line && *line && g_n < k_max_frm; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
        }
        char *sep = strstr(line, ": ");
        if (strncmp(line, "wss://", 6) == 0 || !sep) {
            continue;
        }
        g_text[g_n] = sep + 2;
        g_len[g_n] = strlen(sep + 2);
        g_kind[g_n] = strstr(g_text[g_n], "\"channel\":\"book.")     ? K_BOOK
                      : strstr(g_text[g_n], "\"channel\":\"ticker.") ? K_TICKER
                                                                     : K_OTHER;
        g_n++;
    }
    md_stats_t st = { 0 };
    md_sink_t sink = { .book = s_on_book, .ticker = s_on_ticker };
    deribit_t *p = deribit_new("deribit", table, BOOK_MAX_DEPTH, 10, &st, &sink);
    jtok_t *tok = jtok_new(16384);
    if (!p || !tok || g_n == 0) {
        fprintf(stderr, "bench_deribit: cannot set up\n");
        return 1;
    }
    size_t total = g_n * k_passes;
    int64_t *lat[K_N];
    size_t nlat[K_N] = { 0 };
    for (int k = 0; k < K_N; k++) {
        lat[k] = malloc(total * sizeof(int64_t));
    }
    /* throughput: feed (parse + apply + bodies) and, as baseline, jsmn tokenize of the same
     * frames, passes interleaved so that both see the same load of this shared machine; each
     * the median pass (the mean carries other processes' bursts) */
    static int64_t pass_ns[k_passes], raw_ns[k_passes];
    int64_t toks = 0;
    for (int pass = 0; pass < k_passes; pass++) {
        int64_t a = s_now();
        deribit_reset(p);
        for (size_t i = 0; i < g_n; i++) {
            (void)deribit_parse(p, g_text[i], g_len[i], 1);
        }
        pass_ns[pass] = s_now() - a;
        a = s_now();
        for (size_t i = 0; i < g_n; i++) {
            toks += jtok_parse(tok, g_text[i], g_len[i]);
        }
        raw_ns[pass] = s_now() - a;
    }
    int64_t t_feed = s_pct(pass_ns, k_passes, 50);
    /* per-frame latency, a separate run of the same passes */
    for (int pass = 0; pass < k_passes; pass++) {
        deribit_reset(p);
        for (size_t i = 0; i < g_n; i++) {
            int64_t a = s_now();
            (void)deribit_parse(p, g_text[i], g_len[i], 1);
            lat[g_kind[i]][nlat[g_kind[i]]++] = s_now() - a;
        }
    }
    int64_t t_raw = s_pct(raw_ns, k_passes, 50);
    int64_t bad = st.bad_json + st.bad_field + st.unknown_topic + st.no_instr + st.resyncs;
    double fps = (double)g_n * 1e9 / (double)t_feed; /* median pass */
    double rps = (double)g_n * 1e9 / (double)t_raw;
    printf("bench_deribit: %zu recorded Deribit frames x %d passes (%lld md events in the two "
           "runs, %lld refused"
           " or resynced, %lld tokens)\n",
           g_n, k_passes, (long long)g_events, (long long)bad, (long long)toks);
    printf("  median pass: feed parse+apply: %.0f frames/s (%.0f ns/frame) | raw jsmn tokenize "
           "%.0f frames/s "
           "(%.0f ns/frame) | ratio %.2f\n",
           fps, 1e9 / fps, rps, 1e9 / rps, rps / fps);
    for (int k = 0; k < K_N; k++) {
        if (nlat[k] > 0) {
            int64_t p50 = s_pct(lat[k], nlat[k], 50), p99 = s_pct(lat[k], nlat[k], 99);
            printf("  %-7s %8zu frames  p50 %6lld ns  p99 %6lld ns\n", k_kind[k], nlat[k],
                   (long long)p50, (long long)p99);
        }
        free(lat[k]);
    }
    printf("TABLE\tfeed Deribit frames/s (parse+apply, recorded capture)\t%.0f\traw jsmn "
           "tokenize\t%.0f\t%.2f\n",
           fps, rps, fps / rps);
    deribit_destroy(&p);
    jtok_destroy(&tok);
    instr_table_destroy(&table);
    free(frames);
    free(instrs);
    return bad == 0 ? 0 : 1;
}
