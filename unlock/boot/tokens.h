/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BOOT_TOKENS_H
#define UNLOCK_BOOT_TOKENS_H

/* The token step at boot: the TPM's drivers and device first, then the header's tokens
 * (open/tokens.h) with the volume's tpm2-device=, tpm2-signature=, tpm2-pcrlock=, token-timeout=, headless=. */

#include "boot/boot.h"
#include "crypto/secret.h"
#include "open/volume.h"

struct modules;

/* The TPM's drivers (they load with async probing) and then its device, waited for a bounded time:
 * token-timeout= when tpm2-device= names it, else at most 5 s. */
void boot_tpm2_device_wait(const struct boot_volume *vol, struct modules *m);
/* 0 with the volume key; -LUKS_ERR_WRONG_SECRET when the tokens did not open it (said why);
 * -ENOENT when the header has no token this image can use; -ENOMEM. */
int boot_volume_unlock_by_tokens(const struct boot_volume *vol, const struct volume *v, struct modules *m,
				 struct secret **key, int *digest);

#endif
