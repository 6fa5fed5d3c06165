# signal/: md.* -> closed bars, indicators, context, strategy signals on sig.* (docs/signal.md)
SIGNAL_CORE := signal/bars.c signal/mtf.c signal/ema.c signal/rsi.c signal/ind.c signal/ctx.c \
               signal/sltp.c signal/strategy.c signal/strat_util.c signal/strat_ema_rsi.c \
               signal/strat_razor.c signal/strat_rules.c signal/strat_ensemble.c \
               signal/strat_level.c signal/strat_setups.c signal/engine.c signal/config.c

BINS += signal
# klrest: the warm-up fallback from the venue's REST klines, with the feed's blocking GET
signal_SRCS := signal/main.c $(SIGNAL_CORE) signal/warmup.c signal/klrest.c

UNIT_TESTS += test_ema test_rsi test_bars test_sltp test_strat_ema_rsi test_engine test_ind \
              test_mtf test_ctx test_strat_razor test_strat_rules test_strat_ensemble \
              test_strat_level test_strat_setups test_klrest test_signal_config
test_signal_config_SRCS := tests/unit/signal/test_signal_config.c $(SIGNAL_CORE)
test_klrest_SRCS := tests/unit/signal/test_klrest.c signal/klrest.c signal/bars.c
test_ema_SRCS := tests/unit/signal/test_ema.c signal/ema.c
test_rsi_SRCS := tests/unit/signal/test_rsi.c signal/rsi.c
test_bars_SRCS := tests/unit/signal/test_bars.c signal/bars.c
test_sltp_SRCS := tests/unit/signal/test_sltp.c signal/sltp.c
test_ind_SRCS := tests/unit/signal/test_ind.c signal/ind.c
test_mtf_SRCS := tests/unit/signal/test_mtf.c signal/mtf.c
test_ctx_SRCS := tests/unit/signal/test_ctx.c signal/ctx.c signal/ind.c
test_strat_ema_rsi_SRCS := tests/unit/signal/test_strat_ema_rsi.c $(SIGNAL_CORE)
test_strat_razor_SRCS := tests/unit/signal/test_strat_razor.c $(SIGNAL_CORE)
test_strat_rules_SRCS := tests/unit/signal/test_strat_rules.c $(SIGNAL_CORE)
test_strat_ensemble_SRCS := tests/unit/signal/test_strat_ensemble.c $(SIGNAL_CORE)
test_strat_level_SRCS := tests/unit/signal/test_strat_level.c $(SIGNAL_CORE)
test_strat_setups_SRCS := tests/unit/signal/test_strat_setups.c $(SIGNAL_CORE)
test_engine_SRCS := tests/unit/signal/test_engine.c $(SIGNAL_CORE)

BENCHES += bench_signal
bench_signal_SRCS := tests/bench/bench_signal.c $(SIGNAL_CORE)
