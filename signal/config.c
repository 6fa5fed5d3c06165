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
