/*  config.c - the feed stage's configuration (see config.h). */
#include "feed/config.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/codec.h"

/* feed.instruments[i] -> instrs. 0 or -1 (cfg_error). */
static int
s_load_instruments(cfg_t *cfg, instr_table_t *t)
{
    static const char *const known[] = { "venue",   "category",     "symbol", "tick", "step",
                                         "min_qty", "min_notional", "source", NULL };
    int n = cfg_array_len(cfg, "feed.instruments");
    if (n < 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char base[48], p[96];
        const char *venue, *cat, *sym, *tick, *step, *minq, *minn, *src;
        snprintf(base, sizeof base, "feed.instruments[%d]", i);
#define S_KEY(k) (snprintf(p, sizeof p, "%s.%s", base, (k)), p)
        if (cfg_check_keys(cfg, base, known) != 0 || cfg_str(cfg, S_KEY("venue"), NULL, &venue)
            || cfg_str(cfg, S_KEY("category"), "", &cat)
            || cfg_str(cfg, S_KEY("symbol"), NULL, &sym) || cfg_str(cfg, S_KEY("tick"), NULL, &tick)
            || cfg_str(cfg, S_KEY("step"), NULL, &step)
            || cfg_str(cfg, S_KEY("min_qty"), NULL, &minq)
            || cfg_str(cfg, S_KEY("min_notional"), "0", &minn)
            || cfg_str(cfg, S_KEY("source"), "", &src)) {
            return -1;
        }
#undef S_KEY
        if (!json_is_object(cfg_json(cfg, base))) {
            return cfg_fail(cfg, base, "expected an object");
        }
        instr_t in;
        if (instr_from_strings(&in, venue, cat, sym, tick, step, minq, minn) != 0) {
            return cfg_fail(cfg, base, "bad instrument rules (tick, step, min_qty, min_notional)");
        }
        if (instr_table_put(t, &in) != 0) {
            return cfg_fail(cfg, base, "too many instruments");
        }
    }
    return 0;
}

bool
feed_config_replay(cfg_t *cfg)
{
    const char *mode;
    return cfg_str(cfg, "mode", "replay", &mode) != 0 || strcmp(mode, "live") != 0;
}

int
feed_config_read(cfg_t *cfg, const char *instance, bool replay, instr_table_t *instrs,
                 feed_config_t *out)
{
    static const char *const known[] = { "book_levels",     "connections",        "instruments",
                                         "rest_timeout_ms", "skew_warn_ms",       "announce_s",
                                         "max_refused_pct", "refused_min_frames", NULL };
    assert(cfg && instance && instrs && out);
    feed_config_t c;
    memset(&c, 0, sizeof c);
    if (cfg_check_keys(cfg, "feed", known) != 0
        || cfg_int(cfg, "feed.book_levels", 10, 1, CODEC_LEVELS, false, &c.book_levels) != 0
        || cfg_int(cfg, "feed.rest_timeout_ms", 5000, 100, 60000, false, &c.rest_timeout_ms) != 0
        || cfg_int(cfg, "feed.skew_warn_ms", 1000, 1, 3600000, false, &c.skew_warn_ms) != 0
        || cfg_int(cfg, "feed.announce_s", 30, 0, 86400, false, &c.announce_s) != 0
        /* feed.max_refused_pct: decimal percent, 0..100 (100 = no bound) */
        || cfg_money(cfg, "feed.max_refused_pct", 2, "1", 0, 10000, &c.refused_max_bp) != 0
        || cfg_int(cfg, "feed.refused_min_frames", 1000, 1, INT64_C(1000000000), false,
                   &c.refused_min_frames)
               != 0
        || s_load_instruments(cfg, instrs) != 0) {
        return -1;
    }
    int n = cfg_array_len(cfg, "feed.connections");
    if (n < 0) {
        return -1;
    }
    if (n == 0 || n > CONN_MAX) {
        return cfg_fail(cfg, "feed.connections", "expected 1..%d connections, got %d", CONN_MAX, n);
    }
    char feeds[CONN_MAX][32];
    size_t n_feeds = cfg_instances(cfg, "feed", feeds, CONN_MAX);
    for (int i = 0; i < n; i++) {
        /* scale-out: a connection with "instance" is served by that feed instance only
         * (each instance its own symbols and PUB endpoint); without it, by every instance */
        char key[64];
        const char *owner, *label;
        snprintf(key, sizeof key, "feed.connections[%d]", i);
        if (!json_is_object(cfg_json(cfg, key))) {
            return cfg_fail(cfg, key, "expected an object");
        }
        snprintf(key, sizeof key, "feed.connections[%d].instance", i);
        if (cfg_str(cfg, key, "", &owner) != 0) {
            return -1;
        }
        if (owner[0]) {
            size_t f = 0;
            while (f < n_feeds && strcmp(feeds[f], owner) != 0) {
                f++;
            }
            if (f == n_feeds) {
                return cfg_fail(cfg, key,
                                "\"%s\" is not a feed instance under \"endpoints\" (its symbols "
                                "would never be served)",
                                owner);
            }
        }
        if (owner[0] && strcmp(owner, instance) != 0) {
            continue;
        }
        snprintf(key, sizeof key, "feed.connections[%d].label", i);
        if (cfg_str(cfg, key, NULL, &label) != 0) {
            return -1;
        }
        for (size_t k = 0; k < c.n_conn; k++) {
            char other[64];
            const char *ol;
            snprintf(other, sizeof other, "feed.connections[%zu].label", c.conn[k]);
            if (cfg_str(cfg, other, NULL, &ol) == 0 && strcmp(ol, label) == 0) {
                return cfg_fail(cfg, key, "label \"%s\" used twice (also %s)", label, other);
            }
        }
        c.conn[c.n_conn++] = (size_t)i;
    }
    if (c.n_conn == 0) {
        return cfg_fail(cfg, "feed.connections", "no connection for instance %s", instance);
    }
    if (replay && cfg_endpoint(cfg, "venue-sim.0", "pub", c.sim_ep, sizeof c.sim_ep) != 0) {
        return -1;
    }
    *out = c;
    return 0;
}

int
feed_sessions_new(cfg_t *cfg, const feed_config_t *fc, const session_env_t *env, conn_ctx_t *ctx,
                  session_t **sess, size_t *n_built)
{
    assert(cfg && fc && env && ctx && sess && n_built);
    *n_built = 0;
    for (size_t i = 0; i < fc->n_conn; i++) {
        sess[i] = session_new(cfg, fc->conn[i], env, ctx);
        if (!sess[i]) {
            return -1; /* errno from session_new */
        }
        (*n_built)++;
    }
    return 0;
}

int
feed_config_check(cfg_t *cfg, const char *instance, instr_table_t *instrs, session_info_t *info,
                  size_t *n_info)
{
    assert(cfg && instance);
    feed_config_t fc;
    bool replay = feed_config_replay(cfg);
    instr_table_t *own = instrs ? NULL : instr_table_new();
    instr_table_t *t = instrs ? instrs : own;
    int rc = -1;
    if (!t) {
        return cfg_fail(cfg, "feed", "cannot check: out of memory");
    }
    if (cfg_check_instance(cfg, instance) != 0
        || feed_config_read(cfg, instance, replay, t, &fc) != 0) {
        goto done;
    }
    for (size_t i = 0; i < fc.n_conn; i++) {
        if (session_config_check(cfg, fc.conn[i], replay, t, info ? &info[i] : NULL) != 0) {
            if (errno != EINVAL) {
                (void)cfg_fail(cfg, "feed.connections", "cannot check: %s", strerror(errno));
            }
            goto done;
        }
    }
    if (n_info) {
        *n_info = fc.n_conn;
    }
    rc = 0;
done:
    instr_table_destroy(&own);
    return rc;
}
