/*  curve.c - CURVE for tcp:// endpoints (see curve.h).
 *  Owns:  s_state (process-wide, set by curve_configure), the ZAP handler actor.
 *  Design: the ZAP handler (RFC 27, rfc.zeromq.org/spec/27) is a REP socket bound at
 *  inproc://zeromq.zap.01 in czmq's shared context, served by a zactor thread; libzmq asks it
 *  about every CURVE handshake on a server socket. Request frames: version "1.0", request id,
 *  domain, address, routing id, mechanism, then the client's 32-byte public key. Reply: version,
 *  request id, status "200"/"400", status text, user id, metadata.
 *  Counters are atomics: written by the handler thread, read by the stage's status.
 */
#include "common/curve.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

#define CURVE_MAX_KEYS 64
#define CURVE_EP_MAX   256

typedef struct {
    char name[32]; /* instance */
    char endpoints[4][CURVE_EP_MAX];
    size_t n_endpoints;
    uint8_t pub[32];  /* its public key */
    char pub_txt[41]; /* Z85 */
    bool allowed;     /* may connect to our servers */
} s_key_t;

static struct {
    bool on;
    zcert_t *cert; /* this instance's */
    s_key_t keys[CURVE_MAX_KEYS];
    size_t n_keys;
    zactor_t *zap;
    atomic_uint_fast64_t refused, accepted;
} s_state;

static log_limit_t s_refuse_limit;

/* ---- ZAP handler thread ------------------------------------------------------------------ */

static bool
s_allowed(const uint8_t *key, size_t len)
{
    if (len != 32) {
        return false;
    }
    for (size_t i = 0; i < s_state.n_keys; i++) {
        if (s_state.keys[i].allowed && memcmp(s_state.keys[i].pub, key, 32) == 0) {
            return true;
        }
    }
    return false;
}

static void
s_zap_actor(zsock_t *pipe, void *arg)
{
    (void)arg;
    zsock_t *zap = zsock_new(ZMQ_REP);
    if (zap == NULL || zsock_bind(zap, "inproc://zeromq.zap.01") < 0) {
        log_error("curve", "cannot bind the ZAP handler: %s", zmq_strerror(zmq_errno()));
        zsock_destroy(&zap);
        (void)zsock_signal(pipe, 1);
        return;
    }
    (void)zsock_signal(pipe, 0);
    zpoller_t *poller = zpoller_new(pipe, zap, NULL);
    while (poller != NULL) {
        void *which = zpoller_wait(poller, -1);
        if (which == pipe || which == NULL) {
            break; /* $TERM or interrupted: stop */
        }
        zmsg_t *req = zmsg_recv(zap);
        if (req == NULL) {
            break;
        }
        char *version = zmsg_popstr(req);
        char *request_id = zmsg_popstr(req);
        char *domain = zmsg_popstr(req);
        char *address = zmsg_popstr(req);
        char *routing = zmsg_popstr(req);
        char *mechanism = zmsg_popstr(req);
        zframe_t *cred = zmsg_pop(req);
        bool ok = version && strcmp(version, "1.0") == 0 && mechanism
                  && strcmp(mechanism, "CURVE") == 0 && cred
                  && s_allowed(zframe_data(cred), zframe_size(cred));
        if (ok) {
            atomic_fetch_add(&s_state.accepted, 1);
        } else {
            uint64_t n = atomic_fetch_add(&s_state.refused, 1) + 1;
            char key[41] = "?";
            if (cred != NULL && zframe_size(cred) == 32) {
                zmq_z85_encode(key, zframe_data(cred), 32);
            }
            char what[128];
            (void)snprintf(what, sizeof what, "refused a %s connection from %s (%llu refused)",
                           mechanism ? mechanism : "?", address ? address : "?",
                           (unsigned long long)n);
            /* the refused client's PUBLIC key names who knocked; only its first 8 z85
             * characters go to the log (a fingerprint: keys of any kind stay out of logs) */
            log_limited(&s_refuse_limit, LOG_WARN, "curve", what, key,
                        strlen(key) < 8 ? strlen(key) : 8);
        }
        zmsg_t *rep = zmsg_new();
        zmsg_addstr(rep, "1.0");
        zmsg_addstr(rep, request_id ? request_id : "");
        zmsg_addstr(rep, ok ? "200" : "400");
        zmsg_addstr(rep, ok ? "OK" : "key not allowed");
        zmsg_addstr(rep, "");
        zmsg_addmem(rep, "", 0);
        (void)zmsg_send(&rep, zap);
        zstr_free(&version);
        zstr_free(&request_id);
        zstr_free(&domain);
        zstr_free(&address);
        zstr_free(&routing);
        zstr_free(&mechanism);
        zframe_destroy(&cred);
        zmsg_destroy(&req);
    }
    zpoller_destroy(&poller);
    zsock_destroy(&zap);
}

/* ---- configuration ----------------------------------------------------------------------- */

int
curve_configure(cfg_t *cfg, const char *instance)
{
    static const char *const k_keys[] = { "curve", "keys_dir", "allow", NULL };
    bool on = false;
    char dir[512], path[700];

    if (cfg_has(cfg, "security") && cfg_check_keys(cfg, "security", k_keys) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (cfg_bool(cfg, "security.curve", false, &on) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (!on) {
        return 0;
    }
    if (cfg_path_str(cfg, "security.keys_dir", "{run}/keys", dir, sizeof dir) < 0) {
        errno = EINVAL;
        return -1;
    }
    curve_shutdown();
    (void)snprintf(path, sizeof path, "%s/%s.key", dir, instance);
    s_state.cert = zcert_load(path);
    if (s_state.cert == NULL) {
        log_error("curve", "cannot load certificate %s (and %s_secret): run `make keys`", path,
                  path);
        errno = ENOENT;
        return -1;
    }
    /* every instance under "endpoints": its public key and endpoints */
    json_t *eps = cfg_json(cfg, "endpoints");
    json_t *allow = cfg_json(cfg, "security.allow");
    const char *name;
    json_t *ep;
    json_object_foreach(eps, name, ep)
    {
        if (s_state.n_keys == CURVE_MAX_KEYS) {
            break;
        }
        s_key_t *k = &s_state.keys[s_state.n_keys];
        memset(k, 0, sizeof *k);
        (void)snprintf(k->name, sizeof k->name, "%s", name);
        (void)snprintf(path, sizeof path, "%s/%s.key", dir, name);
        zcert_t *c = zcert_load(path);
        if (c == NULL) {
            continue; /* no key: cannot be authenticated, cannot connect to us */
        }
        memcpy(k->pub, zcert_public_key(c), 32);
        (void)snprintf(k->pub_txt, sizeof k->pub_txt, "%s", zcert_public_txt(c));
        zcert_destroy(&c);
        const char *kind;
        json_t *v;
        json_object_foreach(ep, kind, v)
        {
            if (json_is_string(v) && k->n_endpoints < 4) {
                (void)snprintf(k->endpoints[k->n_endpoints++], CURVE_EP_MAX, "%s",
                               json_string_value(v));
            }
        }
        k->allowed = allow == NULL;
        for (size_t i = 0; json_is_array(allow) && i < json_array_size(allow); i++) {
            const char *a = json_string_value(json_array_get(allow, i));
            if (a != NULL && strcmp(a, name) == 0) {
                k->allowed = true;
            }
        }
        s_state.n_keys++;
    }
    s_state.zap = zactor_new(s_zap_actor, NULL);
    if (s_state.zap == NULL) {
        zcert_destroy(&s_state.cert);
        errno = ENOMEM;
        return -1;
    }
    s_state.on = true;
    log_info("curve", "CURVE on for tcp:// endpoints of %s (%zu known keys, keys in %s)", instance,
             s_state.n_keys, dir);
    return 0;
}

void
curve_shutdown(void)
{
    zactor_destroy(&s_state.zap);
    zcert_destroy(&s_state.cert);
    s_state.n_keys = 0;
    s_state.on = false;
}

bool
curve_enabled(void)
{
    return s_state.on;
}

static bool
s_is_tcp(const char *endpoint)
{
    const char *e = endpoint;
    if (e[0] == '@' || e[0] == '>') {
        e++;
    }
    return strncmp(e, "tcp://", 6) == 0;
}

int
curve_apply_server(zsock_t *sock, const char *endpoint)
{
    if (!s_state.on || !s_is_tcp(endpoint)) {
        return 0;
    }
    zcert_apply(s_state.cert, sock);
    zsock_set_curve_server(sock, 1);
    zsock_set_zap_domain(sock, "tradepipe");
    return 0;
}

/* The owner's public key of a tcp:// endpoint we connect to: the instance whose endpoint has the
 * same port (hosts differ between the binder's "tcp://0.0.0.0:P" or a wildcard host and the
 * connector's "tcp://host:P"), exact string first. */
static const s_key_t *
s_owner(const char *endpoint)
{
    const char *colon = strrchr(endpoint, ':');
    const s_key_t *by_port = NULL;
    for (size_t i = 0; i < s_state.n_keys; i++) {
        for (size_t j = 0; j < s_state.keys[i].n_endpoints; j++) {
            const char *e = s_state.keys[i].endpoints[j];
            if (strcmp(e, endpoint) == 0) {
                return &s_state.keys[i];
            }
            const char *c = strrchr(e, ':');
            if (by_port == NULL && colon != NULL && c != NULL && s_is_tcp(e)
                && strcmp(c, colon) == 0) {
                by_port = &s_state.keys[i];
            }
        }
    }
    return by_port;
}

int
curve_apply_client(zsock_t *sock, const char *endpoint)
{
    if (!s_state.on || !s_is_tcp(endpoint)) {
        return 0;
    }
    const s_key_t *owner = s_owner(endpoint);
    if (owner == NULL) {
        log_error("curve", "no public key for the owner of %s: cannot authenticate it", endpoint);
        errno = ENOENT;
        return -1;
    }
    zcert_apply(s_state.cert, sock);
    zsock_set_curve_serverkey(sock, owner->pub_txt);
    return 0;
}

uint64_t
curve_refused(void)
{
    return atomic_load(&s_state.refused);
}

uint64_t
curve_accepted(void)
{
    return atomic_load(&s_state.accepted);
}
