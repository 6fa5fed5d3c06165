/*  stage.h - the loop every stage runs: zloop poll, SIGTERM/SIGINT, a 1 s heartbeat
 *  sys.hb.<stage> with counters, and a REP control socket answering `status` with JSON.
 *  Owns:  the zloop, the stage's PUB (bus_pub_t), the control REP, the counters.
 *  Not:   the stage's own logic (its modules), its SUB sockets (created by main.c and added
 *         with stage_add_sub).
 *  Signals: SIGTERM/SIGINT set a flag and make the loop return; SIGHUP sets a reload flag;
 *  SIGPIPE is ignored. czmq's own handler is disabled (zsys_handler_set(NULL)).
 *  Control protocol: a request is one text frame, a command word then optional arguments
 *  ("status", "pause", "kill"); the reply is one frame of JSON. `status` returns
 *  {"stage","state","pid","uptime_ms","counters":{...},"pub":{"endpoint","seq"}, ...}; other
 *  commands go to the handler set with stage_on_ctl, and unknown ones get
 *  {"ok":false,"error":"unknown command ..."}.
 */
#ifndef TP_STAGE_H
#define TP_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include <czmq.h>
#include <jansson.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/step.h"

typedef struct stage stage_t;

/* Create the stage `instance` ("feed.0"): binds its PUB at endpoints.<instance>.pub and its
 * control REP at endpoints.<instance>.ctl (from cfg, borrowed; must outlive the stage), creates
 * the run directory (0700) if the endpoints are ipc://, installs signal handlers, starts the
 * heartbeat timer. Before binding anything it takes the instance lock {run}/<instance>.lock
 * (common/lock.h) and holds it until stage_destroy: a second start of the same instance on the
 * same run directory gets NULL with errno EWOULDBLOCK after logging "cannot start <instance>:
 * already running (pid N, ...)" (every stage's main then exits 3). Returns NULL with errno
 * after logging which endpoint failed and why. */
stage_t *stage_new(const char *instance, cfg_t *cfg);
void stage_destroy(stage_t **self_p);

const char *stage_name(const stage_t *self);
cfg_t *stage_cfg(const stage_t *self);
zloop_t *stage_loop(stage_t *self);
bus_pub_t *stage_pub(stage_t *self);
bool stage_replay(const stage_t *self); /* config "mode" == "replay" */
/* The run id of the group this stage belongs to ({run}/run.id, common/runid.h), read or
 * created by stage_new; shown in `status`. Borrowed for the stage's lifetime. */
const char *stage_run_id(const stage_t *self);

/* Add a subscriber: `fn` is called from the loop for every message received (after gap
 * accounting; gaps are added to the "gaps" counter). Returning -1 stops the loop. */
typedef int(stage_msg_fn)(stage_t *st, bus_msg_t *msg, void *arg);
int stage_add_sub(stage_t *self, bus_sub_t *sub, stage_msg_fn *fn, void *arg);

/* Pointer to a named counter (created at 0 on first use; max 32 counters). Stable for the
 * stage's lifetime, so hot paths keep it and increment directly. The first 16 go in sys.hb. */
int64_t *stage_counter(stage_t *self, const char *name);

/* State word shown in status and heartbeats ("starting", "running", "halted", ...). Copied. */
void stage_set_state(stage_t *self, const char *state);
const char *stage_state(const stage_t *self);

/* Handler for control commands other than "status". `cmd` is the whole request text. Fill
 * `reply` (a JSON object owned by the caller) and return 0; return -1 for unknown commands. */
typedef int(stage_ctl_fn)(stage_t *st, const char *cmd, json_t *reply, void *arg);
void stage_on_ctl(stage_t *self, stage_ctl_fn *fn, void *arg);

/* `reload` (control command, or SIGHUP): the config file is read again; a file that does not
 * parse, or a bad value, leaves everything as it was and the reply names file, line and key.
 * Every stage applies `log_level`; a stage with more values that can change live registers a
 * hook, called with the freshly loaded config (borrowed for the call) and the reply object:
 * it validates first, applies only if all is well, lists what it changed in reply["reloaded"]
 * (an array) and returns 0, or returns -1 after cfg_fail() on the new config. */
typedef int(stage_reload_fn)(stage_t *st, cfg_t *fresh, json_t *reply, void *arg);
void stage_on_reload(stage_t *self, stage_reload_fn *fn, void *arg);

/* Extra fields for `status` replies. */
typedef void(stage_status_fn)(stage_t *st, json_t *status, void *arg);
void stage_on_status(stage_t *self, stage_status_fn *fn, void *arg);

/* Run the loop until SIGTERM/SIGINT or a handler returns -1. Returns 0 on a signal, -1 when a
 * handler stopped it. */
int stage_run(stage_t *self);

/* Publish barrier `b` on the stage's PUB as this stage's own: topic "sys.barrier", evt =
 * b->ts_event, connection counts dropped (they are venue-sim -> feed only). A failure is
 * logged. Returns 0, or -1 with errno from bus_publish. */
int stage_forward_barrier(stage_t *self, const codec_sys_barrier_t *b);

/* Connect `sub` to the PUB of every instance of `role` named under "endpoints" ("feed" ->
 * feed.0, feed.1, ...), and register each instance as an input of `step` (may be NULL) with
 * `rank` and `feedback` (step.h). Returns the number of instances connected (0 if the config
 * names none), or -1 after logging which endpoint failed and why (errno from zmq). */
int stage_connect_role(stage_t *self, bus_sub_t *sub, const char *role, step_t *step, int rank,
                       bool feedback);

/* Ask the loop to return (from a handler). */
void stage_stop(stage_t *self);

bool stage_signalled(void); /* SIGTERM/SIGINT seen (SIGHUP reloads: stage_on_reload) */

/* Common main() prologue: parse "-c FILE -i INSTANCE [-l LEVEL]", load the config, init
 * logging. On error prints the reason to stderr and returns NULL; *exit_code is set. */
cfg_t *stage_boot(int argc, char **argv, const char *role, char *instance, size_t cap,
                  int *exit_code);

#endif /* TP_STAGE_H */
