/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_KDF_H
#define UNLOCK_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "luks.h"

/* Derives out_len bytes from the passphrase; -LUKS_ERR_UNSUPPORTED for an unknown hash. */
int kdf_derive(const struct luks_kdf *kdf, const uint8_t *pass, size_t pass_len, uint8_t *out, size_t out_len);
int pbkdf2_derive(const char *hash, const uint8_t *pass, size_t pass_len, const uint8_t *salt, size_t salt_len,
		  uint32_t iterations, uint8_t *out, size_t out_len);

#endif
