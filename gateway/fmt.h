/*  fmt.h - bus message bodies as the JSON the gateway answers with: prices, quantities and
 *  money as decimal strings at their scale (a number shown to a person is a decimal, never a
 *  scaled integer), times as ns integers plus ISO text, sides and order types as words.
 *  Owns:  nothing; every function returns a new jansson value the caller owns (json_decref).
 *  Field names and units per type: docs/api.md "Objects".
 */
#ifndef TP_GATEWAY_FMT_H
#define TP_GATEWAY_FMT_H

#include <stdint.h>

#include <jansson.h>

#include "common/codec.h"

/* Mantissa `m` at `scale` as a decimal string ("65114.20", "-0.00001000"), trailing zeros
 * kept (the scale is the instrument's precision). NULL on a bad scale or out of memory. */
json_t *fmt_money(int64_t m, int scale);

/* As fmt_money, but JSON null when m == 0 (a price that is not set: market order, no stop). */
json_t *fmt_px_opt(int64_t m, int scale);

/* A quote-currency amount (MONEY_VALUE_SCALE mantissa) as a decimal string. */
json_t *fmt_value(int64_t m);

/* "buy" for +1, "sell" for -1, "none" otherwise. Static string. */
const char *fmt_side(int side);

/* The body `body` (the codec_body_t member for `type`) as a JSON object with decimals, plus
 * "evt" (ns) and "time" (ISO, UTC) of its ts_event when it has one. NULL for a type the
 * gateway does not show (md.book, md.trade, sys.barrier, ...) or out of memory. */
json_t *fmt_body(codec_type_t type, const void *body);

#endif /* TP_GATEWAY_FMT_H */
