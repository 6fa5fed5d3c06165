# tools/backtest: the stage modules in one process (docs/backtest.md)
BINS += backtest
backtest_SRCS := $(sort tools/backtest/main.c tools/backtest/pipeline.c tools/backtest/xbus.c \
    tools/backtest/sweep.c tools/backtest/result.c $(CHECK_CONFIG_SRCS) \
    tools/backtest/kstream.c tools/backtest/owndata.c \
    $(FEED_CFG_SRCS) $(SIGNAL_CORE) $(RISK_LIB_SRCS) \
    executor/config.c executor/exec.c $(EXECUTOR_CORE) \
    recorder/config.c recorder/writer.c recorder/schema.c \
    tools/venue-sim/config.c tools/venue-sim/server.c $(VENUE_SIM_LIB) \
    tools/venue-sim/private.c tools/venue-sim/match.c \
    tools/report/report.c tools/report/analytics.c)

UNIT_TESTS += test_bt_xbus
test_bt_xbus_SRCS := tests/unit/backtest/test_xbus.c tools/backtest/xbus.c
UNIT_TESTS += test_bt_session_offline
test_bt_session_offline_SRCS := tests/unit/backtest/test_session_offline.c $(FEED_CFG_SRCS)
# the floors of the backtest bench rows (raw CSV read+parse, raw batched SQLite insert of the
# same rows), run by tests/bench/run_bench.sh with the backtest's files
BINS += bench_backtest
bench_backtest_SRCS := tests/bench/bench_backtest.c recorder/schema.c
UNIT_TESTS += test_bt_kstream
test_bt_kstream_SRCS := tests/unit/backtest/test_kstream.c tools/backtest/kstream.c \
    tools/venue-sim/klines.c tools/venue-sim/source.c tools/venue-sim/unzip.c $(FEED_LIB_SRCS)
UNIT_TESTS += test_bt_result
test_bt_result_SRCS := tests/unit/backtest/test_result.c tools/backtest/result.c \
    tools/report/report.c tools/report/analytics.c
