#!/bin/bash
# SPDX-License-Identifier: MIT
# Replay benchmarks for issue 3 (`make bench`):
#
#  * throughput: `sigrun-agent --replay FILE` on a 1,000,000-packet GNS-shaped
#    capture (tests/bench/gen-bench-capture.py) against libpcap reading the same
#    file alone (`tcpdump -r FILE -w /dev/null`), timed in the same run with
#    hyperfine (CPU time, user + system); plus instruction counts of both
#    under callgrind, which stay the same on a busy machine where time does not;
#  * peak RSS (`/usr/bin/time -f %M`) of the agent replaying a capture with
#    4096 simultaneously established peers (tests/bench/gen-peers-capture.py),
#    next to the same binary's `--version`, which is what loading its shared
#    libraries alone costs.
#
#   tests/bench/bench-replay.sh [BUILDDIR]     (PACKETS=1000000 RUNS=5 PEERS=4096 CALLGRIND=1)
#
# Prints a human summary and, last, one machine-readable line that run.sh reads:
#   bench-replay: packets=N agent_s=S tcpdump_s=S agent_pps=N time_ratio=R agent_ir=N tcpdump_ir=N ir_ratio=R
#                 peers=N rss_kib=N baseline_rss_kib=N
# (agent_ir etc. are "-" when CALLGRIND=0 or valgrind is missing). Exits 77
# when a tool it needs is missing, non-zero when a run fails.
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${1:-${SIGRUN_TOP_BUILDDIR:-$PWD}}
agent=$builddir/agent/sigrun-agent
packets=${PACKETS:-1000000}
runs=${RUNS:-5}
peers=${PEERS:-4096}
callgrind=${CALLGRIND:-1}

need() { command -v "$1" >/dev/null || { echo "bench-replay: $1 not found (apt-get install $2)" >&2; exit 77; }; }
need tcpdump tcpdump
need hyperfine hyperfine
[ -x /usr/bin/time ] || { echo "bench-replay: /usr/bin/time not found (apt-get install time)" >&2; exit 77; }
[ -x "$agent" ] || { echo "bench-replay: $agent not built" >&2; exit 1; }
if [ "$callgrind" = 1 ] && ! command -v valgrind >/dev/null; then
        echo "bench-replay: valgrind not found, skipping instruction counts (apt-get install valgrind)" >&2
        callgrind=0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A fixed config so that an /etc/sigrun/agent.yaml on the machine cannot change the run.
printf 'log:\n  source: off\n' >"$tmp/agent.yaml"
replay=("$agent" --config "$tmp/agent.yaml" --replay)
# tcpdump drops to its own user when started as root; -Z keeps the current one
# so both commands run alike (and callgrind can write its output file).
tcpdump_read=(tcpdump -Z "$(id -un)" -r "$tmp/bench.pcap" -w /dev/null)

echo "bench-replay: generating $packets packets ..."
/usr/bin/python3 "$srcdir/tests/bench/gen-bench-capture.py" "$tmp/bench.pcap" --packets "$packets"

# The agent must really have read every packet, or the timing means nothing.
summary=$("${replay[@]}" "$tmp/bench.pcap" | tail -n 1)
case $summary in
        *'"event":"summary"'*"\"packets\":$packets"*) ;;
        *) echo "bench-replay: unexpected replay summary: $summary" >&2; exit 1 ;;
esac

hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$tmp/times.json" \
        -n agent "${replay[*]} $tmp/bench.pcap >/dev/null" \
        -n tcpdump "${tcpdump_read[*]} 2>/dev/null" >&2
# CPU time (user + system), mean over the runs: what each command costs,
# less disturbed than wall time when other work shares the machine.
read -r agent_s tcpdump_s < <(/usr/bin/python3 -c '
import json, sys
cpu = {r["command"]: r["user"] + r["system"] for r in json.load(open(sys.argv[1]))["results"]}
print("%.4f %.4f" % (cpu["agent"], cpu["tcpdump"]))' "$tmp/times.json")

agent_ir=- tcpdump_ir=- ir_ratio=-
instructions() {
        valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.out" "$@" >/dev/null 2>"$tmp/callgrind.err" ||
                { cat "$tmp/callgrind.err" >&2; return 1; }
        awk '/I *refs:/ { gsub(",", "", $NF); print $NF }' "$tmp/callgrind.err"
}
if [ "$callgrind" = 1 ]; then
        echo "bench-replay: counting instructions under callgrind (about 30 s) ..." >&2
        agent_ir=$(instructions "${replay[@]}" "$tmp/bench.pcap")
        tcpdump_ir=$(instructions "${tcpdump_read[@]}")
        ir_ratio=$(awk -v a="$agent_ir" -v t="$tcpdump_ir" 'BEGIN { printf "%.2f", a / t }')
fi
rm -f "$tmp/bench.pcap"

echo "bench-replay: generating $peers established peers ..."
/usr/bin/python3 "$srcdir/tests/bench/gen-peers-capture.py" "$tmp/peers.pcap" --peers "$peers"
/usr/bin/time -o "$tmp/rss" -f %M "${replay[@]}" "$tmp/peers.pcap" >"$tmp/peers.json"
grep -q "\"event\":\"summary\",\"players\":$peers," "$tmp/peers.json" ||
        { echo "bench-replay: the agent did not count $peers players: $(tail -n 1 "$tmp/peers.json")" >&2; exit 1; }
rss_kib=$(cat "$tmp/rss")
/usr/bin/time -o "$tmp/rss" -f %M "$agent" --version >/dev/null
baseline_rss_kib=$(cat "$tmp/rss")

agent_pps=$(awk -v n="$packets" -v s="$agent_s" 'BEGIN { printf "%.0f", n / s }')
time_ratio=$(awk -v a="$agent_s" -v t="$tcpdump_s" 'BEGIN { printf "%.2f", a / t }')
echo "replay of $packets packets (CPU time, mean of $runs runs):"
echo "  sigrun-agent --replay:   ${agent_s}s  ($agent_pps packets/s)"
echo "  tcpdump -r -w /dev/null: ${tcpdump_s}s  (agent/tcpdump ${time_ratio}x)"
[ "$agent_ir" = - ] ||
        echo "  instructions:            agent $agent_ir, tcpdump $tcpdump_ir (agent/tcpdump ${ir_ratio}x)"
echo "peak RSS replaying $peers established peers: $rss_kib KiB (sigrun-agent --version alone: $baseline_rss_kib KiB)"
echo "bench-replay: packets=$packets agent_s=$agent_s tcpdump_s=$tcpdump_s agent_pps=$agent_pps" \
        "time_ratio=$time_ratio agent_ir=$agent_ir tcpdump_ir=$tcpdump_ir ir_ratio=$ir_ratio" \
        "peers=$peers rss_kib=$rss_kib baseline_rss_kib=$baseline_rss_kib"
