/*  rep.c - the order REP socket (contract: rep.h).
 *  Owns:  the REP socket.
 *  The answer's envelope ts is the only clock read on this path (for latency figures).
 */
#include "executor/rep.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

#define S_MOD "rep"

struct exec_rep {
    zsock_t *sock;
    exec_t *exec;
    step_t *step;
    char push_as[CODEC_SRC_MAX];
    log_limit_t fail_limit;
};

exec_rep_t *
exec_rep_new(const char *endpoint, exec_t *exec, step_t *step, const char *push_as)
{
    if (!endpoint || !exec || !push_as || strlen(push_as) >= CODEC_SRC_MAX) {
        errno = EINVAL;
        return NULL;
    }
    exec_rep_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->exec = exec;
    self->step = step;
    snprintf(self->push_as, sizeof self->push_as, "%s", push_as);
    self->sock = zsock_new(ZMQ_REP);
    if (!self->sock) {
        free(self);
        errno = ENOMEM;
        return NULL;
    }
    zsock_set_linger(self->sock, 0);
    if (zsock_bind(self->sock, "%s", endpoint) < 0) {
        int e = zmq_errno();
        log_error(S_MOD, "cannot bind %s: %s", endpoint, zmq_strerror(e));
        zsock_destroy(&self->sock);
        free(self);
        errno = e;
        return NULL;
    }
    return self;
}

void
exec_rep_destroy(exec_rep_t **self_p)
{
    assert(self_p);
    exec_rep_t *self = *self_p;
    if (!self) {
        return;
    }
    zsock_destroy(&self->sock);
    free(self);
    *self_p = NULL;
}

zsock_t *
exec_rep_sock(exec_rep_t *self)
{
    assert(self);
    return self->sock;
}

int
exec_rep_handle(exec_rep_t *self)
{
    assert(self);
    zmsg_t *in = zmsg_recv(self->sock);
    if (!in) {
        if (errno == 0) {
            errno = EINTR;
        }
        return -1;
    }
    zframe_t *f = zmsg_first(in);
    const uint8_t *req = f ? zframe_data(f) : NULL;
    size_t len = f ? zframe_size(f) : 0;
    const uint8_t *reply;
    size_t reply_len;
    bus_msg_t push;
    int rc = exec_request(self->exec, req, len, clock_wall_ns(), &reply, &reply_len, &push);
    int sent;
    if (rc < 0) {
        /* REP must answer every request: a plain-text error keeps the socket usable */
        log_limited(&self->fail_limit, LOG_ERROR, S_MOD, "cannot answer order request", NULL, 0);
        sent = zstr_send(self->sock, "internal error");
    } else {
        zframe_t *out = zframe_new(reply, reply_len);
        sent = out ? zframe_send(&out, self->sock, 0) : -1;
        zframe_destroy(&out);
    }
    if (sent < 0) {
        log_limited(&self->fail_limit, LOG_ERROR, S_MOD, "cannot send order answer", NULL, 0);
    }
    /* answered first, then matched (in step order) */
    if (rc == 1) {
        if (self->step) {
            if (step_push_as(self->step, self->push_as, &push) < 0) {
                log_limited(&self->fail_limit, LOG_ERROR, S_MOD, "cannot buffer order request",
                            NULL, 0);
            }
        } else {
            exec_deliver(self->exec, &push);
        }
    }
    zmsg_destroy(&in);
    return 0;
}
