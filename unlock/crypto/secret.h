/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_SECRET_H
#define UNLOCK_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A passphrase, key file content or key: locked in memory, wiped when freed. */
struct secret {
	size_t len;
	size_t capacity;
	uint8_t *data;
};

#define SECRET_MAX (8u << 20)

struct secret *secret_new(size_t capacity);
void secret_free(struct secret *s);
/* Appends bytes; -ENOSPC when capacity would be exceeded. */
int secret_append(struct secret *s, const void *data, size_t len);
bool secret_equal(const struct secret *a, const struct secret *b);

static inline void secret_freep(struct secret **s) { secret_free(*s); }
#define _cleanup_secret_ __attribute__((cleanup(secret_freep)))

#endif
