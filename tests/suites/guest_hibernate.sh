#!/bin/bash
# A real hibernate and resume through an encrypted swap volume. First boot: unlock opens root and a
# LUKS2 swap volume from crypttab; the guest makes swap on it and hibernates (the kernel writes its
# image through dm-crypt and powers off). Second boot, with resume=: unlock opens the same volumes
# and hands the swap to the kernel before root is mounted; the guest must continue where it
# stopped, in the middle of its first boot.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}

mkdir -p "$WORK/disk/root" "$WORK/keys"
cat >"$WORK/disk/root/guest-test" <<'GUEST'
#!/bin/busybox sh
if grep -q 'resume=' /proc/cmdline; then
	echo "RESUME-TEST fresh boot: the hibernation image was not used"
	exit 0
fi
for d in /sys/block/dm-*; do
	[ "$(cat "$d/dm/name")" = cswap ] && swapdev=$(cat "$d/dev")
done
busybox mkswap /dev/mapper/cswap >/dev/null && busybox swapon /dev/mapper/cswap || echo "RESUME-TEST no swap"
echo "$swapdev" >/sys/power/resume
echo shutdown >/sys/power/disk
echo "RESUME-TEST hibernating to $swapdev"
echo disk >/sys/power/state || echo "RESUME-TEST hibernation failed"
echo "RESUME-TEST resumed, pid $$ still running"
GUEST
chmod +x "$WORK/disk/root/guest-test"
"$TOP/qemu/mkdisk.sh" "$WORK/disk" luks2 >/dev/null
cp "$WORK/disk/keyfile" "$WORK/keys/root.key"
truncate -s 320M "$WORK/swap.img"
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$WORK/swap.img" "$WORK/keys/root.key"
cat >"$WORK/crypttab" <<TAB
root UUID=$(cat "$WORK/disk/luks.uuid") $WORK/keys/root.key luks
cswap UUID=$(cryptsetup luksUUID "$WORK/swap.img") $WORK/keys/root.key luks
TAB
"$TOP/build/unlock-mkinitrd" -o "$WORK/initrd.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab"

hib_boot() { # NAME APPEND STEP...
	local name=$1 append=$2 steps=()
	shift 2
	for s in "$@"; do steps+=(--step "$s"); done
	if python3 "$TOP/qemu/boot.py" --log "$WORK/$name.log" --timeout 400 "${steps[@]}" -- "$TOP/qemu/run-vm.sh" \
		"$WORK/initrd.img" "$WORK/disk/disk.img" "$append" -drive "file=$WORK/swap.img,if=virtio,format=raw" 2>"$WORK/err"; then
		ok "hibernate: $name"
	else
		not_ok "hibernate: $name" "$(cat "$WORK/err")" "$(grep -a -E 'unlock|RESUME-TEST|PM: ' "$WORK/$name.log" | tail)" \
			"$(tail -n 5 "$WORK/$name.log")"
	fi
}
hib_boot hibernate "root=/dev/mapper/root" "expect:RESUME-TEST hibernating" "expect:reboot: Power down"
if grep -aq "RESUME-TEST hibernation failed" "$WORK/hibernate.log"; then
	not_ok "hibernate: the kernel wrote its image to the encrypted swap" "$(grep -a 'PM: ' "$WORK/hibernate.log" | tail -5)"
else
	ok "hibernate: the kernel wrote its image to the encrypted swap"
fi
hib_boot resume "root=/dev/mapper/root resume=/dev/mapper/cswap" "expect:RESUME-TEST resumed" "expect:UNLOCK-MARKER end"
if grep -aq "RESUME-TEST fresh boot" "$WORK/resume.log"; then
	not_ok "hibernate: the second boot resumed instead of starting afresh" "$(grep -a -E 'unlock|PM: ' "$WORK/resume.log" | tail -5)"
else
	ok "hibernate: the second boot resumed instead of starting afresh"
fi
if grep -aq "PM: Image loading done" "$WORK/resume.log"; then
	ok "hibernate: the kernel loaded its image back through dm-crypt"
else
	not_ok "hibernate: the kernel loaded its image back through dm-crypt" "$(grep -a 'PM: ' "$WORK/resume.log" | tail -5)"
fi
order=$(grep -anE "opened as /dev/mapper/cswap|RESUME-TEST resumed" "$WORK/resume.log" | cut -d: -f1 | tr '\n' ' ')
read -r a b <<<"$order"
if [ -n "${b:-}" ] && [ "$a" -lt "$b" ]; then
	ok "hibernate: unlock opened the encrypted swap before the kernel resumed from it"
else
	not_ok "hibernate: unlock opened the encrypted swap before the kernel resumed from it" "$order"
fi
