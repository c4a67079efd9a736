/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TRANSFORM_H
#define UNLOCK_TRANSFORM_H

/*
 * One block cipher in one chaining mode (ecb, cbc, xts), keyed for one direction: the interface of
 * the cipher backends, Nettle (transform_nettle.c) and the kernel crypto API (transform_afalg.c),
 * the way cryptsetup's crypto_backend keeps one file per backend. crypto/cipher.c builds dm-crypt's
 * sector ciphers and IVs on it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/secret.h"

struct nettle_cipher;

enum chain_mode { CHAIN_ECB, CHAIN_CBC, CHAIN_XTS };

struct transform {
	const struct nettle_cipher *nettle; /* NULL: the kernel's */
	enum chain_mode chain;
	struct secret *schedule; /* Nettle's key schedules, in locked memory: the data key's, then XTS's tweak key's */
	int alg_fd;		 /* the kernel's operation socket, or -1 */
	bool encrypt;
};

/* Whether Nettle runs cipher in chain with a key_len-byte key (an XTS key is both halves). */
bool transform_nettle_offers(const char *cipher, const char *chain, size_t key_len);
int transform_nettle_open(struct transform *t, const char *cipher, const char *chain, const uint8_t *key,
			  size_t key_len);
int transform_nettle_run(struct transform *t, uint8_t *buf, size_t len, const uint8_t *iv, size_t iv_len);
void transform_nettle_close(struct transform *t);

/* -EAFNOSUPPORT without AF_ALG sockets, -ENOENT when the kernel lacks the cipher. */
int transform_afalg_open(struct transform *t, const char *cipher, const char *chain, const uint8_t *key,
			 size_t key_len);
int transform_afalg_run(struct transform *t, uint8_t *buf, size_t len, const uint8_t *iv, size_t iv_len);
void transform_afalg_close(struct transform *t);

#endif
