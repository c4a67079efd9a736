/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TPM2_MEASURE_H
#define UNLOCK_TPM2_MEASURE_H

/*
 * tpm2-measure-pcr=: extends a PCR with the digests unlock made of an opened volume (for each bank
 * the TPM measures into, or those tpm2-measure-bank= names), and appends the event to systemd's
 * userspace event log, as systemd-cryptsetup does after it activates a volume.
 */

#include "token/protocol.h"
#include "tpm2/tpm2.h"

/* 0 with a->measured naming the banks; otherwise a is the failure with its reason. */
int tpm2_measure(const char *device, const struct token_measure *m, struct token_answer *a);

#endif
