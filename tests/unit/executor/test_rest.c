/*  test_rest.c - Bybit v5 signing and the REST client's error paths (executor/rest.h).
 *  Expected signatures were computed outside the program with OpenSSL's command line, e.g.
 *    printf '%s' '1700000000000k15000{"category":"linear","symbol":"BTCUSDT"}' \
 *        | openssl dgst -sha256 -hmac 's1'
 *  (string to sign = timestamp + key + recv_window + payload, BYBIT_V5.md 2.2).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <czmq.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "executor/rest.h"

static void
test_sign_post_body(void **state)
{
    (void)state;
    char out[65];
    const char *body = "{\"category\":\"linear\",\"symbol\":\"BTCUSDT\"}";
    assert_int_equal(rest_sign("s1", "1700000000000", "k1", "5000", body, strlen(body), out), 0);
    assert_string_equal(out, "b6bf2e69aa7dc3e5be4060029c4cec2a7efe684d39fc1ada02ead1073d32de66");
}

static void
test_sign_get_query_and_empty(void **state)
{
    (void)state;
    char out[65];
    /* the guide's GET example string, signed here with the secret "test-secret" */
    const char *q = "category=option&symbol=BTC-29JUL22-25000-C";
    assert_int_equal(
        rest_sign("test-secret", "1658384314791", "XXXXXXXXXX", "5000", q, strlen(q), out), 0);
    assert_string_equal(out, "236d8f7132d3e4c8bad803010e296f3d07211356e54c01455b26c8229a682297");
    /* no parameters: the payload is the empty string */
    assert_int_equal(rest_sign("s1", "1700000000000", "k1", "5000", "", 0, out), 0);
    assert_string_equal(out, "52548bd0ca91aec15b9b1ad2edb53e8c4f4de36393e1e4f9dd1a2904d92be6e3");
}

static void
test_sign_einval(void **state)
{
    (void)state;
    char out[65];
    errno = 0;
    assert_int_equal(rest_sign(NULL, "1", "k", "5000", "", 0, out), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(rest_sign("s", "1", "k", "5000", NULL, 3, out), -1);
    assert_int_equal(errno, EINVAL);
}

static void
test_new_einval(void **state)
{
    (void)state;
    errno = 0;
    assert_null(rest_new("http://127.0.0.1:1", "", "s", 5000, 1000));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(rest_new("http://127.0.0.1:1", "k", "s", 0, 1000));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(rest_new(NULL, "k", "s", 5000, 1000));
    assert_int_equal(errno, EINVAL);
}

static void
test_call_refused(void **state)
{
    (void)state;
    /* port 1 on localhost: nothing listens, the connection is refused */
    rest_t *r = rest_new("http://127.0.0.1:1", "k", "s", 5000, 2000);
    assert_non_null(r);
    rest_resp_t resp;
    errno = 0;
    assert_int_equal(rest_call(r, false, "/v5/order/realtime", "category=linear", &resp), -1);
    assert_int_equal(errno, ECONNREFUSED);
    assert_int_equal(resp.http_status, 0);
    assert_int_equal(resp.ret_code, -1);
    assert_null(resp.result);
    assert_int_equal(rest_calls(r), 1);
    errno = 0;
    assert_int_equal(rest_sync_time(r), -1);
    assert_int_equal(errno, ECONNREFUSED);
    rest_destroy(&r);
    assert_null(r);
    rest_destroy(&r); /* no-op */
}

static void
test_codes(void **state)
{
    (void)state;
    /* BYBIT_V5.md 2.11: which codes mean "outcome unknown, query first" */
    assert_true(rest_code_unknown(10000));
    assert_true(rest_code_unknown(10002));
    assert_true(rest_code_unknown(10016));
    assert_true(rest_code_unknown(110072));
    assert_false(rest_code_unknown(110007));
    assert_false(rest_code_unknown(10004));
    assert_false(rest_code_unknown(0));
    assert_string_equal(rest_code_text(110017), "reduce-only rule not satisfied");
    assert_string_equal(rest_code_text(10006), "rate limit exceeded (too many visits)");
    assert_string_equal(rest_code_text(424242), "unlisted venue error");
    assert_string_equal(rest_code_text(170134), "spot: price not on tickSize (too many decimals)");
    /* every retCode venue-sim answers (its s_answer calls in tools/venue-sim) has a text:
     * a refusal on exec.order always says what it means */
    static const int k_sim[] = { 10001,  10002,  10003,  10004,  10006,  10016,  110001,
                                 110007, 110017, 110072, 110092, 110093, 170131, 170134,
                                 170136, 170137, 170140, 170141, 170213 };
    for (size_t i = 0; i < sizeof k_sim / sizeof k_sim[0]; i++) {
        assert_string_not_equal(rest_code_text(k_sim[i]), "unlisted venue error");
    }
}

/* ---- asynchronous calls (rest_attach / rest_start) ---------------------------------------
 * A one-shot HTTP server on the same zloop: it answers 200 ms after the request came, so the
 * test sees the loop keep running (a 10 ms timer ticking) while the call is in flight. */

typedef struct {
    int done, rc, err, ticks_in_flight;
    rest_resp_t resp;
    char order_id[40];
    int lfd, cfd;
    char req[4096];
    size_t req_len;
} s_async_t;

static s_async_t g_a;

static void
s_done(rest_t *rest, int rc, int err, rest_resp_t *resp, void *arg)
{
    (void)rest;
    (void)arg;
    g_a.done++;
    g_a.rc = rc;
    g_a.err = err;
    g_a.resp = *resp;
    const char *oid = json_string_value(json_object_get(resp->result, "orderId"));
    snprintf(g_a.order_id, sizeof g_a.order_id, "%s", oid ? oid : "");
    json_decref(resp->result);
    g_a.resp.result = NULL;
}

static int
s_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    if (g_a.done) {
        return -1; /* ends zloop_start */
    }
    g_a.ticks_in_flight++;
    return 0;
}

static int
s_answer(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    const char *body = "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"orderId\":\"abc-1\"},"
                       "\"retExtInfo\":{},\"time\":1700000000123}";
    char out[512];
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Bapi-Limit: 50\r\n"
                     "X-Bapi-Limit-Status: 49\r\nX-Bapi-Limit-Reset-Timestamp: 1700000000124\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     strlen(body), body);
    assert_int_equal(write(g_a.cfd, out, (size_t)n), n);
    return 0;
}

static int
s_client_readable(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)arg;
    ssize_t n = read(item->fd, g_a.req + g_a.req_len, sizeof g_a.req - 1 - g_a.req_len);
    if (n > 0) {
        g_a.req_len += (size_t)n;
        g_a.req[g_a.req_len] = '\0';
        if (strstr(g_a.req, "\r\n\r\n")) {
            zloop_poller_end(loop, item);
            assert_true(zloop_timer(loop, 200, 1, s_answer, NULL) >= 0);
        }
    }
    return 0;
}

static int
s_accept(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)arg;
    g_a.cfd = accept(item->fd, NULL, NULL);
    assert_true(g_a.cfd >= 0);
    zmq_pollitem_t c = { NULL, g_a.cfd, ZMQ_POLLIN, 0 };
    assert_int_equal(zloop_poller(loop, &c, s_client_readable, NULL), 0);
    zloop_poller_end(loop, item);
    return 0;
}

static void
test_async_call_does_not_block(void **state)
{
    (void)state;
    memset(&g_a, 0, sizeof g_a);
    g_a.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(g_a.lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(g_a.lfd, 4), 0);
    assert_int_equal(getsockname(g_a.lfd, (struct sockaddr *)&sa, &sl), 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", ntohs(sa.sin_port));

    zloop_t *loop = zloop_new();
    assert_non_null(loop);
    zmq_pollitem_t l = { NULL, g_a.lfd, ZMQ_POLLIN, 0 };
    assert_int_equal(zloop_poller(loop, &l, s_accept, NULL), 0);
    rest_t *r = rest_new(base, "k1", "s1", 5000, 3000);
    assert_non_null(r);
    assert_int_equal(rest_attach(r, loop), 0);
    errno = 0;
    assert_int_equal(rest_attach(r, loop), -1); /* once */
    assert_int_equal(errno, EINVAL);
    assert_int_equal(rest_start(r, false, "/v5/order/realtime", "category=linear", s_done, NULL),
                     0);
    assert_int_equal(g_a.done, 0); /* not answered inside rest_start */
    assert_int_equal(rest_in_flight(r), 1);
    assert_true(zloop_timer(loop, 10, 0, s_tick, NULL) >= 0);
    zloop_start(loop);
    assert_int_equal(g_a.done, 1);
    assert_int_equal(g_a.rc, 0);
    assert_int_equal(g_a.resp.http_status, 200);
    assert_int_equal(g_a.resp.ret_code, 0);
    assert_int_equal(g_a.resp.time_ms, 1700000000123LL);
    assert_int_equal(g_a.resp.limit, 50);
    assert_int_equal(g_a.resp.limit_status, 49);
    assert_string_equal(g_a.order_id, "abc-1");
    assert_int_equal(rest_in_flight(r), 0);
    /* the server held the answer 200 ms: the 10 ms timer kept firing meanwhile (a blocking
     * call would have let it fire at most once) */
    assert_true(g_a.ticks_in_flight >= 5);
    /* the request as sent: the query string and the signed headers (BYBIT_V5.md 2.2) */
    assert_non_null(strstr(g_a.req, "GET /v5/order/realtime?category=linear HTTP/1.1"));
    assert_non_null(strstr(g_a.req, "X-BAPI-API-KEY: k1"));
    assert_non_null(strstr(g_a.req, "X-BAPI-RECV-WINDOW: 5000"));
    assert_non_null(strstr(g_a.req, "X-BAPI-SIGN: "));

    /* destroyed with a call in flight (nothing listens any more: it stays connecting or is
     * refused later): the callback gets ECANCELED, once */
    close(g_a.cfd);
    close(g_a.lfd);
    g_a.done = 0;
    assert_int_equal(rest_start(r, true, "/v5/order/create", "{}", s_done, NULL), 0);
    assert_int_equal(g_a.done, 0);
    rest_destroy(&r);
    assert_int_equal(g_a.done, 1);
    assert_int_equal(g_a.err, ECANCELED);
    zloop_destroy(&loop);
}

/* Without a loop, rest_start runs the exchange at once and calls back before returning. */
static void
test_async_without_loop(void **state)
{
    (void)state;
    memset(&g_a, 0, sizeof g_a);
    rest_t *r = rest_new("http://127.0.0.1:1", "k", "s", 5000, 2000);
    assert_non_null(r);
    assert_int_equal(rest_start(r, false, "/v5/position/list", "category=linear", s_done, NULL), 0);
    assert_int_equal(g_a.done, 1);
    assert_int_equal(g_a.rc, -1);
    assert_int_equal(g_a.err, ECONNREFUSED);
    assert_int_equal(g_a.resp.time_ms, -1);
    assert_int_equal(rest_in_flight(r), 0);
    assert_int_equal(rest_start_time(r, s_done, NULL), 0);
    assert_int_equal(g_a.done, 2);
    assert_int_equal(g_a.err, ECONNREFUSED);
    rest_destroy(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_post_body),
        cmocka_unit_test(test_sign_get_query_and_empty),
        cmocka_unit_test(test_sign_einval),
        cmocka_unit_test(test_new_einval),
        cmocka_unit_test(test_call_refused),
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_async_call_does_not_block),
        cmocka_unit_test(test_async_without_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
