/*  xbus.c - the in-process bus (see xbus.h).
 *  Invariants: (1) queue entries [head, n) are undelivered, in publish order; (2) every entry's
 *  bytes lie in the arena at [off, off + len); (3) the arena and queue are reset only when the
 *  queue is empty.
 */
#include "tools/backtest/xbus.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

#define XBUS_PUBS 32
#define XBUS_SUBS 128

struct xbus_pub {
    xbus_t *bus;
    char src[CODEC_SRC_MAX];
    int64_t epoch;
    uint64_t seq;
};

typedef struct {
    const xbus_pub_t *from;
    char prefix[BUS_TOPIC_MAX];
    size_t prefix_len;
    xbus_recv_fn *fn;
    void *arg;
} s_sub_t;

typedef struct {
    size_t sub;
    size_t off, len;
    bus_msg_t msg; /* data rebuilt at delivery */
} s_entry_t;

struct xbus {
    xbus_pub_t pubs[XBUS_PUBS];
    size_t n_pubs;
    s_sub_t subs[XBUS_SUBS];
    size_t n_subs;
    s_entry_t *q;
    size_t head, n, cap;
    uint8_t *arena;
    size_t arena_len, arena_cap;
    uint8_t buf[CODEC_MSG_MAX];     /* encoding scratch */
    uint8_t deliver[CODEC_MSG_MAX]; /* the message being delivered (the arena may move) */
    bool running;                   /* inside xbus_run */
};

xbus_t *
xbus_new(void)
{
    xbus_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
    }
    return self;
}

void
xbus_destroy(xbus_t **self_p)
{
    assert(self_p);
    xbus_t *self = *self_p;
    if (!self) {
        return;
    }
    free(self->q);
    free(self->arena);
    free(self);
    *self_p = NULL;
}

xbus_pub_t *
xbus_pub(xbus_t *self, const char *src, int64_t epoch_ns)
{
    assert(self && src);
    size_t len = strlen(src);
    if (len == 0 || len >= CODEC_SRC_MAX) {
        errno = EINVAL;
        return NULL;
    }
    for (size_t i = 0; i < self->n_pubs; i++) {
        if (strcmp(self->pubs[i].src, src) == 0) {
            return &self->pubs[i];
        }
    }
    if (self->n_pubs == XBUS_PUBS) {
        errno = ENOSPC;
        return NULL;
    }
    xbus_pub_t *p = &self->pubs[self->n_pubs++];
    p->bus = self;
    memcpy(p->src, src, len + 1);
    p->epoch = epoch_ns;
    p->seq = 0;
    return p;
}

int
xbus_sub(xbus_t *self, const xbus_pub_t *from, const char *prefix, xbus_recv_fn *fn, void *arg)
{
    assert(self && from && prefix && fn);
    size_t len = strlen(prefix);
    if (len >= BUS_TOPIC_MAX || from->bus != self) {
        errno = EINVAL;
        return -1;
    }
    if (self->n_subs == XBUS_SUBS) {
        errno = ENOSPC;
        return -1;
    }
    s_sub_t *s = &self->subs[self->n_subs++];
    s->from = from;
    memcpy(s->prefix, prefix, len + 1);
    s->prefix_len = len;
    s->fn = fn;
    s->arg = arg;
    return 0;
}

static int
s_reserve(xbus_t *self, size_t entries, size_t bytes)
{
    if (self->n + entries > self->cap) {
        size_t cap = self->cap ? self->cap : 1024;
        while (cap < self->n + entries) {
            cap *= 2;
        }
        s_entry_t *q = realloc(self->q, cap * sizeof *q);
        if (!q) {
            errno = ENOMEM;
            return -1;
        }
        self->q = q;
        self->cap = cap;
    }
    if (self->arena_len + bytes > self->arena_cap) {
        size_t cap = self->arena_cap ? self->arena_cap : 1 << 20;
        while (cap < self->arena_len + bytes) {
            cap *= 2;
        }
        uint8_t *a = realloc(self->arena, cap);
        if (!a) {
            errno = ENOMEM;
            return -1;
        }
        self->arena = a;
        self->arena_cap = cap;
    }
    return 0;
}

int
xbus_publish(xbus_pub_t *pub, const char *topic, codec_type_t type, const void *body, int64_t evt,
             int64_t origin)
{
    assert(pub && topic && body);
    xbus_t *self = pub->bus;
    size_t tlen = strlen(topic);
    if (tlen >= BUS_TOPIC_MAX) {
        errno = EINVAL;
        return -1;
    }
    codec_env_t env = { .v = CODEC_VERSION,
                        .epoch = pub->epoch,
                        .seq = pub->seq + 1,
                        .ts = clock_wall_ns(),
                        .origin = origin,
                        .evt = evt };
    memcpy(env.src, pub->src, sizeof env.src);
    size_t len;
    if (codec_encode(&env, type, body, self->buf, sizeof self->buf, &len) != 0) {
        return -1;
    }
    size_t matches = 0;
    for (size_t i = 0; i < self->n_subs; i++) {
        const s_sub_t *s = &self->subs[i];
        matches += s->from == pub && strncmp(topic, s->prefix, s->prefix_len) == 0;
    }
    if (matches > 0) {
        if (s_reserve(self, matches, len) != 0) {
            return -1;
        }
        size_t off = self->arena_len;
        memcpy(self->arena + off, self->buf, len);
        self->arena_len += len;
        for (size_t i = 0; i < self->n_subs; i++) {
            const s_sub_t *s = &self->subs[i];
            if (s->from != pub || strncmp(topic, s->prefix, s->prefix_len) != 0) {
                continue;
            }
            s_entry_t *e = &self->q[self->n++];
            e->sub = i;
            e->off = off;
            e->len = len;
            memset(&e->msg, 0, sizeof e->msg);
            memcpy(e->msg.topic, topic, tlen + 1);
            e->msg.type = codec_type_of_topic(topic); /* as bus_sub_recv types it */
            e->msg.env = env;
            e->msg.len = len;
        }
    }
    pub->seq++;
    return 0;
}

uint64_t
xbus_run(xbus_t *self)
{
    assert(self);
    if (self->running) {
        return 0; /* called from a receiver: the outer call delivers the rest */
    }
    self->running = true;
    uint64_t n = 0;
    while (self->head < self->n) {
        s_entry_t *e = &self->q[self->head++];
        bus_msg_t m = e->msg;
        memcpy(self->deliver, self->arena + e->off, e->len);
        m.data = self->deliver;
        const s_sub_t *s = &self->subs[e->sub];
        s->fn(&m, s->arg); /* may publish: the queue and arena may move */
        n++;
    }
    self->head = self->n = 0;
    self->arena_len = 0;
    self->running = false;
    return n;
}

size_t
xbus_pending(const xbus_t *self)
{
    assert(self);
    return self->n - self->head;
}

uint64_t
xbus_pub_seq(const xbus_pub_t *self)
{
    assert(self);
    return self->seq;
}

int64_t
xbus_pub_epoch(const xbus_pub_t *self)
{
    assert(self);
    return self->epoch;
}

const char *
xbus_pub_src(const xbus_pub_t *self)
{
    assert(self);
    return self->src;
}
