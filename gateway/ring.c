/*  ring.c - the SSE replay ring (contract in ring.h). */
#include "gateway/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t id;
    char name[32];
    char *data;
} s_slot_t;

struct ring {
    s_slot_t *slots;
    size_t cap;
    size_t n;      /* events held */
    uint64_t last; /* id of the newest */
};

ring_t *
ring_new(size_t cap)
{
    if (cap == 0) {
        errno = EINVAL;
        return NULL;
    }
    ring_t *self = calloc(1, sizeof *self);
    if (self == NULL || (self->slots = calloc(cap, sizeof *self->slots)) == NULL) {
        free(self);
        errno = ENOMEM;
        return NULL;
    }
    self->cap = cap;
    return self;
}

void
ring_destroy(ring_t **self_p)
{
    if (self_p && *self_p) {
        ring_t *self = *self_p;
        for (size_t i = 0; i < self->cap; i++) {
            free(self->slots[i].data);
        }
        free(self->slots);
        free(self);
        *self_p = NULL;
    }
}

uint64_t
ring_push(ring_t *self, const char *name, const char *data)
{
    if (strchr(data, '\n') != NULL || strchr(name, '\n') != NULL) {
        errno = EINVAL;
        return 0;
    }
    char *copy = strdup(data);
    if (copy == NULL) {
        errno = ENOMEM;
        return 0;
    }
    uint64_t id = self->last + 1;
    s_slot_t *s = &self->slots[(id - 1) % self->cap];
    free(s->data);
    s->data = copy;
    s->id = id;
    size_t nl = strlen(name);
    if (nl >= sizeof s->name) {
        nl = sizeof s->name - 1;
    }
    memcpy(s->name, name, nl);
    s->name[nl] = '\0';
    self->last = id;
    if (self->n < self->cap) {
        self->n++;
    }
    return id;
}

int
ring_next(const ring_t *self, uint64_t after, ring_event_t *ev, uint64_t *missed)
{
    if (missed) {
        *missed = 0;
    }
    if (self->n == 0 || after >= self->last) {
        return -1;
    }
    uint64_t oldest = self->last - self->n + 1;
    uint64_t id = after + 1;
    if (id < oldest) {
        if (missed) {
            *missed = oldest - id;
        }
        id = oldest;
    }
    const s_slot_t *s = &self->slots[(id - 1) % self->cap];
    ev->id = s->id;
    ev->name = s->name;
    ev->data = s->data;
    return 0;
}

uint64_t
ring_last_id(const ring_t *self)
{
    return self->last;
}

size_t
ring_count(const ring_t *self)
{
    return self->n;
}
