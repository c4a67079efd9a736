#!/bin/bash
# PKCS#11 tokens against a real software token (SoftHSM2, found through p11-kit's registry as on an
# installed system, its store in a folder of this test's): tokens enrolled by the real
# systemd-cryptenroll (an RSA key and its certificate) give back the known volume key through
# unlock-pkcs11; a wrong PIN, a token that is not there, a token without the key and a damaged
# token are refused with their reasons, and the passphrase still opens the volume after them.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"

MODULE=/usr/lib/softhsm/libsofthsm2.so
export SOFTHSM2_CONF=$WORK/softhsm2.conf
mkdir -p "$WORK/tokens"
echo "directories.tokendir = $WORK/tokens" >"$SOFTHSM2_CONF"
p11() { pkcs11-tool --module "$MODULE" "$@"; }

# token LABEL [KEY-ARGS]: a SoftHSM2 token with PIN 1234; with an RSA key and its certificate unless
# told "empty".
token() {
	softhsm2-util --init-token --free --label "$1" --pin 1234 --so-pin 5678 >/dev/null
	[ "${2:-}" = empty ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/$1.pem" -out "$WORK/$1.crt" -subj "/CN=$1" \
		-days 30 2>/dev/null
	openssl pkey -in "$WORK/$1.pem" -outform DER -out "$WORK/$1.key.der"
	openssl x509 -in "$WORK/$1.crt" -outform DER -out "$WORK/$1.crt.der"
	p11 --token-label "$1" --login --pin 1234 --write-object "$WORK/$1.key.der" --type privkey --id 01 --label key >/dev/null
	p11 --token-label "$1" --login --pin 1234 --write-object "$WORK/$1.crt.der" --type cert --id 01 --label key >/dev/null
}

head -c 64 /dev/urandom >"$WORK/vk"
want=$(hex_of "$WORK/vk")
new_image() { secret_image "$1"; }
enroll() { # IMAGE URI: systemd-cryptenroll with the passphrase "secret" and PIN 1234
	PASSWORD=secret PIN=1234 systemd-cryptenroll --pkcs11-token-uri="$2" "$1" >"$WORK/enroll.log" 2>&1 ||
		not_ok "pkcs11: systemd-cryptenroll --pkcs11-token-uri=$2" "$(cat "$WORK/enroll.log")"
}
dump() { "$UNLOCK" open --pkcs11-uri auto --token-only --token-timeout 2 --dump-volume-key "$@"; }

token alpha
new_image "$WORK/rsa.img"
enroll "$WORK/rsa.img" "pkcs11:token=alpha"
check_eq "pkcs11: systemd-cryptenroll's RSA token: the right PIN gives the volume key" "$want" \
	"$(echo 1234 | dump "$WORK/rsa.img" 2>"$WORK/err")"
if grep -q "opened with PKCS#11 token 0 (keyslot 1)" "$WORK/err"; then ok "pkcs11: it says which token and keyslot opened it"
else not_ok "pkcs11: it says which token and keyslot opened it" "$(cat "$WORK/err")"; fi

# A wrong PIN costs the token a try: SoftHSM2 then flags its PIN count as low, and says so.
printf '1111\n' | dump "$WORK/rsa.img" >/dev/null 2>"$WORK/err" && rc=0 || rc=$?
if [ "$rc" = 2 ] && grep -q "PKCS#11 token 0: wrong PIN for token 'alpha'" "$WORK/err"; then
	ok "pkcs11: a wrong PIN is refused with the token's name"
else
	not_ok "pkcs11: a wrong PIN is refused with the token's name" "exit $rc" "$(cat "$WORK/err")"
fi
if p11 -L 2>/dev/null | grep -q "user PIN count low"; then ok "pkcs11: the token counted the wrong PIN"
else not_ok "pkcs11: the token counted the wrong PIN" "$(p11 -L 2>&1)"; fi
out=$(printf '1111\n1234\n' | dump "$WORK/rsa.img" 2>"$WORK/err")
if [ "$out" = "$want" ] && grep -q "the PIN was entered wrong before" "$WORK/err"; then
	ok "pkcs11: a wrong PIN, then the right one: opened, with the token's warning before the question"
else
	not_ok "pkcs11: a wrong PIN, then the right one: opened, with the token's warning before the question" "$(cat "$WORK/err")"
fi
check_exit "pkcs11: no PIN to read: an empty PIN is not tried" 2 "an empty PIN is not tried" -- dump "$WORK/rsa.img"

# A URI naming the certificate (what p11tool and pkcs11-tool print) means its private key.
new_image "$WORK/cert.img"
enroll "$WORK/cert.img" "pkcs11:token=alpha;object=key;type=cert"
check_eq "pkcs11: a token enrolled with the certificate's URI opens with its private key" "$want" \
	"$(echo 1234 | dump "$WORK/cert.img" 2>/dev/null)"

# The token is not there (another store): the reason after token-timeout=, then the passphrase.
SOFTHSM2_CONF=$WORK/empty.conf
mkdir -p "$WORK/none"
echo "directories.tokendir = $WORK/none" >"$SOFTHSM2_CONF"
check_exit "pkcs11: a token that is not present is waited for, then refused with the reason" 2 \
	"no token matching its URI is present" -- dump "$WORK/rsa.img"
if grep -q "waiting up to 2 s for the PKCS#11 token" "$WORK/err"; then ok "pkcs11: it says it waits for the token"
else not_ok "pkcs11: it says it waits for the token" "$(cat "$WORK/err")"; fi
out=$(printf 'secret\n' | "$UNLOCK" open --pkcs11-uri auto --token-timeout 1 --dump-volume-key "$WORK/rsa.img" 2>"$WORK/err")
check_eq "pkcs11: without the token the passphrase still opens the volume" "$want" "$out"
SOFTHSM2_CONF=$WORK/softhsm2.conf

# A token that holds no key for the URI, and one whose key is not the one enrolled.
token bare empty
token beta
check_exit "pkcs11: a token without the key is refused with the reason" 2 "holds no private key the URI names" -- \
	sh -c 'echo 1234 | "$0" open --pkcs11-uri "pkcs11:token=bare" --token-only --token-timeout 2 --test-passphrase "$1"' \
	"$UNLOCK" "$WORK/rsa.img"
check_exit "pkcs11: another RSA key does not decrypt the token's key" 2 "did not decrypt the key" -- \
	sh -c 'echo 1234 | "$0" open --pkcs11-uri "pkcs11:token=beta" --token-only --token-timeout 2 --test-passphrase "$1"' \
	"$UNLOCK" "$WORK/rsa.img"

# Damaged tokens: the reason, no crash (the helper runs under the sanitizers).
json=$(cryptsetup token export --token-id 0 "$WORK/rsa.img")
damage() { # NAME JQ-LIKE-SED: the image's token 0 replaced by the edited JSON
	cp "$WORK/rsa.img" "$WORK/$1.img"
	cryptsetup token remove --token-id 0 "$WORK/$1.img"
	printf '%s' "$json" | sed -e "$2" | cryptsetup token import --disable-external-tokens --token-id 0 "$WORK/$1.img"
}
damage badkey 's/"pkcs11-key":"[^"]*"/"pkcs11-key":"!!"/'
check_exit "pkcs11: a pkcs11-key that is not base64 is refused" 2 "pkcs11-key is not base64" -- dump "$WORK/badkey.img"
damage baduri 's/"pkcs11-uri":"[^"]*"/"pkcs11-uri":"http:\/\/x"/'
check_exit "pkcs11: a pkcs11-uri that is not one is refused" 2 "pkcs11-uri is not a PKCS#11 URI" -- dump "$WORK/baduri.img"
damage newfield 's/"type":/"pkcs11-future":1,"type":/'
check_exit "pkcs11: a field unlock does not know is refused, not guessed at" 2 "does not know" -- dump "$WORK/newfield.img"
damage eckey 's/"pkcs11-key":"[^"]*"/"pkcs11-key":"MCowBQYDK2VuAyEA"/'
check_exit "pkcs11: a key whose kind the token's key does not match is refused" 2 "" -- \
	sh -c 'echo 1234 | "$0" open --pkcs11-uri auto --token-only --token-timeout 2 --test-passphrase "$1"' \
	"$UNLOCK" "$WORK/eckey.img"

# The other direction: systemd's own plugin opens what the same token holds.
if echo 1234 | PIN=1234 cryptsetup open --test-passphrase --token-only "$WORK/rsa.img" >/dev/null 2>&1; then
	ok "pkcs11: systemd's libcryptsetup plugin opens the same token (the test's own sanity)"
else
	not_ok "pkcs11: systemd's libcryptsetup plugin opens the same token (the test's own sanity)"
fi

# unlock enroll writes what systemd-cryptenroll writes: an RSA token from the certificate's URI
# (stored as the private key's) opens with unlock and with Debian 12's systemd plugin.
new_image "$WORK/ours.img"
if PASSWORD=secret "$TOP/build/unlock" enroll --pkcs11-token-uri "pkcs11:token=alpha;object=key;type=cert" \
	"$WORK/ours.img" >"$WORK/ours.log" 2>&1; then
	ok "pkcs11: unlock enroll adds an RSA token from the certificate"
else
	not_ok "pkcs11: unlock enroll adds an RSA token from the certificate" "$(cat "$WORK/ours.log")"
fi
check_eq "pkcs11: unlock enroll's token stores the private key's URI, as systemd does" "pkcs11:token=alpha;object=key;type=private" \
	"$(cryptsetup token export --token-id 0 "$WORK/ours.img" | sed -n 's/.*"pkcs11-uri":"\([^"]*\)".*/\1/p')"
check_eq "pkcs11: unlock enroll's RSA token opens with unlock" "$want" "$(echo 1234 | dump "$WORK/ours.img" 2>/dev/null)"
if echo 1234 | cryptsetup open --test-passphrase --token-only "$WORK/ours.img" >/dev/null 2>&1; then
	ok "pkcs11: unlock enroll's RSA token opens with systemd 252's own plugin"
else
	not_ok "pkcs11: unlock enroll's RSA token opens with systemd 252's own plugin"
fi
# An EC key: systemd's ECDH scheme, which systemd 252 does not know (the enrollment says so).
softhsm2-util --init-token --free --label gamma --pin 1234 --so-pin 5678 >/dev/null
p11 --token-label gamma --login --pin 1234 --keypairgen --key-type EC:prime256v1 --usage-derive --id 02 --label ec >/dev/null
new_image "$WORK/ec.img"
PASSWORD=secret "$TOP/build/unlock" enroll --pkcs11-token-uri "pkcs11:token=gamma" "$WORK/ec.img" >"$WORK/ec.log" 2>&1
if grep -q "(EC key: systemd 256 and later open it, Debian 12's systemd 252 does not)" "$WORK/ec.log"; then
	ok "pkcs11: unlock enroll adds an EC token and says which systemd opens it"
else
	not_ok "pkcs11: unlock enroll adds an EC token and says which systemd opens it" "$(cat "$WORK/ec.log")"
fi
check_eq "pkcs11: unlock enroll's EC token opens with unlock (the token's ECDH)" "$want" "$(echo 1234 | dump "$WORK/ec.img" 2>/dev/null)"
check_exit "pkcs11: unlock enroll refuses a URI no token matches" 5 "no token matching its URI" -- \
	env PASSWORD=secret "$TOP/build/unlock" enroll --pkcs11-token-uri "pkcs11:token=nowhere" "$WORK/ec.img"
check_exit "pkcs11: unlock enroll refuses a token without a public key" 5 "holds no certificate or public key" -- \
	env PASSWORD=secret "$TOP/build/unlock" enroll --pkcs11-token-uri "pkcs11:token=bare" "$WORK/ec.img"
