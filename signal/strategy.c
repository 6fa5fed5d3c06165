/*  strategy.c - strategy registry and dispatch. See strategy.h. */
#include "signal/strategy.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal/strat_ema_rsi.h"
#include "signal/strat_ensemble.h"
#include "signal/strat_level.h"
#include "signal/strat_razor.h"
#include "signal/strat_rules.h"
#include "signal/strat_setups.h"

/* Every strategy type. Add new ones here. */
static const strategy_ops_t *const s_types[] = { &strat_ema_rsi_ops, &strat_razor_ops,
                                                 &strat_rules_ops,   &strat_ensemble_ops,
                                                 &strat_level_ops,   &strat_setups_ops };

struct strategy {
    const strategy_ops_t *ops;
    void *impl;
};

const strategy_ops_t *
strategy_ops_find(const char *type)
{
    for (size_t i = 0; type && i < sizeof s_types / sizeof s_types[0]; i++) {
        if (strcmp(s_types[i]->type, type) == 0) {
            return s_types[i];
        }
    }
    return NULL;
}

strategy_t *
strategy_wrap(const strategy_ops_t *ops, void *impl)
{
    assert(ops && impl);
    strategy_t *self = calloc(1, sizeof *self);
    if (!self) {
        ops->destroy(&impl);
        errno = ENOMEM;
        return NULL;
    }
    self->ops = ops;
    self->impl = impl;
    return self;
}

strategy_t *
strategy_from_cfg(cfg_t *cfg, const char *path)
{
    char key[160];
    const char *type;
    snprintf(key, sizeof key, "%s.type", path);
    if (cfg_str(cfg, key, NULL, &type) != 0) {
        return NULL;
    }
    const strategy_ops_t *ops = strategy_ops_find(type);
    if (!ops) {
        cfg_fail(cfg, key, "unknown strategy type \"%s\"", type);
        return NULL;
    }
    void *impl = ops->from_cfg(cfg, path);
    if (!impl) {
        return NULL;
    }
    return strategy_wrap(ops, impl);
}

void
strategy_destroy(strategy_t **self_p)
{
    assert(self_p);
    strategy_t *self = *self_p;
    if (self) {
        self->ops->destroy(&self->impl);
        free(self);
        *self_p = NULL;
    }
}

const char *
strategy_name(const strategy_t *self)
{
    assert(self);
    return self->ops->name(self->impl);
}

const char *
strategy_type(const strategy_t *self)
{
    assert(self);
    return self->ops->type;
}

bool
strategy_wants(const strategy_t *self, const char *venue, const char *symbol, int tf_s)
{
    assert(self);
    const char *v, *s;
    int tf;
    self->ops->series(self->impl, &v, &s, &tf);
    return tf == tf_s && strcmp(v, venue) == 0 && strcmp(s, symbol) == 0;
}

int
strategy_on_bar(strategy_t *self, const codec_sig_bar_t *bar, int64_t evt, const instr_t *instr,
                codec_sig_signal_t *out)
{
    assert(self);
    return self->ops->on_bar(self->impl, bar, evt, instr, out);
}

int
strategy_indicators(const strategy_t *self, codec_sig_ind_t *ind)
{
    assert(self);
    return self->ops->indicators(self->impl, ind);
}

static bool
s_same_instrument(const strategy_t *self, const char *venue, const char *symbol)
{
    const char *v, *s;
    int tf;
    self->ops->series(self->impl, &v, &s, &tf);
    return strcmp(v, venue) == 0 && strcmp(s, symbol) == 0;
}

bool
strategy_wants_md(const strategy_t *self)
{
    assert(self);
    return self->ops->on_trade != NULL || self->ops->on_book != NULL;
}

int
strategy_on_trade(strategy_t *self, const codec_md_trade_t *t, const instr_t *instr,
                  codec_sig_signal_t *out)
{
    assert(self && t);
    if (!self->ops->on_trade || !s_same_instrument(self, t->venue, t->symbol)) {
        return 0;
    }
    return self->ops->on_trade(self->impl, t, instr, out);
}

int
strategy_on_book_sig(strategy_t *self, const codec_md_book_t *b, const instr_t *instr,
                     codec_sig_signal_t *out)
{
    assert(self && b && out);
    if (!self->ops->on_book || !s_same_instrument(self, b->venue, b->symbol)) {
        return 0;
    }
    return self->ops->on_book(self->impl, b, instr, out);
}

void
strategy_on_book(strategy_t *self, const codec_md_book_t *b)
{
    codec_sig_signal_t unused;
    (void)strategy_on_book_sig(self, b, NULL, &unused); /* state only: the signal is dropped */
}

int
strategy_setup_events(strategy_t *self, codec_sig_setup_t *out, int cap)
{
    assert(self && (out || cap == 0));
    return self->ops->setup_events ? self->ops->setup_events(self->impl, out, cap) : 0;
}

void *
strategy_impl(const strategy_t *self)
{
    assert(self);
    return self->impl;
}

void
strategy_series(const strategy_t *self, const char **venue, const char **symbol, int *tf_s)
{
    assert(self && venue && symbol && tf_s);
    self->ops->series(self->impl, venue, symbol, tf_s);
}

int
strategy_retune(strategy_t *self, const strategy_t *fresh)
{
    assert(self && fresh);
    if (self->ops != fresh->ops) {
        errno = EINVAL;
        return -1;
    }
    if (self->ops->retune) {
        self->ops->retune(self->impl, fresh->impl);
    }
    return 0;
}
