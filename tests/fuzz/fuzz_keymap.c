/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "boot/keymap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct keymap km;

	keymap_parse(data, size, &km);
	return 0;
}
