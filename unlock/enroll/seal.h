/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_ENROLL_SEAL_H
#define UNLOCK_ENROLL_SEAL_H

/* Sealing a new secret to the TPM as systemd-cryptenroll does, so that systemd's own code and
 * unlock-tpm2 alike unseal it: the token's fields, and the passphrase for its new keyslot. As
 * systemd 252 (a transient primary key, a PIN hashed as it is), or as systemd 254 and later (the
 * persistent storage root key in tpm2_srk, a PIN salted with tpm2_salt); without the TPM, from the
 * storage root key's public part, as systemd 255 and later (enroll/offline.h). */

#include <stdbool.h>
#include <stdint.h>

#include "crypto/secret.h"
#include "token/protocol.h"
#include "tpm2/token.h"
#include "tpm2/tpm2.h"

struct seal_request {
	const char *device;          /* auto, a path or a TCTI string */
	uint32_t pcr_mask;           /* PCRs the policy binds */
	uint16_t bank;               /* their bank */
	uint32_t pcr_given;          /* of those, the ones whose value is given (the rest read now) */
	uint8_t pcr_values[TPM2_PCRS][64];
	const char *pubkey_path;     /* a signed PCR policy's public key (PEM), or NULL */
	uint32_t pubkey_pcr_mask;
	const struct secret *pin;    /* NULL: no PIN */
	bool srk;                    /* systemd 254's token: tpm2_srk, and tpm2_salt for a PIN */
	const char *device_key;      /* sealing without the TPM for this SRK (TPM2B_PUBLIC file), or NULL */
};

/* Fills t (blob, PCRs, bank, primary algorithm, policy hash, PIN, public key) and the passphrase. */
int tpm2_seal(const struct seal_request *req, struct tpm2_token *t, struct secret **passphrase,
	      struct token_answer *fail);
/* The PIN's salt for tpm2_salt, random. */
int tpm2_salt_new(struct tpm2_token *t, struct token_answer *fail);
/* base64 of the sealed secret, the keyslot's passphrase. */
int tpm2_passphrase_of(const uint8_t *secret, size_t len, struct secret **out);
/* PolicyPCR's pcrDigest over given values (tpm NULL: every value must be given) or current ones. */
int tpm2_pcr_digest(struct tpm2 *tpm, const struct seal_request *req, TPM2B_DIGEST *digest, struct token_answer *fail);

#endif
