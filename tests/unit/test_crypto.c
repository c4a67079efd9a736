/* SPDX-License-Identifier: GPL-2.0-or-later */
/* AF merge, base64, cipher specifications and key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/pbkdf2.h"
#include "luks/af.h"
#include "luks/base64.h"
#include "open/keyfile.h"
#include "open/plain.h"

/* The splitter, written from the LUKS spec, so merge is checked against an independent inverse. */
static void af_split(const uint8_t *key, size_t len, uint32_t stripes, const EVP_MD *md, uint8_t *out)
{
	uint8_t buf[512] = { 0 };
	size_t h = (size_t)EVP_MD_get_size(md);

	RAND_bytes(out, (int)(len * (stripes - 1)));
	for (uint32_t s = 0; s + 1 < stripes; s++) {
		for (size_t i = 0; i < len; i++)
			buf[i] ^= out[s * len + i];
		for (size_t j = 0; j * h < len; j++) {
			uint8_t ctr[4] = { (uint8_t)(j >> 24), (uint8_t)(j >> 16), (uint8_t)(j >> 8), (uint8_t)j };
			uint8_t d[EVP_MAX_MD_SIZE];
			size_t n = len - j * h < h ? len - j * h : h;
			EVP_MD_CTX *c = EVP_MD_CTX_new();
			EVP_DigestInit_ex(c, md, NULL);
			EVP_DigestUpdate(c, ctr, 4);
			EVP_DigestUpdate(c, buf + j * h, n);
			EVP_DigestFinal_ex(c, d, NULL);
			EVP_MD_CTX_free(c);
			memcpy(buf + j * h, d, n);
		}
	}
	for (size_t i = 0; i < len; i++)
		out[(stripes - 1) * len + i] = key[i] ^ buf[i];
}

static void af_merge_inverts_split(void **state)
{
	static const struct {
		const char *hash;
		size_t len;
		uint32_t stripes;
	} cases[] = { { "sha256", 64, 4000 }, { "sha1", 32, 4000 }, { "sha512", 16, 7 }, { "sha256", 33, 3 }, { "sha1", 20, 1 } };
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint8_t key[64], merged[64];
		uint8_t *material = malloc(cases[c].len * cases[c].stripes);
		RAND_bytes(key, sizeof(key));
		af_split(key, cases[c].len, cases[c].stripes, EVP_get_digestbyname(cases[c].hash), material);
		assert_int_equal(af_merge(material, cases[c].len, cases[c].stripes, cases[c].hash, merged), 0);
		assert_memory_equal(key, merged, cases[c].len);
		free(material);
	}
}

static void af_merge_unknown_hash(void **state)
{
	uint8_t m[64] = { 0 }, k[32];
	(void)state;
	assert_int_equal(af_merge(m, 32, 2, "md4-nope", k), -LUKS_ERR_UNSUPPORTED);
}

static void base64_cases(void **state)
{
	uint8_t out[16];
	size_t n;
	(void)state;
	assert_int_equal(base64_decode("c2FsdA==", out, sizeof(out), &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "salt", 4);
	assert_int_equal(base64_decode("c2FsdHk=", out, sizeof(out), &n), 0);
	assert_int_equal(n, 5);
	assert_int_not_equal(base64_decode("c2Fsd", out, sizeof(out), &n), 0);
	assert_int_not_equal(base64_decode("c2=sdA==", out, sizeof(out), &n), 0);
	assert_int_not_equal(base64_decode("c2 sdA==", out, sizeof(out), &n), 0);
	assert_int_not_equal(base64_decode("", out, sizeof(out), &n), 0);
	assert_int_equal(base64_decode("AAAAAAAAAAAAAAAAAAAAAAAA", out, sizeof(out), &n), -ENOSPC);
}

static void cipher_specs(void **state)
{
	struct cipher_spec s;
	(void)state;
	assert_int_equal(cipher_spec_parse("aes-cbc-essiv:sha256", &s), 0);
	assert_string_equal(s.cipher, "aes");
	assert_string_equal(s.chain, "cbc");
	assert_string_equal(s.iv, "essiv");
	assert_string_equal(s.iv_hash, "sha256");
	assert_int_equal(cipher_spec_parse("aes-ecb", &s), 0);
	assert_string_equal(s.iv, "");
	assert_true(cipher_spec_known("aes-xts-plain64"));
	assert_true(cipher_spec_known("serpent-xts-plain64"));
	assert_true(cipher_spec_known("aes-ecb"));
	assert_false(cipher_spec_known("capi:xts(ecb(aes-generic))-plain64"));
	assert_false(cipher_spec_known("aes-xts-bogus"));
	assert_false(cipher_spec_known("aes-cbc-essiv"));
	assert_false(cipher_spec_known("aes-xts"));
	assert_false(cipher_spec_known("-xts-plain64"));
}

static void cipher_roundtrip_iv_modes(void **state)
{
	static const char *specs[] = { "aes-xts-plain64", "aes-cbc-essiv:sha256", "aes-cbc-plain", "aes-cbc-plain64be",
				       "aes-cbc-benbi", "aes-cbc-null", "aes-ecb" };
	uint8_t key[32], plain[4096], buf[4096];
	(void)state;
	RAND_bytes(key, sizeof(key));
	RAND_bytes(plain, sizeof(plain));
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct sector_cipher *enc, *dec;
		memcpy(buf, plain, sizeof(buf));
		assert_int_equal(sector_cipher_new(&enc, specs[i], key, sizeof(key), true), 0);
		assert_int_equal(sector_cipher_new(&dec, specs[i], key, sizeof(key), false), 0);
		assert_int_equal(sector_cipher_run(enc, buf, sizeof(buf), 77, 512), 0);
		assert_memory_not_equal(buf, plain, 512);
		if (strcmp(specs[i], "aes-ecb") != 0 && strcmp(specs[i], "aes-cbc-null") != 0)
			assert_memory_not_equal(buf, buf + 512, 512 - 16); /* IVs differ per sector */
		assert_int_equal(sector_cipher_run(dec, buf, sizeof(buf), 77, 512), 0);
		assert_memory_equal(buf, plain, sizeof(buf));
		sector_cipher_free(enc);
		sector_cipher_free(dec);
	}
	assert_int_equal(sector_cipher_run(NULL, buf, 100, 0, 512), -EINVAL);
}

static void pbkdf2_matches_openssl(void **state)
{
	/* Every hash both Nettle and OpenSSL have (whirlpool is the kernel's here: see the guest tests). */
	static const char *hashes[] = { "sha1",	    "sha224",	"sha256",   "sha384", "sha512",
					"ripemd160", "sha3-256", "sha3-512", "sm3" };
	static const size_t lengths[] = { 1, 16, 20, 32, 33, 64, 100, 512 };
	static const uint32_t iterations[] = { 1, 2, 1000 };
	uint8_t pass[200], salt[32], ours[512], theirs[512];
	(void)state;
	RAND_bytes(pass, sizeof(pass));
	RAND_bytes(salt, sizeof(salt));
	for (size_t h = 0; h < sizeof(hashes) / sizeof(hashes[0]); h++) {
		const struct hash_alg *md = hash_by_name(hashes[h]);
		const EVP_MD *evp = EVP_get_digestbyname(hashes[h]);
		assert_non_null(md);
		assert_non_null(evp);
		for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++)
			for (size_t i = 0; i < sizeof(iterations) / sizeof(iterations[0]); i++) {
				size_t pass_len = (l * 37) % sizeof(pass); /* short, empty and longer than a hash block */
				assert_int_equal(pbkdf2_hmac(md, pass, pass_len, salt, sizeof(salt), iterations[i], ours, lengths[l]), 0);
				assert_int_equal(PKCS5_PBKDF2_HMAC((const char *)pass, (int)pass_len, salt, sizeof(salt),
								   (int)iterations[i], evp, (int)lengths[l], theirs), 1);
				assert_memory_equal(ours, theirs, lengths[l]);
			}
	}
}

static void keyfile_offset_and_size(void **state)
{
	char path[] = "/tmp/unlock-keyfile-XXXXXX";
	int fd = mkstemp(path);
	struct secret *k = NULL;
	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	assert_int_equal(keyfile_read(path, 0, KEYFILE_SIZE_ALL, &k), 0);
	assert_int_equal(k->len, 10);
	secret_free(k);
	assert_int_equal(keyfile_read(path, 3, 4, &k), 0);
	assert_memory_equal(k->data, "3456", 4);
	secret_free(k);
	assert_int_equal(keyfile_read(path, 8, KEYFILE_SIZE_ALL, &k), 0);
	assert_memory_equal(k->data, "89", 2);
	assert_int_equal(k->len, 2);
	secret_free(k);
	assert_int_not_equal(keyfile_read(path, 8, 4, &k), 0);
	/* At the end: the empty passphrase, as cryptsetup reads it; past the end: an error. */
	assert_int_equal(keyfile_read(path, 10, KEYFILE_SIZE_ALL, &k), 0);
	assert_int_equal(k->len, 0);
	secret_free(k);
	assert_int_not_equal(keyfile_read(path, 11, KEYFILE_SIZE_ALL, &k), 0);
	assert_int_not_equal(keyfile_read("/nonexistent/key", 0, KEYFILE_SIZE_ALL, &k), 0);
	unlink(path);
}

/* Expected keys computed with Python's hashlib from cryptsetup's rule: round i hashes i "A"s, then
 * the passphrase. */
static void plain_key_vectors(void **state)
{
	static const char pass_text[] = "guest passphrase";
	static const uint8_t sha256_64[64] = {
		0xef, 0x8b, 0xce, 0xb8, 0x9a, 0xd5, 0x2d, 0x46, 0x7e, 0xcf, 0x11, 0x83, 0x6e, 0x7c, 0xb9, 0xec,
		0x64, 0x8b, 0x4f, 0x3b, 0xd6, 0x93, 0xb9, 0x78, 0xd0, 0x36, 0x9d, 0xe3, 0xc6, 0x9d, 0x30, 0x8a,
		0x93, 0xdc, 0x81, 0xc5, 0xcf, 0x80, 0x7d, 0x51, 0x3a, 0x1f, 0xf4, 0x05, 0x1d, 0x3e, 0x61, 0x81,
		0xa6, 0x10, 0x62, 0xa4, 0xcd, 0xa4, 0xad, 0x96, 0xfe, 0x5c, 0xca, 0x75, 0xe9, 0xa5, 0xd6, 0xe5,
	};
	static const uint8_t sha1_32[32] = {
		0xfa, 0x5c, 0xbe, 0xb6, 0xba, 0x70, 0x42, 0xa0, 0x94, 0x37, 0xe7, 0xe6, 0xe0, 0xfd, 0xcb, 0x0b,
		0xae, 0x57, 0x88, 0x88, 0x33, 0x6c, 0xe4, 0x2f, 0x74, 0xe1, 0xd1, 0xbb, 0x77, 0x52, 0x73, 0x42,
	};
	struct secret *pass = secret_new(sizeof(pass_text)), *key = NULL;

	(void)state;
	assert_non_null(pass);
	assert_int_equal(secret_append(pass, pass_text, strlen(pass_text)), 0);
	assert_int_equal(plain_key_derive("sha256", pass, 64, &key), 0);
	assert_int_equal(key->len, 64);
	assert_memory_equal(key->data, sha256_64, 64);
	secret_free(key);
	assert_int_equal(plain_key_derive("sha1", pass, 32, &key), 0);
	assert_memory_equal(key->data, sha1_32, 32);
	secret_free(key);
	/* No hash: the secret itself, zero-padded. */
	assert_int_equal(plain_key_derive(NULL, pass, 20, &key), 0);
	assert_memory_equal(key->data, "guest passphrase\0\0\0\0", 20);
	secret_free(key);
	key = NULL;
	assert_int_equal(plain_key_derive("md4-nonsense", pass, 32, &key), -LUKS_ERR_UNSUPPORTED);
	assert_null(key);
	secret_free(pass);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(af_merge_inverts_split),
		cmocka_unit_test(af_merge_unknown_hash),
		cmocka_unit_test(base64_cases),
		cmocka_unit_test(cipher_specs),
		cmocka_unit_test(cipher_roundtrip_iv_modes),
		cmocka_unit_test(pbkdf2_matches_openssl),
		cmocka_unit_test(keyfile_offset_and_size),
		cmocka_unit_test(plain_key_vectors),
	};
	log_set_max_level(LOG_LEVEL_QUIET);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
