#!/usr/bin/env bash
# Idle keep-alive connections: how many the proxy holds, and what each costs in memory, beside
# nginx. Opens N client connections (bench/idle_conns.py), one GET on each, holds them idle for
# HOLD seconds, then a second GET on each: all must still be open and answer 200.
#   bench/idle-conns.sh [N [HOLD]]   (from the top of the tree, after `make build`; default 10000 20)
# Turnpike runs conf/bench.yaml with the README's production flags (JAVA_OPTS to change them).
# Reported per system: RSS before the connections and while all N are idle, and the difference
# per connection; for Turnpike also the Java heap in use after a full collection at both points
# (what the connections retain, without the garbage RSS also holds). nginx is compare.sh's
# nginx-proxy (one worker; its worker's RSS). Needs 2 descriptors per connection in the client
# and 1 in the proxy: N up to about 19,000 with 20,000 descriptors a process.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
hold=${2:-20}
java_opts=${JAVA_OPTS:-"-XX:+UseSerialGC -Xms80m -Xmx80m -Xmn40m"}
jar=proxy-runtime/target/turnpike.jar
[ -f "$jar" ] || { echo "idle-conns: $jar not built (make build)" >&2; exit 1; }
peers=$(bash ../shared/bench/compare.sh --backend-only | head -1)
nginx_port=$(sed -E 's#.*nginx https?://127.0.0.1:([0-9]+).*#\1#' <<<"$peers")
nginx_master=$(cat /tmp/proxy-bench/nginx-proxy.pid 2>/dev/null || true)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${tp:-}" ] && kill "$tp" 2>/dev/null; true' EXIT

rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
heap_kb() {  # Java heap in use after a full collection
  jcmd "$1" GC.run > /dev/null
  jcmd "$1" GC.heap_info | awk '/generation|heap/ && /used/ {
    for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?/, "", v); sum += v } }
    END { print sum + 0 }'
}
measure() {  # label pid port is_java
  local label=$1 pid=$2 port=$3 java=$4 r0 r1 h0=0 h1=0 out
  [ "$java" = 1 ] && h0=$(heap_kb "$pid")
  r0=$(rss_kb "$pid")
  rm -f "$tmp/ready"
  python3 bench/idle_conns.py 127.0.0.1 "$port" "$n" "$hold" "$tmp/ready" > "$tmp/$label.out" & local c=$!
  while [ ! -f "$tmp/ready" ] && kill -0 $c 2>/dev/null; do sleep 0.5; done
  sleep 2
  [ "$java" = 1 ] && h1=$(heap_kb "$pid")
  r1=$(rss_kb "$pid")
  wait $c || true
  out=$(cat "$tmp/$label.out")
  printf '%-9s %s | RSS %d -> %d MB, %.1f KB per connection' "$label" "$out" $((r0 / 1024)) $((r1 / 1024)) \
    "$(echo "($r1 - $r0) / $n" | bc -l)"
  [ "$java" = 1 ] && printf ' | heap after GC %d -> %d MB, %.1f KB per connection' $((h0 / 1024)) $((h1 / 1024)) \
    "$(echo "($h1 - $h0) / $n" | bc -l)"
  echo
}

# shellcheck disable=SC2086
java $java_opts -jar "$jar" --config conf/bench.yaml > "$tmp/turnpike.log" 2>&1 & tp=$!
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.2; done
wrk -t1 -c64 -d5s http://127.0.0.1:8080/ > /dev/null   # warm up: JIT, the pools
echo "$n idle keep-alive connections, held ${hold}s; $(date -u +%Y-%m-%d), $(nproc) cores; Turnpike: $java_opts"
measure turnpike "$tp" 8080 1
nginx_worker=$(pgrep -P "$nginx_master" | head -1)
measure nginx "$nginx_worker" "$nginx_port" 0
