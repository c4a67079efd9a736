#!/bin/bash
# lvm-layout.sh PLAIN TREE: PLAIN becomes what Debian's guided "encrypted LVM" puts inside the
# LUKS volume: an LVM physical volume with the volume group debian-vg, the logical volume root
# (ext4 holding TREE) and swap_1 (swap). The host has no device-mapper: lvm2's tools write the
# metadata on a loop device without activating anything, and the volumes' contents are written at
# the extents lvs reports.
set -euo pipefail
plain=$1 tree=$2
rm -f "$plain"
truncate -s 800M "$plain"
loop=$(losetup -f --show "$plain")
trap 'losetup -d "$loop"' EXIT
export LVM_SUPPRESS_FD_WARNINGS=1
# Only this loop device, no udev, no backups of a test's metadata in the host's /etc/lvm.
config="devices{filter=[\"a|^$loop\$|\",\"r|.*|\"] obtain_device_list_from_udev=0} activation{udev_sync=0 udev_rules=0} backup{backup=0 archive=0}"
lvm_() { # quiet unless it fails
	if ! out=$(lvm "$@" --driverloaded n --config "$config" 2>&1); then
		echo "lvm-layout.sh: lvm $*: $out" >&2
		return 1
	fi
}
lvm_ pvcreate -q "$loop"
lvm_ vgcreate -q -s 4M debian-vg "$loop"
lvm_ lvcreate -q --activate n --zero n --wipesignatures n -n root -L 700M debian-vg
lvm_ lvcreate -q --activate n --zero n --wipesignatures n -n swap_1 -l 100%FREE debian-vg
pe_start=$(lvm pvs --config "$config" --noheadings --units b --nosuffix -o pe_start "$loop" 2>/dev/null | tr -d ' ')
extent=$(lvm vgs --config "$config" --noheadings --units b --nosuffix -o vg_extent_size debian-vg 2>/dev/null | tr -d ' ')
# first_extent LV: where the LV's one segment starts on the PV (lvs: "/dev/loopN:FIRST-LAST").
first_extent() {
	lvm lvs --config "$config" --noheadings -o seg_pe_ranges "debian-vg/$1" 2>/dev/null | tr -d ' ' | sed 's|.*:\([0-9]*\)-.*|\1|'
}
root_at=$((pe_start + $(first_extent root) * extent))
swap_at=$((pe_start + $(first_extent swap_1) * extent))
swap_size=$(lvm lvs --config "$config" --noheadings --units b --nosuffix -o lv_size debian-vg/swap_1 2>/dev/null | tr -d ' ')
losetup -d "$loop"
trap - EXIT
fs=$plain.root
rm -f "$fs" "$plain.swap"
mkfs.ext4 -q -F -b 4096 -d "$tree" "$fs" 700M
dd if="$fs" of="$plain" bs=1M seek="$root_at" oflag=seek_bytes conv=notrunc,sparse status=none
truncate -s "$swap_size" "$plain.swap"
mkswap -q "$plain.swap"
dd if="$plain.swap" of="$plain" bs=1M seek="$swap_at" oflag=seek_bytes conv=notrunc status=none
rm -f "$fs" "$plain.swap"
