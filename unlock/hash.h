/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_HASH_H
#define UNLOCK_HASH_H

#include <openssl/evp.h>

/* Looks up a hash by its cryptsetup name (sha256, ripemd160, whirlpool, ...); NULL if unknown. */
const EVP_MD *hash_by_name(const char *name);

#endif
