/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_CHECK_H
#define UNLOCK_CHECK_H

/* unlock check: what the boot will open, in which order and how, and what is wrong, found without
 * touching anything (headers read only, nothing opened). Gathered by check.c, printed by
 * check_report.c as text or as JSON (docs/unlock-check.schema.json). */

#include <stdbool.h>

#include "boot/boot.h"
#include "luks/luks.h"

#define CHECK_PROBLEMS_MAX 128
#define CHECK_MESSAGE_MAX 512

/* Each class of problem, its name in the JSON and the exit code it leads to (docs/unlock.8). */
enum check_class {
	CHECK_DEVICE_MISSING,
	CHECK_KEY_MISSING,
	CHECK_ROOT_UNREACHABLE,
	CHECK_RESUME_UNREACHABLE,
	CHECK_CRYPTTAB_MISSING,
	CHECK_NOT_LUKS,
	CHECK_DAMAGED,
	CHECK_KEY_READABLE,
	CHECK_OPTION_UNKNOWN,
	CHECK_UNSUPPORTED,
	CHECK_CRYPTTAB_MALFORMED,
	CHECK_KEY_DEVICE_ABSENT,
	CHECK_TOKEN_UNUSABLE,
	CHECK_IMAGE_READABLE,
	CHECK_IMAGE_UNCHECKED,
	CHECK_CLASSES,
};

enum check_severity { CHECK_ERROR, CHECK_WARNING };

struct check_problem {
	enum check_class class;
	enum check_severity severity; /* the class's, or a warning for a volume the boot may do without */
	char volume[64]; /* empty: not one volume's */
	char message[CHECK_MESSAGE_MAX];
};

enum check_method { METHOD_KEY_FILE, METHOD_TPM2, METHOD_PKCS11, METHOD_TOKEN, METHOD_PASSPHRASE, METHOD_RANDOM };

struct check_volume {
	const struct boot_volume *vol;
	bool from_cmdline;
	bool at_boot;
	char not_at_boot[BOOT_PATH_MAX + 64];       /* why the system, not the boot, opens it */
	char path[BOOT_PATH_MAX];     /* the device found here; empty when absent */
	char type[16];                /* luks1, luks2, plain, swap, tmp; empty: unknown */
	uint32_t token_mask[3];       /* by method: METHOD_TPM2, METHOD_PKCS11, METHOD_TOKEN (other types) */
};

struct check_report {
	const char *crypttab;
	const char *cmdline_source;   /* "/proc/cmdline" or "--cmdline" */
	const char *cmdline;          /* the kernel command line read */
	struct boot_config cfg;
	struct check_volume volumes[BOOT_VOLUMES_MAX];
	char root_via[BOOT_PATH_MAX + 96];         /* how root is reached: a volume's name, or a device found here */
	char resume_via[BOOT_PATH_MAX + 96];
	struct check_problem problems[CHECK_PROBLEMS_MAX];
	int n_problems;
};

struct check_options {
	const char *crypttab;
	const char *cmdline; /* NULL: /proc/cmdline */
	const char *boot_dir; /* where the initramfs images are; NULL: /boot */
	bool json;
};

/* Why the real system opens volume name later, from fstab text (empty why: the boot opens it). */
void check_fstab_later_use(const char *fstab, const char *name, char *why, size_t size);
enum check_severity check_class_severity(enum check_class c);
const char *check_class_name(enum check_class c);
int check_class_exit(enum check_class c);
/* The exit code of the report: the most pressing error class found, 0 when none. */
int check_report_exit(const struct check_report *rep);
void check_report_print_text(const struct check_report *rep);
void check_report_print_json(const struct check_report *rep);

#endif
