/*  writer.h - batches bus messages and writes them into the recorder database: one `events`
 *  row per message plus one row in the typed table of its kind, and `gaps` rows.
 *  Owns:  the sqlite3 handle (opened through schema_open), the prepared statements, and the
 *         pending batch: copies of the messages not yet committed (an arena that grows to the
 *         largest batch and is then reused).
 *  Not:   sockets, ordering (step.h delivers in order), the timer (main.c calls writer_tick).
 *  Batching: messages are buffered by writer_add and written in one transaction by
 *  writer_commit, which runs when batch_max messages are pending (from writer_add) or when the
 *  oldest pending one is batch_ms old (from writer_tick). A database error (locked, read-only,
 *  full) rolls the transaction back, is logged with sqlite3_errmsg and the path, counted
 *  (db_errors), and the same batch is tried again at the next commit. While the database keeps
 *  failing the batch may grow to WRITER_PENDING_FACTOR x batch_max messages; beyond that new
 *  messages are dropped and counted (dropped).
 *  Units: times in ns (wall clock for recv_ts / gap ts, monotonic for batch age).
 *  Invariants (writer_check):
 *    (1) n_pending <= WRITER_PENDING_FACTOR * batch_max
 *    (2) every pending record lies inside the arena
 *    (3) n_pending == 0 iff the batch start time is unset (0)
 */
#ifndef TP_WRITER_H
#define TP_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "common/bus.h"
#include "common/runid.h"

#define WRITER_PENDING_FACTOR 20

typedef struct writer writer_t;

typedef struct {
    uint64_t events;         /* events rows committed */
    uint64_t rows;           /* rows committed over all tables (events, typed, gaps) */
    uint64_t commits;        /* successful transactions */
    uint64_t gaps;           /* gaps rows committed */
    uint64_t db_errors;      /* failed transactions (each retried) */
    uint64_t bad;            /* messages whose body did not decode (events row kept, body NULL) */
    uint64_t dropped;        /* messages refused because the pending batch was full */
    uint64_t pending;        /* messages + gaps waiting for the next commit */
    int64_t last_commit_ns;  /* wall clock of the last successful commit, 0 = none */
    int last_rc;             /* sqlite extended result code of the last failed commit, 0 = none */
    int failing;             /* 1 while the last commit attempt failed */
    uint64_t resume_gaps;    /* gaps found at a restart: jumps past the last seq stored */
    uint64_t resume_missing; /* messages in those gaps */
} writer_stats_t;

/* What writer_begin_run found in the `runs` table. */
typedef struct {
    bool resumed;             /* the run had a row already: this recorder is a restart within it */
    bool this_unclean;        /* resumed, and the previous recorder of this run did not stop
                                 cleanly (killed, crashed, power loss): counted in unclean_stops */
    bool prev_unclean;        /* a new run, and the previous run's last recorder did not stop
                                 cleanly */
    char prev_run[RUNID_MAX]; /* the previous run's id ("" = none) */
    int64_t starts;           /* recorder starts in this run, this one included */
    size_t publishers;        /* (src, epoch) pairs with rows of this run (resume: gap checks) */
} writer_run_info_t;

/* What a failed commit's sqlite result code means to an operator: "locked" (SQLITE_BUSY /
 * SQLITE_LOCKED: another process holds the write lock), "read_only" (SQLITE_READONLY*),
 * "disk_full" (SQLITE_FULL), "io_error" (SQLITE_IOERR*, SQLITE_CANTOPEN), "corrupt"
 * (SQLITE_CORRUPT, SQLITE_NOTADB), else "db_error". Static strings. */
const char *writer_rc_kind(int sqlite_rc);

/* Open the database at `path` (schema_open: WAL, synchronous=NORMAL, migrated) and prepare the
 * statements. batch_max >= 1 messages, batch_ms >= 1. Returns the writer (free with
 * writer_destroy) or NULL with errno EINVAL (bad argument), EIO / EPROTO (from schema_open),
 * ENOMEM. */
writer_t *writer_new(const char *path, size_t batch_max, int64_t batch_ms);

/* Commit what is pending (best effort, logged on failure), finalize, close. No-op on NULL. */
void writer_destroy(writer_t **self_p);

/* Queue one message (copied: msg->data may be reused after the call). `recv_ns` = wall time
 * the recorder took it (events.recv_ts); `now_mono_ns` = monotonic now (starts the batch age).
 * Commits when batch_max messages are pending. Returns 0 (queued, and committed if due: a
 * failed commit is counted in db_errors and still returns 0), or -1 with errno ENOBUFS (batch
 * full, message dropped and counted) or ENOMEM. */
int writer_add(writer_t *self, const bus_msg_t *msg, int64_t recv_ns, int64_t now_mono_ns);

/* Queue a gaps row: publisher `src`/`epoch` skipped seq from_seq..to_seq (inclusive,
 * from_seq <= to_seq), seen at wall time ts_ns. 0, or -1 with errno EINVAL / ENOMEM. */
int writer_add_gap(writer_t *self, const char *src, int64_t epoch, uint64_t from_seq,
                   uint64_t to_seq, int64_t ts_ns, int64_t now_mono_ns);

/* If msg->gap > 0 (bus.h gap rule: msg->gap messages from msg->env.src are missing before
 * msg->env.seq), queue the gaps row for seq (seq - gap) .. (seq - 1). 0 (also when there is no
 * gap), or -1 with errno EINVAL (gap >= seq: impossible range) / ENOBUFS / ENOMEM. */
int writer_add_gap_of(writer_t *self, const bus_msg_t *msg, int64_t ts_ns, int64_t now_mono_ns);

/* Commit if the oldest pending message is at least batch_ms old. 0, or -1 with errno EIO when a
 * commit was due and failed (the batch stays pending). */
int writer_tick(writer_t *self, int64_t now_mono_ns);

/* Write everything pending in one transaction now. 0 (also when nothing is pending), or -1
 * with errno EIO (rolled back, logged, counted; the batch stays pending for the next try). */
int writer_commit(writer_t *self);

void writer_stats(const writer_t *self, writer_stats_t *out);
const char *writer_path(const writer_t *self); /* borrowed, valid for the writer's life */

/* The database handle (borrowed, valid for the writer's life; tests read back through it). */
sqlite3 *writer_db(writer_t *self);

void writer_check(const writer_t *self); /* asserts invariants (1)-(3) */

/* Runs (docs/recorder.md "Runs"). From this call on every row is stamped with `run_id`
 * (runid_valid; before it, and without it, run_id is NULL). Commits what is pending first,
 * then records the start in `runs`: a new run gets a row (started_ns = now_ns wall clock,
 * clean 0); a run that has a row already is a restart within it (starts + 1, clean 0, and
 * unclean_stops + 1 when the previous recorder did not end cleanly). A restart also reads the
 * last seq stored per (src, epoch) of the run, for writer_resume_gap. *info says what was
 * found. 0, or -1 with errno EINVAL (bad id) / EIO (sql, logged). */
int writer_begin_run(writer_t *self, const char *run_id, int64_t now_ns, writer_run_info_t *info);

/* A clean end: commit everything, then mark the run's row clean = 1, ended_ns = now_ns.
 * Called only after a stop on SIGTERM/SIGINT. 0 (also without a run), or -1 with errno EIO
 * (the commit or the update failed: the run stays not clean). */
int writer_end_run(writer_t *self, int64_t now_ns);

/* Record the config the run was started with in its `runs` row (schema 4: config,
 * config_path; a restart within the run overwrites them with its own). `json` the config as
 * JSON with its secrets already hidden (recorder_config_dump), `path` the file it came from.
 * Call after writer_begin_run. 0, or -1 with errno EINVAL (no run begun) / EIO (sql, logged). */
int writer_set_run_config(writer_t *self, const char *path, const char *json);

/* The run id set by writer_begin_run ("" before). Borrowed. */
const char *writer_run_id(const writer_t *self);

/* The restart gap rule: if `msg` is the first message since writer_begin_run from a
 * (src, epoch) that has rows of this run, and its seq jumps past the last one stored, queue
 * the gaps row last+1 .. seq-1 (the messages published while no recorder was running) and
 * count it (resume_gaps, resume_missing). Returns 1 (gap queued), 0 (none), -1 with errno
 * (ENOBUFS / ENOMEM from writer_add_gap). */
int writer_resume_gap(writer_t *self, const bus_msg_t *msg, int64_t ts_ns, int64_t now_mono_ns);

#endif /* TP_WRITER_H */
