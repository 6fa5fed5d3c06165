/*  ind.c - incremental indicator set in TA-Lib's operation order. See ind.h.
 *  The comments quote the TA-Lib statement each update reproduces, so the floating-point
 *  results are the same rounding for rounding (not only within 1e-9).
 */
#include "signal/ind.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MASK (IND_RING - 1)
#define S_BIG  100000 /* TA-Lib's upper bound for optInTimePeriod */

/* TA_IS_ZERO(v) and TA_IS_ZERO_OR_NEG(v) of ta_utility.h */
#define S_IS_ZERO(v)        (-0.00000001 < (v) && (v) < 0.00000001)
#define S_IS_ZERO_OR_NEG(v) ((v) < 0.00000001)

typedef struct {
    int n;
    double k;     /* 2 / (n + 1), TA-Lib PER_TO_K */
    int64_t seen; /* inputs taken */
    double sum;   /* seed sum */
    double v;
} s_ema_t;

struct ind {
    ind_params_t p;
    char names[IND_COUNT][16];
    double vals[IND_COUNT];
    uint32_t mask;
    int64_t t; /* updates taken */
    double close[IND_RING], vol[IND_RING];
    /* window sums */
    double sma_sum, bb_sum1, bb_sum2, sd_sum1, sd_sum2, vol_sum;
    s_ema_t ema[IND_MAX_EMA];
    s_ema_t m_fast, m_slow, m_sig; /* TA_MACD */
    /* RSI */
    double r_gain, r_loss;
    /* ATR */
    double a_sum, atr;
    /* ADX / DI */
    double prev_high, prev_low, prev_close, pdm, mdm, tr, sum_dx, adx;
    /* VWAP */
    int64_t vw_day;
    double vw_pv, vw_v;
};

void
ind_params_default(ind_params_t *p)
{
    assert(p);
    memset(p, 0, sizeof *p);
    static const int k_emas[IND_MAX_EMA] = { 9, 12, 20, 21, 26, 50 };
    p->sma = 20;
    memcpy(p->ema, k_emas, sizeof k_emas);
    p->rsi = 14;
    p->macd_fast = 12;
    p->macd_slow = 26;
    p->macd_signal = 9;
    p->bb = 20;
    p->bb_k = 2.0;
    p->atr = 14;
    p->adx = 14;
    p->stddev = 20;
    p->mom = 10;
    p->vol_ma = 20;
}

static bool
s_win_ok(int n)
{
    return n >= 2 && n <= IND_RING - 1;
}

static bool
s_per_ok(int n)
{
    return n >= 2 && n <= S_BIG;
}

static void
s_ema_init(s_ema_t *e, int n)
{
    memset(e, 0, sizeof *e);
    e->n = n;
    e->k = 2.0 / ((double)(n + 1)); /* PER_TO_K */
}

/* TA_INT_EMA: seed prevMA = (sum of n inputs) / n; then
 * prevMA = ((inReal[today] - prevMA) * k) + prevMA. Returns true when v is an output. */
static inline bool
s_ema_step(s_ema_t *e, double x)
{
    if (e->seen >= e->n) {
        e->v = ((x - e->v) * e->k) + e->v;
        return true;
    }
    e->sum += x;
    if (++e->seen < e->n) {
        return false;
    }
    e->seen = e->n;
    e->v = e->sum / e->n;
    return true;
}

ind_t *
ind_new(const ind_params_t *p)
{
    assert(p);
    bool ok = s_win_ok(p->sma) && s_per_ok(p->rsi) && s_per_ok(p->macd_fast)
              && s_per_ok(p->macd_slow) && p->macd_fast < p->macd_slow && s_per_ok(p->macd_signal)
              && s_win_ok(p->bb) && p->bb_k > 0.0 && p->bb_k <= 10.0 && s_per_ok(p->atr)
              && s_per_ok(p->adx) && s_win_ok(p->stddev) && p->mom >= 1 && p->mom <= IND_RING - 1
              && s_win_ok(p->vol_ma);
    for (int i = 0; i < IND_MAX_EMA; i++) {
        ok = ok && (p->ema[i] == 0 || s_per_ok(p->ema[i]));
    }
    if (!ok) {
        errno = EINVAL;
        return NULL;
    }
    ind_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->p = *p;
    snprintf(self->names[IND_SMA], 16, "sma%d", p->sma);
    for (int i = 0; i < IND_MAX_EMA; i++) {
        if (p->ema[i]) {
            snprintf(self->names[IND_EMA0 + i], 16, "ema%d", p->ema[i]);
        }
    }
    snprintf(self->names[IND_RSI], 16, "rsi%d", p->rsi);
    snprintf(self->names[IND_MACD], 16, "macd");
    snprintf(self->names[IND_MACD_SIGNAL], 16, "macd_signal");
    snprintf(self->names[IND_MACD_HIST], 16, "macd_hist");
    snprintf(self->names[IND_ATR], 16, "atr%d", p->atr);
    snprintf(self->names[IND_BB_UPPER], 16, "bb_upper");
    snprintf(self->names[IND_BB_MIDDLE], 16, "bb_middle");
    snprintf(self->names[IND_BB_LOWER], 16, "bb_lower");
    snprintf(self->names[IND_ADX], 16, "adx%d", p->adx);
    snprintf(self->names[IND_PLUS_DI], 16, "plus_di%d", p->adx);
    snprintf(self->names[IND_MINUS_DI], 16, "minus_di%d", p->adx);
    snprintf(self->names[IND_STDDEV], 16, "stddev%d", p->stddev);
    snprintf(self->names[IND_MOM], 16, "mom%d", p->mom);
    snprintf(self->names[IND_ROC], 16, "roc%d", p->mom);
    snprintf(self->names[IND_VWAP], 16, "vwap");
    snprintf(self->names[IND_VOL_MA], 16, "vol_ma%d", p->vol_ma);
    ind_reset(self);
    return self;
}

void
ind_destroy(ind_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

void
ind_reset(ind_t *self)
{
    assert(self);
    const ind_params_t *p = &self->p;
    self->mask = 0;
    self->t = 0;
    self->sma_sum = self->bb_sum1 = self->bb_sum2 = self->sd_sum1 = self->sd_sum2 = 0.0;
    self->vol_sum = 0.0;
    for (int i = 0; i < IND_MAX_EMA; i++) {
        s_ema_init(&self->ema[i], p->ema[i] ? p->ema[i] : 2);
    }
    s_ema_init(&self->m_fast, p->macd_fast);
    s_ema_init(&self->m_slow, p->macd_slow);
    s_ema_init(&self->m_sig, p->macd_signal);
    self->r_gain = self->r_loss = 0.0;
    self->a_sum = self->atr = 0.0;
    self->pdm = self->mdm = self->tr = self->sum_dx = self->adx = 0.0;
    self->vw_day = INT64_MIN;
    self->vw_pv = self->vw_v = 0.0;
}

#define S_SET(id, x)                                                                               \
    do {                                                                                           \
        self->vals[(id)] = (x);                                                                    \
        self->mask |= 1u << (id);                                                                  \
    } while (0)

/* Running window sum in TA_INT_SMA's order: periodTotal += x; out = periodTotal / n;
 * periodTotal -= trailing. `sum` holds the n-1 most recent inputs between calls. */
static inline bool
s_window(double *sum, double x, const double *ring, int64_t t, int n, double *out)
{
    *sum += x;
    if (t < n - 1) {
        return false;
    }
    *out = *sum / n;
    *sum -= ring[(t - (n - 1)) & S_MASK];
    return true;
}

/* TA_INT_VAR / TA_INT_stddev_using_precalc_ma: population variance of the window. */
static inline bool
s_var(double *s1, double *s2, double x, const double *ring, int64_t t, int n, double *mean,
      double *var)
{
    double sq = x * x;
    *s1 += x;
    *s2 += sq;
    if (t < n - 1) {
        return false;
    }
    double m1 = *s1 / n, m2 = *s2 / n;
    double old = ring[(t - (n - 1)) & S_MASK];
    *s1 -= old;
    old *= old;
    *s2 -= old;
    *mean = m1;
    *var = m2 - (m1 * m1);
    return true;
}

/* TRUE_RANGE macro of ta_ADX.c / TA_TRANGE */
static inline double
s_true_range(double h, double l, double yc)
{
    double out = h - l;
    double d = fabs(h - yc);
    if (d > out) {
        out = d;
    }
    d = fabs(l - yc);
    if (d > out) {
        out = d;
    }
    return out;
}

int
ind_update(ind_t *self, const ind_bar_t *b)
{
    assert(self && b);
    if (!isfinite(b->high) || !isfinite(b->low) || !isfinite(b->close) || !isfinite(b->volume)
        || b->high < b->low || b->volume < 0.0) {
        errno = EINVAL;
        return -1;
    }
    const ind_params_t *p = &self->p;
    const int64_t t = self->t;
    const double x = b->close;
    double v, w;
    self->close[t & S_MASK] = x;
    self->vol[t & S_MASK] = b->volume;

    if (s_window(&self->sma_sum, x, self->close, t, p->sma, &v)) {
        S_SET(IND_SMA, v);
    }
    if (s_window(&self->vol_sum, b->volume, self->vol, t, p->vol_ma, &v)) {
        S_SET(IND_VOL_MA, v);
    }
    for (int i = 0; i < IND_MAX_EMA; i++) {
        if (p->ema[i] && s_ema_step(&self->ema[i], x)) {
            S_SET(IND_EMA0 + i, self->ema[i].v);
        }
    }

    /* TA_MACD: both EMAs start at t = slow-1 - (n-1): the fast one at t = slow - fast */
    if (t >= p->macd_slow - p->macd_fast) {
        bool f = s_ema_step(&self->m_fast, x);
        bool s = s_ema_step(&self->m_slow, x);
        if (f && s) {
            double macd = self->m_fast.v - self->m_slow.v; /* fastEMABuffer[i] - slowEMABuffer[i] */
            if (s_ema_step(&self->m_sig, macd)) {
                S_SET(IND_MACD, macd);
                S_SET(IND_MACD_SIGNAL, self->m_sig.v);
                S_SET(IND_MACD_HIST, macd - self->m_sig.v); /* outMACD[i] - outMACDSignal[i] */
            }
        }
    } else {
        (void)s_ema_step(&self->m_slow, x); /* never an output before t = slow-1 */
    }

    /* BBANDS: middle from TA_INT_SMA, sigma from the precalculated MA */
    if (s_var(&self->bb_sum1, &self->bb_sum2, x, self->close, t, p->bb, &v, &w)) {
        double d = (!S_IS_ZERO_OR_NEG(w) ? sqrt(w) : 0.0) * p->bb_k;
        S_SET(IND_BB_MIDDLE, v);
        S_SET(IND_BB_UPPER, v + d);
        S_SET(IND_BB_LOWER, v - d);
    }
    if (s_var(&self->sd_sum1, &self->sd_sum2, x, self->close, t, p->stddev, &v, &w)) {
        S_SET(IND_STDDEV, !S_IS_ZERO_OR_NEG(w) ? sqrt(w) * 1.0 : 0.0);
    }
    if (t >= p->mom) {
        double old = self->close[(t - p->mom) & S_MASK];
        S_SET(IND_MOM, x - old);
        S_SET(IND_ROC, old != 0.0 ? ((x / old) - 1.0) * 100.0 : 0.0);
    }

    if (t > 0) {
        const double yc = self->prev_close;
        /* RSI (ta_RSI.c): sums of the first n changes, / n, then Wilder */
        double ch = x - yc;
        const double rn = p->rsi;
        if (t <= p->rsi) {
            if (ch < 0) {
                self->r_loss -= ch;
            } else {
                self->r_gain += ch;
            }
            if (t == p->rsi) {
                self->r_loss /= rn;
                self->r_gain /= rn;
            }
        } else {
            self->r_loss *= (rn - 1);
            self->r_gain *= (rn - 1);
            if (ch < 0) {
                self->r_loss -= ch;
            } else {
                self->r_gain += ch;
            }
            self->r_loss /= rn;
            self->r_gain /= rn;
        }
        if (t >= p->rsi) {
            double s = self->r_gain + self->r_loss;
            S_SET(IND_RSI, !S_IS_ZERO(s) ? 100.0 * (self->r_gain / s) : 0.0);
        }

        const double tr = s_true_range(b->high, b->low, yc);
        /* ATR (ta_ATR.c): SMA of TR 1..n, then prevATR *= n-1; += TR; /= n */
        const double an = p->atr;
        if (t < p->atr) {
            self->a_sum += tr;
        } else if (t == p->atr) {
            self->a_sum += tr;
            self->atr = self->a_sum / an;
            S_SET(IND_ATR, self->atr);
        } else {
            self->atr *= (an - 1);
            self->atr += tr;
            self->atr /= an;
            S_SET(IND_ATR, self->atr);
        }

        /* ADX, +DI, -DI (ta_ADX.c, ta_PLUS_DI.c, ta_MINUS_DI.c) */
        const int n = p->adx;
        const double dn = n;
        double diff_p = b->high - self->prev_high;
        double diff_m = self->prev_low - b->low;
        double pdm = 0.0, mdm = 0.0;
        if (diff_m > 0 && diff_p < diff_m) {
            mdm = diff_m;
        } else if (diff_p > 0 && diff_p > diff_m) {
            pdm = diff_p;
        }
        if (t < n) {
            self->mdm += mdm;
            self->pdm += pdm;
            self->tr += tr;
        } else {
            self->mdm = self->mdm - (self->mdm / dn) + mdm;
            self->pdm = self->pdm - (self->pdm / dn) + pdm;
            self->tr = self->tr - (self->tr / dn) + tr;
            double pdi = 0.0, mdi = 0.0, dx = 0.0;
            bool have_dx = false;
            if (!S_IS_ZERO(self->tr)) {
                mdi = 100.0 * (self->mdm / self->tr);
                pdi = 100.0 * (self->pdm / self->tr);
                double s = mdi + pdi;
                if (!S_IS_ZERO(s)) {
                    dx = 100.0 * (fabs(mdi - pdi) / s);
                    have_dx = true;
                }
            }
            S_SET(IND_PLUS_DI, pdi);
            S_SET(IND_MINUS_DI, mdi);
            if (t < 2 * (int64_t)n - 1) {
                if (have_dx) {
                    self->sum_dx += dx;
                }
            } else if (t == 2 * (int64_t)n - 1) {
                if (have_dx) {
                    self->sum_dx += dx;
                }
                self->adx = self->sum_dx / dn;
                S_SET(IND_ADX, self->adx);
            } else {
                if (have_dx) {
                    self->adx = ((self->adx * (dn - 1)) + dx) / dn;
                }
                S_SET(IND_ADX, self->adx);
            }
        }
    }
    self->prev_high = b->high;
    self->prev_low = b->low;
    self->prev_close = x;

    /* VWAP anchored at 00:00 UTC */
    int64_t day = b->start_ns >= 0 ? b->start_ns / 86400000000000LL
                                   : -((-b->start_ns + 86399999999999LL) / 86400000000000LL);
    if (day != self->vw_day) {
        self->vw_day = day;
        self->vw_pv = self->vw_v = 0.0;
        self->mask &= ~(1u << IND_VWAP);
    }
    self->vw_pv += ((b->high + b->low + x) / 3.0) * b->volume;
    self->vw_v += b->volume;
    if (self->vw_v > 0.0) {
        S_SET(IND_VWAP, self->vw_pv / self->vw_v);
    }
    self->t++;
    return 0;
}

int
ind_get(const ind_t *self, int id, double *out)
{
    assert(self && out);
    if (id < 0 || id >= IND_COUNT) {
        errno = EINVAL;
        return -1;
    }
    if (!(self->mask & (1u << id))) {
        errno = ENODATA;
        return -1;
    }
    *out = self->vals[id];
    return 0;
}

int
ind_ema(const ind_t *self, int n, double *out)
{
    assert(self && out);
    for (int i = 0; i < IND_MAX_EMA; i++) {
        if (self->p.ema[i] == n) {
            return ind_get(self, IND_EMA0 + i, out);
        }
    }
    errno = ENOENT;
    return -1;
}

const char *
ind_name(const ind_t *self, int id)
{
    assert(self);
    if (id < 0 || id >= IND_COUNT) {
        return "";
    }
    return self->names[id];
}

uint32_t
ind_mask(const ind_t *self)
{
    assert(self);
    return self->mask;
}

uint64_t
ind_count(const ind_t *self)
{
    assert(self);
    return (uint64_t)self->t;
}

int
ind_fill(const ind_t *self, const char *venue, const char *symbol, int tf_s, int64_t ts_event,
         codec_sig_ind_t *out, int max)
{
    assert(self && venue && symbol && out);
    int n_msgs = 0;
    codec_sig_ind_t *cur = NULL;
    for (int id = 0; id < IND_COUNT; id++) {
        if (!(self->mask & (1u << id))) {
            continue;
        }
        if (!cur || cur->n == IND_PER_MSG) {
            if (n_msgs == max) {
                break;
            }
            cur = &out[n_msgs++];
            memset(cur, 0, sizeof *cur);
            codec_str(cur->venue, sizeof cur->venue, venue);
            codec_str(cur->symbol, sizeof cur->symbol, symbol);
            cur->tf_s = tf_s;
            cur->ts_event = ts_event;
        }
        codec_str(cur->names[cur->n], sizeof cur->names[0], self->names[id]);
        cur->values[cur->n] = self->vals[id];
        cur->n++;
    }
    return n_msgs;
}
