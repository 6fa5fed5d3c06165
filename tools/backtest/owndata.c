/*  owndata.c - backtest --data/--symbol/--from/--to/--skip-bad (see owndata.h). */
#include "tools/backtest/owndata.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "common/instr.h"
#include "feed/exinfo.h"
#include "tools/venue-sim/config.h"
#include "tools/venue-sim/klines.h"
#include "tools/venue-sim/unzip.h"

#define K_SCAN_LINES 200 /* lines looked at to tell a category from the content */

typedef enum {
    F_KLINES = 0,
    F_BYBIT_LINEAR,
    F_BYBIT_SPOT,
    F_BINANCE_USDM,
    F_BINANCE_SPOT,
    F_COUNT
} s_fmt_t;

static const char *const k_fmt_key[F_COUNT] = {
    "venue_sim.binance_kline_csv", "venue_sim.bybit_linear_frames", "venue_sim.bybit_spot_frames",
    "venue_sim.binance_usdm_file", "venue_sim.binance_spot_file"
};
static const char *const k_fmt_name[F_COUNT] = { "a Binance kline CSV", "Bybit v5 linear frames",
                                                 "Bybit v5 spot frames",
                                                 "Binance USD-M combined streams",
                                                 "Binance spot combined streams" };

/* The bundled exchange info of the Binance categories (data/PROVENANCE.md section 7). */
static const char k_exinfo_spot[] = "data/binance/exchangeinfo_spot_20240908.json";
static const char k_exinfo_usdm[] = "data/binance/exchangeinfo_usdm_20250306.json";

static int s_err(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
s_err(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    errno = EINVAL;
    return -1;
}

int
owndata_arg(owndata_t *self, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char **one = strcmp(a, "--symbol") == 0 ? &self->symbol
                       : strcmp(a, "--from") == 0 ? &self->from
                       : strcmp(a, "--to") == 0   ? &self->to
                                                  : NULL;
    if (strcmp(a, "--skip-bad") == 0) {
        self->skip_bad = true;
        return 1;
    }
    if (one) {
        if (*i + 1 >= argc) {
            fprintf(stderr, "backtest: %s needs a value\n", a);
            return -1;
        }
        *one = argv[++*i];
        return 1;
    }
    if (strcmp(a, "--data") != 0) {
        return 0;
    }
    int n = 0;
    while (*i + 1 < argc && argv[*i + 1][0] != '-') {
        if (self->n_data == OWNDATA_MAX_PATHS) {
            fprintf(stderr, "backtest: --data: at most %d paths\n", OWNDATA_MAX_PATHS);
            return -1;
        }
        self->data[self->n_data++] = argv[++*i];
        n++;
    }
    if (n == 0) {
        fprintf(stderr, "backtest: --data needs at least one PATH\n");
        return -1;
    }
    return 1;
}

/* ---- files and formats ------------------------------------------------------------------ */

typedef struct {
    char **path;
    s_fmt_t *fmt;
    size_t n, cap;
} s_files_t;

static void
s_files_free(s_files_t *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->path[i]);
    }
    free(f->path);
    free(f->fmt);
    memset(f, 0, sizeof *f);
}

static int
s_files_add(s_files_t *f, const char *path)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        char **p = realloc(f->path, cap * sizeof *p);
        if (p) {
            f->path = p;
        }
        s_fmt_t *q = realloc(f->fmt, cap * sizeof *q);
        if (q) {
            f->fmt = q;
        }
        if (!p || !q) {
            return -1;
        }
        f->cap = cap;
    }
    f->path[f->n] = strdup(path);
    if (!f->path[f->n]) {
        return -1;
    }
    f->n++;
    return 0;
}

static int
s_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A --data path: a regular file, or a directory's regular files (not hidden) by name. */
static int
s_expand(s_files_t *f, const char *path, char *err, size_t cap)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return s_err(err, cap, "--data %s: cannot open: %s", path, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        if (access(path, R_OK) != 0) {
            return s_err(err, cap, "--data %s: cannot open: %s", path, strerror(errno));
        }
        return s_files_add(f, path) == 0 ? 0 : s_err(err, cap, "out of memory");
    }
    DIR *d = opendir(path);
    if (!d) {
        return s_err(err, cap, "--data %s: cannot open: %s", path, strerror(errno));
    }
    size_t first = f->n;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char full[PATH_MAX];
        size_t nl = strlen(e->d_name);
        if (e->d_name[0] == '.' || (nl > 9 && strcmp(e->d_name + nl - 9, ".CHECKSUM") == 0)) {
            continue; /* hidden, or data.binance.vision's checksum next to each .zip */
        }
        snprintf(full, sizeof full, "%s/%s", path, e->d_name);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && s_files_add(f, full) != 0) {
            rc = s_err(err, cap, "out of memory");
        }
    }
    closedir(d);
    if (rc == 0 && f->n == first) {
        return s_err(err, cap, "--data %s: the directory holds no files", path);
    }
    qsort(f->path + first, f->n - first, sizeof *f->path, s_name_cmp);
    return rc;
}

static const char *
s_base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static bool
s_name_has(const char *path, const char *word)
{
    char lower[256];
    const char *b = s_base(path);
    size_t i;
    for (i = 0; b[i] && i + 1 < sizeof lower; i++) {
        lower[i] = (char)tolower((unsigned char)b[i]);
    }
    lower[i] = '\0';
    return strstr(lower, word) != NULL;
}

/* `line` for a message: at most 60 characters, unprintable ones as '?', "..." if cut. */
static void
s_quote(char *out, size_t cap, const char *line)
{
    size_t n = 0;
    for (size_t i = 0; line[i] && n + 4 < cap && i < 60; i++) {
        out[n++] = isprint((unsigned char)line[i]) ? line[i] : '?';
    }
    if (strlen(line) > 60 && n + 4 < cap) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

/* Binance gzip recording: "<digits> {json}" lines. Spot or USD-M: the name, else the depth
 * updates ("pu" is USD-M only). */
static int
s_detect_gz(const char *path, s_fmt_t *fmt, char *err, size_t cap)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        return s_err(err, cap, "--data %s: cannot open: %s", path,
                     strerror(errno ? errno : ENOMEM));
    }
    char line[65536];
    int usdm = -1, n = 0;
    bool first = true;
    int rc = 0;
    while (n < K_SCAN_LINES && gzgets(gz, line, sizeof line)) {
        if (line[0] == '\n' || line[0] == '\r') {
            continue;
        }
        n++;
        if (first) {
            first = false;
            size_t d = strspn(line, "0123456789");
            if (d == 0 || line[d] != ' ' || line[d + 1] != '{') {
                char q[80];
                line[strcspn(line, "\r\n")] = '\0';
                s_quote(q, sizeof q, line);
                rc = s_err(err, cap,
                           "--data %s: unreadable format: a gzip file whose first line is not "
                           "'<ns> <json>' (a Binance combined-stream recording): \"%s\"",
                           path, q);
                break;
            }
        }
        if (strstr(line, "\"e\":\"depthUpdate\"")) {
            usdm = strstr(line, "\"pu\":") != NULL;
            break;
        }
    }
    if (rc == 0 && first) {
        rc = s_err(err, cap, "--data %s: no data rows (empty after decompression)", path);
    }
    gzclose(gz);
    if (rc != 0) {
        return rc;
    }
    if (s_name_has(path, "spot")) {
        *fmt = F_BINANCE_SPOT;
    } else if (s_name_has(path, "usdm") || s_name_has(path, "futures") || usdm == 1) {
        *fmt = F_BINANCE_USDM;
    } else if (usdm == 0) {
        *fmt = F_BINANCE_SPOT;
    } else {
        return s_err(err, cap,
                     "--data %s: a Binance recording without depth updates: say \"spot\" or "
                     "\"usdm\" in its name",
                     path);
    }
    return 0;
}

/* Text: Bybit v5 JSON lines, or a Binance kline CSV (also the first member of a zip). */
static int
s_detect_text(const char *path, bool zip, s_fmt_t *fmt, char *err, size_t cap)
{
    char member[256];
    FILE *fp = unzip_open(path, member, sizeof member);
    if (!fp) {
        if (zip) {
            return s_err(err, cap,
                         "--data %s: a zip archive we cannot read (%s): unzip it and give the "
                         ".csv",
                         path, strerror(errno));
        }
        return s_err(err, cap, "--data %s: cannot open: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int rc = 1, n = 0;
    bool json = false, funding = false, tickers = false;
    while (rc != 0 && (len = getline(&line, &lcap, fp)) >= 0 && n < K_SCAN_LINES) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        if (n++ == 0) {
            char frame[KLINES_FRAME_MAX];
            size_t flen;
            int64_t e;
            size_t commas = 0;
            for (ssize_t k = 0; k < len; k++) {
                commas += line[k] == ',';
            }
            if (line[0] == '{') {
                json_t *j = json_loads(line, 0, NULL);
                json = j && (json_object_get(j, "topic") || json_object_get(j, "op"));
                json_decref(j);
            }
            if (zip && json) {
                rc = s_err(err, cap,
                           "--data %s: a zip archive of %s, not of a kline CSV: unzip it and "
                           "give the file",
                           path, member);
                break;
            }
            if (!json) {
                if (klines_is_header(line, (size_t)len)
                    || (isdigit((unsigned char)line[0]) && commas >= 8 && commas <= 14)
                    || klines_frame(line, (size_t)len, "BTCUSDT", frame, sizeof frame, &flen, &e)
                           == 0) {
                    /* a first row of about 12 columns: a kline CSV; if it is a bad row the
                     * loader names it (file:1: why) */
                    *fmt = F_KLINES;
                    rc = 0;
                } else {
                    char q[80];
                    s_quote(q, sizeof q, line);
                    rc = s_err(err, cap,
                               "--data %s: unreadable format: not a Binance kline CSV (or its "
                               ".zip), Bybit v5 JSON lines or a Binance combined-stream .gz "
                               "(first line%s%s: \"%s\")",
                               path, zip ? " of " : "", zip ? member : "", q);
                }
                break;
            }
        }
        if (strstr(line, "\"topic\":\"tickers.")) {
            tickers = true;
            funding = funding || strstr(line, "\"fundingRate\"");
        }
    }
    if (rc == 1 && n == 0) {
        rc = s_err(err, cap, "--data %s: no data rows (the file is empty)", path);
    } else if (rc == 1) {
        rc = 0;
        *fmt = s_name_has(path, "spot")                            ? F_BYBIT_SPOT
               : s_name_has(path, "linear") || funding || !tickers ? F_BYBIT_LINEAR
                                                                   : F_BYBIT_SPOT;
    }
    free(line);
    fclose(fp);
    return rc;
}

static int
s_detect(const char *path, s_fmt_t *fmt, char *err, size_t cap)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        return s_err(err, cap, "--data %s: cannot open: %s", path, strerror(errno));
    }
    unsigned char m[4] = { 0 };
    size_t got = fread(m, 1, sizeof m, fp);
    fclose(fp);
    if (got == 0) {
        return s_err(err, cap, "--data %s: no data rows (the file is empty)", path);
    }
    if (got >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
        return s_detect_gz(path, fmt, err, cap);
    }
    return s_detect_text(path, got == 4 && memcmp(m, "PK\x03\x04", 4) == 0, fmt, err, cap);
}

/* "ETHUSDT" of data.binance.vision's "ETHUSDT-1m-2025-11-03.csv" (or "-2025-11.csv"), into
 * out[cap]; false if the name is not of that form. */
static bool
s_name_symbol(const char *path, char *out, size_t cap)
{
    const char *b = s_base(path);
    const char *dash = strchr(b, '-');
    if (!dash || dash == b || (size_t)(dash - b) >= cap) {
        return false;
    }
    for (const char *c = b; c < dash; c++) {
        if (!isupper((unsigned char)*c) && !isdigit((unsigned char)*c)) {
            return false;
        }
    }
    const char *iv = dash + 1, *d2 = strchr(iv, '-');
    if (!d2 || !isdigit((unsigned char)iv[0]) || !isdigit((unsigned char)d2[1])) {
        return false;
    }
    memcpy(out, b, (size_t)(dash - b));
    out[dash - b] = '\0';
    return true;
}

/* ---- symbol ------------------------------------------------------------------------------ */

/* A bundled file: relative to the working directory (as the config's data paths), else to
 * the executable (build/bin/../../data/...). Into out[cap]; false if neither is readable. */
static bool
s_bundled(const char *rel, char *out, size_t cap)
{
    if (access(rel, R_OK) == 0) {
        snprintf(out, cap, "%s", rel);
        return true;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        return false;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) {
        return false;
    }
    *slash = '\0';
    int w = snprintf(out, cap, "%s/../../%s", exe, rel);
    return w > 0 && (size_t)w < cap && access(out, R_OK) == 0;
}

typedef struct {
    const char *symbol;
    bool found;
} s_find_t;

static void
s_on_instr(const instr_t *in, void *arg)
{
    s_find_t *f = arg;
    f->found = f->found || strcmp(in->symbol, f->symbol) == 0;
}

/* Is `symbol` listed in the exchange-info (binance) or instruments-info (bybit) body at
 * path? -1 if the file cannot be read or parsed. */
static int
s_listed(const char *path, bool binance, const char *symbol)
{
    size_t len;
    char *body = exinfo_read(path, &len);
    if (!body) {
        return -1;
    }
    s_find_t f = { symbol, false };
    int n = binance ? exinfo_parse_binance(body, len, "v", "c", s_on_instr, &f)
                    : instr_parse_bybit(body, len, "v", s_on_instr, &f);
    free(body);
    return n < 0 ? -1 : f.found;
}

/* feed.instruments has rules for (venue, symbol) */
static bool
s_config_rules(cfg_t *cfg, const char *venue, const char *symbol)
{
    int n = cfg_array_len(cfg, "feed.instruments");
    for (int i = 0; i < n; i++) {
        char key[64];
        const char *v, *s;
        snprintf(key, sizeof key, "feed.instruments[%d].venue", i);
        if (cfg_str(cfg, key, "", &v) != 0) {
            continue;
        }
        char vv[INSTR_VENUE_MAX];
        snprintf(vv, sizeof vv, "%s", v);
        snprintf(key, sizeof key, "feed.instruments[%d].symbol", i);
        if (cfg_str(cfg, key, "", &s) == 0 && strcmp(vv, venue) == 0 && strcmp(s, symbol) == 0) {
            return true;
        }
    }
    return false;
}

/* Every "symbol" member (a string) under `j`, at path `at`, into paths (a JSON array). */
static void
s_symbol_paths(const json_t *j, const char *at, json_t *paths)
{
    char p[256];
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v)
        {
            snprintf(p, sizeof p, "%s.%s", at, k);
            if (strcmp(k, "symbol") == 0 && json_is_string(v)) {
                json_array_append_new(paths, json_string(p));
            } else {
                s_symbol_paths(v, p, paths);
            }
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v)
        {
            snprintf(p, sizeof p, "%s[%zu]", at, i);
            s_symbol_paths(v, p, paths);
        }
    }
}

/* --symbol S: the kline symbol, every signal "symbol", connections of one symbol; then each
 * connection trading S must have rules for it. */
static int
s_apply_symbol(cfg_t *cfg, const char *sym_arg, char *err, size_t cap)
{
    char sym[INSTR_SYM_MAX], origin[64];
    size_t n = strlen(sym_arg);
    if (n == 0 || n >= sizeof sym) {
        return s_err(err, cap, "--symbol %s: expected 1..%d letters and digits", sym_arg,
                     INSTR_SYM_MAX - 1);
    }
    for (size_t i = 0; i <= n; i++) {
        if (sym_arg[i] && !isalnum((unsigned char)sym_arg[i])) {
            return s_err(err, cap, "--symbol %s: expected letters and digits", sym_arg);
        }
        sym[i] = (char)toupper((unsigned char)sym_arg[i]);
    }
    snprintf(origin, sizeof origin, "--symbol %s", sym);
    if (cfg_has(cfg, "venue_sim")
        && cfg_put(cfg, "venue_sim.binance_kline_symbol", json_string(sym), origin) != 0) {
        return s_err(err, cap, "%s", cfg_error(cfg));
    }
    json_t *paths = json_array();
    if (!paths) {
        return s_err(err, cap, "out of memory");
    }
    /* every rule scoped to one symbol: strategies, their members, series; and any risk or
     * executor rule that names one (feed.instruments is a table of rules by symbol: kept) */
    static const char *const k_sections[] = { "signal", "risk", "executor" };
    for (size_t k = 0; k < sizeof k_sections / sizeof k_sections[0]; k++) {
        s_symbol_paths(cfg_json(cfg, k_sections[k]), k_sections[k], paths);
    }
    size_t i;
    json_t *v;
    json_array_foreach(paths, i, v)
    {
        if (cfg_put(cfg, json_string_value(v), json_string(sym), origin) != 0) {
            json_decref(paths);
            return s_err(err, cap, "%s", cfg_error(cfg));
        }
    }
    json_decref(paths);
    int nc = cfg_array_len(cfg, "feed.connections");
    for (int c = 0; c < nc; c++) {
        char key[96], venue[64], proto[16], file[PATH_MAX];
        const char *s;
        bool spot;
        snprintf(key, sizeof key, "feed.connections[%d].symbols", c);
        int ns = cfg_array_len(cfg, key);
        if (ns == 1) {
            json_t *one = json_pack("[s]", sym);
            if (cfg_put(cfg, key, one, origin) != 0) {
                return s_err(err, cap, "%s", cfg_error(cfg));
            }
        }
        bool has = false;
        for (int y = 0; y < ns && !has; y++) {
            snprintf(key, sizeof key, "feed.connections[%d].symbols[%d]", c, y);
            has = cfg_str(cfg, key, "", &s) == 0 && strcmp(s, sym) == 0;
        }
        if (!has) {
            continue; /* a list of several symbols stays as it is */
        }
        snprintf(key, sizeof key, "feed.connections[%d].venue", c);
        if (cfg_str(cfg, key, "", &s) != 0) {
            return s_err(err, cap, "%s", cfg_error(cfg));
        }
        snprintf(venue, sizeof venue, "%s", s);
        snprintf(key, sizeof key, "feed.connections[%d].protocol", c);
        if (cfg_str(cfg, key, "", &s) != 0) {
            return s_err(err, cap, "%s", cfg_error(cfg));
        }
        snprintf(proto, sizeof proto, "%s", s);
        snprintf(key, sizeof key, "feed.connections[%d].spot", c);
        if (cfg_bool(cfg, key, strstr(venue, "spot") != NULL, &spot) != 0) {
            return s_err(err, cap, "%s", cfg_error(cfg));
        }
        if (strcmp(proto, "binance") == 0) {
            snprintf(key, sizeof key, "feed.connections[%d].exchange_info", c);
            const char *given = "";
            if (cfg_str(cfg, key, "", &given) != 0) {
                return s_err(err, cap, "%s", cfg_error(cfg));
            }
            bool have = given[0]
                            ? (snprintf(file, sizeof file, "%s", given), true)
                            : s_bundled(spot ? k_exinfo_spot : k_exinfo_usdm, file, sizeof file);
            int listed = have ? s_listed(file, true, sym) : 0;
            if (listed == 1) {
                if (!given[0] && cfg_put(cfg, key, json_string(file), origin) != 0) {
                    return s_err(err, cap, "%s", cfg_error(cfg));
                }
            } else if (!s_config_rules(cfg, venue, sym)) {
                return s_err(err, cap,
                             "--symbol %s: unknown symbol: %s lists no %s %s and feed.instruments "
                             "has no rules for it",
                             sym, have ? file : "no exchange info is bundled",
                             spot ? "spot" : "USD-M", sym);
            }
        } else {
            const char *cat = "linear";
            snprintf(key, sizeof key, "feed.connections[%d].category", c);
            if (cfg_str(cfg, key, spot ? "spot" : "linear", &cat) != 0) {
                return s_err(err, cap, "%s", cfg_error(cfg));
            }
            snprintf(key, sizeof key, "venue_sim.bybit_instruments_%s",
                     strcmp(cat, "spot") == 0 ? "spot" : "linear");
            const char *path = "";
            if (cfg_str(cfg, key, "", &path) != 0) {
                return s_err(err, cap, "%s", cfg_error(cfg));
            }
            snprintf(file, sizeof file, "%s", path);
            int listed = file[0] ? s_listed(file, false, sym) : 0;
            if (listed != 1 && !s_config_rules(cfg, venue, sym)) {
                return s_err(err, cap,
                             "--symbol %s: unknown symbol: %s lists no %s %s (%s) and "
                             "feed.instruments has no rules for it",
                             sym, file[0] ? file : key, venue, sym, key);
            }
        }
    }
    return 0;
}

/* ---- apply ------------------------------------------------------------------------------- */

static int
s_apply_data(const owndata_t *self, cfg_t *cfg, char *err, size_t cap)
{
    s_files_t f = { 0 };
    int rc = 0;
    for (size_t i = 0; i < self->n_data && rc == 0; i++) {
        rc = s_expand(&f, self->data[i], err, cap);
    }
    for (size_t i = 0; i < f.n && rc == 0; i++) {
        rc = s_detect(f.path[i], &f.fmt[i], err, cap);
    }
    /* the kline CSVs' symbol from data.binance.vision's names, against --symbol or the config */
    const char *want = self->symbol;
    const char *cfg_sym = "BTCUSDT";
    if (rc == 0 && !want
        && cfg_str(cfg, "venue_sim.binance_kline_symbol", "BTCUSDT", &cfg_sym) != 0) {
        rc = s_err(err, cap, "%s", cfg_error(cfg));
    }
    char named[INSTR_SYM_MAX] = "", first_named[PATH_MAX] = "", cfgs[INSTR_SYM_MAX];
    snprintf(cfgs, sizeof cfgs, "%s", want ? want : cfg_sym);
    for (size_t i = 0; i < sizeof cfgs && cfgs[i]; i++) {
        cfgs[i] = (char)toupper((unsigned char)cfgs[i]);
    }
    for (size_t i = 0; i < f.n && rc == 0; i++) {
        char s[INSTR_SYM_MAX];
        if (f.fmt[i] != F_KLINES || !s_name_symbol(f.path[i], s, sizeof s)) {
            continue;
        }
        if (named[0] && strcmp(named, s) != 0) {
            rc = s_err(err, cap, "--data: %s holds %s klines, %s holds %s: one symbol per run",
                       first_named, named, f.path[i], s);
        } else if (strcmp(s, cfgs) != 0) {
            rc = want ? s_err(err, cap, "--data %s: its name says %s klines, --symbol is %s",
                              f.path[i], s, cfgs)
                      : s_err(err, cap,
                              "--data %s: its name says %s klines; the config trades %s: add "
                              "--symbol %s",
                              f.path[i], s, cfgs, s);
        }
        snprintf(named, sizeof named, "%s", s);
        if (!first_named[0]) {
            snprintf(first_named, sizeof first_named, "%s", f.path[i]);
        }
    }
    /* route: the kline CSVs into one array, the other keys one file each */
    json_t *csv = json_array();
    const char *one[F_COUNT] = { 0 };
    char origin[PATH_MAX + 16];
    for (size_t i = 0; i < f.n && rc == 0; i++) {
        if (f.fmt[i] == F_KLINES) {
            json_array_append_new(csv, json_string(f.path[i]));
        } else if (one[f.fmt[i]]) {
            rc = s_err(err, cap, "--data: %s and %s are both %s: %s takes one file", one[f.fmt[i]],
                       f.path[i], k_fmt_name[f.fmt[i]], k_fmt_key[f.fmt[i]]);
        } else {
            one[f.fmt[i]] = f.path[i];
        }
    }
    if (rc == 0 && !cfg_has(cfg, "venue_sim")) {
        rc = s_err(err, cap, "--data: %s has no venue_sim section to put the data in",
                   cfg_file(cfg));
    }
    if (rc == 0 && json_array_size(csv) > 0) {
        snprintf(origin, sizeof origin, "--data %s%s",
                 (const char *)json_string_value(json_array_get(csv, 0)),
                 json_array_size(csv) > 1 ? " ..." : "");
        rc = cfg_put(cfg, k_fmt_key[F_KLINES], json_incref(csv), origin) == 0
                 ? 0
                 : s_err(err, cap, "%s", cfg_error(cfg));
    }
    for (int k = F_BYBIT_LINEAR; k < F_COUNT && rc == 0; k++) {
        if (one[k]) {
            snprintf(origin, sizeof origin, "--data %s", one[k]);
            if (cfg_put(cfg, k_fmt_key[k], json_string(one[k]), origin) != 0) {
                rc = s_err(err, cap, "%s", cfg_error(cfg));
            }
        }
    }
    json_decref(csv);
    s_files_free(&f);
    return rc;
}

/* --symbol without --data: the config's kline CSVs must not be named for another symbol
 * (BTCUSDT's prices replayed as ETHUSDT's). */
static int
s_config_names(cfg_t *cfg, const char *sym_arg, char *err, size_t cap)
{
    char want[INSTR_SYM_MAX];
    size_t i;
    for (i = 0; sym_arg[i] && i + 1 < sizeof want; i++) {
        want[i] = (char)toupper((unsigned char)sym_arg[i]);
    }
    want[i] = '\0';
    int n = cfg_array_len(cfg, "venue_sim.binance_kline_csv");
    for (int k = 0; k < n; k++) {
        char key[64], named[INSTR_SYM_MAX];
        const char *path;
        snprintf(key, sizeof key, "venue_sim.binance_kline_csv[%d]", k);
        if (cfg_str(cfg, key, "", &path) == 0 && s_name_symbol(path, named, sizeof named)
            && strcmp(named, want) != 0) {
            return s_err(err, cap,
                         "--symbol %s: %s:%d: %s: %s's name says %s klines: give %s's files "
                         "with --data",
                         want, cfg_file(cfg), cfg_line(cfg, key), key, path, named, want);
        }
    }
    return 0;
}

int
owndata_apply(const owndata_t *self, cfg_t *cfg, char *err, size_t cap)
{
    if (self->n_data > 0 && s_apply_data(self, cfg, err, cap) != 0) {
        return -1;
    }
    if (self->symbol && s_apply_symbol(cfg, self->symbol, err, cap) != 0) {
        return -1;
    }
    if (self->symbol && self->n_data == 0 && s_config_names(cfg, self->symbol, err, cap) != 0) {
        return -1;
    }
    int64_t from = INT64_MIN, to = INT64_MAX;
    if (self->from && venuesim_parse_time(self->from, false, &from) != 0) {
        return s_err(err, cap,
                     "--from %s: expected a UTC date YYYY-MM-DD or date-time "
                     "YYYY-MM-DDTHH:MM[:SS[.mmm]][Z]",
                     self->from);
    }
    if (self->to && venuesim_parse_time(self->to, true, &to) != 0) {
        return s_err(err, cap,
                     "--to %s: expected a UTC date YYYY-MM-DD or date-time "
                     "YYYY-MM-DDTHH:MM[:SS[.mmm]][Z]",
                     self->to);
    }
    if (from >= to) {
        return s_err(err, cap, "--from %s --to %s: the range is empty (--to is not after --from)",
                     self->from, self->to);
    }
    if ((self->from || self->to || self->skip_bad) && !cfg_has(cfg, "venue_sim")) {
        return s_err(err, cap, "%s has no venue_sim section", cfg_file(cfg));
    }
    const char *keys[2] = { "venue_sim.from", "venue_sim.to" };
    const char *vals[2] = { self->from, self->to };
    const char *opts[2] = { "--from", "--to" };
    for (int i = 0; i < 2; i++) {
        char origin[96];
        snprintf(origin, sizeof origin, "%s %s", opts[i], vals[i] ? vals[i] : "");
        if (vals[i] && cfg_put(cfg, keys[i], json_string(vals[i]), origin) != 0) {
            return s_err(err, cap, "%s", cfg_error(cfg));
        }
    }
    if (self->skip_bad && cfg_put(cfg, "venue_sim.skip_bad", json_true(), "--skip-bad") != 0) {
        return s_err(err, cap, "%s", cfg_error(cfg));
    }
    return 0;
}

/* ---- after the load ---------------------------------------------------------------------- */

/* Was file record f loaded from one of the --data paths (a path given, or under a directory
 * given)? */
static bool
s_given(const owndata_t *self, const source_file_t *f)
{
    for (size_t i = 0; i < self->n_data; i++) {
        size_t n = strlen(self->data[i]);
        if (strncmp(f->path, self->data[i], n) == 0 && (f->path[n] == '\0' || f->path[n] == '/')) {
            return true;
        }
    }
    return false;
}

int
owndata_check(const owndata_t *self, const source_t *src, char *err, size_t cap)
{
    uint64_t frames = 0, kept = 0, bad = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < source_files(src); i++) {
        const source_file_t *f = source_file(src, i);
        if (self->n_data > 0 && !s_given(self, f)) {
            continue;
        }
        if (self->n_data > 0 && f->frames == 0 && f->bad == 0) {
            return s_err(err, cap, "--data %s: no data rows in it", f->path);
        }
        frames += f->frames;
        kept += f->kept;
        bad += f->bad;
        if (f->frames > 0) {
            lo = f->first_ms < lo ? f->first_ms : lo;
            hi = f->last_ms > hi ? f->last_ms : hi;
        }
    }
    if (kept > 0) {
        return 0;
    }
    char c[40], d[40];
    if (frames == 0 && bad > 0) {
        return s_err(err, cap, "no data: all %llu rows of the %sfiles were skipped as bad",
                     (unsigned long long)bad, self->n_data ? "--data " : "");
    }
    if (frames == 0) {
        return s_err(err, cap, "no data: %s",
                     self->n_data ? "the --data files hold no rows"
                                  : "the config's data files hold no frames");
    }
    return s_err(err, cap, "no data in %s..%s; the %sfiles span %s..%s",
                 self->from ? self->from : "(start)", self->to ? self->to : "(end)",
                 self->n_data ? "--data " : "", venuesim_fmt_time(lo, c, sizeof c),
                 venuesim_fmt_time(hi, d, sizeof d));
}

void
owndata_print(const owndata_t *self, const source_t *src, FILE *out)
{
    uint64_t bars = 0, bad = 0, bad_files = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    (void)self;
    for (size_t i = 0; i < source_files(src); i++) {
        const source_file_t *f = source_file(src, i);
        bad += f->bad;
        bad_files += f->bad > 0;
        if (f->klines) {
            bars += f->kept;
        }
    }
    for (size_t i = 0; i < source_count(src); i++) {
        const source_frame_t *fr = source_frame(src, i);
        const char *k = source_key_name(src, fr->key);
        size_t kl = strlen(k);
        if (kl > 9 && strcmp(k + kl - 9, "@kline_1m") == 0) {
            lo = fr->ts_ms - 60000 < lo ? fr->ts_ms - 60000 : lo;
            hi = fr->ts_ms > hi ? fr->ts_ms : hi;
        }
    }
    int64_t klo, khi; /* the kline CSVs' bars, loaded or streamed */
    if (source_kline_span(src, &klo, &khi)) {
        lo = klo < lo ? klo : lo;
        hi = khi > hi ? khi : hi;
    }
    char a[40], b[40];
    if (bars > 0 && lo <= hi) {
        fprintf(out, "  klines       %llu one-minute bars, %s .. %s\n", (unsigned long long)bars,
                venuesim_fmt_time(lo, a, sizeof a), venuesim_fmt_time(hi, b, sizeof b));
        const source_gaps_t *g = source_gaps(src);
        if (g->gaps == 0) {
            fprintf(out, "  gaps         0 (no minute missing)\n");
        } else {
            fprintf(
                out,
                "  gaps         %llu (%llu minute%s missing), longest %s .. %s (%llu minute%s)\n",
                (unsigned long long)g->gaps, (unsigned long long)g->missing_min,
                g->missing_min == 1 ? "" : "s", venuesim_fmt_time(g->longest_from_ms, a, sizeof a),
                venuesim_fmt_time(g->longest_to_ms, b, sizeof b),
                (unsigned long long)g->longest_min, g->longest_min == 1 ? "" : "s");
        }
    }
    if (bad > 0 || self->skip_bad) {
        fprintf(out, "  bad rows     %llu skipped (in %llu file%s; logged on stderr)\n",
                (unsigned long long)bad, (unsigned long long)bad_files, bad_files == 1 ? "" : "s");
    }
}
