/*  strat_util.h - small helpers shared by the strategy modules (config of the series, bar to
 *  doubles, filling a sig.signal, the instrument's tick).
 *  Owns:  nothing (pure functions).
 */
#ifndef TP_STRAT_UTIL_H
#define TP_STRAT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/codec.h"
#include "common/instr.h"
#include "signal/ind.h"

typedef struct {
    char name[CODEC_NAME_MAX];
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int tf_s;
} su_series_t;

/* Read name, venue, symbol (required, non-empty, fitting) and tf_s (default 60, 1..604800) at
 * `path`. 0, or -1/EINVAL with cfg_error set. */
int su_cfg_series(cfg_t *cfg, const char *path, su_series_t *out);

/* One optional double key of a strategy's config section: member at `off` of the caller's
 * struct; default `dflt`, or the member's current value when dflt is NAN (params whose
 * defaults a _params_default() function already set); accepted range [min, max]. */
typedef struct {
    const char *key;
    size_t off;
    double dflt, min, max;
} su_dbl_key_t;

/* Read keys[0..n) at `path` into the struct at `base` (each member written through memcpy:
 * no double * cast of a char *). 0, or -1/EINVAL with cfg_error set (file, line, key). */
int su_cfg_doubles(cfg_t *cfg, const char *path, const su_dbl_key_t *keys, size_t n, void *base);

/* Optional string key `key` at path copied to out[cap] (dflt when absent). 0 or -1/EINVAL. */
int su_cfg_str(cfg_t *cfg, const char *path, const char *key, const char *dflt, char *out,
               size_t cap);

/* Bar prices/volume as doubles (mantissa / 10^scale). */
ind_bar_t su_ind_bar(const codec_sig_bar_t *bar);


/* The instrument's tick expressed at `px_scale` (the scale of the prices it will round: the
 * bar's or the trade's), the one tick helper of every strategy. instr->tick is a mantissa at
 * instr->px_scale; when that scale differs it is rescaled, rounding UP if it does not land on
 * a whole unit (a level on a multiple of the result is then on a multiple of the real tick
 * whenever the real tick is representable at px_scale). 1 (the price unit at px_scale) when
 * the instrument is not known yet (NULL), its tick is < 1, or the rescale overflows.
 * Example: tick 0.1 (px_scale 1, tick 1) seen at px_scale 2 -> 10; at px_scale 3 -> 100. */
int64_t su_tick(const instr_t *instr, int px_scale);

/* True if the bar belongs to the series. */
int su_is_series(const su_series_t *s, const codec_sig_bar_t *bar);

/* Fill a signal (reason formatted by the caller afterwards). */
void su_fill(codec_sig_signal_t *out, const su_series_t *s, int side, double confidence,
             int px_scale, int64_t ref_px, int64_t sl, int64_t tp, int64_t evt);

/* strategy_ops_t members shared by every strategy whose object begins with its su_series_t
 * (impl points at that first member): no indicators of its own, its name, its series. */
int su_ops_no_indicators(const void *impl, codec_sig_ind_t *ind);
const char *su_ops_name(const void *impl);
void su_ops_series(const void *impl, const char **venue, const char **symbol, int *tf_s);

#endif /* TP_STRAT_UTIL_H */
