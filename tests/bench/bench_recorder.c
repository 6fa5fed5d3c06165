/*  bench_recorder - recorder writer throughput vs a raw batched SQLite insert of the same rows,
 *  and a raw 4-hop libzmq chain (the baseline of the pipeline's tick-to-order latency).
 *  Usage: build/bin/bench_recorder [N]   (N messages, default 200000)
 *  Prints detail lines and table rows "TABLE\t<figure>\t<value>\t<baseline>\t<baseline value>\t
 *  <ratio>" that tests/bench/run_bench.sh gathers into its one table.
 *  Writer: N messages (half md.trade, half md.book with 10 levels a side), real codec bytes,
 *  through writer_add (copy, decode, JSON body, events row + typed row, commits of 5000) into a
 *  fresh WAL file. Raw: the same rows (events with the same JSON bodies, trades/book_top with
 *  the same values) bound from precomputed arrays with prepared statements, 5000 per
 *  transaction, same pragmas. Both wall clock, monotonic.
 *  Chain: 4 hops PUB->SUB over ipc, threads forwarding, one message of `size` bytes every
 *  50 us; one-way latency first send -> last receive, p50/p99/p99.9 over 20000 messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <czmq.h>
#include <sqlite3.h>

#include "common/bus.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/log.h"
#include "recorder/schema.h"
#include "recorder/writer.h"

#define S_BATCH 5000

static void
s_rm(const char *path)
{
    char p[300];
    (void)unlink(path);
    (void)snprintf(p, sizeof p, "%s-wal", path);
    (void)unlink(p);
    (void)snprintf(p, sizeof p, "%s-shm", path);
    (void)unlink(p);
}

typedef struct {
    char topic[BUS_TOPIC_MAX];
    codec_type_t type;
    codec_env_t env;
    uint8_t data[CODEC_MSG_MAX];
    size_t len;
    char json[4096];
    codec_body_t body;
} s_msg_t;

static double
s_writer_rate(s_msg_t *m, size_t n, const char *path)
{
    s_rm(path);
    writer_t *w = writer_new(path, S_BATCH, 200);
    if (w == NULL) {
        fprintf(stderr, "bench_recorder: writer_new failed: %s\n", strerror(errno));
        exit(1);
    }
    int64_t t0 = clock_mono_ns();
    for (size_t i = 0; i < n; i++) {
        bus_msg_t b;
        memset(&b, 0, sizeof b);
        memcpy(b.topic, m[i].topic, sizeof b.topic);
        b.type = m[i].type;
        b.env = m[i].env;
        b.data = m[i].data;
        b.len = m[i].len;
        (void)writer_add(w, &b, m[i].env.ts, t0);
    }
    (void)writer_commit(w);
    int64_t dt = clock_mono_ns() - t0;
    writer_stats_t st;
    writer_stats(w, &st);
    if (st.events != n) {
        fprintf(stderr, "bench_recorder: writer committed %" PRIu64 " of %zu\n", st.events, n);
    }
    writer_destroy(&w);
    return (double)n * 1e9 / (double)dt;
}

static double
s_raw_rate(s_msg_t *m, size_t n, const char *path)
{
    s_rm(path);
    sqlite3 *db = schema_open(path, 20);
    if (db == NULL) {
        exit(1);
    }
    sqlite3_stmt *ev = NULL, *tr = NULL, *bk = NULL;
    (void)sqlite3_prepare_v2(db,
                             "INSERT INTO events(topic,type,src,epoch,seq,ts,origin,evt,body,"
                             "recv_ts) VALUES(?,?,?,?,?,?,?,?,?,?)",
                             -1, &ev, NULL);
    (void)sqlite3_prepare_v2(db,
                             "INSERT INTO trades(event_id,venue,symbol,evt,ts_recv,px,px_m,qty,"
                             "qty_m,px_scale,qty_scale,side,trade_id)"
                             " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             -1, &tr, NULL);
    (void)sqlite3_prepare_v2(db,
                             "INSERT INTO book_top(event_id,venue,symbol,evt,bid_px,bid_px_m,"
                             "bid_qty,bid_qty_m,ask_px,ask_px_m,ask_qty,ask_qty_m,px_scale,"
                             "qty_scale,update_id,snapshot,n_bids,n_asks)"
                             " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             -1, &bk, NULL);
    int64_t t0 = clock_mono_ns();
    for (size_t i = 0; i < n; i++) {
        if (i % S_BATCH == 0) {
            (void)sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        }
        const s_msg_t *x = &m[i];
        sqlite3_reset(ev);
        sqlite3_bind_text(ev, 1, x->topic, -1, SQLITE_STATIC);
        sqlite3_bind_text(ev, 2, codec_type_name(x->type), -1, SQLITE_STATIC);
        sqlite3_bind_text(ev, 3, x->env.src, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ev, 4, x->env.epoch);
        sqlite3_bind_int64(ev, 5, (int64_t)x->env.seq);
        sqlite3_bind_int64(ev, 6, x->env.ts);
        sqlite3_bind_int64(ev, 7, x->env.origin);
        sqlite3_bind_int64(ev, 8, x->env.evt);
        sqlite3_bind_text(ev, 9, x->json, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ev, 10, x->env.ts);
        (void)sqlite3_step(ev);
        int64_t id = sqlite3_last_insert_rowid(db);
        if (x->type == CODEC_MD_TRADE) {
            const codec_md_trade_t *t = &x->body.trade;
            sqlite3_reset(tr);
            sqlite3_bind_int64(tr, 1, id);
            sqlite3_bind_text(tr, 2, t->venue, -1, SQLITE_STATIC);
            sqlite3_bind_text(tr, 3, t->symbol, -1, SQLITE_STATIC);
            sqlite3_bind_int64(tr, 4, x->env.evt);
            sqlite3_bind_int64(tr, 5, t->ts_recv);
            sqlite3_bind_text(tr, 6, "65000.00", -1, SQLITE_STATIC);
            sqlite3_bind_int64(tr, 7, t->px);
            sqlite3_bind_text(tr, 8, "0.010", -1, SQLITE_STATIC);
            sqlite3_bind_int64(tr, 9, t->qty);
            sqlite3_bind_int(tr, 10, t->px_scale);
            sqlite3_bind_int(tr, 11, t->qty_scale);
            sqlite3_bind_text(tr, 12, t->side > 0 ? "buy" : "sell", -1, SQLITE_STATIC);
            sqlite3_bind_text(tr, 13, t->trade_id, -1, SQLITE_STATIC);
            (void)sqlite3_step(tr);
        } else {
            const codec_md_book_t *k = &x->body.book;
            sqlite3_reset(bk);
            sqlite3_bind_int64(bk, 1, id);
            sqlite3_bind_text(bk, 2, k->venue, -1, SQLITE_STATIC);
            sqlite3_bind_text(bk, 3, k->symbol, -1, SQLITE_STATIC);
            sqlite3_bind_int64(bk, 4, x->env.evt);
            sqlite3_bind_text(bk, 5, "65000.00", -1, SQLITE_STATIC);
            sqlite3_bind_int64(bk, 6, k->bids[0].px);
            sqlite3_bind_text(bk, 7, "1.000", -1, SQLITE_STATIC);
            sqlite3_bind_int64(bk, 8, k->bids[0].qty);
            sqlite3_bind_text(bk, 9, "65000.10", -1, SQLITE_STATIC);
            sqlite3_bind_int64(bk, 10, k->asks[0].px);
            sqlite3_bind_text(bk, 11, "1.000", -1, SQLITE_STATIC);
            sqlite3_bind_int64(bk, 12, k->asks[0].qty);
            sqlite3_bind_int(bk, 13, k->px_scale);
            sqlite3_bind_int(bk, 14, k->qty_scale);
            sqlite3_bind_int64(bk, 15, (int64_t)k->update_id);
            sqlite3_bind_int(bk, 16, k->snapshot);
            sqlite3_bind_int(bk, 17, (int)k->n_bids);
            sqlite3_bind_int(bk, 18, (int)k->n_asks);
            (void)sqlite3_step(bk);
        }
        if (i % S_BATCH == S_BATCH - 1 || i == n - 1) {
            (void)sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        }
    }
    int64_t dt = clock_mono_ns() - t0;
    sqlite3_finalize(ev);
    sqlite3_finalize(tr);
    sqlite3_finalize(bk);
    sqlite3_close(db);
    return (double)n * 1e9 / (double)dt;
}

/* ---- raw 4-hop chain --------------------------------------------------------------------- */

#define S_HOPS 4
static char s_dir[64];

static void *
s_forward(void *arg)
{
    int hop = (int)(intptr_t)arg; /* SUB connects to h<hop>, PUB binds h<hop+1> */
    zsock_t *sub = zsock_new_sub(NULL, NULL);
    zsock_t *pub = zsock_new(ZMQ_PUB);
    zsock_set_subscribe(sub, "");
    (void)zsock_connect(sub, "ipc://%s/h%d", s_dir, hop);
    (void)zsock_bind(pub, "ipc://%s/h%d", s_dir, hop + 1);
    for (;;) {
        zframe_t *f = zframe_recv(sub);
        if (f == NULL) {
            break;
        }
        bool stop = zframe_size(f) == 1;
        if (zframe_send(&f, pub, 0) < 0 || stop) {
            break;
        }
    }
    zclock_sleep(100);
    zsock_destroy(&sub);
    zsock_destroy(&pub);
    return NULL;
}

static int
s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void
s_chain(size_t size, int n, int64_t *p50, int64_t *p99, int64_t *p999)
{
    char dir[] = "/tmp/tp_bench_chain.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        exit(1);
    }
    (void)snprintf(s_dir, sizeof s_dir, "%s", dir);
    zsock_t *src = zsock_new(ZMQ_PUB);
    (void)zsock_bind(src, "ipc://%s/h0", dir);
    pthread_t th[S_HOPS];
    for (int h = 0; h < S_HOPS; h++) {
        (void)pthread_create(&th[h], NULL, s_forward, (void *)(intptr_t)h);
        zclock_sleep(50);
    }
    zsock_t *sink = zsock_new_sub(NULL, NULL);
    zsock_set_subscribe(sink, "");
    (void)zsock_connect(sink, "ipc://%s/h%d", dir, S_HOPS);
    zclock_sleep(500); /* slow joiners */
    int64_t *lat = calloc((size_t)n, sizeof *lat);
    uint8_t *buf = calloc(1, size);
    int got = 0;
    for (int i = 0; i < n; i++) {
        int64_t t = clock_mono_ns();
        memcpy(buf, &t, sizeof t);
        zframe_t *f = zframe_new(buf, size);
        (void)zframe_send(&f, src, 0);
        zframe_t *r = zframe_recv(sink);
        if (r != NULL) {
            int64_t t0;
            memcpy(&t0, zframe_data(r), sizeof t0);
            lat[got++] = clock_mono_ns() - t0;
            zframe_destroy(&r);
        }
        int64_t due = t + 50000; /* one message every 50 us at most */
        while (clock_mono_ns() < due) {
        }
    }
    zframe_t *stop = zframe_new("x", 1);
    (void)zframe_send(&stop, src, 0);
    for (int h = 0; h < S_HOPS; h++) {
        (void)pthread_join(th[h], NULL);
    }
    qsort(lat, (size_t)got, sizeof *lat, s_cmp);
    *p50 = lat[(got * 50 + 99) / 100 - 1];
    *p99 = lat[(got * 99 + 99) / 100 - 1];
    *p999 = lat[(got * 999 + 999) / 1000 - 1];
    free(lat);
    free(buf);
    zsock_destroy(&src);
    zsock_destroy(&sink);
    char cmd[160];
    (void)snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_recorder: cannot remove %s\n", dir);
    }
}

int
main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 200000;
    log_init("bench_recorder", LOG_ERROR);
    zsys_handler_set(NULL);
    s_msg_t *m = calloc(n, sizeof *m);
    if (m == NULL || n == 0) {
        return 1;
    }
    const int64_t evt0 = 1761955200000000000LL;
    for (size_t i = 0; i < n; i++) {
        s_msg_t *x = &m[i];
        codec_env_t env = { .v = CODEC_VERSION,
                            .epoch = 1,
                            .seq = i + 1,
                            .evt = evt0 + (int64_t)i,
                            .ts = evt0 + (int64_t)i + 1000,
                            .origin = evt0 + (int64_t)i + 10 };
        (void)snprintf(env.src, sizeof env.src, "feed.0");
        if (i % 2 == 0) {
            codec_md_trade_t t = { .venue = "bybit-linear",
                                   .symbol = "BTCUSDT",
                                   .px_scale = 2,
                                   .qty_scale = 3,
                                   .px = 6500000 + (int64_t)(i % 100),
                                   .qty = 10,
                                   .side = 1,
                                   .ts_event = env.evt,
                                   .ts_recv = env.origin };
            (void)snprintf(t.trade_id, sizeof t.trade_id, "t%zu", i);
            (void)codec_encode(&env, CODEC_MD_TRADE, &t, x->data, sizeof x->data, &x->len);
            x->type = CODEC_MD_TRADE;
            (void)snprintf(x->topic, sizeof x->topic, "md.trade.bybit-linear.BTCUSDT");
        } else {
            codec_md_book_t k;
            memset(&k, 0, sizeof k);
            (void)snprintf(k.venue, sizeof k.venue, "bybit-linear");
            (void)snprintf(k.symbol, sizeof k.symbol, "BTCUSDT");
            k.px_scale = 2;
            k.qty_scale = 3;
            k.update_id = i;
            k.n_bids = k.n_asks = 10;
            for (int l = 0; l < 10; l++) {
                k.bids[l].px = 6500000 - l;
                k.bids[l].qty = 1000 + l;
                k.asks[l].px = 6500001 + l;
                k.asks[l].qty = 1000 + l;
            }
            (void)codec_encode(&env, CODEC_MD_BOOK, &k, x->data, sizeof x->data, &x->len);
            x->type = CODEC_MD_BOOK;
            (void)snprintf(x->topic, sizeof x->topic, "md.book.bybit-linear.BTCUSDT");
        }
        x->env = env;
        (void)codec_body_to_json(x->data, x->len, x->json, sizeof x->json);
        (void)codec_decode(x->data, x->len, x->type, NULL, &x->body);
    }
    char path[128];
    (void)snprintf(path, sizeof path, "/tmp/tp_bench_recorder_%d.db", (int)getpid());
    double w = s_writer_rate(m, n, path);
    double raw = s_raw_rate(m, n, path);
    s_rm(path);
    printf("bench_recorder: %zu messages (md.trade + md.book x10 levels), batches of %d, WAL, "
           "synchronous=NORMAL\n",
           n, S_BATCH);
    printf("  recorder writer %.0f msgs/s | raw batched insert of the same rows %.0f msgs/s | "
           "ratio %.2f\n",
           w, raw, w / raw);
    printf("TABLE\trecorder writer into SQLite (msgs/s)\t%.0f\traw batched C insert, same rows\t"
           "%.0f\t%.2f\n",
           w, raw, w / raw);
    /* the size of a risk.order message: the chain carries messages of that size */
    codec_risk_order_t o;
    memset(&o, 0, sizeof o);
    (void)snprintf(o.client_id, sizeof o.client_id, "rk-1761978960000-1");
    (void)snprintf(o.strategy, sizeof o.strategy, "ema_rsi.btc");
    (void)snprintf(o.venue, sizeof o.venue, "binance-spot");
    (void)snprintf(o.symbol, sizeof o.symbol, "BTCUSDT");
    (void)snprintf(o.intent, sizeof o.intent, "entry");
    codec_env_t env = { .v = CODEC_VERSION, .src = "risk.0", .seq = 1 };
    uint8_t buf[CODEC_MSG_MAX];
    size_t olen = 0;
    (void)codec_encode(&env, CODEC_RISK_ORDER, &o, buf, sizeof buf, &olen);
    int64_t p50, p99, p999;
    s_chain(olen, 20000, &p50, &p99, &p999);
    printf("  raw 4-hop libzmq PUB/SUB chain over ipc, %zu-byte frames (a risk.order), 20000 msgs: "
           "p50 %.1f us p99 %.1f us p99.9 %.1f us\n",
           olen, p50 / 1e3, p99 / 1e3, p999 / 1e3);
    printf("CHAIN\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%zu\n", p50, p99, p999, olen);
    free(m);
    return 0;
}
