# tests/unit/common: unit tests of the common/ library (libtp.a already holds common/*.c,
# so each test lists only its own file)
UNIT_TESTS += test_money
test_money_SRCS := tests/unit/common/test_money.c
UNIT_TESTS += test_codec
test_codec_SRCS := tests/unit/common/test_codec.c
UNIT_TESTS += test_instr
test_instr_SRCS := tests/unit/common/test_instr.c
UNIT_TESTS += test_runid
test_runid_SRCS := tests/unit/common/test_runid.c
UNIT_TESTS += test_stage_reload
test_stage_reload_SRCS := tests/unit/common/test_stage_reload.c
UNIT_TESTS += test_isolation
test_isolation_SRCS := tests/unit/common/test_isolation.c
