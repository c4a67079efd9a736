/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The typed passphrases reach the real system as systemd's ask-password leaves them. Needs a
 * kernel keyring (make check runs as root on Linux). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A test's key is taken out of the host's keyring whatever the test's outcome. */
static int test_key_remove(void **state)
{
	long id;

	(void)state;
	while ((id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", PASSCACHE_KEYRING_NAME, 0)) > 0)
		if (syscall(SYS_keyctl, KEYCTL_UNLINK, id, KEY_SPEC_USER_KEYRING) < 0)
			break;
	return 0;
}

/* The expiry /proc/keys shows for a key, from its fourth column ("perm" for none): the whole file
 * is read, and a key not listed fails the test. */
static void proc_keys_expiry(long id, char *expiry, size_t size)
{
	FILE *f = fopen("/proc/keys", "r");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	assert_non_null(f);
	while (!found && getline(&line, &cap, f) > 0) {
		char word[32];
		unsigned long serial;
		if (sscanf(line, "%lx %*s %*s %31s", &serial, word) == 2 && (long)serial == id) {
			snprintf(expiry, size, "%s", word);
			found = true;
		}
	}
	free(line);
	fclose(f);
	assert_true(found);
}

/* One "user" key "cryptsetup" in the user keyring, NUL between passphrases (none after the last),
 * expiring as systemd's does. */
static void hand_over_as_systemd_caches(void **state)
{
	_cleanup_passcache_ struct passcache c = { 0 };
	struct secret *a = secret_of("correct horse"), *b = secret_of("battery staple");
	char buf[64], expiry[32];
	long id, key, n;

	(void)state;
	assert_int_equal(passcache_remember(&c, a), 0);
	assert_int_equal(passcache_remember(&c, b), 0);
	assert_int_equal(passcache_remember(&c, a), 0); /* kept once */
	assert_int_equal(passcache_hand_over(&c, &key), 2); /* how many it left */
	id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", PASSCACHE_KEYRING_NAME, 0);
	assert_true(id > 0);
	assert_int_equal(key, id);
	n = syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof(buf));
	assert_int_equal(n, (long)strlen("correct horse") + 1 + (long)strlen("battery staple"));
	assert_memory_equal(buf, "correct horse\0battery staple", (size_t)n);
	proc_keys_expiry(id, expiry, sizeof(expiry));
	assert_string_not_equal(expiry, "perm");
	secret_free(a);
	secret_free(b);
}

/* A boot that does not reach the real init takes the key back: nothing is left to read. */
static void taken_back_when_the_hand_over_fails(void **state)
{
	_cleanup_passcache_ struct passcache c = { 0 };
	struct secret *a = secret_of("correct horse");
	char buf[64];
	long key;

	(void)state;
	assert_int_equal(passcache_remember(&c, a), 0);
	assert_int_equal(passcache_hand_over(&c, &key), 1);
	passcache_take_back(key);
	assert_true(syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", PASSCACHE_KEYRING_NAME, 0) < 0);
	assert_true(syscall(SYS_keyctl, KEYCTL_READ, key, buf, sizeof(buf)) < 0);
	passcache_take_back(-1); /* nothing handed over: nothing to do */
	secret_free(a);
}

static void nothing_typed_leaves_no_key(void **state)
{
	struct passcache c = { 0 };
	long key;

	(void)state;
	assert_int_equal(passcache_hand_over(&c, &key), 0);
	assert_int_equal(key, -1);
	assert_true(syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", PASSCACHE_KEYRING_NAME, 0) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(hand_over_as_systemd_caches, test_key_remove),
		cmocka_unit_test_teardown(taken_back_when_the_hand_over_fails, test_key_remove),
		cmocka_unit_test_teardown(nothing_typed_leaves_no_key, test_key_remove),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
