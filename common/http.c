/*  http.c - blocking HTTP GET with libcurl (see http.h).
 */
#include "common/http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/log.h"

#define k_mod "http"

typedef struct {
    char *buf;
    size_t len, cap;
    int err;
} s_body_t;

static size_t
s_write(char *p, size_t size, size_t n, void *arg)
{
    s_body_t *b = arg;
    size_t add = size * n;
    if (b->len + add + 1 > HTTP_MAX_BODY) {
        b->err = EFBIG;
        return 0; /* makes curl fail the transfer */
    }
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + add + 1) {
            cap *= 2;
        }
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->err = ENOMEM;
            return 0;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, p, add);
    b->len += add;
    b->buf[b->len] = '\0';
    return add;
}

char *
http_get(const char *url, long timeout_ms, size_t *len)
{
    return http_get_run(url, timeout_ms, NULL, len);
}

/* 0 when the answer's X-Tradepipe-Run is `want`; else logs and returns -1/EPERM. */
static int
s_check_run(CURL *c, const char *url, const char *want)
{
    struct curl_header *h = NULL;
    const char *got = "";
    if (curl_easy_header(c, "X-Tradepipe-Run", 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h
        && h->value) {
        got = h->value;
    }
    if (strcmp(got, want) == 0) {
        return 0;
    }
    if (!*got) {
        log_error(k_mod,
                  "refusing the answer of %s: it announces no run id (X-Tradepipe-Run), so it "
                  "is not the venue-sim of this run %s",
                  url, want);
    } else {
        log_error(k_mod, "refusing the answer of %s: it belongs to run %s, this is run %s", url,
                  got, want);
    }
    errno = EPERM;
    return -1;
}

char *
http_get_run(const char *url, long timeout_ms, const char *run_id, size_t *len)
{
    s_body_t body = { 0 };
    CURL *c = curl_easy_init();
    if (!c) {
        log_warn(k_mod, "cannot GET %s: curl_easy_init failed", url);
        errno = ENOMEM;
        return NULL;
    }
    long status = 0;
    CURLcode rc = CURLE_OK;
    /* setopt only fails for unknown options or out of memory; the perform reports both */
    (void)curl_easy_setopt(c, CURLOPT_URL, url);
    (void)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    (void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    (void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* gzip if offered */
    (void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
    (void)curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    (void)curl_easy_setopt(c, CURLOPT_USERAGENT, "tradepipe-feed/1");
    rc = curl_easy_perform(c);
    int foreign = 0;
    if (rc == CURLE_OK) {
        (void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        foreign = run_id && *run_id && s_check_run(c, url, run_id) != 0;
    }
    curl_easy_cleanup(c);
    if (foreign) {
        free(body.buf);
        errno = EPERM;
        return NULL;
    }
    if (rc != CURLE_OK) {
        log_warn(k_mod, "cannot GET %s: %s", url, curl_easy_strerror(rc));
        free(body.buf);
        errno = body.err ? body.err : EIO;
        return NULL;
    }
    if (status != 200) {
        log_warn(k_mod, "cannot GET %s: HTTP status %ld", url, status);
        free(body.buf);
        errno = EPROTO;
        return NULL;
    }
    if (!body.buf) {
        body.buf = calloc(1, 1);
        if (!body.buf) {
            errno = ENOMEM;
            return NULL;
        }
    }
    *len = body.len;
    return body.buf;
}
