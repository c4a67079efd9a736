#!/bin/bash
# Real systems: a debootstrapped Debian 12 with systemd as its init (cached in build/debian-root),
# its own crypttab and fstab, booted under OVMF through an image from unlock-mkinitrd. The system
# reports what systemd says once its boot has finished (qemu/debian-disk.sh); every boot must reach
# "running" with the crypt units active, no failed units, and exactly one passphrase question.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../debian.sh
source "$TOP/tests/debian.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
MKINITRD=$TOP/build/unlock-mkinitrd

debian12_root

# The root filesystem directly in LUKS2, the crypttab in the image.
"$TOP/qemu/debian-disk.sh" "$WORK/plain" plain >/dev/null
"$MKINITRD" -o "$WORK/plain.img" --kver "$KVER" --generic --crypttab "$WORK/plain/root/etc/crypttab"
debian_boot crypttab "$WORK/plain.img" "$WORK/plain/disk.img" "$(cat "$WORK/plain/cmdline")"
debian_checks crypttab /dev/mapper/root systemd-cryptsetup@root.service

# The same system with nothing but the kernel command line in an image without a crypttab.
"$MKINITRD" -o "$WORK/nocrypttab.img" --kver "$KVER" --generic
debian_boot rd-luks-name "$WORK/nocrypttab.img" "$WORK/plain/disk.img" \
	"rd.luks.name=$(cat "$WORK/plain/luks.uuid")=root root=/dev/mapper/root"
debian_checks rd-luks-name /dev/mapper/root systemd-cryptsetup@root.service

# /srv on a second volume with the same passphrase, not needed for the boot: the image leaves it
# to the system's systemd-cryptsetup, which takes the passphrase typed at boot from the keyring.
SRV_UUID=9d5c1a70-3b1e-4f00-8d7e-5c0ffee00001
data_disk "$WORK/srv.img" "$SRV_UUID" "$WORK/plain/passphrase"
mkdir -p "$WORK/srv"
echo "srv UUID=$SRV_UUID none luks" >"$WORK/srv/crypttab.extra"
echo "/dev/mapper/srv /srv ext4 defaults 0 2" >"$WORK/srv/fstab.extra"
"$TOP/qemu/debian-disk.sh" "$WORK/srv" plain >/dev/null
"$MKINITRD" -o "$WORK/srv.img.initrd" --kver "$KVER" --generic --crypttab "$WORK/srv/root/etc/crypttab" 2>"$WORK/srv.build"
if grep -q "srv is left to the system's systemd-cryptsetup (mounted on /srv" "$WORK/srv.build" &&
	zstd -dc "$WORK/srv.img.initrd" | cpio -i --quiet --to-stdout etc/crypttab | grep -q '^# srv: left to the system'; then
	ok "debian: srv-later: the image leaves /srv's volume to the system, and says so"
else
	not_ok "debian: srv-later: the image leaves /srv's volume to the system, and says so" "$(cat "$WORK/srv.build")"
fi
# Which lines the image keeps, beside the fstab of their system: a _netdev volume and one mounted
# later are left to the system; one marked initramfs, one for swap and one the fstab does not
# mount are opened by the image. Their key files go into the image only for the lines it keeps.
mkdir -p "$WORK/which/etc"
touch "$WORK/which/etc/net.key" "$WORK/which/etc/later.key" "$WORK/which/etc/kept.key"
printf '%s\n' "net UUID=1 $WORK/which/etc/net.key luks,_netdev" "later UUID=2 $WORK/which/etc/later.key luks" \
	"early UUID=3 none luks,initramfs" "sw UUID=4 none luks" "other UUID=5 $WORK/which/etc/kept.key luks" \
	>"$WORK/which/etc/crypttab"
printf '%s\n' "/dev/mapper/later /data ext4 defaults 0 2" "/dev/mapper/early /home ext4 defaults 0 2" \
	"/dev/mapper/sw none swap sw 0 0" >"$WORK/which/etc/fstab"
"$MKINITRD" -o "$WORK/which.img" --kver "$KVER" --generic --crypttab "$WORK/which/etc/crypttab" 2>/dev/null
check_eq "debian: mkinitrd: the image opens the volumes the boot may need, the system the others" "early sw other" \
	"$(zstd -dc "$WORK/which.img" | cpio -i --quiet --to-stdout etc/crypttab | awk '!/^#/ { printf "%s%s", s, $1; s = " " }')"
check_eq "debian: mkinitrd: key files only of the volumes the image opens" "$WORK/which/etc/kept.key" \
	"/$(zstd -dc "$WORK/which.img" | cpio -t 2>/dev/null | grep '\.key$')"

debian_boot srv-later "$WORK/srv.img.initrd" "$WORK/srv/disk.img" "$(cat "$WORK/srv/cmdline")" \
	-drive "file=$WORK/srv.img,if=virtio,format=raw"
debian_checks srv-later /dev/mapper/root systemd-cryptsetup@root.service systemd-cryptsetup@srv.service
check_eq "debian: srv-later: /srv is mounted from its volume" "/srv=/dev/mapper/srv," "$(report srv-later mounts)"
if grep -aq "srv: opened as" "$WORK/srv-later.log"; then
	not_ok "debian: srv-later: the image did not open srv" "$(grep -a 'srv' "$WORK/srv-later.log" | head -5)"
else
	ok "debian: srv-later: the image did not open srv"
fi

# Debian's guided "encrypted LVM": root and swap_1 logical volumes inside the LUKS volume, resume=
# to the swap LV. Devices the system uses only after the switch, each made by the image: the swap
# LV, a crypttab swap volume with a random key, and /srv on a volume marked initramfs.
SRV2_UUID=9d5c1a70-3b1e-4f00-8d7e-5c0ffee00002
data_disk "$WORK/srv2.img" "$SRV2_UUID" "$WORK/plain/passphrase"
truncate -s 64M "$WORK/cswap.img"
mkdir -p "$WORK/lvm"
printf '%s\n' "srv UUID=$SRV2_UUID none luks,initramfs" \
	"cswap /dev/vdc /dev/urandom swap,cipher=aes-xts-plain64,size=256" >"$WORK/lvm/crypttab.extra"
printf '%s\n' "/dev/mapper/srv /srv ext4 defaults 0 2" "/dev/mapper/cswap none swap sw 0 0" >"$WORK/lvm/fstab.extra"
"$TOP/qemu/debian-disk.sh" "$WORK/lvm" lvm >/dev/null
"$MKINITRD" -o "$WORK/lvm.initrd" --kver "$KVER" --generic --crypttab "$WORK/lvm/root/etc/crypttab"
if zstd -dc "$WORK/lvm.initrd" | cpio -t 2>/dev/null | grep -qE '^(usr/)?sbin/lvm$'; then
	ok "debian: lvm: the image carries lvm, which the fstab beside the crypttab needs"
else
	not_ok "debian: lvm: the image carries lvm, which the fstab beside the crypttab needs"
fi
debian_boot lvm "$WORK/lvm.initrd" "$WORK/lvm/disk.img" "$(cat "$WORK/lvm/cmdline")" \
	-drive "file=$WORK/srv2.img,if=virtio,format=raw" -drive "file=$WORK/cswap.img,if=virtio,format=raw"
debian_checks lvm /dev/mapper/debian--vg-root systemd-cryptsetup@vda5_crypt.service systemd-cryptsetup@srv.service \
	systemd-cryptsetup@cswap.service
check_eq "debian: lvm: /srv is mounted from the volume the image opened" "/srv=/dev/mapper/srv," "$(report lvm mounts)"
swaps=$(report lvm swaps)
if [ "$(echo "$swaps" | tr ',' '\n' | grep -cxE '/dev/mapper/(debian--vg-swap_1|cswap)')" = 2 ]; then
	ok "debian: lvm: the system uses the swap LV and the crypttab swap volume"
else
	not_ok "debian: lvm: the system uses the swap LV and the crypttab swap volume" "swaps: $swaps"
fi
if grep -aq "srv: opened as\|/dev/vdb: opened as /dev/mapper/srv" "$WORK/lvm.log"; then
	ok "debian: lvm: the image opened the initramfs volume srv"
else
	not_ok "debian: lvm: the image opened the initramfs volume srv" "$(grep -a 'unlock:' "$WORK/lvm.log" | head)"
fi

# Fedora's default: btrfs inside LUKS, the system in the subvolume "root" (rootflags=subvol=root).
# The generic image expects ext4: the btrfs driver is loaded once the volume shows what it holds.
"$TOP/qemu/debian-disk.sh" "$WORK/btrfs" btrfs >/dev/null
"$MKINITRD" -o "$WORK/btrfs.initrd" --kver "$KVER" --generic --crypttab "$WORK/btrfs/root/etc/crypttab"
debian_boot btrfs "$WORK/btrfs.initrd" "$WORK/btrfs/disk.img" "$(cat "$WORK/btrfs/cmdline") rd.debug"
debian_checks btrfs "/dev/mapper/luks-$(cat "$WORK/btrfs/luks.uuid")[/root]" \
	"systemd-cryptsetup@luks\\x2d$(sed 's/-/\\x2d/g' "$WORK/btrfs/luks.uuid").service"
if report btrfs root | grep -q 'subvol=/root'; then
	ok "debian: btrfs: the root is the subvolume root"
else
	not_ok "debian: btrfs: the root is the subvolume root" "$(report btrfs root)"
fi
if grep -aq "holds btrfs; loading its driver meanwhile" "$WORK/btrfs.log"; then
	ok "debian: btrfs: the driver is loaded for what the volume holds, not the image's guess"
else
	not_ok "debian: btrfs: the driver is loaded for what the volume holds, not the image's guess" \
		"$(grep -a 'unlock:' "$WORK/btrfs.log" | head)"
fi

# LUKS on an MD RAID1 array of two disks, as servers are often installed; the system's mdadm.conf
# (beside its crypttab) goes into the image. Then the same with one disk missing: mdadm starts the
# array degraded, the console says so, and the system boots.
"$TOP/qemu/debian-disk.sh" "$WORK/raid" raid >/dev/null
"$MKINITRD" -o "$WORK/raid.initrd" --kver "$KVER" --generic --crypttab "$WORK/raid/root/etc/crypttab"
check_eq "debian: raid: the image carries the system's mdadm.conf" "$(cat "$WORK/raid/root/etc/mdadm/mdadm.conf")" \
	"$(zstd -dc "$WORK/raid.initrd" | cpio -i --quiet --to-stdout etc/mdadm/mdadm.conf)"
debian_boot raid "$WORK/raid.initrd" "$WORK/raid/raid-a.img" "$(cat "$WORK/raid/cmdline")" \
	-drive "file=$WORK/raid/raid-b.img,if=virtio,format=raw"
debian_checks raid /dev/mapper/md0_crypt systemd-cryptsetup@md0_crypt.service
if grep -aq "md/raid1:md0: active with 2 out of 2 mirrors" "$WORK/raid.log"; then
	ok "debian: raid: both disks are in the array"
else
	not_ok "debian: raid: both disks are in the array" "$(grep -a 'md0\|md/' "$WORK/raid.log" | head -5)"
fi
# On a copy of the second disk: the system it boots writes to the array, which leaves that disk
# newer than the first, and the boots after this one need the two in step.
cp "$WORK/raid/raid-b.img" "$WORK/raid-b-alone.img"
debian_boot raid-degraded "$WORK/raid.initrd" "$WORK/raid-b-alone.img" "$(cat "$WORK/raid/cmdline")"
debian_checks raid-degraded /dev/mapper/md0_crypt systemd-cryptsetup@md0_crypt.service
rm -f "$WORK/raid-b-alone.img"
if grep -aq "/dev/md0: the RAID array runs degraded, 1 of its disks missing" "$WORK/raid-degraded.log" &&
	grep -aq "still missing after 30 s; starting it degraded, as mdadm's last-resort timer does" "$WORK/raid-degraded.log"; then
	ok "debian: raid-degraded: started degraded only by the last-resort timer, and the console says so"
else
	not_ok "debian: raid-degraded: started degraded only by the last-resort timer, and the console says so" \
		"$(grep -a 'unlock\|md0' "$WORK/raid-degraded.log" | head -8)"
fi
# A root on an array that is not there: the console says what was found and what to check.
if python3 "$TOP/qemu/boot.py" --log "$WORK/raid-missing.log" --timeout 200 --step "expect:Passphrase for " \
	--step 'send:correct horse\n' --step "expect:/dev/md9: the MD RAID array was not assembled from the 2 member(s) found" \
	--step "expect:boot failed: the root filesystem could not be mounted" -- "$TOP/qemu/run-vm.sh" "$WORK/raid.initrd" \
	"$WORK/raid/raid-a.img" "root=/dev/md9 rd.timeout=3" -drive "file=$WORK/raid/raid-b.img,if=virtio,format=raw" \
	2>"$WORK/raid-missing.err"; then
	ok "debian: raid-missing: an array that is not there is explained"
else
	not_ok "debian: raid-missing: an array that is not there is explained" "$(cat "$WORK/raid-missing.err")" \
		"$(grep -a 'unlock' "$WORK/raid-missing.log" | tail -6)" "$(tail -c 1500 "$WORK/raid-missing.log")"
fi
# The second disk plugged in after mdadm saw the first (a slow disk, a late controller): the array
# waits for it instead of starting degraded. QEMU hot-plugs it into a PCIe root port.
if python3 "$TOP/qemu/boot.py" --log "$WORK/raid-late.log" --timeout 200 --monitor "$WORK/raid-late.sock" \
	--step "expect:not enough to start" \
	--step "hmp:drive_add 0 if=none,id=late,file=$WORK/raid/raid-b.img,format=raw" \
	--step "hmp:device_add virtio-blk-pci,drive=late,bus=late-port" \
	--step "expect:Passphrase for " --step 'send:correct horse\n' --step "expect:opened as /dev/mapper/md0_crypt" -- \
	"$TOP/qemu/run-vm.sh" "$WORK/raid.initrd" "$WORK/raid/raid-a.img" "$(cat "$WORK/raid/cmdline") rd.debug" \
	-device pcie-root-port,id=late-port,chassis=9,slot=9 -monitor "unix:$WORK/raid-late.sock,server=on,wait=off" \
	2>"$WORK/raid-late.err" && grep -aq "md/raid1:md0: active with 2 out of 2 mirrors" "$WORK/raid-late.log"; then
	ok "debian: raid-late: a member found late joins the array before it starts"
else
	not_ok "debian: raid-late: a member found late joins the array before it starts" "$(cat "$WORK/raid-late.err")" \
		"$(grep -a 'unlock\|md0\|md/' "$WORK/raid-late.log" | tail -8)"
fi
# Both disks attached: however late the second is found, the array is never started degraded.
for boot in raid raid-missing raid-late; do
	if grep -aq "runs degraded" "$WORK/$boot.log"; then
		not_ok "debian: $boot: with both disks the array does not start degraded" "$(grep -a 'md0\|md/' "$WORK/$boot.log" | head -6)"
	else
		ok "debian: $boot: with both disks the array does not start degraded"
	fi
done
