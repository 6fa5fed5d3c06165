/*  test_unzip.c - a zip archive's first member read as a stream (tools/venue-sim/unzip.h).
 *  The archives are written here byte by byte from APPNOTE.TXT's local file header (4.3.7),
 *  with zlib's crc32 and raw deflate, stored and deflated, with and without the data
 *  descriptor flag; a damaged CRC is a read error.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "tools/venue-sim/unzip.h"

static const char k_text[] = "1762128000000,1,1,1,1,1,1762128059999,1,1,1,1,0\n"
                             "1762128060000,1,1,1,1,1,1762128119999,1,1,1,1,0\n";

static void
s_le16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void
s_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

/* A one-member archive of k_text as `name`: method 0 or 8, flags (bit 3: descriptor),
 * crc_xor spoils the stored CRC. Returns the path (malloc'd). */
static char *
s_zip(unsigned method, unsigned flags, uint32_t crc_xor)
{
    static const char name[] = "BTCUSDT-1m-2025-11-03.csv";
    unsigned char body[1024];
    size_t blen;
    if (method == 8) {
        z_stream z;
        memset(&z, 0, sizeof z);
        assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (unsigned char *)k_text;
        z.avail_in = (uInt)strlen(k_text);
        z.next_out = body;
        z.avail_out = sizeof body;
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        blen = sizeof body - z.avail_out;
        deflateEnd(&z);
    } else {
        blen = strlen(k_text);
        memcpy(body, k_text, blen);
    }
    uint32_t crc = (uint32_t)crc32(0, (const unsigned char *)k_text, (uInt)strlen(k_text));
    unsigned char h[30] = { 'P', 'K', 3, 4 };
    s_le16(h + 4, 20);
    s_le16(h + 6, flags);
    s_le16(h + 8, method);
    s_le32(h + 14, (flags & 8) ? 0 : crc ^ crc_xor);
    s_le32(h + 18, (flags & 8) ? 0 : (uint32_t)blen);
    s_le32(h + 22, (flags & 8) ? 0 : (uint32_t)strlen(k_text));
    s_le16(h + 26, (unsigned)strlen(name));
    s_le16(h + 28, 4);
    char *path = strdup("/tmp/test_vs_unzip_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "wb");
    fwrite(h, 1, sizeof h, fp);
    fwrite(name, 1, strlen(name), fp);
    fwrite("\x01\x00\x00\x00", 1, 4, fp); /* an extra field, skipped */
    fwrite(body, 1, blen, fp);
    fwrite("PK\x01\x02 the central directory follows", 1, 36, fp);
    fclose(fp);
    return path;
}

static char *
s_slurp(FILE *fp, int *err)
{
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    *err = ferror(fp);
    buf[n] = '\0';
    return buf;
}

static void
test_members(void **state)
{
    (void)state;
    static const unsigned k_case[][2] = { { 8, 0 }, { 8, 8 }, { 0, 0 } };
    for (size_t i = 0; i < 3; i++) {
        char *path = s_zip(k_case[i][0], k_case[i][1], 0);
        assert_true(unzip_is_zip(path));
        char member[64];
        FILE *fp = unzip_open(path, member, sizeof member);
        assert_non_null(fp);
        assert_string_equal(member, "BTCUSDT-1m-2025-11-03.csv");
        int err;
        assert_string_equal(s_slurp(fp, &err), k_text);
        assert_int_equal(err, 0);
        fclose(fp);
        /* line by line, as the loader reads it */
        fp = unzip_open(path, NULL, 0);
        char *line = NULL;
        size_t cap = 0;
        int lines = 0;
        while (getline(&line, &cap, fp) >= 0) {
            lines++;
        }
        assert_int_equal(lines, 2);
        free(line);
        fclose(fp);
        unlink(path);
        free(path);
    }
}

static void
test_damaged_and_refused(void **state)
{
    (void)state;
    /* a wrong CRC: a read error at the end */
    char *path = s_zip(8, 0, 0x1234);
    FILE *fp = unzip_open(path, NULL, 0);
    assert_non_null(fp);
    int err;
    (void)s_slurp(fp, &err);
    assert_true(err);
    fclose(fp);
    unlink(path);
    free(path);
    /* stored with a descriptor (its size unknown), and an unknown method: ENOTSUP */
    path = s_zip(0, 8, 0);
    errno = 0;
    assert_null(unzip_open(path, NULL, 0));
    assert_int_equal(errno, ENOTSUP);
    unlink(path);
    free(path);
    path = s_zip(12, 0, 0);
    errno = 0;
    assert_null(unzip_open(path, NULL, 0));
    assert_int_equal(errno, ENOTSUP);
    unlink(path);
    free(path);
    /* a plain file is opened as it is; a missing one fails with the open's errno */
    fp = unzip_open("data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-03.csv", NULL, 0);
    assert_non_null(fp);
    fclose(fp);
    assert_false(unzip_is_zip("data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-03.csv"));
    errno = 0;
    assert_null(unzip_open("data/nope.zip", NULL, 0));
    assert_int_equal(errno, ENOENT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_damaged_and_refused),
    };
    return cmocka_run_group_tests_name("venue-sim unzip", tests, NULL, NULL);
}
