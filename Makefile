# tradepipe - top-level Makefile (no recursive make; each folder adds itself in module.mk)
#
#   make run     install what is missing, build, run the group on bundled data, print the report
#   make check   install what is missing, build, run every test; last line "N passed, M failed"
#   make bench   benchmarks (not part of check)
#   make asan    unit tests again under ASan+UBSan in build/asan/
#   make lint    clang-format, clang-tidy, cppcheck (tools from make deps-lint)
#   make fresh-check  make run + make check on a freshly bootstrapped minimal Debian 12 (root)

PKGS := libczmq libzmq msgpack sqlite3 libwebsockets openssl libcurl jansson cmocka zlib \
        libmicrohttpd
DEBS := build-essential pkg-config libczmq-dev libzmq3-dev libmsgpack-dev libsqlite3-dev \
        libwebsockets-dev libssl-dev libcurl4-openssl-dev libjansson-dev libjsmn-dev \
        libcmocka-dev zlib1g-dev sqlite3 supervisor procps gnuplot-nox libmicrohttpd-dev \
        libjs-jquery libjs-jquery-mousewheel libjs-jquery-flot libjs-chart.js
# only for tests: the report page rendered in headless Chromium, network namespaces (CURVE),
# JSON in shell (jq), venue-sim's REST from shell (curl), price comparisons (bc), the live
# executor's signed-request client (python3 + requests), the gateway's metrics checked by
# Prometheus itself (prometheus, promtool), its dashboard clicked in Chromium (DevTools
# protocol) and Firefox (WebDriver BiDi) from python3-websocket, HTTPS with a self-signed
# certificate (openssl)
DEBS_TEST := chromium iproute2 jq curl bc python3 python3-requests prometheus python3-websocket \
             openssl firefox-esr
# only for make bench: the gateway's /status under 200 requests/s (tests/bench/gateway_bench.sh)
DEBS_BENCH := hey jq
DEBS_LINT := clang-format clang-tidy cppcheck
DEBS_FUZZ := clang libclang-rt-14-dev

BUILD ?= build
CC    ?= gcc
WARN  := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
OPT   ?= -O2 -g -fno-omit-frame-pointer
SAN   ?=
CFLAGS_ALL = -std=gnu11 $(OPT) $(SAN) $(WARN) -I. -MMD -MP $(PKG_CFLAGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

.PHONY: all deps deps-lint check unit integration run bench asan lint clean fuzz keys fresh-check
all:

# install only the Debian packages that are missing
deps:
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	  | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  $$SUDO apt-get install -y --no-install-recommends $$missing; fi

deps-lint:
	@$(MAKE) --no-print-directory deps DEBS="$(DEBS_LINT)"

# ---- module registry -------------------------------------------------------
# A module.mk adds:  LIB_SRCS += common/x.c        (linked into everything)
#                    BINS += name ; name_SRCS := dir/main.c dir/y.c ; name_DIR := bin
#                    UNIT_TESTS += test_x ; test_x_SRCS := tests/unit/dir/test_x.c dir/x.c
LIB_SRCS :=
BINS :=
UNIT_TESTS :=
BENCHES :=
# FUZZERS += fuzz_x ; fuzz_x_SRCS := tests/fuzz/fuzz_x.c dir/y.c ; fuzz_x_CORPUS := data/...
FUZZERS :=
include common/module.mk
-include feed/module.mk
-include signal/module.mk
-include risk/module.mk
-include executor/module.mk
-include recorder/module.mk
-include gateway/module.mk
-include tools/module.mk
-include tests/module.mk

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB_A    := $(BUILD)/libtp.a

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB_A): $(LIB_OBJS)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

define BIN_template
$(BUILD)/bin/$(1): $$($(1)_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB_A)
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	@$(CC) $(OPT) $(SAN) -o $$@ $$^ $$(PKG_LIBS)
endef
$(foreach b,$(BINS) $(UNIT_TESTS) $(BENCHES),$(eval $(call BIN_template,$(b))))
define FUZZ_template
$(BUILD)/bin/$(1): $$($(1)_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB_A)
	@mkdir -p $$(dir $$@)
	$(CC) $(OPT) -fsanitize=fuzzer,address,undefined -o $$@ $$^ $$(PKG_LIBS)
endef
$(foreach f,$(FUZZERS),$(eval $(call FUZZ_template,$(f))))

BIN_PATHS   := $(BINS:%=$(BUILD)/bin/%)
UNIT_PATHS  := $(UNIT_TESTS:%=$(BUILD)/bin/%)
BENCH_PATHS := $(BENCHES:%=$(BUILD)/bin/%)

all: deps-ok $(BIN_PATHS) $(UNIT_PATHS)

.PHONY: deps-ok
deps-ok:
	@pkg-config --exists $(PKGS) || { echo "missing libraries: run 'make deps'" >&2; exit 1; }

# ---- tests -----------------------------------------------------------------
check: deps
	@$(MAKE) --no-print-directory deps DEBS="$(DEBS_TEST)" \
	  || echo "warning: could not install $(DEBS_TEST); the tests that need them say skip"
	@$(MAKE) --no-print-directory all
	@tests/run_all.sh $(BUILD) $(UNIT_TESTS)

unit: all
	@TP_ONLY_UNIT=1 tests/run_all.sh $(BUILD) $(UNIT_TESTS)

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" all
	@TP_ONLY_UNIT=1 tests/run_all.sh build/asan $(UNIT_TESTS)

run: deps
	@$(MAKE) --no-print-directory all
	@tools/run.sh config/default.json

# the README's commands on a debootstrapped Debian 12 with nothing installed by hand (HEAD only)
fresh-check:
	@tools/fresh-check.sh

bench: deps
	@$(MAKE) --no-print-directory deps DEBS="$(DEBS_BENCH)" \
	  || echo "warning: could not install $(DEBS_BENCH); the gateway's load figures are skipped"
	@$(MAKE) --no-print-directory all $(BENCH_PATHS)
	@tests/bench/run_bench.sh $(BUILD) $(BENCHES)
	@tests/bench/gateway_bench.sh $(BUILD)

# libFuzzer targets (clang): each runs for FUZZ_SECONDS from a corpus seeded with real frames
FUZZ_SECONDS ?= 60
fuzz:
	@$(MAKE) --no-print-directory deps DEBS="$(DEBS) $(DEBS_FUZZ)"
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined" build/fuzz/libtp.a
	@set -e; $(foreach f,$(FUZZERS), \
	  $(MAKE) --no-print-directory BUILD=build/fuzz CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined" build/fuzz/bin/$(f); \
	  mkdir -p build/fuzz/corpus/$(f); echo "fuzz: $(f) for $(FUZZ_SECONDS) s"; \
	  build/fuzz/bin/$(f) -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
	    build/fuzz/corpus/$(f) $($(f)_CORPUS) 2>&1 | tail -n 4;)

# CURVE certificates for every instance of CONFIG (security.keys_dir, default {run}/keys)
keys: all
	$(BUILD)/bin/keys -c $(or $(CONFIG),config/default.json)

lint: deps-lint
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')
	@cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
	  --suppress=missingIncludeSystem -I. $$(git ls-files '*.c')

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
