/*  test_xbus.c - the in-process bus: the envelope as bus_publish writes it, the decoded
 *  handoff (a shared refcounted body; bytes only for a topic of another type and when asked
 *  for), prefix and
 *  publisher filtering, FIFO delivery with publishes from inside a receiver, and a replay step
 *  through xbus + step_t delivering in exactly the order step.c gives the same messages
 *  pushed as ZeroMQ could interleave them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/step.h"
#include "tools/backtest/xbus.h"

typedef struct {
    char log[64][48];
    size_t n;
} s_rec_t;

static void
s_log_msg(const bus_msg_t *msg, void *arg)
{
    s_rec_t *r = arg;
    assert_true(r->n < 64);
    snprintf(r->log[r->n++], 48, "%s:%llu", msg->env.src, (unsigned long long)msg->env.seq);
}

static void
s_log_barrier(const codec_sys_barrier_t *b, void *arg)
{
    s_rec_t *r = arg;
    assert_true(r->n < 64);
    snprintf(r->log[r->n++], 48, "B%llu%s", (unsigned long long)b->step, b->ready ? "r" : "");
}

static codec_md_trade_t
s_trade(int64_t evt)
{
    codec_md_trade_t t;
    memset(&t, 0, sizeof t);
    snprintf(t.venue, sizeof t.venue, "x");
    snprintf(t.symbol, sizeof t.symbol, "Y");
    t.ts_event = evt;
    t.px = evt * 10;
    t.px_scale = 2;
    return t;
}

/* ---- envelope ------------------------------------------------------------------------ */

typedef struct {
    bus_msg_t msg;
    uint8_t data[CODEC_MSG_MAX];
    int calls;
} s_last_t;

static void
s_keep(const bus_msg_t *msg, void *arg)
{
    s_last_t *l = arg;
    l->msg = *msg;
    memcpy(l->data, msg->data, msg->len);
    l->msg.data = l->data;
    l->calls++;
}

static void
test_envelope_as_bus_publish(void **state)
{
    (void)state;
    xbus_t *bus = xbus_new();
    assert_non_null(bus);
    xbus_pub_t *p = xbus_pub(bus, "feed.0", 777);
    assert_non_null(p);
    assert_ptr_equal(xbus_pub(bus, "feed.0", 1), p); /* one publisher per src */
    s_last_t last = { .calls = 0 };
    assert_int_equal(xbus_sub(bus, p, "md.trade.", s_keep, &last), 0);
    codec_md_trade_t t = s_trade(5000);
    assert_int_equal(xbus_publish(p, "md.trade.x.Y", CODEC_MD_TRADE, &t, 5000, 42), 0);
    assert_int_equal(xbus_publish(p, "md.trade.x.Y", CODEC_MD_TRADE, &t, 6000, 43), 0);
    assert_int_equal(xbus_pending(bus), 2);
    assert_int_equal(last.calls, 0); /* a publish never calls a receiver */
    assert_int_equal(xbus_run(bus), 2);
    assert_int_equal(last.calls, 2);
    assert_string_equal(last.msg.topic, "md.trade.x.Y");
    assert_int_equal(last.msg.type, CODEC_MD_TRADE);
    assert_string_equal(last.msg.env.src, "feed.0");
    assert_int_equal(last.msg.env.seq, 2);
    assert_int_equal(last.msg.env.epoch, 777);
    assert_int_equal(last.msg.env.evt, 6000);
    assert_int_equal(last.msg.env.origin, 43);
    assert_true(last.msg.env.ts > 0);
    assert_int_equal(last.msg.gap, 0);
    /* decoded handoff: no bytes, the body as published, held until released */
    assert_int_equal(last.msg.len, 0);
    assert_non_null(last.msg.body);
    const codec_md_trade_t *got = last.msg.body;
    assert_int_equal(got->px, 50000);
    assert_string_equal(got->symbol, "Y");
    assert_int_equal(xbus_live_bodies(bus), 2); /* s_keep kept both */
    xbus_release(bus, &last.msg);
    assert_int_equal(xbus_live_bodies(bus), 1);
    assert_int_equal(xbus_pub_seq(p), 2);
    /* asked to encode everything: the bytes are the codec's, envelope and body decode back */
    xbus_set_encode(bus, true);
    assert_int_equal(xbus_publish(p, "md.trade.x.Y", CODEC_MD_TRADE, &t, 7000, 44), 0);
    assert_int_equal(xbus_run(bus), 1);
    assert_null(last.msg.body);
    codec_env_t env;
    codec_md_trade_t back;
    assert_int_equal(codec_decode(last.msg.data, last.msg.len, CODEC_MD_TRADE, &env, &back), 0);
    assert_int_equal(env.seq, 3);
    assert_int_equal(env.evt, 7000);
    assert_int_equal(back.px, 50000);
    assert_string_equal(back.symbol, "Y");
    xbus_set_encode(bus, false);
    /* a body the topic types otherwise goes as bytes (decoded by the topic's type) */
    codec_md_book_t book;
    memset(&book, 0, sizeof book);
    assert_int_equal(xbus_publish(p, "md.trade.x.Y", CODEC_MD_BOOK, &book, 8000, 0), 0);
    assert_int_equal(xbus_run(bus), 1);
    assert_null(last.msg.body);
    assert_true(last.msg.len > 0);
    assert_int_equal(xbus_live_bodies(bus), 1);
    xbus_destroy(&bus); /* frees the block still held */
    assert_null(bus);
}

/* A body shared by several receivers lives until the last one releases it, then its block
 * is reused; barriers are handed decoded too (step_t takes msg->body). */
typedef struct {
    xbus_t *bus;
    bus_msg_t kept[4];
    size_t n;
} s_hold_t;

static void
s_hold(const bus_msg_t *msg, void *arg)
{
    s_hold_t *h = arg;
    assert_true(h->n < 4);
    h->kept[h->n++] = *msg;
}

static void
test_body_refcount(void **state)
{
    (void)state;
    xbus_t *bus = xbus_new();
    xbus_pub_t *p = xbus_pub(bus, "feed.0", 1);
    s_hold_t a = { .bus = bus, .n = 0 }, b = { .bus = bus, .n = 0 };
    assert_int_equal(xbus_sub(bus, p, "", s_hold, &a), 0);
    assert_int_equal(xbus_sub(bus, p, "md.", s_hold, &b), 0);
    codec_md_trade_t t = s_trade(9);
    assert_int_equal(xbus_publish(p, "md.trade.x.Y", CODEC_MD_TRADE, &t, 9, 0), 0);
    codec_sys_barrier_t bar;
    memset(&bar, 0, sizeof bar);
    bar.step = 3;
    assert_int_equal(xbus_publish(p, "sys.barrier", CODEC_SYS_BARRIER, &bar, 9, 0), 0);
    assert_int_equal(xbus_run(bus), 3);
    assert_int_equal(a.n, 2);
    assert_int_equal(b.n, 1);
    assert_ptr_equal(a.kept[0].body, b.kept[0].body); /* one copy for both */
    assert_int_equal(a.kept[1].len, 0);               /* the barrier: decoded too */
    assert_int_equal(((const codec_sys_barrier_t *)a.kept[1].body)->step, 3);
    assert_int_equal(xbus_live_bodies(bus), 2);
    xbus_release(bus, &a.kept[0]);
    assert_int_equal(xbus_live_bodies(bus), 2);
    assert_int_equal(((const codec_md_trade_t *)b.kept[0].body)->ts_event, 9); /* still there */
    xbus_release(bus, &b.kept[0]);
    xbus_release(bus, &a.kept[1]);
    assert_int_equal(xbus_live_bodies(bus), 0);
    bus_msg_t none;
    memset(&none, 0, sizeof none);
    xbus_release(bus, &none); /* no body: a no-op */
    assert_int_equal(xbus_live_bodies(bus), 0);
    xbus_destroy(&bus);
}

static void
test_filters_by_publisher_and_prefix(void **state)
{
    (void)state;
    xbus_t *bus = xbus_new();
    xbus_pub_t *a = xbus_pub(bus, "feed.0", 1), *b = xbus_pub(bus, "signal.0", 1);
    s_rec_t all = { .n = 0 }, md = { .n = 0 };
    assert_int_equal(xbus_sub(bus, a, "", s_log_msg, &all), 0);
    assert_int_equal(xbus_sub(bus, b, "", s_log_msg, &all), 0);
    assert_int_equal(xbus_sub(bus, a, "md.", s_log_msg, &md), 0);
    codec_md_trade_t t = s_trade(1);
    codec_sys_barrier_t bar;
    memset(&bar, 0, sizeof bar);
    assert_int_equal(xbus_publish(a, "md.trade.x.Y", CODEC_MD_TRADE, &t, 1, 0), 0);
    assert_int_equal(xbus_publish(b, "md.trade.x.Y", CODEC_MD_TRADE, &t, 1, 0), 0);
    assert_int_equal(xbus_publish(a, "sys.barrier", CODEC_SYS_BARRIER, &bar, 1, 0), 0);
    (void)xbus_run(bus);
    assert_int_equal(all.n, 3);
    assert_string_equal(all.log[0], "feed.0:1");
    assert_string_equal(all.log[1], "signal.0:1");
    assert_string_equal(all.log[2], "feed.0:2");
    assert_int_equal(md.n, 1);
    assert_string_equal(md.log[0], "feed.0:1");
    /* bad arguments */
    errno = 0;
    assert_null(xbus_pub(bus, "", 1));
    assert_int_equal(errno, EINVAL);
    xbus_destroy(&bus);
}

typedef struct {
    xbus_t *bus;
    xbus_pub_t *out;
    s_rec_t *rec;
} s_echo2_t;

static void
s_echo2(const bus_msg_t *msg, void *arg)
{
    s_echo2_t *e = arg;
    uint8_t copy[CODEC_MSG_MAX];
    memcpy(copy, msg->data, msg->len);
    s_log_msg(msg, e->rec);
    codec_md_trade_t t = s_trade(msg->env.evt);
    /* enough publishes to make the queue and the arena grow (and move) */
    for (int i = 0; i < 3000; i++) {
        assert_int_equal(xbus_publish(e->out, "md.trade.x.Y", CODEC_MD_TRADE, &t, msg->env.evt, 0),
                         0);
    }
    assert_int_equal(xbus_run(e->bus), 0); /* nested: the outer call delivers */
    assert_memory_equal(copy, msg->data, msg->len);
}

static void
test_fifo_nested(void **state)
{
    (void)state;
    xbus_t *bus = xbus_new();
    xbus_pub_t *in = xbus_pub(bus, "feed.0", 1), *out = xbus_pub(bus, "signal.0", 1);
    s_rec_t got = { .n = 0 };
    s_echo2_t echo = { .bus = bus, .out = out, .rec = &got };
    assert_int_equal(xbus_sub(bus, in, "", s_echo2, &echo), 0);
    s_last_t last = { .calls = 0 };
    assert_int_equal(xbus_sub(bus, out, "", s_keep, &last), 0);
    codec_md_trade_t t = s_trade(7);
    assert_int_equal(xbus_publish(in, "md.trade.x.Y", CODEC_MD_TRADE, &t, 7, 0), 0);
    assert_int_equal(xbus_publish(in, "md.trade.x.Y", CODEC_MD_TRADE, &t, 8, 0), 0);
    assert_int_equal(xbus_run(bus), 2 + 6000);
    /* both inputs first (queued before anything the receiver published), then the echoes */
    assert_int_equal(got.n, 2);
    assert_string_equal(got.log[0], "feed.0:1");
    assert_string_equal(got.log[1], "feed.0:2");
    assert_int_equal(last.calls, 6000);
    assert_int_equal(last.msg.env.seq, 6000);
    assert_int_equal(last.msg.env.evt, 8);
    assert_int_equal(xbus_pending(bus), 0);
    xbus_destroy(&bus);
}

/* ---- replay step order ---------------------------------------------------------------- */

/* One publication of the scenario: publisher index, evt, barrier step (-1: a trade). */
typedef struct {
    int pub;
    int64_t evt;
    int64_t step;
} s_op_t;

static const char *const k_src[] = { "feed.0", "signal.0", "executor.0" };

/* Hellos in one fixed order, then step 1 and 2 of three publishers: feed (rank 0), signal
 * (rank 1) and the executor (rank 2, feedback). */
static const s_op_t k_ops[] = {
    { 0, 100, 0 },  { 1, 100, 0 },  { 2, 100, 0 },                 /* hellos (seq 1 each) */
    { 0, 300, -1 }, { 0, 100, -1 }, { 0, 200, -1 }, { 0, 350, 1 }, /* feed seq 2, 3, 4, B 5 */
    { 1, 100, -1 }, { 1, 50, -1 },  { 1, 350, 1 },                 /* signal seq 2, 3, B 4 */
    { 2, 10, -1 },  { 2, 350, 1 },                                 /* executor seq 2, B 3 */
    { 0, 400, -1 }, { 0, 450, 2 },                                 /* feed seq 6, B 7 */
    { 1, 400, -1 }, { 1, 450, 2 },                                 /* signal seq 5, B 6 */
};
#define N_OPS (sizeof k_ops / sizeof k_ops[0])

static void
s_body(const s_op_t *op, codec_type_t *type, codec_body_t *body, const char **topic)
{
    memset(body, 0, sizeof *body);
    if (op->step >= 0) {
        body->barrier.step = (uint64_t)op->step;
        body->barrier.ts_event = op->evt;
        body->barrier.ready = op->step == 0;
        *type = CODEC_SYS_BARRIER;
        *topic = "sys.barrier";
    } else {
        body->trade = s_trade(op->evt);
        *type = CODEC_MD_TRADE;
        *topic = "md.trade.x.Y";
    }
}

static step_t *
s_consumer(s_rec_t *rec)
{
    step_t *st = step_new(true, s_log_msg, s_log_barrier, rec);
    assert_non_null(st);
    assert_int_equal(step_add_input(st, "feed.0", 0, false), 0);
    assert_int_equal(step_add_input(st, "signal.0", 1, false), 0);
    assert_int_equal(step_add_input(st, "executor.0", 2, true), 0);
    return st;
}

static void
s_to_step(const bus_msg_t *msg, void *arg)
{
    assert_int_equal(step_push(arg, msg), 0);
}

static void
test_step_order_matches_step_c(void **state)
{
    (void)state;
    /* through xbus, in publish order */
    s_rec_t via_xbus = { .n = 0 };
    step_t *a = s_consumer(&via_xbus);
    xbus_t *bus = xbus_new();
    xbus_pub_t *pubs[3];
    for (int i = 0; i < 3; i++) {
        pubs[i] = xbus_pub(bus, k_src[i], 1);
        assert_int_equal(xbus_sub(bus, pubs[i], "", s_to_step, a), 0);
    }
    for (size_t i = 0; i < N_OPS; i++) {
        codec_type_t type;
        codec_body_t body;
        const char *topic;
        s_body(&k_ops[i], &type, &body, &topic);
        assert_int_equal(xbus_publish(pubs[k_ops[i].pub], topic, type, &body, k_ops[i].evt, 0), 0);
    }
    (void)xbus_run(bus);

    /* the same messages straight into step.c, after the hellos in the order ZeroMQ could
     * also deliver them: publisher by publisher, the executor first, the feed last */
    s_rec_t direct = { .n = 0 };
    step_t *b = s_consumer(&direct);
    uint64_t seq[3] = { 0, 0, 0 };
    bus_msg_t msgs[N_OPS];
    uint8_t bufs[N_OPS][256];
    for (size_t i = 0; i < N_OPS; i++) {
        codec_type_t type;
        codec_body_t body;
        const char *topic;
        s_body(&k_ops[i], &type, &body, &topic);
        codec_env_t env = { .v = CODEC_VERSION, .epoch = 1, .ts = 1, .evt = k_ops[i].evt };
        env.seq = ++seq[k_ops[i].pub];
        snprintf(env.src, sizeof env.src, "%s", k_src[k_ops[i].pub]);
        memset(&msgs[i], 0, sizeof msgs[i]);
        assert_int_equal(codec_encode(&env, type, &body, bufs[i], sizeof bufs[i], &msgs[i].len), 0);
        snprintf(msgs[i].topic, sizeof msgs[i].topic, "%s", topic);
        msgs[i].type = type;
        msgs[i].env = env;
        msgs[i].data = bufs[i];
    }
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(step_push(b, &msgs[i]), 0);
    }
    for (int p = 2; p >= 0; p--) {
        for (size_t i = 3; i < N_OPS; i++) {
            if (k_ops[i].pub == p) {
                assert_int_equal(step_push(b, &msgs[i]), 0);
            }
        }
    }

    /* the order derived by hand from step.h: step 1 by (evt, rank, seq); the executor's
     * message of step 1 comes first in step 2 (feedback lags one step) */
    static const char *const expect[] = {
        "B0",         "B0", /* hellos from normal inputs forwarded; not all joined */
        "signal.0:3", "feed.0:3",     "signal.0:2", "feed.0:4",   "feed.0:2",
        "B1",         "executor.0:2", "feed.0:6",   "signal.0:5", "B2",
    };
    size_t n_expect = sizeof expect / sizeof expect[0];
    assert_int_equal(via_xbus.n, n_expect);
    assert_int_equal(direct.n, n_expect);
    for (size_t i = 0; i < n_expect; i++) {
        assert_string_equal(via_xbus.log[i], expect[i]);
        assert_string_equal(direct.log[i], expect[i]);
    }
    step_destroy(&a);
    step_destroy(&b);
    xbus_destroy(&bus);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelope_as_bus_publish),
        cmocka_unit_test(test_body_refcount),
        cmocka_unit_test(test_filters_by_publisher_and_prefix),
        cmocka_unit_test(test_fifo_nested),
        cmocka_unit_test(test_step_order_matches_step_c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
