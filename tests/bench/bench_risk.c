/*  bench_risk.c - risk's decision latency: ns from a sig.signal message in hand (encoded
 *  bytes, as received on the SUB) to the order request handed to the sender (the executor's
 *  REQ/REP is not in the figure: send_order is the io callback, which timestamps the request and
 * answers "accepted"; the REQ/REP hop itself is the baseline). The path measured is the stage's:
 * decode, limits, priority/heat checks, sizing with multipliers, client id, order build. Baseline
 * in the same run: one raw libzmq REQ/REP round trip over ipc:// with a 200-byte message (what
 * sending that order to the executor costs at least). Prints p50/p99 of each and the ratio; never
 * asserts on time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>

#include "common/bus.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/log.h"
#include "risk/engine.h"

#define N_ITER 20000
#define E8     INT64_C(100000000)
#define T0     (INT64_C(1762160400000) * INT64_C(1000000))

static int64_t s_t_sent;
static int64_t s_n_sent;

static int
s_publish(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
          int64_t origin)
{
    (void)arg, (void)topic, (void)type, (void)body, (void)evt, (void)origin;
    return 0;
}

static int
s_send(void *arg, const codec_risk_order_t *ord, int64_t evt, int64_t origin,
       codec_order_ack_t *ack)
{
    (void)arg, (void)evt, (void)origin;
    s_t_sent = clock_mono_ns();
    s_n_sent++;
    memset(ack, 0, sizeof *ack);
    snprintf(ack->client_id, sizeof ack->client_id, "%s", ord->client_id);
    ack->accepted = true;
    return 0;
}

static int
s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void
s_pct(int64_t *v, size_t n, double *p50, double *p99)
{
    qsort(v, n, sizeof *v, s_cmp);
    *p50 = (double)v[n / 2];
    *p99 = (double)v[(n * 99) / 100];
}

/* encode a message into msg (data owned by the static buffer) */
static void
s_msg(bus_msg_t *m, uint8_t *buf, size_t cap, codec_type_t type, const void *body, int64_t evt)
{
    codec_env_t env = {
        .v = CODEC_VERSION, .src = "signal.0", .seq = 1, .evt = evt, .origin = evt
    };
    size_t len = 0;
    if (codec_encode(&env, type, body, buf, cap, &len) != 0) {
        fprintf(stderr, "bench_risk: encode failed\n");
        exit(1);
    }
    memset(m, 0, sizeof *m);
    m->type = type;
    m->data = buf;
    m->len = len;
}

int
main(void)
{
    log_init("bench_risk", LOG_WARN);
    risk_engine_cfg_t c;
    memset(&c, 0, sizeof c);
    c.sizing.risk_pct = 10000;
    c.sizing.max_position_pct = 500000;
    c.sizing.max_leverage = 10000;
    c.limits.max_open_positions = 1;
    c.limits.daily_loss_limit_pct = 30000;
    c.limits.start_equity = 10000 * E8;
    c.limits.max_drawdown_pct = 100000;
    c.min_confidence = 50;
    c.order_ttl_ns = 60000000000LL;
    c.max_open_per_asset = 1;
    c.max_heat_pct = 60000;
    c.stale_ns = 300000000000LL;
    risk_scale_defaults(&c.scale);
    c.scale.conf_on = c.scale.session_on = true;
    strcpy(c.asset, "USDT");
    risk_io_t io = { .publish = s_publish, .send_order = s_send, .arg = NULL };
    risk_engine_t *eng = risk_engine_new(&c, &io);
    const instr_t in = { .venue = "binance-spot",
                         .category = "spot",
                         .symbol = "BTCUSDT",
                         .px_scale = 2,
                         .qty_scale = 5,
                         .tick = 1,
                         .step = 1,
                         .min_qty = 1,
                         .min_notional = 5 * E8 };
    if (!eng || risk_engine_add_instrument(eng, &in) != 0) {
        fprintf(stderr, "bench_risk: cannot create the engine\n");
        return 1;
    }
    static uint8_t b1[4096], b2[4096], b3[4096];
    bus_msg_t m;
    codec_exec_balance_t bal;
    memset(&bal, 0, sizeof bal);
    strcpy(bal.asset, "USDT");
    bal.wallet = bal.equity = bal.available = 10000 * E8;
    s_msg(&m, b1, sizeof b1, CODEC_EXEC_BALANCE, &bal, T0);
    risk_engine_on_msg(eng, &m);

    codec_sig_signal_t sig;
    memset(&sig, 0, sizeof sig);
    strcpy(sig.strategy, "ema_rsi.btc");
    strcpy(sig.venue, "binance-spot");
    strcpy(sig.symbol, "BTCUSDT");
    sig.side = 1;
    sig.confidence = 80;
    sig.px_scale = 2;
    sig.ref_px = 6511420;
    sig.sl_px = 6478862;
    sig.tp_px = 6576534;
    codec_exec_order_t end;
    memset(&end, 0, sizeof end);
    strcpy(end.venue, "binance-spot");
    strcpy(end.symbol, "BTCUSDT");
    strcpy(end.status, "Cancelled");

    int64_t *lat = malloc(N_ITER * sizeof *lat), *rt = malloc(N_ITER * sizeof *rt);
    if (!lat || !rt) {
        return 1;
    }
    size_t n = 0;
    for (int i = 0; i < N_ITER + 1000; i++) {
        int64_t evt = T0 + (int64_t)(i + 1) * 1000000;
        sig.ts_event = evt;
        s_msg(&m, b2, sizeof b2, CODEC_SIG_SIGNAL, &sig, evt);
        int64_t before = s_n_sent;
        int64_t t0 = clock_mono_ns();
        risk_engine_on_msg(eng, &m);
        if (s_n_sent != before + 1) {
            fprintf(stderr, "bench_risk: signal %d made no order\n", i);
            return 1;
        }
        if (i >= 1000) { /* warm-up */
            lat[n++] = s_t_sent - t0;
        }
        /* the entry dies unfilled: the symbol is free for the next signal */
        const risk_position_t *p =
            risk_positions_get(risk_engine_positions(eng), "binance-spot", "BTCUSDT");
        snprintf(end.client_id, sizeof end.client_id, "%s", p->entry_id);
        end.ts_event = evt;
        s_msg(&m, b3, sizeof b3, CODEC_EXEC_ORDER, &end, evt);
        risk_engine_on_msg(eng, &m);
    }
    double d50, d99;
    s_pct(lat, n, &d50, &d99);

    /* baseline: raw REQ/REP round trip over ipc:// */
    char ep[128];
    snprintf(ep, sizeof ep, "ipc:///tmp/bench_risk.%d.ipc", (int)getpid());
    zsock_t *rep = zsock_new_rep(ep), *req = zsock_new_req(ep);
    if (!rep || !req) {
        fprintf(stderr, "bench_risk: cannot create sockets at %s\n", ep);
        return 1;
    }
    void *zreq = zsock_resolve(req), *zrep = zsock_resolve(rep);
    char payload[200], buf[256];
    memset(payload, 'x', sizeof payload);
    for (int i = 0; i < N_ITER + 1000; i++) {
        int64_t t0 = clock_mono_ns();
        if (zmq_send(zreq, payload, sizeof payload, 0) < 0 || zmq_recv(zrep, buf, sizeof buf, 0) < 0
            || zmq_send(zrep, buf, sizeof payload, 0) < 0
            || zmq_recv(zreq, buf, sizeof buf, 0) < 0) {
            fprintf(stderr, "bench_risk: zmq: %s\n", zmq_strerror(zmq_errno()));
            return 1;
        }
        if (i >= 1000) {
            rt[i - 1000] = clock_mono_ns() - t0;
        }
    }
    zsock_destroy(&req);
    zsock_destroy(&rep);
    double r50, r99;
    s_pct(rt, N_ITER, &r50, &r99);
    printf("bench_risk: decision latency signal -> order request (decode, limits, sizing x "
           "multipliers, id, order): p50 %.0f ns, p99 %.0f ns (%zu signals)\n",
           d50, d99, n);
    printf("bench_risk: baseline raw libzmq REQ/REP round trip, ipc, 200 B (same process, one "
           "thread): p50 %.0f ns, p99 %.0f ns\n",
           r50, r99);
    printf("bench_risk: ratio decision / REQ-REP round trip: p50 %.2fx, p99 %.2fx\n", d50 / r50,
           d99 / r99);
    free(lat);
    free(rt);
    risk_engine_destroy(&eng);
    return 0;
}
