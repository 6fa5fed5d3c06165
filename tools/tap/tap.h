/*  tap.h - pieces of the `tap` tool that do not touch sockets: which instances a STAGE argument
 *  names, and how one message is printed.
 *  Owns:  nothing.
 *  Line format (text mode): "<topic> <src>#<seq> evt=<iso> <body json>", evt as
 *  clock_fmt_iso (UTC, ms), or "-" when the message is about no event (evt 0: heartbeats).
 *  The body is for a person: prices, quantities and quote amounts are decimals at their scale
 *  (px_scale / qty_scale of the same body, MONEY_VALUE_SCALE for quote amounts), printed as
 *  bare JSON numbers with exactly that many decimals ("px":65114.20, "qty":0.005, book levels
 *  [[65114.20,0.005],...]); event times (ts_event, ts_recv, start_ns, end_ns,
 *  next_funding_ns) are ISO strings; a 0 stays 0 (the codec's "none"). --json mode: the whole
 *  message as codec_to_json, integers as sent (for programs).
 */
#ifndef TP_TAP_H
#define TP_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/bus.h"
#include "common/cfg.h"

#define TAP_NAME_MAX 32

/* Instances named by `stage`: the instance itself if "endpoints" has that key ("feed.0"), else
 * every instance of that role ("feed" -> "feed.0", "feed.1", in file order). Writes up to
 * `max` names. Returns the count, or -1 with errno ENOENT (no such instance or role). */
int tap_targets(const cfg_t *cfg, const char *stage, char names[][TAP_NAME_MAX], size_t max);

/* Format one message into out[cap] (NUL-terminated, no newline). Returns the length, or -1
 * with errno ENOBUFS (cap too small, or out of memory in text mode) or EPROTO (the message
 * does not decode). */
int tap_format(const bus_msg_t *msg, bool json, char *out, size_t cap);

/* ---- --stats: per-topic rates, gaps and latency from origin ------------------------------
 * A tap_stats_t accumulates one interval: per topic, messages, gaps (bus gap rule, per
 * publisher), and latency samples now - env.origin (ns; only messages with origin != 0, i.e.
 * caused by a market-data event). Percentiles are nearest-rank over the interval's samples (up
 * to TAP_STATS_SAMPLES per topic, reservoir-free: later samples beyond the cap are counted in
 * max only). Topics beyond TAP_STATS_TOPICS go to one "(other)" row. */
#define TAP_STATS_TOPICS  256
#define TAP_STATS_SAMPLES 8192

typedef struct tap_stats tap_stats_t;

typedef struct {
    char topic[BUS_TOPIC_MAX];
    uint64_t msgs, gaps, n_lat;
    int64_t lat_p50, lat_p99, lat_max; /* ns, -1 when no sample */
} tap_stats_row_t;

tap_stats_t *tap_stats_new(void); /* NULL with errno ENOMEM */
void tap_stats_destroy(tap_stats_t **self_p);

/* Count one received message at wall time now_ns. */
void tap_stats_add(tap_stats_t *self, const bus_msg_t *msg, int64_t now_ns);

/* The interval's rows sorted by topic into rows[max]; returns how many. Percentiles computed. */
size_t tap_stats_rows(tap_stats_t *self, tap_stats_row_t *rows, size_t max);

/* Print the interval (elapsed_ns long) as a table (or one JSON object per line with --json:
 * {"interval_s", "topics":[{"topic","msgs","per_s","gaps","lat_us":{"p50","p99","max"}}]})
 * and start a new interval. 0, or -1 with errno EIO on a write error. */
int tap_stats_flush(tap_stats_t *self, FILE *fp, int64_t elapsed_ns, bool json);

#endif /* TP_TAP_H */
