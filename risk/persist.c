/*  persist.c - atomic state file (contract in persist.h). POSIX: rename(2) replaces the
 *  target atomically; fsync of the directory makes the rename itself durable.
 */
#include "risk/persist.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MAX_FILE (16 * 1024 * 1024)

static int
s_fsync_dir(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int
risk_persist_write(const char *path, const char *data, size_t len, bool sync)
{
    char tmp[4096];
    if (!path || !data) {
        errno = EINVAL;
        return -1;
    }
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            goto fail;
        }
        off += (size_t)n;
    }
    if (sync && fsync(fd) != 0) {
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        goto fail;
    }
    if (sync && s_fsync_dir(path) != 0) {
        return -1;
    }
    return 0;
fail : {
    int e = errno;
    if (fd >= 0) {
        close(fd);
    }
    unlink(tmp);
    errno = e;
    return -1;
}
}

char *
risk_persist_read(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    if (st.st_size > S_MAX_FILE) {
        close(fd);
        errno = EFBIG;
        return NULL;
    }
    size_t cap = (size_t)st.st_size;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    size_t off = 0;
    while (off < cap) {
        ssize_t n = read(fd, buf + off, cap - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        off += (size_t)n;
    }
    close(fd);
    buf[off] = '\0';
    if (len) {
        *len = off;
    }
    return buf;
}

int
risk_persist_set_aside(const char *path, const char *run_id, char *aside, size_t cap)
{
    size_t n = strlen(path);
    size_t base = n > 5 && strcmp(path + n - 5, ".json") == 0 ? n - 5 : n;
    const char *id = run_id && run_id[0] ? run_id : "norun";
    for (int k = 1; k <= 100; k++) {
        char sfx[16] = "";
        if (k > 1) {
            (void)snprintf(sfx, sizeof sfx, ".%d", k);
        }
        int w = snprintf(aside, cap, "%.*s.%s%s.json", (int)base, path, id, sfx);
        if (w < 0 || (size_t)w >= cap) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (access(aside, F_OK) == 0) {
            continue; /* an older one of the same run: keep it too */
        }
        return rename(path, aside);
    }
    errno = EEXIST;
    return -1;
}
