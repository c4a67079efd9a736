#!/bin/bash
# Real systems: a debootstrapped Debian 12 with systemd as its init (cached in build/debian-root),
# its own crypttab and fstab, booted under OVMF through an image from unlock-mkinitrd. The system
# reports what systemd says once its boot has finished (qemu/debian-disk.sh); every boot must reach
# "running" with the crypt units active, no failed units, and exactly one passphrase question.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
MKINITRD=$TOP/build/unlock-mkinitrd

if ! "$TOP/qemu/debian-root.sh" "$TOP/build/debian-root"; then
	not_ok "debian: a Debian 12 root made by debootstrap" "see $TOP/build/debian-root.log"
	exit 0
fi

# debian_boot NAME INITRD DISK APPEND [QEMU-ARGS...]: boots, answers the first passphrase question.
debian_boot() {
	local name=$1 initrd=$2 disk=$3 append=$4
	shift 4
	if python3 "$TOP/qemu/boot.py" --log "$WORK/$name.log" --timeout 400 --step "expect:Passphrase for " \
		--step 'send:correct horse\n' --step "expect:UNLOCK-DEBIAN end" -- \
		"$TOP/qemu/run-vm.sh" "$initrd" "$disk" "$append" "$@" 2>"$WORK/$name.err"; then
		ok "debian: $name: the system booted and reported"
	else
		not_ok "debian: $name: the system booted and reported" "$(cat "$WORK/$name.err")" \
			"$(grep -aE 'unlock|UNLOCK-DEBIAN|Passphrase|passphrase|Kernel panic|Failed|Timed out' "$WORK/$name.log" | tail -12)"
	fi
}

# report NAME KEY: the value the system reported for KEY.
report() {
	PYTHONPATH=$TOP/qemu python3 -c 'import boot, sys; sys.stdout.buffer.write(boot.console_text(open(sys.argv[1], "rb").read()))' \
		"$WORK/$1.log" | tr -d '\r' | sed -n "s|.*UNLOCK-DEBIAN $2=||p" | head -n1
}

# debian_checks NAME ROOT-SOURCE UNIT...: what every real boot must show.
debian_checks() {
	local name=$1 root=$2 prompts
	shift 2
	check_eq "debian: $name: the system is running" "running" "$(report "$name" state)"
	check_eq "debian: $name: no failed units" "" "$(report "$name" failed)"
	check_eq "debian: $name: root is mounted from $root" "$root" "$(report "$name" root | cut -d' ' -f1)"
	for unit in "$@"; do
		check_eq "debian: $name: $unit is active" "active" "$(report "$name" "unit $unit")"
	done
	prompts=$(grep -acE 'Passphrase for |[Pp]lease enter passphrase' "$WORK/$name.log")
	check_eq "debian: $name: the passphrase was asked for once" "1" "$prompts"
}

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
