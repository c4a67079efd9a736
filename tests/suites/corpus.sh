#!/bin/bash
# cryptsetup's own test images (../shared/cryptsetup-corpus, see its MANIFEST.md).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
CORPUS=$SHARED/cryptsetup-corpus
SECTOR_CRYPT=$TOP/build/sector-crypt

if [ ! -d "$CORPUS" ]; then
	not_ok "cryptsetup corpus present at $CORPUS"
	exit 0
fi
cd "$WORK" || exit 1
for f in "$CORPUS"/*.xz; do
	b=$(basename "$f" .xz)
	case $b in *.tar) tar xJf "$f" ;; *) xz -dc "$f" >"$b" ;; esac
done

# opens NAME IMAGE SECRET VK [ARGS...]: the secret (exact bytes) gives the volume key.
opens() {
	local name=$1 img=$2 secret=$3 vk=$4 before key
	shift 4
	before=$(sha_of "$img")
	key=$(printf '%s' "$secret" | "$UNLOCK" open --dump-volume-key "$@" "$img" 2>"$WORK/err")
	check_eq "$name: volume key" "$vk" "$key"
	check_exit "$name: wrong secret refused" 2 "no key available" -- \
		bash -c "printf rUkL4RUryBom | '$UNLOCK' open --test-passphrase $* '$img'"
	check_eq "$name: image unchanged" "$before" "$(sha_of "$img")"
}

payload_hash() { # payload_hash IMAGE CIPHER VKHEX SKIP-SECTORS HASH-COMMAND
	printf '%s' "$3" | xxd -r -p >"$WORK/vk.bin"
	dd if="$1" bs=512 skip="$4" status=none | "$SECTOR_CRYPT" decrypt "$2" "$WORK/vk.bin" 512 | $5 | cut -d' ' -f1
}

opens compatimage compatimage.img compatkey e1a851c034ed7993b276608a45842b7b
check_eq "compatimage: decrypted payload sha256" 7428e8f2436882a07eb32765086f5c899474c08b5576f556b573d2aabdf923e8 \
	"$(payload_hash compatimage.img aes-cbc-essiv:sha256 e1a851c034ed7993b276608a45842b7b 1032 sha256sum)"
opens "compatv10image (LUKS1 v1.0)" compatv10image.img compatkey 8351939072ee8fdf0d1b4537850f812b
offset=$("$UNLOCK" inspect --json compatv10image.img | awk -F'[:,]' '/"data_offset"/{print $2 / 512}')
check_eq "compatv10image: decrypted payload sha1" 51b48c2471a7593ceaf14dc5e66bca86ed05f6cc \
	"$(payload_hash compatv10image.img aes-cbc-plain 8351939072ee8fdf0d1b4537850f812b "$offset" sha1sum)"
opens "compatimage2 slot 0 (PBKDF2)" compatimage2.img compatkey d47ee2cdc40f39be9a3e8d72a149cc4d
opens "compatimage2 slot 1 (Argon2id)" compatimage2.img 0123456789abcdef d47ee2cdc40f39be9a3e8d72a149cc4d --key-slot 1
for size in 16 32 64 128 256 512 1024 2048 4096; do
	opens "luks2 metadata area ${size} KiB" "test_image_$size" Qx3qn46vq0v \
		b67647946b62ded9d65983a92cd2c0f4c08923473deb44741da5ba675e8bde82
done
opens "requirements-free header" luks2_header_requirements_free blablabl \
	07459b841ad76fcbc2b27e6d20195359dbfa6ba3aaf3abb25477c03a6fc936bd
opens "LUKS1 aes-xts-plain64 512-bit" LUKS-d238e48a-0ed3-4169-b841-f26b44693134.org 93R4P4pIqAH8 \
	0570dd6465b50b853df62d6f512feca875a9143e00c66c51f14d26505468387aee33d2af3470bbe63cd41eba0f38fd008d26c834942c816f91ebdf0e430c5ba0

# The LUKS1 cipher matrix: what Nettle runs opens here (aes, serpent, twofish); whirlpool and lrw
# need the kernel crypto API (AF_ALG), absent on this host, and must fail clearly with exit 4.
# tests/suites/guest_ciphers.sh opens those inside a guest.
for img in luks1-images/*.img; do
	name=$(basename "$img" .img)
	if ! corpus_needs_afalg "$name"; then
		if "$UNLOCK" open --test-passphrase --key-file luks1-images/keyfile1 "$img" 2>"$WORK/err"; then ok "$name opens with keyfile1"; else not_ok "$name opens with keyfile1" "$(cat "$WORK/err")"; fi
		"$UNLOCK" open --print-table --show-key --key-file luks1-images/keyfile1 "$img" >"$WORK/table" 2>/dev/null
		key=$(awk '{print $5}' "$WORK/table")
		off=$(awk '{print $8}' "$WORK/table")
		cipher=$(awk '{print $4}' "$WORK/table")
		serial=$(payload_hash "$img" "$cipher" "$key" "$off" "head -c 512" | od -An -tx1 -j 39 -N 4 | tr -d ' ')
		check_eq "$name: decrypted FAT volume serial DEAD-BABE" bebaadde "$serial"
	else
		if [ -e /proc/crypto ] && python3 -c 'import socket; socket.socket(38, 5, 0)' 2>/dev/null; then
			check_exit "$name opens through AF_ALG" 0 -- "$UNLOCK" open --test-passphrase --key-file luks1-images/keyfile1 "$img"
		else
			check_exit "$name: clear 'not available' without AF_ALG" 4 "not available" -- \
				"$UNLOCK" open --test-passphrase --key-file luks1-images/keyfile1 "$img"
		fi
	fi
done

check_exit "valid_header_file: header loads" 0 -- "$UNLOCK" inspect valid_header_file
printf bb21158c733229347bd4e681891e213d94c685be6a5b84818afe7a78a6de7a1a | xxd -r -p >"$WORK/vhf.vk"
check_exit "valid_header_file: volume key verifies against the digest" 0 -- \
	"$UNLOCK" open --test-passphrase --volume-key-file "$WORK/vhf.vk" valid_header_file
head -c 32 /dev/zero >"$WORK/zero.vk"
check_exit "valid_header_file: a wrong volume key is refused" 2 "does not match" -- \
	"$UNLOCK" open --test-passphrase --volume-key-file "$WORK/zero.vk" valid_header_file
check_exit "valid_header_file: no active keyslot" 2 "no usable keyslot" -- \
	bash -c "printf x | '$UNLOCK' open --test-passphrase valid_header_file"

check_exit "requirements: header loads" 0 -- "$UNLOCK" inspect luks2_header_requirements
if grep -q "req0" "$WORK/out"; then ok "requirements: inspect lists them"; else not_ok "requirements: inspect lists them" "$(cat "$WORK/out")"; fi
check_exit "requirements: passphrase verifies" 0 "unmet requirements" -- \
	bash -c "printf blablabl | '$UNLOCK' open --test-passphrase luks2_header_requirements"
check_exit "requirements: no table" 4 "unmet requirements" -- \
	bash -c "printf blablabl | '$UNLOCK' open --print-table luks2_header_requirements"
check_exit "requirements: no activation" 4 "unmet requirements" -- \
	bash -c "printf blablabl | '$UNLOCK' open luks2_header_requirements name"

opens "unassigned keyslot image, slot 0" luks2_keyslot_unassigned.img compatkey \
	7b24adb65c60f5029f10aafc7dcf72153076a955fef73e62c44b88e41aae6c63
check_exit "unbound keyslot 1 is never used as the data key" 2 -- \
	bash -c "printf 93R4P4pIqAH8 | '$UNLOCK' open --dump-volume-key luks2_keyslot_unassigned.img"
check_exit "unbound keyslot 1 named explicitly" 2 "not bound to the data segment" -- \
	bash -c "printf 93R4P4pIqAH8 | '$UNLOCK' open --dump-volume-key --key-slot 1 luks2_keyslot_unassigned.img"

check_exit "invalid cipher: passphrase verifies" 0 -- \
	bash -c "printf 93R4P4pIqAH8 | '$UNLOCK' open --test-passphrase luks2_invalid_cipher.img"
check_exit "invalid cipher: no table" 4 "no known cipher specification" -- \
	bash -c "printf 93R4P4pIqAH8 | '$UNLOCK' open --print-table luks2_invalid_cipher.img"

check_exit "evil: key material inside the header" 3 "key material inside the header" -- "$UNLOCK" inspect evil_hdr-luks_hdr_damage
check_exit "evil: key material runs into the payload" 3 "runs into the data" -- "$UNLOCK" inspect evil_hdr-payload_overwrite
check_exit "evil: 44944 stripes" 3 "stripes" -- "$UNLOCK" inspect evil_hdr-stripes_payload_dmg
check_exit "evil: overlapping keyslots" 3 "overlap" -- "$UNLOCK" inspect evil_hdr-keyslot_overlap
check_exit "evil: device smaller than its key material" 3 "beyond the end of the device" -- "$UNLOCK" inspect evil_hdr-small_luks_device
check_exit "LUKS1 image shorter than its payload: no table" 3 "smaller than the data offset" -- \
	bash -c "printf 93R4P4pIqAH8 | '$UNLOCK' open --print-table LUKS-d238e48a-0ed3-4169-b841-f26b44693134.org"
before=$(sha_of blkid-luks2-pv.img)
check_exit "LVM2 label over the primary header: refused" 3 "LVM2_member" -- "$UNLOCK" inspect blkid-luks2-pv.img
check_eq "LVM2 label image not repaired" "$before" "$(sha_of blkid-luks2-pv.img)"
check_exit "legacy kdf name argon2: header loads" 0 -- "$UNLOCK" inspect luks2_valid_hdr.img
check_exit "legacy kdf name argon2: unsupported when tried" 4 'KDF "argon2" is not supported' -- \
	bash -c "printf x | '$UNLOCK' open --test-passphrase --key-slot 0 luks2_valid_hdr.img"
