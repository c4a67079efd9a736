# shellcheck shell=bash
# For the suites that boot the real Debian 12 system of qemu/debian-disk.sh: boot it, read what it
# reported, check what every real boot must show. Sourced after tests/lib.sh.

# debian_boot NAME INITRD DISK APPEND [QEMU-ARGS...]: boots, answers the first passphrase question.
debian_boot() {
	local name=$1 initrd=$2 disk=$3 append=$4
	shift 4
	if python3 "$TOP/qemu/boot.py" --log "$WORK/$name.log" --timeout 400 --stop-at-end --step "expect:Passphrase for " \
		--step 'send:correct horse\n' --step "expect:UNLOCK-DEBIAN end" -- \
		"$TOP/qemu/run-vm.sh" "$initrd" "$disk" "$append" "$@" 2>"$WORK/$name.err"; then
		ok "debian: $name: the system booted and reported"
	else
		not_ok "debian: $name: the system booted and reported" "$(cat "$WORK/$name.err")" \
			"$(grep -aE 'unlock|UNLOCK-DEBIAN|Passphrase|passphrase|Kernel panic|Failed|Timed out' "$WORK/$name.log" | tail -12)"
	fi
}

# report NAME KEY: the value the system reported for KEY.
report() {
	console_text "$WORK/$1.log" | tr -d '\r' | KEY="UNLOCK-DEBIAN $2=" awk '!found && (i = index($0, ENVIRON["KEY"])) { print substr($0, i + length(ENVIRON["KEY"])); found = 1 }'
}

# debian_checks NAME ROOT-SOURCE UNIT...: what every real boot must show.
debian_checks() {
	local name=$1 root=$2 prompts
	shift 2
	check_eq "debian: $name: the system is running" "running" "$(report "$name" state)"
	check_eq "debian: $name: no failed units" "" "$(report "$name" failed)"
	check_eq "debian: $name: root is mounted from $root" "$root" "$(report "$name" root | cut -d' ' -f1)"
	for unit in "$@"; do
		check_eq "debian: $name: $unit is active" "active" "$(report "$name" "unit $unit")"
	done
	prompts=$(grep -acE 'Passphrase for |[Pp]lease enter passphrase' "$WORK/$name.log")
	check_eq "debian: $name: the passphrase was asked for once" "1" "$prompts"
}

# opened_by_unlock NAME: the boot's console shows that unlock opened the root (not another tool).
opened_by_unlock() {
	if console_text "$WORK/$1.log" | grep -aq "unlock: /dev/vda: opened as /dev/mapper/root"; then
		ok "debian: $1: the console shows that unlock opened the root"
	else
		not_ok "debian: $1: the console shows that unlock opened the root" "$(grep -a 'unlock' "$WORK/$1.log" | head -5)"
	fi
}

# debian12_root: the Debian 12 tree the boots copy, made once (waited for when make check's
# background job is making it); the suite stops here without it.
debian12_root() {
	"$TOP/qemu/debian-root.sh" "$TOP/build/debian-root" && return 0
	not_ok "debian: a Debian 12 root made by debootstrap" "see $TOP/build/debian-root.log"
	exit 0
}

# data_disk FILE UUID PASSPHRASE-FILE: a LUKS2 disk with that passphrase, holding an ext4 filesystem.
data_disk() {
	mkdir -p "$WORK/data-tree"
	echo "data of $1" >"$WORK/data-tree/marker"
	rm -f "$WORK/data-fs.img" "$1"
	mkfs.ext4 -q -F -b 4096 -d "$WORK/data-tree" "$WORK/data-fs.img" 32M
	head -c 64 /dev/urandom >"$WORK/data.key"
	truncate -s 48M "$1"
	cryptsetup luksFormat -q --type luks2 --uuid "$2" --volume-key-file "$WORK/data.key" --pbkdf argon2id \
		--pbkdf-memory 32768 --pbkdf-force-iterations 4 --pbkdf-parallel 1 "$1" "$3"
	"$TOP/qemu/encrypt-into.sh" "$1" "$1" "$WORK/data-fs.img" "$WORK/data.key"
}
