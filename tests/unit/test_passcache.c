/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The typed passphrases reach the real system as systemd's ask-password leaves them. Needs a
 * kernel keyring (make check runs as root on Linux). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <linux/keyctl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boot/passcache.h"

static struct secret *secret_of(const char *text)
{
	struct secret *s = secret_new(strlen(text) + 1);

	assert_non_null(s);
	assert_int_equal(secret_append(s, text, strlen(text)), 0);
	return s;
}

/* One "user" key "cryptsetup" in the user keyring, NUL between passphrases (none after the last),
 * expiring as systemd's does. */
static void hand_over_as_systemd_caches(void **state)
{
	_cleanup_passcache_ struct passcache c = { 0 };
	struct secret *a = secret_of("correct horse"), *b = secret_of("battery staple");
	char buf[64], proc[4096];
	long id, n;
	FILE *f;

	(void)state;
	assert_int_equal(passcache_remember(&c, a), 0);
	assert_int_equal(passcache_remember(&c, b), 0);
	assert_int_equal(passcache_remember(&c, a), 0); /* kept once */
	assert_int_equal(passcache_hand_over(&c), 2); /* how many it left */
	id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", PASSCACHE_KEYRING_NAME, 0);
	assert_true(id > 0);
	n = syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof(buf));
	assert_int_equal(n, (long)strlen("correct horse") + 1 + (long)strlen("battery staple"));
	assert_memory_equal(buf, "correct horse\0battery staple", (size_t)n);
	/* /proc/keys shows the expiry in its fourth column ("perm" for none). */
	f = fopen("/proc/keys", "r");
	assert_non_null(f);
	n = (long)fread(proc, 1, sizeof(proc) - 1, f);
	fclose(f);
	proc[n] = '\0';
	for (char *line = strtok(proc, "\n"); line; line = strtok(NULL, "\n")) {
		char expiry[32];
		unsigned long serial;
		if (sscanf(line, "%lx %*s %*s %31s", &serial, expiry) == 2 && (long)serial == id)
			assert_string_not_equal(expiry, "perm");
	}
	syscall(SYS_keyctl, KEYCTL_UNLINK, id, KEY_SPEC_USER_KEYRING);
	secret_free(a);
	secret_free(b);
}

static void nothing_typed_leaves_no_key(void **state)
{
	struct passcache c = { 0 };

	(void)state;
	assert_int_equal(passcache_hand_over(&c), 0);
	assert_true(syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", PASSCACHE_KEYRING_NAME, 0) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hand_over_as_systemd_caches),
		cmocka_unit_test(nothing_typed_leaves_no_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
