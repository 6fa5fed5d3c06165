/*  config.c - venue-sim's configuration (see config.h). */
#include "tools/venue-sim/config.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

static const char *const k_keys[] = { "port",
                                      "speed",
                                      "step_ms",
                                      "window",
                                      "hello_ms",
                                      "idle_cap_ms",
                                      "lockstep",
                                      "wait_for",
                                      "expect_labels",
                                      "exit_when_done",
                                      "bybit_linear_frames",
                                      "bybit_spot_frames",
                                      "bybit_instruments_linear",
                                      "bybit_instruments_spot",
                                      "binance_usdm_file",
                                      "binance_spot_file",
                                      "binance_kline_csv",
                                      "binance_kline_symbol",
                                      "from",
                                      "to",
                                      "skip_bad",
                                      "api_keys",
                                      "private",
                                      NULL };

/* The data files: frames (and their loaders), then the instruments-info bodies. */
static const struct {
    const char *key;
    source_kind_t kind;
    bool binance;
} k_files[] = {
    { "venue_sim.bybit_linear_frames", SOURCE_BYBIT_LINEAR, false },
    { "venue_sim.bybit_spot_frames", SOURCE_BYBIT_SPOT, false },
    { "venue_sim.binance_usdm_file", SOURCE_BINANCE_USDM, true },
    { "venue_sim.binance_spot_file", SOURCE_BINANCE_SPOT, true },
};
static const char *const k_inst_keys[2] = { "venue_sim.bybit_instruments_linear",
                                            "venue_sim.bybit_instruments_spot" };

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil) */
static int64_t
s_days(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n digits at s into *v; false if any is not a digit */
static bool
s_digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

int
venuesim_parse_time(const char *s, bool end, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
    if (!s || strlen(s) < 10 || !s_digits(s, 4, &y) || s[4] != '-' || !s_digits(s + 5, 2, &mo)
        || s[7] != '-' || !s_digits(s + 8, 2, &d) || y < 1970 || y > 9999 || mo < 1 || mo > 12
        || d < 1) {
        errno = EINVAL;
        return -1;
    }
    static const int k_mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > k_mdays[mo - 1] + (mo == 2 && leap)) {
        errno = EINVAL;
        return -1;
    }
    const char *p = s + 10;
    bool date_only = *p == '\0';
    if (!date_only) {
        if ((*p != 'T' && *p != ' ') || !s_digits(p + 1, 2, &h) || p[3] != ':'
            || !s_digits(p + 4, 2, &mi) || h > 23 || mi > 59) {
            errno = EINVAL;
            return -1;
        }
        p += 6;
        if (*p == ':') {
            if (!s_digits(p + 1, 2, &sec) || sec > 59) {
                errno = EINVAL;
                return -1;
            }
            p += 3;
            if (*p == '.') {
                int n = 0;
                for (p++; *p >= '0' && *p <= '9'; p++, n++) {
                    if (n < 3) {
                        frac = frac * 10 + (*p - '0');
                    }
                }
                if (n == 0) {
                    errno = EINVAL;
                    return -1;
                }
                for (; n < 3; n++) {
                    frac *= 10;
                }
            }
        }
        if (strcmp(p, "Z") == 0 || strcmp(p, "+00:00") == 0) {
            p += strlen(p);
        }
        if (*p) {
            errno = EINVAL; /* another offset, or junk: times are UTC */
            return -1;
        }
    }
    int64_t v = ((s_days(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
    v = v * 1000 + frac;
    if (date_only && end) {
        v += INT64_C(86400000); /* --to 2025-11-04 includes that day */
    }
    *ms = v;
    return 0;
}

/* venue_sim.from / venue_sim.to into [*from, *to): INT64_MIN / INT64_MAX when absent. */
static int
s_window(cfg_t *cfg, int64_t *from, int64_t *to)
{
    static const char *const k_wkeys[2] = { "venue_sim.from", "venue_sim.to" };
    int64_t v[2] = { INT64_MIN, INT64_MAX };
    for (int i = 0; i < 2; i++) {
        const char *t;
        if (cfg_str(cfg, k_wkeys[i], "", &t) != 0) {
            return -1;
        }
        if (t[0] && venuesim_parse_time(t, i == 1, &v[i]) != 0) {
            return cfg_fail(cfg, k_wkeys[i],
                            "expected a UTC date YYYY-MM-DD or date-time "
                            "YYYY-MM-DDTHH:MM[:SS[.mmm]][Z], got \"%s\"",
                            t);
        }
    }
    if (v[0] >= v[1]) {
        return cfg_fail(cfg, k_wkeys[1], "is not after venue_sim.from: the window is empty");
    }
    *from = v[0];
    *to = v[1];
    return 0;
}

int64_t
venuesim_parse_speed(const char *s)
{
    if (strcmp(s, "max") == 0) {
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 1000000) {
        return -1;
    }
    return v;
}

static int
s_speed(cfg_t *cfg, const char *speed_arg, venuesim_config_t *c)
{
    /* --speed, else venue_sim.speed ("max" or a positive integer, string or number) */
    const char *sp = speed_arg;
    char num[32];
    if (!sp) {
        json_t *j = cfg_json(cfg, "venue_sim.speed");
        if (json_is_integer(j)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(j));
            sp = num;
        } else if (json_is_string(j)) {
            sp = json_string_value(j);
        } else if (!j) {
            sp = "max";
        } else {
            return cfg_fail(cfg, "venue_sim.speed", "expected \"max\" or a positive integer");
        }
    }
    c->speed = venuesim_parse_speed(sp);
    if (c->speed < 0) {
        if (speed_arg) {
            return cfg_fail(cfg, "venue_sim.speed",
                            "--speed %s: expected max or an integer in [1, 1000000]", sp);
        }
        return cfg_fail(cfg, "venue_sim.speed",
                        "expected \"max\" or an integer in [1, 1000000], got %s", sp);
    }
    snprintf(c->speed_str, sizeof c->speed_str, "%s", c->speed ? sp : "max");
    return 0;
}

/* expected labels: venue_sim.expect_labels, else the feed connections aimed at our port */
static int
s_expect(cfg_t *cfg, venuesim_config_t *c)
{
    int n = cfg_array_len(cfg, "venue_sim.expect_labels");
    bool from_feed = n == 0 && !cfg_has(cfg, "venue_sim.expect_labels");
    if (n < 0) {
        return -1;
    }
    if (!from_feed && n > VENUESIM_MAX_EXPECT) {
        return cfg_fail(cfg, "venue_sim.expect_labels", "at most %d labels, got %d",
                        VENUESIM_MAX_EXPECT, n);
    }
    if (from_feed) {
        n = cfg_array_len(cfg, "feed.connections");
        if (n < 0) {
            n = 0; /* the feed's own reader reports it */
        }
    }
    char needle[32];
    snprintf(needle, sizeof needle, ":%lld/", (long long)c->port);
    for (int i = 0; i < n && c->n_expect < VENUESIM_MAX_EXPECT; i++) {
        char key[64];
        const char *label, *url = "";
        if (from_feed) {
            snprintf(key, sizeof key, "feed.connections[%d].url", i);
            if (cfg_str(cfg, key, "", &url) != 0 || !strstr(url, needle)) {
                continue;
            }
            snprintf(key, sizeof key, "feed.connections[%d].label", i);
        } else {
            snprintf(key, sizeof key, "venue_sim.expect_labels[%d]", i);
        }
        if (cfg_str(cfg, key, NULL, &label) != 0) {
            return -1;
        }
        if (!label[0] || strlen(label) >= CODEC_ID_MAX) {
            return cfg_fail(cfg, key, "expected 1..%d characters", CODEC_ID_MAX - 1);
        }
        snprintf(c->expect[c->n_expect++], CODEC_ID_MAX, "%s", label);
    }
    return 0;
}

/* venue_sim.api_keys[i]: objects of {key, secret}, at most PRIV_MAX_KEYS */
static int
s_api_keys(cfg_t *cfg)
{
    static const char *const k_key_keys[] = { "key", "secret", NULL };
    int n = cfg_array_len(cfg, "venue_sim.api_keys");
    if (n < 0) {
        return -1;
    }
    if (n > PRIV_MAX_KEYS) {
        return cfg_fail(cfg, "venue_sim.api_keys", "at most %d keys, got %d", PRIV_MAX_KEYS, n);
    }
    for (int i = 0; i < n; i++) {
        char p[48];
        snprintf(p, sizeof p, "venue_sim.api_keys[%d]", i);
        if (!json_is_object(cfg_json(cfg, p))) {
            return cfg_fail(cfg, p, "expected an object {\"key\": ..., \"secret\": ...}");
        }
        if (cfg_check_keys(cfg, p, k_key_keys) != 0) {
            return -1;
        }
    }
    return 0;
}

int
venuesim_config_read(cfg_t *cfg, bool replay, const char *speed_arg, long port_arg,
                     venuesim_config_t *out)
{
    assert(cfg && out);
    venuesim_config_t *c = calloc(1, sizeof *c);
    int rc = -1;
    const char *w, *path;
    if (!c) {
        return cfg_fail(cfg, "venue_sim", "out of memory");
    }
    if (cfg_check_keys(cfg, "venue_sim", k_keys) != 0
        || cfg_int(cfg, "venue_sim.port", 0, 0, 65535, false, &c->port) != 0
        || cfg_int(cfg, "venue_sim.step_ms", 100, 1, 3600000, false, &c->step_ms) != 0
        || cfg_int(cfg, "venue_sim.window", 1, 1, 1000, false, &c->window) != 0
        || cfg_int(cfg, "venue_sim.hello_ms", 200, 10, 60000, false, &c->hello_ms) != 0
        || cfg_int(cfg, "venue_sim.idle_cap_ms", 5000, 0, INT64_C(86400000), false, &c->idle_cap_ms)
               != 0
        || cfg_bool(cfg, "venue_sim.lockstep", replay, &c->lockstep) != 0
        || cfg_bool(cfg, "venue_sim.exit_when_done", false, &c->exit_when_done) != 0
        || cfg_str(cfg, "venue_sim.wait_for", "recorder.0", &w) != 0) {
        goto done;
    }
    if (port_arg > 0) {
        c->port = port_arg;
    } else if (c->port == 0) {
        int p; /* 0: the run's port (main.c resolves it first; check-config assumes one) */
        if (cfg_venue_port(cfg, &p) != 0) {
            goto done;
        }
        c->port = p;
    }
    if (!w[0] || strlen(w) >= sizeof c->wait_for) {
        (void)cfg_fail(cfg, "venue_sim.wait_for", "expected an instance name of 1..%zu characters",
                       sizeof c->wait_for - 1);
        goto done;
    }
    snprintf(c->wait_for, sizeof c->wait_for, "%s", w);
    if (c->lockstep && cfg_endpoint(cfg, c->wait_for, "pub", c->wait_ep, sizeof c->wait_ep) != 0) {
        (void)cfg_fail(cfg, "venue_sim.wait_for",
                       "lockstep waits for the barriers of \"%s\": it has no endpoints.%s.pub",
                       c->wait_for, c->wait_for);
        goto done;
    }
    if (s_speed(cfg, speed_arg, c) != 0 || s_expect(cfg, c) != 0
        || s_window(cfg, &c->from_ms, &c->to_ms) != 0
        || cfg_bool(cfg, "venue_sim.skip_bad", false, &c->skip_bad) != 0) {
        goto done;
    }
    for (size_t i = 0; i < sizeof k_files / sizeof k_files[0]; i++) {
        if (cfg_str(cfg, k_files[i].key, "", &path) != 0) {
            goto done;
        }
    }
    for (size_t i = 0; i < 2; i++) {
        if (cfg_str(cfg, k_inst_keys[i], "", &path) != 0) {
            goto done;
        }
    }
    int n = cfg_array_len(cfg, "venue_sim.binance_kline_csv");
    if (n < 0 || cfg_str(cfg, "venue_sim.binance_kline_symbol", "BTCUSDT", &path) != 0) {
        goto done;
    }
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "venue_sim.binance_kline_csv[%d]", i);
        if (cfg_str(cfg, key, NULL, &path) != 0) {
            goto done;
        }
    }
    if ((cfg_has(cfg, "venue_sim.private") && !json_is_object(cfg_json(cfg, "venue_sim.private"))
         && cfg_fail(cfg, "venue_sim.private", "expected an object") != 0)
        || s_api_keys(cfg) != 0 || priv_config(cfg, &c->priv) != 0) {
        goto done;
    }
    *out = *c;
    rc = 0;
done:
    free(c);
    return rc;
}

static char *
s_read_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 1 << 20;
            char *p = realloc(buf, cap + 1);
            if (!p) {
                free(buf);
                fclose(fp);
                errno = ENOMEM;
                return NULL;
            }
            buf = p;
        }
        size_t n = fread(buf + len, 1, cap - len, fp);
        len += n;
        if (n == 0) {
            break;
        }
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

static const char k_skip_hint[] =
    " (venue_sim.skip_bad, or backtest --skip-bad, skips and counts such rows)";

/* A load call failed: a bad line (strict: EINVAL, source_error names file:line) or the file
 * cannot be opened or read. */
static int
s_load_fail(cfg_t *cfg, const char *key, source_t *src, const char *path)
{
    if (errno == EINVAL && source_error(src)[0]) {
        return cfg_fail(cfg, key, "%s%s", source_error(src), k_skip_hint);
    }
    if (errno == EDOM && source_stream_unordered(src)) {
        (void)cfg_fail(cfg, key, "%s", source_error(src));
        errno = EDOM; /* the caller may load the files whole instead (source.h) */
        return -1;
    }
    return cfg_fail(cfg, key, "cannot load %s: %s", path, strerror(errno));
}

const char *
venuesim_fmt_time(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    int64_t rem = ms - (int64_t)t * 1000;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, cap, "%lld ms", (long long)ms);
    } else if (rem) {
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)rem);
    } else {
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    return buf;
}

int
venuesim_config_load(cfg_t *cfg, source_t *src, char **inst_linear, char **inst_spot)
{
    assert(cfg && src && inst_linear && inst_spot);
    const char *path, *symbol;
    int64_t from, to;
    bool skip_bad;
    *inst_linear = *inst_spot = NULL;
    if (s_window(cfg, &from, &to) != 0
        || cfg_bool(cfg, "venue_sim.skip_bad", false, &skip_bad) != 0) {
        return -1;
    }
    source_set_strict(src, !skip_bad);
    if ((from != INT64_MIN || to != INT64_MAX) && source_set_window(src, from, to) != 0) {
        return cfg_fail(cfg, "venue_sim.from", "cannot set the window: %s", strerror(errno));
    }
    for (size_t i = 0; i < sizeof k_files / sizeof k_files[0]; i++) {
        if (cfg_str(cfg, k_files[i].key, "", &path) != 0) {
            return -1;
        }
        if (!path[0]) {
            continue;
        }
        int rc = k_files[i].binance ? source_load_binance(src, path, k_files[i].kind)
                                    : source_load_bybit(src, path, k_files[i].kind);
        if (rc != 0) {
            return s_load_fail(cfg, k_files[i].key, src, path);
        }
    }
    if (cfg_str(cfg, "venue_sim.binance_kline_symbol", "BTCUSDT", &symbol) != 0) {
        return -1;
    }
    int n = cfg_array_len(cfg, "venue_sim.binance_kline_csv");
    if (n < 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "venue_sim.binance_kline_csv[%d]", i);
        if (cfg_str(cfg, key, NULL, &path) != 0) {
            return -1;
        }
        if (source_load_klines(src, path, symbol, SOURCE_BINANCE_SPOT) != 0) {
            return s_load_fail(cfg, key, src, path);
        }
    }
    char **iout[2] = { inst_linear, inst_spot };
    for (int i = 0; i < 2; i++) {
        if (cfg_str(cfg, k_inst_keys[i], "", &path) != 0) {
            return -1;
        }
        if (path[0]) {
            *iout[i] = s_read_file(path);
            if (!*iout[i]) {
                return cfg_fail(cfg, k_inst_keys[i], "cannot read %s: %s", path, strerror(errno));
            }
        }
    }
    if (source_finish(src) != 0) {
        int e = errno;
        if (e == EINVAL) {
            (void)cfg_fail(cfg, "venue_sim.binance_kline_csv", "%s%s", source_error(src),
                           k_skip_hint);
        } else {
            (void)cfg_fail(cfg, "venue_sim", "cannot sort the timeline: %s", strerror(e));
        }
        errno = e;
        return -1;
    }
    uint64_t kept = 0; /* frames in the window: loaded, or streamed kline rows */
    for (size_t i = 0; i < source_files(src); i++) {
        kept += source_file(src, i)->kept;
    }
    if ((from != INT64_MIN || to != INT64_MAX) && kept == 0) {
        char a[40], b[40], c[40], d[40], span[200] = "no data files";
        int64_t lo = INT64_MAX, hi = INT64_MIN, klo = INT64_MAX, khi = INT64_MIN;
        const char *tf, *tt;
        for (size_t i = 0; i < source_files(src); i++) {
            const source_file_t *f = source_file(src, i);
            if (f->frames > 0) {
                lo = f->first_ms < lo ? f->first_ms : lo;
                hi = f->last_ms > hi ? f->last_ms : hi;
            }
            if (f->frames > 0 && f->klines) {
                klo = f->first_ms < klo ? f->first_ms : klo;
                khi = f->last_ms > khi ? f->last_ms : khi;
            }
        }
        if (klo <= khi && (klo != lo || khi != hi)) {
            snprintf(span, sizeof span, "the files span %s..%s (the kline CSVs %s..%s)",
                     venuesim_fmt_time(lo, a, sizeof a), venuesim_fmt_time(hi, b, sizeof b),
                     venuesim_fmt_time(klo, c, sizeof c), venuesim_fmt_time(khi, d, sizeof d));
        } else if (lo <= hi) {
            snprintf(span, sizeof span, "the files span %s..%s", venuesim_fmt_time(lo, a, sizeof a),
                     venuesim_fmt_time(hi, b, sizeof b));
        } else if (source_files(src) > 0) {
            snprintf(span, sizeof span, "the files hold no frames");
        }
        if (cfg_str(cfg, "venue_sim.from", "", &tf) != 0) {
            return -1;
        }
        char fs[64];
        snprintf(fs, sizeof fs, "%s", tf[0] ? tf : "(start)");
        if (cfg_str(cfg, "venue_sim.to", "", &tt) != 0) {
            return -1;
        }
        return cfg_fail(cfg, from != INT64_MIN ? "venue_sim.from" : "venue_sim.to",
                        "no data in %s..%s; %s", fs, tt[0] ? tt : "(end)", span);
    }
    return 0;
}

/* The file at key (a string, "" = none) can be opened for reading. */
static int
s_readable(cfg_t *cfg, const char *key)
{
    const char *path;
    if (cfg_str(cfg, key, "", &path) != 0) {
        return -1;
    }
    if (!path[0]) {
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        return cfg_fail(cfg, key, "cannot open %s: %s", path, strerror(errno));
    }
    fclose(f);
    return 0;
}

int
venuesim_config_check(cfg_t *cfg, const char *instance)
{
    assert(cfg && instance);
    const char *mode;
    venuesim_config_t *c = calloc(1, sizeof *c);
    int rc = -1;
    if (!c) {
        return cfg_fail(cfg, "venue_sim", "out of memory");
    }
    if (cfg_check_instance(cfg, instance) != 0 || cfg_str(cfg, "mode", "replay", &mode) != 0
        || venuesim_config_read(cfg, strcmp(mode, "live") != 0, NULL, -1, c) != 0) {
        goto done;
    }
    for (size_t i = 0; i < sizeof k_files / sizeof k_files[0]; i++) {
        if (s_readable(cfg, k_files[i].key) != 0) {
            goto done;
        }
    }
    for (size_t i = 0; i < 2; i++) {
        if (s_readable(cfg, k_inst_keys[i]) != 0) {
            goto done;
        }
    }
    int n = cfg_array_len(cfg, "venue_sim.binance_kline_csv");
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "venue_sim.binance_kline_csv[%d]", i);
        if (s_readable(cfg, key) != 0) {
            goto done;
        }
    }
    rc = 0;
done:
    free(c);
    return rc;
}
