# tools/check-config: validate a config as every stage would at start (docs/operations.md)
BINS += check-config
check-config_SRCS := tools/check-config/main.c tools/check-config/check.c $(SIGNAL_CORE) \
    $(FEED_CFG_SRCS) $(VENUE_SIM_CFG)
