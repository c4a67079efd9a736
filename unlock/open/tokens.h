/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TOKENS_H
#define UNLOCK_TOKENS_H

/*
 * The token step of opening a volume, as systemd-cryptsetup takes it: the LUKS2 header's tokens
 * that have a helper (systemd-tpm2: unlock-tpm2, systemd-pkcs11: unlock-pkcs11) and fit the
 * volume's key slot, in the header's order, each run by its helper (token/helper.h). A PIN is asked
 * only when the token needs one and headless is off, at most tries times, and no more once the TPM
 * reports a lockout or the token a locked PIN. A PKCS#11 token named by URI is waited for.
 */

#include <stdbool.h>

#include "crypto/secret.h"
#include "open/volume.h"

#define TOKEN_TYPE_TPM2 1u
#define TOKEN_TYPE_PKCS11 2u

struct token_step {
	const char *name;        /* the volume, for messages */
	const char *tpm2_device; /* "auto", a path or a TCTI string; NULL: auto */
	const char *pkcs11_uri;  /* "auto" or a URI: its token is waited for; NULL: auto, not waited for */
	unsigned types;          /* TOKEN_TYPE_* to try; 0: every type with a helper */
	const char *signature;   /* tpm2-signature=; NULL: systemd's default places */
	const char *pcrlock;     /* tpm2-pcrlock=; NULL: systemd's default places */
	int timeout_sec;         /* token-timeout=: how long one helper may take */
	int tries;               /* PIN questions per token; 0: until the TPM locks out */
	int key_slot;            /* -1: any */
	bool headless;           /* never ask for a PIN */
	/* Called before each run of a PKCS#11 token's helper (the boot's pcscd); attempt from 0. */
	void (*before_pkcs11)(int attempt);
	/* Asks for a PIN with this prompt; 0, or negative when none can be had. */
	int (*ask_pin)(void *ctx, const char *prompt, struct secret **pin);
	void *ctx;
};

/* How many tokens of the header unlock has a helper for (and that fit key_slot). */
int volume_usable_tokens(const struct volume *v, int key_slot);
/*
 * 0 with the verified volume key and its digest; -LUKS_ERR_WRONG_SECRET when no token opened the
 * volume (each token's reason logged); -ENOENT when no token could be tried; -ENOMEM.
 */
int volume_unlock_by_tokens(const struct volume *v, const struct token_step *step, struct secret **key,
			    int *digest);

#endif
