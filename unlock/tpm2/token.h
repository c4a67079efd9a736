/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TPM2_TOKEN_H
#define UNLOCK_TPM2_TOKEN_H

/*
 * A systemd-tpm2 token of a LUKS2 header (../shared/FORMATS.md), as systemd 252 to 257 write it:
 * every field checked, and a field this helper does not know refused with the reason rather than
 * guessed at. systemd 257 splits the secret in two shards when a pcrlock policy and a signed one
 * are combined: tpm2-blob and tpm2-policy-hash are then arrays, shard 0 the signed policy's. The blob may carry
 * a seed for TPM2_Import after its two parts (systemd 255's enrollment without the TPM).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TPM2_BLOB_MAX 4096 /* TPM2B_PRIVATE, TPM2B_PUBLIC and an import seed, each bounded by tss2 */
#define TPM2_PUBKEY_MAX 8192
#define TPM2_PCRS 24

#define TPM2_SHARDS_MAX 2

struct tpm2_shard {
	uint8_t blob[TPM2_BLOB_MAX]; /* TPM2B_PRIVATE || TPM2B_PUBLIC (|| an import seed) */
	size_t blob_len;
	uint8_t policy_hash[64];     /* tpm2-policy-hash; empty: not checked before unsealing */
	size_t policy_hash_len;
};

struct tpm2_token {
	struct tpm2_shard shards[TPM2_SHARDS_MAX];
	size_t n_shards;             /* blobs: 2 for pcrlock with a signed policy, else 1 */
	uint32_t pcr_mask;           /* tpm2-pcrs */
	uint16_t pcr_bank;           /* TPM2_ALG_SHA1/SHA256/SHA384/SHA512; 0: none written, the best one */
	uint16_t primary_alg;        /* TPM2_ALG_ECC or TPM2_ALG_RSA */
	bool pin;                    /* tpm2-pin */
	char pubkey[TPM2_PUBKEY_MAX]; /* tpm2_pubkey: the PEM text of the PCR policy signing key */
	size_t pubkey_len;
	uint32_t pubkey_pcr_mask;    /* tpm2_pubkey_pcrs */
	uint8_t salt[64];            /* tpm2_salt: the PIN's PBKDF2 salt */
	size_t salt_len;
	uint8_t srk[1024];           /* tpm2_srk: the serialized handle of the persistent primary key */
	size_t srk_len;
	bool pcrlock;                /* tpm2_pcrlock: systemd-pcrlock's policy (tpm2/pcrlock.h) */
	uint8_t pcrlock_nv[1024];    /* tpm2_pcrlock_nv: the serialized handle of its NV index */
	size_t pcrlock_nv_len;
};

/* -EBADMSG (damaged) or -EOPNOTSUPP (not implemented) with the reason in why. */
int tpm2_token_parse(const uint8_t *json, size_t len, struct tpm2_token *t, char *why, size_t why_size);
/* "7+11" for a PCR mask, or "none". */
void tpm2_pcr_mask_text(uint32_t mask, char *out, size_t size);
const char *tpm2_bank_name(uint16_t bank);
/* sha1, sha256, sha384 or sha512 (any case); -EINVAL for others. */
int tpm2_bank_from_name(const char *name, uint16_t *bank);
/* 20, 32, 48, 64, or 0 for a bank other than SHA-1 and SHA-2. */
size_t tpm2_bank_digest_size(uint16_t bank);

#endif
