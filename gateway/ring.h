/*  ring.h - the bounded ring of Server-Sent Events the gateway keeps for Last-Event-ID resume.
 *  Owns:  copies of the last `cap` events (id, name, data text).
 *  Ids are 1, 2, 3 ... in push order for the life of the ring (a gateway restart starts again
 *  at 1; docs/api.md "events"). A client that reconnects with Last-Event-ID N gets every event
 *  after N still in the ring; if some after N were pushed out, ring_next says how many.
 */
#ifndef TP_GATEWAY_RING_H
#define TP_GATEWAY_RING_H

#include <stddef.h>
#include <stdint.h>

typedef struct ring ring_t;

typedef struct {
    uint64_t id;
    const char *name; /* event name: "fill", "trade:opened", ... */
    const char *data; /* one line of JSON */
} ring_event_t;

/* A ring of `cap` events (>= 1). NULL with errno ENOMEM / EINVAL. */
ring_t *ring_new(size_t cap);
void ring_destroy(ring_t **self_p);

/* Append a copy of (name, data); the oldest is dropped when full. Returns the new event's
 * id, or 0 with errno ENOMEM (nothing appended). `data` must be one line (no '\n'):
 * EINVAL otherwise. */
uint64_t ring_push(ring_t *self, const char *name, const char *data);

/* The first event with id > after, into *ev (borrowed until the next ring_push). 0 when there
 * is one, -1 when none. *missed (may be NULL) = how many events with id > after were pushed
 * out of the ring before it (0 normally). */
int ring_next(const ring_t *self, uint64_t after, ring_event_t *ev, uint64_t *missed);

uint64_t ring_last_id(const ring_t *self); /* 0 before the first push */
size_t ring_count(const ring_t *self);

#endif /* TP_GATEWAY_RING_H */
