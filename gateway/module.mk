# gateway/: the operator's HTTP API, event stream, metrics and dashboard (docs/gateway.md)
GATEWAY_SRCS := gateway/config.c gateway/webhook.c gateway/auth.c gateway/fmt.c gateway/ring.c gateway/view.c \
    gateway/metrics.c gateway/server.c tools/ctl/ctl.c $(BUILD)/gen/gateway/dashboard.c
BINS += gateway
gateway_SRCS := gateway/main.c $(GATEWAY_SRCS)

# the page is gateway/dashboard.html, embedded as a C string (no other build step)
$(BUILD)/gen/gateway/dashboard.c: gateway/dashboard.html
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@{ echo '/* generated from gateway/dashboard.html by gateway/module.mk: edit that file */'; \
	  echo '#include "gateway/dashboard.h"'; echo 'const char dashboard_html[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $<; echo ';'; } >$@

UNIT_TESTS += test_gateway_auth
test_gateway_auth_SRCS := tests/unit/gateway/test_auth.c gateway/auth.c
UNIT_TESTS += test_gateway_fmt
test_gateway_fmt_SRCS := tests/unit/gateway/test_fmt.c gateway/fmt.c gateway/view.c gateway/metrics.c \
    gateway/ring.c
UNIT_TESTS += test_gateway_config
test_gateway_config_SRCS := tests/unit/gateway/test_config.c gateway/config.c gateway/webhook.c
