/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_ENROLL_PKCS11_H
#define UNLOCK_ENROLL_PKCS11_H

/*
 * Enrolling a systemd-pkcs11 token as systemd-cryptenroll does: the token's public key (from its
 * X.509 certificate, else its public key object) encrypts a random key with PKCS#1 v1.5 (RSA), or
 * an ephemeral key of the same curve agrees on one with it by ECDH (EC, systemd 256 and later;
 * the header keeps the ephemeral public point);
 * the keyslot's passphrase is that key's base64. No PIN is needed: only public objects are read.
 */

#include <stdbool.h>

#include "crypto/secret.h"
#include "pkcs11/token.h"

struct pkcs11_enrollment {
	char uri[PKCS11_URI_MAX];    /* what the token stores: type=cert or type=public made type=private */
	uint8_t key[PKCS11_KEY_MAX]; /* pkcs11-key */
	size_t key_len;
	bool ec;                     /* an EC key: systemd before 256 cannot open the token */
};

/* 0 with e filled and the new keyslot's passphrase; -errno with the reason logged. */
int pkcs11_enroll_prepare(const char *uri, struct pkcs11_enrollment *e, struct secret **passphrase);

#endif
