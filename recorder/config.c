/*  config.c - the recorder's config reader (contract in config.h). */
#include "recorder/config.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>

#include <jansson.h>
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

static bool
s_secret_key(const char *k)
{
    return strcmp(k, "secret") == 0 || strcmp(k, "key") == 0 || strcmp(k, "password") == 0
           || strcmp(k, "token") == 0 || strstr(k, "secret") != NULL
           || strstr(k, "password") != NULL || strstr(k, "api_key") != NULL;
}

/* Replace the values of secret members, recursively (v is a private deep copy). */
static int
s_hide(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m)
        {
            if (s_secret_key(k)) {
                if (json_object_set_new(v, k, json_string("(hidden)")) != 0) {
                    return -1;
                }
            } else if (s_hide(m) < 0) {
                return -1;
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
        {
            if (s_hide(m) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

char *
recorder_config_dump(const cfg_t *cfg)
{
    json_t *copy = json_deep_copy(cfg_json(cfg, ""));
    char *out = NULL;
    if (copy != NULL && s_hide(copy) == 0) {
        out = json_dumps(copy, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    json_decref(copy);
    if (out == NULL) {
        errno = ENOMEM;
    }
    return out;
}
