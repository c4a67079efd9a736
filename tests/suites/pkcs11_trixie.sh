#!/bin/bash
# EC tokens, which systemd writes since 256: Debian 13's systemd-cryptenroll (257), run in the
# debootstrapped Debian 13 (build/trixie-root), enrolls SoftHSM2 tokens whose store lies inside
# that tree; this host's unlock-pkcs11 reads the same store and gives back the known volume key:
# ECDH on P-256 and P-384, and an RSA token of the same systemd for comparison.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../trixie.sh
source "$TOP/tests/trixie.sh"
MODULE=/usr/lib/softhsm/libsofthsm2.so

# The store and the images inside the Debian 13 tree, seen from the chroot as $inside.
trixie_system_folder "pkcs11 trixie" pkcs11
mkdir -p "$T/tokens"
echo "directories.tokendir = $inside/tokens" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$WORK/host.conf
echo "directories.tokendir = $T/tokens" >"$SOFTHSM2_CONF"
p11() { pkcs11-tool --module "$MODULE" "$@"; }

head -c 64 /dev/urandom >"$WORK/vk"
want=$(hex_of "$WORK/vk")
# enroll NAME URI: a LUKS2 image whose passphrase is "secret", and Debian 13's systemd-cryptenroll
# adding a token of that URI to it.
enroll() {
	secret_image "$T/$1.img"
	if in_chroot "$BASE" env PASSWORD=secret PIN=1234 SOFTHSM2_CONF="$inside/softhsm2.conf" \
		systemd-cryptenroll --pkcs11-token-uri="$2" "$inside/$1.img" >"$WORK/$1.enroll" 2>&1; then
		ok "pkcs11 trixie: systemd-cryptenroll $(in_chroot "$BASE" systemd-cryptenroll --version | head -n1 | cut -d' ' -f2) enrolls $1"
	else
		not_ok "pkcs11 trixie: systemd-cryptenroll enrolls $1" "$(cat "$WORK/$1.enroll")"
	fi
}
open_with_pin() { echo 1234 | "$UNLOCK" open --pkcs11-uri auto --token-only --token-timeout 5 --dump-volume-key "$1"; }

for curve in prime256v1 secp384r1; do
	softhsm2-util --init-token --free --label "$curve" --pin 1234 --so-pin 5678 >/dev/null
	p11 --token-label "$curve" --login --pin 1234 --keypairgen --key-type "EC:$curve" --usage-derive --id 02 \
		--label ec >/dev/null
	enroll "$curve" "pkcs11:token=$curve"
	key=$(cryptsetup token export --token-id 0 "$T/$curve.img" | sed -n 's/.*"pkcs11-key":"\([^"]*\)".*/\1/p')
	# the ephemeral key's uncompressed point, 04 || X || Y: the scheme of systemd 256 and later
	size=$(printf '%s' "$key" | base64 -d 2>/dev/null | wc -c)
	first=$(printf '%s' "$key" | base64 -d 2>/dev/null | head -c 1 | od -An -tx1 | tr -d ' ')
	if [ "$first" = 04 ] && { [ "$size" = 65 ] || [ "$size" = 97 ]; }; then
		ok "pkcs11 trixie: the $curve token holds an ephemeral EC point ($size bytes: systemd's ECDH scheme)"
	else
		not_ok "pkcs11 trixie: the $curve token holds an ephemeral EC point (systemd's ECDH scheme)" "$key"
	fi
	check_eq "pkcs11 trixie: an EC token on $curve gives the volume key through the token's ECDH" "$want" \
		"$(open_with_pin "$T/$curve.img" 2>"$WORK/err")"
	grep -q "opened with PKCS#11 token 0" "$WORK/err" || not_ok "pkcs11 trixie: $curve: it says the token opened it" "$(cat "$WORK/err")"
done

softhsm2-util --init-token --free --label rsa --pin 1234 --so-pin 5678 >/dev/null
p11 --token-label rsa --login --pin 1234 --keypairgen --key-type rsa:2048 --id 03 --label rsa >/dev/null
enroll rsa "pkcs11:token=rsa;type=public"
check_eq "pkcs11 trixie: systemd 257's RSA token (enrolled from the public key object) gives the volume key" "$want" \
	"$(open_with_pin "$T/rsa.img" 2>/dev/null)"
uri=$(cryptsetup token export --token-id 0 "$T/rsa.img" | sed -n 's/.*"pkcs11-uri":"\([^"]*\)".*/\1/p')
case $uri in
*type=private*) ok "pkcs11 trixie: systemd 257 wrote the private key's URI for type=public ($uri)" ;;
*) not_ok "pkcs11 trixie: systemd 257 wrote the private key's URI for type=public" "$uri" ;;
esac

# The other direction: unlock enroll's tokens (EC and RSA) open with systemd 257's own plugin in
# the Debian 13 tree (cryptsetup loads libcryptsetup-token-systemd-pkcs11.so there).
systemd_opens() { # IMAGE: systemd 257's plugin with PIN 1234 on the PIN question
	in_chroot "$BASE" sh -c 'echo 1234 | SOFTHSM2_CONF=$1 cryptsetup open --test-passphrase --token-only "$2"' \
		sh "$inside/softhsm2.conf" "$inside/$1" >"$WORK/systemd.log" 2>&1
}
for token in prime256v1 rsa; do
	truncate -s 16M "$T/ours-$token.img"
	printf secret | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--volume-key-file "$WORK/vk" --key-size 512 "$T/ours-$token.img" - >/dev/null
	PASSWORD=secret "$TOP/build/unlock" enroll --pkcs11-token-uri "pkcs11:token=$token" "$T/ours-$token.img" \
		>"$WORK/ours.log" 2>&1 || not_ok "pkcs11 trixie: unlock enroll on token $token" "$(cat "$WORK/ours.log")"
	if systemd_opens "ours-$token.img"; then
		ok "pkcs11 trixie: unlock enroll's token on $token opens with systemd 257's plugin"
	else
		not_ok "pkcs11 trixie: unlock enroll's token on $token opens with systemd 257's plugin" "$(cat "$WORK/systemd.log")"
	fi
done
