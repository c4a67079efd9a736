/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/flow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "boot/content_check.h"
#include "boot/devices.h"
#include "boot/keydev.h"
#include "boot/measure.h"
#include "boot/modules.h"
#include "boot/plain_volume.h"
#include "boot/preload.h"
#include "boot/secrets.h"
#include "boot/stack.h"
#include "boot/wait.h"
#include "dm/dm.h"
#include "open/volume.h"

/* keyfile-erase=, after the volume opened or failed, as systemd does: a key file in the image is
 * overwritten and removed, so its bytes are not left in the freed pages of the initramfs. */
static void key_file_erase(const struct boot_volume *vol)
{
	static const uint8_t zeros[4096];
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (!vol->keyfile_erase || !vol->key_file[0] || vol->key_is_name)
		return;
	if (!volume_key_in_image(vol)) {
		log_warning("%s: keyfile-erase: %s stays on %s, which unlock only mounts read-only", vol->name,
			    vol->key_file, vol->key_device[0] ? vol->key_device : "its device");
		return;
	}
	/* Only a regular file: opening a device for writing may do something of its own. */
	if (lstat(vol->key_file, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	fd = open(vol->key_file, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	for (off_t done = 0; done < st.st_size;) {
		ssize_t n = pwrite(fd, zeros, (size_t)MIN((off_t)sizeof(zeros), st.st_size - done), done);
		if (n <= 0)
			break;
		done += n;
	}
	if (unlink(vol->key_file) < 0)
		log_warning("%s: keyfile-erase: cannot remove %s: %s", vol->name, vol->key_file, strerror(errno));
	else
		log_info("%s: key file %s erased (keyfile-erase)", vol->name, vol->key_file);
}

/* header= is a file in the image, a device (a tag or a /dev path, such as a USB stick's
 * partition) waited for like the volume's own, or a file on such a device's filesystem
 * (PATH:DEVICE), opened there into *fd and read through /proc/self/fd. */
static int header_locate(const struct boot_volume *vol, struct modules *m, char *path, size_t size, int *fd)
{
	const char *h = volume_header_device(vol);
	char dev[BOOT_PATH_MAX];
	int r;

	if (!h) {
		snprintf(path, size, "%s", vol->header);
		return 0;
	}
	r = device_wait(h, volume_wait_timeout(vol), dev, sizeof(dev));
	if (r == -ETIMEDOUT) {
		log_error("%s: the header device %s did not appear within %d s", vol->name, h, volume_wait_timeout(vol));
		modules_explain_missing_device();
		r = VOLUMES_DEVICE_MISSING;
	}
	if (r < 0 || !vol->header_device[0]) {
		snprintf(path, size, "%s", dev);
		return r;
	}
	*fd = keydev_open_file(vol->name, "header", h, dev, NULL, vol->header, m);
	if (*fd < 0)
		return *fd;
	log_debug("%s: header %s on %s", vol->name, vol->header, dev);
	snprintf(path, size, "/proc/self/fd/%d", *fd);
	return 0;
}

static int boot_volume_open(const struct boot_volume *vol, const char *dev, struct modules *m, struct passcache *typed)
{
	struct volume v;
	struct modules_job *data_modules = NULL;
	_cleanup_secret_ struct secret *key = NULL;
	char header[BOOT_PATH_MAX];
	int digest = -1, header_fd = -1, r;

	if (vol->header[0] && (r = header_locate(vol, m, header, sizeof(header), &header_fd)) < 0)
		return r;
	r = volume_load(&v, dev, vol->header[0] ? header : NULL);
	if (header_fd >= 0)
		close(header_fd);
	if (r == -LUKS_ERR_DAMAGED)
		log_error("%s: %s has no valid LUKS header; if it is a plain dm-crypt volume, add \"plain\" to its crypttab options",
			  vol->name, dev);
	if (r == 0)
		r = dm_table_check(&v.hdr, dev);
	if (r == 0) {
		modules_load_for_keyslots(m, &v.hdr);
		data_modules = modules_start_for_data(&v.hdr);
		r = boot_volume_unlock(vol, &v, dev, m, typed, &key, &digest);
	}
	if (r == 0) {
		log_debug("%s: volume key verified", vol->name);
		fs_driver_preload(vol, &v, key);
	}
	modules_job_finish(data_modules);
	if (r == 0) {
		/* Quick when the job loaded them; needed when it could not run. */
		modules_load_for_cipher(m, v.hdr.segment.cipher);
		r = volume_activate(&v, vol->name, key, digest, vol->flags, vol->read_only);
	}
	if (r == 0)
		boot_volume_measure(vol, &v, key, m);
	volume_done(&v);
	return r;
}

/* crypttab check=: the opened volume holds what it says, or it is closed again (-EBADMSG). */
int volume_content_check(const struct boot_volume *vol)
{
	int r;

	if (!vol->check[0] || (r = content_check_volume(vol->name, vol->check, vol->check_args)) == 0)
		return 0;
	dm_remove(vol->name);
	return r;
}

/* systemd: a volume without a key file takes NAME.key from /run/cryptsetup-keys.d/ or
 * /etc/cryptsetup-keys.d/ when the image has one there. */
static const struct boot_volume *volume_with_default_key(const struct boot_volume *vol, struct boot_volume *copy)
{
	static const char *const dirs[] = { "/run/cryptsetup-keys.d", "/etc/cryptsetup-keys.d" };

	if (vol->key_file[0] || vol->swap)
		return vol;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char path[BOOT_PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s.key", dirs[i], vol->name) >= (int)sizeof(path) || access(path, R_OK) < 0)
			continue;
		*copy = *vol;
		snprintf(copy->key_file, sizeof(copy->key_file), "%s", path);
		log_debug("%s: using the key file %s", vol->name, path);
		return copy;
	}
	return vol;
}

/* Inside another generator's image something else (its own crypt hook, an earlier run) may have
 * opened the volume already: it is left as it is. */
static bool volume_already_open(const struct boot_volume *vol)
{
	char path[sizeof(vol->name) + 16];

	snprintf(path, sizeof(path), "/dev/mapper/%s", vol->name);
	return access(path, F_OK) == 0;
}

/* One volume: its device waited for, then opened as its options say. */
static int volume_open_as_configured(const struct boot_volume *vol, struct modules *m, struct passcache *typed, char *dev,
				     size_t size)
{
	int r;

	if (vol->unsupported[0])
		return log_error_ret(-EOPNOTSUPP, "%s: %s", vol->name, vol->unsupported);
	r = device_wait_stacked(vol->device, volume_wait_timeout(vol), m, dev, size);
	if (r == -ETIMEDOUT) {
		log_error("%s: device %s did not appear within %d s", vol->name, vol->device, volume_wait_timeout(vol));
		stack_explain_missing(vol->device);
		modules_explain_missing_device();
		r = VOLUMES_DEVICE_MISSING;
	}
	if (r < 0)
		return r;
	/* Before anything is asked: a device already mapped is never mapped again. */
	if ((r = dm_refuse_held(vol->name, dev)) < 0)
		return r;
	if (vol->precheck[0] && (r = content_precheck(vol->name, dev, vol->precheck)) < 0)
		return r;
	if (vol->swap)
		return swap_volume_open(vol, dev, m);
	if (vol->plain)
		return plain_volume_open(vol, dev, m);
	r = boot_volume_open(vol, dev, m, typed);
	return r == 0 ? volume_content_check(vol) : r;
}

int volumes_open(const struct boot_config *cfg, struct modules *m, struct passcache *typed)
{
	for (int i = 0; i < cfg->n_volumes; i++) {
		struct boot_volume with_key;
		const struct boot_volume *vol = volume_with_default_key(&cfg->volumes[i], &with_key);
		char dev[BOOT_PATH_MAX];
		int r;
		if (vol->noauto)
			continue;
		if (vol->tmp) {
			log_info("%s: a tmp volume; the system sets it up after boot", vol->name);
			continue;
		}
		if (volume_already_open(vol)) {
			log_info("%s: already open as /dev/mapper/%s", vol->name, vol->name);
			continue;
		}
		r = volume_open_as_configured(vol, m, typed, dev, sizeof(dev));
		key_file_erase(vol);
		if (r == 0) {
			log_info("%s: opened as /dev/mapper/%s", dev, vol->name);
			continue;
		}
		if (vol->nofail) {
			log_warning("%s: could not be opened; continuing because it is marked nofail", vol->name);
			continue;
		}
		return log_error_ret(r, "%s: could not be opened", vol->name);
	}
	return 0;
}
