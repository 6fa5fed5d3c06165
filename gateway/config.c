/*  config.c - the gateway's config reader (contract in config.h). */
#include "gateway/config.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

static const char *const k_keys[] = { "bind",
                                      "port",
                                      "insecure",
                                      "tls_cert",
                                      "tls_key",
                                      "tokens_file",
                                      "max_body",
                                      "ctl_timeout_ms",
                                      "ready_hb_max_ms",
                                      "sse_ring",
                                      "sse_heartbeat_s",
                                      "control_per_min",
                                      "history",
                                      "webhooks",
                                      "webhook_queue",
                                      "webhook_retries",
                                      "webhook_backoff_max_ms",
                                      NULL };
static const char *const k_hook_keys[] = { "url", "events", "min_level", "format", NULL };

/* gateway.webhooks[i] */
static int
s_webhook(cfg_t *cfg, int i, webhook_target_t *t)
{
    char base[64], key[96];
    const char *v;
    (void)snprintf(base, sizeof base, "gateway.webhooks[%d]", i);
    memset(t, 0, sizeof *t);
    if (!json_is_object(cfg_json(cfg, base))) {
        return cfg_fail(cfg, base, "expected an object {url, events, min_level, format}");
    }
    if (cfg_check_keys(cfg, base, k_hook_keys) < 0) {
        return -1;
    }
    (void)snprintf(key, sizeof key, "%s.url", base);
    if (!cfg_has(cfg, key)) {
        return cfg_fail(cfg, key, "required");
    }
    if (cfg_str(cfg, key, "", &v) < 0) {
        return -1;
    }
    if ((strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
        || strlen(v) >= sizeof t->url) {
        return cfg_fail(cfg, key, "expected an http:// or https:// URL under %zu bytes",
                        sizeof t->url);
    }
    (void)snprintf(t->url, sizeof t->url, "%s", v);
    (void)snprintf(key, sizeof key, "%s.events", base);
    int n = cfg_array_len(cfg, key);
    if (n <= 0) {
        return cfg_fail(cfg, key,
                        "expected a non-empty array of trade:opened, trade:closed, kill, breaker, "
                        "alert");
    }
    for (int k = 0; k < n; k++) {
        char ek[112];
        (void)snprintf(ek, sizeof ek, "%s[%d]", key, k);
        if (cfg_str(cfg, ek, "", &v) < 0) {
            return -1;
        }
        unsigned bit = webhook_kind(v);
        if (bit == 0) {
            return cfg_fail(
                cfg, ek, "expected trade:opened, trade:closed, kill, breaker or alert, got \"%s\"",
                v);
        }
        t->kinds |= bit;
    }
    (void)snprintf(key, sizeof key, "%s.min_level", base);
    if (cfg_str(cfg, key, "warn", &v) < 0) {
        return -1;
    }
    if (strcmp(v, "warn") != 0 && strcmp(v, "error") != 0) {
        return cfg_fail(cfg, key, "expected \"warn\" or \"error\", got \"%s\"", v);
    }
    t->min_level = strcmp(v, "error") == 0 ? 2 : 1;
    (void)snprintf(key, sizeof key, "%s.format", base);
    if (cfg_str(cfg, key, "json", &v) < 0) {
        return -1;
    }
    if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0) {
        return cfg_fail(cfg, key, "expected \"json\" or \"text\", got \"%s\"", v);
    }
    t->text = strcmp(v, "text") == 0;
    return 0;
}

bool
gateway_addr_loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (addr == NULL) {
        return false;
    }
    if (inet_pton(AF_INET, addr, &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127;
    }
    if (inet_pton(AF_INET6, addr, &a6) == 1) {
        return IN6_IS_ADDR_LOOPBACK(&a6);
    }
    return false;
}

/* A file the gateway reads at start: it must be a regular file; `secret` files also mode
 * 0600 (no group/other bits). */
static int
s_check_file(cfg_t *cfg, const char *key, const char *path, bool secret)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return cfg_fail(cfg, key, "cannot read %s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return cfg_fail(cfg, key, "%s is not a regular file", path);
    }
    if (secret && (st.st_mode & 077) != 0) {
        return cfg_fail(cfg, key, "%s must be mode 0600 (it is %04o)", path,
                        (unsigned)(st.st_mode & 0777));
    }
    return 0;
}

int
gateway_config_read(cfg_t *cfg, const char *instance, gateway_config_t *out)
{
    assert(cfg && instance && out);
    memset(out, 0, sizeof *out);
    const char *hist = NULL;
    if (cfg_check_keys(cfg, "gateway", k_keys) < 0
        || cfg_path_str(cfg, "gateway.bind", "127.0.0.1", out->bind, sizeof out->bind) < 0
        || cfg_int(cfg, "gateway.port", 0, 0, 65535, false, &out->port) < 0
        || cfg_bool(cfg, "gateway.insecure", false, &out->insecure) < 0
        || cfg_path_str(cfg, "gateway.tls_cert", "", out->tls_cert, sizeof out->tls_cert) < 0
        || cfg_path_str(cfg, "gateway.tls_key", "", out->tls_key, sizeof out->tls_key) < 0
        || cfg_path_str(cfg, "gateway.tokens_file", "", out->tokens_file, sizeof out->tokens_file)
               < 0
        || cfg_int(cfg, "gateway.max_body", 4096, 64, 1048576, false, &out->max_body) < 0
        || cfg_int(cfg, "gateway.ctl_timeout_ms", 2000, 50, 30000, false, &out->ctl_timeout_ms) < 0
        || cfg_int(cfg, "gateway.ready_hb_max_ms", 3000, 100, 600000, false, &out->ready_hb_max_ms)
               < 0
        || cfg_int(cfg, "gateway.sse_ring", 1024, 16, 100000, false, &out->sse_ring) < 0
        || cfg_int(cfg, "gateway.sse_heartbeat_s", 15, 1, 300, false, &out->sse_heartbeat_s) < 0
        || cfg_int(cfg, "gateway.control_per_min", 30, 1, 10000, false, &out->control_per_min) < 0
        || cfg_str(cfg, "gateway.history", "recorder.0", &hist) < 0
        || cfg_int(cfg, "gateway.webhook_queue", 256, 1, 100000, false, &out->webhook_queue) < 0
        || cfg_int(cfg, "gateway.webhook_retries", 10, 0, 1000, false, &out->webhook_retries) < 0
        || cfg_int(cfg, "gateway.webhook_backoff_max_ms", 30000, 250, 3600000, false,
                   &out->webhook_backoff_max_ms)
               < 0) {
        return -1;
    }
    int nh = cfg_array_len(cfg, "gateway.webhooks");
    if (nh < 0) {
        return cfg_fail(cfg, "gateway.webhooks", "expected an array of webhook objects");
    }
    if (nh > WEBHOOK_TARGETS_MAX) {
        return cfg_fail(cfg, "gateway.webhooks", "at most %d webhooks", WEBHOOK_TARGETS_MAX);
    }
    for (int i = 0; i < nh; i++) {
        if (s_webhook(cfg, i, &out->webhooks[i]) < 0) {
            return -1;
        }
    }
    out->n_webhooks = (size_t)nh;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, out->bind, &a4) != 1 && inet_pton(AF_INET6, out->bind, &a6) != 1) {
        return cfg_fail(cfg, "gateway.bind", "expected a numeric IPv4 or IPv6 address, got \"%s\"",
                        out->bind);
    }
    out->loopback = gateway_addr_loopback(out->bind);
    if ((out->tls_cert[0] != '\0') != (out->tls_key[0] != '\0')) {
        return cfg_fail(cfg, out->tls_cert[0] ? "gateway.tls_cert" : "gateway.tls_key",
                        "tls_cert and tls_key go together");
    }
    if (!out->loopback && out->tls_cert[0] == '\0' && !out->insecure) {
        return cfg_fail(cfg, "gateway.bind",
                        "%s is not a loopback address: a non-loopback bind needs tls_cert and "
                        "tls_key, or \"insecure\": true",
                        out->bind);
    }
    if (out->tls_cert[0]
        && (s_check_file(cfg, "gateway.tls_cert", out->tls_cert, false) < 0
            || s_check_file(cfg, "gateway.tls_key", out->tls_key, true) < 0)) {
        return -1;
    }
    if (out->tokens_file[0]
        && s_check_file(cfg, "gateway.tokens_file", out->tokens_file, true) < 0) {
        return -1;
    }
    /* the recorder asked for history: an instance with a history endpoint, if the config has
     * it (the gateway runs without; the answers that need it then say so) */
    char key[96];
    (void)snprintf(key, sizeof key, "endpoints.%s", hist);
    if (cfg_has(cfg, key)) {
        (void)snprintf(key, sizeof key, "endpoints.%s.history", hist);
        if (!cfg_has(cfg, key)) {
            return cfg_fail(cfg, "gateway.history", "%s has no history endpoint", hist);
        }
        (void)snprintf(out->history_inst, sizeof out->history_inst, "%s", hist);
    } else if (cfg_has(cfg, "gateway.history")) {
        return cfg_fail(cfg, "gateway.history", "no instance %s under endpoints", hist);
    }
    (void)snprintf(key, sizeof key, "endpoints.%s", instance);
    if (!cfg_has(cfg, key)) {
        return cfg_fail(cfg, "endpoints", "no endpoints for %s", instance);
    }
    return 0;
}

int
gateway_config_check(cfg_t *cfg, const char *instance)
{
    gateway_config_t gc;
    return gateway_config_read(cfg, instance, &gc);
}
