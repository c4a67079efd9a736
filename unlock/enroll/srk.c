/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "enroll/srk.h"

#include <errno.h>
#include <string.h>
#include <tss2/tss2_rc.h>

static TPM2B_PUBLIC srk_template(uint16_t type)
{
	TPM2B_PUBLIC t = {
		.size = sizeof(TPMT_PUBLIC),
		.publicArea = {
			.type = type,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_FIXEDTPM |
					    TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SENSITIVEDATAORIGIN |
					    TPMA_OBJECT_USERWITHAUTH,
		},
	};
	static const TPMT_SYM_DEF_OBJECT aes = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB };

	if (type == TPM2_ALG_ECC)
		t.publicArea.parameters.eccDetail = (TPMS_ECC_PARMS){
			.symmetric = aes, .scheme.scheme = TPM2_ALG_NULL, .curveID = TPM2_ECC_NIST_P256, .kdf.scheme = TPM2_ALG_NULL,
		};
	else
		t.publicArea.parameters.rsaDetail = (TPMS_RSA_PARMS){ .symmetric = aes, .scheme.scheme = TPM2_ALG_NULL, .keyBits = 2048 };
	return t;
}

/* A new SRK, ECC first (a TPM without P-256 refuses the template), persisted at its handle. */
static int srk_create(struct tpm2 *tpm, struct token_answer *fail)
{
	static const TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	static const TPML_PCR_SELECTION creation_pcr = { 0 };
	ESYS_TR transient = ESYS_TR_NONE, persistent = ESYS_TR_NONE;
	TSS2_RC rc = TPM2_RC_FAILURE;

	for (int i = 0; i < 2 && rc != TSS2_RC_SUCCESS; i++) {
		TPM2B_PUBLIC t = srk_template(i == 0 ? TPM2_ALG_ECC : TPM2_ALG_RSA);
		rc = Esys_CreatePrimary(tpm->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &t,
					NULL, &creation_pcr, &transient, NULL, NULL, NULL, NULL);
	}
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_EvictControl(tpm->esys, ESYS_TR_RH_OWNER, transient, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				       TPM2_SRK_HANDLE, &persistent);
	tpm2_handle_flush(tpm, &transient);
	if (persistent != ESYS_TR_NONE)
		Esys_TR_Close(tpm->esys, &persistent);
	if (rc != TSS2_RC_SUCCESS) {
		token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the TPM made no storage root key at 0x%x: %s", TPM2_SRK_HANDLE,
				  Tss2_RC_Decode(rc));
		return -EIO;
	}
	return 0;
}

int tpm2_srk_get_or_create(struct tpm2 *tpm, ESYS_TR *srk, uint8_t *serialized, size_t size, size_t *len,
			   uint16_t *type, struct token_answer *fail)
{
	TPM2B_PUBLIC *public = NULL;
	uint8_t *buf = NULL;
	TSS2_RC rc = Esys_TR_FromTPMPublic(tpm->esys, TPM2_SRK_HANDLE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, srk);
	int r;

	if (rc != TSS2_RC_SUCCESS) {
		if ((r = srk_create(tpm, fail)) < 0)
			return r;
		rc = Esys_TR_FromTPMPublic(tpm->esys, TPM2_SRK_HANDLE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, srk);
	}
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_ReadPublic(tpm->esys, *srk, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &public, NULL, NULL);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_TR_Serialize(tpm->esys, *srk, &buf, len);
	if (rc == TSS2_RC_SUCCESS && *len <= size) {
		memcpy(serialized, buf, *len);
		*type = public->publicArea.type;
	}
	Esys_Free(buf);
	Esys_Free(public);
	if (rc != TSS2_RC_SUCCESS || *len > size) {
		token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the TPM's storage root key at 0x%x cannot be used: %s", TPM2_SRK_HANDLE,
				  rc != TSS2_RC_SUCCESS ? Tss2_RC_Decode(rc) : "its serialized handle is too large");
		return -EIO;
	}
	return 0;
}
