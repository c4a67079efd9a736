/* SPDX-License-Identifier: GPL-2.0-or-later */
/* unlock-pkcs11's reading of a systemd-pkcs11 token's JSON and of the EC key in it, as a hostile
 * header would hand them over. */
#include <stdlib.h>
#include <string.h>

#include "pkcs11/pkcs11.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pkcs11_token t;
	const uint8_t *point;
	size_t point_len, field_len;
	char why[256];

	if (size > 65536)
		return 0;
	/* the key itself (a point or DER), then the whole input as a token */
	if (pkcs11_ec_point(data, size, &point, &point_len, &field_len) == 0 &&
	    (point < data || point + point_len > data + size || point_len != 2 * field_len + 1))
		abort();
	if (pkcs11_token_parse(data, size, &t, why, sizeof(why)) < 0)
		return 0;
	if (t.key_len == 0 || t.key_len > sizeof(t.key) || !memchr(t.uri, '\0', sizeof(t.uri)))
		abort();
	if (pkcs11_ec_point(t.key, t.key_len, &point, &point_len, &field_len) == 0 &&
	    (point < t.key || point + point_len > t.key + t.key_len))
		abort();
	return 0;
}
