/*  rest.c - Bybit v5 signed REST client (contract: rest.h).
 *  Owns:  a CURL easy handle for blocking calls, a CURL multi handle and one easy handle per
 *         asynchronous call in flight (headers, answer buffer), key/secret copies.
 *  The secret lives only in this struct and in HMAC's stack; it is wiped on destroy
 *  (OPENSSL_cleanse). No function here formats the key or the secret into a log line.
 */
#include "executor/rest.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <czmq.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/clock.h"
#include "common/log.h"

#define S_MOD      "rest"
#define S_MAX_CONN 8 /* connections of the async client (CURLMOPT_MAX_TOTAL_CONNECTIONS) */
#define S_MAX_FDS  (S_MAX_CONN * 2) /* sockets watched at once (connections + resolver) */

typedef struct {
    char path[48];
    int64_t limit, status, reset_ms; /* last headers seen */
    int64_t blocked_until_ms;        /* after 10006 */
} s_budget_t;

struct s_xfer;

struct rest {
    CURL *curl; /* blocking calls (rest_call, rest_sync_time), created on first use */
    char base[256];
    char key[128];
    char secret[256];
    char recv_window[16];
    int timeout_ms;
    int64_t offset_ms;
    s_budget_t budgets[REST_MAX_PATHS];
    size_t n_budgets;
    uint64_t calls, limited;
    /* asynchronous calls (rest_attach): curl multi driven by the stage's zloop */
    CURLM *multi;
    zloop_t *loop;
    int timer_id;                 /* libcurl's timeout as a one-shot zloop timer, -1 = none */
    struct s_xfer *xfers;         /* in flight */
    curl_socket_t fds[S_MAX_FDS]; /* sockets watched by zloop pollers */
    size_t n_fds;
};

static const struct {
    int code;
    const char *text;
} k_codes[] = {
    { 0, "OK" },
    { 10000, "server timeout: outcome unknown, order queried by orderLinkId" },
    { 10001, "request parameter error" },
    { 10002, "timestamp outside recv_window: clock resynced, order queried" },
    { 10003, "invalid API key" },
    { 10004, "invalid signature" },
    { 10005, "API key lacks permission" },
    { 10006, "rate limit exceeded (too many visits)" },
    { 10010, "IP not whitelisted for this key" },
    { 10016, "venue server error: outcome unknown, order queried" },
    { 10017, "route not found" },
    { 10027, "trading banned" },
    { 10029, "symbol not whitelisted" },
    { 110001, "order does not exist" },
    { 110003, "price outside the allowed band" },
    { 110004, "wallet balance insufficient" },
    { 110007, "available balance insufficient" },
    { 110008, "order already completed" },
    { 110009, "too many stop orders" },
    { 110010, "order already cancelled" },
    { 110012, "available balance insufficient" },
    { 110017, "reduce-only rule not satisfied" },
    { 110020, "too many active orders" },
    { 110072, "duplicate orderLinkId: the first attempt reached the venue" },
    { 110079, "order is being processed, try later" },
    { 110043, "leverage not modified (it already is)" },
    { 110092, "triggerDirection inconsistent (expected rising)" },
    { 110093, "triggerDirection inconsistent (expected falling)" },
    { 110094, "notional below minimum" },
    { 170130, "spot: bad parameter" },
    { 170131, "spot: balance insufficient" },
    { 170134, "spot: price not on tickSize (too many decimals)" },
    { 170136, "spot: qty below minimum" },
    { 170137, "spot: too many decimals" },
    { 170140, "spot: order value below minimum" },
    { 170141, "spot: duplicate clientOrderId" },
    { 170213, "spot: order does not exist" },
};

const char *
rest_code_text(int code)
{
    for (size_t i = 0; i < sizeof k_codes / sizeof k_codes[0]; i++) {
        if (k_codes[i].code == code) {
            return k_codes[i].text;
        }
    }
    return "unlisted venue error";
}

bool
rest_code_unknown(int code)
{
    return code == 10000 || code == 10002 || code == 10016 || code == 110072 || code == 110079
           || code == 170141;
}

int
rest_sign(const char *secret, const char *ts, const char *key, const char *recv_window,
          const char *payload, size_t payload_len, char out[65])
{
    if (!secret || !ts || !key || !recv_window || (!payload && payload_len)) {
        errno = EINVAL;
        return -1;
    }
    static EVP_MAC *mac = NULL; /* fetched once: the fetch is the costly part */
    if (!mac) {
        mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    size_t n = 0;
    char digest[] = "SHA256";
    OSSL_PARAM prm[] = { OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                         OSSL_PARAM_construct_end() };
    EVP_MAC_CTX *h = mac ? EVP_MAC_CTX_new(mac) : NULL;
    int ok = h && EVP_MAC_init(h, (const unsigned char *)secret, strlen(secret), prm)
             && EVP_MAC_update(h, (const unsigned char *)ts, strlen(ts))
             && EVP_MAC_update(h, (const unsigned char *)key, strlen(key))
             && EVP_MAC_update(h, (const unsigned char *)recv_window, strlen(recv_window))
             && (payload_len == 0 || EVP_MAC_update(h, (const unsigned char *)payload, payload_len))
             && EVP_MAC_final(h, md, &n, sizeof md) && n == 32;
    EVP_MAC_CTX_free(h);
    if (!ok) {
        errno = EINVAL;
        return -1;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    OPENSSL_cleanse(md, sizeof md);
    return 0;
}

/* One HTTP exchange: its easy handle, headers, answer buffer and completion (sync or async). */
typedef struct s_xfer {
    rest_t *owner;
    CURL *easy;
    struct curl_slist *hl;
    char path[48];
    bool post, time; /* time: the unsigned GET /v5/market/time of rest_start_time */
    char *buf;
    size_t len, cap;
    int64_t h_limit, h_status, h_reset; /* headers of this answer */
    int64_t t0_ns;                      /* wall clock when sent (time sync RTT midpoint) */
    rest_done_fn *fn;
    void *arg;
    struct s_xfer *next; /* in owner->xfers (async, in flight) */
} s_xfer_t;

static size_t
s_write(char *p, size_t size, size_t n, void *arg)
{
    s_xfer_t *x = arg;
    size_t len = size * n;
    if (x->len + len + 1 > x->cap) {
        size_t cap = (x->len + len + 1) * 2;
        char *b = realloc(x->buf, cap);
        if (!b) {
            return 0; /* curl fails the transfer: CURLE_WRITE_ERROR */
        }
        x->buf = b;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, p, len);
    x->len += len;
    x->buf[x->len] = '\0';
    return len;
}

static size_t
s_header(char *p, size_t size, size_t n, void *arg)
{
    s_xfer_t *x = arg;
    size_t len = size * n;
    static const struct {
        const char *name;
        size_t off;
    } k_h[] = {
        { "x-bapi-limit:", offsetof(s_xfer_t, h_limit) },
        { "x-bapi-limit-status:", offsetof(s_xfer_t, h_status) },
        { "x-bapi-limit-reset-timestamp:", offsetof(s_xfer_t, h_reset) },
    };
    for (size_t i = 0; i < 3; i++) {
        size_t nl = strlen(k_h[i].name);
        if (len > nl && strncasecmp(p, k_h[i].name, nl) == 0) {
            *(int64_t *)((char *)x + k_h[i].off) = strtoll(p + nl, NULL, 10);
        }
    }
    return len;
}

rest_t *
rest_new(const char *base_url, const char *key, const char *secret, int recv_window, int timeout_ms)
{
    if (!base_url || !key || !secret || !key[0] || !secret[0] || strlen(base_url) >= 256
        || strlen(key) >= 128 || strlen(secret) >= 256 || recv_window <= 0 || timeout_ms <= 0) {
        errno = EINVAL;
        return NULL;
    }
    rest_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    static bool inited = false;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = true;
    }
    snprintf(self->base, sizeof self->base, "%s", base_url);
    snprintf(self->key, sizeof self->key, "%s", key);
    snprintf(self->secret, sizeof self->secret, "%s", secret);
    snprintf(self->recv_window, sizeof self->recv_window, "%d", recv_window);
    self->timeout_ms = timeout_ms;
    self->timer_id = -1;
    return self;
}

static void
s_xfer_free(s_xfer_t **x_p)
{
    s_xfer_t *x = *x_p;
    if (!x) {
        return;
    }
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->hl);
    free(x->buf);
    free(x);
    *x_p = NULL;
}

void
rest_destroy(rest_t **self_p)
{
    assert(self_p);
    rest_t *self = *self_p;
    if (!self) {
        return;
    }
    /* in-flight transfers: their callbacks get ECANCELED (to free their argument only) */
    while (self->xfers) {
        s_xfer_t *x = self->xfers;
        self->xfers = x->next;
        if (self->multi) {
            curl_multi_remove_handle(self->multi, x->easy);
        }
        rest_resp_t r;
        memset(&r, 0, sizeof r);
        r.ret_code = -1;
        r.time_ms = -1;
        x->fn(self, -1, ECANCELED, &r, x->arg);
        s_xfer_free(&x);
    }
    if (self->loop) {
        /* the loop outlives us (rest.h): leave it without our pollers and timer */
        for (size_t i = 0; i < self->n_fds; i++) {
            zmq_pollitem_t item = { NULL, self->fds[i], 0, 0 };
            zloop_poller_end(self->loop, &item);
        }
        if (self->timer_id >= 0) {
            zloop_timer_end(self->loop, self->timer_id);
        }
        self->loop = NULL;
    }
    if (self->multi) {
        curl_multi_cleanup(self->multi); /* sockets: CURL_POLL_REMOVE ends their pollers */
    }
    curl_easy_cleanup(self->curl);
    OPENSSL_cleanse(self->secret, sizeof self->secret);
    OPENSSL_cleanse(self->key, sizeof self->key);
    free(self);
    *self_p = NULL;
}

int64_t
rest_offset_ms(const rest_t *self)
{
    assert(self);
    return self->offset_ms;
}

void
rest_set_offset_ms(rest_t *self, int64_t off)
{
    assert(self);
    self->offset_ms = off;
}

int64_t
rest_now_ms(const rest_t *self)
{
    assert(self);
    return clock_wall_ns() / CLOCK_NS_PER_MS + self->offset_ms;
}

uint64_t
rest_calls(const rest_t *self)
{
    return self->calls;
}

uint64_t
rest_rate_limited(const rest_t *self)
{
    return self->limited;
}

size_t
rest_in_flight(const rest_t *self)
{
    assert(self);
    size_t n = 0;
    for (const s_xfer_t *x = self->xfers; x; x = x->next) {
        n++;
    }
    return n;
}

static s_budget_t *
s_budget(rest_t *self, const char *path)
{
    for (size_t i = 0; i < self->n_budgets; i++) {
        if (strcmp(self->budgets[i].path, path) == 0) {
            return &self->budgets[i];
        }
    }
    if (self->n_budgets == REST_MAX_PATHS || strlen(path) >= sizeof self->budgets[0].path) {
        return NULL;
    }
    s_budget_t *b = &self->budgets[self->n_budgets++];
    memset(b, 0, sizeof *b);
    snprintf(b->path, sizeof b->path, "%s", path);
    b->limit = b->status = -1;
    return b;
}

/* Build a transfer for one request (signed unless x->time). `easy` NULL = a new handle. NULL
 * with errno EINVAL (URL too long, signing failed) or ENOMEM. */
static s_xfer_t *
s_xfer_new(rest_t *self, CURL *easy, bool post, const char *path, const char *params, bool time)
{
    char url[1024], ts[24], sig[65], hdr[5][320];
    s_xfer_t *x = calloc(1, sizeof *x);
    if (!x) {
        errno = ENOMEM;
        return NULL;
    }
    x->owner = self;
    x->post = post;
    x->time = time;
    snprintf(x->path, sizeof x->path, "%s", path);
    x->h_limit = x->h_status = x->h_reset = -1;
    x->easy = easy ? easy : curl_easy_init();
    if (!x->easy) {
        free(x);
        errno = ENOMEM;
        return NULL;
    }
    if (snprintf(url, sizeof url, "%s%s%s%s", self->base, path, (!post && params[0]) ? "?" : "",
                 post ? "" : params)
        >= (int)sizeof url) {
        goto einval;
    }
    if (!time) {
        snprintf(ts, sizeof ts, "%lld", (long long)rest_now_ms(self));
        if (rest_sign(self->secret, ts, self->key, self->recv_window, params, strlen(params), sig)
            < 0) {
            goto einval;
        }
        snprintf(hdr[0], sizeof hdr[0], "X-BAPI-API-KEY: %s", self->key);
        snprintf(hdr[1], sizeof hdr[1], "X-BAPI-TIMESTAMP: %s", ts);
        snprintf(hdr[2], sizeof hdr[2], "X-BAPI-RECV-WINDOW: %s", self->recv_window);
        snprintf(hdr[3], sizeof hdr[3], "X-BAPI-SIGN: %s", sig);
        for (int i = 0; i < 4; i++) {
            x->hl = curl_slist_append(x->hl, hdr[i]);
        }
        OPENSSL_cleanse(hdr, sizeof hdr); /* the key was in hdr[0]; curl keeps its copy */
    }
    if (post) {
        x->hl = curl_slist_append(x->hl, "Content-Type: application/json");
    }
    CURL *c = x->easy;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)self->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)self->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PRIVATE, x);
    if (post) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(params));
        curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, params); /* async: the caller's is gone */
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    x->t0_ns = clock_wall_ns();
    self->calls++;
    return x;
einval:
    if (!easy) {
        curl_easy_cleanup(x->easy);
    }
    free(x);
    errno = EINVAL;
    return NULL;
}

/* Turn a finished transfer into resp: 0, or -1 with the errno of rest_call in *err. */
static int
s_finish(rest_t *self, s_xfer_t *x, CURLcode cc, rest_resp_t *resp, int *err)
{
    int64_t now = rest_now_ms(self);
    long st = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &st);
    resp->http_status = (int)st;
    resp->limit = x->h_limit;
    resp->limit_status = x->h_status;
    resp->limit_reset_ms = x->h_reset;
    const char *method = x->post ? "POST" : "GET";
    if (cc != CURLE_OK) {
        log_warn(S_MOD, "%s %s: %s", method, x->path, curl_easy_strerror(cc));
        *err = cc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT
               : cc == CURLE_COULDNT_CONNECT  ? ECONNREFUSED
                                              : EIO;
        return -1;
    }
    json_t *root = json_loadb(x->buf ? x->buf : "", x->len, 0, NULL);
    if (x->time) {
        int64_t t1 = clock_wall_ns();
        const char *nano =
            json_string_value(json_object_get(json_object_get(root, "result"), "timeNano"));
        if (!nano) {
            json_decref(root);
            *err = EIO;
            return -1;
        }
        int64_t mid = x->t0_ns + (t1 - x->t0_ns) / 2;
        self->offset_ms = (strtoll(nano, NULL, 10) - mid) / CLOCK_NS_PER_MS;
        json_decref(root);
        resp->ret_code = 0;
        log_info(S_MOD, "server time offset %lld ms (rtt %lld us)", (long long)self->offset_ms,
                 (long long)((t1 - x->t0_ns) / 1000));
        return 0;
    }
    s_budget_t *b = s_budget(self, x->path);
    if (b && resp->limit >= 0) {
        b->limit = resp->limit;
        b->status = resp->limit_status;
        b->reset_ms = resp->limit_reset_ms;
    }
    json_t *rc = json_object_get(root, "retCode");
    if (!json_is_integer(rc)) {
        log_warn(S_MOD, "%s %s: HTTP %d, not a Bybit answer", method, x->path, resp->http_status);
        json_decref(root);
        *err = EIO;
        return -1;
    }
    resp->ret_code = (int)json_integer_value(rc);
    snprintf(resp->ret_msg, sizeof resp->ret_msg, "%s",
             json_string_value(json_object_get(root, "retMsg")) ?: "");
    resp->result = json_incref(json_object_get(root, "result"));
    json_t *t = json_object_get(root, "time");
    resp->time_ms = json_is_integer(t) ? (int64_t)json_integer_value(t) : -1;
    json_decref(root);
    if (resp->ret_code == 10006) {
        self->limited++;
        int64_t until = resp->limit_reset_ms > now ? resp->limit_reset_ms : now + 1000;
        if (b) {
            b->blocked_until_ms = until; /* back off until the window resets (2.4) */
        }
        resp->retry_ms = until - now;
    }
    if (resp->ret_code != 0) {
        log_warn(S_MOD, "%s %s: retCode %d (%s): %s", method, x->path, resp->ret_code,
                 rest_code_text(resp->ret_code), resp->ret_msg);
        *err = EPROTO;
        return -1;
    }
    return 0;
}

/* Is path's budget spent? Then resp->retry_ms is set and true is returned (not sent). */
static bool
s_budget_spent(rest_t *self, const char *path, rest_resp_t *resp)
{
    int64_t now = rest_now_ms(self);
    s_budget_t *b = s_budget(self, path);
    if (b && b->blocked_until_ms > now) {
        resp->retry_ms = b->blocked_until_ms - now;
        return true;
    }
    if (b && b->status == 0 && b->reset_ms > now) {
        resp->retry_ms = b->reset_ms - now;
        return true;
    }
    return false;
}

static void
s_resp_init(rest_resp_t *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->ret_code = -1;
    resp->time_ms = -1;
}

/* Blocking exchange on the client's own easy handle (rest_call, rest_sync_time). */
static int
s_call_sync(rest_t *self, bool post, const char *path, const char *params, bool time,
            rest_resp_t *resp)
{
    if (!self->curl) {
        self->curl = curl_easy_init();
        if (!self->curl) {
            errno = ENOMEM;
            return -1;
        }
    }
    curl_easy_reset(self->curl);
    s_xfer_t *x = s_xfer_new(self, self->curl, post, path, params, time);
    if (!x) {
        return -1;
    }
    CURLcode cc = curl_easy_perform(x->easy);
    int err = 0;
    int rc = s_finish(self, x, cc, resp, &err);
    x->easy = NULL; /* the client's handle: kept (connection reuse) */
    s_xfer_free(&x);
    if (rc < 0) {
        errno = err;
    }
    return rc;
}

int
rest_call(rest_t *self, bool post, const char *path, const char *params, rest_resp_t *resp)
{
    assert(self && path && resp);
    s_resp_init(resp);
    params = params ? params : "";
    if (s_budget_spent(self, path, resp)) {
        errno = EAGAIN;
        return -1;
    }
    return s_call_sync(self, post, path, params, false, resp);
}

int
rest_sync_time(rest_t *self)
{
    assert(self);
    rest_resp_t r;
    s_resp_init(&r);
    return s_call_sync(self, false, "/v5/market/time", "", true, &r);
}

/* ---- asynchronous calls: curl multi driven by the zloop ---------------------------------
 * Choice: curl_multi_socket_action with libcurl's socket and timer callbacks mapped onto
 * zloop pollers and one zloop timer, rather than curl_multi_poll in a short periodic timer:
 * a transfer advances the moment its socket is ready (no added latency of a polling period on
 * the order path), and an idle executor wakes for nothing. The loop stays the only thread. */

static void
s_check_done(rest_t *self)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(self->multi, &left))) {
        if (m->msg != CURLMSG_DONE) {
            continue;
        }
        s_xfer_t *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode cc = m->data.result;
        curl_multi_remove_handle(self->multi, m->easy_handle);
        for (s_xfer_t **pp = &self->xfers; *pp; pp = &(*pp)->next) {
            if (*pp == x) {
                *pp = x->next;
                break;
            }
        }
        rest_resp_t r;
        s_resp_init(&r);
        int err = 0;
        int rc = s_finish(self, x, cc, &r, &err);
        x->fn(self, rc, rc < 0 ? err : 0, &r, x->arg); /* may start new transfers */
        s_xfer_free(&x);
    }
}

static int
s_on_sock(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    rest_t *self = arg;
    int flags = ((item->revents & ZMQ_POLLIN) ? CURL_CSELECT_IN : 0)
                | ((item->revents & ZMQ_POLLOUT) ? CURL_CSELECT_OUT : 0)
                | ((item->revents & ZMQ_POLLERR) ? CURL_CSELECT_ERR : 0);
    int running = 0;
    (void)curl_multi_socket_action(self->multi, item->fd, flags, &running);
    s_check_done(self);
    return 0;
}

static int
s_on_timer(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    rest_t *self = arg;
    self->timer_id = -1; /* one-shot */
    int running = 0;
    (void)curl_multi_socket_action(self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    s_check_done(self);
    return 0;
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what libcurl asks (re-registered on every change). */
static int
s_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    rest_t *self = userp;
    zmq_pollitem_t item = { NULL, fd, 0, 0 };
    if (!self->loop) {
        return 0; /* rest_destroy: the pollers are gone already */
    }
    if (socketp) {
        zloop_poller_end(self->loop, &item);
        for (size_t i = 0; i < self->n_fds; i++) {
            if (self->fds[i] == fd) {
                self->fds[i] = self->fds[--self->n_fds];
                break;
            }
        }
    }
    if (what == CURL_POLL_REMOVE) {
        (void)curl_multi_assign(self->multi, fd, NULL);
        return 0;
    }
    if (self->n_fds == S_MAX_FDS) {
        log_error(S_MOD, "more than %d REST sockets at once", S_MAX_FDS);
        return -1;
    }
    item.events = (short)(((what & CURL_POLL_IN) ? ZMQ_POLLIN : 0)
                          | ((what & CURL_POLL_OUT) ? ZMQ_POLLOUT : 0));
    if (zloop_poller(self->loop, &item, s_on_sock, self) != 0) {
        log_error(S_MOD, "cannot watch a REST socket in the loop");
        return -1; /* libcurl fails that transfer */
    }
    zloop_poller_set_tolerant(self->loop,
                              &item); /* a socket error fails the transfer, not the loop */
    (void)curl_multi_assign(self->multi, fd, (void *)1);
    self->fds[self->n_fds++] = fd;
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: one zloop timer, replaced on every call; -1 removes it. */
static int
s_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    rest_t *self = userp;
    if (!self->loop) {
        return 0;
    }
    if (self->timer_id >= 0) {
        zloop_timer_end(self->loop, self->timer_id);
        self->timer_id = -1;
    }
    if (timeout_ms >= 0) {
        /* 0 means "at once": the next loop pass (zloop timers have 1 ms resolution) */
        self->timer_id =
            zloop_timer(self->loop, timeout_ms > 0 ? (size_t)timeout_ms : 1, 1, s_on_timer, self);
        if (self->timer_id < 0) {
            return -1;
        }
    }
    return 0;
}

int
rest_attach(rest_t *self, zloop_t *loop)
{
    assert(self && loop);
    if (self->multi) {
        errno = EINVAL;
        return -1;
    }
    self->multi = curl_multi_init();
    if (!self->multi) {
        errno = ENOMEM;
        return -1;
    }
    self->loop = loop;
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETFUNCTION, s_sock_cb);
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETDATA, self);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERFUNCTION, s_timer_cb);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERDATA, self);
    curl_multi_setopt(self->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)S_MAX_CONN);
    return 0;
}

static int
s_start(rest_t *self, bool post, const char *path, const char *params, bool time, rest_done_fn *fn,
        void *arg)
{
    assert(self && path && fn);
    params = params ? params : "";
    rest_resp_t r;
    s_resp_init(&r);
    if (!time && s_budget_spent(self, path, &r)) {
        fn(self, -1, EAGAIN, &r, arg);
        return 0;
    }
    if (!self->multi) {
        /* no loop attached (tests, tools): the exchange runs now, fn before returning */
        int rc = time ? rest_sync_time(self) : s_call_sync(self, post, path, params, false, &r);
        fn(self, rc, rc < 0 ? errno : 0, &r, arg);
        return 0;
    }
    s_xfer_t *x = s_xfer_new(self, NULL, post, path, params, time);
    if (!x) {
        return -1;
    }
    x->fn = fn;
    x->arg = arg;
    if (curl_multi_add_handle(self->multi, x->easy) != CURLM_OK) {
        s_xfer_free(&x);
        errno = ENOMEM;
        return -1;
    }
    x->next = self->xfers;
    self->xfers = x;
    return 0;
}

int
rest_start(rest_t *self, bool post, const char *path, const char *params, rest_done_fn *fn,
           void *arg)
{
    return s_start(self, post, path, params, false, fn, arg);
}

int
rest_start_time(rest_t *self, rest_done_fn *fn, void *arg)
{
    return s_start(self, false, "/v5/market/time", "", true, fn, arg);
}

int
rest_ws_auth(rest_t *self, int64_t expires_ms, char *out, size_t cap)
{
    assert(self && out);
    char exp[24], sig[65];
    snprintf(exp, sizeof exp, "%lld", (long long)expires_ms);
    /* "GET/realtime" + expires: the same HMAC with an empty key/recv_window part */
    if (rest_sign(self->secret, "GET/realtime", "", "", exp, strlen(exp), sig) < 0) {
        return -1;
    }
    int n = snprintf(out, cap, "{\"req_id\":\"auth\",\"op\":\"auth\",\"args\":[\"%s\",%s,\"%s\"]}",
                     self->key, exp, sig);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENOBUFS;
        return -1;
    }
    return 0;
}
