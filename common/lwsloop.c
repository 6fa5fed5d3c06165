/*  lwsloop.c - drive a libwebsockets context from the stage's zloop.
 *
 *  Why not plain "external poll": Debian 12's libwebsockets 4.1.6 is built without
 *  LWS_WITH_EXTERNAL_POLL (/usr/include/lws_config.h), so LWS_CALLBACK_ADD/DEL/CHANGE_MODE_POLL_FD
 *  are never delivered, and lws_service_fd(ctx, NULL) is illegal since lws 3.2 (it asserts;
 *  lib/core-net/service.c). lws still keeps its own pollfd table internally. So:
 *
 *   - Servicing is always lws_service(ctx, -1): a negative timeout makes lws poll() its own
 *     table with timeout 0 (lib/plat/unix/unix-service.c _lws_plat_service_tsi), run its ripe
 *     timers (sul) and service every ready fd with the event mask lws itself wants. It never
 *     blocks, and it never needs us to know lws's POLLOUT wishes.
 *   - Wake-ups: every connection socket (wsi) lws calls us back about is registered as a zloop
 *     fd poller for POLLIN, so inbound bytes are serviced at once. Its fd is learnt from the
 *     callbacks forwarded to lwsloop_handle() (lws_get_socket_fd on a connection callback) and
 *     forgotten on LWS_CALLBACK_WSI_DESTROY (delivered after lws closed the fd, before the
 *     wsi is freed: lib/core-net/close.c __lws_close_free_wsi_final). When the library does
 *     have external poll, ADD/DEL/CHANGE_MODE_POLL_FD feed the same table (with POLLOUT).
 *   - A zloop timer every LWSLOOP_TICK_MS services lws anyway: accepts on the listen socket
 *     (we never see its wsi), client connects completing, POLLOUT after lws_callback_on_writable
 *     called from outside a callback, lws timeouts and ping timers.
 *   - After a service round in which a *_WRITEABLE callback ran, service again (up to
 *     k_spin_max rounds): lws gives one writeable callback per wsi per round, so a queue of N
 *     frames drains in one zloop turn instead of N ticks.
 *  Owns:  the wsi -> fd table and one zloop poller per distinct fd, the service timer.
 *  Not:   the lws context (borrowed), the protocols.
 *  Invariants:
 *    (1) every fd with at least one table entry has exactly one zloop poller (unless it is
 *        suspended by the spin guard, then the next tick re-adds it), none other has
 *    (2) a wsi appears at most once in the table
 *  Spin guard: an fd that fires more than k_fire_max times between two ticks while lws does
 *  not consume it (e.g. a wsi lws paused with rx flow control) is suspended until the next
 *  tick, so the loop never spins; the tick services it anyway.
 *  Single-threaded.
 */
#include "common/lwsloop.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define LWSLOOP_TICK_MS 1 /* service timer period, ms */

static const char *const k_mod = "lwsloop";
static const int k_spin_max = 256; /* service rounds per wake-up while writes progress */
static const int k_fire_max = 64;  /* poller firings per fd between ticks before suspending */

typedef struct {
    struct lws *wsi;
    int fd;
    short events; /* ZMQ_POLLIN / ZMQ_POLLOUT wanted for this wsi */
} s_entry_t;

typedef struct {
    int fd;
    short events;   /* events the zloop poller is registered with */
    int fires;      /* firings since the last tick */
    bool suspended; /* poller removed by the spin guard */
} s_fdreg_t;

struct lwsloop {
    zloop_t *loop;
    struct lws_context *ctx;
    int timer_id; /* -1 = none */
    s_entry_t *entries;
    size_t n_entries, cap_entries;
    s_fdreg_t *fds;
    size_t n_fds, cap_fds;
    bool wrote;     /* a *_WRITEABLE callback ran during the current service round */
    bool servicing; /* inside lws_service (no recursion) */
    void (*batch_begin)(void *arg);
    void (*batch_end)(void *arg);
    void *batch_arg;
};

static int s_on_fd(zloop_t *loop, zmq_pollitem_t *item, void *arg);

lwsloop_t *
lwsloop_new(zloop_t *loop)
{
    assert(loop);
    lwsloop_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->loop = loop;
    self->timer_id = -1;
    return self;
}

static s_fdreg_t *
s_fd_find(lwsloop_t *self, int fd)
{
    for (size_t i = 0; i < self->n_fds; i++) {
        if (self->fds[i].fd == fd) {
            return &self->fds[i];
        }
    }
    return NULL;
}

static void
s_poller_end(lwsloop_t *self, int fd)
{
    zmq_pollitem_t item = { .socket = NULL, .fd = fd, .events = 0, .revents = 0 };
    zloop_poller_end(self->loop, &item);
}

static int
s_poller_add(lwsloop_t *self, int fd, short events)
{
    zmq_pollitem_t item = { .socket = NULL, .fd = fd, .events = events, .revents = 0 };
    if (zloop_poller(self->loop, &item, s_on_fd, self) != 0) {
        log_warn(k_mod, "cannot watch fd %d: %s", fd, strerror(errno));
        return -1;
    }
    /* we handle POLLERR ourselves (s_on_fd), zloop must not drop the poller behind our back */
    zloop_poller_set_tolerant(self->loop, &item);
    return 0;
}

/* Recompute the events wanted on `fd` from the table and (re)register its poller. */
static void
s_fd_sync(lwsloop_t *self, int fd)
{
    short want = 0;
    bool any = false;
    for (size_t i = 0; i < self->n_entries; i++) {
        if (self->entries[i].fd == fd) {
            want |= self->entries[i].events;
            any = true;
        }
    }
    s_fdreg_t *reg = s_fd_find(self, fd);
    if (!any) {
        if (reg) {
            if (!reg->suspended) {
                s_poller_end(self, fd);
            }
            *reg = self->fds[--self->n_fds];
        }
        return;
    }
    if (want == 0) {
        want = ZMQ_POLLIN;
    }
    if (reg) {
        if (reg->events == want) {
            return;
        }
        if (!reg->suspended) {
            s_poller_end(self, fd);
        }
    } else {
        if (self->n_fds == self->cap_fds) {
            size_t cap = self->cap_fds ? self->cap_fds * 2 : 16;
            s_fdreg_t *p = realloc(self->fds, cap * sizeof *p);
            if (!p) {
                log_warn(k_mod, "cannot watch fd %d: out of memory (serviced by the tick)", fd);
                return;
            }
            self->fds = p;
            self->cap_fds = cap;
        }
        reg = &self->fds[self->n_fds++];
        memset(reg, 0, sizeof *reg);
        reg->fd = fd;
    }
    reg->events = want;
    reg->fires = 0;
    reg->suspended = s_poller_add(self, fd, want) != 0; /* failed: the tick services it */
}

static s_entry_t *
s_entry_find(lwsloop_t *self, const struct lws *wsi)
{
    for (size_t i = 0; i < self->n_entries; i++) {
        if (self->entries[i].wsi == wsi) {
            return &self->entries[i];
        }
    }
    return NULL;
}

/* Make the table say wsi -> fd with `events` (0 = keep what it had, default POLLIN). */
static void
s_entry_set(lwsloop_t *self, struct lws *wsi, int fd, short events)
{
    s_entry_t *e = s_entry_find(self, wsi);
    if (e) {
        if (e->fd == fd && (events == 0 || e->events == events)) {
            return;
        }
        int old_fd = e->fd;
        e->fd = fd;
        if (events) {
            e->events = events;
        }
        if (old_fd != fd) {
            s_fd_sync(self, old_fd);
        }
        s_fd_sync(self, fd);
        return;
    }
    if (self->n_entries == self->cap_entries) {
        size_t cap = self->cap_entries ? self->cap_entries * 2 : 16;
        s_entry_t *p = realloc(self->entries, cap * sizeof *p);
        if (!p) {
            log_warn(k_mod, "cannot watch fd %d: out of memory (serviced by the tick)", fd);
            return;
        }
        self->entries = p;
        self->cap_entries = cap;
    }
    e = &self->entries[self->n_entries++];
    e->wsi = wsi;
    e->fd = fd;
    e->events = events ? events : ZMQ_POLLIN;
    s_fd_sync(self, fd);
}

static void
s_entry_drop(lwsloop_t *self, const struct lws *wsi)
{
    s_entry_t *e = s_entry_find(self, wsi);
    if (!e) {
        return;
    }
    int fd = e->fd;
    *e = self->entries[--self->n_entries];
    s_fd_sync(self, fd);
}

/* Drop every entry on `fd` (the fd is gone without a destroy callback we saw). */
static void
s_fd_forget(lwsloop_t *self, int fd)
{
    for (size_t i = 0; i < self->n_entries;) {
        if (self->entries[i].fd == fd) {
            self->entries[i] = self->entries[--self->n_entries];
        } else {
            i++;
        }
    }
    s_fd_sync(self, fd);
}

static void
s_service(lwsloop_t *self)
{
    if (!self->ctx || self->servicing) {
        return;
    }
    self->servicing = true;
    if (self->batch_begin) {
        self->batch_begin(self->batch_arg);
    }
    for (int i = 0; i < k_spin_max; i++) {
        self->wrote = false;
        if (lws_service(self->ctx, -1) < 0) {
            /* lws is tearing the context down; nothing more to do this turn */
            break;
        }
        if (!self->wrote) {
            break;
        }
    }
    if (self->batch_end) {
        self->batch_end(self->batch_arg);
    }
    self->servicing = false;
}

void
lwsloop_set_batch(lwsloop_t *self, void (*begin)(void *arg), void (*end)(void *arg), void *arg)
{
    assert(self);
    self->batch_begin = begin;
    self->batch_end = end;
    self->batch_arg = arg;
}

static int
s_on_fd(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    lwsloop_t *self = arg;
    int fd = item->fd;
    s_fdreg_t *reg = s_fd_find(self, fd);
    if (!reg) {
        /* stale poller (removed from the table in this same zloop turn) */
        s_poller_end(self, fd);
        return 0;
    }
    if ((item->revents & ZMQ_POLLERR) && fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
        /* closed under us: forget it rather than spin on POLLNVAL */
        s_fd_forget(self, fd);
        return 0;
    }
    if (++reg->fires > k_fire_max) {
        /* lws is not consuming this fd's readiness; leave it to the tick (spin guard) */
        s_poller_end(self, fd);
        reg->suspended = true;
    }
    s_service(self);
    return 0;
}

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    lwsloop_t *self = arg;
    for (size_t i = 0; i < self->n_fds; i++) {
        s_fdreg_t *reg = &self->fds[i];
        reg->fires = 0;
        if (reg->suspended) {
            reg->suspended = s_poller_add(self, reg->fd, reg->events) != 0;
        }
    }
    s_service(self);
    return 0;
}

void
lwsloop_destroy(lwsloop_t **self_p)
{
    assert(self_p);
    lwsloop_t *self = *self_p;
    if (!self) {
        return;
    }
    if (self->timer_id >= 0) {
        (void)zloop_timer_end(self->loop, self->timer_id); /* only fails for unknown ids */
    }
    for (size_t i = 0; i < self->n_fds; i++) {
        if (!self->fds[i].suspended) {
            s_poller_end(self, self->fds[i].fd);
        }
    }
    free(self->entries);
    free(self->fds);
    free(self);
    *self_p = NULL;
}

void
lwsloop_set_context(lwsloop_t *self, struct lws_context *ctx)
{
    assert(self);
    self->ctx = ctx;
    if (ctx && self->timer_id < 0) {
        self->timer_id = zloop_timer(self->loop, LWSLOOP_TICK_MS, 0, s_on_tick, self);
        if (self->timer_id < 0) {
            log_error(k_mod, "cannot start the lws service timer: %s", strerror(errno));
        }
    }
}

/* Callbacks that concern a live connection socket (its fd is valid during the call).
 * Deliberately not: PROTOCOL_INIT/DESTROY, GET_THREAD_ID, EVENT_WAIT_CANCELLED (they come with
 * a zeroed placeholder wsi), WSI_CREATE (fd not assigned yet), the close callbacks. */
static bool
s_is_conn_reason(enum lws_callback_reasons reason)
{
    switch (reason) {
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
    case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    case LWS_CALLBACK_HTTP:
    case LWS_CALLBACK_HTTP_BODY:
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    case LWS_CALLBACK_HTTP_WRITEABLE:
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_RECEIVE_PONG:
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
    case LWS_CALLBACK_CLIENT_RECEIVE:
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
    case LWS_CALLBACK_CLIENT_WRITEABLE:
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        return true;
    default:
        return false;
    }
}

static short
s_zmq_events(int poll_events)
{
    short ev = 0;
    if (poll_events & POLLIN) {
        ev |= ZMQ_POLLIN;
    }
    if (poll_events & POLLOUT) {
        ev |= ZMQ_POLLOUT;
    }
    return ev ? ev : ZMQ_POLLIN;
}

int
lwsloop_handle(lwsloop_t *self, struct lws *wsi, enum lws_callback_reasons reason, void *in)
{
    const struct lws_pollargs *pa = in;
    bool poll_reason = reason == LWS_CALLBACK_ADD_POLL_FD || reason == LWS_CALLBACK_DEL_POLL_FD
                       || reason == LWS_CALLBACK_CHANGE_MODE_POLL_FD
                       || reason == LWS_CALLBACK_LOCK_POLL || reason == LWS_CALLBACK_UNLOCK_POLL;
    if (!self) {
        /* the owner destroyed us before the context: lws_context_destroy still calls back */
        return poll_reason ? 1 : 0;
    }
    switch (reason) {
    case LWS_CALLBACK_ADD_POLL_FD:
    case LWS_CALLBACK_CHANGE_MODE_POLL_FD:
        if (pa && pa->fd >= 0) {
            s_entry_set(self, wsi, pa->fd, s_zmq_events(pa->events));
        }
        return 1;
    case LWS_CALLBACK_DEL_POLL_FD:
        s_entry_drop(self, wsi);
        return 1;
    case LWS_CALLBACK_LOCK_POLL:
    case LWS_CALLBACK_UNLOCK_POLL:
        return 1;
    case LWS_CALLBACK_WSI_DESTROY:
        s_entry_drop(self, wsi);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLIENT_WRITEABLE:
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        self->wrote = true;
        break;
    default:
        break;
    }
    if (wsi && s_is_conn_reason(reason)) {
        int fd = (int)lws_get_socket_fd(wsi);
        if (fd > 2) { /* never stdio: a placeholder wsi reads as fd 0 */
            s_entry_set(self, wsi, fd, 0);
        }
    }
    return 0;
}
