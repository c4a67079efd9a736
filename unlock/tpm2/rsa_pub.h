/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TPM2_RSA_PUB_H
#define UNLOCK_TPM2_RSA_PUB_H

/*
 * A signed PCR policy's key as tpm2_pubkey holds it: an RSA public key in PEM
 * (SubjectPublicKeyInfo), read over Nettle's DER iterator so that the static helper needs no
 * OpenSSL. What it yields is what the policy needs: the modulus and exponent for the TPM, and the
 * PKCS#1 form whose SHA-256 names the key in a signature file.
 */

#include <stddef.h>
#include <stdint.h>

#define RSA_PUB_MODULUS_MAX 512 /* 4096 bits, the most a TPM2B_PUBLIC_KEY_RSA holds */
#define RSA_PUB_DER_MAX 1024

struct rsa_pub {
	uint8_t modulus[RSA_PUB_MODULUS_MAX]; /* big-endian, no leading zero */
	size_t modulus_len;
	uint32_t exponent;
	uint8_t pkcs1[RSA_PUB_DER_MAX];       /* the RSAPublicKey's DER */
	size_t pkcs1_len;
};

/* -EINVAL unless pem is one "PUBLIC KEY" block of an RSA key this size. */
int rsa_pub_from_pem(const char *pem, size_t len, struct rsa_pub *key);

#endif
