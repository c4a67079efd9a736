/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "luks/luks1.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"

#define LUKS1_KEYSLOTS 8
#define LUKS1_KEYSLOT_ENABLED 0x00AC71F3u
#define LUKS1_KEYSLOT_DISABLED 0x0000DEADu
#define LUKS1_STRIPES 4000u
#define LUKS1_DIGEST_SIZE 20
#define SECTOR 512u

static const uint8_t luks_magic[6] = { 'L', 'U', 'K', 'S', 0xba, 0xbe };

struct luks1_slot_raw {
	uint32_t active, iterations, offset_sectors, stripes;
	const uint8_t *salt;
};

static struct luks1_slot_raw luks1_slot_at(const uint8_t *buf, int i)
{
	const uint8_t *p = buf + 208 + 48 * i;
	return (struct luks1_slot_raw){
		.active = be32_read(p),
		.iterations = be32_read(p + 4),
		.salt = p + 8,
		.offset_sectors = be32_read(p + 40),
		.stripes = be32_read(p + 44),
	};
}

static int luks1_text_field(char *dst, size_t dst_size, const uint8_t *src, size_t src_len, const char *what)
{
	if (!memchr(src, '\0', src_len))
		return log_error_ret(-LUKS_ERR_DAMAGED, "LUKS1 header: %s field is not terminated", what);
	field_copy(dst, dst_size, src, src_len);
	if (!is_printable_text(dst))
		return log_error_ret(-LUKS_ERR_DAMAGED, "LUKS1 header: %s field holds non-text bytes", what);
	return 0;
}

static int luks1_parse_fields(struct luks_header *hdr, const uint8_t *buf, uint32_t *key_bytes)
{
	char cipher[32], mode[32], hash[32];
	int r;

	if ((r = luks1_text_field(cipher, sizeof(cipher), buf + 8, 32, "cipher name")) < 0 ||
	    (r = luks1_text_field(mode, sizeof(mode), buf + 40, 32, "cipher mode")) < 0 ||
	    (r = luks1_text_field(hash, sizeof(hash), buf + 72, 32, "hash")) < 0 ||
	    (r = luks1_text_field(hdr->uuid, sizeof(hdr->uuid), buf + 168, 40, "UUID")) < 0)
		return r;
	if (!cipher[0] || !mode[0] || !hash[0])
		return log_error_ret(-LUKS_ERR_DAMAGED, "LUKS1 header: empty cipher, mode or hash name");

	*key_bytes = be32_read(buf + 108);
	if (*key_bytes == 0 || *key_bytes > LUKS_KEY_MAX)
		return log_error_ret(-LUKS_ERR_DAMAGED, "LUKS1 header: invalid key size %u bytes", *key_bytes);

	snprintf(hdr->segment.cipher, sizeof(hdr->segment.cipher), "%s-%s", cipher, mode);
	hdr->segment.offset = (uint64_t)be32_read(buf + 104) * SECTOR;
	hdr->segment.size = LUKS_SIZE_DYNAMIC;
	hdr->segment.sector_size = SECTOR;

	struct luks_digest *d = &hdr->digests[0];
	d->active = true;
	snprintf(d->hash, sizeof(d->hash), "%s", hash);
	memcpy(d->digest, buf + 112, LUKS1_DIGEST_SIZE);
	d->digest_len = LUKS1_DIGEST_SIZE;
	memcpy(d->salt, buf + 132, 32);
	d->salt_len = 32;
	d->iterations = be32_read(buf + 164);
	d->covers_segment0 = true;
	if (d->iterations == 0)
		return log_error_ret(-LUKS_ERR_DAMAGED, "LUKS1 header: volume key digest has zero iterations");
	return 0;
}

static uint64_t luks1_area_sectors(uint32_t key_bytes, uint32_t stripes)
{
	return ((uint64_t)key_bytes * stripes + SECTOR - 1) / SECTOR;
}

/* The same rules as cryptsetup's LUKS1 loader, so we accept and refuse the same headers. */
static int luks1_check_slot_area(const struct luks1_slot_raw *s, int i, uint32_t key_bytes, uint32_t payload)
{
	uint64_t end = s->offset_sectors + luks1_area_sectors(key_bytes, s->stripes);

	if (s->stripes != LUKS1_STRIPES)
		return log_error_ret(-LUKS_ERR_DAMAGED, "LUKS1 keyslot %d is invalid: %u stripes (must be 4000)", i,
				     s->stripes);
	if ((uint64_t)s->offset_sectors * SECTOR < LUKS1_HEADER_SIZE)
		return log_error_ret(-LUKS_ERR_DAMAGED, "LUKS1 keyslot %d is invalid: key material inside the header",
				     i);
	if (payload != 0 && end > payload)
		return log_error_ret(-LUKS_ERR_DAMAGED,
				     "LUKS1 keyslot %d is invalid: key material (sectors %u-%llu) runs into the data at sector %u",
				     i, s->offset_sectors, (unsigned long long)end, payload);
	return 0;
}

static int luks1_check_overlaps(const struct luks1_slot_raw *slots, uint32_t key_bytes)
{
	for (int i = 0; i < LUKS1_KEYSLOTS; i++)
		for (int j = i + 1; j < LUKS1_KEYSLOTS; j++) {
			uint64_t a = slots[i].offset_sectors, b = slots[j].offset_sectors;
			uint64_t a_end = a + luks1_area_sectors(key_bytes, slots[i].stripes);
			uint64_t b_end = b + luks1_area_sectors(key_bytes, slots[j].stripes);
			if (a < b_end && b < a_end)
				return log_error_ret(-LUKS_ERR_DAMAGED, "LUKS1 keyslots %d and %d overlap", i, j);
		}
	return 0;
}

static void luks1_fill_slot(struct luks_header *hdr, const struct luks1_slot_raw *s, int i, uint32_t key_bytes)
{
	struct luks_keyslot *ks = &hdr->keyslots[i];

	ks->active = s->active == LUKS1_KEYSLOT_ENABLED;
	ks->priority = PRIORITY_NORMAL;
	ks->key_size = key_bytes;
	ks->kdf.type = KDF_PBKDF2;
	snprintf(ks->kdf.hash, sizeof(ks->kdf.hash), "%s", hdr->digests[0].hash);
	ks->kdf.iterations = s->iterations;
	memcpy(ks->kdf.salt, s->salt, 32);
	ks->kdf.salt_len = 32;
	ks->stripes = s->stripes;
	snprintf(ks->af_hash, sizeof(ks->af_hash), "%s", hdr->digests[0].hash);
	ks->area_offset = (uint64_t)s->offset_sectors * SECTOR;
	ks->area_size = luks1_area_sectors(key_bytes, s->stripes) * SECTOR;
	snprintf(ks->area_cipher, sizeof(ks->area_cipher), "%s", hdr->segment.cipher);
	ks->area_key_size = key_bytes;
	if (ks->active)
		hdr->digests[0].keyslots |= 1u << i;
}

int luks1_header_parse(struct luks_header *hdr, const uint8_t *buf, size_t len)
{
	struct luks1_slot_raw slots[LUKS1_KEYSLOTS];
	uint32_t key_bytes, payload;
	uint64_t end = LUKS1_HEADER_SIZE;
	int r;

	if (len < LUKS1_HEADER_SIZE)
		return log_error_ret(-LUKS_ERR_DAMAGED, "LUKS1 header truncated (%zu bytes)", len);
	if (memcmp(buf, luks_magic, sizeof(luks_magic)) != 0 || be16_read(buf + 6) != 1)
		return log_error_ret(-LUKS_ERR_DAMAGED, "not a LUKS1 header");

	memset(hdr, 0, sizeof(*hdr));
	hdr->version = 1;
	r = luks1_parse_fields(hdr, buf, &key_bytes);
	if (r < 0)
		return r;
	payload = be32_read(buf + 104);

	for (int i = 0; i < LUKS1_KEYSLOTS; i++) {
		slots[i] = luks1_slot_at(buf, i);
		if (slots[i].active != LUKS1_KEYSLOT_ENABLED && slots[i].active != LUKS1_KEYSLOT_DISABLED)
			return log_error_ret(-LUKS_ERR_DAMAGED, "LUKS1 keyslot %d has an invalid state 0x%08x", i,
					     slots[i].active);
		if (slots[i].active == LUKS1_KEYSLOT_ENABLED && slots[i].iterations == 0)
			return log_error_ret(-LUKS_ERR_DAMAGED, "LUKS1 keyslot %d has zero iterations", i);
		r = luks1_check_slot_area(&slots[i], i, key_bytes, payload);
		if (r < 0)
			return r;
	}
	r = luks1_check_overlaps(slots, key_bytes);
	if (r < 0)
		return r;

	for (int i = 0; i < LUKS1_KEYSLOTS; i++) {
		luks1_fill_slot(hdr, &slots[i], i, key_bytes);
		end = max_u64(end, hdr->keyslots[i].area_offset + hdr->keyslots[i].area_size);
	}
	hdr->hdr_size = end;
	return 0;
}
