/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IV generation is hand-written: dm-crypt's IV modes exist only in the kernel and libcryptsetup.
 * The block ciphers come from the backends of crypto/transform.h. */
#include "crypto/cipher.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "crypto/hash.h"
#include "crypto/transform.h"

enum iv_mode { IV_NONE, IV_NULL, IV_PLAIN, IV_PLAIN64, IV_PLAIN64BE, IV_ESSIV, IV_BENBI };

struct sector_cipher {
	struct transform main;
	struct transform essiv; /* ECB with hash(key), for essiv IVs */
	enum iv_mode iv_mode;
	size_t iv_len;
};

int cipher_spec_parse(const char *spec, struct cipher_spec *out)
{
	char buf[3 * CIPHER_NAME_MAX];
	char *chain, *iv, *hash;

	memset(out, 0, sizeof(*out));
	if (strlen(spec) >= sizeof(buf) || strncmp(spec, "capi:", 5) == 0)
		return -EINVAL;
	strcpy(buf, spec);
	chain = strchr(buf, '-');
	if (!chain)
		return -EINVAL;
	*chain++ = '\0';
	iv = strchr(chain, '-');
	if (iv)
		*iv++ = '\0';
	hash = iv ? strchr(iv, ':') : NULL;
	if (hash)
		*hash++ = '\0';
	if (!*buf || !*chain || (iv && !*iv) || (hash && !*hash))
		return -EINVAL;
	if (strlen(buf) >= CIPHER_NAME_MAX || strlen(chain) >= CIPHER_NAME_MAX)
		return -EINVAL;
	strcpy(out->cipher, buf);
	strcpy(out->chain, chain);
	if (iv)
		snprintf(out->iv, sizeof(out->iv), "%s", iv);
	if (hash)
		snprintf(out->iv_hash, sizeof(out->iv_hash), "%s", hash);
	return 0;
}

static int iv_mode_parse(const struct cipher_spec *s, enum iv_mode *mode)
{
	static const struct {
		const char *name;
		enum iv_mode mode;
		bool needs_hash;
	} modes[] = {
		{ "", IV_NONE, false },		 { "null", IV_NULL, false },	   { "plain", IV_PLAIN, false },
		{ "plain64", IV_PLAIN64, false }, { "plain64be", IV_PLAIN64BE, false }, { "essiv", IV_ESSIV, true },
		{ "benbi", IV_BENBI, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (strcmp(s->iv, modes[i].name) == 0) {
			if (modes[i].needs_hash != (s->iv_hash[0] != '\0'))
				return -EINVAL;
			*mode = modes[i].mode;
			return 0;
		}
	return -LUKS_ERR_UNSUPPORTED;
}

bool cipher_spec_known(const char *spec)
{
	struct cipher_spec s;
	enum iv_mode mode;

	if (cipher_spec_parse(spec, &s) < 0)
		return false;
	if (iv_mode_parse(&s, &mode) == 0)
		return mode != IV_NONE || strcmp(s.chain, "ecb") == 0;
	/* IV modes only the kernel implements are still valid in a table. */
	return strcmp(s.iv, "lmk") == 0 || strcmp(s.iv, "tcw") == 0 || strcmp(s.iv, "random") == 0 ||
	       strcmp(s.iv, "eboiv") == 0 || strcmp(s.iv, "elephant") == 0;
}

static size_t cipher_block_size(const char *cipher)
{
	static const char *const eight_byte[] = { "des", "des3_ede", "cast5", "blowfish" };
	for (size_t i = 0; i < ARRAY_SIZE(eight_byte); i++)
		if (strcmp(cipher, eight_byte[i]) == 0)
			return 8;
	return 16;
}










/* Nettle when it has the cipher, else the kernel's. */
static int transform_open(struct transform *t, const char *cipher, const char *chain, const uint8_t *key,
			  size_t key_len, bool encrypt)
{
	t->nettle = NULL;
	t->schedule = NULL;
	t->alg_fd = -1;
	t->encrypt = encrypt;
	if (transform_nettle_offers(cipher, chain, key_len))
		return transform_nettle_open(t, cipher, chain, key, key_len);
	return transform_afalg_open(t, cipher, chain, key, key_len);
}

static void transform_close(struct transform *t)
{
	transform_nettle_close(t);
	transform_afalg_close(t);
}

static int transform_run(struct transform *t, uint8_t *buf, size_t len, const uint8_t *iv, size_t iv_len)
{
	if (t->alg_fd >= 0)
		return transform_afalg_run(t, buf, len, iv, iv_len);
	return transform_nettle_run(t, buf, len, iv, iv_len);
}

static int essiv_open(struct sector_cipher *c, const struct cipher_spec *s, const uint8_t *key, size_t key_len)
{
	const struct hash_alg *md = hash_by_name(s->iv_hash);
	uint8_t salt[HASH_MAX_SIZE];
	int r;

	if (!md || hash_digest(md, key, key_len, salt) < 0)
		return -LUKS_ERR_UNSUPPORTED;
	r = transform_open(&c->essiv, s->cipher, "ecb", salt, hash_size(md), true);
	explicit_bzero(salt, sizeof(salt));
	return r;
}

bool sector_cipher_in_userspace(const char *spec, size_t key_len)
{
	struct cipher_spec s;
	enum iv_mode mode;
	const struct hash_alg *md;

	if (cipher_spec_parse(spec, &s) < 0 || iv_mode_parse(&s, &mode) < 0)
		return false;
	if (!transform_nettle_offers(s.cipher, s.chain, key_len))
		return false;
	if (mode != IV_ESSIV)
		return true;
	md = hash_by_name(s.iv_hash);
	return md && hash_in_userspace(md) && transform_nettle_offers(s.cipher, "ecb", hash_size(md));
}

int sector_cipher_new(struct sector_cipher **out, const char *spec, const uint8_t *key, size_t key_len,
		      bool encrypt)
{
	struct cipher_spec s;
	struct sector_cipher *c;
	int r;

	if (cipher_spec_parse(spec, &s) < 0)
		return log_error_ret(-LUKS_ERR_UNSUPPORTED, "no known cipher specification \"%s\"", spec);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->main.alg_fd = c->essiv.alg_fd = -1;
	r = iv_mode_parse(&s, &c->iv_mode);
	if (r == 0 && c->iv_mode == IV_NONE && strcmp(s.chain, "ecb") != 0)
		r = -EINVAL;
	c->iv_len = c->iv_mode == IV_NONE ? 0 : cipher_block_size(s.cipher);
	if (r == 0)
		r = transform_open(&c->main, s.cipher, s.chain, key, key_len, encrypt);
	if (r == 0 && c->iv_mode == IV_ESSIV)
		r = essiv_open(c, &s, key, key_len);
	if (r < 0) {
		sector_cipher_free(c);
		return log_error_ret(-LUKS_ERR_UNSUPPORTED,
				     "cipher %s with a %zu-bit key is not available (neither Nettle nor the kernel crypto API offers it%s)",
				     spec, key_len * 8, r == -EAFNOSUPPORT ? "; AF_ALG sockets are not supported here" : "");
	}
	*out = c;
	return 0;
}

void sector_cipher_free(struct sector_cipher *c)
{
	if (!c)
		return;
	transform_close(&c->main);
	transform_close(&c->essiv);
	free(c);
}

static int sector_iv(struct sector_cipher *c, uint64_t sector, uint8_t *iv)
{
	memset(iv, 0, c->iv_len);
	switch (c->iv_mode) {
	case IV_NONE:
	case IV_NULL:
		return 0;
	case IV_PLAIN:
	case IV_PLAIN64:
	case IV_ESSIV:
		for (size_t i = 0; i < (c->iv_mode == IV_PLAIN ? 4 : 8) && i < c->iv_len; i++)
			iv[i] = (uint8_t)(sector >> (8 * i));
		return c->iv_mode == IV_ESSIV ? transform_run(&c->essiv, iv, c->iv_len, NULL, 0) : 0;
	case IV_PLAIN64BE:
		for (size_t i = 0; i < 8; i++)
			iv[c->iv_len - 1 - i] = (uint8_t)(sector >> (8 * i));
		return 0;
	case IV_BENBI: {
		/* Narrow-block count from 1: sector in cipher blocks, big-endian in the last 8 bytes. */
		uint64_t count = (sector << (c->iv_len == 8 ? 6 : 5)) + 1;
		for (size_t i = 0; i < 8; i++)
			iv[c->iv_len - 1 - i] = (uint8_t)(count >> (8 * i));
		return 0;
	}
	}
	return -EINVAL;
}

int sector_cipher_run(struct sector_cipher *c, uint8_t *buf, size_t len, uint64_t iv_sector, size_t sector_size)
{
	uint8_t iv[32];

	if (sector_size < 512 || len % sector_size)
		return -EINVAL;
	for (size_t off = 0; off < len; off += sector_size, iv_sector += sector_size / 512) {
		int r = sector_iv(c, iv_sector, iv);
		if (r == 0)
			r = transform_run(&c->main, buf + off, sector_size, iv, c->iv_len);
		if (r < 0)
			return log_error_ret(r, "encryption engine failed");
	}
	return 0;
}
