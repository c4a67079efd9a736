/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_CIPHER_H
#define UNLOCK_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/errors.h"

#define CIPHER_NAME_MAX 64

/* A dm-crypt cipher specification "cipher-chainmode-ivmode[:ivopts]", e.g. "aes-xts-plain64". */
struct cipher_spec {
	char cipher[CIPHER_NAME_MAX];
	char chain[CIPHER_NAME_MAX];
	char iv[CIPHER_NAME_MAX];
	char iv_hash[CIPHER_NAME_MAX];
};

int cipher_spec_parse(const char *spec, struct cipher_spec *out);
/* True if the IV mode is one dm-crypt knows, so the spec can go into a dm table. */
bool cipher_spec_known(const char *spec);

struct sector_cipher;

/* True when Nettle alone runs the spec with this key size: no kernel module is needed for it. */
bool sector_cipher_in_userspace(const char *spec, size_t key_len);
/*
 * A cipher for one direction (the AES key schedule differs between them).
 * -LUKS_ERR_UNSUPPORTED (logged) when neither Nettle nor the kernel offers the cipher.
 */
int sector_cipher_new(struct sector_cipher **out, const char *spec, const uint8_t *key, size_t key_len,
		      bool encrypt);
void sector_cipher_free(struct sector_cipher *c);
/* Transforms len bytes in place, in units of sector_size; IVs count 512-byte sectors from iv_sector. */
int sector_cipher_run(struct sector_cipher *c, uint8_t *buf, size_t len, uint64_t iv_sector, size_t sector_size);

#endif
