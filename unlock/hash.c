/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hash.h"

#include <openssl/provider.h>
#include <string.h>
#include <strings.h>

/* ripemd160 and whirlpool live in OpenSSL 3's legacy provider; old LUKS1 headers use them. */
static void hash_load_providers(void)
{
	/* Loaded once for the life of the process. */
	static OSSL_PROVIDER *default_provider, *legacy_provider;

	if (!default_provider)
		default_provider = OSSL_PROVIDER_load(NULL, "default");
	if (!legacy_provider)
		legacy_provider = OSSL_PROVIDER_load(NULL, "legacy");
}

const EVP_MD *hash_by_name(const char *name)
{
	static const char *const allowed[] = { "sha1",	   "sha224",   "sha256",   "sha384",    "sha512",
					       "sha3-224", "sha3-256", "sha3-384", "sha3-512",  "ripemd160",
					       "whirlpool", "sm3",     "blake2b-512", "blake2s-256", "stribog256",
					       "stribog512" };
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcasecmp(name, allowed[i]) == 0) {
			hash_load_providers();
			return EVP_get_digestbyname(name);
		}
	return NULL;
}
