/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_ENROLL_OFFLINE_H
#define UNLOCK_ENROLL_OFFLINE_H

/* Sealing without the TPM (req->device_key, the SRK's TPM2B_PUBLIC as systemd-analyze srk writes
 * it), for PCR values all given and an optional PIN: a token systemd 255 and later open. */

#include "enroll/seal.h"

int tpm2_seal_offline(const struct seal_request *req, struct tpm2_token *t, struct secret **passphrase,
		      struct token_answer *fail);

#endif
