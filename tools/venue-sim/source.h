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
 *  Bad lines: by default counted (source_bad) and skipped; after source_set_strict(true) the
 *  first one fails the load, naming file and line (source_error). A data.binance.vision
 *  header line at the top of a kline CSV is not a bad line. A kline bar given twice (same
 *  stream and minute, e.g. a daily and a monthly file) is a bad row of the later one; a step
 *  of more than a minute between bars of a kline stream is a gap (source_gaps).
 *  Window (source_set_window): only frames inside [from, to) are kept: a kline bar when its
 *  whole minute [open, E) lies inside, any other frame when its event time does.
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

/* What one load call read (source_file). */
typedef struct {
    char *path;         /* as given (owned by the source) */
    source_kind_t kind; /* the kind it was loaded as */
    uint64_t frames;    /* frames read (acks, snapshots and bad lines not counted) */
    uint64_t kept;      /* of those, inside the window and not repeated */
    uint64_t bad;       /* bad lines skipped (not strict) */
    bool klines;        /* loaded as a kline CSV */
    bool header;        /* a kline CSV that started with the header line */
    int64_t first_ms;   /* earliest event time read (a kline: its open time); 0 if none */
    int64_t last_ms;    /* latest exclusive end (a kline: E; else event time + 1); 0 if none */
} source_file_t;

/* Gaps in the kline series (all kline streams together), after source_finish. */
typedef struct {
    uint64_t gaps;           /* steps of more than one minute between consecutive bars */
    uint64_t missing_min;    /* minutes missing in all of them */
    uint64_t longest_min;    /* minutes missing in the longest */
    int64_t longest_from_ms; /* the longest: first missing minute (the previous bar's end) */
    int64_t longest_to_ms;   /* ... and the open of the bar after it (exclusive end) */
} source_gaps_t;

/* Empty source. NULL/ENOMEM. */
source_t *source_new(void);
void source_destroy(source_t **self_p);

/* strict: a bad line fails the load call (-1/EINVAL, "path:line: why" in source_error), and
 * a repeated kline bar fails source_finish; else both are counted and skipped (default). */
void source_set_strict(source_t *self, bool strict);

/* Keep only frames inside [from_ms, to_ms) (see the header). Before any load; 0, or
 * -1/EINVAL (already loading, or from >= to). */
int source_set_window(source_t *self, int64_t from_ms, int64_t to_ms);

/* Frames of an event time [start_ms, ts_ms] (a kline: its open time .. E; any other frame:
 * start_ms == ts_ms) lie in the window of source_set_window: start_ms >= from and the
 * exclusive end (E, or ts + 1) <= to. The one window rule of the loaders and of the backtest's
 * streamed kline rows (tools/backtest/kstream.c). */
bool source_in_window(const source_t *self, int64_t start_ms, int64_t ts_ms);

/* on: source_load_klines checks and counts every row exactly as it loads them (bad rows, the
 * header, the window, the file records, repeated bars, gaps, source_kline_span) but keeps no
 * frame: a reader streams the files afterwards (tools/backtest/kstream.c) by the same rules.
 * The series are then checked in load order, so the files and their rows must be in time
 * order: a row earlier than the one before it of its stream fails the load call (-1/EDOM,
 * source_error names file:line, source_stream_unordered true). Before any load; 0 or
 * -1/EINVAL. */
int source_set_stream_klines(source_t *self, bool on);
bool source_stream_unordered(const source_t *self);

/* The span of the kline CSV bars kept (loaded or streamed): the first bar's open time and
 * the last bar's E (ms). false if none (after source_finish for loaded bars). */
bool source_kline_span(const source_t *self, int64_t *from_ms, int64_t *to_ms);

/* The last refusal in strict mode ("data/x.csv:17: close_time is not after open_time"),
 * "" if none. Borrowed. */
const char *source_error(const source_t *self);

/* One record per load call that opened its file, in load order. i < source_files. */
size_t source_files(const source_t *self);
const source_file_t *source_file(const source_t *self, size_t i);

/* The kline series' gaps (zeros before source_finish). */
const source_gaps_t *source_gaps(const source_t *self);

/* Append the frames of one file. 0, or -1 with errno ENOENT/EACCES/EIO (cannot open or
 * read), ENOMEM, EINVAL (kind does not fit the loader, or called after source_finish).
 * Bad lines are not errors (see source_bad). */
int source_load_bybit(source_t *self, const char *path, source_kind_t kind);
int source_load_binance(source_t *self, const char *path, source_kind_t kind);
/* `symbol` upper case ("BTCUSDT"), frames go to kind SOURCE_BINANCE_SPOT normally. */
int source_load_klines(source_t *self, const char *path, const char *symbol, source_kind_t kind);

/* Sort into the timeline (stable: equal times keep load order), check the kline series
 * (repeats, gaps). 0, or -1 with ENOMEM, or EINVAL (strict: a repeated bar, source_error). */
int source_finish(source_t *self);

size_t source_count(const source_t *self);
const source_frame_t *source_frame(const source_t *self, size_t i); /* i < count */
uint64_t source_bad(const source_t *self);  /* bad lines and repeated bars skipped */
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
