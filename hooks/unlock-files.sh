# shellcheck shell=sh
# What an initramfs needs for unlock: shared by unlock-mkinitrd and, later, the dracut and
# initramfs-tools integrations, so the generators never disagree. Source it; POSIX sh.

# Modules every image carries: dm-crypt with the crypto it uses, and keyboards (an image without
# them leaves nobody able to type the passphrase).
# shellcheck disable=SC2034 # used by the scripts that source this file
UNLOCK_BASE_MODULES="dm-crypt dm-mod
aesni_intel aes_generic xts cbc ecb essiv sha256_generic sha512_generic crc32c_generic
atkbd i8042 hid_generic usbhid hid_apple xhci_pci ehci_pci ohci_pci uhci_hcd"

# What a generic image adds, for machines it was not built on: storage and bus drivers for common
# hardware and VMs, and the usual root filesystems.
# shellcheck disable=SC2034
UNLOCK_GENERIC_MODULES="virtio_blk virtio_scsi virtio_pci virtio_console sd_mod sr_mod ahci ata_piix nvme
mmc_block sdhci_pci usb_storage uas
ext4 xfs btrfs vfat"

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

# unlock_device_number PATH: MAJ:MIN of a block device node, or nothing.
unlock_device_number() {
	[ -b "$1" ] || return 0
	echo "$(( 0x$(stat -L -c %t "$1") )):$(( 0x$(stat -L -c %T "$1") ))"
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
	findmnt -n -o FSTYPE --target / | head -n1
	if [ -n "${1:-}" ]; then
		awk '!/^[ \t]*(#|$)/ && NF >= 2 { print $2 }' "$1" | while read -r spec; do
			devno=$(unlock_device_number "$(findfs "$spec" 2>/dev/null || echo "$spec")")
			[ -z "$devno" ] || unlock_block_drivers "$devno"
		done
	fi
	consoles=$(cat /sys/class/tty/console/active 2>/dev/null || true)
	for c in $consoles; do
		[ -e "/sys/class/tty/$c/device" ] && unlock_sysfs_drivers "/sys/class/tty/$c/device"
	done
	return 0
}

# unlock_library_closure BINARY: the dynamic loader and every shared library BINARY needs,
# resolved as the loader resolves them (ldd asks the loader itself).
unlock_library_closure() {
	ldd "$1" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | sort -u
}

# unlock_openssl_modules: the OpenSSL providers unlock loads at run time (legacy: ripemd160, whirlpool).
unlock_openssl_modules() {
	dir=$(pkg-config --variable=modulesdir libcrypto 2>/dev/null || true)
	for f in "$dir/legacy.so" /usr/lib/*/ossl-modules/legacy.so; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 0
}

# unlock_crypttab_files CRYPTTAB: the key files and detached headers its entries name; they go into
# the image at the same path (devices such as /dev/urandom excepted).
unlock_crypttab_files() {
	awk '!/^[ \t]*(#|$)/ {
		if (NF >= 3 && $3 != "none" && $3 != "-" && $3 !~ /^\/dev\//) print $3
		if (NF >= 4) { n = split($4, opts, ","); for (i = 1; i <= n; i++) if (opts[i] ~ /^header=/) print substr(opts[i], 8) }
	}' "$1" | sort -u
}

# unlock_module_files KVER MODULE...: the .ko files of the modules and their dependencies;
# modules built into the kernel or missing from it are skipped.
unlock_module_files() {
	kver=$1
	shift
	for m in "$@"; do
		modprobe -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
	done | sort -u
}
