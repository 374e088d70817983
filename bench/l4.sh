#!/usr/bin/env bash
# L4 connections per second and CPU per connection: Turnpike's tcp listener (bench/l4-proxy.yaml,
# load-balancer, one event loop) against HAProxy mode tcp on one thread (bench/l4-haproxy.cfg), both
# to the same echo backend. CONC connections in flight; each connects, sends 64 bytes, reads the
# echo, closes, and the next one starts. SECS seconds each, after a warm-up of both.
#   bench/l4.sh [SECS [CONC]]    (from the top of the tree, after `make build`; needs haproxy and cc)
# Prints conns/s, the proxy's CPU per connection (utime+stime of its process over the run, so the
# kernel's work on its two sockets counts) and its share of one core, and the failed connections
# (a connect error, a reset, a short or wrong echo, no echo in 2 s): any failure exits 1. A third
# line, direct, runs the client against the backend with no proxy between: the most the client and
# backend drive on this machine (CPU there is the backend's), to show they are not the bottleneck.
#
# Client and backend are C (bench/l4_bench.c, compiled into a temporary directory here), one epoll
# thread each. On a 2-core machine a Python selectors client came close through HAProxy (10,400
# conns/s against 11,700) but reached 14,000 straight to the backend against 21,700, and its 11 us
# of user CPU per connection (1 us here) comes out of the cores the proxy runs on. Everything shares
# the same cores; quote the two side by side from one run, not absolute numbers.
#
# Ports and TIME_WAIT: each connection leaves two sockets in TIME_WAIT for 60 s, the client's (it
# closes first) and the proxy's own towards the backend (it passes the client's close on first).
# Ephemeral ports come from net.ipv4.ip_local_port_range (Debian: 32768-60999, 28k ports per address
# pair), so at thousands of conns/s they run out in seconds unless net.ipv4.tcp_tw_reuse lets
# connect() reuse a TIME_WAIT port a second later: 2 (the default: loopback only) or 1 does; this
# script refuses 0 rather than report failures that are the kernel's. The client's side is also
# spread over the source addresses 127.0.0.1 .. 127.0.0.8 (all of 127/8 is local). Beyond
# net.ipv4.tcp_max_tw_buckets the kernel stops keeping TIME_WAIT sockets (dmesg: "time wait bucket
# table overflow"), which is harmless here. The script changes no sysctl.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conc=${2:-16}
warm=5
http=18310 l4=18311 backend_port=18312 ha=18313

jar=proxy-runtime/target/turnpike.jar
[ -f "$jar" ] || { echo "l4.sh: $jar is missing: run make build first" >&2; exit 1; }
command -v haproxy > /dev/null || { echo "l4.sh: haproxy is not installed" >&2; exit 1; }
if [ "$(cat /proc/sys/net/ipv4/tcp_tw_reuse)" = 0 ]; then
  echo "l4.sh: net.ipv4.tcp_tw_reuse is 0: the proxies' connections to the backend would run out of" \
       "ephemeral ports ($(tr '\t' - < /proc/sys/net/ipv4/ip_local_port_range)) within seconds;" \
       "set it to 2 (loopback only) to run this" >&2
  exit 1
fi
listening() { (echo -n > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in $http $l4 $backend_port $ha; do
  if listening $port; then echo "l4.sh: 127.0.0.1:$port is taken (a run still going?)" >&2; exit 1; fi
done

dir=$(mktemp -d)
proxy= backend=
cleanup() {
  kill $proxy $backend $(cat "$dir/haproxy.pid" 2>/dev/null) 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
cc -O2 -o "$dir/l4_bench" bench/l4_bench.c

"$dir/l4_bench" backend 127.0.0.1:$backend_port & backend=$!
java -XX:+UseSerialGC -Xmn64m -Xmx512m -jar "$jar" --config bench/l4-proxy.yaml > "$dir/proxy.log" 2>&1 & proxy=$!
haproxy -f bench/l4-haproxy.cfg -D -p "$dir/haproxy.pid"

proxy_gone() {
  local rc=0
  wait $proxy || rc=$?
  echo "l4.sh: turnpike exited ($rc) $1; its output:" >&2
  tail -n 40 "$dir/proxy.log" >&2
  exit 1
}
for i in $(seq 150); do
  listening $l4 && break
  kill -0 $proxy 2>/dev/null || proxy_gone "before listening on 127.0.0.1:$l4"
  if [ $i = 150 ]; then
    echo "l4.sh: turnpike is not listening on 127.0.0.1:$l4 after 30 s (is the tcp listener built?); its output:" >&2
    tail -n 40 "$dir/proxy.log" >&2
    exit 1
  fi
  sleep 0.2
done
listening $ha || { echo "l4.sh: haproxy is not listening on 127.0.0.1:$ha" >&2; exit 1; }
listening $backend_port || { echo "l4.sh: the backend is not listening on 127.0.0.1:$backend_port" >&2; exit 1; }

cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
"$dir/l4_bench" client 127.0.0.1:$l4 "$conc" $warm > /dev/null   # warm-up (JIT)
"$dir/l4_bench" client 127.0.0.1:$ha "$conc" $warm > /dev/null
kill -0 $proxy 2>/dev/null || proxy_gone "during the warm-up"
failed=0
echo "$conc connections in flight, 64-byte echo, $secs s each ($(nproc) cores)"
for name in turnpike haproxy direct; do
  case $name in
    turnpike) pid=$proxy port=$l4 ;;
    haproxy) pid=$(cat "$dir/haproxy.pid") port=$ha ;;
    direct) pid=$backend port=$backend_port   # no proxy: what the client drives, CPU of the backend
  esac
  a=$(cpu "$pid"); r=$("$dir/l4_bench" client 127.0.0.1:$port "$conc" "$secs"); b=$(cpu "$pid")
  kill -0 "$pid" 2>/dev/null || { [ $name = turnpike ] && proxy_gone "during the run"; echo "l4.sh: $name: its process exited" >&2; exit 1; }
  conns=${r%% *} bad=$(echo "$r" | sed -E 's/.* ([0-9]+) failed.*/\1/')
  [ "$bad" = 0 ] && [ "$conns" -gt 0 ] || failed=1
  per=-; [ "$conns" -gt 0 ] && per=$(echo "scale=1; ($b - $a) * 1000000 / $hz / $conns" | bc)
  echo "$name: $r, cpu $per us/conn, $(echo "($b - $a) * 100 / $hz / $secs" | bc)% of a core"
done
[ $failed = 0 ] || { echo "l4.sh: connections failed or none completed (failed must be 0)" >&2; exit 1; }
