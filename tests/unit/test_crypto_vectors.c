/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Known answers for the crypto backend (Nettle): published vectors for every hash and block cipher
 * it runs, PBKDF2 from RFC 6070 and RFC 7914's companion vectors, and the chaining modes checked
 * against OpenSSL (a test-only dependency). serpent and twofish in XTS are also proven against
 * cryptsetup's own images in tests/suites/corpus.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <string.h>

#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/pbkdf2.h"

static size_t unhex(const char *hex, uint8_t *out, size_t size)
{
	size_t n = 0;

	for (; hex[0] && hex[1] && n < size; hex += 2)
		sscanf(hex, "%2hhx", &out[n++]);
	return n;
}

static void hashes_known_answers(void **state)
{
	static const struct {
		const char *hash, *message, *digest;
	} vectors[] = {
		{ "sha1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "sha224", "abc", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7" },
		{ "sha256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "sha384", "abc",
		  "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7" },
		{ "sha512", "abc",
		  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
		  "454d4423643ce80e2a9ac94fa54ca49f" },
		{ "ripemd160", "abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc" },
		{ "sha3-256", "abc", "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532" },
		{ "sm3", "abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" },
		{ "sha1", "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "sha256", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	};
	uint8_t want[HASH_MAX_SIZE], got[HASH_MAX_SIZE];
	(void)state;

	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct hash_alg *md = hash_by_name(vectors[i].hash);
		size_t n = unhex(vectors[i].digest, want, sizeof(want));
		assert_non_null(md);
		assert_int_equal(hash_size(md), n);
		assert_int_equal(hash_digest(md, vectors[i].message, strlen(vectors[i].message), got), 0);
		assert_memory_equal(got, want, n);
	}
}

/* The hashes published vectors above leave out, against OpenSSL; and a state copied mid-message. */
static void hashes_match_openssl(void **state)
{
	static const char *names[] = { "sha3-224", "sha3-384", "sha3-512", "sha224", "sha384", "ripemd160", "sm3" };
	uint8_t msg[1000], ours[HASH_MAX_SIZE], copied[HASH_MAX_SIZE], theirs[EVP_MAX_MD_SIZE];
	unsigned int n;
	(void)state;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct hash_alg *md = hash_by_name(names[i]);
		struct hash_ctx a, b;
		assert_non_null(md);
		assert_int_equal(EVP_Digest(msg, sizeof(msg), theirs, &n, EVP_get_digestbyname(names[i]), NULL), 1);
		assert_int_equal(hash_size(md), n);
		assert_int_equal(hash_init(&a, md), 0);
		assert_int_equal(hash_init(&b, md), 0);
		assert_int_equal(hash_update(&a, msg, 333), 0);
		assert_int_equal(hash_copy(&b, &a), 0);
		assert_int_equal(hash_update(&a, msg + 333, sizeof(msg) - 333), 0);
		assert_int_equal(hash_update(&b, msg + 333, sizeof(msg) - 333), 0);
		assert_int_equal(hash_final(&a, ours), 0);
		assert_int_equal(hash_final(&b, copied), 0);
		assert_memory_equal(ours, theirs, n);
		assert_memory_equal(copied, theirs, n);
		hash_done(&a);
		hash_done(&b);
	}
	assert_null(hash_by_name("md5"));
	assert_null(hash_by_name("no-such-hash"));
}

static void pbkdf2_known_answers(void **state)
{
	static const struct {
		const char *hash;
		uint32_t iterations;
		const char *key;
	} vectors[] = {
		/* RFC 6070 */
		{ "sha1", 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6" },
		{ "sha1", 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957" },
		{ "sha1", 4096, "4b007901b765489abead49d926f721d065a429c1" },
		/* the same inputs with SHA-256, as widely published beside RFC 7914 */
		{ "sha256", 1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b" },
		{ "sha256", 2, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43" },
		{ "sha256", 4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a" },
	};
	uint8_t want[64], got[64];
	(void)state;

	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		size_t n = unhex(vectors[i].key, want, sizeof(want));
		assert_int_equal(pbkdf2_hmac(hash_by_name(vectors[i].hash), (const uint8_t *)"password", 8,
					     (const uint8_t *)"salt", 4, vectors[i].iterations, got, n),
				 0);
		assert_memory_equal(got, want, n);
	}
}

/* One block through "CIPHER-ecb", both ways (a sector of that block repeated). */
static void block_known_answer(const char *spec, const char *key_hex, const char *plain_hex, const char *cipher_hex)
{
	uint8_t key[32], plain[16], want[16], buf[512];
	size_t key_len = unhex(key_hex, key, sizeof(key)), block = unhex(plain_hex, plain, sizeof(plain));
	struct sector_cipher *enc = NULL, *dec = NULL;

	assert_int_equal(unhex(cipher_hex, want, sizeof(want)), block);
	assert_true(sector_cipher_in_userspace(spec, key_len));
	assert_int_equal(sector_cipher_new(&enc, spec, key, key_len, true), 0);
	assert_int_equal(sector_cipher_new(&dec, spec, key, key_len, false), 0);
	for (size_t off = 0; off < sizeof(buf); off += block)
		memcpy(buf + off, plain, block);
	assert_int_equal(sector_cipher_run(enc, buf, sizeof(buf), 0, 512), 0);
	for (size_t off = 0; off < sizeof(buf); off += block)
		assert_memory_equal(buf + off, want, block);
	assert_int_equal(sector_cipher_run(dec, buf, sizeof(buf), 0, 512), 0);
	assert_memory_equal(buf, plain, block);
	sector_cipher_free(enc);
	sector_cipher_free(dec);
}

static void ciphers_known_answers(void **state)
{
	(void)state;
	/* FIPS-197 appendix C */
	block_known_answer("aes-ecb", "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
			   "69c4e0d86a7b0430d8cdb78070b4c55a");
	block_known_answer("aes-ecb", "000102030405060708090a0b0c0d0e0f1011121314151617",
			   "00112233445566778899aabbccddeeff", "dda97ca4864cdfe06eaf70a0ec0d7191");
	block_known_answer("aes-ecb", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			   "00112233445566778899aabbccddeeff", "8ea2b7ca516745bfeafc49904b496089");
	/* RFC 3713 appendix A */
	block_known_answer("camellia-ecb", "0123456789abcdeffedcba9876543210", "0123456789abcdeffedcba9876543210",
			   "67673138549669730857065648eabe43");
	block_known_answer("camellia-ecb", "0123456789abcdeffedcba98765432100011223344556677",
			   "0123456789abcdeffedcba9876543210", "b4993401b3e996f84ee5cee7d79b09b9");
	block_known_answer("camellia-ecb", "0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff",
			   "0123456789abcdeffedcba9876543210", "9acc237dff16d76c20ef7c919e3a7509");
	/* RFC 2144 appendix B.1 */
	block_known_answer("cast5-ecb", "0123456712345678234567893456789a", "0123456789abcdef", "238b4fe5847e44b2");
	/* The Twofish paper's vectors */
	block_known_answer("twofish-ecb", "00000000000000000000000000000000", "00000000000000000000000000000000",
			   "9f589f5cf6122c32b6bfec2f2ae8c35a");
	block_known_answer("twofish-ecb", "0123456789abcdeffedcba98765432100011223344556677",
			   "00000000000000000000000000000000", "cfd1d2e5a9be9cdf501f13b892bd2248");
	block_known_answer("twofish-ecb", "0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff",
			   "00000000000000000000000000000000", "37527be0052334b89f0cfccae87cfa20");
	assert_true(sector_cipher_in_userspace("serpent-xts-plain64", 64));
	assert_false(sector_cipher_in_userspace("aes-lrw-benbi", 48));
	assert_false(sector_cipher_in_userspace("aes-cbc-essiv:wp256", 32));
}

/* XTS and CBC sectors as OpenSSL computes them, with the IVs dm-crypt's plain64 and essiv give. */
static void chaining_matches_openssl(void **state)
{
	static const struct {
		const char *spec, *evp;
		size_t key_len;
	} cases[] = {
		{ "aes-xts-plain64", "aes-128-xts", 32 }, { "aes-xts-plain64", "aes-256-xts", 64 },
		{ "aes-cbc-plain64", "aes-256-cbc", 32 }, { "camellia-cbc-plain64", "camellia-128-cbc", 16 },
	};
	uint8_t key[64], plain[1024], ours[1024], theirs[1024], iv[16];
	(void)state;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 29 + 1);
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 13 + 5);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct sector_cipher *enc = NULL;
		const EVP_CIPHER *evp = EVP_get_cipherbyname(cases[c].evp);
		assert_non_null(evp);
		assert_int_equal(sector_cipher_new(&enc, cases[c].spec, key, cases[c].key_len, true), 0);
		memcpy(ours, plain, sizeof(plain));
		assert_int_equal(sector_cipher_run(enc, ours, sizeof(ours), 1000, 512), 0);
		for (uint64_t s = 0; s < 2; s++) {
			EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
			int n = 0;
			memset(iv, 0, sizeof(iv));
			for (size_t b = 0; b < 8; b++)
				iv[b] = (uint8_t)((1000 + s) >> (8 * b));
			assert_int_equal(EVP_EncryptInit_ex(ctx, evp, NULL, key, iv), 1);
			EVP_CIPHER_CTX_set_padding(ctx, 0);
			assert_int_equal(EVP_EncryptUpdate(ctx, theirs + s * 512, &n, plain + s * 512, 512), 1);
			assert_int_equal(n, 512);
			EVP_CIPHER_CTX_free(ctx);
		}
		assert_memory_equal(ours, theirs, sizeof(ours));
		sector_cipher_free(enc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hashes_known_answers),	 cmocka_unit_test(hashes_match_openssl),
		cmocka_unit_test(pbkdf2_known_answers),	 cmocka_unit_test(ciphers_known_answers),
		cmocka_unit_test(chaining_matches_openssl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
