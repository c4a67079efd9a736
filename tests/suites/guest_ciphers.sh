#!/bin/bash
# What Nettle lacks (whirlpool, lrw, wp256 ESSIV): cryptsetup's own LUKS1 images opened by unlock
# inside a guest with Debian's kernel, through AF_ALG; serpent and twofish in Nettle beside them.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
MODULES="algif_skcipher algif_hash serpent_generic twofish_generic lrw xts wp512"

mkdir -p "$WORK/disk/root"
tar xJf "$SHARED/cryptsetup-corpus/luks1-images.tar.xz" -C "$WORK"
images=()
for img in "$WORK"/luks1-images/*.img; do
	case $(basename "$img") in luks1_aes-xts-plain64-sha* | luks1_aes-cbc-essiv-*) ;; *) images+=("$img") ;; esac
done
cp "$WORK/luks1-images/keyfile1" "$WORK/disk/root/keyfile1"
{
	echo '#!/bin/busybox sh'
	echo 'mount -t devtmpfs dev /dev 2>/dev/null'
	echo "modprobe -a $MODULES"
	letters=(b c d e f g h i j k l m n o p)
	i=0
	for img in "${images[@]}"; do
		dev=/dev/vd${letters[$i]}
		echo "/usr/sbin/unlock open --test-passphrase --key-file /keyfile1 $dev 2>/dev/null; echo \"GUEST-CIPHER $(basename "$img" .img) rc=\$?\""
		i=$((i + 1))
	done
} >"$WORK/disk/root/guest-test"
chmod +x "$WORK/disk/root/guest-test"
WITH_UNLOCK=1 GUEST_MODULES="$MODULES" "$TOP/qemu/mkdisk.sh" "$WORK/disk" luks2 >/dev/null
"$TOP/build/unlock-mkinitrd" -o "$WORK/initrd.img" --kver "$KVER" --generic
drives=()
for img in "${images[@]}"; do drives+=(-drive "file=$img,if=virtio,format=raw,readonly=on"); done
if python3 "$TOP/qemu/boot.py" --log "$WORK/boot.log" --timeout 300 --step "expect:Passphrase for" \
	--step 'send:correct horse\n' --step "expect:UNLOCK-MARKER end" -- "$TOP/qemu/run-vm.sh" "$WORK/initrd.img" \
	"$WORK/disk/disk.img" "rd.luks.uuid=$(cat "$WORK/disk/luks.uuid") root=UUID=$(cat "$WORK/disk/fs.uuid")" "${drives[@]}" 2>"$WORK/err"; then
	ok "guest boot for the AF_ALG ciphers"
else
	not_ok "guest boot for the AF_ALG ciphers" "$(cat "$WORK/err")" "$(grep -a -E 'unlock|GUEST' "$WORK/boot.log" | tail)" \
		"$(tail -c 1500 "$WORK/boot.log")"
fi
for img in "${images[@]}"; do
	name=$(basename "$img" .img)
	check_eq "$name opens through AF_ALG in the guest" "GUEST-CIPHER $name rc=0" \
		"$(grep -a -o "GUEST-CIPHER $name rc=[0-9]*" "$WORK/boot.log")"
done
