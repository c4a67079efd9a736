/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_ENROLL_SRK_H
#define UNLOCK_ENROLL_SRK_H

/*
 * The storage root key systemd 254 and later seal under: the persistent key at 0x81000001, made
 * there (ECC P-256 when the TPM has it, else RSA 2048; the TCG provisioning guidance's templates)
 * when it is absent, as systemd-tpm2-setup does at a first boot.
 */

#include <stddef.h>
#include <stdint.h>

#include "token/protocol.h"
#include "tpm2/tpm2.h"

#define TPM2_SRK_HANDLE 0x81000001u

/* The SRK's handle (persistent: closed, not flushed), its serialized form for tpm2_srk and its type. */
int tpm2_srk_get_or_create(struct tpm2 *tpm, ESYS_TR *srk, uint8_t *serialized, size_t size, size_t *len,
			   uint16_t *type, struct token_answer *fail);

#endif
