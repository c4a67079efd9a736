/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TPM2_PCR_H
#define UNLOCK_TPM2_PCR_H

/*
 * PCR banks as systemd picks them: the best bank for a token that names none (SHA-256 unless only
 * SHA-1 holds measurements), and the banks a measurement goes into (every bank with 24 PCRs whose
 * PCRs hold measurements, else every such bank).
 */

#include <stddef.h>
#include <stdint.h>

#include "tpm2/tpm2.h"

#define TPM2_BANKS_MAX 8

void tpm2_pcr_selection(uint32_t mask, uint16_t bank, TPML_PCR_SELECTION *sel);
/* PolicyPCR's step of a policy digest, computed as a TPM computes it in a SHA-256 session:
 * policy = H(policy || TPM_CC_PolicyPCR || the selection || pcr_digest), pcr_digest being the
 * SHA-256 of the selected PCRs' values one after the other. */
int tpm2_policy_pcr_compute(TPM2B_DIGEST *policy, uint32_t mask, uint16_t bank, const uint8_t pcr_digest[32]);
/* -EOPNOTSUPP when the TPM has neither a SHA-1 nor a SHA-256 bank; -EIO when it does not answer. */
int tpm2_best_bank(struct tpm2 *tpm, uint32_t mask, uint16_t *bank);
int tpm2_good_banks(struct tpm2 *tpm, uint32_t mask, uint16_t banks[TPM2_BANKS_MAX], size_t *n);

#endif
