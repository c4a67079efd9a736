/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hand-written swap signature: mkswap is not in the image and no library writes one. The layout is
 * the kernel's union swap_header (include/linux/swap.h): version, last page and UUID at byte 1024,
 * "SWAPSPACE2" in the last 10 bytes of the first page.
 */
#include "boot/swap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

#define SWAP_PAGE 4096u

int swap_format(const char *device)
{
	_cleanup_close_ int fd = open(device, O_RDWR | O_CLOEXEC | O_EXCL);
	uint8_t page[SWAP_PAGE] = { 0 };
	uint64_t bytes = 0;
	uint32_t last_page, version = 1;

	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &bytes) < 0)
		return log_error_ret(-errno, "%s: cannot open for the swap signature: %s", device, strerror(errno));
	if (bytes < 10 * SWAP_PAGE)
		return log_error_ret(-ENOSPC, "%s: too small for swap", device);
	last_page = (uint32_t)MIN(bytes / SWAP_PAGE - 1, UINT32_MAX);
	memcpy(page + 1024, &version, 4); /* native byte order, as mkswap writes it */
	memcpy(page + 1028, &last_page, 4);
	if (getrandom(page + 1036, 16, 0) != 16)
		return log_error_ret(-EIO, "%s: no random UUID for the swap signature", device);
	page[1036 + 6] = (uint8_t)((page[1036 + 6] & 0x0f) | 0x40);
	page[1036 + 8] = (uint8_t)((page[1036 + 8] & 0x3f) | 0x80);
	memcpy(page + SWAP_PAGE - 10, "SWAPSPACE2", 10);
	if (pwrite(fd, page, sizeof(page), 0) != (ssize_t)sizeof(page) || fsync(fd) < 0)
		return log_error_ret(-EIO, "%s: cannot write the swap signature: %s", device, strerror(errno));
	return 0;
}

int swap_resume_from(const char *device)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	char text[32];
	int n;

	if (stat(device, &st) < 0 || !S_ISBLK(st.st_mode))
		return log_error_ret(-ENOENT, "resume device %s is not a block device", device);
	fd = open("/sys/power/resume", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_ret(-errno, "cannot open /sys/power/resume: %s", strerror(errno));
	n = snprintf(text, sizeof(text), "%u:%u", major(st.st_rdev), minor(st.st_rdev));
	/* If an image is there the kernel resumes it and this call never returns. */
	if (write(fd, text, (size_t)n) != n)
		return log_error_ret(-errno, "no hibernation image resumed from %s (%s)", device, strerror(errno));
	log_info("no hibernation image on %s; booting normally", device);
	return 0;
}
