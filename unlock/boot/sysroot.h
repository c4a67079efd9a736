/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_SYSROOT_H
#define UNLOCK_SYSROOT_H

#include <stddef.h>

/*
 * The real init on the mounted root: init (init= or NULL for the default) is looked up as the new
 * root will see it after the switch, so absolute and relative symbolic links (/sbin/init ->
 * /lib/systemd/systemd, merged /usr) resolve inside root, never in the initramfs. Without init=,
 * the kernel's own list is tried (/sbin/init, /etc/init, /bin/init). The path found goes to out.
 * 0, or -ENOENT after logging every path tried and where its links led.
 */
int sysroot_find_init(const char *root, const char *init, char *out, size_t size);

#endif
