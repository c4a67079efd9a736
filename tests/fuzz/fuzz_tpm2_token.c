/* SPDX-License-Identifier: GPL-2.0-or-later */
/* unlock-tpm2's reading of a systemd-tpm2 token's JSON, as a hostile header would hand it over,
 * of the blob in it (with or without an import seed), of its signed policy's PEM key and of
 * systemd-pcrlock's prediction file. */
#include <stdlib.h>
#include <string.h>

#include "tpm2/blob.h"
#include "tpm2/pcrlock.h"
#include "tpm2/rsa_pub.h"
#include "tpm2/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tpm2_token t;
	static struct tpm2_sealed sealed;
	static struct rsa_pub key;
	static struct tpm2_pcrlock prediction;
	char why[256];

	if (size > 65536)
		return 0;
	if (tpm2_token_parse(data, size, &t, why, sizeof(why)) == 0 &&
	    (t.n_shards < 1 || t.n_shards > TPM2_SHARDS_MAX || t.shards[0].blob_len == 0 || t.shards[0].blob_len > sizeof(t.shards[0].blob) || t.pubkey_len >= sizeof(t.pubkey) ||
	     t.salt_len > sizeof(t.salt) || t.srk_len > sizeof(t.srk) || t.shards[0].policy_hash_len > sizeof(t.shards[0].policy_hash)))
		abort();
	/* the blob's parts as the TPM would get them: the raw input too, for the seed's paths */
	if (tpm2_blob_split(data, size, &sealed) == 0 &&
	    (sealed.private.size > sizeof(sealed.private.buffer) || sealed.seed.size > sizeof(sealed.seed.secret)))
		abort();
	/* and as a signed policy's PEM key */
	if (rsa_pub_from_pem((const char *)data, size, &key) == 0 &&
	    (key.modulus_len == 0 || key.modulus_len > sizeof(key.modulus) || key.pkcs1_len > sizeof(key.pkcs1) || key.exponent < 3))
		abort();
	/* and as systemd-pcrlock's prediction file */
	if (tpm2_pcrlock_parse((const char *)data, size, &prediction, why, sizeof(why)) == 0)
		for (int pcr = 0; pcr < TPM2_PCRS; pcr++)
			if (prediction.n_values[pcr] > PCRLOCK_VALUES_MAX || (!(prediction.pcrs & (1u << pcr)) != !prediction.n_values[pcr]))
				abort();
	return 0;
}
