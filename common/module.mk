# common/: linked into every binary and test (build/libtp.a)
LIB_SRCS += $(wildcard common/*.c)
