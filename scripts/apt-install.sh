#!/bin/sh
# apt-install.sh PACKAGE...: install Debian packages that tests or benchmarks use as tools, and
# leave no system service behind. redis-server, for one, would otherwise be started on :6379 and
# enabled at boot, although the tests start their own redis-server on a loopback port.
#
# Debian or Ubuntu only (apt-get, dpkg); as root, or through sudo. While installing, a
# policy-rc.d that forbids every start keeps maintainer scripts from starting a service; then
# each service a package ships is disabled (systemd units and SysV links) and stopped if running.
set -eu

[ "$#" -gt 0 ] || { echo "usage: $0 PACKAGE..." >&2; exit 2; }
command -v apt-get >/dev/null 2>&1 || {
    echo "apt-get not found: install $* by hand (see README, 'Two commands')" >&2
    exit 1
}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
apt_get() {
    # Waits for another apt-get (a parallel checkout's `make test`) instead of failing on its lock.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}

policy=/usr/sbin/policy-rc.d
placed_policy=""
if [ ! -e "$policy" ]; then
    # 101: "action forbidden" (invoke-rc.d's contract), so postinst scripts start nothing.
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    placed_policy=yes
fi
remove_policy() { [ -z "$placed_policy" ] || $sudo rm -f "$policy"; }
trap remove_policy EXIT

echo "installing Debian packages: $*"
apt_get update -qq
apt_get install -y -qq --no-install-recommends "$@"

# The services the packages ship: systemd units and SysV init scripts, by name.
services=$(for package in "$@"; do dpkg -L "$package" 2>/dev/null; done \
    | sed -n -e 's#^/\(usr/\)\{0,1\}lib/systemd/system/\([^/@]*\)\.service$#\2#p' \
        -e 's#^/etc/init\.d/\([^/]*\)$#\1#p' | sort -u)
for service in $services; do
    echo "disabling the system service $service (tests start their own)"
    if command -v systemctl >/dev/null 2>&1; then
        # Works offline too (it edits the unit links), so also where systemd is not running.
        $sudo systemctl disable --quiet "$service.service"
    fi
    if [ -e "/etc/init.d/$service" ] && command -v update-rc.d >/dev/null 2>&1; then
        $sudo update-rc.d "$service" disable >/dev/null
    fi
    if [ -d /run/systemd/system ]; then
        $sudo systemctl stop "$service.service" 2>/dev/null || true
    elif [ -x "/etc/init.d/$service" ] && $sudo "/etc/init.d/$service" status >/dev/null 2>&1; then
        $sudo "/etc/init.d/$service" stop >/dev/null
    fi
done
