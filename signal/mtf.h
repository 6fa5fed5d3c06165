/*  mtf.h - multi-timeframe aggregation: closed base bars (e.g. 1m) -> higher timeframes
 *  (5m, 15m, 1h, 4h, 1d) aligned to UTC boundaries.
 *  Owns:  per aggregate series (venue, symbol, base tf, target tf) the open aggregate bar;
 *         a fixed table of MTF_MAX_SERIES; counters.
 *  Not:   building base bars (bars.c), indicators, publishing.
 *  Units: as codec_sig_bar_t (px at px_scale, volumes at qty_scale, quote at
 *         MONEY_VALUE_SCALE); times ns since the epoch.
 *  Rules (docs/signal.md "Bars"; the same for every target):
 *   - Alignment: the aggregate of tf T containing a base bar starting at s is
 *     [floor(s / T) * T, + T): the epoch is 00:00 UTC, so 1d bars run 00:00-24:00 UTC and 4h
 *     bars start at 00, 04, ..., 20 UTC. T must be a multiple of the base tf and divide
 *     86400 s or be a multiple of it.
 *   - Close on event time only: the aggregate closes when its last base bar (end_ns == the
 *     aggregate's end) arrives, emitted with that base bar's evt; if that base bar never comes
 *     (an interval without trades), it closes when the first base bar at/after its end
 *     arrives, emitted with that bar's evt, before the new bar is opened.
 *   - Empty intervals: no aggregate bar (no flat filler), as for base bars. An aggregate with
 *     missing base bars is still emitted with what it has (its `trades`/volume say so).
 *   - Late or duplicate base bars (start <= the previous base bar's start of that series):
 *     dropped and counted (late); they never reopen or change an emitted aggregate.
 *   - Merge: open = first base open, close = last close, high = max, low = min; volume,
 *     quote volume, taker-buy volume, trades summed; vwap = quote volume / volume at px_scale
 *     (half-even), the close if no volume; source = the base bars' source.
 *  Invariants: (1) per series, emitted starts strictly increase; (2) low <= open, close <= high.
 *  Cost: O(number of targets of the base series) per base bar; no allocation after mtf_new.
 */
#ifndef TP_MTF_H
#define TP_MTF_H

#include <stdint.h>

#include "common/codec.h"

#define MTF_MAX_SERIES 64

typedef struct mtf mtf_t;

/* Called per closed aggregate; `bar` valid for the call only. */
typedef void(mtf_emit_fn)(const codec_sig_bar_t *bar, int64_t evt, void *arg);

typedef struct {
    uint64_t in;   /* base bars taken (once per target) */
    uint64_t out;  /* aggregates emitted */
    uint64_t late; /* late or duplicate base bars dropped (once per target) */
    uint64_t bad;  /* base bars refused (EINVAL) */
} mtf_stats_t;

/* NULL with errno EINVAL (emit NULL) or ENOMEM. */
mtf_t *mtf_new(mtf_emit_fn *emit, void *arg);
void mtf_destroy(mtf_t **self_p);

/* Aggregate base bars of (venue, symbol, base_tf_s) into tf_s. 0, or -1 with errno
 *   EINVAL  empty/too long venue or symbol, base_tf_s < 1, tf_s <= base_tf_s, tf_s not a
 *           multiple of base_tf_s, tf_s neither dividing nor a multiple of 86400
 *   EEXIST  already configured;  ENOSPC  table full */
int mtf_add(mtf_t *self, const char *venue, const char *symbol, int base_tf_s, int tf_s);

/* One closed base bar (any series; bars of unconfigured series are ignored). Returns the
 * number of aggregates emitted, or -1/EINVAL for a malformed bar (end != start + tf, high <
 * low, scales differing from the open aggregate's). */
int mtf_on_bar(mtf_t *self, const codec_sig_bar_t *bar, int64_t evt);

const mtf_stats_t *mtf_stats(const mtf_t *self);

/* Configured aggregate series i (0..mtf_n_bases-1): its base (venue, symbol, base_tf_s).
 * 0, or -1/ERANGE. Borrowed strings. */
size_t mtf_n_bases(const mtf_t *self);
int mtf_base(const mtf_t *self, size_t i, const char **venue, const char **symbol, int *tf_s);

#endif /* TP_MTF_H */
