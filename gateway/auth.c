/*  auth.c - bearer tokens (contract in auth.h). */
#include "gateway/auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

struct auth {
    char tok[2][AUTH_TOKEN_MAX + 1]; /* [0] read, [1] control; "" = none */
};

static const char *const k_names[2] = { "read", "control" };
static const char *const k_env[2] = { "TP_GATEWAY_READ_TOKEN", "TP_GATEWAY_CONTROL_TOKEN" };

static void
s_err(char *err, size_t errlen, int e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) {
        (void)vsnprintf(err, errlen, fmt, ap);
    }
    va_end(ap);
    errno = e;
}

static bool
s_valid(const char *t)
{
    size_t n = strlen(t);
    if (n < AUTH_TOKEN_MIN || n > AUTH_TOKEN_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isgraph((unsigned char)t[i])) {
            return false;
        }
    }
    return true;
}

static int
s_load_file(auth_t *self, const char *file, char *err, size_t errlen)
{
    struct stat st;
    if (stat(file, &st) != 0) {
        int e = errno;
        s_err(err, errlen, e, "cannot read tokens file %s: %s", file, strerror(e));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        s_err(err, errlen, EPERM, "tokens file %s must be a regular file of mode 0600 (it is %04o)",
              file, (unsigned)(st.st_mode & 0777));
        return -1;
    }
    json_error_t je;
    json_t *doc = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL) {
        /* jansson's message may quote the text: say only where */
        s_err(err, errlen, EINVAL, "tokens file %s:%d: not a JSON object", file, je.line);
        return -1;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        s_err(err, errlen, EINVAL, "tokens file %s: not a JSON object", file);
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        int r = strcmp(key, "read") == 0 ? 0 : strcmp(key, "control") == 0 ? 1 : -1;
        if (r < 0) {
            s_err(err, errlen, EINVAL, "tokens file %s: %s: unknown key (read, control)", file,
                  key);
            json_decref(doc);
            return -1;
        }
        if (!json_is_string(v) || !s_valid(json_string_value(v))) {
            s_err(err, errlen, EINVAL,
                  "tokens file %s: %s: expected a string of %d..%d printable characters without "
                  "spaces",
                  file, key, AUTH_TOKEN_MIN, AUTH_TOKEN_MAX);
            json_decref(doc);
            return -1;
        }
        if (self->tok[r][0] == '\0') { /* the environment wins */
            (void)snprintf(self->tok[r], sizeof self->tok[r], "%s", json_string_value(v));
        }
    }
    json_decref(doc);
    return 0;
}

auth_t *
auth_new(const char *env_read, const char *env_control, const char *file, char *err, size_t errlen)
{
    const char *env[2] = { env_read, env_control };
    auth_t *self = calloc(1, sizeof *self);
    if (self == NULL) {
        s_err(err, errlen, ENOMEM, "out of memory");
        return NULL;
    }
    for (int r = 0; r < 2; r++) {
        const char *v = env[r];
        if (v == NULL || v[0] == '\0') {
            continue;
        }
        if (!s_valid(v)) {
            s_err(err, errlen, EINVAL, "%s: expected %d..%d printable characters without spaces",
                  k_env[r], AUTH_TOKEN_MIN, AUTH_TOKEN_MAX);
            auth_destroy(&self);
            return NULL;
        }
        (void)snprintf(self->tok[r], sizeof self->tok[r], "%s", v);
    }
    if (file && file[0] && s_load_file(self, file, err, errlen) < 0) {
        int e = errno;
        auth_destroy(&self);
        errno = e;
        return NULL;
    }
    if (self->tok[0][0] && self->tok[1][0] && strcmp(self->tok[0], self->tok[1]) == 0) {
        s_err(err, errlen, EINVAL, "the read and control tokens must differ");
        auth_destroy(&self);
        return NULL;
    }
    return self;
}

void
auth_destroy(auth_t **self_p)
{
    if (self_p && *self_p) {
        OPENSSL_cleanse(*self_p, sizeof **self_p);
        free(*self_p);
        *self_p = NULL;
    }
}

bool
auth_has(const auth_t *self, auth_role_t role)
{
    return self && self->tok[role == AUTH_CONTROL][0] != '\0';
}

bool
auth_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
    (void)SHA256((const unsigned char *)a, alen, da);
    (void)SHA256((const unsigned char *)b, blen, db);
    return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

int
auth_bearer(const char *header, const char **tok, size_t *len)
{
    if (header == NULL || strncasecmp(header, "Bearer", 6) != 0 || header[6] != ' ') {
        return -1;
    }
    const char *p = header + 6;
    while (*p == ' ') {
        p++;
    }
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == ' ') {
        n--;
    }
    if (n == 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isgraph((unsigned char)p[i])) {
            return -1;
        }
    }
    *tok = p;
    *len = n;
    return 0;
}

int
auth_check(const auth_t *self, const char *header, auth_role_t need, const char **name)
{
    const char *tok = NULL;
    size_t len = 0;
    if (self == NULL || (self->tok[0][0] == '\0' && self->tok[1][0] == '\0')
        || auth_bearer(header, &tok, &len) < 0) {
        return 401;
    }
    int match = -1;
    for (int r = 0; r < 2; r++) { /* compare every token, whatever matches */
        bool eq =
            self->tok[r][0] != '\0' && auth_equal(tok, len, self->tok[r], strlen(self->tok[r]));
        match = eq ? r : match;
    }
    if (match < 0 || (need == AUTH_CONTROL && match != 1)) {
        return 403;
    }
    if (name) {
        *name = k_names[match];
    }
    return 200;
}

bool
auth_leaks(const auth_t *self, const char *text)
{
    if (self == NULL || text == NULL) {
        return false;
    }
    for (int r = 0; r < 2; r++) {
        if (self->tok[r][0] && strstr(text, self->tok[r]) != NULL) {
            return true;
        }
    }
    return false;
}
