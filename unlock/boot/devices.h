/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_DEVICES_H
#define UNLOCK_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

/* Finds the device node for UUID=, PARTUUID=, LABEL=, PARTLABEL=, a /dev path (once it opens) or a
 * /dev/disk/by-{uuid,partuuid,label,partlabel}/ link name (no udev makes them); -ENOENT if absent now. */
int device_find(const char *spec, char *path, size_t size);
/* A name only udev makes (/dev/disk/by-id/, by-path/, ...): nothing resolves it in the initramfs. */
bool device_name_needs_udev(const char *spec);
/*
 * Waits for the device up to timeout_sec (0: forever), woken by kernel uevents (the hotplug loader
 * brings the drivers). -ETIMEDOUT when it never shows up; -ENODEV, said on the console, at once for
 * a name only udev makes.
 */
int device_wait(const char *spec, int timeout_sec, char *path, size_t size);
/* The filesystem type libblkid sees on a device, or -ENOENT. */
int device_fstype(const char *path, char *type, size_t size);
/* The filesystem (or volume) UUID libblkid sees on a device, or -ENOENT. */
int device_uuid(const char *path, char *uuid, size_t size);

#endif
