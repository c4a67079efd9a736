/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Storage stacks: which names are LVM logical volumes, and running the storage tools bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "base/util.h"
#include "boot/stack.h"
#include "boot/tool.h"

static void lv_names_split_as_dm_and_lvm_write_them(void **state)
{
	static const struct {
		const char *spec, *vg, *lv;
	} good[] = {
		{ "/dev/mapper/debian--vg-root", "debian-vg", "root" },
		{ "/dev/mapper/debian--vg-swap_1", "debian-vg", "swap_1" },
		{ "/dev/mapper/vg0-lv--a--b", "vg0", "lv-a-b" },
		{ "/dev/vg0/root", "vg0", "root" },
		{ "/dev/ubuntu-vg/ubuntu-lv", "ubuntu-vg", "ubuntu-lv" },
	};
	static const char *const bad[] = {
		"/dev/mapper/root", "/dev/mapper/sda5_crypt", "/dev/mapper/-x", "/dev/mapper/x-", "/dev/mapper/a-b-c",
		"/dev/disk/by-uuid/1234", "/dev/md/0", "/dev/vda1", "UUID=1234", "/dev/vg0/a/b", "/dev/mapper/a b-c",
		"", "/dev/", "/dev/mapper/",
	};
	char vg[128], lv[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_true(lvm_name_split(good[i].spec, vg, sizeof(vg), lv, sizeof(lv)));
		assert_string_equal(vg, good[i].vg);
		assert_string_equal(lv, good[i].lv);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_false(lvm_name_split(bad[i], vg, sizeof(vg), lv, sizeof(lv)));
	/* A name longer than the buffers is refused, not cut. */
	assert_false(lvm_name_split("/dev/mapper/averyveryverylongvolumegroupname-lv", vg, 8, lv, sizeof(lv)));
}

static void tool_output_and_exit_status(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(tool_run((char *[]){ "/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 3", NULL }, 5, out,
				  sizeof(out)), 3);
	assert_string_equal(out, "to-out\nto-err\n");
	/* Only what fits is kept; the rest is read and dropped, so the tool never blocks on a full pipe. */
	assert_int_equal(tool_run((char *[]){ "/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x", NULL }, 5, out,
				  sizeof(out)), 0);
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_int_equal(tool_run((char *[]){ "/nonexistent/tool", NULL }, 5, out, sizeof(out)), -ENOENT);
}

/* A tool that hangs is killed at its timeout: PID 1 never waits for ever. */
static void tool_that_hangs_is_killed(void **state)
{
	char out[64];
	long long start = monotonic_ms();

	(void)state;
	assert_int_equal(tool_run((char *[]){ "/bin/sleep", "30", NULL }, 1, out, sizeof(out)), -ETIMEDOUT);
	assert_true(monotonic_ms() - start < 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lv_names_split_as_dm_and_lvm_write_them),
		cmocka_unit_test(tool_output_and_exit_status),
		cmocka_unit_test(tool_that_hangs_is_killed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
