/*  md.h - what the venue parsers (bybit.c, binance.c) hand to their user: market-data events
 *  as codec bodies through a sink of callbacks, and the counters they keep.
 *  Owns:  nothing (plain types and small helpers).
 *  Not:   publishing (the sink's owner publishes), venue JSON.
 *  Units: codec bodies (mantissas at the instrument's scales, times in ns). `origin` passed
 *  to every callback is the local receive time (ns, wall clock) of the frame the event came
 *  from; the event time is in the body (ts_event / end_ns).
 */
#ifndef TP_MD_H
#define TP_MD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/codec.h"
#include "common/log.h"
#include "feed/book.h"
#include "feed/jtok.h"

/* Counters, shared by every parser of one feed (caller-owned, zero-initialised). */
typedef struct {
    int64_t frames;        /* text frames handed to a parser */
    int64_t books;         /* book updates applied (each one is published) */
    int64_t trades;        /* trades (one per md.trade) */
    int64_t tickers;       /* ticker frames merged */
    int64_t klines;        /* kline frames */
    int64_t resyncs;       /* sequence gaps / crossed books: book dropped */
    int64_t crossed;       /* of which: an update would have crossed the book */
    int64_t bad_json;      /* not JSON, cut, too many tokens */
    int64_t bad_field;     /* missing key, wrong type, bad number */
    int64_t unknown_topic; /* valid JSON we do not know */
    int64_t no_instr;      /* symbol without instrument rules: skipped */
    int64_t unsynced;      /* deltas dropped while waiting for a snapshot */
    int64_t acks;          /* subscribe acks (success) */
    int64_t nacks;         /* subscribe failures */
    int64_t pongs;
    int64_t reconnects; /* kept by conn.c */
    int64_t silent;     /* connections dropped for silence (session.c) */
    int64_t stale;      /* md.status "stale" published */
    int64_t skew_warn;  /* clock skew crossed feed.skew_warn_ms */
} md_stats_t;

/* Per-kind log limiters for bad input (log once per kind with a sample). */
typedef struct {
    log_limit_t bad_json, bad_field, unknown_topic, no_instr, resync;
} md_limits_t;

/* Callbacks; any may be NULL. Bodies are borrowed for the call. */
typedef struct md_sink md_sink_t;

struct md_sink {
    void (*book)(const codec_md_book_t *b, int64_t origin, void *arg);
    void (*trade)(const codec_md_trade_t *t, int64_t origin, void *arg);
    void (*ticker)(const codec_md_ticker_t *t, int64_t origin, void *arg);
    /* interval: the topic word, "1m" */
    void (*kline)(const codec_md_kline_t *k, const char *interval, int64_t origin, void *arg);
    /* status "resync" of one symbol (state, reason filled); the owner publishes it and asks the
     * venue for a new snapshot (Bybit: resubscribe; Binance: binance_want_snapshot) */
    void (*status)(const codec_md_status_t *s, int64_t origin, void *arg);
    /* Bybit control frames: op "subscribe"/"unsubscribe"/"ping", ok = success */
    void (*control)(const char *op, bool ok, void *arg);
    void *arg;
};

/* What every venue parser (feed/bybit.c, binance.c, deribit.c) holds besides its symbols: its
 * venue id, the instrument rules and counters it reads and writes (borrowed), the book depth
 * it keeps and the levels it publishes, the sink, per-kind log limiters, a jsmn tokenizer and
 * scratch arrays for one frame's levels and trades. Embedded by value in the parser. */
typedef struct {
    char venue[INSTR_VENUE_MAX];
    const instr_table_t *instrs;
    size_t depth, levels;
    md_stats_t *stats;
    md_sink_t sink;
    md_limits_t lim;
    jtok_t *tok;
    book_level_t *bids, *asks; /* [max_levels] scratch */
    codec_md_trade_t *trades;  /* [max_trades] scratch; NULL when max_trades is 0 */
} md_parser_t;

/* Fill *p for a parser of `venue` (< INSTR_VENUE_MAX chars) keeping `depth` levels per side
 * (1..BOOK_MAX_DEPTH) and publishing `levels` (<= CODEC_LEVELS), with a tokenizer of `tokens`
 * tokens and scratch for `max_levels` levels per side and `max_trades` trades. instrs, stats
 * and sink must be non-NULL (instrs and stats borrowed: they outlive the parser; *sink is
 * copied). 0, or -1 with errno EINVAL (bad arguments: *p untouched) or ENOMEM (*p released). */
int md_parser_init(md_parser_t *p, const char *venue, const instr_table_t *instrs, size_t depth,
                   size_t levels, md_stats_t *stats, const md_sink_t *sink, size_t tokens,
                   size_t max_levels, size_t max_trades);

/* Release what md_parser_init allocated (the tokenizer and scratch); safe on a zeroed or
 * released *p. */
void md_parser_fini(md_parser_t *p);

/* Fill an md.book body from `book` (top CODEC_LEVELS at most `levels` per side). */
void md_book_fill(codec_md_book_t *out, const book_t *book, const char *venue, size_t levels,
                  uint64_t update_id, bool snapshot, int64_t ts_event_ns, int64_t ts_recv_ns);

/* A frame that cannot be used: count it in *counter, log it once per kind (log_limited, with
 * a sample of the frame) under module `mod`, and return -1 with errno EPROTO. */
int md_bad(const char *mod, int64_t *counter, log_limit_t *lim, const char *what, const char *frame,
           size_t len);

/* Venue milliseconds to ns; 0 if it would overflow (a garbage stamp, counted by the caller). */
int64_t md_ms_ns(int64_t ms);

/* Topic "<prefix>.<a>.<b>[.<c>]" into buf[cap] (c may be NULL), e.g. md_topic(t, sizeof t,
 * "md.book", venue, symbol, NULL) -> "md.book.bybit-linear.BTCUSDT". The same text as the
 * snprintf it replaces at a tenth of the cost (it runs once per published message). Returns
 * the length, or -1/ENAMETOOLONG if it does not fit (buf then holds "" ). */
int md_topic(char *buf, size_t cap, const char *prefix, const char *a, const char *b,
             const char *c);

/* Interval in seconds of a kline interval word: Bybit "1","3",...,"720","D","W" or Binance
 * "1m","3m","1h","1d","1w"; writes the topic word ("1m", "1h", "1d") to word[cap]. 0 or
 * -1/EINVAL (unknown; "M" months are refused: not a fixed length). */
int md_interval(const char *venue_word, size_t len, int32_t *seconds, char *word, size_t cap);

/* Clock skew of one connection: receive time - exchange event time (ns) over every md event
 * (negative: the local clock is behind the venue's). A sample whose |skew| exceeds the bound
 * raises the "over" state once; it clears when |skew| falls under half the bound (hysteresis,
 * so a skew hovering at the bound does not flap). Caller-owned, zero-initialised. */
typedef struct {
    int64_t last, min, max; /* ns */
    int64_t sum_ms, n;      /* mean = sum_ms / n (ms: no overflow over years of skew) */
    bool over;
} md_skew_t;

/* Add one sample. Returns +1 when it crossed over the bound, -1 when it came back under half
 * of it, 0 otherwise (also for evt or recv <= 0: not a sample; or bound <= 0: measure only). */
int md_skew_add(md_skew_t *sk, int64_t evt_ns, int64_t recv_ns, int64_t bound_ns);

/* Refused input of one connection (docs/feed.md "Refused input"): the frames handed to its
 * parser, and of those the frames the parser refused (counted in bad_json or bad_field: not
 * JSON, a missing or malformed field, a price off the tick or a quantity with digits beyond the
 * step's scale). The bound: once at least `min_frames` frames were seen, a refused share above
 * max_bp (hundredths of a percent: 100 = 1 %) trips `over`, latched for the connection's
 * lifetime. Caller-owned, zero-initialised. */
typedef struct {
    int64_t frames;  /* frames parsed */
    int64_t refused; /* of which refused */
    bool over;       /* the share passed the bound (latched) */
} md_refused_t;

/* Count one parsed frame, refused or not. Returns 1 the one time the share passes the bound
 * (frames >= min_frames and refused * 10000 > max_bp * frames), else 0. max_bp >= 10000 never
 * trips (100 % is no bound). */
int md_refused_add(md_refused_t *r, bool refused, int64_t max_bp, int64_t min_frames);

/* The refused share of `r` in hundredths of a percent (0..10000), rounded down; 0 with no
 * frame. */
int64_t md_refused_bp(const md_refused_t *r);

/* Copy at most cap-1 bytes and NUL-terminate. */
void md_strlcpy(char *dst, const char *src, size_t cap);

#endif /* TP_MD_H */
