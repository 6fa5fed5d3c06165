/*  engine.c - signal stage logic: md.* -> bars -> strategies -> sig.*. See engine.h. */
#include "signal/engine.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/instr.h"
#include "common/log.h"

#define S_MOD "signal"

struct engine {
    engine_pub_fn *pub;
    void *arg;
    instr_table_t *instr;
    bars_t *bars;
    strategy_t *strats[ENGINE_MAX_STRATEGIES];
    size_t n_strats;
    size_t n_trade_series;
    int64_t cur_origin; /* origin of the md message being handled */
    engine_counters_t counters;
    log_limit_t lim_bad, lim_pub, lim_strat, lim_instr, lim_scale;
};

static void s_on_bar(const codec_sig_bar_t *bar, int64_t evt, void *arg);

engine_t *
engine_new(engine_pub_fn *pub, void *arg)
{
    if (!pub) {
        errno = EINVAL;
        return NULL;
    }
    engine_t *self = calloc(1, sizeof *self);
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->pub = pub;
    self->arg = arg;
    self->instr = instr_table_new();
    self->bars = bars_new(s_on_bar, self);
    if (!self->instr || !self->bars) {
        engine_destroy(&self);
        errno = ENOMEM;
        return NULL;
    }
    return self;
}

void
engine_destroy(engine_t **self_p)
{
    assert(self_p);
    engine_t *self = *self_p;
    if (!self) {
        return;
    }
    for (size_t i = 0; i < self->n_strats; i++) {
        strategy_destroy(&self->strats[i]);
    }
    bars_destroy(&self->bars);
    instr_table_destroy(&self->instr);
    free(self);
    *self_p = NULL;
}

int
engine_add_strategy(engine_t *self, strategy_t *s)
{
    assert(self && s);
    for (size_t i = 0; i < self->n_strats; i++) {
        if (strcmp(strategy_name(self->strats[i]), strategy_name(s)) == 0) {
            strategy_destroy(&s);
            errno = EEXIST;
            return -1;
        }
    }
    if (self->n_strats == ENGINE_MAX_STRATEGIES) {
        strategy_destroy(&s);
        errno = ENOSPC;
        return -1;
    }
    self->strats[self->n_strats++] = s;
    return 0;
}

int
engine_add_trade_series(engine_t *self, const char *venue, const char *symbol, int tf_s)
{
    assert(self);
    if (bars_add_trade_series(self->bars, venue, symbol, tf_s) != 0) {
        return -1;
    }
    self->n_trade_series++;
    return 0;
}

int
engine_configure(engine_t *self, cfg_t *cfg)
{
    static const char *const k_signal_keys[] = { "strategies", "trade_bars", NULL };
    static const char *const k_bar_keys[] = { "venue", "symbol", "tf_s", NULL };
    char path[96], key[128];
    assert(self && cfg);
    if (cfg_check_keys(cfg, "signal", k_signal_keys) != 0) {
        return -1;
    }
    int n = cfg_array_len(cfg, "signal.strategies");
    if (n < 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "signal.strategies[%d]", i);
        strategy_t *s = strategy_from_cfg(cfg, path);
        if (!s) {
            return errno == EINVAL ? -1 : cfg_fail(cfg, path, "%s", strerror(errno));
        }
        if (engine_add_strategy(self, s) != 0) {
            snprintf(key, sizeof key, "%s.name", path);
            if (errno == EEXIST) {
                return cfg_fail(cfg, key, "duplicate strategy name");
            }
            return cfg_fail(cfg, key, "more than %d strategies", ENGINE_MAX_STRATEGIES);
        }
    }
    n = cfg_array_len(cfg, "signal.trade_bars");
    if (n < 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const char *venue, *symbol;
        int64_t tf;
        snprintf(path, sizeof path, "signal.trade_bars[%d]", i);
        if (cfg_check_keys(cfg, path, k_bar_keys) != 0) {
            return -1;
        }
        snprintf(key, sizeof key, "%s.venue", path);
        if (cfg_str(cfg, key, NULL, &venue) != 0) {
            return -1;
        }
        snprintf(key, sizeof key, "%s.symbol", path);
        if (cfg_str(cfg, key, NULL, &symbol) != 0) {
            return -1;
        }
        snprintf(key, sizeof key, "%s.tf_s", path);
        if (cfg_int(cfg, key, 0, 1, BARS_MAX_TF_S, true, &tf) != 0) {
            return -1;
        }
        if (engine_add_trade_series(self, venue, symbol, (int)tf) != 0) {
            return cfg_fail(cfg, path, "%s",
                            errno == EEXIST   ? "duplicate trade series"
                            : errno == ENOSPC ? "too many bar series"
                                              : "bad venue or symbol");
        }
    }
    return 0;
}

/* ---- outputs ------------------------------------------------------------------------- */

static void
s_publish(engine_t *self, const char *topic, codec_type_t type, const void *body, int64_t evt)
{
    if (self->pub(self->arg, topic, type, body, evt, self->cur_origin) != 0) {
        log_limited(&self->lim_pub, LOG_WARN, S_MOD, "cannot publish", topic, strlen(topic));
    }
}

/* A closed bar: publish it, run the strategies of its series, publish their indicators. */
static void
s_on_bar(const codec_sig_bar_t *bar, int64_t evt, void *arg)
{
    engine_t *self = arg;
    char tf[16], topic[BUS_TOPIC_MAX];
    bars_tf_name(bar->tf_s, tf, sizeof tf);
    snprintf(topic, sizeof topic, "sig.bar.%s.%s.%s", tf, bar->venue, bar->symbol);
    s_publish(self, topic, CODEC_SIG_BAR, bar, evt);
    self->counters.bars++;

    const instr_t *in = instr_table_get(self->instr, bar->venue, bar->symbol);
    codec_sig_ind_t ind;
    memset(&ind, 0, sizeof ind);
    for (size_t i = 0; i < self->n_strats; i++) {
        strategy_t *s = self->strats[i];
        if (!strategy_wants(s, bar->venue, bar->symbol, bar->tf_s)) {
            continue;
        }
        codec_sig_signal_t sig;
        int rc = strategy_on_bar(s, bar, evt, in, &sig);
        if (rc < 0) {
            log_limited(&self->lim_strat, LOG_WARN, S_MOD, "strategy refused a bar",
                        strategy_name(s), strlen(strategy_name(s)));
        } else if (rc == 1) {
            if (!in) {
                log_limited(&self->lim_instr, LOG_WARN, S_MOD,
                            "no md.instrument yet: sl/tp rounded to the price unit", bar->symbol,
                            strlen(bar->symbol));
            }
            snprintf(topic, sizeof topic, "sig.signal.%s.%s", sig.strategy, sig.symbol);
            s_publish(self, topic, CODEC_SIG_SIGNAL, &sig, evt);
            self->counters.signals++;
            log_info(S_MOD, "%s %s %s ref %lld sl %lld tp %lld conf %.1f", sig.strategy,
                     sig.side > 0 ? "BUY" : "SELL", sig.symbol, (long long)sig.ref_px,
                     (long long)sig.sl_px, (long long)sig.tp_px, sig.confidence);
        }
        strategy_indicators(s, &ind);
    }
    if (ind.n > 0) {
        snprintf(ind.venue, sizeof ind.venue, "%s", bar->venue);
        snprintf(ind.symbol, sizeof ind.symbol, "%s", bar->symbol);
        ind.tf_s = bar->tf_s;
        ind.ts_event = bar->end_ns;
        snprintf(topic, sizeof topic, "sig.ind.%s.%s.%s", tf, bar->venue, bar->symbol);
        s_publish(self, topic, CODEC_SIG_IND, &ind, evt);
        self->counters.indicators++;
    }
}

/* ---- inputs -------------------------------------------------------------------------- */

static int
s_bad(engine_t *self, const bus_msg_t *msg, const char *what, int err)
{
    self->counters.bad_msgs++;
    log_limited(&self->lim_bad, LOG_WARN, S_MOD, what, msg->topic, strlen(msg->topic));
    errno = err;
    return -1;
}

static int
s_on_instrument(engine_t *self, const bus_msg_t *msg, const codec_md_instrument_t *m)
{
    instr_t in;
    memset(&in, 0, sizeof in);
    if (m->venue[0] == '\0' || m->symbol[0] == '\0' || m->tick < 1 || m->step < 1 || m->px_scale < 0
        || m->px_scale > 18 || m->qty_scale < 0 || m->qty_scale > 18
        || strlen(m->venue) >= sizeof in.venue || strlen(m->symbol) >= sizeof in.symbol
        || strlen(m->category) >= sizeof in.category) {
        return s_bad(self, msg, "bad md.instrument", EINVAL);
    }
    snprintf(in.venue, sizeof in.venue, "%s", m->venue);
    snprintf(in.category, sizeof in.category, "%s", m->category);
    snprintf(in.symbol, sizeof in.symbol, "%s", m->symbol);
    in.px_scale = m->px_scale;
    in.qty_scale = m->qty_scale;
    in.tick = m->tick;
    in.step = m->step;
    in.min_qty = m->min_qty;
    in.min_notional = m->min_notional;
    if (instr_table_put(self->instr, &in) != 0) {
        log_limited(&self->lim_instr, LOG_WARN, S_MOD, "instrument table full", m->symbol,
                    strlen(m->symbol));
    }
    return 0;
}

int
engine_on_msg(engine_t *self, const bus_msg_t *msg)
{
    assert(self && msg);
    codec_body_t body;
    int rc = 0;
    self->cur_origin = msg->env.origin;
    switch (msg->type) {
    case CODEC_MD_INSTRUMENT:
        if (codec_decode(msg->data, msg->len, msg->type, NULL, &body.instrument) != 0) {
            return s_bad(self, msg, "undecodable md.instrument", EPROTO);
        }
        return s_on_instrument(self, msg, &body.instrument);
    case CODEC_MD_KLINE:
        if (codec_decode(msg->data, msg->len, msg->type, NULL, &body.kline) != 0) {
            return s_bad(self, msg, "undecodable md.kline", EPROTO);
        }
        rc = bars_on_kline(self->bars, &body.kline);
        if (rc < 0 && errno == EINVAL) {
            return s_bad(self, msg, "bad md.kline", EINVAL);
        }
        if (rc < 0) {
            log_limited(&self->lim_scale, LOG_WARN, S_MOD, "bar series table full", msg->topic,
                        strlen(msg->topic));
        }
        return 0;
    case CODEC_MD_TRADE:
        if (self->n_trade_series == 0) {
            return 0; /* no trade bars configured: nothing to do with trades */
        }
        if (codec_decode(msg->data, msg->len, msg->type, NULL, &body.trade) != 0) {
            return s_bad(self, msg, "undecodable md.trade", EPROTO);
        }
        rc = bars_on_trade(self->bars, &body.trade);
        self->counters.late_trades = (int64_t)bars_stats(self->bars)->late_trades;
        if (rc < 0) {
            return s_bad(self, msg, errno == ERANGE ? "md.trade overflows a bar" : "bad md.trade",
                         EINVAL);
        }
        return 0;
    default:
        return 0; /* md.book, md.ticker, md.status, heartbeats: not used by signal yet */
    }
}

const engine_counters_t *
engine_counters(const engine_t *self)
{
    assert(self);
    return &self->counters;
}

const bars_stats_t *
engine_bars_stats(const engine_t *self)
{
    assert(self);
    return bars_stats(self->bars);
}

size_t
engine_n_strategies(const engine_t *self)
{
    assert(self);
    return self->n_strats;
}

size_t
engine_n_instruments(const engine_t *self)
{
    assert(self);
    return instr_table_size(self->instr);
}
