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
"$MKINITRD" -o "$WORK/plain.img" --kver "$KVER" --generic
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
# The same under AddressSanitizer: unlock's sanitizer build as PID 1, with its libraries (a busybox
# /init mounts /proc and /dev for the sanitizer's runtime, then execs it as PID 1). Before the fix,
# the emergency path after a failed hand-over used the freed device loader.
mkdir -p "$WORK/asan/usr/sbin" "$WORK/asan/bin"
(cd "$WORK/asan" && zstd -dc "$WORK/plain.img" | cpio -id --quiet)
cp /tmp/old/build/asan/unlock "$WORK/asan/usr/sbin/unlock.asan"
cp /bin/busybox "$WORK/asan/bin/busybox"
for lib in $(ldd /tmp/old/build/asan/unlock | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'); do
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
boot init-wrong-arch-asan "$WORK/asan.img" "$WORK/l2/disk.img" "rd.luks.uuid=$L2 root=UUID=$FS init=/sbin/init.aarch64" \
	"expect:Passphrase for" 'send:correct horse\n' \
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
