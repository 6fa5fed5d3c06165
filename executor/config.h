/*  config.h - everything the executor stage reads from the config file, read and checked in
 *  one place (issue 16: the stage binary and an in-process backtest build the executor the
 *  same way; executor/main.c is wiring only).
 *  Owns:  executor_config_t, a plain value holding copies of every string; exec.venue's
 *         pointers point into the same struct, so it must not be copied or moved once read.
 *  Not:   sockets, the stage loop, the venue itself (exec_new builds it from exec).
 *  Keys (docs/config.md "executor"): every key of "executor" and "account";
 *  endpoints.<instance>.orders. An unknown key in "executor" or "account" is an error naming
 *  it. Credentials of the live venue: BYBIT_API_KEY + BYBIT_API_SECRET (passed in by main.c,
 *  the only reader of the environment), else executor.key_file (owner-only, "key\nsecret\n").
 *  Secrets are never put in an error text; executor_config_wipe erases them.
 *  Errors: 0, or -1 with errno EINVAL and cfg_error(cfg) = "<file>:<line>: <key>: <why>".
 */
#ifndef TP_EXEC_CONFIG_H
#define TP_EXEC_CONFIG_H

#include <stdint.h>

#include "common/cfg.h"
#include "common/stage.h"
#include "executor/exec.h"

#define EXEC_LEV_SYMBOLS_MAX 32

typedef struct {
    exec_cfg_t exec;       /* venue and paper rules; main.c sets instance, epoch_ns, venue.loop */
    char orders_ep[256];   /* endpoints.<instance>.orders, "{run}" expanded */
    char venue_name[16];   /* executor.venue: "paper" | "bybit" */
    char asset[12];        /* account.asset */
    char paper_state[512]; /* executor.paper_state, "{run}" expanded ("" = off) */
    /* live venue ("bybit") only */
    char key[128];    /* never logged; wiped by executor_config_wipe */
    char secret[256]; /* never logged; wiped by executor_config_wipe */
    char base_url[256];
    char journal[512];
    char ws_url[300];
    char category[16];
    int64_t poll_ms; /* 0 for the paper venue (no poll timer) */
    /* symbols of feed.connections[] whose venue is this one: their leverage is set to
     * executor.leverage at start (docs/executor.md "Leverage cap") */
    char lev_symbols[EXEC_LEV_SYMBOLS_MAX][CODEC_SYM_MAX];
    size_t n_lev_symbols;
} executor_config_t;

/* Read and check everything executor instance `instance` ("executor.0") reads into *out.
 * env_key/env_secret: BYBIT_API_KEY / BYBIT_API_SECRET from the environment (NULL or "" =
 * unset; both set = used instead of executor.key_file). On failure the secrets in *out are
 * already wiped. 0, or -1/EINVAL with cfg_error(cfg) naming file, line and key. */
int executor_config_read(cfg_t *cfg, const char *instance, const char *env_key,
                         const char *env_secret, executor_config_t *out);

/* Validate exactly as the stage does at start, without side effects (the check-config tool's
 * contract): 0, or -1/EINVAL with cfg_error(cfg) naming file:line: key. One difference: the
 * live venue's credentials may come from the environment at start, so missing credentials
 * are not an error here; a key_file that is set is checked (mode, two lines) and its content
 * wiped at once. */
int executor_config_check(cfg_t *cfg, const char *instance);

/* Erase the credentials in *c (OPENSSL_cleanse): call once exec_new has taken its copy. */
void executor_config_wipe(executor_config_t *c);

/* The executor's key patterns for the generic reload (common/stage.h stage_reload_keys):
 * "account" (restart) and the two keys `ctl reload` applies (exec_set_paper_rules):
 * executor.paper_trigger_by and executor.paper_latency_ms. Every other "executor" key needs a
 * restart: fees and the slippage cap (paper persistence replays its fills at the rates in
 * the file, so a rate changed mid-run would rewrite the restored account), the venue, its
 * URLs, credentials and journal. Static table; *n gets its length. */
const stage_key_t *executor_config_keys(size_t *n);

#endif /* TP_EXEC_CONFIG_H */
