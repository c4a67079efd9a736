/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_KDF_H
#define UNLOCK_KDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PBKDF2 with the hash named as cryptsetup names it; -LUKS_ERR_UNSUPPORTED (logged) for a hash
 * neither Nettle nor the kernel offers. */
int pbkdf2_derive(const char *hash, const uint8_t *pass, size_t pass_len, const uint8_t *salt, size_t salt_len,
		  uint32_t iterations, uint8_t *out, size_t out_len);

struct argon2_params {
	bool id; /* Argon2id, else Argon2i */
	uint32_t time_cost;
	uint32_t memory_kib;
	uint32_t lanes; /* each computed in a thread of its own */
	const uint8_t *salt;
	size_t salt_len;
};

int argon2_derive(const struct argon2_params *p, const uint8_t *pass, size_t pass_len, uint8_t *out,
		  size_t out_len);

#endif
