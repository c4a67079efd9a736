/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_ENROLL_SEAL_H
#define UNLOCK_ENROLL_SEAL_H

/* Sealing a new secret to the TPM as systemd-cryptenroll 252 does, so that systemd's own code and
 * unlock-tpm2 alike unseal it: the token's fields, and the passphrase for its new keyslot. */

#include <stdbool.h>
#include <stdint.h>

#include "crypto/secret.h"
#include "token/protocol.h"
#include "tpm2/token.h"

struct seal_request {
	const char *device;          /* auto, a path or a TCTI string */
	uint32_t pcr_mask;           /* PCRs the policy binds */
	uint16_t bank;               /* their bank */
	uint32_t pcr_given;          /* of those, the ones whose value is given (the rest read now) */
	uint8_t pcr_values[TPM2_PCRS][64];
	const char *pubkey_path;     /* a signed PCR policy's public key (PEM), or NULL */
	uint32_t pubkey_pcr_mask;
	const struct secret *pin;    /* NULL: no PIN */
};

/* Fills t (blob, PCRs, bank, primary algorithm, policy hash, PIN, public key) and the passphrase. */
int tpm2_seal(const struct seal_request *req, struct tpm2_token *t, struct secret **passphrase,
	      struct token_answer *fail);
/* The bytes of a PCR value of the bank; 0 when the bank is unknown. */
size_t tpm2_bank_size(uint16_t bank);

#endif
