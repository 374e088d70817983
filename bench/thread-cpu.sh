#!/usr/bin/env bash
# CPU time per request, thread by thread: where the proxy's CPU goes under load.
#   bench/thread-cpu.sh CONFIG [SECONDS]     (from the top of a built tree, after `make build`)
# Starts the proxy on CONFIG (which must listen on 127.0.0.1:8080), warms it up for 10 s with
# `wrk -t1 -c64`, then reads utime+stime of every thread from /proc before and after SECONDS
# (default 20) of the same load, and prints each thread's share per request. The backend is the
# one ../shared/bench/compare.sh --backend-only starts on 127.0.0.1:18080. Steadier than a
# process total for telling the event loop from the access log's writer, the file watcher or GC.
#   TREE=/path/to/other/checkout bench/thread-cpu.sh CONFIG   measures another built tree
set -euo pipefail
cfg=$(realpath "$1"); secs=${2:-20}
cd "${TREE:-$(dirname "$0")/..}"
out=$(mktemp -d)
java_opts=${BENCH_JAVA_OPTS:-"-XX:+UseSerialGC -Xmn64m -Xmx512m"}
# shellcheck disable=SC2086
java $java_opts -jar proxy-runtime/target/turnpike.jar --config "$cfg" \
  > "$out/proxy.log" 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.2; done
kill -0 $pid 2>/dev/null || { echo "thread-cpu: the proxy did not start:" >&2; tail -5 "$out/proxy.log" >&2; exit 1; }
wrk -t1 -c64 -d10s http://127.0.0.1:8080/ > /dev/null
snap() {  # tid name ticks (thread names may hold spaces: they become underscores)
  for t in /proc/$pid/task/*; do
    local name stat; name=$(tr ' ' _ < "$t/comm"); stat=$(sed 's/.*) //' "$t/stat")
    awk -v id="$(basename "$t")" -v n="$name" '{print id, n, $12 + $13}' <<<"$stat"
  done | sort
}
snap > "$out/t0"
wrk -t1 -c64 -d"${secs}s" http://127.0.0.1:8080/ > "$out/wrk"
snap > "$out/t1"
reqs=$(awk '/requests in/{print $1}' "$out/wrk")
hz=$(getconf CLK_TCK)
echo "requests: $reqs ($(awk '/Requests\/sec/{print $2}' "$out/wrk") req/s)"
# Threads born during the run count from 0; threads that ended during it are not seen.
join -a 2 -e 0 -o 2.1,2.2,1.3,2.3 "$out/t0" "$out/t1" | awk -v r="$reqs" -v hz="$hz" '
  { d = $4 - $3; if (d > 0) { by[$2] += d; tot += d } }
  END { for (n in by) printf "%-40s %7.2f s %8.2f us/request\n", n, by[n] / hz, by[n] * 1e6 / hz / r
        printf "%-40s %7.2f s %8.2f us/request\n", "TOTAL", tot / hz, tot * 1e6 / hz / r }' | sort -k2 -n -r
