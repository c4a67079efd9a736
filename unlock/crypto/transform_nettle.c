/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Nettle backend of crypto/transform.h: aes, serpent, twofish, camellia and cast5. */
#include "crypto/transform.h"

#include <errno.h>
#include <nettle/cbc.h>
#include <nettle/nettle-meta.h>
#include <nettle/xts.h>
#include <string.h>

#include "base/util.h"

/* The ciphers cryptsetup's users pick, by their kernel names, in Nettle's key sizes. */
static const struct {
	const char *name;
	const struct nettle_cipher *by_key_size[3]; /* 16, 24 and 32 bytes */
} block_ciphers[] = {
	{ "aes", { &nettle_aes128, &nettle_aes192, &nettle_aes256 } },
	{ "serpent", { &nettle_serpent128, &nettle_serpent192, &nettle_serpent256 } },
	{ "twofish", { &nettle_twofish128, &nettle_twofish192, &nettle_twofish256 } },
	{ "camellia", { &nettle_camellia128, &nettle_camellia192, &nettle_camellia256 } },
	{ "cast5", { &nettle_cast128, NULL, NULL } },
};

static bool chain_parse(const char *chain, enum chain_mode *mode)
{
	if (strcmp(chain, "ecb") == 0)
		*mode = CHAIN_ECB;
	else if (strcmp(chain, "cbc") == 0)
		*mode = CHAIN_CBC;
	else if (strcmp(chain, "xts") == 0)
		*mode = CHAIN_XTS;
	else
		return false;
	return true;
}

/* Nettle's cipher for the spec's cipher, chaining and key length, or NULL for the kernel's. */
static const struct nettle_cipher *transform_nettle_cipher(const char *cipher, const char *chain, size_t key_len)
{
	enum chain_mode mode;
	const struct nettle_cipher *c = NULL;

	if (!chain_parse(chain, &mode))
		return NULL;
	if (mode == CHAIN_XTS)
		key_len /= 2;
	for (size_t i = 0; i < ARRAY_SIZE(block_ciphers); i++)
		if (strcmp(cipher, block_ciphers[i].name) == 0 && key_len >= 16 && key_len <= 32 && key_len % 8 == 0)
			c = block_ciphers[i].by_key_size[(key_len - 16) / 8];
	if (c && mode == CHAIN_XTS && c->block_size != XTS_BLOCK_SIZE)
		return NULL;
	return c;
}

bool transform_nettle_offers(const char *cipher, const char *chain, size_t key_len)
{
	return transform_nettle_cipher(cipher, chain, key_len) != NULL;
}

static void *transform_schedule(const struct transform *t, size_t which)
{
	return t->schedule->data + which * t->nettle->context_size;
}

int transform_nettle_open(struct transform *t, const char *cipher, const char *chain, const uint8_t *key,
			  size_t key_len)
{
	const struct nettle_cipher *c = transform_nettle_cipher(cipher, chain, key_len);
	size_t schedules;

	if (!c)
		return -ENOENT;
	chain_parse(chain, &t->chain);
	schedules = t->chain == CHAIN_XTS ? 2 : 1;
	t->nettle = c;
	t->schedule = secret_new(schedules * c->context_size);
	if (!t->schedule)
		return -ENOMEM;
	if (t->encrypt)
		c->set_encrypt_key(transform_schedule(t, 0), key);
	else
		c->set_decrypt_key(transform_schedule(t, 0), key);
	/* XTS encrypts its tweak in both directions. */
	if (t->chain == CHAIN_XTS)
		c->set_encrypt_key(transform_schedule(t, 1), key + c->key_size);
	return 0;
}

int transform_nettle_run(struct transform *t, uint8_t *buf, size_t len, const uint8_t *iv, size_t iv_len)
{
	const struct nettle_cipher *c = t->nettle;
	uint8_t chain_iv[32];

	if (len % c->block_size || iv_len > sizeof(chain_iv))
		return -EINVAL;
	switch (t->chain) {
	case CHAIN_ECB:
		(t->encrypt ? c->encrypt : c->decrypt)(transform_schedule(t, 0), len, buf, buf);
		return 0;
	case CHAIN_CBC:
		if (iv_len != c->block_size)
			return -EINVAL;
		memcpy(chain_iv, iv, iv_len);
		if (t->encrypt)
			cbc_encrypt(transform_schedule(t, 0), c->encrypt, c->block_size, chain_iv, len, buf, buf);
		else
			cbc_decrypt(transform_schedule(t, 0), c->decrypt, c->block_size, chain_iv, len, buf, buf);
		return 0;
	case CHAIN_XTS:
		if (iv_len != XTS_BLOCK_SIZE)
			return -EINVAL;
		if (t->encrypt)
			xts_encrypt_message(transform_schedule(t, 0), transform_schedule(t, 1), c->encrypt, iv, len, buf, buf);
		else
			xts_decrypt_message(transform_schedule(t, 0), transform_schedule(t, 1), c->decrypt, c->encrypt, iv,
					    len, buf, buf);
		return 0;
	}
	return -EINVAL;
}

void transform_nettle_close(struct transform *t)
{
	secret_free(t->schedule);
	t->schedule = NULL;
	t->nettle = NULL;
}
