#!/bin/bash
# TPM2 tokens as today's systemd writes them: Debian 13's systemd (257), run in the debootstrapped
# Debian 13 (build/trixie-root) against a software TPM on loopback, makes the storage root key
# (systemd-tpm2-setup), exports it (systemd-analyze srk) and enrolls tokens online and offline
# (--tpm2-device-key: a blob with a seed for TPM2_Import); this host's unlock-tpm2 gives back the
# known volume key from each, under an ECC and an RSA storage root key. A token without
# tpm2-pcr-bank binds the bank systemd thinks best. The other way round: unlock enroll writes
# systemd 257's tokens (the SRK it makes when there is none, a salted PIN, sealing without the
# TPM), and systemd 257's own code opens them (systemd-cryptenroll --unlock-tpm2-device=).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../trixie.sh
source "$TOP/tests/trixie.sh"

# The images and the SRK's public key inside the Debian 13 tree, seen from the chroot as $inside.
trixie_system_folder "tpm2 trixie" tpm2
export TSS2_LOG=all+none

head -c 64 /dev/urandom >"$WORK/vk"
want=$(hex_of "$WORK/vk")
new_image() { secret_image "$T/$1.img"; }
# enroll NAME ARGS...: a new image NAME with the passphrase "secret", and Debian 13's
# systemd-cryptenroll adding a TPM2 token with ARGS (environment: NEWPIN).
enroll() {
	local name=$1
	shift
	new_image "$name"
	if in_chroot "$BASE" env PASSWORD=secret NEWPIN="${NEWPIN:-}" systemd-cryptenroll "$@" "$inside/$name.img" \
		>"$WORK/$name.enroll" 2>&1; then
		ok "tpm2 trixie: systemd-cryptenroll 257 enrolls $name"
	else
		not_ok "tpm2 trixie: systemd-cryptenroll 257 enrolls $name" "$(cat "$WORK/$name.enroll")"
	fi
	# systemd-cryptenroll leaves a session loaded; swtpm over TCP holds only three
	tpm2_flushcontext -T "$TCTI" -l >/dev/null 2>&1
}
dump() { "$UNLOCK" open --tpm2-device "$TCTI" --token-only --dump-volume-key "$@"; }
field() { cryptsetup token export --token-id 0 "$T/$1.img" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2', ''))"; }
# The blob's parts: a TPM2B_PRIVATE and a TPM2B_PUBLIC, then the import seed's size (0: none).
seed_size() {
	field "$1" tpm2-blob | python3 -c '
import base64, sys
b = base64.b64decode(sys.stdin.read()); i = 0
for _ in range(2): i += 2 + int.from_bytes(b[i:i + 2], "big")
print(int.from_bytes(b[i:i + 2], "big") if i + 2 <= len(b) else 0)'
}
# tpm_start NAME: a software TPM of its own on loopback; sets TCTI.
tpm_start() {
	mkdir -p "$WORK/$1"
	swtpm_tcp_start "$WORK/$1" "$WORK/$1.pid" || not_ok "tpm2 trixie: swtpm started"
	TCTI=swtpm:host=127.0.0.1,port=$SWTPM_PORT
}
# srk_export NAME: systemd-analyze srk's TPM2B_PUBLIC of the TPM's SRK into $T/NAME.pub.
srk_export() {
	in_chroot "$BASE" env SYSTEMD_TPM2_DEVICE="$TCTI" systemd-analyze srk >"$T/$1.pub" 2>"$WORK/srk.err"
}

# ours NAME ARGS...: a new image NAME, and unlock enroll --for-systemd 257 adding a TPM2 token with
# ARGS (environment: NEWPIN).
ours() {
	local name=$1
	shift
	new_image "$name"
	if printf 'secret\n' | "$UNLOCK" enroll --for-systemd 257 "$@" "$T/$name.img" >"$WORK/$name.enroll" 2>&1; then
		ok "tpm2 trixie: unlock enroll --for-systemd 257 enrolls $name"
	else
		not_ok "tpm2 trixie: unlock enroll --for-systemd 257 enrolls $name" "$(cat "$WORK/$name.enroll")"
	fi
	tpm2_flushcontext -T "$TCTI" -l >/dev/null 2>&1
}
# systemd_opens NAME: Debian 13's systemd-cryptenroll unseals the image's TPM2 token with its own
# code (environment: PIN) and adds the passphrase "other" with the key it got.
systemd_opens() {
	in_chroot "$BASE" env NEWPASSWORD=other PIN="${PIN:-}" systemd-cryptenroll --unlock-tpm2-device="$TCTI" --password \
		"$inside/$1.img" >"$WORK/$1.systemd" 2>&1 && printf other | cryptsetup open --test-passphrase "$T/$1.img" -
	local r=$?
	tpm2_flushcontext -T "$TCTI" -l >/dev/null 2>&1
	return $r
}
keys_of() { cryptsetup token export --token-id 0 "$T/$1.img" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))'; }

# A TPM without a storage root key: unlock enroll makes one where systemd-tpm2-setup would.
tpm_start fresh
ours ours-fresh --tpm2-device="$TCTI" --tpm2-pcrs=
check_eq "tpm2 trixie: unlock enroll made the SRK at 0x81000001 on a TPM that had none" yes \
	"$(tpm2_getcap -T "$TCTI" handles-persistent | grep -q 0x81000001 && echo yes)"
check_eq "tpm2 trixie: its token opens with unlock-tpm2" "$want" "$(dump "$T/ours-fresh.img" </dev/null 2>/dev/null)"
if systemd_opens ours-fresh; then ok "tpm2 trixie: and with systemd 257's own code"
else not_ok "tpm2 trixie: and with systemd 257's own code" "$(cat "$WORK/ours-fresh.systemd")"; fi
tpm_stop "$(cat "$WORK/fresh.pid")"

# An ECC storage root key, made by systemd as at a first boot.
tpm_start ecc
if in_chroot "$BASE" /usr/lib/systemd/systemd-tpm2-setup --tpm2-device="$TCTI" --early=yes >"$WORK/setup.log" 2>&1 &&
	tpm2_getcap -T "$TCTI" handles-persistent | grep -q 0x81000001 && srk_export ecc; then
	ok "tpm2 trixie: systemd-tpm2-setup makes the SRK at 0x81000001 and systemd-analyze srk exports it"
else
	not_ok "tpm2 trixie: systemd-tpm2-setup makes the SRK at 0x81000001 and systemd-analyze srk exports it" \
		"$(cat "$WORK/setup.log" "$WORK/srk.err")"
fi

enroll offline --tpm2-device-key="$inside/ecc.pub" --tpm2-pcrs=
check_eq "tpm2 trixie: the offline token's blob carries a seed for TPM2_Import" yes "$([ "$(seed_size offline)" -gt 0 ] && echo yes)"
check_eq "tpm2 trixie: enrolled offline (--tpm2-device-key) with no PCRs, it gives the volume key" "$want" \
	"$(dump "$T/offline.img" </dev/null 2>"$WORK/err")"
pcr7=$(tpm2_pcrread -T "$TCTI" sha256:7 | sed -n 's/.*7 *: 0x\([0-9A-F]*\).*/\1/p')
enroll offline-pcr7 --tpm2-device-key="$inside/ecc.pub" --tpm2-pcrs="7:sha256=$pcr7"
check_eq "tpm2 trixie: enrolled offline bound to PCR 7's value, it gives the volume key" "$want" \
	"$(dump "$T/offline-pcr7.img" </dev/null 2>/dev/null)"
enroll offline-next --tpm2-device-key="$inside/ecc.pub" --tpm2-pcrs="7:sha256=$(echo next | sha256sum | cut -c1-64)"
check_exit "tpm2 trixie: enrolled offline for a PCR 7 value not there, it is refused with the reason" 2 \
	"PCR values differ from those the token was sealed to (it binds PCRs 7 of bank sha256)" -- dump "$T/offline-next.img"
# The static helper built on this host runs unchanged in Debian 13.
mkdir -p "$T/bin"
cp "$TOP/build/unlock" "$TOP/build/unlock-tpm2" "$T/bin/"
got=$(in_chroot "$BASE" "$inside/bin/unlock" open --tpm2-device "$TCTI" --token-only --dump-volume-key "$inside/offline.img" \
	</dev/null 2>"$WORK/err")
if [ "$got" = "$want" ]; then ok "tpm2 trixie: this host's static unlock-tpm2 runs unchanged in Debian 13 and gives the volume key"
else not_ok "tpm2 trixie: this host's static unlock-tpm2 runs unchanged in Debian 13 and gives the volume key" "$(cat "$WORK/err")"; fi
NEWPIN=2468 enroll offline-pin --tpm2-device-key="$inside/ecc.pub" --tpm2-pcrs= --tpm2-with-pin=yes
check_eq "tpm2 trixie: enrolled offline with a PIN, the PIN gives the volume key" "$want" \
	"$(echo 2468 | dump "$T/offline-pin.img" 2>/dev/null)"
check_exit "tpm2 trixie: and a wrong PIN is refused as such" 2 "wrong TPM2 PIN" -- sh -c "echo 1357 | $UNLOCK open \
	--tpm2-device $TCTI --token-only --test-passphrase $T/offline-pin.img"
tpm2_dictionarylockout -T "$TCTI" -c >/dev/null 2>&1
NEWPIN=2468 enroll online-pin --tpm2-device="$TCTI" --tpm2-pcrs=7 --tpm2-with-pin=yes
check_eq "tpm2 trixie: enrolled online with a PIN, the token has systemd 253's PIN salt and 254's SRK" "yes yes" \
	"$([ -n "$(field online-pin tpm2_salt)" ] && echo yes) $([ -n "$(field online-pin tpm2_srk)" ] && echo yes)"
check_eq "tpm2 trixie: and the PIN gives the volume key" "$want" "$(echo 2468 | dump "$T/online-pin.img" 2>/dev/null)"

enroll plain257 --tpm2-device="$TCTI" --tpm2-pcrs=
ours ours-plain --tpm2-device="$TCTI" --tpm2-pcrs=
check_eq "tpm2 trixie: unlock enroll's token has systemd 257's fields" "$(keys_of plain257)" "$(keys_of ours-plain)"
NEWPIN=1357 ours ours-pin --tpm2-device="$TCTI" --tpm2-pcrs=7 --tpm2-with-pin
check_eq "tpm2 trixie: unlock enroll's PIN token has systemd 257's fields (tpm2_salt, tpm2_srk)" "$(keys_of online-pin)" \
	"$(keys_of ours-pin)"
check_eq "tpm2 trixie: its PIN opens it with unlock-tpm2" "$want" "$(echo 1357 | dump "$T/ours-pin.img" 2>/dev/null)"
if PIN=1357 systemd_opens ours-pin; then ok "tpm2 trixie: and with systemd 257's own code"
else not_ok "tpm2 trixie: and with systemd 257's own code" "$(cat "$WORK/ours-pin.systemd")"; fi
NEWPIN=1357 ours ours-offline --tpm2-device-key="$T/ecc.pub" --tpm2-pcrs="7:sha256=$pcr7" --tpm2-with-pin
check_eq "tpm2 trixie: unlock enroll sealed without the TPM (--tpm2-device-key, PCR 7's value, a PIN): the blob has a seed" \
	yes "$([ "$(seed_size ours-offline)" -gt 0 ] && echo yes)"
check_eq "tpm2 trixie: its fields are systemd 257's" "$(keys_of offline-pin | sed 's/ tpm2-pcr-bank//')" \
	"$(keys_of ours-offline | sed 's/ tpm2-pcr-bank//')"
check_eq "tpm2 trixie: it opens with unlock-tpm2" "$want" "$(echo 1357 | dump "$T/ours-offline.img" 2>/dev/null)"
if PIN=1357 systemd_opens ours-offline; then ok "tpm2 trixie: and with systemd 257's own code"
else not_ok "tpm2 trixie: and with systemd 257's own code" "$(cat "$WORK/ours-offline.systemd")"; fi
check_exit "tpm2 trixie: unlock enroll --tpm2-device-key without PCR 7's value is a usage error" 1 "needs every PCR's value" -- \
	"$UNLOCK" enroll --for-systemd 257 --tpm2-device-key="$T/ecc.pub" --tpm2-pcrs=7 "$T/ours-plain.img"
check_exit "tpm2 trixie: unlock enroll --tpm2-device-key for systemd 252 is refused" 1 "255 or later" -- \
	"$UNLOCK" enroll --for-systemd 252 --tpm2-device-key="$T/ecc.pub" --tpm2-pcrs= "$T/ours-plain.img"

# A token without tpm2-pcr-bank (systemd before 250): the bank with measurements in the PCRs it
# binds. PCR 9 extended in the SHA-1 bank only: a SHA-1 token opens without its bank named.
tpm2_pcrextend -T "$TCTI" "9:sha1=$(echo measured | sha1sum | cut -c1-40)"
enroll sha1 --tpm2-device="$TCTI" --tpm2-pcrs=9:sha1
check_eq "tpm2 trixie: the token names bank sha1" sha1 "$(field sha1 tpm2-pcr-bank)"
without_bank() { # NAME: the image's token again, without tpm2-pcr-bank
	cryptsetup token export --token-id 0 "$T/$1.img" |
		python3 -c 'import json,sys; t=json.load(sys.stdin); del t["tpm2-pcr-bank"]; print(json.dumps(t))' >"$WORK/$1.json"
	cryptsetup token remove --token-id 0 "$T/$1.img"
	cryptsetup token import --disable-external-tokens --json-file "$WORK/$1.json" "$T/$1.img"
}
without_bank sha1
check_eq "tpm2 trixie: without tpm2-pcr-bank, SHA-1 is chosen when only its PCR 9 holds measurements" "$want" \
	"$(dump "$T/sha1.img" </dev/null 2>"$WORK/err")"
enroll sha256 --tpm2-device="$TCTI" --tpm2-pcrs=7:sha256
without_bank sha256
check_eq "tpm2 trixie: without tpm2-pcr-bank, SHA-256 is chosen when neither bank's PCR 7 holds any" "$want" \
	"$(dump "$T/sha256.img" </dev/null 2>/dev/null)"
tpm_stop "$(cat "$WORK/ecc.pid")"

# An RSA storage root key (TPMs without ECC): the offline token's seed is RSA-OAEP encrypted.
tpm_start rsa
tpm2_createprimary -T "$TCTI" -C o -G rsa2048:aes128cfb -g sha256 -c "$WORK/rsa.ctx" \
	-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda' >/dev/null
tpm2_evictcontrol -T "$TCTI" -C o -c "$WORK/rsa.ctx" 0x81000001 >/dev/null
tpm2_flushcontext -T "$TCTI" -t >/dev/null 2>&1
srk_export rsa || not_ok "tpm2 trixie: systemd-analyze srk exports an RSA SRK" "$(cat "$WORK/srk.err")"
enroll rsa-offline --tpm2-device-key="$inside/rsa.pub" --tpm2-pcrs=
check_eq "tpm2 trixie: enrolled offline for an RSA SRK, it gives the volume key" "$want" \
	"$(dump "$T/rsa-offline.img" </dev/null 2>/dev/null)"
enroll rsa-online --tpm2-device="$TCTI" --tpm2-pcrs=7
check_eq "tpm2 trixie: enrolled online under an RSA SRK, it gives the volume key" "$want" \
	"$(dump "$T/rsa-online.img" </dev/null 2>/dev/null)"
ours ours-rsa-offline --tpm2-device-key="$T/rsa.pub" --tpm2-pcrs=
check_eq "tpm2 trixie: unlock enroll sealed without the TPM for an RSA SRK: it opens with unlock-tpm2" "$want" \
	"$(dump "$T/ours-rsa-offline.img" </dev/null 2>/dev/null)"
if systemd_opens ours-rsa-offline; then ok "tpm2 trixie: and with systemd 257's own code"
else not_ok "tpm2 trixie: and with systemd 257's own code" "$(cat "$WORK/ours-rsa-offline.systemd")"; fi
ours ours-rsa --tpm2-device="$TCTI" --tpm2-pcrs=
check_eq "tpm2 trixie: unlock enroll under an RSA SRK: tpm2-primary-alg rsa" rsa "$(field ours-rsa tpm2-primary-alg)"
if systemd_opens ours-rsa; then ok "tpm2 trixie: and systemd 257's own code opens it"
else not_ok "tpm2 trixie: and systemd 257's own code opens it" "$(cat "$WORK/ours-rsa.systemd")"; fi
# The offline token of the ECC SRK does not fit this TPM: refused with the reason.
check_exit "tpm2 trixie: a token of another TPM's SRK is refused, and says so" 2 "not the one the token was sealed under" -- \
	dump "$T/offline.img"
tpm_stop "$(cat "$WORK/rsa.pid")"

# systemd-pcrlock's policy (tpm2_pcrlock): Debian 13's systemd-pcrlock predicts PCR 7 from two
# components (boot one, boot two), writes the policy to an NV index and pcrlock.json, and
# systemd-cryptenroll binds a token to it. The log it checks the PCRs against is a userspace event
# log with this boot's one measurement (no firmware here).
tpm_start lock
E=(env SYSTEMD_TPM2_DEVICE="$TCTI" SYSTEMD_MEASURE_LOG_FIRMWARE=/dev/null SYSTEMD_MEASURE_LOG_USERSPACE="$inside/ulog")
mkdir -p "$T/comp/250-kernel.pcrlock.d"
for v in one two three; do echo "boot $v" >"$T/$v"; done
boot_as() { # WHAT: PCR 7 extended with the digest of file WHAT, and the userspace log saying so
	local h
	h=$(sha256sum "$T/$1" | cut -c1-64)
	tpm2_pcrextend -T "$TCTI" "7:sha256=$h"
	printf '\036{"pcr":7,"digests":[{"hashAlg":"sha256","digest":"%s"}],"content_type":"systemd","content":{"string":"boot %s"}}\n' \
		"$h" "$1" >"$T/ulog"
}
component() { in_chroot "$BASE" "${E[@]}" /usr/lib/systemd/systemd-pcrlock lock-raw --pcr=7 --pcrlock="$inside/comp/250-kernel.pcrlock.d/$1.pcrlock" "$inside/$1" >/dev/null 2>&1; }
make_policy() {
	in_chroot "$BASE" "${E[@]}" /usr/lib/systemd/systemd-pcrlock make-policy --pcr=7 --components="$inside/comp" \
		--policy="$inside/pcrlock.json" >"$WORK/make-policy.log" 2>&1
	local r=$?
	tpm2_flushcontext -T "$TCTI" -l >/dev/null 2>&1
	return $r
}
reboot_tpm() { tpm_stop "$(cat "$WORK/lock.pid")"; swtpm_tcp_start "$WORK/lock" "$WORK/lock.pid" "$SWTPM_PORT"; }
boot_as one
component one
component two
if make_policy && [ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["pcrValues"][0]["values"]))' "$T/pcrlock.json")" = 2 ]; then
	ok "tpm2 trixie: systemd-pcrlock make-policy predicts two values of PCR 7 and writes its NV index"
else
	not_ok "tpm2 trixie: systemd-pcrlock make-policy predicts two values of PCR 7 and writes its NV index" "$(cat "$WORK/make-policy.log")"
fi
enroll pcrlock --tpm2-device="$TCTI" --tpm2-pcrs= --tpm2-pcrlock="$inside/pcrlock.json"
check_eq "tpm2 trixie: the token is a pcrlock one" True "$(field pcrlock tpm2_pcrlock)"
cp "$T/pcrlock.json" "$T/first.json"
check_eq "tpm2 trixie: the pcrlock token opens with the prediction (tpm2-pcrlock=)" "$want" \
	"$(dump --tpm2-pcrlock "$T/pcrlock.json" "$T/pcrlock.img" </dev/null 2>/dev/null)"
check_exit "tpm2 trixie: without a prediction it is refused, and says where it looked" 2 \
	"no prediction (pcrlock.json) is in /run/systemd or /var/lib/systemd" -- dump "$T/pcrlock.img"
reboot_tpm
boot_as two
check_eq "tpm2 trixie: after a boot that measured the other predicted value, it opens (PolicyOR's other branch)" "$want" \
	"$(dump --tpm2-pcrlock "$T/pcrlock.json" "$T/pcrlock.img" </dev/null 2>/dev/null)"
tpm2_pcrextend -T "$TCTI" "7:sha256=$(echo unexpected | sha256sum | cut -c1-64)"
check_exit "tpm2 trixie: a PCR 7 value nothing predicted is refused with the reason" 2 "PCR 7 holds none of the 2 values" -- \
	dump --tpm2-pcrlock "$T/pcrlock.json" "$T/pcrlock.img"
# A new prediction (a third component) rewrites the NV index: the old pcrlock.json no longer fits.
reboot_tpm
boot_as one
component three
make_policy || not_ok "tpm2 trixie: systemd-pcrlock make-policy again" "$(cat "$WORK/make-policy.log")"
check_exit "tpm2 trixie: a stale pcrlock.json (make-policy ran since) is refused, and says so" 2 \
	"differ from the policy systemd-pcrlock make-policy last wrote" -- dump --tpm2-pcrlock "$T/first.json" "$T/pcrlock.img"
check_eq "tpm2 trixie: the new prediction opens it" "$want" \
	"$(dump --tpm2-pcrlock "$T/pcrlock.json" "$T/pcrlock.img" </dev/null 2>/dev/null)"
# pcrlock with a signed PCR 11 policy (systemd-measure's signature): systemd 257 splits the secret
# in two shards, one per policy, and both are needed.
echo kernel >"$T/linux"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/pcr.key" 2>/dev/null
openssl pkey -in "$T/pcr.key" -pubout -out "$T/pcr.pub" 2>/dev/null
for part in .linux linux enter-initrd; do
	case $part in
	.linux) d=$(printf '.linux\0' | sha256sum | cut -c1-64) ;;
	linux) d=$(sha256sum "$T/linux" | cut -c1-64) ;;
	*) d=$(printf '%s' "$part" | sha256sum | cut -c1-64) ;;
	esac
	tpm2_pcrextend -T "$TCTI" "11:sha256=$d"
done
in_chroot "$BASE" /usr/lib/systemd/systemd-measure sign --tpm2-device="$TCTI" --linux="$inside/linux" --phase=enter-initrd \
	--bank=sha256 --private-key="$inside/pcr.key" --public-key="$inside/pcr.pub" >"$T/sig.json" 2>"$WORK/measure.log"
tpm2_flushcontext -T "$TCTI" -l >/dev/null 2>&1
enroll shards --tpm2-device="$TCTI" --tpm2-pcrs= --tpm2-pcrlock="$inside/pcrlock.json" --tpm2-public-key="$inside/pcr.pub" \
	--tpm2-public-key-pcrs=11 --tpm2-signature="$inside/sig.json"
check_eq "tpm2 trixie: pcrlock with a signed policy: systemd 257 wrote two shards" 2 \
	"$(cryptsetup token export --token-id 0 "$T/shards.img" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tpm2-blob"]))')"
check_eq "tpm2 trixie: with the prediction and the signature, both shards unseal and give the volume key" "$want" \
	"$(dump --tpm2-pcrlock "$T/pcrlock.json" --tpm2-signature "$T/sig.json" "$T/shards.img" </dev/null 2>/dev/null)"
check_exit "tpm2 trixie: without the signature the first shard fails, and says why" 2 "tpm2-pcr-signature.json is missing" -- \
	dump --tpm2-pcrlock "$T/pcrlock.json" "$T/shards.img"
check_exit "tpm2 trixie: with a stale prediction the second shard fails, and says why" 2 \
	"differ from the policy systemd-pcrlock make-policy last wrote" -- \
	dump --tpm2-pcrlock "$T/first.json" --tpm2-signature "$T/sig.json" "$T/shards.img"
tpm_stop "$(cat "$WORK/lock.pid")"

# The image carries the system's prediction where the helper looks for it at boot.
KVER=${UNLOCK_TEST_KVER:-$("$TOP/qemu/kver.sh")}
if UNLOCK_PCRLOCK="$T/pcrlock.json" "$TOP/build/unlock-mkinitrd" -o "$WORK/pcrlock.cpio.zst" --kver "$KVER" --generic \
	2>"$WORK/mk.err"; then
	check_eq "mkinitrd: an image with TPM2 support carries systemd-pcrlock's prediction at /var/lib/systemd/pcrlock.json" \
		"$(sha_of "$T/pcrlock.json")" \
		"$(zstd -dc "$WORK/pcrlock.cpio.zst" | cpio -i --quiet --to-stdout var/lib/systemd/pcrlock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
else
	not_ok "mkinitrd: an image with TPM2 support carries systemd-pcrlock's prediction" "$(cat "$WORK/mk.err")"
fi
