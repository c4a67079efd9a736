/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The whole read path (LUKS1/LUKS2 detection, both LUKS2 copies, secondary search) on an in-memory
 * device. A mutated LUKS2 header almost never keeps its checksum, so the JSON behind it would be
 * reached by the seeds alone: the harness puts the right sha256 checksum into every copy it finds
 * first (inputs of odd length keep theirs, for the damaged paths). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/blockdev.h"
#include "base/log.h"
#include "base/util.h"
#include "crypto/hash.h"
#include "luks/luks.h"
#include "luks/luks2.h"

static void checksum_fix(uint8_t *buf, size_t size, uint64_t offset)
{
	static const uint8_t magics[2][6] = { { 'L', 'U', 'K', 'S', 0xba, 0xbe }, { 'S', 'K', 'U', 'L', 0xba, 0xbe } };
	const struct hash_alg *md = hash_by_name("sha256");
	struct hash_ctx ctx;
	uint64_t hdr_size;
	uint8_t *h;

	if (!md || offset > size || size - offset < LUKS2_BIN_SIZE)
		return;
	h = buf + offset;
	if (memcmp(h, magics[offset != 0], 6) != 0 || strncmp((const char *)h + 72, "sha256", 32) != 0)
		return;
	hdr_size = be64_read(h + 8);
	if (hdr_size < LUKS2_HDR_SIZE_MIN || hdr_size > LUKS2_HDR_SIZE_MAX || hdr_size > size - offset)
		return;
	memset(h + 448, 0, 64);
	if (hash_init(&ctx, md) == 0 && hash_update(&ctx, h, (size_t)hdr_size) == 0)
		hash_final(&ctx, h + 448);
	hash_done(&ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blockdev dev;
	struct luks_header hdr;
	char path[64];
	int fd = memfd_create("fuzz-header", MFD_CLOEXEC);

	uint8_t *copy = malloc(size ? size : 1);

	log_set_max_level(LOG_LEVEL_QUIET);
	if (copy) {
		memcpy(copy, data, size);
		if (size % 2 == 0) {
			checksum_fix(copy, size, 0);
			for (uint64_t off = LUKS2_HDR_SIZE_MIN; off <= LUKS2_HDR_SIZE_MAX; off <<= 1)
				checksum_fix(copy, size, off);
		}
	}
	if (!copy || fd < 0 || write(fd, copy, size) != (ssize_t)size) {
		free(copy);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	free(copy);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (blockdev_open(&dev, path) == 0) {
		if (luks_header_read(&hdr, &dev) == 0)
			luks_header_done(&hdr);
		blockdev_close(&dev);
	}
	close(fd);
	return 0;
}
