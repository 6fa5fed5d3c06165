/*  tap - print a stage's messages live, one line each.
 *  Usage: build/bin/tap -c config/default.json STAGE [PREFIX...] [--json] [--count N]
 *    STAGE   an instance ("feed.0") or a role ("feed" = every feed.* instance)
 *    PREFIX  topic prefixes to subscribe to (default "": everything)
 *    --json  print each whole message as JSON (codec_to_json) instead of the text line
 *    --as    whose CURVE certificate to use on tcp:// endpoints when security.curve is on
 *            (default "tap": <keys_dir>/tap.key; make it with build/bin/keys --name tap)
 *    --count stop after N messages
 *    --stats per topic every --interval S (default 1): messages, messages/s, gaps, and latency
 *            from origin (wall now - env.origin, p50/p99/max in us) instead of the messages;
 *            with --json one JSON object per interval (tools/tap/tap.h)
 *  Text line: "<topic> <src>#<seq> evt=<iso> <body json>". Sequence gaps are reported on
 *  stderr ("# gap: N missing from SRC before seq S").
 *  Exit codes:
 *    0  stopped by SIGINT/SIGTERM, after --count messages, or the reader closed stdout
 *    1  runtime failure (stdout closed, receive error)
 *    2  bad arguments or config
 *    3  cannot connect
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/curve.h"
#include "common/log.h"
#include "tools/tap/tap.h"

#define TAP_MAX_TARGETS 16
#define TAP_MAX_PREFIX  32
#define TAP_LINE_MAX    (4 * CODEC_MSG_MAX + 512) /* JSON of the largest message fits */

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static int
s_usage(void)
{
    fprintf(stderr, "usage: tap -c CONFIG STAGE [PREFIX...] [--json] [--count N]\n"
                    "       tap -c CONFIG STAGE [PREFIX...] --stats [--interval S] [--json]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    const char *cfg_path = NULL, *stage = NULL;
    const char *prefixes[TAP_MAX_PREFIX];
    size_t n_prefixes = 0;
    bool json = false, stats = false;
    const char *as = "tap";
    long long interval_s = 1;
    tap_stats_t *ts = NULL;
    long long count = 0; /* 0 = no limit */
    char err[512];
    char names[TAP_MAX_TARGETS][TAP_NAME_MAX];
    static char line[TAP_LINE_MAX];
    int rc = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            cfg_path = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--as") == 0 && i + 1 < argc) {
            as = argv[++i];
        } else if (strcmp(argv[i], "--stats") == 0) {
            stats = true;
        } else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
            char *end = NULL;
            errno = 0;
            interval_s = strtoll(argv[++i], &end, 10);
            if (errno != 0 || end == argv[i] || *end != '\0' || interval_s <= 0
                || interval_s > 86400) {
                return s_usage();
            }
        } else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            char *end = NULL;
            errno = 0;
            count = strtoll(argv[++i], &end, 10);
            if (errno != 0 || end == argv[i] || *end != '\0' || count <= 0) {
                return s_usage();
            }
        } else if (argv[i][0] == '-') {
            return s_usage();
        } else if (stage == NULL) {
            stage = argv[i];
        } else if (n_prefixes < TAP_MAX_PREFIX) {
            prefixes[n_prefixes++] = argv[i];
        } else {
            return s_usage();
        }
    }
    if (cfg_path == NULL || stage == NULL) {
        return s_usage();
    }
    log_init("tap", LOG_WARN);
    cfg_t *cfg = cfg_load(cfg_path, err, sizeof err);
    if (cfg == NULL) {
        fprintf(stderr, "tap: %s\n", err);
        return 2;
    }
    int n = tap_targets(cfg, stage, names, TAP_MAX_TARGETS);
    if (n < 0) {
        fprintf(stderr, "tap: no instance or role named %s in %s\n", stage, cfg_path);
        cfg_destroy(&cfg);
        return 2;
    }

    /* one owner for signals (STYLE: czmq's handler off before the first socket) */
    zsys_handler_set(NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL); /* cannot fail for these signals */
    (void)sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (curve_configure(cfg, as) < 0) {
        fprintf(stderr, "tap: CURVE setup failed for %s: %s\n", as, strerror(errno));
        cfg_destroy(&cfg);
        return 3;
    }
    bus_sub_t *sub = bus_sub_new(0);
    if (sub == NULL) {
        fprintf(stderr, "tap: cannot create subscriber: %s\n", strerror(errno));
        cfg_destroy(&cfg);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        char ep[512];
        if (cfg_endpoint(cfg, names[i], "pub", ep, sizeof ep) < 0) {
            fprintf(stderr, "tap: %s\n", cfg_error(cfg));
            rc = 2;
            goto out;
        }
        if (bus_sub_connect(sub, ep) < 0) {
            fprintf(stderr, "tap: cannot connect to %s: %s\n", ep, strerror(errno));
            rc = 3;
            goto out;
        }
    }
    if (n_prefixes == 0) {
        prefixes[n_prefixes++] = "";
    }
    for (size_t i = 0; i < n_prefixes; i++) {
        if (bus_sub_subscribe(sub, prefixes[i]) < 0) {
            fprintf(stderr, "tap: cannot subscribe to %s: %s\n", prefixes[i], strerror(errno));
            rc = 1;
            goto out;
        }
    }

    if (stats && (ts = tap_stats_new()) == NULL) {
        fprintf(stderr, "tap: out of memory\n");
        rc = 1;
        goto out;
    }
    int64_t t_last = clock_mono_ns();
    zmq_pollitem_t item = { .socket = zsock_resolve(bus_sub_sock(sub)), .events = ZMQ_POLLIN };
    long long seen = 0;
    while (!s_stop && (count == 0 || seen < count)) {
        int p = zmq_poll(&item, 1, 100); /* 100 ms: re-check the stop flag */
        if (p < 0) {
            if (zmq_errno() == EINTR) {
                continue;
            }
            fprintf(stderr, "tap: poll failed: %s\n", zmq_strerror(zmq_errno()));
            rc = 1;
            break;
        }
        if (ts != NULL && clock_mono_ns() - t_last >= interval_s * CLOCK_NS_PER_S) {
            int64_t now = clock_mono_ns();
            if (tap_stats_flush(ts, stdout, now - t_last, json) < 0) {
                rc = errno == EPIPE ? 0 : 1;
                break;
            }
            t_last = now;
        }
        bus_msg_t msg;
        while (!s_stop && (count == 0 || seen < count)) {
            if (bus_sub_recv(sub, &msg) < 0) {
                if (errno == EAGAIN) {
                    break;
                }
                continue; /* malformed: counted and logged by bus */
            }
            if (ts != NULL) {
                tap_stats_add(ts, &msg, clock_wall_ns());
                seen++;
                continue;
            }
            if (msg.gap > 0) {
                fprintf(stderr, "# gap: %" PRIu64 " missing from %s before seq %" PRIu64 "\n",
                        msg.gap, msg.env.src, msg.env.seq);
            }
            if (tap_format(&msg, json, line, sizeof line) < 0) {
                fprintf(stderr, "# %s from %s#%" PRIu64 ": cannot render: %s\n", msg.topic,
                        msg.env.src, msg.env.seq, strerror(errno));
                continue;
            }
            if (puts(line) == EOF) {
                rc = errno == EPIPE ? 0 : 1; /* the reader went away (`| head`): a normal stop */
                s_stop = 1;
                break;
            }
            seen++;
        }
        if (fflush(stdout) != 0) {
            rc = errno == EPIPE ? 0 : 1;
            break;
        }
    }
    if (ts != NULL && rc == 0) {
        (void)tap_stats_flush(ts, stdout, clock_mono_ns() - t_last, json); /* the last part */
    }
out:
    tap_stats_destroy(&ts);
    bus_sub_destroy(&sub);
    curve_shutdown();
    cfg_destroy(&cfg);
    return rc;
}
