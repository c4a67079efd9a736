#!/bin/bash
# shellcheck disable=SC2016 # expanded inside the chroot or the guest
# Debian 13 as its users run it. The Debian 13 package (from tests/suites/build_trixie.sh) goes into
# a debootstrapped Debian 13 with its own kernel (build/trixie-root) through apt; inside that
# system the package's hook rebuilds the initramfs-tools image, and unlock-mkinitrd and dracut
# make theirs. Each of the three boots the system under OVMF with the kernel's xz-compressed
# modules: systemd 257 running, the crypt units active, no failed units, one question, /srv on a
# second volume opened by the system from the keyring. A TPM2 token from Debian 13's
# systemd-cryptenroll (PCR 7, the SRK systemd-tpm2-setup made) opens the root unattended. Then
# the package is upgraded and removed there, and the image given back to cryptsetup-initramfs.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../debian.sh
source "$TOP/tests/debian.sh"
# shellcheck source-path=SCRIPTDIR source=../trixie.sh
source "$TOP/tests/trixie.sh"
export TSS2_LOG=all+none
DEB=$(find "$BUILD/src" -maxdepth 1 -name 'unlock_*_amd64.deb' 2>/dev/null | head -n 1)
if [ -z "$DEB" ]; then
	not_ok "trixie: the Debian 13 package from tests/suites/build_trixie.sh is there" "run that suite first"
	exit 0
fi

# The system: the package installed through apt, the three images built inside it.
if ! "$TOP/qemu/debian-root.sh" "$BASE" trixie; then
	not_ok "trixie: a Debian 13 system made by debootstrap" "see $BASE.log"
	exit 0
fi
KVER=$(find "$BASE/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
export UNLOCK_TEST_KERNEL=$BASE/boot/vmlinuz-$KVER

# trixie_prepare ROOT: run by debian-disk.sh on the configured system before its filesystem is made.
trixie_prepare() {
	local root=$1
	cp "$DEB" "$root/tmp/"
	in_chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y "/tmp/${DEB##*/}" \
		>"$WORK/apt-install.log" 2>&1 || return 0
	cp "$root/boot/initrd.img-$KVER" "$WORK/initramfs-tools.img"
	in_chroot "$root" unlock-mkinitrd -o /tmp/unlock-mkinitrd.img --kver "$KVER" --generic --crypttab /etc/crypttab \
		>"$WORK/unlock-mkinitrd.log" 2>&1 && mv "$root/tmp/unlock-mkinitrd.img" "$WORK/unlock-mkinitrd.img"
	in_chroot "$root" dracut -q -f --no-hostonly --compress zstd --kver "$KVER" /tmp/dracut.img \
		>"$WORK/dracut.log" 2>&1 && mv "$root/tmp/dracut.img" "$WORK/dracut.img"
	rm -f "$root/tmp/${DEB##*/}"
	# The system reports PCR 7 as the firmware leaves it, when it has a TPM.
	printf '#!/bin/sh\necho "UNLOCK-DEBIAN pcr7=$(cat /sys/class/tpm/tpm0/pcr-sha256/7 2>/dev/null)"\n' \
		>"$root/usr/local/sbin/unlock-test-extra"
	chmod 0755 "$root/usr/local/sbin/unlock-test-extra"
}
export -f trixie_prepare in_chroot
export DEB KVER WORK
printf 'correct horse' >"$WORK/passphrase"
SRV_UUID=9d5c1a70-3b1e-4f00-8d7e-5c0ffee00013
data_disk "$WORK/srv.img" "$SRV_UUID" "$WORK/passphrase"
mkdir -p "$WORK/sys"
echo "srv UUID=$SRV_UUID none luks" >"$WORK/sys/crypttab.extra"
echo "/dev/mapper/srv /srv ext4 defaults 0 2" >"$WORK/sys/fstab.extra"
DEBIAN_ROOT=$BASE DEBIAN_FS_SIZE=900M DEBIAN_DISK_HOOK=trixie_prepare "$TOP/qemu/debian-disk.sh" "$WORK/sys" plain >/dev/null
UUID=$(cat "$WORK/sys/luks.uuid")
if grep -q "unlock: rebuilding the initramfs" "$WORK/apt-install.log"; then
	ok "trixie: apt installs the package, and its hook rebuilds the initramfs"
else
	not_ok "trixie: apt installs the package, and its hook rebuilds the initramfs" "$(tail -8 "$WORK/apt-install.log")"
fi
for gen in initramfs-tools unlock-mkinitrd dracut; do
	if [ -s "$WORK/$gen.img" ]; then ok "trixie: $gen builds an image inside Debian 13"; else not_ok "trixie: $gen builds an image inside Debian 13" "$(tail -5 "$WORK/$gen.log" 2>/dev/null)"; fi
done
if in_chroot "$WORK/sys/root" lsinitramfs "/boot/initrd.img-$KVER" 2>/dev/null | grep -qx 'usr/sbin/unlock'; then
	ok "trixie: the initramfs-tools image holds unlock"
else
	not_ok "trixie: the initramfs-tools image holds unlock"
fi

# trixie_boot NAME: the system through one of the images, /srv's disk beside it.
trixie_boot() {
	local name=$1
	[ -s "$WORK/$name.img" ] || return 0
	debian_boot "trixie-$name" "$WORK/$name.img" "$WORK/sys/disk.img" \
		"rd.luks.name=$UUID=root $(cat "$WORK/sys/cmdline")" -drive "file=$WORK/srv.img,if=virtio,format=raw" "${@:2}"
	debian_checks "trixie-$name" /dev/mapper/root systemd-cryptsetup@root.service systemd-cryptsetup@srv.service
	check_eq "debian: trixie-$name: /srv is mounted from its volume, opened by the system" "/srv=/dev/mapper/srv," \
		"$(report "trixie-$name" mounts)"
	opened_by_unlock "trixie-$name"
	if grep -aq "could not be loaded" "$WORK/trixie-$name.log"; then
		not_ok "debian: trixie-$name: every module unlock loads loads" "$(grep -a "could not be loaded" "$WORK/trixie-$name.log")"
	else
		ok "debian: trixie-$name: every module unlock loads loads"
	fi
}
trixie_boot initramfs-tools
trixie_boot dracut
# The unlock-mkinitrd boot has a TPM (swtpm behind tpm-tis): the system's systemd-tpm2-setup makes
# the SRK there, and the system reports PCR 7 as this firmware leaves it.
mkdir -p "$WORK/tpm"
swtpm_vm_start "$WORK/tpm" mk
trixie_boot unlock-mkinitrd "${TPM_ARGS[@]}"
tpm_stop "$(cat "$WORK/mk.pid" 2>/dev/null)"
PCR7=$(report trixie-unlock-mkinitrd pcr7)

# TPM2: Debian 13's systemd-cryptenroll (in that system, against the same TPM on loopback) binds a
# token to PCR 7 with the SRK, on a second disk with the same system and no /srv; the image from
# unlock-mkinitrd opens it with no question.
DEBIAN_ROOT=$BASE "$TOP/qemu/debian-disk.sh" "$WORK/tpmsys" plain >/dev/null
swtpm_tcp_start "$WORK/tpm" "$WORK/enroll.pid" || not_ok "trixie: swtpm started"
touch "$WORK/sys/root/tmp/disk.img"
if [ -n "$PCR7" ] && unshare -m --propagation private bash -c 'mount --bind "$1" "$2/tmp/disk.img" &&
	in_chroot "$2" env PASSWORD="correct horse" systemd-cryptenroll --tpm2-device="swtpm:host=127.0.0.1,port=$3" \
		--tpm2-pcrs="7:sha256=$4" /tmp/disk.img' enroll "$WORK/tpmsys/disk.img" "$WORK/sys/root" "$SWTPM_PORT" "$PCR7" \
	>"$WORK/enroll.log" 2>&1; then
	ok "trixie: systemd-cryptenroll 257 enrolls a TPM2 token bound to PCR 7"
else
	not_ok "trixie: systemd-cryptenroll 257 enrolls a TPM2 token bound to PCR 7" "pcr7=$PCR7" "$(tail -5 "$WORK/enroll.log")"
fi
rm -f "$WORK/sys/root/tmp/disk.img"
tpm_stop "$(cat "$WORK/enroll.pid")"
if cryptsetup luksDump --dump-json-metadata "$WORK/tpmsys/disk.img" | grep -q '"tpm2_srk"'; then
	ok "trixie: the token is systemd 257's, with tpm2_srk"
else
	not_ok "trixie: the token is systemd 257's, with tpm2_srk" "$(cryptsetup luksDump "$WORK/tpmsys/disk.img" | sed -n '/Tokens:/,/Digests:/p')"
fi
swtpm_vm_start "$WORK/tpm" tpm2
name=trixie-tpm2
if python3 "$TOP/qemu/boot.py" --log "$WORK/$name.log" --timeout 400 --stop-at-end --step "expect:opened with TPM2 token" \
	--step "expect:UNLOCK-DEBIAN end" -- "$TOP/qemu/run-vm.sh" "$WORK/unlock-mkinitrd.img" "$WORK/tpmsys/disk.img" \
	"rd.luks.name=$UUID=root $(cat "$WORK/tpmsys/cmdline")" "${TPM_ARGS[@]}" 2>"$WORK/$name.err"; then
	ok "debian: $name: the token opens the root at boot and the system reports"
	check_eq "debian: $name: the system is running" "running" "$(report "$name" state)"
	check_eq "debian: $name: no failed units" "" "$(report "$name" failed)"
	check_eq "debian: $name: no question was asked" 0 "$(grep -acE 'Passphrase for |[Pp]lease enter passphrase' "$WORK/$name.log")"
else
	not_ok "debian: $name: the token opens the root at boot and the system reports" "$(cat "$WORK/$name.err")" \
		"$(grep -aE 'unlock|TPM2|Passphrase|UNLOCK-DEBIAN' "$WORK/$name.log" | tail -10)"
fi
tpm_stop "$(cat "$WORK/tpm2.pid" 2>/dev/null)"

# The package in the system: upgraded (the same build as a later version), then removed; the
# image goes back to cryptsetup-initramfs.
ROOT=$WORK/sys/root
if ! in_chroot "$ROOT" dpkg-query -W unlock >/dev/null 2>&1; then
	not_ok "trixie: the package is installed in the system"
	exit 0
fi
# The images are not booted again: they list the modules they need (Debian's MODULES=most takes half
# a minute of both cores an image).
sed -i 's/^MODULES=.*/MODULES=list/' "$ROOT/etc/initramfs-tools/initramfs.conf"
dpkg-deb -R "$DEB" "$WORK/debx"
sed -i 's/^Version: .*/&+up1/' "$WORK/debx/DEBIAN/control"
dpkg-deb -b "$WORK/debx" "$ROOT/tmp/unlock_up_amd64.deb" >/dev/null
if in_chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y /tmp/unlock_up_amd64.deb \
	>"$WORK/apt-upgrade.log" 2>&1 && grep -q "unlock: rebuilding the initramfs" "$WORK/apt-upgrade.log" &&
	in_chroot "$ROOT" dpkg-query -W -f='${Version}' unlock | grep -q '+up1$'; then
	ok "trixie: apt upgrades the package, and its hook rebuilds the initramfs"
else
	not_ok "trixie: apt upgrades the package, and its hook rebuilds the initramfs" "$(tail -6 "$WORK/apt-upgrade.log")"
fi
if in_chroot "$ROOT" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y unlock' >"$WORK/apt-remove.log" 2>&1 &&
	grep -q "the generator opens the encrypted volumes again" "$WORK/apt-remove.log"; then
	ok "trixie: apt removes the package and the initramfs is rebuilt"
else
	not_ok "trixie: apt removes the package and the initramfs is rebuilt" "$(tail -6 "$WORK/apt-remove.log")"
fi
files=$(in_chroot "$ROOT" lsinitramfs "/boot/initrd.img-$KVER" 2>/dev/null)
if grep -qx "cryptroot/crypttab" <<<"$files" && ! grep -qE "^(usr/sbin/unlock|etc/unlock)" <<<"$files"; then
	ok "trixie: removed, the image is cryptsetup-initramfs's again"
else
	not_ok "trixie: removed, the image is cryptsetup-initramfs's again" "$(grep -E 'crypt|unlock' <<<"$files" | head -5)"
fi
check_eq "trixie: removed, none of its files is left" "" \
	"$(cd "$ROOT" && ls -d usr/sbin/unlock usr/lib/unlock usr/lib/dracut/modules.d/90unlock usr/share/initramfs-tools/hooks/unlock 2>/dev/null)"
