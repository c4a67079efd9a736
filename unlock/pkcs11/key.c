/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "base/util.h"
#include "pkcs11/pkcs11.h"

/*
 * The URI's object attributes, its class made the private key's (systemd 257 writes a certificate's
 * or public key's URI so, and reads it so), and usage: decrypt, else derive. Exactly one must match.
 */
static int key_search(struct pkcs11_slot *slot, P11KitUri *uri, CK_ATTRIBUTE_TYPE usage, CK_OBJECT_HANDLE *key,
		      CK_ULONG *found)
{
	static CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE use = { usage, &yes, sizeof(yes) };

	return pkcs11_object_find(slot, uri, CKO_PRIVATE_KEY, &use, key, found);
}

static bool uri_class_usable(P11KitUri *uri)
{
	CK_ATTRIBUTE *class = p11_kit_uri_get_attribute(uri, CKA_CLASS);
	CK_OBJECT_CLASS c;

	if (!class)
		return true;
	if (class->ulValueLen != sizeof(c))
		return false;
	memcpy(&c, class->pValue, sizeof(c));
	return c == CKO_PRIVATE_KEY || c == CKO_CERTIFICATE || c == CKO_PUBLIC_KEY;
}

static int key_find(struct pkcs11_slot *slot, P11KitUri *uri, CK_OBJECT_HANDLE *key, struct token_answer *a)
{
	CK_ULONG found = 0;
	int r;

	if (!uri_class_usable(uri)) {
		token_answer_fail(a, TOKEN_FAIL_BAD_TOKEN, "the URI's type= names no key");
		return -EINVAL;
	}
	r = key_search(slot, uri, CKA_DECRYPT, key, &found);
	if (r == 0 && found != 1)
		r = key_search(slot, uri, CKA_DERIVE, key, &found);
	if (r < 0)
		token_answer_fail(a, TOKEN_FAIL_DEVICE, "searching token '%s' for its key failed", slot->label);
	else if (found == 0)
		token_answer_fail(a, TOKEN_FAIL_DEVICE, "token '%s' holds no private key the URI names", slot->label);
	else if (found > 1)
		token_answer_fail(a, TOKEN_FAIL_DEVICE, "the URI names more than one private key on token '%s'", slot->label);
	return r < 0 ? r : found == 1 ? 0 : -ENOENT;
}

/* RSA: the token decrypts the key with PKCS#1 v1.5; the result is no longer than the modulus. */
static int rsa_decrypt(struct pkcs11_slot *slot, CK_OBJECT_HANDLE key, const struct pkcs11_token *t,
		       struct secret **out, struct token_answer *a)
{
	CK_MECHANISM mech = { CKM_RSA_PKCS, NULL, 0 };
	CK_FUNCTION_LIST *m = slot->module;
	struct secret *s = secret_new(t->key_len);
	CK_ULONG len = t->key_len;
	CK_RV rv;

	if (!s)
		return -ENOMEM;
	rv = m->C_DecryptInit(slot->session, &mech, key);
	if (rv == CKR_OK)
		rv = m->C_Decrypt(slot->session, (CK_BYTE *)t->key, t->key_len, s->data, &len);
	if (rv != CKR_OK || len == 0 || len > t->key_len) {
		secret_free(s);
		token_answer_fail(a, TOKEN_FAIL_DEVICE, "token '%s' did not decrypt the key: %s", slot->label,
				  rv == CKR_OK ? "empty result" : p11_kit_strerror(rv));
		return -EIO;
	}
	s->len = len;
	*out = s;
	return 0;
}

/* Some tokens take the peer's point only compressed (their mechanism info says so). */
static size_t point_for_token(const struct pkcs11_slot *slot, const uint8_t *point, size_t len, uint8_t *out)
{
	CK_MECHANISM_INFO info;
	size_t field = (len - 1) / 2;

	if (slot->module->C_GetMechanismInfo(slot->id, CKM_ECDH1_DERIVE, &info) != CKR_OK ||
	    (info.flags & CKF_EC_UNCOMPRESS) || !(info.flags & CKF_EC_COMPRESS)) {
		memcpy(out, point, len);
		return len;
	}
	out[0] = 0x02 | (point[len - 1] & 1);
	memcpy(out + 1, point + 1, field);
	return field + 1;
}

/* The shared secret as a session object of the token's, read, then destroyed. */
static int ecdh_value(struct pkcs11_slot *slot, CK_OBJECT_HANDLE derived, size_t field_len, struct secret **out)
{
	struct secret *s = secret_new(field_len);
	CK_ATTRIBUTE value = { CKA_VALUE, NULL, 0 };
	int r = -EIO;

	if (!s)
		return -ENOMEM;
	if (slot->module->C_GetAttributeValue(slot->session, derived, &value, 1) == CKR_OK &&
	    value.ulValueLen == field_len) {
		value.pValue = s->data;
		if (slot->module->C_GetAttributeValue(slot->session, derived, &value, 1) == CKR_OK)
			s->len = field_len, r = 0;
	}
	slot->module->C_DestroyObject(slot->session, derived);
	if (r < 0)
		secret_free(s);
	else
		*out = s;
	return r;
}

/* EC: ECDH of the token's key with the ephemeral key in the header, no KDF; the secret is X. */
static int ec_derive(struct pkcs11_slot *slot, CK_OBJECT_HANDLE key, const struct pkcs11_token *t,
		     struct secret **out, struct token_answer *a)
{
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	static CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
	static CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
	uint8_t peer[1 + 2 * 66];
	const uint8_t *point;
	size_t point_len, field_len;
	CK_ULONG value_len;
	CK_OBJECT_HANDLE derived = CK_INVALID_HANDLE;
	CK_ECDH1_DERIVE_PARAMS params = { .kdf = CKD_NULL };
	CK_MECHANISM mech = { CKM_ECDH1_DERIVE, &params, sizeof(params) };
	CK_ATTRIBUTE template[] = {
		{ CKA_TOKEN, &no, sizeof(no) },           { CKA_CLASS, &secret_class, sizeof(secret_class) },
		{ CKA_KEY_TYPE, &generic, sizeof(generic) }, { CKA_VALUE_LEN, &value_len, sizeof(value_len) },
		{ CKA_SENSITIVE, &no, sizeof(no) },       { CKA_EXTRACTABLE, &yes, sizeof(yes) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },       { CKA_DECRYPT, &yes, sizeof(yes) },
	};
	int r = pkcs11_ec_point(t->key, t->key_len, &point, &point_len, &field_len);
	CK_RV rv;

	if (r < 0) {
		token_answer_fail(a, r == -EOPNOTSUPP ? TOKEN_FAIL_UNSUPPORTED : TOKEN_FAIL_BAD_TOKEN,
				  r == -EOPNOTSUPP ? "the token's EC key is on a curve or in a form unlock does not know"
						   : "the token's pkcs11-key is not an EC public key");
		return r;
	}
	value_len = field_len;
	params.ulPublicDataLen = point_for_token(slot, point, point_len, peer);
	params.pPublicData = peer;
	rv = slot->module->C_DeriveKey(slot->session, &mech, key, template, ARRAY_SIZE(template), &derived);
	if (rv != CKR_OK) {
		token_answer_fail(a, TOKEN_FAIL_DEVICE, "token '%s' did not derive the key: %s", slot->label,
				  p11_kit_strerror(rv));
		return -EIO;
	}
	if ((r = ecdh_value(slot, derived, field_len, out)) == -EIO)
		token_answer_fail(a, TOKEN_FAIL_DEVICE, "token '%s' did not give the derived key back", slot->label);
	return r;
}

int pkcs11_key_recover(struct pkcs11_slot *slot, P11KitUri *uri, const struct pkcs11_token *t, struct secret **out,
		       struct token_answer *a)
{
	CK_KEY_TYPE type;
	CK_ATTRIBUTE type_attr = { CKA_KEY_TYPE, &type, sizeof(type) };
	CK_OBJECT_HANDLE key;
	int r = key_find(slot, uri, &key, a);

	if (r < 0)
		return r;
	if (slot->module->C_GetAttributeValue(slot->session, key, &type_attr, 1) != CKR_OK) {
		token_answer_fail(a, TOKEN_FAIL_DEVICE, "token '%s' does not say what kind of key it holds", slot->label);
		return -EIO;
	}
	if (type == CKK_RSA)
		return rsa_decrypt(slot, key, t, out, a);
	if (type == CKK_EC)
		return ec_derive(slot, key, t, out, a);
	token_answer_fail(a, TOKEN_FAIL_UNSUPPORTED, "the key on token '%s' is neither RSA nor EC", slot->label);
	return -EOPNOTSUPP;
}
