#!/bin/bash
# Run a command beside a real systemd-journald of its own, in a private mount
# namespace, so a test can read back exactly what the command logged, with
# every structured field, without touching the machine's journal.
#
#   unshare -m tests/integration/journald-ns.sh DIR COMMAND...
#
# Journal files land in DIR/log/journal/; journald's pid in DIR/journald.pid.
set -euo pipefail
dir=$1; shift
mkdir -p "$dir/log" "$dir/run"
mount --make-rprivate /
mount --bind "$dir/run" /run/systemd 2>/dev/null || { mkdir -p /run/systemd && mount --bind "$dir/run" /run/systemd; }
mkdir -p /run/systemd/journal /run/log
mount --bind "$dir/log" /run/log
env -u NOTIFY_SOCKET /lib/systemd/systemd-journald &
echo $! > "$dir/journald.pid"
for _ in $(seq 100); do
        [ -S /run/systemd/journal/socket ] && break
        sleep 0.05
done
exec "$@"
