/*  config.h - the signal stage's configuration read in one place: signal.* and the keys of
 *  other sections the stage depends on (endpoints.feed.*.pub, endpoints.recorder.0.history,
 *  venue_sim.step_ms), and the engine built from it. The stage (signal/main.c), the
 *  check-config tool and a future in-process backtest all go through these functions, so a
 *  config they accept is one the stage accepts (docs/config.md "signal").
 *  Owns:  nothing past a call (signal_config_t is a plain value).
 *  Errors: -1/EINVAL with "file:line: key: why" in cfg_error(cfg); ENOMEM where noted.
 */
#ifndef TP_SIGNAL_CONFIG_H
#define TP_SIGNAL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/stage.h"
#include "signal/engine.h"

#define SIGNAL_MAX_FEEDS 8

/* Everything the stage reads at start besides what engine_configure reads. */
typedef struct {
    size_t n_feeds;                       /* feed instances under "endpoints", >= 1 */
    char feeds[SIGNAL_MAX_FEEDS][32];     /* their names ("feed.0"), file order */
    char feed_eps[SIGNAL_MAX_FEEDS][256]; /* their PUB endpoints, "{run}" expanded */
    int64_t warmup_bars;                  /* signal.warmup_bars, 0 = no warm-up */
    int64_t warmup_timeout_ms;            /* signal.warmup_timeout_ms */
    bool warmup_rest;                     /* signal.warmup_rest */
    int64_t warmup_trades;                /* signal.warmup_trades */
    int64_t step_ms;                      /* venue_sim.step_ms (a replay step, ms) */
    char history_ep[256];                 /* endpoints.recorder.0.history, "{run}"
                                             expanded, when warmup_bars > 0 and the key is
                                             there; else "" */
} signal_config_t;

/* Read the stage settings into *out (untouched on failure). Reads only: no socket, no file.
 * 0, or -1/EINVAL (cfg_error names the key; also when no feed instance is configured). */
int signal_config_read(cfg_t *cfg, signal_config_t *out);

/* The stage's engine: engine_new(pub, arg) configured from signal.* (engine_configure:
 * strategies, trade_bars, bar_grace_ms, indicators, mtf). Returns the engine (destroy with
 * engine_destroy), or NULL with errno EINVAL (bad config, in cfg_error) or ENOMEM. */
engine_t *signal_engine_new(cfg_t *cfg, engine_pub_fn *pub, void *arg);

/* Validate everything the stage `instance` ("signal.0") reads at start, exactly as it reads
 * it, without side effects (nothing is bound, connected, fetched or written): the engine is
 * built and destroyed again. 0, or -1/EINVAL with the first error in cfg_error(cfg). */
int signal_config_check(cfg_t *cfg, const char *instance);

/* The key patterns of the signal stage for `ctl reload` (common/stage.h stage_reload_keys):
 * reloadable, applied between two steps by signal_config_reload:
 *   signal.strategies[*].stop_pct, .take_profit_pct   (ema_cross_rsi, razor, ensemble)
 *   signal.strategies[*].rsi_long_max, .rsi_exit_min, .long_only   (ema_cross_rsi)
 * restart: every other key of "signal" (the stage's default), venue_sim.step_ms, and the
 * feed keys the REST warm-up reads (feed.connections[*].venue, .protocol, .rest, .spot,
 * .category, feed.instruments). Static storage; *n = how many. */
const stage_key_t *signal_config_keys(size_t *n);

/* Apply a reloaded config to the running engine: the fresh config is read exactly as at
 * start (signal_engine_new and signal_config_read: any bad value refuses the reload with
 * file:line: key in cfg_error(fresh)), then every strategy takes its reloadable parameters
 * from its fresh twin (strategy_retune), keeping its state. The strategies must be the same,
 * in the same order (names and types are restart-only). 0, or -1/EINVAL having changed
 * nothing. */
int signal_config_reload(engine_t *eng, cfg_t *fresh);

#endif /* TP_SIGNAL_CONFIG_H */
