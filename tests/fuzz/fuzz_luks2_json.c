/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "luks/luks2.h"

/* The JSON area as it sits behind a 16 KiB header, NUL padded. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char area[LUKS2_HDR_SIZE_MIN - LUKS2_BIN_SIZE];
	struct luks_header hdr = { .version = 2, .hdr_size = LUKS2_HDR_SIZE_MIN };

	log_set_max_level(LOG_LEVEL_QUIET);
	if (size > sizeof(area))
		return 0;
	memset(area, 0, sizeof(area));
	memcpy(area, data, size);
	luks2_json_parse(&hdr, area, sizeof(area));
	luks_header_done(&hdr);
	return 0;
}
