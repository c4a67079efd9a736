#!/bin/sh
# run-vm.sh INITRD DISK APPEND [QEMU-ARGS...]: the QEMU command line for a test boot
# (q35, OVMF UEFI firmware, software emulation, serial console on stdio). One virtual CPU unless
# UNLOCK_TEST_SMP says more: under emulation a second one costs the host about 10% more CPU time
# for a busybox boot and saves none for a Debian one, and the test suites keep both host cores busy.
set -eu
initrd=$1 disk=$2 append=$3
shift 3
kernel=${UNLOCK_TEST_KERNEL:-/boot/vmlinuz-$("$(dirname "$0")/kver.sh")}
exec qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp "${UNLOCK_TEST_SMP:-1}" -m 1024 -nodefaults -no-reboot \
	-display none -serial stdio -monitor none \
	-bios /usr/share/ovmf/OVMF.fd \
	-kernel "$kernel" -initrd "$initrd" -append "$(case "$append" in *console=*) ;; *) printf "console=ttyS0 " ;; esac)panic=-1 $append" \
	-drive "file=$disk,if=virtio,format=raw" "$@"
