# tools/check-config: validate a config as every stage would at start (docs/operations.md);
# each stage's own config module does its section ($(sort) drops sources listed twice)
# CHECK_CONFIG_SRCS: check.c with every config module it calls (the backtest links it too)
CHECK_CONFIG_SRCS := tools/check-config/check.c $(SIGNAL_CORE) $(FEED_CFG_SRCS) $(VENUE_SIM_CFG) \
    $(RISK_LIB_SRCS) executor/config.c recorder/config.c gateway/config.c gateway/webhook.c
BINS += check-config
check-config_SRCS := $(sort tools/check-config/main.c $(CHECK_CONFIG_SRCS))
