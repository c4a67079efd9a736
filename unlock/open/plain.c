/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "open/plain.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "base/log.h"
#include "crypto/hash.h"
#include "luks/luks.h"

static int hash_rounds(const struct hash_alg *md, const struct secret *pass, struct secret *key)
{
	_cleanup_secret_ struct secret *digest = secret_new(HASH_MAX_SIZE);
	size_t n = hash_size(md);
	struct hash_ctx ctx;
	int r;

	if (!digest)
		return -ENOMEM;
	r = hash_init(&ctx, md);
	for (size_t round = 0; r == 0 && key->len < key->capacity; round++) {
		for (size_t i = 0; r == 0 && i < round; i++)
			r = hash_update(&ctx, "A", 1);
		if (r == 0)
			r = hash_update(&ctx, pass->data, pass->len);
		if (r == 0)
			r = hash_final(&ctx, digest->data);
		if (r < 0)
			break;
		size_t take = key->capacity - key->len < n ? key->capacity - key->len : n;
		memcpy(key->data + key->len, digest->data, take);
		key->len += take;
	}
	hash_done(&ctx);
	return r;
}

int plain_key_derive(const char *hash, const struct secret *pass, size_t key_len, struct secret **key)
{
	const struct hash_alg *md = NULL;
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
