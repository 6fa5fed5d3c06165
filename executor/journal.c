/*  journal.c - durable intent journal (contract: journal.h).
 *  Owns:  fd (O_APPEND), a growable array of records (the last state per client id).
 */
#include "executor/journal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct journal {
    int fd;
    journal_rec_t *recs;
    size_t n, cap;
};

static journal_rec_t *
s_find(journal_t *self, const char *id)
{
    for (size_t i = 0; i < self->n; i++) {
        if (strcmp(self->recs[i].client_id, id) == 0) {
            return &self->recs[i];
        }
    }
    return NULL;
}

static journal_rec_t *
s_add(journal_t *self, const char *id)
{
    journal_rec_t *r = s_find(self, id);
    if (r) {
        return r;
    }
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 64;
        journal_rec_t *p = realloc(self->recs, cap * sizeof *p);
        if (!p) {
            errno = ENOMEM;
            return NULL;
        }
        self->recs = p;
        self->cap = cap;
    }
    r = &self->recs[self->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->client_id, sizeof r->client_id, "%s", id);
    return r;
}

static int
s_hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Apply one complete line (without '\n'). Unknown or malformed lines are skipped. */
static void
s_apply(journal_t *self, char *line)
{
    char *id = line + 2;
    if (strlen(line) < 3 || line[1] != ' ') {
        return;
    }
    char *sp = strchr(id, ' ');
    if (!sp) {
        return;
    }
    *sp = '\0';
    char *arg = sp + 1;
    if (strlen(id) >= sizeof self->recs[0].client_id) {
        return;
    }
    journal_rec_t *r = s_add(self, id);
    if (!r) {
        return;
    }
    if (line[0] == 'I') {
        size_t n = strlen(arg) / 2;
        if (n > JOURNAL_REQ_MAX) {
            return;
        }
        for (size_t i = 0; i < n; i++) {
            int hi = s_hexval(arg[2 * i]), lo = s_hexval(arg[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                return;
            }
            r->req[i] = (uint8_t)(hi * 16 + lo);
        }
        r->req_len = n;
        r->state = JOURNAL_INTENT;
    } else if (line[0] == 'A') {
        snprintf(r->order_id, sizeof r->order_id, "%s", arg);
        r->state = JOURNAL_ACKED;
    } else if (line[0] == 'R') {
        snprintf(r->reason, sizeof r->reason, "%s", arg);
        r->state = JOURNAL_REFUSED;
    }
}

journal_t *
journal_open(const char *path)
{
    assert(path);
    journal_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (self->fd < 0) {
        int e = errno;
        free(self);
        errno = e;
        return NULL;
    }
    FILE *f = fdopen(dup(self->fd), "r");
    if (f) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, f)) > 0) {
            if (line[n - 1] != '\n') {
                break; /* torn last record */
            }
            line[n - 1] = '\0';
            s_apply(self, line);
        }
        free(line);
        fclose(f);
    }
    return self;
}

void
journal_close(journal_t **self_p)
{
    assert(self_p);
    journal_t *self = *self_p;
    if (!self) {
        return;
    }
    close(self->fd);
    free(self->recs);
    free(self);
    *self_p = NULL;
}

size_t
journal_count(const journal_t *self)
{
    assert(self);
    return self->n;
}

const journal_rec_t *
journal_get(const journal_t *self, size_t i)
{
    assert(self && i < self->n);
    return &self->recs[i];
}

static bool
s_token_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' || s[i] == '\n' || s[i] == '\r') {
            return false;
        }
    }
    return true;
}

static int
s_write(journal_t *self, const char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(self->fd, buf + off, len - off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        off += (size_t)n;
    }
    return fsync(self->fd); /* durable before the action it announces */
}

int
journal_intent(journal_t *self, const char *client_id, const uint8_t *req, size_t len)
{
    assert(self && client_id && req);
    if (!s_token_ok(client_id, sizeof self->recs[0].client_id) || len > JOURNAL_REQ_MAX) {
        errno = EINVAL;
        return -1;
    }
    size_t cap = strlen(client_id) + 2 * len + 8;
    char *buf = malloc(cap);
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    int n = snprintf(buf, cap, "I %s ", client_id);
    for (size_t i = 0; i < len; i++) {
        n += snprintf(buf + n, cap - (size_t)n, "%02x", req[i]);
    }
    buf[n++] = '\n';
    int rc = s_write(self, buf, (size_t)n);
    free(buf);
    if (rc == 0) {
        journal_rec_t *r = s_add(self, client_id);
        if (r) {
            memcpy(r->req, req, len);
            r->req_len = len;
            r->state = JOURNAL_INTENT;
        }
    }
    return rc;
}

int
journal_ack(journal_t *self, const char *client_id, const char *order_id)
{
    assert(self && client_id && order_id);
    if (!s_token_ok(client_id, 64) || !s_token_ok(order_id, 64)) {
        errno = EINVAL;
        return -1;
    }
    char buf[160];
    int n = snprintf(buf, sizeof buf, "A %s %s\n", client_id, order_id);
    if (s_write(self, buf, (size_t)n) < 0) {
        return -1;
    }
    journal_rec_t *r = s_add(self, client_id);
    if (r) {
        snprintf(r->order_id, sizeof r->order_id, "%s", order_id);
        r->state = JOURNAL_ACKED;
    }
    return 0;
}

int
journal_refuse(journal_t *self, const char *client_id, const char *reason)
{
    assert(self && client_id && reason);
    if (!s_token_ok(client_id, 64)) {
        errno = EINVAL;
        return -1;
    }
    char buf[256], clean[160];
    snprintf(clean, sizeof clean, "%s", reason);
    for (char *p = clean; *p; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }
    int n = snprintf(buf, sizeof buf, "R %s %s\n", client_id, clean);
    if (s_write(self, buf, (size_t)n) < 0) {
        return -1;
    }
    journal_rec_t *r = s_add(self, client_id);
    if (r) {
        snprintf(r->reason, sizeof r->reason, "%s", clean);
        r->state = JOURNAL_REFUSED;
    }
    return 0;
}
