# ngx_http_webauthn_module
#
#   make           build build/ngx_http_webauthn_module.so against Debian's nginx
#   make run       Redis + nginx with conf/webauthn.conf on http://localhost:8080
#   make stop      stop what "make run" started
#   make test      every test suite (installs what it needs first)
#   make bench     the benchmark (prints figures, sets no pass/fail)
#   make fuzz      every fuzz target for FUZZ_TIME seconds (default 120)
#   make fuzz-long every fuzz target for FUZZ_TIME seconds (default 1800)
#
# Every target installs its own Debian packages (apt-get, as root) when they
# are missing, so a fresh Debian 12 machine needs nothing else.

SHELL        := /bin/bash
TOP          := $(CURDIR)
BUILD        := $(TOP)/build
NGX_SRC      ?= /usr/share/nginx/src
NGINX        ?= /usr/sbin/nginx
MODULE       := $(BUILD)/ngx_http_webauthn_module.so
PY           := /usr/bin/python3

CC           ?= cc
CORE_CFLAGS  := -std=c99 -D_POSIX_C_SOURCE=200809L -g -O2 -Wall -Wextra \
                -Wpointer-arith -Wshadow -Wno-unused-parameter -Werror \
                -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
                $(shell xml2-config --cflags 2>/dev/null \
                        || echo -I/usr/include/libxml2)
CORE_LIBS    := -lcbor -ljansson -lcrypto -lxml2 -lhiredis
# the core's one list of sources, also read by config and fuzz/Makefile
CORE_SRCS    := $(addprefix src/core/,$(shell grep -v '^\#' src/core/SOURCES))
CORE_HDRS    := $(wildcard src/core/*.h)
GLUE_SRCS    := $(wildcard src/ngx_http_webauthn*.c)
GLUE_HDRS    := $(wildcard src/ngx_http_webauthn*.h)

DEB_BUILD    := build-essential nginx nginx-dev libssl-dev libcbor-dev \
                libjansson-dev libhiredis-dev libxml2-dev
DEB_RUN      := nginx redis-server redis-tools python3-cryptography curl
DEB_TEST     := $(DEB_RUN) valgrind libtest-base-perl libio-socket-ssl-perl \
                python3-botocore python3-prometheus-client redis-sentinel
DEB_FUZZ     := clang libclang-rt-14-dev
# npm only where no npm is there: a NodeSource-style nodejs ships its own
# npm and conflicts with Debian's
DEB_NPM      := nodejs $(if $(shell command -v npm 2>/dev/null),,npm)
DEB_BENCH    := $(DEB_RUN) wrk openssl linux-perf strace valgrind $(DEB_NPM)
DEB_BROWSER  := chromium redis-server $(DEB_NPM)

.PHONY: all module deps-build deps-run deps-test deps-bench deps-fuzz run stop test \
        test-unit test-vectors test-nginx test-valgrind bench fuzz clean \
        test-tools test-trust test-token test-parsers \
        deps-browser test-browser test-sigv4

all: module

# -- packages ---------------------------------------------------------------

define apt_install
	@missing=""; for p in $(1); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
	        | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	    $$sudo apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
	        --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
endef

deps-build:
	$(call apt_install,$(DEB_BUILD))

deps-run:
	$(call apt_install,$(DEB_RUN))

deps-test:
	$(call apt_install,$(DEB_BUILD) $(DEB_TEST))

deps-bench:
	$(call apt_install,$(DEB_BUILD) $(DEB_BENCH))

deps-fuzz:
	$(call apt_install,$(DEB_BUILD) $(DEB_FUZZ))

deps-browser:
	$(call apt_install,$(DEB_BROWSER))

# -- the module -------------------------------------------------------------

# configure once per change of "config" or of the core's list of sources;
# "make modules" is incremental
$(BUILD)/nginx/objs/Makefile: config src/core/SOURCES | deps-build
	rm -rf $(BUILD)/nginx && mkdir -p $(BUILD) && cp -r $(NGX_SRC) $(BUILD)/nginx
	cd $(BUILD)/nginx && source ./conf_flags && ./configure \
	    "$${NGX_CONF_FLAGS[@]}" \
	    --with-cc-opt="-g -O2 -fstack-protector-strong -Wformat \
	        -Werror=format-security -fPIC -D_FORTIFY_SOURCE=2" \
	    --with-ld-opt="-Wl,-z,relro -Wl,-z,now -fPIC" \
	    --add-dynamic-module=$(TOP) > $(BUILD)/configure.log 2>&1 \
	    || { tail -30 $(BUILD)/configure.log; exit 1; }

$(MODULE): $(BUILD)/nginx/objs/Makefile src/core/SOURCES $(CORE_SRCS) $(CORE_HDRS) \
           $(GLUE_SRCS) $(GLUE_HDRS)
	$(MAKE) -s -C $(BUILD)/nginx -f objs/Makefile modules
	@# a new file, renamed over the old: a running nginx keeps its mapping
	cp $(BUILD)/nginx/objs/ngx_http_webauthn_module.so $@.tmp
	mv -f $@.tmp $@

module: deps-build $(MODULE)

# -- run --------------------------------------------------------------------

run: module deps-run
	@tools/run.sh start

stop:
	@tools/run.sh stop

# -- tests ------------------------------------------------------------------

UNIT_BIN := $(BUILD)/unit/test_core

$(UNIT_BIN): $(CORE_SRCS) $(CORE_HDRS) t/unit/test_core.c t/unit/unit.h
	@mkdir -p $(BUILD)/unit
	$(CC) $(CORE_CFLAGS) -Isrc/core -It/unit -o $@ t/unit/test_core.c \
	    $(CORE_SRCS) $(CORE_LIBS)

$(BUILD)/unit/test_vectors: $(CORE_SRCS) $(CORE_HDRS) t/unit/test_vectors.c \
                            t/unit/unit.h
	@mkdir -p $(BUILD)/unit
	$(CC) $(CORE_CFLAGS) -Isrc/core -It/unit -o $@ t/unit/test_vectors.c \
	    $(CORE_SRCS) $(CORE_LIBS)

test-unit: deps-test $(UNIT_BIN)
	$(UNIT_BIN)

test-vectors: deps-test $(BUILD)/unit/test_vectors
	$(BUILD)/unit/test_vectors $(TOP)/../shared/testdata/webauthn

# trust anchors and the MDS3 BLOB: fixtures made by t/unit/mktrust.py (a
# test CA, a FIDO root, signed BLOBs) with python3-cryptography
$(BUILD)/unit/test_trust: $(CORE_SRCS) $(CORE_HDRS) t/unit/test_trust.c \
                          t/unit/unit.h
	@mkdir -p $(BUILD)/unit
	$(CC) $(CORE_CFLAGS) -Isrc/core -It/unit -o $@ t/unit/test_trust.c \
	    $(CORE_SRCS) $(CORE_LIBS)

$(BUILD)/unit/test_token: $(CORE_SRCS) $(CORE_HDRS) t/unit/test_token.c \
                          t/unit/unit.h
	@mkdir -p $(BUILD)/unit
	$(CC) $(CORE_CFLAGS) -Isrc/core -It/unit -o $@ t/unit/test_token.c \
	    $(CORE_SRCS) $(CORE_LIBS)

$(BUILD)/unit/test_parsers: $(CORE_SRCS) $(CORE_HDRS) t/unit/test_parsers.c \
                            t/unit/unit.h
	@mkdir -p $(BUILD)/unit
	$(CC) $(CORE_CFLAGS) -Isrc/core -It/unit -o $@ t/unit/test_parsers.c \
	    $(CORE_SRCS) $(CORE_LIBS)

# what outside services answer: the credential endpoints' JSON, STS's XML,
# RESP replies, the commit script's reply (wa_awscred.c, wa_sts.c,
# wa_resp.c, wa_commit.c)
test-parsers: deps-test $(BUILD)/unit/test_parsers
	$(BUILD)/unit/test_parsers

# session tokens: signed, verified, refused (the core's wa_token.c)
test-token: deps-test $(BUILD)/unit/test_token
	$(BUILD)/unit/test_token

test-trust: deps-test $(BUILD)/unit/test_trust
	rm -rf $(BUILD)/unit/trust
	$(PY) t/unit/mktrust.py $(BUILD)/unit/trust
	$(BUILD)/unit/test_trust $(BUILD)/unit/trust

$(BUILD)/unit/test_sigv4: $(CORE_SRCS) $(CORE_HDRS) t/unit/test_sigv4.c \
                          t/unit/unit.h
	@mkdir -p $(BUILD)/unit
	$(CC) $(CORE_CFLAGS) -Isrc/core -It/unit -o $@ t/unit/test_sigv4.c \
	    $(CORE_SRCS) $(CORE_LIBS)

test-sigv4: deps-test $(BUILD)/unit/test_sigv4
	$(BUILD)/unit/test_sigv4 $(TOP)/../shared/testdata/sigv4

# -- sanitizers -------------------------------------------------------------

# the unit tests again on a second build of the core with AddressSanitizer
# (leaks included) and UndefinedBehaviorSanitizer, under build/asan/; any
# finding aborts the test.  test_fuzz_regress replays every fuzz target's
# committed seeds and fuzz/regress/<target>/ inputs on that build too (no
# clang needed).
ASAN         := $(BUILD)/asan
ASAN_CFLAGS  := $(filter-out -O2 -D_FORTIFY_SOURCE=2,$(CORE_CFLAGS)) -O1 \
                -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
ASAN_OBJS    := $(patsubst src/core/%.c,$(ASAN)/core/%.o,$(CORE_SRCS))
ASAN_UNITS   := test_core test_vectors test_trust test_token test_sigv4 \
                test_parsers
ASAN_ENV     := ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
FUZZ_NAMES   := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_LIBS    := $(CORE_LIBS) -lhiredis -lxml2

.PHONY: test-asan

$(ASAN)/core/%.o: src/core/%.c $(CORE_HDRS)
	@mkdir -p $(ASAN)/core
	$(CC) $(ASAN_CFLAGS) -c -o $@ $<

$(addprefix $(ASAN)/,$(ASAN_UNITS)): $(ASAN)/%: t/unit/%.c t/unit/unit.h \
                                     $(ASAN_OBJS)
	$(CC) $(ASAN_CFLAGS) -Isrc/core -It/unit -o $@ $< $(ASAN_OBJS) \
	    $(CORE_LIBS)

$(ASAN)/fuzz_regress_%: fuzz/fuzz_%.c t/unit/test_fuzz_regress.c $(ASAN_OBJS)
	$(CC) $(ASAN_CFLAGS) $(shell xml2-config --cflags) -Isrc/core -o $@ \
	    t/unit/test_fuzz_regress.c $< $(ASAN_OBJS) $(FUZZ_LIBS)

test-asan: deps-test $(addprefix $(ASAN)/,$(ASAN_UNITS)) \
           $(addprefix $(ASAN)/fuzz_regress_,$(FUZZ_NAMES))
	$(ASAN_ENV) $(ASAN)/test_core > $(ASAN)/test_core.log \
	    || { tail -40 $(ASAN)/test_core.log; exit 1; }
	$(ASAN_ENV) $(ASAN)/test_token > $(ASAN)/test_token.log \
	    || { tail -40 $(ASAN)/test_token.log; exit 1; }
	$(ASAN_ENV) $(ASAN)/test_parsers > $(ASAN)/test_parsers.log \
	    || { tail -40 $(ASAN)/test_parsers.log; exit 1; }
	$(ASAN_ENV) $(ASAN)/test_vectors $(TOP)/../shared/testdata/webauthn \
	    > $(ASAN)/test_vectors.log \
	    || { tail -40 $(ASAN)/test_vectors.log; exit 1; }
	rm -rf $(ASAN)/trust
	$(PY) t/unit/mktrust.py $(ASAN)/trust
	$(ASAN_ENV) $(ASAN)/test_trust $(ASAN)/trust > $(ASAN)/test_trust.log \
	    || { tail -40 $(ASAN)/test_trust.log; exit 1; }
	$(ASAN_ENV) $(ASAN)/test_sigv4 $(TOP)/../shared/testdata/sigv4 \
	    > $(ASAN)/test_sigv4.log \
	    || { tail -40 $(ASAN)/test_sigv4.log; exit 1; }
	@for t in $(FUZZ_NAMES); do \
	    $(ASAN_ENV) $(ASAN)/fuzz_regress_$$t fuzz/corpus/$$t \
	        $$(test -d fuzz/regress/$$t && echo fuzz/regress/$$t) \
	        || exit 1; \
	done
	@for t in $(ASAN_UNITS); do \
	    echo "test-asan: $$t: $$(tail -1 $(ASAN)/$$t.log)"; \
	done

# the project's own Test::Nginx-compatible harness is put on the include
# path only when a real Test::Nginx::Socket is not already there
TEST_NGINX_INC = $(shell perl -MTest::Nginx::Socket -e1 2>/dev/null \
                   || echo "-I $(TOP)/t/harness")
PROVE_ENV = TEST_NGINX_BINARY=$(NGINX) \
            TEST_NGINX_LOAD_MODULES=$(MODULE) \
            PATH=/usr/sbin:$$PATH

test-nginx: module deps-test
	$(PROVE_ENV) prove $(TEST_NGINX_INC) -r t/

VALGRIND := valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
            --error-exitcode=9
VALGRIND_JOBS ?= 2

test-valgrind: module deps-test $(UNIT_BIN) $(BUILD)/unit/test_vectors \
               $(BUILD)/unit/test_trust $(BUILD)/unit/test_token \
               $(BUILD)/unit/test_parsers
	$(VALGRIND) $(UNIT_BIN) > /dev/null
	$(VALGRIND) $(BUILD)/unit/test_token > /dev/null
	@# jansson's arena marks its blocks for memcheck when valgrind runs
	$(VALGRIND) $(BUILD)/unit/test_parsers > /dev/null
	$(VALGRIND) $(BUILD)/unit/test_vectors $(TOP)/../shared/testdata/webauthn \
	    > /dev/null
	rm -rf $(BUILD)/unit/trust-vg
	$(PY) t/unit/mktrust.py $(BUILD)/unit/trust-vg
	$(VALGRIND) $(BUILD)/unit/test_trust $(BUILD)/unit/trust-vg > /dev/null
	@# the whole suite, nginx and its workers under valgrind, VALGRIND_JOBS
	@# files at a time, with the project's harness (it counts the errors)
	$(PROVE_ENV) t/harness/valgrind-suite -j $(VALGRIND_JOBS) t/*.t

# Debian's chromium and its virtual authenticator against the module (npm
# installs playwright-core into build/browser; no browser is downloaded)
test-browser: module deps-browser
	t/browser/run.sh

# the test tools check themselves: the software authenticator's crypto,
# CBOR, challenge layout and field rules; the AWS stand-ins against botocore
test-tools: deps-test
	$(PY) tools/webauthn-softkey selftest
	$(PY) t/lib/aws_standins.py --selftest

test: deps-test module test-unit test-vectors test-trust test-token test-sigv4 \
      test-parsers test-tools test-asan test-fuzz \
      test-nginx test-valgrind test-browser test-container-where-podman

# the container image: built with podman from a local debootstrap base,
# run with Redis and the AWS stand-ins, checked end to end (t/container/);
# test-kubernetes alone checks conf/kubernetes/ (no podman needed)
.PHONY: test-container test-kubernetes test-container-where-podman

test-kubernetes:
	$(call apt_install,python3-yaml)
	$(PY) t/container/check_kubernetes.py

test-container: test-kubernetes
	$(call apt_install,podman runc debootstrap redis-server redis-tools \
	    python3-botocore python3-cryptography python3-yaml curl)
	t/container/run.sh

# in "make test": the container test where podman can run a container
# here (it says so, loudly, where it cannot, and the manifests are checked
# all the same)
test-container-where-podman: test-kubernetes
	$(call apt_install,podman runc debootstrap)
	@if podman --runtime runc info >/dev/null 2>&1; then \
	    $(MAKE) --no-print-directory test-container; \
	else \
	    echo "test-container: NOT RUN: podman does not work on this" \
	         "machine (podman --runtime runc info failed)" >&2; \
	fi

# several gateways on one Redis (issue 12): three nginx with two workers
# each; one assertion replayed at once through all of them, counters used
# concurrently, and wrk load through five reloads and a Redis restart
# (single) or a SENTINEL failover (sentinel: a master, a replica, three
# redis-sentinel); t/scale/scale.py once per topology of SCALE_TOPOLOGIES
# (SCALE_TOPOLOGY alone, when set), ports from SCALE_PORT_BASE (6900);
# prints its figures, fails on wrong answers only, and on a topology it
# cannot run
SCALE_TOPOLOGIES ?= $(or $(SCALE_TOPOLOGY),single sentinel)
.PHONY: test-scale

test: test-scale

test-scale: module deps-test
	$(call apt_install,wrk)
	@for t in $(SCALE_TOPOLOGIES); do \
	    echo "test-scale: topology $$t"; \
	    $(PY) t/scale/scale.py --topology $$t || exit 1; \
	done

# the same on a three-master Redis Cluster (redis-cli --cluster create),
# one master restarted under the load: ports from SCALE_PORT_BASE + 50,
# its own directory, so that it can run beside test-scale
.PHONY: test-scale-cluster
test: test-scale-cluster

test-scale-cluster: module deps-test
	$(call apt_install,wrk)
	$(PY) t/scale/scale.py --topology cluster \
	    --port-base $$(( $${SCALE_PORT_BASE:-6900} + 50 )) \
	    --workdir $(BUILD)/scale-cluster
# differential tests (t/diff/): the core's SigV4 against botocore's
# SigV4Auth, its assertion checks against python-fido2's Fido2Server, on
# DIFF_CASES generated cases each (default 3000) from the seed DIFF_SEED
# (random and printed when unset), and the regression cases of
# t/diff/cases/ every run
.PHONY: test-diff
test: test-diff

DIFF_BIN := $(BUILD)/diff/wa_diff

$(DIFF_BIN): $(CORE_SRCS) $(CORE_HDRS) t/diff/wa_diff.c
	@mkdir -p $(BUILD)/diff
	$(CC) $(CORE_CFLAGS) -Isrc/core -o $@ t/diff/wa_diff.c $(CORE_SRCS) \
	    $(CORE_LIBS)

test-diff: deps-test $(DIFF_BIN)
	$(call apt_install,python3-botocore python3-fido2 python3-cryptography)
	$(PY) t/diff/run.py $(DIFF_BIN)

# -- bench, fuzz ------------------------------------------------------------

bench: module deps-bench
	bench/run.sh

# every fuzz/fuzz_*.c target (fuzz/Makefile), FUZZ_JOBS at a time, from
# its committed seeds in fuzz/corpus/<target>/: test-fuzz FUZZ_TIME
# seconds each (default 60) from a fresh corpus, failing on any finding;
# fuzz-long (default 1800 s each) and fuzz (120 s) keep what they find in
# build/fuzz/work/ and add the shared vectors as seeds
FUZZ_JOBS    ?= 2
.PHONY: test-fuzz fuzz-long

test-fuzz: deps-fuzz
	$(MAKE) -j$(FUZZ_JOBS) -C fuzz test FUZZ_TIME=$(or $(FUZZ_TIME),60)

fuzz-long: deps-fuzz
	$(MAKE) -j$(FUZZ_JOBS) -C fuzz long FUZZ_TIME=$(or $(FUZZ_TIME),1800)

fuzz: deps-fuzz
	$(MAKE) -j$(FUZZ_JOBS) -C fuzz long FUZZ_TIME=$(or $(FUZZ_TIME),120)

clean:
	rm -rf $(BUILD) t/servroot*
