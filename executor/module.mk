# executor/: order intake, the order state machine, venues (paper first), the account
EXECUTOR_CORE := executor/orders.c executor/account.c executor/paper.c executor/venue.c \
    executor/bybit.c executor/rest.c executor/journal.c feed/conn.c
BINS += executor
executor_SRCS := executor/main.c executor/config.c executor/exec.c executor/rep.c $(EXECUTOR_CORE)

UNIT_TESTS += test_orders
test_orders_SRCS := tests/unit/executor/test_orders.c executor/orders.c
UNIT_TESTS += test_account
test_account_SRCS := tests/unit/executor/test_account.c executor/account.c
UNIT_TESTS += test_paper
test_paper_SRCS := tests/unit/executor/test_paper.c executor/paper.c executor/orders.c \
    executor/account.c
UNIT_TESTS += test_exec
test_exec_SRCS := tests/unit/executor/test_exec.c executor/exec.c executor/rep.c \
    $(EXECUTOR_CORE)
UNIT_TESTS += test_exec_config
test_exec_config_SRCS := tests/unit/executor/test_exec_config.c executor/config.c \
    executor/exec.c $(EXECUTOR_CORE)

# exec-order: send one order request to an executor's REP (tests/integration/executor_*.sh)
BINS += exec-order
exec-order_SRCS := executor/order_cli.c

UNIT_TESTS += test_rest test_journal test_exec_bybit
test_rest_SRCS := tests/unit/executor/test_rest.c executor/rest.c
test_journal_SRCS := tests/unit/executor/test_journal.c executor/journal.c
test_exec_bybit_SRCS := tests/unit/executor/test_exec_bybit.c executor/bybit.c executor/rest.c \
    executor/journal.c executor/orders.c executor/account.c feed/conn.c

BENCHES += bench_executor
bench_executor_SRCS := tests/bench/bench_executor.c executor/exec.c executor/rep.c \
    $(EXECUTOR_CORE)

# venue-sim's private side (owned with the executor's live path); `=`: VENUE_SIM_LIB comes
# from tools/venue-sim/module.mk, included after this file
UNIT_TESTS += test_vs_private
test_vs_private_SRCS = tests/unit/executor/test_vs_private.c tools/venue-sim/private.c \
    tools/venue-sim/match.c tools/venue-sim/server.c $(VENUE_SIM_LIB)
