/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "luks/base64.h"

#include <errno.h>
#include <nettle/base64.h>
#include <stdlib.h>
#include <string.h>

#define BASE64_TEXT_MAX (1u << 20)

int base64_decode(const char *text, uint8_t *out, size_t out_size, size_t *out_len)
{
	size_t len = strlen(text), pad = 0, n = 0;
	struct base64_decode_ctx ctx;
	uint8_t *tmp;
	int ok;

	if (len == 0 || len % 4 || len > BASE64_TEXT_MAX)
		return -EINVAL;
	while (pad < 2 && text[len - 1 - pad] == '=')
		pad++;
	/* Nettle's decoder skips blanks: allow none, nor '=' but as padding at the end. */
	if (strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != len - pad)
		return -EINVAL;
	if (!(tmp = malloc(BASE64_DECODE_LENGTH(len))))
		return -ENOMEM;
	base64_decode_init(&ctx);
	ok = base64_decode_update(&ctx, &n, tmp, len, text) && base64_decode_final(&ctx);
	if (ok && n <= out_size) {
		memcpy(out, tmp, n);
		*out_len = n;
	}
	explicit_bzero(tmp, BASE64_DECODE_LENGTH(len));
	free(tmp);
	if (!ok)
		return -EINVAL;
	return n > out_size ? -ENOSPC : 0;
}
