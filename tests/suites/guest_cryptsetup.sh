#!/bin/bash
# Inside a guest with Debian's kernel: the real cryptsetup formats a serpent-xts LUKS2 volume and
# writes data through its own mapping; then unlock opens the same volume. The dm tables must be the
# same string (key in the keyring, same flags and offsets) and the data must read back the same.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
MODULES="dm-crypt serpent_generic xts algif_skcipher algif_hash"

mkdir -p "$WORK/disk/root"
cat >"$WORK/disk/root/guest-test" <<GUEST
#!/bin/busybox sh
report() { echo "GUEST-CS \$1=\$2"; }
mount -t tmpfs run /run
modprobe -a $MODULES
printf 'guest passphrase' >/run/pass
cryptsetup luksFormat -q --type luks2 --cipher serpent-xts-plain64 --key-size 512 --pbkdf pbkdf2 \\
	--pbkdf-force-iterations 1000 --key-file /run/pass /dev/vdb
report format \$?
cryptsetup open --key-file /run/pass /dev/vdb theirs
report cryptsetup-open \$?
report table-theirs "\$(dmsetup table theirs)"
head -c 1048576 /dev/urandom >/run/data
busybox dd if=/run/data of=/dev/mapper/theirs bs=65536 conv=fsync 2>/dev/null
cryptsetup close theirs
unlock open --key-file /run/pass /dev/vdb ours
report unlock-open \$?
report table-ours "\$(dmsetup table ours)"
report uuid-ours "\$(dmsetup info -c --noheadings -o uuid ours)"
report luks-uuid "\$(cryptsetup luksUUID /dev/vdb)"
if [ "\$(head -c 1048576 /dev/mapper/ours | busybox sha256sum)" = "\$(busybox sha256sum </run/data)" ]; then
	report data same
else
	report data different
fi
GUEST
chmod +x "$WORK/disk/root/guest-test"
WITH_UNLOCK=1 GUEST_MODULES="$MODULES" GUEST_TOOLS="$(command -v cryptsetup) $(command -v dmsetup)" FS_MB=40 \
	"$TOP/qemu/mkdisk.sh" "$WORK/disk" luks2 >/dev/null
"$TOP/build/unlock-mkinitrd" -o "$WORK/initrd.img" --kver "$KVER" --generic
truncate -s 32M "$WORK/blank.img"
if python3 "$TOP/qemu/boot.py" --log "$WORK/boot.log" --timeout 200 --step "expect:Passphrase for" \
	--step 'send:correct horse\n' --step "expect:UNLOCK-MARKER end" -- "$TOP/qemu/run-vm.sh" "$WORK/initrd.img" \
	"$WORK/disk/disk.img" "rd.luks.uuid=$(cat "$WORK/disk/luks.uuid") root=UUID=$(cat "$WORK/disk/fs.uuid")" \
	-drive "file=$WORK/blank.img,if=virtio,format=raw" 2>"$WORK/err"; then
	ok "guest boot with cryptsetup inside"
else
	not_ok "guest boot with cryptsetup inside" "$(cat "$WORK/err")" "$(grep -a -E 'unlock|GUEST' "$WORK/boot.log" | tail)"
fi
value() { grep -a -m1 "^GUEST-CS $1=" "$WORK/boot.log" | cut -d= -f2- | tr -d '\r'; }
check_eq "guest: cryptsetup formats a serpent-xts-plain64 LUKS2 volume" 0 "$(value format)"
check_eq "guest: cryptsetup opens it" 0 "$(value cryptsetup-open)"
check_eq "guest: unlock opens it" 0 "$(value unlock-open)"
theirs=$(value table-theirs)
case $theirs in
*serpent-xts-plain64*:64:logon:cryptsetup:*) ok "guest: cryptsetup's table uses serpent and a keyring key" ;;
*) not_ok "guest: cryptsetup's table uses serpent and a keyring key" "$theirs" ;;
esac
check_eq "guest: unlock loads the same dm table as cryptsetup" "$theirs" "$(value table-ours)"
luks_uuid=$(value luks-uuid)
check_eq "guest: DM UUID in cryptsetup's form" "CRYPT-LUKS2-${luks_uuid//-/}-ours" "$(value uuid-ours)"
check_eq "guest: data written through cryptsetup's mapping reads back through unlock's" same "$(value data)"
