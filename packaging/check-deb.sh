#!/bin/bash
# Install the freshly built packages on this machine, check what a user would
# find, upgrade over a locally edited conffile, then purge and check that
# nothing is left behind. Needs root; changes the system (CI runs it).
#
#   packaging/check-deb.sh DIR     (DIR holds the .deb files from `make deb`)
set -euo pipefail

dir=$(cd "${1:?usage: $0 DIR-WITH-DEBS}" && pwd)
agent_debs=("$dir"/sigrun-agent_*.deb)
valheim_debs=("$dir"/sigrun-valheim_*.deb)
agent_deb=${agent_debs[0]}
valheim_deb=${valheim_debs[0]}
export DEBIAN_FRONTEND=noninteractive
pass=0 fail=0

check() {
        local what=$1; shift
        if "$@" >/dev/null 2>&1; then
                echo "ok   $what"; pass=$((pass + 1))
        else
                echo "FAIL $what"; fail=$((fail + 1))
        fi
}

echo "== lintian"
if command -v lintian >/dev/null; then
        lintian --fail-on error,warning --suppress-tags-from-file /dev/null "$agent_deb" "$valheim_deb" && lint=0 || lint=$?
        check "lintian: no errors, no warnings" test "$lint" -eq 0
fi

echo "== install"
apt-get install -y -qq "$agent_deb" "$valheim_deb" >/tmp/sigrun-deb-install.log 2>&1 ||
        { cat /tmp/sigrun-deb-install.log; exit 1; }
check "sigrun-agent --version" sh -c "sigrun-agent --version | grep -q '^sigrun-agent '"
check "shipped agent.yaml passes --check-config" sh -c "sigrun-agent --check-config /etc/sigrun/agent.yaml | grep -qx 'configuration OK'"
check "agent.yaml is a conffile" sh -c "dpkg-query -W -f='\${Conffiles}' sigrun-agent | grep -q /etc/sigrun/agent.yaml"
check "valheim.env is a conffile" sh -c "dpkg-query -W -f='\${Conffiles}' sigrun-valheim | grep -q /etc/sigrun/valheim.env"
check "user sigrun exists" getent passwd sigrun
check "sigrun may read the journal" sh -c "id -nG sigrun | grep -qw systemd-journal"
check "user valheim exists" getent passwd valheim
check "units installed" test -f /lib/systemd/system/sigrun-agent.service -a -f /lib/systemd/system/valheim-server.service
check "sigrun-agent.service enabled" sh -c "systemctl is-enabled sigrun-agent.service | grep -qx enabled"
check "valheim-server.service enabled" sh -c "systemctl is-enabled valheim-server.service | grep -qx enabled"
check "polkit rule installed" test -f /usr/share/polkit-1/rules.d/50-sigrun-agent.rules
check "man pages installed" test -f /usr/share/man/man8/sigrun-agent.8.gz -a -f /usr/share/man/man5/sigrun-agent.yaml.5.gz
check "game profiles installed" test -f /usr/share/sigrun/games/valheim.yaml
check "units verify" systemd-analyze verify /lib/systemd/system/sigrun-agent.service /lib/systemd/system/valheim-server.service
score=$(systemd-analyze security --offline=true /lib/systemd/system/sigrun-agent.service 2>/dev/null |
        sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "     exposure score of sigrun-agent.service: ${score:-?}"
check "exposure score <= 2.0" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'

echo "== upgrade keeps a locally edited conffile"
echo "# edited by the admin" >> /etc/sigrun/agent.yaml
work=$(mktemp -d)
dpkg-deb -R "$agent_deb" "$work/pkg"
version=$(dpkg-deb -f "$agent_deb" Version)
sed -i "s/^Version: .*/Version: ${version}+upgrade1/" "$work/pkg/DEBIAN/control"
dpkg-deb -b "$work/pkg" "$work/sigrun-agent_upgrade.deb" >/dev/null
apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "$work/sigrun-agent_upgrade.deb" >/dev/null 2>&1
check "upgraded" sh -c "dpkg-query -W -f='\${Version}' sigrun-agent | grep -q upgrade1"
check "edit kept" grep -q "edited by the admin" /etc/sigrun/agent.yaml
rm -rf "$work"

echo "== purge"
apt-get purge -y -qq sigrun-agent sigrun-valheim >/dev/null 2>&1
check "no /etc/sigrun" test ! -e /etc/sigrun
check "no /var/lib/sigrun" test ! -e /var/lib/sigrun
check "no unit left" test ! -e /lib/systemd/system/sigrun-agent.service
check "no enable symlink left" test ! -e /etc/systemd/system/multi-user.target.wants/sigrun-agent.service
check "no binary left" test ! -e /usr/sbin/sigrun-agent
check "no polkit rule left" test ! -e /usr/share/polkit-1/rules.d/50-sigrun-agent.rules

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
