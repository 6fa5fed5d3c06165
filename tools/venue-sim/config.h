/*  config.h - venue-sim's configuration read in one place: venue_sim.* and the keys of other
 *  sections it depends on (feed.connections[].url/label for the expected labels, the PUB of
 *  venue_sim.wait_for), the data it names, and the check that validates all of it without
 *  starting anything. venue-sim's main.c, the check-config tool and a future in-process
 *  backtest all go through these functions (docs/config.md "venue_sim").
 *  Owns:  nothing past a call (venuesim_config_t is a plain value).
 *  Errors: -1/EINVAL with "file:line: key: why" in cfg_error(cfg).
 */
#ifndef TP_VENUESIM_CONFIG_H
#define TP_VENUESIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/codec.h"
#include "tools/venue-sim/private.h"
#include "tools/venue-sim/source.h"

#define VENUESIM_MAX_EXPECT CODEC_BARRIER_CONNS

typedef struct {
    int64_t port;                 /* --port, else venue_sim.port, else cfg_venue_port's */
    int64_t step_ms;              /* venue_sim.step_ms: event time per step */
    int64_t window;               /* venue_sim.window: steps ahead of the last echoed barrier */
    int64_t hello_ms;             /* venue_sim.hello_ms */
    int64_t idle_cap_ms;          /* venue_sim.idle_cap_ms */
    int64_t speed;                /* venue_sim.speed or --speed: 0 = max, else N x real time */
    char speed_str[32];           /* as given ("max", "10") */
    bool lockstep;                /* venue_sim.lockstep (default: mode is replay) */
    bool exit_when_done;          /* venue_sim.exit_when_done */
    char wait_for[CODEC_SRC_MAX]; /* venue_sim.wait_for: whose barriers pace us */
    char wait_ep[256];            /* lockstep: endpoints.<wait_for>.pub expanded, else "" */
    size_t n_expect;              /* labels that must connect before the hello */
    char expect[VENUESIM_MAX_EXPECT][CODEC_ID_MAX];
    int64_t from_ms, to_ms; /* venue_sim.from / .to as [from, to) ms; INT64_MIN/MAX = none */
    bool skip_bad;          /* venue_sim.skip_bad: count and skip bad data lines */
    priv_cfg_t priv;        /* venue_sim.private, venue_sim.api_keys (private.h); its
                               instruments_linear is NULL here (venuesim_config_load reads it) */
} venuesim_config_t;

/* A speed as --speed or venue_sim.speed give it: "max" -> 0, "N" (1..1000000) -> N; -1 if
 * neither. */
int64_t venuesim_parse_speed(const char *s);

/* A UTC time as venue_sim.from/.to and backtest --from/--to take it: "YYYY-MM-DD" (midnight
 * starting that day; with `end` true, midnight ending it, so that a date as the end of a
 * window includes the day) or "YYYY-MM-DDTHH:MM[:SS[.mmm]]" with an optional "Z" or
 * "+00:00" ('T' or ' ' between date and time; that instant, also as an end). Into *ms (ms
 * since the epoch); 0, or -1/EINVAL. */
int venuesim_parse_time(const char *s, bool end, int64_t *ms);

/* ms since the epoch as "2025-11-03T00:00:00Z" (".123" before the Z if not whole seconds)
 * into buf[cap] (>= 32); returns buf. */
const char *venuesim_fmt_time(int64_t ms, char *buf, size_t cap);

/* Read the settings (everything but the data files' contents) into *out (untouched on
 * failure). `replay`: the config's mode is "replay"; speed_arg (--speed) NULL and port_arg
 * (--port) < 1 when not given (main.c refuses bad ones first: venuesim_parse_speed). The
 * port: port_arg, else venue_sim.port, else (0) cfg_venue_port (the run's port file, or the
 * port check-config assumes); main.c resolves a port 0 first (choosing one for a run that
 * has none is a side effect: its job) and passes it as port_arg. Reads only: nothing is
 * bound or opened. 0, or -1/EINVAL. */
int venuesim_config_read(cfg_t *cfg, bool replay, const char *speed_arg, long port_arg,
                         venuesim_config_t *out);

/* Load the data the config names into `src` (venue_sim.bybit_*_frames, binance_*_file,
 * binance_kline_csv with binance_kline_symbol; then source_finish) and read the Bybit
 * instruments-info bodies into *inst_linear / *inst_spot (NULL when not configured; the
 * caller frees them, also after a failure). The source is strict unless venue_sim.skip_bad
 * (a bad line or a repeated kline bar fails the load naming file:line and why) and keeps
 * only the window venue_sim.from .. venue_sim.to; a window that keeps nothing fails ("no
 * data in FROM..TO; the files span A..B"). 0, or -1/EINVAL naming the key whose file cannot
 * be loaded (or ENOMEM: cannot sort the timeline). */
int venuesim_config_load(cfg_t *cfg, source_t *src, char **inst_linear, char **inst_spot);

/* Validate everything venue-sim `instance` reads at start, as it reads it, without side
 * effects: the settings, and every data file it names can be opened for reading (their
 * contents are not parsed: that is the slow part of the start). 0, or -1/EINVAL with the
 * first error in cfg_error(cfg). */
int venuesim_config_check(cfg_t *cfg, const char *instance);

#endif /* TP_VENUESIM_CONFIG_H */
