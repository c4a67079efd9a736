/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stddef.h>
#include <stdint.h>

#include "base/log.h"
#include "luks/luks1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct luks_header hdr;

	log_set_max_level(LOG_LEVEL_QUIET);
	if (luks1_header_parse(&hdr, data, size) == 0)
		luks_header_done(&hdr);
	return 0;
}
