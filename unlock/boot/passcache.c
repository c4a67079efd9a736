/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/passcache.h"

#include <errno.h>
#include <linux/keyctl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

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

void passcache_take_back(long key)
{
	if (key < 0)
		return;
	if (syscall(SYS_keyctl, KEYCTL_INVALIDATE, key) < 0)
		syscall(SYS_keyctl, KEYCTL_UNLINK, key, KEY_SPEC_USER_KEYRING);
}

int passcache_hand_over(const struct passcache *c, long *key)
{
	_cleanup_secret_ struct secret *joined = NULL;
	static const char separator = '\0';
	size_t total = 0;
	long id;

	*key = -1;
	if (c->n == 0)
		return 0;
	for (size_t i = 0; i < c->n; i++)
		total += c->entries[i]->len + 1;
	if (!(joined = secret_new(total)))
		return -ENOMEM;
	for (size_t i = 0; i < c->n; i++)
		if ((i > 0 && secret_append(joined, &separator, 1) < 0) ||
		    secret_append(joined, c->entries[i]->data, c->entries[i]->len) < 0)
			return -ENOMEM;
	id = syscall(SYS_add_key, "user", PASSCACHE_KEYRING_NAME, joined->data, joined->len, KEY_SPEC_USER_KEYRING);
	if (id < 0)
		return -errno;
	if (syscall(SYS_keyctl, KEYCTL_SET_TIMEOUT, id, PASSCACHE_KEYRING_TIMEOUT_SEC) < 0) {
		/* Never leave the passphrases behind with no expiry: take the key back. */
		int saved = errno;
		passcache_take_back(id);
		return -saved;
	}
	*key = id;
	return (int)c->n;
}
