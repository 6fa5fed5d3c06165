/*  ctl - send a control command to stage instances and print the JSON reply.
 *  Usage:
 *    ctl -c CONFIG status [INSTANCE|ROLE|all]      (default all)
 *    ctl -c CONFIG CMD INSTANCE [ARGS...]          e.g. `ctl -c config/default.json pause risk.0`
 *    ctl -c CONFIG wait-state INSTANCE STATE [--max-wait S]
 *    ctl -c CONFIG history recorder.0 '{"q":"positions"}'   (to endpoints.<inst>.history)
 *    ctl -c CONFIG run-id [--new] | venue-port [--new]   (the run's identity and venue-sim port:
 *                                                       tools/ctl/runinfo.h)
 *  Commands the stages implement (docs/operations.md): status, pause, resume, halt, kill,
 *  clear-kill, reload; ctl passes any word through and prints the stage's answer.
 *  Options: --timeout MS per request (default 2000); --max-wait S for wait-state (default 600).
 *  `status all` (or a role) prints ONE JSON object {instance: reply or {"error": ...}}: one
 *  compact line, indented when stdout is a terminal. `ctl` (or `ctl help`) without a command
 *  lists the commands, one line each.
 *  wait-state polls `status` every 200 ms until reply.replay.state (or reply.state) == STATE.
 *  Exit codes:
 *    0  every instance answered (wait-state: the state was reached)
 *    1  an instance did not answer in time (wait-state: timeout), or refused the command
 *       ({"ok":false}, an unknown command included); a timeout prints {"error":"no answer from INST
 * at EP within N ms"} on stdout and a hint on stderr 2  bad arguments or config
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <czmq.h>
#include <jansson.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/clock.h"
#include "common/log.h"
#include "tools/ctl/ctl.h"
#include "tools/ctl/runinfo.h"

#define CTL_MAX_INSTANCES 32
#define CTL_CMD_MAX       1024
#define CTL_POLL_MS       200

static int
s_usage(void)
{
    fprintf(stderr, "usage: ctl -c CONFIG [--timeout MS] status [INSTANCE|ROLE|all]\n"
                    "       ctl -c CONFIG [--timeout MS] CMD INSTANCE [ARGS...]\n"
                    "       ctl -c CONFIG wait-state INSTANCE STATE [--max-wait S]\n"
                    "       ctl -c CONFIG [--timeout MS] history INSTANCE JSON\n"
                    "       ctl -c CONFIG run-id [--new] | venue-port [--new]\n");
    return 2;
}

static bool
s_parse_int(const char *s, long long min, long long max, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

/* ---- what a person sees: the command list, replies indented on a terminal ---------------- */

/* Every command ctl knows, one line each (printed by `ctl` without a command). */
static const char *const k_commands[][2] = {
    { "status [INSTANCE|ROLE|all]", "state, counters and details of stages (default all)" },
    { "wait-state INSTANCE STATE", "poll status until the state is STATE (--max-wait S)" },
    { "reload INSTANCE", "read the config file again and apply what may change live" },
    { "pause INSTANCE", "risk: stop new entries (exits keep running)" },
    { "halt INSTANCE", "risk: as pause" },
    { "resume INSTANCE", "risk: end a pause or halt; refused while the kill switch is latched" },
    { "kill INSTANCE", "risk: kill switch: close every position, refuse entries, latched" },
    { "clear-kill INSTANCE", "risk: end the kill switch (the only way to end it)" },
    { "flatten INSTANCE [SYMBOL]", "risk: close the open positions (of SYMBOL), nothing latched" },
    { "cancel INSTANCE ID", "executor: cancel one working order by client id" },
    { "cancel-all INSTANCE [SYMBOL]", "executor: cancel every working order (of SYMBOL)" },
    { "amend INSTANCE ID QTY|- PX|-", "executor (bybit venue): change a working order" },
    { "tpsl INSTANCE SYMBOL TP|- SL|-", "executor (bybit linear): position take-profit/stop" },
    { "reconcile INSTANCE", "executor (bybit venue): reconcile with the venue now" },
    { "fault INSTANCE ...", "venue-sim: inject a fault (docs/venue-sim.md)" },
    { "history INSTANCE JSON", "recorder: history query, e.g. '{\"q\":\"positions\"}'" },
};

static int
s_list_commands(void)
{
    printf("usage: ctl -c CONFIG [--timeout MS] COMMAND [ARGS...]\n"
           "commands (docs/operations.md):\n");
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++) {
        printf("  %-32s %s\n", k_commands[i][0], k_commands[i][1]);
    }
    printf("exit: 0 done, 1 no answer or refused (\"ok\":false, unknown command), 2 bad "
           "arguments\n");
    return 0;
}

/* JSON layout of what ctl prints: indented for a person at a terminal, one compact line
 * otherwise (scripts parse it with sed/grep: tests/integration/). */
static size_t
s_json_flags(void)
{
    return isatty(STDOUT_FILENO) ? JSON_INDENT(2) : JSON_COMPACT;
}

/* A reply that refuses the command: {"ok":false,...} (unknown command included). */
static bool
s_refused(const json_t *reply)
{
    return json_is_false(json_object_get(reply, "ok"));
}

/* Print a reply: as JSON if it parses (compact, one line; indented on a terminal), else as
 * text. */
static void
s_print_reply(const char *reply)
{
    json_t *j = json_loads(reply, 0, NULL);
    if (j != NULL) {
        char *s = json_dumps(j, s_json_flags());
        puts(s ? s : reply);
        free(s);
        json_decref(j);
        return;
    }
    puts(reply);
}

/* Query `names` at once and print one JSON object; returns 0 if all answered. */
static int
s_query_group(cfg_t *cfg, char names[][CTL_NAME_MAX], size_t n, const char *cmd, int timeout_ms)
{
    char eps[CTL_MAX_INSTANCES][512];
    const char *ep_ptrs[CTL_MAX_INSTANCES];
    char *replies[CTL_MAX_INSTANCES];
    char err[96];
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        ep_ptrs[i] = cfg_endpoint(cfg, names[i], "ctl", eps[i], sizeof eps[i]) == 0 ? eps[i] : NULL;
    }
    if (ctl_query_many(ep_ptrs, n, cmd, timeout_ms, replies) < 0) {
        fprintf(stderr, "ctl: %s\n", strerror(errno));
        return 1;
    }
    json_t *out = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *v = NULL;
        if (replies[i] == NULL) {
            (void)snprintf(err, sizeof err, "no answer within %d ms", timeout_ms);
            v = json_pack("{s:s}", "error", ep_ptrs[i] ? err : "no ctl endpoint");
            rc = 1;
        } else {
            v = json_loads(replies[i], 0, NULL);
            if (v == NULL) {
                v = json_pack("{s:s, s:s}", "error", "reply is not JSON", "raw", replies[i]);
            } else if (s_refused(v)) {
                rc = 1; /* one instance refused the command */
            }
        }
        if (out != NULL && v != NULL) {
            (void)json_object_set_new(out, names[i], v); /* a failure only loses one entry */
        } else {
            json_decref(v);
        }
        free(replies[i]);
    }
    char *s = out ? json_dumps(out, s_json_flags()) : NULL;
    if (s == NULL) {
        fprintf(stderr, "ctl: out of memory\n");
        rc = 1;
    } else {
        puts(s);
        free(s);
    }
    json_decref(out);
    return rc;
}

static int
s_wait_state(cfg_t *cfg, const char *inst, const char *want, int timeout_ms, long long max_s)
{
    char ep[512], state[64] = "";
    if (cfg_endpoint(cfg, inst, "ctl", ep, sizeof ep) < 0) {
        fprintf(stderr, "ctl: %s\n", cfg_error(cfg));
        return 2;
    }
    int64_t deadline = clock_mono_ns() + (int64_t)max_s * CLOCK_NS_PER_S;
    char *last = NULL;
    for (;;) {
        int64_t left_ms = (deadline - clock_mono_ns()) / CLOCK_NS_PER_MS;
        if (left_ms <= 0) {
            break;
        }
        size_t len = 0;
        int t = (int)(left_ms < timeout_ms ? left_ms : timeout_ms);
        char *reply = bus_request(ep, "status", 6, t, &len);
        if (reply != NULL) {
            free(last);
            last = reply;
            if (ctl_state_of(reply, state, sizeof state) == 0 && strcmp(state, want) == 0) {
                s_print_reply(reply);
                free(last);
                return 0;
            }
        }
        struct timespec ts = { 0, CTL_POLL_MS * 1000000L };
        (void)nanosleep(&ts, NULL); /* EINTR only shortens one poll interval */
    }
    fprintf(stderr, "ctl: %s did not reach state %s within %lld s (last state: %s)\n", inst, want,
            max_s, state[0] ? state : "no answer");
    if (last != NULL) {
        s_print_reply(last);
    }
    free(last);
    return 1;
}

int
main(int argc, char **argv)
{
    const char *cfg_path = NULL;
    const char *pos[64];
    size_t n_pos = 0;
    long long timeout_ms = 2000, max_wait = 600;
    char err[512];
    char names[CTL_MAX_INSTANCES][CTL_NAME_MAX];
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            cfg_path = argv[++i];
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            if (!s_parse_int(argv[++i], 1, 3600000, &timeout_ms)) {
                return s_usage();
            }
        } else if (strcmp(argv[i], "--max-wait") == 0 && i + 1 < argc) {
            if (!s_parse_int(argv[++i], 0, 86400 * 7, &max_wait)) {
                return s_usage();
            }
        } else if (n_pos < sizeof pos / sizeof pos[0]) {
            pos[n_pos++] = argv[i];
        } else {
            return s_usage();
        }
    }
    if (n_pos == 0 || (n_pos == 1 && (strcmp(pos[0], "help") == 0))) {
        return s_list_commands(); /* `ctl`, `ctl -c CONFIG`, `ctl help` */
    }
    if (cfg_path == NULL) {
        return s_usage();
    }
    log_init("ctl", LOG_WARN);
    cfg_t *cfg = cfg_load(cfg_path, err, sizeof err);
    if (cfg == NULL) {
        fprintf(stderr, "ctl: %s\n", err);
        return 2;
    }
    zsys_handler_set(NULL); /* ctl is short-lived: default SIGINT behaviour is what we want */

    const char *cmd = pos[0];
    if (runinfo_is_command(cmd)) {
        rc = runinfo_command(cfg, cmd, pos + 1, (int)n_pos - 1);
        cfg_destroy(&cfg);
        return rc;
    }
    if (strcmp(cmd, "wait-state") == 0) {
        rc = n_pos == 3 ? s_wait_state(cfg, pos[1], pos[2], (int)timeout_ms, max_wait) : s_usage();
        cfg_destroy(&cfg);
        return rc;
    }
    const char *target = n_pos >= 2 ? pos[1] : (strcmp(cmd, "status") == 0 ? "all" : NULL);
    if (target == NULL) {
        cfg_destroy(&cfg);
        return s_usage();
    }
    /* the request text: the command word, then any arguments after the instance; a history
     * request is only the arguments (one JSON document) */
    const bool history = strcmp(cmd, "history") == 0;
    const char *kind = history ? "history" : "ctl";
    if (history && n_pos != 3) {
        cfg_destroy(&cfg);
        return s_usage();
    }
    char text[CTL_CMD_MAX];
    size_t off = history ? 0 : (size_t)snprintf(text, sizeof text, "%s", cmd);
    text[off] = '\0';
    for (size_t i = 2; i < n_pos && off < sizeof text; i++) {
        off += (size_t)snprintf(text + off, sizeof text - off, off ? " %s" : "%s", pos[i]);
    }
    if (off >= sizeof text) {
        fprintf(stderr, "ctl: command too long\n");
        cfg_destroy(&cfg);
        return 2;
    }

    json_t *eps = cfg_json(cfg, "endpoints");
    if (json_is_object(eps) && json_object_get(eps, target) != NULL) {
        /* one instance: print its reply as is */
        char ep[512];
        if (cfg_endpoint(cfg, target, kind, ep, sizeof ep) < 0) {
            fprintf(stderr, "ctl: %s\n", cfg_error(cfg));
            cfg_destroy(&cfg);
            return 2;
        }
        const char *ep_ptr = ep;
        char *reply = NULL;
        if (ctl_query_many(&ep_ptr, 1, text, (int)timeout_ms, &reply) == 1) {
            s_print_reply(reply);
            json_t *j = json_loads(reply, 0, NULL);
            rc = s_refused(j) ? 1 : 0;
            json_decref(j);
            free(reply);
        } else {
            printf("{\"error\":\"no answer from %s at %s within %lld ms\"}\n", target, ep,
                   timeout_ms);
            fprintf(stderr,
                    "ctl: %s did not answer %s within %lld ms: is it running? (tools/sv status; "
                    "log in the run directory's log/)\n",
                    target, cmd, timeout_ms);
            rc = 1;
        }
        cfg_destroy(&cfg);
        return rc;
    }
    size_t n = 0;
    if (history) {
        fprintf(stderr, "ctl: history needs one instance, not %s\n", target);
        cfg_destroy(&cfg);
        return 2;
    }
    if (strcmp(target, "all") == 0) {
        n = ctl_instances(cfg, names, CTL_MAX_INSTANCES);
    } else {
        n = cfg_instances(cfg, target, names, CTL_MAX_INSTANCES);
    }
    if (n == 0) {
        fprintf(stderr, "ctl: no instance or role named %s in %s\n", target, cfg_path);
        cfg_destroy(&cfg);
        return 2;
    }
    rc = s_query_group(cfg, names, n, text, (int)timeout_ms);
    cfg_destroy(&cfg);
    return rc;
}
