#!/bin/sh
# debian-root.sh DIR [SUITE]: a real Debian system made by debootstrap into DIR once and kept there
# (DIR/.complete marks a finished tree); the first run takes 3 to 5 minutes from the Debian mirror
# this machine's apt uses, and the packages are kept in build/debs for the next tree.
#   bookworm      (the default) Debian 12 with systemd as its init and the tools of the storage
#                 layouts; the boot tests copy it into their disks and boot it with this host's kernel
#   trixie        Debian 13 as a user installs it: systemd, its own kernel, cryptsetup with
#                 initramfs-tools, dracut, and the libraries unlock's package and systemd's TPM2
#                 and PKCS#11 support need, so that apt installs the package with no download;
#                 SoftHSM2 and OpenSC's tools for the tokens its systemd-cryptenroll enrolls
#   trixie-build  Debian 13 with what debian/control's Build-Depends name and the unit tests need
set -eu
dir=$1 suite=${2:-bookworm}
top=$(cd "$(dirname "$0")/.." && pwd)

# The first Debian mirror apt is configured with, in either source list format; it serves every
# release.
apt_mirror() {
	{
		sed -n 's|^URIs:[[:space:]]*\([^[:space:]]*\).*|\1|p' /etc/apt/sources.list.d/*.sources 2>/dev/null
		sed -n 's|^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*\)[[:space:]].*|\2|p' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
	} | grep -v security | head -n 1
}
mirror=${DEBIAN_MIRROR:-$(apt_mirror)}
mirror=${mirror:-http://deb.debian.org/debian}

# debian/control's Build-Depends as package names (debhelper-compat is debhelper's).
build_depends() {
	sed -n '/^Build-Depends:/,/^[A-Z]/p' "$top/debian/control" | sed 's/^Build-Depends://; /^[A-Z]/d' |
		tr ',' '\n' | sed 's/(.*)//; s/[[:space:]]//g; s/^debhelper-compat$/debhelper/' | grep . | tr '\n' ','
}
case $suite in
bookworm)
	release=bookworm
	include=systemd-sysv,udev,cryptsetup,kmod,lvm2,mdadm,btrfs-progs
	;;
trixie)
	release=trixie
	include=systemd-sysv,udev,cryptsetup,systemd-cryptsetup,cryptsetup-initramfs,dracut-core,kmod,zstd,xz-utils
	include=$include,linux-image-amd64,libcryptsetup12,libjson-c5,libtss2-esys-3.0.2-0t64,libtss2-mu-4.0.1-0t64
	include=$include,libtss2-rc0t64,libtss2-tctildr0t64,libtss2-tcti-device0t64,libtss2-tcti-swtpm0t64
	include=$include,libp11-kit0,softhsm2,opensc
	;;
trixie-build)
	release=trixie
	include=$(build_depends)build-essential,libcmocka-dev,cpio,zstd,xz-utils
	;;
*) echo "debian-root.sh: unknown suite $suite" >&2; exit 1 ;;
esac
# A finished tree's .complete holds the release and packages it was made with: a tree made for
# another list (debian/control's Build-Depends changed) is made again. One debootstrap per tree: a
# second caller (make check starts them early, in the background) waits for the first and finds
# the tree complete.
stamp="$release $include"
[ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$stamp" ] && exit 0
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
[ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$stamp" ] && exit 0
command -v debootstrap >/dev/null || { echo "debian-root.sh: debootstrap is not installed (make deps)" >&2; exit 1; }
mkdir -p "$top/build/debs"
rm -rf "$dir.tmp"
echo "debian-root.sh: debootstrap $suite from $mirror into $dir (once; a few minutes)" >&2
if ! debootstrap --variant=minbase --cache-dir="$top/build/debs" --include="$include" "$release" "$dir.tmp" \
	"$mirror" >"$dir.log" 2>&1; then
	echo "debian-root.sh: debootstrap failed; the end of $dir.log:" >&2
	tail -n 15 "$dir.log" >&2
	exit 1
fi
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$stamp" >"$dir/.complete"
