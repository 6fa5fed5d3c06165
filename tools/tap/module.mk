# tools/tap: print a stage's messages live
BINS += tap
tap_SRCS := tools/tap/main.c tools/tap/tap.c

UNIT_TESTS += test_tap
test_tap_SRCS := tests/unit/tools/test_tap.c tools/tap/tap.c
