/*  lock.c - one running process per name in a directory (see lock.h). */
#include "common/lock.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct lock {
    int fd;
    char path[512];
};

/* The pid the holder wrote into fd's file, or 0 if none yet (the holder writes it right after
 * taking the lock: give it a few ms). */
static pid_t
s_holder(int fd)
{
    for (int i = 0; i < 50; i++) {
        char buf[32] = "";
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
            buf[n] = '\0';
            long pid = strtol(buf, NULL, 10);
            if (pid > 0) {
                return (pid_t)pid;
            }
        }
        usleep(2000);
    }
    return 0;
}

lock_t *
lock_new(const char *dir, const char *name, pid_t *holder_pid)
{
    lock_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->fd = -1;
    int n = snprintf(self->path, sizeof self->path, "%s/%s.lock", dir, name);
    if (n < 0 || (size_t)n >= sizeof self->path) {
        errno = ENAMETOOLONG;
        goto fail;
    }
    self->fd = open(self->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (self->fd < 0) {
        goto fail;
    }
    if (flock(self->fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK && holder_pid) {
            *holder_pid = s_holder(self->fd);
        }
        errno = e;
        goto fail;
    }
    char line[32];
    int len = snprintf(line, sizeof line, "%d\n", (int)getpid());
    if (ftruncate(self->fd, 0) != 0 || pwrite(self->fd, line, (size_t)len, 0) != len) {
        if (errno == 0) {
            errno = EIO;
        }
        goto fail;
    }
    return self;
fail:;
    int e = errno ? errno : EIO;
    lock_destroy(&self);
    errno = e;
    return NULL;
}

void
lock_destroy(lock_t **self_p)
{
    assert(self_p);
    lock_t *self = *self_p;
    if (!self) {
        return;
    }
    if (self->fd >= 0) {
        (void)close(self->fd); /* closing the last descriptor releases the flock */
    }
    free(self);
    *self_p = NULL;
}

const char *
lock_path(const lock_t *self)
{
    assert(self);
    return self->path;
}
