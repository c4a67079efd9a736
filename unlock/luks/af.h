/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_AF_H
#define UNLOCK_AF_H

#include <stddef.h>
#include <stdint.h>

/* Merges stripes x key_len bytes of split key material into key (the LUKS anti-forensic splitter). */
int af_merge(const uint8_t *material, size_t key_len, uint32_t stripes, const char *hash, uint8_t *key);

#endif
