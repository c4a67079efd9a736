/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "enroll/seal.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "base/util.h"
#include "enroll/offline.h"
#include "enroll/srk.h"
#include "tpm2/pcr.h"
#include "tpm2/tpm2.h"

#define SEALED_SECRET_LEN 32

/* The PCRs whose values were not given, as they are now. */
static int pcr_values_complete(struct tpm2 *tpm, const struct seal_request *req, uint8_t values[][64],
			       struct token_answer *fail)
{
	size_t size = tpm2_bank_digest_size(req->bank);

	if (!tpm && (req->pcr_mask & ~req->pcr_given)) {
		token_answer_fail(fail, TOKEN_FAIL_UNSUPPORTED, "sealing without the TPM needs every PCR value given (PCR:BANK=HEX)");
		return -EINVAL;
	}
	for (int i = 0; i < TPM2_PCRS; i++) {
		TPML_PCR_SELECTION sel, *out_sel = NULL;
		TPML_DIGEST *digests = NULL;
		TSS2_RC rc;
		if (!(req->pcr_mask & (1u << i)))
			continue;
		memcpy(values[i], req->pcr_values[i], size);
		if (req->pcr_given & (1u << i))
			continue;
		tpm2_pcr_selection(1u << i, req->bank, &sel);
		rc = Esys_PCR_Read(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, NULL, &out_sel, &digests);
		if (rc != TSS2_RC_SUCCESS || digests->count != 1 || digests->digests[0].size != size) {
			token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the TPM did not read PCR %d of bank %s: %s", i,
					  tpm2_bank_name(req->bank), Tss2_RC_Decode(rc));
			Esys_Free(out_sel);
			Esys_Free(digests);
			return -EIO;
		}
		memcpy(values[i], digests->digests[0].buffer, size);
		Esys_Free(out_sel);
		Esys_Free(digests);
	}
	return 0;
}

/* PolicyPCR's pcrDigest: SHA-256 (the session's hash) over the values in PCR order. */
int tpm2_pcr_digest(struct tpm2 *tpm, const struct seal_request *req, TPM2B_DIGEST *digest, struct token_answer *fail)
{
	uint8_t values[TPM2_PCRS][64];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 32;
	int ok, r = pcr_values_complete(tpm, req, values, fail);

	if (r < 0 || !md) {
		EVP_MD_CTX_free(md);
		return r < 0 ? r : -ENOMEM;
	}
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (int i = 0; ok && i < TPM2_PCRS; i++)
		if (req->pcr_mask & (1u << i))
			ok = EVP_DigestUpdate(md, values[i], tpm2_bank_digest_size(req->bank));
	ok = ok && EVP_DigestFinal_ex(md, digest->buffer, &len);
	digest->size = 32;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -EIO;
}

static int blob_marshal(const TPM2B_PRIVATE *private, const TPM2B_PUBLIC *public, struct tpm2_token *t)
{
	size_t offset = 0;

	if (Tss2_MU_TPM2B_PRIVATE_Marshal(private, t->shards[0].blob, sizeof(t->shards[0].blob), &offset) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(public, t->shards[0].blob, sizeof(t->shards[0].blob), &offset) != TSS2_RC_SUCCESS)
		return -ENOSPC;
	t->shards[0].blob_len = offset;
	return 0;
}

int tpm2_passphrase_of(const uint8_t *secret, size_t len, struct secret **out)
{
	struct secret *s = secret_new(4 * (len / 3 + 1) + 1);
	int n;

	if (!s)
		return -ENOMEM;
	n = EVP_EncodeBlock(s->data, secret, (int)len);
	s->len = n > 0 ? (size_t)n : 0;
	*out = s;
	return n > 0 ? 0 : -EIO;
}

int tpm2_salt_new(struct tpm2_token *t, struct token_answer *fail)
{
	t->salt_len = 32; /* systemd's: a SHA-256 digest's size */
	if (getrandom(t->salt, t->salt_len, 0) == (ssize_t)t->salt_len)
		return 0;
	token_answer_fail(fail, TOKEN_FAIL_HELPER, "no random bytes from the kernel");
	return -EIO;
}

struct sealing {
	struct tpm2 tpm;
	ESYS_TR primary, hmac, policy;
	bool primary_persistent;
};

/* The object: KEYEDHASH, SHA-256 name, fixedTPM|fixedParent, no userWithAuth, the policy digest;
 * under the SRK without a PIN also noDA (systemd 257: a PCR policy gains nothing from lockout). */
static int object_create(struct sealing *s, const struct seal_request *req, const TPM2B_DIGEST *policy,
			 struct tpm2_token *t, struct secret **passphrase, struct token_answer *fail)
{
	static const TPML_PCR_SELECTION creation_pcr = { 0 };
	TPM2B_PUBLIC template = {
		.size = sizeof(TPMT_PUBLIC),
		.publicArea = {
			.type = TPM2_ALG_KEYEDHASH,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					    (req->srk && !req->pin ? TPMA_OBJECT_NODA : 0),
			.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL,
			.unique.keyedHash.size = 32,
			.authPolicy = *policy,
		},
	};
	TPM2B_SENSITIVE_CREATE sensitive = { .size = sizeof(sensitive.sensitive), .sensitive.data.size = SEALED_SECRET_LEN };
	TPM2B_PRIVATE *private = NULL;
	TPM2B_PUBLIC *public = NULL;
	TSS2_RC rc;
	int r = -EIO;

	if (req->pin)
		tpm2_pin_auth(t, req->pin->data, req->pin->len, &sensitive.sensitive.userAuth);
	if (getrandom(sensitive.sensitive.data.buffer, SEALED_SECRET_LEN, 0) != SEALED_SECRET_LEN) {
		token_answer_fail(fail, TOKEN_FAIL_HELPER, "no random bytes from the kernel");
		return -EIO;
	}
	rc = Esys_Create(s->tpm.esys, s->primary, s->hmac, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &template, NULL,
			 &creation_pcr, &private, &public, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		tpm2_fail_rc(&s->tpm, rc, "the TPM did not seal the secret", fail);
	else if ((r = blob_marshal(private, public, t)) == 0)
		r = tpm2_passphrase_of(sensitive.sensitive.data.buffer, SEALED_SECRET_LEN, passphrase);
	explicit_bzero(&sensitive, sizeof(sensitive));
	Esys_Free(private);
	Esys_Free(public);
	return r;
}

static int pubkey_load(const char *path, struct tpm2_token *t, struct token_answer *fail)
{
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(t->pubkey, 1, sizeof(t->pubkey) - 1, f) : 0;

	if (f)
		fclose(f);
	if (n == 0 || n == sizeof(t->pubkey) - 1) {
		token_answer_fail(fail, TOKEN_FAIL_BAD_TOKEN, "cannot read the public key %s", path);
		return -EINVAL;
	}
	t->pubkey[n] = '\0';
	t->pubkey_len = n;
	return 0;
}

static int policy_compute(struct sealing *s, const struct seal_request *req, struct tpm2_token *t,
			  TPM2B_DIGEST *policy, struct token_answer *fail)
{
	TPM2B_DIGEST digest;
	struct tpm2_policy_args args = { .trial = true, .pcr_digest = req->pcr_given ? &digest : NULL };
	TPM2B_DIGEST *got = NULL;
	TSS2_RC rc;
	int r;

	if (req->pcr_given && (r = tpm2_pcr_digest(&s->tpm, req, &digest, fail)) < 0)
		return r;
	if ((r = tpm2_policy_session(&s->tpm, t, s->primary, s->hmac, &args, &s->policy, fail)) < 0)
		return r;
	rc = Esys_PolicyGetDigest(s->tpm.esys, s->policy, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &got);
	if (rc != TSS2_RC_SUCCESS) {
		tpm2_fail_rc(&s->tpm, rc, "the TPM gave no policy digest", fail);
		return -EIO;
	}
	*policy = *got;
	Esys_Free(got);
	memcpy(t->shards[0].policy_hash, policy->buffer, policy->size);
	t->shards[0].policy_hash_len = policy->size;
	return 0;
}

/* The token's fields the request fixes: PCRs, bank, PIN (and its salt), signing key. */
static int tpm2_token_start(const struct seal_request *req, struct tpm2_token *t, struct token_answer *fail)
{
	memset(t, 0, sizeof(*t));
	t->pcr_mask = req->pcr_mask;
	t->pcr_bank = req->bank;
	t->primary_alg = TPM2_ALG_ECC;
	t->pin = req->pin != NULL;
	t->pubkey_pcr_mask = req->pubkey_pcr_mask;
	if (req->pubkey_path && pubkey_load(req->pubkey_path, t, fail) < 0)
		return -EINVAL;
	return req->srk && req->pin ? tpm2_salt_new(t, fail) : 0;
}

int tpm2_seal(const struct seal_request *req, struct tpm2_token *t, struct secret **passphrase,
	      struct token_answer *fail)
{
	struct sealing s = { .primary = ESYS_TR_NONE, .hmac = ESYS_TR_NONE, .policy = ESYS_TR_NONE };
	TPM2B_DIGEST policy;
	int r;

	if ((r = tpm2_token_start(req, t, fail)) < 0)
		return r;
	if (req->device_key)
		return tpm2_seal_offline(req, t, passphrase, fail);
	if ((r = tpm2_connect(&s.tpm, req->device, fail)) < 0)
		return r;
	if (req->srk)
		r = tpm2_srk_get_or_create(&s.tpm, &s.primary, t->srk, sizeof(t->srk), &t->srk_len, &t->primary_alg, fail);
	else
		r = tpm2_parent_load(&s.tpm, t, &s.primary, fail);
	s.primary_persistent = req->srk;
	/* the object does not exist yet: the session is salted by the primary key only */
	if (r == 0)
		r = tpm2_hmac_session_start(&s.tpm, s.primary, ESYS_TR_NONE, &s.hmac, fail);
	if (r == 0)
		r = policy_compute(&s, req, t, &policy, fail);
	if (r == 0)
		r = object_create(&s, req, &policy, t, passphrase, fail);
	tpm2_handle_flush(&s.tpm, &s.policy);
	tpm2_handle_flush(&s.tpm, &s.hmac);
	if (s.primary_persistent && s.primary != ESYS_TR_NONE)
		Esys_TR_Close(s.tpm.esys, &s.primary);
	tpm2_handle_flush(&s.tpm, &s.primary);
	tpm2_disconnect(&s.tpm);
	return r;
}
