/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "dm/dm_table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "crypto/cipher.h"

static int secret_printf(struct secret *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int secret_printf(struct secret *s, const char *fmt, ...)
{
	size_t room = s->capacity - s->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf((char *)s->data + s->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -ENOSPC;
	s->len += (size_t)n;
	return 0;
}

int dm_key_description(const struct luks_header *hdr, int digest, char *buf, size_t size)
{
	int n = snprintf(buf, size, "cryptsetup:%s-d%d", hdr->uuid, digest);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

int dm_uuid(const struct luks_header *hdr, const char *name, char *buf, size_t size)
{
	char plain_uuid[sizeof(hdr->uuid)];
	size_t j = 0;
	int n;

	for (size_t i = 0; hdr->uuid[i]; i++)
		if (hdr->uuid[i] != '-')
			plain_uuid[j++] = hdr->uuid[i];
	plain_uuid[j] = '\0';
	n = snprintf(buf, size, "CRYPT-LUKS%d-%s-%s", hdr->version, plain_uuid, name);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

int dm_table_check(const struct luks_header *hdr, const char *path)
{
	if (hdr->requirements[0])
		return log_error_ret(-LUKS_ERR_UNSUPPORTED,
				     "%s: unmet requirements: the header demands features not supported here (%s); open it with a current cryptsetup",
				     path, hdr->requirements);
	if (hdr->segment.integrity)
		return log_error_ret(-LUKS_ERR_UNSUPPORTED, "%s: authenticated encryption (dm-integrity) is not supported",
				     path);
	if (!cipher_spec_known(hdr->segment.cipher))
		return log_error_ret(-LUKS_ERR_UNSUPPORTED, "%s: no known cipher specification \"%s\" for the data", path,
				     hdr->segment.cipher);
	return 0;
}

static int dm_table_key(struct secret *t, const struct dm_table_request *req)
{
	char desc[128];
	int r;

	if (req->hex_key) {
		for (size_t i = 0; i < req->volume_key->len; i++)
			if ((r = secret_printf(t, "%02x", req->volume_key->data[i])) < 0)
				return r;
		return 0;
	}
	r = dm_key_description(req->hdr, req->digest, desc, sizeof(desc));
	if (r < 0)
		return r;
	return secret_printf(t, ":%zu:logon:%s", req->volume_key->len, desc);
}

static int dm_table_options(struct secret *t, uint32_t flags, uint32_t sector_size)
{
	static const struct {
		uint32_t flag;
		const char *name;
	} order[] = {
		{ LUKS_FLAG_ALLOW_DISCARDS, "allow_discards" },
		{ LUKS_FLAG_SAME_CPU_CRYPT, "same_cpu_crypt" },
		{ LUKS_FLAG_SUBMIT_FROM_CRYPT_CPUS, "submit_from_crypt_cpus" },
		{ LUKS_FLAG_NO_READ_WORKQUEUE, "no_read_workqueue" },
		{ LUKS_FLAG_NO_WRITE_WORKQUEUE, "no_write_workqueue" },
		{ LUKS_FLAG_HIGH_PRIORITY, "high_priority" },
	};
	char opts[256] = "";
	int count = 0;

	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (flags & order[i].flag) {
			strcat(opts, " ");
			strcat(opts, order[i].name);
			count++;
		}
	if (sector_size != 512) {
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), " sector_size:%u", sector_size);
		count++;
	}
	if (count == 0)
		return 0;
	return secret_printf(t, " %d%s", count, opts);
}

static int dm_table_check_layout(const struct dm_table_request *req, uint64_t bytes)
{
	const struct luks_header *hdr = req->hdr;

	if (!req->detached_header && hdr->segment.offset == 0)
		return log_error_ret(-LUKS_ERR_DAMAGED,
				     "%s: the data offset is 0 on the device that holds the header; give the data device and --header",
				     req->data_device);
	if (bytes == 0)
		return log_error_ret(-LUKS_ERR_DAMAGED, "%s: the device (%llu bytes) is smaller than the data offset (%llu bytes)",
				     req->data_device, (unsigned long long)req->data_device_size,
				     (unsigned long long)hdr->segment.offset);
	if (bytes % hdr->segment.sector_size)
		return log_error_ret(-LUKS_ERR_DAMAGED, "%s: the data size (%llu bytes) is not a multiple of the sector size %u",
				     req->data_device, (unsigned long long)bytes, hdr->segment.sector_size);
	return 0;
}

int dm_table_build(const struct dm_table_request *req, struct dm_table *table)
{
	const struct luks_header *hdr = req->hdr;
	uint64_t bytes = luks_segment_bytes(hdr, req->data_device_size);
	_cleanup_secret_ struct secret *t = NULL;
	int r;

	if ((r = dm_table_check(hdr, req->data_device)) < 0 || (r = dm_table_check_layout(req, bytes)) < 0)
		return r;
	t = secret_new(4096);
	if (!t)
		return -ENOMEM;
	if ((r = secret_printf(t, "%s ", hdr->segment.cipher)) < 0 ||
	    (r = dm_table_key(t, req)) < 0 ||
	    (r = secret_printf(t, " 0 %s %llu", req->data_device, (unsigned long long)(hdr->segment.offset / 512))) < 0 ||
	    (r = dm_table_options(t, hdr->flags | req->extra_flags, hdr->segment.sector_size)) < 0)
		return r;
	table->sectors = bytes / 512;
	table->params = t;
	t = NULL;
	return 0;
}
