/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uevents: drivers are loaded only for what the kernel itself announces. Needs root (it sends to
 * the kernel's uevent group and asks the kernel for a uevent), as make check runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <glob.h>
#include <limits.h>
#include <linux/netlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot/hotplug.h"

struct seen {
	int n;
	char aliases[64][256];
};

static void remember(const char *modalias, void *data)
{
	struct seen *s = data;

	if (s->n < 64)
		snprintf(s->aliases[s->n++], sizeof(s->aliases[0]), "%s", modalias);
}

static bool seen_has(const struct seen *s, const char *alias)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->aliases[i], alias) == 0)
			return true;
	return false;
}

static void send_forged_uevent(void)
{
	static const char msg[] = "add@/devices/forged\0ACTION=add\0DEVPATH=/devices/forged\0"
				  "SUBSYSTEM=forged\0MODALIAS=forged:v0001\0";
	struct sockaddr_nl group = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);

	assert_true(fd >= 0);
	assert_int_equal(sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&group, sizeof(group)), sizeof(msg));
	close(fd);
}

/* Asks the kernel to announce a device with a modalias again; returns that modalias. */
static void trigger_kernel_uevent(char *alias, size_t size)
{
	char uevent[PATH_MAX];
	glob_t g;
	FILE *f;

	assert_int_equal(glob("/sys/bus/*/devices/*/modalias", 0, NULL, &g), 0);
	f = fopen(g.gl_pathv[0], "re");
	assert_non_null(f);
	assert_non_null(fgets(alias, (int)size, f));
	alias[strcspn(alias, "\n")] = '\0';
	fclose(f);
	snprintf(uevent, sizeof(uevent), "%.*s/uevent", (int)(strrchr(g.gl_pathv[0], '/') - g.gl_pathv[0]), g.gl_pathv[0]);
	globfree(&g);
	f = fopen(uevent, "we");
	assert_non_null(f);
	assert_true(fputs("change", f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void forged_uevent_loads_nothing(void **state)
{
	static struct seen seen;
	char kernel_alias[256];
	int fd = uevent_socket();

	(void)state;
	assert_true(fd >= 0);
	send_forged_uevent();
	trigger_kernel_uevent(kernel_alias, sizeof(kernel_alias));
	for (int waited = 0; waited < 50 && !seen_has(&seen, kernel_alias); waited++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) > 0)
			uevent_drain(fd, remember, &seen);
	}
	close(fd);
	assert_true(seen_has(&seen, kernel_alias));
	assert_false(seen_has(&seen, "forged:v0001"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forged_uevent_loads_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
