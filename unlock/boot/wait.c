/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/wait.h"

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "boot/devices.h"
#include "boot/hotplug.h"
#include "boot/stack.h"

#define STACK_RETRY_SEC 2

/* What the background loader's hold function looks at (see hotplug_hold_fn). */
static const struct boot_config *boot_cfg;
static struct hotplug *hotplug;
static atomic_int other_device_waits;
/* rd.timeout= (or its default), for volumes that do not set their own. */
static int boot_timeout_sec;

void boot_wait_setup(const struct boot_config *cfg)
{
	boot_cfg = cfg;
	boot_timeout_sec = cfg->timeout_sec;
}

void boot_wait_loader(struct hotplug *h)
{
	hotplug = h;
}

int volume_wait_timeout(const struct boot_volume *vol)
{
	return vol->timeout_sec >= 0 ? vol->timeout_sec : boot_timeout_sec;
}

bool volume_key_in_image(const struct boot_volume *vol)
{
	return !vol->key_device[0] && !vol->key_raw;
}

static bool header_on_device(const char *h)
{
	return strncmp(h, "/dev/", 5) == 0 || (h[0] != '/' && strchr(h, '='));
}

/* The device a detached header is on, or is; NULL for a header file in the image. */
const char *volume_header_device(const struct boot_volume *vol)
{
	if (vol->header_device[0])
		return vol->header_device;
	return vol->header[0] && header_on_device(vol->header) ? vol->header : NULL;
}

static bool device_present(const char *spec)
{
	char path[BOOT_PATH_MAX];

	return device_find(spec, path, sizeof(path)) == 0;
}

/* The volume's device, and the devices its header and key are on. */
static bool volume_devices_present(const struct boot_volume *vol)
{
	const char *header_device = volume_header_device(vol);

	if (vol->noauto || vol->tmp)
		return true;
	return device_present(vol->device) && (!header_device || device_present(header_device)) &&
	       (volume_key_in_image(vol) || device_present(vol->key_raw ? vol->key_file : vol->key_device));
}

static int block_devices_count(void)
{
	DIR *d = opendir("/sys/class/block");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Called from the loader's thread only: the answer is kept until the set of block devices changes. */
bool boot_waits_for_no_device(void)
{
	static int counted = -2;
	static bool all_present;
	int n;

	if (!boot_cfg || !boot_cfg->luks_enabled || boot_cfg->n_volumes == 0 || atomic_load(&other_device_waits) > 0)
		return false;
	n = block_devices_count();
	if (n != counted) {
		all_present = n >= 0;
		for (int i = 0; all_present && i < boot_cfg->n_volumes; i++)
			all_present = volume_devices_present(&boot_cfg->volumes[i]);
		counted = n;
	}
	return all_present;
}

/* A device that may be an LVM logical volume or lie on an MD array: assembling is tried again
 * while waiting, whenever new members have appeared (a disk found late, an encrypted volume just
 * opened). */
int device_wait_stacked(const char *spec, int timeout_sec, struct modules *m, char *path, size_t size)
{
	long long deadline = monotonic_ms() + (long long)timeout_sec * 1000;

	if (!stack_tools_present() || device_find(spec, path, size) == 0)
		return device_wait(spec, timeout_sec, path, size);
	for (;;) {
		int step = STACK_RETRY_SEC, r;
		stack_assemble_for(spec, m);
		if (timeout_sec > 0) {
			long long left = (deadline - monotonic_ms() + 999) / 1000;
			if (left <= 0)
				return -ETIMEDOUT;
			step = (int)MIN((long long)step, left);
		}
		r = device_wait(spec, step, path, size);
		if (r != -ETIMEDOUT)
			return r;
	}
}

/* A wait for a device that is not one of the volumes' (root, resume): the loader must not hold. */
int other_device_wait(const char *spec, int timeout_sec, struct modules *m, char *path, size_t size)
{
	int r;

	if (device_find(spec, path, size) == 0)
		return 0;
	atomic_fetch_add(&other_device_waits, 1);
	hotplug_wake(hotplug);
	r = device_wait_stacked(spec, timeout_sec, m, path, size);
	atomic_fetch_sub(&other_device_waits, 1);
	return r;
}
