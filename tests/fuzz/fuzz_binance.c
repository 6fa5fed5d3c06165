/*  fuzz_binance.c - libFuzzer target for the Binance combined-stream parser (feed/binance.c,
 *  jsmn) with the depth sync and book apply, USD-M and spot rules, plus the REST depth snapshot
 *  body reader (jansson): an input whose first line holds "lastUpdateId" is also loaded as the
 *  snapshot. Seeds: recorded USD-M and spot lines (tests/fuzz/fuzz_common.h).
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>

#include "common/instr.h"
#include "common/log.h"
#include "feed/binance.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static instr_table_t *g_instrs;
static binance_t *g_usdm, *g_spot;
static md_stats_t g_stats;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    log_init("fuzz_binance", LOG_ERROR); /* quiet: bad input is the point */
    g_instrs = instr_table_new();
    instr_t in;
    /* rules of config/default.json feed.instruments (exchangeInfo, data/PROVENANCE.md) */
    if (instr_from_strings(&in, "binance-usdm", "usdm", "BTCUSDT", "0.10", "0.001", "0.001", "100")
        == 0) {
        (void)instr_table_put(g_instrs, &in);
    }
    if (instr_from_strings(&in, "binance-spot", "spot", "BTCUSDT", "0.01", "0.00001", "0.00001",
                           "5")
        == 0) {
        (void)instr_table_put(g_instrs, &in);
    }
    md_sink_t sink = { 0 };
    g_usdm = binance_new("binance-usdm", false, g_instrs, 1000, 10, &g_stats, &sink);
    g_spot = binance_new("binance-spot", true, g_instrs, 1000, 10, &g_stats, &sink);
    (void)binance_add_symbol(g_usdm, "BTCUSDT", true);
    (void)binance_add_symbol(g_spot, "BTCUSDT", true);
    const char *dir = s_corpus_dir(*argc, *argv);
    if (dir && s_dir_empty(dir)) {
        s_seed_file(dir, "usdm", "data/binance/usdm_btcusdt_20240808.gz", true, 97, 1200);
        s_seed_file(dir, "spot", "data/binance/spot_btcusdt_20240808.gz", true, 41, 1200);
    }
    return 0;
}

static void
s_one(const char *p, size_t len)
{
    (void)binance_parse(g_usdm, p, len, 1);
    (void)binance_parse(g_spot, p, len, 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t first = nl ? (size_t)(nl - (const char *)data) : size;
    if (memmem(data, first, "lastUpdateId", 12)) {
        (void)binance_snapshot(g_usdm, "BTCUSDT", (const char *)data, first, 1);
        (void)binance_snapshot(g_spot, "BTCUSDT", (const char *)data, first, 1);
    }
    FUZZ_EACH_LINE(data, size, s_one);
    return 0;
}
