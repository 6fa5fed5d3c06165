/*  test_bus.c - real ZeroMQ sockets over ipc: publish/receive with sequence numbers, gap
 *  counting, a bind failure that names the endpoint, REQ/REP timeouts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/bus.h"
#include "common/clock.h"

static char s_ep[128];

static int
s_recv_wait(bus_sub_t *sub, bus_msg_t *m, int ms)
{
    int64_t until = clock_mono_ns() + (int64_t)ms * CLOCK_NS_PER_MS;
    while (clock_mono_ns() < until) {
        if (bus_sub_recv(sub, m) == 0) {
            return 0;
        }
        usleep(1000);
    }
    return -1;
}

static void
s_trade(codec_md_trade_t *t, int64_t px)
{
    memset(t, 0, sizeof *t);
    snprintf(t->venue, sizeof t->venue, "bybit-linear");
    snprintf(t->symbol, sizeof t->symbol, "BTCUSDT");
    t->px_scale = 1;
    t->qty_scale = 3;
    t->px = px;
    t->qty = 5;
    t->side = 1;
}

static void
test_pub_sub_roundtrip(void **state)
{
    (void)state;
    snprintf(s_ep, sizeof s_ep, "ipc:///tmp/tp-test-bus-%d.pub", (int)getpid());
    bus_pub_t *pub = bus_pub_new(s_ep, "feed.0", 0);
    assert_non_null(pub);
    bus_sub_t *sub = bus_sub_new(0);
    assert_non_null(sub);
    assert_int_equal(bus_sub_connect(sub, s_ep), 0);
    assert_int_equal(bus_sub_subscribe(sub, ""), 0);
    codec_md_trade_t t, out;
    bus_msg_t m;
    /* slow joiner: publish until the first message arrives */
    int got = -1;
    for (int i = 0; i < 200 && got != 0; i++) {
        s_trade(&t, 651142);
        assert_int_equal(
            bus_publish(pub, "md.trade.bybit-linear.BTCUSDT", CODEC_MD_TRADE, &t, 7, 3), 0);
        got = s_recv_wait(sub, &m, 10);
    }
    assert_int_equal(got, 0);
    while (bus_sub_recv(sub, &m) == 0) {
    }
    uint64_t base = bus_pub_seq(pub);
    assert_int_equal(bus_publish(pub, "md.trade.bybit-linear.BTCUSDT", CODEC_MD_TRADE, &t, 8, 3),
                     0);
    assert_int_equal(s_recv_wait(sub, &m, 1000), 0);
    assert_int_equal(m.env.seq, base + 1);
    assert_int_equal(m.gap, 0);
    assert_string_equal(m.env.src, "feed.0");
    assert_int_equal(m.env.evt, 8);
    assert_int_equal(m.env.origin, 3);
    assert_int_equal(codec_decode(m.data, m.len, CODEC_MD_TRADE, NULL, &out), 0);
    assert_int_equal(out.px, 651142);
    assert_int_equal(bus_sub_gaps(sub), 0);
    bus_sub_destroy(&sub);
    bus_pub_destroy(&pub);
    assert_null(pub);
}

/* A publisher that loses messages (as a PUB does at its high-water mark): a raw PUB sends
 * seq 1, 2, 5 of one (src, epoch), then seq 1 of a new epoch (a restart). */
static void
test_gap_counting(void **state)
{
    (void)state;
    char ep[128];
    snprintf(ep, sizeof ep, "ipc:///tmp/tp-test-bus-gap-%d.pub", (int)getpid());
    zsock_t *raw = zsock_new_pub(ep);
    assert_non_null(raw);
    bus_sub_t *sub = bus_sub_new(0);
    assert_int_equal(bus_sub_connect(sub, ep), 0);
    assert_int_equal(bus_sub_subscribe(sub, ""), 0);
    codec_md_trade_t t;
    s_trade(&t, 1);
    uint8_t buf[CODEC_MSG_MAX];
    size_t len;
    codec_env_t env = { .v = 1, .src = "feed.7", .epoch = 100, .seq = 0 };
    bus_msg_t m;
    /* join: send seq 0 (not counted) until it arrives */
    int got = -1;
    for (int i = 0; i < 200 && got != 0; i++) {
        assert_int_equal(codec_encode(&env, CODEC_MD_TRADE, &t, buf, sizeof buf, &len), 0);
        zsock_send(raw, "sb", "md.trade.x.Y", buf, len);
        got = s_recv_wait(sub, &m, 10);
    }
    assert_int_equal(got, 0);
    while (bus_sub_recv(sub, &m) == 0) {
    }
    const uint64_t seqs[] = { 1, 2, 5 };
    const uint64_t gaps[] = { 0, 0, 2 }; /* 3 and 4 never arrived */
    for (size_t i = 0; i < 3; i++) {
        env.seq = seqs[i];
        assert_int_equal(codec_encode(&env, CODEC_MD_TRADE, &t, buf, sizeof buf, &len), 0);
        zsock_send(raw, "sb", "md.trade.x.Y", buf, len);
        assert_int_equal(s_recv_wait(sub, &m, 1000), 0);
        assert_int_equal(m.env.seq, seqs[i]);
        assert_int_equal(m.gap, gaps[i]);
    }
    env.epoch = 200; /* restarted publisher: seq starts again, not a gap */
    env.seq = 1;
    assert_int_equal(codec_encode(&env, CODEC_MD_TRADE, &t, buf, sizeof buf, &len), 0);
    zsock_send(raw, "sb", "md.trade.x.Y", buf, len);
    assert_int_equal(s_recv_wait(sub, &m, 1000), 0);
    assert_int_equal(m.gap, 0);
    assert_int_equal(bus_sub_gaps(sub), 2);
    /* a malformed body is counted and skipped */
    zsock_send(raw, "ss", "md.trade.x.Y", "not msgpack");
    int64_t until = clock_mono_ns() + CLOCK_NS_PER_S;
    while (bus_sub_bad(sub) == 0 && clock_mono_ns() < until) {
        if (bus_sub_recv(sub, &m) != 0 && errno == EPROTO) {
            break;
        }
        usleep(1000);
    }
    assert_int_equal(bus_sub_bad(sub), 1);
    bus_sub_destroy(&sub);
    zsock_destroy(&raw);
}

static void
test_bind_failure_sets_errno(void **state)
{
    (void)state;
    bus_pub_t *pub = bus_pub_new("ipc:///nonexistent-dir/x/y.pub", "feed.0", 0);
    assert_null(pub);
    assert_int_equal(errno, ENOENT);
    pub = bus_pub_new("bogus://nowhere", "feed.0", 0);
    assert_null(pub);
    assert_int_equal(errno, EPROTONOSUPPORT);
}

static void
test_request_times_out(void **state)
{
    (void)state;
    char ep[128];
    snprintf(ep, sizeof ep, "ipc:///tmp/tp-test-bus-%d.none", (int)getpid());
    size_t len;
    int64_t t0 = clock_mono_ns();
    char *r = bus_request(ep, "status", 6, 100, &len);
    assert_null(r);
    assert_int_equal(errno, ETIMEDOUT);
    assert_true(clock_mono_ns() - t0 >= 90 * CLOCK_NS_PER_MS);
}

/* Smart batching: corked messages stay in the publisher until the flush (none arrives within
 * 200 ms), then arrive in publish order with consecutive seqs and no gap; a batch that reaches
 * BUS_BATCH_MAX hands itself over while staying corked; after the flush, an uncorked publish
 * follows the batch. */
static void
test_cork_and_flush(void **state)
{
    (void)state;
    snprintf(s_ep, sizeof s_ep, "ipc:///tmp/tp-test-bus-cork-%d.pub", (int)getpid());
    bus_pub_t *pub = bus_pub_new(s_ep, "feed.0", 0);
    bus_sub_t *sub = bus_sub_new(0);
    assert_non_null(pub);
    assert_non_null(sub);
    assert_int_equal(bus_sub_connect(sub, s_ep), 0);
    assert_int_equal(bus_sub_subscribe(sub, ""), 0);
    codec_md_trade_t t, out;
    bus_msg_t m;
    int got = -1;
    for (int i = 0; i < 200 && got != 0; i++) { /* slow joiner */
        s_trade(&t, 1);
        assert_int_equal(bus_publish(pub, "md.trade.x.y", CODEC_MD_TRADE, &t, 1, 0), 0);
        got = s_recv_wait(sub, &m, 10);
    }
    assert_int_equal(got, 0);
    while (s_recv_wait(sub, &m, 50) == 0) {
    }
    uint64_t base = bus_pub_seq(pub);

    bus_pub_cork(pub);
    assert_true(bus_pub_corked(pub));
    for (int i = 0; i < 3; i++) {
        s_trade(&t, 100 + i);
        assert_int_equal(bus_publish(pub, "md.trade.x.y", CODEC_MD_TRADE, &t, 10 + i, 0), 0);
    }
    assert_int_equal(bus_pub_seq(pub), base + 3); /* seq assigned at publish */
    assert_int_equal(s_recv_wait(sub, &m, 200), -1);
    assert_int_equal(bus_pub_flush(pub), 0);
    assert_false(bus_pub_corked(pub));
    s_trade(&t, 103);
    assert_int_equal(bus_publish(pub, "md.trade.x.y", CODEC_MD_TRADE, &t, 13, 0), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s_recv_wait(sub, &m, 1000), 0);
        assert_string_equal(m.topic, "md.trade.x.y");
        assert_int_equal(m.env.seq, base + 1 + (uint64_t)i);
        assert_int_equal(m.gap, 0);
        assert_int_equal(m.env.evt, 10 + i);
        assert_int_equal(codec_decode(m.data, m.len, CODEC_MD_TRADE, NULL, &out), 0);
        assert_int_equal(out.px, 100 + i);
    }

    /* a full batch goes out by itself, the publisher stays corked */
    base = bus_pub_seq(pub);
    bus_pub_cork(pub);
    for (int i = 0; i < BUS_BATCH_MAX; i++) {
        s_trade(&t, i);
        assert_int_equal(bus_publish(pub, "md.trade.x.y", CODEC_MD_TRADE, &t, i, 0), 0);
    }
    assert_true(bus_pub_corked(pub));
    for (int i = 0; i < BUS_BATCH_MAX; i++) {
        assert_int_equal(s_recv_wait(sub, &m, 1000), 0);
        assert_int_equal(m.env.seq, base + 1 + (uint64_t)i);
    }
    s_trade(&t, 7);
    assert_int_equal(bus_publish(pub, "md.trade.x.y", CODEC_MD_TRADE, &t, 7, 0), 0);
    assert_int_equal(s_recv_wait(sub, &m, 200), -1); /* the next batch waits for the flush */
    assert_int_equal(bus_pub_flush(pub), 0);
    assert_int_equal(s_recv_wait(sub, &m, 1000), 0);
    assert_int_equal(m.env.seq, base + BUS_BATCH_MAX + 1);
    assert_int_equal(bus_sub_gaps(sub), 0);

    /* destroying a corked publisher hands the batch over first (linger) */
    bus_pub_cork(pub);
    assert_int_equal(bus_publish(pub, "md.trade.x.y", CODEC_MD_TRADE, &t, 8, 0), 0);
    bus_pub_destroy(&pub);
    assert_int_equal(s_recv_wait(sub, &m, 1000), 0);
    assert_int_equal(m.env.evt, 8);
    bus_sub_destroy(&sub);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pub_sub_roundtrip), cmocka_unit_test(test_gap_counting),
        cmocka_unit_test(test_cork_and_flush),    cmocka_unit_test(test_bind_failure_sets_errno),
        cmocka_unit_test(test_request_times_out),
    };
    return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
