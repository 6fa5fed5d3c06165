# tools/venue-sim: the exchange stand-in (docs/venue-sim.md)
VENUE_SIM_LIB := tools/venue-sim/klines.c tools/venue-sim/source.c tools/venue-sim/unzip.c tools/venue-sim/schedule.c tools/venue-sim/faults.c

BINS += venue-sim
VENUE_SIM_CFG := tools/venue-sim/config.c tools/venue-sim/server.c $(VENUE_SIM_LIB) \
    tools/venue-sim/private.c tools/venue-sim/match.c
venue-sim_SRCS := tools/venue-sim/main.c $(VENUE_SIM_CFG)

# test binaries carry a vs_ prefix so that they cannot collide with other folders' tests
UNIT_TESTS += test_vs_klines test_vs_source test_vs_schedule test_vs_server test_vs_config \
    test_vs_unzip
test_vs_unzip_SRCS := tests/unit/venue-sim/test_unzip.c tools/venue-sim/unzip.c
test_vs_config_SRCS := tests/unit/venue-sim/test_config.c $(VENUE_SIM_CFG)
test_vs_klines_SRCS := tests/unit/venue-sim/test_klines.c tools/venue-sim/klines.c
test_vs_source_SRCS := tests/unit/venue-sim/test_source.c $(VENUE_SIM_LIB)
test_vs_schedule_SRCS := tests/unit/venue-sim/test_schedule.c tools/venue-sim/schedule.c
test_vs_server_SRCS := tests/unit/venue-sim/test_server.c tools/venue-sim/server.c $(VENUE_SIM_LIB)
