/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TPM2_BLOB_H
#define UNLOCK_TPM2_BLOB_H

/*
 * A token's tpm2-blob: TPM2B_PRIVATE || TPM2B_PUBLIC, and since systemd 255 optionally a
 * TPM2B_ENCRYPTED_SECRET, the seed TPM2_Import needs for an object sealed without the TPM.
 */

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

struct tpm2_sealed {
	TPM2B_PRIVATE private;
	TPM2B_PUBLIC public;
	TPM2B_ENCRYPTED_SECRET seed; /* size 0: the object was sealed by the TPM itself */
};

/* -EBADMSG unless blob is exactly those parts. */
int tpm2_blob_split(const uint8_t *blob, size_t len, struct tpm2_sealed *s);

#endif
