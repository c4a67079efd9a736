/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The whole read path (LUKS1/LUKS2 detection, both LUKS2 copies, secondary search) on an in-memory device. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/blockdev.h"
#include "base/log.h"
#include "luks/luks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blockdev dev;
	struct luks_header hdr;
	char path[64];
	int fd = memfd_create("fuzz-header", MFD_CLOEXEC);

	log_set_max_level(LOG_LEVEL_QUIET);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (blockdev_open(&dev, path) == 0) {
		if (luks_header_read(&hdr, &dev) == 0)
			luks_header_done(&hdr);
		blockdev_close(&dev);
	}
	close(fd);
	return 0;
}
