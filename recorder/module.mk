# recorder/: every message into SQLite (docs/recorder.md)
BINS += recorder
recorder_SRCS := recorder/main.c recorder/writer.c recorder/schema.c

UNIT_TESTS += test_schema
test_schema_SRCS := tests/unit/recorder/test_schema.c recorder/schema.c
UNIT_TESTS += test_writer
test_writer_SRCS := tests/unit/recorder/test_writer.c recorder/writer.c recorder/schema.c
UNIT_TESTS += test_recorder_run
test_recorder_run_SRCS := tests/unit/recorder/test_recorder_run.c
