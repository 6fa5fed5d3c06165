/*  pipeline.h - the group in one process: venue-sim's data and steps, the feed's sessions
 *  (venue parsers and books), the signal engine, the risk engine, the executor (paper venue
 *  and order table) and the recorder's writer, joined by the in-process bus (xbus.h), each
 *  stage ordering its inputs with its own step_t (common/step.h) exactly as its binary does.
 *  Owns:  every engine, the bus, the loaded frames, the kline CSV stream (kstream.h), the
 *         database writer (none with PIPELINE_RECORD_NONE).
 *  Not:   argument parsing and the summary (main.c).
 *  What each stage does per message is the stage modules' code, called as the stage's main.c
 *  calls it, through their decoded entry points (the struct handed over, not its bytes): feed
 *  session_frame / session_kline / session_announce (feed/session.h), signal engine_on_body,
 *  risk_engine_on_body, exec_observe_body / exec_request / exec_deliver_body / exec_barrier,
 *  writer_add (the message encoded right before it).
 *  The differences from the group are only in transport: messages go through xbus instead of
 *  ZeroMQ, decoded, an order request is answered by calling exec_request (no REQ/REP), REST
 *  answers (Bybit instruments-info, Binance depth snapshots) come from the files venue-sim
 *  would serve, the frames of a step go straight to the session that subscribed to them (kline
 *  CSV rows as the kline event), and venue-sim's hello is sent once (the group repeats it
 *  until the pipeline has joined; docs/backtest.md).
 *  Instances: every feed.* instance under "endpoints", and exactly one each of signal, risk,
 *  executor (venue "paper") and recorder; else pipeline_new refuses the config.
 *  Single-threaded.
 */
#ifndef TP_BT_PIPELINE_H
#define TP_BT_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"
#include "tools/venue-sim/source.h"

typedef struct pipeline pipeline_t;

typedef struct {
    uint64_t frames;           /* recorded frames in the timeline */
    uint64_t handed;           /* frames handed to a feed session (subscribed ones) */
    uint64_t steps;            /* steps run (without the hello) */
    uint64_t messages;         /* messages delivered by the bus */
    uint64_t recorded;         /* messages queued for the database */
    uint64_t feed_events;      /* messages the feed sessions published (barriers aside) */
    int64_t first_ms, last_ms; /* event time span of the timeline, ms */
} pipeline_stats_t;

/* What is written to the database (backtest --record). */
typedef enum {
    PIPELINE_RECORD_FULL = 0, /* every message, as the group's recorder records them */
    PIPELINE_RECORD_TRADING,  /* sig.signal, exec.order, exec.fill, exec.position,
                                 exec.balance: their events rows and the signals, orders,
                                 fills, positions and balances tables, as the group writes them */
    PIPELINE_RECORD_NONE      /* no recorder, no database: nothing written */
} pipeline_record_t;

/* Counts kept in memory in every mode (what the summary prints when nothing is written).
 * Money at MONEY_VALUE_SCALE. */
typedef struct {
    uint64_t messages;      /* messages the feeds, signal, risk and executor published, barriers
                               aside: what the recorder is given with --record full */
    uint64_t signals;       /* sig.signal */
    uint64_t order_updates; /* exec.order */
    uint64_t fills;         /* exec.fill */
    uint64_t balances;      /* exec.balance */
    int64_t realized_pnl;   /* sum of exec.fill realized_pnl (gross) */
    int64_t fees;           /* sum of exec.fill fee */
    int64_t end_wallet;     /* wallet of the last exec.balance */
} pipeline_tally_t;

/* Build the pipeline from `cfg` (borrowed; must outlive it), writing the database `db`
 * (created; an existing file is refused). Reads and loads everything the stages and venue-sim
 * would read at start. NULL with errno EINVAL (bad config: the reason in cfg_error(cfg)),
 * EEXIST (db exists) or the error of loading data/opening the database (logged). */
pipeline_t *pipeline_new(cfg_t *cfg, const char *db);

/* pipeline_new with a record mode; `db` is not used (may be NULL) with PIPELINE_RECORD_NONE. */
pipeline_t *pipeline_new_record(cfg_t *cfg, const char *db, pipeline_record_t record);
void pipeline_destroy(pipeline_t **self_p);

/* Run the whole replay: hello, every step to the end barrier, the final commit. 0, or -1
 * with errno EIO (a commit failed) or EPROTO (a connection's refused frames passed
 * feed.max_refused_pct: the run stops after that step, as the feed stops a replay); logged. */
int pipeline_run(pipeline_t *self);

const pipeline_stats_t *pipeline_stats(const pipeline_t *self);

/* Feed only (backtest --feed-only, the floor of the L2 bench row): the frames go through the
 * feed's parsers and books as in a run, and what the sessions publish is counted and
 * dropped; no barrier, nothing downstream runs. Call before pipeline_run. */
void pipeline_set_feed_only(pipeline_t *self, bool on);

/* The in-memory counts (every record mode). */
const pipeline_tally_t *pipeline_tally(const pipeline_t *self);

/* Decoded bodies still held by a receiver (xbus_live_bodies): after a run, those of messages
 * no step delivered (published after the end barrier). */
uint64_t pipeline_live_bodies(const pipeline_t *self);

/* The loaded data (tools/venue-sim/source.h: files read, bad rows skipped, kline gaps).
 * Borrowed, valid until pipeline_destroy. */
const source_t *pipeline_source(const pipeline_t *self);

/* The run id stamped on every row of the database (common/runid.h runid_make: a new one per
 * backtest; a clean end marks the run clean in the `runs` table). Borrowed. */
const char *pipeline_run_id(const pipeline_t *self);

#endif /* TP_BT_PIPELINE_H */
