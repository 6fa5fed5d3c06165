/*  runid.c - the identity of one run of the group (see runid.h). */
#include "common/runid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool
runid_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= RUNID_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || c == '-')) {
            return false;
        }
    }
    return true;
}

int
runid_make(char *out, size_t cap)
{
    if (cap < RUNID_MAX) {
        errno = EINVAL;
        return -1;
    }
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) {
        /* no entropy source: pid and a monotonic clock still differ between runs */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        r = (uint32_t)getpid() * 2654435761u ^ (uint32_t)ts.tv_nsec;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char t[20];
    strftime(t, sizeof t, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out, cap, "%s-%08x", t, r);
    return 0;
}

static int
s_path(const char *run_dir, const char *name, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", run_dir, name);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int
runid_read(const char *run_dir, char *out, size_t cap)
{
    char path[512];
    if (s_path(run_dir, "run.id", path, sizeof path) != 0) {
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    char buf[RUNID_MAX + 8] = "";
    char *got = fgets(buf, sizeof buf, f);
    fclose(f);
    if (!got) {
        errno = EINVAL;
        return -1;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    if (!runid_valid(buf) || strlen(buf) >= cap) {
        errno = EINVAL;
        return -1;
    }
    snprintf(out, cap, "%s", buf);
    return 0;
}

/* Write `id` + newline to an open fd and close it. */
static int
s_write_close(int fd, const char *id)
{
    char line[RUNID_MAX + 2];
    int n = snprintf(line, sizeof line, "%s\n", id);
    ssize_t w = write(fd, line, (size_t)n);
    int e = errno;
    if (close(fd) != 0 && w == n) {
        return -1;
    }
    if (w != n) {
        errno = w < 0 ? e : EIO;
        return -1;
    }
    return 0;
}

int
runid_new(const char *run_dir, char *out, size_t cap)
{
    char path[512], tmp[512];
    char id[RUNID_MAX];
    if (s_path(run_dir, "run.id", path, sizeof path) != 0
        || snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof tmp
        || runid_make(id, sizeof id) != 0 || strlen(id) >= cap) {
        if (errno == 0) {
            errno = EINVAL;
        }
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || s_write_close(fd, id) != 0) {
        int e = errno;
        (void)unlink(tmp);
        errno = e;
        return -1;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        (void)unlink(tmp);
        errno = e;
        return -1;
    }
    snprintf(out, cap, "%s", id);
    return 0;
}

int
runid_get(const char *run_dir, char *out, size_t cap)
{
    if (runid_read(run_dir, out, cap) == 0) {
        return 0;
    }
    if (errno != ENOENT) {
        return -1;
    }
    /* none yet: write a fresh id to a file of our own, then link(2) it into place. link fails
     * with EEXIST if another process got there first, and a run.id that exists is always
     * complete, so a loser reads the winner's id at once (no window with an empty file). */
    char path[512], tmp[512], id[RUNID_MAX];
    if (s_path(run_dir, "run.id", path, sizeof path) != 0
        || snprintf(tmp, sizeof tmp, "%s.%d.new", path, (int)getpid()) >= (int)sizeof tmp
        || runid_make(id, sizeof id) != 0 || strlen(id) >= cap) {
        if (errno == 0) {
            errno = EINVAL;
        }
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || s_write_close(fd, id) != 0) {
        int e = errno;
        (void)unlink(tmp);
        errno = e;
        return -1;
    }
    int rc = link(tmp, path);
    int e = errno;
    (void)unlink(tmp);
    if (rc == 0) {
        snprintf(out, cap, "%s", id);
        return 0;
    }
    if (e != EEXIST) {
        errno = e;
        return -1;
    }
    return runid_read(run_dir, out, cap);
}
