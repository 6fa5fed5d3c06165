/*  test_fmt.c - what the gateway shows: bodies as JSON with decimals (gateway/fmt), the view's
 *  trade:opened / trade:closed and lists (gateway/view), the SSE replay ring (gateway/ring),
 *  the Prometheus text (gateway/metrics). Expected decimals are derived from the mantissas and
 *  scales put in, by hand arithmetic written next to each.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/bus.h"
#include "common/codec.h"
#include "gateway/fmt.h"
#include "gateway/metrics.h"
#include "gateway/ring.h"
#include "gateway/view.h"

static const char *
s_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static void
test_money(void **state)
{
    (void)state;
    json_t *v = fmt_money(6511420, 2); /* 65114.20 */
    assert_string_equal(json_string_value(v), "65114.20");
    json_decref(v);
    v = fmt_money(-1000, 8); /* -0.00001000 */
    assert_string_equal(json_string_value(v), "-0.00001000");
    json_decref(v);
    v = fmt_value(123456789012); /* 1234.56789012 at 1e-8 */
    assert_string_equal(json_string_value(v), "1234.56789012");
    json_decref(v);
    v = fmt_px_opt(0, 2);
    assert_true(json_is_null(v));
    json_decref(v);
    assert_null(fmt_money(1, -1));
    assert_null(fmt_money(1, 19));
    assert_string_equal(fmt_side(1), "buy");
    assert_string_equal(fmt_side(-1), "sell");
    assert_string_equal(fmt_side(0), "none");
}

static void
test_body_fill(void **state)
{
    (void)state;
    codec_body_t b;
    memset(&b, 0, sizeof b);
    snprintf(b.fill.client_id, sizeof b.fill.client_id, "rk-1");
    snprintf(b.fill.venue, sizeof b.fill.venue, "binance-spot");
    snprintf(b.fill.symbol, sizeof b.fill.symbol, "BTCUSDT");
    b.fill.side = -1;
    b.fill.px_scale = 2;
    b.fill.qty_scale = 5;
    b.fill.px = 11020400;            /* 110204.00 */
    b.fill.qty = 4514;               /* 0.04514 */
    b.fill.fee = 497460856;          /* 4.97460856 */
    b.fill.realized_pnl = -48660920; /* -0.48660920 */
    b.fill.ts_event = 1762033440000000000LL;
    json_t *o = fmt_body(CODEC_EXEC_FILL, &b);
    assert_non_null(o);
    assert_string_equal(s_str(o, "px"), "110204.00");
    assert_string_equal(s_str(o, "qty"), "0.04514");
    assert_string_equal(s_str(o, "fee"), "4.97460856");
    assert_string_equal(s_str(o, "realized_pnl"), "-0.48660920");
    assert_string_equal(s_str(o, "side"), "sell");
    assert_string_equal(s_str(o, "time"), "2025-11-01T21:44:00.000Z");
    assert_int_equal(json_integer_value(json_object_get(o, "evt")), 1762033440000000000LL);
    /* no field is a scaled integer: every number-like money field is a string */
    assert_null(json_object_get(o, "px_scale"));
    json_decref(o);
    assert_null(fmt_body(CODEC_MD_BOOK, &b)); /* not shown */
}

/* ---- view ----------------------------------------------------------------------------- */

static uint8_t s_buf[CODEC_MSG_MAX];
static char s_events[16][64];
static size_t s_n_events;

static void
s_emit(const char *event, json_t *data, void *arg)
{
    (void)data;
    (void)arg;
    if (s_n_events < 16) {
        snprintf(s_events[s_n_events++], sizeof s_events[0], "%s", event);
    }
}

static void
s_msg(bus_msg_t *m, const char *topic, codec_type_t type, const void *body, int64_t evt,
      int64_t origin, int64_t ts)
{
    static uint64_t seq;
    seq++;
    codec_env_t env = {
        .v = CODEC_VERSION, .epoch = 1, .seq = seq, .ts = ts, .origin = origin, .evt = evt
    };
    snprintf(env.src, sizeof env.src, "executor.0");
    memset(m, 0, sizeof *m);
    assert_int_equal(codec_encode(&env, type, body, s_buf, sizeof s_buf, &m->len), 0);
    snprintf(m->topic, sizeof m->topic, "%s", topic);
    m->type = type;
    m->env = env;
    m->data = s_buf;
}

static void
s_position(view_t *v, int64_t qty, int64_t realized, int64_t evt)
{
    codec_body_t b;
    memset(&b, 0, sizeof b);
    snprintf(b.position.venue, sizeof b.position.venue, "paper");
    snprintf(b.position.symbol, sizeof b.position.symbol, "BTCUSDT");
    b.position.px_scale = 2;
    b.position.qty_scale = 3;
    b.position.qty = qty;
    b.position.entry_px = qty ? 6000000 : 0; /* 60000.00 */
    b.position.realized_pnl = realized;
    b.position.ts_event = evt;
    bus_msg_t m;
    s_msg(&m, "exec.position", CODEC_EXEC_POSITION, &b, evt, 0, evt);
    assert_int_equal(view_add(v, &m, 0, s_emit, NULL), 0);
}

static void
test_view_trades(void **state)
{
    (void)state;
    view_t *v = view_new(10);
    assert_non_null(v);
    s_n_events = 0;
    s_position(v, 5, 0, 1000); /* flat -> long 0.005: opened */
    assert_int_equal(s_n_events, 2);
    assert_string_equal(s_events[0], "trade:opened");
    assert_string_equal(s_events[1], "positions:updated");
    json_t *p = view_positions(v);
    assert_int_equal(json_array_size(p), 1);
    assert_string_equal(s_str(json_array_get(p, 0), "qty"), "0.005");
    assert_string_equal(s_str(json_array_get(p, 0), "side"), "long");
    json_decref(p);
    s_n_events = 0;
    s_position(v, 8, 0, 2000); /* adds: no trade event */
    assert_int_equal(s_n_events, 1);
    s_n_events = 0;
    s_position(v, -2, 150000000, 3000); /* crosses zero: closed then opened */
    assert_int_equal(s_n_events, 3);
    assert_string_equal(s_events[0], "trade:closed");
    assert_string_equal(s_events[1], "trade:opened");
    s_n_events = 0;
    s_position(v, 0, 200000000, 4000); /* back to flat: closed */
    assert_int_equal(s_n_events, 2);
    assert_string_equal(s_events[0], "trade:closed");
    p = view_positions(v);
    assert_int_equal(json_array_size(p), 0); /* flat ones are not listed */
    json_decref(p);
    json_t *pnl = view_pnl(v);
    assert_string_equal(s_str(pnl, "realized"), "2.00000000"); /* 200000000 at 1e-8 */
    assert_true(json_is_null(json_object_get(pnl, "equity"))); /* no balance seen */
    json_decref(pnl);
    view_destroy(&v);
    assert_null(v);
}

static void
test_view_lists_and_latency(void **state)
{
    (void)state;
    view_t *v = view_new(3);
    codec_body_t b;
    bus_msg_t m;
    for (int i = 1; i <= 5; i++) {
        memset(&b, 0, sizeof b);
        snprintf(b.fill.client_id, sizeof b.fill.client_id, "c%d", i);
        b.fill.px_scale = 2;
        b.fill.qty_scale = 3;
        b.fill.ts_event = i * 1000;
        /* ts - origin = i ms */
        s_msg(&m, "exec.fill", CODEC_EXEC_FILL, &b, i * 1000, 1000000000, 1000000000 + i * 1000000);
        assert_int_equal(view_add(v, &m, 0, NULL, NULL), 0);
    }
    json_t *f = view_fills(v); /* newest first, 3 kept */
    assert_int_equal(json_array_size(f), 3);
    assert_string_equal(s_str(json_array_get(f, 0), "client_id"), "c5");
    assert_string_equal(s_str(json_array_get(f, 2), "client_id"), "c3");
    json_decref(f);
    metrics_hist_t hs, ho, hf;
    view_latency(v, &hs, &ho, &hf);
    assert_int_equal(hf.n, 5);
    assert_int_equal(hs.n, 0);
    /* 1..5 ms: buckets <= 0.001 (1), <= 0.0025 (2), <= 0.005 (3, 4, 5) */
    assert_int_equal(hf.counts[3], 1);
    assert_int_equal(hf.counts[4], 1);
    assert_int_equal(hf.counts[5], 3);
    /* equity series thinned to at most `points`, the last kept */
    for (int i = 1; i <= 10; i++) {
        memset(&b, 0, sizeof b);
        snprintf(b.balance.venue, sizeof b.balance.venue, "paper");
        snprintf(b.balance.asset, sizeof b.balance.asset, "USDT");
        b.balance.equity = (int64_t)i * 100000000; /* i.00000000 */
        b.balance.ts_event = i;
        s_msg(&m, "exec.balance", CODEC_EXEC_BALANCE, &b, i, 0, i);
        assert_int_equal(view_add(v, &m, 0, NULL, NULL), 0);
    }
    json_t *eq = view_equity(v, 0, 0, 4);
    assert_int_equal(json_array_size(eq), 4);
    assert_string_equal(s_str(json_array_get(eq, 0), "equity"), "1.00000000");
    assert_string_equal(s_str(json_array_get(eq, 3), "equity"), "10.00000000");
    json_decref(eq);
    eq = view_equity(v, 3, 6, 100); /* evt in [3, 6) */
    assert_int_equal(json_array_size(eq), 3);
    json_decref(eq);
    /* a body that does not decode is counted, not shown */
    s_msg(&m, "exec.fill", CODEC_EXEC_FILL, &b, 1, 0, 1);
    m.len = 5;
    assert_int_equal(view_add(v, &m, 0, NULL, NULL), -1);
    view_stats_t st;
    view_stats(v, &st);
    assert_int_equal(st.bad, 1);
    assert_true(st.equity_known);
    view_destroy(&v);
}

static void
test_view_strategies(void **state)
{
    (void)state;
    view_t *v = view_new(10);
    codec_body_t b;
    bus_msg_t m;
    memset(&b, 0, sizeof b);
    snprintf(b.signal.strategy, sizeof b.signal.strategy, "ema.btc");
    b.signal.side = 1;
    b.signal.px_scale = 2;
    s_msg(&m, "sig.signal.ema.btc.BTCUSDT", CODEC_SIG_SIGNAL, &b, 1, 0, 1);
    assert_int_equal(view_add(v, &m, 0, NULL, NULL), 0);
    memset(&b, 0, sizeof b);
    snprintf(b.order.strategy, sizeof b.order.strategy, "ema.btc");
    snprintf(b.order.client_id, sizeof b.order.client_id, "rk-1");
    b.order.px_scale = 2;
    b.order.qty_scale = 3;
    s_msg(&m, "risk.order", CODEC_RISK_ORDER, &b, 2, 0, 2);
    assert_int_equal(view_add(v, &m, 0, NULL, NULL), 0);
    memset(&b, 0, sizeof b);
    snprintf(b.reject.strategy, sizeof b.reject.strategy, "ema.btc");
    s_msg(&m, "risk.reject", CODEC_RISK_REJECT, &b, 3, 0, 3);
    assert_int_equal(view_add(v, &m, 0, NULL, NULL), 0);
    /* the entry's fill and a take-profit's (client id with the ".t" suffix of the entry's) */
    const char *ids[] = { "rk-1", "rk-1.t", "other-9" };
    for (int i = 0; i < 3; i++) {
        memset(&b, 0, sizeof b);
        snprintf(b.fill.client_id, sizeof b.fill.client_id, "%s", ids[i]);
        b.fill.px_scale = 2;
        b.fill.qty_scale = 3;
        b.fill.realized_pnl = i == 1 ? 150000000 : 0; /* 1.50000000 */
        b.fill.fee = 25000000;                        /* 0.25000000 each */
        s_msg(&m, "exec.fill", CODEC_EXEC_FILL, &b, 4 + i, 0, 4 + i);
        assert_int_equal(view_add(v, &m, 0, NULL, NULL), 0);
    }
    /* order -> ack: the first exec.order of rk-1, 1 ms after the risk.order (ts 2) */
    for (int i = 0; i < 2; i++) {
        memset(&b, 0, sizeof b);
        snprintf(b.xorder.client_id, sizeof b.xorder.client_id, "rk-1");
        b.xorder.px_scale = 2;
        b.xorder.qty_scale = 3;
        s_msg(&m, "exec.order", CODEC_EXEC_ORDER, &b, 7, 0, 2 + 1000000 * (i + 1));
        assert_int_equal(view_add(v, &m, 0, NULL, NULL), 0);
    }
    metrics_hist_t ack;
    view_ack_latency(v, &ack);
    assert_int_equal(ack.n, 1);         /* only the first answer counts */
    assert_int_equal(ack.counts[3], 1); /* 0.001 s: the bucket le 0.001 */
    for (int i = 0; i < 2; i++) {
        memset(&b, 0, sizeof b);
        snprintf(b.alert.level, sizeof b.alert.level, "warn");
        snprintf(b.alert.code, sizeof b.alert.code, "loss_streak");
        s_msg(&m, "risk.alert", CODEC_RISK_ALERT, &b, 8, 0, 8);
        assert_int_equal(view_add(v, &m, 0, NULL, NULL), 0);
    }
    json_t *ac = view_alert_counts(v);
    assert_int_equal(json_array_size(ac), 1);
    assert_string_equal(s_str(json_array_get(ac, 0), "code"), "loss_streak");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ac, 0), "n")), 2);
    json_decref(ac);
    json_t *st = view_strategies(v);
    json_t *e = json_object_get(st, "ema.btc");
    assert_non_null(e);
    assert_int_equal(json_object_size(st), 1);
    assert_int_equal(json_integer_value(json_object_get(e, "signals")), 1);
    assert_int_equal(json_integer_value(json_object_get(e, "orders")), 1);
    assert_int_equal(json_integer_value(json_object_get(e, "rejects")), 1);
    assert_int_equal(json_integer_value(json_object_get(e, "fills")), 2); /* not other-9 */
    assert_string_equal(s_str(e, "realized_pnl"), "1.50000000");
    assert_string_equal(s_str(e, "fees"), "0.50000000");
    assert_string_equal(s_str(e, "net"), "1.00000000");
    assert_string_equal(s_str(json_object_get(e, "last_signal"), "side"), "buy");
    json_decref(st);
    view_destroy(&v);
}

/* ---- ring ------------------------------------------------------------------------------ */

static void
test_ring(void **state)
{
    (void)state;
    ring_t *r = ring_new(3);
    ring_event_t ev;
    uint64_t missed;
    assert_int_equal(ring_next(r, 0, &ev, &missed), -1);
    assert_int_equal(ring_push(r, "fill", "{\"a\":1}"), 1);
    assert_int_equal(ring_push(r, "order", "{\"a\":2}"), 2);
    assert_int_equal(ring_next(r, 0, &ev, &missed), 0);
    assert_int_equal(ev.id, 1);
    assert_string_equal(ev.name, "fill");
    assert_int_equal(missed, 0);
    assert_int_equal(ring_next(r, 1, &ev, &missed), 0);
    assert_int_equal(ev.id, 2);
    assert_int_equal(ring_next(r, 2, &ev, &missed), -1);
    for (int i = 3; i <= 6; i++) {
        char d[32];
        snprintf(d, sizeof d, "{\"a\":%d}", i);
        assert_int_equal(ring_push(r, "x", d), (uint64_t)i);
    }
    /* 4, 5, 6 kept: a client at 1 missed 2 and 3 */
    assert_int_equal(ring_next(r, 1, &ev, &missed), 0);
    assert_int_equal(ev.id, 4);
    assert_int_equal(missed, 2);
    assert_string_equal(ev.data, "{\"a\":4}");
    assert_int_equal(ring_count(r), 3);
    assert_int_equal(ring_last_id(r), 6);
    assert_int_equal(ring_push(r, "x", "two\nlines"), 0);
    assert_int_equal(errno, EINVAL);
    ring_destroy(&r);
    assert_null(r);
}

/* ---- metrics --------------------------------------------------------------------------- */

static void
test_metrics(void **state)
{
    (void)state;
    char out[64];
    metrics_escape("a\"b\\c\nd", out, sizeof out);
    assert_string_equal(out, "a\\\"b\\\\c\\nd");
    view_stats_t vs;
    memset(&vs, 0, sizeof vs);
    vs.equity_known = true;
    vs.equity = 9941.70985066;
    vs.risk_known = true;
    vs.killed = true;
    snprintf(vs.risk_state, sizeof vs.risk_state, "KILLED");
    snprintf(vs.risk_reason, sizeof vs.risk_reason, "kill \"switch\"");
    metrics_hist_t h;
    memset(&h, 0, sizeof h);
    metrics_hist_add(&h, 0.0003); /* <= 0.0005 */
    metrics_hist_add(&h, 2.0);    /* +Inf */
    json_t *stages = json_pack("{s:{s:s, s:I, s:I, s:{s:I}}}", "risk.0", "state", "running",
                               "hb_age_ms", (json_int_t)500, "uptime_ms", (json_int_t)1500,
                               "counters", "orders", (json_int_t)7);
    const char *expected[] = { "risk.0", "feed.0", NULL };
    metrics_in_t in = { .instance = "gateway.0",
                        .view = &vs,
                        .stages = stages,
                        .expected = expected,
                        .up_max_ms = 3000,
                        .tick_order = &h,
                        .positions = json_pack("[{s:s, s:s, s:s}]", "venue", "paper", "symbol",
                                               "BTCUSDT", "qty", "-0.005"),
                        .db_bytes = 12345 };
    char *text = metrics_render(&in);
    assert_non_null(text);
    assert_non_null(strstr(text, "tradepipe_stage_up{instance=\"risk.0\"} 1\n"));
    assert_non_null(strstr(text, "tradepipe_stage_up{instance=\"feed.0\"} 0\n"));
    assert_non_null(
        strstr(text, "tradepipe_stage_heartbeat_age_seconds{instance=\"risk.0\"} 0.500\n"));
    assert_non_null(
        strstr(text, "tradepipe_stage_events_total{instance=\"risk.0\",counter=\"orders\"} 7\n"));
    assert_non_null(strstr(text, "tradepipe_equity 9941.70985066\n"));
    assert_non_null(strstr(text, "tradepipe_kill_switch_latched 1\n"));
    assert_non_null(strstr(text, "tradepipe_risk_state{state=\"KILLED\"} 1\n"));
    assert_non_null(strstr(text, "tradepipe_risk_state{state=\"RUNNING\"} 0\n"));
    assert_non_null(strstr(
        text,
        "tradepipe_risk_not_running_reason{state=\"KILLED\",reason=\"kill \\\"switch\\\"\"} 1\n"));
    /* cumulative buckets: 0 below 0.0005, 1 from it, 2 at +Inf */
    assert_non_null(strstr(text, "tradepipe_tick_to_order_seconds_bucket{le=\"0.00025\"} 0\n"));
    assert_non_null(strstr(text, "tradepipe_tick_to_order_seconds_bucket{le=\"0.0005\"} 1\n"));
    assert_non_null(strstr(text, "tradepipe_tick_to_order_seconds_bucket{le=\"1\"} 1\n"));
    assert_non_null(strstr(text, "tradepipe_tick_to_order_seconds_bucket{le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(text, "tradepipe_tick_to_order_seconds_count 2\n"));
    assert_non_null(strstr(text, "# TYPE tradepipe_fees_total counter\n"));
    assert_non_null(
        strstr(text, "tradepipe_position_qty{venue=\"paper\",symbol=\"BTCUSDT\"} -0.005\n"));
    assert_non_null(strstr(text, "tradepipe_database_bytes 12345\n"));
    /* every sample line's family has a TYPE line before it */
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        if (line[0] != '#') {
            char fam[128];
            size_t n = strcspn(line, "{ ");
            assert_true(n < sizeof fam);
            memcpy(fam, line, n);
            fam[n] = '\0';
            char *suffix;
            if ((suffix = strstr(fam, "_bucket")) || (suffix = strstr(fam, "_sum"))
                || (suffix = strstr(fam, "_count"))) {
                if (strstr(fam, "seconds")) {
                    *suffix = '\0';
                }
            }
            char want[160];
            snprintf(want, sizeof want, "# TYPE %s ", fam);
            char *at = strstr(text, want);
            assert_true(at != NULL && at < line);
        }
        line = nl + 1;
    }
    free(text);
    json_decref(stages);
    json_decref(in.positions);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_money),           cmocka_unit_test(test_body_fill),
        cmocka_unit_test(test_view_trades),     cmocka_unit_test(test_view_lists_and_latency),
        cmocka_unit_test(test_view_strategies), cmocka_unit_test(test_ring),
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
