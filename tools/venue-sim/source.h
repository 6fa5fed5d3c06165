/*  source.h - the recorded frames venue-sim replays, loaded into memory and merged into one
 *  timeline sorted by event time.
 *  Owns:  every frame's text (an arena of large blocks, stable pointers), the frame table, the
 *         key table (topic / stream names), the Binance REST depth snapshot bodies.
 *  Not:   sockets, pacing, steps (schedule.h), who subscribed to what (server.h).
 *  Sources and event time (ms):
 *    Bybit v5 public frames (JSON Lines, one frame per line, data/PROVENANCE.md section 2):
 *      key = top-level "topic", event time = top-level "ts". Lines without "topic" are the
 *      recorded subscribe acks: skipped (venue-sim answers subscribes itself).
 *    Binance combined streams (gzip, lines "<local ns> <json>", section 4): key = "stream",
 *      event time = data.E; a frame without data.E (spot bookTicker) takes the previous
 *      frame's event time in that file (its local ns / 1e6 if it is the first). The line
 *      without "stream" is the REST depth snapshot body, kept per kind (the first one).
 *    Binance kline CSV (klines.h): key "<symbol lower>@kline_1m", event time E = close + 1 ms.
 *  Bad lines are counted (source_bad) and skipped, never fatal.
 *  Invariants (after source_finish): (1) frames sorted by (ts_ms, load order); (2) every
 *  frame's key < source_keys().
 */
#ifndef TP_SOURCE_H
#define TP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SOURCE_BYBIT_LINEAR = 0, /* ws /v5/public/linear */
    SOURCE_BYBIT_SPOT,       /* ws /v5/public/spot */
    SOURCE_BINANCE_USDM,     /* ws /usdm/stream */
    SOURCE_BINANCE_SPOT,     /* ws /spot/stream */
    SOURCE_KIND_COUNT
} source_kind_t;

typedef struct {
    int64_t ts_ms; /* event time, ms since the Unix epoch (exchange clock) */
    uint32_t kind; /* source_kind_t */
    uint32_t key;  /* index into the key table */
    uint32_t len;  /* bytes of text, without NUL */
    uint32_t pad;
    const char *text; /* the frame exactly as recorded, NUL-terminated, owned by the source */
} source_frame_t;

typedef struct source source_t;

/* Empty source. NULL/ENOMEM. */
source_t *source_new(void);
void source_destroy(source_t **self_p);

/* Append the frames of one file. 0, or -1 with errno ENOENT/EACCES/EIO (cannot open or
 * read), ENOMEM, EINVAL (kind does not fit the loader, or called after source_finish).
 * Bad lines are not errors (see source_bad). */
int source_load_bybit(source_t *self, const char *path, source_kind_t kind);
int source_load_binance(source_t *self, const char *path, source_kind_t kind);
/* `symbol` upper case ("BTCUSDT"), frames go to kind SOURCE_BINANCE_SPOT normally. */
int source_load_klines(source_t *self, const char *path, const char *symbol, source_kind_t kind);

/* Sort into the timeline (stable: equal times keep load order). 0 or -1/ENOMEM. */
int source_finish(source_t *self);

size_t source_count(const source_t *self);
const source_frame_t *source_frame(const source_t *self, size_t i); /* i < count */
uint64_t source_bad(const source_t *self);                          /* malformed lines skipped */
uint64_t source_acks(const source_t *self); /* recorded Bybit acks skipped */

size_t source_keys(const source_t *self);
const char *source_key_name(const source_t *self, uint32_t key);
source_kind_t source_key_kind(const source_t *self, uint32_t key);
/* Key id of (kind, name), or -1 if no frame has it. */
int source_key_find(const source_t *self, source_kind_t kind, const char *name);
/* Frames with that key (0 if none). */
size_t source_key_count(const source_t *self, source_kind_t kind, const char *name);

/* The REST depth snapshot body of a Binance kind (borrowed), or NULL if none was loaded. */
const char *source_depth_snapshot(const source_t *self, source_kind_t kind, size_t *len);

#endif /* TP_SOURCE_H */
