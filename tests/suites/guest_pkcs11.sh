#!/bin/bash
# PKCS#11 tokens at boot: a SoftHSM2 token (a test image only: its store and configuration go in
# as extra files, SOFTHSM2_CONF comes from the kernel command line as the kernel passes such words
# to init) enrolled by the real systemd-cryptenroll. The PIN typed at the question opens the root;
# a wrong PIN is refused with the token's name and asked again; with the token's store missing the
# token fails with its reason and the passphrase boots, as it does when the helper crashes or
# hangs. Then a smart card in a USB reader, through pcscd, libccid and OpenSC (below).
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

# A helper that crashes or hangs: PID 1 says so and asks for the passphrase.
printf 'int main(void) { *(volatile int *)0 = 1; return 0; }\n' | cc -static -o "$WORK/crash" -x c -
printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' | cc -static -o "$WORK/hang" -x c -
for bad in crash hang; do
	UNLOCK_PKCS11_HELPER=$WORK/$bad "$MKINITRD" -o "$WORK/p11-$bad.img" --kver "$KVER" --generic \
		--pkcs11-module /usr/share/p11-kit/modules/softhsm2.module
done
bad_boot() { # NAME IMAGE EXPECT
	if python3 "$TOP/qemu/boot.py" --log "$WORK/$1.log" --timeout 150 --step "expect:$3" --step "expect:Passphrase for luks-$L2" \
		--step 'send:correct horse\n' --step "expect:UNLOCK-MARKER end" -- \
		"$TOP/qemu/run-vm.sh" "$2" "$WORK/token.img" "rd.luks.uuid=$L2 root=UUID=$FS rd.luks.options=token-timeout=3s" 2>"$WORK/$1.err"; then
		ok "boot: $1"
	else
		not_ok "boot: $1" "$(cat "$WORK/$1.err")" "$(grep -aE 'unlock|Passphrase|PIN' "$WORK/$1.log" | tail -6)"
	fi
}
bad_boot pkcs11-helper-crash "$WORK/p11-crash.img" "unlock-pkcs11 died of signal 11"
bad_boot pkcs11-helper-hang "$WORK/p11-hang.img" "did not answer within 3 s"

# A real reader: QEMU's USB CCID reader (on a UHCI controller: on xHCI its frames come back
# damaged, libccid says "Invalid frame detected") with its emulated CAC card, whose three RSA keys
# and certificates live in an NSS database made here. pcscd, libccid and OpenSC read it, in the
# image as in the guest. The emulated reader claims a PIN pad it does not have: OpenSC is told
# not to use it (enable_pinpad = false), through OPENSC_CONF.
if ! command -v certutil >/dev/null || ! command -v pcscd >/dev/null; then
	not_ok "pkcs11 card: certutil (libnss3-tools) and pcscd are installed"
	exit 0
fi
mkdir -p "$WORK/nss" "$WORK/c/root/etc" "$WORK/c/root/usr/lib/pcsc/drivers"
certutil -N -d "sql:$WORK/nss" --empty-password
head -c 64 /dev/urandom >"$WORK/noise"
for n in 1 2 3; do
	certutil -S -d "sql:$WORK/nss" -n "cert$n" -s "CN=card$n" -x -t "CT,CT,CT" -k rsa -g 2048 -z "$WORK/noise" -v 24 >/dev/null 2>&1
done
# shellcheck disable=SC2054 # QEMU's own commas
CARD=(-device piix3-usb-uhci,id=uhci -device usb-ccid,bus=uhci.0 -device "ccid-card-emulated,backend=certificates,db=sql:$WORK/nss,cert1=cert1,cert2=cert2,cert3=cert3")
printf 'app default {\n\treader_driver pcsc {\n\t\tenable_pinpad = false;\n\t}\n}\n' >"$WORK/opensc-test.conf"

# The guest enrolls the card with unlock enroll, as an installed system would (boot "card-enroll"),
# and later reports whether a pcscd outlived the boot.
OPENSC_MODULE=$(sed -n 's/^module:[ \t]*//p' /usr/share/p11-kit/modules/opensc-pkcs11.module)
case $OPENSC_MODULE in /*) ;; *) OPENSC_MODULE=/usr/lib/x86_64-linux-gnu/pkcs11/$OPENSC_MODULE ;; esac
mkdir -p "$WORK/c/root/usr/share/p11-kit/modules" "$WORK/c/root$WORK"
cp /usr/share/p11-kit/modules/opensc-pkcs11.module "$WORK/c/root/usr/share/p11-kit/modules/"
cp "$WORK/opensc-test.conf" "$WORK/c/root$WORK/opensc-test.conf"
cp -rL /usr/lib/pcsc/drivers/ifd-ccid.bundle "$WORK/c/root/usr/lib/pcsc/drivers/"
cat >"$WORK/c/root/guest-test" <<GUEST
#!/bin/busybox sh
mount -t tmpfs run /run 2>/dev/null
for p in /proc/[0-9]*; do [ "\$(cat \$p/comm 2>/dev/null)" = pcscd ] && echo "GUEST-CARD pcscd left running"; done
case \$(cat /proc/cmdline) in *card-enroll*) ;; *) exit 0 ;; esac
modprobe uhci_hcd
mkdir -p /run/pcscd
pcscd --foreground >/dev/null 2>&1 &
sleep 6
if PASSWORD="correct horse" OPENSC_CONF=$WORK/opensc-test.conf $TOP/build/unlock-enroll \\
	--pkcs11-token-uri "pkcs11:token=card1;id=%00%01" /dev/vda; then echo "GUEST-CARD enrolled"; fi
GUEST
chmod 0755 "$WORK/c/root/guest-test"
GUEST_MODULES="uhci_hcd" GUEST_TOOLS="$TOP/build/unlock-enroll /usr/sbin/pcscd $OPENSC_MODULE \
	$(ldconfig -p | awk '$1 == "libpcsclite.so.1" { print $NF; exit }') $(ldconfig -p | awk '$1 == "libgcc_s.so.1" { print $NF; exit }') \
	/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Linux/libccid.so" FS_MB=64 "$TOP/qemu/mkdisk.sh" "$WORK/c" luks2 >/dev/null
C2=$(cat "$WORK/c/luks.uuid")
CFS=$(cat "$WORK/c/fs.uuid")
"$MKINITRD" -o "$WORK/plain-card.img" --kver "$KVER" --generic
if python3 "$TOP/qemu/boot.py" --log "$WORK/card-enroll.log" --timeout 300 --step "expect:Passphrase for" \
	--step 'send:correct horse\n' --step "expect:UNLOCK-MARKER end" -- "$TOP/qemu/run-vm.sh" "$WORK/plain-card.img" \
	"$WORK/c/disk.img" "rd.luks.uuid=$C2 root=UUID=$CFS card-enroll" "${CARD[@]}" 2>"$WORK/card-enroll.err" &&
	console_text "$WORK/card-enroll.log" | grep -aq "GUEST-CARD enrolled"; then
	ok "pkcs11 card: unlock enroll in the guest enrolls the emulated card through pcscd and OpenSC"
else
	not_ok "pkcs11 card: unlock enroll in the guest enrolls the emulated card through pcscd and OpenSC" \
		"$(cat "$WORK/card-enroll.err")" "$(grep -aE 'GUEST-CARD|unlock|token|PKCS' "$WORK/card-enroll.log" | tail -8)"
fi

# The next boot: an image with OpenSC's module, pcscd and its drivers opens the root with the card.
"$MKINITRD" -o "$WORK/card.img" --kver "$KVER" --generic --pkcs11-module /usr/share/p11-kit/modules/opensc-pkcs11.module \
	--key-file "$WORK/opensc-test.conf"
if zstd -dc "$WORK/card.img" | cpio -t 2>/dev/null | grep -qx "usr/sbin/pcscd"; then
	ok "mkinitrd: with OpenSC's module the image carries pcscd and its reader drivers"
else
	not_ok "mkinitrd: with OpenSC's module the image carries pcscd and its reader drivers"
fi
if python3 "$TOP/qemu/boot.py" --log "$WORK/card.log" --timeout 300 --step "expect:PIN for token card1 (volume luks-$C2): " \
	--step 'send:1234\n' --step "expect:opened with PKCS#11 token 0" --step "expect:UNLOCK-MARKER end" -- \
	"$TOP/qemu/run-vm.sh" "$WORK/card.img" "$WORK/c/disk.img" \
	"rd.luks.uuid=$C2 root=UUID=$CFS rd.luks.options=pkcs11-uri=auto,token-timeout=40s OPENSC_CONF=$WORK/opensc-test.conf" \
	"${CARD[@]}" 2>"$WORK/card.err"; then
	ok "boot: pkcs11-card: the card in the USB reader opens the root with its PIN"
else
	not_ok "boot: pkcs11-card: the card in the USB reader opens the root with its PIN" "$(cat "$WORK/card.err")" \
		"$(grep -aE 'unlock|UNLOCK|Passphrase|PIN|pcscd' "$WORK/card.log" | tail -8)"
fi
if console_text "$WORK/card.log" | grep -aq "GUEST-CARD pcscd left running"; then
	not_ok "pkcs11 card: pcscd is stopped before the real system starts"
else
	ok "pkcs11 card: pcscd is stopped before the real system starts"
fi
