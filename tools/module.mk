# tools/: venue-sim, tap, ctl, report, check-config, backtest (each folder adds itself)
include tools/venue-sim/module.mk
-include tools/tap/module.mk
-include tools/ctl/module.mk
-include tools/report/module.mk
-include tools/check-config/module.mk
include tools/backtest/module.mk
