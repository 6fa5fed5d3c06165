/*  pipeline.h - the group in one process: venue-sim's data and steps, the feed's sessions
 *  (venue parsers and books), the signal engine, the risk engine, the executor (paper venue
 *  and order table) and the recorder's writer, joined by the in-process bus (xbus.h), each
 *  stage ordering its inputs with its own step_t (common/step.h) exactly as its binary does.
 *  Owns:  every engine, the bus, the loaded data, the database writer.
 *  Not:   argument parsing and the summary (main.c).
 *  What each stage does per message is the stage modules' code, called as the stage's main.c
 *  calls it: feed session_frame / session_announce (feed/session.h), signal engine_on_msg,
 *  risk_engine_on_msg, exec_observe / exec_request / exec_deliver / exec_barrier, writer_add.
 *  The differences from the group are only in transport: messages go through xbus instead of
 *  ZeroMQ, an order request is answered by calling exec_request (no REQ/REP), REST answers
 *  (Bybit instruments-info, Binance depth snapshots) come from the files venue-sim would serve,
 *  the frames of a step go straight to the session that subscribed to them, and venue-sim's
 *  hello is sent once (the group repeats it until the pipeline has joined; docs/backtest.md).
 *  Instances: every feed.* instance under "endpoints", and exactly one each of signal, risk,
 *  executor (venue "paper") and recorder; else pipeline_new refuses the config.
 *  Single-threaded.
 */
#ifndef TP_BT_PIPELINE_H
#define TP_BT_PIPELINE_H

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
    int64_t first_ms, last_ms; /* event time span of the timeline, ms */
} pipeline_stats_t;

/* Build the pipeline from `cfg` (borrowed; must outlive it), writing the database `db`
 * (created; an existing file is refused). Reads and loads everything the stages and venue-sim
 * would read at start. NULL with errno EINVAL (bad config: the reason in cfg_error(cfg)),
 * EEXIST (db exists) or the error of loading data/opening the database (logged). */
pipeline_t *pipeline_new(cfg_t *cfg, const char *db);
void pipeline_destroy(pipeline_t **self_p);

/* Run the whole replay: hello, every step to the end barrier, the final commit. 0, or -1
 * with errno EIO (a commit failed) or EPROTO (a connection's refused frames passed
 * feed.max_refused_pct: the run stops after that step, as the feed stops a replay); logged. */
int pipeline_run(pipeline_t *self);

const pipeline_stats_t *pipeline_stats(const pipeline_t *self);

/* The loaded data (tools/venue-sim/source.h: files read, bad rows skipped, kline gaps).
 * Borrowed, valid until pipeline_destroy. */
const source_t *pipeline_source(const pipeline_t *self);

/* The run id stamped on every row of the database (common/runid.h runid_make: a new one per
 * backtest; a clean end marks the run clean in the `runs` table). Borrowed. */
const char *pipeline_run_id(const pipeline_t *self);

#endif /* TP_BT_PIPELINE_H */
