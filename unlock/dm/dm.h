/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_DM_H
#define UNLOCK_DM_H

#include <stdbool.h>

#include "dm/dm_table.h"

/*
 * Creates /dev/mapper/<name> from the request: the volume key goes into the kernel keyring as a
 * logon key for the load and is unlinked right after, so `dmsetup table` never shows it.
 */
int dm_crypt_activate(const char *name, const struct dm_table_request *req, bool read_only);

/* A plain dm-crypt mapping (no header) with the given key: random-key swap. DM UUID CRYPT-PLAIN-<name>. */
int dm_plain_activate(const char *name, const char *device, uint64_t sectors, const char *cipher,
		      const struct secret *key, uint64_t offset, uint64_t skip, uint32_t flags, bool read_only);

/*
 * -EBUSY, naming the holder, when a device-mapper device already holds dev (a crypt mapping of
 * it, or any other); 0 otherwise. One device mapped twice is two plaintext views of it: duplicate
 * PVs and filesystems, corruption. The activations check it themselves; the boot asks it first,
 * before a passphrase is asked for nothing.
 */
int dm_refuse_held(const char *name, const char *dev);

/* Removes /dev/mapper/<name> again (an opened volume that failed its crypttab check). */
int dm_remove(const char *name);

#endif
