/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BOOT_PRELOAD_H
#define UNLOCK_BOOT_PRELOAD_H

/* Drivers loaded before they are needed, while the boot waits for something else: dm-crypt and the
 * expected root filesystem's at start, a volume's ciphers while its key is derived, the filesystem
 * inside a volume as soon as its key is known. */

#include "boot/boot.h"
#include "luks/luks.h"
#include "open/volume.h"

struct modules;
struct modules_job;

/* While the background loader finds the disks: what the boot is known to need. */
void boot_modules_preload(const struct boot_config *cfg, struct modules *m);
/* Keyslots in ciphers or hashes Nettle lacks are decrypted through AF_ALG: their modules, now. */
void modules_load_for_keyslots(struct modules *m, const struct luks_header *hdr);
/* The data cipher's modules, needed only by dm-crypt: loading while the key is derived. */
struct modules_job *modules_start_for_data(const struct luks_header *hdr);
/* The driver of the filesystem inside an opened volume, in the background. */
void fs_driver_preload(const struct boot_volume *vol, const struct volume *v, const struct secret *key);
/* Waits for the filesystem drivers started so far. */
void fs_drivers_wait(void);

#endif
