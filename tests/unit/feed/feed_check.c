/*  feed_check.c - manual end-to-end checker for the feed stage (not a unit test):
 *  SUBscribes to a feed PUB, counts messages per type and per topic, checks every md.book for
 *  a crossed top and every envelope for a sequence gap, prints a summary.
 *  Usage: feed_check ENDPOINT SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "common/bus.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/log.h"

#define k_topics 64

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: feed_check ENDPOINT SECONDS\n");
        return 2;
    }
    log_init("feed_check", LOG_WARN);
    zsys_handler_set(NULL);
    bus_sub_t *sub = bus_sub_new(0);
    if (!sub || bus_sub_connect(sub, argv[1]) != 0 || bus_sub_subscribe(sub, "") != 0) {
        return 3;
    }
    char names[k_topics][BUS_TOPIC_MAX];
    long counts[k_topics] = { 0 };
    size_t n_names = 0;
    long per_type[CODEC_TYPE_COUNT] = { 0 };
    uint64_t digest = 1469598103934665603ULL; /* FNV-1a 64 */
    long crossed = 0, bad = 0, last_step = -1, hellos = 0;
    int64_t end = clock_mono_ns() + atoll(argv[2]) * CLOCK_NS_PER_S;
    zpoller_t *p = zpoller_new(bus_sub_sock(sub), NULL);
    while (clock_mono_ns() < end) {
        if (!zpoller_wait(p, 100)) {
            if (zpoller_terminated(p)) {
                break;
            }
            continue;
        }
        bus_msg_t m;
        while (bus_sub_recv(sub, &m) == 0) {
            per_type[m.type]++;
            size_t i;
            for (i = 0; i < n_names && strcmp(names[i], m.topic) != 0; i++) {
            }
            if (i == n_names && n_names < k_topics) {
                snprintf(names[n_names++], BUS_TOPIC_MAX, "%s", m.topic);
            }
            if (i < k_topics) {
                counts[i]++;
            }
            codec_body_t b;
            memset(&b, 0, sizeof b); /* the digest reads the whole union */
            if (codec_decode(m.data, m.len, m.type, NULL, &b) != 0) {
                bad++;
                continue;
            }
            /* digest of what must be identical across replays: topic and body, minus the
             * local receive times and the wall-clock disconnect notices */
            if (m.type == CODEC_MD_BOOK) {
                b.book.ts_recv = 0;
            } else if (m.type == CODEC_MD_TRADE) {
                b.trade.ts_recv = 0;
            } else if (m.type == CODEC_MD_TICKER) {
                b.ticker.ts_recv = 0;
            } else if (m.type == CODEC_MD_KLINE) {
                b.kline.ts_recv = 0;
            }
            bool skip =
                m.type == CODEC_SYS_HB
                || (m.type == CODEC_MD_STATUS && strcmp(b.status.state, "disconnected") == 0);
            if (!skip) {
                const unsigned char *q = (const unsigned char *)m.topic;
                for (; *q; q++) {
                    digest = (digest ^ *q) * 1099511628211ULL;
                }
                q = (const unsigned char *)&b;
                for (size_t k = 0; k < sizeof b; k++) {
                    digest = (digest ^ q[k]) * 1099511628211ULL;
                }
            }
            if (m.type == CODEC_MD_BOOK && b.book.n_bids && b.book.n_asks
                && b.book.bids[0].px >= b.book.asks[0].px) {
                crossed++;
            }
            if (m.type == CODEC_SYS_BARRIER) {
                if (b.barrier.step == 0) {
                    hellos++;
                } else {
                    last_step = (long)b.barrier.step;
                }
            }
        }
    }
    printf("received %llu, gaps %llu, undecodable %ld, crossed books %ld, hellos %ld, "
           "last barrier step %ld, digest %016llx\n",
           (unsigned long long)bus_sub_received(sub), (unsigned long long)bus_sub_gaps(sub), bad,
           crossed, hellos, last_step, (unsigned long long)digest);
    for (int t = 1; t < CODEC_TYPE_COUNT; t++) {
        if (per_type[t]) {
            printf("  %-16s %ld\n", codec_type_name((codec_type_t)t), per_type[t]);
        }
    }
    for (size_t i = 0; i < n_names; i++) {
        printf("    %-40s %ld\n", names[i], counts[i]);
    }
    zpoller_destroy(&p);
    bus_sub_destroy(&sub);
    return 0;
}
