/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/sysroot.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

#define LINK_CHAIN_MAX 8

/* openat2's RESOLVE_IN_ROOT treats "/" and ".." as the new root's, as a chroot would. */
static int open_in_root(int root_fd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

static bool is_executable_file(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* "/sbin/init -> /lib/systemd/systemd -> ...": where path's own links lead, for the message. */
static void link_chain_describe(int root_fd, const char *path, char *buf, size_t size)
{
	char cur[256], target[256];
	size_t used = (size_t)snprintf(buf, size, "%s", path);

	snprintf(cur, sizeof(cur), "%s", path);
	for (int i = 0; i < LINK_CHAIN_MAX && used < size; i++) {
		char *slash = strrchr(cur, '/');
		_cleanup_close_ int dir = -1;
		ssize_t n;
		if (!slash)
			break;
		*slash = '\0';
		dir = open_in_root(root_fd, cur[0] ? cur : "/", O_PATH | O_DIRECTORY);
		if (dir < 0 || (n = readlinkat(dir, slash + 1, target, sizeof(target) - 1)) < 0)
			break;
		target[n] = '\0';
		used += (size_t)snprintf(buf + used, size - used, " -> %s", target);
		if (target[0] == '/')
			snprintf(cur, sizeof(cur), "%s", target);
		else if (strlen(cur) + strlen(target) + 2 <= sizeof(cur))
			strcat(strcat(cur, "/"), target);
		else
			break;
	}
}

/* 0, or -ENOENT with why said in why (the path, where its links led, and what is wrong). */
static int init_try(int root_fd, const char *path, char *why, size_t size)
{
	_cleanup_close_ int fd = open_in_root(root_fd, path, O_PATH);
	char chain[400];

	if (fd >= 0 && is_executable_file(fd))
		return 0;
	link_chain_describe(root_fd, path, chain, sizeof(chain));
	snprintf(why, size, "%s: %s", chain, fd >= 0 ? "not an executable file" : strerror(-fd));
	return -ENOENT;
}

int sysroot_find_init(const char *root, const char *init, char *out, size_t size)
{
	static const char *const kernel_defaults[] = { "/sbin/init", "/etc/init", "/bin/init" };
	_cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char why[ARRAY_SIZE(kernel_defaults)][512];

	if (root_fd < 0)
		return log_error_ret(-errno, "cannot open the root filesystem at %s: %s", root, strerror(errno));
	if (init && init[0]) {
		if (init[0] != '/')
			return log_error_ret(-ENOENT, "init=%s is not an absolute path", init);
		if (init_try(root_fd, init, why[0], sizeof(why[0])) < 0)
			return log_error_ret(-ENOENT, "init= on the kernel command line names %s on the root filesystem (%s); "
				"install it there or boot with another init=", why[0], root);
		snprintf(out, size, "%s", init);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kernel_defaults); i++) {
		if (init_try(root_fd, kernel_defaults[i], why[i], sizeof(why[i])) == 0) {
			snprintf(out, size, "%s", kernel_defaults[i]);
			return 0;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(kernel_defaults); i++)
		log_error("no init at %s", why[i]);
	return log_error_ret(-ENOENT, "no init on the root filesystem (%s): is root= the right filesystem? init= names another program",
			     root);
}
