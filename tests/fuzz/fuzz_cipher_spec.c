/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "base/log.h"
#include "crypto/cipher.h"
#include "luks/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256];
	struct cipher_spec spec;
	uint8_t out[128];
	size_t out_len;

	log_set_max_level(LOG_LEVEL_QUIET);
	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cipher_spec_parse(text, &spec);
	cipher_spec_known(text);
	base64_decode(text, out, sizeof(out), &out_len);
	return 0;
}
