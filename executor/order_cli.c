/*  exec-order - send one order request to an executor's order REP, as risk does, and print
 *  the answer as JSON (tests, operations). Nothing here is trading logic.
 *  Usage: build/bin/exec-order -c CONFIG [-i executor.0] --id CLIENT_ID --symbol BTCUSDT
 *           --side buy|sell [--type market|limit] --qty 0.010 [--px 65000.0] [--reduce]
 *           [--intent entry|stop_loss|take_profit|exit] [--tp PX] [--sl PX]
 *           [--venue bybit-linear] [--px-scale 2] [--qty-scale 3] [--ttl-ms N] [--timeout MS]
 *           [--tif GTC|IOC|FOK|PostOnly] [--trigger PX --trigger-dir 1|2]
 *         exec-order -c CONFIG [-i executor.0] --ctl "cancel ID" (any control command; prints
 *           the JSON answer of the executor's control socket)
 *  Amounts are decimal strings parsed at the given scales (money_parse). The scales must be
 *  the instrument's (the executor refuses others: "scale mismatch"): Bybit linear BTCUSDT is
 *  --px-scale 1 --qty-scale 3 (tick 0.10, step 0.001). --tif sets the request's time in force
 *  (sent as given; the executor checks the word); --trigger makes a conditional order that
 *  becomes active when the last price rises to (--trigger-dir 1) or falls to (2) PX.
 *  Exit codes: 0 answered (an order accepted or not: see the JSON; a control command done),
 *  1 no answer, 2 bad arguments, 3 the control command was refused ({"ok":false,...}: an
 *  unknown command, an unknown or closed order).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/bus.h"
#include "common/cfg.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/money.h"

static int
s_usage(void)
{
    fprintf(stderr, "usage: exec-order -c CONFIG [-i executor.0] --id ID --symbol SYM --side "
                    "buy|sell [--type market|limit] --qty Q [--px P] [--reduce] [--intent I] "
                    "[--tp P] [--sl P] [--venue V] [--px-scale N] [--qty-scale N] "
                    "[--ttl-ms N] [--timeout MS] [--tif GTC|IOC|FOK|PostOnly] "
                    "[--trigger PX --trigger-dir 1|2]\n");
    return 2;
}

/* A control answer that refuses the command: {"ok":false, ...} (an unknown command, an unknown
 * or closed order, a venue refusal before sending). */
static bool
s_ctl_refused(const char *answer)
{
    json_t *j = json_loads(answer, 0, NULL);
    bool refused = json_is_false(json_object_get(j, "ok"));
    json_decref(j);
    return refused;
}

static int
s_amount(const char *s, int scale, int64_t *out)
{
    return s ? money_parse(s, strlen(s), scale, out) : 0;
}

int
main(int argc, char **argv)
{
    const char *conf = NULL, *inst = "executor.0", *id = NULL, *sym = NULL, *side = NULL;
    const char *type = "market", *qty = NULL, *px = NULL, *intent = "entry", *tp = NULL;
    const char *sl = NULL, *venue = "bybit-linear", *ctl = NULL, *tif = NULL, *trig = NULL;
    int trig_dir = 0;
    int px_scale = 2, qty_scale = 3, timeout = 10000;
    long long ttl_ms = 0;
    bool reduce = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--reduce") == 0) {
            reduce = true;
            continue;
        }
        if (!v) {
            return s_usage();
        }
        i++;
        if (strcmp(a, "-c") == 0) {
            conf = v;
        } else if (strcmp(a, "-i") == 0) {
            inst = v;
        } else if (strcmp(a, "--id") == 0) {
            id = v;
        } else if (strcmp(a, "--symbol") == 0) {
            sym = v;
        } else if (strcmp(a, "--side") == 0) {
            side = v;
        } else if (strcmp(a, "--type") == 0) {
            type = v;
        } else if (strcmp(a, "--qty") == 0) {
            qty = v;
        } else if (strcmp(a, "--px") == 0) {
            px = v;
        } else if (strcmp(a, "--intent") == 0) {
            intent = v;
        } else if (strcmp(a, "--tp") == 0) {
            tp = v;
        } else if (strcmp(a, "--sl") == 0) {
            sl = v;
        } else if (strcmp(a, "--venue") == 0) {
            venue = v;
        } else if (strcmp(a, "--px-scale") == 0) {
            px_scale = atoi(v);
        } else if (strcmp(a, "--qty-scale") == 0) {
            qty_scale = atoi(v);
        } else if (strcmp(a, "--ttl-ms") == 0) {
            ttl_ms = atoll(v);
        } else if (strcmp(a, "--ctl") == 0) {
            ctl = v;
        } else if (strcmp(a, "--timeout") == 0) {
            timeout = atoi(v);
        } else if (strcmp(a, "--tif") == 0) {
            tif = v;
        } else if (strcmp(a, "--trigger") == 0) {
            trig = v;
        } else if (strcmp(a, "--trigger-dir") == 0) {
            trig_dir = atoi(v);
        } else {
            return s_usage();
        }
    }
    if (!conf || (!ctl && (!id || !sym || !side || !qty)) || (tif && strlen(tif) >= 12)
        || (trig && trig_dir != 1 && trig_dir != 2) || (!trig && trig_dir != 0)) {
        return s_usage();
    }
    char err[256], ep[256];
    cfg_t *cfg = cfg_load(conf, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "exec-order: %s\n", err);
        return 2;
    }
    if (ctl) {
        size_t cl = 0;
        char *ans = cfg_endpoint(cfg, inst, "ctl", ep, sizeof ep) == 0
                        ? bus_request(ep, ctl, strlen(ctl), timeout, &cl)
                        : NULL;
        cfg_destroy(&cfg);
        if (!ans) {
            fprintf(stderr, "exec-order: no control answer: %s\n", strerror(errno));
            return 1;
        }
        printf("%s\n", ans);
        int rc = s_ctl_refused(ans) ? 3 : 0;
        free(ans);
        return rc;
    }
    if (cfg_endpoint(cfg, inst, "orders", ep, sizeof ep) < 0) {
        fprintf(stderr, "exec-order: %s\n", cfg_error(cfg));
        cfg_destroy(&cfg);
        return 2;
    }
    cfg_destroy(&cfg);
    codec_risk_order_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.client_id, sizeof r.client_id, "%s", id);
    snprintf(r.strategy, sizeof r.strategy, "exec-order");
    snprintf(r.venue, sizeof r.venue, "%s", venue);
    snprintf(r.symbol, sizeof r.symbol, "%s", sym);
    snprintf(r.intent, sizeof r.intent, "%s", intent);
    r.side = strcmp(side, "buy") == 0 ? 1 : strcmp(side, "sell") == 0 ? -1 : 0;
    r.type = strcmp(type, "limit") == 0 ? CODEC_ORD_LIMIT : CODEC_ORD_MARKET;
    r.reduce_only = reduce;
    r.px_scale = px_scale;
    r.qty_scale = qty_scale;
    r.ts_event = clock_wall_ns();
    r.ttl_ns = ttl_ms * CLOCK_NS_PER_MS;
    snprintf(r.tif, sizeof r.tif, "%s", tif ? tif : "");
    r.trigger_dir = (int8_t)trig_dir;
    if (s_amount(qty, qty_scale, &r.qty) < 0 || s_amount(px, px_scale, &r.px) < 0
        || s_amount(tp, px_scale, &r.tp_px) < 0 || s_amount(sl, px_scale, &r.sl_px) < 0
        || s_amount(trig, px_scale, &r.trigger_px) < 0) {
        fprintf(stderr, "exec-order: an amount does not parse at its scale\n");
        return 2;
    }
    codec_env_t env;
    memset(&env, 0, sizeof env);
    env.v = CODEC_VERSION;
    snprintf(env.src, sizeof env.src, "exec-order");
    env.ts = env.evt = env.origin = r.ts_event;
    uint8_t buf[CODEC_MSG_MAX];
    size_t n;
    if (codec_encode(&env, CODEC_RISK_ORDER, &r, buf, sizeof buf, &n) < 0) {
        fprintf(stderr, "exec-order: cannot encode: %s\n", strerror(errno));
        return 2;
    }
    size_t rl = 0;
    char *rep = bus_request(ep, buf, n, timeout, &rl);
    if (!rep) {
        fprintf(stderr, "exec-order: no answer from %s: %s\n", ep, strerror(errno));
        return 1;
    }
    codec_order_ack_t ack;
    if (codec_decode((const uint8_t *)rep, rl, CODEC_ORDER_ACK, NULL, &ack) < 0) {
        printf("{\"raw\":\"%.*s\"}\n", (int)(rl > 200 ? 200 : rl), rep);
    } else {
        printf("{\"client_id\":\"%s\",\"accepted\":%s,\"status\":\"%s\",\"reason\":\"%s\"}\n",
               ack.client_id, ack.accepted ? "true" : "false", ack.status, ack.reason);
    }
    free(rep);
    return 0;
}
