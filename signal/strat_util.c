/*  strat_util.c - helpers shared by strategies. See strat_util.h. */
#include "signal/strat_util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/money.h"

int
su_cfg_str(cfg_t *cfg, const char *path, const char *key, const char *dflt, char *out, size_t cap)
{
    char k[192];
    const char *v;
    snprintf(k, sizeof k, "%s.%s", path, key);
    if (cfg_str(cfg, k, dflt, &v) != 0) {
        return -1;
    }
    if (v[0] == '\0' || strlen(v) >= cap) {
        return cfg_fail(cfg, k, "expected a non-empty string of at most %zu bytes", cap - 1);
    }
    snprintf(out, cap, "%s", v);
    return 0;
}

int
su_cfg_doubles(cfg_t *cfg, const char *path, const su_dbl_key_t *keys, size_t n, void *base)
{
    char k[192];
    for (size_t i = 0; i < n; i++) {
        double d;
        memcpy(&d, (char *)base + keys[i].off, sizeof d);
        snprintf(k, sizeof k, "%s.%s", path, keys[i].key);
        if (cfg_double(cfg, k, isnan(keys[i].dflt) ? d : keys[i].dflt, keys[i].min, keys[i].max,
                       false, &d)
            != 0) {
            return -1;
        }
        memcpy((char *)base + keys[i].off, &d, sizeof d);
    }
    return 0;
}

int
su_cfg_series(cfg_t *cfg, const char *path, su_series_t *out)
{
    char k[192];
    int64_t v;
    memset(out, 0, sizeof *out);
    if (su_cfg_str(cfg, path, "name", NULL, out->name, sizeof out->name) != 0
        || su_cfg_str(cfg, path, "venue", NULL, out->venue, sizeof out->venue) != 0
        || su_cfg_str(cfg, path, "symbol", NULL, out->symbol, sizeof out->symbol) != 0) {
        return -1;
    }
    snprintf(k, sizeof k, "%s.tf_s", path);
    if (cfg_int(cfg, k, 60, 1, 7 * 86400, false, &v) != 0) {
        return -1;
    }
    out->tf_s = (int)v;
    return 0;
}

ind_bar_t
su_ind_bar(const codec_sig_bar_t *bar)
{
    ind_bar_t b = { .high = money_to_double(bar->high, bar->px_scale),
                    .low = money_to_double(bar->low, bar->px_scale),
                    .close = money_to_double(bar->close, bar->px_scale),
                    .volume = money_to_double(bar->volume, bar->qty_scale),
                    .start_ns = bar->start_ns };
    return b;
}

int64_t
su_tick(const instr_t *instr, int px_scale)
{
    int64_t tick = 1;
    if (instr && instr->tick >= 1) {
        if (instr->px_scale == px_scale) {
            tick = instr->tick;
        } else if (money_rescale(instr->tick, instr->px_scale, px_scale, MONEY_ROUND_UP, &tick) != 0
                   || tick < 1) {
            tick = 1;
        }
    }
    return tick;
}

int
su_is_series(const su_series_t *s, const codec_sig_bar_t *bar)
{
    return bar->tf_s == s->tf_s && strcmp(bar->symbol, s->symbol) == 0
           && strcmp(bar->venue, s->venue) == 0;
}

void
su_fill(codec_sig_signal_t *out, const su_series_t *s, int side, double confidence, int px_scale,
        int64_t ref_px, int64_t sl, int64_t tp, int64_t evt)
{
    memset(out, 0, sizeof *out);
    snprintf(out->strategy, sizeof out->strategy, "%s", s->name);
    snprintf(out->venue, sizeof out->venue, "%s", s->venue);
    snprintf(out->symbol, sizeof out->symbol, "%s", s->symbol);
    out->side = (int8_t)side;
    out->confidence = confidence < 0 ? 0 : confidence > 100 ? 100 : confidence;
    out->px_scale = px_scale;
    out->ref_px = ref_px;
    out->sl_px = sl;
    out->tp_px = tp;
    out->ts_event = evt;
}

int
su_ops_no_indicators(const void *impl, codec_sig_ind_t *ind)
{
    (void)impl;
    (void)ind;
    return 0; /* the full set is published by signal.indicators */
}

const char *
su_ops_name(const void *impl)
{
    return ((const su_series_t *)impl)->name;
}

void
su_ops_series(const void *impl, const char **venue, const char **symbol, int *tf_s)
{
    const su_series_t *s = impl;
    *venue = s->venue;
    *symbol = s->symbol;
    *tf_s = s->tf_s;
}
