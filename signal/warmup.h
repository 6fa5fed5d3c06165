/*  warmup.h - the signal stage's restart warm-up and catch-up (docs/signal.md "Restart
 *  warm-up"): before the loop starts, every kline series is replayed silently from the
 *  recorder's md.kline history (endpoints.recorder.0.history), the open bars of trade series
 *  from its trades, and a series the history has nothing for from the venue's REST klines
 *  (signal/klrest.h, signal.warmup_rest): applied at once in live mode; in a replay held until
 *  the first barrier, where the klines of a joined step S > 0 (event time in
 *  [ts_event - venue_sim.step_ms, ts_event)) are published as live and the older ones only
 *  warm. Restarted mid-replay, the klines and trades of the step joined at are fetched from the
 *  same history at the start of the next step and handled as live (the catch-up).
 *  Owns:  the REST rows held until the first barrier, the per-symbol last trade ids.
 *  Not:   the engine, the config (borrowed, must outlive it), sockets besides the blocking
 *         history requests (common/bus.h bus_request) and REST calls (signal/klrest.h).
 *  Failures are logged and leave a series cold: never fatal.
 */
#ifndef TP_SIGNAL_WARMUP_H
#define TP_SIGNAL_WARMUP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/codec.h"
#include "signal/config.h"
#include "signal/engine.h"

typedef struct warmup warmup_t;

typedef struct {
    engine_t *eng;             /* borrowed: the engine warmed */
    cfg_t *cfg;                /* borrowed: feed.connections / feed.instruments for REST */
    const signal_config_t *sc; /* copied: warmup_* settings, history endpoint, step_ms */
    bool replay;               /* config mode "replay" */
    const char *run_id;        /* replay: this run's id (common/runid.h), which every REST
                                * answer must carry (venue-sim's); NULL/"" = no check (live) */
    void (*sync)(void *arg);   /* called after engine work that changes its counters */
    void *arg;
} warmup_env_t;

/* New warm-up for the engine. NULL with errno ENOMEM. */
warmup_t *warmup_new(const warmup_env_t *env);
void warmup_destroy(warmup_t **self_p);

/* Warm every series (signal.warmup_bars > 0; else nothing): history first, then REST. Call
 * after subscribing (live klines received meanwhile wait in the SUB queue; the kline
 * duplicate rule drops those the history already had). Blocking. */
void warmup_start(warmup_t *self);

/* Call before the engine handles each delivered message: REST rows held for the first
 * barrier go first when a kline comes before any barrier, and a pending catch-up runs. */
void warmup_before_msg(warmup_t *self, const bus_msg_t *msg);

/* Call when a step's barrier is released, before forwarding it: the first one releases the
 * held REST rows and, for a step S > 0 (restarted mid-replay), arms the catch-up of step S;
 * a later one runs a catch-up still pending (step S + 1 had no message for us). */
void warmup_on_barrier(warmup_t *self, const codec_sys_barrier_t *b);

#endif /* TP_SIGNAL_WARMUP_H */
