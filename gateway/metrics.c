/*  metrics.c - Prometheus text format (contract in metrics.h). */
#include "gateway/metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/view.h"

const double metrics_bounds[METRICS_BUCKETS - 1] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                     0.005,  0.01,    0.025,  0.05,  0.1,
                                                     0.25,   0.5,     1.0 };

void
metrics_hist_add(metrics_hist_t *h, double seconds)
{
    size_t i = 0;
    while (i < METRICS_BUCKETS - 1 && seconds > metrics_bounds[i]) {
        i++;
    }
    h->counts[i]++;
    h->n++;
    h->sum += seconds;
}

void
metrics_escape(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 3 < cap; p++) {
        if (*p == '\\' || *p == '"') {
            out[o++] = '\\';
            out[o++] = *p;
        } else if (*p == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} s_out_t;

static void __attribute__((format(printf, 2, 3))) s_printf(s_out_t *o, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->oom = true;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = o->cap * 2 + (size_t)n;
        char *b = realloc(o->buf, cap);
        if (b == NULL) {
            o->oom = true;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
}

static void
s_family(s_out_t *o, const char *name, const char *type, const char *help)
{
    s_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
s_hist(s_out_t *o, const char *name, const char *help, const metrics_hist_t *h)
{
    static const metrics_hist_t k_zero;
    if (h == NULL) {
        h = &k_zero;
    }
    s_family(o, name, "histogram", help);
    uint64_t cum = 0;
    for (size_t i = 0; i < METRICS_BUCKETS; i++) {
        cum += h->counts[i];
        if (i < METRICS_BUCKETS - 1) {
            s_printf(o, "%s_bucket{le=\"%g\"} %llu\n", name, metrics_bounds[i],
                     (unsigned long long)cum);
        } else {
            s_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
        }
    }
    s_printf(o, "%s_sum %.9f\n%s_count %llu\n", name, h->sum, name, (unsigned long long)h->n);
}

char *
metrics_render(const metrics_in_t *in)
{
    s_out_t o = { .buf = malloc(8192), .cap = 8192 };
    if (o.buf == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    o.buf[0] = '\0';
    char inst[96], lab[96];
    const view_stats_t *v = in->view;

    s_family(&o, "tradepipe_stage_up", "gauge",
             "1 while the stage's heartbeat is younger than the gateway's ready limit");
    for (const char *const *e = in->expected; e && *e; e++) {
        json_t *s = json_object_get(in->stages, *e);
        json_int_t age = json_integer_value(json_object_get(s, "hb_age_ms"));
        metrics_escape(*e, inst, sizeof inst);
        s_printf(&o, "tradepipe_stage_up{instance=\"%s\"} %d\n", inst,
                 s != NULL && age < in->up_max_ms ? 1 : 0);
    }
    const char *name;
    json_t *s;
    s_family(&o, "tradepipe_stage_heartbeat_age_seconds", "gauge",
             "seconds since the stage's last heartbeat reached the gateway");
    json_object_foreach(in->stages, name, s)
    {
        metrics_escape(name, inst, sizeof inst);
        s_printf(&o, "tradepipe_stage_heartbeat_age_seconds{instance=\"%s\"} %.3f\n", inst,
                 (double)json_integer_value(json_object_get(s, "hb_age_ms")) / 1000.0);
    }
    s_family(&o, "tradepipe_stage_uptime_seconds", "gauge", "the stage's uptime, seconds");
    json_object_foreach(in->stages, name, s)
    {
        metrics_escape(name, inst, sizeof inst);
        s_printf(&o, "tradepipe_stage_uptime_seconds{instance=\"%s\"} %.3f\n", inst,
                 (double)json_integer_value(json_object_get(s, "uptime_ms")) / 1000.0);
    }
    s_family(&o, "tradepipe_stage_events_total", "counter",
             "the stage's own counters from its heartbeat (messages, gaps, bad frames, "
             "reconnects, resyncs ...), by counter name");
    json_object_foreach(in->stages, name, s)
    {
        const char *cn;
        json_t *cv;
        metrics_escape(name, inst, sizeof inst);
        json_object_foreach(json_object_get(s, "counters"), cn, cv)
        {
            metrics_escape(cn, lab, sizeof lab);
            s_printf(&o, "tradepipe_stage_events_total{instance=\"%s\",counter=\"%s\"} %lld\n",
                     inst, lab, (long long)json_integer_value(cv));
        }
    }
    s_family(&o, "tradepipe_gateway_messages_total", "counter",
             "messages the gateway received, by topic prefix");
    const struct {
        const char *p;
        uint64_t n;
    } k_pfx[] = { { "md", v->msgs_md },     { "sig", v->msgs_sig }, { "risk", v->msgs_risk },
                  { "exec", v->msgs_exec }, { "rec", v->msgs_rec }, { "sys", v->msgs_sys } };
    for (size_t i = 0; i < sizeof k_pfx / sizeof k_pfx[0]; i++) {
        s_printf(&o, "tradepipe_gateway_messages_total{prefix=\"%s\"} %llu\n", k_pfx[i].p,
                 (unsigned long long)k_pfx[i].n);
    }
    s_family(&o, "tradepipe_gateway_bad_messages_total", "counter",
             "messages whose body did not decode");
    s_printf(&o, "tradepipe_gateway_bad_messages_total %llu\n", (unsigned long long)v->bad);
    if (v->equity_known) {
        s_family(&o, "tradepipe_equity", "gauge",
                 "account equity, sum over venues and assets, in the quote currency");
        s_printf(&o, "tradepipe_equity %.8f\n", v->equity);
    }
    s_family(&o, "tradepipe_realized_pnl", "gauge",
             "realized PnL of the positions seen, gross, in the quote currency");
    s_printf(&o, "tradepipe_realized_pnl %.8f\n", v->realized);
    s_family(&o, "tradepipe_unrealized_pnl", "gauge", "unrealized PnL at mark, quote currency");
    s_printf(&o, "tradepipe_unrealized_pnl %.8f\n", v->unrealized);
    s_family(&o, "tradepipe_fees_total", "counter", "fees paid, quote currency");
    s_printf(&o, "tradepipe_fees_total %.8f\n", v->fees);
    s_family(&o, "tradepipe_open_positions", "gauge", "open positions");
    s_printf(&o, "tradepipe_open_positions %d\n", v->open_positions);
    s_family(&o, "tradepipe_position_qty", "gauge",
             "open position per venue and symbol, base units, signed (short < 0)");
    size_t pi;
    json_t *pv;
    json_array_foreach(in->positions, pi, pv)
    {
        char ve[64], sy[64];
        metrics_escape(json_string_value(json_object_get(pv, "venue")) ?: "", ve, sizeof ve);
        metrics_escape(json_string_value(json_object_get(pv, "symbol")) ?: "", sy, sizeof sy);
        const char *q = json_string_value(json_object_get(pv, "qty"));
        s_printf(&o, "tradepipe_position_qty{venue=\"%s\",symbol=\"%s\"} %s\n", ve, sy,
                 q ? q : "0");
    }
    if (in->db_bytes >= 0) {
        s_family(&o, "tradepipe_database_bytes", "gauge",
                 "size of the recorder's SQLite database and its WAL, bytes");
        s_printf(&o, "tradepipe_database_bytes %lld\n", (long long)in->db_bytes);
    }
    s_family(&o, "tradepipe_kill_switch_latched", "gauge", "1 while risk's kill switch is latched");
    s_printf(&o, "tradepipe_kill_switch_latched %d\n", v->killed ? 1 : 0);
    s_family(&o, "tradepipe_risk_state", "gauge", "1 for risk's current state");
    static const char *const k_states[] = { "RUNNING", "PAUSED", "HALTED", "KILLED" };
    for (size_t i = 0; i < 4; i++) {
        s_printf(&o, "tradepipe_risk_state{state=\"%s\"} %d\n", k_states[i],
                 v->risk_known && strcmp(v->risk_state, k_states[i]) == 0 ? 1 : 0);
    }
    s_family(&o, "tradepipe_risk_not_running_reason", "gauge",
             "1 with the reason risk gives while it is not RUNNING (a breaker's code, kill "
             "switch, paused, stale data ...); absent while it runs");
    if (v->risk_known && strcmp(v->risk_state, "RUNNING") != 0) {
        char why[160];
        metrics_escape(v->risk_reason, why, sizeof why);
        s_printf(&o, "tradepipe_risk_not_running_reason{state=\"%s\",reason=\"%s\"} 1\n",
                 v->risk_state, why);
    }
    s_hist(&o, "tradepipe_tick_to_signal_seconds",
           "publish time of sig.signal minus the receive time of the tick that caused it",
           in->tick_signal);
    s_hist(&o, "tradepipe_tick_to_order_seconds",
           "publish time of risk.order minus the receive time of the tick that caused it",
           in->tick_order);
    s_hist(&o, "tradepipe_tick_to_fill_seconds",
           "publish time of exec.fill minus the receive time of the tick that caused it",
           in->tick_fill);
    s_hist(&o, "tradepipe_order_to_ack_seconds",
           "publish time of the executor's first exec.order of an order minus that of risk.order",
           in->order_ack);
    s_family(&o, "tradepipe_alerts_total", "counter",
             "alerts seen (risk.alert, rec.alert) by level and code; breakers trip as their code");
    size_t ai;
    json_t *av;
    json_array_foreach(in->alerts, ai, av)
    {
        char lv[32], cd[80];
        metrics_escape(json_string_value(json_object_get(av, "level")) ?: "", lv, sizeof lv);
        metrics_escape(json_string_value(json_object_get(av, "code")) ?: "", cd, sizeof cd);
        s_printf(&o, "tradepipe_alerts_total{level=\"%s\",code=\"%s\"} %lld\n", lv, cd,
                 (long long)json_integer_value(json_object_get(av, "n")));
    }
    s_family(&o, "tradepipe_http_requests_total", "counter",
             "HTTP requests the gateway answered, by status class");
    s_printf(&o, "tradepipe_http_requests_total{code=\"2xx\"} %llu\n",
             (unsigned long long)in->req_2xx);
    s_printf(&o, "tradepipe_http_requests_total{code=\"4xx\"} %llu\n",
             (unsigned long long)in->req_4xx);
    s_printf(&o, "tradepipe_http_requests_total{code=\"5xx\"} %llu\n",
             (unsigned long long)in->req_5xx);
    s_family(&o, "tradepipe_control_actions_total", "counter",
             "operator actions sent through POST /api/v1/control");
    s_printf(&o, "tradepipe_control_actions_total %llu\n", (unsigned long long)in->control_calls);
    s_family(&o, "tradepipe_sse_clients", "gauge", "Server-Sent Events clients connected");
    s_printf(&o, "tradepipe_sse_clients %llu\n", (unsigned long long)in->sse_clients);
    if (o.oom) {
        free(o.buf);
        errno = ENOMEM;
        return NULL;
    }
    return o.buf;
}
