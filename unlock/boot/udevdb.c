/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hand-written: udev's database has no library for writing it but udevd itself, which the image
 * does not run; the format (one "KEY:value" record a line) is udev's device_update_db(). */
#include "boot/udevdb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/log.h"
#include "base/util.h"
#include "boot/devices.h"

#define UDEV_DATA_DIR "/run/udev/data"

/* What udev's processing of a dm device's activation leaves for its coldplug event to import. */
static const char dm_records[] = "E:DM_UDEV_PRIMARY_SOURCE_FLAG=1\nE:DM_UDEV_RULES=1\nE:DM_UDEV_RULES_VSN=2\n";
/* 69-lvm.rules: an MD array's PV is scanned on coldplug only if its activation was seen. */
static const char md_pv_records[] = "E:LVM_MD_PV_ACTIVATED=1\n";

/* Writes the entry unless one exists. udev marks entries to keep across "udevadm info
 * --cleanup-db" (db_persist) with the sticky bit, as dracut's rules do for dm devices. */
static void entry_write(const char *devnum, const char *records)
{
	char path[128], initialized[48];
	struct timespec now;
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), UDEV_DATA_DIR "/b%s", devnum);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno != EEXIST)
			log_warning("cannot write udev's database entry %s: %s", path, strerror(errno));
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(initialized, sizeof(initialized), "I:%lld\n", (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000);
	if (write(fd, initialized, strlen(initialized)) < 0 || write(fd, records, strlen(records)) < 0 ||
	    fchmod(fd, 01644) < 0)
		log_warning("cannot write udev's database entry %s: %s", path, strerror(errno));
}

static bool holds_lvm_pv(const char *name)
{
	char dev[300], type[64];

	snprintf(dev, sizeof(dev), "/dev/%s", name);
	return device_fstype(dev, type, sizeof(type)) == 0 && strcmp(type, "LVM2_member") == 0;
}

void udevdb_hand_over(void)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;

	if (!d)
		return;
	mkdir("/run/udev", 0755);
	mkdir(UDEV_DATA_DIR, 0755);
	while ((e = readdir(d))) {
		char path[300], devnum[32];
		bool dm = strncmp(e->d_name, "dm-", 3) == 0, md = strncmp(e->d_name, "md", 2) == 0;
		if (!dm && !md)
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/dev", e->d_name);
		if (read_one_line_file(path, devnum, sizeof(devnum)) < 0 || strspn(devnum, "0123456789:") != strlen(devnum))
			continue;
		if (dm)
			entry_write(devnum, dm_records);
		else if (holds_lvm_pv(e->d_name))
			entry_write(devnum, md_pv_records);
		log_debug("udev's database: an entry for %s (%s)", e->d_name, devnum);
	}
	closedir(d);
}
