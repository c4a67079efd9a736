#!/bin/bash
# Runs every fuzz target for FUZZ_SECONDS each, from seeds made from real cryptsetup headers.
set -u
cd "$(dirname "$0")/../.." || exit 1
seconds=${FUZZ_SECONDS:-8}
seeds=build/fuzz/seeds
mkdir -p "$seeds"/{luks1,luks2_json,header,cipher_spec,boot_config,keymap,token_answer,tpm2_token,pkcs11_token,fstab}

make_seeds() {
	local tmp
	tmp=$(mktemp -d)
	truncate -s 4M "$tmp/l1" "$tmp/l2"
	printf pw | cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 "$tmp/l1" - 2>/dev/null
	printf pw | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--luks2-keyslots-size 1M --label seed "$tmp/l2" - 2>/dev/null
	head -c 592 "$tmp/l1" >"$seeds/luks1/cryptsetup"
	head -c 1024 "$tmp/l1" >"$seeds/header/luks1"
	head -c 32768 "$tmp/l2" >"$seeds/header/luks2"
	dd if="$tmp/l2" bs=4096 skip=1 count=3 status=none | tr -d '\0' >"$seeds/luks2_json/cryptsetup"
	for s in aes-xts-plain64 aes-cbc-essiv:sha256 twofish-lrw-benbi aes-ecb capi:xts-plain64 c2FsdA==; do
		printf '%s' "$s" >"$seeds/cipher_spec/$(echo "$s" | tr ':/' '__')"
	done
	printf '\001root=UUID=abc rd.luks.uuid=1-2 rd.luks.name=1-2=root rd.luks.options=1-2=discard "rootflags=a b"' >"$seeds/boot_config/cmdline"
	printf '\000root UUID=1 /key luks,discard,keyslot=1,tries=2\nswap /dev/sda2 /dev/urandom swap\n' >"$seeds/boot_config/crypttab"
	rm -rf "$tmp"
}
[ -e "$seeds/boot_config/crypttab" ] || make_seeds
# Keys on other devices, in each syntax that names one.
[ -e "$seeds/boot_config/keydev" ] ||
	printf '\000a UUID=1 /k:LABEL=KEYS luks,keyfile-timeout=5s,headless=no\nb UUID=2 /dev/disk/by-partuuid/7 luks,keyfile-offset=4096,keyfile-size=64\n' \
		>"$seeds/boot_config/keydev"
# Detached headers: a file, a file on a device (PATH:DEVICE), a device.
[ -e "$seeds/boot_config/header" ] ||
	printf '\000a UUID=1 none header=/etc/a.hdr\nb UUID=2 none header=/luks/b.hdr:LABEL=H,tries=1\nc /dev/vda none header=UUID=3\n' \
		>"$seeds/boot_config/header"
[ -e "$seeds/boot_config/cryptkey" ] ||
	printf '\001cryptdevice=/dev/sda2:root cryptkey=LABEL=usb:vfat:/k rd.luks.key=/k:UUID=1 cryptkey=/dev/sdb:1:2' \
		>"$seeds/boot_config/cryptkey"
# The command line merged with crypttab, as systemd's generator merges them.
[ -e "$seeds/boot_config/merge" ] ||
	printf '\002rd.luks.uuid=ab-1 rd.luks.options=ab-1=discard rd.luks.key=/k rd.luks.key=cd-2=/c luks.name=ef-3=x\nr /dev/disk/by-uuid/ab-1 none luks\nluks-cd-2 /dev/vdb none\nz UUID=ef-3 /z\n' \
		>"$seeds/boot_config/merge"
# Debian's key scripts and volume types, and the options that decide what is asked.
[ -e "$seeds/boot_config/debian" ] ||
	printf '\000a UUID=1 pw luks,keyscript=decrypt_keyctl,noearly,verify\nb UUID=2 x:/k luks,keyscript=passdev\nc UUID=3 none bitlk,try-empty-password=no\n' \
		>"$seeds/boot_config/debian"
[ -e "$seeds/boot_config/debian-check" ] ||
	printf '\000a /dev/vdb none plain,check,checkargs=none\nb UUID=2 none luks,check=/lib/cryptsetup/checks/un_blkid,checkargs=swap\nc UUID=3 none check=/x,precheck=un_blkid\n' \
		>"$seeds/boot_config/debian-check"
# systemd's options for the key file and the passphrases typed before.
[ -e "$seeds/boot_config/systemd-pass" ] ||
	printf '\000a UUID=1 /k luks,keyfile-erase,password-cache=read-only\nb UUID=2 none luks,password-cache=no,keyfile-erase=no\n' \
		>"$seeds/boot_config/systemd-pass"
# The installers' stacks: LVM names in both forms, MD RAID, and root and resume on logical volumes.
[ -e "$seeds/boot_config/stacks" ] ||
	printf '\001root=/dev/mapper/debian--vg-root resume=/dev/debian-vg/swap_1 rd.luks.name=1-2=vda5_crypt rootflags=subvol=root' \
		>"$seeds/boot_config/stacks"
[ -e "$seeds/boot_config/stacks-crypttab" ] ||
	printf '\000md0_crypt /dev/md0 none luks,discard\nlv /dev/mapper/vg0-lv--a none luks,initramfs\nn UUID=9 none luks,_netdev\n' \
		>"$seeds/boot_config/stacks-crypttab"
# A keymap as console-setup and loadkeys make it for a German keyboard.
[ -e "$seeds/keymap/de" ] || { ckbcomp -model pc105 de 2>/dev/null | loadkeys -q -u -b - >"$seeds/keymap/de" 2>/dev/null || rm -f "$seeds/keymap/de"; }

# The token helper's protocol both ways, and systemd-tpm2 tokens as systemd 252 and later write them.
[ -e "$seeds/token_answer/ok" ] || {
	printf '\001status 2\nok\npassphrase 4\nYWJj\n' >"$seeds/token_answer/ok"
	printf '\001status 4\nfail\nclass 7\nbad-pin\ntries 1\n2\nreason 14\nwrong TPM2 PIN\n' >"$seeds/token_answer/fail"
	printf '\000device 4\nauto\npin 4\n1234\ntoken 2\n{}\n' >"$seeds/token_answer/request"
}
[ -e "$seeds/tpm2_token/pcr7" ] || {
	printf '{"type":"systemd-tpm2","keyslots":["1"],"tpm2-blob":"AJ4AIA==","tpm2-pcrs":[7],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"00ff","tpm2-pin":false}' >"$seeds/tpm2_token/pcr7"
	printf '{"type":"systemd-tpm2","keyslots":["1"],"tpm2-blob":"AJ4A","tpm2-pcrs":[],"tpm2-policy-hash":"","tpm2-pin":true,"tpm2_salt":"c2FsdA==","tpm2_srk":"AQID","tpm2_pubkey":"LS0t","tpm2_pubkey_pcrs":[11]}' >"$seeds/tpm2_token/signed"
}
# systemd-pkcs11 tokens: RSA (systemd 245 and later), EC with the ephemeral point (256 and later), and
# a need-pin answer naming the token.
[ -e "$seeds/pkcs11_token/rsa" ] || {
	printf '{"type":"systemd-pkcs11","keyslots":["1"],"pkcs11-uri":"pkcs11:token=alpha;type=private","pkcs11-key":"AAECAw=="}' >"$seeds/pkcs11_token/rsa"
	printf '{"type":"systemd-pkcs11","keyslots":["2"],"pkcs11-uri":"pkcs11:token=ec","pkcs11-key":"BMVy8w7bNanjypPL7SJeyqF5YMo3MpIs3H9TMnuS4ZVdTLCssJGXo+e5nLh47iJjqvdjftOmzdJfaUuHjcOAkW4="}' >"$seeds/pkcs11_token/ec"
	printf '\001status 8\nneed-pin\nlabel 5\nalpha\nreason 9\nfinal try\n' >"$seeds/token_answer/need-pin"
}
# fstabs as installers write them, for unlock check's rule of which volumes the system opens later.
[ -e "$seeds/fstab/debian" ] ||
	printf 'root\0/dev/mapper/root / ext4 errors=remount-ro 0 1\n/dev/mapper/srv /srv ext4 defaults 0 2\n# c\n/dev/mapper/sw none swap sw 0 0\n/dev/mapper/h /home xfs x-initrd.mount 0 0\n' \
		>"$seeds/fstab/debian"

for target in luks1 luks2_json header cipher_spec boot_config keymap token_answer tpm2_token pkcs11_token fstab; do
	bin=build/fuzz/$target
	corpus=build/fuzz/corpus-$target
	mkdir -p "$corpus"
	if "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 "$corpus" "$seeds/$target" \
		>build/fuzz/$target.log 2>&1; then
		echo "ok - fuzz $target for ${seconds}s: $(grep -oE 'Done [0-9]+ runs' build/fuzz/$target.log | tail -1)"
	else
		echo "not ok - fuzz $target found a crash (build/fuzz/$target.log)"
		grep -E 'ERROR|SUMMARY|crash-' build/fuzz/$target.log | head -5
	fi
done
