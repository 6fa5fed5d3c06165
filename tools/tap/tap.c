/*  tap.c - target resolution and line formatting for the tap tool (see tap.h).
 *  Owns:  nothing between calls (the text line builds a short-lived jansson tree per message:
 *         tap is a tool for people, not a hot path).
 */
#include "tools/tap/tap.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/codec.h"
#include "common/money.h"

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

/* ---- text mode: amounts as decimals, times as ISO ------------------------------------------
 * The body's integers are mantissas (common/codec.h): prices at the body's px_scale,
 * quantities at its qty_scale, quote amounts at MONEY_VALUE_SCALE. A person reads decimals, so
 * the text line prints them at their scale (bare JSON numbers with exactly `scale` decimals:
 * "px":110130.56), and event times (ns) as ISO strings. Keys are known by name (the codec's
 * field names); anything else is printed as the codec rendered it. 0 stays 0 (the codec's
 * "none" for optional prices). */

typedef enum { S_AS_IS = 0, S_PX, S_QTY, S_VALUE, S_TIME } s_unit_t;

static const char *const k_px_keys[] = {
    "px", "open", "high", "low", "close", "vwap", "tick", NULL
};
static const char *const k_qty_keys[] = { "qty",     "cum_qty", "bid_qty",
                                          "ask_qty", "volume",  "taker_buy_volume",
                                          "step",    "min_qty", NULL };
static const char *const k_value_keys[] = {
    "quote_volume", "fee",      "fees",   "realized_pnl", "unrealized_pnl", "equity", "equity_peak",
    "daily_pnl",    "drawdown", "wallet", "available",    "min_notional",   NULL
};
static const char *const k_time_keys[] = { "ts_event", "ts_recv",         "start_ns",
                                           "end_ns",   "next_funding_ns", NULL };

static bool
s_in(const char *key, const char *const *set)
{
    for (size_t i = 0; set[i]; i++) {
        if (strcmp(key, set[i]) == 0) {
            return true;
        }
    }
    return false;
}

static s_unit_t
s_unit_of(const char *key)
{
    size_t n = strlen(key);
    if (s_in(key, k_px_keys) || (n > 3 && strcmp(key + n - 3, "_px") == 0)) {
        return S_PX;
    }
    if (s_in(key, k_qty_keys)) {
        return S_QTY;
    }
    if (s_in(key, k_value_keys)) {
        return S_VALUE;
    }
    return s_in(key, k_time_keys) ? S_TIME : S_AS_IS;
}

typedef struct {
    char *out;
    size_t cap, len;
    bool full;
} s_buf_t;

static void
s_put(s_buf_t *b, const char *text)
{
    size_t n = strlen(text);
    if (b->full || b->len + n >= b->cap) {
        b->full = true;
        return;
    }
    memcpy(b->out + b->len, text, n + 1);
    b->len += n;
}

/* A JSON value as the codec would print it (strings escaped, compact). */
static void
s_put_json(s_buf_t *b, const json_t *v)
{
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (t == NULL) {
        b->full = true; /* out of memory: reported as ENOBUFS */
        return;
    }
    s_put(b, t);
    free(t);
}

/* Integer `v` at `scale` (scale < 0: not known, printed as is). */
static void
s_put_amount(s_buf_t *b, const json_t *v, int scale)
{
    char num[40];
    if (!json_is_integer(v) || scale < 0 || json_integer_value(v) == 0
        || money_fmt((int64_t)json_integer_value(v), scale, num, sizeof num) < 0) {
        s_put_json(b, v);
        return;
    }
    s_put(b, num);
}

static void
s_put_value(s_buf_t *b, const char *key, const json_t *v, int px_scale, int qty_scale)
{
    switch (s_unit_of(key)) {
    case S_PX:
        s_put_amount(b, v, px_scale);
        return;
    case S_QTY:
        s_put_amount(b, v, qty_scale);
        return;
    case S_VALUE:
        s_put_amount(b, v, MONEY_VALUE_SCALE);
        return;
    case S_TIME:
        if (json_is_integer(v) && json_integer_value(v) > 0) {
            char iso[40];
            s_put(b, "\"");
            s_put(b, clock_fmt_iso((int64_t)json_integer_value(v), iso, sizeof iso));
            s_put(b, "\"");
            return;
        }
        break;
    case S_AS_IS:
    default:
        break;
    }
    /* book levels: [[px, qty], ...] */
    if ((strcmp(key, "bids") == 0 || strcmp(key, "asks") == 0) && json_is_array(v)) {
        size_t i;
        json_t *lv;
        s_put(b, "[");
        json_array_foreach(v, i, lv)
        {
            s_put(b, i ? ",[" : "[");
            s_put_amount(b, json_array_get(lv, 0), px_scale);
            s_put(b, ",");
            s_put_amount(b, json_array_get(lv, 1), qty_scale);
            s_put(b, "]");
        }
        s_put(b, "]");
        return;
    }
    s_put_json(b, v);
}

/* The body JSON (from codec_body_to_json) in[], rewritten for a person into b. */
static int
s_readable(const char *in, size_t len, s_buf_t *b)
{
    json_error_t jerr;
    json_t *root = json_loadb(in, len, 0, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        errno = EPROTO;
        return -1;
    }
    json_t *ps = json_object_get(root, "px_scale"), *qs = json_object_get(root, "qty_scale");
    int px_scale = -1, qty_scale = -1;
    if (json_is_integer(ps) && json_integer_value(ps) >= 0
        && json_integer_value(ps) <= MONEY_MAX_SCALE) {
        px_scale = (int)json_integer_value(ps);
    }
    if (json_is_integer(qs) && json_integer_value(qs) >= 0
        && json_integer_value(qs) <= MONEY_MAX_SCALE) {
        qty_scale = (int)json_integer_value(qs);
    }
    const char *key;
    json_t *v;
    bool first = true;
    s_put(b, "{");
    json_object_foreach(root, key, v)
    {
        json_t *k = json_string(key);
        s_put(b, first ? "" : ",");
        s_put_json(b, k);
        json_decref(k);
        s_put(b, ":");
        s_put_value(b, key, v, px_scale, qty_scale);
        first = false;
    }
    s_put(b, "}");
    json_decref(root);
    if (b->full) {
        errno = ENOBUFS;
        return -1;
    }
    return 0;
}

int
tap_format(const bus_msg_t *msg, bool json, char *out, size_t cap)
{
    if (json) {
        return codec_to_json(msg->data, msg->len, out, cap);
    }
    char iso[32];
    /* evt 0: the message is about no event (heartbeats): "-", not 1970-01-01 */
    int head =
        snprintf(out, cap, "%s %s#%" PRIu64 " evt=%s ", msg->topic, msg->env.src, msg->env.seq,
                 msg->env.evt > 0 ? clock_fmt_iso(msg->env.evt, iso, sizeof iso) : "-");
    if (head < 0 || (size_t)head >= cap) {
        errno = ENOBUFS;
        return -1;
    }
    static char raw[4 * CODEC_MSG_MAX];
    int body = codec_body_to_json(msg->data, msg->len, raw, sizeof raw);
    if (body < 0) {
        return -1;
    }
    s_buf_t b = { .out = out, .cap = cap, .len = (size_t)head };
    if (s_readable(raw, (size_t)body, &b) < 0) {
        return -1;
    }
    return (int)b.len;
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
