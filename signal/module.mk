# signal/: md.* -> closed bars, indicators, strategy signals on sig.* (docs/signal.md)
SIGNAL_CORE := signal/bars.c signal/ema.c signal/rsi.c signal/sltp.c signal/strategy.c \
               signal/strat_ema_rsi.c signal/engine.c

BINS += signal
signal_SRCS := signal/main.c $(SIGNAL_CORE)

UNIT_TESTS += test_ema test_rsi test_bars test_sltp test_strat_ema_rsi test_engine
test_ema_SRCS := tests/unit/signal/test_ema.c signal/ema.c
test_rsi_SRCS := tests/unit/signal/test_rsi.c signal/rsi.c
test_bars_SRCS := tests/unit/signal/test_bars.c signal/bars.c
test_sltp_SRCS := tests/unit/signal/test_sltp.c signal/sltp.c
test_strat_ema_rsi_SRCS := tests/unit/signal/test_strat_ema_rsi.c signal/strat_ema_rsi.c \
                           signal/strategy.c signal/ema.c signal/rsi.c signal/sltp.c
test_engine_SRCS := tests/unit/signal/test_engine.c $(SIGNAL_CORE)
