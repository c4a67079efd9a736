/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_LUKS1_H
#define UNLOCK_LUKS1_H

#include <stddef.h>
#include <stdint.h>

#include "luks/luks.h"

#define LUKS1_HEADER_SIZE 592

/* Parses and validates a LUKS1 header from buf (at least LUKS1_HEADER_SIZE bytes). */
int luks1_header_parse(struct luks_header *hdr, const uint8_t *buf, size_t len);

#endif
