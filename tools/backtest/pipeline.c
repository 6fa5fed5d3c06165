/*  pipeline.c - the group in one process (see pipeline.h).
 *  Per step S (cut as venue-sim's schedule cuts it, over the loaded frames and the streamed
 *  kline rows merged in source.c's order: s_next_step): each feed instance hands the step's
 *  frames to its sessions connection by connection in config order (as feed/gate.c does when
 *  barrier S arrives), then publishes barrier S; xbus_run then delivers everything until
 *  the bus is quiet: each stage's step_t releases S when it holds S from all its inputs,
 *  its deliver callback runs the stage's module code, its barrier callback forwards S.
 */
#include "tools/backtest/pipeline.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>
#include <jansson.h>

#include "common/bus.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/instr.h"
#include "common/log.h"
#include "common/runid.h"
#include "common/step.h"
#include "executor/config.h"
#include "executor/exec.h"
#include "feed/config.h"
#include "feed/conn.h"
#include "feed/md.h"
#include "feed/session.h"
#include "recorder/config.h"
#include "recorder/writer.h"
#include "risk/config.h"
#include "risk/engine.h"
#include "signal/config.h"
#include "signal/engine.h"
#include "tools/backtest/kstream.h"
#include "tools/backtest/xbus.h"
#include "tools/venue-sim/config.h"
#include "tools/venue-sim/klines.h"
#include "tools/venue-sim/schedule.h"
#include "tools/venue-sim/source.h"

#define S_MOD       "backtest"
#define S_FEEDS     8
#define S_SUB_NAMES 256

/* The venue-sim WebSocket path of each source kind (tools/venue-sim/server.c). */
static const char *const k_kind_path[SOURCE_KIND_COUNT] = {
    [SOURCE_BYBIT_LINEAR] = "/v5/public/linear",
    [SOURCE_BYBIT_SPOT] = "/v5/public/spot",
    [SOURCE_BINANCE_USDM] = "/usdm/stream",
    [SOURCE_BINANCE_SPOT] = "/spot/stream",
};

typedef struct {
    pipeline_t *p;
    char name[32];
    xbus_pub_t *pub;
    feed_config_t fc;
    instr_table_t *instrs;
    md_stats_t stats;
    session_t *sess[CONN_MAX];
    size_t n;
    int kind[CONN_MAX];       /* source kind of each session (-1: no recorded data) */
    uint8_t *subs[CONN_MAX];  /* per source key: the session subscribed to it */
    bool kline_sub[CONN_MAX]; /* subscribed to the streamed kline rows (kstream) */
} s_feed_t;


struct pipeline {
    cfg_t *cfg;
    xbus_t *bus;
    conn_ctx_t *cctx;
    source_t *src;
    char *inst_linear, *inst_spot;
    int64_t *ts;
    /* the kline CSV files, streamed (kstream.h), merged with the loaded frames step by step */
    kstream_t *ks;
    const char **ks_paths;
    size_t ks_n;
    int ks_kind;         /* source kind of the kline frames (SOURCE_BINANCE_SPOT) */
    char ks_key[48];     /* "<symbol lower>@kline_1m" */
    kstream_row_t *rows; /* this step's kline rows (grows to the largest step) */
    size_t n_rows, cap_rows;
    size_t pos;       /* next loaded frame not yet in a step */
    uint64_t step_no; /* steps cut so far */
    int64_t first_kline_ms;
    venuesim_config_t vc;
    s_feed_t feeds[S_FEEDS];
    size_t n_feeds;
    /* signal */
    char sig_name[32];
    xbus_pub_t *sig_pub;
    step_t *sig_step;
    engine_t *sig;
    /* risk */
    char risk_name[32];
    xbus_pub_t *risk_pub;
    step_t *risk_step;
    risk_engine_t *risk;
    risk_config_t *rcfg;
    uint64_t order_seq; /* the risk order client's own sequence (risk/orders.c) */
    int64_t order_epoch;
    /* executor */
    char exec_name[32];
    xbus_pub_t *exec_pub;
    step_t *exec_step;
    exec_t *exec;
    executor_config_t *xc; /* kept for the executor's lifetime (as executor/main.c keeps it) */
    /* recorder */
    char rec_name[32];
    xbus_pub_t *rec_pub;
    step_t *rec_step;
    writer_t *w;
    uint8_t rec_buf[CODEC_MSG_MAX]; /* a message encoded for the writer */
    pipeline_record_t record;
    bool feed_only;         /* pipeline_set_feed_only */
    char run_id[RUNID_MAX]; /* stamped on every row (writer_begin_run), as the group's run id */
    int commit_failed;
    bool refused; /* a connection's refused frames passed feed.max_refused_pct: stop */
    pipeline_stats_t stats;
    pipeline_tally_t tally;
};

/* ---- feed --------------------------------------------------------------------------------- */

static int
s_feed_publish(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
               int64_t origin)
{
    s_feed_t *f = arg;
    if (f->p->feed_only) {
        f->p->stats.feed_events++; /* the floor of the bench: parsed, books applied, dropped */
        return 0;
    }
    f->p->stats.feed_events++;
    return xbus_publish(f->pub, topic, type, body, evt, origin);
}

/* REST as venue-sim answers it (server.c): instruments-info from the configured files,
 * Binance depth snapshots from the recorded ones. */
static char *
s_rest_get(void *arg, const char *url, long timeout_ms, size_t *len)
{
    (void)timeout_ms;
    s_feed_t *f = arg;
    pipeline_t *p = f->p;
    const char *path = strstr(url, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    if (!path) {
        errno = EINVAL;
        return NULL;
    }
    const char *body = NULL;
    size_t blen = 0;
    if (strncmp(path, "/v5/market/instruments-info?", 28) == 0) {
        if (strstr(path, "category=linear")) {
            body = p->inst_linear;
        } else if (strstr(path, "category=spot")) {
            body = p->inst_spot;
        }
        blen = body ? strlen(body) : 0;
    } else if (strncmp(path, "/usdm/fapi/v1/depth?", 20) == 0) {
        body = source_depth_snapshot(p->src, SOURCE_BINANCE_USDM, &blen);
    } else if (strncmp(path, "/spot/api/v3/depth?", 19) == 0) {
        body = source_depth_snapshot(p->src, SOURCE_BINANCE_SPOT, &blen);
    }
    if (!body) {
        log_error(S_MOD, "%s: no recorded answer for %s", f->name, path);
        errno = ENOENT;
        return NULL;
    }
    char *out = malloc(blen + 1);
    if (!out) {
        errno = ENOMEM;
        return NULL;
    }
    memcpy(out, body, blen);
    out[blen] = '\0';
    *len = blen;
    return out;
}

/* A connection's refused share passed feed.max_refused_pct: in a replay the feed stops the
 * run (feed/main.c s_on_refused), and so does the backtest. */
static void
s_feed_on_refused(session_t *s, void *arg)
{
    s_feed_t *f = arg;
    const md_refused_t *r = session_refused(s);
    log_error(S_MOD,
              "%s: %s: %lld of %lld frames refused (over feed.max_refused_pct): its data does not "
              "parse or does not fit the instrument's tick/step (first refusal logged above as a "
              "warning); stopping",
              f->name, session_label(s), (long long)r->refused, (long long)r->frames);
    f->p->refused = true;
}

/* The source kind of a session from its URL path, and the keys it subscribes to. */
static int
s_feed_route(s_feed_t *f, size_t i)
{
    const char *url = session_url(f->sess[i]);
    const char *path = strstr(url, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    f->kind[i] = -1;
    for (int k = 0; path && k < SOURCE_KIND_COUNT; k++) {
        size_t n = strlen(k_kind_path[k]);
        if (strncmp(path, k_kind_path[k], n) == 0 && (path[n] == '\0' || path[n] == '?')) {
            f->kind[i] = k;
        }
    }
    size_t nkeys = source_keys(f->p->src);
    f->subs[i] = calloc(nkeys ? nkeys : 1, 1);
    if (!f->subs[i]) {
        errno = ENOMEM;
        return -1;
    }
    if (f->kind[i] < 0) {
        log_warn(S_MOD, "%s: %s: no recorded data for %s", f->name, session_label(f->sess[i]), url);
        return 0;
    }
    static char names[S_SUB_NAMES][64];
    size_t n = session_subscriptions(f->sess[i], names, S_SUB_NAMES);
    for (size_t k = 0; k < n && k < S_SUB_NAMES; k++) {
        if (f->p->ks && f->kind[i] == f->p->ks_kind && strcmp(names[k], f->p->ks_key) == 0) {
            f->kline_sub[i] = true;
        }
        int key = source_key_find(f->p->src, (source_kind_t)f->kind[i], names[k]);
        if (key >= 0) {
            f->subs[i][key] = 1;
        }
    }
    return 0;
}

static int
s_feed_new(pipeline_t *p, s_feed_t *f, const char *name)
{
    f->p = p;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->pub = xbus_pub(p->bus, name, clock_wall_ns());
    f->instrs = instr_table_new();
    if (!f->pub || !f->instrs) {
        return -1;
    }
    if (feed_config_read(p->cfg, name, true, f->instrs, &f->fc) != 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* The feed's sessions, opened without sockets (after the data is loaded: REST answers). */
static int
s_feed_open(pipeline_t *p, s_feed_t *f)
{
    session_env_t env = { .pub = NULL,
                          .instrs = f->instrs,
                          .stats = &f->stats,
                          .levels = (size_t)f->fc.book_levels,
                          .replay = true,
                          .rest_timeout_ms = (long)f->fc.rest_timeout_ms,
                          .skew_warn_ns = 0, /* replay: receive times are not the venue's */
                          .hook = NULL,
                          .hook_arg = NULL,
                          .refused_max_bp = f->fc.refused_max_bp,
                          .refused_min_frames = f->fc.refused_min_frames,
                          .on_refused = s_feed_on_refused,
                          .refused_arg = f,
                          .publish = s_feed_publish,
                          .rest_get = s_rest_get,
                          .io_arg = f };
    if (feed_sessions_new(p->cfg, &f->fc, &env, p->cctx, f->sess, &f->n) != 0) {
        return -1;
    }
    for (size_t i = 0; i < f->n; i++) {
        if (s_feed_route(f, i) != 0) {
            return -1;
        }
        if (session_open_offline(f->sess[i]) != 0 || !session_ready(f->sess[i])) {
            log_error(S_MOD, "%s: %s: not ready: %s", f->name, session_label(f->sess[i]),
                      strerror(errno));
            errno = EINVAL;
            (void)cfg_fail(p->cfg, "feed.connections", "%s: cannot be served from the data",
                           session_label(f->sess[i]));
            return -1;
        }
    }
    return 0;
}

static void
s_feed_destroy(s_feed_t *f)
{
    for (size_t i = f->n; i > 0; i--) {
        session_destroy(&f->sess[i - 1]);
        free(f->subs[i - 1]);
    }
    instr_table_destroy(&f->instrs);
}

static void
s_feed_barrier(s_feed_t *f, uint64_t step, int64_t ts_event_ns, bool end)
{
    codec_sys_barrier_t b;
    memset(&b, 0, sizeof b);
    b.step = step;
    b.ts_event = ts_event_ns;
    b.end = end;
    b.ready = step == 0;
    if (step == 0) {
        for (size_t i = 0; i < f->n; i++) {
            session_announce(f->sess[i], ts_event_ns);
        }
    }
    if (f->p->feed_only) {
        return;
    }
    if (xbus_publish(f->pub, "sys.barrier", CODEC_SYS_BARRIER, &b, ts_event_ns, 0) != 0) {
        log_error(S_MOD, "%s: cannot publish barrier %llu: %s", f->name, (unsigned long long)step,
                  strerror(errno));
    }
}

/* ---- stage glue: each stage's step_t and what its main.c does per message ---------------- */

static void
s_forward(xbus_pub_t *pub, const codec_sys_barrier_t *b)
{
    codec_sys_barrier_t out = *b;
    out.n = 0; /* stages forward barriers without connection counts (stage_forward_barrier) */
    if (xbus_publish(pub, "sys.barrier", CODEC_SYS_BARRIER, &out, b->ts_event, 0) != 0) {
        log_error(S_MOD, "%s: cannot forward barrier %llu: %s", xbus_pub_src(pub),
                  (unsigned long long)b->step, strerror(errno));
    }
}

static void
s_push(pipeline_t *p, step_t *st, const bus_msg_t *msg)
{
    if (step_push(st, msg) != 0) {
        log_error(S_MOD, "cannot buffer %s: %s", msg->topic, strerror(errno));
    }
    if (msg->type == CODEC_SYS_BARRIER) {
        xbus_release(p->bus, msg); /* consumed by the step (copied), never delivered */
    }
}

/* signal (signal/main.c) */
static int
s_sig_publish(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
              int64_t origin)
{
    pipeline_t *p = arg;
    return xbus_publish(p->sig_pub, topic, type, body, evt, origin);
}

static void
s_sig_deliver(const bus_msg_t *msg, void *arg)
{
    pipeline_t *p = arg;
    (void)engine_on_body(p->sig, msg, msg->body); /* failures are counted and logged by it */
    xbus_release(p->bus, msg);
}

static void
s_sig_barrier(const codec_sys_barrier_t *b, void *arg)
{
    pipeline_t *p = arg;
    s_forward(p->sig_pub, b);
}

static void
s_sig_recv(const bus_msg_t *msg, void *arg)
{
    pipeline_t *p = arg;
    s_push(p, p->sig_step, msg);
}

/* risk (risk/main.c) */
static int
s_risk_publish(void *arg, const char *topic, codec_type_t type, const void *body, int64_t evt,
               int64_t origin)
{
    pipeline_t *p = arg;
    return xbus_publish(p->risk_pub, topic, type, body, evt, origin);
}

/* The order request as risk/orders.c sends it, answered by the executor's intake as
 * executor/rep.c answers it: at once, then pushed into the executor's step as risk's. */
static int
s_risk_send_order(void *arg, const codec_risk_order_t *ord, int64_t evt, int64_t origin,
                  codec_order_ack_t *ack)
{
    pipeline_t *p = arg;
    codec_env_t env = { .v = CODEC_VERSION,
                        .epoch = p->order_epoch,
                        .seq = p->order_seq + 1,
                        .ts = clock_wall_ns(),
                        .origin = origin,
                        .evt = evt };
    snprintf(env.src, sizeof env.src, "%s", p->risk_name);
    uint8_t buf[CODEC_MSG_MAX];
    size_t len = 0;
    if (codec_encode(&env, CODEC_RISK_ORDER, ord, buf, sizeof buf, &len) != 0) {
        errno = EINVAL;
        return -1;
    }
    p->order_seq++;
    const uint8_t *reply;
    size_t reply_len;
    bus_msg_t push;
    int rc = exec_request(p->exec, buf, len, clock_wall_ns(), &reply, &reply_len, &push);
    if (rc < 0) {
        errno = EPROTO; /* the REP would have answered "internal error" */
        return -1;
    }
    codec_order_ack_t got;
    if (codec_decode(reply, reply_len, CODEC_ORDER_ACK, NULL, &got) != 0
        || strcmp(got.client_id, ord->client_id) != 0) {
        errno = EPROTO;
        return -1;
    }
    if (rc == 1 && step_push_as(p->exec_step, p->risk_name, &push) != 0) {
        log_error(S_MOD, "cannot buffer order request: %s", strerror(errno));
    }
    *ack = got;
    return 0;
}

static void
s_risk_deliver(const bus_msg_t *msg, void *arg)
{
    pipeline_t *p = arg;
    risk_engine_on_body(p->risk, msg, msg->body);
    xbus_release(p->bus, msg);
    /* the state file is for restarting a stage of the group; a backtest is never restarted */
    (void)risk_engine_take_dirty(p->risk);
}

static void
s_risk_barrier(const codec_sys_barrier_t *b, void *arg)
{
    pipeline_t *p = arg;
    s_forward(p->risk_pub, b);
}

static void
s_risk_recv(const bus_msg_t *msg, void *arg)
{
    pipeline_t *p = arg;
    s_push(p, p->risk_step, msg);
}

/* executor (executor/main.c) */
static void
s_exec_emit(const char *topic, codec_type_t type, const void *body, int64_t evt, int64_t origin,
            void *arg)
{
    pipeline_t *p = arg;
    if (xbus_publish(p->exec_pub, topic, type, body, evt, origin) != 0) {
        log_warn(S_MOD, "executor: cannot publish %s: %s", topic, strerror(errno));
    }
}

static void
s_exec_deliver(const bus_msg_t *msg, void *arg)
{
    pipeline_t *p = arg;
    exec_deliver_body(p->exec, msg, msg->body);
    xbus_release(p->bus, msg);
}

static void
s_exec_barrier(const codec_sys_barrier_t *b, void *arg)
{
    pipeline_t *p = arg;
    exec_barrier(p->exec, b); /* exec.balance before the hello barrier */
    s_forward(p->exec_pub, b);
}

static void
s_exec_recv(const bus_msg_t *msg, void *arg)
{
    pipeline_t *p = arg;
    exec_observe_body(p->exec, msg, msg->body);
    s_push(p, p->exec_step, msg);
}

/* recorder (recorder/main.c) */

/* The type of a decoded body: xbus hands over a body only when the topic's type is the type
 * published (otherwise bytes), so it is msg->type. */
static codec_type_t
s_body_type(const bus_msg_t *msg)
{
    return msg->type;
}
static void
s_rec_deliver(const bus_msg_t *msg, void *arg)
{
    pipeline_t *p = arg;
    bus_msg_t m = *msg;
    if (msg->body) {
        /* encoded here, where it is recorded, with the envelope it was published with */
        size_t len = 0;
        if (codec_encode(&msg->env, s_body_type(msg), msg->body, p->rec_buf, sizeof p->rec_buf,
                         &len)
            != 0) {
            log_warn(S_MOD, "recorder: cannot encode %s: %s", msg->topic, strerror(errno));
            xbus_release(p->bus, msg);
            return;
        }
        m.data = p->rec_buf;
        m.len = len;
        m.body = NULL;
    }
    if (writer_add(p->w, &m, clock_wall_ns(), clock_mono_ns()) == 0) {
        p->stats.recorded++;
    }
    xbus_release(p->bus, msg);
}

static void
s_rec_barrier(const codec_sys_barrier_t *b, void *arg)
{
    pipeline_t *p = arg;
    if (b->end && writer_commit(p->w) < 0) {
        log_error(S_MOD, "recorder: commit before the end barrier failed");
        p->commit_failed = 1;
    }
    s_forward(p->rec_pub, b);
}

static void
s_rec_recv(const bus_msg_t *msg, void *arg)
{
    pipeline_t *p = arg;
    if (writer_add_gap_of(p->w, msg, clock_wall_ns(), clock_mono_ns()) < 0) {
        log_warn(S_MOD, "recorder: cannot queue gap row for %s: %s", msg->env.src, strerror(errno));
    }
    s_push(p, p->rec_step, msg);
}

/* ---- the in-memory tally (every record mode) ------------------------------------------- */

static void
s_tally_recv(const bus_msg_t *msg, void *arg)
{
    pipeline_t *p = arg;
    pipeline_tally_t *t = &p->tally;
    if (msg->type == CODEC_SYS_BARRIER) {
        xbus_release(p->bus, msg);
        return;
    }
    codec_body_t local;
    const codec_body_t *b = msg->body;
    if (!b && (msg->type == CODEC_EXEC_FILL || msg->type == CODEC_EXEC_BALANCE)) {
        if (codec_decode(msg->data, msg->len, msg->type, NULL, &local) != 0) {
            xbus_release(p->bus, msg);
            return;
        }
        b = &local;
    }
    switch (msg->type) {
    case CODEC_SIG_SIGNAL:
        t->signals++;
        break;
    case CODEC_EXEC_ORDER:
        t->order_updates++;
        break;
    case CODEC_EXEC_FILL:
        t->fills++;
        t->realized_pnl += b->fill.realized_pnl;
        t->fees += b->fill.fee;
        break;
    case CODEC_EXEC_BALANCE:
        t->balances++;
        t->end_wallet = b->balance.wallet;
        break;
    default:
        break;
    }
    xbus_release(p->bus, msg);
}

/* ---- construction ------------------------------------------------------------------------ */

/* Exactly one instance of `role` under "endpoints" into name[32]. */
static int
s_one(cfg_t *cfg, const char *role, char *name)
{
    char names[4][32];
    size_t n = cfg_instances(cfg, role, names, 4);
    if (n != 1) {
        errno = EINVAL;
        return cfg_fail(cfg, "endpoints", "a backtest runs exactly one %s instance (%zu found)",
                        role, n);
    }
    snprintf(name, 32, "%s", names[0]);
    return 0;
}

/* Subscribe `fn` to `prefixes` of every publisher in pubs[n]; register each as an input of
 * `step` with `rank` (rank_step: added per publisher) and `feedback`. */
static int
s_wire(pipeline_t *p, xbus_pub_t *const *pubs, size_t n, const char *const *prefixes,
       xbus_recv_fn *fn, step_t *step, int *rank, int rank_step, bool feedback)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; prefixes[k]; k++) {
            if (xbus_sub(p->bus, pubs[i], prefixes[k], fn, p) != 0) {
                return -1;
            }
        }
        if (step_add_input(step, xbus_pub_src(pubs[i]), *rank, feedback) != 0) {
            return -1;
        }
        *rank += rank_step;
    }
    return 0;
}

/* The kline CSV files of venue_sim.binance_kline_csv, streamed: venue-sim's loader has
 * checked and counted their rows (source_set_stream_klines: every rule and message of a load,
 * no frame kept), and a kstream reads them again as the replay reaches them. */
static int
s_open_klines(pipeline_t *p)
{
    int n = cfg_array_len(p->cfg, "venue_sim.binance_kline_csv");
    if (n <= 0) {
        return n < 0 ? -1 : 0;
    }
    p->ks_paths = calloc((size_t)n, sizeof *p->ks_paths);
    if (!p->ks_paths) {
        errno = ENOMEM;
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "venue_sim.binance_kline_csv[%d]", i);
        if (cfg_str(p->cfg, key, NULL, &p->ks_paths[i]) != 0) {
            errno = EINVAL;
            return -1;
        }
    }
    p->ks_n = (size_t)n;
    const char *symbol;
    if (cfg_str(p->cfg, "venue_sim.binance_kline_symbol", "BTCUSDT", &symbol) != 0) {
        errno = EINVAL;
        return -1;
    }
    p->ks = kstream_new(p->ks_paths, p->ks_n, symbol, p->src);
    if (!p->ks) {
        if (errno == EINVAL) {
            return cfg_fail(p->cfg, "venue_sim.binance_kline_symbol", "bad symbol %s", symbol);
        }
        return -1;
    }
    p->ks_kind = SOURCE_BINANCE_SPOT; /* where venuesim_config_load puts them */
    size_t k;
    for (k = 0; symbol[k] && k + 1 < 24; k++) {
        p->ks_key[k] = (char)tolower((unsigned char)symbol[k]);
    }
    snprintf(p->ks_key + k, sizeof p->ks_key - k, "@kline_1m");
    p->first_kline_ms = INT64_MAX;
    int64_t t;
    if (kstream_peek(p->ks, &t) == 1) {
        p->first_kline_ms = t;
    }
    return 0;
}

static int
s_load_data(pipeline_t *p)
{
    if (venuesim_config_read(p->cfg, true, NULL, -1, &p->vc) != 0) {
        errno = EINVAL;
        return -1;
    }
    bool stream = true;
    for (;;) {
        p->src = source_new();
        if (!p->src || source_set_stream_klines(p->src, stream) != 0) {
            return -1;
        }
        int rc = venuesim_config_load(p->cfg, p->src, &p->inst_linear, &p->inst_spot);
        if (rc == 0) {
            break;
        }
        if (!stream || errno != EDOM || !source_stream_unordered(p->src)) {
            errno = EINVAL;
            return -1;
        }
        /* kline rows out of time order cannot be streamed: the files loaded whole and sorted,
         * as venue-sim loads them (memory grows with the files) */
        log_notice(S_MOD, "%s: loading the kline files whole", source_error(p->src));
        source_destroy(&p->src);
        free(p->inst_linear);
        free(p->inst_spot);
        p->inst_linear = p->inst_spot = NULL;
        stream = false;
    }
    if (stream && s_open_klines(p) != 0) {
        return -1;
    }
    size_t nf = source_count(p->src);
    p->ts = malloc((nf ? nf : 1) * sizeof *p->ts);
    if (!p->ts) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < nf; i++) {
        p->ts[i] = source_frame(p->src, i)->ts_ms;
    }
    p->stats.frames = nf;
    p->stats.first_ms = nf ? p->ts[0] : 0;
    p->stats.last_ms = nf ? p->ts[nf - 1] : 0;
    if (p->ks && p->first_kline_ms != INT64_MAX) {
        if (nf == 0 || p->first_kline_ms < p->stats.first_ms) {
            p->stats.first_ms = p->first_kline_ms;
        }
        if (nf == 0) {
            p->stats.last_ms = p->first_kline_ms;
        }
    }
    if (p->vc.step_ms < 1) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

static int s_wire_all(pipeline_t *p);

static int
s_build(pipeline_t *p, const char *db)
{
    cfg_t *cfg = p->cfg;
    if (s_one(cfg, "signal", p->sig_name) != 0 || s_one(cfg, "risk", p->risk_name) != 0
        || s_one(cfg, "executor", p->exec_name) != 0 || s_one(cfg, "recorder", p->rec_name) != 0) {
        return -1;
    }
    char feeds[S_FEEDS][32];
    p->n_feeds = cfg_instances(cfg, "feed", feeds, S_FEEDS);
    if (p->n_feeds == 0) {
        errno = EINVAL;
        return cfg_fail(cfg, "endpoints", "no feed instance");
    }
    /* every stage's config first (cheap), then the data (the slow part) */
    p->bus = xbus_new();
    p->cctx = conn_ctx_new_offline(); /* nothing connects: no TLS context to build */
    if (!p->bus || !p->cctx) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < p->n_feeds; i++) {
        if (s_feed_new(p, &p->feeds[i], feeds[i]) != 0) {
            return -1;
        }
    }
    int64_t epoch = clock_wall_ns();
    /* signal */
    signal_config_t sc;
    p->sig_pub = xbus_pub(p->bus, p->sig_name, epoch);
    p->sig = signal_engine_new(cfg, s_sig_publish, p);
    if (!p->sig_pub || !p->sig || signal_config_read(cfg, &sc) != 0) {
        return -1;
    }
    /* risk */
    p->rcfg = malloc(sizeof *p->rcfg);
    if (!p->rcfg || risk_config_read(cfg, p->risk_name, p->rcfg) != 0) {
        errno = p->rcfg ? EINVAL : ENOMEM;
        return -1;
    }
    p->risk_pub = xbus_pub(p->bus, p->risk_name, epoch);
    p->order_epoch = epoch;
    risk_io_t io = { .publish = s_risk_publish, .send_order = s_risk_send_order, .arg = p };
    p->risk = risk_config_engine_new(p->rcfg, &io);
    if (!p->risk_pub || !p->risk) {
        return -1;
    }
    /* executor: the paper venue only (a live venue has no business in a backtest) */
    const char *venue = NULL;
    if (cfg_str(cfg, "executor.venue", "paper", &venue) != 0) {
        errno = EINVAL;
        return -1;
    }
    if (strcmp(venue, "paper") != 0) {
        errno = EINVAL;
        return cfg_fail(cfg, "executor.venue", "a backtest runs on the paper venue, not %s", venue);
    }
    executor_config_t *xc = p->xc = calloc(1, sizeof *xc);
    if (!xc) {
        errno = ENOMEM;
        return -1;
    }
    if (executor_config_read(cfg, p->exec_name, NULL, NULL, xc) != 0) {
        errno = EINVAL;
        return -1;
    }
    p->exec_pub = xbus_pub(p->bus, p->exec_name, epoch);
    xc->exec.instance = p->exec_name;
    xc->exec.epoch_ns = epoch;
    xc->exec.venue.loop = NULL;
    p->exec = p->exec_pub ? exec_new(&xc->exec, s_exec_emit, p) : NULL;
    executor_config_wipe(xc);
    if (!p->exec) {
        return -1;
    }
    /* recorder */
    recorder_config_t rc;
    if (recorder_config_read(cfg, p->rec_name, &rc) != 0) {
        errno = EINVAL;
        return -1;
    }
    if (s_load_data(p) != 0) {
        return -1;
    }
    for (size_t i = 0; i < p->n_feeds; i++) {
        if (s_feed_open(p, &p->feeds[i]) != 0) {
            return -1;
        }
    }
    if (runid_make(p->run_id, sizeof p->run_id) != 0) {
        return -1;
    }
    if (p->record == PIPELINE_RECORD_NONE) {
        return s_wire_all(p);
    }
    int fd = open(db, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        log_error(S_MOD, "cannot create %s: %s", db, strerror(errno));
        return -1;
    }
    close(fd);
    p->rec_pub = xbus_pub(p->bus, p->rec_name, epoch);
    p->w = writer_new(db, (size_t)rc.batch_max, rc.batch_ms);
    if (!p->rec_pub || !p->w) {
        log_error(S_MOD, "cannot open database %s: %s", db, strerror(errno));
        return -1;
    }
    writer_run_info_t run;
    if (writer_begin_run(p->w, p->run_id, clock_wall_ns(), &run) != 0) {
        log_error(S_MOD, "cannot record the start of the run in %s: %s", db, strerror(errno));
        return -1;
    }
    /* the config as the stages read it (--set / --data overrides applied, secrets hidden),
     * as the recorder stage records its run's (runs.config) */
    char *dump = recorder_config_dump(cfg);
    int set = dump ? writer_set_run_config(p->w, cfg_file(cfg), dump) : -1;
    free(dump);
    if (set != 0) {
        log_error(S_MOD, "cannot record the config of the run in %s: %s", db, strerror(errno));
        return -1;
    }
    /* the recorder's step (the others in s_wire_all) */
    p->rec_step = step_new(true, s_rec_deliver, s_rec_barrier, p);
    if (!p->rec_step) {
        return -1;
    }
    return s_wire_all(p);
}

/* The steps and subscriptions, ranked as each stage's main.c ranks its inputs; the recorder's
 * as the record mode says (none: no recorder). */
static int
s_wire_all(pipeline_t *p)
{
    p->sig_step = step_new(true, s_sig_deliver, s_sig_barrier, p);
    p->risk_step = step_new(true, s_risk_deliver, s_risk_barrier, p);
    p->exec_step = step_new(true, s_exec_deliver, s_exec_barrier, p);
    if (!p->sig_step || !p->risk_step || !p->exec_step) {
        return -1;
    }
    signal_config_t sc;
    if (signal_config_read(p->cfg, &sc) != 0) {
        errno = EINVAL;
        return -1;
    }
    xbus_pub_t *fpubs[S_FEEDS];
    for (size_t i = 0; i < p->n_feeds; i++) {
        fpubs[i] = p->feeds[i].pub;
    }
    static const char *const k_md[] = { "md.", "sys.barrier", NULL };
    static const char *const k_sig[] = { "sig.", "sys.barrier", NULL };
    static const char *const k_exec[] = { "exec.", "sys.barrier", NULL };
    static const char *const k_bar[] = { "sys.barrier", NULL };
    static const char *const k_all[] = { "", NULL };
    /* signal: the feeds it names (signal_config_read), rank 0 */
    for (size_t i = 0; i < sc.n_feeds; i++) {
        xbus_pub_t *fp = NULL;
        for (size_t k = 0; k < p->n_feeds; k++) {
            if (strcmp(p->feeds[k].name, sc.feeds[i]) == 0) {
                fp = p->feeds[k].pub;
            }
        }
        int r = 0;
        if (!fp || s_wire(p, &fp, 1, k_md, s_sig_recv, p->sig_step, &r, 0, false) != 0) {
            return -1;
        }
    }
    /* risk: feeds rank 0, signal rank 1, executor rank 2 (feedback) */
    int r0 = 0, r1 = 1, r2 = 2;
    if (s_wire(p, fpubs, p->n_feeds, k_md, s_risk_recv, p->risk_step, &r0, 0, false) != 0
        || s_wire(p, &p->sig_pub, 1, k_sig, s_risk_recv, p->risk_step, &r1, 0, false) != 0
        || s_wire(p, &p->exec_pub, 1, k_exec, s_risk_recv, p->risk_step, &r2, 0, true) != 0) {
        return -1;
    }
    /* executor: feeds rank 0, risk rank 1 (its barriers; orders come by s_risk_send_order) */
    r0 = 0;
    r1 = 1;
    if (s_wire(p, fpubs, p->n_feeds, k_md, s_exec_recv, p->exec_step, &r0, 0, false) != 0
        || s_wire(p, &p->risk_pub, 1, k_bar, s_exec_recv, p->exec_step, &r1, 0, false) != 0) {
        return -1;
    }
    /* the tally: the trading messages (pipeline_tally counts the rest at the publishers) */
    static const char *const k_tally[] = { "sig.signal.", "exec.order", "exec.fill", "exec.balance",
                                           NULL };
    const char *const *tp = k_tally;
    xbus_pub_t *allp[S_FEEDS + 3];
    size_t na = 0;
    for (size_t i = 0; i < p->n_feeds; i++) {
        allp[na++] = fpubs[i];
    }
    allp[na++] = p->sig_pub;
    allp[na++] = p->risk_pub;
    allp[na++] = p->exec_pub;
    for (size_t i = 0; i < na; i++) {
        for (size_t k = 0; tp[k]; k++) {
            if (xbus_sub(p->bus, allp[i], tp[k], s_tally_recv, p) != 0) {
                return -1;
            }
        }
    }
    if (p->record == PIPELINE_RECORD_NONE) {
        return 0;
    }
    /* recorder: every feed, signal, risk, executor instance, ranks in that order; "trading":
     * only what fills the trading tables (and the barriers its step orders them by) */
    static const char *const k_trading[] = {
        "sig.signal.",  "exec.order",  "exec.fill", "exec.position",
        "exec.balance", "sys.barrier", NULL
    };
    const char *const *rp = p->record == PIPELINE_RECORD_TRADING ? k_trading : k_all;
    int rr = 0;
    if (s_wire(p, fpubs, p->n_feeds, rp, s_rec_recv, p->rec_step, &rr, 1, false) != 0
        || s_wire(p, &p->sig_pub, 1, rp, s_rec_recv, p->rec_step, &rr, 1, false) != 0
        || s_wire(p, &p->risk_pub, 1, rp, s_rec_recv, p->rec_step, &rr, 1, false) != 0
        || s_wire(p, &p->exec_pub, 1, rp, s_rec_recv, p->rec_step, &rr, 1, false) != 0) {
        return -1;
    }
    return 0;
}

pipeline_t *
pipeline_new(cfg_t *cfg, const char *db)
{
    return pipeline_new_record(cfg, db, PIPELINE_RECORD_FULL);
}

pipeline_t *
pipeline_new_record(cfg_t *cfg, const char *db, pipeline_record_t record)
{
    assert(cfg && (db || record == PIPELINE_RECORD_NONE));
    pipeline_t *p = calloc(1, sizeof *p);
    if (!p) {
        errno = ENOMEM;
        return NULL;
    }
    p->cfg = cfg;
    p->record = record;
    /* nothing listens: the connections' URLs only route frames by their path, so a
     * "{venue_port}" with no port chosen for the run (no tools/sv up) stands for any port */
    cfg_assume_venue_port(cfg, 1);
    if (s_build(p, db) != 0) {
        int e = errno ? errno : EINVAL;
        pipeline_destroy(&p);
        errno = e;
        return NULL;
    }
    return p;
}

void
pipeline_destroy(pipeline_t **self_p)
{
    assert(self_p);
    pipeline_t *p = *self_p;
    if (!p) {
        return;
    }
    writer_destroy(&p->w);
    step_destroy(&p->rec_step);
    step_destroy(&p->exec_step);
    step_destroy(&p->risk_step);
    step_destroy(&p->sig_step);
    exec_destroy(&p->exec);
    free(p->xc);
    risk_engine_destroy(&p->risk);
    free(p->rcfg);
    engine_destroy(&p->sig);
    conn_ctx_destroy(&p->cctx); /* before the sessions, as feed/main.c does */
    for (size_t i = 0; i < p->n_feeds; i++) {
        s_feed_destroy(&p->feeds[i]);
    }
    xbus_destroy(&p->bus);
    kstream_destroy(&p->ks);
    free(p->ks_paths);
    free(p->rows);
    free(p->ts);
    free(p->inst_linear);
    free(p->inst_spot);
    source_destroy(&p->src);
    free(p);
    *self_p = NULL;
}

/* ---- run --------------------------------------------------------------------------------- */

/* One kline row to a session: the event itself (session_kline), or, when the feed does not
 * take it directly (a symbol it has no rules for, a decimal it refuses), the frame venue-sim
 * would send (klines_frame), parsed and refused as it always is. */
static void
s_hand_kline(pipeline_t *p, s_feed_t *f, size_t c, const kstream_row_t *r)
{
    p->stats.handed++;
    if (session_kline(f->sess[c], &r->k, clock_wall_ns()) == 0) {
        return;
    }
    char frame[KLINES_FRAME_MAX];
    size_t len;
    int64_t e;
    if (klines_frame(r->text, r->len, r->symbol, frame, sizeof frame, &len, &e) != 0) {
        log_warn(S_MOD, "%s:%llu: kline row has no frame: %s", r->file, (unsigned long long)r->line,
                 strerror(errno));
        return;
    }
    session_frame(f->sess[c], frame, len, clock_wall_ns());
}

/* The step's frames to each feed's sessions, connection by connection in config order, each
 * connection's in timeline order: loaded frames [first, end) merged with the step's kline rows
 * (a row after the loaded frames of the same event time: source.c loads the CSVs last). */
static void
s_step_frames(pipeline_t *p, const sched_step_t *st)
{
    for (size_t fi = 0; fi < p->n_feeds; fi++) {
        s_feed_t *f = &p->feeds[fi];
        for (size_t c = 0; c < f->n; c++) {
            if (f->kind[c] < 0) {
                continue;
            }
            size_t k = 0, nk = f->kline_sub[c] ? p->n_rows : 0;
            for (size_t i = st->first; i < st->end; i++) {
                const source_frame_t *fr = source_frame(p->src, i);
                if ((int)fr->kind == f->kind[c] && f->subs[c][fr->key]) {
                    for (; k < nk && p->rows[k].ts_ms < fr->ts_ms; k++) {
                        s_hand_kline(p, f, c, &p->rows[k]);
                    }
                    session_frame(f->sess[c], fr->text, fr->len, clock_wall_ns());
                    p->stats.handed++;
                }
            }
            for (; k < nk; k++) {
                s_hand_kline(p, f, c, &p->rows[k]);
            }
            /* a Binance book that lost its sequence wants a REST snapshot: the feed fetches it
             * on its next tick (wall clock), the backtest at the end of the step */
            if (!session_ready(f->sess[c]) && session_open_offline(f->sess[c]) != 0) {
                log_warn(S_MOD, "%s: %s: no snapshot yet: %s", f->name, session_label(f->sess[c]),
                         strerror(errno));
            }
        }
        s_feed_barrier(f, st->step, st->end_ms * CLOCK_NS_PER_MS, st->last);
    }
}

static int64_t
s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Cut the next step as venue-sim's schedule does (tools/venue-sim/schedule.c): from the first
 * pending frame's event time aligned down to step_ms, every frame before the end, loaded ones
 * and streamed kline rows alike (read into p->rows here). 1, 0 after the last step, -1 with
 * errno from the stream (logged). */
static int
s_next_step(pipeline_t *p, sched_step_t *st)
{
    size_t nf = source_count(p->src);
    int64_t kt = 0;
    bool have_k = p->ks && kstream_peek(p->ks, &kt) == 1;
    p->n_rows = 0;
    if (p->pos >= nf && !have_k) {
        if (p->step_no > 0) {
            return 0;
        }
        memset(st, 0, sizeof *st); /* an empty timeline has one step: no frames, last */
        st->step = ++p->step_no;
        st->last = true;
        return 1;
    }
    int64_t t0 = p->pos < nf ? p->ts[p->pos] : kt;
    if (have_k && kt < t0) {
        t0 = kt;
    }
    memset(st, 0, sizeof *st);
    st->step = ++p->step_no;
    st->t_ms = s_floor_div(t0, p->vc.step_ms) * p->vc.step_ms;
    st->end_ms = st->t_ms + p->vc.step_ms;
    st->first = p->pos;
    size_t i = p->pos;
    while (i < nf && p->ts[i] < st->end_ms) {
        i++;
    }
    st->end = i;
    p->pos = i;
    while (have_k && kt < st->end_ms) {
        if (p->n_rows == p->cap_rows) {
            size_t cap = p->cap_rows ? p->cap_rows * 2 : 4;
            kstream_row_t *r = realloc(p->rows, cap * sizeof *r);
            if (!r) {
                errno = ENOMEM;
                return -1;
            }
            p->rows = r;
            p->cap_rows = cap;
        }
        if (kstream_next(p->ks, &p->rows[p->n_rows]) < 0) {
            log_error(S_MOD, "%s", kstream_error(p->ks));
            return -1;
        }
        p->n_rows++;
        p->stats.frames++;
        if (kt > p->stats.last_ms) {
            p->stats.last_ms = kt;
        }
        have_k = kstream_peek(p->ks, &kt) == 1;
    }
    if (p->ks && !have_k) {
        kstream_row_t end;
        if (kstream_next(p->ks, &end) < 0) { /* a failure behind the last row */
            log_error(S_MOD, "%s", kstream_error(p->ks));
            return -1;
        }
    }
    st->last = p->pos >= nf && !have_k;
    return 1;
}

/* What the recorder is given with --record full: every message of the feeds, signal, risk
 * and executor but barriers (counted by their publishers). */
static void
s_count_published(pipeline_t *p)
{
    uint64_t n = 0;
    for (size_t i = 0; i < p->n_feeds; i++) {
        n += xbus_pub_published(p->feeds[i].pub);
    }
    n += xbus_pub_published(p->sig_pub) + xbus_pub_published(p->risk_pub)
         + xbus_pub_published(p->exec_pub);
    p->tally.messages = n;
}

int
pipeline_run(pipeline_t *self)
{
    assert(self);
    pipeline_t *p = self;
    /* hello (step 0): once; every stage forwards it as in the group */
    bool any = p->stats.frames > 0 || (p->ks && p->first_kline_ms != INT64_MAX);
    int64_t first_ns = any ? p->stats.first_ms * CLOCK_NS_PER_MS : 0;
    for (size_t fi = 0; fi < p->n_feeds; fi++) {
        s_feed_barrier(&p->feeds[fi], 0, first_ns, false);
    }
    p->stats.messages += xbus_run(p->bus);
    sched_step_t st;
    memset(&st, 0, sizeof st);
    int rc;
    while ((rc = s_next_step(p, &st)) == 1) {
        s_step_frames(p, &st);
        p->stats.messages += xbus_run(p->bus);
        p->stats.steps++;
        if (p->w && writer_tick(p->w, clock_mono_ns()) < 0) {
            log_warn(S_MOD, "recorder: a timed commit failed (retried)");
        }
        if (st.last || p->refused) {
            break;
        }
    }
    s_count_published(p);
    if (rc < 0) {
        if (p->w) {
            (void)writer_commit(p->w); /* keep what was recorded up to the failure */
        }
        errno = EIO;
        return -1;
    }
    if (p->refused) {
        if (p->w) {
            (void)writer_commit(p->w); /* keep what was recorded up to the failure */
        }
        errno = EPROTO;
        return -1;
    }
    if (p->w
        && (writer_commit(p->w) < 0 || p->commit_failed
            || writer_end_run(p->w, clock_wall_ns()) < 0)) {
        log_error(S_MOD, "recorder: the final commit failed");
        errno = EIO;
        return -1;
    }
    return 0;
}

const char *
pipeline_run_id(const pipeline_t *self)
{
    assert(self);
    return self->run_id;
}

const source_t *
pipeline_source(const pipeline_t *self)
{
    assert(self);
    return self->src;
}

const pipeline_stats_t *
pipeline_stats(const pipeline_t *self)
{
    assert(self);
    return &self->stats;
}

void
pipeline_set_feed_only(pipeline_t *self, bool on)
{
    assert(self);
    self->feed_only = on;
}

const pipeline_tally_t *
pipeline_tally(const pipeline_t *self)
{
    assert(self);
    return &self->tally;
}

uint64_t
pipeline_live_bodies(const pipeline_t *self)
{
    assert(self);
    return self->bus ? xbus_live_bodies(self->bus) : 0;
}
