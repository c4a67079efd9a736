/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BOOT_SECRETS_H
#define UNLOCK_BOOT_SECRETS_H

/* Where a volume's secret comes from at boot, in order: its key file (in the image or on another
 * device), the header's tokens (TPM2: boot/tokens.h), the passphrases typed for the volumes before
 * it, an empty one (try-empty-password=), then the question, up to tries= times. */

#include <stdbool.h>
#include <stdint.h>

#include "boot/boot.h"
#include "boot/passcache.h"
#include "crypto/secret.h"
#include "open/volume.h"

struct modules;

/* The verified volume key of v, from the first of the sources above that opens a keyslot; a
 * passphrase typed that opens it is kept in typed (password-cache=yes). */
int boot_volume_unlock(const struct boot_volume *vol, const struct volume *v, const char *dev, struct modules *m,
		       struct passcache *typed, struct secret **key, int *digest);
/* The key file, size bytes of it (KEYFILE_SIZE_ALL: all); one on another device is waited for. */
int volume_key_read(const struct boot_volume *vol, uint64_t size, struct modules *m, struct secret **out);
/* After a key file failed with r: whether the passphrase is asked instead (said on the console). */
bool key_falls_back_to_passphrase(const struct boot_volume *vol, int r);

#endif
