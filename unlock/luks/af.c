/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hand-written: the LUKS AF splitter exists only inside libcryptsetup, which we do not link. */
#include "luks/af.h"

#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "crypto/hash.h"
#include "luks/luks.h"

static int af_diffuse(uint8_t *buf, size_t len, struct hash_ctx *ctx)
{
	size_t digest_size = hash_size(ctx->alg);
	uint8_t digest[HASH_MAX_SIZE];
	size_t blocks = len / digest_size, rest = len % digest_size;

	for (size_t j = 0; j <= blocks; j++) {
		size_t n = j < blocks ? digest_size : rest;
		uint8_t counter[4] = { (uint8_t)(j >> 24), (uint8_t)(j >> 16), (uint8_t)(j >> 8), (uint8_t)j };
		if (n == 0)
			break;
		if (hash_update(ctx, counter, sizeof(counter)) < 0 || hash_update(ctx, buf + j * digest_size, n) < 0 ||
		    hash_final(ctx, digest) < 0)
			return -EIO;
		memcpy(buf + j * digest_size, digest, n);
	}
	explicit_bzero(digest, sizeof(digest));
	return 0;
}

int af_merge(const uint8_t *material, size_t key_len, uint32_t stripes, const char *hash, uint8_t *key)
{
	const struct hash_alg *md = hash_by_name(hash);
	struct hash_ctx ctx;
	int r;

	if (!md)
		return log_error_ret(-LUKS_ERR_UNSUPPORTED, "AF hash \"%s\" is not available (%s)", hash,
				     hash_missing_reason(hash));
	if (stripes == 0)
		return -EINVAL;
	r = hash_init(&ctx, md);
	memset(key, 0, key_len);
	for (uint32_t s = 0; s + 1 < stripes && r == 0; s++) {
		for (size_t i = 0; i < key_len; i++)
			key[i] ^= material[s * key_len + i];
		r = af_diffuse(key, key_len, &ctx);
	}
	for (size_t i = 0; i < key_len && r == 0; i++)
		key[i] ^= material[(size_t)(stripes - 1) * key_len + i];
	hash_done(&ctx);
	return r;
}
