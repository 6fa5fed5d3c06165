/*  sweep.h - parameter sweeps and walk-forward over the backtest (docs/backtest.md "Sweeps"):
 *  `backtest -c CONFIG --grid KEY=V1,V2 --grid KEY=FROM:TO:STEP ...` runs every combination in
 *  worker processes (the backtest itself, with --set for the combination and --result FILE),
 *  ranks their results (result.h) and prints and writes the table; --print-jobs writes the
 *  workers' command lines for a scheduler instead; --merge joins result files into a table;
 *  --walk-forward picks the best combination on each training window and runs it on the
 *  following test window.
 *  Owns:  the worker processes it starts (killed on SIGINT / SIGTERM / SIGHUP) and its
 *         temporary directory (removed at the end).
 *  Not:   running a backtest (main.c + pipeline.h), the figures (result.h, tools/report).
 *  Only main.c calls these, with its argv.
 */
#ifndef TP_SWEEP_H
#define TP_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"

/* True when argv asks for a sweep: --grid, --walk-forward, --print-jobs or --merge. */
bool sweep_wanted(int argc, char **argv);

/* Run the sweep command of argv (options in docs/backtest.md); returns the process exit code:
 * 0 done; 1 a worker failed (its stderr tail printed) or an output could not be written;
 * 2 bad arguments, a --grid key not in the config or a value of the wrong kind (before any
 * worker starts), a result file that is not one (--merge), or a worker that refused its
 * config; 130 interrupted (the workers are killed). */
int sweep_main(int argc, char **argv);

/* For a single run given `--result FILE`: compute the figures of the database `db` (result.h)
 * and write them to `path` with the run's overrides, --from and --to taken from argv and the
 * config's file name. `cfg` gives account.start_balance (the base of return % without balances
 * rows). 0, or -1 with the reason printed on stderr. */
int sweep_write_result(const char *path, const char *db, cfg_t *cfg, int argc, char **argv);

#endif /* TP_SWEEP_H */
