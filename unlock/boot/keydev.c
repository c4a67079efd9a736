/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/keydev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "boot/devices.h"
#include "open/keyfile.h"

static const char *keydev_spec(const struct boot_volume *vol)
{
	return vol->key_raw ? vol->key_file : vol->key_device;
}

/*
 * The key device is whatever was plugged in under that label: its symlinks must not lead out of
 * it (into the image's own key files, say), so the path is resolved inside its root. O_NONBLOCK:
 * opening a FIFO would otherwise wait for a writer that never comes (callers take regular files only).
 */
static int open_beneath(const char *root, const char *path)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
	_cleanup_close_ int dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long fd;

	if (dir < 0)
		return -errno;
	fd = syscall(SYS_openat2, dir, path, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

static bool is_regular_file(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static int device_fs_type(const char *vol_name, const char *what, const char *spec, const char *dev, const char *fstype,
			  char *type, size_t size)
{
	if (fstype && fstype[0] && strcmp(fstype, "auto") != 0) {
		snprintf(type, size, "%s", fstype);
		return 0;
	}
	if (device_fstype(dev, type, size) < 0)
		return log_error_ret(-ENOENT, "%s: the %s device %s (%s) holds no filesystem that can be recognised", vol_name,
				     what, spec, dev);
	return 0;
}

int keydev_open_file(const char *vol_name, const char *what, const char *spec, const char *dev, const char *fstype,
		     const char *path, struct modules *m)
{
	char type[64], dir[BOOT_PATH_MAX + 32];
	int fd, r;

	r = device_fs_type(vol_name, what, spec, dev, fstype, type, sizeof(type));
	if (r < 0)
		return r;
	modules_load_for_fs(m, type);
	snprintf(dir, sizeof(dir), KEYDEV_RUN_DIR "/%sdev-%s", what, vol_name);
	mkdir(KEYDEV_RUN_DIR, 0700);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_error_ret(-errno, "%s: cannot create %s: %s", vol_name, dir, strerror(errno));
	if (mount(dev, dir, type, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		r = log_error_ret(-errno, "%s: cannot mount the %s device %s (%s, %s): %s", vol_name, what, spec, dev, type,
				  strerror(errno));
		rmdir(dir);
		return r;
	}
	fd = open_beneath(dir, path);
	if (fd < 0) {
		log_error("%s: cannot open %s on the %s device %s: %s", vol_name, path, what, spec, strerror(-fd));
	} else if (!is_regular_file(fd)) {
		log_error("%s: %s on the %s device %s is not a regular file", vol_name, path, what, spec);
		close(fd);
		fd = -EINVAL;
	}
	/* Detached at once: the open file keeps the filesystem readable until it is closed. */
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	rmdir(KEYDEV_RUN_DIR); /* the real system finds /run as it expects it; fails while another is mounted */
	return fd;
}

static int keydev_read_file(const struct boot_volume *vol, const char *dev, struct modules *m, struct secret **out)
{
	int fd = keydev_open_file(vol->name, "key", keydev_spec(vol), dev, vol->key_fstype, vol->key_file, m);
	int r;

	if (fd < 0)
		return fd;
	r = keyfile_read_fd(fd, vol->key_file, vol->keyfile_offset, vol->keyfile_size, out);
	close(fd);
	if (r == 0)
		log_debug("%s: key read from %s on %s", vol->name, vol->key_file, dev);
	return r;
}

int keydev_read(const struct boot_volume *vol, int timeout_sec, struct modules *m, struct secret **out)
{
	char dev[BOOT_PATH_MAX];
	int r = device_wait(keydev_spec(vol), timeout_sec, dev, sizeof(dev));

	if (r == -ETIMEDOUT)
		return log_error_ret(r, "%s: the key device %s did not appear within %d s", vol->name, keydev_spec(vol),
				     timeout_sec);
	if (r < 0 && r != -ENODEV)
		return log_error_ret(r, "%s: cannot find the key device %s: %s", vol->name, keydev_spec(vol), strerror(-r));
	if (r < 0)
		return r;
	if (vol->key_raw)
		return keyfile_read(dev, vol->keyfile_offset, vol->keyfile_size, out);
	return keydev_read_file(vol, dev, m, out);
}
