/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "luks/keyslot.h"

#include <errno.h>
#include <nettle/memops.h>
#include <string.h>
#include <stdbool.h>

#include "base/blockdev.h"
#include "base/log.h"
#include "crypto/cipher.h"
#include "crypto/kdf.h"
#include "luks/af.h"

/* The keyslot's KDF as its header describes it. */
static int kdf_derive(const struct luks_kdf *kdf, const uint8_t *pass, size_t pass_len, uint8_t *out, size_t out_len)
{
	struct argon2_params argon2 = { .id = kdf->type == KDF_ARGON2ID, .time_cost = kdf->iterations,
					.memory_kib = kdf->memory_kib, .lanes = kdf->cpus,
					.salt = kdf->salt, .salt_len = kdf->salt_len };

	if (kdf->type == KDF_UNKNOWN)
		return log_error_ret(-LUKS_ERR_UNSUPPORTED, "KDF \"%s\" is not supported", kdf->name);
	if (kdf->type == KDF_PBKDF2)
		return pbkdf2_derive(kdf->hash, pass, pass_len, kdf->salt, kdf->salt_len, kdf->iterations, out,
				     out_len);
	return argon2_derive(&argon2, pass, pass_len, out, out_len);
}

int volume_key_verify(const struct luks_header *hdr, int digest, const uint8_t *key, size_t key_len)
{
	const struct luks_digest *d = &hdr->digests[digest];
	uint8_t computed[LUKS_DIGEST_MAX];
	int r;

	r = pbkdf2_derive(d->hash, key, key_len, d->salt, d->salt_len, d->iterations, computed, d->digest_len);
	if (r < 0)
		return r;
	r = memeql_sec(computed, d->digest, d->digest_len) ? 0 : -LUKS_ERR_WRONG_SECRET;
	explicit_bzero(computed, sizeof(computed));
	return r;
}

/* Reads and decrypts the split key material of a keyslot with the derived key. */
static int keyslot_material_read(const struct luks_keyslot *ks, const struct blockdev *dev, const struct secret *derived,
				 struct secret **material)
{
	size_t len = ((size_t)ks->key_size * ks->stripes + 511) / 512 * 512;
	struct sector_cipher *cipher = NULL;
	struct secret *m;
	int r;

	if (len > ks->area_size)
		return -LUKS_ERR_DAMAGED;
	m = secret_new(len);
	if (!m)
		return -ENOMEM;
	m->len = len;
	r = blockdev_read(dev, ks->area_offset, m->data, len);
	if (r == 0)
		r = sector_cipher_new(&cipher, ks->area_cipher, derived->data, derived->len, false);
	if (r == 0)
		r = sector_cipher_run(cipher, m->data, len, 0, 512);
	sector_cipher_free(cipher);
	if (r < 0) {
		secret_free(m);
		return r;
	}
	*material = m;
	return 0;
}

static int keyslot_try(const struct luks_header *hdr, const struct blockdev *dev, int slot, const struct secret *pass,
		       struct secret **volume_key)
{
	const struct luks_keyslot *ks = &hdr->keyslots[slot];
	_cleanup_secret_ struct secret *derived = secret_new(ks->area_key_size);
	_cleanup_secret_ struct secret *material = NULL;
	_cleanup_secret_ struct secret *key = secret_new(ks->key_size);
	int r;

	if (!derived || !key)
		return -ENOMEM;
	derived->len = ks->area_key_size;
	key->len = ks->key_size;
	r = kdf_derive(&ks->kdf, pass->data, pass->len, derived->data, derived->len);
	if (r == 0)
		r = keyslot_material_read(ks, dev, derived, &material);
	if (r == 0)
		r = af_merge(material->data, ks->key_size, ks->stripes, ks->af_hash, key->data);
	if (r == 0)
		r = volume_key_verify(hdr, luks_keyslot_digest(hdr, slot), key->data, key->len);
	if (r == 0) {
		*volume_key = key;
		key = NULL;
	}
	return r;
}

static int keyslot_check_explicit(const struct luks_header *hdr, int slot, const char *path)
{
	if (slot < 0 || slot >= LUKS_KEYSLOTS_MAX || !hdr->keyslots[slot].active)
		return log_error_ret(-LUKS_ERR_WRONG_SECRET, "%s: keyslot %d is not active", path, slot);
	if (luks_keyslot_digest(hdr, slot) < 0)
		return log_error_ret(-LUKS_ERR_WRONG_SECRET,
				     "%s: keyslot %d is not bound to the data segment; its key cannot open the volume",
				     path, slot);
	return 0;
}

/* Fills order[] with the keyslots to try: preferred first, then normal; "ignore" only when named. */
static int keyslot_order(const struct luks_header *hdr, int slot, int *order)
{
	int n = 0;

	if (slot != KEYSLOT_ANY) {
		order[n++] = slot;
		return n;
	}
	for (int prio = PRIORITY_PREFER; prio >= PRIORITY_NORMAL; prio--)
		for (int i = 0; i < LUKS_KEYSLOTS_MAX; i++)
			if (hdr->keyslots[i].active && hdr->keyslots[i].priority == (enum keyslot_priority)prio &&
			    luks_keyslot_digest(hdr, i) >= 0)
				order[n++] = i;
	return n;
}

int keyslot_unlock(const struct luks_header *hdr, const struct blockdev *dev, int slot, const struct secret *pass,
		   struct secret **volume_key, int *opened)
{
	int order[LUKS_KEYSLOTS_MAX], n, r, other_error = 0, refused = 0;

	if (slot != KEYSLOT_ANY && (r = keyslot_check_explicit(hdr, slot, dev->path)) < 0)
		return r;
	n = keyslot_order(hdr, slot, order);
	if (n == 0)
		return log_error_ret(-LUKS_ERR_WRONG_SECRET, "%s: no usable keyslot (all are empty or unbound)",
				     dev->path);
	for (int i = 0; i < n; i++) {
		r = keyslot_try(hdr, dev, order[i], pass, volume_key);
		if (r == 0) {
			*opened = order[i];
			return 0;
		}
		if (r == -LUKS_ERR_WRONG_SECRET) {
			refused++;
		} else {
			log_error("%s: keyslot %d could not be tried (see above)", dev->path, order[i]);
			other_error = r;
		}
	}
	/* "Wrong passphrase" only when some keyslot really refused it. */
	return refused == 0 && other_error ? other_error : -LUKS_ERR_WRONG_SECRET;
}
