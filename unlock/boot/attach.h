/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BOOT_ATTACH_H
#define UNLOCK_BOOT_ATTACH_H

/*
 * unlock boot: inside another generator's initramfs (initramfs-tools, dracut), which mounts root
 * and hands over itself, this opens the volumes the boot needs as /init would (the kernel command
 * line and crypttab_path), asks on every console, leaves the typed passphrases for the real system,
 * and returns: 0 when every volume it had to open is open, else a negative code (logged).
 * That image's udev loads the drivers and names the devices.
 */
int boot_attach_main(const char *crypttab_path);

#endif
