/*  runinfo.h - `ctl run-id` and `ctl venue-port`: the identity and the venue-sim port of the
 *  run in the config's run directory, for tools/sv and tools/run.sh (the shell never writes
 *  these files itself: common/runid.h and common/port.h own their formats).
 *    ctl -c CONFIG run-id [--new]      print the run id ({run}/run.id; --new: a fresh one)
 *    ctl -c CONFIG venue-port [--new]  print venue-sim's port (venue_sim.port, or with port 0
 *                                      {run}/venue-sim.port; --new: choose a free port now and
 *                                      write it there)
 *  The run directory must exist.
 */
#ifndef TP_RUNINFO_H
#define TP_RUNINFO_H

#include <stdbool.h>

#include "common/cfg.h"

/* true if `cmd` is one of the commands above. */
bool runinfo_is_command(const char *cmd);

/* Run `cmd` with its arguments args[n] (after the command word). Prints the answer on stdout,
 * errors on stderr. Returns the exit code: 0 done, 1 cannot read/write the file, 2 bad
 * arguments. */
int runinfo_command(cfg_t *cfg, const char *cmd, const char *const *args, int n);

#endif /* TP_RUNINFO_H */
