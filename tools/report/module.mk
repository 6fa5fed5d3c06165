# tools/report: summary of a recorder database (docs/recorder.md "Report")
BINS += report
report_SRCS := tools/report/main.c tools/report/report.c tools/report/analytics.c

UNIT_TESTS += test_report
test_report_SRCS := tests/unit/tools/test_report.c tools/report/report.c recorder/schema.c
UNIT_TESTS += test_analytics
test_analytics_SRCS := tests/unit/tools/test_analytics.c tools/report/analytics.c tools/report/report.c recorder/schema.c
