/*  config.h - everything the risk stage reads from the config file, read and checked in one
 *  place, and the engine built from it (issue 16: the stage binary and an in-process backtest
 *  build their engines the same way; risk/main.c is wiring only).
 *  Owns:  nothing past a call: risk_config_t is a plain value (strings copied in).
 *  Not:   sockets, the state file's content (risk/main.c loads and writes it), the stage loop.
 *  Keys (docs/config.md "risk"): every key of "risk", "risk.scale", "risk.exits" and
 *  "account"; feed.instruments (the preload list); endpoints.executor.0.orders / .ctl.
 *  An unknown key at any object level of "risk" (risk, risk.scale, risk.exits) or "account"
 *  is an error naming it.
 *  Errors: 0, or -1 with errno EINVAL and cfg_error(cfg) = "<file>:<line>: <key>: <why>".
 *  Reload (docs/config.md says which key is which): risk_config_reloadable lists the key
 *  patterns `ctl reload` may change live; risk_engine_reconfigure (risk/engine.h) applies them.
 */
#ifndef TP_RISK_CONFIG_H
#define TP_RISK_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/instr.h"
#include "common/stage.h"
#include "risk/engine.h"

#define RISK_CONFIG_INSTR_MAX 256 /* feed.instruments entries preloaded (instr_table capacity) */

typedef struct {
    risk_engine_cfg_t engine; /* limits, sizing, scale, stops, exits, breakers */
    char state_path[512];     /* risk.state_file, "{run}" expanded (restart) */
    char orders_ep[256];      /* endpoints.executor.0.orders (restart) */
    char exec_ctl[256];       /* endpoints.executor.0.ctl (restart) */
    int64_t timeout_ms;       /* risk.order_timeout_ms, per attempt (restart) */
    int64_t retries;          /* risk.order_retries (restart) */
    size_t n_instr;           /* feed.instruments preloaded into the engine */
    instr_t instr[RISK_CONFIG_INSTR_MAX];
} risk_config_t;

/* Read and check everything risk instance `instance` ("risk.0") reads into *out. On failure
 * *out is unspecified (partly written). 0, or -1/EINVAL with cfg_error(cfg) naming file, line
 * and key. No side effect beyond *out and cfg's error text. */
int risk_config_read(cfg_t *cfg, const char *instance, risk_config_t *out);

/* Validate exactly as the stage does at start, without side effects: 0, or -1/EINVAL with
 * cfg_error(cfg) naming file:line: key (the check-config tool's contract). */
int risk_config_check(cfg_t *cfg, const char *instance);

/* The engine built from rc: risk_engine_new(&rc->engine, io) plus the preloaded instruments.
 * NULL with errno EINVAL (bad values: cannot happen for a config risk_config_read accepted),
 * ENOSPC (instrument table full) or ENOMEM. Caller frees with risk_engine_destroy. */
risk_engine_t *risk_config_engine_new(const risk_config_t *rc, const risk_io_t *io);

/* Risk's key patterns for the generic reload (common/stage.h stage_reload_keys): the other
 * sections it reads ("account", "feed.instruments": restart) and the keys of "risk" that
 * `ctl reload` applies through risk_engine_reconfigure (every other "risk" key - state_file,
 * order_timeout_ms, order_retries - needs a restart). Static table; *n gets its length. */
const stage_key_t *risk_config_keys(size_t *n);

#endif /* TP_RISK_CONFIG_H */
