/*  config.c - the signal stage's configuration (see config.h). */
#include "signal/config.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"

int
signal_config_read(cfg_t *cfg, signal_config_t *out)
{
    assert(cfg && out);
    signal_config_t c;
    memset(&c, 0, sizeof c);
    c.n_feeds = cfg_instances(cfg, "feed", c.feeds, SIGNAL_MAX_FEEDS);
    if (c.n_feeds == 0) {
        return cfg_fail(cfg, "endpoints", "no endpoints.feed.* to subscribe to");
    }
    for (size_t i = 0; i < c.n_feeds; i++) {
        if (cfg_endpoint(cfg, c.feeds[i], "pub", c.feed_eps[i], sizeof c.feed_eps[i]) != 0) {
            return -1;
        }
    }
    if (cfg_int(cfg, "signal.warmup_bars", 0, 0, 10000, false, &c.warmup_bars) != 0
        || cfg_int(cfg, "signal.warmup_timeout_ms", 2000, 10, 60000, false, &c.warmup_timeout_ms)
               != 0
        || cfg_bool(cfg, "signal.warmup_rest", true, &c.warmup_rest) != 0
        || cfg_int(cfg, "signal.warmup_trades", 100000, 0, 1000000, false, &c.warmup_trades) != 0
        || cfg_int(cfg, "venue_sim.step_ms", 100, 1, INT64_MAX / CLOCK_NS_PER_MS, false, &c.step_ms)
               != 0) {
        return -1;
    }
    if (c.warmup_bars > 0 && cfg_has(cfg, "endpoints.recorder.0.history")
        && cfg_endpoint(cfg, "recorder.0", "history", c.history_ep, sizeof c.history_ep) != 0) {
        return -1;
    }
    *out = c;
    return 0;
}

engine_t *
signal_engine_new(cfg_t *cfg, engine_pub_fn *pub, void *arg)
{
    assert(cfg);
    engine_t *eng = engine_new(pub, arg);
    if (!eng) {
        return NULL;
    }
    if (engine_configure(eng, cfg) != 0) {
        engine_destroy(&eng);
        errno = EINVAL;
        return NULL;
    }
    return eng;
}

/* The check's engine publishes nothing: no message reaches it. */
static int
s_no_pub(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
         int64_t origin)
{
    (void)arg;
    (void)topic;
    (void)type;
    (void)body;
    (void)evt;
    (void)origin;
    return 0;
}

int
signal_config_check(cfg_t *cfg, const char *instance)
{
    assert(cfg && instance);
    signal_config_t c;
    if (cfg_check_instance(cfg, instance) != 0) {
        return -1;
    }
    engine_t *eng = signal_engine_new(cfg, s_no_pub, NULL);
    if (!eng) {
        if (errno != EINVAL) {
            return cfg_fail(cfg, "signal", "cannot build the engine: %s", strerror(errno));
        }
        return -1;
    }
    engine_destroy(&eng);
    return signal_config_read(cfg, &c);
}

static const stage_key_t k_reload_keys[] = {
    { "signal.strategies[*].stop_pct", true },
    { "signal.strategies[*].take_profit_pct", true },
    { "signal.strategies[*].rsi_long_max", true },
    { "signal.strategies[*].rsi_exit_min", true },
    { "signal.strategies[*].long_only", true },
    { "venue_sim.step_ms", false },
    { "feed.connections[*].venue", false },
    { "feed.connections[*].protocol", false },
    { "feed.connections[*].rest", false },
    { "feed.connections[*].spot", false },
    { "feed.connections[*].category", false },
    { "feed.instruments", false },
    { "sessions", false },
};

const stage_key_t *
signal_config_keys(size_t *n)
{
    assert(n);
    *n = sizeof k_reload_keys / sizeof k_reload_keys[0];
    return k_reload_keys;
}

int
signal_config_reload(engine_t *eng, cfg_t *fresh)
{
    assert(eng && fresh);
    signal_config_t sc;
    engine_t *twin = signal_engine_new(fresh, s_no_pub, NULL);
    if (!twin) {
        return errno == EINVAL ? -1
                               : cfg_fail(fresh, "signal", "cannot reload: %s", strerror(errno));
    }
    int rc = -1;
    if (signal_config_read(fresh, &sc) != 0) {
        goto done;
    }
    size_t n = engine_n_strategies(eng);
    if (engine_n_strategies(twin) != n) {
        (void)cfg_fail(fresh, "signal.strategies",
                       "%zu strategies, the running stage has %zu: needs a restart",
                       engine_n_strategies(twin), n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const strategy_t *a = engine_strategy(eng, i), *b = engine_strategy(twin, i);
        if (strcmp(strategy_name(a), strategy_name(b)) != 0
            || strcmp(strategy_type(a), strategy_type(b)) != 0) {
            char key[64];
            snprintf(key, sizeof key, "signal.strategies[%zu]", i);
            (void)cfg_fail(fresh, key, "not the running strategy \"%s\": needs a restart",
                           strategy_name(a));
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++) {
        (void)strategy_retune(engine_strategy(eng, i), engine_strategy(twin, i)); /* same type */
    }
    rc = 0;
done:
    engine_destroy(&twin);
    return rc;
}
