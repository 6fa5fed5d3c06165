/*  positions.h - risk's view of the open positions, one per venue+symbol.
 *  Owns:  a fixed table (capacity from risk_positions_new) of risk_position_t: the executor's
 *         truth (signed qty, entry price, from exec.position), the stop/target of the signal
 *         that opened it, and what is in flight (entry order, exit order).
 *  Not:   deciding anything (engine, limits, exits do), sockets.
 *  Units: px at px_scale, qty at qty_scale (the instrument's), as in the exec.* bodies.
 *  Lifecycle of a slot: entry accepted (entry_id set, sl/tp stored) -> exec.position qty != 0
 *  (entry_id cleared: the entry became a position) -> exit fired (exit_pending, then exit_id)
 *  -> exec.position qty == 0 (slot flat: sl/tp/ids/latches cleared, except that an entry still
 *  in flight keeps its sl/tp). exec.order with a final status (Filled, Cancelled,
 *  PartiallyFilledCanceled, Rejected, Deactivated) for entry_id or exit_id ends that order's
 *  flight; an entry that ended with no fill (cum_qty 0, not Filled) drops its sl/tp. The
 *  executor's exec.order / exec.fill / exec.position may come in any order.
 *  Invariants, asserted by risk_positions_check():
 *    (1) count <= capacity; every used slot has a non-empty venue and symbol, all distinct
 *    (2) qty == 0 implies exit_pending == false and exit_id == ""
 *    (3) exit_id != "" implies exit_pending; exit_unacked implies exit_pending
 */
#ifndef TP_RISK_POSITIONS_H
#define TP_RISK_POSITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/codec.h"

#define RISK_POSITIONS_MAX 256

typedef struct {
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    char strategy[CODEC_NAME_MAX]; /* strategy of the opening signal ("" if not ours) */
    int32_t px_scale, qty_scale;
    int64_t qty;                 /* signed: > 0 long, < 0 short (executor's truth) */
    int64_t entry_px;            /* average entry, px mantissa */
    int64_t sl_px, tp_px;        /* from the opening signal, px mantissa; 0 = none */
    char entry_id[CODEC_ID_MAX]; /* client id of the entry in flight, "" = none */
    int8_t entry_side;           /* side of that entry */
    bool exit_pending;           /* an exit fired and is not finished: never fire again */
    char exit_id[CODEC_ID_MAX];  /* client id of the exit in flight, "" = none */
    char exit_intent[16];        /* "stop_loss" | "take_profit" | "exit" */
    bool exit_unacked;           /* that exit got no answer: the executor may hold it */
    uint32_t exit_rejects;       /* exits refused by the executor for this position */
    /* exit management (risk/exits), reset when the slot goes flat */
    int64_t step;        /* qty step of the instrument (partial exits round down to it) */
    int64_t open_qty;    /* largest |qty| since the position opened (ladder base) */
    int64_t open_evt;    /* event time the position opened, ns */
    int32_t bars;        /* closed klines of this symbol since it opened */
    uint8_t tp_stage;    /* take-profit rungs already sent */
    bool be_done;        /* stop moved to breakeven */
    bool trail_on;       /* trailing stop active */
    int64_t best_px;     /* best price since the trail activated, px mantissa */
    int64_t exit_qty;    /* qty of the exit in flight, qty mantissa */
    int64_t trip_pnl;    /* net PnL (realized - fee) of fills since it opened, VALUE scale */
    int64_t last_md_evt; /* event time of the latest price update of this symbol, ns */
    int64_t atr_px;      /* latest ATR published for this symbol (sig.ind "atr*"), px, 0 = none */
    double atr_pctile;   /* latest sig.ind "atr_pctile" (0..100), valid if atr_pctile_known */
    bool atr_pctile_known;
    int64_t venue_sl; /* stop last moved on the venue (a move_stop the executor accepted), px
                         mantissa; 0 = still the entry's attached sl_px */
} risk_position_t;

typedef struct risk_positions risk_positions_t;

/* Table of at most `cap` (1..RISK_POSITIONS_MAX) positions. NULL with errno EINVAL or ENOMEM.
 * Caller frees with risk_positions_destroy. */
risk_positions_t *risk_positions_new(size_t cap);
void risk_positions_destroy(risk_positions_t **self_p);

/* Slot of venue+symbol, NULL if none. Borrowed until destroy (slots never move). */
risk_position_t *risk_positions_get(risk_positions_t *self, const char *venue, const char *symbol);
/* As get, creating a flat slot when missing. NULL with errno ENOSPC (table full) or EINVAL
 * (empty or too long venue/symbol). */
risk_position_t *risk_positions_ensure(risk_positions_t *self, const char *venue,
                                       const char *symbol);

/* Apply exec.position (executor's truth). Returns 1 if the slot went from open to flat or
 * flat to open (the open count changed), 0 otherwise, -1/ENOSPC|EINVAL as ensure. */
int risk_positions_on_exec_position(risk_positions_t *self, const codec_exec_position_t *p);

/* Apply exec.order: a final status for a slot's entry_id/exit_id ends that flight. An exit
 * that ended without the position going flat may fire again. Unknown ids are ignored. */
void risk_positions_on_exec_order(risk_positions_t *self, const codec_exec_order_t *o);

/* Slots that hold a position or an entry in flight (what max_open_positions counts). */
size_t risk_positions_open(const risk_positions_t *self);

size_t risk_positions_count(const risk_positions_t *self);            /* used slots */
risk_position_t *risk_positions_at(risk_positions_t *self, size_t i); /* i < count */

/* True if `status` (Bybit v5 orderStatus word) is final. */
bool risk_positions_status_final(const char *status);

void risk_positions_check(const risk_positions_t *self); /* asserts (1)-(3) */

#endif /* TP_RISK_POSITIONS_H */
