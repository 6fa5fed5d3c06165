/*  result.c - the figures of one backtest run for a sweep: from the database, to and from a
 *  JSON file, ranked, and printed (result.h).
 */
#include "tools/backtest/result.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "common/clock.h"
#include "common/money.h"
#include "tools/report/report.h"

#define S_FORMAT "tradepipe-backtest-result/1"

static const char *const k_metric_names[RESULT_METRIC_COUNT] = {
    "net_pnl", "return_pct", "max_drawdown_pct", "sharpe", "trades", "win_rate", "profit_factor",
};

int
result_metric_parse(const char *name, result_metric_t *out)
{
    for (int i = 0; i < RESULT_METRIC_COUNT; i++) {
        if (strcmp(name, k_metric_names[i]) == 0) {
            *out = (result_metric_t)i;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

const char *
result_metric_name(result_metric_t m)
{
    return m < RESULT_METRIC_COUNT ? k_metric_names[m] : "?";
}

/* ---- from a database --------------------------------------------------------------------- */

static int
s_scalar(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

static double
s_round4(double v)
{
    return round(v * 1e4) / 1e4;
}

int
result_from_db(const char *path, int64_t start_balance, result_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->max_dd_pct = -1;
    out->win_rate = -1;
    out->profit_factor = -1.0;
    snprintf(out->db, sizeof out->db, "%s", path);
    sqlite3 *db = NULL;
    report_t r;
    report_x_t x;
    report_run_t run;
    memset(&r, 0, sizeof r);
    memset(&x, 0, sizeof x);
    int rc = -1, e = EIO;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        goto done;
    }
    if (report_select_run(db, NULL, &run) < 0 || report_load(db, &r) < 0
        || report_x_load(db, &r, &x) < 0
        || s_scalar(db, "SELECT coalesce(min(evt),0) FROM events", &out->first_evt) < 0
        || s_scalar(db, "SELECT coalesce(max(evt),0) FROM events", &out->last_evt) < 0
        || s_scalar(db, "SELECT count(*) FROM events WHERE topic LIKE 'sig.bar.%'", &out->bars)
               < 0) {
        e = errno == ENOMEM || errno == ERANGE ? errno : EIO;
        snprintf(err, errlen, "cannot read %s: %s", path,
                 e == EIO ? sqlite3_errmsg(db) : strerror(e));
        goto done;
    }
    snprintf(out->run_id, sizeof out->run_id, "%s", run.run_id);
    out->net = r.net;
    out->fees = r.fees;
    out->max_dd_pct = r.max_dd_pct;
    out->trades = (int64_t)r.n_trips;
    out->wins = x.wins;
    out->losses = x.losses;
    out->win_rate = x.win_rate;
    out->profit_factor = x.profit_factor < 0 ? -1.0 : s_round4(x.profit_factor);
    out->gross_win = x.gross_win;
    out->gross_loss = x.gross_loss;
    out->have_sharpe = x.have_ratios;
    out->sharpe = x.have_ratios ? s_round4(x.sharpe) : 0.0;
    bool bal = strcmp(r.dd_source, "balances") == 0 && x.n_equity > 0;
    out->start_equity = bal ? x.equity[0].equity : start_balance;
    if (bal) {
        out->end_equity = x.equity[x.n_equity - 1].equity;
    } else if (money_add(start_balance, r.net, &out->end_equity) < 0) {
        e = ERANGE;
        snprintf(err, errlen, "%s: equity out of range", path);
        goto done;
    }
    if (out->start_equity > 0) {
        int64_t diff, num;
        if (money_sub(out->end_equity, out->start_equity, &diff) == 0
            && money_mul(diff, MONEY_VALUE_SCALE, 100, 0, MONEY_VALUE_SCALE, MONEY_ROUND_HALF_EVEN,
                         &num)
                   == 0
            && money_div(num, MONEY_VALUE_SCALE, out->start_equity, MONEY_VALUE_SCALE, 2,
                         MONEY_ROUND_HALF_EVEN, &out->return_pct)
                   == 0) {
            out->have_return = true;
        }
    }
    if (bal) {
        out->equity = malloc(x.n_equity * sizeof *out->equity);
        if (!out->equity) {
            e = ENOMEM;
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        memcpy(out->equity, x.equity, x.n_equity * sizeof *out->equity);
        out->n_equity = x.n_equity;
    }
    rc = 0;
done:
    report_x_free(&x);
    report_free(&r);
    sqlite3_close(db);
    if (rc != 0) {
        errno = e;
    }
    return rc;
}

int
result_add_set(result_t *r, const char *key, const char *value)
{
    if (strlen(key) >= RESULT_TEXT_MAX || strlen(value) >= RESULT_TEXT_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    result_set_t *s = realloc(r->sets, (r->n_sets + 1) * sizeof *s);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    r->sets = s;
    snprintf(s[r->n_sets].key, RESULT_TEXT_MAX, "%s", key);
    snprintf(s[r->n_sets].value, RESULT_TEXT_MAX, "%s", value);
    r->n_sets++;
    return 0;
}

void
result_free(result_t *r)
{
    if (!r) {
        return;
    }
    free(r->sets);
    free(r->equity);
    r->sets = NULL;
    r->equity = NULL;
    r->n_sets = r->n_equity = 0;
}

/* ---- JSON -------------------------------------------------------------------------------- */

static json_t *
s_money(int64_t m)
{
    char buf[48];
    money_fmt(m, MONEY_VALUE_SCALE, buf, sizeof buf);
    return json_string(buf);
}

static json_t *
s_pct(int64_t v, bool known)
{
    return known ? json_real((double)v / 100.0) : json_null();
}

static json_t *
s_iso(int64_t ns)
{
    char buf[32];
    return ns > 0 ? json_string(clock_fmt_iso(ns, buf, sizeof buf)) : json_null();
}

/* Set key to v (stolen); remember a failure in *bad. */
static void
s_put(json_t *o, const char *key, json_t *v, bool *bad)
{
    if (!v || json_object_set_new(o, key, v) != 0) {
        *bad = true;
    }
}

json_t *
result_json(const result_t *r)
{
    json_t *o = json_object();
    json_t *sets = json_array();
    json_t *eq = json_array();
    bool bad = !o || !sets || !eq;
    for (size_t i = 0; !bad && i < r->n_sets; i++) {
        json_t *s = json_pack("{s:s, s:s}", "key", r->sets[i].key, "value", r->sets[i].value);
        if (!s || json_array_append_new(sets, s) != 0) {
            bad = true;
        }
    }
    for (size_t i = 0; !bad && i < r->n_equity; i++) {
        char buf[48];
        money_fmt(r->equity[i].equity, MONEY_VALUE_SCALE, buf, sizeof buf);
        json_t *p = json_pack("[I, s]", (json_int_t)(r->equity[i].evt / CLOCK_NS_PER_MS), buf);
        if (!p || json_array_append_new(eq, p) != 0) {
            bad = true;
        }
    }
    if (bad) {
        json_decref(o);
        json_decref(sets);
        json_decref(eq);
        errno = ENOMEM;
        return NULL;
    }
    s_put(o, "format", json_string(S_FORMAT), &bad);
    s_put(o, "config", json_string(r->config), &bad);
    s_put(o, "db", json_string(r->db), &bad);
    s_put(o, "run_id", json_string(r->run_id), &bad);
    s_put(o, "from", json_string(r->from), &bad);
    s_put(o, "to", json_string(r->to), &bad);
    s_put(o, "set", sets, &bad);
    s_put(o, "first_evt", s_iso(r->first_evt), &bad);
    s_put(o, "last_evt", s_iso(r->last_evt), &bad);
    s_put(o, "bars", json_integer(r->bars), &bad);
    s_put(o, "net_pnl", s_money(r->net), &bad);
    s_put(o, "fees", s_money(r->fees), &bad);
    s_put(o, "start_equity", s_money(r->start_equity), &bad);
    s_put(o, "end_equity", s_money(r->end_equity), &bad);
    s_put(o, "return_pct", s_pct(r->return_pct, r->have_return), &bad);
    s_put(o, "max_drawdown_pct", s_pct(r->max_dd_pct, r->max_dd_pct >= 0), &bad);
    s_put(o, "sharpe", r->have_sharpe ? json_real(r->sharpe) : json_null(), &bad);
    s_put(o, "trades", json_integer(r->trades), &bad);
    s_put(o, "wins", json_integer(r->wins), &bad);
    s_put(o, "losses", json_integer(r->losses), &bad);
    s_put(o, "win_rate", s_pct(r->win_rate, r->win_rate >= 0), &bad);
    s_put(o, "profit_factor", r->profit_factor >= 0 ? json_real(r->profit_factor) : json_null(),
          &bad);
    s_put(o, "gross_win", s_money(r->gross_win), &bad);
    s_put(o, "gross_loss", s_money(r->gross_loss), &bad);
    s_put(o, "equity", eq, &bad);
    if (bad) {
        json_decref(o);
        errno = ENOMEM;
        return NULL;
    }
    return o;
}

int
result_dump_file(json_t *v, const char *path)
{
    char tmp[1100];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        return -1;
    }
    int rc = json_dumpf(v, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (fputc('\n', f) == EOF) {
        rc = -1;
    }
    if (fclose(f) != 0 || rc != 0) {
        int e = errno ? errno : EIO;
        remove(tmp);
        errno = e;
        return -1;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

int
result_write(const char *path, const result_t *r)
{
    json_t *o = result_json(r);
    if (!o) {
        return -1;
    }
    int rc = result_dump_file(o, path);
    int e = errno;
    json_decref(o);
    errno = e;
    return rc;
}

/* Reading: each helper records the first problem in err and returns -1. */
typedef struct {
    const char *path;
    char *err;
    size_t errlen;
    int bad;
} s_rd_t;

static int
s_rd_fail(s_rd_t *rd, const char *key, const char *why)
{
    if (!rd->bad) {
        snprintf(rd->err, rd->errlen, "%s: %s: %s", rd->path, key, why);
    }
    rd->bad = 1;
    return -1;
}

static void
s_rd_str(s_rd_t *rd, json_t *o, const char *key, char *out, size_t cap)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) {
        s_rd_fail(rd, key, "expected a string");
        return;
    }
    snprintf(out, cap, "%s", json_string_value(v));
}

static void
s_rd_money(s_rd_t *rd, json_t *o, const char *key, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)
        || money_parse(json_string_value(v), strlen(json_string_value(v)), MONEY_VALUE_SCALE, out)
               != 0) {
        s_rd_fail(rd, key, "expected a decimal string");
    }
}

static void
s_rd_int(s_rd_t *rd, json_t *o, const char *key, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) {
        s_rd_fail(rd, key, "expected an integer");
        return;
    }
    *out = json_integer_value(v);
}

/* A number or null: *known false for null. */
static void
s_rd_num(s_rd_t *rd, json_t *o, const char *key, double *out, bool *known)
{
    json_t *v = json_object_get(o, key);
    *known = false;
    if (json_is_null(v)) {
        return;
    }
    if (!json_is_number(v)) {
        s_rd_fail(rd, key, "expected a number or null");
        return;
    }
    *out = json_number_value(v);
    *known = true;
}

static void
s_rd_pct(s_rd_t *rd, json_t *o, const char *key, int64_t *out, bool *known)
{
    double d = 0.0;
    s_rd_num(rd, o, key, &d, known);
    *out = *known ? (int64_t)llround(d * 100.0) : -1;
}

static void
s_rd_evt(s_rd_t *rd, json_t *o, const char *key, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    *out = 0;
    if (json_is_null(v)) {
        return;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int ms = 0;
    const char *s = json_string_value(v);
    if (!s
        || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms)
               != 7) {
        s_rd_fail(rd, key, "expected an ISO time or null");
        return;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = ((int64_t)timegm(&tm) * 1000 + ms) * CLOCK_NS_PER_MS;
}

int
result_read(const char *path, result_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        errno = EINVAL;
        return -1;
    }
    s_rd_t rd = { path, err, errlen, 0 };
    json_t *f = json_object_get(o, "format");
    if (!json_is_object(o) || !json_is_string(f) || strcmp(json_string_value(f), S_FORMAT) != 0) {
        s_rd_fail(&rd, "format", "not a backtest result (expected \"" S_FORMAT "\")");
        json_decref(o);
        errno = EINVAL;
        return -1;
    }
    s_rd_str(&rd, o, "config", out->config, sizeof out->config);
    s_rd_str(&rd, o, "db", out->db, sizeof out->db);
    s_rd_str(&rd, o, "run_id", out->run_id, sizeof out->run_id);
    s_rd_str(&rd, o, "from", out->from, sizeof out->from);
    s_rd_str(&rd, o, "to", out->to, sizeof out->to);
    json_t *sets = json_object_get(o, "set");
    if (!json_is_array(sets)) {
        s_rd_fail(&rd, "set", "expected an array");
    }
    size_t i;
    json_t *s;
    json_array_foreach(sets, i, s)
    {
        const char *k = json_string_value(json_object_get(s, "key"));
        const char *v = json_string_value(json_object_get(s, "value"));
        if (!k || !v) {
            s_rd_fail(&rd, "set", "expected {\"key\", \"value\"} strings");
        } else if (result_add_set(out, k, v) != 0) {
            s_rd_fail(&rd, "set", strerror(errno));
        }
    }
    s_rd_evt(&rd, o, "first_evt", &out->first_evt);
    s_rd_evt(&rd, o, "last_evt", &out->last_evt);
    s_rd_int(&rd, o, "bars", &out->bars);
    s_rd_money(&rd, o, "net_pnl", &out->net);
    s_rd_money(&rd, o, "fees", &out->fees);
    s_rd_money(&rd, o, "start_equity", &out->start_equity);
    s_rd_money(&rd, o, "end_equity", &out->end_equity);
    bool known;
    s_rd_pct(&rd, o, "return_pct", &out->return_pct, &out->have_return);
    s_rd_pct(&rd, o, "max_drawdown_pct", &out->max_dd_pct, &known);
    s_rd_num(&rd, o, "sharpe", &out->sharpe, &out->have_sharpe);
    s_rd_int(&rd, o, "trades", &out->trades);
    s_rd_int(&rd, o, "wins", &out->wins);
    s_rd_int(&rd, o, "losses", &out->losses);
    s_rd_pct(&rd, o, "win_rate", &out->win_rate, &known);
    s_rd_num(&rd, o, "profit_factor", &out->profit_factor, &known);
    if (!known) {
        out->profit_factor = -1.0;
    }
    s_rd_money(&rd, o, "gross_win", &out->gross_win);
    s_rd_money(&rd, o, "gross_loss", &out->gross_loss);
    json_t *eq = json_object_get(o, "equity");
    if (!json_is_array(eq)) {
        s_rd_fail(&rd, "equity", "expected an array");
    } else if (json_array_size(eq) > 0) {
        out->equity = calloc(json_array_size(eq), sizeof *out->equity);
        if (!out->equity) {
            s_rd_fail(&rd, "equity", "out of memory");
        }
        json_t *p;
        json_array_foreach(eq, i, p)
        {
            if (!out->equity) {
                break;
            }
            json_t *t = json_array_get(p, 0), *m = json_array_get(p, 1);
            int64_t v;
            if (!json_is_integer(t) || !json_is_string(m)
                || money_parse(json_string_value(m), strlen(json_string_value(m)),
                               MONEY_VALUE_SCALE, &v)
                       != 0) {
                s_rd_fail(&rd, "equity", "expected [evt_ms, \"decimal\"] pairs");
                break;
            }
            out->equity[i].evt = json_integer_value(t) * CLOCK_NS_PER_MS;
            out->equity[i].equity = v;
            out->n_equity = i + 1;
        }
    }
    json_decref(o);
    if (rd.bad) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* ---- ranking and tables ------------------------------------------------------------------ */

/* Compare two known-or-not values, higher better unless `lower`. */
static int
s_cmp_num(double a, bool ka, double b, bool kb, bool lower)
{
    if (ka != kb) {
        return ka ? -1 : 1;
    }
    if (!ka || a == b) {
        return 0;
    }
    bool a_better = lower ? a < b : a > b;
    return a_better ? -1 : 1;
}

static int
s_cmp_i64(int64_t a, bool ka, int64_t b, bool kb, bool lower)
{
    if (ka != kb) {
        return ka ? -1 : 1;
    }
    if (!ka || a == b) {
        return 0;
    }
    bool a_better = lower ? a < b : a > b;
    return a_better ? -1 : 1;
}

int
result_cmp(const result_t *a, const result_t *b, result_metric_t m)
{
    switch (m) {
    case RESULT_NET_PNL:
        return s_cmp_i64(a->net, true, b->net, true, false);
    case RESULT_RETURN:
        return s_cmp_i64(a->return_pct, a->have_return, b->return_pct, b->have_return, false);
    case RESULT_MAX_DD:
        return s_cmp_i64(a->max_dd_pct, a->max_dd_pct >= 0, b->max_dd_pct, b->max_dd_pct >= 0,
                         true);
    case RESULT_SHARPE:
        return s_cmp_num(a->sharpe, a->have_sharpe, b->sharpe, b->have_sharpe, false);
    case RESULT_TRADES:
        return s_cmp_i64(a->trades, true, b->trades, true, false);
    case RESULT_WIN_RATE:
        return s_cmp_i64(a->win_rate, a->win_rate >= 0, b->win_rate, b->win_rate >= 0, false);
    case RESULT_PROFIT_FACTOR:
        return s_cmp_num(a->profit_factor, a->profit_factor >= 0, b->profit_factor,
                         b->profit_factor >= 0, false);
    default:
        return 0;
    }
}

void
result_rank(const result_t *rs, size_t *idx, size_t n, result_metric_t m)
{
    /* insertion sort: stable, and a sweep has few rows */
    for (size_t i = 1; i < n; i++) {
        size_t v = idx[i], j = i;
        while (j > 0 && result_cmp(&rs[v], &rs[idx[j - 1]], m) < 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

void
result_fmt_pct(int64_t v, bool known, char *buf, size_t cap)
{
    if (!known) {
        snprintf(buf, cap, "-");
        return;
    }
    money_fmt(v, 2, buf, cap);
}

/* The distinct override keys of the results, in order of first appearance (borrowed from rs). */
static size_t
s_keys(const result_t *rs, const size_t *idx, size_t n, const char **keys, size_t max)
{
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        const result_t *r = &rs[idx ? idx[i] : i];
        for (size_t j = 0; j < r->n_sets; j++) {
            size_t k = 0;
            while (k < nk && strcmp(keys[k], r->sets[j].key) != 0) {
                k++;
            }
            if (k == nk && nk < max) {
                keys[nk++] = r->sets[j].key;
            }
        }
    }
    return nk;
}

/* The value of key in r for a person: a JSON string literal shown without its quotes; "" when
 * r has no such override. The last override of a key wins (as cfg_set applies them). */
static void
s_value(const result_t *r, const char *key, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (size_t j = 0; j < r->n_sets; j++) {
        if (strcmp(r->sets[j].key, key) != 0) {
            continue;
        }
        const char *v = r->sets[j].value;
        json_t *s = json_loads(v, JSON_DECODE_ANY, NULL);
        snprintf(buf, cap, "%s", json_is_string(s) ? json_string_value(s) : v);
        json_decref(s);
    }
}

/* The figures of r as text, in table order. */
typedef struct {
    char net[48], ret[32], dd[32], sharpe[32], trades[32], win[32], pf[32];
} s_cells_t;

static void
s_cells(const result_t *r, s_cells_t *c)
{
    money_fmt(r->net, MONEY_VALUE_SCALE, c->net, sizeof c->net);
    result_fmt_pct(r->return_pct, r->have_return, c->ret, sizeof c->ret);
    result_fmt_pct(r->max_dd_pct, r->max_dd_pct >= 0, c->dd, sizeof c->dd);
    if (r->have_sharpe) {
        snprintf(c->sharpe, sizeof c->sharpe, "%.2f", r->sharpe);
    } else {
        snprintf(c->sharpe, sizeof c->sharpe, "-");
    }
    snprintf(c->trades, sizeof c->trades, "%lld", (long long)r->trades);
    result_fmt_pct(r->win_rate, r->win_rate >= 0, c->win, sizeof c->win);
    if (r->profit_factor >= 0) {
        snprintf(c->pf, sizeof c->pf, "%.2f", r->profit_factor);
    } else {
        snprintf(c->pf, sizeof c->pf, "-");
    }
}

#define S_MAX_KEYS 64

int
result_print_table(FILE *fp, const result_t *rs, const size_t *idx, size_t n, const char *head,
                   const char *const *labels)
{
    int lw = 4;
    if (labels) {
        lw = (int)strlen(head);
        for (size_t i = 0; i < n; i++) {
            lw = (int)strlen(labels[i]) > lw ? (int)strlen(labels[i]) : lw;
        }
    }
    const char *keys[S_MAX_KEYS];
    size_t nk = s_keys(rs, idx, n, keys, S_MAX_KEYS);
    int w[S_MAX_KEYS];
    for (size_t k = 0; k < nk; k++) {
        w[k] = (int)strlen(keys[k]);
        for (size_t i = 0; i < n; i++) {
            char v[RESULT_TEXT_MAX];
            s_value(&rs[idx[i]], keys[k], v, sizeof v);
            if ((int)strlen(v) > w[k]) {
                w[k] = (int)strlen(v);
            }
        }
    }
    fprintf(fp, "%-*s %16s %9s %9s %8s %7s %8s %7s", lw, labels ? head : "rank", "net pnl",
            "return %", "max dd %", "sharpe", "trades", "win %", "pf");
    for (size_t k = 0; k < nk; k++) {
        fprintf(fp, "  %-*s", k + 1 < nk ? w[k] : 0, keys[k]);
    }
    fputc('\n', fp);
    for (size_t i = 0; i < n; i++) {
        const result_t *r = &rs[idx[i]];
        s_cells_t c;
        s_cells(r, &c);
        char rank[32];
        snprintf(rank, sizeof rank, "%zu", i + 1);
        fprintf(fp, "%-*s %16s %9s %9s %8s %7s %8s %7s", lw, labels ? labels[i] : rank, c.net,
                c.ret, c.dd, c.sharpe, c.trades, c.win, c.pf);
        for (size_t k = 0; k < nk && r->n_sets > 0; k++) { /* "all" of a walk-forward: none */
            char v[RESULT_TEXT_MAX];
            s_value(r, keys[k], v, sizeof v);
            fprintf(fp, "  %-*s", k + 1 < nk ? w[k] : 0, v);
        }
        fputc('\n', fp);
    }
    return ferror(fp) ? (errno = EIO, -1) : 0;
}

static void
s_csv_field(FILE *fp, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"') {
            fputc('"', fp);
        }
        fputc(*s, fp);
    }
    fputc('"', fp);
}

int
result_write_csv(FILE *fp, const result_t *rs, const size_t *idx, size_t n, const char *head,
                 const char *const *labels)
{
    const char *keys[S_MAX_KEYS];
    size_t nk = s_keys(rs, idx, n, keys, S_MAX_KEYS);
    s_csv_field(fp, labels ? head : "rank");
    fputs(",net_pnl,return_pct,max_drawdown_pct,sharpe,trades,win_rate,profit_factor", fp);
    for (size_t k = 0; k < nk; k++) {
        fputc(',', fp);
        s_csv_field(fp, keys[k]);
    }
    fputs(",from,to,first_evt,last_evt,db\n", fp);
    for (size_t i = 0; i < n; i++) {
        const result_t *r = &rs[idx[i]];
        s_cells_t c;
        s_cells(r, &c);
        /* unknown figures are empty fields in CSV */
        const char *cells[] = { c.net, c.ret, c.dd, c.sharpe, c.trades, c.win, c.pf };
        if (labels) {
            s_csv_field(fp, labels[i]);
        } else {
            fprintf(fp, "%zu", i + 1);
        }
        for (size_t j = 0; j < sizeof cells / sizeof cells[0]; j++) {
            fputc(',', fp);
            fputs(strcmp(cells[j], "-") == 0 ? "" : cells[j], fp);
        }
        for (size_t k = 0; k < nk; k++) {
            char v[RESULT_TEXT_MAX];
            s_value(r, keys[k], v, sizeof v);
            fputc(',', fp);
            s_csv_field(fp, v);
        }
        char a[32] = "", b[32] = "";
        if (r->first_evt > 0) {
            clock_fmt_iso(r->first_evt, a, sizeof a);
            clock_fmt_iso(r->last_evt, b, sizeof b);
        }
        fputc(',', fp);
        s_csv_field(fp, r->from);
        fputc(',', fp);
        s_csv_field(fp, r->to);
        fprintf(fp, ",%s,%s,", a, b);
        s_csv_field(fp, r->db);
        fputc('\n', fp);
    }
    return ferror(fp) ? (errno = EIO, -1) : 0;
}

json_t *
result_rows_json(const result_t *rs, const size_t *idx, size_t n, const char *head,
                 const char *const *labels)
{
    json_t *rows = json_array();
    if (!rows) {
        errno = ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const result_t *r = &rs[idx[i]];
        json_t *o = json_object();
        json_t *set = json_object();
        bool bad = !o || !set;
        for (size_t j = 0; !bad && j < r->n_sets; j++) {
            char v[RESULT_TEXT_MAX];
            s_value(r, r->sets[j].key, v, sizeof v);
            s_put(set, r->sets[j].key, json_string(v), &bad);
        }
        if (!bad) {
            if (labels) {
                s_put(o, head, json_string(labels[i]), &bad);
            } else {
                s_put(o, "rank", json_integer((json_int_t)i + 1), &bad);
            }
            s_put(o, "set", set, &bad);
            set = NULL;
            s_put(o, "net_pnl", s_money(r->net), &bad);
            s_put(o, "return_pct", s_pct(r->return_pct, r->have_return), &bad);
            s_put(o, "max_drawdown_pct", s_pct(r->max_dd_pct, r->max_dd_pct >= 0), &bad);
            s_put(o, "sharpe", r->have_sharpe ? json_real(r->sharpe) : json_null(), &bad);
            s_put(o, "trades", json_integer(r->trades), &bad);
            s_put(o, "win_rate", s_pct(r->win_rate, r->win_rate >= 0), &bad);
            s_put(o, "profit_factor",
                  r->profit_factor >= 0 ? json_real(r->profit_factor) : json_null(), &bad);
            s_put(o, "from", json_string(r->from), &bad);
            s_put(o, "to", json_string(r->to), &bad);
            s_put(o, "first_evt", s_iso(r->first_evt), &bad);
            s_put(o, "last_evt", s_iso(r->last_evt), &bad);
            s_put(o, "db", json_string(r->db), &bad);
        }
        if (bad) {
            json_decref(set);
            json_decref(o);
            o = NULL;
        }
        if (!o || json_array_append_new(rows, o) != 0) {
            json_decref(rows);
            errno = ENOMEM;
            return NULL;
        }
    }
    return rows;
}
