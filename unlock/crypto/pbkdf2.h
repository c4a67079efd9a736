/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_PBKDF2_H
#define UNLOCK_PBKDF2_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"

/* PBKDF2-HMAC (RFC 8018) with its independent output blocks computed on separate cores. */
int pbkdf2_hmac(const struct hash_alg *md, const uint8_t *pass, size_t pass_len, const uint8_t *salt, size_t salt_len,
		uint32_t iterations, uint8_t *out, size_t out_len);

#endif
