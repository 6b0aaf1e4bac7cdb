#!/bin/bash
# SPDX-License-Identifier: MIT
# `make bench`: runs every benchmark in tests/bench/ that exists and prints one
# summary table at the end, each figure next to the goal its issue sets.
#
#   tests/bench/run.sh BUILDDIR
#
# Benchmarks report, they do not fail CI: a missed goal still exits 0. The exit
# status is non-zero only when a benchmark could not run (a tool missing, the
# agent failing). The figures only mean something from an optimised build
# (plain ./configure: -O2 -g); the build's flags are printed first, with a
# warning for --enable-debug (-O0) or --enable-asan builds. See README.md here.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
builddir=$(cd "${1:-${SIGRUN_TOP_BUILDDIR:-$PWD}}" && pwd)
failed=()
rows=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

row() { rows+=("$(printf '%-30s %-17s %-12s %s' "$1" "$2" "$3" "$4")"); }

# met/missed for "VALUE OP GOAL" (OP is <= or <).
verdict() {
        awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN {
                ok = (op == "<=") ? v <= g : v < g
                print ok ? "met" : "MISSED" }'
}

# The value of KEY= in the "NAME: k=v ..." line a benchmark printed last.
field() { sed -n "s/^$1: .*\\b$2=\\([^ ]*\\).*/\\1/p" "$tmp/$1.out" | tail -n 1; }

# Runs one benchmark, showing its output as it goes and keeping it for the table.
run() {
        local name=$1 rc
        shift
        echo "=== $name"
        "$@" 2>&1 | tee "$tmp/$name.out"
        rc=${PIPESTATUS[0]}
        if [ "$rc" -ne 0 ]; then
                echo "=== $name could not run (exit status $rc)"
                failed+=("$name")
        fi
        echo
        return "$rc"
}

echo "machine: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) CPUs," \
        "$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC')"
cflags=$(sed -n 's/^CFLAGS = //p' "$builddir/Makefile")
echo "build: $builddir, CFLAGS = $cflags"
if grep -q '^WARN_CFLAGS = .*-O0' "$builddir/Makefile" || grep -q '^SAN_CFLAGS = .*-fsanitize' "$builddir/Makefile"; then
        echo "WARNING: a debug (-O0) or sanitizer build; the figures below are not representative"
fi
echo

if run bench-replay "$here/bench-replay.sh" "$builddir"; then
        pps=$(field bench-replay agent_pps)
        ratio=$(field bench-replay time_ratio)
        ir_ratio=$(field bench-replay ir_ratio)
        rss=$(field bench-replay rss_kib)
        base=$(field bench-replay baseline_rss_kib)
        row "replay throughput" "$(awk -v p="$pps" 'BEGIN { printf "%.2f Mpkt/s", p / 1e6 }')" "-" "-"
        row "replay vs tcpdump -r (CPU)" "${ratio}x" "<= 1.5x" "$(verdict "$ratio" '<=' 1.5)"
        if [ "$ir_ratio" != - ]; then
                row "replay vs tcpdump -r (instr)" "${ir_ratio}x" "<= 1.5x" "$(verdict "$ir_ratio" '<=' 1.5)"
        fi
        mib=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
        row "peak RSS, 4096 peers (agent)" "$mib MiB" "< 8 MiB" "$(verdict "$mib" '<' 8)"
        row "  of which --version alone" "$(awk -v k="$base" 'BEGIN { printf "%.1f MiB", k / 1024 }')" "-" "-"
fi

if [ -x "$builddir/tests/bench/bench-peers" ]; then
        if run bench-peers "$builddir/tests/bench/bench-peers"; then
                mib=$(awk -v k="$(field bench-peers rss_kib)" 'BEGIN { printf "%.1f", k / 1024 }')
                row "peak RSS, 4096 peers (table)" "$mib MiB" "< 8 MiB" "$(verdict "$mib" '<' 8)"
                row "peer table observe" "$(field bench-peers ns_per_observe) ns" "-" "-"
        fi
else
        echo "=== bench-peers not built ($builddir/tests/bench/bench-peers)"
        failed+=(bench-peers)
fi

if run bench-idle "$here/bench-idle.sh" "$builddir"; then
        w=$(field bench-idle wakeups_per_s)
        row "idle wakeups" "$w/s" "<= 1/s" "$(verdict "$w" '<=' 1)"
        w=$(field bench-idle watchdog_wakeups_per_s)
        row "idle wakeups, WatchdogSec=30s" "$w/s" "<= 1/s" "$(verdict "$w" '<=' 1)"
        row "idle agent RSS (anonymous)" "$(awk -v r="$(field bench-idle rss_kib)" -v a="$(field bench-idle anon_kib)" \
                'BEGIN { printf "%.1f (%.1f) MiB", r / 1024, a / 1024 }')" "-" "-"
fi

if [ -f "$here/bench-api.sh" ] && run bench-api "$here/bench-api.sh" "$builddir"; then
        row "GET /v1/status" "$(awk '/requests\/s:/ { print $2 }' "$tmp/bench-api.out") req/s" "-" "-"
        row "GET /v1/status p99" "$(awk '/p99 latency:/ { print $3 }' "$tmp/bench-api.out")" "-" "-"
        us=$(awk '/agent CPU:/ { print $3 }' "$tmp/bench-api.out")
        row "GET /v1/status agent CPU" "$us us/req" "< 1000 us" "$(verdict "$us" '<' 1000)"
fi

# bench_lambda.py prints a table: label, C bootstrap, Python peer, ratio ("12.3x").
lambda_column() { awk -v label="$1" -v col="$2" 'index($0, label) == 1 { print $(NF - 3 + col) }' "$tmp/bench-lambda.out"; }
if [ -f "$here/bench-lambda.sh" ] && run bench-lambda "$here/bench-lambda.sh" "$builddir"; then
        ratio=$(lambda_column "cold start, median" 3)
        row "lambda cold start" "$(lambda_column "cold start, median" 1) ms" "-" "-"
        row "  vs Python peer (faster)" "$ratio" ">= 20x" "$(verdict 20 '<=' "${ratio%x}")"
        row "lambda warm status p99" "$(lambda_column "warm status p99" 1) ms" "-" "-"
        row "lambda peak RSS" "$(lambda_column "peak RSS" 1) MiB" "-" "-"
        row "lambda zip size" "$(awk '/^zip size:/ { print $3, $4 }' "$tmp/bench-lambda.out")" "-" "-"
fi

echo "benchmark                      result            goal         verdict"
printf '%s\n' "${rows[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
        echo "could not run: ${failed[*]}"
        exit 1
fi
exit 0
