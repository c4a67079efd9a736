/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/devices.h"

#include <blkid/blkid.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "boot/hotplug.h"

#define DEVICE_WAIT_QUIET_MS 2000

/* The fstab-style tags and the names libblkid's low-level probe reports them under. */
static const struct {
	const char *tag, *probe_name;
} tags[] = {
	{ "UUID", "UUID" },
	{ "PARTUUID", "PART_ENTRY_UUID" },
	{ "LABEL", "LABEL" },
	{ "PARTLABEL", "PART_ENTRY_NAME" },
};

static int probe_value(const char *dev, const char *tag, char *out, size_t size)
{
	blkid_probe pr = blkid_new_probe_from_filename(dev);
	const char *value = NULL;
	int r = -ENOENT;

	if (!pr)
		return -ENOENT;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_UUID | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	if (blkid_do_safeprobe(pr) == 0 && blkid_probe_lookup_value(pr, tag, &value, NULL) == 0) {
		snprintf(out, size, "%s", value);
		r = 0;
	}
	blkid_free_probe(pr);
	return r;
}

static int device_find_tag(const char *tag, const char *want, char *path, size_t size)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;
	int r = -ENOENT;

	if (!d)
		return -errno;
	while (r < 0 && (e = readdir(d))) {
		char dev[300], value[256];
		if (e->d_name[0] == '.')
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", e->d_name);
		if (probe_value(dev, tag, value, sizeof(value)) == 0 && strcasecmp(value, want) == 0) {
			snprintf(path, size, "%s", dev);
			r = 0;
		}
	}
	closedir(d);
	return r;
}

/* udev writes a character a link name cannot hold as \xNN. */
static void udev_unescape(const char *in, char *out, size_t size)
{
	size_t n = 0;

	while (*in && n + 1 < size) {
		if (in[0] == '\\' && in[1] == 'x' && isxdigit((unsigned char)in[2]) && isxdigit((unsigned char)in[3])) {
			char hex[3] = { in[2], in[3], '\0' };
			out[n++] = (char)strtol(hex, NULL, 16);
			in += 4;
		} else {
			out[n++] = *in++;
		}
	}
	out[n] = '\0';
}

/* The /dev/disk/by-* links whose names are the tags they stand for, in the order of tags[]. */
static const char *const tag_link_dirs[ARRAY_SIZE(tags)] = { "/dev/disk/by-uuid/", "/dev/disk/by-partuuid/",
							      "/dev/disk/by-label/", "/dev/disk/by-partlabel/" };

/* Without udev there are no /dev/disk/by-* links: these name the tags they stand for. */
static int device_find_udev_link(const char *spec, char *path, size_t size)
{
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++) {
		size_t n = strlen(tag_link_dirs[i]);
		char value[256];
		if (strncmp(spec, tag_link_dirs[i], n) != 0 || !spec[n])
			continue;
		udev_unescape(spec + n, value, sizeof(value));
		return device_find_tag(tags[i].probe_name, value, path, size);
	}
	return -ENOENT;
}

bool device_name_needs_udev(const char *spec)
{
	if (strncmp(spec, "/dev/disk/", strlen("/dev/disk/")) != 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(tag_link_dirs); i++)
		if (strncmp(spec, tag_link_dirs[i], strlen(tag_link_dirs[i])) == 0)
			return false;
	return true;
}

/* devtmpfs makes a disk's node before the kernel lets it be opened (ENXIO until the disk is
 * live, when its uevent comes): a node counts once it opens. */
static bool block_device_opens(const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int device_find(const char *spec, char *path, size_t size)
{
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++) {
		size_t n = strlen(tags[i].tag);
		if (strncmp(spec, tags[i].tag, n) == 0 && spec[n] == '=')
			return device_find_tag(tags[i].probe_name, spec + n + 1, path, size);
	}
	if (block_device_opens(spec)) {
		snprintf(path, size, "%s", spec);
		return 0;
	}
	return device_find_udev_link(spec, path, size);
}

int device_fstype(const char *path, char *type, size_t size)
{
	return probe_value(path, "TYPE", type, size);
}

int device_uuid(const char *path, char *uuid, size_t size)
{
	return probe_value(path, "UUID", uuid, size);
}

int device_wait(const char *spec, int timeout_sec, char *path, size_t size)
{
	long long start = monotonic_ms(), deadline = start + (long long)timeout_sec * 1000;
	_cleanup_close_ int fd = uevent_socket();
	bool told = false;

	for (;;) {
		long long left = deadline - monotonic_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (device_find(spec, path, size) == 0) {
			log_debug("%s is %s", spec, path);
			return 0;
		}
		/* Nothing would ever make the name: say so now rather than after the timeout. */
		if (device_name_needs_udev(spec)) {
			log_error("%s: only udev makes this name, and udev does not run in this initramfs; name the device "
				  "UUID=, PARTUUID=, LABEL= or PARTLABEL= instead (unlock-mkinitrd does so itself in the image's "
				  "crypttab for the names it can resolve when it builds the image)", spec);
			return -ENODEV;
		}
		if (timeout_sec > 0 && left <= 0)
			return -ETIMEDOUT;
		/* Disks usually show up within a moment; say something only when one is slow. */
		if (!told && monotonic_ms() - start >= DEVICE_WAIT_QUIET_MS) {
			if (timeout_sec > 0)
				log_info("waiting for %s (up to %d s)...", spec, timeout_sec);
			else
				log_info("waiting for %s...", spec);
			told = true;
		}
		/* Rescan at least every 500 ms: an event may have come before the socket was open. */
		if (fd >= 0 && poll(&pfd, 1, (int)(left > 500 || timeout_sec == 0 ? 500 : left)) > 0)
			uevent_drain(fd, NULL, NULL);
		else if (fd < 0)
			usleep(100000);
	}
}
