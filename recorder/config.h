/*  config.h - everything the recorder stage reads from the config file, read and checked in
 *  one place (issue 16: recorder/main.c is wiring only).
 *  Owns:  recorder_config_t, a plain value (strings copied in).
 *  Not:   the database (recorder/writer), sockets, the stage loop.
 *  Keys (docs/config.md "recorder"): recorder.db, recorder.batch_max, recorder.batch_ms,
 *  recorder.rcvhwm; endpoints.<instance>.history (optional). An unknown key in "recorder" is
 *  an error naming it. Every recorder key needs a restart (the writer and the SUB are sized
 *  and opened from them).
 *  Errors: 0, or -1 with errno EINVAL and cfg_error(cfg) = "<file>:<line>: <key>: <why>".
 */
#ifndef TP_RECORDER_CONFIG_H
#define TP_RECORDER_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"

typedef struct {
    char db[512];         /* recorder.db, "{run}" expanded ("{run}/tradepipe.db") */
    int64_t batch_max;    /* messages per transaction, 1..1000000 (5000) */
    int64_t batch_ms;     /* ms a batch may wait before it commits, 1..60000 (200) */
    int64_t rcvhwm;       /* SUB receive high-water mark, messages, 1000..1e8 (1000000) */
    bool history;         /* endpoints.<instance>.history is set */
    char history_ep[512]; /* that endpoint, "{run}" expanded ("" when not set) */
} recorder_config_t;

/* Read and check everything recorder instance `instance` ("recorder.0") reads into *out.
 * 0, or -1/EINVAL with cfg_error(cfg) naming file, line and key. */
int recorder_config_read(cfg_t *cfg, const char *instance, recorder_config_t *out);

/* Validate exactly as the stage does at start, without side effects (the check-config tool's
 * contract): 0, or -1/EINVAL with cfg_error(cfg) naming file:line: key. */
int recorder_config_check(cfg_t *cfg, const char *instance);

/* The whole config of `cfg` as compact JSON (placeholders unexpanded) with every secret value
 * replaced by "(hidden)": members named "secret", "key", "password", "token", or containing
 * "secret" / "password" / "api_key". What the writer records in runs.config
 * (writer_set_run_config). Caller frees. NULL with errno ENOMEM. */
char *recorder_config_dump(const cfg_t *cfg);

#endif /* TP_RECORDER_CONFIG_H */
