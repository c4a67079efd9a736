#!/bin/sh
# debian-root.sh DIR: a real Debian 12 system with systemd as its init, made by debootstrap into
# DIR once and kept there (DIR/.complete marks a finished tree). The boot tests copy it into their
# disks; the first run takes 3 to 5 minutes from the Debian mirror this machine's apt uses.
set -eu
dir=$1
[ -f "$dir/.complete" ] && exit 0
command -v debootstrap >/dev/null || { echo "debian-root.sh: debootstrap is not installed (make deps)" >&2; exit 1; }

# The first Debian mirror apt is configured with, in either source list format.
apt_mirror() {
	{
		sed -n 's|^URIs:[[:space:]]*\([^[:space:]]*\).*|\1 bookworm|p' /etc/apt/sources.list.d/*.sources 2>/dev/null
		sed -n 's|^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*\)[[:space:]]\+\([^[:space:]]*\).*|\2 \3|p' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
	} | awk '$2 == "bookworm" && $1 !~ /security/ { print $1; exit }'
}
mirror=${DEBIAN_MIRROR:-$(apt_mirror)}
mirror=${mirror:-http://deb.debian.org/debian}
# The system an installer leaves: systemd, udev, cryptsetup, and the tools of its storage layouts.
include=systemd-sysv,udev,cryptsetup,kmod,lvm2,mdadm,btrfs-progs
rm -rf "$dir.tmp"
echo "debian-root.sh: debootstrap bookworm from $mirror into $dir (once; a few minutes)" >&2
if ! debootstrap --variant=minbase --include="$include" bookworm "$dir.tmp" "$mirror" >"$dir.log" 2>&1; then
	echo "debian-root.sh: debootstrap failed; the end of $dir.log:" >&2
	tail -n 15 "$dir.log" >&2
	exit 1
fi
rm -rf "$dir"
mv "$dir.tmp" "$dir"
touch "$dir/.complete"
