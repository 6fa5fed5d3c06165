/*  metrics.h - the Prometheus text exposition (format 0.0.4) of /metrics: names by Prometheus
 *  conventions (prefix tradepipe_, base units, _seconds, _total for counters), one HELP and
 *  TYPE line per family. Families and labels: docs/api.md "metrics".
 *  Owns:  nothing; latency histograms are filled by the caller (metrics_hist_add).
 */
#ifndef TP_GATEWAY_METRICS_H
#define TP_GATEWAY_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct view_stats; /* gateway/view.h */

#define METRICS_BUCKETS 14

/* A latency histogram in seconds with the fixed upper bounds metrics_bounds[]. */
typedef struct {
    uint64_t counts[METRICS_BUCKETS]; /* per bucket (not cumulative); the last is +Inf */
    uint64_t n;
    double sum; /* seconds */
} metrics_hist_t;

extern const double metrics_bounds[METRICS_BUCKETS - 1];

void metrics_hist_add(metrics_hist_t *h, double seconds);

/* The inputs of one rendering. */
typedef struct {
    const char *instance;          /* "gateway.0" */
    const struct view_stats *view; /* view_stats */
    json_t *stages;              /* view_stages: {inst: {state, hb_age_ms, uptime_ms, counters}} */
    const char *const *expected; /* every stage instance of the config (NULL-terminated) */
    int64_t up_max_ms;           /* a stage is up while its heartbeat is younger */
    uint64_t req_2xx, req_4xx, req_5xx, control_calls, sse_clients;
    const metrics_hist_t *tick_signal, *tick_order, *tick_fill; /* may be NULL */
    const metrics_hist_t *order_ack;                            /* may be NULL */
    json_t *alerts;    /* view_alert_counts: [{level, code, n}], may be NULL */
    json_t *positions; /* view_positions: [{venue, symbol, qty (decimal string)}], may be NULL */
    int64_t db_bytes;  /* the recorder's database and its WAL, bytes; < 0 unknown */
} metrics_in_t;

/* Render into a malloc'd NUL-terminated string (caller frees). NULL with errno ENOMEM. */
char *metrics_render(const metrics_in_t *in);

/* A label value escaped as the format wants (\\, \", \n) into out[cap]; truncated to fit. */
void metrics_escape(const char *in, char *out, size_t cap);

#endif /* TP_GATEWAY_METRICS_H */
