/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_LUKS2_H
#define UNLOCK_LUKS2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "luks/luks.h"

#define LUKS2_BIN_SIZE 4096u
#define LUKS2_HDR_SIZE_MIN 0x4000u
#define LUKS2_HDR_SIZE_MAX 0x400000u

/* One copy of the binary header, checked for sanity but not yet for its checksum. */
struct luks2_bin {
	uint64_t hdr_size;
	uint64_t seqid;
	uint64_t offset;
	char checksum_alg[33];
	char uuid[41];
	char label[49];
	char subsystem[49];
};

/* Checks magic, version, offsets and size of the copy expected at offset; buf holds >= 4096 bytes. */
int luks2_bin_parse(struct luks2_bin *bin, const uint8_t *buf, size_t len, uint64_t offset);
/* Verifies the checksum over the whole copy (buf holds bin->hdr_size bytes). */
int luks2_bin_verify_checksum(const struct luks2_bin *bin, const uint8_t *buf);
/* Validates one whole copy (binary header, checksum and JSON) and fills hdr from it. */
int luks2_copy_parse(struct luks_header *hdr, const uint8_t *buf, size_t len, uint64_t offset);
/* Parses the JSON metadata area (json_len bytes, NUL padded) against the format spec. */
int luks2_json_parse(struct luks_header *hdr, const char *json, size_t json_len);

struct blockdev;
/* Reads both copies from dev, picks the one cryptsetup would use and fills hdr. */
int luks2_header_read(struct luks_header *hdr, const struct blockdev *dev);

#endif
