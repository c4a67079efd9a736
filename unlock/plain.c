/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "plain.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "luks.h"

static int hash_rounds(const EVP_MD *md, const struct secret *pass, struct secret *key)
{
	_cleanup_secret_ struct secret *digest = secret_new(EVP_MAX_MD_SIZE);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r = digest && ctx ? 0 : -ENOMEM;

	for (size_t round = 0; r == 0 && key->len < key->capacity; round++) {
		unsigned int n = 0;
		bool ok = EVP_DigestInit_ex(ctx, md, NULL);
		for (size_t i = 0; ok && i < round; i++)
			ok = EVP_DigestUpdate(ctx, "A", 1);
		ok = ok && EVP_DigestUpdate(ctx, pass->data, pass->len) && EVP_DigestFinal_ex(ctx, digest->data, &n);
		if (!ok || n == 0) {
			r = -EIO;
			break;
		}
		size_t take = key->capacity - key->len < n ? key->capacity - key->len : n;
		memcpy(key->data + key->len, digest->data, take);
		key->len += take;
	}
	EVP_MD_CTX_free(ctx);
	return r;
}

int plain_key_derive(const char *hash, const struct secret *pass, size_t key_len, struct secret **key)
{
	const EVP_MD *md = NULL;
	struct secret *k;
	int r = 0;

	if (hash && !(md = hash_by_name(hash)))
		return log_error_ret(-LUKS_ERR_UNSUPPORTED, "plain mode: unknown hash \"%s\"", hash);
	k = secret_new(key_len);
	if (!k)
		return -ENOMEM;
	if (md) {
		r = hash_rounds(md, pass, k);
	} else {
		memset(k->data, 0, key_len);
		memcpy(k->data, pass->data, pass->len < key_len ? pass->len : key_len);
		k->len = key_len;
	}
	if (r < 0) {
		secret_free(k);
		return r;
	}
	*key = k;
	return 0;
}
