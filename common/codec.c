/*  codec.c - envelope and message bodies to and from msgpack (contract in codec.h).
 *  Owns:  nothing at run time; one static table per message type listing its fields once
 *         (key, kind, offset, size, capacity) that drives encode, decode and the docs.
 *  Not:   sockets, topics beyond the type lookup, validation of business values.
 *  Design:
 *    - Encoding uses msgpack-c's packing routines (its pack_template.h instantiated over the
 *      caller's fixed buffer, see s_mp_*): no allocation, ENOBUFS when it does not fit.
 *    - Decoding walks the msgpack bytes in place with the small reader below instead of
 *      msgpack_unpack(): msgpack_unpack() builds an object tree in a msgpack_zone and
 *      allocates n * 24 bytes for an array/map as soon as it reads the header, before it
 *      knows the elements exist (a 5-byte hostile frame claiming 2^32 entries asks for
 *      ~100 GB), and msgpack_zone cannot run over a caller's buffer (zone_init, expand and
 *      destroy all malloc/free their chunks). The reader needs no memory, stops at the first
 *      byte past the end, and bounds nesting (k_max_depth).
 *    - Body keys are the struct field names; element counts (n, n_bids, ...) are not keys:
 *      they are the length of the array(s) they count.
 *  Invariants:
 *    (1) every field of every body struct appears exactly once in its table (checked by the
 *        round-trip tests, which set every field to a non-zero value and compare the structs)
 *    (2) a decoded string is NUL-terminated within its field and holds no NUL byte
 *    (3) a decoded array count never exceeds the array's capacity; arrays sharing one count
 *        (names/values, labels/counts) have equal lengths
 */
#include "common/codec.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

void
codec_str(char *dst, size_t cap, const char *src)
{
    size_t len = strnlen(src, cap - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* ---- field tables -------------------------------------------------------------------- */

typedef enum {
    K_STR = 1, /* char[size], NUL-terminated */
    K_I64,
    K_U64,
    K_I32,
    K_U32,
    K_I8,
    K_U8,
    K_BOOL,
    K_F64,
    K_LEVELS, /* codec_level_t[max] -> [[px, qty], ...] */
    K_STRARR, /* char[max][size] -> [str, ...] */
    K_F64ARR, /* double[max] */
    K_I64ARR, /* int64_t[max] */
    K_U64ARR  /* uint64_t[max] */
} s_kind_t;

typedef struct {
    const char *name; /* msgpack key = struct field name */
    uint8_t kind;     /* s_kind_t */
    uint8_t name_len;
    uint16_t off;       /* offsetof the field */
    uint16_t size;      /* bytes of the field; for arrays, of one element */
    uint16_t max;       /* arrays: capacity in elements */
    uint16_t count_off; /* arrays: offset of the uint32_t element count */
} s_field_t;

/* The kind of a scalar member, from its C type: a header change to a type the codec does not
 * know is a compile error here, not a silent mis-encoding. */
#define S_KIND(x)                                                                                  \
    _Generic((x), char *: K_STR, int64_t: K_I64, uint64_t: K_U64, int32_t: K_I32,                \
        uint32_t: K_U32, int8_t: K_I8, uint8_t: K_U8, bool: K_BOOL, double: K_F64)
#define S_MEMBER(T, f) (((T *)0)->f)

/* scalar or string field */
#define F(T, f)                                                                                    \
    {                                                                                              \
        .name = #f, .kind = S_KIND(S_MEMBER(T, f)), .name_len = sizeof(#f) - 1,                    \
        .off = offsetof(T, f), .size = sizeof(S_MEMBER(T, f))                                      \
    }
/* array field `f` counted by the uint32_t member `n` (the sizeof(char[_Generic]) term fails to
 * compile if `n` is not a uint32_t) */
#define FA(T, f, n, k)                                                                             \
    {                                                                                              \
        .name = #f, .kind = (k), .name_len = sizeof(#f) - 1, .off = offsetof(T, f),                \
        .size = sizeof(S_MEMBER(T, f)[0]),                                                         \
        .max = sizeof(S_MEMBER(T, f)) / sizeof(S_MEMBER(T, f)[0]),                                 \
        .count_off = offsetof(T, n) + 0 * sizeof(char[_Generic(S_MEMBER(T, n), uint32_t : 1)])     \
    }

static const s_field_t k_f_env[] = { F(codec_env_t, v),     F(codec_env_t, src),
                                     F(codec_env_t, epoch), F(codec_env_t, seq),
                                     F(codec_env_t, ts),    F(codec_env_t, origin),
                                     F(codec_env_t, evt) };

#define T codec_md_book_t
static const s_field_t k_f_book[] = { F(T, venue),
                                      F(T, symbol),
                                      F(T, px_scale),
                                      F(T, qty_scale),
                                      F(T, ts_event),
                                      F(T, ts_recv),
                                      F(T, update_id),
                                      F(T, snapshot),
                                      FA(T, bids, n_bids, K_LEVELS),
                                      FA(T, asks, n_asks, K_LEVELS) };
#undef T
#define T codec_md_trade_t
static const s_field_t k_f_trade[] = { F(T, venue),     F(T, symbol),   F(T, px_scale),
                                       F(T, qty_scale), F(T, ts_event), F(T, ts_recv),
                                       F(T, px),        F(T, qty),      F(T, side),
                                       F(T, trade_id) };
#undef T
#define T codec_md_ticker_t
static const s_field_t k_f_ticker[] = {
    F(T, venue),   F(T, symbol),  F(T, px_scale), F(T, qty_scale),       F(T, ts_event),
    F(T, ts_recv), F(T, last_px), F(T, mark_px),  F(T, index_px),        F(T, bid_px),
    F(T, bid_qty), F(T, ask_px),  F(T, ask_qty),  F(T, funding_rate_e8), F(T, next_funding_ns)
};
#undef T
#define T codec_md_kline_t
static const s_field_t k_f_kline[] = { F(T, venue),        F(T, symbol),
                                       F(T, px_scale),     F(T, qty_scale),
                                       F(T, interval_s),   F(T, start_ns),
                                       F(T, end_ns),       F(T, open),
                                       F(T, high),         F(T, low),
                                       F(T, close),        F(T, volume),
                                       F(T, quote_volume), F(T, taker_buy_volume),
                                       F(T, trades),       F(T, closed),
                                       F(T, ts_event),     F(T, ts_recv) };
#undef T
#define T codec_md_status_t
static const s_field_t k_f_status[] = { F(T, venue), F(T, symbol), F(T, state), F(T, reason),
                                        F(T, ts_event) };
#undef T
#define T codec_md_instrument_t
static const s_field_t k_f_instrument[] = { F(T, venue),    F(T, category),  F(T, symbol),
                                            F(T, px_scale), F(T, qty_scale), F(T, tick),
                                            F(T, step),     F(T, min_qty),   F(T, min_notional) };
#undef T
#define T codec_sig_bar_t
static const s_field_t k_f_bar[] = { F(T, venue),        F(T, symbol),    F(T, source),
                                     F(T, px_scale),     F(T, qty_scale), F(T, tf_s),
                                     F(T, start_ns),     F(T, end_ns),    F(T, open),
                                     F(T, high),         F(T, low),       F(T, close),
                                     F(T, vwap),         F(T, volume),    F(T, taker_buy_volume),
                                     F(T, quote_volume), F(T, trades) };
#undef T
#define T codec_sig_ind_t
static const s_field_t k_f_ind[] = { F(T, venue),
                                     F(T, symbol),
                                     F(T, tf_s),
                                     F(T, ts_event),
                                     FA(T, names, n, K_STRARR),
                                     FA(T, values, n, K_F64ARR) };
#undef T
#define T codec_sig_signal_t
static const s_field_t k_f_signal[] = { F(T, strategy),   F(T, venue),    F(T, symbol), F(T, side),
                                        F(T, confidence), F(T, px_scale), F(T, ref_px), F(T, sl_px),
                                        F(T, tp_px),      F(T, ts_event), F(T, reason) };
#undef T
#define T codec_sig_setup_t
static const s_field_t k_f_setup[] = {
    F(T, strategy), F(T, venue),    F(T, symbol),     F(T, kind),       F(T, state),  F(T, side),
    F(T, px_scale), F(T, level_px), F(T, zone_lo_px), F(T, zone_hi_px), F(T, ref_px), F(T, sl_px),
    F(T, tp1_px),   F(T, tp2_px),   F(T, bars),       F(T, ts_event),   F(T, reason)
};
#undef T
#define T codec_risk_order_t
static const s_field_t k_f_order[] = {
    F(T, client_id), F(T, strategy), F(T, venue),       F(T, symbol),     F(T, intent),
    F(T, side),      F(T, type),     F(T, reduce_only), F(T, px_scale),   F(T, qty_scale),
    F(T, qty),       F(T, px),       F(T, sl_px),       F(T, tp_px),      F(T, ts_event),
    F(T, ttl_ns),    F(T, tif),      F(T, trigger_px),  F(T, trigger_dir)
};
#undef T
#define T codec_risk_reject_t
static const s_field_t k_f_reject[] = { F(T, client_id), F(T, strategy), F(T, symbol), F(T, reason),
                                        F(T, ts_event) };
#undef T
#define T codec_risk_state_t
static const s_field_t k_f_rstate[] = { F(T, state),          F(T, reason),       F(T, equity),
                                        F(T, equity_peak),    F(T, daily_pnl),    F(T, drawdown),
                                        F(T, open_positions), F(T, trades_today), F(T, ts_event) };
#undef T
#define T codec_risk_alert_t
static const s_field_t k_f_alert[] = { F(T, level), F(T, code), F(T, text), F(T, ts_event) };
#undef T
#define T codec_exec_order_t
static const s_field_t k_f_xorder[] = { F(T, client_id), F(T, order_id),  F(T, venue),
                                        F(T, symbol),    F(T, status),    F(T, reject_reason),
                                        F(T, side),      F(T, type),      F(T, reduce_only),
                                        F(T, px_scale),  F(T, qty_scale), F(T, qty),
                                        F(T, px),        F(T, cum_qty),   F(T, avg_px),
                                        F(T, fee),       F(T, ts_event) };
#undef T
#define T codec_exec_fill_t
static const s_field_t k_f_fill[] = { F(T, client_id),    F(T, order_id), F(T, fill_id),
                                      F(T, venue),        F(T, symbol),   F(T, side),
                                      F(T, maker),        F(T, px_scale), F(T, qty_scale),
                                      F(T, px),           F(T, qty),      F(T, fee),
                                      F(T, realized_pnl), F(T, ts_event) };
#undef T
#define T codec_exec_position_t
static const s_field_t k_f_position[] = { F(T, venue),     F(T, symbol),       F(T, px_scale),
                                          F(T, qty_scale), F(T, qty),          F(T, entry_px),
                                          F(T, mark_px),   F(T, realized_pnl), F(T, unrealized_pnl),
                                          F(T, ts_event) };
#undef T
#define T codec_exec_balance_t
static const s_field_t k_f_balance[] = { F(T, venue),  F(T, asset), F(T, wallet),  F(T, available),
                                         F(T, equity), F(T, fees),  F(T, ts_event) };
#undef T
#define T codec_order_ack_t
static const s_field_t k_f_ack[] = { F(T, client_id), F(T, accepted), F(T, status), F(T, reason) };
#undef T
#define T codec_sys_hb_t
static const s_field_t k_f_hb[] = { F(T, stage), F(T, state), F(T, uptime_ms),
                                    FA(T, names, n, K_STRARR), FA(T, values, n, K_I64ARR) };
#undef T
#define T codec_gw_action_t
static const s_field_t k_f_action[] = { F(T, action), F(T, target), F(T, args),    F(T, token),
                                        F(T, ok),     F(T, answer), F(T, ts_event) };
#undef T
#define T codec_sys_barrier_t
static const s_field_t k_f_barrier[] = { F(T, step),
                                         F(T, ts_event),
                                         F(T, end),
                                         F(T, ready),
                                         FA(T, labels, n, K_STRARR),
                                         FA(T, counts, n, K_U64ARR) };
#undef T

typedef struct {
    const char *name; /* "md.book": also the topic prefix (followed by '.' or the end) */
    const s_field_t *fields;
    size_t n_fields;
    size_t size; /* sizeof the body struct */
} s_type_t;

#define TY(name, tbl, st)                                                                          \
    {                                                                                              \
        name, tbl, sizeof(tbl) / sizeof(tbl[0]), sizeof(st)                                        \
    }
static const s_type_t k_types[CODEC_TYPE_COUNT] = {
    [CODEC_UNKNOWN] = { "unknown", NULL, 0, 0 },
    [CODEC_MD_BOOK] = TY("md.book", k_f_book, codec_md_book_t),
    [CODEC_MD_TRADE] = TY("md.trade", k_f_trade, codec_md_trade_t),
    [CODEC_MD_TICKER] = TY("md.ticker", k_f_ticker, codec_md_ticker_t),
    [CODEC_MD_KLINE] = TY("md.kline", k_f_kline, codec_md_kline_t),
    [CODEC_MD_STATUS] = TY("md.status", k_f_status, codec_md_status_t),
    [CODEC_MD_INSTRUMENT] = TY("md.instrument", k_f_instrument, codec_md_instrument_t),
    [CODEC_SIG_BAR] = TY("sig.bar", k_f_bar, codec_sig_bar_t),
    [CODEC_SIG_IND] = TY("sig.ind", k_f_ind, codec_sig_ind_t),
    [CODEC_SIG_SIGNAL] = TY("sig.signal", k_f_signal, codec_sig_signal_t),
    [CODEC_RISK_ORDER] = TY("risk.order", k_f_order, codec_risk_order_t),
    [CODEC_RISK_REJECT] = TY("risk.reject", k_f_reject, codec_risk_reject_t),
    [CODEC_RISK_STATE] = TY("risk.state", k_f_rstate, codec_risk_state_t),
    [CODEC_RISK_ALERT] = TY("risk.alert", k_f_alert, codec_risk_alert_t),
    [CODEC_EXEC_ORDER] = TY("exec.order", k_f_xorder, codec_exec_order_t),
    [CODEC_EXEC_FILL] = TY("exec.fill", k_f_fill, codec_exec_fill_t),
    [CODEC_EXEC_POSITION] = TY("exec.position", k_f_position, codec_exec_position_t),
    [CODEC_EXEC_BALANCE] = TY("exec.balance", k_f_balance, codec_exec_balance_t),
    [CODEC_ORDER_ACK] = TY("order.ack", k_f_ack, codec_order_ack_t),
    [CODEC_SYS_HB] = TY("sys.hb", k_f_hb, codec_sys_hb_t),
    [CODEC_SYS_BARRIER] = TY("sys.barrier", k_f_barrier, codec_sys_barrier_t),
    [CODEC_SIG_SETUP] = TY("sig.setup", k_f_setup, codec_sig_setup_t),
    [CODEC_GW_ACTION] = TY("gw.action", k_f_action, codec_gw_action_t),
};
_Static_assert(CODEC_TYPE_COUNT == 23, "a new codec type needs a row in k_types");

#define N_ENV_FIELDS (sizeof(k_f_env) / sizeof(k_f_env[0]))

static bool
s_type_ok(codec_type_t type)
{
    return type > CODEC_UNKNOWN && type < CODEC_TYPE_COUNT;
}

codec_type_t
codec_type_of_topic(const char *topic)
{
    if (!topic) {
        return CODEC_UNKNOWN;
    }
    for (int t = CODEC_UNKNOWN + 1; t < CODEC_TYPE_COUNT; t++) {
        size_t n = strlen(k_types[t].name);
        if (strncmp(topic, k_types[t].name, n) == 0 && (topic[n] == '\0' || topic[n] == '.')) {
            return (codec_type_t)t;
        }
    }
    /* topics that share another type's body */
    static const struct {
        const char *prefix;
        codec_type_t type;
    } k_alias[] = {
        { "rec.alert", CODEC_RISK_ALERT },  /* the recorder's database alerts */
        { "exec.status", CODEC_MD_STATUS }, /* the executor's venue: reconciling/running/halted */
    };
    for (size_t i = 0; i < sizeof k_alias / sizeof k_alias[0]; i++) {
        size_t n = strlen(k_alias[i].prefix);
        if (strncmp(topic, k_alias[i].prefix, n) == 0 && (topic[n] == '\0' || topic[n] == '.')) {
            return k_alias[i].type;
        }
    }
    return CODEC_UNKNOWN;
}

const char *
codec_type_name(codec_type_t type)
{
    return s_type_ok(type) ? k_types[type].name : "unknown";
}

/* ---- encoding ------------------------------------------------------------------------ */

typedef struct {
    uint8_t *buf;
    size_t cap, len;
    bool full;
} s_out_t;

static inline int
s_out_write(s_out_t *o, const char *b, size_t n)
{
    if (o->full || o->cap - o->len < n) {
        o->full = true;
        return -1;
    }
    memcpy(o->buf + o->len, b, n);
    o->len += n;
    return 0;
}

/* msgpack-c's packing routines, instantiated from its template (msgpack/pack_template.h is
 * written to be included with these three macros defined; msgpack/pack.h does the same for
 * msgpack_packer) so that the append into our buffer is inlined instead of called through the
 * packer's function pointer: the same bytes as msgpack_pack_*, about half the instructions of
 * an md.book encode (callgrind over bench_feed). Functions are named s_mp_<what>. */
#define msgpack_pack_inline_func(name) static inline __attribute__((always_inline)) int s_mp##name
#define msgpack_pack_inline_func_cint(name)                                                        \
    static inline __attribute__((always_inline)) int s_mp##name
#define msgpack_pack_inline_func_fixint(name) static inline int s_mp_fix##name
#define msgpack_pack_user                     s_out_t *
#define msgpack_pack_append_buffer(user, buf, len)                                                 \
    return s_out_write((user), (const char *)(buf), (len))
#include <msgpack/pack_template.h>

static void
s_pack_key(s_out_t *pk, const s_field_t *f)
{
    s_mp_str(pk, f->name_len);
    s_mp_str_body(pk, f->name, f->name_len);
}

/* string of at most cap-1 bytes stored in char[cap]; -1 if not NUL-terminated in the field */
static int
s_pack_cstr(s_out_t *pk, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap) {
        return -1;
    }
    s_mp_str(pk, n);
    s_mp_str_body(pk, s, n);
    return 0;
}

/* Pack one field's value. Write errors surface through s_out_t.full; returns -1 only for a
 * malformed struct (string without NUL, count above capacity). */
static int
s_pack_field(s_out_t *pk, const s_field_t *f, const uint8_t *base)
{
    const void *p = base + f->off;
    uint32_t n = 0;
    if (f->kind >= K_LEVELS) {
        memcpy(&n, base + f->count_off, sizeof n);
        if (n > f->max) {
            return -1;
        }
        s_mp_array(pk, n);
    }
    switch ((s_kind_t)f->kind) {
    case K_STR:
        return s_pack_cstr(pk, p, f->size);
    case K_I64:
        s_mp_int64(pk, *(const int64_t *)p);
        break;
    case K_U64:
        s_mp_uint64(pk, *(const uint64_t *)p);
        break;
    case K_I32:
        s_mp_int64(pk, *(const int32_t *)p);
        break;
    case K_U32:
        s_mp_uint64(pk, *(const uint32_t *)p);
        break;
    case K_I8:
        s_mp_int64(pk, *(const int8_t *)p);
        break;
    case K_U8:
        s_mp_uint64(pk, *(const uint8_t *)p);
        break;
    case K_BOOL:
        if (*(const bool *)p) {
            s_mp_true(pk);
        } else {
            s_mp_false(pk);
        }
        break;
    case K_F64:
        s_mp_double(pk, *(const double *)p);
        break;
    case K_LEVELS:
        for (uint32_t i = 0; i < n; i++) {
            const codec_level_t *lv = (const codec_level_t *)p + i;
            s_mp_array(pk, 2);
            s_mp_int64(pk, lv->px);
            s_mp_int64(pk, lv->qty);
        }
        break;
    case K_STRARR:
        for (uint32_t i = 0; i < n; i++) {
            if (s_pack_cstr(pk, (const char *)p + (size_t)i * f->size, f->size) != 0) {
                return -1;
            }
        }
        break;
    case K_F64ARR:
        for (uint32_t i = 0; i < n; i++) {
            s_mp_double(pk, ((const double *)p)[i]);
        }
        break;
    case K_I64ARR:
        for (uint32_t i = 0; i < n; i++) {
            s_mp_int64(pk, ((const int64_t *)p)[i]);
        }
        break;
    case K_U64ARR:
        for (uint32_t i = 0; i < n; i++) {
            s_mp_uint64(pk, ((const uint64_t *)p)[i]);
        }
        break;
    }
    return 0;
}

static int
s_pack_fields(s_out_t *pk, const s_field_t *fields, size_t n, const void *base)
{
    s_mp_map(pk, n);
    for (size_t i = 0; i < n; i++) {
        s_pack_key(pk, &fields[i]);
        if (s_pack_field(pk, &fields[i], base) != 0) {
            return -1;
        }
    }
    return 0;
}

int
codec_encode(const codec_env_t *env, codec_type_t type, const void *body, uint8_t *buf, size_t cap,
             size_t *len)
{
    if (!env || !body || !buf || !len || !s_type_ok(type)) {
        errno = EINVAL;
        return -1;
    }
    codec_env_t e = *env;
    if (e.v == 0) {
        e.v = CODEC_VERSION;
    }
    s_out_t out = { .buf = buf, .cap = cap };
    s_out_t *pk = &out;
    s_mp_map(pk, N_ENV_FIELDS + 1);
    for (size_t i = 0; i < N_ENV_FIELDS; i++) {
        s_pack_key(pk, &k_f_env[i]);
        if (s_pack_field(pk, &k_f_env[i], (const uint8_t *)&e) != 0) {
            errno = EINVAL;
            return -1;
        }
    }
    s_mp_str(pk, 4);
    s_mp_str_body(pk, "body", 4);
    const s_type_t *t = &k_types[type];
    if (s_pack_fields(pk, t->fields, t->n_fields, body) != 0) {
        errno = EINVAL;
        return -1;
    }
    if (out.full) {
        errno = ENOBUFS;
        return -1;
    }
    *len = out.len;
    return 0;
}

/* ---- in-place msgpack reader --------------------------------------------------------- */

enum { k_max_depth = 16 }; /* envelope > body > bids > level is depth 4 */

typedef enum { V_NIL, V_BOOL, V_UINT, V_INT, V_F64, V_STR, V_BIN, V_EXT, V_ARR, V_MAP } s_vt_t;

typedef struct {
    s_vt_t t;
    bool b;
    uint64_t u;       /* V_UINT: every non-negative integer, whatever its encoding */
    int64_t i;        /* V_INT: negative integers only */
    double d;         /* V_F64 (float32 widened) */
    const uint8_t *s; /* V_STR, V_BIN, V_EXT: the bytes, in the input buffer */
    uint32_t n;       /* byte length (STR/BIN/EXT) or element / pair count (ARR/MAP) */
} s_val_t;

typedef struct {
    const uint8_t *p, *end;
} s_rd_t;

static uint64_t
s_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* take n bytes from the reader; NULL if fewer remain */
static const uint8_t *
s_take(s_rd_t *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

static int
s_take_uint(s_rd_t *r, size_t n, uint64_t *v)
{
    const uint8_t *p = s_take(r, n);
    if (!p) {
        return -1;
    }
    *v = s_be(p, n);
    return 0;
}

/* bytes of a str/bin/ext whose length is in the next `lenw` bytes (ext: then a type byte) */
static int
s_take_bytes(s_rd_t *r, size_t lenw, bool ext, s_val_t *v)
{
    uint64_t n;
    if (s_take_uint(r, lenw, &n) != 0 || (ext && !s_take(r, 1))) {
        return -1;
    }
    v->n = (uint32_t)n; /* lenw <= 4 */
    v->s = s_take(r, v->n);
    return v->s ? 0 : -1;
}

/* Read one value; a container yields its header only (t, n), its items follow. */
static int
s_read(s_rd_t *r, s_val_t *v)
{
    const uint8_t *cp = s_take(r, 1);
    uint64_t x;
    if (!cp) {
        return -1;
    }
    uint8_t c = *cp;
    memset(v, 0, sizeof *v);
    if (c <= 0x7f || c >= 0xe0) { /* positive / negative fixint */
        v->t = c <= 0x7f ? V_UINT : V_INT;
        v->u = c;
        v->i = (int8_t)c;
        return 0;
    }
    if (c <= 0x8f || (c >= 0x90 && c <= 0x9f)) { /* fixmap / fixarray */
        v->t = c <= 0x8f ? V_MAP : V_ARR;
        v->n = c & 0x0f;
        return 0;
    }
    if (c >= 0xa0 && c <= 0xbf) { /* fixstr */
        v->t = V_STR;
        v->n = c & 0x1f;
        v->s = s_take(r, v->n);
        return v->s ? 0 : -1;
    }
    switch (c) {
    case 0xc0:
        v->t = V_NIL;
        return 0;
    case 0xc2:
    case 0xc3:
        v->t = V_BOOL;
        v->b = c == 0xc3;
        return 0;
    case 0xc4:
    case 0xc5:
    case 0xc6: /* bin 8/16/32 */
        v->t = V_BIN;
        return s_take_bytes(r, (size_t)1 << (c - 0xc4), false, v);
    case 0xc7:
    case 0xc8:
    case 0xc9: /* ext 8/16/32 */
        v->t = V_EXT;
        return s_take_bytes(r, (size_t)1 << (c - 0xc7), true, v);
    case 0xca: { /* float 32 */
        float f;
        uint32_t w;
        if (s_take_uint(r, 4, &x) != 0) {
            return -1;
        }
        w = (uint32_t)x;
        memcpy(&f, &w, sizeof f);
        v->t = V_F64;
        v->d = f;
        return 0;
    }
    case 0xcb: /* float 64 */
        if (s_take_uint(r, 8, &x) != 0) {
            return -1;
        }
        memcpy(&v->d, &x, sizeof v->d);
        v->t = V_F64;
        return 0;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf: /* uint 8/16/32/64 */
        v->t = V_UINT;
        return s_take_uint(r, (size_t)1 << (c - 0xcc), &v->u);
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: { /* int 8/16/32/64 */
        size_t n = (size_t)1 << (c - 0xd0);
        if (s_take_uint(r, n, &x) != 0) {
            return -1;
        }
        int shift = (int)(64 - 8 * n); /* sign-extend the n-byte value */
        int64_t sv = (int64_t)(x << shift) >> shift;
        v->t = sv < 0 ? V_INT : V_UINT;
        v->i = sv;
        v->u = (uint64_t)sv;
        return 0;
    }
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: /* fixext 1..16 */
        v->t = V_EXT;
        v->n = 1u << (c - 0xd4);
        if (!s_take(r, 1)) {
            return -1;
        }
        v->s = s_take(r, v->n);
        return v->s ? 0 : -1;
    case 0xd9:
    case 0xda:
    case 0xdb: /* str 8/16/32 */
        v->t = V_STR;
        return s_take_bytes(r, (size_t)1 << (c - 0xd9), false, v);
    case 0xdc:
    case 0xdd: /* array 16/32 */
    case 0xde:
    case 0xdf: /* map 16/32 */
        v->t = c <= 0xdd ? V_ARR : V_MAP;
        if (s_take_uint(r, c == 0xdc || c == 0xde ? 2 : 4, &x) != 0) {
            return -1;
        }
        v->n = (uint32_t)x;
        return 0;
    default: /* 0xc1 is never used */
        return -1;
    }
}

/* Skip the items of a container whose header `v` was just read (nothing for scalars), without
 * decoding them: one pass over the bytes with an explicit stack of items left per level, so a
 * skipped md.book costs a few instructions per byte rather than a full value decode per item
 * (every consumer skips each body once in codec_decode_env, which checks the whole message).
 * Same limits as the decode: nesting below k_max_depth (an empty container counts too), and a
 * count larger than the bytes left fails at once (every item takes at least one byte). */
static int
s_skip_items(s_rd_t *r, const s_val_t *v, int depth)
{
    if (v->t != V_ARR && v->t != V_MAP) {
        return 0;
    }
    if (depth >= k_max_depth) {
        return -1;
    }
    uint64_t left[k_max_depth];
    int top = 0;
    left[0] = v->t == V_MAP ? 2 * (uint64_t)v->n : v->n;
    for (;;) {
        if (left[top] == 0) {
            if (top == 0) {
                return 0;
            }
            top--;
            continue;
        }
        if ((uint64_t)(r->end - r->p) < left[top]) {
            return -1;
        }
        left[top]--;
        uint8_t c = *r->p++;
        uint64_t x, skip = 0, items = 0;
        bool container = false;
        if (c <= 0x7f || c >= 0xe0) { /* fixint */
        } else if (c <= 0x8f) {       /* fixmap */
            container = true;
            items = 2u * (c & 0x0fu);
        } else if (c <= 0x9f) { /* fixarray */
            container = true;
            items = c & 0x0fu;
        } else if (c <= 0xbf) { /* fixstr */
            skip = c & 0x1fu;
        } else {
            switch (c) {
            case 0xc0: /* nil, false, true */
            case 0xc2:
            case 0xc3:
                break;
            case 0xc4: /* bin 8/16/32: length, bytes */
            case 0xc5:
            case 0xc6:
                if (s_take_uint(r, (size_t)1 << (c - 0xc4), &x) != 0) {
                    return -1;
                }
                skip = x;
                break;
            case 0xc7: /* ext 8/16/32: length, type byte, bytes */
            case 0xc8:
            case 0xc9:
                if (s_take_uint(r, (size_t)1 << (c - 0xc7), &x) != 0) {
                    return -1;
                }
                skip = x + 1;
                break;
            case 0xca: /* float 32, float 64 */
                skip = 4;
                break;
            case 0xcb:
                skip = 8;
                break;
            case 0xcc: /* uint 8/16/32/64 */
            case 0xcd:
            case 0xce:
            case 0xcf:
                skip = (uint64_t)1 << (c - 0xcc);
                break;
            case 0xd0: /* int 8/16/32/64 */
            case 0xd1:
            case 0xd2:
            case 0xd3:
                skip = (uint64_t)1 << (c - 0xd0);
                break;
            case 0xd4: /* fixext 1..16: type byte, bytes */
            case 0xd5:
            case 0xd6:
            case 0xd7:
            case 0xd8:
                skip = 1 + ((uint64_t)1 << (c - 0xd4));
                break;
            case 0xd9: /* str 8/16/32 */
            case 0xda:
            case 0xdb:
                if (s_take_uint(r, (size_t)1 << (c - 0xd9), &x) != 0) {
                    return -1;
                }
                skip = x;
                break;
            case 0xdc: /* array 16/32, map 16/32 */
            case 0xdd:
            case 0xde:
            case 0xdf:
                if (s_take_uint(r, c == 0xdc || c == 0xde ? 2 : 4, &x) != 0) {
                    return -1;
                }
                container = true;
                items = c >= 0xde ? 2 * x : x;
                break;
            default: /* 0xc1 is never used */
                return -1;
            }
        }
        if (skip > 0) {
            if ((uint64_t)(r->end - r->p) < skip) {
                return -1;
            }
            r->p += skip;
        }
        if (container) {
            if (depth + top + 1 >= k_max_depth) {
                return -1;
            }
            left[++top] = items;
        }
    }
}

static bool
s_key_is(const s_val_t *k, const char *name, size_t n)
{
    return k->n == n && memcmp(k->s, name, n) == 0;
}

/* ---- decoding ------------------------------------------------------------------------ */

static int
s_int_in(const s_val_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (v->t == V_UINT && v->u <= (uint64_t)hi) {
        *out = (int64_t)v->u;
        return 0;
    }
    if (v->t == V_INT && v->i >= lo) {
        *out = v->i;
        return 0;
    }
    return -1;
}

static int
s_get_str(const s_val_t *v, char *dst, size_t cap)
{
    if (v->t != V_STR || v->n >= cap || memchr(v->s, 0, v->n)) {
        return -1;
    }
    memcpy(dst, v->s, v->n);
    dst[v->n] = '\0';
    return 0;
}

static int
s_get_f64(const s_val_t *v, double *out)
{
    switch (v->t) {
    case V_F64:
        *out = v->d;
        return 0;
    case V_UINT:
        *out = (double)v->u;
        return 0;
    case V_INT:
        *out = (double)v->i;
        return 0;
    case V_NIL: /* what JSON tools make of NaN */
        *out = NAN;
        return 0;
    default:
        return -1;
    }
}

/* Decode one scalar `v` of kind `kind` into p. */
static int
s_get_scalar(const s_val_t *v, s_kind_t kind, void *p, size_t size)
{
    int64_t x;
    switch (kind) {
    case K_STR:
        return s_get_str(v, p, size);
    case K_I64:
        return s_int_in(v, INT64_MIN, INT64_MAX, (int64_t *)p);
    case K_U64:
        if (v->t != V_UINT) {
            return -1;
        }
        *(uint64_t *)p = v->u;
        return 0;
    case K_I32:
        if (s_int_in(v, INT32_MIN, INT32_MAX, &x) != 0) {
            return -1;
        }
        *(int32_t *)p = (int32_t)x;
        return 0;
    case K_U32:
        if (s_int_in(v, 0, UINT32_MAX, &x) != 0) {
            return -1;
        }
        *(uint32_t *)p = (uint32_t)x;
        return 0;
    case K_I8:
        if (s_int_in(v, INT8_MIN, INT8_MAX, &x) != 0) {
            return -1;
        }
        *(int8_t *)p = (int8_t)x;
        return 0;
    case K_U8:
        if (s_int_in(v, 0, UINT8_MAX, &x) != 0) {
            return -1;
        }
        *(uint8_t *)p = (uint8_t)x;
        return 0;
    case K_BOOL:
        if (v->t != V_BOOL) {
            return -1;
        }
        *(bool *)p = v->b;
        return 0;
    case K_F64:
        return s_get_f64(v, p);
    default:
        return -1;
    }
}

/* Decode the value of field fields[fi] (its header already in `v`) into base. `seen` marks
 * the fields decoded so far, to hold arrays sharing one count to the same length. */
static int
s_get_field(s_rd_t *r, const s_val_t *v, const s_field_t *fields, size_t nf, size_t fi,
            uint64_t seen, uint8_t *base)
{
    const s_field_t *f = &fields[fi];
    uint8_t *p = base + f->off;
    if (f->kind < K_LEVELS) {
        return s_get_scalar(v, (s_kind_t)f->kind, p, f->size);
    }
    if (v->t != V_ARR || v->n > f->max) {
        return -1;
    }
    uint32_t *count = (uint32_t *)(base + f->count_off);
    for (size_t j = 0; j < nf; j++) {
        if (j != fi && fields[j].kind >= K_LEVELS && fields[j].count_off == f->count_off
            && (seen & (1ull << j)) && *count != v->n) {
            return -1; /* names/values (labels/counts) of different lengths */
        }
    }
    *count = v->n;
    for (uint32_t i = 0; i < v->n; i++) {
        s_val_t e;
        void *elem = p + (size_t)i * f->size; /* f->size = sizeof one element */
        if (s_read(r, &e) != 0) {
            return -1;
        }
        switch ((s_kind_t)f->kind) {
        case K_LEVELS: {
            codec_level_t *lv = elem;
            s_val_t a, b;
            if (e.t != V_ARR || e.n != 2 || s_read(r, &a) != 0 || s_read(r, &b) != 0
                || s_int_in(&a, INT64_MIN, INT64_MAX, &lv->px) != 0
                || s_int_in(&b, INT64_MIN, INT64_MAX, &lv->qty) != 0) {
                return -1;
            }
            break;
        }
        case K_STRARR:
            if (s_get_str(&e, elem, f->size) != 0) {
                return -1;
            }
            break;
        case K_F64ARR:
            if (s_get_f64(&e, elem) != 0) {
                return -1;
            }
            break;
        case K_I64ARR:
            if (s_int_in(&e, INT64_MIN, INT64_MAX, elem) != 0) {
                return -1;
            }
            break;
        case K_U64ARR:
            if (e.t != V_UINT) {
                return -1;
            }
            *(uint64_t *)elem = e.u;
            break;
        default:
            return -1;
        }
    }
    return 0;
}

/* Decode the `n` pairs of a map whose header was read into the struct at base. Unknown keys
 * are skipped; the encoder writes keys in table order, so the next field is tried first. */
static int
s_get_map(s_rd_t *r, uint32_t n, const s_field_t *fields, size_t nf, void *base, int depth)
{
    uint64_t seen = 0;
    size_t hint = 0;
    for (uint32_t i = 0; i < n; i++) {
        s_val_t k, v;
        if (s_read(r, &k) != 0 || k.t != V_STR || s_read(r, &v) != 0) {
            return -1;
        }
        size_t fi = nf;
        if (hint < nf && s_key_is(&k, fields[hint].name, fields[hint].name_len)) {
            fi = hint;
        } else {
            for (fi = 0; fi < nf && !s_key_is(&k, fields[fi].name, fields[fi].name_len); fi++) {
            }
        }
        if (fi == nf) {
            if (s_skip_items(r, &v, depth + 1) != 0) {
                return -1;
            }
            continue;
        }
        if (s_get_field(r, &v, fields, nf, fi, seen, base) != 0) {
            return -1;
        }
        seen |= 1ull << fi;
        hint = fi + 1;
    }
    return 0;
}

/* Walk a whole message: envelope into *env, body into `body` when t is not NULL. */
static int
s_decode(const uint8_t *buf, size_t len, codec_env_t *env, const s_type_t *t, void *body)
{
    s_val_t top;
    bool got_body = false;
    if (!buf) {
        return -1;
    }
    s_rd_t r = { buf, buf + len };
    if (s_read(&r, &top) != 0 || top.t != V_MAP) {
        return -1;
    }
    memset(env, 0, sizeof *env);
    for (uint32_t i = 0; i < top.n; i++) {
        s_val_t k, v;
        if (s_read(&r, &k) != 0 || k.t != V_STR || s_read(&r, &v) != 0) {
            return -1;
        }
        if (s_key_is(&k, "body", 4)) {
            if (v.t != V_MAP) {
                return -1;
            }
            int rc =
                t ? s_get_map(&r, v.n, t->fields, t->n_fields, body, 1) : s_skip_items(&r, &v, 1);
            if (rc != 0) {
                return -1;
            }
            got_body = true;
            continue;
        }
        size_t fi = 0;
        while (fi < N_ENV_FIELDS && !s_key_is(&k, k_f_env[fi].name, k_f_env[fi].name_len)) {
            fi++;
        }
        int rc = fi < N_ENV_FIELDS
                     ? s_get_scalar(&v, (s_kind_t)k_f_env[fi].kind,
                                    (uint8_t *)env + k_f_env[fi].off, k_f_env[fi].size)
                     : s_skip_items(&r, &v, 1);
        if (rc != 0) {
            return -1;
        }
    }
    if (r.p != r.end || !got_body || env->v == 0) {
        return -1; /* trailing bytes, no body, no version */
    }
    return 0;
}

int
codec_decode_env(const uint8_t *buf, size_t len, codec_env_t *env)
{
    codec_env_t e;
    if (!env) {
        errno = EINVAL;
        return -1;
    }
    if (s_decode(buf, len, &e, NULL, NULL) != 0) {
        errno = EPROTO;
        return -1;
    }
    *env = e;
    return 0;
}

int
codec_decode(const uint8_t *buf, size_t len, codec_type_t type, codec_env_t *env, void *body)
{
    codec_env_t e;
    if (!body || !s_type_ok(type)) {
        errno = EINVAL;
        return -1;
    }
    const s_type_t *t = &k_types[type];
    memset(body, 0, t->size);
    if (s_decode(buf, len, &e, t, body) != 0) {
        memset(body, 0, t->size); /* documented state on failure: zeroed */
        errno = EPROTO;
        return -1;
    }
    if (env) {
        *env = e;
    }
    return 0;
}

/* ---- JSON rendering ------------------------------------------------------------------ */

typedef struct {
    char *out;
    size_t cap, len; /* len excludes the NUL; one byte is always kept for it */
    bool full;
} s_json_t;

static void
s_jput(s_json_t *j, const char *s, size_t n)
{
    if (j->full || j->cap == 0 || j->cap - 1 - j->len < n) {
        j->full = true;
        return;
    }
    memcpy(j->out + j->len, s, n);
    j->len += n;
}

static void
s_jputs(s_json_t *j, const char *s)
{
    s_jput(j, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 (RFC 3629 table 4). */
static size_t
s_utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }
    return len;
}

/* JSON string (RFC 8259 section 7); invalid UTF-8 bytes become U+FFFD */
static void
s_jstr(s_json_t *j, const uint8_t *s, size_t n)
{
    s_jput(j, "\"", 1);
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            s_jput(j, esc, 2);
            i++;
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            s_jput(j, esc, 6);
            i++;
        } else {
            size_t l = s_utf8_len(s + i, n - i);
            if (l == 0) {
                s_jputs(j, "\\ufffd");
                i++;
            } else {
                s_jput(j, (const char *)s + i, l);
                i += l;
            }
        }
    }
    s_jput(j, "\"", 1);
}

static void
s_jdouble(s_json_t *j, double d)
{
    char tmp[40];
    if (!isfinite(d)) {
        s_jputs(j, "null"); /* JSON has no NaN/Inf */
        return;
    }
    int n = snprintf(tmp, sizeof tmp, "%.17g", d);
    s_jput(j, tmp, (size_t)n);
    if (strspn(tmp, "-0123456789") == (size_t)n) {
        s_jputs(j, ".0"); /* keep it a float for JSON readers: "3" -> "3.0" */
    }
}

/* Render the value whose header is in v (items follow in r). */
static int
s_jvalue(s_rd_t *r, const s_val_t *v, s_json_t *j, int depth)
{
    char tmp[32];
    int n;
    switch (v->t) {
    case V_NIL:
        s_jputs(j, "null");
        return 0;
    case V_BOOL:
        s_jputs(j, v->b ? "true" : "false");
        return 0;
    case V_UINT:
        n = snprintf(tmp, sizeof tmp, "%" PRIu64, v->u);
        s_jput(j, tmp, (size_t)n);
        return 0;
    case V_INT:
        n = snprintf(tmp, sizeof tmp, "%" PRId64, v->i);
        s_jput(j, tmp, (size_t)n);
        return 0;
    case V_F64:
        s_jdouble(j, v->d);
        return 0;
    case V_STR:
        s_jstr(j, v->s, v->n);
        return 0;
    case V_ARR:
    case V_MAP:
        break;
    default:
        return -1; /* bin/ext: the codec never writes them */
    }
    if (depth >= k_max_depth) {
        return -1;
    }
    bool map = v->t == V_MAP;
    s_jput(j, map ? "{" : "[", 1);
    for (uint32_t i = 0; i < v->n; i++) {
        s_val_t c;
        if (i > 0) {
            s_jput(j, ",", 1);
        }
        if (map) {
            if (s_read(r, &c) != 0 || c.t != V_STR) {
                return -1; /* JSON keys are strings */
            }
            s_jstr(j, c.s, c.n);
            s_jput(j, ":", 1);
        }
        if (s_read(r, &c) != 0 || s_jvalue(r, &c, j, depth + 1) != 0) {
            return -1;
        }
    }
    s_jput(j, map ? "}" : "]", 1);
    return 0;
}

static int
s_json_finish(const s_rd_t *r, s_json_t *j, int rc)
{
    if (rc != 0 || r->p != r->end) {
        errno = EPROTO;
        return -1;
    }
    if (j->full) {
        errno = ENOBUFS;
        return -1;
    }
    j->out[j->len] = '\0';
    return (int)j->len;
}

int
codec_to_json(const uint8_t *buf, size_t len, char *out, size_t cap)
{
    s_json_t j = { .out = out, .cap = cap };
    s_val_t top;
    if (!buf || !out) {
        errno = EINVAL;
        return -1;
    }
    s_rd_t r = { buf, buf + len };
    int rc = s_read(&r, &top) != 0 || top.t != V_MAP ? -1 : s_jvalue(&r, &top, &j, 0);
    return s_json_finish(&r, &j, rc);
}

int
codec_body_to_json(const uint8_t *buf, size_t len, char *out, size_t cap)
{
    s_json_t j = { .out = out, .cap = cap };
    s_val_t top;
    bool got_body = false;
    if (!buf || !out) {
        errno = EINVAL;
        return -1;
    }
    s_rd_t r = { buf, buf + len };
    int rc = s_read(&r, &top) != 0 || top.t != V_MAP ? -1 : 0;
    for (uint32_t i = 0; rc == 0 && i < top.n; i++) {
        s_val_t k, v;
        if (s_read(&r, &k) != 0 || k.t != V_STR || s_read(&r, &v) != 0) {
            rc = -1;
        } else if (s_key_is(&k, "body", 4) && !got_body && v.t == V_MAP) {
            got_body = true;
            rc = s_jvalue(&r, &v, &j, 1);
        } else {
            rc = s_skip_items(&r, &v, 1);
        }
    }
    return s_json_finish(&r, &j, rc == 0 && got_body ? 0 : -1);
}
