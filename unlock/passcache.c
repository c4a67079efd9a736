/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "passcache.h"

#include <errno.h>
#include <string.h>

int passcache_remember(struct passcache *c, const struct secret *pass)
{
	struct secret *copy;

	for (size_t i = 0; i < c->n; i++)
		if (secret_equal(c->entries[i], pass))
			return 0;
	copy = secret_new(pass->len > 0 ? pass->len : 1);
	if (!copy || secret_append(copy, pass->data, pass->len) < 0) {
		secret_free(copy);
		return -ENOMEM;
	}
	if (c->n == PASSCACHE_MAX) {
		secret_free(c->entries[0]);
		memmove(c->entries, c->entries + 1, (PASSCACHE_MAX - 1) * sizeof(c->entries[0]));
		c->n--;
	}
	c->entries[c->n++] = copy;
	return 0;
}

void passcache_clear(struct passcache *c)
{
	for (size_t i = 0; i < c->n; i++)
		secret_free(c->entries[i]);
	c->n = 0;
}
