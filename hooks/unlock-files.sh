# shellcheck shell=sh
# What an initramfs needs for unlock: shared by unlock-mkinitrd and, later, the dracut and
# initramfs-tools integrations, so the generators never disagree. Source it; POSIX sh.

# Modules a generic image carries: storage and bus drivers for common hardware and VMs, keyboards
# (a host-only image without them leaves nobody able to type the passphrase), dm-crypt and the
# crypto it uses, and the usual root filesystems.
# shellcheck disable=SC2034 # used by the scripts that source this file
UNLOCK_GENERIC_MODULES="dm-crypt dm-mod
virtio_blk virtio_scsi virtio_pci virtio_console sd_mod sr_mod ahci ata_piix nvme mmc_block sdhci_pci
usb_storage uas xhci_pci ehci_pci ohci_pci uhci_hcd
atkbd i8042 hid_generic usbhid hid_apple
aesni_intel aes_generic xts cbc ecb essiv sha256_generic sha512_generic crc32c_generic
ext4 xfs btrfs vfat"

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
