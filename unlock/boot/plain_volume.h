/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BOOT_PLAIN_VOLUME_H
#define UNLOCK_BOOT_PLAIN_VOLUME_H

/* crypttab's volumes without a LUKS header: "plain" dm-crypt and "swap" with a random key. */

#include "boot/boot.h"

struct modules;

/* A plain mapping from a key file or a passphrase; only check= can tell a wrong one. */
int plain_volume_open(const struct boot_volume *vol, const char *dev, struct modules *m);
/* A plain mapping with a key nobody knows, then a fresh swap signature. */
int swap_volume_open(const struct boot_volume *vol, const char *dev, struct modules *m);

#endif
