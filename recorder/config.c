/*  config.c - the recorder's config reader (contract in config.h). */
#include "recorder/config.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static const char *const k_keys[] = { "db", "batch_max", "batch_ms", "rcvhwm", NULL };

int
recorder_config_read(cfg_t *cfg, const char *instance, recorder_config_t *out)
{
    assert(cfg && instance && out);
    memset(out, 0, sizeof *out);
    if (cfg_check_keys(cfg, "recorder", k_keys) < 0
        || cfg_path_str(cfg, "recorder.db", "{run}/tradepipe.db", out->db, sizeof out->db) < 0
        || cfg_int(cfg, "recorder.batch_max", 5000, 1, 1000000, false, &out->batch_max) < 0
        || cfg_int(cfg, "recorder.batch_ms", 200, 1, 60000, false, &out->batch_ms) < 0
        || cfg_int(cfg, "recorder.rcvhwm", 1000000, 1000, 100000000, false, &out->rcvhwm) < 0) {
        return -1;
    }
    char key[96];
    (void)snprintf(key, sizeof key, "endpoints.%s.history", instance);
    if (cfg_has(cfg, key)) {
        if (cfg_endpoint(cfg, instance, "history", out->history_ep, sizeof out->history_ep) < 0) {
            return -1;
        }
        out->history = true;
    }
    return 0;
}

int
recorder_config_check(cfg_t *cfg, const char *instance)
{
    recorder_config_t rc;
    return recorder_config_read(cfg, instance, &rc);
}
