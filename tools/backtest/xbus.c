/*  xbus.c - the in-process bus (see xbus.h).
 *  Invariants: (1) queue entries [head, n) are undelivered, in publish order; (2) every entry's
 *  bytes lie in the arena at [off, off + len); (3) the arena and queue are reset only when the
 *  queue is empty; (4) a body block's refs = the queue entries and receivers' copies (step
 *  buffers) not yet released with xbus_release; at 0 it is on the free list.
 */
#include "tools/backtest/xbus.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

#define XBUS_PUBS 32
#define XBUS_SUBS 128 /* fits the uint8_t indices of s_route_t */

/* A topic seen from one publisher: its type and the subscriptions it matches (a cache of
 * the prefix scan; emptied by xbus_sub). */
#define XBUS_TOPICS 32
typedef struct {
    char topic[BUS_TOPIC_MAX];
    size_t tlen;
    codec_type_t type, rtype; /* as published, as the topic types it */
    uint8_t n;
    uint8_t subs[XBUS_SUBS];
} s_route_t;

struct xbus_pub {
    xbus_t *bus;
    char src[CODEC_SRC_MAX];
    int64_t epoch;
    uint64_t seq;
    uint64_t published; /* messages other than barriers */
    s_route_t routes[XBUS_TOPICS];
    size_t n_routes, next_route; /* next_route: the slot replaced when full (round robin) */
};

typedef struct {
    const xbus_pub_t *from;
    char prefix[BUS_TOPIC_MAX];
    size_t prefix_len;
    xbus_recv_fn *fn;
    void *arg;
} s_sub_t;

/* A decoded body handed to receivers: refcounted, from a free list. */
typedef struct s_block {
    struct s_block *next; /* free list */
    uint32_t refs;
    codec_body_t body;
} s_block_t;

typedef struct s_chunk {
    struct s_chunk *next;
    s_block_t blocks[];
} s_chunk_t;

#define XBUS_CHUNK 256 /* blocks per allocation */

typedef struct {
    size_t sub;
    size_t off, len;
    bus_msg_t msg; /* data rebuilt at delivery */
} s_entry_t;

static const uint8_t k_empty[1]; /* data of a decoded-only message (len 0) */

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
    bool encode_all;                /* xbus_set_encode: bytes for every message */
    s_block_t *free_blocks;
    s_chunk_t *chunks;
    uint64_t live_blocks;
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
    while (self->chunks) {
        s_chunk_t *c = self->chunks;
        self->chunks = c->next;
        free(c);
    }
    free(self);
    *self_p = NULL;
}

void
xbus_set_encode(xbus_t *self, bool all)
{
    assert(self);
    self->encode_all = all;
}

/* Size of the body struct of `type` (the member of codec_body_t), 0 if unknown. */
static size_t
s_body_size(codec_type_t type)
{
    switch (type) {
    case CODEC_MD_BOOK:
        return sizeof(codec_md_book_t);
    case CODEC_MD_TRADE:
        return sizeof(codec_md_trade_t);
    case CODEC_MD_TICKER:
        return sizeof(codec_md_ticker_t);
    case CODEC_MD_KLINE:
        return sizeof(codec_md_kline_t);
    case CODEC_MD_STATUS:
        return sizeof(codec_md_status_t);
    case CODEC_MD_INSTRUMENT:
        return sizeof(codec_md_instrument_t);
    case CODEC_SIG_BAR:
        return sizeof(codec_sig_bar_t);
    case CODEC_SIG_IND:
        return sizeof(codec_sig_ind_t);
    case CODEC_SIG_SIGNAL:
        return sizeof(codec_sig_signal_t);
    case CODEC_RISK_ORDER:
        return sizeof(codec_risk_order_t);
    case CODEC_RISK_REJECT:
        return sizeof(codec_risk_reject_t);
    case CODEC_RISK_STATE:
        return sizeof(codec_risk_state_t);
    case CODEC_RISK_ALERT:
        return sizeof(codec_risk_alert_t);
    case CODEC_EXEC_ORDER:
        return sizeof(codec_exec_order_t);
    case CODEC_EXEC_FILL:
        return sizeof(codec_exec_fill_t);
    case CODEC_EXEC_POSITION:
        return sizeof(codec_exec_position_t);
    case CODEC_EXEC_BALANCE:
        return sizeof(codec_exec_balance_t);
    case CODEC_ORDER_ACK:
        return sizeof(codec_order_ack_t);
    case CODEC_SYS_HB:
        return sizeof(codec_sys_hb_t);
    case CODEC_SYS_BARRIER:
        return sizeof(codec_sys_barrier_t);
    case CODEC_SIG_SETUP:
        return sizeof(codec_sig_setup_t);
    default:
        return 0;
    }
}

/* codec_type_of_topic(topic), with a shortcut for the usual case: a topic that begins with
 * the name of the type published ("md.kline" + '.' or end) has that type (no type's name is
 * a dotted prefix of another's, so codec_type_of_topic finds the same). */
static codec_type_t
s_type_of_topic(const char *topic, codec_type_t type)
{
    const char *name = codec_type_name(type);
    size_t n = strlen(name);
    if (type != CODEC_UNKNOWN && strncmp(topic, name, n) == 0
        && (topic[n] == '\0' || topic[n] == '.')) {
        return type;
    }
    return codec_type_of_topic(topic);
}

static s_block_t *
s_block_get(xbus_t *self)
{
    if (!self->free_blocks) {
        s_chunk_t *c = malloc(sizeof *c + XBUS_CHUNK * sizeof(s_block_t));
        if (!c) {
            errno = ENOMEM;
            return NULL;
        }
        c->next = self->chunks;
        self->chunks = c;
        for (size_t i = XBUS_CHUNK; i > 0; i--) {
            c->blocks[i - 1].next = self->free_blocks;
            self->free_blocks = &c->blocks[i - 1];
        }
    }
    s_block_t *b = self->free_blocks;
    self->free_blocks = b->next;
    b->next = NULL;
    self->live_blocks++;
    return b;
}

void
xbus_release(xbus_t *self, const bus_msg_t *msg)
{
    assert(self && msg);
    if (!msg->body) {
        return;
    }
    s_block_t *b = (s_block_t *)((char *)(uintptr_t)msg->body - offsetof(s_block_t, body));
    assert(b->refs > 0);
    if (--b->refs == 0) {
        b->next = self->free_blocks;
        self->free_blocks = b;
        self->live_blocks--;
    }
}

uint64_t
xbus_live_bodies(const xbus_t *self)
{
    assert(self);
    return self->live_blocks;
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
    for (size_t i = 0; i < self->n_pubs; i++) {
        self->pubs[i].n_routes = self->pubs[i].next_route = 0; /* routes changed */
    }
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

/* The route of `topic` from `pub` (cached): the subscriptions it matches in subscription
 * order, the type the topic gives it. */
static const s_route_t *
s_route(xbus_pub_t *pub, const char *topic, size_t tlen, codec_type_t type)
{
    for (size_t i = 0; i < pub->n_routes; i++) {
        const s_route_t *r = &pub->routes[i];
        if (r->tlen == tlen && r->type == type && memcmp(r->topic, topic, tlen) == 0) {
            return r;
        }
    }
    size_t slot;
    if (pub->n_routes < XBUS_TOPICS) {
        slot = pub->n_routes++;
    } else {
        slot = pub->next_route;
        pub->next_route = (pub->next_route + 1) % XBUS_TOPICS;
    }
    s_route_t *r = &pub->routes[slot];
    memcpy(r->topic, topic, tlen + 1);
    r->tlen = tlen;
    r->type = type;
    r->rtype = s_type_of_topic(topic, type);
    r->n = 0;
    const xbus_t *self = pub->bus;
    for (size_t i = 0; i < self->n_subs; i++) {
        const s_sub_t *s = &self->subs[i];
        if (s->from == pub && strncmp(topic, s->prefix, s->prefix_len) == 0) {
            r->subs[r->n++] = (uint8_t)i;
        }
    }
    return r;
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
    const s_route_t *rt = s_route(pub, topic, tlen, type);
    codec_type_t rtype = rt->rtype; /* as bus_sub_recv types it */
    size_t bsize = s_body_size(type);
    /* bytes: a body whose topic types it differently (the receiver decodes by the topic's
     * type, as over ZeroMQ), or when asked for everything */
    bool bytes = self->encode_all || rtype != type || bsize == 0;
    size_t len = 0;
    if (bytes) {
        if (codec_encode(&env, type, body, self->buf, sizeof self->buf, &len) != 0) {
            return -1;
        }
    }
    size_t matches = rt->n;
    if (matches > 0) {
        if (s_reserve(self, matches, len) != 0) {
            return -1;
        }
        s_block_t *blk = NULL;
        if (!bytes) {
            blk = s_block_get(self);
            if (!blk) {
                return -1;
            }
            /* a barrier forwarded by a stage carries no connection counts (n = 0): its
             * labels and counts are not read, so not copied (the step copies it whole) */
            if (type == CODEC_SYS_BARRIER && ((const codec_sys_barrier_t *)body)->n == 0) {
                bsize = offsetof(codec_sys_barrier_t, labels);
            }
            memcpy(&blk->body, body, bsize);
            blk->refs = (uint32_t)matches;
        }
        size_t off = self->arena_len;
        if (len > 0) {
            memcpy(self->arena + off, self->buf, len);
            self->arena_len += len;
        }
        s_entry_t *e0 = &self->q[self->n];
        memset(&e0->msg, 0, sizeof e0->msg);
        memcpy(e0->msg.topic, topic, tlen + 1);
        e0->msg.type = rtype;
        e0->msg.env = env;
        e0->msg.len = len;
        e0->msg.body = blk ? &blk->body : NULL;
        for (size_t k = 0; k < matches; k++) {
            s_entry_t *e = &self->q[self->n++];
            if (k > 0) {
                e->msg = e0->msg;
            }
            e->sub = rt->subs[k];
            e->off = off;
            e->len = len;
        }
    }
    pub->seq++;
    pub->published += type != CODEC_SYS_BARRIER;
    return 0;
}

uint64_t
xbus_pub_published(const xbus_pub_t *self)
{
    assert(self);
    return self->published;
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
        if (e->len > 0) {
            memcpy(self->deliver, self->arena + e->off, e->len);
            m.data = self->deliver;
        } else {
            m.data = k_empty;
        }
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
