#!/bin/bash
# dracut and initramfs-tools with unlock inside: images built on this host by the real dracut and
# mkinitramfs for Debian's kernel, our module and hook installed into private copies of their
# configuration (this host's /etc seen through a mount namespace, dracut's module tree copied),
# boot an encrypted root under OVMF with a typed passphrase and with a key file, and the real
# Debian 12 system through each of them reaches multi-user with one passphrase question in all.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../debian.sh
source "$TOP/tests/debian.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
# The hook and the module find unlock, its helper and the shared install logic in the tree.
export UNLOCK_BIN=$TOP/build/unlock UNLOCK_HOOKS=$TOP/hooks UNLOCK_TPM2_HELPER=$TOP/build/unlock-tpm2 \
	UNLOCK_PKCS11_HELPER=$TOP/build/unlock-pkcs11

# The private configuration: /etc with our crypttab, the initramfs-tools hook and boot script in
# its CONFDIR, cryptsetup-initramfs's KEYFILE_PATTERN; dracut's modules with 90unlock among them.
cp -a /etc "$WORK/etc"
mkdir -p "$WORK/etc/initramfs-tools/hooks" "$WORK/etc/initramfs-tools/scripts/local-top" "$WORK/keys"
cp "$TOP/initramfs-tools/hooks/unlock" "$WORK/etc/initramfs-tools/hooks/unlock"
cp "$TOP/initramfs-tools/scripts/local-top/unlock" "$WORK/etc/initramfs-tools/scripts/local-top/unlock"
echo "KEYFILE_PATTERN=\"$WORK/keys/*.key\"" >>"$WORK/etc/cryptsetup-initramfs/conf-hook"
echo "UMASK=0077" >>"$WORK/etc/initramfs-tools/initramfs.conf"
cp -a /usr/lib/dracut "$WORK/dracut"
cp -r "$TOP/dracut/90unlock" "$WORK/dracut/modules.d/90unlock"

in_private_etc() { # COMMAND...: run with the private /etc
	unshare -m sh -c 'mount --bind "$0" /etc && exec "$@"' "$WORK/etc" "$@"
}

# build GENERATOR IMAGE CRYPTTAB [ARGS...]: an image from mkinitramfs, or from dracut (generic, as a
# distribution's installer image is) with its systemd or without it ("dracut-shell", which keeps
# dracut's crypt module: its cryptroot-ask must find the volume open). dracut's images are zstd:
# its default, a single-threaded gzip -9, takes a minute an image here and is not under test.
# GUEST_DRIVERS: for a dracut image that boots only the busybox disk, the guest's storage drivers
# in place of dracut's every block driver (half the build's time).
GUEST_DRIVERS=(--omit kernel-modules --drivers "virtio_blk virtio_pci ext4")
build() {
	local gen=$1 img=$2
	cp "$3" "$WORK/etc/crypttab"
	shift 3
	case $gen in
	initramfs-tools) in_private_etc mkinitramfs -o "$img" "$@" "$KVER" ;;
	dracut) dracutbasedir=$WORK/dracut in_private_etc dracut -q --no-hostonly --compress zstd --add unlock "$@" --kver "$KVER" -f "$img" ;;
	dracut-shell)
		dracutbasedir=$WORK/dracut in_private_etc dracut -q --no-hostonly --compress zstd --add unlock --omit \
			"systemd systemd-initrd dracut-systemd systemd-udevd systemd-journald systemd-modules-load systemd-sysctl systemd-tmpfiles systemd-ask-password" \
			"$@" --kver "$KVER" -f "$img" ;;
	esac >"$img.log" 2>&1 || { not_ok "$gen: $(basename "$img") builds" "$(tail -5 "$img.log")"; return 1; }
}

image_files() { # IMAGE: the files in it
	case $1 in *dracut*) lsinitrd "$1" 2>/dev/null | awk '{ print $NF }' ;; *) lsinitramfs "$1" ;; esac
}

# boot_disk NAME IMAGE APPEND passphrase|key: the busybox root of qemu/mkdisk.sh, opened by unlock.
boot_disk() {
	local name=$1 img=$2 append=$3 how=$4 steps=()
	[ "$how" = key ] || steps=(--step "expect:Passphrase for " --step "send:$(cat "$WORK/disk/passphrase")\n")
	if python3 "$TOP/qemu/boot.py" --log "$WORK/$name.log" --timeout 400 "${steps[@]}" --step "expect:UNLOCK-MARKER end" -- \
		"$TOP/qemu/run-vm.sh" "$img" "$WORK/disk/disk.img" "root=/dev/mapper/root $append" 2>"$WORK/$name.err"; then
		ok "$name: the root opened and its init ran"
	else
		not_ok "$name: the root opened and its init ran" "$(cat "$WORK/$name.err")" \
			"$(grep -aE 'unlock|Passphrase|passphrase|Failed|dracut|cryptsetup' "$WORK/$name.log" | tail -12)"
		return 0
	fi
	if grep -aq "unlock: /dev/vda: opened as /dev/mapper/root" "$WORK/$name.log"; then
		ok "$name: the console shows that unlock opened it"
	else
		not_ok "$name: the console shows that unlock opened it" "$(grep -a 'unlock' "$WORK/$name.log" | head -5)"
	fi
	check_eq "$name: passphrase questions" "$([ "$how" = key ] && echo 0 || echo 1)" \
		"$(grep -acE 'Passphrase for |[Pp]lease enter passphrase' "$WORK/$name.log")"
}

debian12_root
"$TOP/qemu/mkdisk.sh" "$WORK/disk" luks2 >/dev/null
UUID=$(cat "$WORK/disk/luks.uuid")
cp "$WORK/disk/keyfile" "$WORK/keys/root.key"
chmod 0400 "$WORK/keys/root.key"
: >"$WORK/crypttab.empty"
echo "root UUID=$UUID $WORK/keys/root.key luks,key-slot=1,initramfs" >"$WORK/crypttab.key"
BY_CMDLINE="rd.luks.name=$UUID=root"

# The Debian system, with /srv on a second volume its own systemd-cryptsetup opens after the
# switch with the passphrase typed at boot (from the kernel keyring), through each image.
SRV_UUID=9d5c1a70-3b1e-4f00-8d7e-5c0ffee00003
mkdir -p "$WORK/deb"
echo "srv UUID=$SRV_UUID none luks" >"$WORK/deb/crypttab.extra"
echo "/dev/mapper/srv /srv ext4 defaults 0 2" >"$WORK/deb/fstab.extra"
"$TOP/qemu/debian-disk.sh" "$WORK/deb" plain >/dev/null
data_disk "$WORK/srv.img" "$SRV_UUID" "$WORK/deb/passphrase"
boot_debian() { # NAME IMAGE
	debian_boot "$1" "$2" "$WORK/deb/disk.img" "rd.luks.name=$(cat "$WORK/deb/luks.uuid")=root $(cat "$WORK/deb/cmdline")" \
		-drive "file=$WORK/srv.img,if=virtio,format=raw"
	debian_checks "$1" /dev/mapper/root systemd-cryptsetup@root.service systemd-cryptsetup@srv.service
	check_eq "debian: $1: /srv is mounted from its volume, opened by the system" "/srv=/dev/mapper/srv," "$(report "$1" mounts)"
	opened_by_unlock "$1"
}

# TPM2: the disk with a token from the real systemd-cryptenroll (no PCRs) on a software TPM, booted
# with that TPM behind QEMU's tpm-tis: the image's helper opens it with no question.
export TSS2_LOG=all+none
mkdir -p "$WORK/tpm"
cp "$WORK/disk/disk.img" "$WORK/tpm.img"
swtpm_tcp_start "$WORK/tpm" "$WORK/enroll.pid" || not_ok "tpm2: swtpm started"
PASSWORD=$(cat "$WORK/disk/passphrase") systemd-cryptenroll --tpm2-device="swtpm:host=127.0.0.1,port=$SWTPM_PORT" \
	--tpm2-pcrs= "$WORK/tpm.img" >"$WORK/enroll.log" 2>&1 || not_ok "tpm2: systemd-cryptenroll" "$(cat "$WORK/enroll.log")"
tpm_stop "$(cat "$WORK/enroll.pid")"
boot_tpm2() { # NAME IMAGE
	local name=$1
	swtpm_vm_start "$WORK/tpm" "$name"
	if python3 "$TOP/qemu/boot.py" --log "$WORK/$name.log" --timeout 400 --step "expect:opened with TPM2 token 0" \
		--step "expect:UNLOCK-MARKER end" -- "$TOP/qemu/run-vm.sh" "$2" "$WORK/tpm.img" "root=/dev/mapper/root $BY_CMDLINE" \
		"${TPM_ARGS[@]}" 2>"$WORK/$name.err" && ! grep -aq "Passphrase for" "$WORK/$name.log"; then
		ok "$name: the image's TPM2 helper opens systemd-cryptenroll's token, no question asked"
	else
		not_ok "$name: the image's TPM2 helper opens systemd-cryptenroll's token, no question asked" "$(cat "$WORK/$name.err")" \
			"$(grep -aE 'unlock|TPM2|Passphrase' "$WORK/$name.log" | tail -8)"
	fi
	tpm_stop "$(cat "$WORK/$name.pid" 2>/dev/null)"
}

# initramfs-tools. CRYPTSETUP=y puts unlock in without a crypttab volume (rd.luks.name= only).
cp "$WORK/etc/cryptsetup-initramfs/conf-hook" "$WORK/conf-hook"
echo "CRYPTSETUP=y" >>"$WORK/etc/cryptsetup-initramfs/conf-hook"
if build initramfs-tools "$WORK/it-cmdline.img" "$WORK/crypttab.empty"; then
	boot_debian initramfs-tools "$WORK/it-cmdline.img"
	boot_tpm2 "initramfs-tools: tpm2" "$WORK/it-cmdline.img"
fi
cp "$WORK/conf-hook" "$WORK/etc/cryptsetup-initramfs/conf-hook"
# The image above has Debian's default, MODULES=most; the others list the guest's drivers (most
# takes 20 s of both cores an image, and what they test is the hook's choices).
sed -i 's/^MODULES=.*/MODULES=list/' "$WORK/etc/initramfs-tools/initramfs.conf"
printf '%s\n' virtio_blk virtio_pci ext4 >>"$WORK/etc/initramfs-tools/modules"
if build initramfs-tools "$WORK/it-key.img" "$WORK/crypttab.key"; then
	files=$(image_files "$WORK/it-key.img")
	if grep -qx "etc/unlock/crypttab" <<<"$files" && ! grep -qE "^cryptroot/(crypttab|keyfiles)" <<<"$files" &&
		grep -qx "${WORK#/}/keys/root.key" <<<"$files"; then
		ok "initramfs-tools: unlock wins: its crypttab and key are in the image, cryptroot's crypttab and keys are not"
	else
		not_ok "initramfs-tools: unlock wins: its crypttab and key are in the image, cryptroot's crypttab and keys are not" \
			"$(grep -E 'crypttab|\.key$' <<<"$files")"
	fi
	boot_disk "initramfs-tools: key file" "$WORK/it-key.img" "" key
fi
# A key file KEYFILE_PATTERN does not match stays out of the image, and its volume is asked for.
cp "$WORK/conf-hook" "$WORK/etc/cryptsetup-initramfs/conf-hook"
echo 'KEYFILE_PATTERN="/nowhere/*.key"' >>"$WORK/etc/cryptsetup-initramfs/conf-hook"
if build initramfs-tools "$WORK/it-nokey.img" "$WORK/crypttab.key"; then
	files=$(image_files "$WORK/it-nokey.img")
	if ! grep -q "root.key" <<<"$files" && grep -q "does not match KEYFILE_PATTERN" "$WORK/it-nokey.img.log" &&
		unmkinitramfs "$WORK/it-nokey.img" "$WORK/it-nokey" 2>/dev/null &&
		[ "$(find "$WORK/it-nokey" -path '*/etc/unlock/crypttab' -exec awk '!/^#/ { print $3 }' {} +)" = none ]; then
		ok "initramfs-tools: a key file KEYFILE_PATTERN does not match stays out; its volume asks, with a warning"
	else
		not_ok "initramfs-tools: a key file KEYFILE_PATTERN does not match stays out; its volume asks, with a warning" \
			"$(grep -E 'key|crypttab' <<<"$files")" "$(cat "$WORK/it-nokey.img.log")"
	fi
fi
cp "$WORK/conf-hook" "$WORK/etc/cryptsetup-initramfs/conf-hook"
# UNLOCK=n gives the image back to cryptsetup-initramfs.
echo "UNLOCK=n" >"$WORK/etc/initramfs-tools/conf.d/unlock"
if build initramfs-tools "$WORK/it-off.img" "$WORK/crypttab.key"; then
	files=$(image_files "$WORK/it-off.img")
	if grep -qx "cryptroot/crypttab" <<<"$files" && ! grep -qE "^(usr/sbin/unlock|etc/unlock)" <<<"$files"; then
		ok "initramfs-tools: UNLOCK=n leaves the image to cryptsetup-initramfs"
	else
		not_ok "initramfs-tools: UNLOCK=n leaves the image to cryptsetup-initramfs" "$(grep -E 'crypt|unlock' <<<"$files")"
	fi
fi
rm -f "$WORK/etc/initramfs-tools/conf.d/unlock"

# PKCS#11: a volume with pkcs11-uri= brings the helper and p11-kit's registered modules into either
# generator's image; the images above, whose volumes name no PKCS#11 token, have neither.
echo "root UUID=$UUID none luks,pkcs11-uri=auto" >"$WORK/crypttab.pkcs11"
pkcs11_in() { # IMAGE: the helper, SoftHSM2's module and its registry file are in it
	local files
	files=$(image_files "$1")
	grep -qx "usr/lib/unlock/unlock-pkcs11" <<<"$files" && grep -q "softhsm/libsofthsm2.so$" <<<"$files" &&
		grep -qx "usr/share/p11-kit/modules/softhsm2.module" <<<"$files"
}
if build initramfs-tools "$WORK/it-pkcs11.img" "$WORK/crypttab.pkcs11"; then
	if pkcs11_in "$WORK/it-pkcs11.img" && ! pkcs11_in "$WORK/it-key.img"; then
		ok "initramfs-tools: PKCS#11 support only in the image of a volume that names pkcs11-uri="
	else
		not_ok "initramfs-tools: PKCS#11 support only in the image of a volume that names pkcs11-uri=" \
			"$(image_files "$WORK/it-pkcs11.img" | grep -e pkcs11 -e p11 -e softhsm)"
	fi
fi
if build dracut "$WORK/dracut-pkcs11.img" "$WORK/crypttab.pkcs11" --omit crypt --no-kernel; then
	if pkcs11_in "$WORK/dracut-pkcs11.img"; then
		ok "dracut: a volume that names pkcs11-uri= brings PKCS#11 support into the image"
	else
		not_ok "dracut: a volume that names pkcs11-uri= brings PKCS#11 support into the image" \
			"$(image_files "$WORK/dracut-pkcs11.img" | grep -e pkcs11 -e p11 -e softhsm)"
	fi
fi

# dracut with systemd: a passphrase and the Debian system through an image without a crypttab; a
# key file through one that also carries dracut's crypt module, with rd.luks.name= on the command
# line so that systemd-cryptsetup@root.service is in the image too: it must find root open.
if build dracut "$WORK/dracut-cmdline.img" "$WORK/crypttab.empty" --omit crypt; then
	boot_debian dracut "$WORK/dracut-cmdline.img"
	boot_tpm2 "dracut: tpm2" "$WORK/dracut-cmdline.img"
fi
if (umask 022 && build dracut "$WORK/dracut-key.img" "$WORK/crypttab.key" --add crypt "${GUEST_DRIVERS[@]}"); then
	# dracut builds every image under umask 077, whatever the caller's: the key stays root's.
	check_eq "dracut: an image holding a key file is root's alone (0600) under umask 022" 600 \
		"$(stat -c %a "$WORK/dracut-key.img")"
	boot_disk "dracut: key file, beside systemd-cryptsetup" "$WORK/dracut-key.img" "$BY_CMDLINE" key
	if grep -aqE 'Finished .*systemd-cryptsetup@root|Finished .*Cryptography Setup for .*root' "$WORK/dracut: key file, beside systemd-cryptsetup.log" &&
		! grep -aqE 'Failed to start|FAILED' "$WORK/dracut: key file, beside systemd-cryptsetup.log"; then
		ok "dracut: systemd-cryptsetup@root.service found root open and did not fail"
	else
		not_ok "dracut: systemd-cryptsetup@root.service found root open and did not fail" \
			"$(grep -aE 'cryptsetup|Cryptography|FAILED' "$WORK/dracut: key file, beside systemd-cryptsetup.log" | head -8)"
	fi
fi
# dracut without systemd: the initqueue hook, with dracut's crypt module beside it.
if build dracut-shell "$WORK/dracut-shell.img" "$WORK/crypttab.empty" "${GUEST_DRIVERS[@]}"; then
	boot_disk "dracut without systemd: passphrase" "$WORK/dracut-shell.img" "$BY_CMDLINE" passphrase
fi
