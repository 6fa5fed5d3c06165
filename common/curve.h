/*  curve.h - CURVE security for tcp:// bus endpoints (czmq zcert + a ZAP handler thread).
 *  Owns:  the process-wide CURVE state: this instance's certificate, the public keys of the
 *         endpoint owners (to authenticate the servers we connect to), the allow-list of client
 *         public keys, and the ZAP handler actor that applies it.
 *  Not:   key generation (tools/ctl/keys.c, `make keys`), ipc:// endpoints (protected by the
 *         0700 run directory instead).
 *  Config ("security" section, all optional; absent or curve=false -> everything stays plain):
 *    security.curve     bool, false   require CURVE on every tcp:// PUB/REP bind and connect
 *    security.keys_dir  string, "{run}/keys"  zcert files <instance>.key (public) and
 *                       <instance>.key_secret (secret, this host only)
 *    security.allow     array of instance names whose public keys may connect to this
 *                       process's tcp:// sockets (default: every instance under "endpoints")
 *  Behaviour: a server socket (bind on tcp://) gets this instance's secret key and
 *  curve_server=1; the ZAP handler accepts a client only if its public key is one of the
 *  allowed instances' keys, else refuses it (counted: curve_refused(), logged rate-limited with
 *  the key). A client socket (connect to tcp://) gets this instance's keys and the server key of
 *  the endpoint's owner (the instance whose endpoint string matches).
 */
#ifndef TP_CURVE_H
#define TP_CURVE_H

#include <stdbool.h>
#include <stdint.h>

#include <czmq.h>

#include "common/cfg.h"

/* Read the security section for `instance` and, when curve is on, load the certificates and
 * start the ZAP handler. Call once per process before creating sockets. 0 (also when curve is
 * off), or -1 with errno ENOENT (a certificate file is missing: logged with its path), EINVAL
 * (bad config: cfg_error set) or ENOMEM. */
int curve_configure(cfg_t *cfg, const char *instance);

/* Stop the ZAP handler and forget the keys (no-op when not configured). */
void curve_shutdown(void);

bool curve_enabled(void);

/* Hooks for bus.c: before zsock_bind / zsock_connect of `endpoint`. No-op (0) unless curve is
 * on and the endpoint is tcp://. -1 with errno ENOENT when connecting to a tcp:// endpoint
 * whose owner's public key is unknown (logged). */
int curve_apply_server(zsock_t *sock, const char *endpoint);
int curve_apply_client(zsock_t *sock, const char *endpoint);

/* Connections refused by the ZAP handler so far (a client without an allowed key). */
uint64_t curve_refused(void);
uint64_t curve_accepted(void);

#endif /* TP_CURVE_H */
