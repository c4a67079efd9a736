/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <json.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>
#include <tss2/tss2_rc.h>

#include "base/hex.h"
#include "base/util.h"
#include "luks/base64.h"
#include "tpm2/pcr.h"
#include "tpm2/pcrlock.h"
#include "tpm2/rsa_pub.h"
#include "tpm2/tpm2.h"

#define SIGNATURE_FILE_MAX (1u << 20)
#define RSA_DEFAULT_EXPONENT 65537u

/* The signing key as the TPM loads it: RSA, SHA-256 name, no scheme (systemd's conversion);
 * exponent_zero writes 65537 as 0, which the TPM reads as the same exponent but names differently. */
static void pubkey_to_tpm2(const struct rsa_pub *key, bool exponent_zero, TPM2B_PUBLIC *out)
{
	*out = (TPM2B_PUBLIC){
		.size = sizeof(TPMT_PUBLIC),
		.publicArea = {
			.type = TPM2_ALG_RSA,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_DECRYPT | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH,
			.parameters.rsaDetail = {
				.scheme = { .scheme = TPM2_ALG_NULL, .details.anySig.hashAlg = TPM2_ALG_NULL },
				.symmetric = { .algorithm = TPM2_ALG_NULL, .mode.sym = TPM2_ALG_NULL },
				.keyBits = (TPMI_RSA_KEY_BITS)(key->modulus_len * 8),
				.exponent = exponent_zero && key->exponent == RSA_DEFAULT_EXPONENT ? 0 : key->exponent,
			},
			.unique.rsa.size = (UINT16)key->modulus_len,
		},
	};
	memcpy(out->publicArea.unique.rsa.buffer, key->modulus, key->modulus_len);
}

static void sha256_of(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

static json_object *signature_file_load(const char *given, char *used, size_t size)
{
	static const char *const places[] = {
		"/etc/systemd/tpm2-pcr-signature.json", "/run/systemd/tpm2-pcr-signature.json",
		"/usr/local/lib/systemd/tpm2-pcr-signature.json", "/usr/lib/systemd/tpm2-pcr-signature.json",
		"/.extra/tpm2-pcr-signature.json",
	};
	json_object *v;

	for (size_t i = 0; i < (given && *given ? 1 : ARRAY_SIZE(places)); i++) {
		const char *path = given && *given ? given : places[i];
		FILE *f = fopen(path, "re");
		char *text;
		size_t n;
		snprintf(used, size, "%s", path);
		if (!f)
			continue;
		text = calloc(1, SIGNATURE_FILE_MAX + 1);
		n = text ? fread(text, 1, SIGNATURE_FILE_MAX, f) : 0;
		fclose(f);
		v = n ? json_tokener_parse(text) : NULL;
		free(text);
		return v;
	}
	return NULL;
}

static bool hex_equal(json_object *v, const uint8_t *bytes, size_t len)
{
	uint8_t got[64];
	size_t n;

	return json_object_is_type(v, json_type_string) && len <= sizeof(got) &&
	       hex_decode(json_object_get_string(v), got, sizeof(got), &n) == 0 && n == len && memcmp(got, bytes, len) == 0;
}

static bool pcrs_equal(json_object *v, uint32_t mask)
{
	uint32_t got = 0;

	if (!json_object_is_type(v, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		int64_t n = json_object_get_int64(json_object_array_get_idx(v, i));
		if (n < 0 || n >= TPM2_PCRS)
			return false;
		got |= 1u << n;
	}
	return got == mask;
}

/* The signature entry for this bank, PCR mask, key and approved policy, as systemd looks it up. */
static int signature_find(json_object *file, const struct tpm2_token *t, const uint8_t fp[32],
			  const TPM2B_DIGEST *approved, TPMT_SIGNATURE *sig)
{
	json_object *list, *e, *v;

	if (!json_object_object_get_ex(file, tpm2_bank_name(t->pcr_bank), &list) ||
	    !json_object_is_type(list, json_type_array))
		return -ENOENT;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		const char *b64;
		size_t n;
		e = json_object_array_get_idx(list, i);
		if (!json_object_object_get_ex(e, "pcrs", &v) || !pcrs_equal(v, t->pubkey_pcr_mask) ||
		    !json_object_object_get_ex(e, "pkfp", &v) || !hex_equal(v, fp, 32) ||
		    !json_object_object_get_ex(e, "pol", &v) || !hex_equal(v, approved->buffer, approved->size) ||
		    !json_object_object_get_ex(e, "sig", &v) || !json_object_is_type(v, json_type_string))
			continue;
		b64 = json_object_get_string(v);
		*sig = (TPMT_SIGNATURE){ .sigAlg = TPM2_ALG_RSASSA, .signature.rsassa.hash = TPM2_ALG_SHA256 };
		if (base64_decode(b64, sig->signature.rsassa.sig.buffer, sizeof(sig->signature.rsassa.sig.buffer), &n) < 0 || n == 0)
			return -EINVAL;
		sig->signature.rsassa.sig.size = (UINT16)n;
		return 0;
	}
	return -ENOENT;
}

static bool pubkey_exponent_is_default(const struct tpm2_token *t)
{
	struct rsa_pub key;

	return rsa_pub_from_pem(t->pubkey, t->pubkey_len, &key) == 0 && key.exponent == RSA_DEFAULT_EXPONENT;
}

struct signed_policy {
	struct tpm2 *tpm;
	const struct tpm2_token *t;
	const struct tpm2_policy_args *args;
	ESYS_TR session;
	struct rsa_pub pk;
	ESYS_TR key;
	struct token_answer *fail;
};

static int signed_policy_verify(struct signed_policy *s, const char *signature_path, TPM2B_DIGEST *approved,
				TPMT_TK_VERIFIED **ticket)
{
	char used[TOKEN_PATH_MAX], pcrs[64];
	uint8_t fp[SHA256_DIGEST_SIZE];
	TPMT_SIGNATURE sig;
	TPM2B_DIGEST digest = { .size = SHA256_DIGEST_SIZE };
	json_object *file = signature_file_load(signature_path, used, sizeof(used));
	int r;
	TSS2_RC rc;

	tpm2_pcr_mask_text(s->t->pubkey_pcr_mask, pcrs, sizeof(pcrs));
	if (!file) {
		token_answer_fail(s->fail, TOKEN_FAIL_POLICY, "the token needs a signed PCR policy, and %s is missing or not JSON (tpm2-signature=)", used);
		return -ENOENT;
	}
	sha256_of(s->pk.pkcs1, s->pk.pkcs1_len, fp);
	r = signature_find(file, s->t, fp, approved, &sig);
	json_object_put(file);
	if (r < 0) {
		token_answer_fail(s->fail, TOKEN_FAIL_POLICY, "%s holds no signature for this key and the current values of PCRs %s (%s)",
				  used, pcrs, tpm2_bank_name(s->t->pcr_bank));
		return r;
	}
	sha256_of(approved->buffer, approved->size, digest.buffer);
	rc = Esys_VerifySignature(s->tpm->esys, s->key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &digest, &sig, ticket);
	if (rc != TSS2_RC_SUCCESS) {
		token_answer_fail(s->fail, TOKEN_FAIL_POLICY, "the TPM rejected the PCR policy signature from %s: %s", used,
				  Tss2_RC_Decode(rc));
		return -EPERM;
	}
	return 0;
}

/* PolicyPCR on the signed PCRs, then PolicyAuthorize with the signature of that policy's digest
 * (sealing: with the null ticket, as the policy is only computed). */
static int signed_policy_apply(struct signed_policy *s)
{
	static const TPMT_TK_VERIFIED null_ticket = { .tag = TPM2_ST_VERIFIED, .hierarchy = TPM2_RH_OWNER };
	TPML_PCR_SELECTION sel;
	TPM2B_DIGEST *approved = NULL;
	TPM2B_NAME *name = NULL;
	TPMT_TK_VERIFIED *ticket = NULL;
	TPM2B_PUBLIC pub;
	TSS2_RC rc;
	int r = -EIO;

	pubkey_to_tpm2(&s->pk, s->args->rsa_exponent_zero, &pub);
	rc = Esys_LoadExternal(s->tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, &pub, ESYS_TR_RH_OWNER, &s->key);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_TR_GetName(s->tpm->esys, s->key, &name);
	tpm2_pcr_selection(s->t->pubkey_pcr_mask, s->t->pcr_bank, &sel);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyPCR(s->tpm->esys, s->session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, &sel);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyGetDigest(s->tpm->esys, s->session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &approved);
	if (rc != TSS2_RC_SUCCESS)
		token_answer_fail(s->fail, TOKEN_FAIL_DEVICE, "the TPM could not start the signed PCR policy: %s", Tss2_RC_Decode(rc));
	else if (s->args->trial || (r = signed_policy_verify(s, s->args->signature_path, approved, &ticket)) == 0) {
		rc = Esys_PolicyAuthorize(s->tpm->esys, s->session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, approved,
					  &(const TPM2B_NONCE){ 0 }, name, ticket ? ticket : &null_ticket);
		r = 0;
		if (rc != TSS2_RC_SUCCESS) {
			token_answer_fail(s->fail, TOKEN_FAIL_POLICY, "the TPM refused the signed PCR policy: %s", Tss2_RC_Decode(rc));
			r = -EPERM;
		}
	}
	Esys_Free(approved);
	Esys_Free(name);
	Esys_Free(ticket);
	return r;
}

static int policy_steps(struct tpm2 *tpm, const struct tpm2_token *t, ESYS_TR session,
			const struct tpm2_policy_args *args, struct token_answer *fail)
{
	TPML_PCR_SELECTION sel;
	TSS2_RC rc = TSS2_RC_SUCCESS;
	int r = 0;

	if (t->pubkey_len && !args->skip_signed) {
		struct signed_policy s = { .tpm = tpm, .t = t, .args = args, .session = session, .key = ESYS_TR_NONE, .fail = fail };
		/* systemd checks the key even when no PCR is signed, so a damaged one is never ignored */
		if (rsa_pub_from_pem(t->pubkey, t->pubkey_len, &s.pk) < 0) {
			token_answer_fail(fail, TOKEN_FAIL_BAD_TOKEN, "the token's tpm2_pubkey is not a PEM RSA public key the TPM can load");
			return -EINVAL;
		}
		if (t->pubkey_pcr_mask)
			r = signed_policy_apply(&s);
		tpm2_handle_flush(tpm, &s.key);
		if (r < 0)
			return r;
	}
	if (args->pcrlock && (r = tpm2_pcrlock_policy(tpm, t, args->pcrlock, session, fail)) < 0)
		return r;
	if (t->pcr_mask) {
		tpm2_pcr_selection(t->pcr_mask, t->pcr_bank, &sel);
		rc = Esys_PolicyPCR(tpm->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, args->pcr_digest, &sel);
	}
	if (rc == TSS2_RC_SUCCESS && t->pin)
		rc = Esys_PolicyAuthValue(tpm->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE);
	if (rc != TSS2_RC_SUCCESS) {
		tpm2_fail_rc(tpm, rc, "the TPM refused the token's policy", fail);
		return -EIO;
	}
	return 0;
}

/* The session digest against tpm2-policy-hash, so a PCR change is named before the TPM says no. */
static int policy_digest_check(struct tpm2 *tpm, const struct tpm2_token *t, const struct tpm2_policy_args *args,
			       ESYS_TR session, struct token_answer *fail)
{
	const struct tpm2_shard *expect = args->shard;
	TPM2B_DIGEST *digest = NULL;
	TSS2_RC rc;
	char pcrs[64], signed_pcrs[64];
	bool same;

	if (!expect || !expect->policy_hash_len)
		return 0;
	rc = Esys_PolicyGetDigest(tpm->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &digest);
	if (rc != TSS2_RC_SUCCESS) {
		token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the TPM gave no policy digest: %s", Tss2_RC_Decode(rc));
		return -EIO;
	}
	same = digest->size == expect->policy_hash_len && memcmp(digest->buffer, expect->policy_hash, expect->policy_hash_len) == 0;
	Esys_Free(digest);
	if (same)
		return 0;
	if (t->pubkey_pcr_mask && !args->skip_signed && !args->rsa_exponent_zero && pubkey_exponent_is_default(t))
		return -ESTALE;
	tpm2_pcr_mask_text(t->pcr_mask, pcrs, sizeof(pcrs));
	tpm2_pcr_mask_text(t->pubkey_pcr_mask, signed_pcrs, sizeof(signed_pcrs));
	if (t->pubkey_pcr_mask)
		token_answer_fail(fail, TOKEN_FAIL_POLICY, "the policy does not match the token's (PCRs %s bound, %s signed, bank %s)",
				  pcrs, signed_pcrs, tpm2_bank_name(t->pcr_bank));
	else
		token_answer_fail(fail, TOKEN_FAIL_POLICY, "PCR values differ from those the token was sealed to (it binds PCRs %s of bank %s)",
				  pcrs, tpm2_bank_name(t->pcr_bank));
	return -EPERM;
}

int tpm2_policy_session(struct tpm2 *tpm, const struct tpm2_token *t, ESYS_TR parent, ESYS_TR hmac,
			const struct tpm2_policy_args *args, ESYS_TR *session, struct token_answer *fail)
{
	/* As systemd: a trial session only where the PCRs need not hold the values (some TPMs' trial
	 * mode is broken); otherwise a real one, whose digest is the same. */
	TPM2_SE type = args->trial && (args->pcr_digest || t->pubkey_pcr_mask) ? TPM2_SE_TRIAL : TPM2_SE_POLICY;
	TSS2_RC rc = Esys_StartAuthSession(tpm->esys, parent, ESYS_TR_NONE, hmac, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
					   type, &tpm2_session_symmetric, TPM2_ALG_SHA256, session);
	int r;

	if (rc != TSS2_RC_SUCCESS) {
		tpm2_fail_rc(tpm, rc, "the TPM opened no policy session", fail);
		return -EIO;
	}
	r = policy_steps(tpm, t, *session, args, fail);
	if (r == 0)
		r = policy_digest_check(tpm, t, args, *session, fail);
	if (r < 0)
		tpm2_handle_flush(tpm, session);
	return r;
}
