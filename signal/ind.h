/*  ind.h - the full indicator set of one bar series (one symbol, one timeframe), incremental.
 *  Owns:  every running state (sums, Wilder averages, EMA values) and one ring of the last
 *         IND_RING closes and volumes; no allocation after ind_new.
 *  Not:   bars, publishing, money (values are doubles in price units, never turned back into
 *         money here).
 *  Each value equals the TA-Lib 0.6 function of the same name (default compatibility,
 *  unstable period 0) from its first output on, because every state is seeded and updated in
 *  TA-Lib's own operation order (ta_SMA.c, ta_EMA.c, ta_RSI.c, ta_MACD.c, ta_BBANDS.c,
 *  ta_STDDEV.c/ta_VAR.c, ta_ATR.c, ta_ADX.c, ta_PLUS_DI.c, ta_MINUS_DI.c, ta_MOM.c, ta_ROC.c).
 *  Bar index t counts updates from 0. First output (lookback) per value:
 *      sma<n>                  TA_SMA(n)                 t = n-1
 *      ema<n>                  TA_EMA(n), seed = SMA of first n closes      t = n-1
 *      rsi<n>                  TA_RSI(n), Wilder         t = n
 *      macd, macd_signal, macd_hist  TA_MACD(f,s,g): slow EMA seeded on closes 0..s-1, fast
 *                              EMA seeded on closes s-f..s-1 (NOT 0..f-1: TA_MACD's seeding,
 *                              PROVENANCE.md 6), signal = EMA(g) of macd seeded with the SMA
 *                              of its first g values          t = s-1 + g-1
 *      atr<n>                  TA_ATR(n): TR from t=1, seed = mean of TR 1..n, then
 *                              ATR = (ATR*(n-1) + TR)/n      t = n
 *      bb_upper/middle/lower   TA_BBANDS(n, k, k, SMA): middle = SMA(n), sigma population,
 *                              bands = middle +- k*sigma        t = n-1
 *      adx<n>                  TA_ADX(n)                  t = 2n-1
 *      plus_di<n>, minus_di<n> TA_PLUS_DI / TA_MINUS_DI(n) t = n
 *      stddev<n>               TA_STDDEV(n, 1) population    t = n-1
 *      mom<n>, roc<n>          TA_MOM: x[t]-x[t-n]; TA_ROC: (x[t]/x[t-n] - 1)*100 (0 if
 *                              x[t-n] == 0)                   t = n
 *      vwap                    anchored at 00:00 UTC: sum(tp*v)/sum(v) over the day's bars,
 *                              tp = (H+L+C)/3 (StockCharts "VWAP"); t = 0, absent while the
 *                              day's volume is 0
 *      vol_ma<n>               TA_SMA(n) of volume         t = n-1
 *  Invariants: (1) a value is available iff its lookback has passed (mask bit set);
 *    (2) count == number of accepted updates; (3) windows <= IND_RING - 1.
 *  Cost: O(1) per bar, no allocation, no branch on the history length.
 */
#ifndef TP_IND_H
#define TP_IND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/codec.h"

#define IND_RING    1024 /* power of two: history kept for window indicators */
#define IND_MAX_EMA 6

/* Value ids, in publishing order. IND_EMA0 + i is the i-th configured EMA period. */
enum {
    IND_SMA = 0,
    IND_EMA0,
    IND_RSI = IND_EMA0 + IND_MAX_EMA,
    IND_MACD,
    IND_MACD_SIGNAL,
    IND_MACD_HIST,
    IND_ATR,
    IND_BB_UPPER,
    IND_BB_MIDDLE,
    IND_BB_LOWER,
    IND_ADX,
    IND_PLUS_DI,
    IND_MINUS_DI,
    IND_STDDEV,
    IND_MOM,
    IND_ROC,
    IND_VWAP,
    IND_VOL_MA,
    IND_COUNT
};

typedef struct {
    int sma;                               /* default 20 */
    int ema[IND_MAX_EMA];                  /* default 9, 12, 20, 21, 26, 50 (0 = slot unused) */
    int rsi;                               /* default 14 */
    int macd_fast, macd_slow, macd_signal; /* default 12, 26, 9; fast < slow */
    int bb;                                /* default 20 */
    double bb_k;                           /* default 2.0 (sigmas, both bands) */
    int atr, adx;                          /* default 14, 14 */
    int stddev;                            /* default 20 */
    int mom;                               /* default 10 (mom and roc) */
    int vol_ma;                            /* default 20 */
} ind_params_t;

/* One bar's inputs, prices and volume as doubles (mantissa / 10^scale). */
typedef struct {
    double high, low, close, volume;
    int64_t start_ns; /* bar start, ns since the epoch (VWAP's UTC-day anchor) */
} ind_bar_t;

typedef struct ind ind_t;

void ind_params_default(ind_params_t *p);

/* New set. NULL with errno EINVAL (a period outside 2..IND_RING-1 (ema/macd/rsi/atr/adx:
 * 2..100000), macd fast >= slow, bb_k not in (0, 10]) or ENOMEM. */
ind_t *ind_new(const ind_params_t *p);
void ind_destroy(ind_t **self_p);

/* Take one closed bar. 0, or -1/EINVAL if a price or the volume is not finite, high < low or
 * volume < 0 (state unchanged). O(1). */
int ind_update(ind_t *self, const ind_bar_t *bar);

/* Value `id` (IND_*): 0 and *out, or -1/ENODATA before its first output (or unused EMA slot),
 * -1/EINVAL for an id out of range. */
int ind_get(const ind_t *self, int id, double *out);

/* Value of EMA with period n if configured: as ind_get, ENOENT if not configured. */
int ind_ema(const ind_t *self, int n, double *out);

/* Name of value id ("sma20", "ema9", "macd_hist", "plus_di14", "vwap", "vol_ma20"); "" for an
 * unused EMA slot or an id out of range. Borrowed, valid while self lives. */
const char *ind_name(const ind_t *self, int id);

/* Bit i set <=> value i available. */
uint32_t ind_mask(const ind_t *self);
uint64_t ind_count(const ind_t *self);

/* Values per published sig.ind message of an indicator set (kept at 12 when the body cap
 * CODEC_IND_MAX grew to 16 for the context message, so sets are split as before). */
#define IND_PER_MSG 12

/* Fill up to `max` sig.ind bodies with the available values in id order, IND_PER_MSG per
 * message (the full default set is 23 values: two messages per bar). venue/symbol/tf_s/
 * ts_event of each body are set from the arguments. Returns the number of bodies filled
 * (0 when nothing is available yet). */
int ind_fill(const ind_t *self, const char *venue, const char *symbol, int tf_s, int64_t ts_event,
             codec_sig_ind_t *out, int max);

void ind_reset(ind_t *self);

#endif /* TP_IND_H */
