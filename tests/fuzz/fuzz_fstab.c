/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "cmd/check.h"

/* Input: a volume name, a NUL byte, then the fstab text. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	char name[64], why[BOOT_PATH_MAX + 64];
	char *fstab;
	size_t n;

	if (!nul || (size_t)(nul - data) >= sizeof(name))
		return 0;
	n = (size_t)(nul - data);
	memcpy(name, data, n);
	name[n] = '\0';
	fstab = malloc(size - n);
	if (!fstab)
		return 0;
	memcpy(fstab, nul + 1, size - n - 1);
	fstab[size - n - 1] = '\0';
	check_fstab_later_use(fstab, name, why, sizeof(why));
	free(fstab);
	return 0;
}
