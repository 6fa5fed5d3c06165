/*  tap.h - pieces of the `tap` tool that do not touch sockets: which instances a STAGE argument
 *  names, and how one message is printed.
 *  Owns:  nothing.
 *  Line format (text mode): "<topic> <src>#<seq> evt=<iso> <body json>", evt as
 *  clock_fmt_iso (UTC, ms); --json mode: the whole message as codec_to_json.
 */
#ifndef TP_TAP_H
#define TP_TAP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/bus.h"
#include "common/cfg.h"

#define TAP_NAME_MAX 32

/* Instances named by `stage`: the instance itself if "endpoints" has that key ("feed.0"), else
 * every instance of that role ("feed" -> "feed.0", "feed.1", in file order). Writes up to
 * `max` names. Returns the count, or -1 with errno ENOENT (no such instance or role). */
int tap_targets(const cfg_t *cfg, const char *stage, char names[][TAP_NAME_MAX], size_t max);

/* Format one message into out[cap] (NUL-terminated, no newline). Returns the length, or -1
 * with errno ENOBUFS (cap too small) or EPROTO (the message does not decode). */
int tap_format(const bus_msg_t *msg, bool json, char *out, size_t cap);

#endif /* TP_TAP_H */
