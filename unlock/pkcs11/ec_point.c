/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ephemeral EC key a systemd-pkcs11 token keeps: systemd 256 and 257 store its point as it is
 * (uncompressed: 04 || X || Y); a DER SubjectPublicKeyInfo holding it is read too. The DER is read
 * by hand: a DER library (libcrypto, libtasn1) would put megabytes into every image that carries
 * the helper, for four fixed elements whose lengths are all checked against the buffer here.
 */
#include <errno.h>
#include <string.h>

#include "base/util.h"
#include "pkcs11/pkcs11.h"

#define DER_SEQUENCE 0x30
#define DER_OID 0x06
#define DER_BIT_STRING 0x03

struct der {
	const uint8_t *p;
	size_t left;
};

/* The next element, which must have the tag; its contents in *body. Lengths up to 2^16. */
static int der_take(struct der *d, uint8_t tag, struct der *body)
{
	size_t len, head = 2;

	if (d->left < 2 || d->p[0] != tag)
		return -EBADMSG;
	len = d->p[1];
	if (len == 0x81 || len == 0x82) {
		size_t n = len & 0x7f;
		if (d->left < 2 + n)
			return -EBADMSG;
		len = n == 1 ? d->p[2] : (size_t)d->p[2] << 8 | d->p[3];
		head += n;
	} else if (len > 0x7f) {
		return -EBADMSG;
	}
	if (len > d->left - head)
		return -EBADMSG;
	*body = (struct der){ d->p + head, len };
	d->p += head + len;
	d->left -= head + len;
	return 0;
}

static bool der_is(const struct der *d, const uint8_t *bytes, size_t len)
{
	return d->left == len && memcmp(d->p, bytes, len) == 0;
}

/* The named curves systemd can enroll with, by OID (RFC 5480), and their field sizes. */
static const struct {
	uint8_t oid[8];
	size_t oid_len;
	size_t field_len;
} curves[] = {
	{ { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 }, 8, 32 }, /* prime256v1 */
	{ { 0x2b, 0x81, 0x04, 0x00, 0x22 }, 5, 48 },                   /* secp384r1 */
	{ { 0x2b, 0x81, 0x04, 0x00, 0x23 }, 5, 66 },                   /* secp521r1 */
};

static int curve_field_len(const struct der *oid, size_t *field_len)
{
	for (size_t i = 0; i < ARRAY_SIZE(curves); i++)
		if (der_is(oid, curves[i].oid, curves[i].oid_len))
			return *field_len = curves[i].field_len, 0;
	return -EOPNOTSUPP;
}

/* A bare uncompressed point of one of those curves. */
static bool raw_point(const uint8_t *key, size_t len, size_t *field_len)
{
	for (size_t i = 0; i < ARRAY_SIZE(curves); i++)
		if (len == 1 + 2 * curves[i].field_len && key[0] == 0x04)
			return *field_len = curves[i].field_len, true;
	return false;
}

static int spki_ec_point(const uint8_t *der, size_t len, const uint8_t **point, size_t *point_len, size_t *field_len)
{
	static const uint8_t ec_public_key[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
	struct der in = { der, len }, spki, alg, alg_oid, curve, bits;
	int r;

	if (der_take(&in, DER_SEQUENCE, &spki) < 0 || in.left || der_take(&spki, DER_SEQUENCE, &alg) < 0 ||
	    der_take(&spki, DER_BIT_STRING, &bits) < 0 || spki.left || der_take(&alg, DER_OID, &alg_oid) < 0)
		return -EBADMSG;
	if (!der_is(&alg_oid, ec_public_key, sizeof(ec_public_key)))
		return -EOPNOTSUPP;
	if (der_take(&alg, DER_OID, &curve) < 0 || alg.left)
		return -EBADMSG;
	if ((r = curve_field_len(&curve, field_len)) < 0)
		return r;
	/* No unused bits, then the point as systemd writes it: uncompressed. */
	if (bits.left != 2 + 2 * *field_len || bits.p[0] != 0 || bits.p[1] != 0x04)
		return bits.left == 2 + *field_len && bits.p[0] == 0 && (bits.p[1] == 2 || bits.p[1] == 3) ? -EOPNOTSUPP
													: -EBADMSG;
	*point = bits.p + 1;
	*point_len = bits.left - 1;
	return 0;
}

int pkcs11_ec_point(const uint8_t *key, size_t len, const uint8_t **point, size_t *point_len, size_t *field_len)
{
	if (len > 0 && raw_point(key, len, field_len)) {
		*point = key;
		*point_len = len;
		return 0;
	}
	if (len > 0 && key[0] == DER_SEQUENCE)
		return spki_ec_point(key, len, point, point_len, field_len);
	return len > 0 && (key[0] == 0x02 || key[0] == 0x03) ? -EOPNOTSUPP : -EBADMSG;
}
