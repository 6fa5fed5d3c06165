/*  exinfo.h - Binance exchangeInfo bodies (GET /api/v3/exchangeInfo, /fapi/v1/exchangeInfo)
 *  to instrument rules: PRICE_FILTER.tickSize, LOT_SIZE.stepSize and minQty, NOTIONAL.minNotional
 *  (spot) or MIN_NOTIONAL.notional (USD-M). Binance pads decimals ("0.01000000"): trailing
 *  zeros are stripped before the scales are taken (tick 0.01 -> px_scale 2).
 *  Parsed with jansson: read once at start (a bundled body, data/binance/exchangeinfo_*.json),
 *  never on the hot path. Owns nothing.
 */
#ifndef TP_EXINFO_H
#define TP_EXINFO_H

#include <stddef.h>

#include "common/instr.h"

/* Call fn once per symbol of the body with status "TRADING" (`venue`, `category` copied into
 * each instr_t). Returns the number of instruments, or -1 with errno EPROTO (not an
 * exchangeInfo body). Symbols with missing or malformed filters are skipped. */
int exinfo_parse_binance(const char *json, size_t len, const char *venue, const char *category,
                         void (*fn)(const instr_t *in, void *arg), void *arg);

/* Read a file holding such a body. Malloc'd, NUL-terminated (*len set), or NULL/errno. */
char *exinfo_read(const char *path, size_t *len);

#endif /* TP_EXINFO_H */
