/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BOOT_WAIT_H
#define UNLOCK_BOOT_WAIT_H

/* The devices the boot waits for: the volumes', their headers' and keys', root's and resume's,
 * assembling LVM and MD RAID on the way, and whether the background loader may pause. */

#include <stdbool.h>
#include <stddef.h>

#include "boot/boot.h"

struct hotplug;
struct modules;

/* The configuration whose volumes are waited for, and the loader that brings their drivers. */
void boot_wait_setup(const struct boot_config *cfg);
void boot_wait_loader(struct hotplug *hotplug);
/* The hotplug hold function: true when every device the volumes need is there. */
bool boot_waits_for_no_device(void);
/* x-systemd.device-timeout=, or rd.timeout= (or its default). */
int volume_wait_timeout(const struct boot_volume *vol);
/* Whether the volume's key file is in the image (not on another device, not a device). */
bool volume_key_in_image(const struct boot_volume *vol);
/* The device a detached header is on, or is; NULL for a header file in the image. */
const char *volume_header_device(const struct boot_volume *vol);
/* A device that may be an LVM logical volume or lie on an MD array, assembled while waited for. */
int device_wait_stacked(const char *spec, int timeout_sec, struct modules *m, char *path, size_t size);
/* The same for a device none of the volumes is on (root, resume): the loader does not pause. */
int other_device_wait(const char *spec, int timeout_sec, struct modules *m, char *path, size_t size);

#endif
