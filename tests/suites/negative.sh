#!/bin/bash
# Hostile and broken input: every case gets a clear message and a documented exit code, never a crash.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
REWRITE=$TOP/tests/tools/luks2_rewrite.py

base=$WORK/base.img
truncate -s 20M "$base"
printf pw | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$base" -
base1=$WORK/base1.img
truncate -s 4M "$base1"
printf pw | cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 "$base1" -

variant() { cp "$base" "$WORK/$1.img"; echo "$WORK/$1.img"; }
poke() { printf '%b' "$2" | dd of="$1" bs=1 seek="$3" conv=notrunc status=none; }
# flip FILE OFFSET: the byte at OFFSET inverted, so it differs whatever it was (a fixed value is
# already there one time in 256 where the header holds random bytes, such as its checksum).
flip() { poke "$1" "\\x$(printf '%02x' $((0xff ^ $(od -An -tu1 -j "$2" -N1 "$1"))))" "$2"; }

# Binary headers.
img=$(variant empty); truncate -s 0 "$img"
check_exit "empty file" 3 "too small" -- "$UNLOCK" inspect "$img"
img=$(variant short); truncate -s 3000 "$img"
check_exit "truncated inside the binary header" 3 -- "$UNLOCK" inspect "$img"
img=$(variant short2); truncate -s 9000 "$img"
check_exit "truncated inside the JSON area" 3 "both LUKS2 header copies" -- "$UNLOCK" inspect "$img"
img=$(variant zero); dd if=/dev/zero of="$img" bs=1M count=1 conv=notrunc status=none
check_exit "no LUKS header at all" 3 "both LUKS2 header copies" -- "$UNLOCK" inspect "$img"
img=$(variant magic); poke "$img" 'XUKS' 0; poke "$img" 'XKUL' 16384
check_exit "bad magic in both copies" 3 -- "$UNLOCK" inspect "$img"
img=$(variant csum); flip "$img" 448; flip "$img" $((16384 + 448))
check_exit "bad checksums in both copies" 3 "both LUKS2 header copies" -- "$UNLOCK" inspect "$img"
img=$(variant version); poke "$img" '\x00\x07' 6; poke "$img" '\x00\x07' 16390
check_exit "unknown version" 3 -- "$UNLOCK" inspect "$img"
img=$(variant hdrsize); poke "$img" '\x7f\xff\xff\xff\xff\xff\xff\xff' 8
check_exit "huge hdr_size in the primary falls back to the secondary" 0 "primary header is damaged" -- "$UNLOCK" inspect "$img"
img=$(variant offset); poke "$img" '\x00\x00\x00\x00\x00\x00\x10\x00' $((16384 + 256))
check_exit "secondary copy claiming a wrong offset is ignored" 0 "secondary header copy is damaged" -- "$UNLOCK" inspect "$img"

# JSON with valid checksums but hostile content.
json_case() { # NAME EXIT PATTERN EXPRESSION
	local img
	img=$(variant "json-$RANDOM")
	"$REWRITE" "$img" "$4"
	check_exit "$1" "$2" "$3" -- "$UNLOCK" inspect "$img"
}
json_case "JSON syntax error" 3 "does not parse" '"{\"keyslots\": "'
json_case "JSON nested too deeply" 3 "does not parse" '"{\"tokens\":" + "[" * 5000 + "]" * 5000 + "}"'
json_case "JSON top level is an array" 3 "does not start with an object" '"[1,2]"'
json_case "keyslot area beyond the keyslots area" 3 "outside the keyslots area" \
	'(j["keyslots"]["0"]["area"].__setitem__("offset", "99999999999"), j)[1]'
json_case "negative area offset" 3 "decimal string" '(j["keyslots"]["0"]["area"].__setitem__("offset", "-4096"), j)[1]'
json_case "area offset as a JSON number" 3 "decimal string" '(j["keyslots"]["0"]["area"].__setitem__("offset", 32768), j)[1]'
json_case "64-bit overflow in a size" 3 "decimal string" \
	'(j["keyslots"]["0"]["area"].__setitem__("size", "184467440737095516160"), j)[1]'
json_case "key_size as a string" 3 "must be an integer" '(j["keyslots"]["0"].__setitem__("key_size", "64"), j)[1]'
json_case "huge Argon2 memory" 3 "out of range" \
	'(j["keyslots"]["0"].__setitem__("kdf", {"type": "argon2id", "time": 4, "memory": 1 << 40, "cpus": 4, "salt": j["keyslots"]["0"]["kdf"]["salt"]}), j)[1]'
json_case "64 lanes" 3 "out of range" \
	'(j["keyslots"]["0"].__setitem__("kdf", {"type": "argon2id", "time": 4, "memory": 32768, "cpus": 64, "salt": j["keyslots"]["0"]["kdf"]["salt"]}), j)[1]'
json_case "digest names a missing keyslot" 3 "does not exist" '(j["digests"]["0"].__setitem__("keyslots", ["0", "5"]), j)[1]'
json_case "missing config" 3 "missing or mistyped" '(j.pop("config"), j)[1]'
json_case "json_size mismatch" 3 "json_size" '(j["config"].__setitem__("json_size", "4096"), j)[1]'
json_case "unaligned data offset" 3 "not 512-byte aligned" '(j["segments"]["0"].__setitem__("offset", "16777217"), j)[1]'
json_case "data offset inside the metadata" 3 "inside the metadata" '(j["segments"]["0"].__setitem__("offset", "8192"), j)[1]'
json_case "33 tokens" 3 "invalid id" '(j.__setitem__("tokens", {str(i): {"type": "x", "keyslots": []} for i in range(33)}), j)[1]'
json_case "unknown requirement loads for inspection" 0 "" \
	'(j["config"].__setitem__("requirements", {"mandatory": ["quantum-crypt"]}), j)[1]'
img=$(variant reqs)
"$REWRITE" "$img" '(j["config"].__setitem__("requirements", {"mandatory": ["quantum-crypt"]}), j)[1]'
check_exit "unknown requirement refuses activation" 4 "unmet requirements.*quantum-crypt" -- \
	bash -c "printf pw | '$UNLOCK' open --print-table '$img'"
check_exit "unknown requirement refuses before asking" 4 "unmet requirements" -- "$UNLOCK" open "$img" name

img=$(variant nocipher)
"$REWRITE" "$img" '(j["keyslots"]["0"]["area"].__setitem__("encryption", "nosuchcipher-xts-plain64"), j)[1]'
check_exit "keyslot in a cipher not available here: unsupported, not a wrong passphrase" 4 "not available" -- \
	bash -c "printf pw | '$UNLOCK' open --test-passphrase '$img'"


# cryptsetup 2.6-2.8's rules (lib/luks2), against images its own luksFormat and reencrypt made.
# A primary whose header size was changed (its checksum now fails): the secondary is looked for at
# every offset cryptsetup knows, not only where the damaged primary says.
img=$(variant hdrsize-valid); poke "$img" '\x00\x00\x00\x00\x00\x00\x80\x00' 8
check_exit "primary claiming another valid header size: the secondary is found where it is" 0 "primary header is damaged" -- \
	bash -c "printf pw | '$UNLOCK' open --test-passphrase '$img'"
img=$(variant stripes)
"$REWRITE" "$img" '(j["keyslots"]["0"]["af"].__setitem__("stripes", 2000), j)[1]'
check_exit "AF stripes other than 4000 in the JSON: 4000 are used, as cryptsetup does" 0 -- \
	bash -c "printf pw | '$UNLOCK' open --test-passphrase '$img'"
img=$(variant area-512)
"$REWRITE" "$img" '(j["keyslots"]["0"]["area"].__setitem__("size", str(int(j["keyslots"]["0"]["area"]["size"]) - 512)), j)[1]'
check_exit "a keyslot area aligned to 512 bytes only opens" 0 -- bash -c "printf pw | '$UNLOCK' open --test-passphrase '$img'"
img=$(variant odd-token)
"$REWRITE" "$img" '(j.__setitem__("tokens", {"0": {"type": "\u0001" + "x" * 300, "keyslots": ["0"]}, "1": {"type": "", "keyslots": []}}), j)[1]'
check_exit "odd token types never make a volume unopenable with its passphrase" 0 -- \
	bash -c "printf pw | '$UNLOCK' open --test-passphrase '$img'"
img=$(variant digest-1)
"$REWRITE" "$img" '(j["digests"]["0"].__setitem__("digest", "AA=="), j)[1]'
check_exit "a one-byte digest is refused, not 1 in 256 wrong keys verified" 3 "digest is 1 bytes" -- "$UNLOCK" inspect "$img"
img=$(variant salt-16)
"$REWRITE" "$img" '(j["digests"]["0"].__setitem__("salt", "c2FsdHNhbHRzYWx0c2FsdA=="), j)[1]'
check_exit "a digest salt of 16 bytes is refused" 3 "salt is 16 bytes" -- "$UNLOCK" inspect "$img"
img=$(variant reencrypt)
printf pw | cryptsetup reencrypt --init-only -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$img" -
check_exit "online reencryption in progress (cryptsetup reencrypt --init-only): said so" 4 "online reencryption is in progress" -- \
	bash -c "printf pw | '$UNLOCK' open --test-passphrase '$img'"
# LUKS1.
img=$WORK/l1-iter.img; cp "$base1" "$img"; poke "$img" '\x00\x00\x00\x00' 164
check_exit "LUKS1 digest with zero iterations" 3 "zero iterations" -- "$UNLOCK" inspect "$img"
img=$WORK/l1-keybytes.img; cp "$base1" "$img"; poke "$img" '\x00\x01\x00\x00' 108
check_exit "LUKS1 absurd key size" 3 "invalid key size" -- "$UNLOCK" inspect "$img"
img=$WORK/l1-state.img; cp "$base1" "$img"; poke "$img" '\x12\x34\x56\x78' $((208 + 48))
check_exit "LUKS1 keyslot with a garbage state" 3 "invalid state" -- "$UNLOCK" inspect "$img"
# Fixed bytes, not random ones: a random first byte is NUL once in 256 runs, an empty name.
img=$WORK/l1-cipher.img; cp "$base1" "$img"; poke "$img" "$(printf '\\x01\\xfe\\x80\\x7f%.0s' 1 2 3 4 5 6 7 8)" 8
check_exit "LUKS1 cipher name garbage" 3 "cipher name" -- "$UNLOCK" inspect "$img"
img=$WORK/l1-nocipher.img; cp "$base1" "$img"; poke "$img" '\x00' 8
check_exit "LUKS1 empty cipher name" 3 "empty cipher, mode or hash name" -- "$UNLOCK" inspect "$img"
img=$WORK/l1-short.img; head -c 1000 "$base1" >"$img"
check_exit "LUKS1 header without its key material" 3 "beyond the end of the device" -- "$UNLOCK" inspect "$img"

# Command line and files.
check_exit "no arguments" 1 "Usage" -- "$UNLOCK"
check_exit "unknown command" 1 "Usage" -- "$UNLOCK" frobnicate
check_exit "unknown option" 1 "invalid option" -- "$UNLOCK" open --bogus "$base"
check_exit "non-numeric keyslot" 1 "invalid option or value" -- "$UNLOCK" open --key-slot x --test-passphrase "$base"
check_exit "keyslot out of range" 1 "invalid option or value" -- "$UNLOCK" open --key-slot 32 --test-passphrase "$base"
check_exit "negative keyfile offset" 1 "invalid option or value" -- "$UNLOCK" open --keyfile-offset -5 --test-passphrase "$base"
check_exit "two modes" 1 "invalid option" -- "$UNLOCK" open --test-passphrase --dump-volume-key "$base"
check_exit "activation without a name" 1 "needs a NAME" -- "$UNLOCK" open "$base"
check_exit "--show-key without --print-table" 1 "show-key" -- "$UNLOCK" open --show-key --test-passphrase "$base"
check_exit "missing device" 5 "cannot open /nonexistent" -- "$UNLOCK" inspect /nonexistent
check_exit "directory as device" 5 "not a block device" -- "$UNLOCK" inspect /tmp
check_exit "missing key file" 5 "cannot open key file" -- "$UNLOCK" open --test-passphrase --key-file /nonexistent "$base"
check_exit "missing detached header" 5 "cannot open /nonexistent" -- "$UNLOCK" open --test-passphrase --header /nonexistent "$base"
check_exit "--pkcs11-uri that is no PKCS#11 URI is a usage error" 1 "auto or a PKCS#11 URI" -- "$UNLOCK" open --test-passphrase --pkcs11-uri token=x "$base"
check_exit "--pkcs11-uri with a key file is a usage error" 1 "take no key file" -- "$UNLOCK" open --test-passphrase --pkcs11-uri auto --key-file /dev/null "$base"
check_exit "--token-only on a header without tokens" 2 "holds no token unlock can use" -- "$UNLOCK" open --test-passphrase --token-only "$base"
check_exit "--tpm2-device with a key file is a usage error" 1 "take no key file" -- "$UNLOCK" open --test-passphrase --tpm2-device auto --key-file /dev/null "$base"
check_exit "empty passphrase on stdin" 2 "no key available" -- "$UNLOCK" open --test-passphrase "$base"
check_exit "very long passphrase line" 5 "longer than" -- bash -c "head -c 100000 /dev/zero | tr '\\0' a | '$UNLOCK' open --test-passphrase '$base'"
