/*  tap.c - target resolution and line formatting for the tap tool (see tap.h).
 *  Owns:  nothing; no allocation.
 */
#include "tools/tap/tap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/codec.h"

int
tap_targets(const cfg_t *cfg, const char *stage, char names[][TAP_NAME_MAX], size_t max)
{
    json_t *eps = cfg_json(cfg, "endpoints");

    if (stage == NULL || stage[0] == '\0' || max == 0) {
        errno = ENOENT;
        return -1;
    }
    if (json_is_object(eps) && json_object_get(eps, stage) != NULL) {
        (void)snprintf(names[0], TAP_NAME_MAX, "%s", stage);
        return 1;
    }
    size_t n = cfg_instances(cfg, stage, names, max);
    if (n == 0) {
        errno = ENOENT;
        return -1;
    }
    return (int)n;
}

int
tap_format(const bus_msg_t *msg, bool json, char *out, size_t cap)
{
    if (json) {
        return codec_to_json(msg->data, msg->len, out, cap);
    }
    char iso[32];
    int head = snprintf(out, cap, "%s %s#%" PRIu64 " evt=%s ", msg->topic, msg->env.src,
                        msg->env.seq, clock_fmt_iso(msg->env.evt, iso, sizeof iso));
    if (head < 0 || (size_t)head >= cap) {
        errno = ENOBUFS;
        return -1;
    }
    int body = codec_body_to_json(msg->data, msg->len, out + head, cap - (size_t)head);
    if (body < 0) {
        return -1;
    }
    return head + body;
}
