/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BASE64_H
#define UNLOCK_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Decodes standard base64 with '=' padding and no line breaks (at most 1 MiB of text); -EINVAL,
 * -ENOSPC or -ENOMEM on failure. */
int base64_decode(const char *text, uint8_t *out, size_t out_size, size_t *out_len);

#endif
