# recorder/: every message into SQLite (docs/recorder.md)
BINS += recorder
recorder_SRCS := recorder/main.c recorder/config.c recorder/writer.c recorder/schema.c recorder/history.c

UNIT_TESTS += test_schema
test_schema_SRCS := tests/unit/recorder/test_schema.c recorder/schema.c
UNIT_TESTS += test_writer
test_writer_SRCS := tests/unit/recorder/test_writer.c recorder/writer.c recorder/schema.c
UNIT_TESTS += test_recorder_run
test_recorder_run_SRCS := tests/unit/recorder/test_recorder_run.c
UNIT_TESTS += test_recorder_config
test_recorder_config_SRCS := tests/unit/recorder/test_recorder_config.c recorder/config.c
UNIT_TESTS += test_history
test_history_SRCS := tests/unit/recorder/test_history.c recorder/history.c recorder/schema.c
# load publisher for the recorder's integration tests and benchmark (tests/bench/rec_load.c)
BINS += rec_load
rec_load_SRCS := tests/bench/rec_load.c
# benchmark: writer vs raw SQLite insert, raw 4-hop libzmq chain (tests/bench/run_bench.sh)
BENCHES += bench_recorder
bench_recorder_SRCS := tests/bench/bench_recorder.c recorder/writer.c recorder/schema.c
