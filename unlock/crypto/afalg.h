/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_AFALG_H
#define UNLOCK_AFALG_H

#include <stddef.h>
#include <stdint.h>

/*
 * The kernel crypto API over AF_ALG sockets, for what Nettle lacks. An operation socket for the
 * kernel's algorithm `name` of `type` ("hash" or "skcipher"), keyed when key is not NULL; -errno:
 * -EAFNOSUPPORT when this kernel has no AF_ALG sockets, -ENOENT when it lacks the algorithm.
 */
int afalg_open(const char *type, const char *name, const uint8_t *key, size_t key_len);

#endif
