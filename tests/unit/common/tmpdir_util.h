/*  tmpdir_util.h - a fresh temporary directory of the test's own for the common/ unit tests
 *  that work on real files: made before a test (or group) and removed with everything below
 *  it after. Header-only (static inline functions), for cmocka tests.
 */
#ifndef TP_TESTS_TMPDIR_UTIL_H
#define TP_TESTS_TMPDIR_UTIL_H

#include <stdio.h>
#include <stdlib.h>

/* The directory tdu_make made last ("" before). */
static char tdu_dir[64];

/* tdu_dir := a new empty directory /tmp/tp-<name>.XXXXXX (mkdtemp, mode 0700).
 * Returns 0, or -1 with errno set by mkdtemp. */
static inline int
tdu_make(const char *name)
{
    snprintf(tdu_dir, sizeof tdu_dir, "/tmp/tp-%s.XXXXXX", name);
    return mkdtemp(tdu_dir) ? 0 : -1;
}

/* A cmocka teardown: removes tdu_dir and everything below it. Returns 0, or -1 if rm fails. */
static inline int
tdu_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdu_dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif /* TP_TESTS_TMPDIR_UTIL_H */
