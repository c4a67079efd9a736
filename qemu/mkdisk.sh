#!/bin/sh
# mkdisk.sh DIR [luks1|luks2]: builds DIR/disk.img, a LUKS disk whose filesystem is a busybox root
# that prints what it sees and powers off. Known secrets: DIR/passphrase, DIR/volume.key, DIR/keyfile.
set -eu
dir=$1
type=${2:-luks2}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/root"
root=$dir/root

mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/etc"
cp /bin/busybox "$root/bin/busybox"
# An os-release file makes it an OS tree for systemd-based initramfs images (dracut in make bench).
printf 'ID=unlock-test\nNAME="unlock test root"\n' >"$root/etc/os-release"
for tool in sh cat ls awk echo poweroff mount sleep; do ln -sf busybox "$root/bin/$tool"; done
# shellcheck source-path=SCRIPTDIR source=../hooks/unlock-files.sh
. "$top/hooks/unlock-files.sh"
copy_in() { # copy_in FILE...: into the root at the same path
	for f in "$@"; do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
}
carry() { # carry PROGRAM...: the programs and their libraries
	for p in "$@"; do
		# shellcheck disable=SC2046 # a list of paths
		copy_in "$p" $(unlock_library_closure "$p")
	done
}
# With WITH_UNLOCK=1 the root also carries unlock itself (static), for tests that run it inside the guest.
if [ "${WITH_UNLOCK:-0}" = 1 ]; then
	mkdir -p "$root/usr/sbin"
	cp "$top/build/unlock" "$root/usr/sbin/unlock"
fi
# GUEST_TOOLS: more programs for tests inside the guest (cryptsetup, dmsetup), with their libraries.
# shellcheck disable=SC2086 # a list
[ -z "${GUEST_TOOLS:-}" ] || carry $GUEST_TOOLS
# GUEST_MODULES: kernel modules the root can load with busybox modprobe (it has no other way).
if [ -n "${GUEST_MODULES:-}" ]; then
	kver=$("$top/qemu/kver.sh")
	# shellcheck disable=SC2086
	for ko in $(unlock_module_files "$kver" $GUEST_MODULES); do
		mkdir -p "$root$(dirname "$ko")"
		cp "$ko" "$root$ko"
	done
	for f in modules.builtin modules.builtin.modinfo modules.order; do cp "/lib/modules/$kver/$f" "$root/lib/modules/$kver/"; done
	depmod -b "$root" "$kver"
	ln -sf busybox "$root/bin/modprobe"
fi
cat >"$root/sbin/init" <<'INIT'
#!/bin/busybox sh
# The real init of the test root: report what it sees, run /guest-test if present, power off.
[ -x /guest-test ] && /guest-test
for d in /sys/block/dm-*; do
	[ -e "$d/dm/name" ] && dm="$dm $(cat "$d/dm/name"):$(cat "$d/dm/uuid")"
done
echo "UNLOCK-MARKER pid=$$ root=$(awk '$2 == "/" { print $1 }' /proc/mounts | tail -1) dm=${dm# } uptime=$(cut -d' ' -f1 /proc/uptime) memused=$(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print t - a }' /proc/meminfo)"
echo "UNLOCK-MARKER swaps=$(awk 'NR > 1 { print $1 }' /proc/swaps | tr '\n' ',')"
echo "UNLOCK-MARKER cmdline=$(cat /proc/cmdline)"
# What PID 1 inherited from the boot: its core limit, its open files, the keys left for it.
echo "UNLOCK-MARKER inherited core=$(ulimit -Hc) fds=$(ls -l /proc/$$/fd | awk '/->/ { printf "%s,", $NF }') keys=$(awk '{ printf "%s,", $9 }' /proc/keys)"
echo "UNLOCK-MARKER end"
poweroff -f
INIT
chmod 0755 "$root/sbin/init"
# An init for another machine (an AArch64 ELF header): the kernel refuses to start it (ENOEXEC).
{ printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\267\000\001\000\000\000'
	head -c 40 /dev/zero; } >"$root/sbin/init.aarch64"
chmod 0755 "$root/sbin/init.aarch64"

fs_uuid=6a1f0e2b-1b61-4a8a-9c51-7a4c4d2f0b10
rm -f "$dir/fs.img"
# FS_MB: the root filesystem's size (the LUKS2 header takes 16 MiB more on the disk).
fs_mb=${FS_MB:-24}
mkfs.ext4 -q -F -b 4096 -L testroot -U "$fs_uuid" -d "$root" "$dir/fs.img" "${fs_mb}M"
printf 'correct horse' >"$dir/passphrase"
head -c 64 /dev/urandom >"$dir/volume.key"
head -c 512 /dev/urandom >"$dir/keyfile"
rm -f "$dir/disk.img"
truncate -s "$((fs_mb + 24))M" "$dir/disk.img"
if [ "$type" = luks1 ]; then
	kdf="--pbkdf-force-iterations 1000"
else
	kdf="--pbkdf argon2id --pbkdf-memory 32768 --pbkdf-force-iterations 4 --pbkdf-parallel 1"
fi
# DETACHED=1: the header goes to DIR/header.img and the data starts at sector 0 of the disk.
header_args="" header_dev=$dir/disk.img
if [ "${DETACHED:-0}" = 1 ]; then
	header_args="--header $dir/header.img"
	header_dev=$dir/header.img
fi
# shellcheck disable=SC2086
cryptsetup luksFormat -q --type "$type" --volume-key-file "$dir/volume.key" $kdf $header_args "$dir/disk.img" "$dir/passphrase"
addkey_kdf="--pbkdf-force-iterations 1000"
[ "$type" = luks2 ] && addkey_kdf="--pbkdf pbkdf2 $addkey_kdf"
# shellcheck disable=SC2086
cryptsetup luksAddKey -q --key-file "$dir/passphrase" $addkey_kdf $header_args "$dir/disk.img" "$dir/keyfile"
"$top/qemu/encrypt-into.sh" "$header_dev" "$dir/disk.img" "$dir/fs.img" "$dir/volume.key"
cryptsetup luksUUID "$header_dev" >"$dir/luks.uuid"
echo "$fs_uuid" >"$dir/fs.uuid"
