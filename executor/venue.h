/*  venue.h - the interface between the executor's intake (executor/exec.c) and a venue that
 *  executes orders: "paper" (executor/paper.c) and "bybit" (executor/bybit.c, Bybit v5
 *  REST through executor/rest.c, or venue-sim's private side).
 *  Owns:  nothing itself: a venue_t is an ops table plus the implementation's object.
 *  Contract every venue keeps:
 *    - place() is called once per accepted order, in step order (replay) or on arrival (live);
 *      the order lives in the shared orders table and changes only through orders.h calls.
 *    - market data (book, trade, kline) is handed over decoded, in step order.
 *    - outputs (exec.order, exec.fill, exec.position, exec.balance) go through the emit
 *      callback with evt = event time they are about and origin = the order's origin.
 *    - no clock reads: time comes from the messages.
 */
#ifndef TP_EXEC_VENUE_H
#define TP_EXEC_VENUE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/codec.h"
#include "common/instr.h"
#include "executor/orders.h"

/* Scale of fee rates and of the slippage cap percentage (cfg "0.001" -> 100000). */
#define VENUE_RATE_SCALE 8
/* Scale of a leverage (Bybit: steps of 0.01; cfg "1" -> 100). */
#define VENUE_LEV_SCALE 2

/* Publish one message: `body` is the codec struct for `type`, borrowed for the call. */
typedef void(venue_emit_fn)(const char *topic, codec_type_t type, const void *body, int64_t evt,
                            int64_t origin, void *arg);

/* What a venue is built from (all borrowed for venue_new only, except `orders`, which must
 * outlive the venue). */
typedef struct {
    const char *name; /* "paper" */
    orders_t *orders; /* shared order table */
    venue_emit_fn *emit;
    void *emit_arg;
    const char *asset;     /* account asset, "USDT" */
    int64_t start_balance; /* MONEY_VALUE_SCALE */
    int64_t taker_fee;     /* rate at VENUE_RATE_SCALE (0.001 -> 100000) */
    int64_t maker_fee;     /* rate at VENUE_RATE_SCALE */
    int64_t slippage_cap;  /* percent at VENUE_RATE_SCALE (1.0 % -> 100000000); 0 = none */
    int64_t leverage;      /* live venue: the leverage set on every traded symbol and the cap
                              entries need (x at VENUE_LEV_SCALE, "1" -> 100); 0 = unmanaged */
    const char (*lev_symbols)[CODEC_SYM_MAX]; /* the traded symbols (set at start) */
    size_t n_lev_symbols;
    /* "bybit" (executor/bybit.h) only */
    const char *base_url;     /* "https://api.bybit.com", venue-sim "http://127.0.0.1:18765" */
    const char *api_key;      /* never logged */
    const char *api_secret;   /* never logged */
    const char *journal_path; /* durable intent journal (journal.h) */
    const char *category;     /* "linear" */
    int recv_window_ms;       /* 5000 */
    int timeout_ms;           /* per REST call */
    int64_t max_offset_ms;    /* halt when |server - local| is larger (500) */
    const char *ws_url;       /* private WS ("" = none; venue-sim "ws://127.0.0.1:P/v5/private") */
    void *loop;               /* zloop_t * of the stage for the WS (NULL = no WS: tests) */
    instr_table_t *instr;     /* the executor's rules: filled from instruments-info at start
                                 for symbols md.instrument has not given (set by exec_new) */
    const int64_t *md_time;   /* the latest md event time the executor has seen, ns (0 = none;
                                 set by exec_new, outlives the venue): ts_event of
                                 exec.status; NULL or 0 = the wall clock is used */
    /* paper persistence (executor/paper.h "Persistence"): the run writing the state file
     * (NULL = none named), and whether a file of another run is set aside instead of restored
     * (replay mode: a replay starts fresh unless it resumes its own run) */
    const char *run_id;
    bool fresh_other_runs;
} venue_cfg_t;

typedef struct {
    const char *name;
    /* Execute the accepted order `o` (status New). `in` is its instrument (borrowed). Emits
     * exec.order New first. 0, or -1 with errno (the order was cancelled and published). A
     * live venue returns 0 once the request is on its way (asynchronous REST): the venue's
     * answer, a refusal included, arrives later as exec.order. Never blocks. */
    int (*place)(void *impl, order_t *o, const instr_t *in);
    void (*on_book)(void *impl, const codec_md_book_t *b, int64_t origin);
    void (*on_trade)(void *impl, const codec_md_trade_t *t, int64_t origin);
    void (*on_kline)(void *impl, const codec_md_kline_t *k, int64_t origin);
    /* md.ticker (mark price as a trigger source); NULL: the venue has its own mark. */
    void (*on_ticker)(void *impl, const codec_md_ticker_t *t, int64_t origin);
    /* Called for every released barrier, before the stage forwards it. */
    void (*on_barrier)(void *impl, const codec_sys_barrier_t *b);
    /* Add status fields ("positions", "equity", ...). */
    void (*status)(void *impl, json_t *out);
    void (*destroy)(void **impl_p);
    /* Live venues only (NULL otherwise): called every poll period from the stage loop
     * (I/O: queries, reconciliation); and the venue's state word for the stage state
     * ("reconciling", "running", "halted"): risk stays halted unless it is "running". */
    void (*poll)(void *impl);
    const char *(*state)(void *impl);
    /* Operator commands on the control socket ("cancel ID", "amend ID QTY|- PX|-",
     * "cancel-all SYMBOL", "tpsl SYMBOL TP|- SL|-", "reconcile"): fill reply, 0; -1 = not a command
     * of this venue. */
    int (*control)(void *impl, const char *cmd, json_t *reply);
    /* Move the stop the venue holds for the position of r->venue + r->symbol to r->sl_px
     * (r: an accepted request with intent VENUE_MOVE_STOP, at the instrument's scales): the
     * paper venue re-prices its attached ".s" close, Bybit gets /v5/position/trading-stop.
     * Idempotent (the same price twice changes nothing). Never blocks. 0, or -1 with errno
     * ENOENT (no held stop for that symbol: nothing changed), EINVAL, ENOMEM (logged).
     * NULL: the venue holds no stops. */
    int (*move_stop)(void *impl, const codec_risk_order_t *r, int64_t origin);
} venue_ops_t;

/* Intent of a request that moves the venue-held stop of a position instead of placing an
 * order (docs/executor.md "Stop moves"): qty = |position|, side = the closing side, sl_px =
 * the new stop. Not an order: no exec.order, no entry in the order table. */
#define VENUE_MOVE_STOP "move_stop"

typedef struct {
    const venue_ops_t *ops;
    void *impl;
} venue_t;

/* Create the venue named cfg->name. 0, or -1 with errno EINVAL (unknown name or bad cfg
 * values: negative fee, negative cap), ENOMEM. */
int venue_open(venue_t *out, const venue_cfg_t *cfg);

/* Destroy the implementation; *v becomes { NULL, NULL }. No-op when already closed. */
void venue_close(venue_t *v);

#endif /* TP_EXEC_VENUE_H */
