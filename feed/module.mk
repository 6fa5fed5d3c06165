# feed/: the market-data stage (docs/feed.md)
FEED_LIB_SRCS := feed/book.c feed/jtok.c feed/md.c feed/bybit.c feed/binance.c

BINS += feed
feed_SRCS := feed/main.c $(FEED_LIB_SRCS) feed/rest.c feed/conn.c feed/gate.c feed/session.c

UNIT_TESTS += test_book test_bybit test_binance
test_book_SRCS := tests/unit/feed/test_book.c feed/book.c
test_bybit_SRCS := tests/unit/feed/test_bybit.c $(FEED_LIB_SRCS)
test_binance_SRCS := tests/unit/feed/test_binance.c $(FEED_LIB_SRCS)

# manual end-to-end checker (docs/feed.md "Trying it by hand"), not run by make check
BINS += feed_check
feed_check_SRCS := tests/unit/feed/feed_check.c
