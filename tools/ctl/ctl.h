/*  ctl.h - the parts of the `ctl` tool worth testing alone: asking several control sockets at
 *  once, reading a state out of a status reply, and listing the instances of a config.
 *  Owns:  nothing between calls (sockets live for one ctl_query_many call).
 *  Protocol (common/stage.h): a request is one text frame, the reply one frame of JSON.
 */
#ifndef TP_CTL_H
#define TP_CTL_H

#include <stddef.h>

#include "common/cfg.h"

#define CTL_NAME_MAX 32

/* Send `cmd` to every endpoint in eps[n] at once (a fresh REQ each, linger 0) and wait up to
 * timeout_ms in total for the replies. replies[i] receives a malloc'd NUL-terminated reply
 * (caller frees) or NULL when eps[i] is NULL or did not answer in time. Returns the number of
 * replies received (0..n), or -1 with errno ENOMEM. */
int ctl_query_many(const char *const *eps, size_t n, const char *cmd, int timeout_ms,
                   char **replies);

/* The state word of a status reply: reply.replay.state if that is a string, else reply.state.
 * Copies it into out[cap]. 0, or -1 with errno EPROTO (not JSON / no state) or ENOBUFS. */
int ctl_state_of(const char *reply, char *out, size_t cap);

/* Every instance under "endpoints" that has a "ctl" endpoint, in file order; up to max.
 * Returns the count. */
size_t ctl_instances(const cfg_t *cfg, char names[][CTL_NAME_MAX], size_t max);

#endif /* TP_CTL_H */
