/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_FILEIO_H
#define UNLOCK_FILEIO_H

#include <stddef.h>

/* The first line of a file (a sysfs attribute, say) without its newline, cut to size - 1 bytes.
 * 0, -errno when it cannot be opened, -EIO when it is empty. */
int read_one_line_file(const char *path, char *buf, size_t size);

/* A whole (small) file as text, cut to size - 1 bytes; 0 or -errno. */
int read_text_file(const char *path, char *buf, size_t size);

#endif
