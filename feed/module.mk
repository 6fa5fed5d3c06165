# feed/: the market-data stage (docs/feed.md)
FEED_LIB_SRCS := feed/book.c feed/jtok.c feed/md.c feed/bybit.c feed/binance.c feed/deribit.c

BINS += feed
FEED_CFG_SRCS := feed/config.c feed/session.c feed/conn.c feed/exinfo.c $(FEED_LIB_SRCS)
feed_SRCS := feed/main.c feed/gate.c $(FEED_CFG_SRCS)

UNIT_TESTS += test_book test_bybit test_binance test_deribit test_exinfo test_md test_jtok test_feed_config
test_feed_config_SRCS := tests/unit/feed/test_feed_config.c $(FEED_CFG_SRCS)
test_jtok_SRCS := tests/unit/feed/test_jtok.c feed/jtok.c
test_md_SRCS := tests/unit/feed/test_md.c feed/md.c feed/book.c feed/jtok.c
UNIT_TESTS += test_vs_faults
test_vs_faults_SRCS := tests/unit/feed/test_vs_faults.c tools/venue-sim/faults.c
test_exinfo_SRCS := tests/unit/feed/test_exinfo.c feed/exinfo.c
test_book_SRCS := tests/unit/feed/test_book.c feed/book.c
test_bybit_SRCS := tests/unit/feed/test_bybit.c $(FEED_LIB_SRCS)
test_binance_SRCS := tests/unit/feed/test_binance.c $(FEED_LIB_SRCS)
test_deribit_SRCS := tests/unit/feed/test_deribit.c $(FEED_LIB_SRCS)

# manual end-to-end checker (docs/feed.md "Trying it by hand"), not run by make check
BINS += feed_check
feed_check_SRCS := tests/unit/feed/feed_check.c

# checker of tests/integration/feed_faults.sh: published books vs books rebuilt from the frames
# venue-sim really sent (its --fault-dump)
BINS += fault_check
fault_check_SRCS := tests/unit/feed/fault_check.c

# libFuzzer targets (`make fuzz`): seeds are the recorded frames, written into the empty corpus
# directory by the target itself (tests/fuzz/fuzz_common.h), hence no _CORPUS directory
FUZZERS += fuzz_bybit fuzz_binance fuzz_deribit
fuzz_bybit_SRCS := tests/fuzz/fuzz_bybit.c $(FEED_LIB_SRCS)
fuzz_bybit_CORPUS :=
fuzz_binance_SRCS := tests/fuzz/fuzz_binance.c $(FEED_LIB_SRCS)
fuzz_binance_CORPUS :=
fuzz_deribit_SRCS := tests/fuzz/fuzz_deribit.c $(FEED_LIB_SRCS)
fuzz_deribit_CORPUS :=

BENCHES += bench_feed
bench_feed_SRCS := tests/bench/bench_feed.c $(FEED_LIB_SRCS)
BENCHES += bench_deribit
bench_deribit_SRCS := tests/bench/bench_deribit.c $(FEED_LIB_SRCS)
