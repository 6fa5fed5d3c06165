/*  fuzz_deribit.c - libFuzzer target for the Deribit API v2 frame parser (feed/deribit.c,
 *  jsmn) with book apply, on the recorded instrument rules (data/deribit/cryptofeed_DERIBIT.0:
 *  the capture's ten options and the perpetuals; the nautilus BTC-PERPETUAL instrument).
 *  Seeds: the 136 recorded frames of data/deribit/cryptofeed_DERIBIT.ws.1.0 and the nautilus
 *  BTC-PERPETUAL messages (one file each). No crash, leak or sanitizer report is allowed; parse
 *  errors are expected and counted. Once per process the get_instruments parser is also run on
 *  the recorded bodies (fuzzing it per input would be slow: it is read once at start).
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>

#include "common/instr.h"
#include "common/log.h"
#include "feed/deribit.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static instr_table_t *g_instrs;
static deribit_t *g_p;
static md_stats_t g_stats;

static void
s_put(const instr_t *in, void *arg)
{
    /* options of the capture (expiries 21/22) and perpetuals; the table holds 256 */
    if (strstr(in->symbol, "PERPETUAL") || strstr(in->symbol, "-24SEP21-8000-")
        || strstr(in->symbol, "-30JUL21-") || strstr(in->symbol, "-31DEC21-3")
        || strstr(in->symbol, "-24SEP21-34000-") || strstr(in->symbol, "-24JUN22-15000-")
        || strstr(in->symbol, "-27AUG21-4000-") || strstr(in->symbol, "-25MAR22-30000-")
        || strstr(in->symbol, "-23JUL21-2300-")) {
        (void)instr_table_put(arg, in);
    }
}

static char *
s_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    static char buf[1 << 20];
    *len = fread(buf, 1, sizeof buf - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    log_init("fuzz_deribit", LOG_ERROR); /* quiet: bad input is the point */
    g_instrs = instr_table_new();
    size_t len;
    char *buf = s_read("data/deribit/cryptofeed_DERIBIT.0", &len);
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
        }
        char *arrow = strstr(line, " -> ");
        char *body = arrow ? strstr(arrow, ": ") : NULL;
        if (body) {
            (void)deribit_instruments_parse(body + 2, strlen(body + 2), "deribit", s_put, g_instrs);
        }
        line = nl ? nl + 1 : NULL;
    }
    md_sink_t sink = { 0 };
    g_p = deribit_new("deribit", g_instrs, 1000, 10, &g_stats, &sink);
    const char *dir = s_corpus_dir(*argc, *argv);
    (void)s_seed_file; /* the capture's "<ts>: <frame>" lines are seeded below instead */
    if (dir && s_dir_empty(dir)) {
        buf = s_read("data/deribit/cryptofeed_DERIBIT.ws.1.0", &len);
        int n = 0;
        for (char *line = buf; line && *line;) {
            char *nl = strchr(line, '\n');
            size_t l = nl ? (size_t)(nl - line) : strlen(line);
            char *sep = memmem(line, l, ": ", 2);
            if (strncmp(line, "wss://", 6) != 0 && sep) {
                s_seed_write(dir, "capture", n++, sep + 2, l - (size_t)(sep + 2 - line));
            }
            line = nl ? nl + 1 : NULL;
        }
        static const char *const k_msgs[] = {
            "data/deribit/nautilus_ws_trades.json", "data/deribit/nautilus_ws_ticker.json",
            "data/deribit/nautilus_ws_book_grouped_snapshot.json"
        };
        for (size_t i = 0; i < sizeof k_msgs / sizeof k_msgs[0]; i++) {
            buf = s_read(k_msgs[i], &len);
            if (buf) {
                /* one line: the parser sees '\n'-separated frames */
                for (size_t k = 0; k < len; k++) {
                    buf[k] = buf[k] == '\n' ? ' ' : buf[k];
                }
                s_seed_write(dir, "nautilus", (int)i, buf, len);
            }
        }
    }
    return 0;
}

static void
s_one(const char *p, size_t len)
{
    (void)deribit_parse(g_p, p, len, 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_EACH_LINE(data, size, s_one);
    return 0;
}
