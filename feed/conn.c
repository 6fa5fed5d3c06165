/*  conn.c - WebSocket client connections on libwebsockets (see conn.h).
 */
#include "feed/conn.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/lwsloop.h"

#define k_mod       "conn"
#define k_tick_ms   100
#define k_queue     64
#define k_rx_buffer 65536

typedef enum { S_IDLE = 0, S_CONNECTING, S_UP, S_WAIT } s_state_t;

typedef struct {
    unsigned char *buf; /* LWS_PRE + len */
    size_t len;
} s_msg_t;

struct conn {
    conn_ctx_t *ctx;
    char label[64];
    char url[CONN_URL_MAX];
    char host[256], path[CONN_URL_MAX];
    int port;
    bool tls;
    int ping_s;
    char *ping_text;
    conn_handler_t h;
    s_state_t state;
    struct lws *wsi;
    bool started;
    int attempt;          /* failed attempts since the connection last proved good */
    bool proven;          /* UP and a message arrived that the handler did not drop */
    int64_t next_mono_ns; /* WAIT: when to connect again */
    int64_t ping_mono_ns; /* UP: when to ping next */
    int64_t reconnects;
    int64_t silent_ns;  /* 0 = no silence timeout */
    int64_t rx_mono_ns; /* last message received (or UP) */
    int64_t silent_drops;
    char drop_why[96]; /* conn_drop's reason, reported by s_down */
    char *rx;
    size_t rx_len, rx_cap;
    bool rx_binary;
    s_msg_t q[k_queue];
    size_t q_head, q_n;
};

struct conn_ctx {
    zloop_t *loop;
    lwsloop_t *lp;
    struct lws_context *lws;
    int timer_id;
    conn_t *conns[CONN_MAX];
    size_t n;
    bool closing;
    char run_id[64];    /* conn_ctx_expect_run: "" = no check */
    char refused[1400]; /* why a server was refused ("" = none): the loop stops */
};

/* ---- helpers ------------------------------------------------------------------------------ */

static void
s_queue_clear(conn_t *c)
{
    while (c->q_n > 0) {
        free(c->q[c->q_head].buf);
        c->q_head = (c->q_head + 1) % k_queue;
        c->q_n--;
    }
    c->q_head = 0;
}

static int64_t
s_backoff_ns(int attempt)
{
    int64_t ms = CONN_BACKOFF_MIN_MS;
    for (int i = 1; i < attempt && ms < CONN_BACKOFF_MAX_MS; i++) {
        ms *= 2;
    }
    if (ms > CONN_BACKOFF_MAX_MS) {
        ms = CONN_BACKOFF_MAX_MS;
    }
    /* jitter: uniform in [ms/2, ms] so reconnecting clients do not stampede */
    int64_t half = ms / 2;
    int64_t j = half + (int64_t)((uint64_t)random() % (uint64_t)(half + 1));
    return j * CLOCK_NS_PER_MS;
}

/* The connection is gone (error before UP, or closed after). */
static void
s_down(conn_t *c, const char *why)
{
    bool was_up = c->state == S_UP;
    if (c->drop_why[0]) {
        why = c->drop_why; /* our own conn_drop: its reason beats lws's "closed" */
    }
    c->wsi = NULL;
    c->rx_len = 0;
    s_queue_clear(c);
    if (c->state == S_IDLE || c->state == S_WAIT) {
        return;
    }
    if (!c->started && c->ctx && c->ctx->refused[0]) { /* s_check_run said why: no retry */
        c->state = S_IDLE;
        return;
    }
    c->state = S_WAIT;
    c->attempt++;
    int64_t d = s_backoff_ns(c->attempt);
    c->next_mono_ns = clock_mono_ns() + d;
    log_warn(k_mod, "%s: %s (%s); reconnect in %lld ms", c->label,
             was_up ? "connection closed" : "cannot connect", why ? why : "no reason",
             (long long)(d / CLOCK_NS_PER_MS));
    if (was_up && !c->ctx->closing && c->h.close) {
        c->h.close(c, why ? why : "closed", c->h.arg);
    }
    c->drop_why[0] = '\0';
}

static void
s_connect(conn_t *c)
{
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = c->ctx->lws;
    ci.address = c->host;
    ci.port = c->port;
    ci.path = c->path;
    ci.host = c->host;
    ci.origin = c->host;
    ci.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
    ci.local_protocol_name = "tp-feed";
    ci.opaque_user_data = c;
    ci.pwsi = &c->wsi;
    if (c->attempt > 0) {
        c->reconnects++;
    }
    c->state = S_CONNECTING;
    log_info(k_mod, "%s: connecting to %s", c->label, c->url);
    if (!lws_client_connect_via_info(&ci)) {
        /* lws may already have called CONNECTION_ERROR (then we are in WAIT) */
        if (c->state == S_CONNECTING) {
            s_down(c, "lws_client_connect_via_info failed");
        }
    }
}

static void
s_deliver(conn_t *c, int64_t recv_ns)
{
    if (c->rx_binary) {
        log_debug(k_mod, "%s: binary message of %zu bytes ignored", c->label, c->rx_len);
    } else if (c->h.frame) {
        c->h.frame(c, c->rx, c->rx_len, recv_ns, c->h.arg);
    }
    /* the connection proved good (conn.h "Backoff"): data arrived and the handler did not
     * drop it for that (a refused auth or subscribe keeps the backoff growing) */
    if (!c->proven && c->state == S_UP && !c->drop_why[0]) {
        c->proven = true;
        c->attempt = 0;
    }
}

static int
s_on_rx(conn_t *c, struct lws *wsi, const void *in, size_t len)
{
    c->rx_mono_ns = clock_mono_ns();
    if (lws_is_first_fragment(wsi)) {
        c->rx_len = 0;
        c->rx_binary = lws_frame_is_binary(wsi) != 0;
    }
    if (c->rx_len + len > CONN_MAX_MSG) {
        log_warn(k_mod, "%s: message larger than %u bytes: closing", c->label, CONN_MAX_MSG);
        return -1;
    }
    if (c->rx_len + len + 1 > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 65536;
        while (cap < c->rx_len + len + 1) {
            cap *= 2;
        }
        char *p = realloc(c->rx, cap);
        if (!p) {
            log_error(k_mod, "%s: out of memory for a %zu byte message", c->label, c->rx_len + len);
            return -1;
        }
        c->rx = p;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    c->rx[c->rx_len] = '\0';
    if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        s_deliver(c, clock_wall_ns());
        c->rx_len = 0;
    }
    return 0;
}

static int
s_on_writeable(conn_t *c, struct lws *wsi)
{
    if (c->q_n == 0) {
        return 0;
    }
    s_msg_t *m = &c->q[c->q_head];
    int w = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    free(m->buf);
    m->buf = NULL;
    c->q_head = (c->q_head + 1) % k_queue;
    c->q_n--;
    if (w < (int)m->len) {
        log_warn(k_mod, "%s: write failed: closing", c->label);
        return -1;
    }
    if (c->q_n > 0) {
        lws_callback_on_writable(wsi);
    }
    return 0;
}

/* Replay: the server must be venue-sim of our run (conn_ctx_expect_run). 0, or -1 after
 * logging why, recording it in ctx->refused (the next tick stops the loop) and stopping this
 * connection for good: another run's venue-sim never becomes right by retrying. */
static int
s_check_run(conn_t *c, struct lws *wsi)
{
    char got[64] = "";
    int n = lws_hdr_custom_copy(wsi, got, sizeof got, "x-tradepipe-run:", 16);
    if (n > 0 && strcmp(got, c->ctx->run_id) == 0) {
        return 0;
    }
    if (n <= 0) {
        snprintf(c->ctx->refused, sizeof c->ctx->refused,
                 "%s: refusing %s: it announces no run id (X-Tradepipe-Run), so it is not the "
                 "venue-sim of run %s: check the port in the url and venue_sim.port",
                 c->label, c->url, c->ctx->run_id);
    } else {
        snprintf(c->ctx->refused, sizeof c->ctx->refused,
                 "%s: refusing %s: it is the venue-sim of run %s, this feed belongs to run %s "
                 "(another group on this host? check the port in the url and venue_sim.port)",
                 c->label, c->url, got, c->ctx->run_id);
    }
    log_error(k_mod, "%s", c->ctx->refused);
    c->started = false; /* no reconnect */
    return -1;
}

static int
s_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    conn_t *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    lwsloop_t *lp = c ? c->ctx->lp : NULL;
    if (lwsloop_handle(lp, wsi, reason, in)) {
        return 0;
    }
    if (!c) {
        return 0;
    }
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if (c->ctx->run_id[0]) {
            unsigned char **p = in;
            const char *id = c->ctx->run_id;
            if (lws_add_http_header_by_name(
                    wsi, (const unsigned char *)"X-Tradepipe-Run:", (const unsigned char *)id,
                    (int)strlen(id), p, *p + len)) {
                return -1;
            }
        }
        break;
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
        if (c->ctx->run_id[0]) {
            return s_check_run(c, wsi);
        }
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->wsi = wsi;
        c->state = S_UP;
        c->proven = false; /* attempt is reset by the first message kept (s_deliver) */
        c->rx_len = 0;
        c->rx_mono_ns = clock_mono_ns();
        c->drop_why[0] = '\0';
        c->ping_mono_ns = clock_mono_ns() + (int64_t)c->ping_s * CLOCK_NS_PER_S;
        log_notice(k_mod, "%s: connected to %s", c->label, c->url);
        if (!c->ctx->closing && c->h.open) {
            c->h.open(c, c->h.arg);
        }
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (c->wsi == wsi && s_on_rx(c, wsi, in, len) != 0) {
            return -1;
        }
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (c->wsi == wsi) {
            return s_on_writeable(c, wsi);
        }
        break;
    /* one wsi per conn at a time (a new connect waits for the backoff), so the state says
     * whether a close/error callback is news */
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c->state == S_CONNECTING || c->state == S_UP) {
            char why[160];
            snprintf(why, sizeof why, "%.*s", in ? (int)(len ? len : strlen(in)) : 0,
                     in ? (const char *)in : "");
            s_down(c, in ? why : "connection error");
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        s_down(c, "closed by peer or us");
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        s_down(c, "connection destroyed");
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols k_protocols[] = {
    { "tp-feed", s_callback, 0, k_rx_buffer, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    conn_ctx_t *ctx = arg;
    if (ctx->refused[0]) {
        return -1; /* s_check_run: the stage stops (conn_ctx_refused says why) */
    }
    int64_t now = clock_mono_ns();
    for (size_t i = 0; i < ctx->n; i++) {
        conn_t *c = ctx->conns[i];
        if (!c->started) {
            continue;
        }
        if (c->state == S_UP && c->silent_ns > 0 && now - c->rx_mono_ns > c->silent_ns) {
            char why[96];
            snprintf(why, sizeof why, "silent for %lld ms",
                     (long long)((now - c->rx_mono_ns) / CLOCK_NS_PER_MS));
            c->silent_drops++;
            c->rx_mono_ns = now; /* one drop; the close follows from lws */
            conn_drop(c, why);
        }
        if (c->state == S_IDLE || (c->state == S_WAIT && now >= c->next_mono_ns)) {
            s_connect(c);
        } else if (c->state == S_UP && c->ping_s > 0 && c->ping_text && now >= c->ping_mono_ns) {
            c->ping_mono_ns = now + (int64_t)c->ping_s * CLOCK_NS_PER_S;
            if (conn_send(c, c->ping_text, strlen(c->ping_text)) != 0) {
                log_warn(k_mod, "%s: cannot queue ping: %s", c->label, strerror(errno));
            }
        }
        if (c->h.tick) {
            c->h.tick(c, c->h.arg);
        }
    }
    return 0;
}

static void
s_lws_log(int level, const char *line)
{
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n') {
        n--;
    }
    if (level & LLL_ERR) {
        log_warn("lws", "%.*s", (int)n, line);
    } else {
        log_info("lws", "%.*s", (int)n, line);
    }
}

/* ---- public ------------------------------------------------------------------------------- */

void
conn_ctx_expect_run(conn_ctx_t *self, const char *run_id)
{
    assert(self);
    snprintf(self->run_id, sizeof self->run_id, "%s", run_id ? run_id : "");
}

const char *
conn_ctx_refused(const conn_ctx_t *self)
{
    assert(self);
    return self->refused;
}

void
conn_ctx_set_batch(conn_ctx_t *self, void (*begin)(void *arg), void (*end)(void *arg), void *arg)
{
    assert(self);
    lwsloop_set_batch(self->lp, begin, end, arg);
}

conn_ctx_t *
conn_ctx_new(zloop_t *loop)
{
    assert(loop);
    conn_ctx_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->loop = loop;
    self->timer_id = -1;
    self->lp = lwsloop_new(loop);
    if (!self->lp) {
        goto fail;
    }
    lws_set_log_level(LLL_ERR | LLL_WARN, s_lws_log);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = k_protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.gid = -1;
    info.uid = -1;
    info.user = self;
    self->lws = lws_create_context(&info);
    if (!self->lws) {
        log_error(k_mod, "cannot create the libwebsockets context");
        errno = EIO;
        goto fail;
    }
    lwsloop_set_context(self->lp, self->lws);
    self->timer_id = zloop_timer(loop, k_tick_ms, 0, s_on_tick, self);
    if (self->timer_id < 0) {
        errno = ENOMEM;
        goto fail;
    }
    return self;
fail:
    conn_ctx_destroy(&self);
    return NULL;
}

conn_ctx_t *
conn_ctx_new_offline(void)
{
    conn_ctx_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->timer_id = -1; /* no loop, no tick: nothing ever connects */
    return self;
}

void
conn_ctx_destroy(conn_ctx_t **self_p)
{
    assert(self_p);
    conn_ctx_t *self = *self_p;
    if (!self) {
        return;
    }
    self->closing = true;
    if (self->timer_id >= 0) {
        (void)zloop_timer_end(self->loop, self->timer_id); /* fails only for unknown ids */
    }
    lwsloop_destroy(&self->lp); /* before the context (lwsloop.h) */
    if (self->lws) {
        lws_context_destroy(self->lws);
    }
    for (size_t i = 0; i < self->n; i++) {
        self->conns[i]->ctx = NULL;
        self->conns[i]->wsi = NULL;
    }
    free(self);
    *self_p = NULL;
}

conn_t *
conn_new(conn_ctx_t *ctx, const char *label, const char *url, int ping_s, const char *ping_text,
         const conn_handler_t *h)
{
    assert(ctx && label && url && h);
    if (ctx->n == CONN_MAX || strlen(url) >= CONN_URL_MAX || strlen(label) >= 64) {
        errno = EINVAL;
        return NULL;
    }
    conn_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->ctx = ctx;
    snprintf(self->label, sizeof self->label, "%s", label);
    snprintf(self->url, sizeof self->url, "%s", url);
    char tmp[CONN_URL_MAX];
    snprintf(tmp, sizeof tmp, "%s", url);
    const char *prot, *ads, *path;
    int port;
    if (lws_parse_uri(tmp, &prot, &ads, &port, &path) != 0
        || (strcmp(prot, "ws") != 0 && strcmp(prot, "wss") != 0) || strlen(ads) == 0
        || strlen(ads) >= sizeof self->host) {
        log_error(k_mod, "%s: bad websocket url %s", label, url);
        free(self);
        errno = EINVAL;
        return NULL;
    }
    self->tls = strcmp(prot, "wss") == 0;
    self->port = port;
    snprintf(self->host, sizeof self->host, "%s", ads);
    snprintf(self->path, sizeof self->path, "/%s", path); /* lws_parse_uri drops the '/' */
    self->ping_s = ping_s;
    if (ping_text) {
        self->ping_text = strdup(ping_text);
        if (!self->ping_text) {
            free(self);
            errno = ENOMEM;
            return NULL;
        }
    }
    self->h = *h;
    ctx->conns[ctx->n++] = self;
    return self;
}

void
conn_destroy(conn_t **self_p)
{
    assert(self_p);
    conn_t *self = *self_p;
    if (!self) {
        return;
    }
    /* the context is destroyed first (conn_ctx_destroy), so no callback can reach us */
    assert(self->ctx == NULL || self->wsi == NULL);
    s_queue_clear(self);
    free(self->ping_text);
    free(self->rx);
    free(self);
    *self_p = NULL;
}

void
conn_start(conn_t *self)
{
    assert(self);
    self->started = true; /* the next tick (<= 100 ms) connects */
}

int
conn_send(conn_t *self, const char *text, size_t len)
{
    assert(self && text);
    if (self->state != S_UP || !self->wsi) {
        errno = ENOTCONN;
        return -1;
    }
    if (self->q_n == k_queue) {
        errno = ENOBUFS;
        return -1;
    }
    unsigned char *buf = malloc(LWS_PRE + len);
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(buf + LWS_PRE, text, len);
    s_msg_t *m = &self->q[(self->q_head + self->q_n) % k_queue];
    m->buf = buf;
    m->len = len;
    self->q_n++;
    lws_callback_on_writable(self->wsi);
    return 0;
}

void
conn_drop(conn_t *self, const char *why)
{
    assert(self);
    if (self->wsi) {
        log_warn(k_mod, "%s: dropping the connection: %s", self->label, why);
        snprintf(self->drop_why, sizeof self->drop_why, "%s", why);
        lws_set_timeout(self->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

void
conn_set_silent(conn_t *self, int64_t silent_ms)
{
    assert(self);
    self->silent_ns = silent_ms > 0 ? silent_ms * CLOCK_NS_PER_MS : 0;
}

int64_t
conn_idle_ns(const conn_t *self)
{
    assert(self);
    return self->state == S_UP ? clock_mono_ns() - self->rx_mono_ns : -1;
}

int64_t
conn_silent_drops(const conn_t *self)
{
    assert(self);
    return self->silent_drops;
}

bool
conn_up(const conn_t *self)
{
    assert(self);
    return self->state == S_UP;
}

const char *
conn_label(const conn_t *self)
{
    assert(self);
    return self->label;
}

const char *
conn_url(const conn_t *self)
{
    assert(self);
    return self->url;
}

int64_t
conn_reconnects(const conn_t *self)
{
    assert(self);
    return self->reconnects;
}
