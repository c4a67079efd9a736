/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_DM_TABLE_H
#define UNLOCK_DM_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/secret.h"
#include "luks/luks.h"

struct dm_table_request {
	const struct luks_header *hdr;
	const char *data_device;    /* path or major:minor written into the table */
	uint64_t data_device_size;  /* bytes */
	bool detached_header;
	uint32_t extra_flags;       /* enum luks_flag from the caller (crypttab), OR-ed with the header's */
	int digest;                 /* digest that verified the key: names the keyring key */
	const struct secret *volume_key;
	bool hex_key;               /* put the key itself into the table instead of a keyring reference */
};

/* The kernel keyring description cryptsetup uses: "cryptsetup:<uuid>-d<digest>". */
int dm_key_description(const struct luks_header *hdr, int digest, char *buf, size_t size);
/* Checks that the volume can be activated here: -LUKS_ERR_UNSUPPORTED (logged) if not. */
int dm_table_check(const struct luks_header *hdr, const char *path);
/* A crypt target: "0 <sectors> crypt <params>". */
struct dm_table {
	uint64_t sectors;
	struct secret *params; /* NUL-terminated text in locked memory: it may hold the key */
};

/* Builds the crypt target for the request. */
int dm_table_build(const struct dm_table_request *req, struct dm_table *table);
/* cryptsetup's DM UUID: CRYPT-LUKS<v>-<uuid without dashes>-<name>. */
int dm_uuid(const struct luks_header *hdr, const char *name, char *buf, size_t size);

#endif
