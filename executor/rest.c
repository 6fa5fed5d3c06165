/*  rest.c - Bybit v5 signed REST client (contract: rest.h).
 *  Owns:  CURL easy handle, header list per call, response buffer, key/secret copies.
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
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/clock.h"
#include "common/log.h"

#define S_MOD "rest"

typedef struct {
    char path[48];
    int64_t limit, status, reset_ms; /* last headers seen */
    int64_t blocked_until_ms;        /* after 10006 */
} s_budget_t;

struct rest {
    CURL *curl;
    char base[256];
    char key[128];
    char secret[256];
    char recv_window[16];
    int timeout_ms;
    int64_t offset_ms;
    s_budget_t budgets[REST_MAX_PATHS];
    size_t n_budgets;
    char *buf;
    size_t len, cap;
    int64_t h_limit, h_status, h_reset; /* headers of the current answer */
    uint64_t calls, limited;
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
    { 110092, "triggerDirection inconsistent (expected rising)" },
    { 110093, "triggerDirection inconsistent (expected falling)" },
    { 110094, "notional below minimum" },
    { 170130, "spot: bad parameter" },
    { 170131, "spot: balance insufficient" },
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

static size_t
s_write(char *p, size_t size, size_t n, void *arg)
{
    rest_t *self = arg;
    size_t len = size * n;
    if (self->len + len + 1 > self->cap) {
        size_t cap = (self->len + len + 1) * 2;
        char *b = realloc(self->buf, cap);
        if (!b) {
            return 0; /* curl fails the transfer: CURLE_WRITE_ERROR */
        }
        self->buf = b;
        self->cap = cap;
    }
    memcpy(self->buf + self->len, p, len);
    self->len += len;
    self->buf[self->len] = '\0';
    return len;
}

static size_t
s_header(char *p, size_t size, size_t n, void *arg)
{
    rest_t *self = arg;
    size_t len = size * n;
    static const struct {
        const char *name;
        size_t off;
    } k_h[] = {
        { "x-bapi-limit:", offsetof(rest_t, h_limit) },
        { "x-bapi-limit-status:", offsetof(rest_t, h_status) },
        { "x-bapi-limit-reset-timestamp:", offsetof(rest_t, h_reset) },
    };
    for (size_t i = 0; i < 3; i++) {
        size_t nl = strlen(k_h[i].name);
        if (len > nl && strncasecmp(p, k_h[i].name, nl) == 0) {
            *(int64_t *)((char *)self + k_h[i].off) = strtoll(p + nl, NULL, 10);
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
    self->curl = curl_easy_init();
    if (!self->curl) {
        free(self);
        errno = ENOMEM;
        return NULL;
    }
    snprintf(self->base, sizeof self->base, "%s", base_url);
    snprintf(self->key, sizeof self->key, "%s", key);
    snprintf(self->secret, sizeof self->secret, "%s", secret);
    snprintf(self->recv_window, sizeof self->recv_window, "%d", recv_window);
    self->timeout_ms = timeout_ms;
    return self;
}

void
rest_destroy(rest_t **self_p)
{
    assert(self_p);
    rest_t *self = *self_p;
    if (!self) {
        return;
    }
    curl_easy_cleanup(self->curl);
    free(self->buf);
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

/* Perform one HTTP exchange; fills resp (except retCode). 0 or -1/errno. */
static int
s_perform(rest_t *self, bool post, const char *path, const char *params, bool sign,
          rest_resp_t *resp)
{
    char url[1024], ts[24], sig[65], hdr[5][320];
    struct curl_slist *hl = NULL;
    if (snprintf(url, sizeof url, "%s%s%s%s", self->base, path, (!post && params[0]) ? "?" : "",
                 post ? "" : params)
        >= (int)sizeof url) {
        errno = EINVAL;
        return -1;
    }
    if (sign) {
        snprintf(ts, sizeof ts, "%lld", (long long)rest_now_ms(self));
        if (rest_sign(self->secret, ts, self->key, self->recv_window, params, strlen(params), sig)
            < 0) {
            return -1;
        }
        snprintf(hdr[0], sizeof hdr[0], "X-BAPI-API-KEY: %s", self->key);
        snprintf(hdr[1], sizeof hdr[1], "X-BAPI-TIMESTAMP: %s", ts);
        snprintf(hdr[2], sizeof hdr[2], "X-BAPI-RECV-WINDOW: %s", self->recv_window);
        snprintf(hdr[3], sizeof hdr[3], "X-BAPI-SIGN: %s", sig);
        for (int i = 0; i < 4; i++) {
            hl = curl_slist_append(hl, hdr[i]);
        }
    }
    if (post) {
        hl = curl_slist_append(hl, "Content-Type: application/json");
    }
    self->len = 0;
    self->h_limit = self->h_status = self->h_reset = -1;
    CURL *c = self->curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, self);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, self);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)self->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)self->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (post) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, params);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(params));
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    self->calls++;
    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(hl);
    OPENSSL_cleanse(hdr, sizeof hdr); /* the key was in hdr[0] */
    long st = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    resp->http_status = (int)st;
    resp->limit = self->h_limit;
    resp->limit_status = self->h_status;
    resp->limit_reset_ms = self->h_reset;
    if (cc != CURLE_OK) {
        log_warn(S_MOD, "%s %s: %s", post ? "POST" : "GET", path, curl_easy_strerror(cc));
        errno = cc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT
                : cc == CURLE_COULDNT_CONNECT  ? ECONNREFUSED
                                               : EIO;
        return -1;
    }
    return 0;
}

int
rest_call(rest_t *self, bool post, const char *path, const char *params, rest_resp_t *resp)
{
    assert(self && path && resp);
    memset(resp, 0, sizeof *resp);
    resp->ret_code = -1;
    params = params ? params : "";
    int64_t now = rest_now_ms(self);
    s_budget_t *b = s_budget(self, path);
    if (b && b->blocked_until_ms > now) {
        resp->retry_ms = b->blocked_until_ms - now;
        errno = EAGAIN;
        return -1;
    }
    if (b && b->status == 0 && b->reset_ms > now) {
        resp->retry_ms = b->reset_ms - now;
        errno = EAGAIN;
        return -1;
    }
    if (s_perform(self, post, path, params, true, resp) < 0) {
        return -1;
    }
    if (b && resp->limit >= 0) {
        b->limit = resp->limit;
        b->status = resp->limit_status;
        b->reset_ms = resp->limit_reset_ms;
    }
    json_t *root = json_loadb(self->buf ? self->buf : "", self->len, 0, NULL);
    json_t *rc = json_object_get(root, "retCode");
    if (!json_is_integer(rc)) {
        log_warn(S_MOD, "%s %s: HTTP %d, not a Bybit answer", post ? "POST" : "GET", path,
                 resp->http_status);
        json_decref(root);
        errno = EIO;
        return -1;
    }
    resp->ret_code = (int)json_integer_value(rc);
    snprintf(resp->ret_msg, sizeof resp->ret_msg, "%s",
             json_string_value(json_object_get(root, "retMsg")) ?: "");
    resp->result = json_incref(json_object_get(root, "result"));
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
        log_warn(S_MOD, "%s %s: retCode %d (%s): %s", post ? "POST" : "GET", path, resp->ret_code,
                 rest_code_text(resp->ret_code), resp->ret_msg);
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int
rest_sync_time(rest_t *self)
{
    assert(self);
    rest_resp_t r;
    memset(&r, 0, sizeof r);
    int64_t t0 = clock_wall_ns();
    if (s_perform(self, false, "/v5/market/time", "", false, &r) < 0) {
        return -1;
    }
    int64_t t1 = clock_wall_ns();
    json_t *root = json_loadb(self->buf ? self->buf : "", self->len, 0, NULL);
    const char *nano =
        json_string_value(json_object_get(json_object_get(root, "result"), "timeNano"));
    if (!nano) {
        json_decref(root);
        errno = EIO;
        return -1;
    }
    int64_t server_ns = strtoll(nano, NULL, 10);
    json_decref(root);
    int64_t mid = t0 + (t1 - t0) / 2;
    self->offset_ms = (server_ns - mid) / CLOCK_NS_PER_MS;
    log_info(S_MOD, "server time offset %lld ms (rtt %lld us)", (long long)self->offset_ms,
             (long long)((t1 - t0) / 1000));
    return 0;
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
