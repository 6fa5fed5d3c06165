/*  orders.c - order requests to the executor over REQ/REP (contract in orders.h).
 */
#include "risk/orders.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bus.h"
#include "common/clock.h"
#include "common/log.h"

struct risk_orders {
    char endpoint[256];
    char src[CODEC_SRC_MAX];
    int64_t epoch;
    uint64_t seq;
    uint64_t tries;
    int timeout_ms;
    int retries;
    log_limit_t bad_reply;
};

int
risk_cid_next(risk_cid_t *gen, int64_t evt_ns, char *out, size_t cap)
{
    assert(gen);
    assert(out);
    if (evt_ns < 0) {
        errno = EINVAL;
        return -1;
    }
    int64_t ms = evt_ns / CLOCK_NS_PER_MS;
    uint32_t n = ms == gen->ms ? gen->n + 1 : 1;
    char tmp[64];
    int len = snprintf(tmp, sizeof tmp, "rk-%" PRId64 "-%" PRIu32, ms, n);
    if (len < 0 || len > RISK_CID_MAX || (size_t)len >= cap) {
        errno = ERANGE;
        return -1;
    }
    memcpy(out, tmp, (size_t)len + 1);
    gen->ms = ms;
    gen->n = n;
    return 0;
}

risk_orders_t *
risk_orders_new(const char *endpoint, const char *src, int64_t epoch, int timeout_ms, int retries)
{
    if (!endpoint || !src || timeout_ms < 1 || retries < 0 || strlen(endpoint) >= 256
        || strlen(src) >= CODEC_SRC_MAX) {
        errno = EINVAL;
        return NULL;
    }
    risk_orders_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    snprintf(self->src, sizeof self->src, "%s", src);
    self->epoch = epoch;
    self->timeout_ms = timeout_ms;
    self->retries = retries;
    return self;
}

void
risk_orders_destroy(risk_orders_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int
risk_orders_send(risk_orders_t *self, const codec_risk_order_t *ord, int64_t evt, int64_t origin,
                 codec_order_ack_t *ack)
{
    assert(self);
    assert(ord);
    assert(ack);
    codec_env_t env = { .v = CODEC_VERSION,
                        .epoch = self->epoch,
                        .seq = self->seq + 1,
                        .ts = clock_wall_ns(),
                        .origin = origin,
                        .evt = evt };
    memcpy(env.src, self->src, sizeof env.src);
    uint8_t buf[CODEC_MSG_MAX];
    size_t len = 0;
    if (codec_encode(&env, CODEC_RISK_ORDER, ord, buf, sizeof buf, &len) != 0) {
        errno = EINVAL;
        return -1;
    }
    self->seq++;
    int last_err = ETIMEDOUT;
    for (int attempt = 0; attempt <= self->retries; attempt++) {
        size_t rlen = 0;
        self->tries++;
        char *reply = bus_request(self->endpoint, buf, len, self->timeout_ms, &rlen);
        if (!reply) {
            last_err = errno; /* ETIMEDOUT, or a zmq error: both mean "try again" */
            log_warn("orders", "no answer for %s from %s (try %d of %d): %s", ord->client_id,
                     self->endpoint, attempt + 1, self->retries + 1, strerror(last_err));
            continue;
        }
        codec_order_ack_t got;
        int rc = codec_decode((const uint8_t *)reply, rlen, CODEC_ORDER_ACK, NULL, &got);
        if (rc == 0 && strcmp(got.client_id, ord->client_id) == 0) {
            free(reply);
            *ack = got;
            return 0;
        }
        log_limited(&self->bad_reply, LOG_WARN, "orders", "bad order ack", reply,
                    rlen < 120 ? rlen : 120);
        free(reply);
        last_err = EPROTO;
    }
    errno = last_err == EPROTO ? EPROTO : ETIMEDOUT;
    return -1;
}

uint64_t
risk_orders_tries(const risk_orders_t *self)
{
    assert(self);
    return self->tries;
}
