/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/blockdev.h"

#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

static int blockdev_query_size(struct blockdev *dev)
{
	struct stat st;

	if (fstat(dev->fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		dev->size = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return ioctl(dev->fd, BLKGETSIZE64, &dev->size) < 0 ? -errno : 0;
	return -ENOTBLK;
}

int blockdev_open(struct blockdev *dev, const char *path)
{
	int r;

	dev->path = path;
	dev->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (dev->fd < 0)
		return log_error_ret(-errno, "cannot open %s: %s", path, strerror(errno));
	r = blockdev_query_size(dev);
	if (r < 0) {
		log_error("cannot determine the size of %s: %s", path,
			  r == -ENOTBLK ? "not a block device or regular file" : strerror(-r));
		blockdev_close(dev);
		return r;
	}
	return 0;
}

void blockdev_close(struct blockdev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

int blockdev_read(const struct blockdev *dev, uint64_t offset, void *buf, size_t len)
{
	size_t done = 0;

	if (offset > dev->size || len > dev->size - offset)
		return log_error_ret(-EIO, "%s: read of %zu bytes at offset %llu runs past the end (%llu bytes)",
				     dev->path, len, (unsigned long long)offset, (unsigned long long)dev->size);
	while (done < len) {
		ssize_t n = pread(dev->fd, (uint8_t *)buf + done, len - done, (off_t)(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return log_error_ret(-errno, "%s: read error at offset %llu: %s", dev->path,
					     (unsigned long long)(offset + done), strerror(errno));
		if (n == 0)
			return log_error_ret(-EIO, "%s: unexpected end of data at offset %llu", dev->path,
					     (unsigned long long)(offset + done));
		done += (size_t)n;
	}
	return 0;
}

int blockdev_foreign_signature(const struct blockdev *dev, char *type, size_t type_size)
{
	blkid_probe pr = blkid_new_probe();
	const char *found = NULL;
	int r, foreign = 0;

	if (!pr)
		return 0;
	if (blkid_probe_set_device(pr, dev->fd, 0, 0) == 0) {
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
		r = blkid_do_safeprobe(pr);
		if (r == -2) {
			snprintf(type, type_size, "several signatures");
			foreign = 1;
		} else if (r == 0 && blkid_probe_lookup_value(pr, "TYPE", &found, NULL) == 0 &&
			   strcmp(found, "crypto_LUKS") != 0) {
			snprintf(type, type_size, "%s", found);
			foreign = 1;
		}
	}
	blkid_free_probe(pr);
	return foreign;
}

#define BUFFER_PROBE_MIN_SIZE (1u << 20)

int buffer_fstype(const void *buf, size_t len, char *type, size_t size)
{
	_cleanup_close_ int fd = memfd_create("unlock-peek", MFD_CLOEXEC);
	blkid_probe pr;
	const char *value = NULL;
	int r = -ENOENT;

	/* libblkid skips a filesystem on a device smaller than that type's minimum (btrfs: 1 MiB): the
	 * probe sees at least that much, the part past len reading as zeros. */
	blkid_loff_t probe_size = (blkid_loff_t)(len > BUFFER_PROBE_MIN_SIZE ? len : BUFFER_PROBE_MIN_SIZE);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len || ftruncate(fd, probe_size) < 0)
		return -EIO;
	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	if (blkid_probe_set_device(pr, fd, 0, probe_size) == 0 && blkid_do_safeprobe(pr) == 0 &&
	    blkid_probe_lookup_value(pr, "TYPE", &value, NULL) == 0) {
		snprintf(type, size, "%s", value);
		r = 0;
	}
	blkid_free_probe(pr);
	/* Give the pages back now: they held the volume's first sectors in the clear. */
	if (ftruncate(fd, 0) < 0)
		r = r < 0 ? r : -EIO;
	return r;
}
