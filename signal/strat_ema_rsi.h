/*  strat_ema_rsi.h - strategy type "ema_cross_rsi": EMA crossover filtered by RSI.
 *  Owns:  per instance: EMA fast, EMA slow, RSI (signal/ema, signal/rsi), the previous bar's
 *         EMA pair, the last bar start seen.
 *  Not:   bars (bars.c), sizing or positions (risk), publishing (engine.c).
 *  Rules (docs/signal.md "Strategy ema_cross_rsi"), evaluated on each closed bar of the
 *  instance's (venue, symbol, tf_s), after updating the three indicators with the bar close:
 *    - nothing before EMA fast, EMA slow and RSI all have output, and the previous bar's EMA
 *      pair exists (a cross needs two points);
 *    - BUY  (+1) when prev_fast <= prev_slow and fast > slow and rsi < rsi_long_max;
 *    - SELL (-1) when prev_fast >= prev_slow and fast < slow (exit of a long; with
 *      long_only false also a short entry). No RSI filter: an exit is never held back.
 *    - ref_px = bar close; sl/tp by sltp_levels() with stop_pct / take_profit_pct on the
 *      instrument's tick (tick 1 at the bar's px_scale when the instrument is unknown).
 *    - confidence (0..100) = 50 + 25 * spread_term + 25 * rsi_term, where
 *        spread_term = min(1, |fast - slow| / slow / 0.001)   (full at 10 bps of spread)
 *        rsi_term BUY  = clamp((rsi_long_max - rsi) / rsi_long_max, 0, 1)
 *        rsi_term SELL = clamp((rsi - rsi_exit_min) / (100 - rsi_exit_min), 0, 1)
 *  Indicators are doubles in price units (close mantissa / 10^px_scale).
 */
#ifndef TP_STRAT_EMA_RSI_H
#define TP_STRAT_EMA_RSI_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/codec.h"
#include "common/instr.h"
#include "signal/strategy.h"

typedef struct {
    char name[CODEC_NAME_MAX]; /* instance name, topic sig.signal.<name>.<symbol> */
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int tf_s;            /* bar timeframe, s (default 60) */
    int fast, slow;      /* EMA periods, 2 <= fast < slow (default 9, 21) */
    int rsi_period;      /* default 14 */
    double rsi_long_max; /* BUY only when RSI < this (0..100, default 70) */
    double rsi_exit_min; /* SELL confidence reference (0..100, default 30) */
    bool long_only;      /* SELL is an exit only (default true) */
    int64_t stop_pct_e4; /* stop distance, percent at scale 4 (default "0.5") */
    int64_t take_pct_e4; /* target distance, percent at scale 4 (default "1.0") */
} strat_ema_rsi_params_t;

typedef struct strat_ema_rsi strat_ema_rsi_t;

extern const strategy_ops_t strat_ema_rsi_ops;

/* Read the params at `path` (an object of signal.strategies[]). Keys: name, venue, symbol
 * (required), type, tf_s, fast, slow, rsi_period, rsi_long_max, rsi_exit_min, long_only,
 * stop_pct, take_profit_pct (decimal strings, percent). Unknown keys are refused.
 * 0, or -1/EINVAL with the reason in cfg_error(cfg). */
int strat_ema_rsi_params_from_cfg(cfg_t *cfg, const char *path, strat_ema_rsi_params_t *out);

/* New instance. NULL with errno EINVAL (empty name/venue/symbol, tf_s < 1, periods out of
 * range or fast >= slow, RSI bounds outside 0..100, percentages outside 0..SLTP_PCT_MAX) or
 * ENOMEM. */
strat_ema_rsi_t *strat_ema_rsi_new(const strat_ema_rsi_params_t *p);
void strat_ema_rsi_destroy(strat_ema_rsi_t **self_p);

/* Take one closed bar of the instance's series. `evt` (ns) goes into out->ts_event. `instr`
 * may be NULL. Returns 1 with *out filled (a signal), 0 (no signal), or -1 with errno
 *   EINVAL  bar of another series, or a start not after the previous bar's (state unchanged)
 *   ERANGE  sl/tp do not fit (indicators were updated; no signal). */
int strat_ema_rsi_on_bar(strat_ema_rsi_t *self, const codec_sig_bar_t *bar, int64_t evt,
                         const instr_t *instr, codec_sig_signal_t *out);

/* Append "ema<fast>", "ema<slow>", "rsi<period>" to ind when each has output and the name is
 * not there yet (room permitting). Returns the number appended. */
int strat_ema_rsi_indicators(const strat_ema_rsi_t *self, codec_sig_ind_t *ind);

const strat_ema_rsi_params_t *strat_ema_rsi_params(const strat_ema_rsi_t *self);

#endif /* TP_STRAT_EMA_RSI_H */
