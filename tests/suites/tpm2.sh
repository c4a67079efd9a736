#!/bin/bash
# TPM2 tokens against a real software TPM (swtpm on loopback, a random port): tokens enrolled by
# the real systemd-cryptenroll (no PCRs, PCR 7, a PIN, a signed PCR policy from systemd-measure)
# give back the known volume key through unlock-tpm2; a changed PCR, a wrong PIN, a damaged or
# unknown token and a helper that crashes, hangs or babbles are refused with their reasons.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"

MEASURE=/usr/lib/systemd/systemd-measure
state=$WORK/tpm
mkdir -p "$state"
swtpm_tcp_start "$state" "$WORK/swtpm.pid" || not_ok "tpm2: swtpm started"
trap 'kill "$(cat "$WORK/swtpm.pid" 2>/dev/null)" 2>/dev/null; rm -rf "$WORK"' EXIT
TCTI=swtpm:host=127.0.0.1,port=$SWTPM_PORT
export TSS2_LOG=all+none
# systemd-cryptenroll leaves a session loaded; a TPM without a resource manager (swtpm over TCP,
# unlike /dev/tpmrm0) holds only three.
tpm_tidy() { tpm2_flushcontext -T "$TCTI" -l >/dev/null 2>&1; tpm2_dictionarylockout -T "$TCTI" -c >/dev/null 2>&1; }

head -c 64 /dev/urandom >"$WORK/vk"
want=$(hex_of "$WORK/vk")
new_image() { secret_image "$1"; }
enroll() { # IMAGE ARGS...: systemd-cryptenroll with the passphrase "secret"
	local img=$1
	shift
	PASSWORD=secret systemd-cryptenroll --tpm2-device="$TCTI" "$@" "$img" >"$WORK/enroll.log" 2>&1
	tpm_tidy
}
dump() { "$UNLOCK" open --tpm2-device "$TCTI" --token-only --dump-volume-key "$@"; }

new_image "$WORK/none.img"
enroll "$WORK/none.img" --tpm2-pcrs=
check_eq "tpm2: systemd-cryptenroll with no PCRs: the volume key comes back unattended" "$want" \
	"$(dump "$WORK/none.img" </dev/null 2>"$WORK/err")"
if grep -q "opened with TPM2 token 0 (keyslot 1)" "$WORK/err"; then ok "tpm2: it says which token and keyslot opened it"
else not_ok "tpm2: it says which token and keyslot opened it" "$(cat "$WORK/err")"; fi
check_exit "tpm2: without the TPM the token is refused, with its reason" 2 "cannot talk to the TPM2" -- \
	"$UNLOCK" open --tpm2-device swtpm:host=127.0.0.1,port=1 --token-only --test-passphrase "$WORK/none.img"
out=$(printf secret | "$UNLOCK" open --tpm2-device swtpm:host=127.0.0.1,port=1 --dump-volume-key "$WORK/none.img" 2>"$WORK/err")
check_eq "tpm2: a failed token falls back to the passphrase without --token-only" "$want" "$out"

new_image "$WORK/pcr7.img"
enroll "$WORK/pcr7.img" --tpm2-pcrs=7
check_eq "tpm2: systemd-cryptenroll bound to PCR 7: the volume key comes back" "$want" "$(dump "$WORK/pcr7.img" </dev/null 2>/dev/null)"

new_image "$WORK/pin.img"
NEWPIN=4711 enroll "$WORK/pin.img" --tpm2-with-pin=yes
check_eq "tpm2: systemd-cryptenroll with a PIN: the right PIN gives the volume key" "$want" \
	"$(echo 4711 | dump "$WORK/pin.img" 2>/dev/null)"
check_exit "tpm2: a PIN token under --token-only with no PIN to read fails" 2 "an empty PIN is not tried" -- dump "$WORK/pin.img"
counter() { echo $(($(tpm2_getcap -T "$TCTI" properties-variable | awk '/TPM2_PT_LOCKOUT_COUNTER/ {print $2}'))); }
before=$(counter)
echo 1111 | dump "$WORK/pin.img" >/dev/null 2>"$WORK/err"
after=$(counter)
if grep -q "wrong TPM2 PIN ([0-9]* tries left before the TPM locks out)" "$WORK/err"; then
	ok "tpm2: a wrong PIN is refused with the tries the TPM has left"
else not_ok "tpm2: a wrong PIN is refused with the tries the TPM has left" "$(cat "$WORK/err")"; fi
check_eq "tpm2: the wrong PIN counted once in the TPM's lockout counter" "$((before + 1))" "$after"
printf '1111\n2222\n3333\n4444\n5555\n' | dump "$WORK/pin.img" >/dev/null 2>"$WORK/err"
asked=$(grep -c "wrong TPM2 PIN" "$WORK/err")
if grep -q "(0 tries left before the TPM locks out)" "$WORK/err" && [ "$asked" -le 3 ]; then
	ok "tpm2: PIN questions stop when the TPM has no tries left ($asked asked)"
else not_ok "tpm2: PIN questions stop when the TPM has no tries left" "$(cat "$WORK/err")"; fi
before=$(counter)
echo 4711 | dump "$WORK/pin.img" >/dev/null 2>"$WORK/err"
if grep -q "dictionary-attack lockout" "$WORK/err" && ! grep -q "wrong TPM2 PIN" "$WORK/err" && [ "$(counter)" = "$before" ]; then
	ok "tpm2: in lockout the TPM is not asked, not even with the right PIN"
else not_ok "tpm2: in lockout the TPM is not asked, not even with the right PIN" "$(cat "$WORK/err")"; fi
tpm_tidy

# A signed PCR policy: PCR 11 as systemd-stub would leave it for a kernel, signed by systemd-measure.
echo kernel >"$WORK/linux"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/pcr.key" 2>/dev/null
openssl pkey -in "$WORK/pcr.key" -pubout -out "$WORK/pcr.pub" 2>/dev/null
for part in ".linux" "$WORK/linux" "enter-initrd"; do
	if [ -f "$part" ]; then d=$(sha256sum "$part" | cut -c1-64); elif [ "$part" = .linux ]; then d=$(printf '.linux\0' | sha256sum | cut -c1-64); else d=$(printf '%s' "$part" | sha256sum | cut -c1-64); fi
	tpm2_pcrextend -T "$TCTI" "11:sha256=$d"
done
"$MEASURE" sign --tpm2-device="$TCTI" --linux="$WORK/linux" --phase=enter-initrd --bank=sha256 \
	--private-key="$WORK/pcr.key" --public-key="$WORK/pcr.pub" >"$WORK/sig.json" 2>"$WORK/measure.log"
tpm_tidy
new_image "$WORK/signed.img"
enroll "$WORK/signed.img" --tpm2-pcrs= --tpm2-public-key="$WORK/pcr.pub" --tpm2-public-key-pcrs=11
check_eq "tpm2: a signed PCR policy (systemd-measure, PCR 11) gives the volume key with its signature" "$want" \
	"$(dump --tpm2-signature "$WORK/sig.json" "$WORK/signed.img" </dev/null 2>/dev/null)"
# The other direction: tokens enrolled by unlock enroll (through libcryptsetup), field for field as
# systemd-cryptenroll writes them, and opened by unlock-tpm2.
keys_of() { cryptsetup luksDump --dump-json-metadata "$1" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["tokens"]["0"])))'; }
ours() { # IMAGE ARGS...: unlock enroll with the passphrase on standard input
	local img=$1
	shift
	new_image "$img"
	printf 'secret\n' | "$UNLOCK" enroll --tpm2-device "$TCTI" "$@" "$img" >"$WORK/ours.log" 2>&1
	tpm_tidy
}
ours "$WORK/ours-none.img" --tpm2-pcrs ""
check_eq "enroll: unlock enroll's token with no PCRs opens with unlock-tpm2" "$want" "$(dump "$WORK/ours-none.img" </dev/null 2>/dev/null)"
check_eq "enroll: its fields are systemd-cryptenroll's" "$(keys_of "$WORK/none.img")" "$(keys_of "$WORK/ours-none.img")"
if grep -q "^Policy digest: [0-9a-f]\{64\}$" "$WORK/ours.log"; then ok "enroll: it prints the policy digest"
else not_ok "enroll: it prints the policy digest" "$(cat "$WORK/ours.log")"; fi
if cryptsetup luksDump "$WORK/ours-none.img" | grep -q "tpm2-primary-alg: ecc"; then
	ok "enroll: cryptsetup luksDump shows the token through systemd's token plugin"
else
	not_ok "enroll: cryptsetup luksDump shows the token through systemd's token plugin" "$(cryptsetup luksDump "$WORK/ours-none.img" | sed -n '/Tokens/,/Digests/p')"
fi
ours "$WORK/ours-pcr7.img" --tpm2-pcrs 7
check_eq "enroll: bound to PCR 7's current value, it opens" "$want" "$(dump "$WORK/ours-pcr7.img" </dev/null 2>/dev/null)"
check_eq "enroll: bound to PCR 7, its fields are systemd-cryptenroll's" "$(keys_of "$WORK/pcr7.img")" "$(keys_of "$WORK/ours-pcr7.img")"
pcr7=$(tpm2_pcrread -T "$TCTI" sha256:7 | sed -n 's/.*7 *: 0x\([0-9A-F]*\).*/\1/p')
ours "$WORK/ours-pcr7-given.img" --tpm2-pcrs "7:sha256=$pcr7"
check_eq "enroll: bound to a PCR 7 value given as 7:sha256=HEX, it opens while PCR 7 holds it" "$want" \
	"$(dump "$WORK/ours-pcr7-given.img" </dev/null 2>/dev/null)"
ours "$WORK/ours-pcr7-next.img" --tpm2-pcrs "7:sha256=$(echo next boot | sha256sum | cut -c1-64)"
check_exit "enroll: bound to a value PCR 7 does not hold yet, it is refused for now" 2 "PCR values differ" -- dump "$WORK/ours-pcr7-next.img"
new_image "$WORK/ours-pin.img"
printf 'secret\n' | NEWPIN=2468 "$UNLOCK" enroll --tpm2-device "$TCTI" --tpm2-pcrs "" --tpm2-with-pin "$WORK/ours-pin.img" >/dev/null 2>&1
tpm_tidy
check_eq "enroll: with a PIN (NEWPIN), the PIN opens it" "$want" "$(echo 2468 | dump "$WORK/ours-pin.img" 2>/dev/null)"
ours "$WORK/ours-signed.img" --tpm2-pcrs "" --tpm2-public-key "$WORK/pcr.pub" --tpm2-public-key-pcrs 11
check_eq "enroll: a signed PCR policy opens with systemd-measure's signature" "$want" \
	"$(dump --tpm2-signature "$WORK/sig.json" "$WORK/ours-signed.img" </dev/null 2>/dev/null)"
check_eq "enroll: the signed policy's fields are systemd-cryptenroll's" "$(keys_of "$WORK/signed.img")" "$(keys_of "$WORK/ours-signed.img")"
slots() { cryptsetup luksDump --dump-json-metadata "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(d["keyslots"]["0"], sort_keys=True), " ".join(sorted(d["keyslots"])))'; }
new_image "$WORK/keep.img"
before=$(slots "$WORK/keep.img")
printf 'secret\n' | "$UNLOCK" enroll --tpm2-device "$TCTI" --tpm2-pcrs "" "$WORK/keep.img" >/dev/null 2>&1
tpm_tidy
check_eq "enroll: keyslot 0 is untouched and one keyslot is added" "${before% *} 0 1" "$(slots "$WORK/keep.img")"
new_image "$WORK/wrong.img"
sum=$(sha_of "$WORK/wrong.img")
check_exit "enroll: a wrong passphrase adds nothing (exit 2)" 2 "no keyslot opens with this passphrase" -- \
	sh -c "printf 'nope\n' | '$UNLOCK' enroll --tpm2-device '$TCTI' '$WORK/wrong.img'"
check_eq "enroll: and the header is unchanged" "$sum" "$(sha_of "$WORK/wrong.img")"
truncate -s 16M "$WORK/luks1.img"
printf secret | cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 "$WORK/luks1.img" - >/dev/null
check_exit "enroll: LUKS1 has no tokens (exit 4)" 4 "tokens need LUKS2" -- \
	sh -c "printf 'secret\n' | '$UNLOCK' enroll --tpm2-device '$TCTI' '$WORK/luks1.img'"
check_exit "enroll: a malformed PCR list is a usage error" 1 "tpm2-pcrs" -- "$UNLOCK" enroll --tpm2-pcrs 7:sha256=xyz "$WORK/keep.img"
tpm2_pcrextend -T "$TCTI" "7:sha256=$(echo changed | sha256sum | cut -c1-64)"
tpm2_pcrextend -T "$TCTI" "11:sha256=$(echo changed | sha256sum | cut -c1-64)"
check_exit "tpm2: after PCR 7 changed, the PCR 7 token is refused and says which PCRs it binds" 2 \
	"PCR values differ from those the token was sealed to (it binds PCRs 7 of bank sha256)" -- dump "$WORK/pcr7.img"
check_exit "tpm2: after PCR 11 changed, the signature no longer fits and it says so" 2 \
	"holds no signature for this key and the current values of PCRs 11" -- dump --tpm2-signature "$WORK/sig.json" "$WORK/signed.img"
check_exit "tpm2: a signed policy without its signature file names the file it looked for" 2 "tpm2-pcr-signature.json is missing" -- \
	dump "$WORK/signed.img"
check_eq "tpm2: the unbound token still opens after the PCRs changed" "$want" "$(dump "$WORK/none.img" </dev/null 2>/dev/null)"

# Tokens unlock-tpm2 must refuse rather than guess: imported with the real cryptsetup.
token_of() { cryptsetup luksDump --dump-json-metadata "$1" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["tokens"]["0"]))'; }
variant() { # NAME PYTHON-EXPRESSION-ON-t: an image whose only token is the no-PCR token, changed
	cp "$WORK/none.img" "$WORK/$1.img"
	cryptsetup token remove --token-id 0 "$WORK/$1.img"
	token_of "$WORK/none.img" | python3 -c "import json,sys; t=json.load(sys.stdin); $2; print(json.dumps(t))" >"$WORK/$1.json"
	# systemd's token plugin would check (and refuse) what is imported: these tests want it stored
	cryptsetup token import --disable-external-tokens --json-file "$WORK/$1.json" "$WORK/$1.img"
}
variant pcrlock 't["tpm2_pcrlock"]=True'
check_exit "tpm2: a pcrlock token without its NV index is a damaged token" 2 "names no NV index" -- dump "$WORK/pcrlock.img"
variant unknown 't["tpm2_future"]=1'
check_exit "tpm2: a token with a field unlock does not know is refused, not guessed at" 2 'field "tpm2_future" unlock does not know' -- dump "$WORK/unknown.img"
variant shards 't["tpm2-blob"]=[t["tpm2-blob"]]; t["tpm2-policy-hash"]=[t["tpm2-policy-hash"]]'
check_eq "tpm2: a blob and policy hash as arrays of one shard (systemd 257's form) open" "$want" \
	"$(dump "$WORK/shards.img" </dev/null 2>/dev/null)"
variant twoshards 't["tpm2-blob"]=[t["tpm2-blob"], t["tpm2-blob"]]; t["tpm2-policy-hash"]=[t["tpm2-policy-hash"]] * 2'
check_exit "tpm2: two shards without a pcrlock and a signed policy are a damaged token" 2 "has 2 blobs, and its policies" -- \
	dump "$WORK/twoshards.img"
variant short 't["tpm2-blob"]=t["tpm2-blob"][:40]'
check_exit "tpm2: a truncated blob is a damaged token" 2 "not a sealed TPM2 object" -- dump "$WORK/short.img"
variant badpcr 't["tpm2-pcrs"]=[24]'
check_exit "tpm2: a PCR number past 23 is a damaged token" 2 "not a PCR number" -- dump "$WORK/badpcr.img"

# tpm2_srk (systemd 254+): the primary key persisted at 0x81000001 and its handle serialized, as
# systemd does it, here with tpm2-tools; systemd's template gives the same key as the transient one.
tpm2_createprimary -T "$TCTI" -C o -G ecc256:aes128cfb -g sha256 -c "$WORK/srk.ctx" \
	-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth' >/dev/null
tpm2_evictcontrol -T "$TCTI" -C o -c "$WORK/srk.ctx" 0x81000001 >/dev/null
tpm2_readpublic -T "$TCTI" -c 0x81000001 -t "$WORK/srk.tr" >/dev/null
tpm_tidy
tpm2_flushcontext -T "$TCTI" -t >/dev/null 2>&1
srk=$(base64 -w0 "$WORK/srk.tr")
variant srk "t[\"tpm2_srk\"]=\"$srk\""
check_eq "tpm2: a token naming its persistent storage root key (tpm2_srk) opens" "$want" "$(dump "$WORK/srk.img" </dev/null 2>/dev/null)"
tpm2_evictcontrol -T "$TCTI" -C o -c 0x81000001 >/dev/null
tpm2_createprimary -T "$TCTI" -C o -G rsa2048:aes128cfb -c "$WORK/other.ctx" >/dev/null
tpm2_evictcontrol -T "$TCTI" -C o -c "$WORK/other.ctx" 0x81000001 >/dev/null
tpm2_flushcontext -T "$TCTI" -t >/dev/null 2>&1
check_exit "tpm2: another key at that handle (a cleared TPM) is named as such" 2 "not the one the token was sealed under" -- dump "$WORK/srk.img"

# Helpers that crash, hang or babble: the same program, next to a helper that misbehaves.
mkdir -p "$WORK/bin"
cp "$UNLOCK" "$WORK/bin/unlock"
fake_helper() {
	printf '#!/bin/sh\ncat >/dev/null\n%s\n' "$1" >"$WORK/bin/unlock-tpm2"
	chmod +x "$WORK/bin/unlock-tpm2"
}
fake_helper 'kill -SEGV $$'
check_exit "tpm2: a helper that crashes is a failed token with its reason" 2 "died of signal 11" -- \
	"$WORK/bin/unlock" open --token-only --test-passphrase "$WORK/none.img"
fake_helper 'exec sleep 60'
check_exit "tpm2: a helper that hangs is stopped after --token-timeout" 2 "did not answer within 2 s" -- \
	"$WORK/bin/unlock" open --token-only --token-timeout 2 --test-passphrase "$WORK/none.img"
check_eq "tpm2: and nothing of it is left running" "" "$(pgrep -f "$WORK/bin/unlock-tpm2" || true)"
fake_helper 'printf "status 2\nok\npassphrase 99\nshort\n"'
check_exit "tpm2: a garbled answer is a failed token" 2 "gave no valid answer" -- \
	"$WORK/bin/unlock" open --token-only --test-passphrase "$WORK/none.img"
fake_helper 'printf "status 2\nok\npassphrase 5\nwrong\n"'
check_exit "tpm2: a secret that opens no keyslot says the token is damaged" 2 "opens no keyslot" -- \
	"$WORK/bin/unlock" open --token-only --test-passphrase "$WORK/none.img"
out=$(printf secret | "$WORK/bin/unlock" open --dump-volume-key --tpm2-device auto "$WORK/none.img" 2>/dev/null)
check_eq "tpm2: after a failed helper the passphrase still opens the volume" "$want" "$out"

# Which images carry TPM2 support: the shared hook's answer for a crypttab (host-only images).
# shellcheck source=../../hooks/unlock-files.sh
. "$TOP/hooks/unlock-files.sh"
printf 'root %s none luks\n' "$WORK/none.img" >"$WORK/ct-token"
new_image "$WORK/plain.img"
printf 'root %s none luks\n' "$WORK/plain.img" >"$WORK/ct-plain"
printf 'root %s none luks,tpm2-device=auto\n' "$WORK/plain.img" >"$WORK/ct-option"
wants() { if unlock_crypttab_wants_tpm2 "$1" "$UNLOCK"; then echo yes; else echo no; fi; }
check_eq "mkinitrd: a crypttab volume whose header holds a systemd-tpm2 token wants TPM2 support" yes "$(wants "$WORK/ct-token")"
check_eq "mkinitrd: one naming tpm2-device= wants it too" yes "$(wants "$WORK/ct-option")"
check_eq "mkinitrd: a volume with neither does not" no "$(wants "$WORK/ct-plain")"
