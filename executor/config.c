/*  config.c - the executor's config reader (contract in config.h). The key table below is
 *  the complete list of what "executor" may hold: a key missing here is refused at start, by
 *  `ctl reload` and by check-config alike.
 */
#include "executor/config.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "common/money.h"

static const char *const k_keys[] = {
    "venue",          "taker_fee",   "maker_fee",        "slippage_cap_pct", "base_url", "category",
    "recv_window_ms", "timeout_ms",  "max_offset_ms",    "poll_ms",          "journal",  "key_file",
    "ws_url",         "paper_state", "paper_trigger_by", "paper_latency_ms", "leverage", NULL
};
static const char *const k_account_keys[] = { "asset", "start_balance", NULL };

/* The executor's venue and account settings into out->exec.venue. */
static int
s_venue(cfg_t *cfg, executor_config_t *out)
{
    venue_cfg_t *vc = &out->exec.venue;
    const char *name, *asset;
    const int64_t one = money_pow10(VENUE_RATE_SCALE);
    if (cfg_check_keys(cfg, "executor", k_keys) < 0
        || cfg_check_keys(cfg, "account", k_account_keys) < 0
        || cfg_str(cfg, "executor.venue", "paper", &name) < 0
        || cfg_money(cfg, "executor.taker_fee", VENUE_RATE_SCALE, "0.001", 0, one / 10,
                     &vc->taker_fee)
               < 0
        || cfg_money(cfg, "executor.maker_fee", VENUE_RATE_SCALE, "0.001", 0, one / 10,
                     &vc->maker_fee)
               < 0
        || cfg_money(cfg, "executor.slippage_cap_pct", VENUE_RATE_SCALE, "1.0", 0, 100 * one,
                     &vc->slippage_cap)
               < 0
        || cfg_money(cfg, "executor.leverage", VENUE_LEV_SCALE, "1", 0,
                     100 * money_pow10(VENUE_LEV_SCALE), &vc->leverage)
               < 0
        || cfg_str(cfg, "account.asset", "USDT", &asset) < 0
        || cfg_money(cfg, "account.start_balance", MONEY_VALUE_SCALE, "10000", 0, INT64_MAX,
                     &vc->start_balance)
               < 0) {
        return -1;
    }
    if (strcmp(name, "paper") != 0 && strcmp(name, "bybit") != 0) {
        return cfg_fail(cfg, "executor.venue", "expected \"paper\" or \"bybit\", got \"%s\"", name);
    }
    if (vc->leverage > 0 && vc->leverage < money_pow10(VENUE_LEV_SCALE)) {
        return cfg_fail(cfg, "executor.leverage", "expected \"0\" (not managed) or 1 to 100");
    }
    snprintf(out->venue_name, sizeof out->venue_name, "%s", name);
    vc->name = out->venue_name;
    if (cfg_path_str(cfg, "executor.paper_state", "", out->paper_state, sizeof out->paper_state)
        < 0) {
        return -1;
    }
    if (strcmp(name, "paper") == 0 && out->paper_state[0]) {
        vc->journal_path = out->paper_state; /* paper persistence (docs/executor.md) */
    }
    if (strlen(asset) == 0 || strlen(asset) >= sizeof out->asset) {
        return cfg_fail(cfg, "account.asset", "expected 1 to 11 characters, got \"%s\"", asset);
    }
    snprintf(out->asset, sizeof out->asset, "%s", asset);
    vc->asset = out->asset;
    return 0;
}

/* The paper venue's trigger source and latency (docs/executor.md "Paper fill rules"). Read
 * for every venue (the keys are checked even when the live venue ignores them). */
static int
s_paper(cfg_t *cfg, paper_rules_t *pr)
{
    const char *by;
    int64_t lat_ms;
    memset(pr, 0, sizeof *pr);
    if (cfg_str(cfg, "executor.paper_trigger_by", "last", &by) < 0
        || cfg_int(cfg, "executor.paper_latency_ms", 0, 0, 60000, false, &lat_ms) < 0) {
        return -1;
    }
    if (strcmp(by, "last") == 0) {
        pr->trigger_by = PAPER_TRIGGER_LAST;
    } else if (strcmp(by, "mark") == 0) {
        pr->trigger_by = PAPER_TRIGGER_MARK;
    } else {
        return cfg_fail(cfg, "executor.paper_trigger_by",
                        "expected \"last\" or \"mark\", got \"%s\"", by);
    }
    pr->latency_ns = lat_ms * 1000000; /* <= 60000 ms: no overflow */
    return 0;
}

/* Read a key file "key\nsecret\n"; refuse group/other permissions. 0, or -1 (message in
 * cfg_error; never the content). */
static int
s_key_file(cfg_t *cfg, const char *path, executor_config_t *out)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        return cfg_fail(cfg, "executor.key_file", "cannot stat %s: %s", path, strerror(errno));
    }
    if ((sb.st_mode & 077) != 0) {
        return cfg_fail(cfg, "executor.key_file",
                        "%s is readable or writable by group/others (mode %03o): chmod 600 it",
                        path, (unsigned)(sb.st_mode & 0777));
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        return cfg_fail(cfg, "executor.key_file", "cannot open %s: %s", path, strerror(errno));
    }
    bool ok = fgets(out->key, sizeof out->key, f) && fgets(out->secret, sizeof out->secret, f);
    fclose(f);
    out->key[strcspn(out->key, "\r\n")] = '\0';
    out->secret[strcspn(out->secret, "\r\n")] = '\0';
    if (!ok || !out->key[0] || !out->secret[0]) {
        executor_config_wipe(out);
        return cfg_fail(cfg, "executor.key_file", "%s: expected two lines, key then secret", path);
    }
    return 0;
}

/* Settings of the live venue. `need_creds` false (check): missing credentials are no error. */
static int
s_live(cfg_t *cfg, const char *inst, const char *env_key, const char *env_secret, bool need_creds,
       executor_config_t *out)
{
    venue_cfg_t *vc = &out->exec.venue;
    const char *base, *cat, *key_file;
    int64_t rw, to, off;
    char dflt[96];
    snprintf(dflt, sizeof dflt, "{run}/%s.journal", inst);
    if (cfg_str(cfg, "executor.base_url", "https://api.bybit.com", &base) < 0
        || cfg_str(cfg, "executor.category", "linear", &cat) < 0
        || cfg_int(cfg, "executor.recv_window_ms", 5000, 1, 60000, false, &rw) < 0
        || cfg_int(cfg, "executor.timeout_ms", 5000, 10, 60000, false, &to) < 0
        || cfg_int(cfg, "executor.max_offset_ms", 500, 1, 60000, false, &off) < 0
        || cfg_int(cfg, "executor.poll_ms", 1000, 10, 600000, false, &out->poll_ms) < 0
        || cfg_path_str(cfg, "executor.journal", dflt, out->journal, sizeof out->journal) < 0
        || cfg_str(cfg, "executor.key_file", "", &key_file) < 0) {
        return -1;
    }
    /* private WS: venue-sim serves it on the REST port; Bybit on stream.bybit.com */
    const char *ws;
    char dws[300];
    if (strncmp(base, "https://api.bybit.com", 21) == 0) {
        snprintf(dws, sizeof dws, "wss://stream.bybit.com/v5/private");
    } else if (strncmp(base, "https://api-testnet.bybit.com", 29) == 0) {
        snprintf(dws, sizeof dws, "wss://stream-testnet.bybit.com/v5/private");
    } else {
        snprintf(dws, sizeof dws, "%s%s/v5/private",
                 strncmp(base, "https://", 8) == 0 ? "wss://" : "ws://",
                 strstr(base, "://") ? strstr(base, "://") + 3 : base);
    }
    if (cfg_str(cfg, "executor.ws_url", dws, &ws) < 0) {
        return -1;
    }
    if (strlen(ws) >= sizeof out->ws_url) {
        return cfg_fail(cfg, "executor.ws_url", "expected at most %zu characters",
                        sizeof out->ws_url - 1);
    }
    if (strlen(base) >= sizeof out->base_url) {
        return cfg_fail(cfg, "executor.base_url", "expected at most %zu characters",
                        sizeof out->base_url - 1);
    }
    snprintf(out->ws_url, sizeof out->ws_url, "%s", ws);
    if (strcmp(cat, "linear") != 0 && strcmp(cat, "spot") != 0) {
        return cfg_fail(cfg, "executor.category", "expected \"linear\" or \"spot\", got \"%s\"",
                        cat);
    }
    snprintf(out->base_url, sizeof out->base_url, "%s", base);
    snprintf(out->category, sizeof out->category, "%s", cat);
    if (env_key && env_key[0] && env_secret && env_secret[0]) {
        snprintf(out->key, sizeof out->key, "%s", env_key);
        snprintf(out->secret, sizeof out->secret, "%s", env_secret);
    } else if (key_file[0]) {
        if (s_key_file(cfg, key_file, out) < 0) {
            return -1;
        }
    } else if (need_creds) {
        return cfg_fail(cfg, "executor.key_file",
                        "venue bybit needs BYBIT_API_KEY and BYBIT_API_SECRET or a key file");
    }
    vc->base_url = out->base_url;
    vc->api_key = out->key;
    vc->api_secret = out->secret;
    vc->journal_path = out->journal;
    vc->ws_url = out->ws_url;
    vc->category = out->category;
    /* the traded symbols whose leverage is set to the cap: the feed's symbols of this venue */
    char venue_id[32];
    snprintf(venue_id, sizeof venue_id, "bybit-%s", out->category);
    int nc = cfg_array_len(cfg, "feed.connections");
    out->n_lev_symbols = 0;
    for (int i = 0; i < nc; i++) {
        char k[96];
        const char *v = NULL;
        snprintf(k, sizeof k, "feed.connections[%d].venue", i);
        if (cfg_str(cfg, k, "", &v) < 0) {
            return -1;
        }
        if (strcmp(v, venue_id) != 0) {
            continue;
        }
        snprintf(k, sizeof k, "feed.connections[%d].symbols", i);
        int ns = cfg_array_len(cfg, k);
        for (int j = 0; j < ns && out->n_lev_symbols < EXEC_LEV_SYMBOLS_MAX; j++) {
            char ks[112];
            const char *sym = NULL;
            snprintf(ks, sizeof ks, "feed.connections[%d].symbols[%d]", i, j);
            if (cfg_str(cfg, ks, "", &sym) < 0) {
                return -1;
            }
            if (sym[0] && strlen(sym) < sizeof out->lev_symbols[0]) {
                snprintf(out->lev_symbols[out->n_lev_symbols++], sizeof out->lev_symbols[0], "%s",
                         sym);
            }
        }
    }
    vc->lev_symbols = (const char(*)[CODEC_SYM_MAX])out->lev_symbols;
    vc->n_lev_symbols = out->n_lev_symbols;
    vc->recv_window_ms = (int)rw;
    vc->timeout_ms = (int)to;
    vc->max_offset_ms = off;
    return 0;
}

static int
s_read(cfg_t *cfg, const char *instance, const char *env_key, const char *env_secret,
       bool need_creds, executor_config_t *out)
{
    memset(out, 0, sizeof *out);
    if (s_venue(cfg, out) < 0 || s_paper(cfg, &out->exec.paper) < 0
        || cfg_endpoint(cfg, instance, "orders", out->orders_ep, sizeof out->orders_ep) < 0
        || (strcmp(out->venue_name, "bybit") == 0
            && s_live(cfg, instance, env_key, env_secret, need_creds, out) < 0)) {
        executor_config_wipe(out);
        return -1;
    }
    return 0;
}

int
executor_config_read(cfg_t *cfg, const char *instance, const char *env_key, const char *env_secret,
                     executor_config_t *out)
{
    assert(cfg && instance && out);
    return s_read(cfg, instance, env_key, env_secret, true, out);
}

int
executor_config_check(cfg_t *cfg, const char *instance)
{
    assert(cfg && instance);
    executor_config_t *c = malloc(sizeof *c);
    if (!c) {
        errno = ENOMEM;
        return -1;
    }
    int rc = s_read(cfg, instance, NULL, NULL, false, c);
    executor_config_wipe(c);
    free(c);
    return rc;
}

void
executor_config_wipe(executor_config_t *c)
{
    assert(c);
    OPENSSL_cleanse(c->key, sizeof c->key);
    OPENSSL_cleanse(c->secret, sizeof c->secret);
}

/* docs/config.md "executor" marks the same keys "reload"; exec_set_paper_rules applies them */
static const stage_key_t k_reload_keys[] = {
    { "account", false },
    { "executor.paper_trigger_by", true },
    { "executor.paper_latency_ms", true },
};

const stage_key_t *
executor_config_keys(size_t *n)
{
    assert(n);
    *n = sizeof k_reload_keys / sizeof k_reload_keys[0];
    return k_reload_keys;
}
