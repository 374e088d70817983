#!/usr/bin/env bash
# Tunnel throughput and CPU per MiB: Turnpike relaying an upgraded connection against HAProxy in
# TCP mode, both to the same backend (tunnel_bench.py), 1 MiB writes, MIB MiB each way.
#   bench/tunnel.sh [MIB]        (from the top of the tree, after `make build`; needs haproxy)
# Quote the two side by side from one run: the client and backend are Python on the same cores.
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-2048}
dir=$(mktemp -d)
python3 bench/tunnel_bench.py backend 18301 & backend=$!
java -XX:+UseSerialGC -Xmn64m -Xmx512m -jar proxy-runtime/target/turnpike.jar --config bench/tunnel-proxy.yaml > "$dir/proxy.log" 2>&1 & proxy=$!
haproxy -f bench/tunnel-haproxy.cfg -D -p "$dir/haproxy.pid"
trap 'kill $proxy $backend $(cat "$dir/haproxy.pid") 2>/dev/null || true' EXIT
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/18300) 2>/dev/null && break; sleep 0.2; done
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
python3 bench/tunnel_bench.py client 127.0.0.1:18300 256 > /dev/null   # warm-up (JIT)
python3 bench/tunnel_bench.py client 127.0.0.1:18302 256 > /dev/null
for name in turnpike haproxy; do
  if [ $name = turnpike ]; then pid=$proxy port=18300; else pid=$(cat "$dir/haproxy.pid") port=18302; fi
  a=$(cpu "$pid"); r=$(python3 bench/tunnel_bench.py client 127.0.0.1:$port "$mib"); b=$(cpu "$pid")
  echo "$name: $r, cpu $(echo "scale=1; ($b - $a) * 1000000 / $hz / (2 * $mib)" | bc) us/MiB"
done
