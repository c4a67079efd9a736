/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "crypto/hash.h"

#include <errno.h>
#include <nettle/nettle-meta.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"
#include "crypto/afalg.h"

struct hash_alg {
	const char *name;		/* cryptsetup's name */
	const struct nettle_hash *nettle; /* NULL: the kernel's */
	const char *kernel;		/* the kernel crypto API's name, for AF_ALG */
	size_t size, block;
};

/* cryptsetup's list of hashes (lib/crypto_backend), in Nettle where it has them. */
static const struct hash_alg hashes[] = {
	{ "sha1", &nettle_sha1, "sha1", SHA1_DIGEST_SIZE, SHA1_BLOCK_SIZE },
	{ "sha224", &nettle_sha224, "sha224", SHA224_DIGEST_SIZE, SHA224_BLOCK_SIZE },
	{ "sha256", &nettle_sha256, "sha256", SHA256_DIGEST_SIZE, SHA256_BLOCK_SIZE },
	{ "sha384", &nettle_sha384, "sha384", SHA384_DIGEST_SIZE, SHA384_BLOCK_SIZE },
	{ "sha512", &nettle_sha512, "sha512", SHA512_DIGEST_SIZE, SHA512_BLOCK_SIZE },
	{ "sha3-224", &nettle_sha3_224, "sha3-224", SHA3_224_DIGEST_SIZE, SHA3_224_BLOCK_SIZE },
	{ "sha3-256", &nettle_sha3_256, "sha3-256", SHA3_256_DIGEST_SIZE, SHA3_256_BLOCK_SIZE },
	{ "sha3-384", &nettle_sha3_384, "sha3-384", SHA3_384_DIGEST_SIZE, SHA3_384_BLOCK_SIZE },
	{ "sha3-512", &nettle_sha3_512, "sha3-512", SHA3_512_DIGEST_SIZE, SHA3_512_BLOCK_SIZE },
	{ "ripemd160", &nettle_ripemd160, "rmd160", RIPEMD160_DIGEST_SIZE, RIPEMD160_BLOCK_SIZE },
	{ "sm3", &nettle_sm3, "sm3", SM3_DIGEST_SIZE, SM3_BLOCK_SIZE },
	{ "stribog256", &nettle_streebog256, "streebog256", STREEBOG256_DIGEST_SIZE, STREEBOG256_BLOCK_SIZE },
	{ "stribog512", &nettle_streebog512, "streebog512", STREEBOG512_DIGEST_SIZE, STREEBOG512_BLOCK_SIZE },
	{ "whirlpool", NULL, "wp512", 64, 64 },
	{ "wp512", NULL, "wp512", 64, 64 },
	{ "wp384", NULL, "wp384", 48, 64 },
	{ "wp256", NULL, "wp256", 32, 64 },
	{ "blake2b-512", NULL, "blake2b-512", 64, 128 },
	{ "blake2s-256", NULL, "blake2s-256", 32, 64 },
};

/* Whether this kernel was seen to run each AF_ALG hash. A "no" is not kept: the hash's module may
 * load later (the boot loads it before it needs the hash; see hash_kernel_only). */
static bool kernel_has[ARRAY_SIZE(hashes)];
static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;

static bool kernel_offers(size_t i)
{
	pthread_mutex_lock(&probe_lock);
	if (!kernel_has[i]) {
		int fd = afalg_open("hash", hashes[i].kernel, NULL, 0);
		kernel_has[i] = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	pthread_mutex_unlock(&probe_lock);
	return kernel_has[i];
}

/* The entry for a cryptsetup hash name, or -1. */
static int hash_index(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(hashes); i++)
		if (strcasecmp(name, hashes[i].name) == 0)
			return (int)i;
	return -1;
}

const struct hash_alg *hash_by_name(const char *name)
{
	int i = hash_index(name);

	if (i < 0)
		return NULL;
	return hashes[i].nettle || kernel_offers((size_t)i) ? &hashes[i] : NULL;
}

const char *hash_kernel_only(const char *name)
{
	int i = hash_index(name);

	return i < 0 || hashes[i].nettle ? NULL : hashes[i].kernel;
}

const char *hash_missing_reason(const char *name)
{
	return hash_kernel_only(name) ? "Nettle lacks it, and this kernel's crypto API does not offer it over AF_ALG"
				      : "unknown hash";
}

size_t hash_size(const struct hash_alg *alg)
{
	return alg->size;
}

size_t hash_block_size(const struct hash_alg *alg)
{
	return alg->block;
}

bool hash_in_userspace(const struct hash_alg *alg)
{
	return alg->nettle != NULL;
}

int hash_init(struct hash_ctx *c, const struct hash_alg *alg)
{
	c->alg = alg;
	c->fd = -1;
	if (alg->nettle) {
		if (alg->nettle->context_size > sizeof(c->state))
			return -EINVAL;
		alg->nettle->init(&c->state);
		return 0;
	}
	c->fd = afalg_open("hash", alg->kernel, NULL, 0);
	return c->fd < 0 ? c->fd : 0;
}

int hash_update(struct hash_ctx *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (c->alg->nettle) {
		c->alg->nettle->update(&c->state, len, p);
		return 0;
	}
	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_MORE);
		if (n <= 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int hash_final(struct hash_ctx *c, uint8_t *out)
{
	if (c->alg->nettle) {
		c->alg->nettle->digest(&c->state, c->alg->size, out);
		return 0;
	}
	if (send(c->fd, NULL, 0, 0) < 0 || read(c->fd, out, c->alg->size) != (ssize_t)c->alg->size)
		return -EIO;
	return 0;
}

int hash_copy(struct hash_ctx *dst, const struct hash_ctx *src)
{
	if (dst->fd >= 0)
		close(dst->fd);
	dst->alg = src->alg;
	dst->fd = -1;
	if (src->alg->nettle) {
		memcpy(&dst->state, &src->state, src->alg->nettle->context_size);
		return 0;
	}
	/* accept() on an operation socket hands out a new one holding a copy of its state. */
	dst->fd = accept4(src->fd, NULL, 0, SOCK_CLOEXEC);
	return dst->fd < 0 ? -EIO : 0;
}

void hash_done(struct hash_ctx *c)
{
	explicit_bzero(&c->state, sizeof(c->state));
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int hash_digest(const struct hash_alg *alg, const void *data, size_t len, uint8_t *out)
{
	struct hash_ctx c;
	int r = hash_init(&c, alg);

	if (r == 0)
		r = hash_update(&c, data, len);
	if (r == 0)
		r = hash_final(&c, out);
	hash_done(&c);
	return r;
}
