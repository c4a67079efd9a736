/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_HASH_H
#define UNLOCK_HASH_H

#include <nettle/ripemd160.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <nettle/sha3.h>
#include <nettle/sm3.h>
#include <nettle/streebog.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for every digest and every hash block (sha3-224's 144 bytes). */
#define HASH_MAX_SIZE 64
#define HASH_MAX_BLOCK 144

/* A hash by its cryptsetup name: from Nettle, or from the kernel crypto API (AF_ALG) for what
 * Nettle lacks (whirlpool and its truncations wp256/wp384, blake2). */
struct hash_alg;

/* The hash, or NULL when neither Nettle nor this kernel offers it (probed once for AF_ALG). */
const struct hash_alg *hash_by_name(const char *name);
/* The kernel crypto API's name of a hash only the kernel offers here (whirlpool: "wp512"), else NULL. */
const char *hash_kernel_only(const char *name);
/* Why hash_by_name(name) gave NULL, for a message. */
const char *hash_missing_reason(const char *name);
size_t hash_size(const struct hash_alg *alg);
size_t hash_block_size(const struct hash_alg *alg);
/* True when the hash runs in user space (Nettle), without the kernel crypto API. */
bool hash_in_userspace(const struct hash_alg *alg);

/* One running hash. Copies are cheap for Nettle (the state is plain memory), which PBKDF2's
 * precomputed HMAC pads rely on; an AF_ALG state is cloned by the kernel. */
struct hash_ctx {
	const struct hash_alg *alg;
	int fd; /* the AF_ALG operation socket, or -1 */
	union {
		struct sha1_ctx sha1;
		struct sha256_ctx sha256;
		struct sha512_ctx sha512;
		struct sha3_224_ctx sha3;
		struct ripemd160_ctx ripemd160;
		struct streebog512_ctx streebog;
		struct sm3_ctx sm3;
	} state;
};

int hash_init(struct hash_ctx *c, const struct hash_alg *alg);
int hash_update(struct hash_ctx *c, const void *data, size_t len);
/* Writes hash_size() bytes and starts the context over, ready for new data. */
int hash_final(struct hash_ctx *c, uint8_t *out);
/* dst becomes a copy of src's state; dst must have been initialised (with any algorithm). */
int hash_copy(struct hash_ctx *dst, const struct hash_ctx *src);
/* Wipes the state and closes any socket. */
void hash_done(struct hash_ctx *c);
/* The digest of one buffer. */
int hash_digest(const struct hash_alg *alg, const void *data, size_t len, uint8_t *out);

#endif
