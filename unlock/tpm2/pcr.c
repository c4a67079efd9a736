/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tpm2/pcr.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <string.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "base/util.h"

void tpm2_pcr_selection(uint32_t mask, uint16_t bank, TPML_PCR_SELECTION *sel)
{
	*sel = (TPML_PCR_SELECTION){ .count = 1 };
	sel->pcrSelections[0].hash = bank;
	sel->pcrSelections[0].sizeofSelect = 3;
	for (int i = 0; i < 3; i++)
		sel->pcrSelections[0].pcrSelect[i] = (uint8_t)(mask >> (8 * i));
}

int tpm2_policy_pcr_compute(TPM2B_DIGEST *policy, uint32_t mask, uint16_t bank, const uint8_t pcr_digest[32])
{
	static const uint8_t policy_pcr[4] = { 0x00, 0x00, 0x01, 0x7f }; /* TPM_CC_PolicyPCR */
	uint8_t selection[sizeof(TPML_PCR_SELECTION)];
	TPML_PCR_SELECTION sel;
	struct sha256_ctx c;
	size_t n = 0;

	tpm2_pcr_selection(mask, bank, &sel);
	if (policy->size != SHA256_DIGEST_SIZE ||
	    Tss2_MU_TPML_PCR_SELECTION_Marshal(&sel, selection, sizeof(selection), &n) != TSS2_RC_SUCCESS)
		return -EIO;
	sha256_init(&c);
	sha256_update(&c, SHA256_DIGEST_SIZE, policy->buffer);
	sha256_update(&c, sizeof(policy_pcr), policy_pcr);
	sha256_update(&c, n, selection);
	sha256_update(&c, SHA256_DIGEST_SIZE, pcr_digest);
	sha256_digest(&c, SHA256_DIGEST_SIZE, policy->buffer);
	return 0;
}

static uint32_t selection_mask(const TPMS_PCR_SELECTION *s)
{
	uint32_t mask = 0;

	for (unsigned i = 0; i < s->sizeofSelect && i < 3; i++)
		mask |= (uint32_t)s->pcrSelect[i] << (8 * i);
	return mask;
}

/* The banks the TPM has allocated all 24 PCRs in, in the TPM's order (systemd skips the others). */
static int banks_with_24_pcrs(struct tpm2 *tpm, uint16_t banks[TPM2_BANKS_MAX], size_t *n)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc = Esys_GetCapability(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS, 0, 1, &more, &cap);

	*n = 0;
	if (rc != TSS2_RC_SUCCESS)
		return -EIO;
	for (uint32_t i = 0; i < cap->data.assignedPCR.count && i < TPM2_NUM_PCR_BANKS && *n < TPM2_BANKS_MAX; i++) {
		const TPMS_PCR_SELECTION *s = &cap->data.assignedPCR.pcrSelections[i];
		if (s->sizeofSelect >= 3 && selection_mask(s) == 0xffffff)
			banks[(*n)++] = s->hash;
	}
	Esys_Free(cap);
	return 0;
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t value)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != value)
			return false;
	return true;
}

/* Whether one of the PCRs in mask holds something other than all zeros or all ones in this bank:
 * firmware that does not measure into a bank leaves it so. */
static int bank_measured(struct tpm2 *tpm, uint16_t bank, uint32_t mask)
{
	bool measured = false;

	while (mask && !measured) {
		TPML_PCR_SELECTION sel, *out = NULL;
		TPML_DIGEST *values = NULL;
		uint32_t got;
		tpm2_pcr_selection(mask, bank, &sel);
		if (Esys_PCR_Read(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, NULL, &out, &values) != TSS2_RC_SUCCESS)
			return -EIO;
		got = out->count == 1 ? selection_mask(&out->pcrSelections[0]) & mask : 0;
		for (uint32_t i = 0; i < values->count && i < 8; i++)
			measured = measured || (!all_bytes(values->digests[i].buffer, values->digests[i].size, 0) &&
						!all_bytes(values->digests[i].buffer, values->digests[i].size, 0xff));
		Esys_Free(out);
		Esys_Free(values);
		if (!got)
			break; /* PCRs the TPM does not read count as unmeasured */
		mask &= ~got;
	}
	return measured;
}

int tpm2_best_bank(struct tpm2 *tpm, uint32_t mask, uint16_t *bank)
{
	uint16_t banks[TPM2_BANKS_MAX], supported = 0, measured = 0;
	size_t n;
	int r;

	*bank = TPM2_ALG_SHA256;
	if (!mask)
		return 0;
	if ((r = banks_with_24_pcrs(tpm, banks, &n)) < 0)
		return r;
	/* As systemd: SHA-256 when measured (or when neither is), else a measured SHA-1. */
	for (size_t i = 0; i < n; i++) {
		if (banks[i] != TPM2_ALG_SHA256 && banks[i] != TPM2_ALG_SHA1)
			continue;
		if ((r = bank_measured(tpm, banks[i], mask)) < 0)
			return r;
		if (banks[i] == TPM2_ALG_SHA256 || !supported)
			supported = banks[i];
		if (r && (banks[i] == TPM2_ALG_SHA256 || !measured))
			measured = banks[i];
	}
	if (!supported)
		return -EOPNOTSUPP;
	*bank = measured ? measured : supported;
	return 0;
}

int tpm2_good_banks(struct tpm2 *tpm, uint32_t mask, uint16_t banks[TPM2_BANKS_MAX], size_t *n)
{
	uint16_t all[TPM2_BANKS_MAX], unmeasured[TPM2_BANKS_MAX];
	size_t n_all, n_unmeasured = 0;
	int r;

	*n = 0;
	if ((r = banks_with_24_pcrs(tpm, all, &n_all)) < 0)
		return r;
	for (size_t i = 0; i < n_all; i++) {
		if (!tpm2_bank_digest_size(all[i]))
			continue;
		if ((r = bank_measured(tpm, all[i], mask)) < 0)
			return r;
		if (r)
			banks[(*n)++] = all[i];
		else
			unmeasured[n_unmeasured++] = all[i];
	}
	if (*n == 0) {
		memcpy(banks, unmeasured, n_unmeasured * sizeof(*banks));
		*n = n_unmeasured;
	}
	return 0;
}
