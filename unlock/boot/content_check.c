/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/content_check.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "boot/devices.h"

/* Debian's check scripts: blkid (a known type, or the one checkargs= names, or with "none" no
 * type at all), un_blkid (the opposite), ext2 (ext2, ext3 or ext4) and xfs. */
static const char *const known_checks[] = { "blkid", "un_blkid", "ext2", "xfs" };

bool content_check_name(const char *value, char *name, size_t size)
{
	static const char *const dirs[] = { "/lib/cryptsetup/checks/", "/usr/lib/cryptsetup/checks/" };
	const char *base = value ? value : "blkid";

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (strncmp(base, dirs[i], strlen(dirs[i])) == 0)
			base += strlen(dirs[i]);
	for (size_t i = 0; i < ARRAY_SIZE(known_checks); i++)
		if (strcmp(base, known_checks[i]) == 0) {
			snprintf(name, size, "%s", base);
			return true;
		}
	return false;
}

static bool is_ext(const char *type)
{
	return strcmp(type, "ext2") == 0 || strcmp(type, "ext3") == 0 || strcmp(type, "ext4") == 0;
}

static bool blkid_passes(const char *args, const char *type)
{
	if (!args[0])
		return type[0] != '\0';
	if (strcmp(args, "none") == 0)
		return type[0] == '\0';
	return strcmp(args, type) == 0;
}

bool content_check_passes(const char *name, const char *args, const char *type)
{
	if (strcmp(name, "blkid") == 0)
		return blkid_passes(args, type);
	if (strcmp(name, "un_blkid") == 0)
		return args[0] ? strcmp(args, type) != 0 : type[0] == '\0';
	if (strcmp(name, "ext2") == 0)
		return is_ext(type);
	if (strcmp(name, "xfs") == 0)
		return strcmp(type, "xfs") == 0;
	return false;
}

/* What the check wanted, for the message. */
static void check_wanted(const char *name, const char *args, char *buf, size_t size)
{
	if (strcmp(name, "ext2") == 0)
		snprintf(buf, size, "an ext2, ext3 or ext4 filesystem");
	else if (strcmp(name, "xfs") == 0)
		snprintf(buf, size, "an XFS filesystem");
	else if (strcmp(name, "un_blkid") == 0 && args[0])
		snprintf(buf, size, "anything but %s", args);
	else if (strcmp(name, "un_blkid") == 0 || strcmp(args, "none") == 0)
		snprintf(buf, size, "no recognisable content");
	else
		snprintf(buf, size, "%s", args[0] ? args : "a recognisable filesystem or volume");
}

static int content_check_device(const char *vol_name, const char *option, const char *path, const char *name,
				const char *args, const char *hint)
{
	char type[64] = "", wanted[96];

	if (device_fstype(path, type, sizeof(type)) < 0)
		type[0] = '\0';
	if (content_check_passes(name, args, type))
		return 0;
	check_wanted(name, args, wanted, sizeof(wanted));
	return log_error_ret(-EBADMSG, "%s: the %s %s%s%s wants %s, but %s holds %s%s", vol_name, option, name,
			     args[0] ? " " : "", args, wanted, path, type[0] ? type : "nothing recognisable",
			     type[0] ? "" : hint);
}

int content_check_volume(const char *vol_name, const char *name, const char *args)
{
	char path[128];

	snprintf(path, sizeof(path), "/dev/mapper/%s", vol_name);
	return content_check_device(vol_name, "check", path, name, args, " (a wrong passphrase or cipher options?)");
}

int content_precheck(const char *vol_name, const char *dev, const char *name)
{
	return content_check_device(vol_name, "precheck", dev, name, "", "");
}
