# risk/: the risk stage and its unit tests (test binaries are prefixed test_risk_ because
# test names are global: executor/ has its own test_orders)
RISK_LIB_SRCS := risk/sizing.c risk/limits.c risk/positions.c risk/exits.c risk/orders.c risk/persist.c \
                 risk/engine.c risk/config.c
BINS += risk
risk_SRCS := risk/main.c $(RISK_LIB_SRCS)

UNIT_TESTS += test_risk_sizing
test_risk_sizing_SRCS := tests/unit/risk/test_sizing.c risk/sizing.c
UNIT_TESTS += test_risk_limits
test_risk_limits_SRCS := tests/unit/risk/test_limits.c risk/limits.c
UNIT_TESTS += test_risk_exits
test_risk_exits_SRCS := tests/unit/risk/test_exits.c risk/exits.c risk/positions.c
UNIT_TESTS += test_risk_orders
test_risk_orders_SRCS := tests/unit/risk/test_orders.c risk/orders.c
UNIT_TESTS += test_risk_engine
test_risk_engine_SRCS := tests/unit/risk/test_engine.c $(RISK_LIB_SRCS)

BENCHES += bench_risk
bench_risk_SRCS := tests/bench/bench_risk.c $(RISK_LIB_SRCS)
UNIT_TESTS += test_risk_config
test_risk_config_SRCS := tests/unit/risk/test_config.c $(RISK_LIB_SRCS)
# issue 17: the volatility multiplier end to end through signal's and risk's engines (real bars)
UNIT_TESTS += test_risk_volscale
test_risk_volscale_SRCS := tests/unit/risk/test_volscale.c $(RISK_LIB_SRCS) $(SIGNAL_CORE)
UNIT_TESTS += test_risk_issue17
test_risk_issue17_SRCS := tests/unit/risk/test_issue17.c $(RISK_LIB_SRCS)
