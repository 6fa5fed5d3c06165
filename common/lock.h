/*  lock.h - one running process per name in a directory: an exclusive flock(2) on
 *  {dir}/{name}.lock, taken before the process binds anything and held for its life.
 *  Owns:  the open file descriptor of the lock file (the lock goes with it: on lock_destroy,
 *         or when the process dies in any way, the kernel releases it, so a stale file never
 *         blocks a later start).
 *  The holder writes its pid (decimal, one line) into the file after taking the lock, so a
 *  refused second start can name it. Stages take "<instance>" in the run directory
 *  (stage_new), which makes a second `risk -i risk.0` on the same run directory exit before
 *  it can bind over the first one's ipc:// endpoints.
 */
#ifndef TP_LOCK_H
#define TP_LOCK_H

#include <sys/types.h>

typedef struct lock lock_t;

/* Take the lock {dir}/{name}.lock (created 0600 if missing; dir must exist), without
 * waiting. Returns the lock, or NULL with errno: EWOULDBLOCK when another process holds it
 * (*holder_pid = its pid as written in the file, or 0 if it has not written it yet);
 * ENAMETOOLONG; an error from open/flock/write. holder_pid may be NULL. */
lock_t *lock_new(const char *dir, const char *name, pid_t *holder_pid);

/* Release the lock and close the file (the file stays: removing it would race with a
 * process that just opened it). NULL *self_p is ignored. */
void lock_destroy(lock_t **self_p);

/* Path of the lock file (borrowed, valid as long as the lock). */
const char *lock_path(const lock_t *self);

#endif /* TP_LOCK_H */
