#!/bin/bash
# make demo: a LUKS2 disk made by the real cryptsetup, booted in QEMU (OVMF, Debian's kernel) through
# unlock's own initramfs. You type the passphrase at the prompt; the disk's init reports and powers off.
set -eu
cd "$(dirname "$0")/.."
WORK=$(mktemp -d /tmp/unlock-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
kver=$(qemu/kver.sh)

echo "== making a LUKS2 disk (cryptsetup luksFormat, Argon2id) with a small busybox root"
qemu/mkdisk.sh "$WORK" luks2 >/dev/null
echo "== building the initramfs: build/unlock-mkinitrd -o initrd.img --kver $kver --generic"
build/unlock-mkinitrd -o "$WORK/initrd.img" --kver "$kver" --generic
ls -l "$WORK/initrd.img"
append="rd.luks.uuid=$(cat "$WORK/luks.uuid") root=UUID=$(cat "$WORK/fs.uuid")"
echo "== booting in QEMU (software emulation: about 10 s to the prompt)"
echo "   The passphrase is: $(cat "$WORK/passphrase")"
echo "   The disk's own init prints UNLOCK-MARKER lines and powers off. Ctrl-C leaves QEMU."
echo
if [ -t 0 ]; then
	qemu/run-vm.sh "$WORK/initrd.img" "$WORK/disk.img" "$append quiet"
else
	python3 qemu/boot.py --log /dev/stdout --timeout 180 --step "expect:Passphrase for" \
		--step "send:$(cat "$WORK/passphrase")\n" --step "expect:UNLOCK-MARKER end" -- \
		qemu/run-vm.sh "$WORK/initrd.img" "$WORK/disk.img" "$append quiet"
fi
