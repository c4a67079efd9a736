# shellcheck shell=sh
# What an initramfs needs for unlock: shared by unlock-mkinitrd, the dracut module and the
# initramfs-tools hook, so the generators never disagree. Source it; POSIX sh.

# Modules every image carries: dm-crypt with the crypto it uses, and keyboards (an image without
# them leaves nobody able to type the passphrase).
# shellcheck disable=SC2034 # used by the scripts that source this file
UNLOCK_BASE_MODULES="dm-crypt dm-mod
aesni_intel aes_generic xts cbc ecb essiv sha256_generic sha512_generic crc32c_generic
atkbd i8042 hid_generic usbhid hid_apple xhci_pci ehci_pci ohci_pci uhci_hcd"

# The modules nearly every boot loads on its way to root: dm-crypt and the cipher of cryptsetup's
# default, AES-XTS. A host-only image adds its host's drivers and filesystems; a generic one the
# storage of virtual machines and NVMe disks, and ext4, the default root filesystem of Debian and
# Ubuntu. unlock-mkinitrd leaves these uncompressed inside the image (see there why).
# shellcheck disable=SC2034
UNLOCK_BOOT_PATH_MODULES="dm-crypt dm-mod aesni_intel xts"
# The root filesystem a generic image expects, whose driver the boot starts loading before it can
# see inside the volume (a host-only image expects its host's).
UNLOCK_GENERIC_ROOTFSTYPE=ext4
# shellcheck disable=SC2034
UNLOCK_GENERIC_BOOT_PATH_MODULES="virtio_blk virtio_pci nvme $UNLOCK_GENERIC_ROOTFSTYPE"

# What a generic image adds, for machines it was not built on: storage and bus drivers for common
# hardware and VMs, and the usual root filesystems.
# shellcheck disable=SC2034
UNLOCK_GENERIC_MODULES="virtio_blk virtio_scsi virtio_pci virtio_console sd_mod sr_mod ahci ata_piix nvme
mmc_block sdhci_pci usb_storage uas
ext4 xfs btrfs vfat"

# The TPM's drivers (an image that can use TPM2 tokens): firmware TPMs (CRB) and discrete ones (TIS).
# shellcheck disable=SC2034
UNLOCK_TPM2_MODULES="tpm_crb tpm_tis"

# unlock_sysfs_drivers DEVICE-DIR: the modalias and driver module of a sysfs device and of each
# parent up to the root of /sys/devices; modprobe resolves aliases and names alike.
unlock_sysfs_drivers() {
	d=$(readlink -f "$1")
	while [ "${d#/sys/devices/}" != "$d" ]; do
		[ -r "$d/modalias" ] && head -n1 "$d/modalias"
		[ -e "$d/driver/module" ] && basename "$(readlink -f "$d/driver/module")"
		d=${d%/*}
	done
	return 0
}

# unlock_block_drivers MAJ:MIN: the drivers under a block device, through dm/md slaves and from a
# partition to its disk.
unlock_block_drivers() {
	b=$(readlink -f "/sys/dev/block/$1") || return 0
	for s in "$b"/slaves/*; do
		[ -e "$s/dev" ] && unlock_block_drivers "$(cat "$s/dev")"
	done
	[ -e "$b/partition" ] && b=${b%/*}
	[ -e "$b/device" ] && unlock_sysfs_drivers "$b/device"
	return 0
}

# unlock_block_assemblers MAJ:MIN: what under a block device needs assembling that unlock cannot do
# (LVM logical volumes, MD RAID arrays), one line each.
unlock_block_assemblers() {
	b=$(readlink -f "/sys/dev/block/$1") || return 0
	case $(cat "$b/dm/uuid" 2>/dev/null) in LVM-*) echo "LVM" ;; esac
	[ -d "$b/md" ] && echo "MD RAID"
	for s in "$b"/slaves/*; do
		[ -e "$s/dev" ] && unlock_block_assemblers "$(cat "$s/dev")"
	done
	return 0
}

# unlock_fstab_beside CRYPTTAB: the fstab of the system CRYPTTAB belongs to (DIR/fstab beside
# DIR/crypttab), or /dev/null when it has none.
unlock_fstab_beside() {
	if [ -f "$(dirname "$1")/fstab" ]; then echo "$(dirname "$1")/fstab"; else echo /dev/null; fi
}

# unlock_names_lvm CRYPTTAB: whether the crypttab, or the fstab beside it, names a device as an LVM
# logical volume (/dev/mapper/VG-LV that is no crypttab volume, or /dev/VG/LV): an image that opens
# that crypttab then needs lvm2's tool. Debian's installer writes /dev/mapper/VG-LV into fstab.
unlock_names_lvm() {
	awk '
	function lvm_name(dev, rest) {
		if (dev ~ /^\/dev\/mapper\//) {
			rest = substr(dev, 13)
			gsub(/--/, "", rest)
			return !(substr(dev, 13) in volume) && rest ~ /^[^-]+-[^-]+$/
		}
		return dev ~ /^\/dev\/[A-Za-z0-9+_.][A-Za-z0-9+_.-]*\/[A-Za-z0-9+_.-]+$/ && dev !~ /^\/dev\/(disk|mapper|md|block)\//
	}
	FNR == 1 { file++ }
	/^[ \t]*(#|$)/ { next }
	file == 1 { volume[$1] = 1; devs[++n] = $2; next }
	{ devs[++n] = $1 }
	END { for (i = 1; i <= n; i++) if (lvm_name(devs[i])) found = 1; exit !found }' "$1" "$(unlock_fstab_beside "$1")"
}

# unlock_mdadm_conf_beside CRYPTTAB: the mdadm.conf of the system CRYPTTAB belongs to
# (DIR/mdadm/mdadm.conf beside DIR/crypttab) when it names an array; nothing otherwise.
unlock_mdadm_conf_beside() {
	conf=$(dirname "$1")/mdadm/mdadm.conf
	[ ! -f "$conf" ] || ! grep -q '^[[:space:]]*ARRAY[[:space:]]' "$conf" || echo "$conf"
}

# unlock_names_md CRYPTTAB: whether the volumes of CRYPTTAB's system may lie on MD RAID: a crypttab
# or fstab beside it naming /dev/md*, or an mdadm.conf beside it naming an array.
unlock_names_md() {
	[ -z "$(unlock_mdadm_conf_beside "$1")" ] || return 0
	awk 'FNR == 1 { file++ } /^[ \t]*(#|$)/ { next } (file == 1 ? $2 : $1) ~ /^\/dev\/md/ { found = 1 } END { exit !found }' \
		"$1" "$(unlock_fstab_beside "$1")"
}

# The drivers of the RAID levels mdadm may assemble (the image has no modprobe for the kernel).
# shellcheck disable=SC2034
UNLOCK_MD_MODULES="md_mod raid0 raid1 raid10 raid456"

# unlock_device_number PATH: MAJ:MIN of a block device node, or nothing.
unlock_device_number() {
	[ -b "$1" ] || return 0
	echo "$(( 0x$(stat -L -c %t "$1") )):$(( 0x$(stat -L -c %T "$1") ))"
}

# unlock_host_rootfstype: the type of this host's root filesystem when it is on a block device;
# nothing in a container.
unlock_host_rootfstype() {
	src=$(findmnt -n -o SOURCE --target / 2>/dev/null | head -n1)
	[ -n "$(unlock_device_number "${src%%\[*}")" ] || return 0
	findmnt -n -o FSTYPE --target / | head -n1
}

# unlock_hostonly_modules [CRYPTTAB]: the modules this host boots with: the drivers under the root
# filesystem and the crypttab devices present here, the root filesystem type, the console drivers.
# Prints nothing when the root device is not a block device (a container): callers fall back to
# the generic set.
unlock_hostonly_modules() {
	src=$(findmnt -n -o SOURCE --target / 2>/dev/null | head -n1)
	devno=$(unlock_device_number "${src%%\[*}")
	[ -n "$devno" ] || return 0
	unlock_block_drivers "$devno"
	unlock_host_rootfstype
	if [ -n "${1:-}" ]; then
		{
			awk '!/^[ \t]*(#|$)/ && NF >= 2 { print $2 }' "$1"
			unlock_key_and_header_devices "$1"
		} | while read -r spec; do
			dev=$(findfs "$spec" 2>/dev/null || echo "$spec")
			devno=$(unlock_device_number "$dev")
			[ -z "$devno" ] || unlock_block_drivers "$devno"
			[ -z "$devno" ] || blkid -o value -s TYPE "$dev" 2>/dev/null || true
		done
	fi
	consoles=$(cat /sys/class/tty/console/active 2>/dev/null || true)
	for c in $consoles; do
		[ -e "/sys/class/tty/$c/device" ] && unlock_sysfs_drivers "/sys/class/tty/$c/device"
	done
	return 0
}

# unlock_keymap GENERIC OUT: writes to OUT the console keyboard layout an image needs, in the binary
# form unlock loads before its prompt; nothing for US, the kernel's own layout. The layout is
# $UNLOCK_KEYMAP when set (a keymap file or name loadkeys reads; "none": no layout); otherwise, for
# a host-only image (GENERIC=0), this host's: KEYMAP= in systemd's /etc/vconsole.conf, or Debian's
# /etc/default/keyboard compiled by console-setup. Returns 1, saying why, when it cannot be made.
unlock_keymap() {
	if [ -n "${UNLOCK_KEYMAP:-}" ]; then
		[ "$UNLOCK_KEYMAP" = none ] || unlock_keymap_binary "$UNLOCK_KEYMAP" "$2"
		return
	fi
	[ "$1" = 0 ] || return 0
	map=$(unlock_config_value /etc/vconsole.conf KEYMAP)
	if [ -n "$map" ]; then
		[ "$map" = us ] || unlock_keymap_binary "$map" "$2"
		return
	fi
	layout=$(unlock_config_value /etc/default/keyboard XKBLAYOUT)
	variant=$(unlock_config_value /etc/default/keyboard XKBVARIANT)
	[ -n "$layout" ] && [ "$layout,$variant" != "us," ] || return 0
	# Compiled afresh, as initramfs-tools does: the cache may predate the last change.
	if command -v setupcon >/dev/null 2>&1 && setupcon --save-keyboard "$2.kmap.gz" 2>/dev/null; then
		unlock_keymap_binary "$2.kmap.gz" "$2" && rm -f "$2.kmap.gz" && return 0
		rm -f "$2.kmap.gz"
		return 1
	fi
	for cached in /etc/console-setup/cached_*.kmap.gz; do
		[ -f "$cached" ] && { unlock_keymap_binary "$cached" "$2"; return; }
	done
	echo "unlock-mkinitrd: the console layout \"$layout\" of /etc/default/keyboard cannot be compiled (setupcon, package console-setup, is missing)" >&2
	return 1
}

# unlock_config_value FILE NAME: the value of NAME=VALUE in a shell-style configuration file, quotes
# removed, without running the file.
unlock_config_value() {
	[ -r "$1" ] || return 0
	sed -n "s/^[ \t]*$2=[\"']\{0,1\}\([^\"']*\)[\"']\{0,1\}[ \t]*$/\1/p" "$1" | tail -n1
}

# unlock_keymap_binary SOURCE OUT: the layout in the binary form unlock loads before its prompt (the
# kernel's keyboard is in Unicode mode, as vt.default_utf8 leaves it). Says why on failure.
unlock_keymap_binary() {
	if ! command -v loadkeys >/dev/null 2>&1; then
		echo "unlock-mkinitrd: loadkeys (package kbd) is needed for the console layout $1" >&2
		return 1
	fi
	if ! loadkeys -q -u -b "$1" >"$2" 2>"$2.err"; then
		echo "unlock-mkinitrd: loadkeys cannot read the console layout $1: $(head -n1 "$2.err")" >&2
		rm -f "$2" "$2.err"
		return 1
	fi
	rm -f "$2.err"
}

# unlock_library_closure BINARY: the dynamic loader and every shared library BINARY needs,
# resolved as the loader resolves them (ldd asks the loader itself). unlock itself is static: this
# is for the dynamic tools an image may carry (lvm, mdadm).
unlock_library_closure() {
	ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | sort -u
}

# unlock_tpm2_helper_usable HELPER: whether HELPER is the static TPM2 helper an image can carry
# alone (it needs no library: tpm2-tss and its device TCTI are linked in). Says why not.
unlock_tpm2_helper_usable() {
	[ -x "$1" ] || { echo "the TPM2 helper $1 is missing" >&2; return 1; }
	if LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q INTERP; then
		echo "the TPM2 helper $1 is not static (built by an older unlock?)" >&2
		return 1
	fi
}

# unlock_pcrlock_files CRYPTTAB: the systemd-pcrlock predictions an image with TPM2 support carries,
# as "SOURCE DESTINATION" lines: the system's (UNLOCK_PCRLOCK, by default
# /var/lib/systemd/pcrlock.json, where systemd-pcrlock make-policy writes it) at that place in the
# image, where the helper looks, and each file a tpm2-pcrlock= option names, at its own path.
unlock_pcrlock_files() {
	prediction=${UNLOCK_PCRLOCK:-/var/lib/systemd/pcrlock.json}
	[ ! -f "$prediction" ] || echo "$prediction /var/lib/systemd/pcrlock.json"
	[ -z "$1" ] || [ ! -f "$1" ] || awk '!/^[ \t]*(#|$)/ && NF >= 4 {
		n = split($4, opts, ",")
		for (i = 1; i <= n; i++) if (opts[i] ~ /^tpm2-pcrlock=\//) print substr(opts[i], 14) " " substr(opts[i], 14)
	}' "$1" | while read -r src dest; do [ ! -f "$src" ] || echo "$src $dest"; done
}

# unlock_crypttab_sources CRYPTTAB: the devices its entries name, as this host's paths (UUID=,
# LABEL=, PARTUUID= and PARTLABEL= resolved by blkid), those present here.
unlock_crypttab_sources() {
	awk '!/^[ \t]*(#|$)/ && NF >= 2 { print $2 }' "$1" | while IFS= read -r spec; do
		case $spec in
		UUID=* | LABEL=* | PARTUUID=* | PARTLABEL=*) dev=$(blkid -l -o device -t "$spec" 2>/dev/null) || dev="" ;;
		*) dev=$spec ;;
		esac
		[ -z "$dev" ] || [ ! -e "$dev" ] || echo "$dev"
	done
}

# unlock_crypttab_wants_token CRYPTTAB UNLOCK OPTION TYPE: whether a volume of it can use a token
# of TYPE: one names OPTION=, or its LUKS2 header holds such a token (read with unlock inspect).
unlock_crypttab_wants_token() {
	OPTION=$3 awk '!/^[ \t]*(#|$)/ && index("," $4, "," ENVIRON["OPTION"] "=") { found = 1 } END { exit !found }' "$1" &&
		return 0
	for dev in $(unlock_crypttab_sources "$1"); do
		"$2" inspect --json "$dev" 2>/dev/null | grep -q "\"type\": *\"$4\"" && return 0
	done
	return 1
}

# unlock_crypttab_wants_tpm2 CRYPTTAB UNLOCK: tpm2-device=, a tpm2-measure-pcr= other than no (the
# helper extends the PCR), or a systemd-tpm2 token.
unlock_crypttab_wants_tpm2() {
	awk '!/^[ \t]*(#|$)/ && match("," $4 ",", /,tpm2-measure-pcr=[^,]*,/) &&
		substr("," $4 ",", RSTART + 18, RLENGTH - 19) !~ /^(no|false|off|n|f)$/ { found = 1 } END { exit !found }' "$1" ||
		unlock_crypttab_wants_token "$1" "$2" tpm2-device systemd-tpm2
}
# unlock_crypttab_wants_pkcs11 CRYPTTAB UNLOCK: pkcs11-uri=, or a systemd-pkcs11 token.
unlock_crypttab_wants_pkcs11() { unlock_crypttab_wants_token "$1" "$2" pkcs11-uri systemd-pkcs11; }

# p11-kit's registry of PKCS#11 modules, as its configuration says where it lives on Debian; its
# trust module holds certificates, not keys, and stays out of an image.
UNLOCK_P11_REGISTRY="/usr/share/p11-kit/modules /etc/pkcs11/modules"

# A smart card reader's way in: the USB host controllers' drivers (its CCID device itself needs none:
# pcscd drives it through libusb).
# shellcheck disable=SC2034
UNLOCK_USB_HOST_MODULES="xhci_pci ehci_pci uhci_hcd ohci_pci"

# unlock_pcscd_files: pcscd with its reader drivers (libccid's bundle) and their libraries,
# libpcsclite (OpenSC opens it by name, so no closure finds it), OpenSC's and pcscd's configuration.
# Nothing when pcscd is not installed.
unlock_pcscd_files() {
	pcscd=$(command -v pcscd 2>/dev/null || { [ ! -x /usr/sbin/pcscd ] || echo /usr/sbin/pcscd; })
	[ -n "$pcscd" ] || return 0
	echo "$pcscd"
	unlock_library_closure "$pcscd"
	lite=$(ldconfig -p 2>/dev/null | awk '$1 == "libpcsclite.so.1" && /x86-64|x86_64|64bit/ { print $NF; exit }')
	[ -z "$lite" ] || { echo "$lite"; unlock_library_closure "$lite"; }
	# glibc opens libgcc_s by name when a thread exits (pcscd's do)
	ldconfig -p 2>/dev/null | awk '$1 == "libgcc_s.so.1" && /x86-64|x86_64|64bit/ { print $NF; exit }'
	find /usr/lib/pcsc/drivers \( -type f -o -type l \) 2>/dev/null | while IFS= read -r f; do
		echo "$f"
		case $f in *.so*) unlock_library_closure "$f" ;; esac
	done
	find /etc/reader.conf.d /etc/opensc -type f 2>/dev/null
	[ ! -f /etc/opensc.conf ] || echo /etc/opensc.conf
}

# unlock_pkcs11_module_files [MODULE-FILE...]: the registry's module files (or those given), each
# with the shared object it names (a bare name lives in p11-kit's module directory) and its closure.
unlock_pkcs11_module_files() {
	# p11-kit's module directory as it was built with: under /usr, where ldconfig may say /lib
	p11dir=$(dirname "$(ldconfig -p 2>/dev/null | awk '$1 == "libp11-kit.so.0" && /x86-64|x86_64|64bit/ { print $NF; exit }')")/pkcs11
	case $p11dir in /lib/* | /lib64/*) p11dir=/usr$p11dir ;; esac
	if [ $# -eq 0 ]; then
		# shellcheck disable=SC2046 # module files' paths have no blanks
		set -- $(for d in $UNLOCK_P11_REGISTRY; do ls "$d"/*.module 2>/dev/null; done | grep -v '/p11-kit-trust\.module$')
	fi
	for f in "$@"; do
		so=$(sed -n 's/^[ \t]*module:[ \t]*//p' "$f" | head -n1)
		case $so in "") continue ;; /*) ;; *) so=$p11dir/$so ;; esac
		[ -e "$so" ] || { echo "unlock-mkinitrd: $f names $so, which is not there" >&2; continue; }
		echo "$f"
		echo "$so"
		unlock_library_closure "$so"
	done
	[ ! -f /etc/pkcs11/pkcs11.conf ] || echo /etc/pkcs11/pkcs11.conf
}

# The key field forms whose key is read at boot from another device, as systemd splits them:
# PATH:DEVICE (DEVICE a tag or a path), or a block device itself. With Debian's keyscript= the
# field is the script's argument, not a key; passdev's is DEVICE:PATH[:TIMEOUT], a key on DEVICE.
UNLOCK_AWK_KEY_ON_DEVICE='function key_field_is_key(opts) { return ("," opts ",") !~ /,keyscript=/ }
function is_passdev(opts) { return ("," opts ",") ~ /,keyscript=([^,]*\/)?passdev,/ }
function passdev_device(k) { return (k ~ /^\/[^:]*:\//) ? substr(k, 1, index(k, ":/") - 1) : "" }
function key_device(k) {
	if (match(k, /:(UUID|PARTUUID|LABEL|PARTLABEL)=[^:]+$/) || match(k, /:\/[^:]+$/)) return substr(k, RSTART + 1)
	if (k ~ /^\/dev\// && k !~ /^\/dev\/(urandom|random|hw_random|hwrng|null)$/) return k
	return ""
}'

# unlock_udev_only_name NAME: whether NAME is a link only udev makes (/dev/disk/by-id/, by-path/,
# ...). unlock resolves by-uuid, by-partuuid, by-label and by-partlabel names itself, without udev.
unlock_udev_only_name() {
	case $1 in
	/dev/disk/by-uuid/* | /dev/disk/by-partuuid/* | /dev/disk/by-label/* | /dev/disk/by-partlabel/*) return 1 ;;
	/dev/disk/*) return 0 ;;
	esac
	return 1
}

# unlock_device_tag_link NAME CONTENT: a name unlock resolves at boot, without udev, for the block
# device NAME stands for on this host: /dev/disk/by-partuuid/ for a partition (as stable as the udev
# name it replaces), else /dev/disk/by-uuid/ for what the device holds when CONTENT accepts it:
# "luks" a LUKS header, "any" also a filesystem, "none" nothing (raw data, such as a key or a plain
# volume's, has no UUID). Prints nothing when there is none. Such a name is still a path, so it
# fits every crypttab field a udev name did, and systemd reads it as well.
unlock_device_tag_link() {
	dev=$(readlink -f "$1" 2>/dev/null) && [ -b "$dev" ] || return 0
	partuuid=$(blkid -p -o value -s PART_ENTRY_UUID "$dev" 2>/dev/null || true)
	if [ -n "$partuuid" ]; then
		echo "/dev/disk/by-partuuid/$partuuid"
		return 0
	fi
	[ "$2" != none ] || return 0
	type=$(blkid -p -o value -s TYPE "$dev" 2>/dev/null || true)
	[ "$2" = any ] || [ "$type" = crypto_LUKS ] || return 0
	uuid=$(blkid -p -o value -s UUID "$dev" 2>/dev/null || true)
	[ -z "$uuid" ] || echo "/dev/disk/by-uuid/$uuid"
}

# unlock_image_device_name NAME CONTENT: NAME as the image's crypttab gives it. A link only udev
# makes becomes one unlock resolves (see unlock_device_tag_link), noted on standard error; when
# there is none, NAME stays and a warning says the boot will not find it.
unlock_image_device_name() {
	if ! unlock_udev_only_name "$1"; then
		echo "$1"
		return 0
	fi
	link=$(unlock_device_tag_link "$1" "$2")
	if [ -n "$link" ]; then
		echo "unlock-mkinitrd: crypttab: $1 is $link in the image (only udev makes the first name)" >&2
		echo "$link"
		return 0
	fi
	if [ -e "$1" ]; then why="has neither a PARTUUID nor a UUID to be named by"; else why="does not exist on this machine"; fi
	echo "unlock-mkinitrd: warning: crypttab: $1 $why, and only udev makes that name, which the boot" \
		"does without: name the device UUID=, PARTUUID= or LABEL= instead" >&2
	echo "$1"
}

# unlock_crypttab_warn_check NAME OPTION: the warning for a check program unlock does not do.
unlock_crypttab_warn_check() {
	echo "unlock-mkinitrd: warning: crypttab: $1: $2: unlock runs no check programs, so the boot will not" \
		"open $1; use ${2%%=*}=blkid, un_blkid, ext2 or xfs instead" >&2
}

# unlock_crypttab_warn_unopenable NAME OPTIONS: a warning for a volume the boot will not open, as
# unlock says at boot: a Debian key script other than decrypt_keyctl (whose shared passphrase
# unlock understands) and passdev (whose key on a device it reads itself), a check program other than Debian's own (which unlock does with libblkid),
# a volume type other than LUKS and plain dm-crypt.
unlock_crypttab_warn_unopenable() {
	set -f
	for o in $(echo "$2" | tr ',' ' '); do
		case $o in
		keyscript=decrypt_keyctl | keyscript=*/decrypt_keyctl | keyscript=passdev | keyscript=*/passdev) ;;
		keyscript=*) echo "unlock-mkinitrd: warning: crypttab: $1: $o: unlock runs no key scripts, so the boot" \
			"will not open $1; give a key file, PATH:DEVICE or none instead" >&2 ;;
		check= | precheck=) ;;
		check=* | precheck=*)
			case ${o#*=} in
			blkid | un_blkid | ext2 | xfs) ;;
			/lib/cryptsetup/checks/* | /usr/lib/cryptsetup/checks/*)
				case ${o##*/} in blkid | un_blkid | ext2 | xfs) ;; *) unlock_crypttab_warn_check "$1" "$o" ;; esac ;;
			*) unlock_crypttab_warn_check "$1" "$o" ;;
			esac ;;
		bitlk | tcrypt | tcrypt-hidden | tcrypt-system | tcrypt-veracrypt | veracrypt)
			echo "unlock-mkinitrd: warning: crypttab: $1: unlock does not open $o volumes, so the boot will not open $1" >&2 ;;
		esac
	done
	set +f
}

# unlock_image_key_field KEY: a crypttab key field as the image gives it: the device of PATH:DEVICE
# (split at the last colon as systemd splits it), or a key device itself, named by
# unlock_image_device_name.
unlock_image_key_field() {
	keydev=${1##*:}
	if [ "$keydev" != "$1" ] && [ "${keydev#/}" != "$keydev" ]; then
		echo "${1%:*}:$(unlock_image_device_name "$keydev" any)"
	elif [ "${1#/dev/}" != "$1" ]; then
		unlock_image_device_name "$1" none
	else
		echo "$1"
	fi
}

# unlock_image_passdev_field KEY: passdev's DEVICE:PATH[:TIMEOUT] with DEVICE named by
# unlock_image_device_name.
unlock_image_passdev_field() {
	case $1 in
	/*:/*) echo "$(unlock_image_device_name "${1%%:/*}" any):/${1#*:/}" ;;
	*) echo "$1" ;;
	esac
}

# unlock_crypttab_later_use NAME OPTIONS FSTAB: why the real system, not the image, opens NAME
# (nothing when the image must): a _netdev volume needs the network, and a volume the fstab mounts
# only on a path the boot does not need (not / or /usr, not swap, which resume may need) is opened by
# the system's systemd-cryptsetup after the switch, as Debian's cryptsetup-initramfs and systemd's
# initrd leave it, unless crypttab marks it initramfs or x-initrd.attach.
unlock_crypttab_later_use() {
	case ",$2," in *,initramfs,* | *,x-initrd.attach,*) return 0 ;; *,_netdev,*)
		echo "a _netdev volume, opened once the network is up"
		return 0
		;;
	esac
	[ -f "$3" ] || return 0
	awk -v dev="/dev/mapper/$1" '
	!/^[ \t]*(#|$)/ && $1 == dev {
		if ($2 == "/" || $2 == "/usr" || $3 == "swap" || $4 ~ /(^|,)x-initrd\.mount(,|$)/) { boot = 1; exit }
		later = $2
	}
	END { if (!boot && later != "") print "mounted on " later " by the system after the boot" }' "$3"
}

# unlock_crypttab_for_image CRYPTTAB: the crypttab the image carries. Devices, key devices and
# header devices named by links only udev makes are renamed (unlock_image_device_name), each
# renamed line after a comment holding the line as it was; a volume the real system opens itself
# (unlock_crypttab_later_use, with the fstab beside CRYPTTAB) is left as a comment saying why;
# every other line is kept as it is.
unlock_crypttab_for_image() {
	fstab=$(unlock_fstab_beside "$1")
	while IFS= read -r line || [ -n "$line" ]; do
		set -f
		# shellcheck disable=SC2086 # the fields, split as crypttab splits them
		set -- $line
		set +f
		case ${1:-#} in '#'*)
			printf '%s\n' "$line"
			continue
			;;
		esac
		if [ $# -lt 2 ]; then
			printf '%s\n' "$line"
			continue
		fi
		name=$1
		later=$(unlock_crypttab_later_use "$name" "${4:-}" "$fstab")
		if [ -n "$later" ]; then
			echo "unlock-mkinitrd: crypttab: $name is left to the system's systemd-cryptsetup ($later);" \
				"mark it initramfs to open it at boot" >&2
			printf '# %s\n# %s: left to the system: %s\n' "$line" "$name" "$later"
			continue
		fi
		unlock_crypttab_warn_unopenable "$name" "${4:-}"
		source=$(unlock_image_device_name "$2" luks)
		key=${3:-}
		case ",${4:-}," in
		*,keyscript=passdev,* | *,keyscript=*/passdev,*) key=$(unlock_image_passdev_field "$key") ;;
		*,keyscript=*) ;; # the key script's argument, not a key
		*) key=$(unlock_image_key_field "$key") ;;
		esac
		options=""
		if [ $# -ge 4 ]; then
			set -f
			for o in $(echo "$4" | tr ',' ' '); do
				case $o in
				header=/*:/dev/*) o="${o%:*}:$(unlock_image_device_name "${o##*:}" any)" ;;
				header=/dev/*) o="header=$(unlock_image_device_name "${o#header=}" luks)" ;;
				esac
				options="${options:+$options,}$o"
			done
			set +f
		fi
		new="$1 $source${3:+ $key}${4:+ $options}"
		[ $# -le 4 ] || { shift 4; new="$new $*"; }
		if [ "$source" = "$2" ] && [ "$key" = "${3:-}" ] && [ "$options" = "${4:-}" ]; then
			printf '%s\n' "$line"
		else
			printf '# %s\n%s\n' "$line" "$new"
		fi
	done <"$1"
}

# unlock_crypttab_files CRYPTTAB: the key files and detached headers its entries name; they go into
# the image at the same path (keys and headers on devices, and devices such as /dev/urandom, excepted).
unlock_crypttab_files() {
	awk "$UNLOCK_AWK_KEY_ON_DEVICE"'
	!/^[ \t]*(#|$)/ {
		if (NF >= 3 && key_field_is_key($4) && $3 != "none" && $3 != "-" && $3 !~ /^\/dev\// && key_device($3) == "") print $3
		if (NF >= 4) { n = split($4, opts, ","); for (i = 1; i <= n; i++) if (opts[i] ~ /^header=\/[^:]*$/ && opts[i] !~ /^header=\/dev\//) print substr(opts[i], 8) }
	}' "$1" | sort -u
}

# unlock_key_and_header_devices CRYPTTAB: the devices its entries read keys and detached headers
# from at boot, a header= being PATH:DEVICE, as a key field, or a device itself (one per line).
unlock_key_and_header_devices() {
	awk "$UNLOCK_AWK_KEY_ON_DEVICE"'
	!/^[ \t]*(#|$)/ {
		if (NF >= 3 && key_field_is_key($4) && key_device($3) != "") print key_device($3)
		if (NF >= 4 && is_passdev($4) && passdev_device($3) != "") print passdev_device($3)
		if (NF >= 4) {
			n = split($4, opts, ",")
			for (i = 1; i <= n; i++) {
				if (opts[i] !~ /^header=./) continue
				h = substr(opts[i], 8)
				if (h ~ /^\// && key_device(h) != "") print key_device(h)
				else if (h ~ /^(\/dev\/|(UUID|PARTUUID|LABEL|PARTLABEL)=)/) print h
			}
		}
	}' "$1" | sort -u
}

# Keys on another device are most often on a USB stick: its drivers, and the filesystems such
# sticks carry, go into every image whose crypttab reads a key that way.
# shellcheck disable=SC2034
UNLOCK_KEY_DEVICE_MODULES="usb_storage uas sd_mod vfat ext4"

# unlock_fat_nls KVER: the character set modules the kernel's FAT driver asks for when mounting
# with its defaults (CONFIG_FAT_DEFAULT_CODEPAGE and _IOCHARSET, upstream's when unknown).
unlock_fat_nls() {
	config=/boot/config-$1
	codepage=$(sed -n 's/^CONFIG_FAT_DEFAULT_CODEPAGE=\([0-9]*\)$/\1/p' "$config" 2>/dev/null)
	charset=$(sed -n 's/^CONFIG_FAT_DEFAULT_IOCHARSET="\([a-z0-9-]*\)"$/\1/p' "$config" 2>/dev/null)
	echo "nls_cp${codepage:-437} nls_${charset:-iso8859-1}"
}

# unlock_modules_unpack < PATHS: each module file named on standard input that its distribution
# compressed (NAME.ko.xz, .ko.zst, .ko.gz) replaced by NAME.ko, where the tool to unpack it is here;
# the module's bytes, signature included, are the kernel's as they were before compression.
unlock_modules_unpack() {
	while IFS= read -r f; do
		case $f in
		*.ko.xz) ! command -v xz >/dev/null 2>&1 || xz -dqf "$f" ;;
		*.ko.zst) ! command -v zstd >/dev/null 2>&1 || zstd -dqf --rm "$f" ;;
		*.ko.gz) ! command -v gzip >/dev/null 2>&1 || gzip -dqf "$f" ;;
		esac
	done
}

# unlock_module_files KVER MODULE...: the .ko files of the modules and their dependencies;
# modules built into the kernel or missing from it are skipped.
unlock_module_files() {
	kver=$1
	shift
	[ $# -gt 0 ] || return 0
	modprobe -S "$kver" --show-depends -a "$@" 2>/dev/null | awk '$1 == "insmod" { print $2 }' | sort -u
}
