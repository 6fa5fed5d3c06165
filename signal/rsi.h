/*  rsi.h - Wilder's relative strength index of one series, updated once per closed bar.
 *  Owns:  its running state only (previous input, average gain/loss, count). No allocation
 *         after rsi_new.
 *  Not:   bars, publishing, money.
 *  Formula: J. Welles Wilder, "New Concepts in Technical Trading Systems" (1978), as computed
 *  by TA-Lib TA_RSI (ta_RSI.c) with unstable period 0 and default compatibility:
 *      change d[t] = x[t] - x[t-1]; gain = max(d, 0), loss = max(-d, 0)
 *      seed (after n changes, i.e. at input index n):
 *          avg_gain = sum of the first n gains / n,  avg_loss = sum of the first n losses / n
 *      then Wilder smoothing for every later input, in TA-Lib's operation order:
 *          avg_gain = (avg_gain * (n - 1) + gain) / n,  same for avg_loss
 *      RSI = 100 * avg_gain / (avg_gain + avg_loss); 0 when avg_gain + avg_loss is "zero"
 *      (|sum| < 1e-8, TA-Lib's TA_IS_ZERO) - i.e. a perfectly flat series reads 0, as TA-Lib.
 *  So the first output is at input index n (rsi14: the 15th value), TA_RSI's lookback n.
 *  Invariants: (1) avg_gain, avg_loss >= 0; (2) has output <=> count > n.
 *  Cost: O(1) per update.
 */
#ifndef TP_RSI_H
#define TP_RSI_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rsi rsi_t;

#define RSI_MAX_PERIOD 100000 /* TA-Lib's range for optInTimePeriod is 2..100000 */

/* New RSI of period n (2..RSI_MAX_PERIOD). Returns it (caller owns; rsi_destroy) or NULL with
 * errno EINVAL (n out of range) or ENOMEM. */
rsi_t *rsi_new(int n);

void rsi_destroy(rsi_t **self_p); /* frees, sets *self_p = NULL; no-op on NULL */

/* Take one input x (a close). Returns 1 and writes the RSI (0..100) to *out (may be NULL)
 * when this input produced an output, 0 while seeding, or -1/EINVAL if x is not finite
 * (state unchanged). Cost O(1). */
int rsi_update(rsi_t *self, double x, double *out);

/* Current value: 0 and *out, or -1/ENODATA before the first output. */
int rsi_value(const rsi_t *self, double *out);

int rsi_period(const rsi_t *self);
uint64_t rsi_count(const rsi_t *self); /* inputs taken so far */

void rsi_reset(rsi_t *self);

#endif /* TP_RSI_H */
