#!/bin/bash
# make demo: an encrypted disk made by the real cryptsetup, opened by unlock with a passphrase you type.
# (Booting it in QEMU through unlock's own initramfs arrives with the boot issue.)
set -eu
cd "$(dirname "$0")/.."
UNLOCK=$PWD/build/unlock
WORK=$(mktemp -d /tmp/unlock-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PASSPHRASE=${DEMO_PASSPHRASE:-unlock-demo}

echo "== making a 64 MiB LUKS2 disk image with cryptsetup (Argon2id, 64 MiB memory cost)"
truncate -s 64M "$WORK/disk.img"
printf '%s' "$PASSPHRASE" | cryptsetup luksFormat -q --type luks2 --pbkdf argon2id --pbkdf-memory 65536 \
	--pbkdf-force-iterations 4 --label demo "$WORK/disk.img" -
echo
echo "== unlock inspect: the verified header"
"$UNLOCK" inspect "$WORK/disk.img"
echo
echo "== unlock open: type the passphrase (it is: $PASSPHRASE)"
if [ -t 0 ]; then
	"$UNLOCK" open --print-table "$WORK/disk.img"
else
	printf '%s\n' "$PASSPHRASE" | "$UNLOCK" open --print-table "$WORK/disk.img"
fi
echo
echo "That is the dm-crypt table unlock would load, with the key held in the kernel keyring."
echo "This machine has no device-mapper; the boot issue loads it inside a QEMU guest."
