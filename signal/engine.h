/*  engine.h - the signal stage's logic without sockets: decoded md.* in, sig.* out.
 *  Owns:  the instrument table (from md.instrument), the bar builder (bars.c), the strategy
 *         instances (strategy.h), counters and log limiters.
 *  Not:   sockets, the step/barrier machinery, the wall clock (main.c wires those). Every
 *         output is handed to the publish callback, so tests and a later warm-up from recorder
 *         history can drive the engine directly.
 *  Flow per delivered message: md.instrument -> instr table; md.kline / md.trade -> bars; per
 *  closed bar, in this order: sig.bar.<tf>.<venue>.<symbol>; each strategy on that series (in
 *  config order) -> its sig.setup.<strategy>.<symbol> life-cycle changes (setups type), then
 *  sig.signal.<strategy>.<symbol> when it signals; then one sig.ind.<tf>.<venue>.<symbol> with
 *  the series' indicator values (if any have output). md.trade and md.book of a symbol with
 *  trade/book-driven strategies (level_reaction) run them first: their sig.signal carries
 *  that message's event time.
 *  Envelope of every output: evt = event time of the md message that closed the bar (the
 *  closing kline's ts_event, the first trade at/after the bar end, or with a grace the first
 *  md.book/md.ticker at/after end + grace: >= the bar's end),
 *  origin = that md message's envelope origin. Bodies: sig.ind ts_event = bar end_ns;
 *  sig.signal ts_event = evt.
 *  Counters: bars, signals, indicators, late_trades, bad_msgs (undecodable or refused input),
 *  setups.
 */
#ifndef TP_SIGNAL_ENGINE_H
#define TP_SIGNAL_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/codec.h"
#include "signal/bars.h"
#include "signal/ctx.h"
#include "signal/ind.h"
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
    int64_t setups;      /* sig.setup published */
} engine_counters_t;

/* New engine with no strategies and no trade series. NULL with errno EINVAL (pub NULL) or
 * ENOMEM. */
engine_t *engine_new(engine_pub_fn *pub, void *arg);
void engine_destroy(engine_t **self_p); /* also destroys the strategies */

/* Read "signal.strategies", "signal.trade_bars", "signal.bar_grace_ms", "signal.indicators"
 * and "signal.mtf" (docs/signal.md "Configuration").
 * 0, or -1/EINVAL with the reason in cfg_error(cfg). */
int engine_configure(engine_t *self, cfg_t *cfg);

/* Add a strategy (ownership passes to the engine, also on failure). 0, or -1 with errno
 * EEXIST (same name already there) or ENOSPC (ENGINE_MAX_STRATEGIES). */
int engine_add_strategy(engine_t *self, strategy_t *s);

/* Grace for closing trade-built bars (signal.bar_grace_ms; bars.h "Grace close"): 0 = off;
 * > 0 = an md.book or md.ticker of the symbol whose event time (body ts_event, else the
 * envelope evt) is >= a bar's end + grace_ms closes it, exactly as a closing trade would
 * (sig.bar, strategies, indicators, aggregates; envelope evt = that message's event time).
 * 0, or -1/EINVAL (negative or more than BARS_MAX_TF_S seconds). */
int engine_set_bar_grace_ms(engine_t *self, int64_t grace_ms);

/* As bars_add_trade_series. */
int engine_add_trade_series(engine_t *self, const char *venue, const char *symbol, int tf_s);

/* Compute the full indicator set (signal/ind.h) and the market context (signal/ctx.h, params
 * `cx`, NULL = defaults) on the bars of (venue, symbol, tf_s) and publish them after the
 * series' strategies: ceil(n / IND_PER_MSG) sig.ind messages of indicator values, then one
 * sig.ind of context values (regime, regime_str, session, taker_buy, taker_sell, delta,
 * imbalance, levels, sup_px, sup_str, res_px, res_str, atr_pctile) per bar. 0, or -1 with errno
 * EINVAL (bad series or params), EEXIST, ENOSPC (64 series), ENOMEM. */
int engine_add_indicators(engine_t *self, const char *venue, const char *symbol, int tf_s,
                          const ind_params_t *p, const ctx_params_t *cx);

/* Aggregate closed bars of (venue, symbol, base_tf_s) into tf_s (signal/mtf.h); every
 * aggregate goes through the same path as a base bar (sig.bar, strategies, indicators).
 * 0 or -1 as mtf_add. */
int engine_add_mtf(engine_t *self, const char *venue, const char *symbol, int base_tf_s, int tf_s);

/* Warm-up (docs/signal.md "Restart warm-up"). The series whose history can be replayed: every
 * (venue, symbol, tf_s) a strategy, an indicator set or an aggregation base uses, once, except
 * series built from trades or by aggregation (those are rebuilt from their base). */
typedef void(engine_series_fn)(const char *venue, const char *symbol, int tf_s, void *arg);
void engine_each_kline_series(const engine_t *self, engine_series_fn *fn, void *arg);

/* Feed the recorder's answer to {"q":"bars","kind":"md.kline",...} for one series (JSON
 * {"ok":true,"bars":[{start_ns, end_ns, evt, open_m, high_m, low_m, close_m, volume_m,
 * quote_volume_m, trades, px_scale, qty_scale, taker_buy_volume_m (0 when absent or null)}, ...]},
 * oldest first) through the normal bar
 * path with publishing and counting suppressed: bars, aggregates, indicators, context and
 * strategies advance exactly as if the klines had been received live, and the kline duplicate
 * rule then drops live klines already seen. *n_bars (may be NULL) = bars taken.
 * 0, or -1 with errno EPROTO (not an ok answer, or a malformed row: rows before it were taken). */
int engine_warmup_json(engine_t *self, const char *venue, const char *symbol, int tf_s,
                       const char *reply, size_t len, size_t *n_bars);

/* The same, except that rows with start_ns > published_ns are handled as live klines: their
 * bars, signals and indicators are published (envelope origin `origin`, ns) and counted.
 * published_ns = INT64_MAX: all silent (warm-up); INT64_MIN: every row the duplicate rule lets
 * through is live (the catch-up of a step missed while down, signal/warmup.c s_catchup).
 * Same returns. */
int engine_warmup_json_from(engine_t *self, const char *venue, const char *symbol, int tf_s,
                            const char *reply, size_t len, int64_t published_ns, int64_t origin,
                            size_t *n_bars);

/* Warm-up from klines already decoded (the venue REST fallback, signal/klrest.h): k[0..n) of
 * one series, oldest first, through the normal bar path. A row whose event time (ts_event, or
 * end_ns when 0) is >= live_from_evt is handled as a live kline: its bars, signals and
 * indicators are published (envelope origin `origin`, ns) and counted; the others only advance
 * the state (INT64_MAX: all silent). Rows the duplicate rule drops are no bars. *n_bars (may be
 * NULL) = bars taken. 0, or -1/EPROTO (a malformed row: the rows before it were taken). */
int engine_warmup_klines(engine_t *self, const codec_md_kline_t *k, size_t n, int64_t live_from_evt,
                         int64_t origin, size_t *n_bars);

/* Each (venue, symbol) with at least one trade series (signal.trade_bars), once; tf_s = 0. */
void engine_each_trade_symbol(const engine_t *self, engine_series_fn *fn, void *arg);

/* Restore the open bars of the trade series of (venue, symbol) from the recorder's answer to
 * {"q":"trades","venue","symbol","n": n_asked} (recorder/history.h: the last n trades, oldest
 * first by id, fields id, evt, px_m, qty_m, px_scale, qty_scale, side "buy"/"sell", trade_id).
 *   after_id < 0 (warm-up, silent): since = bars_trade_window_start(the answer's latest event
 *     time); the trades from the first one (id order) at/after `since` go through the trade
 *     bars with publishing and counting suppressed, so every series' open bar (and the bars
 *     it closed inside the window, silently) is rebuilt as the uninterrupted run built it.
 *     Trade-driven strategies are not fed. If the answer holds n_asked rows and even its first
 *     one is at/after `since`, the open bar may have begun before it: nothing is restored,
 *     -1/ERANGE (the series start empty, as before this existed).
 *     dedupe (live mode): live trades of the symbol at/before the answer's latest event time
 *     are dropped afterwards (they were in the history: we subscribe before asking), counted
 *     in engine_trade_dups.
 *   after_id >= 0 (catch-up after a restart mid-replay, signal/warmup.c s_catchup): the rows with
 *     id > after_id are handled as live trades (strategies, bars; published and counted,
 *     envelope origin `origin`).
 * *last_id = the largest id seen (input: the previous one, kept if larger). *n_trades (may be
 * NULL) = trades fed. 0, or -1 with errno EPROTO (not an ok answer, a malformed row, ids not
 * increasing, a trade the bars refuse: the rows before it were fed) or ERANGE (above). */
int engine_warmup_trades_json(engine_t *self, const char *venue, const char *symbol,
                              const char *reply, size_t len, int64_t n_asked, int64_t after_id,
                              bool dedupe, int64_t origin, int64_t *last_id, size_t *n_trades);

/* Live trades dropped because a trade warm-up had them (dedupe above). */
uint64_t engine_trade_dups(const engine_t *self);

/* Handle one delivered message: md.instrument, md.kline, md.trade, md.book (indicator
 * series' imbalance, book-driven strategies, grace close) and md.ticker (grace close only);
 * other types are ignored.
 * Returns 0, or -1 with errno EPROTO (did not decode) or EINVAL (refused as malformed);
 * both are counted in bad_msgs and logged once per kind. */
int engine_on_msg(engine_t *self, const bus_msg_t *msg);

/* engine_on_msg with the body already decoded: `body` (borrowed; the codec_body_t member of
 * msg->type) is used instead of decoding msg->data, which may then be empty; NULL decodes
 * msg->data as engine_on_msg does. What follows is the same code either way. For an
 * in-process transport (tools/backtest) that hands decoded structs between engines. */
int engine_on_body(engine_t *self, const bus_msg_t *msg, const codec_body_t *body);

const engine_counters_t *engine_counters(const engine_t *self);
const bars_stats_t *engine_bars_stats(const engine_t *self);
size_t engine_n_strategies(const engine_t *self);
/* Strategy i (config order), i < engine_n_strategies; borrowed for the engine's lifetime. */
strategy_t *engine_strategy(const engine_t *self, size_t i);
size_t engine_n_instruments(const engine_t *self);

#endif /* TP_SIGNAL_ENGINE_H */
