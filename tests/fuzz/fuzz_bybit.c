/*  fuzz_bybit.c - libFuzzer target for the Bybit v5 public frame parser (feed/bybit.c, jsmn)
 *  with book apply: linear and spot parsers with the recorded instrument rules. Seeds: the
 *  recorded linear and spot frames (tests/fuzz/fuzz_common.h). No crash, leak or sanitizer
 *  report is allowed; parse errors are expected and counted.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>

#include "common/instr.h"
#include "common/log.h"
#include "feed/bybit.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static instr_table_t *g_instrs;
static bybit_t *g_linear, *g_spot;
static md_stats_t g_stats;

static void
s_put(const instr_t *in, void *arg)
{
    (void)instr_table_put(arg, in); /* the table holds 256: the first ones are enough */
}

static void
s_load(const char *path, const char *venue)
{
    gzFile f = gzopen(path, "rb");
    static char buf[4 << 20];
    int n = f ? gzread(f, buf, (unsigned)sizeof buf - 1) : -1;
    if (f) {
        gzclose(f);
    }
    if (n > 0) {
        (void)instr_parse_bybit(buf, (size_t)n, venue, s_put, g_instrs);
    }
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    log_init("fuzz_bybit", LOG_ERROR); /* quiet: bad input is the point */
    g_instrs = instr_table_new();
    s_load("data/bybit_v5/instruments_info_linear.json", "bybit-linear");
    s_load("data/bybit_v5/instruments_info_spot.json", "bybit-spot");
    md_sink_t sink = { 0 };
    g_linear = bybit_new("bybit-linear", g_instrs, 200, 10, &g_stats, &sink);
    g_spot = bybit_new("bybit-spot", g_instrs, 50, 10, &g_stats, &sink);
    const char *dir = s_corpus_dir(*argc, *argv);
    if (dir && s_dir_empty(dir)) {
        s_seed_file(dir, "linear", "data/bybit_v5/bybit_v5_linear_frames.jsonl", false, 1, 4000);
        s_seed_file(dir, "spot", "data/bybit_v5/bybit_v5_spot_frames.jsonl", false, 1, 1000);
    }
    return 0;
}

static void
s_one(const char *p, size_t len)
{
    (void)bybit_parse(g_linear, p, len, 1);
    (void)bybit_parse(g_spot, p, len, 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_EACH_LINE(data, size, s_one);
    return 0;
}
