/*  check.c - check-config's checks (see check.h). */
#include "tools/check-config/check.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/instr.h"
#include "common/log.h"
#include "executor/config.h"
#include "feed/config.h"
#include "feed/exinfo.h"
#include "gateway/config.h"
#include "recorder/config.h"
#include "risk/config.h"
#include "signal/config.h"
#include "tools/venue-sim/config.h"

#define S_MAX_ERRORS 64
#define S_MAX_SUBS   (CONN_MAX * 4)

static const int k_standin_port = 65535;

/* One stage role and the check its own reader makes. */
typedef struct {
    const char *role;
    int (*check)(cfg_t *cfg, const char *instance);
} s_role_t;

static int s_feed_check(cfg_t *cfg, const char *instance);

static const s_role_t k_roles[] = {
    { "venue-sim", venuesim_config_check }, { "feed", s_feed_check },
    { "signal", signal_config_check },      { "risk", risk_config_check },
    { "executor", executor_config_check },  { "recorder", recorder_config_check },
    { "gateway", gateway_config_check },
};

typedef struct {
    check_err_fn *fn;
    void *arg;
    char seen[S_MAX_ERRORS][512];
    size_t n_seen, n;
    /* what the feed instances subscribe to, and the rules the config gives */
    session_info_t subs[S_MAX_SUBS];
    size_t n_subs;
    instr_table_t *rules;
    bool replay;
} s_ctx_t;

static void
s_report(s_ctx_t *c, const char *msg)
{
    for (size_t i = 0; i < c->n_seen; i++) {
        if (strcmp(c->seen[i], msg) == 0) {
            return;
        }
    }
    if (c->n_seen < S_MAX_ERRORS) {
        snprintf(c->seen[c->n_seen++], sizeof c->seen[0], "%s", msg);
    }
    c->n++;
    c->fn(msg, c->arg);
}

/* Report the error a failed check left in cfg_error. */
static void
s_report_cfg(s_ctx_t *c, cfg_t *cfg)
{
    s_report(c, cfg_error(cfg));
}

static int
s_feed_check(cfg_t *cfg, const char *instance)
{
    return feed_config_check(cfg, instance, NULL, NULL, NULL);
}

/* ---- the whole group ------------------------------------------------------------------- */

static void
s_common(s_ctx_t *c, cfg_t *cfg)
{
    const char *v;
    log_level_t level;
    if (cfg_check_top(cfg) != 0) {
        s_report_cfg(c, cfg);
    }
    if (cfg_str(cfg, "mode", "replay", &v) != 0) {
        s_report_cfg(c, cfg);
    } else if (strcmp(v, "replay") != 0 && strcmp(v, "live") != 0) {
        (void)cfg_fail(cfg, "mode", "expected \"replay\" or \"live\", got \"%s\"", v);
        s_report_cfg(c, cfg);
    }
    c->replay = cfg_str(cfg, "mode", "replay", &v) != 0 || strcmp(v, "live") != 0;
    if (cfg_str(cfg, "log_level", "info", &v) != 0) {
        s_report_cfg(c, cfg);
    } else if (log_level_parse(v, &level) != 0) {
        (void)cfg_fail(cfg, "log_level", "expected error|warn|notice|info|debug, got \"%s\"", v);
        s_report_cfg(c, cfg);
    }
    if (cfg_str(cfg, "run_dir", "run", &v) != 0) {
        s_report_cfg(c, cfg);
    }
}

/* Every instance under "endpoints", checked by its role's reader. */
static void
s_instances(s_ctx_t *c, cfg_t *cfg, check_result_t *res)
{
    json_t *eps = cfg_json(cfg, "endpoints");
    const char *inst;
    json_t *val;
    if (!json_is_object(eps)) {
        return; /* cfg_check_top said why */
    }
    json_object_foreach(eps, inst, val)
    {
        (void)val;
        const s_role_t *r = NULL;
        for (size_t i = 0; i < sizeof k_roles / sizeof k_roles[0]; i++) {
            size_t n = strlen(k_roles[i].role);
            if (strncmp(inst, k_roles[i].role, n) == 0 && inst[n] == '.' && inst[n + 1]) {
                r = &k_roles[i];
            }
        }
        char key[64];
        snprintf(key, sizeof key, "endpoints.%s", inst);
        res->instances++;
        if (!r) {
            (void)cfg_fail(cfg, key,
                           "not a stage instance (venue-sim.N, feed.N, signal.N, risk.N, "
                           "executor.N, recorder.N, gateway.N)");
            s_report_cfg(c, cfg);
            continue;
        }
        if (cfg_check_instance(cfg, inst) != 0 || r->check(cfg, inst) != 0) {
            s_report_cfg(c, cfg);
        }
    }
}

/* ---- across sections ------------------------------------------------------------------- */

typedef struct {
    s_ctx_t *c;
    const session_info_t *s;
} s_put_t;

/* Keep the rules of the connection's symbols only, as the feed does (a venue lists hundreds). */
static void
s_put_rule(const instr_t *in, void *arg)
{
    s_put_t *p = arg;
    for (size_t y = 0; y < p->s->n_symbols; y++) {
        if (strcmp(in->symbol, p->s->symbols[y]) == 0) {
            (void)instr_table_put(p->c->rules, in); /* ENOSPC: more than 256 symbols */
        }
    }
}

/* Replay: the Bybit instruments-info venue-sim serves for the connection's category. */
static void
s_bybit_rules(s_ctx_t *c, cfg_t *cfg, const session_info_t *s)
{
    const char *key = strcmp(s->category, "spot") == 0 ? "venue_sim.bybit_instruments_spot"
                                                       : "venue_sim.bybit_instruments_linear";
    const char *path;
    if (cfg_str(cfg, key, "", &path) != 0 || !path[0]) {
        return;
    }
    size_t len;
    char *text = exinfo_read(path, &len); /* venuesim_config_check reports an unreadable one */
    s_put_t p = { c, s };
    if (text && instr_parse_bybit(text, len, s->venue, s_put_rule, &p) < 0) {
        (void)cfg_fail(cfg, key, "%s is not a Bybit instruments-info body", path);
        s_report_cfg(c, cfg);
    }
    free(text);
}

/* What every feed instance subscribes to, and the rules they will have. */
static void
s_gather(s_ctx_t *c, cfg_t *cfg)
{
    char feeds[CONN_MAX][32];
    size_t n_feeds = cfg_instances(cfg, "feed", feeds, CONN_MAX);
    for (size_t f = 0; f < n_feeds; f++) {
        session_info_t info[CONN_MAX];
        size_t n = 0;
        if (feed_config_check(cfg, feeds[f], c->rules, info, &n) != 0) {
            continue; /* reported with the instance */
        }
        for (size_t i = 0; i < n && c->n_subs < S_MAX_SUBS; i++) {
            bool dup = false;
            for (size_t k = 0; k < c->n_subs && !dup; k++) {
                dup = strcmp(c->subs[k].label, info[i].label) == 0;
            }
            if (!dup) {
                c->subs[c->n_subs++] = info[i];
            }
        }
    }
    for (size_t i = 0; i < c->n_subs; i++) {
        if (c->subs[i].bybit && c->replay) {
            s_bybit_rules(c, cfg, &c->subs[i]);
        }
    }
}

/* The connection subscribing to (venue, symbol), NULL if none. */
static const session_info_t *
s_sub(const s_ctx_t *c, const char *venue, const char *symbol)
{
    for (size_t i = 0; i < c->n_subs; i++) {
        if (strcmp(c->subs[i].venue, venue) != 0) {
            continue;
        }
        for (size_t y = 0; y < c->subs[i].n_symbols; y++) {
            if (strcmp(c->subs[i].symbols[y], symbol) == 0) {
                return &c->subs[i];
            }
        }
    }
    return NULL;
}

static bool
s_has_rules(const s_ctx_t *c, const char *venue, const char *symbol)
{
    if (instr_table_get(c->rules, venue, symbol)) {
        return true;
    }
    const session_info_t *s = s_sub(c, venue, symbol);
    return s && s->bybit && !c->replay; /* live: from the venue's REST at start */
}

/* A spot market: a connection of the venue says spot, a rule of it has category "spot", or
 * (neither known) the venue id contains "spot" as the feed's default does. */
static bool
s_spot(const s_ctx_t *c, const char *venue, const char *symbol)
{
    for (size_t i = 0; i < c->n_subs; i++) {
        if (strcmp(c->subs[i].venue, venue) == 0) {
            return c->subs[i].spot || strcmp(c->subs[i].category, "spot") == 0;
        }
    }
    const instr_t *in = instr_table_get(c->rules, venue, symbol);
    if (in) {
        return strcmp(in->category, "spot") == 0;
    }
    return strstr(venue, "spot") != NULL;
}

/* The (venue, symbol) of the object at `path` (signal.strategies[i], trade_bars[i], ...). */
static bool
s_series(cfg_t *cfg, const char *path, const char **venue, const char **symbol)
{
    char k[160];
    snprintf(k, sizeof k, "%s.venue", path);
    if (cfg_str(cfg, k, "", venue) != 0 || !(*venue)[0]) {
        return false;
    }
    snprintf(k, sizeof k, "%s.symbol", path);
    return cfg_str(cfg, k, "", symbol) == 0 && (*symbol)[0];
}

/* long_only false at `path` (a strategy or an ensemble member) on a spot symbol. */
static void
s_long_only(s_ctx_t *c, cfg_t *cfg, const char *path, const char *venue, const char *symbol)
{
    char k[192];
    snprintf(k, sizeof k, "%s.long_only", path);
    json_t *lo = cfg_json(cfg, k);
    if (json_is_false(lo) && s_spot(c, venue, symbol)) {
        (void)cfg_fail(cfg, k,
                       "false on the spot symbol %s %s: a spot account cannot sell what it does "
                       "not hold (use a linear/usdm venue to trade both ways)",
                       venue, symbol);
        s_report_cfg(c, cfg);
    }
}

static void
s_cross(s_ctx_t *c, cfg_t *cfg)
{
    char path[96], k[128];
    const char *venue, *symbol;
    char feeds[1][32];
    bool have_feed = cfg_instances(cfg, "feed", feeds, 1) > 0;
    int n = cfg_array_len(cfg, "signal.strategies");
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "signal.strategies[%d]", i);
        if (!s_series(cfg, path, &venue, &symbol)) {
            continue; /* the signal check reported it */
        }
        snprintf(k, sizeof k, "%s.symbol", path);
        if (!s_has_rules(c, venue, symbol)) {
            (void)cfg_fail(cfg, k,
                           "no instrument rules for %s %s (feed.instruments, a Binance "
                           "connection's exchange_info, or venue-sim's "
                           "bybit_instruments_linear/spot)",
                           venue, symbol);
            s_report_cfg(c, cfg);
        }
        s_long_only(c, cfg, path, venue, symbol);
        snprintf(k, sizeof k, "%s.members", path);
        int m = cfg_array_len(cfg, k);
        for (int j = 0; j < m; j++) {
            snprintf(k, sizeof k, "%s.members[%d]", path, j);
            s_long_only(c, cfg, k, venue, symbol);
        }
    }
    /* every series the signal stage builds needs a feed subscription */
    static const char *const k_lists[] = { "signal.strategies", "signal.trade_bars",
                                           "signal.indicators", "signal.mtf" };
    for (size_t l = 0; have_feed && l < sizeof k_lists / sizeof k_lists[0]; l++) {
        n = cfg_array_len(cfg, k_lists[l]);
        for (int i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s[%d]", k_lists[l], i);
            if (!s_series(cfg, path, &venue, &symbol) || s_sub(c, venue, symbol)) {
                continue;
            }
            snprintf(k, sizeof k, "%s.symbol", path);
            (void)cfg_fail(cfg, k, "no feed connection subscribes to %s %s", venue, symbol);
            s_report_cfg(c, cfg);
        }
    }
    /* replay: a Bybit symbol the feed subscribes to has rules venue-sim serves */
    for (size_t i = 0; c->replay && i < c->n_subs; i++) {
        const session_info_t *s = &c->subs[i];
        for (size_t y = 0; s->bybit && y < s->n_symbols; y++) {
            if (instr_table_get(c->rules, s->venue, s->symbols[y])) {
                continue;
            }
            int nc = cfg_array_len(cfg, "feed.connections");
            for (int j = 0; j < nc; j++) {
                const char *label;
                snprintf(k, sizeof k, "feed.connections[%d].label", j);
                if (cfg_str(cfg, k, "", &label) == 0 && strcmp(label, s->label) == 0) {
                    snprintf(k, sizeof k, "feed.connections[%d].symbols", j);
                    break;
                }
            }
            (void)cfg_fail(cfg, k,
                           "no instrument rules for %s %s in venue-sim's instruments-info for "
                           "category %s (its frames would be skipped)",
                           s->venue, s->symbols[y], s->category);
            s_report_cfg(c, cfg);
        }
    }
    /* venue-sim waits for every expected label before the hello */
    n = cfg_array_len(cfg, "venue_sim.expect_labels");
    for (int i = 0; have_feed && i < n; i++) {
        const char *label;
        snprintf(k, sizeof k, "venue_sim.expect_labels[%d]", i);
        if (cfg_str(cfg, k, NULL, &label) != 0) {
            continue;
        }
        bool found = false;
        for (size_t s = 0; s < c->n_subs && !found; s++) {
            found = strcmp(c->subs[s].label, label) == 0;
        }
        if (!found) {
            (void)cfg_fail(cfg, k,
                           "no feed connection has the label \"%s\" (venue-sim would wait for "
                           "it forever)",
                           label);
            s_report_cfg(c, cfg);
        }
    }
}

size_t
check_config(cfg_t *cfg, check_err_fn *fn, void *arg, check_result_t *res)
{
    assert(cfg && fn && res);
    memset(res, 0, sizeof *res);
    s_ctx_t *c = calloc(1, sizeof *c);
    if (!c) {
        fn("check-config: out of memory", arg);
        return res->errors = 1;
    }
    c->fn = fn;
    c->arg = arg;
    c->rules = instr_table_new();
    if (!c->rules) {
        free(c);
        fn("check-config: out of memory", arg);
        return res->errors = 1;
    }
    const char *key;
    json_t *val;
    json_object_foreach(cfg_json(cfg, ""), key, val)
    {
        (void)key;
        res->sections += json_is_object(val) ? 1 : 0;
    }
    /* venue_sim.port 0: the run's port file does not exist before `tools/sv up`; URLs naming
     * {venue_port} are checked with a stand-in (any port does: they only have to agree) */
    cfg_assume_venue_port(cfg, k_standin_port);
    s_common(c, cfg);
    s_instances(c, cfg, res);
    s_gather(c, cfg);
    s_cross(c, cfg);
    res->errors = c->n;
    instr_table_destroy(&c->rules);
    free(c);
    return res->errors;
}
