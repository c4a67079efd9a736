#!/bin/bash
# lvm-layout.sh OUT VG LV:FILE...: OUT becomes an LVM physical volume holding the volume group VG
# with one logical volume per LV:FILE, in that order, each as large as FILE (rounded up to whole
# extents of 4 MiB) and holding FILE's bytes. The host has no device-mapper: lvm2's tools write
# the metadata on a loop device without activating anything, and the contents are written at the
# extents lvs reports.
set -euo pipefail
out=$1 vg=$2
shift 2
extent=$((4 * 1024 * 1024))
total=$((4 * 1024 * 1024)) # the label, the metadata area and the first extent's alignment
for spec in "$@"; do
	size=$(stat -c %s "${spec#*:}")
	total=$((total + (size + extent - 1) / extent * extent))
done
rm -f "$out"
truncate -s "$total" "$out"
loop=$(losetup -f --show "$out")
trap 'losetup -d "$loop"' EXIT
export LVM_SUPPRESS_FD_WARNINGS=1
# Only this loop device, no udev, no backups of a test's metadata in the host's /etc/lvm.
config="devices{filter=[\"a|^$loop\$|\",\"r|.*|\"] obtain_device_list_from_udev=0} activation{udev_sync=0 udev_rules=0} backup{backup=0 archive=0}"
lvm_() { # quiet unless it fails
	if ! lvm_out=$(lvm "$@" --config "$config" 2>&1); then
		echo "lvm-layout.sh: lvm $*: $lvm_out" >&2
		return 1
	fi
	echo "$lvm_out"
}
lvm_ pvcreate -q --driverloaded n "$loop" >/dev/null
lvm_ vgcreate -q --driverloaded n -s 4M "$vg" "$loop" >/dev/null
pe_start=$(lvm_ pvs --noheadings --units b --nosuffix -o pe_start "$loop" | tr -d ' ')
for spec in "$@"; do
	lv=${spec%%:*} file=${spec#*:}
	lvm_ lvcreate -q --driverloaded n --activate n --zero n --wipesignatures n -n "$lv" \
		-l "$((($(stat -c %s "$file") + extent - 1) / extent))" "$vg" >/dev/null
	# The LV's one segment: "/dev/loopN:FIRST-LAST" in physical extents.
	first=$(lvm_ lvs --noheadings -o seg_pe_ranges "$vg/$lv" | tr -d ' ' | sed 's|.*:\([0-9]*\)-.*|\1|')
	dd if="$file" of="$out" bs=1M seek="$((pe_start + first * extent))" oflag=seek_bytes conv=notrunc,sparse status=none
done
