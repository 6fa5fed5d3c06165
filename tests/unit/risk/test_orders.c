/*  test_orders.c - unit tests of risk/orders: client ids, and the order REQ/REP (Lazy Pirate)
 *  against a tiny REP server in a czmq actor thread, over real ZeroMQ ipc in /tmp.
 *  The server can hold its answer to the first request past risk's timeout, answer with a
 *  wrong client id, or never answer; it records every request it got.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <czmq.h>

#include "common/codec.h"
#include "risk/orders.h"

#define S_MAX_REQ 8

typedef enum { S_ANSWER, S_WRONG_ID, S_SILENT } s_mode_t;

typedef struct {
    char endpoint[128];
    s_mode_t mode;
    int delay_first_ms; /* hold the first answer this long (risk's REQ is gone by then) */
    int n_req;
    char ids[S_MAX_REQ][CODEC_ID_MAX];
    uint64_t seqs[S_MAX_REQ];
    size_t lens[S_MAX_REQ];
    uint8_t bytes[S_MAX_REQ][512];
} s_server_t;

static void
s_server(zsock_t *pipe, void *arg)
{
    s_server_t *sv = arg;
    zsock_t *rep = zsock_new_rep(sv->endpoint); /* binds */
    zpoller_t *poller = rep ? zpoller_new(pipe, rep, NULL) : NULL;
    zsock_signal(pipe, rep && poller ? 0 : 1);
    while (poller) {
        void *which = zpoller_wait(poller, -1);
        if (which != rep) {
            break; /* $TERM from zactor_destroy, or interrupted */
        }
        zframe_t *f = zframe_recv(rep);
        if (!f) {
            break;
        }
        codec_env_t env;
        codec_risk_order_t ord;
        int i = sv->n_req < S_MAX_REQ ? sv->n_req : S_MAX_REQ - 1;
        if (codec_decode(zframe_data(f), zframe_size(f), CODEC_RISK_ORDER, &env, &ord) == 0) {
            memcpy(sv->ids[i], ord.client_id, CODEC_ID_MAX);
            sv->seqs[i] = env.seq;
        }
        sv->lens[i] = zframe_size(f) < 512 ? zframe_size(f) : 512;
        memcpy(sv->bytes[i], zframe_data(f), sv->lens[i]);
        zframe_destroy(&f);
        sv->n_req++;
        if (sv->mode == S_SILENT) {
            continue; /* never answers; REP never reads again either, fine for the test */
        }
        if (sv->n_req == 1 && sv->delay_first_ms > 0) {
            zclock_sleep(sv->delay_first_ms);
        }
        codec_env_t renv = { .v = CODEC_VERSION, .src = "executor.0", .seq = (uint64_t)sv->n_req };
        codec_order_ack_t ack;
        memset(&ack, 0, sizeof ack);
        snprintf(ack.client_id, sizeof ack.client_id, "%s",
                 sv->mode == S_WRONG_ID ? "rk-0-99" : ord.client_id);
        ack.accepted = true;
        strcpy(ack.status, "New");
        uint8_t buf[CODEC_MSG_MAX];
        size_t len = 0;
        if (codec_encode(&renv, CODEC_ORDER_ACK, &ack, buf, sizeof buf, &len) == 0) {
            zframe_t *r = zframe_new(buf, len);
            (void)zframe_send(&r, rep, 0); /* to a closed REQ this is silently dropped */
        }
    }
    zpoller_destroy(&poller);
    zsock_destroy(&rep);
}

static codec_risk_order_t
s_order(const char *cid)
{
    codec_risk_order_t o;
    memset(&o, 0, sizeof o);
    snprintf(o.client_id, sizeof o.client_id, "%s", cid);
    strcpy(o.strategy, "ema_rsi.btc");
    strcpy(o.venue, "binance-spot");
    strcpy(o.symbol, "BTCUSDT");
    strcpy(o.intent, "entry");
    o.side = 1;
    o.type = CODEC_ORD_MARKET;
    o.px_scale = 2;
    o.qty_scale = 5;
    o.qty = 7678;
    o.sl_px = 6478862;
    o.tp_px = 6576534;
    o.ts_event = INT64_C(1762160400000) * 1000000;
    o.ttl_ns = INT64_C(60000) * 1000000;
    return o;
}

static void
s_endpoint(char *out, size_t cap, const char *tag)
{
    snprintf(out, cap, "ipc:///tmp/tp-test-risk-%d-%s.orders", (int)getpid(), tag);
}

/* zmq leaves the ipc socket file behind: remove ours ("ipc://" + path) */
static void
s_unlink(const char *endpoint)
{
    (void)unlink(endpoint + strlen("ipc://")); /* best effort: a missing file is fine */
}

static void
test_cid(void **state)
{
    (void)state;
    risk_cid_t gen = { 0 };
    char id[64];
    /* 2025-11-03T09:00:00.000Z = 1762160400000 ms */
    int64_t t = INT64_C(1762160400000) * 1000000;
    assert_int_equal(risk_cid_next(&gen, t, id, sizeof id), 0);
    assert_string_equal(id, "rk-1762160400000-1");
    assert_int_equal(risk_cid_next(&gen, t + 999999, id, sizeof id), 0); /* same ms */
    assert_string_equal(id, "rk-1762160400000-2");
    assert_int_equal(risk_cid_next(&gen, t + 1000000, id, sizeof id), 0); /* next ms */
    assert_string_equal(id, "rk-1762160400001-1");
    /* longest: INT64_MAX ns = 9223372036854 ms; "rk-9223372036854-1" = 18 chars <= 36 */
    assert_int_equal(risk_cid_next(&gen, INT64_MAX, id, sizeof id), 0);
    assert_string_equal(id, "rk-9223372036854-1");
    for (const char *c = id; *c; c++) { /* Bybit orderLinkId alphabet */
        assert_true((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
                    || *c == '-' || *c == '_');
    }
    risk_cid_t before = gen;
    char small[8] = "unset";
    errno = 0;
    assert_int_equal(risk_cid_next(&gen, t, small, sizeof small), -1);
    assert_int_equal(errno, ERANGE);
    assert_string_equal(small, "unset");
    assert_true(gen.ms == before.ms && gen.n == before.n); /* unchanged on failure */
    errno = 0;
    assert_int_equal(risk_cid_next(&gen, -1, id, sizeof id), -1);
    assert_int_equal(errno, EINVAL);
}

static void
test_new_errors(void **state)
{
    (void)state;
    errno = 0;
    assert_null(risk_orders_new("ipc:///tmp/x", "risk.0", 1, 0, 3));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(risk_orders_new("ipc:///tmp/x", "risk.0", 1, 100, -1));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(risk_orders_new(NULL, "risk.0", 1, 100, 1));
    assert_int_equal(errno, EINVAL);
}

/* The first answer comes 400 ms after a 150 ms timeout: risk has closed that REQ and retried
 * on a fresh one. The retry must carry the same client_id (and the same bytes). */
static void
test_late_first_answer_retry_same_id(void **state)
{
    (void)state;
    s_server_t sv;
    memset(&sv, 0, sizeof sv);
    s_endpoint(sv.endpoint, sizeof sv.endpoint, "late");
    sv.mode = S_ANSWER;
    sv.delay_first_ms = 400;
    zactor_t *srv = zactor_new(s_server, &sv);
    assert_non_null(srv);
    risk_orders_t *ro = risk_orders_new(sv.endpoint, "risk.0", 42, 150, 3);
    assert_non_null(ro);
    codec_risk_order_t o = s_order("rk-1762160400000-1");
    codec_order_ack_t ack;
    memset(&ack, 0, sizeof ack);
    int64_t t0 = zclock_mono();
    assert_int_equal(risk_orders_send(ro, &o, o.ts_event, 777, &ack), 0);
    int64_t took = zclock_mono() - t0;
    assert_true(ack.accepted);
    assert_string_equal(ack.client_id, "rk-1762160400000-1");
    /* tries: 1 (timed out after 150 ms) + 1 or more retries queued while the server slept;
     * the server answers each in order, the retry's answer is the one that counts */
    assert_true(risk_orders_tries(ro) >= 2);
    assert_true(took >= 150);
    zactor_destroy(&srv); /* joins the thread: sv is stable now */
    s_unlink(sv.endpoint);
    assert_true(sv.n_req >= 2 && sv.n_req <= S_MAX_REQ);
    assert_true((uint64_t)sv.n_req == risk_orders_tries(ro)); /* every try reached it */
    for (int i = 0; i < sv.n_req; i++) {
        assert_string_equal(sv.ids[i], "rk-1762160400000-1");
        assert_true(sv.seqs[i] == sv.seqs[0]); /* the very same request, not a new one */
        assert_true(sv.lens[i] == sv.lens[0]);
        assert_memory_equal(sv.bytes[i], sv.bytes[0], sv.lens[0]);
    }
    /* the envelope says who and when */
    codec_env_t env;
    codec_risk_order_t got;
    assert_int_equal(codec_decode(sv.bytes[0], sv.lens[0], CODEC_RISK_ORDER, &env, &got), 0);
    assert_string_equal(env.src, "risk.0");
    assert_true(env.epoch == 42);
    assert_true(env.evt == o.ts_event);
    assert_true(env.origin == 777);
    assert_true(got.qty == 7678 && got.sl_px == 6478862);
    risk_orders_destroy(&ro);
    assert_null(ro);
}

static void
test_no_answer_times_out(void **state)
{
    (void)state;
    s_server_t sv;
    memset(&sv, 0, sizeof sv);
    s_endpoint(sv.endpoint, sizeof sv.endpoint, "silent");
    sv.mode = S_SILENT;
    zactor_t *srv = zactor_new(s_server, &sv);
    assert_non_null(srv);
    risk_orders_t *ro = risk_orders_new(sv.endpoint, "risk.0", 1, 100, 2);
    codec_risk_order_t o = s_order("rk-1762160400000-2");
    codec_order_ack_t ack;
    memset(&ack, 0, sizeof ack);
    strcpy(ack.client_id, "untouched");
    errno = 0;
    assert_int_equal(risk_orders_send(ro, &o, o.ts_event, 0, &ack), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_true(risk_orders_tries(ro) == 3); /* 1 + 2 retries */
    assert_string_equal(ack.client_id, "untouched");
    zactor_destroy(&srv);
    s_unlink(sv.endpoint);
    assert_int_equal(sv.n_req, 1); /* the silent REP read one and never answered */
    risk_orders_destroy(&ro);
}

static void
test_wrong_ack_is_eproto(void **state)
{
    (void)state;
    s_server_t sv;
    memset(&sv, 0, sizeof sv);
    s_endpoint(sv.endpoint, sizeof sv.endpoint, "wrong");
    sv.mode = S_WRONG_ID;
    zactor_t *srv = zactor_new(s_server, &sv);
    assert_non_null(srv);
    risk_orders_t *ro = risk_orders_new(sv.endpoint, "risk.0", 1, 500, 1);
    codec_risk_order_t o = s_order("rk-1762160400000-3");
    codec_order_ack_t ack;
    errno = 0;
    assert_int_equal(risk_orders_send(ro, &o, o.ts_event, 0, &ack), -1);
    assert_int_equal(errno, EPROTO);
    assert_true(risk_orders_tries(ro) == 2);
    zactor_destroy(&srv);
    s_unlink(sv.endpoint);
    assert_int_equal(sv.n_req, 2);
    risk_orders_destroy(&ro);
}

int
main(void)
{
    zsys_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cid),
        cmocka_unit_test(test_new_errors),
        cmocka_unit_test(test_late_first_answer_retry_same_id),
        cmocka_unit_test(test_no_answer_times_out),
        cmocka_unit_test(test_wrong_ack_is_eproto),
    };
    int rc = cmocka_run_group_tests_name("risk_orders", tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
