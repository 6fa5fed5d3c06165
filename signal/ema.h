/*  ema.h - exponential moving average of one series, updated once per closed bar.
 *  Owns:  its running state only (period, count, seed sum, current value). No allocation
 *         after ema_new.
 *  Not:   bars, publishing, money (indicator values are doubles, never turned back into money).
 *  Formula (TA-Lib TA_EMA, default compatibility, ta_EMA.c; Appel / StockCharts "Moving
 *  Averages - Simple and Exponential"):
 *      k = 2 / (n + 1)
 *      seed: EMA[n-1] = SMA of the first n inputs (sum / n)
 *      then  EMA[t]   = (x[t] - EMA[t-1]) * k + EMA[t-1]      (TA-Lib's operation order)
 *  So the first output is at input index n-1 (ema9: the 9th value). Before that there is no
 *  output, exactly as TA_EMA's lookback (n - 1).
 *  Invariants: (1) count == number of inputs taken; (2) has output <=> count >= n.
 *  Cost: O(1) per update.
 */
#ifndef TP_EMA_H
#define TP_EMA_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ema ema_t;

#define EMA_MAX_PERIOD 100000 /* TA-Lib's range for optInTimePeriod is 2..100000 */

/* New EMA of period n (2..EMA_MAX_PERIOD). Returns it (caller owns; ema_destroy) or NULL with
 * errno EINVAL (n out of range) or ENOMEM. */
ema_t *ema_new(int n);

void ema_destroy(ema_t **self_p); /* frees, sets *self_p = NULL; no-op on NULL */

/* Take one input x (a close, as double). Returns 1 and writes the EMA to *out (may be NULL)
 * when this input produced an output, 0 while still seeding (*out untouched), or -1/EINVAL
 * if x is not finite (state unchanged). Cost O(1). */
int ema_update(ema_t *self, double x, double *out);

/* Current value: 0 and *out, or -1/ENODATA before the first output. */
int ema_value(const ema_t *self, double *out);

int ema_period(const ema_t *self);
uint64_t ema_count(const ema_t *self); /* inputs taken so far */

void ema_reset(ema_t *self); /* back to "no input yet" */

#endif /* TP_EMA_H */
