/*  server.c - venue-sim's libwebsockets server (see server.h for URLs and counting rules).
 *  Protocol facts: Bybit v5 public WS subscribe/ack/ping/pong shapes from /work/shared
 *  BYBIT_V5.md 1.2-1.3 (linear and spot acks differ); Binance combined streams
 *  ("/stream?streams=a/b/c", frames {"stream":..,"data":..}) and the WS SUBSCRIBE method
 *  ({"method":"SUBSCRIBE","params":[..],"id":n} -> {"result":null,"id":n}) from Binance's
 *  "WebSocket Market Streams" docs.
 *  Client JSON is parsed with jansson (rare, small messages; not the replay hot path).
 */
#include "tools/venue-sim/server.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/lwsloop.h"
#include "tools/venue-sim/faults.h"
#include "tools/venue-sim/klines.h"

#define K_LABELS     CODEC_BARRIER_CONNS
#define K_HTTP_CHUNK 65536 /* bytes per HTTP_WRITEABLE */
#define K_SPIN_MAX   256   /* lws service rounds per flush while writes progress */

static const char *const k_mod = "server";

typedef struct {
    const char *p; /* frame text (borrowed from source, or `owned`) */
    uint32_t len;
    bool owned;
} s_item_t;

typedef struct s_conn {
    struct lws *wsi;
    source_kind_t kind;
    int label; /* index into labels, -1 = plain */
    char conn_id[32];
    bool *subs;    /* [n_keys]: subscribed keys of this kind */
    size_t n_subs; /* names accepted (including names without data) */
    s_item_t *q;   /* ring */
    size_t q_head, q_n, q_cap;
    char *rx;
    size_t rx_len;
    bool rx_overflow;
    bool priv;       /* /v5/private (private.c answers its messages) */
    uint64_t num_id; /* next_conn_id at open (server_ws_send) */
    struct s_conn *next;
} s_conn_t;

typedef struct {
    char name[CODEC_ID_MAX];
    uint64_t count;
    int open; /* open connections with this label */
} s_label_t;

/* per-session data (lws allocates it, zeroed, per wsi) */
typedef struct {
    s_conn_t *conn;
    source_kind_t kind;
    char label[CODEC_ID_MAX];
    char streams[2048];
    /* HTTP response */
    const char *body;
    size_t body_len, body_off;
    char *body_owned;
    /* private REST (cfg.private_http): POST body gathered until BODY_COMPLETION */
    bool priv;
    char path[128];
    char *post;
    size_t post_len;
    char foreign[48]; /* the run id a client of another run sent ("" = ours or none) */
} s_pss_t;

struct server {
    zloop_t *loop;
    server_cfg_t cfg;
    lwsloop_t *lp;
    struct lws_context *ctx;
    server_event_fn *fn;
    void *arg;
    s_conn_t *conns;
    size_t n_open;
    s_label_t labels[K_LABELS];
    size_t n_labels;
    size_t pending; /* frames queued over all connections */
    unsigned char *scratch;
    size_t scratch_cap;
    uint64_t next_conn_id;
    int in_cb;
    bool wrote;
    int64_t dummy;
    log_limit_t bad_limit;
    int64_t sent_ms; /* replay clock: latest event time handed to server_send (REST klines) */
};

static const char *const k_kind_path[SOURCE_KIND_COUNT] = {
    [SOURCE_BYBIT_LINEAR] = "/v5/public/linear",
    [SOURCE_BYBIT_SPOT] = "/v5/public/spot",
    [SOURCE_BINANCE_USDM] = "/usdm/stream",
    [SOURCE_BINANCE_SPOT] = "/spot/stream",
};

static bool
s_is_bybit(source_kind_t k)
{
    return k == SOURCE_BYBIT_LINEAR || k == SOURCE_BYBIT_SPOT;
}

/* printf into a malloc'd string (caller frees); NULL on ENOMEM. */
static char *s_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
s_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return NULL;
    }
    char *out = malloc((size_t)n + 1);
    if (!out) {
        return NULL;
    }
    va_start(ap, fmt);
    (void)vsnprintf(out, (size_t)n + 1, fmt, ap); /* same format and args: cannot fail now */
    va_end(ap);
    return out;
}

static void
s_notify(server_t *self, server_event_t ev)
{
    if (self->fn) {
        self->fn(ev, self->arg);
    }
}

static void
s_bad(server_t *self, const char *what, const char *sample, size_t len)
{
    (*self->cfg.bad_requests)++;
    log_limited(&self->bad_limit, LOG_WARN, k_mod, what, sample, len);
}

/* ---- queues ----------------------------------------------------------------------------- */

static int
s_enqueue(server_t *self, s_conn_t *c, const char *p, size_t len, bool owned)
{
    if (c->q_n == c->q_cap) {
        size_t cap = c->q_cap ? c->q_cap * 2 : 256;
        s_item_t *q = malloc(cap * sizeof *q);
        if (!q) {
            errno = ENOMEM;
            return -1;
        }
        for (size_t i = 0; i < c->q_n; i++) {
            q[i] = c->q[(c->q_head + i) % c->q_cap];
        }
        free(c->q);
        c->q = q;
        c->q_cap = cap;
        c->q_head = 0;
    }
    c->q[(c->q_head + c->q_n) % c->q_cap] =
        (s_item_t){ .p = p, .len = (uint32_t)len, .owned = owned };
    c->q_n++;
    self->pending++;
    if (c->q_n == 1) {
        lws_callback_on_writable(c->wsi);
    }
    return 0;
}

/* Queue a reply we built (takes ownership of text). */
static void
s_reply(server_t *self, s_conn_t *c, char *text)
{
    if (!text) {
        log_warn(k_mod, "cannot build a reply on %s: out of memory", c->conn_id);
        return;
    }
    if (s_enqueue(self, c, text, strlen(text), true) != 0) {
        free(text);
    }
}

static void
s_queue_clear(server_t *self, s_conn_t *c)
{
    for (size_t i = 0; i < c->q_n; i++) {
        s_item_t *it = &c->q[(c->q_head + i) % c->q_cap];
        if (it->owned) {
            free((char *)it->p);
        }
    }
    self->pending -= c->q_n;
    c->q_n = 0;
    c->q_head = 0;
}

/* Write one queued frame (one lws_write per WRITEABLE callback). -1 = close the connection. */
static int
s_write_one(server_t *self, s_conn_t *c)
{
    if (c->q_n == 0) {
        return 0;
    }
    s_item_t it = c->q[c->q_head];
    const char *lname = c->label >= 0 ? self->labels[c->label].name : NULL;
    int64_t stall_us = 0;
    size_t alt_len = 0;
    const char *alt = NULL;
    /* faults.h: 1 skip, 2 write a bad frame first, 3 stall */
    int fa = faults_before_write(lname, s_is_bybit(c->kind), !it.owned, it.p, it.len, &alt,
                                 &alt_len, &stall_us);
    if (fa == 3) {
        lws_set_timer_usecs(c->wsi, stall_us);
        return 0;
    }
    if (fa == 1) {
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_n--;
        self->pending--;
        if (c->q_n > 0) {
            lws_callback_on_writable(c->wsi);
        } else if (self->pending == 0) {
            s_notify(self, SERVER_EV_IDLE);
        }
        return 0;
    }
    if (fa == 2) {
        it = (s_item_t){ .p = alt, .len = (uint32_t)alt_len, .owned = false };
    }
    if (self->scratch_cap < LWS_PRE + (size_t)it.len) {
        size_t cap = LWS_PRE + (size_t)it.len + 4096;
        unsigned char *p = realloc(self->scratch, cap);
        if (!p) {
            log_warn(k_mod, "cannot write on %s: out of memory", c->conn_id);
            return -1;
        }
        self->scratch = p;
        self->scratch_cap = cap;
    }
    memcpy(self->scratch + LWS_PRE, it.p, it.len);
    int n = lws_write(c->wsi, self->scratch + LWS_PRE, it.len, LWS_WRITE_TEXT);
    if (n < (int)it.len) {
        log_warn(k_mod, "write failed on %s (%d of %u bytes): closing", c->conn_id, n, it.len);
        return -1;
    }
    if (fa == 2) { /* the bad frame went first; the queued one stays */
        if (c->label >= 0) {
            self->labels[c->label].count++;
        }
        (*self->cfg.frames_sent)++;
        self->wrote = true;
        lws_callback_on_writable(c->wsi);
        return faults_after_write(lname, it.p, it.len) ? -1 : 0;
    }
    bool drop = faults_after_write(lname, it.p, it.len); /* before a reply is freed */
    if (it.owned) {
        free((char *)it.p);
    }
    c->q_head = (c->q_head + 1) % c->q_cap;
    c->q_n--;
    self->pending--;
    if (c->label >= 0) {
        self->labels[c->label].count++;
    }
    (*self->cfg.frames_sent)++;
    self->wrote = true;
    if (drop) {
        return -1; /* faults.h drop-after: lws closes the connection */
    }
    if (c->q_n > 0) {
        lws_callback_on_writable(c->wsi);
    } else if (self->pending == 0) {
        s_notify(self, SERVER_EV_IDLE);
    }
    return 0;
}

/* ---- subscriptions ---------------------------------------------------------------------- */

/* Subscribe/unsubscribe name (already normalised). Returns 0. */
static void
s_sub(server_t *self, s_conn_t *c, const char *name, bool on)
{
    int key = source_key_find(self->cfg.src, c->kind, name);
    if (key >= 0 && c->subs) {
        if (c->subs[key] != on) {
            c->subs[key] = on;
        }
    }
    if (on) {
        c->n_subs++;
    } else if (c->n_subs > 0) {
        c->n_subs--;
    }
}

static bool
s_valid_name(const char *s, size_t len)
{
    if (len == 0 || len >= 128) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(isalnum(ch) || ch == '.' || ch == '@' || ch == '_' || ch == '-' || ch == '!')) {
            return false;
        }
    }
    return true;
}

/* JSON text of v (or `dflt` if v is NULL), malloc'd. */
static char *
s_dump(const json_t *v, const char *dflt)
{
    if (!v) {
        return strdup(dflt);
    }
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* Bybit ack / pong / error in the category's shape (BYBIT_V5.md 1.2, 1.3). */
static char *
s_bybit_reply(const s_conn_t *c, bool ok, const char *ret_msg, const json_t *req_id,
              const char *op_json)
{
    char *rid = s_dump(req_id, "\"\"");
    char *out = NULL;
    if (!rid) {
        return NULL;
    }
    if (c->kind == SOURCE_BYBIT_SPOT && !req_id) {
        out = s_fmt("{\"success\":%s,\"ret_msg\":\"%s\",\"conn_id\":\"%s\",\"op\":%s}",
                    ok ? "true" : "false", ret_msg, c->conn_id, op_json);
    } else {
        out =
            s_fmt("{\"success\":%s,\"ret_msg\":\"%s\",\"conn_id\":\"%s\",\"req_id\":%s,\"op\":%s}",
                  ok ? "true" : "false", ret_msg, c->conn_id, rid, op_json);
    }
    free(rid);
    return out; /* NULL on ENOMEM */
}

static void
s_on_bybit(server_t *self, s_conn_t *c, const char *msg, size_t len)
{
    json_error_t jerr;
    json_t *j = json_loadb(msg, len, 0, &jerr);
    const json_t *req_id = j ? json_object_get(j, "req_id") : NULL;
    const json_t *op = j ? json_object_get(j, "op") : NULL;
    const char *ops = json_is_string(op) ? json_string_value(op) : NULL;
    char *op_json = s_dump(json_is_string(op) ? op : NULL, "\"\"");

    if (!j || !json_is_object(j) || !ops || !op_json) {
        s_bad(self, "bad client frame (not an object with op)", msg, len);
        s_reply(self, c,
                s_bybit_reply(c, false, "error:invalid op", req_id, op_json ? op_json : "\"\""));
    } else if (strcmp(ops, "ping") == 0) {
        s_reply(self, c, s_bybit_reply(c, true, "pong", req_id, "\"ping\""));
    } else if (strcmp(ops, "subscribe") == 0 || strcmp(ops, "unsubscribe") == 0) {
        bool on = ops[0] == 's';
        const json_t *args = json_object_get(j, "args");
        size_t i;
        const json_t *a;
        bool good = json_is_array(args) && json_array_size(args) > 0;
        json_array_foreach(args, i, a)
        {
            if (!json_is_string(a) || !s_valid_name(json_string_value(a), json_string_length(a))) {
                good = false;
            }
        }
        const char *lname = c->label >= 0 ? self->labels[c->label].name : NULL;
        if (!good) {
            s_bad(self, "bad subscribe args", msg, len);
            s_reply(self, c, s_bybit_reply(c, false, "error:invalid args", req_id, op_json));
        } else if (on && faults_refuse_sub(lname)) {
            s_reply(self, c, s_bybit_reply(c, false, "error:handler not found", req_id, op_json));
        } else {
            json_array_foreach(args, i, a)
            {
                s_sub(self, c, json_string_value(a), on);
            }
            const char *rm = c->kind == SOURCE_BYBIT_SPOT ? ops : "";
            s_reply(self, c, s_bybit_reply(c, true, rm, req_id, op_json));
            json_array_foreach(args, i, a) /* faults.h live snapshots (NULL when off) */
            {
                char *snap = on ? faults_bybit_snapshot((int)c->kind, json_string_value(a)) : NULL;
                if (snap) {
                    s_reply(self, c, snap);
                }
            }
            if (on) {
                (*self->cfg.subscribe_ok)++;
            }
            s_notify(self, SERVER_EV_CHANGE);
        }
    } else {
        s_bad(self, "unknown op", msg, len);
        s_reply(self, c, s_bybit_reply(c, false, "error:invalid op", req_id, op_json));
    }
    free(op_json);
    json_decref(j);
}

static void
s_lower(char *s)
{
    for (; *s; s++) {
        *s = (char)tolower((unsigned char)*s);
    }
}

static void
s_on_binance(server_t *self, s_conn_t *c, const char *msg, size_t len)
{
    json_error_t jerr;
    json_t *j = json_loadb(msg, len, 0, &jerr);
    const json_t *method = j ? json_object_get(j, "method") : NULL;
    const json_t *id = j ? json_object_get(j, "id") : NULL;
    const char *m = json_is_string(method) ? json_string_value(method) : "";
    char *idj = s_dump(id, "null");
    char *out = NULL;

    if (!idj) {
        json_decref(j);
        return;
    }
    if (!json_is_object(j)) {
        s_bad(self, "bad client frame (not a JSON object)", msg, len);
        out = s_fmt("{\"error\":{\"code\":2,\"msg\":\"Invalid request\"},\"id\":null}");
    } else if (strcmp(m, "SUBSCRIBE") == 0 || strcmp(m, "UNSUBSCRIBE") == 0) {
        const json_t *params = json_object_get(j, "params");
        bool good = json_is_array(params);
        size_t i;
        const json_t *a;
        json_array_foreach(params, i, a)
        {
            if (!json_is_string(a) || !s_valid_name(json_string_value(a), json_string_length(a))) {
                good = false;
            }
        }
        if (good && m[0] == 'S'
            && faults_refuse_sub(c->label >= 0 ? self->labels[c->label].name : NULL)) {
            out = s_fmt("{\"error\":{\"code\":2,\"msg\":\"Invalid request\"},\"id\":%s}", idj);
        } else if (good) {
            json_array_foreach(params, i, a)
            {
                char name[128];
                snprintf(name, sizeof name, "%s", json_string_value(a));
                s_lower(name);
                s_sub(self, c, name, m[0] == 'S');
            }
            if (m[0] == 'S') {
                (*self->cfg.subscribe_ok)++;
            }
            out = s_fmt("{\"result\":null,\"id\":%s}", idj);
            s_notify(self, SERVER_EV_CHANGE);
        } else {
            s_bad(self, "bad SUBSCRIBE params", msg, len);
            out = s_fmt("{\"error\":{\"code\":2,\"msg\":\"Invalid request\"},\"id\":%s}", idj);
        }
    } else if (strcmp(m, "LIST_SUBSCRIPTIONS") == 0) {
        json_t *list = json_array();
        for (size_t k = 0; c->subs && k < source_keys(self->cfg.src); k++) {
            if (c->subs[k]) {
                json_array_append_new(list,
                                      json_string(source_key_name(self->cfg.src, (uint32_t)k)));
            }
        }
        char *lj = s_dump(list, "[]");
        if (lj) {
            out = s_fmt("{\"result\":%s,\"id\":%s}", lj, idj);
        }
        free(lj);
        json_decref(list);
    } else {
        s_bad(self, "unknown method", msg, len);
        out = s_fmt("{\"error\":{\"code\":2,\"msg\":\"Invalid request\"},\"id\":%s}", idj);
    }
    s_reply(self, c, out);
    free(idj);
    json_decref(j);
}

/* ---- connections ------------------------------------------------------------------------ */

static int
s_label_index(server_t *self, const char *name)
{
    for (size_t i = 0; i < self->n_labels; i++) {
        if (strcmp(self->labels[i].name, name) == 0) {
            return (int)i;
        }
    }
    if (self->n_labels == K_LABELS) {
        return -1;
    }
    snprintf(self->labels[self->n_labels].name, CODEC_ID_MAX, "%s", name);
    self->labels[self->n_labels].count = 0;
    self->labels[self->n_labels].open = 0;
    return (int)self->n_labels++;
}

static s_conn_t *
s_conn_open(server_t *self, struct lws *wsi, s_pss_t *pss)
{
    s_conn_t *c = calloc(1, sizeof *c);
    size_t nk = source_keys(self->cfg.src);
    if (!c) {
        return NULL;
    }
    c->subs = calloc(nk ? nk : 1, sizeof *c->subs);
    c->rx = malloc(SERVER_MSG_MAX);
    if (!c->subs || !c->rx) {
        free(c->subs);
        free(c->rx);
        free(c);
        return NULL;
    }
    c->wsi = wsi;
    c->kind = pss->kind;
    c->label = -1;
    c->priv = pss->priv;
    self->next_conn_id++;
    c->num_id = self->next_conn_id;
    /* deterministic ids (a replay twice gives the same acks) */
    snprintf(c->conn_id, sizeof c->conn_id, "venuesim-%llu",
             (unsigned long long)self->next_conn_id);
    if (pss->label[0]) {
        c->label = s_label_index(self, pss->label);
        assert(c->label >= 0); /* checked at filter time */
        self->labels[c->label].open++;
    }
    if (!s_is_bybit(c->kind) && pss->streams[0]) {
        char *save = NULL;
        for (char *t = strtok_r(pss->streams, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
            s_lower(t);
            s_sub(self, c, t, true);
        }
    }
    c->next = self->conns;
    self->conns = c;
    self->n_open++;
    (*self->cfg.connections)++;
    return c;
}

static void
s_conn_close(server_t *self, s_conn_t *c)
{
    s_conn_t **pp = &self->conns;
    while (*pp && *pp != c) {
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = c->next;
    }
    s_queue_clear(self, c);
    if (c->label >= 0) {
        self->labels[c->label].open--;
    }
    self->n_open--;
    free(c->q);
    free(c->subs);
    free(c->rx);
    free(c);
}

/* Copy custom header `name` ("x-bapi-sign:") into buf ("" when absent). */
static void
s_hdr(struct lws *wsi, const char *name, char *buf, int cap)
{
    buf[0] = '\0';
    if (lws_hdr_custom_copy(wsi, buf, cap, name, (int)strlen(name)) < 0) {
        buf[0] = '\0';
    }
}

/* Check a WS upgrade: known path, sane label, Binance streams. 0 = accept. */
static int
s_filter(server_t *self, struct lws *wsi, s_pss_t *pss)
{
    char path[256], buf[2048];
    const char *v;
    if (lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI) <= 0) {
        s_bad(self, "websocket upgrade without a path", NULL, 0);
        return -1;
    }
    int kind = -1;
    pss->priv = false;
    if (self->cfg.private_ws && strcmp(path, "/v5/private") == 0) {
        pss->priv = true;              /* private.c: auth, order/execution/position/wallet topics */
        pss->kind = SOURCE_KIND_COUNT; /* never matches a replayed frame */
        pss->label[0] = '\0';
        return 0;
    }
    for (int k = 0; k < SOURCE_KIND_COUNT; k++) {
        if (strcmp(path, k_kind_path[k]) == 0) {
            kind = k;
        }
    }
    if (kind < 0) {
        s_bad(self, "websocket upgrade on an unknown path", path, strlen(path));
        return -1;
    }
    pss->kind = (source_kind_t)kind;
    pss->label[0] = '\0';
    pss->streams[0] = '\0';
    v = lws_get_urlarg_by_name(wsi, "replay_conn=", buf, (int)sizeof buf);
    if (v) {
        size_t l = strlen(v);
        if (!s_valid_name(v, l) || l >= CODEC_ID_MAX) {
            s_bad(self, "bad replay_conn label", v, l);
            return -1;
        }
        bool known = false;
        for (size_t i = 0; i < self->n_labels; i++) {
            known = known || strcmp(self->labels[i].name, v) == 0;
        }
        if (!known && self->n_labels == K_LABELS) {
            s_bad(self, "too many replay_conn labels", v, l);
            return -1;
        }
        snprintf(pss->label, sizeof pss->label, "%s", v);
    }
    s_hdr(wsi, "x-tradepipe-run:", buf, (int)sizeof buf);
    pss->foreign[0] = '\0';
    if (buf[0] && self->cfg.run_id && self->cfg.run_id[0] && strcmp(buf, self->cfg.run_id) != 0) {
        snprintf(pss->foreign, sizeof pss->foreign, "%.47s", buf);
    }
    if (!s_is_bybit(pss->kind)) {
        v = lws_get_urlarg_by_name(wsi, "streams=", buf, (int)sizeof buf);
        if (v) {
            snprintf(pss->streams, sizeof pss->streams, "%s", v);
        }
    }
    return 0;
}

/* ---- HTTP ------------------------------------------------------------------------------- */

/* "X-Tradepipe-Run: <run id>" into a response being built at *p (nothing without a run id).
 * 0, or 1 if it does not fit. */
static int
s_add_run_hdr(const server_t *self, struct lws *wsi, unsigned char **p, unsigned char *end)
{
    const char *id = self->cfg.run_id;
    if (!id || !id[0]) {
        return 0;
    }
    return lws_add_http_header_by_name(wsi, (const unsigned char *)"X-Tradepipe-Run:",
                                       (const unsigned char *)id, (int)strlen(id), p, end)
               ? 1
               : 0;
}

static int
s_http_respond(struct lws *wsi, s_pss_t *pss, unsigned status, const char *body, size_t len,
               char *owned)
{
    unsigned char hdr[LWS_PRE + 1024];
    unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
    pss->body = body;
    pss->body_len = len;
    pss->body_off = 0;
    pss->body_owned = owned;
    const server_t *self = lws_context_user(lws_get_context(wsi));
    if (lws_add_http_common_headers(wsi, status, "application/json", (lws_filepos_t)len, &p, end)
        || s_add_run_hdr(self, wsi, &p, end)
        || lws_finalize_write_http_header(wsi, start, &p, end)) {
        return 1;
    }
    lws_callback_on_writable(wsi);
    return 0;
}

/* Hand a private REST request to cfg.private_http and answer it. Returns as s_http. */
static int
s_private_http(server_t *self, struct lws *wsi, s_pss_t *pss, bool post)
{
    char query[4096] = "", key[128], ts[32], rw[32], sign[160];
    size_t ql = 0; /* lws keeps each arg as a fragment: join them back with '&' */
    for (int i = 0; ql < sizeof query - 2; i++) {
        int n = lws_hdr_copy_fragment(wsi, query + ql + (i ? 1 : 0), (int)(sizeof query - ql - 1),
                                      WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0) {
            break;
        }
        if (i) {
            query[ql] = '&';
            ql++;
        }
        ql += (size_t)n;
    }
    query[ql] = '\0';
    s_hdr(wsi, "x-bapi-api-key:", key, sizeof key);
    s_hdr(wsi, "x-bapi-timestamp:", ts, sizeof ts);
    s_hdr(wsi, "x-bapi-recv-window:", rw, sizeof rw);
    s_hdr(wsi, "x-bapi-sign:", sign, sizeof sign);
    server_http_req_t rq = { .post = post,
                             .path = pss->path,
                             .query = query,
                             .body = pss->post ? pss->post : "",
                             .body_len = pss->post_len,
                             .key = key,
                             .ts = ts,
                             .recv_window = rw,
                             .sign = sign };
    server_http_resp_t rs = { .status = 200, .body = NULL, .limit = -1 };
    int handled = self->cfg.private_http(&rq, &rs, self->cfg.private_arg);
    free(pss->post);
    pss->post = NULL;
    pss->post_len = 0;
    if (!handled || !rs.body) {
        free(rs.body);
        s_bad(self, "unknown REST path", pss->path, strlen(pss->path));
        char *out = s_fmt("{\"retCode\":404,\"retMsg\":\"Not Found\",\"result\":{},"
                          "\"retExtInfo\":{},\"time\":%lld}",
                          (long long)(clock_wall_ns() / CLOCK_NS_PER_MS));
        return out ? s_http_respond(wsi, pss, HTTP_STATUS_NOT_FOUND, out, strlen(out), out) : 1;
    }
    unsigned char hdr[LWS_PRE + 1024];
    unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
    size_t len = strlen(rs.body);
    pss->body = rs.body;
    pss->body_len = len;
    pss->body_off = 0;
    pss->body_owned = rs.body;
    if (lws_add_http_common_headers(wsi, rs.status, "application/json", (lws_filepos_t)len, &p, end)
        || s_add_run_hdr(self, wsi, &p, end)) {
        return 1;
    }
    if (rs.limit >= 0) {
        char v[3][32];
        int n0 = snprintf(v[0], sizeof v[0], "%lld", (long long)rs.limit);
        int n1 = snprintf(v[1], sizeof v[1], "%lld", (long long)rs.limit_status);
        int n2 = snprintf(v[2], sizeof v[2], "%lld", (long long)rs.limit_reset_ms);
        if (lws_add_http_header_by_name(
                wsi, (const unsigned char *)"X-Bapi-Limit:", (unsigned char *)v[0], n0, &p, end)
            || lws_add_http_header_by_name(wsi, (const unsigned char *)"X-Bapi-Limit-Status:",
                                           (unsigned char *)v[1], n1, &p, end)
            || lws_add_http_header_by_name(
                wsi, (const unsigned char *)"X-Bapi-Limit-Reset-Timestamp:", (unsigned char *)v[2],
                n2, &p, end)) {
            return 1;
        }
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end)) {
        return 1;
    }
    lws_callback_on_writable(wsi);
    return 0;
}

/* REST klines (klines.h): Binance /spot/api/v3/klines, /usdm/fapi/v1/klines and Bybit
 * /v5/market/kline, from the replayed kline frames closed by the replay clock (sent_ms). */
typedef struct {
    const source_t *src;
    int key;
} s_kl_arg_t;

static const char *
s_kl_frame(size_t i, void *arg, size_t *len, int64_t *ts_ms)
{
    const s_kl_arg_t *a = arg;
    const source_frame_t *f = source_frame(a->src, i);
    if ((int)f->key != a->key) {
        return NULL;
    }
    *len = f->len;
    *ts_ms = f->ts_ms;
    return f->text;
}

static int
s_klines(server_t *self, struct lws *wsi, s_pss_t *pss, const char *uri)
{
    static const char *const k_par[] = { "startTime=", "endTime=", "limit=",
                                         "start=",     "end=",     "limit=" };
    char sym_b[48], iv_b[32], cat_b[32], key[64], num_b[48];
    const char *sym = NULL, *iv = NULL, *cat = "linear", *num; /* values inside the _b buffers */
    bool bybit = strcmp(uri, "/v5/market/kline") == 0;
    source_kind_t kind = uri[1] == 'u' ? SOURCE_BINANCE_USDM : SOURCE_BINANCE_SPOT;
    klines_query_t q = { .venue = bybit ? KLINES_BYBIT : KLINES_BINANCE, .now_ms = self->sent_ms };
    int64_t *dst[3] = { &q.start_ms, &q.end_ms, &q.limit };
    /* limits: Bybit 1..1000 (default 200); Binance spot 1000, USD-M 1500 (default 500) */
    int64_t dflt[3] = { -1, -1, bybit ? 200 : 500 };
    int64_t max = bybit || kind == SOURCE_BINANCE_SPOT ? 1000 : 1500;
    const char *err = NULL;
    bool bad_iv = false;
    if (bybit && (num = lws_get_urlarg_by_name(wsi, "category=", cat_b, (int)sizeof cat_b))) {
        cat = num;
        kind = strcmp(cat, "spot") == 0 ? SOURCE_BYBIT_SPOT : SOURCE_BYBIT_LINEAR;
        err = strcmp(cat, "spot") != 0 && strcmp(cat, "linear") != 0 ? "category" : NULL;
    } else if (bybit) {
        kind = SOURCE_BYBIT_LINEAR; /* Bybit's default category */
    }
    for (int i = 0; i < 3 && !err; i++) {
        *dst[i] = dflt[i];
        const char *par = k_par[bybit ? 3 + i : i];
        if ((num = lws_get_urlarg_by_name(wsi, par, num_b, (int)sizeof num_b))) {
            char *end;
            errno = 0;
            long long v = strtoll(num, &end, 10);
            if (errno || end == num || *end || v < (i == 2 ? 1 : 0) || (i == 2 && v > max)) {
                err = par;
            }
            *dst[i] = v;
        }
    }
    if (!err
        && (!(sym = lws_get_urlarg_by_name(wsi, "symbol=", sym_b, (int)sizeof sym_b))
            || !(iv = lws_get_urlarg_by_name(wsi, "interval=", iv_b, (int)sizeof iv_b)))) {
        err = "symbol or interval missing";
    }
    if (!err && klines_stream_name(q.venue, iv, sym, key, sizeof key) != 0) {
        bad_iv = true;
        err = "interval";
    }
    int id = err ? -1 : source_key_find(self->cfg.src, kind, key);
    s_kl_arg_t a = { self->cfg.src, id };
    size_t bad = 0;
    char *out = NULL;
    if (id >= 0) {
        out = klines_rest_body(&q, s_kl_frame, &a, source_count(self->cfg.src), cat, sym,
                               clock_wall_ns() / CLOCK_NS_PER_MS, &bad);
        if (bad) {
            s_bad(self, "klines: kline frames that do not parse", key, strlen(key));
        }
        if (out) {
            return s_http_respond(wsi, pss, HTTP_STATUS_OK, out, strlen(out), out);
        }
        err = "symbol";
    }
    /* a bad parameter, or no recorded klines for that symbol and interval: the venues'
     * answers (Binance HTTP 400 with its error code; Bybit HTTP 200 with retCode 10001) */
    s_bad(self, "klines: bad request or no recorded klines", uri, strlen(uri));
    char word[32];
    snprintf(word, sizeof word, "%s", err ? err : "symbol");
    word[strcspn(word, "=")] = '\0'; /* "startTime=" -> "startTime" */
    if (bybit) {
        out = s_fmt("{\"retCode\":10001,\"retMsg\":\"params error: %s invalid\",\"result\":{},"
                    "\"retExtInfo\":{},\"time\":%lld}",
                    word, (long long)(clock_wall_ns() / CLOCK_NS_PER_MS));
        return out ? s_http_respond(wsi, pss, HTTP_STATUS_OK, out, strlen(out), out) : 1;
    }
    bool bad_param = err && strchr(err, '=');
    int code = bad_iv ? -1120 : bad_param ? -1100 : -1121;
    out = s_fmt("{\"code\":%d,\"msg\":\"%s%s\"}", code,
                bad_iv      ? "Invalid interval."
                : bad_param ? "Illegal characters found in parameter "
                            : "Invalid symbol.",
                bad_param ? word : "");
    return out ? s_http_respond(wsi, pss, HTTP_STATUS_BAD_REQUEST, out, strlen(out), out) : 1;
}

static int
s_http(server_t *self, struct lws *wsi, s_pss_t *pss, const char *uri)
{
    char buf[256];
    const char *v;
    size_t len = 0;
    const char *body = NULL;
    char *fbody = NULL;
    unsigned fst = faults_rest(uri, &fbody); /* faults.h rest-error */
    if (fst) {
        return s_http_respond(wsi, pss, fst, fbody, strlen(fbody), fbody);
    }

    if (strcmp(uri, "/v5/market/instruments-info") == 0) {
        v = lws_get_urlarg_by_name(wsi, "category=", buf, (int)sizeof buf);
        if (v && strcmp(v, "linear") == 0) {
            body = self->cfg.instruments_linear;
        } else if (v && strcmp(v, "spot") == 0) {
            body = self->cfg.instruments_spot;
        }
        if (!body) {
            char *out = NULL;
            s_bad(self, "instruments-info: category missing or not loaded", v, v ? strlen(v) : 0);
            /* Bybit answers HTTP 200 with retCode 10001 for bad parameters */
            out = s_fmt("{\"retCode\":10001,\"retMsg\":\"params error: Category is invalid\","
                        "\"result\":{},\"retExtInfo\":{},\"time\":%lld}",
                        (long long)(clock_wall_ns() / CLOCK_NS_PER_MS));
            return out ? s_http_respond(wsi, pss, HTTP_STATUS_OK, out, strlen(out), out) : 1;
        }
        return s_http_respond(wsi, pss, HTTP_STATUS_OK, body, strlen(body), NULL);
    }
    if (strcmp(uri, "/v5/market/kline") == 0 || strcmp(uri, "/usdm/fapi/v1/klines") == 0
        || strcmp(uri, "/spot/api/v3/klines") == 0) {
        return s_klines(self, wsi, pss, uri);
    }
    if (strcmp(uri, "/usdm/fapi/v1/depth") == 0 || strcmp(uri, "/spot/api/v3/depth") == 0) {
        source_kind_t k = uri[1] == 'u' ? SOURCE_BINANCE_USDM : SOURCE_BINANCE_SPOT;
        body = source_depth_snapshot(self->cfg.src, k, &len);
        fbody = body ? faults_depth_body(k == SOURCE_BINANCE_SPOT, &len) : NULL; /* live book */
        if (fbody) {
            return s_http_respond(wsi, pss, HTTP_STATUS_OK, fbody, len, fbody);
        }
        if (!body) {
            static const char k_nosym[] = "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}";
            s_bad(self, "depth: no snapshot loaded", uri, strlen(uri));
            return s_http_respond(wsi, pss, HTTP_STATUS_BAD_REQUEST, k_nosym, sizeof k_nosym - 1,
                                  NULL);
        }
        return s_http_respond(wsi, pss, HTTP_STATUS_OK, body, len, NULL);
    }
    if (self->cfg.private_http && strlen(uri) < sizeof pss->path) {
        snprintf(pss->path, sizeof pss->path, "%s", uri);
        pss->priv = true;
        if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) {
            return 0; /* answered at LWS_CALLBACK_HTTP_BODY_COMPLETION */
        }
        return s_private_http(self, wsi, pss, false);
    }
    char *out = NULL;
    s_bad(self, "unknown REST path", uri, strlen(uri));
    out = s_fmt(
        "{\"retCode\":404,\"retMsg\":\"Not Found\",\"result\":{},\"retExtInfo\":{},\"time\":%lld}",
        (long long)(clock_wall_ns() / CLOCK_NS_PER_MS));
    return out ? s_http_respond(wsi, pss, HTTP_STATUS_NOT_FOUND, out, strlen(out), out) : 1;
}

static int
s_http_writeable(server_t *self, struct lws *wsi, s_pss_t *pss)
{
    if (!pss->body) {
        return 0;
    }
    size_t left = pss->body_len - pss->body_off;
    size_t n = left > K_HTTP_CHUNK ? K_HTTP_CHUNK : left;
    bool final = n == left;
    if (self->scratch_cap < LWS_PRE + n + 1) {
        unsigned char *p = realloc(self->scratch, LWS_PRE + K_HTTP_CHUNK + 4096);
        if (!p) {
            return -1;
        }
        self->scratch = p;
        self->scratch_cap = LWS_PRE + K_HTTP_CHUNK + 4096;
    }
    memcpy(self->scratch + LWS_PRE, pss->body + pss->body_off, n);
    if (lws_write(wsi, self->scratch + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP)
        != (int)n) {
        return -1;
    }
    pss->body_off += n;
    if (!final) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    free(pss->body_owned);
    pss->body_owned = NULL;
    pss->body = NULL;
    if (lws_http_transaction_completed(wsi)) {
        return -1;
    }
    return 0;
}

/* ---- the lws callback ------------------------------------------------------------------- */

static int
s_callback_inner(server_t *self, struct lws *wsi, enum lws_callback_reasons reason, s_pss_t *pss,
                 void *in, size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return pss ? s_filter(self, wsi, pss) : -1;
    case LWS_CALLBACK_ADD_HEADERS: { /* the WebSocket upgrade's 101 response */
        struct lws_process_html_args *args = in;
        unsigned char *p = (unsigned char *)args->p;
        if (s_add_run_hdr(self, wsi, &p, p + args->max_len)) {
            return -1;
        }
        args->max_len -= (int)(p - (unsigned char *)args->p);
        args->p = (char *)p;
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
        if (!pss) {
            return -1;
        }
        if (pss->foreign[0]) { /* it has our id in the 101: it refuses us, we close it */
            s_bad(self, "websocket client of another run", pss->foreign, strlen(pss->foreign));
            log_warn(k_mod, "refused a connection on label '%s' from run %s: this is run %s",
                     pss->label, pss->foreign, self->cfg.run_id);
            return -1;
        }
        pss->conn = s_conn_open(self, wsi, pss);
        if (!pss->conn) {
            log_warn(k_mod, "cannot accept a connection: out of memory");
            return -1;
        }
        if (pss->priv) {
            log_info(k_mod, "%s connected on /v5/private", pss->conn->conn_id);
            self->cfg.private_ws(pss->conn->num_id, NULL, 1, self->cfg.private_arg);
            return 0;
        }
        log_info(k_mod, "%s connected on %s label '%s' (%zu subscriptions from the url)",
                 pss->conn->conn_id, k_kind_path[pss->kind], pss->label, pss->conn->n_subs);
        s_notify(self, SERVER_EV_CHANGE);
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (pss && pss->conn) {
            log_info(k_mod, "%s closed", pss->conn->conn_id);
            if (pss->conn->priv) {
                self->cfg.private_ws(pss->conn->num_id, NULL, 0, self->cfg.private_arg);
            }
            s_conn_close(self, pss->conn);
            pss->conn = NULL;
            s_notify(self, SERVER_EV_CHANGE);
        }
        return 0;
    case LWS_CALLBACK_RECEIVE: {
        s_conn_t *c = pss ? pss->conn : NULL;
        if (!c) {
            return -1;
        }
        if (c->rx_len + len > SERVER_MSG_MAX - 1) {
            c->rx_overflow = true;
        } else {
            memcpy(c->rx + c->rx_len, in, len);
            c->rx_len += len;
        }
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0) {
            return 0;
        }
        if (c->rx_overflow) {
            s_bad(self, "client message too long", c->rx, 64);
            if (s_is_bybit(c->kind)) {
                s_reply(self, c, s_bybit_reply(c, false, "error:invalid op", NULL, "\"\""));
            } else {
                s_reply(self, c,
                        strdup("{\"error\":{\"code\":2,\"msg\":\"Invalid request\"},\"id\":null}"));
            }
        } else if (c->priv) {
            c->rx[c->rx_len] = '\0';
            self->cfg.private_ws(c->num_id, c->rx, c->rx_len, self->cfg.private_arg);
        } else if (s_is_bybit(c->kind)) {
            s_on_bybit(self, c, c->rx, c->rx_len);
        } else {
            s_on_binance(self, c, c->rx, c->rx_len);
        }
        c->rx_len = 0;
        c->rx_overflow = false;
        return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return pss && pss->conn ? s_write_one(self, pss->conn) : 0;
    case LWS_CALLBACK_TIMER: /* a faults.h stall is over */
        if (pss && pss->conn) {
            lws_callback_on_writable(wsi);
        }
        return 0;
    case LWS_CALLBACK_HTTP:
        return pss ? s_http(self, wsi, pss, in ? (const char *)in : "") : -1;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return pss ? s_http_writeable(self, wsi, pss) : 0;
    case LWS_CALLBACK_HTTP_BODY:
        if (pss && pss->priv && len > 0) {
            if (pss->post_len + len > SERVER_MSG_MAX) {
                return -1; /* Bybit bodies are small; refuse a flood */
            }
            char *b = realloc(pss->post, pss->post_len + len + 1);
            if (!b) {
                return -1;
            }
            memcpy(b + pss->post_len, in, len);
            pss->post = b;
            pss->post_len += len;
            b[pss->post_len] = '\0';
        }
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return pss && pss->priv ? s_private_http(self, wsi, pss, true) : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (pss) {
            free(pss->body_owned);
            pss->body_owned = NULL;
            pss->body = NULL;
            free(pss->post);
            pss->post = NULL;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, pss, in, len);
}

static int
s_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct lws_context *ctx = wsi ? lws_get_context(wsi) : NULL;
    server_t *self = ctx ? lws_context_user(ctx) : NULL;
    if (!self) {
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
    if (lwsloop_handle(self->lp, wsi, reason, in)) {
        return 0;
    }
    self->in_cb++;
    int rc = s_callback_inner(self, wsi, reason, user, in, len);
    self->in_cb--;
    return rc;
}

static const struct lws_protocols k_protocols[] = {
    { "venue-sim", s_callback, sizeof(s_pss_t), 4096, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ---- public ----------------------------------------------------------------------------- */

server_t *
server_new(zloop_t *loop, const server_cfg_t *cfg, server_event_fn *fn, void *arg)
{
    assert(loop);
    assert(cfg);
    if (!cfg->src || cfg->port < 0 || cfg->port > 65535) {
        errno = EINVAL;
        return NULL;
    }
    server_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->loop = loop;
    self->cfg = *cfg;
    self->fn = fn;
    self->arg = arg;
    if (!self->cfg.frames_sent) {
        self->cfg.frames_sent = &self->dummy;
    }
    if (!self->cfg.connections) {
        self->cfg.connections = &self->dummy;
    }
    if (!self->cfg.subscribe_ok) {
        self->cfg.subscribe_ok = &self->dummy;
    }
    if (!self->cfg.bad_requests) {
        self->cfg.bad_requests = &self->dummy;
    }
    self->lp = lwsloop_new(loop);
    if (!self->lp) {
        goto fail;
    }
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = cfg->port; /* 0: the kernel picks a free port (server_port tells) */
    info.iface = "127.0.0.1";
    info.protocols = k_protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = self;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.timeout_secs = 20;
    self->ctx = lws_create_context(&info);
    if (!self->ctx) {
        log_error(k_mod, "cannot listen on 127.0.0.1:%d (libwebsockets said why above)", cfg->port);
        errno = EADDRINUSE;
        goto fail;
    }
    lwsloop_set_context(self->lp, self->ctx);
    return self;
fail : {
    int saved = errno;
    lwsloop_destroy(&self->lp);
    free(self);
    errno = saved;
    return NULL;
}
}

void
server_destroy(server_t **self_p)
{
    assert(self_p);
    server_t *self = *self_p;
    if (!self) {
        return;
    }
    lwsloop_destroy(&self->lp); /* lwsloop_handle(NULL, ...) is a no-op during teardown */
    self->fn = NULL;
    if (self->ctx) {
        lws_context_destroy(self->ctx); /* closes connections: CLOSED frees each s_conn_t */
    }
    while (self->conns) {
        s_conn_close(self, self->conns);
    }
    free(self->scratch);
    free(self);
    *self_p = NULL;
}

int
server_port(const server_t *self)
{
    assert(self);
    struct lws_vhost *vh = lws_get_vhost_by_name(self->ctx, "default");
    return vh ? lws_get_vhost_listen_port(vh) : self->cfg.port;
}

size_t
server_send(server_t *self, const source_frame_t *f)
{
    assert(self);
    assert(f);
    faults_timeline((int)f->kind, f->text, f->len); /* faults.h live books (no-op when off) */
    self->sent_ms = f->ts_ms > self->sent_ms ? f->ts_ms : self->sent_ms;
    size_t n = 0;
    s_conn_t *c = self->conns;
    while (c) {
        s_conn_t *next = c->next;
        if ((uint32_t)c->kind == f->kind && c->subs[f->key]) {
            if (s_enqueue(self, c, f->text, f->len, false) == 0) {
                n++;
            } else {
                log_warn(k_mod, "cannot queue on %s: out of memory, closing", c->conn_id);
                lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
            }
        }
        c = next;
    }
    return n;
}

void
server_flush(server_t *self)
{
    assert(self);
    if (self->in_cb > 0) {
        return; /* lwsloop keeps servicing while writes progress */
    }
    for (int i = 0; i < K_SPIN_MAX && self->pending > 0; i++) {
        self->wrote = false;
        if (lws_service(self->ctx, -1) < 0 || !self->wrote) {
            break;
        }
    }
}

bool
server_idle(const server_t *self)
{
    assert(self);
    return self->pending == 0;
}

bool
server_in_callback(const server_t *self)
{
    assert(self);
    return self->in_cb > 0;
}

bool
server_label_ready(const server_t *self, const char *label)
{
    assert(self);
    for (const s_conn_t *c = self->conns; c; c = c->next) {
        if (c->label >= 0 && strcmp(self->labels[c->label].name, label) == 0 && c->n_subs > 0) {
            return true;
        }
    }
    return false;
}

void
server_fill_barrier(const server_t *self, codec_sys_barrier_t *b)
{
    assert(self);
    assert(b);
    b->n = (uint32_t)self->n_labels;
    for (size_t i = 0; i < self->n_labels; i++) {
        snprintf(b->labels[i], CODEC_ID_MAX, "%s", self->labels[i].name);
        b->counts[i] = self->labels[i].count;
    }
}

size_t
server_open(const server_t *self)
{
    assert(self);
    return self->n_open;
}

int
server_ws_send(server_t *self, uint64_t conn, const char *text, size_t len)
{
    assert(self && text);
    for (s_conn_t *c = self->conns; c; c = c->next) {
        if (c->priv && c->num_id == conn) {
            char *cp = malloc(len + 1);
            if (!cp) {
                errno = ENOMEM;
                return -1;
            }
            memcpy(cp, text, len);
            cp[len] = '\0';
            if (s_enqueue(self, c, cp, len, true) != 0) {
                free(cp);
                return -1;
            }
            return 0;
        }
    }
    errno = ENOENT;
    return -1;
}

int
server_ws_close(server_t *self, uint64_t conn)
{
    assert(self);
    for (s_conn_t *c = self->conns; c; c = c->next) {
        if (c->priv && c->num_id == conn) {
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
            return 0;
        }
    }
    errno = ENOENT;
    return -1;
}
