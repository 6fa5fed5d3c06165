/*  bench_executor.c - executor/ hot paths, each against a baseline measured in the same run:
 *    1. order request -> ack over REQ/REP on ipc:// through the real intake (executor/rep.c,
 *       exec.c: decode, validate, answer, paper place), one thread driving both sockets, p50 /
 *       p99 per round trip; baseline: a raw libzmq REQ/REP round trip of the same bytes.
 *    2. signing cost per request: rest_sign of a real create body (EVP_MAC HMAC-SHA256 as the
 *       live path does) and bybit_create_body + sign; baseline: OpenSSL one-shot HMAC().
 *  Prints figures only; never asserts on time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/clock.h"
#include "common/codec.h"
#include "common/log.h"
#include "executor/bybit.h"
#include "executor/exec.h"
#include "executor/rep.h"
#include "executor/rest.h"

#define N_RT   20000
#define N_SIGN 200000

static void
s_emit(const char *topic, codec_type_t type, const void *body, int64_t evt, int64_t origin,
       void *arg)
{
    (void)topic, (void)type, (void)body, (void)evt, (void)origin, (void)arg;
}

static int
s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void
s_pct(int64_t *v, size_t n, int64_t *p50, int64_t *p99)
{
    qsort(v, n, sizeof *v, s_cmp);
    *p50 = v[n / 2];
    *p99 = v[(n * 99) / 100];
}

static codec_risk_order_t
s_req(size_t i)
{
    codec_risk_order_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.client_id, sizeof r.client_id, "bench-%zu", i);
    snprintf(r.strategy, sizeof r.strategy, "bench");
    snprintf(r.venue, sizeof r.venue, "bybit-linear");
    snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
    snprintf(r.intent, sizeof r.intent, "entry");
    r.side = 1;
    r.type = CODEC_ORD_LIMIT;
    r.px_scale = 1;
    r.qty_scale = 3;
    r.qty = 10;
    r.px = 600000;
    r.ts_event = 1;
    return r;
}

static size_t
s_encode(size_t i, uint8_t *buf, size_t cap)
{
    codec_risk_order_t r = s_req(i);
    codec_env_t env;
    memset(&env, 0, sizeof env);
    env.v = CODEC_VERSION;
    snprintf(env.src, sizeof env.src, "risk.0");
    env.seq = i + 1;
    size_t n = 0;
    if (codec_encode(&env, CODEC_RISK_ORDER, &r, buf, cap, &n) < 0) {
        return 0;
    }
    return n;
}

static int
s_bench_rep(void)
{
    char ep[64], ep2[64];
    snprintf(ep, sizeof ep, "ipc:///tmp/tp-bench-exec-%d", (int)getpid());
    snprintf(ep2, sizeof ep2, "ipc:///tmp/tp-bench-raw-%d", (int)getpid());
    exec_cfg_t ec;
    memset(&ec, 0, sizeof ec);
    ec.instance = "executor.0";
    ec.venue.name = "paper";
    ec.venue.asset = "USDT";
    ec.venue.start_balance = 1000000000000;
    exec_t *ex = exec_new(&ec, s_emit, NULL);
    instr_t in;
    memset(&in, 0, sizeof in);
    snprintf(in.venue, sizeof in.venue, "bybit-linear");
    snprintf(in.category, sizeof in.category, "linear");
    snprintf(in.symbol, sizeof in.symbol, "BTCUSDT");
    in.px_scale = 1;
    in.qty_scale = 3;
    in.tick = 1;
    in.step = 1;
    in.min_qty = 1;
    if (!ex || exec_put_instrument(ex, &in) < 0) {
        fprintf(stderr, "bench_executor: cannot build the executor\n");
        return -1;
    }
    exec_rep_t *rep = exec_rep_new(ep, ex, NULL, "risk.0");
    zsock_t *req = zsock_new_req(ep);
    if (!rep || !req) {
        fprintf(stderr, "bench_executor: cannot open %s\n", ep);
        return -1;
    }
    int64_t *t = malloc(N_RT * sizeof *t);
    uint8_t buf[CODEC_MSG_MAX];
    for (size_t i = 0; i < N_RT; i++) {
        size_t n = s_encode(i, buf, sizeof buf);
        int64_t t0 = clock_mono_ns();
        zframe_t *f = zframe_new(buf, n);
        zframe_send(&f, req, 0);
        if (exec_rep_handle(rep) < 0) {
            fprintf(stderr, "bench_executor: rep failed: %s\n", strerror(errno));
            return -1;
        }
        zframe_t *a = zframe_recv(req);
        t[i] = clock_mono_ns() - t0;
        zframe_destroy(&a);
    }
    int64_t p50, p99, r50, r99;
    s_pct(t, N_RT, &p50, &p99);
    size_t orders = orders_count(exec_orders(ex));
    zsock_destroy(&req);
    exec_rep_destroy(&rep);
    exec_destroy(&ex);

    /* baseline: raw REQ/REP, same bytes, same single-thread pattern */
    zsock_t *srv = zsock_new_rep(ep2), *cli = zsock_new_req(ep2);
    size_t n = s_encode(0, buf, sizeof buf);
    for (size_t i = 0; i < N_RT; i++) {
        int64_t t0 = clock_mono_ns();
        zframe_t *f = zframe_new(buf, n);
        zframe_send(&f, cli, 0);
        zframe_t *q = zframe_recv(srv);
        zframe_send(&q, srv, 0);
        zframe_t *a = zframe_recv(cli);
        t[i] = clock_mono_ns() - t0;
        zframe_destroy(&a);
    }
    s_pct(t, N_RT, &r50, &r99);
    zsock_destroy(&cli);
    zsock_destroy(&srv);
    free(t);
    printf("executor request->ack REQ/REP ipc (paper, %zu orders): p50 %lld ns, p99 %lld ns | "
           "raw libzmq REQ/REP %zu B: p50 %lld ns, p99 %lld ns | ratio p50 %.2fx, p99 %.2fx\n",
           orders, (long long)p50, (long long)p99, n, (long long)r50, (long long)r99,
           (double)p50 / (double)r50, (double)p99 / (double)r99);
    return 0;
}

static void
s_bench_sign(void)
{
    codec_risk_order_t r = s_req(7);
    instr_t in;
    memset(&in, 0, sizeof in);
    in.px_scale = 1;
    in.qty_scale = 3;
    in.tick = 1;
    in.step = 1;
    bybit_opts_t opt;
    bybit_opts_for(&r, &opt);
    char body[1024], sig[65];
    (void)bybit_create_body(&r, &in, &opt, body, sizeof body);
    size_t bl = strlen(body);
    volatile int sink = 0;
    int64_t t0 = clock_mono_ns();
    for (int i = 0; i < N_SIGN; i++) {
        sink += rest_sign("bench-secret-0123456789abcdef", "1795400000000", "bench-key-0123",
                          "5000", body, bl, sig);
    }
    int64_t sign_ns = (clock_mono_ns() - t0) / N_SIGN;
    t0 = clock_mono_ns();
    for (int i = 0; i < N_SIGN / 10; i++) {
        (void)bybit_create_body(&r, &in, &opt, body, sizeof body);
        sink += rest_sign("bench-secret-0123456789abcdef", "1795400000000", "bench-key-0123",
                          "5000", body, strlen(body), sig);
    }
    int64_t build_ns = (clock_mono_ns() - t0) / (N_SIGN / 10);
    /* baseline: one-shot HMAC() over the same string to sign */
    char msg[1200];
    int ml = snprintf(msg, sizeof msg, "1795400000000bench-key-01235000%s", body);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdl;
    t0 = clock_mono_ns();
    for (int i = 0; i < N_SIGN; i++) {
        sink += HMAC(EVP_sha256(), "bench-secret-0123456789abcdef", 29, (unsigned char *)msg,
                     (size_t)ml, md, &mdl)
                != NULL;
    }
    int64_t raw_ns = (clock_mono_ns() - t0) / N_SIGN;
    (void)sink;
    printf("signing per request (%zu B body): rest_sign %lld ns, body build + sign %lld ns | "
           "raw OpenSSL HMAC() %lld ns | ratio %.2fx\n",
           bl, (long long)sign_ns, (long long)build_ns, (long long)raw_ns,
           (double)sign_ns / (double)raw_ns);
}

int
main(void)
{
    log_init("bench", LOG_ERROR);
    if (s_bench_rep() < 0) {
        return 1;
    }
    s_bench_sign();
    return 0;
}
