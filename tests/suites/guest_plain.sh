#!/bin/bash
# Plain dm-crypt volumes from crypttab, against the real cryptsetup in a guest. First boot: the
# guest's cryptsetup opens three plain volumes (passphrase hashed with sha256, raw key file,
# passphrase with the default ripemd160) and writes known data through them. Second boot: unlock
# opens the same volumes from crypttab at boot; the guest reads the data back and compares the
# dm tables (apart from the key field) with those cryptsetup made.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
MODULES="dm-crypt xts essiv cbc aesni_intel sha256_generic"
PASS="plain passphrase"

mkdir -p "$WORK/disk/root" "$WORK/keys"
head -c 64 /dev/urandom >"$WORK/keys/plain.key"
cp "$WORK/keys/plain.key" "$WORK/disk/root/plain.key"
cat >"$WORK/disk/root/guest-test" <<GUEST
#!/bin/busybox sh
pattern() { busybox seq \$1 400000 | head -c 1048576; }
same() { # NAME SEED: the first MiB of the mapping is the pattern
	if [ "\$(head -c 1048576 /dev/mapper/\$1 | busybox sha256sum)" = "\$(pattern \$2 | busybox sha256sum)" ]; then
		echo "GUEST-PLAIN data-\$1=same"
	else
		echo "GUEST-PLAIN data-\$1=different"
	fi
}
table() { echo "GUEST-PLAIN \$2-\$1=\$(dmsetup table \$1 | awk '{ \$5 = "KEY"; print }') uuid \$(dmsetup info -c --noheadings -o uuid \$1)"; }
mount -t tmpfs run /run 2>/dev/null
modprobe -a $MODULES
if [ -e /dev/mapper/pa ]; then
	for v in pa:1 pk:2 pr:3; do same \${v%:*} \${v#*:}; table \${v%:*} unlock; done
	exit 0
fi
printf '$PASS' | cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 --hash sha256 \\
	--offset 8 --skip 16 --key-file=- /dev/vdb pa
cryptsetup open --type plain --cipher aes-cbc-essiv:sha256 --key-size 256 --key-file /plain.key /dev/vdc pk
printf '$PASS' | cryptsetup open --type plain --cipher aes-cbc-essiv:sha256 --key-size 256 --hash ripemd160 \\
	--key-file=- /dev/vdd pr
for v in pa:1 pk:2 pr:3; do
	pattern \${v#*:} | busybox dd of=/dev/mapper/\${v%:*} bs=65536 conv=fsync 2>/dev/null
	table \${v%:*} cryptsetup
	cryptsetup close \${v%:*}
done
echo "GUEST-PLAIN written"
GUEST
chmod +x "$WORK/disk/root/guest-test"
WITH_UNLOCK=1 GUEST_MODULES="$MODULES" GUEST_TOOLS="$(command -v cryptsetup) $(command -v dmsetup)" FS_MB=40 \
	"$TOP/qemu/mkdisk.sh" "$WORK/disk" luks2 >/dev/null
LUKS=$(cat "$WORK/disk/luks.uuid")
FS=$(cat "$WORK/disk/fs.uuid")
cp "$WORK/disk/keyfile" "$WORK/keys/root.key"
cat >"$WORK/crypttab" <<TAB
root UUID=$LUKS $WORK/keys/root.key luks
pa /dev/vdb none plain,cipher=aes-xts-plain64,size=512,hash=sha256,offset=8,skip=16
pk /dev/vdc $WORK/keys/plain.key plain
pr /dev/vdd none plain
TAB
"$TOP/build/unlock-mkinitrd" -o "$WORK/write.img" --kver "$KVER" --generic
"$TOP/build/unlock-mkinitrd" -o "$WORK/plain.img" --kver "$KVER" --generic --crypttab "$WORK/crypttab"
drives=()
for d in b c d; do
	truncate -s 16M "$WORK/vd$d.img"
	drives+=(-drive "file=$WORK/vd$d.img,if=virtio,format=raw")
done

guest_boot() { # NAME INITRD APPEND STEP...
	local name=$1 initrd=$2 append=$3 steps=()
	shift 3
	for s in "$@"; do steps+=(--step "$s"); done
	if python3 "$TOP/qemu/boot.py" --log "$WORK/$name.log" --timeout 200 "${steps[@]}" -- "$TOP/qemu/run-vm.sh" \
		"$initrd" "$WORK/disk/disk.img" "$append" "${drives[@]}" 2>"$WORK/err"; then
		ok "guest boot: $name"
	else
		not_ok "guest boot: $name" "$(cat "$WORK/err")" "$(grep -a -E 'unlock|GUEST' "$WORK/$name.log" | tail)" \
			"$(tail -n 5 "$WORK/$name.log")"
	fi
}
guest_boot cryptsetup-writes "$WORK/write.img" "rd.luks.uuid=$LUKS root=UUID=$FS" \
	"expect:Passphrase for luks-$LUKS" 'send:correct horse\n' "expect:GUEST-PLAIN written" "expect:UNLOCK-MARKER end"
guest_boot unlock-reads "$WORK/plain.img" "root=UUID=$FS" \
	"expect:Passphrase for pa (/dev/vdb, plain dm-crypt)" "send:$PASS\\n" \
	"expect:Passphrase for pr (/dev/vdd, plain dm-crypt)" "send:$PASS\\n" "expect:UNLOCK-MARKER end"

value() { grep -a -m1 "^GUEST-PLAIN $1=" "$WORK/$2.log" | cut -d= -f2- | tr -d '\r'; }
for v in pa:"passphrase, sha256, offset and skip" pk:"raw key file" pr:"passphrase, default ripemd160"; do
	name=${v%%:*}
	check_eq "plain $name (${v#*:}): unlock reads what cryptsetup wrote" same "$(value "data-$name" unlock-reads)"
	theirs=$(value "cryptsetup-$name" cryptsetup-writes)
	[ -n "$theirs" ] || theirs="(cryptsetup reported no table)"
	check_eq "plain $name: the same dm table and DM UUID as cryptsetup's, key aside" "$theirs" "$(value "unlock-$name" unlock-reads)"
done
