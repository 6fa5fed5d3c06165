/*  cfg_test_util.h - helpers for the config-reader tests: build a config text (a template
 *  with @TAG@ places, or a whole file around one section), write it to a file of the test's
 *  own, load it, and check that the reader's error names the exact file, line and key. The
 *  expected line is where the key's text sits in the file written (counted from the text,
 *  never typed in by hand). Header-only (static inline functions), for cmocka tests.
 */
#ifndef TP_TESTS_CFG_TEST_UTIL_H
#define TP_TESTS_CFG_TEST_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"
#include "tests/unit/file_util.h"

/* out[cap] := `tmpl` with "@TAG@" replaced by `val` where TAG is `tag` (tag NULL: none) and
 * every other "@...@" place by nothing. */
static inline void
ctu_fill(char *out, size_t cap, const char *tmpl, const char *tag, const char *val)
{
    size_t o = 0;
    for (const char *p = tmpl; *p;) {
        if (*p == '@') {
            const char *end = strchr(p + 1, '@');
            assert_non_null(end);
            size_t n = (size_t)(end - p - 1);
            if (tag && strlen(tag) == n && strncmp(tag, p + 1, n) == 0) {
                o += (size_t)snprintf(out + o, cap - o, "%s", val);
                assert_true(o < cap);
            }
            p = end + 1;
            continue;
        }
        assert_true(o + 1 < cap);
        out[o++] = *p++;
    }
    out[o] = '\0';
}

/* out[cap] := a whole config of a replay run in /tmp/tp-never-created with `endpoints` (the
 * lines inside "endpoints") and `body` (the lines inside the section named `section`). */
static inline void
ctu_text(char *out, size_t cap, const char *endpoints, const char *section, const char *body)
{
    int n = snprintf(out, cap,
                     "{\n"
                     "  \"mode\": \"replay\",\n"
                     "  \"run_dir\": \"/tmp/tp-never-created\",\n"
                     "  \"endpoints\": {\n"
                     "%s\n"
                     "  },\n"
                     "  \"%s\": {\n"
                     "%s\n"
                     "  }\n"
                     "}\n",
                     endpoints, section, body);
    assert_true(n > 0 && (size_t)n < cap);
}

/* Write `text` to the file `path` (replacing it; asserts). */
static inline void
ctu_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Load the config file `path`; fails the test (with the loader's error) if it cannot. */
static inline cfg_t *
ctu_load_file(const char *path)
{
    char err[512];
    cfg_t *c = cfg_load(path, err, sizeof err);
    if (!c) {
        fail_msg("cannot load: %s", err);
    }
    return c;
}

/* Write `text` to /tmp/tp-<tag>-<pid>-<n>.json (path[128]) and load it (asserts). */
static inline cfg_t *
ctu_load(const char *tag, const char *text, char *path)
{
    static int n;
    snprintf(path, 128, "/tmp/tp-%s-%d-%d.json", tag, (int)getpid(), n++);
    ctu_write_file(path, text);
    return ctu_load_file(path);
}

/* config/default.json, loaded (asserts), with its run_dir pointed at a directory that does not
 * exist, so that nothing a `make run` left in run/ (venue-sim.port, run.id) reaches the test;
 * the file is written as /tmp/tp-default-<pid>-<n>.json, same lines as the original.
 * assume_port: with venue port 18765 assumed, as check-config does before a run chose one. */
static inline cfg_t *
ctu_load_default(bool assume_port)
{
    char *text = fu_slurp("config/default.json", NULL);
    const char *key = "\"run_dir\": \"run\"";
    char *at = strstr(text, key);
    assert_non_null(at);
    static char out[65536 + 128];
    assert_true(strlen(text) < 65536);
    static int k;
    snprintf(out, sizeof out, "%.*s\"run_dir\": \"/tmp/tp-never-created-%d\"%s", (int)(at - text),
             text, (int)getpid(), at + strlen(key));
    char path[128];
    snprintf(path, sizeof path, "/tmp/tp-default-%d-%d.json", (int)getpid(), k++);
    free(text);
    ctu_write_file(path, out);
    cfg_t *c = ctu_load_file(path);
    unlink(path); /* cfg_load read it whole; the config keeps only its name for messages */
    if (assume_port) {
        cfg_assume_venue_port(c, 18765);
    }
    return c;
}

/* `rc` (what a reader of c returned) must be 0; else the test fails with the reader's error. */
static inline void
ctu_ok(int rc, const cfg_t *c)
{
    if (rc != 0) {
        fail_msg("%s", cfg_error(c));
    }
}

/* 1-based line of the first occurrence of `needle` in `text`. */
static inline int
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
static inline void
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

/* A reader's refusal: `rc` (what it returned) must be -1 with errno EINVAL, and the error as
 * ctu_expect says. Call it straight after the reader (errno is read here). */
static inline void
ctu_refused(int rc, const cfg_t *c, const char *path, const char *text, const char *marker,
            const char *key, const char *why)
{
    int e = errno;
    assert_int_equal(rc, -1);
    assert_int_equal(e, EINVAL);
    ctu_expect(c, path, text, marker, key, why);
}

#endif /* TP_TESTS_CFG_TEST_UTIL_H */
