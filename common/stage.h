/*  stage.h - the loop every stage runs: zloop poll, SIGTERM/SIGINT, a 1 s heartbeat
 *  sys.hb.<stage> with counters, and a REP control socket answering `status` with JSON.
 *  Owns:  the zloop, the stage's PUB (bus_pub_t), the control REP, the counters.
 *  Not:   the stage's own logic (its modules), its SUB sockets (created by main.c and added
 *         with stage_add_sub).
 *  Signals: SIGTERM/SIGINT set a flag and make the loop return; SIGHUP sets a reload flag;
 *  SIGPIPE is ignored. czmq's own handler is disabled (zsys_handler_set(NULL)).
 *  Control protocol: a request is one text frame, a command word then optional arguments
 *  ("status", "reload", "pause", "kill"); the reply is one frame of JSON. `reload`: see
 *  "reload" below. `status` returns
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
cfg_t *stage_cfg(const stage_t *self); /* the config given to stage_new (see stage_cfg_current) */
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

/* ---- reload ---------------------------------------------------------------------------
 * `reload` (control command, or SIGHUP) reads the config file again and compares it, key by
 * key, with the config the stage runs on (the one it started with, or the last reload that
 * succeeded). Every key the stage reads is either reloadable (applied live) or needs a
 * restart; keys the stage does not read are not its business and are ignored.
 *
 * Which key is which comes from patterns. A pattern is a dotted key path as cfg.h writes it
 * ("risk.exits.trail_dist_pct", "feed.connections[1].url"), in which `*` stands for one whole
 * key (any characters but '.' and '[') and `[*]` for any array index; a pattern covers the
 * key it names and everything below it ("risk.exits" covers "risk.exits.timeout_s" and
 * "risk.exits.tp_ladder_pct[0]"). A changed key takes the rule of the longest pattern that
 * covers it (on a tie, "restart" wins); no pattern: ignored. Patterns every stage has:
 *   "log_level"                               reload (every stage applies it itself)
 *   "mode", "run_dir", "security", "endpoints" restart
 *   "<role>" (the instance name before '.', '-' as '_': "risk", "venue_sim")  restart
 * A stage adds its own with stage_reload_keys: the reloadable keys of its section, and
 * every other section it reads (restart), e.g. risk: {"account", false},
 * {"feed.instruments", false}, {"risk.risk_per_trade_pct", true}, {"risk.exits", true};
 * signal (strategy parameters): {"signal.strategies[*].params", true}.
 *
 * Comparison (jansson json_equal on each key, walking both documents): objects are walked
 * key by key (a key present on one side only is a change), arrays of the same length element
 * by element; anything else that differs is one changed key, e.g. "risk.max_open_positions",
 * "risk.exits.tp_ladder_pct[1]", or "risk.exits.tp_ladder_pct" when the length changed.
 *
 * Outcome, in this order; nothing is applied unless all of it passes:
 *   1. the file does not parse: {"ok":false,"error":"<file>:<line>:<col>: ..."}
 *   2. the stage registered a check (stage_on_check: its <stage>_config_check, the reader it
 *      used at start without side effects) and the whole file fails it - a bad value or an
 *      unknown key anywhere the stage reads, changed or not:
 *      {"ok":false,"error":"<file>:<line>: <key>: <why>"}
 *   3. a changed key needs a restart: {"ok":false,"error":"<file>:<line>: <key>: needs a
 *      restart","restart":[every such key]}
 *   4. log_level is not a level: {"ok":false,"error":"<file>:<line>: log_level: ..."}
 *   5. a reloadable key other than log_level changed and the stage registered a hook
 *      (stage_on_reload): the hook validates the whole fresh config with the reader the stage
 *      used at start, then applies; -1 (after cfg_fail on the fresh config) gives
 *      {"ok":false,"error":"<file>:<line>: <key>: <why>"} and must leave everything as it was
 *   6. {"ok":true,"reloaded":[the changed reloadable keys, file order]}; log_level applied;
 *      the fresh config becomes the one the next reload compares with.
 * A stage that reads a reloadable key but registers no hook would apply nothing: declare a
 * key reloadable only together with the hook that applies it.
 *
 * When: the control socket and the SIGHUP flag are served by the stage loop between two
 * handler calls. A step_t (common/step.h) releases a replay step inside one handler call
 * (step_push delivers every message of the step, then the barrier callback runs), so a reload
 * always lands between two steps: everything of step step_released() was handled with the
 * old values and everything after it is handled with the new ones. In live mode there are no
 * steps: it lands between two messages. */

typedef struct {
    const char *pattern; /* "risk.exits", "signal.strategies[*].params" (< 128 bytes) */
    bool reload;         /* true: `reload` applies it live; false: needs a restart */
} stage_key_t;

/* Add the stage's key patterns (copied; may be called more than once, at most 64 in all).
 * 0, or -1 with errno ENOSPC (too many) or EINVAL (empty or too long pattern). */
int stage_reload_keys(stage_t *self, const stage_key_t *keys, size_t n);

/* The check of step 2 above: validate the whole fresh config (borrowed for the call) exactly
 * as the stage does at start, with no side effect; 0, or -1 after cfg_fail() on `fresh`. */
typedef int(stage_check_fn)(stage_t *st, cfg_t *fresh, void *arg);
void stage_on_check(stage_t *self, stage_check_fn *fn, void *arg);

/* The hook of step 5 above: `fresh` is the newly loaded config (borrowed for the call; its
 * cfg_error() carries the refusal), `reply` the answer being built, whose "reloaded" array
 * already lists the changed reloadable keys (read it to apply only what changed; do not
 * remove from it). Return 0 when applied, or -1 after cfg_fail() on `fresh`, having changed
 * nothing. */
typedef int(stage_reload_fn)(stage_t *st, cfg_t *fresh, json_t *reply, void *arg);
void stage_on_reload(stage_t *self, stage_reload_fn *fn, void *arg);

/* Do what `reload` does now (the control command and SIGHUP call this; so do tests): fills
 * `reply` as above. 0 when applied ("ok":true), -1 when refused. */
int stage_reload(stage_t *self, json_t *reply);

/* The config the stage runs on now: the one given to stage_new until a reload succeeds, then
 * the last reloaded one. Borrowed: valid until the next successful reload (the one given to
 * stage_new stays valid as long as its owner keeps it; stage_cfg still returns that one). */
cfg_t *stage_cfg_current(const stage_t *self);

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
