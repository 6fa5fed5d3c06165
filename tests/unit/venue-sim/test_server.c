/*  test_server.c - venue-sim's server over real sockets: libwebsockets clients (driven by
 *  common/lwsloop in the same zloop, so the client side of lwsloop is exercised too) and
 *  libcurl for REST (in a thread, since the loop must keep running to answer).
 *  Expected replies are the shapes of BYBIT_V5.md 1.2/1.3 written out by hand; data frames
 *  must arrive byte for byte as in the source files; per-label counts are what the clients
 *  received, counted on the client side.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <czmq.h>
#include <libwebsockets.h>
#include <zlib.h>

#include "common/clock.h"
#include "common/lwsloop.h"
#include "tools/venue-sim/server.h"
#include "tools/venue-sim/source.h"

#define MAX_MSGS 64

static const char k_book1[] =
    "{\"topic\":\"orderbook.200.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1000,\"data\":{\"s\":"
    "\"BTCUSDT\",\"b\":[[\"65114.20\",\"6.054\"]],\"a\":[[\"65114.30\",\"1.000\"]],\"u\":1,"
    "\"seq\":7},\"cts\":999}";
static const char k_trade[] =
    "{\"topic\":\"publicTrade.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1001,"
    "\"data\":[]}";
static const char k_book2[] = "{\"topic\":\"orderbook.200.BTCUSDT\",\"type\":\"delta\",\"ts\":1002,"
                              "\"data\":{\"s\":\"BTCUSDT\",\"b\":[],\"a\":[],\"u\":2,\"seq\":8},"
                              "\"cts\":1001}";
static const char k_ack_rec[] =
    "{\"success\":true,\"ret_msg\":\"\",\"conn_id\":\"x\",\"req_id\":\"\","
    "\"op\":\"subscribe\"}";
static const char k_bn_trade[] = "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\","
                                 "\"E\":1500,\"p\":\"1.0\"}}";
static const char k_bn_ticker[] = "{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"E\":1501}}";
static const char k_bn_snap[] = "{\"lastUpdateId\":42,\"bids\":[[\"1.0\",\"2\"]],\"asks\":[]}";

typedef struct {
    const char *name;
    const char *path;
    struct lws *wsi;
    bool established, closed;
    char *out[8]; /* messages to send, in order */
    size_t n_out;
    char *msgs[MAX_MSGS];
    size_t n_msgs;
    char rx[65536];
    size_t rx_len;
} s_client_t;

typedef struct {
    zloop_t *loop;
    source_t *src;
    server_t *srv;
    struct lws_context *cctx;
    lwsloop_t *clp;
    s_client_t *clients[4];
    size_t n_clients;
    int phase;
    int64_t deadline;
    atomic_int http_done;
    int port;
    int server_events;
} s_fix_t;

static s_fix_t *s_fx; /* the lws client callback finds the fixture here */

static void
s_client_send(s_client_t *c, const char *text)
{
    assert_true(c->n_out < 8);
    c->out[c->n_out++] = strdup(text);
    lws_callback_on_writable(c->wsi);
}

static int
s_client_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    if (s_fx && lwsloop_handle(s_fx->clp, wsi, reason, in)) {
        return 0;
    }
    s_client_t *c = NULL;
    for (size_t i = 0; s_fx && i < s_fx->n_clients; i++) {
        if (s_fx->clients[i]->wsi == wsi) {
            c = s_fx->clients[i];
        }
    }
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (c) {
            c->established = true;
        }
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (c) {
            memcpy(c->rx + c->rx_len, in, len);
            c->rx_len += len;
            if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0
                && c->n_msgs < MAX_MSGS) {
                c->msgs[c->n_msgs++] = strndup(c->rx, c->rx_len);
                c->rx_len = 0;
            }
        }
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (c && c->n_out > 0) {
            unsigned char buf[LWS_PRE + 1024];
            size_t n = strlen(c->out[0]);
            memcpy(buf + LWS_PRE, c->out[0], n);
            if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n) {
                return -1;
            }
            free(c->out[0]);
            memmove(c->out, c->out + 1, (c->n_out - 1) * sizeof c->out[0]);
            c->n_out--;
            if (c->n_out > 0) {
                lws_callback_on_writable(wsi);
            }
        }
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c) {
            c->closed = true;
            c->wsi = NULL;
        }
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols k_client_protocols[] = {
    { "test-client", s_client_cb, 0, 65536, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static s_client_t *
s_connect(s_fix_t *fx, const char *name, const char *path)
{
    s_client_t *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->name = name;
    c->path = path;
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = fx->cctx;
    ci.address = "127.0.0.1";
    ci.port = fx->port;
    ci.path = path;
    ci.host = "127.0.0.1";
    ci.origin = "127.0.0.1";
    ci.local_protocol_name = "test-client";
    fx->clients[fx->n_clients++] = c;
    c->wsi = lws_client_connect_via_info(&ci);
    assert_non_null(c->wsi);
    return c;
}

static char *
s_tmp(const char *content, bool gz)
{
    char *path = strdup("/tmp/test_vs_server_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    if (gz) {
        gzFile g = gzopen(path, "wb");
        gzputs(g, content);
        gzclose(g);
    } else {
        FILE *fp = fopen(path, "w");
        fputs(content, fp);
        fclose(fp);
    }
    return path;
}

/* ---- REST through libcurl in a thread ---------------------------------------------------- */

typedef struct {
    char *data;
    size_t len;
} s_buf_t;

static size_t
s_curl_write(char *p, size_t size, size_t n, void *arg)
{
    s_buf_t *b = arg;
    char *q = realloc(b->data, b->len + size * n + 1);
    if (!q) {
        return 0;
    }
    memcpy(q + b->len, p, size * n);
    b->data = q;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

typedef struct {
    int port;
    long status[4];
    s_buf_t body[4];
    atomic_int *done;
} s_http_t;

static void *
s_http_thread(void *arg)
{
    s_http_t *h = arg;
    static const char *const paths[] = { "/v5/market/instruments-info?category=linear",
                                         "/usdm/fapi/v1/depth?symbol=BTCUSDT&limit=1000",
                                         "/v5/market/nope", "/spot/api/v3/depth?symbol=BTCUSDT" };
    for (int i = 0; i < 4; i++) {
        char url[256];
        snprintf(url, sizeof url, "http://127.0.0.1:%d%s", h->port, paths[i]);
        CURL *c = curl_easy_init();
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_curl_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &h->body[i]);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
        if (curl_easy_perform(c) == CURLE_OK) {
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status[i]);
        }
        curl_easy_cleanup(c);
    }
    atomic_store(h->done, 1);
    return NULL;
}

/* ---- the scripted test ------------------------------------------------------------------- */

static void
s_on_server(server_event_t ev, void *arg)
{
    (void)ev;
    s_fix_t *fx = arg;
    fx->server_events++;
}

static int
s_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_fix_t *fx = arg;
    s_client_t *lin = fx->clients[0], *usdm = fx->clients[1], *plain = fx->clients[2];
    if (clock_mono_ns() > fx->deadline) {
        return -1;
    }
    switch (fx->phase) {
    case 0: /* wait for all three to connect, then subscribe */
        if (lin->established && usdm->established && plain->established) {
            s_client_send(
                lin,
                "{\"op\":\"subscribe\",\"args\":[\"orderbook.200.BTCUSDT\"],\"req_id\":\"r1\"}");
            s_client_send(plain, "{\"op\":\"subscribe\",\"args\":[\"publicTrade.BTCUSDT\"]}");
            fx->phase = 1;
        }
        break;
    case 1: /* acks in, label ready: replay everything */
        if (lin->n_msgs >= 1 && plain->n_msgs >= 1 && server_label_ready(fx->srv, "t-linear")) {
            for (size_t i = 0; i < source_count(fx->src); i++) {
                server_send(fx->srv, source_frame(fx->src, i));
            }
            server_flush(fx->srv);
            fx->phase = 2;
        }
        break;
    case 2: /* frames in: ping and garbage */
        if (lin->n_msgs >= 3 && usdm->n_msgs >= 1 && plain->n_msgs >= 2 && server_idle(fx->srv)) {
            s_client_send(lin, "{\"op\":\"ping\"}");
            s_client_send(lin, "this is not json");
            s_client_send(lin, "{\"op\":\"dance\",\"req_id\":7}");
            s_client_send(usdm, "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@bookTicker\"],"
                                "\"id\":3}");
            fx->phase = 3;
        }
        break;
    case 3:
        if (lin->n_msgs >= 6 && usdm->n_msgs >= 2 && atomic_load(&fx->http_done)) {
            return -1; /* done */
        }
        break;
    default:
        break;
    }
    return 0;
}

static void
test_server_end_to_end(void **state)
{
    (void)state;
    s_fix_t fx;
    memset(&fx, 0, sizeof fx);
    s_fx = &fx;
    char lines[4096];
    snprintf(lines, sizeof lines, "%s\n%s\n%s\n%s\n", k_book1, k_ack_rec, k_trade, k_book2);
    char *bybit = s_tmp(lines, false);
    snprintf(lines, sizeof lines, "1 %s\n2 %s\n3 %s\n", k_bn_trade, k_bn_ticker, k_bn_snap);
    char *binance = s_tmp(lines, true);
    fx.src = source_new();
    assert_int_equal(source_load_bybit(fx.src, bybit, SOURCE_BYBIT_LINEAR), 0);
    assert_int_equal(source_load_binance(fx.src, binance, SOURCE_BINANCE_USDM), 0);
    assert_int_equal(source_finish(fx.src), 0);
    assert_int_equal(source_count(fx.src), 5);

    fx.loop = zloop_new();
    int64_t frames = 0, conns = 0, subs = 0, bad = 0;
    server_cfg_t sc = { .port = 0,
                        .src = fx.src,
                        .instruments_linear = "{\"retCode\":0}",
                        .frames_sent = &frames,
                        .connections = &conns,
                        .subscribe_ok = &subs,
                        .bad_requests = &bad };
    lws_set_log_level(LLL_ERR, NULL);
    fx.srv = server_new(fx.loop, &sc, s_on_server, &fx);
    assert_non_null(fx.srv);
    fx.port = server_port(fx.srv);
    assert_true(fx.port > 0);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = k_client_protocols;
    info.gid = -1;
    info.uid = -1;
    fx.clp = lwsloop_new(fx.loop);
    fx.cctx = lws_create_context(&info);
    assert_non_null(fx.cctx);
    lwsloop_set_context(fx.clp, fx.cctx);

    s_connect(&fx, "linear", "/v5/public/linear?replay_conn=t-linear");
    s_connect(&fx, "usdm", "/usdm/stream?streams=btcusdt@trade&replay_conn=t-usdm");
    s_connect(&fx, "plain", "/v5/public/linear");

    s_http_t h;
    memset(&h, 0, sizeof h);
    h.port = fx.port;
    h.done = &fx.http_done;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, s_http_thread, &h), 0);

    fx.deadline = clock_mono_ns() + 5 * CLOCK_NS_PER_S;
    zloop_timer(fx.loop, 5, 0, s_tick, &fx);
    zloop_start(fx.loop);
    pthread_join(th, NULL);

    s_client_t *lin = fx.clients[0], *usdm = fx.clients[1], *plain = fx.clients[2];
    assert_int_equal(fx.phase, 3);
    /* linear: ack (linear shape, req_id echoed), book1, book2 (not the trade), pong, 2 errors */
    assert_int_equal(lin->n_msgs, 6);
    assert_string_equal(lin->msgs[0],
                        "{\"success\":true,\"ret_msg\":\"\",\"conn_id\":\"venuesim-1\","
                        "\"req_id\":\"r1\",\"op\":\"subscribe\"}");
    assert_string_equal(lin->msgs[1], k_book1);
    assert_string_equal(lin->msgs[2], k_book2);
    assert_string_equal(lin->msgs[3], "{\"success\":true,\"ret_msg\":\"pong\",\"conn_id\":"
                                      "\"venuesim-1\",\"req_id\":\"\",\"op\":\"ping\"}");
    assert_string_equal(lin->msgs[4], "{\"success\":false,\"ret_msg\":\"error:invalid op\","
                                      "\"conn_id\":\"venuesim-1\",\"req_id\":\"\",\"op\":\"\"}");
    assert_string_equal(lin->msgs[5], "{\"success\":false,\"ret_msg\":\"error:invalid op\","
                                      "\"conn_id\":\"venuesim-1\",\"req_id\":7,\"op\":\"dance\"}");
    /* binance: the trade only (bookTicker not in the URL), then the SUBSCRIBE answer */
    assert_int_equal(usdm->n_msgs, 2);
    assert_string_equal(usdm->msgs[0], k_bn_trade);
    assert_string_equal(usdm->msgs[1], "{\"result\":null,\"id\":3}");
    /* plain: its ack (no req_id sent -> "") and the trade */
    assert_int_equal(plain->n_msgs, 2);
    assert_non_null(strstr(plain->msgs[0], "\"req_id\":\"\",\"op\":\"subscribe\"}"));
    assert_string_equal(plain->msgs[1], k_trade);

    /* counts per label = what each labelled client received; the plain one is not a label */
    codec_sys_barrier_t b;
    memset(&b, 0, sizeof b);
    server_fill_barrier(fx.srv, &b);
    assert_int_equal(b.n, 2);
    for (uint32_t i = 0; i < b.n; i++) {
        if (strcmp(b.labels[i], "t-linear") == 0) {
            assert_int_equal(b.counts[i], lin->n_msgs);
        } else {
            assert_string_equal(b.labels[i], "t-usdm");
            assert_int_equal(b.counts[i], usdm->n_msgs);
        }
    }
    assert_int_equal(frames, (int64_t)(lin->n_msgs + usdm->n_msgs + plain->n_msgs));
    assert_int_equal(conns, 3);
    assert_int_equal(subs, 3);
    /* bad: garbage, unknown op, unknown REST path, spot depth not loaded */
    assert_int_equal(bad, 4);
    assert_true(server_idle(fx.srv));
    assert_int_equal(server_open(fx.srv), 3);
    assert_true(fx.server_events > 0);

    /* REST */
    assert_int_equal(h.status[0], 200);
    assert_string_equal(h.body[0].data, "{\"retCode\":0}");
    assert_int_equal(h.status[1], 200);
    assert_string_equal(h.body[1].data, k_bn_snap);
    assert_int_equal(h.status[2], 404);
    assert_non_null(strstr(h.body[2].data, "\"retCode\":404"));
    assert_int_equal(h.status[3], 400);
    assert_string_equal(h.body[3].data, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");

    for (int i = 0; i < 4; i++) {
        free(h.body[i].data);
    }
    lwsloop_destroy(&fx.clp);
    lws_context_destroy(fx.cctx);
    server_destroy(&fx.srv);
    assert_null(fx.srv);
    for (size_t i = 0; i < fx.n_clients; i++) {
        for (size_t m = 0; m < fx.clients[i]->n_msgs; m++) {
            free(fx.clients[i]->msgs[m]);
        }
        free(fx.clients[i]);
    }
    zloop_destroy(&fx.loop);
    source_destroy(&fx.src);
    unlink(bybit);
    unlink(binance);
    free(bybit);
    free(binance);
    s_fx = NULL;
}

static void
test_port_in_use(void **state)
{
    (void)state;
    source_t *src = source_new();
    assert_int_equal(source_finish(src), 0);
    zloop_t *loop = zloop_new();
    server_cfg_t sc = { .port = 0, .src = src };
    server_t *a = server_new(loop, &sc, NULL, NULL);
    assert_non_null(a);
    sc.port = server_port(a);
    errno = 0;
    server_t *b = server_new(loop, &sc, NULL, NULL);
    assert_null(b);
    assert_int_equal(errno, EADDRINUSE);
    sc.port = 70000;
    errno = 0;
    assert_null(server_new(loop, &sc, NULL, NULL));
    assert_int_equal(errno, EINVAL);
    server_destroy(&a);
    zloop_destroy(&loop);
    source_destroy(&src);
}

/* LeakSanitizer hook (ignored without ASan): libwebsockets 4.1.6 leaks one 72-byte realloc
 * when lws_create_context fails to bind (test_port_in_use); the passing path is leak-free
 * (checked with test_server_end_to_end alone). */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
    return "leak:libwebsockets.so\n";
}

int
main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_end_to_end),
        cmocka_unit_test(test_port_in_use),
    };
    int rc = cmocka_run_group_tests_name("venue-sim server", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
