/*  config.h - the feed stage's configuration read in one place: feed.* (settings, the
 *  instrument rules, which connections an instance serves) and the keys of other sections it
 *  depends on (endpoints.venue-sim.0.pub in replay), and the sessions built from it. The stage
 *  (feed/main.c), the check-config tool and a future in-process backtest all go through these
 *  functions (docs/config.md "feed").
 *  Owns:  nothing past a call (feed_config_t is a plain value).
 *  Errors: -1/EINVAL with "file:line: key: why" in cfg_error(cfg); ENOMEM where noted.
 */
#ifndef TP_FEED_CONFIG_H
#define TP_FEED_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/instr.h"
#include "feed/conn.h"
#include "feed/session.h"

typedef struct {
    int64_t book_levels;        /* feed.book_levels: md.book levels per side */
    int64_t rest_timeout_ms;    /* feed.rest_timeout_ms */
    int64_t skew_warn_ms;       /* feed.skew_warn_ms */
    int64_t announce_s;         /* feed.announce_s (live: md.instrument repeated; 0 = off) */
    int64_t refused_max_bp;     /* feed.max_refused_pct at scale 2 (basis points; 10000 = no
                                   bound): refused frames of a connection at most this share */
    int64_t refused_min_frames; /* feed.refused_min_frames: frames before the bound applies */
    size_t n_conn;              /* connections this instance serves (>= 1) */
    size_t conn[CONN_MAX];      /* their indexes in feed.connections, file order */
    char sim_ep[256];           /* replay: endpoints.venue-sim.0.pub ("{run}" expanded), else "" */
} feed_config_t;

/* Read the settings of instance `instance` ("feed.0") into *out (untouched on failure) and
 * the rules of feed.instruments into `instrs`: every feed.* key except the connections' own
 * (session_new reads those); which connections are the instance's ("instance" absent = every
 * instance's; an "instance" that names no feed instance under "endpoints" is refused); the
 * labels of the instance's connections are distinct. `replay`: the config's mode is
 * "replay". Reads only: no socket, no network. 0, or -1/EINVAL. */
int feed_config_read(cfg_t *cfg, const char *instance, bool replay, instr_table_t *instrs,
                     feed_config_t *out);

/* Build the sessions of the instance: session_new(cfg, fc->conn[i], env, ctx) into sess[i]
 * for i < fc->n_conn (sess has CONN_MAX slots). 0, or -1 with errno EINVAL (bad connection
 * config, in cfg_error) or ENOMEM; the sessions built before the failure stay in sess[] for
 * the caller to destroy (*n_built says how many). */
int feed_sessions_new(cfg_t *cfg, const feed_config_t *fc, const session_env_t *env,
                      conn_ctx_t *ctx, session_t **sess, size_t *n_built);

/* Validate everything the stage `instance` reads at start, exactly as it reads it, without
 * side effects (nothing bound, connected or fetched; exchange_info files are read):
 * feed_config_read and session_config_check of each of its connections. `instrs` (may be
 * NULL) receives the rules the config gives (feed.instruments, exchange_info); info[CONN_MAX]
 * (may be NULL) what each of the instance's connections says (*n_info of them).
 * 0, or -1/EINVAL with the first error in cfg_error(cfg). */
int feed_config_check(cfg_t *cfg, const char *instance, instr_table_t *instrs, session_info_t *info,
                      size_t *n_info);

/* The config's "mode" is "replay" (the default). A bad value reads as replay (stage_boot and
 * check-config refuse it). */
bool feed_config_replay(cfg_t *cfg);

#endif /* TP_FEED_CONFIG_H */
