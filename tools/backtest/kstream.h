/*  kstream.h - Binance kline CSV files read as they are replayed (the backtest's streaming
 *  kline path, docs/backtest.md "Data"): rows come out one at a time, parsed into the fields
 *  of the kline event the frame of tools/venue-sim/klines.h would carry, so the feed takes them
 *  without a JSON frame (session_kline), and memory stays flat however long the files are.
 *  Owns:  the open file, a 64 KiB read buffer, one row looked ahead.
 *  Input: the files in the order given (plain CSV, or the .zip data.binance.vision serves:
 *         tools/venue-sim/unzip.h), each in time order, read by the one set of kline rules:
 *         tools/venue-sim/source.c loads them with source_set_stream_klines on first (bad
 *         rows stopped at or counted and logged, header lines, µs/ms, the window, repeated
 *         bars, gaps, the file records), keeping no frame; the stream then takes the same
 *         rows by the same functions: klines_is_header on the first line, klines_row_parse,
 *         source_in_window of that source, a repeated minute dropped. What the load refused
 *         is skipped here without a second message (kstream_bad counts it again).
 *  Order: the timeline of source.c sorts every frame by (event time, load order), kline rows
 *         loaded last; the load in stream mode refuses rows out of time order (EDOM: the
 *         backtest then loads the files whole), and kstream_next fails with EDOM if it still
 *         meets one (the files changed since).
 *  Single-threaded.
 */
#ifndef TP_BT_KSTREAM_H
#define TP_BT_KSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "feed/binance.h"
#include "tools/venue-sim/source.h"

/* A row kept (< 200 bytes in data.binance.vision files; a longer unchecked "ignore" column is
 * kept as "0"); a line over 32 KiB is skipped as bad (the loader would take one only with an
 * "ignore" column that long). */
#define KSTREAM_ROW_MAX 512

typedef struct kstream kstream_t;

/* One row: the event (k: its strings point into text), and the row itself for the frame
 * path (klines_frame) when the feed does not take the event directly. */
typedef struct {
    int64_t ts_ms; /* event time E = close time (ms) + 1: the frame's, source.c's */
    binance_kline_t k;
    char text[KSTREAM_ROW_MAX]; /* the row, NUL-terminated, no line end */
    size_t len;
    char symbol[24];
    const char *file; /* borrowed, for messages */
    uint64_t line;
} kstream_row_t;

/* A stream over paths[n] (borrowed: must outlive it) for `symbol` (upper case, 1..20 chars,
 * copied), keeping the rows in the window of `src` (borrowed, the source that loaded the same
 * files in stream mode). The first file is opened and its first row read ahead. NULL with
 * errno EINVAL (bad symbol), ENOENT/EACCES (a file cannot be opened: kstream_error names it)
 * or ENOMEM. */
kstream_t *kstream_new(const char *const *paths, size_t n, const char *symbol, const source_t *src);
void kstream_destroy(kstream_t **self_p);

/* The event time of the next row into *ts_ms: 1, or 0 at the end of the last file. */
int kstream_peek(const kstream_t *self, int64_t *ts_ms);

/* Take the next row into *out (its pointers valid until out changes). 1, 0 at the end, or -1
 * with errno EIO (a read failed), ENOENT/EACCES (the next file cannot be opened) or EDOM (the
 * row after it is earlier: out of time order); kstream_error says which file and line. */
int kstream_next(kstream_t *self, kstream_row_t *out);

uint64_t kstream_rows(const kstream_t *self);     /* rows taken so far */
uint64_t kstream_bad(const kstream_t *self);      /* rows skipped: refused rows, repeated bars */
const char *kstream_error(const kstream_t *self); /* "file:line: why" of the last failure */

#endif /* TP_BT_KSTREAM_H */
