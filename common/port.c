/*  port.c - the TCP port of venue-sim for one run directory (see port.h). */
#include "common/port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
port_file_read(const char *run_dir, int *port)
{
    return port_named_read(run_dir, PORT_FILE, port);
}

int
port_file_write(const char *run_dir, int port)
{
    return port_named_write(run_dir, PORT_FILE, port);
}

int
port_named_read(const char *run_dir, const char *name, int *port)
{
    char path[512];
    if (s_path(run_dir, name, path, sizeof path) != 0) {
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    char buf[32] = "";
    char *got = fgets(buf, sizeof buf, f);
    fclose(f);
    char *end = NULL;
    long v = got ? strtol(buf, &end, 10) : 0;
    if (!got || end == buf || (*end != '\0' && *end != '\n') || v < 1 || v > 65535) {
        errno = EINVAL;
        return -1;
    }
    *port = (int)v;
    return 0;
}

int
port_named_write(const char *run_dir, const char *name, int port)
{
    char path[512], tmp[540];
    if (port < 1 || port > 65535) {
        errno = EINVAL;
        return -1;
    }
    if (s_path(run_dir, name, path, sizeof path) != 0) {
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return -1;
    }
    char line[16];
    int n = snprintf(line, sizeof line, "%d\n", port);
    ssize_t w = write(fd, line, (size_t)n);
    int e = errno;
    if (close(fd) != 0 || w != n) {
        e = w != n ? (w < 0 ? e : EIO) : errno;
        (void)unlink(tmp);
        errno = e;
        return -1;
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        (void)unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

int
port_pick(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0
        || getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        int e = errno;
        (void)close(fd);
        errno = e;
        return -1;
    }
    (void)close(fd); /* nothing was written: close cannot lose data */
    *port = ntohs(sa.sin_port);
    return 0;
}
