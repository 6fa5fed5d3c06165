/*  check.h - check-config's checks: every stage instance named under "endpoints" has its
 *  section validated by that stage's own reader (signal_config_check, feed_config_check,
 *  venuesim_config_check, ...), exactly as the stage does at start and without starting
 *  anything; then the checks across sections that no single stage can make:
 *    - every strategy's (venue, symbol) has instrument rules: feed.instruments, a Binance
 *      connection's exchange_info file, or (replay) the Bybit instruments-info body venue-sim
 *      serves for the connection's category (venue_sim.bybit_instruments_linear/spot); live,
 *      a Bybit connection's rules come from the venue's REST at start and count as present
 *    - a strategy with "long_only": false on a spot symbol is refused (a spot account cannot
 *      sell what it does not hold)
 *    - every (venue, symbol) a strategy trades, or signal.trade_bars/indicators/mtf use, is
 *      subscribed to by a feed connection; the reverse where it matters: a Bybit symbol a feed
 *      subscribes to in replay has rules in venue-sim's instruments-info, and every label in
 *      venue_sim.expect_labels is a feed connection's (venue-sim would wait for it forever)
 *  Errors are reported one by one through a callback, each "file:line: key: why"; identical
 *  ones (a section read for two instances) once.
 */
#ifndef TP_CHECK_CONFIG_CHECK_H
#define TP_CHECK_CONFIG_CHECK_H

#include <stddef.h>

#include "common/cfg.h"

/* Called once per distinct error; `msg` is borrowed for the call. */
typedef void(check_err_fn)(const char *msg, void *arg);

typedef struct {
    size_t sections;  /* top-level keys whose value is an object */
    size_t instances; /* stage instances under "endpoints" */
    size_t errors;    /* distinct errors reported */
} check_result_t;

/* Run every check on `cfg` (borrowed; its error text is overwritten). Fills *res. Returns the
 * number of distinct errors (0 = the config is good). */
size_t check_config(cfg_t *cfg, check_err_fn *fn, void *arg, check_result_t *res);

#endif /* TP_CHECK_CONFIG_CHECK_H */
