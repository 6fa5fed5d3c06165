/*  sltp.h - stop-loss and take-profit prices from a reference price and two percentages,
 *  in exact fixed point (shared by every strategy).
 *  Owns:  nothing (pure functions).
 *  Units: px mantissas at px_scale; tick at px_scale (>= 1); percentages as mantissas at
 *         SLTP_PCT_SCALE (4): "0.5" % -> 5000. A percentage p at scale 4 is the fraction
 *         p / 10^6, so the factor 1 - p/100 is (10^6 - p) at scale 6, exactly.
 *  Rule (round once, at the edge; levels never closer to the entry than asked):
 *      BUY  (+1): sl = ref * (1 - stop/100) rounded DOWN to the tick,
 *                 tp = ref * (1 + take/100) rounded UP to the tick
 *      SELL (-1): sl = ref * (1 + stop/100) rounded UP,  tp = ref * (1 - take/100) DOWN
 *  The product is computed in 128 bits (money_mul) and rounded once to the px unit in the
 *  same direction as the tick rounding, so floor(floor(x)/tick) == floor(x/tick) keeps it a
 *  single rounding. A percentage of 0 means "none": that level is 0.
 */
#ifndef TP_SLTP_H
#define TP_SLTP_H

#include <stdint.h>

#define SLTP_PCT_SCALE 4
#define SLTP_PCT_MAX   999999 /* 99.9999 %: a sell target must stay above 0 */

/* Fill *sl and *tp (both required). Returns 0, or -1 with errno
 *   EINVAL  side not +1/-1, ref_px <= 0, tick < 1, px_scale outside 0..18, a percentage
 *           outside 0..SLTP_PCT_MAX
 *   ERANGE  a level does not fit int64
 * Outputs untouched on failure. */
int sltp_levels(int side, int64_t ref_px, int px_scale, int64_t tick, int64_t stop_pct_e4,
                int64_t take_pct_e4, int64_t *sl, int64_t *tp);

/* Levels at price distances (price units, doubles: e.g. k * ATR): the distance is rounded UP
 * to the px unit (never closer than asked), then BUY sl = ref - stop DOWN to the tick,
 * tp = ref + take UP; SELL mirrored. A distance of 0 means "none" (level 0). Same errors as
 * sltp_levels, plus EINVAL for a negative or non-finite distance, ERANGE when a level would
 * be <= 0 or does not fit. */
int sltp_dist(int side, int64_t ref_px, int px_scale, int64_t tick, double stop_dist,
              double take_dist, int64_t *sl, int64_t *tp);

#endif /* TP_SLTP_H */
