/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_VOLUME_H
#define UNLOCK_VOLUME_H

#include <stdbool.h>
#include <stdint.h>

#include "base/blockdev.h"
#include "crypto/secret.h"
#include "dm/dm_table.h"
#include "luks/luks.h"

/*
 * One LUKS volume being opened, by `unlock open` and at boot alike: load the header (from the
 * device or a detached file), turn a secret into the verified volume key, activate. The token
 * step (TPM2, PKCS#11) belongs between volume_load and the secret prompt of each caller.
 */
struct volume {
	struct blockdev data;
	struct blockdev header; /* fd -1 unless the header is detached */
	struct luks_header hdr;
	bool hdr_loaded;
};

/* Opens the device (and header_path when not NULL) read-only and reads the header. */
int volume_load(struct volume *v, const char *device, const char *header_path);
const struct blockdev *volume_header_dev(const struct volume *v);
/* Tries the secret on key_slot, or on every keyslot by priority when key_slot < 0; on success the
 * verified volume key, the digest that verified it and the keyslot. -LUKS_ERR_WRONG_SECRET if none. */
int volume_unlock(const struct volume *v, int key_slot, const struct secret *pass, struct secret **key, int *digest,
		  int *slot);
/* The dm-crypt table request for this volume and key; extra_flags are enum luks_flag. */
struct dm_table_request volume_table_request(const struct volume *v, const struct secret *key, int digest,
					     uint32_t extra_flags);
int volume_activate(const struct volume *v, const char *name, const struct secret *key, int digest,
		    uint32_t extra_flags, bool read_only);
/*
 * The filesystem type inside the volume, from its first sectors decrypted in user space with the
 * verified key, so its driver can load while dm-crypt is set up. A hint: -EOPNOTSUPP when only the
 * kernel has the cipher, -ENOENT when nothing is recognised. The mapping is probed again later.
 */
int volume_peek_fstype(const struct volume *v, const struct secret *key, char *type, size_t size);
void volume_done(struct volume *v);

#endif
