/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tpm2/blob.h"

#include <errno.h>
#include <string.h>
#include <tss2/tss2_mu.h>

int tpm2_blob_split(const uint8_t *blob, size_t len, struct tpm2_sealed *s)
{
	size_t offset = 0;

	memset(s, 0, sizeof(*s));
	if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(blob, len, &offset, &s->private) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Unmarshal(blob, len, &offset, &s->public) != TSS2_RC_SUCCESS)
		return -EBADMSG;
	if (offset < len && Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(blob, len, &offset, &s->seed) != TSS2_RC_SUCCESS)
		return -EBADMSG;
	return offset == len ? 0 : -EBADMSG;
}
