/*  test_step.c - replay barriers: buffered until every input's barrier, delivered in
 *  (evt, rank, seq) order, feedback one step late, hello forwarding with `ready`. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/step.h"

typedef struct {
    char log[64][48]; /* "<src>:<seq>" per delivery, "B<step>[r]" per barrier */
    size_t n;
} s_rec_t;

static void
s_deliver(const bus_msg_t *msg, void *arg)
{
    s_rec_t *r = arg;
    snprintf(r->log[r->n++], 48, "%s:%llu", msg->env.src, (unsigned long long)msg->env.seq);
}

static void
s_barrier(const codec_sys_barrier_t *b, void *arg)
{
    s_rec_t *r = arg;
    snprintf(r->log[r->n++], 48, "B%llu%s%s", (unsigned long long)b->step, b->ready ? "r" : "",
             b->end ? "e" : "");
}

/* Build a message from `src` with seq and evt; barrier if step >= 0. */
static bus_msg_t
s_msg(uint8_t *buf, const char *src, uint64_t seq, int64_t evt, int64_t step, bool ready)
{
    bus_msg_t m;
    memset(&m, 0, sizeof m);
    codec_env_t env = { .v = CODEC_VERSION, .epoch = 1, .seq = seq, .ts = 1, .evt = evt };
    snprintf(env.src, sizeof env.src, "%s", src);
    size_t len = 0;
    if (step >= 0) {
        codec_sys_barrier_t b;
        memset(&b, 0, sizeof b);
        b.step = (uint64_t)step;
        b.ts_event = evt;
        b.ready = ready;
        assert_int_equal(codec_encode(&env, CODEC_SYS_BARRIER, &b, buf, CODEC_MSG_MAX, &len), 0);
        snprintf(m.topic, sizeof m.topic, "sys.barrier");
        m.type = CODEC_SYS_BARRIER;
    } else {
        codec_md_trade_t t;
        memset(&t, 0, sizeof t);
        snprintf(t.venue, sizeof t.venue, "x");
        assert_int_equal(codec_encode(&env, CODEC_MD_TRADE, &t, buf, CODEC_MSG_MAX, &len), 0);
        snprintf(m.topic, sizeof m.topic, "md.trade.x.Y");
        m.type = CODEC_MD_TRADE;
    }
    m.env = env;
    m.data = buf;
    m.len = len;
    return m;
}

static void
s_push(step_t *st, const char *src, uint64_t seq, int64_t evt, int64_t step, bool ready)
{
    uint8_t buf[CODEC_MSG_MAX];
    bus_msg_t m = s_msg(buf, src, seq, evt, step, ready);
    assert_int_equal(step_push(st, &m), 0);
    memset(buf, 0xAA, sizeof buf); /* the step must have copied what it keeps */
}

static void
test_orders_by_evt_then_rank(void **state)
{
    (void)state;
    s_rec_t r = { .n = 0 };
    step_t *st = step_new(true, s_deliver, s_barrier, &r);
    assert_non_null(st);
    assert_int_equal(step_add_input(st, "feed.0", 0, false), 0);
    assert_int_equal(step_add_input(st, "signal.0", 1, false), 0);
    s_push(st, "feed.0", 1, 5, 0, true);   /* hello from feed: forwarded, not ready yet */
    s_push(st, "signal.0", 1, 5, 0, true); /* hello from signal: all inputs seen -> ready */
    s_push(st, "signal.0", 2, 200, -1, false);
    s_push(st, "feed.0", 2, 300, -1, false);
    s_push(st, "feed.0", 3, 200, -1, false); /* same evt as signal.0:2 -> feed (rank 0) first */
    s_push(st, "feed.0", 4, 1000, 1, false); /* barrier 1 from feed: signal's still missing */
    assert_int_equal(r.n, 2);                /* only the two hellos so far */
    s_push(st, "signal.0", 3, 1000, 1, false);
    const char *want[] = { "B0", "B0r", "feed.0:3", "signal.0:2", "feed.0:2", "B1" };
    assert_int_equal(r.n, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(r.log[i], want[i]);
    }
    assert_int_equal(step_released(st), 1);
    step_destroy(&st);
    assert_null(st);
}

static void
test_feedback_lags_one_step(void **state)
{
    (void)state;
    s_rec_t r = { .n = 0 };
    step_t *st = step_new(true, s_deliver, s_barrier, &r);
    assert_int_equal(step_add_input(st, "feed.0", 0, false), 0);
    assert_int_equal(step_add_input(st, "executor.0", 2, true), 0);
    s_push(st, "executor.0", 1, 0, -1, false); /* before any barrier: delivered at once */
    assert_string_equal(r.log[0], "executor.0:1");
    s_push(st, "feed.0", 1, 0, 0, true); /* hello; executor not seen yet -> not ready */
    assert_string_equal(r.log[1], "B0");
    s_push(st, "executor.0", 2, 0, 0, true); /* feedback hello: not forwarded */
    assert_int_equal(r.n, 2);
    s_push(st, "feed.0", 2, 10, -1, false);
    s_push(st, "feed.0", 3, 20, 1, false); /* step 1 needs executor >= 0: has it */
    assert_string_equal(r.log[2], "feed.0:2");
    assert_string_equal(r.log[3], "B1");
    s_push(st, "feed.0", 4, 30, -1, false);
    s_push(st, "feed.0", 5, 40, 2, false); /* step 2 needs executor barrier 1: not yet */
    assert_int_equal(r.n, 4);
    s_push(st, "executor.0", 3, 15, -1, false); /* a fill of step 1 */
    s_push(st, "executor.0", 4, 20, 1, false);
    /* feedback of step 1 first, then step 2's own messages */
    assert_int_equal(r.n, 7);
    assert_string_equal(r.log[4], "executor.0:3");
    assert_string_equal(r.log[5], "feed.0:4");
    assert_string_equal(r.log[6], "B2");
    step_destroy(&st);
}

static void
test_live_passes_through(void **state)
{
    (void)state;
    s_rec_t r = { .n = 0 };
    step_t *st = step_new(false, s_deliver, s_barrier, &r);
    assert_int_equal(step_add_input(st, "feed.0", 0, false), 0);
    s_push(st, "feed.0", 1, 50, -1, false);
    s_push(st, "feed.0", 2, 60, 1, false); /* barriers are ignored live */
    s_push(st, "feed.0", 3, 40, -1, false);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.log[0], "feed.0:1");
    assert_string_equal(r.log[1], "feed.0:3");
    step_destroy(&st);
}

static void
test_unknown_source_and_limits(void **state)
{
    (void)state;
    s_rec_t r = { .n = 0 };
    step_t *st = step_new(true, s_deliver, s_barrier, &r);
    for (int i = 0; i < 16; i++) {
        char src[24];
        snprintf(src, sizeof src, "feed.%d", i);
        assert_int_equal(step_add_input(st, src, 0, false), 0);
    }
    assert_int_equal(step_add_input(st, "feed.16", 0, false), -1);
    assert_int_equal(errno, ENOSPC);
    s_push(st, "tool.0", 1, 0, -1, false); /* not an input: delivered at once */
    assert_int_equal(r.n, 1);
    step_destroy(&st);
}

static void
test_restart_mid_replay_joins_late(void **state)
{
    (void)state;
    s_rec_t r = { .n = 0 };
    step_t *st = step_new(true, s_deliver, s_barrier, &r);
    assert_int_equal(step_add_input(st, "feed.0", 0, false), 0);
    assert_int_equal(step_add_input(st, "executor.0", 2, true), 0);
    /* a restarted stage: no hello; the stream picks up in the middle of step 41 */
    s_push(st, "feed.0", 900, 10, -1, false); /* before any barrier: delivered at once */
    s_push(st, "feed.0", 901, 20, 41, false); /* first barrier: 41 -> join, release 41 */
    assert_int_equal(step_released(st), 41);
    s_push(st, "feed.0", 902, 30, -1, false);
    s_push(st, "feed.0", 903, 40, 42, false); /* step 42 needs the executor's barrier 41 */
    assert_int_equal(r.n, 2);
    s_push(st, "executor.0", 7, 35, 41, false); /* the executor did step 41 after us */
    const char *want[] = { "feed.0:900", "B41", "feed.0:902", "B42" };
    assert_int_equal(r.n, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(r.log[i], want[i]);
    }
    /* a re-sent barrier: the latest is passed on again, an older one is not */
    s_push(st, "feed.0", 904, 40, 42, false);
    s_push(st, "feed.0", 905, 30, 41, false);
    assert_int_equal(r.n, 5);
    assert_string_equal(r.log[4], "B42");
    step_destroy(&st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orders_by_evt_then_rank),
        cmocka_unit_test(test_feedback_lags_one_step),
        cmocka_unit_test(test_live_passes_through),
        cmocka_unit_test(test_restart_mid_replay_joins_late),
        cmocka_unit_test(test_unknown_source_and_limits),
    };
    return cmocka_run_group_tests_name("step", tests, NULL, NULL);
}
