/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tpm2/rsa_pub.h"

#include <errno.h>
#include <nettle/asn1.h>
#include <stdlib.h>
#include <string.h>

#include "luks/base64.h"

#define PEM_BEGIN "-----BEGIN PUBLIC KEY-----"
#define PEM_END "-----END PUBLIC KEY-----"
#define PEM_DER_MAX 2048

/* rsaEncryption, 1.2.840.113549.1.1.1 */
static const uint8_t rsa_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };

/* The DER between the PEM lines, its base64 lines joined. */
static int pem_body(const char *pem, size_t len, uint8_t *der, size_t size, size_t *der_len)
{
	const char *begin = memmem(pem, len, PEM_BEGIN, strlen(PEM_BEGIN)), *end;
	char *text;
	size_t n = 0;
	int r;

	if (!begin)
		return -EINVAL;
	begin += strlen(PEM_BEGIN);
	end = memmem(begin, len - (size_t)(begin - pem), PEM_END, strlen(PEM_END));
	if (!end || !(text = malloc((size_t)(end - begin) + 1)))
		return end ? -ENOMEM : -EINVAL;
	for (const char *c = begin; c < end; c++)
		if (*c != '\n' && *c != '\r')
			text[n++] = *c;
	text[n] = '\0';
	r = base64_decode(text, der, size, der_len);
	free(text);
	return r;
}

/* INTEGER n, INTEGER e, inside RSAPublicKey's SEQUENCE. */
static int rsa_public_key(struct asn1_der_iterator *i, struct rsa_pub *key)
{
	const uint8_t *n;
	size_t n_len;

	if (i->type != ASN1_SEQUENCE || asn1_der_decode_constructed_last(i) != ASN1_ITERATOR_PRIMITIVE ||
	    i->type != ASN1_INTEGER || i->length == 0)
		return -EINVAL;
	n = i->data, n_len = i->length;
	while (n_len > 1 && n[0] == 0)
		n++, n_len--;
	if (n_len > sizeof(key->modulus) || asn1_der_iterator_next(i) != ASN1_ITERATOR_PRIMITIVE ||
	    i->type != ASN1_INTEGER || !asn1_der_get_uint32(i, &key->exponent) || key->exponent < 3 ||
	    asn1_der_iterator_next(i) != ASN1_ITERATOR_END)
		return -EINVAL;
	memcpy(key->modulus, n, n_len);
	key->modulus_len = n_len;
	return 0;
}

int rsa_pub_from_pem(const char *pem, size_t len, struct rsa_pub *key)
{
	uint8_t der[PEM_DER_MAX];
	struct asn1_der_iterator i, alg;
	size_t der_len;

	memset(key, 0, sizeof(*key));
	if (pem_body(pem, len, der, sizeof(der), &der_len) < 0)
		return -EINVAL;
	/* SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { OID, NULL }, BIT STRING { RSAPublicKey } } */
	if (asn1_der_iterator_first(&i, der_len, der) != ASN1_ITERATOR_CONSTRUCTED || i.type != ASN1_SEQUENCE ||
	    asn1_der_decode_constructed_last(&i) != ASN1_ITERATOR_CONSTRUCTED || i.type != ASN1_SEQUENCE ||
	    asn1_der_decode_constructed(&i, &alg) != ASN1_ITERATOR_PRIMITIVE || alg.type != ASN1_IDENTIFIER ||
	    alg.length != sizeof(rsa_oid) || memcmp(alg.data, rsa_oid, sizeof(rsa_oid)) != 0 ||
	    asn1_der_iterator_next(&i) != ASN1_ITERATOR_PRIMITIVE || i.type != ASN1_BITSTRING || i.length < 2 ||
	    i.data[0] != 0 || i.length - 1 > sizeof(key->pkcs1))
		return -EINVAL;
	memcpy(key->pkcs1, i.data + 1, i.length - 1);
	key->pkcs1_len = i.length - 1;
	if (asn1_der_decode_bitstring_last(&i) != ASN1_ITERATOR_CONSTRUCTED)
		return -EINVAL;
	return rsa_public_key(&i, key);
}
