/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_PLAIN_H
#define UNLOCK_PLAIN_H

#include <stddef.h>

#include "crypto/secret.h"

/*
 * The key of a plain dm-crypt volume from a passphrase or key file, as libcryptsetup derives it:
 * with a hash, round i hashes i bytes "A" then the secret, and the rounds are concatenated and cut
 * to key_len; without one (hash NULL) the secret itself, cut or zero-padded to key_len.
 * -LUKS_ERR_UNSUPPORTED (logged) for a hash we do not know.
 */
int plain_key_derive(const char *hash, const struct secret *pass, size_t key_len, struct secret **key);

#endif
