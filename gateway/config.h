/*  config.h - everything the gateway stage reads from the config file, read and checked in one
 *  place (docs/architecture.md refinement 12: gateway/main.c is wiring only).
 *  Owns:  gateway_config_t, a plain value (strings copied in).
 *  Not:   the tokens themselves (gateway/auth.h reads them from the environment or the file
 *         named here), sockets, the HTTP daemon.
 *  Keys (docs/config.md "gateway"; every one needs a restart): gateway.bind, gateway.port,
 *  gateway.insecure, gateway.tls_cert, gateway.tls_key, gateway.tokens_file, gateway.max_body,
 *  gateway.ctl_timeout_ms, gateway.ready_hb_max_ms, gateway.sse_ring, gateway.sse_heartbeat_s,
 *  gateway.control_per_min, gateway.history, gateway.webhooks[] {url, events[], min_level,
 *  format}, gateway.webhook_queue, gateway.webhook_retries, gateway.webhook_backoff_max_ms.
 *  An unknown key in "gateway" is an error naming it.
 *  Errors: 0, or -1 with errno EINVAL and cfg_error(cfg) = "<file>:<line>: <key>: <why>".
 */
#ifndef TP_GATEWAY_CONFIG_H
#define TP_GATEWAY_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"
#include "gateway/webhook.h"

#define GATEWAY_PORT_FILE "gateway.port"

typedef struct {
    char bind[64];           /* gateway.bind: numeric IPv4/IPv6 address ("127.0.0.1") */
    bool loopback;           /* bind is 127.0.0.0/8 or ::1 */
    int64_t port;            /* gateway.port, 0..65535; 0 = a free port, written to
                                {run}/gateway.port (0) */
    bool insecure;           /* gateway.insecure: allow a non-loopback bind without TLS (false) */
    char tls_cert[512];      /* gateway.tls_cert: PEM certificate file ("" = no TLS) */
    char tls_key[512];       /* gateway.tls_key: PEM private key file, mode 0600 ("") */
    char tokens_file[512];   /* gateway.tokens_file: JSON {"read":..,"control":..}, 0600 ("") */
    int64_t max_body;        /* gateway.max_body: request body limit, bytes, 64..1048576 (4096) */
    int64_t ctl_timeout_ms;  /* gateway.ctl_timeout_ms: wait for a stage's answer, ms,
                                50..30000 (2000) */
    int64_t ready_hb_max_ms; /* gateway.ready_hb_max_ms: oldest heartbeat /ready accepts, ms,
                                100..600000 (3000) */
    int64_t sse_ring;        /* gateway.sse_ring: events kept for Last-Event-ID, 16..100000
                                (1024) */
    int64_t sse_heartbeat_s; /* gateway.sse_heartbeat_s: comment line period, s, 1..300 (15) */
    int64_t control_per_min; /* gateway.control_per_min: POST /control calls a minute,
                                1..10000 (30) */
    webhook_target_t webhooks[WEBHOOK_TARGETS_MAX]; /* gateway.webhooks ([]) */
    size_t n_webhooks;
    int64_t webhook_queue;          /* deliveries waiting at most, 1..100000 (256) */
    int64_t webhook_retries;        /* retries of one delivery, 0..1000 (10) */
    int64_t webhook_backoff_max_ms; /* longest wait between tries, ms, 250..3600000 (30000) */
    char history_inst[32];          /* the recorder instance asked for history ("recorder.0"; "" =
                                       the config has none) */
} gateway_config_t;

/* Read and check everything gateway instance `instance` ("gateway.0") reads into *out.
 * 0, or -1/EINVAL with cfg_error(cfg) naming file, line and key. Reads files only to check
 * them (a TLS file must open; a tokens file must be a regular file of mode 0600). */
int gateway_config_read(cfg_t *cfg, const char *instance, gateway_config_t *out);

/* Validate exactly as the stage does at start, without side effects (the check-config tool's
 * contract): 0, or -1/EINVAL with cfg_error(cfg) naming file:line: key. */
int gateway_config_check(cfg_t *cfg, const char *instance);

/* Whether `addr` (numeric IPv4 or IPv6) is a loopback address: 127.0.0.0/8 or ::1.
 * false for anything that does not parse. */
bool gateway_addr_loopback(const char *addr);

#endif /* TP_GATEWAY_CONFIG_H */
