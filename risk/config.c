/*  config.c - risk's config reader and engine constructor (contract in config.h). The key
 *  tables below are the complete list of what each object level may hold: a key missing here
 *  is refused at start, by `ctl reload` and by check-config alike.
 */
#include "risk/config.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/money.h"
#include "common/sessions.h"

static const char *const k_risk_keys[] = { "risk_per_trade_pct",
                                           "max_position_pct",
                                           "max_open_positions",
                                           "daily_loss_limit_pct",
                                           "min_confidence",
                                           "order_timeout_ms",
                                           "order_retries",
                                           "order_ttl_ms",
                                           "sizing_mode",
                                           "fixed_notional",
                                           "equity_pct",
                                           "max_leverage",
                                           "reserve",
                                           "min_order_value",
                                           "scale",
                                           "stop_mode",
                                           "stop_pct",
                                           "stop_atr_mult",
                                           "exits",
                                           "max_open_per_asset",
                                           "asset_priority",
                                           "priority_confidence",
                                           "max_heat_pct",
                                           "stale_s",
                                           "critical_close_s",
                                           "max_drawdown_pct",
                                           "max_trades_per_hour",
                                           "max_consecutive_losses",
                                           "min_balance",
                                           "state_file",
                                           "max_rejects",
                                           "reject_window_s",
                                           "reserve_pct",
                                           "warn_pct",
                                           "winrate_window",
                                           "winrate_min_pct",
                                           NULL };
static const char *const k_scale_keys[] = {
    "confidence",     "volatility",   "session",      "conf_lo",
    "conf_hi",        "conf_lo_mult", "conf_hi_mult", "vol_hi_pctile",
    "vol_lo_pctile",  "vol_hi_mult",  "vol_lo_mult",  "asia_mult",
    "london_ny_mult", "overlap_mult", "off_mult",     NULL
};
static const char *const k_account_keys[] = { "asset", "start_balance", NULL };
static const char *const k_exit_keys[] = {
    "tp_ladder_pct",  "tp_ladder_close_pct", "trail_activate_pct",
    "trail_dist_pct", "breakeven_pct",       "timeout_bars",
    "timeout_s",      "tp_ladder_basis",     NULL
};


/* The keys added by issue 17 (docs/risk.md "Issue 17 rules"); every one has a default that
 * keeps the old behaviour. */
static int
s_read_issue17(cfg_t *cfg, risk_engine_cfg_t *ec)
{
    int64_t n_rej, win_s;
    if (cfg_int(cfg, "risk.max_rejects", 0, 0, RISK_REJECTS_MAX, false, &n_rej) != 0
        || cfg_int(cfg, "risk.reject_window_s", 300, 1, 86400, false, &win_s) != 0) {
        return -1;
    }
    const char *basis;
    if (cfg_str(cfg, "risk.exits.tp_ladder_basis", "entry_pct", &basis) != 0) {
        return -1;
    }
    if (strcmp(basis, "entry_pct") != 0 && strcmp(basis, "target_pct") != 0) {
        return cfg_fail(cfg, "risk.exits.tp_ladder_basis",
                        "expected \"entry_pct\" or \"target_pct\"");
    }
    ec->exits.tp_of_target = strcmp(basis, "target_pct") == 0;
    if (cfg_money(cfg, "risk.reserve_pct", RISK_PCT_SCALE, "0", 0,
                  100 * money_pow10(RISK_PCT_SCALE), &ec->sizing.reserve_pct)
        != 0) {
        return -1;
    }
    int64_t wn;
    if (cfg_money(cfg, "risk.warn_pct", RISK_PCT_SCALE, "0", 0, 100 * money_pow10(RISK_PCT_SCALE),
                  &ec->warn_pct)
            != 0
        || cfg_int(cfg, "risk.winrate_window", 0, 0, RISK_WINRATE_MAX, false, &wn) != 0
        || cfg_money(cfg, "risk.winrate_min_pct", RISK_PCT_SCALE, "40", 0,
                     100 * money_pow10(RISK_PCT_SCALE), &ec->winrate_min_pct)
               != 0) {
        return -1;
    }
    ec->winrate_n = wn;
    ec->limits.max_rejects = n_rej;
    ec->limits.reject_window_ns = win_s * INT64_C(1000000000);
    return 0;
}

/* The keys added by the risk issue (docs/risk.md); every one has a default. */
static int
s_read_ext(cfg_t *cfg, risk_engine_cfg_t *ec)
{
    const int64_t pct100 = 100 * money_pow10(RISK_PCT_SCALE),
                  x100 = 100 * money_pow10(RISK_MULT_SCALE);
    const char *mode, *stop_mode;
    int64_t crit_s = 0;
    int64_t v, per_asset, stale_s, conf_lo, conf_hi, vhi, vlo, tbars, ts;
    double pconf;
    risk_scale_cfg_t *sc = &ec->scale;
    risk_scale_defaults(sc);
    if (cfg_check_keys(cfg, "risk.scale", k_scale_keys) != 0
        || cfg_check_keys(cfg, "risk.exits", k_exit_keys) != 0
        || cfg_str(cfg, "risk.sizing_mode", "risk", &mode) != 0
        || cfg_money(cfg, "risk.fixed_notional", MONEY_VALUE_SCALE, "100", 1, INT64_MAX,
                     &ec->sizing.fixed_notional)
               != 0
        || cfg_money(cfg, "risk.equity_pct", RISK_PCT_SCALE, "10", 1, 10 * pct100,
                     &ec->sizing.equity_pct)
               != 0
        || cfg_money(cfg, "risk.max_leverage", RISK_MULT_SCALE, "1", 0, x100,
                     &ec->sizing.max_leverage)
               != 0
        || cfg_money(cfg, "risk.reserve", MONEY_VALUE_SCALE, "0", 0, INT64_MAX, &ec->sizing.reserve)
               != 0
        || cfg_money(cfg, "risk.min_order_value", MONEY_VALUE_SCALE, "0", 0, INT64_MAX,
                     &ec->sizing.min_order_value)
               != 0
        || cfg_bool(cfg, "risk.scale.confidence", false, &sc->conf_on) != 0
        || cfg_bool(cfg, "risk.scale.volatility", false, &sc->vol_on) != 0
        || cfg_bool(cfg, "risk.scale.session", false, &sc->session_on) != 0
        || cfg_int(cfg, "risk.scale.conf_lo", 65, 0, 100, false, &conf_lo) != 0
        || cfg_int(cfg, "risk.scale.conf_hi", 95, 0, 100, false, &conf_hi) != 0
        || cfg_money(cfg, "risk.scale.conf_lo_mult", RISK_MULT_SCALE, "0.5", 0, x100,
                     &sc->conf_lo_mult)
               != 0
        || cfg_money(cfg, "risk.scale.conf_hi_mult", RISK_MULT_SCALE, "1.5", 0, x100,
                     &sc->conf_hi_mult)
               != 0
        || cfg_int(cfg, "risk.scale.vol_hi_pctile", 80, 0, 100, false, &vhi) != 0
        || cfg_int(cfg, "risk.scale.vol_lo_pctile", 20, 0, 100, false, &vlo) != 0
        || cfg_money(cfg, "risk.scale.vol_hi_mult", RISK_MULT_SCALE, "0.7", 0, x100,
                     &sc->vol_hi_mult)
               != 0
        || cfg_money(cfg, "risk.scale.vol_lo_mult", RISK_MULT_SCALE, "1.2", 0, x100,
                     &sc->vol_lo_mult)
               != 0
        || sessions_cfg_read(cfg, &sc->hours) != 0
        || cfg_money(cfg, "risk.scale.asia_mult", RISK_MULT_SCALE, "0.5", 0, x100, &sc->asia_mult)
               != 0
        || cfg_money(cfg, "risk.scale.london_ny_mult", RISK_MULT_SCALE, "1.0", 0, x100,
                     &sc->london_ny_mult)
               != 0
        || cfg_money(cfg, "risk.scale.overlap_mult", RISK_MULT_SCALE, "1.5", 0, x100,
                     &sc->overlap_mult)
               != 0
        || cfg_money(cfg, "risk.scale.off_mult", RISK_MULT_SCALE, "1.0", 0, x100, &sc->off_mult)
               != 0
        || cfg_str(cfg, "risk.stop_mode", "signal", &stop_mode) != 0
        || cfg_money(cfg, "risk.stop_pct", RISK_PCT_SCALE, "0.5", 1, pct100, &ec->sl_pct) != 0
        || cfg_money(cfg, "risk.stop_atr_mult", RISK_MULT_SCALE, "2", 1, x100, &ec->sl_atr_mult)
               != 0
        || cfg_money(cfg, "risk.exits.trail_activate_pct", RISK_PCT_SCALE, "0", 0, pct100,
                     &ec->exits.trail_activate_pct)
               != 0
        || cfg_money(cfg, "risk.exits.trail_dist_pct", RISK_PCT_SCALE, "0", 0, pct100,
                     &ec->exits.trail_dist_pct)
               != 0
        || cfg_money(cfg, "risk.exits.breakeven_pct", RISK_PCT_SCALE, "0", 0, pct100,
                     &ec->exits.be_trigger_pct)
               != 0
        || cfg_int(cfg, "risk.exits.timeout_bars", 0, 0, INT32_MAX, false, &tbars) != 0
        || cfg_int(cfg, "risk.exits.timeout_s", 0, 0, INT64_C(365) * 86400, false, &ts) != 0
        || cfg_int(cfg, "risk.max_open_per_asset", 1, 0, RISK_POSITIONS_MAX, false, &per_asset) != 0
        || cfg_double(cfg, "risk.priority_confidence", 80, 0, 100, false, &pconf) != 0
        || cfg_money(cfg, "risk.max_heat_pct", RISK_PCT_SCALE, "6", 0, pct100, &ec->max_heat_pct)
               != 0
        || cfg_int(cfg, "risk.stale_s", 300, 0, 86400, false, &stale_s) != 0
        || cfg_int(cfg, "risk.critical_close_s", 0, 0, 86400, false, &crit_s) != 0
        || cfg_money(cfg, "risk.max_drawdown_pct", RISK_PCT_SCALE, "0", 0, pct100,
                     &ec->limits.max_drawdown_pct)
               != 0
        || cfg_int(cfg, "risk.max_trades_per_hour", 0, 0, RISK_TRADES_HOUR_MAX, false, &v) != 0) {
        return -1;
    }
    ec->limits.max_trades_per_hour = v;
    if (cfg_int(cfg, "risk.max_consecutive_losses", 0, 0, 1000, false, &v) != 0
        || cfg_money(cfg, "risk.min_balance", MONEY_VALUE_SCALE, "0", 0, INT64_MAX,
                     &ec->limits.min_balance)
               != 0) {
        return -1;
    }
    ec->limits.max_consecutive_losses = v;
    if (strcmp(mode, "risk") == 0) {
        ec->sizing.mode = RISK_SIZE_RISK;
    } else if (strcmp(mode, "notional") == 0) {
        ec->sizing.mode = RISK_SIZE_NOTIONAL;
    } else if (strcmp(mode, "equity_pct") == 0) {
        ec->sizing.mode = RISK_SIZE_EQUITY_PCT;
    } else {
        return cfg_fail(cfg, "risk.sizing_mode",
                        "expected \"risk\", \"notional\" or \"equity_pct\"");
    }
    if (strcmp(stop_mode, "signal") == 0) {
        ec->sl_mode = RISK_SL_SIGNAL;
    } else if (strcmp(stop_mode, "pct") == 0) {
        ec->sl_mode = RISK_SL_PCT;
    } else if (strcmp(stop_mode, "atr") == 0) {
        ec->sl_mode = RISK_SL_ATR;
    } else {
        return cfg_fail(cfg, "risk.stop_mode", "expected \"signal\", \"pct\" or \"atr\"");
    }
    if (conf_hi <= conf_lo) {
        return cfg_fail(cfg, "risk.scale.conf_hi", "expected > conf_lo");
    }
    sc->conf_lo = conf_lo;
    sc->conf_hi = conf_hi;
    sc->vol_hi_pctile = vhi;
    sc->vol_lo_pctile = vlo;
    ec->exits.timeout_bars = tbars;
    ec->exits.timeout_ns = ts * INT64_C(1000000000);
    ec->max_open_per_asset = per_asset;
    ec->priority_confidence = pconf;
    ec->stale_ns = stale_s * INT64_C(1000000000);
    ec->critical_close_ns = crit_s * INT64_C(1000000000);
    /* take-profit ladder: two arrays of the same length, close percentages summing to at most
     * 100 (issue 17: less leaves the rest to trail) */
    int n = cfg_array_len(cfg, "risk.exits.tp_ladder_pct");
    int m = cfg_array_len(cfg, "risk.exits.tp_ladder_close_pct");
    if (n < 0 || m < 0) {
        return -1;
    }
    if (n != m || n > RISK_TP_RUNGS_MAX) {
        return cfg_fail(cfg, "risk.exits.tp_ladder_close_pct",
                        "expected as many entries as tp_ladder_pct (at most %d)",
                        RISK_TP_RUNGS_MAX);
    }
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        char k1[64], k2[64];
        snprintf(k1, sizeof k1, "risk.exits.tp_ladder_pct[%d]", i);
        snprintf(k2, sizeof k2, "risk.exits.tp_ladder_close_pct[%d]", i);
        if (cfg_money(cfg, k1, RISK_PCT_SCALE, NULL, 1, 10 * pct100, &ec->exits.tp_pct[i]) != 0
            || cfg_money(cfg, k2, RISK_PCT_SCALE, NULL, 1, pct100, &ec->exits.tp_close_pct[i])
                   != 0) {
            return -1;
        }
        if (i > 0 && ec->exits.tp_pct[i] <= ec->exits.tp_pct[i - 1]) {
            return cfg_fail(cfg, k1, "expected rungs in increasing order");
        }
        sum += ec->exits.tp_close_pct[i];
    }
    if (n > 0 && sum > pct100) {
        return cfg_fail(cfg, "risk.exits.tp_ladder_close_pct", "expected a sum of at most 100");
    }
    ec->exits.n_tp = n;
    n = cfg_array_len(cfg, "risk.asset_priority");
    if (n < 0) {
        return -1;
    }
    if (n > 8) {
        return cfg_fail(cfg, "risk.asset_priority", "expected at most 8 assets");
    }
    for (int i = 0; i < n; i++) {
        char k[48];
        const char *a;
        snprintf(k, sizeof k, "risk.asset_priority[%d]", i);
        if (cfg_str(cfg, k, NULL, &a) != 0) {
            return -1;
        }
        if (strlen(a) == 0 || strlen(a) >= sizeof ec->priority[0]) {
            return cfg_fail(cfg, k, "expected a base asset name (\"BTC\")");
        }
        snprintf(ec->priority[i], sizeof ec->priority[0], "%s", a);
    }
    ec->n_priority = n;
    return 0;
}

static int
s_read_engine(cfg_t *cfg, risk_engine_cfg_t *ec, int64_t *timeout_ms, int64_t *retries)
{
    const int64_t pct100 = 100 * money_pow10(RISK_PCT_SCALE);
    int64_t max_open, min_conf, ttl_ms;
    const char *asset;
    memset(ec, 0, sizeof *ec);
    if (cfg_check_keys(cfg, "risk", k_risk_keys) != 0
        || cfg_check_keys(cfg, "account", k_account_keys) != 0
        || cfg_money(cfg, "risk.risk_per_trade_pct", RISK_PCT_SCALE, "1.0", 1, pct100,
                     &ec->sizing.risk_pct)
               != 0
        || cfg_money(cfg, "risk.max_position_pct", RISK_PCT_SCALE, "50", 1, 10 * pct100,
                     &ec->sizing.max_position_pct)
               != 0
        || cfg_int(cfg, "risk.max_open_positions", 1, 1, RISK_POSITIONS_MAX, false, &max_open) != 0
        || cfg_money(cfg, "risk.daily_loss_limit_pct", RISK_PCT_SCALE, "3.0", 1, pct100,
                     &ec->limits.daily_loss_limit_pct)
               != 0
        || cfg_int(cfg, "risk.min_confidence", 50, 0, 100, false, &min_conf) != 0
        || cfg_int(cfg, "risk.order_timeout_ms", 2000, 1, 60000, false, timeout_ms) != 0
        || cfg_int(cfg, "risk.order_retries", 3, 0, 10, false, retries) != 0
        || cfg_int(cfg, "risk.order_ttl_ms", 60000, 0, 86400000, false, &ttl_ms) != 0
        || cfg_str(cfg, "account.asset", "USDT", &asset) != 0
        || cfg_money(cfg, "account.start_balance", MONEY_VALUE_SCALE, "10000", 1, INT64_MAX,
                     &ec->limits.start_equity)
               != 0) {
        return -1;
    }
    if (strlen(asset) >= sizeof ec->asset) {
        return cfg_fail(cfg, "account.asset", "expected at most %zu characters",
                        sizeof ec->asset - 1);
    }
    snprintf(ec->asset, sizeof ec->asset, "%s", asset);
    ec->limits.max_open_positions = max_open;
    ec->min_confidence = (double)min_conf;
    ec->order_ttl_ns = ttl_ms * INT64_C(1000000);
    return s_read_ext(cfg, ec) != 0 ? -1 : s_read_issue17(cfg, ec);
}

/* The instruments listed in feed.instruments (md.instrument replaces them later). */
static int
s_read_instruments(cfg_t *cfg, risk_config_t *rc)
{
    int n = cfg_array_len(cfg, "feed.instruments");
    if (n < 0) {
        return -1;
    }
    if (n > RISK_CONFIG_INSTR_MAX) {
        return cfg_fail(cfg, "feed.instruments", "expected at most %d instruments",
                        RISK_CONFIG_INSTR_MAX);
    }
    for (int i = 0; i < n; i++) {
        char key[96];
        const char *v[7];
        static const char *const k_fields[7] = { "venue", "category", "symbol",      "tick",
                                                 "step",  "min_qty",  "min_notional" };
        for (int f = 0; f < 7; f++) {
            snprintf(key, sizeof key, "feed.instruments[%d].%s", i, k_fields[f]);
            if (cfg_str(cfg, key, f == 6 ? "0" : NULL, &v[f]) != 0) {
                return -1;
            }
        }
        if (instr_from_strings(&rc->instr[i], v[0], v[1], v[2], v[3], v[4], v[5], v[6]) != 0) {
            snprintf(key, sizeof key, "feed.instruments[%d]", i);
            return cfg_fail(cfg, key, "expected valid instrument rules");
        }
    }
    rc->n_instr = (size_t)n;
    return 0;
}

int
risk_config_read(cfg_t *cfg, const char *instance, risk_config_t *out)
{
    assert(cfg && instance && out);
    memset(out, 0, sizeof *out);
    char dflt_state[96];
    snprintf(dflt_state, sizeof dflt_state, "{run}/%s.state.json", instance);
    if (s_read_engine(cfg, &out->engine, &out->timeout_ms, &out->retries) != 0
        || cfg_path_str(cfg, "risk.state_file", dflt_state, out->state_path, sizeof out->state_path)
               != 0
        || cfg_endpoint(cfg, "executor.0", "orders", out->orders_ep, sizeof out->orders_ep) != 0
        || cfg_endpoint(cfg, "executor.0", "ctl", out->exec_ctl, sizeof out->exec_ctl) != 0
        || s_read_instruments(cfg, out) != 0) {
        return -1;
    }
    return 0;
}

int
risk_config_check(cfg_t *cfg, const char *instance)
{
    assert(cfg && instance);
    risk_config_t *rc = malloc(sizeof *rc); /* ~30 KB: not on a caller's stack */
    if (!rc) {
        errno = ENOMEM;
        return -1;
    }
    int r = risk_config_read(cfg, instance, rc);
    free(rc);
    return r;
}

risk_engine_t *
risk_config_engine_new(const risk_config_t *rc, const risk_io_t *io)
{
    assert(rc && io);
    risk_engine_t *eng = risk_engine_new(&rc->engine, io);
    if (!eng) {
        return NULL;
    }
    for (size_t i = 0; i < rc->n_instr; i++) {
        if (risk_engine_add_instrument(eng, &rc->instr[i]) != 0) {
            int e = errno;
            risk_engine_destroy(&eng);
            errno = e;
            return NULL;
        }
    }
    return eng;
}

/* docs/config.md "risk" marks the same keys "reload"; risk_engine_reconfigure applies them */
static const stage_key_t k_reload_keys[] = {
    { "account", false },
    { "feed.instruments", false },
    { "sessions", false },
    { "risk.risk_per_trade_pct", true },
    { "risk.max_position_pct", true },
    { "risk.max_open_positions", true },
    { "risk.daily_loss_limit_pct", true },
    { "risk.min_confidence", true },
    { "risk.order_ttl_ms", true },
    { "risk.sizing_mode", true },
    { "risk.fixed_notional", true },
    { "risk.equity_pct", true },
    { "risk.max_leverage", true },
    { "risk.reserve", true },
    { "risk.min_order_value", true },
    { "risk.scale", true },
    { "risk.stop_mode", true },
    { "risk.stop_pct", true },
    { "risk.stop_atr_mult", true },
    { "risk.exits", true },
    { "risk.max_open_per_asset", true },
    { "risk.asset_priority", true },
    { "risk.priority_confidence", true },
    { "risk.max_heat_pct", true },
    { "risk.stale_s", true },
    { "risk.critical_close_s", true },
    { "risk.max_drawdown_pct", true },
    { "risk.max_trades_per_hour", true },
    { "risk.max_consecutive_losses", true },
    { "risk.min_balance", true },
    { "risk.max_rejects", true },
    { "risk.reject_window_s", true },
    { "risk.reserve_pct", true },
    { "risk.warn_pct", true },
    { "risk.winrate_window", true },
    { "risk.winrate_min_pct", true },
};

const stage_key_t *
risk_config_keys(size_t *n)
{
    assert(n);
    *n = sizeof k_reload_keys / sizeof k_reload_keys[0];
    return k_reload_keys;
}
