#!/bin/bash
# Real boots: Debian's kernel, unlock's own initramfs, OVMF (q35, UEFI) under software emulation,
# the serial console driven by qemu/boot.py. The test root's init prints UNLOCK-MARKER lines.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
MKINITRD=$TOP/build/unlock-mkinitrd
BOOT="python3 $TOP/qemu/boot.py"
VM=$TOP/qemu/run-vm.sh

# boot NAME INITRD DISK APPEND STEP... [-- QEMU-ARGS...]: one boot; the console log is left in $WORK/NAME.log.
# Steps that press keys ("keys:...") go through a monitor socket made for this boot.
boot() {
	local name=$1 initrd=$2 disk=$3 append=$4 steps=() monitor=()
	shift 4
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		steps+=(--step "$1")
		[[ $1 == keys:* ]] && monitor=(--monitor "$WORK/$name.sock")
		shift
	done
	[ $# -gt 0 ] && shift
	[ ${#monitor[@]} -gt 0 ] && set -- "$@" -monitor "unix:$WORK/$name.sock,server=on,wait=off"
	if $BOOT --log "$WORK/$name.log" --timeout 150 "${monitor[@]}" "${steps[@]}" -- "$VM" "$initrd" "$disk" "$append" "$@" 2>"$WORK/$name.err"; then
		ok "boot: $name"
	else
		not_ok "boot: $name" "$(cat "$WORK/$name.err")" "$(grep -aE 'unlock|UNLOCK|Passphrase|Kernel panic' "$WORK/$name.log" | tail -8)" \
			"last console lines:" "$(tail -n 6 "$WORK/$name.log")"
	fi
}

# marker NAME PATTERN DESCRIPTION: the guest's report matches
marker() {
	if console_text "$WORK/$1.log" | grep -aE "$2" >/dev/null; then ok "boot: $1: $3"; else not_ok "boot: $1: $3" "$(grep -a UNLOCK-MARKER "$WORK/$1.log")"; fi
}

# The harness itself: a burst of kernel lines printed inside a line of ours is skipped when matching.
check_eq "boot.py: kernel lines inside a console line are skipped when matching" \
	"b'Passphrase for root: '" \
	"$(PYTHONPATH=$TOP/qemu python3 -c 'import boot; print(boot.console_text(b"Passphrase f[    3.6] a\r\n[    3.7] b\r\nor root: "))')"

"$TOP/qemu/mkdisk.sh" "$WORK/l2" luks2 >/dev/null
"$TOP/qemu/mkdisk.sh" "$WORK/l1" luks1 >/dev/null
L2=$(cat "$WORK/l2/luks.uuid")
L1=$(cat "$WORK/l1/luks.uuid")
FS=$(cat "$WORK/l2/fs.uuid")

# The guest is not this host: the boot images are generic; the host-only default is tested below.
UNLOCK_MODULE_CACHE="" "$MKINITRD" -o "$WORK/plain.img" --kver "$KVER" --generic
(umask 022 && "$MKINITRD" -o "$WORK/plain2.img" --kver "$KVER" --generic)
check_eq "mkinitrd: an image without keys follows the umask" 644 "$(stat -c %a "$WORK/plain2.img")"
check_eq "mkinitrd: the same inputs give a byte-identical image" "$(sha_of "$WORK/plain.img")" "$(sha_of "$WORK/plain2.img")"
"$MKINITRD" -o "$WORK/plain3.img" --kver "$KVER" --generic
check_eq "mkinitrd: modules taken from UNLOCK_MODULE_CACHE give the image built without it" \
	"$(sha_of "$WORK/plain.img")" "$(sha_of "$WORK/plain3.img")"
if zstd -dc "$WORK/plain.img" | cpio -t 2>/dev/null | grep -qx init; then ok "mkinitrd: unlock is /init"; else not_ok "mkinitrd: unlock is /init"; fi
check_eq "mkinitrd: a generic image expects an ext4 root" "ext4" \
	"$(zstd -dc "$WORK/plain.img" | cpio -i --quiet --to-stdout lib/unlock/rootfstype 2>/dev/null)"
if zstd -dc "$WORK/plain.img" | cpio -i --quiet --to-stdout lib/unlock/modprobe-nowait.conf 2>/dev/null |
	grep -qx "options dm_crypt async_probe"; then
	ok "mkinitrd: the boot's own modules are loaded with async_probe"
else
	not_ok "mkinitrd: the boot's own modules are loaded with async_probe"
fi

# Modules go in compressed one by one, except those on the boot's way to root (dm-crypt, AES-XTS,
# and in a generic image ext4, virtio and NVMe storage); inside each compressed one is the kernel's
# file byte for byte, so its signature still verifies under Secure Boot.
mkdir -p "$WORK/plainx"
(cd "$WORK/plainx" && zstd -dc "$WORK/plain.img" | cpio -id --quiet 2>/dev/null)
mods=lib/modules/$KVER/kernel
changed="" count=0
for ko in $(cd "$WORK/plainx" && find lib/modules -name '*.ko.zst'); do
	count=$((count + 1))
	zstd -q -dc "$WORK/plainx/$ko" | cmp -s - "/${ko%.zst}" || changed="$changed $ko"
done
for ko in $(cd "$WORK/plainx" && find lib/modules -name '*.ko'); do
	cmp -s "$WORK/plainx/$ko" "/$ko" || changed="$changed $ko"
done
if [ "$count" -gt 40 ]; then
	check_eq "mkinitrd: the modules, $count of them compressed, are the kernel's files byte for byte" "" "$changed"
else
	not_ok "mkinitrd: the modules are the kernel's files byte for byte" "only $count .ko.zst files in the generic image"
fi
missing=""
for ko in drivers/md/dm-crypt.ko drivers/md/dm-mod.ko crypto/xts.ko fs/ext4/ext4.ko drivers/block/virtio_blk.ko \
	drivers/nvme/host/nvme.ko; do
	[ -f "$WORK/plainx/$mods/$ko" ] || missing="$missing $ko"
done
for ko in fs/xfs/xfs.ko.zst fs/btrfs/btrfs.ko.zst drivers/ata/ahci.ko.zst drivers/usb/storage/usb-storage.ko.zst \
	drivers/hid/usbhid/usbhid.ko.zst; do
	[ -f "$WORK/plainx/$mods/$ko" ] || missing="$missing $ko"
done
check_eq "mkinitrd: the boot path's modules are uncompressed in the image, the others compressed" "" "$missing"
if tail -c 28 "$WORK/plainx/$mods/drivers/md/dm-crypt.ko" | grep -q 'Module signature appended' &&
	zstd -q -dc "$WORK/plainx/$mods/fs/xfs/xfs.ko.zst" | tail -c 28 | grep -q 'Module signature appended'; then
	ok "mkinitrd: module signatures are still appended"
else
	not_ok "mkinitrd: module signatures are still appended"
fi
"$MKINITRD" -o "$WORK/plain-none.img" --kver "$KVER" --generic --compress none
if cpio -t <"$WORK/plain-none.img" 2>/dev/null | grep -q "kernel/drivers/md/dm-crypt.ko$"; then
	ok "mkinitrd: --compress none leaves the modules uncompressed too"
else
	not_ok "mkinitrd: --compress none leaves the modules uncompressed too" "$(cpio -t <"$WORK/plain-none.img" 2>/dev/null | grep dm-crypt)"
fi

# Host-only (the default): dm-crypt, the drivers under this host's root and its filesystem; not the
# generic storage drivers and filesystems. The expectations come from sysfs and modprobe directly.
"$MKINITRD" -o "$WORK/hostonly.img" --kver "$KVER" 2>"$WORK/hostonly.err"
zstd -dc "$WORK/hostonly.img" | cpio -t 2>/dev/null | sed -n 's|.*/\([^/]*\)\.ko\(\.zst\)\{0,1\}$|\1|p' | tr - _ | sort >"$WORK/hostonly.ko"
has_module() { grep -qx "$(echo "$1" | tr - _)" "$WORK/hostonly.ko"; }
modular() { modprobe -S "$KVER" --show-depends "$1" 2>/dev/null | grep -q '^insmod'; }
root_src=$(findmnt -n -o SOURCE --target / | head -n1)
root_fs=$(findmnt -n -o FSTYPE --target / | head -n1)
if [ -b "${root_src%%[*}" ]; then
	if [ "$(stat -c %s "$WORK/hostonly.img")" -lt "$(stat -c %s "$WORK/plain.img")" ]; then
		ok "mkinitrd: a host-only image is smaller than a generic one"
	else
		not_ok "mkinitrd: a host-only image is smaller than a generic one" "$(ls -l "$WORK/hostonly.img" "$WORK/plain.img")"
	fi
	if has_module dm_crypt; then ok "mkinitrd: host-only carries dm-crypt"; else not_ok "mkinitrd: host-only carries dm-crypt" "$(cat "$WORK/hostonly.ko")"; fi
	disk=$(lsblk -dno PKNAME "${root_src%%[*}" 2>/dev/null | head -n1)
	disk=/sys/class/block/${disk:-$(basename "${root_src%%[*}")}
	want=""
	for m in $(modprobe -S "$KVER" -R "$(cat "$disk/device/modalias" 2>/dev/null)" 2>/dev/null) $root_fs; do
		modular "$m" && want="$want $m"
	done
	missing=""
	for m in $want; do has_module "$m" || missing="$missing $m"; done
	check_eq "mkinitrd: host-only carries the root disk's driver and filesystem ($want )" "" "$missing"
	compressed=""
	for m in $want dm_crypt; do
		zstd -dc "$WORK/hostonly.img" | cpio -t 2>/dev/null | grep -q "/$(echo "$m" | tr _ -)\.ko\.zst$\|/$m\.ko\.zst$" &&
			compressed="$compressed $m"
	done
	check_eq "mkinitrd: host-only leaves the modules its boot loads uncompressed" "" "$compressed"
	extra=""
	for fs in ext4 xfs btrfs; do [ "$fs" != "$root_fs" ] && has_module "$fs" && extra="$extra $fs"; done
	check_eq "mkinitrd: host-only leaves out the filesystems the host does not use" "" "$extra"
	check_eq "mkinitrd: host-only expects the host's root filesystem type" "$root_fs" \
		"$(zstd -dc "$WORK/hostonly.img" | cpio -i --quiet --to-stdout lib/unlock/rootfstype 2>/dev/null)"
	# The guest's disk is virtio: when this host's root is too, the host-only image boots it.
	if echo "$want" | grep -qw virtio_blk; then
		boot hostonly "$WORK/hostonly.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS" \
			"expect:Passphrase for luks-$L2" 'send:correct horse\n' "expect:UNLOCK-MARKER end"
	else
		echo "skip - boot: hostonly (this host's root is not on virtio like the guest's disk)"
	fi
elif grep -q 'building a generic image' "$WORK/hostonly.err"; then
	ok "mkinitrd: without a block device under / the default falls back to a generic image, and says so"
else
	not_ok "mkinitrd: without a block device under / the default falls back to a generic image, and says so" "$(cat "$WORK/hostonly.err")"
fi

# A LUKS2 root opened with the passphrase, on two consoles of different drivers (one 8250 serial
# console at most): a virtio console whose output goes to a file, and ttyS0. The prompt appears on
# both; the answer comes from ttyS0.
boot luks2-passphrase "$WORK/plain.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS console=hvc0 console=ttyS0" \
	"expect:Passphrase for luks-$L2" 'send:correct horse\n' "expect:UNLOCK-MARKER end" -- \
	-device virtio-serial-pci -chardev "file,id=hvc,path=$WORK/hvc0.log" -device virtconsole,chardev=hvc
marker luks2-passphrase "UNLOCK-MARKER pid=1 root=/dev/dm-0" "the real init runs as PID 1 on the unlocked root"
marker luks2-passphrase "dm=luks-$L2:CRYPT-LUKS2-${L2//-/}-luks-$L2" "DM name and cryptsetup-style DM UUID"
if console_text "$WORK/hvc0.log" 2>/dev/null | grep -a "Passphrase for luks-$L2" >/dev/null; then
	ok "boot: luks2-passphrase: the prompt appears on the second console too"
else
	not_ok "boot: luks2-passphrase: the prompt appears on the second console too" "$(tail -c 600 "$WORK/hvc0.log" 2>/dev/null)"
fi

# A German keyboard: the image carries the layout console-setup compiles for "de", and the keys are
# pressed on the guest's PS/2 keyboard (the VT, tty0), not typed on the serial line. The same keys
# give "Zürich-yz" with the layout and "Y[rich/zy" without it, which the control boot shows before
# it types the US-layout passphrase on the same keyboard.
cp "$WORK/l2/disk.img" "$WORK/de-disk.img"
cryptsetup luksAddKey -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file <(printf 'correct horse') \
	"$WORK/de-disk.img" <(printf 'Z\303\274rich-yz')
ckbcomp -model pc105 de >"$WORK/de.kmap" 2>/dev/null
UNLOCK_KEYMAP=$WORK/de.kmap "$MKINITRD" -o "$WORK/de.img" --kver "$KVER" --generic
UNLOCK_KEYMAP=$WORK/de.kmap "$MKINITRD" -o "$WORK/de2.img" --kver "$KVER" --generic
check_eq "mkinitrd: an image with a keyboard layout is reproducible too" "$(sha_of "$WORK/de.img")" "$(sha_of "$WORK/de2.img")"
check_exit "mkinitrd: a layout asked for by UNLOCK_KEYMAP that loadkeys cannot read stops the build" 1 \
	"cannot read the console layout /nonexistent.kmap" -- \
	env UNLOCK_KEYMAP=/nonexistent.kmap "$MKINITRD" -o "$WORK/nokeymap.img" --kver "$KVER" --generic
de_keys="keys:shift-y bracket_left r i c h slash z y ret"
boot keymap-de "$WORK/de.img" "$WORK/de-disk.img" "console=tty0 console=ttyS0 rd.debug rd.luks.uuid=$L2 root=UUID=$FS" \
	"expect:Passphrase for luks-$L2" "$de_keys" "expect:UNLOCK-MARKER end"
marker keymap-de "unlock: debug: keyboard layout loaded from /lib/unlock/keymap.bkeymap \(128 tables\)" "the layout is loaded before the prompt"
boot keymap-none "$WORK/plain.img" "$WORK/de-disk.img" "console=tty0 console=ttyS0 rd.luks.uuid=$L2 root=UUID=$FS" \
	"expect:Passphrase for luks-$L2" "$de_keys" "expect:Wrong passphrase for luks-$L2 (attempt 1 of 3)" \
	"expect:Passphrase for" "keys:c o r r e c t spc h o r s e ret" "expect:UNLOCK-MARKER end"

# rd.break stops before anything is opened; this image has no shell, so it says how to reboot.
boot rd-break "$WORK/plain.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS rd.break" \
	"expect:boot stopped: rd.break/rd.shell was given" "expect:no shell in this image; press Ctrl-Alt-Del"
if console_text "$WORK/rd-break.log" | grep -a "Passphrase for" >/dev/null; then
	not_ok "boot: rd-break: no passphrase is asked for" "$(grep -a unlock "$WORK/rd-break.log")"
else
	ok "boot: rd-break: no passphrase is asked for"
fi

# With rd.debug: every step, timed, and still no secret on the console. The image expects an XFS
# root (as one built on an XFS host would), so the ext4 found inside is loaded once it is seen.
mkdir "$WORK/xfs-guess"
(cd "$WORK/xfs-guess" && zstd -dc "$WORK/plain.img" | cpio -id --quiet && echo xfs >lib/unlock/rootfstype &&
	find . | LC_ALL=C sort | cpio -o -H newc --quiet | zstd -q -3 >"$WORK/xfs-guess.img")
boot wrong-then-right "$WORK/xfs-guess.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS rd.debug" \
	"expect:Passphrase for" 'send:wrong horse\n' "expect:Wrong passphrase for luks-$L2 (attempt 1 of 3)" \
	"expect:Passphrase for" 'send:correct horse\n' "expect:UNLOCK-MARKER end"
marker wrong-then-right "^\[ *[0-9]+\.[0-9]{6}\] unlock: debug: luks-$L2: volume key verified" "rd.debug: steps with the time since boot"
marker wrong-then-right "unlock: debug: module dm_crypt loaded" "rd.debug: modules loaded are named"
marker wrong-then-right "unlock: debug: the image expects the root filesystem to be xfs; loading its driver meanwhile" \
	"the expected root filesystem's driver loads at once"
marker wrong-then-right "unlock: debug: luks-$L2: holds ext4; loading its driver meanwhile" \
	"the filesystem inside is recognised before the mapping exists"
marker wrong-then-right "unlock: debug: 1 typed passphrase\(s\) left in root's keyring as \"cryptsetup\" for the system" \
	"rd.debug: the typed passphrase is handed on to the system's keyring"
marker wrong-then-right "unlock: debug: handing over to /sbin/init" "rd.debug: the hand-over"
marker wrong-then-right "UNLOCK-MARKER inherited core=unlimited " "the real init inherits the kernel's core limit, not a lowered one"
marker wrong-then-right "UNLOCK-MARKER inherited .* keys=.*cryptsetup:" "the real init finds the typed passphrase in root's keyring"
if console_text "$WORK/wrong-then-right.log" | grep -a "UNLOCK-MARKER inherited" | grep -aq "mapper/control"; then
	not_ok "boot: wrong-then-right: the real init inherits no device-mapper control descriptor" \
		"$(grep -a "UNLOCK-MARKER inherited" "$WORK/wrong-then-right.log")"
else
	ok "boot: wrong-then-right: the real init inherits no device-mapper control descriptor"
fi
if grep -aqE "horse" "$WORK/wrong-then-right.log"; then
	not_ok "boot: wrong-then-right: no passphrase on the console, even with rd.debug" "$(grep -a horse "$WORK/wrong-then-right.log")"
else
	ok "boot: wrong-then-right: no passphrase on the console, even with rd.debug"
fi

# An init= that the root filesystem lacks: named, and found missing before the typed passphrase is
# left in the keyring, where an emergency shell would find it.
boot init-missing "$WORK/plain.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS rd.debug init=/sbin/nowhere" \
	"expect:Passphrase for" 'send:correct horse\n' "expect:init= on the kernel command line names /sbin/nowhere" \
	"expect:boot failed: the real init was not found on the root filesystem" "expect:no shell in this image"
if grep -aq "left in root's keyring" "$WORK/init-missing.log"; then
	not_ok "boot: init-missing: the passphrase is not left in the keyring" "$(grep -a "keyring" "$WORK/init-missing.log")"
else
	ok "boot: init-missing: the passphrase is not left in the keyring"
fi

# A real init the kernel cannot start (another machine's): the reason on the console, the typed
# passphrase taken back out of the keyring, and an emergency shell that is PID 1's child, in a
# session of its own with the console as its terminal; when it exits, the person is told what next.
# SHELL_PROBE: what the person types there (its output differs from the typed text).
# shellcheck disable=SC2016 # expanded by the guest's shell
SHELL_PROBE='send:awk '"'"'{ print "SHELL-KEY " $9 }'"'"' /proc/keys; awk '"'"'{ print "SHELL-STAT pid=" $1 " sid=" $6 " tty=" $7 }'"'"' /proc/$$/stat; echo PROBE-$((1+1))-END\n'
shell_checks() { # NAME: the probe ran in a shell of its own, and found no passphrase in the keyring
	local stat
	stat=$(console_text "$WORK/$1.log" | grep -aoE "SHELL-STAT pid=[0-9]+ sid=[0-9]+ tty=[0-9]+" | tail -1)
	if [[ $stat =~ pid=([0-9]+)\ sid=([0-9]+)\ tty=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" != 1 ] &&
		[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[3]}" != 0 ]; then
		ok "boot: $1: the shell is PID 1's child, a session leader with the console as its terminal"
	else
		not_ok "boot: $1: the shell is PID 1's child, a session leader with the console as its terminal" "${stat:-no SHELL-STAT line}"
	fi
	if ! console_text "$WORK/$1.log" | grep -aq "PROBE-2-END"; then
		not_ok "boot: $1: no passphrase in root's keyring" "the probe did not run"
	elif console_text "$WORK/$1.log" | grep -aq "SHELL-KEY cryptsetup"; then
		not_ok "boot: $1: no passphrase in root's keyring" "$(grep -a "SHELL-KEY" "$WORK/$1.log")"
	else
		ok "boot: $1: no passphrase in root's keyring"
	fi
}
boot init-wrong-arch "$WORK/plain.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS init=/sbin/init.aarch64" \
	"expect:Passphrase for" 'send:correct horse\n' \
	"expect:boot failed: the kernel could not start the real init /sbin/init.aarch64: Exec format error" \
	"expect:holds an init for this machine" "expect:starting an emergency shell" "$SHELL_PROBE" "expect:PROBE-2-END" \
	'send:exit\n' "expect:the boot cannot be tried again from here; press Ctrl-Alt-Del"
shell_checks init-wrong-arch

# The same under AddressSanitizer: unlock's sanitizer build as PID 1, with its libraries (a busybox
# /init mounts /proc and /dev for the sanitizer's runtime, then execs it as PID 1). The volume opens
# with a key file, so nothing was asked before the failure: the emergency path is the first to talk
# to the person, and it once did so through the device loader that the hand-over had freed.
mkdir -p "$WORK/asan/usr/sbin" "$WORK/asan/bin"
(cd "$WORK/asan" && zstd -dc "$WORK/plain.img" | cpio -id --quiet)
cp "$TOP/build/asan/unlock" "$WORK/asan/usr/sbin/unlock.asan"
cp /bin/busybox "$WORK/asan/bin/busybox"
cp "$WORK/l2/keyfile" "$WORK/asan/etc/asan.key"
for lib in $(ldd "$TOP/build/asan/unlock" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'); do
	mkdir -p "$WORK/asan$(dirname "$lib")" && cp -L "$lib" "$WORK/asan$lib"
done
rm -f "$WORK/asan/init"
cat >"$WORK/asan/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs devtmpfs /dev
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1
exec /usr/sbin/unlock.asan "$@"
EOF
chmod 0755 "$WORK/asan/init"
(cd "$WORK/asan" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | zstd -q -3 >"$WORK/asan.img")
boot init-wrong-arch-asan "$WORK/asan.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 rd.luks.key=/etc/asan.key root=UUID=$FS init=/sbin/init.aarch64" \
	"expect:boot failed: the kernel could not start the real init /sbin/init.aarch64: Exec format error" \
	"expect:starting an emergency shell" "$SHELL_PROBE" "expect:PROBE-2-END" \
	'send:exit\n' "expect:the boot cannot be tried again from here; press Ctrl-Alt-Del"
if grep -aq "AddressSanitizer\|runtime error" "$WORK/init-wrong-arch-asan.log"; then
	not_ok "boot: init-wrong-arch-asan: no sanitizer report" \
		"$(grep -a -A5 "AddressSanitizer\|runtime error" "$WORK/init-wrong-arch-asan.log" | head -12)"
else
	ok "boot: init-wrong-arch-asan: no sanitizer report"
fi
shell_checks init-wrong-arch-asan

# In an image with a shell: a stray Ctrl-D at the question costs one try, the emergency shell comes
# when the tries ran out, and exiting it tries the boot again.
mkdir -p "$WORK/shell/bin"
(cd "$WORK/shell" && zstd -dc "$WORK/plain.img" | cpio -id --quiet)
cp /bin/busybox "$WORK/shell/bin/busybox"
for tool in sh awk cat; do ln -sf busybox "$WORK/shell/bin/$tool"; done
(cd "$WORK/shell" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | zstd -q -3 >"$WORK/shell.img")
boot shell-retry "$WORK/shell.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS rd.luks.options=tries=2" \
	"expect:Passphrase for" 'send:stray\x04' "expect:The passphrase was not ended with Enter" \
	"expect:Passphrase for" 'send:wrong\n' "expect:attempt 2 of 2" \
	"expect:boot failed: an encrypted volume could not be opened" "expect:exit it to try the boot again" \
	"$SHELL_PROBE" "expect:PROBE-2-END" 'send:exit\n' "expect:trying the boot again" \
	"expect:Passphrase for" 'send:correct horse\n' "expect:UNLOCK-MARKER end"
shell_checks shell-retry

boot tries-exhausted "$WORK/plain.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS rd.luks.options=$L2=tries=2" \
	"expect:Passphrase for" 'send:nope\n' "expect:attempt 1 of 2" "expect:Passphrase for" 'send:nope again\n' \
	"expect:attempt 2 of 2" "expect:boot failed: an encrypted volume could not be opened" "expect:Ctrl-Alt-Del"

# crypttab's timeout= bounds the wait for a passphrase (systemd's meaning), in systemd's time units.
boot prompt-timeout "$WORK/plain.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS rd.luks.options=$L2=timeout=3s" \
	"expect:Passphrase for" "expect:luks-$L2: no passphrase was entered within 3 s (crypttab timeout=)" \
	"expect:boot failed: an encrypted volume could not be opened"
if grep -aq "did not appear" "$WORK/prompt-timeout.log"; then
	not_ok "boot: prompt-timeout: the device is not blamed" "$(grep -a "did not appear" "$WORK/prompt-timeout.log")"
else
	ok "boot: prompt-timeout: the device is not blamed"
fi

# A root= that never appears: the console says what the opened volume holds and which root= fits.
MISSING=00000000-1111-4222-8333-444444444444
boot root-missing "$WORK/plain.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$MISSING rd.timeout=3" \
	"expect:Passphrase for" 'send:correct horse\n' "expect:root device UUID=$MISSING did not appear within 3 s" \
	"expect:/dev/mapper/luks-$L2 holds ext4 with UUID=$FS; if that is the root filesystem, boot with root=UUID=$FS" \
	"expect:boot failed: the root filesystem could not be mounted"

# repack IMAGE OUT COMMAND [AFTER]: IMAGE unpacked, COMMAND run inside the tree, the module index
# rebuilt, AFTER run, packed again as OUT.
repack() {
	rm -rf "$WORK/repack"
	mkdir -p "$WORK/repack"
	(cd "$WORK/repack" && zstd -dc "$1" | cpio -id --quiet 2>/dev/null && sh -ec "$3" &&
		depmod -b . "$KVER" 2>/dev/null && sh -ec "${4:-:}" &&
		find . | cpio --quiet -o -H newc -R 0:0 | zstd -q -T0 >"$2")
}

# Modules a distribution ships compressed (Debian 13 with xz, Ubuntu and Fedora with zstd) load
# at boot: this kernel cannot decompress them itself, so unlock's libkmod does.
repack "$WORK/plain.img" "$WORK/xzmods.img" "xz lib/modules/$KVER/kernel/drivers/block/virtio_blk.ko &&
	zstd -q --rm lib/modules/$KVER/kernel/drivers/md/dm-crypt.ko"
boot compressed-modules "$WORK/xzmods.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS" \
	"expect:Passphrase for" 'send:correct horse\n' "expect:UNLOCK-MARKER end"
if grep -aq "could not be loaded" "$WORK/compressed-modules.log"; then
	not_ok "boot: compressed-modules: every module loaded" "$(grep -a "could not be loaded" "$WORK/compressed-modules.log")"
else
	ok "boot: compressed-modules: every module loaded"
fi

# A module the kernel refuses is named with the reason; the disk it drives never appears, and the
# console blames the driver, not the passphrase.
repack "$WORK/plain.img" "$WORK/badmod.img" : "head -c 4096 /dev/urandom >lib/modules/$KVER/kernel/drivers/block/virtio_blk.ko"
boot module-refused "$WORK/badmod.img" "$WORK/l2/disk.img" \
	"rd.luks.uuid=$L2 root=UUID=$FS rd.luks.options=$L2=x-systemd.device-timeout=3s" \
	"expect:kernel module virtio_blk could not be loaded: the kernel cannot read the module file" \
	"expect:luks-$L2: device UUID=$L2 did not appear within 3 s" \
	"expect:1 kernel module(s) could not be loaded (named above)" \
	"expect:check that the disk is attached and that the image has its drivers"
if console_text "$WORK/module-refused.log" | grep -aq "check the passphrase"; then
	not_ok "boot: module-refused: the passphrase is not blamed" "$(grep -a "check the passphrase" "$WORK/module-refused.log")"
else
	ok "boot: module-refused: the passphrase is not blamed"
fi

mkdir -p "$WORK/etc/keys"
cp "$WORK/l2/keyfile" "$WORK/etc/keys/root.key"
printf '# test crypttab\nroot UUID=%s /etc/keys/root.key luks,discard,keyfile-erase\ndata UUID=00000000-0000-4000-8000-000000000000 none luks,nofail,x-systemd.device-timeout=2s\n' "$L2" >"$WORK/crypttab"
# The key file goes into the image at the path it has on this machine: build under that path.
mkdir -p /etc/unlock-test-keys
cp "$WORK/l2/keyfile" /etc/unlock-test-keys/root.key
sed -i 's|/etc/keys/root.key|/etc/unlock-test-keys/root.key|' "$WORK/crypttab"
(umask 022 && "$MKINITRD" -o "$WORK/keyfile.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab" --key-file /etc/unlock-test-keys/root.key)
rm -rf /etc/unlock-test-keys
check_eq "mkinitrd: an image holding a key file is root's alone (0600) under umask 022" 600 "$(stat -c %a "$WORK/keyfile.img")"
if zstd -dc "$WORK/keyfile.img" | (cd "$WORK" && mkdir -p x && cd x && cpio -id --quiet 2>/dev/null) && \
	[ "$(stat -c %a "$WORK/x/etc/unlock-test-keys/root.key")" = 400 ]; then
	ok "mkinitrd: key file in the image with mode 0400"
else
	not_ok "mkinitrd: key file in the image with mode 0400"
fi
boot keyfile-crypttab "$WORK/keyfile.img" "$WORK/l2/disk.img" "root=/dev/mapper/root" "expect:UNLOCK-MARKER end"
marker keyfile-crypttab "dm=root:CRYPT-LUKS2-${L2//-/}-root" "crypttab name used, no prompt"
marker keyfile-crypttab "continuing because it is marked nofail" "a missing nofail volume does not block boot"
marker keyfile-crypttab "root: key file /etc/unlock-test-keys/root.key erased \\(keyfile-erase\\)" "keyfile-erase removes the key file from the image"

# A key file on a USB stick (FAT, as such sticks come), named PATH:DEVICE in crypttab as systemd
# reads it: found by label, mounted read-only for the moment it takes, no prompt. Without the stick,
# keyfile-timeout= makes the boot ask for the passphrase instead.
mkfs.fat -C -n KEYSTICK "$WORK/keystick.img" 4096 >/dev/null
mmd -i "$WORK/keystick.img" ::/keys
mcopy -i "$WORK/keystick.img" "$WORK/l2/keyfile" ::/keys/root.key
# USB enumeration under emulation takes seconds: the stick's image waits long enough for it.
printf 'root UUID=%s /keys/root.key:LABEL=KEYSTICK luks,keyfile-timeout=60s\n' "$L2" >"$WORK/crypttab-stick"
"$MKINITRD" -o "$WORK/stick.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-stick"
sed 's/keyfile-timeout=60s/keyfile-timeout=3s/' "$WORK/crypttab-stick" >"$WORK/crypttab-nostick"
"$MKINITRD" -o "$WORK/nostick.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-nostick"
if zstd -dc "$WORK/stick.img" | cpio -t 2>/dev/null | grep -q 'keys/root.key'; then
	not_ok "mkinitrd: a key file on a device stays out of the image"
else
	ok "mkinitrd: a key file on a device stays out of the image"
fi
# shellcheck disable=SC2054 # QEMU's own comma-separated options
usb_stick=(-device qemu-xhci -drive "if=none,id=stick,format=raw,file=$WORK/keystick.img" -device usb-storage,drive=stick)
boot key-on-usb-stick "$WORK/stick.img" "$WORK/l2/disk.img" "root=/dev/mapper/root rd.debug" \
	"expect:UNLOCK-MARKER end" -- "${usb_stick[@]}"
marker key-on-usb-stick "unlock: debug: root: key read from /keys/root.key on /dev/sd" "the key is read from the stick"
marker key-on-usb-stick "dm=root:CRYPT-LUKS2-" "no prompt"
boot key-stick-missing "$WORK/nostick.img" "$WORK/l2/disk.img" "root=/dev/mapper/root" \
	"expect:root: the key device LABEL=KEYSTICK did not appear within 3 s" \
	"expect:root: no key from LABEL=KEYSTICK; asking for the passphrase instead (keyfile-timeout=)" \
	"expect:Passphrase for root" 'send:correct horse\n' "expect:UNLOCK-MARKER end"

# Debian's passdev line for the same stick: DEVICE:PATH:TIMEOUT, read by unlock itself, no prompt.
printf 'root UUID=%s /dev/disk/by-label/KEYSTICK:/keys/root.key:60 luks,keyscript=/lib/cryptsetup/scripts/passdev\n' \
	"$L2" >"$WORK/crypttab-passdev"
"$MKINITRD" -o "$WORK/passdev.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-passdev" 2>"$WORK/passdev.err"
check_eq "mkinitrd: a passdev line gives no warning" "" "$(grep warning "$WORK/passdev.err")"
boot passdev "$WORK/passdev.img" "$WORK/l2/disk.img" "root=/dev/mapper/root rd.debug" "expect:UNLOCK-MARKER end" -- "${usb_stick[@]}"
marker passdev "unlock: debug: root: key read from /keys/root.key on /dev/sd" "the key is read from the stick, no prompt"

# A hostile stick whose key path is a FIFO: refused at once (opening it would wait for a writer
# forever), and the boot asks for the passphrase instead.
mkdir -p "$WORK/fifostick/keys"
mkfifo "$WORK/fifostick/keys/root.key"
mkfs.ext4 -q -F -L FIFOSTICK -d "$WORK/fifostick" "$WORK/fifostick.img" 8M >/dev/null
printf 'root UUID=%s /keys/root.key:LABEL=FIFOSTICK luks,keyfile-timeout=30s\n' "$L2" >"$WORK/crypttab-fifo"
"$MKINITRD" -o "$WORK/fifo.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-fifo"
boot key-is-a-fifo "$WORK/fifo.img" "$WORK/l2/disk.img" "root=/dev/mapper/root" \
	"expect:root: /keys/root.key on the key device LABEL=FIFOSTICK is not a regular file" \
	"expect:Passphrase for root" 'send:correct horse\n' "expect:UNLOCK-MARKER end" -- \
	-drive "file=$WORK/fifostick.img,if=virtio,format=raw"

# One device named twice in crypttab: mapped once, the second line refused with the holder's name
# before anything is asked (the passphrase typed for the first would otherwise open it again).
printf 'root UUID=%s none luks\nagain /dev/vda none luks,nofail\n' "$L2" >"$WORK/crypttab-twice"
"$MKINITRD" -o "$WORK/twice.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-twice"
boot mapped-once "$WORK/twice.img" "$WORK/l2/disk.img" "root=/dev/mapper/root" \
	"expect:Passphrase for root" 'send:correct horse\n' \
	"expect:again: /dev/vda is already mapped as /dev/mapper/root; it is not mapped a second time" "expect:UNLOCK-MARKER end"
marker mapped-once "UNLOCK-MARKER pid=1 root=[^ ]* dm=root:CRYPT-LUKS2-[0-9a-f]*-root uptime" "one mapping of the device, no second view"

# mkinitcpio's cryptkey=DEVICE:OFFSET:SIZE: the key is 64 bytes at offset 4096 of a raw device.
cp --sparse=always "$WORK/l2/disk.img" "$WORK/rawkey-disk.img"
head -c 64 /dev/urandom >"$WORK/raw.key"
cryptsetup luksAddKey -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$WORK/l2/passphrase" \
	"$WORK/rawkey-disk.img" "$WORK/raw.key"
head -c 1M /dev/urandom >"$WORK/rawkey-dev.img"
dd if="$WORK/raw.key" of="$WORK/rawkey-dev.img" bs=4096 seek=1 conv=notrunc status=none
boot cryptkey-raw "$WORK/plain.img" "$WORK/rawkey-disk.img" "cryptdevice=UUID=$L2:cryptroot cryptkey=/dev/vdb:4096:64 root=/dev/mapper/cryptroot" \
	"expect:UNLOCK-MARKER end" -- -drive "file=$WORK/rawkey-dev.img,if=virtio,format=raw"
marker cryptkey-raw "dm=cryptroot:CRYPT-LUKS2-" "the key is read raw from the device, no prompt"
# mkinitcpio's cryptkey=DEVICE:FSTYPE:PATH, with udev's /dev/disk/by-* names that no udev made.
boot cryptkey-by-label "$WORK/plain.img" "$WORK/l2/disk.img" \
	"cryptdevice=/dev/disk/by-uuid/$L2:cryptroot cryptkey=/dev/disk/by-label/KEYSTICK:auto:/keys/root.key root=/dev/mapper/cryptroot" \
	"expect:UNLOCK-MARKER end" -- "${usb_stick[@]}"
marker cryptkey-by-label "dm=cryptroot:CRYPT-LUKS2-" "the key file is read from the stick, no prompt"

# A key file that opens nothing: the passphrase is asked for instead, as systemd-cryptsetup does.
head -c 64 /dev/urandom >"$WORK/wrong.key"
"$MKINITRD" -o "$WORK/wrongkey.img" --kver "$KVER" --generic --key-file "$WORK/wrong.key"
boot wrong-key-file "$WORK/wrongkey.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 rd.luks.key=$WORK/wrong.key root=UUID=$FS" \
	"expect:luks-$L2: the key file $WORK/wrong.key opens no keyslot" \
	"expect:luks-$L2: asking for the passphrase instead of the key file" \
	"expect:Passphrase for luks-$L2" 'send:correct horse\n' "expect:UNLOCK-MARKER end"

# systemd's default key file: NAME.key in the image's /etc/cryptsetup-keys.d/ for a volume without one.
keysd_made=0
[ -d /etc/cryptsetup-keys.d ] || { mkdir -m 0700 /etc/cryptsetup-keys.d && keysd_made=1; }
cp "$WORK/l2/keyfile" "/etc/cryptsetup-keys.d/luks-$L2.key"
"$MKINITRD" -o "$WORK/keysd.img" --kver "$KVER" --generic --key-file "/etc/cryptsetup-keys.d/luks-$L2.key"
rm -f "/etc/cryptsetup-keys.d/luks-$L2.key"
[ "$keysd_made" = 0 ] || rmdir /etc/cryptsetup-keys.d
boot default-key-file "$WORK/keysd.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS rd.debug" "expect:UNLOCK-MARKER end"
marker default-key-file "luks-$L2: using the key file /etc/cryptsetup-keys.d/luks-$L2.key" "NAME.key is found, no prompt"
marker default-key-file "luks-$L2: holds ext4, as the image expected; its driver is loading" \
	"a generic image's ext4 driver loads before the volume is open, and once only"
# Once the only volume's disk is there, the background loader holds: the SATA controller QEMU always
# has gets no driver in the initramfs (the real system's udev loads it).
marker default-key-file "every device the boot waits for is present; other drivers wait" "the background loader holds once the disk is there"
if grep -aq "^MODS ahci " "$WORK/default-key-file.log"; then
	not_ok "boot: default-key-file: no driver for the empty SATA controller" "$(grep -a "^MODS" "$WORK/default-key-file.log" | tr '\n' ' ')"
else
	ok "boot: default-key-file: no driver for the empty SATA controller"
fi

# ... but not while a volume's disk is missing: a second volume on a SATA disk (behind the
# controller whose driver the loader would otherwise hold back) opens with its key file.
truncate -s 32M "$WORK/sata-data.img"
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$WORK/sata-data.img" "$WORK/l2/keyfile"
mkdir -p /etc/unlock-test-keys
cp "$WORK/l2/keyfile" /etc/unlock-test-keys/root.key
printf 'root UUID=%s /etc/unlock-test-keys/root.key luks\ndata UUID=%s /etc/unlock-test-keys/root.key luks\n' \
	"$L2" "$(cryptsetup luksUUID "$WORK/sata-data.img")" >"$WORK/crypttab-sata"
"$MKINITRD" -o "$WORK/sata.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-sata"
rm -rf /etc/unlock-test-keys
boot second-disk-on-sata "$WORK/sata.img" "$WORK/l2/disk.img" "root=/dev/mapper/root" "expect:UNLOCK-MARKER end" -- \
	-drive "if=none,id=sata,format=raw,file=$WORK/sata-data.img" -device ide-hd,drive=sata,bus=ide.0
marker second-disk-on-sata "/dev/sd[a-z]: opened as /dev/mapper/data" "the volume on the SATA disk is opened"
marker second-disk-on-sata "root:CRYPT-LUKS2-${L2//-/}-root" "root boots, no prompt"

# A passphrase is asked once for volumes that share it, as with systemd-cryptsetup's cached
# passwords: "data" opens with the one typed for root (its line is Debian's way to say so, with
# decrypt_keyctl, whose key field is a name, not a file). "other" has its own: it is asked for
# twice each time (verify), the first two answers differ and use up one of its two tries, and the
# earlier passphrase, tried first, used up none. "blank" opens with an empty
# passphrase (try-empty-password=), after both typed ones fail, without a question. systemd's
# password-cache=: "nocache" (=no) is asked although root's passphrase would open it; "again"
# shares other's passphrase but is asked, since other (=read-only) did not keep it. Two volumes
# unlock cannot open, a BitLocker one and one with a key script of its own, are refused with the
# reason, both when the image is built and at boot.
for v in data other blank nocache again; do truncate -s 20M "$WORK/share-$v.img"; done
printf 'battery staple' >"$WORK/other.pass"
: >"$WORK/blank.pass"
for v in data:l2/passphrase other:other.pass blank:blank.pass nocache:l2/passphrase again:other.pass; do
	cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$WORK/share-${v%%:*}.img" "$WORK/${v#*:}"
done
cat >"$WORK/crypttab-share" <<TAB
root UUID=$L2 none luks
data /dev/vdb shared_pw luks,keyscript=decrypt_keyctl
other /dev/vdc none luks,tries=2,verify,password-cache=read-only
blank /dev/vdd none luks,try-empty-password
nocache /dev/vde none luks,password-cache=no
again /dev/vdf none luks
win /dev/vdz none bitlk,nofail
script /dev/vdz /dev/disk/by-label/KEYS:/k.key luks,keyscript=/etc/keys/getkey,nofail
TAB
"$MKINITRD" -o "$WORK/share.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-share" 2>"$WORK/share.err"
for warning in "win: unlock does not open bitlk volumes, so the boot will not open win" \
	"script: keyscript=/etc/keys/getkey: unlock runs no key scripts, so the boot will not open script"; do
	if grep -q "warning: crypttab: $warning" "$WORK/share.err"; then
		ok "mkinitrd: a volume unlock cannot open is named in a warning: $warning"
	else
		not_ok "mkinitrd: a volume unlock cannot open is named in a warning: $warning" "$(cat "$WORK/share.err")"
	fi
done
boot shared-passphrase "$WORK/share.img" "$WORK/l2/disk.img" "root=/dev/mapper/root" \
	"expect:Passphrase for root (UUID=$L2)" 'send:correct horse\n' \
	"expect:Passphrase for other (/dev/vdc)" 'send:battery staple\n' "expect:Repeat the passphrase for other" \
	'send:battery stapel\n' "expect:The two passphrases for other differ" \
	"expect:Passphrase for other (/dev/vdc)" 'send:battery staple\n' "expect:Repeat the passphrase for other" \
	'send:battery staple\n' \
	"expect:Passphrase for nocache (/dev/vde)" 'send:correct horse\n' \
	"expect:Passphrase for again (/dev/vdf)" 'send:battery staple\n' \
	"expect:win: BitLocker volumes (bitlk) are not opened by unlock" \
	"expect:script: keyscript=/etc/keys/getkey: unlock runs no key scripts" "expect:UNLOCK-MARKER end" -- \
	-drive "file=$WORK/share-data.img,if=virtio,format=raw" -drive "file=$WORK/share-other.img,if=virtio,format=raw" \
	-drive "file=$WORK/share-blank.img,if=virtio,format=raw" -drive "file=$WORK/share-nocache.img,if=virtio,format=raw" \
	-drive "file=$WORK/share-again.img,if=virtio,format=raw"
marker shared-passphrase "data: opened with a passphrase typed for a volume before it" "the passphrase typed for root opens data"
marker shared-passphrase "blank: opened with an empty passphrase \(try-empty-password=\)" "try-empty-password opens blank"
for v in data other blank nocache again; do
	marker shared-passphrase "dm=.*$v:CRYPT-LUKS2-$(cryptsetup luksUUID "$WORK/share-$v.img" | tr -d -)-$v" "$v is mapped"
done
asked=$(console_text "$WORK/shared-passphrase.log" | grep -ao "Passphrase for [a-z]*" | tr '\n' ' ')
check_eq "boot: shared-passphrase: asked for root once, other twice, nocache and again once, nothing else" \
	"Passphrase for root Passphrase for other Passphrase for other Passphrase for nocache Passphrase for again " "$asked"

# Debian's check= on a plain root: a mistyped passphrase maps noise, which libblkid does not
# recognise, so the mapping is removed and the passphrase asked again (tries=0: no limit, so the
# console counts attempts without a total). The plain volume is made here as cryptsetup would (key
# = sha256 of the passphrase, AES-128-XTS); the guest kernel's dm-crypt reading the root proves it. "data" (the LUKS disk with ext4 inside, opened by its key
# file) fails its check=xfs and is closed again; "guard" (precheck=un_blkid, Debian's guard against
# a plain mapping over real data) is not opened over that LUKS disk. Both are nofail: boot goes on.
python3 -c 'import hashlib, sys; sys.stdout.buffer.write(hashlib.sha256(b"plain horse").digest())' >"$WORK/plain-root.key"
"$TOP/build/sector-crypt" encrypt aes-xts-plain64 "$WORK/plain-root.key" 512 <"$WORK/l2/fs.img" >"$WORK/plain-root.img"
cat >"$WORK/crypttab-check" <<TAB
root /dev/vda none plain,cipher=aes-xts-plain64,size=256,hash=sha256,check,tries=0
data UUID=$L2 $WORK/l2/keyfile luks,check=xfs,nofail
own /dev/vdz none plain,check=/usr/local/sbin/mycheck,nofail
guard /dev/vdb none plain,precheck=un_blkid,nofail
TAB
"$MKINITRD" -o "$WORK/check.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-check" 2>"$WORK/check.err"
if grep -q "warning: crypttab: own: check=/usr/local/sbin/mycheck: unlock runs no check programs" "$WORK/check.err"; then
	ok "mkinitrd: a check program unlock does not do is named in a warning"
else
	not_ok "mkinitrd: a check program unlock does not do is named in a warning" "$(cat "$WORK/check.err")"
fi
boot content-check "$WORK/check.img" "$WORK/plain-root.img" "root=/dev/mapper/root" \
	"expect:Passphrase for root (/dev/vda, plain dm-crypt)" 'send:plain hors\n' \
	"expect:root: the check blkid wants a recognisable filesystem or volume, but /dev/mapper/root holds nothing recognisable" \
	"expect:Wrong passphrase for root (attempt 1)." \
	"expect:Passphrase for root (/dev/vda, plain dm-crypt)" 'send:plain horse\n' \
	"expect:data: the check xfs wants an XFS filesystem, but /dev/mapper/data holds ext4" \
	"expect:data: could not be opened; continuing because it is marked nofail" \
	"expect:own: check=/usr/local/sbin/mycheck: unlock runs no check programs" \
	"expect:guard: the precheck un_blkid wants no recognisable content, but /dev/vdb holds crypto_LUKS" \
	"expect:UNLOCK-MARKER end" -- \
	-drive "file=$WORK/l2/disk.img,if=virtio,format=raw,readonly=on"
marker content-check "dm=root:CRYPT-PLAIN-root uptime=" "the plain root is mapped and mounted; data is closed again"

# headless= never asks: without a key the volume fails, and the console says why.
boot headless "$WORK/plain.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS rd.luks.options=$L2=headless=yes" \
	"expect:luks-$L2: no key opened it, and headless= forbids asking for a passphrase" \
	"expect:boot failed: an encrypted volume could not be opened"
if console_text "$WORK/headless.log" | grep -a "Passphrase for" >/dev/null; then
	not_ok "boot: headless: no passphrase is asked for" "$(grep -a "Passphrase for" "$WORK/headless.log")"
else
	ok "boot: headless: no passphrase is asked for"
fi

DETACHED=1 "$TOP/qemu/mkdisk.sh" "$WORK/det" luks2 >/dev/null
mkdir -p /etc/unlock-test-hdr
cp "$WORK/det/header.img" /etc/unlock-test-hdr/root.hdr
printf 'root /dev/vda none header=/etc/unlock-test-hdr/root.hdr,tries=1\n' >"$WORK/crypttab-det"
"$MKINITRD" -o "$WORK/detached.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-det"
rm -rf /etc/unlock-test-hdr
boot detached-header "$WORK/detached.img" "$WORK/det/disk.img" "root=/dev/mapper/root" \
	"expect:Passphrase for root (/dev/vda)" 'send:correct horse\n' "expect:UNLOCK-MARKER end"
marker detached-header "root=/dev/mapper/root dm=root:CRYPT-LUKS2-$(tr -d - <"$WORK/det/luks.uuid")-root" "header from the image, data from the disk"
# The header on a device of its own, named the way udev would (no udev made the link), waited for.
printf 'root /dev/vda none header=/dev/disk/by-uuid/%s,tries=1\n' "$(cat "$WORK/det/luks.uuid")" >"$WORK/crypttab-dethw"
"$MKINITRD" -o "$WORK/detached-dev.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-dethw"
boot detached-header-device "$WORK/detached-dev.img" "$WORK/det/disk.img" "root=/dev/mapper/root" \
	"expect:Passphrase for root (/dev/vda)" 'send:correct horse\n' "expect:UNLOCK-MARKER end" -- \
	-drive "file=$WORK/det/header.img,if=virtio,format=raw"
marker detached-header-device "dm=root:CRYPT-LUKS2-$(tr -d - <"$WORK/det/luks.uuid")-root" "header from its own device"
# The header as a file on a stick's filesystem (header=PATH:DEVICE, split as systemd splits it):
# mounted read-only for the moment it takes, the file resolved inside it, never put in the image.
mkfs.fat -C -n HDRSTICK "$WORK/hdrstick.img" 32768 >/dev/null
mmd -i "$WORK/hdrstick.img" ::/luks
mcopy -i "$WORK/hdrstick.img" "$WORK/det/header.img" ::/luks/root.hdr
printf 'root /dev/vda none header=/luks/root.hdr:LABEL=HDRSTICK,tries=1\n' >"$WORK/crypttab-dethf"
"$MKINITRD" -o "$WORK/detached-file.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-dethf"
if zstd -dc "$WORK/detached-file.img" | cpio -t 2>/dev/null | grep -q 'root\.hdr'; then
	not_ok "mkinitrd: a header file on a device stays out of the image"
else
	ok "mkinitrd: a header file on a device stays out of the image"
fi
boot detached-header-file-on-device "$WORK/detached-file.img" "$WORK/det/disk.img" "root=/dev/mapper/root rd.debug" \
	"expect:Passphrase for root (/dev/vda)" 'send:correct horse\n' "expect:UNLOCK-MARKER end" -- \
	-drive "file=$WORK/hdrstick.img,if=virtio,format=raw"
marker detached-header-file-on-device "unlock: debug: root: header /luks/root.hdr on /dev/vdb" "the header is read from the stick's filesystem"
marker detached-header-file-on-device "dm=root:CRYPT-LUKS2-$(tr -d - <"$WORK/det/luks.uuid")-root" "and opens the volume"

# A GPT disk whose second partition holds the LUKS volume, named in crypttab by PARTUUID=.
PARTUUID=3f1c6a2e-5b7d-4c1e-9a0b-2d4e6f8a0c12
truncate -s 64M "$WORK/gpt.img"
printf 'label: gpt\nstart=2048, size=8192, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=spare\nstart=10240, size=98304, type=CA7D7CCB-63ED-4C53-861C-1742536059CC, uuid=%s, name=cryptroot\n' \
	"$PARTUUID" | sfdisk -q "$WORK/gpt.img"
dd if="$WORK/l2/disk.img" of="$WORK/gpt.img" bs=512 seek=10240 conv=notrunc status=none
echo "root PARTUUID=$PARTUUID none luks" >"$WORK/crypttab-gpt"
"$MKINITRD" -o "$WORK/gpt-initrd.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-gpt"

# Names only udev makes (/dev/disk/by-id/, by-path/) do not exist at boot: unlock-mkinitrd renames
# them in the image's crypttab by names of the same devices that unlock resolves itself. The
# building machine is played by a mount namespace whose /dev has the links udev would make, to
# read-only loop devices over the test disks. (This host's kernel reads no partition tables: the
# by-partuuid renaming of partitions is tested in the guest, guest_udev_names.sh.)
# A name it cannot rename stays, with a warning, and the boot says at once why it cannot find it.
loops=""
for img in "$WORK/l2/disk.img" "$WORK/keystick.img" "$WORK/rawkey-dev.img" "$WORK/det/header.img"; do
	loops="$loops $(losetup -f --show -r "$img")"
done
# shellcheck disable=SC2086 # the loop devices
set -- $loops
trap 'losetup -d $loops 2>/dev/null; rm -rf "$WORK"' EXIT
printf 'root /dev/disk/by-id/virtio-unlock-root none luks\nghost /dev/disk/by-id/virtio-not-here none luks,nofail\n' \
	>"$WORK/crypttab-udev"
cat >"$WORK/crypttab-udev-forms" <<TAB
# a comment, kept
other UUID=$L2 /keys/root.key:/dev/disk/by-id/usb-Generic_Flash_Disk_5A8C1F02 luks,discard
rawkey UUID=$L2 /dev/disk/by-id/virtio-unlock-raw luks,keyfile-size=64
hdr /dev/vdb none luks,header=/dev/disk/by-path/pci-0000:00:06.0,tries=1
hdrfile /dev/vdb none luks,header=/luks/root.hdr:/dev/disk/by-id/usb-Generic_Flash_Disk_5A8C1F02
TAB
# shellcheck disable=SC2016 # expanded by the namespace's shell
unshare -m sh -c '
	set -e
	mount -t tmpfs -o mode=0755 udev-test /dev
	mknod /dev/null c 1 3 && mknod /dev/zero c 1 5 && mknod /dev/urandom c 1 9
	for b in "$1" "$2" "$3" "$4"; do
		mknod "$b" b $(tr : " " <"/sys/class/block/${b#/dev/}/dev")
	done
	mkdir -p /dev/disk/by-id /dev/disk/by-path
	ln -s "../../${1#/dev/}" /dev/disk/by-id/virtio-unlock-root
	ln -s "../../${2#/dev/}" /dev/disk/by-id/usb-Generic_Flash_Disk_5A8C1F02
	ln -s "../../${3#/dev/}" /dev/disk/by-id/virtio-unlock-raw
	ln -s "../../${4#/dev/}" /dev/disk/by-path/pci-0000:00:06.0
	"$5" -o "$6" --kver "$7" --generic --crypttab "$8"
	. "$9" && unlock_crypttab_for_image "${10}" >"${10}.image"
' _ "$@" "$MKINITRD" "$WORK/udev-initrd.img" "$KVER" "$WORK/crypttab-udev" \
	"$TOP/hooks/unlock-files.sh" "$WORK/crypttab-udev-forms" 2>"$WORK/udev-mkinitrd.err"
# shellcheck disable=SC2086
losetup -d $loops
trap 'rm -rf "$WORK"' EXIT
check_eq "mkinitrd: a udev-only name becomes the by-uuid name of its LUKS disk, the line as it was kept as a comment" \
	"# root /dev/disk/by-id/virtio-unlock-root none luks
root /dev/disk/by-uuid/$L2 none luks
ghost /dev/disk/by-id/virtio-not-here none luks,nofail" \
	"$(zstd -dc "$WORK/udev-initrd.img" | cpio -i --quiet --to-stdout etc/crypttab 2>/dev/null)"
check_eq "mkinitrd: udev-only names of key devices, header devices and header files' devices are renamed; a raw key's is kept" \
	"# a comment, kept
# other UUID=$L2 /keys/root.key:/dev/disk/by-id/usb-Generic_Flash_Disk_5A8C1F02 luks,discard
other UUID=$L2 /keys/root.key:/dev/disk/by-uuid/$(blkid -p -o value -s UUID "$WORK/keystick.img") luks,discard
rawkey UUID=$L2 /dev/disk/by-id/virtio-unlock-raw luks,keyfile-size=64
# hdr /dev/vdb none luks,header=/dev/disk/by-path/pci-0000:00:06.0,tries=1
hdr /dev/vdb none luks,header=/dev/disk/by-uuid/$(cat "$WORK/det/luks.uuid"),tries=1
# hdrfile /dev/vdb none luks,header=/luks/root.hdr:/dev/disk/by-id/usb-Generic_Flash_Disk_5A8C1F02
hdrfile /dev/vdb none luks,header=/luks/root.hdr:/dev/disk/by-uuid/$(blkid -p -o value -s UUID "$WORK/keystick.img")" \
	"$(cat "$WORK/crypttab-udev-forms.image")"
for warning in "/dev/disk/by-id/virtio-not-here does not exist on this machine" \
	"/dev/disk/by-id/virtio-unlock-raw has neither a PARTUUID nor a UUID to be named by"; do
	if grep -q "warning: crypttab: $warning" "$WORK/udev-mkinitrd.err"; then
		ok "mkinitrd: a udev-only name it cannot rename is named in a warning: $warning"
	else
		not_ok "mkinitrd: a udev-only name it cannot rename is named in a warning: $warning" "$(cat "$WORK/udev-mkinitrd.err")"
	fi
done
boot udev-names "$WORK/udev-initrd.img" "$WORK/l2/disk.img" "root=UUID=$FS" \
	"expect:Passphrase for root (/dev/vda)" 'send:correct horse\n' \
	"expect:/dev/disk/by-id/virtio-not-here: only udev makes this name" \
	"expect:ghost: could not be opened; continuing because it is marked nofail" "expect:UNLOCK-MARKER end"
marker udev-names "dm=root:CRYPT-LUKS2-${L2//-/}-root" "the volume named by-id when the image was built is opened"

boot gpt-partuuid "$WORK/gpt-initrd.img" "$WORK/gpt.img" "root=UUID=$FS" \
	"expect:Passphrase for root (PARTUUID=$PARTUUID)" 'send:correct horse\n' "expect:UNLOCK-MARKER end"
marker gpt-partuuid "/dev/vda2: opened as /dev/mapper/root" "the volume found by PARTUUID on partition 2"
marker gpt-partuuid "dm=root:CRYPT-LUKS2-${L2//-/}-root" "root by the filesystem UUID inside it"

boot luks1 "$WORK/plain.img" "$WORK/l1/disk.img" "rd.luks.uuid=$L1 root=UUID=$FS rd.luks.name=$L1=cryptroot" \
	"expect:Passphrase for cryptroot" 'send:correct horse\n' "expect:UNLOCK-MARKER end"
marker luks1 "dm=cryptroot:CRYPT-LUKS1-${L1//-/}-cryptroot" "LUKS1 root with rd.luks.name"

# Swap: a random-key plain volume gets a swap signature (the root's init swapons it); a LUKS swap is
# opened before resume= is tried, and both before root; a device holding a filesystem is never
# turned into swap.
mkdir -p "$WORK/sw/root"
printf '#!/bin/busybox sh\n/bin/busybox swapon /dev/mapper/swap && echo SWAPON-OK\n' >"$WORK/sw/root/guest-test"
chmod +x "$WORK/sw/root/guest-test"
"$TOP/qemu/mkdisk.sh" "$WORK/sw" luks2 >/dev/null
truncate -s 32M "$WORK/sw/plain-swap.img" "$WORK/sw/luks-swap.img"
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$WORK/sw/luks-swap.img" "$WORK/sw/keyfile"
cp "$WORK/sw/fs.img" "$WORK/sw/precious.img"
SW_ROOT=$(cat "$WORK/sw/luks.uuid")
SW_CSWAP=$(cryptsetup luksUUID "$WORK/sw/luks-swap.img")
mkdir -p /etc/unlock-test-keys
cp "$WORK/sw/keyfile" /etc/unlock-test-keys/root.key
cat >"$WORK/crypttab-sw" <<TAB
root UUID=$SW_ROOT /etc/unlock-test-keys/root.key luks
swap /dev/vdb /dev/urandom swap,cipher=aes-xts-plain64,size=512
cswap UUID=$SW_CSWAP /etc/unlock-test-keys/root.key luks
precious /dev/vdd /dev/urandom swap,nofail
TAB
"$MKINITRD" -o "$WORK/swap.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab-sw"
rm -rf /etc/unlock-test-keys
precious_before=$(sha_of "$WORK/sw/precious.img")
boot swap-resume "$WORK/swap.img" "$WORK/sw/disk.img" "root=/dev/mapper/root resume=/dev/mapper/cswap" \
	"expect:UNLOCK-MARKER end" -- -drive "file=$WORK/sw/plain-swap.img,if=virtio,format=raw" \
	-drive "file=$WORK/sw/luks-swap.img,if=virtio,format=raw" -drive "file=$WORK/sw/precious.img,if=virtio,format=raw"
marker swap-resume "SWAPON-OK" "random-key swap has a valid swap signature"
marker swap-resume "swaps=/dev/mapper/swap," "the swap is in use"
marker swap-resume "dm=.*swap:CRYPT-PLAIN-swap" "plain mapping with cryptsetup's DM UUID"
marker swap-resume "refusing to turn it into swap" "a filesystem is never turned into swap"
check_eq "boot: swap-resume: the filesystem device is untouched" "$precious_before" "$(sha_of "$WORK/sw/precious.img")"
order=$(grep -anE "opened as /dev/mapper/cswap|no hibernation image on /dev/mapper/cswap|UNLOCK-MARKER pid" "$WORK/swap-resume.log" | cut -d: -f1 | tr '\n' ' ')
read -r a b c <<<"$order"
if [ -n "${c:-}" ] && [ "$a" -lt "$b" ] && [ "$b" -lt "$c" ]; then
	ok "boot: swap-resume: LUKS swap opened, then resume tried, then root"
else
	not_ok "boot: swap-resume: LUKS swap opened, then resume tried, then root" "$(grep -aE 'cswap|hibernation|UNLOCK-MARKER pid' "$WORK/swap-resume.log")"
fi

# LUKS on LVM: the LUKS disk is a logical volume (after another one) of a volume group on the raw
# disk. The crypttab names it as /dev/mapper/VG-LV, so the image carries lvm and activates it.
mkdir -p "$WORK/lol"
truncate -s 4M "$WORK/lol/spare"
"$TOP/qemu/lvm-layout.sh" "$WORK/lol/disk.img" vg0 spare:"$WORK/lol/spare" cryptroot:"$WORK/l2/disk.img"
printf '%s\n' "root /dev/mapper/vg0-cryptroot none luks" \
	"gone /dev/vg0/gone none luks,nofail,x-systemd.device-timeout=3s" \
	"novg /dev/mapper/nosuch-lv none luks,nofail,x-systemd.device-timeout=3s" >"$WORK/lol/crypttab"
"$MKINITRD" -o "$WORK/lol.img" --kver "$KVER" --generic --crypttab "$WORK/lol/crypttab"
boot luks-on-lvm "$WORK/lol.img" "$WORK/lol/disk.img" "root=/dev/mapper/root" \
	"expect:Passphrase for root" 'send:correct horse\n' "expect:UNLOCK-MARKER end"
marker luks-on-lvm "dm=.*vg0-cryptroot:LVM-" "the logical volume under the LUKS volume was activated"
marker luks-on-lvm "dm=.*root:CRYPT-LUKS2-${L2//-/}-root" "the LUKS volume on it was opened"
marker luks-on-lvm "volume group vg0 has no logical volume gone that could be activated" \
	"a missing logical volume is named, with the volume group's"
marker luks-on-lvm "/dev/mapper/nosuch-lv: volume group nosuch was not found on the LVM physical volumes present" \
	"a missing volume group is named"
