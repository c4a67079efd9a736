#!/bin/sh
# Installs the Debian packages the build and the tests need, when missing (--print: lists them).
# The names resolve on Debian 12 and Debian 13 alike; clang's sanitizer runtime is the one of the
# clang installed.
set -eu
packages="build-essential pkg-config clang nettle-dev libzstd-dev liblzma-dev libaio-dev dpkg-dev libssl-dev libjson-c-dev
libargon2-dev libdevmapper-dev libblkid-dev libkmod-dev libcmocka-dev meson ninja-build cryptsetup-bin dmsetup xz-utils
python3 util-linux xxd time qemu-system-x86 ovmf linux-image-amd64 busybox-static e2fsprogs fdisk cpio zstd kmod kbd
console-setup dosfstools mtools debootstrap lvm2 mdadm btrfs-progs
libtss2-dev libmbedtls-dev libgmp-dev libcryptsetup-dev swtpm swtpm-tools tpm2-tools openssl libp11-kit-dev softhsm2 opensc pcscd libccid libnss3-tools
initramfs-tools cryptsetup-initramfs dracut-core debhelper python3-jsonschema"

missing_of() { # PACKAGE...: those not installed
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || printf ' %s' "$p"
	done
}
install() { # PACKAGE...
	[ -n "$*" ] || return 0
	echo "installing: $*"
	if [ "$(id -u)" != 0 ]; then
		echo "tests/deps.sh: need root to install: $*" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	[ -n "${updated:-}" ] || apt-get update -qq
	updated=1
	# shellcheck disable=SC2068 # a list
	apt-get install -y -qq --no-install-recommends $@ >/dev/null
}
# --print: the names alone (the Debian 13 suite checks that they resolve there).
if [ "${1:-}" = --print ]; then
	echo $packages
	exit 0
fi
# shellcheck disable=SC2046,SC2086 # lists
install $(missing_of $packages)
# clang's sanitizer and fuzzer runtime: libclang-rt-14-dev on Debian 12, libclang-rt-19-dev on 13.
clang_major=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
# shellcheck disable=SC2046 # a list
install $(missing_of "libclang-rt-$clang_major-dev")
