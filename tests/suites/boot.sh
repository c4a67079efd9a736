#!/bin/bash
# Real boots: Debian's kernel, unlock's own initramfs, OVMF (q35, UEFI) under software emulation,
# the serial console driven by qemu/boot.py. The test root's init prints UNLOCK-MARKER lines.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
MKINITRD=$TOP/build/unlock-mkinitrd
BOOT="python3 $TOP/qemu/boot.py"
VM=$TOP/qemu/run-vm.sh

# boot NAME INITRD DISK APPEND STEP...: one boot; the console log is left in $WORK/NAME.log
boot() {
	local name=$1 initrd=$2 disk=$3 append=$4 steps=()
	shift 4
	for s in "$@"; do steps+=(--step "$s"); done
	if $BOOT --log "$WORK/$name.log" --timeout 150 "${steps[@]}" -- "$VM" "$initrd" "$disk" "$append" 2>"$WORK/$name.err"; then
		ok "boot: $name"
	else
		not_ok "boot: $name" "$(cat "$WORK/$name.err")" "$(grep -aE 'unlock|UNLOCK|Passphrase|Kernel panic' "$WORK/$name.log" | tail -8)"
	fi
}

# marker NAME PATTERN DESCRIPTION: the guest's report matches
marker() {
	if grep -aqE "$2" "$WORK/$1.log"; then ok "boot: $1: $3"; else not_ok "boot: $1: $3" "$(grep -a UNLOCK-MARKER "$WORK/$1.log")"; fi
}

"$TOP/qemu/mkdisk.sh" "$WORK/l2" luks2 >/dev/null
"$TOP/qemu/mkdisk.sh" "$WORK/l1" luks1 >/dev/null
L2=$(cat "$WORK/l2/luks.uuid")
L1=$(cat "$WORK/l1/luks.uuid")
FS=$(cat "$WORK/l2/fs.uuid")

"$MKINITRD" -o "$WORK/plain.img" --kver "$KVER"
"$MKINITRD" -o "$WORK/plain2.img" --kver "$KVER"
check_eq "mkinitrd: the same inputs give a byte-identical image" "$(sha_of "$WORK/plain.img")" "$(sha_of "$WORK/plain2.img")"
if zstd -dc "$WORK/plain.img" | cpio -t 2>/dev/null | grep -qx init; then ok "mkinitrd: unlock is /init"; else not_ok "mkinitrd: unlock is /init"; fi

boot luks2-passphrase "$WORK/plain.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS" \
	"expect:Passphrase for luks-$L2" 'send:correct horse\n' "expect:UNLOCK-MARKER end"
marker luks2-passphrase "UNLOCK-MARKER pid=1 root=/dev/dm-0" "the real init runs as PID 1 on the unlocked root"
marker luks2-passphrase "dm=luks-$L2:CRYPT-LUKS2-${L2//-/}-luks-$L2" "DM name and cryptsetup-style DM UUID"

boot wrong-then-right "$WORK/plain.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS" \
	"expect:Passphrase for" 'send:wrong horse\n' "expect:Wrong passphrase for luks-$L2 (attempt 1 of 3)" \
	"expect:Passphrase for" 'send:correct horse\n' "expect:UNLOCK-MARKER end"

boot tries-exhausted "$WORK/plain.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS rd.luks.options=$L2=tries=2" \
	"expect:Passphrase for" 'send:nope\n' "expect:attempt 1 of 2" "expect:Passphrase for" 'send:nope again\n' \
	"expect:attempt 2 of 2" "expect:boot failed: an encrypted volume could not be opened" "expect:Ctrl-Alt-Del"

mkdir -p "$WORK/etc/keys"
cp "$WORK/l2/keyfile" "$WORK/etc/keys/root.key"
printf '# test crypttab\nroot UUID=%s /etc/keys/root.key luks,discard\ndata UUID=00000000-0000-4000-8000-000000000000 none luks,nofail,timeout=2\n' "$L2" >"$WORK/crypttab"
# The key file goes into the image at the path it has on this machine: build under that path.
mkdir -p /etc/unlock-test-keys
cp "$WORK/l2/keyfile" /etc/unlock-test-keys/root.key
sed -i 's|/etc/keys/root.key|/etc/unlock-test-keys/root.key|' "$WORK/crypttab"
"$MKINITRD" -o "$WORK/keyfile.img" --kver "$KVER" --crypttab "$WORK/crypttab" --key-file /etc/unlock-test-keys/root.key
rm -rf /etc/unlock-test-keys
if zstd -dc "$WORK/keyfile.img" | (cd "$WORK" && mkdir -p x && cd x && cpio -id --quiet 2>/dev/null) && \
	[ "$(stat -c %a "$WORK/x/etc/unlock-test-keys/root.key")" = 400 ]; then
	ok "mkinitrd: key file in the image with mode 0400"
else
	not_ok "mkinitrd: key file in the image with mode 0400"
fi
boot keyfile-crypttab "$WORK/keyfile.img" "$WORK/l2/disk.img" "root=/dev/mapper/root" "expect:UNLOCK-MARKER end"
marker keyfile-crypttab "dm=root:CRYPT-LUKS2-${L2//-/}-root" "crypttab name used, no prompt"
marker keyfile-crypttab "continuing because it is marked nofail" "a missing nofail volume does not block boot"

DETACHED=1 "$TOP/qemu/mkdisk.sh" "$WORK/det" luks2 >/dev/null
mkdir -p /etc/unlock-test-hdr
cp "$WORK/det/header.img" /etc/unlock-test-hdr/root.hdr
printf 'root /dev/vda none header=/etc/unlock-test-hdr/root.hdr,tries=1\n' >"$WORK/crypttab-det"
"$MKINITRD" -o "$WORK/detached.img" --kver "$KVER" --crypttab "$WORK/crypttab-det"
rm -rf /etc/unlock-test-hdr
boot detached-header "$WORK/detached.img" "$WORK/det/disk.img" "root=/dev/mapper/root" \
	"expect:Passphrase for root (/dev/vda)" 'send:correct horse\n' "expect:UNLOCK-MARKER end"
marker detached-header "root=/dev/mapper/root dm=root:CRYPT-LUKS2-$(tr -d - <"$WORK/det/luks.uuid")-root" "header from the image, data from the disk"

boot luks1 "$WORK/plain.img" "$WORK/l1/disk.img" "rd.luks.uuid=$L1 root=UUID=$FS rd.luks.name=$L1=cryptroot" \
	"expect:Passphrase for cryptroot" 'send:correct horse\n' "expect:UNLOCK-MARKER end"
marker luks1 "dm=cryptroot:CRYPT-LUKS1-${L1//-/}-cryptroot" "LUKS1 root with rd.luks.name"
