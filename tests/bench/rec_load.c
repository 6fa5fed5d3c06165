/*  rec_load - a load publisher for recorder tests and benchmarks: binds the PUB of a config
 *  instance (default feed.0) and publishes md.trade messages (real codec bodies) as fast as it
 *  can or at a given rate, until a count is reached or SIGTERM.
 *  Usage: build/bin/rec_load -c CONFIG [-i INSTANCE] [--count N] [--rate MSGS_PER_S]
 *  Prints "published N" on stdout when it stops.
 *  Exit codes: 0 done, 2 bad arguments/config, 3 cannot bind.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <czmq.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/curve.h"
#include "common/log.h"

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

int
main(int argc, char **argv)
{
    const char *cfg_path = NULL, *inst = "feed.0";
    long long count = 0, rate = 0;
    char err[512], ep[512];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            cfg_path = argv[++i];
        } else if (strcmp(argv[i], "-i") == 0 && i + 1 < argc) {
            inst = argv[++i];
        } else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            count = atoll(argv[++i]);
        } else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc) {
            rate = atoll(argv[++i]);
        } else {
            fprintf(stderr, "usage: rec_load -c CONFIG [-i INSTANCE] [--count N] [--rate R]\n");
            return 2;
        }
    }
    if (cfg_path == NULL || count < 0 || rate < 0) {
        fprintf(stderr, "usage: rec_load -c CONFIG [-i INSTANCE] [--count N] [--rate R]\n");
        return 2;
    }
    log_init("rec_load", LOG_WARN);
    cfg_t *cfg = cfg_load(cfg_path, err, sizeof err);
    if (cfg == NULL) {
        fprintf(stderr, "rec_load: %s\n", err);
        return 2;
    }
    if (cfg_endpoint(cfg, inst, "pub", ep, sizeof ep) < 0) {
        fprintf(stderr, "rec_load: %s\n", cfg_error(cfg));
        cfg_destroy(&cfg);
        return 2;
    }
    zsys_handler_set(NULL);
    if (curve_configure(cfg, inst) < 0) {
        fprintf(stderr, "rec_load: CURVE setup failed: %s\n", strerror(errno));
        cfg_destroy(&cfg);
        return 3;
    }
    signal(SIGTERM, s_on_signal);
    signal(SIGINT, s_on_signal);
    bus_pub_t *pub = bus_pub_new(ep, inst, 0);
    if (pub == NULL) {
        cfg_destroy(&cfg);
        return 3;
    }
    zclock_sleep(300); /* let subscribers join (PUB/SUB slow joiner) */
    codec_md_trade_t t;
    memset(&t, 0, sizeof t);
    (void)snprintf(t.venue, sizeof t.venue, "bybit-linear");
    (void)snprintf(t.symbol, sizeof t.symbol, "BTCUSDT");
    t.px_scale = 2;
    t.qty_scale = 3;
    long long n = 0;
    int64_t t0 = clock_mono_ns();
    const int64_t evt0 = 1761955200000000000LL; /* 2025-11-01T00:00:00Z */
    while (!s_stop && (count == 0 || n < count)) {
        t.px = 6500000 + (n % 1000);
        t.qty = 1 + (n % 50);
        t.side = (n % 2) ? 1 : -1;
        t.ts_event = evt0 + n * 1000000;
        t.ts_recv = clock_wall_ns();
        (void)snprintf(t.trade_id, sizeof t.trade_id, "t%lld", n);
        if (bus_publish(pub, "md.trade.bybit-linear.BTCUSDT", CODEC_MD_TRADE, &t, t.ts_event,
                        t.ts_recv)
            == 0) {
            n++;
        }
        if (rate > 0) {
            /* pace: message n is due at t0 + n / rate seconds */
            int64_t due = t0 + (int64_t)((double)n * 1e9 / (double)rate);
            int64_t now = clock_mono_ns();
            if (due > now) {
                struct timespec ts = { .tv_sec = (due - now) / 1000000000LL,
                                       .tv_nsec = (due - now) % 1000000000LL };
                (void)nanosleep(&ts, NULL);
            }
        }
    }
    zclock_sleep(200); /* let the last messages leave before the socket closes */
    printf("published %lld\n", n);
    if (curve_enabled()) {
        printf("curve: %llu accepted, %llu refused\n", (unsigned long long)curve_accepted(),
               (unsigned long long)curve_refused());
    }
    curve_shutdown();
    bus_pub_destroy(&pub);
    cfg_destroy(&cfg);
    return 0;
}
