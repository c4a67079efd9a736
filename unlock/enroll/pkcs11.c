/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "enroll/pkcs11.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "pkcs11/pkcs11.h"

#define ATTRIBUTE_MAX (64u << 10)

/* An attribute of variable length, read into a new buffer. */
static int attribute_read(struct pkcs11_slot *slot, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, uint8_t **out,
			  size_t *len)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };

	if (slot->module->C_GetAttributeValue(slot->session, o, &a, 1) != CKR_OK || a.ulValueLen == 0 ||
	    a.ulValueLen > ATTRIBUTE_MAX)
		return -EIO;
	if (!(a.pValue = malloc(a.ulValueLen)))
		return -ENOMEM;
	if (slot->module->C_GetAttributeValue(slot->session, o, &a, 1) != CKR_OK) {
		free(a.pValue);
		return -EIO;
	}
	*out = a.pValue;
	*len = a.ulValueLen;
	return 0;
}

/* The one object of this class the URI's attributes name (its class aside); -ENOENT if none. */
static int object_find(struct pkcs11_slot *slot, P11KitUri *uri, CK_OBJECT_CLASS class, CK_OBJECT_HANDLE *o)
{
	CK_ULONG count;
	int r = pkcs11_object_find(slot, uri, class, NULL, o, &count);

	if (r < 0)
		return r;
	return count > 1 ? -ENOTUNIQ : count == 1 ? 0 : -ENOENT;
}

static EVP_PKEY *key_from_certificate(struct pkcs11_slot *slot, CK_OBJECT_HANDLE o)
{
	uint8_t *der = NULL;
	const uint8_t *p;
	size_t len;
	X509 *cert;
	EVP_PKEY *key = NULL;

	if (attribute_read(slot, o, CKA_VALUE, &der, &len) < 0)
		return NULL;
	p = der;
	if ((cert = d2i_X509(NULL, &p, (long)len))) {
		key = X509_get_pubkey(cert);
		X509_free(cert);
	}
	free(der);
	return key;
}

static EVP_PKEY *key_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *key = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return key;
}

static EVP_PKEY *rsa_public_key(struct pkcs11_slot *slot, CK_OBJECT_HANDLE o)
{
	uint8_t *n = NULL, *e = NULL;
	size_t n_len, e_len;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *key = NULL;

	if (bld && attribute_read(slot, o, CKA_MODULUS, &n, &n_len) == 0 &&
	    attribute_read(slot, o, CKA_PUBLIC_EXPONENT, &e, &e_len) == 0 && (bn_n = BN_bin2bn(n, (int)n_len, NULL)) &&
	    (bn_e = BN_bin2bn(e, (int)e_len, NULL)) && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		key = key_from_params("RSA", bld);
	BN_free(bn_n);
	BN_free(bn_e);
	OSSL_PARAM_BLD_free(bld);
	free(n);
	free(e);
	return key;
}

/* CKA_EC_PARAMS names the curve by OID; CKA_EC_POINT is the point, DER-wrapped as the standard says
 * (some tokens give it bare). */
static EVP_PKEY *ec_public_key(struct pkcs11_slot *slot, CK_OBJECT_HANDLE o)
{
	uint8_t *params = NULL, *point = NULL;
	size_t params_len, point_len;
	const uint8_t *p;
	ASN1_OBJECT *oid = NULL;
	ASN1_OCTET_STRING *wrapped = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *key = NULL;
	const char *curve;

	if (!bld || attribute_read(slot, o, CKA_EC_PARAMS, &params, &params_len) < 0 ||
	    attribute_read(slot, o, CKA_EC_POINT, &point, &point_len) < 0)
		goto out;
	p = params;
	if (!(oid = d2i_ASN1_OBJECT(NULL, &p, (long)params_len)) || !(curve = OBJ_nid2sn(OBJ_obj2nid(oid))))
		goto out;
	p = point;
	wrapped = d2i_ASN1_OCTET_STRING(NULL, &p, (long)point_len);
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					     wrapped ? ASN1_STRING_get0_data(wrapped) : point,
					     wrapped ? (size_t)ASN1_STRING_length(wrapped) : point_len))
		key = key_from_params("EC", bld);
out:
	ASN1_OCTET_STRING_free(wrapped);
	ASN1_OBJECT_free(oid);
	OSSL_PARAM_BLD_free(bld);
	free(params);
	free(point);
	return key;
}

static EVP_PKEY *public_key_object(struct pkcs11_slot *slot, CK_OBJECT_HANDLE o)
{
	CK_KEY_TYPE type;
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &type, sizeof(type) };

	if (slot->module->C_GetAttributeValue(slot->session, o, &a, 1) != CKR_OK)
		return NULL;
	return type == CKK_RSA ? rsa_public_key(slot, o) : type == CKK_EC ? ec_public_key(slot, o) : NULL;
}

/* The token's public key: its certificate's, else its public key object's, as the URI names them. */
static int public_key_find(struct pkcs11_slot *slot, P11KitUri *uri, EVP_PKEY **key)
{
	CK_OBJECT_HANDLE o;
	int r = object_find(slot, uri, CKO_CERTIFICATE, &o);

	if (r == 0)
		*key = key_from_certificate(slot, o);
	else if (r == -ENOENT && (r = object_find(slot, uri, CKO_PUBLIC_KEY, &o)) == 0)
		*key = public_key_object(slot, o);
	if (r == -ENOENT)
		return log_error_ret(r, "token '%s' holds no certificate or public key the URI names", slot->label);
	if (r == -ENOTUNIQ)
		return log_error_ret(r, "the URI names more than one certificate or public key on token '%s': name one (object=, id=)",
				     slot->label);
	if (r < 0)
		return log_error_ret(r, "searching token '%s' failed", slot->label);
	return *key ? 0 : log_error_ret(-EBADMSG, "the public key on token '%s' is neither RSA nor a known EC curve", slot->label);
}

/* RSA: a random key of half the modulus, encrypted with PKCS#1 v1.5 (systemd's sizes). */
static int rsa_keys(EVP_PKEY *pub, struct secret **secret, struct pkcs11_enrollment *e)
{
	size_t size = (size_t)EVP_PKEY_get_bits(pub) / 8 / 2, len = sizeof(e->key);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
	int r = -EIO;

	if (size < 1 || !(*secret = secret_new(size)) || RAND_bytes((*secret)->data, (int)size) != 1)
		goto out;
	(*secret)->len = size;
	if (ctx && EVP_PKEY_encrypt_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	    EVP_PKEY_encrypt(ctx, e->key, &len, (*secret)->data, size) > 0)
		e->key_len = len, r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* EC: an ephemeral key of the token key's curve; the ECDH secret is the key, the ephemeral key's
 * public point (uncompressed, as systemd 256 and 257 store it) is what the header keeps. */
static int ec_keys(EVP_PKEY *pub, struct secret **secret, struct pkcs11_enrollment *e)
{
	char curve[64];
	EVP_PKEY *eph = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t *point = NULL;
	size_t len = 0, point_len;
	int r = -EIO;

	if (!EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve), NULL) ||
	    !(eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve)) || !(ctx = EVP_PKEY_CTX_new(eph, NULL)) ||
	    EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, pub) <= 0 ||
	    EVP_PKEY_derive(ctx, NULL, &len) <= 0 || !(*secret = secret_new(len)) ||
	    EVP_PKEY_derive(ctx, (*secret)->data, &len) <= 0)
		goto out;
	(*secret)->len = len;
	point_len = EVP_PKEY_get1_encoded_public_key(eph, &point);
	if (point_len > 0 && point_len <= sizeof(e->key) && point[0] == 0x04) {
		memcpy(e->key, point, point_len);
		e->key_len = point_len;
		e->ec = true;
		r = 0;
	}
out:
	OPENSSL_free(point);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(eph);
	return r;
}

/* systemd stores the private key's URI when it was given a certificate's or public key's. */
static int uri_for_header(P11KitUri *uri, const char *given, char *out, size_t size)
{
	CK_OBJECT_CLASS private_key = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE class = { CKA_CLASS, &private_key, sizeof(private_key) };
	char *text = NULL;
	int r = 0;

	if (!p11_kit_uri_get_attribute(uri, CKA_CLASS))
		return snprintf(out, size, "%s", given) < (int)size ? 0 : -ENAMETOOLONG;
	if (p11_kit_uri_set_attribute(uri, &class) != P11_KIT_URI_OK ||
	    p11_kit_uri_format(uri, P11_KIT_URI_FOR_ANY, &text) != P11_KIT_URI_OK)
		return -EINVAL;
	if (snprintf(out, size, "%s", text) >= (int)size)
		r = -ENAMETOOLONG;
	free(text);
	return r;
}

static int passphrase_of(const struct secret *key, struct secret **out)
{
	size_t len = 4 * ((key->len + 2) / 3);

	if (!(*out = secret_new(len + 1)))
		return -ENOMEM;
	EVP_EncodeBlock((*out)->data, key->data, (int)key->len);
	(*out)->len = len;
	return 0;
}

static int enroll_on_slot(struct pkcs11_slot *slot, P11KitUri *uri, struct pkcs11_enrollment *e,
			  struct secret **passphrase)
{
	_cleanup_secret_ struct secret *key = NULL;
	EVP_PKEY *pub = NULL;
	int r = public_key_find(slot, uri, &pub);

	if (r < 0)
		return r;
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA)
		r = rsa_keys(pub, &key, e);
	else if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC)
		r = ec_keys(pub, &key, e);
	else
		r = log_error_ret(-EOPNOTSUPP, "the key on token '%s' is neither RSA nor EC", slot->label);
	EVP_PKEY_free(pub);
	if (r == -EIO)
		log_error("making the token's key with OpenSSL failed");
	return r < 0 ? r : passphrase_of(key, passphrase);
}

int pkcs11_enroll_prepare(const char *uri_text, struct pkcs11_enrollment *e, struct secret **passphrase)
{
	P11KitUri *uri = p11_kit_uri_new();
	CK_FUNCTION_LIST **modules = NULL;
	struct token_answer a = { 0 };
	struct pkcs11_slot slot;
	int r;

	memset(e, 0, sizeof(*e));
	if (!uri)
		return -ENOMEM;
	if (p11_kit_uri_parse(uri_text, P11_KIT_URI_FOR_ANY, uri) != P11_KIT_URI_OK) {
		r = log_error_ret(-EINVAL, "%s is not a PKCS#11 URI", uri_text);
	} else {
		modules = p11_kit_modules_load_and_initialize(0);
		if ((r = pkcs11_slot_find(modules, uri, &slot, &a)) < 0)
			log_error("%s: %s", uri_text, a.reason);
		else {
			r = enroll_on_slot(&slot, uri, e, passphrase);
			pkcs11_slot_close(&slot);
		}
	}
	if (r == 0 && (r = uri_for_header(uri, uri_text, e->uri, sizeof(e->uri))) < 0)
		log_error("%s: the URI cannot be stored", uri_text);
	if (modules)
		p11_kit_modules_finalize_and_release(modules);
	p11_kit_uri_free(uri);
	return r;
}
