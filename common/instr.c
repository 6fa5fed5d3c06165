/*  instr.c - instrument rules from venue decimal strings, Bybit instruments-info parsing and
 *  a small fixed table (contract in instr.h).
 *  Owns:  the table's fixed array of instr_t (capacity k_table_cap).
 *  Not:   fetching the REST body (feed does), Binance exchangeInfo (its adapter fills
 *         instr_from_strings from PRICE_FILTER/LOT_SIZE/NOTIONAL itself).
 *  Units: px_scale = decimals of the tick size, qty_scale = decimals of the qty step (trailing
 *         zeros ignored: "0.010" -> 2), so tick and step are mantissas >= 1; min_notional at
 *         MONEY_VALUE_SCALE. Source: Bybit v5 GET /v5/market/instruments-info, fields
 *         priceFilter.tickSize; lotSizeFilter.qtyStep / minOrderQty / minNotionalValue for
 *         linear and inverse, lotSizeFilter.basePrecision / minOrderQty / minOrderAmt for spot.
 *  The `venue` stored is whatever the caller passes; use the venue id of the md topics
 *  ("bybit-linear", "bybit-spot") so that one table can hold both categories' BTCUSDT.
 *  Invariants of every instr_t produced here:
 *    (1) 0 <= px_scale, qty_scale <= k_max_scale; tick >= 1, step >= 1
 *    (2) min_qty >= 0, min_notional >= 0; venue, category, symbol NUL-terminated, symbol != ""
 *    (3) a table never holds two entries with the same venue and symbol
 */
#include "common/instr.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/log.h"
#include "common/money.h"

enum { k_max_scale = 12, k_table_cap = 256 };

static int
s_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) {
        return -1;
    }
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
    return 0;
}

/* decimals of a tick/step string, -1 if malformed or finer than k_max_scale */
static int
s_scale_of(const char *s)
{
    int d = money_decimals(s, strlen(s));
    return d >= 0 && d <= k_max_scale ? d : -1;
}

static int
s_parse(const char *s, int scale, int64_t *out)
{
    return money_parse(s, strlen(s), scale, out);
}

int
instr_from_strings(instr_t *out, const char *venue, const char *category, const char *symbol,
                   const char *tick, const char *step, const char *min_qty,
                   const char *min_notional)
{
    instr_t in;
    memset(&in, 0, sizeof in);
    if (!out || !venue || !symbol || !symbol[0] || !tick || !step || !min_qty
        || s_copy(in.venue, sizeof in.venue, venue) != 0
        || s_copy(in.category, sizeof in.category, category) != 0
        || s_copy(in.symbol, sizeof in.symbol, symbol) != 0) {
        errno = EINVAL;
        return -1;
    }
    in.px_scale = s_scale_of(tick);
    in.qty_scale = s_scale_of(step);
    if (in.px_scale < 0 || in.qty_scale < 0 || s_parse(tick, in.px_scale, &in.tick) != 0
        || s_parse(step, in.qty_scale, &in.step) != 0
        || s_parse(min_qty, in.qty_scale, &in.min_qty) != 0
        || (min_notional && s_parse(min_notional, MONEY_VALUE_SCALE, &in.min_notional) != 0)
        || in.tick < 1 || in.step < 1 || in.min_qty < 0 || in.min_notional < 0) {
        errno = EINVAL; /* also when money_parse said ERANGE: the text is unusable */
        return -1;
    }
    *out = in;
    return 0;
}

int64_t
instr_tick_at(const instr_t *in, int64_t px)
{
    assert(in);
    int64_t tick = in->tick;
    for (int i = 0; i < in->n_tick_steps && i < INSTR_TICK_STEPS; i++) {
        if (px > in->tick_steps[i].above_px) {
            tick = in->tick_steps[i].tick;
        }
    }
    return tick;
}

/* obj.key as a string, or NULL */
static const char *
s_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

int
instr_parse_bybit(const char *json, size_t len, const char *venue,
                  void (*fn)(const instr_t *in, void *arg), void *arg)
{
    json_error_t jerr;
    if (!json || !venue || !fn) {
        errno = EINVAL;
        return -1;
    }
    json_t *root = json_loadb(json, len, 0, &jerr);
    if (!root) {
        log_warn("instr", "instruments-info is not JSON: %s at line %d", jerr.text, jerr.line);
        errno = EPROTO;
        return -1;
    }
    const json_t *ret = json_object_get(root, "retCode");
    const json_t *result = json_object_get(root, "result");
    const char *category = s_str(result, "category");
    const json_t *list = json_object_get(result, "list");
    if ((ret && json_integer_value(ret) != 0) || !category || !json_is_array(list)) {
        log_warn("instr", "instruments-info: retCode %lld or no result.category/list",
                 ret ? (long long)json_integer_value(ret) : -1LL);
        json_decref(root);
        errno = EPROTO;
        return -1;
    }
    bool spot = strcmp(category, "spot") == 0;
    int count = 0;
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        const json_t *lot = json_object_get(e, "lotSizeFilter");
        const char *symbol = s_str(e, "symbol");
        const char *tick = s_str(json_object_get(e, "priceFilter"), "tickSize");
        const char *step = s_str(lot, spot ? "basePrecision" : "qtyStep");
        const char *min_qty = s_str(lot, "minOrderQty");
        const char *min_notional = s_str(lot, spot ? "minOrderAmt" : "minNotionalValue");
        instr_t in;
        /* one odd listing (e.g. a 1e-13 tick) must not stop the rest: skip it, say so */
        if (instr_from_strings(&in, venue, category, symbol ? symbol : "", tick ? tick : "",
                               step ? step : "", min_qty ? min_qty : "", min_notional)
            != 0) {
            log_warn("instr", "skipping %s %s: tick '%s' step '%s' min_qty '%s' not usable",
                     category, symbol ? symbol : "?", tick ? tick : "?", step ? step : "?",
                     min_qty ? min_qty : "?");
            continue;
        }
        fn(&in, arg);
        count++;
    }
    json_decref(root);
    return count;
}

struct instr_table {
    size_t size;
    instr_t items[k_table_cap];
};

instr_table_t *
instr_table_new(void)
{
    instr_table_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
    }
    return self;
}

void
instr_table_destroy(instr_table_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

/* index of venue+symbol, or self->size. Linear scan: tables hold tens of instruments and are
 * looked up when an instrument is first seen, not per message. */
static size_t
s_find(const instr_table_t *self, const char *venue, const char *symbol)
{
    size_t i;
    for (i = 0; i < self->size; i++) {
        if (strcmp(self->items[i].symbol, symbol) == 0
            && strcmp(self->items[i].venue, venue) == 0) {
            break;
        }
    }
    return i;
}

int
instr_table_put(instr_table_t *self, const instr_t *in)
{
    assert(self);
    assert(in);
    size_t i = s_find(self, in->venue, in->symbol);
    if (i == self->size) {
        if (self->size == k_table_cap) {
            errno = ENOSPC;
            return -1;
        }
        self->size++;
    }
    self->items[i] = *in;
    return 0;
}

const instr_t *
instr_table_get(const instr_table_t *self, const char *venue, const char *symbol)
{
    assert(self);
    if (!venue || !symbol) {
        return NULL;
    }
    size_t i = s_find(self, venue, symbol);
    return i < self->size ? &self->items[i] : NULL;
}

size_t
instr_table_size(const instr_table_t *self)
{
    assert(self);
    return self->size;
}

const instr_t *
instr_table_at(const instr_table_t *self, size_t i)
{
    assert(self);
    return i < self->size ? &self->items[i] : NULL;
}
