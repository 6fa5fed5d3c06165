/*  codec.h - the message envelope and every message body, to and from msgpack.
 *  The one module that touches msgpack (STYLE: nothing else does).
 *
 *  Wire: two ZeroMQ frames. Frame 1: topic string (for SUB prefix filtering). Frame 2: one
 *  msgpack map {v, src, epoch, seq, ts, origin, evt, body} - see docs/messages.md.
 *  `evt` (event time, ns) is our addition to ARCHITECTURE.md's envelope: the exchange event
 *  time that this message is about, so any consumer can order messages from several
 *  publishers deterministically during replay without decoding bodies.
 *  Bodies are msgpack maps with short named keys; prices and quantities are int64 mantissas
 *  at the scales carried in the same body (px_scale, qty_scale); quote amounts (notional,
 *  fees, PnL, balances) at MONEY_VALUE_SCALE (8). Times are int64 ns since the Unix epoch.
 *  Units are in field names and comments below.
 *  Cost: encode writes into a caller buffer (no allocation); decode does not allocate either
 *  (it walks the msgpack bytes in place).
 */
#ifndef TP_CODEC_H
#define TP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CODEC_VERSION       1
#define CODEC_SRC_MAX       32  /* "feed.0" */
#define CODEC_SYM_MAX       24  /* "BTCUSDT" */
#define CODEC_VENUE_MAX     16  /* "bybit" */
#define CODEC_NAME_MAX      32  /* strategy instance, status word, indicator name */
#define CODEC_ID_MAX        48  /* client order id, venue order id, trade id */
#define CODEC_TEXT_MAX      128 /* reasons, alerts */
#define CODEC_LEVELS        10  /* book levels per side carried in md.book */
#define CODEC_IND_MAX       16  /* values per sig.ind (context: 13; sets: 12, IND_PER_MSG) */
#define CODEC_COUNTERS      16  /* counters per sys.hb */
#define CODEC_BARRIER_CONNS 16
#define CODEC_MSG_MAX       8192 /* largest encoded message; buffers of this size always suffice */

typedef enum {
    CODEC_UNKNOWN = 0,
    CODEC_MD_BOOK,       /* md.book.<venue>.<symbol> */
    CODEC_MD_TRADE,      /* md.trade.<venue>.<symbol> */
    CODEC_MD_TICKER,     /* md.ticker.<venue>.<symbol> */
    CODEC_MD_KLINE,      /* md.kline.<interval>.<venue>.<symbol> */
    CODEC_MD_STATUS,     /* md.status.<venue> */
    CODEC_MD_INSTRUMENT, /* md.instrument.<venue>.<symbol> */
    CODEC_SIG_BAR,       /* sig.bar.<tf>.<venue>.<symbol> */
    CODEC_SIG_IND,       /* sig.ind.<tf>.<venue>.<symbol> */
    CODEC_SIG_SIGNAL,    /* sig.signal.<strategy>.<symbol> */
    CODEC_RISK_ORDER,    /* risk.order  (also the body of an order request on REQ/REP) */
    CODEC_RISK_REJECT,   /* risk.reject */
    CODEC_RISK_STATE,    /* risk.state */
    CODEC_RISK_ALERT,    /* risk.alert, and rec.alert (the recorder's database alerts) */
    CODEC_EXEC_ORDER,    /* exec.order */
    CODEC_EXEC_FILL,     /* exec.fill */
    CODEC_EXEC_POSITION, /* exec.position */
    CODEC_EXEC_BALANCE,  /* exec.balance */
    CODEC_ORDER_ACK,     /* reply on the order REQ/REP (topic "order.ack") */
    CODEC_SYS_HB,        /* sys.hb.<stage> */
    CODEC_SYS_BARRIER,   /* sys.barrier  (replay step barrier) */
    CODEC_SIG_SETUP,     /* sig.setup.<strategy>.<symbol> (appended: earlier numbers unchanged) */
    CODEC_GW_ACTION,     /* gw.action (an operator action through the gateway; appended) */
    CODEC_TYPE_COUNT
} codec_type_t;

typedef struct {
    uint32_t v;              /* schema version, CODEC_VERSION */
    char src[CODEC_SRC_MAX]; /* publisher instance, "feed.0" */
    int64_t epoch;           /* publisher start time, ns (a restart changes it) */
    uint64_t seq;            /* per-publisher sequence from 1 */
    int64_t ts;              /* publish time, ns, wall clock */
    int64_t origin;          /* local receive time of the md event that caused this, ns */
    int64_t evt;             /* event time this message is about, ns (exchange clock) */
} codec_env_t;

typedef struct {
    int64_t px;  /* mantissa at px_scale */
    int64_t qty; /* mantissa at qty_scale */
} codec_level_t;

/* md.book: BBO and top levels after each update. */
typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int32_t px_scale, qty_scale;
    int64_t ts_event;   /* exchange time of the update (Bybit cts or ts; Binance E), ns */
    int64_t ts_recv;    /* local receive time, ns */
    uint64_t update_id; /* venue update id (Bybit u, Binance u) */
    bool snapshot;      /* this update was a snapshot (book replaced) */
    uint32_t n_bids, n_asks;
    codec_level_t bids[CODEC_LEVELS]; /* best first */
    codec_level_t asks[CODEC_LEVELS]; /* best first */
} codec_md_book_t;

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int32_t px_scale, qty_scale;
    int64_t ts_event, ts_recv;
    int64_t px, qty;
    int8_t side; /* taker side: +1 buy, -1 sell */
    char trade_id[CODEC_ID_MAX];
} codec_md_trade_t;

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int32_t px_scale, qty_scale;
    int64_t ts_event, ts_recv;
    int64_t last_px, mark_px, index_px; /* 0 = not known */
    int64_t bid_px, bid_qty, ask_px, ask_qty;
    int64_t funding_rate_e8; /* funding rate x 1e8 (0.0001 -> 10000) */
    int64_t next_funding_ns;
} codec_md_ticker_t;

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int32_t px_scale, qty_scale;
    int32_t interval_s;             /* 60 for 1m */
    int64_t start_ns, end_ns;       /* [start, end) */
    int64_t open, high, low, close; /* px mantissas */
    int64_t volume;                 /* base, qty mantissa */
    int64_t quote_volume;           /* at MONEY_VALUE_SCALE */
    int64_t taker_buy_volume;       /* base, qty mantissa; 0 if the venue does not say */
    int64_t trades;                 /* trade count; 0 if the venue does not say */
    bool closed;                    /* final bar (Bybit confirm, Binance k.x) */
    int64_t ts_event, ts_recv;
} codec_md_kline_t;

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX]; /* "" = the whole connection */
    char state[CODEC_NAME_MAX]; /* "connected" | "resync" | "stale" | "disconnected"; as
                                 * exec.status.<venue>: "reconciling" | "running" | "halted" */
    char reason[CODEC_TEXT_MAX];
    int64_t ts_event;
} codec_md_status_t;

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char category[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int32_t px_scale, qty_scale;
    int64_t tick, step, min_qty; /* mantissas */
    int64_t min_notional;        /* MONEY_VALUE_SCALE */
} codec_md_instrument_t;

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    char source[12]; /* "kline" | "trades" */
    int32_t px_scale, qty_scale;
    int32_t tf_s;             /* timeframe, seconds */
    int64_t start_ns, end_ns; /* [start, end) */
    int64_t open, high, low, close, vwap;
    int64_t volume, taker_buy_volume; /* qty mantissas */
    int64_t quote_volume;             /* MONEY_VALUE_SCALE */
    int64_t trades;
} codec_sig_bar_t;

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int32_t tf_s;
    int64_t ts_event; /* bar end, ns */
    uint32_t n;
    char names[CODEC_IND_MAX][16]; /* "ema9", "rsi14" */
    double values[CODEC_IND_MAX];
} codec_sig_ind_t;

typedef struct {
    char strategy[CODEC_NAME_MAX]; /* strategy instance name */
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int8_t side;       /* +1 buy (long), -1 sell (short/exit long) */
    double confidence; /* 0..100 */
    int32_t px_scale;
    int64_t ref_px, sl_px, tp_px; /* px mantissas on the tick; 0 = none */
    int64_t ts_event;
    char reason[CODEC_TEXT_MAX];
} codec_sig_signal_t;

/* sig.setup: one life-cycle change of a setup (strategy type "setups", docs/signal.md): the
 * trade it prepares, so a trader sees it form before it triggers. Prices are px mantissas at
 * px_scale, on the instrument's tick except level_px (the level to the px unit); 0 = none. */
typedef struct {
    char strategy[CODEC_NAME_MAX]; /* strategy instance name */
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    char kind[CODEC_NAME_MAX]; /* "resistance_rejection" | "support_breakdown" */
    char state[16];            /* "FORMING" | "ACTIVE" | "TRIGGERED" | "INVALIDATED" */
    int8_t side;               /* side of the prepared trade: +1 buy, -1 sell */
    int32_t px_scale;
    int64_t level_px;               /* the price level the setup is built on */
    int64_t zone_lo_px, zone_hi_px; /* entry zone [lo, hi] */
    int64_t ref_px;                 /* entry the levels are computed from */
    int64_t sl_px, tp1_px, tp2_px;  /* stop, first and second take-profit targets */
    int32_t bars;                   /* bars since FORMING */
    int64_t ts_event;               /* event time of the message that closed the bar, ns */
    char reason[CODEC_TEXT_MAX];    /* the precondition / trigger signals that held */
} codec_sig_setup_t;

/* gw.action: one operator action taken through the gateway (docs/gateway.md): what, on which
 * instance, from which token (its name, never the token), and the stage's answer as it came.
 * The recorder keeps it in `events` (topic gw.action). */
#define CODEC_ANSWER_MAX 2048
typedef struct {
    char action[CODEC_NAME_MAX];   /* "kill", "pause", "cancel", ... */
    char target[CODEC_SRC_MAX];    /* the instance asked: "risk.0" */
    char args[CODEC_TEXT_MAX];     /* the reason, symbol or order id given ("" none) */
    char token[CODEC_NAME_MAX];    /* the name of the token that asked: "control" */
    bool ok;                       /* the stage answered and did not refuse ("ok":false) */
    char answer[CODEC_ANSWER_MAX]; /* the stage's reply as sent (JSON), or {"error":...} */
    int64_t ts_event;              /* wall clock when the action was taken, ns */
} codec_gw_action_t;

typedef enum { CODEC_ORD_MARKET = 0, CODEC_ORD_LIMIT = 1 } codec_ord_type_t;

/* risk.order, and the body of the order request risk sends to the executor. */
typedef struct {
    char client_id[CODEC_ID_MAX]; /* chosen by risk; the venue's orderLinkId */
    char strategy[CODEC_NAME_MAX];
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    char intent[16]; /* "entry" | "stop_loss" | "take_profit" | "kill" | "exit" */
    int8_t side;     /* +1 buy, -1 sell */
    uint8_t type;    /* codec_ord_type_t */
    bool reduce_only;
    int32_t px_scale, qty_scale;
    int64_t qty;          /* qty mantissa, on the step */
    int64_t px;           /* limit price mantissa; 0 for market */
    int64_t sl_px, tp_px; /* attached stop / target, 0 = none */
    int64_t ts_event;     /* event time of the decision, ns */
    int64_t ttl_ns;       /* request expires at ts_event + ttl_ns (0 = never) */
    char tif[12];         /* time in force, Bybit words: "" (= GTC) | "GTC" | "IOC" |
                             "FOK" | "PostOnly"; market orders are always IOC */
    int64_t trigger_px;   /* conditional order: trigger price mantissa, 0 = none */
    int8_t trigger_dir;   /* 1 = trigger when the price rises to it, 2 = falls to it
                             (Bybit triggerDirection); 0 with trigger_px 0 */
} codec_risk_order_t;

typedef struct {
    char client_id[CODEC_ID_MAX]; /* "" if no order was made */
    char strategy[CODEC_NAME_MAX];
    char symbol[CODEC_SYM_MAX];
    char reason[CODEC_TEXT_MAX];
    int64_t ts_event;
} codec_risk_reject_t;

typedef struct {
    char state[CODEC_NAME_MAX]; /* "HALTED" | "RUNNING" | "PAUSED" | "KILLED" */
    char reason[CODEC_TEXT_MAX];
    int64_t equity, equity_peak, daily_pnl, drawdown; /* MONEY_VALUE_SCALE */
    int32_t open_positions;
    int32_t trades_today;
    int64_t ts_event;
} codec_risk_state_t;

typedef struct {
    char level[12];            /* "warn" | "error" */
    char code[CODEC_NAME_MAX]; /* "daily_loss_limit", ... */
    char text[CODEC_TEXT_MAX];
    int64_t ts_event;
} codec_risk_alert_t;

typedef struct {
    char client_id[CODEC_ID_MAX];
    char order_id[CODEC_ID_MAX]; /* venue order id */
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    char status[CODEC_NAME_MAX]; /* Bybit v5 orderStatus words: New, PartiallyFilled, Filled,
                                    Cancelled, PartiallyFilledCanceled, Rejected, ... */
    char reject_reason[CODEC_TEXT_MAX];
    int8_t side;
    uint8_t type;
    bool reduce_only;
    int32_t px_scale, qty_scale;
    int64_t qty, px, cum_qty, avg_px; /* mantissas; avg_px rounded half-even to px_scale */
    int64_t fee;                      /* cumulative, MONEY_VALUE_SCALE */
    int64_t ts_event;
} codec_exec_order_t;

typedef struct {
    char client_id[CODEC_ID_MAX];
    char order_id[CODEC_ID_MAX];
    char fill_id[CODEC_ID_MAX]; /* venue execId */
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int8_t side;
    bool maker;
    int32_t px_scale, qty_scale;
    int64_t px, qty;
    int64_t fee;          /* MONEY_VALUE_SCALE, positive = paid */
    int64_t realized_pnl; /* gross PnL this fill realised, MONEY_VALUE_SCALE */
    int64_t ts_event;
} codec_exec_fill_t;

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int32_t px_scale, qty_scale;
    int64_t qty;      /* signed: > 0 long, < 0 short */
    int64_t entry_px; /* average entry, px mantissa */
    int64_t mark_px;
    int64_t realized_pnl;   /* cumulative gross, MONEY_VALUE_SCALE */
    int64_t unrealized_pnl; /* at mark_px, MONEY_VALUE_SCALE */
    int64_t ts_event;
} codec_exec_position_t;

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char asset[12]; /* "USDT" */
    int64_t wallet; /* cash balance after fees and realised PnL, VALUE scale */
    int64_t available;
    int64_t equity; /* wallet + unrealised PnL */
    int64_t fees;   /* cumulative fees paid */
    int64_t ts_event;
} codec_exec_balance_t;

typedef struct {
    char client_id[CODEC_ID_MAX];
    bool accepted;
    char status[CODEC_NAME_MAX]; /* "New" on acceptance, else "Rejected" */
    char reason[CODEC_TEXT_MAX];
} codec_order_ack_t;

typedef struct {
    char stage[CODEC_SRC_MAX];
    char state[CODEC_NAME_MAX];
    int64_t uptime_ms;
    uint32_t n;
    char names[CODEC_COUNTERS][24];
    int64_t values[CODEC_COUNTERS];
} codec_sys_hb_t;

/* Replay step barrier (ARCHITECTURE.md "Event time, replay and determinism"). venue-sim
 * fills `conns` with frames sent so far per connection label; stages forward it with n = 0. */
typedef struct {
    uint64_t step;    /* 0 = hello (pipeline join check), then 1, 2, ... */
    int64_t ts_event; /* end of the step in event time, ns (exclusive) */
    bool end;         /* last barrier of the replay */
    bool ready;       /* hello only: every edge it crossed was joined (step.h) */
    uint32_t n;
    char labels[CODEC_BARRIER_CONNS][CODEC_ID_MAX];
    uint64_t counts[CODEC_BARRIER_CONNS];
} codec_sys_barrier_t;

typedef union {
    codec_md_book_t book;
    codec_md_trade_t trade;
    codec_md_ticker_t ticker;
    codec_md_kline_t kline;
    codec_md_status_t status;
    codec_md_instrument_t instrument;
    codec_sig_bar_t bar;
    codec_sig_ind_t ind;
    codec_sig_signal_t signal;
    codec_risk_order_t order;
    codec_risk_reject_t reject;
    codec_risk_state_t rstate;
    codec_risk_alert_t alert;
    codec_exec_order_t xorder;
    codec_exec_fill_t fill;
    codec_exec_position_t position;
    codec_exec_balance_t balance;
    codec_order_ack_t ack;
    codec_sys_hb_t hb;
    codec_sys_barrier_t barrier;
    codec_sig_setup_t setup;
    codec_gw_action_t action;
} codec_body_t;

/* The type a topic carries, by prefix ("md.book." -> CODEC_MD_BOOK); CODEC_UNKNOWN if none. */
codec_type_t codec_type_of_topic(const char *topic);

/* Copy the string src into a body's fixed field dst[cap] (cap >= 1), cut at cap - 1 bytes and
 * always terminated: what snprintf(dst, cap, "%s", src) does, without its format parsing, for
 * the fields filled on every message (a bar's venue and symbol, an indicator's name). */
void codec_str(char *dst, size_t cap, const char *src);

/* Short name of a type ("md.book", "exec.fill"). Static string. */
const char *codec_type_name(codec_type_t type);

/* Encode envelope + body of `type` into buf[cap]. `body` points at the member of
 * codec_body_t for `type`. Returns 0 and sets *len, or -1 with errno ENOBUFS (cap too small),
 * EINVAL (unknown type, string not NUL-terminated within its field). */
int codec_encode(const codec_env_t *env, codec_type_t type, const void *body, uint8_t *buf,
                 size_t cap, size_t *len);

/* Decode only the envelope (cheap; for routing, gap detection, barrier merging).
 * 0, or -1/EPROTO if the bytes are not a valid envelope. */
int codec_decode_env(const uint8_t *buf, size_t len, codec_env_t *env);

/* Decode envelope and body. The body is zeroed first; unknown keys are skipped; missing keys
 * stay zero; a string longer than its field is EPROTO. 0, or -1/EPROTO. `env` may be NULL. */
int codec_decode(const uint8_t *buf, size_t len, codec_type_t type, codec_env_t *env, void *body);

/* Render a whole encoded message (envelope and body, any type) as one line of JSON into
 * out[cap], NUL-terminated. Generic: works from the msgpack map itself. Returns the length,
 * or -1 with errno ENOBUFS or EPROTO. */
int codec_to_json(const uint8_t *buf, size_t len, char *out, size_t cap);

/* Render only the body as JSON (for the recorder's events.body column). As codec_to_json. */
int codec_body_to_json(const uint8_t *buf, size_t len, char *out, size_t cap);

#endif /* TP_CODEC_H */
