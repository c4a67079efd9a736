#!/bin/bash
# debian-disk.sh DIR LAYOUT: a disk holding a real Debian system (systemd as its init, its own
# /etc/crypttab and /etc/fstab) encrypted with LUKS2, laid out as an installer would:
#   plain  the root filesystem (ext4) directly in the LUKS volume "root"
#   lvm    LVM inside LUKS, as Debian's guided "encrypted LVM": volume group debian-vg with the
#          logical volumes root (ext4) and swap_1 (the resume device) in the LUKS volume vda5_crypt
#   btrfs  btrfs inside LUKS with the root in the subvolume "root" (Fedora's default)
#   raid   LUKS on an MD RAID1 array (md0_crypt, the system's mdadm.conf naming the array), whose
#          two members are DIR/raid-a.img and DIR/raid-b.img instead of DIR/disk.img
# Extra lines for the system's crypttab and fstab come from DIR/crypttab.extra and DIR/fstab.extra.
# Leaves DIR/disk.img, DIR/passphrase, DIR/volume.key, DIR/luks.uuid, DIR/cmdline (root=, resume=,
# rootflags= for the kernel command line) and the system's crypttab as DIR/root/etc/crypttab.
# At boot the system reports on the serial console (lines "UNLOCK-DEBIAN ...", with what an
# executable /usr/local/sbin/unlock-test-extra prints) and powers off.
# The system is Debian 12 (build/debian-root) unless DEBIAN_ROOT names another debootstrapped tree;
# DEBIAN_DISK_HOOK, when set, runs with the system's root directory as its argument once the system
# is configured, before its filesystem is made (DEBIAN_FS_SIZE, 700M unless set).
set -euo pipefail
dir=$1 layout=$2
top=$(cd "$(dirname "$0")/.." && pwd)
base=${DEBIAN_ROOT:-$top/build/debian-root}
[ -n "${DEBIAN_ROOT:-}" ] || "$top/qemu/debian-root.sh" "$base"
root=$dir/root
mkdir -p "$dir"
rm -rf "$root"
cp -a "$base" "$root"
rm -f "$root/.complete" "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin
rm -rf "$root"/var/lib/apt/lists/*

luks_uuid=4c0c2b1e-5a55-4d3e-9a77-2f60c0f1e001
fs_uuid=4c0c2b1e-5a55-4d3e-9a77-2f60c0f1e0f5
md_uuid=5e1f0a2b:3c4d5e6f:7a8b9c0d:1e2f3a4b
echo 0123456789abcdef0123456789abcdef >"$root/etc/machine-id"
echo debian >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n' >"$root/etc/hosts"

# The report: once the boot has finished (or after 150 s), what systemd says of it.
cat >"$root/usr/local/sbin/unlock-test-report" <<'REPORT'
#!/bin/sh
state=$(timeout 150 systemctl is-system-running --wait)
{
	echo "UNLOCK-DEBIAN state=${state:-timeout}"
	for u in $(systemctl list-units --all --plain --no-legend 'systemd-cryptsetup@*' | awk '{ print $1 }'); do
		echo "UNLOCK-DEBIAN unit $u=$(systemctl is-active "$u")"
	done
	echo "UNLOCK-DEBIAN failed=$(systemctl --failed --plain --no-legend | awk '{ print $1 }' | tr '\n' ',')"
	echo "UNLOCK-DEBIAN jobs=$(systemctl list-jobs --plain --no-legend | awk '{ print $2 }' | tr '\n' ',')"
	echo "UNLOCK-DEBIAN root=$(findmnt -n -o SOURCE /) options=$(findmnt -n -o OPTIONS /)"
	echo "UNLOCK-DEBIAN mounts=$(findmnt -n -l -o TARGET,SOURCE | awk '$1 ~ /^\/srv/ { print $1 "=" $2 }' | tr '\n' ',')"
	echo "UNLOCK-DEBIAN swaps=$(awk 'NR > 1 { print $1 }' /proc/swaps | tr '\n' ',')"
	echo "UNLOCK-DEBIAN dm=$(ls /dev/mapper | grep -v control | tr '\n' ',')"
	echo "UNLOCK-DEBIAN keyring=$(grep -c ' user .*cryptsetup' /proc/keys)"
	[ ! -x /usr/local/sbin/unlock-test-extra ] || /usr/local/sbin/unlock-test-extra
	echo "UNLOCK-DEBIAN end"
} >/dev/ttyS0 2>&1
systemctl poweroff
REPORT
chmod 0755 "$root/usr/local/sbin/unlock-test-report"
cat >"$root/etc/systemd/system/unlock-test-report.service" <<'UNIT'
[Unit]
Description=Report the boot's outcome on the serial console for the unlock tests

[Service]
Type=simple
ExecStart=/usr/local/sbin/unlock-test-report

[Install]
WantedBy=multi-user.target
UNIT
ln -sf ../unlock-test-report.service "$root/etc/systemd/system/multi-user.target.wants/unlock-test-report.service"
# No login prompt on the serial console: agetty's vhangup() on ttyS0 would cut off a report still
# being written there (a CI boot once lost its whole report, then powered off).
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"

case $layout in
plain)
	crypt=root
	echo "/dev/mapper/root / ext4 errors=remount-ro 0 1" >"$root/etc/fstab"
	echo "root=/dev/mapper/root" >"$dir/cmdline"
	;;
lvm)
	crypt=vda5_crypt
	printf '%s\n' "/dev/mapper/debian--vg-root / ext4 errors=remount-ro 0 1" \
		"/dev/mapper/debian--vg-swap_1 none swap sw 0 0" >"$root/etc/fstab"
	echo "root=/dev/mapper/debian--vg-root resume=/dev/mapper/debian--vg-swap_1" >"$dir/cmdline"
	;;
raid)
	crypt=md0_crypt
	echo "/dev/mapper/md0_crypt / ext4 errors=remount-ro 0 1" >"$root/etc/fstab"
	printf '%s\n' "HOMEHOST <system>" "MAILADDR root" "ARRAY /dev/md/0 metadata=1.2 UUID=$md_uuid name=debian:0" \
		>"$root/etc/mdadm/mdadm.conf"
	echo "root=/dev/mapper/md0_crypt" >"$dir/cmdline"
	;;
btrfs)
	crypt=luks-$luks_uuid
	echo "UUID=$fs_uuid / btrfs defaults,subvol=root 0 0" >"$root/etc/fstab"
	echo "root=UUID=$fs_uuid rootflags=subvol=root" >"$dir/cmdline"
	;;
*) echo "debian-disk.sh: unknown layout $layout" >&2; exit 1 ;;
esac
echo "$crypt UUID=$luks_uuid none luks,discard" >"$root/etc/crypttab"
[ ! -f "$dir/crypttab.extra" ] || cat "$dir/crypttab.extra" >>"$root/etc/crypttab"
[ ! -f "$dir/fstab.extra" ] || cat "$dir/fstab.extra" >>"$root/etc/fstab"
[ -z "${DEBIAN_DISK_HOOK:-}" ] || $DEBIAN_DISK_HOOK "$root"

plain=$dir/plain.img
rm -f "$plain"
case $layout in
plain | raid)
	mkfs.ext4 -q -F -U "$fs_uuid" -d "$root" "$plain" "${DEBIAN_FS_SIZE:-700M}"
	;;
btrfs)
	# Fedora's layout: the top level holds the subvolume "root", which holds the system. This
	# mkfs.btrfs makes no subvolumes, so the host's btrfs driver does, on a loop device.
	truncate -s 900M "$plain"
	mkfs.btrfs -q -f -U "$fs_uuid" "$plain" >/dev/null
	mkdir -p "$dir/mnt"
	mount -o loop "$plain" "$dir/mnt"
	if btrfs -q subvolume create "$dir/mnt/root" && cp -a "$root/." "$dir/mnt/root/"; then
		umount "$dir/mnt"
	else
		umount "$dir/mnt"
		exit 1
	fi
	;;
lvm)
	rm -f "$dir/lv-root.img" "$dir/lv-swap.img"
	mkfs.ext4 -q -F -b 4096 -U "$fs_uuid" -d "$root" "$dir/lv-root.img" 700M
	truncate -s 96M "$dir/lv-swap.img"
	mkswap -q "$dir/lv-swap.img"
	"$top/qemu/lvm-layout.sh" "$plain" debian-vg root:"$dir/lv-root.img" swap_1:"$dir/lv-swap.img"
	rm -f "$dir/lv-root.img" "$dir/lv-swap.img"
	;;
esac

printf 'correct horse' >"$dir/passphrase"
head -c 64 /dev/urandom >"$dir/volume.key"
rm -f "$dir/disk.img"
truncate -s "$(($(stat -c %s "$plain") + 16 * 1024 * 1024))" "$dir/disk.img"
cryptsetup luksFormat -q --type luks2 --uuid "$luks_uuid" --volume-key-file "$dir/volume.key" \
	--pbkdf argon2id --pbkdf-memory 32768 --pbkdf-force-iterations 4 --pbkdf-parallel 1 "$dir/disk.img" "$dir/passphrase"
"$top/qemu/encrypt-into.sh" "$dir/disk.img" "$dir/disk.img" "$plain" "$dir/volume.key"
rm -f "$plain"
echo "$luks_uuid" >"$dir/luks.uuid"
# LUKS on MD RAID1, as servers are often installed: the array's two members hold the LUKS disk.
if [ "$layout" = raid ]; then
	"$top/qemu/raid-disks.sh" "$dir" "$dir/disk.img" "$md_uuid"
	rm -f "$dir/disk.img"
fi
