/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hash.h"

#include <openssl/provider.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

static const char *const allowed[] = { "sha1",	    "sha224",	"sha256",      "sha384",      "sha512",
				       "sha3-224",  "sha3-256", "sha3-384",    "sha3-512",    "ripemd160",
				       "whirlpool", "sm3",	"blake2b-512", "blake2s-256", "stribog256",
				       "stribog512" };

/*
 * Fetched once and kept for the life of the process: a digest looked up by name alone is fetched
 * again by OpenSSL 3 on every EVP_DigestInit, which made the AF merge's thousands of small hashes
 * several times slower. ripemd160 and whirlpool may live in the legacy provider (old LUKS1
 * headers), which is loaded only when a hash is not found in the default one.
 */
static EVP_MD *fetched[sizeof(allowed) / sizeof(allowed[0])];
static pthread_mutex_t fetch_lock = PTHREAD_MUTEX_INITIALIZER;

static EVP_MD *hash_fetch(const char *name)
{
	static OSSL_PROVIDER *default_provider, *legacy_provider;
	EVP_MD *md;

	if (!default_provider)
		default_provider = OSSL_PROVIDER_load(NULL, "default");
	md = EVP_MD_fetch(NULL, name, NULL);
	if (md)
		return md;
	if (!legacy_provider)
		legacy_provider = OSSL_PROVIDER_load(NULL, "legacy");
	return legacy_provider ? EVP_MD_fetch(NULL, name, NULL) : NULL;
}

const EVP_MD *hash_by_name(const char *name)
{
	const EVP_MD *md = NULL;

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		if (strcasecmp(name, allowed[i]) != 0)
			continue;
		pthread_mutex_lock(&fetch_lock);
		if (!fetched[i])
			fetched[i] = hash_fetch(allowed[i]);
		md = fetched[i];
		pthread_mutex_unlock(&fetch_lock);
		break;
	}
	return md;
}
