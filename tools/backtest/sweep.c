/*  sweep.c - parameter sweeps, job lists, merges and walk-forward over the backtest (sweep.h).
 *
 *  A combination is one value of every --grid key (the first key varies slowest). Each one
 *  is checked before anything runs: a fresh copy of the config takes the fixed --set
 *  overrides, then the combination's, through cfg_set (the key must be in the file, the value
 *  of its kind), then the stages' own readers (check-config's check_config). A worker is this
 *  same executable (fork + execv; PR_SET_PDEATHSIG sends it SIGTERM if the sweep dies) run as
 *      backtest -c CONFIG -l LEVEL --db TMP/job-0001.db --result TMP/job-0001.json
 *               [--set FIXED]... --set KEY=VALUE... [OTHER OPTIONS] [--from T --to T]
 *  with stdout to /dev/null and stderr to TMP/job-0001.err (its tail is shown when it fails).
 *  At most -j workers run at once; the loop polls waitpid every 50 ms and redraws the progress
 *  line (stderr, only when it is a terminal).
 *  Walk-forward: the span (--from/--to, else the span of the config's kline files) is cut
 *  into windows: train [s, s+train), test [s+train, s+train+test), s += test, while the test
 *  window ends inside the span. Every window's training grid runs first (one pool), then each
 *  window's best combination (by --rank) on its test window; only the test runs are reported.
 */
#include "tools/backtest/sweep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/money.h"
#include "tools/backtest/result.h"
#include "tools/check-config/check.h"
#include "tools/venue-sim/source.h"

#define S_MAX_KEYS   16
#define S_MAX_VALUES 1000
#define S_MAX_COMBOS 100000
#define S_MAX_SETS   64
#define S_MAX_PASS   256
#define S_CHECK_ALL  64
#define S_DAY_MS     INT64_C(86400000)

/* One --grid key and its values (the texts handed to cfg_set: a value of a string key is
 * JSON-quoted so "0.5" stays a string). */
typedef struct {
    char key[RESULT_TEXT_MAX];
    char **values; /* as given, for people */
    char **texts;  /* for cfg_set / --set */
    size_t n;
    json_t *base; /* the value in the file (a copy) */
} s_axis_t;

/* One worker run. */
typedef struct {
    char name[64];         /* "job-0001", "w01-train-0001", "w01-test" */
    size_t combo;          /* combination index */
    char from[40], to[40]; /* "" = whole data */
    char db[4200], res[1200], err[1200];
    pid_t pid;
    int64_t t0_ns; /* monotonic start */
    int status;    /* 0 ok, else the exit code / 128 + signal */
    bool done;
} s_job_t;

typedef struct {
    const char *cfg_path;
    char cfg_abs[PATH_MAX];
    char exe[PATH_MAX];
    const char *level;
    const char *sets[S_MAX_SETS]; /* fixed overrides, KEY=VALUE */
    int n_sets;
    s_axis_t axes[S_MAX_KEYS];
    size_t n_axes;
    size_t n_combos;
    int jobs;
    result_metric_t rank;
    const char *out;
    const char *keep_db;
    const char *print_jobs;
    const char *wf;
    const char *from, *to;
    const char *pass[S_MAX_PASS]; /* other options, handed to the workers as given */
    int n_pass;
    char tmp[1024];
    bool progress;
} s_sweep_t;

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
    s_stop = sig;
}

/* ---- argument helpers -------------------------------------------------------------------- */

bool
sweep_wanted(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--grid") == 0 || strcmp(argv[i], "--walk-forward") == 0
            || strcmp(argv[i], "--print-jobs") == 0 || strcmp(argv[i], "--merge") == 0) {
            return true;
        }
    }
    return false;
}

static char *
s_strdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fprintf(stderr, "backtest: out of memory\n");
        exit(1);
    }
    return d;
}

/* The text cfg_set gets for value v of a key whose current value is `old`: a string key takes
 * the value literally (JSON-quoted unless it already is a JSON string). Malloc'd. */
static char *
s_set_text(json_t *old, const char *v)
{
    if (!json_is_string(old)) {
        return s_strdup(v);
    }
    json_t *p = json_loads(v, JSON_DECODE_ANY, NULL);
    bool is_str = json_is_string(p);
    json_decref(p);
    if (is_str) {
        return s_strdup(v);
    }
    json_t *s = json_string(v);
    char *t = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    json_decref(s);
    if (!t) {
        fprintf(stderr, "backtest: out of memory\n");
        exit(1);
    }
    return t;
}

static void
s_axis_add(s_axis_t *a, const char *v)
{
    char **nv = realloc(a->values, (a->n + 1) * sizeof *nv);
    if (!nv) {
        fprintf(stderr, "backtest: out of memory\n");
        exit(1);
    }
    a->values = nv;
    a->values[a->n++] = s_strdup(v);
}

/* A decimal number at most 8 decimals: its mantissa at scale 8. */
static int
s_decimal(const char *s, size_t len, int64_t *out, int *decimals)
{
    if (len == 0 || money_parse(s, len, 8, out) != 0) {
        return -1;
    }
    *decimals = money_decimals(s, len);
    return *decimals < 0 ? -1 : 0;
}

/* Parse "KEY=V1,V2,..." or "KEY=FROM:TO:STEP" into a. 0, or -1 with the message printed. */
static int
s_parse_grid(const char *spec, s_axis_t *a)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) {
        fprintf(stderr, "backtest: --grid %s: expected KEY=V1,V2,... or KEY=FROM:TO:STEP\n", spec);
        return -1;
    }
    if ((size_t)(eq - spec) >= sizeof a->key) {
        fprintf(stderr, "backtest: --grid %s: key too long\n", spec);
        return -1;
    }
    memset(a, 0, sizeof *a);
    memcpy(a->key, spec, (size_t)(eq - spec));
    const char *v = eq + 1;
    const char *c1 = strchr(v, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c1 && c2 && !strchr(c2 + 1, ':') && !strchr(v, ',')) {
        int64_t from, to, step;
        int d1, d2, d3;
        if (s_decimal(v, (size_t)(c1 - v), &from, &d1) != 0
            || s_decimal(c1 + 1, (size_t)(c2 - c1 - 1), &to, &d2) != 0
            || s_decimal(c2 + 1, strlen(c2 + 1), &step, &d3) != 0 || step <= 0 || from > to) {
            fprintf(stderr,
                    "backtest: --grid %s: expected FROM:TO:STEP, decimals (at most 8 places), "
                    "STEP > 0, FROM <= TO\n",
                    spec);
            return -1;
        }
        int dec = d1 > d3 ? d1 : d3;
        for (int64_t x = from; x <= to; x += step) {
            if (a->n == S_MAX_VALUES) {
                fprintf(stderr, "backtest: --grid %s: more than %d values\n", spec, S_MAX_VALUES);
                return -1;
            }
            char buf[48];
            int64_t m = x / money_pow10(8 - dec); /* exact: x is a multiple of 10^(8-dec) */
            money_fmt(m, dec, buf, sizeof buf);
            s_axis_add(a, buf);
        }
        return 0;
    }
    const char *p = v;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || len >= RESULT_TEXT_MAX) {
            fprintf(stderr, "backtest: --grid %s: an empty or too long value\n", spec);
            return -1;
        }
        if (a->n == S_MAX_VALUES) {
            fprintf(stderr, "backtest: --grid %s: more than %d values\n", spec, S_MAX_VALUES);
            return -1;
        }
        char buf[RESULT_TEXT_MAX];
        memcpy(buf, p, len);
        buf[len] = '\0';
        s_axis_add(a, buf);
        if (!e) {
            break;
        }
        p = e + 1;
    }
    return 0;
}

/* Value index of axis k in combination c (the first axis varies slowest). */
static size_t
s_combo_value(const s_sweep_t *s, size_t c, size_t k)
{
    size_t stride = 1;
    for (size_t j = s->n_axes; j-- > k + 1;) {
        stride *= s->axes[j].n;
    }
    return (c / stride) % s->axes[k].n;
}

typedef struct {
    const s_sweep_t *s;
    size_t combo;
    size_t n;
} s_check_arg_t;

static void
s_quiet(const char *msg, void *arg)
{
    (void)msg;
    (void)arg;
}

static void s_combo_text(const s_sweep_t *s, size_t c, char *buf, size_t cap);

static void
s_check_err(const char *msg, void *arg)
{
    s_check_arg_t *a = arg;
    if (a->n++ == 0) {
        char combo[1024];
        s_combo_text(a->s, a->combo, combo, sizeof combo);
        fprintf(stderr, "backtest: --grid combination %zu (%s) is refused:\n", a->combo + 1, combo);
    }
    fprintf(stderr, "  %s\n", msg);
}

/* Apply combination c's values to cfg (which holds the fixed overrides and maybe another
 * combination's values: every key of the grid is set again), then, when `check`, the stages'
 * own checks (check-config's check_config). 0, or -1 with the message printed. */
static int
s_check_combo(s_sweep_t *s, cfg_t *cfg, size_t c, bool check)
{
    for (size_t k = 0; k < s->n_axes; k++) {
        s_axis_t *a = &s->axes[k];
        size_t v = s_combo_value(s, c, k);
        if (cfg_set(cfg, a->key, a->texts[v]) != 0) {
            const char *m = cfg_error(cfg);
            if (strncmp(m, "--set ", 6) == 0) {
                m += 6;
            }
            /* the message names the key (and the value as cfg_set saw it) */
            fprintf(stderr, "backtest: --grid %s (value %s): %s\n", a->key, a->values[v], m);
            return -1;
        }
        if (json_is_integer(a->base) && !json_is_integer(cfg_json(cfg, a->key))) {
            fprintf(stderr,
                    "backtest: --grid %s (value %s): expected an integer (as in %s:%d), got %s\n",
                    a->key, a->values[v], cfg_file(cfg), cfg_line(cfg, a->key), a->values[v]);
            return -1;
        }
    }
    if (check) {
        s_check_arg_t arg = { s, c, 0 };
        check_result_t res;
        if (check_config(cfg, s_check_err, &arg, &res) > 0) {
            return -1;
        }
    }
    return 0;
}

/* Build every axis's cfg_set texts from the config's current values, then check every
 * combination. 0, or -1 (message printed). */
static int
s_validate(s_sweep_t *s)
{
    char err[512];
    cfg_t *cfg = cfg_load(s->cfg_path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "backtest: %s\n", err);
        return -1;
    }
    for (size_t k = 0; k < s->n_axes; k++) {
        s_axis_t *a = &s->axes[k];
        json_t *old = cfg_json(cfg, a->key);
        if (!old || !a->key[0]) {
            fprintf(stderr, "backtest: --grid %s: no such key in %s\n", a->key, s->cfg_path);
            cfg_destroy(&cfg);
            return -1;
        }
        a->base = json_deep_copy(old);
        a->texts = calloc(a->n, sizeof *a->texts);
        if (!a->texts) {
            fprintf(stderr, "backtest: out of memory\n");
            exit(1);
        }
        for (size_t v = 0; v < a->n; v++) {
            a->texts[v] = s_set_text(old, a->values[v]);
        }
    }
    cfg_destroy(&cfg);
    s->n_combos = 1;
    for (size_t k = 0; k < s->n_axes; k++) {
        if (s->n_combos > S_MAX_COMBOS / s->axes[k].n) {
            fprintf(stderr, "backtest: --grid: more than %d combinations\n", S_MAX_COMBOS);
            return -1;
        }
        s->n_combos *= s->axes[k].n;
    }
    /* one config with the fixed overrides; every combination's values are set on it in turn */
    cfg = cfg_load(s->cfg_path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "backtest: %s\n", err);
        return -1;
    }
    for (int i = 0; i < s->n_sets; i++) {
        char key[RESULT_TEXT_MAX];
        const char *eq = strchr(s->sets[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - s->sets[i]), s->sets[i]);
        if (cfg_set(cfg, key, eq + 1) != 0) {
            fprintf(stderr, "backtest: %s\n", cfg_error(cfg));
            cfg_destroy(&cfg);
            return -1;
        }
    }
    /* the stages' own checks too (about 30 ms each), unless the config without the grid fails
     * them already (then the workers report it, as a single run would): for every combination
     * up to S_CHECK_ALL of them, else for every value of every key (the other keys at their
     * first values); a refusal that only a combination of values meets then comes from its
     * worker (exit 2) */
    check_result_t res;
    bool check = check_config(cfg, s_quiet, NULL, &res) == 0;
    int rc = 0;
    for (size_t c = 0; c < s->n_combos && rc == 0; c++) {
        bool chk = check && s->n_combos <= S_CHECK_ALL;
        if (check && !chk) { /* c is the first combination with one key's value */
            size_t nonzero = 0;
            for (size_t k = 0; k < s->n_axes; k++) {
                nonzero += s_combo_value(s, c, k) != 0;
            }
            chk = nonzero <= 1;
        }
        rc = s_check_combo(s, cfg, c, chk);
    }
    cfg_destroy(&cfg);
    return rc;
}

/* ---- times ------------------------------------------------------------------------------- */

/* "2025-11-01", "2025-11-01T06:00", "2025-11-01T06:00:00[.000][Z]", or ms since the epoch.
 * 0 or -1. */
static int
s_parse_time(const char *s, int64_t *ms)
{
    char *end;
    if (strlen(s) > 10 && strspn(s, "0123456789") == strlen(s)) {
        long long v = strtoll(s, &end, 10);
        *ms = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int msec = 0, n = 0;
    int got = sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n);
    if (got != 3) {
        return -1;
    }
    const char *p = s + n;
    if (*p == 'T' || *p == ' ') {
        int n2 = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &n2) != 2) {
            return -1;
        }
        p += 1 + n2;
        if (*p == ':') {
            int n3 = 0;
            if (sscanf(p + 1, "%2d%n", &tm.tm_sec, &n3) != 1) {
                return -1;
            }
            p += 1 + n3;
            if (*p == '.') {
                int n4 = 0;
                if (sscanf(p + 1, "%3d%n", &msec, &n4) != 1 || n4 != 3) {
                    return -1;
                }
                p += 1 + n4;
            }
        }
        if (*p == 'Z') {
            p++;
        }
    }
    if (*p || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31
        || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
        return -1;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *ms = (int64_t)timegm(&tm) * 1000 + msec;
    return 0;
}

static void
s_fmt_time(int64_t ms, char *buf, size_t cap)
{
    clock_fmt_iso(ms * CLOCK_NS_PER_MS, buf, cap);
}

/* "20d", "12h", "90m" (minutes): ms. 0 or -1. */
static int
s_parse_span(const char *s, size_t len, int64_t *ms)
{
    if (len < 2) {
        return -1;
    }
    int64_t v = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > 100000) {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    int64_t unit;
    switch (s[len - 1]) {
    case 'd':
        unit = S_DAY_MS;
        break;
    case 'h':
        unit = 3600000;
        break;
    case 'm':
        unit = 60000;
        break;
    default:
        return -1;
    }
    *ms = v * unit;
    return v > 0 ? 0 : -1;
}

/* ---- workers ----------------------------------------------------------------------------- */

static void
s_job_paths(const s_sweep_t *s, s_job_t *j)
{
    snprintf(j->res, sizeof j->res, "%s/%s.json", s->tmp, j->name);
    snprintf(j->err, sizeof j->err, "%s/%s.err", s->tmp, j->name);
    snprintf(j->db, sizeof j->db, "%s/%s.db", s->keep_db ? s->keep_db : s->tmp, j->name);
}

/* The worker's argv (pointers into s and j, and into `buf` for the --set texts). Returns
 * argc. `result` NULL = j->res. */
static int
s_job_argv(const s_sweep_t *s, const s_job_t *j, const char *db, const char *result, bool rm_db,
           char *argv[], int max, char buf[][RESULT_TEXT_MAX * 2 + 2])
{
    int n = 0;
    argv[n++] = (char *)s->exe;
    argv[n++] = "-c";
    argv[n++] = (char *)s->cfg_abs;
    if (s->level) {
        argv[n++] = "-l";
        argv[n++] = (char *)s->level;
    }
    if (db) {
        argv[n++] = "--db";
        argv[n++] = (char *)db;
    }
    argv[n++] = "--result";
    argv[n++] = (char *)(result ? result : j->res);
    if (rm_db) {
        argv[n++] = "--rm-db";
    }
    for (int i = 0; i < s->n_sets && n + 2 < max; i++) {
        argv[n++] = "--set";
        argv[n++] = (char *)s->sets[i];
    }
    for (size_t k = 0; k < s->n_axes && n + 2 < max; k++) {
        const s_axis_t *a = &s->axes[k];
        snprintf(buf[k], RESULT_TEXT_MAX * 2 + 2, "%s=%s", a->key,
                 a->texts[s_combo_value(s, j->combo, k)]);
        argv[n++] = "--set";
        argv[n++] = buf[k];
    }
    for (int i = 0; i < s->n_pass && n + 1 < max; i++) {
        argv[n++] = (char *)s->pass[i];
    }
    if (j->from[0] && n + 4 < max) {
        argv[n++] = "--from";
        argv[n++] = (char *)j->from;
        argv[n++] = "--to";
        argv[n++] = (char *)j->to;
    }
    argv[n] = NULL;
    return n;
}

static int
s_spawn(const s_sweep_t *s, s_job_t *j)
{
    char *argv[S_MAX_SETS * 2 + S_MAX_KEYS * 2 + S_MAX_PASS + 20];
    char buf[S_MAX_KEYS][RESULT_TEXT_MAX * 2 + 2];
    s_job_argv(s, j, j->db, NULL, false, argv, (int)(sizeof argv / sizeof argv[0]) - 1, buf);
    /* opened here so that a failure is reported here; the child only dup2s and execs */
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
    int err = open(j->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    pid_t parent = getpid();
    pid_t pid = in >= 0 && out >= 0 && err >= 0 ? fork() : -1;
    if (pid == 0) {
        /* a worker dies with the sweep, even one killed by SIGKILL */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) {
            _exit(127);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
            _exit(127);
        }
        execv(s->exe, argv);
        dprintf(2, "backtest: cannot run %s: %s\n", s->exe, strerror(errno));
        _exit(127);
    }
    int e = errno;
    if (in >= 0) {
        close(in);
    }
    if (out >= 0) {
        close(out);
    }
    if (err >= 0) {
        close(err);
    }
    if (pid < 0) {
        fprintf(stderr, "backtest: cannot start a worker (%s): %s\n", s->exe, strerror(e));
        return -1;
    }
    j->pid = pid;
    j->t0_ns = clock_mono_ns();
    return 0;
}

/* The combination of job j as "key=value key=value". */
static void
s_combo_text(const s_sweep_t *s, size_t c, char *buf, size_t cap)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < s->n_axes && off < cap; k++) {
        off += (size_t)snprintf(buf + off, cap - off, "%s%s=%s", k ? " " : "", s->axes[k].key,
                                s->axes[k].values[s_combo_value(s, c, k)]);
    }
}

static void
s_print_tail(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return;
    }
    char lines[12][512];
    int n = 0;
    while (fgets(lines[n % 12], sizeof lines[0], f)) {
        n++;
    }
    fclose(f);
    for (int i = n > 12 ? n - 12 : 0; i < n; i++) {
        fprintf(stderr, "  | %s", lines[i % 12]);
        size_t l = strlen(lines[i % 12]);
        if (l == 0 || lines[i % 12][l - 1] != '\n') {
            fputc('\n', stderr);
        }
    }
}

static void
s_progress(const s_sweep_t *s, const char *what, size_t done, size_t total, const s_job_t *jobs,
           size_t n_jobs, int64_t bars, int64_t t0, double avg_s)
{
    if (!s->progress) {
        return;
    }
    double el = (double)(clock_mono_ns() - t0) / 1e9;
    double part = (double)done;
    int64_t now = clock_mono_ns();
    for (size_t i = 0; i < n_jobs && avg_s > 0; i++) {
        if (jobs[i].pid > 0 && !jobs[i].done) {
            double f = (double)(now - jobs[i].t0_ns) / 1e9 / avg_s;
            part += f > 0.95 ? 0.95 : f;
        }
    }
    double pct = total ? 100.0 * part / (double)total : 100.0;
    char eta[32] = "?";
    if (part > 0 && done < total) {
        snprintf(eta, sizeof eta, "%.0f s", el * ((double)total - part) / part);
    } else if (done == total) {
        snprintf(eta, sizeof eta, "0 s");
    }
    fprintf(stderr, "\r%s: %zu/%zu runs %5.1f %%  %.0f bars/s  ETA %s   ", what, done, total, pct,
            el > 0 ? (double)bars / el : 0.0, eta);
    fflush(stderr);
}

static void
s_kill_all(s_job_t *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].pid > 0 && !jobs[i].done) {
            kill(jobs[i].pid, SIGTERM);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].pid > 0 && !jobs[i].done) {
            int st;
            while (waitpid(jobs[i].pid, &st, 0) < 0 && errno == EINTR) {
            }
            jobs[i].done = true;
        }
    }
}

/* Run every job (at most s->jobs at once), reading each one's result into rs[i]. Returns 0,
 * 1 (a worker failed: reported), 2 (a worker refused its config), 130 (interrupted). */
static int
s_run_jobs(s_sweep_t *s, const char *what, s_job_t *jobs, size_t n, result_t *rs)
{
    size_t next = 0, done = 0, running = 0;
    int64_t t0 = clock_mono_ns(), bars = 0, last_draw = 0;
    double sum_s = 0;
    int rc = 0;
    while (done < n) {
        if (s_stop) {
            s_kill_all(jobs, n);
            if (s->progress) {
                fputc('\n', stderr);
            }
            fprintf(stderr, "backtest: interrupted (%s): the workers were stopped\n",
                    strsignal(s_stop));
            return 130;
        }
        while (rc == 0 && running < (size_t)s->jobs && next < n) {
            if (s_spawn(s, &jobs[next]) != 0) {
                rc = 1;
                break;
            }
            next++;
            running++;
        }
        if (running == 0) {
            break;
        }
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid < 0 && errno != EINTR) {
            fprintf(stderr, "backtest: waitpid: %s\n", strerror(errno));
            s_kill_all(jobs, n);
            return 1;
        }
        if (pid <= 0) {
            struct timespec ts = { 0, 50 * 1000 * 1000 };
            nanosleep(&ts, NULL);
            int64_t now = clock_mono_ns();
            if (now - last_draw > 250 * 1000 * 1000) {
                s_progress(s, what, done, n, jobs, n, bars, t0, done ? sum_s / (double)done : 0);
                last_draw = now;
            }
            continue;
        }
        size_t i = 0;
        while (i < n && jobs[i].pid != pid) {
            i++;
        }
        if (i == n) {
            continue;
        }
        s_job_t *j = &jobs[i];
        j->done = true;
        running--;
        done++;
        sum_s += (double)(clock_mono_ns() - j->t0_ns) / 1e9;
        j->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
        char err[512];
        if (j->status == 0 && result_read(j->res, &rs[i], err, sizeof err) != 0) {
            fprintf(stderr, "backtest: %s: %s\n", j->name, err);
            j->status = 1;
        }
        if (j->status != 0) {
            if (s->progress) {
                fputc('\n', stderr);
            }
            char combo[1024];
            s_combo_text(s, j->combo, combo, sizeof combo);
            if (WIFSIGNALED(st)) {
                fprintf(stderr, "backtest: %s (%s%s%s%s%s) was killed by %s; its stderr ends:\n",
                        j->name, combo, j->from[0] ? ", " : "", j->from, j->from[0] ? " .. " : "",
                        j->to, strsignal(WTERMSIG(st)));
            } else {
                fprintf(stderr, "backtest: %s (%s%s%s%s%s) failed with exit %d; its stderr ends:\n",
                        j->name, combo, j->from[0] ? ", " : "", j->from, j->from[0] ? " .. " : "",
                        j->to, j->status);
            }
            s_print_tail(j->err);
            s_kill_all(jobs, n);
            return j->status == 2 ? 2 : 1;
        }
        bars += rs[i].bars;
        snprintf(rs[i].from, sizeof rs[i].from, "%s", j->from);
        snprintf(rs[i].to, sizeof rs[i].to, "%s", j->to);
        if (!s->keep_db) {
            /* the database was a temporary file: the result no longer points at it */
            char p[4300];
            remove(j->db);
            snprintf(p, sizeof p, "%s-wal", j->db);
            remove(p);
            snprintf(p, sizeof p, "%s-shm", j->db);
            remove(p);
            rs[i].db[0] = '\0';
        }
        s_progress(s, what, done, n, jobs, n, bars, t0, sum_s / (double)done);
    }
    if (s->progress) {
        fputc('\n', stderr);
    }
    return rc;
}

/* Remove the temporary directory and the files in it (all ours: it came from mkdtemp). */
static void
s_rm_tmp(const s_sweep_t *s)
{
    if (!s->tmp[0]) {
        return;
    }
    DIR *d = opendir(s->tmp);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                continue;
            }
            char path[PATH_MAX + 300];
            snprintf(path, sizeof path, "%s/%s", s->tmp, e->d_name);
            remove(path);
        }
        closedir(d);
    }
    rmdir(s->tmp);
}

/* ---- output ------------------------------------------------------------------------------ */

/* PREFIX.csv and PREFIX.json from the table (json: the document, borrowed). 0 or 1. */
static int
s_write_out(const char *prefix, const result_t *rs, const size_t *idx, size_t n, const char *head,
            const char *const *labels, json_t *doc)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.csv", prefix);
    FILE *f = fopen(path, "w");
    if (!f || result_write_csv(f, rs, idx, n, head, labels) != 0 || fclose(f) != 0) {
        fprintf(stderr, "backtest: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s.json", prefix);
    if (result_dump_file(doc, path) != 0) {
        fprintf(stderr, "backtest: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    fprintf(stderr, "backtest: wrote %s.csv and %s.json\n", prefix, prefix);
    return 0;
}

/* The ranking of rs[n] on stdout (and --out). 0 or 1. */
static int
s_ranking(const s_sweep_t *s, const char *config, result_t *rs, size_t n)
{
    size_t *idx = calloc(n ? n : 1, sizeof *idx);
    if (!idx) {
        fprintf(stderr, "backtest: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        idx[i] = i;
    }
    result_rank(rs, idx, n, s->rank);
    printf("sweep %s: %zu runs, ranked by %s\n\n", config, n, result_metric_name(s->rank));
    result_print_table(stdout, rs, idx, n, NULL, NULL);
    fflush(stdout);
    int rc = 0;
    if (s->out) {
        json_t *doc = json_pack("{s:s, s:s, s:I, s:o}", "config", config, "rank_by",
                                result_metric_name(s->rank), "runs", (json_int_t)n, "rows",
                                result_rows_json(rs, idx, n, NULL, NULL));
        rc = doc ? s_write_out(s->out, rs, idx, n, NULL, NULL, doc) : 1;
        json_decref(doc);
    }
    free(idx);
    return rc;
}

/* ---- the commands ------------------------------------------------------------------------ */

static void
s_shell_quote(FILE *fp, const char *a)
{
    if (*a
        && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:@%+-,")
               == strlen(a)) {
        fputs(a, fp);
        return;
    }
    fputc('\'', fp);
    for (; *a; a++) {
        if (*a == '\'') {
            fputs("'\\''", fp);
        } else {
            fputc(*a, fp);
        }
    }
    fputc('\'', fp);
}

static int
s_print_jobs(s_sweep_t *s)
{
    char dir[PATH_MAX];
    if (mkdir(s->print_jobs, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "backtest: cannot make %s: %s\n", s->print_jobs, strerror(errno));
        return 1;
    }
    if (!realpath(s->print_jobs, dir)) {
        fprintf(stderr, "backtest: %s: %s\n", s->print_jobs, strerror(errno));
        return 1;
    }
    char kdir[PATH_MAX] = "";
    if (s->keep_db && !realpath(s->keep_db, kdir)) {
        fprintf(stderr, "backtest: --keep-db %s: %s\n", s->keep_db, strerror(errno));
        return 1;
    }
    for (size_t c = 0; c < s->n_combos; c++) {
        s_job_t j;
        memset(&j, 0, sizeof j);
        j.combo = c;
        if (s->from) {
            snprintf(j.from, sizeof j.from, "%s", s->from);
            snprintf(j.to, sizeof j.to, "%s", s->to);
        }
        char res[PATH_MAX + 32], db[PATH_MAX + 32];
        snprintf(res, sizeof res, "%s/job-%04zu.json", dir, c + 1);
        snprintf(db, sizeof db, "%s/job-%04zu.db", kdir, c + 1);
        char *argv[S_MAX_SETS * 2 + S_MAX_KEYS * 2 + S_MAX_PASS + 20];
        char buf[S_MAX_KEYS][RESULT_TEXT_MAX * 2 + 2];
        int n = s_job_argv(s, &j, kdir[0] ? db : NULL, res, !kdir[0], argv,
                           (int)(sizeof argv / sizeof argv[0]) - 1, buf);
        for (int i = 0; i < n; i++) {
            if (i) {
                fputc(' ', stdout);
            }
            s_shell_quote(stdout, argv[i]);
        }
        fputc('\n', stdout);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

static int
s_merge(s_sweep_t *s, char **files, int n)
{
    result_t *rs = calloc((size_t)n, sizeof *rs);
    if (!rs) {
        fprintf(stderr, "backtest: out of memory\n");
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        char err[1400];
        if (result_read(files[i], &rs[i], err, sizeof err) != 0) {
            fprintf(stderr, "backtest: --merge: %s\n", err);
            rc = 2;
        }
    }
    if (rc == 0) {
        rc = s_ranking(s, n ? rs[0].config : "-", rs, (size_t)n);
    }
    for (int i = 0; i < n; i++) {
        result_free(&rs[i]);
    }
    free(rs);
    return rc;
}

static int
s_make_tmp(s_sweep_t *s)
{
    const char *t = getenv("TMPDIR");
    snprintf(s->tmp, sizeof s->tmp, "%s/tp-sweep.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(s->tmp)) {
        fprintf(stderr, "backtest: cannot make a temporary directory %s: %s\n", s->tmp,
                strerror(errno));
        s->tmp[0] = '\0';
        return -1;
    }
    if (s->keep_db && mkdir(s->keep_db, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "backtest: cannot make %s: %s\n", s->keep_db, strerror(errno));
        return -1;
    }
    return 0;
}

static int
s_grid(s_sweep_t *s)
{
    s_job_t *jobs = calloc(s->n_combos, sizeof *jobs);
    result_t *rs = calloc(s->n_combos, sizeof *rs);
    if (!jobs || !rs) {
        fprintf(stderr, "backtest: out of memory\n");
        free(jobs);
        free(rs);
        return 1;
    }
    for (size_t c = 0; c < s->n_combos; c++) {
        snprintf(jobs[c].name, sizeof jobs[c].name, "job-%04zu", c + 1);
        jobs[c].combo = c;
        if (s->from) {
            snprintf(jobs[c].from, sizeof jobs[c].from, "%s", s->from);
            snprintf(jobs[c].to, sizeof jobs[c].to, "%s", s->to);
        }
        s_job_paths(s, &jobs[c]);
    }
    int rc = s_run_jobs(s, "sweep", jobs, s->n_combos, rs);
    if (rc == 0) {
        rc = s_ranking(s, s->cfg_path, rs, s->n_combos);
    }
    for (size_t c = 0; c < s->n_combos; c++) {
        result_free(&rs[c]);
    }
    free(rs);
    free(jobs);
    return rc;
}

/* ---- walk-forward ------------------------------------------------------------------------ */

/* The span of the config's kline files: [first bar's open, last bar's close + 1 ms), from the
 * frames' event times (close + 1 ms). 0, or -1 with the message printed. */
static int
s_kline_span(const s_sweep_t *s, int64_t *from_ms, int64_t *to_ms)
{
    char err[512];
    cfg_t *cfg = cfg_load(s->cfg_path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "backtest: %s\n", err);
        return -1;
    }
    int rc = -1;
    source_t *src = source_new();
    const char *symbol, *path;
    int n = cfg_array_len(cfg, "venue_sim.binance_kline_csv");
    if (!src || n < 0 || cfg_str(cfg, "venue_sim.binance_kline_symbol", "BTCUSDT", &symbol) != 0) {
        fprintf(stderr, "backtest: %s\n", src ? cfg_error(cfg) : "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "venue_sim.binance_kline_csv[%d]", i);
        if (cfg_str(cfg, key, NULL, &path) != 0
            || source_load_klines(src, path, symbol, SOURCE_BINANCE_SPOT) != 0) {
            fprintf(stderr, "backtest: --walk-forward: %s\n",
                    cfg_has(cfg, key) ? strerror(errno) : cfg_error(cfg));
            goto done;
        }
    }
    if (source_finish(src) != 0 || source_count(src) == 0) {
        fprintf(stderr,
                "backtest: --walk-forward: %s has no kline files (venue_sim.binance_kline_csv) "
                "to take the span from: give --from and --to\n",
                s->cfg_path);
        goto done;
    }
    *from_ms = source_frame(src, 0)->ts_ms - 60000;
    *to_ms = source_frame(src, source_count(src) - 1)->ts_ms;
    rc = 0;
done:
    source_destroy(&src);
    cfg_destroy(&cfg);
    return rc;
}

/* The out-of-sample runs concatenated: each window's equity curve continues from where the
 * previous one ended (scaled by its own start), and the figures are of that chained curve;
 * net PnL, fees, trades, wins, losses and the gross sums add up. */
static int
s_combine(const result_t *ws, size_t n, result_t *c)
{
    memset(c, 0, sizeof *c);
    c->max_dd_pct = -1;
    c->win_rate = -1;
    c->profit_factor = -1.0;
    size_t np = 0;
    bool curves = n > 0;
    for (size_t i = 0; i < n; i++) {
        c->net += ws[i].net;
        c->fees += ws[i].fees;
        c->trades += ws[i].trades;
        c->wins += ws[i].wins;
        c->losses += ws[i].losses;
        c->gross_win += ws[i].gross_win;
        c->gross_loss += ws[i].gross_loss;
        c->bars += ws[i].bars;
        np += ws[i].n_equity;
        curves = curves && ws[i].n_equity > 0 && ws[i].start_equity > 0;
    }
    if (n) {
        c->first_evt = ws[0].first_evt;
        c->last_evt = ws[n - 1].last_evt;
        snprintf(c->from, sizeof c->from, "%s", ws[0].from);
        snprintf(c->to, sizeof c->to, "%s", ws[n - 1].to);
    }
    if (c->trades > 0) {
        int64_t wr;
        if (money_div(c->wins * 100, 0, c->trades, 0, 2, MONEY_ROUND_HALF_EVEN, &wr) == 0) {
            c->win_rate = wr;
        }
    }
    if (c->gross_loss > 0) {
        c->profit_factor = round((double)c->gross_win / (double)c->gross_loss * 1e4) / 1e4;
    }
    if (!curves) {
        c->start_equity = n ? ws[0].start_equity : 0;
        c->end_equity = c->start_equity + c->net;
        if (c->start_equity > 0
            && money_div((c->end_equity - c->start_equity) * 100, 8, c->start_equity, 8, 2,
                         MONEY_ROUND_HALF_EVEN, &c->return_pct)
                   == 0) {
            c->have_return = true;
        }
        return 0;
    }
    c->equity = calloc(np, sizeof *c->equity);
    if (!c->equity) {
        errno = ENOMEM;
        return -1;
    }
    double base = (double)ws[0].start_equity;
    c->start_equity = ws[0].start_equity;
    for (size_t i = 0; i < n; i++) {
        double k = base / (double)ws[i].start_equity;
        for (size_t p = 0; p < ws[i].n_equity; p++) {
            int64_t v = 0;
            (void)money_from_double((double)ws[i].equity[p].equity * k, 0, MONEY_ROUND_HALF_EVEN,
                                    &v);
            c->equity[c->n_equity].evt = ws[i].equity[p].evt;
            c->equity[c->n_equity].equity = v;
            c->n_equity++;
        }
        base = (double)c->equity[c->n_equity - 1].equity;
    }
    c->end_equity = c->equity[c->n_equity - 1].equity;
    if (money_div((c->end_equity - c->start_equity) * 100, 8, c->start_equity, 8, 2,
                  MONEY_ROUND_HALF_EVEN, &c->return_pct)
        == 0) {
        c->have_return = true;
    }
    /* the largest fall in money, and its percent of its own peak (as report.h) */
    int64_t peak = c->equity[0].equity, best = 0, best_peak = 0;
    for (size_t p = 0; p < c->n_equity; p++) {
        int64_t v = c->equity[p].equity;
        if (v > peak) {
            peak = v;
        }
        if (peak - v > best) {
            best = peak - v;
            best_peak = peak;
        }
    }
    if (best == 0) {
        c->max_dd_pct = 0;
    } else if (best_peak > 0) {
        (void)money_div(best * 100, 8, best_peak, 8, 2, MONEY_ROUND_HALF_EVEN, &c->max_dd_pct);
    }
    double sortino;
    (void)report_x_ratios(c->equity, c->n_equity, &c->sharpe, &sortino, &c->have_sharpe);
    if (c->have_sharpe) {
        c->sharpe = round(c->sharpe * 1e4) / 1e4;
    }
    return 0;
}

/* The figure of r that m ranks by, as the table shows it. */
static void
s_metric_text(const result_t *r, result_metric_t m, char *buf, size_t cap)
{
    switch (m) {
    case RESULT_NET_PNL:
        money_fmt(r->net, MONEY_VALUE_SCALE, buf, cap);
        break;
    case RESULT_RETURN:
        result_fmt_pct(r->return_pct, r->have_return, buf, cap);
        break;
    case RESULT_MAX_DD:
        result_fmt_pct(r->max_dd_pct, r->max_dd_pct >= 0, buf, cap);
        break;
    case RESULT_WIN_RATE:
        result_fmt_pct(r->win_rate, r->win_rate >= 0, buf, cap);
        break;
    case RESULT_TRADES:
        snprintf(buf, cap, "%lld", (long long)r->trades);
        break;
    case RESULT_SHARPE:
        snprintf(buf, cap, r->have_sharpe ? "%.2f" : "-", r->sharpe);
        break;
    default:
        snprintf(buf, cap, r->profit_factor >= 0 ? "%.2f" : "-", r->profit_factor);
        break;
    }
}

static int
s_walk_forward(s_sweep_t *s)
{
    /* train=20d,test=5d */
    int64_t train = 0, test = 0;
    const char *p = s->wf;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int64_t *dst = strncmp(p, "train=", 6) == 0  ? &train
                       : strncmp(p, "test=", 5) == 0 ? &test
                                                     : NULL;
        size_t skip = dst == &train ? 6 : 5;
        if (!dst || len <= skip || s_parse_span(p + skip, len - skip, dst) != 0) {
            fprintf(stderr,
                    "backtest: --walk-forward %s: expected train=N[dhm],test=N[dhm] "
                    "(e.g. train=20d,test=5d)\n",
                    s->wf);
            return 2;
        }
        p = e ? e + 1 : p + len;
    }
    if (train == 0 || test == 0) {
        fprintf(stderr, "backtest: --walk-forward %s: both train= and test= are needed\n", s->wf);
        return 2;
    }
    int64_t from, to;
    if (s->from) {
        if (s_parse_time(s->from, &from) != 0 || s_parse_time(s->to, &to) != 0 || from >= to) {
            fprintf(stderr, "backtest: --from %s --to %s: expected two times, from before to\n",
                    s->from, s->to);
            return 2;
        }
    } else if (s->n_pass > 0) {
        fprintf(stderr,
                "backtest: --walk-forward with options for the workers (%s ...): give "
                "the span as --from and --to\n",
                s->pass[0]);
        return 2;
    } else if (s_kline_span(s, &from, &to) != 0) {
        return 2;
    }
    size_t nw = 0;
    for (int64_t st = from; st + train + test <= to; st += test) {
        nw++;
    }
    char a[32], b[32];
    s_fmt_time(from, a, sizeof a);
    s_fmt_time(to, b, sizeof b);
    if (nw == 0) {
        fprintf(stderr,
                "backtest: --walk-forward %s: the span %s .. %s is shorter than train + test\n",
                s->wf, a, b);
        return 2;
    }
    size_t nc = s->n_combos, ntrain = nw * nc;
    s_job_t *jobs = calloc(ntrain + nw, sizeof *jobs);
    result_t *rs = calloc(ntrain + nw, sizeof *rs);
    size_t *best = calloc(nw, sizeof *best), *idx = calloc(nc, sizeof *idx);
    char(*labels)[96] = calloc(nw + 1, sizeof *labels);
    const char **lp = calloc(nw + 1, sizeof *lp);
    if (!jobs || !rs || !best || !idx || !labels || !lp) {
        fprintf(stderr, "backtest: out of memory\n");
        return 1;
    }
    for (size_t w = 0; w < nw; w++) {
        int64_t st = from + (int64_t)w * test;
        for (size_t c = 0; c < nc; c++) {
            s_job_t *j = &jobs[w * nc + c];
            snprintf(j->name, sizeof j->name, "w%02zu-train-%04zu", w + 1, c + 1);
            j->combo = c;
            s_fmt_time(st, j->from, sizeof j->from);
            s_fmt_time(st + train, j->to, sizeof j->to);
            s_job_paths(s, j);
        }
    }
    printf("walk-forward %s (%s) over %s .. %s: %zu windows, %zu combinations each, best by "
           "%s\n",
           s->cfg_path, s->wf, a, b, nw, nc, result_metric_name(s->rank));
    int rc = s_run_jobs(s, "walk-forward (training)", jobs, ntrain, rs);
    for (size_t w = 0; rc == 0 && w < nw; w++) {
        for (size_t c = 0; c < nc; c++) {
            idx[c] = w * nc + c;
        }
        result_rank(rs, idx, nc, s->rank);
        best[w] = idx[0] - w * nc;
        s_job_t *j = &jobs[ntrain + w];
        snprintf(j->name, sizeof j->name, "w%02zu-test", w + 1);
        j->combo = best[w];
        int64_t st = from + (int64_t)w * test + train;
        s_fmt_time(st, j->from, sizeof j->from);
        s_fmt_time(st + test, j->to, sizeof j->to);
        s_job_paths(s, j);
    }
    if (rc == 0) {
        rc = s_run_jobs(s, "walk-forward (testing)", jobs + ntrain, nw, rs + ntrain);
    }
    result_t comb;
    memset(&comb, 0, sizeof comb);
    if (rc == 0 && s_combine(rs + ntrain, nw, &comb) != 0) {
        fprintf(stderr, "backtest: out of memory\n");
        rc = 1;
    }
    if (rc == 0) {
        json_t *wins = json_array();
        for (size_t w = 0; w < nw; w++) {
            size_t ti = ntrain + w, one = ti, bi = w * nc + best[w];
            char combo[1024];
            s_combo_text(s, best[w], combo, sizeof combo);
            char fig[64];
            s_metric_text(&rs[bi], s->rank, fig, sizeof fig);
            printf("\nwindow %zu: trained on %s .. %s, best %s (%s %s there);\n"
                   "  tested on %s .. %s:\n",
                   w + 1, jobs[bi].from, jobs[bi].to, combo, result_metric_name(s->rank), fig,
                   jobs[ti].from, jobs[ti].to);
            snprintf(labels[w], sizeof labels[w], "%zu", w + 1);
            lp[w] = labels[w];
            result_print_table(stdout, rs, &one, 1, "window", &lp[w]);
            json_t *tr = result_rows_json(rs, &bi, 1, "window", &lp[w]);
            json_t *te = result_rows_json(rs, &one, 1, "window", &lp[w]);
            json_t *o =
                json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o}", "window", (json_int_t)w + 1,
                          "train_from", jobs[bi].from, "train_to", jobs[bi].to, "test_from",
                          jobs[ti].from, "test_to", jobs[ti].to, "chosen_on_train",
                          json_array_get(tr, 0) ? json_incref(json_array_get(tr, 0)) : json_null(),
                          "out_of_sample",
                          json_array_get(te, 0) ? json_incref(json_array_get(te, 0)) : json_null());
            json_decref(tr);
            json_decref(te);
            if (!o || json_array_append_new(wins, o) != 0) {
                rc = 1;
            }
        }
        /* the concatenation: every window's test row, then the combined row */
        result_t *all = calloc(nw + 1, sizeof *all);
        size_t *ai = calloc(nw + 1, sizeof *ai);
        if (!all || !ai) {
            fprintf(stderr, "backtest: out of memory\n");
            rc = 1;
        } else {
            for (size_t w = 0; w < nw; w++) {
                all[w] = rs[ntrain + w];
                ai[w] = w;
            }
            all[nw] = comb;
            ai[nw] = nw;
            lp[nw] = "all";
            printf("\nout of sample, concatenated (%zu windows, %s .. %s):\n", nw,
                   jobs[ntrain].from, jobs[ntrain + nw - 1].to);
            result_print_table(stdout, all, ai, nw + 1, "window", lp);
            fflush(stdout);
            if (s->out) {
                json_t *cr = result_rows_json(&comb, &ai[0], 1, "window", &lp[nw]);
                json_t *doc = json_pack(
                    "{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "config", s->cfg_path,
                    "walk_forward", s->wf, "rank_by", result_metric_name(s->rank), "span_from", a,
                    "span_to", b, "combinations", (json_int_t)nc, "windows", wins, "combined",
                    json_array_get(cr, 0) ? json_incref(json_array_get(cr, 0)) : json_null());
                wins = NULL;
                json_decref(cr);
                if (!doc || s_write_out(s->out, all, ai, nw + 1, "window", lp, doc) != 0) {
                    rc = 1;
                }
                json_decref(doc);
            }
        }
        free(all);
        free(ai);
        json_decref(wins);
    }
    result_free(&comb);
    for (size_t i = 0; i < ntrain + nw; i++) {
        result_free(&rs[i]);
    }
    free(rs);
    free(jobs);
    free(best);
    free(idx);
    free(labels);
    free(lp);
    return rc;
}

/* ---- main -------------------------------------------------------------------------------- */

static int
s_usage(void)
{
    fprintf(
        stderr,
        "usage: backtest -c CONFIG --grid KEY=V1,V2,...|KEY=FROM:TO:STEP... [--set KEY=VALUE]...\n"
        "                [-j N] [--rank METRIC] [--out PREFIX] [--keep-db DIR]\n"
        "                [--print-jobs DIR] [--walk-forward train=20d,test=5d]\n"
        "                [--from TIME --to TIME] [-l LEVEL] [--OPTION [ARG...]]...\n"
        "       backtest --merge RESULT.json... [--rank METRIC] [--out PREFIX]\n"
        "  METRIC: net_pnl (default), return_pct, max_drawdown_pct (lowest first), sharpe,\n"
        "          trades, win_rate, profit_factor\n"
        "  any other --OPTION (--data, --symbol, --skip-bad ...) goes to every run as given\n");
    return 2;
}

int
sweep_main(int argc, char **argv)
{
    s_sweep_t s;
    memset(&s, 0, sizeof s);
    s.rank = RESULT_NET_PNL;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    s.jobs = ncpu > 0 ? (int)ncpu : 1;
    bool merge = false;
    char **files = NULL;
    int n_files = 0;
    files = calloc((size_t)argc, sizeof *files);
    if (!files) {
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (strcmp(a, "-c") == 0 && has) {
            s.cfg_path = argv[++i];
        } else if (strcmp(a, "--grid") == 0 && has) {
            if (s.n_axes == S_MAX_KEYS) {
                fprintf(stderr, "backtest: at most %d --grid keys\n", S_MAX_KEYS);
                return 2;
            }
            if (s_parse_grid(argv[++i], &s.axes[s.n_axes]) != 0) {
                return 2;
            }
            s.n_axes++;
        } else if (strcmp(a, "--set") == 0 && has) {
            if (s.n_sets == S_MAX_SETS || !strchr(argv[i + 1], '=')) {
                fprintf(stderr, "backtest: --set %s: expected KEY=VALUE (at most %d)\n",
                        argv[i + 1], S_MAX_SETS);
                return 2;
            }
            s.sets[s.n_sets++] = argv[++i];
        } else if (strcmp(a, "-j") == 0 && has) {
            char *end;
            long j = strtol(argv[++i], &end, 10);
            if (*end || j < 1 || j > 1024) {
                fprintf(stderr, "backtest: -j %s: expected a number of workers in [1, 1024]\n",
                        argv[i]);
                return 2;
            }
            s.jobs = (int)j;
        } else if (strcmp(a, "--rank") == 0 && has) {
            if (result_metric_parse(argv[++i], &s.rank) != 0) {
                fprintf(stderr,
                        "backtest: --rank %s: expected net_pnl, return_pct, max_drawdown_pct, "
                        "sharpe, trades, win_rate or profit_factor\n",
                        argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--out") == 0 && has) {
            s.out = argv[++i];
        } else if (strcmp(a, "--keep-db") == 0 && has) {
            s.keep_db = argv[++i];
        } else if (strcmp(a, "--print-jobs") == 0 && has) {
            s.print_jobs = argv[++i];
        } else if (strcmp(a, "--walk-forward") == 0 && has) {
            s.wf = argv[++i];
        } else if (strcmp(a, "--from") == 0 && has) {
            s.from = argv[++i];
        } else if (strcmp(a, "--to") == 0 && has) {
            s.to = argv[++i];
        } else if (strcmp(a, "-l") == 0 && has) {
            s.level = argv[++i];
        } else if (strcmp(a, "--merge") == 0) {
            merge = true;
        } else if (merge && a[0] != '-') {
            files[n_files++] = argv[i];
        } else if (!merge && strncmp(a, "--", 2) == 0 && a[2]) {
            /* another option of a single run (e.g. --data PATH... --symbol S --skip-bad):
             * handed to every worker as given, with the words that follow it */
            int j = i + 1;
            while (j < argc && argv[j][0] != '-') {
                j++;
            }
            if (s.n_pass + (j - i) > S_MAX_PASS) {
                fprintf(stderr, "backtest: too many options for the workers\n");
                free(files);
                return 2;
            }
            while (i < j) {
                s.pass[s.n_pass++] = argv[i++];
            }
            i--;
        } else {
            free(files);
            return s_usage();
        }
    }
    int rc;
    if (merge) {
        if (n_files == 0 || s.cfg_path || s.n_axes || s.wf || s.print_jobs) {
            fprintf(stderr, "backtest: --merge takes result files only (and --rank, --out)\n");
            free(files);
            return 2;
        }
        rc = s_merge(&s, files, n_files);
        free(files);
        return rc;
    }
    free(files);
    if (!s.cfg_path || s.n_axes == 0) {
        fprintf(stderr, "backtest: a sweep needs -c CONFIG and at least one --grid\n");
        return s_usage();
    }
    if (!s.from != !s.to) {
        fprintf(stderr, "backtest: --from and --to go together\n");
        return 2;
    }
    if (s.print_jobs && s.wf) {
        fprintf(stderr, "backtest: --print-jobs lists a grid's runs; a walk-forward chooses "
                        "between its steps and runs here only\n");
        return 2;
    }
    if (!realpath(s.cfg_path, s.cfg_abs)) {
        fprintf(stderr, "backtest: %s: %s\n", s.cfg_path, strerror(errno));
        return 2;
    }
    ssize_t n = readlink("/proc/self/exe", s.exe, sizeof s.exe - 1);
    if (n <= 0) {
        fprintf(stderr, "backtest: cannot find my own executable: %s\n", strerror(errno));
        return 1;
    }
    s.exe[n] = '\0';
    if (s_validate(&s) != 0) {
        return 2;
    }
    if (s.print_jobs) {
        return s_print_jobs(&s);
    }
    s.progress = isatty(2);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if (s_make_tmp(&s) != 0) {
        s_rm_tmp(&s);
        return 1;
    }
    rc = s.wf ? s_walk_forward(&s) : s_grid(&s);
    s_rm_tmp(&s);
    for (size_t k = 0; k < s.n_axes; k++) {
        for (size_t v = 0; v < s.axes[k].n; v++) {
            free(s.axes[k].values[v]);
            if (s.axes[k].texts) {
                free(s.axes[k].texts[v]);
            }
        }
        free(s.axes[k].values);
        free(s.axes[k].texts);
        json_decref(s.axes[k].base);
    }
    return rc;
}

int
sweep_write_result(const char *path, const char *db, cfg_t *cfg, int argc, char **argv)
{
    int64_t start = 0;
    if (cfg_money(cfg, "account.start_balance", MONEY_VALUE_SCALE, "10000", 0, INT64_MAX, &start)
        != 0) {
        fprintf(stderr, "backtest: %s\n", cfg_error(cfg));
        return -1;
    }
    result_t r;
    char err[1400];
    if (result_from_db(db, start, &r, err, sizeof err) != 0) {
        fprintf(stderr, "backtest: --result %s: %s\n", path, err);
        result_free(&r);
        return -1;
    }
    char abs[PATH_MAX];
    snprintf(r.config, sizeof r.config, "%s", realpath(cfg_file(cfg), abs) ? abs : cfg_file(cfg));
    int rc = 0;
    for (int i = 1; i + 1 < argc && rc == 0; i++) {
        if (strcmp(argv[i], "--set") == 0) {
            const char *eq = strchr(argv[i + 1], '=');
            char key[RESULT_TEXT_MAX];
            snprintf(key, sizeof key, "%.*s", (int)(eq - argv[i + 1]), argv[i + 1]);
            rc = result_add_set(&r, key, eq + 1);
            i++;
        } else if (strcmp(argv[i], "--from") == 0) {
            snprintf(r.from, sizeof r.from, "%s", argv[++i]);
        } else if (strcmp(argv[i], "--to") == 0) {
            snprintf(r.to, sizeof r.to, "%s", argv[++i]);
        }
    }
    if (rc != 0 || result_write(path, &r) != 0) {
        fprintf(stderr, "backtest: cannot write %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    result_free(&r);
    return rc;
}
