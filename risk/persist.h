/*  persist.h - risk's state file: written atomically, read back on start.
 *  Owns:  nothing beyond the call (file descriptors are closed before returning).
 *  Not:   what is in the file (risk_engine_save/restore, JSON).
 *  Write: `path`.tmp is written in full, fsync'd when `sync`, renamed over `path`, and the
 *  directory fsync'd when `sync` (so after a power loss the file is the old or the new one,
 *  never a mix; without `sync` a process crash still leaves old or new, as rename is atomic).
 */
#ifndef TP_RISK_PERSIST_H
#define TP_RISK_PERSIST_H

#include <stdbool.h>
#include <stddef.h>

/* 0, or -1 with errno from open/write/fsync/rename (ENAMETOOLONG if path + ".tmp" is too
 * long). */
int risk_persist_write(const char *path, const char *data, size_t len, bool sync);

/* Whole file as a malloc'd NUL-terminated string (caller frees), or NULL with errno (ENOENT
 * when there is no file yet, EFBIG above 16 MiB, ENOMEM). */
char *risk_persist_read(const char *path, size_t *len);

/* Set the state file aside: rename `path` to "<path minus .json>.<run_id>.json" (run_id NULL
 * or "": "norun"; when that name exists already, ".2", ".3", ... before .json), writing the
 * new name into aside[cap]. A state of another run is kept for a person to look at, never
 * restored into this one. 0, or -1 with errno from rename (ENAMETOOLONG, EEXIST after 100
 * tries). */
int risk_persist_set_aside(const char *path, const char *run_id, char *aside, size_t cap);

#endif /* TP_RISK_PERSIST_H */
