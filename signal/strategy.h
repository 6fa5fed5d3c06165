/*  strategy.h - one strategy instance behind a common interface, and the registry of types.
 *  Each strategy type lives in its own module (strat_<type>.c) and exports a strategy_ops_t;
 *  s_types[] in strategy.c lists them. A new strategy = one module + one line there.
 *  Owns:  the instance (through its ops) and its name and series.
 *  Not:   bars, instruments, publishing (engine.c drives strategies and publishes).
 *  Contract every type keeps: decisions only from the bars it is given (event time, never the
 *  wall clock); all state inside the instance (so a later warm-up can replay history into it);
 *  O(1) work per bar.
 */
#ifndef TP_STRATEGY_H
#define TP_STRATEGY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/codec.h"
#include "common/instr.h"

typedef struct {
    const char *type; /* config "type" value, e.g. "ema_cross_rsi" */
    /* Build from the config object at `path` ("signal.strategies[0]"). NULL with errno EINVAL
     * and the reason in cfg_error(cfg), or ENOMEM. */
    void *(*from_cfg)(cfg_t *cfg, const char *path);
    void (*destroy)(void **impl_p);
    /* One closed bar of the instance's series; see strat_ema_rsi_on_bar for the contract. */
    int (*on_bar)(void *impl, const codec_sig_bar_t *bar, int64_t evt, const instr_t *instr,
                  codec_sig_signal_t *out);
    /* Append the instance's available indicator values to `ind`. Returns how many. */
    int (*indicators)(const void *impl, codec_sig_ind_t *ind);
    const char *(*name)(const void *impl);
    /* The one series the instance trades on. */
    void (*series)(const void *impl, const char **venue, const char **symbol, int *tf_s);
    /* Optional (NULL = bars only): every md.trade / md.book of the series' venue and symbol,
     * in delivery order. Both return as on_bar (1 = *out filled, 0 nothing, -1 refused);
     * a book's event time is b->ts_event. */
    int (*on_trade)(void *impl, const codec_md_trade_t *t, const instr_t *instr,
                    codec_sig_signal_t *out);
    int (*on_book)(void *impl, const codec_md_book_t *b, const instr_t *instr,
                   codec_sig_signal_t *out);
    /* Optional (NULL = none): the setup life-cycle changes (sig.setup bodies) the last on_bar
     * made, oldest first, copied to out[0..cap); returns how many and forgets them. */
    int (*setup_events)(void *impl, codec_sig_setup_t *out, int cap);
    /* Optional (NULL = nothing can change live): copy the parameters that `ctl reload` may
     * change (signal/config.h signal_config_keys) from `fresh`, an instance of the same type
     * built from the new config, into impl; the instance's state (indicators, position,
     * pending setups) is kept. Cannot fail. */
    void (*retune)(void *impl, const void *fresh);
} strategy_ops_t;

typedef struct strategy strategy_t;

/* Create the instance described at `path`: reads "type" and hands the object to that type's
 * from_cfg. NULL with errno EINVAL (unknown or missing type, bad values; cfg_error says which)
 * or ENOMEM. */
strategy_t *strategy_from_cfg(cfg_t *cfg, const char *path);

/* Wrap an instance made directly (tests). Takes ownership of impl. NULL/ENOMEM. */
strategy_t *strategy_wrap(const strategy_ops_t *ops, void *impl);

void strategy_destroy(strategy_t **self_p);

const char *strategy_name(const strategy_t *self);
const char *strategy_type(const strategy_t *self);

/* The instance's series (borrowed strings, valid while the instance lives). */
void strategy_series(const strategy_t *self, const char **venue, const char **symbol, int *tf_s);

/* True if the instance consumes bars of (venue, symbol, tf_s). */
bool strategy_wants(const strategy_t *self, const char *venue, const char *symbol, int tf_s);

int strategy_on_bar(strategy_t *self, const codec_sig_bar_t *bar, int64_t evt, const instr_t *instr,
                    codec_sig_signal_t *out);
int strategy_indicators(const strategy_t *self, codec_sig_ind_t *ind);

/* Take the live-tunable parameters of `fresh` (built from a reloaded config, same name and
 * type) into self, keeping self's state (strategy_ops_t.retune). 0, or -1/EINVAL (different
 * type). A type without retune: 0, nothing changes (it declares no reloadable key). */
int strategy_retune(strategy_t *self, const strategy_t *fresh);

/* The instance behind the interface (borrowed; for the type's own inspection functions). */
void *strategy_impl(const strategy_t *self);

/* True if the type has on_trade/on_book hooks (engine decodes md.trade/md.book for it). */
bool strategy_wants_md(const strategy_t *self);
/* Hooks; 0 (nothing) when the type has none or (venue, symbol) is not the instance's.
 * strategy_on_book_sig returns as on_bar (1 = *out filled: a signal caused by the book);
 * strategy_on_book is the same with any signal dropped (state updates only: benches). */
int strategy_on_trade(strategy_t *self, const codec_md_trade_t *t, const instr_t *instr,
                      codec_sig_signal_t *out);
int strategy_on_book_sig(strategy_t *self, const codec_md_book_t *b, const instr_t *instr,
                         codec_sig_signal_t *out);
void strategy_on_book(strategy_t *self, const codec_md_book_t *b);

/* The sig.setup bodies the last strategy_on_bar produced (types with setup_events; 0 for the
 * others), oldest first, into out[0..cap). Returns how many; they are then forgotten. */
int strategy_setup_events(strategy_t *self, codec_sig_setup_t *out, int cap);

/* Look a type up by name; NULL if unknown. */
const strategy_ops_t *strategy_ops_find(const char *type);

#endif /* TP_STRATEGY_H */
