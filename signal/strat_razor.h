/*  strat_razor.h - strategy type "razor": mean reversion on four checkpoints.
 *  Owns:  per instance an indicator set (signal/ind.h: EMA fast/slow, RSI, MOM mom_n) and a
 *         ring of the last vol_n close-to-close returns with running sums.
 *  Not:   bars, sizing, publishing.
 *  Rules (docs/signal.md "Strategy razor"), on each closed bar of the series, after the update;
 *  d = (EMA_slow - close) / EMA_slow in bp, sigma = population std dev of the last vol_n
 *  simple returns r = c[t]/c[t-1] - 1, m = MOM(mom_n) = c[t] - c[t-mom_n]:
 *    BUY  (revert up) checkpoints:
 *      C1 stretch    close < EMA_slow and EMA_fast < EMA_slow   score 15 + 10*min(1, d/ema_full_bp)
 *      C2 rsi        RSI < rsi_low                              score 15 + 10*min(1,
 * (rsi_low-RSI)/10) C3 volatility vol_min <= sigma <= vol_max                score 25 C4 momentum
 * m < 0 (stretched down over mom_n bars) and close > previous close (the bar turned) score 15 +
 * 10*min(1, |m|/close*1e4/mom_full_bp) SELL mirrored (close > EMA_slow, EMA_fast > EMA_slow, RSI >
 * rsi_high, m > 0, close < previous close; d measured upward). With long_only, SELL is still
 * emitted (an exit). Signal only when all four hold and strength = C1+C2+C3+C4 > min_strength
 * (default 70: all four at their minimum depth give exactly 70, so some depth is required).
 *    confidence = strength; ref = close; sl/tp = stop_pct / take_pct (0.5 % / 1 %) on the tick.
 *    reason: "razor C1 d=<bp> C2 rsi=<v> C3 sigma=<v> C4 mom=<bp> str=<v>".
 *  Cost O(1) per bar.
 */
#ifndef TP_STRAT_RAZOR_H
#define TP_STRAT_RAZOR_H

#include "signal/strat_util.h"
#include "signal/strategy.h"

#define RAZOR_MAX_VOL_N 256

typedef struct {
    su_series_t s;
    int ema_fast, ema_slow, rsi, mom_n, vol_n; /* 9, 21, 14, 5, 20 */
    double rsi_low, rsi_high;                  /* 30, 70 */
    double vol_min, vol_max;                   /* 0.0002, 0.01 (fraction per bar) */
    double ema_full_bp, mom_full_bp;           /* 30, 50 */
    double min_strength;                       /* 70 */
    int64_t stop_pct_e4, take_pct_e4;          /* "0.5", "1.0" */
} strat_razor_params_t;

typedef struct strat_razor strat_razor_t;

extern const strategy_ops_t strat_razor_ops;

void strat_razor_params_default(strat_razor_params_t *p);
/* NULL with errno EINVAL (bad params) or ENOMEM. */
strat_razor_t *strat_razor_new(const strat_razor_params_t *p);
void strat_razor_destroy(strat_razor_t **self_p);
/* As strat_ema_rsi_on_bar: 1 signal, 0 none, -1/EINVAL (other series or not after the last
 * bar), -1/ERANGE (sl/tp do not fit). */
int strat_razor_on_bar(strat_razor_t *self, const codec_sig_bar_t *bar, int64_t evt,
                       const instr_t *instr, codec_sig_signal_t *out);
/* Last bar's checkpoint scores (0 = not held) and strength; for tests and the ensemble. */
void strat_razor_scores(const strat_razor_t *self, int *side, double score[4], double *strength);

#endif /* TP_STRAT_RAZOR_H */
