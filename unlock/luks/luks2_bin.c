/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <nettle/memops.h>
#include <string.h>

#include "base/blockdev.h"
#include "base/log.h"
#include "base/util.h"
#include "crypto/hash.h"
#include "luks/luks2.h"

#define LUKS2_CHECKSUM_OFFSET 448
#define LUKS2_CHECKSUM_LEN 64

static const uint8_t magic_primary[6] = { 'L', 'U', 'K', 'S', 0xba, 0xbe };
static const uint8_t magic_secondary[6] = { 'S', 'K', 'U', 'L', 0xba, 0xbe };

static bool luks2_hdr_size_valid(uint64_t size)
{
	for (uint64_t s = LUKS2_HDR_SIZE_MIN; s <= LUKS2_HDR_SIZE_MAX; s <<= 1)
		if (size == s)
			return true;
	return false;
}

int luks2_bin_parse(struct luks2_bin *bin, const uint8_t *buf, size_t len, uint64_t offset)
{
	const uint8_t *magic = offset == 0 ? magic_primary : magic_secondary;

	if (len < LUKS2_BIN_SIZE)
		return -LUKS_ERR_DAMAGED;
	if (memcmp(buf, magic, 6) != 0 || be16_read(buf + 6) != 2)
		return -LUKS_ERR_DAMAGED;
	memset(bin, 0, sizeof(*bin));
	bin->hdr_size = be64_read(buf + 8);
	bin->seqid = be64_read(buf + 16);
	bin->offset = be64_read(buf + 256);
	if (bin->offset != offset || !luks2_hdr_size_valid(bin->hdr_size))
		return -LUKS_ERR_DAMAGED;
	if (offset != 0 && offset != bin->hdr_size)
		return -LUKS_ERR_DAMAGED;
	field_copy(bin->label, sizeof(bin->label), buf + 24, 48);
	field_copy(bin->checksum_alg, sizeof(bin->checksum_alg), buf + 72, 32);
	field_copy(bin->uuid, sizeof(bin->uuid), buf + 168, 40);
	field_copy(bin->subsystem, sizeof(bin->subsystem), buf + 208, 48);
	if (!is_printable_text(bin->checksum_alg) || !is_printable_text(bin->uuid))
		return -LUKS_ERR_DAMAGED;
	return 0;
}

int luks2_bin_verify_checksum(const struct luks2_bin *bin, const uint8_t *buf)
{
	static const uint8_t zeros[LUKS2_CHECKSUM_LEN];
	uint8_t digest[HASH_MAX_SIZE];
	const struct hash_alg *md = hash_by_name(bin->checksum_alg);
	struct hash_ctx ctx;
	int r;

	if (!md || hash_size(md) > LUKS2_CHECKSUM_LEN)
		return -LUKS_ERR_DAMAGED;
	r = hash_init(&ctx, md);
	if (r == 0)
		r = hash_update(&ctx, buf, LUKS2_CHECKSUM_OFFSET);
	if (r == 0)
		r = hash_update(&ctx, zeros, LUKS2_CHECKSUM_LEN);
	if (r == 0)
		r = hash_update(&ctx, buf + LUKS2_CHECKSUM_OFFSET + LUKS2_CHECKSUM_LEN,
				bin->hdr_size - LUKS2_CHECKSUM_OFFSET - LUKS2_CHECKSUM_LEN);
	if (r == 0)
		r = hash_final(&ctx, digest);
	hash_done(&ctx);
	if (r < 0)
		return -EIO;
	return memeql_sec(digest, buf + LUKS2_CHECKSUM_OFFSET, hash_size(md)) ? 0 : -LUKS_ERR_DAMAGED;
}

int luks2_copy_parse(struct luks_header *hdr, const uint8_t *buf, size_t len, uint64_t offset)
{
	struct luks2_bin bin;
	int r;

	r = luks2_bin_parse(&bin, buf, len, offset);
	if (r < 0)
		return r;
	if (len < bin.hdr_size)
		return -LUKS_ERR_DAMAGED;
	r = luks2_bin_verify_checksum(&bin, buf);
	if (r < 0)
		return r;
	memset(hdr, 0, sizeof(*hdr));
	hdr->version = 2;
	hdr->hdr_size = bin.hdr_size;
	hdr->seqid = bin.seqid;
	memcpy(hdr->uuid, bin.uuid, sizeof(hdr->uuid));
	memcpy(hdr->label, bin.label, sizeof(hdr->label));
	memcpy(hdr->subsystem, bin.subsystem, sizeof(hdr->subsystem));
	return luks2_json_parse(hdr, (const char *)buf + LUKS2_BIN_SIZE, bin.hdr_size - LUKS2_BIN_SIZE);
}

/* Reads and validates the copy at offset; the header size comes from the copy itself. */
static int luks2_copy_read(struct luks_header *hdr, const struct blockdev *dev, uint64_t offset)
{
	uint8_t bin_buf[LUKS2_BIN_SIZE];
	struct luks2_bin bin;
	_cleanup_free_ uint8_t *buf = NULL;
	int r;

	if (offset > dev->size || dev->size - offset < LUKS2_BIN_SIZE)
		return -LUKS_ERR_DAMAGED;
	r = blockdev_read(dev, offset, bin_buf, sizeof(bin_buf));
	if (r < 0)
		return r;
	r = luks2_bin_parse(&bin, bin_buf, sizeof(bin_buf), offset);
	if (r < 0)
		return r;
	if (dev->size - offset < bin.hdr_size)
		return -LUKS_ERR_DAMAGED;
	buf = malloc(bin.hdr_size);
	if (!buf)
		return -ENOMEM;
	r = blockdev_read(dev, offset, buf, bin.hdr_size);
	if (r < 0)
		return r;
	return luks2_copy_parse(hdr, buf, bin.hdr_size, offset);
}

static int luks2_secondary_read(struct luks_header *hdr, const struct blockdev *dev, uint64_t expected_offset)
{
	if (expected_offset)
		return luks2_copy_read(hdr, dev, expected_offset);
	for (uint64_t off = LUKS2_HDR_SIZE_MIN; off <= LUKS2_HDR_SIZE_MAX; off <<= 1)
		if (luks2_copy_read(hdr, dev, off) == 0)
			return 0;
	return -LUKS_ERR_DAMAGED;
}

static int luks2_choose(struct luks_header *hdr, struct luks_header *primary, int r_primary,
			struct luks_header *secondary, int r_secondary, const char *path)
{
	if (r_primary < 0 && r_secondary < 0)
		return log_error_ret(-LUKS_ERR_DAMAGED, "%s: no valid LUKS header (not LUKS1, and both LUKS2 header copies are absent, damaged or invalid)", path);
	if (r_primary == 0 && r_secondary == 0) {
		if (secondary->seqid > primary->seqid) {
			log_warning("%s: LUKS2 header copies differ; using the newer secondary copy (seqid %llu > %llu)",
				    path, (unsigned long long)secondary->seqid, (unsigned long long)primary->seqid);
			*hdr = *secondary;
			luks_header_done(primary);
			hdr->used_secondary = true;
			return 0;
		}
		if (secondary->seqid != primary->seqid)
			log_warning("%s: LUKS2 secondary header copy is older than the primary", path);
		*hdr = *primary;
		luks_header_done(secondary);
		return 0;
	}
	if (r_primary == 0) {
		log_warning("%s: LUKS2 secondary header copy is damaged; using the primary. Run 'cryptsetup repair' from a rescue system.",
			    path);
		*hdr = *primary;
		return 0;
	}
	log_warning("%s: LUKS2 primary header is damaged; using the secondary copy. Nothing was written; run 'cryptsetup repair' from a rescue system.",
		    path);
	*hdr = *secondary;
	hdr->used_secondary = true;
	return 0;
}

/* Like cryptsetup: when something else now claims the device, a surviving secondary copy is no licence to open it. */
static bool luks2_primary_overwritten(const struct blockdev *dev)
{
	char type[64];

	if (!blockdev_foreign_signature(dev, type, sizeof(type)))
		return false;
	log_error("%s: the primary LUKS2 header is gone and the device now carries %s (%s); refusing to guess which is right. If the LUKS volume is the right one, run 'cryptsetup repair' from a rescue system.",
		  dev->path, strcmp(type, "several signatures") ? "another signature" : "several signatures", type);
	return true;
}

int luks2_header_read(struct luks_header *hdr, const struct blockdev *dev)
{
	struct luks_header primary = { 0 }, secondary = { 0 };
	uint64_t secondary_offset = 0;
	int r_primary, r_secondary;

	if (dev->size < LUKS2_BIN_SIZE)
		return log_error_ret(-LUKS_ERR_DAMAGED, "%s: not a LUKS header (too small: %llu bytes)", dev->path,
				     (unsigned long long)dev->size);
	r_primary = luks2_copy_read(&primary, dev, 0);
	if (r_primary < 0 && r_primary != -LUKS_ERR_DAMAGED)
		return r_primary;
	/* Where the secondary copy is, only a verified primary says; without one, every offset
	 * cryptsetup knows is tried, as it does. */
	if (r_primary == 0)
		secondary_offset = primary.hdr_size;
	r_secondary = luks2_secondary_read(&secondary, dev, secondary_offset);
	if (r_secondary < 0 && r_secondary != -LUKS_ERR_DAMAGED) {
		luks_header_done(&primary);
		return r_secondary;
	}
	if (r_primary < 0 && r_secondary == 0 && luks2_primary_overwritten(dev)) {
		luks_header_done(&secondary);
		return -LUKS_ERR_DAMAGED;
	}
	return luks2_choose(hdr, &primary, r_primary, &secondary, r_secondary, dev->path);
}
