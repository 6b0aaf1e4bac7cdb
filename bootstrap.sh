#!/bin/bash
# Set up, build and try Sigrun on a Debian 12 machine.
#
#   ./bootstrap.sh            install what is missing, configure and build (in build/)
#   ./bootstrap.sh demo       ... then replay the bundled Valheim evening as a timeline
#   ./bootstrap.sh check      ... then run every test suite (unit, fuzz corpora, integration)
#   ./bootstrap.sh check-asan the same suite in build-asan/, under ASan and UBSan
#   ./bootstrap.sh deb-check  build the .debs, install, upgrade and purge them here (root; CI)
#   ./bootstrap.sh fuzz       run each libFuzzer target for FUZZ_SECONDS (default 30) in build-fuzz/
#   ./bootstrap.sh deps       only install the build and test dependencies
#
# It is idempotent and quiet when there is nothing to do. Set CONFIGURE_FLAGS
# to pass options to configure (e.g. --enable-debug).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$top"

# Debian packages needed to build and to run the tests, one line per part.
DEPS=(autoconf automake pkg-config make gcc clang libclang-rt-14-dev)
DEPS+=(libpcap-dev libcurl4-openssl-dev libsodium-dev libyaml-dev libsystemd-dev)
DEPS+=(libjansson-dev libmicrohttpd-dev libexpat1-dev libcmocka-dev)
DEPS+=(python3 python3-pytest)
# agent: captures, live capture in network namespaces, journald, D-Bus
DEPS+=(python3-scapy tcpdump iproute2 dbus systemd systemd-journal-remote)
# watchdog: fake logind/systemd1 on a private bus, SigV4 checks
DEPS+=(python3-dbusmock python3-botocore)
# lambda: Discord signatures in tests
DEPS+=(python3-nacl busybox-static zip)
# cloudformation: template checks against the resource specification (npm)
DEPS+=(python3-yaml shellcheck)   # node and npm: tests/cloudformation/install.sh

# Only for `deb-check` and `fuzz`.
DEPS_PACKAGING=(debhelper dh-autoreconf lintian dpkg-dev)

say() { printf '==> %s\n' "$*" >&2; }

install_deps() {
        local missing=() p
        for p in "${DEPS[@]}" "$@"; do
                dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        if [ "$(id -u)" -ne 0 ]; then
                say "missing packages; run as root:"
                echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
                exit 1
        fi
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# configure and build in $1 with extra configure flags $2...
build() {
        local dir=$1; shift
        if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
                say "autoreconf"
                autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
        fi
        mkdir -p "$dir"
        local flags="$* ${CONFIGURE_FLAGS:-}"
        if [ ! -f "$dir/config.status" ] || [ configure -nt "$dir/config.status" ] ||
           [ "$(cat "$dir/.configure-flags" 2>/dev/null)" != "$flags" ]; then
                say "configure $flags (in $dir)"
                # shellcheck disable=SC2086
                (cd "$dir" && "$top/configure" -q $flags)
                echo "$flags" > "$dir/.configure-flags"
        fi
        make -s -C "$dir" -j"$(nproc)" >/dev/null
}

# Print the runners' own closing lines, so a run that executed nothing shows.
summary() {
        local dir=$1 logs pass=0 fail=0 n
        logs=$(find "$dir/tests" -name 'test-*.log' 2>/dev/null | sort)
        echo
        echo "== cmocka =="
        for l in $logs; do
                n=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$l" | tail -n1)
                pass=$((pass + ${n:-0}))
                n=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$l" | tail -n1)
                fail=$((fail + ${n:-0}))
        done
        echo "[==========] $((pass + fail)) test(s) run."
        echo "[  PASSED  ] $pass test(s)."
        [ "$fail" -eq 0 ] || echo "[  FAILED  ] $fail test(s)."
        echo "== pytest =="
        grep -E '^(=+ )?[0-9]+ (passed|failed|errors?|skipped).* in [0-9.]+s' "$dir/pytest.log" 2>/dev/null | tail -n1 ||
                echo "pytest did not run"
}

run_check() {
        local dir=$1 rc=0
        make -C "$dir" -j"$(nproc)" check >"$dir/check.log" 2>&1 || rc=$?
        # The unit harness prints PASS/FAIL per program; pytest prints its own progress.
        grep -E '^(PASS|FAIL|ERROR|XPASS|# (TOTAL|PASS|FAIL|ERROR)):?' "$dir/check.log" || true
        sed -n '/^[.sSFExX]\+ *\[ *[0-9]*%\]$/p;/^=\+ \(FAILURES\|ERRORS\|short test summary\)/,$p' "$dir/check.log" | head -n 400
        if [ "$rc" -ne 0 ]; then
                for l in $(grep -lE '^(FAIL|ERROR)' "$dir"/tests/*/*.log 2>/dev/null); do
                        echo "---- $l"; tail -n 60 "$l"
                done
                grep -E 'error|Error' "$dir/check.log" | grep -v '^#' | head -n 40 || true
        fi
        summary "$dir"
        return "$rc"
}

cmd=${1:-build}
case $cmd in
deps)
        install_deps
        ;;
build)
        install_deps
        build build
        ;;
demo)
        install_deps
        build build
        say "replaying tests/data/demo-evening.pcap (a Valheim evening) through sigrun-agent"
        build/agent/sigrun-agent --replay tests/data/demo-evening.pcap --output=text
        ;;
check)
        install_deps
        tests/cloudformation/install.sh
        build build
        run_check build
        ;;
check-asan)
        install_deps
        tests/cloudformation/install.sh
        build build-asan --enable-asan --enable-debug
        run_check build-asan
        ;;
deb-check)
        install_deps "${DEPS_PACKAGING[@]}"
        build build
        make -s -C build deb-check
        ;;
fuzz)
        install_deps
        CC=clang build build-fuzz --enable-fuzzing
        make -s -C build-fuzz fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
        ;;
*)
        echo "usage: $0 [build|demo|check|check-asan|deb-check|fuzz|deps]" >&2
        exit 2
        ;;
esac
