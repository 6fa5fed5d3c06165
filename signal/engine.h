/*  engine.h - the signal stage's logic without sockets: decoded md.* in, sig.* out.
 *  Owns:  the instrument table (from md.instrument), the bar builder (bars.c), the strategy
 *         instances (strategy.h), counters and log limiters.
 *  Not:   sockets, the step/barrier machinery, the wall clock (main.c wires those). Every
 *         output is handed to the publish callback, so tests and a later warm-up from recorder
 *         history can drive the engine directly.
 *  Flow per delivered message: md.instrument -> instr table; md.kline / md.trade -> bars; per
 *  closed bar, in this order: sig.bar.<tf>.<venue>.<symbol>; each strategy on that series (in
 *  config order) -> sig.signal.<strategy>.<symbol> when it signals; then one
 *  sig.ind.<tf>.<venue>.<symbol> with the series' indicator values (if any have output).
 *  Envelope of every output: evt = event time of the md message that closed the bar (the
 *  closing kline's ts_event, or the first trade at/after the bar end: >= the bar's end),
 *  origin = that md message's envelope origin. Bodies: sig.ind ts_event = bar end_ns;
 *  sig.signal ts_event = evt.
 *  Counters: bars, signals, indicators, late_trades, bad_msgs (undecodable or refused input).
 */
#ifndef TP_SIGNAL_ENGINE_H
#define TP_SIGNAL_ENGINE_H

#include <stdint.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/codec.h"
#include "signal/bars.h"
#include "signal/strategy.h"

#define ENGINE_MAX_STRATEGIES 32

typedef struct engine engine_t;

/* Publish one message; returns 0 or -1 (logged by the engine, rate-limited). */
typedef int(engine_pub_fn)(void *arg, const char *topic, codec_type_t type, const void *body,
                           int64_t evt, int64_t origin);

typedef struct {
    int64_t bars;        /* sig.bar published */
    int64_t signals;     /* sig.signal published */
    int64_t indicators;  /* sig.ind published */
    int64_t late_trades; /* trades dropped as late (per trade series) */
    int64_t bad_msgs;    /* md messages that did not decode or were refused as malformed */
} engine_counters_t;

/* New engine with no strategies and no trade series. NULL with errno EINVAL (pub NULL) or
 * ENOMEM. */
engine_t *engine_new(engine_pub_fn *pub, void *arg);
void engine_destroy(engine_t **self_p); /* also destroys the strategies */

/* Read "signal.strategies" and "signal.trade_bars" (docs/signal.md "Configuration").
 * 0, or -1/EINVAL with the reason in cfg_error(cfg). */
int engine_configure(engine_t *self, cfg_t *cfg);

/* Add a strategy (ownership passes to the engine, also on failure). 0, or -1 with errno
 * EEXIST (same name already there) or ENOSPC (ENGINE_MAX_STRATEGIES). */
int engine_add_strategy(engine_t *self, strategy_t *s);

/* As bars_add_trade_series. */
int engine_add_trade_series(engine_t *self, const char *venue, const char *symbol, int tf_s);

/* Handle one delivered message (types other than md.instrument/kline/trade are ignored).
 * Returns 0, or -1 with errno EPROTO (did not decode) or EINVAL (refused as malformed);
 * both are counted in bad_msgs and logged once per kind. */
int engine_on_msg(engine_t *self, const bus_msg_t *msg);

const engine_counters_t *engine_counters(const engine_t *self);
const bars_stats_t *engine_bars_stats(const engine_t *self);
size_t engine_n_strategies(const engine_t *self);
size_t engine_n_instruments(const engine_t *self);

#endif /* TP_SIGNAL_ENGINE_H */
