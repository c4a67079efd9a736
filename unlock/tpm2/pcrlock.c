/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tpm2/pcrlock.h"

#include <errno.h>
#include <json.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "base/util.h"
#include "tpm2/pcr.h"

#define PCRLOCK_FILE_MAX (1u << 20)
#define PCRLOCK_DEPTH_MAX 8

static int __attribute__((format(printf, 3, 4))) bad(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static int hex_decode(const char *text, uint8_t *out, size_t len)
{
	if (!text || strlen(text) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned int b;
		if (!strchr("0123456789abcdefABCDEF", text[2 * i]) || !strchr("0123456789abcdefABCDEF", text[2 * i + 1]) ||
		    sscanf(text + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		out[i] = (uint8_t)b;
	}
	return 0;
}

/* One pcrValues entry: {"pcr": N, "values": [HEX, ...]}, duplicates dropped, the file's order kept
 * (the order of PolicyOR's branches is part of the digest). */
static int pcr_entry(json_object *e, struct tpm2_pcrlock *p, size_t size, char *why, size_t why_size)
{
	json_object *nr, *values;
	int64_t pcr;

	if (!json_object_object_get_ex(e, "pcr", &nr) || !json_object_is_type(nr, json_type_int) ||
	    (pcr = json_object_get_int64(nr)) < 0 || pcr >= TPM2_PCRS)
		return bad(why, why_size, "a pcrValues entry has no PCR number of 0-23");
	if (!json_object_object_get_ex(e, "values", &values) || !json_object_is_type(values, json_type_array))
		return bad(why, why_size, "PCR %d's entry has no values", (int)pcr);
	p->pcrs |= 1u << pcr;
	for (size_t i = 0; i < json_object_array_length(values); i++) {
		uint8_t v[64];
		bool seen = false;
		if (hex_decode(json_object_get_string(json_object_array_get_idx(values, i)), v, size) < 0)
			return bad(why, why_size, "a value of PCR %d is not a %zu-byte digest in hex", (int)pcr, size);
		for (int k = 0; k < p->n_values[pcr]; k++)
			seen = seen || memcmp(p->values[pcr][k], v, size) == 0;
		if (seen)
			continue;
		if (p->n_values[pcr] == PCRLOCK_VALUES_MAX)
			return bad(why, why_size, "PCR %d has more than %d predicted values", (int)pcr, PCRLOCK_VALUES_MAX);
		memcpy(p->values[pcr][p->n_values[pcr]++], v, size);
	}
	if (!p->n_values[pcr])
		return bad(why, why_size, "PCR %d has no predicted value", (int)pcr);
	return 0;
}

int tpm2_pcrlock_parse(const char *text, size_t len, struct tpm2_pcrlock *p, char *why, size_t why_size)
{
	struct json_tokener *tok = json_tokener_new_ex(PCRLOCK_DEPTH_MAX);
	json_object *root = NULL, *bank, *values;
	size_t size;
	int r = 0;

	memset(p->values, 0, sizeof(p->values));
	memset(p->n_values, 0, sizeof(p->n_values));
	p->pcrs = 0;
	if (!tok)
		return -ENOMEM;
	if (len > PCRLOCK_FILE_MAX || memchr(text, '\0', len) || !(root = json_tokener_parse_ex(tok, text, (int)len)) ||
	    !json_object_is_type(root, json_type_object))
		r = bad(why, why_size, "it is not one JSON object");
	else if (!json_object_object_get_ex(root, "pcrBank", &bank) || !json_object_is_type(bank, json_type_string) ||
		 tpm2_bank_from_name(json_object_get_string(bank), &p->bank) < 0)
		r = bad(why, why_size, "its pcrBank is not sha1, sha256, sha384 or sha512");
	else if (!json_object_object_get_ex(root, "pcrValues", &values) || !json_object_is_type(values, json_type_array))
		r = bad(why, why_size, "it has no pcrValues array");
	size = tpm2_bank_digest_size(p->bank);
	for (size_t i = 0; r == 0 && i < json_object_array_length(values); i++)
		r = pcr_entry(json_object_array_get_idx(values, i), p, size, why, why_size);
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}

int tpm2_pcrlock_load(const char *given, struct tpm2_pcrlock *p, struct token_answer *fail)
{
	static const char *const places[] = { "/run/systemd/pcrlock.json", "/var/lib/systemd/pcrlock.json" };
	char why[160];
	char *text = NULL;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < (given && *given ? 1 : ARRAY_SIZE(places)) && !text; i++) {
		const char *path = given && *given ? given : places[i];
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		snprintf(p->path, sizeof(p->path), "%s", path);
		text = calloc(1, PCRLOCK_FILE_MAX + 1);
		n = text ? fread(text, 1, PCRLOCK_FILE_MAX + 1, f) : 0;
		fclose(f);
		if (!text)
			return -ENOMEM;
	}
	if (!text) {
		if (given && *given)
			token_answer_fail(fail, TOKEN_FAIL_POLICY, "the token uses systemd-pcrlock's policy, and its prediction %.100s is missing", given);
		else
			token_answer_fail(fail, TOKEN_FAIL_POLICY, "the token uses systemd-pcrlock's policy, and no prediction (pcrlock.json) is in /run/systemd or /var/lib/systemd");
		return -ENOENT;
	}
	r = tpm2_pcrlock_parse(text, n, p, why, sizeof(why));
	free(text);
	if (r < 0)
		token_answer_fail(fail, TOKEN_FAIL_POLICY, "the pcrlock prediction %.80s is damaged: %s", p->path, why);
	return r;
}

/* PolicyPCR's digest, computed: H(digest || TPM_CC_PolicyPCR || the selection || H(value)). */
static int policy_pcr_branch(const TPM2B_DIGEST *previous, uint32_t pcr, uint16_t bank, const uint8_t *value,
			     TPM2B_DIGEST *out)
{
	uint8_t sel_bytes[sizeof(TPML_PCR_SELECTION)], cc[4] = { 0, 0, 0x01, 0x7f }, pcr_digest[SHA256_DIGEST_SIZE];
	TPML_PCR_SELECTION sel;
	struct sha256_ctx c;
	size_t n = 0;

	tpm2_pcr_selection(1u << pcr, bank, &sel);
	if (Tss2_MU_TPML_PCR_SELECTION_Marshal(&sel, sel_bytes, sizeof(sel_bytes), &n) != TSS2_RC_SUCCESS)
		return -EIO;
	sha256_init(&c);
	sha256_update(&c, tpm2_bank_digest_size(bank), value);
	sha256_digest(&c, SHA256_DIGEST_SIZE, pcr_digest);
	sha256_update(&c, previous->size, previous->buffer);
	sha256_update(&c, sizeof(cc), cc);
	sha256_update(&c, n, sel_bytes);
	sha256_update(&c, sizeof(pcr_digest), pcr_digest);
	*out = (TPM2B_DIGEST){ .size = SHA256_DIGEST_SIZE };
	sha256_digest(&c, SHA256_DIGEST_SIZE, out->buffer);
	return 0;
}

static TSS2_RC policy_pcr(struct tpm2 *tpm, ESYS_TR session, uint32_t mask, uint16_t bank, TPM2B_DIGEST *digest)
{
	TPML_PCR_SELECTION sel;
	TPM2B_DIGEST *got = NULL;
	TSS2_RC rc;

	tpm2_pcr_selection(mask, bank, &sel);
	rc = Esys_PolicyPCR(tpm->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, &sel);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyGetDigest(tpm->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &got);
	if (rc == TSS2_RC_SUCCESS)
		*digest = *got;
	Esys_Free(got);
	return rc;
}

/* A PCR with several predicted values: PolicyPCR on it, then PolicyOR over one branch per value. */
static int pcr_or(struct tpm2 *tpm, const struct tpm2_pcrlock *p, uint32_t pcr, ESYS_TR session, TPM2B_DIGEST *previous,
		  struct token_answer *fail)
{
	TPML_DIGEST branches = { .count = p->n_values[pcr] };
	TPM2B_DIGEST *got = NULL;
	TSS2_RC rc;

	for (int i = 0; i < p->n_values[pcr]; i++)
		if (policy_pcr_branch(previous, pcr, p->bank, p->values[pcr][i], &branches.digests[i]) < 0)
			return -EIO;
	rc = policy_pcr(tpm, session, 1u << pcr, p->bank, previous);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyOR(tpm->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &branches);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyGetDigest(tpm->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &got);
	if (rc == TSS2_RC_SUCCESS)
		*previous = *got;
	Esys_Free(got);
	if (rc != TSS2_RC_SUCCESS && tpm2_rc_base(rc) == TPM2_RC_VALUE)
		token_answer_fail(fail, TOKEN_FAIL_POLICY, "PCR %u holds none of the %d values %s predicts (systemd-pcrlock)", pcr,
				  p->n_values[pcr], p->path);
	else if (rc != TSS2_RC_SUCCESS)
		tpm2_fail_rc(tpm, rc, "the TPM refused the pcrlock policy", fail);
	return rc == TSS2_RC_SUCCESS ? 0 : -EPERM;
}

static int authorize_nv(struct tpm2 *tpm, const struct tpm2_token *t, const struct tpm2_pcrlock *p, ESYS_TR session,
			struct token_answer *fail)
{
	ESYS_TR nv = ESYS_TR_NONE;
	TSS2_RC rc = Esys_TR_Deserialize(tpm->esys, t->pcrlock_nv, t->pcrlock_nv_len, &nv);

	if (rc != TSS2_RC_SUCCESS) {
		token_answer_fail(fail, TOKEN_FAIL_BAD_TOKEN, "the token's tpm2_pcrlock_nv is not a serialized NV index");
		return -EINVAL;
	}
	rc = Esys_PolicyAuthorizeNV(tpm->esys, ESYS_TR_RH_OWNER, nv, session, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE);
	Esys_TR_Close(tpm->esys, &nv);
	if (rc == TSS2_RC_SUCCESS)
		return 0;
	if (tpm2_rc_base(rc) == TPM2_RC_POLICY_FAIL || tpm2_rc_base(rc) == TPM2_RC_VALUE)
		token_answer_fail(fail, TOKEN_FAIL_POLICY,
				  "the PCR values or %s differ from the policy systemd-pcrlock make-policy last wrote (run it and rebuild the image)",
				  p->path);
	else
		tpm2_fail_rc(tpm, rc, "the TPM refused the pcrlock policy's NV index (TPM cleared?)", fail);
	return -EPERM;
}

int tpm2_pcrlock_policy(struct tpm2 *tpm, const struct tpm2_token *t, const struct tpm2_pcrlock *p, ESYS_TR session,
			struct token_answer *fail)
{
	TPM2B_DIGEST previous = { .size = SHA256_DIGEST_SIZE };
	uint32_t single = 0;
	int r = 0;

	for (uint32_t pcr = 0; pcr < TPM2_PCRS; pcr++)
		if ((p->pcrs & (1u << pcr)) && p->n_values[pcr] == 1)
			single |= 1u << pcr;
	if (single && policy_pcr(tpm, session, single, p->bank, &previous) != TSS2_RC_SUCCESS) {
		token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the TPM refused PolicyPCR of the pcrlock policy");
		return -EIO;
	}
	for (uint32_t pcr = 0; r == 0 && pcr < TPM2_PCRS; pcr++)
		if ((p->pcrs & (1u << pcr)) && p->n_values[pcr] > 1)
			r = pcr_or(tpm, p, pcr, session, &previous, fail);
	return r == 0 ? authorize_nv(tpm, t, p, session, fail) : r;
}
