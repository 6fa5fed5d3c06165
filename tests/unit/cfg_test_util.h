/*  cfg_test_util.h - helpers for the config-reader tests: write a config text to a file of
 *  the test's own, load it, and check that the reader's error names the exact file, line and
 *  key. The expected line is where the key's text sits in the file written (counted from the
 *  text, never typed in by hand). Header-only (static functions), for cmocka tests.
 */
#ifndef TP_TESTS_CFG_TEST_UTIL_H
#define TP_TESTS_CFG_TEST_UTIL_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"

/* Write `text` to /tmp/tp-<tag>-<pid>-<n>.json (path[128]) and load it (asserts). */
static cfg_t *
ctu_load(const char *tag, const char *text, char *path)
{
    static int n;
    snprintf(path, 128, "/tmp/tp-%s-%d-%d.json", tag, (int)getpid(), n++);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    char err[512];
    cfg_t *c = cfg_load(path, err, sizeof err);
    if (!c) {
        print_message("%s\n", err);
    }
    assert_non_null(c);
    return c;
}

/* 1-based line of the first occurrence of `needle` in `text`. */
static int
ctu_line_of(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    assert_non_null(at);
    int line = 1;
    for (const char *p = text; p < at; p++) {
        line += *p == '\n';
    }
    return line;
}

/* The error must be exactly "<path>:<line of marker>: <key>: <why...>" (why: prefix). */
static void
ctu_expect(const cfg_t *c, const char *path, const char *text, const char *marker, const char *key,
           const char *why)
{
    char want[512];
    snprintf(want, sizeof want, "%s:%d: %s: %s", path, ctu_line_of(text, marker), key, why);
    if (strncmp(cfg_error(c), want, strlen(want)) != 0) {
        print_message("got  %s\nwant %s\n", cfg_error(c), want);
    }
    assert_memory_equal(cfg_error(c), want, strlen(want));
}

#endif /* TP_TESTS_CFG_TEST_UTIL_H */
