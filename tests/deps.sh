#!/bin/sh
# Installs the Debian packages the build and the tests need, when missing.
set -eu
packages="build-essential pkg-config clang libclang-rt-14-dev nettle-dev libzstd-dev libaio-dev dpkg-dev libssl-dev libjson-c-dev libargon2-dev
libdevmapper-dev libblkid-dev libkmod-dev libcmocka-dev cryptsetup-bin dmsetup xz-utils python3 util-linux xxd time
qemu-system-x86 ovmf linux-image-amd64 busybox-static e2fsprogs fdisk cpio zstd kmod kbd console-setup dosfstools mtools
debootstrap lvm2 mdadm btrfs-progs
libtss2-dev libcryptsetup-dev swtpm swtpm-tools tpm2-tools openssl
initramfs-tools cryptsetup-initramfs dracut-core debhelper python3-jsonschema"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "tests/deps.sh: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
