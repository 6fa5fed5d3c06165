/*  schema.h - the recorder's SQLite database: open with the house pragmas, create and
 *  migrate the schema (PRAGMA user_version).
 *  Owns:  nothing beyond the call (the caller owns the sqlite3 handle it gets back).
 *  Not:   writing messages (recorder/writer), reading reports (tools/report).
 *  Versions: k_migrations[] in schema.c is a table of steps; step i brings user_version from
 *  i to i+1 inside one transaction. A later version appends a step, never edits an old one.
 *  Tables and columns are documented in docs/recorder.md.
 *  Invariants:
 *    (1) after schema_open/schema_migrate succeed, user_version == SCHEMA_VERSION
 *    (2) every money column X (decimal TEXT from money_fmt) has a sibling X_m (INTEGER
 *        mantissa) at the scale named in the row (px_scale, qty_scale) or MONEY_VALUE_SCALE
 */
#ifndef TP_SCHEMA_H
#define TP_SCHEMA_H

#include <sqlite3.h>

#define SCHEMA_VERSION 4

/* Open (creating if absent) the database at `path`, set WAL journal mode, synchronous=NORMAL,
 * foreign_keys off, busy_timeout `busy_ms`, and migrate to SCHEMA_VERSION. Returns the handle
 * (caller closes it with sqlite3_close) or NULL with errno:
 *   EIO     sqlite could not open or configure the file (logged with sqlite3_errmsg and path)
 *   EROFS   the file can only be opened read-only (mode, owner or mount): refused
 *   EPROTO  the file's user_version is newer than this binary knows (refused, not touched)
 *   ENOMEM  out of memory */
sqlite3 *schema_open(const char *path, int busy_ms);

/* Bring an open database to SCHEMA_VERSION. 0, or -1 with errno EIO (an SQL step failed; the
 * step was rolled back, user_version unchanged) or EPROTO (file newer than this binary). */
int schema_migrate(sqlite3 *db);

/* Bring an open database up to version `target` (0..SCHEMA_VERSION) and no further: what a
 * binary of that older version would have made (tests build "previous version" files with it).
 * 0, or -1 with errno EINVAL (target out of range), EIO, EPROTO (as schema_migrate). A file
 * already at or above `target` (but not newer than SCHEMA_VERSION) is left as it is. */
int schema_migrate_to(sqlite3 *db, int target);

/* PRAGMA user_version of `db`, or -1 with errno EIO. */
int schema_version(sqlite3 *db);

#endif /* TP_SCHEMA_H */
