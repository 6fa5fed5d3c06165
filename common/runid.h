/*  runid.h - the identity of one run of the group on one run directory.
 *  A run id is "<UTC start>-<8 hex>" ("20261207T170102Z-3fa9c1d2": the start time to the second
 *  and 32 random bits from getrandom(2)), at most RUNID_MAX - 1 characters of [0-9A-Za-z-].
 *  It lives in the file {run}/run.id (mode 0600, one line). `tools/sv up` writes a fresh one
 *  for every start of the group (unless asked to resume); a process that finds none creates it
 *  (link(2) of a complete file: the first one wins, the others read the winner's), so every
 *  process of one group agrees on it, and a stage restarted alone keeps it.
 *  Uses: venue-sim announces it and the feed refuses a venue-sim of another run; the recorder
 *  stamps it on every row; risk's replay state is only restored within the same run.
 */
#ifndef TP_RUNID_H
#define TP_RUNID_H

#include <stdbool.h>
#include <stddef.h>

#define RUNID_MAX 40

/* Read {run_dir}/run.id into out[cap] (cap >= RUNID_MAX), creating the file with a fresh id
 * if it does not exist. 0, or -1 with errno (EINVAL: the file holds no valid id; an I/O error
 * from open/read/write). */
int runid_get(const char *run_dir, char *out, size_t cap);

/* Write a fresh id to {run_dir}/run.id, replacing any (temp file + rename), into out[cap].
 * 0 or -1 with errno. */
int runid_new(const char *run_dir, char *out, size_t cap);

/* Read {run_dir}/run.id without creating it. 0, or -1 with errno (ENOENT: no file). */
int runid_read(const char *run_dir, char *out, size_t cap);

/* A fresh id into out[cap] (no file). 0 or -1 with errno (EINVAL: cap too small). */
int runid_make(char *out, size_t cap);

/* true if s is a well-formed id (non-empty, < RUNID_MAX, only [0-9A-Za-z-]). */
bool runid_valid(const char *s);

#endif /* TP_RUNID_H */
