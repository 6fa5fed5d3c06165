/*  webhook.c - outgoing webhooks (contract in webhook.h). */
#include "gateway/webhook.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "common/clock.h"
#include "common/log.h"

#define S_TIMEOUT_MS       5000
#define S_BACKOFF_FIRST_MS 250

static const char *const k_mod = "gateway";

typedef struct {
    size_t target;
    char *body;
    int tries;
    int64_t next_ns; /* monotonic: not before */
} s_item_t;

struct webhook {
    webhook_target_t t[WEBHOOK_TARGETS_MAX];
    size_t n;
    char instance[32], run_id[64];
    int retries;
    int64_t backoff_max_ms;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool started, stop;
    s_item_t *q;
    size_t cap, head, len;
    webhook_stats_t st;
};

unsigned
webhook_kind(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } k[] = { { "trade:opened", WEBHOOK_TRADE_OPENED },
              { "trade:closed", WEBHOOK_TRADE_CLOSED },
              { "kill", WEBHOOK_KILL },
              { "breaker", WEBHOOK_BREAKER },
              { "alert", WEBHOOK_ALERT } };
    for (size_t i = 0; name && i < sizeof k / sizeof k[0]; i++) {
        if (strcmp(name, k[i].name) == 0) {
            return k[i].bit;
        }
    }
    return 0;
}

/* scheme://host of a URL for log lines (no path, no query, no user info) */
static void
s_safe_url(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    const char *host = p ? p + 3 : url;
    const char *at = strchr(host, '@');
    const char *end = host + strcspn(host, "/?#");
    if (at && at < end) {
        host = at + 1;
    }
    (void)snprintf(out, cap, "%.*s%.*s", p ? (int)(p + 3 - url) : 0, url, (int)(end - host), host);
}

static const char *
s_str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

void
webhook_text(const char *kind, json_t *data, const char *instance, char *out, size_t cap)
{
    if (strcmp(kind, "trade:opened") == 0) {
        (void)snprintf(out, cap, "tradepipe %s: trade opened %s %s %s %s at %s", instance,
                       s_str(data, "venue"), s_str(data, "symbol"), s_str(data, "side"),
                       s_str(data, "qty"), s_str(data, "entry_px"));
    } else if (strcmp(kind, "trade:closed") == 0) {
        (void)snprintf(out, cap, "tradepipe %s: trade closed %s %s %s %s, PnL %s", instance,
                       s_str(data, "venue"), s_str(data, "symbol"), s_str(data, "side"),
                       s_str(data, "qty"), s_str(data, "realized_pnl"));
    } else {
        (void)snprintf(out, cap, "tradepipe %s: %s %s %s: %s", instance, kind, s_str(data, "level"),
                       s_str(data, "code"), s_str(data, "text"));
    }
}

static bool
s_breaker(const char *code)
{
    static const char *const k[] = { "daily_loss_limit", "max_drawdown",        "min_balance",
                                     "loss_streak",      "max_trades_per_hour", NULL };
    for (const char *const *b = k; *b; b++) {
        if (strcmp(code, *b) == 0) {
            return true;
        }
    }
    return false;
}

static size_t
s_write_nothing(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* one POST: 0 on a 2xx answer */
static int
s_post(CURL *c, const char *url, const char *body, long *status)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_reset(c);
    (void)curl_easy_setopt(c, CURLOPT_URL, url);
    (void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    (void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    (void)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)S_TIMEOUT_MS);
    (void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write_nothing);
    (void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(c);
    *status = 0;
    (void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(h);
    return rc == CURLE_OK && *status >= 200 && *status < 300 ? 0 : -1;
}

static void *
s_run(void *arg)
{
    webhook_t *self = arg;
    CURL *c = curl_easy_init();
    pthread_mutex_lock(&self->lock);
    while (!self->stop) {
        if (self->len == 0) {
            pthread_cond_wait(&self->cond, &self->lock);
            continue;
        }
        s_item_t *it = &self->q[self->head];
        int64_t now = clock_mono_ns();
        if (it->next_ns > now) {
            int64_t wall = clock_wall_ns() + (it->next_ns - now);
            struct timespec ts = { .tv_sec = wall / CLOCK_NS_PER_S,
                                   .tv_nsec = wall % CLOCK_NS_PER_S };
            (void)pthread_cond_timedwait(&self->cond, &self->lock, &ts);
            continue;
        }
        char *body = it->body;
        size_t ti = it->target;
        char url[512];
        (void)snprintf(url, sizeof url, "%s", self->t[ti].url);
        pthread_mutex_unlock(&self->lock);
        long status = 0;
        int rc = c ? s_post(c, url, body, &status) : -1;
        pthread_mutex_lock(&self->lock);
        it = &self->q[self->head]; /* the head stays ours: offer only appends */
        char safe[256];
        s_safe_url(url, safe, sizeof safe);
        if (rc == 0) {
            self->st.delivered++;
        } else if (it->tries < self->retries) {
            int64_t back = (int64_t)S_BACKOFF_FIRST_MS << (it->tries < 20 ? it->tries : 20);
            if (back > self->backoff_max_ms) {
                back = self->backoff_max_ms;
            }
            it->tries++;
            it->next_ns = clock_mono_ns() + back * CLOCK_NS_PER_MS;
            self->st.retried++;
            if (it->tries == 1) {
                log_warn(k_mod, "webhook %s: %s; retrying (up to %d times)", safe,
                         status ? "status not 2xx" : "no answer", self->retries);
            }
            continue;
        } else {
            self->st.failed++;
            log_error(k_mod, "webhook %s: given up after %d retries (last status %ld)", safe,
                      self->retries, status);
        }
        free(it->body);
        it->body = NULL;
        self->head = (self->head + 1) % self->cap;
        self->len--;
        self->st.pending = self->len;
    }
    pthread_mutex_unlock(&self->lock);
    if (c) {
        curl_easy_cleanup(c);
    }
    return NULL;
}

webhook_t *
webhook_new(const webhook_target_t *targets, size_t n, size_t queue_cap, int retries,
            int64_t backoff_max_ms, const char *instance, const char *run_id)
{
    if (n > WEBHOOK_TARGETS_MAX || queue_cap == 0) {
        errno = EINVAL;
        return NULL;
    }
    webhook_t *self = calloc(1, sizeof *self);
    if (self == NULL || (self->q = calloc(queue_cap, sizeof *self->q)) == NULL) {
        free(self);
        errno = ENOMEM;
        return NULL;
    }
    memcpy(self->t, targets, n * sizeof *targets);
    self->n = n;
    self->cap = queue_cap;
    self->retries = retries;
    self->backoff_max_ms = backoff_max_ms;
    (void)snprintf(self->instance, sizeof self->instance, "%s", instance);
    (void)snprintf(self->run_id, sizeof self->run_id, "%s", run_id);
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->cond, NULL);
    if (n > 0) {
        int e = pthread_create(&self->thread, NULL, s_run, self);
        if (e != 0) {
            webhook_destroy(&self);
            errno = e;
            return NULL;
        }
        self->started = true;
    }
    return self;
}

void
webhook_destroy(webhook_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    webhook_t *self = *self_p;
    pthread_mutex_lock(&self->lock);
    self->stop = true;
    pthread_cond_signal(&self->cond);
    pthread_mutex_unlock(&self->lock);
    if (self->started) {
        (void)pthread_join(self->thread, NULL);
    }
    if (self->len > 0) {
        log_warn(k_mod, "webhooks: %zu deliveries not sent at the stop", self->len);
    }
    for (size_t i = 0; i < self->cap; i++) {
        free(self->q[i].body);
    }
    free(self->q);
    pthread_mutex_destroy(&self->lock);
    pthread_cond_destroy(&self->cond);
    free(self);
    *self_p = NULL;
}

static void
s_queue(webhook_t *self, size_t target, const char *kind, json_t *data)
{
    char text[512];
    webhook_text(kind, data, self->instance, text, sizeof text);
    json_t *o = self->t[target].text
                    ? json_pack("{s:s, s:s}", "text", text, "content", text)
                    : json_pack("{s:s, s:s, s:s, s:O, s:s}", "event", kind, "instance",
                                self->instance, "run_id", self->run_id, "data", data, "text", text);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (body == NULL) {
        return;
    }
    pthread_mutex_lock(&self->lock);
    if (self->len == self->cap) {
        self->st.dropped++;
        pthread_mutex_unlock(&self->lock);
        free(body);
        return;
    }
    s_item_t *it = &self->q[(self->head + self->len) % self->cap];
    it->target = target;
    it->body = body;
    it->tries = 0;
    it->next_ns = 0;
    self->len++;
    self->st.queued++;
    self->st.pending = self->len;
    pthread_cond_signal(&self->cond);
    pthread_mutex_unlock(&self->lock);
}

void
webhook_offer(webhook_t *self, const char *event, json_t *data)
{
    if (self == NULL || self->n == 0) {
        return;
    }
    unsigned kind = webhook_kind(event);
    int level = 0;
    if (strcmp(event, "alert") == 0) {
        const char *code = s_str(data, "code");
        const char *lv = s_str(data, "level");
        level = strcmp(lv, "error") == 0 ? 2 : strcmp(lv, "warn") == 0 ? 1 : 0;
        kind = strcmp(code, "kill_switch") == 0 ? WEBHOOK_KILL
               : s_breaker(code)                ? WEBHOOK_BREAKER
                                                : 0;
    }
    for (size_t i = 0; i < self->n; i++) {
        const webhook_target_t *t = &self->t[i];
        const char *name = NULL;
        if (kind && (t->kinds & kind)) {
            name = kind == WEBHOOK_KILL ? "kill" : kind == WEBHOOK_BREAKER ? "breaker" : event;
        } else if (strcmp(event, "alert") == 0 && (t->kinds & WEBHOOK_ALERT)
                   && level >= t->min_level && level > 0) {
            name = "alert";
        }
        if (name) {
            s_queue(self, i, name, data);
        }
    }
}

void
webhook_stats(webhook_t *self, webhook_stats_t *out)
{
    pthread_mutex_lock(&self->lock);
    *out = self->st;
    out->pending = self->len;
    pthread_mutex_unlock(&self->lock);
}
