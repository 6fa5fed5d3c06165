/*  cfg.h - the JSON configuration file (jansson), with errors that name file, line and key.
 *  Owns:  the parsed document and a map from key paths to line numbers (jsmn token offsets),
 *         so a bad value is reported as "config/default.json:42: risk.max_open_positions:
 *         expected integer in [1, 100], got -3".
 *  Paths: dotted keys with array indexes: "feed.connections[1].url".
 *  Strings may contain "{run}", replaced by the value of the top-level "run_dir" key
 *  (cfg_endpoint and cfg_path_str do this), and "{venue_port}", replaced by venue-sim's port
 *  (cfg_venue_port) in every string value read with cfg_str or cfg_path_str: the one place
 *  that names the port is venue_sim.port ("ws://127.0.0.1:{venue_port}/v5/public/linear").
 *  cfg_json gives the raw values, placeholders unexpanded.
 *  Getters return 0, or -1 with errno EINVAL (wrong type, out of range, missing required key)
 *  and the message in cfg_error(). A missing key with a default gives the default.
 */
#ifndef TP_CFG_H
#define TP_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct cfg cfg_t;

/* Load and parse `path`. Returns the config, or NULL with errno and a message written to
 * err[errlen] of the form "<file>:<line>:<col>: <why>" (or "<file>: <strerror>"). */
cfg_t *cfg_load(const char *path, char *err, size_t errlen);
void cfg_destroy(cfg_t **self_p);

const char *cfg_file(const cfg_t *self); /* the path it was loaded from */

/* The top-level "run_dir" as written (default "run"; relative to the working directory):
 * borrowed, valid as long as the config. */
const char *cfg_run_dir(const cfg_t *self);

/* The last error message (borrowed, valid until the next call on self). */
const char *cfg_error(const cfg_t *self);

/* Line number of `path` in the file (the key's line), or of its nearest existing parent. */
int cfg_line(const cfg_t *self, const char *path);

bool cfg_has(const cfg_t *self, const char *path);

/* String at path. dflt NULL = required. *out is borrowed from the config. "{venue_port}" is
 * expanded (a value that names it fails if the port is not known: see cfg_venue_port). */
int cfg_str(cfg_t *self, const char *path, const char *dflt, const char **out);

/* As cfg_str, with "{run}" expanded, into out[cap]. */
int cfg_path_str(cfg_t *self, const char *path, const char *dflt, char *out, size_t cap);

/* venue-sim's TCP port: venue_sim.port if it is in [1, 65535]; if it is 0 (the default: a
 * free port chosen at start), the number in {run_dir}/venue-sim.port (common/port.h), read
 * once and kept. 0, or -1/EINVAL with cfg_error() naming venue_sim.port and why (the file does
 * not exist yet: the group was not started with tools/sv up). */
int cfg_venue_port(cfg_t *self, int *port);

/* For checks before a run exists (check-config): when venue_sim.port is 0 and the run has no
 * port file yet, "{venue_port}" expands to `port` (cfg_venue_port returns it). Does nothing
 * once the port is known. */
void cfg_assume_venue_port(cfg_t *self, int port);

/* Integer in [min, max]. `required` true = no default. */
int cfg_int(cfg_t *self, const char *path, int64_t dflt, int64_t min, int64_t max, bool required,
            int64_t *out);

int cfg_double(cfg_t *self, const char *path, double dflt, double min, double max, bool required,
               double *out);

int cfg_bool(cfg_t *self, const char *path, bool dflt, bool *out);

/* Exact decimal (JSON string "0.001" preferred; a JSON integer is accepted) as a mantissa at
 * `scale`. dflt NULL = required. Range [min, max] on the mantissa. */
int cfg_money(cfg_t *self, const char *path, int scale, const char *dflt, int64_t min, int64_t max,
              int64_t *out);

/* Array length at path (0 if missing); -1/EINVAL if present but not an array. */
int cfg_array_len(cfg_t *self, const char *path);

/* Refuse keys of the object at `path` that are not in `known` (NULL-terminated list).
 * 0, or -1/EINVAL naming the first unknown key and its line. Missing object: 0. */
int cfg_check_keys(cfg_t *self, const char *path, const char *const *known);

/* The top-level sections every stage and tool knows (docs/config.md), NULL-terminated:
 * mode, run_dir, log_level, account, endpoints, venue_sim, feed, signal, risk, executor,
 * recorder, security, sessions (common/sessions.h), gateway. */
extern const char *const cfg_sections[];

/* The checks every loader of a config makes before reading its own section: every top-level
 * key is one of cfg_sections (a typo such as "Risk" would otherwise run on defaults; the
 * error suggests the known key that differs only in case), "endpoints" is an object of
 * objects, each with only the kinds "pub", "ctl", "orders", "history" (strings).
 * 0, or -1/EINVAL with the first problem in cfg_error(). Reads only. */
int cfg_check_top(cfg_t *self);

/* What every stage instance needs under "endpoints": endpoints.<instance>.pub and .ctl (the
 * stage's PUB and control socket), both strings that expand. 0, or -1/EINVAL naming the key.
 * Reads only. */
int cfg_check_instance(cfg_t *self, const char *instance);

/* Override the value at `path` from the command line (backtest --set / --grid: "key=value").
 * `text` is parsed as JSON when it is JSON (1, 0.5, true, "a", [1,2]) and taken as a string
 * otherwise (BTCUSDT). The key must be in the file (a misspelt key is refused, never added
 * silently), and the new value must have the kind of the one it replaces (a number for a
 * number, integer or real alike; a string for a string; true/false; an array or object for
 * the same). Afterwards the getters read the new value, and their errors about this key (or
 * a key under it) name the override instead of a file line: "--set risk.x=9: expected ...".
 * Call it before reading: strings a getter returned earlier are invalid afterwards.
 * 0, or -1/EINVAL with the reason in cfg_error() ("--set risk.x: no such key in FILE") or
 * ENOMEM. */
int cfg_set(cfg_t *self, const char *path, const char *text);

/* Put `value` (a new reference: stolen, also on failure) at `path`, replacing a value that is
 * there or adding the key when its parent object exists ("venue_sim.from" into "venue_sim";
 * an array index equal to the array's length appends). For the options of a tool that stand
 * for config keys (backtest --data/--symbol/--from/--to); no kind check: the caller builds
 * the value. Afterwards errors about the key (or a key under it) name `origin` ("--symbol
 * ETHUSDT: signal.strategies[0].symbol: ..."). Strings a getter returned earlier are invalid
 * afterwards. 0, or -1/EINVAL (no such parent: the reason in cfg_error()) or ENOMEM. */
int cfg_put(cfg_t *self, const char *path, json_t *value, const char *origin);

/* Raw jansson value at path (borrowed), NULL if missing. For structured sub-configs. */
json_t *cfg_json(const cfg_t *self, const char *path);

/* Record an error found by the caller about `path` ("expected ... got ...") so that
 * cfg_error() names file, line and key. Always returns -1 with errno EINVAL. */
int cfg_fail(cfg_t *self, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Endpoint of a stage instance: key "endpoints.<instance>.<kind>" (kind "pub", "ctl",
 * "orders", "history"), "{run}" expanded, into out[cap]. 0 or -1/EINVAL. */
int cfg_endpoint(cfg_t *self, const char *instance, const char *kind, char *out, size_t cap);

/* Instance names under "endpoints" whose name starts with `role` + "." ("feed" -> "feed.0",
 * "feed.1"), in file order. Writes up to max names into names[i][32]; returns the count. */
size_t cfg_instances(const cfg_t *self, const char *role, char names[][32], size_t max);

#endif /* TP_CFG_H */
