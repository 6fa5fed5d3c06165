/*  instr.h - an instrument's trading rules as exact fixed point.
 *  Plain value type. px_scale/qty_scale are the decimals of the tick size and qty step, so
 *  tick and step are mantissas at those scales (tick 0.10 -> px_scale 1, tick 1).
 *  min_notional is at MONEY_VALUE_SCALE (quote currency).
 *  Sources: Bybit GET /v5/market/instruments-info (priceFilter.tickSize, lotSizeFilter.qtyStep
 *  or basePrecision (spot), minOrderQty, minNotionalValue or minOrderAmt (spot)); Binance
 *  exchangeInfo filters PRICE_FILTER.tickSize, LOT_SIZE.stepSize/minQty, NOTIONAL.minNotional.
 */
#ifndef TP_INSTR_H
#define TP_INSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSTR_SYM_MAX    24
#define INSTR_VENUE_MAX  16
#define INSTR_CCY_MAX    12
#define INSTR_TICK_STEPS 4

/* A price band with its own tick (Deribit options' tick_size_steps): at prices > above_px the
 * tick is `tick`. Both mantissas at the instrument's px_scale. */
typedef struct {
    int64_t above_px;
    int64_t tick;
} instr_tick_step_t;

typedef struct {
    char venue[INSTR_VENUE_MAX];    /* venue id as in md.* topics: "bybit-linear", "bybit-spot"
                                       (one id per category keeps venue+symbol unique) */
    char category[INSTR_VENUE_MAX]; /* "linear", "spot", "usdm" */
    char symbol[INSTR_SYM_MAX];     /* "BTCUSDT" */
    int px_scale;                   /* decimals of prices */
    int qty_scale;                  /* decimals of quantities */
    int64_t tick;                   /* tick size, mantissa at px_scale (>= 1) */
    int64_t step;                   /* qty step, mantissa at qty_scale (>= 1) */
    int64_t min_qty;                /* mantissa at qty_scale */
    int64_t min_notional;           /* at MONEY_VALUE_SCALE; 0 = none */
    /* Deribit (feed/deribit.c); zero for venues that do not give them: */
    int64_t contract_size;       /* mantissa at qty_scale; 0 = not given */
    char settle[INSTR_CCY_MAX];  /* settlement currency ("BTC", "USDC"); "" = not given */
    char qty_ccy[INSTR_CCY_MAX]; /* unit of quantities ("USD" for Deribit inverse futures,
                                    the base coin for options and linear); "" = not given */
    int n_tick_steps;            /* 0..INSTR_TICK_STEPS, ascending above_px */
    instr_tick_step_t tick_steps[INSTR_TICK_STEPS];
} instr_t;

/* Fill `out` from decimal strings as the venue sends them ("0.10", "0.001", "0.001", "5").
 * Scales are taken from tick and step. min_notional may be NULL. Returns 0, or -1/EINVAL
 * (malformed, zero tick/step, scale > 12). */
int instr_from_strings(instr_t *out, const char *venue, const char *category, const char *symbol,
                       const char *tick, const char *step, const char *min_qty,
                       const char *min_notional);

/* The tick that applies at price `px` (mantissa at px_scale): the tick of the last step whose
 * above_px < px, else in->tick. */
int64_t instr_tick_at(const instr_t *in, int64_t px);

/* Parse a Bybit v5 instruments-info response body (JSON text, any category) and call `fn`
 * once per instrument. Returns the number of instruments, or -1/EINVAL|EPROTO. */
int instr_parse_bybit(const char *json, size_t len, const char *venue,
                      void (*fn)(const instr_t *in, void *arg), void *arg);

/* A fixed set of instruments looked up by venue and symbol. Capacity 256. */
typedef struct instr_table instr_table_t;
instr_table_t *instr_table_new(void);
void instr_table_destroy(instr_table_t **self_p);
/* Insert or replace (same venue+symbol). 0, or -1/ENOSPC. */
int instr_table_put(instr_table_t *self, const instr_t *in);
/* Borrowed pointer valid until the next put or destroy; NULL if unknown. */
const instr_t *instr_table_get(const instr_table_t *self, const char *venue, const char *symbol);
size_t instr_table_size(const instr_table_t *self);
const instr_t *instr_table_at(const instr_table_t *self, size_t i);

#endif /* TP_INSTR_H */
