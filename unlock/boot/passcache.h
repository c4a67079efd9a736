/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_PASSCACHE_H
#define UNLOCK_PASSCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/secret.h"

#define PASSCACHE_MAX 8

/*
 * The passphrases typed during this boot that opened a volume, so the volumes opened after it try
 * them before asking, as systemd-cryptsetup tries the passwords it caches in the kernel keyring.
 * Each entry is a copy in locked memory; passcache_clear wipes them.
 */
struct passcache {
	struct secret *entries[PASSCACHE_MAX];
	size_t n;
};

/* Keeps a copy of pass unless an equal one is kept; when full, the oldest gives way. 0 or -ENOMEM. */
int passcache_remember(struct passcache *c, const struct secret *pass);
void passcache_clear(struct passcache *c);

/*
 * Hands the passphrases on to the real system as systemd's ask-password caches them: one "user"
 * key named "cryptsetup" in root's user keyring, the passphrases separated by NUL bytes, expiring
 * after PASSCACHE_KEYRING_TIMEOUT_SEC. The system's systemd-cryptsetup then opens a later volume
 * with the same passphrase without asking, and GDM's keyring unlock finds it there. Returns how many
 * passphrases it left (0: none to leave), or -errno; *key is the key left (-1: none).
 */
#define PASSCACHE_KEYRING_NAME "cryptsetup"
#define PASSCACHE_KEYRING_TIMEOUT_SEC 150 /* systemd's KEYRING_TIMEOUT_USEC */
int passcache_hand_over(const struct passcache *c, long *key);
/* The key passcache_hand_over left, taken back when no real system will use it (-1: nothing). */
void passcache_take_back(long key);

static inline void passcache_clearp(struct passcache *c) { passcache_clear(c); }
#define _cleanup_passcache_ __attribute__((cleanup(passcache_clearp)))

#endif
