# tools/ctl: control commands to stage instances
BINS += ctl
ctl_SRCS := tools/ctl/main.c tools/ctl/ctl.c tools/ctl/runinfo.c

UNIT_TESTS += test_ctl
test_ctl_SRCS := tests/unit/tools/test_ctl.c tools/ctl/ctl.c
# CURVE certificates for the config's instances (`make keys`, common/curve.h)
BINS += keys
keys_SRCS := tools/ctl/keys.c
