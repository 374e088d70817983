# Turnpike: build, run and test from the top of the tree. `make` alone lists the targets.
# GNU make; the recipes use bash.

SHELL := /bin/bash
.DEFAULT_GOAL := help

MVN       ?= mvn
OFFLINE   ?=
MVN_FLAGS := -B -ntp -Dstyle.color=never $(if $(OFFLINE),-o)
JAVA      ?= java
JAVA_OPTS ?=
# The demo backends need little; keep them from taking a default-sized heap each.
DEMO_JAVA_OPTS ?= -Xmx64m
CONFIG    ?= conf/proxy.yaml
# The ports `make run` starts its demo backends on (the backends conf/proxy.yaml names).
DEMO_PORTS ?= 9001 9002

JAR     := proxy-runtime/target/turnpike.jar
PLUGINS := $(patsubst plugins/%/pom.xml,%,$(wildcard plugins/*/pom.xml))
# Rebuild only when a pom or anything under a src/ changed (or the jar is gone).
SOURCES := $(shell find . -path ./.git -prune -o -path '*/target' -prune -o -type f \( -name pom.xml -o -path '*/src/*' \) -print)
STAMP   := target/build.stamp

BENCH_SCRIPT ?= ../shared/bench/compare.sh
BENCH_CONFIG ?= conf/bench.yaml
BENCH_TARGET ?= 127.0.0.1:8080
BENCH_ARGS   ?=
# One event loop: a small live set, so the serial collector with a fixed young generation costs the
# least CPU per request (measured about 8% below G1) and half the resident memory.
BENCH_JAVA_OPTS ?= -XX:+UseSerialGC -Xmn64m -Xmx512m

.PHONY: help build run test check clean clean-plugins bench bench-tls bench-all install-api FORCE

help: ## list the targets
	@echo "Turnpike. Variables: CONFIG=$(CONFIG) JAVA_OPTS='$(JAVA_OPTS)' OFFLINE=$(OFFLINE) (OFFLINE=1: mvn -o)"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-11s %s\n", $$1, $$2 }'

# Plugin jars are copied under a dot-name and renamed, so a running proxy's directory watcher
# never sees half a jar; an unchanged jar is not copied again (no needless reload).
build: $(STAMP) ## package the runtime (proxy-runtime/target/turnpike.jar + lib/) and copy plugin jars to plugins/<name>.jar
	@for name in $(PLUGINS); do \
	  jar=$$(ls -t plugins/$$name/target/$$name-*.jar 2>/dev/null | grep -v -E -- '-(sources|tests|javadoc)\.jar$$' | head -n 1); \
	  [ -n "$$jar" ] || { echo "build: no jar for plugin $$name in plugins/$$name/target" >&2; exit 1; }; \
	  cmp -s "$$jar" plugins/$$name.jar && continue; \
	  cp "$$jar" plugins/.$$name.jar.tmp && mv -f plugins/.$$name.jar.tmp plugins/$$name.jar; \
	  echo "plugins/$$name.jar <- $$jar"; \
	done

$(STAMP): $(SOURCES) $(if $(wildcard $(JAR)),,FORCE)
	$(MVN) $(MVN_FLAGS) -q -DskipTests package
	@mkdir -p $(@D) && touch $@

FORCE:

# The three start as background jobs under job control (set -m): each in a process group of its own,
# so Ctrl-C reaches only make and this shell, whose trap stops them with SIGTERM (gracefully) and
# exits 0, and no "make: *** Error 130" follows. Without job control a background job would start
# with SIGINT ignored, which the JVM cannot undo; job control goes off again once they are started,
# or the shell would print a "Done" line for each. make passes SIGTERM on to this shell, so
# `kill <make pid>` stops them the same way (it cannot when the proxy runs in the foreground: a
# shell runs its trap only once the foreground job is done).
run: build ## start demo backends on 127.0.0.1:DEMO_PORTS (9001 9002), then the proxy on CONFIG; Ctrl-C or SIGTERM to make stops all three
	@test -f $(CONFIG) || { echo "run: no config at $(CONFIG)" >&2; exit 1; }
	@set -m; pids=; i=0; \
	stop() { [ -z "$$pids" ] || kill -TERM $$pids 2>/dev/null; wait $$pids 2>/dev/null; pids=; }; \
	trap 'stop; exit 0' INT TERM; \
	trap stop EXIT; \
	for port in $(DEMO_PORTS); do \
	  i=$$((i + 1)); \
	  $(JAVA) $(DEMO_JAVA_OPTS) -cp $(JAR) dev.turnpike.demo.DemoBackend --listen 127.0.0.1:$$port --name backend-$$i & \
	  pids="$$pids $$!"; \
	done; \
	$(JAVA) $(JAVA_OPTS) -jar $(JAR) --config $(CONFIG) & \
	proxy=$$!; pids="$$pids $$proxy"; set +m; \
	wait $$proxy; code=$$?; \
	stop; exit $$code

test: ## unit tests, then the *IT integration tests against the packaged jar (mvn verify)
	$(MVN) $(MVN_FLAGS) verify

check: build ## validate the CONFIG file without starting the proxy
	$(JAVA) $(JAVA_OPTS) -jar $(JAR) --config $(CONFIG) --check

# proxy-runtime's package phase makes the tarball (src/assembly/dist.xml); the version is the one
# Maven wrote beside it. conf/proxy.yaml and docs/turnpike.service go in it but are not under a
# src/, so a change to them repackages here rather than through the build stamp.
DIST_VERSION_FILE := proxy-runtime/target/maven-archiver/pom.properties
.PHONY: dist
dist: $(STAMP) ## the distribution: target/turnpike-<version>.tar.gz (bin/turnpike, lib/, conf/, plugins/, systemd unit)
	@version=$$(sed -n 's/^version=//p' $(DIST_VERSION_FILE) 2>/dev/null); \
	tarball=proxy-runtime/target/turnpike-$$version.tar.gz; \
	if [ -z "$$version" ] || [ ! -f "$$tarball" ] || [ conf/proxy.yaml -nt "$$tarball" ] || [ docs/turnpike.service -nt "$$tarball" ]; then \
	  $(MVN) $(MVN_FLAGS) -q -DskipTests package -pl proxy-runtime -am || exit 1; \
	  version=$$(sed -n 's/^version=//p' $(DIST_VERSION_FILE)); \
	  tarball=proxy-runtime/target/turnpike-$$version.tar.gz; \
	fi; \
	mkdir -p target && cp "$$tarball" target/ && echo "target/turnpike-$$version.tar.gz"

# What a plugin project outside this tree builds against: the parent pom, proxy-api, the testkit
# (proxy-testkit-phases, proxy-testkit and the proxy-runtime it runs) and the archetype. -am also
# builds (and installs) the modules proxy-runtime's tests order before it. No tests, and not the
# archetype's own integration test.
API_MODULES := proxy-api,proxy-testkit-phases,proxy-runtime,proxy-testkit,proxy-plugin-archetype
install-api: ## install what plugins built outside this tree need (parent pom, proxy-api, testkit, runtime, archetype) in ~/.m2
	$(MVN) $(MVN_FLAGS) -q -DskipTests -Darchetype.test.skip=true -Dinvoker.skip=true install -pl $(API_MODULES) -am

clean: clean-plugins ## mvn clean, and remove the plugin jars make build copied to plugins/
	$(MVN) $(MVN_FLAGS) -q clean

# Only the jars `make build` copies (plugins/<module>.jar of each bundled plugin, and a copy it left
# half-done): a jar of one's own dropped in plugins/ stays.
clean-plugins: ## remove only the bundled plugin jars make build copied to plugins/ (not your own jars)
	rm -f $(foreach name,$(PLUGINS),plugins/$(name).jar plugins/.$(name).jar.tmp)

# compare.sh (shared/ beside this repo) starts its own nginx backend on 127.0.0.1:18080 and load
# generators; BENCH_CONFIG must make the proxy listen on BENCH_TARGET with one worker thread and
# send every path to 127.0.0.1:18080. Extra options for compare.sh go in BENCH_ARGS.
bench: build ## benchmark against nginx/HAProxy with BENCH_SCRIPT (proxy on BENCH_CONFIG, one worker)
	@test -f $(BENCH_SCRIPT) || { echo "bench: $(BENCH_SCRIPT) not found" >&2; exit 1; }
	@test -f $(BENCH_CONFIG) || { echo "bench: no $(BENCH_CONFIG) (proxy on $(BENCH_TARGET), workers 1, all paths to 127.0.0.1:18080)" >&2; exit 1; }
	@$(JAVA) $(BENCH_JAVA_OPTS) $(JAVA_OPTS) -jar $(JAR) --config $(BENCH_CONFIG) & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	bash $(BENCH_SCRIPT) --target $(BENCH_TARGET) --pid $$pid $(BENCH_ARGS)

# The certificate is made as compare.sh makes it (with HAProxy's combined file), so that whichever
# runs first, all three serve the same one. BENCH_TLS_PROVIDER=jdk measures the JDK's TLS.
BENCH_TLS_DIR      ?= /tmp/proxy-bench/tls
BENCH_TLS_PROVIDER ?= auto
bench-all: build ## the performance table: load-balancer, shipped chain with access log, 1 MiB bodies, 8k connections (bench/bench-all.sh -> target/bench-all.md)
	@BENCH_SCRIPT=$(BENCH_SCRIPT) BENCH_JAVA_OPTS='$(BENCH_JAVA_OPTS) $(JAVA_OPTS)' bash bench/bench-all.sh

bench-tls: build ## as bench, over TLS (compare.sh --tls; add BENCH_ARGS=--close for handshakes); BENCH_TLS_PROVIDER=auto|openssl|jdk
	@test -f $(BENCH_SCRIPT) || { echo "bench-tls: $(BENCH_SCRIPT) not found" >&2; exit 1; }
	@if [ ! -f $(BENCH_TLS_DIR)/cert.pem ]; then mkdir -p $(BENCH_TLS_DIR) && \
	  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /CN=localhost \
	    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout $(BENCH_TLS_DIR)/key.pem -out $(BENCH_TLS_DIR)/cert.pem >/dev/null 2>&1 && \
	  cat $(BENCH_TLS_DIR)/cert.pem $(BENCH_TLS_DIR)/key.pem > $(BENCH_TLS_DIR)/haproxy.pem; fi
	@mkdir -p target && sed 's/^  provider: .*/  provider: $(BENCH_TLS_PROVIDER)/' conf/bench-tls.yaml > target/bench-tls.yaml
	@$(JAVA) $(BENCH_JAVA_OPTS) $(JAVA_OPTS) -jar $(JAR) --config target/bench-tls.yaml & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	bash $(BENCH_SCRIPT) --tls --target 127.0.0.1:8443 --pid $$pid $(BENCH_ARGS)
