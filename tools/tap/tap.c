/*  tap.c - target resolution and line formatting for the tap tool (see tap.h).
 *  Owns:  nothing; no allocation.
 */
#include "tools/tap/tap.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/codec.h"

int
tap_targets(const cfg_t *cfg, const char *stage, char names[][TAP_NAME_MAX], size_t max)
{
    json_t *eps = cfg_json(cfg, "endpoints");

    if (stage == NULL || stage[0] == '\0' || max == 0) {
        errno = ENOENT;
        return -1;
    }
    if (json_is_object(eps) && json_object_get(eps, stage) != NULL) {
        (void)snprintf(names[0], TAP_NAME_MAX, "%s", stage);
        return 1;
    }
    size_t n = cfg_instances(cfg, stage, names, max);
    if (n == 0) {
        errno = ENOENT;
        return -1;
    }
    return (int)n;
}

int
tap_format(const bus_msg_t *msg, bool json, char *out, size_t cap)
{
    if (json) {
        return codec_to_json(msg->data, msg->len, out, cap);
    }
    char iso[32];
    int head = snprintf(out, cap, "%s %s#%" PRIu64 " evt=%s ", msg->topic, msg->env.src,
                        msg->env.seq, clock_fmt_iso(msg->env.evt, iso, sizeof iso));
    if (head < 0 || (size_t)head >= cap) {
        errno = ENOBUFS;
        return -1;
    }
    int body = codec_body_to_json(msg->data, msg->len, out + head, cap - (size_t)head);
    if (body < 0) {
        return -1;
    }
    return head + body;
}

/* ---- --stats ---------------------------------------------------------------------------- */

typedef struct {
    char topic[BUS_TOPIC_MAX];
    uint64_t msgs, gaps, n_lat;
    int64_t lat_max;
    int64_t *lat; /* up to TAP_STATS_SAMPLES samples, ns */
} s_topic_t;

struct tap_stats {
    s_topic_t *t; /* TAP_STATS_TOPICS + 1 ("(other)") */
    size_t n;
};

tap_stats_t *
tap_stats_new(void)
{
    tap_stats_t *self = calloc(1, sizeof *self);
    if (self == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    self->t = calloc(TAP_STATS_TOPICS + 1, sizeof *self->t);
    if (self->t == NULL) {
        free(self);
        errno = ENOMEM;
        return NULL;
    }
    return self;
}

void
tap_stats_destroy(tap_stats_t **self_p)
{
    assert(self_p);
    tap_stats_t *self = *self_p;
    if (self == NULL) {
        return;
    }
    for (size_t i = 0; i <= TAP_STATS_TOPICS; i++) {
        free(self->t[i].lat);
    }
    free(self->t);
    free(self);
    *self_p = NULL;
}

static s_topic_t *
s_topic(tap_stats_t *self, const char *topic)
{
    for (size_t i = 0; i < self->n; i++) {
        if (strcmp(self->t[i].topic, topic) == 0) {
            return &self->t[i];
        }
    }
    s_topic_t *t = NULL;
    if (self->n < TAP_STATS_TOPICS) {
        t = &self->t[self->n++];
        (void)snprintf(t->topic, sizeof t->topic, "%s", topic);
    } else {
        t = &self->t[TAP_STATS_TOPICS];
        (void)snprintf(t->topic, sizeof t->topic, "(other)");
    }
    return t;
}

void
tap_stats_add(tap_stats_t *self, const bus_msg_t *msg, int64_t now_ns)
{
    assert(self);
    assert(msg);
    s_topic_t *t = s_topic(self, msg->topic);
    t->msgs++;
    t->gaps += msg->gap;
    if (msg->env.origin == 0) {
        return;
    }
    int64_t lat = now_ns - msg->env.origin;
    if (t->n_lat == 0 || lat > t->lat_max) {
        t->lat_max = lat;
    }
    if (t->lat == NULL) {
        t->lat = malloc(TAP_STATS_SAMPLES * sizeof *t->lat);
    }
    if (t->lat != NULL && t->n_lat < TAP_STATS_SAMPLES) {
        t->lat[t->n_lat] = lat;
    }
    t->n_lat++;
}

static int
s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int
s_cmp_row(const void *a, const void *b)
{
    return strcmp(((const tap_stats_row_t *)a)->topic, ((const tap_stats_row_t *)b)->topic);
}

/* Nearest-rank percentile p (0..100) of sorted v[n]: v[ceil(p/100 * n) - 1]. */
static int64_t
s_pct(const int64_t *v, size_t n, int p)
{
    size_t rank = ((size_t)p * n + 99) / 100;
    return v[rank == 0 ? 0 : rank - 1];
}

size_t
tap_stats_rows(tap_stats_t *self, tap_stats_row_t *rows, size_t max)
{
    assert(self);
    size_t k = 0;
    for (size_t i = 0; i <= TAP_STATS_TOPICS && k < max; i++) {
        s_topic_t *t = &self->t[i];
        if (i >= self->n && (i < TAP_STATS_TOPICS || t->msgs == 0)) {
            continue;
        }
        tap_stats_row_t *r = &rows[k++];
        memset(r, 0, sizeof *r);
        (void)snprintf(r->topic, sizeof r->topic, "%s", t->topic);
        r->msgs = t->msgs;
        r->gaps = t->gaps;
        r->n_lat = t->n_lat;
        r->lat_p50 = r->lat_p99 = r->lat_max = -1;
        size_t ns = t->n_lat < TAP_STATS_SAMPLES ? (size_t)t->n_lat : TAP_STATS_SAMPLES;
        if (ns > 0 && t->lat != NULL) {
            qsort(t->lat, ns, sizeof *t->lat, s_cmp_i64);
            r->lat_p50 = s_pct(t->lat, ns, 50);
            r->lat_p99 = s_pct(t->lat, ns, 99);
            r->lat_max = t->lat_max;
        }
    }
    qsort(rows, k, sizeof *rows, s_cmp_row);
    return k;
}

int
tap_stats_flush(tap_stats_t *self, FILE *fp, int64_t elapsed_ns, bool json)
{
    static tap_stats_row_t rows[TAP_STATS_TOPICS + 1];
    size_t n = tap_stats_rows(self, rows, TAP_STATS_TOPICS + 1);
    double secs = elapsed_ns > 0 ? (double)elapsed_ns / 1e9 : 1.0;
    int rc = 0;

    if (json) {
        rc |= fprintf(fp, "{\"interval_s\":%.3f,\"topics\":[", secs) < 0;
        for (size_t i = 0; i < n; i++) {
            const tap_stats_row_t *r = &rows[i];
            rc |=
                fprintf(fp,
                        "%s{\"topic\":\"%s\",\"msgs\":%" PRIu64 ",\"per_s\":%.1f,\"gaps\":%" PRIu64,
                        i ? "," : "", r->topic, r->msgs, (double)r->msgs / secs, r->gaps)
                < 0;
            if (r->lat_p50 >= 0) {
                rc |= fprintf(fp, ",\"lat_us\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f}}",
                              (double)r->lat_p50 / 1e3, (double)r->lat_p99 / 1e3,
                              (double)r->lat_max / 1e3)
                      < 0;
            } else {
                rc |= fprintf(fp, ",\"lat_us\":null}") < 0;
            }
        }
        rc |= fprintf(fp, "]}\n") < 0;
    } else {
        rc |= fprintf(fp, "# %.1f s  %-44s %10s %9s %6s %10s %10s %10s\n", secs, "topic", "msgs",
                      "msgs/s", "gaps", "p50_us", "p99_us", "max_us")
              < 0;
        for (size_t i = 0; i < n; i++) {
            const tap_stats_row_t *r = &rows[i];
            rc |= fprintf(fp, "         %-44s %10" PRIu64 " %9.1f %6" PRIu64, r->topic, r->msgs,
                          (double)r->msgs / secs, r->gaps)
                  < 0;
            if (r->lat_p50 >= 0) {
                rc |= fprintf(fp, " %10.1f %10.1f %10.1f\n", (double)r->lat_p50 / 1e3,
                              (double)r->lat_p99 / 1e3, (double)r->lat_max / 1e3)
                      < 0;
            } else {
                rc |= fprintf(fp, " %10s %10s %10s\n", "-", "-", "-") < 0;
            }
        }
    }
    for (size_t i = 0; i <= TAP_STATS_TOPICS; i++) {
        free(self->t[i].lat);
    }
    memset(self->t, 0, (TAP_STATS_TOPICS + 1) * sizeof *self->t);
    self->n = 0;
    if (rc != 0 || fflush(fp) != 0) {
        errno = EIO;
        return -1;
    }
    return 0;
}
