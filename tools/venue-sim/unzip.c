/*  unzip.c - the first member of a zip archive as a stdio stream (see unzip.h).
 *  The local file header (APPNOTE.TXT 4.3.7): signature 0x04034b50, version, flags, method,
 *  time, date, crc-32, compressed size, uncompressed size, name length, extra length (all
 *  little-endian), then the name, the extra field and the data. A member written with flag
 *  bit 3 has its sizes and CRC in a descriptor after the data: deflate knows its own end, so
 *  only such stored members are refused. The stream is a fopencookie over zlib's inflate
 *  (raw deflate, windowBits -15).
 */
#define _GNU_SOURCE /* fopencookie */
#include "tools/venue-sim/unzip.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define K_IN_SIZE 65536

typedef struct {
    FILE *fp;
    z_stream z;
    bool deflate;
    bool done;
    bool check_crc;
    uint32_t crc_want, crc;
    uint64_t left; /* stored: bytes of the member left */
    unsigned char in[K_IN_SIZE];
} s_zip_t;

static uint32_t
s_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned
s_le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

bool
unzip_is_zip(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        return false;
    }
    unsigned char m[4];
    bool zip = fread(m, 1, 4, fp) == 4 && memcmp(m, "PK\x03\x04", 4) == 0;
    fclose(fp);
    return zip;
}

static ssize_t
s_read(void *cookie, char *buf, size_t size)
{
    s_zip_t *z = cookie;
    if (z->done || size == 0) {
        return 0;
    }
    size_t got = 0;
    if (!z->deflate) {
        size_t want = size < z->left ? size : (size_t)z->left;
        got = fread(buf, 1, want, z->fp);
        if (got < want && ferror(z->fp)) {
            errno = EIO;
            return -1;
        }
        z->left -= got;
        if (got == 0) {
            z->done = true;
        }
    } else {
        z->z.next_out = (unsigned char *)buf;
        z->z.avail_out = (uInt)(size > UINT32_MAX ? UINT32_MAX : size);
        while (z->z.avail_out > 0 && !z->done) {
            if (z->z.avail_in == 0) {
                size_t n = fread(z->in, 1, sizeof z->in, z->fp);
                if (n == 0) {
                    errno = EIO; /* the archive ends inside the member */
                    return -1;
                }
                z->z.next_in = z->in;
                z->z.avail_in = (uInt)n;
            }
            int rc = inflate(&z->z, Z_NO_FLUSH);
            if (rc == Z_STREAM_END) {
                z->done = true;
            } else if (rc != Z_OK) {
                errno = EIO;
                return -1;
            }
        }
        got = size - z->z.avail_out;
    }
    z->crc = (uint32_t)crc32(z->crc, (const unsigned char *)buf, (uInt)got);
    if ((z->done || (!z->deflate && z->left == 0)) && z->check_crc && z->crc != z->crc_want) {
        errno = EIO; /* damaged */
        return -1;
    }
    return (ssize_t)got;
}

static int
s_close(void *cookie)
{
    s_zip_t *z = cookie;
    if (z->deflate) {
        inflateEnd(&z->z);
    }
    int rc = fclose(z->fp);
    free(z);
    return rc;
}

FILE *
unzip_open(const char *path, char *member, size_t cap)
{
    if (member && cap) {
        member[0] = '\0';
    }
    if (!unzip_is_zip(path)) {
        return fopen(path, "r");
    }
    s_zip_t *z = calloc(1, sizeof *z);
    if (!z) {
        errno = ENOMEM;
        return NULL;
    }
    z->fp = fopen(path, "rb");
    if (!z->fp) {
        int e = errno;
        free(z);
        errno = e;
        return NULL;
    }
    unsigned char h[30];
    int err = 0;
    if (fread(h, 1, sizeof h, z->fp) != sizeof h || s_le32(h) != 0x04034b50u) {
        err = EINVAL;
    } else {
        unsigned flags = s_le16(h + 6), method = s_le16(h + 8);
        uint32_t csize = s_le32(h + 18);
        unsigned nlen = s_le16(h + 26), xlen = s_le16(h + 28);
        char name[512];
        if ((flags & 1) || (method != 0 && method != 8) || (method == 0 && (flags & 8))
            || csize == 0xffffffffu) {
            err = ENOTSUP; /* encrypted, another method, stored with a descriptor, zip64 */
        } else if (nlen >= sizeof name || fread(name, 1, nlen, z->fp) != nlen
                   || fseek(z->fp, (long)xlen, SEEK_CUR) != 0) {
            err = EINVAL;
        } else {
            name[nlen] = '\0';
            if (member && cap) {
                snprintf(member, cap, "%s", name);
            }
            z->deflate = method == 8;
            z->left = csize;
            z->check_crc = !(flags & 8);
            z->crc_want = s_le32(h + 14);
            if (z->deflate && inflateInit2(&z->z, -15) != Z_OK) {
                err = ENOMEM;
            }
        }
    }
    if (err) {
        fclose(z->fp);
        free(z);
        errno = err;
        return NULL;
    }
    cookie_io_functions_t io = { .read = s_read, .write = NULL, .seek = NULL, .close = s_close };
    FILE *fp = fopencookie(z, "r", io);
    if (!fp) {
        s_close(z);
        errno = ENOMEM;
    }
    return fp;
}
