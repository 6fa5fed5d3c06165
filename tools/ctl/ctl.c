/*  ctl.c - control-socket helpers for the ctl tool (see ctl.h).
 *  Owns:  the REQ sockets of one ctl_query_many call (closed before it returns).
 */
#include "tools/ctl/ctl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>
#include <jansson.h>

#include "common/clock.h"

int
ctl_query_many(const char *const *eps, size_t n, const char *cmd, int timeout_ms, char **replies)
{
    zsock_t **socks = calloc(n ? n : 1, sizeof *socks);
    zmq_pollitem_t *items = calloc(n ? n : 1, sizeof *items);
    size_t *idx = calloc(n ? n : 1, sizeof *idx);
    int got = 0;

    if (socks == NULL || items == NULL || idx == NULL) {
        free(socks);
        free(items);
        free(idx);
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        replies[i] = NULL;
        if (eps[i] == NULL) {
            continue;
        }
        socks[i] = zsock_new(ZMQ_REQ);
        if (socks[i] == NULL) {
            continue; /* counts as no answer */
        }
        zsock_set_linger(socks[i], 0);
        zsock_set_sndtimeo(socks[i], 0);
        if (zsock_connect(socks[i], "%s", eps[i]) < 0
            || zmq_send(zsock_resolve(socks[i]), cmd, strlen(cmd), ZMQ_DONTWAIT) < 0) {
            /* ipc:// to a missing socket still connects; a failure here is a bad endpoint */
            zsock_destroy(&socks[i]);
        }
    }
    int64_t deadline = clock_mono_ns() + (int64_t)timeout_ms * CLOCK_NS_PER_MS;
    for (;;) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (socks[i] != NULL && replies[i] == NULL) {
                items[m] =
                    (zmq_pollitem_t){ .socket = zsock_resolve(socks[i]), .events = ZMQ_POLLIN };
                idx[m++] = i;
            }
        }
        int64_t left_ms = (deadline - clock_mono_ns()) / CLOCK_NS_PER_MS;
        if (m == 0 || left_ms <= 0) {
            break;
        }
        int rc = zmq_poll(items, (int)m, (long)left_ms);
        if (rc < 0) {
            if (zmq_errno() == EINTR) {
                continue;
            }
            break;
        }
        for (size_t k = 0; k < m; k++) {
            if (!(items[k].revents & ZMQ_POLLIN)) {
                continue;
            }
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, items[k].socket, ZMQ_DONTWAIT) >= 0) {
                size_t len = zmq_msg_size(&msg);
                char *r = malloc(len + 1);
                if (r != NULL) {
                    memcpy(r, zmq_msg_data(&msg), len);
                    r[len] = '\0';
                    replies[idx[k]] = r;
                    got++;
                }
            }
            zmq_msg_close(&msg);
            if (replies[idx[k]] == NULL) {
                zsock_destroy(&socks[idx[k]]); /* stop waiting on a broken socket */
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        zsock_destroy(&socks[i]); /* NULL-safe */
    }
    free(socks);
    free(items);
    free(idx);
    return got;
}

int
ctl_state_of(const char *reply, char *out, size_t cap)
{
    json_error_t jerr;
    json_t *root = json_loads(reply, 0, &jerr);
    const char *state = NULL;

    if (root == NULL) {
        errno = EPROTO;
        return -1;
    }
    json_t *replay = json_object_get(root, "replay");
    if (json_is_string(json_object_get(replay, "state"))) {
        state = json_string_value(json_object_get(replay, "state"));
    } else if (json_is_string(json_object_get(root, "state"))) {
        state = json_string_value(json_object_get(root, "state"));
    }
    if (state == NULL) {
        json_decref(root);
        errno = EPROTO;
        return -1;
    }
    if (strlen(state) >= cap) {
        json_decref(root);
        errno = ENOBUFS;
        return -1;
    }
    (void)snprintf(out, cap, "%s", state);
    json_decref(root);
    return 0;
}

size_t
ctl_instances(const cfg_t *cfg, char names[][CTL_NAME_MAX], size_t max)
{
    json_t *eps = cfg_json(cfg, "endpoints");
    const char *key;
    json_t *val;
    size_t n = 0;

    if (!json_is_object(eps)) {
        return 0;
    }
    json_object_foreach(eps, key, val)
    {
        if (n < max && json_is_string(json_object_get(val, "ctl"))) {
            (void)snprintf(names[n++], CTL_NAME_MAX, "%s", key);
        }
    }
    return n;
}
