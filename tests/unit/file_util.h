/*  file_util.h - read a whole file in a cmocka test (header-only).
 *  fu_slurp: the file's bytes with a NUL after them, in a malloc'd buffer the caller frees;
 *  *len (may be NULL) gets the byte count. Asserts: the file opens, is not empty, reads whole.
 */
#ifndef TP_TESTS_FILE_UTIL_H
#define TP_TESTS_FILE_UTIL_H

#include <stdio.h>
#include <stdlib.h>

static inline char *
fu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len) {
        *len = (size_t)n;
    }
    return buf;
}

#endif /* TP_TESTS_FILE_UTIL_H */
