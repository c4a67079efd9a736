/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_PKCS11_TOKEN_H
#define UNLOCK_PKCS11_TOKEN_H

/*
 * A systemd-pkcs11 token of a LUKS2 header, as systemd 245 to 258 write it: "pkcs11-uri" (RFC 7512)
 * names the token and its private key, "pkcs11-key" (base64) is either a random key encrypted to
 * that RSA key with PKCS#1 v1.5, or the public point of an ephemeral EC key whose ECDH secret with
 * that EC key is the key (systemd 256 and later). The keyslot's passphrase is the base64 of the key.
 */

#include <stddef.h>
#include <stdint.h>

#define PKCS11_URI_MAX 1024
#define PKCS11_KEY_MAX 2048

struct pkcs11_token {
	char uri[PKCS11_URI_MAX];
	uint8_t key[PKCS11_KEY_MAX];
	size_t key_len;
};

/* -EBADMSG (damaged) or -EOPNOTSUPP (a field not known) with the reason in why. */
int pkcs11_token_parse(const uint8_t *json, size_t len, struct pkcs11_token *t, char *why, size_t why_size);

#endif
