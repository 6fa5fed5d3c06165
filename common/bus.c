/*  bus.c - PUB/SUB with the codec envelope, gap counting, and REQ/REP requests (see bus.h). */
#include "common/bus.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/curve.h"
#include "common/log.h"

#define BUS_PUBLISHERS_MAX 64

struct bus_pub {
    zsock_t *sock;
    char src[CODEC_SRC_MAX];
    char endpoint[256];
    int64_t epoch;
    uint64_t seq;
    uint8_t buf[CODEC_MSG_MAX];
    /* smart batching: records [topic len u8][topic][body len u32][body] */
    bool corked;
    uint8_t *batch; /* BUS_BATCH_BYTES, allocated at the first cork */
    size_t batch_len, batch_n;
};

typedef struct {
    char src[CODEC_SRC_MAX];
    int64_t epoch;
    uint64_t last_seq;
} s_peer_t;

struct bus_sub {
    zsock_t *sock;
    zmq_msg_t frame;
    bool frame_live;
    s_peer_t peers[BUS_PUBLISHERS_MAX];
    size_t n_peers;
    uint64_t received, gaps, bad;
    bool filtered; /* subscribed to a prefix other than "": seq jumps are expected */
    log_limit_t bad_limit;
};

bus_pub_t *
bus_pub_new(const char *endpoint, const char *src, int sndhwm)
{
    bus_pub_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf(self->src, sizeof self->src, "%s", src);
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->epoch = clock_wall_ns();
    self->sock = zsock_new(ZMQ_PUB);
    if (!self->sock) {
        log_error("bus", "cannot create PUB socket for %s: %s", endpoint,
                  zmq_strerror(zmq_errno()));
        goto fail;
    }
    zsock_set_sndhwm(self->sock, sndhwm > 0 ? sndhwm : 100000);
    zsock_set_linger(self->sock, 1000);
    (void)curve_apply_server(self->sock, endpoint); /* no-op unless CURVE on and tcp:// */
    if (zsock_bind(self->sock, "%s", endpoint) < 0) {
        int e = zmq_errno();
        log_error("bus", "cannot bind %s: %s", endpoint, zmq_strerror(e));
        errno = e;
        goto fail;
    }
    return self;
fail:;
    int e = errno ? errno : EINVAL;
    zsock_destroy(&self->sock);
    free(self);
    errno = e;
    return NULL;
}

void
bus_pub_destroy(bus_pub_t **self_p)
{
    assert(self_p);
    bus_pub_t *self = *self_p;
    if (!self) {
        return;
    }
    if (self->batch_n > 0) {
        (void)bus_pub_flush(self);
    }
    zsock_destroy(&self->sock);
    free(self->batch);
    free(self);
    *self_p = NULL;
}

static int
s_send(bus_pub_t *self, const char *topic, size_t tlen, const uint8_t *body, size_t len)
{
    void *raw = zsock_resolve(self->sock);
    if (zmq_send(raw, topic, tlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
        || zmq_send(raw, body, len, ZMQ_DONTWAIT) < 0) {
        /* PUB never blocks; EAGAIN cannot happen on PUB (it drops at HWM) */
        return -1;
    }
    return 0;
}

void
bus_pub_cork(bus_pub_t *self)
{
    assert(self);
    if (!self->batch) {
        self->batch = malloc(BUS_BATCH_BYTES);
        if (!self->batch) {
            return; /* stays uncorked: every publish goes straight out */
        }
    }
    self->corked = true;
}

bool
bus_pub_corked(const bus_pub_t *self)
{
    assert(self);
    return self->corked;
}

static int
s_batch_send(bus_pub_t *self)
{
    int rc = 0, err = 0;
    size_t off = 0;
    for (size_t i = 0; i < self->batch_n; i++) {
        size_t tlen = self->batch[off];
        const char *topic = (const char *)self->batch + off + 1;
        uint32_t len;
        memcpy(&len, self->batch + off + 1 + tlen, sizeof len);
        const uint8_t *body = self->batch + off + 1 + tlen + sizeof len;
        if (s_send(self, topic, tlen, body, len) != 0) {
            rc = -1;
            err = zmq_errno();
        }
        off += 1 + tlen + sizeof len + len;
    }
    self->batch_len = self->batch_n = 0;
    if (rc != 0) {
        errno = err;
    }
    return rc;
}

int
bus_pub_flush(bus_pub_t *self)
{
    assert(self);
    self->corked = false;
    return s_batch_send(self);
}

/* Encode one message into the batch. 0, or -1 with errno (ENOBUFS: no room left). */
static int
s_batch_add(bus_pub_t *self, const char *topic, size_t tlen, const codec_env_t *env,
            codec_type_t type, const void *body)
{
    size_t hdr = 1 + tlen + sizeof(uint32_t);
    if (self->batch_len + hdr >= BUS_BATCH_BYTES) {
        errno = ENOBUFS;
        return -1;
    }
    uint8_t *rec = self->batch + self->batch_len;
    size_t room = BUS_BATCH_BYTES - self->batch_len - hdr, len;
    if (codec_encode(env, type, body, rec + hdr, room < CODEC_MSG_MAX ? room : CODEC_MSG_MAX, &len)
        != 0) {
        return -1;
    }
    uint32_t len32 = (uint32_t)len;
    rec[0] = (uint8_t)tlen;
    memcpy(rec + 1, topic, tlen);
    memcpy(rec + 1 + tlen, &len32, sizeof len32);
    self->batch_len += hdr + len;
    self->batch_n++;
    return 0;
}

int
bus_publish(bus_pub_t *self, const char *topic, codec_type_t type, const void *body, int64_t evt,
            int64_t origin)
{
    assert(self);
    codec_env_t env = { .v = CODEC_VERSION,
                        .epoch = self->epoch,
                        .seq = self->seq + 1,
                        .ts = clock_wall_ns(),
                        .origin = origin,
                        .evt = evt };
    memcpy(env.src, self->src, sizeof env.src);
    size_t tlen = strlen(topic);
    if (self->corked && tlen > UINT8_MAX) {
        (void)s_batch_send(self); /* keep publish order: what is batched goes first */
    } else if (self->corked) {
        if (s_batch_add(self, topic, tlen, &env, type, body) != 0) {
            if (errno != ENOBUFS || self->batch_n == 0) {
                return -1; /* encode error, or a message bigger than the whole batch */
            }
            (void)s_batch_send(self); /* full: hand it over and start again */
            if (s_batch_add(self, topic, tlen, &env, type, body) != 0) {
                return -1;
            }
        }
        self->seq++;
        if (self->batch_n >= BUS_BATCH_MAX) {
            (void)s_batch_send(self); /* stays corked */
        }
        return 0;
    }
    size_t len;
    if (codec_encode(&env, type, body, self->buf, sizeof self->buf, &len) != 0) {
        return -1;
    }
    if (s_send(self, topic, tlen, self->buf, len) != 0) {
        return -1;
    }
    self->seq++;
    return 0;
}

uint64_t
bus_pub_seq(const bus_pub_t *self)
{
    assert(self);
    return self->seq;
}

int64_t
bus_pub_epoch(const bus_pub_t *self)
{
    assert(self);
    return self->epoch;
}

const char *
bus_pub_src(const bus_pub_t *self)
{
    assert(self);
    return self->src;
}

bus_sub_t *
bus_sub_new(int rcvhwm)
{
    bus_sub_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->sock = zsock_new(ZMQ_SUB);
    if (!self->sock) {
        free(self);
        errno = ENOMEM;
        return NULL;
    }
    zsock_set_rcvhwm(self->sock, rcvhwm > 0 ? rcvhwm : 1000000);
    zsock_set_linger(self->sock, 0);
    return self;
}

void
bus_sub_destroy(bus_sub_t **self_p)
{
    assert(self_p);
    bus_sub_t *self = *self_p;
    if (!self) {
        return;
    }
    if (self->frame_live) {
        zmq_msg_close(&self->frame);
    }
    zsock_destroy(&self->sock);
    free(self);
    *self_p = NULL;
}

int
bus_sub_connect(bus_sub_t *self, const char *endpoint)
{
    assert(self);
    if (curve_apply_client(self->sock, endpoint) < 0) { /* no-op unless CURVE on and tcp:// */
        return -1;
    }
    if (zsock_connect(self->sock, "%s", endpoint) < 0) {
        int e = zmq_errno();
        log_error("bus", "cannot connect to %s: %s", endpoint, zmq_strerror(e));
        errno = e;
        return -1;
    }
    return 0;
}

int
bus_sub_subscribe(bus_sub_t *self, const char *prefix)
{
    assert(self);
    zsock_set_subscribe(self->sock, prefix);
    if (*prefix) {
        self->filtered = true;
    }
    return 0;
}

zsock_t *
bus_sub_sock(bus_sub_t *self)
{
    assert(self);
    return self->sock;
}

static s_peer_t *
s_peer(bus_sub_t *self, const codec_env_t *env, bool *is_new)
{
    for (size_t i = 0; i < self->n_peers; i++) {
        if (strcmp(self->peers[i].src, env->src) == 0) {
            *is_new = self->peers[i].epoch != env->epoch;
            return &self->peers[i];
        }
    }
    *is_new = true;
    if (self->n_peers == BUS_PUBLISHERS_MAX) {
        return NULL;
    }
    s_peer_t *p = &self->peers[self->n_peers++];
    snprintf(p->src, sizeof p->src, "%s", env->src);
    return p;
}

int
bus_sub_recv(bus_sub_t *self, bus_msg_t *msg)
{
    assert(self);
    void *raw = zsock_resolve(self->sock);
    zmq_msg_t topic;
    zmq_msg_init(&topic);
    if (zmq_msg_recv(&topic, raw, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        zmq_msg_close(&topic);
        errno = e;
        return -1;
    }
    size_t tlen = zmq_msg_size(&topic);
    bool more = zmq_msg_more(&topic);
    if (tlen >= sizeof msg->topic) {
        tlen = sizeof msg->topic - 1;
    }
    memcpy(msg->topic, zmq_msg_data(&topic), tlen);
    msg->topic[tlen] = '\0';
    zmq_msg_close(&topic);
    if (!more) {
        self->bad++;
        log_limited(&self->bad_limit, LOG_WARN, "bus", "message without body frame", msg->topic,
                    strlen(msg->topic));
        errno = EPROTO;
        return -1;
    }
    if (self->frame_live) {
        zmq_msg_close(&self->frame);
    }
    zmq_msg_init(&self->frame);
    self->frame_live = true;
    if (zmq_msg_recv(&self->frame, raw, 0) < 0) {
        int e = zmq_errno();
        errno = e;
        return -1;
    }
    /* drain any unexpected extra frames */
    while (zmq_msg_more(&self->frame)) {
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        int rc = zmq_msg_recv(&extra, raw, 0);
        bool again = rc >= 0 && zmq_msg_more(&extra);
        zmq_msg_close(&extra);
        if (!again) {
            break;
        }
    }
    msg->data = zmq_msg_data(&self->frame);
    msg->len = zmq_msg_size(&self->frame);
    msg->type = codec_type_of_topic(msg->topic);
    msg->gap = 0;
    msg->body = NULL;
    if (codec_decode_env(msg->data, msg->len, &msg->env) != 0) {
        self->bad++;
        log_limited(&self->bad_limit, LOG_WARN, "bus", "malformed envelope", msg->topic,
                    strlen(msg->topic));
        errno = EPROTO;
        return -1;
    }
    self->received++;
    bool is_new;
    s_peer_t *p = s_peer(self, &msg->env, &is_new);
    if (p) {
        if (is_new) {
            p->epoch = msg->env.epoch;
        } else if (!self->filtered && msg->env.seq > p->last_seq + 1) {
            msg->gap = msg->env.seq - p->last_seq - 1;
            self->gaps += msg->gap;
        }
        p->last_seq = msg->env.seq;
    }
    return 0;
}

uint64_t
bus_sub_received(const bus_sub_t *self)
{
    assert(self);
    return self->received;
}

uint64_t
bus_sub_gaps(const bus_sub_t *self)
{
    assert(self);
    return self->gaps;
}

uint64_t
bus_sub_bad(const bus_sub_t *self)
{
    assert(self);
    return self->bad;
}

char *
bus_request(const char *endpoint, const void *req, size_t len, int timeout_ms, size_t *reply_len)
{
    zsock_t *s = zsock_new(ZMQ_REQ);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    zsock_set_linger(s, 0);
    zsock_set_rcvtimeo(s, timeout_ms);
    zsock_set_sndtimeo(s, timeout_ms);
    if (zsock_connect(s, "%s", endpoint) < 0) {
        int e = zmq_errno();
        zsock_destroy(&s);
        errno = e;
        return NULL;
    }
    void *raw = zsock_resolve(s);
    if (zmq_send(raw, req, len, 0) < 0) {
        int e = zmq_errno();
        zsock_destroy(&s);
        errno = e == EAGAIN ? ETIMEDOUT : e;
        return NULL;
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, raw, 0) < 0) {
        int e = zmq_errno();
        zmq_msg_close(&m);
        zsock_destroy(&s);
        errno = e == EAGAIN ? ETIMEDOUT : e;
        return NULL;
    }
    size_t n = zmq_msg_size(&m);
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, zmq_msg_data(&m), n);
        out[n] = '\0';
        *reply_len = n;
    }
    zmq_msg_close(&m);
    zsock_destroy(&s);
    if (!out) {
        errno = ENOMEM;
    }
    return out;
}
