/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_KEYSLOT_H
#define UNLOCK_KEYSLOT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/secret.h"
#include "luks/luks.h"

struct blockdev;

#define KEYSLOT_ANY (-1)

/*
 * Tries the passphrase on keyslot `slot`, or on every usable keyslot by priority when KEYSLOT_ANY.
 * On success *volume_key holds the verified volume key and *opened the keyslot number.
 * Returns -LUKS_ERR_WRONG_SECRET when no keyslot opened; errors are logged with device and keyslot.
 */
int keyslot_unlock(const struct luks_header *hdr, const struct blockdev *dev, int slot, const struct secret *pass,
		   struct secret **volume_key, int *opened);
/* Checks a candidate volume key against the digest of segment 0: 0, or -LUKS_ERR_WRONG_SECRET. */
int volume_key_verify(const struct luks_header *hdr, int digest, const uint8_t *key, size_t key_len);

#endif
