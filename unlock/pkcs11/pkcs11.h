/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_PKCS11_PKCS11_H
#define UNLOCK_PKCS11_PKCS11_H

/*
 * The helper's PKCS#11 steps, as systemd-cryptsetup takes them: every module p11-kit's registry
 * lists, the first slot whose token matches the URI, a login (no PIN when the token needs none,
 * its PIN pad when it has one, else the PIN unlock asked for), the one private key the URI names,
 * and the token's decryption (RSA) or key agreement (EC) of the header's pkcs11-key.
 */

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>
#include <stdbool.h>

#include "crypto/secret.h"
#include "pkcs11/token.h"
#include "token/protocol.h"

struct pkcs11_slot {
	CK_FUNCTION_LIST *module;
	CK_SLOT_ID id;
	CK_TOKEN_INFO info;
	char label[sizeof(((CK_TOKEN_INFO *)0)->label) + 1]; /* without its padding */
	CK_SESSION_HANDLE session;
};

/* find.c: the token the URI matches, with a session open on it; failures filled into a. */
int pkcs11_slot_find(CK_FUNCTION_LIST **modules, P11KitUri *uri, struct pkcs11_slot *slot, struct token_answer *a);
void pkcs11_slot_close(struct pkcs11_slot *slot);
/* The objects of this class (and extra attribute, if any) the URI's other attributes name: found is
 * how many, counted up to 2; object is the first. -EIO when the token fails the search. */
int pkcs11_object_find(struct pkcs11_slot *slot, P11KitUri *uri, CK_OBJECT_CLASS class, const CK_ATTRIBUTE *extra,
		       CK_OBJECT_HANDLE *object, CK_ULONG *found);

/* login.c: 0 once logged in (or none needed); -ENOKEY with a need-pin answer when a PIN is wanted. */
int pkcs11_login(struct pkcs11_slot *slot, const uint8_t *pin, size_t pin_len, struct token_answer *a);

/* key.c: the secret the token's private key yields for the header's pkcs11-key, in locked memory. */
int pkcs11_key_recover(struct pkcs11_slot *slot, P11KitUri *uri, const struct pkcs11_token *t, struct secret **out,
		       struct token_answer *a);

/* ec_point.c: the uncompressed EC point (04 || X || Y) of the header's key, bare (as systemd 256 and 257
 * write it) or in a DER SubjectPublicKeyInfo, and its curve's field size. */
int pkcs11_ec_point(const uint8_t *key, size_t len, const uint8_t **point, size_t *point_len, size_t *field_len);

#endif
