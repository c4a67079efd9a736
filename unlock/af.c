/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hand-written: the LUKS AF splitter exists only inside libcryptsetup, which we do not link. */
#include "af.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "luks.h"

static int af_diffuse(uint8_t *buf, size_t len, const EVP_MD *md, EVP_MD_CTX *ctx)
{
	size_t digest_size = (size_t)EVP_MD_get_size(md);
	uint8_t digest[EVP_MAX_MD_SIZE];
	size_t blocks = len / digest_size, rest = len % digest_size;

	for (size_t j = 0; j <= blocks; j++) {
		size_t n = j < blocks ? digest_size : rest;
		uint8_t counter[4] = { (uint8_t)(j >> 24), (uint8_t)(j >> 16), (uint8_t)(j >> 8), (uint8_t)j };
		if (n == 0)
			break;
		if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, counter, sizeof(counter)) ||
		    !EVP_DigestUpdate(ctx, buf + j * digest_size, n) || !EVP_DigestFinal_ex(ctx, digest, NULL))
			return -EIO;
		memcpy(buf + j * digest_size, digest, n);
	}
	OPENSSL_cleanse(digest, sizeof(digest));
	return 0;
}

int af_merge(const uint8_t *material, size_t key_len, uint32_t stripes, const char *hash, uint8_t *key)
{
	const EVP_MD *md = hash_by_name(hash);
	EVP_MD_CTX *ctx;
	int r = 0;

	if (!md)
		return log_error_ret(-LUKS_ERR_UNSUPPORTED, "AF hash \"%s\" is not available", hash);
	if (stripes == 0)
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	memset(key, 0, key_len);
	for (uint32_t s = 0; s + 1 < stripes && r == 0; s++) {
		for (size_t i = 0; i < key_len; i++)
			key[i] ^= material[s * key_len + i];
		r = af_diffuse(key, key_len, md, ctx);
	}
	for (size_t i = 0; i < key_len && r == 0; i++)
		key[i] ^= material[(size_t)(stripes - 1) * key_len + i];
	EVP_MD_CTX_free(ctx);
	return r;
}
