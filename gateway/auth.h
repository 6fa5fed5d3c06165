/*  auth.h - the gateway's bearer tokens: a read-only token and a control token, from the
 *  environment or a 0600 file, compared in constant time.
 *  Owns:  copies of the tokens (wiped on destroy); nothing else.
 *  Sources, in order (docs/gateway.md "Tokens"): TP_GATEWAY_READ_TOKEN and
 *  TP_GATEWAY_CONTROL_TOKEN in the environment; for a role the environment does not set, the
 *  tokens file (gateway.tokens_file: one JSON object {"read": TOKEN, "control": TOKEN}, a
 *  regular file of mode 0600). A token is 16..256 printable ASCII characters without spaces.
 *  The control token also reads. A token's name (what the database records) is its role:
 *  "read" or "control". No function here logs or returns a token.
 */
#ifndef TP_GATEWAY_AUTH_H
#define TP_GATEWAY_AUTH_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { AUTH_READ = 1, AUTH_CONTROL = 2 } auth_role_t;

#define AUTH_TOKEN_MIN 16
#define AUTH_TOKEN_MAX 256

typedef struct auth auth_t;

/* Load the tokens: `env_read` / `env_control` (main.c passes the values of
 * TP_GATEWAY_READ_TOKEN / TP_GATEWAY_CONTROL_TOKEN; NULL or "" = not set), then `file` ("" or
 * NULL = none) for a role they do not set. NULL with errno and a reason in err[errlen] (naming the
 * variable or file and key, never the value): EINVAL a malformed token or file, EPERM a file not
 * 0600, or the error of open/read. No token at all is not an error (auth_has(...) then says false:
 * every protected path answers 401). */
auth_t *auth_new(const char *env_read, const char *env_control, const char *file, char *err,
                 size_t errlen);
void auth_destroy(auth_t **self_p);

/* Whether a token for `role` is configured. */
bool auth_has(const auth_t *self, auth_role_t role);

/* Compare a[alen] and b[blen] in time that depends on neither content nor which byte differs
 * (both are hashed with SHA-256, the digests compared with CRYPTO_memcmp), so neither the
 * token nor its length leaks through timing. */
bool auth_equal(const char *a, size_t alen, const char *b, size_t blen);

/* The token of an Authorization header value "Bearer TOKEN" (scheme case-insensitive, one or
 * more spaces): *tok points into `header`, *len its length. 0, or -1 when the header is NULL,
 * another scheme or has no token. */
int auth_bearer(const char *header, const char **tok, size_t *len);

/* Decide a request that needs `need`: `header` is the Authorization value (NULL when
 * absent). Returns the HTTP status: 200 allowed (*name = the token's name, static), 401 no
 * token, a malformed header, or no token configured, 403 a token that matches none, or the
 * read token on a control path. Every configured token is compared, whatever matches first. */
int auth_check(const auth_t *self, const char *header, auth_role_t need, const char **name);

/* Whether `text` contains any configured token (for the tests' scans and a last check before
 * something is logged or recorded). */
bool auth_leaks(const auth_t *self, const char *text);

#endif /* TP_GATEWAY_AUTH_H */
