/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/stack.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/fileio.h"
#include "base/log.h"
#include "base/util.h"
#include "boot/devices.h"
#include "boot/modules.h"
#include "boot/tool.h"

#define TOOL_TIMEOUT_SEC 60
#define TOOL_OUTPUT_MAX 2048
#define NAME_MAX_LEN 128

/* No udev in the image: the tool makes the device nodes itself and waits for no udev events; no
 * monitoring daemon, no polling daemon, no metadata backups on a read-only view of /etc. */
#define LVM_BOOT_CONFIG "devices{obtain_device_list_from_udev=0} activation{udev_sync=0 udev_rules=0 monitoring=0} " \
			"global{use_lvmpolld=0} backup{backup=0 archive=0}"

static const char *const lvm_paths[] = { "/sbin/lvm", "/usr/sbin/lvm", NULL };
static const char *const mdadm_paths[] = { "/sbin/mdadm", "/usr/sbin/mdadm", NULL };
/* mdadm's own rule for a degraded array: its last-resort timer starts it 30 s after the first
 * member appeared, if the others still have not. */
#define MD_LAST_RESORT_SEC 30

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
	return tool_find(lvm_paths) || tool_find(mdadm_paths);
}

const char *stack_member_type(const char *blkid_type)
{
	if (strcmp(blkid_type, "LVM2_member") == 0)
		return "LVM physical volume";
	return strcmp(blkid_type, "linux_raid_member") == 0 ? "MD RAID member" : NULL;
}

const char *stack_tool_name(const char *blkid_type)
{
	return strcmp(blkid_type, "LVM2_member") == 0 ? "lvm" : "mdadm";
}

bool stack_can_assemble(const char *blkid_type)
{
	return tool_find(strcmp(blkid_type, "LVM2_member") == 0 ? lvm_paths : mdadm_paths) != NULL;
}

/* How many block devices hold an LVM physical volume or an MD RAID member now: activation is worth
 * another try only when that changes. */
struct members {
	int lvm, md;
};

/* Calls fn for each block device blkid finds a filesystem type on. */
static void block_devices_each(void (*fn)(const char *dev, const char *type, void *ctx), void *ctx)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char dev[300], type[64];
		if (e->d_name[0] == '.')
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", e->d_name);
		if (device_fstype(dev, type, sizeof(type)) == 0)
			fn(dev, type, ctx);
	}
	closedir(d);
}

static void member_count(const char *dev, const char *type, void *ctx)
{
	struct members *n = ctx;

	(void)dev;
	n->lvm += strcmp(type, "LVM2_member") == 0;
	n->md += strcmp(type, "linux_raid_member") == 0;
}

static struct members members_scan(void)
{
	struct members n = { 0, 0 };

	block_devices_each(member_count, &n);
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

static int mdadm_run(const char *const args[], char *out, size_t size)
{
	char *argv[12];
	size_t n = 0;

	if (!(argv[n++] = (char *)tool_find(mdadm_paths)))
		return -ENOENT;
	for (size_t i = 0; args[i] && n < ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	return tool_run(argv, TOOL_TIMEOUT_SEC, out, size);
}

/* The image has no modprobe for the kernel to ask for a RAID level's driver: the levels of the
 * arrays the members belong to ("level=raid1" in mdadm's scan) are loaded first. */
static void md_levels_load(struct modules *m)
{
	char out[TOOL_OUTPUT_MAX], *save = NULL;

	if (mdadm_run((const char *const[]){ "--examine", "--scan", "--verbose", NULL }, out, sizeof(out)) != 0)
		return;
	for (char *word = strtok_r(out, " \t\n", &save); word; word = strtok_r(NULL, " \t\n", &save)) {
		char alias[48];
		if (strncmp(word, "level=", 6) != 0 || strspn(word + 6, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(word + 6))
			continue;
		snprintf(alias, sizeof(alias), "md-%s", word + 6);
		modules_load(m, alias);
	}
}

/* Calls fn for each MD array (/sys/block/md*) with a name that fits NAME_MAX_LEN. */
static void md_arrays_each(void (*fn)(const char *name))
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "md", 2) == 0 && strlen(e->d_name) < NAME_MAX_LEN)
			fn(e->d_name);
	closedir(d);
}

static int md_attribute(const char *name, const char *attr, char *buf, size_t size)
{
	char path[2 * NAME_MAX_LEN];

	snprintf(path, sizeof(path), "/sys/block/%s/md/%s", name, attr);
	return read_one_line_file(path, buf, size);
}

/* mdadm starts an array with a member missing when the rest suffice: the console says so once. */
static void md_degraded_say_one(const char *name)
{
	static char said[16][NAME_MAX_LEN];
	char degraded[16];
	size_t i;

	if (md_attribute(name, "degraded", degraded, sizeof(degraded)) < 0 || strcmp(degraded, "0") == 0)
		return;
	for (i = 0; i < ARRAY_SIZE(said) && said[i][0] && strcmp(said[i], name) != 0; i++)
		;
	if (i == ARRAY_SIZE(said) || said[i][0])
		return;
	memcpy(said[i], name, strlen(name) + 1);
	log_warning("/dev/%s: the RAID array runs degraded, %s of its disks missing: replace or re-add the "
		    "missing disk once the system is up (mdadm --detail /dev/%s)", name, degraded, name);
}

/* An array mdadm assembled but did not start because a member is missing. */
static void md_start_degraded_one(const char *name)
{
	char state[32], dev[NAME_MAX_LEN + 8], out[TOOL_OUTPUT_MAX];

	if (md_attribute(name, "array_state", state, sizeof(state)) < 0 || strcmp(state, "inactive") != 0)
		return;
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	log_warning("%s: a member of the array is still missing after %d s; starting it degraded, as mdadm's "
		    "last-resort timer does. Replace or re-add the missing disk (mdadm --detail %s)",
		    dev, MD_LAST_RESORT_SEC, dev);
	if (mdadm_run((const char *const[]){ "--run", dev, NULL }, out, sizeof(out)) != 0)
		tool_output_log(dev, out);
}

/* Whether dev was handed to mdadm before (once is enough: mdadm keeps it in the array). */
static bool md_member_handed(const char *dev)
{
	static char handed[64][NAME_MAX_LEN];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(handed) && handed[i][0]; i++)
		if (strcmp(handed[i], dev) == 0)
			return true;
	if (i < ARRAY_SIZE(handed) && strlen(dev) < NAME_MAX_LEN)
		memcpy(handed[i], dev, strlen(dev) + 1);
	return false;
}

/*
 * Each new member goes to mdadm --incremental, as udev's rule hands it over on an installed system:
 * an array starts once all its members are there, never degraded because a disk was found a moment
 * later than the first (that is the last-resort timer's decision, stack_assemble_for).
 */
static void md_member_add(const char *dev, const char *type, void *ctx)
{
	char out[TOOL_OUTPUT_MAX];
	int r;

	(void)ctx;
	if (strcmp(type, "linux_raid_member") != 0 || md_member_handed(dev))
		return;
	r = mdadm_run((const char *const[]){ "--incremental", dev, NULL }, out, sizeof(out));
	if (r < 0)
		log_error("%s: cannot run mdadm: %s", dev, strerror(-r));
	else if (r != 0)
		tool_output_log(dev, out);
	else
		log_debug("%s: %.*s", dev, (int)strcspn(out, "\n"), out);
}

static void md_assemble(struct modules *m, const char *spec)
{
	modules_load(m, "md_mod");
	md_levels_load(m);
	log_debug("assembling MD RAID arrays for %s", spec);
	block_devices_each(md_member_add, NULL);
	md_arrays_each(md_degraded_say_one);
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

void stack_assemble_for(const char *spec, struct modules *m)
{
	static long long md_first_seen_ms;
	static bool md_degraded_tried;
	struct members n = members_scan();
	char key[300];

	if (tool_find(mdadm_paths) && n.md > 0) {
		bool assembled = false;
		snprintf(key, sizeof(key), "md:%s", spec);
		if (!md_first_seen_ms)
			md_first_seen_ms = monotonic_ms();
		if (worth_trying(key, n.md)) {
			md_assemble(m, spec);
			assembled = true;
		}
		if (!md_degraded_tried && monotonic_ms() - md_first_seen_ms >= MD_LAST_RESORT_SEC * 1000LL) {
			md_degraded_tried = assembled = true;
			md_arrays_each(md_start_degraded_one);
			md_arrays_each(md_degraded_say_one);
		}
		/* An array just started may hold physical volumes. */
		if (assembled)
			n = members_scan();
	}
	if (tool_find(lvm_paths) && n.lvm > 0 && worth_trying(spec, n.lvm))
		lvm_activate(spec);
}

/* An array the boot waited for in vain: how many members were there, and what to check. */
static void md_explain_missing(const char *spec)
{
	int members = members_scan().md;

	if (members == 0)
		log_error("%s is an MD RAID array, but no disk holding an MD RAID member was found: check that "
			  "the array's disks are attached and their drivers are in the image", spec);
	else
		log_error("%s: the MD RAID array was not assembled from the %d member(s) found: check the ARRAY "
			  "lines of the image's /etc/mdadm/mdadm.conf (its UUID and name) against mdadm --examine of "
			  "the disks, and that enough of them are attached", spec, members);
}

void stack_explain_missing(const char *spec)
{
	char vg[NAME_MAX_LEN], lv[NAME_MAX_LEN], out[TOOL_OUTPUT_MAX], what[NAME_MAX_LEN + 64];
	int r;

	if (strncmp(spec, "/dev/md", 7) == 0 && tool_find(mdadm_paths)) {
		md_explain_missing(spec);
		return;
	}
	if (!tool_find(lvm_paths) || !lvm_name_split(spec, vg, sizeof(vg), lv, sizeof(lv)))
		return;
	if (members_scan().lvm == 0) {
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
