/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "open/volume.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cipher.h"
#include "dm/dm.h"
#include "luks/keyslot.h"

/* Enough for the superblocks libblkid looks at first: btrfs has its own at 64 KiB. */
#define PEEK_BYTES (128 * 1024)

int volume_load(struct volume *v, const char *device, const char *header_path)
{
	int r;

	*v = (struct volume){ .data = { .fd = -1 }, .header = { .fd = -1 } };
	r = blockdev_open(&v->data, device);
	if (r == 0 && header_path)
		r = blockdev_open(&v->header, header_path);
	if (r == 0)
		r = luks_header_read(&v->hdr, volume_header_dev(v));
	v->hdr_loaded = r == 0;
	return r;
}

const struct blockdev *volume_header_dev(const struct volume *v)
{
	return v->header.fd >= 0 ? &v->header : &v->data;
}

int volume_unlock(const struct volume *v, int key_slot, const struct secret *pass, struct secret **key, int *digest,
		  int *slot)
{
	int r = keyslot_unlock(&v->hdr, volume_header_dev(v), key_slot, pass, key, slot);

	if (r == 0)
		*digest = luks_keyslot_digest(&v->hdr, *slot);
	return r;
}

struct dm_table_request volume_table_request(const struct volume *v, const struct secret *key, int digest,
					     uint32_t extra_flags)
{
	return (struct dm_table_request){
		.hdr = &v->hdr,
		.data_device = v->data.path,
		.data_device_size = v->data.size,
		.detached_header = v->header.fd >= 0,
		.extra_flags = extra_flags,
		.digest = digest,
		.volume_key = key,
	};
}

int volume_activate(const struct volume *v, const char *name, const struct secret *key, int digest,
		    uint32_t extra_flags, bool read_only)
{
	struct dm_table_request req = volume_table_request(v, key, digest, extra_flags);

	return dm_crypt_activate(name, &req, read_only);
}

int volume_peek_fstype(const struct volume *v, const struct secret *key, char *type, size_t size)
{
	const struct luks_segment *seg = &v->hdr.segment;
	struct sector_cipher *c = NULL;
	uint8_t *buf;
	int r;

	if (seg->integrity || !sector_cipher_in_userspace(seg->cipher, key->len))
		return -EOPNOTSUPP;
	if (v->data.size < seg->offset + PEEK_BYTES ||
	    (seg->size != LUKS_SIZE_DYNAMIC && seg->size < PEEK_BYTES))
		return -ENOSPC;
	buf = malloc(PEEK_BYTES);
	if (!buf)
		return -ENOMEM;
	r = blockdev_read(&v->data, seg->offset, buf, PEEK_BYTES);
	if (r == 0)
		r = sector_cipher_new(&c, seg->cipher, key->data, key->len, false);
	if (r == 0)
		r = sector_cipher_run(c, buf, PEEK_BYTES, 0, seg->sector_size);
	sector_cipher_free(c);
	if (r == 0)
		r = buffer_fstype(buf, PEEK_BYTES, type, size);
	explicit_bzero(buf, PEEK_BYTES);
	free(buf);
	return r;
}

void volume_done(struct volume *v)
{
	if (v->hdr_loaded)
		luks_header_done(&v->hdr);
	v->hdr_loaded = false;
	blockdev_close(&v->header);
	blockdev_close(&v->data);
}
