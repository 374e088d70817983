#!/usr/bin/env bash
# The performance table: four setups, each one run of ../shared/bench/compare.sh (the proxy against
# nginx and HAProxy, one worker each, medians of its rounds), one after the other, with the JVM
# flags `make bench` uses. Writes target/bench-all.md and prints it.
#   bench/bench-all.sh            (from the top of the tree, after `make build`; `make bench-all`)
# Setups:
#   lb        conf/bench.yaml: load-balancer only, 64 connections, 64-byte replies
#   chain     conf/bench-chain.yaml (rate-limit, header-injection, load-balancer with a health
#             check) with the access log on, to a file
#   body-1m   load-balancer only, 1 MiB replies, 16 connections
#   conns-8k  load-balancer only, 8,000 keep-alive connections (wrk's 2 s timeout counts as errors)
# Quote the ratios, from one run: the proxies and wrk share this machine's cores.
#   BENCH_TREE=/path/to/other/checkout bench/bench-all.sh   runs another built tree (a before/after pair)
set -euo pipefail
cd "${BENCH_TREE:-$(dirname "$0")/..}"
script=${BENCH_SCRIPT:-../shared/bench/compare.sh}
java_opts=${BENCH_JAVA_OPTS:-"-XX:+UseSerialGC -Xmn64m -Xmx512m"}
jar=proxy-runtime/target/turnpike.jar
out=target/bench-all.md
[ -f "$script" ] || { echo "bench-all: $script not found" >&2; exit 1; }
[ -f "$jar" ] || { echo "bench-all: $jar not built (make build)" >&2; exit 1; }
mkdir -p target
# The log goes to a directory of its own: target/ holds the generated configuration, and the
# proxy watches the configuration's directory, so a log there would wake the watcher per line.
mkdir -p target/bench-log
sed -e 's#^  enabled: false#  enabled: true\n  file: target/bench-log/access.log#' conf/bench-chain.yaml > target/bench-chain-log.yaml
rm -f target/bench-log/access.log*

rows=()
run() {  # label config compare-args...
  local label=$1 cfg=$2; shift 2
  # shellcheck disable=SC2086
  java $java_opts -jar "$jar" --config "$cfg" > "target/bench-$label.log" 2>&1 & local pid=$!
  for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.2; done
  bash "$script" --target 127.0.0.1:8080 --pid "$pid" "$@" > "target/bench-$label.out" 2>&1 || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local f="target/bench-$label.out" t n h
  t=$(awk '/^--- medians/{m=1} m && $1=="target" && $3=="req/s"' "$f")
  n=$(awk '/^--- medians/{m=1} m && $1=="nginx" && $3=="req/s"' "$f")
  h=$(awk '/^--- medians/{m=1} m && $1=="haproxy" && $3=="req/s"' "$f")
  if [ -z "$t" ] || [ -z "$n" ]; then
    rows+=("| $label | run failed: see target/bench-$label.out | | | | | |")
    return
  fi
  # fields: name N req/s p50 N us p99 N us cpu N us/req errors N
  local rps_t rps_n rps_h cpu_t cpu_n p99_t p99_n err_t rss
  rps_t=$(awk '{print $2}' <<<"$t"); rps_n=$(awk '{print $2}' <<<"$n"); rps_h=$(awk '{print $2}' <<<"$h")
  p99_t=$(awk '{print $8}' <<<"$t"); p99_n=$(awk '{print $8}' <<<"$n")
  cpu_t=$(awk '{print $11}' <<<"$t"); cpu_n=$(awk '{print $11}' <<<"$n")
  err_t=$(awk '{print $14}' <<<"$t")
  rss=$(awk '/target peak RSS/{printf "%d MB", $4/1024}' "$f")
  rows+=("| $label | $(echo "scale=2; $rps_t/$rps_n" | bc)× | $(echo "scale=2; $rps_h/$rps_n" | bc)× | $(echo "scale=2; $cpu_t/$cpu_n" | bc)× | $((p99_t / 1000)).$(((p99_t % 1000) / 100)) ms / $((p99_n / 1000)).$(((p99_n % 1000) / 100)) ms | $err_t | $rss |")
}

run lb conf/bench.yaml
run chain target/bench-chain-log.yaml
run body-1m conf/bench.yaml --body 1048576 --conns 16
run conns-8k conf/bench.yaml --conns 8000 --duration 15 --rounds 1

{
  echo "Turnpike against nginx, $(date -u +%Y-%m-%d), $(nproc) cores, one worker each, compare.sh medians (bench/bench-all.sh)"
  echo
  echo "| setup | req/s vs nginx | HAProxy req/s vs nginx | CPU per request vs nginx | p99 Turnpike / nginx | Turnpike errors | Turnpike peak RSS |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$out"
cat "$out"
