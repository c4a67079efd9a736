/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TPM2_TPM2_H
#define UNLOCK_TPM2_TPM2_H

/*
 * The helper's TPM work over tpm2-tss's ESAPI, the same commands systemd's tpm2-util issues: a
 * connection, the primary key, the salted sessions and the policy. A failure fills the answer
 * (token/protocol.h) with its class and reason and returns a negative value.
 */

#include <stdbool.h>
#include <tss2/tss2_esys.h>

#include "crypto/secret.h"
#include "token/protocol.h"
#include "tpm2/token.h"

struct tpm2_pcrlock;

struct tpm2 {
	ESYS_CONTEXT *esys;
	TSS2_TCTI_CONTEXT *tcti;
	char device[TOKEN_DEVICE_MAX]; /* what was opened, for messages */
};

/* systemd's parameter encryption: AES-128 in CFB mode. */
extern const TPMT_SYM_DEF tpm2_session_symmetric;

/* "auto" (the first /dev/tpmrmN), a device path, or a TCTI string such as swtpm:host=H,port=P. */
int tpm2_connect(struct tpm2 *tpm, const char *device, struct token_answer *fail);
void tpm2_disconnect(struct tpm2 *tpm);
/* The parent of the sealed object: tpm2_srk's persistent key, or the primary key made from the owner seed. */
int tpm2_parent_load(struct tpm2 *tpm, const struct tpm2_token *t, ESYS_TR *parent, struct token_answer *fail);
void tpm2_handle_flush(struct tpm2 *tpm, ESYS_TR *handle);
/* An HMAC session salted by parent, bound to bind (ESYS_TR_NONE: unbound), encrypting parameters
 * both ways, as systemd's tpm2_make_encryption_session. */
int tpm2_hmac_session_start(struct tpm2 *tpm, ESYS_TR parent, ESYS_TR bind, ESYS_TR *session, struct token_answer *fail);
struct tpm2_policy_args {
	const char *signature_path;     /* unsealing: the signed policy's signatures (NULL: default places) */
	bool trial;                     /* sealing: the policy is computed, not satisfied */
	const TPM2B_DIGEST *pcr_digest; /* sealing for given PCR values: their digest; NULL: current values */
	bool rsa_exponent_zero;         /* the signing key named with exponent 0 for 65537 */
	const struct tpm2_pcrlock *pcrlock; /* the pcrlock policy's prediction (for this shard), or NULL */
	bool skip_signed;               /* a second shard: the signed policy is the first's */
	const struct tpm2_shard *shard; /* unsealing: the shard whose policy hash is checked; NULL: none */
};

/* The policy the token's object was sealed with, built in a policy session (salted by parent);
 * a policy hash in t is compared with the session's before anything is unsealed. -ESTALE when it
 * differs and the signed policy's RSA key has exponent 65537: worth one more try with
 * rsa_exponent_zero, as systemd does. */
int tpm2_policy_session(struct tpm2 *tpm, const struct tpm2_token *t, ESYS_TR parent, ESYS_TR hmac,
			const struct tpm2_policy_args *args, ESYS_TR *session, struct token_answer *fail);
/* The PIN's authValue as systemd derives it (SHA-256, salted PBKDF2 first with tpm2_salt). */
void tpm2_pin_auth(const struct tpm2_token *t, const uint8_t *pin, size_t len, TPM2B_AUTH *auth);
/* Where unsealing finds what a token's policy needs besides the TPM: NULL or "" for systemd's places. */
struct tpm2_unseal_files {
	const char *signature; /* tpm2-signature= */
	const char *pcrlock;   /* tpm2-pcrlock= */
};
/* The keyslot passphrase from the token: base64 of the unsealed secret, in locked memory.
 * t's missing PCR bank is filled in with the one chosen. */
int tpm2_unseal(struct tpm2_token *t, const char *device, const struct tpm2_unseal_files *files, const uint8_t *pin,
		size_t pin_len, struct secret **passphrase, struct token_answer *fail);
/* Fills fail from a TPM error: lockout, wrong PIN (with the tries left), policy, or what failed. */
void tpm2_fail_rc(struct tpm2 *tpm, TSS2_RC rc, const char *what, struct token_answer *fail);
/* The TPM's error, without its layer and its handle, session or parameter number. */
TSS2_RC tpm2_rc_base(TSS2_RC rc);

#endif
