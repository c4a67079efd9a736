/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/secrets.h"

#include <errno.h>
#include <stdio.h>

#include "base/log.h"
#include "boot/ask.h"
#include "boot/keydev.h"
#include "boot/tokens.h"
#include "boot/wait.h"
#include "open/keyfile.h"

/* The key file, size bytes of it (KEYFILE_SIZE_ALL: all); one on another device is waited for. */
int volume_key_read(const struct boot_volume *vol, uint64_t size, struct modules *m, struct secret **out)
{
	int timeout = vol->keyfile_timeout_sec >= 0 ? vol->keyfile_timeout_sec : volume_wait_timeout(vol);

	if (volume_key_in_image(vol))
		return keyfile_read(vol->key_file, vol->keyfile_offset, size, out);
	return keydev_read(vol, timeout, m, out);
}

/*
 * systemd-cryptsetup asks for the passphrase when the key file is missing or opens nothing (unless
 * headless=). A key on another device is required unless keyfile-timeout= is given: then its
 * absence means asking too.
 */
bool key_falls_back_to_passphrase(const struct boot_volume *vol, int r)
{
	if (r == -ENOMEM || vol->headless ||
	    (r != -LUKS_ERR_WRONG_SECRET && !volume_key_in_image(vol) && vol->keyfile_timeout_sec < 0))
		return false;
	if (!volume_key_in_image(vol) && r != -LUKS_ERR_WRONG_SECRET)
		log_warning("%s: no key from %s; asking for the passphrase instead (keyfile-timeout=)", vol->name,
			    vol->key_raw ? vol->key_file : vol->key_device);
	else
		log_warning("%s: asking for the passphrase instead of the key file", vol->name);
	return true;
}

static int volume_passphrase(const struct boot_volume *vol, const char *dev, struct secret **pass)
{
	char prompt[512];

	snprintf(prompt, sizeof(prompt), "Passphrase for %s (%s): ", vol->name, vol->device[0] == '/' ? dev : vol->device);
	return ask_passphrase(vol, prompt, pass);
}

/*
 * Before asking: the passphrases typed for the volumes opened before this one (systemd-cryptsetup
 * tries the passwords it cached; not with headless=, which keeps a volume to what it names), then,
 * with try-empty-password=, an empty one. Neither counts against tries=, which counts questions.
 */
static int volume_unlock_unasked(const struct boot_volume *vol, const struct volume *v, const struct passcache *typed,
				 struct secret **key, int *digest)
{
	_cleanup_secret_ struct secret *empty = NULL;
	bool use_typed = !vol->headless && vol->password_cache != PASSWORD_CACHE_NO;
	int slot, r = -LUKS_ERR_WRONG_SECRET;

	for (size_t i = 0; use_typed && i < typed->n && r == -LUKS_ERR_WRONG_SECRET; i++)
		if ((r = volume_unlock(v, vol->key_slot, typed->entries[i], key, digest, &slot)) == 0)
			log_info("%s: opened with a passphrase typed for a volume before it", vol->name);
	if (r != -LUKS_ERR_WRONG_SECRET || !vol->try_empty_password)
		return r;
	if (!(empty = secret_new(1)))
		return -ENOMEM;
	if ((r = volume_unlock(v, vol->key_slot, empty, key, digest, &slot)) == 0)
		log_info("%s: opened with an empty passphrase (try-empty-password=)", vol->name);
	return r;
}

/*
 * A key file is tried once; then (or without one) what needs no question; then the passphrase up
 * to `tries` times, kept in typed once it opens the volume. Returns the verified volume key.
 */
int boot_volume_unlock(const struct boot_volume *vol, const struct volume *v, const char *dev, struct modules *m,
			      struct passcache *typed, struct secret **key, int *digest)
{
	int slot, r = -LUKS_ERR_WRONG_SECRET;

	if (vol->key_file[0]) {
		_cleanup_secret_ struct secret *pass = NULL;
		r = volume_key_read(vol, vol->keyfile_size, m, &pass);
		if (r == 0) {
			r = volume_unlock(v, vol->key_slot, pass, key, digest, &slot);
			if (r != -LUKS_ERR_WRONG_SECRET)
				return r;
			log_error("%s: the key file %s opens no keyslot", vol->name, vol->key_file);
		}
		if (!key_falls_back_to_passphrase(vol, r))
			return r;
	}
	/* systemd-cryptsetup's order: the header's tokens before anything is asked. */
	r = boot_volume_unlock_by_tokens(vol, v, m, key, digest);
	if (r == 0 || r == -ENOMEM)
		return r;
	r = volume_unlock_unasked(vol, v, typed, key, digest);
	if (r != -LUKS_ERR_WRONG_SECRET)
		return r;
	for (int i = 0; vol->tries == 0 || i < vol->tries; i++) {
		_cleanup_secret_ struct secret *pass = NULL;
		r = volume_passphrase(vol, dev, &pass);
		if (r == -EAGAIN)
			continue;
		if (r < 0)
			return r;
		r = volume_unlock(v, vol->key_slot, pass, key, digest, &slot);
		if (r == 0 && vol->password_cache == PASSWORD_CACHE_YES && passcache_remember(typed, pass) < 0)
			log_warning("%s: no memory to keep the passphrase for the next volumes; they ask again", vol->name);
		if (r != -LUKS_ERR_WRONG_SECRET)
			return r;
		ask_say_wrong_passphrase(vol, i + 1);
	}
	return r;
}
