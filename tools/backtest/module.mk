# tools/backtest: the stage modules in one process (docs/backtest.md)
UNIT_TESTS += test_bt_xbus
test_bt_xbus_SRCS := tests/unit/backtest/test_xbus.c tools/backtest/xbus.c
