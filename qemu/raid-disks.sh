#!/bin/bash
# raid-disks.sh DIR SOURCE UUID: DIR/raid-a.img and DIR/raid-b.img become the two members of an MD
# RAID1 array (metadata 1.2, array UUID UUID, named debian:0 as Debian's installer names it) whose
# content is the disk image SOURCE. The host has no MD driver: a guest with Debian's kernel and the
# real mdadm builds the array and copies SOURCE into it.
set -euo pipefail
dir=$1 source=$2 uuid=$3
top=$(cd "$(dirname "$0")/.." && pwd)
kver=$("$top/qemu/kver.sh")
guest=$dir/raid-builder
mkdir -p "$guest/root"
cat >"$guest/root/guest-test" <<GUEST
#!/bin/busybox sh
mount -t tmpfs run /run
modprobe raid1
mdadm --create /dev/md0 --run --assume-clean --level=1 --raid-devices=2 --metadata=1.2 --data-offset=1M \\
	--uuid=$uuid --homehost=debian --name=0 /dev/vdb /dev/vdc &&
	busybox dd if=/dev/vdd of=/dev/md0 bs=1M conv=fsync 2>/dev/null &&
	mdadm --stop /dev/md0 && echo "RAID-BUILDER done" || echo "RAID-BUILDER failed"
GUEST
chmod +x "$guest/root/guest-test"
GUEST_MODULES="raid1" GUEST_TOOLS="$(command -v mdadm)" FS_MB=40 "$top/qemu/mkdisk.sh" "$guest" luks2 >/dev/null
"$top/build/unlock-mkinitrd" -o "$guest/initrd.img" --kver "$kver" --generic
members=$(($(stat -c %s "$source") + 4 * 1024 * 1024))
rm -f "$dir/raid-a.img" "$dir/raid-b.img"
truncate -s "$members" "$dir/raid-a.img" "$dir/raid-b.img"
if ! python3 "$top/qemu/boot.py" --log "$guest/boot.log" --timeout 400 --step "expect:Passphrase for" \
	--step 'send:correct horse\n' --step "expect:RAID-BUILDER done" -- "$top/qemu/run-vm.sh" "$guest/initrd.img" \
	"$guest/disk.img" "root=/dev/mapper/root rd.luks.name=$(cat "$guest/luks.uuid")=root" \
	-drive "file=$dir/raid-a.img,if=virtio,format=raw" -drive "file=$dir/raid-b.img,if=virtio,format=raw" \
	-drive "file=$source,if=virtio,format=raw,readonly=on" 2>"$guest/err"; then
	echo "raid-disks.sh: the guest did not build the array: $(cat "$guest/err")" >&2
	grep -a -E 'mdadm|md0|RAID-BUILDER|unlock' "$guest/boot.log" | tail -n 8 >&2
	exit 1
fi
rm -rf "$guest"
