/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_KEYDEV_H
#define UNLOCK_KEYDEV_H

#include "boot/boot.h"
#include "boot/modules.h"
#include "crypto/secret.h"

/* The runtime directory key devices are mounted under, one directory per volume. */
#define KEYDEV_RUN_DIR "/run/unlock"

/*
 * Opens PATH on the filesystem of the block device dev (named spec in messages), mounted read-only,
 * without devices, set-uid or execution, and detached again at once: the descriptor keeps it
 * readable until closed. PATH is resolved inside that filesystem and must be a regular file.
 * fstype empty or "auto": probed.
 * what ("key", "header") names the device in messages. A descriptor, or a negative errno, logged.
 */
int keydev_open_file(const char *vol_name, const char *what, const char *spec, const char *dev, const char *fstype,
		     const char *path, struct modules *m);
/*
 * Reads a key that is not in the image (vol->key_device, or vol->key_raw): waits up to timeout_sec
 * (0: forever) for the device, then reads the key raw from it or from its filesystem, mounted
 * read-only for that moment. -ETIMEDOUT when the device never appears; each failure is logged.
 */
int keydev_read(const struct boot_volume *vol, int timeout_sec, struct modules *m, struct secret **out);

#endif
