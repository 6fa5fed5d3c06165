# tools/report: summary of a recorder database (docs/recorder.md "Report")
BINS += report
report_SRCS := tools/report/main.c tools/report/report.c

UNIT_TESTS += test_report
test_report_SRCS := tests/unit/tools/test_report.c tools/report/report.c recorder/schema.c
