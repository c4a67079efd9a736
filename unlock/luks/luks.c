/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "luks/luks.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/blockdev.h"
#include "base/log.h"
#include "base/util.h"
#include "luks/luks1.h"
#include "luks/luks2.h"

static const uint8_t luks_magic[6] = { 'L', 'U', 'K', 'S', 0xba, 0xbe };

static int luks_check_keyslot_areas(const struct luks_header *hdr, const struct blockdev *dev)
{
	for (int i = 0; i < LUKS_KEYSLOTS_MAX; i++) {
		/* Disabled LUKS1 slots count too, as in cryptsetup: their area is reserved. */
		const struct luks_keyslot *ks = &hdr->keyslots[i];
		if (ks->area_size == 0)
			continue;
		if (ks->area_offset > dev->size || ks->area_size > dev->size - ks->area_offset)
			return log_error_ret(-LUKS_ERR_DAMAGED,
					     "%s: keyslot %d key material (offset %llu, %llu bytes) lies beyond the end of the device (%llu bytes)",
					     dev->path, i, (unsigned long long)ks->area_offset,
					     (unsigned long long)ks->area_size, (unsigned long long)dev->size);
	}
	return 0;
}

int luks_header_read(struct luks_header *hdr, const struct blockdev *dev)
{
	uint8_t buf[LUKS1_HEADER_SIZE];
	int r;

	memset(hdr, 0, sizeof(*hdr));
	if (dev->size < sizeof(buf))
		return log_error_ret(-LUKS_ERR_DAMAGED, "%s: too small to hold a LUKS header (%llu bytes)", dev->path,
				     (unsigned long long)dev->size);
	r = blockdev_read(dev, 0, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (memcmp(buf, luks_magic, sizeof(luks_magic)) == 0 && be16_read(buf + 6) == 1) {
		r = luks1_header_parse(hdr, buf, sizeof(buf));
		if (r < 0)
			return log_error_ret(r, "%s: invalid LUKS1 header", dev->path);
	} else {
		r = luks2_header_read(hdr, dev);
		if (r < 0)
			return r;
	}
	r = luks_check_keyslot_areas(hdr, dev);
	if (r < 0) {
		luks_header_done(hdr);
		return r;
	}
	return 0;
}

void luks_header_done(struct luks_header *hdr)
{
	free(hdr->json);
	hdr->json = NULL;
}

int luks_keyslot_digest(const struct luks_header *hdr, int keyslot)
{
	for (int i = 0; i < LUKS_DIGESTS_MAX; i++)
		if (hdr->digests[i].active && hdr->digests[i].covers_segment0 && (hdr->digests[i].keyslots & 1u << keyslot))
			return i;
	return -1;
}

uint64_t luks_segment_bytes(const struct luks_header *hdr, uint64_t data_device_size)
{
	uint64_t available;

	if (data_device_size < hdr->segment.offset)
		return 0;
	available = data_device_size - hdr->segment.offset;
	if (hdr->segment.size == LUKS_SIZE_DYNAMIC)
		return available;
	return hdr->segment.size <= available ? hdr->segment.size : 0;
}
