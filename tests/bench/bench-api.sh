#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark the connection API: GET /v1/status on loopback with wrk (Debian's
# `wrk` package) at 100 concurrent connections. Prints requests/s, the p99
# latency and the agent's CPU time per request (from /proc, user + system).
# Not run by make check; needs CAP_NET_RAW for the agent's capture on lo.
#
#   tests/bench/bench-api.sh [BUILDDIR]      (DURATION=10 CONNECTIONS=100 THREADS=2 PORT=18499)
#
# The per-IP connection limit (default 16) is raised for the run: all of
# wrk's connections come from 127.0.0.1, and the point here is throughput,
# not the limit (tests/integration/test_api.py checks that).
set -euo pipefail

builddir=${1:-${SIGRUN_TOP_BUILDDIR:-$PWD}}
agent=$builddir/agent/sigrun-agent
duration=${DURATION:-10}
connections=${CONNECTIONS:-100}
threads=${THREADS:-2}
port=${PORT:-18499}

command -v wrk >/dev/null || { echo "bench-api: wrk not found (apt-get install wrk)" >&2; exit 77; }
[ -x "$agent" ] || { echo "bench-api: $agent not built" >&2; exit 1; }

tmp=$(mktemp -d)
pid=
cleanup() {
        if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
        rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/agent.yaml" <<YAML
api:
  listen: ["127.0.0.1:$port"]
  max_connections: 1024
  max_connections_per_ip: 1024
capture:
  interface: lo
log:
  source: off
watchdog:
  action: none
agent:
  state_directory: $tmp
YAML

"$agent" --config "$tmp/agent.yaml" 2>"$tmp/agent.log" &
pid=$!
for _ in $(seq 50); do
        curl -sf "http://127.0.0.1:$port/v1/status" >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || { cat "$tmp/agent.log" >&2; exit 1; }
        sleep 0.1
done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
before=$(cpu_ticks)
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port/v1/status" >"$tmp/wrk.out"
after=$(cpu_ticks)

rps=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.out")
p99=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk.out")
total=$(awk '/requests in/ { print $1 }' "$tmp/wrk.out")
errors=$(awk '/Socket errors|Non-2xx/ { print }' "$tmp/wrk.out")
hz=$(getconf CLK_TCK)
us_per_req=$(awk -v t="$((after - before))" -v hz="$hz" -v n="$total" 'BEGIN { printf "%.1f", n ? t / hz * 1e6 / n : 0 }')

echo "GET /v1/status, $connections connections, ${duration}s, wrk -t$threads:"
echo "  requests/s:   $rps"
echo "  p99 latency:  $p99"
echo "  agent CPU:    $us_per_req us/request ($total requests)"
[ -z "$errors" ] || echo "  $errors"
