# tests owned by the lead: common/cfg, common/step, common/bus+stage
UNIT_TESTS += test_cfg test_step test_bus
test_cfg_SRCS := tests/unit/common/test_cfg.c
test_step_SRCS := tests/unit/common/test_step.c
test_bus_SRCS := tests/unit/common/test_bus.c
-include tests/unit/common/module.mk
