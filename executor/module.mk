# executor/: order intake, the order state machine, venues (paper first), the account
EXECUTOR_CORE := executor/orders.c executor/account.c executor/paper.c executor/venue.c
BINS += executor
executor_SRCS := executor/main.c executor/exec.c executor/rep.c $(EXECUTOR_CORE)

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
