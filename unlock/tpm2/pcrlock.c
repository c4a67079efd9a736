/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tpm2/pcrlock.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <string.h>
#include <tss2/tss2_rc.h>

#include "base/util.h"
#include "tpm2/pcr.h"


/* One PolicyOR branch: the policy so far, then PolicyPCR for this PCR holding this value. */
static int policy_pcr_branch(const TPM2B_DIGEST *previous, uint32_t pcr, uint16_t bank, const uint8_t *value,
			     TPM2B_DIGEST *out)
{
	uint8_t pcr_digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, tpm2_bank_digest_size(bank), value);
	sha256_digest(&c, SHA256_DIGEST_SIZE, pcr_digest);
	*out = *previous;
	return tpm2_policy_pcr_compute(out, 1u << pcr, bank, pcr_digest);
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
