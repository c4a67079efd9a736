/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fileio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int read_one_line_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	int r = -EIO;

	if (!f)
		return -errno;
	if (fgets(buf, (int)size, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		r = 0;
	}
	fclose(f);
	return r;
}
