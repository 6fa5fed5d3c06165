/*  owndata.h - backtest's own-data options (docs/backtest.md "Your own data"): --data PATH...,
 *  --symbol S, --from DATE, --to DATE, --skip-bad, turned into config overrides (cfg_put, so
 *  that later errors name the option) before the pipeline reads the config, and the checks
 *  and summary lines about the data once it is loaded.
 *  Formats (detected from each file's content, the name only to tell categories apart):
 *    Binance kline CSV (data.binance.vision, daily or monthly, header line or not, ms or µs
 *      times) -> venue_sim.binance_kline_csv (every CSV given, in order);
 *    Bybit v5 JSON lines (recorded public frames) -> venue_sim.bybit_linear_frames, or
 *      bybit_spot_frames when the name says "spot" or the tickers frames carry no fundingRate;
 *    Binance combined-stream recordings ("<ns> <json>" lines, gzip) ->
 *      venue_sim.binance_usdm_file, or binance_spot_file when the name says "spot" (else by
 *      content: USD-M depth updates carry "pu", spot ones do not).
 *  A directory stands for its regular files (not hidden), in name order.
 *  Every source the options name replaces the config's data for that source; the others stay.
 *  Owns: nothing past a call (owndata_t holds borrowed argv strings).
 *  Errors: -1 with the message ("--data x.csv: cannot open: No such file or directory") in
 *  err[cap]; the backtest exits 2.
 */
#ifndef TP_BT_OWNDATA_H
#define TP_BT_OWNDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/cfg.h"
#include "tools/venue-sim/source.h"

#define OWNDATA_MAX_PATHS 4096

typedef struct {
    const char *data[OWNDATA_MAX_PATHS]; /* --data paths as given (borrowed from argv) */
    size_t n_data;
    const char *symbol; /* --symbol, NULL if not given */
    const char *from;   /* --from, NULL if not given */
    const char *to;     /* --to */
    bool skip_bad;      /* --skip-bad */
} owndata_t;

/* If argv[*i] is one of our options, take it and its values (advancing *i to the last one
 * used) and return 1; 0 if it is not ours; -1 (message on stderr) if it lacks its value.
 * --data takes every following argument up to the next one that starts with '-' (so a shell
 * glob works) and may be repeated. */
int owndata_arg(owndata_t *self, int argc, char **argv, int *i);

/* Check the options and write them into cfg as overrides: the data keys of the detected
 * formats, the symbol in every place the config scopes to one symbol (docs/backtest.md),
 * venue_sim.from / .to, venue_sim.skip_bad. Call after --set and before pipeline_new.
 * Nothing given: does nothing. 0, or -1 with the message in err[cap] (missing or unreadable
 * file, unknown format, unknown symbol, bad or empty date range). */
int owndata_apply(const owndata_t *self, cfg_t *cfg, char *err, size_t cap);

/* After the data is loaded: the --data files hold data, and some of it lies in the window.
 * 0, or -1 with the message in err[cap] ("no data in FROM..TO; the files span A..B"). */
int owndata_check(const owndata_t *self, const source_t *src, char *err, size_t cap);

/* The summary lines about the data: kline bars and their span, gaps in the series (the
 * longest named), bad rows skipped (with --skip-bad / venue_sim.skip_bad). */
void owndata_print(const owndata_t *self, const source_t *src, FILE *out);

#endif /* TP_BT_OWNDATA_H */
