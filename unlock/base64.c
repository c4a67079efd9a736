/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base64.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

int base64_decode(const char *text, uint8_t *out, size_t out_size, size_t *out_len)
{
	size_t len = strlen(text), pad = 0;
	uint8_t tmp[3 * 1024];
	int n;

	if (len == 0 || len % 4 || len / 4 * 3 > sizeof(tmp))
		return -EINVAL;
	while (pad < 2 && text[len - 1 - pad] == '=')
		pad++;
	/* EVP_DecodeBlock accepts '=' anywhere and skips blanks: allow neither. */
	if (strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != len - pad)
		return -EINVAL;
	n = EVP_DecodeBlock(tmp, (const unsigned char *)text, (int)len);
	if (n < 0 || (size_t)n < pad)
		return -EINVAL;
	if ((size_t)n - pad > out_size)
		return -ENOSPC;
	memcpy(out, tmp, (size_t)n - pad);
	*out_len = (size_t)n - pad;
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
}
