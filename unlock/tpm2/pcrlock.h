/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TPM2_PCRLOCK_H
#define UNLOCK_TPM2_PCRLOCK_H

/*
 * systemd-pcrlock's policy (tpm2_pcrlock, systemd 255): the token's object answers to whatever
 * policy digest the TPM's NV index holds (PolicyAuthorizeNV), and systemd-pcrlock make-policy
 * writes there the digest of its "super PCR" policy over the PCR values it predicts. Unsealing
 * rebuilds that policy from the prediction file, pcrlock.json: one PolicyPCR over the PCRs with a
 * single predicted value, then for each PCR with 2 to 8 a PolicyPCR on it and a PolicyOR over the
 * branches each value gives; then PolicyAuthorizeNV. The file is the one named (tpm2-pcrlock=), else
 * /run/systemd/pcrlock.json, else /var/lib/systemd/pcrlock.json, as systemd looks for it; an image
 * carries the system's in the second place (unlock-mkinitrd(8)).
 */

#include <stdint.h>

#include "token/protocol.h"
#include "tpm2/tpm2.h"

#define PCRLOCK_VALUES_MAX 8

struct tpm2_pcrlock {
	uint16_t bank;
	uint32_t pcrs;                                     /* the PCRs the prediction covers */
	uint8_t values[TPM2_PCRS][PCRLOCK_VALUES_MAX][64]; /* each PCR's predicted values */
	uint8_t n_values[TPM2_PCRS];
	char path[TOKEN_PATH_MAX];                         /* the file it came from, for messages */
};

/* -ENOENT (none found) or -EBADMSG, with the reason in fail. */
int tpm2_pcrlock_load(const char *given, struct tpm2_pcrlock *p, struct token_answer *fail);
/* Parses a prediction file's text; -EBADMSG with the reason in why. */
int tpm2_pcrlock_parse(const char *text, size_t len, struct tpm2_pcrlock *p, char *why, size_t why_size);
/* The super PCR policy and PolicyAuthorizeNV on the token's NV index, in session. */
int tpm2_pcrlock_policy(struct tpm2 *tpm, const struct tpm2_token *t, const struct tpm2_pcrlock *p, ESYS_TR session,
			struct token_answer *fail);

#endif
