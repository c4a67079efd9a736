/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/blockdev.h"
#include "base/fileio.h"
#include "base/log.h"
#include "base/util.h"
#include "boot/config.h"
#include "boot/devices.h"
#include "boot/wait.h"
#include "cmd/check_images.h"
#include "cmd/commands.h"
#include "token/helper.h"

#define FSTAB_TEXT_MAX (64 * 1024)

static void problem_add(struct check_report *rep, enum check_class class, const char *volume, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void problem_add(struct check_report *rep, enum check_class class, const char *volume, const char *fmt, ...)
{
	struct check_problem *p;
	va_list ap;

	if (rep->n_problems >= CHECK_PROBLEMS_MAX)
		return;
	p = &rep->problems[rep->n_problems++];
	p->class = class;
	p->severity = check_class_severity(class);
	snprintf(p->volume, sizeof(p->volume), "%s", volume ? volume : "");
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	va_end(ap);
}

/* What the crypttab and command-line parsers say while reading: each warning or error is a problem. */
static struct check_report *parsing;

static void parse_sink(const char *line)
{
	const char *text = NULL;
	char message[CHECK_MESSAGE_MAX];
	size_t n;

	for (const char *p = line; (p = strstr(p, ": ")); p += 2)
		if (strncmp(p + 2, "warning: ", 9) == 0 || strncmp(p + 2, "error: ", 7) == 0) {
			text = strchr(p + 2, ' ') + 1;
			break;
		}
	if (!text)
		return; /* what they only tell (a line the command line leaves out) */
	snprintf(message, sizeof(message), "%s", text);
	n = strlen(message);
	if (n && message[n - 1] == '\n')
		message[n - 1] = '\0';
	problem_add(parsing, strstr(message, "option \"") ? CHECK_OPTION_UNKNOWN : CHECK_CRYPTTAB_MALFORMED, NULL, "%s",
		    message);
}

/* The last line a reader logged, for the problem that says why. */
static char last_logged[CHECK_MESSAGE_MAX];

static void last_line_sink(const char *line)
{
	const char *text = strstr(line, "error: ");

	snprintf(last_logged, sizeof(last_logged), "%s", text ? text + 7 : line);
	last_logged[strcspn(last_logged, "\n")] = '\0';
}

/*
 * The volumes the boot leaves to the real system, as hooks/unlock-files.sh's
 * unlock_crypttab_later_use leaves them out of the image: noauto, tmp and _netdev volumes, and one
 * the fstab beside the crypttab mounts only on a path the boot does not need (not /, /usr, swap or
 * x-initrd.mount), unless it is marked initramfs or x-initrd.attach.
 */
void check_fstab_later_use(const char *fstab, const char *name, char *why, size_t size)
{
	char dev[128], line[1024];
	const char *p = fstab;

	why[0] = '\0';
	snprintf(dev, sizeof(dev), "/dev/mapper/%s", name);
	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char spec[256], dir[256], type[64], opts[512] = "";
		snprintf(line, sizeof(line), "%.*s", (int)MIN(len, sizeof(line) - 1), p);
		p = end ? end + 1 : NULL;
		if (sscanf(line, " %255s %255s %63s %511s", spec, dir, type, opts) < 3 || spec[0] == '#' || strcmp(spec, dev) != 0)
			continue;
		if (!strcmp(dir, "/") || !strcmp(dir, "/usr") || !strcmp(type, "swap") || strstr(opts, "x-initrd.mount")) {
			why[0] = '\0';
			return;
		}
		snprintf(why, size, "mounted on %s by the system after the boot", dir);
	}
}

static void volume_decide_at_boot(struct check_volume *cv, const char *fstab)
{
	const struct boot_volume *vol = cv->vol;

	cv->at_boot = false;
	if (vol->noauto)
		snprintf(cv->not_at_boot, sizeof(cv->not_at_boot), "noauto: opened by the system when asked");
	else if (vol->tmp)
		snprintf(cv->not_at_boot, sizeof(cv->not_at_boot), "a tmp volume, set up by the system");
	else if (!vol->initramfs && vol->netdev)
		snprintf(cv->not_at_boot, sizeof(cv->not_at_boot), "a _netdev volume, opened once the network is up");
	else if (!vol->initramfs && !cv->from_cmdline && fstab)
		check_fstab_later_use(fstab, vol->name, cv->not_at_boot, sizeof(cv->not_at_boot));
	cv->at_boot = !cv->not_at_boot[0];
}

static void volume_tokens(struct check_volume *cv, const struct luks_header *hdr)
{
	for (int i = 0; i < LUKS_TOKENS_MAX; i++) {
		const char *type = hdr->tokens[i].type;
		if (!hdr->tokens[i].active)
			continue;
		if (strcmp(type, "systemd-tpm2") == 0)
			cv->token_mask[0] |= 1u << i;
		else if (strcmp(type, "systemd-pkcs11") == 0)
			cv->token_mask[1] |= 1u << i;
		else
			cv->token_mask[2] |= 1u << i;
	}
}

/* The header, read only; its tokens say which unattended ways the boot will try. */
static void volume_check_header(struct check_report *rep, struct check_volume *cv)
{
	const struct boot_volume *vol = cv->vol;
	const char *header = vol->header[0] ? vol->header : cv->path;
	char header_path[BOOT_PATH_MAX];
	struct blockdev dev = { .fd = -1 };
	struct luks_header hdr;
	uint8_t magic[6];
	int r;

	if (vol->header_device[0]) {
		problem_add(rep, CHECK_KEY_DEVICE_ABSENT, vol->name,
			    "the detached header %s is on the filesystem of %s, which the boot reads; not checked here", vol->header,
			    vol->header_device);
		return;
	}
	if (volume_header_device(vol)) {
		if (device_find(vol->header, header_path, sizeof(header_path)) < 0) {
			problem_add(rep, CHECK_KEY_DEVICE_ABSENT, vol->name, "the detached header's device %s is not present now",
				    vol->header);
			return;
		}
		header = header_path;
	}
	if (blockdev_open(&dev, header) < 0) {
		problem_add(rep, CHECK_DEVICE_MISSING, vol->name, "cannot read the header %s", header);
		return;
	}
	if (dev.size < sizeof(magic) || blockdev_read(&dev, 0, magic, sizeof(magic)) < 0 ||
	    memcmp(magic, "LUKS\xba\xbe", sizeof(magic)) != 0) {
		char type[64] = "";
		if (blockdev_foreign_signature(&dev, type, sizeof(type)) != 1)
			snprintf(type, sizeof(type), "nothing libblkid knows");
		problem_add(rep, CHECK_NOT_LUKS, vol->name, "%s holds no LUKS header (it holds %s); check the device in crypttab, "
			    "or mark it plain", header, type);
		blockdev_close(&dev);
		return;
	}
	log_set_sink(last_line_sink);
	r = luks_header_read(&hdr, &dev);
	log_set_sink(NULL);
	blockdev_close(&dev);
	if (r < 0) {
		problem_add(rep, r == -LUKS_ERR_UNSUPPORTED ? CHECK_UNSUPPORTED : CHECK_DAMAGED, vol->name, "%s", last_logged);
		return;
	}
	snprintf(cv->type, sizeof(cv->type), "luks%d", hdr.version);
	volume_tokens(cv, &hdr);
	luks_header_done(&hdr);
}

static void volume_check_tokens(struct check_report *rep, const struct check_volume *cv)
{
	char path[4096];

	if (cv->token_mask[0] && !helper_program_find("unlock-tpm2", path, sizeof(path)))
		problem_add(rep, CHECK_TOKEN_UNUSABLE, cv->vol->name,
			    "the header holds a TPM2 token, and unlock-tpm2 is not installed: the passphrase will be asked");
	else if (cv->token_mask[0] && access("/sys/class/tpmrm/tpmrm0", F_OK) < 0)
		problem_add(rep, CHECK_TOKEN_UNUSABLE, cv->vol->name,
			    "the header holds a TPM2 token, and this machine shows no TPM (no /dev/tpmrm0): the passphrase will be asked");
	if (cv->token_mask[1] && !helper_program_find("unlock-pkcs11", path, sizeof(path)))
		problem_add(rep, CHECK_TOKEN_UNUSABLE, cv->vol->name,
			    "the header holds a PKCS#11 token, and unlock-pkcs11 is not installed: the passphrase will be asked");
	if (cv->token_mask[2])
		problem_add(rep, CHECK_TOKEN_UNUSABLE, cv->vol->name, "the header holds tokens of a type unlock does not know");
}

static void volume_check_key(struct check_report *rep, const struct check_volume *cv)
{
	const struct boot_volume *vol = cv->vol;
	char path[BOOT_PATH_MAX];
	struct stat st;

	if (!vol->key_file[0] || vol->swap || vol->tmp)
		return;
	if (vol->key_device[0] || vol->key_raw) {
		const char *dev = vol->key_raw ? vol->key_file : vol->key_device;
		if (device_find(dev, path, sizeof(path)) < 0)
			problem_add(rep, CHECK_KEY_DEVICE_ABSENT, vol->name,
				    "the key's device %s is not present now; the boot waits for it%s", dev,
				    vol->keyfile_timeout_sec > 0 ? ", then asks for the passphrase" : "");
		return;
	}
	if (stat(vol->key_file, &st) < 0) {
		problem_add(rep, CHECK_KEY_MISSING, vol->name, "the key file %s: %s; the image cannot carry it", vol->key_file,
			    strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode))
		problem_add(rep, CHECK_KEY_MISSING, vol->name, "the key file %s is not a regular file", vol->key_file);
	else if (st.st_mode & S_IROTH)
		problem_add(rep, CHECK_KEY_READABLE, vol->name, "the key file %s is readable by every user (mode %04o): chmod 0400 it",
			    vol->key_file, (unsigned)(st.st_mode & 07777));
}

static void volume_check(struct check_report *rep, struct check_volume *cv, const char *fstab)
{
	const struct boot_volume *vol = cv->vol;
	int first = rep->n_problems;

	volume_decide_at_boot(cv, fstab);
	if (vol->unsupported[0])
		problem_add(rep, CHECK_UNSUPPORTED, vol->name, "%s", vol->unsupported);
	if (vol->swap)
		snprintf(cv->type, sizeof(cv->type), "swap");
	else if (vol->tmp)
		snprintf(cv->type, sizeof(cv->type), "tmp");
	else if (vol->plain)
		snprintf(cv->type, sizeof(cv->type), "plain");
	if (device_find(vol->device, cv->path, sizeof(cv->path)) < 0) {
		cv->path[0] = '\0';
		problem_add(rep, CHECK_DEVICE_MISSING, vol->name, "device %s not found on this machine", vol->device);
	} else if (!cv->type[0] && !vol->unsupported[0]) {
		volume_check_header(rep, cv);
		volume_check_tokens(rep, cv);
	}
	volume_check_key(rep, cv);
	/* The boot goes on without a volume it does not open, or one marked nofail. */
	for (int i = first; (!cv->at_boot || vol->nofail) && i < rep->n_problems; i++)
		rep->problems[i].severity = CHECK_WARNING;
}

/* The crypt volume (dm UUID CRYPT-...) a block device lies on, through its slaves: its name. */
static bool crypt_volume_under(const char *sysdir, char *name, size_t size, int depth)
{
	char path[600], text[256];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/dm/uuid", sysdir);
	if (read_text_file(path, text, sizeof(text)) == 0 && strncmp(text, "CRYPT-", 6) == 0) {
		snprintf(path, sizeof(path), "%s/dm/name", sysdir);
		if (read_text_file(path, text, sizeof(text)) == 0) {
			snprintf(name, size, "%.*s", (int)strcspn(text, "\n"), text);
			return true;
		}
	}
	snprintf(path, sizeof(path), "%s/slaves", sysdir);
	if (depth > 8 || !(d = opendir(path)))
		return false;
	while (!found && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "/sys/class/block/%s", e->d_name);
			found = crypt_volume_under(path, name, size, depth + 1);
		}
	closedir(d);
	return found;
}

/* root= or resume=: reached through a volume the boot opens, or found on this machine (then no
 * encrypted volume under it may be one the boot leaves out). */
static void target_check(struct check_report *rep, const char *spec, const char *what, enum check_class class, char *via,
			 size_t size)
{
	char path[BOOT_PATH_MAX], under[64];
	struct stat st;

	if (!spec[0])
		return;
	for (int i = 0; i < rep->cfg.n_volumes; i++) {
		const struct check_volume *cv = &rep->volumes[i];
		char mapped[128];
		snprintf(mapped, sizeof(mapped), "/dev/mapper/%s", cv->vol->name);
		if (strcmp(spec, mapped) != 0)
			continue;
		if (!cv->at_boot)
			problem_add(rep, class, cv->vol->name, "%s %s is volume %s, which the boot does not open (%s)", what, spec,
				    cv->vol->name, cv->not_at_boot);
		else
			snprintf(via, size, "volume %s", cv->vol->name);
		return;
	}
	if (device_find(spec, path, sizeof(path)) < 0) {
		problem_add(rep, class, NULL, "%s device %s is neither a volume the boot opens nor found on this machine", what, spec);
		return;
	}
	snprintf(via, size, "%s", path);
	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode)) {
		char sys[128];
		snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
		if (crypt_volume_under(sys, under, sizeof(under), 0)) {
			for (int i = 0; i < rep->cfg.n_volumes; i++)
				if (strcmp(rep->volumes[i].vol->name, under) == 0 && rep->volumes[i].at_boot) {
					snprintf(via, size, "%s on volume %s", path, under);
					return;
				}
			problem_add(rep, class, NULL, "%s device %s lies on the encrypted volume %s, which the boot does not open",
				    what, spec, under);
		}
	}
}

/* The fstab beside the crypttab (a system's etc/fstab), if there is one. */
static const char *fstab_beside(const char *crypttab)
{
	static char text[FSTAB_TEXT_MAX];
	char path[BOOT_PATH_MAX + 8];
	const char *slash = strrchr(crypttab, '/');

	snprintf(path, sizeof(path), "%.*sfstab", slash ? (int)(slash - crypttab + 1) : 0, crypttab);
	return read_text_file(path, text, sizeof(text)) == 0 ? text : NULL;
}

/* An image readable by others than root that holds a key gives the key away: cryptsetup-initramfs
 * builds with UMASK=0077 for this, and unlock-mkinitrd makes such images 0600. */
static void image_check(struct check_report *rep, const char *path, const struct image_keys *keys)
{
	const char *compression;
	char found[512];
	struct stat st;
	int r;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & (S_IRGRP | S_IROTH)))
		return;
	r = image_holds_key(path, keys, found, sizeof(found), &compression);
	if (r == 1)
		problem_add(rep, CHECK_IMAGE_READABLE, NULL,
			    "%s holds the key %s and can be read by users other than root (mode %04o): chmod 0600 it; "
			    "initramfs-tools builds such images with UMASK=0077, unlock-mkinitrd and dracut make them 0600",
			    path, found, (unsigned)(st.st_mode & 07777));
	else if (r == -EOPNOTSUPP && keys->n > 0)
		problem_add(rep, CHECK_IMAGE_UNCHECKED, NULL,
			    "%s is compressed with %s, which unlock check cannot look into, and can be read by users other "
			    "than root (mode %04o): if it holds a key file, chmod 0600 it", path, compression,
			    (unsigned)(st.st_mode & 07777));
}

static void images_check(struct check_report *rep, const char *boot_dir)
{
	struct image_keys keys = { .n = 0 };
	glob_t g;

	for (int i = 0; i < rep->cfg.n_volumes && keys.n + 2 <= IMAGE_KEYS_MAX; i++) {
		const struct boot_volume *vol = &rep->cfg.volumes[i];
		if (vol->key_file[0] && !vol->key_raw && !vol->key_is_name && volume_key_in_image(vol))
			keys.paths[keys.n++] = vol->key_file;
		if (vol->header[0] && !volume_header_device(vol))
			keys.paths[keys.n++] = vol->header;
	}
	images_glob(boot_dir, &g);
	for (size_t i = 0; i < g.gl_pathc; i++)
		image_check(rep, g.gl_pathv[i], &keys);
	globfree(&g);
}

static int check_gather(struct check_report *rep, const struct check_options *opts)
{
	static char cmdline[64 * 1024];
	const char *fstab;
	struct stat st;
	int r;

	rep->crypttab = opts->crypttab ? opts->crypttab : "/etc/crypttab";
	rep->cmdline_source = opts->cmdline ? "--cmdline" : "/proc/cmdline";
	if (opts->cmdline)
		snprintf(cmdline, sizeof(cmdline), "%s", opts->cmdline);
	else if ((r = read_text_file("/proc/cmdline", cmdline, sizeof(cmdline))) < 0)
		return log_error_ret(r, "cannot read /proc/cmdline: %s; give the command line with --cmdline", strerror(-r));
	if (opts->crypttab && stat(opts->crypttab, &st) < 0)
		problem_add(rep, CHECK_CRYPTTAB_MISSING, NULL, "%s: %s", opts->crypttab, strerror(errno));
	parsing = rep;
	log_set_sink(parse_sink);
	r = boot_config_load(&rep->cfg, cmdline, rep->crypttab);
	log_set_sink(NULL);
	cmdline[strcspn(cmdline, "\n")] = '\0';
	rep->cmdline = cmdline;
	if (r < 0)
		return r;
	fstab = fstab_beside(rep->crypttab);
	for (int i = 0; i < rep->cfg.n_volumes; i++) {
		struct check_volume *cv = &rep->volumes[i];
		cv->vol = &rep->cfg.volumes[i];
		cv->from_cmdline = cv->vol->from_cmdline;
		volume_check(rep, cv, fstab);
		if (!rep->cfg.luks_enabled) {
			cv->at_boot = false;
			snprintf(cv->not_at_boot, sizeof(cv->not_at_boot), "rd.luks=0 on the kernel command line");
		}
	}
	if (!rep->cfg.root[0])
		problem_add(rep, CHECK_ROOT_UNREACHABLE, NULL, "no root= on the kernel command line");
	target_check(rep, rep->cfg.root, "root", CHECK_ROOT_UNREACHABLE, rep->root_via, sizeof(rep->root_via));
	target_check(rep, rep->cfg.resume, "resume", CHECK_RESUME_UNREACHABLE, rep->resume_via, sizeof(rep->resume_via));
	images_check(rep, opts->boot_dir ? opts->boot_dir : "/boot");
	return 0;
}

int cmd_check(const struct check_options *opts)
{
	static struct check_report rep;
	int r;

	memset(&rep, 0, sizeof(rep));
	r = check_gather(&rep, opts);
	if (r < 0)
		return EXIT_IO;
	if (opts->json)
		check_report_print_json(&rep);
	else
		check_report_print_text(&rep);
	return check_report_exit(&rep);
}
