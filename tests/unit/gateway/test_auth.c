/*  test_auth.c - gateway/auth: the constant-time compare, the Authorization header parser,
 *  the decision (200 / 401 / 403 by token and role), token sources (environment values win
 *  over the file, the file must be 0600, malformed tokens refused without quoting them).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/auth.h"
#include "tests/unit/file_util.h"

#define READ_TOK "read-token-0123456789"
#define CTL_TOK  "control-token-0123456789"

static char s_file[96];

static void
s_write(const char *text, mode_t mode)
{
    FILE *f = fopen(s_file, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(s_file, mode), 0);
}

static int
setup(void **state)
{
    (void)state;
    snprintf(s_file, sizeof s_file, "/tmp/tp-test-gw-auth-%d.json", (int)getpid());
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    unlink(s_file);
    return 0;
}

static void
test_equal(void **state)
{
    (void)state;
    assert_true(auth_equal("abc", 3, "abc", 3));
    assert_false(auth_equal("abc", 3, "abd", 3));
    assert_false(auth_equal("abc", 3, "abcd", 4)); /* a prefix is not the token */
    assert_false(auth_equal("", 0, "a", 1));
    assert_true(auth_equal("", 0, "", 0));
    /* length counts, not a NUL: "ab\0x" (4) is not "ab" (2) */
    assert_false(auth_equal("ab\0x", 4, "ab", 2));
}

static void
test_bearer(void **state)
{
    (void)state;
    const char *t;
    size_t n;
    assert_int_equal(auth_bearer("Bearer abc", &t, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(t, "abc", 3);
    assert_int_equal(auth_bearer("bearer   xyz  ", &t, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(t, "xyz", 3);
    assert_int_equal(auth_bearer(NULL, &t, &n), -1);
    assert_int_equal(auth_bearer("Basic abc", &t, &n), -1);
    assert_int_equal(auth_bearer("Bearer", &t, &n), -1);
    assert_int_equal(auth_bearer("Bearer   ", &t, &n), -1);
    assert_int_equal(auth_bearer("Bearerabc", &t, &n), -1);
    assert_int_equal(auth_bearer("Bearer a b", &t, &n), -1);
}

static void
test_check(void **state)
{
    (void)state;
    char err[256];
    auth_t *a = auth_new(READ_TOK, CTL_TOK, NULL, err, sizeof err);
    assert_non_null(a);
    const char *name = NULL;
    assert_int_equal(auth_check(a, NULL, AUTH_READ, &name), 401);
    assert_int_equal(auth_check(a, "Basic " READ_TOK, AUTH_READ, &name), 401);
    assert_int_equal(auth_check(a, "Bearer nope-nope-nope-nope", AUTH_READ, &name), 403);
    assert_int_equal(auth_check(a, "Bearer " READ_TOK "x", AUTH_READ, &name), 403);
    assert_int_equal(auth_check(a, "Bearer " READ_TOK, AUTH_READ, &name), 200);
    assert_string_equal(name, "read");
    assert_int_equal(auth_check(a, "Bearer " READ_TOK, AUTH_CONTROL, &name), 403);
    assert_int_equal(auth_check(a, "Bearer " CTL_TOK, AUTH_CONTROL, &name), 200);
    assert_string_equal(name, "control");
    assert_int_equal(auth_check(a, "Bearer " CTL_TOK, AUTH_READ, &name), 200); /* reads too */
    assert_true(auth_leaks(a, "x " CTL_TOK " y"));
    assert_false(auth_leaks(a, "control-token-012345678"));
    auth_destroy(&a);
    assert_null(a);
    /* no token at all: every protected path is 401 */
    a = auth_new(NULL, "", NULL, err, sizeof err);
    assert_non_null(a);
    assert_false(auth_has(a, AUTH_READ));
    assert_int_equal(auth_check(a, "Bearer " READ_TOK, AUTH_READ, &name), 401);
    auth_destroy(&a);
}

static void
test_sources(void **state)
{
    (void)state;
    char err[256];
    /* the file gives what the environment does not */
    s_write("{\"read\": \"file-read-token-0123\", \"control\": \"file-control-token-0123\"}", 0600);
    auth_t *a = auth_new(NULL, CTL_TOK, s_file, err, sizeof err);
    assert_non_null(a);
    const char *name;
    assert_int_equal(auth_check(a, "Bearer file-read-token-0123", AUTH_READ, &name), 200);
    assert_int_equal(auth_check(a, "Bearer " CTL_TOK, AUTH_CONTROL, &name), 200);
    assert_int_equal(auth_check(a, "Bearer file-control-token-0123", AUTH_CONTROL, &name), 403);
    auth_destroy(&a);
    /* a file readable by others is refused */
    s_write("{\"read\": \"file-read-token-0123\"}", 0640);
    assert_null(auth_new(NULL, NULL, s_file, err, sizeof err));
    assert_int_equal(errno, EPERM);
    assert_non_null(strstr(err, "mode 0600"));
    /* a short token is refused, and the message does not quote it */
    s_write("{\"read\": \"short-secret\"}", 0600);
    assert_null(auth_new(NULL, NULL, s_file, err, sizeof err));
    assert_int_equal(errno, EINVAL);
    assert_null(strstr(err, "short-secret"));
    assert_null(auth_new("short-secret", NULL, NULL, err, sizeof err));
    assert_non_null(strstr(err, "TP_GATEWAY_READ_TOKEN"));
    assert_null(strstr(err, "short-secret"));
    /* an unknown key, and the same token for both roles */
    s_write("{\"admin\": \"0123456789abcdef0123\"}", 0600);
    assert_null(auth_new(NULL, NULL, s_file, err, sizeof err));
    assert_non_null(strstr(err, "admin: unknown key"));
    assert_null(auth_new(READ_TOK, READ_TOK, NULL, err, sizeof err));
    assert_non_null(strstr(err, "must differ"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_sources),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
