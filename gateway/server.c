/*  server.c - the HTTP API, SSE, /metrics and the dashboard (contract in server.h).
 *  Design:
 *    - libmicrohttpd with its own polling thread (epoll) and suspend/resume: an SSE client
 *      with nothing to send is suspended in its content reader and resumed by server_notify
 *      (new events, or the stage loop's 1 s tick for heartbeats), so no thread busy-waits.
 *    - Control sockets are asked from this thread with ctl_query_many (tools/ctl/ctl.h, the
 *      same code `ctl` runs), so a slow stage never stalls the stage loop.
 *    - Operator actions are queued here and published by the stage loop (gw.action): ZeroMQ
 *      sockets stay in the thread that made them.
 */
#include "gateway/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "common/clock.h"
#include "common/log.h"
#include "gateway/dashboard.h"
#include "gateway/metrics.h"
#include "tools/ctl/ctl.h"

#define S_MAX_INST    32
#define S_ACTIONS_MAX 64
#define S_SSE_MAX     256
/* /status asks every stage: under load, answers younger than this are reused, so 200
 * requests/s cost the stages at most 1000 / S_STATUS_CACHE_MS control requests/s each */
#define S_STATUS_CACHE_MS 200

static const char *const k_mod = "gateway";

typedef struct s_sse s_sse_t;

struct server {
    server_deps_t d;
    struct MHD_Daemon *mhd;
    int port;
    pthread_mutex_t lock;  /* view and ring */
    pthread_mutex_t qlock; /* actions, SSE list, stats */
    codec_gw_action_t actions[S_ACTIONS_MAX];
    size_t a_head, a_n;
    int wake[2];
    s_sse_t *sse[S_SSE_MAX];
    size_t n_sse;
    server_stats_t st;
    bool stopping;            /* server_destroy began: SSE streams end */
    int64_t ctl_times[10000]; /* wall ns of recent control calls (rate limit ring) */
    size_t ctl_head, ctl_n;
    char names[S_MAX_INST][CTL_NAME_MAX];
    size_t n_names;
    char *tls_cert, *tls_key;
    json_t *status_cache; /* the stages' status answers, reused for S_STATUS_CACHE_MS */
    int64_t status_at;    /* monotonic ns when they were asked */
};

/* One request in flight. */
typedef struct {
    char *body;
    size_t len;
    bool too_big;
} s_req_t;

/* One SSE client. */
struct s_sse {
    server_t *srv;
    struct MHD_Connection *conn;
    uint64_t last_id;
    int64_t next_hb_ns;
    char *pending; /* text not yet handed to MHD */
    size_t p_len, p_off;
    bool suspended;
};

/* ---- helpers --------------------------------------------------------------------------- */

static void
s_count(server_t *self, unsigned code)
{
    pthread_mutex_lock(&self->qlock);
    if (code < 400) {
        self->st.req_2xx++;
    } else if (code < 500) {
        self->st.req_4xx++;
    } else {
        self->st.req_5xx++;
    }
    pthread_mutex_unlock(&self->qlock);
}

static enum MHD_Result
s_send(server_t *self, struct MHD_Connection *c, unsigned code, const char *type, char *text,
       size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    (void)MHD_add_response_header(r, "Content-Type", type);
    (void)MHD_add_response_header(r, "Cache-Control", "no-store");
    (void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (code == 401) {
        (void)MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"tradepipe\"");
    }
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    s_count(self, code);
    return ret;
}

/* Answer with a JSON value (stolen). */
static enum MHD_Result
s_json(server_t *self, struct MHD_Connection *c, unsigned code, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (text == NULL) {
        text = strdup("{\"error\":\"out of memory\"}");
        code = 500;
        if (text == NULL) {
            return MHD_NO;
        }
    }
    size_t n = strlen(text);
    return s_send(self, c, code, "application/json", text, n);
}

static enum MHD_Result __attribute__((format(printf, 4, 5)))
s_error(server_t *self, struct MHD_Connection *c, unsigned code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return s_json(self, c, code, json_pack("{s:s}", "error", msg));
}

/* A query argument as an integer in [min, max] (dflt when absent). 0, or -1 malformed. */
static int
s_arg_int(struct MHD_Connection *c, const char *key, long long dflt, long long min, long long max,
          long long *out)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
    if (v == NULL || v[0] == '\0') {
        *out = dflt;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < min || x > max) {
        return -1;
    }
    *out = x;
    return 0;
}

/* Ask control sockets: `names[n]` each get `cmd`; returns {inst: reply or {"error"}}. */
static json_t *
s_ask(server_t *self, char names[][CTL_NAME_MAX], size_t n, const char *cmd, int timeout_ms)
{
    char eps[S_MAX_INST][512];
    const char *ep_ptrs[S_MAX_INST];
    char *replies[S_MAX_INST];
    if (n > S_MAX_INST) {
        n = S_MAX_INST;
    }
    for (size_t i = 0; i < n; i++) {
        ep_ptrs[i] =
            cfg_endpoint(self->d.cfg, names[i], "ctl", eps[i], sizeof eps[i]) == 0 ? eps[i] : NULL;
        replies[i] = NULL;
    }
    json_t *out = json_object();
    if (ctl_query_many(ep_ptrs, n, cmd, timeout_ms, replies) < 0) {
        return out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *v = replies[i] ? json_loads(replies[i], 0, NULL) : NULL;
        if (v == NULL) {
            v = json_pack("{s:s}", "error",
                          replies[i] ? "reply is not JSON" : "no answer within the timeout");
        }
        if (out) {
            (void)json_object_set_new(out, names[i], v);
        } else {
            json_decref(v);
        }
        free(replies[i]);
    }
    return out;
}

/* The first instance of `role` ("risk" -> "risk.0") into out; -1 if the config has none. */
static int
s_first(server_t *self, const char *role, char out[CTL_NAME_MAX])
{
    size_t n = strlen(role);
    for (size_t i = 0; i < self->n_names; i++) {
        if (strncmp(self->names[i], role, n) == 0 && self->names[i][n] == '.') {
            (void)snprintf(out, CTL_NAME_MAX, "%s", self->names[i]);
            return 0;
        }
    }
    return -1;
}

static bool
s_known(server_t *self, const char *inst)
{
    for (size_t i = 0; i < self->n_names; i++) {
        if (strcmp(self->names[i], inst) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- GET handlers ----------------------------------------------------------------------- */

static enum MHD_Result
s_health(server_t *self, struct MHD_Connection *c)
{
    return s_json(self, c, 200,
                  json_pack("{s:b, s:s, s:s}", "ok", 1, "instance", self->d.instance, "run_id",
                            self->d.run_id));
}

static enum MHD_Result
s_ready(server_t *self, struct MHD_Connection *c)
{
    json_t *reasons = json_array();
    int64_t now = clock_wall_ns();
    char risk[CTL_NAME_MAX];
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < self->n_names; i++) {
        const char *n = self->names[i];
        if (strcmp(n, self->d.instance) == 0) {
            continue;
        }
        int64_t age = view_hb_age_ms(self->d.view, n, now);
        char why[160];
        if (age < 0) {
            (void)snprintf(why, sizeof why, "%s: no heartbeat seen", n);
        } else if (age >= self->d.gc->ready_hb_max_ms) {
            (void)snprintf(why, sizeof why, "%s: last heartbeat %lld ms ago", n, (long long)age);
        } else {
            continue;
        }
        (void)json_array_append_new(reasons, json_string(why));
    }
    json_t *venues = view_venues(self->d.view);
    pthread_mutex_unlock(&self->lock);
    const char *key;
    json_t *v;
    json_object_foreach(venues, key, v)
    {
        const char *state = json_string_value(json_object_get(v, "state"));
        if (strncmp(key, "executor/", 9) == 0 && (!state || strcmp(state, "running") != 0)) {
            char why[200];
            (void)snprintf(why, sizeof why, "venue %s: %s %s", key + 9, state ? state : "?",
                           json_string_value(json_object_get(v, "reason")));
            (void)json_array_append_new(reasons, json_string(why));
        }
    }
    json_decref(venues);
    if (s_first(self, "risk", risk) == 0) {
        char one[1][CTL_NAME_MAX];
        memcpy(one[0], risk, CTL_NAME_MAX);
        int t = (int)(self->d.gc->ctl_timeout_ms < 1000 ? self->d.gc->ctl_timeout_ms : 1000);
        json_t *ans = s_ask(self, one, 1, "status", t);
        json_t *r = json_object_get(ans, risk);
        const char *st = json_string_value(json_object_get(r, "risk_state"));
        char why[300];
        if (st == NULL) {
            (void)snprintf(why, sizeof why, "%s: no answer to status", risk);
            (void)json_array_append_new(reasons, json_string(why));
        } else if (strcmp(st, "RUNNING") != 0) {
            (void)snprintf(why, sizeof why, "%s: %s (%s)", risk, st,
                           json_string_value(json_object_get(r, "reason"))
                               ? json_string_value(json_object_get(r, "reason"))
                               : "");
            (void)json_array_append_new(reasons, json_string(why));
        }
        json_decref(ans);
    }
    bool ok = json_array_size(reasons) == 0;
    return s_json(self, c, ok ? 200 : 503,
                  json_pack("{s:b, s:o}", "ready", ok, "reasons", reasons));
}

static enum MHD_Result
s_status(server_t *self, struct MHD_Connection *c)
{
    char names[S_MAX_INST][CTL_NAME_MAX];
    size_t n = 0;
    for (size_t i = 0; i < self->n_names; i++) {
        if (strcmp(self->names[i], self->d.instance) != 0) {
            memcpy(names[n++], self->names[i], CTL_NAME_MAX);
        }
    }
    json_t *ans;
    int64_t mono = clock_mono_ns();
    if (self->status_cache && mono - self->status_at < S_STATUS_CACHE_MS * CLOCK_NS_PER_MS) {
        ans = json_deep_copy(self->status_cache); /* only this thread uses the cache */
    } else {
        ans = s_ask(self, names, n, "status", (int)self->d.gc->ctl_timeout_ms);
        json_decref(self->status_cache);
        self->status_cache = ans ? json_deep_copy(ans) : NULL;
        self->status_at = clock_mono_ns();
    }
    int64_t now = clock_wall_ns();
    pthread_mutex_lock(&self->lock);
    json_t *hb = view_stages(self->d.view, now);
    json_t *venues = view_venues(self->d.view);
    json_t *risk = view_risk(self->d.view);
    pthread_mutex_unlock(&self->lock);
    /* each stage: its status answer, with the gateway's heartbeat view beside it */
    const char *key;
    json_t *v;
    json_object_foreach(ans, key, v)
    {
        json_t *h = json_object_get(hb, key);
        (void)json_object_set(v, "heartbeat", h ? h : json_null());
    }
    char rname[CTL_NAME_MAX];
    json_t *rs = s_first(self, "risk", rname) == 0 ? json_object_get(ans, rname) : NULL;
    json_t *riskj = json_pack(
        "{s:O, s:O, s:O, s:O}", "state", rs ? json_object_get(rs, "risk_state") : json_null(),
        "killed", rs ? json_object_get(rs, "killed") : json_null(), "reason",
        rs ? json_object_get(rs, "reason") : json_null(), "last_risk_state", risk);
    json_decref(risk);
    json_decref(hb);
    return s_json(self, c, 200,
                  json_pack("{s:s, s:s, s:o, s:o, s:o}", "instance", self->d.instance, "run_id",
                            self->d.run_id, "stages", ans ? ans : json_object(), "venues", venues,
                            "risk", riskj));
}

/* Page an array (stolen): {"total", "offset", "limit", key: [...]} */
static json_t *
s_page(json_t *arr, const char *key, long long offset, long long limit)
{
    json_t *page = json_array();
    size_t total = json_array_size(arr);
    for (size_t i = (size_t)offset; page && i < total && i < (size_t)(offset + limit); i++) {
        (void)json_array_append(page, json_array_get(arr, i));
    }
    json_decref(arr);
    return json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)total, "offset",
                     (json_int_t)offset, "limit", (json_int_t)limit, key, page);
}

static enum MHD_Result
s_positions(server_t *self, struct MHD_Connection *c)
{
    pthread_mutex_lock(&self->lock);
    json_t *pos = view_positions(self->d.view);
    pthread_mutex_unlock(&self->lock);
    /* stops and targets are risk's: ask it */
    char rname[1][CTL_NAME_MAX];
    if (s_first(self, "risk", rname[0]) == 0) {
        json_t *ans = s_ask(self, rname, 1, "status", (int)self->d.gc->ctl_timeout_ms);
        json_t *rp = json_object_get(json_object_get(ans, rname[0]), "positions");
        size_t i, j;
        json_t *p, *q;
        json_array_foreach(pos, i, p)
        {
            (void)json_object_set_new(p, "stop_px", json_null());
            (void)json_object_set_new(p, "target_px", json_null());
            json_array_foreach(rp, j, q)
            {
                if (json_equal(json_object_get(p, "venue"), json_object_get(q, "venue"))
                    && json_equal(json_object_get(p, "symbol"), json_object_get(q, "symbol"))) {
                    (void)json_object_set(p, "stop_px", json_object_get(q, "sl_px"));
                    (void)json_object_set(p, "target_px", json_object_get(q, "tp_px"));
                }
            }
        }
        json_decref(ans);
    }
    return s_json(self, c, 200, json_pack("{s:o}", "positions", pos));
}

static enum MHD_Result
s_list(server_t *self, struct MHD_Connection *c, const char *what)
{
    long long offset, limit, from, to;
    if (s_arg_int(c, "offset", 0, 0, 1000000000LL, &offset) < 0
        || s_arg_int(c, "limit", 100, 1, 10000, &limit) < 0
        || s_arg_int(c, "from", 0, 0, INT64_MAX, &from) < 0
        || s_arg_int(c, "to", 0, 0, INT64_MAX, &to) < 0) {
        return s_error(self, c, 400,
                       "bad query: offset >= 0, 1 <= limit <= 10000, from/to ns since the epoch");
    }
    const char *open = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "open");
    pthread_mutex_lock(&self->lock);
    json_t *arr = strcmp(what, "orders") == 0
                      ? view_orders(self->d.view, open && strcmp(open, "1") == 0)
                  : strcmp(what, "fills") == 0  ? view_fills(self->d.view)
                  : strcmp(what, "alerts") == 0 ? view_alerts(self->d.view)
                                                : view_signals(self->d.view);
    pthread_mutex_unlock(&self->lock);
    if (arr && (from || to)) { /* by event time range */
        json_t *kept = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
        {
            json_int_t evt = json_integer_value(json_object_get(v, "evt"));
            if ((from == 0 || evt >= from) && (to == 0 || evt < to)) {
                (void)json_array_append(kept, v);
            }
        }
        json_decref(arr);
        arr = kept;
    }
    return s_json(self, c, 200, s_page(arr, what, offset, limit));
}

static enum MHD_Result
s_equity(server_t *self, struct MHD_Connection *c)
{
    long long from, to, points;
    if (s_arg_int(c, "from", 0, 0, INT64_MAX, &from) < 0
        || s_arg_int(c, "to", 0, 0, INT64_MAX, &to) < 0
        || s_arg_int(c, "points", 500, 1, 4096, &points) < 0) {
        return s_error(self, c, 400, "bad query: from/to ns since the epoch, 1 <= points <= 4096");
    }
    pthread_mutex_lock(&self->lock);
    json_t *series = view_equity(self->d.view, from, to, (size_t)points);
    json_t *pnl = view_pnl(self->d.view);
    json_t *bal = view_balances(self->d.view);
    pthread_mutex_unlock(&self->lock);
    json_t *now = json_object_get(pnl, "equity");
    json_t *out = json_pack("{s:O, s:o, s:o}", "equity", now ? now : json_null(), "balances", bal,
                            "series", series);
    json_decref(pnl);
    return s_json(self, c, 200, out);
}

static enum MHD_Result
s_pnl(server_t *self, struct MHD_Connection *c)
{
    pthread_mutex_lock(&self->lock);
    json_t *pnl = view_pnl(self->d.view);
    pthread_mutex_unlock(&self->lock);
    return s_json(self, c, 200, pnl);
}

static enum MHD_Result
s_risk(server_t *self, struct MHD_Connection *c)
{
    char rname[1][CTL_NAME_MAX];
    if (s_first(self, "risk", rname[0]) != 0) {
        return s_error(self, c, 404, "the config has no risk instance");
    }
    json_t *ans = s_ask(self, rname, 1, "status", (int)self->d.gc->ctl_timeout_ms);
    json_t *st = json_object_get(ans, rname[0]);
    /* a deep copy: the config's values are shared with the stage loop, whose reference counts
     * this thread must not touch */
    json_t *limits = cfg_json(self->d.cfg, "risk");
    json_t *out =
        json_pack("{s:s, s:O, s:o}", "instance", rname[0], "status", st ? st : json_null(),
                  "configured", limits ? json_deep_copy(limits) : json_null());
    json_decref(ans);
    return s_json(self, c, 200, out);
}

static enum MHD_Result
s_metrics(server_t *self, struct MHD_Connection *c)
{
    const char *expected[S_MAX_INST + 1];
    size_t n = 0;
    for (size_t i = 0; i < self->n_names; i++) {
        if (strcmp(self->names[i], self->d.instance) != 0) {
            expected[n++] = self->names[i];
        }
    }
    expected[n] = NULL;
    view_stats_t vs;
    metrics_hist_t hs, ho, hf;
    pthread_mutex_lock(&self->lock);
    view_stats(self->d.view, &vs);
    view_latency(self->d.view, &hs, &ho, &hf);
    metrics_hist_t ha;
    view_ack_latency(self->d.view, &ha);
    json_t *alerts = view_alert_counts(self->d.view);
    json_t *stages = view_stages(self->d.view, clock_wall_ns());
    json_t *positions = view_positions(self->d.view);
    pthread_mutex_unlock(&self->lock);
    int64_t db_bytes = -1;
    char db[600], wal[620];
    struct stat st;
    if (cfg_path_str(self->d.cfg, "recorder.db", "{run}/tradepipe.db", db, sizeof db) == 0
        && stat(db, &st) == 0) {
        db_bytes = (int64_t)st.st_size;
        (void)snprintf(wal, sizeof wal, "%s-wal", db);
        if (stat(wal, &st) == 0) {
            db_bytes += (int64_t)st.st_size;
        }
    }
    server_stats_t ss;
    server_stats(self, &ss);
    metrics_in_t in = { .instance = self->d.instance,
                        .view = &vs,
                        .stages = stages,
                        .expected = expected,
                        .up_max_ms = self->d.gc->ready_hb_max_ms,
                        .req_2xx = ss.req_2xx,
                        .req_4xx = ss.req_4xx,
                        .req_5xx = ss.req_5xx,
                        .control_calls = ss.control_calls,
                        .sse_clients = ss.sse_clients,
                        .tick_signal = &hs,
                        .tick_order = &ho,
                        .tick_fill = &hf,
                        .positions = positions,
                        .order_ack = &ha,
                        .alerts = alerts,
                        .db_bytes = db_bytes };
    char *text = metrics_render(&in);
    json_decref(stages);
    json_decref(positions);
    json_decref(alerts);
    if (text == NULL) {
        return s_error(self, c, 500, "out of memory");
    }
    return s_send(self, c, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
}

/* ---- control ------------------------------------------------------------------------------ */

/* text without control characters, at most cap-1 bytes */
static bool
s_clean(const char *in, char *out, size_t cap)
{
    size_t n = strlen(in);
    if (n >= cap) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f) {
            return false;
        }
    }
    memcpy(out, in, n + 1);
    return true;
}

static bool
s_rate_ok(server_t *self, int64_t now)
{
    const size_t cap = sizeof self->ctl_times / sizeof self->ctl_times[0];
    pthread_mutex_lock(&self->qlock);
    while (self->ctl_n > 0 && now - self->ctl_times[self->ctl_head] >= 60 * CLOCK_NS_PER_S) {
        self->ctl_head = (self->ctl_head + 1) % cap;
        self->ctl_n--;
    }
    bool ok = self->ctl_n < (size_t)self->d.gc->control_per_min;
    if (ok) {
        self->ctl_times[(self->ctl_head + self->ctl_n) % cap] = now;
        self->ctl_n++;
    }
    pthread_mutex_unlock(&self->qlock);
    return ok;
}

static void
s_queue_action(server_t *self, const codec_gw_action_t *a)
{
    pthread_mutex_lock(&self->qlock);
    if (self->a_n == S_ACTIONS_MAX) { /* the stage loop is stuck: keep the newest */
        self->a_head = (self->a_head + 1) % S_ACTIONS_MAX;
        self->a_n--;
    }
    self->actions[(self->a_head + self->a_n) % S_ACTIONS_MAX] = *a;
    self->a_n++;
    self->st.control_calls++;
    pthread_mutex_unlock(&self->qlock);
    char b = 1;
    (void)!write(self->wake[1], &b, 1); /* a full pipe already wakes the loop */
}

static enum MHD_Result
s_control(server_t *self, struct MHD_Connection *c, const s_req_t *req, const char *token)
{
    static const struct {
        const char *action, *role;
        const char *needs; /* "reason", "id", "target" or NULL */
    } k_actions[] = {
        { "pause", "risk", NULL },    { "resume", "risk", NULL },     { "halt", "risk", NULL },
        { "kill", "risk", "reason" }, { "clear-kill", "risk", NULL }, { "reload", NULL, "target" },
        { "flatten", "risk", NULL },  { "cancel", "executor", "id" },
    };
    json_error_t je;
    json_t *doc = req->body ? json_loadb(req->body, req->len, 0, &je) : NULL;
    if (doc == NULL || !json_is_object(doc)) {
        json_decref(doc);
        return s_error(self, c, 400, "malformed JSON body: %s",
                       req->body ? je.text : "a JSON object is expected");
    }
    char action_buf[CODEC_NAME_MAX] = "";
    const char *action = json_string_value(json_object_get(doc, "action"));
    if (action) { /* a copy: doc is released before the end */
        (void)snprintf(action_buf, sizeof action_buf, "%s", action);
        action = action_buf;
    }
    size_t k = 0;
    while (action && k < sizeof k_actions / sizeof k_actions[0]
           && strcmp(k_actions[k].action, action) != 0) {
        k++;
    }
    if (action == NULL || k == sizeof k_actions / sizeof k_actions[0]) {
        json_decref(doc);
        return s_error(self, c, 400,
                       "\"action\" must be one of pause, resume, halt, kill, clear-kill, reload, "
                       "flatten, cancel");
    }
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        if (strcmp(key, "action") && strcmp(key, "target") && strcmp(key, "reason")
            && strcmp(key, "symbol") && strcmp(key, "id")) {
            enum MHD_Result r = s_error(
                self, c, 400, "unknown key \"%.64s\" (action, target, reason, symbol, id)", key);
            json_decref(doc);
            return r;
        }
        if (!json_is_string(v)) {
            enum MHD_Result r = s_error(self, c, 400, "\"%.64s\" must be a string", key);
            json_decref(doc);
            return r;
        }
    }
    codec_gw_action_t a;
    memset(&a, 0, sizeof a);
    (void)snprintf(a.action, sizeof a.action, "%s", action);
    (void)snprintf(a.token, sizeof a.token, "%s", token);
    const char *target = json_string_value(json_object_get(doc, "target"));
    const char *reason = json_string_value(json_object_get(doc, "reason"));
    const char *symbol = json_string_value(json_object_get(doc, "symbol"));
    const char *id = json_string_value(json_object_get(doc, "id"));
    const char *needs = k_actions[k].needs;
    if (needs && strcmp(needs, "reason") == 0 && (reason == NULL || reason[0] == '\0')) {
        json_decref(doc);
        return s_error(self, c, 400, "%s needs a \"reason\"", action);
    }
    if (needs && strcmp(needs, "id") == 0 && (id == NULL || id[0] == '\0')) {
        json_decref(doc);
        return s_error(self, c, 400, "%s needs the order's client \"id\"", action);
    }
    if (needs && strcmp(needs, "target") == 0 && target == NULL) {
        json_decref(doc);
        return s_error(self, c, 400, "%s needs a \"target\" instance", action);
    }
    char inst[CTL_NAME_MAX];
    if (target) {
        if (!s_known(self, target) || strcmp(target, self->d.instance) == 0) {
            enum MHD_Result r =
                s_error(self, c, 400, "\"target\": no stage instance %.40s in the config", target);
            json_decref(doc);
            return r;
        }
        (void)snprintf(inst, sizeof inst, "%s", target);
    } else if (s_first(self, k_actions[k].role, inst) != 0) {
        json_decref(doc);
        return s_error(self, c, 400, "the config has no %s instance", k_actions[k].role);
    }
    /* the args: the reason (kill), the symbol (flatten), the order id (cancel) */
    const char *arg = strcmp(action, "kill") == 0      ? reason
                      : strcmp(action, "flatten") == 0 ? symbol
                      : strcmp(action, "cancel") == 0  ? id
                                                       : NULL;
    bool clean = arg == NULL || s_clean(arg, a.args, sizeof a.args);
    json_decref(doc); /* arg, target, reason, symbol, id are not used past here */
    if (!clean) {
        return s_error(self, c, 400, "the %s must be under %zu bytes without control characters",
                       strcmp(action, "kill") == 0 ? "reason" : "argument", sizeof a.args);
    }
    if (arg && strcmp(action, "kill") != 0 && strchr(a.args, ' ')) {
        return s_error(self, c, 400, "a symbol or order id has no spaces");
    }
    int64_t now = clock_wall_ns();
    if (!s_rate_ok(self, now)) {
        return s_error(self, c, 429, "more than %lld control calls in a minute",
                       (long long)self->d.gc->control_per_min);
    }
    (void)snprintf(a.target, sizeof a.target, "%s", inst);
    char cmd[256];
    (void)snprintf(cmd, sizeof cmd, "%s%s%s", action, a.args[0] ? " " : "", a.args);
    char one[1][CTL_NAME_MAX];
    memcpy(one[0], inst, CTL_NAME_MAX);
    char ep[512];
    const char *ep_ptr = cfg_endpoint(self->d.cfg, inst, "ctl", ep, sizeof ep) == 0 ? ep : NULL;
    char *reply = NULL;
    int got = ep_ptr ? ctl_query_many(&ep_ptr, 1, cmd, (int)self->d.gc->ctl_timeout_ms, &reply) : 0;
    a.ts_event = now;
    unsigned code;
    char *body;
    if (got == 1 && reply) {
        json_t *j = json_loads(reply, 0, NULL);
        bool refused = j == NULL || json_is_false(json_object_get(j, "ok"));
        json_decref(j);
        a.ok = !refused;
        code = refused ? 409 : 200;
        (void)snprintf(a.answer, sizeof a.answer, "%s", reply);
        body = reply; /* the stage's answer as it is */
    } else {
        free(reply);
        (void)snprintf(a.answer, sizeof a.answer,
                       "{\"error\":\"no answer from %s within %lld ms\"}", inst,
                       (long long)self->d.gc->ctl_timeout_ms);
        body = strdup(a.answer);
        code = 504;
    }
    log_notice(k_mod, "control %s on %s%s%s by token %s: %s", a.action, a.target,
               a.args[0] ? " " : "", a.args, a.token, a.ok ? "done" : "not done");
    s_queue_action(self, &a);
    if (!a.ok) {
        pthread_mutex_lock(&self->qlock);
        self->st.control_refused++;
        pthread_mutex_unlock(&self->qlock);
    }
    if (body == NULL) {
        return MHD_NO;
    }
    return s_send(self, c, code, "application/json", body, strlen(body));
}

/* ---- SSE -------------------------------------------------------------------------------- */

static void
s_sse_free(void *cls)
{
    s_sse_t *s = cls;
    server_t *self = s->srv;
    pthread_mutex_lock(&self->qlock);
    for (size_t i = 0; i < self->n_sse; i++) {
        if (self->sse[i] == s) {
            self->sse[i] = self->sse[--self->n_sse];
            break;
        }
    }
    self->st.sse_clients = self->n_sse;
    pthread_mutex_unlock(&self->qlock);
    free(s->pending);
    free(s);
}

/* Fill s->pending with what is due: the next event(s), else a heartbeat comment. */
static void
s_sse_fill(s_sse_t *s)
{
    server_t *self = s->srv;
    size_t cap = 0, len = 0;
    char *buf = NULL;
    pthread_mutex_lock(&self->lock);
    ring_event_t ev;
    uint64_t missed = 0;
    int n = 0;
    while (n < 64 && ring_next(self->d.ring, s->last_id, &ev, n == 0 ? &missed : NULL) == 0) {
        size_t need = strlen(ev.data) + strlen(ev.name) + 96;
        if (len + need > cap) {
            cap = (len + need) * 2;
            char *b = realloc(buf, cap);
            if (b == NULL) {
                break;
            }
            buf = b;
        }
        if (n == 0 && missed > 0) {
            len += (size_t)snprintf(buf + len, cap - len, ": missed %llu events\n",
                                    (unsigned long long)missed);
        }
        len += (size_t)snprintf(buf + len, cap - len, "id: %llu\nevent: %s\ndata: %s\n\n",
                                (unsigned long long)ev.id, ev.name, ev.data);
        s->last_id = ev.id;
        n++;
    }
    pthread_mutex_unlock(&self->lock);
    int64_t now = clock_mono_ns();
    if (len == 0 && now >= s->next_hb_ns) {
        free(buf);
        buf = strdup(": heartbeat\n\n");
        len = buf ? strlen(buf) : 0;
    }
    if (len > 0) {
        s->next_hb_ns = now + self->d.gc->sse_heartbeat_s * CLOCK_NS_PER_S;
        s->pending = buf;
        s->p_len = len;
        s->p_off = 0;
    } else {
        free(buf);
    }
}

static ssize_t
s_sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
    s_sse_t *s = cls;
    (void)pos;
    if (s->pending == NULL) {
        s_sse_fill(s);
    }
    if (s->pending == NULL) {
        /* nothing due: wait for server_notify (flag and suspend under the lock, so a
         * notify never resumes a connection that is not suspended yet) */
        pthread_mutex_lock(&s->srv->qlock);
        if (s->srv->stopping) {
            pthread_mutex_unlock(&s->srv->qlock);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        s->suspended = true;
        MHD_suspend_connection(s->conn);
        pthread_mutex_unlock(&s->srv->qlock);
        return 0;
    }
    size_t n = s->p_len - s->p_off;
    if (n > max) {
        n = max;
    }
    memcpy(out, s->pending + s->p_off, n);
    s->p_off += n;
    if (s->p_off == s->p_len) {
        free(s->pending);
        s->pending = NULL;
    }
    return (ssize_t)n;
}

static enum MHD_Result
s_events(server_t *self, struct MHD_Connection *c)
{
    const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    uint64_t last_id = 0;
    if (last && last[0]) {
        char *end = NULL;
        errno = 0;
        unsigned long long x = strtoull(last, &end, 10);
        if (errno || end == last || *end) {
            return s_error(self, c, 400, "Last-Event-ID must be an event id (a number)");
        }
        last_id = x;
    } else {
        pthread_mutex_lock(&self->lock);
        last_id = ring_last_id(self->d.ring); /* a new client starts now */
        pthread_mutex_unlock(&self->lock);
    }
    pthread_mutex_lock(&self->qlock);
    bool full = self->n_sse == S_SSE_MAX;
    pthread_mutex_unlock(&self->qlock);
    if (full) {
        return s_error(self, c, 503, "too many event stream clients (%d)", S_SSE_MAX);
    }
    s_sse_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return MHD_NO;
    }
    s->srv = self;
    s->conn = c;
    s->last_id = last_id;
    s->pending = strdup(": tradepipe events\nretry: 2000\n\n");
    s->p_len = s->pending ? strlen(s->pending) : 0;
    s->next_hb_ns = clock_mono_ns() + self->d.gc->sse_heartbeat_s * CLOCK_NS_PER_S;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, s_sse_read, s, s_sse_free);
    if (r == NULL) {
        free(s->pending);
        free(s);
        return MHD_NO;
    }
    pthread_mutex_lock(&self->qlock);
    self->sse[self->n_sse++] = s;
    self->st.sse_clients = self->n_sse;
    pthread_mutex_unlock(&self->qlock);
    (void)MHD_add_response_header(r, "Content-Type", "text/event-stream");
    (void)MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    s_count(self, 200);
    return ret;
}

void
server_notify(server_t *self)
{
    pthread_mutex_lock(&self->qlock);
    for (size_t i = 0; i < self->n_sse; i++) {
        if (self->sse[i]->suspended) {
            self->sse[i]->suspended = false;
            MHD_resume_connection(self->sse[i]->conn);
        }
    }
    pthread_mutex_unlock(&self->qlock);
}

/* ---- static files ------------------------------------------------------------------------- */

static enum MHD_Result
s_file(server_t *self, struct MHD_Connection *c, const char *path, const char *type)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return s_error(self, c, 404, "not installed: %s (Debian package libjs-chart.js)", path);
    }
    (void)fseek(f, 0, SEEK_END);
    long n = ftell(f);
    (void)fseek(f, 0, SEEK_SET);
    char *buf = n > 0 && n < 16 * 1024 * 1024 ? malloc((size_t)n) : NULL;
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        (void)fclose(f);
        return s_error(self, c, 500, "cannot read %s", path);
    }
    (void)fclose(f);
    return s_send(self, c, 200, type, buf, (size_t)n);
}

/* ---- routing ------------------------------------------------------------------------------ */

static enum MHD_Result
s_route(server_t *self, struct MHD_Connection *c, const char *url, const char *method,
        const s_req_t *req)
{
    static const char *const k_read[] = { "status",  "positions", "orders",     "fills",
                                          "equity",  "pnl",       "risk",       "alerts",
                                          "signals", "events",    "strategies", NULL };
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    if (req->too_big) {
        return s_error(self, c, 413, "request body over %lld bytes",
                       (long long)self->d.gc->max_body);
    }
    if (strcmp(url, "/api/v1/health") == 0 || strcmp(url, "/api/v1/ready") == 0) {
        if (!get) {
            return s_error(self, c, 405, "%s takes GET", url);
        }
        return url[8] == 'h' ? s_health(self, c) : s_ready(self, c);
    }
    if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0) {
        if (!get) {
            return s_error(self, c, 405, "%s takes GET", url);
        }
        char *page = strdup(dashboard_html);
        if (page == NULL) {
            return MHD_NO;
        }
        return s_send(self, c, 200, "text/html; charset=utf-8", page, strlen(page));
    }
    if (strcmp(url, "/static/chart.min.js") == 0) {
        char path[600];
        (void)snprintf(path, sizeof path, "%s/chart.min.js", self->d.static_dir);
        return s_file(self, c, path, "application/javascript");
    }
    const char *what = NULL;
    bool control = false, metrics = strcmp(url, "/metrics") == 0;
    if (strncmp(url, "/api/v1/", 8) == 0) {
        for (const char *const *r = k_read; *r; r++) {
            if (strcmp(url + 8, *r) == 0) {
                what = *r;
            }
        }
        control = strcmp(url + 8, "control") == 0;
    }
    if (what == NULL && !control && !metrics) {
        return s_error(self, c, 404, "no such path");
    }
    const char *name = NULL;
    int a =
        auth_check(self->d.auth,
                   MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
                   control ? AUTH_CONTROL : AUTH_READ, &name);
    if (a == 401) {
        return s_error(self, c, 401, "a bearer token is needed (Authorization: Bearer TOKEN)%s",
                       auth_has(self->d.auth, AUTH_READ) || auth_has(self->d.auth, AUTH_CONTROL)
                           ? ""
                           : "; the gateway has no token configured");
    }
    if (a == 403) {
        return s_error(self, c, 403, "%s", control ? "this token may not control" : "wrong token");
    }
    if (control) {
        return post ? s_control(self, c, req, name) : s_error(self, c, 405, "%s takes POST", url);
    }
    if (!get) {
        return s_error(self, c, 405, "%s takes GET", url);
    }
    if (metrics) {
        return s_metrics(self, c);
    }
    if (strcmp(what, "status") == 0) {
        return s_status(self, c);
    }
    if (strcmp(what, "positions") == 0) {
        return s_positions(self, c);
    }
    if (strcmp(what, "equity") == 0) {
        return s_equity(self, c);
    }
    if (strcmp(what, "pnl") == 0) {
        return s_pnl(self, c);
    }
    if (strcmp(what, "risk") == 0) {
        return s_risk(self, c);
    }
    if (strcmp(what, "events") == 0) {
        return s_events(self, c);
    }
    if (strcmp(what, "strategies") == 0) {
        pthread_mutex_lock(&self->lock);
        json_t *st = view_strategies(self->d.view);
        pthread_mutex_unlock(&self->lock);
        return s_json(self, c, 200, json_pack("{s:o}", "strategies", st));
    }
    return s_list(self, c, what);
}

static enum MHD_Result
s_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
          const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    server_t *self = cls;
    (void)version;
    s_req_t *req = *con_cls;
    if (req == NULL) {
        req = calloc(1, sizeof *req);
        if (req == NULL) {
            return MHD_NO;
        }
        *con_cls = req;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoll(cl, NULL, 10) > self->d.gc->max_body) {
            /* answer before the body is read: libmicrohttpd then discards it and closes */
            req->too_big = true;
            return s_error(self, c, 413, "request body over %lld bytes",
                           (long long)self->d.gc->max_body);
        }
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!req->too_big && req->len + *upload_size <= (size_t)self->d.gc->max_body) {
            char *b = realloc(req->body, req->len + *upload_size + 1);
            if (b == NULL) {
                return MHD_NO;
            }
            memcpy(b + req->len, upload, *upload_size);
            req->body = b;
            req->len += *upload_size;
            req->body[req->len] = '\0';
        } else {
            req->too_big = true;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return s_route(self, c, url, method, req);
}

static void
s_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    s_req_t *req = *con_cls;
    if (req) {
        free(req->body);
        free(req);
        *con_cls = NULL;
    }
}

static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n') {
        msg[--n] = '\0';
    }
    if (strstr(msg, "no longer available") != NULL) {
        log_debug(k_mod, "http: %s", msg); /* a client went away (an event stream closed) */
        return;
    }
    log_warn(k_mod, "http: %s", msg);
}

static char *
s_slurp(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        (void)snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(65536);
    size_t n = buf ? fread(buf, 1, 65535, f) : 0;
    (void)fclose(f);
    if (buf == NULL || n == 0) {
        free(buf);
        (void)snprintf(err, errlen, "cannot read %s: empty", path);
        errno = EINVAL;
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

server_t *
server_new(const server_deps_t *deps, char *err, size_t errlen)
{
    server_t *self = calloc(1, sizeof *self);
    if (self == NULL) {
        (void)snprintf(err, errlen, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    self->d = *deps;
    self->wake[0] = self->wake[1] = -1;
    pthread_mutex_init(&self->lock, NULL);
    pthread_mutex_init(&self->qlock, NULL);
    self->n_names = ctl_instances(deps->cfg, self->names, S_MAX_INST);
    if (pipe(self->wake) != 0 || fcntl(self->wake[0], F_SETFL, O_NONBLOCK) != 0
        || fcntl(self->wake[1], F_SETFL, O_NONBLOCK) != 0
        || fcntl(self->wake[0], F_SETFD, FD_CLOEXEC) != 0
        || fcntl(self->wake[1], F_SETFD, FD_CLOEXEC) != 0) {
        (void)snprintf(err, errlen, "cannot make a pipe: %s", strerror(errno));
        server_destroy(&self);
        return NULL;
    }
    const gateway_config_t *gc = deps->gc;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME
                     | MHD_USE_ERROR_LOG;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, gc->bind, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)gc->port);
    } else if (inet_pton(AF_INET6, gc->bind, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)gc->port);
        flags |= MHD_USE_IPv6;
    } else {
        (void)snprintf(err, errlen, "gateway.bind %s is not a numeric address", gc->bind);
        server_destroy(&self);
        errno = EINVAL;
        return NULL;
    }
    if (gc->tls_cert[0]) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            (void)snprintf(err, errlen, "this libmicrohttpd has no TLS support");
            server_destroy(&self);
            errno = ENOTSUP;
            return NULL;
        }
        self->tls_cert = s_slurp(gc->tls_cert, err, errlen);
        self->tls_key = self->tls_cert ? s_slurp(gc->tls_key, err, errlen) : NULL;
        if (self->tls_key == NULL) {
            server_destroy(&self);
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    if (self->tls_cert) {
        self->mhd = MHD_start_daemon(
            flags, 0, NULL, NULL, s_handler, self, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self,
            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, s_completed,
            self, MHD_OPTION_CONNECTION_LIMIT, (unsigned)(S_SSE_MAX + 64),
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_HTTPS_MEM_CERT, self->tls_cert,
            MHD_OPTION_HTTPS_MEM_KEY, self->tls_key, MHD_OPTION_END);
    } else {
        self->mhd = MHD_start_daemon(
            flags, 0, NULL, NULL, s_handler, self, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self,
            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, s_completed,
            self, MHD_OPTION_CONNECTION_LIMIT, (unsigned)(S_SSE_MAX + 64),
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    }
    if (self->mhd == NULL) {
        int e = errno;
        (void)snprintf(err, errlen, "cannot bind %s:%lld: %s", gc->bind, (long long)gc->port,
                       e ? strerror(e) : "libmicrohttpd refused to start");
        server_destroy(&self);
        errno = e ? e : EADDRINUSE;
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->mhd, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : (int)gc->port;
    return self;
}

void
server_destroy(server_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    server_t *self = *self_p;
    if (self->mhd) {
        pthread_mutex_lock(&self->qlock);
        self->stopping = true;
        pthread_mutex_unlock(&self->qlock);
        server_notify(self); /* suspended connections must be resumed before the stop */
        MHD_stop_daemon(self->mhd);
    }
    if (self->wake[0] >= 0) {
        close(self->wake[0]);
        close(self->wake[1]);
    }
    if (self->tls_key) {
        memset(self->tls_key, 0, strlen(self->tls_key));
    }
    free(self->tls_key);
    free(self->tls_cert);
    json_decref(self->status_cache);
    pthread_mutex_destroy(&self->lock);
    pthread_mutex_destroy(&self->qlock);
    free(self);
    *self_p = NULL;
}

int
server_port(const server_t *self)
{
    return self->port;
}

void
server_lock(server_t *self)
{
    pthread_mutex_lock(&self->lock);
}

void
server_unlock(server_t *self)
{
    pthread_mutex_unlock(&self->lock);
}

int
server_wake_fd(const server_t *self)
{
    return self->wake[0];
}

int
server_take_action(server_t *self, codec_gw_action_t *out)
{
    char drain[64];
    while (read(self->wake[0], drain, sizeof drain) > 0) {
    }
    pthread_mutex_lock(&self->qlock);
    int rc = -1;
    if (self->a_n > 0) {
        *out = self->actions[self->a_head];
        self->a_head = (self->a_head + 1) % S_ACTIONS_MAX;
        self->a_n--;
        rc = 0;
    }
    pthread_mutex_unlock(&self->qlock);
    return rc;
}

void
server_stats(server_t *self, server_stats_t *out)
{
    pthread_mutex_lock(&self->qlock);
    *out = self->st;
    pthread_mutex_unlock(&self->qlock);
}
