/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BASE_HEX_H
#define UNLOCK_BASE_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Decodes an even number of hex digits (either case), at most size bytes' worth; -EINVAL otherwise. */
int hex_decode(const char *text, uint8_t *out, size_t size, size_t *len);

#endif
