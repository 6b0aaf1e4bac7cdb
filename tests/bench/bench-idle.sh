#!/bin/bash
# SPDX-License-Identifier: MIT
# Idle wakeups for issue 3 (`make bench`): an agent with no traffic should wake
# at most once per second. Runs the agent live on lo in a network namespace of
# its own (so no traffic reaches it) and counts its voluntary context switches
# over DURATION seconds, summed over all its threads: every return from a
# blocking epoll_wait is one. Done twice: as started by hand (no systemd
# watchdog) and as the shipped unit starts it (WatchdogSec=30s, so sd-event
# pings every 15 s; NOTIFY_SOCKET points at a small receiver here).
#
#   tests/bench/bench-idle.sh [BUILDDIR]      (DURATION=20 WATCHDOG_USEC_BENCH=30000000)
#
# Needs root (ip netns, a live capture). Prints a human summary and, last:
#   bench-idle: duration_s=N wakeups=N wakeups_per_s=R watchdog_wakeups=N watchdog_wakeups_per_s=R rss_kib=N pss_kib=N anon_kib=N
# (rss/pss/anon from /proc of the idle agent at the end). Exits 77 when it
# cannot create a namespace, non-zero when the agent fails.
set -euo pipefail

builddir=${1:-${SIGRUN_TOP_BUILDDIR:-$PWD}}
agent=$builddir/agent/sigrun-agent
duration=${DURATION:-20}
watchdog_usec=${WATCHDOG_USEC_BENCH:-30000000}     # the shipped unit's WatchdogSec=30s
ns=sigrun-bench-idle-$$

[ -x "$agent" ] || { echo "bench-idle: $agent not built" >&2; exit 1; }
ip netns add "$ns" 2>/dev/null || { echo "bench-idle: cannot create a network namespace (needs root)" >&2; exit 77; }

tmp=$(mktemp -d)
pids=()
cleanup() {
        local p
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
        rm -rf "$tmp"
}
trap cleanup EXIT
ip -n "$ns" link set lo up

cat >"$tmp/agent.yaml" <<YAML
capture:
  interface: lo
log:
  source: off
api:
  listen: []
watchdog:
  action: none
agent:
  state_directory: $tmp
YAML

voluntary_switches() {
        cat /proc/"$1"/task/*/status | awk '/^voluntary_ctxt_switches:/ { n += $2 } END { print n }'
}

# Starts the agent (with any extra environment as NAME=VALUE arguments), waits
# until it has started capturing, counts its wakeups over $duration seconds
# and leaves the count in $wakeups. WATCHDOG_PID must be the agent's own pid,
# hence the exec from a shell that knows it.
wakeups=
measure() {
        local log=$tmp/agent-$#.log pid before after
        # shellcheck disable=SC2016 # expanded by the inner shell
        ip netns exec "$ns" env "$@" /bin/sh -c 'export WATCHDOG_PID=$$; exec "$0" --config "$1"' \
                "$agent" "$tmp/agent.yaml" 2>"$log" &
        pid=$!
        pids+=("$pid")
        for _ in $(seq 50); do
                grep -q '^Capturing' "$log" && break
                kill -0 "$pid" 2>/dev/null || { echo "bench-idle: the agent exited:" >&2; cat "$log" >&2; exit 1; }
                sleep 0.1
        done
        grep -q '^Capturing' "$log" || { echo "bench-idle: the agent did not start capturing:" >&2; cat "$log" >&2; exit 1; }
        sleep 1        # let start-up settle
        before=$(voluntary_switches "$pid")
        sleep "$duration"
        after=$(voluntary_switches "$pid")
        wakeups=$((after - before))
        status=$(cat /proc/"$pid"/status)
        rollup=$(cat /proc/"$pid"/smaps_rollup)
        kill "$pid"
        wait "$pid" 2>/dev/null || true
}

# Receives (and drops) what the agent sends to NOTIFY_SOCKET, as systemd would.
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    s.recv(4096)' "$tmp/notify.sock" &
pids+=($!)

measure WATCHDOG_USEC=
plain=$wakeups
rss_kib=$(awk '/^VmHWM:/ { print $2 }' <<<"$status")
anon_kib=$(awk '/^RssAnon:/ { print $2 }' <<<"$status")
pss_kib=$(awk '/^Pss:/ { print $2 }' <<<"$rollup")
measure NOTIFY_SOCKET="$tmp/notify.sock" WATCHDOG_USEC="$watchdog_usec"
watchdog=$wakeups

rate() { awk -v n="$1" -v d="$duration" 'BEGIN { printf "%.2f", n / d }'; }
echo "idle agent on lo in a fresh network namespace, ${duration}s:"
echo "  without watchdog:           $plain wakeups ($(rate "$plain")/s)"
echo "  with WatchdogSec=$((watchdog_usec / 1000000))s:       $watchdog wakeups ($(rate "$watchdog")/s)"
echo "  memory: peak RSS $rss_kib KiB, PSS $pss_kib KiB, anonymous $anon_kib KiB"
echo "bench-idle: duration_s=$duration wakeups=$plain wakeups_per_s=$(rate "$plain")" \
        "watchdog_wakeups=$watchdog watchdog_wakeups_per_s=$(rate "$watchdog")" \
        "rss_kib=$rss_kib pss_kib=$pss_kib anon_kib=$anon_kib"
