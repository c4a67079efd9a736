#!/bin/bash
# unlock check, the installer's interface: crypttabs and command lines, good and broken, against
# real LUKS volumes made by cryptsetup on loop devices. Each error class gives its documented exit
# code and its class in the JSON, every JSON report is valid against docs/unlock-check.schema.json,
# and nothing is written to any device.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
SCHEMA=$TOP/docs/unlock-check.schema.json
loops=""
trap 'for l in $loops; do losetup -d "$l" 2>/dev/null; done; rm -rf "$WORK"' EXIT

loop() { # VAR IMAGE: attach it read-only, its device into VAR (here, not in a subshell, so the trap
	# detaches it)
	local l
	l=$(losetup -f --show -r "$2") && loops="$loops $l" && printf -v "$1" '%s' "$l"
}
luks() { # IMAGE TYPE
	truncate -s 20M "$1"
	printf 'pw' | cryptsetup luksFormat -q --type "$2" --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$1" -
}

luks "$WORK/root.img" luks2
luks "$WORK/data.img" luks1
luks "$WORK/tpm.img" luks2
cat >"$WORK/tpm.json" <<'EOF'
{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"AA==","tpm2-pcrs":[7],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"00"}
EOF
cryptsetup token import --disable-external-tokens --json-file "$WORK/tpm.json" "$WORK/tpm.img"
truncate -s 8M "$WORK/swap.img"
truncate -s 20M "$WORK/ext4.img"
mkfs.ext4 -q "$WORK/ext4.img"
luks "$WORK/damaged.img" luks2
# The LUKS2 JSON area of both header copies: its checksum no longer matches.
printf 'garbage' | dd of="$WORK/damaged.img" bs=1 seek=$((4096 + 100)) conv=notrunc status=none
printf 'garbage' | dd of="$WORK/damaged.img" bs=1 seek=$((16384 + 4096 + 100)) conv=notrunc status=none
loop ROOT "$WORK/root.img"
loop DATA "$WORK/data.img"
loop TPM "$WORK/tpm.img"
loop EXT4 "$WORK/ext4.img"
loop DAMAGED "$WORK/damaged.img"
loop SWAP "$WORK/swap.img"
ROOT_UUID=$(cryptsetup luksUUID "$WORK/root.img")
sums_before=$(sha256sum "$WORK"/*.img)

mkdir -p "$WORK/etc" "$WORK/boot"
head -c 64 /dev/urandom >"$WORK/etc/data.key"
chmod 0400 "$WORK/etc/data.key"

# run_check NAME CODE CMDLINE CRYPTTAB-LINES...: the crypttab (beside $WORK/etc/fstab) checked with
# that command line; the exit code checked, the JSON kept as $WORK/NAME.json and validated.
run_check() {
	local name=$1 want=$2 cmdline=$3 rc
	shift 3
	printf '%s\n' "$@" >"$WORK/etc/crypttab"
	"$UNLOCK" check --json --crypttab "$WORK/etc/crypttab" --cmdline "$cmdline" --boot "$WORK/boot" >"$WORK/$name.json" \
		2>"$WORK/$name.err" && rc=0 || rc=$?
	check_eq "check: $name: exit code" "$want" "$rc"
	if python3 -c 'import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' \
		"$WORK/$name.json" "$SCHEMA" 2>"$WORK/$name.schema"; then
		ok "check: $name: the JSON is valid against the schema"
	else
		not_ok "check: $name: the JSON is valid against the schema" "$(tail -3 "$WORK/$name.schema")"
	fi
}
# jq_of NAME EXPRESSION: a value of the report.
jq_of() { python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$WORK/$1.json" "$2"; }
message_has() { # NAME PATTERN DESCRIPTION: a problem's message in the report matches PATTERN
	if grep -q "$2" "$WORK/$1.json"; then ok "check: $1: $3"; else not_ok "check: $1: $3" "$(grep message "$WORK/$1.json")"; fi
}
classes_of() { jq_of "$1" '" ".join(p["class"] + ":" + p["severity"] for p in r["problems"])'; }

printf '%s\n' "/dev/mapper/root / ext4 defaults 0 1" "/dev/mapper/data /srv ext4 defaults 0 2" \
	"/dev/mapper/cswap none swap sw 0 0" >"$WORK/etc/fstab"

# A good configuration: the order, the ways, and what is left to the system.
run_check good 0 "root=/dev/mapper/root resume=/dev/mapper/cswap" \
	"root UUID=$ROOT_UUID none luks,discard" "tpm $TPM none luks,tpm2-device=auto,initramfs" \
	"data $DATA $WORK/etc/data.key luks" "cswap $SWAP /dev/urandom swap,cipher=aes-xts-plain64,size=256"
# (A machine without a TPM warns that the TPM2 token will not be used: a warning, exit 0.)
check_eq "check: good: no problems" "" "$(classes_of good | sed 's/token-unusable:warning//')"
check_eq "check: good: the boot's volumes in order, data left to the system" "root:1 tpm:2 data:None cswap:3" \
	"$(jq_of good '" ".join(v["name"] + ":" + str(v["order"]) for v in r["volumes"])')"
check_eq "check: good: root's device found by UUID, a LUKS2 header" "$ROOT luks2" \
	"$(jq_of good 'r["volumes"][0]["path"] + " " + r["volumes"][0]["type"]')"
check_eq "check: good: the TPM2 token, then the passphrase" "tpm2[0] passphrase" \
	"$(jq_of good '" ".join(m["method"] + (str(m["tokens"]).replace(" ", "") if "tokens" in m else "") for m in r["volumes"][1]["unlock"])')"
check_eq "check: good: data by its key file, left to the system for /srv" \
	"key-file $WORK/etc/data.key|mounted on /srv by the system after the boot" \
	"$(jq_of good 'r["volumes"][2]["unlock"][0]["method"] + " " + r["volumes"][2]["unlock"][0]["path"] + "|" + r["volumes"][2]["left_to_system"]')"
check_eq "check: good: root and resume reached through volumes" "volume root|volume cswap" \
	"$(jq_of good 'r["root"]["via"] + "|" + r["resume"]["via"]')"
"$UNLOCK" check --crypttab "$WORK/etc/crypttab" --cmdline "root=/dev/mapper/root" >"$WORK/good.txt" 2>&1 || true
if grep -q "^  1. root: UUID=$ROOT_UUID ($ROOT), luks2: passphrase$" "$WORK/good.txt" && ! grep -q "error:" "$WORK/good.txt"; then
	ok "check: good: the text report names each volume and how it is opened"
else
	not_ok "check: good: the text report names each volume and how it is opened" "$(cat "$WORK/good.txt")"
fi
# A detached header: read from its file, the device holds only data.
truncate -s 8M "$WORK/det.img"
truncate -s 16M "$WORK/det.hdr"
printf 'pw' | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --header "$WORK/det.hdr" "$WORK/det.img" -
loop DET "$WORK/det.img"
det_before=$(sha256sum "$WORK/det.img" "$WORK/det.hdr")
run_check detached 0 "root=/dev/mapper/det" "det $DET none luks,header=$WORK/det.hdr"
check_eq "check: detached: the header is read from its file" "luks2|" "$(jq_of detached 'r["volumes"][0]["type"]')|$(classes_of detached)"
# rd.luks.name= on the command line, no crypttab line.
run_check cmdline 0 "rd.luks.name=$ROOT_UUID=root root=/dev/mapper/root"
check_eq "check: cmdline: the volume comes from the command line" "root cmdline luks2" \
	"$(jq_of cmdline 'r["volumes"][0]["name"] + " " + r["volumes"][0]["source"] + " " + r["volumes"][0]["type"]')"
check_eq "check: cmdline: the report holds the command line it read, and where from" \
	"rd.luks.name=$ROOT_UUID=root root=/dev/mapper/root|--cmdline" "$(jq_of cmdline 'r["cmdline"] + "|" + r["cmdline_from"]')"
# The command line merged with crypttab as systemd's generator merges them: per-UUID options make
# no volume of their own, they replace the crypttab line's; the name luks-UUID matches rd.luks.uuid=
# (as UUID= and /dev/disk/by-uuid/ do, in the unit tests: this host has no udev links).
run_check merge-options 0 "rd.luks.options=$ROOT_UUID=discard root=/dev/mapper/cryptroot" "cryptroot UUID=$ROOT_UUID none luks"
check_eq "check: merge-options: one volume, crypttab's, with the command line's options" "cryptroot:crypttab:1" \
	"$(jq_of merge-options '" ".join(v["name"] + ":" + v["source"] + ":" + str(v["order"]) for v in r["volumes"])')"
run_check merge-by-uuid 0 "rd.luks.uuid=$ROOT_UUID root=/dev/mapper/luks-$ROOT_UUID" \
	"luks-$ROOT_UUID $ROOT $WORK/etc/data.key luks" "data $DATA none luks"
check_eq "check: merge-by-uuid: crypttab's line for that UUID with its key file, nothing else" \
	"luks-$ROOT_UUID:key-file" "$(jq_of merge-by-uuid '" ".join(v["name"] + ":" + v["unlock"][0]["method"] for v in r["volumes"] if v["order"])')"

# Images in /boot that hold a key and can be read by other users: found inside zstd images, also
# behind an uncompressed early archive (Debian's layout); an image only root reads is fine.
mkdir -p "$WORK/early/kernel"
mkdir -p "$WORK/img/$WORK/etc" && cp "$WORK/etc/data.key" "$WORK/img/$WORK/etc/data.key"
echo microcode >"$WORK/early/kernel/ucode.bin"
(cd "$WORK/early" && find . | cpio -o -H newc --quiet) >"$WORK/boot/initrd.img-6.1.0-test"
(cd "$WORK/img" && find . | cpio -o -H newc --quiet | zstd -q) >>"$WORK/boot/initrd.img-6.1.0-test"
chmod 0644 "$WORK/boot/initrd.img-6.1.0-test"
run_check image-readable 6 "root=/dev/mapper/root" "root $ROOT $WORK/etc/data.key luks"
check_eq "check: image-readable: class" "image-readable:error" "$(classes_of image-readable)"
message_has image-readable "initrd.img-6.1.0-test holds the key $WORK/etc/data.key .*mode 0644" \
	"the message names the image, the key and its mode"
chmod 0600 "$WORK/boot/initrd.img-6.1.0-test"
run_check image-private 0 "root=/dev/mapper/root" "root $ROOT $WORK/etc/data.key luks"
(cd "$WORK/img" && find . | cpio -o -H newc --quiet | gzip -n) >"$WORK/boot/initramfs-6.1.0-test.img"
chmod 0644 "$WORK/boot/initramfs-6.1.0-test.img"
run_check image-gzip 0 "root=/dev/mapper/root" "root $ROOT $WORK/etc/data.key luks"
check_eq "check: image-gzip: a readable image it cannot look into is a warning" "image-unchecked:warning" "$(classes_of image-gzip)"
rm -f "$WORK"/boot/*

# Each error class: its exit code and its class.
run_check device-missing 5 "root=/dev/mapper/root" "root UUID=00000000-0000-0000-0000-000000000000 none luks"
check_eq "check: device-missing: class" "device-missing:error" "$(classes_of device-missing)"
run_check not-luks 3 "root=/dev/mapper/root" "root $EXT4 none luks"
check_eq "check: not-luks: class" "not-luks:error" "$(classes_of not-luks)"
message_has not-luks '"message":".*holds no LUKS header (it holds ext4)' "the message says what the device holds"
run_check damaged 3 "root=/dev/mapper/root" "root $DAMAGED none luks"
check_eq "check: damaged: class" "header-damaged:error" "$(classes_of damaged)"
run_check key-missing 5 "root=/dev/mapper/root" "root $ROOT $WORK/etc/none.key luks"
check_eq "check: key-missing: class" "key-file-missing:error" "$(classes_of key-missing)"
cp "$WORK/etc/data.key" "$WORK/etc/open.key"
chmod 0644 "$WORK/etc/open.key"
run_check key-readable 6 "root=/dev/mapper/root" "root $ROOT $WORK/etc/open.key luks"
check_eq "check: key-readable: class" "key-file-readable:error" "$(classes_of key-readable)"
run_check option-unknown 4 "root=/dev/mapper/root" "root $ROOT none luks,discrad"
check_eq "check: option-unknown: class" "option-unknown:error" "$(classes_of option-unknown)"
run_check unsupported 4 "root=/dev/mapper/root" "root $ROOT none luks,keyscript=/lib/cryptsetup/scripts/decrypt_gnupg"
check_eq "check: unsupported: class" "unsupported:error" "$(classes_of unsupported)"
run_check malformed 4 "root=/dev/mapper/root" "root $ROOT none luks" "lonely"
check_eq "check: malformed: class" "crypttab-malformed:error" "$(classes_of malformed)"
run_check root-unreachable 5 "root=/dev/mapper/nothere" "root $ROOT none luks"
check_eq "check: root-unreachable: class" "root-unreachable:error" "$(classes_of root-unreachable)"
run_check root-left 5 "root=/dev/mapper/data" "data $DATA none luks"
check_eq "check: root-left: root on a volume left to the system is unreachable" "root-unreachable:error" "$(classes_of root-left)"
run_check no-root 5 "quiet" "root $ROOT none luks"
check_eq "check: no-root: class" "root-unreachable:error" "$(classes_of no-root)"
run_check resume-unreachable 5 "root=/dev/mapper/root resume=UUID=00000000-0000-0000-0000-00000000abcd" "root $ROOT none luks"
check_eq "check: resume-unreachable: class" "resume-unreachable:error" "$(classes_of resume-unreachable)"
# A volume marked nofail, or left to the system, only warns.
run_check nofail 0 "root=/dev/mapper/root" "root $ROOT none luks" "extra /dev/disk/by-uuid/nothing none luks,nofail"
check_eq "check: nofail: a missing nofail volume is a warning" "device-missing:warning" "$(classes_of nofail)"
# Several classes: the one to mend first decides the exit code.
run_check several 5 "root=/dev/mapper/root" "root $ROOT $WORK/etc/open.key luks,discrad" "other $EXT4 none luks" \
	"gone UUID=00000000-0000-0000-0000-000000000001 none luks"
check_eq "check: several: every problem is listed" "option-unknown:error key-file-readable:error not-luks:error device-missing:error" \
	"$(classes_of several)"
rc=0
"$UNLOCK" check --crypttab "$WORK/none" --cmdline "root=/dev/mapper/root" >"$WORK/none.txt" 2>&1 || rc=$?
if [ "$rc" = 5 ] && grep -q "error: $WORK/none: No such file or directory \[crypttab-missing\]" "$WORK/none.txt"; then
	ok "check: a crypttab that does not exist: exit 5, crypttab-missing"
else
	not_ok "check: a crypttab that does not exist: exit 5, crypttab-missing" "exit $rc" "$(cat "$WORK/none.txt")"
fi
check_exit "check: takes no device" 1 "takes no DEVICE" -- "$UNLOCK" check /dev/sda
check_eq "check: no device was written" "$sums_before|$det_before" \
	"$(sha256sum "$WORK"/*.img | grep -v '/det\.img$')|$(sha256sum "$WORK/det.img" "$WORK/det.hdr")"

# Which volumes the boot opens: the same answer as the image builders' (hooks/unlock-files.sh), on
# the crypttab and fstab guest_debian.sh gives unlock-mkinitrd: early, sw and other; net and later
# are left to the system.
mkdir -p "$WORK/which"
printf '%s\n' "net UUID=1 none luks,_netdev" "later UUID=2 none luks" "early UUID=3 none luks,initramfs" \
	"sw UUID=4 none luks" "other UUID=5 none luks" >"$WORK/which/crypttab"
printf '%s\n' "/dev/mapper/later /data ext4 defaults 0 2" "/dev/mapper/early /home ext4 defaults 0 2" \
	"/dev/mapper/sw none swap sw 0 0" >"$WORK/which/fstab"
"$UNLOCK" check --json --crypttab "$WORK/which/crypttab" --cmdline "root=/dev/sda1" >"$WORK/which.json" 2>/dev/null || true
shell_kept=$(bash -c '. "$1/hooks/unlock-files.sh"; unlock_crypttab_for_image "$2"' sh "$TOP" "$WORK/which/crypttab" 2>/dev/null |
	awk '!/^#/ { printf "%s%s", s, $1; s = " " }')
check_eq "check: the boot's volumes are the ones the image builders keep" "early sw other|early sw other" \
	"$(jq_of which '" ".join(v["name"] for v in r["volumes"] if v["at_boot"])')|$shell_kept"
