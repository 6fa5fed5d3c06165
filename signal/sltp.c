/*  sltp.c - exact stop-loss / take-profit levels. See sltp.h. */
#include "signal/sltp.h"

#include <errno.h>

#include "common/money.h"

#define S_FACTOR_SCALE (SLTP_PCT_SCALE + 2) /* percent -> fraction */
#define S_ONE          1000000LL            /* 1.0 at S_FACTOR_SCALE */

/* ref * (1 + sign * pct / 100) rounded in `mode` to the tick; 0 if pct == 0. */
static int
s_level(int64_t ref, int scale, int64_t tick, int sign, int64_t pct, money_round_t mode,
        int64_t *out)
{
    if (pct == 0) {
        *out = 0;
        return 0;
    }
    int64_t px;
    if (money_mul(ref, scale, S_ONE + sign * pct, S_FACTOR_SCALE, scale, mode, &px) != 0) {
        return -1;
    }
    return money_round_to(px, tick, mode, out);
}

int
sltp_levels(int side, int64_t ref_px, int px_scale, int64_t tick, int64_t stop_pct_e4,
            int64_t take_pct_e4, int64_t *sl, int64_t *tp)
{
    if ((side != 1 && side != -1) || ref_px <= 0 || tick < 1 || px_scale < 0
        || px_scale > MONEY_MAX_SCALE || stop_pct_e4 < 0 || stop_pct_e4 > SLTP_PCT_MAX
        || take_pct_e4 < 0 || take_pct_e4 > SLTP_PCT_MAX || !sl || !tp) {
        errno = EINVAL;
        return -1;
    }
    int64_t s, t;
    money_round_t away_down = side > 0 ? MONEY_ROUND_DOWN : MONEY_ROUND_UP;
    money_round_t away_up = side > 0 ? MONEY_ROUND_UP : MONEY_ROUND_DOWN;
    if (s_level(ref_px, px_scale, tick, -side, stop_pct_e4, away_down, &s) != 0
        || s_level(ref_px, px_scale, tick, side, take_pct_e4, away_up, &t) != 0) {
        errno = ERANGE;
        return -1;
    }
    *sl = s;
    *tp = t;
    return 0;
}

/* ref + sign * dist rounded in `mode` to the tick; 0 if dist == 0. */
static int
s_dist_level(int64_t ref, int scale, int64_t tick, int sign, double dist, money_round_t mode,
             int64_t *out)
{
    if (dist == 0.0) {
        *out = 0;
        return 0;
    }
    int64_t d, px;
    if (money_from_double(dist, scale, MONEY_ROUND_UP, &d) != 0
        || __builtin_add_overflow(ref, sign * d, &px) || px <= 0
        || money_round_to(px, tick, mode, out) != 0 || *out <= 0) {
        return -1;
    }
    return 0;
}

int
sltp_dist(int side, int64_t ref_px, int px_scale, int64_t tick, double stop_dist, double take_dist,
          int64_t *sl, int64_t *tp)
{
    if ((side != 1 && side != -1) || ref_px <= 0 || tick < 1 || px_scale < 0
        || px_scale > MONEY_MAX_SCALE || !(stop_dist >= 0 && stop_dist < 1e15)
        || !(take_dist >= 0 && take_dist < 1e15) || !sl || !tp) {
        errno = EINVAL;
        return -1;
    }
    int64_t s, t;
    money_round_t away_down = side > 0 ? MONEY_ROUND_DOWN : MONEY_ROUND_UP;
    money_round_t away_up = side > 0 ? MONEY_ROUND_UP : MONEY_ROUND_DOWN;
    if (s_dist_level(ref_px, px_scale, tick, -side, stop_dist, away_down, &s) != 0
        || s_dist_level(ref_px, px_scale, tick, side, take_dist, away_up, &t) != 0) {
        errno = ERANGE;
        return -1;
    }
    *sl = s;
    *tp = t;
    return 0;
}
