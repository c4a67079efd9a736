#!/bin/bash
# PKCS#11 tokens at boot: a SoftHSM2 token (a test image only: its store and configuration go in
# as extra files, SOFTHSM2_CONF comes from the kernel command line as the kernel passes such words
# to init) enrolled by the real systemd-cryptenroll. The PIN typed at the question opens the root;
# a wrong PIN is refused with the token's name and asked again; with the token's store missing the
# token fails with its reason and the passphrase boots.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
MKINITRD=$TOP/build/unlock-mkinitrd
MODULE=/usr/lib/softhsm/libsofthsm2.so

mkdir -p "$WORK/d/root"
FS_MB=32 "$TOP/qemu/mkdisk.sh" "$WORK/d" luks2 >/dev/null
L2=$(cat "$WORK/d/luks.uuid")
FS=$(cat "$WORK/d/fs.uuid")

export SOFTHSM2_CONF=$WORK/hsm/softhsm2.conf
mkdir -p "$WORK/hsm/tokens"
echo "directories.tokendir = $WORK/hsm/tokens" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label boot --pin 1234 --so-pin 5678 >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/crt.pem" -subj /CN=boot -days 30 2>/dev/null
openssl pkey -in "$WORK/key.pem" -outform DER -out "$WORK/key.der"
openssl x509 -in "$WORK/crt.pem" -outform DER -out "$WORK/crt.der"
for o in "key.der privkey" "crt.der cert"; do
	set -- $o
	pkcs11-tool --module "$MODULE" --token-label boot --login --pin 1234 --write-object "$WORK/$1" --type "$2" \
		--id 01 --label boot >/dev/null
done
cp "$WORK/d/disk.img" "$WORK/token.img"
PASSWORD="correct horse" PIN=1234 systemd-cryptenroll --pkcs11-token-uri=pkcs11:token=boot "$WORK/token.img" \
	>"$WORK/enroll.log" 2>&1 || not_ok "pkcs11: systemd-cryptenroll --pkcs11-token-uri" "$(cat "$WORK/enroll.log")"

# The image: PKCS#11 support for SoftHSM2's module, the token store beside it.
extra=$(find "$WORK/hsm" -type f | sed 's/^/--key-file /' | tr '\n' ' ')
# shellcheck disable=SC2086 # the --key-file words
"$MKINITRD" -o "$WORK/p11.img" --kver "$KVER" --generic --pkcs11-module /usr/share/p11-kit/modules/softhsm2.module $extra
files=$(zstd -dc "$WORK/p11.img" | cpio -t 2>/dev/null)
if grep -qx usr/lib/unlock/unlock-pkcs11 <<<"$files" && grep -q 'libp11-kit.so.0$' <<<"$files" &&
	grep -q 'softhsm/libsofthsm2.so$' <<<"$files" && grep -qx usr/share/p11-kit/modules/softhsm2.module <<<"$files"; then
	ok "mkinitrd: --pkcs11-module puts the helper, p11-kit, the module and its registry file into the image"
else
	not_ok "mkinitrd: --pkcs11-module puts the helper, p11-kit, the module and its registry file into the image" \
		"$(grep -e unlock -e p11 -e softhsm <<<"$files")"
fi
"$MKINITRD" -o "$WORK/plain.img" --kver "$KVER" --generic
if zstd -dc "$WORK/plain.img" | cpio -t 2>/dev/null | grep -q -e unlock-pkcs11 -e p11-kit; then
	not_ok "mkinitrd: a generic image takes no PKCS#11 support unasked"
else
	ok "mkinitrd: a generic image takes no PKCS#11 support unasked"
fi

APPEND="rd.luks.uuid=$L2 root=UUID=$FS rd.luks.options=pkcs11-uri=auto,token-timeout=5s SOFTHSM2_CONF=$SOFTHSM2_CONF"
p11_boot() { # NAME APPEND STEP...
	local name=$1 append=$2 steps=()
	shift 2
	for s in "$@"; do steps+=(--step "$s"); done
	if python3 "$TOP/qemu/boot.py" --log "$WORK/$name.log" --timeout 150 "${steps[@]}" -- \
		"$TOP/qemu/run-vm.sh" "$WORK/p11.img" "$WORK/token.img" "$append" 2>"$WORK/$name.err"; then
		ok "boot: $name"
	else
		not_ok "boot: $name" "$(cat "$WORK/$name.err")" "$(grep -aE 'unlock|UNLOCK|Passphrase|PIN|Kernel panic' "$WORK/$name.log" | tail -8)"
	fi
}

p11_boot pkcs11-pin "$APPEND" "expect:PIN for token boot (volume luks-$L2): " 'send:1234\n' \
	"expect:opened with PKCS#11 token 0 (keyslot 2)" "expect:UNLOCK-MARKER pid=1 root=/dev/dm-0" "expect:UNLOCK-MARKER end"
if ! console_text "$WORK/pkcs11-pin.log" | grep -aq "Passphrase for"; then ok "pkcs11: the PIN alone opened the root"
else not_ok "pkcs11: the PIN alone opened the root"; fi

p11_boot pkcs11-wrong-then-right "$APPEND" "expect:PIN for token boot (volume luks-$L2): " 'send:1111\n' \
	"expect:wrong PIN for token 'boot'" "expect:PIN for token boot (volume luks-$L2): " 'send:1234\n' \
	"expect:opened with PKCS#11 token 0" "expect:UNLOCK-MARKER end"

p11_boot pkcs11-store-missing "${APPEND/SOFTHSM2_CONF=$SOFTHSM2_CONF/SOFTHSM2_CONF=/nonexistent.conf}" \
	"expect:PKCS#11 token 0: no PKCS#11 module of p11-kit's registry started" "expect:Passphrase for luks-$L2" \
	'send:correct horse\n' \
	"expect:UNLOCK-MARKER end"
