/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "stack.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices.h"
#include "log.h"
#include "tool.h"
#include "util.h"

#define TOOL_TIMEOUT_SEC 60
#define TOOL_OUTPUT_MAX 2048
#define NAME_MAX_LEN 128

/* No udev in the image: the tool makes the device nodes itself and waits for no udev events; no
 * monitoring daemon, no polling daemon, no metadata backups on a read-only view of /etc. */
#define LVM_BOOT_CONFIG "devices{obtain_device_list_from_udev=0} activation{udev_sync=0 udev_rules=0 monitoring=0} " \
			"global{use_lvmpolld=0} backup{backup=0 archive=0}"

static const char *const lvm_paths[] = { "/sbin/lvm", "/usr/sbin/lvm", NULL };

/* dm names a volume VG-LV, with every "-" inside VG or LV doubled. */
static bool dm_name_split(const char *name, char *vg, size_t vg_size, char *lv, size_t lv_size)
{
	const char *sep = NULL;
	size_t vi = 0, li = 0;

	for (const char *p = name; *p; p++) {
		if (*p == '-' && p[1] == '-') {
			p++;
		} else if (*p == '-') {
			if (sep || p == name || !p[1])
				return false;
			sep = p;
			continue;
		}
		if (!sep && vi + 1 < vg_size)
			vg[vi++] = *p;
		else if (sep && li + 1 < lv_size)
			lv[li++] = *p;
		else
			return false;
	}
	vg[vi] = lv[li] = '\0';
	return sep != NULL;
}

static bool lvm_name_valid(const char *s)
{
	return s[0] && s[0] != '-' && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_.-") == strlen(s);
}

bool lvm_name_split(const char *spec, char *vg, size_t vg_size, char *lv, size_t lv_size)
{
	static const char *const not_volume_groups[] = { "disk", "mapper", "md", "block", "char", "bus", "input", "pts", "shm" };
	const char *rest, *slash;
	size_t len;

	if (strncmp(spec, "/dev/mapper/", 12) == 0)
		return dm_name_split(spec + 12, vg, vg_size, lv, lv_size) && lvm_name_valid(vg) && lvm_name_valid(lv);
	if (strncmp(spec, "/dev/", 5) != 0)
		return false;
	rest = spec + 5;
	slash = strchr(rest, '/');
	if (!slash || strchr(slash + 1, '/') || (len = (size_t)(slash - rest)) + 1 > vg_size || strlen(slash + 1) + 1 > lv_size)
		return false;
	memcpy(vg, rest, len);
	vg[len] = '\0';
	snprintf(lv, lv_size, "%s", slash + 1);
	for (size_t i = 0; i < ARRAY_SIZE(not_volume_groups); i++)
		if (strcmp(vg, not_volume_groups[i]) == 0)
			return false;
	return lvm_name_valid(vg) && lvm_name_valid(lv);
}

bool stack_tools_present(void)
{
	return tool_find(lvm_paths) != NULL;
}

/* How many block devices hold an LVM physical volume now: activation is worth another try only
 * when that changes. */
static int lvm_pv_count(void)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char dev[300], type[64];
		if (e->d_name[0] == '.')
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", e->d_name);
		if (device_fstype(dev, type, sizeof(type)) == 0 && strcmp(type, "LVM2_member") == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void tool_output_log(const char *what, const char *out)
{
	char copy[TOOL_OUTPUT_MAX];
	char *save = NULL;

	snprintf(copy, sizeof(copy), "%s", out);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_warning("%s: %s", what, line + strspn(line, " "));
}

/* Runs lvm with the boot's configuration; its output is kept in out. */
static int lvm_run(const char *const args[], char *out, size_t size)
{
	char *argv[12];
	size_t n = 0;

	argv[n++] = (char *)tool_find(lvm_paths);
	for (size_t i = 0; args[i] && n < ARRAY_SIZE(argv) - 3; i++)
		argv[n++] = (char *)args[i];
	argv[n++] = (char *)"--config";
	argv[n++] = (char *)LVM_BOOT_CONFIG;
	argv[n] = NULL;
	if (!argv[0])
		return -ENOENT;
	return tool_run(argv, TOOL_TIMEOUT_SEC, out, size);
}

static void lvm_activate(const char *spec)
{
	char vg[NAME_MAX_LEN], lv[NAME_MAX_LEN], what[2 * NAME_MAX_LEN + 64], out[TOOL_OUTPUT_MAX];
	int r;

	if (lvm_name_split(spec, vg, sizeof(vg), lv, sizeof(lv))) {
		char target[2 * NAME_MAX_LEN + 2];
		snprintf(target, sizeof(target), "%s/%s", vg, lv);
		snprintf(what, sizeof(what), "activating logical volume %s for %s", target, spec);
		log_debug("%s", what);
		r = lvm_run((const char *const[]){ "lvchange", "-aay", "--sysinit", "-y", target, NULL }, out, sizeof(out));
	} else {
		snprintf(what, sizeof(what), "activating every LVM volume group for %s", spec);
		log_debug("%s", what);
		r = lvm_run((const char *const[]){ "vgchange", "-aay", "--sysinit", NULL }, out, sizeof(out));
	}
	if (r == -ETIMEDOUT)
		log_error("%s: lvm did not finish within %d s", what, TOOL_TIMEOUT_SEC);
	else if (r < 0)
		log_error("%s: cannot run lvm: %s", what, strerror(-r));
	else if (r != 0)
		tool_output_log(what, out);
}

/* Each spec is tried again only when the number of physical volumes changed since its last try. */
static bool worth_trying(const char *spec, int pvs)
{
	static struct {
		char spec[256];
		int pvs;
	} tried[16];
	static size_t n;
	size_t i;

	for (i = 0; i < n && strcmp(tried[i].spec, spec) != 0; i++)
		;
	if (i < n && tried[i].pvs == pvs)
		return false;
	if (i == n) {
		if (n == ARRAY_SIZE(tried))
			return true;
		snprintf(tried[n++].spec, sizeof(tried[0].spec), "%s", spec);
	}
	tried[i].pvs = pvs;
	return true;
}

void stack_assemble_for(const char *spec)
{
	int pvs;

	if (!stack_tools_present())
		return;
	pvs = lvm_pv_count();
	if (pvs > 0 && worth_trying(spec, pvs))
		lvm_activate(spec);
}

void stack_explain_missing(const char *spec)
{
	char vg[NAME_MAX_LEN], lv[NAME_MAX_LEN], out[TOOL_OUTPUT_MAX], what[NAME_MAX_LEN + 64];
	int r;

	if (!stack_tools_present() || !lvm_name_split(spec, vg, sizeof(vg), lv, sizeof(lv)))
		return;
	if (lvm_pv_count() == 0) {
		log_error("%s is an LVM logical volume, but no LVM physical volume was found: check that the disk or "
			  "the encrypted volume holding volume group %s is there and was opened", spec, vg);
		return;
	}
	r = lvm_run((const char *const[]){ "vgs", "--noheadings", "-o", "vg_name", vg, NULL }, out, sizeof(out));
	if (r != 0) {
		log_error("%s: volume group %s was not found on the LVM physical volumes present; "
			  "check the volume group name in root=, resume= or crypttab", spec, vg);
		return;
	}
	r = lvm_run((const char *const[]){ "lvs", "--noheadings", "-o", "lv_name", vg, NULL }, out, sizeof(out));
	snprintf(what, sizeof(what), "volume group %s holds", vg);
	log_error("%s: volume group %s has no logical volume %s that could be activated; it holds:", spec, vg, lv);
	if (r == 0)
		tool_output_log(what, out);
}
