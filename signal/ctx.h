/*  ctx.h - market context of one series: regime, trading session, order flow, price levels.
 *  Owns:  per series a regime state (ring of the last `atr_window` ATR values) and a level
 *         table (CTX_MAX_LEVELS swing levels, a ring of the last 2*swing_n+1 bars).
 *  Not:   indicators (the caller passes its ind_t), publishing, the wall clock (session
 *         comes from the bar's event time).
 *  Rules (docs/signal.md "Market context"), all thresholds in ctx_params_t (config):
 *   Regime, evaluated per closed bar from close, EMA20, EMA50, ADX14, ATR14 and the ATR
 *   percentile p = 100 * (number of the last atr_window ATRs (current included) strictly below the
 *   current one) / atr_window (a constant ATR reads 0, a new high reads 100*(w-1)/w):
 *     NEUTRAL        until EMA50, ADX and ATR exist and atr_window ATRs are collected;
 *     VOLATILE       p >= volatile_pct                      strength = p;
 *     TRENDING_UP    close > EMA20 > EMA50 and ADX >= adx_trend,
 *     TRENDING_DOWN  close < EMA20 < EMA50 and ADX >= adx_trend,
 *                    strength = clamp(50 + 50 * (ADX - adx_trend) / (adx_strong - adx_trend));
 *     RANGING        ADX < adx_range   strength = clamp(100 * (adx_range - ADX) / adx_range);
 *     CHOPPY         anything else (ADX between the bands, or EMAs not aligned with a trend
 *                    ADX)              strength = 50.
 *     (first matching rule wins, in this order; clamp to 0..100)
 *   Session of the event time: common/sessions.h (sessions_of on p->sessions): ASIAN, LONDON,
 *     NY, LONDON_NY_OVERLAP or OFF.
 *   Order flow per bar: taker buy = bar.taker_buy_volume, taker sell = volume - buy, delta =
 *     buy - sell (qty mantissas). Book imbalance over the top n levels:
 *     (sum bid qty - sum ask qty) / (sum bid qty + sum ask qty), in -1..1 (0 on an empty book).
 *   Levels: bar i is a swing high (low) when its high (low) is strictly the highest (lowest)
 *     of bars i-swing_n .. i+swing_n, known swing_n bars later. A new swing within tol_bp of
 *     a live level of the same kind counts as a test of it instead. A later bar whose high
 *     (resistance) or low (support) comes within tol_bp of the level, or wicks beyond it,
 *     without closing through is a test (tests++, volume += bar volume). A close through (above a
 * resistance, below a support, by more than tol_bp) invalidates it (removed, counted). Strength
 * (0..100) = min(60, 20 * tests) + min(25, 25 * level volume / (swing_n * average bar volume)) + 15
 * * max(0, 1 - age_bars / max_age_bars). Table full: the weakest level is replaced. Invariants: (1)
 * every live level has price > 0 and tests >= 0; (2) n_levels <= CTX_MAX_LEVELS. Cost: regime
 * O(atr_window) per bar (rank in the ATR ring; 100 by default), levels O(CTX_MAX_LEVELS + swing_n),
 * flow and session O(1), imbalance O(n).
 */
#ifndef TP_CTX_H
#define TP_CTX_H

#include <stdint.h>

#include "common/codec.h"
#include "common/sessions.h"
#include "signal/ind.h"

#define CTX_MAX_LEVELS 16
#define CTX_MAX_SWING  50
#define CTX_MAX_ATRWIN 1000

typedef enum {
    CTX_NEUTRAL = 0,
    CTX_TRENDING_UP,
    CTX_TRENDING_DOWN,
    CTX_RANGING,
    CTX_VOLATILE,
    CTX_CHOPPY
} ctx_regime_t;

/* Sessions are common/sessions.h's (one definition for signal and risk). */
typedef sessions_id_t ctx_session_t;
#define CTX_ASIAN             SESSIONS_ASIAN
#define CTX_LONDON            SESSIONS_LONDON
#define CTX_NY                SESSIONS_NY
#define CTX_LONDON_NY_OVERLAP SESSIONS_OVERLAP
#define CTX_OFF               SESSIONS_OFF

typedef struct {
    double adx_trend;          /* default 25 */
    double adx_strong;         /* default 50 */
    double adx_range;          /* default 20 */
    double volatile_pct;       /* default 90 (ATR percentile) */
    int atr_window;            /* default 100 bars */
    sessions_hours_t sessions; /* top-level "sessions" (common/sessions.h) */
    int swing_n;               /* default 5 bars each side */
    double tol_bp;             /* default 10 (0.10 %) */
    int max_age_bars;          /* default 500 */
    int book_levels;           /* default 5 */
} ctx_params_t;

typedef struct {
    double price;
    int kind; /* +1 resistance (swing high), -1 support (swing low) */
    int tests;
    double volume;    /* base units */
    int64_t born_bar; /* bar index of the swing */
    int64_t last_test_ns;
    double strength; /* 0..100, updated every bar */
} ctx_level_t;

typedef struct ctx ctx_t;

void ctx_params_default(ctx_params_t *p);

/* NULL with errno EINVAL (adx_range > adx_trend, adx_strong <= adx_trend, hours outside
 * 0..24, atr_window outside 10..CTX_MAX_ATRWIN, swing_n outside
 * 1..CTX_MAX_SWING, tol_bp outside 0..1000, book_levels outside 1..CODEC_LEVELS) or ENOMEM. */
ctx_t *ctx_new(const ctx_params_t *p);
void ctx_destroy(ctx_t **self_p);

/* One closed bar: `ind` must already hold the bar (ind_update first); needs EMA 20 and 50 in
 * its params for the trend rules (without them the regime never leaves NEUTRAL/RANGING/
 * VOLATILE/CHOPPY by trend). 0, or -1/EINVAL (non-finite prices). */
int ctx_on_bar(ctx_t *self, const ind_bar_t *bar, const ind_t *ind);

ctx_regime_t ctx_regime(const ctx_t *self, double *strength);
/* ATR percentile p (0..100, the regime rule's) of the latest bar, or -1 until atr_window ATRs
 * exist (published in the context message as `atr_pctile`; risk's volatility multiplier). */
double ctx_atr_pctile(const ctx_t *self);
const char *ctx_regime_name(ctx_regime_t r);

ctx_session_t ctx_session(const ctx_params_t *p, int64_t ts_ns);
const char *ctx_session_name(ctx_session_t s);

/* Order flow of a bar (qty mantissas): *buy, *sell, *delta. */
void ctx_flow(const codec_sig_bar_t *bar, int64_t *buy, int64_t *sell, int64_t *delta);

/* Book imbalance over the top n levels (n clipped to the book's depth): -1..1. */
double ctx_imbalance(const codec_md_book_t *book, int n);

/* Live levels, strongest first would cost a sort: returned in table order. */
int ctx_levels(const ctx_t *self, const ctx_level_t **levels);
uint64_t ctx_invalidated(const ctx_t *self);

/* Strongest live level of `kind` within max_bp of px: 0 and *out, -1/ENOENT if none. */
int ctx_level_near(const ctx_t *self, double px, int kind, double max_bp, ctx_level_t *out);

const ctx_params_t *ctx_params(const ctx_t *self);

#endif /* TP_CTX_H */
