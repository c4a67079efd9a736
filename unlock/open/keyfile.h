/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_KEYFILE_H
#define UNLOCK_KEYFILE_H

#include <stdint.h>

#include "crypto/secret.h"

#define KEYFILE_SIZE_ALL 0

/*
 * Reads a key file as crypttab and cryptsetup do: skip `offset` bytes, then read `size` bytes
 * (all of it to end of file when KEYFILE_SIZE_ALL, at most 8 MiB). "-" is standard input.
 */
int keyfile_read(const char *path, uint64_t offset, uint64_t size, struct secret **out);
/* The same from an open file; name is what messages call it. */
int keyfile_read_fd(int fd, const char *name, uint64_t offset, uint64_t size, struct secret **out);

#endif
