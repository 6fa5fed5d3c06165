/*  step.c - replay barriers and deterministic delivery (see step.h).
 *  Invariants:
 *    (1) every buffered entry belongs to a registered input and has tag > released
 *        (tag = the step it belongs to: the input's last barrier + 1 when it arrived)
 *    (2) released only grows; step S is released only when every normal input has sent
 *        barrier >= S and every feedback input barrier >= S-1
 */
#include "common/step.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define STEP_INPUTS 16
#define STEP_RING   64 /* barrier bodies kept by step number (window W < STEP_RING) */

typedef struct {
    char src[CODEC_SRC_MAX];
    int rank;
    bool feedback;
    bool hello;
    int64_t last_barrier; /* -1 = none yet */
} s_input_t;

typedef struct {
    size_t input;
    int64_t tag;
    uint64_t arrival;
    size_t off;    /* into the arena */
    bus_msg_t msg; /* data pointer rebuilt from off at delivery */
} s_entry_t;

struct step {
    bool replay;
    step_deliver_fn *deliver;
    step_barrier_fn *barrier;
    void *arg;
    s_input_t inputs[STEP_INPUTS];
    size_t n_inputs;
    s_entry_t *entries;
    size_t n_entries, cap_entries;
    uint8_t *arena;
    size_t arena_len, arena_cap;
    uint64_t arrivals;
    int64_t released; /* last released step; 0 before step 1 */
    bool any_hello;   /* a hello arrived: we were there from the start of the replay */
    bool ended;
    codec_sys_barrier_t ring[STEP_RING];
    int64_t ring_step[STEP_RING];
    size_t *order; /* scratch for sorting */
    size_t cap_order;
    log_limit_t unknown_limit;
};

step_t *
step_new(bool replay, step_deliver_fn *deliver, step_barrier_fn *barrier, void *arg)
{
    assert(deliver);
    step_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->replay = replay;
    self->deliver = deliver;
    self->barrier = barrier;
    self->arg = arg;
    for (size_t i = 0; i < STEP_RING; i++) {
        self->ring_step[i] = -1;
    }
    return self;
}

void
step_destroy(step_t **self_p)
{
    assert(self_p);
    step_t *self = *self_p;
    if (!self) {
        return;
    }
    free(self->entries);
    free(self->arena);
    free(self->order);
    free(self);
    *self_p = NULL;
}

int
step_add_input(step_t *self, const char *src, int rank, bool feedback)
{
    assert(self);
    if (self->n_inputs == STEP_INPUTS) {
        errno = ENOSPC;
        return -1;
    }
    s_input_t *in = &self->inputs[self->n_inputs++];
    snprintf(in->src, sizeof in->src, "%s", src);
    in->rank = rank;
    in->feedback = feedback;
    in->last_barrier = -1;
    return 0;
}

static s_input_t *
s_input(step_t *self, const char *src, size_t *idx)
{
    for (size_t i = 0; i < self->n_inputs; i++) {
        if (strcmp(self->inputs[i].src, src) == 0) {
            *idx = i;
            return &self->inputs[i];
        }
    }
    return NULL;
}

static int
s_buffer(step_t *self, size_t input, int64_t tag, const bus_msg_t *msg)
{
    if (self->n_entries == self->cap_entries) {
        size_t cap = self->cap_entries ? self->cap_entries * 2 : 1024;
        s_entry_t *e = realloc(self->entries, cap * sizeof *e);
        if (!e) {
            errno = ENOMEM;
            return -1;
        }
        self->entries = e;
        self->cap_entries = cap;
    }
    if (self->arena_len + msg->len > self->arena_cap) {
        size_t cap = self->arena_cap ? self->arena_cap : 1 << 20;
        while (cap < self->arena_len + msg->len) {
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
    if (msg->len > 0) { /* a message handed over decoded has no bytes (and the arena may be NULL) */
        memcpy(self->arena + self->arena_len, msg->data, msg->len);
    }
    s_entry_t *e = &self->entries[self->n_entries++];
    e->input = input;
    e->tag = tag;
    e->arrival = self->arrivals++;
    e->off = self->arena_len;
    e->msg = *msg;
    e->msg.data = NULL;
    self->arena_len += msg->len;
    return 0;
}

static step_t *s_sort_self; /* qsort has no context argument; single-threaded by design */

static int
s_cmp(const void *a, const void *b)
{
    const s_entry_t *x = &s_sort_self->entries[*(const size_t *)a];
    const s_entry_t *y = &s_sort_self->entries[*(const size_t *)b];
    if (x->msg.env.evt != y->msg.env.evt) {
        return x->msg.env.evt < y->msg.env.evt ? -1 : 1;
    }
    int rx = s_sort_self->inputs[x->input].rank, ry = s_sort_self->inputs[y->input].rank;
    if (rx != ry) {
        return rx < ry ? -1 : 1;
    }
    int c = strcmp(x->msg.env.src, y->msg.env.src);
    if (c != 0) {
        return c;
    }
    if (x->msg.env.seq != y->msg.env.seq) {
        return x->msg.env.seq < y->msg.env.seq ? -1 : 1;
    }
    return x->arrival < y->arrival ? -1 : (x->arrival > y->arrival);
}

static void
s_deliver_entry(step_t *self, s_entry_t *e)
{
    bus_msg_t m = e->msg;
    m.data = e->msg.len > 0 ? self->arena + e->off : NULL; /* no bytes: handed over decoded */
    self->deliver(&m, self->arg);
}

static bool
s_can_release(const step_t *self, int64_t s)
{
    bool any = false;
    for (size_t i = 0; i < self->n_inputs; i++) {
        const s_input_t *in = &self->inputs[i];
        if (in->feedback) {
            if (in->last_barrier < s - 1) {
                return false;
            }
        } else {
            any = true;
            if (in->last_barrier < s) {
                return false;
            }
        }
    }
    return any;
}

/* Release step s: feedback messages up to s-1 in arrival order, then step s sorted. */
static int
s_release(step_t *self, int64_t s)
{
    if (self->cap_order < self->n_entries) {
        size_t *o = realloc(self->order, (self->n_entries + 1) * sizeof *o);
        if (!o) {
            errno = ENOMEM;
            return -1;
        }
        self->order = o;
        self->cap_order = self->n_entries + 1;
    }
    /* feedback first, arrival order (entries are in arrival order already) */
    for (size_t i = 0; i < self->n_entries; i++) {
        s_entry_t *e = &self->entries[i];
        if (self->inputs[e->input].feedback && e->tag <= s - 1) {
            s_deliver_entry(self, e);
            e->tag = INT64_MIN; /* delivered */
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < self->n_entries; i++) {
        s_entry_t *e = &self->entries[i];
        if (e->tag != INT64_MIN && !self->inputs[e->input].feedback && e->tag <= s) {
            self->order[n++] = i;
        }
    }
    s_sort_self = self;
    if (n > 1) {
        qsort(self->order, n, sizeof *self->order, s_cmp);
    }
    for (size_t k = 0; k < n; k++) {
        s_entry_t *e = &self->entries[self->order[k]];
        s_deliver_entry(self, e);
        e->tag = INT64_MIN;
    }
    /* compact: keep undelivered entries (later steps, when W > 1) */
    size_t w = 0, alen = 0;
    for (size_t i = 0; i < self->n_entries; i++) {
        s_entry_t *e = &self->entries[i];
        if (e->tag == INT64_MIN) {
            continue;
        }
        if (e->msg.len > 0) {
            memmove(self->arena + alen, self->arena + e->off, e->msg.len);
        }
        e->off = alen;
        alen += e->msg.len;
        self->entries[w++] = *e;
    }
    self->n_entries = w;
    self->arena_len = alen;
    self->released = s;
    codec_sys_barrier_t b;
    size_t slot = (size_t)s % STEP_RING;
    if (self->ring_step[slot] == s) {
        b = self->ring[slot];
    } else {
        memset(&b, 0, sizeof b);
        b.step = (uint64_t)s;
    }
    b.n = 0; /* connection counts are venue-sim -> feed only */
    if (b.end) {
        self->ended = true;
    }
    if (self->barrier) {
        self->barrier(&b, self->arg);
    }
    return 0;
}

static int
s_try_release(step_t *self)
{
    while (!self->ended && s_can_release(self, self->released + 1)) {
        if (s_release(self, self->released + 1) != 0) {
            return -1;
        }
    }
    return 0;
}

/* The first barrier we see is step s > 0 and no hello ever came: this stage (re)started in
 * the middle of a replay. What came before step s is gone; start from it. Feedback inputs are
 * taken as caught up to s - 1 (their earlier messages are as lost as the rest). */
static void
s_join_late(step_t *self, int64_t s)
{
    log_notice("step", "joined the replay at step %lld (restarted mid-replay)", (long long)s);
    self->released = s - 1;
    for (size_t i = 0; i < self->n_inputs; i++) {
        s_input_t *in = &self->inputs[i];
        if (in->last_barrier < s - 1) {
            in->last_barrier = s - 1;
        }
    }
}

static int
s_push(step_t *self, size_t idx, s_input_t *in, const bus_msg_t *msg)
{
    if (msg->type == CODEC_SYS_BARRIER) {
        codec_sys_barrier_t b;
        if (msg->body) {
            b = *(const codec_sys_barrier_t *)msg->body; /* handed over decoded (bus.h) */
        } else if (codec_decode(msg->data, msg->len, CODEC_SYS_BARRIER, NULL, &b) != 0) {
            log_limited(&self->unknown_limit, LOG_WARN, "step", "malformed barrier", msg->topic,
                        strlen(msg->topic));
            return 0;
        }
        int64_t s = (int64_t)b.step;
        if (s == 0) {
            in->hello = true;
            self->any_hello = true;
            if (in->last_barrier < 0) {
                in->last_barrier = 0;
            }
            if (self->released == 0 && !in->feedback && self->barrier) {
                bool all = true;
                for (size_t i = 0; i < self->n_inputs; i++) {
                    all = all && self->inputs[i].hello;
                }
                b.ready = b.ready && all;
                b.n = 0;
                self->barrier(&b, self->arg);
            }
            return 0;
        }
        if (!in->feedback && s <= self->released) {
            /* sent again (venue-sim re-sends an unanswered barrier so that a stage that
             * restarted mid-step can catch up): pass the latest one on once more */
            if (s == self->released && self->barrier) {
                b.n = 0;
                self->barrier(&b, self->arg);
            }
            return 0;
        }
        if (!in->feedback && self->released == 0 && !self->any_hello) {
            s_join_late(self, s);
        }
        if (s > in->last_barrier) {
            in->last_barrier = s;
        }
        if (!in->feedback) {
            size_t slot = (size_t)s % STEP_RING;
            self->ring[slot] = b;
            self->ring_step[slot] = s;
        }
        return s_try_release(self);
    }
    if (in->last_barrier < 0) {
        self->deliver(msg, self->arg); /* before the replay starts: instruments, balances */
        return 0;
    }
    return s_buffer(self, idx, in->last_barrier + 1, msg);
}

int
step_push(step_t *self, const bus_msg_t *msg)
{
    assert(self);
    assert(msg);
    if (!self->replay) {
        if (msg->type != CODEC_SYS_BARRIER) {
            self->deliver(msg, self->arg);
        }
        return 0;
    }
    size_t idx;
    s_input_t *in;
    if (msg->type == CODEC_SYS_HB || !(in = s_input(self, msg->env.src, &idx))) {
        if (msg->type != CODEC_SYS_BARRIER) {
            self->deliver(msg, self->arg);
        }
        return 0;
    }
    return s_push(self, idx, in, msg);
}

int
step_push_as(step_t *self, const char *src, const bus_msg_t *msg)
{
    assert(self);
    assert(msg);
    size_t idx;
    s_input_t *in;
    if (!self->replay || !(in = s_input(self, src, &idx))) {
        self->deliver(msg, self->arg);
        return 0;
    }
    return s_push(self, idx, in, msg);
}

uint64_t
step_released(const step_t *self)
{
    assert(self);
    return (uint64_t)self->released;
}

bool
step_ended(const step_t *self)
{
    assert(self);
    return self->ended;
}
