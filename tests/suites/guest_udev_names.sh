#!/bin/bash
# unlock-mkinitrd's renaming of device names only udev makes, for partitions: the host running the
# tests reads no partition tables, so the renaming runs in the guest (Debian's kernel), on a GPT
# disk whose partitions the guest's /dev/disk/by-id links name as udev would. The same hook file and
# util-linux blkid as on a building machine; the guest prints the crypttab the image would carry.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
PARTUUID=9b2f6c1e-4d3a-4e8b-8c7d-1a2b3c4d5e6f
RAWUUID=0c4e8a2f-6b1d-4f3e-9a5c-7d8e9f0a1b2c

mkdir -p "$WORK/disk/root" "$WORK/keys"
cp "$TOP/hooks/unlock-files.sh" "$WORK/disk/root/unlock-files.sh"
cat >"$WORK/disk/root/crypttab-udev" <<'TAB'
# names as udev makes them on the building machine
data /dev/disk/by-id/virtio-gpt-part2 none luks,discard
rawkey UUID=1 /dev/disk/by-id/virtio-gpt-part1 luks,keyfile-size=64
keyed UUID=2 /k.key:/dev/disk/by-id/virtio-gpt-part2 luks
TAB
# busybox's sh prefers its own applets, and its blkid lacks -p: the hook gets util-linux's.
cat >"$WORK/disk/root/guest-test" <<GUEST
#!/bin/busybox sh
blkid() { $(command -v blkid) "\$@"; }
GUEST
cat >>"$WORK/disk/root/guest-test" <<'GUEST'
mkdir -p /dev/disk/by-id
ln -s ../../vdb2 /dev/disk/by-id/virtio-gpt-part2
ln -s ../../vdb1 /dev/disk/by-id/virtio-gpt-part1
. /unlock-files.sh
unlock_crypttab_for_image /crypttab-udev 2>/dev/null | sed 's/^/GUEST-UDEV /'
echo "GUEST-UDEV done"
GUEST
chmod +x "$WORK/disk/root/guest-test"
GUEST_TOOLS="$(command -v blkid)" "$TOP/qemu/mkdisk.sh" "$WORK/disk" luks2 >/dev/null
LUKS=$(cat "$WORK/disk/luks.uuid")
FS=$(cat "$WORK/disk/fs.uuid")

# The second disk: partition 1 raw data (a key), partition 2 a LUKS header.
truncate -s 40M "$WORK/gpt.img"
printf 'label: gpt\nstart=2048, size=2048, uuid=%s, name=key\nstart=4096, size=65536, uuid=%s, name=data\n' \
	"$RAWUUID" "$PARTUUID" | sfdisk -q "$WORK/gpt.img"
head -c 1M /dev/urandom | dd of="$WORK/gpt.img" bs=512 seek=2048 conv=notrunc status=none
truncate -s 32M "$WORK/part2.img"
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$WORK/part2.img" "$WORK/disk/keyfile"
dd if="$WORK/part2.img" of="$WORK/gpt.img" bs=512 seek=4096 conv=notrunc status=none

cp "$WORK/disk/keyfile" "$WORK/keys/root.key"
printf 'root UUID=%s %s luks\n' "$LUKS" "$WORK/keys/root.key" >"$WORK/crypttab"
"$TOP/build/unlock-mkinitrd" -o "$WORK/initrd.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab"
if python3 "$TOP/qemu/boot.py" --log "$WORK/guest.log" --timeout 200 --step "expect:GUEST-UDEV done" \
	--step "expect:UNLOCK-MARKER end" -- "$TOP/qemu/run-vm.sh" "$WORK/initrd.img" "$WORK/disk/disk.img" "root=UUID=$FS" \
	-drive "file=$WORK/gpt.img,if=virtio,format=raw" 2>"$WORK/err"; then
	ok "guest boot: the hook runs in the guest"
else
	not_ok "guest boot: the hook runs in the guest" "$(cat "$WORK/err")" "$(grep -a GUEST "$WORK/guest.log" | tail)"
fi
check_eq "mkinitrd: a partition's udev-only name becomes its by-partuuid name (volume, raw key, key device)" \
	"# names as udev makes them on the building machine
# data /dev/disk/by-id/virtio-gpt-part2 none luks,discard
data /dev/disk/by-partuuid/$PARTUUID none luks,discard
# rawkey UUID=1 /dev/disk/by-id/virtio-gpt-part1 luks,keyfile-size=64
rawkey UUID=1 /dev/disk/by-partuuid/$RAWUUID luks,keyfile-size=64
# keyed UUID=2 /k.key:/dev/disk/by-id/virtio-gpt-part2 luks
keyed UUID=2 /k.key:/dev/disk/by-partuuid/$PARTUUID luks" \
	"$(grep -a '^GUEST-UDEV ' "$WORK/guest.log" | grep -v '^GUEST-UDEV done' | sed 's/^GUEST-UDEV //' | tr -d '\r')"
