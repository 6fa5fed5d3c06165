/*  jtok.h - a parsed JSON text as a flat token array (jsmn), with the few lookups the venue
 *  frame parsers need. The hot-path JSON reader of feed/ (REST bodies use jansson instead).
 *  Owns:  the token array (capacity fixed at jtok_new; no allocation per parse).
 *  Not:   the text: tokens point into the caller's buffer, which must outlive the lookups.
 *  Tokens are addressed by index; index 0 is the root. A lookup that finds nothing returns -1.
 *  Strict mode (JSMN_STRICT): keys must be strings, primitives must be true/false/null/numbers.
 */
#ifndef TP_JTOK_H
#define TP_JTOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct jtok jtok_t;

typedef enum { JTOK_NONE = 0, JTOK_OBJECT, JTOK_ARRAY, JTOK_STRING, JTOK_PRIMITIVE } jtok_type_t;

/* Create with room for `cap` tokens (an object, array, key, string or number is one token:
 * a Bybit orderbook.200 snapshot needs ~1,220). NULL/EINVAL (cap 0) or ENOMEM. */
jtok_t *jtok_new(size_t cap);
void jtok_destroy(jtok_t **self_p);

/* Tokenise js[len]. Returns the token count, or -1 with errno EPROTO (not valid or not
 * complete JSON, or the root is not an object or array) or ENOBUFS (more than cap tokens).
 * Cost: one pass over the text. */
int jtok_parse(jtok_t *self, const char *js, size_t len);

jtok_type_t jtok_type(const jtok_t *self, int i);
int jtok_size(const jtok_t *self, int i); /* members of an object / elements of an array */
/* Text of token i (string contents without quotes, or the primitive as written). */
const char *jtok_text(const jtok_t *self, int i, size_t *len);
/* Index of the token after the whole subtree rooted at i. */
int jtok_next(const jtok_t *self, int i);
/* Value token of key[klen] in object `obj`, or -1 (obj not an object or key absent). */
int jtok_getn(const jtok_t *self, int obj, const char *key, size_t klen);
/* jtok_getn with a NUL-terminated key (inline: the length of a literal key is a constant). */
static inline int
jtok_get(const jtok_t *self, int obj, const char *key)
{
    return jtok_getn(self, obj, key, strlen(key));
}
/* Element `k` of array `arr`, or -1. O(size of the preceding elements). */
int jtok_at(const jtok_t *self, int arr, int k);
/* true if token i is a string equal to s. */
bool jtok_streq(const jtok_t *self, int i, const char *s);
/* Integer primitive (digits with optional '-'). 0, or -1/EINVAL (not an integer primitive,
 * i < 0) or ERANGE. */
int jtok_i64(const jtok_t *self, int i, int64_t *out);
/* Integer written as a string ("1786320000000") or as a number. As jtok_i64. */
int jtok_i64_any(const jtok_t *self, int i, int64_t *out);
/* Boolean primitive. 0, or -1/EINVAL. */
int jtok_bool(const jtok_t *self, int i, bool *out);
/* Decimal string token as a mantissa at `scale` (money_parse). 0, or -1/EINVAL (not a string,
 * malformed, non-zero digits beyond scale) or ERANGE. */
int jtok_money(const jtok_t *self, int i, int scale, int64_t *out);
/* As jtok_money, but extra digits are rounded half-even to `scale` (marks and indexes that
 * the venue quotes finer than the tick). */
int jtok_money_round(const jtok_t *self, int i, int scale, int64_t *out);
/* One price level: token `lv` is an array whose first two elements are decimal strings
 * ([price, size, ...], Bybit "b"/"a" and Binance "b"/"a"/"bids"/"asks" entries): price as a
 * mantissa at px_scale, size at qty_scale, both by jtok_money's rules. With round_qty, a size
 * finer than qty_scale is rounded half-even instead (jtok_money_round) and a non-zero size
 * never rounds to zero (it becomes 1 unit: a level is never turned into a delete). Returns the
 * index of the token after the level (the next level), or -1 with errno EINVAL (not such an
 * array, malformed or too fine a number) or ERANGE. One call per level: the inner loop of
 * every book frame. */
int jtok_level(const jtok_t *self, int lv, int px_scale, int qty_scale, bool round_qty, int64_t *px,
               int64_t *qty);

/* Copy a string token into out[cap] (NUL-terminated). 0, or -1/EINVAL (not a string, or too
 * long for cap). */
int jtok_copy(const jtok_t *self, int i, char *out, size_t cap);

#endif /* TP_JTOK_H */
