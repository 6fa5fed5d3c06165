/*  gate.c - replay gate (see gate.h).
 */
#include "feed/gate.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define k_mod "gate"

typedef struct {
    size_t off, len;
    int64_t recv_ns;
} s_entry_t;

typedef struct {
    char label[CODEC_ID_MAX];
    uint64_t received; /* frames pushed so far */
    uint64_t released; /* frames handed over so far (received - held) */
    char *buf;         /* held frames' bytes */
    size_t buf_len, buf_cap;
    s_entry_t *ent; /* held frames, oldest first */
    size_t n_ent, cap_ent;
} s_conn_t;

struct gate {
    s_conn_t c[GATE_MAX_CONNS];
    size_t n;
    gate_frame_fn *frame_fn;
    gate_barrier_fn *barrier_fn;
    void *arg;
    codec_sys_barrier_t pend[GATE_MAX_PENDING];
    size_t pend_head, n_pend;
    uint64_t lost;
    bool draining;
    log_limit_t full_lim;
};

gate_t *
gate_new(size_t n, const char *const *labels, gate_frame_fn *frame_fn, gate_barrier_fn *barrier_fn,
         void *arg)
{
    if (n == 0 || n > GATE_MAX_CONNS || !labels || !frame_fn || !barrier_fn) {
        errno = EINVAL;
        return NULL;
    }
    gate_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (strlen(labels[i]) >= CODEC_ID_MAX) {
            free(self);
            errno = EINVAL;
            return NULL;
        }
        strcpy(self->c[i].label, labels[i]);
    }
    self->n = n;
    self->frame_fn = frame_fn;
    self->barrier_fn = barrier_fn;
    self->arg = arg;
    return self;
}

void
gate_destroy(gate_t **self_p)
{
    assert(self_p);
    gate_t *self = *self_p;
    if (!self) {
        return;
    }
    for (size_t i = 0; i < self->n; i++) {
        free(self->c[i].buf);
        free(self->c[i].ent);
    }
    free(self);
    *self_p = NULL;
}

/* Hand over the oldest `k` held frames of connection i. */
static void
s_release(gate_t *self, size_t i, uint64_t k)
{
    s_conn_t *c = &self->c[i];
    if (k > c->n_ent) {
        k = c->n_ent;
    }
    for (size_t e = 0; e < k; e++) {
        c->released++;
        self->frame_fn(i, c->buf + c->ent[e].off, c->ent[e].len, c->ent[e].recv_ns, self->arg);
    }
    if (k == 0) {
        return;
    }
    /* compact what stays held */
    size_t base = k < c->n_ent ? c->ent[k].off : c->buf_len;
    memmove(c->buf, c->buf + base, c->buf_len - base);
    c->buf_len -= base;
    memmove(c->ent, c->ent + k, (c->n_ent - k) * sizeof c->ent[0]);
    c->n_ent -= k;
    for (size_t e = 0; e < c->n_ent; e++) {
        c->ent[e].off -= base;
    }
}

/* The count barrier b gives connection i, or -1 if b does not list its label. */
static int64_t
s_count(const gate_t *self, size_t i, const codec_sys_barrier_t *b)
{
    for (uint32_t k = 0; k < b->n && k < CODEC_BARRIER_CONNS; k++) {
        if (strcmp(b->labels[k], self->c[i].label) == 0) {
            return (int64_t)b->counts[k];
        }
    }
    return -1;
}

static bool
s_complete(const gate_t *self, const codec_sys_barrier_t *b)
{
    for (size_t i = 0; i < self->n; i++) {
        int64_t want = s_count(self, i, b);
        if (want >= 0 && self->c[i].received < (uint64_t)want) {
            return false;
        }
    }
    return true;
}

/* Release every frame barrier b covers (that has arrived), in configuration order. */
static void
s_release_upto(gate_t *self, const codec_sys_barrier_t *b)
{
    for (size_t i = 0; i < self->n; i++) {
        s_conn_t *c = &self->c[i];
        int64_t want = s_count(self, i, b);
        uint64_t k;
        if (want < 0) {
            k = c->n_ent; /* not gated by venue-sim: everything received */
        } else if ((uint64_t)want > c->released) {
            k = (uint64_t)want - c->released;
        } else {
            k = 0;
        }
        s_release(self, i, k);
    }
}

static void
s_drain(gate_t *self)
{
    if (self->draining) {
        return; /* a callback pushed or forwarded: the outer loop continues */
    }
    self->draining = true;
    while (self->n_pend > 0) {
        codec_sys_barrier_t *b = &self->pend[self->pend_head];
        if (!s_complete(self, b)) {
            break;
        }
        codec_sys_barrier_t copy = *b;
        self->pend_head = (self->pend_head + 1) % GATE_MAX_PENDING;
        self->n_pend--;
        s_release_upto(self, &copy);
        self->barrier_fn(&copy, self->arg);
    }
    self->draining = false;
}

int
gate_push(gate_t *self, size_t conn, const char *text, size_t len, int64_t recv_ns)
{
    assert(self && conn < self->n && text);
    s_conn_t *c = &self->c[conn];
    if (c->n_ent == c->cap_ent) {
        size_t cap = c->cap_ent ? c->cap_ent * 2 : 256;
        s_entry_t *p = realloc(c->ent, cap * sizeof *p);
        if (!p) {
            goto nomem;
        }
        c->ent = p;
        c->cap_ent = cap;
    }
    if (c->buf_len + len > c->buf_cap) {
        size_t cap = c->buf_cap ? c->buf_cap : 65536;
        while (cap < c->buf_len + len) {
            cap *= 2;
        }
        char *p = realloc(c->buf, cap);
        if (!p) {
            goto nomem;
        }
        c->buf = p;
        c->buf_cap = cap;
    }
    memcpy(c->buf + c->buf_len, text, len);
    c->ent[c->n_ent++] = (s_entry_t){ c->buf_len, len, recv_ns };
    c->buf_len += len;
    c->received++;
    s_drain(self);
    return 0;
nomem:
    self->lost++;
    c->received++; /* keep counting so later barriers still match */
    c->released++;
    log_error(k_mod, "%s: frame of %zu bytes lost: out of memory", c->label, len);
    errno = ENOMEM;
    return -1;
}

int
gate_barrier(gate_t *self, const codec_sys_barrier_t *b)
{
    assert(self && b);
    if (b->step == 0) {
        if (self->n_pend == 0) {
            s_release_upto(self, b);
        }
        self->barrier_fn(b, self->arg);
        return 0;
    }
    if (self->n_pend == GATE_MAX_PENDING) {
        char what[96];
        snprintf(what, sizeof what, "barrier dropped: %d barriers already wait for frames",
                 GATE_MAX_PENDING);
        log_limited(&self->full_lim, LOG_ERROR, k_mod, what, NULL, 0);
        errno = ENOSPC;
        return -1;
    }
    self->pend[(self->pend_head + self->n_pend) % GATE_MAX_PENDING] = *b;
    self->n_pend++;
    s_drain(self);
    return 0;
}

uint64_t
gate_received(const gate_t *self, size_t conn)
{
    assert(self && conn < self->n);
    return self->c[conn].received;
}

size_t
gate_pending(const gate_t *self)
{
    assert(self);
    return self->n_pend;
}

uint64_t
gate_lost(const gate_t *self)
{
    assert(self);
    return self->lost;
}
