/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The real init is found as the new root sees it: links resolve inside it, never in the initramfs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/sysroot.h"

struct tree {
	char root[64];
};

static void path_in(const struct tree *t, const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", t->root, rel);
}

static void mkdirs(const struct tree *t, const char *rel)
{
	char p[256];

	path_in(t, rel, p, sizeof(p));
	for (char *s = p + strlen(t->root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void file(const struct tree *t, const char *rel, mode_t mode)
{
	char p[256];
	int fd;

	path_in(t, rel, p, sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	close(fd);
	chmod(p, mode);
}

static void link_to(const struct tree *t, const char *rel, const char *target)
{
	char p[256];

	path_in(t, rel, p, sizeof(p));
	assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	snprintf(t->root, sizeof(t->root), "/tmp/unlock-sysroot.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	mkdirs(t, "/usr/lib/systemd");
	mkdirs(t, "/usr/sbin");
	mkdirs(t, "/etc");
	link_to(t, "/lib", "usr/lib");   /* merged /usr, relative */
	link_to(t, "/sbin", "usr/sbin");
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

/* Debian, Fedora, Arch: /sbin/init is an absolute link that only exists inside the new root. */
static void absolute_link_through_merged_usr(void **state)
{
	struct tree *t = *state;
	char found[256];

	file(t, "/usr/lib/systemd/systemd", 0755);
	link_to(t, "/usr/sbin/init", "/lib/systemd/systemd");
	assert_int_equal(sysroot_find_init(t->root, NULL, found, sizeof(found)), 0);
	assert_string_equal(found, "/sbin/init");
}

static void relative_link_and_init_given(void **state)
{
	struct tree *t = *state;
	char found[256];

	file(t, "/usr/lib/systemd/systemd", 0755);
	link_to(t, "/usr/sbin/myinit", "../lib/systemd/systemd");
	assert_int_equal(sysroot_find_init(t->root, "/sbin/myinit", found, sizeof(found)), 0);
	assert_string_equal(found, "/sbin/myinit");
}

/* A link that climbs out with ".." stays in the new root, where the target is missing. */
static void links_never_leave_the_root(void **state)
{
	struct tree *t = *state;
	char found[256] = "", target[300];

	/* The target exists outside the new root (in the "initramfs"), not inside it. */
	snprintf(target, sizeof(target), "../../../../../../..%s/../outside-init", t->root);
	link_to(t, "/usr/sbin/init", target);
	file(t, "/../outside-init", 0755);
	assert_int_equal(sysroot_find_init(t->root, NULL, found, sizeof(found)), -ENOENT);
	link_to(t, "/usr/sbin/abs", "/bin/sh");
	assert_int_equal(sysroot_find_init(t->root, "/sbin/abs", found, sizeof(found)), -ENOENT);
	unlink("/tmp/outside-init");
}

static void missing_or_not_executable(void **state)
{
	struct tree *t = *state;
	char found[256];

	assert_int_equal(sysroot_find_init(t->root, NULL, found, sizeof(found)), -ENOENT);
	file(t, "/usr/sbin/init", 0644);
	assert_int_equal(sysroot_find_init(t->root, NULL, found, sizeof(found)), -ENOENT);
	assert_int_equal(sysroot_find_init(t->root, "relative/init", found, sizeof(found)), -ENOENT);
}

/* Without init=, the kernel's own list: /etc/init after /sbin/init. */
static void kernel_default_list(void **state)
{
	struct tree *t = *state;
	char found[256];

	file(t, "/etc/init", 0700);
	assert_int_equal(sysroot_find_init(t->root, NULL, found, sizeof(found)), 0);
	assert_string_equal(found, "/etc/init");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(absolute_link_through_merged_usr, setup, teardown),
		cmocka_unit_test_setup_teardown(relative_link_and_init_given, setup, teardown),
		cmocka_unit_test_setup_teardown(links_never_leave_the_root, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_or_not_executable, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_default_list, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
