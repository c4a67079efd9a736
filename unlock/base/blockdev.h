/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BLOCKDEV_H
#define UNLOCK_BLOCKDEV_H

#include <stddef.h>
#include <stdint.h>

/* A device, image file or detached header, always opened read-only. */
struct blockdev {
	int fd;
	uint64_t size;
	const char *path;
};

int blockdev_open(struct blockdev *dev, const char *path);
void blockdev_close(struct blockdev *dev);
/* Reads exactly len bytes at offset; -EIO (logged) when the device is shorter. */
int blockdev_read(const struct blockdev *dev, uint64_t offset, void *buf, size_t len);

/* 1 with the type name when libblkid finds a non-LUKS signature (or several) on the device, else 0. */
int blockdev_foreign_signature(const struct blockdev *dev, char *type, size_t type_size);

/* The filesystem type libblkid sees in the first len bytes of a device, held in buf. */
int buffer_fstype(const void *buf, size_t len, char *type, size_t size);

#endif
