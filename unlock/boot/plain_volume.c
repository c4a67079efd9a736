/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/plain_volume.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "base/blockdev.h"
#include "base/log.h"
#include "boot/ask.h"
#include "boot/devices.h"
#include "boot/flow.h"
#include "boot/modules.h"
#include "boot/secrets.h"
#include "boot/swap.h"
#include "dm/dm.h"
#include "open/plain.h"

/* systemd-cryptsetup's plain-mode defaults */
#define PLAIN_DEFAULT_CIPHER "aes-cbc-essiv:sha256"
#define PLAIN_DEFAULT_KEY_BITS 256
#define PLAIN_DEFAULT_HASH "ripemd160"

/* The mapping's cipher: crypttab's cipher= as systemd reads it (no mode means "-plain"), or its default. */
static void plain_cipher(const struct boot_volume *vol, char *buf, size_t size)
{
	if (!vol->cipher[0])
		snprintf(buf, size, "%s", PLAIN_DEFAULT_CIPHER);
	else
		snprintf(buf, size, "%s%s", vol->cipher, strchr(vol->cipher, '-') ? "" : "-plain");
}

/* A plain mapping over the device from offset= on, with the key given. */
static int plain_activate(const struct boot_volume *vol, const char *dev, const struct secret *key, struct modules *m)
{
	struct blockdev bd = { .fd = -1 };
	char cipher[sizeof(vol->cipher) + 8];
	uint64_t sectors;
	int r = blockdev_open(&bd, dev);

	if (r < 0)
		return r;
	sectors = bd.size / 512;
	blockdev_close(&bd);
	if (sectors <= vol->offset)
		return log_error_ret(-ENOSPC, "%s: %s is not larger than offset=%llu sectors", vol->name, dev,
				     (unsigned long long)vol->offset);
	plain_cipher(vol, cipher, sizeof(cipher));
	modules_load_for_cipher(m, cipher);
	return dm_plain_activate(vol->name, dev, sectors - vol->offset, cipher, key, vol->offset, vol->skip, vol->flags,
				 vol->read_only);
}

/* crypttab "swap": a plain mapping with a key nobody knows, then a fresh swap signature. */
int swap_volume_open(const struct boot_volume *vol, const char *dev, struct modules *m)
{
	_cleanup_secret_ struct secret *key = secret_new((vol->key_bits ? vol->key_bits : PLAIN_DEFAULT_KEY_BITS) / 8);
	char mapped[BOOT_PATH_MAX], type[64];
	int r;

	/* A random key destroys what is on the device: never over a filesystem or a LUKS volume. */
	if (device_fstype(dev, type, sizeof(type)) == 0 && strcmp(type, "swap") != 0)
		return log_error_ret(-EEXIST, "%s: %s holds %s data; refusing to turn it into swap with a random key. Check the device in crypttab.",
				     vol->name, dev, type);
	if (!key || getrandom(key->data, key->capacity, 0) != (ssize_t)key->capacity)
		return log_error_ret(-EIO, "%s: no random key for swap", vol->name);
	key->len = key->capacity;
	r = plain_activate(vol, dev, key, m);
	snprintf(mapped, sizeof(mapped), "/dev/mapper/%s", vol->name);
	return r < 0 ? r : swap_format(mapped);
}

/* systemd's choice: hash= ("plain" for none); without it, ripemd160 for a passphrase and none for a
 * key file, which is what cryptsetup does. */
static const char *plain_hash(const struct boot_volume *vol, bool typed)
{
	if (strcmp(vol->hash, "plain") == 0)
		return NULL;
	if (vol->hash[0])
		return vol->hash;
	return typed ? PLAIN_DEFAULT_HASH : NULL;
}

static int plain_open_with(const struct boot_volume *vol, const char *dev, const struct secret *pass, bool typed,
			   struct modules *m)
{
	size_t key_len = (vol->key_bits ? vol->key_bits : PLAIN_DEFAULT_KEY_BITS) / 8;
	_cleanup_secret_ struct secret *key = NULL;
	int r = plain_key_derive(plain_hash(vol, typed), pass, key_len, &key);

	if (r == 0)
		r = plain_activate(vol, dev, key, m);
	return r == 0 ? volume_content_check(vol) : r;
}

/* crypttab "plain": no header can tell a wrong passphrase; the mapping then reads as noise, as
 * with cryptsetup. Only a check= can tell: a passphrase that fails it is asked again, up to tries=. */
int plain_volume_open(const struct boot_volume *vol, const char *dev, struct modules *m)
{
	size_t key_len = (vol->key_bits ? vol->key_bits : PLAIN_DEFAULT_KEY_BITS) / 8;
	_cleanup_secret_ struct secret *pass = NULL;
	char prompt[512];
	int r = -ENOENT;

	if (vol->key_file[0]) {
		r = volume_key_read(vol, key_len, m, &pass);
		if (r == 0)
			return plain_open_with(vol, dev, pass, false, m);
		if (!key_falls_back_to_passphrase(vol, r))
			return r;
	}
	snprintf(prompt, sizeof(prompt), "Passphrase for %s (%s, plain dm-crypt): ", vol->name, vol->device);
	for (int i = 0; vol->tries == 0 || i < vol->tries; i++) {
		secret_free(pass);
		pass = NULL;
		r = ask_passphrase(vol, prompt, &pass);
		if (r == 0)
			r = plain_open_with(vol, dev, pass, true, m);
		if (r == -EBADMSG)
			ask_say_wrong_passphrase(vol, i + 1);
		if (r != -EAGAIN && r != -EBADMSG)
			return r;
	}
	return r;
}
